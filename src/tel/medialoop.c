/*
 * The media thread (sip.media_threads = 1; docs/telephony-threads.md): a
 * libre loop of its own (re_thread_init) that watches every leg's RTP
 * socket and a ticker of its own, so that RTP is never held up by SIP
 * parsing, the IVR or the distributor, and the SIP socket waits for SIP
 * work only.
 *
 * Ownership: the media loop runs its handlers (packets received, the
 * ticker's pacing and mixers) holding media_mx, which libre releases while
 * it waits in epoll (re_set_mutex). The signalling thread takes the same
 * mutex (media_lock) for the few moments it changes what a leg's media does
 * (its socket opened or closed, its peer's address and codec, the prompts
 * it plays, its route, a mixer): never per packet, and only when something
 * changes. What the media side tells back goes without it: the time of the
 * last packet and the end of the prompts through atomics, the keys through
 * the signalling thread's queue.
 *
 * A leg's socket is opened on the signalling thread, which needs its port
 * for the SDP at once: libre registers it with the loop of the thread that
 * opens it, so it is taken out of that loop at once (udp_thread_detach,
 * before that loop turns again) and given to the media loop through its
 * queue (udp_thread_attach there). Its end goes through the same queue, in
 * order after its adoption: the socket is freed on the media thread, whose
 * loop it is in (libre's udp_sock destructor leaves the current thread's
 * loop).
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "rt.h"

enum { MQM_ADOPT = 1, MQM_FREE, MQM_STOP };

static bool threaded;
/* adaptive: a waiter spins a little before it sleeps; the other side holds it
 * for a packet or a change of a leg, microseconds, and a sleep and a wake-up
 * cost more than that (the context switches showed in the profile) */
static pthread_mutex_t media_mx = PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP;
static _Thread_local int lock_depth;
static struct mqueue *mmq;
static pthread_t thread;
static bool running;
static int tick_fd = -1;
static pthread_mutex_t start_mx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t start_cv = PTHREAD_COND_INITIALIZER;
static bool start_done;
static int start_err;

bool media_threaded(void)
{
    return threaded;
}

/* How long the signalling thread waited for the media loop's mutex, each
 * time it was busy (a free mutex is not counted): what a change of a leg's
 * media costs the SIP side. */
static const double wait_bounds_ms[] = {0.05, 0.1, 0.5, 1, 2, 5, 10, 20, 50};
static struct tel_hist lock_wait = {.bounds_ms = wait_bounds_ms, .n = sizeof(wait_bounds_ms) / sizeof(wait_bounds_ms[0])};
static _Atomic uint64_t lock_free, handed;
/* the signalling thread waits for media_mx: the media loop hands it over at
 * its next safe point (media_yield) instead of at the end of its batch */
static _Atomic bool sip_waiting;

void media_lock(void)
{
    if (!threaded || lock_depth++ > 0)
        return;
    if (pthread_mutex_trylock(&media_mx) == 0) {
        atomic_fetch_add_explicit(&lock_free, 1, memory_order_relaxed);
        return;
    }
    int64_t t0 = mono_us();
    atomic_store_explicit(&sip_waiting, true, memory_order_release);
    pthread_mutex_lock(&media_mx);
    atomic_store_explicit(&sip_waiting, false, memory_order_release);
    tel_hist_add(&lock_wait, mono_us() - t0);
}

/* (media thread, holding media_mx as libre's loop does while handlers
 * run) A point where no list of the media side is being walked and no
 * libre object is half changed: a packet handled, a slot of the ticker
 * paced. If the signalling thread waits, it gets the mutex now: a libre
 * batch of events (hundreds of packets at 2,000 calls) held it a
 * millisecond or more, once per change of a leg's media. Bounded: after
 * 2 ms without the signalling thread taking it, the loop goes on. */
bool media_yield_wanted(void)
{
    return threaded && atomic_load_explicit(&sip_waiting, memory_order_relaxed);
}

void media_yield(void)
{
    if (!threaded || !atomic_load_explicit(&sip_waiting, memory_order_acquire))
        return;
    int depth = lock_depth;
    lock_depth = 0;
    pthread_mutex_unlock(&media_mx);
    int64_t until = mono_us() + 2000;
    while (atomic_load_explicit(&sip_waiting, memory_order_acquire) && mono_us() < until)
        sched_yield();
    pthread_mutex_lock(&media_mx);
    lock_depth = depth;
    atomic_fetch_add_explicit(&handed, 1, memory_order_relaxed);
}

/* Receive batching (sip.media_batch_us; nap.c). After the packet that woke
 * it, the media thread naps with the mutex free, never past the next pacing
 * tick, and a nap that reaches the tick runs it first (the timer's own turn
 * comes after the packets read, and finds nothing left to send). Told from
 * the next packet of the same turn: a gap of more than a few microseconds
 * since the last handler ended (libre's read of the next one), confirmed by
 * the thread's switch count (read only then, not per packet). */
enum { WAKE_GAP_US = 4 };
static struct nap mnap;
static int64_t last_exit; /* the media thread's own */

static bool woke(int64_t entered)
{
    return entered - last_exit > WAKE_GAP_US && nap_slept(&mnap);
}

static void tick_note_wake(int64_t entered)
{
    if (mnap.us > 0 && woke(entered)) {
        mnap.last_wake = entered;
        atomic_fetch_add_explicit(&mnap.wakes, 1, memory_order_relaxed);
    }
}

void media_batch(int64_t entered)
{
    if (!threaded || mnap.us <= 0)
        return;
    if (woke(entered)) {
        int64_t now = mono_us(), tick = tick_after(now), until = nap_plan(&mnap, entered, tick);
        if (until) {
            /* what the last turn left queued (fewer than the sender's batch:
             * nothing woke it) goes before the nap, not after it */
            media_sender_kick();
            int depth = lock_depth;
            lock_depth = 0;
            pthread_mutex_unlock(&media_mx);
            nap_sleep(&mnap, until);
            pthread_mutex_lock(&media_mx);
            lock_depth = depth;
            if (until == tick)
                media_tick(mono_us());
        }
    }
    last_exit = mono_us();
}

void media_lock_metrics(struct sbuf *b)
{
    const struct {
        const char *name, *help;
        _Atomic uint64_t *v;
    } counters[] = {
        {"wasl_media_lock_free_total", "Times the SIP thread changed a leg's media without waiting for the media thread.",
         &lock_free},
        {"wasl_media_lock_handed_total",
         "Times the media thread handed its mutex to the waiting SIP thread between two packets or two ticker slots.", &handed},
    };
    for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
        sbuf_addf(b, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", counters[i].name, counters[i].help, counters[i].name,
                  counters[i].name, (unsigned long long)atomic_load_explicit(counters[i].v, memory_order_relaxed));
    nap_metrics(b, "media", &mnap, "sip.media_batch_us");
    tel_hist_text(b, "wasl_media_lock_wait_seconds",
                  "How long the SIP thread waited for the media thread (its current turn) to change a leg's media.", &lock_wait);
}

void media_unlock(void)
{
    if (threaded && --lock_depth == 0)
        pthread_mutex_unlock(&media_mx);
}

static void sock_detach(struct rtp_sock *rs)
{
    if (rtp_sock(rs))
        udp_thread_detach(rtp_sock(rs));
    if (rtcp_sock(rs))
        udp_thread_detach(rtcp_sock(rs));
}

static int sock_attach(struct rtp_sock *rs)
{
    int err = 0;
    if (rtp_sock(rs))
        err = udp_thread_attach(rtp_sock(rs));
    if (!err && rtcp_sock(rs))
        err = udp_thread_attach(rtcp_sock(rs));
    return err;
}

int media_sock_adopt(struct rtp_sock *rs)
{
    if (!threaded)
        return 0;
    sock_detach(rs);
    /* the queue does not own it: its free comes after, in order */
    return mqueue_push(mmq, MQM_ADOPT, rs);
}

/* (under media_lock: from leg_media_close) The leg goes at once; its
 * socket stays in the media loop until the queue reaches its free, and
 * what it receives meanwhile must not reach the leg: it goes to libre's
 * handler that drops everything. */
void media_sock_free(struct rtp_sock *rs)
{
    if (!rs)
        return;
    if (!threaded) {
        mem_deref(rs);
        return;
    }
    if (rtp_sock(rs))
        udp_handler_set(rtp_sock(rs), NULL, NULL);
    if (rtcp_sock(rs))
        udp_handler_set(rtcp_sock(rs), NULL, NULL);
    if (mqueue_push(mmq, MQM_FREE, rs))
        log_error("tel: a leg's RTP socket cannot be freed (the media thread's queue): it stays open");
}

/* A key the media side heard reaches the call's IVR on the signalling
 * thread (the call found again by its number: it may have ended since). */
struct media_digit {
    uint64_t call;
    char d;
};

void media_digit(struct tcall *c, char d)
{
    if (!threaded) {
        call_digit(c, d);
        return;
    }
    struct media_digit *m = malloc(sizeof(*m));
    if (!m)
        return;
    m->call = c->id;
    m->d = d;
    if (tel_post_digit(m))
        free(m);
}

void media_digit_run(void *arg)
{
    struct media_digit *m = arg;
    struct tcall *c = call_find(m->call);
    if (c)
        call_digit(c, m->d);
    free(m);
}

static void mq_h(int id, void *data, void *arg)
{
    struct rtp_sock *rs = data;
    if (id == MQM_ADOPT) {
        if (sock_attach(rs))
            log_warn("tel: a leg's RTP socket could not join the media loop: its audio is lost");
    } else if (id == MQM_FREE) {
        media_sender_free(rs); /* once the packets queued for it have left */
    } else if (id == MQM_STOP) {
        media_sender_drain();
        re_cancel();
    }
}

static void tick_h(int flags, void *arg)
{
    uint64_t expirations;
    if (read(tick_fd, &expirations, sizeof(expirations)) < 0)
        return;
    int64_t now = mono_us();
    tick_note_wake(now);
    media_tick(now);
    last_exit = mono_us();
}

static int loop_setup(void)
{
    int err;
    if ((err = re_thread_init()))
        return err;
    fd_setsize(16384); /* before the first socket, as on the signalling thread */
    re_set_mutex(&media_mx);
    if ((err = mqueue_alloc(&mmq, mq_h, NULL)))
        return err;
    if ((tick_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) < 0)
        return errno;
    ticker_arm(tick_fd, TICK_MS * 1000); /* its expiries: tick_after()'s */
    return fd_listen(tick_fd, FD_READ, tick_h, NULL);
}

static void *media_main(void *arg)
{
    pthread_setname_np(pthread_self(), "wasl-media"); /* top -H, perf, the benchmarks */
    int prio = (int)conf_int("sip.realtime_priority");
    if (prio > 0) {
        struct sched_param sp = {.sched_priority = prio};
        if (pthread_setschedparam(pthread_self(), SCHED_RR, &sp))
            log_info("tel: the media thread runs at normal priority"); /* the signalling thread warned already */
    }
    int err = loop_setup(); /* re_main takes media_mx itself, and releases it in epoll */
    pthread_mutex_lock(&start_mx);
    start_err = err;
    start_done = true;
    pthread_cond_broadcast(&start_cv);
    pthread_mutex_unlock(&start_mx);
    if (!err)
        re_main(NULL);
    if (tick_fd >= 0) {
        fd_close(tick_fd);
        close(tick_fd);
        tick_fd = -1;
    }
    mmq = mem_deref(mmq);
    re_thread_close();
    return NULL;
}

int media_loop_start(void)
{
    int n = (int)conf_int("sip.media_threads");
    if (n <= 0)
        return 0;
    start_done = false;
    start_err = 0;
    mnap.us = conf_int("sip.media_batch_us");
    int err = media_sender_start(); /* before any leg can send */
    if (err)
        return err;
    threaded = true; /* from now on the signalling thread takes media_mx */
    if (pthread_create(&thread, NULL, media_main, NULL)) {
        threaded = false;
        media_sender_stop();
        return err_set(WASL_EINTERNAL, "tel.media_thread", "cannot start the media thread");
    }
    pthread_mutex_lock(&start_mx);
    while (!start_done)
        pthread_cond_wait(&start_cv, &start_mx);
    pthread_mutex_unlock(&start_mx);
    running = true;
    if (start_err) {
        media_loop_stop();
        return err_set(WASL_EINTERNAL, "tel.media_thread", "cannot start the media loop: %s", strerror(start_err));
    }
    return 0;
}

void media_loop_stop(void)
{
    if (!running)
        return;
    /* every leg was closed before: their sockets' frees are queued ahead
     * (a loop that could not start has ended by itself) */
    if (!start_err && mqueue_push(mmq, MQM_STOP, NULL))
        log_error("tel: cannot stop the media thread"); /* it may still push: its sender stays */
    else {
        pthread_join(thread, NULL);
        media_sender_stop(); /* after the media loop: nothing pushes any more */
    }
    running = false;
    threaded = false;
}
