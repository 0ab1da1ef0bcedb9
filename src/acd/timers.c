/*
 * The distributor's time-outs. Ring time-outs and ends of wrap-up all last
 * the same (settings), so each kind is due in the order it was set: a list
 * kept in order, where setting and stopping cost O(1). Widening steps, max
 * waits and callback retries differ per queue and per caller: a binary heap
 * holding each due time next to its timer, so sifting reads no other memory.
 */
#include <assert.h>
#include <stdlib.h>

#include "acd_int.h"
#include "core/core.h"

static int fifo_of(const struct timer *t)
{
    return t->kind == T_RING ? 0 : t->kind == T_WRAP ? 1 : -1;
}

static void slot(struct acd_timers *ts, int i, struct acd_tslot s)
{
    ts->v[i] = s;
    s.t->pos = i;
}

static void sift_up(struct acd_timers *ts, int i)
{
    struct acd_tslot s = ts->v[i];
    while (i > 0 && s.due < ts->v[(i - 1) / 2].due) {
        slot(ts, i, ts->v[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    slot(ts, i, s);
}

static void sift_down(struct acd_timers *ts, int i)
{
    struct acd_tslot s = ts->v[i];
    for (;;) {
        int c = 2 * i + 1;
        if (c >= ts->n)
            break;
        if (c + 1 < ts->n && ts->v[c + 1].due < ts->v[c].due)
            c++;
        if (ts->v[c].due >= s.due)
            break;
        slot(ts, i, ts->v[c]);
        i = c;
    }
    slot(ts, i, s);
}

int acd_timers_reserve(struct acd_timers *ts, int n)
{
    if (n <= ts->cap)
        return 0;
    int cap = ts->cap ? ts->cap : 64;
    while (cap < n)
        cap *= 2;
    struct acd_tslot *v = realloc(ts->v, sizeof(*v) * (size_t)cap);
    if (!v)
        return WASL_ENOMEM;
    ts->v = v;
    ts->cap = cap;
    return 0;
}

void acd_timers_free(struct acd_timers *ts)
{
    free(ts->v);
    ts->v = NULL;
    ts->n = ts->cap = 0;
}

void acd_timer_stop(struct acd *a, struct timer *t)
{
    struct acd_timers *ts = &a->timers;
    int f = fifo_of(t);
    if (t->pos < 0)
        return;
    if (f >= 0) {
        if (t->prev)
            t->prev->next = t->next;
        else
            ts->head[f] = t->next;
        if (t->next)
            t->next->prev = t->prev;
        else
            ts->tail[f] = t->prev;
        t->prev = t->next = NULL;
    } else {
        int i = t->pos;
        if (i != --ts->n) {
            slot(ts, i, ts->v[ts->n]);
            sift_up(ts, i);
            sift_down(ts, i);
        }
    }
    t->pos = -1;
}

/* Room was reserved when the call or agent was made (acd_timers_reserve),
 * so setting cannot fail half-way through a change. */
void acd_timer_set(struct acd *a, struct timer *t, int64_t due)
{
    struct acd_timers *ts = &a->timers;
    int f = fifo_of(t);
    acd_timer_stop(a, t);
    t->due = due;
    if (f >= 0) {
        /* Nearly always the latest: from the tail. */
        struct timer *x = ts->tail[f];
        while (x && x->due > due)
            x = x->prev;
        t->prev = x;
        t->next = x ? x->next : ts->head[f];
        if (t->next)
            t->next->prev = t;
        else
            ts->tail[f] = t;
        if (x)
            x->next = t;
        else
            ts->head[f] = t;
        t->pos = 0;
        return;
    }
    assert(ts->n < ts->cap);
    ts->v[ts->n] = (struct acd_tslot){due, t};
    sift_up(ts, ts->n++);
}

/* The timer due first, or NULL if none. */
struct timer *acd_timers_first(const struct acd_timers *ts)
{
    struct timer *best = ts->n ? ts->v[0].t : NULL;
    for (int f = 0; f < 2; f++)
        if (ts->head[f] && (!best || ts->head[f]->due < best->due))
            best = ts->head[f];
    return best;
}
