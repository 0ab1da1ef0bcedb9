/*
 * /healthz and /metrics.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "cluster/cluster.h"
#include "events/events.h"
#include "tel/tel.h"

/* The node's place among the nodes: its role, who leads, the nodes seen,
 * as of the lease thread's last round (view_ms_ago: how old that is). */
static json_t *cluster_json(const struct cluster_status *st)
{
    json_t *nodes = json_array();
    for (int i = 0; i < st->nnodes; i++)
        json_array_append_new(nodes, json_pack("{s:s, s:s, s:I}", "node", st->nodes[i].node, "role", st->nodes[i].role,
                                               "seen_ms_ago", (json_int_t)st->nodes[i].seen_ms_ago));
    return json_pack("{s:b, s:s, s:s, s:s, s:I, s:i, s:I, s:o}", "enabled", st->enabled, "node", st->node, "role",
                     st->leading ? "leader" : "standby", "leader", st->leader, "epoch", (json_int_t)st->epoch, "lease_ms",
                     st->lease_ms, "view_ms_ago", (json_int_t)st->view_ms_ago, "nodes", nodes);
}

/* No store query: a load balancer asks every second, on every node. The
 * store is up while no statement fails (db_is_failing) and the lease
 * thread's rounds, every fifth of cluster.lease, reach it; a round stuck on
 * a store that stalled makes the view old, and past two rounds and a
 * second the node says it is unavailable, with how old its view is. */
int api_healthz(struct http_req *r)
{
    struct cluster_status st;
    cluster_status(&st);
    int64_t stale_ms = 2 * (int64_t)st.lease_ms / 5 + 1000;
    bool failing = db_is_failing(APP(r)->db), stale = st.view_ms_ago < 0 || st.view_ms_ago > stale_ms;
    if (failing || stale) {
        char why[160];
        if (failing)
            snprintf(why, sizeof(why), "the data store is unavailable");
        else if (st.view_ms_ago < 0)
            snprintf(why, sizeof(why), "the data store has not answered this node yet");
        else
            snprintf(why, sizeof(why), "the data store has not answered this node for %lld ms", (long long)st.view_ms_ago);
        return http_reply_json(r, 503,
                               json_pack("{s:s, s:s, s:s, s:o}", "status", "unavailable", "store", db_backend_name(APP(r)->db),
                                         "error", why, "cluster", cluster_json(&st)));
    }
    return http_reply_json(
        r, 200, json_pack("{s:s, s:s, s:o}", "status", "ok", "store", db_backend_name(APP(r)->db), "cluster", cluster_json(&st)));
}

/* For a load balancer's health check (deploy/haproxy): the live telephony
 * pages go to the node that runs the telephony. Leading without a running
 * telephony (starting, or sip.enabled off) is leading all the same. */
int api_healthz_leader(struct http_req *r)
{
    struct cluster_status st;
    cluster_status(&st);
    return http_reply_json(
        r, st.leading ? 200 : 503,
        json_pack("{s:s, s:s, s:s}", "role", st.leading ? "leader" : "standby", "node", st.node, "leader", st.leader));
}

int api_metrics(struct http_req *r)
{
    char *parts[3] = {http_metrics_text(), tel_metrics_text(), events_metrics_text()};
    struct sbuf b;
    sbuf_init(&b, 1 << 22);
    for (int i = 0; i < 3; i++) {
        if (parts[i])
            sbuf_adds(&b, parts[i]);
        else
            b.oom = true;
        free(parts[i]);
    }
    sbuf_addf(&b,
              "# HELP wasl_store_up 1 while the data store answers, 0 during an outage.\n"
              "# TYPE wasl_store_up gauge\nwasl_store_up %d\n"
              "# HELP wasl_cluster_leader 1 while this node holds the distributor's lease (always, alone).\n"
              "# TYPE wasl_cluster_leader gauge\nwasl_cluster_leader %d\n",
              !db_is_failing(APP(r)->db), cluster_leading());
    if (b.oom) {
        sbuf_release(&b);
        return WASL_ENOMEM;
    }
    size_t n = b.len;
    return http_reply_text(r, 200, "text/plain; version=0.0.4; charset=utf-8", sbuf_take(&b), n);
}
