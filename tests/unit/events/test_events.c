/*
 * The event log on SQLite (a temporary file), and on PostgreSQL when
 * WASL_TEST_DB names a database: order kept across threads, every field
 * stored under its kind's names, projections run in the writer's
 * transaction, flush, paging and purge.
 */
#include <pthread.h>

#include <jansson.h>

#include "test_db.h"
#include "events/events.h"

static struct db *db;

static int setup(void **state)
{
    (void)state;
    conf_reset();
    conf_register(store_conf, store_conf_count);
    conf_register(events_conf, events_conf_count);
    return test_db_open("events.db", &db) ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    events_stop();
    db_close(db);
    return 0;
}

/* A projection counting what it sees, in a table of its own, so the test
 * can check it ran inside the same transactions as the events. */
static int seen;
static int count_h(struct db_conn *c, const struct ev *e, void *arg)
{
    (void)arg;
    seen++;
    if (e->kind != EV_CALL_ENDED)
        return 0;
    return db_exec(c, "UPDATE unit_proj SET n = n + 1", NULL, 0);
}

#define PER_THREAD 3000
static void *emitter(void *arg)
{
    int64_t agent = (int64_t)(intptr_t)arg;
    for (int i = 1; i <= PER_THREAD; i++)
        events_add(EV_AGENT_STATE, i, agent, "fr", "available", "", NULL, 0, 0);
    return NULL;
}

struct order {
    int64_t last[3], last_id;
    int n, bad;
    int kinds[EV_KINDS];
};

static int order_h(const struct ev_row *r, void *arg)
{
    struct order *o = arg;
    o->n++;
    if (r->id <= o->last_id)
        o->bad++;
    o->last_id = r->id;
    int k = ev_kind_of(r->kind);
    if (k >= 0)
        o->kinds[k]++;
    if (k == EV_AGENT_STATE && r->agent >= 1 && r->agent <= 2) {
        if (r->call != o->last[r->agent] + 1)
            o->bad++;
        o->last[r->agent] = r->call;
    }
    return 0;
}

static void test_order_and_projection(void **state)
{
    (void)state;
    struct db_conn *c;
    assert_int_equal(db_conn_get(db, &c), 0);
    db_exec(c, "DROP TABLE IF EXISTS unit_proj", NULL, 0);
    assert_int_equal(db_exec(c, "CREATE TABLE unit_proj (n BIGINT NOT NULL)", NULL, 0), 0);
    assert_int_equal(db_exec(c, "INSERT INTO unit_proj (n) VALUES (0)", NULL, 0), 0);
    db_conn_put(c);
    seen = 0;
    assert_int_equal(events_projection(count_h, NULL), 0);
    assert_int_equal(events_start(db), 0);

    /* Two threads at once: each one's events keep their order. */
    pthread_t t1, t2;
    pthread_create(&t1, NULL, emitter, (void *)(intptr_t)1);
    pthread_create(&t2, NULL, emitter, (void *)(intptr_t)2);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    for (int i = 0; i < 10; i++)
        events_add(EV_CALL_ENDED, 100 + i, 0, "ar", "answered", NULL, "welcome language main_menu", 1200, 64000);
    assert_int_equal(events_flush(10000), 0);

    struct order o = {0};
    struct ev_filter f = {.limit = 10000};
    assert_int_equal(events_list(db, &f, order_h, &o), 0);
    assert_int_equal(o.n, 2 * PER_THREAD + 10);
    assert_int_equal(o.bad, 0);
    assert_int_equal(o.kinds[EV_CALL_ENDED], 10);
    assert_int_equal(seen, 2 * PER_THREAD + 10);
    int64_t n = 0;
    assert_int_equal(db_conn_get(db, &c), 0);
    assert_int_equal(db_query_int(c, &n, "SELECT n FROM unit_proj", NULL, 0), 0);
    db_conn_put(c);
    assert_int_equal(n, 10);

    struct events_stats st;
    events_stats(&st);
    assert_int_equal(st.written, 2 * PER_THREAD + 10);
    assert_int_equal(st.dropped, 0);
    assert_int_equal(st.pending, 0);
    assert_true(st.batches >= 1);
}

struct one {
    char data[512], kind[32], queue[16];
    int64_t call, agent;
    int n;
};

static int one_h(const struct ev_row *r, void *arg)
{
    struct one *o = arg;
    o->n++;
    snprintf(o->data, sizeof(o->data), "%s", r->data);
    snprintf(o->kind, sizeof(o->kind), "%s", r->kind);
    snprintf(o->queue, sizeof(o->queue), "%s", r->queue);
    o->call = r->call;
    o->agent = r->agent;
    return 0;
}

/* Each kind's fields under their names, as JSON that parses, strings
 * escaped (a quote, a backslash, a newline, Arabic). */
static void test_fields(void **state)
{
    (void)state;
    struct ev_filter f = {.call = 5000777, .limit = 10};
    struct one o = {0};
    events_add(EV_CALL_ARRIVED, 5000777, 0, NULL, "0800\"99", "fr", "abc\\def\nمرحبا", 0, 0);
    events_add(EV_CALL_ENDED, 5000777, 42, "fr", "answered", NULL, "welcome language", 1500, 90000);
    assert_int_equal(events_flush(10000), 0);
    assert_int_equal(events_list(db, &f, one_h, &o), 0);
    assert_int_equal(o.n, 2);
    assert_string_equal(o.kind, "call.ended");
    assert_int_equal(o.call, 5000777);
    assert_int_equal(o.agent, 42);
    assert_string_equal(o.queue, "fr");
    json_error_t je;
    json_t *d = json_loads(o.data, 0, &je);
    assert_non_null(d);
    assert_string_equal(json_string_value(json_object_get(d, "outcome")), "answered");
    assert_string_equal(json_string_value(json_object_get(d, "path")), "welcome language");
    assert_int_equal(json_integer_value(json_object_get(d, "waited_ms")), 1500);
    assert_int_equal(json_integer_value(json_object_get(d, "talked_ms")), 90000);
    assert_int_equal(json_object_size(d), 4);
    json_decref(d);

    /* the first of the two: the arrival, with its awkward strings intact */
    f.limit = 1;
    memset(&o, 0, sizeof(o));
    assert_int_equal(events_list(db, &f, one_h, &o), 0);
    d = json_loads(o.data, 0, &je);
    assert_non_null(d);
    assert_string_equal(json_string_value(json_object_get(d, "did")), "0800\"99");
    assert_string_equal(json_string_value(json_object_get(d, "sip_call_id")), "abc\\def\nمرحبا");
    json_decref(d);
}

static void test_kinds(void **state)
{
    (void)state;
    for (int k = 0; k < EV_KINDS; k++) {
        assert_non_null(ev_defs[k].name);
        assert_non_null(ev_defs[k].meaning);
        assert_int_equal(ev_kind_of(ev_defs[k].name), k);
        for (int j = 0; j < k; j++)
            assert_string_not_equal(ev_defs[j].name, ev_defs[k].name);
    }
    assert_int_equal(ev_kind_of("call.nonsense"), -1);
    assert_int_equal(ev_kind_of(NULL), -1);
}

static void test_paging_and_purge(void **state)
{
    (void)state;
    struct ev e = {.kind = EV_CALL_IVR, .at = 1000000, .call = 5000888};
    snprintf(e.a, sizeof(e.a), "welcome");
    events_emit(&e); /* 1970: older than any retention */
    e.at = 0;
    events_emit(&e);
    assert_int_equal(events_flush(10000), 0);
    struct ev_filter f = {.call = 5000888, .limit = 1};
    struct one o = {0};
    assert_int_equal(events_list(db, &f, one_h, &o), 0);
    assert_int_equal(o.n, 1);
    /* a limit past the most is refused, not cut */
    f.limit = 10001;
    assert_int_equal(events_list(db, &f, one_h, &o), WASL_EINVAL);
    err_clear();
    int n = 0;
    assert_int_equal(events_purge(db, 2000000, &n), 0);
    assert_int_equal(n, 1);
    f.limit = 100;
    memset(&o, 0, sizeof(o));
    assert_int_equal(events_list(db, &f, one_h, &o), 0);
    assert_int_equal(o.n, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_order_and_projection),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_paging_and_purge),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
