/*
 * Staffing questions (src/staff/): how many agents an interval's calls
 * need, with what a few agents fewer or more would give.
 */
#include <stdlib.h>

#include "api.h"
#include "geo/geo.h"
#include "staff/staff.h"

int api_staff(struct http_req *r)
{
    static const char *const names[] = {"calls",     "interval",  "aht",      "target", "sl",
                                        "occupancy", "shrinkage", "patience", "abandon"};
    struct staff_in in;
    struct staff_result need;
    int err;

    staff_defaults(&in);
    if (!http_query(r, "calls"))
        return err_set_field(WASL_EINVAL, "staff.invalid", "calls", "calls: how many calls the interval is offered");
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *v = http_query(r, names[i]);
        if (v && (err = staff_set(&in, names[i], v)))
            return err;
    }
    if ((err = staff_needed(&in, &need)))
        return err;
    json_t *around = json_array();
    for (int n = need.agents - 2; n <= need.agents + 2; n++) {
        struct staff_result x;
        if (n >= 1 && n <= STAFF_AGENTS_MAX && !staff_model(&in, n, &x))
            json_array_append_new(around, staff_result_json(&x));
        err_clear();
    }
    return http_reply_json(r, 200,
                           json_pack("{s:s, s:o, s:o}", "model", in.patience_s > 0 ? "erlang_a" : "erlang_c", "needed",
                                     staff_result_json(&need), "around", around));
}

/* The staffing question's targets from the query (the calls and handle
 * time come from elsewhere: the forecast). */
static int targets(struct http_req *r, struct staff_in *in)
{
    static const char *const names[] = {"aht", "target", "sl", "occupancy", "shrinkage", "patience", "abandon"};
    int err;
    staff_defaults(in);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *v = http_query(r, names[i]);
        if (v && (err = staff_set(in, names[i], v)))
            return err;
    }
    return 0;
}

/* A day's forecast per language and half-hour, and the agents it needs. */
int api_staff_plan(struct http_req *r)
{
    const char *day = http_query(r, "day"), *lang = http_query(r, "language");
    long long weeks = STAFF_WEEKS_DEFAULT;
    struct staff_in in;
    int err;

    if (!day)
        return err_set_field(WASL_EINVAL, "staff.invalid_day", "day", "day: the date to plan, YYYY-MM-DD");
    if (lang && *lang && !language_valid(lang))
        return err_set_field(WASL_EINVAL, "staff.invalid_language", "language", "language: one of %s", languages_list());
    if ((err = api_query_int(r, "weeks", 1, STAFF_WEEKS_MAX, &weeks)) || (err = targets(r, &in)))
        return err;
    struct staff_forecast *f = malloc(sizeof(*f));
    if (!f)
        return WASL_ENOMEM;
    if ((err = staff_forecast(APP(r)->db, day, (int)weeks, in.aht_s, clock_now(), f))) {
        free(f);
        return err;
    }
    json_t *o;
    err = staff_plan_json(f, &in, lang && *lang ? lang : NULL, &o);
    free(f);
    return err ? err : http_reply_json(r, 200, o);
}
