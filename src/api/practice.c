/*
 * The practice line over HTTP: the scripts a trainee may pick, a session
 * started (wasl calls the trainee's phone), a session's state and result,
 * and the trainee's record scored against the script. A trainee reaches
 * their own sessions; supervisors and administrators everybody's. What is
 * recorded here goes to practice_sessions only (docs/practice.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "cases/cases.h"
#include "calendar/calendar.h"
#include "guide/guide.h"
#include "practice/practice.h"
#include "tel/tel.h"

/* The sessions an actor may see: their own, or everybody's for a supervisor. */
static int64_t viewer(const struct http_req *r)
{
    return r->actor.role & (ROLE_SUPERVISOR | ROLE_ADMIN) ? 0 : r->actor.user_id;
}

static json_t *script_json(const struct practice_script *s, bool with_expected)
{
    json_t *lines = json_array();
    for (int i = 0; i < s->nlines; i++)
        json_array_append_new(lines, json_string(s->lines[i]));
    json_t *o = json_pack("{s:s, s:s, s:s, s:o}", "id", s->id, "language", s->language, "title", s->title, "lines", lines);
    if (with_expected)
        json_object_set_new(o, "expected",
                            json_pack("{s:s, s:s, s:s, s:i}", "article", s->article, "case_type", s->case_type, "category",
                                      s->category, "deadline_days", s->deadline_days));
    return o;
}

int api_practice_scripts(struct http_req *r)
{
    const struct practice_script *s;
    int n = practice_scripts(&s);
    json_t *items = json_array();
    /* the trainee does not see the answers; a supervisor does */
    for (int i = 0; i < n; i++)
        json_array_append_new(items, script_json(&s[i], viewer(r) == 0));
    return http_reply_json(r, 200, json_pack("{s:o}", "items", items));
}

static json_t *session_json(const struct practice_session *p)
{
    json_error_t je;
    json_t *record = p->record[0] ? json_loads(p->record, 0, &je) : NULL;
    json_t *result = p->result[0] ? json_loads(p->result, 0, &je) : NULL;
    const struct practice_script *s = practice_script_get(p->script);
    return json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:I, s:o, s:o, s:o, s:o}", "id", (json_int_t)p->id,
                     "user_id", (json_int_t)p->user_id, "script", p->script, "title", s ? s->title : "", "language", p->language,
                     "state", p->state, "outcome", p->outcome, "started_at", api_time(p->started_at), "answered_at",
                     api_time(p->answered_at), "ended_at", api_time(p->ended_at), "lines_played", (json_int_t)p->lines_played,
                     "score", p->score < 0 ? json_null() : json_integer(p->score), "recorded_at", api_time(p->recorded_at),
                     "record", record ? record : json_null(), "result", result ? result : json_null());
}

static int one_h(const struct practice_session *p, void *arg)
{
    *(json_t **)arg = session_json(p);
    return 0;
}

static int reply_session(struct http_req *r, int64_t id, int status)
{
    json_t *j = NULL;
    int err = practice_session_get(APP(r)->db, id, viewer(r), one_h, &j);
    if (err) {
        json_decref(j);
        return err;
    }
    return http_reply_json(r, status, j);
}

int api_practice_start(struct http_req *r)
{
    const char *script = NULL;
    struct json_spec spec[] = {{"script", JS_STR, true, PRACTICE_ID_MAX - 1, 0, 0, &script, NULL}};
    int64_t id = 0;
    bool applied = false;
    int err;
    if ((err = http_body_json(r, spec, 1)) || (err = practice_session_create(APP(r)->db, r->actor.user_id, script, &id)))
        return err;
    if ((err = tel_practice_call(r->actor.user_id, id, script, &applied))) {
        /* the error is the caller's answer; the session says it failed
         * (codes are static strings: the pointer outlives the next error) */
        const char *code = err_code();
        int ferr = practice_session_fail(APP(r)->db, id, code && *code ? code : "failed");
        return ferr ? ferr : err;
    }
    return reply_session(r, id, 201);
}

int api_practice_session(struct http_req *r)
{
    int64_t id;
    int err = api_param_id(r, "id", &id);
    return err ? err : reply_session(r, id, 200);
}

static int list_h(const struct practice_session *p, void *arg)
{
    json_array_append_new(arg, session_json(p));
    return 0;
}

int api_practice_sessions(struct http_req *r)
{
    long long user = 0, limit = 50;
    int err;
    if ((err = api_query_int(r, "user", 0, INT64_MAX, &user)) || (err = api_query_int(r, "limit", 1, 500, &limit)))
        return err;
    if (viewer(r))
        user = viewer(r); /* a trainee: their own only */
    json_t *items = json_array();
    if ((err = practice_sessions_list(APP(r)->db, user, (int)limit, list_h, items))) {
        json_decref(items);
        return err;
    }
    return http_reply_json(r, 200, json_pack("{s:o}", "items", items));
}

/* ---- the trainee's record, scored ---- */

struct got {
    char script[PRACTICE_ID_MAX];
    int64_t started_at;
};

static int got_h(const struct practice_session *p, void *arg)
{
    struct got *g = arg;
    snprintf(g->script, sizeof(g->script), "%s", p->script);
    g->started_at = p->started_at;
    return 0;
}

/* Days since 1970 of an instant in the center's time zone. */
static int64_t center_day(int64_t at_us)
{
    const struct tz *z;
    struct tz_local l;
    if (tz_get(calendar_zone(), &z) || tz_to_local(z, at_us / WTIME_SEC, &l)) {
        err_clear();
        return at_us / WTIME_SEC / 86400;
    }
    return days_from_civil(l.year, l.month, l.day);
}

static json_t *criterion(const char *id, int weight, bool met, json_t *expected, json_t *given)
{
    return json_pack("{s:s, s:i, s:b, s:o, s:o}", "id", id, "weight", weight, "met", met, "expected", expected, "given",
                     given ? given : json_null());
}

int api_practice_record(struct http_req *r)
{
    int64_t id;
    json_t *articles = NULL, *kase = NULL;
    const char *disposition = NULL, *note = NULL;
    struct json_spec spec[] = {
        {"disposition", JS_STR, true, 31, 0, 0, &disposition, NULL},
        {"articles", JS_ARRAY, false, PRACTICE_ARTICLES_MAX, 0, 0, &articles, NULL},
        {"case", JS_OBJECT, false, 0, 0, 0, &kase, NULL},
        {"note", JS_STR_OPT_NULL, false, 4000, 0, 0, &note, NULL},
    };
    struct practice_record rec = {.due_day = INT64_MIN};
    struct got g = {0};
    int err;

    if ((err = api_param_id(r, "id", &id)) || (err = http_body_json(r, spec, sizeof(spec) / sizeof(spec[0]))) ||
        (err = practice_session_get(APP(r)->db, id, r->actor.user_id, got_h, &g)))
        return err;
    const struct practice_script *s = practice_script_get(g.script);
    if (!s)
        return err_set(WASL_ECONFLICT, "practice.script_not_found", "the session's script is no longer loaded");
    bool known = false;
    for (int i = 0; i < call_disposition_count() && !known; i++)
        known = !strcmp(call_disposition(i, "en", NULL, NULL), disposition);
    if (!known)
        return err_set_field(WASL_EINVAL, "practice.invalid_record", "disposition", "not a code of data/cases/dispositions.json");
    size_t i;
    json_t *a;
    json_array_foreach(articles, i, a)
    {
        const char *slug = json_is_string(a) ? json_string_value(a) : json_string_value(json_object_get(a, "slug"));
        if (!slug || !*slug || strlen(slug) >= 80)
            return err_set_field(WASL_EINVAL, "practice.invalid_record", "articles",
                                 "each article is a slug or an object with a slug");
        rec.articles[rec.narticles++] = slug;
    }
    if (kase) {
        const char *type = json_string_value(json_object_get(kase, "type"));
        const char *category = json_string_value(json_object_get(kase, "category"));
        const char *due = json_string_value(json_object_get(kase, "due_on"));
        int y, m, d;
        char tail;
        if (!type || !case_type(type))
            return err_set_field(WASL_EINVAL, "practice.invalid_record", "case.type", "a case type of data/cases/types.json");
        if (!category || !guide_category_valid(category))
            return err_set_field(WASL_EINVAL, "practice.invalid_record", "case.category", "one of the guide's categories");
        if (due && (sscanf(due, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 || d < 1 || d > 31))
            return err_set_field(WASL_EINVAL, "practice.invalid_record", "case.due_on", "a date YYYY-MM-DD");
        rec.case_type = type;
        rec.category = category;
        rec.due_day = due ? days_from_civil(y, m, d) : INT64_MIN;
    }
    rec.call_day = center_day(g.started_at);
    struct practice_result res;
    practice_score(s, &rec, &res);

    json_t *given_articles = json_array();
    for (int k = 0; k < rec.narticles; k++)
        json_array_append_new(given_articles, json_string(rec.articles[k]));
    json_t *crit = json_array();
    json_array_append_new(crit, criterion("article", PRACTICE_W_ARTICLE, res.article, json_string(s->article), given_articles));
    json_array_append_new(crit, criterion("case_type", PRACTICE_W_TYPE, res.case_type, json_string(s->case_type),
                                          rec.case_type ? json_string(rec.case_type) : NULL));
    json_array_append_new(crit, criterion("category", PRACTICE_W_CATEGORY, res.category, json_string(s->category),
                                          rec.category ? json_string(rec.category) : NULL));
    json_array_append_new(crit, criterion("deadline_days", PRACTICE_W_DEADLINE, res.deadline, json_integer(s->deadline_days),
                                          res.deadline_days == INT64_MIN ? NULL : json_integer(res.deadline_days)));
    json_t *result = json_pack("{s:i, s:o}", "score", res.score, "criteria", crit);
    json_t *record = json_pack("{s:s, s:O, s:O, s:s?}", "disposition", disposition, "articles", given_articles, "case",
                               kase ? kase : json_null(), "note", note);
    char *rt = json_dumps(record, JSON_COMPACT), *xt = json_dumps(result, JSON_COMPACT);
    json_decref(record);
    json_decref(result);
    err = rt && xt ? practice_session_record(APP(r)->db, id, r->actor.user_id, rt, &res, xt) : WASL_ENOMEM;
    free(rt);
    free(xt);
    return err ? err : reply_session(r, id, 200);
}
