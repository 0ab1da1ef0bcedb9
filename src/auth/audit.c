/*
 * The audit trail: append-only entries, each carrying the hash of the entry
 * before it and a hash of its own fields, so that editing, inserting or
 * deleting any entry breaks the chain there; audit_head holds the newest seq
 * and hash. From the audit key's switch-over seq on, that hash is an HMAC
 * under a key kept outside the database (checkpoint.c loads it): someone who
 * can write the database cannot recompute it. Signed checkpoints of the
 * head, written where the database cannot reach, show the newest entries
 * deleted. This file appends and checks; checkpoint.c keeps the keys.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_int.h"

#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"
#define VERIFY_PAGE 5000
#define AUDIT_PROBLEMS_PER_KIND 5

/* SHA-256 before the switch-over, HMAC-SHA-512/256 after: both 32 bytes. */
struct chain_hash {
    bool keyed;
    crypto_hash_sha256_state sha;
    crypto_auth_hmacsha512256_state mac;
};

static void feed(struct chain_hash *h, const char *s)
{
    char len[24];
    size_t n = s ? strlen(s) : 0;
    /* Length-prefixed so that moving bytes between fields changes the hash. */
    snprintf(len, sizeof(len), "%zu:", n);
    if (h->keyed) {
        crypto_auth_hmacsha512256_update(&h->mac, (const unsigned char *)len, strlen(len));
        if (n)
            crypto_auth_hmacsha512256_update(&h->mac, (const unsigned char *)s, n);
    } else {
        crypto_hash_sha256_update(&h->sha, (const unsigned char *)len, strlen(len));
        if (n)
            crypto_hash_sha256_update(&h->sha, (const unsigned char *)s, n);
    }
}

static void entry_hash(bool keyed, const char *prev, int64_t seq, int64_t at, const char *actor, const char *action,
                       const char *object, const char *detail, const char *request_id, const char *ip, char out[65])
{
    struct chain_hash h = {.keyed = keyed};
    unsigned char d[crypto_hash_sha256_BYTES];
    char num[48];

    if (keyed)
        crypto_auth_hmacsha512256_init(&h.mac, audit_key.mac, sizeof(audit_key.mac));
    else
        crypto_hash_sha256_init(&h.sha);
    feed(&h, prev);
    snprintf(num, sizeof(num), "%lld/%lld", (long long)seq, (long long)at);
    feed(&h, num);
    feed(&h, actor);
    feed(&h, action);
    feed(&h, object);
    feed(&h, detail);
    feed(&h, request_id);
    feed(&h, ip);
    if (keyed)
        crypto_auth_hmacsha512256_final(&h.mac, d);
    else
        crypto_hash_sha256_final(&h.sha, d);
    hex_encode(out, d, sizeof(d));
    sodium_memzero(&h, sizeof(h));
}

struct append {
    const struct actor *who;
    const char *action, *object, *detail;
};

static int append_h(struct db_conn *c, void *arg)
{
    struct append *a = arg;
    const struct actor *w = a->who;
    const char *actor = w && w->login ? w->login : "system";
    const char *rid = w && w->request_id ? w->request_id : "";
    const char *ip = w && w->ip ? w->ip : "";
    const char *detail = a->detail ? a->detail : "{}";
    struct db_stmt *s = NULL;
    char prev[65] = "", hash[65], key_id[64] = "";
    int64_t seq = 0, at = clock_now();
    int err;

    /* Bumping the head first takes its row lock: appenders queue here, so
     * two entries can never claim the same predecessor. */
    if ((err = db_exec(c, "UPDATE audit_head SET seq = seq + 1 WHERE id = 1", NULL, 0)))
        return err;
    if ((err = db_query(c, &s, "SELECT seq, hash, key_id FROM audit_head WHERE id = 1", NULL, 0)))
        return err;
    if (db_next(s)) {
        seq = db_int(s, 0);
        snprintf(prev, sizeof(prev), "%s", db_text(s, 1));
        snprintf(key_id, sizeof(key_id), "%s", db_text(s, 2));
    }
    if ((err = db_end(s)))
        return err;
    if (!seq)
        return err_set(WASL_EINTERNAL, "audit.no_head", "the audit trail has no head row");
    /* An entry this program cannot MAC would fork the chain: a node without
     * the key file, or with another one, records nothing. */
    if (key_id[0] && (!audit_key.loaded || strcmp(key_id, audit_key.id) != 0))
        return err_set(WASL_EINTERNAL, "audit.key_missing",
                       "the audit trail is keyed with key %s and this program %s: copy the audit key file (audit.key_file) "
                       "from the node that made it",
                       key_id, audit_key.loaded ? "has another one" : "has none loaded");
    entry_hash(audit_key.loaded && seq >= audit_key.from, prev, seq, at, actor, a->action, a->object, detail, rid, ip, hash);
    if ((err = db_exec(c,
                       "INSERT INTO audit_log (seq, at, actor, action, object, detail, request_id, ip, prev_hash, hash) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       DBP(DB_I(seq), DB_I(at), DB_S(actor), DB_S(a->action), DB_S(a->object), DB_S(detail), DB_S(rid), DB_S(ip),
                           DB_S(prev), DB_S(hash)))))
        return err;
    return db_exec(c, "UPDATE audit_head SET hash = ? WHERE id = 1", DBP(DB_S(hash)));
}

int audit_append(struct db_conn *c, const struct actor *who, const char *action, const char *object, const char *detail)
{
    struct append a = {who, action, object, detail};
    return db_tx_conn(c, append_h, &a);
}

int audit_append_db(struct db *db, const struct actor *who, const char *action, const char *object, const char *detail)
{
    struct append a = {who, action, object, detail};
    return db_tx(db, append_h, &a);
}

void audit_problem(struct audit_report *r, int64_t seq, const char *kind, const char *fmt, ...)
{
    char text[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (!r->nproblems)
        snprintf(r->problem, sizeof(r->problem), "%s", text);
    if (!r->bad_seq && seq > 0)
        r->bad_seq = seq;
    /* A rewritten stretch gives a problem per entry: a few of each kind
     * are listed, so that the other kinds are not crowded out. */
    int same = 0;
    for (int i = 0; i < r->nlisted; i++)
        same += !strcmp(r->problems[i].kind, kind);
    if (same < AUDIT_PROBLEMS_PER_KIND && r->nlisted < AUDIT_PROBLEMS_MAX) {
        struct audit_problem *p = &r->problems[r->nlisted++];
        p->seq = seq;
        p->kind = kind;
        snprintf(p->text, sizeof(p->text), "%s", text);
    }
    r->nproblems++;
}

/* The state of a walk along the chain. */
struct walk {
    struct audit_report *r;
    const struct audit_cp *cps;
    int ncps, icp;
    int64_t expect, head_seq;
    char prev[65];
    const char *head_hash;
    bool unkeyed_noted;
    bool adopt; /* take the next entry's link as it is */
};

static void check_row(struct walk *w, struct db_stmt *s)
{
    struct audit_report *r = w->r;
    int64_t seq = db_int(s, 0);
    const char *stored_prev = db_text(s, 8), *stored = db_text(s, 9);
    char h[65];

    r->checked++;
    if (w->adopt) {
        snprintf(w->prev, sizeof(w->prev), "%s", stored_prev);
        w->adopt = false;
    }
    if (seq != w->expect) {
        if (seq == w->expect + 1)
            audit_problem(r, w->expect, "deleted", "entry %lld is missing: it was deleted", (long long)w->expect);
        else
            audit_problem(r, w->expect, "deleted", "entries %lld to %lld are missing: they were deleted", (long long)w->expect,
                          (long long)(seq - 1));
        /* The link across a gap cannot be checked; the entry itself can. */
        snprintf(w->prev, sizeof(w->prev), "%s", stored_prev);
    } else if (strcmp(stored_prev, w->prev) != 0) {
        audit_problem(r, seq, "rewritten",
                      "entry %lld does not follow the entry before it: it was inserted or the one before it was replaced",
                      (long long)seq);
    }
    if (seq >= r->keyed_from && r->keyed_from && !audit_key.loaded) {
        if (!w->unkeyed_noted)
            audit_problem(r, seq, "unverifiable",
                          "entries %lld and after are keyed and no audit key is loaded (audit.key_file): they were not checked",
                          (long long)seq);
        w->unkeyed_noted = true;
    } else {
        bool keyed = audit_key.loaded && seq >= audit_key.from;
        entry_hash(keyed, w->prev, seq, db_int(s, 1), db_text(s, 2), db_text(s, 3), db_text(s, 4), db_text(s, 5), db_text(s, 6),
                   db_text(s, 7), h);
        if (!str_ct_equal(h, stored))
            audit_problem(r, seq, "rewritten",
                          keyed ? "entry %lld was altered: its MAC does not match (it was written without the audit key)"
                                : "entry %lld was altered: its content does not match its hash",
                          (long long)seq);
    }
    /* Checkpoints of entries that are not there are gaps or truncation,
     * reported as such. */
    while (w->icp < w->ncps && w->cps[w->icp].seq < seq)
        w->icp++;
    for (; w->icp < w->ncps && w->cps[w->icp].seq == seq; w->icp++)
        if (strcmp(w->cps[w->icp].hash, stored) != 0)
            audit_problem(r, seq, "rewritten",
                          "entry %lld is not the one the signed checkpoint of %s saw: the trail was rewritten from there",
                          (long long)seq, w->cps[w->icp].at);
    if (seq == w->head_seq && strcmp(w->head_hash, stored) != 0)
        audit_problem(r, seq, "rewritten", "entry %lld was replaced: it does not match the trail's head", (long long)seq);
    snprintf(w->prev, sizeof(w->prev), "%s", stored);
    w->expect = seq + 1;
}

static int read_head(struct db_conn *c, bool *found, int64_t *seq, char hash[65])
{
    struct db_stmt *s = NULL;
    int err;

    *found = false;
    *seq = 0;
    hash[0] = '\0';
    if ((err = db_query(c, &s, "SELECT seq, hash FROM audit_head WHERE id = 1", NULL, 0)))
        return err;
    if (db_next(s)) {
        *found = true;
        *seq = db_int(s, 0);
        snprintf(hash, 65, "%s", db_text(s, 1));
    }
    return db_end(s);
}

int audit_check(struct db_conn *c, int64_t from_seq, const char *prev, bool upto_head, const struct audit_cp *cps, int ncps,
                struct audit_report *r, int64_t *last, int64_t *head_seq, char head_hash[65])
{
    struct walk w = {.r = r, .cps = cps, .ncps = ncps, .expect = from_seq, .head_hash = head_hash};
    struct db_stmt *s = NULL;
    bool found;
    int err;

    /* The head first: entries appended while we read are after it. */
    if ((err = read_head(c, &found, head_seq, head_hash)))
        return err;
    if (!found)
        audit_problem(r, 0, "truncated", "the trail's head row was deleted");
    w.head_seq = found ? *head_seq : -1;
    if (found && *head_seq < from_seq - 1) {
        audit_problem(r, *head_seq + 1, "truncated",
                      "the trail's head is at entry %lld, behind entry %lld that was already checked: entries were deleted",
                      (long long)*head_seq, (long long)(from_seq - 1));
        *last = from_seq - 1;
        return 0;
    }
    snprintf(w.prev, sizeof(w.prev), "%s", prev ? prev : "");
    w.adopt = !prev;
    /* Pages by seq so a long trail never sits in memory at once. */
    for (;;) {
        int rows = 0;
        if ((err = db_query(c, &s,
                            "SELECT seq, at, actor, action, object, detail, request_id, ip, prev_hash, hash FROM audit_log "
                            "WHERE seq >= ? AND seq <= ? ORDER BY seq LIMIT ?",
                            DBP(DB_I(w.expect), DB_I(upto_head ? *head_seq : INT64_MAX), DB_I(VERIFY_PAGE)))))
            return err;
        while (db_next(s)) {
            rows++;
            check_row(&w, s);
        }
        if ((err = db_end(s)) || rows < VERIFY_PAGE)
            break;
    }
    *last = w.expect - 1;
    if (err || !found)
        return err;
    if (*head_seq > *last) {
        audit_problem(r, *last + 1, "truncated", "entries %lld and after were deleted (the trail's head says it holds %lld)",
                      (long long)(*last + 1), (long long)*head_seq);
    } else if (*last > *head_seq) {
        /* Appended since the head was read, or forged after it. */
        int64_t again;
        char h2[65];
        if ((err = read_head(c, &found, &again, h2)))
            return err;
        if (found && *last > again)
            audit_problem(r, again + 1, "inserted", "entry %lld was inserted after the trail's head", (long long)(again + 1));
    }
    return 0;
}

/* Compares the end of the trail with the newest signed checkpoint: a head
 * or a last entry behind it means the newest entries were deleted. */
static void check_truncation(struct audit_report *r, const struct audit_cp *cp, int64_t last, int64_t head_seq)
{
    int64_t end = last > head_seq ? last : head_seq;
    if (cp->seq > end)
        audit_problem(r, end + 1, "truncated",
                      "entries %lld to %lld were deleted: the signed checkpoint of %s saw entry %lld, and the trail now ends at "
                      "%lld",
                      (long long)(end + 1), (long long)cp->seq, cp->at, (long long)cp->seq, (long long)end);
    else if (head_seq < cp->seq)
        audit_problem(r, head_seq + 1, "truncated",
                      "the trail's head (%lld) is behind the signed checkpoint of %s (%lld): it was set back", (long long)head_seq,
                      cp->at, (long long)cp->seq);
}

static int cp_cmp(const void *a, const void *b)
{
    const struct audit_cp *x = a, *y = b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int audit_verify_with(struct db *db, const struct audit_verify_opts *o, struct audit_report *r)
{
    const char *defaults[1] = {conf_str("audit.checkpoint_file")};
    const char *const *files = o && o->nfiles ? o->checkpoint_files : defaults;
    int nfiles = o && o->nfiles ? o->nfiles : 1;
    const char *pk64 = o && o->public_key ? o->public_key : conf_str("audit.public_key");
    unsigned char pk[crypto_sign_PUBLICKEYBYTES];
    struct audit_cp *cps = NULL;
    struct db_conn *c;
    int64_t head_seq = 0, mac_from = 0, last = 0;
    struct db_stmt *s = NULL;
    char head_hash[65], key_id[64] = "";
    int ncps = 0, err;
    bool have_pk = false;

    memset(r, 0, sizeof(*r));
    if ((err = db_conn_get(db, &c)))
        return err;
    /* The key file says where the keyed chain starts; the database's copy
     * only says that there is one when this program has no key, and which
     * key it was. */
    if (!(err = db_query(c, &s, "SELECT mac_from, key_id FROM audit_head WHERE id = 1", NULL, 0))) {
        if (db_next(s)) {
            mac_from = db_int(s, 0);
            snprintf(key_id, sizeof(key_id), "%s", db_text(s, 1));
        }
        err = db_end(s);
    }
    if (err)
        goto out;
    r->keyed_from = audit_key.loaded ? audit_key.from : mac_from;
    if (audit_key.loaded && key_id[0] && strcmp(key_id, audit_key.id) != 0)
        audit_problem(r, 0, "unverifiable",
                      "the audit key file (%s) is not the key this trail records (%s): every MAC will differ; give the right "
                      "key file",
                      audit_key.id, key_id);
    if (*pk64) {
        size_t n = 0;
        if (sodium_base642bin(pk, sizeof(pk), pk64, strlen(pk64), NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL) ||
            n != sizeof(pk)) {
            err = err_set(WASL_EINVAL, "audit.public_key", "the public key must be the base64 of %d bytes (wasl audit public-key)",
                          (int)sizeof(pk));
            goto out;
        }
        have_pk = true;
        if (audit_key.loaded && memcmp(pk, audit_key.pk, sizeof(pk)) != 0)
            audit_problem(r, 0, "bad_signature",
                          "the audit key file's public key is not the one given (%s): the key file was replaced", pk64);
    } else if (audit_key.loaded) {
        memcpy(pk, audit_key.pk, sizeof(pk));
        have_pk = true;
    }
    if (have_pk) {
        for (int i = 0; i < nfiles; i++) {
            err = audit_checkpoints_read(files[i], pk, &cps, &ncps, r);
            if (err == WASL_ENOENT) {
                err_clear();
                audit_problem(r, 0, "unverifiable", "no checkpoint file %s: the deletion of the newest entries cannot be detected",
                              files[i]);
                err = 0;
            }
            if (err)
                goto out;
        }
    } else if (r->keyed_from) {
        audit_problem(r, 0, "unverifiable", "no public key to check the checkpoints with (audit.key_file or audit.public_key)");
    }
    if (ncps)
        qsort(cps, (size_t)ncps, sizeof(*cps), cp_cmp);
    r->checkpoints = ncps;
    if (ncps) {
        r->checkpoint_seq = cps[ncps - 1].seq;
        snprintf(r->checkpoint_at, sizeof(r->checkpoint_at), "%s", cps[ncps - 1].at);
    }
    if ((err = audit_check(c, 1, ZERO_HASH, false, cps, ncps, r, &last, &head_seq, head_hash)))
        goto out;
    if (ncps)
        check_truncation(r, &cps[ncps - 1], last, head_seq);
out:
    free(cps);
    db_conn_put(c);
    return err;
}

int audit_verify(struct db *db, struct audit_report *r)
{
    return audit_verify_with(db, NULL, r);
}

int audit_list(struct db *db, const struct audit_filter *f, struct audit_entry *out, int max, int *n)
{
    const char *actor = f->actor ? f->actor : "", *action = f->action ? f->action : "", *object = f->object ? f->object : "";
    int64_t before = f->before > 0 ? f->before : INT64_MAX;
    struct db_conn *c;
    struct db_stmt *s = NULL;
    int err;

    *n = 0;
    if ((err = db_conn_get(db, &c)))
        return err;
    err = db_query(c, &s,
                   "SELECT seq, at, actor, action, object, detail, request_id, ip FROM audit_log "
                   "WHERE seq < ? AND (? = '' OR actor = ?) AND (? = '' OR action = ?) AND (? = '' OR object = ?) "
                   "ORDER BY seq DESC LIMIT ?",
                   DBP(DB_I(before), DB_S(actor), DB_S(actor), DB_S(action), DB_S(action), DB_S(object), DB_S(object), DB_I(max)));
    if (err)
        goto out;
    while (*n < max && db_next(s)) {
        struct audit_entry *e = &out[(*n)++];
        e->seq = db_int(s, 0);
        e->at = db_int(s, 1);
        snprintf(e->actor, sizeof(e->actor), "%s", db_text(s, 2));
        snprintf(e->action, sizeof(e->action), "%s", db_text(s, 3));
        snprintf(e->object, sizeof(e->object), "%s", db_text(s, 4));
        snprintf(e->detail, sizeof(e->detail), "%s", db_text(s, 5));
        snprintf(e->request_id, sizeof(e->request_id), "%s", db_text(s, 6));
        snprintf(e->ip, sizeof(e->ip), "%s", db_text(s, 7));
    }
    err = db_end(s);
out:
    db_conn_put(c);
    return err;
}
