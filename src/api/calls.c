/*
 * The staff acting on calls and agents: the desk's call controls (hold,
 * resume, hang up) and blind transfers; a supervisor on a live call
 * (listen, whisper, barge, audited before the phone rings: listening is
 * access to personal data) or forcing an agent's pause or log-out; a
 * callback scheduled for a citizen; a waiting caller moved to another
 * queue by a supervisor.
 */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "tel/tel.h"

int api_tel_supervise(struct http_req *r)
{
    const char *mode = NULL;
    struct json_spec spec[] = {{"mode", JS_STR, true, 16, 0, 0, &mode, NULL}};
    int64_t id;
    char object[40], detail[64];
    int err;

    if ((err = api_param_id(r, "id", &id)) || (err = http_body_json(r, spec, 1)))
        return err;
    if (strcmp(mode, "listen") && strcmp(mode, "whisper") && strcmp(mode, "barge") && strcmp(mode, "off"))
        return err_set_field(WASL_EINVAL, "tel.invalid_mode", "mode", "listen, whisper, barge or off");
    snprintf(object, sizeof(object), "call:%lld", (long long)id);
    snprintf(detail, sizeof(detail), "{\"mode\":\"%s\"}", mode);
    bool applied;
    if ((err = audit_append_db(APP(r)->db, &r->actor, "call.supervise", object, detail)) ||
        (err = tel_monitor((uint64_t)id, r->actor.user_id, mode, &applied)))
        return err;
    return http_reply_json(r, applied ? 200 : 202,
                           json_pack("{s:I, s:s, s:b}", "call", (json_int_t)id, "mode", mode, "applied", applied));
}

int api_tel_callback_add(struct http_req *r)
{
    const char *phone = NULL, *language = NULL;
    struct json_spec spec[] = {{"phone", JS_STR, true, 32, 0, 0, &phone, NULL},
                               {"language", JS_STR, true, WASL_LANG_CODE_MAX - 1, 0, 0, &language, NULL}};
    char by[40], object[40];
    int64_t id = 0;
    bool merged = false;
    int err;

    if ((err = http_body_json(r, spec, 2)))
        return err;
    snprintf(by, sizeof(by), "staff:%lld", (long long)r->actor.user_id);
    if ((err = tel_callback_schedule(APP(r)->db, phone, language, by, &id, &merged)))
        return err;
    snprintf(object, sizeof(object), "callback:%lld", (long long)id);
    if ((err = audit_append_db(APP(r)->db, &r->actor, "callback.schedule", object, merged ? "merged" : NULL)))
        return err;
    return http_reply_json(r, merged ? 200 : 201, json_pack("{s:I, s:b}", "id", (json_int_t)id, "merged", merged));
}

static bool staff_over(const struct http_req *r)
{
    return (r->actor.role & (ROLE_SUPERVISOR | ROLE_ADMIN)) != 0;
}

int api_tel_transfer(struct http_req *r)
{
    const char *queue = NULL;
    long long agent = 0;
    struct json_spec spec[] = {{"queue", JS_STR, false, 16, 0, 0, &queue, NULL},
                               {"agent", JS_INT, false, 0, 1, INT64_MAX, &agent, NULL}};
    int64_t id;
    int err;

    bool applied;
    if ((err = api_param_id(r, "id", &id)) || (err = http_body_json(r, spec, 2)) ||
        (err = tel_transfer((uint64_t)id, r->actor.user_id, staff_over(r), queue, agent, &applied)))
        return err;
    json_t *o = json_pack("{s:I, s:b}", "call", (json_int_t)id, "applied", applied);
    if (queue)
        json_object_set_new(o, "queue", json_string(queue));
    else
        json_object_set_new(o, "agent", json_integer(agent));
    return http_reply_json(r, applied ? 200 : 202, o);
}

/* A supervisor moves a waiting caller: audited once the telephony took the
 * command (a refusal changes nothing and is not an action on the call). */
int api_tel_move(struct http_req *r)
{
    const char *queue = NULL;
    struct json_spec spec[] = {{"queue", JS_STR, true, 16, 0, 0, &queue, NULL}};
    char object[40];
    int64_t id;
    bool applied;
    int err;

    if ((err = api_param_id(r, "id", &id)) || (err = http_body_json(r, spec, 1)) ||
        (err = tel_call_move((uint64_t)id, queue, r->actor.user_id, &applied)))
        return err;
    snprintf(object, sizeof(object), "call:%lld", (long long)id);
    if ((err = audit_append_db(APP(r)->db, &r->actor, "call.move", object, queue)))
        return err;
    return http_reply_json(r, applied ? 200 : 202,
                           json_pack("{s:I, s:s, s:b}", "call", (json_int_t)id, "queue", queue, "applied", applied));
}

int api_tel_consult(struct http_req *r)
{
    const char *action = NULL;
    long long agent = 0;
    struct json_spec spec[] = {{"action", JS_STR, true, 12, 0, 0, &action, NULL},
                               {"agent", JS_INT, false, 0, 1, INT64_MAX, &agent, NULL}};
    char object[40];
    int64_t id;
    bool applied;
    int err;

    if ((err = api_param_id(r, "id", &id)) || (err = http_body_json(r, spec, 2)) ||
        (err = tel_consult((uint64_t)id, r->actor.user_id, staff_over(r), action, agent, &applied)))
        return err;
    snprintf(object, sizeof(object), "call:%lld", (long long)id);
    if ((err = audit_append_db(APP(r)->db, &r->actor, "call.consult", object, action)))
        return err;
    return http_reply_json(r, applied ? 200 : 202,
                           json_pack("{s:I, s:s, s:b}", "call", (json_int_t)id, "action", action, "applied", applied));
}

int api_tel_agent_force(struct http_req *r)
{
    const char *state = NULL, *reason = NULL;
    struct json_spec spec[] = {{"state", JS_STR, true, 16, 0, 0, &state, NULL}, {"reason", JS_STR, false, 30, 0, 0, &reason, NULL}};
    char object[40];
    int64_t id;
    bool applied;
    int err;

    if ((err = api_param_id(r, "id", &id)) || (err = http_body_json(r, spec, 2)))
        return err;
    snprintf(object, sizeof(object), "user:%lld", (long long)id);
    if ((err = tel_agent_force(id, state, reason, r->actor.user_id, &applied)) ||
        (err = audit_append_db(APP(r)->db, &r->actor, "agent.force_state", object, state)))
        return err;
    return http_reply_json(r, applied ? 200 : 202,
                           json_pack("{s:I, s:s, s:b}", "user_id", (json_int_t)id, "state", state, "applied", applied));
}

int api_tel_call_control(struct http_req *r)
{
    const char *action = NULL;
    struct json_spec spec[] = {{"action", JS_STR, true, 8, 0, 0, &action, NULL}};
    int64_t id;
    bool applied;
    int err;

    if ((err = api_param_id(r, "id", &id)) || (err = http_body_json(r, spec, 1)) ||
        (err = tel_call_control((uint64_t)id, r->actor.user_id, staff_over(r), action, &applied)))
        return err;
    return http_reply_json(r, applied ? 200 : 202,
                           json_pack("{s:I, s:s, s:b}", "call", (json_int_t)id, "action", action, "applied", applied));
}
