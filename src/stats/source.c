/*
 * A report over the store's event log (src/events): the agents' states as
 * they stood when the period began, then every event around the period,
 * oldest first, through the fold.
 */
#include <string.h>

#include "stats.h"
#include "core/core.h"

struct feed {
    struct stats_report *r;
    int64_t from, last_at;
    bool states_only;
};

static int feed_row(const struct ev_row *row, void *arg)
{
    struct feed *f = arg;
    struct ev e;
    /* the states before the period were given already, as they stood */
    if (!f->states_only && row->at < f->from && !strcmp(row->kind, "agent.state"))
        return 0;
    int err = ev_from_row(row, &e);
    if (err) { /* a row this binary cannot read: said, then left out */
        log_warn("stats: %s", err_message());
        err_clear();
        return 0;
    }
    if (e.at > f->last_at)
        f->last_at = e.at;
    return stats_report_event(f->r, &e);
}

int stats_report_from_store(struct db *db, const struct stats_query *q, int64_t now, struct stats_report **out)
{
    struct stats_report *r;
    int err = stats_report_new(q, &r);
    if (err)
        return err;
    struct feed f = {.r = r, .from = q->from, .states_only = true};
    /* each agent's last state before the period */
    err = events_agent_states_at(db, q->from, feed_row, &f);
    f.states_only = false;
    int64_t margin = (int64_t)STATS_CALL_MARGIN_S * WTIME_SEC, end = q->to + margin < now ? q->to + margin : now;
    if (!err)
        err = events_scan(db, q->from - margin, end > q->from - margin ? end : q->from - margin + 1, feed_row, &f);
    if (!err)
        err = stats_report_finish(r, end > f.last_at ? end : f.last_at);
    if (err) {
        stats_report_free(r);
        return err;
    }
    *out = r;
    return 0;
}
