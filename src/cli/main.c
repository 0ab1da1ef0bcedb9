/*
 * The wasl program: global options, settings, and the subcommands.
 *   wasl [--config FILE] [--db URL] [--set NAME=VALUE]... COMMAND [ARGS]
 */
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <pwd.h>
#include <unistd.h>

#include "cli.h"
#include "auth/auth.h"
#include "geo/geo.h"
#include "http/http.h"
#include "guide/guide.h"
#include "tel/tel.h"
#include "events/events.h"
#include "cases/cases.h"
#include "api/api.h"
#include "stats/stats.h"
#include "quality/quality.h"
#include "coach/coach.h"
#include "cluster/cluster.h"

/* clang-format off */
static const struct conf_def main_conf[] = {
    {"log.level", CONF_STR, "info", 0, 0, "least important log lines written: debug, info, warn or error"},
    {"paths.data", CONF_PATH, "", 0, 0, "folder of the data files (empty: data/ next to the program, else ./data)"},
    {"paths.zoneinfo", CONF_PATH, "/usr/share/zoneinfo", 0, 0, "IANA time-zone database (TZif files)"},
    {"clock.start", CONF_STR, "", 0, 0, "tests only: start the clock at this UTC instant (2026-11-28T19:59:59Z); it runs on from there"},
    {"clock.freeze", CONF_BOOL, "false", 0, 0, "tests only: with clock.start, the clock stays at that instant (time-outs still run)"},
};
/* clang-format on */

static const struct {
    const char *name;
    int (*run)(struct cli *c);
    const char *usage;
} commands[] = {
    {"init", cmd_init, "init [--demo]          create the database and the first admin (--demo: demo accounts and data)"},
    {"serve", cmd_serve, "serve                  run the contact center: web UI and API"},
    {"migrate", cmd_migrate, "migrate                apply pending database migrations"},
    {"backup", cmd_backup, "backup FILE            consistent online copy of a SQLite database"},
    {"user", cmd_user, "user add|passwd|disable|enable|unlock|list ...   manage accounts (wasl user help)"},
    {"audit", cmd_audit,
     "audit verify|list|checkpoint|public-key   check the audit trail (keyed chain, signed checkpoints), show it, sign its head"},
    {"config", cmd_config, "config check FILE      validate a settings file"},
    {"guide", cmd_guide, "guide import|export DIR | reindex   load or save the consular guide with its history"},
    {"privacy", cmd_privacy, "privacy export|erase --phone N|--email A | purge   a citizen's personal data (audited)"},
    {"keys", cmd_keys, "keys rotate            new personal-data key; re-encrypts everything"},
    {"prompts", cmd_prompts, "prompts generate [DIR] | list LANG   make the telephone prompts (espeak-ng, sox)"},
    {"ivr", cmd_ivr, "ivr check [FILE...]    load and check call flows (data/ivr/*.json)"},
    {"staff", cmd_staff,
     "staff --calls N [...] | plan --day D   agents an interval's calls need (Erlang C; --patience: Erlang A); a day's forecast "
     "and plan"},
    {"simulate", cmd_simulate,
     "simulate FILE [--days N] [--agents GROUP=N] [--json]   a day of the language queues with the real distributor"},
    {"routes", cmd_routes, "routes                 the HTTP route table as JSON"},
};

static char data_dir[PATH_MAX];

static void usage(FILE *f)
{
    fprintf(f, "usage: wasl [--config FILE] [--db URL] [--set NAME=VALUE]... COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %s\n", commands[i].usage);
    fprintf(f, "  help [config [--markdown]]   this text, or every setting with its default\n"
               "  version                print the version\n\n"
               "Settings come from wasl.conf (or --config), then WASL_<SECTION>_<KEY> environment\n"
               "variables, then --db and --set.\n");
}

int cli_fail(int err, const char *what)
{
    const char *m = err_message();
    if (*m)
        fprintf(stderr, "wasl: %s%s%s\n", what ? what : "", what ? ": " : "", m);
    else
        fprintf(stderr, "wasl: %s%s%s\n", what ? what : "", what ? ": " : "", err_default_message(err));
    return 1;
}

const char *cli_data_dir(void)
{
    return data_dir;
}

static void find_data_dir(void)
{
    const char *set = conf_str("paths.data");

    if (*set)
        snprintf(data_dir, sizeof(data_dir), "%s", set);
    else if (path_near_exe("data", data_dir, sizeof(data_dir)))
        snprintf(data_dir, sizeof(data_dir), "data");
    err_clear();
}

int cli_load_data(void)
{
    int err;
    find_data_dir();
    if ((err = geo_load(data_dir)))
        return err;
    return 0;
}

int cli_open_db(struct cli *c)
{
    const char *url = conf_str("store.url");
    int err, cur, latest;
    /* Only init and migrate make a new SQLite file; a typo in a path or a
     * command run from the wrong folder must not leave empty databases. */
    if (!c->creating && strncmp(url, "postgres", 8) != 0) {
        const char *path = strncmp(url, "sqlite:", 7) == 0 ? url + 7 : url;
        if (access(path, F_OK) != 0)
            return err_set(WASL_ENOENT, "store.missing", "no database at %s: run `wasl init` first, or give --db", path);
    }
    if ((err = db_open(&c->db, url)) || (err = db_schema_version(c->db, &cur, &latest)))
        return err;
    /* An older binary would misread (or write wrongly) what a newer one made. */
    if (cur > latest)
        return err_set(WASL_ECONFLICT, "store.newer_schema",
                       "the database is at schema version %d, newer than this wasl knows (%d): use the wasl that upgraded it", cur,
                       latest);
    /* The audit key: made by the commands that migrate when the trail has
     * none yet (a new installation, or the first start after the upgrade
     * that brought it); the others load it when it is there. */
    if (c->migrates)
        return (err = db_migrate(c->db, &c->applied)) ? err : audit_keys_open(c->db, true);
    /* A backup or an audit check must not change the schema under a
     * running server of another version. */
    if (cur < latest)
        return err_set(WASL_ECONFLICT, "store.old_schema",
                       "the database is at schema version %d and this wasl needs %d: run `wasl migrate` first (after a backup)",
                       cur, latest);
    return audit_keys_open(c->db, false);
}

const struct actor *cli_who(int role)
{
    /* The operating system's account that runs the command, not $USER or
     * $LOGNAME, which anyone sets. SUDO_USER is recorded too, labelled as
     * what it is: a claim from the environment (sudo sets it, so can anyone). */
    static char login[96];
    static struct actor who;
    struct passwd *pw = getpwuid(geteuid());
    const char *sudo = getenv("SUDO_USER");
    char uid[24];

    snprintf(uid, sizeof(uid), "uid %u", (unsigned)geteuid());
    if (sudo && *sudo && (!pw || strcmp(sudo, pw->pw_name) != 0))
        snprintf(login, sizeof(login), "cli:%.32s (SUDO_USER=%.32s)", pw ? pw->pw_name : uid, sudo);
    else
        snprintf(login, sizeof(login), "cli:%.32s", pw ? pw->pw_name : uid);
    who = (struct actor){.login = login, .role = role, .request_id = "", .ip = ""};
    return &who;
}

static int setup(const char *config_path, bool config_given)
{
    int err;

    if ((err = conf_register(main_conf, sizeof(main_conf) / sizeof(main_conf[0]))) ||
        (err = conf_register(store_conf, store_conf_count)) || (err = conf_register(http_conf, http_conf_count)) ||
        (err = conf_register(auth_conf, auth_conf_count)) || (err = conf_register(audit_conf, audit_conf_count)) ||
        (err = conf_register(guide_conf, guide_conf_count)) || (err = conf_register(cases_conf, cases_conf_count)) ||
        (err = conf_register(tel_conf, tel_conf_count)) || (err = conf_register(tel_overload_conf, tel_overload_conf_count)) ||
        (err = conf_register(api_conf, api_conf_count)) || (err = conf_register(events_conf, events_conf_count)) ||
        (err = conf_register(api_figures_conf, api_figures_conf_count)) || (err = conf_register(stats_conf, stats_conf_count)) ||
        (err = conf_register(quality_conf, quality_conf_count)) || (err = conf_register(cluster_conf, cluster_conf_count)) ||
        (err = tel_privacy_register()) || (err = coach_privacy_register()))
        return err;
    if (config_given || access(config_path, F_OK) == 0)
        if ((err = conf_load_file(config_path)))
            return err;
    return conf_apply_env();
}

static int finish_setup(void)
{
    enum log_level lvl;
    const char *start = conf_str("clock.start");
    int err;

    if ((err = log_parse_level(conf_str("log.level"), &lvl)))
        return err;
    log_set_level(lvl);
    tz_set_dir(conf_str("paths.zoneinfo"));
    if (*start) {
        wtime_t t;
        if ((err = clock_parse_utc(start, &t)))
            return err;
        if (conf_bool("clock.freeze"))
            clock_freeze(t);
        else
            clock_set(t);
        log_warn("clock: started at %s as configured (clock.start); this is for tests", start);
    }
    if ((err = wrand_init()) || (err = auth_init()))
        return err;
    return 0;
}

/* Global options may come before or after the command: they are taken out
 * of argv wherever they are, and the rest is the command and its arguments. */
struct globals {
    const char *config_path;
    bool config_given;
    const char *db;
    const char *sets[64];
    int nsets;
};

static int take_globals(int argc, char **argv, struct globals *g, char **rest, int *nrest)
{
    *nrest = 0;
    for (int i = 1; i < argc; i++) {
        bool has_value = i + 1 < argc;
        if (!strcmp(argv[i], "--config") || !strcmp(argv[i], "--db") || !strcmp(argv[i], "--set")) {
            if (!has_value) {
                fprintf(stderr, "wasl: %s needs a value\n", argv[i]);
                return 2;
            }
            if (!strcmp(argv[i], "--config")) {
                g->config_path = argv[++i];
                g->config_given = true;
            } else if (!strcmp(argv[i], "--db")) {
                g->db = argv[++i];
            } else if (g->nsets < 64) {
                g->sets[g->nsets++] = argv[++i];
            }
        } else {
            rest[(*nrest)++] = argv[i];
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct cli c = {0};
    struct globals g = {.config_path = "wasl.conf"};
    char **rest = calloc((size_t)argc + 1, sizeof(char *));
    int nrest, err, rc;

    if (!rest)
        return 1;
    /* Everything wasl writes (the database, its WAL, backups, recordings,
     * voice messages, keys, exports) is for its own account only (issue 10:
     * they were world-readable). */
    umask(077);
    if ((rc = take_globals(argc, argv, &g, rest, &nrest)))
        goto out;
    if (nrest == 0 || !strcmp(rest[0], "help") || !strcmp(rest[0], "--help") || !strcmp(rest[0], "-h")) {
        if (nrest > 1 && !strcmp(rest[1], "config")) {
            setup("/nonexistent", false);
            bool md = nrest > 2 && !strcmp(rest[2], "--markdown");
            if (md)
                printf("# wasl settings\n\nGenerated by `wasl help config --markdown` from the settings tables.\n"
                       "Put them in `wasl.conf` as `[section]` and `key = value`, or set `WASL_<SECTION>_<KEY>`.\n"
                       "Durations are seconds, or a number with s, m, h or d.\n");
            conf_write_help(stdout, md);
            rc = 0;
            goto out;
        }
        usage(nrest == 0 ? stderr : stdout);
        rc = nrest == 0 ? 2 : 0;
        goto out;
    }
    if (!strcmp(rest[0], "version") || !strcmp(rest[0], "--version")) {
        printf("wasl %s\n", WASL_VERSION);
        rc = 0;
        goto out;
    }
    rc = 1;
    if ((err = setup(g.config_path, g.config_given)) || (g.db && (err = conf_set("store.url", g.db, "--db")))) {
        cli_fail(err, NULL);
        goto out;
    }
    for (int k = 0; k < g.nsets; k++) {
        char name[128];
        const char *eq = strchr(g.sets[k], '=');
        if (!eq || eq - g.sets[k] >= (long)sizeof(name)) {
            fprintf(stderr, "wasl: --set wants NAME=VALUE, not '%s'\n", g.sets[k]);
            rc = 2;
            goto out;
        }
        snprintf(name, sizeof(name), "%.*s", (int)(eq - g.sets[k]), g.sets[k]);
        if ((err = conf_set(name, eq + 1, "--set"))) {
            cli_fail(err, NULL);
            goto out;
        }
    }
    if ((err = finish_setup())) {
        cli_fail(err, NULL);
        goto out;
    }
    c.argc = nrest - 1;
    c.argv = rest + 1;
    c.config_path = g.config_path;
    for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++) {
        if (strcmp(commands[k].name, rest[0]) == 0) {
            c.creating = !strcmp(rest[0], "init") || !strcmp(rest[0], "migrate");
            c.migrates = c.creating || !strcmp(rest[0], "serve");
            rc = commands[k].run(&c);
            db_close(c.db);
            goto out;
        }
    }
    fprintf(stderr, "wasl: unknown command '%s'\n\n", rest[0]);
    usage(stderr);
    rc = 2;
out:
    free(rest);
    return rc;
}
