/*
 * What the telephony keeps in the store, built from the event log inside
 * the log writer's transactions (so a table never disagrees with the log):
 * the calls table (a row from the moment a call arrives, outcome 'up' until
 * it ends), the phones' registrations and each agent's last state. And the
 * way back after a crash: calls left 'up' are ended as 'crashed', phones
 * and agents are restored as they were.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt.h"
#include "events/events.h"

static int calls_h(struct db_conn *c, const struct ev *e)
{
    switch (e->kind) {
    case EV_CALL_ARRIVED:
        return db_exec(c,
                       "INSERT INTO calls (id, call_id, started_at, answered_at, ended_at, did, country, language, outcome, "
                       "path) VALUES (?, ?, ?, 0, 0, ?, ?, '', 'up', '')",
                       DBP(DB_I(e->call), DB_S(e->c), DB_I(e->at), DB_S(e->a), DB_S(e->b)));
    case EV_CALL_LANGUAGE:
        return db_exec(c, "UPDATE calls SET language = ? WHERE id = ?", DBP(DB_S(e->a), DB_I(e->call)));
    case EV_CALL_ANSWERED:
        return db_exec(c, "UPDATE calls SET answered_at = ?, agent_user = ? WHERE id = ?",
                       DBP(DB_I(e->at), DB_I(e->agent), DB_I(e->call)));
    case EV_CALL_ENDED:
        return db_exec(
            c,
            "UPDATE calls SET ended_at = ?, outcome = ?, path = ?, waited_ms = ?, talked_ms = ?, agent_user = ? "
            "WHERE id = ?",
            DBP(DB_I(e->at), DB_S(e->a), DB_S(e->c), DB_I(e->n), DB_I(e->m), e->agent ? DB_I(e->agent) : DB_NULL, DB_I(e->call)));
    case EV_CALL_RECORDED:
        return db_exec(c, "UPDATE calls SET recording = ? WHERE id = ?", DBP(DB_S(e->c), DB_I(e->call)));
    default:
        return 0;
    }
}

static int phones_h(struct db_conn *c, const struct ev *e)
{
    if (e->kind == EV_PHONE_REGISTERED)
        return db_exec(c,
                       "INSERT INTO sip_registrations (user_id, contact, expires_at, updated_at) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT (user_id) DO UPDATE SET contact = excluded.contact, expires_at = excluded.expires_at, "
                       "updated_at = excluded.updated_at",
                       DBP(DB_I(e->agent), DB_S(e->a), DB_I(e->at + e->n * WTIME_SEC), DB_I(e->at)));
    if (e->kind == EV_PHONE_UNREGISTERED)
        return db_exec(c, "DELETE FROM sip_registrations WHERE user_id = ?", DBP(DB_I(e->agent)));
    if (e->kind == EV_AGENT_STATE)
        return db_exec(c,
                       "INSERT INTO agent_states (user_id, state, reason, since) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT (user_id) DO UPDATE SET state = excluded.state, reason = excluded.reason, "
                       "since = excluded.since",
                       DBP(DB_I(e->agent), DB_S(e->a), DB_S(e->b), DB_I(e->at)));
    return 0;
}

static int project(struct db_conn *c, const struct ev *e, void *arg)
{
    (void)arg;
    int err = calls_h(c, e);
    return err ? err : phones_h(c, e);
}

/* ---- after a restart ---- */

static struct recovered recovered;

static int up_row(struct db_stmt *s, void *arg)
{
    int *n = arg;
    int64_t id = db_int(s, 0), last = db_is_null(s, 1) ? 0 : db_int(s, 1);
    /* Ended when it was last heard of: the crash is somewhere after. */
    struct ev e = {.kind = EV_CALL_ENDED, .at = last ? last : clock_now(), .call = id};
    snprintf(e.a, sizeof(e.a), "crashed");
    snprintf(e.c, sizeof(e.c), "%s", db_text(s, 2) ? db_text(s, 2) : "");
    events_emit(&e);
    (*n)++;
    return 0;
}

static int reg_row(struct db_stmt *s, void *arg)
{
    struct recovered *r = arg;
    if (r->nphones == RECOVER_MAX)
        return err_set(WASL_ELIMIT, "tel.too_many_phones", "more than %d registrations to restore", RECOVER_MAX);
    r->phones[r->nphones].user_id = db_int(s, 0);
    snprintf(r->phones[r->nphones].contact, sizeof(r->phones[0].contact), "%s", db_text(s, 1));
    r->phones[r->nphones++].expires_at = db_int(s, 2);
    return 0;
}

static int agent_row(struct db_stmt *s, void *arg)
{
    struct recovered *r = arg;
    if (r->nagents == RECOVER_MAX)
        return err_set(WASL_ELIMIT, "tel.too_many_agents", "more than %d agent states to restore", RECOVER_MAX);
    r->agents[r->nagents].user_id = db_int(s, 0);
    snprintf(r->agents[r->nagents].state, sizeof(r->agents[0].state), "%s", db_text(s, 1));
    snprintf(r->agents[r->nagents++].reason, sizeof(r->agents[0].reason), "%s", db_text(s, 2));
    return 0;
}

int tel_store_start(struct db *db, const struct recovered **out)
{
    struct db_conn *c;
    int err, crashed = 0;
    int64_t max_id = 0;

    memset(&recovered, 0, sizeof(recovered));
    *out = &recovered;
    if ((err = events_projection(project, NULL)))
        return err;
    if ((err = db_conn_get(db, &c)))
        return err;
    err = db_query_int(c, &max_id, "SELECT COALESCE(MAX(id), 0) FROM calls", NULL, 0);
    db_conn_put(c);
    if (err)
        return err;
    recovered.next_call = (uint64_t)max_id;
    /* The calls that were up when wasl stopped without ending them. */
    if ((err = db_each(db,
                       "SELECT c.id, (SELECT MAX(at) FROM events e WHERE e.call_id = c.id), c.path FROM calls c "
                       "WHERE c.outcome = 'up' ORDER BY c.id",
                       NULL, 0, up_row, &crashed)))
        return err;
    if (crashed)
        log_warn("tel: %d calls were up when wasl last stopped without ending them: logged as crashed", crashed);
    recovered.crashed = crashed;
    if ((err = db_each(db, "SELECT user_id, contact, expires_at FROM sip_registrations WHERE expires_at > ? ORDER BY user_id",
                       DBP(DB_I(clock_now())), reg_row, &recovered)) ||
        (err = db_each(db, "SELECT user_id, state, reason FROM agent_states WHERE state <> 'offline' ORDER BY user_id", NULL, 0,
                       agent_row, &recovered)))
        return err;
    return 0;
}

void tel_store_restore(const struct recovered *r, int64_t now)
{
    int phones = 0, agents = 0;
    int64_t wall = clock_now();
    for (int i = 0; i < r->nphones; i++)
        phones += registrar_restore(r->phones[i].user_id, r->phones[i].contact, now + (r->phones[i].expires_at - wall));
    for (int i = 0; i < r->nagents; i++) {
        struct tel_account a;
        int64_t user = r->agents[i].user_id;
        if (!registrar_account(user, &a))
            continue; /* no phone any more, or disabled */
        int err = acd_agent_login(rt.acd, user, a.languages, now);
        if (!err && !strcmp(r->agents[i].state, "paused"))
            err = acd_agent_pause(rt.acd, user, r->agents[i].reason[0] ? r->agents[i].reason : "break", now);
        else if (!err)
            err = acd_agent_available(rt.acd, user, now);
        if (err) {
            log_warn("tel: agent %lld not restored: %s", (long long)user, err_message());
            err_clear();
            continue;
        }
        agents++;
    }
    if (phones || agents)
        log_info("tel: restored %d phone registrations and %d agents' states from the last run", phones, agents);
}
