/*
 * Overload control's pure part (src/tel/overload.c): delay samples in,
 * admission state and a verdict per new call out; the hysteresis that keeps
 * it from flapping; the rate guard; RFC 7339's oc parameters in a Via.
 */
#include <math.h>

#include "test.h"
#include "tel/tel_int.h"

#define MS 1000LL
#define TARGET (20 * MS)

/* One window of n requests that each waited `wait`, then the window closed. */
static void window(struct ovl *o, int64_t *now, int64_t wait, int n)
{
    for (int i = 0; i < n; i++)
        ovl_sojourn(o, *now + i, wait);
    *now += OVL_WINDOW_US;
    ovl_step(o, *now);
}

/* How many of n new calls, arriving 1 ms apart, are admitted. */
static int admitted(struct ovl *o, int64_t *now, int n, enum ovl_verdict *last)
{
    int k = 0;
    for (int i = 0; i < n; i++) {
        enum ovl_verdict v = ovl_admit(o, *now);
        k += v == OVL_ADMIT;
        if (last && v != OVL_ADMIT)
            *last = v;
        *now += MS;
    }
    return k;
}

/* A table of windows (the least wait in each) and the state after each. */
static void windows_to_state(void **state)
{
    (void)state;
    static const struct {
        const char *what;
        int64_t wait; /* every request of the window waited this */
        int n;        /* requests in the window */
        bool overloaded;
        double admit;
    } steps[] = {
        {"quiet", 1 * MS, 50, false, 1},
        {"a queue under the threshold", 19 * MS, 50, false, 1},
        {"too few requests to judge", 500 * MS, OVL_MIN_SAMPLES - 1, false, 1},
        {"a standing queue: shed a quarter", 30 * MS, 50, true, 0.75},
        {"still growing: another quarter", 40 * MS, 50, true, 0.5625},
        {"draining already (-25 %): no further cut", 30 * MS, 50, true, 0.5625},
        {"between the thresholds: hold", 15 * MS, 50, true, 0.5625},
        {"calm: admit 5 % more", 5 * MS, 50, true, 0.6125},
        {"calm again", 5 * MS, 50, true, 0.6625},
        {"over again: cut", 25 * MS, 50, true, 0.496875},
    };
    struct ovl o;
    int64_t now = 1000 * MS;
    ovl_init(&o, TARGET, 0, now);
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        window(&o, &now, steps[i].wait, steps[i].n);
        if (o.overloaded != steps[i].overloaded || fabs(o.admit - steps[i].admit) > 1e-9)
            fail_msg("%s: overloaded %d admit %.6f, want %d %.6f", steps[i].what, o.overloaded, o.admit, steps[i].overloaded,
                     steps[i].admit);
    }
    assert_int_equal(o.episodes, 1);
}

/* A burst that drains within the window is not a standing queue; the
 * least wait of the window is what counts. */
static void burst_that_drains_is_not_overload(void **state)
{
    (void)state;
    struct ovl o;
    int64_t now = 0;
    ovl_init(&o, TARGET, 0, now);
    for (int i = 0; i < 40; i++)
        ovl_sojourn(&o, now + i, (40 - i) * 5 * MS); /* 200 ms down to 5 ms */
    now += OVL_WINDOW_US;
    ovl_step(&o, now);
    assert_false(o.overloaded);
    assert_int_equal(o.signal, 5 * MS);
}

/* The SIP thread working nearly all the time sheds new calls even when
 * no queue stands yet (a real-time thread busy all the time is stopped by
 * the kernel's RT throttling); the overload ends once it works less than
 * nine tenths of the limit, and never with the guard off. */
static void busy_thread(void **state)
{
    (void)state;
    struct ovl o;
    int64_t now = 0;
    ovl_init(&o, TARGET, 0, now);
    ovl_set_busy_max(&o, 900);
    for (int i = 0; i < OVL_MIN_SAMPLES; i++)
        ovl_sojourn(&o, now + i, 1 * MS); /* no queue */
    ovl_busy(&o, now, 95 * MS);           /* 95 ms of CPU in a 100 ms window */
    now += OVL_WINDOW_US;
    ovl_step(&o, now);
    assert_true(o.overloaded);
    assert_int_equal(o.busy, 950);
    assert_true(o.admit < 1);
    double cut = o.admit;
    /* 85 %: under the limit, not under nine tenths of it: held */
    ovl_busy(&o, now, 85 * MS);
    now += OVL_WINDOW_US;
    ovl_step(&o, now);
    assert_true(o.overloaded);
    assert_true(fabs(o.admit - cut) < 1e-9);
    /* 50 %: calm, admitted more */
    ovl_busy(&o, now, 50 * MS);
    now += OVL_WINDOW_US;
    ovl_step(&o, now);
    assert_true(o.admit > cut);
    /* the guard off: the same work is no overload */
    ovl_init(&o, TARGET, 0, now);
    ovl_set_busy_max(&o, 0);
    ovl_busy(&o, now, 100 * MS);
    now += OVL_WINDOW_US;
    ovl_step(&o, now);
    assert_false(o.overloaded);
    assert_int_equal(o.busy, -1);
    /* the delay guard off, the busy one on: it ends all the same */
    ovl_init(&o, 0, 0, now);
    ovl_set_busy_max(&o, 900);
    ovl_busy(&o, now, 99 * MS);
    now += OVL_WINDOW_US;
    ovl_step(&o, now);
    assert_true(o.overloaded);
    for (int i = 0; i < 40 && o.overloaded; i++) {
        ovl_busy(&o, now, 10 * MS);
        now += OVL_WINDOW_US;
        ovl_step(&o, now);
    }
    assert_false(o.overloaded);
}

/* The ticker running late counts as much as the requests' queue. */
static void loop_lag_alone(void **state)
{
    (void)state;
    struct ovl o;
    int64_t now = 0;
    ovl_init(&o, TARGET, 0, now);
    for (int i = 0; i < OVL_MIN_LAGS; i++)
        ovl_lag(&o, now + i * 20 * MS, 25 * MS);
    now += OVL_WINDOW_US;
    ovl_step(&o, now);
    assert_true(o.overloaded);
    assert_int_equal(o.lag, 25 * MS);
}

/* The share admitted is exact (no randomness): 3 in 4, then 9 in 16. */
static void admits_the_share(void **state)
{
    (void)state;
    struct ovl o;
    int64_t now = 0;
    ovl_init(&o, TARGET, 0, now);
    assert_int_equal(admitted(&o, &now, 100, NULL), 100);
    window(&o, &now, 50 * MS, 20);
    enum ovl_verdict why = OVL_ADMIT;
    /* within one window: no step in between */
    struct ovl copy = o;
    int64_t t = now;
    int k = 0;
    for (int i = 0; i < 80; i++)
        k += ovl_admit(&copy, t) == OVL_ADMIT;
    assert_int_equal(k, 60);
    (void)admitted(&o, &now, 10, &why);
    assert_int_equal(why, OVL_REFUSE_DELAY);
    assert_int_equal(ovl_oc(&o), 25);
}

/* No flapping: the overload ends only after every call is admitted again
 * and a second of calm; one bad window meanwhile starts the calm again. */
static void hysteresis(void **state)
{
    (void)state;
    struct ovl o;
    int64_t now = 0;
    ovl_init(&o, TARGET, 0, now);
    window(&o, &now, 100 * MS, 20);
    assert_true(o.overloaded);
    int calm = 0;
    while (o.admit < 1) {
        window(&o, &now, 0, 20);
        calm++;
        assert_true(o.overloaded);
    }
    assert_int_equal(calm, 5); /* 0.75 + 5 x 0.05 */
    /* a bad window: cut, and the calm starts over */
    window(&o, &now, 30 * MS, 20);
    assert_true(o.admit < 1);
    int64_t bad = now;
    while (o.overloaded) {
        window(&o, &now, 0, 20);
        assert_true(now - bad < OVL_CALM_US + 10 * OVL_WINDOW_US);
    }
    assert_true(now - bad > OVL_CALM_US);
    assert_true(o.admit >= 1);
    /* quiet windows with no request at all end it as well */
    window(&o, &now, 100 * MS, 20);
    assert_true(o.overloaded);
    for (int i = 0; i < 40 && o.overloaded; i++)
        window(&o, &now, 0, 0);
    assert_false(o.overloaded);
    assert_int_equal(o.episodes, 2);
}

/* sip.overload_delay_ms = 0: the delay guard never sheds. */
static void delay_guard_off(void **state)
{
    (void)state;
    struct ovl o;
    int64_t now = 0;
    ovl_init(&o, 0, 0, now);
    window(&o, &now, 5000 * MS, 100);
    assert_false(o.overloaded);
    assert_int_equal(admitted(&o, &now, 50, NULL), 50);
}

/* sip.admit_rate: N calls a second, a burst of a tenth of a second. */
static void rate_guard(void **state)
{
    (void)state;
    static const struct {
        int rate, offered_per_s, seconds, want_min, want_max;
    } t[] = {
        {10, 100, 2, 20, 21},     /* depth 1: the first, then one each 100 ms */
        {100, 1000, 1, 100, 110}, /* depth 10 */
        {100, 50, 2, 100, 100},   /* under the rate: all */
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        struct ovl o;
        int64_t now = 0;
        ovl_init(&o, TARGET, t[i].rate, now);
        int n = t[i].offered_per_s * t[i].seconds, k = 0;
        enum ovl_verdict why = OVL_ADMIT;
        for (int j = 0; j < n; j++) {
            enum ovl_verdict v = ovl_admit(&o, now);
            k += v == OVL_ADMIT;
            if (v != OVL_ADMIT)
                why = v;
            now += 1000000 / t[i].offered_per_s;
        }
        if (k < t[i].want_min || k > t[i].want_max)
            fail_msg("rate %d, %d/s offered: %d admitted, want %d-%d", t[i].rate, t[i].offered_per_s, k, t[i].want_min,
                     t[i].want_max);
        assert_int_equal(why, k < n ? OVL_REFUSE_RATE : OVL_ADMIT);
        assert_false(o.overloaded); /* the rate guard is not an overload */
    }
}

static void via_oc(void **state)
{
    (void)state;
    static const struct {
        const char *via;
        bool has;
    } t[] = {
        {"SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;oc", true},
        {"SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;OC;oc-algo=\"loss,A\"", true},
        {"SIP/2.0/UDP 10.0.0.1:5060;oc=20;branch=z9hG4bK1", true},
        {"SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;oc-algo=\"loss\"", false},
        {"SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKoc;rport", false},
        {"SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1, SIP/2.0/UDP 10.0.0.2;oc", false}, /* only the first counts */
        {"SIP/2.0/UDP oc.example.net;branch=z9hG4bK1", false},
        {"", false},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (ovl_via_has_oc(t[i].via, strlen(t[i].via)) != t[i].has)
            fail_msg("%s: want %d", t[i].via, t[i].has);

    static const struct {
        const char *via, *want;
        bool rport;
    } r[] = {
        {"SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;oc;oc-algo=\"loss,A\"",
         "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;oc=30;oc-algo=\"loss\";oc-validity=1000;oc-seq=1700000000.123", false},
        {"SIP/2.0/UDP 10.0.0.1:5060;rport;oc;branch=z9hG4bK1, SIP/2.0/TCP 10.0.0.9;branch=z9hG4bK2;oc",
         "SIP/2.0/UDP 10.0.0.1:5060;rport=5070;branch=z9hG4bK1;oc=30;oc-algo=\"loss\";oc-validity=1000;oc-seq=1700000000.123"
         ", SIP/2.0/TCP 10.0.0.9;branch=z9hG4bK2;oc",
         true},
        {"SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1;rport=5999;oc=10;oc-seq=1.0;oc-validity=5",
         "SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1;rport=5999;oc=30;oc-algo=\"loss\";oc-validity=1000;oc-seq=1700000000.123", false},
    };
    char out[512];
    for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
        bool rport = !r[i].rport;
        int n = ovl_via_reply(r[i].via, strlen(r[i].via), 30, 1000, "1700000000.123", 5070, &rport, out, sizeof(out));
        assert_int_equal(n, (int)strlen(r[i].want));
        assert_string_equal(out, r[i].want);
        assert_int_equal(rport, r[i].rport);
    }
    /* too small: refused, never cut */
    assert_int_equal(ovl_via_reply(r[0].via, strlen(r[0].via), 30, 1000, "1.0", 5070, NULL, out, 20), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(windows_to_state), cmocka_unit_test(burst_that_drains_is_not_overload),
        cmocka_unit_test(loop_lag_alone),   cmocka_unit_test(busy_thread),
        cmocka_unit_test(admits_the_share), cmocka_unit_test(hysteresis),
        cmocka_unit_test(delay_guard_off),  cmocka_unit_test(rate_guard),
        cmocka_unit_test(via_oc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
