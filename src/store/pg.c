/*
 * The PostgreSQL backend: for more than one machine. `?` placeholders become
 * $1..$n, statements are prepared once per connection, results come back in
 * text format (bytea as hex), SQLSTATEs map to wasl errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <libpq-fe.h>

#include "store_int.h"

#define STMT_CACHE 256

struct pg_prep {
    uint64_t hash;
    char *sql;
    char name[24];
};

struct pg_conn {
    struct db_conn base;
    PGconn *h;
    struct pg_prep cache[STMT_CACHE];
    int ncache, seq;
    int64_t changes;
    bool lost; /* the server went away or refused a write as read-only */
};

struct pg_stmt {
    struct db_conn *c; /* first: see db.c */
    PGresult *res;
    int row, nrows;
    int err;
    unsigned char *blob; /* decoded bytea of the last db_blob() */
};

static void flatten(char *s)
{
    for (; *s; s++)
        if (*s == '\n')
            *s = ' ';
}

/* A server that takes no writes: a standby (in_hot_standby, reported by
 * PostgreSQL 14 and later) or a primary fenced off with
 * default_transaction_read_only. Both are reported by the server as they
 * change, so this costs no round trip. */
static bool read_only(PGconn *h)
{
    const char *standby = PQparameterStatus(h, "in_hot_standby");
    const char *ro = PQparameterStatus(h, "default_transaction_read_only");
    return (standby && !strcmp(standby, "on")) || (ro && !strcmp(ro, "on"));
}

/* Connection failures and the server going away (SQLSTATE classes 08 and
 * 57P, a full disk 53100, too many connections 53300) are outages: logged
 * once by db_failed(), 503 to the client. So is a write refused because the
 * server became read-only (25006: a primary demoted or fenced off, the
 * connection left on it): the connection is reset before its next statement,
 * and the whole pool reconnects through the URL, which finds the new primary.
 * Anything else is logged here. */
static int map_result(struct pg_conn *c, PGresult *res, const char *what)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    char detail[400];

    if (!msg)
        msg = PQerrorMessage(c->h);
    snprintf(detail, sizeof(detail), "%s: %s (%s)", what, msg, state ? state : "no SQLSTATE");
    flatten(detail);
    if (PQstatus(c->h) != CONNECTION_OK || !state || !strncmp(state, "08", 2) || !strncmp(state, "57P", 3) ||
        !strcmp(state, "25006")) {
        c->lost = true;
        db_server_changed(c->base.db);
        return db_failed(c->base.db, WASL_EDB, "store.unavailable", detail);
    }
    if (!strcmp(state, "53300"))
        return db_failed(c->base.db, WASL_EDB, "store.unavailable", detail);
    if (!strcmp(state, "53100"))
        return db_failed(c->base.db, WASL_EDB, "store.full", detail);
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 || strcmp(state, "55P03") == 0)
        return err_set(WASL_EBUSY, "store.busy", "the database is busy");
    if (strcmp(state, "23505") == 0)
        return err_set(WASL_ECONFLICT, "store.duplicate", "%s", msg);
    if (strncmp(state, "23", 2) == 0)
        return err_set(WASL_EINVAL, "store.constraint", "%s", msg);
    if (strncmp(state, "22", 2) == 0)
        return err_set(WASL_EINVAL, "store.data", "%s", msg);
    log_error("store: postgresql %s", detail);
    return err_set(WASL_EDB, "store.error", "database error: %s", msg);
}

static void forget_prepared(struct pg_conn *c)
{
    for (int i = 0; i < c->ncache; i++)
        free(c->cache[i].sql);
    c->ncache = 0;
}

/* A server that does not answer is given up after connect_timeout seconds,
 * keepalives find a silently dead one, and tcp_user_timeout gives up a
 * request sent to a server that stopped acknowledging (its machine gone)
 * after 10 s instead of TCP's quarter of an hour. target_session_attrs:
 * wasl writes, so of the servers a URL names (host1:port1,host2:port2) it
 * takes the one that accepts writes, the primary. The URL may set its own
 * value for each; it is expanded after these defaults, so it wins. */
static PGconn *open_conn(const char *url)
{
    const char *keys[] = {"connect_timeout",
                          "keepalives_idle",
                          "keepalives_interval",
                          "keepalives_count",
                          "tcp_user_timeout",
                          "target_session_attrs",
                          "dbname",
                          NULL};
    const char *values[] = {"5", "30", "10", "3", "10000", "read-write", url, NULL};
    return PQconnectdbParams(keys, values, 1);
}

static int pg_connect(struct db *db, struct db_conn **out)
{
    struct pg_conn *c = calloc(1, sizeof(*c));
    PGresult *r;

    if (!c)
        return WASL_ENOMEM;
    c->h = open_conn(db->url);
    if (!c->h || PQstatus(c->h) != CONNECTION_OK) {
        char detail[400];
        snprintf(detail, sizeof(detail), "cannot connect: %s", c->h ? PQerrorMessage(c->h) : "out of memory");
        flatten(detail);
        PQfinish(c->h);
        free(c);
        return db_failed(db, WASL_EDB, "store.unavailable", detail);
    }
    db_recovered(db);
    /* Notices (e.g. "relation already exists, skipping") are not errors. */
    r = PQexec(c->h, "SET client_min_messages = warning");
    PQclear(r);
    *out = &c->base;
    return 0;
}

static void pg_disconnect(struct db_conn *base)
{
    struct pg_conn *c = (struct pg_conn *)base;
    forget_prepared(c);
    PQfinish(c->h);
    free(c);
}

/* A dropped connection, or one left on a server that became read-only (a
 * fail-over: the old primary fenced off or turned into a standby), is
 * re-opened through the URL before the next statement. Inside a transaction
 * a read-only server is left alone: the transaction's write fails with 25006
 * and the runner gives up on it. */
static int ensure_connected(struct pg_conn *c)
{
    if (PQstatus(c->h) == CONNECTION_OK && !c->lost && (c->base.in_tx || !read_only(c->h)))
        return 0;
    db_server_changed(c->base.db);
    forget_prepared(c);
    c->lost = false;
    PQreset(c->h);
    if (PQstatus(c->h) != CONNECTION_OK || read_only(c->h)) {
        char detail[400];
        if (PQstatus(c->h) != CONNECTION_OK)
            snprintf(detail, sizeof(detail), "lost the connection: %s", PQerrorMessage(c->h));
        else
            snprintf(detail, sizeof(detail), "the server is read-only (a standby, or a primary fenced off)");
        flatten(detail);
        c->lost = true;
        return db_failed(c->base.db, WASL_EDB, "store.unavailable", detail);
    }
    db_recovered(c->base.db);
    return 0;
}

/* A pooled connection learns that the server restarted only when it next
 * sends something. When that first statement could not have done anything
 * (BEGIN, or a plain SELECT outside a transaction), it is sent once more on
 * a fresh connection, so a database that came back is used at once instead
 * of failing one request per pooled connection. */
static bool retry_after_drop(struct pg_conn *c, const char *sql)
{
    if ((PQstatus(c->h) == CONNECTION_OK && !c->lost) || c->base.in_tx)
        return false;
    while (*sql == ' ' || *sql == '\n')
        sql++;
    return !strncasecmp(sql, "BEGIN", 5) || !strncasecmp(sql, "SELECT", 6);
}

static int pg_script(struct db_conn *base, const char *sql)
{
    struct pg_conn *c = (struct pg_conn *)base;
    PGresult *r;
    int err;

    for (int attempt = 0;; attempt++) {
        if ((err = ensure_connected(c)))
            return err;
        r = PQexec(c->h, sql);
        if (PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK) {
            PQclear(r);
            return 0;
        }
        if (attempt == 0 && retry_after_drop(c, sql)) {
            PQclear(r);
            continue;
        }
        err = map_result(c, r, "script");
        PQclear(r);
        return err;
    }
}

static void pg_rollback(struct db_conn *base)
{
    struct pg_conn *c = (struct pg_conn *)base;
    if (PQstatus(c->h) == CONNECTION_OK && PQtransactionStatus(c->h) != PQTRANS_IDLE)
        PQclear(PQexec(c->h, "ROLLBACK"));
}

/* `?` -> `$n`, leaving quoted strings, quoted names and comments alone. */
static char *convert(const char *sql, int *nparams)
{
    size_t len = strlen(sql);
    char *out = malloc(len * 4 + 1), *o = out;
    int n = 0;

    if (!out)
        return NULL;
    for (const char *p = sql; *p;) {
        if (*p == '\'' || *p == '"') {
            char q = *p;
            *o++ = *p++;
            while (*p && *p != q)
                *o++ = *p++;
            if (*p)
                *o++ = *p++;
        } else if (p[0] == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                *o++ = *p++;
        } else if (*p == '?') {
            o += sprintf(o, "$%d", ++n);
            p++;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    *nparams = n;
    return out;
}

static int prepare(struct pg_conn *c, const char *sql, const char **name)
{
    uint64_t h = db_sql_hash(sql);
    struct pg_prep *p;
    PGresult *r;
    char *conv;
    int n, err = 0;

    for (int i = 0; i < c->ncache; i++) {
        if (c->cache[i].hash == h && strcmp(c->cache[i].sql, sql) == 0) {
            *name = c->cache[i].name;
            return 0;
        }
    }
    if (c->ncache == STMT_CACHE) {
        /* Full: start over rather than track use; the server side goes too. */
        r = PQexec(c->h, "DEALLOCATE ALL");
        PQclear(r);
        forget_prepared(c);
    }
    if (!(conv = convert(sql, &n)))
        return WASL_ENOMEM;
    p = &c->cache[c->ncache];
    snprintf(p->name, sizeof(p->name), "w%d", ++c->seq);
    r = PQprepare(c->h, p->name, conv, 0, NULL);
    free(conv);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        err = map_result(c, r, "prepare");
    PQclear(r);
    if (err)
        return err;
    if (!(p->sql = strdup(sql)))
        return WASL_ENOMEM;
    p->hash = h;
    c->ncache++;
    *name = p->name;
    return 0;
}

static int pg_query(struct db_conn *base, struct db_stmt **out, const char *sql, const struct db_param *p, int n)
{
    struct pg_conn *c = (struct pg_conn *)base;
    const char *values[DB_MAX_PARAMS];
    int lengths[DB_MAX_PARAMS], formats[DB_MAX_PARAMS];
    char nums[DB_MAX_PARAMS][32];
    const char *name;
    struct pg_stmt *s;
    PGresult *r;
    ExecStatusType st;
    int err;

    bool retried = false;
again:
    if ((err = ensure_connected(c)) || (err = prepare(c, sql, &name))) {
        if (err == WASL_EDB && !retried && retry_after_drop(c, sql)) {
            retried = true;
            goto again;
        }
        return err;
    }
    for (int i = 0; i < n; i++) {
        formats[i] = 0;
        lengths[i] = 0;
        switch (p[i].type) {
        case 'i':
            snprintf(nums[i], sizeof(nums[i]), "%lld", (long long)p[i].i);
            values[i] = nums[i];
            break;
        case 'd':
            snprintf(nums[i], sizeof(nums[i]), "%.17g", p[i].d);
            values[i] = nums[i];
            break;
        case 's':
            values[i] = p[i].p;
            break;
        case 'b':
            values[i] = p[i].p ? p[i].p : "";
            lengths[i] = (int)p[i].len;
            formats[i] = 1;
            break;
        default:
            values[i] = NULL;
        }
    }
    r = PQexecPrepared(c->h, name, n, values, lengths, formats, 0);
    st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        if (!retried && retry_after_drop(c, sql)) {
            PQclear(r);
            retried = true;
            goto again;
        }
        err = map_result(c, r, "query");
        PQclear(r);
        return err;
    }
    c->changes = atoll(PQcmdTuples(r));
    if (!(s = calloc(1, sizeof(*s)))) {
        PQclear(r);
        return WASL_ENOMEM;
    }
    s->c = base;
    s->res = r;
    s->row = -1;
    s->nrows = PQntuples(r);
    *out = (struct db_stmt *)s;
    return 0;
}

static bool pg_next(struct db_stmt *st)
{
    struct pg_stmt *s = (struct pg_stmt *)st;
    PQfreemem(s->blob);
    s->blob = NULL;
    if (s->row + 1 >= s->nrows)
        return false;
    s->row++;
    return true;
}

static int pg_end(struct db_stmt *st)
{
    struct pg_stmt *s = (struct pg_stmt *)st;
    int err = s->err;
    PQclear(s->res);
    PQfreemem(s->blob);
    free(s);
    return err;
}

static bool pg_is_null(struct db_stmt *st, int col)
{
    struct pg_stmt *s = (struct pg_stmt *)st;
    return col >= PQnfields(s->res) || PQgetisnull(s->res, s->row, col);
}

static const char *pg_text(struct db_stmt *st, int col)
{
    struct pg_stmt *s = (struct pg_stmt *)st;
    return pg_is_null(st, col) ? NULL : PQgetvalue(s->res, s->row, col);
}

static const void *pg_blob(struct db_stmt *st, int col, size_t *len)
{
    struct pg_stmt *s = (struct pg_stmt *)st;
    const char *t = pg_text(st, col);

    *len = 0;
    if (!t)
        return NULL;
    PQfreemem(s->blob);
    s->blob = PQunescapeBytea((const unsigned char *)t, len);
    return s->blob;
}

static int64_t pg_integer(struct db_stmt *st, int col)
{
    const char *t = pg_text(st, col);
    if (!t)
        return 0;
    if (t[0] == 't' && !t[1])
        return 1;
    return strtoll(t, NULL, 10);
}

static int64_t pg_changes(struct db_conn *base)
{
    return ((struct pg_conn *)base)->changes;
}

static int pg_lock_schema(struct db_conn *c, bool lock)
{
    /* Any constant shared by all wasl nodes; "wasl" in ASCII. */
    return pg_script(c, lock ? "SELECT pg_advisory_lock(2002875244)" : "SELECT pg_advisory_unlock(2002875244)");
}

const struct db_ops db_pg_ops = {
    .name = "postgresql",
    .connect = pg_connect,
    .disconnect = pg_disconnect,
    .script = pg_script,
    .rollback = pg_rollback,
    .query = pg_query,
    .next = pg_next,
    .end = pg_end,
    .is_null = pg_is_null,
    .text = pg_text,
    .blob = pg_blob,
    .integer = pg_integer,
    .changes = pg_changes,
    .lock_schema = pg_lock_schema,
    .backup = NULL,
    .begin_sql = "BEGIN",
    .ddl_id = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    .ddl_blob = "BYTEA",
    .ping_sql = "SELECT CASE WHEN pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on' THEN 0 ELSE 1 END",
};
