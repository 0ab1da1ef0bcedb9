/*
 * The store on SQLite (a temporary file), and on PostgreSQL when
 * WASL_TEST_DB names a database (make test sets it).
 */
#include <pthread.h>

#include "test_db.h"

static struct db *db;

static int setup(void **state)
{
    struct db_conn *c;
    (void)state;
    conf_reset();
    conf_register(store_conf, store_conf_count);
    if (test_db_open("store.db", &db)) {
        fprintf(stderr, "cannot open the store: %s\n", err_message());
        return -1;
    }
    if (db_conn_get(db, &c))
        return -1;
    db_exec(c, "DROP TABLE IF EXISTS unit_t", NULL, 0);
    int err = db_exec(c, "CREATE TABLE unit_t (id BIGINT PRIMARY KEY, name TEXT UNIQUE, n BIGINT, data BYTEA, x TEXT)", NULL, 0);
    db_conn_put(c);
    return err ? -1 : 0;
}

static int teardown(void **state)
{
    struct db_conn *c;
    (void)state;
    if (db_conn_get(db, &c) == 0) {
        db_exec(c, "DROP TABLE IF EXISTS unit_t", NULL, 0);
        db_conn_put(c);
    }
    db_close(db);
    return 0;
}

static void roundtrip(void **state)
{
    struct db_conn *c;
    struct db_stmt *s;
    const unsigned char blob[] = {0, 1, 2, 255, 0, 'x'};
    const char *text = "O'Brien \"x\" 100% ; DROP TABLE unit_t; -- العربية ?";
    size_t len;
    (void)state;
    assert_int_equal(db_conn_get(db, &c), 0);
    assert_int_equal(db_exec(c, "INSERT INTO unit_t (id, name, n, data, x) VALUES (?, ?, ?, ?, ?)",
                             DBP(DB_I(1), DB_S(text), DB_I(INT64_MIN + 1), DB_B(blob, sizeof(blob)), DB_NULL)),
                     0);
    assert_int_equal(db_changes(c), 1);
    assert_int_equal(db_query(c, &s, "SELECT name, n, data, x FROM unit_t WHERE id = ?", DBP(DB_I(1))), 0);
    assert_true(db_next(s));
    assert_string_equal(db_text(s, 0), text);
    assert_int_equal(db_int(s, 1), INT64_MIN + 1);
    const unsigned char *got = db_blob(s, 2, &len);
    assert_int_equal(len, sizeof(blob));
    assert_memory_equal(got, blob, sizeof(blob));
    assert_true(db_is_null(s, 3));
    assert_null(db_text(s, 3));
    assert_false(db_next(s));
    assert_int_equal(db_end(s), 0);
    db_conn_put(c);
}

static void errors_are_mapped(void **state)
{
    struct db_conn *c;
    int64_t v;
    (void)state;
    assert_int_equal(db_conn_get(db, &c), 0);
    assert_int_equal(db_exec(c, "INSERT INTO unit_t (id, name) VALUES (?, ?)", DBP(DB_I(2), DB_S("dup"))), 0);
    assert_int_equal(db_exec(c, "INSERT INTO unit_t (id, name) VALUES (?, ?)", DBP(DB_I(3), DB_S("dup"))), WASL_ECONFLICT);
    assert_int_equal(db_query_int(c, &v, "SELECT n FROM unit_t WHERE id = ?", DBP(DB_I(999))), WASL_ENOENT);
    assert_int_equal(db_exec(c, "SELECT * FROM no_such_table", NULL, 0), WASL_EDB);
    /* The connection is still usable after an error. */
    assert_int_equal(db_query_int(c, &v, "SELECT COUNT(*) FROM unit_t", NULL, 0), 0);
    db_conn_put(c);
}

static int insert_then_fail(struct db_conn *c, void *arg)
{
    (void)arg;
    int err = db_exec(c, "INSERT INTO unit_t (id, name) VALUES (?, ?)", DBP(DB_I(10), DB_S("rolled back")));
    return err ? err : err_set(WASL_EINVAL, "test.fail", "on purpose");
}

struct busy {
    int calls;
};

static int busy_once(struct db_conn *c, void *arg)
{
    struct busy *b = arg;
    if (b->calls++ == 0)
        return err_set(WASL_EBUSY, "store.busy", "simulated contention");
    return db_exec(c, "INSERT INTO unit_t (id, name) VALUES (?, ?)", DBP(DB_I(11), DB_S("after retry")));
}

static void transactions(void **state)
{
    struct db_conn *c;
    struct busy b = {0};
    int64_t n = -1;
    (void)state;
    assert_int_equal(db_tx(db, insert_then_fail, NULL), WASL_EINVAL);
    assert_int_equal(db_conn_get(db, &c), 0);
    assert_int_equal(db_query_int(c, &n, "SELECT COUNT(*) FROM unit_t WHERE id = 10", NULL, 0), 0);
    assert_int_equal(n, 0);
    db_conn_put(c);
    assert_int_equal(db_tx(db, busy_once, &b), 0);
    assert_int_equal(b.calls, 2);
}

static int bump(struct db_conn *c, void *arg)
{
    int64_t n;
    int err;
    (void)arg;
    /* Read-modify-write: lost updates would show in the final count. */
    if ((err = db_query_int(c, &n, "SELECT n FROM unit_t WHERE id = 100", NULL, 0)))
        return err;
    return db_exec(c, "UPDATE unit_t SET n = ? WHERE id = 100", DBP(DB_I(n + 1)));
}

static int bump_serialized(struct db_conn *c, void *arg)
{
    int err = db_exec(c, "UPDATE unit_t SET x = 'lock' WHERE id = 100", NULL, 0);
    return err ? err : bump(c, arg);
}

static void *worker(void *arg)
{
    for (int i = 0; i < 25; i++)
        if (db_tx(db, bump_serialized, NULL))
            return (void *)1;
    (void)arg;
    return NULL;
}

static void concurrent_writers(void **state)
{
    pthread_t th[8];
    struct db_conn *c;
    int64_t n = 0;
    (void)state;
    assert_int_equal(db_conn_get(db, &c), 0);
    assert_int_equal(db_exec(c, "INSERT INTO unit_t (id, name, n) VALUES (100, 'counter', 0)", NULL, 0), 0);
    db_conn_put(c);
    for (int i = 0; i < 8; i++)
        pthread_create(&th[i], NULL, worker, NULL);
    for (int i = 0; i < 8; i++) {
        void *rv;
        pthread_join(th[i], &rv);
        assert_null(rv);
    }
    assert_int_equal(db_conn_get(db, &c), 0);
    assert_int_equal(db_query_int(c, &n, "SELECT n FROM unit_t WHERE id = 100", NULL, 0), 0);
    db_conn_put(c);
    assert_int_equal(n, 200);
}

static void nested_same_statement(void **state)
{
    struct db_conn *c;
    struct db_stmt *a, *b;
    int rows = 0;
    (void)state;
    assert_int_equal(db_conn_get(db, &c), 0);
    assert_int_equal(db_query(c, &a, "SELECT id FROM unit_t ORDER BY id", NULL, 0), 0);
    while (db_next(a)) {
        /* The same SQL again while the first is open: must not clobber it. */
        assert_int_equal(db_query(c, &b, "SELECT id FROM unit_t ORDER BY id", NULL, 0), 0);
        while (db_next(b))
            ;
        assert_int_equal(db_end(b), 0);
        rows++;
    }
    assert_int_equal(db_end(a), 0);
    assert_true(rows >= 3);
    db_conn_put(c);
}

static void schema_version_and_backup(void **state)
{
    int cur, latest;
    (void)state;
    assert_int_equal(db_schema_version(db, &cur, &latest), 0);
    assert_int_equal(cur, latest);
    assert_true(latest >= 1);
    if (db_backend(db) == DB_SQLITE) {
        char *copy = test_tmp_path("copy.db");
        assert_int_equal(db_backup(db, copy), 0);
        assert_int_equal(db_backup(db, copy), WASL_ECONFLICT);
        struct db *d2;
        struct db_conn *c;
        int64_t n;
        assert_int_equal(db_open(&d2, copy), 0);
        assert_int_equal(db_conn_get(d2, &c), 0);
        assert_int_equal(db_query_int(c, &n, "SELECT n FROM unit_t WHERE id = 100", NULL, 0), 0);
        assert_int_equal(n, 200);
        db_conn_put(c);
        db_close(d2);
        free(copy);
    } else {
        assert_int_equal(db_backup(db, "/tmp/never"), WASL_EINVAL);
    }
    assert_int_equal(db_ping(db), 0);
}

/* A failed query leaves no statement behind, and the usual loop over it is
 * safe: db_next(NULL) is false, db_end(NULL) is 0 (the crash of issue 9
 * was db_end() on an uninitialised handle after a failed query). */
static void failed_query_leaves_null(void **state)
{
    struct db_conn *c;
    struct db_stmt *s = (struct db_stmt *)&c; /* anything but NULL */
    (void)state;
    assert_int_equal(db_conn_get(db, &c), 0);
    int err = db_query(c, &s, "SELECT nope FROM no_such_table", NULL, 0);
    assert_int_equal(err, WASL_EDB);
    assert_null(s);
    while (!err && db_next(s))
        fail();
    assert_false(db_next(s));
    assert_int_equal(db_end(s), 0);
    db_conn_put(c);
}

static int count_row(struct db_stmt *s, void *arg)
{
    int *n = arg;
    (*n)++;
    return db_int(s, 0) == 2 ? err_set(WASL_ECONFLICT, "test.stop", "stop here") : 0;
}

/* db_each: every row, or up to the one whose handler says stop (its error
 * returned); a bad query is its error; the connection always comes back. */
static void each_row(void **state)
{
    struct db_conn *c;
    int n = 0;
    (void)state;
    assert_int_equal(db_conn_get(db, &c), 0);
    assert_int_equal(db_exec(c, "DELETE FROM unit_t", NULL, 0), 0);
    for (int i = 1; i <= 3; i++)
        assert_int_equal(db_exec(c, "INSERT INTO unit_t (id, name) VALUES (?, ?)",
                                 DBP(DB_I(i), DB_S(i == 1   ? "a"
                                                   : i == 2 ? "b"
                                                            : "c"))),
                         0);
    db_conn_put(c);
    assert_int_equal(db_each(db, "SELECT id FROM unit_t WHERE id < ? ORDER BY id", DBP(DB_I(2)), count_row, &n), 0);
    assert_int_equal(n, 1);
    n = 0;
    assert_int_equal(db_each(db, "SELECT id FROM unit_t ORDER BY id", NULL, 0, count_row, &n), WASL_ECONFLICT);
    assert_int_equal(n, 2);
    assert_string_equal(err_code(), "test.stop");
    n = 0;
    assert_int_equal(db_each(db, "SELECT nope FROM no_such_table", NULL, 0, count_row, &n), WASL_EDB);
    assert_int_equal(n, 0);
    for (int i = 0; i < 40; i++) /* more than the pool: every connection was given back */
        assert_int_equal(db_each(db, "SELECT id FROM unit_t", NULL, 0, count_row, &n) == WASL_ECONFLICT, 1);
    assert_int_equal(db_conn_get(db, &c), 0);
    assert_int_equal(db_exec(c, "DELETE FROM unit_t", NULL, 0), 0);
    db_conn_put(c);
}

/* A store that cannot be reached: a clean WASL_EDB "store.unavailable" whose
 * message has none of the database's own words, and db_is_failing(). */
static void unreachable_store(void **state)
{
    struct db *d = NULL;
    (void)state;
    const char *url = db_backend(db) == DB_PG ? "postgresql://postgres@127.0.0.1:1/none" : "/nonexistent-dir/x/wasl.db";
    assert_int_equal(db_open(&d, url), WASL_EDB);
    assert_null(d);
    assert_string_equal(err_code(), "store.unavailable");
    assert_null(strstr(err_message(), "refused"));
    assert_null(strstr(err_message(), "unable to open"));
    assert_null(strstr(err_message(), "nonexistent"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(roundtrip),
        cmocka_unit_test(errors_are_mapped),
        cmocka_unit_test(transactions),
        cmocka_unit_test(concurrent_writers),
        cmocka_unit_test(nested_same_statement),
        cmocka_unit_test(schema_version_and_backup),
        cmocka_unit_test(failed_query_leaves_null),
        cmocka_unit_test(unreachable_store),
        cmocka_unit_test(each_row),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
