/*
 * libFuzzer target for the TZif parser (src/core/tz.c): parses the input as a
 * zone file and, when it parses, converts instants both ways and checks that the
 * two directions agree. Seed corpus: tests/fuzz/corpus/tzif/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/core_int.h"

/* Instants from before the first zone to far past any table: the footer's realm. */
static const int64_t instants[] = {
    INT64_MIN,
    -(INT64_C(1) << 45),
    -INT64_C(5000000000),
    -INT64_C(2208988800),
    -1,
    0,
    INT64_C(1000000000),
    INT64_C(1789905600),
    INT64_C(2147483647),
    INT64_C(4102444800),
    INT64_C(253402300799),
    INT64_C(1) << 45,
    INT64_MAX,
};

/*
 * The earliest instant showing t's wall-clock time must show exactly that time
 * and must not be after t; a violation is a bug, so abort() for the fuzzer.
 * Within a couple of days of the range limit (2^45 s) the earliest instant may
 * fall outside it, and tz_from_local() then fails with WASL_EINVAL.
 */
static void check(const struct tz *z, int64_t t)
{
    struct tz_local a, b;
    int64_t back;
    int rc;

    if (tz_to_local(z, t, &a) != 0)
        return;
    rc = tz_from_local(z, a.year, a.month, a.day, a.hour, a.min, a.sec, &back);
    if (rc == WASL_EINVAL && (t > (INT64_C(1) << 44) || t < -(INT64_C(1) << 44)))
        return;
    if (rc != 0)
        abort();
    if (back > t || tz_to_local(z, back, &b) != 0)
        abort();
    if (a.year != b.year || a.month != b.month || a.day != b.day || a.hour != b.hour || a.min != b.min || a.sec != b.sec)
        abort();
    if (!memchr(a.abbr, '\0', sizeof(a.abbr)))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tz *z = NULL;
    int64_t t;

    if (tz_parse_buffer(data, size, "fuzz", &z) != 0)
        return 0;
    for (size_t i = 0; i < sizeof(instants) / sizeof(instants[0]); i++) {
        check(z, instants[i]);
        if (instants[i] > INT64_MIN + 1 && instants[i] < INT64_MAX - 1) {
            check(z, instants[i] - 1);
            check(z, instants[i] + 1);
        }
    }
    /* Local times in a spring gap and an autumn overlap of many zones, and a few
     * outside any calendar: errors are fine, anything else must hold together. */
    if (tz_from_local(z, 2026, 3, 29, 2, 30, 0, &t) == 0)
        check(z, t);
    if (tz_from_local(z, 2026, 10, 25, 2, 30, 0, &t) == 0)
        check(z, t);
    if (tz_from_local(z, 1000000, 12, 31, 23, 59, 59, &t) == 0)
        check(z, t);
    if (tz_from_local(z, 2026, 2, 30, 0, 0, 0, &t) != WASL_EINVAL)
        abort();
    tz_free(z);
    return 0;
}
