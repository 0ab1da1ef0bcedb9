/*
 * Where procedures hurt (docs/metrics.md): for each consular procedure -
 * a guide article, a case category - the calls recorded with it, how many
 * came back, their handle time, the cases, complaints and poor ratings it
 * drew, ranked worst first, with the latest cases' references to open.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats_int.h"
#include "core/core.h"
#include "store/store.h"

#define PROCEDURES_MAX 20000

struct handled {
    int64_t call, ms;
};

struct rank {
    struct stats_procedure *p;
    int n, cap;
    struct handled *h; /* each call's handle time, by call */
    int nh, caph;
    int64_t from, to;
    int err;
};

static struct stats_procedure *proc(struct rank *r, const char *kind, const char *key)
{
    for (int i = 0; i < r->n; i++)
        if (!strcmp(r->p[i].key, key) && !strcmp(r->p[i].kind, kind))
            return &r->p[i];
    if ((r->err = stats_grow(&r->p, &r->cap, r->n, sizeof(*r->p), PROCEDURES_MAX)))
        return NULL;
    struct stats_procedure *p = &r->p[r->n++];
    memset(p, 0, sizeof(*p));
    snprintf(p->kind, sizeof(p->kind), "%s", kind);
    snprintf(p->key, sizeof(p->key), "%s", key);
    return p;
}

static void on_segment(const struct stats_segment *s, void *arg)
{
    struct rank *r = arg;
    if (s->fate != SF_ANSWERED || s->wrap_ms < 0 || r->err)
        return;
    if ((r->err = stats_grow(&r->h, &r->caph, r->nh, sizeof(*r->h), 1 << 26)))
        return;
    r->h[r->nh++] = (struct handled){s->call, s->talk_ms + s->hold_ms + s->wrap_ms};
}

static int by_call(const void *a, const void *b)
{
    const struct handled *x = a, *y = b;
    return x->call < y->call ? -1 : x->call > y->call;
}

/* The handle time of a call (all its handled segments); -1: not handled. */
static int64_t handle_ms(const struct rank *r, int64_t call)
{
    int lo = 0, hi = r->nh - 1;
    while (lo <= hi) { /* the first of its segments */
        int mid = (lo + hi) / 2;
        if (r->h[mid].call < call)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    int64_t ms = -1;
    for (int i = lo; i < r->nh && r->h[i].call == call; i++)
        ms = (ms < 0 ? 0 : ms) + r->h[i].ms;
    return ms;
}

static void count_call(struct rank *r, struct stats_procedure *p, const struct stats_contact *c)
{
    if (!p)
        return;
    p->calls++;
    p->repeat_calls += c->fate == FCR_REPEATED;
    int64_t ms = c->call ? handle_ms(r, c->call) : -1;
    if (ms >= 0) {
        p->handled++;
        p->handle_ms += ms;
    }
}

static void count_case(struct rank *r, struct stats_procedure *p, struct db_stmt *s)
{
    if (!p)
        return;
    int64_t created = db_int(s, 3), rated_at = db_int(s, 6);
    if (created >= r->from && created < r->to) {
        p->cases++;
        p->complaints += !strcmp(db_text(s, 1), "complaint");
        if (p->nsamples < STATS_SAMPLES) /* newest first */
            snprintf(p->samples[p->nsamples++], sizeof(p->samples[0]), "%s", db_text(s, 0));
    }
    if (!db_is_null(s, 5) && rated_at >= r->from && rated_at < r->to) {
        p->rated++;
        p->rated_low += db_int(s, 5) <= 2;
    }
}

static int case_row(struct db_stmt *s, void *arg)
{
    struct rank *r = arg;
    char links[10][64];
    int n = stats_links(db_text(s, 4), links, 10);
    count_case(r, proc(r, "category", db_text(s, 2)), s);
    for (int i = 0; i < n; i++)
        count_case(r, proc(r, "article", links[i]), s);
    return r->err;
}

static int worst_first(const void *a, const void *b)
{
    const struct stats_procedure *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    if (x->calls != y->calls)
        return x->calls > y->calls ? -1 : 1;
    int k = strcmp(x->kind, y->kind);
    return k ? k : strcmp(x->key, y->key);
}

int stats_procedures(struct db *db, int64_t from, int64_t to, int64_t now, int window_days, struct stats_procedure **out, int *n)
{
    if (to <= from)
        return err_set_field(WASL_EINVAL, "stats.invalid_period", "to", "the period ends before it starts");
    struct rank r = {.from = from, .to = to};
    struct stats_contact *c = NULL;
    int nc = 0;
    int err = stats_contacts_load(db, from, to, now, window_days, &c, &nc);
    if (!err)
        err = stats_fold_store(db, from, to, now, on_segment, NULL, NULL, &r);
    if (!err)
        err = r.err;
    if (!err && r.nh)
        qsort(r.h, (size_t)r.nh, sizeof(*r.h), by_call);
    for (int i = 0; !err && i < nc; i++) {
        if (c[i].fate == FCR_LEFT_OUT)
            continue;
        for (int k = 0; k < c[i].nlinks; k++)
            count_call(&r, proc(&r, "article", c[i].links[k]), &c[i]);
        if (*c[i].category)
            count_call(&r, proc(&r, "category", c[i].category), &c[i]);
        err = r.err;
    }
    free(c);
    if (!err)
        err = db_each(db,
                      "SELECT reference, type, category, created_at, articles, rating, rated_at FROM cases WHERE "
                      "(created_at >= ? AND created_at < ?) OR (rated_at >= ? AND rated_at < ?) ORDER BY created_at DESC, id DESC",
                      DBP(DB_I(from), DB_I(to), DB_I(from), DB_I(to)), case_row, &r);
    free(r.h);
    if (err) {
        free(r.p);
        return err;
    }
    for (int i = 0; i < r.n; i++)
        r.p[i].score = r.p[i].repeat_calls + r.p[i].complaints + r.p[i].rated_low;
    if (r.n)
        qsort(r.p, (size_t)r.n, sizeof(*r.p), worst_first);
    *out = r.p;
    *n = r.n;
    return 0;
}
