/*
 * ivr: call flows as data (data/ivr/<name>.json) and their interpreter. A flow
 * is a set of named nodes (play, say, menu, language, collect, hours,
 * set_language, enqueue, record, case_status, callback, hangup); loading
 * checks every reference, every prompt, that every node can be reached and
 * that no loop runs without waiting for the caller. The interpreter is pure:
 * the telephony feeds it events (a prompt ended, a digit, a time-out, the
 * answer of a look-up) and gets back the next action to carry out. It does
 * no I/O; look-ups and callbacks are actions that the telephony hands to
 * another thread and answers with an event.
 */
#ifndef WASL_IVR_H
#define WASL_IVR_H

#include <stdbool.h>
#include <stdint.h>

#include "geo/geo.h"

#define IVR_NAME_MAX 40
#define IVR_ITEMS_MAX 64
#define IVR_DIGITS_MAX 32
#define IVR_VARS_MAX 8

struct ivr_flow;

/* prompt_known(id) tells whether a prompt exists (in every language); the
 * loader refuses a flow naming one that does not. Errors name the file, the
 * node and the field: "main.json: node 'menu': choice '3' goes to unknown
 * node 'agnet'". */
typedef bool (*ivr_prompt_known_h)(const char *id, void *arg);
int ivr_flow_load(const char *path, ivr_prompt_known_h known, void *arg, struct ivr_flow **out);
int ivr_flow_parse(const char *text, size_t len, const char *name, ivr_prompt_known_h known, void *arg, struct ivr_flow **out);
void ivr_flow_free(struct ivr_flow *f);
const char *ivr_flow_name(const struct ivr_flow *f);
/* The i-th enqueue node of a flow (from 0), for the telephony to check the
 * flow against its queues: its service and which exits it has a branch for
 * (on_timeout, on_full, no_agents). WASL_ENOENT past the last. A queue's
 * exit goes to its branch; on_full and no_agents fall back on on_timeout. */
struct ivr_enqueue_info {
    const char *node, *service;
    bool on_timeout, on_full, no_agents;
};
int ivr_flow_enqueue_at(const struct ivr_flow *f, int i, struct ivr_enqueue_info *out);
int ivr_flow_nodes(const struct ivr_flow *f);

/* What to say: prompts, and values spoken with the language's own words. */
enum ivr_item_kind {
    IVR_ITEM_PROMPT,   /* a prompt id */
    IVR_ITEM_NUMBER,   /* a */
    IVR_ITEM_DIGIT,    /* a character of a reference or a number, read one by one: c */
    IVR_ITEM_DATE,     /* a = year, b = month, c = day */
    IVR_ITEM_TIME,     /* a = hour, b = minute */
    IVR_ITEM_SILENCE,  /* a = milliseconds */
    IVR_ITEM_DURATION, /* a = seconds, spoken in whole minutes ("about 4 minutes") */
    IVR_ITEM_YEAR      /* a = year ("2027", said as a number in the language) */
};
struct ivr_item {
    enum ivr_item_kind kind;
    char prompt[IVR_NAME_MAX];
    int a, b, c;
    char lang[WASL_LANG_CODE_MAX]; /* spoken in this language ("": the caller's) */
};
/* Prompts the interpreter itself uses (NULL-terminated): every language
 * must have them. */
extern const char *const ivr_system_prompts[];

enum ivr_action_kind {
    IVR_A_PLAY,     /* play items, then (if wait_digits) wait for digits */
    IVR_A_ENQUEUE,  /* put the caller in the queue of `queue` (a language index), music meanwhile */
    IVR_A_RECORD,   /* record up to max_seconds of the caller after the items */
    IVR_A_LOOKUP,   /* find the case (digits of its reference, PIN); answer with IVR_E_LOOKUP */
    IVR_A_CALLBACK, /* store a callback request for this caller; answer with IVR_E_STORED */
    IVR_A_HANGUP,
};

struct ivr_action {
    enum ivr_action_kind kind;
    struct ivr_item items[IVR_ITEMS_MAX];
    int nitems;
    bool barge_in;                 /* a digit stops the items */
    bool wait_digits;              /* after the items, collect digits */
    int max_digits;                /* stop collecting at this many */
    char terminator;               /* or at this key ('\0': none) */
    int64_t timeout;               /* microseconds of silence after the items before IVR_E_TIMEOUT */
    int queue;                     /* ENQUEUE */
    bool exit_no_agents;           /* ENQUEUE: the flow has a branch for "nobody logged in" */
    char service[IVR_NAME_MAX];    /* ENQUEUE: the queue's service, with the caller's language */
    int language2;                 /* ENQUEUE: the second language the caller accepted (an index), -1: none */
    int max_seconds;               /* RECORD */
    char ref_keys[IVR_DIGITS_MAX]; /* LOOKUP */
    char pin[IVR_DIGITS_MAX];
    char language[WASL_LANG_CODE_MAX]; /* the caller's language now */
};

enum ivr_event_kind {
    IVR_E_PLAYED,        /* the items were played (no digit needed) */
    IVR_E_DIGITS,        /* digits collected (text), possibly with the terminator removed */
    IVR_E_TIMEOUT,       /* nothing keyed in time */
    IVR_E_LOOKUP,        /* the case look-up answered */
    IVR_E_STORED,        /* the callback or recording was stored (ok) or not */
    IVR_E_QUEUE_TIMEOUT, /* waited the node's or the queue's max wait */
    IVR_E_NO_AGENTS,     /* nobody who speaks the caller's language is logged in */
    IVR_E_QUEUE_FULL,    /* the queue held its max length of callers */
};

/* The answer to a look-up, in the caller's terms. */
struct ivr_case {
    bool found;       /* reference and PIN matched */
    bool locked;      /* too many attempts */
    bool unavailable; /* the store could not be asked */
    char status[20];  /* new, open, waiting_citizen, ... */
    char type[16];
    char reference[12];
    int exp_year, exp_month, exp_day; /* 0: no date */
};

struct ivr_event {
    enum ivr_event_kind kind;
    char digits[IVR_DIGITS_MAX];
    struct ivr_case kase;
    bool ok;
};

/* One call's place in a flow. Plain data: the telephony keeps it with the call. */
struct ivr_session {
    const struct ivr_flow *flow;
    int node;
    int retries;
    char language[WASL_LANG_CODE_MAX];
    char language2[WASL_LANG_CODE_MAX]; /* a second language the caller accepted ("": none) */
    char country[3];
    struct {
        char name[16];
        char value[IVR_DIGITS_MAX];
    } vars[IVR_VARS_MAX];
    int nvars;
    struct ivr_case kase;
    bool done;
};

/* Starts the flow for a call that came in on a number of `country`. */
int ivr_start(struct ivr_session *s, const struct ivr_flow *f, const char *country, int64_t now, struct ivr_action *out);
/* Feeds an event; out gets the next action. */
int ivr_step(struct ivr_session *s, const struct ivr_event *e, int64_t now, struct ivr_action *out);
/* The current node's name (for logs and tests). */
const char *ivr_node_name(const struct ivr_session *s);
const char *ivr_var(const struct ivr_session *s, const char *name);

#endif
