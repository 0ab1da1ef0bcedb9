/*
 * Fuzz target: the early look at a SIP datagram under overload
 * (src/tel/sipscan.c) and the 503 built from it (overload.c). Whatever it
 * takes must be what libre and sipcheck.c take the same way: libre parses
 * it as an INVITE without a To tag, with the same Call-ID and top branch,
 * and sipcheck.c passes it; and its 503 is built in full or not at all.
 * An ACK it reads is libre's ACK with the same Call-ID and To tag.
 * The corpus holds plain INVITEs as carriers send them (one to three Vias,
 * compact names, display names, bodies) and near misses.
 */
#include <re.h>
#include <stdint.h>
#include <string.h>

#include "tel/tel_int.h"
#include "common.h"

/* sipscan.c's ACK reader (rt.h, which the targets do not include) */
bool sipscan_ack(const char *buf, size_t n, struct pl *callid, struct pl *totag);

/* An ACK the scanner reads must be libre's ACK with the same Call-ID and
 * To tag (the early look drops the ACKs of its own 503s by them). */
static void ack(const uint8_t *data, size_t size)
{
    struct pl callid, tag;
    if (!sipscan_ack((const char *)data, size, &callid, &tag))
        return;
    struct mbuf *mb = mbuf_alloc(size ? size : 1);
    struct sip_msg *msg = NULL;
    if (!mb)
        return;
    mbuf_write_mem(mb, data, size);
    mb->pos = 0;
    /* libre reads a copy: the same field is at the same offset */
    const char *b = (const char *)mb->buf, *d = (const char *)data;
    if (sip_msg_decode(&msg, mb) || !msg->req || pl_strcmp(&msg->met, "ACK") || msg->callid.p - b != callid.p - d ||
        msg->callid.l != callid.l || msg->to.tag.p - b != tag.p - d || msg->to.tag.l != tag.l)
        __builtin_trap();
    mem_deref(msg);
    mem_deref(mb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    static char out[8192];
    if (!ready) {
        log_set_level(LOG_ERROR);
        ready = true;
    }
    const char *s = (const char *)data;
    struct sipscan scan;
    ack(data, size);
    if (!sipscan_invite(s, size, &scan))
        return 0;
    /* libre's reading of the same bytes */
    struct mbuf *mb = mbuf_alloc(size ? size : 1);
    struct sip_msg *msg = NULL;
    const char *reason = NULL;
    if (!mb)
        return 0;
    mbuf_write_mem(mb, data, size);
    mb->pos = 0;
    if (sip_msg_decode(&msg, mb))
        __builtin_trap(); /* taken, but libre drops it */
    if (!msg->req || pl_strcmp(&msg->met, "INVITE") || pl_isset(&msg->to.tag))
        __builtin_trap(); /* not a new call for libre */
    /* libre reads a copy: the same field is at the same offset */
    const char *b = (const char *)mb->buf;
    if (msg->callid.p - b != scan.callid - s || msg->callid.l != scan.callid_l || msg->via.branch.p - b != scan.branch - s ||
        msg->via.branch.l != scan.branch_l)
        __builtin_trap(); /* another Call-ID or branch: another memo entry */
    if (sipcheck_datagram(s, size, &reason) != SIPCHECK_OK)
        __builtin_trap(); /* taken, but sipcheck.c would answer 4xx */
    int n = ovl_reply_text(s, size, "192.0.2.1", 5060, 2, 0, NULL, 1, out, sizeof(out));
    if (n >= 0 && ((size_t)n != strlen(out) || memcmp(out, "SIP/2.0 503 ", 12) || n < 4 || memcmp(out + n - 4, "\r\n\r\n", 4)))
        __builtin_trap(); /* an answer is whole */
    (void)ovl_reply_text(s, size, "192.0.2.7", 40000, 0, 50, "1.000", 2, out, sizeof(out));
    mem_deref(msg);
    mem_deref(mb);
    err_clear();
    return 0;
}
