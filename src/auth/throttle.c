/*
 * Login throttling on the limiter (src/limit), in the store so every node
 * sees it. Three keys per attempt, after OWASP: the address on the account
 * ("acctaddr:<login>|<ip>") and the address on all accounts ("addr:<ip>")
 * are locked after too many failures; the account itself ("acct:<login>")
 * is only slowed down, 1 s, 2 s, 4 s ... up to auth.max_delay, so that
 * guessing from many addresses stays slow while its owner, from a clean
 * address, waits at most that long - never a lock-out.
 */
#include <stdio.h>
#include <string.h>

#include "auth_int.h"

#define KEY_MAX 160

static void keys(const char *login, const char *ip, char acct[KEY_MAX], char pair[KEY_MAX], char addr[KEY_MAX])
{
    snprintf(acct, KEY_MAX, "acct:%s", login);
    snprintf(pair, KEY_MAX, "acctaddr:%s|%s", login, ip ? ip : "");
    snprintf(addr, KEY_MAX, "addr:%s", ip ? ip : "");
}

static int locked(int64_t wait)
{
    int64_t s = limit_seconds(wait);
    err_set(WASL_ELIMIT, "auth.locked", "too many failed logins; try again in %lld minute(s)", (long long)((s + 59) / 60));
    err_set_retry_after(s);
    return WASL_ELIMIT;
}

int throttle_check(struct db_conn *c, const char *login, const char *ip, int64_t now)
{
    char acct[KEY_MAX], pair[KEY_MAX], addr[KEY_MAX];
    int64_t wait = 0;
    int err;

    keys(login, ip, acct, pair, addr);
    if ((err = limit_check(c, addr, now, &wait)) || (!wait && (err = limit_check(c, pair, now, &wait))))
        return err;
    if (wait)
        return locked(wait);
    if ((err = limit_check(c, acct, now, &wait)) || !wait)
        return err;
    int64_t s = limit_seconds(wait);
    err_set(WASL_ELIMIT, "auth.slow_down", "too many failed logins on this account; try again in %lld second(s)", (long long)s);
    err_set_retry_after(s);
    return WASL_ELIMIT;
}

int throttle_fail(struct db_conn *c, enum throttle_kind kind, const char *login, const char *ip, int64_t now, bool *acct_locked,
                  bool *addr_locked, bool *slowed)
{
    const struct limit_rule pair_rule = {
        .window = auth_cfg.failure_window, .lock_after = auth_cfg.max_failures_account, .lock = auth_cfg.lockout};
    const struct limit_rule addr_rule = {
        .window = auth_cfg.failure_window, .lock_after = auth_cfg.max_failures_address, .lock = auth_cfg.lockout};
    const struct limit_rule acct_rule = {.window = auth_cfg.failure_window,
                                         .free = auth_cfg.max_failures_account,
                                         .delay = WTIME_SEC,
                                         .delay_max = auth_cfg.max_delay};
    char acct[KEY_MAX], pair[KEY_MAX], addr[KEY_MAX];
    enum limit_verdict v = LIMIT_OK;
    int64_t wait;
    int err;

    keys(login, ip, acct, pair, addr);
    *acct_locked = *addr_locked = *slowed = false;
    if ((err = limit_count(c, &pair_rule, pair, now, &v, &wait)))
        return err;
    *acct_locked = v == LIMIT_LOCKED;
    if ((err = limit_count(c, &addr_rule, addr, now, &v, &wait)))
        return err;
    *addr_locked = v == LIMIT_LOCKED;
    /* A logged-in user who mistypes the current password slows nobody else. */
    if (kind == THROTTLE_PASSWORD)
        return 0;
    if ((err = limit_count(c, &acct_rule, acct, now, &v, &wait)))
        return err;
    *slowed = v == LIMIT_DELAYED && wait == acct_rule.delay; /* the first delay */
    return 0;
}

int throttle_clear(struct db_conn *c, const char *login, const char *ip)
{
    char acct[KEY_MAX], pair[KEY_MAX], addr[KEY_MAX];
    int err;

    keys(login, ip, acct, pair, addr);
    if (ip)
        return limit_clear(c, pair);
    /* pair is "acctaddr:<login>|": the prefix of every address's key on it. */
    if ((err = limit_clear(c, acct)))
        return err;
    return limit_clear_prefix(c, pair);
}

int throttle_until(struct db_conn *c, const char *login, int64_t *until)
{
    char acct[KEY_MAX], pair[KEY_MAX], addr[KEY_MAX];
    keys(login, NULL, acct, pair, addr);
    return limit_until(c, acct, pair, until);
}
