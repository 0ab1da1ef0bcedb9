/*
 * Callbacks are dialled. The store worker looks for requests that are due
 * (every sip.callback_poll, and at once when one is added or an agent becomes
 * free), while the center is open and it is daytime where the citizen is
 * (sip.callback_hours, in their country's time zone); it claims them (so
 * two nodes never dial the same one) and hands them to the real-time
 * thread. There each becomes a call of its own, waiting in the queue of the
 * citizen's language at its place (the time it was asked). When the
 * distributor gives it to an agent and the agent's phone answers, wasl calls
 * the citizen through the carrier (sip.outbound_proxy; the toll-fraud guard
 * was applied when the request was stored), from the toll-free number they
 * had called, and bridges the two when the citizen answers. No answer, busy
 * or a failure: tried again after sip.callback_retry, sip.callback_attempts
 * times in all.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt.h"
#include "events/events.h"
#include "cases/cases.h"
#include "calendar/calendar.h"
#include "geo/geo.h"

static atomic_int active; /* callbacks being dialled (rt thread and worker) */

bool dialler_enabled(void)
{
    return *conf_str("sip.outbound_proxy") != '\0';
}

/* Whether it is daytime for the citizen: sip.callback_hours ("09:00-20:00")
 * in their country's first time zone. */
static bool citizen_daytime(const char *country, int64_t now_s)
{
    const struct country *co = geo_country(country);
    const struct tz *z;
    struct tz_local l;
    int h1, m1, h2, m2;
    if (sscanf(conf_str("sip.callback_hours"), "%d:%d-%d:%d", &h1, &m1, &h2, &m2) != 4)
        return true; /* checked at start: cannot happen */
    if (!co || !co->nzones || tz_get(co->zones[0], &z) || tz_to_local(z, now_s, &l)) {
        err_clear();
        return true;
    }
    int at = l.hour * 60 + l.min;
    return at >= h1 * 60 + m1 && at < h2 * 60 + m2;
}

int dialler_check_conf(void)
{
    int h1, m1, h2, m2;
    if (sscanf(conf_str("sip.callback_hours"), "%d:%d-%d:%d", &h1, &m1, &h2, &m2) != 4 || h1 < 0 || h1 > 23 || h2 < 0 || h2 > 24 ||
        m1 < 0 || m1 > 59 || m2 < 0 || m2 > 59 || h1 * 60 + m1 >= h2 * 60 + m2)
        return err_set(WASL_EINVAL, "conf.invalid", "sip.callback_hours must look like 09:00-20:00 (start before end)");
    const char *p = conf_str("sip.outbound_proxy");
    struct sa sa;
    if (*p && sa_decode(&sa, p, strlen(p)))
        return err_set(WASL_EINVAL, "conf.invalid", "sip.outbound_proxy '%s' is not an address:port", p);
    return 0;
}

struct poll_ctx {
    struct db *db;
    int room, taken;
    int64_t now;
    const struct tel_status *live;
};

/* Whether an agent who speaks the language is logged in (the latest
 * snapshot): a callback nobody could take is not dialled, so no attempt is
 * spent on it. */
static bool someone_speaks(const struct tel_status *s, const char *language)
{
    for (int i = 0; s && i < s->nagents; i++) {
        const char *l = s->agents[i].languages;
        if (strcmp(s->agents[i].state, "offline") && strstr(l, language))
            return true;
    }
    return !s; /* no snapshot: do not hold callbacks back */
}

static int due_h(const struct callback_due *r, void *arg)
{
    struct poll_ctx *p = arg;
    if (p->taken >= p->room)
        return 1; /* enough for now */
    if (!citizen_daytime(r->country, p->now / WTIME_SEC) || !someone_speaks(p->live, r->language))
        return 0;
    if (callback_claim(p->db, r->id, p->now)) {
        err_clear();
        return 0;
    }
    struct job *j = calloc(1, sizeof(*j));
    if (!j)
        return WASL_ENOMEM;
    j->kind = JOB_DIAL;
    j->callback = r->id;
    j->callback_at = r->created_at;
    j->attempts = r->attempts;
    snprintf(j->caller, sizeof(j->caller), "%s", r->phone);
    snprintf(j->country, sizeof(j->country), "%s", r->country);
    snprintf(j->did, sizeof(j->did), "%s", r->did);
    snprintf(j->language, sizeof(j->language), "%s", r->language);
    atomic_fetch_add(&active, 1);
    p->taken++;
    jobs_answer(j);
    return 0;
}

void dialler_poll(struct db *db)
{
    int64_t now = clock_now();
    int room = (int)conf_int("sip.callback_max_active") - atomic_load(&active);
    if (!dialler_enabled() || room <= 0 || !calendar_is_open(now / WTIME_SEC))
        return;
    struct poll_ctx p = {db, room, 0, now, NULL};
    if (tel_status_get(&p.live))
        err_clear();
    int err = callbacks_due(db, now, room * 4, due_h, &p);
    if (p.live)
        tel_status_put(p.live);
    if (err && err != 1) {
        if (!db_is_failing(db))
            log_warn("tel: callbacks due not read: %s", err_message());
        err_clear();
    }
    if (p.taken)
        log_info("tel: %d callbacks to dial", p.taken);
}

/* The worker: what the attempt gave. */
void dialler_result(struct db *db, struct job *j)
{
    bool given_up = false;
    int64_t retry = clock_now() + conf_int("sip.callback_retry") * WTIME_SEC;
    /* wasl stopping is not the citizen's doing: no attempt spent */
    int err = !j->ok && !strcmp(j->outcome, "shutdown") ? callback_release(db, j->callback)
                                                        : callback_attempted(db, j->callback, j->outcome, j->ok, retry,
                                                                             (int)conf_int("sip.callback_attempts"), &given_up);
    if (err) {
        log_warn("tel: callback %lld: result not stored: %s", (long long)j->callback, err_message());
        err_clear();
    }
    if (given_up)
        log_info("tel: callback %lld given up after %d attempts (%s)", (long long)j->callback, j->attempts + 1, j->outcome);
    atomic_fetch_sub(&active, 1);
}

/* ---- the real-time thread ---- */

/* A claimed callback becomes a call waiting in its queue. */
void dialler_call(struct job *j)
{
    struct tcall *c;
    int q = queues_find(j->language); /* its language's general queue */
    if (q < 0 || rt.ncalls >= rt.cfg.max_calls || !(c = mem_zalloc(sizeof(*c), call_destroy))) {
        j->kind = JOB_CALLBACK_RESULT;
        j->ok = false;
        snprintf(j->outcome, sizeof(j->outcome), "%s", q < 0 ? "bad_language" : "busy_here");
        jobs_submit(j);
        return;
    }
    c->id = ++rt.next_id;
    c->in.call = c;
    c->outbound = true;
    c->callback = j->callback;
    c->callback_attempts = j->attempts;
    snprintf(c->did, sizeof(c->did), "%s", j->did);
    snprintf(c->country, sizeof(c->country), "%s", j->country);
    snprintf(c->caller, sizeof(c->caller), "%s", j->caller);
    snprintf(c->ivr.language, sizeof(c->ivr.language), "%s", j->language);
    snprintf(c->queue, sizeof(c->queue), "%s", j->language);
    snprintf(c->callid, sizeof(c->callid), "callback-%lld-%d", (long long)j->callback, j->attempts + 1);
    snprintf(c->path, sizeof(c->path), "callback");
    c->started = clock_now();
    c->last_refresh = mono_us();
    c->st = T_CB_QUEUED; /* born waiting for an agent */
    c->queued_at = mono_us();
    list_append(&rt.calls, &c->le, c);
    if (!rt.ncalls++)
        ticker_wake();
    struct ev e = {.kind = EV_CALL_ARRIVED, .at = c->started, .call = (int64_t)c->id};
    snprintf(e.a, sizeof(e.a), "%s", c->did);
    snprintf(e.b, sizeof(e.b), "%s", c->country);
    snprintf(e.c, sizeof(e.c), "%s", c->callid);
    events_emit(&e);
    events_add(EV_CALLBACK_ATTEMPTED, (int64_t)c->id, 0, c->queue, "queued", NULL, NULL, c->callback, c->callback_attempts + 1);
    events_add(EV_CALL_LANGUAGE, (int64_t)c->id, 0, NULL, c->ivr.language, NULL, NULL, 0, 0);
    struct acd_queue_view qv;
    events_add(EV_QUEUE_JOINED, (int64_t)c->id, 0, c->queue, NULL, NULL, NULL, !acd_queue_get(rt.acd, q, &qv) ? qv.waiting + 1 : 0,
               0);
    err_clear();
    /* at its place: the time it was asked, on the distributor's clock */
    int64_t mono = mono_us(), asked = mono - (clock_now() - j->callback_at);
    struct acd_call_opts o = {.joined = asked < mono ? asked : mono};
    if (acd_call_enqueue(rt.acd, c->id, q, &o, mono)) {
        rt_log_call(c, "callback %lld cannot be queued: %s", (long long)c->callback, err_message());
        err_clear();
        call_fire(c, CE_ERROR);
    }
    rt_log_call(c, "callback %lld (attempt %d) waits for an agent", (long long)c->callback, c->callback_attempts + 1);
    free(j);
}

/* The agent answered: now the citizen's phone rings. */
void dialler_agent_answered(struct tcall *c)
{
    char uri[160], from[160];
    struct mbuf *desc = NULL;
    struct leg *l = &c->in;

    c->dial_deadline = mono_us() + conf_int("sip.callback_ring") * WTIME_SEC;
    /* the agent hears music while the citizen's phone rings */
    player_moh(c->agent, true);
    leg_media_start(c->agent);
    /* the carrier as configured: over TLS when it must be, SRTP as its policy says */
    const char *proxy = conf_str("sip.outbound_proxy");
    char host[64] = "";
    struct sa pa;
    if (!sa_decode(&pa, proxy, strlen(proxy)))
        sa_ntop(&pa, host, sizeof(host));
    bool tls = host[0] && addr_list_has(&rt.cfg.trunks_tls, host);
    snprintf(uri, sizeof(uri), "sip:+%s@%s%s", c->caller, proxy, tls ? ";transport=tls" : "");
    snprintf(from, sizeof(from), "sip:%s%s@%s:%d", c->did[0] == '+' ? "" : "+", c->did, rt.cfg.address, rt.cfg.port);
    l->uac = true;
    int err = leg_srtp_policy(l, trunk_srtp_mode(host), tls);
    if (err) {
        rt_log_call(c, "callback %lld: %s", (long long)c->callback, err_message());
        err_clear();
    }
    if (!err)
        err = leg_media_open(l) || leg_sdp_local(l, true, &desc);
    if (!err)
        err = call_connect(l, uri, NULL, 0, from, desc);
    mem_deref(desc);
    events_add(EV_CALLBACK_ATTEMPTED, (int64_t)c->id, c->agent_user, c->queue, "dialling", NULL, NULL, c->callback,
               c->callback_attempts + 1);
    if (err) {
        rt_log_call(c, "callback %lld: cannot call the citizen", (long long)c->callback);
        call_fire(c, CE_DIAL_FAILED);
    } else {
        rt_log_call(c, "callback %lld: calling the citizen for agent %lld", (long long)c->callback, (long long)c->agent_user);
    }
}

/* From calls_tick while the citizen's phone rings. */
void dialler_tick(struct tcall *c, int64_t now)
{
    /* still waiting for an agent as the center closes: tried again when it opens */
    if (c->st == T_CB_QUEUED && !c->end_reason[0] && !calendar_is_open(clock_now_sec())) {
        call_fire(c, CE_CENTER_CLOSED);
        return;
    }
    if (c->st != T_DIALLING)
        return;
    if (c->in.answered_flag) {
        c->in.answered_flag = false;
        leg_media_stop(c->agent);
        player_moh(c->agent, false);
        player_clear(c->agent);
        events_add(EV_CALLBACK_ATTEMPTED, (int64_t)c->id, c->agent_user, c->queue, "answered", NULL, NULL, c->callback,
                   c->callback_attempts + 1);
        call_fire(c, CE_CITIZEN_ANSWERED);
    } else if (c->in.declined_flag) {
        call_fire(c, c->in.busy ? CE_CITIZEN_BUSY : CE_CITIZEN_FAILED);
    } else if (now >= c->dial_deadline) {
        call_fire(c, CE_DIAL_TIMEOUT);
    }
}

/* From finish(): the attempt's outcome goes back to the store. */
void dialler_finished(struct tcall *c)
{
    struct job *j = calloc(1, sizeof(*j));
    bool reached = c->bridged_at != 0;
    events_add(EV_CALLBACK_ATTEMPTED, (int64_t)c->id, c->agent_user, c->queue, reached ? "done" : "failed", c->end_reason, NULL,
               c->callback, c->callback_attempts + 1);
    if (!j) {
        log_error("tel: out of memory: callback %lld's attempt is not recorded (dialled again in 10 minutes)",
                  (long long)c->callback);
        atomic_fetch_sub(&active, 1);
        return;
    }
    j->kind = JOB_CALLBACK_RESULT;
    j->callback = c->callback;
    j->attempts = c->callback_attempts;
    j->ok = reached;
    snprintf(j->outcome, sizeof(j->outcome), "%s", c->message_drop ? "message_left" : reached ? "answered" : c->end_reason);
    jobs_submit(j);
}

/* The citizen's voicemail answered the callback: the agent leaves wasl's
 * recorded message (in the citizen's language: who called, and how to call
 * back) and is free at once; the message plays to the end, then the call
 * ends as callback_message and the request is done. */
int dialler_leave_message(struct tcall *c)
{
    const struct audio *au = audio_prompt(c->ivr.language, "callback_message");
    if (!c->outbound || c->st != T_BRIDGED || !c->agent)
        return err_set(WASL_ECONFLICT, "tel.not_a_callback", "only a callback in conversation can be left a message");
    if (!au)
        return err_set(WASL_EINTERNAL, "tel.no_prompt", "the callback_message prompt is missing in %s", c->ivr.language);
    supervise_end(c);
    consult_end(c);
    c->message_drop = true;
    acd_call_gone(rt.acd, c->id, mono_us()); /* the agent goes to wrap-up */
    err_clear();
    leg_hangup(c->agent);
    c->agent = NULL;
    events_add(EV_CALLBACK_ATTEMPTED, (int64_t)c->id, c->agent_user, c->queue, "message", NULL, NULL, c->callback,
               c->callback_attempts + 1);
    player_clear(&c->in);
    player_moh(&c->in, false);
    player_add(&c->in, au->pcm, au->n);
    leg_media_start(&c->in);
    rt_log_call(c, "callback %lld: agent %lld leaves the recorded message", (long long)c->callback, (long long)c->agent_user);
    return 0;
}

/* ---- asked by the staff ---- */

int tel_callback_schedule(struct db *db, const char *phone, const char *language, const char *call_id, int64_t *id, bool *merged)
{
    char e164[20];
    const char *country, *did = NULL, *cc;
    int err;
    bool known = false;
    for (int i = 0; i < wasl_nlanguages; i++)
        known = known || (language && !strcmp(language, wasl_languages[i]));
    if (!known)
        return err_set_field(WASL_EINVAL, "tel.invalid_language", "language", "one of the center's languages");
    if (!atomic_load(&rt.running))
        return err_set(WASL_ECONFLICT, "tel.not_running", "the telephony is not running (sip.enabled)");
    if ((err = dialplan_outbound_check(phone ? phone : "", e164, sizeof(e164), &country)))
        return err_set_field(err, err_code(), "phone", "%s", err_message());
    /* the toll-free number of the citizen's country: what they will see */
    for (int i = 0; i < dialplan_numbers() && !did; i++) {
        const char *n = dialplan_number_at(i, &cc);
        if (cc && !strcmp(cc, country))
            did = n;
    }
    if (!did)
        return err_set_field(WASL_EINVAL, "tel.number_not_covered", "phone", "no toll-free number serves that country");
    struct callback_input in = {e164, country, did, language, call_id, 0};
    if ((err = callback_add(db, &in, id, merged)))
        return err;
    jobs_wake();
    return 0;
}
