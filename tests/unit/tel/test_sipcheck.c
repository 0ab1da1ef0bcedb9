/*
 * What wasl takes from a carrier before a call exists: the check of
 * malformed requests (sipcheck.c, after libre's own parser) and the SDP
 * offer's codec (media.c, after libre's SDP parser). Real libre parsers,
 * tables of messages.
 */
#include "test.h"
#include "tel/tel_int.h"

#define HEAD "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"

/* RFC 4566 section 6 and RFC 3551 table 4: static payload types need no
 * a=rtpmap; a dynamic one does; telephone-event is dynamic. */
static void sdp_static_payload_types(void **state)
{
    static const struct {
        const char *sdp;
        int ok;
        bool alaw;
        int te;
    } cases[] = {
        {HEAD "m=audio 4000 RTP/AVP 0 8\r\n", 1, false, -1},
        {HEAD "m=audio 4000 RTP/AVP 8 0\r\n", 1, true, -1},
        {HEAD "m=audio 4000 RTP/AVP 8\r\n", 1, true, -1},
        {HEAD "m=audio 4000 RTP/AVP 18 0\r\n", 1, false, -1},
        {HEAD "m=audio 4000 RTP/AVP 18 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n", 1, true, 101},
        {HEAD "m=audio 4000 RTP/AVP 0 101\r\n", 1, false, -1}, /* 101 without its rtpmap: no RFC 4733 */
        {HEAD "m=audio 4000 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n", 1, false, -1},
        {HEAD "m=audio 4000 RTP/AVP 96 0\r\na=rtpmap:96 PCMA/8000\r\n", 1, true, -1}, /* PCMA numbered 96 */
        {HEAD "m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMA/8000\r\n", 1, false, -1},    /* 0 is PCMU whatever it says */
        {HEAD "m=audio 4000 RTP/AVP 18\r\n", 0, false, -1},
        {HEAD "m=audio 4000 RTP/AVP 3 4 9\r\n", 0, false, -1},
        {HEAD "m=audio 4000 RTP/AVP 96\r\n", 0, false, -1}, /* dynamic, no rtpmap: unusable */
        {HEAD "m=audio 4000 RTP/AVP 00\r\n", 0, false, -1},
        {HEAD "m=audio 4000 RTP/AVP\r\n", 0, false, -1},
        {HEAD "m=video 4000 RTP/AVP 0\r\n", 0, false, -1},
        {"this is not SDP\r\n", 0, false, -1},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bool alaw = !cases[i].alaw;
        int te = -7;
        int err = sdp_offer_check(cases[i].sdp, strlen(cases[i].sdp), &alaw, &te);
        if (cases[i].ok != !err)
            fail_msg("case %zu: %s", i, err ? "refused" : "accepted");
        if (!err) {
            assert_int_equal(alaw, cases[i].alaw);
            assert_int_equal(te, cases[i].te);
        }
    }
}

#define VIA "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx1\r\n"
#define FROM "From: <sip:caller@example.net>;tag=1\r\n"
#define TO "To: <sip:+33800100200@example.com>\r\n"
#define CID "Call-ID: check-1@192.0.2.1\r\n"
#define CSEQ "CSeq: 1 OPTIONS\r\n"
#define RL "OPTIONS sip:+33800100200@example.com SIP/2.0\r\n"

/* RFC 3261 8.1.1, 8.2, 18.3 and RFC 4475: the answer (0: handled, -1:
 * dropped) and a word of its reason phrase. */
static void malformed_requests(void **state)
{
    static const struct {
        const char *msg;
        int code;
        const char *reason;
    } cases[] = {
        {RL VIA FROM TO CID CSEQ "Content-Length: 0\r\n\r\n", SIPCHECK_OK, NULL},
        {RL VIA FROM TO CID CSEQ "\r\n", SIPCHECK_OK, NULL},
        {RL VIA FROM TO CSEQ "Content-Length: 0\r\n\r\n", 400, "Call-ID"},
        {RL VIA TO CID CSEQ "\r\n", 400, "From"},
        {RL VIA FROM CID CSEQ "\r\n", 400, "To"},
        {RL VIA FROM TO CID "\r\n", 400, "CSeq"},
        {RL FROM TO CID CSEQ "\r\n", SIPCHECK_DROP, NULL}, /* no Via: nowhere to answer */
        {RL VIA FROM TO CID CSEQ "Content-Length: -5\r\n\r\n", 400, "Content-Length"},
        {RL VIA FROM TO CID CSEQ "Content-Length: five\r\n\r\n", 400, "Content-Length"},
        {RL VIA FROM TO CID CSEQ "Content-Length: 10\r\n\r\nshort", 400, "Larger"},
        {RL VIA FROM TO CID CSEQ "Content-Length: 4\r\n\r\nfour and more", SIPCHECK_OK, NULL},
        {RL VIA FROM TO CID CSEQ "Content-Length: 0\r\nl: 0\r\n\r\n", 400, "Multiple Content-Length"},
        {RL VIA FROM TO CID "CSeq: 1 INVITE\r\n\r\n", 400, "Method"},
        {RL VIA FROM TO CID "CSeq: 36893488147419103232 OPTIONS\r\n\r\n", 400, "CSeq"},
        {RL VIA FROM TO CID "CSeq: 2147483648 OPTIONS\r\n\r\n", 400, "CSeq"},
        {RL VIA FROM TO CID "CSeq: 0002147483647 OPTIONS\r\n\r\n", SIPCHECK_OK, NULL},
        {RL VIA FROM TO CID CSEQ "Max-Forwards: 300\r\n\r\n", 400, "Max-Forwards"},
        {RL VIA FROM TO CID CSEQ "Max-Forwards: 0068\r\n\r\n", SIPCHECK_OK, NULL},
        {RL VIA FROM TO CID "Call-ID: other@192.0.2.2\r\n" CSEQ "\r\n", 400, "Multiple Call-ID"},
        {RL VIA FROM TO "To: <sip:other@example.net>\r\n" CID CSEQ "\r\n", 400, "Multiple To"},
        {RL VIA "Via: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bKx2,,\r\n" FROM TO CID CSEQ "\r\n", 400, "Via"},
        {RL VIA FROM TO CID CSEQ "Require: nothingSupportsThis\r\n\r\n", 420, "Extension"},
        {RL VIA FROM TO CID CSEQ "Require: 100rel, timer\r\n\r\n", 420, "Extension"},
        {RL VIA FROM TO CID CSEQ "Require: 100rel\r\n\r\n", SIPCHECK_OK, NULL}, /* wasl sends no provisional */
        {"OPTIONS nobodyKnowsThisScheme:totallyopaque SIP/2.0\r\n" VIA FROM TO CID CSEQ "\r\n", 416, "Scheme"},
        {"ACK sip:x@example.com SIP/2.0\r\n" VIA FROM TO "CSeq: 1 ACK\r\n\r\n", SIPCHECK_DROP, NULL}, /* never answered */
        {"SIP/2.0 200 OK\r\n" VIA FROM TO CID CSEQ "\r\n", SIPCHECK_DROP, NULL},
        {"OPTIONS sip:x@example.com SIP/7.0\r\n" VIA FROM TO CID CSEQ "\r\n", SIPCHECK_DROP, NULL},
        {"garbage", SIPCHECK_DROP, NULL},
        {"", SIPCHECK_DROP, NULL},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *reason = NULL;
        int r = sipcheck_datagram(cases[i].msg, strlen(cases[i].msg), &reason);
        if (r != cases[i].code)
            fail_msg("case %zu: %d %s, wanted %d", i, r, reason ? reason : "", cases[i].code);
        if (cases[i].reason && (!reason || !strstr(reason, cases[i].reason)))
            fail_msg("case %zu: reason '%s' does not name '%s'", i, reason ? reason : "", cases[i].reason);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sdp_static_payload_types),
        cmocka_unit_test(malformed_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
