/*
 * Fuzz target: an event's stored data read back (src/events/data.c). The
 * first byte picks the kind, the rest is the data; the flat-object scanner
 * and jansson must give the same event and the same answer on every input
 * (the scanner leaves to jansson what it is not certain of).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "events/events.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536)
        return 0;
    const struct ev_def *def = &ev_defs[data[0] % EV_KINDS];
    char *text = malloc(size);
    if (!text)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = 0;
    static struct ev fast, slow;
    memset(&fast, 0, sizeof(fast));
    memset(&slow, 0, sizeof(slow));
    int a = ev_data_read(def, text, &fast, 1, true);
    err_clear();
    int b = ev_data_read(def, text, &slow, 1, false);
    err_clear();
    if (a != b)
        __builtin_trap();
    if (!a && (strcmp(fast.a, slow.a) || strcmp(fast.b, slow.b) || strcmp(fast.c, slow.c) || fast.n != slow.n || fast.m != slow.m))
        __builtin_trap();
    free(text);
    return 0;
}
