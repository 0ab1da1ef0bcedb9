/*
 * A caller's life in the distributor: joining a queue (or leaving at once
 * through an exit), ringing, answered, declined or timed out, gone; callbacks
 * that keep their place, are dialled by the telephony and retried at the
 * same place; and acd_tick, which runs only what is due by the clock.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "acd_int.h"
#include "core/core.h"

#define OWNER(ptr, type, field) ((type *)(void *)((char *)(ptr)-offsetof(type, field)))

struct entry *acd_entry_find(const struct acd *a, uint64_t id)
{
    return acd_map_get(&a->call_by_id, id);
}

static struct entry *find(const struct acd *a, uint64_t id)
{
    return acd_entry_find(a, id);
}

static void event(struct acd *a, enum acd_event_kind k, const struct entry *e, const struct agent *ag, const char *reason,
                  int64_t now)
{
    struct acd_event ev = {.kind = k, .at = now, .queue = e->q->idx, .call = e->id};
    ev.agent = ag ? ag->id : 0;
    ev.priority = e->priority;
    ev.callback = e->callback;
    ev.waited = now - e->joined;
    ev.position = acd_position(e);
    ev.attempt = e->attempts;
    acd_copy(ev.reason, sizeof(ev.reason), reason);
    acd_emit(a, &ev);
}

static void leave_now(struct acd *a, uint64_t id, struct queue *q, enum acd_exit why, int64_t now)
{
    struct acd_event ev = {.kind = ACD_EV_EXIT, .at = now, .queue = q->idx, .call = id};
    ev.exit = why;
    acd_copy(ev.reason, sizeof(ev.reason), acd_exit_name(why));
    q->exits++;
    acd_emit(a, &ev);
    a->h.exit(a->h.arg, id, q->idx, why);
}

void acd_entry_free(struct acd *a, struct entry *e)
{
    acd_unpend_entry(a, e);
    acd_line_remove(a, e);
    acd_timer_stop(a, &e->t_wait);
    acd_timer_stop(a, &e->t_ring);
    acd_map_del(&a->call_by_id, e->id);
    free(e->ring);
    free(e);
}

void acd_exit_entry(struct acd *a, struct entry *e, enum acd_exit why, int64_t now)
{
    struct acd_event ev = {.kind = ACD_EV_EXIT, .at = now, .queue = e->q->idx, .call = e->id};
    ev.exit = why;
    ev.position = acd_position(e);
    ev.waited = now - e->joined;
    ev.priority = e->priority;
    acd_copy(ev.reason, sizeof(ev.reason), acd_exit_name(why));
    e->q->exits++;
    acd_emit(a, &ev);
    a->h.exit(a->h.arg, e->id, e->q->idx, why);
    acd_entry_free(a, e);
}

/* Checks the options of a new entry and makes it, not yet in a line. */
static int make(struct acd *a, uint64_t id, int queue, const struct acd_call_opts *opts, int64_t now, struct entry **out)
{
    struct acd_call_opts o = {0};
    struct entry *e;
    if (opts)
        o = *opts;
    if (!id)
        return err_set_field(WASL_EINVAL, "acd.invalid_call", "call", "a call id is not 0");
    if (queue < 0 || queue >= a->nq)
        return err_set_field(WASL_EINVAL, "acd.invalid_queue", "queue", "no queue %d", queue);
    if (o.priority < 0 || o.priority > ACD_PRIORITY_MAX)
        return err_set_field(WASL_EINVAL, "acd.invalid_priority", "priority", "a priority from 0 to %d", ACD_PRIORITY_MAX);
    if (o.joined > now || o.joined < 0 || (o.has_language2 && o.language2 < 0))
        return err_set_field(WASL_EINVAL, "acd.invalid_call", "joined", "an arrival not in the future and a language index");
    if (o.max_wait < 0 || ((o.max_wait || o.exit_no_agents) && !a->h.exit))
        return err_set_field(WASL_EINVAL, "acd.invalid_call", "max_wait",
                             "a caller's limits need a max wait >= 0 and the exit hook");
    if (find(a, id))
        return err_set(WASL_ECONFLICT, "acd.duplicate_call", "this call is already queued");
    if (!(e = calloc(1, sizeof(*e))))
        return WASL_ENOMEM;
    /* Room for its two time-outs, so no state change fails half-way. */
    if (acd_timers_reserve(&a->timers, 2 * ((int)a->call_by_id.n + 1) + a->nagents) || acd_map_put(&a->call_by_id, id, e)) {
        free(e);
        return WASL_ENOMEM;
    }
    e->id = id;
    e->q = a->q[queue];
    int q2 = o.has_language2 && o.language2 != e->q->language ? acd_queue_find(a, o.language2, e->q->service) : -1;
    e->q2 = q2 >= 0 ? a->q[q2] : NULL;
    e->priority = o.priority;
    e->max_wait = o.max_wait;
    e->exit_no_agents = o.exit_no_agents;
    e->language2 = o.has_language2 && o.language2 != e->q->language ? o.language2 : -1;
    e->joined = o.joined ? o.joined : now;
    e->wait_from = e->joined;
    e->seq = ++a->seq;
    e->step = -1;
    e->t_wait.pos = e->t_ring.pos = -1;
    e->t_wait.kind = T_WAIT;
    e->t_ring.kind = T_RING;
    *out = e;
    return 0;
}

static void joined(struct acd *a, struct entry *e, int64_t now)
{
    int place = acd_line_insert(a, e, now);
    struct acd_event ev = {.kind = ACD_EV_QUEUE_JOINED, .at = now, .queue = e->q->idx, .call = e->id};
    ev.position = place;
    ev.priority = e->priority;
    ev.callback = e->callback;
    ev.waited = now - e->joined;
    acd_emit(a, &ev);
    acd_settle(a, now);
}

int acd_call_enqueue(struct acd *a, uint64_t id, int queue, const struct acd_call_opts *opts, int64_t now)
{
    struct entry *e;
    int err;
    if (queue >= 0 && queue < a->nq && !find(a, id)) {
        struct queue *q = a->q[queue];
        /* agents of a second language the caller accepted will take them as the queue widens */
        int q2 =
            opts && opts->has_language2 && opts->language2 != q->language ? acd_queue_find(a, opts->language2, q->service) : -1;
        bool nobody = !q->logged_in && (q2 < 0 || !a->q[q2]->logged_in);
        if ((q->exit_no_agents || (opts && opts->exit_no_agents && a->h.exit)) && nobody) {
            leave_now(a, id, q, ACD_EXIT_NO_AGENTS, now);
            return 0;
        }
        if (q->max_len && q->ncallers >= q->max_len) {
            leave_now(a, id, q, ACD_EXIT_FULL, now);
            return 0;
        }
    }
    if ((err = make(a, id, queue, opts, now, &e)))
        return err;
    joined(a, e, now);
    return 0;
}

/* ---- ringing ---- */

/* ag stops ringing for e (the agent's state is the caller's to set). */
static void unring(struct acd *a, struct entry *e, struct agent *ag, enum acd_event_kind k, const char *reason, int64_t now)
{
    for (int i = 0; i < e->nring; i++)
        if (e->ring[i] == ag) {
            e->ring[i] = e->ring[--e->nring];
            break;
        }
    ag->call = NULL;
    if (a->h.cancel)
        a->h.cancel(a->h.arg, e->id, ag->id);
    event(a, k, e, ag, reason, now);
}

/* Ringing nobody any more: back to its place in line. */
static void back(struct acd *a, struct entry *e, int64_t now)
{
    if (e->nring)
        return;
    acd_timer_stop(a, &e->t_ring);
    acd_line_insert(a, e, now);
}

/* A callback's reserved agent is let go (the telephony stops dialling);
 * returns the agent, whose state is the caller's to set. */
static struct agent *unreserve(struct acd *a, struct entry *e, enum acd_event_kind k, const char *reason, int64_t now)
{
    struct agent *ag = e->agent;
    e->reserved = false;
    e->agent = NULL;
    e->nring = 0;
    ag->call = NULL;
    if (a->h.cancel)
        a->h.cancel(a->h.arg, e->id, ag->id);
    event(a, k, e, ag, reason, now);
    return ag;
}

void acd_release(struct acd *a, struct agent *ag, const char *reason, int64_t now)
{
    struct entry *e = ag->call;
    if (!e)
        return;
    if (e->consult == ag) { /* a colleague rung for a consultation */
        acd_consult_drop(a, e, now);
        return;
    }
    if (e->reserved) {
        /* Given up before any dialling result: not an attempt. */
        e->attempts--;
        unreserve(a, e, ACD_EV_NOT_ANSWERED, reason, now);
        acd_line_insert(a, e, now);
        return;
    }
    unring(a, e, ag, ACD_EV_NOT_ANSWERED, reason, now);
    back(a, e, now);
}

static void not_answered(struct acd *a, struct entry *e, struct agent *ag, const char *reason, int64_t now)
{
    unring(a, e, ag, ACD_EV_NOT_ANSWERED, reason, now);
    if (e->direct) { /* a transfer to them: no penalty, back to what they did */
        e->direct = false;
        acd_back_to_before(a, ag, now);
    } else if (a->s.no_answer_pause)
        acd_set_state(a, ag, ACD_PAUSED, "no_answer", 0, now);
    else
        acd_set_state(a, ag, ACD_AVAILABLE, NULL, 0, now);
    back(a, e, now);
}

static int ringing(const struct acd *a, uint64_t id, int64_t agent, struct entry **e, struct agent **ag)
{
    *e = find(a, id);
    *ag = NULL;
    if (*e && !(*e)->talking && !(*e)->reserved)
        for (int i = 0; i < (*e)->nring && !*ag; i++)
            if (!agent || (*e)->ring[i]->id == agent)
                *ag = (*e)->ring[i];
    if (!*ag)
        return err_set(WASL_ECONFLICT, "acd.not_ringing", "this call is not ringing that agent");
    return 0;
}

static void talk(struct acd *a, struct entry *e, struct agent *ag, int64_t now)
{
    e->talking = true;
    e->agent = ag;
    e->answered_at = now;
    ag->call = e;
    ag->calls_today++;
    acd_set_state(a, ag, ACD_BUSY, NULL, 0, now);
    e->q->answered++;
    if (now - e->joined <= e->q->sl)
        e->q->answered_in_sl++;
    event(a, ACD_EV_ANSWERED, e, ag, NULL, now);
}

int acd_call_answered(struct acd *a, uint64_t id, int64_t agent, int64_t now)
{
    struct entry *e;
    struct agent *ag;
    int err = ringing(a, id, agent, &e, &ag);
    if (err)
        return err;
    acd_timer_stop(a, &e->t_ring);
    /* Ring all: the others stop ringing and are free again. */
    while (e->nring > 1) {
        struct agent *x = e->ring[e->nring - 1] == ag ? e->ring[0] : e->ring[e->nring - 1];
        unring(a, e, x, ACD_EV_RING_CANCELLED, "answered_elsewhere", now);
        acd_set_state(a, x, ACD_AVAILABLE, NULL, 0, now);
    }
    e->direct = false;
    talk(a, e, ag, now);
    acd_settle(a, now);
    return 0;
}

int acd_call_declined(struct acd *a, uint64_t id, int64_t agent, int64_t now)
{
    struct entry *e;
    struct agent *ag;
    int err = ringing(a, id, agent, &e, &ag);
    if (err)
        return err;
    not_answered(a, e, ag, "declined", now);
    acd_settle(a, now);
    return 0;
}

/* The talk of e with its agent ends: the agent goes to wrap-up (or what a
 * supervisor forced meanwhile). e stays, not talking. */
void acd_end_talk(struct acd *a, struct entry *e, int64_t now)
{
    struct agent *ag = e->agent;
    struct acd_event ev = {.kind = ACD_EV_ENDED, .at = now, .queue = e->q->idx, .call = e->id, .agent = ag->id};
    ev.priority = e->priority;
    ev.callback = e->callback;
    ev.waited = e->answered_at - e->joined;
    ev.talked = now - e->answered_at;
    acd_emit(a, &ev);
    /* the handling time waiting callers are told about: talk and
     * wrap-up, averaged with weight 1/5 */
    int64_t handled = ev.talked + a->s.wrap_up;
    e->q->handle_avg = e->q->handle_avg ? (4 * e->q->handle_avg + handled) / 5 : handled;
    e->talking = false;
    e->agent = NULL;
    acd_end_of_call(a, ag, now);
}

/* The phones ringing for e stop (RING_CANCELLED with reason): the agents
 * are free again, without a ring-no-answer pause. */
static void stop_rings(struct acd *a, struct entry *e, const char *reason, int64_t now)
{
    while (e->nring) {
        struct agent *x = e->ring[e->nring - 1];
        unring(a, e, x, ACD_EV_RING_CANCELLED, reason, now);
        if (e->direct)
            acd_back_to_before(a, x, now);
        else
            acd_set_state(a, x, ACD_AVAILABLE, NULL, 0, now);
    }
    e->direct = false;
    acd_timer_stop(a, &e->t_ring);
}

/* The entry of a call the ACD holds, or WASL_ENOENT (acd.unknown_call). */
static int held(const struct acd *a, uint64_t id, struct entry **e)
{
    *e = find(a, id);
    return *e ? 0 : err_set(WASL_ENOENT, "acd.unknown_call", "the ACD does not hold this call");
}

int acd_call_gone(struct acd *a, uint64_t id, int64_t now)
{
    struct entry *e;
    int err = held(a, id, &e);
    if (err)
        return err;
    if (e->consult) {
        struct agent *x = e->consult;
        acd_consult_drop(a, e, now);
        acd_back_to_before(a, x, now);
    }
    if (e->talking) {
        acd_end_talk(a, e, now);
    } else if (e->reserved) {
        acd_set_state(a, unreserve(a, e, ACD_EV_CALLBACK_CANCELLED, "cancelled", now), ACD_AVAILABLE, NULL, 0, now);
    } else if (e->callback) {
        event(a, ACD_EV_CALLBACK_CANCELLED, e, NULL, "cancelled", now);
    } else {
        event(a, ACD_EV_ABANDONED, e, NULL, NULL, now);
        e->q->abandoned++;
        stop_rings(a, e, "caller_gone", now); /* hung up while agents' phones rang */
    }
    acd_entry_free(a, e);
    acd_settle(a, now);
    return 0;
}

/* ---- a supervisor moves a waiting caller ---- */

int acd_call_move(struct acd *a, uint64_t id, int queue, int64_t by, int64_t now)
{
    struct entry *e;
    int err = held(a, id, &e);
    if (err)
        return err;
    if (queue < 0 || queue >= a->nq)
        return err_set_field(WASL_EINVAL, "acd.invalid_queue", "queue", "no queue %d", queue);
    if (e->callback || e->talking || e->reserved || (!e->in_line && !e->nring))
        return err_set(WASL_ECONFLICT, "acd.not_waiting", "only a caller waiting for an agent can be moved");
    struct queue *to = a->q[queue], *from = e->q;
    if (to == from)
        return err_set(WASL_ECONFLICT, "acd.same_queue", "the caller already waits in this queue");
    int k2 = e->language2 >= 0 && e->language2 != to->language ? acd_queue_find(a, e->language2, to->service) : -1;
    struct queue *q2 = k2 >= 0 ? a->q[k2] : NULL;
    if (!to->logged_in && !(q2 && q2->logged_in))
        return err_set(WASL_ECONFLICT, "acd.no_agents", "nobody who can take this queue is logged in");
    stop_rings(a, e, "moved", now);
    acd_line_remove(a, e);
    e->q = to;
    e->q2 = q2;
    /* the new queue's widening by the whole wait, without a WIDENED of its own (MOVED says it) */
    e->step = acd_step_at(to, now - e->joined);
    e->wait_from = now;
    struct acd_event ev = {.kind = ACD_EV_MOVED, .at = now, .queue = to->idx, .call = e->id};
    ev.from_queue = from->idx;
    ev.by = by;
    ev.position = acd_line_insert(a, e, now);
    ev.priority = e->priority;
    ev.waited = now - e->joined;
    ev.step = e->step;
    acd_emit(a, &ev);
    acd_settle(a, now);
    return 0;
}

/* ---- callbacks ---- */

int acd_call_to_callback(struct acd *a, uint64_t id, int64_t now)
{
    struct entry *e;
    int err = held(a, id, &e);
    if (err)
        return err;
    if (!a->h.dial_callback)
        return err_set(WASL_EINVAL, "acd.no_dial_hook", "callbacks need the dial_callback hook");
    if (!e->in_line || e->callback)
        return err_set(WASL_ECONFLICT, "acd.not_waiting", "only a caller waiting in line can become a callback");
    /* Out and back in at the same place (arrival and order kept): the
     * maximum wait no longer applies. */
    acd_line_remove(a, e);
    e->callback = true;
    acd_line_insert(a, e, now);
    event(a, ACD_EV_CALLBACK_REQUESTED, e, NULL, NULL, now);
    acd_settle(a, now);
    return 0;
}

int acd_callback_add(struct acd *a, uint64_t id, int queue, const struct acd_call_opts *opts, int64_t now)
{
    struct entry *e;
    int err;
    if (!a->h.dial_callback)
        return err_set(WASL_EINVAL, "acd.no_dial_hook", "callbacks need the dial_callback hook");
    if ((err = make(a, id, queue, opts, now, &e)))
        return err;
    e->callback = true;
    joined(a, e, now);
    return 0;
}

static int reserved(const struct acd *a, uint64_t id, struct entry **e)
{
    *e = find(a, id);
    if (!*e || !(*e)->reserved)
        return err_set(WASL_ECONFLICT, "acd.not_reserved", "this callback has no agent reserved");
    return 0;
}

int acd_callback_answered(struct acd *a, uint64_t id, int64_t now)
{
    struct entry *e;
    int err = reserved(a, id, &e);
    if (err)
        return err;
    e->reserved = false;
    talk(a, e, e->agent, now);
    acd_settle(a, now);
    return 0;
}

int acd_callback_failed(struct acd *a, uint64_t id, bool agent_failed, int64_t retry_at, int64_t now)
{
    struct entry *e;
    int err = reserved(a, id, &e);
    if (err)
        return err;
    if (retry_at < 0)
        return err_set_field(WASL_EINVAL, "acd.invalid_retry", "retry_at", "a time, or 0 to give up");
    struct agent *ag = e->agent;
    struct acd_event ev = {.kind = ACD_EV_CALLBACK_ATTEMPTED, .at = now, .queue = e->q->idx, .call = e->id, .agent = ag->id};
    ev.priority = e->priority;
    ev.callback = true;
    ev.waited = now - e->joined;
    ev.attempt = e->attempts;
    ev.retry_at = retry_at;
    acd_copy(ev.reason, sizeof(ev.reason), agent_failed ? "agent_no_answer" : "no_answer");
    e->reserved = false;
    e->agent = NULL;
    e->nring = 0;
    ag->call = NULL;
    acd_emit(a, &ev);
    if (agent_failed && a->s.no_answer_pause)
        acd_set_state(a, ag, ACD_PAUSED, "no_answer", 0, now);
    else
        acd_set_state(a, ag, ACD_AVAILABLE, NULL, 0, now);
    if (!retry_at) {
        acd_entry_free(a, e);
    } else if (retry_at <= now) {
        acd_line_insert(a, e, now);
    } else {
        e->t_wait.kind = T_RETRY;
        acd_timer_set(a, &e->t_wait, retry_at);
    }
    acd_settle(a, now);
    return 0;
}

int acd_callback_replace(struct acd *a, uint64_t id, uint64_t call, int64_t now)
{
    struct entry *e = find(a, id), *n;
    int err;
    if (!e || !e->callback || e->talking)
        return err_set(WASL_ENOENT, "acd.unknown_callback", "no pending callback %llu", (unsigned long long)id);
    struct acd_call_opts o = {.priority = e->priority, .joined = e->joined};
    if ((err = make(a, call, e->q->idx, &o, now, &n)))
        return err;
    n->q2 = e->q2;
    n->language2 = e->language2;
    n->seq = e->seq; /* exactly its place */
    if (e->reserved) {
        acd_set_state(a, unreserve(a, e, ACD_EV_CALLBACK_CANCELLED, "called_again", now), ACD_AVAILABLE, NULL, 0, now);
    } else {
        event(a, ACD_EV_CALLBACK_CANCELLED, e, NULL, "called_again", now);
    }
    acd_entry_free(a, e);
    joined(a, n, now);
    return 0;
}

/* ---- the clock ---- */

int64_t acd_tick(struct acd *a, int64_t now)
{
    struct timer *t;
    while ((t = acd_timers_first(&a->timers)) && t->due <= now) {
        acd_timer_stop(a, t);
        if (t->kind == T_WRAP) {
            acd_set_state(a, OWNER(t, struct agent, t_wrap), ACD_AVAILABLE, NULL, 0, now);
        } else if (t->kind == T_RING) {
            struct entry *e = OWNER(t, struct entry, t_ring);
            while (e->nring)
                not_answered(a, e, e->ring[e->nring - 1], "timeout", now);
        } else if (t->kind == T_RETRY) {
            joined(a, OWNER(t, struct entry, t_wait), now); /* back at its place */
        } else {
            struct entry *e = OWNER(t, struct entry, t_wait);
            int64_t mw = acd_max_wait(e);
            if (mw > 0 && !e->callback && now - e->wait_from >= mw)
                acd_exit_entry(a, e, ACD_EXIT_MAX_WAIT, now);
            else
                acd_widen_due(a, e, now);
        }
        acd_settle(a, now);
    }
    return (t = acd_timers_first(&a->timers)) ? t->due : INT64_MAX;
}
