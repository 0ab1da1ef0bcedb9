/*
 * Login throttling: the limiter's guard (src/limit) over accounts, in the
 * store so every node sees it. After OWASP, the address on the account
 * ("acctpair:<login>|<ip>") and the address on all accounts
 * ("acctaddr:<ip>") are locked after too many failures; the account itself
 * ("acct:<login>") is only slowed down, 1 s, 2 s, 4 s ... up to
 * auth.max_delay, so that guessing from many addresses stays slow while its
 * owner, from a clean address, waits at most that long - never a lock-out.
 */
#include "auth_int.h"

static struct limit_guard guard(void)
{
    struct limit_guard g = {
        .ns = "acct",
        .pair = {.window = auth_cfg.failure_window, .lock_after = auth_cfg.max_failures_account, .lock = auth_cfg.lockout},
        .addr = {.window = auth_cfg.failure_window, .lock_after = auth_cfg.max_failures_address, .lock = auth_cfg.lockout},
        .subject = {.window = auth_cfg.failure_window,
                    .free = auth_cfg.max_failures_account,
                    .delay = WTIME_SEC,
                    .delay_max = auth_cfg.max_delay},
    };
    return g;
}

int throttle_check(struct db_conn *c, const char *login, const char *ip, int64_t now)
{
    struct limit_guard g = guard();
    enum limit_scope refused;
    int64_t wait = 0;
    int err;

    if ((err = limit_guard_check(c, &g, login, ip, now, &refused, &wait)) || refused == LIMIT_NONE)
        return err;
    int64_t s = limit_seconds(wait);
    if (refused == LIMIT_SUBJECT)
        err_set(WASL_ELIMIT, "auth.slow_down", "too many failed logins on this account; try again in %lld second(s)", (long long)s);
    else
        err_set(WASL_ELIMIT, "auth.locked", "too many failed logins; try again in %lld minute(s)", (long long)((s + 59) / 60));
    err_set_retry_after(s);
    return WASL_ELIMIT;
}

int throttle_fail(struct db_conn *c, enum throttle_kind kind, const char *login, const char *ip, int64_t now, bool *acct_locked,
                  bool *addr_locked, bool *slowed)
{
    struct limit_guard g = guard();
    struct limit_outcome o;
    /* A logged-in user who mistypes the current password slows nobody else. */
    int err = limit_guard_fail(c, &g, login, ip, now, kind == THROTTLE_LOGIN, &o);

    *acct_locked = o.pair == LIMIT_LOCKED;
    *addr_locked = o.addr == LIMIT_LOCKED;
    *slowed = o.slowed;
    return err;
}

int throttle_clear(struct db_conn *c, const char *login, const char *ip)
{
    struct limit_guard g = guard();
    return limit_guard_clear(c, &g, login, ip);
}

int throttle_until(struct db_conn *c, const char *login, int64_t now, int64_t *until)
{
    struct limit_guard g = guard();
    return limit_guard_until(c, &g, login, now, until);
}
