/*
 * auth at the C level, with the clock injected: passwords, accounts,
 * sessions and their time-outs, throttling, and the audit chain under
 * tampering. Runs on SQLite, and on PostgreSQL when WASL_TEST_DB is set.
 */
#include "test_db.h"
#include "auth/auth.h"
#include "geo/geo.h"

static struct db *db;
static wtime_t t0;
static const struct actor sys = {.login = "unit", .request_id = "r1", .ip = "10.0.0.1"};

static int exec(const char *sql)
{
    struct db_conn *c;
    int err = db_conn_get(db, &c);
    if (!err) {
        err = db_exec(c, sql, NULL, 0);
        db_conn_put(c);
    }
    return err;
}

static int setup(void **state)
{
    const char *data = getenv("WASL_TEST_DATA");
    (void)state;
    conf_reset();
    conf_register(store_conf, store_conf_count);
    conf_register(auth_conf, auth_conf_count);
    conf_register(audit_conf, audit_conf_count);
    conf_set("auth.password_hash", "interactive", "test");
    conf_set("auth.max_failures_account", "3", "test");
    conf_set("auth.max_failures_address", "10", "test");
    conf_set("auth.lockout", "5m", "test");
    conf_set("auth.max_delay", "5s", "test");
    if (wrand_init() || auth_init() || geo_load(data ? data : "data"))
        return -1;
    if (test_db_open("auth.db", &db))
        return -1;
    clock_parse_utc("2026-11-28T10:00:00Z", &t0);
    clock_freeze(t0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    db_close(db);
    clock_reset();
    return 0;
}

static void password_policy(void **state)
{
    static const struct {
        const char *pw;
        const char *code; /* NULL: accepted */
    } cases[] = {
        {"short1", "auth.password_short"},
        {"password12", "auth.password_common"},
        {"Password1!", "auth.password_common"},
        {"iloveyou123", "auth.password_common"},
        {"qwerty1234", "auth.password_common"}, /* "qwerty" is on the lists */
        {"asdfghjkl;'", "auth.password_pattern"},
        {"aaaaaaaaaaaaaaaa", "auth.password_pattern"},
        {"abcdefghij", "auth.password_pattern"},
        {"1234567890", "auth.password_pattern"},
        {"alice-login", "auth.password_personal"},      /* the login */
        {"Alice-Login-2026", "auth.password_personal"}, /* the login, give or take case, digits, punctuation */
        {"nigol-ecila", "auth.password_personal"},      /* backwards */
        {"Wonderland1990", "auth.password_personal"},   /* a word of the name */
        {"Alice.Alice.7", "auth.password_personal"},    /* repeated */
        {"correct horse battery", NULL},
        {"admin-demo-2026", NULL},
        {"Velvet-Harbor-73", NULL},
        {"كلمةسرية2026", NULL}, /* Arabic letters and digits */
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int err = auth_password_policy("alice-login", "Alice Wonderland", cases[i].pw, NULL);
        if (cases[i].code ? err != WASL_EINVAL || strcmp(err_code(), cases[i].code) : err != 0)
            fail_msg("policy case %zu (%s): %s %s, want %s", i, cases[i].pw, err_code(), err_message(),
                     cases[i].code ? cases[i].code : "accepted");
    }
    char pw[32];
    auth_random_password(pw, sizeof(pw));
    assert_int_equal(strlen(pw), 23);
    assert_int_equal(auth_password_policy("x", "X", pw, NULL), 0);
    /* Not the current password again. */
    char cur[256];
    assert_int_equal(auth_hash_password("Velvet-Harbor-73", cur, sizeof(cur)), 0);
    assert_int_equal(auth_password_policy("alice-login", "Alice", "Velvet-Harbor-73", cur), WASL_EINVAL);
    assert_string_equal(err_code(), "auth.password_reused");
    assert_int_equal(auth_password_policy("alice-login", "Alice", "Copper-Lantern-88", cur), 0);
    char hash[256];
    assert_int_equal(auth_hash_password("Secret-123", hash, sizeof(hash)), 0);
    assert_non_null(strstr(hash, "$argon2id$"));
    assert_true(auth_verify_password(hash, "Secret-123"));
    assert_false(auth_verify_password(hash, "Secret-124"));
}

static void login_session_timeouts(void **state)
{
    struct user_fields f = {"alice", "Alice", "agent", NULL, "ar", "Alice-tulip-4271", false};
    struct session s, s2;
    int64_t id, retry;
    (void)state;
    assert_int_equal(user_create(db, &sys, &f, &id), 0);
    assert_int_equal(user_create(db, &sys, &f, NULL), WASL_ECONFLICT);
    assert_int_equal(auth_login(db, "ALICE", "Alice-tulip-4271", &sys, &s, &retry), 0);
    assert_string_equal(s.user.language, "ar");
    assert_int_equal(auth_session(db, s.token, &s2), 0);
    assert_string_equal(s2.csrf, s.csrf);

    /* Idle: 29 minutes is fine and refreshes the idle clock... */
    clock_freeze(t0 + 29 * 60 * WTIME_SEC);
    assert_int_equal(auth_session(db, s.token, &s2), 0);
    clock_freeze(t0 + 58 * 60 * WTIME_SEC);
    assert_int_equal(auth_session(db, s.token, &s2), 0);
    /* ...31 minutes without a request is not. */
    clock_freeze(t0 + 89 * 60 * WTIME_SEC + 1);
    assert_int_equal(auth_session(db, s.token, &s2), WASL_EAUTH);
    assert_string_equal(err_code(), "auth.session_expired");
    /* Gone for good. */
    assert_int_equal(auth_session(db, s.token, &s2), WASL_EAUTH);
    assert_string_equal(err_code(), "auth.required");

    /* Absolute: 12 hours even when busy. */
    clock_freeze(t0);
    assert_int_equal(auth_login(db, "alice", "Alice-tulip-4271", &sys, &s, &retry), 0);
    for (int m = 20; m <= 12 * 60; m += 20) {
        clock_freeze(t0 + (int64_t)m * 60 * WTIME_SEC);
        assert_int_equal(auth_session(db, s.token, &s2), 0);
    }
    clock_freeze(t0 + (12 * 60 + 1) * 60 * WTIME_SEC);
    assert_int_equal(auth_session(db, s.token, &s2), WASL_EAUTH);
    clock_freeze(t0);
}

static void throttling(void **state)
{
    struct user_fields f = {"bob", "Bob", "supervisor", NULL, NULL, "Bob-violet-5193", false};
    struct actor from = sys;
    struct session s;
    int64_t retry;
    (void)state;
    clock_freeze(t0 + 24 * 3600 * WTIME_SEC);
    assert_int_equal(user_create(db, &sys, &f, NULL), 0);
    from.ip = "10.9.9.9";
    for (int i = 0; i < 2; i++)
        assert_int_equal(auth_login(db, "bob", "wrong-pass-1", &from, &s, &retry), WASL_EAUTH);
    /* The failure that locks the account says so. */
    assert_int_equal(auth_login(db, "bob", "wrong-pass-1", &from, &s, &retry), WASL_ELIMIT);
    assert_int_equal(retry, 300);
    assert_int_equal(auth_login(db, "bob", "Bob-violet-5193", &from, &s, &retry), WASL_ELIMIT);
    assert_true(retry > 0 && retry <= 300);
    /* Only that address is locked out of bob: bob, from another, logs in. */
    from.ip = "10.9.9.8";
    assert_int_equal(auth_login(db, "bob", "Bob-violet-5193", &from, &s, &retry), 0);
    /* Guessing from other addresses slows the account down (1 s, 2 s, 4 s ...
     * up to auth.max_delay), never locks it: one more failure from each. */
    int64_t t = t0 + 24 * 3600 * WTIME_SEC;
    char ip[32];
    for (int i = 0; i < 8; i++) {
        snprintf(ip, sizeof(ip), "10.8.0.%d", i);
        from.ip = ip;
        assert_int_equal(auth_login(db, "bob", "wrong-pass-1", &from, &s, &retry), WASL_EAUTH);
        /* The 4th failure on bob is the first past the 3 free ones. */
        int64_t want = i == 0 ? 1 : i == 1 ? 2 : i == 2 ? 4 : 5; /* auth.max_delay is 5s */
        from.ip = "10.7.7.7";
        assert_int_equal(auth_login(db, "bob", "Bob-violet-5193", &from, &s, &retry), WASL_ELIMIT);
        assert_string_equal(err_code(), "auth.slow_down");
        assert_int_equal(retry, want);
        t += want * WTIME_SEC;
        clock_freeze(t);
    }
    /* The owner, from a clean address, waits out the last delay and is in. */
    from.ip = "10.7.7.7";
    assert_int_equal(auth_login(db, "bob", "Bob-violet-5193", &from, &s, &retry), 0);
    /* The guessing address stays locked out of bob until the lock ends. */
    from.ip = "10.9.9.9";
    assert_int_equal(auth_login(db, "bob", "Bob-violet-5193", &from, &s, &retry), WASL_ELIMIT);
    assert_string_equal(err_code(), "auth.locked");
    clock_freeze(t + 301 * WTIME_SEC);
    assert_int_equal(auth_login(db, "bob", "Bob-violet-5193", &from, &s, &retry), 0);
    /* Backoffice accounts need a known consulate. */
    struct user_fields bo = {"carla", "Carla", "backoffice", "NOPE", NULL, "Carla-meadow-864", false};
    assert_int_equal(user_create(db, &sys, &bo, NULL), WASL_EINVAL);
    bo.consulate = "IT-MIL";
    assert_int_equal(user_create(db, &sys, &bo, NULL), 0);
    clock_freeze(t0);
}

static void audit_chain(void **state)
{
    struct audit_report r;
    struct db_conn *c;
    int64_t last = 0;
    (void)state;
    for (int i = 0; i < 20; i++)
        assert_int_equal(audit_append_db(db, &sys, "test.event", "thing:1", "{\"i\":1}"), 0);
    assert_int_equal(audit_verify(db, &r), 0);
    assert_int_equal(r.bad_seq, 0);
    assert_true(r.checked >= 20);
    assert_int_equal(db_conn_get(db, &c), 0);
    assert_int_equal(db_query_int(c, &last, "SELECT MAX(seq) FROM audit_log", NULL, 0), 0);
    db_conn_put(c);

    /* Entry last-2 is one of the test.event entries written above. */
    char sql[160];
    snprintf(sql, sizeof(sql), "UPDATE audit_log SET detail = '{\"i\":2}' WHERE seq = %lld", (long long)last - 2);
    assert_int_equal(exec(sql), 0);
    assert_int_equal(audit_verify(db, &r), 0);
    assert_int_equal(r.bad_seq, last - 2);
    assert_non_null(strstr(r.problem, "altered"));
    snprintf(sql, sizeof(sql), "UPDATE audit_log SET detail = '{\"i\":1}' WHERE seq = %lld", (long long)last - 2);
    assert_int_equal(exec(sql), 0);
    assert_int_equal(audit_verify(db, &r), 0);
    assert_int_equal(r.bad_seq, 0);

    assert_int_equal(exec("UPDATE audit_head SET seq = seq + 1"), 0);
    assert_int_equal(audit_verify(db, &r), 0);
    assert_int_equal(r.bad_seq, last + 1);
    assert_int_equal(exec("UPDATE audit_head SET seq = seq - 1"), 0);

    assert_int_equal(exec("DELETE FROM audit_log WHERE seq = 3"), 0);
    assert_int_equal(audit_verify(db, &r), 0);
    assert_int_equal(r.bad_seq, 3);
    assert_non_null(strstr(r.problem, "missing"));
}

/* Whether r lists a problem of this kind. */
static bool has_kind(const struct audit_report *r, const char *kind)
{
    for (int i = 0; i < r->nlisted; i++)
        if (!strcmp(r->problems[i].kind, kind))
            return true;
    return false;
}

/* The keyed chain and its checkpoints: each tampering that someone with the
 * database but not the key file can do is reported with its kind, undone,
 * and the trail is whole again; a head that does not verify is never signed;
 * a program without the key appends nothing. */
static void audit_keyed(void **state)
{
    char *key = test_tmp_path("audit.key"), *cps = test_tmp_path("audit.checkpoints");
    struct audit_report r;
    char sql[256];
    (void)state;
    conf_set("audit.key_file", key, "test");
    conf_set("audit.checkpoint_file", cps, "test");
    conf_set("audit.syslog", "false", "test");
    unlink(key);
    unlink(cps);
    /* A fresh trail (the test above left it broken). */
    assert_int_equal(exec("DELETE FROM audit_log"), 0);
    assert_int_equal(exec("UPDATE audit_head SET seq = 0, mac_from = 0, key_id = '', "
                          "hash = '0000000000000000000000000000000000000000000000000000000000000000'"),
                     0);
    assert_int_equal(audit_keys_open(db, true), 0);
    for (int i = 0; i < 10; i++)
        assert_int_equal(audit_append_db(db, &sys, "test.keyed", "thing:2", "{\"i\":1}"), 0);
    assert_int_equal(audit_checkpoint(db, "test", false), 0);
    assert_int_equal(audit_verify(db, &r), 0);
    assert_int_equal(r.nproblems, 0);
    assert_int_equal(r.keyed_from, 1);
    assert_int_equal(r.checkpoints, 2); /* when the key was made, and now */
    assert_int_equal(r.checkpoint_seq, 11);

    /* What someone with the database but not the key file does, how it is
     * undone, what verify must say, and the first entry it names. */
    static const struct {
        const char *tamper[4], *undo[4], *kind;
        int64_t seq;
    } cases[] = {
        {{"UPDATE audit_log SET detail = '{\"i\":2}' WHERE seq = 5"},
         {"UPDATE audit_log SET detail = '{\"i\":1}' WHERE seq = 5"},
         "rewritten",
         5},
        {{"UPDATE audit_log SET seq = 100 WHERE seq = 6"}, {"UPDATE audit_log SET seq = 6 WHERE seq = 100"}, "deleted", 6},
        /* The newest two entries deleted and the head set back: only the
         * signed checkpoint of entry 11 shows it. */
        {{"CREATE TABLE saved AS SELECT * FROM audit_log WHERE seq > 9", "DELETE FROM audit_log WHERE seq > 9",
          "UPDATE audit_head SET seq = 9, hash = (SELECT hash FROM audit_log WHERE seq = 9)"},
         {"INSERT INTO audit_log SELECT * FROM saved", "DROP TABLE saved",
          "UPDATE audit_head SET seq = 11, hash = (SELECT hash FROM audit_log WHERE seq = 11)"},
         "truncated",
         10},
        /* Everything deleted, the head too. */
        {{"CREATE TABLE saved AS SELECT * FROM audit_log", "CREATE TABLE saved_head AS SELECT * FROM audit_head",
          "DELETE FROM audit_log", "DELETE FROM audit_head"},
         {"INSERT INTO audit_log SELECT * FROM saved", "DROP TABLE saved", "INSERT INTO audit_head SELECT * FROM saved_head",
          "DROP TABLE saved_head"},
         "truncated",
         1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (int k = 0; k < 4 && cases[i].tamper[k]; k++)
            assert_int_equal(exec(cases[i].tamper[k]), 0);
        assert_int_equal(audit_verify(db, &r), 0);
        assert_true(r.nproblems > 0);
        assert_true(has_kind(&r, cases[i].kind));
        assert_int_equal(r.bad_seq, cases[i].seq);
        for (int k = 0; k < 4 && cases[i].undo[k]; k++)
            assert_int_equal(exec(cases[i].undo[k]), 0);
        assert_int_equal(audit_verify(db, &r), 0);
        assert_int_equal(r.nproblems, 0);
    }

    /* An entry rewritten after the last checkpoint: the next one is refused. */
    assert_int_equal(audit_append_db(db, &sys, "test.keyed", "thing:2", "{\"i\":1}"), 0);
    snprintf(sql, sizeof(sql), "UPDATE audit_log SET actor = 'mallory' WHERE seq = 12");
    assert_int_equal(exec(sql), 0);
    assert_int_equal(audit_checkpoint(db, "test", false), WASL_ECONFLICT);
    assert_int_equal(exec("UPDATE audit_log SET actor = 'unit' WHERE seq = 12"), 0);
    assert_int_equal(audit_checkpoint(db, "test", false), 0);

    /* Without the key file, nothing is appended; a server refuses to start. */
    audit_keys_forget();
    assert_int_equal(unlink(key), 0);
    assert_int_equal(audit_keys_open(db, false), 0);
    assert_int_not_equal(audit_append_db(db, &sys, "test.keyed", "thing:2", "{}"), 0);
    assert_int_equal(audit_verify(db, &r), 0);
    assert_true(has_kind(&r, "unverifiable"));
    assert_int_equal(audit_keys_open(db, true), WASL_ENOENT);
    audit_keys_forget();
    free(key);
    free(cps);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(password_policy), cmocka_unit_test(login_session_timeouts),
        cmocka_unit_test(throttling),      cmocka_unit_test(audit_chain),
        cmocka_unit_test(audit_keyed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
