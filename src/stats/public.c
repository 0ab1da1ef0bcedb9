/*
 * The published figures (issue 13, "published figures"): one month per
 * country and per consulate, for the public page and the open-data export,
 * with small counts suppressed. Calls come from the report over the event
 * log (report.c, source.c); complaints and ratings from the cases table,
 * read here column by column so that no personal data is ever loaded.
 * docs/published-figures.md says what each figure is and why the rule.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats_int.h"
#include "core/core.h"
#include "store/store.h"

#define ROWS_MAX 512 /* countries and consulates together: a few dozen in practice */

const char *const stats_pub_names[SP_FIGURES] = {
    "calls_answered",           "service_level", "median_wait_s", "complaints_received", "complaints_resolved",
    "resolved_within_deadline", "ratings",       "satisfaction",
};

struct stats_pub {
    struct stats_pub_row *rows;
    int nrows;
    int err;
    struct stats_consulates consulates; /* of the month's calls (read_calls) */
};

/* The row of (level, key), added (every cell empty) when new. */
static struct stats_pub_row *row_of(struct stats_pub *p, enum stats_pub_level level, const char *key)
{
    for (int i = 0; i < p->nrows; i++)
        if (p->rows[i].level == level && !strcmp(p->rows[i].key, key))
            return &p->rows[i];
    if (p->nrows == ROWS_MAX) {
        p->err = err_set(WASL_ETOOBIG, "stats.too_many_rows", "more than %d countries and consulates in a month", ROWS_MAX);
        return NULL;
    }
    struct stats_pub_row *x = &p->rows[p->nrows];
    memset(x, 0, sizeof(*x));
    x->level = level;
    snprintf(x->key, sizeof(x->key), "%s", key);
    for (int k = 0; k < SP_FIGURES; k++)
        x->cell[k] = SPC_EMPTY;
    x->cell[SP_CALLS_ANSWERED] = SPC_SHOWN;
    if (!(x->waits = calloc(STATS_PUB_WAIT_MAX, sizeof(*x->waits)))) {
        p->err = WASL_ENOMEM;
        return NULL;
    }
    x->cell[SP_COMPLAINTS_RECEIVED] = x->cell[SP_COMPLAINTS_RESOLVED] = x->cell[SP_RATINGS] = SPC_SHOWN;
    p->nrows++;
    return x;
}

static void count_wait(struct stats_pub_row *x, int64_t wait_ms)
{
    int64_t s = wait_ms < 0 ? 0 : wait_ms / 1000;
    x->waits[s < STATS_PUB_WAIT_MAX ? s : STATS_PUB_WAIT_MAX - 1]++;
}

/* Each answered segment of the month: its wait, in its country, its
 * consulate (that of the case recorded with the call) and in all. */
static void on_counted(const struct stats_segment *s, void *arg)
{
    struct stats_pub *p = arg;
    if (s->fate != SF_ANSWERED)
        return;
    struct stats_pub_row *rows[3] = {row_of(p, SPL_TOTAL, "all"), row_of(p, SPL_COUNTRY, s->country),
                                     row_of(p, SPL_CONSULATE, stats_consulate_of(s->call, &p->consulates))};
    for (int i = 0; i < 3 && rows[i]; i++)
        count_wait(rows[i], s->wait_ms);
}

/* The lower median: the smallest whole second that half the answered
 * calls (rounded up) did not wait beyond. */
static double median_of(const uint32_t *waits, int64_t n)
{
    int64_t seen = 0, half = (n + 1) / 2;
    for (int s = 0; s < STATS_PUB_WAIT_MAX; s++)
        if ((seen += waits[s]) >= half)
            return s;
    return STATS_PUB_WAIT_MAX - 1;
}

static void add_calls(struct stats_pub_row *x, const struct stats_row *r)
{
    x->value[SP_CALLS_ANSWERED] += (double)r->answered;
    x->sl_within += r->answered_within;
    x->sl_base += r->offered - r->short_abandons - r->waiting; /* stats_sl_offered's denominator */
}

static int read_calls(struct db *db, const struct stats_query *calls_q, int64_t from, int64_t to, int64_t now, struct stats_pub *p)
{
    struct stats_query q = *calls_q;
    q.from = from;
    q.to = to;
    q.by = STATS_BY(SD_COUNTRY) | STATS_BY(SD_CONSULATE);
    q.on_counted = on_counted;
    q.on_counted_arg = p;
    q.consulate_of = stats_consulate_of;
    q.consulate_arg = &p->consulates;
    struct stats_report *rep;
    int err = stats_consulates_load(db, from, to, &p->consulates);
    if (!err)
        err = stats_report_from_store(db, &q, now, &rep);
    if (err)
        return err;
    const struct stats_row *rows;
    int n = stats_report_rows(rep, &rows);
    for (int i = 0; i < n; i++) {
        struct stats_pub_row *x[3] = {row_of(p, SPL_TOTAL, "all"), row_of(p, SPL_COUNTRY, rows[i].value[SD_COUNTRY]),
                                      row_of(p, SPL_CONSULATE, rows[i].value[SD_CONSULATE])};
        if (!x[0] || !x[1] || !x[2])
            break;
        for (int k = 0; k < 3; k++)
            add_calls(x[k], &rows[i]);
    }
    stats_report_free(rep);
    return p->err;
}

/* One case's part in a row: a complaint received or resolved in the month,
 * a rating given in it. */
static void add_case(struct stats_pub_row *x, bool received, bool resolved, bool in_time, int rating)
{
    x->value[SP_COMPLAINTS_RECEIVED] += received;
    x->value[SP_COMPLAINTS_RESOLVED] += resolved;
    x->in_time += resolved && in_time;
    x->value[SP_RATINGS] += rating > 0;
    x->satisfied += rating >= 4;
}

/* Complaints and ratings. Only these columns are read: no name, number,
 * address, text or comment, sealed or not, comes into this file. */
struct case_read {
    struct stats_pub *p;
    int64_t from, to;
};

static int case_row(struct db_stmt *s, void *arg)
{
    const struct case_read *cr = arg;
    const char *type = db_text(s, 0), *status = db_text(s, 1), *country = db_text(s, 2), *consulate = db_text(s, 3);
    int64_t created = db_int(s, 4), resolved_at = db_int(s, 5), due = db_int(s, 6), rated_at = db_int(s, 8);
    int rating = db_is_null(s, 7) ? 0 : (int)db_int(s, 7);
    bool complaint = type && !strcmp(type, "complaint") && status && strcmp(status, "merged");
    bool received = complaint && created >= cr->from && created < cr->to;
    bool resolved = complaint && resolved_at >= cr->from && resolved_at < cr->to;
    bool in_time = !due || resolved_at <= due; /* a complaint without a deadline cannot be late */
    if (rating < 1 || rating > 5 || rated_at < cr->from || rated_at >= cr->to)
        rating = 0;
    struct stats_pub_row *rows[3] = {row_of(cr->p, SPL_TOTAL, "all"), row_of(cr->p, SPL_COUNTRY, country ? country : ""),
                                     row_of(cr->p, SPL_CONSULATE, consulate ? consulate : "")};
    for (int i = 0; i < 3 && rows[i]; i++)
        add_case(rows[i], received, resolved, in_time, rating);
    return cr->p->err;
}

static int read_cases(struct db *db, int64_t from, int64_t to, struct stats_pub *p)
{
    struct case_read cr = {p, from, to};
    int err =
        db_each(db,
                "SELECT type, status, country, consulate, created_at, resolved_at, resolution_due, rating, rated_at FROM cases "
                "WHERE (type = 'complaint' AND status <> 'merged' AND ((created_at >= ? AND created_at < ?) "
                "OR (resolved_at >= ? AND resolved_at < ?))) OR (rating IS NOT NULL AND rated_at >= ? AND rated_at < ?)",
                DBP(DB_I(from), DB_I(to), DB_I(from), DB_I(to), DB_I(from), DB_I(to)), case_row, &cr);
    return err ? err : p->err;
}

/* A count is small when it is 1 .. min_count - 1: zero tells nothing of
 * anybody. */
static bool small(double v, int min_count)
{
    return v > 0 && v < min_count;
}

/* Secondary suppression of one count column in one table (the total and
 * the rows of a level): while exactly one row is withheld, or the withheld
 * rows add up to less than min_count (the total minus the others would
 * tell them), the smallest shown non-zero row is withheld too; with none
 * left, the total is. */
static void protect_column(struct stats_pub_row *rows, int n, int total, enum stats_pub_level level, int k, int min_count)
{
    if (total < 0 || rows[total].cell[k] != SPC_SHOWN)
        return;
    for (;;) {
        int hidden = 0, smallest = -1;
        double sum = 0;
        for (int i = 0; i < n; i++) {
            if (rows[i].level != level || rows[i].cell[k] == SPC_EMPTY)
                continue;
            if (rows[i].cell[k] == SPC_SUPPRESSED) {
                hidden++;
                sum += rows[i].value[k];
            } else if (rows[i].value[k] > 0 && (smallest < 0 || rows[i].value[k] < rows[smallest].value[k])) {
                smallest = i;
            }
        }
        if (!hidden || (hidden > 1 && sum >= min_count))
            return;
        if (smallest < 0) {
            rows[total].cell[k] = SPC_SUPPRESSED;
            return;
        }
        rows[smallest].cell[k] = SPC_SUPPRESSED;
    }
}

/* A share or median: withheld when the count it is read from is withheld
 * or its own base is under min_count; empty without a base. */
static void derive(struct stats_pub_row *x, enum stats_pub_figure k, enum stats_pub_figure from, int64_t base, double value,
                   int min_count)
{
    if (x->cell[from] == SPC_EMPTY || base <= 0) {
        x->cell[k] = SPC_EMPTY;
        return;
    }
    x->value[k] = value;
    x->cell[k] = x->cell[from] == SPC_SUPPRESSED || base < min_count ? SPC_SUPPRESSED : SPC_SHOWN;
}

static double share(int64_t a, int64_t b)
{
    return b > 0 ? (double)a / (double)b : 0;
}

void stats_pub_suppress(struct stats_pub_row *rows, int n, int min_count)
{
    static const enum stats_pub_figure counts[] = {SP_CALLS_ANSWERED, SP_COMPLAINTS_RECEIVED, SP_COMPLAINTS_RESOLVED, SP_RATINGS};
    int total = -1;
    for (int i = 0; i < n; i++) {
        if (rows[i].level == SPL_TOTAL)
            total = i;
        for (size_t j = 0; j < sizeof(counts) / sizeof(counts[0]); j++)
            if (rows[i].cell[counts[j]] == SPC_SHOWN && small(rows[i].value[counts[j]], min_count))
                rows[i].cell[counts[j]] = SPC_SUPPRESSED;
    }
    for (size_t j = 0; j < sizeof(counts) / sizeof(counts[0]); j++) {
        protect_column(rows, n, total, SPL_COUNTRY, counts[j], min_count);
        protect_column(rows, n, total, SPL_CONSULATE, counts[j], min_count);
    }
    for (int i = 0; i < n; i++) {
        struct stats_pub_row *x = &rows[i];
        int64_t answered = (int64_t)x->value[SP_CALLS_ANSWERED];
        derive(x, SP_SERVICE_LEVEL, SP_CALLS_ANSWERED, x->sl_base, share(x->sl_within, x->sl_base), min_count);
        derive(x, SP_MEDIAN_WAIT, SP_CALLS_ANSWERED, answered, x->waits ? median_of(x->waits, answered) : 0, min_count);
        derive(x, SP_RESOLVED_IN_TIME, SP_COMPLAINTS_RESOLVED, (int64_t)x->value[SP_COMPLAINTS_RESOLVED],
               share(x->in_time, (int64_t)x->value[SP_COMPLAINTS_RESOLVED]), min_count);
        derive(x, SP_SATISFACTION, SP_RATINGS, (int64_t)x->value[SP_RATINGS], share(x->satisfied, (int64_t)x->value[SP_RATINGS]),
               min_count);
    }
}

static int row_order(const void *a, const void *b)
{
    const struct stats_pub_row *x = a, *y = b;
    if (x->level != y->level)
        return (int)x->level - (int)y->level;
    if (!x->key[0] || !y->key[0]) /* "not stated" last */
        return !x->key[0] - !y->key[0];
    return strcmp(x->key, y->key);
}

int stats_pub_month(struct db *db, const struct stats_query *calls_q, int64_t from, int64_t to, int min_count, int64_t now,
                    struct stats_pub **out)
{
    if (to <= from)
        return err_set_field(WASL_EINVAL, "stats.invalid_period", "month", "the period ends before it starts");
    struct stats_pub *p = calloc(1, sizeof(*p));
    if (!p || !(p->rows = calloc(ROWS_MAX, sizeof(*p->rows)))) {
        free(p);
        return WASL_ENOMEM;
    }
    row_of(p, SPL_TOTAL, "all");
    int err = p->err;
    if (!err)
        err = read_calls(db, calls_q, from, to, now, p);
    if (!err)
        err = read_cases(db, from, to, p);
    if (err) {
        stats_pub_free(p);
        return err;
    }
    qsort(p->rows, (size_t)p->nrows, sizeof(*p->rows), row_order);
    stats_pub_suppress(p->rows, p->nrows, min_count);
    *out = p;
    return 0;
}

int stats_pub_rows(const struct stats_pub *p, const struct stats_pub_row **rows)
{
    *rows = p->rows;
    return p->nrows;
}

void stats_pub_free(struct stats_pub *p)
{
    if (!p)
        return;
    for (int i = 0; p->rows && i < p->nrows; i++)
        free(p->rows[i].waits);
    free(p->rows);
    free(p->consulates.v);
    free(p);
}

int stats_pub_csv(const struct stats_pub *p, const char *month, struct sbuf *out)
{
    static const char *const levels[] = {"total", "country", "consulate"};
    sbuf_adds(out, "month,level,code");
    for (int k = 0; k < SP_FIGURES; k++)
        sbuf_addf(out, ",%s", stats_pub_names[k]);
    sbuf_adds(out, "\r\n");
    for (int i = 0; i < p->nrows; i++) {
        const struct stats_pub_row *x = &p->rows[i];
        /* codes are ISO letters and consulate codes: nothing to quote */
        sbuf_addf(out, "%s,%s,%s", month, levels[x->level], x->key);
        for (int k = 0; k < SP_FIGURES; k++) {
            sbuf_adds(out, ",");
            if (x->cell[k] == SPC_SUPPRESSED)
                sbuf_adds(out, "c");
            else if (x->cell[k] == SPC_SHOWN && (k == SP_SERVICE_LEVEL || k == SP_RESOLVED_IN_TIME || k == SP_SATISFACTION))
                sbuf_addf(out, "%.4f", x->value[k]);
            else if (x->cell[k] == SPC_SHOWN)
                sbuf_addf(out, "%.0f", x->value[k]);
        }
        sbuf_adds(out, "\r\n");
    }
    return out->oom ? err_set(WASL_ETOOBIG, "stats.too_big", "the figures do not fit the export's cap") : 0;
}

int stats_pub_period(const char *tz, int year, int month, int64_t *from, int64_t *to)
{
    const struct tz *z;
    int64_t a, b;
    if (year < 2000 || year > 9998 || month < 1 || month > 12)
        return err_set_field(WASL_EINVAL, "stats.invalid_month", "month", "a month as YYYY-MM");
    int err = tz_get(tz, &z);
    if (!err)
        err = tz_from_local(z, year, month, 1, 0, 0, 0, &a);
    if (!err)
        err = tz_from_local(z, month == 12 ? year + 1 : year, month == 12 ? 1 : month + 1, 1, 0, 0, 0, &b);
    if (err)
        return err;
    *from = a * WTIME_SEC;
    *to = b * WTIME_SEC;
    return 0;
}
