/*
 * The published figures (docs/published-figures.md): a whole month per
 * country and per consulate, small counts suppressed, for anybody without a
 * login: GET /api/v1/public/figures?month=YYYY-MM&format=json|csv. Limited
 * per address like the portal's other public routes, cached here for
 * publish.cache_seconds, and cacheable by clients (ETag, Cache-Control).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "api.h"
#include "cases/cases.h"
#include "stats/stats.h"

#define TZ_CENTER "Africa/Casablanca"
#define QUEUES_MAX 64
#define CACHE_MAX 32 /* a couple of years of months, in two formats */
#define BODY_MAX (4u << 20)

/* clang-format off */
const struct conf_def api_figures_conf[] = {
    {"publish.min_count", CONF_INT, "10", 3, 1000, "published figures: a count under this is withheld, with the shares and medians computed from fewer people (ONS, UK LLC: 10)"},
    {"publish.per_hour", CONF_INT, "120", 1, 100000, "published figures: requests per source address per hour (then 429 for 15 minutes)"},
    {"publish.cache_seconds", CONF_INT, "600", 0, 86400, "published figures: a month is computed again after this long (and clients may keep it as long); 0: every time"},
};
/* clang-format on */
const size_t api_figures_conf_count = sizeof(api_figures_conf) / sizeof(api_figures_conf[0]);

struct cached {
    char month[8], format[8], etag[40];
    char *body;
    size_t len;
    int64_t at; /* µs, monotonic */
};
static struct cached cache[CACHE_MAX];
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER, compute_lock = PTHREAD_MUTEX_INITIALIZER;

/* A copy of the cached body of (month, format) if it is fresh. */
static bool cache_get(const char *month, const char *format, int64_t ttl, char **body, size_t *len, char *etag)
{
    bool hit = false;
    pthread_mutex_lock(&cache_lock);
    for (int i = 0; i < CACHE_MAX && !hit; i++) {
        struct cached *c = &cache[i];
        if (!c->body || strcmp(c->month, month) || strcmp(c->format, format) || clock_mono_us() - c->at >= ttl)
            continue;
        if ((*body = malloc(c->len + 1))) {
            memcpy(*body, c->body, c->len + 1);
            *len = c->len;
            snprintf(etag, 40, "%s", c->etag);
            hit = true;
        }
    }
    pthread_mutex_unlock(&cache_lock);
    return hit;
}

/* Keeps a copy in the slot of (month, format), else the oldest one. */
static void cache_put(const char *month, const char *format, const char *body, size_t len, const char *etag)
{
    char *copy = malloc(len + 1);
    if (!copy)
        return;
    memcpy(copy, body, len + 1);
    pthread_mutex_lock(&cache_lock);
    int slot = -1, oldest = 0;
    for (int i = 0; i < CACHE_MAX && slot < 0; i++) {
        if (!cache[i].body || (!strcmp(cache[i].month, month) && !strcmp(cache[i].format, format)))
            slot = i;
        else if (cache[i].at < cache[oldest].at)
            oldest = i;
    }
    if (slot < 0)
        slot = oldest;
    struct cached *c = &cache[slot];
    free(c->body);
    snprintf(c->month, sizeof(c->month), "%s", month);
    snprintf(c->format, sizeof(c->format), "%s", format);
    snprintf(c->etag, sizeof(c->etag), "%s", etag);
    c->body = copy;
    c->len = len;
    c->at = clock_mono_us();
    pthread_mutex_unlock(&cache_lock);
}

static json_t *row_json(const struct stats_pub_row *x)
{
    json_t *o = json_object(), *hidden = json_array();
    if (x->level != SPL_TOTAL)
        json_object_set_new(o, "code", x->key[0] ? json_string(x->key) : json_null());
    for (int k = 0; k < SP_FIGURES; k++) {
        bool share = k == SP_SERVICE_LEVEL || k == SP_RESOLVED_IN_TIME || k == SP_SATISFACTION;
        json_t *v = json_null();
        if (x->cell[k] == SPC_SHOWN)
            v = share ? json_real((double)(int64_t)(x->value[k] * 10000 + 0.5) / 10000) : json_integer((json_int_t)x->value[k]);
        else if (x->cell[k] == SPC_SUPPRESSED)
            json_array_append_new(hidden, json_string(stats_pub_names[k]));
        json_object_set_new(o, stats_pub_names[k], v);
    }
    json_object_set_new(o, "suppressed", hidden);
    return o;
}

static char *month_json(const struct stats_pub *p, const char *month, int64_t from, int64_t to, int min_count)
{
    const struct stats_pub_row *rows;
    int n = stats_pub_rows(p, &rows);
    json_t *countries = json_array(), *consulates = json_array(), *total = NULL, *names = json_array();
    for (int i = 0; i < n; i++) {
        if (rows[i].level == SPL_TOTAL)
            total = row_json(&rows[i]);
        else
            json_array_append_new(rows[i].level == SPL_COUNTRY ? countries : consulates, row_json(&rows[i]));
    }
    for (int k = 0; k < SP_FIGURES; k++)
        json_array_append_new(names, json_string(stats_pub_names[k]));
    json_t *j =
        json_pack("{s:s, s:o, s:o, s:s, s:i, s:o, s:o, s:o, s:o, s:s}", "month", month, "from", api_time(from), "to", api_time(to),
                  "time_zone", TZ_CENTER, "min_count", min_count, "figures", names, "total", total ? total : json_object(),
                  "countries", countries, "consulates", consulates, "definitions", "docs/published-figures.md");
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
    json_decref(j);
    return s;
}

/* The month asked (YYYY-MM), or the last complete one; a month that is not
 * over (or not begun) is refused. */
static int month_of(struct http_req *r, int64_t now, int *year, int *month)
{
    const struct tz *z;
    struct tz_local l;
    int err;
    if ((err = tz_get(TZ_CENTER, &z)) || (err = tz_to_local(z, now / WTIME_SEC, &l)))
        return err;
    int current = l.year * 12 + (l.month - 1), asked = current - 1;
    const char *m = http_query(r, "month");
    if (m) {
        int y, mo, used = 0;
        if (strlen(m) != 7 || sscanf(m, "%4d-%2d%n", &y, &mo, &used) != 2 || used != 7 || m[4] != '-' || mo < 1 || mo > 12 ||
            y < 2000)
            return err_set_field(WASL_EINVAL, "stats.invalid_month", "month", "a month as YYYY-MM");
        asked = y * 12 + (mo - 1);
    }
    if (asked >= current)
        return err_set_field(WASL_EINVAL, "stats.month_not_over", "month",
                             "only whole months are published: %04d-%02d at the latest", (current - 1) / 12,
                             (current - 1) % 12 + 1);
    *year = asked / 12;
    *month = asked % 12 + 1;
    return 0;
}

static int compute(struct http_req *r, int year, int month, const char *name, const char *format, int64_t now, char **body,
                   size_t *len)
{
    struct stats_threshold th[QUEUES_MAX];
    struct stats_query q = {.sl_threshold_s = 20, .short_abandon_s = 5, .tz = TZ_CENTER, .thresholds = th};
    int64_t from, to;
    int min_count = (int)conf_int("publish.min_count");
    struct stats_pub *p;
    int err = stats_pub_period(TZ_CENTER, year, month, &from, &to);
    if (err)
        return err;
    q.nthresholds = api_stats_thresholds(th, QUEUES_MAX);
    if ((err = stats_pub_month(APP(r)->db, &q, from, to, min_count, now, &p)))
        return err;
    if (!strcmp(format, "csv")) {
        struct sbuf b;
        sbuf_init(&b, BODY_MAX);
        if (!(err = stats_pub_csv(p, name, &b))) {
            *len = b.len;
            *body = sbuf_take(&b);
        }
        sbuf_release(&b);
    } else if ((*body = month_json(p, name, from, to, min_count))) {
        *len = strlen(*body);
    } else {
        err = WASL_ENOMEM;
    }
    stats_pub_free(p);
    return err;
}

int api_public_figures(struct http_req *r)
{
    const char *format = http_query(r, "format");
    int64_t now = clock_now(), ttl = conf_int("publish.cache_seconds") * WTIME_SEC;
    int year = 0, month = 0, err;
    char name[8], etag[40], disposition[96], cc[48];
    char *body = NULL;
    size_t len = 0;

    if ((err = portal_limit(APP(r)->db, "figures", r->ip, (int)conf_int("publish.per_hour"), 900)))
        return err;
    if (!format)
        format = "json";
    if (strcmp(format, "json") && strcmp(format, "csv"))
        return err_set_field(WASL_EINVAL, "stats.invalid_format", "format", "format: json or csv");
    if ((err = month_of(r, now, &year, &month)))
        return err;
    snprintf(name, sizeof(name), "%04d-%02d", year, month);
    /* One month computed at a time: a burst from many addresses on a cold
     * cache waits for the first computation instead of repeating it, and a
     * cached month is answered without waiting. */
    bool cached = ttl && cache_get(name, format, ttl, &body, &len, etag);
    if (!cached) {
        pthread_mutex_lock(&compute_lock);
        cached = ttl && cache_get(name, format, ttl, &body, &len, etag);
        if (!cached && !(err = compute(r, year, month, name, format, now, &body, &len))) {
            unsigned char h[16];
            crypto_generichash(h, sizeof(h), (const unsigned char *)body, len, NULL, 0);
            etag[0] = '"';
            sodium_bin2hex(etag + 1, 33, h, sizeof(h));
            snprintf(etag + 33, 7, "\"");
            if (ttl)
                cache_put(name, format, body, len, etag);
        }
        pthread_mutex_unlock(&compute_lock);
        if (err)
            return err;
    }
    http_add_header(r, "ETag", etag);
    snprintf(cc, sizeof(cc), ttl ? "public, max-age=%lld" : "no-cache", (long long)(ttl / WTIME_SEC));
    http_add_header(r, "Cache-Control", cc);
    /* open data: any site may read it (no cookie is ever sent or used) */
    http_add_header(r, "Access-Control-Allow-Origin", "*");
    const char *inm = http_header(r, "If-None-Match");
    if (inm && (strstr(inm, etag) || !strcmp(inm, "*"))) {
        free(body);
        return http_reply_text(r, 304, NULL, NULL, 0);
    }
    if (!strcmp(format, "csv")) {
        snprintf(disposition, sizeof(disposition), "attachment; filename=\"wasl-published-%s.csv\"", name);
        http_add_header(r, "Content-Disposition", disposition);
        return http_reply_text(r, 200, "text/csv; charset=utf-8", body, len);
    }
    return http_reply_text(r, 200, "application/json; charset=utf-8", body, len);
}
