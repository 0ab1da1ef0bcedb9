/*
 * store: the one database interface of wasl, with an embedded SQLite backend
 * (the default) and a PostgreSQL backend. Callers write one SQL text with `?`
 * placeholders for both; the store owns connections, prepared statements,
 * numbered migrations and transactions that retry on contention.
 */
#ifndef WASL_STORE_H
#define WASL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

struct db;      /* a database: a pool of connections */
struct db_conn; /* one connection, used by one thread at a time */
struct db_stmt; /* the rows of one query */

enum db_backend { DB_SQLITE, DB_PG };

/* A query parameter; build them with the DB_* macros and pass with DBP(). */
struct db_param {
    char type; /* 'i' integer, 's' text, 'b' blob, 'n' null, 'd' double */
    int64_t i;
    double d;
    const void *p;
    size_t len;
};
#define DB_I(x) ((struct db_param){.type = 'i', .i = (int64_t)(x)})
#define DB_D(x) ((struct db_param){.type = 'd', .d = (double)(x)})
static inline struct db_param db_param_text(const char *s)
{
    return (struct db_param){.type = s ? 's' : 'n', .p = s};
}
#define DB_S(x) db_param_text(x)
#define DB_B(x, n) ((struct db_param){.type = 'b', .p = (x), .len = (n)})
#define DB_NULL ((struct db_param){.type = 'n'})
#define DBP(...)                                                                                                                   \
    (const struct db_param[]){__VA_ARGS__}, (int)(sizeof((const struct db_param[]){__VA_ARGS__}) / sizeof(struct db_param))

extern const struct conf_def store_conf[];
extern const size_t store_conf_count;

/* Opens url: "postgresql://..." (or "postgres://...") selects PostgreSQL; anything
 * else is a SQLite file path, optionally prefixed "sqlite:". Connects once to
 * check the database is reachable. *out is set only on success. */
int db_open(struct db **out, const char *url);
void db_close(struct db *db);
enum db_backend db_backend(const struct db *db);
const char *db_backend_name(const struct db *db);

/* Applies every migration not yet applied, in order, each in its own
 * transaction. *applied (may be NULL) gets how many ran. */
int db_migrate(struct db *db, int *applied);
/* Highest applied migration and highest known to this binary. */
int db_schema_version(struct db *db, int *current, int *latest);

/* Borrows a connection from the pool (waits when all are in use). */
int db_conn_get(struct db *db, struct db_conn **out);
void db_conn_put(struct db_conn *c);
struct db *db_conn_db(struct db_conn *c);

/* Runs sql with parameters; *changes (may be NULL) gets the rows changed.
 * Unique-key violations are WASL_ECONFLICT, contention WASL_EBUSY. */
int db_exec(struct db_conn *c, const char *sql, const struct db_param *p, int n);
int64_t db_changes(struct db_conn *c);
/* Runs a query; read rows with db_next() and the column getters, then
 * db_end(), which frees the statement and reports any error while stepping.
 * On error *out is NULL, and db_next(NULL) is false and db_end(NULL) is 0,
 * so `err = db_query(..); while (!err && db_next(s)) ..; db_end(s)` is safe. */
int db_query(struct db_conn *c, struct db_stmt **out, const char *sql, const struct db_param *p, int n);
bool db_next(struct db_stmt *s);
int db_end(struct db_stmt *s);
bool db_is_null(struct db_stmt *s, int col);
int64_t db_int(struct db_stmt *s, int col);
double db_double(struct db_stmt *s, int col);
/* Valid until the next db_next()/db_end(); NULL for SQL NULL. */
const char *db_text(struct db_stmt *s, int col);
/* Valid until the next db_blob(), db_next() or db_end() (PostgreSQL decodes
 * into one buffer per statement); NULL for SQL NULL. */
const void *db_blob(struct db_stmt *s, int col, size_t *len);

/* Runs a query on a connection of its own and calls row(s, arg) for each
 * row, stopping at the first non-zero return, which it returns; otherwise
 * the query's or stepping's error, or 0. The statement is ended and the
 * connection given back in every case. */
typedef int (*db_row_h)(struct db_stmt *s, void *arg);
int db_each(struct db *db, const char *sql, const struct db_param *p, int n, db_row_h row, void *arg);

/* One row, one integer: WASL_ENOENT when there is no row. */
int db_query_int(struct db_conn *c, int64_t *out, const char *sql, const struct db_param *p, int n);

/* Runs fn(c, arg) inside a write transaction and commits. When fn or the
 * commit fails with WASL_EBUSY (SQLite busy, PostgreSQL serialization failure
 * or deadlock) the whole transaction is retried a few times with a random
 * back-off. Any other error rolls back and is returned. */
typedef int (*db_tx_h)(struct db_conn *c, void *arg);
int db_tx(struct db *db, db_tx_h fn, void *arg);
int db_tx_conn(struct db_conn *c, db_tx_h fn, void *arg);

/* True from a failure that looks like an outage (the server unreachable,
 * the disk full, an I/O error) until the next success. Errors of an outage
 * are WASL_EDB with the codes store.unavailable, store.full or
 * store.io_error and a message without the database's own words. */
bool db_is_failing(struct db *db);

/* Change counters (src/store/changes.c): a version per topic of shared
 * state ("accounts"), bumped inside the transaction of each change, so
 * that every process on the store can tell its copy is old. */
int db_change_bump(struct db_conn *c, const char *topic);
int db_change_version(struct db *db, const char *topic, int64_t *out);
/* Polls topic every interval_ms on a thread of its own and calls fn(arg)
 * there whenever the version differs from the last one seen (seen: the
 * version the caller's copy was read at). A store outage only delays it. */
typedef void (*db_watch_h)(void *arg);
struct db_watch;
int db_watch_start(struct db *db, const char *topic, int64_t seen, int interval_ms, db_watch_h fn, void *arg,
                   struct db_watch **out);
void db_watch_stop(struct db_watch *w);

/* Checks the store answers and takes writes (for /healthz): a PostgreSQL
 * standby or a primary fenced off read-only is an outage. */
int db_ping(struct db *db);
/* Rewrites the storage of tables (fixed names, never input; the list ends
 * with NULL) so that the old contents of rows changed or deleted (personal
 * data sealed or erased since) are gone from the files, not only from view:
 * SQLite rewrites the whole file (VACUUM) and empties the WAL; PostgreSQL
 * rewrites the tables (VACUUM FULL, an exclusive lock while it runs).
 * Outside any transaction. Backups and PostgreSQL's WAL archive keep what
 * they held. */
int db_scrub(struct db *db, const char *const *tables);
/* SQLite only: a consistent online copy of the database into path (which
 * must not exist), checked with PRAGMA integrity_check. */
int db_backup(struct db *db, const char *path);

#endif
