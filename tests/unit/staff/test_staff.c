/*
 * Staffing: Erlang C against values computed exactly by hand (the
 * textbook interval: 100 calls in 30 min, 180 s, 80 % in 20 s -> 14 agents,
 * 20 with 30 % shrinkage), Erlang A against its Erlang C limit and against
 * a simulation of the same queue (callers who give up), and loads of
 * thousands of erlangs that stay finite.
 */
#include <math.h>

#include "test.h"
#include "staff/staff.h"

static const struct staff_in textbook = {.calls = 100,
                                         .interval_s = 1800,
                                         .aht_s = 180,
                                         .target_s = 20,
                                         .sl_target = 0.8,
                                         .max_occupancy = 1,
                                         .shrinkage = 0,
                                         .max_abandon = 1};

static void erlang_c_textbook(void **state)
{
    (void)state;
    /* exact values (rational arithmetic, factorials) for 10 erlangs */
    static const struct {
        int n;
        double p_wait, sl, asa;
    } want[] = {{11, 0.682118, 0.389614, 122.7813},
                {12, 0.449388, 0.640158, 40.4449},
                {13, 0.285270, 0.795595, 17.1162},
                {14, 0.174132, 0.888350, 7.8359},
                {15, 0.102042, 0.941453, 3.6735}};
    struct staff_result r;
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_int_equal(staff_model(&textbook, want[i].n, &r), 0);
        assert_true(r.stable);
        assert_true(fabs(r.traffic - 10) < 1e-12);
        if (fabs(r.p_wait - want[i].p_wait) > 1e-6 || fabs(r.service_level - want[i].sl) > 1e-6 ||
            fabs(r.asa_s - want[i].asa) > 1e-4)
            fail_msg("%d agents: wait %.6f sl %.6f asa %.4f", want[i].n, r.p_wait, r.service_level, r.asa_s);
        assert_true(fabs(r.occupancy - 10.0 / want[i].n) < 1e-12);
    }
    assert_int_equal(staff_model(&textbook, 10, &r), 0);
    assert_false(r.stable); /* as many erlangs as agents: the queue grows */
    assert_true(r.service_level == 0 && r.p_wait == 1);

    assert_int_equal(staff_needed(&textbook, &r), 0);
    assert_int_equal(r.agents, 14);
    assert_int_equal(r.rostered, 14);
    struct staff_in shrunk = textbook;
    shrunk.shrinkage = 0.3;
    assert_int_equal(staff_needed(&shrunk, &r), 0);
    assert_int_equal(r.agents, 14);
    assert_int_equal(r.rostered, 20);
    /* an occupancy cap of 70 % needs 10 / 0.7 -> 15 agents */
    struct staff_in capped = textbook;
    capped.max_occupancy = 0.7;
    assert_int_equal(staff_needed(&capped, &r), 0);
    assert_int_equal(r.agents, 15);
}

/* M/M/n+M by events: arrivals (rate lambda), each busy agent finishing at
 * rate mu, each waiting caller giving up at rate theta (memoryless: the one
 * who gives up is any of those waiting, equally likely). */
struct sim {
    double served_within, served, abandoned, wait_served;
};

static double expo(unsigned *seed, double rate)
{
    double u = (rand_r(seed) + 1.0) / ((double)RAND_MAX + 2.0);
    return -log(u) / rate;
}

static void simulate(const struct staff_in *in, int n, long arrivals, struct sim *out)
{
    unsigned seed = 20261207;
    double lambda = in->calls / in->interval_s, mu = 1 / in->aht_s, theta = 1 / in->patience_s, now = 0;
    double *queue = malloc(100000 * sizeof(*queue)); /* arrival times, oldest first */
    int q = 0, busy = 0;
    long arrived = 0, warmup = arrivals / 20;
    memset(out, 0, sizeof(*out));
    assert_non_null(queue);
    while (arrived < arrivals + warmup) {
        double total = lambda + busy * mu + q * theta;
        now += expo(&seed, total);
        double u = rand_r(&seed) / ((double)RAND_MAX + 1.0) * total;
        bool count = arrived > warmup;
        if (u < lambda) {
            arrived++;
            if (busy < n) {
                busy++;
                if (arrived > warmup) {
                    out->served++;
                    out->served_within++;
                }
            } else {
                assert_true(q < 100000);
                queue[q++] = arrived > warmup ? now : -1;
            }
        } else if (u < lambda + busy * mu) {
            if (q) { /* the agent takes the head of the queue */
                double at = queue[0];
                memmove(queue, queue + 1, (size_t)(q - 1) * sizeof(*queue));
                q--;
                if (at >= 0) {
                    out->served++;
                    out->wait_served += now - at;
                    out->served_within += now - at <= in->target_s;
                }
            } else {
                busy--;
            }
        } else {
            int i = (int)(rand_r(&seed) / ((double)RAND_MAX + 1.0) * q);
            if (queue[i] >= 0)
                out->abandoned++;
            memmove(queue + i, queue + i + 1, (size_t)(q - 1 - i) * sizeof(*queue));
            q--;
        }
        (void)count;
    }
    free(queue);
}

static void erlang_a_against_simulation(void **state)
{
    (void)state;
    /* short-staffed and impatient: 9 agents for 10 erlangs, 60 s of
     * patience; then staffed, 2 minutes of patience */
    static const struct {
        int n;
        double patience;
    } cases[] = {{9, 60}, {12, 120}, {14, 300}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct staff_in in = textbook;
        in.patience_s = cases[i].patience;
        struct staff_result r;
        struct sim s;
        assert_int_equal(staff_model(&in, cases[i].n, &r), 0);
        simulate(&in, cases[i].n, 400000, &s);
        double total = s.served + s.abandoned, sl = s.served_within / total, ab = s.abandoned / total,
               asa = s.wait_served / s.served;
        print_message("n=%d patience=%.0f: model sl %.4f ab %.4f asa %.2f | simulated sl %.4f ab %.4f asa %.2f\n", cases[i].n,
                      cases[i].patience, r.service_level, r.abandon, r.asa_s, sl, ab, asa);
        if (fabs(r.service_level - sl) > 0.01 || fabs(r.abandon - ab) > 0.01 || fabs(r.asa_s - asa) > 0.05 * asa + 0.5)
            fail_msg("Erlang A disagrees with the simulation for n=%d", cases[i].n);
        assert_true(r.abandon > 0 && r.stable);
    }
}

static void erlang_a_tends_to_erlang_c(void **state)
{
    (void)state;
    struct staff_in in = textbook;
    in.patience_s = 86400; /* a day of patience: nobody gives up in practice */
    struct staff_result a, c;
    for (int n = 11; n <= 16; n++) {
        assert_int_equal(staff_model(&in, n, &a), 0);
        assert_int_equal(staff_model(&textbook, n, &c), 0);
        if (fabs(a.service_level - c.service_level) > 0.01 || fabs(a.p_wait - c.p_wait) > 0.01 || a.abandon > 0.01)
            fail_msg("n=%d: A sl %.4f wait %.4f ab %.4f vs C sl %.4f wait %.4f", n, a.service_level, a.p_wait, a.abandon,
                     c.service_level, c.p_wait);
    }
    /* patience lets fewer agents reach the target: those who would wait longest leave */
    struct staff_in impatient = textbook;
    impatient.patience_s = 60;
    assert_int_equal(staff_needed(&impatient, &a), 0);
    assert_int_equal(staff_needed(&textbook, &c), 0);
    assert_true(a.agents <= c.agents);
    assert_true(a.service_level >= 0.8);
}

static void large_centres_stay_finite(void **state)
{
    (void)state;
    /* 36,000 calls an hour of 5 minutes: 3,000 erlangs */
    struct staff_in big = {
        .calls = 36000, .interval_s = 3600, .aht_s = 300, .target_s = 20, .sl_target = 0.8, .max_occupancy = 1, .max_abandon = 1};
    struct staff_result r;
    assert_int_equal(staff_needed(&big, &r), 0);
    assert_true(r.agents > 3000 && r.agents < 3100);
    assert_true(isfinite(r.asa_s) && r.service_level >= 0.8 && r.service_level < 1);
    int erlang_c_agents = r.agents;
    big.patience_s = 120;
    assert_int_equal(staff_needed(&big, &r), 0);
    /* the target alone is "reached" by letting one caller in eight hang up
     * with every agent busy all the time ... */
    assert_true(r.agents < 2700 && r.abandon > 0.1 && r.occupancy > 0.99 && r.service_level >= 0.8);
    /* ... which a cap on abandons (or on occupancy) forbids */
    big.max_abandon = 0.02;
    assert_int_equal(staff_needed(&big, &r), 0);
    assert_true(r.agents > 2900 && r.agents <= erlang_c_agents && r.abandon <= 0.02);
    assert_true(isfinite(r.asa_s) && r.service_level >= 0.8);
    big.max_abandon = 1;
    big.max_occupancy = 0.9;
    assert_int_equal(staff_needed(&big, &r), 0);
    assert_true(r.occupancy <= 0.9 && r.agents > 3000);
    /* badly overloaded: half the agents needed, callers give up a lot */
    assert_int_equal(staff_model(&big, 1500, &r), 0);
    assert_true(r.abandon > 0.45 && r.abandon < 0.55 && r.occupancy > 0.99);
}

static void bad_input_is_named(void **state)
{
    (void)state;
    struct staff_result r;
    struct staff_in in = textbook;
    in.sl_target = 1;
    assert_int_equal(staff_needed(&in, &r), WASL_EINVAL);
    assert_string_equal(err_field(), "sl");
    in = textbook;
    in.aht_s = NAN;
    assert_int_equal(staff_needed(&in, &r), WASL_EINVAL);
    assert_string_equal(err_field(), "aht");
    in = textbook;
    in.max_abandon = 0;
    assert_int_equal(staff_needed(&in, &r), WASL_EINVAL);
    assert_string_equal(err_field(), "abandon");
    in = textbook;
    in.calls = 1e7; /* 1e7 calls of 180 s in 30 min: a million erlangs */
    assert_int_equal(staff_needed(&in, &r), WASL_EINVAL);
    assert_int_equal(staff_model(&textbook, 0, &r), WASL_EINVAL);
    in = textbook;
    in.calls = 0;
    assert_int_equal(staff_needed(&in, &r), 0);
    assert_int_equal(r.agents, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(erlang_c_textbook),          cmocka_unit_test(erlang_a_against_simulation),
        cmocka_unit_test(erlang_a_tends_to_erlang_c), cmocka_unit_test(large_centres_stay_finite),
        cmocka_unit_test(bad_input_is_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
