/*
 * Goal expressions of coaching sessions, row by row: what parses (metric,
 * comparison, number, the metric's own unit, spaces optional, ≤ and ≥) and
 * what is refused with coach.invalid_goal and a message saying what was
 * expected; and the comparison on the figure as shown (a tenth).
 */
#include <string.h>

#include "test.h"
#include "coach/coach.h"

static void test_parse_good(void **state)
{
    static const struct {
        const char *in;
        enum coach_metric m;
        enum coach_op op;
        double target;
    } rows[] = {
        {"aht < 300", CM_AHT, CO_LT, 300},
        {"aht<=300 s", CM_AHT, CO_LE, 300},
        {"  aht <= 300s  ", CM_AHT, CO_LE, 300},
        {"review >= 80 %", CM_REVIEW, CO_GE, 80},
        {"review \xe2\x89\xa5 80%", CM_REVIEW, CO_GE, 80},
        {"csat > 4.5", CM_CSAT, CO_GT, 4.5},
        {"rna <= 2 /week", CM_RNA, CO_LE, 2},
        {"rna \xe2\x89\xa4 2/w", CM_RNA, CO_LE, 2},
        {"rna <= 0", CM_RNA, CO_LE, 0},
        {"review >= 100", CM_REVIEW, CO_GE, 100},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct coach_goal g;
        if (coach_goal_parse(rows[i].in, strlen(rows[i].in), &g))
            fail_msg("'%s' refused: %s", rows[i].in, err_message());
        assert_int_equal(g.metric, rows[i].m);
        assert_int_equal(g.op, rows[i].op);
        assert_true(g.target == rows[i].target);
    }
}

static void test_parse_refused(void **state)
{
    static const struct {
        const char *in, *says;
    } rows[] = {
        {"", "starts with"},
        {"speed < 3", "starts with"},
        {"ahtx < 3", "starts with"},
        {"aht = 300", "comparison"},
        {"aht << 300", "number"},
        {"aht < ", "number"},
        {"aht < abc", "number"},
        {"aht < 3.", "number"},
        {"aht < .5", "number"},
        {"aht < 1.234", "number"},
        {"aht < 1.2.3", "number"},
        {"aht < -5", "number"},
        {"aht < 1e3", "followed by nothing"},
        {"review >= 100.5", "between 0 and 100"},
        {"csat >= 6", "between 0 and 5"},
        {"aht < 300 %", "followed by nothing"},
        {"csat >= 4 s", "followed by nothing"},
        {"aht < 300 s and more", "followed by nothing"},
        {"aht < 1234567890123456789", "number"},
        {"aht < 300 s                                                                  ", "at most"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct coach_goal g = {CM_CSAT, CO_GE, -1};
        if (!coach_goal_parse(rows[i].in, strlen(rows[i].in), &g))
            fail_msg("'%s' accepted", rows[i].in);
        assert_string_equal(err_code(), "coach.invalid_goal");
        if (!strstr(err_message(), rows[i].says))
            fail_msg("'%s': '%s' does not say '%s'", rows[i].in, err_message(), rows[i].says);
        assert_true(g.target == -1); /* out untouched */
        err_clear();
    }
    /* bytes after a NUL inside the length are not ignored */
    struct coach_goal g;
    assert_int_not_equal(coach_goal_parse("aht < 3\0x", 9, &g), 0);
    err_clear();
}

static void test_met(void **state)
{
    struct coach_goal le = {CM_AHT, CO_LE, 300}, lt = {CM_AHT, CO_LT, 300}, ge = {CM_REVIEW, CO_GE, 80}, gt = {CM_CSAT, CO_GT, 4};
    assert_true(coach_goal_met(&le, 300));
    assert_true(coach_goal_met(&le, 300.04)); /* shown as 300.0 */
    assert_false(coach_goal_met(&le, 300.06));
    assert_false(coach_goal_met(&lt, 300));
    assert_true(coach_goal_met(&lt, 299.9));
    assert_true(coach_goal_met(&ge, 80));
    assert_false(coach_goal_met(&ge, 79.9));
    assert_false(coach_goal_met(&gt, 4));
    assert_true(coach_goal_met(&gt, 4.1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_good),
        cmocka_unit_test(test_parse_refused),
        cmocka_unit_test(test_met),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
