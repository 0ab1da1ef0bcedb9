/*
 * The wasl program: global options, settings, and the subcommands.
 *   wasl [--config FILE] [--db URL] [--set NAME=VALUE]... COMMAND [ARGS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <unistd.h>

#include "cli.h"
#include "auth/auth.h"
#include "geo/geo.h"
#include "http/http.h"
#include "guide/guide.h"

/* clang-format off */
static const struct conf_def main_conf[] = {
    {"log.level", CONF_STR, "info", 0, 0, "least important log lines written: debug, info, warn or error"},
    {"paths.data", CONF_PATH, "", 0, 0, "folder of the data files (empty: data/ next to the program, else ./data)"},
    {"paths.zoneinfo", CONF_PATH, "/usr/share/zoneinfo", 0, 0, "IANA time-zone database (TZif files)"},
    {"clock.start", CONF_STR, "", 0, 0, "tests only: start the clock at this UTC instant (2026-11-28T19:59:59Z); it runs on from there"},
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
    {"audit", cmd_audit, "audit verify|list      check the audit trail's hash chain, or show its newest entries"},
    {"config", cmd_config, "config check FILE      validate a settings file"},
    {"guide", cmd_guide, "guide import|export DIR | reindex   load or save the consular guide with its history"},
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
    int err, applied;
    if ((err = db_open(&c->db, conf_str("store.url"))))
        return err;
    if ((err = db_migrate(c->db, &applied)))
        return err;
    return 0;
}

static int setup(const char *config_path, bool config_given)
{
    int err;

    if ((err = conf_register(main_conf, sizeof(main_conf) / sizeof(main_conf[0]))) ||
        (err = conf_register(store_conf, store_conf_count)) || (err = conf_register(http_conf, http_conf_count)) ||
        (err = conf_register(auth_conf, auth_conf_count)) || (err = conf_register(guide_conf, guide_conf_count)))
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
        clock_set(t);
        log_warn("clock: started at %s as configured (clock.start); this is for tests", start);
    }
    if ((err = rand_init()) || (err = auth_init()))
        return err;
    return 0;
}

int main(int argc, char **argv)
{
    struct cli c = {0};
    const char *config_path = "wasl.conf";
    bool config_given = false;
    int i, err, rc;

    /* Global options first; they only need the settings tables. */
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config_path = argv[++i];
            config_given = true;
        } else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
            i++;
        } else if (strcmp(argv[i], "--set") == 0 && i + 1 < argc) {
            i++;
        } else {
            break;
        }
    }
    if (i >= argc || strcmp(argv[i], "help") == 0 || strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
        if (i + 1 < argc && strcmp(argv[i + 1], "config") == 0) {
            setup("/nonexistent", false);
            bool md = i + 2 < argc && strcmp(argv[i + 2], "--markdown") == 0;
            if (md)
                printf("# wasl settings\n\nGenerated by `wasl help config --markdown` from the settings tables.\n"
                       "Put them in `wasl.conf` as `[section]` and `key = value`, or set `WASL_<SECTION>_<KEY>`.\n");
            conf_write_help(stdout, md);
            return 0;
        }
        usage(i >= argc ? stderr : stdout);
        return i >= argc ? 2 : 0;
    }
    if (strcmp(argv[i], "version") == 0 || strcmp(argv[i], "--version") == 0) {
        printf("wasl %s\n", WASL_VERSION);
        return 0;
    }
    if ((err = setup(config_path, config_given)))
        return cli_fail(err, NULL);
    for (int k = 1; k < i; k++) {
        if (strcmp(argv[k], "--db") == 0)
            err = conf_set("store.url", argv[++k], "--db");
        else if (strcmp(argv[k], "--set") == 0) {
            char name[128];
            const char *eq = strchr(argv[++k], '=');
            if (!eq || eq - argv[k] >= (long)sizeof(name)) {
                fprintf(stderr, "wasl: --set wants NAME=VALUE, not '%s'\n", argv[k]);
                return 2;
            }
            snprintf(name, sizeof(name), "%.*s", (int)(eq - argv[k]), argv[k]);
            err = conf_set(name, eq + 1, "--set");
        } else if (strcmp(argv[k], "--config") == 0)
            k++;
        if (err)
            return cli_fail(err, NULL);
    }
    if ((err = finish_setup()))
        return cli_fail(err, NULL);
    c.argc = argc - i - 1;
    c.argv = argv + i + 1;
    c.config_path = config_path;
    for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++) {
        if (strcmp(commands[k].name, argv[i]) == 0) {
            rc = commands[k].run(&c);
            db_close(c.db);
            return rc;
        }
    }
    fprintf(stderr, "wasl: unknown command '%s'\n\n", argv[i]);
    usage(stderr);
    return 2;
}
