/*
 * The connection guard: what libmicrohttpd's idle time-out cannot do against
 * slow clients (slowloris). Its time-out starts again at every byte, so a
 * client sending a byte every few seconds holds a connection for ever, and
 * a thousand of them hold every slot. The guard keeps a record of every
 * connection (libmicrohttpd tells it of each one opening and closing) and
 * cuts off, with shutdown() so that libmicrohttpd closes it at once:
 *
 *  - a new connection whose whole request head has not arrived within
 *    http.head_timeout of its opening (however many bytes it sent);
 *  - a request whose body has not all arrived within http.timeout of its
 *    head (slow POST; the largest body a route takes is 128 KiB);
 *  - a kept-alive connection whose next request head has not arrived within
 *    http.timeout of its last reply;
 *  - the oldest connections still waiting for a request head or body when
 *    they are more than (100 - http.reserve) % of http.max_connections: the
 *    rest is kept for clients that complete requests;
 *  - the connection waiting longest for its client (a head, a body or,
 *    kept alive, a next request) when every slot but a few is taken, so a
 *    new client always finds a free one.
 *
 * A connection is never cut off while a request is being answered (all of
 * it arrived, the reply not yet sent): event streams and downloads are safe.
 * Every cut is counted for /metrics. One mutex; libmicrohttpd calls
 * "closed" before it closes the socket, so a record's fd is never reused
 * while the guard may shut it down.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <string.h>
#include <time.h>

#include "http_int.h"

enum guard_list { L_NONE, L_NEW, L_BODY, L_IDLE };

struct guard_conn {
    int fd;
    bool cut;
    enum guard_list list;
    int64_t since_us; /* opened (L_NEW), head complete (L_BODY) or last reply (L_IDLE) */
    struct guard_conn *prev, *next;
};

struct glist {
    struct guard_conn *head, *tail; /* oldest first: records are appended with since_us = now */
    unsigned n;
};

enum { SHED_HEAD_LATE, SHED_BODY_LATE, SHED_IDLE_LATE, SHED_NEW_SHARE, SHED_FULL, SHED_N };
static const char *const shed_names[SHED_N] = {"head_timeout", "body_timeout", "idle_timeout", "new_share", "full"};

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    bool running, stop;
    struct glist lists[4];
    unsigned open, cutting; /* open: between opened and closed; cutting: of them, shut down and closing */
    unsigned max_new, max_open;
    int64_t head_us, idle_us;
    uint64_t shed[SHED_N];
} g = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static void unlink_conn(struct guard_conn *c)
{
    struct glist *l = &g.lists[c->list];
    if (c->list == L_NONE)
        return;
    if (c->prev)
        c->prev->next = c->next;
    else
        l->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        l->tail = c->prev;
    c->prev = c->next = NULL;
    l->n--;
    c->list = L_NONE;
}

static void append(struct guard_conn *c, enum guard_list list)
{
    struct glist *l = &g.lists[list];
    unlink_conn(c);
    c->list = list;
    c->since_us = clock_mono_us();
    c->prev = l->tail;
    c->next = NULL;
    if (l->tail)
        l->tail->next = c;
    else
        l->head = c;
    l->tail = c;
    l->n++;
}

/* Under g.mu. The record stays until libmicrohttpd says the connection
 * closed; off every list it is never cut twice. */
static void shed(struct guard_conn *c, int why)
{
    unlink_conn(c);
    c->cut = true;
    g.cutting++;
    shutdown(c->fd, SHUT_RDWR);
    g.shed[why]++;
}

/* Under g.mu: of the connections waiting for their client (for a head or
 * a body; also between requests when idle is set), the one waiting
 * longest; NULL when none. A newcomer is never cut before an older one. */
static struct guard_conn *slowest(bool idle)
{
    struct guard_conn *best = NULL;
    for (int l = L_NEW; l <= (idle ? L_IDLE : L_BODY); l++)
        if (g.lists[l].head && (!best || g.lists[l].head->since_us < best->since_us))
            best = g.lists[l].head;
    return best;
}

/* Under g.mu: the share of connections that have not completed a request
 * yet, and room for one more. */
static void shed_crowd(void)
{
    struct guard_conn *c;
    while (g.lists[L_NEW].n + g.lists[L_BODY].n > g.max_new && (c = slowest(false)))
        shed(c, SHED_NEW_SHARE);
    while (g.open - g.cutting > g.max_open && (c = slowest(true)))
        shed(c, SHED_FULL);
}

/* Under g.mu: the ones past their deadline (the oldest are first). */
static void shed_late(int64_t now)
{
    while (g.lists[L_NEW].head && now - g.lists[L_NEW].head->since_us >= g.head_us)
        shed(g.lists[L_NEW].head, SHED_HEAD_LATE);
    while (g.lists[L_BODY].head && now - g.lists[L_BODY].head->since_us >= g.idle_us)
        shed(g.lists[L_BODY].head, SHED_BODY_LATE);
    while (g.lists[L_IDLE].head && now - g.lists[L_IDLE].head->since_us >= g.idle_us)
        shed(g.lists[L_IDLE].head, SHED_IDLE_LATE);
}

void guard_notify(void *cls, struct MHD_Connection *conn, void **ctx, enum MHD_ConnectionNotificationCode code)
{
    struct guard_conn *c = *ctx;

    (void)cls;
    pthread_mutex_lock(&g.mu);
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (ci && (c = calloc(1, sizeof(*c)))) {
            c->fd = ci->connect_fd;
            append(c, L_NEW);
            g.open++;
            *ctx = c;
            shed_crowd();
        }
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED && c) {
        unlink_conn(c);
        g.open--;
        if (c->cut)
            g.cutting--;
        free(c);
        *ctx = NULL;
    }
    pthread_mutex_unlock(&g.mu);
}

static struct guard_conn *conn_record(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* Moves conn's record to list `to` (L_NONE: off every list) when it is on
 * `from` (L_NONE: on any); a connection being cut stays off. */
static void step(struct MHD_Connection *conn, enum guard_list from, enum guard_list to)
{
    pthread_mutex_lock(&g.mu);
    struct guard_conn *c = conn_record(conn);
    if (c && !c->cut && (from == L_NONE || c->list == from)) {
        if (to == L_NONE)
            unlink_conn(c);
        else
            append(c, to);
    }
    pthread_mutex_unlock(&g.mu);
}

void guard_request_begins(struct MHD_Connection *conn)
{
    step(conn, L_NONE, L_BODY);
}

void guard_body_done(struct MHD_Connection *conn)
{
    step(conn, L_BODY, L_NONE);
}

void guard_request_ends(struct MHD_Connection *conn)
{
    step(conn, L_NONE, L_IDLE);
}

static void *watchdog(void *arg)
{
    struct timespec ts;

    (void)arg;
    pthread_mutex_lock(&g.mu);
    while (!g.stop) {
        shed_late(clock_mono_us());
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += 100 * 1000000L; /* a tenth of a second late at most */
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&g.cv, &g.mu, &ts);
    }
    pthread_mutex_unlock(&g.mu);
    return NULL;
}

int guard_start(unsigned max_connections, int reserve_pct, int64_t head_us, int64_t idle_us)
{
    pthread_condattr_t ca;
    struct rlimit rl;
    /* A few slots always free for a new client; at the full limit
     * libmicrohttpd would stop accepting before the guard could make room. */
    unsigned spare = max_connections / 64 < 4 ? 4 : max_connections / 64;

    g.max_open = max_connections > spare ? max_connections - spare : 1;
    g.max_new = (unsigned)((uint64_t)g.max_open * (unsigned)(100 - reserve_pct) / 100);
    if (g.max_new < 1)
        g.max_new = 1;
    g.head_us = head_us;
    g.idle_us = idle_us;
    g.stop = false;
    memset(g.shed, 0, sizeof(g.shed));
    /* Each connection is a descriptor: make sure the process may have them
     * (a default soft limit of 1024 would cap the server below the setting). */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < max_connections + 256u) {
        rlim_t want = max_connections + 256u;
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur < max_connections + 64u)
            log_warn("http: this process may open %llu files, fewer than http.max_connections (%u) needs",
                     (unsigned long long)rl.rlim_cur, max_connections);
    }
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_destroy(&g.cv);
    pthread_cond_init(&g.cv, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&g.thread, NULL, watchdog, NULL))
        return err_set(WASL_EIO, "http.thread_failed", "cannot start the connection guard");
    g.running = true;
    return 0;
}

void guard_stop(void)
{
    if (!g.running)
        return;
    pthread_mutex_lock(&g.mu);
    g.stop = true;
    pthread_cond_signal(&g.cv);
    pthread_mutex_unlock(&g.mu);
    pthread_join(g.thread, NULL);
    g.running = false;
}

void guard_metrics(struct sbuf *b)
{
    pthread_mutex_lock(&g.mu);
    sbuf_addf(b,
              "# HELP wasl_http_connections Connections open now, by state.\n"
              "# TYPE wasl_http_connections gauge\n"
              "wasl_http_connections{state=\"awaiting_first_request\"} %u\n"
              "wasl_http_connections{state=\"receiving_body\"} %u\n"
              "wasl_http_connections{state=\"idle\"} %u\n"
              "wasl_http_connections{state=\"open\"} %u\n"
              "# HELP wasl_http_connections_shed_total Connections cut off by the guard against slow clients, by reason.\n"
              "# TYPE wasl_http_connections_shed_total counter\n",
              g.lists[L_NEW].n, g.lists[L_BODY].n, g.lists[L_IDLE].n, g.open);
    for (int i = 0; i < SHED_N; i++)
        sbuf_addf(b, "wasl_http_connections_shed_total{reason=\"%s\"} %llu\n", shed_names[i], (unsigned long long)g.shed[i]);
    pthread_mutex_unlock(&g.mu);
}
