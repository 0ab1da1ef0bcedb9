/*
 * wasl serve: opens the store, loads the data files, starts the web server
 * and runs until SIGINT or SIGTERM.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "api/api.h"
#include "guide/guide.h"
#include "brief/brief.h"
#include "cases/cases.h"
#include "tel/tel.h"
#include "events/events.h"
#include "calendar/calendar.h"
#include "auth/auth.h"
#include "quality/quality.h"
#include "practice/practice.h"
#include "cluster/cluster.h"

/* Morocco returned to UTC+00 for good on 2026-09-20 (tzdata 2026c). Older
 * zone data still has +01 with Ramadan switches; mid-2027 tells them apart. */
static void check_tzdata(void)
{
    const struct tz *z;
    struct tz_local l;
    const int64_t mid_2027 = 1812110400; /* 2027-06-04T12:00:00Z */

    if (tz_get("Africa/Casablanca", &z) || tz_to_local(z, mid_2027, &l)) {
        log_warn("time: Africa/Casablanca is missing from %s; install tzdata (scripts/deps.sh)", conf_str("paths.zoneinfo"));
        return;
    }
    if (l.utoff != 0)
        log_warn("time: this machine's Africa/Casablanca data predates Morocco's return to UTC+00 on 2026-09-20 "
                 "(tzdata 2026c): Moroccan times will be an hour off. Upgrade tzdata (scripts/deps.sh).");
}

/* The audit trail's checkpoints mailed to the auditor (audit.mail_to) go
 * through the outbox like any mail. */
static int mail_checkpoint(struct db *db, const char *to, const char *subject, const char *body)
{
    struct db_conn *c;
    int err = db_conn_get(db, &c);
    if (err)
        return err;
    err = outbox_add(c, 0, to, subject, body);
    db_conn_put(c);
    return err;
}

/* The cluster's thread says the role changed: the main thread, waiting in
 * sigwait(), does the work (starting the telephony takes a while). To that
 * thread only: the threads started before it blocked SIGUSR1 would die of it. */
static pthread_t main_thread;

static void role_changed(bool leading, void *arg)
{
    (void)leading;
    (void)arg;
    pthread_kill(main_thread, SIGUSR1);
}

/* The emergency closure or the guide changed on another node. */
static void emergency_changed(void *arg)
{
    if (calendar_emergency_load(arg))
        log_warn("calendar: the emergency closure changed elsewhere but could not be read: %s", err_message());
    err_clear();
}

static void guide_changed(void *arg)
{
    guide_changed_elsewhere(arg);
}

/* The telephony and its live events, on the node that leads: hooks of the
 * cluster's take-over (src/cluster), between the event log's and the
 * background jobs'. */
static int lead_telephony(void *db)
{
    return tel_start(db, cli_data_dir());
}

static int lead_live(void *db)
{
    return api_live_start(db);
}

/* Fenced: the next leader's recovery now owns this node's calls (it ends
 * them); stop at once rather than answer anything more. A service manager
 * starts it again, as a standby. The last step-down hook. */
static void fenced(void *arg)
{
    (void)arg;
    log_error("cluster: lost the distributor's lease: this node stops now (exit 75)");
    fflush(stderr);
    _exit(75);
}

int cmd_serve(struct cli *c)
{
    static struct app app;
    struct http_config hc;
    sigset_t set;
    int err, sig = 0;

    if (c->argc) {
        fprintf(stderr, "wasl: serve takes no arguments (options go before or after: wasl serve --set http.port=8081)\n");
        return 2;
    }
    if ((err = cli_load_data()))
        return cli_fail(err, "data");
    if ((err = cli_open_db(c)))
        return cli_fail(err, "store");
    check_tzdata();
    if ((err = guide_init(c->db, cli_data_dir())))
        return cli_fail(err, "guide");
    brief_init();
    /* A key file is only made here for a database that holds no personal
     * data yet; otherwise a missing key is an error, not a fresh start. */
    int64_t ncases = 0;
    struct db_conn *conn;
    if (!(err = db_conn_get(c->db, &conn))) {
        err = db_query_int(conn, &ncases, "SELECT COUNT(*) FROM cases", NULL, 0);
        db_conn_put(conn);
    }
    if (err || (err = cases_init(cli_data_dir(), ncases == 0)))
        return cli_fail(err, "cases");
    if ((err = api_supervision_load(cli_data_dir())))
        return cli_fail(err, "supervision");
    if ((err = quality_init(c->db, cli_data_dir())))
        return cli_fail(err, "quality");
    if ((err = practice_load(cli_data_dir(), NULL, true)) || (err = practice_start(c->db)))
        return cli_fail(err, "practice");
    app.db = c->db;
    hc = (struct http_config){.routes = api_routes, .nroutes = api_routes_count, .db = c->db, .app = &app};

    /* Every thread started from here on inherits the blocked signals; only
     * this thread takes them, in sigwait(). */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    main_thread = pthread_self();
    signal(SIGPIPE, SIG_IGN);

    if ((err = http_start(&hc)))
        return cli_fail(err, "http");
    char portal[160];
    snprintf(portal, sizeof(portal), "%s://%s:%d/portal.html", http_scheme(),
             strchr(conf_str("http.listen"), ':') ? "[::1]" : conf_str("http.listen"), http_port());
    cases_set_default_portal(portal);
    /* One node at a time runs the telephony and the background jobs
     * (cluster.enabled); alone, this one at once, once it holds the store
     * (a second node without the cluster is refused here). What it does
     * then is the hooks registered below and by the modules' starts. */
    if ((err = cluster_start(c->db, role_changed, NULL)) ||
        (err = cluster_on_lead("telephony", CLUSTER_STAGE_TELEPHONY, lead_telephony, c->db)) ||
        (err = cluster_on_lead("live events", CLUSTER_STAGE_LIVE, lead_live, c->db)) ||
        (err = cluster_on_step_down("exit 75", CLUSTER_STAGE_LAST, fenced, NULL))) {
        cluster_stop();
        http_stop();
        return cli_fail(err, "cluster");
    }
    if ((err = cases_worker_start(c->db))) {
        cluster_stop();
        http_stop();
        return cli_fail(err, "cases");
    }
    if ((err = events_start(c->db))) {
        cases_worker_stop();
        cluster_stop();
        http_stop();
        return cli_fail(err, "events");
    }
    /* The version of what other nodes may change, before it is used. */
    int64_t emergency_seen = 0, guide_seen = 0;
    struct db_watch *emergency_watch = NULL, *guide_watch = NULL;
    if ((err = db_change_version(c->db, "emergency", &emergency_seen)) || (err = db_change_version(c->db, "guide", &guide_seen)) ||
        (err = calendar_emergency_load(c->db)) ||
        (err = db_watch_start(c->db, "emergency", emergency_seen, 250, emergency_changed, c->db, &emergency_watch)) ||
        (err = db_watch_start(c->db, "guide", guide_seen, 250, guide_changed, c->db, &guide_watch))) {
        db_watch_stop(emergency_watch);
        events_stop();
        cases_worker_stop();
        cluster_stop();
        http_stop();
        return cli_fail(err, "store");
    }
    bool leading = cluster_leading(); /* a later take-over comes as SIGUSR1 */
    if (leading && (err = cluster_lead_run())) {
        api_live_stop();
        tel_stop();
        db_watch_stop(guide_watch);
        db_watch_stop(emergency_watch);
        events_stop();
        cases_worker_stop();
        cluster_stop();
        http_stop();
        return cli_fail(err, "telephony");
    }
    if (*conf_str("audit.mail_to") && !conf_bool("smtp.enabled"))
        log_warn("audit: audit.mail_to is set but smtp.enabled is off: checkpoint mails wait in the outbox");
    audit_set_mailer(mail_checkpoint);
    if ((err = audit_checkpoint_start(c->db))) {
        api_live_stop();
        tel_stop();
        db_watch_stop(guide_watch);
        db_watch_stop(emergency_watch);
        events_stop();
        cases_worker_stop();
        cluster_stop();
        http_stop();
        return cli_fail(err, "audit");
    }
    printf("wasl is running (store: %s)\n", db_backend_name(c->db));
    printf("  web UI and API: %s://%s:%d/\n", http_scheme(),
           strchr(conf_str("http.listen"), ':') ? "[::1]" : conf_str("http.listen"), http_port());
    printf("  citizens' portal: %s\n", portal);
    if (tel_running())
        printf("  SIP (trunks and agents' phones): %s\n", tel_address());
    else if (!leading)
        printf("  SIP: standing by (another node holds the distributor's lease; see /healthz)\n");
    else
        printf("  SIP: off (sip.enabled = false)\n");
    printf("Press Ctrl-C to stop.\n");
    fflush(stdout);
    /* SIGHUP: read the IVR flow again (calls in progress keep theirs), the
     * phones' bindings in the store (as the telephony's start does) and the
     * HTTPS certificate (handshakes in progress keep theirs). SIGUSR1: the
     * cluster's role changed. */
    bool applied;
    while (!sigwait(&set, &sig) && (sig == SIGHUP || sig == SIGUSR1)) {
        if (sig == SIGUSR1) {
            if (cluster_leading() && !leading) {
                /* Taken over: the telephony's start rebuilds the queues
                 * from the log; callers the last leader had waiting are
                 * called back at their place. */
                if ((err = cluster_lead_run())) {
                    log_error("cluster: this node took the lease but cannot run the telephony: %s", err_message());
                    sig = SIGTERM;
                    break;
                }
                leading = true;
            } else if (!cluster_leading() && leading) {
                cluster_step_down_run(); /* the last hook ends the process */
            }
            continue;
        }
        if (tel_running() && tel_flow_reload(&applied))
            log_error("tel: flow not reloaded: %s", err_message());
        if (tel_locations_reload(c->db))
            log_error("tel: the phones' bindings were not read again: %s", err_message());
        http_tls_reload(); /* logs why when the new pair is refused */
    }
    log_info("serve: stopping on signal %d", sig);
    /* The live events, then the web server: a request still waiting for the
     * telephony thread gets its answer before that thread goes. Then the
     * telephony, which ends the calls up, then the event log, which writes
     * them, then the cases' worker. */
    api_live_stop();
    http_stop();
    /* no request searches the guide now: its index rebuild (a thread of
     * its own) ends before the store closes */
    guide_shutdown();
    tel_stop();
    db_watch_stop(guide_watch);
    db_watch_stop(emergency_watch);
    events_stop();
    cases_worker_stop();
    /* after the telephony ended its calls and the log wrote them: the next
     * node may start now */
    cluster_stop();
    /* Last: everything above may still have written to the audit trail. */
    audit_checkpoint_stop(c->db);
    cases_shutdown();
    return 0;
}
