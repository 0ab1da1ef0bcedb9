/*
 * ivr internals: the loaded form of a flow, shared by flow.c (loading and
 * checking) and run.c (the interpreter), and the fuzz target.
 */
#ifndef WASL_IVR_INT_H
#define WASL_IVR_INT_H

#include "ivr.h"
#include "core/core.h"
#include "geo/geo.h"

#define IVR_NODES_MAX 256
#define NODE_PROMPTS 12
#define NODE_CHOICES 12

enum node_type {
    N_PLAY,
    N_SAY,
    N_MENU,
    N_LANGUAGE,
    N_COLLECT,
    N_HOURS,
    N_SET_LANGUAGE,
    N_SECOND_LANGUAGE,
    N_ENQUEUE,
    N_RECORD,
    N_CASE_STATUS,
    N_CALLBACK,
    N_HANGUP,
};

struct node {
    char name[IVR_NAME_MAX];
    enum node_type type;
    char prompts[NODE_PROMPTS][IVR_NAME_MAX];
    int nprompts;
    /* where to go: -1 when not used */
    int next, on_fail, open, closed, holiday, emergency, locked, unavailable, no_agents, on_full;
    struct {
        char key;
        int to;
    } choices[NODE_CHOICES];
    int nchoices;
    int timeout_ms, retries;
    char var[16], pin_var[16]; /* collect, say, case_status */
    char say_kind[8];
    int min, max;
    char terminator;
    char language[WASL_LANG_CODE_MAX];
    int max_wait, max_seconds;
    char service[IVR_NAME_MAX]; /* enqueue: the queue's service ("general") */
};

struct ivr_flow {
    char name[64];
    struct node *nodes;
    int nnodes;
    int start;
};

const char *node_type_name(enum node_type t);

#endif
