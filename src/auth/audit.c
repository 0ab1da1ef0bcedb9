/*
 * The audit trail: append-only entries, each carrying the SHA-256 of the
 * previous entry's hash and its own fields, so that editing, inserting or
 * deleting any entry breaks the chain at that entry. audit_head holds the
 * newest seq and hash, which also reveals deleted entries at the end.
 */
#include <stdio.h>
#include <string.h>
#include <sodium.h>

#include "auth_int.h"

#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"
#define VERIFY_PAGE 5000

static void feed(crypto_hash_sha256_state *st, const char *s)
{
    char len[24];
    size_t n = s ? strlen(s) : 0;
    /* Length-prefixed so that moving bytes between fields changes the hash. */
    snprintf(len, sizeof(len), "%zu:", n);
    crypto_hash_sha256_update(st, (const unsigned char *)len, strlen(len));
    if (n)
        crypto_hash_sha256_update(st, (const unsigned char *)s, n);
}

static void entry_hash(const char *prev, int64_t seq, int64_t at, const char *actor, const char *action, const char *object,
                       const char *detail, const char *request_id, const char *ip, char out[65])
{
    crypto_hash_sha256_state st;
    unsigned char h[crypto_hash_sha256_BYTES];
    char num[48];

    crypto_hash_sha256_init(&st);
    feed(&st, prev);
    snprintf(num, sizeof(num), "%lld/%lld", (long long)seq, (long long)at);
    feed(&st, num);
    feed(&st, actor);
    feed(&st, action);
    feed(&st, object);
    feed(&st, detail);
    feed(&st, request_id);
    feed(&st, ip);
    crypto_hash_sha256_final(&st, h);
    hex_encode(out, h, sizeof(h));
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
    char prev[65] = "", hash[65];
    int64_t seq = 0, at = clock_now();
    int err;

    /* Bumping the head first takes its row lock: appenders queue here, so
     * two entries can never claim the same predecessor. */
    if ((err = db_exec(c, "UPDATE audit_head SET seq = seq + 1 WHERE id = 1", NULL, 0)))
        return err;
    if ((err = db_query(c, &s, "SELECT seq, hash FROM audit_head WHERE id = 1", NULL, 0)))
        return err;
    if (db_next(s)) {
        seq = db_int(s, 0);
        snprintf(prev, sizeof(prev), "%s", db_text(s, 1));
    }
    if ((err = db_end(s)))
        return err;
    if (!seq)
        return err_set(WASL_EINTERNAL, "audit.no_head", "the audit trail has no head row");
    entry_hash(prev, seq, at, actor, a->action, a->object, detail, rid, ip, hash);
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

static void problem(struct audit_report *r, int64_t seq, const char *fmt, long long a)
{
    r->bad_seq = seq;
    snprintf(r->problem, sizeof(r->problem), fmt, a);
}

int audit_verify(struct db *db, struct audit_report *r)
{
    struct db_conn *c;
    struct db_stmt *s = NULL;
    char prev[65] = ZERO_HASH, head_hash[65] = "";
    int64_t expect = 1, head_seq = 0;
    int err;

    memset(r, 0, sizeof(*r));
    if ((err = db_conn_get(db, &c)))
        return err;
    /* Pages by seq so a long trail never sits in memory at once. */
    for (;;) {
        int rows = 0;
        if ((err = db_query(c, &s,
                            "SELECT seq, at, actor, action, object, detail, request_id, ip, prev_hash, hash FROM audit_log "
                            "WHERE seq >= ? ORDER BY seq LIMIT ?",
                            DBP(DB_I(expect), DB_I(VERIFY_PAGE)))))
            goto out;
        while (db_next(s)) {
            int64_t seq = db_int(s, 0);
            char h[65];
            rows++;
            r->checked++;
            if (seq != expect) {
                if (expect == seq - 1)
                    problem(r, expect, "entry %lld is missing: it was deleted", (long long)expect);
                else
                    problem(r, expect, "entries %lld and after are missing: they were deleted", (long long)expect);
                snprintf(r->problem + strlen(r->problem), sizeof(r->problem) - strlen(r->problem),
                         " (the chain resumes at entry %lld)", (long long)seq);
                break;
            }
            if (strcmp(db_text(s, 8), prev) != 0) {
                problem(r, seq,
                        "entry %lld does not follow the entry before it: it was inserted or the one before it was "
                        "replaced",
                        (long long)seq);
                break;
            }
            entry_hash(prev, seq, db_int(s, 1), db_text(s, 2), db_text(s, 3), db_text(s, 4), db_text(s, 5), db_text(s, 6),
                       db_text(s, 7), h);
            if (strcmp(h, db_text(s, 9)) != 0) {
                problem(r, seq, "entry %lld was altered: its content does not match its hash", (long long)seq);
                break;
            }
            snprintf(prev, sizeof(prev), "%s", h);
            expect++;
        }
        if ((err = db_end(s)) || r->bad_seq || rows < VERIFY_PAGE)
            break;
    }
    if (err || r->bad_seq)
        goto out;
    if ((err = db_query(c, &s, "SELECT seq, hash FROM audit_head WHERE id = 1", NULL, 0)))
        goto out;
    if (db_next(s)) {
        head_seq = db_int(s, 0);
        snprintf(head_hash, sizeof(head_hash), "%s", db_text(s, 1));
    }
    if ((err = db_end(s)))
        goto out;
    if (head_seq > expect - 1)
        problem(r, expect, "entries %lld and after were deleted (the trail's head says it holds more)", (long long)expect);
    else if (head_seq < expect - 1)
        problem(r, head_seq + 1, "entry %lld was inserted after the trail's head", (long long)(head_seq + 1));
    else if (strcmp(head_hash, prev) != 0)
        problem(r, head_seq, "entry %lld was replaced: it does not match the trail's head", (long long)head_seq);
out:
    db_conn_put(c);
    return err;
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
