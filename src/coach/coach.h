/*
 * coach: coaching sessions of agents (planned, done, followed up) with
 * measurable goals checked against the figures of the statistics and of the
 * quality reviews, the supervisors' listen/whisper sessions attached to
 * them, and an agent's progress week by week. docs/coaching.md.
 */
#ifndef WASL_COACH_H
#define WASL_COACH_H

#include <stdbool.h>
#include <stdint.h>

#include "core/core.h"
#include "store/store.h"
#include "auth/auth.h"

/* ---- goals (goal.c, no I/O) ---- */

/* What a measurable goal measures over a period (docs/coaching.md). */
enum coach_metric {
    CM_AHT,    /* average handle time of the agent's handled calls, seconds */
    CM_REVIEW, /* average score of their quality reviews (calibrations aside), percent */
    CM_CSAT,   /* average portal rating (1-5) of the cases they resolved */
    CM_RNA,    /* calls their phone let ring without answering, per 7 days */
    CM_METRICS
};
enum coach_op { CO_LT, CO_LE, CO_GT, CO_GE };

#define COACH_GOAL_EXPR_MAX 64 /* bytes of "aht <= 300 s" */

struct coach_goal {
    enum coach_metric metric;
    enum coach_op op;
    double target;
};

extern const char *const coach_metric_names[CM_METRICS]; /* "aht", "review", "csat", "rna" */
extern const char *const coach_op_names[4];              /* "<", "<=", ">", ">=" */

/* Parses a goal expression: metric, comparison, number and an optional unit
 * that must be the metric's: "aht < 300 s", "review >= 80 %", "csat >= 4",
 * "rna <= 2 /week" (also ≤ and ≥). Spaces are optional between the parts.
 * Anything else is WASL_EINVAL "coach.invalid_goal" saying what was
 * expected where. out is set only on success. */
int coach_goal_parse(const char *s, size_t len, struct coach_goal *out);
/* Whether value meets the goal. */
bool coach_goal_met(const struct coach_goal *g, double value);

/* ---- figures of a period (progress.c) ---- */

struct coach_figures {
    int64_t from, to;
    int64_t reviews;
    double review_avg; /* percent; reviews 0: none */
    int64_t handled;
    double aht_s, queue_aht_s; /* handled 0: none */
    int64_t rated;
    double csat; /* rated 0: none */
    int64_t rings_unanswered;
    double rna_week;                                      /* rings_unanswered per 7 days of the period */
    int64_t briefings, briefings_late, briefings_pending; /* published in the period for the agent */
};
/* The agent's figures over [from, to) (µs), read from the event log
 * (stats_scorecard), the quality reviews of calls started in it and the
 * briefings published in it. */
int coach_figures(struct db *db, int64_t agent, int64_t from, int64_t to, int64_t now, struct coach_figures *out);
/* A metric's value in f; false when the period has nothing to measure it
 * (no handled call, no review, no rating). */
bool coach_figure_value(const struct coach_figures *f, enum coach_metric m, double *value);
/* The figures as the API shows them (a new reference); averages null when
 * there is nothing to average. */
struct json_t *coach_figures_json(const struct coach_figures *f);

#define COACH_WEEKS_MAX 26
/* The starts of the last n weeks (Monday 00:00 Africa/Casablanca, µs),
 * the current one last, and the end of the current one: mondays[n]. */
int coach_weeks(int64_t now, int n, int64_t *mondays);

/* ---- sessions (coach.c) ---- */

#define COACH_GOALS_MAX 8
#define COACH_REVIEWS_MAX 20
#define COACH_TOPIC_MAX 200
#define COACH_TEXT_MAX 300 /* a goal's description */
#define COACH_NOTES_MAX 4000
#define COACH_FOLLOW_UP_MAX_DAYS 92

struct coach_plan {
    int64_t agent, planned_at;
    const char *topic;
    const int64_t *reviews;
    int nreviews;
    int64_t period_from, period_to; /* the scorecard period it is about; 0 0: none */
    const struct json_t *goals;     /* [{"text": "...", "target": "aht <= 300"}] */
};
/* A supervisor plans a session (audited coaching.planned). The agent must
 * be an agent, the reviews theirs, the goals valid (coach.invalid_goal
 * naming goals[i]). *id gets its id. */
int coach_plan(struct db *db, const struct actor *who, const struct coach_plan *p, int64_t *id);
/* Records a planned session as done: notes (shared with the agent) and
 * private notes (supervisors only), both sealed at rest; the follow-up
 * date, after the session and at most COACH_FOLLOW_UP_MAX_DAYS later.
 * Audited coaching.done. Once: coach.already_done. */
int coach_done(struct db *db, const struct actor *who, int64_t id, const char *notes, const char *private_notes,
               int64_t follow_up_at);
/* The agent acknowledges a done session with an optional comment (audited
 * coaching.acknowledged); once. Another's session reads as not found. */
int coach_acknowledge(struct db *db, const struct actor *who, int64_t id, const char *comment);
/* Attaches a listen/whisper session (the call.supervised event that
 * started it) of the session's agent; audited. */
int coach_attach(struct db *db, const struct actor *who, int64_t id, int64_t event_id);

/* Sessions as JSON: of one agent (0: all), newest planned first; an agent
 * gets their own only and never the private notes. One session comes with
 * its goals evaluated over the period from the session to its follow-up
 * (or now), its reviews and attached supervisions. */
int coach_list(struct db *db, const struct actor *who, int64_t agent, int limit, struct json_t **out);
int coach_get(struct db *db, const struct actor *who, int64_t id, int64_t now, struct json_t **out);

/* The supervisors' listen/whisper/barge sessions on an agent's calls in
 * [from, to): one per call and supervisor, with the modes used, when they
 * joined and left, and the coaching session it is attached to (0 none). */
int coach_supervisions(struct db *db, int64_t agent, int64_t from, int64_t to, struct json_t **out);

/* An agent's progress: n weeks of coach_figures and the measurable goals
 * of their sessions (with the session and its date), for drawing. */
int coach_progress(struct db *db, const struct actor *who, int64_t agent, int n, int64_t now, struct json_t **out);

/* Registers the sealed notes with the key rotation (cases'
 * privacy_rotate_key); once at start-up. */
int coach_privacy_register(void);

#endif
