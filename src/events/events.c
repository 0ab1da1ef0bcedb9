/*
 * The event log: the kinds, the buffer any thread appends to, and the writer
 * thread that turns the buffer into rows of `events` (and the projections)
 * one transaction at a time.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "events.h"
#include "cluster/cluster.h"

/* clang-format off */
const struct conf_def events_conf[] = {
    {"events.retention", CONF_DURATION, "730d", 86400, 3650 * 86400LL, "events of the phones are kept this long (statistics are computed from them), then deleted"},
};
/* clang-format on */
const size_t events_conf_count = sizeof(events_conf) / sizeof(events_conf[0]);

/* clang-format off */
const struct ev_def ev_defs[EV_KINDS] = {
    [EV_CALL_ARRIVED] = {"call.arrived", "did", "country", "sip_call_id", NULL, NULL,
        "A caller's INVITE was answered: the toll-free number dialled (did), the country it serves, the carrier's Call-ID."},
    [EV_CALL_IVR] = {"call.ivr", "node", "keys", NULL, NULL, NULL,
        "The IVR reached a node; keys: the keys that led there (never the digits of a PIN or of a case reference: those are given as their count, '#4')."},
    [EV_CALL_LANGUAGE] = {"call.language", "language", NULL, NULL, NULL, NULL,
        "The caller's language is known (chosen with a key, or the country's default)."},
    [EV_QUEUE_JOINED] = {"queue.joined", "service", "from", NULL, "position", "by",
        "The caller joined a queue at this position (1: next). The queue column is its name: the language for the general service (fr), language.service otherwise (fr.dossier); service: the IVR node's (empty after a transfer, a move or for a callback); from and by: set when a supervisor moved a waiting caller here (the queue they left, the supervisor's user id), empty and 0 otherwise: not a new offer, the caller keeps their first arrival (a queue.left why moved comes just before)."},
    [EV_CALL_OFFERED] = {"call.offered", "contact", NULL, NULL, NULL, NULL,
        "The distributor offered the call to an agent: their phone rings."},
    [EV_CALL_NOT_ANSWERED] = {"call.not_answered", "why", NULL, NULL, "ring_ms", NULL,
        "The agent's phone did not take the call (why: timeout, declined, unreachable); the call goes back to the head of its queue."},
    [EV_CALL_ANSWERED] = {"call.answered", NULL, NULL, NULL, "waited_ms", NULL,
        "The agent answered: caller and agent are bridged. waited_ms: time in queue."},
    [EV_CALL_HELD] = {"call.held", NULL, NULL, NULL, NULL, NULL,
        "The agent put the caller on hold (the caller hears music)."},
    [EV_CALL_RESUMED] = {"call.resumed", NULL, NULL, NULL, "held_ms", NULL,
        "The agent took the caller back from hold."},
    [EV_CALL_ABANDONED] = {"call.abandoned", NULL, NULL, NULL, "waited_ms", "position",
        "The caller hung up while waiting in a queue (or while an agent's phone rang); position: their place when they left."},
    [EV_QUEUE_LEFT] = {"queue.left", "why", "to", NULL, "waited_ms", "by",
        "The caller left the queue without an agent, sent on by the distributor to the IVR node's branch: why is timeout (the node's or the queue's max wait), full (the queue held its max length when they came) or no_agents (nobody who can take the queue is logged in, when they came or since); or why is moved: a supervisor (by: their user id) moved the waiting caller to the queue to, where a queue.joined follows (waited_ms: the wait so far; to and by are empty and 0 for the other reasons)."},
    [EV_CALL_ENDED] = {"call.ended", "outcome", NULL, "path", "waited_ms", "talked_ms",
        "The call ended. outcome: completed, answered, abandoned, caller_hangup, rtp_timeout, no_ack (wasl's 200 never acknowledged), error, shutdown or crashed; path: the IVR nodes visited; by whom is in the outcome (answered calls: agent column set when the agent hung up)."},
    [EV_CALL_RECORDED] = {"call.recorded", "error", NULL, "file", "seconds", "dropped_frames",
        "The call's recording was written to this file (streamed during the call). error: empty, or disk_full or disk_error when the disk failed and the file ends there; dropped_frames: 20 ms frames the disk did not keep up with, silence in the file."},
    [EV_CALLBACK_REQUESTED] = {"callback.requested", "result", NULL, NULL, NULL, NULL,
        "The caller asked to be called back; result: stored, merged (a request from the same number was already waiting) or refused."},
    [EV_MESSAGE_LEFT] = {"message.left", "language", NULL, "file", "seconds", "cut",
        "The caller left a voice message: their language at that moment, the WAV file and its length (streamed to disk as they spoke). cut: 0 the whole message; 1 wasl stopped during it (a crash): the file holds what was said until then, finished at the next start (the event's time: when wasl was last known to run); 2 the disk failed (full or failing): the file holds what was written before, or is empty when nothing was kept. The caller's number goes to the projection (the voice_messages table, sealed) and never into the log."},
    [EV_AGENT_STATE] = {"agent.state", "state", "reason", NULL, "by", NULL,
        "An agent's state changed: offline, available, ringing, busy, wrap_up or paused (reason: break, training, phone_offline, ...); call column: the call that made it (ringing, busy, wrap_up); by: 0 when the agent or the distributor did it, else the supervisor who forced it (-1: the system, e.g. the account was disabled)."},
    [EV_PHONE_REGISTERED] = {"phone.registered", "contact", "flow", "path", "expires_s", NULL,
        "An agent's phone registered (or refreshed its registration) at this contact. flow: the TCP or TLS connection it came over (empty over UDP or behind a proxy); path: the proxies it registered through (RFC 3327 Path, empty when none)."},
    [EV_PHONE_UNREGISTERED] = {"phone.unregistered", "why", NULL, NULL, "registered_at", NULL,
        "An agent's phone is no longer registered (why: unregistered, expired, disabled). registered_at: for expired, when the registration that expired was made (µs since the epoch); the store's binding is removed only if no node took a newer one since."},
    [EV_CALL_SUPERVISED] = {"call.supervised", "mode", "change", NULL, "supervisor", NULL,
        "A supervisor's phone joined, changed mode on or left a call in conversation. mode: listen (hears both), whisper (the agent hears them too), barge (everybody hears everybody) or off; change: joined, changed, or why they left (stopped, hung_up, not_answered, call_ended); supervisor: their user id (agent column: the call's agent)."},
    [EV_CALLBACK_ATTEMPTED] = {"callback.attempted", "stage", "why", NULL, "callback", "attempt",
        "A callback request is being dialled (the call column is the attempt's own call). stage: queued (waits for an agent at the request's place), dialling (the agent answered; the citizen's phone rings), answered (bridged), done (the citizen was reached) or failed (why: callback_no_answer, callback_busy, callback_failed, ...); callback: the request's id; attempt: 1, 2, ..."},
    [EV_CALL_TRANSFERRED] = {"call.transferred", "to", "target", NULL, "by", NULL,
        "A call in conversation was transferred: to queue (blind; target: its language; a queue.joined follows and the caller keeps their first arrival as their place), to agent (blind; target: the colleague's user id, whose phone is offered the call: a call.offered follows; not answered, the caller takes back their place in their queue) or to agent_attended (after a consultation: the colleague has the caller now). The agent column is the agent who had it (now in wrap-up); by: who asked it (the agent, from the desk or their phone's REFER, or a supervisor)."},
    [EV_CALL_CONSULTED] = {"call.consulted", "stage", NULL, NULL, "colleague", "by",
        "A consultation on a call in conversation: the agent calls a colleague while the caller waits on hold with music. stage: ringing (the colleague's phone is called), talking (they answered: agent and colleague hear each other, the caller hears music), conference (the caller joined: the three talk), or how it ended without a transfer (cancelled, not_answered, unreachable, hung_up, call_ended); a completed consultation is a call.transferred to agent_attended. colleague: their user id; by: who asked it."},
    [EV_CALL_DISPOSITION] = {"call.disposition", "disposition", NULL, NULL, "with_case", "changed",
        "The agent recorded the call's outcome at the desk: disposition (a code of data/cases/dispositions.json); with_case: 1 when a case was opened or followed up (its reference is in the audit trail, not here); changed: 1 when it replaces an earlier record of the same call."},
    [EV_PRACTICE_CALL] = {"practice.call", "stage", "outcome", "script", "session", "lines",
        "A practice call (docs/practice.md): wasl itself calls a trainee's phone and plays a script's pretend caller; never a call of the center (no call.* event, no call row, no queue, left out of every figure). stage: dialling, ringing, answered, ended (outcome: trainee_hangup, script_done, rtp_timeout, shutdown), not_answered (outcome: declined, timeout, unreachable) or failed; script: its id; session: the practice session; lines: the script's lines played so far (agent column: the trainee)."},
    [EV_CALL_LEG] = {"call.leg", "leg", NULL, "dialog", "cseq", NULL,
        "A call's leg (caller or agent) is established: its SIP dialog, so that a restart after a crash can hang it up. Not stored in the log (the dialog names the caller's number): only its projection keeps it, sealed, until the call ends.", true},
};
/* clang-format on */

int ev_kind_of(const char *name)
{
    for (int k = 0; k < EV_KINDS; k++)
        if (name && !strcmp(ev_defs[k].name, name))
            return k;
    return -1;
}

#define PROJECTIONS_MAX 8
#define BATCH_MAX 1000

static struct {
    pthread_mutex_t mx;
    pthread_cond_t cv, done_cv;
    pthread_t thread;
    bool started, stopping;
    struct db *db;
    /* the buffer: a ring of events waiting for the writer */
    struct ev *ring;
    size_t cap, head, len;
    uint64_t seq_emitted, seq_written; /* counts, for events_flush() */
    size_t trimmed;                    /* dropped from the head since the writer copied its batch */
    struct events_stats st;
    struct {
        ev_projection_h h;
        void *arg;
    } proj[PROJECTIONS_MAX];
    int nproj;
} g = {.mx = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER, .done_cv = PTHREAD_COND_INITIALIZER};

int events_projection(ev_projection_h h, void *arg)
{
    int err = 0;
    pthread_mutex_lock(&g.mx);
    for (int i = 0; i < g.nproj; i++)
        if (g.proj[i].h == h)
            goto out;
    if (g.nproj == PROJECTIONS_MAX) {
        err = err_set(WASL_ELIMIT, "events.too_many_projections", "at most %d projections", PROJECTIONS_MAX);
        goto out;
    }
    g.proj[g.nproj].h = h;
    g.proj[g.nproj++].arg = arg;
out:
    pthread_mutex_unlock(&g.mx);
    return err;
}

/* Grows the ring (under the lock); false when it cannot. */
static bool ring_grow(void)
{
    size_t cap = g.cap ? g.cap * 2 : 1024;
    if (cap > EVENTS_PENDING_MAX)
        cap = EVENTS_PENDING_MAX;
    if (cap <= g.cap)
        return false;
    struct ev *r = malloc(cap * sizeof(*r));
    if (!r)
        return false;
    for (size_t i = 0; i < g.len; i++)
        r[i] = g.ring[(g.head + i) % g.cap];
    free(g.ring);
    g.ring = r;
    g.cap = cap;
    g.head = 0;
    return true;
}

void events_emit(const struct ev *e)
{
    static int64_t last_drop_log;
    pthread_mutex_lock(&g.mx);
    if (g.len == g.cap && !ring_grow()) {
        /* Full (the store has been down long): the oldest goes, loudly. */
        g.head = (g.head + 1) % g.cap;
        g.len--;
        g.trimmed++;
        g.st.dropped++;
        g.seq_written++; /* it will never be written: nobody waits for it */
        int64_t now = clock_mono_us();
        if (now - last_drop_log > 60 * WTIME_SEC || !last_drop_log) {
            last_drop_log = now;
            log_error("events: %d events wait for the store, the most it keeps: the oldest are dropped (%llu so far)",
                      EVENTS_PENDING_MAX, (unsigned long long)g.st.dropped);
        }
    }
    if (g.cap) {
        struct ev *d = &g.ring[(g.head + g.len) % g.cap];
        *d = *e;
        if (!d->at)
            d->at = clock_now();
        g.len++;
        g.seq_emitted++;
        g.st.emitted++;
        if (g.len >= 512)
            pthread_cond_signal(&g.cv);
    }
    pthread_mutex_unlock(&g.mx);
}

void events_add(enum ev_kind k, int64_t call, int64_t agent, const char *queue, const char *a, const char *b, const char *c,
                int64_t n, int64_t m)
{
    struct ev e;
    e.kind = k;
    e.at = 0;
    e.call = call;
    e.agent = agent;
    snprintf(e.queue, sizeof(e.queue), "%s", queue ? queue : "");
    snprintf(e.a, sizeof(e.a), "%s", a ? a : "");
    snprintf(e.b, sizeof(e.b), "%s", b ? b : "");
    snprintf(e.c, sizeof(e.c), "%s", c ? c : "");
    e.n = n;
    e.m = m;
    events_emit(&e);
}

/* The stored data of an event: its used fields under their names. */
static int data_json(const struct ev *e, struct sbuf *b)
{
    const struct ev_def *d = &ev_defs[e->kind];
    bool first = true;
    sbuf_adds(b, "{");
    const char *tn[3] = {d->a, d->b, d->c}, *tv[3] = {e->a, e->b, e->c};
    for (int i = 0; i < 3; i++) {
        if (!tn[i])
            continue;
        sbuf_addf(b, "%s\"%s\":", first ? "" : ",", tn[i]);
        json_add_string(b, tv[i]);
        first = false;
    }
    const char *nn[2] = {d->n, d->m};
    int64_t nv[2] = {e->n, e->m};
    for (int i = 0; i < 2; i++) {
        if (!nn[i])
            continue;
        sbuf_addf(b, "%s\"%s\":%lld", first ? "" : ",", nn[i], (long long)nv[i]);
        first = false;
    }
    sbuf_adds(b, "}");
    return b->oom ? WASL_ENOMEM : 0;
}

struct batch {
    struct ev *e;
    size_t n;
    struct {
        ev_projection_h h;
        void *arg;
    } proj[PROJECTIONS_MAX];
    int nproj;
};

/* Rows per INSERT: one statement (one round trip to PostgreSQL) carries
 * many events. */
#define ROWS_PER_INSERT 64

/* Inserts the stored events of e[0..n) in order, ROWS_PER_INSERT at a time. */
static int insert_events(struct db_conn *c, const struct ev *e, size_t n)
{
    static const char head[] = "INSERT INTO events (at, kind, call_id, agent, queue, data) VALUES ";
    struct db_param p[ROWS_PER_INSERT * 6];
    char *data[ROWS_PER_INSERT] = {0};
    char sql[sizeof(head) + ROWS_PER_INSERT * 20];
    int err = 0;
    size_t i = 0;
    while (i < n && !err) {
        int rows = 0;
        for (; i < n && rows < ROWS_PER_INSERT; i++) {
            if (ev_defs[e[i].kind].transient)
                continue;
            struct sbuf b;
            sbuf_init(&b, 8192);
            if ((err = data_json(&e[i], &b))) {
                sbuf_release(&b);
                break;
            }
            data[rows] = sbuf_take(&b);
            struct db_param *q = &p[rows * 6];
            q[0] = DB_I(e[i].at);
            q[1] = DB_S(ev_defs[e[i].kind].name);
            q[2] = e[i].call ? DB_I(e[i].call) : DB_NULL;
            q[3] = e[i].agent ? DB_I(e[i].agent) : DB_NULL;
            q[4] = DB_S(e[i].queue[0] ? e[i].queue : NULL);
            q[5] = DB_S(data[rows]);
            rows++;
        }
        if (!err && rows) {
            size_t k = (size_t)snprintf(sql, sizeof(sql), "%s", head);
            for (int r = 0; r < rows; r++)
                k += (size_t)snprintf(sql + k, sizeof(sql) - k, "%s(?, ?, ?, ?, ?, ?)", r ? ", " : "");
            err = db_exec(c, sql, p, rows * 6);
        }
        for (int r = 0; r < rows; r++) {
            free(data[r]);
            data[r] = NULL;
        }
    }
    return err;
}

static int batch_h(struct db_conn *c, void *arg)
{
    struct batch *bt = arg;
    int err = insert_events(c, bt->e, bt->n);
    for (size_t i = 0; i < bt->n && !err; i++)
        for (int p = 0; p < bt->nproj && !err; p++)
            err = bt->proj[p].h(c, &bt->e[i], bt->proj[p].arg);
    return err;
}

static void sleep_until(int64_t mono_deadline)
{
    int64_t wait_us = mono_deadline - clock_mono_us();
    if (wait_us <= 0)
        return;
    struct timespec ts;
    clock_deadline(wait_us, &ts);
    pthread_cond_timedwait(&g.cv, &g.mx, &ts);
}

/* Once a day (the first a minute after start): events past the retention. */
static void purge_due(int64_t *next)
{
    if (clock_mono_us() < *next)
        return;
    *next = clock_mono_us() + 86400 * WTIME_SEC;
    int n = 0;
    pthread_mutex_unlock(&g.mx);
    if (events_purge(g.db, clock_now() - conf_int("events.retention") * WTIME_SEC, &n))
        log_warn("events: old events not deleted: %s", err_message());
    else if (n)
        log_info("events: %d events older than events.retention deleted", n);
    err_clear();
    pthread_mutex_lock(&g.mx);
}

int events_heartbeat(struct db *db, int64_t at)
{
    struct db_conn *c;
    int err;
    if ((err = db_conn_get(db, &c)))
        return err;
    err = db_exec(c, "INSERT INTO heartbeats (node, at) VALUES ('main', ?) ON CONFLICT (node) DO UPDATE SET at = excluded.at",
                  DBP(DB_I(at)));
    db_conn_put(c);
    return err;
}

static int64_t previous_beat; /* read at start, before the writer beats */
/* Only the node that runs the telephony notes it is alive (and purges old
 * events): a standby's beats would hide when the leader died. */
static _Atomic bool beating;

int64_t events_previous_beat(void)
{
    return previous_beat;
}

static void read_previous_beat(void)
{
    struct db_conn *c;
    previous_beat = 0;
    if (!db_conn_get(g.db, &c)) {
        if (db_query_int(c, &previous_beat, "SELECT COALESCE(MAX(at), 0) FROM heartbeats WHERE node = 'main'", NULL, 0))
            previous_beat = 0;
        db_conn_put(c);
    }
    err_clear(); /* unknown: the calls cut end at their last event */
}

static void events_take_over(void)
{
    if (atomic_load(&beating))
        return;
    read_previous_beat(); /* the last beat of the node that died */
    atomic_store(&beating, true);
}

/* Every EVENTS_BEAT_S: the process is alive (a restart after a crash ends
 * the calls it cut at the last beat). */
static void heartbeat_due(int64_t *next)
{
    if (clock_mono_us() < *next)
        return;
    *next = clock_mono_us() + EVENTS_BEAT_S * WTIME_SEC;
    pthread_mutex_unlock(&g.mx);
    int64_t now = clock_now();
    bool ok = !events_heartbeat(g.db, now);
    err_clear(); /* an outage: the events say it loudly */
    pthread_mutex_lock(&g.mx);
    if (ok)
        g.st.last_beat = now;
}

static void *writer(void *arg)
{
    (void)arg;
    struct ev *batch = malloc(BATCH_MAX * sizeof(*batch));
    int backoff_s = 0;
    int64_t next_try = 0, next_purge = clock_mono_us() + 60 * WTIME_SEC, next_beat = 0;
    bool outage = false;

    pthread_mutex_lock(&g.mx);
    for (;;) {
        if (!outage && atomic_load(&beating)) {
            purge_due(&next_purge);
            heartbeat_due(&next_beat);
        }
        /* Wait for the batch interval, unless stopping or the buffer fills;
         * during an outage, for the next try. */
        int64_t due = outage ? next_try : clock_mono_us() + EVENTS_BATCH_MS * 1000;
        while (!g.stopping && (g.len < 512 || outage) && clock_mono_us() < due)
            sleep_until(due);
        if (!g.len) {
            if (g.stopping)
                break;
            continue;
        }
        /* Copy a batch out; it leaves the ring only once written. */
        size_t n = g.len < BATCH_MAX ? g.len : BATCH_MAX;
        g.trimmed = 0;
        for (size_t i = 0; i < n && batch; i++)
            batch[i] = g.ring[(g.head + i) % g.cap];
        struct batch bt = {batch, n, {{0}}, g.nproj};
        memcpy(bt.proj, g.proj, sizeof(bt.proj));
        pthread_mutex_unlock(&g.mx);

        int err = WASL_ENOMEM;
        int64_t t0 = clock_mono_us();
        if (batch)
            err = db_tx(g.db, batch_h, &bt);
        int64_t took = clock_mono_us() - t0;
        bool down = err && db_is_failing(g.db);
        if (err && !down)
            log_error("events: %zu events not written: %s", n, err_message());
        err_clear();

        pthread_mutex_lock(&g.mx);
        if (down) {
            if (!outage)
                log_warn("events: the store does not answer: events are kept in memory (%lld now) and written when it does",
                         (long long)g.len);
            outage = true;
            backoff_s = !backoff_s ? 1 : backoff_s >= 15 ? 30 : backoff_s * 2;
            next_try = clock_mono_us() + backoff_s * WTIME_SEC;
            if (g.stopping) {
                log_error("events: the store is still down as wasl stops: %zu events are lost", g.len);
                g.st.dropped += g.len;
                g.seq_written += g.len;
                g.len = 0;
                break;
            }
            continue;
        }
        if (outage)
            log_info("events: the store answers again: the events kept meanwhile are being written");
        outage = false;
        backoff_s = 0;
        /* Written, or refused for a reason of their own (logged): either
         * way they leave the buffer, less those the ring dropped meanwhile. */
        size_t k = g.trimmed >= n ? 0 : n - g.trimmed;
        k = k <= g.len ? k : g.len;
        g.head = (g.head + k) % g.cap;
        g.len -= k;
        g.seq_written += k;
        if (!err) {
            g.st.written += n;
            g.st.batches++;
        } else {
            g.st.dropped += n;
        }
        g.st.last_batch_us = took;
        pthread_cond_broadcast(&g.done_cv);
    }
    pthread_cond_broadcast(&g.done_cv);
    pthread_mutex_unlock(&g.mx);
    free(batch);
    return NULL;
}

/* The cluster's hooks: the log's part of taking over, and of stepping
 * down (a node that no longer leads does not beat). */
static int take_over_h(void *arg)
{
    (void)arg;
    events_take_over();
    return 0;
}

static void step_down_h(void *arg)
{
    (void)arg;
    atomic_store(&beating, false);
}

int events_start(struct db *db)
{
    int err;
    if ((err = cluster_on_lead("events: the last beat of the node that led before", CLUSTER_STAGE_LOG, take_over_h, NULL)) ||
        (err = cluster_on_step_down("events: no more beats", CLUSTER_STAGE_LOG, step_down_h, NULL)))
        return err;
    pthread_mutex_lock(&g.mx);
    if (g.started) {
        pthread_mutex_unlock(&g.mx);
        return 0;
    }
    g.db = db;
    g.stopping = false;
    read_previous_beat();
    atomic_store(&beating, cluster_leading());
    if (!g.cap && !ring_grow()) {
        pthread_mutex_unlock(&g.mx);
        return err_set(WASL_ENOMEM, "events.memory", "no memory for the event buffer");
    }
    if (pthread_create(&g.thread, NULL, writer, NULL)) {
        pthread_mutex_unlock(&g.mx);
        return err_set(WASL_EINTERNAL, "events.thread", "cannot start the event log's writer");
    }
    g.started = true;
    pthread_mutex_unlock(&g.mx);
    return 0;
}

void events_stop(void)
{
    pthread_mutex_lock(&g.mx);
    if (!g.started) {
        pthread_mutex_unlock(&g.mx);
        return;
    }
    g.stopping = true;
    pthread_cond_broadcast(&g.cv);
    pthread_mutex_unlock(&g.mx);
    pthread_join(g.thread, NULL);
    pthread_mutex_lock(&g.mx);
    g.started = false;
    free(g.ring);
    g.ring = NULL;
    g.cap = g.head = g.len = 0;
    pthread_mutex_unlock(&g.mx);
}

bool events_running(void)
{
    pthread_mutex_lock(&g.mx);
    bool r = g.started;
    pthread_mutex_unlock(&g.mx);
    return r;
}

int events_flush(int timeout_ms)
{
    int64_t deadline = clock_mono_us() + (int64_t)timeout_ms * 1000;
    pthread_mutex_lock(&g.mx);
    uint64_t want = g.seq_emitted;
    pthread_cond_signal(&g.cv);
    while (g.started && g.seq_written < want && clock_mono_us() < deadline) {
        int64_t wait_us = deadline - clock_mono_us();
        struct timespec ts;
        clock_deadline(wait_us < 50000 ? wait_us : 50000, &ts);
        pthread_cond_timedwait(&g.done_cv, &g.mx, &ts);
        pthread_cond_signal(&g.cv);
    }
    bool ok = g.seq_written >= want;
    pthread_mutex_unlock(&g.mx);
    return ok ? 0 : err_set(WASL_EBUSY, "events.not_written", "the event log could not write its buffer in %d ms", timeout_ms);
}

char *events_metrics_text(void)
{
    struct events_stats st;
    struct sbuf b;
    events_stats(&st);
    sbuf_init(&b, 4096);
    sbuf_addf(&b,
              "# HELP wasl_events_emitted_total Events of the phones appended to the log's buffer.\n"
              "# TYPE wasl_events_emitted_total counter\nwasl_events_emitted_total %llu\n"
              "# HELP wasl_events_written_total Events written to the store.\n"
              "# TYPE wasl_events_written_total counter\nwasl_events_written_total %llu\n"
              "# HELP wasl_events_dropped_total Events lost: the buffer was full during a long outage, or the store refused them.\n"
              "# TYPE wasl_events_dropped_total counter\nwasl_events_dropped_total %llu\n"
              "# HELP wasl_events_pending Events waiting for the store.\n"
              "# TYPE wasl_events_pending gauge\nwasl_events_pending %lld\n"
              "# HELP wasl_events_batch_seconds Duration of the last transaction of the log's writer.\n"
              "# TYPE wasl_events_batch_seconds gauge\nwasl_events_batch_seconds %.6f\n"
              "# HELP wasl_events_heartbeat_timestamp_seconds When the log's writer last noted in the store that wasl is alive.\n"
              "# TYPE wasl_events_heartbeat_timestamp_seconds gauge\nwasl_events_heartbeat_timestamp_seconds %.3f\n",
              (unsigned long long)st.emitted, (unsigned long long)st.written, (unsigned long long)st.dropped, (long long)st.pending,
              (double)st.last_batch_us / 1e6, (double)st.last_beat / 1e6);
    return sbuf_take(&b);
}

void events_stats(struct events_stats *out)
{
    pthread_mutex_lock(&g.mx);
    *out = g.st;
    out->pending = (int64_t)g.len;
    pthread_mutex_unlock(&g.mx);
}

/* ---- reading ---- */

struct list_ctx {
    ev_row_h h;
    void *arg;
};

static int list_row(struct db_stmt *s, void *arg)
{
    struct list_ctx *l = arg;
    struct ev_row r = {
        .id = db_int(s, 0),
        .at = db_int(s, 1),
        .kind = db_text(s, 2),
        .call = db_is_null(s, 3) ? 0 : db_int(s, 3),
        .agent = db_is_null(s, 4) ? 0 : db_int(s, 4),
        .queue = db_text(s, 5) ? db_text(s, 5) : "",
        .data = db_text(s, 6),
    };
    return l->h(&r, l->arg);
}

int events_list(struct db *db, const struct ev_filter *f, ev_row_h h, void *arg)
{
    struct list_ctx l = {h, arg};
    int limit = f->limit > 0 && f->limit <= 10000 ? f->limit : 1000;
    if (f->limit > 10000)
        return err_set_field(WASL_EINVAL, "events.limit", "limit", "at most 10000 events at a time");
    return db_each(db,
                   /* CAST: PostgreSQL types "? = 0" as a 32-bit integer, too small for µs */
                   "SELECT id, at, kind, call_id, agent, queue, data FROM events WHERE id > ? AND "
                   "(CAST(? AS BIGINT) = 0 OR call_id = ?) AND (CAST(? AS BIGINT) = 0 OR agent = ?) AND at >= ? AND "
                   "(CAST(? AS BIGINT) = 0 OR at < ?) ORDER BY id LIMIT ?",
                   DBP(DB_I(f->after_id), DB_I(f->call), DB_I(f->call), DB_I(f->agent), DB_I(f->agent), DB_I(f->since),
                       DB_I(f->until), DB_I(f->until), DB_I(limit)),
                   list_row, &l);
}

struct scan_ctx {
    ev_row_h h;
    void *arg;
    int64_t since, until, last_id;
    int n;
};

static int scan_row(struct db_stmt *s, void *arg)
{
    struct scan_ctx *x = arg;
    x->n++;
    x->last_id = db_int(s, 0);
    int64_t at = db_int(s, 1);
    if (at < x->since || at >= x->until) /* written a little out of time order */
        return 0;
    struct list_ctx l = {x->h, x->arg};
    return list_row(s, &l);
}

int events_scan(struct db *db, int64_t since, int64_t until, ev_row_h h, void *arg)
{
    struct db_conn *c;
    int64_t first = 0, last = 0;
    int err = db_conn_get(db, &c);
    if (err)
        return err;
    /* MIN over the time index: the first event of the period; MAX: the last */
    if (!(err = db_query_int(c, &first, "SELECT COALESCE(MIN(id), 0) FROM events WHERE at >= ? AND at < ?",
                             DBP(DB_I(since), DB_I(until)))))
        err = db_query_int(c, &last, "SELECT COALESCE(MAX(id), 0) FROM events WHERE at >= ? AND at < ?",
                           DBP(DB_I(since), DB_I(until)));
    db_conn_put(c);
    if (err || !first)
        return err;
    struct scan_ctx x = {h, arg, since, until, first - 1, 0};
    do {
        x.n = 0;
        err = db_each(db,
                      "SELECT id, at, kind, call_id, agent, queue, data FROM events WHERE id > ? AND id <= ? ORDER BY id "
                      "LIMIT 10000",
                      DBP(DB_I(x.last_id), DB_I(last)), scan_row, &x);
    } while (!err && x.n == 10000);
    return err;
}

int events_agent_states_at(struct db *db, int64_t before, ev_row_h h, void *arg)
{
    struct list_ctx l = {h, arg};
    return db_each(db,
                   /* the agents who ever had a state, one descent each of the partial
                    * index events_agent_state (migration 0018) from the last one found
                    * (a loose index scan), then each one's last state before the
                    * instant, one more descent: never a pass over the states logged */
                   "WITH RECURSIVE a(agent) AS (SELECT MIN(agent) FROM events WHERE kind = 'agent.state' UNION ALL "
                   "SELECT (SELECT MIN(e.agent) FROM events e WHERE e.kind = 'agent.state' AND e.agent > a.agent) FROM a "
                   "WHERE a.agent IS NOT NULL) "
                   "SELECT id, at, kind, call_id, agent, queue, data FROM events WHERE id IN "
                   "(SELECT (SELECT e.id FROM events e WHERE e.kind = 'agent.state' AND e.agent = a.agent AND e.at < ? "
                   "ORDER BY e.at DESC, e.id DESC LIMIT 1) FROM a WHERE a.agent IS NOT NULL) ORDER BY id",
                   DBP(DB_I(before)), list_row, &l);
}

int ev_from_row(const struct ev_row *r, struct ev *out)
{
    int k = ev_kind_of(r->kind ? r->kind : "");
    if (k < 0)
        return err_set(WASL_EINVAL, "events.unknown_kind", "event %lld: unknown kind '%.40s'", (long long)r->id, r->kind);
    const struct ev_def *def = &ev_defs[k];
    memset(out, 0, sizeof(*out));
    out->kind = (enum ev_kind)k;
    out->at = r->at;
    out->call = r->call;
    out->agent = r->agent;
    size_t q = r->queue ? strnlen(r->queue, sizeof(out->queue) - 1) : 0;
    memcpy(out->queue, r->queue ? r->queue : "", q);
    return ev_data_read(def, r->data ? r->data : "{}", out, r->id, true);
}

int events_purge(struct db *db, int64_t before, int *n)
{
    struct db_conn *c;
    int err;
    *n = 0;
    if ((err = db_conn_get(db, &c)))
        return err;
    if (!(err = db_exec(c, "DELETE FROM events WHERE at < ?", DBP(DB_I(before)))))
        *n = (int)db_changes(c);
    db_conn_put(c);
    return err;
}
