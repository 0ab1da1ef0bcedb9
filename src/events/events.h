/*
 * events: the contact center's event log. Every fact of the phones (a call
 * arrived, a key chosen, a caller queued, offered, answered, abandoned, an
 * agent's state, a phone's registration) is appended here, in order, from
 * any thread and without waiting: events_emit() copies the fact into a
 * buffer; a writer thread appends what the buffer holds to the `events`
 * table in one transaction every EVENTS_BATCH_MS (sooner when it fills), and
 * in the same transaction runs the projections other modules registered
 * (the calls table, the phones' registrations, the agents' states), so a
 * projection never disagrees with the log it is built from.
 *
 * A kill -9 loses at most the events of the last batch interval. While the
 * store is down the events wait in memory (EVENTS_PENDING_MAX, then the
 * oldest are dropped and the log says how many) and are written, in order,
 * when it answers again. The kinds, their fields and what they mean are
 * defined once, in events.c's table, and listed in docs/events.md (a test
 * checks the two agree).
 */
#ifndef WASL_EVENTS_H
#define WASL_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

#define EVENTS_BATCH_MS 100
#define EVENTS_PENDING_MAX 100000
#define EVENTS_TEXT_MAX 96
#define EVENTS_LONG_MAX 1152 /* the long field: an IVR path, a file name, a SIP dialog */

enum ev_kind {
    EV_CALL_ARRIVED,
    EV_CALL_IVR,
    EV_CALL_LANGUAGE,
    EV_QUEUE_JOINED,
    EV_CALL_OFFERED,
    EV_CALL_NOT_ANSWERED,
    EV_CALL_ANSWERED,
    EV_CALL_HELD,
    EV_CALL_RESUMED,
    EV_CALL_ABANDONED,
    EV_QUEUE_LEFT,
    EV_CALL_ENDED,
    EV_CALL_RECORDED,
    EV_CALLBACK_REQUESTED,
    EV_MESSAGE_LEFT,
    EV_AGENT_STATE,
    EV_PHONE_REGISTERED,
    EV_PHONE_UNREGISTERED,
    EV_CALL_LEG,
    EV_CALL_SUPERVISED,
    EV_CALLBACK_ATTEMPTED,
    EV_CALL_TRANSFERRED,
    EV_CALL_CONSULTED,
    EV_CALL_DISPOSITION,
    EV_PRACTICE_CALL,
    EV_KINDS
};

/* One event. Which of a, b, c (text) and n, m (numbers) a kind uses, and
 * under what names they are stored, is in its definition; a field without
 * a name is given to the projections only and never stored (message.left's
 * b: the caller's number, which its projection seals). */
struct ev {
    enum ev_kind kind;
    int64_t at;    /* µs since the epoch */
    int64_t call;  /* the call's number (calls.id), 0: none */
    int64_t agent; /* the agent's user id, 0: none */
    char queue[16];
    char a[EVENTS_TEXT_MAX], b[EVENTS_TEXT_MAX], c[EVENTS_LONG_MAX]; /* c: the long one */
    int64_t n, m;
};

struct ev_def {
    const char *name;              /* "call.arrived" */
    const char *a, *b, *c, *n, *m; /* field names in the stored data; NULL: unused */
    const char *meaning;
    bool transient; /* given to the projections only, never stored in the log */
};
extern const struct ev_def ev_defs[EV_KINDS];
/* The kind's fields of an event's stored data (a JSON object) into out's
 * a, b, c, n, m (data.c): by a scanner of flat objects when it is certain
 * (scanner true), else by jansson, with the same result. id: the event's,
 * for the error (events.bad_data: not a JSON object). */
int ev_data_read(const struct ev_def *def, const char *data, struct ev *out, int64_t id, bool scanner);
/* The kind of a name, -1 when unknown. */
int ev_kind_of(const char *name);

/* A projection: runs inside the writer's transaction, for every event, in
 * order (from the next batch on). */
typedef int (*ev_projection_h)(struct db_conn *c, const struct ev *e, void *arg);
int events_projection(ev_projection_h h, void *arg);

int events_start(struct db *db);
/* Writes what is buffered and stops the writer. */
void events_stop(void);
bool events_running(void);

/* Appends an event (e->at 0: now). Never blocks on the store. */
void events_emit(const struct ev *e);
/* Shorthand: every field given (NULL strings are empty). */
void events_add(enum ev_kind k, int64_t call, int64_t agent, const char *queue, const char *a, const char *b, const char *c,
                int64_t n, int64_t m);
/* The writer notes every EVENTS_BEAT_S that the process is alive; the last
 * beat of the previous run (µs since the epoch, 0: none), read at
 * events_start, is when it was last known to run: after a crash, calls it
 * cut are ended then. */
#define EVENTS_BEAT_S 2
int events_heartbeat(struct db *db, int64_t at);
int64_t events_previous_beat(void);
/* events_start() registers the log's take-over hook (src/cluster): when
 * this node takes the distributor's lease, the dead leader's last beat is
 * read (for the calls it cut), then this node beats; nothing when it
 * already beats (it led from the start). */
/* Waits (at most timeout_ms) until every event emitted before the call is
 * in the store: WASL_EBUSY "events.not_written" when not (the store is down). */
int events_flush(int timeout_ms);

/* ---- settings (events.*) ---- */
extern const struct conf_def events_conf[];
extern const size_t events_conf_count;

/* Prometheus text of the log's counters (caller frees). */
char *events_metrics_text(void);

/* Counters for /metrics. */
struct events_stats {
    uint64_t emitted, written, dropped, batches;
    int64_t pending;
    int64_t last_batch_us; /* how long the last transaction took */
    int64_t last_beat;     /* clock µs of the last heartbeat written, 0: none yet */
};
void events_stats(struct events_stats *out);

/* ---- reading the log ---- */
struct ev_row {
    int64_t id, at, call, agent;
    const char *kind, *queue, *data; /* data: a JSON object */
};
typedef int (*ev_row_h)(const struct ev_row *r, void *arg);
struct ev_filter {
    int64_t call;         /* 0: any */
    int64_t agent;        /* 0: any */
    int64_t after_id;     /* events with a larger id */
    int64_t since, until; /* µs, 0: unbounded */
    int limit;
};
/* An event as read back (its data's fields under its kind's names) as the
 * struct the projections get: WASL_EINVAL for an unknown kind or data that
 * is not a JSON object. */
int ev_from_row(const struct ev_row *r, struct ev *out);
/* Oldest first. */
int events_list(struct db *db, const struct ev_filter *f, ev_row_h h, void *arg);
/* Every event with since <= at < until, oldest first, in one pass: the
 * first and last ids of the period are found by their time, then the rows
 * are read by id in pages (a report over a month of events reads each row
 * once; events_list's pages each search the period again). */
int events_scan(struct db *db, int64_t since, int64_t until, ev_row_h h, void *arg);
/* Each agent's last agent.state event before `before` (µs): their states
 * as they stood then, oldest first. */
int events_agent_states_at(struct db *db, int64_t before, ev_row_h h, void *arg);
/* Deletes the events older than before (µs); *n how many. */
int events_purge(struct db *db, int64_t before, int *n);

#endif
