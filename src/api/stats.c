/*
 * The contact center's figures for a period (src/stats, docs/metrics.md):
 * GET /api/v1/stats?from=&to=&by=&interval=&threshold=&short=&format=
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "auth/auth.h"
#include "stats/stats.h"
#include "tel/tel.h"

#define PERIOD_MAX_DAYS 93
#define QUEUES_MAX 64

/* A row as JSON: every column of stats_columns (a share or a time without
 * a denominator is null), the agents' seconds per state in one object. */
static json_t *row_json(const struct stats_row *x, unsigned by)
{
    json_t *o = json_pack("{s:s}", "key", x->key), *agents = json_object();
    for (int d = 0; d < SD_DIMS; d++) /* each dimension the rows are cut by, as its own field */
        if (by & STATS_BY(d))
            json_object_set_new(o, stats_dim_names[d], json_string(x->value[d]));
    for (int k = 0; k < stats_ncolumns; k++) {
        const struct stats_column *c = &stats_columns[k];
        double v = stats_column_value(c, x);
        bool real = c->type == SC_SHARE || c->type == SC_SECONDS;
        json_t *j = real && v < 0 ? json_null() : real ? json_real(v) : json_integer((json_int_t)v);
        json_object_set_new(c->type == SC_STATE ? agents : o, c->name, j);
    }
    json_object_set_new(o, "agent_seconds", agents);
    return o;
}

static int brief_cmp(const void *a, const void *b)
{
    int64_t x = ((const struct user_brief *)a)->id, y = ((const struct user_brief *)b)->id;
    return x < y ? -1 : x > y;
}

/* Rows cut by agent get "name", the agent's display name (null for an
 * account that is gone): supervisors read the report but may not list the
 * accounts. One query for all the rows. */
static int name_agents(struct db *db, json_t *rows)
{
    size_t n = json_array_size(rows);
    if (!n)
        return 0;
    struct user_brief *b = calloc(n, sizeof(*b));
    if (!b)
        return WASL_ENOMEM;
    for (size_t i = 0; i < n; i++)
        b[i].id = strtoll(json_string_value(json_object_get(json_array_get(rows, i), "agent")), NULL, 10);
    int err = user_briefs(db, b, (int)n);
    for (size_t i = 0; !err && i < n; i++) {
        json_t *row = json_array_get(rows, i);
        struct user_brief key = {.id = strtoll(json_string_value(json_object_get(row, "agent")), NULL, 10)};
        const struct user_brief *hit = bsearch(&key, b, n, sizeof(*b), brief_cmp);
        json_object_set_new(row, "name", hit && hit->display_name[0] ? json_string(hit->display_name) : json_null());
    }
    free(b);
    return err;
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

/* A bound of the period: a UTC time (2026-12-07T10:00:00Z), or a day alone
 * (2026-12-07), which is that day's local midnight in the center's time zone,
 * so that a page need not know the zone's rules (Morocco's change of offset
 * for Ramadan and in 2026) to ask for "yesterday". */
static int time_or_day(struct http_req *r, const char *name, const struct tz *z, wtime_t *out)
{
    const char *v = http_query(r, name);
    int y, m, d, n = 0;
    if (!v || strlen(v) != 10 || sscanf(v, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10)
        return api_query_time(r, name, "stats.invalid_time", out);
    int cy, cm, cd;
    civil_from_days(days_from_civil(y, m, d), &cy, &cm, &cd);
    int64_t s;
    if (y < 1970 || m < 1 || m > 12 || d < 1 || cy != y || cm != m || cd != d || tz_from_local(z, y, m, d, 0, 0, 0, &s))
        return err_set_field(WASL_EINVAL, "stats.invalid_time", name, "no such day: %s", v);
    *out = s * WTIME_SEC;
    return 0;
}

#define EXPORT_MAX (16u << 20)

/* The report as a download: CSV, or XLSX made in a private temporary file
 * (libxlsxwriter writes files) and read back. */
static int reply_file(struct http_req *r, const struct stats_report *rep, const struct stats_query *q, const char *by,
                      const char *format)
{
    char from[40], to[40], name[128], disposition[192];
    clock_format_utc(q->from, from, sizeof(from));
    clock_format_utc(q->to, to, sizeof(to));
    snprintf(name, sizeof(name), "wasl-figures-%s-%.10s.%s", by, from, format);
    for (char *c = name; *c; c++) /* country,language -> country+language */
        if (*c == ',')
            *c = '+';
    snprintf(disposition, sizeof(disposition), "attachment; filename=\"%s\"", name);
    if (!strcmp(format, "csv")) {
        struct sbuf b;
        sbuf_init(&b, EXPORT_MAX);
        int err = stats_export_csv(rep, &b);
        if (err) {
            sbuf_release(&b);
            return err;
        }
        size_t len = b.len;
        http_add_header(r, "Content-Disposition", disposition);
        return http_reply_text(r, 200, "text/csv; charset=utf-8", sbuf_take(&b), len);
    }
    char about[6][80], dir[] = "/tmp/wasl-xlsx-XXXXXX", path[64];
    const char *lines[6];
    snprintf(about[0], sizeof(about[0]), "from=%s", from);
    snprintf(about[1], sizeof(about[1]), "to=%s", to);
    snprintf(about[2], sizeof(about[2]), "by=%s", by);
    snprintf(about[3], sizeof(about[3]), "time_zone=%s", q->tz);
    snprintf(about[4], sizeof(about[4]), "threshold_s=%d", q->sl_threshold_s);
    snprintf(about[5], sizeof(about[5]), "definitions=docs/metrics.md");
    for (int i = 0; i < 6; i++)
        lines[i] = about[i];
    if (!mkdtemp(dir))
        return err_set(WASL_EIO, "stats.xlsx", "no temporary folder for the workbook");
    snprintf(path, sizeof(path), "%s/figures.xlsx", dir);
    char *body = NULL;
    size_t len = 0;
    int err = stats_export_xlsx(rep, lines, 6, path);
    if (!err)
        err = file_read(path, &body, &len, EXPORT_MAX);
    remove(path);
    rmdir(dir);
    if (err)
        return err;
    http_add_header(r, "Content-Disposition", disposition);
    return http_reply_text(r, 200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body, len);
}

int api_stats_thresholds(struct stats_threshold *th, int max)
{
    int n = 0;
    for (int i = 0; i < tel_plan_queues() && n < max; i++) {
        int s;
        const char *name = tel_plan_queue(i, &s);
        if (!name)
            continue;
        snprintf(th[n].queue, sizeof(th[0].queue), "%s", name);
        th[n++].seconds = s;
    }
    return n;
}

int api_stats(struct http_req *r)
{
    struct stats_query q = {.by = 0, .bucket_s = 3600, .tz = "Africa/Casablanca"};
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
    if ((err = time_or_day(r, "from", z, &q.from)) || (err = time_or_day(r, "to", z, &q.to)) ||
        (err = api_query_int(r, "threshold", 1, 3600, &threshold)) || (err = api_query_int(r, "short", 0, 600, &short_s)) ||
        (by && (err = stats_dims_parse(by, &q.by))) || (iv && (err = bucket_of(iv, &q.bucket_s))))
        return err;
    char by_name[96];
    stats_dims_format(q.by, by_name, sizeof(by_name));
    if (q.to <= q.from)
        return err_set_field(WASL_EINVAL, "stats.invalid_period", "to", "the period ends before it starts");
    if (q.to - q.from > (int64_t)PERIOD_MAX_DAYS * 86400 * WTIME_SEC)
        return err_set_field(WASL_EINVAL, "stats.period_too_long", "to", "at most %d days at a time", PERIOD_MAX_DAYS);
    /* each queue's own threshold (data/tel/queues.json) unless one is asked */
    q.sl_threshold_s = threshold ? (int)threshold : 20;
    q.nthresholds = threshold ? 0 : api_stats_thresholds(th, QUEUES_MAX);
    q.thresholds = th;
    q.short_abandon_s = (int)short_s;

    const char *format = http_query(r, "format");
    if (format && strcmp(format, "json") && strcmp(format, "csv") && strcmp(format, "xlsx"))
        return err_set_field(WASL_EINVAL, "stats.invalid_format", "format", "format: json, csv or xlsx");
    struct stats_report *rep;
    if ((err = stats_report_from_store(APP(r)->db, &q, now, &rep)))
        return err;
    if (format && strcmp(format, "json")) {
        err = reply_file(r, rep, &q, by_name, format);
        stats_report_free(rep);
        return err;
    }
    const struct stats_row *rows;
    int n = stats_report_rows(rep, &rows);
    json_t *out = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(out, row_json(&rows[i], q.by));
    if ((q.by & STATS_BY(SD_AGENT)) && (err = name_agents(APP(r)->db, out))) {
        json_decref(out);
        stats_report_free(rep);
        return err;
    }
    const char(*reasons)[32];
    const int64_t *ms;
    int np = stats_report_pauses(rep, &reasons, &ms);
    json_t *pauses = json_array();
    for (int i = 0; i < np; i++)
        json_array_append_new(pauses, json_pack("{s:s, s:I}", "reason", reasons[i], "seconds", (json_int_t)(ms[i] / 1000)));
    stats_report_free(rep);
    return http_reply_json(r, 200,
                           json_pack("{s:o, s:o, s:s, s:s, s:i, s:i, s:o, s:o}", "from", api_time(q.from), "to", api_time(q.to),
                                     "by", by_name, "time_zone", q.tz, "threshold_s", q.sl_threshold_s, "short_abandon_s",
                                     q.short_abandon_s, "rows", out, "pauses", pauses));
}
