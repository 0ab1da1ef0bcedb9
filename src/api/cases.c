/*
 * Cases over HTTP: the staff's case API (create, list, view, change, notes,
 * merge, types), the data-protection officer's export and erasure, and the
 * citizens' portal (file, track, rate). Each handler parses, calls
 * src/cases, renders.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "cases/cases.h"
#include "guide/guide.h"

/* ---- rendering ---- */

static json_t *citizen_json(const struct citizen *c)
{
    return json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?}", "name", c->name, "phone", c->phone, "email", c->email, "id_number",
                     c->id_number, "passport", c->passport);
}

static json_t *fields_json(const struct case_rec *c)
{
    json_t *o = json_object();
    for (int i = 0; o && i < c->nfields; i++)
        json_object_set_new(o, c->fields[i].name, json_string(c->fields[i].value ? c->fields[i].value : ""));
    return o;
}

/* full: the case's view (decrypted personal data, description, what the
 * viewer may do next); else a list row. */
static json_t *case_json(const struct case_rec *c, bool full)
{
    return api_case_json(c, full, 0);
}

json_t *api_case_json(const struct case_rec *c, bool full, int role)
{
    int64_t due;
    const char *state = case_deadline_state(c, clock_now(), &due);
    json_t *arts = json_loads(c->articles ? c->articles : "[]", 0, NULL);
    json_t *j = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:s?, s:o, s:s, s:o, s:o, s:o, s:s?, s:s, s:o, s:o, s:o, s:o, s:o, s:o, "
        "s:o, s:b, s:o}",
        "reference", c->reference, "type", c->type, "category", c->category, "status", c->status, "priority", c->priority,
        "channel", c->channel, "language", c->language, "country", c->country[0] ? c->country : NULL, "consulate",
        c->consulate[0] ? c->consulate : NULL, "assignee",
        json_pack("{s:o, s:s?, s:s?}", "user_id", c->assignee_user ? json_integer(c->assignee_user) : json_null(), "login",
                  c->assignee_login[0] ? c->assignee_login : NULL, "consulate",
                  c->assignee_consulate[0] ? c->assignee_consulate : NULL),
        "subject", c->subject, "fields", fields_json(c), "citizen", citizen_json(&c->citizen), "articles",
        arts ? arts : json_array(), "merged_into", c->merged_into[0] ? c->merged_into : NULL, "created_by", c->created_by,
        "created_at", api_time(c->created_at), "updated_at", api_time(c->updated_at), "first_response_at",
        api_time(c->first_response_at), "first_response_due", api_time(c->first_response_due), "resolution_due",
        api_time(c->resolution_due), "resolved_at", api_time(c->resolved_at), "closed_at", api_time(c->closed_at), "escalated",
        c->escalated, "deadline", json_pack("{s:s, s:o}", "state", state, "due", api_time(due)));
    if (j && c->rating)
        json_object_set_new(j, "rating", json_integer(c->rating));
    if (j && c->new_reply)
        json_object_set_new(j, "new_reply", json_true());
    if (j && full) {
        json_object_set_new(j, "description", c->description ? json_string(c->description) : json_null());
        json_object_set_new(j, "rating_comment", c->rating_comment ? json_string(c->rating_comment) : json_null());
        const char *next[8];
        json_t *ns = json_array();
        int n = strcmp(c->status, "merged") ? case_next_statuses(c->status, role, next) : 0;
        for (int i = 0; i < n; i++)
            json_array_append_new(ns, json_string(next[i]));
        json_object_set_new(j, "next_statuses", ns);
    }
    return j;
}

static int event_h(const struct case_event *e, void *arg)
{
    json_t *list = arg, *detail = json_loads(e->detail ? e->detail : "{}", 0, NULL);
    json_array_append_new(list,
                          json_pack("{s:o, s:s, s:s, s:b, s:s?, s:o}", "at", api_time(e->at), "actor", e->actor, "kind", e->kind,
                                    "public", e->public_note, "body", e->body, "detail", detail ? detail : json_object()));
    return 0;
}

/* ---- parsing ---- */

/* "fields": {"name": "value", ...} into f (strings borrowed from the JSON). */
static int fields_from_json(json_t *o, struct case_field *f, int *n)
{
    const char *k;
    json_t *v;
    *n = 0;
    if (!o)
        return 0;
    json_object_foreach(o, k, v)
    {
        if (*n == CASE_FIELDS_MAX || strlen(k) >= sizeof(f[0].name))
            return err_set_field(WASL_EINVAL, "cases.unknown_field", "fields", "unknown or too many fields");
        if (!json_is_string(v))
            return err_set_field(WASL_EINVAL, "cases.invalid_field", k, "'%.31s' must be a string", k);
        snprintf(f[*n].name, sizeof(f[0].name), "%s", k);
        f[*n].value = (char *)json_string_value(v);
        (*n)++;
    }
    return 0;
}

static int citizen_from_json(json_t *o, struct citizen *c)
{
    struct json_spec spec[] = {
        {"name", JS_STR_OPT_NULL, false, 200, 0, 0, &c->name, NULL},
        {"phone", JS_STR_OPT_NULL, false, 40, 0, 0, &c->phone, NULL},
        {"email", JS_STR_OPT_NULL, false, 254, 0, 0, &c->email, NULL},
        {"id_number", JS_STR_OPT_NULL, false, 40, 0, 0, &c->id_number, NULL},
        {"passport", JS_STR_OPT_NULL, false, 40, 0, 0, &c->passport, NULL},
    };
    memset(c, 0, sizeof(*c));
    return o ? json_spec_parse(o, spec, sizeof(spec) / sizeof(spec[0]), false) : 0;
}

/* ---- staff ---- */

int api_case_types(struct http_req *r)
{
    int n;
    const struct case_type *t = case_types(&n);
    json_t *types = json_array(), *cats = json_array();
    for (int i = 0; types && i < n; i++) {
        json_t *fields = json_array();
        for (int k = 0; fields && k < t[i].nfields; k++) {
            const struct case_type_field *f = &t[i].fields[k];
            json_t *vals = json_array();
            for (int v = 0; vals && v < f->nvalues; v++)
                json_array_append_new(vals, json_string(f->values[v]));
            json_array_append_new(fields, json_pack("{s:s, s:s, s:b, s:b, s:i, s:o}", "name", f->name, "type", f->type, "required",
                                                    f->required, "personal", f->personal, "max", f->max, "values", vals));
        }
        json_array_append_new(types,
                              json_pack("{s:s, s:b, s:o}", "name", t[i].name, "public", t[i].public_filing, "fields", fields));
    }
    for (size_t i = 0; cats && i < guide_category_count; i++)
        json_array_append_new(cats, json_string(guide_categories[i]));
    return http_reply_json(r, 200,
                           json_pack("{s:o, s:o, s:[ssss], s:[sssssss]}", "types", types, "categories", cats, "priorities", "low",
                                     "normal", "high", "urgent", "statuses", "new", "open", "waiting_citizen", "waiting_consulate",
                                     "resolved", "closed", "merged"));
}

int api_cases_create(struct http_req *r)
{
    struct case_input in = {0};
    json_t *fields = NULL, *citizen = NULL, *articles = NULL;
    struct json_spec spec[] = {
        {"type", JS_STR, true, 16, 0, 0, &in.type, NULL},
        {"category", JS_STR, true, 32, 0, 0, &in.category, NULL},
        {"priority", JS_STR, false, 10, 0, 0, &in.priority, NULL},
        {"channel", JS_STR, false, 10, 0, 0, &in.channel, NULL},
        {"language", JS_STR, true, WASL_LANG_CODE_MAX - 1, 0, 0, &in.language, NULL},
        {"country", JS_STR_OPT_NULL, false, 2, 0, 0, &in.country, NULL},
        {"consulate", JS_STR_OPT_NULL, false, 11, 0, 0, &in.consulate, NULL},
        {"subject", JS_STR, true, 200, 0, 0, &in.subject, NULL},
        {"description", JS_STR_OPT_NULL, false, 10000, 0, 0, &in.description, NULL},
        {"fields", JS_OBJECT, false, 0, 0, 0, &fields, NULL},
        {"citizen", JS_OBJECT, false, 0, 0, 0, &citizen, NULL},
        {"articles", JS_ARRAY, false, 10, 0, 0, &articles, NULL},
    };
    struct case_rec c;
    char pin[7];
    int err;

    if ((err = http_body_json(r, spec, sizeof(spec) / sizeof(spec[0]))) ||
        (err = fields_from_json(fields, in.fields, &in.nfields)) || (err = citizen_from_json(citizen, &in.citizen)))
        return err;
    char *arts = articles ? json_dumps(articles, JSON_COMPACT) : NULL;
    bool replayed = false;
    in.articles = arts;
    in.request_key = http_header(r, "Idempotency-Key");
    in.replayed = &replayed;
    err = case_create(APP(r)->db, &r->actor, &in, &c, pin);
    free(arts);
    if (err)
        return err;
    if (replayed)
        http_add_header(r, "Idempotent-Replayed", "true");
    json_t *j = api_case_json(&c, true, r->actor.role);
    json_object_set_new(j, "pin", json_string(pin));
    char loc[64];
    snprintf(loc, sizeof(loc), "/api/v1/cases/%s", c.reference);
    http_add_header(r, "Location", loc);
    case_rec_clear(&c);
    return http_reply_json(r, 201, j);
}

static int list_h(const struct case_rec *c, void *arg)
{
    return json_array_append_new(arg, case_json(c, false)) ? WASL_ENOMEM : 0;
}

int api_cases_list(struct http_req *r)
{
    struct case_filter f = {0};
    struct case_page pg;
    long long limit = 50, assignee = 0, overdue = 0, before = 0;
    const char *who = http_query(r, "assignee");
    json_t *list = json_array();
    int err;

    f.status = http_query(r, "status");
    f.type = http_query(r, "type");
    f.consulate = http_query(r, "consulate");
    f.phone = http_query(r, "phone");
    f.phone_country = http_query(r, "country");
    f.email = http_query(r, "email");
    f.q = http_query(r, "q");
    f.language = http_query(r, "language");
    f.sort = http_query(r, "sort");
    f.cursor = http_query(r, "cursor");
    if (who && !strcmp(who, "me"))
        assignee = r->actor.user_id;
    else if ((err = api_query_int(r, "assignee", 1, INT64_MAX, &assignee)))
        goto fail;
    if ((err = api_query_int(r, "limit", 1, 500, &limit)) || (err = api_query_int(r, "overdue", 0, 1, &overdue)) ||
        (err = api_query_int(r, "before", 1, INT64_MAX, &before)))
        goto fail;
    f.before_id = before;
    f.assignee = assignee;
    f.overdue = overdue != 0;
    f.limit = (int)limit;
    if ((err = case_list(APP(r)->db, &r->actor, &f, list_h, list, &pg)))
        goto fail;
    return http_reply_json(r, 200,
                           json_pack("{s:o, s:I, s:s?, s:s?, s:o}", "cases", list, "total", (json_int_t)pg.total, "next_cursor",
                                     pg.next_cursor[0] ? pg.next_cursor : NULL, "matched_by", pg.matched_by, "next_before",
                                     pg.next_before ? json_integer(pg.next_before) : json_null()));
fail:
    json_decref(list);
    return err;
}

int api_cases_get(struct http_req *r)
{
    struct case_rec c;
    json_t *events = json_array(), *j;
    int err;

    if ((err = case_view(APP(r)->db, &r->actor, http_param(r, "ref"), &c))) {
        json_decref(events);
        return err;
    }
    if ((err = case_events(APP(r)->db, c.id, false, event_h, events))) {
        case_rec_clear(&c);
        json_decref(events);
        return err;
    }
    j = api_case_json(&c, true, r->actor.role);
    json_object_set_new(j, "events", events);
    case_rec_clear(&c);
    return http_reply_json(r, 200, j);
}

/* The case as the caller may now see it, after a change (a view, audited). */
static int reply_case(struct http_req *r)
{
    return api_cases_get(r);
}

int api_cases_update(struct http_req *r)
{
    struct case_change ch = {0};
    json_t *fields = NULL, *assignee_user = NULL;
    const char *acons = NULL;
    bool has_acons = false;
    struct json_spec spec[] = {
        {"status", JS_STR, false, 20, 0, 0, &ch.status, NULL},
        {"priority", JS_STR, false, 10, 0, 0, &ch.priority, NULL},
        {"category", JS_STR, false, 32, 0, 0, &ch.category, NULL},
        {"assignee_consulate", JS_STR_OPT_NULL, false, 11, 0, 0, &acons, &has_acons},
        {"fields", JS_OBJECT, false, 0, 0, 0, &fields, NULL},
    };
    int err;

    if ((err = http_body_load(r)))
        return err;
    json_t *root = http_body_root(r);
    /* assignee_user: an id, or null to unassign. */
    if ((assignee_user = json_object_get(root, "assignee_user"))) {
        if (json_is_null(assignee_user))
            ch.assignee_user = -1;
        else if (json_is_integer(assignee_user) && json_integer_value(assignee_user) > 0)
            ch.assignee_user = json_integer_value(assignee_user);
        else
            return err_set_field(WASL_EINVAL, "request.invalid_field", "assignee_user", "a user id, or null");
        json_object_del(root, "assignee_user");
    }
    if ((err = json_spec_parse(root, spec, sizeof(spec) / sizeof(spec[0]), false)) ||
        (err = fields_from_json(fields, ch.fields, &ch.nfields)))
        return err;
    if (has_acons)
        ch.assignee_consulate = acons ? acons : "";
    if ((err = case_update(APP(r)->db, &r->actor, http_param(r, "ref"), &ch)))
        return err;
    return reply_case(r);
}

int api_cases_note(struct http_req *r)
{
    const char *body = NULL;
    int pub = 0;
    struct json_spec spec[] = {
        {"body", JS_STR, true, 10000, 0, 0, &body, NULL},
        {"public", JS_BOOL, false, 0, 0, 0, &pub, NULL},
    };
    int err;

    if ((err = http_body_json(r, spec, sizeof(spec) / sizeof(spec[0]))) ||
        (err = case_add_note(APP(r)->db, &r->actor, http_param(r, "ref"), body, pub != 0)))
        return err;
    return reply_case(r);
}

int api_cases_merge(struct http_req *r)
{
    const char *into = NULL;
    struct json_spec spec[] = {{"into", JS_STR, true, 20, 0, 0, &into, NULL}};
    int err;

    if ((err = http_body_json(r, spec, 1)) || (err = case_merge(APP(r)->db, &r->actor, http_param(r, "ref"), into)))
        return err;
    return reply_case(r);
}

/* ---- data protection ---- */

static int subject_body(struct http_req *r, const char **phone, const char **email)
{
    struct json_spec spec[] = {
        {"phone", JS_STR, false, 40, 0, 0, phone, NULL},
        {"email", JS_STR, false, 254, 0, 0, email, NULL},
    };
    *phone = *email = NULL;
    return http_body_json(r, spec, 2);
}

int api_privacy_export(struct http_req *r)
{
    const char *phone, *email;
    char *json = NULL;
    int err;

    if ((err = subject_body(r, &phone, &email)) || (err = privacy_export(APP(r)->db, &r->actor, phone, email, &json)))
        return err;
    http_add_header(r, "Content-Disposition", "attachment; filename=\"subject-access.json\"");
    return http_reply_text(r, 200, "application/json", json, strlen(json));
}

int api_privacy_erase(struct http_req *r)
{
    const char *phone, *email;
    int n = 0, err;

    if ((err = subject_body(r, &phone, &email)) || (err = privacy_erase(APP(r)->db, &r->actor, phone, email, &n)))
        return err;
    return http_reply_json(r, 200, json_pack("{s:i}", "erased_cases", n));
}

/* ---- citizens' portal ---- */

int api_portal_form(struct http_req *r)
{
    return api_case_types(r);
}

int api_portal_file(struct http_req *r)
{
    struct portal_filing f = {0};
    json_t *fields = NULL, *citizen = NULL;
    struct json_spec spec[] = {
        {"type", JS_STR, true, 16, 0, 0, &f.type, NULL},
        {"category", JS_STR, true, 32, 0, 0, &f.category, NULL},
        {"language", JS_STR, true, WASL_LANG_CODE_MAX - 1, 0, 0, &f.language, NULL},
        {"country", JS_STR_OPT_NULL, false, 2, 0, 0, &f.country, NULL},
        {"consulate", JS_STR_OPT_NULL, false, 11, 0, 0, &f.consulate, NULL},
        {"subject", JS_STR, true, 200, 0, 0, &f.subject, NULL},
        {"description", JS_STR, true, 10000, 0, 0, &f.description, NULL},
        {"fields", JS_OBJECT, false, 0, 0, 0, &fields, NULL},
        {"citizen", JS_OBJECT, false, 0, 0, 0, &citizen, NULL},
    };
    struct case_rec c;
    char pin[7], *ack = NULL;
    bool replayed = false;
    int err;

    if ((err = http_body_json(r, spec, sizeof(spec) / sizeof(spec[0]))) || (err = fields_from_json(fields, f.fields, &f.nfields)) ||
        (err = citizen_from_json(citizen, &f.citizen)))
        return err;
    /* Identity documents are not asked for on a public form. */
    f.citizen.id_number = f.citizen.passport = NULL;
    f.ip = r->ip;
    f.request_key = http_header(r, "Idempotency-Key");
    f.replayed = &replayed;
    if ((err = portal_file(APP(r)->db, &f, &c, pin, &ack)))
        return err;
    if (replayed)
        http_add_header(r, "Idempotent-Replayed", "true");
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s}", "reference", c.reference, "pin", pin, "type", c.type, "status",
                          c.status, "expected_at", api_time(c.resolution_due), "acknowledgement", ack);
    free(ack);
    case_rec_clear(&c);
    return http_reply_json(r, 201, j);
}

static int public_event_h(const struct case_event *e, void *arg)
{
    json_t *list = arg;
    /* The citizen sees what was written for them, not who wrote it. */
    if (!e->body)
        return 0;
    json_array_append_new(list, json_pack("{s:o, s:s, s:s}", "at", api_time(e->at), "kind", e->kind, "body", e->body));
    return 0;
}

int api_portal_track(struct http_req *r)
{
    const char *ref = NULL, *pin = NULL;
    struct json_spec spec[] = {
        {"reference", JS_STR, true, 40, 0, 0, &ref, NULL},
        {"pin", JS_STR, true, 12, 0, 0, &pin, NULL},
    };
    struct portal_status st;
    json_t *notes = json_array();
    int err;

    if ((err = http_body_json(r, spec, 2)) || (err = portal_track(APP(r)->db, ref, pin, r->ip, &st, public_event_h, notes))) {
        json_decref(notes);
        return err;
    }
    return http_reply_json(r, 200,
                           json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:b, s:o, s:o}", "reference", st.reference, "type",
                                     st.type, "status", st.status, "language", st.language, "created_at", api_time(st.created_at),
                                     "updated_at", api_time(st.updated_at), "expected_at", api_time(st.expected_at), "can_rate",
                                     st.can_rate, "rating", st.rating ? json_integer(st.rating) : json_null(), "notes", notes));
}

int api_portal_rate(struct http_req *r)
{
    const char *ref = NULL, *pin = NULL, *comment = NULL;
    long long rating = 0;
    struct json_spec spec[] = {
        {"reference", JS_STR, true, 40, 0, 0, &ref, NULL},
        {"pin", JS_STR, true, 12, 0, 0, &pin, NULL},
        {"rating", JS_INT, true, 0, 1, 5, &rating, NULL},
        {"comment", JS_STR_OPT_NULL, false, 1000, 0, 0, &comment, NULL},
    };
    int err;

    if ((err = http_body_json(r, spec, sizeof(spec) / sizeof(spec[0]))) ||
        (err = portal_rate(APP(r)->db, ref, pin, r->ip, (int)rating, comment)))
        return err;
    return http_reply_empty(r, 204);
}

int api_portal_reply(struct http_req *r)
{
    const char *ref = NULL, *pin = NULL, *body = NULL;
    struct json_spec spec[] = {
        {"reference", JS_STR, true, 40, 0, 0, &ref, NULL},
        {"pin", JS_STR, true, 12, 0, 0, &pin, NULL},
        {"body", JS_STR, true, 4000, 0, 0, &body, NULL},
    };
    int err;

    if ((err = http_body_json(r, spec, sizeof(spec) / sizeof(spec[0]))) || (err = portal_reply(APP(r)->db, ref, pin, r->ip, body)))
        return err;
    return http_reply_empty(r, 204);
}
