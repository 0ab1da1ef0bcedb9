/*
 * Logins and sessions. A session is a random 256-bit token in an HttpOnly
 * cookie; the store keeps only its SHA-256, the CSRF token that must come
 * back on every state-changing request, and the times behind the idle and
 * absolute time-outs.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sodium.h>

#include "auth_int.h"

void auth_token_hash(const char *token, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
    hex_encode(out, h, sizeof(h));
}

static bool token_well_formed(const char *t)
{
    size_t n = 0;
    for (; t[n]; n++)
        if (!((t[n] >= '0' && t[n] <= '9') || (t[n] >= 'a' && t[n] <= 'f')))
            return false;
    return n == 64;
}

/* A hash to verify against when the login is unknown, so that a wrong
 * login costs the same time as a wrong password. */
static char dummy[256];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy(void)
{
    char pw[24];
    rand_hex(pw, 8);
    auth_hash_password(pw, dummy, sizeof(dummy));
}

static const char *dummy_hash(void)
{
    pthread_once(&dummy_once, make_dummy);
    return dummy;
}

struct fail {
    const struct actor *ctx;
    const char *login, *reason, *action;
    enum throttle_kind kind;
    int64_t user_id; /* 0: no such account */
    int64_t now;
    bool locked; /* out: this failure locked the address (out of the account or of all) */
};

/* Counts and audits one failure: a login's, or a wrong current password's. */
static int fail_h(struct db_conn *c, void *arg)
{
    struct fail *f = arg;
    char object[100], detail[160];
    bool acct_locked, addr_locked, slowed;
    int err;

    if ((err = throttle_fail(c, f->kind, f->login, f->ctx->ip, f->now, &acct_locked, &addr_locked, &slowed)))
        return err;
    /* An existing account is named by id like every other entry about it;
     * a login that matches no account is kept as typed. The address is the
     * entry's own (ip). */
    if (f->user_id)
        snprintf(object, sizeof(object), "user:%lld", (long long)f->user_id);
    else
        snprintf(object, sizeof(object), "login:%s", f->login);
    snprintf(detail, sizeof(detail), "{\"reason\":\"%s\"}", f->reason);
    struct actor anon = *f->ctx;
    if (f->kind == THROTTLE_LOGIN)
        anon.login = "anonymous";
    if ((err = audit_append(c, &anon, f->action, object, detail)))
        return err;
    f->locked = acct_locked || addr_locked;
    /* The address is locked out of this account (not the account itself). */
    if (acct_locked && (err = audit_append(c, &anon, "login.account_locked", object, "{\"scope\":\"address\"}")))
        return err;
    if (slowed && (err = audit_append(c, &anon, "login.account_slowed", object, NULL)))
        return err;
    if (addr_locked) {
        snprintf(object, sizeof(object), "address:%s", f->ctx->ip ? f->ctx->ip : "");
        err = audit_append(c, &anon, "login.address_locked", object, NULL);
    }
    return err;
}

/* The answer to a failure that locked the address: say so at once rather
 * than on the next attempt. */
static int locked_now(void)
{
    int64_t retry = limit_seconds(auth_cfg.lockout);
    err_set(WASL_ELIMIT, "auth.locked", "too many failed attempts: try again in %lld minute(s)", (long long)((retry + 59) / 60));
    err_set_retry_after(retry);
    return WASL_ELIMIT;
}

struct open {
    const struct actor *ctx;
    struct session *s;
    int64_t now;
};

static int open_h(struct db_conn *c, void *arg)
{
    struct open *o = arg;
    struct session *s = o->s;
    char object[48];
    int err;

    if ((err = throttle_clear(c, s->user.login, o->ctx->ip ? o->ctx->ip : "")))
        return err;
    /* Sweep sessions that timed out, so the table does not grow for ever. */
    if ((err = db_exec(c, "DELETE FROM sessions WHERE seen_at < ? OR created_at < ?",
                       DBP(DB_I(o->now - auth_cfg.session_idle), DB_I(o->now - auth_cfg.session_absolute)))))
        return err;
    if ((err = db_exec(c,
                       "INSERT INTO sessions (token_hash, user_id, csrf, created_at, seen_at, ip, user_agent) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)",
                       DBP(DB_S(s->token_hash), DB_I(s->user.id), DB_S(s->csrf), DB_I(o->now), DB_I(o->now),
                           DB_S(o->ctx->ip ? o->ctx->ip : ""), DB_S(o->ctx->user_agent ? o->ctx->user_agent : "")))))
        return err;
    if ((err = db_exec(c, "UPDATE users SET last_login_at = ? WHERE id = ?", DBP(DB_I(o->now), DB_I(s->user.id)))))
        return err;
    snprintf(object, sizeof(object), "user:%lld", (long long)s->user.id);
    struct actor who = *o->ctx;
    who.login = s->user.login;
    who.user_id = s->user.id;
    return audit_append(c, &who, "login.success", object, NULL);
}

int auth_login(struct db *db, const char *login_in, const char *password, const struct actor *ctx, struct session *out,
               int64_t *retry_after)
{
    char login[USER_LOGIN_MAX + 1], hash[256] = "";
    struct db_conn *c;
    struct db_stmt *st = NULL;
    int64_t now = clock_now();
    bool found = false;
    int err;

    *retry_after = 0;
    memset(out, 0, sizeof(*out));
    /* Logins are stored lower-case; compare the same way. */
    size_t n = 0;
    for (; login_in[n] && n < USER_LOGIN_MAX; n++)
        login[n] = (char)tolower((unsigned char)login_in[n]);
    login[n] = '\0';

    if ((err = db_conn_get(db, &c)))
        return err;
    if ((err = throttle_check(c, login, ctx->ip, now))) {
        *retry_after = err_retry_after();
        goto out;
    }
    if ((err = db_query(c, &st, "SELECT " USER_COLUMNS ", u.password_hash FROM users u WHERE u.login = ?", DBP(DB_S(login)))))
        goto out;
    if (db_next(st)) {
        user_from_row(st, 0, &out->user);
        snprintf(hash, sizeof(hash), "%s", db_text(st, 11));
        found = true;
    }
    if ((err = db_end(st)))
        goto out;
    db_conn_put(c);
    c = NULL;

    /* The slow hash runs with no connection held and no lock taken. */
    bool ok = auth_verify_password(found ? hash : dummy_hash(), password);
    if (!found || !ok) {
        struct fail f = {
            ctx, login, found ? "wrong_password" : "unknown_login", "login.failure", THROTTLE_LOGIN, found ? out->user.id : 0,
            now, false};
        if ((err = db_tx(db, fail_h, &f)))
            return err;
        if (f.locked) {
            err = locked_now();
            *retry_after = err_retry_after();
            return err;
        }
        return err_set(WASL_EAUTH, "auth.bad_credentials", "wrong login or password");
    }
    if (out->user.disabled) {
        char object[48];
        snprintf(object, sizeof(object), "user:%lld", (long long)out->user.id);
        audit_append_db(db, ctx, "login.refused_disabled", object, NULL);
        return err_set(WASL_EPERM, "auth.account_disabled", "this account is disabled; ask an administrator");
    }
    rand_hex(out->token, 32);
    rand_hex(out->csrf, 32);
    auth_token_hash(out->token, out->token_hash);
    out->created_at = out->seen_at = now;
    struct open o = {ctx, out, now};
    if ((err = db_tx(db, open_h, &o)))
        return err;
    out->user.last_login_at = now;
    return 0;
out:
    db_conn_put(c);
    return err;
}

int auth_session(struct db *db, const char *token, struct session *out)
{
    struct db_conn *c;
    struct db_stmt *s = NULL;
    int64_t now = clock_now();
    bool found = false, expired = false;
    int err;

    memset(out, 0, sizeof(*out));
    if (!token || !token_well_formed(token))
        return err_set(WASL_EAUTH, "auth.required", "you need to log in");
    auth_token_hash(token, out->token_hash);
    if ((err = db_conn_get(db, &c)))
        return err;
    err = db_query(c, &s,
                   "SELECT s.csrf, s.created_at, s.seen_at, " USER_COLUMNS
                   " FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?",
                   DBP(DB_S(out->token_hash)));
    if (err)
        goto out;
    if (db_next(s)) {
        found = true;
        snprintf(out->csrf, sizeof(out->csrf), "%s", db_text(s, 0));
        out->created_at = db_int(s, 1);
        out->seen_at = db_int(s, 2);
        user_from_row(s, 3, &out->user);
    }
    if ((err = db_end(s)))
        goto out;
    if (!found) {
        err = err_set(WASL_EAUTH, "auth.required", "you need to log in");
        goto out;
    }
    expired = out->user.disabled || now - out->seen_at > auth_cfg.session_idle || now - out->created_at > auth_cfg.session_absolute;
    if (expired) {
        db_exec(c, "DELETE FROM sessions WHERE token_hash = ?", DBP(DB_S(out->token_hash)));
        err = err_set(WASL_EAUTH, "auth.session_expired", "your session has ended; please log in again");
        goto out;
    }
    /* The idle clock is refreshed at most every minute (or a quarter of the
     * idle time-out): one write per user per minute, not one per request. */
    int64_t step = auth_cfg.session_idle / 4 < 60 * WTIME_SEC ? auth_cfg.session_idle / 4 : 60 * WTIME_SEC;
    if (now - out->seen_at >= step) {
        if (!db_exec(c, "UPDATE sessions SET seen_at = ? WHERE token_hash = ?", DBP(DB_I(now), DB_S(out->token_hash))))
            out->seen_at = now;
        err_clear();
    }
out:
    db_conn_put(c);
    return err;
}

int auth_logout(struct db *db, const struct actor *who, const char *token_hash)
{
    struct db_conn *c;
    char object[48];
    int err;

    if ((err = db_conn_get(db, &c)))
        return err;
    err = db_exec(c, "DELETE FROM sessions WHERE token_hash = ?", DBP(DB_S(token_hash)));
    if (!err) {
        snprintf(object, sizeof(object), "user:%lld", (long long)who->user_id);
        err = audit_append(c, who, "logout", object, NULL);
    }
    db_conn_put(c);
    return err;
}

int auth_set_language(struct db *db, const struct actor *who, const char *lang)
{
    struct db_conn *c;
    int err;

    if (!language_valid(lang))
        return err_set_field(WASL_EINVAL, "auth.invalid_language", "language", "language must be one of %s", languages_list());
    if ((err = db_conn_get(db, &c)))
        return err;
    err = db_exec(c, "UPDATE users SET language = ? WHERE id = ?", DBP(DB_S(lang), DB_I(who->user_id)));
    db_conn_put(c);
    return err;
}

int auth_check_password(struct db *db, const struct actor *who, const char *password)
{
    struct db_conn *c;
    struct db_stmt *s = NULL;
    char hash[256] = "", login[USER_LOGIN_MAX + 1] = "";
    int64_t now = clock_now();
    int err;

    if ((err = db_conn_get(db, &c)))
        return err;
    if (!(err = db_query(c, &s, "SELECT password_hash, login FROM users WHERE id = ?", DBP(DB_I(who->user_id))))) {
        if (db_next(s)) {
            snprintf(hash, sizeof(hash), "%s", db_text(s, 0));
            snprintf(login, sizeof(login), "%s", db_text(s, 1));
        }
        err = db_end(s);
    }
    /* Guessing the current password with a stolen session is guessing a
     * password: the same locks as a login from this address. */
    if (!err && login[0])
        err = throttle_check(c, login, who->ip, now);
    db_conn_put(c);
    if (err)
        return err;
    if (!hash[0] || !auth_verify_password(hash, password)) {
        struct fail f = {who, login, "wrong_current_password", "user.password_check_failed", THROTTLE_PASSWORD, who->user_id,
                         now, false};
        if (login[0] && (err = db_tx(db, fail_h, &f)))
            return err;
        if (f.locked)
            return locked_now();
        return err_set_field(WASL_EINVAL, "auth.wrong_password", "current_password", "the current password is wrong");
    }
    return 0;
}
