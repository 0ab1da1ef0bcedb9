/*
 * Error hints: a per-thread record of the last error's stable API code,
 * message and field, and the one table that maps error numbers to HTTP
 * statuses and default codes.
 */
#include <stdio.h>
#include <string.h>

#include "core.h"

static _Thread_local struct {
    int err;
    const char *code;
    char msg[512];
    char field[64];
    int64_t retry_after;
} last;

/* clang-format off */
static const struct {
    const char *name;
    const char *code;
    int status;
    const char *message;
} table[WASL_ERR_COUNT] = {
    [WASL_OK]        = {"OK",        "ok",                  200, "ok"},
    [WASL_EINVAL]    = {"EINVAL",    "request.invalid",     400, "the request is not valid"},
    [WASL_ENOENT]    = {"ENOENT",    "not_found",           404, "not found"},
    [WASL_ENOMEM]    = {"ENOMEM",    "server.out_of_memory",500, "the server ran out of memory"},
    [WASL_ECONFLICT] = {"ECONFLICT", "conflict",            409, "the request conflicts with the current state"},
    [WASL_ELIMIT]    = {"ELIMIT",    "rate_limited",        429, "too many attempts; try again later"},
    [WASL_ETOOBIG]   = {"ETOOBIG",   "request.too_large",   413, "the request is too large"},
    [WASL_EDB]       = {"EDB",       "store.unavailable",   503, "the data store is unavailable"},
    [WASL_EAUTH]     = {"EAUTH",     "auth.required",       401, "you need to log in"},
    [WASL_EPERM]     = {"EPERM",     "auth.forbidden",      403, "you are not allowed to do this"},
    [WASL_EBUSY]     = {"EBUSY",     "store.busy",          503, "the data store is busy; try again"},
    [WASL_EIO]       = {"EIO",       "server.io_error",     500, "input/output error"},
    [WASL_EINTERNAL] = {"EINTERNAL", "server.internal",     500, "internal error"},
};
/* clang-format on */

static int valid(int err)
{
    return err >= 0 && err < WASL_ERR_COUNT;
}

static int set(int err, const char *code, const char *field, const char *fmt, va_list ap)
{
    /* Formatted before anything is cleared: an argument may be err_message()
     * or err_field() itself ("%s: %s", what, err_message()). */
    char msg[sizeof(last.msg)] = "", fld[sizeof(last.field)] = "";
    if (fmt)
        vsnprintf(msg, sizeof(msg), fmt, ap);
    if (field)
        snprintf(fld, sizeof(fld), "%s", field);
    last.err = err;
    last.code = code;
    last.retry_after = 0;
    memcpy(last.msg, msg, sizeof(msg));
    memcpy(last.field, fld, sizeof(fld));
    return err;
}

int err_set(int err, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set(err, code, NULL, fmt, ap);
    va_end(ap);
    return err;
}

int err_set_field(int err, const char *code, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set(err, code, field, fmt, ap);
    va_end(ap);
    return err;
}

void err_set_retry_after(int64_t seconds)
{
    last.retry_after = seconds;
}

int64_t err_retry_after(void)
{
    return last.retry_after;
}

void err_clear(void)
{
    last.retry_after = 0;
    last.err = 0;
    last.code = NULL;
    last.msg[0] = '\0';
    last.field[0] = '\0';
}

int err_last(void)
{
    return last.err;
}

const char *err_code(void)
{
    return last.code ? last.code : "";
}

const char *err_message(void)
{
    return last.msg;
}

const char *err_field(void)
{
    return last.field;
}

const char *err_name(int err)
{
    return valid(err) ? table[err].name : "EUNKNOWN";
}

const char *err_default_code(int err)
{
    return valid(err) ? table[err].code : "server.internal";
}

int err_http_status(int err)
{
    return valid(err) ? table[err].status : 500;
}

const char *err_default_message(int err)
{
    return valid(err) ? table[err].message : "internal error";
}
