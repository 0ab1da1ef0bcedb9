/*
 * Fuzz target: the date-time parser (settings, query parameters); what it
 * accepts must format and parse back to the same instant.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char s[128], back[40];
    wtime_t t, t2;

    if (size >= sizeof(s))
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    if (clock_parse_utc(s, &t) == 0 && t > -62135596800LL * WTIME_SEC && t < 253402300799LL * WTIME_SEC) {
        clock_format_utc(t, back, sizeof(back));
        /* The text keeps milliseconds: the instant comes back floored to them. */
        if (clock_parse_utc(back, &t2) != 0 || t - t2 < 0 || t - t2 >= 1000)
            __builtin_trap();
    }
    err_clear();
    return 0;
}
