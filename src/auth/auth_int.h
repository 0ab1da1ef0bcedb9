/*
 * auth internals: settings read once at start, shared by the auth files.
 */
#ifndef WASL_AUTH_INT_H
#define WASL_AUTH_INT_H

#include "auth.h"

struct auth_settings {
    int64_t session_idle;     /* microseconds */
    int64_t session_absolute; /* microseconds */
    int64_t failure_window;   /* microseconds */
    int64_t lockout;          /* microseconds */
    int max_failures_account;
    int max_failures_address;
    int min_password;
    unsigned long long opslimit;
    size_t memlimit;
};
extern struct auth_settings auth_cfg;

/* Row -> struct user for "SELECT " USER_COLUMNS " FROM users u ...". */
#define USER_COLUMNS                                                                                                               \
    "u.id, u.login, u.display_name, u.role, u.consulate, u.language, u.disabled, u.must_change_password, u.created_at, "           \
    "u.updated_at, u.last_login_at"
void user_from_row(struct db_stmt *s, int col, struct user *u);

/* Login throttling (throttle.c). */
int throttle_check(struct db_conn *c, const char *key, int64_t now, int64_t *retry_after);
/* Counts a failure; *locked_now is set when this failure locked the key. */
int throttle_fail(struct db_conn *c, const char *key, int max, int64_t now, bool *locked_now);
int throttle_clear(struct db_conn *c, const char *key);

#endif
