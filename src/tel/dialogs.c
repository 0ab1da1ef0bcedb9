/*
 * The SIP dialogs of calls in progress, kept outside the process so that a
 * restart after a crash can hang up both legs of every call that was up:
 * without it, callers and agents' phones would stream to a dead port until
 * their own RTP time-out. When a leg is established its dialog (Call-ID,
 * tags, URIs, target, route set: one per line, as SIP header values hold
 * no line break) goes to the event log as a transient call.leg event, whose
 * projection keeps it sealed until the call ends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt.h"
#include "events/events.h"

struct routes {
    char *out;
    size_t n;
};

/* "<uri>" entries of the Record-Route headers, comma separated, in order. */
static bool route_h(const struct sip_hdr *hdr, const struct sip_msg *msg, void *arg)
{
    struct routes *r = arg;
    size_t k = strlen(r->out);
    if (k + hdr->val.l + 2 >= r->n)
        return true; /* too long to keep: stop (the BYE may then not get through a proxy) */
    snprintf(r->out + k, r->n - k, "%s%.*s", k ? "," : "", (int)hdr->val.l, hdr->val.p);
    return false;
}

static void contact_of(const struct sip_msg *msg, char *out, size_t n)
{
    const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_CONTACT);
    struct sip_addr addr;
    out[0] = '\0';
    if (h && !sip_addr_decode(&addr, &h->val))
        pl_copy(&addr.auri, out, n);
}

void dialog_invite(struct leg *l, const struct sip_msg *msg)
{
    struct routes r = {l->routes, sizeof(l->routes)};
    contact_of(msg, l->target, sizeof(l->target));
    l->routes[0] = '\0';
    sip_msg_hdr_apply(msg, true, SIP_HDR_RECORD_ROUTE, route_h, &r);
}

void dialog_established(struct leg *l, const struct sip_msg *msg)
{
    char callid[128], luri[256], ltag[96], ruri[256], rtag[96];
    const struct sip_taddr *local = l->uac ? &msg->from : &msg->to, *remote = l->uac ? &msg->to : &msg->from;
    if (l->uac) {
        /* we called: the target is the 200's Contact, the route set its
         * Record-Route in reverse */
        struct routes r = {l->routes, sizeof(l->routes)};
        contact_of(msg, l->target, sizeof(l->target));
        l->routes[0] = '\0';
        sip_msg_hdr_apply(msg, false, SIP_HDR_RECORD_ROUTE, route_h, &r);
    }
    pl_copy(&msg->callid, callid, sizeof(callid));
    pl_copy(&local->auri, luri, sizeof(luri));
    pl_copy(&local->tag, ltag, sizeof(ltag));
    pl_copy(&remote->auri, ruri, sizeof(ruri));
    pl_copy(&remote->tag, rtag, sizeof(rtag));
    /* a practice call is no call of the center: no call_legs row (its
     * trainee's leg ends with the process; there is no caller to call back) */
    if (l->call->practice)
        return;
    char text[EVENTS_LONG_MAX];
    int len = snprintf(text, sizeof(text), "%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s", callid, luri, ltag, ruri, rtag,
                       l->target[0] ? l->target : ruri, l->routes, sip_transp_name(msg->tp));
    struct ev e = {.kind = EV_CALL_LEG,
                   .call = (int64_t)l->call->id,
                   .agent = l->is_sup     ? l->call->sup_user
                            : l->is_agent ? l->call->agent_user
                                          : 0};
    snprintf(e.a, sizeof(e.a), "%s", l->is_sup ? "supervisor" : l->is_consult ? "consult" : l->is_agent ? "agent" : "caller");
    if (len < 0 || (size_t)len >= sizeof(e.c)) {
        log_warn("tel: the dialog of call %llu's %s leg is too long to keep: a crash could not hang it up",
                 (unsigned long long)l->call->id, e.a);
        return;
    }
    snprintf(e.c, sizeof(e.c), "%s", text);
    /* our next CSeq in this dialog: what the stack used, with room for the
     * re-INVITEs (session refreshes) that may follow */
    e.n = (int64_t)(l->uac ? msg->cseq.num : sip_dialog_lseq(sipsess_dialog(l->sess))) + 1000;
    events_emit(&e);
}

static void bye_resp(int err, const struct sip_msg *msg, void *arg)
{
    char *what = arg;
    if (err)
        log_info("tel: BYE for %s after the restart: %s", what, strerror(err));
    else
        log_info("tel: BYE for %s after the restart: %u", what, msg->scode);
    mem_deref(what);
}

/* A BYE in a dialog known only from its description: the parts libre's
 * dialog would have given. */
/* The parts of a kept dialog, in place (lines of text). */
int dialog_parts(char *text, const char *part[D_PARTS])
{
    int n = 0;
    for (char *p = text; n < D_PARTS;) {
        part[n++] = p;
        char *nl = strchr(p, '\n');
        if (!nl)
            break;
        *nl = '\0';
        p = nl + 1;
    }
    return n == D_PARTS ? 0 : err_set(WASL_EINVAL, "tel.bad_dialog", "a kept dialog has %d parts, not %d", n, D_PARTS);
}

static void bye(int64_t call, const char *leg, const char *dialog, int64_t cseq)
{
    char text[EVENTS_LONG_MAX];
    const char *p[D_PARTS];
    snprintf(text, sizeof(text), "%s", dialog);
    if (dialog_parts(text, p)) {
        log_warn("tel: the kept dialog of call %lld (%s) cannot be read: not hung up", (long long)call, leg);
        err_clear();
        return;
    }
    const char *callid = p[D_CALLID], *luri = p[D_LOCAL], *ltag = p[D_LTAG], *ruri = p[D_REMOTE], *rtag = p[D_RTAG],
               *target = p[D_TARGET], *route = p[D_ROUTE];
    struct uri first;
    struct pl rpl;
    char first_uri[256] = "";
    bool routed = false;
    if (*route && !re_regex(route, strlen(route), "<[^>]+>", &rpl)) {
        pl_copy(&rpl, first_uri, sizeof(first_uri));
        struct pl fp;
        pl_set_str(&fp, first_uri);
        routed = !uri_decode(&first, &fp);
    }
    char *what = NULL;
    re_sdprintf(&what, "call %lld (%s)", (long long)call, leg);
    /* no Max-Forwards here: libre's sip_requestf writes one, and a second
     * makes a proxy (Kamailio) drop the BYE as malformed */
    int err = sip_requestf(NULL, rt.sip, true, "BYE", target, routed ? &first : NULL, NULL, NULL, bye_resp, what,
                           "%s%s%s"
                           "To: <%s>;tag=%s\r\n"
                           "From: <%s>;tag=%s\r\n"
                           "Call-ID: %s\r\n"
                           "CSeq: %lld BYE\r\n"
                           "Reason: SIP;cause=500;text=\"wasl restarted\"\r\n"
                           "Content-Length: 0\r\n\r\n",
                           *route ? "Route: " : "", route, *route ? "\r\n" : "", ruri, rtag, luri, ltag, callid, (long long)cseq);
    if (err) {
        log_warn("tel: BYE for call %lld (%s) not sent: %s", (long long)call, leg, strerror(err));
        mem_deref(what);
    }
}

void dialogs_hangup(const struct recovered *r)
{
    for (int i = 0; i < r->nlegs; i++)
        bye(r->legs[i].call, r->legs[i].leg, r->legs[i].dialog, r->legs[i].cseq);
    if (r->nlegs)
        log_info("tel: %d call legs left up by the last run are being hung up", r->nlegs);
}
