/*
 * What the figures' unit tests share: an empty, migrated store - SQLite in
 * a private folder, or the PostgreSQL database WASL_TEST_DB names, emptied.
 */
#ifndef WASL_STATS_TEST_H
#define WASL_STATS_TEST_H

#include "test_db.h"
#include "events/events.h"
#include "store/store.h"

static inline struct db *stats_test_store(const char *name)
{
    struct db *db;
    conf_reset();
    conf_register(store_conf, store_conf_count);
    conf_register(events_conf, events_conf_count);
    assert_int_equal(test_db_open(name, &db), 0);
    return db;
}

#endif
