/*
 * The store a unit test runs on: a temporary SQLite file, or the
 * PostgreSQL database WASL_TEST_DB names (emptied first), migrated.
 */
#ifndef WASL_TEST_DB_H
#define WASL_TEST_DB_H

#include "test.h"
#include "store/store.h"

/* 0 with *out open and migrated; name: the SQLite file's name. */
static inline int test_db_open(const char *name, struct db **out)
{
    const char *url = getenv("WASL_TEST_DB");
    struct db_conn *c;
    char *path = NULL;
    if (!url || !*url)
        url = path = test_tmp_path(name);
    int err = db_open(out, url);
    free(path);
    if (err)
        return err;
    if (db_backend(*out) == DB_PG && db_conn_get(*out, &c) == 0) {
        db_exec(c, TEST_PG_DROP_ALL, NULL, 0);
        db_conn_put(c);
    }
    return db_migrate(*out, NULL);
}

#endif
