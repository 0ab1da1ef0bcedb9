/*
 * Fuzz target: the CSV reader used for every data file.
 */
#include <stdint.h>
#include <string.h>

#include "core/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int row(const struct csv_row *r, void *arg)
{
    size_t *total = arg;
    for (int i = 0; i < r->n; i++)
        *total += strlen(r->f[i]);
    (void)csv_get(r, "code");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t total = 0;
    csv_parse((const char *)data, size, "fuzz.csv", row, &total);
    err_clear();
    return 0;
}
