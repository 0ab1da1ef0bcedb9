/*
 * Practice sessions in the store (practice_sessions): created when a
 * trainee asks for a call, moved on by the practice.call events (a
 * projection, in the event writer's transaction), and given the trainee's
 * record and its score. Nothing here writes a table the center's figures
 * read (docs/practice.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "practice.h"
#include "events/events.h"

#define COLS                                                                                                                       \
    "id, user_id, script, language, state, outcome, started_at, answered_at, ended_at, lines_played, record, result, score, "      \
    "recorded_at"

static int project(struct db_conn *c, const struct ev *e, void *arg)
{
    (void)arg;
    if (e->kind != EV_PRACTICE_CALL || e->n <= 0)
        return 0;
    if (!strcmp(e->a, "answered"))
        return db_exec(c, "UPDATE practice_sessions SET state = 'answered', answered_at = ? WHERE id = ?",
                       DBP(DB_I(e->at), DB_I(e->n)));
    if (!strcmp(e->a, "ringing"))
        return db_exec(c, "UPDATE practice_sessions SET state = 'ringing' WHERE id = ? AND state = 'dialling'", DBP(DB_I(e->n)));
    if (!strcmp(e->a, "ended") || !strcmp(e->a, "not_answered") || !strcmp(e->a, "failed"))
        return db_exec(c, "UPDATE practice_sessions SET state = ?, outcome = ?, ended_at = ?, lines_played = ? WHERE id = ?",
                       DBP(DB_S(e->a), DB_S(e->b), DB_I(e->at), DB_I(e->m), DB_I(e->n)));
    return 0;
}

int practice_start(struct db *db)
{
    struct db_conn *c;
    int err = events_projection(project, NULL);
    if (err || (err = db_conn_get(db, &c)))
        return err;
    /* a call cut by a stop or a crash: its session says so, and a new one may start */
    err = db_exec(c,
                  "UPDATE practice_sessions SET state = 'interrupted', ended_at = ? WHERE state IN ('dialling', 'ringing', "
                  "'answered')",
                  DBP(DB_I(clock_now())));
    db_conn_put(c);
    return err;
}

struct create {
    int64_t user, id;
    const struct practice_script *s;
};

static int create_h(struct db_conn *c, void *arg)
{
    struct create *k = arg;
    int64_t open = 0;
    int err = db_query_int(c, &open,
                           "SELECT COUNT(*) FROM practice_sessions WHERE user_id = ? AND state IN ('dialling', 'ringing', "
                           "'answered')",
                           DBP(DB_I(k->user)));
    if (err)
        return err;
    if (open)
        return err_set(WASL_ECONFLICT, "practice.in_progress", "a practice call of yours is not over yet");
    if ((err = db_exec(c, "INSERT INTO practice_sessions (user_id, script, language, started_at) VALUES (?, ?, ?, ?)",
                       DBP(DB_I(k->user), DB_S(k->s->id), DB_S(k->s->language), DB_I(clock_now())))))
        return err;
    return db_query_int(c, &k->id, "SELECT MAX(id) FROM practice_sessions WHERE user_id = ?", DBP(DB_I(k->user)));
}

int practice_session_create(struct db *db, int64_t user, const char *script, int64_t *id)
{
    struct create k = {user, 0, practice_script_get(script)};
    if (!k.s)
        return err_set_field(WASL_ENOENT, "practice.script_not_found", "script", "no practice script has this id");
    int err = db_tx(db, create_h, &k);
    if (!err)
        *id = k.id;
    return err;
}

int practice_session_fail(struct db *db, int64_t id, const char *why)
{
    struct db_conn *c;
    int err = db_conn_get(db, &c);
    if (err)
        return err;
    err = db_exec(c, "UPDATE practice_sessions SET state = 'failed', outcome = ?, ended_at = ? WHERE id = ?",
                  DBP(DB_S(why), DB_I(clock_now()), DB_I(id)));
    db_conn_put(c);
    return err;
}

struct each {
    practice_session_h h;
    void *arg;
    int n;
};

static int row_h(struct db_stmt *s, void *arg)
{
    struct each *e = arg;
    struct practice_session p = {.id = db_int(s, 0), .user_id = db_int(s, 1)};
    snprintf(p.script, sizeof(p.script), "%s", db_text(s, 2));
    snprintf(p.language, sizeof(p.language), "%s", db_text(s, 3));
    snprintf(p.state, sizeof(p.state), "%s", db_text(s, 4));
    snprintf(p.outcome, sizeof(p.outcome), "%s", db_text(s, 5));
    p.started_at = db_int(s, 6);
    p.answered_at = db_int(s, 7);
    p.ended_at = db_int(s, 8);
    p.lines_played = db_int(s, 9);
    p.record = db_text(s, 10);
    p.result = db_text(s, 11);
    p.score = (int)db_int(s, 12);
    p.recorded_at = db_int(s, 13);
    e->n++;
    return e->h(&p, e->arg);
}

int practice_session_get(struct db *db, int64_t id, int64_t viewer, practice_session_h h, void *arg)
{
    struct each e = {h, arg, 0};
    int err = viewer ? db_each(db, "SELECT " COLS " FROM practice_sessions WHERE id = ? AND user_id = ?",
                               DBP(DB_I(id), DB_I(viewer)), row_h, &e)
                     : db_each(db, "SELECT " COLS " FROM practice_sessions WHERE id = ?", DBP(DB_I(id)), row_h, &e);
    if (!err && !e.n)
        return err_set(WASL_ENOENT, "practice.session_not_found", "no such practice session");
    return err;
}

int practice_sessions_list(struct db *db, int64_t user, int limit, practice_session_h h, void *arg)
{
    struct each e = {h, arg, 0};
    if (limit <= 0 || limit > 500)
        limit = 100;
    return user ? db_each(db, "SELECT " COLS " FROM practice_sessions WHERE user_id = ? ORDER BY id DESC LIMIT ?",
                          DBP(DB_I(user), DB_I(limit)), row_h, &e)
                : db_each(db, "SELECT " COLS " FROM practice_sessions ORDER BY id DESC LIMIT ?", DBP(DB_I(limit)), row_h, &e);
}

struct rec {
    int64_t id, user;
    const char *record, *result;
    int score;
};

static int record_h(struct db_conn *c, void *arg)
{
    struct rec *r = arg;
    struct db_stmt *s;
    int err = db_query(c, &s, "SELECT state, recorded_at FROM practice_sessions WHERE id = ? AND user_id = ?",
                       DBP(DB_I(r->id), DB_I(r->user)));
    bool found = false, answered = false, recorded = false;
    while (!err && db_next(s)) {
        const char *st = db_text(s, 0);
        found = true;
        answered = !strcmp(st, "answered") || !strcmp(st, "ended");
        recorded = db_int(s, 1) != 0;
    }
    if ((err = db_end(s)))
        return err;
    if (!found)
        return err_set(WASL_ENOENT, "practice.session_not_found", "no such practice session");
    if (recorded)
        return err_set(WASL_ECONFLICT, "practice.already_recorded", "this practice call was recorded and scored already");
    if (!answered)
        return err_set(WASL_ECONFLICT, "practice.not_answered", "the practice call was not answered: nothing to score");
    return db_exec(c, "UPDATE practice_sessions SET record = ?, result = ?, score = ?, recorded_at = ? WHERE id = ?",
                   DBP(DB_S(r->record), DB_S(r->result), DB_I(r->score), DB_I(clock_now()), DB_I(r->id)));
}

int practice_session_record(struct db *db, int64_t id, int64_t user, const char *record_json, const struct practice_result *res,
                            const char *result_json)
{
    struct rec r = {id, user, record_json, result_json, res->score};
    return db_tx(db, record_h, &r);
}
