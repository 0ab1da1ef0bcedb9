/*
 * The limiter: the decision over a key's state (pure), and the two places a
 * state is kept - the store's `limits` table, read and written in one
 * transaction per hit so concurrent hits on one key are all counted on
 * every backend, and a fixed in-memory table, least recently used first out.
 */
#include <stdio.h>
#include <string.h>

#include "limit/limit.h"
#include "core/core.h"
#include "store/store.h"

int64_t limit_wait(const struct limit_state *s, int64_t now)
{
    return s->until > now ? s->until - now : 0;
}

int64_t limit_seconds(int64_t wait)
{
    int64_t s = (wait + WTIME_SEC - 1) / WTIME_SEC;
    return s < 1 ? 1 : s;
}

enum limit_verdict limit_hit(const struct limit_rule *r, struct limit_state *s, int64_t now)
{
    if (s->hits <= 0 || now - s->start > r->window) {
        s->hits = 0;
        s->start = now;
    }
    s->hits++;
    if (r->lock_after > 0 && s->hits >= r->lock_after) {
        s->until = now + r->lock;
        s->hits = 0;
        s->start = now;
        return LIMIT_LOCKED;
    }
    if (r->delay > 0 && s->hits > r->free) {
        /* delay x 2^(hits past free - 1), without overflowing the shift. */
        int64_t d = r->delay, past = s->hits - r->free - 1;
        for (int64_t i = 0; i < past && d < r->delay_max; i++)
            d *= 2;
        if (d > r->delay_max)
            d = r->delay_max;
        if (now + d > s->until)
            s->until = now + d;
        return LIMIT_DELAYED;
    }
    return LIMIT_OK;
}

/* ---- in the store ---- */

int limit_check(struct db_conn *c, const char *key, int64_t now, int64_t *wait)
{
    struct limit_state s = {0};
    int err = db_query_int(c, &s.until, "SELECT until_at FROM limits WHERE key = ?", DBP(DB_S(key)));

    *wait = 0;
    if (err == WASL_ENOENT) {
        err_clear();
        return 0;
    }
    if (!err)
        *wait = limit_wait(&s, now);
    return err;
}

struct count {
    const struct limit_rule *r;
    const char *key;
    int64_t now;
    enum limit_verdict v;
    int64_t wait;
};

static int count_h(struct db_conn *c, void *arg)
{
    struct count *k = arg;
    struct limit_state s = {0};
    struct db_stmt *st = NULL;
    int err;

    /* Insert-if-missing, then an UPDATE that takes the row's lock until the
     * end of the transaction: a concurrent hit on the key reads the state
     * only after this one is written. */
    if ((err = db_exec(c, "INSERT INTO limits (key, hits, start_at, until_at) VALUES (?, 0, 0, 0) ON CONFLICT (key) DO NOTHING",
                       DBP(DB_S(k->key)))) ||
        (err = db_exec(c, "UPDATE limits SET hits = hits WHERE key = ?", DBP(DB_S(k->key)))) ||
        (err = db_query(c, &st, "SELECT hits, start_at, until_at FROM limits WHERE key = ?", DBP(DB_S(k->key)))))
        return err;
    if (db_next(st)) {
        s.hits = db_int(st, 0);
        s.start = db_int(st, 1);
        s.until = db_int(st, 2);
    }
    if ((err = db_end(st)))
        return err;
    k->v = limit_hit(k->r, &s, k->now);
    k->wait = limit_wait(&s, k->now);
    return db_exec(c, "UPDATE limits SET hits = ?, start_at = ?, until_at = ? WHERE key = ?",
                   DBP(DB_I(s.hits), DB_I(s.start), DB_I(s.until), DB_S(k->key)));
}

int limit_count(struct db_conn *c, const struct limit_rule *r, const char *key, int64_t now, enum limit_verdict *v, int64_t *wait)
{
    struct count k = {r, key, now, LIMIT_OK, 0};
    int err = db_tx_conn(c, count_h, &k);

    *v = k.v;
    *wait = k.wait;
    return err;
}

int limit_clear(struct db_conn *c, const char *key)
{
    return db_exec(c, "DELETE FROM limits WHERE key = ?", DBP(DB_S(key)));
}

int limit_clear_prefix(struct db_conn *c, const char *prefix)
{
    /* substr(), not LIKE: a key may hold '%' or '_' as typed by anyone. */
    return db_exec(c, "DELETE FROM limits WHERE substr(key, 1, length(?)) = ?", DBP(DB_S(prefix), DB_S(prefix)));
}

int limit_until(struct db_conn *c, const char *key, const char *prefix, int64_t now, int64_t *until)
{
    const char *k = key ? key : prefix, *p = prefix ? prefix : key;
    /* until_at first: the index finds the few keys refused now. */
    return db_query_int(
        c, until, "SELECT COALESCE(MAX(until_at), 0) FROM limits WHERE until_at > ? AND (key = ? OR substr(key, 1, length(?)) = ?)",
        DBP(DB_I(now), DB_S(k), DB_S(p), DB_S(p)));
}

int limit_sweep(struct db_conn *c, int64_t now, int64_t before)
{
    return db_exec(c, "DELETE FROM limits WHERE until_at < ? AND start_at < ?", DBP(DB_I(now), DB_I(before)));
}

/* ---- guarding a secret ---- */

#define GUARD_KEY_MAX 192

static void guard_keys(const struct limit_guard *g, const char *subject, const char *ip, char pair[GUARD_KEY_MAX],
                       char addr[GUARD_KEY_MAX], char one[GUARD_KEY_MAX])
{
    /* An address holds no '|', so no subject (typed by anyone) makes its
     * pair key another subject's. */
    snprintf(pair, GUARD_KEY_MAX, "%spair:%s|%s", g->ns, subject, ip ? ip : "");
    snprintf(addr, GUARD_KEY_MAX, "%saddr:%s", g->ns, ip ? ip : "");
    snprintf(one, GUARD_KEY_MAX, "%s:%s", g->ns, subject);
}

int limit_guard_check(struct db_conn *c, const struct limit_guard *g, const char *subject, const char *ip, int64_t now,
                      enum limit_scope *refused, int64_t *wait)
{
    char pair[GUARD_KEY_MAX], addr[GUARD_KEY_MAX], one[GUARD_KEY_MAX];
    int err;

    guard_keys(g, subject, ip, pair, addr, one);
    *refused = LIMIT_NONE;
    if ((err = limit_check(c, addr, now, wait)) || *wait) {
        *refused = LIMIT_ADDR;
        return err;
    }
    if ((err = limit_check(c, pair, now, wait)) || *wait) {
        *refused = LIMIT_PAIR;
        return err;
    }
    if ((err = limit_check(c, one, now, wait)) || *wait)
        *refused = LIMIT_SUBJECT;
    return err;
}

int limit_guard_fail(struct db_conn *c, const struct limit_guard *g, const char *subject, const char *ip, int64_t now,
                     bool with_subject, struct limit_outcome *out)
{
    char pair[GUARD_KEY_MAX], addr[GUARD_KEY_MAX], one[GUARD_KEY_MAX];
    int64_t wait;
    int err;

    guard_keys(g, subject, ip, pair, addr, one);
    memset(out, 0, sizeof(*out));
    if ((err = limit_count(c, &g->pair, pair, now, &out->pair, &wait)) ||
        (err = limit_count(c, &g->addr, addr, now, &out->addr, &wait)) || !with_subject)
        return err;
    if ((err = limit_count(c, &g->subject, one, now, &out->subject, &wait)))
        return err;
    out->slowed = out->subject == LIMIT_DELAYED && wait == g->subject.delay; /* the first delay */
    return 0;
}

int limit_guard_clear(struct db_conn *c, const struct limit_guard *g, const char *subject, const char *ip)
{
    char pair[GUARD_KEY_MAX], addr[GUARD_KEY_MAX], one[GUARD_KEY_MAX];
    int err;

    guard_keys(g, subject, ip ? ip : "", pair, addr, one);
    if (ip)
        return limit_clear(c, pair);
    /* pair is "<ns>pair:<subject>|": the prefix of every address's key. */
    if ((err = limit_clear(c, one)))
        return err;
    return limit_clear_prefix(c, pair);
}

int limit_guard_until(struct db_conn *c, const struct limit_guard *g, const char *subject, int64_t now, int64_t *until)
{
    char pair[GUARD_KEY_MAX], addr[GUARD_KEY_MAX], one[GUARD_KEY_MAX];
    guard_keys(g, subject, "", pair, addr, one);
    return limit_until(c, one, pair, now, until);
}

/* ---- in memory ---- */

struct limit_slot *limit_slot_get(struct limit_slot *t, int n, const char *key, bool add, int64_t now)
{
    struct limit_slot *oldest = &t[0];
    char k[LIMIT_KEY_MAX];

    snprintf(k, sizeof(k), "%s", key); /* a longer key is its first LIMIT_KEY_MAX - 1 bytes, always */
    for (int i = 0; i < n; i++) {
        if (t[i].key[0] && !strcmp(t[i].key, k)) {
            t[i].used = now;
            return &t[i];
        }
        if (t[i].used < oldest->used)
            oldest = &t[i];
    }
    if (!add)
        return NULL;
    memset(oldest, 0, sizeof(*oldest));
    memcpy(oldest->key, k, sizeof(k));
    oldest->used = now;
    return oldest;
}
