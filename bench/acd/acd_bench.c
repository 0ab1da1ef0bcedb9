/*
 * bench/acd: routing decisions per second of the distributor, in-process,
 * with every agent busy and thousands of callers waiting. One cycle: an
 * agent's call ends (the agent is free: a routing decision offers it the
 * next caller), the agent answers, and a new caller arrives (a decision that
 * finds nobody free), so the load stays the same. Built twice by
 * bench/acd/run.sh: against today's src/acd and, with -DACD_OLD, against the
 * first distributor (7 language queues, linear scans) taken from git, so the
 * two run at the same load in the same run. Prints one Markdown table row.
 *
 *   acd_bench [--agents N] [--waiting N] [--seconds S] [--queues languages|services] [--strategy NAME]
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acd/acd.h"
#include "core/core.h"

#define NLANG 7

static struct {
    uint64_t call[64];
    int64_t agent[64];
    int n;
} offers;

static void offer_h(void *arg, uint64_t call, int64_t agent)
{
    (void)arg;
    if (offers.n == 64) {
        fprintf(stderr, "acd_bench: more than 64 offers in one cycle\n");
        exit(1);
    }
    offers.call[offers.n] = call;
    offers.agent[offers.n++] = agent;
}

static uint64_t seed = 42;
static unsigned rnd(unsigned n)
{
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)(seed >> 33) % n;
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#ifdef ACD_OLD
/* The first distributor: one queue per language, languages as a bit mask. */
#define IMPL "first (linear scans)"
static int nqueues = NLANG;
static struct acd *setup(const char *strategy, bool services)
{
    struct acd *a;
    struct acd_hooks h = {offer_h, NULL, NULL, NULL};
    struct acd_settings s = {.ring_timeout = 15000000, .wrap_up = 0};
    (void)strategy;
    (void)services;
    if (acd_new(&a, &h, &s))
        exit(1);
    return a;
}
static void login(struct acd *a, int64_t id, int64_t now)
{
    unsigned mask = 0;
    for (int n = 1 + (int)rnd(3); n > 0; n--)
        mask |= 1u << rnd(NLANG);
    if (acd_agent_login(a, id, mask, now) || acd_agent_available(a, id, now))
        exit(1);
}
#define ENQUEUE(a, id, q, now) acd_call_enqueue(a, id, q, now)
#define ANSWERED(a, id, agent, now) acd_call_answered(a, id, now)
#else
#define IMPL "queues x skills (heaps)"
static const char *const services_list[] = {"general", "dossier", "complaint", "entry_stay"};
static int nqueues, nlang, nserv;
static struct acd *setup(const char *strategy, bool services)
{
    struct acd *a;
    struct acd_hooks h = {.offer = offer_h};
    struct acd_settings s = {.ring_timeout = 15000000, .wrap_up = 0, .no_answer_pause = true};
    if (acd_new(&a, &h, &s))
        exit(1);
    /* languages: as the first distributor; services: eight languages (with
     * Tamazight) x four services, widening after 30 and 60 s. */
    nlang = services ? NLANG + 1 : NLANG;
    nserv = services ? 4 : 1;
    for (int l = 0; l < nlang; l++)
        for (int k = 0; k < nserv; k++) {
            char name[32];
            snprintf(name, sizeof(name), "%d.%s", l, services_list[k]);
            struct acd_queue_def d = {.name = name, .language = l, .service = services_list[k], .strategy = strategy};
            if (services) {
                d.min_proficiency = 3;
                d.nwiden = 2;
                d.widen[0] = (struct acd_widen){30000000, 2, false};
                d.widen[1] = (struct acd_widen){60000000, 1, true};
            }
            if (acd_queue_add(a, &d, NULL)) {
                fprintf(stderr, "acd_bench: %s\n", err_message());
                exit(1);
            }
        }
    nqueues = nlang * nserv;
    return a;
}
static void login(struct acd *a, int64_t id, int64_t now)
{
    struct acd_skills sk = {0};
    for (int n = 1 + (int)rnd(3); n > 0; n--) {
        int l = (int)rnd((unsigned)nlang);
        bool dup = false;
        for (int i = 0; i < sk.nlanguages; i++)
            dup |= sk.languages[i].language == l;
        if (!dup) {
            sk.languages[sk.nlanguages].language = l;
            sk.languages[sk.nlanguages++].proficiency = nserv > 1 ? 1 + (int)rnd(5) : 3;
        }
    }
    for (int k = 0; k < nserv; k++)
        if (k == 0 || rnd(2))
            snprintf(sk.services[sk.nservices++], ACD_NAME_MAX, "%s", services_list[k]);
    if (acd_agent_login(a, id, &sk, now) || acd_agent_available(a, id, now))
        exit(1);
}
/* One caller in ten has a priority, one in four a second language. */
static int enqueue(struct acd *a, uint64_t id, int q, int64_t now)
{
    struct acd_call_opts o = {0};
    if (nserv > 1) {
        o.priority = rnd(10) ? 0 : 1 + (int)rnd(3);
        if (!rnd(4)) {
            o.has_language2 = true;
            o.language2 = (int)rnd((unsigned)nlang);
        }
    }
    return acd_call_enqueue(a, id, q, &o, now);
}
#define ENQUEUE(a, id, q, now) enqueue(a, id, q, now)
#define ANSWERED(a, id, agent, now) acd_call_answered(a, id, agent, now)
#endif

/* A caller arrives in a random queue; every agent offered a call (this
 * one, or the one a freed agent took before) answers at once. */
static int arrive(struct acd *a, uint64_t id, uint64_t *talking, int64_t now)
{
    if (ENQUEUE(a, id, (int)rnd((unsigned)nqueues), now))
        return 1;
    for (int i = 0; i < offers.n; i++) {
        if (ANSWERED(a, offers.call[i], offers.agent[i], now))
            return 1;
        talking[offers.agent[i]] = offers.call[i];
    }
    return 0;
}

int main(int argc, char **argv)
{
    int agents = 1000, waiting = 10000;
    double seconds = 3;
    const char *strategy = "longest_idle";
    bool services = false;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--agents"))
            agents = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--waiting"))
            waiting = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seconds"))
            seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--strategy"))
            strategy = argv[i + 1];
        else if (!strcmp(argv[i], "--queues"))
            services = !strcmp(argv[i + 1], "services");
        else {
            fprintf(stderr, "acd_bench: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (agents < 1 || agents > 100000 || waiting < 0 || seconds <= 0) {
        fprintf(stderr, "acd_bench: 1 to 100000 agents, waiting >= 0, seconds > 0\n");
        return 2;
    }
    struct acd *a = setup(strategy, services);
    uint64_t *talking = calloc((size_t)agents + 1, sizeof(*talking));
    uint64_t next = 1;
    int64_t now = 1000000;
    if (!talking)
        return 1;
    for (int64_t id = 1; id <= agents; id++)
        login(a, id, now);
    /* Every agent on a call, then the callers who wait. */
    while (next <= (uint64_t)(agents + waiting)) {
        offers.n = 0;
        if (arrive(a, next++, talking, now))
            return 1;
    }
    long decisions = 0, cycles = 0, idle_ends = 0;
    int64_t t0 = mono_ns(), limit = (int64_t)(seconds * 1e9), t = 0;
    int64_t id = 0;
    while (t < limit) {
        for (int k = 0; k < 1024; k++) {
            id = id % agents + 1;
            now += 1000; /* 1 ms a cycle: widening steps happen on the way */
            if (!talking[id]) {
                idle_ends++;
                continue;
            }
            offers.n = 0;
            if (acd_call_gone(a, talking[id], now))
                return 1;
            talking[id] = 0;
            if (arrive(a, next++, talking, now))
                return 1;
            decisions += offers.n;
            cycles++;
        }
        acd_tick(a, now); /* time-outs, as the telephony's sweep does */
        t = mono_ns() - t0;
    }
#ifndef ACD_OLD
    /* The load was what the row says: the line did not drain or grow. */
    int in_line = 0;
    for (int q = 0; q < nqueues; q++) {
        struct acd_queue_view v;
        acd_queue_get(a, q, &v);
        in_line += v.waiting;
    }
    if (in_line < waiting * 9 / 10 || in_line > waiting * 11 / 10) {
        fprintf(stderr, "acd_bench: %d callers waiting at the end, not about %d\n", in_line, waiting);
        return 1;
    }
#endif
    printf("| %s | %s | %s | %d | %d | %.0f | %.0f | %.0f |\n", IMPL, services ? "8 lang x 4 services" : "7 languages", strategy,
           agents, waiting, (double)decisions / ((double)t / 1e9), (double)t / (double)(cycles ? cycles : 1),
           100.0 * (double)decisions / (double)(cycles ? cycles : 1));
    acd_free(a);
    free(talking);
    return 0;
}
