/*
 * JSON input: parse a request body into one object and check it against a
 * declared spec (types, required fields, sizes, ranges), naming the field at
 * fault so the caller gets a 400 that says what to fix.
 */
#include <string.h>
#include <jansson.h>

#include "core.h"

int json_parse_object(const char *body, size_t n, json_t **root)
{
    json_error_t e;
    json_t *j;

    if (!utf8_valid(body, n))
        return err_set(WASL_EINVAL, "request.invalid_utf8", "the request body is not valid UTF-8");
    j = json_loadb(body, n, JSON_REJECT_DUPLICATES, &e);
    if (!j)
        return err_set(WASL_EINVAL, "request.malformed_json", "malformed JSON at line %d, column %d: %s", e.line, e.column, e.text);
    if (!json_is_object(j)) {
        json_decref(j);
        return err_set(WASL_EINVAL, "request.malformed_json", "the request body must be a JSON object");
    }
    *root = j;
    return 0;
}

static const struct json_spec *find(const struct json_spec *spec, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(spec[i].name, key) == 0)
            return &spec[i];
    return NULL;
}

static int one(json_t *v, const struct json_spec *s)
{
    switch (s->type) {
    case JS_STR_OPT_NULL:
        if (json_is_null(v)) {
            *(const char **)s->out = NULL;
            return 0;
        }
        /* fall through */
    case JS_STR:
        if (!json_is_string(v))
            return err_set_field(WASL_EINVAL, "request.invalid_field", s->name, "'%s' must be a string", s->name);
        if (s->max && json_string_length(v) > s->max)
            return err_set_field(WASL_EINVAL, "request.invalid_field", s->name, "'%s' must be at most %zu bytes long", s->name,
                                 s->max);
        *(const char **)s->out = json_string_value(v);
        return 0;
    case JS_INT: {
        if (!json_is_integer(v))
            return err_set_field(WASL_EINVAL, "request.invalid_field", s->name, "'%s' must be an integer", s->name);
        long long x = json_integer_value(v);
        if ((s->lo || s->hi) && (x < s->lo || x > s->hi))
            return err_set_field(WASL_EINVAL, "request.invalid_field", s->name, "'%s' must be between %lld and %lld", s->name,
                                 s->lo, s->hi);
        *(long long *)s->out = x;
        return 0;
    }
    case JS_ARRAY_OPT_NULL:
        if (json_is_null(v)) {
            *(json_t **)s->out = NULL;
            return 0;
        }
        /* fall through */
    case JS_ARRAY:
        if (!json_is_array(v) || (s->max && json_array_size(v) > s->max))
            return err_set_field(WASL_EINVAL, "request.invalid_field", s->name, "'%s' must be a list of at most %zu items", s->name,
                                 s->max);
        *(json_t **)s->out = v;
        return 0;
    case JS_OBJECT:
        if (!json_is_object(v))
            return err_set_field(WASL_EINVAL, "request.invalid_field", s->name, "'%s' must be an object", s->name);
        *(json_t **)s->out = v;
        return 0;
    case JS_BOOL:
        if (!json_is_boolean(v))
            return err_set_field(WASL_EINVAL, "request.invalid_field", s->name, "'%s' must be true or false", s->name);
        *(int *)s->out = json_is_true(v);
        return 0;
    }
    return WASL_EINTERNAL;
}

int json_spec_parse(json_t *obj, const struct json_spec *spec, size_t nspec, bool allow_unknown)
{
    const char *key;
    json_t *v;
    int err;

    if (!allow_unknown) {
        json_object_foreach(obj, key, v)
        {
            if (!find(spec, nspec, key))
                return err_set_field(WASL_EINVAL, "request.unknown_field", key, "unknown field '%.64s'", key);
        }
    }
    for (size_t i = 0; i < nspec; i++) {
        v = json_object_get(obj, spec[i].name);
        if (spec[i].present)
            *spec[i].present = v != NULL;
        if (!v) {
            if (spec[i].required)
                return err_set_field(WASL_EINVAL, "request.missing_field", spec[i].name, "'%s' is required", spec[i].name);
            continue;
        }
        if ((err = one(v, &spec[i])))
            return err;
    }
    return 0;
}

json_t *json_utc_time(wtime_t t)
{
    char buf[40];
    if (!t)
        return json_null();
    clock_format_utc(t, buf, sizeof(buf));
    return json_string(buf);
}

int json_add_string(struct sbuf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const char *run = s;

    sbuf_add(b, "\"", 1);
    for (const char *p = s;; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        sbuf_add(b, run, (size_t)(p - run));
        if (!c)
            break;
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            sbuf_add(b, e, 2);
        } else {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            sbuf_add(b, e, 6);
        }
        run = p + 1;
    }
    return sbuf_add(b, "\"", 1);
}
