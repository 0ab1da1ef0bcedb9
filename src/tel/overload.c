/*
 * Overload control: when wasl cannot keep up, new calls are refused at once
 * (503 with Retry-After, silence, or RFC 7339's `oc` for the carriers that
 * ask for it) before any state exists for them, so that the calls already
 * admitted, the phones' REGISTERs and everything in a dialog keep going.
 * Owns the admission state, its settings and its metrics.
 *
 * What is measured: how long each SIP request over UDP waited in the
 * socket's queue (the kernel's receive time, SIOCGSTAMP, against the time
 * it is handled) and how late the media ticker runs. The smallest of each
 * over a window of 100 ms is the standing queue (CoDel's idea): a burst that
 * drains within the window does not count, a queue that never drains does.
 * Past sip.overload_delay_ms the share of new calls admitted is cut by a
 * quarter per window (while the queue is not draining already), and grows
 * back by 5 % per calm window; the overload ends after a second of calm
 * with every call admitted again. sip.admit_rate is a second guard, by rate.
 */
#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sock_diag.h>
#include <linux/sockios.h>
#include <time.h>

#include "rt.h"

#ifndef SO_MEMINFO
#define SO_MEMINFO 55
#endif

/* ---- the pure part ---- */

static void window_reset(struct ovl *o, int64_t now)
{
    o->win_start = now;
    o->win_busy_us = 0;
    o->nsojourn = o->nlag = 0;
    o->win_sojourn = o->win_lag = INT64_MAX;
}

void ovl_init(struct ovl *o, int64_t target_us, int rate, int64_t now)
{
    memset(o, 0, sizeof(*o));
    o->target_us = target_us;
    o->rate = rate;
    o->signal = o->lag = -1;
    o->busy = -1;
    o->admit = 1;
    o->tokens = rate > 10 ? rate * 100000LL : 1000000;
    o->tokens_at = now;
    window_reset(o, now);
}

static bool window_close(struct ovl *o, int64_t now)
{
    int64_t sig = -1, prev = o->signal;
    bool was = o->overloaded;
    if (o->nsojourn >= OVL_MIN_SAMPLES)
        sig = o->win_sojourn;
    if (o->nlag >= OVL_MIN_LAGS && o->win_lag > sig)
        sig = o->win_lag;
    o->signal = sig;
    o->lag = o->nlag ? o->win_lag : -1;
    int64_t len = now - o->win_start;
    o->busy = o->busy_max > 0 && len > 0 ? (int)(o->win_busy_us * 1000 / len) : -1;
    window_reset(o, now);
    /* Busy: the SIP thread worked nearly all the window. A queue then
     * builds; and a real-time thread that works all the time is stopped
     * by the kernel's RT throttling (50 ms of every second by default),
     * which every request waiting then pays. */
    bool busy = o->busy_max > 0 && o->busy > o->busy_max;
    bool calm_busy = o->busy_max <= 0 || o->busy < o->busy_max - o->busy_max / 10;
    if ((o->target_us > 0 && sig > o->target_us) || busy) {
        o->calm_since = 0;
        if (!o->overloaded) {
            o->overloaded = true;
            o->episodes++;
            o->admit = 1;
            o->credit = 0;
            prev = -1;
        }
        /* a queue already shrinking is left to drain: cutting again
         * would overshoot */
        if (prev < 0 || sig >= prev - prev / 10)
            o->admit = fmax(OVL_ADMIT_MIN, o->admit * OVL_DECREASE);
    } else if (o->overloaded) {
        if ((o->target_us <= 0 || sig < o->target_us / 2) && calm_busy) {
            o->admit = o->admit + OVL_INCREASE > 1 - 1e-9 ? 1 : o->admit + OVL_INCREASE;
            if (!o->calm_since)
                o->calm_since = now;
            if (o->admit >= 1 && now - o->calm_since >= OVL_CALM_US)
                o->overloaded = false;
        } else {
            o->calm_since = 0; /* between the two thresholds: hold */
        }
    }
    return was != o->overloaded;
}

bool ovl_step(struct ovl *o, int64_t now)
{
    if (now - o->win_start < OVL_WINDOW_US)
        return false;
    return window_close(o, now);
}

/* A sample into the window (closed first when due): its least and count. */
static void sample(struct ovl *o, int64_t now, int64_t us, int64_t *least, int *n)
{
    ovl_step(o, now);
    if (us < 0)
        us = 0;
    if (us < *least)
        *least = us;
    (*n)++;
}

void ovl_sojourn(struct ovl *o, int64_t now, int64_t us)
{
    sample(o, now, us, &o->win_sojourn, &o->nsojourn);
}

void ovl_lag(struct ovl *o, int64_t now, int64_t us)
{
    sample(o, now, us, &o->win_lag, &o->nlag);
}

void ovl_busy(struct ovl *o, int64_t now, int64_t cpu_us)
{
    if (cpu_us > 0)
        o->win_busy_us += cpu_us;
}

void ovl_set_busy_max(struct ovl *o, int permille)
{
    o->busy_max = permille > 0 ? permille : 0;
}

static enum ovl_verdict verdict(struct ovl *o, int64_t now)
{
    if (o->overloaded && o->admit < 1) {
        o->credit += o->admit;
        if (o->credit < 1)
            return OVL_REFUSE_DELAY;
        o->credit -= 1; /* below admit now: no burst saved up */
    }
    if (o->rate > 0) {
        int64_t depth = o->rate > 10 ? o->rate * 100000LL : 1000000;
        o->tokens += (now - o->tokens_at) * o->rate;
        if (o->tokens > depth)
            o->tokens = depth;
        o->tokens_at = now;
        if (o->tokens < 1000000)
            return OVL_REFUSE_RATE;
        o->tokens -= 1000000;
    }
    return OVL_ADMIT;
}

enum ovl_verdict ovl_admit(struct ovl *o, int64_t now)
{
    ovl_step(o, now);
    enum ovl_verdict v = verdict(o, now);
    o->shed = o->shed * 0.95 + (v == OVL_ADMIT ? 0 : 0.05);
    return v;
}

int ovl_oc(const struct ovl *o)
{
    double loss = o->overloaded ? 1 - o->admit : 0;
    if (o->shed > loss)
        loss = o->shed;
    int pct = (int)lround(loss * 100);
    return pct < 0 ? 0 : pct > 100 ? 100 : pct;
}

/* The end of the first via-parm in a Via value (a comma outside quotes). */
static size_t via_first_len(const char *v, size_t n)
{
    bool quoted = false;
    for (size_t i = 0; i < n; i++) {
        if (v[i] == '"')
            quoted = !quoted;
        else if (v[i] == ',' && !quoted)
            return i;
    }
    return n;
}

/* Calls fn for each parameter (";name" or ";name=value") of the first
 * via-parm, with its name and whole text (from the ';'); stops when fn
 * returns true. Returns the length of the sent-by part before them. */
static size_t via_params(const char *v, size_t n, bool (*fn)(const char *name, size_t nl, const char *p, size_t pl, void *arg),
                         void *arg)
{
    size_t end = via_first_len(v, n), i = 0, head;
    while (i < end && v[i] != ';')
        i++;
    head = i;
    while (i < end) {
        size_t start = i++; /* at ';' */
        bool quoted = false;
        while (i < end && (quoted || v[i] != ';')) {
            if (v[i] == '"')
                quoted = !quoted;
            i++;
        }
        const char *p = v + start + 1;
        size_t pl = i - start - 1, nl = 0;
        while (pl && (*p == ' ' || *p == '\t'))
            p++, pl--;
        while (nl < pl && p[nl] != '=' && p[nl] != ' ' && p[nl] != '\t')
            nl++;
        if (fn && fn(p, nl, v + start, i - start, arg))
            break;
    }
    return head;
}

static bool name_is(const char *name, size_t nl, const char *want)
{
    return nl == strlen(want) && !strncasecmp(name, want, nl);
}

static bool find_oc(const char *name, size_t nl, const char *p, size_t pl, void *arg)
{
    (void)p, (void)pl;
    return name_is(name, nl, "oc") ? (*(bool *)arg = true) : false;
}

bool ovl_via_has_oc(const char *via, size_t n)
{
    bool found = false;
    via_params(via, n, find_oc, &found);
    return found;
}

/* Text appended piece by piece to a buffer (a Via, a 503); overflow sticks. */
struct text {
    char *out;
    size_t cap, len;
    bool over;
};

static void text_mem(struct text *t, const char *p, size_t n)
{
    if (t->over || t->len + n >= t->cap) {
        t->over = true;
        return;
    }
    memcpy(t->out + t->len, p, n);
    t->len += n;
    t->out[t->len] = '\0';
}

struct rewrite {
    struct text t;
    bool rport;
    int port;
};

static bool copy_param(const char *name, size_t nl, const char *p, size_t pl, void *arg)
{
    struct rewrite *w = arg;
    if (name_is(name, nl, "oc") || name_is(name, nl, "oc-algo") || name_is(name, nl, "oc-validity") || name_is(name, nl, "oc-seq"))
        return false;
    if (name_is(name, nl, "rport") && !memchr(p, '=', pl)) {
        char b[24];
        int k = snprintf(b, sizeof(b), ";rport=%d", w->port);
        text_mem(&w->t, b, (size_t)k);
        w->rport = true;
        return false;
    }
    text_mem(&w->t, p, pl);
    return false;
}

int ovl_via_reply(const char *via, size_t n, int oc, int validity_ms, const char *seq, int port, bool *rport, char *out, size_t cap)
{
    struct rewrite w = {{out, cap, 0, false}, false, port};
    char b[128];
    if (!cap)
        return -1;
    out[0] = '\0';
    size_t head = via_params(via, n, NULL, NULL);
    text_mem(&w.t, via, head);
    via_params(via, n, copy_param, &w);
    int k = snprintf(b, sizeof(b), ";oc=%d;oc-algo=\"loss\";oc-validity=%d;oc-seq=%s", oc, validity_ms, seq);
    text_mem(&w.t, b, (size_t)k);
    size_t first = via_first_len(via, n);
    text_mem(&w.t, via + first, n - first);
    if (rport)
        *rport = w.rport;
    return w.t.over ? -1 : (int)w.t.len;
}

static void __attribute__((format(printf, 2, 3))) text_f(struct text *t, const char *fmt, ...)
{
    char b[160];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(b, sizeof(b), fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= sizeof(b))
        t->over = true;
    else
        text_mem(t, b, (size_t)k);
}

/* The top Via of the 503: as libre's reply writes it (a bare or valued
 * rport cut out and written again with the source port, src/sip/reply.c),
 * or with RFC 7339's oc parameters; then received= when the source is not
 * the sent-by address (or rport was asked for). */
static bool top_via(struct text *t, const struct sipscan_hdr *h, const struct sip_via *via, const struct sa *src,
                    const struct ovl_reply *r, bool *rport)
{
    struct pl val = {h->val, h->vl}, rp;
    char ip[64];
    text_mem(t, h->name, h->nl);
    text_mem(t, ": ", 2);
    *rport = false;
    if (r->oc) {
        char v[1024];
        if (ovl_via_reply(h->val, h->vl, r->oc_pct, r->oc_validity_ms, r->oc_seq, sa_port(src), rport, v, sizeof(v)) < 0)
            return false;
        text_mem(t, v, strlen(v));
    } else if (!msg_param_exists(&via->params, "rport", &rp)) {
        text_mem(t, val.p, (size_t)(rp.p - val.p));
        text_mem(t, rp.p + rp.l, (size_t)(val.p + val.l - (rp.p + rp.l)));
        text_f(t, ";rport=%u", sa_port(src));
        *rport = true;
    } else {
        text_mem(t, val.p, val.l);
    }
    if (*rport || !sa_cmp(src, &via->addr, SA_ADDR)) {
        if (sa_ntop(src, ip, sizeof(ip)))
            return false;
        text_f(t, ";received=%s", ip);
    }
    text_mem(t, "\r\n", 2);
    return true;
}

int ovl_reply_build(const struct sipscan *s, const struct sa *src, enum sip_transp tp, const struct ovl_reply *r, char *out,
                    size_t cap, struct sa *dst)
{
    struct text t = {out, cap, 0, false};
    struct sip_msg msg; /* what sip_reply_addr() reads of it: the top Via, the source, the transport */
    bool rport = false, top = true;
    if (!cap)
        return -1;
    out[0] = '\0';
    memset(&msg, 0, sizeof(msg));
    text_f(&t, "SIP/2.0 503 Service Unavailable\r\n");
    for (int i = 0; i < s->n; i++) {
        const struct sipscan_hdr *h = &s->h[i];
        if (h->kind == SS_VIA && top) {
            struct pl v = {h->val, h->vl};
            top = false;
            if (sip_via_decode(&msg.via, &v) || !top_via(&t, h, &msg.via, src, r, &rport))
                return -1;
            continue;
        }
        text_mem(&t, h->name, h->nl);
        text_mem(&t, ": ", 2);
        text_mem(&t, h->val, h->vl);
        if (h->kind == SS_TO) /* a new call's To has no tag: the 503 gives one */
            text_f(&t, ";tag=%016llx", (unsigned long long)r->tag);
        text_mem(&t, "\r\n", 2);
    }
    if (top)
        return -1;
    text_f(&t, "Server: wasl\r\n");
    if (r->retry_after && !r->oc)
        text_f(&t, "Retry-After: %d\r\n", r->retry_after);
    if (r->extra)
        text_mem(&t, r->extra, strlen(r->extra));
    text_f(&t, "Content-Length: 0\r\n\r\n");
    if (t.over)
        return -1;
    msg.src = *src;
    msg.tp = tp;
    sip_reply_addr(dst, &msg, rport);
    return (int)t.len;
}

int ovl_reply_text(const char *buf, size_t n, const char *src_ip, int src_port, int retry_after, int oc_pct, const char *oc_seq,
                   uint64_t tag, char *out, size_t cap)
{
    struct sipscan s;
    struct sa src, dst;
    struct ovl_reply r = {retry_after, oc_seq != NULL, oc_pct, (int)(OVL_CALM_US / 1000), oc_seq, tag, NULL};
    if (!sipscan_invite(buf, n, &s) || sa_set_str(&src, src_ip, (uint16_t)src_port))
        return -1;
    return ovl_reply_build(&s, &src, SIP_TRANSP_UDP, &r, out, cap, &dst);
}

/* ---- on the real-time thread ---- */

const struct conf_def tel_overload_conf[] = {
    {"sip.overload_delay_ms", CONF_INT, "20", 0, 5000,
     "new calls are shed (see sip.overload_retry_after, sip.trunks_overload_silent) while SIP requests wait longer than "
     "this in the socket's queue, or the real-time loop runs this late, for 100 ms at a stretch (0: never)"},
    {"sip.signal_batch_us", CONF_INT, "250", 0, 10000,
     "microseconds the SIP thread, woken by a datagram over UDP, waits for more before it reads on (one wake-up for "
     "many; each takes a core from what runs beside wasl); a request waits at most this long; 0: each read at once"},
    {"sip.overload_busy_percent", CONF_INT, "90", 0, 100,
     "new calls are also shed while the SIP thread works more than this share of the time, 100 ms at a stretch: it keeps "
     "room for what is admitted, and a real-time thread busy all the time is stopped by the kernel's RT throttling, "
     "tens of milliseconds every second (0: never)"},
    {"sip.admit_rate", CONF_INT, "0", 0, 100000,
     "new calls admitted a second at most, a second guard next to the delay (0: no limit); the excess is refused the same way"},
    {"sip.overload_retry_after", CONF_DURATION, "2s", 0, 3600,
     "Retry-After of the 503 a refused call gets (0: none). A carrier that honours it sends nothing at all for this long"},
    {"sip.trunks_overload_silent", CONF_STR, "", 0, 0,
     "carriers whose refused calls get no answer at all (their INVITEs time out) instead of 503: for those that take 503 "
     "as a reason to route elsewhere and prefer silence"},
    {"sip.overload_early", CONF_BOOL, "true", 0, 0,
     "while new calls may be refused, judge a carrier's plain new INVITE as it comes off the socket, before libre's full "
     "parse, and answer its 503 from there (the same answer, within milliseconds however long the queue); off: every "
     "datagram waits for libre's parse"},
    {"sip.trunks_oc", CONF_STR, "", 0, 0,
     "carriers whose INVITEs ask for RFC 7339 overload control (oc in their Via): their 503s say the share of calls to shed "
     "(oc, loss algorithm) instead of Retry-After"},
};
const size_t tel_overload_conf_count = sizeof(tel_overload_conf) / sizeof(tel_overload_conf[0]);

static struct ovl ovl;
static struct addr_list silent_trunks, oc_trunks;
static bool early_on;    /* sip.overload_early */
static uint64_t tag_key; /* the To tags of the 503s: see refusal_tag() */
static void early_reset(void);
static int64_t busy_cpu_us = -1; /* the SIP thread's CPU time at the last tick */
static void *early_sock;         /* the UDP socket the early look is on */
static int retry_after;
static int sip_fd = -1;                  /* the SIP UDP socket, once a request came over it */
static int64_t tick_due, tick_period_us; /* the ticker's next due time */
static int64_t oc_seq_last;

enum { R_DELAY, R_RATE, R_REASONS };
static const char *const reason_names[R_REASONS] = {"delay", "rate"};
static const double delay_bounds_ms[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000};
static struct tel_hist delay = {.bounds_ms = delay_bounds_ms, .n = sizeof(delay_bounds_ms) / sizeof(delay_bounds_ms[0])};
static struct {
    _Atomic uint64_t admitted, refused[R_REASONS], silent, oc_replies, early, early_acks, episodes, udp_drops;
    _Atomic int64_t signal_us, lag_us, udp_queue;
    _Atomic int busy_permille;
    _Atomic int overloaded, admit_permille;
} m;

static struct nap signal_nap; /* the SIP thread's (early_recv) */

int overload_load(void)
{
    int err;
    if ((err = addr_list_parse(conf_str("sip.trunks_overload_silent"), &silent_trunks)) ||
        (err = addr_list_parse(conf_str("sip.trunks_oc"), &oc_trunks)))
        return err;
    retry_after = (int)conf_int("sip.overload_retry_after");
    ovl_init(&ovl, conf_int("sip.overload_delay_ms") * 1000, (int)conf_int("sip.admit_rate"), mono_us());
    ovl_set_busy_max(&ovl, (int)conf_int("sip.overload_busy_percent") * 10);
    busy_cpu_us = -1;
    early_on = conf_bool("sip.overload_early");
    signal_nap.us = conf_int("sip.signal_batch_us");
    tag_key = rand_u64();
    sip_fd = -1;
    early_sock = NULL;
    early_reset();
    tick_due = tick_period_us = 0;
    atomic_store(&m.overloaded, 0);
    atomic_store(&m.admit_permille, 1000);
    return 0;
}

/* After each window: what /metrics shows, and the UDP socket's queue. */
static void publish(bool changed)
{
    if (changed && ovl.overloaded)
        log_warn("tel: overload: new calls are shed (SIP requests wait %lld ms in the queue, or the loop runs that late; "
                 "sip.overload_delay_ms %lld; the SIP thread worked %d %% of the last 100 ms, sip.overload_busy_percent %d)",
                 (long long)(ovl.signal / 1000), (long long)(ovl.target_us / 1000), ovl.busy < 0 ? 0 : ovl.busy / 10,
                 ovl.busy_max / 10);
    else if (changed)
        log_warn("tel: the overload is over (%lld ms of calm): every new call is admitted again", (long long)(OVL_CALM_US / 1000));
    atomic_store(&m.overloaded, ovl.overloaded);
    atomic_store(&m.admit_permille, (int)lround((ovl.overloaded ? ovl.admit : 1) * 1000));
    atomic_store(&m.signal_us, ovl.signal < 0 ? 0 : ovl.signal);
    atomic_store(&m.busy_permille, ovl.busy < 0 ? 0 : ovl.busy);
    atomic_store(&m.lag_us, ovl.lag < 0 ? 0 : ovl.lag);
    atomic_store(&m.episodes, ovl.episodes);
    uint32_t mem[SK_MEMINFO_VARS];
    socklen_t len = sizeof(mem);
    if (sip_fd >= 0 && !getsockopt(sip_fd, SOL_SOCKET, SO_MEMINFO, mem, &len) && len >= sizeof(mem)) {
        atomic_store(&m.udp_queue, mem[SK_MEMINFO_RMEM_ALLOC]);
        atomic_store(&m.udp_drops, mem[SK_MEMINFO_DROPS]);
    }
}

static void step(int64_t now)
{
    int64_t start = ovl.win_start;
    bool changed = ovl_step(&ovl, now);
    if (ovl.win_start != start)
        publish(changed);
}

/* The SIP thread's CPU time, µs (-1: unknown). */
static int64_t thread_cpu_us(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
        return -1;
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void overload_tick(int64_t now, uint64_t expirations, int64_t period_us)
{
    lookahead_tick(now);
    int64_t cpu = thread_cpu_us();
    if (cpu >= 0 && busy_cpu_us >= 0)
        ovl_busy(&ovl, now, cpu - busy_cpu_us);
    busy_cpu_us = cpu;
    if (period_us != tick_period_us) { /* (re)armed: due from now on */
        tick_period_us = period_us;
        tick_due = now + period_us;
        step(now);
        return;
    }
    step(now);
    ovl_lag(&ovl, now, now - tick_due);
    tick_due += (int64_t)(expirations ? expirations : 1) * period_us;
}

/* The SIP UDP socket's receive buffer: the kernel's default (about 200 KB,
 * 100 to 200 requests) fills in some 50 ms of a surge at 1,000 calls a
 * second, before a window can tell a standing queue, and a datagram dropped
 * there comes back as a retransmission 500 ms later. 8 MB holds seconds of
 * it; the delay guard keeps the queue short anyway. SO_RCVBUFFORCE goes past
 * net.core.rmem_max when wasl may (CAP_NET_ADMIN); otherwise the most the
 * system allows. */
#define SIP_RCVBUF (8 << 20)

static void sip_socket_seen(int fd)
{
    int size = SIP_RCVBUF, got = 0;
    socklen_t len = sizeof(got);
    sip_fd = fd;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    if (!getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len))
        log_info("tel: SIP over UDP: a receive buffer of %d KB (asked %d KB; net.core.rmem_max limits it without CAP_NET_ADMIN)",
                 got / 1024, SIP_RCVBUF / 1024);
}

/* How long the datagram last read from fd waited in the socket's queue:
 * the kernel's receive time (SIOCGSTAMP, on the realtime clock) against
 * now, into the window and the histogram. The first call only switches the
 * timestamps on; a datagram the kernel did not stamp (queued before that)
 * reads as the time of the call, after `before`, and is no sample. */
static void sojourn_since(const struct timeval *stamp)
{
    struct timespec before;
    clock_gettime(CLOCK_REALTIME, &before);
    const struct timeval tv = *stamp;
    int64_t us = ((int64_t)before.tv_sec - tv.tv_sec) * 1000000 + before.tv_nsec / 1000 - tv.tv_usec;
    if (us <= 0 || us > 60 * 1000000LL) /* not stamped, or a clock step */
        return;
    int64_t now = mono_us();
    step(now);
    ovl_sojourn(&ovl, now, us);
    tel_hist_add(&delay, us);
}

static void sojourn(int fd)
{
    struct timeval tv;
    if (ioctl(fd, SIOCGSTAMP, &tv) == 0)
        sojourn_since(&tv);
}

static bool early_recv(struct sa *src, struct mbuf *mb, void *arg);

/* Every request over UDP: its wait in the queue; the first one also shows
 * which socket is SIP's, which gets its buffer and the early look. */
void overload_seen(const struct sip_msg *msg)
{
    if (msg->tp != SIP_TRANSP_UDP || !msg->sock)
        return;
    int fd = udp_sock_fd(msg->sock, sa_af(&msg->dst));
    if (fd < 0)
        return;
    if (fd != sip_fd) {
        sip_socket_seen(fd);
        /* the socket owns the helper (freed with it); a failure leaves
         * every datagram to libre, as before */
        if (early_sock != msg->sock && !udp_register_helper(NULL, msg->sock, 0, NULL, early_recv, msg->sock))
            early_sock = msg->sock;
    }
    struct timeval tv;
    if (lookahead_stamp(&tv)) /* read ahead: its wait in the socket and the queue */
        sojourn_since(&tv);
    else
        sojourn(fd);
}

/* The INVITEs answered 503 lately, by a hash of their Call-ID and branch:
 * a retransmission of one (its 503 was lost or late) gets the same 503
 * again instead of a new verdict, which could admit a call its caller has
 * given up on (libre's transaction does that for the 503s it sends).
 * Direct-mapped, 64 K entries (1 MB): some 20 s of refusals at 3,000 a
 * second before an entry is overwritten; no allocation, no expiry. */
#define MEMO_BITS 16
/* what a refused INVITE was answered: the guards' 503, or one of
 * call_incoming()'s that the early look gave (see early_refusal()) */
enum refusal { REF_NONE, REF_GUARD, REF_SILENT, REF_HALF_OPEN, REF_FULL };
static struct {
    uint64_t h;
    int kind;
} memo[1u << MEMO_BITS];

static uint64_t fnv(uint64_t h, const char *p, size_t n)
{
    for (size_t k = 0; k < n; k++)
        h = (h ^ (unsigned char)p[k]) * 1099511628211ULL;
    return (h ^ 0xff) * 1099511628211ULL;
}

static uint64_t invite_hash(const struct sipscan *s)
{
    uint64_t h = fnv(fnv(1469598103934665603ULL, s->callid, s->callid_l), s->branch, s->branch_l);
    return h ? h : 1;
}

/* The Call-IDs of the calls admitted in the last ADMITTED_US: libre keeps
 * a transaction for each (it answers a retransmitted INVITE from it, and a
 * second INVITE with the same Call-ID gets 482), which the early look does
 * not see, so an INVITE with such a Call-ID is left to libre. 8-way sets,
 * 256 K entries (4 MB): 74,000 calls admitted in 40 s at 1,850 a second
 * fill a set past 8 rarely; a set that had to forget a live entry sends
 * every INVITE of its Call-IDs to libre for that long. */
#define ADMITTED_US (40 * 1000000LL) /* an INVITE transaction's life, 64*T1 = 32 s, and margin */
#define ADMITTED_SETS (1u << 15)
#define ADMITTED_WAYS 8
static struct {
    uint64_t h[ADMITTED_WAYS];
    int64_t at[ADMITTED_WAYS];
    int64_t lossy_until;
} admitted[ADMITTED_SETS];

static uint64_t callid_hash(const struct sipscan *s)
{
    uint64_t h = fnv(1469598103934665603ULL, s->callid, s->callid_l);
    return h ? h : 1;
}

static void admitted_add(uint64_t h, int64_t now)
{
    __typeof__(admitted[0]) *set = &admitted[h % ADMITTED_SETS];
    int old = 0;
    for (int i = 0; i < ADMITTED_WAYS; i++) {
        if (set->h[i] == h || now - set->at[i] >= ADMITTED_US) {
            old = i;
            break;
        }
        if (set->at[i] < set->at[old])
            old = i;
    }
    if (set->h[old] != h && set->h[old] && now - set->at[old] < ADMITTED_US)
        set->lossy_until = set->at[old] + ADMITTED_US;
    set->h[old] = h;
    set->at[old] = now;
}

/* Whether an INVITE with this Call-ID may still have a transaction. */
static bool admitted_maybe(uint64_t h, int64_t now)
{
    __typeof__(admitted[0]) *set = &admitted[h % ADMITTED_SETS];
    if (now < set->lossy_until)
        return true;
    for (int i = 0; i < ADMITTED_WAYS; i++)
        if (set->h[i] == h && now - set->at[i] < ADMITTED_US)
            return true;
    return false;
}

/* The To tag of the 503 to a new call: a keyed hash of its Call-ID, so
 * that a retransmission gets the same one and the early look knows the
 * ACKs of its own refusals (libre's tags are random: one that matched
 * would be a 1 in 2**64 chance). */
static uint64_t refusal_tag(const char *callid, size_t n)
{
    return fnv(tag_key, callid, n);
}

/* The INVITE the early look admitted, on its way through libre to
 * overload_refuse(), which must not judge it again. */
static uint64_t early_admitted;

static void early_reset(void)
{
    memset(admitted, 0, sizeof(admitted));
    memset(memo, 0, sizeof(memo));
    early_admitted = 0;
    lookahead_reset();
}

/* 503 (RFC 7339's oc to a carrier that asked for it, Retry-After to the
 * others) into out: its length and where it goes, or -1. */
static int reply_text(const struct sipscan *s, const struct sa *src, enum sip_transp tp, const char *addr, int kind, char *out,
                      size_t cap, struct sa *dst)
{
    char seq[32];
    struct ovl_reply r = {retry_after, false, 0, (int)(OVL_CALM_US / 1000), NULL, refusal_tag(s->callid, s->callid_l), NULL};
    const struct sipscan_hdr *via = NULL;
    for (int i = 0; i < s->n && !via; i++)
        if (s->h[i].kind == SS_VIA)
            via = &s->h[i];
    if (kind == REF_HALF_OPEN) { /* halfopen_refuse()'s */
        r.retry_after = (int)(rt.cfg.ack_timeout / 1000000);
        r.extra = HALFOPEN_WARNING;
    } else if (kind == REF_FULL) { /* sip.max_calls's has no Retry-After */
        r.retry_after = 0;
    } else if (via && addr_list_has(&oc_trunks, addr) && ovl_via_has_oc(via->val, via->vl)) {
        int64_t ms = clock_now() / 1000;
        if (ms <= oc_seq_last) /* oc-seq only grows */
            ms = oc_seq_last + 1;
        oc_seq_last = ms;
        snprintf(seq, sizeof(seq), "%lld.%03lld", (long long)(ms / 1000), (long long)(ms % 1000));
        r.oc = true;
        r.oc_pct = ovl_oc(&ovl);
        r.oc_seq = seq;
    }
    int n = ovl_reply_build(s, src, tp, &r, out, cap, dst);
    if (n >= 0 && r.oc)
        atomic_fetch_add_explicit(&m.oc_replies, 1, memory_order_relaxed);
    return n;
}

/* the real-time thread's, one answer at a time: twice what libre reads of
 * a datagram (the fields copied, and room for rport, received, a tag) */
static char reply_buf[16384];

static void reply_503(const struct sip_msg *msg, const struct sipscan *s, const char *src, int kind)
{
    struct sa dst;
    struct mbuf *mb = NULL;
    int n = s ? reply_text(s, &msg->src, msg->tp, src, kind, reply_buf, sizeof(reply_buf), &dst) : -1;
    if (n >= 0 && (mb = mbuf_alloc((size_t)n)) && !mbuf_write_mem(mb, (const uint8_t *)reply_buf, (size_t)n)) {
        mb->pos = 0;
        sip_send(rt.sip, msg->sock, msg->tp, &dst, mb);
    } else if (retry_after) { /* more Vias than SIPSCAN_HDRS, or longer than reply_buf: libre's own */
        sip_replyf(rt.sip, msg, 503, "Service Unavailable", "Retry-After: %d\r\nContent-Length: 0\r\n\r\n", retry_after);
    } else {
        sip_reply(rt.sip, msg, 503, "Service Unavailable");
    }
    mem_deref(mb);
}

/* The guards' verdict on a new call, both ways in: REF_NONE (admitted,
 * counted), else how it is refused (counted and remembered when new; a
 * retransmission of a refused one gets its earlier answer, uncounted). */
static int judge(const struct sipscan *s, const char *src)
{
    uint64_t h = invite_hash(s);
    __typeof__(memo[0]) *slot = &memo[h & ((1u << MEMO_BITS) - 1)];
    if (slot->h == h) /* a retransmission of a refused INVITE: the same answer, not counted again */
        return slot->kind;
    int64_t now = mono_us();
    step(now); /* a window that ends here is published and logged like any other */
    enum ovl_verdict v = ovl_admit(&ovl, now);
    if (v == OVL_ADMIT) {
        atomic_fetch_add_explicit(&m.admitted, 1, memory_order_relaxed);
        return REF_NONE;
    }
    atomic_fetch_add_explicit(&m.refused[v == OVL_REFUSE_DELAY ? R_DELAY : R_RATE], 1, memory_order_relaxed);
    tel_count(M_CALLS_REFUSED, 1);
    if (addr_list_has(&silent_trunks, src)) {
        /* not remembered: the carrier waits on, and a retransmission
         * admitted later is a late answer it still takes */
        atomic_fetch_add_explicit(&m.silent, 1, memory_order_relaxed);
        return REF_SILENT;
    }
    slot->h = h;
    slot->kind = REF_GUARD;
    return REF_GUARD;
}

bool overload_refuse(const struct sip_msg *msg, const char *src)
{
    struct sipscan s;
    bool whole = sipscan_from_msg(msg, &s);
    if (!whole) { /* the hashes need only the Call-ID and the branch */
        s.callid = msg->callid.p, s.callid_l = msg->callid.l;
        s.branch = msg->via.branch.p, s.branch_l = msg->via.branch.l;
    }
    uint64_t h = invite_hash(&s);
    if (early_admitted == h) { /* admitted by the early look already */
        early_admitted = 0;
        return false;
    }
    int kind = judge(&s, src);
    if (kind == REF_NONE) { /* libre keeps a transaction for it from here */
        admitted_add(callid_hash(&s), mono_us());
        return false;
    }
    if (kind != REF_SILENT)
        reply_503(msg, whole ? &s : NULL, src, kind);
    return true;
}

/* What call_incoming() answers a new call the guards admitted, when it is
 * a 503 the early look can give (after the same 404 check, which stays
 * libre's): a source over sip.half_open_max (counted and logged by
 * halfopen_over()), or every call slot taken. REF_NONE: libre's. */
static int early_refusal(const struct sipscan *s, const struct sa *src, const char *addr)
{
    char user[64];
    struct pl u = {s->user, s->user_l};
    pl_copy(&u, user, sizeof(user));
    if (!dialplan_country(user))
        return REF_NONE;
    /* the calls admitted ahead of this one and not yet libre's count too:
     * read ahead (lookahead.c), they would be refused later by libre's path */
    if (halfopen_over(src, addr, lookahead_pending(src)))
        return REF_HALF_OPEN;
    if (rt.ncalls + lookahead_pending(NULL) < rt.cfg.max_calls)
        return REF_NONE;
    tel_count(M_CALLS_REFUSED, 1);
    return REF_FULL;
}

/* The ACK of a 503 the early look sent (its To tag is refusal_tag()'s):
 * libre would find no transaction and no session for it and do nothing;
 * consumed here, the queue behind it is not kept waiting for its parse. */
static bool early_ack(const struct sa *src, const char *buf, size_t len, int fd)
{
    struct pl callid, tag;
    char want[17];
    (void)src;
    if (!sipscan_ack(buf, len, &callid, &tag) || tag.l != 16)
        return false;
    snprintf(want, sizeof(want), "%016llx", (unsigned long long)refusal_tag(callid.p, callid.l));
    if (memcmp(tag.p, want, 16))
        return false;
    sojourn(fd);
    atomic_fetch_add_explicit(&m.early_acks, 1, memory_order_relaxed);
    return true;
}

/* The early look at one datagram from src: true when it was a new call
 * refused here (answered with sendto(), or not at all for a silent
 * carrier), false when it goes to libre (early_admitted set when it was
 * judged and admitted). */
static bool early_one(const struct sa *src, const char *buf, size_t len, int fd)
{
    struct sipscan s;
    struct sa dst;
    char addr[64];
    int n = 0;
    early_admitted = 0;
    if (len && buf[0] == 'A')
        return early_ack(src, buf, len, fd);
    if (!sipscan_invite(buf, len, &s) || sa_ntop(src, addr, sizeof(addr)) || !addr_list_has(&rt.cfg.trunks, addr) ||
        addr_list_has(&rt.cfg.trunks_tls, addr) || admitted_maybe(callid_hash(&s), mono_us()))
        return false;
    int kind = judge(&s, addr);
    if (kind == REF_NONE && (kind = early_refusal(&s, src, addr)) != REF_NONE) {
        uint64_t h = invite_hash(&s); /* its retransmissions get the same answer */
        memo[h & ((1u << MEMO_BITS) - 1)].h = h;
        memo[h & ((1u << MEMO_BITS) - 1)].kind = kind;
    }
    if (kind == REF_NONE) { /* libre's from here, with a transaction */
        admitted_add(callid_hash(&s), mono_us());
        early_admitted = invite_hash(&s);
        return false;
    }
    /* an answer that cannot be built (not for what sipscan takes) is left
     * to libre's path, where the refusal remembered answers it, uncounted */
    if (kind != REF_SILENT && (n = reply_text(&s, src, SIP_TRANSP_UDP, addr, kind, reply_buf, sizeof(reply_buf), &dst)) < 0)
        return false;
    sojourn(fd); /* libre will not see it: overload_seen() would have */
    atomic_fetch_add_explicit(&m.early, 1, memory_order_relaxed);
    if (kind != REF_SILENT)
        sendto(fd, reply_buf, (size_t)n, MSG_DONTWAIT, &dst.u.sa, dst.len);
    return true;
}

/* early_one() as lookahead.c's judge: its mark with the datagram. */
static bool early_judge(const struct sa *src, const char *buf, size_t len, int fd, uint64_t *mark)
{
    bool refused = early_one(src, buf, len, fd);
    *mark = early_admitted;
    return refused;
}

/* The early look, a UDP helper on SIP's socket: libre calls it with each
 * datagram before its own parse. While new calls may be refused (an
 * overload, the rate guard, every call slot taken), a new call from a trunk
 * that sipscan_invite() is sure of is judged here, and when refused
 * answered and consumed; everything else goes on to libre unchanged, an
 * INVITE admitted here marked so that it is not judged twice. The same
 * verdict, answer and counters as overload_refuse() and call_incoming(),
 * without waiting behind libre's parse of every datagram queued before:
 * lookahead.c reads the socket ahead of libre meanwhile. */
static bool early_recv(struct sa *src, struct mbuf *mb, void *arg)
{
    /* woken by this datagram: the ones right behind it are read with it
     * (sip.signal_batch_us; nap.c). Measured at 4x of 1,500 calls/s: SIPp,
     * no longer cut into at every datagram, acknowledged in time, and the
     * admitted rate went from 1,040-1,310 to 1,730-1,900 calls/s. */
    if (signal_nap.us > 0 && nap_slept(&signal_nap)) {
        int64_t now = mono_us(), until = nap_plan(&signal_nap, now, tick_after(now));
        if (until)
            nap_sleep(&signal_nap, until);
    }
    early_admitted = 0;
    int pending = lookahead_pending(NULL);
    bool shedding = early_on && (ovl.overloaded || ovl.rate > 0 || rt.ncalls + pending >= rt.cfg.max_calls ||
                                 halfopen_count() + pending >= rt.cfg.half_open_max);
    int fd = udp_sock_fd(arg, sa_af(src));
    if (fd < 0)
        return false;
    uint64_t mark;
    bool done = lookahead_turn(src, mb, fd, shedding, early_judge, &mark);
    early_admitted = mark; /* the mark of what libre parses now */
    return done;
}

void overload_metrics(struct sbuf *b)
{
    sbuf_addf(b,
              "# HELP wasl_sip_overload Whether new calls are being shed because wasl cannot keep up (1) or not (0).\n"
              "# TYPE wasl_sip_overload gauge\nwasl_sip_overload %d\n"
              "# HELP wasl_sip_overload_admit_ratio Share of new calls the delay guard admits (1: all).\n"
              "# TYPE wasl_sip_overload_admit_ratio gauge\nwasl_sip_overload_admit_ratio %.3f\n"
              "# HELP wasl_sip_overload_episodes_total Times an overload began.\n"
              "# TYPE wasl_sip_overload_episodes_total counter\nwasl_sip_overload_episodes_total %llu\n"
              "# HELP wasl_sip_admitted_total New calls (out of dialog INVITEs from trunks) the overload guards let in.\n"
              "# TYPE wasl_sip_admitted_total counter\nwasl_sip_admitted_total %llu\n"
              "# HELP wasl_sip_overload_refused_total New calls refused by the overload guards, by guard.\n"
              "# TYPE wasl_sip_overload_refused_total counter\n",
              atomic_load(&m.overloaded), atomic_load(&m.admit_permille) / 1000.0, (unsigned long long)atomic_load(&m.episodes),
              (unsigned long long)atomic_load(&m.admitted));
    for (int r = 0; r < R_REASONS; r++)
        sbuf_addf(b, "wasl_sip_overload_refused_total{reason=\"%s\"} %llu\n", reason_names[r],
                  (unsigned long long)atomic_load(&m.refused[r]));
    sbuf_addf(b,
              "# HELP wasl_sip_overload_silent_total Of those, refused without an answer (sip.trunks_overload_silent).\n"
              "# TYPE wasl_sip_overload_silent_total counter\nwasl_sip_overload_silent_total %llu\n"
              "# HELP wasl_sip_overload_oc_total Of those, answered with RFC 7339 oc parameters (sip.trunks_oc).\n"
              "# TYPE wasl_sip_overload_oc_total counter\nwasl_sip_overload_oc_total %llu\n"
              "# HELP wasl_sip_overload_early_total New calls refused as they came off the socket, before libre's parse "
              "(sip.overload_early): by the overload guards or because every call slot was taken (sip.max_calls).\n"
              "# TYPE wasl_sip_overload_early_total counter\nwasl_sip_overload_early_total %llu\n"
              "# HELP wasl_sip_overload_early_acks_total ACKs of those 503s taken off the socket before libre's parse.\n"
              "# TYPE wasl_sip_overload_early_acks_total counter\nwasl_sip_overload_early_acks_total %llu\n"
              "# HELP wasl_sip_queue_delay_window_seconds The last window's standing delay (smallest wait, or the loop's lag).\n"
              "# TYPE wasl_sip_queue_delay_window_seconds gauge\nwasl_sip_queue_delay_window_seconds %.6f\n"
              "# HELP wasl_loop_lag_seconds How late the media ticker ran, the least over the last window.\n"
              "# TYPE wasl_loop_lag_seconds gauge\nwasl_loop_lag_seconds %.6f\n"
              "# HELP wasl_sip_udp_queue_bytes Bytes waiting in the SIP UDP socket's receive queue (kernel accounting).\n"
              "# TYPE wasl_sip_udp_queue_bytes gauge\nwasl_sip_udp_queue_bytes %lld\n"
              "# HELP wasl_sip_udp_drops_total SIP datagrams the kernel dropped because the socket's queue was full.\n"
              "# TYPE wasl_sip_udp_drops_total counter\nwasl_sip_udp_drops_total %llu\n",
              (unsigned long long)atomic_load(&m.silent), (unsigned long long)atomic_load(&m.oc_replies),
              (unsigned long long)atomic_load(&m.early), (unsigned long long)atomic_load(&m.early_acks),
              atomic_load(&m.signal_us) / 1e6, atomic_load(&m.lag_us) / 1e6, (long long)atomic_load(&m.udp_queue),
              (unsigned long long)atomic_load(&m.udp_drops));
    sbuf_addf(b,
              "# HELP wasl_sip_thread_busy_ratio Share of the last 100 ms the SIP thread worked (its CPU time; "
              "sip.overload_busy_percent).\n# TYPE wasl_sip_thread_busy_ratio gauge\nwasl_sip_thread_busy_ratio %.3f\n",
              atomic_load(&m.busy_permille) / 1000.0);
    nap_metrics(b, "sip", &signal_nap, "sip.signal_batch_us");
    lookahead_metrics(b);
    tel_hist_text(b, "wasl_sip_queue_delay_seconds", "How long each SIP request over UDP waited in the socket's queue.", &delay);
}
