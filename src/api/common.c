/*
 * Helpers shared by the handlers: times, user objects, id parameters.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

json_t *api_time(wtime_t t)
{
    return json_utc_time(t);
}

json_t *api_user_json(const struct user *u)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:s?, s:s, s:b, s:b, s:b, s:o, s:o}", "id", (json_int_t)u->id, "login", u->login,
                     "display_name", u->display_name, "role", role_name(u->role), "consulate",
                     u->consulate[0] ? u->consulate : NULL, "language", u->language, "disabled", u->disabled,
                     "must_change_password", u->must_change_password, "locked", u->locked, "created_at", api_time(u->created_at),
                     "last_login_at", api_time(u->last_login_at));
}

int api_param_id(struct http_req *r, const char *name, int64_t *out)
{
    const char *v = http_param(r, name);
    char *end;
    long long n;

    if (!v || !*v)
        return err_set_field(WASL_EINVAL, "request.invalid_parameter", name, "missing '%s'", name);
    n = strtoll(v, &end, 10);
    if (*end || n <= 0)
        return err_set_field(WASL_ENOENT, "not_found", name, "'%s' must be a positive number", name);
    *out = n;
    return 0;
}

int api_query_time(struct http_req *r, const char *name, const char *code, wtime_t *out)
{
    const char *v = http_query(r, name);
    if (!v || !*v)
        return 0;
    if (clock_parse_utc(v, out))
        return err_set_field(WASL_EINVAL, code, name, "give a UTC time such as 2026-12-06T20:00:00Z");
    return 0;
}

int api_query_int(struct http_req *r, const char *name, long long lo, long long hi, void *out)
{
    const char *v = http_query(r, name);
    char *end;
    long long n;

    if (!v)
        return 0;
    errno = 0;
    n = strtoll(v, &end, 10);
    if (!*v || *end || errno || n < lo || n > hi)
        return err_set_field(WASL_EINVAL, "request.invalid_parameter", name, "'%s' must be a number from %lld to %lld", name, lo,
                             hi);
    /* Callers pass long long or int64_t, both 64-bit here. */
    _Static_assert(sizeof(long long) == sizeof(int64_t), "64-bit long long");
    memcpy(out, &n, sizeof(n));
    return 0;
}

int api_rename_field(int err, const char *from, const char *to)
{
    if (err && err_last() == err && strcmp(err_field(), from) == 0) {
        char msg[512];
        snprintf(msg, sizeof(msg), "%s", err_message());
        err_set_field(err, err_code(), to, "%s", msg);
    }
    return err;
}
