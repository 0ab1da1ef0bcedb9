/*
 * The distributor: per-language queues of waiting calls (oldest first), a
 * table of agents with their state, and one matching rule applied after
 * every change: the call that has waited longest, among those some
 * available agent can take, goes to the available agent who speaks its
 * language and has been idle longest. A call whose agent does not answer in
 * time goes back to the head of its queue and the agent is paused, so one
 * absent agent does not swallow every call. Sizes here are hundreds of
 * agents and a few thousand calls: plain arrays and lists, linear scans.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acd.h"
#include "core/core.h"

struct call {
    uint64_t id;
    int queue;
    int64_t joined;
    int64_t ring_until; /* while ringing */
    struct agent *agent;
    bool talking;
    struct call *prev, *next; /* in its queue while waiting */
    bool waiting;
};

struct agent {
    int64_t id;
    enum acd_agent_state state;
    int64_t since;      /* in this state since */
    int64_t idle_since; /* available since: longest idle goes first */
    int64_t wrap_until;
    unsigned languages;
    struct call *call;
    char reason[ACD_REASON_MAX];
};

struct queue {
    struct call *head, *tail;
    int n;
};

struct acd {
    struct acd_hooks h;
    struct acd_settings s;
    struct queue q[ACD_QUEUES];
    struct agent **agents;
    int nagents, cap_agents;
    struct call **calls;
    int ncalls, cap_calls;
    int64_t handle_avg; /* µs: moving average of talk + wrap-up */
};

static const char *const state_names[] = {"offline", "available", "ringing", "busy", "wrap_up", "paused"};

const char *acd_state_name(enum acd_agent_state s)
{
    return (unsigned)s < sizeof(state_names) / sizeof(state_names[0]) ? state_names[s] : "?";
}

int acd_new(struct acd **out, const struct acd_hooks *hooks, const struct acd_settings *s)
{
    struct acd *a = calloc(1, sizeof(*a));
    if (!a)
        return WASL_ENOMEM;
    if (hooks)
        a->h = *hooks;
    a->s = *s;
    *out = a;
    return 0;
}

void acd_free(struct acd *a)
{
    if (!a)
        return;
    for (int i = 0; i < a->nagents; i++)
        free(a->agents[i]);
    for (int i = 0; i < a->ncalls; i++)
        free(a->calls[i]);
    free(a->agents);
    free(a->calls);
    free(a);
}

/* ---- bookkeeping ---- */

static void emit(struct acd *a, enum acd_event_kind k, int64_t at, const struct call *c, const struct agent *ag)
{
    struct acd_event e = {.kind = k, .at = at, .queue = -1};
    if (!a->h.event)
        return;
    if (c) {
        e.call = c->id;
        e.queue = c->queue;
        e.waited = at - c->joined;
    }
    if (ag) {
        e.agent = ag->id;
        e.state = ag->state;
        snprintf(e.reason, sizeof(e.reason), "%s", ag->reason);
    }
    a->h.event(a->h.arg, &e);
}

static void set_state(struct acd *a, struct agent *ag, enum acd_agent_state st, const char *reason, int64_t now)
{
    if (ag->state == st && !reason)
        return;
    ag->state = st;
    ag->since = now;
    snprintf(ag->reason, sizeof(ag->reason), "%s", reason ? reason : "");
    if (st == ACD_AVAILABLE)
        ag->idle_since = now;
    emit(a, ACD_EV_AGENT_STATE, now, NULL, ag);
}

static struct agent *find_agent(const struct acd *a, int64_t id)
{
    for (int i = 0; i < a->nagents; i++)
        if (a->agents[i]->id == id)
            return a->agents[i];
    return NULL;
}

static int find_call_index(const struct acd *a, uint64_t id)
{
    for (int i = 0; i < a->ncalls; i++)
        if (a->calls[i]->id == id)
            return i;
    return -1;
}

static struct call *find_call(const struct acd *a, uint64_t id)
{
    int i = find_call_index(a, id);
    return i < 0 ? NULL : a->calls[i];
}

static void unqueue(struct acd *a, struct call *c)
{
    struct queue *q = &a->q[c->queue];
    if (!c->waiting)
        return;
    if (c->prev)
        c->prev->next = c->next;
    else
        q->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        q->tail = c->prev;
    c->prev = c->next = NULL;
    c->waiting = false;
    q->n--;
}

static void queue_push(struct acd *a, struct call *c, bool front)
{
    struct queue *q = &a->q[c->queue];
    c->waiting = true;
    if (front) {
        c->prev = NULL;
        c->next = q->head;
        if (q->head)
            q->head->prev = c;
        else
            q->tail = c;
        q->head = c;
    } else {
        c->next = NULL;
        c->prev = q->tail;
        if (q->tail)
            q->tail->next = c;
        else
            q->head = c;
        q->tail = c;
    }
    q->n++;
}

static void drop_call(struct acd *a, struct call *c)
{
    int i = find_call_index(a, c->id);
    unqueue(a, c);
    if (i >= 0)
        a->calls[i] = a->calls[--a->ncalls];
    free(c);
}

/* ---- matching ---- */

/* The longest-idle available agent speaking the queue's language. */
static struct agent *best_agent(struct acd *a, int queue)
{
    struct agent *best = NULL;
    for (int i = 0; i < a->nagents; i++) {
        struct agent *ag = a->agents[i];
        if (ag->state == ACD_AVAILABLE && (ag->languages & (1u << queue)) && (!best || ag->idle_since < best->idle_since))
            best = ag;
    }
    return best;
}

static void match(struct acd *a, int64_t now)
{
    for (;;) {
        struct call *pick = NULL;
        struct agent *to = NULL;
        /* The oldest head of a queue that has someone to take it. */
        for (int q = 0; q < ACD_QUEUES; q++) {
            struct call *c = a->q[q].head;
            struct agent *ag;
            if (!c || (pick && pick->joined <= c->joined) || !(ag = best_agent(a, q)))
                continue;
            pick = c;
            to = ag;
        }
        if (!pick)
            return;
        unqueue(a, pick);
        pick->agent = to;
        pick->ring_until = now + a->s.ring_timeout;
        to->call = pick;
        set_state(a, to, ACD_RINGING, NULL, now);
        emit(a, ACD_EV_OFFERED, now, pick, to);
        if (a->h.offer)
            a->h.offer(a->h.arg, pick->id, to->id);
    }
}

/* ---- agents ---- */

int acd_agent_login(struct acd *a, int64_t id, unsigned languages, int64_t now)
{
    struct agent *ag = find_agent(a, id);
    if (!languages || languages >= (1u << ACD_QUEUES))
        return err_set_field(WASL_EINVAL, "acd.invalid_languages", "languages",
                             "an agent speaks one or more of the seven languages");
    if (!ag) {
        if (a->nagents == a->cap_agents) {
            int cap = a->cap_agents ? 2 * a->cap_agents : 16;
            struct agent **n = realloc(a->agents, sizeof(*n) * (size_t)cap);
            if (!n)
                return WASL_ENOMEM;
            a->agents = n;
            a->cap_agents = cap;
        }
        if (!(ag = calloc(1, sizeof(*ag))))
            return WASL_ENOMEM;
        ag->id = id;
        ag->state = ACD_OFFLINE;
        a->agents[a->nagents++] = ag;
    }
    ag->languages = languages;
    /* Logging in again (another language set) keeps a call in progress. */
    if (ag->state == ACD_OFFLINE)
        set_state(a, ag, ACD_PAUSED, "logged_in", now);
    return 0;
}

int acd_agent_logout(struct acd *a, int64_t id, int64_t now)
{
    struct agent *ag = find_agent(a, id);
    if (!ag)
        return err_set(WASL_ENOENT, "acd.unknown_agent", "this agent is not logged in");
    if (ag->state == ACD_RINGING || ag->state == ACD_BUSY)
        return err_set(WASL_ECONFLICT, "acd.agent_on_call", "finish the call first");
    set_state(a, ag, ACD_OFFLINE, NULL, now);
    return 0;
}

int acd_agent_available(struct acd *a, int64_t id, int64_t now)
{
    struct agent *ag = find_agent(a, id);
    if (!ag || ag->state == ACD_OFFLINE)
        return err_set(WASL_ENOENT, "acd.unknown_agent", "log in first");
    if (ag->state == ACD_RINGING || ag->state == ACD_BUSY)
        return err_set(WASL_ECONFLICT, "acd.agent_on_call", "the agent is on a call");
    if (ag->state != ACD_AVAILABLE)
        set_state(a, ag, ACD_AVAILABLE, NULL, now);
    match(a, now);
    return 0;
}

int acd_agent_pause(struct acd *a, int64_t id, const char *reason, int64_t now)
{
    struct agent *ag = find_agent(a, id);
    if (!ag || ag->state == ACD_OFFLINE)
        return err_set(WASL_ENOENT, "acd.unknown_agent", "log in first");
    if (ag->state == ACD_RINGING || ag->state == ACD_BUSY)
        return err_set(WASL_ECONFLICT, "acd.agent_on_call", "the agent is on a call");
    set_state(a, ag, ACD_PAUSED, reason && *reason ? reason : "pause", now);
    return 0;
}

/* ---- calls ---- */

int acd_call_enqueue(struct acd *a, uint64_t id, int queue, int64_t now)
{
    struct call *c;
    if (queue < 0 || queue >= ACD_QUEUES)
        return err_set_field(WASL_EINVAL, "acd.invalid_queue", "queue", "no such queue");
    if (find_call(a, id))
        return err_set(WASL_ECONFLICT, "acd.duplicate_call", "this call is already queued");
    if (a->ncalls == a->cap_calls) {
        int cap = a->cap_calls ? 2 * a->cap_calls : 64;
        struct call **n = realloc(a->calls, sizeof(*n) * (size_t)cap);
        if (!n)
            return WASL_ENOMEM;
        a->calls = n;
        a->cap_calls = cap;
    }
    if (!(c = calloc(1, sizeof(*c))))
        return WASL_ENOMEM;
    c->id = id;
    c->queue = queue;
    c->joined = now;
    a->calls[a->ncalls++] = c;
    queue_push(a, c, false);
    emit(a, ACD_EV_QUEUE_JOINED, now, c, NULL);
    match(a, now);
    return 0;
}

int acd_call_answered(struct acd *a, uint64_t id, int64_t now)
{
    struct call *c = find_call(a, id);
    if (!c || !c->agent || c->talking)
        return err_set(WASL_ECONFLICT, "acd.not_ringing", "this call is not ringing an agent");
    c->talking = true;
    set_state(a, c->agent, ACD_BUSY, NULL, now);
    emit(a, ACD_EV_ANSWERED, now, c, c->agent);
    return 0;
}

/* The agent did not take the call: back to the head of its queue, and the
 * agent is paused until they say they are back. */
static void not_answered(struct acd *a, struct call *c, int64_t now, bool cancel)
{
    struct agent *ag = c->agent;
    c->agent = NULL;
    ag->call = NULL;
    if (cancel && a->h.cancel)
        a->h.cancel(a->h.arg, c->id, ag->id);
    set_state(a, ag, ACD_PAUSED, "no_answer", now);
    emit(a, ACD_EV_NOT_ANSWERED, now, c, ag);
    queue_push(a, c, true);
}

int acd_call_declined(struct acd *a, uint64_t id, int64_t now)
{
    struct call *c = find_call(a, id);
    if (!c || !c->agent || c->talking)
        return err_set(WASL_ECONFLICT, "acd.not_ringing", "this call is not ringing an agent");
    not_answered(a, c, now, false);
    match(a, now);
    return 0;
}

int acd_call_gone(struct acd *a, uint64_t id, int64_t now)
{
    struct call *c = find_call(a, id);
    if (!c)
        return err_set(WASL_ENOENT, "acd.unknown_call", "the ACD does not hold this call");
    struct agent *ag = c->agent;
    if (c->talking) {
        emit(a, ACD_EV_ENDED, now, c, ag);
        /* the handling time waiting callers are told about: talk (since the
         * agent became busy) and wrap-up, averaged with weight 1/5 */
        int64_t handled = (now > ag->since ? now - ag->since : 0) + a->s.wrap_up;
        a->handle_avg = a->handle_avg ? (4 * a->handle_avg + handled) / 5 : handled;
        ag->call = NULL;
        ag->wrap_until = now + a->s.wrap_up;
        set_state(a, ag, a->s.wrap_up > 0 ? ACD_WRAP_UP : ACD_AVAILABLE, NULL, now);
    } else {
        emit(a, ACD_EV_ABANDONED, now, c, ag);
        if (ag) {
            /* Hung up while the agent's phone rang: the agent is free again. */
            if (a->h.cancel)
                a->h.cancel(a->h.arg, c->id, ag->id);
            ag->call = NULL;
            set_state(a, ag, ACD_AVAILABLE, NULL, now);
        }
    }
    drop_call(a, c);
    match(a, now);
    return 0;
}

int64_t acd_tick(struct acd *a, int64_t now)
{
    int64_t next = INT64_MAX;
    bool changed = false;
    for (int i = 0; i < a->nagents; i++) {
        struct agent *ag = a->agents[i];
        if (ag->state == ACD_WRAP_UP) {
            if (ag->wrap_until <= now) {
                set_state(a, ag, ACD_AVAILABLE, NULL, now);
                changed = true;
            } else if (ag->wrap_until < next) {
                next = ag->wrap_until;
            }
        }
        if (ag->state == ACD_RINGING && ag->call) {
            if (ag->call->ring_until <= now) {
                not_answered(a, ag->call, now, true);
                changed = true;
            } else if (ag->call->ring_until < next) {
                next = ag->call->ring_until;
            }
        }
    }
    if (changed) {
        match(a, now);
        /* Matching may have started new rings. */
        for (int i = 0; i < a->nagents; i++)
            if (a->agents[i]->state == ACD_RINGING && a->agents[i]->call && a->agents[i]->call->ring_until < next)
                next = a->agents[i]->call->ring_until;
    }
    return next;
}

/* ---- views ---- */

void acd_queues(const struct acd *a, struct acd_queue_view out[ACD_QUEUES])
{
    for (int q = 0; q < ACD_QUEUES; q++) {
        out[q].waiting = a->q[q].n;
        out[q].oldest_since = 0;
        for (const struct call *c = a->q[q].head; c; c = c->next)
            if (!out[q].oldest_since || c->joined < out[q].oldest_since)
                out[q].oldest_since = c->joined;
    }
}

static void view(const struct agent *ag, struct acd_agent_view *v)
{
    v->agent = ag->id;
    v->state = ag->state;
    v->since = ag->since;
    v->languages = ag->languages;
    v->call = ag->call ? ag->call->id : 0;
    snprintf(v->reason, sizeof(v->reason), "%s", ag->reason);
}

int acd_agents(const struct acd *a, struct acd_agent_view *out, int max)
{
    for (int i = 0; i < a->nagents && i < max; i++)
        view(a->agents[i], &out[i]);
    return a->nagents;
}

int acd_agent_get(const struct acd *a, int64_t id, struct acd_agent_view *out)
{
    const struct agent *ag = find_agent(a, id);
    if (!ag)
        return err_set(WASL_ENOENT, "acd.unknown_agent", "no such agent");
    view(ag, out);
    return 0;
}

int acd_call_estimate(const struct acd *a, uint64_t id, int *place, int64_t *wait)
{
    const struct call *c = find_call(a, id);
    int k = 1, staff = 0;
    if (!c || !c->waiting)
        return err_set(WASL_ENOENT, "acd.unknown_call", "the call is not waiting in a queue");
    for (const struct call *x = a->q[c->queue].head; x && x != c; x = x->next)
        k++;
    for (int i = 0; i < a->nagents; i++) {
        const struct agent *ag = a->agents[i];
        if (ag->state != ACD_OFFLINE && ag->state != ACD_PAUSED && (ag->languages & (1u << c->queue)))
            staff++;
    }
    int64_t avg = a->handle_avg ? a->handle_avg : INT64_C(240000000);
    *place = k;
    *wait = staff ? avg * k / staff : -1;
    return 0;
}

int acd_call_where(const struct acd *a, uint64_t id, int *queue, int64_t *agent, bool *talking)
{
    const struct call *c = find_call(a, id);
    if (!c)
        return err_set(WASL_ENOENT, "acd.unknown_call", "the ACD does not hold this call");
    *queue = c->queue;
    *agent = c->agent ? c->agent->id : 0;
    *talking = c->talking;
    return 0;
}
