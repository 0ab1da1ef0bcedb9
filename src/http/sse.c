/*
 * Server-sent events: the hub of the event streams (text/event-stream).
 * Streams subscribe to topics; http_sse_publish() formats an event once,
 * keeps it in a bounded ring (for Last-Event-ID resumes) and appends it to
 * the buffer of every stream of that topic, from any thread. A stream whose
 * client does not read fast enough is dropped when its buffer is full: the
 * publisher never waits for a client. A connection with nothing to send is
 * suspended in libmicrohttpd (no thread, no polling) and resumed by the next
 * event or heartbeat.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "http_int.h"

/* The kernel's send buffer of a stream's socket: fixed (not grown by the
 * kernel up to megabytes) so that a client that stops reading is found
 * after a bounded backlog: this, plus http.stream_buffer. */
#define STREAM_SNDBUF (32 * 1024)

/* The ring that resumes a reconnecting client: this many events and bytes
 * at most (the older go first). */
#define RING_MAX 1024
#define RING_BYTES (8u << 20)

struct sse_sub {
    struct MHD_Connection *conn;
    int fd; /* its socket (libmicrohttpd's), -1 if unknown */
    char topics[HTTP_STREAM_TOPICS_MAX][HTTP_TOPIC_MAX];
    int ntopics;
    char ip[64];
    pthread_mutex_t mx;
    char *buf; /* buf[off..len) waits to be sent */
    size_t len, off, cap;
    bool suspended, dropped, closing;
    int64_t last_write; /* clock_mono_us() of the last event or heartbeat */
    atomic_int refs;
    struct sse_sub *next;
};

/* Topics whose last stream ended lately: their events are still made for
 * a while, so that a client that reconnects (a network change, a page
 * reloaded) resumes with Last-Event-ID without a gap. */
#define LEFT_MAX 256
#define LEFT_KEEP_US 60000000LL

struct ring_ev {
    uint64_t id;
    char topic[HTTP_TOPIC_MAX];
    char *text;
    size_t len;
};

static struct {
    pthread_mutex_t mx;
    pthread_cond_t cv;
    struct sse_sub *subs;
    int nsubs, max_subs;
    size_t buffer_max;
    int64_t heartbeat_us;
    uint64_t last_id;
    char epoch[20]; /* this process's, before every id: an id of an earlier run resumes nothing */
    struct ring_ev ring[RING_MAX];
    int ring_head, ring_n; /* oldest at ring_head */
    size_t ring_bytes;
    struct {
        char topic[HTTP_TOPIC_MAX];
        int64_t at; /* clock_mono_us() when its last stream ended; 0: free */
    } left[LEFT_MAX];
    bool running, stopping;
    pthread_t hb;
} hub = {.mx = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static _Atomic uint64_t m_refused, m_dropped, m_events, m_opened;

static void sub_unref(struct sse_sub *s)
{
    if (s && atomic_fetch_sub(&s->refs, 1) == 1) {
        pthread_mutex_destroy(&s->mx);
        free(s->buf);
        free(s);
    }
}

/* Under s->mx: the stream ends now. Its socket is shut down (libmicrohttpd
 * still owns and closes it): a client that does not read has a full
 * socket, and libmicrohttpd would not ask for more to find out. */
static void sub_drop(struct sse_sub *s)
{
    /* Safe: the callers hold hub.mx (or run in the stream's own request,
     * before its response exists), so the stream is still listed and its
     * response not destroyed (sse_done() needs hub.mx to unlist it), and
     * libmicrohttpd destroys the response before it closes the socket: the
     * descriptor is still this connection's. */
    s->dropped = true;
    atomic_fetch_add(&m_dropped, 1);
    if (s->fd >= 0)
        shutdown(s->fd, SHUT_RDWR);
    free(s->buf);
    s->buf = NULL;
    s->len = s->off = s->cap = 0;
}

/* Appends under s->mx; false when it does not fit (the stream is dropped). */
static bool sub_append(struct sse_sub *s, const char *text, size_t n)
{
    if (s->dropped || s->closing)
        return true;
    if (s->off && s->off == s->len)
        s->off = s->len = 0;
    if (s->len - s->off + n > hub.buffer_max) {
        log_warn("http: event stream of %s dropped: %zu bytes not yet read, more than http.stream_buffer (%zu)", s->ip,
                 s->len - s->off + n, hub.buffer_max);
        sub_drop(s);
        return false;
    }
    if (s->off > s->cap / 2) {
        memmove(s->buf, s->buf + s->off, s->len - s->off);
        s->len -= s->off;
        s->off = 0;
    }
    if (s->len + n > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + n)
            cap *= 2;
        char *b = realloc(s->buf, cap);
        if (!b) {
            log_error("http: event stream of %s dropped: out of memory", s->ip);
            sub_drop(s);
            return false;
        }
        s->buf = b;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, text, n);
    s->len += n;
    s->last_write = clock_mono_us();
    return true;
}

static bool sub_has(const struct sse_sub *s, const char *topic)
{
    for (int i = 0; i < s->ntopics; i++)
        if (!strcmp(s->topics[i], topic))
            return true;
    return false;
}

/* Under s->mx: whether the connection must be resumed (the caller does it
 * after letting go of the locks, holding a reference). */
static bool sub_wake(struct sse_sub *s)
{
    if (!s->suspended)
        return false;
    s->suspended = false;
    atomic_fetch_add(&s->refs, 1);
    return true;
}

static void resume_all(struct sse_sub **wake, int n)
{
    for (int i = 0; i < n; i++) {
        MHD_resume_connection(wake[i]->conn);
        sub_unref(wake[i]);
    }
}

/* Under hub.mx: appends text to the streams that match (topic NULL: all);
 * the suspended ones go to wake (malloc'd, *nw of them) for resume_all()
 * once the lock is let go. */
static struct sse_sub **deliver(const char *topic, const char *text, size_t n, int *nw)
{
    struct sse_sub **wake = hub.nsubs ? malloc(sizeof(*wake) * (size_t)hub.nsubs) : NULL;
    *nw = 0;
    for (struct sse_sub *s = hub.subs; s; s = s->next) {
        if (topic && !sub_has(s, topic))
            continue;
        pthread_mutex_lock(&s->mx);
        sub_append(s, text, n);
        /* without memory for the list, the next heartbeat resumes it */
        if (wake && sub_wake(s))
            wake[(*nw)++] = s;
        pthread_mutex_unlock(&s->mx);
    }
    return wake;
}

static void ring_drop_oldest(void)
{
    struct ring_ev *e = &hub.ring[hub.ring_head];
    hub.ring_bytes -= e->len;
    free(e->text);
    e->text = NULL;
    hub.ring_head = (hub.ring_head + 1) % RING_MAX;
    hub.ring_n--;
}

int http_sse_publish(const char *topic, const char *event, const char *data)
{
    size_t dn = strlen(data);
    if (strlen(topic) >= HTTP_TOPIC_MAX || strpbrk(event, "\r\n") || strpbrk(data, "\r\n"))
        return err_set(WASL_EINVAL, "http.bad_event", "an event's topic is too long, or its name or data spans lines");
    pthread_mutex_lock(&hub.mx);
    uint64_t id = ++hub.last_id;
    char head[128];
    int hn = snprintf(head, sizeof(head), "id: %s-%llu\nevent: %s\ndata: ", hub.epoch, (unsigned long long)id, event);
    size_t n = (size_t)hn + dn + 2;
    if (hn < 0 || (size_t)hn >= sizeof(head) || n > hub.buffer_max) {
        pthread_mutex_unlock(&hub.mx);
        log_error("http: event '%s' of %zu bytes not sent: larger than http.stream_buffer (%zu)", event, n, hub.buffer_max);
        return err_set(WASL_ETOOBIG, "http.event_too_large", "the event is larger than a stream's buffer (http.stream_buffer)");
    }
    char *text = malloc(n + 1);
    if (!text) {
        pthread_mutex_unlock(&hub.mx);
        return WASL_ENOMEM;
    }
    memcpy(text, head, (size_t)hn);
    memcpy(text + hn, data, dn);
    memcpy(text + hn + dn, "\n\n", 3);
    while (hub.ring_n && (hub.ring_n == RING_MAX || hub.ring_bytes + n > RING_BYTES))
        ring_drop_oldest();
    struct ring_ev *e = &hub.ring[(hub.ring_head + hub.ring_n) % RING_MAX];
    e->id = id;
    snprintf(e->topic, sizeof(e->topic), "%s", topic);
    e->text = text;
    e->len = n;
    hub.ring_n++;
    hub.ring_bytes += n;
    atomic_fetch_add(&m_events, 1);
    /* Delivered under the hub's lock: streams see events in id order. */
    int nw;
    struct sse_sub **wake = deliver(topic, text, n, &nw);
    pthread_mutex_unlock(&hub.mx);
    resume_all(wake, nw);
    free(wake);
    return 0;
}

/* Under hub.mx: the topics of a stream that ends are remembered (the
 * oldest memory makes room when the table is full). */
static void left_note(const struct sse_sub *s, int64_t now)
{
    for (int i = 0; i < s->ntopics; i++) {
        int slot = 0;
        for (int k = 0; k < LEFT_MAX; k++) {
            if (hub.left[k].at && !strcmp(hub.left[k].topic, s->topics[i])) {
                slot = k;
                break;
            }
            if (hub.left[k].at < hub.left[slot].at)
                slot = k;
        }
        snprintf(hub.left[slot].topic, sizeof(hub.left[slot].topic), "%s", s->topics[i]);
        hub.left[slot].at = now;
    }
}

bool http_sse_wanted(const char *topic)
{
    bool yes = false;
    int64_t now = clock_mono_us();
    pthread_mutex_lock(&hub.mx);
    for (struct sse_sub *s = hub.subs; s && !yes; s = s->next)
        yes = sub_has(s, topic);
    for (int k = 0; k < LEFT_MAX && !yes; k++)
        yes = hub.left[k].at && now - hub.left[k].at < LEFT_KEEP_US && !strcmp(hub.left[k].topic, topic);
    pthread_mutex_unlock(&hub.mx);
    return yes;
}

/* ---- one stream's life ---- */

/* libmicrohttpd asks for more of the body: what is buffered, or nothing
 * and the connection suspended until an event resumes it. */
static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct sse_sub *s = cls;
    ssize_t n = 0;
    (void)pos;
    pthread_mutex_lock(&s->mx);
    if (s->dropped) {
        n = MHD_CONTENT_READER_END_WITH_ERROR;
    } else if (s->len > s->off) {
        size_t k = s->len - s->off < max ? s->len - s->off : max;
        memcpy(buf, s->buf + s->off, k);
        s->off += k;
        n = (ssize_t)k;
    } else if (s->closing) {
        n = MHD_CONTENT_READER_END_OF_STREAM;
    } else {
        /* under s->mx, so that a publisher sees suspended only once
         * libmicrohttpd has the connection suspended */
        s->suspended = true;
        MHD_suspend_connection(s->conn);
    }
    pthread_mutex_unlock(&s->mx);
    return n;
}

/* The response is gone (the connection closed): the stream leaves the hub. */
static void sse_done(void *cls)
{
    struct sse_sub *s = cls;
    pthread_mutex_lock(&hub.mx);
    for (struct sse_sub **p = &hub.subs; *p; p = &(*p)->next)
        if (*p == s) {
            *p = s->next;
            hub.nsubs--;
            left_note(s, clock_mono_us());
            break;
        }
    pthread_cond_broadcast(&hub.cv);
    pthread_mutex_unlock(&hub.mx);
    sub_unref(s);
}

/* The number of an id "<epoch>-<n>" given by this process; -1 for anything
 * else (another run's, or not an id). */
static int parse_id(const char *v, uint64_t *out)
{
    size_t k = strlen(hub.epoch);
    char *end;
    if (!v || strncmp(v, hub.epoch, k) || v[k] != '-' || v[k + 1] < '0' || v[k + 1] > '9' || strlen(v + k + 1) > 20)
        return -1;
    errno = 0;
    unsigned long long x = strtoull(v + k + 1, &end, 10);
    if (errno || *end)
        return -1;
    *out = x;
    return 0;
}

int http_reply_stream(struct http_req *r, const struct http_stream_topic *t, int n)
{
    struct req_priv *p = r->priv;
    struct sse_sub *s;
    uint64_t last = 0;
    bool resumed = false;

    if (n < 1 || n > HTTP_STREAM_TOPICS_MAX)
        return err_set(WASL_EINTERNAL, "http.stream", "a stream has 1 to %d topics", HTTP_STREAM_TOPICS_MAX);
    if (!(s = calloc(1, sizeof(*s))))
        return WASL_ENOMEM;
    pthread_mutex_init(&s->mx, NULL);
    atomic_init(&s->refs, 1);
    s->conn = p->conn;
    s->fd = -1;
    s->ntopics = n;
    snprintf(s->ip, sizeof(s->ip), "%s", r->ip);
    for (int i = 0; i < n; i++)
        snprintf(s->topics[i], sizeof(s->topics[i]), "%s", t[i].topic);
    bool want_resume = !parse_id(http_header(r, "Last-Event-ID"), &last);

    pthread_mutex_lock(&hub.mx);
    if (!hub.running || hub.stopping || hub.nsubs >= hub.max_subs) {
        bool full = hub.running && !hub.stopping;
        pthread_mutex_unlock(&hub.mx);
        sub_unref(s);
        if (!full)
            return err_set(WASL_EBUSY, "http.stopping", "the server is stopping");
        atomic_fetch_add(&m_refused, 1);
        log_warn("http: event stream from %s refused: %d streams open, the most http.stream_max allows", r->ip, hub.max_subs);
        return err_set(WASL_EBUSY, "http.streams_full", "%d event streams are open, the most this server takes (http.stream_max)",
                       hub.max_subs);
    }
    /* A resume replays what the client missed, if the ring still holds all
     * of it; otherwise the stream starts from the current state. */
    uint64_t oldest = hub.ring_n ? hub.ring[hub.ring_head].id : hub.last_id + 1;
    if (want_resume && last <= hub.last_id && last + 1 >= oldest) {
        resumed = true;
        for (int i = 0; i < hub.ring_n; i++) {
            const struct ring_ev *e = &hub.ring[(hub.ring_head + i) % RING_MAX];
            if (e->id > last && sub_has(s, e->topic))
                sub_append(s, e->text, e->len);
        }
    }
    uint64_t at = hub.last_id;
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(p->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    int sndbuf = STREAM_SNDBUF;
    if (ci) {
        s->fd = ci->connect_fd;
        setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    }
    s->next = hub.subs;
    hub.subs = s;
    hub.nsubs++;
    s->last_write = clock_mono_us();
    atomic_fetch_add(&m_opened, 1);
    pthread_mutex_unlock(&hub.mx);

    /* The current state goes first: whatever was published since it was
     * read comes after it, so the client never ends on an older state. */
    struct sbuf first;
    sbuf_init(&first, hub.buffer_max);
    sbuf_addf(&first, "retry: 3000\n\n");
    for (int i = 0; !resumed && i < n; i++) {
        char *data = t[i].first ? t[i].first(t[i].arg) : NULL;
        if (data && (strpbrk(data, "\r\n") || sbuf_addf(&first, "id: %s-%llu\nevent: %s\ndata: %s\n\n", hub.epoch,
                                                        (unsigned long long)at, t[i].event, data)))
            log_error("http: the first '%s' event of a stream is not sent: larger than http.stream_buffer (%zu), or not one line",
                      t[i].event, hub.buffer_max);
        free(data);
    }
    pthread_mutex_lock(&s->mx);
    size_t fl = first.len, pending = s->len - s->off;
    char *b = NULL;
    if (s->dropped || !first.p) {
        /* dropped already (by a publisher), or nothing to put first */
    } else if (pending + fl > hub.buffer_max) {
        log_warn("http: event stream of %s dropped at its start: its first events and those since exceed http.stream_buffer",
                 s->ip);
        sub_drop(s);
    } else if (!(b = malloc(pending + fl + 1))) {
        log_error("http: event stream of %s dropped at its start: out of memory", s->ip);
        sub_drop(s);
    } else {
        memcpy(b, first.p, fl);
        if (pending)
            memcpy(b + fl, s->buf + s->off, pending);
        free(s->buf);
        s->buf = b;
        s->cap = pending + fl + 1;
        s->off = 0;
        s->len = pending + fl;
    }
    pthread_mutex_unlock(&s->mx);
    sbuf_release(&first);
    p->stream = s;
    return http_reply_text(r, 200, "text/event-stream; charset=utf-8", NULL, 0);
}

struct MHD_Response *sse_response(struct sse_sub *s)
{
    struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, sse_read, s, sse_done);
    if (!resp) {
        sse_done(s);
        return NULL;
    }
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "X-Accel-Buffering", "no"); /* a proxy must pass events on at once */
    return resp;
}

void sse_abandon(struct sse_sub *s)
{
    if (s)
        sse_done(s);
}

/* ---- heartbeats, start and stop ---- */

/* A comment line to every stream quiet for a heartbeat: proxies keep the
 * connection, and a client that went away is found (a suspended connection
 * notices nothing until it writes). */
static void *hb_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&hub.mx);
    while (!hub.stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        int64_t step = hub.heartbeat_us / 4;
        until.tv_sec += step / 1000000;
        until.tv_nsec += (long)(step % 1000000) * 1000;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&hub.cv, &hub.mx, &until);
        if (hub.stopping)
            break;
        int64_t now = clock_mono_us();
        struct sse_sub **wake = hub.nsubs ? malloc(sizeof(*wake) * (size_t)hub.nsubs) : NULL;
        int nw = 0;
        for (struct sse_sub *s = hub.subs; s && wake; s = s->next) {
            pthread_mutex_lock(&s->mx);
            if (now - s->last_write >= hub.heartbeat_us)
                sub_append(s, ": keep-alive\n\n", 14);
            if ((s->len > s->off || s->dropped) && sub_wake(s))
                wake[nw++] = s;
            pthread_mutex_unlock(&s->mx);
        }
        pthread_mutex_unlock(&hub.mx);
        resume_all(wake, nw);
        free(wake);
        pthread_mutex_lock(&hub.mx);
    }
    pthread_mutex_unlock(&hub.mx);
    return NULL;
}

int sse_start(void)
{
    hub.max_subs = (int)conf_int("http.stream_max");
    hub.buffer_max = (size_t)conf_int("http.stream_buffer");
    hub.heartbeat_us = conf_int("http.stream_heartbeat") * 1000000;
    hub.stopping = false;
    rand_hex(hub.epoch, 4);
    if (pthread_create(&hub.hb, NULL, hb_main, NULL))
        return err_set(WASL_EINTERNAL, "http.thread", "cannot start the event streams' heartbeat thread");
    hub.running = true;
    return 0;
}

/* Ends every stream (their clients reconnect to the next server) and waits
 * up to two seconds for libmicrohttpd to close them: it must not be stopped
 * with a connection suspended. */
void sse_stop(void)
{
    struct timespec until;
    if (!hub.running)
        return;
    pthread_mutex_lock(&hub.mx);
    hub.stopping = true;
    pthread_cond_broadcast(&hub.cv);
    struct sse_sub **wake = hub.nsubs ? malloc(sizeof(*wake) * (size_t)hub.nsubs) : NULL;
    int nw = 0;
    for (struct sse_sub *s = hub.subs; s; s = s->next) {
        pthread_mutex_lock(&s->mx);
        s->closing = true;
        if (sub_wake(s)) {
            if (wake) {
                wake[nw++] = s;
            } else {
                MHD_resume_connection(s->conn);
                sub_unref(s);
            }
        }
        pthread_mutex_unlock(&s->mx);
    }
    pthread_mutex_unlock(&hub.mx);
    resume_all(wake, nw);
    free(wake);
    pthread_join(hub.hb, NULL);
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 2;
    pthread_mutex_lock(&hub.mx);
    while (hub.nsubs && pthread_cond_timedwait(&hub.cv, &hub.mx, &until) != ETIMEDOUT)
        ;
    if (hub.nsubs)
        log_warn("http: %d event streams still open at stop (their clients do not read); closed by force", hub.nsubs);
    hub.running = false;
    while (hub.ring_n)
        ring_drop_oldest();
    hub.ring_head = 0;
    pthread_mutex_unlock(&hub.mx);
}

void sse_metrics(struct sbuf *b)
{
    pthread_mutex_lock(&hub.mx);
    int open = hub.nsubs;
    pthread_mutex_unlock(&hub.mx);
    sbuf_addf(b,
              "# HELP wasl_http_streams_open Event streams (text/event-stream) open now.\n# TYPE wasl_http_streams_open gauge\n"
              "wasl_http_streams_open %d\n"
              "# HELP wasl_http_streams_opened_total Event streams opened.\n# TYPE wasl_http_streams_opened_total counter\n"
              "wasl_http_streams_opened_total %llu\n"
              "# HELP wasl_http_streams_refused_total Event streams refused at the cap (http.stream_max).\n"
              "# TYPE wasl_http_streams_refused_total counter\nwasl_http_streams_refused_total %llu\n"
              "# HELP wasl_http_streams_dropped_total Event streams dropped because the client read too slowly.\n"
              "# TYPE wasl_http_streams_dropped_total counter\nwasl_http_streams_dropped_total %llu\n"
              "# HELP wasl_http_stream_events_total Events published to the streams.\n"
              "# TYPE wasl_http_stream_events_total counter\nwasl_http_stream_events_total %llu\n",
              open, (unsigned long long)atomic_load(&m_opened), (unsigned long long)atomic_load(&m_refused),
              (unsigned long long)atomic_load(&m_dropped), (unsigned long long)atomic_load(&m_events));
}
