/*
 * Small commands: migrate, backup, audit, config check, routes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "cli.h"
#include "api/api.h"
#include "auth/auth.h"

int cmd_migrate(struct cli *c)
{
    int err, cur, latest;

    if ((err = cli_open_db(c)) || (err = db_schema_version(c->db, &cur, &latest)))
        return cli_fail(err, "migrate");
    printf("%d migration(s) applied; schema version %d (this program knows up to %d)\n", c->applied, cur, latest);
    return 0;
}

int cmd_backup(struct cli *c)
{
    int err;
    if (c->argc != 1) {
        fprintf(stderr, "usage: wasl backup FILE\n");
        return 2;
    }
    if ((err = cli_open_db(c)) || (err = db_backup(c->db, c->argv[0])))
        return cli_fail(err, "backup");
    printf("backup written to %s (integrity check: ok)\n", c->argv[0]);
    return 0;
}

static int audit_verify_cmd(struct cli *c)
{
    struct audit_verify_opts o = {0};
    struct audit_report r;
    int err;

    for (int i = 1; i < c->argc; i++) {
        if (!strcmp(c->argv[i], "--checkpoints") && i + 1 < c->argc && o.nfiles < 8) {
            o.checkpoint_files[o.nfiles++] = c->argv[++i];
        } else if (!strcmp(c->argv[i], "--public-key") && i + 1 < c->argc) {
            o.public_key = c->argv[++i];
        } else {
            fprintf(stderr, "usage: wasl audit verify [--checkpoints FILE]... [--public-key KEY]\n");
            return 2;
        }
    }
    if ((err = cli_open_db(c)) || (err = audit_verify_with(c->db, &o, &r)))
        return cli_fail(err, "audit verify");
    if (r.nproblems) {
        printf("audit trail BROKEN at entry %lld: %s\n(%lld entries checked; %d problem(s))\n", (long long)r.bad_seq, r.problem,
               (long long)r.checked, r.nproblems);
        for (int i = 0; i < r.nlisted; i++)
            printf("  %-13s %s\n", r.problems[i].kind, r.problems[i].text);
        if (r.nproblems > r.nlisted)
            printf("  ... and %d more like these\n", r.nproblems - r.nlisted);
        return 1;
    }
    printf("audit trail intact: %lld entries, every hash matches", (long long)r.checked);
    if (r.keyed_from)
        printf(" (keyed from entry %lld)", (long long)r.keyed_from);
    if (r.checkpoints)
        printf("; %d signed checkpoint(s), the newest at entry %lld (%s)", r.checkpoints, (long long)r.checkpoint_seq,
               r.checkpoint_at);
    printf("\n");
    return 0;
}

int cmd_audit(struct cli *c)
{
    const char *sub = c->argc ? c->argv[0] : "";
    int err;

    if (!strcmp(sub, "verify"))
        return audit_verify_cmd(c);
    if (strcmp(sub, "list") && strcmp(sub, "checkpoint") && strcmp(sub, "public-key")) {
        fprintf(stderr, "usage: wasl audit verify [--checkpoints FILE]... [--public-key KEY]\n"
                        "       wasl audit list [N] | wasl audit checkpoint | wasl audit public-key\n");
        return 2;
    }
    if ((err = cli_open_db(c)))
        return cli_fail(err, "audit");
    if (!strcmp(sub, "public-key")) {
        char pk[64];
        if ((err = audit_public_key(pk, sizeof(pk))))
            return cli_fail(err, "audit public-key");
        printf("%s\n", pk);
        return 0;
    }
    if (!strcmp(sub, "checkpoint")) {
        char pk[64];
        if ((err = audit_public_key(pk, sizeof(pk))) || (err = audit_checkpoint(c->db, "cli", true)))
            return cli_fail(err, "audit checkpoint");
        printf("checkpoint of the audit trail's head appended to %s\n", conf_str("audit.checkpoint_file"));
        return 0;
    }
    int max = c->argc > 1 ? atoi(c->argv[1]) : 20, n;
    if (max < 1 || max > 10000)
        max = 20;
    struct audit_entry *e = calloc((size_t)max, sizeof(*e));
    if (!e)
        return cli_fail(WASL_ENOMEM, NULL);
    struct audit_filter f = {0};
    if ((err = audit_list(c->db, &f, e, max, &n))) {
        free(e);
        return cli_fail(err, "audit list");
    }
    for (int i = 0; i < n; i++) {
        char t[40];
        clock_format_utc(e[i].at, t, sizeof(t));
        printf("%6lld %s %-16s %-24s %-20s %s\n", (long long)e[i].seq, t, e[i].actor, e[i].action, e[i].object, e[i].detail);
    }
    free(e);
    return 0;
}

int cmd_config(struct cli *c)
{
    if (c->argc != 2 || strcmp(c->argv[0], "check") != 0) {
        fprintf(stderr, "usage: wasl config check FILE\n");
        return 2;
    }
    if (conf_check_file(c->argv[1])) {
        if (err_last() != WASL_EINVAL)
            fprintf(stderr, "%s\n", err_message());
        return 1;
    }
    printf("%s: ok\n", c->argv[1]);
    return 0;
}

int cmd_routes(struct cli *c)
{
    json_t *list = json_array();
    (void)c;
    for (size_t i = 0; i < api_routes_count; i++) {
        const struct route *r = &api_routes[i];
        char roles[64];
        role_mask_names(r->roles, roles, sizeof(roles));
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:I, s:s}", "method", r->method, "path", r->pattern, "roles", roles,
                                              "body_max", (json_int_t)r->body_max, "summary", r->summary));
    }
    json_dumpf(list, stdout, JSON_INDENT(2));
    printf("\n");
    json_decref(list);
    return 0;
}
