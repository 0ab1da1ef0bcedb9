/*
 * The citizens' portal: filing a complaint, suggestion or observation,
 * following a case with its reference and PIN, and rating how it was
 * handled. Public and attacked: rate limits per address, PIN attempts
 * locked per address and slowed down per reference (pin_check() in
 * util.c), and one answer for "no such reference" and
 * "wrong PIN" so references cannot be probed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "cases_int.h"

int portal_file(struct db *db, const struct portal_filing *f, struct case_rec *out, char pin_out[7], char **ack)
{
    const struct case_type *t = case_type(f->type);
    /* The audit trail is kept for good: a citizen's address does not go in it. */
    struct actor citizen = {.login = "citizen", .ip = "", .request_id = ""};
    struct db_conn *c;
    char key[96];
    int err;

    *ack = NULL;
    if (!t || !t->public_filing)
        return err_set_field(WASL_EINVAL, "cases.invalid_type", "type", "on the portal: complaint, suggestion or observation");
    /* On the portal the citizen must say what it is about. */
    if ((err = case_check_text(f->description, "description", 10000, true, false)))
        return err;
    snprintf(key, sizeof(key), "portal:%s", f->ip ? f->ip : "");
    if ((err = db_conn_get(db, &c)))
        return err;
    err = rate_hit(c, key, cases_cfg.portal_per_hour, 3600, 3600);
    db_conn_put(c);
    if (err)
        return err;
    struct case_input in = {
        .type = f->type,
        .category = f->category,
        .priority = "normal",
        .channel = f->channel && *f->channel ? f->channel : "portal",
        .language = f->language,
        .country = f->country,
        .consulate = f->consulate,
        .subject = f->subject,
        .description = f->description,
        .citizen = f->citizen,
        .request_key = f->request_key,
        .replayed = f->replayed,
    };
    if (f->nfields < 0 || f->nfields > CASE_FIELDS_MAX)
        return err_set(WASL_EINVAL, "cases.invalid_field", "too many fields");
    memcpy(in.fields, f->fields, sizeof(in.fields));
    in.nfields = f->nfields;
    /* The consulate concerned is also the type's consulate field, if it has one. */
    for (int i = 0; f->consulate && *f->consulate && i < t->nfields; i++)
        if (!strcmp(t->fields[i].type, "consulate")) {
            bool given = false;
            for (int k = 0; k < in.nfields; k++)
                given |= !strcmp(in.fields[k].name, t->fields[i].name);
            if (!given && in.nfields < CASE_FIELDS_MAX) {
                snprintf(in.fields[in.nfields].name, sizeof(in.fields[0].name), "%s", t->fields[i].name);
                in.fields[in.nfields++].value = (char *)f->consulate;
            }
        }
    /* A case reported through the portal or Open311 must not set its own
     * priority or channel beyond these two. */
    if (strcmp(in.channel, "portal") && strcmp(in.channel, "open311"))
        return err_set_field(WASL_EINVAL, "cases.invalid_field", "channel", "portal or open311");
    if ((err = case_create(db, &citizen, &in, out, pin_out)))
        return err;
    /* The on-screen acknowledgement, in the filer's language. */
    *ack = case_text(f->language, "ack.body", out->reference, f->type, out->resolution_due, NULL);
    return *ack ? 0 : WASL_ENOMEM;
}

struct lookup {
    const char *ref, *pin, *ip;
    int64_t id;
    struct portal_status *st;
    bool matched;
};

/* Finds the case of ref if pin matches; counts failures. ENOENT for both an
 * unknown reference and a wrong PIN. */
static int check_pin(struct db_conn *c, struct lookup *l)
{
    struct db_stmt *s = NULL;
    char h[65];
    bool ok = false;
    int err;

    if ((err = pin_check(c, l->ref, l->ip)))
        return err;
    pin_hash(l->ref, l->pin ? l->pin : "", h);
    if ((err = db_query(c, &s, "SELECT id, pin_hash FROM cases WHERE reference = ?", DBP(DB_S(l->ref)))))
        return err;
    if (db_next(s)) {
        ok = sodium_memcmp(h, db_text(s, 1), 64) == 0;
        l->id = db_int(s, 0);
    }
    if ((err = db_end(s)))
        return err;
    l->matched = ok;
    /* Counted, and committed: the failure must outlive this transaction. */
    return ok ? 0 : pin_fail(c, l->ref, l->ip);
}

static int pin_fail_h(struct db_conn *c, void *arg)
{
    return check_pin(c, arg);
}

static int lookup(struct db *db, struct lookup *l)
{
    int err = db_tx(db, pin_fail_h, l);
    if (!err && !l->matched)
        return err_set(WASL_ENOENT, "cases.no_match", "no case matches this reference and PIN");
    return err;
}

int portal_track(struct db *db, const char *reference, const char *pin, const char *ip, struct portal_status *out, case_event_h h,
                 void *arg)
{
    char ref[CASE_REF_LEN + 1];
    struct lookup l = {ref, pin, ip, 0, out, false};
    struct case_rec r;
    int err;

    memset(out, 0, sizeof(*out));
    if ((err = case_ref_parse(reference, ref)) || (err = lookup(db, &l)) || (err = case_read(db, ref, &r)))
        return err;
    snprintf(out->reference, sizeof(out->reference), "%s", r.reference);
    snprintf(out->type, sizeof(out->type), "%s", r.type);
    snprintf(out->status, sizeof(out->status), "%s", r.status);
    snprintf(out->language, sizeof(out->language), "%s", r.language);
    out->created_at = r.created_at;
    out->updated_at = r.updated_at;
    out->expected_at = r.resolved_at ? 0 : r.resolution_due;
    out->rating = r.rating;
    out->can_rate = (!strcmp(r.status, "resolved") || !strcmp(r.status, "closed")) && !r.rating;
    int64_t id = r.id;
    case_rec_clear(&r);
    return h ? case_events(db, id, true, h, arg) : 0;
}

int portal_track_keys(struct db *db, const char *keys, const char *pin, const char *source, struct portal_status *out)
{
    char refs[8][CASE_REF_LEN + 1];
    int n = 0, err;
    struct db_conn *c;
    struct db_stmt *s = NULL;

    memset(out, 0, sizeof(*out));
    if (strlen(keys) != 9 || strspn(keys, "0123456789") != 9)
        return err_set(WASL_EINVAL, "cases.invalid_reference", "this reference is not valid");
    if ((err = db_conn_get(db, &c)))
        return err;
    if (!(err = db_query(c, &s, "SELECT reference FROM cases WHERE ref_keys = ? ORDER BY id LIMIT 8", DBP(DB_S(keys))))) {
        while (db_next(s) && n < 8)
            snprintf(refs[n++], sizeof(refs[0]), "%s", db_text(s, 0));
        err = db_end(s);
    }
    db_conn_put(c);
    if (err)
        return err;
    if (!n) {
        /* No such keys: counted like a wrong PIN, so keying at random is
         * throttled too, and the answer is the same. */
        struct lookup l = {keys, pin, source, 0, NULL, false};
        return lookup(db, &l);
    }
    for (int i = 0; i < n; i++) {
        err_clear();
        if (!(err = portal_track(db, refs[i], pin, source, out, NULL, NULL)) || err != WASL_ENOENT)
            return err;
    }
    return err;
}

struct rate {
    int64_t id;
    int rating;
    const char *comment;
};

static int rate_h(struct db_conn *c, void *arg)
{
    struct rate *rt = arg;
    unsigned char *b = NULL;
    size_t n = 0;
    char detail[32];
    int64_t done = 0;
    int err;

    if ((err = db_query_int(c, &done,
                            "SELECT COUNT(*) FROM cases WHERE id = ? AND status IN ('resolved', 'closed') AND rating IS NULL",
                            DBP(DB_I(rt->id)))))
        return err;
    if (!done)
        return err_set(WASL_ECONFLICT, "cases.cannot_rate", "a case can be rated once, after it is resolved");
    if ((err = seal(rt->comment && *rt->comment ? rt->comment : NULL, &b, &n)))
        return err;
    err = db_exec(c, "UPDATE cases SET rating = ?, rating_comment_enc = ?, rated_at = ? WHERE id = ?",
                  DBP(DB_I(rt->rating), b ? DB_B(b, n) : DB_NULL, DB_I(clock_now()), DB_I(rt->id)));
    free(b);
    snprintf(detail, sizeof(detail), "{\"rating\":%d}", rt->rating);
    return err ? err : case_event_add(c, rt->id, "citizen", "rated", false, NULL, detail);
}

int portal_limit(struct db *db, const char *what, const char *ip, int per_hour, int64_t block)
{
    struct db_conn *c;
    char key[96];
    snprintf(key, sizeof(key), "%s:%s", what, ip ? ip : "");
    int err = db_conn_get(db, &c);
    if (err)
        return err;
    err = rate_hit(c, key, per_hour, 3600, block);
    db_conn_put(c);
    return err;
}

int portal_rate(struct db *db, const char *reference, const char *pin, const char *ip, int rating, const char *comment)
{
    char ref[CASE_REF_LEN + 1];
    struct lookup l = {ref, pin, ip, 0, NULL, false};
    int err;

    if (rating < 1 || rating > 5)
        return err_set_field(WASL_EINVAL, "cases.invalid_field", "rating", "the rating is 1 to 5");
    if ((err = case_check_text(comment, "comment", 1000, false, false)))
        return err;
    if ((err = case_ref_parse(reference, ref)) || (err = lookup(db, &l)))
        return err;
    struct rate rt = {l.id, rating, comment};
    return db_tx(db, rate_h, &rt);
}

#define REPLY_MAX 4000 /* bytes: a message, not a document */

struct reply {
    const char *ref, *body;
};

static int reply_h(struct db_conn *c, void *arg)
{
    struct reply *rp = arg;
    struct actor citizen = {.login = "citizen", .ip = "", .request_id = ""};
    struct case_rec r;
    char object[64];
    int64_t now = clock_now();
    int err;

    if ((err = case_read_conn(c, rp->ref, &r)))
        return err;
    if (!strcmp(r.status, "closed") || !strcmp(r.status, "merged")) {
        err = err_set(WASL_ECONFLICT, "cases.closed", "this case is closed: file a new request, quoting %s", r.reference);
        goto out;
    }
    /* The citizen's own words: shown to them with the public notes, and to
     * the staff as new until the assignee opens the case. */
    if ((err = case_event_add(c, r.id, "citizen", "citizen_reply", true, rp->body, NULL)) ||
        (err = db_exec(c, "UPDATE cases SET citizen_reply_at = ?, updated_at = ? WHERE id = ?",
                       DBP(DB_I(now), DB_I(now), DB_I(r.id)))))
        goto out;
    /* The answer that was waited for: the case is back with the staff and
     * its clock runs again, in the same transaction. */
    if (!strcmp(r.status, "waiting_citizen")) {
        struct case_change back = {.status = "open"};
        if ((err = case_update_conn(c, &citizen, r.reference, &back)))
            goto out;
    }
    snprintf(object, sizeof(object), "case:%s", r.reference);
    err = audit_append(c, &citizen, "case.citizen_reply", object, NULL);
out:
    case_rec_clear(&r);
    return err;
}

int portal_reply(struct db *db, const char *reference, const char *pin, const char *ip, const char *body)
{
    char ref[CASE_REF_LEN + 1], key[96];
    struct lookup l = {ref, pin, ip, 0, NULL, false};
    struct db_conn *c;
    int err;

    if ((err = case_check_text(body, "body", REPLY_MAX, true, false)) || (err = case_ref_parse(reference, ref)))
        return err;
    /* Replies count against the address like filings do. */
    snprintf(key, sizeof(key), "reply:%s", ip ? ip : "");
    if ((err = db_conn_get(db, &c)))
        return err;
    err = rate_hit(c, key, cases_cfg.portal_per_hour, 3600, 3600);
    db_conn_put(c);
    if (err || (err = lookup(db, &l)))
        return err;
    struct reply rp = {ref, body};
    return db_tx(db, reply_h, &rp);
}
