/*
 * Open311 GeoReport v2 (JSON) over the citizens' portal: the service list
 * and definitions (the public case types and their attributes), creating a
 * request (form-encoded, as the standard says) and reading requests back.
 * service_request_id is the case reference. Extensions: `lang` (service
 * names, and the language of a new request), `pin` (given at creation, needed to read a request back, as on the
 * portal), and `detailed_status` / `language` in what is returned. Errors
 * are GeoReport's [{"code", "description"}].
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "cases/cases.h"
#include "geo/geo.h"
#include "guide/guide.h"

static const char *lang_of(struct http_req *r)
{
    const char *l = http_query(r, "lang");
    return l && language_valid(l) ? l : "en";
}

static int o311_error(struct http_req *r, int err)
{
    int status = err_http_status(err);
    const char *msg = err_message()[0] && err_last() == err ? err_message() : err_default_message(err);
    if (status >= 500) {
        log_error("%s %s failed: %s (%s)", r->method, r->path, err_message(), err_name(err));
        msg = err_default_message(err);
    }
    if (err == WASL_ELIMIT && err_retry_after() > 0) {
        char v[24];
        snprintf(v, sizeof(v), "%lld", (long long)err_retry_after());
        http_add_header(r, "Retry-After", v);
    }
    json_t *e = json_pack("{s:i, s:s}", "code", status, "description", msg);
    if (e && err_last() == err && err_field()[0])
        json_object_set_new(e, "field", json_string(err_field()));
    return http_reply_json(r, status, json_pack("[o]", e));
}

/* "complaint.json" -> "complaint"; false when the suffix is missing. */
static bool strip_json(const char *in, char *out, size_t n)
{
    size_t len = in ? strlen(in) : 0;
    if (len < 6 || len - 5 >= n || strcmp(in + len - 5, ".json"))
        return false;
    memcpy(out, in, len - 5);
    out[len - 5] = '\0';
    return true;
}

static json_t *service_json(const struct case_type *t, const char *lang)
{
    char k[64], kd[80];
    snprintf(k, sizeof(k), "service.%s", t->name);
    snprintf(kd, sizeof(kd), "service.%s.description", t->name);
    return json_pack("{s:s, s:s, s:s, s:b, s:s, s:s, s:s}", "service_code", t->name, "service_name", case_message(lang, k),
                     "description", case_message(lang, kd), "metadata", 1, "type", "realtime", "keywords", t->name, "group",
                     "consular");
}

int api_o311_services(struct http_req *r)
{
    int n;
    const struct case_type *t = case_types(&n);
    json_t *list = json_array();
    for (int i = 0; list && i < n; i++)
        if (t[i].public_filing)
            json_array_append_new(list, service_json(&t[i], lang_of(r)));
    return http_reply_json(r, 200, list);
}

static json_t *values_list(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        json_array_append_new(a, json_pack("{s:s, s:s}", "key", v[i], "name", v[i]));
    return a;
}

static json_t *attribute(int order, const char *code, const char *datatype, bool required, const char *about, json_t *values)
{
    json_t *a = json_pack("{s:b, s:s, s:s, s:b, s:n, s:i, s:s}", "variable", 1, "code", code, "datatype", datatype, "required",
                          required, "datatype_description", "order", order, "description", about);
    if (a && values)
        json_object_set_new(a, "values", values);
    return a;
}

int api_o311_service(struct http_req *r)
{
    char code[32];
    const struct case_type *t;
    if (!strip_json(http_param(r, "code"), code, sizeof(code)) || !(t = case_type(code)) || !t->public_filing)
        return o311_error(r, err_set(WASL_ENOENT, "open311.unknown_service", "no such service"));
    json_t *attrs = json_array();
    int order = 1;
    json_array_append_new(attrs, attribute(order++, "category", "singlevaluelist", true, "category",
                                           values_list(guide_categories, guide_category_count)));
    json_array_append_new(attrs, attribute(order++, "subject", "string", false,
                                           "subject (at most 200 bytes; else the "
                                           "description's first line)",
                                           NULL));
    for (int i = 0; i < t->nfields; i++) {
        const struct case_type_field *f = &t->fields[i];
        json_t *vals = NULL;
        if (!strcmp(f->type, "enum")) {
            const char *v[16];
            for (int k = 0; k < f->nvalues; k++)
                v[k] = f->values[k];
            vals = values_list(v, (size_t)f->nvalues);
        } else if (!strcmp(f->type, "consulate")) {
            size_t nc;
            const struct consulate *c = geo_consulates(&nc);
            vals = json_array();
            for (size_t k = 0; vals && k < nc; k++)
                json_array_append_new(vals, json_pack("{s:s, s:s}", "key", c[k].code, "name", c[k].city));
        }
        json_array_append_new(attrs, attribute(order++, f->name, vals ? "singlevaluelist" : "string", f->required,
                                               !strcmp(f->type, "date") ? "date, YYYY-MM-DD" : f->name, vals));
    }
    return http_reply_json(r, 200, json_pack("{s:s, s:o}", "service_code", t->name, "attributes", attrs));
}

int api_o311_create(struct http_req *r)
{
    struct open311_request o;
    struct case_rec c;
    char pin[7], *body;
    int err;

    if (!r->body)
        return o311_error(r, err_set_field(WASL_EINVAL, "open311.missing_field", "service_code", "service_code is required"));
    /* Decoded in a copy: the request body stays as received. */
    if (!(body = arena_strndup(r->arena, r->body, r->body_len)))
        return WASL_ENOMEM;
    if ((err = open311_parse(body, r->body_len, r->arena, &o)))
        return o311_error(r, err);
    if (!o.lang)
        o.lang = http_query(r, "lang");
    if ((err = open311_file(APP(r)->db, &o, r->ip, r->arena, &c, pin)))
        return o311_error(r, err);
    char *notice = case_text(c.language, "ack.body", c.reference, c.type, c.resolution_due, NULL);
    json_t *j = json_pack("[{s:s, s:s?, s:n, s:s, s:s, s:o}]", "service_request_id", c.reference, "service_notice", notice,
                          "account_id", "pin", pin, "language", c.language, "expected_datetime", api_time(c.resolution_due));
    free(notice);
    case_rec_clear(&c);
    return http_reply_json(r, 201, j);
}

static int last_note_h(const struct case_event *e, void *arg)
{
    char **last = arg;
    if (e->body) {
        free(*last);
        *last = strdup(e->body);
    }
    return 0;
}

static int one_request(struct http_req *r, const char *ref, json_t *list)
{
    struct portal_status st;
    char *note = NULL, k[64];
    int err = portal_track(APP(r)->db, ref, http_query(r, "pin"), r->ip, &st, last_note_h, &note);
    if (err) {
        free(note);
        return err;
    }
    bool closed = !strcmp(st.status, "resolved") || !strcmp(st.status, "closed") || !strcmp(st.status, "merged");
    snprintf(k, sizeof(k), "service.%s", st.type);
    json_array_append_new(list, json_pack("{s:s, s:s, s:s?, s:s, s:s, s:o, s:o, s:o, s:n, s:n, s:n, s:s, s:s}",
                                          "service_request_id", st.reference, "status", closed ? "closed" : "open", "status_notes",
                                          note, "service_name", case_message(st.language, k), "service_code", st.type,
                                          "requested_datetime", api_time(st.created_at), "updated_datetime",
                                          api_time(st.updated_at), "expected_datetime", api_time(st.expected_at), "address", "lat",
                                          "long", "detailed_status", st.status, "language", st.language));
    free(note);
    return 0;
}

int api_o311_request(struct http_req *r)
{
    char ref[32];
    json_t *list = json_array();
    int err;
    if (!strip_json(http_param(r, "id"), ref, sizeof(ref))) {
        json_decref(list);
        return o311_error(r, err_set(WASL_ENOENT, "open311.not_found", "ask for /requests/{service_request_id}.json"));
    }
    if ((err = one_request(r, ref, list))) {
        json_decref(list);
        return o311_error(r, err);
    }
    return http_reply_json(r, 200, list);
}

/* GET requests.json?service_request_id=REF&pin=PIN: one request, since
 * reading one needs its PIN; listing everyone's is not offered. */
int api_o311_requests(struct http_req *r)
{
    const char *ref = http_query(r, "service_request_id");
    json_t *list = json_array();
    int err;
    if (!ref || !*ref || strchr(ref, ',')) {
        json_decref(list);
        return o311_error(r, err_set_field(WASL_EINVAL, "open311.missing_field", "service_request_id",
                                           "give one service_request_id with its pin"));
    }
    if ((err = one_request(r, ref, list))) {
        json_decref(list);
        return o311_error(r, err);
    }
    return http_reply_json(r, 200, list);
}
