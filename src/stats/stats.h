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

#include "core/core.h"
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

/* ---- the tally ---- */

/* What a report's rows are cut by: none (one row, the whole center), or
 * any combination of these dimensions (country x language x service ...),
 * one row per combination of values met. */
enum stats_dim {
    SD_INTERVAL,  /* time buckets of `bucket_s`, in the center's time zone */
    SD_COUNTRY,   /* of the toll-free number dialled */
    SD_LANGUAGE,  /* the caller's */
    SD_SERVICE,   /* general, dossier ... (the queue's part after the language) */
    SD_QUEUE,     /* fr, fr.dossier ... */
    SD_AGENT,     /* who answered (calls nobody answered are in no agent's row) */
    SD_CONSULATE, /* of the case the agent opened or followed up during the call; "" none */
    SD_DIMS
};
#define STATS_BY(d) (1u << (d))
extern const char *const stats_dim_names[SD_DIMS]; /* "interval", "country", ... */
/* `by` as the API takes it: "total", or dimensions separated by commas
 * ("country,language"), each at most once; *dims a set of STATS_BY(). */
int stats_dims_parse(const char *by, unsigned *dims);
/* The set written back in the canonical order ("total" for none). */
void stats_dims_format(unsigned dims, char *out, size_t n);

struct stats_threshold {
    char queue[16];
    int seconds;
};

struct stats_query {
    int64_t from, to;                         /* the period, µs: segments that joined in it, intervals clipped to it */
    unsigned by;                              /* the dimensions (STATS_BY), 0: the whole center */
    int bucket_s;                             /* SD_INTERVAL: 900, 1800, 3600 or 86400, from local midnight */
    int sl_threshold_s;                       /* the answer-time target of the service level ... */
    const struct stats_threshold *thresholds; /* ... unless the queue has its own */
    int nthresholds;
    int short_abandon_s; /* abandons quicker than this are counted apart */
    const char *tz;      /* the center's time zone (buckets) */
    /* Optional: every segment the tally counts (joined in the period) is
     * also given here, whatever the slice; the published figures read the
     * distribution of waits from it (public.c). */
    stats_segment_h on_counted;
    void *on_counted_arg;
    /* SD_CONSULATE: the consulate a call is counted for ("" none); NULL:
     * stats_report_from_store reads the desk's records and their cases. */
    const char *(*consulate_of)(int64_t call, void *arg);
    void *consulate_arg;
};

/* One row of figures. Counts of segments; times in ms. */
struct stats_row {
    char key[176];           /* the values of the row's dimensions in the canonical order, joined
                              * by "|": "fr", "FR|fr", "2026-12-07T10:00|1042"; "all" for none */
    char value[SD_DIMS][24]; /* each dimension's value ("" for those not asked) */
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
unsigned stats_report_by(const struct stats_report *r); /* the query's dimensions */
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

/* The report as CSV (RFC 4180, a header line then one line per row: the
 * key, a column per dimension the rows are cut by, then the figures; an
 * empty field for a share without denominator), or as an XLSX workbook
 * written to path (a sheet of figures, one of pauses, one saying what was
 * asked). about: "name=value" lines describing the question. */
struct sbuf;
int stats_export_csv(const struct stats_report *r, struct sbuf *out);
int stats_export_xlsx(const struct stats_report *r, const char *const *about, int nabout, const char *path);

/* ---- published figures (public.c): the monthly open data ----
 * Figures of a whole month per country and per consulate, for the public
 * page and the open-data export (docs/published-figures.md): calls from the
 * event log through the report above (by country and by consulate: that
 * of the case recorded with the call, "" for a call about no case), complaints and ratings from the cases table (no personal
 * data is read), then small counts suppressed so that nobody can be singled
 * out: a count under min_count is withheld (primary), then further cells
 * (secondary) so that no withheld count can be worked out from a total and
 * the others; a share or a median from fewer than min_count people, or from
 * a withheld count, is withheld too. */
enum stats_pub_figure {
    SP_CALLS_ANSWERED,      /* answered segments (stats "answered") */
    SP_SERVICE_LEVEL,       /* service_level_offered */
    SP_MEDIAN_WAIT,         /* median wait of the answered, whole seconds */
    SP_COMPLAINTS_RECEIVED, /* complaints filed in the month, duplicates (merged) left out */
    SP_COMPLAINTS_RESOLVED, /* complaints resolved in the month */
    SP_RESOLVED_IN_TIME,    /* share of those resolved by their deadline */
    SP_RATINGS,             /* portal ratings given in the month */
    SP_SATISFACTION,        /* share of those ratings at 4 or 5 out of 5 */
    SP_FIGURES
};
enum stats_pub_level { SPL_TOTAL, SPL_COUNTRY, SPL_CONSULATE };
enum stats_pub_cell {
    SPC_SHOWN,
    SPC_EMPTY,      /* nothing to compute (no denominator) */
    SPC_SUPPRESSED, /* withheld: small (primary), or to protect another cell (secondary); never said which */
};
extern const char *const stats_pub_names[SP_FIGURES];
struct stats_pub_row {
    enum stats_pub_level level;
    char key[16]; /* an ISO country, a consulate's code; "" not stated; "all" for the total */
    double value[SP_FIGURES];
    enum stats_pub_cell cell[SP_FIGURES];
    /* the counts behind the shares and the median (unpublished) */
    int64_t sl_within, sl_base, in_time, satisfied;
    uint32_t *waits; /* answered per whole second of wait (STATS_PUB_WAIT_MAX buckets, the last one "or more") */
};
#define STATS_PUB_WAIT_MAX 7200
struct stats_pub;
/* The month [from, to) (µs, local midnights): calls through
 * stats_report_from_store with calls_q's thresholds and time zone (its
 * period and slice are set here), cases from the store. */
int stats_pub_month(struct db *db, const struct stats_query *calls_q, int64_t from, int64_t to, int min_count, int64_t now,
                    struct stats_pub **out);
/* Rows: the total first, then countries, then consulates, each by code
 * ("" not stated last). */
int stats_pub_rows(const struct stats_pub *p, const struct stats_pub_row **rows);
void stats_pub_free(struct stats_pub *p);
/* Applies the rule to rows whose counts are set (value[] of the counts and
 * the unpublished counts, cell[] SPC_SHOWN or SPC_EMPTY): pure, for tests. */
void stats_pub_suppress(struct stats_pub_row *rows, int n, int min_count);
/* The month as CSV: month,level,code, then one column per figure; a
 * withheld cell is "c", an empty one empty. */
int stats_pub_csv(const struct stats_pub *p, const char *month, struct sbuf *out);
/* The first instant of a month and of the next, in the time zone. */
int stats_pub_period(const char *tz, int year, int month, int64_t *from, int64_t *to);

/* ---- the store's events fed to a fold of one's own ---- */
/* Gives h every event around [from, to) oldest first, as
 * stats_report_from_store reads them (the agents' states at `from`, then
 * the events from STATS_CALL_MARGIN_S before to after, or until now);
 * *end: when the events ran out (for stats_fold_end). */
typedef int (*stats_event_h)(const struct ev *e, void *arg);
int stats_events_from_store(struct db *db, int64_t from, int64_t to, int64_t now, stats_event_h h, void *arg, int64_t *end);

/* ---- cases (src/stats/cases.c): from the cases' tables, never their sealed data ---- */
enum stats_case_slice { SCS_TOTAL, SCS_CATEGORY, SCS_TYPE, SCS_CONSULATE, SCS_PROCEDURE, SCS_DAY, SCS_SLICES };
extern const char *const stats_case_slices[SCS_SLICES]; /* "total", "category", ... */

struct stats_case_query {
    int64_t from, to; /* µs */
    enum stats_case_slice slice;
    const char *tz; /* the center's time zone (days) */
};

/* One row of case figures (docs/metrics.md, "Cases"). Times in seconds. */
struct stats_case_row {
    char key[64];
    /* identity: backlog_end = backlog_start + opened + reopened - resolved - merged */
    int64_t backlog_start, opened, resolved, merged, reopened, backlog_end;
    int64_t complaints, suggestions;                  /* opened, of that type */
    int64_t first_answered, first_answer_s;           /* of the opened: answered, Σ time to answer */
    int64_t resolution_s;                             /* Σ created -> resolved, of the resolved */
    int64_t breaches;                                 /* deadlines missed in the period */
    int64_t rated, rating_sum, rated_high, rated_low; /* ratings given in the period: 4-5, 1-2 */
};
/* Rows sorted by key (days in order); *rows is the caller's to free(). */
int stats_cases(struct db *db, const struct stats_case_query *q, struct stats_case_row **rows, int *n);

/* ---- callbacks, first-contact resolution, guide searches (src/stats/contacts.c) ---- */
struct stats_contacts {
    /* callback requests made in the period (the callbacks table) */
    int64_t cb_requested, cb_completed, cb_cancelled, cb_pending;
    int64_t cb_delay_s, cb_delay_max_s; /* Σ and max, request -> the citizen reached, of the completed */
    /* first-contact resolution: calls the agents recorded in the period */
    int64_t fcr_contacts; /* dispositions, wrong numbers and silent calls left out */
    int64_t fcr_unknown;  /* ... without the caller's number: cannot be followed */
    int64_t fcr_pending;  /* ... whose window is not over yet and no repeat so far */
    int64_t fcr_repeated; /* ... followed by a repeat within the window */
    int64_t fcr_resolved; /* ... followed by none over the whole window */
    int window_days;
    /* guide searches in the period */
    int64_t searches, searches_no_answer;
};
struct stats_search_row {
    char lang[8], day[12]; /* day: local YYYY-MM-DD */
    int64_t searches, no_answer;
};
/* The contacts' figures; *search rows (by language and day, the caller's
 * to free()). window_days: the repeat window N, 1..90. */
int stats_contacts(struct db *db, int64_t from, int64_t to, int64_t now, int window_days, const char *tz,
                   struct stats_contacts *out, struct stats_search_row **search, int *nsearch);

/* ---- where procedures hurt (src/stats/procedures.c) ---- */
#define STATS_SAMPLES 5
struct stats_procedure {
    char kind[12]; /* "article" (a guide article's slug) or "category" (a case category) */
    char key[64];
    int64_t calls, repeat_calls, handled, handle_ms; /* calls recorded with it; repeats; their handle time */
    int64_t cases, complaints, rated, rated_low;     /* cases opened with it; complaints; ratings, 1-2 */
    int64_t score;                                   /* repeat_calls + complaints + rated_low */
    char samples[STATS_SAMPLES][24];                 /* the latest cases' references */
    int nsamples;
};
/* Ranked, worst first; *out the caller's to free(). */
int stats_procedures(struct db *db, int64_t from, int64_t to, int64_t now, int window_days, struct stats_procedure **out, int *n);

/* ---- an agent's scorecard (src/stats/scorecard.c) ---- */
struct stats_scorecard {
    int64_t agent;
    int64_t handled, handle_ms, transfers, rings_unanswered;
    int64_t expected_ms; /* Σ over their handled calls of their queue's average handle time (all agents) */
    int64_t state_ms[SA_STATES];
    int64_t rated, rating_sum, rated_high; /* ratings given in the period to cases they resolved */
};
int stats_scorecard(struct db *db, int64_t agent, const char *login, int64_t from, int64_t to, int64_t now,
                    struct stats_scorecard *out);

/* ---- the daily summary mail (src/stats/summary.c) ---- */
extern const struct conf_def stats_conf[];
extern const size_t stats_conf_count;
/* Once a day, after stats.summary_hour (local), queues the day's summary
 * for each address of stats.summary_to in its language; *sent how many.
 * Several nodes: one sends (a mark in center_state). Templates:
 * data_dir/mail/daily_summary.<lang>.txt. */
int stats_summary_tick(struct db *db, const char *data_dir, int64_t now, int *sent);
/* The text of the summary of the local day `day` (YYYY-MM-DD) in lang:
 * *subject and *body, the caller's to free(). */
int stats_summary_text(struct db *db, const char *data_dir, const char *day, const char *lang, char **subject, char **body);

#endif
