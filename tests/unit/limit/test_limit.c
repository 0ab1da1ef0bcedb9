/*
 * The limiter's decision (pure, so no store and no clock): windows, locks,
 * growing delays with their cap, and the in-memory table's eviction. Table-
 * driven: each row is a rule, a series of hits at given times, and what
 * each hit must give.
 */
#include "test.h"
#include "limit/limit.h"

#define S WTIME_SEC

struct step {
    int64_t at;           /* seconds */
    enum limit_verdict v; /* the verdict of a hit at `at` */
    int64_t wait;         /* seconds to wait right after it */
};

static const struct {
    const char *name;
    struct limit_rule r;
    struct step steps[12];
    int n;
} cases[] = {
    {"lock after 3, counting starts again after the lock",
     {.window = 60 * S, .lock_after = 3, .lock = 10 * S},
     {{0, LIMIT_OK, 0}, {1, LIMIT_OK, 0}, {2, LIMIT_LOCKED, 10}, {13, LIMIT_OK, 0}, {14, LIMIT_OK, 0}, {15, LIMIT_LOCKED, 10}},
     6},
    {"hits older than the window are forgotten",
     {.window = 60 * S, .lock_after = 3, .lock = 10 * S},
     {{0, LIMIT_OK, 0}, {1, LIMIT_OK, 0}, {62, LIMIT_OK, 0}, {63, LIMIT_OK, 0}, {64, LIMIT_LOCKED, 10}},
     5},
    {"delays double past the free hits, up to the cap",
     {.window = 600 * S, .free = 2, .delay = S, .delay_max = 8 * S},
     {{0, LIMIT_OK, 0},
      {1, LIMIT_OK, 0},
      {2, LIMIT_DELAYED, 1},
      {3, LIMIT_DELAYED, 2},
      {5, LIMIT_DELAYED, 4},
      {9, LIMIT_DELAYED, 8},
      {17, LIMIT_DELAYED, 8},
      {25, LIMIT_DELAYED, 8}},
     8},
    {"a delay rule never locks, however many hits",
     {.window = 6000 * S, .free = 0, .delay = S, .delay_max = 2 * S},
     {{0, LIMIT_DELAYED, 1}, {1, LIMIT_DELAYED, 2}, {3, LIMIT_DELAYED, 2}, {5, LIMIT_DELAYED, 2}, {7, LIMIT_DELAYED, 2}},
     5},
    {"the lock wins over the delay when both apply",
     {.window = 60 * S, .lock_after = 3, .lock = 100 * S, .free = 1, .delay = S, .delay_max = 4 * S},
     {{0, LIMIT_OK, 0}, {1, LIMIT_DELAYED, 1}, {2, LIMIT_LOCKED, 100}},
     3},
};

static void rules(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct limit_state s = {0};
        for (int k = 0; k < cases[i].n; k++) {
            const struct step *st = &cases[i].steps[k];
            int64_t now = 1000 * S + st->at * S;
            assert_int_equal(limit_wait(&s, now), 0); /* every step waits out the last */
            enum limit_verdict v = limit_hit(&cases[i].r, &s, now);
            if (v != st->v || limit_wait(&s, now) != st->wait * S)
                fail_msg("%s, hit %d at %llds: verdict %d wait %lldus, want %d and %llds", cases[i].name, k + 1, (long long)st->at,
                         v, (long long)limit_wait(&s, now), st->v, (long long)st->wait);
        }
    }
}

static void waits_and_seconds(void **state)
{
    struct limit_state s = {.until = 10 * S};
    (void)state;
    assert_int_equal(limit_wait(&s, 4 * S), 6 * S);
    assert_int_equal(limit_wait(&s, 10 * S), 0);
    assert_int_equal(limit_wait(&s, 11 * S), 0);
    assert_int_equal(limit_seconds(1), 1);
    assert_int_equal(limit_seconds(S), 1);
    assert_int_equal(limit_seconds(S + 1), 2);
    assert_int_equal(limit_seconds(0), 1);
    /* A huge delay cap is reached without overflowing. */
    struct limit_rule r = {.window = INT64_MAX / 4, .delay = S, .delay_max = INT64_MAX / 8};
    struct limit_state big = {0};
    for (int i = 0; i < 200; i++)
        limit_hit(&r, &big, 0);
    assert_int_equal(limit_wait(&big, 0), INT64_MAX / 8);
}

static void memory_table(void **state)
{
    struct limit_slot t[3];
    (void)state;
    memset(t, 0, sizeof(t));
    assert_null(limit_slot_get(t, 3, "a", false, 1));
    struct limit_slot *a = limit_slot_get(t, 3, "a", true, 1);
    a->st.hits = 7;
    limit_slot_get(t, 3, "b", true, 2);
    limit_slot_get(t, 3, "c", true, 3);
    assert_ptr_equal(limit_slot_get(t, 3, "a", false, 4), a); /* a is used again: b is now the oldest */
    limit_slot_get(t, 3, "d", true, 5);
    assert_null(limit_slot_get(t, 3, "b", false, 6));
    assert_int_equal(limit_slot_get(t, 3, "a", false, 7)->st.hits, 7);
    assert_int_equal(limit_slot_get(t, 3, "d", false, 8)->st.hits, 0);
    /* A key longer than a slot's is cut, consistently. */
    char longkey[200];
    memset(longkey, 'x', sizeof(longkey) - 1);
    longkey[sizeof(longkey) - 1] = '\0';
    struct limit_slot *l = limit_slot_get(t, 3, longkey, true, 9);
    assert_int_equal(strlen(l->key), LIMIT_KEY_MAX - 1);
    assert_ptr_equal(limit_slot_get(t, 3, longkey, false, 10), l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rules),
        cmocka_unit_test(waits_and_seconds),
        cmocka_unit_test(memory_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
