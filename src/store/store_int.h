/*
 * store internals shared by the generic layer (db.c, migrate.c) and the two
 * backends (sqlite.c, pg.c). Not for use outside src/store/.
 */
#ifndef WASL_STORE_INT_H
#define WASL_STORE_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "store.h"

#define DB_MAX_PARAMS 512 /* the event log inserts 64 rows of 6 in one statement */

struct db_ops {
    const char *name;
    int (*connect)(struct db *db, struct db_conn **out);
    void (*disconnect)(struct db_conn *c);
    /* Several statements, no parameters, no rows (migrations, BEGIN...). */
    int (*script)(struct db_conn *c, const char *sql);
    /* Ends any open transaction, as cleanup after a failure: it never
     * replaces the error hint of the failure that led to it. */
    void (*rollback)(struct db_conn *c);
    int (*query)(struct db_conn *c, struct db_stmt **out, const char *sql, const struct db_param *p, int n);
    bool (*next)(struct db_stmt *s);
    int (*end)(struct db_stmt *s);
    bool (*is_null)(struct db_stmt *s, int col);
    const char *(*text)(struct db_stmt *s, int col);
    const void *(*blob)(struct db_stmt *s, int col, size_t *len);
    int64_t (*integer)(struct db_stmt *s, int col);
    int64_t (*changes)(struct db_conn *c);
    /* Serializes db_migrate() across processes sharing the database. */
    int (*lock_schema)(struct db_conn *c, bool lock);
    int (*backup)(struct db *db, const char *path);
    const char *begin_sql; /* starts a write transaction */
    /* One writer at a time (SQLite): this process's transactions queue on a
     * mutex instead of polling the file lock with sleeps, which keeps the
     * latency tail short under concurrent writes. */
    bool single_writer;
    /* DDL words that differ between backends, substituted in migrations. */
    const char *ddl_id;
    const char *ddl_blob;
    /* db_ping()'s query: answers 1 when the store takes writes, 0 when it is
     * read-only (a PostgreSQL standby, or a primary fenced off); NULL: SELECT 1. */
    const char *ping_sql;
};

struct db {
    const struct db_ops *ops;
    enum db_backend backend;
    char *url; /* path for SQLite, conninfo for PostgreSQL */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    /* single_writer backends: a ticket lock, so writers go in arrival order */
    pthread_mutex_t write_lock;
    pthread_cond_t write_turn;
    uint64_t write_next, write_serving;
    struct db_conn *idle; /* connections not in use */
    int nconn, max_conn;
    int busy_timeout_ms;
    int tx_retries;
    /* Outage tracking, so a dead store is logged once, not per request. */
    atomic_llong failing_since;  /* monotonic µs of the first failure; 0: healthy */
    atomic_llong failure_logged; /* when the last outage line was logged */
    atomic_bool episode_logged;  /* this outage's start was logged: log its end */
    /* Bumped by db_server_changed(): connections opened before it are closed
     * instead of being pooled again, so a fail-over moves the whole pool. */
    atomic_ullong epoch;
};

/* Every backend's connection starts with this. */
struct db_conn {
    struct db *db;
    struct db_conn *next_idle;
    bool in_tx;
    unsigned long long epoch; /* db->epoch when it was opened */
};

/* Numbered migrations, generated from src/store/migrations/NNNN_name.sql. */
struct migration {
    int version;
    const char *name;
    const char *sql;
};
extern const struct migration db_migrations[];
extern const size_t db_migrations_count;

extern const struct db_ops db_sqlite_ops;
extern const struct db_ops db_pg_ops;

/* The backends report an outage (the server gone, the disk full, an I/O
 * error) and recoveries here: the first failure is logged, then at most one
 * line a minute, and the recovery once with the outage's length. The error
 * is set for the caller (code, generic message) and returned. */
int db_failed(struct db *db, int err, const char *code, const char *detail);
void db_recovered(struct db *db);
/* The server behind the pool was lost or stopped taking writes (PostgreSQL
 * promoted a standby): every connection opened until now is closed when it
 * is next given back or taken, and the next ones go through the URL again,
 * which finds the new primary. */
void db_server_changed(struct db *db);

/* FNV-1a of a SQL text, for the prepared-statement caches. */
uint64_t db_sql_hash(const char *sql);

#endif
