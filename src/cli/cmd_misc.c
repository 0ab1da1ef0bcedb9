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

int cmd_audit(struct cli *c)
{
    const char *sub = c->argc ? c->argv[0] : "";
    int err;

    if (strcmp(sub, "verify") && strcmp(sub, "list")) {
        fprintf(stderr, "usage: wasl audit verify | wasl audit list [N]\n");
        return 2;
    }
    if ((err = cli_open_db(c)))
        return cli_fail(err, "audit");
    if (strcmp(sub, "verify") == 0) {
        struct audit_report r;
        if ((err = audit_verify(c->db, &r)))
            return cli_fail(err, "audit verify");
        if (r.bad_seq) {
            printf("audit trail BROKEN at entry %lld: %s\n(%lld entries checked)\n", (long long)r.bad_seq, r.problem,
                   (long long)r.checked);
            return 1;
        }
        printf("audit trail intact: %lld entries, every hash matches\n", (long long)r.checked);
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
