/*
 * A report over the store's event log (src/events): the agents' states as
 * they stood when the period began, then every event around the period,
 * oldest first, through the fold.
 */
#include <string.h>

#include "stats.h"
#include "core/core.h"

struct feed {
    stats_event_h on_event;
    void *arg;
    int64_t from, last_at, last_id;
    int n;
    bool states_only;
};

static int feed_row(const struct ev_row *row, void *arg)
{
    struct feed *f = arg;
    struct ev e;
    f->n++;
    f->last_id = row->id;
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
    return f->on_event(&e, f->arg);
}

int stats_store_events(struct db *db, int64_t from, int64_t to, int64_t now, stats_event_h on_event, void *arg, int64_t *end)
{
    struct feed f = {.on_event = on_event, .arg = arg, .from = from, .states_only = true};
    /* each agent's last state before the period */
    int err = events_agent_states_at(db, from, feed_row, &f);
    f.states_only = false;
    f.last_id = 0;
    int64_t margin = (int64_t)STATS_CALL_MARGIN_S * WTIME_SEC, stop = to + margin < now ? to + margin : now;
    struct ev_filter filter = {.since = from - margin, .until = stop > from - margin ? stop : from - margin + 1, .limit = 10000};
    while (!err) {
        f.n = 0;
        filter.after_id = f.last_id;
        if ((err = events_list(db, &filter, feed_row, &f)) || f.n < filter.limit)
            break;
    }
    *end = stop > f.last_at ? stop : f.last_at;
    return err;
}

static int report_event(const struct ev *e, void *arg)
{
    return stats_report_event(arg, e);
}

int stats_report_from_store(struct db *db, const struct stats_query *q, int64_t now, struct stats_report **out)
{
    struct stats_report *r;
    int64_t end;
    int err = stats_report_new(q, &r);
    if (err)
        return err;
    err = stats_store_events(db, q->from, q->to, now, report_event, r, &end);
    if (!err)
        err = stats_report_finish(r, end);
    if (err) {
        stats_report_free(r);
        return err;
    }
    *out = r;
    return 0;
}
