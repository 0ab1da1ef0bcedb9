/*
 * http: the web server. libmicrohttpd's thread pool, a route table given as
 * data, and everything every route needs done the same way: request ids,
 * body limits, 404/405/413/415, sessions, roles and CSRF, JSON replies and
 * errors, security headers, static files with ETags, and /metrics counters.
 * Handlers live in src/api/; they parse, make one domain call and render.
 */
#ifndef WASL_HTTP_H
#define WASL_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "auth/auth.h"

struct http_req;
struct json_t;

typedef int (*http_handler_h)(struct http_req *r);

enum route_flags {
    ROUTE_PUBLIC_POST = 1 << 0, /* state-changing without a session (login): Origin is checked instead of CSRF */
    ROUTE_PW_CHANGE = 1 << 1,   /* allowed while the user must still change their password */
    ROUTE_LOCAL_ONLY = 1 << 2,  /* only from addresses in http.metrics_from */
    ROUTE_FORM = 1 << 3,        /* the body is application/x-www-form-urlencoded, not JSON */
};

struct route {
    const char *method;  /* "GET", "POST", "PUT", "PATCH", "DELETE" */
    const char *pattern; /* "/api/v1/users/{id}" */
    http_handler_h handler;
    int roles;           /* ROLE_* mask; ROLE_NONE: no session needed */
    size_t body_max;     /* bytes; 0: no body accepted */
    const char *summary; /* one line, also in docs/api/openapi.json */
    unsigned flags;
};

struct http_req {
    /* request */
    const char *method;
    const char *path;
    const char *body; /* NUL-terminated; NULL when empty */
    size_t body_len;
    const struct route *route;
    char request_id[24];
    char ip[64];
    struct arena *arena; /* freed after the reply */
    void *app;           /* the application context given to http_start() */
    /* set by the router for routes with a role */
    struct session session;
    struct actor actor;
    bool has_session;
    /* private to http/ */
    void *priv;
};

struct http_config {
    const struct route *routes;
    size_t nroutes;
    struct db *db; /* sessions */
    void *app;
};

extern const struct conf_def http_conf[];
extern const size_t http_conf_count;

/* Starts listening on the configured address and port. */
int http_start(const struct http_config *cfg);
/* The port actually bound (useful with http.port = 0). */
int http_port(void);
void http_stop(void);
/* "https" when wasl serves TLS itself (http.tls_cert set), else "http". */
const char *http_scheme(void);
/* Reads http.tls_cert and http.tls_key again (SIGHUP); the pair in use stays
 * when the new one is bad. 0 without TLS. */
int http_tls_reload(void);

/* Path parameter {name} of the matched route, or NULL. */
const char *http_param(struct http_req *r, const char *name);
/* Query-string argument, or NULL. */
const char *http_query(struct http_req *r, const char *name);
/* Request header, or NULL. */
const char *http_header(struct http_req *r, const char *name);
/* Parses the body as a JSON object against spec (see core.h). The root is
 * released with the request. */
int http_body_json(struct http_req *r, const struct json_spec *spec, size_t nspec);
struct json_t *http_body_root(struct http_req *r);
/* Parses the body as a JSON object without a spec (for handlers that read
 * nested objects themselves); the root is then http_body_root(). */
int http_body_load(struct http_req *r);

/* Replies; each takes ownership of what it is given. */
int http_reply_json(struct http_req *r, int status, struct json_t *j);
int http_reply_text(struct http_req *r, int status, const char *content_type, char *body, size_t len);
int http_reply_error(struct http_req *r, int err);
int http_reply_empty(struct http_req *r, int status);
/* Adds a response header (copied). */
int http_add_header(struct http_req *r, const char *name, const char *value);
/* Session cookie for a new login, and its removal on logout. */
int http_set_session_cookie(struct http_req *r, const char *token);
int http_clear_session_cookie(struct http_req *r);

/* ---- server-sent events (sse.c) ----
 * Streams subscribe to topics ("status", "agent:42"); events published to
 * a topic reach every stream of it, each with an id that a reconnecting
 * client sends back (Last-Event-ID) to get what it missed. */
#define HTTP_STREAM_TOPICS_MAX 4
#define HTTP_TOPIC_MAX 48
struct http_stream_topic {
    const char *topic;
    const char *event;         /* the name of its first event */
    char *(*first)(void *arg); /* the current state, one line of JSON (malloc'd; NULL: none) */
    void *arg;
};
/* Replies with an event stream of these topics: the events after
 * Last-Event-ID when the ring still holds them all, else each topic's
 * current state first. 503 "http.streams_full" at http.stream_max. */
int http_reply_stream(struct http_req *r, const struct http_stream_topic *t, int n);
/* Publishes an event (data: one line, JSON) to the streams of topic; any
 * thread. Never waits for a client: a stream whose buffer is full is
 * dropped (logged and counted). WASL_ETOOBIG when larger than a buffer. */
int http_sse_publish(const char *topic, const char *event, const char *data);
/* Whether events of topic are wanted: a stream listens to it now, or one
 * did within the last minute (its client may come back with Last-Event-ID
 * and must find what it missed in the ring). */
bool http_sse_wanted(const char *topic);

/* The Prometheus text of /metrics (caller frees). */
char *http_metrics_text(void);

#endif
