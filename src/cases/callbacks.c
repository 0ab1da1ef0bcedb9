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
};

static int add_h(struct db_conn *c, void *arg)
{
    struct cb_add *a = arg;
    const struct callback_input *in = a->in;
    unsigned char *b = NULL;
    size_t n = 0;
    char idx[65];
    int err;

    if ((err = seal(in->phone, &b, &n)))
        return err;
    blind_index("phone", in->phone, idx);
    err = db_query_int(c, &a->id,
                       "INSERT INTO callbacks (created_at, country, did, language, phone_enc, phone_index, status, call_id) "
                       "VALUES (?, ?, ?, ?, ?, ?, 'pending', ?) RETURNING id",
                       DBP(DB_I(clock_now()), DB_S(in->country), DB_S(in->did), DB_S(in->language), DB_B(b, n), DB_S(idx),
                           DB_S(in->call_id ? in->call_id : "")));
    free(b);
    return err;
}

int callback_add(struct db *db, const struct callback_input *in, int64_t *id)
{
    struct cb_add a = {in, 0};
    int err;

    if (!in->phone || !*in->phone || strspn(in->phone, "0123456789") != strlen(in->phone))
        return err_set_field(WASL_EINVAL, "tel.invalid_number", "phone", "a number in international form, digits only");
    if (!in->country || !in->did || !in->language)
        return err_set(WASL_EINVAL, "tel.invalid_callback", "a callback needs its country, number called and language");
    err = db_tx(db, add_h, &a);
    if (!err && id)
        *id = a.id;
    return err;
}
