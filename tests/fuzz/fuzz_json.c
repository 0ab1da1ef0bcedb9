/*
 * Fuzz target: JSON request bodies, parsed and checked against a spec the
 * way every handler does (the user-creation spec, the widest one).
 */
#include <stdint.h>
#include <string.h>
#include <jansson.h>

#include "core/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *login = NULL, *name = NULL, *role = NULL, *consulate = NULL;
    long long n = 0;
    int flag = 0;
    bool has_flag = false;
    struct json_spec spec[] = {
        {"login", JS_STR, true, 64, 0, 0, &login, NULL}, {"display_name", JS_STR, false, 128, 0, 0, &name, NULL},
        {"role", JS_STR, false, 16, 0, 0, &role, NULL},  {"consulate", JS_STR_OPT_NULL, false, 16, 0, 0, &consulate, NULL},
        {"count", JS_INT, false, 0, 1, 100, &n, NULL},   {"flag", JS_BOOL, false, 0, 0, 0, &flag, &has_flag},
    };
    json_t *root = NULL;

    if (json_parse_object((const char *)data, size, &root) == 0) {
        if (json_spec_parse(root, spec, sizeof(spec) / sizeof(spec[0]), (size & 1) != 0) == 0) {
            /* Accepted strings are valid UTF-8 within their caps. */
            if (!utf8_valid(login, strlen(login)) || strlen(login) > 64)
                __builtin_trap();
        }
        json_decref(root);
    }
    err_clear();
    return 0;
}
