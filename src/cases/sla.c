/*
 * Deadlines: every minute the server looks for cases about to miss a target
 * (warned) or past it (breached, escalated to the supervision team). The
 * clock of a case waiting for the citizen is stopped (see workflow.c), so
 * such cases are skipped here.
 */
#include <stdio.h>
#include <string.h>

#include "cases_int.h"
#include "calendar/calendar.h"

struct due {
    int64_t id;
    char reference[CASE_REF_LEN + 1];
    char type[16], priority[10];
    int64_t first_at, first_due, res_due, warned, breached;
    bool acted;
    int64_t now;
};

static int tick_one(struct db_conn *c, void *arg)
{
    struct due *d = arg;
    int64_t now = d->now;
    const struct sla *s = sla_for(d->type, d->priority);
    char object[64], detail[128];
    int err;

    snprintf(object, sizeof(object), "case:%s", d->reference);
    bool first_late = !d->first_at && d->first_due && d->first_due <= now;
    bool res_late = d->res_due && d->res_due <= now;
    if ((first_late || res_late) && !d->breached) {
        snprintf(detail, sizeof(detail), "{\"target\":\"%s\"}", first_late ? "first_response" : "resolution");
        if ((err = db_exec(c, "UPDATE cases SET breached_at = ?, escalated = 1, updated_at = ? WHERE id = ? AND breached_at = 0",
                           DBP(DB_I(now), DB_I(now), DB_I(d->id)))) ||
            (err = case_event_add(c, d->id, "system", "escalated", false, NULL, detail)))
            return err;
        struct actor sys = {.login = "system"};
        d->acted = true;
        return audit_append(c, &sys, "case.escalate", object, detail);
    }
    /* Warned once, a little before the nearest target. */
    int64_t next = !d->first_at && d->first_due ? d->first_due : d->res_due;
    int64_t warn_from = s && next ? calendar_add_business(now / WTIME_SEC, s->warn) * WTIME_SEC : 0;
    if (!d->warned && next && warn_from >= next) {
        snprintf(detail, sizeof(detail), "{\"target\":\"%s\"}", !d->first_at && d->first_due ? "first_response" : "resolution");
        if ((err = db_exec(c, "UPDATE cases SET warned_at = ? WHERE id = ? AND warned_at = 0", DBP(DB_I(now), DB_I(d->id)))))
            return err;
        d->acted = true;
        return case_event_add(c, d->id, "system", "warned", false, NULL, detail);
    }
    return 0;
}

int cases_sla_tick(struct db *db, int64_t now, int *changed)
{
    struct db_conn *c;
    struct db_stmt *s = NULL;
    struct due list[200];
    int n = 0, err;

    *changed = 0;
    if ((err = db_conn_get(db, &c)))
        return err;
    /* Cases still running whose nearest target is within a day: the rest
     * cannot need a warning yet. */
    err =
        db_query(c, &s,
                 "SELECT id, reference, type, priority, first_response_at, first_response_due, resolution_due, warned_at, "
                 "breached_at FROM cases WHERE status IN ('new', 'open', 'waiting_consulate') AND breached_at = 0 "
                 "AND (resolution_due < ? OR (first_response_at = 0 AND first_response_due < ?)) ORDER BY resolution_due LIMIT 200",
                 DBP(DB_I(now + 7 * 86400 * WTIME_SEC), DB_I(now + 7 * 86400 * WTIME_SEC)));
    while (!err && db_next(s) && n < 200) {
        struct due *d = &list[n++];
        d->id = db_int(s, 0);
        snprintf(d->reference, sizeof(d->reference), "%s", db_text(s, 1));
        snprintf(d->type, sizeof(d->type), "%s", db_text(s, 2));
        snprintf(d->priority, sizeof(d->priority), "%s", db_text(s, 3));
        d->first_at = db_int(s, 4);
        d->first_due = db_int(s, 5);
        d->res_due = db_int(s, 6);
        d->warned = db_int(s, 7);
        d->breached = db_int(s, 8);
    }
    int err2 = db_end(s);
    db_conn_put(c);
    if (err || err2)
        return err ? err : err2;
    for (int i = 0; i < n; i++) {
        list[i].acted = false;
        list[i].now = now;
        if ((err = db_tx(db, tick_one, &list[i])))
            return err;
        *changed += list[i].acted;
    }
    return 0;
}

const char *case_deadline_state(const struct case_rec *c, int64_t now, int64_t *due)
{
    const struct sla *s = sla_for(c->type, c->priority);
    int64_t next = !c->first_response_at && c->first_response_due ? c->first_response_due : c->resolution_due;
    *due = next;
    if (!strcmp(c->status, "resolved") || !strcmp(c->status, "closed") || !strcmp(c->status, "merged")) {
        *due = 0;
        return "done";
    }
    if (!strcmp(c->status, "waiting_citizen"))
        return "paused";
    if (c->breached || (next && next <= now))
        return "breached";
    if (c->warned || (s && next && calendar_add_business(now / WTIME_SEC, s->warn) * WTIME_SEC >= next))
        return "warning";
    return "ok";
}
