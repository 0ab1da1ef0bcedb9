/*
 * What the figures' unit tests share: an empty, migrated store - SQLite in
 * a private folder, or the PostgreSQL database WASL_TEST_DB names, emptied.
 */
#ifndef WASL_STATS_TEST_H
#define WASL_STATS_TEST_H

#include "test.h"
#include "events/events.h"
#include "store/store.h"

static inline struct db *stats_test_store(const char *name)
{
    const char *url = getenv("WASL_TEST_DB");
    char *path = NULL;
    struct db *db;
    struct db_conn *c;
    conf_reset();
    conf_register(store_conf, store_conf_count);
    conf_register(events_conf, events_conf_count);
    if (!url || !*url)
        url = path = test_tmp_path(name);
    assert_int_equal(db_open(&db, url), 0);
    free(path);
    if (db_backend(db) == DB_PG && db_conn_get(db, &c) == 0) {
        db_exec(c, TEST_PG_DROP_ALL, NULL, 0);
        db_conn_put(c);
    }
    assert_int_equal(db_migrate(db, NULL), 0);
    return db;
}

#endif
