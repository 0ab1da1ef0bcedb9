/*
 * An agent's scorecard for coaching (docs/metrics.md, "Agent scorecard"):
 * the calls they handled and their handle time against what the same calls
 * take the whole team in the same queues, their time by state, the rings
 * they let go, their transfers, and the ratings of the cases they resolved.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats_int.h"
#include "core/core.h"
#include "store/store.h"

#define QUEUES_MAX 128

struct queue {
    char name[16];
    int64_t handled, ms; /* everybody's */
    int64_t mine;        /* the agent's handled there */
};

struct card {
    struct stats_scorecard *o;
    int64_t from, to;
    struct queue q[QUEUES_MAX];
    int nq;
};

static void on_segment(const struct stats_segment *s, void *arg)
{
    struct card *c = arg;
    if (s->joined < c->from || s->joined >= c->to || s->fate != SF_ANSWERED || s->wrap_ms < 0)
        return;
    int64_t ms = s->talk_ms + s->hold_ms + s->wrap_ms;
    int i = 0;
    while (i < c->nq && strcmp(c->q[i].name, s->queue))
        i++;
    if (i == c->nq && c->nq < QUEUES_MAX)
        snprintf(c->q[c->nq++].name, sizeof(c->q[0].name), "%s", s->queue);
    if (i < c->nq) {
        c->q[i].handled++;
        c->q[i].ms += ms;
        c->q[i].mine += s->agent == c->o->agent;
    }
    if (s->agent != c->o->agent)
        return;
    c->o->handled++;
    c->o->handle_ms += ms;
    c->o->transfers += s->transferred;
}

static void on_interval(const struct stats_interval *i, void *arg)
{
    struct card *c = arg;
    int64_t from = i->from > c->from ? i->from : c->from, to = i->to < c->to ? i->to : c->to;
    if (i->agent == c->o->agent && to > from)
        c->o->state_ms[i->state] += (to - from) / 1000;
}

static int on_event(const struct ev *e, void *arg)
{
    struct card *c = arg;
    if (e->kind == EV_CALL_NOT_ANSWERED && e->agent == c->o->agent && e->at >= c->from && e->at < c->to)
        c->o->rings_unanswered++;
    return 0;
}

static int rating_row(struct db_stmt *s, void *arg)
{
    struct stats_scorecard *o = arg;
    int64_t r = db_int(s, 0);
    o->rated++;
    o->rating_sum += r;
    o->rated_high += r >= 4;
    return 0;
}

int stats_scorecard(struct db *db, int64_t agent, const char *login, int64_t from, int64_t to, int64_t now,
                    struct stats_scorecard *out)
{
    memset(out, 0, sizeof(*out));
    if (to <= from)
        return err_set_field(WASL_EINVAL, "stats.invalid_period", "to", "the period ends before it starts");
    out->agent = agent;
    struct card c = {.o = out, .from = from, .to = to};
    int err = stats_fold_store(db, from, to, now, on_segment, on_interval, on_event, &c);
    /* what their calls take the team: each queue's average, as many times
     * as they handled there */
    for (int i = 0; !err && i < c.nq; i++)
        if (c.q[i].handled)
            out->expected_ms += c.q[i].mine * c.q[i].ms / c.q[i].handled;
    /* the ratings given in the period to cases whose change to resolved
     * they made (the history's actor is the login) */
    if (!err && login && *login)
        err = db_each(db,
                      "SELECT c.rating FROM cases c WHERE c.rating IS NOT NULL AND c.rated_at >= ? AND c.rated_at < ? AND EXISTS "
                      "(SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.kind = 'changed' AND e.actor = ? AND "
                      "e.detail LIKE '%\"status\":[%,\"resolved\"]%')",
                      DBP(DB_I(from), DB_I(to), DB_S(login)), rating_row, out);
    return err;
}
