/*
 * The tally: segments and agents' intervals added into rows of figures,
 * one row per value of the slice (docs/metrics.md has every formula).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "core/core.h"

#define PAUSE_REASONS_MAX 32

struct stats_report {
    struct stats_query q;
    const struct tz *tz;
    struct stats_fold *fold;
    struct stats_row *rows;
    int nrows, cap, last; /* last: the row found last (time buckets come in order) */
    int *slots;           /* open addressing over rows by key: index + 1, 0 free */
    size_t nslots;        /* a power of two, at least twice cap */
    char reasons[PAUSE_REASONS_MAX][32];
    int64_t pause_ms[PAUSE_REASONS_MAX];
    int nreasons;
    int err;
};

const char *const stats_dim_names[SD_DIMS] = {"interval", "country", "language", "service", "queue", "agent", "consulate"};

int stats_dims_parse(const char *by, unsigned *dims)
{
    *dims = 0;
    if (!strcmp(by, "total"))
        return 0;
    for (const char *p = by;;) {
        size_t n = strcspn(p, ",");
        int d = 0;
        while (d < SD_DIMS && (strlen(stats_dim_names[d]) != n || strncmp(p, stats_dim_names[d], n)))
            d++;
        if (d == SD_DIMS)
            return err_set_field(WASL_EINVAL, "stats.invalid_slice", "by",
                                 "by: total, or one or more of interval, country, language, service, queue, agent, consulate "
                                 "separated by commas (unknown: '%.*s')",
                                 (int)(n > 32 ? 32 : n), p);
        if (*dims & STATS_BY(d))
            return err_set_field(WASL_EINVAL, "stats.invalid_slice", "by", "by: %s is given twice", stats_dim_names[d]);
        *dims |= STATS_BY(d);
        if (!p[n])
            return 0;
        p += n + 1;
    }
}

void stats_dims_format(unsigned dims, char *out, size_t n)
{
    size_t len = 0;
    out[0] = 0;
    for (int d = 0; d < SD_DIMS; d++)
        if (dims & STATS_BY(d))
            len +=
                (size_t)snprintf(out + (len < n ? len : n - 1), len < n ? n - len : 1, "%s%s", len ? "," : "", stats_dim_names[d]);
    if (!dims)
        snprintf(out, n, "total");
}

static uint64_t key_hash(const char *k)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *k; k++)
        h = (h ^ (unsigned char)*k) * 1099511628211ull;
    return h;
}

static int rehash(struct stats_report *r, size_t nslots)
{
    int *slots = calloc(nslots, sizeof(*slots));
    if (!slots)
        return WASL_ENOMEM;
    for (int i = 0; i < r->nrows; i++) {
        size_t j = key_hash(r->rows[i].key) & (nslots - 1);
        while (slots[j])
            j = (j + 1) & (nslots - 1);
        slots[j] = i + 1;
    }
    free(r->slots);
    r->slots = slots;
    r->nslots = nslots;
    return 0;
}

/* The row of key, made (with its dimensions' values) when it is new. */
static struct stats_row *row_for(struct stats_report *r, const char *key, const char (*values)[24])
{
    if (r->last < r->nrows && !strcmp(r->rows[r->last].key, key))
        return &r->rows[r->last];
    size_t j = r->nslots ? key_hash(key) & (r->nslots - 1) : 0;
    for (; r->nslots && r->slots[j]; j = (j + 1) & (r->nslots - 1))
        if (!strcmp(r->rows[r->slots[j] - 1].key, key))
            return &r->rows[r->last = r->slots[j] - 1];
    if (r->nrows == r->cap) {
        int cap = r->cap ? r->cap * 2 : 64;
        struct stats_row *rows = realloc(r->rows, (size_t)cap * sizeof(*rows));
        if (!rows) {
            r->err = WASL_ENOMEM;
            return NULL;
        }
        r->rows = rows;
        r->cap = cap;
    }
    if ((size_t)r->cap * 2 > r->nslots) {
        if (rehash(r, (size_t)r->cap * 4)) {
            r->err = WASL_ENOMEM;
            return NULL;
        }
        j = key_hash(key) & (r->nslots - 1);
        while (r->slots[j])
            j = (j + 1) & (r->nslots - 1);
    }
    struct stats_row *x = &r->rows[r->nrows];
    memset(x, 0, sizeof(*x));
    snprintf(x->key, sizeof(x->key), "%s", key);
    memcpy(x->value, values, sizeof(x->value));
    r->slots[j] = r->nrows + 1;
    return &r->rows[r->last = r->nrows++];
}

/* The key of a row: its dimensions' values joined by "|", "all" for none. */
static void key_of(unsigned by, const char (*values)[24], char *key, size_t n)
{
    /* once per call segment: plain copies, no formatting */
    size_t len = 0;
    bool first = true;
    if (!by) {
        snprintf(key, n, "all");
        return;
    }
    for (int d = 0; d < SD_DIMS; d++) {
        if (!(by & STATS_BY(d)))
            continue;
        size_t l = strnlen(values[d], sizeof(values[d]));
        if (len + l + 2 > n) /* cannot happen with the callers' sizes: cut, never overrun */
            break;
        if (!first)
            key[len++] = '|';
        memcpy(key + len, values[d], l);
        len += l;
        first = false;
    }
    key[len] = 0;
}

/* The time bucket holding instant t (µs): its label and its start and end. */
static void bucket(const struct stats_report *r, int64_t t, char *label, size_t n, int64_t *start, int64_t *end)
{
    struct tz_local l;
    int64_t s = t / WTIME_SEC;
    if (tz_to_local(r->tz, s, &l)) {
        l = (struct tz_local){0};
        l.year = 1970;
        l.month = l.day = 1;
    }
    int sod = (l.hour * 3600 + l.min * 60 + l.sec) / r->q.bucket_s * r->q.bucket_s;
    int64_t first = 0;
    tz_from_local(r->tz, l.year, l.month, l.day, sod / 3600, sod / 60 % 60, 0, &first);
    *start = first * WTIME_SEC;
    *end = *start + (int64_t)r->q.bucket_s * WTIME_SEC;
    if (r->q.bucket_s >= 86400)
        snprintf(label, n, "%04d-%02d-%02d", l.year, l.month, l.day);
    else
        snprintf(label, n, "%04d-%02d-%02dT%02d:%02d", l.year, l.month, l.day, sod / 3600, sod / 60 % 60);
}

static int threshold_of(const struct stats_report *r, const char *queue)
{
    for (int i = 0; i < r->q.nthresholds; i++)
        if (!strcmp(r->q.thresholds[i].queue, queue))
            return r->q.thresholds[i].seconds;
    return r->q.sl_threshold_s;
}

static void on_segment(const struct stats_segment *s, void *arg)
{
    struct stats_report *r = arg;
    if (s->joined < r->q.from || s->joined >= r->q.to)
        return;
    if (r->q.on_counted)
        r->q.on_counted(s, r->q.on_counted_arg);
    unsigned by = r->q.by;
    if ((by & STATS_BY(SD_AGENT)) && !s->agent) /* nobody answered: no agent to give it to */
        return;
    char v[SD_DIMS][24] = {{0}}, key[sizeof(((struct stats_row *)0)->key)];
    int64_t b0, b1;
    if (by & STATS_BY(SD_INTERVAL))
        bucket(r, s->joined, v[SD_INTERVAL], sizeof(v[0]), &b0, &b1);
    snprintf(v[SD_COUNTRY], sizeof(v[0]), "%s", s->country);
    snprintf(v[SD_LANGUAGE], sizeof(v[0]), "%s", s->language);
    const char *dot = strchr(s->queue, '.');
    snprintf(v[SD_SERVICE], sizeof(v[0]), "%s", dot ? dot + 1 : "general");
    snprintf(v[SD_QUEUE], sizeof(v[0]), "%s", s->queue);
    if (s->agent)
        snprintf(v[SD_AGENT], sizeof(v[0]), "%lld", (long long)s->agent);
    if (by & STATS_BY(SD_CONSULATE)) {
        const char *c = r->q.consulate_of ? r->q.consulate_of(s->call, r->q.consulate_arg) : NULL;
        snprintf(v[SD_CONSULATE], sizeof(v[0]), "%s", c ? c : "");
    }
    for (int d = 0; d < SD_DIMS; d++) /* the row keeps the values it is cut by */
        if (!(by & STATS_BY(d)))
            v[d][0] = 0;
    key_of(by, (const char(*)[24])v, key, sizeof(key));
    struct stats_row *x = row_for(r, key, (const char(*)[24])v);
    if (!x)
        return;
    int64_t within_ms = (int64_t)threshold_of(r, s->queue) * 1000;
    x->offered++;
    x->callbacks += s->callback;
    x->rings_unanswered += s->rings_unanswered;
    if (s->wait_ms > x->wait_max_ms) /* every caller's: answered, gone or still waiting */
        x->wait_max_ms = s->wait_ms;
    switch (s->fate) {
    case SF_WAITING:
        x->waiting++;
        break;
    case SF_ANSWERED:
        x->answered++;
        x->answered_within += s->wait_ms <= within_ms;
        x->wait_answered_ms += s->wait_ms;
        x->transfers += s->transferred;
        if (s->wrap_ms >= 0) {
            x->handled++;
            x->talk_ms += s->talk_ms;
            x->hold_ms += s->hold_ms;
            x->wrap_ms += s->wrap_ms;
        }
        break;
    case SF_ABANDONED:
        x->abandoned++;
        x->short_abandons += s->wait_ms < (int64_t)r->q.short_abandon_s * 1000;
        x->abandoned_within += s->wait_ms <= within_ms;
        break;
    default:
        x->sent_on++;
        break;
    }
}

static void add_state(struct stats_report *r, const char (*v)[24], const struct stats_interval *i, int64_t from, int64_t to)
{
    char key[sizeof(((struct stats_row *)0)->key)];
    key_of(r->q.by, v, key, sizeof(key));
    struct stats_row *x = row_for(r, key, v);
    if (x)
        x->state_ms[i->state] += (to - from) / 1000;
}

static void on_interval(const struct stats_interval *i, void *arg)
{
    struct stats_report *r = arg;
    int64_t from = i->from > r->q.from ? i->from : r->q.from, to = i->to < r->q.to ? i->to : r->q.to;
    if (to <= from)
        return;
    if (i->state == SA_PAUSED) {
        int k = 0;
        while (k < r->nreasons && strcmp(r->reasons[k], i->reason))
            k++;
        if (k == r->nreasons && k < PAUSE_REASONS_MAX)
            snprintf(r->reasons[r->nreasons++], sizeof(r->reasons[0]), "%s", i->reason);
        if (k < r->nreasons) /* past the cap, the pause still counts in the states */
            r->pause_ms[k] += (to - from) / 1000;
    }
    /* An agent serves several queues, languages, countries, consulates: their
     * time is not one's. It is counted in rows cut by agent and time only. */
    if (r->q.by & ~(STATS_BY(SD_AGENT) | STATS_BY(SD_INTERVAL)))
        return;
    char v[SD_DIMS][24] = {{0}};
    if (r->q.by & STATS_BY(SD_AGENT))
        snprintf(v[SD_AGENT], sizeof(v[0]), "%lld", (long long)i->agent);
    if (!(r->q.by & STATS_BY(SD_INTERVAL))) {
        add_state(r, (const char(*)[24])v, i, from, to);
        return;
    }
    for (int64_t t = from; t < to;) { /* split at the buckets' edges */
        int64_t b0, b1;
        bucket(r, t, v[SD_INTERVAL], sizeof(v[0]), &b0, &b1);
        int64_t end = b1 < to ? b1 : to;
        if (end <= t)
            end = to;
        add_state(r, (const char(*)[24])v, i, t, end);
        t = end;
    }
}

int stats_report_new(const struct stats_query *q, struct stats_report **out)
{
    if (q->to <= q->from)
        return err_set_field(WASL_EINVAL, "stats.invalid_period", "to", "the period ends before it starts");
    if (q->by >= STATS_BY(SD_DIMS))
        return err_set_field(WASL_EINVAL, "stats.invalid_slice", "by", "unknown slice");
    if ((q->by & STATS_BY(SD_INTERVAL)) && (q->bucket_s <= 0 || 86400 % q->bucket_s || q->bucket_s < 900))
        return err_set_field(WASL_EINVAL, "stats.invalid_bucket", "interval", "a bucket of 15 min, 30 min, 1 h ... up to a day");
    struct stats_report *r = calloc(1, sizeof(*r));
    if (!r)
        return WASL_ENOMEM;
    r->q = *q;
    int err = tz_get(q->tz && *q->tz ? q->tz : "Africa/Casablanca", &r->tz);
    if (!err)
        err = stats_fold_new(on_segment, on_interval, r, &r->fold);
    if (err) {
        free(r);
        return err;
    }
    *out = r;
    return 0;
}

int stats_report_event(struct stats_report *r, const struct ev *e)
{
    int err = stats_fold_event(r->fold, e);
    return err ? err : r->err;
}

int stats_report_finish(struct stats_report *r, int64_t at)
{
    stats_fold_end(r->fold, at);
    /* No call is attributed after the end: the caller may free what the
     * look-up read (stats_report_from_store's map of consulates). */
    r->q.consulate_of = NULL;
    r->q.consulate_arg = NULL;
    return r->err;
}

int stats_report_rows(const struct stats_report *r, const struct stats_row **rows)
{
    *rows = r->rows;
    return r->nrows;
}

unsigned stats_report_by(const struct stats_report *r)
{
    return r->q.by;
}

int stats_report_pauses(const struct stats_report *r, const char (**reasons)[32], const int64_t **ms)
{
    *reasons = r->reasons;
    *ms = r->pause_ms;
    return r->nreasons;
}

void stats_report_free(struct stats_report *r)
{
    if (!r)
        return;
    stats_fold_free(r->fold);
    free(r->rows);
    free(r->slots);
    free(r);
}

static double share(int64_t a, int64_t b)
{
    return b > 0 ? (double)a / (double)b : -1;
}

double stats_sl_answered(const struct stats_row *r)
{
    return share(r->answered_within, r->answered);
}

double stats_sl_offered(const struct stats_row *r)
{
    return share(r->answered_within, r->offered - r->short_abandons - r->waiting);
}

double stats_abandon_rate(const struct stats_row *r)
{
    return share(r->abandoned - r->short_abandons, r->offered - r->short_abandons - r->waiting);
}

double stats_asa_s(const struct stats_row *r)
{
    return r->answered ? (double)r->wait_answered_ms / 1000.0 / (double)r->answered : -1;
}

double stats_aht_s(const struct stats_row *r)
{
    return r->handled ? (double)(r->talk_ms + r->hold_ms + r->wrap_ms) / 1000.0 / (double)r->handled : -1;
}

double stats_occupancy(const struct stats_row *r)
{
    const int64_t *s = r->state_ms;
    return share(s[SA_BUSY] + s[SA_WRAP_UP], s[SA_BUSY] + s[SA_WRAP_UP] + s[SA_RINGING] + s[SA_AVAILABLE]);
}

double stats_utilisation(const struct stats_row *r)
{
    const int64_t *s = r->state_ms;
    return share(s[SA_BUSY] + s[SA_WRAP_UP], s[SA_AVAILABLE] + s[SA_RINGING] + s[SA_BUSY] + s[SA_WRAP_UP] + s[SA_PAUSED]);
}
