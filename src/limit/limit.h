/*
 * limit: one limiter for everything that counts failures or hits per key -
 * logins (per account, per address, per account and address), the portal's
 * PIN attempts and filings, and the SIP registrar's failed authentications.
 * The decision is one pure function, limit_hit(), over a key's state (hits
 * in a window, refused until); the state lives either in the store (table
 * `limits`, shared by every node) or in a caller's fixed in-memory table
 * (the SIP real-time thread, which never waits on the store).
 */
#ifndef WASL_LIMIT_H
#define WASL_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct db_conn;

/* What a key may do. Times in microseconds. A rule locks (lock_after > 0:
 * the hit that reaches lock_after refuses the key for `lock`, and counting
 * starts again), slows down (delay > 0: every hit past `free` refuses the
 * key for delay, 2 x delay, 4 x delay ... up to delay_max), or both. */
struct limit_rule {
    int64_t window;    /* hits are counted from the first one for this long */
    int lock_after;    /* 0: never locks */
    int64_t lock;      /* how long a lock lasts */
    int free;          /* hits before the delays begin */
    int64_t delay;     /* 0: no delays */
    int64_t delay_max; /* the longest delay */
};

/* A key's state; all zero for a key never seen. */
struct limit_state {
    int64_t hits;  /* in the window that began at start */
    int64_t start; /* when the window began */
    int64_t until; /* refused until then */
};

enum limit_verdict {
    LIMIT_OK,      /* counted; the key may go on */
    LIMIT_DELAYED, /* counted; the key is refused for a delay (s->until) */
    LIMIT_LOCKED,  /* counted, and this hit locked the key (s->until) */
};

/* ---- the decision (pure) ---- */

/* How long the key must still wait at now (microseconds, 0: it may go on). */
int64_t limit_wait(const struct limit_state *s, int64_t now);
/* Counts one hit at now into s under rule r and says what follows. A lock
 * starts the count again (after it, the key has its allowance back). */
enum limit_verdict limit_hit(const struct limit_rule *r, struct limit_state *s, int64_t now);
/* Whole seconds to announce for a wait (Retry-After), at least 1. */
int64_t limit_seconds(int64_t wait);

/* ---- state in the store (table limits), shared by all nodes ---- */

/* *wait: how long key must still wait at now (0: it may go on). */
int limit_check(struct db_conn *c, const char *key, int64_t now, int64_t *wait);
/* Counts a hit on key at now under r, atomically (its own transaction, or
 * part of the caller's); *v says what follows, *wait for how long. */
int limit_count(struct db_conn *c, const struct limit_rule *r, const char *key, int64_t now, enum limit_verdict *v, int64_t *wait);
/* Forgets key; limit_clear_prefix() every key that begins with prefix. */
int limit_clear(struct db_conn *c, const char *key);
int limit_clear_prefix(struct db_conn *c, const char *prefix);
/* *until: the latest time until which key, or any key that begins with
 * prefix (either may be NULL), is refused after now; 0 when none is. */
int limit_until(struct db_conn *c, const char *key, const char *prefix, int64_t now, int64_t *until);
/* Deletes the state of keys neither refused at now nor counted since
 * `before` (every rule's window is shorter than now - before). */
int limit_sweep(struct db_conn *c, int64_t now, int64_t before);

/* ---- guarding a secret (a password, a PIN), after OWASP ---- */

/* Three keys per attempt on a subject (an account, a case reference) from
 * an address: "<ns>pair:<subject>|<ip>" and "<ns>addr:<ip>" lock (the
 * address out of the subject, or out of every subject); "<ns>:<subject>"
 * only slows down, so nobody can lock the subject's owner out. */
struct limit_guard {
    const char *ns;
    struct limit_rule pair, addr, subject;
};

enum limit_scope { LIMIT_NONE, LIMIT_ADDR, LIMIT_PAIR, LIMIT_SUBJECT };

struct limit_outcome {
    enum limit_verdict pair, addr, subject;
    bool slowed; /* this failure began the subject's slow-down */
};

/* Which key refuses an attempt on subject from ip at now (LIMIT_NONE: it
 * may go on), and for how long (*wait). */
int limit_guard_check(struct db_conn *c, const struct limit_guard *g, const char *subject, const char *ip, int64_t now,
                      enum limit_scope *refused, int64_t *wait);
/* Counts a failure on the pair and address keys, and on the subject's when
 * with_subject. */
int limit_guard_fail(struct db_conn *c, const struct limit_guard *g, const char *subject, const char *ip, int64_t now,
                     bool with_subject, struct limit_outcome *out);
/* Forgets the failures of subject from ip, or with ip NULL every one on
 * subject (the subject's delay and every address's lock on it). */
int limit_guard_clear(struct db_conn *c, const struct limit_guard *g, const char *subject, const char *ip);
/* *until: until when subject is slowed down or an address locked out of it
 * (0: neither, at now). */
int limit_guard_until(struct db_conn *c, const struct limit_guard *g, const char *subject, int64_t now, int64_t *until);

/* ---- state in memory, for a thread that must not wait ---- */

#define LIMIT_KEY_MAX 64

struct limit_slot {
    char key[LIMIT_KEY_MAX];
    struct limit_state st;
    int64_t used;
};

/* The slot of key in t[0..n-1]; when absent and add, the least recently
 * used slot is given to key (its state all zero); else NULL. */
struct limit_slot *limit_slot_get(struct limit_slot *t, int n, const char *key, bool add, int64_t now);

#endif
