/*
 * The fold: events, oldest first, cut into segments (one stay of a call in
 * one queue, with its conversation and wrap-up) and agents' intervals
 * (docs/metrics.md, "From events to segments").
 *
 * A segment opens at queue.joined (or when a call is passed on to a named
 * colleague, who is offered it without a queue); its fate is the first of
 * call.answered, call.abandoned, queue.left, or a call.ended that cut it. An
 * answered segment's conversation lasts until call.ended or
 * call.transferred; it is given out once the agent's wrap-up for it ends
 * (their next agent.state after wrap_up), or at once when the agent went
 * on without one. A waiting caller a supervisor moved (queue.left why
 * moved, then queue.joined from) stays one segment: it goes on in the new
 * queue, with its first arrival, and counts there only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "core/core.h"

struct call {
    int64_t id;
    bool used;
    char country[4], language[8], queue[16];
    bool callback;
    bool open;    /* a segment is open: seg */
    bool talking; /* seg answered, conversation going on */
    int64_t answered_at, hold_since;
    struct stats_segment seg;
};

struct agent {
    int64_t id;
    bool used;
    enum stats_agent_state state;
    char reason[32];
    int64_t since, call; /* since 0: no state seen yet; call: the one of ringing/busy/wrap_up */
    bool pending;        /* a segment whose conversation ended, waiting for the wrap-up's end */
    int64_t wrap_start;  /* 0: not in wrap-up for it yet */
    struct stats_segment seg;
};

struct stats_fold {
    struct call *calls;
    size_t ncalls, cap_calls;
    struct agent *agents;
    size_t nagents, cap_agents;
    stats_segment_h on_segment;
    stats_interval_h on_interval;
    void *arg;
};

/* Open addressing on the id, linear probing, grown at half full. Calls
 * are never removed (a period's calls fit: tens of thousands a day). */
#define FIND(kind, tab, n, cap)                                                                                                    \
    static struct kind *find_##kind(struct stats_fold *f, int64_t id, bool add)                                                    \
    {                                                                                                                              \
        if (add && (f->n + 1) * 2 > f->cap) {                                                                                      \
            size_t cap2 = f->cap ? f->cap * 2 : 1024;                                                                              \
            struct kind *t2 = calloc(cap2, sizeof(*t2));                                                                           \
            if (!t2)                                                                                                               \
                return NULL;                                                                                                       \
            for (size_t i = 0; i < f->cap; i++)                                                                                    \
                if (f->tab[i].used) {                                                                                              \
                    size_t h = (uint64_t)f->tab[i].id * 0x9E3779B97F4A7C15ull % cap2;                                              \
                    while (t2[h].used)                                                                                             \
                        h = (h + 1) % cap2;                                                                                        \
                    t2[h] = f->tab[i];                                                                                             \
                }                                                                                                                  \
            free(f->tab);                                                                                                          \
            f->tab = t2;                                                                                                           \
            f->cap = cap2;                                                                                                         \
        }                                                                                                                          \
        if (!f->cap)                                                                                                               \
            return NULL;                                                                                                           \
        size_t h = (uint64_t)id * 0x9E3779B97F4A7C15ull % f->cap;                                                                  \
        while (f->tab[h].used) {                                                                                                   \
            if (f->tab[h].id == id)                                                                                                \
                return &f->tab[h];                                                                                                 \
            h = (h + 1) % f->cap;                                                                                                  \
        }                                                                                                                          \
        if (!add)                                                                                                                  \
            return NULL;                                                                                                           \
        memset(&f->tab[h], 0, sizeof(f->tab[h]));                                                                                  \
        f->tab[h].used = true;                                                                                                     \
        f->tab[h].id = id;                                                                                                         \
        f->n++;                                                                                                                    \
        return &f->tab[h];                                                                                                         \
    }
FIND(call, calls, ncalls, cap_calls)
FIND(agent, agents, nagents, cap_agents)

int stats_fold_new(stats_segment_h on_segment, stats_interval_h on_interval, void *arg, struct stats_fold **out)
{
    struct stats_fold *f = calloc(1, sizeof(*f));
    if (!f)
        return WASL_ENOMEM;
    f->on_segment = on_segment;
    f->on_interval = on_interval;
    f->arg = arg;
    *out = f;
    return 0;
}

void stats_fold_free(struct stats_fold *f)
{
    if (!f)
        return;
    free(f->calls);
    free(f->agents);
    free(f);
}

static void give(struct stats_fold *f, const struct stats_segment *s)
{
    if (f->on_segment)
        f->on_segment(s, f->arg);
}

static void open_segment(struct call *c, const char *queue, int64_t at)
{
    memset(&c->seg, 0, sizeof(c->seg));
    c->seg.call = c->id;
    snprintf(c->seg.queue, sizeof(c->seg.queue), "%s", queue && *queue ? queue : c->queue);
    snprintf(c->seg.country, sizeof(c->seg.country), "%s", c->country);
    snprintf(c->seg.language, sizeof(c->seg.language), "%s", c->language);
    c->seg.joined = at;
    c->seg.fate = SF_WAITING;
    c->seg.callback = c->callback;
    c->open = true;
    c->talking = false;
}

/* A fate other than an answer: the segment is done. */
static void close_unanswered(struct stats_fold *f, struct call *c, enum stats_fate fate, int64_t wait_ms)
{
    c->seg.fate = fate;
    c->seg.wait_ms = wait_ms;
    c->open = false;
    give(f, &c->seg);
}

/* The conversation of the open segment ends at `at`: the segment waits
 * for the agent's wrap-up (or is given out when there is none). */
static void end_conversation(struct stats_fold *f, struct call *c, int64_t at, bool transferred)
{
    if (c->hold_since) {
        c->seg.hold_ms += (at - c->hold_since) / 1000;
        c->hold_since = 0;
    }
    int64_t total = (at - c->answered_at) / 1000;
    c->seg.talk_ms = total > c->seg.hold_ms ? total - c->seg.hold_ms : 0;
    c->seg.transferred = transferred;
    c->open = c->talking = false;
    struct agent *a = find_agent(f, c->seg.agent, true);
    if (!a) { /* out of memory: the figures lose its wrap-up, not the call */
        give(f, &c->seg);
        return;
    }
    if (a->pending) /* an earlier one never saw its wrap-up end */
        give(f, &a->seg);
    a->seg = c->seg;
    a->pending = true;
    a->wrap_start = a->state == SA_WRAP_UP && a->call == c->id ? a->since : 0;
}

static enum stats_agent_state state_of(const char *name)
{
    static const char *const names[SA_STATES] = {"offline", "available", "ringing", "busy", "wrap_up", "paused"};
    for (int i = 0; i < SA_STATES; i++)
        if (!strcmp(name, names[i]))
            return (enum stats_agent_state)i;
    return SA_BUSY; /* a state this fold does not know is work */
}

static void agent_state(struct stats_fold *f, const struct ev *e)
{
    struct agent *a = find_agent(f, e->agent, true);
    if (!a)
        return;
    enum stats_agent_state s = state_of(e->a);
    if (a->since && f->on_interval && e->at > a->since) {
        struct stats_interval i = {.agent = a->id, .state = a->state, .from = a->since, .to = e->at};
        snprintf(i.reason, sizeof(i.reason), "%s", a->reason);
        f->on_interval(&i, f->arg);
    }
    if (a->pending) {
        if (a->wrap_start) { /* the wrap-up ends */
            a->seg.wrap_ms = (e->at - a->wrap_start) / 1000;
            a->pending = false;
            give(f, &a->seg);
        } else if (s == SA_WRAP_UP && e->call == a->seg.call) {
            a->wrap_start = e->at;
        } else { /* went on without a wrap-up */
            a->pending = false;
            give(f, &a->seg);
        }
    }
    a->state = s;
    a->since = e->at;
    a->call = e->call;
    snprintf(a->reason, sizeof(a->reason), "%s", s == SA_PAUSED ? e->b : "");
}

int stats_fold_event(struct stats_fold *f, const struct ev *e)
{
    if (e->kind == EV_AGENT_STATE) {
        agent_state(f, e);
        return 0;
    }
    if (!e->call)
        return 0;
    struct call *c = find_call(f, e->call,
                               e->kind == EV_CALL_ARRIVED || e->kind == EV_QUEUE_JOINED || e->kind == EV_CALLBACK_ATTEMPTED ||
                                   e->kind == EV_CALL_LANGUAGE);
    if (!c)
        return e->kind == EV_CALL_ARRIVED ? WASL_ENOMEM : 0; /* events of a call that began before the period */
    switch (e->kind) {
    case EV_CALL_ARRIVED:
        snprintf(c->country, sizeof(c->country), "%s", e->b);
        break;
    case EV_CALL_LANGUAGE:
        snprintf(c->language, sizeof(c->language), "%s", e->a);
        if (c->open)
            snprintf(c->seg.language, sizeof(c->seg.language), "%s", e->a);
        break;
    case EV_CALLBACK_ATTEMPTED:
        c->callback = true;
        break;
    case EV_QUEUE_JOINED:
        snprintf(c->queue, sizeof(c->queue), "%s", e->queue);
        /* back at its place after an offer to a colleague, or moved by a supervisor */
        if (c->open && !c->talking)
            snprintf(c->seg.queue, sizeof(c->seg.queue), "%s", e->queue);
        else
            open_segment(c, e->queue, e->at);
        break;
    case EV_CALL_NOT_ANSWERED:
        if (c->open)
            c->seg.rings_unanswered++;
        break;
    case EV_CALL_ANSWERED:
        if (!c->open || c->talking)
            open_segment(c, e->queue, e->at);
        c->seg.fate = SF_ANSWERED;
        c->seg.wait_ms = e->n;
        c->seg.agent = e->agent;
        c->answered_at = e->at;
        c->talking = true;
        break;
    case EV_CALL_HELD:
        if (c->talking && !c->hold_since)
            c->hold_since = e->at;
        break;
    case EV_CALL_RESUMED:
        if (c->talking && c->hold_since) {
            c->seg.hold_ms += (e->at - c->hold_since) / 1000;
            c->hold_since = 0;
        }
        break;
    case EV_CALL_ABANDONED:
        if (c->open && !c->talking)
            close_unanswered(f, c, SF_ABANDONED, e->n);
        break;
    case EV_QUEUE_LEFT:
        if (!strcmp(e->a, "moved")) /* not a fate: the segment goes on in the queue named next */
            break;
        if (c->open && !c->talking)
            close_unanswered(f, c, !strcmp(e->a, "full") ? SF_FULL : !strcmp(e->a, "no_agents") ? SF_NO_AGENTS : SF_TIMEOUT, e->n);
        break;
    case EV_CALL_TRANSFERRED:
        if (c->talking) {
            end_conversation(f, c, e->at, true);
            if (!strcmp(e->a, "agent")) { /* offered to the colleague, out of any queue */
                open_segment(c, e->queue, e->at);
            } else if (!strcmp(e->a, "agent_attended")) { /* the colleague has the caller now */
                open_segment(c, e->queue, e->at);
                c->seg.fate = SF_ANSWERED;
                c->seg.agent = strtoll(e->b, NULL, 10);
                c->answered_at = e->at;
                c->talking = true;
            }
        }
        break;
    case EV_CALL_ENDED:
        if (c->talking)
            end_conversation(f, c, e->at, false);
        else if (c->open) /* cut while waiting: the caller's hang-up is an abandon */
            close_unanswered(f, c, SF_ABANDONED, (e->at - c->seg.joined) / 1000);
        break;
    default:
        break;
    }
    return 0;
}

void stats_fold_end(struct stats_fold *f, int64_t at)
{
    for (size_t i = 0; i < f->cap_calls; i++) {
        struct call *c = &f->calls[i];
        if (!c->used || !c->open)
            continue;
        if (c->talking) { /* in conversation still: its talk so far, not handled yet */
            c->seg.talk_ms = (at - c->answered_at) / 1000;
            c->seg.wrap_ms = -1;
        } else {
            c->seg.wait_ms = (at - c->seg.joined) / 1000;
        }
        c->open = false;
        give(f, &c->seg);
    }
    for (size_t i = 0; i < f->cap_agents; i++) {
        struct agent *a = &f->agents[i];
        if (!a->used)
            continue;
        if (a->pending) { /* the wrap-up goes on: not handled yet */
            a->seg.wrap_ms = -1;
            a->pending = false;
            give(f, &a->seg);
        }
        if (a->since && at > a->since && f->on_interval) {
            struct stats_interval iv = {.agent = a->id, .state = a->state, .from = a->since, .to = at};
            snprintf(iv.reason, sizeof(iv.reason), "%s", a->reason);
            f->on_interval(&iv, f->arg);
        }
        a->since = at;
    }
}
