/*
 * UTF-8 checks for everything that comes in from outside: well-formed
 * sequences only (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
 * And the telephone keypad's letters, for what callers key in.
 */
#include <string.h>

#include "core.h"

bool utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;

    while (p < end) {
        unsigned c = *p;
        size_t len;
        unsigned lo = 0x80, hi = 0xBF;

        if (c < 0x80) {
            p++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            len = 2;
        else if (c >= 0xE0 && c <= 0xEF)
            len = 3;
        else if (c >= 0xF0 && c <= 0xF4)
            len = 4;
        else
            return false;
        if ((size_t)(end - p) < len)
            return false;
        /* The second byte's range rules out overlongs and surrogates. */
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
        else if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
        if (p[1] < lo || p[1] > hi)
            return false;
        for (size_t i = 2; i < len; i++)
            if ((p[i] & 0xC0) != 0x80)
                return false;
        p += len;
    }
    return true;
}

size_t utf8_len(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xC0) != 0x80)
            n++;
    return n;
}

int keypad_digit(char c)
{
    static const char *const keys[10] = {"0", "1", "2ABC", "3DEF", "4GHI", "5JKL", "6MNO", "7PQRS", "8TUV", "9WXYZ"};
    if (c >= 'a' && c <= 'z')
        c = (char)(c - 32);
    for (int d = 0; d < 10; d++)
        if (c && strchr(keys[d], c))
            return d;
    return -1;
}
