/*
 * Replies: JSON bodies, errors in the one shape every client can rely on
 * ({"error": {"code", "message", "field"}}) with the status from the error
 * table in core, plain text, and extra headers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_int.h"

int http_add_header(struct http_req *r, const char *name, const char *value)
{
    struct req_priv *p = r->priv;
    struct hdr *h = arena_zalloc(r->arena, sizeof(*h));
    if (!h || !(h->name = arena_strdup(r->arena, name)) || !(h->value = arena_strdup(r->arena, value)))
        return WASL_ENOMEM;
    h->next = p->headers;
    p->headers = h;
    return 0;
}

int http_reply_text(struct http_req *r, int status, const char *content_type, char *body, size_t len)
{
    struct req_priv *p = r->priv;
    free(p->resp);
    p->resp = body;
    p->resp_len = len;
    p->status = status;
    p->ctype = content_type;
    p->replied = true;
    return 0;
}

int http_reply_json(struct http_req *r, int status, json_t *j)
{
    char *s;

    if (!j)
        return WASL_ENOMEM;
    s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!s)
        return WASL_ENOMEM;
    http_add_header(r, "Cache-Control", "no-store");
    return http_reply_text(r, status, "application/json; charset=utf-8", s, strlen(s));
}

int http_reply_empty(struct http_req *r, int status)
{
    http_add_header(r, "Cache-Control", "no-store");
    return http_reply_text(r, status, NULL, NULL, 0);
}

static void error_body(struct http_req *r, int status, const char *code, const char *message, const char *field)
{
    json_t *e = json_pack("{s:s, s:s}", "code", code, "message", message);
    if (e && field && *field)
        json_object_set_new(e, "field", json_string(field));
    if (e)
        json_object_set_new(e, "request_id", json_string(r->request_id));
    http_reply_json(r, status, e ? json_pack("{s:o}", "error", e) : NULL);
    if (!((struct req_priv *)r->priv)->replied)
        http_reply_text(r, status, "application/json; charset=utf-8", strdup("{\"error\":{\"code\":\"server.out_of_memory\"}}"),
                        41);
}

void reply_error_status(struct http_req *r, int status, const char *code, const char *message)
{
    error_body(r, status, code, message, NULL);
}

/* A store or telephony outage: the store logged it once, its message is
 * written for clients, and the client may retry after a while. */
static bool is_outage(int err, const char *code)
{
    static const char *const codes[] = {
        "store.unavailable", "store.outcome_unknown", "store.full",      "store.io_error", "store.busy",
        "tel.busy",          "http.streams_full",     "cluster.standby", "tel.starting"};
    if (err != WASL_EDB && err != WASL_EBUSY)
        return false;
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (!strcmp(code, codes[i]))
            return true;
    return false;
}

int http_reply_error(struct http_req *r, int err)
{
    int status = err_http_status(err);
    const char *code = err_code()[0] && err_last() == err ? err_code() : err_default_code(err);
    const char *msg = err_message()[0] && err_last() == err ? err_message() : err_default_message(err);

    /* Internal details of a server-side failure (a database's own words
     * among them) stay in the log; the client gets the stable code and the
     * table's message. An unavailable store is logged once by the store. */
    bool outage = is_outage(err, code);
    if (status >= 500) {
        if (!outage)
            log_error("%s %s failed: %s (%s)", r->method, r->path, err_message(), err_name(err));
        if (!outage || err_last() != err || !err_message()[0])
            msg = err_default_message(err);
    }
    int64_t retry = err_last() == err ? err_retry_after() : 0;
    if (!retry && outage)
        retry = err == WASL_EDB ? 5 : 1; /* seconds: a store outage, a moment of contention */
    if ((err == WASL_ELIMIT || outage) && retry > 0) {
        char v[24];
        snprintf(v, sizeof(v), "%lld", (long long)retry);
        http_add_header(r, "Retry-After", v);
    }
    error_body(r, status, code, msg, err_last() == err ? err_field() : NULL);
    return 0;
}

const char *reply_status_text(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 304:
        return "Not Modified";
    default:
        return "";
    }
}
