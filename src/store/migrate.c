/*
 * Numbered schema migrations: each runs once, in order, in its own
 * transaction, and is recorded in schema_migrations. The SQL text is shared
 * by both backends; {{ID}} and {{BLOB}} are filled in per backend.
 */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

static char *substitute(const struct db_ops *ops, const char *sql)
{
    struct sbuf b;
    const char *p = sql;

    sbuf_init(&b, 16u << 20);
    while (*p) {
        if (strncmp(p, "{{ID}}", 6) == 0) {
            sbuf_adds(&b, ops->ddl_id);
            p += 6;
        } else if (strncmp(p, "{{BLOB}}", 8) == 0) {
            sbuf_adds(&b, ops->ddl_blob);
            p += 8;
        } else {
            sbuf_add(&b, p++, 1);
        }
    }
    if (b.oom) {
        sbuf_release(&b);
        return NULL;
    }
    return sbuf_take(&b);
}

struct one {
    const struct migration *m;
    bool ran;
};

static int apply_one(struct db_conn *c, void *arg)
{
    struct one *o = arg;
    int64_t n = 0;
    char *sql;
    int err;

    /* Checked inside the transaction: another process may have just applied it. */
    if ((err = db_query_int(c, &n, "SELECT COUNT(*) FROM schema_migrations WHERE version = ?", DBP(DB_I(o->m->version)))))
        return err;
    if (n)
        return 0;
    if (!(sql = substitute(c->db->ops, o->m->sql)))
        return WASL_ENOMEM;
    err = c->db->ops->script(c, sql);
    free(sql);
    if (err)
        return err_set(err, "store.migration_failed", "migration %04d_%s failed: %s", o->m->version, o->m->name, err_message());
    err = db_exec(c, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                  DBP(DB_I(o->m->version), DB_S(o->m->name), DB_I(clock_now())));
    o->ran = !err;
    return err;
}

int db_migrate(struct db *db, int *applied)
{
    struct db_conn *c;
    int err, count = 0;

    if ((err = db_conn_get(db, &c)))
        return err;
    if (db->ops->lock_schema && (err = db->ops->lock_schema(c, true)))
        goto out;
    err = db->ops->script(c, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                             " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)");
    for (size_t i = 0; !err && i < db_migrations_count; i++) {
        struct one o = {.m = &db_migrations[i]};
        err = db_tx_conn(c, apply_one, &o);
        if (!err && o.ran) {
            count++;
            log_info("store: applied migration %04d_%s", o.m->version, o.m->name);
        }
    }
    if (db->ops->lock_schema)
        db->ops->lock_schema(c, false);
out:
    db_conn_put(c);
    if (applied)
        *applied = count;
    return err;
}

int db_schema_version(struct db *db, int *current, int *latest)
{
    struct db_conn *c;
    int64_t v = 0;
    int err;

    *latest = db_migrations_count ? db_migrations[db_migrations_count - 1].version : 0;
    *current = 0;
    if ((err = db_conn_get(db, &c)))
        return err;
    /* A new database has no schema_migrations yet: nothing applied. */
    int64_t exists = 0;
    err = db_query_int(c, &exists,
                       db->backend == DB_PG
                           ? "SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema() AND "
                             "tablename = 'schema_migrations'"
                           : "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
                       NULL, 0);
    if (!err && exists)
        err = db_query_int(c, &v, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", NULL, 0);
    db_conn_put(c);
    *current = (int)v;
    return err;
}
