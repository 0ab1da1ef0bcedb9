/*
 * What the telephony keeps in the store, built from the event log inside
 * the log writer's transactions (so a table never disagrees with the log):
 * the calls table (a row from the moment a call arrives, outcome 'up' until
 * it ends), the phones' registrations and each agent's last state (the
 * voice messages' rows are messages.c's). And the
 * way back after a crash: calls left 'up' are ended as 'crashed', phones
 * and agents are restored as they were, a voice message being left is kept
 * as far as it went (partial).
 */
#include <dirent.h>
#include <errno.h>
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

static int bindings_h(struct db_conn *c, const struct ev *e)
{
    /* with what another node needs to reach the phone: the proxies' Path,
     * or the connection (only this node's) it came over, and this node */
    if (e->kind == EV_PHONE_REGISTERED)
        return db_exec(c,
                       "INSERT INTO sip_registrations (user_id, contact, expires_at, updated_at, path, flow, node) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?) "
                       "ON CONFLICT (user_id) DO UPDATE SET contact = excluded.contact, expires_at = excluded.expires_at, "
                       "updated_at = excluded.updated_at, path = excluded.path, flow = excluded.flow, node = excluded.node",
                       DBP(DB_I(e->agent), DB_S(e->a), DB_I(e->at + e->n * WTIME_SEC), DB_I(e->at), DB_S(e->c), DB_S(e->b),
                           DB_S(registrar_node())));
    if (e->kind == EV_PHONE_UNREGISTERED && e->n > 0)
        return db_exec(c, "DELETE FROM sip_registrations WHERE user_id = ? AND updated_at <= ?", DBP(DB_I(e->agent), DB_I(e->n)));
    if (e->kind == EV_PHONE_UNREGISTERED)
        return db_exec(c, "DELETE FROM sip_registrations WHERE user_id = ?", DBP(DB_I(e->agent)));
    return 0;
}

static int phones_h(struct db_conn *c, const struct ev *e)
{
    if (e->kind == EV_PHONE_REGISTERED || e->kind == EV_PHONE_UNREGISTERED) {
        int err = bindings_h(c, e);
        /* the other nodes read the bindings again (tel_locations_reload) */
        return err ? err : db_change_bump(c, "registrations");
    }
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

/* The caller's number (digits, as call_incoming keeps it) from the caller
 * leg's dialog of a call cut by a crash; false when there is none (an
 * anonymous caller, the leg not known). */
static bool crashed_caller(int64_t call, char *digits, size_t n)
{
    for (int i = 0; i < recovered.nlegs; i++) {
        if (recovered.legs[i].call != call || strcmp(recovered.legs[i].leg, "caller"))
            continue;
        char text[sizeof(recovered.legs[0].dialog)], user[40] = "";
        const char *part[D_PARTS];
        snprintf(text, sizeof(text), "%s", recovered.legs[i].dialog);
        const char *remote = dialog_parts(text, part) ? NULL : part[D_REMOTE];
        err_clear();
        if (remote && !strncmp(remote, "sip:", 4))
            snprintf(user, sizeof(user), "%.*s", (int)strcspn(remote + 4, "@;>"), remote + 4);
        if (dialplan_digits(user, digits, n)) {
            digits[0] = '\0';
            return false; /* err set: the caller's */
        }
        return true;
    }
    digits[0] = '\0';
    err_set(WASL_ENOENT, "tel.no_number", "the caller's leg is not known");
    return false;
}

/* ---- voice messages a crash cut short ---- */

struct orphan {
    bool found;
    char callid[96], language[WASL_LANG_CODE_MAX];
    int64_t last; /* the call's last event */
};

static int orphan_row(struct db_stmt *s, void *arg)
{
    struct orphan *o = arg;
    o->found = true;
    snprintf(o->callid, sizeof(o->callid), "%s", db_text(s, 0));
    snprintf(o->language, sizeof(o->language), "%s", db_text(s, 1));
    o->last = db_is_null(s, 2) ? 0 : db_int(s, 2);
    return 0;
}

/* The message of call that a crash left in part (recstream.c streams it
 * there as the caller speaks): its header fixed for what it holds, moved to
 * messages/ under the name it would have had, and logged as message.left
 * with cut MESSAGE_PARTIAL (what was said until the crash, at the time wasl
 * was last known to run), the number from the caller's leg. Half a second
 * or less: deleted, no message (as when the caller says nothing). True
 * when a message was logged. */
static bool recover_message(struct db *db, uint64_t call, const char *part)
{
    struct orphan o = {0};
    size_t frames = 0;
    char file[1100], digits[24];
    struct ev e = {.kind = EV_MESSAGE_LEFT, .call = (int64_t)call, .m = MESSAGE_PARTIAL};
    if (rec_part_seal(part, 1, &frames)) {
        log_error("tel: the voice message of call %llu cut by the crash stays in %s: %s", (unsigned long long)call, part,
                  err_message());
        err_clear();
        return false;
    }
    if (frames <= 8000 / 2) {
        if (remove(part))
            log_warn("tel: %s not deleted: %s", part, strerror(errno));
        log_info("tel: call %llu was leaving a voice message at the crash: nothing said (%.1f s), none kept",
                 (unsigned long long)call, (double)frames / 8000);
        return false;
    }
    if (db_each(db, "SELECT call_id, language, (SELECT MAX(at) FROM events WHERE call_id = c.id) FROM calls c WHERE id = ?",
                DBP(DB_I((int64_t)call)), orphan_row, &o))
        err_clear(); /* named by its number only */
    if (rec_path(rt.cfg.recording_dir, o.found ? o.callid : "crashed", call, true, file, sizeof(file)) ||
        strlen(file) >= sizeof(e.c) || rename(part, file)) {
        log_error("tel: the voice message of call %llu cut by the crash stays in %s: %s", (unsigned long long)call, part,
                  err_message()[0] ? err_message() : strerror(errno));
        err_clear();
        return false;
    }
    if (!crashed_caller((int64_t)call, digits, sizeof(digits)))
        err_clear(); /* kept without a number to call back */
    int64_t beat = events_previous_beat();
    e.at = beat > o.last ? beat : o.last ? o.last : clock_now();
    snprintf(e.a, sizeof(e.a), "%s", o.language);
    snprintf(e.b, sizeof(e.b), "%s", digits);
    snprintf(e.c, sizeof(e.c), "%s", file);
    e.n = (int64_t)(frames / 8000);
    events_emit(&e);
    log_warn("tel: the voice message of call %llu was cut by the crash: the %.1f s said until then are kept in %s (partial)",
             (unsigned long long)call, (double)frames / 8000, file);
    return true;
}

/* Every message a crash left in recording_dir/.streaming/. */
static int recover_messages(struct db *db)
{
    char dir[1100], part[1400];
    int n = 0;
    snprintf(dir, sizeof(dir), "%s/.streaming", rt.cfg.recording_dir);
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    for (struct dirent *f; (f = readdir(d));) {
        unsigned long long call;
        int end = 0;
        if (sscanf(f->d_name, REC_MESSAGE_PART "%llu.wav.part%n", &call, &end) != 1 || f->d_name[end] || !end)
            continue;
        snprintf(part, sizeof(part), "%s/%s", dir, f->d_name);
        n += recover_message(db, call, part);
    }
    closedir(d);
    return n;
}

static int waiting_row(struct db_stmt *s, void *arg)
{
    struct waiting *w = arg;
    int64_t call = db_int(s, 0), joined = db_int(s, 1);
    const char *country = db_text(s, 2), *did = db_text(s, 3), *language = db_text(s, 4);
    for (int i = 0; i < recovered.nlegs; i++) {
        if (recovered.legs[i].call != call || strcmp(recovered.legs[i].leg, "caller"))
            continue;
        char e164[20], cid[32], digits[24];
        const char *cc;
        if (!crashed_caller(call, digits, sizeof(digits)) || dialplan_outbound_check(digits, e164, sizeof(e164), &cc)) {
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
    recovered.messages = recover_messages(db);
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
    /* the phones' bindings, as tel_locations_reload() reads them */
    if ((err = registrar_bindings_read(db, &recovered.phones)) ||
        (err = db_each(db, "SELECT user_id, state, reason FROM agent_states WHERE state <> 'offline' ORDER BY user_id", NULL, 0,
                       agent_row, &recovered)))
        return err;
    return 0;
}

void tel_store_restore(const struct recovered *r, int64_t now)
{
    int agents = 0;
    registrar_bindings_apply(&r->phones, now);
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
    if (agents)
        log_info("tel: restored %d agents' states from the last run", agents);
    dialogs_hangup(r);
}
