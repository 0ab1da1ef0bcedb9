/*
 * The inputs of a staffing question from text: one parser for the API's
 * query string and the CLI's options (tests/fuzz/fuzz_staff.c feeds it).
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "staff.h"
#include "core/core.h"

void staff_defaults(struct staff_in *in)
{
    *in = (struct staff_in){
        .interval_s = 1800, .aht_s = 180, .target_s = 20, .sl_target = 0.8, .max_occupancy = 0.9, .max_abandon = 1};
}

/* A number with an optional unit suffix among units (each a character and
 * its factor); the whole text must be used. */
static bool number(const char *text, const char *units, const double *factors, double *out)
{
    char *end;
    if (!text || !*text || strlen(text) > 32)
        return false;
    double v = strtod(text, &end);
    if (end == text || !isfinite(v))
        return false;
    if (*end) {
        const char *u = strchr(units, *end);
        if (!u || end[1])
            return false;
        v *= factors[u - units];
    }
    *out = v;
    return isfinite(v);
}

int staff_set(struct staff_in *in, const char *name, const char *value)
{
    static const double seconds[] = {1, 60, 3600, 86400}, percent[] = {1};
    static const struct {
        const char *name;
        bool is_percent;
        size_t offset;
    } fields[] = {
        {"calls", false, offsetof(struct staff_in, calls)},
        {"interval", false, offsetof(struct staff_in, interval_s)},
        {"aht", false, offsetof(struct staff_in, aht_s)},
        {"target", false, offsetof(struct staff_in, target_s)},
        {"patience", false, offsetof(struct staff_in, patience_s)},
        {"sl", true, offsetof(struct staff_in, sl_target)},
        {"occupancy", true, offsetof(struct staff_in, max_occupancy)},
        {"shrinkage", true, offsetof(struct staff_in, shrinkage)},
        {"abandon", true, offsetof(struct staff_in, max_abandon)},
    };
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (strcmp(name, fields[i].name))
            continue;
        double v;
        bool calls = !strcmp(name, "calls");
        if (!(fields[i].is_percent ? number(value, "%", percent, &v) : number(value, calls ? "" : "smhd", seconds, &v)))
            return err_set_field(WASL_EINVAL, "staff.invalid", fields[i].name, "%s: not a number%s", fields[i].name,
                                 fields[i].is_percent ? " (a percentage: 80 or 80%)"
                                 : calls              ? ""
                                                      : " of seconds (or with s, m, h, d: 30m)");
        *(double *)((char *)in + fields[i].offset) = fields[i].is_percent ? v / 100 : v;
        return 0;
    }
    return err_set_field(WASL_EINVAL, "staff.unknown", name,
                         "'%.40s' is none of calls, interval, aht, target, sl, occupancy, shrinkage, patience, abandon", name);
}
