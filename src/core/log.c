/*
 * Logging: one line per event on stderr, with the UTC time, the level and the
 * request id of the thread that logs, so every line of a request can be found.
 * The real-time thread never writes itself: its lines go through a ring that
 * a thread of their own writes out (log_ring_start), so a slow or full
 * stderr (a pipe to the journal) never holds up RTP or SIP.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pthread.h>
#include <time.h>

#include "core.h"

static enum log_level min_level = LOG_INFO;
static _Thread_local char request_id[40];
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

/* The ring: one producer (the thread that called log_ring_start), one
 * consumer (the writer). 1,024 lines of up to 512 bytes: a second of a
 * burst of a line per call at 1,000 calls/s; when it is full, lines are
 * dropped and counted (and the count written), never waited for. */
#define RING_LINES 1024
#define RING_LINE 512
#define RING_IDLE_NS 10000000L /* the writer looks every 10 ms */
struct ring_line {
    unsigned short len;
    char text[RING_LINE];
};
static struct {
    struct ring_line line[RING_LINES];
    struct spsc_ring r;
    atomic_ulong dropped;
    atomic_bool stop;
    pthread_t writer;
    bool running;
} ring;
static _Thread_local bool ring_producer;

static void out_write(const char *line, size_t len)
{
    /* One write per line keeps lines from different threads whole. */
    pthread_mutex_lock(&out_lock);
    fwrite(line, 1, len, stderr);
    pthread_mutex_unlock(&out_lock);
}

/* Writes out what the ring holds; returns the number of lines. */
static size_t ring_drain(void)
{
    static unsigned long reported;
    size_t n = 0;
    for (struct ring_line *l; (l = spsc_peek(&ring.r)); n++) {
        out_write(l->text, l->len);
        spsc_pop(&ring.r);
    }
    unsigned long d = atomic_load_explicit(&ring.dropped, memory_order_relaxed);
    if (d != reported) {
        char msg[160];
        int m =
            snprintf(msg, sizeof(msg), "log: %lu lines of the real-time thread dropped (its log ring was full)\n", d - reported);
        out_write(msg, (size_t)m);
        reported = d;
    }
    return n;
}

static void *ring_writer(void *arg)
{
    struct timespec idle = {0, RING_IDLE_NS};
    while (!atomic_load(&ring.stop)) {
        if (!ring_drain())
            nanosleep(&idle, NULL);
    }
    ring_drain();
    return NULL;
}

int log_ring_start(void)
{
    if (ring.running)
        return err_set(WASL_ECONFLICT, "log.ring", "the log ring already has a producer");
    atomic_store(&ring.stop, false);
    spsc_init(&ring.r, ring.line, sizeof(ring.line[0]), RING_LINES);
    if (pthread_create(&ring.writer, NULL, ring_writer, NULL))
        return err_set(WASL_EINTERNAL, "log.ring", "cannot start the log writer thread");
    ring.running = true;
    ring_producer = true;
    return 0;
}

void log_ring_stop(void)
{
    if (!ring.running)
        return;
    ring_producer = false;
    atomic_store(&ring.stop, true);
    pthread_join(ring.writer, NULL);
    ring.running = false;
}

/* Producer side: never blocks. */
static void ring_put(const char *line, size_t len)
{
    struct ring_line *l = spsc_slot(&ring.r);
    if (!l) {
        atomic_fetch_add_explicit(&ring.dropped, 1, memory_order_relaxed);
        return;
    }
    if (len > RING_LINE) { /* cut, and still one line */
        len = RING_LINE;
        memcpy(l->text, line, len - 1);
        l->text[len - 1] = '\n';
    } else
        memcpy(l->text, line, len);
    l->len = (unsigned short)len;
    spsc_push(&ring.r);
}

void log_set_level(enum log_level l)
{
    min_level = l;
}

int log_parse_level(const char *s, enum log_level *out)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcasecmp(s, names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return err_set(WASL_EINVAL, "config.invalid", "log level must be debug, info, warn or error");
}

void log_set_request_id(const char *id)
{
    snprintf(request_id, sizeof(request_id), "%s", id ? id : "");
}

const char *log_request_id(void)
{
    return request_id;
}

/* Under systemd (stderr connected to the journal: JOURNAL_STREAM names it)
 * the journal stamps each line itself and reads the level from a "<N>"
 * syslog prefix (sd-daemon(3)), so the line carries those instead of a
 * time and a level word. */
static int journal = -1;

static bool to_journal(void)
{
    if (journal < 0)
        journal = getenv("JOURNAL_STREAM") != NULL;
    return journal;
}

void log_msg(enum log_level l, const char *fmt, ...)
{
    static const char *tag[] = {"DEBUG", "INFO", "WARN", "ERROR"};
    static const int prio[] = {7, 6, 4, 3}; /* syslog: debug, info, warning, err */
    char line[2048], ts[32];
    va_list ap;
    int n;

    if (l < min_level)
        return;
    if (to_journal()) {
        n = request_id[0] ? snprintf(line, sizeof(line), "<%d>[%s] ", prio[l], request_id)
                          : snprintf(line, sizeof(line), "<%d>", prio[l]);
    } else {
        clock_format_utc(clock_now(), ts, sizeof(ts));
        n = request_id[0] ? snprintf(line, sizeof(line), "%s %-5s [%s] ", ts, tag[l], request_id)
                          : snprintf(line, sizeof(line), "%s %-5s ", ts, tag[l]);
    }
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    /* One event, one line: a newline inside a message (a database's error
     * text) would split it into two log entries. */
    size_t len = strlen(line);
    for (size_t i = (size_t)n; i < len; i++)
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    line[len] = '\n';
    if (ring_producer)
        ring_put(line, len + 1);
    else
        out_write(line, len + 1);
}
