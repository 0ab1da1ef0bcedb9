/*
 * Fuzz target: a SIP request as it comes in one UDP datagram, through
 * libre's parser and wasl's check of malformed requests (sipcheck.c), and
 * the SDP offer in its body (or the input itself when it starts with
 * "v=") through libre's SDP parser and wasl's choice of codec. The saved
 * corpus holds RFC 4475's torture messages, valid and invalid, as plain
 * files the SIP suite also sends to a running wasl.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tel/tel_int.h"
#include "common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The body after the first blank line, if any. */
static const char *body_of(const char *s, size_t n, size_t *len)
{
    for (size_t i = 0; i + 3 < n; i++)
        if (!memcmp(s + i, "\r\n\r\n", 4)) {
            *len = n - i - 4;
            return s + i + 4;
        }
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        log_set_level(LOG_ERROR);
        ready = true;
    }
    const char *s = (const char *)data;
    const char *reason = NULL;
    bool alaw;
    int te;
    if (size >= 2 && !memcmp(s, "v=", 2)) {
        if (!sdp_offer_check(s, size, &alaw, &te) && te > 127)
            __builtin_trap(); /* a payload type is 7 bits */
        return 0;
    }
    int r = sipcheck_datagram(s, size, &reason);
    if (r != SIPCHECK_OK && r != SIPCHECK_DROP && (r < 400 || r > 499 || !reason || !*reason))
        __builtin_trap(); /* an answer is a 4xx that names the fault */
    size_t blen = 0;
    const char *body = body_of(s, size, &blen);
    if (r == SIPCHECK_OK && body && blen)
        (void)sdp_offer_check(body, blen, &alaw, &te);
    err_clear();
    return 0;
}
