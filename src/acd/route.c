/*
 * Matching: who takes which caller. Each queue keeps its callers in one
 * line per priority level (oldest first) and its available agents in one
 * heap per proficiency, ordered by the queue's strategy. Nothing scans all
 * agents or all callers: an agent freed looks at the heads of the queues it
 * belongs to (a few pointers per queue), a caller arriving or widening looks
 * at the tops of its queue's heaps (five per queue). Both are called after
 * every change, so no agent stays available while a caller it may take
 * waits.
 */
#include <stdlib.h>
#include <string.h>

#include "acd_int.h"
#include "core/core.h"

/* ---- strategies: the order of available agents in a queue ---- */

static bool idle_before(const struct member *x, const struct member *y)
{
    if (x->ag->idle_since != y->ag->idle_since)
        return x->ag->idle_since < y->ag->idle_since;
    return x->ag->id < y->ag->id;
}

static bool longest_idle(const void *x, const void *y)
{
    return idle_before(x, y);
}

static bool fewest_calls(const void *x, const void *y)
{
    const struct member *m = x, *n = y;
    if (m->ag->calls_today != n->ag->calls_today)
        return m->ag->calls_today < n->ag->calls_today;
    return idle_before(m, n);
}

/* The member offered a call of this queue least recently (never: first). */
static bool round_robin(const void *x, const void *y)
{
    const struct member *m = x, *n = y;
    if (m->rr != n->rr)
        return m->rr < n->rr;
    return idle_before(m, n);
}

static bool best_proficiency(const void *x, const void *y)
{
    const struct member *m = x, *n = y;
    if (m->prof != n->prof)
        return m->prof > n->prof;
    return idle_before(m, n);
}

/* clang-format off */
const struct strategy acd_strategies[] = {
    {"longest_idle",     longest_idle,     false},
    {"fewest_calls",     fewest_calls,     false},
    {"round_robin",      round_robin,      false},
    {"ring_all",         longest_idle,     true},
    {"best_proficiency", best_proficiency, false},
    {NULL, NULL, false},
};
/* clang-format on */

const struct strategy *acd_strategy_find(const char *name)
{
    for (const struct strategy *s = acd_strategies; s->name; s++)
        if (!strcmp(s->name, name))
            return s;
    return NULL;
}

const char *acd_strategy_name(int i)
{
    int n = (int)(sizeof(acd_strategies) / sizeof(acd_strategies[0])) - 1;
    return i >= 0 && i < n ? acd_strategies[i].name : NULL;
}

/* ---- the lines of waiting callers ---- */

int acd_min_prof(const struct entry *e)
{
    return e->step < 0 ? e->q->min_prof : e->q->widen[e->step].min_proficiency;
}

static bool second_on(const struct entry *e)
{
    return e->q2 && e->step >= 0 && e->q->widen[e->step].second_language;
}

/* x is served before y: higher priority, then earlier arrival. */
static bool entry_before(const struct entry *x, const struct entry *y)
{
    if (!y)
        return true;
    if (x->priority != y->priority)
        return x->priority > y->priority;
    if (x->joined != y->joined)
        return x->joined < y->joined;
    return x->seq < y->seq;
}

static void over_insert(struct entry *e)
{
    struct queue *q = e->q2;
    struct line *l = &q->over[e->priority];
    struct entry *x = l->tail;
    while (x && (x->over_at > e->over_at || (x->over_at == e->over_at && x->seq > e->seq)))
        x = x->oprev;
    e->oprev = x;
    e->onext = x ? x->onext : l->head;
    if (e->onext)
        e->onext->oprev = e;
    else
        l->tail = e;
    if (x)
        x->onext = e;
    else
        l->head = e;
    l->n++;
    q->over_mask |= 1u << e->priority;
    e->in_over = true;
}

static void over_remove(struct entry *e)
{
    if (!e->in_over)
        return;
    struct queue *q = e->q2;
    struct line *l = &q->over[e->priority];
    if (e->oprev)
        e->oprev->onext = e->onext;
    else
        l->head = e->onext;
    if (e->onext)
        e->onext->oprev = e->oprev;
    else
        l->tail = e->oprev;
    e->oprev = e->onext = NULL;
    e->in_over = false;
    if (!--l->n)
        q->over_mask &= ~(1u << e->priority);
}

int acd_step_at(const struct queue *q, int64_t waited)
{
    int step = -1;
    while (step + 1 < q->nwiden && waited >= q->widen[step + 1].after)
        step++;
    return step;
}

/* The widening step in force after the wait so far, and the time-out for
 * the next step or the maximum wait. Returns true if the step changed. */
static bool widen(struct acd *a, struct entry *e, int64_t now)
{
    const struct queue *q = e->q;
    int step = acd_step_at(q, now - e->joined);
    if (step < e->step)
        step = e->step; /* steps only widen */
    bool changed = step != e->step;
    e->step = step;
    if (second_on(e) && !e->in_over) {
        e->over_at = e->joined + q->widen[step].after;
        over_insert(e);
    }
    int64_t due = INT64_MAX;
    if (step + 1 < q->nwiden)
        due = e->joined + q->widen[step + 1].after;
    int64_t mw = acd_max_wait(e);
    if (mw > 0 && !e->callback && e->wait_from + mw < due)
        due = e->wait_from + mw;
    if (due == INT64_MAX) {
        acd_timer_stop(a, &e->t_wait);
    } else {
        e->t_wait.kind = T_WAIT;
        acd_timer_set(a, &e->t_wait, due);
    }
    if (changed && e->step >= 0) {
        struct acd_event ev = {.kind = ACD_EV_WIDENED, .at = now, .queue = q->idx, .call = e->id};
        ev.step = e->step;
        ev.min_proficiency = q->widen[e->step].min_proficiency;
        ev.second_language = q->widen[e->step].second_language;
        ev.priority = e->priority;
        ev.callback = e->callback;
        ev.waited = now - e->joined;
        acd_emit(a, &ev);
    }
    return changed;
}

/* Puts e at its place in its queue's line (by priority, then arrival);
 * returns that place (1 = next). */
int acd_line_insert(struct acd *a, struct entry *e, int64_t now)
{
    struct queue *q = e->q;
    struct line *l = &q->line[e->priority];
    struct entry *x = l->tail;
    int behind = 0;
    while (x && (x->joined > e->joined || (x->joined == e->joined && x->seq > e->seq))) {
        x = x->prev;
        behind++;
    }
    e->prev = x;
    e->next = x ? x->next : l->head;
    if (e->next)
        e->next->prev = e;
    else
        l->tail = e;
    if (x)
        x->next = e;
    else
        l->head = e;
    l->n++;
    q->line_mask |= 1u << e->priority;
    e->in_line = true;
    if (e->callback)
        q->ncallbacks++;
    else
        q->ncallers++;
    widen(a, e, now);
    acd_pend_entry(a, e);
    int place = l->n - behind;
    for (int p = e->priority + 1; p < ACD_LEVELS; p++)
        place += q->line[p].n;
    return place;
}

void acd_line_remove(struct acd *a, struct entry *e)
{
    struct queue *q = e->q;
    struct line *l = &q->line[e->priority];
    if (!e->in_line)
        return;
    over_remove(e);
    if (e->prev)
        e->prev->next = e->next;
    else
        l->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        l->tail = e->prev;
    e->prev = e->next = NULL;
    e->in_line = false;
    if (!--l->n)
        q->line_mask &= ~(1u << e->priority);
    if (e->callback)
        q->ncallbacks--;
    else
        q->ncallers--;
    acd_timer_stop(a, &e->t_wait);
}

int64_t acd_max_wait(const struct entry *e)
{
    int64_t q = e->q->max_wait, c = e->max_wait;
    return !q ? c : !c ? q : q < c ? q : c;
}

int acd_position(const struct entry *e)
{
    int k = 1;
    if (!e->in_line)
        return 0;
    for (int p = e->priority + 1; p < ACD_LEVELS; p++)
        k += e->q->line[p].n;
    for (const struct entry *x = e->prev; x; x = x->prev)
        k++;
    return k;
}

/* Called from acd_tick when e's wait time-out is due. */
void acd_widen_due(struct acd *a, struct entry *e, int64_t now)
{
    if (widen(a, e, now))
        acd_pend_entry(a, e);
}

/* ---- offering ---- */

static struct member *member_of(const struct agent *ag, const struct queue *q)
{
    for (int i = 0; i < ag->nm; i++)
        if (ag->m[i]->q == q)
            return ag->m[i];
    return NULL;
}

/* e leaves its line and rings the n agents (all available; ags may be
 * e->ring itself); a callback
 * reserves its one agent and asks the telephony to dial. */
void acd_offer(struct acd *a, struct entry *e, struct agent **ags, int n, int64_t now)
{
    int place = acd_position(e);
    acd_line_remove(a, e);
    e->nring = 0;
    for (int i = 0; i < n; i++) {
        struct agent *ag = ags[i];
        struct member *m = member_of(ag, e->q);
        if (!m)
            m = member_of(ag, e->q2);
        ag->call = e; /* first: the state event names the call */
        acd_set_state(a, ag, ACD_RINGING, NULL, 0, now);
        if (m)
            m->rr = ++a->rr;
        e->ring[e->nring++] = ag;
        struct acd_event ev = {.kind = e->callback ? ACD_EV_CALLBACK_RESERVED : ACD_EV_OFFERED, .at = now, .queue = e->q->idx};
        ev.call = e->id;
        ev.agent = ag->id;
        ev.position = place;
        ev.priority = e->priority;
        ev.callback = e->callback;
        ev.waited = now - e->joined;
        ev.attempt = e->callback ? e->attempts + 1 : 0;
        acd_emit(a, &ev);
    }
    if (e->callback) {
        e->reserved = true;
        e->attempts++;
        e->agent = ags[0];
        a->h.dial_callback(a->h.arg, e->id, ags[0]->id);
        return;
    }
    e->q->offered++;
    e->t_ring.kind = T_RING;
    acd_timer_set(a, &e->t_ring, now + a->s.ring_timeout);
    for (int i = 0; i < n; i++)
        if (a->h.offer)
            a->h.offer(a->h.arg, e->id, ags[i]->id);
}

bool acd_ring_room(struct entry *e, int n)
{
    if (n <= e->capring)
        return true;
    struct agent **r = realloc(e->ring, sizeof(*r) * (size_t)n);
    if (!r)
        return false;
    e->ring = r;
    e->capring = n;
    return true;
}

/* Every available agent of q (and of its second-language queue when in
 * force) with enough proficiency: ring all. */
static int gather(struct queue *q, struct queue *q2, int minp, struct agent **out, int max)
{
    int n = 0;
    for (int k = 0; k < 2; k++) {
        struct queue *x = k ? q2 : q;
        if (!x)
            continue;
        for (int p = ACD_PROFICIENCY_MAX; p >= minp; p--)
            for (int i = 0; i < x->avail[p - 1].n; i++) {
                struct agent *ag = ((struct member *)x->avail[p - 1].v[i])->ag;
                bool dup = false; /* in both queues: speaks both languages */
                for (int j = 0; k && j < n && !dup; j++)
                    dup = out[j] == ag;
                if (!dup && n < max)
                    out[n++] = ag;
            }
    }
    return n;
}

/* A caller arrived, came back or widened: the best available agent for it
 * by its queue's strategy (ring all: every one), if any. */
void acd_route_entry(struct acd *a, struct entry *e, int64_t now)
{
    struct queue *q = e->q, *q2 = second_on(e) ? e->q2 : NULL;
    int minp = acd_min_prof(e);
    struct member *best = NULL;
    if (!e->in_line)
        return;
    if (minp < 1)
        minp = 1;
    if (q->st->ring_all && !e->callback) {
        int max = 0;
        for (int p = minp; p <= ACD_PROFICIENCY_MAX; p++)
            max += q->avail[p - 1].n + (q2 ? q2->avail[p - 1].n : 0);
        if (!max)
            return;
        if (!acd_ring_room(e, max))
            max = e->capring; /* out of memory: ring those it has room for */
        if (max > 0) {
            acd_offer(a, e, e->ring, gather(q, q2, minp, e->ring, max), now);
            return;
        }
    }
    for (int k = 0; k < 2; k++) {
        struct queue *x = k ? q2 : q;
        if (!x)
            continue;
        for (int p = minp; p <= ACD_PROFICIENCY_MAX; p++) {
            struct acd_heap *h = &x->avail[p - 1];
            if (h->n && (!best || q->st->before(h->v[0], best)))
                best = h->v[0];
        }
    }
    if (best && acd_ring_room(e, 1))
        acd_offer(a, e, &best->ag, 1, now);
}

static bool eligible(const struct member *m, const struct entry *e)
{
    if (m->prof < acd_min_prof(e))
        return false;
    return m->q == e->q || (m->q == e->q2 && second_on(e));
}

/* An agent became available: the caller served first across the queues it
 * belongs to (priority, then the longest wait), if any. */
bool acd_route_agent(struct acd *a, struct agent *ag, int64_t now)
{
    struct entry *best = NULL;
    if (ag->state != ACD_AVAILABLE)
        return false;
    for (int i = 0; i < ag->nm; i++) {
        const struct member *m = ag->m[i];
        const struct queue *q = m->q;
        unsigned mask = q->line_mask | q->over_mask;
        while (mask) {
            int p = 31 - __builtin_clz(mask);
            mask &= ~(1u << p);
            if (best && p < best->priority)
                break;
            /* The head of a level has waited longest: widest reach. */
            struct entry *e = q->line[p].head;
            if (e && eligible(m, e) && entry_before(e, best))
                best = e;
            /* Reached through their second language: callers of other
             * queues, whose widening may differ; the first that fits. */
            for (e = q->over[p].head; e; e = e->onext)
                if (eligible(m, e)) {
                    if (entry_before(e, best))
                        best = e;
                    break;
                }
        }
    }
    if (!best || !acd_ring_room(best, 1))
        return false;
    acd_offer(a, best, &ag, 1, now);
    return true;
}
