/*
 * stats: the contact center's figures, computed from the event log
 * (docs/metrics.md defines each one). Two steps, both pure:
 *
 *  1. the fold reads events oldest first and cuts them into what the
 *     figures count: a *segment* is one stay of a call in one queue, from
 *     queue.joined to its fate (answered, abandoned, sent on), and for an
 *     answered one its conversation (talk, hold) and the agent's wrap-up;
 *     an *agent interval* is a stretch of time an agent spent in one state.
 *  2. the tally adds segments and intervals into figures by slice (queue,
 *     country, language, agent, time bucket) for a period.
 *
 * The same fold serves a report over stored events and, later, the live
 * figures fed event by event.
 */
#ifndef WASL_STATS_H
#define WASL_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "events/events.h"

/* ---- the fold ---- */

enum stats_fate {
    SF_WAITING,   /* still in the queue when the events ran out */
    SF_ANSWERED,  /* an agent took the call */
    SF_ABANDONED, /* the caller hung up while waiting (or while a phone rang) */
    SF_TIMEOUT,   /* sent on: the queue's or the IVR node's max wait */
    SF_FULL,      /* sent on: the queue was full */
    SF_NO_AGENTS, /* sent on: nobody who takes the queue logged in */
    SF_FATES
};

struct stats_segment {
    int64_t call;
    char queue[16];   /* fr, fr.dossier */
    char country[4];  /* of the toll-free number dialled; "" unknown (a callback) */
    char language[8]; /* the caller's */
    int64_t joined;   /* µs, when the call joined the queue */
    enum stats_fate fate;
    int64_t wait_ms;          /* joined -> answered, abandoned or sent on */
    int64_t agent;            /* who answered, 0: nobody */
    int64_t talk_ms, hold_ms; /* of the conversation with that agent */
    int64_t wrap_ms;          /* the agent's wrap-up after it; -1: the conversation or the
                               * wrap-up was still going on when the events ran out */
    int rings_unanswered;     /* offers to agents not taken */
    bool transferred;         /* the agent passed the call on (blind or attended) */
    bool callback;            /* a callback: the center dialled the citizen */
};

enum stats_agent_state { SA_OFFLINE, SA_AVAILABLE, SA_RINGING, SA_BUSY, SA_WRAP_UP, SA_PAUSED, SA_STATES };

struct stats_interval {
    int64_t agent;
    enum stats_agent_state state;
    char reason[32];  /* the pause's */
    int64_t from, to; /* µs */
};

typedef void (*stats_segment_h)(const struct stats_segment *s, void *arg);
typedef void (*stats_interval_h)(const struct stats_interval *i, void *arg);

struct stats_fold;
int stats_fold_new(stats_segment_h on_segment, stats_interval_h on_interval, void *arg, struct stats_fold **out);
/* Feeds one event (oldest first). */
int stats_fold_event(struct stats_fold *f, const struct ev *e);
/* The events ran out at `at`: what is still open is given as it stands (a
 * segment still waiting, an agent's current state up to `at`). */
void stats_fold_end(struct stats_fold *f, int64_t at);
void stats_fold_free(struct stats_fold *f);

/* Every event the figures of [from, to) need from the store's log, oldest
 * first, to on_event: the agents' states as they stood at `from`, then the
 * events from STATS_CALL_MARGIN_S before it until that margin after `to`,
 * or `now`. *end: where the events ran out (for stats_fold_end). A non-zero
 * return of on_event stops the reading and is returned. */
typedef int (*stats_event_h)(const struct ev *e, void *arg);
struct db;
int stats_store_events(struct db *db, int64_t from, int64_t to, int64_t now, stats_event_h on_event, void *arg, int64_t *end);

/* ---- the tally ---- */

enum stats_slice {
    SS_TOTAL, /* one row: the whole center */
    SS_QUEUE, /* fr, fr.dossier ... */
    SS_LANGUAGE,
    SS_COUNTRY,
    SS_AGENT,
    SS_INTERVAL, /* time buckets of `bucket_s`, in the center's time zone */
    SS_SLICES
};

struct stats_threshold {
    char queue[16];
    int seconds;
};

struct stats_query {
    int64_t from, to; /* the period, µs: segments that joined in it, intervals clipped to it */
    enum stats_slice slice;
    int bucket_s;                             /* SS_INTERVAL: 900, 1800, 3600 or 86400, from local midnight */
    int sl_threshold_s;                       /* the answer-time target of the service level ... */
    const struct stats_threshold *thresholds; /* ... unless the queue has its own */
    int nthresholds;
    int short_abandon_s; /* abandons quicker than this are counted apart */
    const char *tz;      /* the center's time zone (buckets) */
};

/* One row of figures. Counts of segments; times in ms. */
struct stats_row {
    char key[32]; /* the slice's value: "fr", "FR", "1042" (an agent), "2026-12-07T10:00" */
    int64_t offered, answered, abandoned, short_abandons, sent_on, waiting;
    int64_t answered_within, abandoned_within;
    int64_t wait_answered_ms, wait_max_ms;
    int64_t handled;                   /* answered segments whose wrap-up ended */
    int64_t talk_ms, hold_ms, wrap_ms; /* of the handled */
    int64_t transfers, rings_unanswered, callbacks;
    int64_t state_ms[SA_STATES]; /* agents' time per state (agent and total slices) */
};

struct stats_report;
/* Runs the fold over events given one by one (oldest first) and tallies. */
int stats_report_new(const struct stats_query *q, struct stats_report **out);
int stats_report_event(struct stats_report *r, const struct ev *e);
/* The events ran out at `at` (the last one read, or now for a period that
 * is not over): callers still waiting have waited until then. */
int stats_report_finish(struct stats_report *r, int64_t at);
/* The same over the store's event log: the agents' states at the period's
 * start, then the events from CALL_MARGIN before it (the calls that were
 * already up) until CALL_MARGIN after its end (their conversations and
 * wrap-ups), or now. */
#define STATS_CALL_MARGIN_S (4 * 3600)
struct db;
int stats_report_from_store(struct db *db, const struct stats_query *q, int64_t now, struct stats_report **out);
int stats_report_rows(const struct stats_report *r, const struct stats_row **rows);
/* Pause time by reason over the period: reasons[i], ms[i]. */
int stats_report_pauses(const struct stats_report *r, const char (**reasons)[32], const int64_t **ms);
void stats_report_free(struct stats_report *r);

/* Derived figures of a row (docs/metrics.md): shares 0..1, -1 when their
 * denominator is 0. */
double stats_sl_answered(const struct stats_row *r); /* answered within / answered */
double stats_sl_offered(const struct stats_row *r);  /* answered within / (offered - short abandons - waiting) */
double stats_abandon_rate(const struct stats_row *r);
double stats_asa_s(const struct stats_row *r);
double stats_aht_s(const struct stats_row *r);
double stats_occupancy(const struct stats_row *r);   /* (busy + wrap-up) / (busy + wrap-up + ringing + available) */
double stats_utilisation(const struct stats_row *r); /* (busy + wrap-up) / logged in (every state but offline) */

/* ---- the columns of a row, once for JSON, CSV and XLSX ---- */
enum stats_col_type {
    SC_COUNT,   /* a whole number */
    SC_SHARE,   /* 0..1, or -1: no denominator (null, an empty cell) */
    SC_SECONDS, /* a time, in seconds; -1 likewise */
    SC_STATE,   /* agents' seconds in one state (JSON: the agent_seconds object) */
};
struct stats_column {
    const char *name; /* the JSON key and the CSV/XLSX header */
    enum stats_col_type type;
    double (*value)(const struct stats_row *r); /* NULL for SC_STATE */
    int state;                                  /* SC_STATE: which */
};
extern const struct stats_column stats_columns[];
extern const int stats_ncolumns;
double stats_column_value(const struct stats_column *c, const struct stats_row *r);

/* The report as CSV (RFC 4180, a header line then one line per row; an
 * empty field for a share without denominator), or as an XLSX workbook
 * written to path (a sheet of figures, one of pauses, one saying what was
 * asked). about: "name=value" lines describing the question. */
struct sbuf;
int stats_export_csv(const struct stats_report *r, struct sbuf *out);
int stats_export_xlsx(const struct stats_report *r, const char *const *about, int nabout, const char *path);

#endif
