/*
 * The event log, read by supervisors: every fact of the phones in order
 * (docs/events.md), filtered by call, agent, period or position.
 */
#include <string.h>

#include "api.h"
#include "events/events.h"

static int event_item(const struct ev_row *e, void *arg)
{
    json_error_t je;
    json_t *data = json_loads(e->data ? e->data : "{}", 0, &je);
    json_t *o =
        json_pack("{s:I, s:o, s:s, s:o, s:o, s:o, s:o}", "id", (json_int_t)e->id, "at", api_time(e->at), "kind", e->kind, "call",
                  e->call ? json_integer(e->call) : json_null(), "agent", e->agent ? json_integer(e->agent) : json_null(), "queue",
                  e->queue[0] ? json_string(e->queue) : json_null(), "data", data ? data : json_object());
    return json_array_append_new(arg, o) ? WASL_ENOMEM : 0;
}

int api_events_list(struct http_req *r)
{
    long long call = 0, agent = 0, after = 0, limit = 500;
    struct ev_filter f = {0};
    int err;

    if ((err = api_query_int(r, "call", 1, INT64_MAX, &call)) || (err = api_query_int(r, "agent", 1, INT64_MAX, &agent)) ||
        (err = api_query_int(r, "after", 0, INT64_MAX, &after)) || (err = api_query_int(r, "limit", 1, 10000, &limit)) ||
        (err = api_query_time(r, "since", "events.invalid_time", &f.since)) ||
        (err = api_query_time(r, "until", "events.invalid_time", &f.until)))
        return err;
    f.call = call;
    f.agent = agent;
    f.after_id = after;
    f.limit = (int)limit;
    json_t *items = json_array();
    if ((err = events_list(APP(r)->db, &f, event_item, items))) {
        json_decref(items);
        return err;
    }
    size_t n = json_array_size(items);
    json_t *last = n ? json_object_get(json_array_get(items, n - 1), "id") : NULL;
    return http_reply_json(r, 200,
                           json_pack("{s:o, s:O?}", "items", items, "next_after", n == (size_t)limit && last ? last : NULL));
}

int api_events_kinds(struct http_req *r)
{
    json_t *items = json_array();
    for (int k = 0; k < EV_KINDS; k++) {
        const struct ev_def *d = &ev_defs[k];
        json_t *fields = json_array();
        const char *names[] = {d->a, d->b, d->c, d->n, d->m};
        for (int i = 0; i < 5; i++)
            if (names[i])
                json_array_append_new(fields, json_string(names[i]));
        json_array_append_new(items, json_pack("{s:s, s:o, s:s}", "kind", d->name, "fields", fields, "meaning", d->meaning));
    }
    return http_reply_json(r, 200, json_pack("{s:o}", "items", items));
}
