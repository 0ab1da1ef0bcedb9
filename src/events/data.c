/*
 * An event's data read back from the log: the JSON object of its kind's
 * fields (`{"did":"+33800100200","country":"FR"}`). Reports read millions of
 * them, and a general JSON parser (a tree of allocations per event) was a
 * third of a monthly report's time; events are flat objects of strings and
 * integers, so they are read by a scanner that copies the kind's fields
 * straight into the event.
 *
 * The scanner gives the same event as jansson would (ev_from_row's other
 * path) or says it cannot: anything it does not read with certainty (a
 * nested value, a number with a fraction or an exponent, bytes that are not
 * ASCII, an escape in a key, a \u0000 or a surrogate, a number too large)
 * goes to jansson, which decides. The fuzz target fuzz_ev_data checks that
 * the two agree on every input the scanner takes.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "events.h"
#include "core/core.h"

struct field {
    const char *name;
    char *out;    /* a string field, or NULL */
    size_t size;  /* its buffer */
    int64_t *num; /* an integer field, or NULL */
};

static const char *ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* A string value at p (after its opening quote), decoded into out (size
 * bytes, NUL-terminated, cut at size - 1 bytes as snprintf would; out NULL:
 * skipped). The position after the closing quote, or NULL: not certain. */
static const char *string(const char *p, char *out, size_t size)
{
    size_t n = 0;
    char buf[4];
    for (;;) {
        unsigned char c = (unsigned char)*p;
        size_t len = 1;
        if (c == '"')
            break;
        if (c < 0x20 || c >= 0x80) /* a control character (invalid), or UTF-8 that jansson validates */
            return NULL;
        buf[0] = (char)c;
        p++;
        if (c == '\\') {
            char e = *p++;
            unsigned u;
            switch (e) {
            case '"':
            case '\\':
            case '/':
                buf[0] = e;
                break;
            case 'b':
                buf[0] = '\b';
                break;
            case 'f':
                buf[0] = '\f';
                break;
            case 'n':
                buf[0] = '\n';
                break;
            case 'r':
                buf[0] = '\r';
                break;
            case 't':
                buf[0] = '\t';
                break;
            case 'u':
                if (hex4(p, &u) || u == 0 || (u >= 0xD800 && u <= 0xDFFF))
                    return NULL;
                p += 4;
                if (u < 0x80) {
                    buf[0] = (char)u;
                } else if (u < 0x800) {
                    buf[0] = (char)(0xC0 | (u >> 6));
                    buf[1] = (char)(0x80 | (u & 0x3F));
                    len = 2;
                } else {
                    buf[0] = (char)(0xE0 | (u >> 12));
                    buf[1] = (char)(0x80 | ((u >> 6) & 0x3F));
                    buf[2] = (char)(0x80 | (u & 0x3F));
                    len = 3;
                }
                break;
            default:
                return NULL;
            }
        }
        for (size_t i = 0; out && i < len; i++)
            if (n + 1 < size)
                out[n++] = buf[i];
    }
    if (out && size)
        out[n] = 0;
    return p + 1;
}

/* An integer as JSON writes it: -?(0|[1-9][0-9]*), not followed by a
 * fraction or an exponent, within int64 (jansson refuses larger ones). */
static const char *integer(const char *p, int64_t *out)
{
    bool neg = *p == '-';
    if (neg)
        p++;
    if (*p < '0' || *p > '9' || (*p == '0' && p[1] >= '0' && p[1] <= '9'))
        return NULL;
    uint64_t v = 0, max = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; *p >= '0' && *p <= '9'; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (max - d) / 10)
            return NULL;
        v = v * 10 + d;
    }
    if (*p == '.' || *p == 'e' || *p == 'E')
        return NULL;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return p;
}

static const char *literal(const char *p)
{
    static const char *const words[] = {"true", "false", "null"};
    for (int i = 0; i < 3; i++)
        if (!strncmp(p, words[i], strlen(words[i])))
            return p + strlen(words[i]);
    return NULL;
}

/* The object at s into the fields (each reset first: a field absent, or of
 * another type, is "" or 0, as json_string_value / json_integer_value give).
 * 0, or -1 when the scanner is not certain. */
static int scan(const char *s, struct field *f, int nf)
{
    for (int i = 0; i < nf; i++) {
        if (f[i].out)
            f[i].out[0] = 0;
        else
            *f[i].num = 0;
    }
    const char *p = ws(s);
    if (*p++ != '{')
        return -1;
    p = ws(p);
    if (*p == '}')
        return *ws(p + 1) ? -1 : 0;
    for (;;) {
        if (*p++ != '"')
            return -1;
        const char *key = p, *q = p;
        while (*q && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20 && (unsigned char)*q < 0x80)
            q++;
        if (*q != '"')
            return -1;
        size_t klen = (size_t)(q - key);
        p = ws(q + 1);
        if (*p++ != ':')
            return -1;
        p = ws(p);
        struct field *hit = NULL;
        for (int i = 0; i < nf && !hit; i++)
            if (strlen(f[i].name) == klen && !strncmp(f[i].name, key, klen))
                hit = &f[i];
        if (*p == '"') {
            p = string(p + 1, hit && hit->out ? hit->out : NULL, hit && hit->out ? hit->size : 0);
            if (hit && hit->num)
                *hit->num = 0;
        } else if (*p == '-' || (*p >= '0' && *p <= '9')) {
            int64_t v = 0;
            p = integer(p, &v);
            if (hit && hit->num)
                *hit->num = v;
            else if (hit)
                hit->out[0] = 0;
        } else {
            p = literal(p); /* true, false, null: neither a string nor an integer */
            if (hit && hit->num)
                *hit->num = 0;
            else if (hit)
                hit->out[0] = 0;
        }
        if (!p)
            return -1;
        p = ws(p);
        if (*p == '}')
            return *ws(p + 1) ? -1 : 0;
        if (*p++ != ',')
            return -1;
        p = ws(p);
    }
}

/* The kind's fields of data, read by jansson. */
static int by_jansson(const char *data, struct field *f, int nf, int64_t id)
{
    json_t *d = json_loads(data, 0, NULL);
    if (!json_is_object(d)) {
        json_decref(d);
        return err_set(WASL_EINVAL, "events.bad_data", "event %lld: its data is not a JSON object", (long long)id);
    }
    for (int i = 0; i < nf; i++) {
        json_t *v = json_object_get(d, f[i].name);
        if (f[i].out)
            snprintf(f[i].out, f[i].size, "%s", json_is_string(v) ? json_string_value(v) : "");
        else
            *f[i].num = (int64_t)json_integer_value(v);
    }
    json_decref(d);
    return 0;
}

int ev_data_read(const struct ev_def *def, const char *data, struct ev *out, int64_t id, bool scanner)
{
    struct field f[5];
    int nf = 0;
    const char *names[5] = {def->a, def->b, def->c, def->n, def->m};
    char *outs[3] = {out->a, out->b, out->c};
    size_t sizes[3] = {sizeof(out->a), sizeof(out->b), sizeof(out->c)};
    int64_t *nums[2] = {&out->n, &out->m};
    for (int i = 0; i < 5; i++)
        if (names[i])
            f[nf++] = (struct field){names[i], i < 3 ? outs[i] : NULL, i < 3 ? sizes[i] : 0, i < 3 ? NULL : nums[i - 3]};
    if (scanner && !scan(data, f, nf))
        return 0;
    return by_jansson(data, f, nf, id);
}
