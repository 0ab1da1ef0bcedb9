/*
 * Fuzz target: call-flow files. Whatever the bytes, the loader accepts a
 * flow it can run or refuses with a message; an accepted flow is then
 * walked with a few events and must never spin or crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ivr/ivr_int.h"
#include "tel/tel.h"
#include "calendar/calendar.h"
#include "common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ivr_flow *f = NULL;
    if (!ready) {
        log_set_level(LOG_ERROR);
        const char *data_dir = fuzz_data_dir();
        if (geo_load(data_dir) || calendar_load(data_dir) || prompts_load(data_dir))
            fuzz_setup_failed("the data files");
        ready = 1;
    }
    if (size > 1 << 16)
        return 0;
    if (ivr_flow_parse((const char *)data, size, "fuzz.json", prompts_known, NULL, &f)) {
        if (!err_message()[0])
            __builtin_trap(); /* a refusal says why */
        err_clear();
        return 0;
    }
    struct ivr_session s;
    struct ivr_action a;
    static const enum ivr_event_kind kinds[] = {IVR_E_PLAYED, IVR_E_DIGITS, IVR_E_TIMEOUT, IVR_E_LOOKUP, IVR_E_STORED};
    if (ivr_start(&s, f, "FR", INT64_C(1764324000000000), &a) == 0)
        for (size_t i = 0; i < 64 && !s.done; i++) {
            struct ivr_event e = {.kind = kinds[(size + i) % 5], .digits = "1", .ok = true};
            ivr_step(&s, &e, INT64_C(1764324000000000) + (int64_t)i * 1000000, &a);
            err_clear();
        }
    ivr_flow_free(f);
    return 0;
}
