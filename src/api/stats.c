/*
 * The contact center's figures for a period (src/stats, docs/metrics.md):
 * GET /api/v1/stats?from=&to=&by=&interval=&threshold=&short=
 */
#include <string.h>

#include "api.h"
#include "stats/stats.h"
#include "tel/tel.h"

#define PERIOD_MAX_DAYS 93
#define QUEUES_MAX 64

static json_t *share(double x)
{
    return x < 0 ? json_null() : json_real(x);
}

static json_t *row_json(const struct stats_row *x)
{
    static const char *const states[SA_STATES] = {"offline", "available", "ringing", "busy", "wrap_up", "paused"};
    json_t *agents = json_object();
    for (int s = 0; s < SA_STATES; s++)
        json_object_set_new(agents, states[s], json_integer(x->state_ms[s] / 1000));
    json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "key", x->key, "offered",
                          (json_int_t)x->offered, "answered", (json_int_t)x->answered, "abandoned", (json_int_t)x->abandoned,
                          "short_abandons", (json_int_t)x->short_abandons, "sent_on", (json_int_t)x->sent_on, "waiting",
                          (json_int_t)x->waiting, "answered_within", (json_int_t)x->answered_within, "abandoned_within",
                          (json_int_t)x->abandoned_within, "handled", (json_int_t)x->handled, "transfers", (json_int_t)x->transfers,
                          "rings_unanswered", (json_int_t)x->rings_unanswered, "callbacks", (json_int_t)x->callbacks,
                          "longest_wait_s", (json_int_t)(x->wait_max_ms / 1000));
    json_object_set_new(o, "service_level_answered", share(stats_sl_answered(x)));
    json_object_set_new(o, "service_level_offered", share(stats_sl_offered(x)));
    json_object_set_new(o, "abandon_rate", share(stats_abandon_rate(x)));
    json_object_set_new(o, "asa_s", share(stats_asa_s(x)));
    json_object_set_new(o, "aht_s", share(stats_aht_s(x)));
    json_object_set_new(o, "talk_s", json_integer(x->talk_ms / 1000));
    json_object_set_new(o, "hold_s", json_integer(x->hold_ms / 1000));
    json_object_set_new(o, "wrap_up_s", json_integer(x->wrap_ms / 1000));
    json_object_set_new(o, "occupancy", share(stats_occupancy(x)));
    json_object_set_new(o, "utilisation", share(stats_utilisation(x)));
    json_object_set_new(o, "agent_seconds", agents);
    return o;
}

static int slice_of(const char *by, enum stats_slice *out)
{
    static const char *const names[SS_SLICES] = {"total", "queue", "language", "country", "agent", "interval"};
    for (int i = 0; i < SS_SLICES; i++)
        if (!strcmp(by, names[i])) {
            *out = (enum stats_slice)i;
            return 0;
        }
    return err_set_field(WASL_EINVAL, "stats.invalid_slice", "by", "by: total, queue, language, country, agent or interval");
}

static int bucket_of(const char *v, int *out)
{
    static const struct {
        const char *name;
        int s;
    } b[] = {{"15m", 900}, {"30m", 1800}, {"1h", 3600}, {"1d", 86400}};
    for (size_t i = 0; i < sizeof(b) / sizeof(b[0]); i++)
        if (!strcmp(v, b[i].name)) {
            *out = b[i].s;
            return 0;
        }
    return err_set_field(WASL_EINVAL, "stats.invalid_bucket", "interval", "interval: 15m, 30m, 1h or 1d");
}

int api_stats(struct http_req *r)
{
    struct stats_query q = {.slice = SS_TOTAL, .bucket_s = 3600, .tz = "Africa/Casablanca"};
    struct stats_threshold th[QUEUES_MAX];
    long long threshold = 0, short_s = 5;
    const char *by = http_query(r, "by"), *iv = http_query(r, "interval");
    wtime_t now = clock_now();
    int err;

    /* the default period: today, in the center's time zone, until now */
    const struct tz *z;
    struct tz_local l;
    int64_t midnight = 0;
    if ((err = tz_get(q.tz, &z)) || (err = tz_to_local(z, now / WTIME_SEC, &l)) ||
        (err = tz_from_local(z, l.year, l.month, l.day, 0, 0, 0, &midnight)))
        return err;
    q.from = midnight * WTIME_SEC;
    q.to = now;
    if ((err = api_query_time(r, "from", "stats.invalid_time", &q.from)) ||
        (err = api_query_time(r, "to", "stats.invalid_time", &q.to)) ||
        (err = api_query_int(r, "threshold", 1, 3600, &threshold)) || (err = api_query_int(r, "short", 0, 600, &short_s)) ||
        (by && (err = slice_of(by, &q.slice))) || (iv && (err = bucket_of(iv, &q.bucket_s))))
        return err;
    if (q.to <= q.from)
        return err_set_field(WASL_EINVAL, "stats.invalid_period", "to", "the period ends before it starts");
    if (q.to - q.from > (int64_t)PERIOD_MAX_DAYS * 86400 * WTIME_SEC)
        return err_set_field(WASL_EINVAL, "stats.period_too_long", "to", "at most %d days at a time", PERIOD_MAX_DAYS);
    /* each queue's own threshold (data/tel/queues.json) unless one is asked */
    q.sl_threshold_s = threshold ? (int)threshold : 20;
    for (int i = 0; !threshold && i < tel_plan_queues() && q.nthresholds < QUEUES_MAX; i++) {
        int s;
        const char *name = tel_plan_queue(i, &s);
        if (!name)
            continue;
        snprintf(th[q.nthresholds].queue, sizeof(th[0].queue), "%s", name);
        th[q.nthresholds++].seconds = s;
    }
    q.thresholds = th;
    q.short_abandon_s = (int)short_s;

    struct stats_report *rep;
    if ((err = stats_report_from_store(APP(r)->db, &q, now, &rep)))
        return err;
    const struct stats_row *rows;
    int n = stats_report_rows(rep, &rows);
    json_t *out = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(out, row_json(&rows[i]));
    const char(*reasons)[32];
    const int64_t *ms;
    int np = stats_report_pauses(rep, &reasons, &ms);
    json_t *pauses = json_array();
    for (int i = 0; i < np; i++)
        json_array_append_new(pauses, json_pack("{s:s, s:I}", "reason", reasons[i], "seconds", (json_int_t)(ms[i] / 1000)));
    stats_report_free(rep);
    return http_reply_json(r, 200,
                           json_pack("{s:o, s:o, s:s, s:s, s:i, s:i, s:o, s:o}", "from", api_time(q.from), "to", api_time(q.to),
                                     "by", by ? by : "total", "time_zone", q.tz, "threshold_s", q.sl_threshold_s, "short_abandon_s",
                                     q.short_abandon_s, "rows", out, "pauses", pauses));
}
