/*
 * staff: how many agents an interval's calls need. Erlang C (callers wait
 * as long as it takes) and Erlang A (callers give up after an exponential
 * patience: the Palm M/M/n+M queue), both computed with recursions and
 * logarithms - no factorials - so that they hold for thousands of agents.
 * Pure functions: the API, the CLI (`wasl staff`) and the reports call them.
 * The formulas are written out in docs/staffing.md.
 */
#ifndef WASL_STAFF_H
#define WASL_STAFF_H

#include <stdbool.h>

#define STAFF_AGENTS_MAX 20000

/* What is asked. */
struct staff_in {
    double calls;         /* offered in the interval */
    double interval_s;    /* the interval's length, s */
    double aht_s;         /* average handle time (talk + hold + wrap-up), s */
    double target_s;      /* answer-time target of the service level, s */
    double sl_target;     /* share of calls to answer within target_s, 0 < x < 1 */
    double max_occupancy; /* most of their time agents may spend on calls, 0 < x <= 1 */
    double shrinkage;     /* share of paid time not on the phones (breaks, training), 0 <= x < 1 */
    double patience_s;    /* callers' average patience, s; 0: Erlang C (nobody gives up) */
    double max_abandon;   /* Erlang A: most callers who may give up, 0 < x <= 1 (1: no cap). Without
                           * it a short-staffed center can "reach" its service level because the
                           * callers who would wait longest hang up. */
};

/* What n agents on the phones give. Shares are 0..1; times in seconds. */
struct staff_result {
    int agents;           /* on the phones */
    int rostered;         /* to schedule: agents / (1 - shrinkage), rounded up */
    double traffic;       /* offered load, erlangs: calls * aht / interval */
    double service_level; /* offered calls answered within target_s */
    double p_wait;        /* callers who wait at all */
    double asa_s;         /* average wait of the callers answered (0 for those who do not wait) */
    double avg_wait_s;    /* average time callers spend waiting, answered or not */
    double abandon;       /* callers who give up (Erlang A; 0 for Erlang C) */
    double occupancy;     /* agents' time on calls */
    bool stable;          /* Erlang C: fewer erlangs than agents (else the queue grows without end) */
};

/* The defaults of a question: 30 minutes, 80 % in 20 s, at most 90 %
 * occupancy, no shrinkage, Erlang C, no cap on abandons. */
void staff_defaults(struct staff_in *in);
/* Sets one input from text, as the API's query and the CLI's options give
 * them: calls, interval (seconds, or with s, m, h or d: "30m"), aht,
 * target, patience (seconds or the same units), sl, occupancy, shrinkage
 * and abandon (percentages: "80" or "80%"). WASL_EINVAL naming the field
 * for an unknown name or a value that is not a finite number. */
int staff_set(struct staff_in *in, const char *name, const char *value);

/* Checks in (WASL_EINVAL with the field at fault). */
int staff_check(const struct staff_in *in);
/* The figures for `agents` on the phones. */
int staff_model(const struct staff_in *in, int agents, struct staff_result *out);
/* The fewest agents that reach the service-level target within the
 * occupancy cap, with their figures. WASL_ELIMIT past STAFF_AGENTS_MAX. */
int staff_needed(const struct staff_in *in, struct staff_result *out);

/* The figures as a JSON object (jansson's json_t), as the API and the
 * CLI's --json give them; an endless wait (Erlang C, too few agents) is
 * null. NULL when out of memory. */
struct json_t;
struct json_t *staff_result_json(const struct staff_result *r);

/* ---- the forecast and the plan (forecast.c) ---- */

/* Seasons that change the calls: Ramadan (the 30 days before Aid Al Fitr,
 * from the calendar's Hijri holidays) and Opération Marhaba, the summer
 * return of Moroccans living abroad (15 June to 15 September). */
enum { STAFF_RAMADAN = 1, STAFF_MARHABA = 2 };
/* The seasons of a local date, as a set of the flags above. */
unsigned staff_seasons(int year, int month, int day);
/* Their names into a JSON array. */
struct json_t *staff_seasons_json(unsigned seasons);

#define STAFF_WEEKS_MAX 26 /* half a year of past weeks: older ones say little of next week */
#define STAFF_WEEKS_DEFAULT 6
#define STAFF_SLOTS 48 /* half-hours of a local day */
#define STAFF_LANGS_MAX 9
#define STAFF_AHT_MIN_CALLS 5 /* handled calls an interval needs for its own handle time */

enum staff_week_use { STAFF_WEEK_USED, STAFF_WEEK_HOLIDAY, STAFF_WEEK_NO_DATA, STAFF_WEEK_FUTURE };
struct staff_week {
    int year, month, day;
    enum staff_week_use use;
    double weight; /* in the average, 0..1 (0: not used) */
    long long segments;
    unsigned seasons;
};
enum staff_aht_from { STAFF_AHT_INTERVAL, STAFF_AHT_DAY, STAFF_AHT_DEFAULT };
struct staff_slot {
    double calls; /* forecast: offered segments, the weighted average of the weeks used */
    double aht_s; /* measured handle time: the interval's, else the day's, else the default */
    enum staff_aht_from aht_from;
    long long handled; /* handled calls behind aht_s (all weeks used) */
};
struct staff_forecast {
    int year, month, day, wday; /* wday: 0 = Sunday */
    unsigned seasons;
    bool season_mismatch; /* a week used is not in the day's seasons, or the other way round */
    const struct holiday *holiday;
    int open_slot, close_slot; /* the calendar's opening hours as slots [open, close); equal: closed */
    struct staff_week weeks[STAFF_WEEKS_MAX];
    int nweeks;
    char languages[STAFF_LANGS_MAX][8]; /* the center's, in their order */
    struct staff_slot slot[STAFF_LANGS_MAX][STAFF_SLOTS];
    int nlanguages;
};
/* The calls of each language's queues per half-hour of a local day
 * (YYYY-MM-DD, the center's zone) from the same weekday of the `weeks`
 * weeks before (1 .. STAFF_WEEKS_MAX): week k back weighs weeks + 1 - k,
 * closed days (holidays), days without a single call in the log and days
 * not over by `now` are left out. Handle times are measured on the same
 * days; default_aht_s where none was. A segment counts in the language of
 * its queue ("fr.dossier": fr). WASL_EINVAL for a bad date or count. */
struct db;
int staff_forecast(struct db *db, const char *day, int weeks, double default_aht_s, int64_t now, struct staff_forecast *out);

/* The plan for one slot: the agents a slot's forecast needs (base: the
 * targets, shrinkage and patience; its calls and handle time are the
 * slot's). No calls: no agents. */
int staff_plan_slot(const struct staff_in *base, const struct staff_slot *s, struct staff_result *out);
/* The forecast and plan as JSON (the API's and the CLI's --json) into
 * *out, set only on success; language NULL: every language. The error of
 * the first half-hour the model cannot size. */
int staff_plan_json(const struct staff_forecast *f, const struct staff_in *base, const char *language, struct json_t **out);

#endif
