/*
 * The cases' figures (docs/metrics.md, "Cases"): volume, backlog, time to
 * first answer and to resolution, deadline breaches, complaints and
 * suggestions, ratings, by category, type, consulate, procedure (the guide
 * articles linked to a case) or day. Read from the cases table and the
 * status changes of its history (case_events); never a sealed column.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "stats_int.h"
#include "core/core.h"
#include "store/store.h"

#define CASES_MAX 2000000 /* a period's cases held in memory at once: ~200 bytes each */
#define DAYS_MAX 400
#define LINKS_MAX 10 /* articles per case (cases.c: case_articles_check) */

const char *const stats_case_slices[SCS_SLICES] = {"total", "category", "type", "consulate", "procedure", "day"};

struct move {
    int64_t at;
    bool done; /* the case left the backlog (resolved, closed, merged); false: reopened */
    char to[20];
};

struct kase {
    int64_t id, created, first_at, breached, rating, rated_at;
    char type[16], category[48], consulate[16], status[20];
    char links[LINKS_MAX][64];
    int nlinks;
    struct move *moves;
    int nmoves, cap;
};

struct load {
    struct kase *k;
    int n, cap;
    int err;
};

static bool running(const char *status)
{
    return !strcmp(status, "new") || !strcmp(status, "open") || !strcmp(status, "waiting_citizen") ||
           !strcmp(status, "waiting_consulate");
}

int stats_grow(void *array, int *cap, int n, size_t size, int max)
{
    if (n < *cap)
        return 0;
    if (*cap >= max)
        return err_set(WASL_ELIMIT, "stats.too_many_rows", "more than %d rows in one question: ask a shorter period", max);
    int cap2 = *cap ? *cap * 2 : 64;
    void *old, *p;
    memcpy(&old, array, sizeof(old)); /* array is a T **: its value read as bytes */
    if (!(p = realloc(old, (size_t)cap2 * size)))
        return WASL_ENOMEM;
    memcpy(array, &p, sizeof(p));
    *cap = cap2;
    return 0;
}

int stats_links(const char *json, char (*out)[64], int max)
{
    json_t *a = json_loads(json ? json : "[]", 0, NULL), *v;
    size_t i;
    int n = 0;
    json_array_foreach(a, i, v)
    {
        const char *slug = json_string_value(json_object_get(v, "slug"));
        if (!slug || n == max)
            continue;
        bool seen = false; /* one article in two languages is one procedure */
        for (int j = 0; j < n; j++)
            seen |= !strcmp(out[j], slug);
        if (!seen)
            snprintf(out[n++], 64, "%s", slug);
    }
    json_decref(a);
    return n;
}

static int case_row(struct db_stmt *s, void *arg)
{
    struct load *l = arg;
    int err = stats_grow(&l->k, &l->cap, l->n, sizeof(*l->k), CASES_MAX);
    if (err)
        return err;
    struct kase *k = &l->k[l->n++];
    memset(k, 0, sizeof(*k));
    k->id = db_int(s, 0);
    snprintf(k->type, sizeof(k->type), "%s", db_text(s, 1));
    snprintf(k->category, sizeof(k->category), "%s", db_text(s, 2));
    snprintf(k->consulate, sizeof(k->consulate), "%s", db_is_null(s, 3) ? "" : db_text(s, 3));
    k->nlinks = stats_links(db_text(s, 4), k->links, LINKS_MAX);
    snprintf(k->status, sizeof(k->status), "%s", db_text(s, 5));
    k->created = db_int(s, 6);
    k->first_at = db_int(s, 7);
    k->breached = db_int(s, 8);
    k->rating = db_is_null(s, 9) ? 0 : db_int(s, 9);
    k->rated_at = db_int(s, 10);
    /* a case done with no status change in its history (made so before the
     * history said it): its move is the last date the table holds */
    if (!running(k->status)) {
        int64_t at = db_int(s, 11) ? db_int(s, 11) : db_int(s, 12) ? db_int(s, 12) : db_int(s, 13);
        k->moves = calloc(1, sizeof(*k->moves));
        if (!k->moves)
            return WASL_ENOMEM;
        k->moves[0] = (struct move){.at = at, .done = true};
        snprintf(k->moves[0].to, sizeof(k->moves[0].to), "%s", k->status);
        k->nmoves = -1; /* a guess, replaced by the history when it has one */
        k->cap = 1;
    }
    return 0;
}

static struct kase *find(struct load *l, int64_t id)
{
    int lo = 0, hi = l->n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (l->k[mid].id == id)
            return &l->k[mid];
        if (l->k[mid].id < id)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return NULL;
}

/* A status change of the history: "changed" with {"status":[from,to]}, or
 * "merged" (the duplicate became merged). */
static int move_row(struct db_stmt *s, void *arg)
{
    struct load *l = arg;
    struct kase *k = find(l, db_int(s, 0));
    if (!k)
        return 0;
    char to[20] = "";
    if (!strcmp(db_text(s, 2), "merged")) {
        snprintf(to, sizeof(to), "merged");
    } else {
        json_t *d = json_loads(db_text(s, 3), 0, NULL);
        const char *t = json_string_value(json_array_get(json_object_get(d, "status"), 1));
        if (t)
            snprintf(to, sizeof(to), "%s", t);
        json_decref(d);
        if (!t)
            return 0;
    }
    if (k->nmoves < 0) /* the history replaces the guess */
        k->nmoves = 0;
    int err = stats_grow(&k->moves, &k->cap, k->nmoves, sizeof(*k->moves), 1 << 20);
    if (err)
        return err;
    struct move *m = &k->moves[k->nmoves++];
    m->at = db_int(s, 1);
    snprintf(m->to, sizeof(m->to), "%s", to);
    m->done = !running(to);
    return 0;
}

/* Whether the case was in the backlog at instant t: created before it, and
 * its last move before it (if any) left it running. */
static bool open_at(const struct kase *k, int64_t t)
{
    if (k->created >= t)
        return false;
    bool open = true;
    for (int i = 0; i < abs(k->nmoves); i++)
        if (k->moves[i].at < t)
            open = !k->moves[i].done;
    return open;
}

struct tally {
    const struct stats_case_query *q;
    const struct tz *tz;
    struct stats_case_row *rows;
    int n, cap;
    int64_t bounds[DAYS_MAX + 1]; /* the period cut at local midnights (SCS_DAY), else from, to */
    int nbounds;
};

static struct stats_case_row *row_for(struct tally *t, const char *key)
{
    for (int i = t->n - 1; i >= 0; i--)
        if (!strcmp(t->rows[i].key, key))
            return &t->rows[i];
    if (stats_grow(&t->rows, &t->cap, t->n, sizeof(*t->rows), CASES_MAX))
        return NULL;
    struct stats_case_row *r = &t->rows[t->n++];
    memset(r, 0, sizeof(*r));
    snprintf(r->key, sizeof(r->key), "%s", key);
    return r;
}

static void day_label(const struct tally *t, int64_t at, char *out, size_t n)
{
    struct tz_local l;
    if (tz_to_local(t->tz, at / WTIME_SEC, &l))
        snprintf(out, n, "?");
    else
        snprintf(out, n, "%04d-%02d-%02d", l.year, l.month, l.day);
}

/* The rows a case counts in for the slice, and (days) for which stretch. */
static int keys_of(const struct tally *t, const struct kase *k, char keys[][64])
{
    switch (t->q->slice) {
    case SCS_CATEGORY:
        snprintf(keys[0], 64, "%s", k->category);
        return 1;
    case SCS_TYPE:
        snprintf(keys[0], 64, "%s", k->type);
        return 1;
    case SCS_CONSULATE:
        snprintf(keys[0], 64, "%s", k->consulate);
        return 1;
    case SCS_PROCEDURE:
        for (int i = 0; i < k->nlinks; i++)
            snprintf(keys[i], 64, "%s", k->links[i]);
        if (!k->nlinks)
            keys[0][0] = '\0'; /* no article linked */
        return k->nlinks ? k->nlinks : 1;
    default:
        snprintf(keys[0], 64, "all");
        return 1;
    }
}

static bool in(int64_t at, int64_t from, int64_t to)
{
    return at >= from && at < to;
}

static int count_case(struct tally *t, const struct kase *k)
{
    char keys[LINKS_MAX][64];
    int nk = keys_of(t, k, keys);
    for (int b = 0; b + 1 < t->nbounds; b++) {
        int64_t from = t->bounds[b], to = t->bounds[b + 1];
        char day[64];
        for (int j = 0; j < nk; j++) {
            const char *key = keys[j];
            if (t->q->slice == SCS_DAY) {
                day_label(t, from, day, sizeof(day));
                key = day;
            }
            bool o0 = open_at(k, from), o1 = open_at(k, to);
            bool touched = o0 || o1 || in(k->created, from, to) || in(k->breached, from, to) || in(k->rated_at, from, to);
            for (int i = 0; !touched && i < abs(k->nmoves); i++)
                touched = in(k->moves[i].at, from, to);
            if (!touched && t->q->slice != SCS_DAY)
                continue;
            struct stats_case_row *r = row_for(t, key);
            if (!r)
                return WASL_ENOMEM;
            if (!touched)
                continue;
            r->backlog_start += o0;
            r->backlog_end += o1;
            if (in(k->created, from, to)) {
                r->opened++;
                r->complaints += !strcmp(k->type, "complaint");
                r->suggestions += !strcmp(k->type, "suggestion");
                if (k->first_at) {
                    r->first_answered++;
                    r->first_answer_s += (k->first_at - k->created) / WTIME_SEC;
                }
            }
            bool open = true; /* walk the moves: only those that cross the backlog's edge count */
            for (int i = 0; i < abs(k->nmoves); i++) {
                const struct move *m = &k->moves[i];
                if (in(m->at, from, to) && open != !m->done) {
                    if (!m->done)
                        r->reopened++;
                    else if (!strcmp(m->to, "merged"))
                        r->merged++;
                    else {
                        r->resolved++;
                        r->resolution_s += (m->at - k->created) / WTIME_SEC;
                    }
                }
                open = !m->done;
            }
            r->breaches += in(k->breached, from, to);
            if (k->rating && in(k->rated_at, from, to)) {
                r->rated++;
                r->rating_sum += k->rating;
                r->rated_high += k->rating >= 4;
                r->rated_low += k->rating <= 2;
            }
        }
    }
    return 0;
}

static int by_key(const void *a, const void *b)
{
    return strcmp(((const struct stats_case_row *)a)->key, ((const struct stats_case_row *)b)->key);
}

/* The period's edges, and its local midnights for days. */
static int bounds(struct tally *t)
{
    const struct stats_case_query *q = t->q;
    t->bounds[t->nbounds++] = q->from;
    if (q->slice == SCS_DAY) {
        struct tz_local l;
        int64_t at = q->from;
        while (t->nbounds < DAYS_MAX) {
            int64_t m0, next; /* the next local midnight: that of the day 36 h after this one's */
            if (tz_to_local(t->tz, at / WTIME_SEC, &l) || tz_from_local(t->tz, l.year, l.month, l.day, 0, 0, 0, &m0) ||
                tz_to_local(t->tz, m0 + 36 * 3600, &l) || tz_from_local(t->tz, l.year, l.month, l.day, 0, 0, 0, &next))
                return err_set(WASL_EINVAL, "stats.invalid_time", "a day the time zone cannot place");
            next *= WTIME_SEC;
            if (next >= q->to)
                break;
            t->bounds[t->nbounds++] = at = next;
        }
        if (t->nbounds == DAYS_MAX)
            return err_set_field(WASL_EINVAL, "stats.period_too_long", "to", "at most %d days by day", DAYS_MAX - 1);
    }
    t->bounds[t->nbounds++] = q->to;
    return 0;
}

int stats_cases(struct db *db, const struct stats_case_query *q, struct stats_case_row **rows_out, int *n_out)
{
    if (q->to <= q->from)
        return err_set_field(WASL_EINVAL, "stats.invalid_period", "to", "the period ends before it starts");
    if (q->slice < 0 || q->slice >= SCS_SLICES)
        return err_set_field(WASL_EINVAL, "stats.invalid_slice", "by", "unknown slice");
    struct load l = {0};
    struct tally t = {.q = q};
    int err = tz_get(q->tz && *q->tz ? q->tz : "Africa/Casablanca", &t.tz);
    if (!err)
        err = bounds(&t);
        /* Every case that could count: created before the end, and not done
         * before the start with nothing of it (a rating, a breach) since. */
#define RELEVANT                                                                                                                   \
    "c.created_at < ? AND (c.status IN ('new', 'open', 'waiting_citizen', 'waiting_consulate') OR c.updated_at >= ? OR "           \
    "c.rated_at >= ? OR c.breached_at >= ?)"
    if (!err)
        err = db_each(db,
                      "SELECT c.id, c.type, c.category, COALESCE(NULLIF(c.assignee_consulate, ''), c.consulate), c.articles, "
                      "c.status, c.created_at, c.first_response_at, c.breached_at, c.rating, c.rated_at, c.resolved_at, "
                      "c.closed_at, c.updated_at FROM cases c WHERE " RELEVANT " ORDER BY c.id",
                      DBP(DB_I(q->to), DB_I(q->from), DB_I(q->from), DB_I(q->from)), case_row, &l);
    if (!err)
        err = db_each(db,
                      "SELECT e.case_id, e.at, e.kind, e.detail FROM case_events e JOIN cases c ON c.id = e.case_id "
                      "WHERE e.kind IN ('changed', 'merged') AND e.at < ? AND " RELEVANT " ORDER BY e.case_id, e.at, e.id",
                      DBP(DB_I(q->to), DB_I(q->to), DB_I(q->from), DB_I(q->from), DB_I(q->from)), move_row, &l);
#undef RELEVANT
    for (int i = 0; !err && i < l.n; i++)
        err = count_case(&t, &l.k[i]);
    for (int i = 0; i < l.n; i++)
        free(l.k[i].moves);
    free(l.k);
    if (err) {
        free(t.rows);
        return err;
    }
    if (t.n)
        qsort(t.rows, (size_t)t.n, sizeof(*t.rows), by_key);
    *rows_out = t.rows;
    *n_out = t.n;
    return 0;
}
