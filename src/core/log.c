/*
 * Logging: one line per event on stderr, with the UTC time, the level and the
 * request id of the thread that logs, so every line of a request can be found.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pthread.h>

#include "core.h"

static enum log_level min_level = LOG_INFO;
static _Thread_local char request_id[40];
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

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
    /* One write per line keeps lines from different threads whole. */
    pthread_mutex_lock(&out_lock);
    fwrite(line, 1, len + 1, stderr);
    pthread_mutex_unlock(&out_lock);
}
