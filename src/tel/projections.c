/*
 * What the telephony keeps in the store, built from the event log inside
 * the log writer's transactions (so a table never disagrees with the log):
 * the calls table (a row from the moment a call arrives, outcome 'up' until
 * it ends), the phones' registrations and each agent's last state (the
 * voice messages' rows are messages.c's). And the
 * way back after a crash: calls left 'up' are ended as 'crashed', phones
 * and agents are restored as they were.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt.h"
#include "events/events.h"
#include "cases/cases.h"

/* Call rows ended and callback requests stored so far: the snapshot
 * carries it, so pages read the call log again only when it changed. */
static _Atomic uint64_t records;

void tel_records_changed(void)
{
    atomic_fetch_add(&records, 1);
}

uint64_t jobs_written(void)
{
    return atomic_load(&records);
}

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
    case EV_CALL_LEG: {
        unsigned char *b = NULL;
        size_t n = 0;
        int err = personal_seal(e->c, &b, &n);
        if (!err)
            err = db_exec(c,
                          "INSERT INTO call_legs (call_id, leg, dialog_enc, cseq) VALUES (?, ?, ?, ?) "
                          "ON CONFLICT (call_id, leg) DO UPDATE SET dialog_enc = excluded.dialog_enc, cseq = excluded.cseq",
                          DBP(DB_I(e->call), DB_S(e->a), DB_B(b, n), DB_I(e->n)));
        free(b);
        return err;
    }
    case EV_CALL_ENDED: {
        int err = db_exec(c, "DELETE FROM call_legs WHERE call_id = ?", DBP(DB_I(e->call)));
        if (err)
            return err;
        tel_records_changed(); /* a moment early (before the commit): a page reads again a little sooner */
        return db_exec(
            c,
            "UPDATE calls SET ended_at = ?, outcome = ?, path = ?, waited_ms = ?, talked_ms = ?, agent_user = ? "
            "WHERE id = ?",
            DBP(DB_I(e->at), DB_S(e->a), DB_S(e->c), DB_I(e->n), DB_I(e->m), e->agent ? DB_I(e->agent) : DB_NULL, DB_I(e->call)));
    }
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
    if (!err)
        err = phones_h(c, e);
    return err ? err : messages_project(c, e);
}

/* ---- after a restart ---- */

static struct recovered recovered;

/* One IVR step of a call cut by a crash: its node added to the path (the
 * path is only written when a call ends; the log has every step). */
static int path_step(struct db_stmt *s, void *arg)
{
    char *path = arg;
    const char *d = db_text(s, 0), *p = d ? strstr(d, "\"node\":\"") : NULL;
    if (!p)
        return 0;
    p += 8;
    size_t n = strcspn(p, "\""), k = strlen(path);
    const char *last = strrchr(path, ' ');
    last = last ? last + 1 : path;
    if (!n || (strlen(last) == n && !strncmp(last, p, n)) || k + n + 2 >= EVENTS_LONG_MAX)
        return 0;
    snprintf(path + k, EVENTS_LONG_MAX - k, "%s%.*s", k ? " " : "", (int)n, p);
    return 0;
}

struct up {
    struct db *db;
    int n;
};

/* When a call cut by a crash joined its queue and was answered (by whom). */
struct times {
    int64_t joined, answered, agent;
};

static int time_row(struct db_stmt *s, void *arg)
{
    struct times *t = arg;
    const char *kind = db_text(s, 0);
    int64_t at = db_int(s, 1);
    if (kind && !strcmp(kind, "queue.joined") && !t->joined)
        t->joined = at;
    else if (kind && !strcmp(kind, "call.answered")) { /* the last agent (a transfer answers again) */
        if (!t->answered)
            t->answered = at;
        t->agent = db_int(s, 2);
    }
    return 0;
}

static int up_row(struct db_stmt *s, void *arg)
{
    struct up *u = arg;
    int64_t id = db_int(s, 0), last = db_is_null(s, 1) ? 0 : db_int(s, 1), beat = events_previous_beat();
    /* Ended when wasl was last known to run (its last heartbeat, at most
     * EVENTS_BEAT_S before the crash), or when the call was last heard of. */
    if (beat > last)
        last = beat;
    struct ev e = {.kind = EV_CALL_ENDED, .at = last ? last : clock_now(), .call = id};
    snprintf(e.a, sizeof(e.a), "crashed");
    /* its wait and talk up to the last thing heard of it, as the call log counts them */
    struct times t = {0};
    if (db_each(u->db,
                "SELECT kind, at, agent FROM events WHERE call_id = ? AND kind IN ('queue.joined', 'call.answered') ORDER BY id",
                DBP(DB_I(id)), time_row, &t))
        err_clear();
    if (t.joined)
        e.n = ((t.answered ? t.answered : e.at) - t.joined) / 1000;
    if (t.answered) {
        e.m = (e.at - t.answered) / 1000;
        e.agent = t.agent;
    }
    if (db_each(u->db, "SELECT data FROM events WHERE call_id = ? AND kind = 'call.ivr' ORDER BY id", DBP(DB_I(id)), path_step,
                e.c))
        err_clear(); /* the path is a help, not a condition */
    events_emit(&e);
    u->n++;
    return 0;
}

static int leg_row(struct db_stmt *s, void *arg)
{
    struct recovered *r = arg;
    size_t n = 0;
    const void *b = db_blob(s, 2, &n);
    char *plain = NULL;
    if (r->nlegs == RECOVER_MAX)
        return err_set(WASL_ELIMIT, "tel.too_many_legs", "more than %d call legs to hang up", RECOVER_MAX);
    if (personal_unseal(b, n, &plain) || !plain || strlen(plain) >= sizeof(r->legs[0].dialog)) {
        log_warn("tel: the dialog of call %lld cannot be opened (key gone?): not hung up", (long long)db_int(s, 0));
        err_clear();
        free(plain);
        return 0;
    }
    r->legs[r->nlegs].call = db_int(s, 0);
    snprintf(r->legs[r->nlegs].leg, sizeof(r->legs[0].leg), "%s", db_text(s, 1));
    snprintf(r->legs[r->nlegs].dialog, sizeof(r->legs[0].dialog), "%s", plain);
    r->legs[r->nlegs++].cseq = db_int(s, 3);
    free(plain);
    return 0;
}

/* A caller who was waiting for an agent: the number from the caller leg's
 * dialog ("sip:+33612345678@..."), asked back at their place (the time
 * they joined the queue). */
struct waiting {
    struct db *db;
    int n;
};

static int waiting_row(struct db_stmt *s, void *arg)
{
    struct waiting *w = arg;
    int64_t call = db_int(s, 0), joined = db_int(s, 1);
    const char *country = db_text(s, 2), *did = db_text(s, 3), *language = db_text(s, 4);
    for (int i = 0; i < recovered.nlegs; i++) {
        if (recovered.legs[i].call != call || strcmp(recovered.legs[i].leg, "caller"))
            continue;
        char text[sizeof(recovered.legs[0].dialog)], user[40] = "", e164[20], cid[32];
        const char *part[D_PARTS], *cc;
        snprintf(text, sizeof(text), "%s", recovered.legs[i].dialog);
        const char *remote = dialog_parts(text, part) ? NULL : part[D_REMOTE];
        err_clear();
        if (remote && !strncmp(remote, "sip:", 4))
            snprintf(user, sizeof(user), "%.*s", (int)strcspn(remote + 4, "@;>"), remote + 4);
        char digits[24];
        if (dialplan_digits(user, digits, sizeof(digits)) || dialplan_outbound_check(digits, e164, sizeof(e164), &cc)) {
            log_info("tel: caller of call %lld was waiting at the crash; no callback: %s", (long long)call, err_message());
            err_clear();
            return 0;
        }
        snprintf(cid, sizeof(cid), "crashed-%lld", (long long)call);
        struct callback_input in = {e164, country, did, language[0] ? language : "fr", cid, joined};
        bool merged = false;
        if (callback_add(w->db, &in, NULL, &merged)) {
            log_warn("tel: caller of call %lld was waiting at the crash; callback not stored: %s", (long long)call, err_message());
            err_clear();
            return 0;
        }
        events_add(EV_CALLBACK_REQUESTED, call, 0, NULL, merged ? "merged" : "stored", NULL, NULL, 0, 0);
        w->n++;
        return 0;
    }
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
    int err;
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
    /* Their legs, to hang up; the callers who were waiting for an agent
     * (their last queue event is queue.joined), to call back. */
    if ((err = db_each(db,
                       "SELECT l.call_id, l.leg, l.dialog_enc, l.cseq FROM call_legs l JOIN calls c ON c.id = l.call_id "
                       "WHERE c.outcome = 'up' ORDER BY l.call_id, l.leg",
                       NULL, 0, leg_row, &recovered)))
        return err;
    struct waiting w = {db, 0};
    if ((err = db_each(db,
                       "SELECT c.id, e.at, c.country, c.did, c.language FROM calls c JOIN events e ON e.call_id = c.id "
                       "WHERE c.outcome = 'up' AND e.kind = 'queue.joined' AND NOT EXISTS (SELECT 1 FROM events x "
                       "WHERE x.call_id = c.id AND x.id > e.id AND x.kind IN ('call.answered', 'queue.left', "
                       "'queue.joined')) ORDER BY e.at",
                       NULL, 0, waiting_row, &w)))
        return err;
    recovered.callbacks = w.n;
    if (w.n)
        log_warn("tel: %d callers were waiting for an agent when wasl stopped: they will be called back", w.n);
    /* The calls that were up when wasl stopped without ending them. */
    struct up up = {db, 0};
    if ((err = db_each(db,
                       "SELECT c.id, (SELECT MAX(at) FROM events e WHERE e.call_id = c.id) FROM calls c "
                       "WHERE c.outcome = 'up' ORDER BY c.id",
                       NULL, 0, up_row, &up)))
        return err;
    if (up.n)
        log_warn("tel: %d calls were up when wasl last stopped without ending them: logged as crashed", up.n);
    recovered.crashed = up.n;
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
        struct acd_skills sk;
        registrar_skills(&a, &sk);
        int err = acd_agent_login(rt.acd, user, &sk, now);
        if (!err && !strcmp(r->agents[i].state, "paused") && strcmp(r->agents[i].reason, "logged_in"))
            err = acd_agent_pause(rt.acd, user, r->agents[i].reason[0] ? r->agents[i].reason : "break", 0, now);
        else if (!err && strcmp(r->agents[i].state, "paused"))
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
    dialogs_hangup(r);
}
