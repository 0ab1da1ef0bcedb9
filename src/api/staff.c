/*
 * Staffing questions (src/staff/): how many agents an interval's calls
 * need, with what a few agents fewer or more would give.
 */
#include "api.h"
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
