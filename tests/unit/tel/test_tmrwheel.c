/*
 * The timer wheel in front of libre's timer list (src/tel/tmrwheel.c): after
 * a tick, libre's list holds only what is due within the horizon, whatever
 * number of long timers there is; parked timers still fire on time, in
 * order; libre's own tmr_cancel and tmr_start work on a parked timer; the
 * far future waits in the overflow and comes back; a flush gives every
 * timer back in order.
 */
#include <unistd.h>

#include "test.h"
#include "tel/rt.h"

static void nop_h(void *arg)
{
}

/* libre's list of this thread, as tmrwheel finds it */
static struct list *libre_list(void)
{
    struct tmr probe;
    struct list *l;
    tmr_init(&probe);
    tmr_start(&probe, 1, nop_h, NULL);
    l = probe.le.list;
    tmr_cancel(&probe);
    return l;
}

static bool sorted(const struct list *l)
{
    uint64_t last = 0;
    for (struct le *le = l->head; le; le = le->next) {
        const struct tmr *t = le->data;
        if (t->jfs < last)
            return false;
        last = t->jfs;
    }
    return true;
}

static int setup(void **state)
{
    assert_int_equal(libre_init(), 0);
    assert_int_equal(tmrwheel_init(), 0);
    tmrwheel_tick(tmr_jiffies());
    return 0;
}

static int teardown(void **state)
{
    tmrwheel_flush();
    libre_close();
    return 0;
}

#define NLONG 20000
#define NSHORT 100

/* 20,000 transactions' 32 s timers and 100 short ones: after one tick
 * libre's list holds the 100 and a 500 ms timer started then is placed
 * after them; cancelling and restarting parked timers works; a flush
 * gives all back, sorted. */
static void test_long_timers_wait_outside(void **state)
{
    struct tmr *longt = calloc(NLONG, sizeof(*longt)), shortt[NSHORT], retrans;
    struct list *l = libre_list();
    assert_non_null(longt);
    memset(shortt, 0, sizeof(shortt));
    tmr_init(&retrans);
    for (size_t i = 0; i < NLONG; i++)
        tmr_start(&longt[i], 32000 + i % 977, nop_h, NULL);
    for (size_t i = 0; i < NSHORT; i++)
        tmr_start(&shortt[i], 100 + i, nop_h, NULL);
    assert_int_equal(list_count(l), NLONG + NSHORT);

    tmrwheel_tick(tmr_jiffies());
    assert_int_equal(list_count(l), NSHORT);
    assert_int_equal(tmrwheel_parked(), NLONG);

    tmr_start(&retrans, 500, nop_h, NULL);
    assert_ptr_equal(l->tail, &retrans.le);

    /* libre's cancel and restart on a parked timer */
    for (size_t i = 0; i < NLONG; i += 2)
        tmr_cancel(&longt[i]);
    assert_int_equal(tmrwheel_parked(), NLONG / 2);
    tmr_start(&longt[1], 50, nop_h, NULL);
    assert_ptr_equal(longt[1].le.list, l);
    assert_int_equal(tmrwheel_parked(), NLONG / 2 - 1);

    tmrwheel_flush();
    assert_int_equal(tmrwheel_parked(), 0);
    assert_int_equal(list_count(l), NSHORT + 1 + 1 + NLONG / 2 - 1);
    assert_true(sorted(l));
    for (size_t i = 0; i < NLONG; i++)
        tmr_cancel(&longt[i]);
    for (size_t i = 0; i < NSHORT; i++)
        tmr_cancel(&shortt[i]);
    tmr_cancel(&retrans);
    free(longt);
}

/* A timer due in 200 s waits in the overflow, comes back into libre's
 * list a quarter of a second before it is due, not before. The wheel is
 * driven with a clock of its own. */
static void test_far_timer_comes_back(void **state)
{
    struct tmr far;
    struct list *l = libre_list();
    uint64_t now = tmr_jiffies();
    tmr_init(&far);
    tmr_start(&far, 200000, nop_h, NULL);
    tmrwheel_tick(now);
    assert_ptr_not_equal(far.le.list, l);
    for (uint64_t t = now; t < far.jfs - 320; t += 20) {
        tmrwheel_tick(t);
        if (far.le.list == l)
            fail_msg("back %llu ms before it is due", (unsigned long long)(far.jfs - t));
    }
    tmrwheel_tick(far.jfs - 200);
    assert_ptr_equal(far.le.list, l);
    tmr_cancel(&far);
}

/* Two timers beyond the wheel's reach at once, through a half turn (when
 * the overflow is looked at): both stay parked, and the look ends. It
 * used to put a timer that stays back at the overflow's tail while
 * walking it, so with two of them the walk never ended (the SIP thread
 * hung in the SIP suite's tls group). A hang here ends the test by
 * SIGALRM. */
static void test_two_far_timers_do_not_hang(void **state)
{
    struct tmr far1, far2;
    struct list *l = libre_list();
    uint64_t now = tmr_jiffies();
    tmr_init(&far1);
    tmr_init(&far2);
    tmr_start(&far1, 300000, nop_h, NULL);
    tmr_start(&far2, 400000, nop_h, NULL);
    alarm(20);
    tmrwheel_tick(now);
    for (uint64_t t = now; t < now + 70000; t += 20) /* past a half turn: 1,024 slots of 64 ms */
        tmrwheel_tick(t);
    alarm(0);
    assert_ptr_not_equal(far1.le.list, l);
    assert_ptr_not_equal(far2.le.list, l);
    tmr_cancel(&far1);
    tmr_cancel(&far2);
}

/* In a real libre loop ticked every 5 ms, as the engine does: timers
 * parked for most of their life fire when they are due (within a few
 * ms), in the order of their times; a cancelled parked timer never fires
 * and a restarted one fires at its new time. */
struct firing {
    struct tmr t;
    uint64_t due, fired;
    int order;
};
static int fired_n;
static struct tmr ticker;
static uint64_t deadline;

static void fire_h(void *arg)
{
    struct firing *f = arg;
    f->fired = tmr_jiffies();
    f->order = fired_n++;
}

static void tick_h(void *arg)
{
    struct firing *fs = arg;
    tmrwheel_tick(tmr_jiffies());
    if ((fs[0].fired && fs[1].fired && fs[2].fired && fs[3].fired) || tmr_jiffies() > deadline) {
        re_cancel();
        return;
    }
    tmr_start(&ticker, 5, tick_h, arg);
}

static void test_parked_timers_fire_on_time(void **state)
{
    struct firing fs[5] = {0};
    const uint64_t delays[5] = {1400, 700, 1000, 400, 900};
    uint64_t t0 = tmr_jiffies();
    fired_n = 0;
    deadline = t0 + 10000; /* a timer left parked would never fire */
    for (int i = 0; i < 5; i++) {
        tmr_start(&fs[i].t, delays[i], fire_h, &fs[i]);
        fs[i].due = fs[i].t.jfs;
    }
    tmrwheel_tick(t0);
    assert_int_equal(tmrwheel_parked(), 5);
    tmr_cancel(&fs[4].t);                      /* never fires */
    tmr_start(&fs[2].t, 1200, fire_h, &fs[2]); /* later than first set */
    fs[2].due = fs[2].t.jfs;
    tmr_start(&ticker, 5, tick_h, fs);
    assert_int_equal(re_main(NULL), 0);
    tmr_cancel(&ticker);
    for (int i = 0; i < 4; i++) {
        assert_true(fs[i].fired >= fs[i].due);
        if (fs[i].fired > fs[i].due + 100)
            fail_msg("timer %d fired %llu ms late", i, (unsigned long long)(fs[i].fired - fs[i].due));
    }
    assert_int_equal(fs[3].order, 0);
    assert_int_equal(fs[1].order, 1);
    assert_int_equal(fs[2].order, 2);
    assert_int_equal(fs[0].order, 3);
    assert_int_equal(fs[4].fired, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_long_timers_wait_outside, setup, teardown),
        cmocka_unit_test_setup_teardown(test_far_timer_comes_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_far_timers_do_not_hang, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parked_timers_fire_on_time, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
