/*
 * Naps (src/tel/nap.c): a thread woken soon after its last wake-up naps
 * until `us` after it, never past the tick and never for less than 50 µs;
 * a thread woken long after goes on at once; a real nap returns at its
 * deadline and is not itself taken for a wake-up; off, nothing sleeps.
 */
#include <time.h>

#include "test.h"
#include "tel/rt.h"

static void test_plan(void **state)
{
    (void)state;
    struct nap n = {.us = 500, .last_wake = 1000000};
    /* 100 µs after the last wake-up: until 500 µs after it */
    assert_int_equal(nap_plan(&n, 1000100, 1002000), 1000500);
    /* the tick comes first: until the tick */
    assert_int_equal(nap_plan(&n, 1000100, 1000300), 1000300);
    /* 470 µs after: 30 µs left, not worth a nap; this is the new wake-up */
    assert_int_equal(nap_plan(&n, 1000470, 1002000), 0);
    assert_int_equal(n.last_wake, 1000470);
    /* long after the last wake-up: no nap either */
    n.last_wake = 0;
    assert_int_equal(nap_plan(&n, 5000000, 5002000), 0);
    assert_int_equal(n.last_wake, 5000000);
    assert_int_equal(atomic_load(&n.wakes), 4);
    assert_int_equal(atomic_load(&n.naps), 0);
}

static void test_sleep_and_switches(void **state)
{
    (void)state;
    struct nap n = {.us = 2000};
    nap_slept(&n); /* the count as it is now */
    assert_false(nap_slept(&n));
    int64_t t0 = mono_us(), until = t0 + 2000;
    nap_sleep(&n, until);
    int64_t t1 = mono_us();
    assert_true(t1 >= until);
    assert_int_equal(n.last_wake, until);
    assert_int_equal(atomic_load(&n.naps), 1);
    /* the nap's own context switch is not a wait */
    assert_false(nap_slept(&n));
    /* a real wait is one */
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
    assert_true(nap_slept(&n));
}

static void test_tick_grid(void **state)
{
    (void)state;
    int64_t p = TICK_MS * 1000;
    assert_int_equal(tick_after(0), p);
    assert_int_equal(tick_after(p - 1), p);
    assert_int_equal(tick_after(p), 2 * p); /* strictly after */
    assert_int_equal(tick_after(7 * p + 3) % p, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan),
        cmocka_unit_test(test_sleep_and_switches),
        cmocka_unit_test(test_tick_grid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
