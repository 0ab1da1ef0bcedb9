/*
 * SRTP with SDES keys (RFC 3711, RFC 4568) on a leg: the a=crypto lines of
 * its SDP (one suite, AES_CM_128_HMAC_SHA1_80; a random key per leg) and
 * libre's SRTP on its RTP socket, as a UDP helper under the RTP stack, so
 * that the relay, the player and strict RTP see plain RTP. Keys go only
 * into SIP carried over TLS: SDES keys in clear signalling are readable by
 * anyone who sees that signalling, who can then decrypt the audio.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "rt.h"

#define SUITE "AES_CM_128_HMAC_SHA1_80"
/* Under the RTP stack: its packets pass here last on the way out, first
 * on the way in. */
#define LAYER_SRTP 20

int sdes_mode_parse(const char *s, enum sdes_mode *out)
{
    static const char *const names[] = {"off", "optional", "required"};
    for (int i = 0; i < 3; i++)
        if (!strcmp(s, names[i])) {
            *out = (enum sdes_mode)i;
            return 0;
        }
    return err_set(WASL_EINVAL, "conf.invalid", "'%s' is not off, optional or required", s);
}

enum sdes_mode trunk_srtp_mode(const char *addr)
{
    if (addr_list_has(&rt.cfg.trunks_srtp_req, addr))
        return SDES_REQUIRED;
    return addr_list_has(&rt.cfg.trunks_srtp, addr) ? SDES_OPTIONAL : SDES_OFF;
}

int leg_srtp_policy(struct leg *l, enum sdes_mode mode, bool tls)
{
    l->sig_tls = tls;
    l->sdes = mode;
    if (mode == SDES_OFF || tls || rt.cfg.srtp_in_clear)
        return 0;
    /* Keys cannot go over this signalling: plain RTP when SRTP is only
     * wished for; nothing when it is required. */
    l->sdes = SDES_OFF;
    return mode == SDES_REQUIRED
               ? err_set(WASL_EPERM, "tel.srtp_needs_tls", "SRTP is required on this leg, and its SIP is not over TLS")
               : 0;
}

static bool rtcp_packet(const struct mbuf *mb)
{
    /* RFC 5761: payload types 64-95 are RTCP's (a peer's RTCP sent to the
     * RTP port, or to a neighbour's) */
    uint8_t pt = mbuf_get_left(mb) >= 2 ? mbuf_buf(mb)[1] & 0x7f : 0;
    return pt >= 64 && pt <= 95;
}

static bool send_h(int *err, struct sa *dst, struct mbuf *mb, void *arg)
{
    struct leg *l = arg;
    size_t start = mb->pos;
    if (!l->srtp_tx)
        return l->sdes == SDES_REQUIRED; /* nothing in clear on a leg that must be SRTP, even before the keys */
    if (rtcp_packet(mb))
        return false;
    if ((*err = srtp_encrypt(l->srtp_tx, mb)))
        return true; /* never sent in clear */
    mb->pos = start;
    tel_count(M_SRTP_TX, 1);
    return false;
}

static bool recv_h(struct sa *src, struct mbuf *mb, void *arg)
{
    struct leg *l = arg;
    size_t start = mb->pos;
    if (!l->srtp_rx) {
        if (l->sdes != SDES_REQUIRED)
            return false;
        tel_count(M_SRTP_DROPPED, 1); /* plain RTP on a leg that must be SRTP */
        return true;
    }
    if (rtcp_packet(mb))
        return true; /* wasl runs no RTCP */
    if (srtp_decrypt(l->srtp_rx, mb)) {
        /* a wrong key or tag (forged, damaged, a stranger's) or a replay */
        tel_count(M_SRTP_DROPPED, 1);
        return true;
    }
    mb->pos = start;
    tel_count(M_SRTP_RX, 1);
    return false;
}

static int crypto_line(struct leg *l, int tag)
{
    char b64[64];
    size_t n = sizeof(b64) - 1;
    int err = base64_encode(l->key_tx, SDES_KEY_LEN, b64, &n);
    if (err)
        return err;
    b64[n] = '\0';
    l->crypto_tag = tag;
    return sdp_media_set_lattr(l->m, true, "crypto", "%d " SUITE " inline:%s", tag, b64);
}

int leg_srtp_attach(struct leg *l)
{
    if (l->sdes == SDES_OFF)
        return 0;
    randombytes_buf(l->key_tx, SDES_KEY_LEN);
    int err = udp_register_helper(&l->srtp_uh, rtp_sock(l->rtp), LAYER_SRTP, send_h, recv_h, l);
    if (!err && l->uac)
        err = crypto_line(l, 1);
    return err;
}

int sdes_crypto_parse(const char *value, int *tag, unsigned char key[SDES_KEY_LEN])
{
    char suite[40], b64[128];
    unsigned char buf[96];
    size_t n = sizeof(buf);
    int used = 0;
    if (sscanf(value, "%d %39s inline:%127[^| ]%n", tag, suite, b64, &used) != 3 || *tag < 0 || *tag > 999999999 ||
        strcmp(suite, SUITE))
        return WASL_EINVAL;
    const char *rest = value + used;
    if (*rest == '|') {
        /* a lifetime ("2^31", "1048576") is fine; "|1:4" (one field with a
         * colon) or a second field is an MKI, which libre's SRTP lacks */
        size_t l = strcspn(rest + 1, " ");
        if (memchr(rest + 1, '|', l) || memchr(rest + 1, ':', l))
            return WASL_EINVAL;
        rest += 1 + l;
    }
    if (*rest)
        return WASL_EINVAL; /* session parameters (UNENCRYPTED_SRTP, KDR, ...) */
    if (base64_decode(b64, strlen(b64), buf, &n) || n != SDES_KEY_LEN)
        return WASL_EINVAL;
    memcpy(key, buf, SDES_KEY_LEN);
    return 0;
}

struct crypto {
    int tag;
    uint8_t key[SDES_KEY_LEN];
    bool found, want_tag;
};

/* The first usable line of our suite (an answer's: the tag we offered). */
static bool crypto_h(const char *name, const char *value, void *arg)
{
    struct crypto *c = arg;
    int tag;
    uint8_t key[SDES_KEY_LEN];
    if (sdes_crypto_parse(value, &tag, key) || (c->want_tag && tag != c->tag))
        return false;
    memcpy(c->key, key, SDES_KEY_LEN);
    c->tag = tag;
    c->found = true;
    return true;
}

static int srtp_start(struct leg *l, const uint8_t *rx_key)
{
    int err;
    if (l->srtp_on && !memcmp(l->key_rx, rx_key, SDES_KEY_LEN))
        return 0;
    struct srtp *rx = NULL, *tx = NULL;
    if ((err = srtp_alloc(&rx, SRTP_AES_CM_128_HMAC_SHA1_80, rx_key, SDES_KEY_LEN, 0)))
        return err;
    if (!l->srtp_tx && (err = srtp_alloc(&tx, SRTP_AES_CM_128_HMAC_SHA1_80, l->key_tx, SDES_KEY_LEN, 0))) {
        mem_deref(rx);
        return err;
    }
    mem_deref(l->srtp_rx);
    l->srtp_rx = rx;
    if (tx)
        l->srtp_tx = tx;
    memcpy(l->key_rx, rx_key, SDES_KEY_LEN);
    l->srtp_on = true;
    return 0;
}

int leg_srtp_remote(struct leg *l, bool offer)
{
    struct crypto c = {.tag = l->crypto_tag, .want_tag = !offer};
    bool savp = !strcmp(sdp_media_proto(l->m), sdp_proto_rtpsavp);
    if (l->sdes != SDES_OFF)
        sdp_media_rattr_apply(l->m, "crypto", crypto_h, &c);
    if (!c.found) {
        /* No usable key: plain RTP, unless SRTP is required, the peer
         * asked for RTP/SAVP, or the call was encrypted until now (a
         * re-INVITE may not downgrade it). */
        if (l->sdes == SDES_REQUIRED || savp || l->srtp_on)
            return EPROTO;
        if (offer)
            sdp_media_del_lattr(l->m, "crypto");
        return 0;
    }
    if (offer) {
        /* answered with our key (drawn at attach, kept across re-INVITEs)
         * on the line chosen */
        int err = crypto_line(l, c.tag);
        if (err)
            return err;
    }
    return srtp_start(l, c.key);
}

void leg_srtp_close(struct leg *l)
{
    l->srtp_uh = mem_deref(l->srtp_uh);
    l->srtp_tx = mem_deref(l->srtp_tx);
    l->srtp_rx = mem_deref(l->srtp_rx);
    l->srtp_on = false;
    sodium_memzero(l->key_tx, sizeof(l->key_tx));
    sodium_memzero(l->key_rx, sizeof(l->key_rx));
}
