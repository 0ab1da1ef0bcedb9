/*
 * Callback requests: a caller who reached the center while it was closed
 * asked to be called back. The number is personal data, kept like a case's:
 * sealed, with a keyed blind index for subject-access and erasure, and
 * purged with the other personal data.
 */
#include <stdlib.h>
#include <string.h>

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
