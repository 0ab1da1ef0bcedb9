/*
 * wasl staff: how many agents an interval's calls need (Erlang C, or Erlang
 * A with --patience), and what a few agents fewer or more would give.
 *   wasl staff --calls 100 [--interval 30m] [--aht 180] [--target 20] [--sl 80]
 *              [--occupancy 90] [--shrinkage 30] [--patience 120] [--abandon 5]
 *              [--agents N] [--json]
 *   wasl staff plan --day YYYY-MM-DD [--language fr] [--weeks 6] [the targets as above] [--json]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "staff/staff.h"
#include "calendar/calendar.h"
#include "geo/geo.h"

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

static const char plan_usage[] =
    "usage: wasl staff plan --day YYYY-MM-DD [--language fr] [--weeks 6] [--aht 180] [--target 20] [--sl 80]\n"
    "                       [--occupancy 90] [--shrinkage 0] [--patience 0] [--abandon 100] [--json]\n"
    "  the day's calls per language and half-hour forecast from the same weekday of past weeks' events,\n"
    "  and the agents each half-hour needs; --aht is the handle time where none was measured.\n";

static void plan_table(const json_t *plan)
{
    json_t *l, *w, *iv;
    size_t i, k;
    printf("%s (weekday %d)", json_string_value(json_object_get(plan, "day")),
           (int)json_integer_value(json_object_get(plan, "weekday")));
    json_array_foreach(json_object_get(plan, "seasons"), i, w) printf(" [%s]", json_string_value(w));
    if (json_is_true(json_object_get(plan, "season_mismatch")))
        printf(" - some past weeks are of another season");
    if (json_is_string(json_object_get(plan, "holiday")))
        printf(" - holiday: %s", json_string_value(json_object_get(plan, "holiday")));
    printf("\nweeks:");
    json_array_foreach(json_object_get(plan, "weeks"), i, w)
    {
        printf(" %s %s", json_string_value(json_object_get(w, "day")), json_string_value(json_object_get(w, "use")));
        if (!strcmp(json_string_value(json_object_get(w, "use")), "used"))
            printf(" (%.0f %%, %lld calls)", 100 * json_real_value(json_object_get(w, "weight")),
                   (long long)json_integer_value(json_object_get(w, "calls")));
    }
    printf("\n");
    json_array_foreach(json_object_get(plan, "languages"), i, l)
    {
        printf("\n%s: %.1f calls, %.1f agent-hours to schedule, at most %d at once\n",
               json_string_value(json_object_get(l, "language")), json_real_value(json_object_get(l, "calls")),
               json_real_value(json_object_get(l, "agent_hours")), (int)json_integer_value(json_object_get(l, "peak_rostered")));
        printf("  %5s %8s %8s %-8s %6s %8s %8s %9s\n", "start", "calls", "aht (s)", "aht from", "agents", "rostered", "service",
               "occupancy");
        json_array_foreach(json_object_get(l, "intervals"), k, iv) printf(
            "  %5s %8.2f %8.1f %-8s %6d %8d %6.1f %% %7.1f %%\n", json_string_value(json_object_get(iv, "start")),
            json_real_value(json_object_get(iv, "calls")), json_real_value(json_object_get(iv, "aht_s")),
            json_string_value(json_object_get(iv, "aht_from")), (int)json_integer_value(json_object_get(iv, "agents")),
            (int)json_integer_value(json_object_get(iv, "rostered")), 100 * json_real_value(json_object_get(iv, "service_level")),
            100 * json_real_value(json_object_get(iv, "occupancy")));
    }
}

static int cmd_staff_plan(struct cli *c)
{
    const char *day = NULL, *lang = NULL;
    int weeks = STAFF_WEEKS_DEFAULT, err;
    bool json = false;
    struct staff_in in;
    staff_defaults(&in);
    for (int i = 1; i < c->argc; i++) {
        const char *a = c->argv[i];
        if (!strcmp(a, "--json")) {
            json = true;
        } else if (!strncmp(a, "--", 2) && i + 1 < c->argc) {
            const char *v = c->argv[++i];
            if (!strcmp(a + 2, "day")) {
                day = v;
            } else if (!strcmp(a + 2, "language")) {
                lang = v;
            } else if (!strcmp(a + 2, "weeks")) {
                char *end;
                long n = strtol(v, &end, 10);
                if (*end || n < 1 || n > STAFF_WEEKS_MAX) {
                    fprintf(stderr, "wasl: --weeks: a whole number from 1 to %d\n", STAFF_WEEKS_MAX);
                    return 2;
                }
                weeks = (int)n;
            } else if (!strcmp(a + 2, "calls") || !strcmp(a + 2, "interval") || (err = staff_set(&in, a + 2, v))) {
                if (!strcmp(a + 2, "calls") || !strcmp(a + 2, "interval"))
                    fprintf(stderr, "wasl: --%s: the plan's calls come from the forecast, in half-hours\n", a + 2);
                else
                    cli_fail(err, "staff plan");
                fputs(plan_usage, stderr);
                return 2;
            }
        } else {
            fputs(plan_usage, stderr);
            return 2;
        }
    }
    if (!day) {
        fputs(plan_usage, stderr);
        return 2;
    }
    if ((err = cli_load_data()) || (err = calendar_load(cli_data_dir())) || (err = cli_open_db(c)))
        return cli_fail(err, "staff plan");
    if (lang && !language_valid(lang)) {
        fprintf(stderr, "wasl: --language: one of %s\n", languages_list());
        return 2;
    }
    struct staff_forecast *f = malloc(sizeof(*f));
    json_t *plan = NULL;
    if (!f)
        return cli_fail(WASL_ENOMEM, "staff plan");
    err = staff_forecast(c->db, day, weeks, in.aht_s, clock_now(), f);
    if (!err)
        err = staff_plan_json(f, &in, lang, &plan);
    free(f);
    if (err)
        return cli_fail(err, "staff plan");
    if (json) {
        char *s = json_dumps(plan, JSON_INDENT(2));
        puts(s ? s : "{}");
        free(s);
    } else {
        plan_table(plan);
    }
    json_decref(plan);
    return 0;
}

int cmd_staff(struct cli *c)
{
    struct staff_in in;
    struct staff_result need;
    bool json = false, have_calls = false;
    int agents = 0, err;

    if (c->argc > 0 && !strcmp(c->argv[0], "plan"))
        return cmd_staff_plan(c);
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
