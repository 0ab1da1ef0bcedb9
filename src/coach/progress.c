/*
 * An agent's figures over a period for coaching: handle time, rings let go
 * and the ratings of resolved cases from the statistics (stats_scorecard,
 * the event log), their quality reviews' average, and their briefings read
 * late or not yet; the center's weeks; the progress page's data.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "coach.h"
#include "brief/brief.h"
#include "stats/stats.h"

#define CENTER_TZ "Africa/Casablanca"
/* A briefing read more than two days after its publication counts as late:
 * the time the center gives agents to read an amendment between calls. */
#define BRIEFING_LATE (2 * 86400 * WTIME_SEC)

static int review_row(struct db_stmt *s, void *arg)
{
    struct coach_figures *f = arg;
    f->reviews = db_int(s, 0);
    f->review_avg = f->reviews ? (double)db_int(s, 1) / 10.0 / (double)f->reviews : 0;
    return 0;
}

int coach_figures(struct db *db, int64_t agent, int64_t from, int64_t to, int64_t now, struct coach_figures *out)
{
    struct user u;
    struct stats_scorecard c;
    int err;
    memset(out, 0, sizeof(*out));
    out->from = from;
    out->to = to;
    if ((err = user_get(db, agent, &u)) || (err = stats_scorecard(db, agent, u.login, from, to, now, &c)))
        return err;
    out->handled = c.handled;
    out->aht_s = c.handled ? (double)c.handle_ms / 1000.0 / (double)c.handled : 0;
    out->queue_aht_s = c.handled ? (double)c.expected_ms / 1000.0 / (double)c.handled : 0;
    out->rated = c.rated;
    out->csat = c.rated ? (double)c.rating_sum / (double)c.rated : 0;
    out->rings_unanswered = c.rings_unanswered;
    out->rna_week = (double)c.rings_unanswered * 7.0 * 86400.0 * WTIME_SEC / (double)(to - from);
    /* the reviews the agent is shown: calibrations aside, by the call's start */
    if ((err = db_each(db,
                       "SELECT COUNT(*), COALESCE(SUM(score_x10), 0) FROM quality_reviews WHERE agent_user = ? AND calibration = 0 "
                       "AND call_started_at >= ? AND call_started_at < ?",
                       DBP(DB_I(agent), DB_I(from), DB_I(to)), review_row, out)))
        return err;
    return brief_agent_counts(db, agent, from, to, BRIEFING_LATE, &out->briefings, &out->briefings_late, &out->briefings_pending);
}

bool coach_figure_value(const struct coach_figures *f, enum coach_metric m, double *v)
{
    switch (m) {
    case CM_AHT:
        *v = f->aht_s;
        return f->handled > 0;
    case CM_REVIEW:
        *v = f->review_avg;
        return f->reviews > 0;
    case CM_CSAT:
        *v = f->csat;
        return f->rated > 0;
    default:
        *v = f->rna_week;
        return f->to > f->from;
    }
}

int coach_weeks(int64_t now, int n, int64_t *mondays)
{
    const struct tz *z;
    struct tz_local l;
    int err;
    if (n < 1 || n > COACH_WEEKS_MAX)
        return err_set_field(WASL_EINVAL, "coach.invalid_weeks", "weeks", "from 1 to %d weeks", COACH_WEEKS_MAX);
    if ((err = tz_get(CENTER_TZ, &z)) || (err = tz_to_local(z, now / WTIME_SEC, &l)))
        return err;
    int64_t day = days_from_civil(l.year, l.month, l.day);
    int64_t monday = day - ((day % 7) + 7 + 3) % 7; /* 1970-01-01 was a Thursday */
    for (int i = 0; i <= n && !err; i++) {
        int y, m, d;
        int64_t t;
        civil_from_days(monday - (int64_t)(n - 1 - i) * 7, &y, &m, &d);
        if (!(err = tz_from_local(z, y, m, d, 0, 0, 0, &t)))
            mondays[i] = t * WTIME_SEC;
    }
    return err;
}

static json_t *num_or_null(bool has, double v)
{
    return has ? json_real(v) : json_null();
}

json_t *coach_figures_json(const struct coach_figures *f)
{
    json_t *o = json_pack("{s:o, s:o, s:I, s:I, s:I, s:I, s:f, s:I, s:I, s:I}", "from", json_utc_time(f->from), "to",
                          json_utc_time(f->to), "reviews", (json_int_t)f->reviews, "handled", (json_int_t)f->handled, "rated",
                          (json_int_t)f->rated, "rings_unanswered", (json_int_t)f->rings_unanswered, "rna_week", f->rna_week,
                          "briefings", (json_int_t)f->briefings, "briefings_late", (json_int_t)f->briefings_late,
                          "briefings_pending", (json_int_t)f->briefings_pending);
    json_object_set_new(o, "review_avg", num_or_null(f->reviews > 0, f->review_avg));
    json_object_set_new(o, "aht_s", num_or_null(f->handled > 0, f->aht_s));
    json_object_set_new(o, "queue_aht_s", num_or_null(f->handled > 0, f->queue_aht_s));
    json_object_set_new(o, "csat", num_or_null(f->rated > 0, f->csat));
    return o;
}

int coach_progress(struct db *db, const struct actor *who, int64_t agent, int n, int64_t now, json_t **out)
{
    int64_t mondays[COACH_WEEKS_MAX + 1];
    json_t *sessions = NULL, *weeks = json_array();
    int err = 0;
    *out = NULL;
    if (!(who->role & (ROLE_SUPERVISOR | ROLE_ADMIN)) && agent != who->user_id)
        err = err_set(WASL_EPERM, "coach.forbidden", "an agent sees their own progress only");
    if (err || (err = coach_weeks(now, n, mondays)))
        goto out;
    for (int i = 0; i < n && !err; i++) {
        struct coach_figures f;
        /* the current week until now: its figures so far */
        if (!(err = coach_figures(db, agent, mondays[i], mondays[i + 1] < now ? mondays[i + 1] : now, now, &f)))
            json_array_append_new(weeks, coach_figures_json(&f));
    }
    /* the goals to draw: every measurable goal of the agent's sessions */
    if (!err)
        err = coach_list(db, who, agent, 100, &sessions);
    if (err)
        goto out;
    json_t *goals = json_array(), *s, *g;
    size_t i, k;
    json_array_foreach(sessions, i, s){json_array_foreach(json_object_get(s, "goals"), k,
                                                          g){if (json_object_get(g, "metric")) json_array_append_new(
        goals, json_pack("{s:O, s:O, s:O, s:O, s:O, s:O}", "session", json_object_get(s, "id"), "planned_at",
                         json_object_get(s, "planned_at"), "metric", json_object_get(g, "metric"), "op", json_object_get(g, "op"),
                         "target", json_object_get(g, "threshold"), "expr", json_object_get(g, "target")));
}
}
*out = json_pack("{s:I, s:o, s:o}", "agent", (json_int_t)agent, "weeks", weeks, "goals", goals);
weeks = NULL;
out : json_decref(sessions);
json_decref(weeks);
return err;
}
