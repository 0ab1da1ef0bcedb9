/*
 * Voice messages left in the IVR: the list, listening (audited), marking
 * one handled and turning one into a callback request. Who sees which
 * message (agents: their languages) is decided by the telephony
 * (src/tel/messages.c).
 */
#include <stdio.h>
#include <stdlib.h>

#include "api.h"
#include "auth/auth.h"
#include "tel/tel.h"

static struct tel_viewer viewer_of(const struct http_req *r)
{
    struct tel_viewer v = {r->actor.user_id, (r->actor.role & (ROLE_SUPERVISOR | ROLE_ADMIN)) != 0};
    return v;
}

static int message_item(const struct tel_message *m, void *arg)
{
    json_t *o =
        json_pack("{s:I, s:I, s:o, s:s, s:s, s:s, s:I, s:s, s:s?, s:s?, s:b, s:s}", "id", (json_int_t)m->id, "call",
                  (json_int_t)m->call, "left_at", api_time(m->left_at), "country", m->country, "did", m->did, "language",
                  m->language, "seconds", (json_int_t)m->seconds, "status", m->status, "outcome", m->outcome[0] ? m->outcome : NULL,
                  "phone", m->phone_masked[0] ? m->phone_masked : NULL, "expired", m->expired, "audio", m->audio);
    if (!o)
        return WASL_ENOMEM;
    json_object_set_new(o, "handled_by", m->handled_by ? json_integer(m->handled_by) : json_null());
    json_object_set_new(o, "handled_at", m->handled_at ? api_time(m->handled_at) : json_null());
    json_object_set_new(o, "callback", m->callback_id ? json_integer(m->callback_id) : json_null());
    json_object_set_new(o, "note", m->note ? json_string(m->note) : json_null());
    return json_array_append_new(arg, o) ? WASL_ENOMEM : 0;
}

int api_tel_messages(struct http_req *r)
{
    long long limit = 50, before = 0;
    struct tel_viewer v = viewer_of(r);
    int64_t next = 0;
    int err;

    if ((err = api_query_int(r, "limit", 1, 200, &limit)) || (err = api_query_int(r, "before", 1, INT64_MAX, &before)))
        return err;
    struct tel_message_filter f = {http_query(r, "status"), http_query(r, "language"), before, (int)limit};
    json_t *items = json_array();
    if ((err = tel_messages_list(APP(r)->db, &v, &f, message_item, items, &next))) {
        json_decref(items);
        return err;
    }
    /* who handled each, by name (agents and supervisors cannot list users) */
    struct user_brief names[200];
    int n = 0;
    size_t i;
    json_t *m;
    json_array_foreach(items, i, m) if (json_integer_value(json_object_get(m, "handled_by")) && n < 200) names[n++].id =
        json_integer_value(json_object_get(m, "handled_by"));
    if (n && user_briefs(APP(r)->db, names, n))
        n = 0; /* the list is still worth showing without names */
    err_clear();
    json_array_foreach(items, i, m)
    {
        const char *name = NULL;
        for (int k = 0; k < n && !name; k++)
            if (names[k].id == json_integer_value(json_object_get(m, "handled_by")) && names[k].display_name[0])
                name = names[k].display_name;
        json_object_set_new(m, "handled_by_name", name ? json_string(name) : json_null());
    }
    return http_reply_json(r, 200, json_pack("{s:o, s:o}", "items", items, "next_before", next ? json_integer(next) : json_null()));
}

int api_tel_message_audio(struct http_req *r)
{
    struct tel_viewer v = viewer_of(r);
    char path[1100], object[48];
    int64_t id;
    char *buf;
    size_t len;
    int err;

    if ((err = api_param_id(r, "id", &id)) || (err = tel_message_audio(APP(r)->db, &v, id, path, sizeof(path))))
        return err;
    /* A citizen's voice is personal data: audited before it is read. */
    snprintf(object, sizeof(object), "voice_message:%lld", (long long)id);
    if ((err = audit_append_db(APP(r)->db, &r->actor, "message.listen", object, NULL)))
        return err;
    if ((err = file_read(path, &buf, &len, 64u << 20)))
        return err == WASL_ENOENT ? err_set(WASL_ENOENT, "tel.message_expired", "the message's audio was deleted (retention)")
                                  : err;
    http_add_header(r, "Cache-Control", "no-store");
    return http_reply_text(r, 200, "audio/wav", buf, len);
}

int api_tel_message_handle(struct http_req *r)
{
    const char *outcome = NULL, *note = NULL;
    struct json_spec spec[] = {{"outcome", JS_STR, true, 16, 0, 0, &outcome, NULL},
                               {"note", JS_STR, false, 500, 0, 0, &note, NULL}};
    struct tel_viewer v = viewer_of(r);
    char object[48], detail[48];
    int64_t id;
    int err;

    if ((err = api_param_id(r, "id", &id)) || (err = http_body_json(r, spec, 2)) ||
        (err = tel_message_handle(APP(r)->db, &v, id, outcome, note)))
        return err;
    snprintf(object, sizeof(object), "voice_message:%lld", (long long)id);
    snprintf(detail, sizeof(detail), "{\"outcome\":\"%s\"}", outcome); /* one of two words, checked */
    if ((err = audit_append_db(APP(r)->db, &r->actor, "message.handle", object, detail)))
        return err;
    return http_reply_json(r, 200, json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id, "status", "handled", "outcome", outcome));
}

int api_tel_message_callback(struct http_req *r)
{
    const char *language = NULL, *note = NULL;
    struct json_spec spec[] = {{"language", JS_STR, false, WASL_LANG_CODE_MAX - 1, 0, 0, &language, NULL},
                               {"note", JS_STR, false, 500, 0, 0, &note, NULL}};
    struct tel_viewer v = viewer_of(r);
    char object[48], detail[64];
    int64_t id, callback = 0;
    bool merged = false;
    int err;

    if ((err = api_param_id(r, "id", &id)) || (err = http_body_json(r, spec, 2)) ||
        (err = tel_message_callback(APP(r)->db, &v, id, language, note, &callback, &merged)))
        return err;
    snprintf(object, sizeof(object), "voice_message:%lld", (long long)id);
    snprintf(detail, sizeof(detail), "{\"callback\":%lld,\"merged\":%s}", (long long)callback, merged ? "true" : "false");
    if ((err = audit_append_db(APP(r)->db, &r->actor, "message.callback", object, detail)))
        return err;
    return http_reply_json(r, merged ? 200 : 201,
                           json_pack("{s:I, s:s, s:s, s:I, s:b}", "id", (json_int_t)id, "status", "handled", "outcome", "callback",
                                     "callback", (json_int_t)callback, "merged", merged));
}
