/*
 * A supervisor on a live call: their phone is called and joins the call as
 * a third leg, in one of three modes (issue 12):
 *
 *   listen   the supervisor hears caller and agent; nobody hears them
 *   whisper  and the agent hears the supervisor (the caller does not)
 *   barge    everybody hears everybody (a three-way conference)
 *
 * While a supervisor is on, the call's audio goes through a mixer instead
 * of being relayed packet by packet: each leg's received audio waits in a
 * short ring (200 ms at most: older audio is dropped, never delayed), and
 * every 20 ms, on the media ticker, one frame is taken from each ring and
 * each leg is sent the sum of the frames it may hear (clipped).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt.h"
#include "events/events.h"

#define RING (FRAME * 10) /* 200 ms */

struct mixer {
    int16_t ring[3][RING]; /* caller, agent, supervisor: what each said */
    size_t r[3], n[3];
    int64_t due; /* monotonic µs of the next frame */
    bool marker;
    struct le le; /* in mixers */
    /* who is sent a mix (NULL: nobody at that place, or not now) and who
     * hears whom, set from the call's state by mixer_sync(): the ticker's
     * side never reads the call */
    struct leg *to[3];
    bool caller_to_agent, caller_to_third, third_to_agent, third_to_caller;
};

/* The calls that have a mixer (a supervisor or a conference on them): the
 * ticker walks these, not every call (walking every call every 2 ms for
 * the rare mixer was a tenth of the thread's CPU at 1,000 calls/s). */
static struct list mixers;

enum { M_CALLER, M_AGENT, M_SUP };

static const char *const mode_names[] = {"off", "listen", "whisper", "barge"};

const char *monitor_mode_name(enum monitor_mode m)
{
    return m >= MON_OFF && m <= MON_BARGE ? mode_names[m] : "?";
}

int monitor_mode_parse(const char *s, enum monitor_mode *out)
{
    for (int m = MON_OFF; m <= MON_BARGE; m++)
        if (s && !strcmp(s, mode_names[m])) {
            *out = (enum monitor_mode)m;
            return 0;
        }
    return err_set_field(WASL_EINVAL, "tel.invalid_mode", "mode", "listen, whisper, barge or off");
}

/* ---- the mixer ---- */

int mixer_place(const struct tcall *c, const struct leg *l)
{
    return l == &c->in ? M_CALLER : l == c->agent ? M_AGENT : M_SUP;
}

struct leg *call_third(const struct tcall *c)
{
    return c->sup ? c->sup : c->consult;
}

void mixer_feed(struct mixer *m, int k, const int16_t *pcm, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (m->n[k] == RING) { /* full: the oldest goes (latency stays bounded) */
            m->r[k] = (m->r[k] + 1) % RING;
            m->n[k]--;
        }
        m->ring[k][(m->r[k] + m->n[k]) % RING] = pcm[i];
        m->n[k]++;
    }
}

static void take(struct mixer *m, int k, int16_t *out)
{
    size_t got = m->n[k] < FRAME ? m->n[k] : FRAME;
    for (size_t i = 0; i < got; i++)
        out[i] = m->ring[k][(m->r[k] + i) % RING];
    memset(out + got, 0, (FRAME - got) * sizeof(*out));
    m->r[k] = (m->r[k] + got) % RING;
    m->n[k] -= got;
}

static void sum(int16_t *out, const int16_t *a, const int16_t *b, bool with_b)
{
    for (int i = 0; i < FRAME; i++) {
        int v = a[i] + (with_b ? b[i] : 0);
        out[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
    }
}

/* The third leg is a supervisor (listen, whisper, barge) or a colleague
 * consulted: the agent and the colleague talk while the caller waits on
 * hold, or the three are in conference (as barge). The caller is sent the
 * mix unless on hold (music plays); the agent and the third once their
 * phones answered. */
void mixer_sync(struct tcall *c)
{
    struct mixer *m = c->mix;
    struct leg *third = call_third(c);
    bool consult = !c->sup && c->consult, conference = consult && c->conference;
    bool third_to_agent = consult || c->mon == MON_WHISPER || c->mon == MON_BARGE;
    bool third_to_caller = conference || c->mon == MON_BARGE;
    bool caller_to = !consult || conference;
    struct leg *to[3] = {!c->in.in_media ? &c->in : NULL, c->agent && c->agent->established ? c->agent : NULL,
                         third && third->established ? third : NULL};
    if (m->third_to_agent == third_to_agent && m->third_to_caller == third_to_caller && m->caller_to_agent == caller_to &&
        m->caller_to_third == caller_to && !memcmp(m->to, to, sizeof(to)))
        return;
    media_lock();
    m->third_to_agent = third_to_agent;
    m->third_to_caller = third_to_caller;
    m->caller_to_agent = m->caller_to_third = caller_to;
    memcpy(m->to, to, sizeof(to));
    media_unlock();
}

/* (under media_lock: from leg_media_close) */
void mixer_forget(struct mixer *m, const struct leg *l)
{
    for (int k = 0; k < 3; k++)
        if (m->to[k] == l)
            m->to[k] = NULL;
}

static void mix_frame(struct mixer *m)
{
    int16_t in[3][FRAME], out[FRAME];
    static const int16_t silence[FRAME];
    for (int k = 0; k < 3; k++)
        take(m, k, in[k]);
    if (m->to[M_CALLER]) {
        sum(out, in[M_AGENT], in[M_SUP], m->third_to_caller);
        media_send(m->to[M_CALLER], out, FRAME, m->marker);
    }
    if (m->to[M_AGENT]) {
        sum(out, m->caller_to_agent ? in[M_CALLER] : silence, in[M_SUP], m->third_to_agent);
        media_send(m->to[M_AGENT], out, FRAME, m->marker);
    }
    if (m->to[M_SUP]) {
        sum(out, m->caller_to_third ? in[M_CALLER] : silence, in[M_AGENT], true);
        media_send(m->to[M_SUP], out, FRAME, m->marker);
    }
    m->marker = false;
}

void mixer_tick(int64_t now)
{
    for (struct le *le = mixers.head; le; le = le->next) {
        struct mixer *m = le->data;
        int sent = 0;
        while (m->due <= now && sent++ < 5) {
            mix_frame(m);
            m->due += PTIME_US;
        }
        if (m->due <= now) {
            m->due = now + PTIME_US;
            m->marker = true;
        }
    }
}

void mixer_start(struct tcall *c)
{
    struct mixer *m;
    if (c->mix || !(m = calloc(1, sizeof(*m))))
        return;
    int64_t now = mono_us();
    m->due = now - now % (TICK_MS * 1000) + TICK_MS * 1000;
    m->marker = true;
    c->mix = m;
    mixer_sync(c); /* who hears whom, before the ticker sees it */
    media_lock();
    list_append(&mixers, &m->le, m);
    media_unlock();
    call_media_sync(c);
}

void mixer_stop(struct tcall *c)
{
    struct mixer *m = c->mix;
    if (!m)
        return;
    c->mix = NULL;
    media_lock();
    call_media_sync(c); /* no leg's route keeps it */
    list_unlink(&m->le);
    media_unlock();
    free(m);
}

/* ---- the supervisor's leg ---- */

static void supervisor_gone(struct tcall *c, const char *why)
{
    if (!c->sup)
        return;
    mixer_stop(c);
    leg_hangup(c->sup);
    c->sup = NULL;
    events_add(EV_CALL_SUPERVISED, (int64_t)c->id, c->agent_user, c->queue, "off", why, NULL, c->sup_user, 0);
    rt_log_call(c, "supervisor %lld left (%s)", (long long)c->sup_user, why);
    c->sup_user = 0;
    c->mon = MON_OFF;
}

/* From calls_tick: the supervisor's phone answered, refused or hung up. */
void supervise_tick(struct tcall *c)
{
    struct leg *s = c->sup;
    if (!s)
        return;
    if (s->answered_flag) {
        s->answered_flag = false;
        if (c->st == T_BRIDGED) {
            mixer_start(c);
            events_add(EV_CALL_SUPERVISED, (int64_t)c->id, c->agent_user, c->queue, monitor_mode_name(c->mon), "joined", NULL,
                       c->sup_user, 0);
            rt_log_call(c, "supervisor %lld on the call (%s)", (long long)c->sup_user, monitor_mode_name(c->mon));
        }
    }
    if (s->declined_flag)
        supervisor_gone(c, s->established ? "hung_up" : "not_answered");
    else if (c->st != T_BRIDGED || !c->agent)
        supervisor_gone(c, "call_ended");
}

void supervise_end(struct tcall *c)
{
    supervisor_gone(c, "call_ended");
}

struct monitor_q {
    uint64_t call;
    int64_t supervisor;
    enum monitor_mode mode;
};

static int monitor_rt(void *arg)
{
    const struct monitor_q *q = arg;
    struct tcall *c = call_find(q->call);
    char contact[256];

    if (!c || c->st != T_BRIDGED || !c->agent)
        return err_set(WASL_ENOENT, "tel.no_such_call", "no call in conversation with this number");
    if (c->sup && c->sup_user != q->supervisor)
        return err_set(WASL_ECONFLICT, "tel.supervised", "another supervisor is on this call");
    if (c->consult && q->mode != MON_OFF)
        return err_set(WASL_ECONFLICT, "tel.consulting", "the agent is consulting a colleague: join when they are done");
    if (q->mode == MON_OFF) {
        if (c->sup)
            supervisor_gone(c, "stopped");
        return 0;
    }
    if (c->sup) { /* the same supervisor changes mode */
        if (c->mon != q->mode) {
            c->mon = q->mode;
            events_add(EV_CALL_SUPERVISED, (int64_t)c->id, c->agent_user, c->queue, monitor_mode_name(c->mon), "changed", NULL,
                       c->sup_user, 0);
        }
        return 0;
    }
    if (q->supervisor == c->agent_user)
        return err_set(WASL_ECONFLICT, "tel.own_call", "an agent cannot supervise their own call");
    if (!registrar_contact(q->supervisor, contact, sizeof(contact)))
        return err_set(WASL_ECONFLICT, "tel.no_phone", "your phone is not registered: it must ring to join the call");
    struct leg *l = leg_dial(c, contact, LEG_SUPERVISOR);
    if (!l)
        return err_set(WASL_EINTERNAL, "tel.dial", "your phone could not be called");
    c->sup = l;
    c->sup_user = q->supervisor;
    c->mon = q->mode;
    rt_log_call(c, "calling supervisor %lld at %s (%s)", (long long)q->supervisor, contact, monitor_mode_name(q->mode));
    return 0;
}

int tel_monitor(uint64_t call, int64_t supervisor, const char *mode, bool *applied)
{
    enum monitor_mode m;
    int err;
    *applied = false;
    if ((err = monitor_mode_parse(mode, &m)))
        return err;
    struct monitor_q *q = calloc(1, sizeof(*q));
    if (!q)
        return WASL_ENOMEM;
    *q = (struct monitor_q){call, supervisor, m};
    return tel_command(monitor_rt, q, free, CMD_WAIT_MS, applied);
}
