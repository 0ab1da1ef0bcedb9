/*
 * The simulator (src/sim) with the real distributor: on one queue it finds
 * what Erlang C and Erlang A compute (service level within two points,
 * abandons within one); on two language queues it answers what they
 * cannot - the service level as monolingual agents are replaced by
 * bilingual ones, from two separate Erlang C queues to one pooled queue;
 * the same seed gives the same day; shifts are kept; bad data files are
 * refused naming the field.
 */
#include <math.h>

#include <jansson.h>

#include "test.h"
#include "sim/sim.h"
#include "staff/staff.h"

/* One queue all day long: `calls` a half-hour from 00:00 to 20:00, agents
 * all day (so every caller is served before they leave). */
static void one_queue(struct sim_in *in, double calls, double aht, double patience, int agents, int days)
{
    sim_defaults(in);
    in->nlangs = 1;
    snprintf(in->lang[0], sizeof(in->lang[0]), "fr");
    for (int s = 0; s < 40; s++)
        in->calls[0][s] = calls;
    in->aht_s[0] = aht;
    in->patience_s[0] = patience;
    in->groups[0] = (struct sim_group){.name = "fr", .count = agents, .langs = {0}, .nlangs = 1, .from_s = 0, .to_s = 86400};
    in->ngroups = 1;
    in->days = days;
    in->seed = 20261207;
}

/* One queue, 100 calls a half-hour of 180 s: the simulated service level
 * within 2 points of the formula, abandons within 1 (Erlang A), the
 * average wait within a quarter (Erlang C: callers who wait long are rare). */
static void single_queue(void **state)
{
    static const struct {
        double patience;
        int agents;
    } cases[] = {{0, 12}, {0, 13}, {0, 14}, {0, 15}, {120, 9}, {120, 11}, {120, 13}};
    (void)state;
    struct sim_in in;
    struct sim_result *r = malloc(sizeof(*r));
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct staff_in q;
        struct staff_result want;
        staff_defaults(&q);
        q.calls = 100;
        q.patience_s = cases[i].patience;
        one_queue(&in, 100, 180, cases[i].patience, cases[i].agents, 30);
        assert_int_equal(sim_run(&in, r), 0);
        assert_int_equal(staff_model(&q, cases[i].agents, &want), 0);
        double sl = sim_service_level(&r->total), ab = sim_abandon_rate(&r->total);
        print_message("Erlang %c, %d agents: simulated SL %.4f abandon %.4f; formula %.4f %.4f (%lld calls)\n",
                      cases[i].patience > 0 ? 'A' : 'C', cases[i].agents, sl, ab, want.service_level, want.abandon,
                      r->total.offered);
        assert_true(r->total.offered > 100000);
        assert_int_equal(r->total.unserved, 0);
        assert_true(fabs(sl - want.service_level) < 0.02);
        assert_true(fabs(ab - want.abandon) < 0.01);
        if (cases[i].patience == 0) {
            assert_int_equal(r->total.abandoned, 0);
            assert_true(fabs(sim_asa_s(&r->total) - want.asa_s) < 0.25 * want.asa_s + 1);
        }
    }
    free(r);
}

/* nl and de, 20 calls a half-hour each of 300 s (3.3 erlangs each), ten
 * agents: `bilingual` of them take both, the others half and half. */
static double two_queues(int bilingual, struct sim_result *r)
{
    struct sim_in in;
    sim_defaults(&in);
    in.nlangs = 2;
    snprintf(in.lang[0], sizeof(in.lang[0]), "nl");
    snprintf(in.lang[1], sizeof(in.lang[1]), "de");
    for (int l = 0; l < 2; l++) {
        for (int s = 0; s < 40; s++)
            in.calls[l][s] = 20;
        in.aht_s[l] = 300;
    }
    int mono = (10 - bilingual) / 2;
    in.groups[0] = (struct sim_group){.name = "nl", .count = mono, .langs = {0}, .nlangs = 1, .to_s = 86400};
    in.groups[1] = (struct sim_group){.name = "de", .count = mono, .langs = {1}, .nlangs = 1, .to_s = 86400};
    in.groups[2] = (struct sim_group){.name = "nl+de", .count = bilingual, .langs = {0, 1}, .nlangs = 2, .to_s = 86400};
    in.ngroups = 3;
    in.days = 20;
    in.seed = 7;
    assert_int_equal(sim_run(&in, r), 0);
    assert_int_equal(r->total.unserved, 0);
    return sim_service_level(&r->total);
}

static void bilingual_agents(void **state)
{
    (void)state;
    struct sim_result *r = malloc(sizeof(*r));
    struct staff_in q;
    struct staff_result separate, pooled;
    staff_defaults(&q);
    q.aht_s = 300;
    q.calls = 20;
    assert_int_equal(staff_model(&q, 5, &separate), 0);
    q.calls = 40;
    assert_int_equal(staff_model(&q, 10, &pooled), 0);
    double prev = 0;
    for (int b = 0; b <= 10; b += 2) {
        double sl = two_queues(b, r);
        print_message("%2d bilingual of 10: service level %.4f (nl %.4f, de %.4f)\n", b, sl, sim_service_level(&r->lang[0]),
                      sim_service_level(&r->lang[1]));
        if (b == 0) /* two separate queues of 5: Erlang C for each */
            assert_true(fabs(sl - separate.service_level) < 0.02);
        if (b == 10) /* one pooled queue of 10 */
            assert_true(fabs(sl - pooled.service_level) < 0.02);
        assert_true(sl > prev - 0.005); /* more bilingual agents never hurt here */
        prev = sl;
    }
    /* the formulas bound the answer but say nothing of the mix in between:
     * four bilingual agents of ten give most of the pooling's gain */
    assert_true(pooled.service_level - separate.service_level > 0.1);
    assert_true(two_queues(4, r) > separate.service_level + 0.66 * (pooled.service_level - separate.service_level));
    free(r);
}

static void same_seed_same_day(void **state)
{
    (void)state;
    struct sim_in in;
    struct sim_result *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
    one_queue(&in, 50, 200, 90, 6, 1);
    assert_int_equal(sim_run(&in, a), 0);
    assert_int_equal(sim_run(&in, b), 0);
    assert_memory_equal(&a->total, &b->total, sizeof(a->total));
    in.seed++;
    assert_int_equal(sim_run(&in, b), 0);
    assert_true(a->total.offered != b->total.offered || a->total.answered_within != b->total.answered_within);
    /* a day without a call (found by tests/fuzz/fuzz_sim.c: the end of the
     * day read a call that never was) */
    memset(in.calls, 0, sizeof(in.calls));
    assert_int_equal(sim_run(&in, b), 0);
    assert_int_equal(b->total.offered + b->total.unserved, 0);
    free(a);
    free(b);
}

static void shifts(void **state)
{
    (void)state;
    struct sim_in in;
    struct sim_result *r = malloc(sizeof(*r));
    one_queue(&in, 30, 120, 0, 4, 1);
    for (int s = 0; s < 14; s++) /* calls from 07:00 */
        in.calls[0][s] = 0;
    /* agents from 08:00 to 12:00 only: the first callers wait for them,
     * the afternoon's are never served */
    in.groups[0].from_s = 8 * 3600;
    in.groups[0].to_s = 12 * 3600;
    assert_int_equal(sim_run(&in, r), 0);
    assert_true(r->total.unserved > 100);
    assert_int_equal(r->slot[0][13].offered, 0);
    assert_int_equal(r->slot[0][14].answered_within, 0); /* 07:00: waited until 08:00 */
    assert_true(r->slot[0][14].answered > 0);
    assert_true(r->slot[0][20].answered_within > 0); /* 10:00 */
    assert_int_equal(r->slot[0][30].answered, 0);    /* 15:00 */
    assert_true(fabs(r->logged_s - 4 * 4 * 3600) < 1e-6);
    free(r);
}

static void data_files(void **state)
{
    (void)state;
    static const struct {
        const char *json, *field;
    } bad[] = {
        {"[]", "file"},
        {"{\"languages\": {\"fr\": {\"calls\": [1], \"aht_s\": 100}}, \"agents\": [], \"colour\": 1}", "colour"},
        {"{\"languages\": {\"fr\": {\"calls\": [-1], \"aht_s\": 100}}, \"agents\": []}", "calls"},
        {"{\"languages\": {\"fr\": {\"calls\": [1], \"aht_s\": 100, \"start\": \"23:45\"}}, \"agents\": []}", "calls"},
        {"{\"languages\": {\"fr\": {\"calls\": [1], \"aht_s\": 100}}, \"agents\": [{\"count\": 2, \"languages\": [\"de\"]}]}",
         "languages"},
        {"{\"languages\": {\"fr\": {\"calls\": [1], \"aht_s\": 100}}, \"agents\": [{\"count\": 2, \"languages\": [\"fr\"], "
         "\"shift\": [\"16:00\", \"08:00\"]}]}",
         "shift"},
        {"{\"languages\": {\"fr\": {\"calls\": [1], \"aht_s\": 100}}, \"agents\": [], \"strategy\": \"fastest\"}", "strategy"},
        {"{\"languages\": {\"fr\": {\"calls\": [1], \"aht_s\": 100}}, \"agents\": [], \"days\": 0}", "days"},
    };
    struct sim_in in;
    char day[16];
    int weeks;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *j = json_loads(bad[i].json, 0, NULL);
        assert_non_null(j);
        err_clear();
        int err = sim_in_from_json(j, &in, day, &weeks);
        if (err != WASL_EINVAL || strcmp(err_field(), bad[i].field))
            fail_msg("%s: %d %s (want %s)", bad[i].json, err, err_field(), bad[i].field);
        json_decref(j);
    }
    /* a good one, run; the check refuses an aht_s not above the wrap-up */
    json_t *j = json_loads("{\"start\": \"08:00\", \"wrap_s\": 30, \"languages\": {\"fr\": {\"calls\": [10, 12], \"aht_s\": 200},"
                           " \"ar\": {\"calls\": [3], \"aht_s\": 20}}, \"agents\": [{\"count\": 3, \"languages\": [\"fr\", \"ar\"],"
                           " \"shift\": [\"08:00\", \"10:00\"]}]}",
                           0, NULL);
    assert_int_equal(sim_in_from_json(j, &in, day, &weeks), 0);
    assert_true(in.calls[0][16] == 10 && in.calls[0][17] == 12 && in.calls[1][16] == 3);
    assert_int_equal(in.groups[0].nlangs, 2);
    struct sim_result *r = malloc(sizeof(*r));
    assert_int_equal(sim_run(&in, r), WASL_EINVAL);
    assert_string_equal(err_field(), "aht_s");
    in.aht_s[1] = 60;
    assert_int_equal(sim_run(&in, r), 0);
    json_t *out = sim_result_json(&in, r);
    assert_non_null(out);
    assert_int_equal(json_array_size(json_object_get(out, "languages")), 2);
    json_decref(out);
    json_decref(j);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(single_queue), cmocka_unit_test(bilingual_agents), cmocka_unit_test(same_seed_same_day),
        cmocka_unit_test(shifts),       cmocka_unit_test(data_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
