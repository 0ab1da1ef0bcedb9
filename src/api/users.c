/*
 * User administration for the admin page.
 */
#include <stdlib.h>

#include "api.h"
#include "tel/tel.h"

#define USERS_MAX 1000

int api_users_list(struct http_req *r)
{
    struct user *u = malloc(sizeof(*u) * USERS_MAX);
    json_t *list;
    int n, err;

    if (!u)
        return WASL_ENOMEM;
    if ((err = user_list(APP(r)->db, u, USERS_MAX, &n))) {
        free(u);
        return err;
    }
    list = json_array();
    for (int i = 0; list && i < n; i++)
        json_array_append_new(list, api_user_json(&u[i]));
    free(u);
    return http_reply_json(r, 200, json_pack("{s:o}", "users", list));
}

int api_users_create(struct http_req *r)
{
    struct user_fields f = {0};
    char temp[32];
    int must = 1;
    bool has_password = false, has_must = false;
    struct json_spec spec[] = {
        {"login", JS_STR, true, USER_LOGIN_MAX, 0, 0, &f.login, NULL},
        {"display_name", JS_STR, true, USER_NAME_MAX, 0, 0, &f.display_name, NULL},
        {"role", JS_STR, true, 16, 0, 0, &f.role, NULL},
        {"consulate", JS_STR_OPT_NULL, false, 16, 0, 0, &f.consulate, NULL},
        {"language", JS_STR, false, 8, 0, 0, &f.language, NULL},
        {"password", JS_STR, false, PASSWORD_MAX, 0, 0, &f.password, &has_password},
        {"must_change_password", JS_BOOL, false, 0, 0, 0, &must, &has_must},
    };
    struct user u;
    int64_t id;
    int err;

    if ((err = http_body_json(r, spec, sizeof(spec) / sizeof(spec[0]))))
        return err;
    /* No password given: a temporary one, shown once, to change at first login. */
    if (!has_password) {
        auth_random_password(temp, sizeof(temp));
        f.password = temp;
        must = 1;
    }
    f.must_change_password = must;
    if ((err = user_create(APP(r)->db, &r->actor, &f, &id)) || (err = user_get(APP(r)->db, id, &u)))
        return err;
    json_t *j = api_user_json(&u);
    if (!has_password && j)
        json_object_set_new(j, "temporary_password", json_string(temp));
    return http_reply_json(r, 201, j);
}

int api_users_get(struct http_req *r)
{
    struct user u;
    int64_t id;
    int err;

    if ((err = api_param_id(r, "id", &id)) || (err = user_get(APP(r)->db, id, &u)))
        return err;
    return http_reply_json(r, 200, api_user_json(&u));
}

int api_users_update(struct http_req *r)
{
    struct user_change ch = {.disabled = -1};
    int disabled = 0;
    bool has_disabled = false, has_consulate = false;
    struct json_spec spec[] = {
        {"display_name", JS_STR, false, USER_NAME_MAX, 0, 0, &ch.display_name, NULL},
        {"role", JS_STR, false, 16, 0, 0, &ch.role, NULL},
        {"consulate", JS_STR_OPT_NULL, false, 16, 0, 0, &ch.consulate, &has_consulate},
        {"language", JS_STR, false, 8, 0, 0, &ch.language, NULL},
        {"disabled", JS_BOOL, false, 0, 0, 0, &disabled, &has_disabled},
    };
    struct user u;
    int64_t id;
    int err;

    if ((err = api_param_id(r, "id", &id)) || (err = http_body_json(r, spec, sizeof(spec) / sizeof(spec[0]))))
        return err;
    if (has_disabled)
        ch.disabled = disabled;
    if (has_consulate && !ch.consulate)
        ch.consulate = ""; /* null clears it */
    if ((err = user_update(APP(r)->db, &r->actor, id, &ch)) || (err = user_get(APP(r)->db, id, &u)))
        return err;
    /* A disabled user's phone is let go and they leave the queues at once
     * (the change is stored: a failure here is logged, not the answer). */
    if (has_disabled && tel_accounts_reload(APP(r)->db)) {
        log_warn("users: the telephony did not take the change of user %lld yet: %s", (long long)id, err_message());
        err_clear();
    }
    return http_reply_json(r, 200, api_user_json(&u));
}

int api_users_reset_password(struct http_req *r)
{
    char temp[32];
    int64_t id;
    int err;

    if ((err = api_param_id(r, "id", &id)))
        return err;
    auth_random_password(temp, sizeof(temp));
    if ((err = user_set_password(APP(r)->db, &r->actor, id, temp, true, NULL)))
        return err;
    return http_reply_json(r, 200, json_pack("{s:s}", "temporary_password", temp));
}

int api_users_unlock(struct http_req *r)
{
    int64_t id;
    int err;

    if ((err = api_param_id(r, "id", &id)) || (err = user_unlock(APP(r)->db, &r->actor, id)))
        return err;
    return http_reply_empty(r, 204);
}
