/*
 * sim: a discrete-event simulation of a day of the contact center, for the
 * questions single-queue Erlang formulas cannot answer (seven language
 * queues, agents who speak several of them). Callers arrive at random
 * (Poisson, a rate per half-hour and language), wait with an exponential
 * patience and hang up when it runs out; agents work their shifts; the
 * real distributor (src/acd) decides who takes whom, on the simulated
 * clock. Pure: no I/O, no wall clock; the same seed gives the same day.
 * `wasl simulate` reads a data file (docs/staffing.md, "Simulation").
 */
#ifndef WASL_SIM_H
#define WASL_SIM_H

#include <stdbool.h>
#include <stdint.h>

#define SIM_LANGS_MAX 9
#define SIM_SLOTS 48      /* half-hours of a day */
#define SIM_GROUPS_MAX 64 /* kinds of agents (languages and shift) */
#define SIM_AGENTS_MAX 5000
#define SIM_DAYS_MAX 1000
#define SIM_CALLS_MAX 20000000 /* over all days: a cap on memory and time */

struct sim_group {
    char name[32];
    int count;
    int langs[SIM_LANGS_MAX]; /* indexes in sim_in.lang */
    int nlangs;
    int from_s, to_s; /* the shift, seconds from midnight */
};

struct sim_in {
    int nlangs;
    char lang[SIM_LANGS_MAX][8];
    double calls[SIM_LANGS_MAX][SIM_SLOTS]; /* offered per half-hour from midnight */
    double aht_s[SIM_LANGS_MAX];            /* handle time: talk, exponential, then wrap_s */
    double patience_s[SIM_LANGS_MAX];       /* callers' mean patience, exponential; 0: they wait as long as it takes */
    double wrap_s;                          /* the agents' wrap-up after each call, part of aht_s */
    double target_s;                        /* answer-time target of the service level */
    struct sim_group groups[SIM_GROUPS_MAX];
    int ngroups;
    char strategy[32]; /* the queues' (src/acd), "" longest_idle */
    int days;          /* independent days simulated, added up */
    uint64_t seed;
};

struct sim_counts {
    long long offered, answered, answered_within, abandoned, unserved; /* unserved: still waiting when every shift was over */
    double wait_answered_s, wait_abandoned_s;
};

struct sim_result {
    struct sim_counts lang[SIM_LANGS_MAX], total;
    struct sim_counts slot[SIM_LANGS_MAX][SIM_SLOTS]; /* by the half-hour the caller arrived in */
    double busy_s, logged_s;                          /* agents' time on calls (talk and wrap-up) and in their shifts */
    long long events;                                 /* simulation events processed */
};

/* Defaults: no languages, no agents, 20 s target, one day, seed 1. */
void sim_defaults(struct sim_in *in);
/* Checks in (WASL_EINVAL naming the field). */
int sim_check(const struct sim_in *in);
/* Simulates in->days days. WASL_ELIMIT past SIM_CALLS_MAX calls. */
int sim_run(const struct sim_in *in, struct sim_result *out);

/* Shares of a count: answered within the target / offered (the callers
 * who gave up count against it; Erlang A's definition), abandoned /
 * offered, average wait of the answered; -1 without calls. */
double sim_service_level(const struct sim_counts *c);
double sim_abandon_rate(const struct sim_counts *c);
double sim_asa_s(const struct sim_counts *c);

/* The input from a data file's JSON (docs/staffing.md): languages with
 * their calls per half-hour from `start`, handle time and patience;
 * groups of agents with their languages and shift. WASL_EINVAL naming the
 * field. A "forecast" object is left to the caller (it needs the store):
 * *forecast_day and *forecast_weeks are set when there is one. */
struct json_t;
int sim_in_from_json(struct json_t *j, struct sim_in *in, char *forecast_day, int *forecast_weeks);
/* The result as JSON: per language and in total, per half-hour. */
struct json_t *sim_result_json(const struct sim_in *in, const struct sim_result *r);

#endif
