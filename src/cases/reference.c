/*
 * Case references a citizen can read out on the phone: eight random
 * characters of Crockford's base 32 (no I, L, O or U) and a check character,
 * shown as "ABC-DEF-GHJ". The check is Damm's algorithm over GF(32) with
 * x*y = 2x + y: it catches every single wrong character and every swap of
 * two neighbours. Input forgives case, spaces, dashes and the look-alikes
 * I, L (read as 1) and O (read as 0).
 */
#include <string.h>

#include "cases_int.h"

static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* Multiplication by x in GF(2^5) modulo x^5 + x^2 + 1. */
static unsigned times2(unsigned v)
{
    v <<= 1;
    return v & 32 ? (v ^ 0x25) & 31 : v;
}

static int value_of(char c)
{
    if (c >= 'a' && c <= 'z')
        c = (char)(c - 32);
    if (c == 'I' || c == 'L')
        c = '1';
    else if (c == 'O')
        c = '0';
    const char *p = c ? strchr(alphabet, c) : NULL;
    return p ? (int)(p - alphabet) : -1;
}

/* Damm's interim digit over GF(32): fold with x*y = 2x XOR y. */
static unsigned fold(const int *v, int n)
{
    unsigned interim = 0;
    for (int i = 0; i < n; i++)
        interim = times2(interim) ^ (unsigned)v[i];
    return interim;
}

static void format(const int *v, char *out)
{
    for (int i = 0, k = 0; i < 9; i++) {
        if (i == 3 || i == 6)
            out[k++] = '-';
        out[k++] = alphabet[v[i]];
    }
    out[CASE_REF_LEN] = '\0';
}

void case_ref_new(char *out)
{
    int v[9];
    unsigned char r[8];
    wrand_bytes(r, sizeof(r));
    for (int i = 0; i < 8; i++)
        v[i] = r[i] & 31;
    /* The check character makes the fold of all nine come to zero. */
    v[8] = (int)times2(fold(v, 8));
    format(v, out);
}

int case_ref_parse(const char *in, char *out)
{
    int v[9], n = 0;

    for (const char *p = in ? in : ""; *p; p++) {
        if (*p == ' ' || *p == '-' || *p == '.' || *p == '\t')
            continue;
        int x = value_of(*p);
        if (x < 0 || n == 9)
            goto bad;
        v[n++] = x;
    }
    if (n != 9 || fold(v, 9) != 0)
        goto bad;
    format(v, out);
    return 0;
bad:
    return err_set_field(WASL_EINVAL, "cases.invalid_reference", "reference",
                         "this reference is not valid: check it, it has nine letters and digits like ABC-DEF-GHJ");
}

void case_ref_keys(const char *ref, char *out)
{
    int n = 0;
    for (const char *p = ref; *p && n < 9; p++) {
        int d = keypad_digit(*p);
        if (d >= 0)
            out[n++] = (char)('0' + d);
    }
    out[n] = '\0';
}
