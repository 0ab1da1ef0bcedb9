/*
 * Random tokens from libsodium's CSPRNG, hex encoding and constant-time
 * comparison for secrets (session ids, CSRF tokens).
 */
#include <string.h>
#include <sodium.h>

#include "core.h"

int wrand_init(void)
{
    if (sodium_init() < 0)
        return err_set(WASL_EINTERNAL, "server.crypto", "libsodium failed to initialize");
    return 0;
}

void wrand_bytes(void *p, size_t n)
{
    randombytes_buf(p, n);
}

void hex_encode(char *out, const unsigned char *in, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 15];
    }
    out[2 * n] = '\0';
}

void rand_hex(char *out, size_t nbytes)
{
    unsigned char buf[64];
    if (nbytes > sizeof(buf))
        nbytes = sizeof(buf);
    randombytes_buf(buf, nbytes);
    hex_encode(out, buf, nbytes);
}

bool str_ct_equal(const char *a, const char *b)
{
    size_t n = strlen(a);
    if (n != strlen(b))
        return false;
    return sodium_memcmp(a, b, n) == 0;
}
