/*
 * The cases' background work inside `wasl serve`: every minute the deadline
 * check (warnings, escalations) and the outbox; once a day, and at start,
 * the retention purge; until it is done, the name index of older cases and
 * the sealing of their subjects. One thread; stopping wakes it at once.
 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "cases_int.h"
#include "cluster/cluster.h"
#include "guide/guide.h"
#include "stats/stats.h"

static pthread_t worker;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static bool running, stopping, woken;

/* Logs a job's failure, unless the store is down: it logs that itself,
 * once, and the job is tried again after a back-off. */
static bool failed(struct db *db, const char *what)
{
    if (db_is_failing(db))
        return true;
    log_error("cases: %s: %s", what, err_message());
    return false;
}

/* One round of the jobs; true when the store was unreachable. */
/* Seals the subjects that cases from before migration 0013 hold in clear,
 * and the searches logged then, then rewrites the tables so their old text
 * is gone from the files too; *done once there are none left. */
static bool seal_subjects(struct db *db, bool *done)
{
    static const char *const tables[] = {"cases", "guide_search_log", NULL};
    int n = 0, total = 0;
    for (int batch = 0; !*done && batch < 50; batch++) {
        if (cases_seal_subjects(db, &n))
            return failed(db, "sealing subjects and logged searches");
        total += n;
        *done = n == 0;
    }
    if (total)
        log_info("cases: %d older case subject(s) and logged search(es) sealed", total);
    if (*done && total && db_scrub(db, tables)) {
        /* Sealed all the same; the old text waits for the next VACUUM. */
        log_warn("cases: subjects sealed, but the table could not be rewritten: %s", err_message());
        err_clear();
    }
    return false;
}

static bool run_once(struct db *db, int64_t *last_purge, bool *names_indexed, bool *subjects_sealed)
{
    int n = 0;
    bool down = false;
    int64_t now = clock_now();

    if (!cluster_leading()) /* another node runs them: each mail once */
        return false;
    if (cases_sla_tick(db, now, &n))
        down |= failed(db, "deadline check failed");
    else if (n)
        log_info("cases: %d case(s) warned or escalated", n);
    if (outbox_send(db, &n))
        down |= failed(db, "outbox");
    else if (n)
        log_info("cases: %d mail(s) sent", n);
    if (stats_summary_tick(db, cases_cfg.data_dir, now, &n)) /* after closing, once a day */
        down |= failed(db, "daily summary");
    else if (n)
        log_info("cases: the daily summary queued for %d supervisor(s)", n);
    if (case_requests_purge(db, now, &n))
        down |= failed(db, "idempotency keys purge");
    /* Batches of 200 in short transactions, at most 10,000 a round. */
    for (int batch = 0, total = 0; !*names_indexed && batch < 50; batch++) {
        if (cases_index_names(db, &n)) {
            down |= failed(db, "name index");
            break;
        }
        total += n;
        *names_indexed = n == 0;
        if (total && (*names_indexed || batch == 49))
            log_info("cases: %d older case(s) added to the name index", total);
    }
    if (!*subjects_sealed)
        down |= seal_subjects(db, subjects_sealed);
    if (now - *last_purge >= 86400 * WTIME_SEC) {
        if (privacy_purge(db, now, &n)) {
            down |= failed(db, "retention purge failed");
        } else {
            log_info("cases: retention purge: %d case(s) anonymized", n);
            *last_purge = now; /* a failed purge is tried again next round */
        }
    }
    err_clear();
    return down;
}

static void *loop(void *arg)
{
    struct db *db = arg;
    int64_t last_purge = 0;
    bool names_indexed = false;   /* cases from before the name index are all indexed */
    bool subjects_sealed = false; /* no case holds its subject in clear any more */
    int backoff = 0;              /* seconds; 0 while the store answers */

    pthread_mutex_lock(&lock);
    while (!stopping) {
        pthread_mutex_unlock(&lock);
        bool down = run_once(db, &last_purge, &names_indexed, &subjects_sealed);
        /* While the store is down: again after 1, 2, 4 ... s, at most a tick. */
        backoff = !down ? 0 : backoff ? backoff * 2 : 1;
        if (backoff > cases_cfg.tick_seconds)
            backoff = (int)cases_cfg.tick_seconds;
        pthread_mutex_lock(&lock);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += backoff ? backoff : cases_cfg.tick_seconds;
        while (!stopping && !woken && pthread_cond_timedwait(&wake, &lock, &until) == 0)
            ;
        woken = false;
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void worker_wake(void)
{
    pthread_mutex_lock(&lock);
    woken = true;
    pthread_cond_signal(&wake);
    pthread_mutex_unlock(&lock);
}

/* On lead (src/cluster): the claims of the node that led before go, then
 * a round at once. */
static int take_over(void *arg)
{
    (void)arg;
    outbox_take_over();
    worker_wake();
    return 0;
}

int cases_worker_start(struct db *db)
{
    int err;
    if ((err = cluster_on_lead("cases: outbox claims released, jobs woken", CLUSTER_STAGE_JOBS, take_over, NULL)))
        return err;
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
