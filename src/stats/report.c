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
    char reasons[PAUSE_REASONS_MAX][32];
    int64_t pause_ms[PAUSE_REASONS_MAX];
    int nreasons;
    int err;
};

static struct stats_row *row_for(struct stats_report *r, const char *key)
{
    if (r->last < r->nrows && !strcmp(r->rows[r->last].key, key))
        return &r->rows[r->last];
    for (int i = 0; i < r->nrows; i++)
        if (!strcmp(r->rows[i].key, key))
            return &r->rows[r->last = i];
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
    struct stats_row *x = &r->rows[r->nrows];
    memset(x, 0, sizeof(*x));
    snprintf(x->key, sizeof(x->key), "%s", key);
    return &r->rows[r->last = r->nrows++];
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
    char key[32], *k = key;
    int64_t b0, b1;
    switch (r->q.slice) {
    case SS_TOTAL:
        k = "all";
        break;
    case SS_QUEUE:
        snprintf(key, sizeof(key), "%s", s->queue);
        break;
    case SS_LANGUAGE:
        snprintf(key, sizeof(key), "%s", s->language);
        break;
    case SS_COUNTRY:
        snprintf(key, sizeof(key), "%s", s->country);
        break;
    case SS_AGENT:
        if (!s->agent) /* nobody answered: no agent to give it to */
            return;
        snprintf(key, sizeof(key), "%lld", (long long)s->agent);
        break;
    default:
        bucket(r, s->joined, key, sizeof(key), &b0, &b1);
        break;
    }
    struct stats_row *x = row_for(r, k);
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

static void add_state(struct stats_report *r, const char *key, const struct stats_interval *i, int64_t from, int64_t to)
{
    struct stats_row *x = row_for(r, key);
    if (x)
        x->state_ms[i->state] += (to - from) / 1000;
}

static void on_interval(const struct stats_interval *i, void *arg)
{
    struct stats_report *r = arg;
    int64_t from = i->from > r->q.from ? i->from : r->q.from, to = i->to < r->q.to ? i->to : r->q.to;
    if (to <= from)
        return;
    char key[32];
    if (i->state == SA_PAUSED) {
        int k = 0;
        while (k < r->nreasons && strcmp(r->reasons[k], i->reason))
            k++;
        if (k == r->nreasons && k < PAUSE_REASONS_MAX)
            snprintf(r->reasons[r->nreasons++], sizeof(r->reasons[0]), "%s", i->reason);
        if (k < r->nreasons) /* past the cap, the pause still counts in the states */
            r->pause_ms[k] += (to - from) / 1000;
    }
    switch (r->q.slice) {
    case SS_TOTAL:
        add_state(r, "all", i, from, to);
        break;
    case SS_AGENT:
        snprintf(key, sizeof(key), "%lld", (long long)i->agent);
        add_state(r, key, i, from, to);
        break;
    case SS_INTERVAL:
        for (int64_t t = from; t < to;) { /* split at the buckets' edges */
            int64_t b0, b1;
            bucket(r, t, key, sizeof(key), &b0, &b1);
            int64_t end = b1 < to ? b1 : to;
            if (end <= t)
                end = to;
            add_state(r, key, i, t, end);
            t = end;
        }
        break;
    default: /* an agent serves several queues, languages, countries: their time is not one's */
        break;
    }
}

int stats_report_new(const struct stats_query *q, struct stats_report **out)
{
    if (q->to <= q->from)
        return err_set_field(WASL_EINVAL, "stats.invalid_period", "to", "the period ends before it starts");
    if (q->slice < 0 || q->slice >= SS_SLICES)
        return err_set_field(WASL_EINVAL, "stats.invalid_slice", "by", "unknown slice");
    if (q->slice == SS_INTERVAL && (q->bucket_s <= 0 || 86400 % q->bucket_s || q->bucket_s < 900))
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
    return r->err;
}

int stats_report_rows(const struct stats_report *r, const struct stats_row **rows)
{
    *rows = r->rows;
    return r->nrows;
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
