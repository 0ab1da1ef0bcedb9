/*
 * application/x-www-form-urlencoded bodies (Open311 clients send them):
 * name=value pairs joined by '&', '+' for space, %XX escapes. Decoded in
 * place; anything that would not be clean text is refused, not repaired.
 */
#include <string.h>

#include "core.h"

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decodes s[0..n) in place; returns the decoded length or -1. */
static long decode(char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (i + 2 >= n)
                return -1;
            int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = (char)(hi << 4 | lo);
            i += 2;
        }
        if (c == '\0')
            return -1;
        s[w++] = c;
    }
    s[w] = '\0';
    return (long)w;
}

int form_parse(char *body, size_t n, form_h h, void *arg)
{
    size_t i = 0;
    if (memchr(body, '\0', n))
        return err_set(WASL_EINVAL, "request.invalid_form", "the form holds a NUL byte");
    while (i < n) {
        size_t end = i;
        while (end < n && body[end] != '&')
            end++;
        if (end > i) {
            char *pair = body + i, *eq = memchr(pair, '=', end - i);
            size_t nl = eq ? (size_t)(eq - pair) : end - i;
            long kn, vn;
            body[end] = '\0'; /* the '&' or the terminator the caller guarantees */
            if (!eq)
                return err_set(WASL_EINVAL, "request.invalid_form", "each form field needs name=value");
            *eq = '\0';
            if ((kn = decode(pair, nl)) < 1 || (vn = decode(eq + 1, end - i - nl - 1)) < 0)
                return err_set(WASL_EINVAL, "request.invalid_form", "bad %%-escape or empty name in the form");
            if (!utf8_valid(pair, (size_t)kn) || !utf8_valid(eq + 1, (size_t)vn))
                return err_set(WASL_EINVAL, "request.invalid_form", "the form is not valid UTF-8");
            int err = h(pair, eq + 1, arg);
            if (err)
                return err;
        }
        i = end + 1;
    }
    return 0;
}
