/*
 * The telephony engine: one real-time thread runs libre's loop (SIP over UDP
 * and TCP, RTP, timers) and owns every call, leg and registration. Nothing
 * else touches them: other threads read the snapshot it publishes and send
 * it commands as messages (snapshot.c), never waiting on it for more than a
 * bounded moment; the store is reached through a worker (jobs.c) whose
 * answers come back through the same message queue. One media ticker, a
 * timerfd beating every TICK_MS in libre's loop, paces RTP and runs
 * everything due (digit time-outs, ring time-outs, expiries): libre's timer
 * list is O(n) to insert into, so there is no timer per call and the ticker
 * is not a libre timer either.
 *
 * Who may talk to wasl is decided first, for every request: trunks (the
 * carriers' addresses) may call, agents' phones (their networks) may
 * register; anything else is dropped without an answer.
 */
#include <sched.h>
#include <stdarg.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <openssl/ssl.h>
#include <sodium.h>

#include "rt.h"
#include "calendar/calendar.h"
#include "cluster/cluster.h"
#include "events/events.h"

struct rt rt;

const struct conf_def tel_conf[] = {
    {"sip.enabled", CONF_BOOL, "true", 0, 0, "take calls: SIP and RTP listeners and the IVR"},
    {"sip.address", CONF_STR, "127.0.0.1", 0, 0, "address the SIP and RTP sockets listen on"},
    {"sip.port", CONF_INT, "5060", 1, 65535, "SIP port (UDP, and TCP when sip.tcp is on)"},
    {"sip.tcp", CONF_BOOL, "true", 0, 0, "listen for SIP over TCP as well as UDP"},
    {"sip.trunks", CONF_STR, "127.0.0.1,::1", 0, 0,
     "carriers' addresses or networks that may send calls (comma separated); INVITEs from anywhere else get no answer"},
    {"sip.phones", CONF_STR, "127.0.0.0/8,::1", 0, 0, "networks the agents' phones register from; other REGISTERs get no answer"},
    {"sip.path_from", CONF_STR, "", 0, 0,
     "proxies (addresses or networks, e.g. Kamailio in front of several nodes) that may add a Path (RFC 3327) to the "
     "phones' REGISTERs; every hop of a Path must be one of them, else the REGISTER gets 403. Empty: no Path is taken"},
    {"sip.tls_port", CONF_INT, "0", 0, 65535,
     "SIP over TLS port for the agents' phones (and carriers that use TLS); 0: no TLS listener. Needs sip.tls_cert and "
     "sip.tls_key"},
    {"sip.tls_cert", CONF_PATH, "", 0, 0, "PEM certificate of the SIP TLS listener (the server's first, then its chain)"},
    {"sip.tls_key", CONF_PATH, "", 0, 0, "PEM private key of sip.tls_cert (keep it readable by wasl only)"},
    {"sip.phones_tls", CONF_BOOL, "false", 0, 0,
     "agents' phones must register over TLS: a REGISTER over UDP or TCP gets 403 (needs sip.tls_port)"},
    {"sip.phones_srtp", CONF_STR, "optional", 0, 0,
     "SRTP (SDES) on the agents' phone legs: off; optional (offered with the call to phones registered over TLS, used "
     "when the phone answers with a key); required (RTP/SAVP only: a phone that cannot is not rung)"},
    {"sip.trunks_tls", CONF_STR, "", 0, 0,
     "carriers (addresses or networks, a part of sip.trunks) whose calls must come over TLS; others get 403"},
    {"sip.trunks_srtp", CONF_STR, "", 0, 0,
     "carriers whose SRTP (SDES) offers wasl accepts (SRTP optional); the other carriers' calls stay plain RTP"},
    {"sip.trunks_srtp_required", CONF_STR, "", 0, 0,
     "carriers whose calls must be SRTP (SDES): a plain RTP offer from them gets 488"},
    {"sip.srtp_keys_in_clear", CONF_BOOL, "false", 0, 0,
     "allow SRTP keys (a=crypto) in SIP that is not over TLS; off: such offers get 488 and no key is sent, since "
     "anyone who sees the signalling can then decrypt the audio"},
    {"sip.realm", CONF_STR, "wasl", 0, 0, "digest realm of the agents' SIP accounts (changing it invalidates their passwords)"},
    {"sip.rtp_min", CONF_INT, "20000", 1024, 65534, "lowest RTP port"},
    {"sip.rtp_max", CONF_INT, "40000", 1026, 65535, "highest RTP port (two per leg: RTP and RTCP)"},
    {"sip.realtime_priority", CONF_INT, "10", 0, 99,
     "SCHED_RR priority of the thread that paces RTP (0: normal scheduling); needs root or CAP_SYS_NICE"},
    {"sip.media_threads", CONF_INT, "1", 0, 1,
     "threads that send and receive the calls' RTP (prompts, the relay, recordings, mixers), apart from the SIP "
     "thread; 0: all on the SIP thread"},
    {"sip.media_send_queue", CONF_INT, "4096", 0, 65536,
     "RTP packets the media thread may hand to a sender thread of their own, which sends them on the other core "
     "(a full queue: the media thread sends the packet itself, counted); 0: the media thread sends them"},
    {"sip.media_batch_us", CONF_INT, "500", 0, 10000,
     "microseconds the media thread, woken by a packet, waits for more before it reads on (one wake-up for many "
     "packets; never past its next pacing tick); a relayed packet waits at most this long; 0: it reads each at once"},
    {"sip.max_calls", CONF_INT, "2000", 1, 20000, "calls at once; more get 503"},
    {"sip.half_open_max", CONF_INT, "200", 1, 20000,
     "calls answered but not yet acknowledged (no ACK) from one address; its INVITEs beyond get 503 with Retry-After. "
     "Size it above a carrier's call rate times its ACK delay"},
    {"sip.ack_timeout", CONF_DURATION, "8s", 1, 32,
     "a call whose ACK has not come this long after wasl's 200 is ended (outcome no_ack) and its slot freed"},
    {"sip.flow", CONF_PATH, "", 0, 0, "IVR flow file (empty: data/ivr/main.json)"},
    {"sip.queues", CONF_PATH, "", 0, 0,
     "the distributor's queues: languages x services, limits, strategies (empty: data/tel/queues.json)"},
    {"sip.prompts_dir", CONF_PATH, "", 0, 0, "generated prompts (empty: build/prompts next to the program)"},
    {"sip.queue_announce", CONF_DURATION, "45s", 0, 3600,
     "a waiting caller hears their place in the queue and the expected wait this often (0: never)"},
    {"sip.ring_timeout", CONF_DURATION, "20s", 3, 300, "an agent's phone rings this long before the call goes to another agent"},
    {"sip.wrap_up", CONF_DURATION, "10s", 0, 3600, "after a call, the agent gets no new call for this long"},
    {"sip.rtp_timeout", CONF_DURATION, "60s", 5, 3600, "a call whose caller sends no audio for this long is ended"},
    {"sip.session_refresh", CONF_DURATION, "15m", 5, 86400, "a re-INVITE checks the caller is still there this often"},
    {"sip.register_max", CONF_DURATION, "1h", 60, 86400, "longest registration of an agent's phone"},
    {"sip.auth_failures", CONF_INT, "5", 1, 1000, "failed REGISTER authentications from one address before it is locked out"},
    {"sip.auth_lockout", CONF_DURATION, "15m", 1, 86400, "how long a locked-out address is ignored"},
    {"sip.recording", CONF_BOOL, "false", 0, 0, "record calls with an agent (stereo WAV: caller left, agent right)"},
    {"sip.recording_countries", CONF_STR, "", 0, 0, "record only calls to these countries' numbers (ISO codes; empty: all)"},
    {"sip.recording_dir", CONF_PATH, "recordings", 0, 0, "folder of call recordings and voice messages"},
    {"sip.recording_retention", CONF_DURATION, "90d", 3600, 3650 * 86400LL, "recordings are deleted after this long"},
    {"sip.outbound_proxy", CONF_STR, "", 0, 0,
     "the carrier's address:port for calls wasl makes (callbacks are dialled through it; empty: callbacks are only stored)"},
    {"sip.callback_hours", CONF_STR, "09:00-20:00", 0, 0,
     "callbacks are dialled between these hours of the citizen's local time (and while the center is open)"},
    {"sip.callback_attempts", CONF_INT, "3", 1, 20, "a callback is tried this many times before it is given up"},
    {"sip.callback_retry", CONF_DURATION, "15m", 10, 86400, "a callback not answered is tried again after this long"},
    {"sip.callback_ring", CONF_DURATION, "30s", 5, 120, "the citizen's phone rings this long"},
    {"sip.callback_max_active", CONF_INT, "4", 1, 1000, "callbacks dialled or waiting for an agent at once"},
    {"sip.callback_poll", CONF_DURATION, "30s", 1, 3600,
     "how often the store is asked for callbacks due (also at once when one is added or an agent is free)"},
};
const size_t tel_conf_count = sizeof(tel_conf) / sizeof(tel_conf[0]);

static pthread_mutex_t mx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int start_err;
static bool start_done;
/* Flows replaced while calls still walked them: freed when the last such
 * call has ended (checked at reload and at stop). */
#define OLD_FLOWS 16
static struct ivr_flow *old_flows[OLD_FLOWS];
static char flow_path[1200];
static const struct recovered *recovered; /* what the last run left, read at start */

/* ---- metrics ---- */
static _Atomic uint64_t counters[M_COUNTERS];
static const double pacing_bounds_ms[] = {0.5, 1, 2, 5, 10, 20};
static struct tel_hist pacing = {.bounds_ms = pacing_bounds_ms, .n = sizeof(pacing_bounds_ms) / sizeof(pacing_bounds_ms[0])};
static _Atomic int active_calls, active_regs, half_open_calls;

void tel_count(enum tel_counter k, uint64_t n)
{
    atomic_fetch_add_explicit(&counters[k], n, memory_order_relaxed);
}

void tel_hist_add(struct tel_hist *h, int64_t us)
{
    size_t b = h->n;
    if (us < 0)
        us = 0;
    for (size_t i = 0; i < h->n; i++)
        if (us <= h->bounds_ms[i] * 1000) {
            b = i;
            break;
        }
    atomic_fetch_add_explicit(&h->b[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum_us, (uint64_t)us, memory_order_relaxed);
}

void tel_hist_text(struct sbuf *b, const char *name, const char *help, struct tel_hist *h)
{
    uint64_t cum = 0;
    sbuf_addf(b, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    for (size_t i = 0; i <= h->n; i++) {
        cum += atomic_load_explicit(&h->b[i], memory_order_relaxed);
        if (i < h->n)
            sbuf_addf(b, "%s_bucket{le=\"%g\"} %llu\n", name, h->bounds_ms[i] / 1000, (unsigned long long)cum);
        else
            sbuf_addf(b, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)cum);
    }
    sbuf_addf(b, "%s_sum %.6f\n%s_count %llu\n", name, atomic_load(&h->sum_us) / 1e6, name, (unsigned long long)cum);
}

void tel_metric_pacing(int64_t err_us)
{
    tel_hist_add(&pacing, err_us);
}

char *tel_metrics_text(void)
{
    static const char *const names[M_COUNTERS][2] = {
        {"wasl_sip_calls_total", "Calls answered"},
        {"wasl_sip_calls_refused_total", "INVITEs refused (unknown number, full, bad offer)"},
        {"wasl_sip_dropped_total", "SIP requests from unknown or locked-out sources, dropped unanswered"},
        {"wasl_sip_registrations_total", "Successful REGISTERs"},
        {"wasl_sip_auth_failures_total", "Failed REGISTER authentications"},
        {"wasl_sip_lockouts_total", "Source addresses locked out after failed authentications"},
        {"wasl_rtp_packets_sent_total", "RTP packets sent"},
        {"wasl_rtp_packets_received_total", "RTP packets received"},
        {"wasl_dtmf_digits_total", "DTMF digits received"},
        {"wasl_calls_bridged_total", "Calls bridged to an agent"},
        {"wasl_queue_announcements_total", "Places in the queue and expected waits told to waiting callers"},
        {"wasl_rtp_foreign_packets_total", "RTP packets dropped: from another source than the leg's peer (strict RTP)"},
        {"wasl_sip_auth_replays_total", "REGISTERs whose digest answer was used before (replays), challenged again"},
        {"wasl_sip_accounts_reloads_total",
         "Times the SIP accounts were read again after a change (here, on another node or by the CLI)"},
        {"wasl_srtp_packets_sent_total", "RTP packets sent encrypted (SRTP)"},
        {"wasl_srtp_packets_received_total", "SRTP packets received whose authentication tag verified"},
        {"wasl_srtp_dropped_total", "SRTP packets dropped: wrong key or authentication tag (forged, damaged), or replayed"},
        {"wasl_sip_register_not_tls_total", "REGISTERs refused because they did not come over TLS (sip.phones_tls)"},
        {"wasl_sip_malformed_total", "Malformed SIP requests from trunks and phones: answered 400, 416 or 420, or dropped"},
        {"wasl_sip_half_open_refused_total",
         "INVITEs refused with 503 because their source had sip.half_open_max calls not acknowledged"},
        {"wasl_sip_ack_timeouts_total", "Answered calls ended because their ACK did not come within sip.ack_timeout"},
    };
    struct sbuf b;
    sbuf_init(&b, 1u << 20);
    if (!rt.running)
        return sbuf_take(&b);
    for (int k = 0; k < M_COUNTERS; k++)
        sbuf_addf(&b, "# HELP %s %s.\n# TYPE %s counter\n%s %llu\n", names[k][0], names[k][1], names[k][0], names[k][0],
                  (unsigned long long)atomic_load_explicit(&counters[k], memory_order_relaxed));
    sbuf_addf(&b, "# HELP wasl_sip_calls_active Calls in progress.\n# TYPE wasl_sip_calls_active gauge\nwasl_sip_calls_active %d\n",
              atomic_load(&active_calls));
    sbuf_addf(&b,
              "# HELP wasl_sip_calls_half_open Calls answered whose ACK has not come.\n# TYPE wasl_sip_calls_half_open gauge\n"
              "wasl_sip_calls_half_open %d\n",
              atomic_load(&half_open_calls));
    sbuf_addf(&b,
              "# HELP wasl_sip_registered_phones Agents' phones registered.\n# TYPE wasl_sip_registered_phones gauge\n"
              "wasl_sip_registered_phones %d\n",
              atomic_load(&active_regs));
    tel_hist_text(&b, "wasl_rtp_pacing_error_seconds", "How late each RTP packet left against its due time.", &pacing);
    sbuf_addf(&b,
              "# HELP wasl_recording_frames_dropped_total Recorded 20 ms frames dropped because the disk did not keep up "
              "(silence in the file).\n# TYPE wasl_recording_frames_dropped_total counter\n"
              "wasl_recording_frames_dropped_total %llu\n",
              (unsigned long long)rec_frames_dropped());
    struct rec_stats rs;
    rec_stats(&rs);
    sbuf_addf(&b,
              "# HELP wasl_recordings_active Recordings being streamed to disk: calls' and voice messages.\n"
              "# TYPE wasl_recordings_active gauge\nwasl_recordings_active{kind=\"call\"} %d\n"
              "wasl_recordings_active{kind=\"message\"} %d\n",
              rs.calls, rs.messages);
    sbuf_addf(&b,
              "# HELP wasl_recording_buffer_bytes Memory the recordings hold (a fixed ring and window each, open or kept "
              "ready): constant per recording whatever its length.\n# TYPE wasl_recording_buffer_bytes gauge\n"
              "wasl_recording_buffer_bytes %zu\n",
              rs.bytes);
    overload_metrics(&b);
    media_lock_metrics(&b);
    media_sender_metrics(&b);
    return sbuf_take(&b);
}

int64_t mono_us(void)
{
    return clock_mono_us();
}

struct tcall *call_find(uint64_t id)
{
    for (struct le *le = rt.calls.head; le; le = le->next) {
        struct tcall *c = le->data;
        if (c->id == id)
            return c;
    }
    return NULL;
}

void rt_log_call(const struct tcall *c, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_info("tel: call %llu (%s %s): %s", (unsigned long long)c->id, c->country, c->did, msg);
}

/* ---- running things on the real-time thread ---- */

/* New requests are taken while this is true. tel_stop() clears it under mx
 * before it queues MQ_STOP, so every request queued before is handled before
 * the loop ends and nothing is ever pushed into the freed queue. */
static bool accepting;

/* tel_stop() ran: a request now meets a telephony that is going away, not
 * one that is about to start. */
static _Atomic bool stopped;

int tel_not_running(void)
{
    if (conf_bool("sip.enabled") && !cluster_leading())
        return err_set(WASL_EDB, "cluster.standby",
                       "this node stands by: the telephony runs on the node that holds the distributor's lease (see /healthz)");
    if (conf_bool("sip.enabled") && !atomic_load(&stopped))
        return err_set(WASL_EDB, "tel.starting", "the telephony is starting on this node; try again in a moment");
    return err_set(WASL_ECONFLICT, "tel.not_running", "the telephony is not running (sip.enabled, or stopping)");
}

int tel_post(int id, void *data)
{
    int err = 0;
    pthread_mutex_lock(&mx);
    if (!accepting)
        err = tel_not_running();
    else if (mqueue_push(rt.mq, id, data))
        err = err_set(WASL_EINTERNAL, "tel.queue", "cannot reach the telephony thread");
    pthread_mutex_unlock(&mx);
    return err;
}

static void mq_handler(int id, void *data, void *arg)
{
    if (id == MQ_JOB) {
        calls_job_done(data);
    } else if (id == MQ_CMD) {
        snap_cmd_run(data);
    } else if (id == MQ_DIGIT) {
        media_digit_run(data);
    } else if (id == MQ_STOP) {
        re_cancel();
    }
}

int tel_post_digit(void *m)
{
    return mqueue_push(rt.mq, MQ_DIGIT, m);
}

void tel_post_job(void *job)
{
    mqueue_push(rt.mq, MQ_JOB, job);
}

/* ---- the ticker ----
 * A timerfd watched by libre's loop, not a libre timer: libre keeps its
 * timers in a sorted list and inserting walks it from the tail, so a timer
 * re-armed every 2 ms walks past every SIP transaction's 32 s timer each
 * time (a quarter of the CPU at 300 calls/s when it was a libre timer). */

static int tick_fd = -1;
static bool tick_fast;

/* A periodic timerfd whose expiries fall on multiples of the period on the
 * monotonic clock: the grid a leg's packets are due on (a ticker started at
 * any phase made every packet as late as the phase, up to a tick, and the
 * pacing figures with it). The next expiry is tick_after()'s (nap.c). */
void ticker_arm(int fd, int64_t period_us)
{
    int64_t now = mono_us(), first = now - now % period_us + period_us;
    struct itimerspec its = {{period_us / 1000000, period_us % 1000000 * 1000}, {first / 1000000, first % 1000000 * 1000}};
    timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void ticker_set(bool fast)
{
    tick_fast = fast;
    ticker_arm(tick_fd, (fast ? TICK_MS : 20) * 1000);
}

/* At midnight in the center's zone, the agents' calls of the day start
 * from 0 again (the "fewest calls today" strategy counts them). Checked
 * once a minute. */
static void new_day_check(int64_t now)
{
    static int64_t next;
    static int day = -1;
    const struct tz *z;
    struct tz_local l;
    if (now < next)
        return;
    next = now + 60 * 1000000LL;
    if (tz_get(calendar_zone(), &z) || tz_to_local(z, clock_now_sec(), &l)) {
        err_clear();
        return;
    }
    if (day >= 0 && l.yday != day) {
        acd_new_day(rt.acd);
        log_info("tel: a new day in %s: the agents' calls of the day start from 0", calendar_zone());
    }
    day = l.yday;
}

static void tick(int flags, void *arg)
{
    uint64_t expirations;
    if (read(tick_fd, &expirations, sizeof(expirations)) < 0)
        return;
    int64_t now = mono_us();
    overload_tick(now, expirations, (tick_fast ? TICK_MS : 20) * 1000);
    tmrwheel_tick(tmr_jiffies());
    if (!media_threaded())
        media_tick(now);
    if (rt.ncalls < CALLS_TICK_MANY || now - rt.last_calls_tick >= CALLS_TICK_US) {
        rt.last_calls_tick = now;
        calls_tick(now);
    }
    practice_tick(now);
    if (now - rt.last_sweep >= 100000) {
        rt.last_sweep = now;
        acd_tick(rt.acd, now); /* the ACD runs on the monotonic clock */
        registrar_sweep(now);
        atomic_store(&active_calls, rt.ncalls);
        atomic_store(&half_open_calls, halfopen_count());
        atomic_store(&active_regs, registrar_count());
        new_day_check(now);
    }
    snap_tick(now);
    /* With no call at all, a slower beat; a new call wakes it. */
    bool busy = rt.ncalls > 0 || practice_count() > 0;
    if (tick_fast != busy)
        ticker_set(busy);
}

void ticker_wake(void)
{
    if (!tick_fast)
        ticker_set(true);
}

/* ---- who may talk to us ---- */

/* A request sipcheck.c finds malformed (from a trunk or a phone): answered
 * with its 4xx, or dropped when nothing can be answered. True: done with. */
static bool malformed(const struct sip_msg *msg, const char *src)
{
    const char *reason;
    int code = sipcheck_request(msg, &reason);
    if (code == SIPCHECK_OK)
        return false;
    if (!pl_strcmp(&msg->met, "REGISTER") && registrar_locked_out(src))
        code = SIPCHECK_DROP; /* a locked-out address's REGISTERs get no answer, malformed or not */
    static struct log_gate gate;
    tel_count(M_MALFORMED, 1);
    uint64_t more = 0;
    if (log_gate_open(&gate, mono_us(), &more))
        log_warn("tel: malformed %.*s from %s: %s (%llu more malformed requests since the last such line)", (int)msg->met.l,
                 msg->met.p, src, reason ? reason : "no Via to answer through, dropped", (unsigned long long)more);
    if (code == SIPCHECK_DROP)
        return true;
    if (code == 420) {
        char options[512];
        sipcheck_unsupported(msg, options, sizeof(options));
        sip_replyf(rt.sip, msg, 420, reason, "Unsupported: %s\r\nContent-Length: 0\r\n\r\n", options);
    } else {
        sip_reply(rt.sip, msg, (uint16_t)code, reason);
    }
    return true;
}

static bool on_request(const struct sip_msg *msg, void *arg)
{
    char src[64];
    bool trunk, phone, in_dialog = pl_isset(&msg->to.tag);

    overload_seen(msg);
    if (sa_ntop(&msg->src, src, sizeof(src)))
        return true;
    trunk = addr_list_has(&rt.cfg.trunks, src);
    phone = addr_list_has(&rt.cfg.phones, src);
    if (!trunk && !phone) {
        tel_count(M_DROPPED, 1);
        return true;
    }
    if (malformed(msg, src))
        return true;
    if (!pl_strcmp(&msg->met, "REGISTER")) {
        if (!phone) {
            tel_count(M_DROPPED, 1);
            return true;
        }
        if (rt.cfg.phones_tls && msg->tp != SIP_TRANSP_TLS) {
            /* Before the digest: a phone's password hash and location are
             * never taken over clear signalling. */
            tel_count(M_REG_NOT_TLS, 1);
            sip_replyf(rt.sip, msg, 403, "TLS Required",
                       "Warning: 399 wasl \"phones register over TLS here (transport=tls, port %d)\"\r\n"
                       "Content-Length: 0\r\n\r\n",
                       rt.cfg.tls_port);
            return true;
        }
        return registrar_request(msg);
    }
    if (!pl_strcmp(&msg->met, "OPTIONS") && !in_dialog) {
        sip_replyf(rt.sip, msg, 200, "OK", "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER\r\nContent-Length: 0\r\n\r\n");
        return true;
    }
    if (!pl_strcmp(&msg->met, "INVITE") && !in_dialog && trunk && msg->tp != SIP_TRANSP_TLS &&
        addr_list_has(&rt.cfg.trunks_tls, src)) {
        sip_replyf(rt.sip, msg, 403, "TLS Required",
                   "Warning: 399 wasl \"this carrier's calls come over TLS (sip.trunks_tls)\"\r\nContent-Length: 0\r\n\r\n");
        tel_count(M_CALLS_REFUSED, 1);
        return true;
    }
    if (!pl_strcmp(&msg->met, "INVITE") && !in_dialog && !trunk) {
        /* A phone may not place calls through wasl: no way out. */
        sip_reply(rt.sip, msg, 403, "Forbidden");
        tel_count(M_CALLS_REFUSED, 1);
        return true;
    }
    if (!pl_strcmp(&msg->met, "INVITE") && !in_dialog && overload_refuse(msg, src))
        return true; /* shed before any state exists for it */
    return false;    /* INVITEs from trunks and in-dialog requests: sipsess */
}

static void on_connect(const struct sip_msg *msg, void *arg)
{
    call_incoming(msg);
}

/* ---- start and stop ---- */

static int load_config(void)
{
    struct rt_config *c = &rt.cfg;
    int err;
    snprintf(c->address, sizeof(c->address), "%s", conf_str("sip.address"));
    c->port = (int)conf_int("sip.port");
    c->tcp = conf_bool("sip.tcp");
    snprintf(c->realm, sizeof(c->realm), "%s", conf_str("sip.realm"));
    c->rtp_min = (int)conf_int("sip.rtp_min");
    c->rtp_max = (int)conf_int("sip.rtp_max");
    c->max_calls = (int)conf_int("sip.max_calls");
    c->half_open_max = (int)conf_int("sip.half_open_max");
    c->ack_timeout = conf_int("sip.ack_timeout") * 1000000;
    c->ring_timeout = conf_int("sip.ring_timeout") * 1000000;
    c->wrap_up = conf_int("sip.wrap_up") * 1000000;
    c->queue_announce = conf_int("sip.queue_announce") * 1000000;
    c->rtp_timeout = conf_int("sip.rtp_timeout") * 1000000;
    c->refresh = conf_int("sip.session_refresh") * 1000000;
    c->max_expires = conf_int("sip.register_max");
    c->auth_failures = (int)conf_int("sip.auth_failures");
    c->auth_lockout = conf_int("sip.auth_lockout") * 1000000;
    c->recording = conf_bool("sip.recording");
    snprintf(c->recording_countries, sizeof(c->recording_countries), "%s", conf_str("sip.recording_countries"));
    snprintf(c->recording_dir, sizeof(c->recording_dir), "%s", conf_str("sip.recording_dir"));
    c->recording_retention = conf_int("sip.recording_retention");
    c->tls_port = (int)conf_int("sip.tls_port");
    snprintf(c->tls_cert, sizeof(c->tls_cert), "%s", conf_str("sip.tls_cert"));
    snprintf(c->tls_key, sizeof(c->tls_key), "%s", conf_str("sip.tls_key"));
    c->phones_tls = conf_bool("sip.phones_tls");
    c->srtp_in_clear = conf_bool("sip.srtp_keys_in_clear");
    if (c->tls_port && (!c->tls_cert[0] || !c->tls_key[0]))
        return err_set(WASL_EINVAL, "conf.invalid", "sip.tls_port needs sip.tls_cert and sip.tls_key");
    if (c->tls_port && c->tls_port == c->port && c->tcp)
        return err_set(WASL_EINVAL, "conf.invalid", "sip.tls_port is sip.port, which SIP over TCP uses already");
    if (c->phones_tls && !c->tls_port)
        return err_set(WASL_EINVAL, "conf.invalid", "sip.phones_tls needs a TLS listener (sip.tls_port)");
    if (sdes_mode_parse(conf_str("sip.phones_srtp"), &c->phones_srtp))
        return err_set(WASL_EINVAL, "conf.invalid", "sip.phones_srtp: %s", err_message());
    if (c->phones_srtp == SDES_REQUIRED && !c->phones_tls && !c->srtp_in_clear)
        return err_set(WASL_EINVAL, "conf.invalid",
                       "sip.phones_srtp = required needs sip.phones_tls (the keys travel in the phones' SIP)");
    if (c->rtp_max - c->rtp_min < 64)
        return err_set(WASL_EINVAL, "conf.invalid", "sip.rtp_max must be at least 64 above sip.rtp_min");
    if ((err = addr_list_parse(conf_str("sip.trunks"), &c->trunks)) ||
        (err = addr_list_parse(conf_str("sip.phones"), &c->phones)) ||
        (err = addr_list_parse(conf_str("sip.path_from"), &c->path_from)) ||
        (err = addr_list_parse(conf_str("sip.trunks_tls"), &c->trunks_tls)) ||
        (err = addr_list_parse(conf_str("sip.trunks_srtp"), &c->trunks_srtp)) ||
        (err = addr_list_parse(conf_str("sip.trunks_srtp_required"), &c->trunks_srtp_req)))
        return err;
    if ((c->trunks_tls.n || c->trunks_srtp_req.n) && !c->tls_port && !c->srtp_in_clear)
        return err_set(WASL_EINVAL, "conf.invalid", "sip.trunks_tls and sip.trunks_srtp_required need sip.tls_port");
    return 0;
}

/* Every change in the distributor is a change of the snapshot. */
static void acd_event_seen(void *arg, const struct acd_event *e)
{
    snap_dirty();
    acd_event_h(arg, e);
}

/* libre's own (re_tls.h declares it only under its build's USE_OPENSSL) */
struct ssl_ctx_st *tls_openssl_context(const struct tls *tls);

/* A file read whole (a PEM certificate or key), NUL-terminated; the caller
 * frees it, wiping a key first. */
static int pem_read(const char *path, const char *what, char **out, size_t *n)
{
    int err = file_read(path, out, n, 1u << 20);
    if (err)
        return err_set(WASL_EIO, "tel.tls", "%s %s: %s", what, path, err_message());
    return 0;
}

/* SIP over TLS (TLS 1.2 or later) on sip.tls_port with the certificate
 * and key of the settings. */
static int tls_listen(const struct sa *udp_addr)
{
    char *cert = NULL, *key = NULL;
    size_t ncert = 0, nkey = 0;
    struct sa a = *udp_addr;
    int err;
    sa_set_port(&a, (uint16_t)rt.cfg.tls_port);
    struct stat st;
    if (!stat(rt.cfg.tls_key, &st) && (st.st_mode & 077))
        log_warn("tel: sip.tls_key %s can be read by other accounts than wasl's (mode %03o): chmod 600 it", rt.cfg.tls_key,
                 (unsigned)(st.st_mode & 0777));
    if ((err = pem_read(rt.cfg.tls_cert, "sip.tls_cert", &cert, &ncert)) ||
        (err = pem_read(rt.cfg.tls_key, "sip.tls_key", &key, &nkey)))
        goto out;
    if ((err = tls_alloc(&rt.tls, TLS_METHOD_SSLV23, NULL, NULL))) {
        err = err_set(WASL_EINTERNAL, "tel.tls", "tls_alloc: %s", strerror(err));
        goto out;
    }
    if (!SSL_CTX_set_min_proto_version(tls_openssl_context(rt.tls), TLS1_2_VERSION)) {
        err = err_set(WASL_EINTERNAL, "tel.tls", "cannot require TLS 1.2");
        goto out;
    }
    if ((err = tls_set_certificate_pem(rt.tls, cert, ncert, key, nkey))) {
        err = err_set(WASL_EINVAL, "tel.tls", "sip.tls_cert %s and sip.tls_key %s are not a PEM certificate and its key",
                      rt.cfg.tls_cert, rt.cfg.tls_key);
        goto out;
    }
    if ((err = sip_transp_add(rt.sip, SIP_TRANSP_TLS, &a, rt.tls)))
        err = err_set(WASL_EIO, "tel.listen", "cannot listen for SIP on tls %s:%d: %s", rt.cfg.address, rt.cfg.tls_port,
                      strerror(err));
out:
    free(cert);
    if (key)
        sodium_memzero(key, nkey);
    free(key);
    return err;
}

static int rt_setup(void)
{
    struct sa laddr;
    int err;

    if ((err = libre_init()))
        return err_set(WASL_EINTERNAL, "tel.libre", "libre_init: %s", strerror(err));
    fd_setsize(16384); /* before the first socket: re's table is FD_SETSIZE otherwise */
    if (sa_set_str(&laddr, rt.cfg.address, (uint16_t)rt.cfg.port))
        return err_set(WASL_EINVAL, "conf.invalid", "sip.address '%s' is not an IP address", rt.cfg.address);
    rt.laddr = laddr;
    if ((err = sip_alloc(&rt.sip, NULL, 4096, 4096, 1024, "wasl", NULL, NULL)))
        return err_set(WASL_EINTERNAL, "tel.sip", "sip_alloc: %s", strerror(err));
    if ((err = sip_transp_add(rt.sip, SIP_TRANSP_UDP, &laddr)))
        return err_set(WASL_EIO, "tel.listen", "cannot listen for SIP on udp %s:%d: %s", rt.cfg.address, rt.cfg.port,
                       strerror(err));
    if (rt.cfg.tcp && (err = sip_transp_add(rt.sip, SIP_TRANSP_TCP, &laddr)))
        return err_set(WASL_EIO, "tel.listen", "cannot listen for SIP on tcp %s:%d: %s", rt.cfg.address, rt.cfg.port,
                       strerror(err));
    if (rt.cfg.tls_port && (err = tls_listen(&laddr)))
        return err;
    /* Ours first: it sees every request before sipsess does. */
    if ((err = sip_listen(&rt.lsnr, rt.sip, true, on_request, NULL)) ||
        (err = sipsess_listen(&rt.sock, rt.sip, 4096, on_connect, NULL)) || (err = mqueue_alloc(&rt.mq, mq_handler, NULL)) ||
        (err = sipevent_listen(&rt.evsock, rt.sip, 32, 32, NULL, NULL)))
        return err_set(WASL_EINTERNAL, "tel.sip", "listen: %s", strerror(err));
    struct acd_hooks hooks = {.offer = acd_offer_h, .cancel = acd_cancel_h, .exit = acd_exit_h, .event = acd_event_seen};
    struct acd_settings as = {rt.cfg.ring_timeout, rt.cfg.wrap_up, .no_answer_pause = true, .pause_reasons = pauses_codes()};
    if ((err = acd_new(&rt.acd, &hooks, &as)))
        return err;
    /* language x service, as data/tel/queues.json says */
    if ((err = queues_add(rt.acd)))
        return err;
    if ((err = media_loop_start()))
        return err;
    tel_store_restore(recovered, mono_us());
    if ((err = tmrwheel_init()))
        return err;
    if ((tick_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) < 0 ||
        (err = fd_listen(tick_fd, FD_READ, tick, NULL)))
        return err_set(WASL_EINTERNAL, "tel.ticker", "cannot start the media ticker");
    ticker_set(true);
    snap_start();
    return 0;
}

static void rt_teardown(void)
{
    if (tick_fd >= 0) {
        fd_close(tick_fd);
        close(tick_fd);
        tick_fd = -1;
    }
    tmrwheel_flush(); /* without the ticker, libre runs its timers alone again */
    struct le *le = rt.calls.head;
    while (le) {
        struct tcall *c = le->data;
        le = le->next;
        call_fire(c, CE_SHUTDOWN);
    }
    practice_shutdown();
    /* The calls' last rows are still written; their answers are not
     * awaited any more (the queue is about to go). */
    jobs_detach();
    calls_tick(mono_us());
    lookahead_reset(); /* what was read ahead goes with the socket */
    media_loop_stop(); /* every leg is closed: their sockets are freed there first */
    registrar_free();
    halfopen_free();
    rt.lsnr = mem_deref(rt.lsnr);
    rt.evsock = mem_deref(rt.evsock);
    if (rt.sock)
        sipsess_close_all(rt.sock);
    rt.sock = mem_deref(rt.sock);
    if (rt.sip)
        sip_close(rt.sip, true);
    rt.sip = mem_deref(rt.sip);
    rt.mq = mem_deref(rt.mq);
    rt.tls = mem_deref(rt.tls);
    acd_free(rt.acd);
    rt.acd = NULL;
    libre_close();
}

static void *rt_main(void *arg)
{
    pthread_setname_np(pthread_self(), "wasl-sip"); /* top -H, perf, the benchmarks */
    int prio = (int)conf_int("sip.realtime_priority");
    if (prio > 0) {
        struct sched_param sp = {.sched_priority = prio};
        int e = pthread_setschedparam(pthread_self(), SCHED_RR, &sp);
        if (e)
            log_warn("tel: the real-time thread runs at normal priority (%s): RTP pacing may suffer when the machine is "
                     "busy. Give wasl CAP_SYS_NICE, or set sip.realtime_priority = 0 to silence this.",
                     strerror(e));
    }
    /* this thread's log lines go through a ring, never a wait on stderr */
    if (log_ring_start()) {
        log_warn("tel: %s: the real-time thread writes its log lines itself", err_message());
        err_clear();
    }
    int err = rt_setup();
    char msg[300];
    snprintf(msg, sizeof(msg), "%s", err ? err_message() : "");
    pthread_mutex_lock(&mx);
    start_err = err;
    start_done = true;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mx);
    if (!err)
        re_main(NULL);
    rt_teardown();
    log_ring_stop();
    (void)msg;
    return NULL;
}

/* Users and SIP accounts changed in the store by another process (another
 * node, `wasl user disable`) reach this node's registrar and distributor
 * within this time: a disabled user's phone is let go, a new password or
 * new skills apply (issue 10). */
#define ACCOUNTS_POLL_MS 250
static struct db_watch *accounts_watch;
/* The phones' bindings another node wrote (a REGISTER it took, through
 * the proxy or not) reach this node's registrar within this time. */
#define BINDINGS_POLL_MS 250
static struct db_watch *bindings_watch;

static void bindings_changed(void *arg)
{
    if (tel_locations_reload(arg)) {
        log_warn("tel: the phones' bindings changed in the store could not be read yet: %s", err_message());
        err_clear();
    }
}

static void accounts_changed(void *arg)
{
    if (tel_accounts_reload(arg)) {
        log_warn("tel: the accounts changed in the store could not be applied yet: %s", err_message());
        err_clear();
    }
}

/* A call's recording finished (the writer's thread): its place in the
 * event log (and so in the call log), with the error that cut it short; a
 * voice message goes to jobs_message_done. */
static void recorded(const struct rec_done *d, void *arg)
{
    (void)arg;
    if (d->message) {
        jobs_message_done(d);
        return;
    }
    if (strlen(d->file) >= sizeof(((struct ev *)0)->c)) {
        log_error("tel: the recording of call %llu is in %s, a name too long for the event log", (unsigned long long)d->call,
                  d->file);
        return;
    }
    events_add(EV_CALL_RECORDED, (int64_t)d->call, 0, NULL, d->error, NULL, d->file, d->seconds, (int64_t)d->dropped);
}

int tel_start(struct db *db, const char *data_dir)
{
    char path[1200], gen[1200];
    struct rlimit rl;
    int err;

    /* the reasons are listed in the UI even with the telephony off */
    if ((err = pauses_load(data_dir)))
        return err;
    if (!conf_bool("sip.enabled"))
        return 0;
    memset(&rt, 0, sizeof(rt));
    rt.db = db;
    if ((err = load_config()) || (err = overload_load()) || (err = dialler_check_conf()) || (err = dialplan_load(data_dir)) ||
        (err = prompts_load(data_dir)) || (err = queues_load(*conf_str("sip.queues") ? conf_str("sip.queues") : NULL, data_dir)))
        return err;
    if (*conf_str("sip.flow"))
        snprintf(path, sizeof(path), "%s", conf_str("sip.flow"));
    else
        snprintf(path, sizeof(path), "%s/ivr/main.json", data_dir);
    snprintf(flow_path, sizeof(flow_path), "%s", path);
    if ((err = ivr_flow_load(path, prompts_known, NULL, &rt.flow)) || (err = queues_check_flow(rt.flow)))
        return err;
    if (*conf_str("sip.prompts_dir"))
        snprintf(gen, sizeof(gen), "%s", conf_str("sip.prompts_dir"));
    else if (path_near_exe("prompts", gen, sizeof(gen)))
        snprintf(gen, sizeof(gen), "build/prompts");
    snprintf(rt.gen_dir, sizeof(rt.gen_dir), "%s", gen);
    /* the accounts' version before they are read: a change made meanwhile
     * (another node, the CLI) is seen by the watcher started below */
    int64_t accounts_seen = 0, bindings_seen = 0;
    if ((err = db_change_version(db, "accounts", &accounts_seen)) ||
        (err = db_change_version(db, "registrations", &bindings_seen)) || (err = audio_load(data_dir, gen)) ||
        (err = registrar_accounts_load(db)) || (err = tel_store_start(db, &recovered)) || (err = jobs_start(db)))
        return err;
    if ((err = rec_writer_start(rt.cfg.recording_dir, recorded, NULL))) {
        jobs_stop();
        return err;
    }
    rt.next_id = recovered->next_call;
    /* What the restart found is in the log (and the call log) before wasl
     * says it runs. */
    if ((recovered->crashed || recovered->callbacks || recovered->messages) && events_flush(5000)) {
        log_warn("tel: %s", err_message());
        err_clear();
    }
    /* Two sockets per leg (RTP and RTCP), two legs per bridged call. */
    if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < 16384) {
        rl.rlim_cur = rl.rlim_max < 16384 ? rl.rlim_max : 16384;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    snprintf(rt.address, sizeof(rt.address), "sip:%s:%d (udp%s)", rt.cfg.address, rt.cfg.port, rt.cfg.tcp ? ", tcp" : "");
    if (rt.cfg.tls_port)
        snprintf(rt.address + strlen(rt.address), sizeof(rt.address) - strlen(rt.address), ", sips:%s:%d (tls)", rt.cfg.address,
                 rt.cfg.tls_port);
    start_done = false;
    if (pthread_create(&rt.thread, NULL, rt_main, NULL)) {
        rec_writer_stop();
        jobs_stop();
        return err_set(WASL_EINTERNAL, "tel.thread", "cannot start the telephony thread");
    }
    pthread_mutex_lock(&mx);
    while (!start_done)
        pthread_cond_wait(&cv, &mx);
    err = start_err;
    pthread_mutex_unlock(&mx);
    if (err) {
        pthread_join(rt.thread, NULL);
        rec_writer_stop();
        jobs_stop();
        return err_set(err, "tel.start", "telephony: could not start (see the log above)");
    }
    pthread_mutex_lock(&mx);
    accepting = true;
    pthread_mutex_unlock(&mx);
    atomic_store(&rt.running, true);
    if (db_watch_start(db, "accounts", accounts_seen, ACCOUNTS_POLL_MS, accounts_changed, db, &accounts_watch)) {
        log_warn("tel: %s; account changes made elsewhere reach this node at its restart", err_message());
        err_clear();
    }
    if (db_watch_start(db, "registrations", bindings_seen, BINDINGS_POLL_MS, bindings_changed, db, &bindings_watch)) {
        log_warn("tel: %s; phones registered with other nodes reach this node when it reads the bindings again (SIGHUP, "
                 "takeover)",
                 err_message());
        err_clear();
    }
    log_info("tel: listening on %s; %d toll-free numbers; flow %s", rt.address, dialplan_numbers(), ivr_flow_name(rt.flow));
    return 0;
}

void tel_stop(void)
{
    atomic_store(&stopped, true);
    if (!atomic_load(&rt.running))
        return;
    db_watch_stop(accounts_watch);
    accounts_watch = NULL;
    db_watch_stop(bindings_watch);
    bindings_watch = NULL;
    pthread_mutex_lock(&mx);
    accepting = false;
    mqueue_push(rt.mq, MQ_STOP, NULL);
    pthread_mutex_unlock(&mx);
    pthread_join(rt.thread, NULL);
    atomic_store(&rt.running, false);
    snap_stop();
    rec_writer_stop(); /* the calls ended: their recordings are finished */
    jobs_stop();
    ivr_flow_free(rt.flow);
    rt.flow = NULL;
    for (int i = 0; i < OLD_FLOWS; i++) {
        ivr_flow_free(old_flows[i]);
        old_flows[i] = NULL;
    }
    audio_unload();
    queues_unload();
    prompts_unload();
}

bool tel_running(void)
{
    return rt.running;
}

const char *tel_address(void)
{
    return rt.running ? rt.address : "";
}

/* ---- reloading the flow ---- */

static bool flow_in_use(const struct ivr_flow *f)
{
    for (struct le *le = rt.calls.head; le; le = le->next)
        if (((struct tcall *)le->data)->ivr.flow == f)
            return true;
    return false;
}

struct swap {
    struct ivr_flow *fresh;
    bool swapped;
};

static void swap_free(void *arg)
{
    struct swap *sw = arg;
    if (!sw->swapped)
        ivr_flow_free(sw->fresh);
    free(sw);
}

static int swap_rt(void *arg)
{
    struct swap *sw = arg;
    int slot = -1;
    for (int i = 0; i < OLD_FLOWS; i++) {
        if (old_flows[i] && !flow_in_use(old_flows[i])) {
            ivr_flow_free(old_flows[i]);
            old_flows[i] = NULL;
        }
        if (!old_flows[i] && slot < 0)
            slot = i;
    }
    if (flow_in_use(rt.flow)) {
        if (slot < 0)
            return err_set(WASL_ELIMIT, "tel.reload_busy", "too many older flows are still in use by calls; try again later");
        old_flows[slot] = rt.flow;
    } else {
        ivr_flow_free(rt.flow);
    }
    rt.flow = sw->fresh;
    sw->swapped = true;
    log_info("tel: flow %s reloaded; calls in progress keep the flow they started with", flow_path);
    return 0;
}

/* How long the caller waits for the swap: a second, then it is applied
 * later (the log says when). */
#define RELOAD_WAIT_MS 1000

int tel_flow_reload(bool *applied)
{
    struct swap *sw;
    int err;
    *applied = false;
    if (!rt.running)
        return err_set(WASL_ECONFLICT, "tel.not_running", "the telephony is not running (sip.enabled)");
    if (!(sw = calloc(1, sizeof(*sw))))
        return WASL_ENOMEM;
    /* Checked here, off the real-time thread: a bad file changes nothing. */
    if ((err = ivr_flow_load(flow_path, prompts_known, NULL, &sw->fresh)) || (err = queues_check_flow(sw->fresh))) {
        ivr_flow_free(sw->fresh);
        free(sw);
        return err;
    }
    return tel_command(swap_rt, sw, swap_free, RELOAD_WAIT_MS, applied);
}
