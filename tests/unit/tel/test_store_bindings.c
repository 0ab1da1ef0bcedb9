/*
 * The phones' bindings in the store (sip_registrations), as the event log's
 * projection writes them and a node reads them back (projections.c,
 * registrar.c): path, flow and node kept; a node's expired copy removes the
 * row only if no newer REGISTER was taken since; expired rows deleted at
 * each read; every change bumps the "registrations" version the other
 * nodes poll. On SQLite (a temporary file), and on PostgreSQL when
 * WASL_TEST_DB names a database.
 */
#include "test_db.h"
#include "events/events.h"
#include "tel/rt.h"

static struct db *db;
static struct bindings rows;

static int setup(void **state)
{
    const struct recovered *rec;
    (void)state;
    conf_reset();
    conf_register(store_conf, store_conf_count);
    conf_register(events_conf, events_conf_count);
    if (test_db_open("bindings.db", &db) || events_start(db))
        return -1;
    /* the telephony's projections, as a node registers them at its start */
    return tel_store_start(db, &rec) ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    events_stop();
    db_close(db);
    return 0;
}

#define USER 7
#define SEC 1000000LL

static void registered(int64_t at, int64_t expires_s, const char *contact, const char *flow, const char *path)
{
    struct ev e = {.kind = EV_PHONE_REGISTERED, .at = at, .agent = USER, .n = expires_s};
    snprintf(e.a, sizeof(e.a), "%s", contact);
    snprintf(e.b, sizeof(e.b), "%s", flow);
    snprintf(e.c, sizeof(e.c), "%s", path);
    events_emit(&e);
    assert_int_equal(events_flush(5000), 0);
}

static void unregistered(const char *why, int64_t registered_at)
{
    events_add(EV_PHONE_UNREGISTERED, 0, USER, NULL, why, NULL, NULL, registered_at, 0);
    assert_int_equal(events_flush(5000), 0);
}

static int64_t count_rows(void)
{
    struct db_conn *c;
    int64_t n = -1;
    assert_int_equal(db_conn_get(db, &c), 0);
    assert_int_equal(db_query_int(c, &n, "SELECT COUNT(*) FROM sip_registrations WHERE user_id = ?", DBP(DB_I(USER))), 0);
    db_conn_put(c);
    return n;
}

static int64_t version(void)
{
    int64_t v = -1;
    assert_int_equal(db_change_version(db, "registrations", &v), 0);
    return v;
}

static void row_kept_with_path_flow_node(void **state)
{
    (void)state;
    int64_t now = clock_now(), v0 = version();
    registered(now, 300, "sip:agent@10.0.0.10:5060;transport=udp", "", "<sip:127.0.0.1:5070;lr;received=sip:127.0.0.1:4000>");
    assert_true(version() > v0);
    assert_int_equal(registrar_bindings_read(db, &rows), 0);
    assert_int_equal(rows.n, 1);
    assert_int_equal(rows.row[0].user_id, USER);
    assert_string_equal(rows.row[0].contact, "sip:agent@10.0.0.10:5060;transport=udp");
    assert_string_equal(rows.row[0].path, "<sip:127.0.0.1:5070;lr;received=sip:127.0.0.1:4000>");
    assert_string_equal(rows.row[0].flow, "");
    assert_string_equal(rows.row[0].node, registrar_node());
    assert_true(rows.row[0].updated_at == now);
    assert_true(rows.row[0].expires_at == now + 300 * SEC);
    /* a refresh over TCP, without a proxy: the connection is kept, the path gone */
    registered(now + SEC, 600, "sip:agent@127.0.0.1:5062;transport=tcp", "sip:127.0.0.1:40000;transport=tcp", "");
    assert_int_equal(registrar_bindings_read(db, &rows), 0);
    assert_int_equal(rows.n, 1);
    assert_string_equal(rows.row[0].flow, "sip:127.0.0.1:40000;transport=tcp");
    assert_string_equal(rows.row[0].path, "");
    unregistered("unregistered", 0);
    assert_int_equal(count_rows(), 0);
}

/* A node's copy of a registration expires (it did not hear of the refresh
 * another node took): the newer row stays; an expiry of the registration
 * the row holds removes it. */
static void expired_copy_keeps_newer_row(void **state)
{
    (void)state;
    int64_t first = clock_now(), refresh = first + 30 * SEC;
    registered(first, 60, "sip:agent@10.0.0.10:5060", "", "<sip:127.0.0.1:5070;lr>");
    registered(refresh, 300, "sip:agent@10.0.0.10:5060", "", "<sip:127.0.0.1:5070;lr>");
    int64_t v0 = version();
    unregistered("expired", first);
    assert_int_equal(count_rows(), 1);
    assert_true(version() > v0);
    unregistered("expired", refresh);
    assert_int_equal(count_rows(), 0);
}

/* Rows past their expiry (their node died before removing them) are
 * deleted when a node reads the bindings, and never read. */
static void expired_rows_purged_at_read(void **state)
{
    (void)state;
    int64_t long_ago = clock_now() - 3600 * SEC;
    registered(long_ago, 60, "sip:agent@10.0.0.10:5060", "", "");
    assert_int_equal(count_rows(), 1);
    assert_int_equal(registrar_bindings_read(db, &rows), 0);
    assert_int_equal(rows.n, 0);
    assert_int_equal(count_rows(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(row_kept_with_path_flow_node),
        cmocka_unit_test(expired_copy_keeps_newer_row),
        cmocka_unit_test(expired_rows_purged_at_read),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
