/*
 * Login throttling: failed logins counted per key ("acct:<login>",
 * "addr:<ip>") over a window in the store, so every node sees them. Too many
 * failures lock the key for a while; the count starts again after the window.
 */
#include "auth_int.h"

int throttle_check(struct db_conn *c, const char *key, int64_t now, int64_t *retry_after)
{
    int64_t until = 0;
    int err = db_query_int(c, &until, "SELECT locked_until FROM login_throttle WHERE key = ?", DBP(DB_S(key)));

    if (err == WASL_ENOENT) {
        err_clear();
        return 0;
    }
    if (err)
        return err;
    if (until > now) {
        *retry_after = (until - now + WTIME_SEC - 1) / WTIME_SEC;
        err_set(WASL_ELIMIT, "auth.locked", "too many failed logins; try again in %lld minute(s)",
                (long long)((*retry_after + 59) / 60));
        err_set_retry_after(*retry_after);
        return WASL_ELIMIT;
    }
    return 0;
}

int throttle_fail(struct db_conn *c, const char *key, int max, int64_t now, bool *locked_now)
{
    int64_t failures = 0, window_end = now - auth_cfg.failure_window;
    int err;

    *locked_now = false;
    /* Insert-if-missing then one UPDATE: the UPDATE takes the row lock, so
     * concurrent failures on one key are all counted (on both backends). */
    if ((err = db_exec(c,
                       "INSERT INTO login_throttle (key, failures, window_start, locked_until) VALUES (?, 0, ?, 0) "
                       "ON CONFLICT (key) DO NOTHING",
                       DBP(DB_S(key), DB_I(now)))))
        return err;
    if ((err = db_exec(c,
                       "UPDATE login_throttle SET "
                       "failures = CASE WHEN window_start < ? THEN 1 ELSE failures + 1 END, "
                       "window_start = CASE WHEN window_start < ? THEN ? ELSE window_start END "
                       "WHERE key = ?",
                       DBP(DB_I(window_end), DB_I(window_end), DB_I(now), DB_S(key)))))
        return err;
    if ((err = db_query_int(c, &failures, "SELECT failures FROM login_throttle WHERE key = ?", DBP(DB_S(key)))))
        return err;
    if (failures < max)
        return 0;
    *locked_now = failures == max;
    return db_exec(c, "UPDATE login_throttle SET locked_until = ? WHERE key = ?", DBP(DB_I(now + auth_cfg.lockout), DB_S(key)));
}

int throttle_clear(struct db_conn *c, const char *key)
{
    return db_exec(c, "DELETE FROM login_throttle WHERE key = ?", DBP(DB_S(key)));
}
