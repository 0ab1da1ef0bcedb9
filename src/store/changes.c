/*
 * Change counters: one version per topic of shared state in the store
 * (table changes), bumped by each change inside its own transaction, and
 * watchers that poll a topic's version and call back when it moved. What a
 * process keeps in memory (the telephony's SIP accounts) thus follows a
 * change made by another node or by the CLI within one poll interval.
 *
 * Polling one row by primary key a few times a second costs nothing on
 * either backend and works the same on SQLite, where several processes
 * share one file and PostgreSQL's LISTEN/NOTIFY does not exist; a watcher
 * that cannot read (a store outage) tries again at the next interval and
 * calls back once it reads a version other than the last one it saw.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

int db_change_bump(struct db_conn *c, const char *topic)
{
    return db_exec(c,
                   "INSERT INTO changes (topic, version) VALUES (?, 1) "
                   "ON CONFLICT (topic) DO UPDATE SET version = changes.version + 1",
                   DBP(DB_S(topic)));
}

int db_change_version(struct db *db, const char *topic, int64_t *out)
{
    struct db_conn *c;
    int err = db_conn_get(db, &c);
    if (err)
        return err;
    *out = 0;
    err = db_query_int(c, out, "SELECT version FROM changes WHERE topic = ?", DBP(DB_S(topic)));
    db_conn_put(c);
    if (err == WASL_ENOENT) { /* never bumped */
        err_clear();
        err = 0;
    }
    return err;
}

struct db_watch {
    struct db *db;
    char topic[32];
    int64_t seen, interval_us;
    db_watch_h fn;
    void *arg;
    pthread_t thread;
    pthread_mutex_t mx;
    pthread_cond_t cv;
    bool stopping, failing;
};

static void *watch_main(void *p)
{
    struct db_watch *w = p;
    pthread_mutex_lock(&w->mx);
    while (!w->stopping) {
        struct timespec ts;
        clock_deadline(w->interval_us, &ts);
        pthread_cond_timedwait(&w->cv, &w->mx, &ts);
        if (w->stopping)
            break;
        pthread_mutex_unlock(&w->mx);
        int64_t v = 0;
        int err = db_change_version(w->db, w->topic, &v);
        if (err) {
            if (!w->failing)
                log_warn("store: cannot read the version of '%s' (trying again): %s", w->topic, err_message());
            err_clear();
            w->failing = true;
        } else {
            w->failing = false;
            if (v != w->seen) {
                w->seen = v;
                w->fn(w->arg);
            }
        }
        pthread_mutex_lock(&w->mx);
    }
    pthread_mutex_unlock(&w->mx);
    return NULL;
}

int db_watch_start(struct db *db, const char *topic, int64_t seen, int interval_ms, db_watch_h fn, void *arg, struct db_watch **out)
{
    struct db_watch *w = calloc(1, sizeof(*w));
    if (!w)
        return WASL_ENOMEM;
    w->db = db;
    snprintf(w->topic, sizeof(w->topic), "%s", topic);
    w->seen = seen;
    w->interval_us = (int64_t)interval_ms * 1000;
    w->fn = fn;
    w->arg = arg;
    pthread_mutex_init(&w->mx, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (pthread_create(&w->thread, NULL, watch_main, w)) {
        pthread_mutex_destroy(&w->mx);
        pthread_cond_destroy(&w->cv);
        free(w);
        return err_set(WASL_EINTERNAL, "store.watch_thread", "cannot start a thread to watch '%s'", topic);
    }
    *out = w;
    return 0;
}

void db_watch_stop(struct db_watch *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mx);
    w->stopping = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mx);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->mx);
    pthread_cond_destroy(&w->cv);
    free(w);
}
