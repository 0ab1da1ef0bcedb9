/*
 * The generic half of the store: opening a database by URL, the connection
 * pool, thin wrappers over the backend, and the transaction runner that
 * retries on contention.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_int.h"

/* clang-format off */
const struct conf_def store_conf[] = {
    {"store.url", CONF_STR, "wasl.db", 0, 0,
     "database: a SQLite file path, or postgresql://user@host:port/dbname; with a primary and its standbys, name "
     "them all (postgresql://user@host1:port1,host2:port2/dbname): wasl writes to the one that is the primary"},
    {"store.pool_size", CONF_INT, "16", 1, 512, "most connections open at once"},
    {"store.busy_timeout", CONF_DURATION, "5s", 0, 600, "how long a SQLite writer waits for the lock before it retries"},
    {"store.tx_retries", CONF_INT, "10", 0, 100, "how many times a transaction is retried after contention"},
};
/* clang-format on */
const size_t store_conf_count = sizeof(store_conf) / sizeof(store_conf[0]);

uint64_t db_sql_hash(const char *sql)
{
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)sql; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h;
}

int db_failed(struct db *db, int err, const char *code, const char *detail)
{
    int64_t now = clock_mono_us(), zero = 0;
    const int64_t every = 60LL * 1000000;

    /* One line when it starts, one a minute while it lasts; a store that
     * flaps (a nearly full disk) does not log each flap. */
    int64_t last = atomic_load(&db->failure_logged);
    if (atomic_compare_exchange_strong(&db->failing_since, &zero, now)) {
        bool log_it = !last || now - last >= every;
        atomic_store(&db->episode_logged, log_it);
        if (log_it && atomic_compare_exchange_strong(&db->failure_logged, &last, now))
            log_error("store: %s: %s (%s); requests get 503 until it is back", db->ops->name, detail, code);
    } else if (now - last >= every && atomic_compare_exchange_strong(&db->failure_logged, &last, now)) {
        atomic_store(&db->episode_logged, true);
        log_error("store: %s still failing for %llds: %s (%s)", db->ops->name,
                  (long long)((now - atomic_load(&db->failing_since)) / 1000000), detail, code);
    }
    return err_set(err, code, "%s",
                   err == WASL_EDB && !strcmp(code, "store.full") ? "the data store is full; nothing was saved"
                                                                  : "the data store is unavailable");
}

void db_recovered(struct db *db)
{
    int64_t since = atomic_exchange(&db->failing_since, 0);
    if (since && atomic_exchange(&db->episode_logged, false))
        log_info("store: %s is answering again after %.1fs", db->ops->name, (double)(clock_mono_us() - since) / 1e6);
}

void db_server_changed(struct db *db)
{
    atomic_fetch_add(&db->epoch, 1);
}

bool db_is_failing(struct db *db)
{
    return atomic_load(&db->failing_since) != 0;
}

int db_open(struct db **out, const char *url)
{
    struct db *db;
    struct db_conn *c;
    int err;

    if (!url || !*url)
        return err_set(WASL_EINVAL, "store.url", "no database given (store.url)");
    db = calloc(1, sizeof(*db));
    if (!db)
        return WASL_ENOMEM;
    pthread_mutex_init(&db->lock, NULL);
    pthread_mutex_init(&db->write_lock, NULL);
    pthread_cond_init(&db->write_turn, NULL);
    pthread_cond_init(&db->cond, NULL);
    db->max_conn = conf_int("store.pool_size") > 0 ? (int)conf_int("store.pool_size") : 16;
    db->busy_timeout_ms = (int)conf_int("store.busy_timeout") * 1000;
    db->tx_retries = (int)conf_int("store.tx_retries");
    if (strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0) {
        db->ops = &db_pg_ops;
        db->backend = DB_PG;
        db->url = strdup(url);
    } else {
        db->ops = &db_sqlite_ops;
        db->backend = DB_SQLITE;
        db->url = strdup(strncmp(url, "sqlite:", 7) == 0 ? url + 7 : url);
    }
    if (!db->url) {
        err = WASL_ENOMEM;
        goto fail;
    }
    if ((err = db_conn_get(db, &c)))
        goto fail;
    db_conn_put(c);
    *out = db;
    return 0;
fail:
    db_close(db);
    return err;
}

void db_close(struct db *db)
{
    if (!db)
        return;
    pthread_mutex_lock(&db->lock);
    while (db->idle) {
        struct db_conn *c = db->idle;
        db->idle = c->next_idle;
        db->ops->disconnect(c);
    }
    pthread_mutex_unlock(&db->lock);
    pthread_mutex_destroy(&db->lock);
    pthread_mutex_destroy(&db->write_lock);
    pthread_cond_destroy(&db->write_turn);
    pthread_cond_destroy(&db->cond);
    free(db->url);
    free(db);
}

enum db_backend db_backend(const struct db *db)
{
    return db->backend;
}

const char *db_backend_name(const struct db *db)
{
    return db->ops->name;
}

int db_conn_get(struct db *db, struct db_conn **out)
{
    struct db_conn *c = NULL;
    int err;

    pthread_mutex_lock(&db->lock);
    for (;;) {
        if (db->idle) {
            c = db->idle;
            db->idle = c->next_idle;
            if (c->epoch != atomic_load(&db->epoch)) {
                /* opened before a fail-over: possibly on the old server */
                db->nconn--;
                pthread_mutex_unlock(&db->lock);
                db->ops->disconnect(c);
                pthread_mutex_lock(&db->lock);
                continue;
            }
            pthread_mutex_unlock(&db->lock);
            c->next_idle = NULL;
            *out = c;
            return 0;
        }
        if (db->nconn < db->max_conn)
            break;
        pthread_cond_wait(&db->cond, &db->lock);
    }
    db->nconn++;
    pthread_mutex_unlock(&db->lock);
    unsigned long long epoch = atomic_load(&db->epoch);
    if ((err = db->ops->connect(db, &c))) {
        pthread_mutex_lock(&db->lock);
        db->nconn--;
        pthread_cond_signal(&db->cond);
        pthread_mutex_unlock(&db->lock);
        return err;
    }
    c->db = db;
    c->epoch = epoch;
    *out = c;
    return 0;
}

void db_conn_put(struct db_conn *c)
{
    struct db *db;

    if (!c)
        return;
    db = c->db;
    if (c->in_tx) {
        /* A caller left a transaction open: never hand it to the next user. */
        db->ops->rollback(c);
        c->in_tx = false;
    }
    if (c->epoch != atomic_load(&db->epoch)) {
        /* the server changed while it was in use: the next user reconnects */
        db->ops->disconnect(c);
        pthread_mutex_lock(&db->lock);
        db->nconn--;
    } else {
        pthread_mutex_lock(&db->lock);
        c->next_idle = db->idle;
        db->idle = c;
    }
    pthread_cond_signal(&db->cond);
    pthread_mutex_unlock(&db->lock);
}

struct db *db_conn_db(struct db_conn *c)
{
    return c->db;
}

static int check_params(const struct db_param *p, int n)
{
    if (n < 0 || n > DB_MAX_PARAMS || (n > 0 && !p))
        return err_set(WASL_EINTERNAL, "store.params", "bad parameter list");
    return 0;
}

int db_query(struct db_conn *c, struct db_stmt **out, const char *sql, const struct db_param *p, int n)
{
    int err = check_params(p, n);

    *out = NULL; /* a failed query leaves nothing to step through or end */
    return err ? err : c->db->ops->query(c, out, sql, p, n);
}

int db_exec(struct db_conn *c, const char *sql, const struct db_param *p, int n)
{
    struct db_stmt *s = NULL;
    int err = db_query(c, &s, sql, p, n);
    if (err)
        return err;
    while (db_next(s))
        ;
    return db_end(s);
}

int64_t db_changes(struct db_conn *c)
{
    return c->db->ops->changes(c);
}

/* Every statement starts with a db_conn pointer in its backend struct. */
struct stmt_head {
    struct db_conn *c;
};

#define OPS(s) (((struct stmt_head *)(s))->c->db->ops)

bool db_next(struct db_stmt *s)
{
    return s && OPS(s)->next(s);
}

int db_end(struct db_stmt *s)
{
    return s ? OPS(s)->end(s) : 0;
}

bool db_is_null(struct db_stmt *s, int col)
{
    return OPS(s)->is_null(s, col);
}

int64_t db_int(struct db_stmt *s, int col)
{
    return OPS(s)->integer(s, col);
}

double db_double(struct db_stmt *s, int col)
{
    const char *t = OPS(s)->text(s, col);
    return t ? strtod(t, NULL) : 0.0;
}

const char *db_text(struct db_stmt *s, int col)
{
    return OPS(s)->text(s, col);
}

const void *db_blob(struct db_stmt *s, int col, size_t *len)
{
    return OPS(s)->blob(s, col, len);
}

int db_each(struct db *db, const char *sql, const struct db_param *p, int n, db_row_h row, void *arg)
{
    struct db_conn *c;
    struct db_stmt *s = NULL;
    int err = db_conn_get(db, &c);

    if (err)
        return err;
    err = db_query(c, &s, sql, p, n);
    while (!err && db_next(s))
        err = row(s, arg);
    int err2 = db_end(s);
    db_conn_put(c);
    return err ? err : err2;
}

int db_query_int(struct db_conn *c, int64_t *out, const char *sql, const struct db_param *p, int n)
{
    struct db_stmt *s = NULL;
    int err = db_query(c, &s, sql, p, n), found = 0;
    if (err)
        return err;
    if (db_next(s)) {
        *out = db_int(s, 0);
        found = 1;
    }
    err = db_end(s);
    if (!err && !found)
        err = err_set(WASL_ENOENT, "not_found", NULL);
    return err;
}

static void backoff(int attempt)
{
    unsigned r;
    wrand_bytes(&r, sizeof(r));
    long us = (long)(1000u << (attempt < 7 ? attempt : 7)); /* 1 ms .. 128 ms */
    us = us / 2 + (long)(r % (unsigned)us);
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

static int tx_attempts(struct db_conn *c, db_tx_h fn, void *arg);

int db_tx_conn(struct db_conn *c, db_tx_h fn, void *arg)
{
    const struct db_ops *ops = c->db->ops;
    int err = 0;

    if (c->in_tx)
        return fn(c, arg); /* nested: part of the caller's transaction */
    if (!ops->single_writer)
        return tx_attempts(c, fn, arg);
    /* First come, first served: a plain mutex lets a busy thread take the
     * lock again and again while another waits for hundreds of ms. */
    struct db *db = c->db;
    pthread_mutex_lock(&db->write_lock);
    uint64_t ticket = db->write_next++;
    while (ticket != db->write_serving)
        pthread_cond_wait(&db->write_turn, &db->write_lock);
    pthread_mutex_unlock(&db->write_lock);
    err = tx_attempts(c, fn, arg);
    pthread_mutex_lock(&db->write_lock);
    db->write_serving++;
    pthread_cond_broadcast(&db->write_turn);
    pthread_mutex_unlock(&db->write_lock);
    return err;
}

static int tx_attempts(struct db_conn *c, db_tx_h fn, void *arg)
{
    const struct db_ops *ops = c->db->ops;
    int err = 0;

    for (int attempt = 0;; attempt++) {
        if ((err = ops->script(c, ops->begin_sql)))
            goto retry;
        c->in_tx = true;
        err = fn(c, arg);
        if (!err) {
            err = ops->script(c, "COMMIT");
            /* A server lost during COMMIT may have committed before it went:
             * the client must not be told that nothing was saved. */
            if (err == WASL_EDB && c->db->backend == DB_PG && !strcmp(err_code(), "store.unavailable"))
                err = err_set(WASL_EDB, "store.outcome_unknown",
                              "the data store went away while saving: the change may have been saved; check before trying again");
        }
        if (!err) {
            c->in_tx = false;
            db_recovered(c->db);
            return 0;
        }
        ops->rollback(c);
        c->in_tx = false;
    retry:
        if (err != WASL_EBUSY || attempt >= c->db->tx_retries)
            return err;
        log_debug("store: transaction retried after contention (attempt %d)", attempt + 1);
        backoff(attempt);
    }
}

int db_tx(struct db *db, db_tx_h fn, void *arg)
{
    struct db_conn *c;
    int err = db_conn_get(db, &c);
    if (err)
        return err;
    err = db_tx_conn(c, fn, arg);
    db_conn_put(c);
    return err;
}

int db_ping(struct db *db)
{
    struct db_conn *c;
    int64_t one = 0;
    int err = db_conn_get(db, &c);
    if (err)
        return err;
    err = db_query_int(c, &one, db->ops->ping_sql ? db->ops->ping_sql : "SELECT 1", NULL, 0);
    if (!err && one != 1) {
        /* A standby or a fenced primary: not a store wasl can write to. */
        db_server_changed(db);
        err = db_failed(db, WASL_EDB, "store.unavailable", "the server is read-only (a standby, or a primary fenced off)");
    }
    db_conn_put(c);
    return err;
}

int db_scrub(struct db *db, const char *const *tables)
{
    struct db_conn *c;
    char sql[128];
    int err = db_conn_get(db, &c);
    if (err)
        return err;
    if (db->backend != DB_PG)
        err = c->db->ops->script(c, "VACUUM; PRAGMA wal_checkpoint(TRUNCATE)");
    for (int i = 0; db->backend == DB_PG && !err && tables[i]; i++) {
        snprintf(sql, sizeof(sql), "VACUUM FULL %s", tables[i]);
        err = c->db->ops->script(c, sql);
    }
    db_conn_put(c);
    return err;
}

int db_backup(struct db *db, const char *path)
{
    if (!db->ops->backup)
        return err_set(WASL_EINVAL, "store.backup_unsupported",
                       "wasl backup copies SQLite databases; for PostgreSQL use pg_dump or pg_basebackup");
    return db->ops->backup(db, path);
}
