/*
 * cli: the wasl command and its subcommands. main.c reads the options and
 * settings and opens what a command needs; one file per group of commands.
 */
#ifndef WASL_CLI_H
#define WASL_CLI_H

#include "core/core.h"
#include "store/store.h"

struct cli {
    int argc;
    char **argv; /* the command's own arguments, after the global options */
    const char *config_path;
    bool creating; /* the command may create a new SQLite database */
    bool migrates; /* the command applies pending migrations (init, migrate, serve) */
    int applied;   /* how many it applied */
    struct db *db;
};

/* Opens the store named by store.url. Commands that migrate apply pending
 * migrations; the others refuse a database older than this binary (run
 * `wasl migrate`), and every command refuses one newer than it knows. */
int cli_open_db(struct cli *c);
/* Loads data/ (countries, consulates). */
int cli_load_data(void);
/* The data folder actually used. */
const char *cli_data_dir(void);
/* The actor of a command run by hand, for permission checks and the audit
 * trail: "cli:<the operating system account>" (from the effective uid, never
 * from $USER), with SUDO_USER added as labelled information. Static. */
struct actor;
const struct actor *cli_who(int role);
/* Prints the error hint of err on stderr as "wasl: message". Returns 1. */
int cli_fail(int err, const char *what);

int cmd_init(struct cli *c);
int cmd_serve(struct cli *c);
int cmd_migrate(struct cli *c);
int cmd_backup(struct cli *c);
int cmd_user(struct cli *c);
int cmd_audit(struct cli *c);
int cmd_config(struct cli *c);
int cmd_routes(struct cli *c);
int cmd_guide(struct cli *c);
int cmd_privacy(struct cli *c);
int cmd_keys(struct cli *c);
int cmd_prompts(struct cli *c);
int cmd_ivr(struct cli *c);
int cmd_staff(struct cli *c);
int cmd_simulate(struct cli *c);
/* Loads data/guide into an empty guide (used by init). */
int cli_import_guide(struct cli *c);

#endif
