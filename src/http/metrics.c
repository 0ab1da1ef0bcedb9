/*
 * Request counters for /metrics in the Prometheus text format: requests by
 * route and status, and a latency histogram per route. Lock-free: every
 * worker thread adds with relaxed atomics.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_int.h"

/* Bucket bounds in seconds, from well under a millisecond to the time-out. */
static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10};
#define NB (sizeof(bounds) / sizeof(bounds[0]))
static const int statuses[] = {0, 200, 201, 204, 304, 400, 401, 403, 404, 405, 409, 413, 415, 429, 500, 503};
#define NS (sizeof(statuses) / sizeof(statuses[0]))

struct slot {
    const char *route;                  /* "GET /api/v1/users/{id}" */
    _Atomic uint64_t by_status[NS + 1]; /* last: any other status */
    _Atomic uint64_t buckets[NB + 1];   /* last: +Inf */
    _Atomic uint64_t sum_us;
};

static struct slot *slots;
static size_t nslots;

int metrics_init(const struct route *routes, size_t n)
{
    metrics_free();
    slots = calloc(n + METRIC_EXTRA, sizeof(*slots));
    if (!slots)
        return WASL_ENOMEM;
    nslots = n + METRIC_EXTRA;
    for (size_t i = 0; i < n; i++) {
        char *name = malloc(strlen(routes[i].method) + strlen(routes[i].pattern) + 2);
        if (!name)
            return WASL_ENOMEM;
        sprintf(name, "%s %s", routes[i].method, routes[i].pattern);
        slots[i].route = name;
    }
    slots[n + METRIC_STATIC].route = "static";
    slots[n + METRIC_UNMATCHED].route = "unmatched";
    return 0;
}

void metrics_free(void)
{
    for (size_t i = 0; i + METRIC_EXTRA < nslots; i++)
        free((char *)slots[i].route);
    free(slots);
    slots = NULL;
    nslots = 0;
}

void metrics_record(int slot, int status, int64_t us)
{
    struct slot *s;
    size_t k = NS, b = NB;

    if (slot < 0 || (size_t)slot >= nslots)
        return;
    s = &slots[slot];
    for (size_t i = 0; i < NS; i++)
        if (statuses[i] == status)
            k = i;
    for (size_t i = 0; i < NB; i++)
        if (us <= bounds[i] * 1e6) {
            b = i;
            break;
        }
    atomic_fetch_add_explicit(&s->by_status[k], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->buckets[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->sum_us, (uint64_t)us, memory_order_relaxed);
}

char *http_metrics_text(void)
{
    struct sbuf b;

    sbuf_init(&b, 8u << 20);
    sbuf_adds(&b, "# HELP wasl_http_requests_total HTTP requests answered, by route and status.\n"
                  "# TYPE wasl_http_requests_total counter\n");
    for (size_t i = 0; i < nslots; i++) {
        for (size_t k = 0; k <= NS; k++) {
            uint64_t v = atomic_load_explicit(&slots[i].by_status[k], memory_order_relaxed);
            if (!v)
                continue;
            if (k == NS)
                sbuf_addf(&b, "wasl_http_requests_total{route=\"%s\",status=\"other\"} %llu\n", slots[i].route,
                          (unsigned long long)v);
            else
                sbuf_addf(&b, "wasl_http_requests_total{route=\"%s\",status=\"%d\"} %llu\n", slots[i].route, statuses[k],
                          (unsigned long long)v);
        }
    }
    sbuf_adds(&b, "# HELP wasl_http_request_duration_seconds Time from request to reply, by route.\n"
                  "# TYPE wasl_http_request_duration_seconds histogram\n");
    for (size_t i = 0; i < nslots; i++) {
        uint64_t cum = 0;
        for (size_t k = 0; k <= NB; k++)
            cum += atomic_load_explicit(&slots[i].buckets[k], memory_order_relaxed);
        if (!cum)
            continue;
        cum = 0;
        for (size_t k = 0; k <= NB; k++) {
            cum += atomic_load_explicit(&slots[i].buckets[k], memory_order_relaxed);
            if (k < NB)
                sbuf_addf(&b, "wasl_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n", slots[i].route, bounds[k],
                          (unsigned long long)cum);
            else
                sbuf_addf(&b, "wasl_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n", slots[i].route,
                          (unsigned long long)cum);
        }
        sbuf_addf(&b, "wasl_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n", slots[i].route,
                  atomic_load_explicit(&slots[i].sum_us, memory_order_relaxed) / 1e6);
        sbuf_addf(&b, "wasl_http_request_duration_seconds_count{route=\"%s\"} %llu\n", slots[i].route, (unsigned long long)cum);
    }
    sse_metrics(&b);
    guard_metrics(&b);
    return sbuf_take(&b);
}
