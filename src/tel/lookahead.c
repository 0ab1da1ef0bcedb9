/*
 * The SIP UDP socket read ahead of libre, while new calls may be refused.
 *
 * libre reads one datagram per turn of its loop and parses it before it
 * reads the next. A new call to be refused was answered by the early look
 * (overload.c) only once libre got to it, behind the parse of every
 * datagram queued before it: at 4x overload, bursts of admitted calls'
 * INVITEs, ACKs and BYEs kept 503s waiting 10-35 ms.
 *
 * While shedding, each turn reads everything the socket holds (up to
 * LA_READ_MAX): every new call the judge refuses is answered there and
 * then; every other datagram waits here, in arrival order, for libre, which
 * gets one per turn in place of the datagram it read (a UDP helper may
 * rewrite it). Once the socket is empty libre's loop would not turn for the
 * queue: a one-byte datagram from a loopback socket of ours, the pump, makes
 * it turn (the engine's tick sends another if one is lost). The queue is bounded (LA_MAX datagrams, LA_BYTES); past that the
 * datagrams stay in the socket's own buffer, in order behind the queue.
 *
 * Each datagram keeps the kernel's receive time, so that the delay guard
 * measures its whole wait (socket and queue) when libre gets it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <unistd.h>

#include "rt.h"

enum {
    LA_MAX = 512,       /* datagrams queued at most */
    LA_BYTES = 2 << 20, /* their bytes at most */
    LA_READ_MAX = 64,   /* read ahead in one turn at most */
    LA_RXSZ = 8192,     /* libre reads UDP_RXSZ_DEFAULT at most of a datagram: so does the look */
};
#define PUMP_LOST_US 20000

struct la_item {
    struct sa src;
    struct timeval stamp; /* the kernel's receive time */
    uint64_t admitted;    /* the judge's mark (overload.c: early_admitted) */
    size_t len;
    char *buf;
};

static struct {
    struct la_item q[LA_MAX];
    unsigned head, n;
    unsigned marked; /* of them, with a mark (admitted INVITEs) */
    size_t bytes;
} la;

static char rx[LA_RXSZ];
static int pump_fd = -1;
static bool pump_failed, pump_sent;
static int64_t pump_at; /* when the pump on its way was sent */
static struct sa pump_addr;
/* the receive time of the datagram handed to libre this turn */
static struct timeval handed_stamp;
static bool handed;
/* what libre read this turn stayed its own, with a mark, from there */
static bool kept_mark;
static struct sa kept_src;
static struct {
    _Atomic uint64_t read, refused, lost, pumps;
    _Atomic int queued, queued_max;
} m;

void lookahead_reset(void)
{
    while (la.n) {
        free(la.q[la.head].buf);
        la.head = (la.head + 1) % LA_MAX;
        la.n--;
    }
    la.head = la.marked = 0;
    la.bytes = 0;
    if (pump_fd >= 0)
        close(pump_fd);
    pump_fd = -1;
    pump_failed = pump_sent = handed = kept_mark = false;
    atomic_store(&m.queued, 0);
}

static bool is_pump(const struct sa *src)
{
    return pump_fd >= 0 && sa_cmp(src, &pump_addr, SA_ALL);
}

/* The pump: a loopback socket connected to fd's address (its loopback when
 * fd listens on every address). false: none, and no read ahead. */
static bool pump_ready(int fd)
{
    if (pump_fd >= 0)
        return true;
    if (pump_failed)
        return false;
    struct sa to, from;
    to.len = sizeof(to.u);
    if (getsockname(fd, &to.u.sa, &to.len) < 0 || (sa_af(&to) != AF_INET && sa_af(&to) != AF_INET6))
        goto fail;
    if (sa_is_any(&to))
        sa_set_str(&to, sa_af(&to) == AF_INET ? "127.0.0.1" : "::1", sa_port(&to));
    sa_init(&from, sa_af(&to));
    sa_set_str(&from, sa_af(&to) == AF_INET ? "127.0.0.1" : "::1", 0);
    pump_fd = socket(sa_af(&to), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (pump_fd < 0 || bind(pump_fd, &from.u.sa, from.len) < 0 || connect(pump_fd, &to.u.sa, to.len) < 0)
        goto fail;
    pump_addr.len = sizeof(pump_addr.u);
    if (getsockname(pump_fd, &pump_addr.u.sa, &pump_addr.len) < 0)
        goto fail;
    return true;
fail:
    log_warn("tel: the SIP socket cannot be read ahead (%s): while shedding, a refused call waits behind libre's parse "
             "of what came before it",
             strerror(errno));
    if (pump_fd >= 0)
        close(pump_fd);
    pump_fd = -1;
    pump_failed = true;
    return false;
}

/* One pump datagram on its way while the queue holds any: each turn of
 * libre's loop hands one on. A send that failed, or a pump the kernel
 * dropped (the socket's buffer full), is made up for by lookahead_tick(). */
static void pump(void)
{
    if (!la.n || pump_sent || pump_fd < 0)
        return;
    if (send(pump_fd, "", 1, MSG_DONTWAIT) == 1) {
        pump_sent = true;
        pump_at = mono_us();
        atomic_fetch_add_explicit(&m.pumps, 1, memory_order_relaxed);
    }
}

void lookahead_tick(int64_t now)
{
    /* a pump not back after PUMP_LOST_US is taken for lost; if it was only
     * late (a long queue in the socket before it), the spare one is
     * consumed like any pump that finds the queue empty */
    if (pump_sent && now - pump_at > PUMP_LOST_US)
        pump_sent = false;
    pump();
}

static bool stamp(int fd, struct timeval *tv)
{
    return ioctl(fd, SIOCGSTAMP, tv) == 0;
}

static bool push(const struct sa *src, const struct timeval *tv, uint64_t admitted, const char *buf, size_t len)
{
    char *copy = malloc(len ? len : 1);
    if (!copy) {
        /* lost like a datagram the kernel dropped: its sender retransmits */
        atomic_fetch_add_explicit(&m.lost, 1, memory_order_relaxed);
        return false;
    }
    memcpy(copy, buf, len);
    la.q[(la.head + la.n) % LA_MAX] = (struct la_item){*src, *tv, admitted, len, copy};
    la.n++;
    la.marked += admitted != 0;
    la.bytes += len;
    return true;
}

/* The head of the queue into libre's mbuf in place of what it read. */
static bool pop(struct sa *src, struct mbuf *mb, uint64_t *admitted)
{
    struct la_item *it = &la.q[la.head];
    bool ok = !mbuf_resize(mb, mb->pos + it->len);
    if (ok) {
        memcpy(mb->buf + mb->pos, it->buf, it->len);
        mb->end = mb->pos + it->len;
        *src = it->src;
        *admitted = it->admitted;
        handed_stamp = it->stamp;
        handed = true;
    } else {
        atomic_fetch_add_explicit(&m.lost, 1, memory_order_relaxed);
    }
    free(it->buf);
    la.bytes -= it->len;
    la.marked -= it->admitted != 0;
    la.head = (la.head + 1) % LA_MAX;
    la.n--;
    return ok;
}

bool lookahead_turn(struct sa *src, struct mbuf *mb, int fd, bool shedding, lookahead_judge_h *judge, uint64_t *admitted)
{
    handed = kept_mark = false;
    *admitted = 0;
    bool pumped = is_pump(src);
    if (pumped)
        pump_sent = false;
    if (!shedding && !la.n)
        return pumped; /* libre's, as if there were no look (a pump datagram is consumed) */
    bool keep = false; /* what libre read stays its own: nothing queued before it */
    if (!pumped) {
        const char *buf = (const char *)mbuf_buf(mb);
        size_t len = mbuf_get_left(mb);
        struct timeval tv = {0};
        uint64_t adm = 0;
        bool stamped = stamp(fd, &tv);
        /* judged now when it must wait behind the queue: later, the counts
         * it is judged on would have moved */
        if ((shedding || la.n) && judge(src, buf, len, fd, &adm)) {
            atomic_fetch_add_explicit(&m.refused, 1, memory_order_relaxed);
        } else if (!la.n) {
            keep = true;
            *admitted = adm;
            kept_mark = adm != 0;
            kept_src = *src;
            handed_stamp = tv;
            handed = stamped;
        } else {
            push(src, &tv, adm, buf, len);
        }
    }
    /* everything the socket holds, each refusal answered now */
    for (int i = 0; shedding && i < LA_READ_MAX && la.n < LA_MAX && la.bytes < LA_BYTES && pump_ready(fd); i++) {
        struct sa from;
        from.len = sizeof(from.u);
        ssize_t n = recvfrom(fd, rx, sizeof(rx), MSG_DONTWAIT, &from.u.sa, &from.len);
        if (n < 0)
            break; /* empty (or an error libre's own read meets next) */
        if (is_pump(&from)) {
            pump_sent = false;
            continue;
        }
        if (n <= 4)
            continue; /* what libre's SIP side ignores (a keep-alive) */
        atomic_fetch_add_explicit(&m.read, 1, memory_order_relaxed);
        struct timeval tv = {0};
        uint64_t adm = 0;
        stamp(fd, &tv);
        if (judge(&from, rx, (size_t)n, fd, &adm)) {
            atomic_fetch_add_explicit(&m.refused, 1, memory_order_relaxed);
            continue;
        }
        push(&from, &tv, adm, rx, (size_t)n);
    }
    bool done = false;
    if (!keep) {
        done = true;
        while (la.n && done)
            done = !pop(src, mb, admitted);
    }
    int q = (int)la.n;
    atomic_store_explicit(&m.queued, q, memory_order_relaxed);
    if (q > atomic_load_explicit(&m.queued_max, memory_order_relaxed))
        atomic_store_explicit(&m.queued_max, q, memory_order_relaxed);
    pump();
    return done;
}

int lookahead_pending(const struct sa *src)
{
    int n = kept_mark && (!src || sa_cmp(src, &kept_src, SA_ADDR));
    if (!src) /* every datagram asks this: counted, not walked */
        return n + (int)la.marked;
    for (unsigned i = 0; i < la.n && la.marked; i++) {
        const struct la_item *it = &la.q[(la.head + i) % LA_MAX];
        n += it->admitted && sa_cmp(src, &it->src, SA_ADDR);
    }
    return n;
}

bool lookahead_stamp(struct timeval *tv)
{
    if (!handed)
        return false;
    *tv = handed_stamp;
    return true;
}

void lookahead_metrics(struct sbuf *b)
{
    sbuf_addf(b,
              "# HELP wasl_sip_lookahead_read_total SIP datagrams read ahead of libre while shedding (sip.overload_early).\n"
              "# TYPE wasl_sip_lookahead_read_total counter\nwasl_sip_lookahead_read_total %llu\n"
              "# HELP wasl_sip_lookahead_refused_total Datagrams the early look consumed while reading ahead: new calls refused "
              "and the ACKs of its 503s.\n"
              "# TYPE wasl_sip_lookahead_refused_total counter\nwasl_sip_lookahead_refused_total %llu\n"
              "# HELP wasl_sip_lookahead_lost_total Datagrams read ahead and lost for want of memory (their senders "
              "retransmit).\n# TYPE wasl_sip_lookahead_lost_total counter\nwasl_sip_lookahead_lost_total %llu\n"
              "# HELP wasl_sip_lookahead_pumps_total Loopback datagrams sent to turn libre's loop for the queue.\n"
              "# TYPE wasl_sip_lookahead_pumps_total counter\nwasl_sip_lookahead_pumps_total %llu\n"
              "# HELP wasl_sip_lookahead_queued Datagrams read ahead and waiting for libre (at the last turn).\n"
              "# TYPE wasl_sip_lookahead_queued gauge\nwasl_sip_lookahead_queued %d\n"
              "# HELP wasl_sip_lookahead_queued_max The most datagrams ever waiting for libre at once (of %d).\n"
              "# TYPE wasl_sip_lookahead_queued_max gauge\nwasl_sip_lookahead_queued_max %d\n",
              (unsigned long long)atomic_load(&m.read), (unsigned long long)atomic_load(&m.refused),
              (unsigned long long)atomic_load(&m.lost), (unsigned long long)atomic_load(&m.pumps), atomic_load(&m.queued), LA_MAX,
              atomic_load(&m.queued_max));
}
