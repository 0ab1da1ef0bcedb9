/*
 * The store's event log (src/events) read for the figures: the agents'
 * states as they stood when the period began, then every event around the
 * period, oldest first, given to a fold (a report's, or one of the other
 * figures' of src/stats).
 */
#include <stdlib.h>
#include <string.h>

#include "stats_int.h"
#include "core/core.h"
#include "store/store.h"

struct feed {
    stats_event_h h;
    void *arg;
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
    return f->h(&e, f->arg);
}

int stats_events_from_store(struct db *db, int64_t from, int64_t to, int64_t now, stats_event_h h, void *arg, int64_t *end_out)
{
    struct feed f = {.h = h, .arg = arg, .from = from, .states_only = true};
    /* each agent's last state before the period */
    int err = events_agent_states_at(db, from, feed_row, &f);
    f.states_only = false;
    int64_t margin = (int64_t)STATS_CALL_MARGIN_S * WTIME_SEC, end = to + margin < now ? to + margin : now;
    if (!err) /* one pass by id over the period's events */
        err = events_scan(db, from - margin, end > from - margin ? end : from - margin + 1, feed_row, &f);
    *end_out = end > f.last_at ? end : f.last_at;
    return err;
}

static int report_event(const struct ev *e, void *arg)
{
    return stats_report_event(arg, e);
}

int stats_report_from_store(struct db *db, const struct stats_query *q, int64_t now, struct stats_report **out)
{
    struct stats_report *r;
    struct stats_query qq = *q;
    struct stats_consulates m = {0};
    int64_t end = now;
    int err = 0;
    if ((q->by & STATS_BY(SD_CONSULATE)) && !q->consulate_of) {
        err = stats_consulates_load(db, q->from, q->to, &m);
        qq.consulate_of = stats_consulate_of;
        qq.consulate_arg = &m;
    }
    if (!err)
        err = stats_report_new(&qq, &r);
    if (err) {
        free(m.v);
        return err;
    }
    err = stats_events_from_store(db, q->from, q->to, now, report_event, r, &end);
    if (!err)
        err = stats_report_finish(r, end);
    free(m.v); /* the tally is over: nothing asks for a consulate any more */
    if (err) {
        stats_report_free(r);
        return err;
    }
    *out = r;
    return 0;
}

struct walk {
    struct stats_fold *fold;
    stats_event_h on_event;
    void *arg;
};

static int walk_event(const struct ev *e, void *arg)
{
    struct walk *w = arg;
    int err = w->on_event ? w->on_event(e, w->arg) : 0;
    return err ? err : stats_fold_event(w->fold, e);
}

int stats_fold_store(struct db *db, int64_t from, int64_t to, int64_t now, stats_segment_h on_segment, stats_interval_h on_interval,
                     stats_event_h on_event, void *arg)
{
    struct walk w = {.on_event = on_event, .arg = arg};
    int64_t end = now;
    int err = stats_fold_new(on_segment, on_interval, arg, &w.fold);
    if (err)
        return err;
    err = stats_events_from_store(db, from, to, now, walk_event, &w, &end);
    if (!err)
        stats_fold_end(w.fold, end);
    stats_fold_free(w.fold);
    return err;
}
