/*
 * The simulation's engine: a heap of timed events (arrivals, patience
 * running out, ends of calls, shifts starting and ending) around the real
 * distributor, which is told each change on the simulated clock and whose
 * own time-outs (ends of wrap-up) are run by acd_tick. Agents answer the
 * moment their phone rings: the simulation measures the queue, not the
 * ringing.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "acd/acd.h"
#include "core/core.h"

#define BASE_US 1000000 /* the simulated day starts at 1 s: 0 means "now" to the distributor */

enum ev_kind { E_ARRIVE, E_PATIENCE, E_END, E_SHIFT_IN, E_SHIFT_OUT };
struct ev {
    int64_t at; /* µs */
    uint64_t seq;
    int kind;
    int64_t id; /* a language (arrival), a call, an agent */
};

enum call_state { C_WAITING, C_TALKING, C_GONE };
struct call {
    int lang, slot;
    enum call_state st;
    int64_t joined;
    double talk_s;
};

struct offer {
    uint64_t call;
    int64_t agent;
};

struct run {
    const struct sim_in *in;
    struct sim_result *out;
    struct acd *acd;
    struct ev *heap;
    size_t n, cap;
    uint64_t seq;
    struct call *calls;
    size_t ncalls, cap_calls;
    struct offer *offers;
    size_t noffers, cap_offers;
    int64_t *agent_group; /* the group of agent id (1-based) */
    int nagents;
    uint64_t rng;
    long long calls_total;
    int err;
};

static uint64_t next_u64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull); /* splitmix64 */
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* An exponential draw of mean 1. */
static double exp1(uint64_t *s)
{
    double u = (double)(next_u64(s) >> 11) / 9007199254740992.0; /* [0, 1) */
    return -log1p(-u);
}

/* Room for one more element in a growing array (*p of *cap elements of
 * size `size`, n used): doubled when full. WASL_ENOMEM, *p untouched. */
static int grow(void *p, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t cap2 = *cap ? *cap * 2 : 1024;
    void *q = realloc(*(void **)p, cap2 * size);
    if (!q)
        return WASL_ENOMEM;
    *(void **)p = q;
    *cap = cap2;
    return 0;
}

static int push(struct run *r, int64_t at, int kind, int64_t id)
{
    if (grow(&r->heap, &r->cap, r->n, sizeof(*r->heap)))
        return WASL_ENOMEM;
    struct ev e = {at, r->seq++, kind, id};
    size_t i = r->n++;
    while (i > 0) {
        struct ev *p = &r->heap[(i - 1) / 2];
        if (p->at < e.at || (p->at == e.at && p->seq < e.seq))
            break;
        r->heap[i] = *p;
        i = (i - 1) / 2;
    }
    r->heap[i] = e;
    return 0;
}

static struct ev pop(struct run *r)
{
    struct ev top = r->heap[0], last = r->heap[--r->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= r->n)
            break;
        if (c + 1 < r->n &&
            (r->heap[c + 1].at < r->heap[c].at || (r->heap[c + 1].at == r->heap[c].at && r->heap[c + 1].seq < r->heap[c].seq)))
            c++;
        if (last.at < r->heap[c].at || (last.at == r->heap[c].at && last.seq < r->heap[c].seq))
            break;
        r->heap[i] = r->heap[c];
        i = c;
    }
    if (r->n)
        r->heap[i] = last;
    return top;
}

/* The next arrival of a language after t (s from midnight) in a Poisson
 * process whose rate is constant in each half-hour; -1: none today. */
static double next_arrival(struct run *r, int lang, double t)
{
    double need = exp1(&r->rng);
    for (int s = (int)(t / 1800); s < SIM_SLOTS; s++) {
        double rate = r->in->calls[lang][s] / 1800, end = (s + 1) * 1800.0, span = end - t;
        if (rate > 0 && rate * span >= need)
            return t + need / rate;
        need -= rate * span;
        t = end;
    }
    return -1;
}

static int64_t us(double s)
{
    return BASE_US + (int64_t)llround(s * 1e6);
}

static void on_offer(void *arg, uint64_t call, int64_t agent)
{
    struct run *r = arg;
    if (grow(&r->offers, &r->cap_offers, r->noffers, sizeof(*r->offers))) {
        r->err = WASL_ENOMEM;
        return;
    }
    r->offers[r->noffers++] = (struct offer){call, agent};
}

static void count_answer(struct run *r, struct call *c, int64_t now)
{
    double wait = (double)(now - c->joined) / 1e6;
    bool within = wait <= r->in->target_s + 1e-9;
    struct sim_counts *k[3] = {&r->out->lang[c->lang], &r->out->total, &r->out->slot[c->lang][c->slot]};
    for (int i = 0; i < 3; i++) {
        k[i]->answered++;
        k[i]->answered_within += within;
        k[i]->wait_answered_s += wait;
    }
}

/* The phones that rang while the distributor worked are answered now. */
static int answer_offers(struct run *r, int64_t now)
{
    for (size_t i = 0; i < r->noffers; i++) {
        struct offer o = r->offers[i];
        struct call *c = &r->calls[o.call];
        if (c->st != C_WAITING) /* ring all: another phone took it */
            continue;
        int err = acd_call_answered(r->acd, o.call, o.agent, now);
        if (err)
            return err;
        c->st = C_TALKING;
        count_answer(r, c, now);
        double aht = r->in->aht_s[c->lang], talk_mean = aht - r->in->wrap_s;
        c->talk_s = talk_mean * exp1(&r->rng);
        r->out->busy_s += c->talk_s + r->in->wrap_s;
        if ((err = push(r, now + (int64_t)llround(c->talk_s * 1e6), E_END, (int64_t)o.call)))
            return err;
    }
    r->noffers = 0;
    return r->err;
}

static int arrive(struct run *r, int lang, int64_t now)
{
    if (++r->calls_total > SIM_CALLS_MAX)
        return err_set(WASL_ELIMIT, "sim.too_many_calls", "more than %d calls in all: simulate fewer days", SIM_CALLS_MAX);
    if (grow(&r->calls, &r->cap_calls, r->ncalls, sizeof(*r->calls)))
        return WASL_ENOMEM;
    uint64_t id = r->ncalls++;
    double t = (double)(now - BASE_US) / 1e6;
    int slot = (int)(t / 1800);
    struct call *c = &r->calls[id];
    *c = (struct call){.lang = lang, .slot = slot < SIM_SLOTS ? slot : SIM_SLOTS - 1, .st = C_WAITING, .joined = now};
    r->out->lang[lang].offered++;
    r->out->total.offered++;
    r->out->slot[lang][c->slot].offered++;
    int err;
    if (r->in->patience_s[lang] > 0 &&
        (err = push(r, now + (int64_t)llround(r->in->patience_s[lang] * exp1(&r->rng) * 1e6), E_PATIENCE, (int64_t)id)))
        return err;
    if ((err = acd_call_enqueue(r->acd, id, lang, NULL, now)))
        return err;
    double next = next_arrival(r, lang, t);
    return next < 0 ? 0 : push(r, us(next), E_ARRIVE, lang);
}

static int give_up(struct run *r, uint64_t id, int64_t now)
{
    struct call *c = &r->calls[id];
    if (c->st != C_WAITING)
        return 0;
    c->st = C_GONE;
    double wait = (double)(now - c->joined) / 1e6;
    struct sim_counts *k[3] = {&r->out->lang[c->lang], &r->out->total, &r->out->slot[c->lang][c->slot]};
    for (int i = 0; i < 3; i++) {
        k[i]->abandoned++;
        k[i]->wait_abandoned_s += wait;
    }
    return acd_call_gone(r->acd, id, now);
}

static int shift(struct run *r, int64_t agent, bool in, int64_t now)
{
    if (!in)
        return acd_agent_logout(r->acd, agent, -1, now); /* forced: on a call, when it ends */
    const struct sim_group *g = &r->in->groups[r->agent_group[agent]];
    struct acd_skills sk = {0};
    for (int i = 0; i < g->nlangs; i++) {
        sk.languages[i].language = g->langs[i];
        sk.languages[i].proficiency = ACD_PROFICIENCY_MAX;
    }
    sk.nlanguages = g->nlangs;
    snprintf(sk.services[0], ACD_NAME_MAX, "general");
    sk.nservices = 1;
    int err = acd_agent_login(r->acd, agent, &sk, now);
    return err ? err : acd_agent_available(r->acd, agent, now);
}

static int handle(struct run *r, const struct ev *e)
{
    switch (e->kind) {
    case E_ARRIVE:
        return arrive(r, (int)e->id, e->at);
    case E_PATIENCE:
        return give_up(r, (uint64_t)e->id, e->at);
    case E_END:
        r->calls[e->id].st = C_GONE;
        return acd_call_gone(r->acd, (uint64_t)e->id, e->at);
    case E_SHIFT_IN:
    case E_SHIFT_OUT:
        return shift(r, e->id, e->kind == E_SHIFT_IN, e->at);
    }
    return 0;
}

static int run_day(struct run *r)
{
    const struct sim_in *in = r->in;
    struct acd_hooks h = {.offer = on_offer, .arg = r};
    struct acd_settings set = {.ring_timeout = 30 * (int64_t)1000000, .wrap_up = (int64_t)llround(in->wrap_s * 1e6)};
    int err = acd_new(&r->acd, &h, &set);
    if (err)
        return err;
    r->n = r->noffers = 0;
    r->ncalls = 1; /* call 0 means none to the distributor */
    for (int l = 0; l < in->nlangs && !err; l++) {
        struct acd_queue_def d = {
            .name = in->lang[l], .language = l, .service = "general", .strategy = in->strategy[0] ? in->strategy : NULL};
        err = acd_queue_add(r->acd, &d, NULL);
    }
    for (int l = 0; l < in->nlangs && !err; l++) {
        double t = next_arrival(r, l, 0);
        if (t >= 0)
            err = push(r, us(t), E_ARRIVE, l);
    }
    for (int id = 1; id <= r->nagents && !err; id++) {
        const struct sim_group *g = &in->groups[r->agent_group[id]];
        err = push(r, us(g->from_s), E_SHIFT_IN, id);
        if (!err)
            err = push(r, us(g->to_s), E_SHIFT_OUT, id);
        r->out->logged_s += g->to_s - g->from_s;
    }
    int64_t tick = INT64_MAX;
    while (!err && (r->n || tick != INT64_MAX)) {
        int64_t now;
        if (tick != INT64_MAX && (!r->n || tick <= r->heap[0].at)) {
            now = tick;
        } else {
            struct ev e = pop(r);
            now = e.at;
            err = handle(r, &e);
            r->out->events++;
        }
        tick = acd_tick(r->acd, now);
        if (!err)
            err = answer_offers(r, now);
    }
    for (size_t i = 1; !err && i < r->ncalls; i++) /* 0 is no call */
        if (r->calls[i].st == C_WAITING) {
            const struct call *c = &r->calls[i];
            r->out->lang[c->lang].unserved++;
            r->out->total.unserved++;
            r->out->slot[c->lang][c->slot].unserved++;
        }
    acd_free(r->acd);
    r->acd = NULL;
    return err;
}

void sim_defaults(struct sim_in *in)
{
    memset(in, 0, sizeof(*in));
    in->target_s = 20;
    in->days = 1;
    in->seed = 1;
}

int sim_check(const struct sim_in *in)
{
    int agents = 0;
    if (in->nlangs < 1 || in->nlangs > SIM_LANGS_MAX)
        return err_set_field(WASL_EINVAL, "sim.invalid", "languages", "1 to %d languages", SIM_LANGS_MAX);
    if (!(in->target_s >= 0 && in->target_s <= 3600))
        return err_set_field(WASL_EINVAL, "sim.invalid", "target_s", "target_s: 0 to 3,600 s");
    if (!(in->wrap_s >= 0 && in->wrap_s <= 3600))
        return err_set_field(WASL_EINVAL, "sim.invalid", "wrap_s", "wrap_s: 0 to 3,600 s");
    if (in->days < 1 || in->days > SIM_DAYS_MAX)
        return err_set_field(WASL_EINVAL, "sim.invalid", "days", "days: 1 to %d", SIM_DAYS_MAX);
    for (int l = 0; l < in->nlangs; l++) {
        if (!(in->aht_s[l] > in->wrap_s && in->aht_s[l] <= 86400))
            return err_set_field(WASL_EINVAL, "sim.invalid", "aht_s", "%s: aht_s must be more than wrap_s and at most 24 h",
                                 in->lang[l]);
        if (!(in->patience_s[l] >= 0 && in->patience_s[l] <= 86400))
            return err_set_field(WASL_EINVAL, "sim.invalid", "patience_s", "%s: patience_s 0 to 24 h", in->lang[l]);
        for (int s = 0; s < SIM_SLOTS; s++)
            if (!(in->calls[l][s] >= 0 && in->calls[l][s] <= 100000))
                return err_set_field(WASL_EINVAL, "sim.invalid", "calls", "%s: 0 to 100,000 calls a half-hour", in->lang[l]);
    }
    if (in->ngroups < 0 || in->ngroups > SIM_GROUPS_MAX)
        return err_set_field(WASL_EINVAL, "sim.invalid", "agents", "up to %d groups of agents", SIM_GROUPS_MAX);
    for (int i = 0; i < in->ngroups; i++) {
        const struct sim_group *g = &in->groups[i];
        if (g->count < 0 || g->nlangs < 1 || g->nlangs > SIM_LANGS_MAX || g->from_s < 0 || g->to_s > 86400 || g->to_s <= g->from_s)
            return err_set_field(WASL_EINVAL, "sim.invalid", "agents",
                                 "group %s: a count, at least one language and a shift within the day", g->name);
        for (int k = 0; k < g->nlangs; k++)
            if (g->langs[k] < 0 || g->langs[k] >= in->nlangs)
                return err_set_field(WASL_EINVAL, "sim.invalid", "agents", "group %s: a language not simulated", g->name);
        agents += g->count;
        if (agents > SIM_AGENTS_MAX)
            return err_set_field(WASL_EINVAL, "sim.invalid", "agents", "at most %d agents", SIM_AGENTS_MAX);
    }
    return 0;
}

int sim_run(const struct sim_in *in, struct sim_result *out)
{
    int err = sim_check(in);
    if (err)
        return err;
    struct run r = {.in = in, .out = out, .rng = in->seed};
    memset(out, 0, sizeof(*out));
    for (int i = 0; i < in->ngroups; i++)
        r.nagents += in->groups[i].count;
    if (!(r.agent_group = calloc((size_t)r.nagents + 1, sizeof(*r.agent_group))))
        return WASL_ENOMEM;
    for (int i = 0, id = 1; i < in->ngroups; i++)
        for (int k = 0; k < in->groups[i].count; k++)
            r.agent_group[id++] = i;
    for (int d = 0; d < in->days && !err; d++)
        err = run_day(&r);
    free(r.heap);
    free(r.calls);
    free(r.offers);
    free(r.agent_group);
    return err;
}

double sim_service_level(const struct sim_counts *c)
{
    return c->offered ? (double)c->answered_within / (double)c->offered : -1;
}

double sim_abandon_rate(const struct sim_counts *c)
{
    return c->offered ? (double)c->abandoned / (double)c->offered : -1;
}

double sim_asa_s(const struct sim_counts *c)
{
    return c->answered ? c->wait_answered_s / (double)c->answered : -1;
}
