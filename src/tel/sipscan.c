/*
 * The early look at a SIP datagram while new calls are being shed: is it a
 * new call (an INVITE outside a dialog) that libre would parse and
 * sipcheck.c would pass, and which header fields does a response copy?
 * Answering those without libre's parse (an allocation per header field, a
 * hash table per message) lets overload.c refuse the excess at once instead
 * of behind the parse of every datagram queued before it. It accepts a
 * strict subset of what libre does and uses libre's own decoders for the
 * fields it reads, so what it takes, libre would take the same way; what it
 * is not sure of is left to libre.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "rt.h"

/* RFC 3261 25.1 token characters: a header field name. */
static bool token_char(char ch)
{
    return isalnum((unsigned char)ch) || (ch && strchr("-.!%*_+`'~", ch));
}

/* The header field's id as libre computes it (src/sip/msg.c, hdr_hash):
 * a hash of the name, compact forms by their letter, "X-" names none. */
static int hdr_id(const char *name, size_t nl)
{
    if (nl == 1) {
        switch (tolower((unsigned char)name[0])) {
        case 'c':
            return SIP_HDR_CONTENT_TYPE;
        case 'f':
            return SIP_HDR_FROM;
        case 'i':
            return SIP_HDR_CALL_ID;
        case 'l':
            return SIP_HDR_CONTENT_LENGTH;
        case 'm':
            return SIP_HDR_CONTACT;
        case 't':
            return SIP_HDR_TO;
        case 'v':
            return SIP_HDR_VIA;
        default:
            return SIP_HDR_NONE; /* others: none that matters here */
        }
    }
    if ((name[0] == 'x' || name[0] == 'X') && name[1] == '-')
        return SIP_HDR_NONE;
    return (int)(hash_joaat_ci(name, nl) & 0xfff);
}

static bool prefix_ci(const struct pl *v, const char *s)
{
    size_t n = strlen(s);
    return v->l >= n && !strncasecmp(v->p, s, n);
}

/* "tag" anywhere in a To value, in any case: maybe in a dialog (libre
 * looks for ";tag=" in the parameters), so not for the early look. */
static bool mentions_tag(const struct pl *v)
{
    for (size_t i = 0; i + 3 <= v->l; i++)
        if (!strncasecmp(v->p + i, "tag", 3))
            return true;
    return false;
}

static bool add(struct sipscan *s, int kind, const char *name, size_t nl, const struct pl *v)
{
    if (s->n == SIPSCAN_HDRS)
        return false;
    s->h[s->n++] = (struct sipscan_hdr){name, v->p, nl, v->l, kind};
    return true;
}

/* One header field: checked as libre's parse and sipcheck_request() would,
 * counted, and kept when a response copies it. False: not sure. */
static bool field(struct sipscan *s, int *count, unsigned long long *clen, const char *name, size_t nl, const struct pl *v)
{
    unsigned long long num;
    int id = hdr_id(name, nl);
    switch (id) {
    case SIP_HDR_VIA: {
        struct sip_via via;
        if (pl_strchr(v, ',') || sipcheck_via_bad(v))
            return false;
        if (!count[0]++) { /* the top Via: libre decodes it */
            if (sip_via_decode(&via, v) || !pl_isset(&via.branch) || !via.sentby.l)
                return false;
            s->branch = via.branch.p;
            s->branch_l = via.branch.l;
        }
        return add(s, SS_VIA, name, nl, v);
    }
    case SIP_HDR_FROM:
    case SIP_HDR_TO: {
        struct sip_addr a;
        bool to = id == SIP_HDR_TO;
        if (count[to ? 2 : 1]++ || sip_addr_decode(&a, v) || !sipcheck_quotes_balanced(v) || (to && mentions_tag(v)))
            return false;
        return add(s, to ? SS_TO : SS_FROM, name, nl, v);
    }
    case SIP_HDR_CALL_ID:
        if (count[3]++ || !v->l)
            return false;
        s->callid = v->p;
        s->callid_l = v->l;
        return add(s, SS_CALLID, name, nl, v);
    case SIP_HDR_CSEQ: {
        struct sip_cseq cs;
        if (count[4]++ || sip_cseq_decode(&cs, v) || sipcheck_cseq_number(v, &num) || pl_strcmp(&cs.met, "INVITE"))
            return false;
        return add(s, SS_CSEQ, name, nl, v);
    }
    case SIP_HDR_MAX_FORWARDS:
        return !count[5]++ && !sipcheck_decimal(v, SIPCHECK_MAXFWD_MAX, &num);
    case SIP_HDR_CONTENT_TYPE: {
        struct msg_ctype ct;
        return !count[6]++ && !msg_ctype_decode(&ct, v);
    }
    case SIP_HDR_CONTENT_LENGTH:
        return !count[7]++ && !sipcheck_decimal(v, SIPCHECK_CLEN_MAX, clen);
    case SIP_HDR_CONTACT:
        return !pl_strchr(v, '?'); /* headers in a Contact URI: sipcheck's to judge */
    case SIP_HDR_REQUIRE:
        return false; /* an extension: sipcheck's to judge (420) */
    default:
        return true;
    }
}

/* The next header field at *p, cut as libre cuts it (the name before the
 * colon, the value without the white space around it): 1 and the field,
 * 0 at the empty line that ends the header (*p then at the body), -1 when
 * the line is not one the scanner is sure of (no colon, a name that is not
 * a token, a bare CR or LF, a control character, folding, no end). */
static int next_field(const char **pp, const char *end, struct pl *name, struct pl *v)
{
    const char *p = *pp;
    if (end - p >= 2 && p[0] == '\r' && p[1] == '\n') {
        *pp = p + 2;
        return 0;
    }
    name->p = p;
    while (p < end && token_char(*p))
        p++;
    name->l = (size_t)(p - name->p);
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (!name->l || p == end || *p != ':')
        return -1;
    for (p++; p < end && (*p == ' ' || *p == '\t');)
        p++;
    v->p = p;
    for (; p < end && *p != '\r'; p++)
        if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
            return -1; /* a bare LF, a NUL, a control character */
    if (end - p < 2 || p[1] != '\n')
        return -1;
    v->l = (size_t)(p - v->p);
    while (v->l && (v->p[v->l - 1] == ' ' || v->p[v->l - 1] == '\t'))
        v->l--;
    p += 2;
    if (p < end && (*p == ' ' || *p == '\t'))
        return -1; /* folded onto the next line */
    *pp = p;
    return 1;
}

bool sipscan_ack(const char *buf, size_t n, struct pl *callid, struct pl *totag)
{
    const char *p = buf, *end = buf + n;
    struct pl name, v;
    struct sip_addr a;
    int r, nto = 0, ncid = 0;
    if (n < 4 || memcmp(p, "ACK ", 4))
        return false;
    for (p += 4; p<end && * p> ' ' && *p < 0x7f;)
        p++;
    if (p == buf + 4 || end - p < 10 || memcmp(p, " SIP/2.0\r\n", 10))
        return false;
    struct pl ruri = {buf + 4, (size_t)(p - buf - 4)};
    struct uri uri;
    struct sip_via via;
    struct sip_cseq cs;
    struct msg_ctype ct;
    int nvia = 0;
    if (uri_decode(&uri, &ruri))
        return false;
    p += 10;
    /* what libre decodes of a message, and drops it when it cannot */
    while ((r = next_field(&p, end, &name, &v)) > 0) {
        int id = hdr_id(name.p, name.l);
        if ((id == SIP_HDR_VIA && !nvia++ && sip_via_decode(&via, &v)) || (id == SIP_HDR_FROM && sip_addr_decode(&a, &v)) ||
            (id == SIP_HDR_CSEQ && sip_cseq_decode(&cs, &v)) || (id == SIP_HDR_CONTENT_TYPE && msg_ctype_decode(&ct, &v)) ||
            (id == SIP_HDR_VIA && pl_strchr(&v, ',')))
            return false;
        if (id == SIP_HDR_TO) {
            if (nto++ || sip_addr_decode(&a, &v) || msg_param_decode(&a.params, "tag", totag))
                return false;
        } else if (id == SIP_HDR_CALL_ID) {
            if (ncid++ || !v.l)
                return false;
            *callid = v;
        }
    }
    return r == 0 && nto == 1 && ncid == 1;
}

bool sipscan_invite(const char *buf, size_t n, struct sipscan *s)
{
    const char *p = buf, *end = buf + n;
    int count[8] = {0}; /* Via, From, To, Call-ID, CSeq, Max-Forwards, Content-Type, Content-Length */
    unsigned long long clen = 0;
    struct uri uri;
    s->n = 0;
    s->callid = s->branch = s->user = NULL;
    s->callid_l = s->branch_l = s->user_l = 0;
    /* "INVITE SP Request-URI SP SIP/2.0 CRLF", a scheme sipcheck.c serves,
     * no headers in the URI (sipcheck's 400) */
    if (n < 7 || memcmp(p, "INVITE ", 7))
        return false;
    struct pl ruri = {p += 7, 0};
    while (p<end && * p> ' ' && *p < 0x7f)
        p++;
    ruri.l = (size_t)(p - ruri.p);
    if (!ruri.l || end - p < 10 || memcmp(p, " SIP/2.0\r\n", 10))
        return false;
    p += 10;
    if ((!prefix_ci(&ruri, "sip:") && !prefix_ci(&ruri, "sips:") && !prefix_ci(&ruri, "tel:")) || uri_decode(&uri, &ruri) ||
        (pl_isset(&uri.headers) && uri.headers.l))
        return false;
    s->user = uri.user.p;
    s->user_l = uri.user.l;
    struct pl name, v;
    int r;
    while ((r = next_field(&p, end, &name, &v)) > 0)
        if (!field(s, count, &clen, name.p, name.l, &v))
            return false;
    if (r < 0)
        return false;
    /* each mandatory field once; over UDP a body at least Content-Length */
    return count[0] && count[1] == 1 && count[2] == 1 && count[3] == 1 && count[4] == 1 && clen <= (size_t)(end - p);
}

bool sipscan_from_msg(const struct sip_msg *msg, struct sipscan *s)
{
    s->n = 0;
    s->callid = msg->callid.p;
    s->callid_l = msg->callid.l;
    s->branch = msg->via.branch.p;
    s->branch_l = msg->via.branch.l;
    s->user = msg->uri.user.p;
    s->user_l = msg->uri.user.l;
    for (struct le *le = msg->hdrl.head; le; le = le->next) {
        const struct sip_hdr *h = le->data;
        int kind = h->id == SIP_HDR_VIA       ? SS_VIA
                   : h->id == SIP_HDR_FROM    ? SS_FROM
                   : h->id == SIP_HDR_TO      ? SS_TO
                   : h->id == SIP_HDR_CALL_ID ? SS_CALLID
                   : h->id == SIP_HDR_CSEQ    ? SS_CSEQ
                                              : -1;
        if (kind >= 0 && !add(s, kind, h->name.p, h->name.l, &h->val))
            return false;
    }
    return true;
}
