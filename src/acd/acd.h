/*
 * acd: the automatic call distributor. Callers wait in the queue of their
 * language; agents who speak it take them, the one idle longest first. Pure
 * logic: no I/O, no threads, no clock of its own (every call takes "now"),
 * so the telephony drives it and the tests replay any day. What it decides
 * comes out through hooks: ring this agent for this call, stop ringing, and
 * an event for every change (for statistics and supervision).
 */
#ifndef WASL_ACD_H
#define WASL_ACD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACD_QUEUES 7 /* one per language, in wasl_languages order */
#define ACD_REASON_MAX 32

enum acd_agent_state {
    ACD_OFFLINE,   /* not logged in */
    ACD_AVAILABLE, /* waiting for a call */
    ACD_RINGING,   /* a call is offered to the agent's phone */
    ACD_BUSY,      /* on a call */
    ACD_WRAP_UP,   /* after a call, finishing notes; available again by itself */
    ACD_PAUSED,    /* logged in, not taking calls (reason) */
};

enum acd_event_kind {
    ACD_EV_QUEUE_JOINED,
    ACD_EV_OFFERED,
    ACD_EV_NOT_ANSWERED, /* ring time-out: the call goes back to the head of its queue */
    ACD_EV_ANSWERED,
    ACD_EV_ABANDONED, /* the caller hung up while waiting or ringing */
    ACD_EV_ENDED,
    ACD_EV_AGENT_STATE,
};

struct acd_event {
    enum acd_event_kind kind;
    int64_t at; /* microseconds, the clock given by the caller */
    uint64_t call;
    int64_t agent;
    int queue;                  /* -1 when not about a queue */
    enum acd_agent_state state; /* AGENT_STATE */
    int64_t waited;             /* ANSWERED, ABANDONED: time in queue */
    char reason[ACD_REASON_MAX];
};

struct acd_hooks {
    /* Ring the agent's phone for this call. */
    void (*offer)(void *arg, uint64_t call, int64_t agent);
    /* Stop ringing (the caller hung up, or the ring timed out). */
    void (*cancel)(void *arg, uint64_t call, int64_t agent);
    /* Every change, in order. May be NULL. */
    void (*event)(void *arg, const struct acd_event *e);
    void *arg;
};

struct acd_settings {
    int64_t ring_timeout; /* microseconds an agent's phone rings before the call goes to another */
    int64_t wrap_up;      /* microseconds after a call before the agent is offered the next */
};

struct acd;
int acd_new(struct acd **out, const struct acd_hooks *hooks, const struct acd_settings *s);
void acd_free(struct acd *a);

/* ---- agents ---- (languages: a bit per queue, bit i = wasl_languages[i]) */
int acd_agent_login(struct acd *a, int64_t agent, unsigned languages, int64_t now);
int acd_agent_logout(struct acd *a, int64_t agent, int64_t now);
/* Available, or paused with a reason ("break", "training", ...). An agent
 * ringing or on a call cannot change state here (WASL_ECONFLICT). */
int acd_agent_available(struct acd *a, int64_t agent, int64_t now);
int acd_agent_pause(struct acd *a, int64_t agent, const char *reason, int64_t now);

/* ---- calls ---- */
int acd_call_enqueue(struct acd *a, uint64_t call, int queue, int64_t now);
/* The agent's phone answered: the agent is on the call. */
int acd_call_answered(struct acd *a, uint64_t call, int64_t now);
/* The agent declined, or the phone failed: same as a ring time-out. */
int acd_call_declined(struct acd *a, uint64_t call, int64_t now);
/* The caller hung up (waiting, ringing or talking) or the agent did. */
int acd_call_gone(struct acd *a, uint64_t call, int64_t now);

/* Runs what is due by now (ring time-outs, ends of wrap-up); returns the
 * next instant something is due, or INT64_MAX. */
int64_t acd_tick(struct acd *a, int64_t now);

/* ---- what is going on ---- */
struct acd_queue_view {
    int waiting;
    int64_t oldest_since; /* 0 when empty */
};
struct acd_agent_view {
    int64_t agent;
    enum acd_agent_state state;
    int64_t since;
    unsigned languages;
    uint64_t call; /* 0: none */
    char reason[ACD_REASON_MAX];
};
void acd_queues(const struct acd *a, struct acd_queue_view out[ACD_QUEUES]);
/* Up to max agents, logged in or not; returns how many exist. */
int acd_agents(const struct acd *a, struct acd_agent_view *out, int max);
int acd_agent_get(const struct acd *a, int64_t agent, struct acd_agent_view *out);
/* Where a call is: queue >= 0 while waiting or ringing; agent set when
 * ringing or talking. WASL_ENOENT when the ACD does not hold it. */
int acd_call_where(const struct acd *a, uint64_t call, int *queue, int64_t *agent, bool *talking);
const char *acd_state_name(enum acd_agent_state s);

/* What a waiting caller is told: their place in the queue (1 = next) and an
 * estimate of the wait (µs; -1 when nobody who speaks the language is
 * logged in and not paused). The estimate is place × the mean handling time
 * (talk and wrap-up, a moving average of the calls ended, 4 minutes until
 * there is one) / the agents who can take the call. */
int acd_call_estimate(const struct acd *a, uint64_t call, int *place, int64_t *wait);

#endif
