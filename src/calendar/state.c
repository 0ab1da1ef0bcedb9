/*
 * The emergency closure in the store (center_state, migration 0003), so
 * that a restart (or another node starting) does not reopen a center an
 * administrator closed.
 */
#include <stdio.h>
#include <string.h>

#include "calendar.h"
#include "core/core.h"
#include "store/store.h"
#include "auth/auth.h"

int calendar_emergency_load(struct db *db)
{
    struct db_conn *c;
    struct db_stmt *s = NULL;
    char reason[200] = "";
    bool closed = false;
    int err = db_conn_get(db, &c);
    if (err)
        return err;
    if (!(err = db_query(c, &s, "SELECT value FROM center_state WHERE name = 'emergency'", NULL, 0))) {
        /* value: the reason while closed, "" when open */
        if (db_next(s) && db_text(s, 0)[0]) {
            closed = true;
            snprintf(reason, sizeof(reason), "%s", db_text(s, 0));
        }
        err = db_end(s);
    }
    db_conn_put(c);
    if (!err) {
        calendar_set_emergency(closed, reason);
        if (closed)
            log_warn("calendar: the center is closed by the emergency switch (%s); reopen it from the supervision page", reason);
    }
    return err;
}

struct save {
    bool closed;
    const char *reason;
    const struct actor *who;
};

static int save_h(struct db_conn *c, void *arg)
{
    struct save *sv = arg;
    int err = db_exec(c,
                      "INSERT INTO center_state (name, value, changed_by, changed_at) VALUES ('emergency', ?, ?, ?) "
                      "ON CONFLICT (name) DO UPDATE SET value = excluded.value, changed_by = excluded.changed_by, "
                      "changed_at = excluded.changed_at",
                      DBP(DB_S(sv->closed ? (sv->reason && *sv->reason ? sv->reason : "closed") : ""),
                          DB_S(sv->who && sv->who->login ? sv->who->login : "system"), DB_I(clock_now())));
    /* the other nodes read it again (cmd_serve's watcher) */
    if (!err)
        err = db_change_bump(c, "emergency");
    return err ? err
               : audit_append(c, sv->who, sv->closed ? "calendar.emergency_close" : "calendar.emergency_reopen", "calendar", NULL);
}

int calendar_emergency_save(struct db *db, bool closed, const char *reason, const struct actor *who)
{
    struct save sv = {closed, reason, who};
    int err = db_tx(db, save_h, &sv); /* the change and its audit entry commit together */
    if (!err)
        calendar_set_emergency(closed, reason);
    return err;
}
