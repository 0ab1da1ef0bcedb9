/*
 * The contacts' figures (docs/metrics.md): callbacks requested and
 * completed with their delay (the callbacks table), first-contact
 * resolution (the calls the agents recorded: call_dispositions, the
 * caller's number as its blind index only), and the guide's searches with
 * no answer (guide_search_log: counts, never the sealed query).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats_int.h"
#include "core/core.h"
#include "store/store.h"

#define CONTACTS_MAX 2000000
#define SEARCH_ROWS_MAX 20000 /* languages x days */

/* Recorded outcomes that are no contact about anything. */
static const char *const left_out[] = {"wrong_number", "silent_call"};

struct load {
    struct stats_contact *c;
    int n, cap;
};

static int contact_row(struct db_stmt *s, void *arg)
{
    struct load *l = arg;
    int err = stats_grow(&l->c, &l->cap, l->n, sizeof(*l->c), CONTACTS_MAX);
    if (err)
        return err;
    struct stats_contact *c = &l->c[l->n++];
    memset(c, 0, sizeof(*c));
    char *end;
    const char *id = db_text(s, 0);
    c->call = strtoll(id, &end, 10);
    if (*end)
        c->call = 0;
    c->agent = db_int(s, 1);
    for (size_t i = 0; i < sizeof(left_out) / sizeof(left_out[0]); i++)
        c->left_out |= !strcmp(db_text(s, 2), left_out[i]);
    c->nlinks = stats_links(db_text(s, 3), c->links, 10);
    snprintf(c->reference, sizeof(c->reference), "%s", db_is_null(s, 4) ? "" : db_text(s, 4));
    snprintf(c->phone, sizeof(c->phone), "%s", db_is_null(s, 5) ? "" : db_text(s, 5));
    c->at = db_int(s, 6);
    snprintf(c->category, sizeof(c->category), "%s", db_is_null(s, 7) ? "" : db_text(s, 7));
    return 0;
}

/* The same case or reason: the same case, a common article, or either
 * says nothing of why the citizen called (then any call again is one). */
static bool same_reason(const struct stats_contact *a, const struct stats_contact *b)
{
    if ((!*a->reference && !a->nlinks) || (!*b->reference && !b->nlinks))
        return true;
    if (*a->reference && !strcmp(a->reference, b->reference))
        return true;
    for (int i = 0; i < a->nlinks; i++)
        for (int j = 0; j < b->nlinks; j++)
            if (!strcmp(a->links[i], b->links[j]))
                return true;
    return false;
}

static int by_phone_time(const void *x, const void *y)
{
    const struct stats_contact *a = *(const struct stats_contact *const *)x, *b = *(const struct stats_contact *const *)y;
    int c = strcmp(a->phone, b->phone);
    return c ? c : a->at < b->at ? -1 : a->at > b->at;
}

int stats_contacts_load(struct db *db, int64_t from, int64_t to, int64_t now, int window_days, struct stats_contact **out, int *n)
{
    if (window_days < 1 || window_days > 90)
        return err_set_field(WASL_EINVAL, "stats.invalid_window", "window", "the repeat window is 1 to 90 days");
    int64_t window = (int64_t)window_days * 86400 * WTIME_SEC;
    struct load l = {0};
    int err = db_each(db,
                      "SELECT d.call_id, d.agent_user, d.disposition, d.articles, d.case_reference, d.phone_index, d.created_at, "
                      "c.category FROM call_dispositions d LEFT JOIN cases c ON c.reference = d.case_reference "
                      "WHERE d.created_at >= ? AND d.created_at < ? ORDER BY d.created_at, d.id",
                      DBP(DB_I(from), DB_I(to + window)), contact_row, &l);
    struct stats_contact **by = err || !l.n ? NULL : malloc((size_t)l.n * sizeof(*by));
    if (!err && l.n && !by)
        err = WASL_ENOMEM;
    if (err) {
        free(l.c);
        return err;
    }
    for (int i = 0; i < l.n; i++)
        by[i] = &l.c[i];
    if (l.n)
        qsort(by, (size_t)l.n, sizeof(*by), by_phone_time);
    for (int i = 0; i < l.n; i++) {
        struct stats_contact *c = by[i];
        if (c->left_out) {
            c->fate = FCR_LEFT_OUT;
            continue;
        }
        if (!*c->phone) {
            c->fate = FCR_UNKNOWN;
            continue;
        }
        c->fate = c->at + window > now ? FCR_PENDING : FCR_RESOLVED;
        for (int j = i + 1; j < l.n && !strcmp(by[j]->phone, c->phone) && by[j]->at <= c->at + window; j++)
            if (!by[j]->left_out && by[j]->at > c->at && same_reason(c, by[j])) {
                c->fate = FCR_REPEATED;
                break;
            }
    }
    free(by);
    /* only the period's own: the rest were read as the window's */
    int k = 0;
    for (int i = 0; i < l.n; i++)
        if (l.c[i].at < to)
            l.c[k++] = l.c[i];
    *out = l.c;
    *n = k;
    return 0;
}

static int callback_row(struct db_stmt *s, void *arg)
{
    struct stats_contacts *o = arg;
    const char *status = db_text(s, 1);
    o->cb_requested++;
    if (!strcmp(status, "done")) {
        int64_t d = (db_int(s, 2) - db_int(s, 0)) / WTIME_SEC;
        o->cb_completed++;
        o->cb_delay_s += d;
        if (d > o->cb_delay_max_s)
            o->cb_delay_max_s = d;
    } else if (!strcmp(status, "cancelled")) {
        o->cb_cancelled++;
    } else {
        o->cb_pending++;
    }
    return 0;
}

struct searches {
    struct stats_contacts *o;
    const struct tz *tz;
    struct stats_search_row *rows;
    int n, cap;
};

static int search_row(struct db_stmt *s, void *arg)
{
    struct searches *x = arg;
    struct tz_local l;
    char day[12];
    if (tz_to_local(x->tz, db_int(s, 0) / WTIME_SEC, &l))
        return err_set(WASL_EINVAL, "stats.invalid_time", "a search the time zone cannot place");
    snprintf(day, sizeof(day), "%04d-%02d-%02d", l.year, l.month, l.day);
    const char *lang = db_text(s, 1);
    bool none = db_int(s, 2) == 0;
    x->o->searches++;
    x->o->searches_no_answer += none;
    int i = x->n - 1; /* in time order: today's rows are the last ones */
    while (i >= 0 && !strcmp(x->rows[i].day, day) && strcmp(x->rows[i].lang, lang))
        i--;
    if (i < 0 || strcmp(x->rows[i].day, day)) {
        int err = stats_grow(&x->rows, &x->cap, x->n, sizeof(*x->rows), SEARCH_ROWS_MAX);
        if (err)
            return err;
        i = x->n++;
        memset(&x->rows[i], 0, sizeof(x->rows[i]));
        snprintf(x->rows[i].day, sizeof(x->rows[i].day), "%s", day);
        snprintf(x->rows[i].lang, sizeof(x->rows[i].lang), "%s", lang);
    }
    x->rows[i].searches++;
    x->rows[i].no_answer += none;
    return 0;
}

int stats_contacts(struct db *db, int64_t from, int64_t to, int64_t now, int window_days, const char *tz, struct stats_contacts *o,
                   struct stats_search_row **search, int *nsearch)
{
    memset(o, 0, sizeof(*o));
    *search = NULL;
    *nsearch = 0;
    if (to <= from)
        return err_set_field(WASL_EINVAL, "stats.invalid_period", "to", "the period ends before it starts");
    o->window_days = window_days;
    struct stats_contact *c = NULL;
    struct searches x = {.o = o};
    int n = 0;
    int err = stats_contacts_load(db, from, to, now, window_days, &c, &n);
    for (int i = 0; !err && i < n; i++) {
        if (c[i].fate == FCR_LEFT_OUT)
            continue;
        o->fcr_contacts++;
        o->fcr_unknown += c[i].fate == FCR_UNKNOWN;
        o->fcr_pending += c[i].fate == FCR_PENDING;
        o->fcr_repeated += c[i].fate == FCR_REPEATED;
        o->fcr_resolved += c[i].fate == FCR_RESOLVED;
    }
    free(c);
    if (!err)
        err = db_each(db, "SELECT created_at, status, done_at FROM callbacks WHERE created_at >= ? AND created_at < ?",
                      DBP(DB_I(from), DB_I(to)), callback_row, o);
    if (!err)
        err = tz_get(tz && *tz ? tz : "Africa/Casablanca", &x.tz);
    if (!err)
        err = db_each(db, "SELECT at, lang, results FROM guide_search_log WHERE at >= ? AND at < ? ORDER BY at, id",
                      DBP(DB_I(from), DB_I(to)), search_row, &x);
    if (err) {
        free(x.rows);
        return err;
    }
    *search = x.rows;
    *nsearch = x.n;
    return 0;
}
