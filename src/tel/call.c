/*
 * Calls: a caller's INVITE from a trunk is answered, walked through the IVR
 * flow (prompts, digits, look-ups), queued to the ACD and bridged to the
 * agent whose phone answers. Handlers of libre only note what happened
 * (a digit, a hang-up, an answer); the ticker acts on it in calls_tick(),
 * so nothing is freed under a socket's feet.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rt.h"
#include "events/events.h"

void pl_copy(const struct pl *p, char *out, size_t n)
{
    size_t l = pl_isset(p) ? p->l : 0;
    if (l >= n)
        l = n - 1;
    if (l)
        memcpy(out, p->p, l);
    out[l] = '\0';
}

/* What happened to the call, through the transition table (callstate.c):
 * the next state and what to do. False when the event changes nothing in
 * the call's state. An ending is carried out at the next tick (finish());
 * the first outcome wins. */
bool call_fire(struct tcall *c, enum call_event e)
{
    if (c->end_reason[0])
        return false;
    const struct call_transition *t = call_transition_find(c->st, e);
    if (!t)
        return false;
    if (t->action == CA_END) {
        snprintf(c->end_reason, sizeof(c->end_reason), "%s", t->outcome);
        return true;
    }
    c->st = t->to;
    if (t->action == CA_BRIDGE)
        bridge(c);
    else if (t->action == CA_DIAL)
        dialler_agent_answered(c);
    else if (t->action == CA_REQUEUE)
        transfer_requeue(c);
    call_media_sync(c);
    return true;
}

/* The route of one of the call's legs (NULL: none): what its received
 * audio is for. Relayed only between the caller and the agent, once both
 * are established and while the caller is not on hold with music; a
 * supervisor's or a colleague's leg only ever feeds the mixer; recorded
 * sides are the caller's and the agent's. */
static void leg_route_sync(struct tcall *c, struct leg *l)
{
    if (!l)
        return;
    bool bridged = c->st == T_BRIDGED && c->agent;
    bool third = l != &c->in && l != c->agent;
    struct leg *other = l == &c->in ? c->agent : &c->in;
    struct leg_route r = {.tones = l == &c->in && c->st == T_IVR && c->collecting};
    if (bridged && c->mix) {
        r.mix = c->mix;
        r.mix_at = mixer_place(c, l);
    } else if (bridged && !third && other && other->established && !c->in.in_media) {
        r.relay_to = other;
    }
    if (bridged && !third && c->recording && c->rec_stream) {
        r.rec = c->rec_stream;
        r.rec_side = l == &c->in ? 0 : 1;
    }
    if (l == &c->in && c->message)
        r.message = c->message;
    if (r.rec || r.message)
        r.rec_start = c->rec_start;
    const struct leg_route *o = &l->route;
    if (r.tones == o->tones && r.relay_to == o->relay_to && r.mix == o->mix && r.mix_at == o->mix_at && r.rec == o->rec &&
        r.rec_side == o->rec_side && r.message == o->message && r.rec_start == o->rec_start)
        return; /* the media side is not disturbed when nothing changes */
    media_lock();
    l->route = r;
    media_unlock();
}

void call_media_sync(struct tcall *c)
{
    if (c->practice)
        return; /* wasl plays a script: nothing received is relayed or kept */
    leg_route_sync(c, &c->in);
    leg_route_sync(c, c->agent);
    leg_route_sync(c, c->sup);
    leg_route_sync(c, c->consult);
    if (c->mix)
        mixer_sync(c);
}

static bool waiting(const struct tcall *c)
{
    return c->st == T_QUEUED || c->st == T_CB_QUEUED;
}

static void path_add(struct tcall *c)
{
    const char *n = ivr_node_name(&c->ivr);
    size_t k = strlen(c->path);
    const char *last = strrchr(c->path, ' ');
    last = last ? last + 1 : c->path;
    if (!*n || !strcmp(last, n))
        return;
    if (k + strlen(n) + 2 < sizeof(c->path))
        snprintf(c->path + k, sizeof(c->path) - k, "%s%s", k ? " " : "", n);
}

/* ---- libre handlers: note and return ---- */

static int offer_h(struct mbuf **descp, const struct sip_msg *msg, void *arg)
{
    struct leg *l = arg;
    /* an encrypted leg's re-INVITE in clear would carry keys in clear */
    if (l->sdes != SDES_OFF && msg->tp != SIP_TRANSP_TLS && !rt.cfg.srtp_in_clear)
        return EPROTO;
    int err = leg_sdp_remote(l, msg->mb, true);
    if (err)
        return err;
    return leg_sdp_local(l, false, descp);
}

static int answer_h(const struct sip_msg *msg, void *arg)
{
    struct leg *l = arg;
    return leg_sdp_remote(l, msg->mb, false);
}

static void estab_h(const struct sip_msg *msg, void *arg)
{
    struct leg *l = arg;
    l->established = true;
    if (l == &l->call->in)
        halfopen_done(l->call); /* the caller's ACK */
    dialog_established(l, msg);
    if (l->uac)
        l->answered_flag = true;
}

static void progr_h(const struct sip_msg *msg, void *arg)
{
}

static void close_h(int err, const struct sip_msg *msg, void *arg)
{
    struct leg *l = arg;
    struct tcall *c = l->call;
    if (l->is_sup || l->is_consult) {
        l->declined_flag = true; /* the supervisor or the colleague left: the call goes on */
    } else if (!l->is_agent && c->outbound && !l->established) {
        l->declined_flag = true; /* a callback's citizen did not answer */
        l->busy = msg && (msg->scode == 486 || msg->scode == 600);
    } else if (!l->is_agent) {
        call_fire(c, CE_CALLER_HANGUP);
    } else if (!l->established || waiting(c)) {
        /* the agent's phone refused, or hung up before the answer was acted on */
        l->declined_flag = true;
        l->answered_flag = false;
    } else {
        call_fire(c, CE_AGENT_HANGUP);
    }
}

void call_digit(struct tcall *c, char d)
{
    if (c->nkeyed < IVR_DIGITS_MAX - 1)
        c->keyed[c->nkeyed++] = d;
}

/* ---- the IVR's actions ---- */

static void play_items(struct tcall *c, const struct ivr_action *a)
{
    char ids[24][IVR_NAME_MAX], lang[WASL_LANG_CODE_MAX];
    for (int i = 0; i < a->nitems; i++) {
        const struct ivr_item *it = &a->items[i];
        if (it->kind == IVR_ITEM_SILENCE) {
            player_add(&c->in, NULL, (size_t)it->a * 8);
            continue;
        }
        int n = prompts_render(it, a->language, lang, ids, 24);
        for (int k = 0; k < n; k++) {
            const struct audio *au = audio_prompt(lang, ids[k]);
            if (au)
                player_add(&c->in, au->pcm, au->n);
            else
                log_warn("tel: prompt %s/%s has no recording", lang, ids[k]);
        }
    }
}

static void step(struct tcall *c, const struct ivr_event *e);
static void message_end(struct tcall *c);

static void job_for(struct tcall *c, enum job_kind k)
{
    struct job *j = calloc(1, sizeof(*j));
    if (!j) {
        call_fire(c, CE_ERROR);
        return;
    }
    j->kind = k;
    j->call = c->id;
    snprintf(j->keys, sizeof(j->keys), "%s", c->act.ref_keys);
    snprintf(j->pin, sizeof(j->pin), "%s", c->act.pin);
    snprintf(j->caller, sizeof(j->caller), "%s", c->caller);
    snprintf(j->country, sizeof(j->country), "%s", c->country);
    snprintf(j->did, sizeof(j->did), "%s", c->did);
    snprintf(j->language, sizeof(j->language), "%s", c->ivr.language);
    snprintf(j->callid, sizeof(j->callid), "%s", c->callid);
    call_fire(c, CE_IVR_JOB);
    jobs_submit(j);
}

static void perform(struct tcall *c)
{
    const struct ivr_action *a = &c->act;
    path_add(c);
    player_clear(&c->in);
    c->collecting = false;
    c->nd = 0;
    c->digits[0] = '\0';
    c->deadline = 0;
    switch (a->kind) {
    case IVR_A_PLAY:
        call_fire(c, CE_IVR_PLAY);
        play_items(c, a);
        c->collecting = a->wait_digits;
        if (!player_busy(&c->in)) {
            if (a->wait_digits)
                c->deadline = mono_us() + a->timeout;
            else
                c->in.play_done = true;
        }
        break;
    case IVR_A_ENQUEUE: {
        play_items(c, a);
        player_moh(&c->in, true);
        call_fire(c, CE_IVR_ENQUEUE);
        if (!c->first_queued)
            c->first_queued = mono_us();
        c->queued_at = mono_us();
        /* the first "you are number N" soon, then every queue_announce */
        c->next_announce =
            rt.cfg.queue_announce ? c->queued_at + (rt.cfg.queue_announce < 15000000 ? rt.cfg.queue_announce : 15000000) : 0;
        int q = queues_index(a->queue, a->service);
        snprintf(c->queue, sizeof(c->queue), "%s", queues_name(q));
        /* Logged first: the distributor may offer the call at once. */
        struct acd_queue_view qv;
        events_add(EV_QUEUE_JOINED, (int64_t)c->id, 0, c->queue, a->service, NULL, NULL,
                   !acd_queue_get(rt.acd, q, &qv) ? qv.waiting + 1 : 0, 0);
        err_clear();
        c->qidx = q;
        /* the node's own limits, on top of the queue's: its exits come
         * back through acd_exit_h */
        struct acd_call_opts o = {.priority = a->priority,
                                  .max_wait = a->timeout,
                                  .exit_no_agents = a->exit_no_agents,
                                  .has_language2 = a->language2 >= 0,
                                  .language2 = a->language2 >= 0 ? a->language2 : 0};
        int err = acd_call_enqueue(rt.acd, c->id, q, &o, mono_us());
        if (err) {
            rt_log_call(c, "cannot queue: %s", err_message());
            call_fire(c, CE_ERROR);
        }
        break;
    }
    case IVR_A_RECORD:
        play_items(c, a);
        call_fire(c, CE_IVR_PLAY);
        c->taking_message = true;
        c->message_until = 0; /* set when the prompt ends */
        if (!player_busy(&c->in))
            c->in.play_done = true; /* no prompt to play: the message starts at once */
        break;
    case IVR_A_LOOKUP:
        job_for(c, JOB_LOOKUP);
        break;
    case IVR_A_CALLBACK:
        job_for(c, JOB_CALLBACK);
        break;
    case IVR_A_HANGUP:
        call_fire(c, CE_IVR_HANGUP);
        break;
    }
}

/* The event log hears of every IVR node reached and the keys that led
 * there; digits collected for a case reference or a PIN (more than one key)
 * only as their count. */
static void log_ivr(struct tcall *c, const struct ivr_event *e, const char *lang_before)
{
    char keys[IVR_DIGITS_MAX + 4] = "";
    size_t n = e && e->kind == IVR_E_DIGITS ? strlen(e->digits) : 0;
    if (n > 1)
        snprintf(keys, sizeof(keys), "#%zu", n);
    else if (n == 1)
        snprintf(keys, sizeof(keys), "%s", e->digits);
    events_add(EV_CALL_IVR, (int64_t)c->id, 0, NULL, ivr_node_name(&c->ivr), keys, NULL, 0, 0);
    if (c->ivr.language[0] && strcmp(lang_before, c->ivr.language))
        events_add(EV_CALL_LANGUAGE, (int64_t)c->id, 0, NULL, c->ivr.language, NULL, NULL, 0, 0);
}

static void step(struct tcall *c, const struct ivr_event *e)
{
    char lang[WASL_LANG_CODE_MAX];
    if (c->ivr.done || c->end_reason[0])
        return;
    snprintf(lang, sizeof(lang), "%s", c->ivr.language);
    if (ivr_step(&c->ivr, e, clock_now(), &c->act)) {
        rt_log_call(c, "IVR: %s", err_message());
        call_fire(c, CE_ERROR);
        return;
    }
    log_ivr(c, e, lang);
    perform(c);
}

/* "You are number 3 in the queue. Your expected waiting time is about
 * 4 minutes." in the caller's language, then the music again. */
static void announce(struct tcall *c)
{
    static struct ivr_action a;
    int place;
    int64_t wait;
    if (acd_call_estimate(rt.acd, c->id, &place, &wait)) {
        err_clear();
        return;
    }
    memset(&a, 0, sizeof(a));
    a.kind = IVR_A_PLAY;
    snprintf(a.language, sizeof(a.language), "%s", c->ivr.language);
    const char *ids[] = {"queue_place", NULL, "queue_place_after", wait >= 0 ? "queue_wait" : NULL};
    for (int i = 0; i < 4; i++) {
        struct ivr_item *it = &a.items[a.nitems];
        if (i == 1) {
            it->kind = IVR_ITEM_NUMBER;
            it->a = place;
            a.nitems++;
        } else if (ids[i]) {
            it->kind = IVR_ITEM_PROMPT;
            snprintf(it->prompt, sizeof(it->prompt), "%s", ids[i]);
            a.nitems++;
        }
    }
    if (wait >= 0) {
        a.items[a.nitems].kind = IVR_ITEM_DURATION;
        a.items[a.nitems++].a = (int)(wait / 1000000 < 6000 ? wait / 1000000 : 6000);
    }
    play_items(c, &a);
    tel_count(M_ANNOUNCED, 1);
}

static void on_key(struct tcall *c, char d)
{
    const struct ivr_action *a = &c->act;
    if (c->st != T_IVR || a->kind != IVR_A_PLAY || !a->wait_digits) {
        /* '#' ends a voice message */
        if (c->taking_message && d == '#')
            c->message_until = 1;
        return;
    }
    if (player_busy(&c->in)) {
        if (!a->barge_in)
            return;
        player_clear(&c->in);
    }
    if (c->nd < IVR_DIGITS_MAX - 1) {
        c->digits[c->nd++] = d;
        c->digits[c->nd] = '\0';
    }
    if (c->nd >= a->max_digits || (a->terminator && d == a->terminator)) {
        struct ivr_event e = {.kind = IVR_E_DIGITS};
        snprintf(e.digits, sizeof(e.digits), "%s", c->digits);
        step(c, &e);
        return;
    }
    c->deadline = mono_us() + a->timeout; /* between keys */
}

static void on_played(struct tcall *c)
{
    const struct ivr_action *a = &c->act;
    if (c->message_drop) {
        call_fire(c, CE_MESSAGE_PLAYED);
        return;
    }
    if (c->st == T_QUEUED)
        return; /* music goes on */
    if (c->taking_message) {
        /* the prompt is over: the message starts now, streamed to disk
         * (recstream.c) */
        if (!c->message_until) {
            c->rec_start = mono_us();
            c->message_until = c->rec_start + (int64_t)a->max_seconds * 1000000;
            if (!(c->message = rec_message_open(c->id, c->callid, c->ivr.language, c->caller)))
                log_error("tel: out of memory: the voice message of call %llu is not recorded", (unsigned long long)c->id);
        }
        return;
    }
    if (a->kind != IVR_A_PLAY)
        return;
    if (a->wait_digits) {
        c->deadline = mono_us() + a->timeout;
        return;
    }
    struct ivr_event e = {.kind = IVR_E_PLAYED};
    step(c, &e);
}

/* ---- incoming calls ---- */

void call_destroy(void *arg)
{
    struct tcall *c = arg;
    mixer_stop(c);
    if (c->rec_stream)
        rec_stream_close(c->rec_stream);
    if (c->message)
        rec_stream_close(c->message);
}

static void leg_release(struct leg *l)
{
    l->refer_not = mem_deref(l->refer_not); /* not told yet: "deactivated" */
    l->sess = mem_deref(l->sess);
    leg_media_close(l);
}

static void agent_leg_free(struct tcall *c)
{
    if (!c->agent)
        return;
    leg_release(c->agent);
    c->agent = mem_deref(c->agent);
}

int call_incoming(const struct sip_msg *msg)
{
    char user[64];
    struct mbuf *desc = NULL;
    const char *country;
    struct tcall *c;
    int err;

    char src[64] = "";
    sa_ntop(&msg->src, src, sizeof(src));
    pl_copy(&msg->uri.user, user, sizeof(user));
    if (!(country = dialplan_country(user))) {
        tel_count(M_CALLS_REFUSED, 1);
        return sip_treply(NULL, rt.sip, msg, 404, "Not Found");
    }
    if (halfopen_refuse(msg, src))
        return 0;
    if (rt.ncalls >= rt.cfg.max_calls) {
        tel_count(M_CALLS_REFUSED, 1);
        return sip_treply(NULL, rt.sip, msg, 503, "Service Unavailable");
    }
    if (!mbuf_get_left(msg->mb)) {
        tel_count(M_CALLS_REFUSED, 1);
        return sip_treply(NULL, rt.sip, msg, 488, "Not Acceptable Here");
    }
    if (pl_isset(&msg->ctyp.type) && (pl_strcasecmp(&msg->ctyp.type, "application") || pl_strcasecmp(&msg->ctyp.subtype, "sdp"))) {
        /* RFC 3261 8.2.3: a body wasl cannot read (RFC 4475 3.3.7) */
        tel_count(M_CALLS_REFUSED, 1);
        return sip_treplyf(NULL, NULL, rt.sip, msg, false, 415, "Unsupported Media Type",
                           "Accept: application/sdp\r\nContent-Length: 0\r\n\r\n");
    }
    if (!(c = mem_zalloc(sizeof(*c), call_destroy)))
        return sip_treply(NULL, rt.sip, msg, 500, "Server Error");
    c->id = ++rt.next_id;
    c->in.call = c;
    dialog_invite(&c->in, msg);
    pl_copy(&msg->callid, c->callid, sizeof(c->callid));
    snprintf(c->did, sizeof(c->did), "%s", user);
    snprintf(c->country, sizeof(c->country), "%s", country);
    char from[64];
    pl_copy(&msg->from.uri.user, from, sizeof(from));
    if (dialplan_digits(from, c->caller, sizeof(c->caller))) {
        err_clear();
        c->caller[0] = '\0';
    }
    if (leg_srtp_policy(&c->in, trunk_srtp_mode(src), msg->tp == SIP_TRANSP_TLS)) {
        /* the carrier must send SRTP, and its keys would come in clear */
        err_clear();
        leg_release(&c->in);
        mem_deref(c);
        tel_count(M_CALLS_REFUSED, 1);
        return sip_treplyf(NULL, NULL, rt.sip, msg, false, 488, "Not Acceptable Here",
                           "Warning: 399 wasl \"SRTP keys are taken over TLS only\"\r\nContent-Length: 0\r\n\r\n");
    }
    if ((err = leg_media_open(&c->in))) {
        leg_release(&c->in);
        mem_deref(c);
        tel_count(M_CALLS_REFUSED, 1);
        return sip_treply(NULL, rt.sip, msg, 503, "Service Unavailable");
    }
    if ((err = leg_sdp_remote(&c->in, msg->mb, true)) || (err = leg_sdp_local(&c->in, false, &desc))) {
        leg_release(&c->in);
        mem_deref(c);
        mem_deref(desc);
        tel_count(M_CALLS_REFUSED, 1);
        return sip_treply(NULL, rt.sip, msg, 488, "Not Acceptable Here");
    }
    err = sipsess_accept(&c->in.sess, rt.sock, msg, 200, "OK", "wasl", "application/sdp", desc, NULL, NULL, false, offer_h,
                         answer_h, estab_h, NULL, NULL, close_h, &c->in, "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS\r\n");
    mem_deref(desc);
    if (err) {
        leg_release(&c->in);
        mem_deref(c);
        return sip_treply(NULL, rt.sip, msg, 500, "Server Error");
    }
    list_append(&rt.calls, &c->le, c);
    if (!rt.ncalls++)
        ticker_wake();
    halfopen_add(c, &msg->src);
    tel_count(M_CALLS, 1);
    c->started = clock_now();
    c->last_refresh = mono_us();
    leg_media_start(&c->in);
    struct ev arrived = {.kind = EV_CALL_ARRIVED, .at = c->started, .call = (int64_t)c->id};
    snprintf(arrived.a, sizeof(arrived.a), "%s", c->did);
    snprintf(arrived.b, sizeof(arrived.b), "%s", c->country);
    snprintf(arrived.c, sizeof(arrived.c), "%s", c->callid);
    events_emit(&arrived);
    if (ivr_start(&c->ivr, rt.flow, c->country, clock_now(), &c->act)) {
        call_fire(c, CE_ERROR);
        return 0;
    }
    log_ivr(c, NULL, "");
    perform(c);
    call_media_sync(c);
    return 0;
}

/* ---- the agent ---- */

/* Calls a phone of the staff for call c: the agent (caller's number and
 * country as the display name) or a supervisor. NULL when out of memory;
 * a leg that could not be called comes back declined. */
int call_connect(struct leg *l, const char *uri, const char *routev[], int routec, const char *from, struct mbuf *desc)
{
    struct tcall *c = l->call;
    char display[48];
    if (l->is_agent)
        snprintf(display, sizeof(display), "%s%s%s %s",
                 l->is_sup     ? "wasl supervision "
                 : c->practice ? "wasl practice "
                 : c->outbound ? "Callback "
                               : "",
                 c->caller[0] ? "+" : "", c->caller[0] ? c->caller : "anonymous", c->country);
    else
        snprintf(display, sizeof(display), "%s", "wasl");
    return sipsess_connect(
        &l->sess, rt.sock, uri, display, from, "wasl", routec ? routev : NULL, (uint32_t)routec, "application/sdp", desc, NULL,
        NULL, false, offer_h, answer_h, progr_h, estab_h, NULL, l->is_agent && !l->is_sup && !c->practice ? transfer_refer_h : NULL,
        close_h, l, "X-Wasl-Call: %llu\r\nX-Wasl-Language: %s\r\nX-Wasl-Country: %s\r\n%s%s%s%s%s", (unsigned long long)c->id,
        c->ivr.language, c->country, l->is_sup ? "X-Wasl-Supervision: 1\r\n" : "",
        l->is_agent && c->outbound ? "X-Wasl-Callback: 1\r\n" : "", l->is_consult ? "X-Wasl-Consult: 1\r\n" : "",
        c->practice ? "X-Wasl-Practice: 1\r\n" : "",
        /* answered from the desk: the two headers desk phones honour to answer at once */
        l->auto_answer ? "Call-Info: <sip:wasl>;answer-after=0\r\nAlert-Info: <http://wasl/>;info=alert-autoanswer\r\n" : "");
}

/* Whether requests to a phone's contact go over TLS. */
static bool uri_tls(const char *uri)
{
    return !strncasecmp(uri, "sips:", 5) || strcasestr(uri, ";transport=tls");
}

/* Calls a phone of the staff for call c: the agent or a supervisor. NULL
 * when out of memory; a leg that could not be called comes back declined. */
struct leg *leg_dial(struct tcall *c, const char *contact, enum leg_role role)
{
    char from[128];
    struct mbuf *desc = NULL;
    struct leg *l = mem_zalloc(sizeof(*l), NULL);
    if (!l)
        return NULL;
    l->call = c;
    l->is_agent = l->uac = true;
    l->is_sup = role == LEG_SUPERVISOR;
    l->is_consult = role == LEG_CONSULT;
    l->auto_answer = role == LEG_AGENT_ANSWER;
    l->ring_start = mono_us();
    /* through the proxies of its Path, or over its connection */
    char routes[PATH_HOPS_MAX][PATH_URI_MAX];
    const char *routev[PATH_HOPS_MAX];
    int nroutes = contact ? registrar_route(contact, routes, PATH_HOPS_MAX) : 0;
    for (int i = 0; i < nroutes; i++)
        routev[i] = routes[i];
    bool routed = nroutes > 0;
    const char *flow = routed ? routes[0] : "";
    if (contact && leg_srtp_policy(l, rt.cfg.phones_srtp, routed ? uri_tls(flow) : uri_tls(contact))) {
        log_warn("tel: call %llu: %s is not rung: %s", (unsigned long long)c->id, contact, err_message());
        err_clear();
        contact = NULL;
    }
    if (!contact || leg_media_open(l) || leg_sdp_local(l, true, &desc)) {
        l->declined_flag = l->unreachable = true;
        mem_deref(desc);
        return l;
    }
    snprintf(from, sizeof(from), "sip:wasl@%s:%d", rt.cfg.address, rt.cfg.port);
    int err = call_connect(l, contact, routev, nroutes, from, desc);
    mem_deref(desc);
    if (err)
        log_warn("tel: call %llu: cannot call %s%s%s: %s", (unsigned long long)c->id, contact, routed ? " through " : "",
                 routed ? flow : "", strerror(err));
    if (err)
        l->declined_flag = l->unreachable = true;
    return l;
}

void leg_hangup(struct leg *l)
{
    leg_release(l);
    mem_deref(l);
}

void acd_offer_h(void *arg, uint64_t call, int64_t agent)
{
    struct tcall *c = call_find(call);
    char contact[256];

    if (!c)
        return;
    agent_leg_free(c);
    c->agent_user = agent;
    bool reachable = registrar_contact(agent, contact, sizeof(contact));
    events_add(EV_CALL_OFFERED, (int64_t)c->id, agent, c->queue, reachable ? contact : "", NULL, NULL, 0, 0);
    c->agent = leg_dial(c, reachable ? contact : NULL, LEG_AGENT);
    if (c->agent)
        rt_log_call(c, "ringing agent %lld at %s", (long long)agent, reachable ? contact : "(no phone registered)");
}

/* The distributor let a caller go without an agent (its max wait, a full
 * queue, nobody logged in): the IVR takes them on at the next tick, where
 * the distributor may be called again. */
void acd_exit_h(void *arg, uint64_t call, int queue, enum acd_exit why)
{
    struct tcall *c = call_find(call);
    if (c && c->st == T_QUEUED)
        c->queue_exit = (int)why;
}

static void queue_left(struct tcall *c, int64_t now)
{
    static const char *const why_name[] = {"", "full", "timeout", "no_agents"};
    static const enum ivr_event_kind ivr_kind[] = {IVR_E_QUEUE_TIMEOUT, IVR_E_QUEUE_FULL, IVR_E_QUEUE_TIMEOUT, IVR_E_NO_AGENTS};
    enum acd_exit why = (enum acd_exit)c->queue_exit;
    c->queue_exit = 0;
    if (c->st != T_QUEUED || why <= ACD_EXIT_NONE || why > ACD_EXIT_NO_AGENTS)
        return;
    struct ivr_event e = {.kind = ivr_kind[why]};
    events_add(EV_QUEUE_LEFT, (int64_t)c->id, 0, c->queue, why_name[why], NULL, NULL, (now - c->queued_at) / 1000, 0);
    c->left_queue = now;
    agent_leg_free(c);
    call_fire(c, CE_QUEUE_TIMEOUT);
    step(c, &e);
}

void acd_cancel_h(void *arg, uint64_t call, int64_t agent)
{
    struct tcall *c = call_find(call);
    if (c && c->consult && c->consult_user == agent) {
        /* the colleague left the queues while rung: the distributor let them go */
        c->consult_acd = false;
        c->consult->declined_flag = true;
        return;
    }
    if (c && c->agent_user == agent && c->st != T_BRIDGED)
        agent_leg_free(c);
}

/* What the distributor decides goes to the event log, with what only the
 * telephony knows (why a phone did not answer, where a caller was). */
void acd_event_h(void *arg, const struct acd_event *e)
{
    struct tcall *c = e->call ? call_find(e->call) : NULL;
    const char *queue = c ? c->queue : NULL;
    switch (e->kind) {
    case ACD_EV_AGENT_STATE:
        log_debug("tel: agent %lld is %s %s", (long long)e->agent, acd_state_name(e->state), e->reason);
        {
            struct acd_agent_view v;
            uint64_t on = e->call ? e->call : !acd_agent_get(rt.acd, e->agent, &v) ? v.call : 0;
            events_add(EV_AGENT_STATE, (int64_t)on, e->agent, NULL, acd_state_name(e->state), e->reason, NULL, e->by, 0);
            if (e->state == ACD_AVAILABLE && dialler_enabled())
                jobs_wake(); /* a callback may be waiting for this agent */
        }
        break;
    case ACD_EV_NOT_ANSWERED: {
        const struct leg *l = c ? c->agent : NULL;
        const char *why = l && l->unreachable                      ? "unreachable"
                          : l && (l->declined_flag || l->declined) ? "declined"
                          : e->reason[0]                           ? e->reason
                                                                   : "timeout";
        events_add(EV_CALL_NOT_ANSWERED, (int64_t)e->call, e->agent, queue, why, NULL, NULL,
                   l && l->ring_start ? (mono_us() - l->ring_start) / 1000 : 0, 0);
        break;
    }
    case ACD_EV_ANSWERED:
        events_add(EV_CALL_ANSWERED, (int64_t)e->call, e->agent, queue, NULL, NULL, NULL, e->waited / 1000, 0);
        break;
    case ACD_EV_ABANDONED:
        events_add(EV_CALL_ABANDONED, (int64_t)e->call, e->agent, queue, NULL, NULL, NULL, e->waited / 1000,
                   e->position ? e->position
                   : c         ? c->left_position
                               : 0);
        break;
    case ACD_EV_MOVED:
        if (c)
            call_moved(c, e);
        break;
    default: /* joined, offered, ended: logged where the telephony acts */
        break;
    }
}

/* The agent put the caller on hold (from the phone, or the desk): music
 * meanwhile; or took them back. */
void call_hold_update(struct tcall *c)
{
    bool held = c->agent && (c->agent->held || c->desk_hold || (c->consult && !c->conference));
    call_media_sync(c); /* its callers changed the call's legs or mixer */
    if (c->st != T_BRIDGED || !c->agent || held == c->in.in_media)
        return;
    if (held) {
        player_moh(&c->in, true);
        leg_media_start(&c->in);
        c->held_since = mono_us();
        events_add(EV_CALL_HELD, (int64_t)c->id, c->agent_user, c->queue, NULL, NULL, NULL, 0, 0);
    } else {
        leg_media_stop(&c->in);
        events_add(EV_CALL_RESUMED, (int64_t)c->id, c->agent_user, c->queue, NULL, NULL, NULL,
                   c->held_since ? (mono_us() - c->held_since) / 1000 : 0, 0);
        c->held_since = 0;
    }
    call_media_sync(c);
}

void bridge(struct tcall *c)
{
    c->bridged_at = mono_us();
    player_clear(&c->in);
    leg_media_stop(&c->in);
    tel_count(M_BRIDGED, 1);
    if (rt.cfg.recording && (!rt.cfg.recording_countries[0] || strstr(rt.cfg.recording_countries, c->country))) {
        c->recording = true;
        c->rec_start = mono_us();
        /* bridged again (a transfer): the same recording goes on */
        if (!c->rec_stream && !(c->rec_stream = rec_stream_open(c->id, c->callid))) {
            log_error("tel: out of memory: call %llu is not recorded", (unsigned long long)c->id);
            c->recording = false;
        }
    }
    rt_log_call(c, "bridged to agent %lld after %llds", (long long)c->agent_user,
                (long long)((c->bridged_at - c->queued_at) / 1000000));
}

/* ---- the end ---- */

static void finish(struct tcall *c)
{
    int64_t mono = mono_us();

    if (waiting(c)) {
        int64_t wait;
        if (acd_call_estimate(rt.acd, c->id, &c->left_position, &wait))
            err_clear();
    }
    if (waiting(c) || c->st == T_BRIDGED || c->st == T_DIALLING || c->agent)
        acd_call_gone(rt.acd, c->id, mono);
    supervise_end(c);
    consult_end(c);
    agent_leg_free(c);
    leg_release(&c->in);
    halfopen_done(c);
    if (!c->outbound)
        path_add(c);
    /* durations on the monotonic clock: a clock step changes no wait */
    int64_t waited = c->queued_at ? ((c->bridged_at   ? c->bridged_at
                                      : c->left_queue ? c->left_queue
                                                      : mono) -
                                     c->queued_at) /
                                        1000
                                  : 0;
    int64_t talked = c->bridged_at ? (mono - c->bridged_at) / 1000 : 0;
    struct ev ended = {
        .kind = EV_CALL_ENDED, .call = (int64_t)c->id, .agent = c->bridged_at ? c->agent_user : 0, .n = waited, .m = talked};
    snprintf(ended.queue, sizeof(ended.queue), "%s", c->queue);
    snprintf(ended.a, sizeof(ended.a), "%s", c->end_reason);
    snprintf(ended.c, sizeof(ended.c), "%s", c->path);
    events_emit(&ended);
    if (c->outbound)
        dialler_finished(c);
    if (c->rec_stream) { /* the writer finishes the file and logs call.recorded */
        rec_stream_close(c->rec_stream);
        c->rec_stream = NULL;
    }
    if (c->message) { /* the caller hung up during the message: it ends here, and is kept */
        rec_stream_close(c->message);
        c->message = NULL;
    }
    rt_log_call(c, "ended: %s; path: %s", c->end_reason, c->path);
    list_unlink(&c->le);
    rt.ncalls--;
    mem_deref(c);
}

void calls_tick(int64_t now)
{
    struct le *le = rt.calls.head;
    while (le) {
        struct tcall *c = le->data;
        le = le->next;
        if (c->end_reason[0]) {
            finish(c);
            continue;
        }
        player_poll(&c->in); /* before the keys: a prompt over takes them without barge-in */
        if (c->agent) {
            struct leg *a = c->agent;
            if (a->answered_flag) {
                a->answered_flag = false;
                if (waiting(c) && !acd_call_answered(rt.acd, c->id, c->agent_user, mono_us()))
                    call_fire(c, CE_AGENT_ANSWERED); /* bridged, or a callback's citizen called */
            } else if (a->declined_flag) {
                a->declined_flag = false;
                a->declined = true; /* for the event log's "why" */
                if (waiting(c) && !acd_call_declined(rt.acd, c->id, c->agent_user, mono_us()))
                    call_fire(c, CE_AGENT_DECLINED);
                err_clear();
                agent_leg_free(c);
            }
            call_hold_update(c);
        }
        halfopen_tick(c, now);
        supervise_tick(c);
        consult_tick(c, now);
        dialler_tick(c, now);
        transfer_tick(c);
        for (int i = 0; i < c->nkeyed && !c->end_reason[0]; i++)
            on_key(c, c->keyed[i]);
        c->nkeyed = 0;
        if (c->job_done) {
            c->job_done = false;
            step(c, &c->job_ev);
        }
        if (c->in.play_done) {
            c->in.play_done = false;
            on_played(c);
        }
        if (c->deadline && now >= c->deadline) {
            struct ivr_event e = {.kind = c->nd ? IVR_E_DIGITS : IVR_E_TIMEOUT};
            snprintf(e.digits, sizeof(e.digits), "%s", c->digits);
            c->deadline = 0;
            step(c, &e);
        }
        if (c->st == T_QUEUED && c->next_announce && now >= c->next_announce && !player_busy(&c->in)) {
            c->next_announce = now + rt.cfg.queue_announce;
            announce(c);
        }
        if (c->queue_exit && !c->end_reason[0])
            queue_left(c, now);
        if (c->taking_message && c->message_until && now >= c->message_until)
            message_end(c);
        /* A caller gone without a BYE (a dropped line): no audio for too
         * long, unless they put the call on hold themselves. */
        if (now - leg_last_rx(&c->in) > rt.cfg.rtp_timeout && !c->in.held && (!c->outbound || c->st == T_BRIDGED))
            call_fire(c, CE_RTP_TIMEOUT);
        if (now - c->last_refresh > rt.cfg.refresh && c->in.sess && c->in.established) {
            struct mbuf *desc = NULL;
            c->last_refresh = now;
            if (!leg_sdp_local(&c->in, true, &desc))
                sipsess_modify(c->in.sess, desc);
            mem_deref(desc);
        }
        call_media_sync(c); /* the IVR's keys, an answer, a message: what its audio is for now */
    }
}

/* A job's answer reaches its call: the IVR steps at the next tick. */
static void job_answered(struct tcall *c, enum job_kind k, const struct ivr_case *kase, bool ok)
{
    memset(&c->job_ev, 0, sizeof(c->job_ev));
    c->job_ev.kind = k == JOB_LOOKUP ? IVR_E_LOOKUP : IVR_E_STORED;
    if (kase)
        c->job_ev.kase = *kase;
    c->job_ev.ok = ok;
    c->job_done = true;
    call_fire(c, CE_JOB_DONE);
}

void calls_job_done(void *arg)
{
    struct job *j = arg;
    if (j->kind == JOB_DIAL) {
        dialler_call(j); /* takes it */
        return;
    }
    struct tcall *c = call_find(j->call);
    if (c)
        job_answered(c, j->kind, &j->kase, j->ok);
    free(j);
}

/* The message's time is up (max_seconds, or '#'): the writer finishes the
 * file and answers (message.left, then rec_done's answer through the
 * mqueue); the caller waits for it like for a job, then hears the node's
 * next. No file I/O here. */
static void message_end(struct tcall *c)
{
    rt_log_call(c, "voice message ends: %s", c->message_until == 1 ? "the caller pressed #" : "max_seconds reached");
    c->taking_message = false;
    c->recording = false;
    call_fire(c, CE_IVR_JOB);
    if (c->message) {
        struct rec_stream *s = c->message;
        c->message = NULL;
        call_media_sync(c); /* no packet feeds it any more: the writer may take it back */
        rec_message_end(s);
    } else {
        job_answered(c, JOB_MESSAGE, NULL, false); /* nothing was recorded */
    }
}
