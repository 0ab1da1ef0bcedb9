/*
 * wasl simulate: a day of the language queues simulated with the real
 * distributor (src/sim), from a data file (docs/staffing.md, "Simulation").
 *   wasl simulate FILE [--days N] [--seed N] [--agents GROUP=N]... [--json]
 * A file with a "forecast" takes its calls (and handle times it does not
 * give) from the store's past weeks, as `wasl staff plan` does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"
#include "calendar/calendar.h"
#include "sim/sim.h"
#include "staff/staff.h"

static const char usage[] = "usage: wasl simulate FILE [--days N] [--seed N] [--agents GROUP=N]... [--json]\n"
                            "  FILE: languages (calls per half-hour, aht_s, patience_s) and groups of agents (languages, shift);\n"
                            "  --agents sets a group's count (the question: how many bilingual agents?).\n";

/* The forecast's calls, and its handle times where the file gives none. */
static int use_forecast(struct cli *c, const char *day, int weeks, struct sim_in *in)
{
    int err;
    if ((err = cli_load_data()) || (err = calendar_load(cli_data_dir())) || (err = cli_open_db(c)))
        return err;
    struct staff_forecast *f = malloc(sizeof(*f));
    if (!f)
        return WASL_ENOMEM;
    if ((err = staff_forecast(c->db, day, weeks, 180, clock_now(), f))) {
        free(f);
        return err;
    }
    for (int li = 0; li < f->nlanguages && !err; li++) {
        int l = 0;
        while (l < in->nlangs && strcmp(in->lang[l], f->languages[li]))
            l++;
        if (l == in->nlangs) {
            if (l == SIM_LANGS_MAX) {
                err = err_set(WASL_ELIMIT, "sim.invalid", "too many languages");
                break;
            }
            snprintf(in->lang[in->nlangs++], sizeof(in->lang[0]), "%s", f->languages[li]);
        }
        double calls = 0, work = 0;
        for (int s = 0; s < STAFF_SLOTS && s < SIM_SLOTS; s++) {
            in->calls[l][s] = f->slot[li][s].calls;
            calls += f->slot[li][s].calls;
            work += f->slot[li][s].calls * f->slot[li][s].aht_s;
        }
        if (!in->aht_s[l]) /* the measured handle time, weighted by the calls */
            in->aht_s[l] = calls > 0 ? work / calls : f->slot[li][0].aht_s;
    }
    free(f);
    return err;
}

static int set_count(struct sim_in *in, const char *arg)
{
    const char *eq = strchr(arg, '=');
    char *end;
    long n = eq ? strtol(eq + 1, &end, 10) : -1;
    if (!eq || !eq[1] || *end || n < 0 || n > SIM_AGENTS_MAX) {
        fprintf(stderr, "wasl: --agents GROUP=N: a group's name and a count from 0 to %d\n", SIM_AGENTS_MAX);
        return 2;
    }
    for (int i = 0; i < in->ngroups; i++)
        if (strlen(in->groups[i].name) == (size_t)(eq - arg) && !strncmp(in->groups[i].name, arg, (size_t)(eq - arg))) {
            in->groups[i].count = (int)n;
            return 0;
        }
    fprintf(stderr, "wasl: --agents: no group named '%.*s' in the file\n", (int)(eq - arg), arg);
    return 2;
}

static void line(const char *name, const struct sim_counts *k)
{
    double sl = sim_service_level(k), ab = sim_abandon_rate(k), asa = sim_asa_s(k);
    printf("%-6s %9lld %9lld %9lld %9lld  %6.1f %%  %6.1f %%  %7.1f\n", name, k->offered, k->answered, k->abandoned, k->unserved,
           sl < 0 ? 0 : 100 * sl, ab < 0 ? 0 : 100 * ab, asa < 0 ? 0 : asa);
}

int cmd_simulate(struct cli *c)
{
    const char *file = NULL;
    bool json = false;
    long days = 0, seed = -1;
    char day[16];
    int weeks = 0, err;
    struct sim_in *in = calloc(1, sizeof(*in));
    struct sim_result *r = calloc(1, sizeof(*r));
    json_t *j = NULL;
    int rc = 2;

    if (!in || !r) {
        rc = cli_fail(WASL_ENOMEM, "simulate");
        goto out;
    }
    for (int i = 0; i < c->argc; i++) {
        const char *a = c->argv[i];
        if (!strcmp(a, "--json")) {
            json = true;
        } else if ((!strcmp(a, "--days") || !strcmp(a, "--seed")) && i + 1 < c->argc) {
            char *end;
            long v = strtol(c->argv[++i], &end, 10);
            if (*end || v < (a[2] == 'd' ? 1 : 0) || (a[2] == 'd' && v > SIM_DAYS_MAX)) {
                fprintf(stderr, "wasl: %s: a whole number%s\n", a, a[2] == 'd' ? " of days, 1 to 1000" : "");
                goto out;
            }
            *(a[2] == 'd' ? &days : &seed) = v;
        } else if (!strcmp(a, "--agents") && i + 1 < c->argc) {
            i++; /* after the file is read */
        } else if (a[0] != '-' && !file) {
            file = a;
        } else {
            fputs(usage, stderr);
            goto out;
        }
    }
    if (!file) {
        fputs(usage, stderr);
        goto out;
    }
    json_error_t je;
    if (!(j = json_load_file(file, JSON_REJECT_DUPLICATES, &je))) {
        fprintf(stderr, "wasl: %s:%d: %s\n", file, je.line, je.text);
        goto out;
    }
    if ((err = sim_in_from_json(j, in, day, &weeks))) {
        rc = cli_fail(err, file);
        goto out;
    }
    for (int i = 0; i < c->argc; i++)
        if (!strcmp(c->argv[i], "--agents") && i + 1 < c->argc && set_count(in, c->argv[++i]))
            goto out;
    if (days)
        in->days = (int)days;
    if (seed >= 0)
        in->seed = (uint64_t)seed;
    if (*day && (err = use_forecast(c, day, weeks, in))) {
        rc = cli_fail(err, "simulate: the forecast");
        goto out;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if ((err = sim_run(in, r))) {
        rc = cli_fail(err, file);
        goto out;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (json) {
        json_t *o = sim_result_json(in, r);
        json_object_set_new(o, "seconds", json_real(secs));
        char *s = json_dumps(o, JSON_INDENT(2));
        puts(s ? s : "{}");
        free(s);
        json_decref(o);
    } else {
        printf("%d day%s simulated (seed %llu), target %g s%s\n", in->days, in->days > 1 ? "s" : "", (unsigned long long)in->seed,
               in->target_s, *day ? ", calls from the forecast" : "");
        printf("%-6s %9s %9s %9s %9s  %8s  %8s  %7s\n", "queue", "offered", "answered", "abandoned", "unserved", "service",
               "abandon", "ASA (s)");
        for (int l = 0; l < in->nlangs; l++)
            line(in->lang[l], &r->lang[l]);
        line("all", &r->total);
        printf("agents' occupancy %.1f %% of their shifts; %lld calls in %.2f s (%.0f simulated calls/s)\n",
               r->logged_s > 0 ? 100 * r->busy_s / r->logged_s : 0, r->total.offered, secs,
               secs > 0 ? (double)r->total.offered / secs : 0);
    }
    rc = 0;
out:
    json_decref(j);
    free(in);
    free(r);
    return rc;
}
