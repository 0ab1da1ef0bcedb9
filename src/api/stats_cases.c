/*
 * The figures beyond the calls (src/stats, docs/metrics.md): cases,
 * contacts (callbacks, first-contact resolution, guide searches), where
 * procedures hurt, and an agent's scorecard.
 *   GET /api/v1/stats/cases?from=&to=&by=
 *   GET /api/v1/stats/contacts?from=&to=&window=
 *   GET /api/v1/stats/procedures?from=&to=&window=&limit=
 *   GET /api/v1/stats/agents/{id}/scorecard?from=&to=
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "stats/stats.h"

#define PERIOD_MAX_DAYS 93
#define CENTER_TZ "Africa/Casablanca"
#define WINDOW_DAYS 7 /* the repeat window of first-contact resolution, unless asked */

/* from= and to= (UTC), by default today in the center's time zone until now. */
static int period(struct http_req *r, int64_t now, int64_t *from, int64_t *to)
{
    const struct tz *z;
    struct tz_local l;
    int64_t midnight = 0;
    int err;
    if ((err = tz_get(CENTER_TZ, &z)) || (err = tz_to_local(z, now / WTIME_SEC, &l)) ||
        (err = tz_from_local(z, l.year, l.month, l.day, 0, 0, 0, &midnight)))
        return err;
    *from = midnight * WTIME_SEC;
    *to = now;
    if ((err = api_query_time(r, "from", "stats.invalid_time", from)) || (err = api_query_time(r, "to", "stats.invalid_time", to)))
        return err;
    if (*to <= *from)
        return err_set_field(WASL_EINVAL, "stats.invalid_period", "to", "the period ends before it starts");
    if (*to - *from > (int64_t)PERIOD_MAX_DAYS * 86400 * WTIME_SEC)
        return err_set_field(WASL_EINVAL, "stats.period_too_long", "to", "at most %d days at a time", PERIOD_MAX_DAYS);
    return 0;
}

static json_t *share(int64_t a, int64_t b)
{
    return b > 0 ? json_real((double)a / (double)b) : json_null();
}

static json_t *mean(int64_t sum, int64_t n)
{
    return n > 0 ? json_real((double)sum / (double)n) : json_null();
}

static json_t *case_row_json(const struct stats_case_row *x)
{
    json_t *o =
        json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "key", x->key, "backlog_start",
                  (json_int_t)x->backlog_start, "opened", (json_int_t)x->opened, "resolved", (json_int_t)x->resolved, "merged",
                  (json_int_t)x->merged, "reopened", (json_int_t)x->reopened, "backlog_end", (json_int_t)x->backlog_end,
                  "complaints", (json_int_t)x->complaints, "suggestions", (json_int_t)x->suggestions, "first_answered",
                  (json_int_t)x->first_answered, "breaches", (json_int_t)x->breaches, "rated", (json_int_t)x->rated);
    json_object_set_new(o, "first_answer_s", mean(x->first_answer_s, x->first_answered));
    json_object_set_new(o, "resolution_s", mean(x->resolution_s, x->resolved));
    json_object_set_new(o, "csat_average", mean(x->rating_sum, x->rated));
    json_object_set_new(o, "csat_share_4_5", share(x->rated_high, x->rated));
    json_object_set_new(o, "rated_low", json_integer((json_int_t)x->rated_low));
    return o;
}

int api_stats_cases(struct http_req *r)
{
    struct stats_case_query q = {.slice = SCS_TOTAL, .tz = CENTER_TZ};
    const char *by = http_query(r, "by");
    int err = period(r, clock_now(), &q.from, &q.to);
    if (err)
        return err;
    if (by) {
        int i = 0;
        while (i < SCS_SLICES && strcmp(by, stats_case_slices[i]))
            i++;
        if (i == SCS_SLICES)
            return err_set_field(WASL_EINVAL, "stats.invalid_slice", "by",
                                 "by: total, category, type, consulate, procedure or day");
        q.slice = (enum stats_case_slice)i;
    }
    struct stats_case_row *rows;
    int n;
    if ((err = stats_cases(APP(r)->db, &q, &rows, &n)))
        return err;
    json_t *out = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(out, case_row_json(&rows[i]));
    free(rows);
    return http_reply_json(r, 200,
                           json_pack("{s:o, s:o, s:s, s:s, s:o}", "from", api_time(q.from), "to", api_time(q.to), "by",
                                     stats_case_slices[q.slice], "time_zone", q.tz, "rows", out));
}

int api_stats_contacts(struct http_req *r)
{
    int64_t from, to, now = clock_now();
    long long window = WINDOW_DAYS;
    struct stats_contacts c;
    struct stats_search_row *s;
    int n, err;
    if ((err = period(r, now, &from, &to)) || (err = api_query_int(r, "window", 1, 90, &window)) ||
        (err = stats_contacts(APP(r)->db, from, to, now, (int)window, CENTER_TZ, &c, &s, &n)))
        return err;
    json_t *rows = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(rows, json_pack("{s:s, s:s, s:I, s:I}", "day", s[i].day, "lang", s[i].lang, "searches",
                                              (json_int_t)s[i].searches, "no_answer", (json_int_t)s[i].no_answer));
    free(s);
    json_t *cb = json_pack("{s:I, s:I, s:I, s:I, s:o, s:I}", "requested", (json_int_t)c.cb_requested, "completed",
                           (json_int_t)c.cb_completed, "cancelled", (json_int_t)c.cb_cancelled, "pending", (json_int_t)c.cb_pending,
                           "delay_s", mean(c.cb_delay_s, c.cb_completed), "delay_max_s", (json_int_t)c.cb_delay_max_s);
    json_t *fcr = json_pack("{s:i, s:I, s:I, s:I, s:I, s:I, s:o}", "window_days", c.window_days, "contacts",
                            (json_int_t)c.fcr_contacts, "unknown_caller", (json_int_t)c.fcr_unknown, "pending",
                            (json_int_t)c.fcr_pending, "repeated", (json_int_t)c.fcr_repeated, "resolved",
                            (json_int_t)c.fcr_resolved, "rate", share(c.fcr_resolved, c.fcr_resolved + c.fcr_repeated));
    json_t *gs =
        json_pack("{s:I, s:I, s:o, s:o}", "searches", (json_int_t)c.searches, "no_answer", (json_int_t)c.searches_no_answer,
                  "no_answer_share", share(c.searches_no_answer, c.searches), "rows", rows);
    return http_reply_json(r, 200,
                           json_pack("{s:o, s:o, s:s, s:o, s:o, s:o}", "from", api_time(from), "to", api_time(to), "time_zone",
                                     CENTER_TZ, "callbacks", cb, "first_contact_resolution", fcr, "guide_searches", gs));
}

int api_stats_procedures(struct http_req *r)
{
    int64_t from, to, now = clock_now();
    long long window = WINDOW_DAYS, limit = 50;
    struct stats_procedure *p;
    int n, err;
    if ((err = period(r, now, &from, &to)) || (err = api_query_int(r, "window", 1, 90, &window)) ||
        (err = api_query_int(r, "limit", 1, 1000, &limit)) ||
        (err = stats_procedures(APP(r)->db, from, to, now, (int)window, &p, &n)))
        return err;
    json_t *rows = json_array();
    for (int i = 0; i < n && i < limit; i++) {
        char link[160];
        snprintf(link, sizeof(link), "/api/v1/guide/articles/%s", p[i].key);
        json_t *samples = json_array();
        for (int k = 0; k < p[i].nsamples; k++)
            json_array_append_new(
                samples, json_pack("{s:s, s:s+}", "reference", p[i].samples[k], "link", "/api/v1/cases/", p[i].samples[k]));
        json_t *o =
            json_pack("{s:i, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "rank", i + 1, "kind", p[i].kind, "key", p[i].key,
                      "score", (json_int_t)p[i].score, "calls", (json_int_t)p[i].calls, "repeat_calls",
                      (json_int_t)p[i].repeat_calls, "cases", (json_int_t)p[i].cases, "complaints", (json_int_t)p[i].complaints,
                      "rated", (json_int_t)p[i].rated, "rated_low", (json_int_t)p[i].rated_low);
        json_object_set_new(o, "aht_s",
                            p[i].handled ? json_real((double)p[i].handle_ms / 1000.0 / (double)p[i].handled) : json_null());
        json_object_set_new(o, "repeat_share", share(p[i].repeat_calls, p[i].calls));
        json_object_set_new(o, "searches_no_answer", json_null()); /* not attributable: docs/metrics.md */
        json_object_set_new(o, "link", strcmp(p[i].kind, "article") ? json_null() : json_string(link));
        json_object_set_new(o, "sample_cases", samples);
        json_array_append_new(rows, o);
    }
    free(p);
    return http_reply_json(r, 200,
                           json_pack("{s:o, s:o, s:i, s:I, s:o}", "from", api_time(from), "to", api_time(to), "window_days",
                                     (int)window, "total", (json_int_t)n, "rows", rows));
}

int api_stats_scorecard(struct http_req *r)
{
    char *end;
    const char *id = http_param(r, "id");
    long long agent = id ? strtoll(id, &end, 10) : 0;
    if (!id || !*id || *end || agent <= 0)
        return err_set_field(WASL_EINVAL, "request.invalid_parameter", "id", "a user id");
    /* an agent sees their own card only; supervisors and administrators any */
    if (r->actor.role == ROLE_AGENT && r->actor.user_id != agent)
        return err_set(WASL_EPERM, "stats.forbidden", "an agent sees their own scorecard only");
    struct user u;
    int64_t from, to, now = clock_now();
    struct stats_scorecard c;
    int err;
    if ((err = user_get(APP(r)->db, agent, &u)) || (err = period(r, now, &from, &to)) ||
        (err = stats_scorecard(APP(r)->db, agent, u.login, from, to, now, &c)))
        return err;
    json_t *states = json_object(), *o;
    static const char *const names[SA_STATES] = {"offline", "available", "ringing", "busy", "wrap_up", "paused"};
    for (int s = 0; s < SA_STATES; s++)
        json_object_set_new(states, names[s], json_integer((json_int_t)(c.state_ms[s] / 1000)));
    const int64_t *m = c.state_ms;
    int64_t work = m[SA_BUSY] + m[SA_WRAP_UP];
    o = json_pack("{s:o, s:o, s:I, s:s, s:I, s:I, s:I, s:I, s:I}", "from", api_time(from), "to", api_time(to), "agent",
                  (json_int_t)agent, "login", u.login, "handled", (json_int_t)c.handled, "transfers", (json_int_t)c.transfers,
                  "rings_unanswered", (json_int_t)c.rings_unanswered, "pause_s", (json_int_t)(m[SA_PAUSED] / 1000), "rated",
                  (json_int_t)c.rated);
    json_object_set_new(o, "aht_s", c.handled ? json_real((double)c.handle_ms / 1000.0 / (double)c.handled) : json_null());
    json_object_set_new(o, "queue_aht_s", c.handled ? json_real((double)c.expected_ms / 1000.0 / (double)c.handled) : json_null());
    json_object_set_new(o, "occupancy", share(work, work + m[SA_RINGING] + m[SA_AVAILABLE]));
    json_object_set_new(o, "csat_average", mean(c.rating_sum, c.rated));
    json_object_set_new(o, "csat_share_4_5", share(c.rated_high, c.rated));
    json_object_set_new(o, "agent_seconds", states);
    return http_reply_json(r, 200, o);
}
