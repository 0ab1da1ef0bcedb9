/*
 * The simulation's data file (JSON) in, its result (JSON) out. The file's
 * format is in docs/staffing.md, "Simulation"; unknown keys are refused so
 * that a misspelt one is not silently ignored.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "sim.h"
#include "acd/acd.h"
#include "core/core.h"

static int bad(const char *field, const char *what)
{
    return err_set_field(WASL_EINVAL, "sim.invalid", field, "%s: %s", field, what);
}

/* "HH:MM" (00:00 .. 24:00) to seconds from midnight. */
static int clock_of(json_t *v, const char *field, int *out)
{
    const char *s = json_string_value(v);
    int h, m, n = 0;
    if (!s || sscanf(s, "%2d:%2d%n", &h, &m, &n) != 2 || s[n] || h < 0 || m < 0 || m > 59 || h * 60 + m > 24 * 60)
        return bad(field, "a time of day HH:MM");
    *out = h * 3600 + m * 60;
    return 0;
}

static int number(json_t *v, const char *field, double lo, double hi, double *out)
{
    if (!v)
        return 0;
    if (!json_is_number(v) || !(json_number_value(v) >= lo && json_number_value(v) <= hi))
        return err_set_field(WASL_EINVAL, "sim.invalid", field, "%s: a number from %g to %g", field, lo, hi);
    *out = json_number_value(v);
    return 0;
}

static int only_keys(json_t *o, const char *const *keys, const char *where)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        const char *const *x = keys;
        while (*x && strcmp(*x, k))
            x++;
        if (!*x)
            return err_set_field(WASL_EINVAL, "sim.unknown_key", k, "%s: '%.40s' is not a key here", where, k);
    }
    return 0;
}

static int lang_index(const struct sim_in *in, const char *code)
{
    for (int i = 0; i < in->nlangs; i++)
        if (!strcmp(in->lang[i], code))
            return i;
    return -1;
}

static int language(json_t *o, const char *code, int start, double patience, struct sim_in *in)
{
    static const char *const keys[] = {"calls", "start", "aht_s", "patience_s", NULL};
    int err, l = in->nlangs;
    if (!json_is_object(o))
        return bad("languages", "each language an object");
    if ((err = only_keys(o, keys, code)))
        return err;
    if (l == SIM_LANGS_MAX)
        return bad("languages", "too many");
    if (!*code || strlen(code) >= sizeof(in->lang[0]) || lang_index(in, code) >= 0)
        return bad("languages", "codes of 1 to 7 characters, each once");
    snprintf(in->lang[in->nlangs++], sizeof(in->lang[0]), "%s", code);
    in->patience_s[l] = patience;
    if ((err = number(json_object_get(o, "aht_s"), "aht_s", 1, 86400, &in->aht_s[l])) ||
        (err = number(json_object_get(o, "patience_s"), "patience_s", 0, 86400, &in->patience_s[l])))
        return err;
    if (json_object_get(o, "start") && (err = clock_of(json_object_get(o, "start"), "start", &start)))
        return err;
    json_t *calls = json_object_get(o, "calls"), *v;
    size_t i;
    if (!calls)
        return 0;
    if (!json_is_array(calls) || start % 1800 || start / 1800 + json_array_size(calls) > SIM_SLOTS)
        return bad("calls", "an array of calls per half-hour from start (a half-hour), within the day");
    json_array_foreach(calls, i, v)
    {
        if ((err = number(v, "calls", 0, 100000, &in->calls[l][start / 1800 + i])))
            return err;
    }
    return 0;
}

/* A group of agents. add_langs (a file with a forecast, whose languages
 * come later): a language the file does not list is added, with `patience`. */
static int group(json_t *o, struct sim_in *in, bool add_langs, double patience)
{
    static const char *const keys[] = {"name", "count", "languages", "shift", NULL};
    struct sim_group *g = &in->groups[in->ngroups];
    json_t *langs = json_object_get(o, "languages"), *shift = json_object_get(o, "shift"), *v;
    size_t i;
    int err;
    if (!json_is_object(o))
        return bad("agents", "each group an object");
    if ((err = only_keys(o, keys, "agents")))
        return err;
    if (in->ngroups == SIM_GROUPS_MAX)
        return bad("agents", "too many groups");
    memset(g, 0, sizeof(*g));
    const char *name = json_string_value(json_object_get(o, "name"));
    snprintf(g->name, sizeof(g->name), "%s", name ? name : "");
    if (!*g->name)
        snprintf(g->name, sizeof(g->name), "group %d", in->ngroups + 1);
    json_t *count = json_object_get(o, "count");
    if (!json_is_integer(count) || json_integer_value(count) < 0 || json_integer_value(count) > SIM_AGENTS_MAX)
        return bad("count", "a whole number of agents");
    g->count = (int)json_integer_value(count);
    if (!json_is_array(langs) || !json_array_size(langs) || json_array_size(langs) > SIM_LANGS_MAX)
        return bad("languages", "the languages the group's agents take, an array");
    json_array_foreach(langs, i, v)
    {
        int l = json_is_string(v) ? lang_index(in, json_string_value(v)) : -1;
        if (l < 0 && add_langs && json_is_string(v) && in->nlangs < SIM_LANGS_MAX && *json_string_value(v) &&
            strlen(json_string_value(v)) < sizeof(in->lang[0])) {
            l = in->nlangs++;
            snprintf(in->lang[l], sizeof(in->lang[0]), "%s", json_string_value(v));
            in->patience_s[l] = patience;
        }
        if (l < 0)
            return err_set_field(WASL_EINVAL, "sim.invalid", "languages", "group %s: '%.20s' is not a language of the simulation",
                                 g->name, json_is_string(v) ? json_string_value(v) : "?");
        g->langs[g->nlangs++] = l;
    }
    g->from_s = 0;
    g->to_s = 86400;
    if (shift &&
        (!json_is_array(shift) || json_array_size(shift) != 2 || (err = clock_of(json_array_get(shift, 0), "shift", &g->from_s)) ||
         (err = clock_of(json_array_get(shift, 1), "shift", &g->to_s)) || g->to_s <= g->from_s))
        return bad("shift", "[\"HH:MM\", \"HH:MM\"], the start before the end");
    in->ngroups++;
    return 0;
}

int sim_in_from_json(json_t *j, struct sim_in *in, char *forecast_day, int *forecast_weeks)
{
    static const char *const keys[] = {"languages", "agents", "start", "target_s", "wrap_s",  "patience_s",
                                       "strategy",  "days",   "seed",  "forecast", "comment", NULL};
    int err, start = 0;
    double patience = 0, days = 1, seed = 1;
    json_t *langs = json_object_get(j, "languages"), *agents = json_object_get(j, "agents"), *fc = json_object_get(j, "forecast"),
           *v;
    const char *k;
    size_t i;

    sim_defaults(in);
    *forecast_day = 0;
    if (!json_is_object(j))
        return bad("file", "a JSON object");
    if ((err = only_keys(j, keys, "the file")) ||
        (err = number(json_object_get(j, "target_s"), "target_s", 0, 3600, &in->target_s)) ||
        (err = number(json_object_get(j, "wrap_s"), "wrap_s", 0, 3600, &in->wrap_s)) ||
        (err = number(json_object_get(j, "patience_s"), "patience_s", 0, 86400, &patience)) ||
        (err = number(json_object_get(j, "days"), "days", 1, SIM_DAYS_MAX, &days)) ||
        (err = number(json_object_get(j, "seed"), "seed", 0, 9007199254740992.0, &seed)))
        return err;
    in->days = (int)days;
    in->seed = (uint64_t)seed;
    if (json_object_get(j, "start") && (err = clock_of(json_object_get(j, "start"), "start", &start)))
        return err;
    const char *strategy = json_string_value(json_object_get(j, "strategy"));
    if (json_object_get(j, "strategy")) {
        bool known = false;
        for (int s = 0; strategy && acd_strategy_name(s); s++)
            known |= !strcmp(acd_strategy_name(s), strategy);
        if (!known)
            return bad("strategy", "longest_idle, fewest_calls, round_robin, ring_all or best_proficiency");
        snprintf(in->strategy, sizeof(in->strategy), "%s", strategy);
    }
    if (fc) {
        static const char *const fkeys[] = {"day", "weeks", NULL};
        double weeks = 6;
        const char *day = json_string_value(json_object_get(fc, "day"));
        if (!json_is_object(fc) || (err = only_keys(fc, fkeys, "forecast")) || !day || strlen(day) != 10 ||
            (err = number(json_object_get(fc, "weeks"), "weeks", 1, 26, &weeks)))
            return err ? err : bad("forecast", "{\"day\": \"YYYY-MM-DD\", \"weeks\": 6}");
        snprintf(forecast_day, 11, "%s", day);
        *forecast_weeks = (int)weeks;
    }
    if (!json_is_object(langs) && !fc)
        return bad("languages", "an object: each language's calls, aht_s and patience_s");
    json_object_foreach(langs, k, v) if ((err = language(v, k, start, patience, in))) return err;
    if (!json_is_array(agents))
        return bad("agents", "an array of groups: count, languages, shift");
    json_array_foreach(agents, i, v) if ((err = group(v, in, fc != NULL, patience))) return err;
    return 0;
}

static json_t *counts_json(const struct sim_counts *c)
{
    double sl = sim_service_level(c), ab = sim_abandon_rate(c), asa = sim_asa_s(c);
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o}", "offered", (json_int_t)c->offered, "answered",
                     (json_int_t)c->answered, "answered_within", (json_int_t)c->answered_within, "abandoned",
                     (json_int_t)c->abandoned, "unserved", (json_int_t)c->unserved, "service_level",
                     sl < 0 ? json_null() : json_real(sl), "abandon_rate", ab < 0 ? json_null() : json_real(ab), "asa_s",
                     asa < 0 ? json_null() : json_real(asa));
}

json_t *sim_result_json(const struct sim_in *in, const struct sim_result *r)
{
    json_t *langs = json_array();
    for (int l = 0; l < in->nlangs; l++) {
        json_t *o = counts_json(&r->lang[l]), *iv = json_array();
        for (int s = 0; s < SIM_SLOTS; s++) {
            if (!r->slot[l][s].offered)
                continue;
            char start[8];
            snprintf(start, sizeof(start), "%02d:%02d", s / 2, s % 2 * 30);
            json_t *x = counts_json(&r->slot[l][s]);
            json_object_set_new(x, "start", json_string(start));
            json_array_append_new(iv, x);
        }
        json_object_set_new(o, "language", json_string(in->lang[l]));
        json_object_set_new(o, "intervals", iv);
        json_array_append_new(langs, o);
    }
    return json_pack("{s:i, s:f, s:o, s:o, s:o, s:I}", "days", in->days, "target_s", in->target_s, "languages", langs, "total",
                     counts_json(&r->total), "occupancy", r->logged_s > 0 ? json_real(r->busy_s / r->logged_s) : json_null(),
                     "events", (json_int_t)r->events);
}
