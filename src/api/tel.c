/*
 * Telephony API: an agent's phone and availability, the agents' SIP
 * accounts (admin), the live state of queues, agents and calls, the call
 * log and callback requests (supervision), and the emergency closure.
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "auth/auth.h"
#include "calendar/calendar.h"
#include "cases/cases.h"
#include "tel/tel.h"

static json_t *skills_json(const unsigned char *prof, const char (*services)[TEL_SERVICE_MAX], int nservices);

static json_t *agent_entry(const struct tel_agent *a)
{
    char phone[26] = "";
    if (a->call_caller[0])
        snprintf(phone, sizeof(phone), "+%s", a->call_caller);
    /* the screen pop: only to the agent, about their own call */
    json_t *caller = a->call ? json_pack("{s:s?, s:I, s:s, s:s?, s:b}", "phone", phone[0] ? phone : NULL, "waited_seconds",
                                         (json_int_t)a->call_waited_seconds, "ivr_path", a->call_path, "reference",
                                         a->call_reference[0] ? a->call_reference : NULL, "callback", a->call_callback)
                             : json_null();
    return json_pack("{s:I, s:s, s:s?, s:I, s:b, s:s?, s:b, s:s?, s:s, s:o, s:I, s:s?, s:s?, s:o}", "user_id",
                     (json_int_t)a->user_id, "state", a->state, "reason", a->reason[0] ? a->reason : NULL, "since_seconds",
                     (json_int_t)a->since_seconds, "has_phone", a->has_account, "sip_user", a->has_account ? a->sip_user : NULL,
                     "registered", a->registered, "contact", a->registered ? a->contact : NULL, "languages", a->languages, "skills",
                     skills_json(a->proficiency, a->services, a->nservices), "call", (json_int_t)a->call, "call_language",
                     a->call_language[0] ? a->call_language : NULL, "call_country", a->call_country[0] ? a->call_country : NULL,
                     "caller", caller);
}

/* An agent's entry, with how long their wrap-up lasts while they are in it
 * (null otherwise): the desk counts it down from since_seconds. */
json_t *api_tel_agent_json(const struct tel_agent *a)
{
    json_t *j = agent_entry(a);
    json_t *consult = a->consult_stage[0] ? json_pack("{s:I, s:s, s:b}", "with", (json_int_t)a->consult_with, "stage",
                                                      a->consult_stage, "consulted", a->consulted)
                                          : json_null();
    if (j && (json_object_set_new(j, "wrap_up_seconds", a->wrap_up_seconds ? json_integer(a->wrap_up_seconds) : json_null()) ||
              json_object_set_new(j, "consultation", consult))) {
        json_decref(j);
        return NULL;
    }
    return j;
}

int api_me_phone(struct http_req *r)
{
    struct tel_agent a;
    int err = tel_agent_get(r->session.user.id, &a);
    if (err)
        return err;
    return http_reply_json(r, 200, api_tel_agent_json(&a));
}

/* 200 with the new state once the telephony applied it; 202 with the state
 * so far and "pending" when it has not answered yet (the event stream
 * brings the outcome). */
int api_me_state(struct http_req *r)
{
    const char *state = NULL, *reason = NULL;
    struct json_spec spec[] = {{"state", JS_STR, true, 16, 0, 0, &state, NULL}, {"reason", JS_STR, false, 30, 0, 0, &reason, NULL}};
    struct tel_agent a;
    bool applied;
    int err;

    if ((err = http_body_json(r, spec, 2)) || (err = tel_agent_set(r->session.user.id, state, reason, &applied)) ||
        (err = tel_agent_get(r->session.user.id, &a)))
        return err;
    json_t *j = api_tel_agent_json(&a);
    if (j && !applied)
        json_object_set_new(j, "pending", json_true());
    return http_reply_json(r, applied ? 200 : 202, j);
}

/* An account's skills for the API: "proficiency" {"fr": 5, ...} in the
 * order of the center's languages, and "services" (null: every service). */
static json_t *skills_json(const unsigned char *prof, const char (*services)[TEL_SERVICE_MAX], int nservices)
{
    json_t *p = json_object(), *s = nservices < 0 ? json_null() : json_array();
    for (int i = 0; i < wasl_nlanguages; i++)
        if (prof[i])
            json_object_set_new(p, wasl_languages[i], json_integer(prof[i]));
    for (int i = 0; i < nservices; i++)
        json_array_append_new(s, json_string(services[i]));
    return json_pack("{s:o, s:o}", "proficiency", p, "services", s);
}

/* The services of the queues plan, for the form's choices ([] while the
 * telephony is off: the plan is not loaded then). */
static json_t *plan_services_json(void)
{
    json_t *a = json_array();
    for (int i = 0; i < tel_plan_services(); i++)
        json_array_append_new(a, json_string(tel_plan_service(i)));
    return a;
}

static int reply_account(struct http_req *r, int64_t id, const struct tel_account_info *acc, bool found, json_t *extra)
{
    json_t *j =
        found ? skills_json(acc->proficiency, acc->services, acc->nservices) : json_pack("{s:n, s:n}", "proficiency", "services");
    if (!j)
        return WASL_ENOMEM;
    json_object_set_new(j, "user_id", json_integer(id));
    json_object_set_new(j, "sip_user", found ? json_string(acc->sip_user) : json_null());
    json_object_set_new(j, "languages", found ? json_string(acc->languages) : json_null());
    json_object_set_new(j, "plan_services", plan_services_json());
    if (extra)
        json_object_update(j, extra);
    json_decref(extra);
    return http_reply_json(r, 200, j);
}

int api_users_sip_get(struct http_req *r)
{
    struct tel_account_info acc;
    int64_t id;
    int err;
    struct user u;
    if ((err = api_param_id(r, "id", &id)) || (err = user_get(APP(r)->db, id, &u)))
        return err;
    /* A user without a phone is an answer (nulls), not an error. */
    err = tel_account_get(APP(r)->db, id, &acc);
    if (err && err != WASL_ENOENT)
        return err;
    err_clear();
    return reply_account(r, id, &acc, !err, NULL);
}

int api_users_sip(struct http_req *r)
{
    const char *sip_user = NULL, *password = NULL, *languages = NULL;
    json_t *services = NULL;
    bool has_services = false;
    struct json_spec spec[] = {
        {"sip_user", JS_STR, true, 64, 0, 0, &sip_user, NULL},
        {"password", JS_STR, false, 200, 0, 0, &password, NULL},
        {"languages", JS_STR, true, 80, 0, 0, &languages, NULL},
        {"services", JS_ARRAY_OPT_NULL, false, TEL_SERVICES_MAX, 0, 0, &services, &has_services},
    };
    const char *names[TEL_SERVICES_MAX];
    struct tel_account_info acc;
    char object[32];
    int64_t id;
    int err, n = -1;

    if ((err = api_param_id(r, "id", &id)) || (err = http_body_json(r, spec, 4)))
        return err;
    if (services) {
        /* absent or null: every service */
        n = (int)json_array_size(services);
        for (int i = 0; i < n; i++)
            if (!(names[i] = json_string_value(json_array_get(services, (size_t)i))))
                return err_set_field(WASL_EINVAL, "tel.invalid_services", "services", "a list of service names (strings)");
    }
    struct user u;
    if ((err = user_get(APP(r)->db, id, &u)))
        return err;
    if ((err = tel_account_set(APP(r)->db, id, sip_user, password, languages, names, n)) ||
        (err = tel_account_get(APP(r)->db, id, &acc)))
        return err;
    snprintf(object, sizeof(object), "user:%lld", (long long)id);
    /* the record says what the skills became */
    json_t *d = json_pack("{s:s, s:O}", "languages", acc.languages, "services", services && n >= 0 ? services : json_null());
    char *detail = d ? json_dumps(d, JSON_COMPACT) : NULL;
    json_decref(d);
    if (!detail)
        return WASL_ENOMEM;
    err = audit_append_db(APP(r)->db, &r->actor, "user.sip_account", object, detail);
    free(detail);
    if (err)
        return err;
    return reply_account(r, id, &acc, true, json_pack("{s:b}", "password_changed", password != NULL));
}

/* The display name of id in b[0..n), sorted by id (user_briefs); NULL if none. */
static const char *name_of(const struct user_brief *b, int n, int64_t id)
{
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (b[mid].id == id)
            return b[mid].display_name[0] ? b[mid].display_name : NULL;
        if (b[mid].id < id)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return NULL;
}

/* The calls listed in the status; calls_active counts them all. */
#define STATUS_CALLS_MAX 500

json_t *api_tel_status_json(struct db *db, const struct tel_status *s)
{
    json_t *queues = json_object(), *agents = json_array(), *calls = json_array();
    int64_t now = clock_mono_us(), wall = clock_now();
    int n = 0;

    for (int i = 0; i < s->nqueues; i++) {
        const struct tel_queue_live *q = &s->queues[i];
        json_object_set_new(queues, q->name,
                            json_pack("{s:i, s:I}", "waiting", q->waiting, "oldest_seconds",
                                      (json_int_t)(q->oldest_since ? (now - q->oldest_since) / 1000000 : 0)));
    }
    /* names, for the supervisors (who cannot list users) */
    struct user_brief *names = s->nagents ? calloc((size_t)s->nagents, sizeof(*names)) : NULL;
    for (int i = 0; names && i < s->nagents; i++)
        if (s->agents[i].in_acd)
            names[n++].id = s->agents[i].user_id;
    if (names && n && user_briefs(db, names, n)) {
        free(names); /* the state is still worth showing without names */
        names = NULL;
    }
    err_clear();
    for (int i = 0; i < s->nagents; i++) {
        const struct tel_agent *a = &s->agents[i];
        if (!a->in_acd)
            continue;
        json_array_append_new(agents, json_pack("{s:I, s:s?, s:s, s:s?, s:s, s:o, s:I, s:b, s:I}", "user_id",
                                                (json_int_t)a->user_id, "display_name", name_of(names, names ? n : 0, a->user_id),
                                                "state", a->state, "reason", a->reason[0] ? a->reason : NULL, "languages",
                                                a->languages, "skills", skills_json(a->proficiency, a->services, a->nservices),
                                                "since_seconds", (json_int_t)((now - a->since) / 1000000), "registered",
                                                a->registered, "call", (json_int_t)a->call));
    }
    free(names);
    for (int i = 0; i < s->ncalls && i < STATUS_CALLS_MAX; i++) {
        const struct tel_call_live *c = &s->calls[i];
        json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:I}", "id", (json_int_t)c->id, "country", c->country, "did", c->did,
                              "language", c->language, "state", c->state, "node", c->node, "seconds",
                              (json_int_t)((wall - c->started) / 1000000));
        json_object_set_new(o, "queue", c->queue[0] ? json_string(c->queue) : json_null());
        json_object_set_new(o, "agent", c->agent ? json_integer(c->agent) : json_null());
        json_object_set_new(o, "consult", c->consult ? json_integer(c->consult) : json_null());
        json_object_set_new(o, "conference", json_boolean(c->conference));
        json_array_append_new(calls, o);
    }
    return json_pack("{s:s, s:i, s:i, s:I, s:o, s:o, s:o}", "sip", s->sip, "calls_active", s->calls_active, "phones_registered",
                     s->phones_registered, "records", (json_int_t)s->records, "queues", queues, "agents", agents, "calls", calls);
}

/* The reasons an agent may give for a pause, with their names in every
 * language (the UI shows the one of its language). */
int api_tel_pause_reasons(struct http_req *r)
{
    json_t *items = json_array();
    for (int i = 0; i < tel_pause_reasons(); i++) {
        json_t *names = json_object();
        const char *code = NULL, *name;
        for (int l = 0; l < wasl_nlanguages; l++) {
            code = tel_pause_reason(i, l, &name);
            json_object_set_new(names, wasl_languages[l], json_string(name));
        }
        json_array_append_new(items, json_pack("{s:s, s:o}", "code", code, "names", names));
    }
    return http_reply_json(r, 200, json_pack("{s:o}", "items", items));
}

/* Colleagues an agent can hand a call to or consult: the staff whose phone
 * is registered, with their state (a blind transfer needs one logged in to
 * the queues and free; a consultation any registered phone). */
int api_tel_colleagues(struct http_req *r)
{
    const struct tel_status *s;
    int n = 0, err = tel_status_get(&s);
    if (err)
        return err;
    struct user_brief *names = s->nagents ? calloc((size_t)s->nagents, sizeof(*names)) : NULL;
    for (int i = 0; names && i < s->nagents; i++)
        if (s->agents[i].registered && s->agents[i].user_id != r->session.user.id)
            names[n++].id = s->agents[i].user_id;
    if (names && n && user_briefs(APP(r)->db, names, n)) {
        free(names);
        tel_status_put(s);
        return WASL_EIO;
    }
    json_t *items = json_array();
    for (int i = 0; i < s->nagents; i++) {
        const struct tel_agent *a = &s->agents[i];
        if (!a->registered || a->user_id == r->session.user.id)
            continue;
        bool free_now = !strcmp(a->state, "available") || !strcmp(a->state, "wrap_up") || !strcmp(a->state, "paused");
        json_array_append_new(items,
                              json_pack("{s:I, s:s?, s:s, s:s, s:b, s:b}", "user_id", (json_int_t)a->user_id, "name",
                                        name_of(names, n, a->user_id), "state", a->in_acd ? a->state : "offline", "languages",
                                        a->languages, "transfer", a->in_acd && free_now, "consult", !a->in_acd || free_now));
    }
    free(names);
    tel_status_put(s);
    return http_reply_json(r, 200, json_pack("{s:o}", "items", items));
}

int api_tel_status(struct http_req *r)
{
    const struct tel_status *s;
    int err = tel_status_get(&s);
    if (err)
        return err;
    json_t *j = api_tel_status_json(APP(r)->db, s);
    tel_status_put(s);
    return http_reply_json(r, 200, j);
}

static int call_item(const struct tel_call_row *c, void *arg)
{
    return json_array_append_new(
               arg, json_pack("{s:I, s:s, s:o, s:o, s:s, s:s, s:s, s:s, s:s, s:o, s:I, s:I, s:b}", "id", (json_int_t)c->id,
                              "call_id", c->call_id, "started_at", api_time(c->started_at), "ended_at", api_time(c->ended_at),
                              "did", c->did, "country", c->country, "language", c->language, "outcome", c->outcome, "path", c->path,
                              "agent_user", c->agent_user ? json_integer(c->agent_user) : json_null(), "waited_ms",
                              (json_int_t)c->waited_ms, "talked_ms", (json_int_t)c->talked_ms, "recorded", c->recorded))
               ? WASL_ENOMEM
               : 0;
}

static int callback_item(const struct callback_row *c, void *arg)
{
    return json_array_append_new(arg, json_pack("{s:I, s:o, s:s, s:s, s:s, s:s}", "id", (json_int_t)c->id, "created_at",
                                                api_time(c->created_at), "country", c->country, "did", c->did, "language",
                                                c->language, "status", c->status))
               ? WASL_ENOMEM
               : 0;
}

/* Replies {"items": [...]}, or the error that stopped the listing. */
static int reply_items(struct http_req *r, json_t *items, int err)
{
    if (err) {
        json_decref(items);
        return err;
    }
    return http_reply_json(r, 200, json_pack("{s:o}", "items", items));
}

int api_tel_calls(struct http_req *r)
{
    long long limit = 100, before = 0;
    int err;

    if ((err = api_query_int(r, "limit", 1, 1000, &limit)) || (err = api_query_int(r, "before", 1, INT64_MAX, &before)))
        return err;
    json_t *items = json_array();
    return reply_items(r, items, tel_calls_list(APP(r)->db, before, (int)limit, call_item, items));
}

int api_tel_callbacks(struct http_req *r)
{
    long long limit = 100;
    int err;

    if ((err = api_query_int(r, "limit", 1, 1000, &limit)))
        return err;
    json_t *items = json_array();
    return reply_items(r, items, callbacks_pending(APP(r)->db, (int)limit, callback_item, items));
}

int api_calendar_emergency(struct http_req *r)
{
    int closed = 0;
    const char *reason = NULL;
    struct json_spec spec[] = {{"closed", JS_BOOL, true, 0, 0, 0, &closed, NULL},
                               {"reason", JS_STR, false, 190, 0, 0, &reason, NULL}};
    int err;

    if ((err = http_body_json(r, spec, 2)))
        return err;
    if (closed && (!reason || !*reason))
        return err_set_field(WASL_EINVAL, "calendar.reason_required", "reason", "say why the center is closed");
    if ((err = calendar_emergency_save(APP(r)->db, closed, reason, &r->actor)))
        return err;
    return http_reply_json(r, 200, json_pack("{s:b, s:s?}", "closed", closed, "reason", closed ? reason : NULL));
}

int api_tel_recording(struct http_req *r)
{
    char path[1100], object[40];
    int64_t id;
    char *buf;
    size_t len;
    int err;

    if ((err = api_param_id(r, "id", &id)) || (err = tel_call_recording(APP(r)->db, id, path, sizeof(path))))
        return err;
    /* Listening to a call is reading personal data: audited first. */
    snprintf(object, sizeof(object), "call:%lld", (long long)id);
    if ((err = audit_append_db(APP(r)->db, &r->actor, "call.recording_listen", object, NULL)))
        return err;
    if ((err = file_read(path, &buf, &len, 512u << 20)))
        return err == WASL_ENOENT ? err_set(WASL_ENOENT, "tel.no_recording", "the recording was deleted (retention)") : err;
    http_add_header(r, "Cache-Control", "no-store");
    return http_reply_text(r, 200, "audio/wav", buf, len);
}

/* 200 once the telephony swapped the flow in, 202 "pending" when it has
 * not yet within a second (it will). */
int api_tel_flow_reload(struct http_req *r)
{
    bool applied;
    int err = tel_flow_reload(&applied);
    if (err)
        return err;
    if ((err = audit_append_db(APP(r)->db, &r->actor, "tel.flow_reload", "ivr", NULL)))
        return err;
    return http_reply_json(r, applied ? 200 : 202, json_pack("{s:b, s:b}", "reloaded", applied, "pending", !applied));
}
