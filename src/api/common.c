/*
 * Helpers shared by the handlers: times, user objects, id parameters.
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"

json_t *api_time(wtime_t t)
{
    char buf[40];
    if (!t)
        return json_null();
    clock_format_utc(t, buf, sizeof(buf));
    return json_string(buf);
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
