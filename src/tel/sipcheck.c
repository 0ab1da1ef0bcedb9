/*
 * Whether a SIP request is fit to be handled, before any handler sees it
 * (RFC 3261 sections 8.1.1, 8.2 and 18.3; the invalid messages of RFC 4475
 * section 3.1.2 and the semantics tests of its section 3.3). libre has
 * already parsed the message: what it cannot parse (a bad start line, a
 * top Via without a branch, a From or To that is not an address, a CSeq
 * without a number) never reaches wasl. What it lets through is checked
 * here: the mandatory header fields once each, CSeq in range and matching
 * the method, a Content-Length that frames the body, a Max-Forwards that is
 * a number, a Request-URI scheme wasl can serve.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "rt.h"

/* RFC 3261 8.1.1.5: a CSeq number is below 2**31. */
#define CSEQ_MAX 2147483647ULL

/* The value of a decimal field: 0 and its value, or -1 when it is empty,
 * holds anything but digits (a sign, a letter, a space inside), or is
 * larger than max. Leading zeros are fine (RFC 4475 3.1.1.1: "0009"). */
int sipcheck_decimal(const struct pl *v, unsigned long long max, unsigned long long *out)
{
    unsigned long long n = 0;
    if (!pl_isset(v) || !v->l)
        return -1;
    for (size_t i = 0; i < v->l; i++) {
        char ch = v->p[i];
        if (ch < '0' || ch > '9')
            return -1;
        n = n * 10 + (unsigned long long)(ch - '0');
        if (n > max)
            return -1;
    }
    *out = n;
    return 0;
}

int sipcheck_cseq_number(const struct pl *val, unsigned long long *out)
{
    struct pl num = *val;
    size_t i = 0;
    while (i < num.l && num.p[i] >= '0' && num.p[i] <= '9')
        i++;
    num.l = i;
    return sipcheck_decimal(&num, CSEQ_MAX, out);
}

bool sipcheck_via_bad(const struct pl *v)
{
    /* an empty value between commas, or one that is not "SIP / 2.0 / ..."
     * (LWS around the slashes is allowed: RFC 4475 3.1.1.1) */
    const char *p = v->p, *end = v->p + v->l;
    if (v->l < 4 || strncasecmp(p, "SIP", 3))
        return true;
    for (p += 3; p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'); p++)
        ;
    return p == end || *p != '/';
}

static bool via_bad_h(const struct sip_hdr *h, const struct sip_msg *msg, void *arg)
{
    (void)msg;
    (void)arg;
    return sipcheck_via_bad(&h->val);
}

/* The scheme of the Request-URI as sent, up to its first colon: ALPHA
 * *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3261 25.1). False when it is
 * not one ("<sip", RFC 4475 3.1.2.7). */
static bool ruri_scheme(const struct pl *ruri, struct pl *scheme)
{
    const char *colon = pl_strchr(ruri, ':');
    if (!colon || colon == ruri->p || !isalpha((unsigned char)ruri->p[0]))
        return false;
    scheme->p = ruri->p;
    scheme->l = (size_t)(colon - ruri->p);
    for (size_t i = 1; i < scheme->l; i++)
        if (!isalnum((unsigned char)scheme->p[i]) && !strchr("+-.", scheme->p[i]))
            return false;
    return true;
}

/* The double quotes of a From or To value pair up before its <...>
 * (RFC 4475 3.1.2.6: an unterminated quoted string); \" inside a quoted
 * string is an escaped quote (3.1.1.1). */
bool sipcheck_quotes_balanced(const struct pl *v)
{
    bool in = false;
    for (size_t i = 0; v && i < v->l; i++) {
        char ch = v->p[i];
        if (in && ch == '\\' && i + 1 < v->l)
            i++;
        else if (ch == '"')
            in = !in;
        else if (ch == '<' && !in)
            break;
    }
    return !in;
}

/* A Contact whose URI has headers (?...) or parameters must be in <>
 * (RFC 3261 20.10; RFC 4475 3.1.2.13) */
static bool contact_bad_h(const struct sip_hdr *h, const struct sip_msg *msg, void *arg)
{
    (void)msg;
    (void)arg;
    return !pl_strchr(&h->val, '<') && pl_strchr(&h->val, '?');
}

/* Options of Require (RFC 3261 8.2.2.3) wasl does not support: all but
 * 100rel, which asks for reliable provisional responses, and wasl sends
 * none (it answers 200 at once), so a carrier that insists on it is served
 * as it asks. */
struct unsupported {
    char *out;
    size_t n, len;
    int count;
};

static bool unsupported_h(const struct sip_hdr *h, const struct sip_msg *msg, void *arg)
{
    struct unsupported *u = arg;
    (void)msg;
    if (!pl_strcasecmp(&h->val, "100rel"))
        return false;
    if (u->out && u->len + h->val.l + 3 < u->n) {
        if (u->len) {
            memcpy(u->out + u->len, ", ", 2);
            u->len += 2;
        }
        memcpy(u->out + u->len, h->val.p, h->val.l);
        u->len += h->val.l;
        u->out[u->len] = '\0';
    }
    u->count++;
    return false;
}

int sipcheck_unsupported(const struct sip_msg *msg, char *out, size_t n)
{
    struct unsupported u = {out, n, 0, 0};
    if (out && n)
        out[0] = '\0';
    sip_msg_hdr_apply(msg, true, SIP_HDR_REQUIRE, unsupported_h, &u);
    return u.count;
}

/* Single-valued header fields that must appear once (RFC 4475 3.3.9 and
 * 3.3.10: two Call-IDs, two CSeqs, two Content-Lengths). */
static const struct {
    enum sip_hdrid id;
    const char *missing, *multiple;
} once[] = {
    {SIP_HDR_CALL_ID, "Missing Call-ID", "Multiple Call-ID Header Fields"},
    {SIP_HDR_FROM, "Missing From", "Multiple From Header Fields"},
    {SIP_HDR_TO, "Missing To", "Multiple To Header Fields"},
    {SIP_HDR_CSEQ, "Missing CSeq", "Multiple CSeq Header Fields"},
    {SIP_HDR_CONTENT_LENGTH, NULL, "Multiple Content-Length Header Fields"},
    {SIP_HDR_MAX_FORWARDS, NULL, "Multiple Max-Forwards Header Fields"},
    {SIP_HDR_CONTENT_TYPE, NULL, "Multiple Content-Type Header Fields"},
};

int sipcheck_request(const struct sip_msg *msg, const char **reason)
{
    unsigned long long n;
    const struct sip_hdr *h;
    *reason = NULL;
    /* no Via: nowhere to send an answer (RFC 3261 18.2.2); and an ACK is
     * never answered (17.2.1, 17.2.3) */
    if (!pl_isset(&msg->via.sentby) || !sip_msg_hdr(msg, SIP_HDR_VIA))
        return SIPCHECK_DROP;
    bool ack = !pl_strcmp(&msg->met, "ACK");
    int code = 400;
    for (size_t i = 0; i < sizeof(once) / sizeof(once[0]); i++) {
        uint32_t k = sip_msg_hdr_count(msg, once[i].id);
        if (!k && once[i].missing) {
            *reason = once[i].missing;
            goto bad;
        }
        if (k > 1) {
            *reason = once[i].multiple;
            goto bad;
        }
    }
    if (!msg->callid.l) {
        *reason = "Empty Call-ID";
        goto bad;
    }
    if (sip_msg_hdr_apply(msg, true, SIP_HDR_VIA, via_bad_h, NULL)) {
        *reason = "Bad Via";
        goto bad;
    }
    const struct sip_hdr *from = sip_msg_hdr(msg, SIP_HDR_FROM), *to = sip_msg_hdr(msg, SIP_HDR_TO);
    if (!sipcheck_quotes_balanced(from ? &from->val : NULL) || !sipcheck_quotes_balanced(to ? &to->val : NULL)) {
        *reason = "Unterminated Quoted String in From or To";
        goto bad;
    }
    if (sip_msg_hdr_apply(msg, true, SIP_HDR_CONTACT, contact_bad_h, NULL)) {
        *reason = "Contact With Headers Not in <>";
        goto bad;
    }
    h = sip_msg_hdr(msg, SIP_HDR_CSEQ);
    if (sipcheck_cseq_number(&h->val, &n)) {
        *reason = "Bad CSeq Number";
        goto bad;
    }
    if (pl_cmp(&msg->cseq.met, &msg->met)) {
        *reason = "CSeq Method Does Not Match";
        goto bad;
    }
    if (pl_isset(&msg->maxfwd) && sipcheck_decimal(&msg->maxfwd, SIPCHECK_MAXFWD_MAX, &n)) {
        *reason = "Bad Max-Forwards";
        goto bad;
    }
    if (pl_isset(&msg->clen)) {
        size_t body = mbuf_get_left(msg->mb);
        if (sipcheck_decimal(&msg->clen, SIPCHECK_CLEN_MAX, &n)) {
            *reason = "Bad Content-Length";
            goto bad;
        }
        /* RFC 3261 18.3: over UDP a body shorter than Content-Length is an
         * error; octets after it are discarded (4475 3.1.1.8: a second
         * request in the same datagram is noise). libre frames TCP itself. */
        if (msg->tp == SIP_TRANSP_UDP && n > body) {
            *reason = "Content-Length Larger Than Body";
            goto bad;
        }
        if (n < body)
            msg->mb->end = msg->mb->pos + (size_t)n;
    }
    struct pl scheme;
    if (!ruri_scheme(&msg->ruri, &scheme)) {
        *reason = "Bad Request-URI"; /* "<sip:...>" (RFC 4475 3.1.2.7) */
        goto bad;
    }
    /* wasl serves SIP URIs (and tel: URIs, whose number then decides) */
    if (pl_strcasecmp(&scheme, "sip") && pl_strcasecmp(&scheme, "sips") && pl_strcasecmp(&scheme, "tel")) {
        code = 416;
        *reason = "Unsupported URI Scheme";
        goto bad;
    }
    if (pl_isset(&msg->uri.headers) && msg->uri.headers.l) {
        *reason = "Headers in Request-URI"; /* RFC 4475 3.1.2.11 */
        goto bad;
    }
    /* RFC 3261 8.2.2.3 (libre's sessions do not do RFC 4028 timers, nor
     * any other extension); ACK and CANCEL carry no Require that counts */
    if (!ack && pl_strcmp(&msg->met, "CANCEL") && sipcheck_unsupported(msg, NULL, 0)) {
        code = 420;
        *reason = "Bad Extension";
        goto bad;
    }
    return SIPCHECK_OK;
bad:
    return ack ? SIPCHECK_DROP : code;
}

int sipcheck_datagram(const char *buf, size_t n, const char **reason)
{
    struct mbuf *mb = mbuf_alloc(n ? n : 1);
    struct sip_msg *msg = NULL;
    int r = SIPCHECK_DROP;
    *reason = NULL;
    if (!mb)
        return SIPCHECK_DROP;
    if (!mbuf_write_mem(mb, (const uint8_t *)buf, n)) {
        mb->pos = 0;
        if (!sip_msg_decode(&msg, mb) && msg->req) {
            msg->tp = SIP_TRANSP_UDP;
            r = sipcheck_request(msg, reason);
        }
    }
    mem_deref(msg);
    mem_deref(mb);
    return r;
}
