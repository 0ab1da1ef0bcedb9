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

#endif
