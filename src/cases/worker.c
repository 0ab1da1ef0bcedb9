/*
 * The cases' background work inside `wasl serve`: every minute the deadline
 * check (warnings, escalations) and the outbox; once a day, and at start,
 * the retention purge. One thread; stopping wakes it at once.
 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "cases_int.h"

static pthread_t worker;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static bool running, stopping;

static void run_once(struct db *db, int64_t *last_purge)
{
    int n = 0;
    int64_t now = clock_now();

    if (cases_sla_tick(db, now, &n))
        log_error("cases: deadline check failed: %s", err_message());
    else if (n)
        log_info("cases: %d case(s) warned or escalated", n);
    if (outbox_send(db, &n))
        log_error("cases: outbox: %s", err_message());
    else if (n)
        log_info("cases: %d mail(s) sent", n);
    if (now - *last_purge >= 86400 * WTIME_SEC) {
        if (privacy_purge(db, now, &n))
            log_error("cases: retention purge failed: %s", err_message());
        else
            log_info("cases: retention purge: %d case(s) anonymized", n);
        *last_purge = now;
    }
}

static void *loop(void *arg)
{
    struct db *db = arg;
    int64_t last_purge = 0;

    pthread_mutex_lock(&lock);
    while (!stopping) {
        pthread_mutex_unlock(&lock);
        run_once(db, &last_purge);
        pthread_mutex_lock(&lock);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += cases_cfg.tick_seconds;
        while (!stopping && pthread_cond_timedwait(&wake, &lock, &until) == 0)
            ;
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

int cases_worker_start(struct db *db)
{
    stopping = false;
    if (pthread_create(&worker, NULL, loop, db))
        return err_set(WASL_EINTERNAL, "cases.worker", "cannot start the cases worker");
    running = true;
    return 0;
}

void cases_worker_stop(void)
{
    if (!running)
        return;
    pthread_mutex_lock(&lock);
    stopping = true;
    pthread_cond_signal(&wake);
    pthread_mutex_unlock(&lock);
    pthread_join(worker, NULL);
    running = false;
}
