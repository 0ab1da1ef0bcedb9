/*
 * Fuzz target: the staffing inputs as text (the API's query, the CLI's
 * options), "name=value" pairs separated by '&'. Whatever is accepted is
 * modelled: the figures must be shares between 0 and 1 and never NaN.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "staff/staff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct staff_result *r)
{
    if (!(r->service_level >= 0 && r->service_level <= 1 + 1e-9) || !(r->p_wait >= -1e-9 && r->p_wait <= 1 + 1e-9) ||
        !(r->abandon >= -1e-9 && r->abandon <= 1 + 1e-9) || !(r->occupancy >= 0 && r->occupancy <= 1 + 1e-9) || isnan(r->asa_s) ||
        r->rostered < r->agents)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char s[256];
    struct staff_in in;
    struct staff_result r;

    if (size >= sizeof(s))
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    staff_defaults(&in);
    in.calls = 50;
    char *save = NULL;
    for (char *pair = strtok_r(s, "&", &save); pair; pair = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(pair, '=');
        if (!eq)
            continue;
        *eq = '\0';
        if (staff_set(&in, pair, eq + 1)) {
            err_clear();
            return 0;
        }
    }
    /* keep each run short: a small center */
    if (staff_check(&in) || in.calls * in.aht_s / in.interval_s > 200) {
        err_clear();
        return 0;
    }
    if (!staff_model(&in, 1 + (int)(in.calls * in.aht_s / in.interval_s), &r))
        check(&r);
    if (!staff_needed(&in, &r))
        check(&r);
    err_clear();
    return 0;
}
