/*
 * Logging in and out, the current session, and one's own preferences.
 */
#include <stdio.h>
#include <string.h>

#include "api.h"

static json_t *session_json(const struct session *s)
{
    return json_pack("{s:o, s:s, s:o, s:o, s:{s:i}}", "user", api_user_json(&s->user), "csrf_token", s->csrf, "created_at",
                     api_time(s->created_at), "seen_at", api_time(s->seen_at), "password_policy", "min_length",
                     auth_password_min_length());
}

int api_login(struct http_req *r)
{
    const char *login = NULL, *password = NULL;
    struct json_spec spec[] = {
        {"login", JS_STR, true, USER_LOGIN_MAX * 4, 0, 0, &login, NULL},
        {"password", JS_STR, true, PASSWORD_MAX, 0, 0, &password, NULL},
    };
    struct session s;
    int64_t retry = 0;
    int err;

    if ((err = http_body_json(r, spec, 2)))
        return err;
    r->actor.user_agent = http_header(r, "User-Agent");
    if ((err = auth_login(APP(r)->db, login, password, &r->actor, &s, &retry)))
        return err;
    http_set_session_cookie(r, s.token);
    return http_reply_json(r, 201, session_json(&s));
}

int api_session_get(struct http_req *r)
{
    return http_reply_json(r, 200, session_json(&r->session));
}

int api_logout(struct http_req *r)
{
    int err = auth_logout(APP(r)->db, &r->actor, r->session.token_hash);
    if (err)
        return err;
    http_clear_session_cookie(r);
    return http_reply_empty(r, 204);
}

int api_me_update(struct http_req *r)
{
    const char *language = NULL;
    struct json_spec spec[] = {{"language", JS_STR, true, 8, 0, 0, &language, NULL}};
    int err;

    if ((err = http_body_json(r, spec, 1)) || (err = auth_set_language(APP(r)->db, &r->actor, language)))
        return err;
    snprintf(r->session.user.language, sizeof(r->session.user.language), "%s", language);
    return http_reply_json(r, 200, api_user_json(&r->session.user));
}

int api_me_password(struct http_req *r)
{
    const char *current = NULL, *next = NULL;
    struct json_spec spec[] = {
        {"current_password", JS_STR, true, PASSWORD_MAX, 0, 0, &current, NULL},
        {"new_password", JS_STR, true, PASSWORD_MAX, 0, 0, &next, NULL},
    };
    int err;

    if ((err = http_body_json(r, spec, 2)))
        return err;
    if ((err = auth_check_password(APP(r)->db, &r->actor, current)))
        return err;
    err = user_set_password(APP(r)->db, &r->actor, r->session.user.id, next, false, r->session.token_hash);
    if (err)
        return api_rename_field(err, "password", "new_password");
    return http_reply_empty(r, 204);
}
