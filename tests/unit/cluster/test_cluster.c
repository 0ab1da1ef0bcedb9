/*
 * src/cluster: the take-over hooks (run by stage, then in the order they
 * were registered; a name registered again replaces its hook; the first
 * that fails stops the list), and the solo claim a node without the
 * cluster takes on its store: refused while a live process of this machine
 * holds it, taken at once when that process is gone or the claim was made
 * on another store (a restored copy). SQLite, or WASL_TEST_DB.
 */
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "test_db.h"
#include "cluster/cluster.h"

static struct db *db;
static char ran[128];

static int setup(void **state)
{
    (void)state;
    conf_reset();
    conf_register(store_conf, store_conf_count);
    conf_register(cluster_conf, cluster_conf_count);
    return test_db_open("cluster.db", &db) ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    cluster_stop();
    db_close(db);
    return 0;
}

static int note_h(void *arg)
{
    strncat(ran, arg, sizeof(ran) - strlen(ran) - 1);
    return 0;
}

static int fail_h(void *arg)
{
    strncat(ran, arg, sizeof(ran) - strlen(ran) - 1);
    return err_set(WASL_EINTERNAL, "test.hook", "this hook fails");
}

static void down_h(void *arg)
{
    strncat(ran, arg, sizeof(ran) - strlen(ran) - 1);
}

static void test_hooks_run_by_stage_then_registration(void **state)
{
    (void)state;
    ran[0] = 0;
    assert_int_equal(cluster_on_lead("jobs", CLUSTER_STAGE_JOBS, note_h, "J"), 0);
    assert_int_equal(cluster_on_lead("log", CLUSTER_STAGE_LOG, note_h, "L"), 0);
    assert_int_equal(cluster_on_lead("live", CLUSTER_STAGE_LIVE, note_h, "V"), 0);
    assert_int_equal(cluster_on_lead("tel", CLUSTER_STAGE_TELEPHONY, note_h, "T"), 0);
    assert_int_equal(cluster_on_lead("tel, second", CLUSTER_STAGE_TELEPHONY, note_h, "t"), 0);
    assert_int_equal(cluster_on_step_down("down", CLUSTER_STAGE_LOG, down_h, "D"), 0);
    assert_int_equal(cluster_lead_run(), 0);
    assert_string_equal(ran, "LTtVJ");
    ran[0] = 0;
    cluster_step_down_run();
    assert_string_equal(ran, "D");

    /* registered again: replaced, not run twice; a failure stops the list */
    ran[0] = 0;
    assert_int_equal(cluster_on_lead("tel", CLUSTER_STAGE_TELEPHONY, fail_h, "F"), 0);
    assert_int_equal(cluster_lead_run(), WASL_EINTERNAL);
    assert_string_equal(ran, "LtF");
    assert_string_equal(err_code(), "test.hook");
    err_clear();
    assert_int_equal(cluster_on_lead("tel", CLUSTER_STAGE_TELEPHONY, note_h, "T"), 0);
}

/* This machine's boot id and pid namespace, as a solo claim names them. */
static void machine(char *out, size_t n)
{
    char boot[64] = "", ns[64] = "";
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
    assert_non_null(f);
    assert_non_null(fgets(boot, sizeof(boot), f));
    fclose(f);
    boot[strcspn(boot, "\n")] = 0;
    ssize_t len = readlink("/proc/self/ns/pid", ns, sizeof(ns) - 1);
    assert_true(len > 0);
    ns[len] = 0;
    snprintf(out, n, "%s.%lld", boot, atoll(strchr(ns, '[') + 1));
}

/* The store's name as a solo claim writes it. */
static void store_name(char *out, size_t n)
{
    struct db_conn *c;
    struct db_stmt *s = NULL;
    assert_int_equal(db_conn_get(db, &c), 0);
    if (db_backend(db) == DB_PG) {
        assert_int_equal(db_query(c, &s, "SELECT current_database()", NULL, 0), 0);
        assert_true(db_next(s));
        snprintf(out, n, "pg:%s", db_text(s, 0));
    } else {
        struct stat st;
        assert_int_equal(db_query(c, &s, "SELECT file FROM pragma_database_list WHERE name = 'main'", NULL, 0), 0);
        assert_true(db_next(s));
        assert_int_equal(stat(db_text(s, 0), &st), 0);
        snprintf(out, n, "file:%llu:%llu", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
    }
    db_end(s);
    db_conn_put(c);
    for (char *d = out; *d; d++)
        if (*d == '.')
            *d = '_';
}

/* A solo claim in force (expires in a minute) held by `holder`. */
static void claim(const char *holder)
{
    struct db_conn *c;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000;
    assert_int_equal(db_conn_get(db, &c), 0);
    assert_int_equal(db_exec(c, "DELETE FROM cluster_lease", NULL, 0), 0);
    assert_int_equal(db_exec(c,
                             "INSERT INTO cluster_lease (name, holder, node, epoch, acquired_at, expires_at) "
                             "VALUES ('distributor', ?, 'other', 1, ?, ?)",
                             DBP(DB_S(holder), DB_I(now), DB_I(now + 60000))),
                     0);
    db_conn_put(c);
}

static unsigned long long start_time(long pid)
{
    char path[64], buf[1024];
    unsigned long long start = 0;
    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    assert_int_equal(
        sscanf(strrchr(buf, ')') + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu", &start),
        1);
    return start;
}

static void test_solo_claim(void **state)
{
    (void)state;
    char mid[128], store[128], holder[400];
    machine(mid, sizeof(mid));
    store_name(store, sizeof(store));
    conf_set("cluster.node", "me", "test");

    /* held by a live process of this machine (this test's parent): refused */
    long parent = (long)getppid();
    snprintf(holder, sizeof(holder), "other/solo.%s.%ld.%llu.%s", mid, parent, start_time(parent), store);
    claim(holder);
    assert_int_equal(cluster_start(db, NULL, NULL), WASL_ECONFLICT);
    assert_string_equal(err_code(), "cluster.store_in_use");
    assert_non_null(strstr(err_message(), "node other (without cluster.enabled)"));
    err_clear();
    assert_false(cluster_leading());

    /* the same process, but its start time differs: the pid was reused, the holder is gone */
    snprintf(holder, sizeof(holder), "other/solo.%s.%ld.%llu.%s", mid, parent, start_time(parent) + 1, store);
    claim(holder);
    assert_int_equal(cluster_start(db, NULL, NULL), 0);
    assert_true(cluster_leading());
    struct cluster_status st;
    cluster_status(&st);
    assert_false(st.enabled);
    assert_string_equal(st.leader, "me");
    assert_int_equal(st.epoch, 2);
    assert_true(st.view_ms_ago >= 0);
    cluster_stop();

    /* a live holder, but on another store: a copy, taken */
    snprintf(holder, sizeof(holder), "other/solo.%s.%ld.%llu.file:1:2", mid, parent, start_time(parent));
    claim(holder);
    assert_int_equal(cluster_start(db, NULL, NULL), 0);
    assert_true(cluster_leading());
    cluster_stop();

    /* a live holder on another machine: refused until its lease passes */
    snprintf(holder, sizeof(holder), "other/solo.another-boot.1.%ld.%llu.%s", parent, start_time(parent), store);
    claim(holder);
    assert_int_equal(cluster_start(db, NULL, NULL), WASL_ECONFLICT);
    err_clear();

    /* a clustered node refuses a solo holder too */
    conf_set("cluster.enabled", "true", "test");
    assert_int_equal(cluster_start(db, NULL, NULL), WASL_ECONFLICT);
    assert_string_equal(err_code(), "cluster.store_in_use");
    err_clear();
    conf_set("cluster.enabled", "false", "test");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hooks_run_by_stage_then_registration),
        cmocka_unit_test(test_solo_claim),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
