/*
 * wasl staff: how many agents an interval's calls need (Erlang C, or Erlang
 * A with --patience), and what a few agents fewer or more would give.
 *   wasl staff --calls 100 [--interval 30m] [--aht 180] [--target 20] [--sl 80]
 *              [--occupancy 90] [--shrinkage 30] [--patience 120] [--abandon 5]
 *              [--agents N] [--json]
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "staff/staff.h"

static const char usage[] = "usage: wasl staff --calls N [--interval 30m] [--aht 180] [--target 20] [--sl 80] [--occupancy 90]\n"
                            "                  [--shrinkage 0] [--patience 0] [--abandon 100] [--agents N] [--json]\n"
                            "  calls offered in the interval; handle time, target and patience in seconds (or 30s, 5m, 1h);\n"
                            "  sl, occupancy, shrinkage and abandon in %; --patience gives Erlang A (callers who hang up).\n";

static void row(const struct staff_result *r, bool chosen)
{
    char asa[16];
    if (isfinite(r->asa_s))
        snprintf(asa, sizeof(asa), "%.1f", r->asa_s);
    else
        snprintf(asa, sizeof(asa), "endless");
    printf("%c %6d %8d %8.1f %%  %6.1f %%  %8s  %6.1f %%  %6.1f %%\n", chosen ? '>' : ' ', r->agents, r->rostered,
           100 * r->service_level, 100 * r->p_wait, asa, 100 * r->abandon, 100 * r->occupancy);
}

int cmd_staff(struct cli *c)
{
    struct staff_in in;
    struct staff_result need;
    bool json = false, have_calls = false;
    int agents = 0, err;

    staff_defaults(&in);
    for (int i = 0; i < c->argc; i++) {
        const char *a = c->argv[i];
        if (!strcmp(a, "--json")) {
            json = true;
        } else if (!strncmp(a, "--", 2) && i + 1 < c->argc) {
            const char *v = c->argv[++i];
            if (!strcmp(a + 2, "agents")) {
                char *end;
                long n = strtol(v, &end, 10);
                if (*end || n < 1 || n > STAFF_AGENTS_MAX) {
                    fprintf(stderr, "wasl: --agents: a whole number from 1 to %d\n", STAFF_AGENTS_MAX);
                    return 2;
                }
                agents = (int)n;
            } else if ((err = staff_set(&in, a + 2, v))) {
                cli_fail(err, "staff");
                fputs(usage, stderr);
                return 2;
            }
            have_calls |= !strcmp(a + 2, "calls");
        } else {
            fputs(usage, stderr);
            return 2;
        }
    }
    if (!have_calls) {
        fputs(usage, stderr);
        return 2;
    }
    err = agents ? staff_model(&in, agents, &need) : staff_needed(&in, &need);
    if (err)
        return cli_fail(err, "staff");
    if (json) {
        json_t *o =
            json_pack("{s:s, s:o}", "model", in.patience_s > 0 ? "erlang_a" : "erlang_c", "result", staff_result_json(&need));
        char *s = json_dumps(o, JSON_INDENT(2));
        puts(s ? s : "{}");
        free(s);
        json_decref(o);
        return 0;
    }
    printf("%s: %.1f erlangs (%g calls in %g s of %g s each); target %g %% in %g s\n", in.patience_s > 0 ? "Erlang A" : "Erlang C",
           need.traffic, in.calls, in.interval_s, in.aht_s, 100 * in.sl_target, in.target_s);
    printf("  %6s %8s %10s %9s %9s %9s %9s\n", "agents", "rostered", "service", "wait", "ASA (s)", "abandon", "occupancy");
    for (int n = need.agents - 2; n <= need.agents + 2; n++) {
        struct staff_result r;
        if (n < 1 || n > STAFF_AGENTS_MAX)
            continue;
        if (n == need.agents)
            r = need;
        else if (staff_model(&in, n, &r))
            continue;
        row(&r, n == need.agents);
    }
    if (!agents)
        printf("%d agents on the phones (%d to schedule with %g %% shrinkage)\n", need.agents, need.rostered, 100 * in.shrinkage);
    return 0;
}
