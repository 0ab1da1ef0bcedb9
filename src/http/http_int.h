/*
 * http internals shared by the server, router, replies, static files and
 * metrics. Not for use outside src/http/.
 */
#ifndef WASL_HTTP_INT_H
#define WASL_HTTP_INT_H

#include <microhttpd.h>
#include <jansson.h>

#include "http.h"

#define HTTP_MAX_PARAMS 8

struct hdr {
    const char *name, *value;
    struct hdr *next;
};

struct req_priv {
    struct MHD_Connection *conn;
    struct sbuf body;
    bool too_big;
    int64_t t0;
    const char *pnames[HTTP_MAX_PARAMS], *pvalues[HTTP_MAX_PARAMS];
    int nparams;
    json_t *root;
    /* reply */
    bool replied;
    int status;
    char *resp; /* malloc'd */
    size_t resp_len;
    const char *ctype;
    int fd; /* static file, -1 if none */
    uint64_t fd_size;
    struct hdr *headers;
    struct sse_sub *stream; /* an event stream's reply (sse.c), until libmicrohttpd has it */
    /* metrics */
    int metric; /* route index, or one of the METRIC_* slots */
};

/* router.c: the route for method and path, or NULL. When the path exists
 * under other methods, allow gets them ("GET, HEAD") and *path_found is set. */
const struct route *router_match(const struct route *routes, size_t n, const char *method, const char *path, char *allow,
                                 size_t allow_n, bool *path_found);
/* Fills p's path parameters from path for the matched route. */
int router_capture(const struct route *rt, const char *path, struct req_priv *p, struct arena *a);

/* static.c */
int static_serve(struct http_req *r, const char *web_dir);

/* metrics.c: one slot per route, then these. */
enum { METRIC_STATIC = 0, METRIC_UNMATCHED = 1, METRIC_EXTRA = 2 };
int metrics_init(const struct route *routes, size_t n);
void metrics_record(int slot, int status, int64_t us);
void metrics_free(void);

/* sse.c */
struct sse_sub;
int sse_start(void);
void sse_stop(void);
/* The response of a stream (it then belongs to libmicrohttpd), NULL when
 * it cannot be made (the stream is gone then). */
struct MHD_Response *sse_response(struct sse_sub *s);
/* A stream whose response was never made. */
void sse_abandon(struct sse_sub *s);
void sse_metrics(struct sbuf *b);

/* guard.c: deadlines and shedding against slow clients (see there). */
int guard_start(unsigned max_connections, int reserve_pct, int64_t head_us, int64_t idle_us);
void guard_stop(void);
void guard_notify(void *cls, struct MHD_Connection *conn, void **ctx, enum MHD_ConnectionNotificationCode code);
/* The connection's request head is complete / its body too / its reply is sent. */
void guard_request_begins(struct MHD_Connection *conn);
void guard_body_done(struct MHD_Connection *conn);
void guard_request_ends(struct MHD_Connection *conn);
void guard_metrics(struct sbuf *b);

/* tls.c: reads the pair (refusing a bad one) and gives libmicrohttpd's
 * certificate callback (a gnutls_certificate_retrieve_function2). */
int tls_start(const char *cert_path, const char *key_path, void **callback);
void tls_stop(void);

/* reply.c */
void reply_error_status(struct http_req *r, int status, const char *code, const char *message);
const char *reply_status_text(int status);

#endif
