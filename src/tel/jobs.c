/*
 * The telephony's store worker: everything a call needs from the database
 * (a case look-up, a callback request) runs here (recordings and voice
 * messages are streamed by recstream.c's writer),
 * off the real-time thread (what happened on the phones goes to the event
 * log, which has a writer of its own). Answers go back to
 * it through libre's message queue. Once an hour it also deletes the
 * recordings older than sip.recording_retention.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "rt.h"
#include "events/events.h"
#include "cases/cases.h"
#include "calendar/calendar.h"
#include "quality/quality.h"

static pthread_t worker;
static pthread_mutex_t qmx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t qcv = PTHREAD_COND_INITIALIZER;
static struct job **queue;
static size_t qhead, qlen, qcap;
static bool stopping, started, detached;
static struct db *jdb;

static bool poll_now;

void jobs_wake(void)
{
    pthread_mutex_lock(&qmx);
    poll_now = true;
    pthread_cond_signal(&qcv);
    pthread_mutex_unlock(&qmx);
}

void jobs_answer(struct job *j)
{
    pthread_mutex_lock(&qmx);
    if (!detached)
        tel_post_job(j);
    else
        free(j);
    pthread_mutex_unlock(&qmx);
}

void jobs_submit(struct job *j)
{
    pthread_mutex_lock(&qmx);
    if (qlen == qcap) {
        size_t cap = qcap ? qcap * 2 : 256;
        struct job **q = malloc(cap * sizeof(*q));
        if (!q) {
            pthread_mutex_unlock(&qmx);
            log_error("tel: out of memory for a job");
            j->ok = false;
            if (!detached)
                tel_post_job(j);
            else
                free(j);
            return;
        }
        for (size_t i = 0; i < qlen; i++)
            q[i] = queue[(qhead + i) % (qcap ? qcap : 1)];
        free(queue);
        queue = q;
        qcap = cap;
        qhead = 0;
    }
    queue[(qhead + qlen++) % qcap] = j;
    pthread_cond_signal(&qcv);
    pthread_mutex_unlock(&qmx);
}

/* The caller, for the per-source throttle of PIN attempts: a hash, never
 * the number. */
static void source_of(const char *caller, char *out, size_t n)
{
    unsigned char h[8];
    char x[17];
    crypto_generichash(h, sizeof(h), (const unsigned char *)caller, strlen(caller), NULL, 0);
    sodium_bin2hex(x, sizeof(x), h, sizeof(h));
    snprintf(out, n, "tel:%s", caller[0] ? x : "anonymous");
}

static void do_lookup(struct job *j)
{
    struct portal_status st;
    char source[40];
    source_of(j->caller, source, sizeof(source));
    int err = portal_track_keys(jdb, j->keys, j->pin, source, &st);
    memset(&j->kase, 0, sizeof(j->kase));
    if (err == WASL_ELIMIT) {
        j->kase.locked = true;
    } else if (!err) {
        j->kase.found = true;
        snprintf(j->kase.status, sizeof(j->kase.status), "%s", st.status);
        snprintf(j->kase.type, sizeof(j->kase.type), "%s", st.type);
        snprintf(j->kase.reference, sizeof(j->kase.reference), "%s", st.reference);
        const struct tz *z;
        struct tz_local l;
        if (st.expected_at && !tz_get(calendar_zone(), &z) && !tz_to_local(z, st.expected_at / 1000000, &l)) {
            j->kase.exp_year = l.year;
            j->kase.exp_month = l.month;
            j->kase.exp_day = l.day;
        }
    } else if (err != WASL_ENOENT && err != WASL_EINVAL) {
        /* The store is down (logged by the store) or broken: the caller is
         * told the service is unavailable, never that the file is unknown. */
        j->kase.unavailable = true;
        if (!db_is_failing(jdb))
            log_warn("tel: case look-up failed: %s", err_message());
    }
    err_clear();
    j->ok = true;
}

static void do_callback(struct job *j)
{
    char e164[20];
    const char *country;
    int err = dialplan_outbound_check(j->caller, e164, sizeof(e164), &country);
    bool merged = false;
    if (!err) {
        struct callback_input in = {e164, j->country, j->did, j->language, j->callid, 0};
        err = callback_add(jdb, &in, NULL, &merged);
    }
    if (err)
        log_info("tel: callback request not stored: %s", err_message());
    events_add(EV_CALLBACK_REQUESTED, (int64_t)j->call, 0, NULL, err ? "refused" : merged ? "merged" : "stored", NULL, NULL, 0, 0);
    if (!err)
        tel_records_changed();
    err_clear();
    j->ok = err == 0;
}

/* A voice message the recording writer finished (on its thread; the file
 * was streamed there as the caller spoke, recstream.c): its place in the
 * event log (cut MESSAGE_FAILED when the disk failed: what was kept, if
 * anything), then the IVR's answer when the caller waits for it. Nothing
 * said (half a second or less): no message. */
void jobs_message_done(const struct rec_done *d)
{
    if (d->said && strlen(d->file) >= sizeof(((struct ev *)0)->c)) {
        log_error("tel: the voice message of call %llu is in %s, a name too long for the event log", (unsigned long long)d->call,
                  d->file);
    } else if (d->said) {
        if (!d->error)
            log_info("tel: voice message of call %llu in %s (%lld s)", (unsigned long long)d->call, d->file, (long long)d->seconds);
        /* the caller's language and number (b: for the projection only) */
        events_add(EV_MESSAGE_LEFT, (int64_t)d->call, 0, NULL, d->language, d->caller, d->file, d->seconds,
                   d->error ? MESSAGE_FAILED : MESSAGE_COMPLETE);
    }
    if (!d->answer)
        return;
    struct job *j = calloc(1, sizeof(*j));
    if (!j) { /* the caller waits for silence until they hang up */
        log_error("tel: out of memory: call %llu cannot go on after its voice message", (unsigned long long)d->call);
        return;
    }
    j->kind = JOB_MESSAGE;
    j->call = d->call;
    j->ok = d->said && !d->error;
    jobs_answer(j);
}

/* Deletes the files of a folder last written before limit (seconds). */
static int purge_older(const char *path, int64_t limit)
{
    DIR *d = opendir(path);
    struct dirent *e;
    int removed = 0;
    if (!d)
        return 0;
    while ((e = readdir(d))) {
        char file[1700];
        struct stat st;
        snprintf(file, sizeof(file), "%s/%s", path, e->d_name);
        if (e->d_name[0] != '.' && !stat(file, &st) && S_ISREG(st.st_mode) && st.st_mtime < limit)
            removed += remove(file) == 0;
    }
    closedir(d);
    return removed;
}

/* Deletes recordings older than the retention: day folders by their name,
 * voice messages by their time. */
static void purge(void)
{
    char path[1400];
    DIR *d = opendir(rt.cfg.recording_dir);
    struct dirent *e;
    int64_t limit = clock_now_sec() - rt.cfg.recording_retention;
    int removed = 0;
    if (!d)
        return;
    while ((e = readdir(d))) {
        int y, m, dd;
        char tail;
        if (e->d_name[0] == '.' || sscanf(e->d_name, "%4d-%2d-%2d%c", &y, &m, &dd, &tail) != 3)
            continue;
        int64_t day = days_from_civil(y, m, dd) * 86400;
        if (day + 86400 > limit)
            continue;
        snprintf(path, sizeof(path), "%s/%s", rt.cfg.recording_dir, e->d_name);
        DIR *sub = opendir(path);
        struct dirent *f;
        while (sub && (f = readdir(sub))) {
            char file[1700];
            if (f->d_name[0] == '.')
                continue;
            snprintf(file, sizeof(file), "%s/%s", path, f->d_name);
            removed += remove(file) == 0;
        }
        if (sub)
            closedir(sub);
        rmdir(path);
    }
    closedir(d);
    /* Voice messages: their rows marked expired with their files deleted,
     * then any file left in messages/ without a row (the store was down
     * when it was left) by its age. */
    int n = 0;
    if (messages_expire(jdb, limit * WTIME_SEC, &n)) {
        log_warn("tel: voice messages past the retention not expired: %s", err_message());
        err_clear();
    }
    removed += n;
    snprintf(path, sizeof(path), "%s/messages", rt.cfg.recording_dir);
    removed += purge_older(path, limit);
    /* a recording a crash cut short stays in .streaming/ (recstream.c) */
    snprintf(path, sizeof(path), "%s/.streaming", rt.cfg.recording_dir);
    removed += purge_older(path, limit);
    if (removed)
        log_info("tel: %d recordings older than the retention deleted", removed);
    /* Quality reviews outlive the recording they were scored on by
     * quality.review_retention, then go in the same purge. */
    if (quality_purge(jdb, (limit - conf_int("quality.review_retention")) * WTIME_SEC, &n)) {
        log_warn("quality: reviews past their retention not deleted: %s", err_message());
        err_clear();
    } else if (n) {
        log_info("quality: %d review(s) older than the recordings' retention and quality.review_retention deleted", n);
    }
}

static void *work(void *arg)
{
    int64_t next_purge = 0, next_poll = 0;
    for (;;) {
        struct job *j = NULL;
        pthread_mutex_lock(&qmx);
        while (!qlen && !stopping && !poll_now) {
            /* until the next look for callbacks due or the next purge of
             * recordings (the first at start: what a restart after a
             * retention change finds too old goes at once) */
            int64_t now_us = clock_mono_us();
            int64_t wait_us = dialler_enabled() ? next_poll - now_us : 60LL * 1000000;
            if (next_purge - now_us < wait_us)
                wait_us = next_purge - now_us;
            if (wait_us <= 0)
                break;
            struct timespec ts;
            clock_deadline(wait_us, &ts);
            pthread_cond_timedwait(&qcv, &qmx, &ts);
            if (!qlen)
                break;
        }
        if (qlen) {
            j = queue[qhead];
            qhead = (qhead + 1) % qcap;
            qlen--;
        }
        bool stop = stopping && !qlen && !j;
        bool poll = !stopping && (poll_now || clock_mono_us() >= next_poll);
        poll_now = false;
        pthread_mutex_unlock(&qmx);
        if (stop)
            break;
        if (poll) {
            dialler_poll(jdb);
            next_poll = clock_mono_us() + conf_int("sip.callback_poll") * 1000000;
        }
        if (clock_mono_us() >= next_purge) {
            purge();
            next_purge = clock_mono_us() + 3600LL * 1000000;
        }
        if (!j)
            continue;
        switch (j->kind) {
        case JOB_LOOKUP:
            do_lookup(j);
            break;
        case JOB_CALLBACK:
            do_callback(j);
            break;
        case JOB_DIAL: /* made here, never submitted */
            break;
        case JOB_CALLBACK_RESULT:
            dialler_result(jdb, j);
            free(j);
            continue;
        case JOB_MESSAGE: /* answered by the recording writer, never submitted */
            break;
        }
        jobs_answer(j);
    }
    return NULL;
}

void jobs_detach(void)
{
    pthread_mutex_lock(&qmx);
    detached = true;
    pthread_mutex_unlock(&qmx);
}

int jobs_start(struct db *db)
{
    jdb = db;
    stopping = detached = false;
    if (pthread_create(&worker, NULL, work, NULL))
        return err_set(WASL_EINTERNAL, "tel.thread", "cannot start the telephony's store worker");
    started = true;
    return 0;
}

void jobs_stop(void)
{
    if (!started)
        return;
    pthread_mutex_lock(&qmx);
    stopping = true;
    pthread_cond_broadcast(&qcv);
    pthread_mutex_unlock(&qmx);
    pthread_join(worker, NULL);
    started = false;
    free(queue);
    queue = NULL;
    qhead = qlen = qcap = 0;
}
