/*
 * Callback requests: a caller who reached the center while it was closed
 * asked to be called back. The number is personal data, kept like a case's:
 * sealed, with a keyed blind index for subject-access and erasure, and
 * purged with the other personal data.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cases_int.h"

struct cb_add {
    const struct callback_input *in;
    int64_t id;
    bool merged;
};

static int add_h(struct db_conn *c, void *arg)
{
    struct cb_add *a = arg;
    const struct callback_input *in = a->in;
    unsigned char *b = NULL;
    size_t n = 0;
    char idx[65];
    int err;

    blind_index("phone", in->phone, idx);
    /* Already waiting for a callback: the first request keeps its place, and
     * the language the caller chose last is the one to speak. */
    err = db_query_int(c, &a->id, "SELECT id FROM callbacks WHERE phone_index = ? AND status = 'pending'", DBP(DB_S(idx)));
    if (!err) {
        a->merged = true;
        return db_exec(c, "UPDATE callbacks SET language = ? WHERE id = ?", DBP(DB_S(in->language), DB_I(a->id)));
    }
    if (err != WASL_ENOENT)
        return err;
    err_clear();
    if ((err = seal(in->phone, &b, &n)))
        return err;
    err = db_query_int(c, &a->id,
                       "INSERT INTO callbacks (created_at, country, did, language, phone_enc, phone_index, status, call_id) "
                       "VALUES (?, ?, ?, ?, ?, ?, 'pending', ?) RETURNING id",
                       DBP(DB_I(in->at ? in->at : clock_now()), DB_S(in->country), DB_S(in->did), DB_S(in->language), DB_B(b, n),
                           DB_S(idx), DB_S(in->call_id ? in->call_id : "")));
    free(b);
    return err;
}

int callback_add(struct db *db, const struct callback_input *in, int64_t *id, bool *merged)
{
    struct cb_add a = {in, 0, false};
    int err;

    if (!in->phone || !*in->phone || strspn(in->phone, "0123456789") != strlen(in->phone))
        return err_set_field(WASL_EINVAL, "tel.invalid_number", "phone", "a number in international form, digits only");
    if (!in->country || !in->did || !in->language)
        return err_set(WASL_EINVAL, "tel.invalid_callback", "a callback needs its country, number called and language");
    /* Two requests from one number at the same instant: the second meets the
     * unique index on pending numbers and, tried again, joins the first. */
    for (int attempt = 0; attempt < 2; attempt++)
        if ((err = db_tx(db, add_h, &a)) != WASL_ECONFLICT)
            break;
    if (!err && id)
        *id = a.id;
    if (!err && merged)
        *merged = a.merged;
    return err;
}

struct pending {
    callback_h h;
    void *arg;
};

static int pending_row(struct db_stmt *s, void *arg)
{
    struct pending *l = arg;
    struct callback_row r = {db_int(s, 0), db_int(s, 1), db_text(s, 2), db_text(s, 3), db_text(s, 4), db_text(s, 5)};
    return l->h(&r, l->arg);
}

int callbacks_pending(struct db *db, int limit, callback_h h, void *arg)
{
    struct pending l = {h, arg};
    return db_each(db,
                   "SELECT id, created_at, country, did, language, status FROM callbacks WHERE status = 'pending' "
                   "ORDER BY created_at LIMIT ?",
                   DBP(DB_I(limit)), pending_row, &l);
}

struct due {
    callback_due_h h;
    void *arg;
};

static int due_row(struct db_stmt *s, void *arg)
{
    struct due *d = arg;
    size_t n = 0;
    const void *b = db_blob(s, 6, &n);
    char *phone = NULL;
    int err = unseal(b, n, &phone);
    if (err || !phone) {
        log_warn("cases: callback %lld: the number cannot be opened (key gone?)", (long long)db_int(s, 0));
        err_clear();
        free(phone);
        return 0;
    }
    struct callback_due r = {db_int(s, 0), db_int(s, 1), (int)db_int(s, 5), db_text(s, 2), db_text(s, 3), db_text(s, 4), phone};
    err = d->h(&r, d->arg);
    sodium_memzero(phone, strlen(phone));
    free(phone);
    return err;
}

int callbacks_due(struct db *db, int64_t now, int limit, callback_due_h h, void *arg)
{
    struct due d = {h, arg};
    return db_each(db,
                   "SELECT id, created_at, country, did, language, attempts, phone_enc FROM callbacks WHERE status = 'pending' "
                   "AND next_attempt_at <= ? AND claimed_at < ? ORDER BY created_at LIMIT ?",
                   DBP(DB_I(now), DB_I(now - 600 * WTIME_SEC), DB_I(limit)), due_row, &d);
}

int callback_claim(struct db *db, int64_t id, int64_t now)
{
    struct db_conn *c;
    int err;
    if ((err = db_conn_get(db, &c)))
        return err;
    err = db_exec(c, "UPDATE callbacks SET claimed_at = ? WHERE id = ? AND status = 'pending' AND claimed_at < ?",
                  DBP(DB_I(now), DB_I(id), DB_I(now - 600 * WTIME_SEC)));
    if (!err && db_changes(c) != 1)
        err = err_set(WASL_ECONFLICT, "tel.callback_taken", "callback %lld is being dialled or no longer waits", (long long)id);
    db_conn_put(c);
    return err;
}

int callback_attempted(struct db *db, int64_t id, const char *result, bool done, int64_t retry_at, int max_attempts, bool *given_up)
{
    struct db_conn *c;
    int64_t attempts = 0;
    int err;
    if (given_up)
        *given_up = false;
    if ((err = db_conn_get(db, &c)))
        return err;
    if (done) {
        err = db_exec(c,
                      "UPDATE callbacks SET status = 'done', done_at = ?, attempts = attempts + 1, last_result = ?, "
                      "claimed_at = 0 WHERE id = ?",
                      DBP(DB_I(clock_now()), DB_S(result), DB_I(id)));
    } else if (!(err = db_query_int(c, &attempts, "SELECT attempts FROM callbacks WHERE id = ?", DBP(DB_I(id))))) {
        bool last = attempts + 1 >= max_attempts;
        err = db_exec(
            c,
            "UPDATE callbacks SET attempts = attempts + 1, last_result = ?, claimed_at = 0, next_attempt_at = ?, "
            "status = ?, done_at = ? WHERE id = ?",
            DBP(DB_S(result), DB_I(retry_at), DB_S(last ? "cancelled" : "pending"), DB_I(last ? clock_now() : 0), DB_I(id)));
        if (!err && given_up)
            *given_up = last;
    }
    db_conn_put(c);
    return err;
}

int callback_release(struct db *db, int64_t id)
{
    struct db_conn *c;
    int err;
    if ((err = db_conn_get(db, &c)))
        return err;
    err = db_exec(c, "UPDATE callbacks SET claimed_at = 0 WHERE id = ? AND status = 'pending'", DBP(DB_I(id)));
    db_conn_put(c);
    return err;
}
