/*
 * Coaching over HTTP (docs/coaching.md): sessions planned and done by
 * supervisors, read and acknowledged by their agent, the listen/whisper
 * sessions of an agent's calls to attach, and an agent's progress by week.
 * Supervisors and administrators coach; an agent reaches their own only
 * (the domain functions decide, given the actor).
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "coach/coach.h"

static int reply(struct http_req *r, int status, int err, json_t *o)
{
    return err ? err : http_reply_json(r, status, o);
}

/* a UTC time given as a body field; absent leaves *out */
static int body_time(const char *v, const char *field, wtime_t *out)
{
    if (v && *v && clock_parse_utc(v, out))
        return err_set_field(WASL_EINVAL, "coach.invalid_date", field, "give a UTC time such as 2026-12-06T20:00:00Z");
    return 0;
}

int api_coaching_list(struct http_req *r)
{
    long long agent = 0, limit = 100;
    json_t *items = NULL;
    int err;
    if ((err = api_query_int(r, "agent", 1, INT64_MAX, &agent)) || (err = api_query_int(r, "limit", 1, 500, &limit)) ||
        (err = coach_list(APP(r)->db, &r->actor, agent, (int)limit, &items)))
        return err;
    return http_reply_json(r, 200, json_pack("{s:o}", "items", items));
}

static int reply_session(struct http_req *r, int64_t id, int status)
{
    json_t *o = NULL;
    int err = coach_get(APP(r)->db, &r->actor, id, clock_now(), &o);
    return reply(r, status, err, o);
}

int api_coaching_get(struct http_req *r)
{
    int64_t id;
    int err = api_param_id(r, "id", &id);
    return err ? err : reply_session(r, id, 200);
}

int api_coaching_plan(struct http_req *r)
{
    long long agent = 0;
    const char *topic = NULL, *planned = NULL, *pfrom = NULL, *pto = NULL;
    json_t *reviews = NULL, *goals = NULL;
    struct json_spec spec[] = {{"agent", JS_INT, true, 0, 1, INT64_MAX, &agent, NULL},
                               {"planned_at", JS_STR, true, 40, 0, 0, &planned, NULL},
                               {"topic", JS_STR, true, COACH_TOPIC_MAX, 0, 0, &topic, NULL},
                               {"reviews", JS_ARRAY, false, 0, 0, 0, &reviews, NULL},
                               {"period_from", JS_STR, false, 40, 0, 0, &pfrom, NULL},
                               {"period_to", JS_STR, false, 40, 0, 0, &pto, NULL},
                               {"goals", JS_ARRAY, false, 0, 0, 0, &goals, NULL}};
    int64_t ids[COACH_REVIEWS_MAX], id = 0;
    struct coach_plan p = {.reviews = ids, .goals = goals};
    int err;
    if ((err = http_body_json(r, spec, sizeof(spec) / sizeof(spec[0]))) ||
        (err = body_time(planned, "planned_at", &p.planned_at)) || (err = body_time(pfrom, "period_from", &p.period_from)) ||
        (err = body_time(pto, "period_to", &p.period_to)))
        return err;
    if (json_array_size(reviews) > COACH_REVIEWS_MAX)
        return err_set_field(WASL_EINVAL, "coach.invalid_review", "reviews", "at most %d reviews", COACH_REVIEWS_MAX);
    size_t i;
    json_t *v;
    json_array_foreach(reviews, i, v)
    {
        if (!json_is_integer(v) || json_integer_value(v) < 1)
            return err_set_field(WASL_EINVAL, "coach.invalid_review", "reviews", "review ids");
        ids[p.nreviews++] = json_integer_value(v);
    }
    p.agent = agent;
    p.topic = topic;
    p.goals = goals;
    if ((err = coach_plan(APP(r)->db, &r->actor, &p, &id)))
        return err;
    return reply_session(r, id, 201);
}

int api_coaching_done(struct http_req *r)
{
    int64_t id, follow = 0;
    const char *notes = NULL, *private_notes = NULL, *when = NULL;
    struct json_spec spec[] = {{"notes", JS_STR, false, COACH_NOTES_MAX, 0, 0, &notes, NULL},
                               {"private_notes", JS_STR, false, COACH_NOTES_MAX, 0, 0, &private_notes, NULL},
                               {"follow_up_at", JS_STR, true, 40, 0, 0, &when, NULL}};
    int err;
    if ((err = api_param_id(r, "id", &id)) || (err = http_body_json(r, spec, 3)) ||
        (err = body_time(when, "follow_up_at", &follow)) ||
        (err = coach_done(APP(r)->db, &r->actor, id, notes, private_notes, follow)))
        return err;
    return reply_session(r, id, 200);
}

int api_coaching_acknowledge(struct http_req *r)
{
    int64_t id;
    const char *comment = NULL;
    struct json_spec spec[] = {{"comment", JS_STR, false, COACH_NOTES_MAX, 0, 0, &comment, NULL}};
    int err;
    if ((err = api_param_id(r, "id", &id)) || (err = http_body_json(r, spec, 1)) ||
        (err = coach_acknowledge(APP(r)->db, &r->actor, id, comment)))
        return err;
    return reply_session(r, id, 200);
}

int api_coaching_attach(struct http_req *r)
{
    int64_t id;
    long long event = 0;
    struct json_spec spec[] = {{"event", JS_INT, true, 0, 1, INT64_MAX, &event, NULL}};
    int err;
    if ((err = api_param_id(r, "id", &id)) || (err = http_body_json(r, spec, 1)) ||
        (err = coach_attach(APP(r)->db, &r->actor, id, event)))
        return err;
    return reply_session(r, id, 200);
}

int api_coaching_supervisions(struct http_req *r)
{
    int64_t id, now = clock_now(), from = now - 30 * 86400 * WTIME_SEC, to = now + WTIME_SEC;
    json_t *items = NULL;
    int err;
    if ((err = api_param_id(r, "id", &id)) || (err = api_query_time(r, "from", "coach.invalid_period", &from)) ||
        (err = api_query_time(r, "to", "coach.invalid_period", &to)))
        return err;
    if (to <= from || to - from > 93 * 86400 * WTIME_SEC)
        return err_set_field(WASL_EINVAL, "coach.invalid_period", "to", "a period of at most 93 days, 'to' after 'from'");
    if ((err = coach_supervisions(APP(r)->db, id, from, to, &items)))
        return err;
    return http_reply_json(r, 200, json_pack("{s:o}", "items", items));
}

int api_coaching_progress(struct http_req *r)
{
    int64_t id;
    long long weeks = 12;
    json_t *o = NULL;
    int err;
    if ((err = api_param_id(r, "id", &id)) || (err = api_query_int(r, "weeks", 1, COACH_WEEKS_MAX, &weeks)) ||
        (err = coach_progress(APP(r)->db, &r->actor, id, (int)weeks, clock_now(), &o)))
        return err;
    return http_reply_json(r, 200, o);
}
