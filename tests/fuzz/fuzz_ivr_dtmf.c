/*
 * Fuzz target: what a caller can key. The bytes are a sequence of events
 * (digits, silences, look-up answers) fed to the demo flow at a few hours
 * of the week; the interpreter must answer each with an action or refuse
 * it, keep its language one of the seven, and never spin.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ivr/ivr_int.h"
#include "tel/tel.h"
#include "calendar/calendar.h"
#include "common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ivr_flow *flow;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char keys[] = "0123456789*#";
    static const int64_t starts[] = {INT64_C(1764324000000000), INT64_C(1764360000000000), INT64_C(1767261600000000)};
    struct ivr_session s;
    struct ivr_action a;
    if (!flow) {
        log_set_level(LOG_ERROR);
        const char *data_dir = fuzz_data_dir();
        if (geo_load(data_dir) || calendar_load(data_dir) || prompts_load(data_dir) ||
            ivr_flow_load(fuzz_data_path("ivr/main.json"), prompts_known, NULL, &flow))
            fuzz_setup_failed("the data files and the main call flow");
    }
    if (size < 1)
        return 0;
    int64_t now = starts[data[0] % 3];
    if (ivr_start(&s, flow, (data[0] & 4) ? "BE" : "MA", now, &a))
        __builtin_trap();
    for (size_t i = 1; i < size && !s.done; i++) {
        struct ivr_event e = {0};
        uint8_t b = data[i];
        now += 500000;
        switch (b >> 5) {
        case 0:
            e.kind = IVR_E_PLAYED;
            break;
        case 1:
            e.kind = IVR_E_TIMEOUT;
            break;
        case 2:
        case 3:
        case 4: {
            size_t n = 1 + (b & 15);
            e.kind = IVR_E_DIGITS;
            for (size_t k = 0; k < n && k + 1 < sizeof(e.digits) && i + k < size; k++)
                e.digits[k] = keys[data[i + k] % 12];
            break;
        }
        case 5:
            e.kind = IVR_E_LOOKUP;
            e.kase.found = b & 1;
            e.kase.locked = b & 2;
            snprintf(e.kase.status, sizeof(e.kase.status), "%s", (b & 4) ? "open" : "closed");
            snprintf(e.kase.reference, sizeof(e.kase.reference), "ABC-DEF-GHJ");
            break;
        default:
            e.kind = IVR_E_STORED;
            e.ok = b & 1;
        }
        if (ivr_step(&s, &e, now, &a) == 0 && !language_valid(a.language))
            __builtin_trap();
        err_clear();
    }
    return 0;
}
