/*
 * wasl init [--demo]: creates the schema and the first administrator with a
 * random password printed once, or with --demo one documented account per
 * role (see README.md).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "tel/tel.h"
#include "auth/auth.h"
#include "cases/cases.h"

/* The demo accounts documented in README.md. Never use them in production. */
static const struct user_fields demo_users[] = {
    {"admin", "Demo Administrator", "admin", NULL, "fr", "admin-demo-2026", false},
    {"supervisor", "Demo Supervisor", "supervisor", NULL, "fr", "supervisor-demo-2026", false},
    {"agent", "Demo Agent", "agent", NULL, "fr", "agent-demo-2026", false},
    {"editor", "Demo Guide Editor", "editor", NULL, "fr", "editor-demo-2026", false},
    {"backoffice", "Demo Back-office (Paris)", "backoffice", "FR-PAR", "fr", "backoffice-demo-2026", false},
};

int cmd_init(struct cli *c)
{
    const struct actor *who = cli_who(ROLE_NONE);
    bool demo = c->argc > 0 && strcmp(c->argv[0], "--demo") == 0;
    int64_t users = 0;
    struct db_conn *conn;
    int err;

    if (c->argc > (demo ? 1 : 0)) {
        fprintf(stderr, "usage: wasl init [--demo]\n");
        return 2;
    }
    if ((err = cli_load_data()))
        return cli_fail(err, "data");
    if ((err = cli_open_db(c)))
        return cli_fail(err, "store");
    if ((err = cases_init(cli_data_dir(), true)))
        return cli_fail(err, "cases");
    char portal[160];
    snprintf(portal, sizeof(portal), "http://127.0.0.1:%lld/portal.html", conf_int("http.port") ? conf_int("http.port") : 8080);
    cases_set_default_portal(portal);
    if ((err = db_conn_get(c->db, &conn)))
        return cli_fail(err, "store");
    err = db_query_int(conn, &users, "SELECT COUNT(*) FROM users", NULL, 0);
    db_conn_put(conn);
    if (err)
        return cli_fail(err, "store");
    if (users > 0) {
        fprintf(stderr, "wasl: the database %s already has accounts; nothing to do\n", conf_str("store.url"));
        return 1;
    }
    if (demo) {
        int64_t ids[sizeof(demo_users) / sizeof(demo_users[0])];
        for (size_t i = 0; i < sizeof(demo_users) / sizeof(demo_users[0]); i++)
            if ((err = user_create(c->db, who, &demo_users[i], &ids[i])))
                return cli_fail(err, demo_users[i].login);
        /* The demo agent's and supervisor's phones (a softphone or baresip
         * registers with these). */
        if ((err = tel_account_set(c->db, ids[2], "agent", "agent-phone-2026", "fr ar en", NULL, -1)) ||
            (err = tel_account_set(c->db, ids[1], "supervisor", "supervisor-phone-2026", languages_list(), NULL, -1)))
            return cli_fail(err, "demo SIP accounts");
        if (cli_import_guide(c))
            return 1;
        char ref[CASE_REF_LEN + 1] = "", pin[7] = "";
        int ncases = (int)conf_int("cases.demo_cases");
        if (ncases && (err = cases_demo(c->db, ncases, ref, pin)))
            return cli_fail(err, "demo cases");
        if ((err = audit_checkpoint(c->db, "init", false)))
            return cli_fail(err, "audit checkpoint");
        printf("Demo database ready in %s, with %d demo cases. Demo logins (login / password):\n", conf_str("store.url"), ncases);
        for (size_t i = 0; i < sizeof(demo_users) / sizeof(demo_users[0]); i++)
            printf("  %-11s %s\n", demo_users[i].login, demo_users[i].password);
        if (ref[0])
            printf("Citizens' portal: track demo case %s with PIN %s\n", ref, pin);
        printf("Agents' phones (SIP, realm %s): agent / agent-phone-2026, supervisor / supervisor-phone-2026\n"
               "Demo toll-free numbers: data/tel/numbers.csv (France: +33800100200)\n",
               conf_str("sip.realm"));
        return 0;
    }
    char pw[32];
    auth_random_password(pw, sizeof(pw));
    struct user_fields admin = {"admin", "Administrator", "admin", NULL, "fr", pw, true};
    if ((err = user_create(c->db, who, &admin, NULL)))
        return cli_fail(err, "admin");
    if (cli_import_guide(c))
        return 1;
    if ((err = audit_checkpoint(c->db, "init", false)))
        return cli_fail(err, "audit checkpoint");
    printf("Database ready in %s.\n"
           "Administrator login: admin\n"
           "Password (shown only now; you will be asked to change it): %s\n",
           conf_str("store.url"), pw);
    return 0;
}
