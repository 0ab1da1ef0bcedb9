/*
 * A long random day of the distributor: 14 queues (7 languages x 2
 * services, every strategy, widening by proficiency and second language,
 * some with a maximum wait), 24 agents with random skills, callers with
 * priorities, callbacks, pauses, forced log-outs, declines, hang-ups and
 * callers moved by a supervisor from queue to queue (waiting or ringing).
 * A model kept from the hooks and events alone checks after every change:
 * an agent holds at most one call; a call only rings an agent qualified for
 * it (service, language or accepted second language, proficiency at the
 * widening step in force); the caller served is the first by priority then
 * arrival among those the agent may take; no agent stays available while a
 * caller it may take waits; widening happens on time.
 */
#include "test.h"
#include "acd/acd.h"

#define S(x) ((int64_t)(x)*1000000)
#define NLANG 7
#define NQ 14
#define NAG 24
#define MAXCALLS 40000

static const char *const services[2] = {"general", "dossier"};
static const struct acd_widen widen[2] = {{S(20), 2, false}, {S(40), 1, true}};

enum cstate { C_NONE, C_WAITING, C_RINGING, C_RESERVED, C_TALKING, C_RETRY, C_GONE };

struct mcall {
    enum cstate st;
    int queue, priority, lang2; /* lang2 -1: none */
    int64_t joined;
    int64_t limit_from; /* the max wait counts from here: the arrival, or the last move */
    int step;
    bool callback;
    int nring;
    int attempts;
};

struct magent {
    struct acd_skills sk;
    uint64_t holds;
    enum acd_agent_state state;
};

static struct sim {
    struct acd *a;
    struct mcall c[MAXCALLS];
    struct magent ag[NAG + 1];
    int64_t now;
    uint64_t lo, next_id; /* calls below lo are all gone */
    int offers, answered, exits, callbacks_done, widenings, moves, moves_refused;
} * sim;

static int prof_of(const struct magent *m, int lang, const char *service)
{
    bool has = false;
    for (int i = 0; i < m->sk.nservices; i++)
        has |= !strcmp(m->sk.services[i], service);
    for (int i = 0; has && i < m->sk.nlanguages; i++)
        if (m->sk.languages[i].language == lang)
            return m->sk.languages[i].proficiency;
    return 0;
}

/* May agent `id` take call `k` now, by the widening step the ACD announced? */
static bool qualified(int id, uint64_t k)
{
    const struct mcall *c = &sim->c[k];
    int lang = c->queue % NLANG;
    const char *service = services[c->queue / NLANG];
    int minp = c->step < 0 ? 3 : widen[c->step].min_proficiency;
    if (prof_of(&sim->ag[id], lang, service) >= minp)
        return true;
    return c->lang2 >= 0 && c->step >= 0 && widen[c->step].second_language && prof_of(&sim->ag[id], c->lang2, service) >= minp;
}

static bool before(uint64_t x, uint64_t y)
{
    const struct mcall *a = &sim->c[x], *b = &sim->c[y];
    if (a->priority != b->priority)
        return a->priority > b->priority;
    if (a->joined != b->joined)
        return a->joined < b->joined;
    return x < y;
}

static void on_event(void *arg, const struct acd_event *e)
{
    struct sim *s = arg;
    struct mcall *c = e->call ? &s->c[e->call] : NULL;
    struct magent *m = e->agent ? &s->ag[e->agent] : NULL;
    switch (e->kind) {
    case ACD_EV_QUEUE_JOINED:
        assert_true(c->st == C_NONE || c->st == C_RETRY || c->st == C_WAITING);
        c->st = C_WAITING;
        break;
    case ACD_EV_OFFERED:
    case ACD_EV_CALLBACK_RESERVED:
        assert_int_equal(m->holds, 0); /* one call at a time */
        assert_true(qualified((int)e->agent, e->call));
        if (c->st == C_WAITING) {
            /* The first by priority then arrival among those it may take. */
            for (uint64_t k = s->lo; k < s->next_id; k++)
                if (k != e->call && s->c[k].st == C_WAITING && qualified((int)e->agent, k) && before(k, e->call))
                    fail_msg("call %llu offered to %lld while %llu waits before it", (unsigned long long)e->call,
                             (long long)e->agent, (unsigned long long)k);
            c->st = e->kind == ACD_EV_OFFERED ? C_RINGING : C_RESERVED;
            c->nring = 0;
        } else {
            assert_int_equal(c->st, C_RINGING); /* ring all: the others */
            assert_int_equal(e->kind, ACD_EV_OFFERED);
        }
        c->nring++;
        m->holds = e->call;
        s->offers++;
        break;
    case ACD_EV_NOT_ANSWERED:
    case ACD_EV_RING_CANCELLED:
        assert_int_equal(m->holds, e->call);
        m->holds = 0;
        if (c->st == C_GONE) {
            assert_int_equal(e->kind, ACD_EV_RING_CANCELLED); /* the caller went */
        } else if (c->st == C_RESERVED) {
            c->st = C_WAITING; /* back at its place */
        } else {
            assert_int_equal(c->st, C_RINGING);
            if (!--c->nring && e->kind == ACD_EV_NOT_ANSWERED)
                c->st = C_WAITING;
        }
        break;
    case ACD_EV_ANSWERED:
        assert_int_equal(m->holds, e->call);
        assert_true(c->st == C_RINGING || c->st == C_RESERVED);
        c->st = C_TALKING;
        s->answered++;
        break;
    case ACD_EV_ENDED:
        assert_int_equal(c->st, C_TALKING);
        assert_int_equal(m->holds, e->call);
        m->holds = 0;
        c->st = C_GONE;
        break;
    case ACD_EV_ABANDONED:
        c->st = C_GONE; /* the ringing agents get RING_CANCELLED */
        break;
    case ACD_EV_EXIT:
        assert_int_equal(c->st, e->exit == ACD_EXIT_MAX_WAIT || e->exit == ACD_EXIT_NO_AGENTS ? C_WAITING : C_NONE);
        assert_false(c->callback);
        if (e->exit == ACD_EXIT_MAX_WAIT)
            assert_true(s->now - c->limit_from >= S(180));
        c->st = C_GONE;
        s->exits++;
        break;
    case ACD_EV_CALLBACK_REQUESTED:
        c->callback = true;
        break;
    case ACD_EV_CALLBACK_ATTEMPTED:
        assert_int_equal(c->st, C_RESERVED);
        assert_int_equal(m->holds, e->call);
        m->holds = 0;
        c->st = e->retry_at ? C_RETRY : C_GONE;
        s->callbacks_done += !e->retry_at;
        break;
    case ACD_EV_CALLBACK_CANCELLED:
        if (m) {
            assert_int_equal(m->holds, e->call);
            m->holds = 0;
        }
        c->st = C_GONE;
        break;
    case ACD_EV_WIDENED:
        assert_true(e->step > c->step);
        c->step = e->step;
        s->widenings++;
        break;
    case ACD_EV_AGENT_STATE:
        m->state = e->state;
        break;
    case ACD_EV_MOVED:
        /* its rings were cancelled first; back in a line, the new queue's */
        assert_true(c->st == C_WAITING || c->st == C_RINGING);
        assert_false(c->callback);
        assert_int_equal(e->from_queue, c->queue);
        assert_true(e->queue != c->queue);
        assert_int_equal(e->waited, s->now - c->joined);
        assert_true(e->step >= c->step);
        c->queue = e->queue;
        c->st = C_WAITING;
        c->step = e->step;
        c->limit_from = s->now;
        s->moves++;
        break;
    }
}

static void on_leave(void *arg, uint64_t call, int queue, enum acd_exit why)
{
    (void)arg;
    (void)call;
    (void)queue;
    assert_true(why != ACD_EXIT_NONE);
}

static void on_dial(void *arg, uint64_t cb, int64_t agent)
{
    struct sim *s = arg;
    assert_int_equal(s->ag[agent].holds, cb);
    assert_int_equal(s->c[cb].st, C_RESERVED);
}

static void on_offer(void *arg, uint64_t call, int64_t agent)
{
    struct sim *s = arg;
    assert_int_equal(s->ag[agent].holds, call);
}

/* Is anybody who can take queue q (or the caller's second language in its
 * service) logged in, paused or not? */
static bool somebody(int q, int lang2)
{
    for (int id = 1; id <= NAG; id++) {
        const struct magent *m = &sim->ag[id];
        if (m->state == ACD_OFFLINE)
            continue;
        if (prof_of(m, q % NLANG, services[q / NLANG]) > 0 || (lang2 >= 0 && prof_of(m, lang2, services[q / NLANG]) > 0))
            return true;
    }
    return false;
}

static uint64_t rnd(uint64_t *seed)
{
    *seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return *seed >> 33;
}

/* The checks that need the whole picture, after every change settled. */
static void check_all(struct sim *s)
{
    while (s->lo < s->next_id && s->c[s->lo].st == C_GONE)
        s->lo++;
    for (int id = 1; id <= NAG; id++) {
        struct acd_agent_view v;
        assert_int_equal(acd_agent_get(s->a, id, &v), 0);
        assert_int_equal(v.state, s->ag[id].state);
        assert_int_equal(v.call, s->ag[id].holds);
        if (v.state == ACD_RINGING || v.state == ACD_BUSY)
            assert_true(s->ag[id].holds != 0);
        if (v.state != ACD_AVAILABLE)
            continue;
        for (uint64_t k = s->lo; k < s->next_id; k++)
            if (s->c[k].st == C_WAITING && qualified(id, k))
                fail_msg("agent %d available while call %llu it may take waits", id, (unsigned long long)k);
    }
    /* The lines agree with the model (moves take callers out of one and
     * into another): each waiting caller is in its queue, at a place
     * within it, and each queue holds as many as the model says. */
    int inq[NQ] = {0};
    for (uint64_t k = s->lo; k < s->next_id; k++) {
        if (s->c[k].st != C_WAITING)
            continue;
        int q, place;
        int64_t agent, wait;
        bool talking;
        assert_int_equal(acd_call_where(s->a, k, &q, &agent, &talking), 0);
        assert_int_equal(q, s->c[k].queue);
        assert_int_equal(agent, 0);
        assert_int_equal(acd_call_estimate(s->a, k, &place, &wait), 0);
        assert_true(place >= 1);
        inq[q]++;
    }
    for (int q = 0; q < NQ; q++) {
        struct acd_queue_view v;
        assert_int_equal(acd_queue_get(s->a, q, &v), 0);
        assert_int_equal(v.waiting, inq[q]);
    }
    /* Widening on time: every waiting caller is at least at its step. */
    for (uint64_t k = s->lo; k < s->next_id; k++) {
        const struct mcall *c = &s->c[k];
        int due = -1;
        for (int i = 0; i < 2; i++)
            if (s->now - c->joined >= widen[i].after)
                due = i;
        if (c->st == C_WAITING)
            assert_true(c->step >= due);
    }
}

static uint64_t pick(struct sim *s, uint64_t *seed, enum cstate st)
{
    uint64_t lo = s->next_id > 400 ? s->next_id - 400 : 1;
    for (int tries = 0; tries < 20 && s->next_id > 1; tries++) {
        uint64_t k = lo + rnd(seed) % (s->next_id - lo);
        if (s->c[k].st == st)
            return k;
    }
    return 0;
}

static void random_day(void **state)
{
    static const char *const reasons[] = {"break", "training", "coaching", "back_office"};
    struct acd_hooks h = {on_offer, NULL, on_dial, on_leave, on_event, NULL};
    struct acd_settings set = {.ring_timeout = S(12), .wrap_up = S(5), .no_answer_pause = true};
    uint64_t seed = 20261206;
    (void)state;
    sim = calloc(1, sizeof(*sim));
    assert_non_null(sim);
    struct sim *s = sim;
    h.arg = s;
    s->next_id = s->lo = 1;
    assert_int_equal(acd_new(&s->a, &h, &set), 0);
    for (int q = 0; q < NQ; q++) {
        char name[32];
        snprintf(name, sizeof(name), "%d.%s", q % NLANG, services[q / NLANG]);
        struct acd_queue_def d = {.name = name,
                                  .language = q % NLANG,
                                  .service = services[q / NLANG],
                                  .strategy = acd_strategy_name(q % 5),
                                  .min_proficiency = 3,
                                  .nwiden = 2,
                                  .max_wait = q % 3 == 0 ? S(180) : 0};
        memcpy(d.widen, widen, sizeof(widen));
        assert_int_equal(acd_queue_add(s->a, &d, NULL), 0);
    }
    for (int id = 1; id <= NAG; id++) {
        struct acd_skills *sk = &s->ag[id].sk;
        int n = 1 + (int)(rnd(&seed) % 3);
        for (int i = 0; i < n; i++) {
            int lang = (int)(rnd(&seed) % NLANG);
            bool dup = false;
            for (int k = 0; k < sk->nlanguages; k++)
                dup |= sk->languages[k].language == lang;
            if (dup)
                continue;
            sk->languages[sk->nlanguages].language = lang;
            sk->languages[sk->nlanguages++].proficiency = 1 + (int)(rnd(&seed) % 5);
        }
        unsigned which = 1 + (unsigned)(rnd(&seed) % 3);
        for (int k = 0; k < 2; k++)
            if (which & (1u << k))
                snprintf(sk->services[sk->nservices++], ACD_NAME_MAX, "%s", services[k]);
        assert_int_equal(acd_agent_login(s->a, id, sk, 0), 0);
        assert_int_equal(acd_agent_available(s->a, id, 0), 0);
    }
    for (int step = 0; step < 150000 && s->next_id < MAXCALLS - 2; step++) {
        s->now += S(1) / 4;
        unsigned r = (unsigned)(rnd(&seed) % 1000);
        uint64_t k;
        int id = 1 + (int)(rnd(&seed) % NAG);
        if (r < 60) { /* a caller */
            struct mcall *c = &s->c[s->next_id];
            struct acd_call_opts o = {0};
            c->queue = (int)(rnd(&seed) % NQ);
            c->priority = o.priority = rnd(&seed) % 10 == 0 ? 1 + (int)(rnd(&seed) % 3) : 0;
            c->lang2 = -1;
            if (rnd(&seed) % 4 == 0) {
                c->lang2 = o.language2 = (int)(rnd(&seed) % NLANG);
                o.has_language2 = true;
                if (c->lang2 == c->queue % NLANG)
                    c->lang2 = -1; /* the same language: no second one */
            }
            c->joined = c->limit_from = s->now;
            c->step = -1;
            assert_int_equal(acd_call_enqueue(s->a, s->next_id++, c->queue, &o, s->now), 0);
        } else if (r < 70) { /* declines */
            k = s->ag[id].holds;
            if (k && s->c[k].st == C_RINGING)
                assert_int_equal(acd_call_declined(s->a, k, id, s->now), 0);
        } else if (r < 205) { /* a caller gives up, waiting or ringing */
            if ((k = pick(s, &seed, C_WAITING)) || (k = pick(s, &seed, C_RINGING)))
                assert_int_equal(acd_call_gone(s->a, k, s->now), 0);
        } else if (r < 210) { /* asks to be called back */
            if ((k = pick(s, &seed, C_WAITING)) && !s->c[k].callback)
                assert_int_equal(acd_call_to_callback(s->a, k, s->now), 0);
        } else if (r < 213) { /* a callback's citizen calls again */
            k = pick(s, &seed, C_WAITING);
            if (!k)
                k = pick(s, &seed, C_RESERVED);
            if (k && s->c[k].callback) {
                struct mcall *n = &s->c[s->next_id];
                *n = s->c[k];
                n->st = C_NONE;
                n->callback = false;
                n->step = -1;
                n->attempts = 0;
                assert_int_equal(acd_callback_replace(s->a, k, s->next_id++, s->now), 0);
            }
        } else if (r < 235) { /* back from a pause */
            if (s->ag[id].state == ACD_PAUSED || s->ag[id].state == ACD_WRAP_UP)
                assert_int_equal(acd_agent_available(s->a, id, s->now), 0);
        } else if (r < 240) { /* a pause, forced by a supervisor now and then */
            int64_t by = rnd(&seed) % 2 ? 0 : 99;
            int err = acd_agent_pause(s->a, id, reasons[rnd(&seed) % 4], by, s->now);
            assert_true(err == 0 || (s->ag[id].state == ACD_OFFLINE && err == WASL_ENOENT) ||
                        (!by && s->ag[id].state == ACD_BUSY && err == WASL_ECONFLICT));
            err_clear();
        } else if (r < 243) { /* log-out, forced or not */
            int64_t by = rnd(&seed) % 2 ? 0 : 99;
            int err = acd_agent_logout(s->a, id, by, s->now);
            assert_true(err == 0 || (!by && s->ag[id].state == ACD_BUSY && err == WASL_ECONFLICT));
            err_clear();
        } else if (r < 246 && s->ag[id].state == ACD_OFFLINE) {
            assert_int_equal(acd_agent_login(s->a, id, &s->ag[id].sk, s->now), 0);
        } else if (r >= 246 && r < 251) { /* a supervisor moves a caller, waiting or ringing */
            if ((k = pick(s, &seed, C_WAITING)) || (k = pick(s, &seed, C_RINGING))) {
                int to = (int)(rnd(&seed) % NQ), moves = s->moves, from = s->c[k].queue;
                int err = acd_call_move(s->a, k, to, 99, s->now);
                if (s->c[k].callback) {
                    assert_int_equal(err, WASL_ECONFLICT);
                    assert_string_equal(err_code(), "acd.not_waiting");
                } else if (to == from) {
                    assert_int_equal(err, WASL_ECONFLICT);
                    assert_string_equal(err_code(), "acd.same_queue");
                } else if (!somebody(to, s->c[k].lang2)) {
                    assert_int_equal(err, WASL_ECONFLICT);
                    assert_string_equal(err_code(), "acd.no_agents");
                } else {
                    assert_int_equal(err, 0);
                    assert_int_equal(s->moves, moves + 1);
                    assert_int_equal(s->c[k].queue, to);
                }
                s->moves_refused += err != 0;
                err_clear();
            }
        }
        /* Each phone that rings answers within a few seconds, mostly; each
         * conversation lasts half a minute or so. */
        for (id = 1; id <= NAG; id++) {
            k = s->ag[id].holds;
            r = (unsigned)(rnd(&seed) % 1000);
            if (k && s->c[k].st == C_RINGING && r < 120) {
                assert_int_equal(acd_call_answered(s->a, k, id, s->now), 0);
            } else if (k && s->c[k].st == C_RESERVED && r < 120) {
                s->c[k].attempts++;
                if (r < 70)
                    assert_int_equal(acd_callback_answered(s->a, k, s->now), 0);
                else
                    assert_int_equal(acd_callback_failed(s->a, k, r < 90, s->c[k].attempts < 3 ? s->now + S(30) : 0, s->now), 0);
            } else if (k && s->c[k].st == C_TALKING && r < 8) {
                assert_int_equal(acd_call_gone(s->a, k, s->now), 0);
            }
        }
        acd_tick(s->a, s->now);
        if (step % 16 == 0)
            check_all(s);
    }
    check_all(s);
    /* The day happened: calls were answered, callers widened, some left. */
    print_message("%llu calls, %d offers, %d answered, %d widenings, %d exits, %d callbacks done, %d moves (%d refused)\n",
                  (unsigned long long)s->next_id - 1, s->offers, s->answered, s->widenings, s->exits, s->callbacks_done, s->moves,
                  s->moves_refused);
    assert_true(s->answered > 1000);
    assert_true(s->widenings > 100);
    assert_true(s->exits > 0);
    assert_true(s->callbacks_done > 0);
    assert_true(s->moves > 100);
    acd_free(s->a);
    free(sim);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(random_day),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
