/*
 * Guide briefings over HTTP: an agent's pending briefings and their
 * acknowledgement, the supervisors' list and detail with the time to 90 %
 * briefed, and the check a quality review makes of a call's article
 * version. Each handler parses, calls src/brief, renders.
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "brief/brief.h"

int api_briefings_mine(struct http_req *r)
{
    json_t *list;
    int err = brief_pending(APP(r)->db, r->actor.user_id, &list);
    if (err)
        return err;
    http_add_header(r, "Cache-Control", "no-store");
    return http_reply_json(r, 200, json_pack("{s:I, s:o}", "pending", (json_int_t)json_array_size(list), "briefings", list));
}

int api_briefing_acknowledge(struct http_req *r)
{
    json_t *answers = NULL, *out;
    struct json_spec spec[] = {{"answers", JS_ARRAY, false, BRIEF_QUESTIONS_MAX, 0, 0, &answers, NULL}};
    int64_t id;
    int err;
    if ((err = api_param_id(r, "id", &id)) || (r->body && (err = http_body_json(r, spec, 1))))
        return err;
    char *text = answers ? json_dumps(answers, JSON_COMPACT) : NULL;
    if (answers && !text)
        return WASL_ENOMEM;
    err = brief_acknowledge(APP(r)->db, &r->actor, id, text, text ? strlen(text) : 0, &out);
    free(text);
    return err ? err : http_reply_json(r, 200, out);
}

int api_briefings_list(struct http_req *r)
{
    long long days = 90;
    json_t *list;
    int err;
    if ((err = api_query_int(r, "days", 1, 3660, &days)) ||
        (err = brief_list(APP(r)->db, clock_now() - (int64_t)days * 86400 * 1000000, http_query(r, "lang"), &list)))
        return err;
    return http_reply_json(r, 200, json_pack("{s:I, s:o}", "days", (json_int_t)days, "briefings", list));
}

int api_briefing_get(struct http_req *r)
{
    json_t *j;
    int64_t id;
    int err;
    if ((err = api_param_id(r, "id", &id)) || (err = brief_get(APP(r)->db, id, &j)))
        return err;
    return http_reply_json(r, 200, j);
}

int api_briefings_check(struct http_req *r)
{
    const char *slug = http_query(r, "slug"), *lang = http_query(r, "lang");
    long long user = 0, version = 0;
    wtime_t at = clock_now();
    struct brief_check c;
    int err;
    if (!slug || !lang)
        return err_set_field(WASL_EINVAL, "request.missing_parameter", slug ? "lang" : "slug", "give slug and lang");
    if ((err = api_query_int(r, "user", 1, INT64_MAX, &user)) || (err = api_query_int(r, "version", 0, 1000000, &version)) ||
        (err = api_query_time(r, "at", "request.invalid_parameter", &at)) ||
        (err = brief_check(APP(r)->db, slug, lang, (int)version, at, user, &c)))
        return err;
    return http_reply_json(r, 200,
                           json_pack("{s:s, s:s, s:o, s:i, s:i, s:i, s:b, s:b, s:b, s:b, s:o, s:o}", "slug", slug, "lang", lang,
                                     "at", api_time(at), "version_used", (int)version, "current", c.current, "newest", c.newest,
                                     "superseded", c.superseded, "amendment", c.amendment, "concerned", c.concerned, "briefed",
                                     c.briefed, "briefed_at", api_time(c.briefed_at), "briefing_id",
                                     c.briefing_id ? json_integer(c.briefing_id) : json_null()));
}
