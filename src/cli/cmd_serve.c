/*
 * wasl serve: opens the store, loads the data files, starts the web server
 * and runs until SIGINT or SIGTERM.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "api/api.h"
#include "guide/guide.h"
#include "cases/cases.h"
#include "tel/tel.h"
#include "events/events.h"
#include "calendar/calendar.h"
#include "auth/auth.h"

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
    if ((err = calendar_emergency_load(c->db)))
        return cli_fail(err, "calendar");
    if ((err = api_supervision_load(cli_data_dir())))
        return cli_fail(err, "supervision");
    app.db = c->db;
    hc = (struct http_config){.routes = api_routes, .nroutes = api_routes_count, .db = c->db, .app = &app};

    /* Every thread started from here on inherits the blocked signals; only
     * this thread takes them, in sigwait(). */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    if ((err = http_start(&hc)))
        return cli_fail(err, "http");
    char portal[160];
    snprintf(portal, sizeof(portal), "%s://%s:%d/portal.html", http_scheme(),
             strchr(conf_str("http.listen"), ':') ? "[::1]" : conf_str("http.listen"), http_port());
    cases_set_default_portal(portal);
    if ((err = cases_worker_start(c->db))) {
        http_stop();
        return cli_fail(err, "cases");
    }
    if ((err = events_start(c->db))) {
        cases_worker_stop();
        http_stop();
        return cli_fail(err, "events");
    }
    if ((err = tel_start(c->db, cli_data_dir()))) {
        events_stop();
        cases_worker_stop();
        http_stop();
        return cli_fail(err, "telephony");
    }
    if ((err = api_live_start(c->db))) {
        tel_stop();
        cases_worker_stop();
        http_stop();
        return cli_fail(err, "live events");
    }
    if (*conf_str("audit.mail_to") && !conf_bool("smtp.enabled"))
        log_warn("audit: audit.mail_to is set but smtp.enabled is off: checkpoint mails wait in the outbox");
    audit_set_mailer(mail_checkpoint);
    if ((err = audit_checkpoint_start(c->db))) {
        api_live_stop();
        tel_stop();
        events_stop();
        cases_worker_stop();
        http_stop();
        return cli_fail(err, "audit");
    }
    printf("wasl is running (store: %s)\n", db_backend_name(c->db));
    printf("  web UI and API: %s://%s:%d/\n", http_scheme(),
           strchr(conf_str("http.listen"), ':') ? "[::1]" : conf_str("http.listen"), http_port());
    printf("  citizens' portal: %s\n", portal);
    if (tel_running())
        printf("  SIP (trunks and agents' phones): %s\n", tel_address());
    else
        printf("  SIP: off (sip.enabled = false)\n");
    printf("Press Ctrl-C to stop.\n");
    fflush(stdout);
    /* SIGHUP: read the IVR flow again (calls in progress keep theirs) and
     * the HTTPS certificate (handshakes in progress keep theirs). */
    bool applied;
    while (!sigwait(&set, &sig) && sig == SIGHUP) {
        if (tel_running() && tel_flow_reload(&applied))
            log_error("tel: flow not reloaded: %s", err_message());
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
    events_stop();
    cases_worker_stop();
    /* Last: everything above may still have written to the audit trail. */
    audit_checkpoint_stop(c->db);
    cases_shutdown();
    return 0;
}
