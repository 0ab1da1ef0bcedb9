/*
 * The distributor with a hand-driven clock: who gets which call, ring
 * time-outs, abandons, wrap-up, and a long random simulation checking the
 * invariants (a call only ever rings an agent who speaks its language, an
 * agent holds at most one call, the oldest call that can be taken goes first).
 */
#include "test.h"
#include "acd/acd.h"

#define S(x) ((int64_t)(x)*1000000)

enum { FR = 1, AR = 0, NL = 4, EN = 6 };

struct log {
    uint64_t offered_call[4096];
    int64_t offered_agent[4096];
    int noffers;
    int ncancels;
    int events[16];
};

static struct log lg;

static void on_offer(void *arg, uint64_t call, int64_t agent)
{
    (void)arg;
    lg.offered_call[lg.noffers] = call;
    lg.offered_agent[lg.noffers] = agent;
    lg.noffers = (lg.noffers + 1) % 4096;
}

static void on_cancel(void *arg, uint64_t call, int64_t agent)
{
    (void)arg;
    (void)call;
    (void)agent;
    lg.ncancels++;
}

static void on_event(void *arg, const struct acd_event *e)
{
    (void)arg;
    lg.events[e->kind]++;
}

static struct acd *fresh(int64_t wrap)
{
    struct acd *a;
    struct acd_hooks h = {on_offer, on_cancel, on_event, NULL};
    struct acd_settings s = {.ring_timeout = S(15), .wrap_up = wrap};
    memset(&lg, 0, sizeof(lg));
    assert_int_equal(acd_new(&a, &h, &s), 0);
    return a;
}

static int64_t last_agent(void)
{
    return lg.offered_agent[lg.noffers - 1];
}

static void longest_idle_first(void **state)
{
    struct acd *a = fresh(0);
    (void)state;
    for (int64_t id = 1; id <= 3; id++) {
        assert_int_equal(acd_agent_login(a, id, 1u << FR, S(0)), 0);
    }
    /* Agent 2 became available first, then 3, then 1. */
    acd_agent_available(a, 2, S(10));
    acd_agent_available(a, 3, S(20));
    acd_agent_available(a, 1, S(30));
    assert_int_equal(acd_call_enqueue(a, 100, FR, S(40)), 0);
    assert_int_equal(lg.noffers, 1);
    assert_int_equal(last_agent(), 2);
    acd_call_answered(a, 100, S(42));
    assert_int_equal(acd_call_enqueue(a, 101, FR, S(50)), 0);
    assert_int_equal(last_agent(), 3);
    /* Agent 2 hangs up; with no wrap-up, idle since then: after 1. */
    acd_call_gone(a, 100, S(60));
    acd_call_answered(a, 101, S(61));
    assert_int_equal(acd_call_enqueue(a, 102, FR, S(70)), 0);
    assert_int_equal(last_agent(), 1);
    acd_free(a);
}

static void language_routing_and_oldest_first(void **state)
{
    struct acd *a = fresh(0);
    struct acd_queue_view q[ACD_QUEUES];
    int queue;
    int64_t agent;
    bool talking;
    (void)state;
    acd_agent_login(a, 1, 1u << FR, S(0));
    acd_agent_available(a, 1, S(0));
    /* A Dutch caller waits: nobody speaks Dutch. */
    acd_call_enqueue(a, 200, NL, S(10));
    assert_int_equal(lg.noffers, 0);
    acd_queues(a, q);
    assert_int_equal(q[NL].waiting, 1);
    assert_int_equal(q[NL].oldest_since, S(10));
    /* An Arabic and a French caller later; the French one goes to agent 1. */
    acd_call_enqueue(a, 201, AR, S(20));
    acd_call_enqueue(a, 202, FR, S(30));
    assert_int_equal(lg.noffers, 1);
    assert_int_equal(lg.offered_call[0], 202);
    /* A trilingual agent takes the oldest call it can: the Dutch one (t=10). */
    acd_agent_login(a, 2, (1u << NL) | (1u << AR) | (1u << EN), S(40));
    acd_agent_available(a, 2, S(40));
    assert_int_equal(lg.offered_call[1], 200);
    assert_int_equal(acd_call_where(a, 201, &queue, &agent, &talking), 0);
    assert_int_equal(queue, AR);
    assert_int_equal(agent, 0);
    acd_free(a);
}

static void ring_timeout_and_decline(void **state)
{
    struct acd *a = fresh(0);
    struct acd_agent_view v;
    (void)state;
    acd_agent_login(a, 1, 1u << AR, S(0));
    acd_agent_login(a, 2, 1u << AR, S(0));
    acd_agent_available(a, 1, S(1));
    acd_agent_available(a, 2, S(2));
    acd_call_enqueue(a, 300, AR, S(10));
    assert_int_equal(last_agent(), 1);
    /* Nothing due before the ring time-out. */
    assert_int_equal(acd_tick(a, S(20)), S(25));
    /* At 25 s: agent 1 paused (no answer), the call rings agent 2. */
    acd_tick(a, S(25));
    assert_int_equal(lg.ncancels, 1);
    assert_int_equal(last_agent(), 2);
    acd_agent_get(a, 1, &v);
    assert_int_equal(v.state, ACD_PAUSED);
    assert_string_equal(v.reason, "no_answer");
    /* Agent 2 declines: back to the queue, nobody left. */
    acd_call_declined(a, 300, S(27));
    assert_int_equal(lg.events[ACD_EV_NOT_ANSWERED], 2);
    struct acd_queue_view q[ACD_QUEUES];
    acd_queues(a, q);
    assert_int_equal(q[AR].waiting, 1);
    assert_int_equal(q[AR].oldest_since, S(10)); /* its place in line is kept */
    /* Agent 1 is back: takes it. */
    acd_agent_available(a, 1, S(30));
    assert_int_equal(last_agent(), 1);
    acd_free(a);
}

static void abandon_and_wrap_up(void **state)
{
    struct acd *a = fresh(S(10));
    struct acd_agent_view v;
    (void)state;
    acd_agent_login(a, 1, 1u << FR, S(0));
    acd_agent_available(a, 1, S(0));
    /* Hangs up while ringing: the agent is free again, ringing cancelled. */
    acd_call_enqueue(a, 400, FR, S(5));
    acd_call_gone(a, 400, S(6));
    assert_int_equal(lg.ncancels, 1);
    assert_int_equal(lg.events[ACD_EV_ABANDONED], 1);
    acd_agent_get(a, 1, &v);
    assert_int_equal(v.state, ACD_AVAILABLE);
    /* A call answered then ended: 10 s of wrap-up before the next. */
    acd_call_enqueue(a, 401, FR, S(7));
    acd_call_answered(a, 401, S(8));
    assert_int_equal(acd_agent_pause(a, 1, "break", S(9)), WASL_ECONFLICT);
    assert_int_equal(acd_agent_logout(a, 1, S(9)), WASL_ECONFLICT);
    acd_call_gone(a, 401, S(100));
    acd_call_enqueue(a, 402, FR, S(101));
    assert_int_equal(lg.noffers, 2);
    assert_int_equal(acd_tick(a, S(105)), S(110));
    acd_tick(a, S(110));
    assert_int_equal(lg.noffers, 3);
    assert_int_equal(lg.offered_call[2], 402);
    /* Waiting in queue, then hanging up. */
    acd_call_enqueue(a, 403, FR, S(120));
    assert_int_equal(acd_call_gone(a, 403, S(130)), 0);
    assert_int_equal(acd_call_gone(a, 403, S(131)), WASL_ENOENT);
    /* Input errors. */
    assert_int_equal(acd_call_enqueue(a, 404, 9, S(140)), WASL_EINVAL);
    assert_int_equal(acd_call_enqueue(a, 402, FR, S(140)), WASL_ECONFLICT);
    assert_int_equal(acd_agent_login(a, 9, 0, S(140)), WASL_EINVAL);
    assert_int_equal(acd_agent_available(a, 77, S(140)), WASL_ENOENT);
    acd_free(a);
}

/* ---- a long random day ---- */

struct sim {
    struct acd *a;
    unsigned langs[21];
    uint64_t calls_ringing[21]; /* per agent */
};

static struct sim *simp;

static void sim_offer(void *arg, uint64_t call, int64_t agent)
{
    struct sim *s = arg;
    struct acd_agent_view v;
    int queue;
    int64_t ag;
    bool talking;
    assert_int_equal(acd_call_where(s->a, call, &queue, &ag, &talking), 0);
    assert_int_equal(ag, agent);
    assert_true(s->langs[agent] & (1u << queue)); /* speaks the caller's language */
    assert_int_equal(s->calls_ringing[agent], 0); /* one call at a time */
    acd_agent_get(s->a, agent, &v);
    assert_int_equal(v.state, ACD_RINGING);
    s->calls_ringing[agent] = call;
}

static void sim_cancel(void *arg, uint64_t call, int64_t agent)
{
    struct sim *s = arg;
    assert_int_equal(s->calls_ringing[agent], call);
    s->calls_ringing[agent] = 0;
}

static void random_day(void **state)
{
    struct sim s;
    struct acd_hooks h = {sim_offer, sim_cancel, NULL, &s};
    struct acd_settings set = {.ring_timeout = S(12), .wrap_up = S(5)};
    uint64_t seed = 12345, next_call = 1;
    uint64_t talking[21] = {0};
    (void)state;
    memset(&s, 0, sizeof(s));
    simp = &s;
    assert_int_equal(acd_new(&s.a, &h, &set), 0);
    for (int id = 1; id <= 20; id++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        s.langs[id] = (unsigned)(seed >> 33) % 127 + 1;
        acd_agent_login(s.a, id, s.langs[id], 0);
        acd_agent_available(s.a, id, 0);
    }
    int64_t now = 0;
    uint64_t waiting[4096];
    int nwaiting = 0;
    for (int step = 0; step < 200000; step++) {
        now += S(1) / 4;
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        unsigned r = (unsigned)(seed >> 33) % 100;
        if (r < 8 && nwaiting < 4000) { /* a caller */
            int q = (int)((seed >> 20) % ACD_QUEUES);
            assert_int_equal(acd_call_enqueue(s.a, next_call, q, now), 0);
            waiting[nwaiting++] = next_call++;
        } else if (r < 14) { /* an agent's phone answers */
            int id = (int)((seed >> 20) % 20) + 1;
            if (s.calls_ringing[id]) {
                assert_int_equal(acd_call_answered(s.a, s.calls_ringing[id], now), 0);
                talking[id] = s.calls_ringing[id];
                s.calls_ringing[id] = 0;
            }
        } else if (r < 18) { /* a conversation ends */
            int id = (int)((seed >> 20) % 20) + 1;
            if (talking[id]) {
                assert_int_equal(acd_call_gone(s.a, talking[id], now), 0);
                talking[id] = 0;
            }
        } else if (r < 19 && nwaiting) { /* a caller gives up (if still with us) */
            int k = (int)((seed >> 20) % (uint64_t)nwaiting);
            int queue;
            int64_t ag;
            bool tk;
            if (acd_call_where(s.a, waiting[k], &queue, &ag, &tk) == 0 && !tk) {
                assert_int_equal(acd_call_gone(s.a, waiting[k], now), 0);
                if (ag) /* it was ringing: the cancel hook stopped it */
                    assert_int_equal(s.calls_ringing[ag], 0);
            }
            err_clear();
            waiting[k] = waiting[--nwaiting];
        } else if (r < 21) { /* agents come back from a pause */
            int id = (int)((seed >> 20) % 20) + 1;
            struct acd_agent_view v;
            acd_agent_get(s.a, id, &v);
            if (v.state == ACD_PAUSED)
                assert_int_equal(acd_agent_available(s.a, id, now), 0);
        }
        acd_tick(s.a, now);
    }
    /* At the end: nobody available while a call they could take waits. */
    struct acd_queue_view q[ACD_QUEUES];
    struct acd_agent_view v[32];
    int n = acd_agents(s.a, v, 32);
    acd_queues(s.a, q);
    for (int i = 0; i < n; i++)
        if (v[i].state == ACD_AVAILABLE)
            for (int k = 0; k < ACD_QUEUES; k++)
                assert_true(!(v[i].languages & (1u << k)) || q[k].waiting == 0);
    acd_free(s.a);
}

/* What a waiting caller is told: place in the queue and an estimate from
 * the handling times seen, shared among the agents who can answer. */
static void place_and_estimate(void **state)
{
    struct acd *a = fresh(S(30));
    int place;
    int64_t wait;
    (void)state;
    /* Nobody logged in who speaks Dutch: a place but no estimate. */
    assert_int_equal(acd_call_enqueue(a, 1, NL, S(0)), 0);
    assert_int_equal(acd_call_estimate(a, 1, &place, &wait), 0);
    assert_int_equal(place, 1);
    assert_true(wait < 0);
    /* One Dutch agent, busy on a first call of 90 s (+30 s wrap-up). */
    assert_int_equal(acd_agent_login(a, 7, 1u << NL, S(0)), 0);
    assert_int_equal(acd_agent_available(a, 7, S(0)), 0);
    assert_int_equal(acd_call_answered(a, 1, S(1)), 0);
    assert_int_equal(acd_call_enqueue(a, 2, NL, S(2)), 0);
    assert_int_equal(acd_call_enqueue(a, 3, NL, S(3)), 0);
    assert_int_equal(acd_call_estimate(a, 3, &place, &wait), 0);
    assert_int_equal(place, 2);
    assert_int_equal(wait, 2 * S(240)); /* no call ended yet: 4 minutes each */
    assert_int_equal(acd_call_gone(a, 1, S(91)), 0);
    assert_int_equal(acd_call_estimate(a, 2, &place, &wait), 0);
    assert_int_equal(place, 1);
    assert_int_equal(wait, S(120)); /* 90 s talk + 30 s wrap-up */
    assert_int_equal(acd_call_estimate(a, 1, &place, &wait), WASL_ENOENT);
    err_clear();
    acd_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(longest_idle_first),
        cmocka_unit_test(language_routing_and_oldest_first),
        cmocka_unit_test(ring_timeout_and_decline),
        cmocka_unit_test(abandon_and_wrap_up),
        cmocka_unit_test(random_day),
        cmocka_unit_test(place_and_estimate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
