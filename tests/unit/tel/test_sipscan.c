/*
 * The early look at a datagram under overload (src/tel/sipscan.c) and the
 * 503 built from it (overload.c): which requests it takes, that libre and
 * sipcheck.c take each of those the same way (same Call-ID and branch, no
 * To tag, well-formed), and the exact bytes of the answer, the same as
 * libre's sip_reply() writes (src/sip/reply.c) for the libre path.
 */
#include <re.h>

#include "test.h"
#include "tel/tel_int.h"

#define RL "INVITE sip:+33800100200@192.0.2.9:5060 SIP/2.0\r\n"
#define VIA "Via: SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bKa1;rport\r\n"
#define FROM "From: <sip:caller@192.0.2.1>;tag=f1\r\n"
#define TO "To: <sip:+33800100200@192.0.2.9>\r\n"
#define CID "Call-ID: scan-1@192.0.2.1\r\n"
#define CSEQ "CSeq: 1 INVITE\r\n"
#define SDP "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"
#define BODY "Content-Type: application/sdp\r\nContent-Length: 87\r\n\r\n" SDP

/* What libre and sipcheck.c make of a datagram the scanner took: it must
 * be a well-formed INVITE outside a dialog with the same Call-ID and top
 * branch. Returns NULL when they agree, else what differs. */
static const char *libre_disagrees(const char *buf, size_t n, const struct sipscan *s)
{
    struct mbuf *mb = mbuf_alloc(n + 1);
    struct sip_msg *msg = NULL;
    const char *why = NULL, *reason = NULL;
    mbuf_write_mem(mb, (const uint8_t *)buf, n);
    mb->pos = 0;
    if (sip_msg_decode(&msg, mb))
        why = "libre cannot parse it";
    else if (!msg->req || pl_strcmp(&msg->met, "INVITE"))
        why = "not an INVITE for libre";
    else if (pl_isset(&msg->to.tag))
        why = "libre sees a To tag";
    /* libre reads a copy: the same field is at the same offset */
    else if (msg->callid.p - (const char *)mb->buf != s->callid - buf || msg->callid.l != s->callid_l)
        why = "another Call-ID";
    else if (msg->via.branch.p - (const char *)mb->buf != s->branch - buf || msg->via.branch.l != s->branch_l)
        why = "another branch";
    else if (sipcheck_datagram(buf, n, &reason) != SIPCHECK_OK)
        why = "sipcheck.c answers it";
    mem_deref(msg);
    mem_deref(mb);
    return why;
}

/* Taken (true) or left to libre (false), and for each taken one, the same
 * reading as libre's. */
static void what_it_takes(void **state)
{
    static const struct {
        const char *msg;
        bool taken;
    } cases[] = {
        {RL VIA "Max-Forwards: 70\r\n" FROM TO CID CSEQ BODY, true},
        {RL VIA FROM TO CID CSEQ "\r\n", true},
        {RL "v: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa2\r\nf: <sip:a@192.0.2.1>;tag=1\r\nt: <sip:b@192.0.2.9>\r\n"
            "i: compact@192.0.2.1\r\nCSeq: 7 INVITE\r\nl: 0\r\n\r\n",
         true},
        {RL "Via: SIP/2.0/UDP proxy.example.net;branch=z9hG4bKp1\r\n" VIA FROM TO CID CSEQ "\r\n", true},
        {RL VIA "From: \"Caller, A\" <sip:caller@192.0.2.1>;tag=f1\r\n" TO CID CSEQ "\r\n", true},
        {RL VIA "From   :   <sip:caller@192.0.2.1>;tag=f1   \r\n" TO CID CSEQ "\r\n", true},
        {"INVITE tel:+33800100200 SIP/2.0\r\n" VIA FROM TO CID CSEQ "\r\n", true},
        /* not a new call: libre's */
        {RL VIA FROM "To: <sip:+33800100200@192.0.2.9>;tag=t9\r\n" CID CSEQ "\r\n", false},
        {RL VIA FROM "To: <sip:+33800100200@192.0.2.9>;TAG=t9\r\n" CID CSEQ "\r\n", false},
        {"REGISTER sip:192.0.2.9 SIP/2.0\r\n" VIA FROM TO CID "CSeq: 1 REGISTER\r\n\r\n", false},
        {"BYE sip:x@192.0.2.9 SIP/2.0\r\n" VIA FROM TO CID "CSeq: 2 BYE\r\n\r\n", false},
        {"ACK sip:x@192.0.2.9 SIP/2.0\r\n" VIA FROM TO CID "CSeq: 1 ACK\r\n\r\n", false},
        {"SIP/2.0 200 OK\r\n" VIA FROM TO CID CSEQ "\r\n", false},
        /* malformed: sipcheck.c's 400/416/420, or libre drops it */
        {RL VIA FROM TO CSEQ "\r\n", false},
        {RL VIA FROM TO CID "CSeq: 1 OPTIONS\r\n\r\n", false},
        {RL VIA FROM TO CID "CSeq: 2147483648 INVITE\r\n\r\n", false},
        {RL VIA FROM TO CID CSEQ "Content-Length: 10\r\n\r\nshort", false},
        {RL VIA FROM TO CID CSEQ "Content-Length: -1\r\n\r\n", false},
        {RL VIA FROM TO CID CSEQ "Content-Length: 0\r\nl: 0\r\n\r\n", false},
        {RL VIA FROM TO CID CSEQ "Max-Forwards: 256\r\n\r\n", false},
        {RL VIA FROM TO CID CSEQ "Require: 100rel\r\n\r\n", false},
        {RL VIA FROM TO CID CSEQ "Contact: sip:x@192.0.2.1?Subject=y\r\n\r\n", false},
        {RL VIA FROM "From: <sip:other@192.0.2.1>;tag=2\r\n" TO CID CSEQ "\r\n", false},
        {RL VIA "From: \"unterminated <sip:caller@192.0.2.1>;tag=f1\r\n" TO CID CSEQ "\r\n", false},
        {RL "Via: SIP/2.0/UDP 192.0.2.1\r\n" FROM TO CID CSEQ "\r\n", false}, /* no branch */
        {RL "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa,SIP/2.0/UDP 192.0.2.3;branch=z9hG4bKb\r\n" FROM TO CID CSEQ "\r\n", false},
        {RL FROM TO CID CSEQ "\r\n", false},
        {"INVITE sip:+33800100200@192.0.2.9?Subject=x SIP/2.0\r\n" VIA FROM TO CID CSEQ "\r\n", false},
        {"INVITE <sip:+33800100200@192.0.2.9> SIP/2.0\r\n" VIA FROM TO CID CSEQ "\r\n", false},
        {"INVITE mailto:a@example.com SIP/2.0\r\n" VIA FROM TO CID CSEQ "\r\n", false},
        {"INVITE sip:+33800100200@192.0.2.9 SIP/7.0\r\n" VIA FROM TO CID CSEQ "\r\n", false},
        {"INVITE  sip:+33800100200@192.0.2.9 SIP/2.0\r\n" VIA FROM TO CID CSEQ "\r\n", false},
        /* what libre takes but the scanner is not sure of: left to libre */
        {"INVITE sip:+33800100200@192.0.2.9 SIP/2.0\n" VIA FROM TO CID CSEQ "\r\n", false},
        {RL VIA FROM TO CID CSEQ "Subject: folded\r\n over two lines\r\n\r\n", false},
        {RL VIA FROM TO CID CSEQ, false}, /* no end of the header */
        {"", false},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sipscan s;
        size_t n = strlen(cases[i].msg);
        bool got = sipscan_invite(cases[i].msg, n, &s);
        if (got != cases[i].taken)
            fail_msg("case %zu: %s, wanted %s", i, got ? "taken" : "left to libre", cases[i].taken ? "taken" : "left to libre");
        const char *why = got ? libre_disagrees(cases[i].msg, n, &s) : NULL;
        if (why)
            fail_msg("case %zu: taken, but %s", i, why);
    }
    static const char nul[] = RL VIA FROM TO CID CSEQ "X-Null: a\0b\r\n\r\n";
    struct sipscan s;
    assert_false(sipscan_invite(nul, sizeof(nul) - 1, &s)); /* a NUL inside: libre's to judge */
}

/* The exact answer: libre's layout (Vias, From, To with a tag, Call-ID,
 * CSeq, Server, Retry-After, Content-Length), rport and received filled in
 * as libre does, or RFC 7339's oc in the top Via for a carrier that asked. */
static void the_503(void **state)
{
    static const struct {
        const char *msg, *ip;
        int port, retry_after;
        const char *seq, *want;
    } cases[] = {
        {RL VIA FROM TO CID CSEQ BODY, "192.0.2.1", 5070, 2, NULL,
         "SIP/2.0 503 Service Unavailable\r\n"
         "Via: SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bKa1;rport=5070;received=192.0.2.1\r\n"
         "From: <sip:caller@192.0.2.1>;tag=f1\r\n"
         "To: <sip:+33800100200@192.0.2.9>;tag=00000000deadbeef\r\n"
         "Call-ID: scan-1@192.0.2.1\r\n"
         "CSeq: 1 INVITE\r\n"
         "Server: wasl\r\nRetry-After: 2\r\nContent-Length: 0\r\n\r\n"},
        /* no rport, sent from the Via's address: no received; two Vias, compact names kept */
        {RL "v: SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bKa2\r\nVia: SIP/2.0/UDP 10.1.1.1;branch=z9hG4bKz\r\n"
            "t: <sip:b@192.0.2.9>\r\nf: <sip:a@192.0.2.1>;tag=1\r\ni: c2@192.0.2.1\r\nCSeq: 7 INVITE\r\n\r\n",
         "192.0.2.1", 5070, 0, NULL,
         "SIP/2.0 503 Service Unavailable\r\n"
         "v: SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bKa2\r\nVia: SIP/2.0/UDP 10.1.1.1;branch=z9hG4bKz\r\n"
         "t: <sip:b@192.0.2.9>;tag=00000000deadbeef\r\nf: <sip:a@192.0.2.1>;tag=1\r\ni: c2@192.0.2.1\r\nCSeq: 7 INVITE\r\n"
         "Server: wasl\r\nContent-Length: 0\r\n\r\n"},
        /* behind a NAT: received; rport in the middle moves to the end, as libre writes it */
        {RL "Via: SIP/2.0/UDP 10.0.0.5:5060;rport;branch=z9hG4bKa3\r\n" FROM TO CID CSEQ "\r\n", "192.0.2.7", 40000, 2, NULL,
         "SIP/2.0 503 Service Unavailable\r\n"
         "Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bKa3;rport=40000;received=192.0.2.7\r\n" FROM
         "To: <sip:+33800100200@192.0.2.9>;tag=00000000deadbeef\r\n" CID CSEQ
         "Server: wasl\r\nRetry-After: 2\r\nContent-Length: 0\r\n\r\n"},
        /* RFC 7339: oc in the top Via, no Retry-After */
        {RL "Via: SIP/2.0/UDP 192.0.2.3:5060;branch=z9hG4bKa4;rport;oc\r\n" FROM TO CID CSEQ "\r\n", "192.0.2.3", 5060, 2,
         "1700000000.123",
         "SIP/2.0 503 Service Unavailable\r\n"
         "Via: SIP/2.0/UDP 192.0.2.3:5060;branch=z9hG4bKa4;rport=5060;oc=30;oc-algo=\"loss\";oc-validity=1000;"
         "oc-seq=1700000000.123;received=192.0.2.3\r\n" FROM "To: <sip:+33800100200@192.0.2.9>;tag=00000000deadbeef\r\n" CID CSEQ
         "Server: wasl\r\nContent-Length: 0\r\n\r\n"},
    };
    char out[2048];
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int n = ovl_reply_text(cases[i].msg, strlen(cases[i].msg), cases[i].ip, cases[i].port, cases[i].retry_after, 30,
                               cases[i].seq, 0xdeadbeef, out, sizeof(out));
        if (n < 0)
            fail_msg("case %zu: no answer", i);
        assert_string_equal(out, cases[i].want);
        assert_int_equal(n, (int)strlen(cases[i].want));
        /* too small: no answer, never a cut one */
        assert_int_equal(
            ovl_reply_text(cases[i].msg, strlen(cases[i].msg), cases[i].ip, cases[i].port, 2, 30, cases[i].seq, 1, out, (size_t)n),
            -1);
    }
    assert_int_equal(ovl_reply_text(RL VIA FROM TO "To: <sip:x@192.0.2.9>;tag=1\r\n" CID CSEQ "\r\n", 200, "192.0.2.1", 5070, 2, 0,
                                    NULL, 1, out, sizeof(out)),
                     -1);
}

bool sipscan_ack(const char *buf, size_t n, struct pl *callid, struct pl *totag);

/* The ACKs of wasl's own 503s, which the early look drops: read only when
 * the scanner is sure, with libre's Call-ID and To tag. */
static void acks(void **state)
{
    static const struct {
        const char *msg, *callid, *tag;
    } cases[] = {
        {"ACK sip:+33800100200@192.0.2.9:5060 SIP/2.0\r\n" VIA FROM "To: <sip:+33800100200@192.0.2.9>;tag=00000000deadbeef\r\n" CID
         "CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n",
         "scan-1@192.0.2.1", "00000000deadbeef"},
        {"ACK sip:x@192.0.2.9 SIP/2.0\r\ni: c@h\r\nt: <sip:x@192.0.2.9>;tag=ab\r\n\r\n", "c@h", "ab"},
        {"ACK sip:x@192.0.2.9 SIP/2.0\r\n" VIA FROM TO CID "CSeq: 1 ACK\r\n\r\n", NULL, NULL}, /* no To tag */
        {"ACK sip:x@192.0.2.9 SIP/2.0\r\n" VIA FROM "To: <sip:x@h>;tag=a\r\nTo: <sip:x@h>;tag=b\r\n" CID "\r\n", NULL, NULL},
        {"ACK sip:x@192.0.2.9 SIP/2.0\r\n" VIA FROM "To: <sip:x@h>;tag=a\r\n" CID, NULL, NULL},             /* no end */
        {"ACK sip:x@192.0.2.9 SIP/2.0\r\n" VIA FROM "To: <sip:x@h>;\r\n tag=a\r\n" CID "\r\n", NULL, NULL}, /* folded */
        {"BYE sip:x@192.0.2.9 SIP/2.0\r\n" VIA FROM "To: <sip:x@h>;tag=a\r\n" CID "\r\n", NULL, NULL},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct pl callid, tag;
        bool got = sipscan_ack(cases[i].msg, strlen(cases[i].msg), &callid, &tag);
        if (got != (cases[i].callid != NULL))
            fail_msg("case %zu: %s", i, got ? "read" : "not read");
        if (got && (pl_strcmp(&callid, cases[i].callid) || pl_strcmp(&tag, cases[i].tag)))
            fail_msg("case %zu: Call-ID '%.*s', tag '%.*s'", i, (int)callid.l, callid.p, (int)tag.l, tag.p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(what_it_takes),
        cmocka_unit_test(the_503),
        cmocka_unit_test(acks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
