/*
 * The call log as the rest of wasl reads it: the calls table, a projection
 * of the event log (projections.c), read here for the API and the
 * supervision pages.
 */
#include <stdio.h>
#include <stdlib.h>

#include "tel.h"

#define CALL_COLUMNS                                                                                                               \
    "id, call_id, started_at, ended_at, did, country, language, outcome, path, agent_user, waited_ms, talked_ms, "                 \
    "recording IS NOT NULL"

struct calls {
    tel_call_row_h h;
    void *arg;
    int n;
};

static int call_row(struct db_stmt *s, void *arg)
{
    struct calls *l = arg;
    l->n++;
    struct tel_call_row r = {
        .id = db_int(s, 0),
        .call_id = db_text(s, 1),
        .started_at = db_int(s, 2),
        .ended_at = db_int(s, 3),
        .did = db_text(s, 4),
        .country = db_text(s, 5),
        .language = db_text(s, 6),
        .outcome = db_text(s, 7),
        .path = db_text(s, 8),
        .agent_user = db_is_null(s, 9) ? 0 : db_int(s, 9),
        .waited_ms = db_int(s, 10),
        .talked_ms = db_int(s, 11),
        .recorded = db_int(s, 12) != 0,
    };
    return l->h(&r, l->arg);
}

int tel_calls_list(struct db *db, int64_t before, int limit, tel_call_row_h h, void *arg)
{
    struct calls l = {h, arg, 0};
    return db_each(db, "SELECT " CALL_COLUMNS " FROM calls WHERE id < ? AND outcome <> 'up' ORDER BY id DESC LIMIT ?",
                   DBP(DB_I(before > 0 ? before : INT64_MAX), DB_I(limit)), call_row, &l);
}

int tel_call_find(struct db *db, const char *call_id, tel_call_row_h h, void *arg)
{
    struct calls l = {h, arg, 0};
    char *end = NULL;
    long long number = strtoll(call_id, &end, 10);
    int err = *call_id && end && !*end && number > 0
                  ? db_each(db, "SELECT " CALL_COLUMNS " FROM calls WHERE id = ?", DBP(DB_I(number)), call_row, &l)
                  : db_each(db, "SELECT " CALL_COLUMNS " FROM calls WHERE call_id = ? ORDER BY id DESC LIMIT 1", DBP(DB_S(call_id)),
                            call_row, &l);
    if (!err && !l.n)
        err = err_set(WASL_ENOENT, "tel.call_not_found", "no call %s in the call log (a call is logged when it ends)", call_id);
    return err;
}

struct buf {
    char *p;
    size_t n;
};

static int recording_row(struct db_stmt *s, void *arg)
{
    struct buf *b = arg;
    if (!db_is_null(s, 0))
        snprintf(b->p, b->n, "%s", db_text(s, 0));
    return 0;
}

int tel_call_recording(struct db *db, int64_t id, char *path, size_t n)
{
    struct buf b = {path, n};
    path[0] = '\0';
    int err = db_each(db, "SELECT recording FROM calls WHERE id = ?", DBP(DB_I(id)), recording_row, &b);
    if (!err && !path[0])
        err = err_set(WASL_ENOENT, "tel.no_recording", "this call was not recorded (or the recording was deleted)");
    return err;
}
