/*
 * The agent's desk over HTTP: the disposition codes, the screen pop (a
 * caller's cases and earlier calls by number, each call with what the
 * telephony logged of it) and what the agent records about a call. Each
 * handler parses, calls src/cases (and tel's call log), renders.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "cases/cases.h"
#include "tel/tel.h"

int api_desk_dispositions(struct http_req *r)
{
    const char *lang = http_query(r, "lang");
    json_t *list = json_array();
    if (lang && !language_valid(lang)) {
        json_decref(list);
        return err_set_field(WASL_EINVAL, "request.invalid_parameter", "lang", "lang must be one of %s", languages_list());
    }
    for (int i = 0; i < call_disposition_count(); i++) {
        const char *name, *code;
        bool opens;
        code = call_disposition(i, lang ? lang : "en", &name, &opens);
        json_array_append_new(list, json_pack("{s:s, s:s, s:b}", "code", code, "name", name, "opens_case", opens));
    }
    return http_reply_json(r, 200, json_pack("{s:o}", "dispositions", list));
}

static json_t *note_json(const struct call_note *n)
{
    json_t *arts = json_loads(n->articles ? n->articles : "[]", 0, NULL);
    return json_pack("{s:s, s:I, s:s, s:s?, s:o, s:s?, s:s?, s:o, s:o}", "call_id", n->call_id, "agent_user",
                     (json_int_t)n->agent_user, "disposition", n->disposition, "note", n->note, "articles",
                     arts ? arts : json_array(), "reference", n->reference[0] ? n->reference : NULL, "language",
                     n->language[0] ? n->language : NULL, "created_at", api_time(n->created_at), "updated_at",
                     api_time(n->updated_at));
}

struct pop {
    json_t *open, *recent, *calls;
    int role;
    struct db *db;
};

/* What the telephony logged of a recorded call (once it has ended). */
static int logged_h(const struct tel_call_row *row, void *arg)
{
    json_t *j = arg;
    return json_object_set_new(j, "logged",
                               json_pack("{s:o, s:o, s:s, s:s, s:s, s:I, s:I}", "started_at", api_time(row->started_at), "ended_at",
                                         api_time(row->ended_at), "outcome", row->outcome, "country", row->country, "language",
                                         row->language, "waited_ms", (json_int_t)row->waited_ms, "talked_ms",
                                         (json_int_t)row->talked_ms))
               ? WASL_ENOMEM
               : 0;
}

static int pop_case_h(const struct case_rec *c, void *arg)
{
    struct pop *p = arg;
    bool done = !strcmp(c->status, "resolved") || !strcmp(c->status, "closed") || !strcmp(c->status, "merged");
    return json_array_append_new(done ? p->recent : p->open, api_case_json(c, false, p->role)) ? WASL_ENOMEM : 0;
}

static int pop_call_h(const struct call_note *n, void *arg)
{
    struct pop *p = arg;
    json_t *j = note_json(n);
    int err = tel_call_find(p->db, n->call_id, logged_h, j);
    if (err == WASL_ENOENT) {
        err_clear();
        err = json_object_set_new(j, "logged", json_null()) ? WASL_ENOMEM : 0;
    }
    if (err) {
        json_decref(j);
        return err;
    }
    return json_array_append_new(p->calls, j) ? WASL_ENOMEM : 0;
}

int api_desk_caller(struct http_req *r)
{
    const char *phone = http_query(r, "phone"), *country = http_query(r, "country");
    struct pop p = {json_array(), json_array(), json_array(), r->actor.role, APP(r)->db};
    char masked[64] = "";
    int err = caller_lookup(APP(r)->db, &r->actor, phone, country, pop_case_h, pop_call_h, &p);
    if (err) {
        json_decref(p.open);
        json_decref(p.recent);
        json_decref(p.calls);
        return err;
    }
    mask_phone(phone, masked, sizeof(masked));
    return http_reply_json(
        r, 200,
        json_pack("{s:s, s:o, s:o, s:o}", "phone", masked, "open_cases", p.open, "recent_cases", p.recent, "calls", p.calls));
}

int api_desk_call_get(struct http_req *r)
{
    struct call_note n;
    int err = call_note_get(APP(r)->db, &r->actor, http_param(r, "call_id"), &n);
    if (err)
        return err;
    json_t *j = note_json(&n);
    call_note_clear(&n);
    return http_reply_json(r, 200, j);
}

int api_desk_call_put(struct http_req *r)
{
    struct call_note_input in = {.call_id = http_param(r, "call_id")};
    json_t *articles = NULL;
    struct json_spec spec[] = {
        {"disposition", JS_STR, true, 31, 0, 0, &in.disposition, NULL},
        {"note", JS_STR_OPT_NULL, false, 4000, 0, 0, &in.note, NULL},
        {"articles", JS_ARRAY, false, 10, 0, 0, &articles, NULL},
        {"reference", JS_STR_OPT_NULL, false, 20, 0, 0, &in.reference, NULL},
        {"phone", JS_STR_OPT_NULL, false, 40, 0, 0, &in.phone, NULL},
        {"country", JS_STR_OPT_NULL, false, 2, 0, 0, &in.country, NULL},
        {"language", JS_STR_OPT_NULL, false, WASL_LANG_CODE_MAX - 1, 0, 0, &in.language, NULL},
    };
    int err;

    if ((err = http_body_json(r, spec, sizeof(spec) / sizeof(spec[0]))))
        return err;
    char *arts = articles ? json_dumps(articles, JSON_COMPACT) : NULL;
    in.articles = arts;
    err = call_note_save(APP(r)->db, &r->actor, &in);
    free(arts);
    if (err)
        return err;
    return api_desk_call_get(r);
}

int api_desk_today(struct http_req *r)
{
    struct call_day d;
    json_t *codes = json_object();
    int err = call_day_figures(APP(r)->db, &r->actor, clock_now(), &d);
    if (err) {
        json_decref(codes);
        return err;
    }
    for (int i = 0; i < d.ncodes; i++)
        json_object_set_new(codes, d.codes[i].code, json_integer(d.codes[i].n));
    /* seconds, rounded down; the average talk over the calls answered */
    int64_t talk = d.talk_us / 1000000;
    return http_reply_json(r, 200,
                           json_pack("{s:o, s:I, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "since", api_time(d.since),
                                     "calls_recorded", (json_int_t)d.calls, "by_disposition", codes, "cases_opened",
                                     (json_int_t)d.cases_opened, "calls_answered", (json_int_t)d.answered, "talk_seconds",
                                     (json_int_t)talk, "average_talk_seconds", (json_int_t)(d.answered ? talk / d.answered : 0),
                                     "wrap_up_seconds", (json_int_t)(d.wrap_up_us / 1000000), "pause_seconds",
                                     (json_int_t)(d.pause_us / 1000000), "pauses", (json_int_t)d.pauses));
}
