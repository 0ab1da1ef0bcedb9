/*
 * Fuzz target: Open311 "create request" bodies (form-encoded). Whatever the
 * bytes, the parser answers or refuses with a named field; what it accepts
 * is valid UTF-8 without NUL, and the required fields are there.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cases/cases_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *s)
{
    if (s && !utf8_valid(s, strlen(s)))
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct open311_request o;
    struct arena *a;
    char *body;

    if (size > 65536 || arena_alloc(&a))
        return 0;
    if (!(body = malloc(size + 1))) {
        arena_free(a);
        return 0;
    }
    memcpy(body, data, size);
    body[size] = '\0';
    if (open311_parse(body, size, a, &o) == 0) {
        if (!o.service_code || !*o.service_code || !o.description || !*o.description)
            __builtin_trap();
        const char *all[] = {o.service_code, o.description, o.email,   o.first_name, o.last_name,
                             o.phone,        o.lang,        o.country, o.category,   o.subject};
        for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
            check(all[i]);
        for (int i = 0; i < o.nattrs; i++)
            check(o.attrs[i].value);
        /* The text checks the portal applies next must also hold up. */
        case_check_text(o.description, "description", 10000, true, false);
    } else if (!err_code()[0]) {
        __builtin_trap(); /* a refusal always says why */
    }
    err_clear();
    free(body);
    arena_free(a);
    return 0;
}
