/*
 * The distributor's private structures, shared by acd.c (queues, agents,
 * views), route.c (matching and strategies), calls.c (calls, callbacks,
 * time-outs) and index.c (the hash map and the heaps they all use).
 */
#ifndef WASL_ACD_INT_H
#define WASL_ACD_INT_H

#include "acd.h"

#define ACD_LEVELS (ACD_PRIORITY_MAX + 1)

/* ---- index.c: a map from 64-bit ids, and indexed binary heaps ---- */

struct acd_map {
    uint64_t *keys;
    void **vals; /* NULL: free slot */
    size_t cap, n;
};
void *acd_map_get(const struct acd_map *m, uint64_t key);
int acd_map_put(struct acd_map *m, uint64_t key, void *val);
void acd_map_del(struct acd_map *m, uint64_t key);
void acd_map_free(struct acd_map *m);

/* A heap of pointers; each element keeps its own position (pos_of) so it
 * can leave from anywhere in O(log n). before(x, y): x comes out first. */
struct acd_heap {
    void **v;
    int n, cap;
    bool (*before)(const void *x, const void *y);
    int *(*pos_of)(void *x);
};
int acd_heap_reserve(struct acd_heap *h, int n);
void acd_heap_push(struct acd_heap *h, void *x);
void acd_heap_remove(struct acd_heap *h, void *x);
void acd_heap_free(struct acd_heap *h);

/* ---- timers.c: a time-out of a call or an agent ---- */
enum timer_kind { T_WAIT, T_RING, T_RETRY, T_WRAP };
struct timer {
    int64_t due;
    int pos; /* in the heap (0 in a list), -1 when not set */
    enum timer_kind kind;
    struct timer *prev, *next; /* T_RING, T_WRAP: in their list, by due time */
};
struct acd_tslot {
    int64_t due;
    struct timer *t;
};
struct acd_timers {
    struct acd_tslot *v; /* T_WAIT, T_RETRY */
    int n, cap;
    struct timer *head[2], *tail[2]; /* T_RING, T_WRAP */
};
int acd_timers_reserve(struct acd_timers *ts, int n);
void acd_timers_free(struct acd_timers *ts);
struct timer *acd_timers_first(const struct acd_timers *ts);

/* ---- the parts ---- */

struct agent;
struct queue;

/* An agent's place in a queue whose language and service it has. */
struct member {
    struct agent *ag;
    struct queue *q;
    int prof;
    int pos;     /* in q->avail[prof - 1] while available, -1 otherwise */
    int idx;     /* in q->members */
    uint64_t rr; /* round robin: when last offered a call of this queue */
};

/* A caller, or a callback, from joining a queue to the end of the talk. */
struct entry {
    uint64_t id;
    struct queue *q;
    struct queue *q2; /* the queue of the second language, same service; NULL: none */
    int priority;
    int64_t joined;
    uint64_t seq; /* ties of joined: order of arrival */
    int step;     /* widening step in force, -1: none yet */
    bool in_line, in_over, callback, talking, reserved;
    struct entry *prev, *next;   /* in q->line[priority] */
    struct entry *oprev, *onext; /* in q2->over[priority], once the second language is in force */
    int64_t over_at;             /* when it entered q2->over (its order there) */
    struct agent **ring;         /* agents ringing for it (ring all: several) */
    int nring, capring;
    struct agent *agent;   /* talking, or reserved for the callback */
    struct agent *consult; /* a colleague rung or talking for a consultation (transfer.c) */
    bool direct;           /* rung for one agent by a transfer: no ring-no-answer pause */
    int64_t answered_at;
    int attempts;
    int64_t max_wait;    /* the caller's own (opts), 0: none */
    int64_t wait_from;   /* the max waits count from here: joined, or the last move */
    int language2;       /* the second language accepted (opts), -1: none */
    bool exit_no_agents; /* the caller's own (opts) */
    struct timer t_wait; /* next widening step or max wait; a callback's retry */
    bool pending;        /* in a's list of entries to route */
    struct entry *pprev, *pnext;
    struct timer t_ring;
};

struct line {
    struct entry *head, *tail;
    int n;
};

struct strategy {
    const char *name;
    bool (*before)(const void *x, const void *y); /* between members of the same queue */
    bool ring_all;
};

struct queue {
    int idx;
    char name[ACD_NAME_MAX], service[ACD_NAME_MAX];
    int language;
    const struct strategy *st;
    int min_prof;
    int64_t max_wait, sl;
    int max_len;
    bool exit_no_agents;
    struct acd_widen widen[ACD_WIDEN_MAX];
    int nwiden;
    struct line line[ACD_LEVELS], over[ACD_LEVELS];
    unsigned line_mask, over_mask;              /* bit p: that level is not empty */
    int ncallers, ncallbacks;                   /* in line */
    struct acd_heap avail[ACD_PROFICIENCY_MAX]; /* available members by proficiency, best first */
    struct member **members;
    int nmembers, capmembers;
    int logged_in; /* members not offline */
    int64_t handle_avg;
    int offered, answered, answered_in_sl, abandoned, exits;
};

struct agent {
    int64_t id;
    enum acd_agent_state state;
    int64_t since, idle_since, by;
    int calls_today;
    struct acd_skills skills;
    struct member **m;
    int nm;
    struct entry *call; /* ringing, talking or reserved */
    struct timer t_wrap;
    bool pending_logout, pending_pause;
    /* before a transfer or a consultation rang them: what they go back to */
    enum acd_agent_state before;
    char before_reason[ACD_REASON_MAX];
    int64_t pending_by;
    char pending_reason[ACD_REASON_MAX];
    char reason[ACD_REASON_MAX];
    int idx;      /* in a->agents */
    bool pending; /* in a's list of agents to route */
    struct agent *pnext;
};

struct acd {
    struct acd_hooks h;
    struct acd_settings s;
    char reasons[ACD_PAUSE_REASONS_MAX][ACD_REASON_MAX];
    int nreasons;
    struct queue **q;
    int nq, capq;
    struct agent **agents;
    int nagents, capagents;
    struct acd_map agent_by_id, call_by_id;
    struct acd_timers timers;
    uint64_t seq, rr;
    /* Who became free or came (back) into a line during this call into the
     * ACD: routed before it returns (acd_settle), agents first so a freed
     * agent takes the caller who waited longest. */
    struct agent *pend_ag, *pend_ag_tail;
    struct entry *pend_e, *pend_e_tail;
};

/* acd.c */
void acd_emit(struct acd *a, struct acd_event *e);
void acd_set_state(struct acd *a, struct agent *ag, enum acd_agent_state st, const char *reason, int64_t by, int64_t now);
void acd_copy(char *dst, size_t n, const char *src);
void acd_end_of_call(struct acd *a, struct agent *ag, int64_t now);
void acd_exit_empty(struct acd *a, struct agent *ag, int64_t now);
void acd_pend_entry(struct acd *a, struct entry *e);
void acd_unpend_entry(struct acd *a, struct entry *e);
void acd_settle(struct acd *a, int64_t now);
struct agent *acd_agent_find(const struct acd *a, int64_t id);

/* route.c */
extern const struct strategy acd_strategies[];
const struct strategy *acd_strategy_find(const char *name);
bool acd_route_agent(struct acd *a, struct agent *ag, int64_t now);
void acd_route_entry(struct acd *a, struct entry *e, int64_t now);
int acd_line_insert(struct acd *a, struct entry *e, int64_t now);
void acd_widen_due(struct acd *a, struct entry *e, int64_t now);
/* The widening step of q in force after waiting `waited` µs (-1: none). */
int acd_step_at(const struct queue *q, int64_t waited);
void acd_line_remove(struct acd *a, struct entry *e);
int acd_position(const struct entry *e);
/* The shorter of the queue's and the caller's max wait (0: none). */
int64_t acd_max_wait(const struct entry *e);
void acd_timer_set(struct acd *a, struct timer *t, int64_t due);
void acd_timer_stop(struct acd *a, struct timer *t);
int acd_min_prof(const struct entry *e);
void acd_offer(struct acd *a, struct entry *e, struct agent **ags, int n, int64_t now);
bool acd_ring_room(struct entry *e, int n);

/* calls.c */
void acd_release(struct acd *a, struct agent *ag, const char *reason, int64_t now);
void acd_exit_entry(struct acd *a, struct entry *e, enum acd_exit why, int64_t now);
void acd_entry_free(struct acd *a, struct entry *e);
struct entry *acd_entry_find(const struct acd *a, uint64_t id);
void acd_end_talk(struct acd *a, struct entry *e, int64_t now);

/* transfer.c */
void acd_back_to_before(struct acd *a, struct agent *ag, int64_t now);
void acd_consult_drop(struct acd *a, struct entry *e, int64_t now);

#endif
