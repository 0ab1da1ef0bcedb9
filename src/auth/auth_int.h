/*
 * auth internals: settings read once at start, shared by the auth files.
 */
#ifndef WASL_AUTH_INT_H
#define WASL_AUTH_INT_H

#include <sodium.h>

#include "auth.h"
#include "limit/limit.h"

struct auth_settings {
    int64_t session_idle;     /* microseconds */
    int64_t session_absolute; /* microseconds */
    int64_t failure_window;   /* microseconds */
    int64_t lockout;          /* microseconds */
    int64_t max_delay;        /* microseconds */
    int max_failures_account;
    int max_failures_address;
    int min_password;
    int min_password_strength; /* log10 of the guesses a password must need */
    unsigned long long opslimit;
    size_t memlimit;
};
extern struct auth_settings auth_cfg;

/* Row -> struct user for "SELECT " USER_COLUMNS " FROM users u ...". */
#define USER_COLUMNS                                                                                                               \
    "u.id, u.login, u.display_name, u.role, u.consulate, u.language, u.disabled, u.must_change_password, u.created_at, "           \
    "u.updated_at, u.last_login_at"
void user_from_row(struct db_stmt *s, int col, struct user *u);

/* Login throttling (throttle.c), on the limiter. */
enum throttle_kind {
    THROTTLE_LOGIN,    /* a failed login: every key counts */
    THROTTLE_PASSWORD, /* a wrong current password: the (account, address) and address keys */
};
/* 0 when login may try from ip now; WASL_ELIMIT (auth.locked for the
 * address, or the address on this account; auth.slow_down for the account's
 * delay) with Retry-After when not. */
int throttle_check(struct db_conn *c, const char *login, const char *ip, int64_t now);
/* Counts a failure of login from ip (audited by the caller); *locked says
 * the address is now locked (out of the account or of all), *slowed that
 * the account's delay began with this failure. */
int throttle_fail(struct db_conn *c, enum throttle_kind kind, const char *login, const char *ip, int64_t now, bool *acct_locked,
                  bool *addr_locked, bool *slowed);
/* Forgets the failures of login from ip (a login that succeeded), or with
 * ip NULL all of the account's (an unlock, a new password). */
int throttle_clear(struct db_conn *c, const char *login, const char *ip);
/* Until when the account is slowed down, or an address locked out of it. */
int throttle_until(struct db_conn *c, const char *login, int64_t now, int64_t *until);
/* The same, as a column of a query over "users u" whose one parameter is
 * now (NULL: not throttled now); it reads only the keys refused now, found
 * by the index on limits.until_at, however many an attack left. */
#define THROTTLE_UNTIL_SQL                                                                                                         \
    "(SELECT MAX(t.until_at) FROM limits t WHERE t.until_at > ? AND (t.key = 'acct:' || u.login OR "                               \
    "substr(t.key, 1, length(u.login) + 10) = 'acctpair:' || u.login || '|'))"

/* The audit key (checkpoint.c): read-only once loaded. Entries from seq
 * `from` on are MACed with `mac`; checkpoints are signed with `sk`. */
struct audit_keys {
    bool loaded;
    unsigned char mac[crypto_auth_hmacsha512256_KEYBYTES];
    unsigned char sk[crypto_sign_SECRETKEYBYTES];
    unsigned char pk[crypto_sign_PUBLICKEYBYTES];
    int64_t from;
    char id[48]; /* the public key in base64: names the key in audit_head and the checkpoints */
};
extern struct audit_keys audit_key;

/* A signed checkpoint as read back: the head it saw. */
struct audit_cp {
    int64_t seq;
    char hash[65];
    char at[40];
};
/* Adds a problem to r (the first also fills bad_seq and problem). */
void audit_problem(struct audit_report *r, int64_t seq, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Checks entries from from_seq (prev: the hash of the entry before it;
 * NULL: the first entry's link is taken as it is) up to the head when
 * upto_head, else to the newest entry, each against its predecessor, its hash or MAC
 * and the checkpoints cps (sorted by seq), then against audit_head;
 * problems go to r. *last gets the newest entry read, *head_seq and
 * head_hash the head that was checked. */
int audit_check(struct db_conn *c, int64_t from_seq, const char *prev, bool upto_head, const struct audit_cp *cps, int ncps,
                struct audit_report *r, int64_t *last, int64_t *head_seq, char head_hash[65]);
/* Reads the checkpoints of one file (lines without one are skipped) into
 * *cps (grown, caller frees), checking each signature with pk; a bad line is
 * a "bad_signature" problem in r. A missing file is WASL_ENOENT. */
int audit_checkpoints_read(const char *path, const unsigned char *pk, struct audit_cp **cps, int *n, struct audit_report *r);

#endif
