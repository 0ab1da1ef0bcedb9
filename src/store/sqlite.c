/*
 * The SQLite backend: the embedded default. WAL mode with synchronous=FULL
 * (a committed case survives power loss), one connection per thread at a
 * time, prepared statements cached per connection, online backup.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>

#include "store_int.h"

#define STMT_CACHE 128 /* distinct SQL texts kept prepared per connection */

struct sq_stmt {
    struct db_conn *c; /* first: see db.c */
    sqlite3_stmt *st;
    uint64_t hash;
    bool cached, in_use;
    int rc; /* last sqlite3_step() result */
};

struct sq_conn {
    struct db_conn base;
    sqlite3 *h;
    struct sq_stmt cache[STMT_CACHE];
    int ncache;
};

static int map_error(struct db *db, sqlite3 *h, int rc, const char *what)
{
    int ext = sqlite3_extended_errcode(h);
    char detail[300];

    snprintf(detail, sizeof(detail), "%s: %s (%d)", what, sqlite3_errmsg(h), ext);
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return err_set(WASL_EBUSY, "store.busy", "the database is busy");
    case SQLITE_CONSTRAINT:
        if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
            return err_set(WASL_ECONFLICT, "store.duplicate", "%s", sqlite3_errmsg(h));
        return err_set(WASL_EINVAL, "store.constraint", "%s", sqlite3_errmsg(h));
    case SQLITE_NOMEM:
        return WASL_ENOMEM;
    case SQLITE_FULL:
        return db_failed(db, WASL_EDB, "store.full", detail);
    case SQLITE_IOERR:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return db_failed(db, WASL_EDB, "store.io_error", detail);
    default:
        log_error("store: sqlite %s", detail);
        return err_set(WASL_EDB, "store.error", "database error: %s", sqlite3_errmsg(h));
    }
}

static int sq_connect(struct db *db, struct db_conn **out)
{
    struct sq_conn *c = calloc(1, sizeof(*c));
    char *emsg = NULL;
    int rc;

    if (!c)
        return WASL_ENOMEM;
    rc = sqlite3_open_v2(db->url, &c->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        char detail[300];
        snprintf(detail, sizeof(detail), "cannot open %s: %s", db->url, c->h ? sqlite3_errmsg(c->h) : "out of memory");
        int err = db_failed(db, WASL_EDB, "store.unavailable", detail);
        sqlite3_close(c->h);
        free(c);
        return err;
    }
    sqlite3_busy_timeout(c->h, db->busy_timeout_ms);
    sqlite3_extended_result_codes(c->h, 1);
    /* WAL lets readers go on while one writer commits; FULL syncs the WAL on
     * every commit so a committed write survives a power cut. secure_delete
     * overwrites what is deleted or replaced with zeros: erased personal
     * data leaves no trace in the file's free space. */
    rc = sqlite3_exec(c->h, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON;",
                      NULL, NULL, &emsg);
    if (rc != SQLITE_OK) {
        char detail[300];
        snprintf(detail, sizeof(detail), "cannot set up %s: %s", db->url, emsg ? emsg : sqlite3_errstr(rc));
        int err = db_failed(db, WASL_EDB, "store.unavailable", detail);
        sqlite3_free(emsg);
        sqlite3_close(c->h);
        free(c);
        return err;
    }
    *out = &c->base;
    return 0;
}

static void sq_disconnect(struct db_conn *base)
{
    struct sq_conn *c = (struct sq_conn *)base;
    for (int i = 0; i < c->ncache; i++)
        sqlite3_finalize(c->cache[i].st);
    sqlite3_close(c->h);
    free(c);
}

static int sq_script(struct db_conn *base, const char *sql)
{
    struct sq_conn *c = (struct sq_conn *)base;
    char *emsg = NULL;
    int rc = sqlite3_exec(c->h, sql, NULL, NULL, &emsg);
    sqlite3_free(emsg);
    return rc == SQLITE_OK ? 0 : map_error(c->base.db, c->h, rc, "script");
}

static void sq_rollback(struct db_conn *base)
{
    struct sq_conn *c = (struct sq_conn *)base;
    /* SQLite rolls back by itself after some errors (a full disk, I/O) */
    if (!sqlite3_get_autocommit(c->h))
        sqlite3_exec(c->h, "ROLLBACK", NULL, NULL, NULL);
}

static int bind(struct sq_conn *c, sqlite3_stmt *st, const struct db_param *p, int n)
{
    if (sqlite3_bind_parameter_count(st) != n)
        return err_set(WASL_EINTERNAL, "store.params", "statement wants %d parameters, got %d", sqlite3_bind_parameter_count(st),
                       n);
    for (int i = 0; i < n; i++) {
        int rc;
        switch (p[i].type) {
        case 'i':
            rc = sqlite3_bind_int64(st, i + 1, p[i].i);
            break;
        case 'd':
            rc = sqlite3_bind_double(st, i + 1, p[i].d);
            break;
        case 's':
            rc = sqlite3_bind_text(st, i + 1, p[i].p, -1, SQLITE_STATIC);
            break;
        case 'b':
            rc = sqlite3_bind_blob64(st, i + 1, p[i].p ? p[i].p : "", p[i].len, SQLITE_STATIC);
            break;
        default:
            rc = sqlite3_bind_null(st, i + 1);
        }
        if (rc != SQLITE_OK)
            return map_error(c->base.db, c->h, rc, "bind");
    }
    return 0;
}

static int sq_query(struct db_conn *base, struct db_stmt **out, const char *sql, const struct db_param *p, int n)
{
    struct sq_conn *c = (struct sq_conn *)base;
    uint64_t h = db_sql_hash(sql);
    struct sq_stmt *s = NULL;
    int err, rc;

    for (int i = 0; i < c->ncache; i++) {
        if (c->cache[i].hash == h && !c->cache[i].in_use && strcmp(sqlite3_sql(c->cache[i].st), sql) == 0) {
            s = &c->cache[i];
            break;
        }
    }
    if (!s) {
        sqlite3_stmt *st;
        rc = sqlite3_prepare_v3(c->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
        if (rc != SQLITE_OK)
            return map_error(c->base.db, c->h, rc, "prepare");
        if (c->ncache < STMT_CACHE) {
            s = &c->cache[c->ncache++];
            *s = (struct sq_stmt){.c = base, .st = st, .hash = h, .cached = true};
        } else {
            s = calloc(1, sizeof(*s));
            if (!s) {
                sqlite3_finalize(st);
                return WASL_ENOMEM;
            }
            *s = (struct sq_stmt){.c = base, .st = st, .hash = h};
        }
    }
    s->in_use = true;
    s->rc = SQLITE_OK;
    if ((err = bind(c, s->st, p, n))) {
        sqlite3_clear_bindings(s->st);
        s->in_use = false;
        if (!s->cached) {
            sqlite3_finalize(s->st);
            free(s);
        }
        return err;
    }
    *out = (struct db_stmt *)s;
    return 0;
}

static bool sq_next(struct db_stmt *st)
{
    struct sq_stmt *s = (struct sq_stmt *)st;
    if (s->rc != SQLITE_OK && s->rc != SQLITE_ROW)
        return false;
    s->rc = sqlite3_step(s->st);
    return s->rc == SQLITE_ROW;
}

static int sq_end(struct db_stmt *st)
{
    struct sq_stmt *s = (struct sq_stmt *)st;
    struct sq_conn *c = (struct sq_conn *)s->c;
    int err = 0;

    if (s->rc != SQLITE_OK && s->rc != SQLITE_ROW && s->rc != SQLITE_DONE)
        err = map_error(c->base.db, c->h, s->rc, "step");
    sqlite3_reset(s->st);
    sqlite3_clear_bindings(s->st);
    s->in_use = false;
    if (!s->cached) {
        sqlite3_finalize(s->st);
        free(s);
    }
    return err;
}

static bool sq_is_null(struct db_stmt *st, int col)
{
    return sqlite3_column_type(((struct sq_stmt *)st)->st, col) == SQLITE_NULL;
}

static const char *sq_text(struct db_stmt *st, int col)
{
    return (const char *)sqlite3_column_text(((struct sq_stmt *)st)->st, col);
}

static const void *sq_blob(struct db_stmt *st, int col, size_t *len)
{
    sqlite3_stmt *s = ((struct sq_stmt *)st)->st;
    const void *p = sqlite3_column_blob(s, col);
    *len = (size_t)sqlite3_column_bytes(s, col);
    return p;
}

static int64_t sq_integer(struct db_stmt *st, int col)
{
    return sqlite3_column_int64(((struct sq_stmt *)st)->st, col);
}

static int64_t sq_changes(struct db_conn *base)
{
    return sqlite3_changes64(((struct sq_conn *)base)->h);
}

static int sq_backup(struct db *db, const char *path)
{
    sqlite3 *src = NULL, *dst = NULL;
    sqlite3_backup *b;
    sqlite3_stmt *st = NULL;
    int rc, err = 0;

    if (access(path, F_OK) == 0)
        return err_set(WASL_ECONFLICT, "store.backup_exists", "%s already exists; choose a new file", path);
    if (sqlite3_open_v2(db->url, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        err = err_set(WASL_EDB, "store.unavailable", "cannot open %s", db->url);
        goto out;
    }
    sqlite3_busy_timeout(src, db->busy_timeout_ms);
    if (sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        err = err_set(WASL_EIO, "store.backup_failed", "cannot create %s: %s", path, dst ? sqlite3_errmsg(dst) : "");
        goto out;
    }
    /* One step copies every page under one read transaction: in WAL mode
     * writers go on meanwhile and the copy is one consistent snapshot. */
    b = sqlite3_backup_init(dst, "main", src, "main");
    if (!b) {
        err = err_set(WASL_EIO, "store.backup_failed", "backup: %s", sqlite3_errmsg(dst));
        goto out;
    }
    rc = sqlite3_backup_step(b, -1);
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE) {
        err = err_set(WASL_EIO, "store.backup_failed", "backup: %s", sqlite3_errstr(rc));
        goto out;
    }
    if (sqlite3_prepare_v2(dst, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW ||
        strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0)
        err = err_set(WASL_EIO, "store.backup_failed", "the copy failed its integrity check");
out:
    sqlite3_finalize(st);
    sqlite3_close(dst);
    sqlite3_close(src);
    if (err)
        unlink(path);
    return err;
}

const struct db_ops db_sqlite_ops = {
    .name = "sqlite",
    .connect = sq_connect,
    .disconnect = sq_disconnect,
    .script = sq_script,
    .rollback = sq_rollback,
    .query = sq_query,
    .next = sq_next,
    .end = sq_end,
    .is_null = sq_is_null,
    .text = sq_text,
    .blob = sq_blob,
    .integer = sq_integer,
    .changes = sq_changes,
    .lock_schema = NULL,
    .backup = sq_backup,
    /* IMMEDIATE takes the write lock up front, so a transaction never fails
     * half-way when it upgrades from reading to writing. */
    .begin_sql = "BEGIN IMMEDIATE",
    .single_writer = true,
    .ddl_id = "INTEGER PRIMARY KEY",
    .ddl_blob = "BLOB",
};
