/*
 * cluster: several wasl nodes on one store (PostgreSQL), behind Kamailio.
 * One node at a time holds the distributor's lease, a row of the store it
 * renews every cluster.lease/5; with it go the telephony (the SIP listener,
 * the distributor, the callbacks dialled) and the background jobs (outbox,
 * deadlines, purge, daily summary). The other nodes serve the web pages and
 * the API and stand by: when the lease expires (its node died, froze or lost
 * the store), one of them takes it and starts the telephony, whose start
 * rebuilds the queues from the event log (callers who were waiting become
 * callbacks at their place) — docs/scale-out.md.
 *
 * A leader that cannot renew its lease steps down before any other node can
 * take it (at 60 % of the lease, measured on its own monotonic clock), so
 * two nodes never lead at once while their clocks agree within the rest.
 *
 * With cluster.enabled off (one node, the default) this node holds the same
 * row in a "solo" form: a second node on the store, solo or clustered, sees
 * it and refuses to start (cluster.store_in_use) instead of running the
 * telephony and the jobs beside it. A solo node renews its claim but is not
 * fenced (it keeps answering calls through a store outage); a claim not
 * renewed for cluster.lease is taken over, and one whose process is gone
 * from this machine (kill -9, then a restart) at once.
 *
 * What a node does when it starts or stops leading is a list of hooks the
 * modules register (cluster_on_lead, cluster_on_step_down), run in order
 * by the thread the role change is signalled to (cluster_lead_run).
 */
#ifndef WASL_CLUSTER_H
#define WASL_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

struct db;

extern const struct conf_def cluster_conf[];
extern const size_t cluster_conf_count;

/* Called on the cluster's own thread when this node starts leading
 * (leading) or must stop (!leading: the lease was lost; the node's calls
 * belong to the next leader's recovery). It must not block: it signals the
 * thread that runs the hooks. */
typedef void (*cluster_role_h)(bool leading, void *arg);

/* Starts taking part: the first attempt at the lease is made before it
 * returns (so a lone node leads at once, and a solo node holds the store).
 * Fails with cluster.store_in_use when another node's claim forbids this
 * node to run (a solo node beside any other, a clustered node beside a
 * solo one): the message names the other node and what to do. No hook is
 * run here: the caller runs cluster_lead_run() when cluster_leading(). */
int cluster_start(struct db *db, cluster_role_h h, void *arg);
/* Gives the lease back (the next node takes it within a round) and stops. */
void cluster_stop(void);
/* True while this node holds the lease. */
bool cluster_leading(void);
/* This node's name (cluster.node, or the host name); "" before the start. */
const char *cluster_node(void);

/* The order the hooks run in (lower first; the same stage: in the order
 * they were registered). */
enum cluster_stage {
    CLUSTER_STAGE_LOG = 10,       /* the event log: the dead leader's last beat */
    CLUSTER_STAGE_TELEPHONY = 20, /* the telephony's start (its recovery) */
    CLUSTER_STAGE_LIVE = 30,      /* the live events of the telephony */
    CLUSTER_STAGE_JOBS = 40,      /* the background jobs */
    CLUSTER_STAGE_LAST = 90,
};
typedef int (*cluster_lead_h)(void *arg);
typedef void (*cluster_down_h)(void *arg);
/* Registers what to do when this node starts leading / stops leading. The
 * name is kept (a static string) and logged; registering a name again
 * replaces its hook. At most 16 hooks. */
int cluster_on_lead(const char *name, int stage, cluster_lead_h fn, void *arg);
int cluster_on_step_down(const char *name, int stage, cluster_down_h fn, void *arg);
/* Runs the on-lead hooks in order, each logged with its duration; stops at
 * the first that fails and returns its error. */
int cluster_lead_run(void);
/* Runs the step-down hooks in order (each logged with its duration). */
void cluster_step_down_run(void);

struct cluster_node {
    char node[64];
    char role[16]; /* "leader", "standby", "solo", "stopped" */
    int64_t seen_ms_ago;
};
struct cluster_status {
    bool enabled, leading;
    char node[64];   /* this node's name */
    char leader[64]; /* the holder's node name, "" when none */
    int64_t epoch;   /* changes of holder so far */
    int64_t since;   /* when this node took the lease (clock_now()), 0 */
    int lease_ms;
    /* How old this view is: the milliseconds since the lease thread's last
     * round that reached the store ended (-1: none yet). */
    int64_t view_ms_ago;
    int nnodes;
    struct cluster_node nodes[16]; /* the nodes seen within 10 leases */
};
/* This node's view, as of the lease thread's last round: no store query. */
void cluster_status(struct cluster_status *out);

#endif
