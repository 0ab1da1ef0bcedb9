/*
 * Digest authentication of the agents' phones (RFC 2617 with qop=auth and
 * MD5, what every SIP phone speaks) and the address lists that decide who
 * may talk to wasl at all. Nonces are stateless: the time they were made
 * and an HMAC of it under a key drawn at start, so a flood of REGISTERs
 * costs no memory.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include <re.h>

#include "tel_int.h"

static unsigned char nonce_key[crypto_auth_hmacsha256_KEYBYTES];
static bool nonce_key_set;

static void hex(const uint8_t *b, size_t n, char *out)
{
    static const char x[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = x[b[i] >> 4];
        out[2 * i + 1] = x[b[i] & 15];
    }
    out[2 * n] = '\0';
}

static void md5_hex(char out[33], const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void md5_hex(char out[33], const char *fmt, ...)
{
    char buf[1024];
    uint8_t d[16];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    md5((const uint8_t *)buf, n < 0 ? 0 : (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1, d);
    hex(d, sizeof(d), out);
}

void digest_ha1(const char *user, const char *realm, const char *password, char out[33])
{
    md5_hex(out, "%s:%s:%s", user, realm, password);
}

static void nonce_mac(const char *stamp, char out[33])
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    if (!nonce_key_set) {
        randombytes_buf(nonce_key, sizeof(nonce_key));
        nonce_key_set = true;
    }
    crypto_auth_hmacsha256(mac, (const unsigned char *)stamp, strlen(stamp), nonce_key);
    hex(mac, 16, out);
}

void digest_nonce(int64_t now, char out[64])
{
    char stamp[24], mac[33];
    /* its time and a random part: every challenge's nonce is new, so a
     * nonce count seen with it before is a replay (registrar.c) */
    uint32_t salt = randombytes_random();
    snprintf(stamp, sizeof(stamp), "%llx-%08x", (unsigned long long)now, salt);
    nonce_mac(stamp, mac);
    snprintf(out, 64, "%s.%s", stamp, mac);
}

int digest_nonce_check(const char *nonce, int64_t now, int64_t ttl)
{
    char stamp[24], mac[33];
    const char *dot = strchr(nonce, '.');
    size_t n = dot ? (size_t)(dot - nonce) : 0;

    if (!dot || n == 0 || n >= sizeof(stamp) || strlen(dot + 1) != 32)
        return -1;
    memcpy(stamp, nonce, n);
    stamp[n] = '\0';
    if (strspn(stamp, "0123456789abcdef-") != n)
        return -1;
    nonce_mac(stamp, mac);
    if (sodium_memcmp(mac, dot + 1, 32))
        return -1;
    long long t = strtoll(stamp, NULL, 16);
    return t <= now && now - t <= ttl ? 0 : 1;
}

void digest_response(const char *ha1, const char *nonce, const char *nc, const char *cnonce, const char *qop, const char *method,
                     const char *uri, char out[33])
{
    char ha2[33];
    md5_hex(ha2, "%s:%s", method, uri);
    if (qop && *qop)
        md5_hex(out, "%s:%s:%s:%s:%s:%s", ha1, nonce, nc, cnonce, qop, ha2);
    else
        md5_hex(out, "%s:%s:%s", ha1, nonce, ha2);
}

/* ---- address lists ---- */

static int net_parse(const char *item, size_t len, struct addr_net *n)
{
    char buf[64];
    const char *slash;
    if (len == 0 || len >= sizeof(buf))
        return -1;
    memcpy(buf, item, len);
    buf[len] = '\0';
    slash = strchr(buf, '/');
    if (slash)
        buf[slash - buf] = '\0';
    if (inet_pton(AF_INET, buf, n->a) == 1) {
        n->af = AF_INET;
        n->bits = 32;
    } else if (inet_pton(AF_INET6, buf, n->a) == 1) {
        n->af = AF_INET6;
        n->bits = 128;
    } else
        return -1;
    if (slash) {
        char *end;
        long b = strtol(slash + 1, &end, 10);
        if (*end || end == slash + 1 || b < 0 || b > n->bits)
            return -1;
        n->bits = (int)b;
    }
    return 0;
}

static bool net_has(const struct addr_net *n, int af, const unsigned char *a)
{
    if (af != n->af)
        return false;
    int full = n->bits / 8, rest = n->bits % 8;
    if (memcmp(a, n->a, (size_t)full))
        return false;
    if (!rest)
        return true;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (a[full] & mask) == (n->a[full] & mask);
}

int addr_list_parse(const char *text, struct addr_list *out)
{
    const char *p = text ? text : "";
    out->n = 0;
    while (*p) {
        while (*p == ',' || *p == ' ')
            p++;
        const char *item = p;
        while (*p && *p != ',' && *p != ' ')
            p++;
        size_t len = (size_t)(p - item);
        if (!len)
            continue;
        if (out->n >= ADDR_LIST_MAX)
            return err_set(WASL_EINVAL, "tel.bad_address", "more than %d addresses or networks", ADDR_LIST_MAX);
        if (net_parse(item, len, &out->net[out->n]))
            return err_set(WASL_EINVAL, "tel.bad_address", "'%.*s' is not an address or a network (10.0.0.0/8)", (int)len, item);
        out->n++;
    }
    return 0;
}

bool addr_list_has(const struct addr_list *l, const char *addr)
{
    unsigned char a[16];
    int af;
    if (inet_pton(AF_INET, addr, a) == 1)
        af = AF_INET;
    else if (inet_pton(AF_INET6, addr, a) == 1) {
        af = AF_INET6;
        /* an IPv4 address seen on a dual-stack socket */
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (!memcmp(a, mapped, 12)) {
            memmove(a, a + 12, 4);
            af = AF_INET;
        }
    } else
        return false;
    for (int i = 0; i < l->n; i++)
        if (net_has(&l->net[i], af, a))
            return true;
    return false;
}
