/*
 * The media thread's packets leave through a sender thread of their own
 * (sip.media_send_queue; docs/telephony-threads.md, "The sender").
 *
 * Why: on loopback and on a busy host, sendto() is most of what a packet
 * costs (the kernel runs the route, the UDP stack and, on loopback, the
 * receiver's side in the sender's time), and the media thread sends one
 * packet for each it relays and 50 a second for each leg it plays to: at
 * 2,000 calls it had a core to itself and still fell behind. The packet is
 * made on the media thread (codec, RTP header, sequence numbers: a leg's
 * state stays on one thread) and only its bytes, its socket and its
 * destination go through a ring to the sender, which calls sendto() on
 * the other core.
 *
 * The ring has one producer and one consumer. The producer is whoever
 * holds the media loop's mutex (the media thread in its handlers, the SIP
 * thread under media_lock), so its side needs no lock; the consumer is the
 * sender thread. A full ring is not a loss: the packet goes out at once
 * from the media thread, counted (wasl_rtp_send_inline_total). A socket
 * is not closed while a packet for it waits in the ring: its free waits
 * until the sender has passed the packets queued before it
 * (media_sender_free, media_sender_reap), so its descriptor is never
 * reused under a queued packet. SRTP legs keep the direct path (their
 * encryption is a libre helper on the socket).
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rt.h"

struct slot {
    int fd;
    socklen_t alen;
    uint16_t len;
    struct sockaddr_storage addr;
    uint8_t data[RTP_HEADER_SIZE + 480 + 32];
};

/* a socket whose free waits for the sender to pass `pos` */
struct pending {
    struct pending *next;
    struct rtp_sock *rs;
    uint64_t pos;
};

static struct slot *ring;
static uint64_t mask;
static _Atomic uint64_t head; /* producer: the next slot to fill */
static _Atomic uint64_t tail; /* consumer: the next slot to send */
static _Atomic bool sleeping, stopping;
static int wake_fd = -1;
static pthread_t thread;
static bool running;
static struct pending *pend_first, **pend_last = &pend_first;
enum { WAKE_BATCH = 16, WAKE_US = 300 };
static int64_t last_wake; /* the producer's (holding the media loop's mutex) */
static _Atomic uint64_t failed, inline_sent, wakes;

bool media_sender_on(void)
{
    return running;
}

static void wake(void)
{
    uint64_t one = 1;
    atomic_fetch_add_explicit(&wakes, 1, memory_order_relaxed);
    if (write(wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        log_warn("tel: the RTP sender cannot be woken: %s", strerror(errno));
}

static void *sender_main(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "wasl-rtpsend"); /* top -H, perf, the benchmarks */
    int prio = (int)conf_int("sip.realtime_priority");
    if (prio > 0) {
        struct sched_param sp = {.sched_priority = prio};
        (void)pthread_setschedparam(pthread_self(), SCHED_RR, &sp); /* the signalling thread warned already */
    }
    uint64_t t = atomic_load_explicit(&tail, memory_order_relaxed);
    for (;;) {
        uint64_t h = atomic_load_explicit(&head, memory_order_acquire);
        if (t == h) {
            if (atomic_load(&stopping))
                break;
            /* Dekker with the producer: it stores head, then reads
             * sleeping; this stores sleeping, then reads head */
            atomic_store(&sleeping, true);
            if (atomic_load(&head) == t && !atomic_load(&stopping)) {
                uint64_t v;
                if (read(wake_fd, &v, sizeof(v)) < 0 && errno != EINTR && errno != EAGAIN)
                    log_warn("tel: the RTP sender's wait failed: %s", strerror(errno));
            }
            atomic_store(&sleeping, false);
            continue;
        }
        uint64_t ok = 0, bad = 0;
        for (; t != h; t++) {
            const struct slot *s = &ring[t & mask];
            if (sendto(s->fd, s->data, s->len, 0, (const struct sockaddr *)&s->addr, s->alen) < 0)
                bad++;
            else
                ok++;
            if ((t & 63) == 63)
                atomic_store_explicit(&tail, t + 1, memory_order_release);
        }
        atomic_store_explicit(&tail, t, memory_order_release);
        atomic_fetch_add_explicit(&failed, bad, memory_order_relaxed);
        tel_count(M_RTP_TX, ok);
    }
    return NULL;
}

int media_sender_start(void)
{
    int64_t n = conf_int("sip.media_send_queue");
    if (n <= 0)
        return 0;
    uint64_t cap = 1;
    while (cap < (uint64_t)n)
        cap <<= 1;
    if (!(ring = malloc(cap * sizeof(*ring))))
        return err_set(WASL_ENOMEM, "tel.media_sender", "no memory for the RTP sender's %llu packets", (unsigned long long)cap);
    /* touched now, whole: left to be faulted in as the ring first goes
     * round, its pages made the process grow for a minute at a quiet time
     * (the SIP suite's memory check of long messages saw it) */
    memset(ring, 0, cap * sizeof(*ring));
    mask = cap - 1;
    atomic_store(&head, 0);
    atomic_store(&tail, 0);
    atomic_store(&stopping, false);
    atomic_store(&sleeping, false);
    if ((wake_fd = eventfd(0, EFD_CLOEXEC)) < 0 || pthread_create(&thread, NULL, sender_main, NULL)) {
        int e = errno;
        if (wake_fd >= 0)
            close(wake_fd);
        wake_fd = -1;
        free(ring);
        ring = NULL;
        return err_set(WASL_EINTERNAL, "tel.media_sender", "cannot start the RTP sender: %s", strerror(e));
    }
    running = true;
    return 0;
}

bool media_sender_push(int fd, const struct sa *dst, const uint8_t *p, size_t n)
{
    if (!running || n > sizeof(ring[0].data) || fd < 0)
        return false;
    uint64_t h = atomic_load_explicit(&head, memory_order_relaxed);
    if (h - atomic_load_explicit(&tail, memory_order_acquire) > mask) {
        atomic_fetch_add_explicit(&inline_sent, 1, memory_order_relaxed);
        return false; /* full: the caller sends it itself */
    }
    struct slot *s = &ring[h & mask];
    s->fd = fd;
    s->alen = dst->len;
    memcpy(&s->addr, &dst->u, dst->len);
    s->len = (uint16_t)n;
    memcpy(s->data, p, n);
    atomic_store(&head, h + 1);
    if (atomic_load(&sleeping)) {
        /* Woken for each packet, the sender slept and woke 2.3 million
         * times in 6.2 million packets at 2,000 calls (a write, a wake-up
         * and a context switch each): under load it is woken once WAKE_BATCH
         * packets wait or WAKE_US after its last wake (the media tick wakes
         * it too); a packet alone, at a quiet time, goes at once. */
        int64_t now = mono_us();
        if (h + 1 - atomic_load_explicit(&tail, memory_order_relaxed) >= WAKE_BATCH || now - last_wake >= WAKE_US) {
            last_wake = now;
            wake();
        }
    }
    return true;
}

/* (the media tick, every 2 ms) Whatever waits goes now. */
void media_sender_kick(void)
{
    if (running && atomic_load(&sleeping) && atomic_load(&head) != atomic_load_explicit(&tail, memory_order_relaxed)) {
        last_wake = mono_us();
        wake();
    }
}

/* Until the sender has sent everything before position h (waking it: the
 * producer may not have). */
static void wait_sent(uint64_t h)
{
    while (atomic_load_explicit(&tail, memory_order_acquire) < h) {
        if (atomic_load(&sleeping))
            wake();
        sched_yield();
    }
}

/* Frees the sockets whose queued packets have all left (the media thread,
 * at each tick: they are in its loop). */
void media_sender_reap(void)
{
    uint64_t t = atomic_load_explicit(&tail, memory_order_acquire);
    while (pend_first && pend_first->pos <= t) {
        struct pending *p = pend_first;
        if (!(pend_first = p->next))
            pend_last = &pend_first;
        mem_deref(p->rs);
        free(p);
    }
}

void media_sender_free(struct rtp_sock *rs)
{
    if (!running) {
        mem_deref(rs);
        return;
    }
    struct pending *p = malloc(sizeof(*p));
    if (!p) {
        /* no note to keep: wait for the sender to pass this point */
        wait_sent(atomic_load_explicit(&head, memory_order_relaxed));
        mem_deref(rs);
        return;
    }
    p->next = NULL;
    p->rs = rs;
    p->pos = atomic_load_explicit(&head, memory_order_relaxed);
    *pend_last = p;
    pend_last = &p->next;
    media_sender_reap();
}

/* Every packet queued leaves, then every socket waiting for them is freed
 * (the media thread, before its loop ends). */
void media_sender_drain(void)
{
    if (!running)
        return;
    wait_sent(atomic_load_explicit(&head, memory_order_relaxed));
    media_sender_reap();
}

void media_sender_stop(void)
{
    if (!running)
        return;
    atomic_store(&stopping, true);
    wake();
    pthread_join(thread, NULL);
    running = false;
    while (pend_first) { /* none, after media_sender_drain() */
        struct pending *p = pend_first;
        pend_first = p->next;
        mem_deref(p->rs);
        free(p);
    }
    pend_last = &pend_first;
    close(wake_fd);
    wake_fd = -1;
    free(ring);
    ring = NULL;
}

void media_sender_metrics(struct sbuf *b)
{
    uint64_t h = atomic_load_explicit(&head, memory_order_relaxed), t = atomic_load_explicit(&tail, memory_order_relaxed);
    sbuf_addf(b,
              "# HELP wasl_rtp_send_queued_total RTP packets the media thread handed to the sender thread.\n"
              "# TYPE wasl_rtp_send_queued_total counter\nwasl_rtp_send_queued_total %llu\n"
              "# HELP wasl_rtp_send_inline_total RTP packets the media thread sent itself because the sender's queue "
              "was full.\n# TYPE wasl_rtp_send_inline_total counter\nwasl_rtp_send_inline_total %llu\n"
              "# HELP wasl_rtp_send_failed_total RTP packets the sender thread could not send (sendto failed).\n"
              "# TYPE wasl_rtp_send_failed_total counter\nwasl_rtp_send_failed_total %llu\n"
              "# HELP wasl_rtp_send_wakeups_total Times the sender thread was woken from an empty queue.\n"
              "# TYPE wasl_rtp_send_wakeups_total counter\nwasl_rtp_send_wakeups_total %llu\n"
              "# HELP wasl_rtp_send_queue_depth RTP packets waiting for the sender thread now.\n"
              "# TYPE wasl_rtp_send_queue_depth gauge\nwasl_rtp_send_queue_depth %llu\n",
              (unsigned long long)h, (unsigned long long)atomic_load_explicit(&inline_sent, memory_order_relaxed),
              (unsigned long long)atomic_load_explicit(&failed, memory_order_relaxed),
              (unsigned long long)atomic_load_explicit(&wakes, memory_order_relaxed), (unsigned long long)(h >= t ? h - t : 0));
}
