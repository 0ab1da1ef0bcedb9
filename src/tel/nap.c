/*
 * Naps: a real-time thread woken for each datagram reads them in batches.
 *
 * A datagram that arrives while a SCHED_RR thread waits in epoll wakes it at
 * once, taking the core from whoever runs there. At 1,500 calls a second
 * the media thread slept and woke 34,000 times a second, a packet or two
 * each time, and every wake-up also cut into the load generator beside
 * wasl (at 4x overload SIPp, starved, acknowledged late and retransmitted
 * tens of thousands of INVITEs). After the datagram that woke it, a thread
 * with a nap sleeps until `us` after its previous wake-up, never past its
 * next tick, and reads what came meanwhile in one turn: a datagram waits
 * `us` at most.
 *
 * A wake-up is told by the thread's own count of voluntary context switches
 * (getrusage, RUSAGE_THREAD): it changed since the last look if and only
 * if the thread slept (or waited for a lock) in between. Each thread owns
 * its struct nap; the counters are read by /metrics.
 */
#include <errno.h>
#include <sys/resource.h>
#include <time.h>

#include "rt.h"

enum { NAP_MIN_US = 50 }; /* a shorter nap costs more than it saves */

int64_t tick_after(int64_t now)
{
    const int64_t p = TICK_MS * 1000;
    return now - now % p + p;
}

bool nap_slept(struct nap *n)
{
    struct rusage ru;
    if (getrusage(RUSAGE_THREAD, &ru))
        return true;
    bool slept = ru.ru_nvcsw != n->nvcsw;
    n->nvcsw = ru.ru_nvcsw;
    return slept;
}

int64_t nap_plan(struct nap *n, int64_t now, int64_t tick)
{
    atomic_fetch_add_explicit(&n->wakes, 1, memory_order_relaxed);
    int64_t until = n->last_wake + n->us;
    if (until > tick)
        until = tick;
    if (until > now + NAP_MIN_US)
        return until;
    n->last_wake = now;
    return 0;
}

void nap_sleep(struct nap *n, int64_t until)
{
    struct timespec ts = {until / 1000000, until % 1000000 * 1000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
    n->last_wake = until;
    nap_slept(n); /* the nap's own switch is not a wait */
    atomic_fetch_add_explicit(&n->naps, 1, memory_order_relaxed);
}

void nap_metrics(struct sbuf *b, const char *thread, const struct nap *n, const char *setting)
{
    sbuf_addf(b,
              "# HELP wasl_%s_wakeups_total Times the %s thread woke from its wait (counted while %s is on).\n"
              "# TYPE wasl_%s_wakeups_total counter\nwasl_%s_wakeups_total %llu\n"
              "# HELP wasl_%s_batch_naps_total Times the %s thread, woken by a datagram, waited for more before "
              "reading on (%s).\n# TYPE wasl_%s_batch_naps_total counter\nwasl_%s_batch_naps_total %llu\n",
              thread, thread, setting, thread, thread, (unsigned long long)atomic_load_explicit(&n->wakes, memory_order_relaxed),
              thread, thread, setting, thread, thread, (unsigned long long)atomic_load_explicit(&n->naps, memory_order_relaxed));
}
