/*
 * bench/events: what the event log costs. A call writes about 15 events
 * (arrival, IVR steps, queue, offer, answer, agent states, end); this
 * measures, on one store:
 *   - the emitting thread's cost per event (what the telephony's real-time
 *     thread pays): events_emit() with the writer running;
 *   - the writer's throughput in calls per second, events and the calls
 *     projection written in 100 ms batches;
 *   - the peer, in the same run on the same store: what wasl did before the
 *     log, one INSERT of a summary row per call, 256 rows per transaction.
 *
 *   build/bench/events_bench [--calls N] [--db URL]   (default: a temporary SQLite file)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "store/store.h"
#include "events/events.h"

#define PER_CALL 15

static int calls_projection(struct db_conn *c, const struct ev *e, void *arg)
{
    (void)arg;
    if (e->kind == EV_CALL_ARRIVED)
        return db_exec(c,
                       "INSERT INTO calls (id, call_id, started_at, answered_at, ended_at, did, country, language, outcome, "
                       "path) VALUES (?, ?, ?, 0, 0, ?, ?, '', 'up', '')",
                       DBP(DB_I(e->call), DB_S(e->c), DB_I(e->at), DB_S(e->a), DB_S(e->b)));
    if (e->kind == EV_CALL_ENDED)
        return db_exec(c, "UPDATE calls SET ended_at = ?, outcome = ?, path = ?, waited_ms = ?, talked_ms = ? WHERE id = ?",
                       DBP(DB_I(e->at), DB_S(e->a), DB_S(e->c), DB_I(e->n), DB_I(e->m), DB_I(e->call)));
    return 0;
}

static void one_call(int64_t id)
{
    char sip[64];
    snprintf(sip, sizeof(sip), "bench-%lld@127.0.0.1", (long long)id);
    events_add(EV_CALL_ARRIVED, id, 0, NULL, "+33800100200", "FR", sip, 0, 0);
    const char *nodes[] = {"welcome", "language", "main_menu", "agent"};
    for (int i = 0; i < 4; i++)
        events_add(EV_CALL_IVR, id, 0, NULL, nodes[i], i ? "1" : "", NULL, 0, 0);
    events_add(EV_CALL_LANGUAGE, id, 0, NULL, "fr", NULL, NULL, 0, 0);
    events_add(EV_QUEUE_JOINED, id, 0, "fr", NULL, NULL, NULL, 1, 0);
    events_add(EV_AGENT_STATE, id, 7, NULL, "ringing", "", NULL, 0, 0);
    events_add(EV_CALL_OFFERED, id, 7, "fr", "sip:agent@127.0.0.1:5062", NULL, NULL, 0, 0);
    events_add(EV_AGENT_STATE, id, 7, NULL, "busy", "", NULL, 0, 0);
    events_add(EV_CALL_ANSWERED, id, 7, "fr", NULL, NULL, NULL, 4200, 0);
    events_add(EV_CALL_HELD, id, 7, "fr", NULL, NULL, NULL, 0, 0);
    events_add(EV_CALL_RESUMED, id, 7, "fr", NULL, NULL, NULL, 9000, 0);
    events_add(EV_CALL_ENDED, id, 7, "fr", "answered", NULL, "welcome language main_menu agent", 4200, 182000);
    events_add(EV_AGENT_STATE, id, 7, NULL, "wrap_up", "", NULL, 0, 0);
}

struct rows {
    int64_t from;
    int n;
};

static int rows_h(struct db_conn *c, void *arg)
{
    struct rows *r = arg;
    int err = 0;
    for (int i = 0; i < r->n && !err; i++)
        err = db_exec(c,
                      "INSERT INTO calls (id, call_id, started_at, answered_at, ended_at, did, country, language, outcome, path, "
                      "agent_user, waited_ms, talked_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      DBP(DB_I(r->from + i), DB_S("bench@127.0.0.1"), DB_I(clock_now()), DB_I(clock_now()), DB_I(clock_now()),
                          DB_S("+33800100200"), DB_S("FR"), DB_S("fr"), DB_S("answered"), DB_S("welcome language main_menu agent"),
                          DB_I(7), DB_I(4200), DB_I(182000)));
    return err;
}

int main(int argc, char **argv)
{
    int calls = 20000;
    const char *url = NULL;
    char tmp[] = "/tmp/wasl-bench-events-XXXXXX", path[64];
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--calls") && i + 1 < argc)
            calls = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--db") && i + 1 < argc)
            url = argv[++i];
    }
    if (!url) {
        if (!mkdtemp(tmp))
            return 1;
        snprintf(path, sizeof(path), "%s/events.db", tmp);
        url = path;
    }
    struct db *db;
    conf_register(store_conf, store_conf_count);
    conf_register(events_conf, events_conf_count);
    if (db_open(&db, url) || db_migrate(db, NULL)) {
        fprintf(stderr, "events_bench: %s\n", err_message());
        return 1;
    }
    struct db_conn *c;
    int64_t base = 0;
    if (db_conn_get(db, &c) || db_query_int(c, &base, "SELECT COALESCE(MAX(id), 0) FROM calls", NULL, 0))
        return 1;
    db_conn_put(c);
    base += 1000;

    /* the peer first: one summary row per call, 256 per transaction */
    int64_t t0 = clock_mono_us();
    for (int done = 0; done < calls; done += 256) {
        struct rows r = {base + done, calls - done < 256 ? calls - done : 256};
        if (db_tx(db, rows_h, &r)) {
            fprintf(stderr, "events_bench: %s\n", err_message());
            return 1;
        }
    }
    double peer_s = (double)(clock_mono_us() - t0) / 1e6;
    base += calls + 1000;

    /* the log: the emitting side, then the writer's throughput */
    events_projection(calls_projection, NULL);
    if (events_start(db))
        return 1;
    int64_t emit_us = 0;
    t0 = clock_mono_us();
    for (int i = 0; i < calls; i++) {
        int64_t a = clock_mono_us();
        one_call(base + i);
        emit_us += clock_mono_us() - a;
        /* pace like a busy center would not: as fast as the writer drains,
         * never more than the buffer holds */
        struct events_stats st;
        if (i % 1000 == 999) {
            events_stats(&st);
            while (st.pending > EVENTS_PENDING_MAX / 2) {
                usleep(2000);
                events_stats(&st);
            }
        }
    }
    if (events_flush(600000)) {
        fprintf(stderr, "events_bench: %s\n", err_message());
        return 1;
    }
    double log_s = (double)(clock_mono_us() - t0) / 1e6;
    struct events_stats st;
    events_stats(&st);
    events_stop();

    printf("| store | calls | one summary row per call (before) | event log: %d events + calls projection per call | "
           "emit cost per event (calling thread) | events lost |\n|---|---|---|---|---|---|\n",
           PER_CALL);
    printf("| %s | %d | %.0f calls/s | %.0f calls/s (%.0f events/s, %llu transactions) | %.2f µs | %llu |\n", db_backend_name(db),
           calls, calls / peer_s, calls / log_s, calls * (double)PER_CALL / log_s, (unsigned long long)st.batches,
           (double)emit_us / ((double)calls * PER_CALL), (unsigned long long)st.dropped);
    db_close(db);
    if (url == path) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
        if (system(cmd))
            return 1;
    }
    return 0;
}
