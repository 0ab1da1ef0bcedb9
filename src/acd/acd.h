/*
 * acd: the automatic call distributor. Queues (a language x a service, added
 * at run time) hold callers and callbacks in order of priority then arrival;
 * agents with skills (languages with a proficiency 1-5, services) take them
 * by the queue's strategy. Pure logic: no I/O, no threads, no clock of its
 * own (every call takes "now", µs on any monotonic clock), so the telephony
 * drives it and the tests replay any day. What it decides comes out through
 * hooks: ring agents for a call, stop ringing, dial a callback, let a caller
 * leave the queue (exit), and an event for every change.
 */
#ifndef WASL_ACD_H
#define WASL_ACD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACD_REASON_MAX 32
#define ACD_NAME_MAX 32
#define ACD_PRIORITY_MAX 9 /* caller priority 0 (default) .. 9; higher goes first */
#define ACD_PROFICIENCY_MAX 5
#define ACD_WIDEN_MAX 4    /* widening steps a queue may have */
#define ACD_SKILLS_MAX 16  /* languages an agent may have (a cap, refused beyond) */
#define ACD_SERVICES_MAX 8 /* services an agent may have */
#define ACD_QUEUES_MAX 1024
#define ACD_PAUSE_REASONS_MAX 32

enum acd_agent_state {
    ACD_OFFLINE,   /* not logged in */
    ACD_AVAILABLE, /* waiting for a call */
    ACD_RINGING,   /* a call is offered to the agent's phone, or a callback reserved the agent */
    ACD_BUSY,      /* on a call */
    ACD_WRAP_UP,   /* after a call, finishing notes; available again by itself */
    ACD_PAUSED,    /* logged in, not taking calls (reason) */
};
#define ACD_STATES 6

/* Why a caller left a queue without an agent; the telephony decides what
 * follows (a callback, a voice message, another queue). */
enum acd_exit {
    ACD_EXIT_NONE,
    ACD_EXIT_FULL,      /* the queue held max_length callers already (at enqueue) */
    ACD_EXIT_MAX_WAIT,  /* waited max_wait */
    ACD_EXIT_NO_AGENTS, /* nobody who can take the queue is logged in (at enqueue, or the last one left) */
};

/* Every event has kind, at, queue (-1: none), call (0: none), agent (0:
 * none). The other fields are set where the list says so, zero otherwise. */
enum acd_event_kind {
    ACD_EV_QUEUE_JOINED,       /* position, priority, callback (added directly, or back for a retry: attempt) */
    ACD_EV_OFFERED,            /* agent's phone rings for the call; waited, position (was) */
    ACD_EV_NOT_ANSWERED,       /* ring-no-answer: reason timeout|declined|paused|logged_out; the call goes back to its place */
    ACD_EV_RING_CANCELLED,     /* ring all: another agent answered first, or the caller went */
    ACD_EV_ANSWERED,           /* waited, callback */
    ACD_EV_ABANDONED,          /* the caller hung up while waiting or ringing: waited, position (0 when ringing) */
    ACD_EV_ENDED,              /* waited (queue), talked */
    ACD_EV_AGENT_STATE,        /* state, from, reason, by (a supervisor who forced it, 0: the agent or the ACD) */
    ACD_EV_WIDENED,            /* step (0-based), min_proficiency, second_language */
    ACD_EV_EXIT,               /* exit, waited, position */
    ACD_EV_CALLBACK_REQUESTED, /* a waiting caller became a callback at their place: position */
    ACD_EV_CALLBACK_RESERVED,  /* agent reserved, dial_callback called: attempt (1 = first) */
    ACD_EV_CALLBACK_ATTEMPTED, /* an attempt failed: attempt, reason agent_no_answer|no_answer, retry_at (0: given up) */
    ACD_EV_CALLBACK_CANCELLED, /* reason: cancelled|called_again */
    ACD_EV_MOVED,              /* a supervisor moved a waiting caller: queue (the new one), from_queue, by, position (in the new
                                * queue), waited (since the first arrival), step (the new queue's widening step in force) */
};
#define ACD_EVENT_KINDS 15

struct acd_event {
    enum acd_event_kind kind;
    int64_t at; /* µs, the clock given by the caller */
    int queue;  /* queue index, -1 when not about a queue */
    uint64_t call;
    int64_t agent;
    int position;               /* 1 = next in line */
    int priority;               /* of the call */
    bool callback;              /* the entry is a callback */
    int64_t waited;             /* µs since the call joined the queue */
    int64_t talked;             /* ENDED: µs since the agent answered */
    enum acd_agent_state state; /* AGENT_STATE: the new state */
    enum acd_agent_state from;  /* AGENT_STATE: the state before */
    int64_t by;                 /* AGENT_STATE: who forced it (0: the agent or the ACD itself); MOVED: who moved it */
    int from_queue;             /* MOVED: the queue it left */
    enum acd_exit exit;         /* EXIT */
    int step, min_proficiency;  /* WIDENED */
    bool second_language;       /* WIDENED */
    int attempt;                /* CALLBACK_RESERVED, CALLBACK_ATTEMPTED */
    int64_t retry_at;           /* CALLBACK_ATTEMPTED */
    char reason[ACD_REASON_MAX];
};

/* Hooks are called synchronously from inside ACD functions and must not call
 * back into the ACD; they record what to do and the caller acts after. */
struct acd_hooks {
    /* Ring the agent's phone for this call (ring all: once per agent). */
    void (*offer)(void *arg, uint64_t call, int64_t agent);
    /* Stop ringing (time-out, another agent answered, the caller went, the
     * agent paused or logged out), or give up a callback's reservation. */
    void (*cancel)(void *arg, uint64_t call, int64_t agent);
    /* A callback reached the head with this agent free: the agent is
     * reserved; dial the agent, then the citizen, and report the outcome
     * with acd_callback_answered() or acd_callback_failed(). Needed before
     * any callback is accepted. */
    void (*dial_callback)(void *arg, uint64_t callback, int64_t agent);
    /* The call left its queue without an agent (the ACD no longer holds
     * it). May be NULL only if no queue can exit (no max_wait, no
     * max_length, no exit_no_agents). */
    void (*exit)(void *arg, uint64_t call, int queue, enum acd_exit why);
    /* Every change, in order. May be NULL. */
    void (*event)(void *arg, const struct acd_event *e);
    void *arg;
};

struct acd_settings {
    int64_t ring_timeout; /* µs an agent's phone rings before the call goes to another */
    int64_t wrap_up;      /* µs after a call before the agent is offered the next */
    bool no_answer_pause; /* an agent who lets a call ring out is paused (reason no_answer) */
    /* The reasons an agent may give for a pause, NULL-terminated; NULL: the
     * default list (break, training, coaching, back_office, meeting, admin,
     * phone_offline, no_answer). Copied. */
    const char *const *pause_reasons;
};

struct acd;
/* *out set only on success; WASL_EINVAL for bad settings. */
int acd_new(struct acd **out, const struct acd_hooks *hooks, const struct acd_settings *s);
void acd_free(struct acd *a);

/* ---- queues ---- */

/* After `after` µs of waiting, a caller also takes agents with proficiency
 * min_proficiency (and, with second_language, agents of the second language
 * the caller accepted, in the same service). Steps widen only: after grows,
 * min_proficiency does not grow, second_language once on stays on. */
struct acd_widen {
    int64_t after;
    int min_proficiency;
    bool second_language;
};

struct acd_queue_def {
    const char *name;     /* unique, e.g. "fr.general" */
    int language;         /* an index in the caller's language table, >= 0 */
    const char *service;  /* "general", "dossier", "complaint", "entry_stay", ... */
    const char *strategy; /* NULL: "longest_idle"; see acd_strategy_name() */
    int min_proficiency;  /* 0 or 1: anyone with the language; up to 5 */
    int64_t max_wait;     /* µs; 0: no limit. Then the exit hook (ACD_EXIT_MAX_WAIT) */
    int max_length;       /* waiting callers (not callbacks); 0: no limit */
    int64_t sl_threshold; /* µs: answered within it counts for the service level; 0: 20 s */
    bool exit_no_agents;  /* callers leave (ACD_EXIT_NO_AGENTS) when nobody for the queue is logged in */
    struct acd_widen widen[ACD_WIDEN_MAX];
    int nwiden;
};
/* Adds a queue; *index (from 0, in the order added) names it afterwards.
 * WASL_EINVAL (acd.invalid_queue, acd.unknown_strategy, acd.invalid_widen),
 * WASL_ECONFLICT (acd.duplicate_queue), WASL_ELIMIT past ACD_QUEUES_MAX. */
int acd_queue_add(struct acd *a, const struct acd_queue_def *d, int *index);
int acd_queue_count(const struct acd *a);
/* The queue of this language and service, or -1. */
int acd_queue_find(const struct acd *a, int language, const char *service);

/* Strategies by index, NULL past the last: longest_idle, fewest_calls,
 * round_robin, ring_all, best_proficiency. */
const char *acd_strategy_name(int i);

/* ---- agents ---- */

struct acd_skills {
    struct {
        int language;    /* index in the caller's language table */
        int proficiency; /* 1 (can help) .. 5 (native) */
    } languages[ACD_SKILLS_MAX];
    int nlanguages;
    char services[ACD_SERVICES_MAX][ACD_NAME_MAX];
    int nservices;
};

/* Logs in paused ("logged_in"), or changes the skills of a logged-in agent
 * (a call in progress is kept). WASL_EINVAL (acd.invalid_skills). */
int acd_agent_login(struct acd *a, int64_t agent, const struct acd_skills *sk, int64_t now);
/* by: 0 for the agent, else the supervisor (or system) forcing it. Ringing:
 * the ring stops and the call goes back to its place. On a call: the agent
 * (by 0) gets WASL_ECONFLICT; forced, the log-out happens when the call ends. */
int acd_agent_logout(struct acd *a, int64_t agent, int64_t by, int64_t now);
/* Ready: ends a pause or the wrap-up early. WASL_ECONFLICT while ringing or on a call. */
int acd_agent_available(struct acd *a, int64_t agent, int64_t now);
/* A pause with a reason from the settings' list (WASL_EINVAL
 * acd.unknown_pause_reason otherwise). Ringing or on a call: as logout. */
int acd_agent_pause(struct acd *a, int64_t agent, const char *reason, int64_t by, int64_t now);
/* A new day: every agent's calls_today back to 0. */
void acd_new_day(struct acd *a);

/* ---- calls ---- */

struct acd_call_opts {
    int priority;  /* 0 .. ACD_PRIORITY_MAX */
    int language2; /* a second language the caller accepts (an index), when has_language2 */
    bool has_language2;
    int64_t joined; /* 0: now; else the original arrival (a transfer, a callback left while closed) */
    /* The caller's own limits (the IVR node that queued them), on top of the
     * queue's: the shorter max wait applies (µs from joined, 0: the
     * queue's); exit_no_agents: leave (ACD_EXIT_NO_AGENTS) when nobody for
     * the queue is logged in, even if the queue keeps its callers then.
     * Both need the exit hook. */
    int64_t max_wait;
    bool exit_no_agents;
};

/* opts NULL: priority 0, no second language, joined now. The call may be
 * offered (offer hook) or let go (exit hook) before this returns.
 * WASL_EINVAL (acd.invalid_queue, acd.invalid_priority), WASL_ECONFLICT
 * (acd.duplicate_call). */
int acd_call_enqueue(struct acd *a, uint64_t call, int queue, const struct acd_call_opts *opts, int64_t now);
/* The agent's phone answered (agent 0: the one ringing). WASL_ECONFLICT
 * (acd.not_ringing) if the call is not ringing that agent. */
int acd_call_answered(struct acd *a, uint64_t call, int64_t agent, int64_t now);
/* The agent declined, or the phone failed: as a ring time-out for that agent. */
int acd_call_declined(struct acd *a, uint64_t call, int64_t agent, int64_t now);
/* The caller hung up (waiting, ringing or talking) or the agent did; a
 * callback entry is cancelled. WASL_ENOENT (acd.unknown_call). */
int acd_call_gone(struct acd *a, uint64_t call, int64_t now);

/* A supervisor (by) moves a waiting caller to another queue (a caller
 * who picked the wrong language or service). The caller keeps their first
 * arrival and their priority: they take the place that arrival gives in the
 * new queue, their wait (and its service level) goes on counting from it,
 * and the new queue's widening steps apply by that wait at once. The
 * maximum waits (the new queue's, the caller's own) count from the move:
 * a caller moved is never let go at once for a wait spent elsewhere. The
 * new queue's maximum length does not apply: it limits arrivals, and a
 * supervisor's move is a decision, not one.
 * A second language the caller accepted applies in the new queue's
 * service. Ringing an agent (who has not answered yet): the ring stops
 * (RING_CANCELLED, reason "moved"; the agent is free again, no
 * ring-no-answer pause) and the call moves — the supervisor moves a
 * caller because this queue is the wrong one for them, so its agent
 * should not take them. Then MOVED, and the caller may be offered at once.
 * Errors: WASL_ENOENT acd.unknown_call (not held: gone meanwhile),
 * WASL_EINVAL acd.invalid_queue, WASL_ECONFLICT acd.not_waiting (talking,
 * a callback request, or between a transfer's end and its next ring),
 * acd.same_queue, acd.no_agents (nobody who can take the new queue is
 * logged in, paused included: the caller would wait for nobody). */
int acd_call_move(struct acd *a, uint64_t call, int queue, int64_t by, int64_t now);

/* ---- a call handed to a named colleague (transfer.c) ---- */

/* Blind transfer: the agent's talk ends (ENDED, then wrap-up) and the
 * colleague's phone rings for the call as for an offer (OFFERED, the offer
 * hook); not answered in ring_timeout, the call takes back its place in its
 * queue (its first arrival) and the colleague goes back to what they did
 * (no ring-no-answer pause). The colleague must be logged in, not ringing
 * nor on a call (available, in wrap-up or paused). WASL_ENOENT
 * (acd.unknown_call, acd.unknown_agent), WASL_ECONFLICT (acd.not_talking,
 * acd.consulting, acd.same_agent, acd.agent_busy). */
int acd_call_transfer(struct acd *a, uint64_t call, int64_t agent, int64_t now);
/* Consultation: the colleague is rung (state ringing, reason consult) while
 * the agent keeps the call; same conditions and errors as a transfer. */
int acd_consult_ring(struct acd *a, uint64_t call, int64_t agent, int64_t now);
/* The colleague answered: busy (reason consult). */
int acd_consult_answered(struct acd *a, uint64_t call, int64_t now);
/* The consultation ends without a transfer (cancelled, not answered, the
 * colleague hung up): the colleague goes back to what they did. */
int acd_consult_end(struct acd *a, uint64_t call, int64_t now);
/* Attended transfer: the colleague (who answered) takes the call; the
 * agent's talk ends (ENDED, wrap-up). WASL_ECONFLICT acd.not_answered
 * while the colleague's phone still rings. The consult functions return
 * WASL_ENOENT acd.no_consultation when none is going on. The cancel hook
 * is called for the colleague when a consultation is dropped (the caller
 * hung up, the colleague logged out while rung). */
int acd_consult_complete(struct acd *a, uint64_t call, int64_t now);

/* ---- callbacks that keep their place ---- */

/* A waiting caller asks to be called back: the entry keeps its place (the
 * caller hangs up; do not call acd_call_gone). WASL_ECONFLICT while ringing. */
int acd_call_to_callback(struct acd *a, uint64_t call, int64_t now);
/* A callback entered directly (left while closed): opts->joined its
 * original time, so older ones go first. */
int acd_callback_add(struct acd *a, uint64_t callback, int queue, const struct acd_call_opts *opts, int64_t now);
/* The reserved agent and the citizen are connected: the agent is on the call. */
int acd_callback_answered(struct acd *a, uint64_t callback, int64_t now);
/* The attempt failed: agent_failed when the agent did not answer (paused as
 * a ring-no-answer), else the citizen. retry_at > 0: back at its place from
 * then; 0: given up (the ACD forgets it). */
int acd_callback_failed(struct acd *a, uint64_t callback, bool agent_failed, int64_t retry_at, int64_t now);
/* The citizen of a pending callback calls again: call takes the callback's
 * place (queue, arrival, priority) and the callback is cancelled (a
 * reservation too: the agent is released). */
int acd_callback_replace(struct acd *a, uint64_t callback, uint64_t call, int64_t now);

/* Runs what is due by now (ring time-outs, ends of wrap-up, widening steps,
 * max waits, callback retries); returns the next instant something is due,
 * or INT64_MAX. Routing never waits for it. */
int64_t acd_tick(struct acd *a, int64_t now);

/* ---- what is going on ---- */

struct acd_queue_view {
    char name[ACD_NAME_MAX], service[ACD_NAME_MAX], strategy[ACD_NAME_MAX];
    int language;
    int waiting;                                             /* callers in line, callbacks included */
    int callbacks;                                           /* of which callbacks */
    int64_t oldest_since;                                    /* arrival of the oldest in line; 0 when empty */
    int agents[ACD_STATES];                                  /* agents with the skills, by state */
    int offered, answered, answered_in_sl, abandoned, exits; /* since start */
};
int acd_queue_get(const struct acd *a, int queue, struct acd_queue_view *out);

struct acd_agent_view {
    int64_t agent;
    enum acd_agent_state state;
    int64_t since;
    int64_t by; /* who forced the state, 0: the agent */
    int calls_today;
    struct acd_skills skills;
    uint64_t call; /* 0: none */
    char reason[ACD_REASON_MAX];
};
/* Up to max agents, logged in or not; returns how many exist. */
int acd_agents(const struct acd *a, struct acd_agent_view *out, int max);
int acd_agent_get(const struct acd *a, int64_t agent, struct acd_agent_view *out);
/* Where a call is: queue >= 0; agent set when ringing (the first one) or
 * talking. WASL_ENOENT when the ACD does not hold it. */
int acd_call_where(const struct acd *a, uint64_t call, int *queue, int64_t *agent, bool *talking);
const char *acd_state_name(enum acd_agent_state s);
const char *acd_event_name(enum acd_event_kind k);
const char *acd_exit_name(enum acd_exit x);

/* What a waiting caller is told: their place in the queue (1 = next) and an
 * estimate of the wait (µs; -1 when nobody who can take the queue is logged
 * in and not paused). The estimate is place x the queue's mean handling
 * time (talk and wrap-up, a moving average, 4 minutes until a call ended)
 * / the agents who can take the call. */
int acd_call_estimate(const struct acd *a, uint64_t call, int *place, int64_t *wait);

#endif
