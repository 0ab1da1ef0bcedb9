/*
 * The HTTP server: libmicrohttpd in thread-pool mode. For each request it
 * gives a request id, matches the route, enforces the body limit, reads the
 * body, checks the session, role and CSRF token, calls the handler and sends
 * the reply with the security headers; then it logs and counts the request.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <limits.h>
#include <unistd.h>

#include "http_int.h"

/* clang-format off */
const struct conf_def http_conf[] = {
    {"http.listen", CONF_STR, "127.0.0.1", 0, 0, "address the web server listens on (0.0.0.0 or :: for every interface)"},
    {"http.port", CONF_INT, "8080", 0, 65535, "TCP port of the web UI and API (0: any free port)"},
    {"http.threads", CONF_INT, "4", 1, 256, "worker threads answering requests"},
    {"http.timeout", CONF_DURATION, "30s", 1, 3600,
     "a connection idle this long is closed; a request's body must arrive within it of the head, and a kept-alive "
     "connection's next request head within it of the last reply"},
    {"http.head_timeout", CONF_DURATION, "10s", 1, 3600,
     "a new connection must send its whole request head within this, however many bytes it sends (cuts off slowloris)"},
    {"http.reserve", CONF_INT, "25", 0, 90,
     "percent of http.max_connections kept for clients that complete requests: beyond the rest, the oldest connections "
     "still sending a request head or body are cut off"},
    {"http.max_connections", CONF_INT, "1024", 1, 100000, "most connections open at once"},
    {"http.max_per_address", CONF_INT, "256", 0, 100000, "most connections from one address (0: no limit)"},
    {"http.web_root", CONF_PATH, "", 0, 0, "folder of the web UI (empty: web/ next to the program, else ./web)"},
    {"http.secure_cookies", CONF_BOOL, "false", 0, 0,
     "mark the session cookie Secure (set it behind an HTTPS reverse proxy; always on with http.tls_cert)"},
    {"http.tls_cert", CONF_PATH, "", 0, 0,
     "certificate chain (PEM, the server's own first) for HTTPS served by wasl; empty: plain HTTP. Read again on SIGHUP "
     "and when the file changes"},
    {"http.tls_key", CONF_PATH, "", 0, 0, "private key (PEM, unencrypted) of http.tls_cert"},
    {"http.allow_plain", CONF_BOOL, "false", 0, 0,
     "serve plain HTTP on an address other than loopback (only behind a TLS-terminating proxy on a trusted network)"},
    {"http.metrics_from", CONF_STR, "127.0.0.1 ::1", 0, 0, "addresses allowed to read /metrics, space-separated"},
    {"http.trusted_proxy", CONF_STR, "", 0, 0, "address of a reverse proxy whose X-Forwarded-For is believed"},
    {"http.stream_max", CONF_INT, "200", 1, 100000, "event streams (live pages) open at once; more get 503 http.streams_full"},
    {"http.stream_buffer", CONF_INT, "1048576", 4096, 67108864,
     "bytes of events waiting for one stream's client; a client that falls further behind is dropped"},
    {"http.stream_heartbeat", CONF_DURATION, "15s", 1, 3600, "a quiet event stream gets a comment line this often"},
};
/* clang-format on */
const size_t http_conf_count = sizeof(http_conf) / sizeof(http_conf[0]);

static struct {
    struct MHD_Daemon *d;
    struct http_config cfg;
    char web_dir[PATH_MAX];
    int port;
    bool secure_cookies, tls;
    char trusted_proxy[64];
    char metrics_from[256];
} srv;

static const char *security_headers[][2] = {
    {"Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                "connect-src 'self'; media-src 'self' blob:; object-src 'none'; base-uri 'none'; "
                                "form-action 'self'; frame-ancestors 'none'"},
    {"X-Content-Type-Options", "nosniff"},
    {"X-Frame-Options", "DENY"},
    {"Referrer-Policy", "no-referrer"},
    {"Cross-Origin-Opener-Policy", "same-origin"},
    {"Permissions-Policy", "camera=(), geolocation=(), payment=()"},
};

static bool is_api(const char *path)
{
    return strncmp(path, "/api/", 5) == 0 || strcmp(path, "/api") == 0 || strncmp(path, "/open311/", 9) == 0 ||
           strcmp(path, "/healthz") == 0 || strcmp(path, "/metrics") == 0;
}

static void client_ip(struct MHD_Connection *conn, char *out, size_t n)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;

    snprintf(out, n, "unknown");
    if (!sa)
        return;
    if (sa->sa_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)n);
    } else if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a))
            inet_ntop(AF_INET, &a->s6_addr[12], out, (socklen_t)n);
        else
            inet_ntop(AF_INET6, a, out, (socklen_t)n);
    }
    /* Behind the configured reverse proxy the client is the last address it added. */
    if (srv.trusted_proxy[0] && strcmp(out, srv.trusted_proxy) == 0) {
        const char *xff = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Forwarded-For");
        if (xff) {
            const char *last = strrchr(xff, ',');
            last = last ? last + 1 : xff;
            while (*last == ' ')
                last++;
            if (strlen(last) < n && strlen(last) > 0)
                snprintf(out, n, "%s", last);
        }
    }
}

static bool address_listed(const char *ip, const char *list)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", list);
    for (char *save = NULL, *t = strtok_r(buf, " ,", &save); t; t = strtok_r(NULL, " ,", &save))
        if (strcmp(t, ip) == 0)
            return true;
    return false;
}

static struct http_req *req_new(struct MHD_Connection *conn, const char *url, const char *method)
{
    struct http_req *r = calloc(1, sizeof(*r));
    struct req_priv *p = calloc(1, sizeof(*p));
    const char *rid;

    if (!r || !p || arena_alloc(&r->arena)) {
        free(r);
        free(p);
        return NULL;
    }
    r->priv = p;
    p->conn = conn;
    p->fd = -1;
    p->t0 = clock_mono_us();
    p->metric = -1;
    sbuf_init(&p->body, 0);
    r->method = arena_strdup(r->arena, method);
    r->path = arena_strdup(r->arena, url);
    r->app = srv.cfg.app;
    client_ip(conn, r->ip, sizeof(r->ip));
    /* Keep a caller's request id when it is short and plain, so one id can
     * follow a request through a proxy; otherwise make one. */
    rid = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
    bool ok = rid && strlen(rid) >= 8 && strlen(rid) < sizeof(r->request_id);
    for (const char *c = rid; ok && *c; c++)
        ok = (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || *c == '-';
    if (ok)
        snprintf(r->request_id, sizeof(r->request_id), "%s", rid);
    else
        rand_hex(r->request_id, 8);
    r->actor.request_id = r->request_id;
    r->actor.ip = r->ip;
    r->actor.login = "anonymous";
    return r;
}

static void req_free(struct http_req *r)
{
    struct req_priv *p;
    if (!r)
        return;
    p = r->priv;
    sbuf_release(&p->body);
    json_decref(p->root);
    free(p->resp);
    if (p->fd >= 0)
        close(p->fd);
    sse_abandon(p->stream);
    free(p);
    arena_free(r->arena);
    free(r);
}

/* The session, role and CSRF checks shared by every route with a role. */
static int authorize(struct http_req *r)
{
    const struct route *rt = r->route;
    bool unsafe = strcmp(r->method, "GET") && strcmp(r->method, "HEAD");
    const char *token = MHD_lookup_connection_value(((struct req_priv *)r->priv)->conn, MHD_COOKIE_KIND, "wasl_session");
    int err;

    if (rt->roles == ROLE_NONE) {
        /* Public routes that change state (login, the portal's filings) must
         * come from our own pages: a browser always sends Origin on a
         * cross-site POST, and "null" from a sandboxed frame or a local file
         * is another site too; Sec-Fetch-Site says it when Origin is absent.
         * Clients that are not browsers (Open311 apps) send neither. */
        if (unsafe) {
            const char *origin = http_header(r, "Origin"), *host = http_header(r, "Host"), *site = http_header(r, "Sec-Fetch-Site");
            const char *o = origin ? strstr(origin, "://") : NULL;
            if ((origin && (!host || !o || strcmp(o + 3, host) != 0)) || (site && !strcmp(site, "cross-site")))
                return err_set(WASL_EPERM, "auth.cross_origin", "cross-site requests are refused");
        }
        if (token && auth_session(srv.cfg.db, token, &r->session) == 0)
            r->has_session = true;
        err_clear();
        goto fill;
    }
    if ((err = auth_session(srv.cfg.db, token, &r->session)))
        return err;
    r->has_session = true;
    if (!(rt->roles & r->session.user.role))
        return err_set(WASL_EPERM, "auth.forbidden", "your role (%s) may not do this", role_name(r->session.user.role));
    if (unsafe) {
        const char *csrf = http_header(r, "X-CSRF-Token");
        if (!csrf || !str_ct_equal(csrf, r->session.csrf))
            return err_set(WASL_EPERM, "auth.csrf", "missing or wrong CSRF token (send X-CSRF-Token)");
    }
    if (r->session.user.must_change_password && !(rt->flags & ROUTE_PW_CHANGE))
        return err_set(WASL_EPERM, "auth.password_change_required", "change your password first");
fill:
    if (r->has_session) {
        r->actor.user_id = r->session.user.id;
        r->actor.login = r->session.user.login;
        r->actor.role = r->session.user.role;
        r->actor.consulate = r->session.user.consulate[0] ? r->session.user.consulate : NULL;
    }
    return 0;
}

static void dispatch(struct http_req *r)
{
    struct req_priv *p = r->priv;
    int err;

    if (p->too_big) {
        reply_error_status(r, 413, "request.too_large", "the request body is too large for this route");
        return;
    }
    if (p->body.len) {
        const char *ct = http_header(r, "Content-Type");
        bool form = r->route->flags & ROUTE_FORM;
        const char *want = form ? "application/x-www-form-urlencoded" : "application/json";
        if (!ct || strncasecmp(ct, want, strlen(want)) != 0) {
            reply_error_status(r, 415, "request.unsupported_media_type",
                               form ? "send the body as application/x-www-form-urlencoded" : "send the body as application/json");
            return;
        }
        r->body = p->body.p;
        r->body_len = p->body.len;
    }
    if ((r->route->flags & ROUTE_LOCAL_ONLY) && !address_listed(r->ip, srv.metrics_from)) {
        reply_error_status(r, 403, "auth.forbidden", "not from this address");
        return;
    }
    if ((err = authorize(r)) == 0) {
        router_capture(r->route, r->path, p, r->arena);
        err_clear();
        err = r->route->handler(r);
    }
    if (err && !p->replied)
        http_reply_error(r, err);
    if (!p->replied) {
        log_error("http: handler for %s %s returned without a reply", r->method, r->route->pattern);
        reply_error_status(r, 500, "server.internal", "internal error");
    }
}

static enum MHD_Result send_reply(struct http_req *r)
{
    struct req_priv *p = r->priv;
    struct MHD_Response *resp;
    enum MHD_Result ret;

    if (p->stream) {
        resp = sse_response(p->stream);
        p->stream = NULL; /* MHD has it (or it is gone) */
    } else if (p->fd >= 0) {
        resp = MHD_create_response_from_fd64(p->fd_size, p->fd);
        p->fd = -1; /* MHD closes it */
    } else {
        resp = MHD_create_response_from_buffer(p->resp_len, p->resp ? p->resp : (void *)"",
                                               p->resp ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
        p->resp = NULL;
    }
    if (!resp)
        return MHD_NO;
    for (size_t i = 0; i < sizeof(security_headers) / sizeof(security_headers[0]); i++)
        MHD_add_response_header(resp, security_headers[i][0], security_headers[i][1]);
    if (srv.tls) /* browsers then refuse plain HTTP to this host for a year */
        MHD_add_response_header(resp, "Strict-Transport-Security", "max-age=31536000");
    MHD_add_response_header(resp, "X-Request-Id", r->request_id);
    if (p->ctype)
        MHD_add_response_header(resp, "Content-Type", p->ctype);
    for (struct hdr *h = p->headers; h; h = h->next)
        MHD_add_response_header(resp, h->name, h->value);
    ret = MHD_queue_response(p->conn, (unsigned)p->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* Decides at the headers whether the request can go on: route, method,
 * declared body size. Returns false with a reply set when it cannot. */
static bool admit(struct http_req *r)
{
    struct req_priv *p = r->priv;
    char allow[128];
    bool path_found;
    const char *cl;

    r->route = router_match(srv.cfg.routes, srv.cfg.nroutes, r->method, r->path, allow, sizeof(allow), &path_found);
    if (!r->route) {
        if (!is_api(r->path) && (!strcmp(r->method, "GET") || !strcmp(r->method, "HEAD"))) {
            p->metric = -2; /* static */
            return true;
        }
        p->metric = -1;
        if (path_found || !is_api(r->path)) {
            http_add_header(r, "Allow", path_found ? allow : "GET, HEAD");
            reply_error_status(r, 405, "request.method_not_allowed", "this method is not allowed here");
        } else {
            reply_error_status(r, 404, "not_found", "no such API route");
        }
        return false;
    }
    p->metric = (int)(r->route - srv.cfg.routes);
    p->body.max = r->route->body_max;
    cl = MHD_lookup_connection_value(p->conn, MHD_HEADER_KIND, "Content-Length");
    if (cl && strtoull(cl, NULL, 10) > r->route->body_max) {
        reply_error_status(r, 413, "request.too_large", "the request body is too large for this route");
        return false;
    }
    return true;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **con_cls)
{
    struct http_req *r = *con_cls;
    struct req_priv *p;

    (void)cls;
    (void)version;
    if (!r) {
        guard_request_begins(conn);
        if (!(r = req_new(conn, url, method)))
            return MHD_NO;
        *con_cls = r;
        log_set_request_id(r->request_id);
        if (!admit(r)) {
            enum MHD_Result ret = send_reply(r);
            log_set_request_id(NULL);
            return ret;
        }
        log_set_request_id(NULL);
        return MHD_YES;
    }
    p = r->priv;
    if (p->replied)
        return MHD_YES; /* an early reply is queued; MHD drops the rest */
    log_set_request_id(r->request_id);
    if (*upload_size) {
        if (!p->too_big && sbuf_add(&p->body, upload_data, *upload_size))
            p->too_big = true;
        *upload_size = 0;
        log_set_request_id(NULL);
        return MHD_YES;
    }
    guard_body_done(conn);
    if (p->metric == -2)
        static_serve(r, srv.web_dir);
    else
        dispatch(r);
    enum MHD_Result ret = send_reply(r);
    log_set_request_id(NULL);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    struct http_req *r = *con_cls;
    struct req_priv *p;
    int64_t us;

    (void)cls;
    guard_request_ends(conn);
    if (!r)
        return;
    p = r->priv;
    us = clock_mono_us() - p->t0;
    log_set_request_id(r->request_id);
    metrics_record(p->metric == -2 ? (int)srv.cfg.nroutes + METRIC_STATIC
                   : p->metric < 0 ? (int)srv.cfg.nroutes + METRIC_UNMATCHED
                                   : p->metric,
                   p->replied ? p->status : 0, us);
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
        log_info("%s %s from %s: connection ended before the reply (%d)", r->method, r->path, r->ip, (int)toe);
    else if (p->status >= 500)
        log_warn("%s %s %d %.1f ms %s", r->method, r->path, p->status, us / 1000.0, r->actor.login);
    else
        log_debug("%s %s %d %.1f ms %s", r->method, r->path, p->status, us / 1000.0, r->actor.login);
    log_set_request_id(NULL);
    req_free(r);
    *con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char buf[512];
    (void)cls;
    vsnprintf(buf, sizeof(buf), fmt, ap);
    buf[strcspn(buf, "\n")] = '\0';
    log_debug("http: %s", buf);
}

static void find_web_root(void)
{
    const char *set = conf_str("http.web_root");

    if (*set)
        snprintf(srv.web_dir, sizeof(srv.web_dir), "%s", set);
    else if (path_near_exe("web", srv.web_dir, sizeof(srv.web_dir)))
        snprintf(srv.web_dir, sizeof(srv.web_dir), "web");
    err_clear();
}

static bool is_loopback(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
    const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
    return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
}

/* HTTPS when a certificate is set; plain HTTP only on loopback unless the
 * operator allows it. Fills the TLS options of libmicrohttpd. */
static int tls_setup(const struct sockaddr_storage *ss, unsigned *flags, struct MHD_OptionItem *ops)
{
    const char *cert = conf_str("http.tls_cert"), *key = conf_str("http.tls_key");
    void *cb;
    int err;

    ops[0] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    srv.tls = false;
    if (!*cert && !*key) {
        if (!is_loopback(ss) && !conf_bool("http.allow_plain"))
            return err_set(WASL_EINVAL, "http.plain_refused",
                           "http.listen %s is not a loopback address: set http.tls_cert and http.tls_key for HTTPS, or "
                           "http.allow_plain = true when a TLS-terminating proxy on a trusted network is in front",
                           conf_str("http.listen"));
        return 0;
    }
    if (!*cert || !*key)
        return err_set(WASL_EINVAL, "config.invalid", "HTTPS needs both http.tls_cert and http.tls_key");
    if ((err = tls_start(cert, key, &cb)))
        return err;
    *flags |= MHD_USE_TLS;
    /* TLS 1.2 and 1.3 only, GnuTLS's default ciphers for them. */
    ops[0] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_CERT_CALLBACK, 0, cb};
    ops[1] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"};
    ops[2] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    srv.tls = true;
    return 0;
}

/* http.listen and http.port as a socket address. */
static int listen_address(struct sockaddr_storage *ss, unsigned *flags)
{
    const char *listen = conf_str("http.listen");

    memset(ss, 0, sizeof(*ss));
    if (strchr(listen, ':')) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)conf_int("http.port"));
        if (inet_pton(AF_INET6, listen, &a->sin6_addr) != 1)
            return err_set(WASL_EINVAL, "config.invalid", "http.listen: '%s' is not an IP address", listen);
        *flags |= MHD_USE_IPv6;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)conf_int("http.port"));
        if (inet_pton(AF_INET, listen, &a->sin_addr) != 1)
            return err_set(WASL_EINVAL, "config.invalid", "http.listen: '%s' is not an IP address", listen);
    }
    return 0;
}

int http_start(const struct http_config *cfg)
{
    struct sockaddr_storage ss;
    const char *listen = conf_str("http.listen");
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    struct MHD_OptionItem tls_ops[3];
    int err;

    if ((err = listen_address(&ss, &flags)) || (err = tls_setup(&ss, &flags, tls_ops)))
        return err;
    srv.cfg = *cfg;
    srv.secure_cookies = conf_bool("http.secure_cookies") || srv.tls;
    snprintf(srv.trusted_proxy, sizeof(srv.trusted_proxy), "%s", conf_str("http.trusted_proxy"));
    snprintf(srv.metrics_from, sizeof(srv.metrics_from), "%s", conf_str("http.metrics_from"));
    find_web_root();
    if ((err = metrics_init(cfg->routes, cfg->nroutes)) || (err = sse_start())) {
        metrics_free();
        tls_stop();
        return err;
    }
    if ((err = guard_start((unsigned)conf_int("http.max_connections"), (int)conf_int("http.reserve"),
                           conf_int("http.head_timeout") * 1000000, conf_int("http.timeout") * 1000000))) {
        sse_stop();
        metrics_free();
        tls_stop();
        return err;
    }
    srv.d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)conf_int("http.threads"), MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)conf_int("http.timeout"),
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)conf_int("http.max_connections"), MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)conf_int("http.max_per_address"), MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_NOTIFY_CONNECTION,
        guard_notify, NULL, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL, MHD_OPTION_ARRAY, tls_ops, MHD_OPTION_END);
    if (!srv.d) {
        guard_stop();
        sse_stop();
        metrics_free();
        tls_stop();
        return err_set(WASL_EIO, "http.listen_failed", "cannot listen on %s port %lld (in use, or not allowed)", listen,
                       conf_int("http.port"));
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv.d, MHD_DAEMON_INFO_BIND_PORT);
    srv.port = di ? di->port : (int)conf_int("http.port");
    log_info("http: listening on %s port %d (%s), web UI from %s", listen, srv.port, srv.tls ? "HTTPS" : "plain HTTP", srv.web_dir);
    return 0;
}

const char *http_scheme(void)
{
    return srv.tls ? "https" : "http";
}

int http_port(void)
{
    return srv.port;
}

void http_stop(void)
{
    sse_stop(); /* no connection may stay suspended */
    if (srv.d)
        MHD_stop_daemon(srv.d);
    srv.d = NULL;
    guard_stop();
    tls_stop();
    metrics_free();
}

const char *http_param(struct http_req *r, const char *name)
{
    struct req_priv *p = r->priv;
    for (int i = 0; i < p->nparams; i++)
        if (strcmp(p->pnames[i], name) == 0)
            return p->pvalues[i];
    return NULL;
}

const char *http_query(struct http_req *r, const char *name)
{
    return MHD_lookup_connection_value(((struct req_priv *)r->priv)->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_header(struct http_req *r, const char *name)
{
    return MHD_lookup_connection_value(((struct req_priv *)r->priv)->conn, MHD_HEADER_KIND, name);
}

int http_body_load(struct http_req *r)
{
    struct req_priv *p = r->priv;
    if (p->root)
        return 0;
    if (!r->body)
        return err_set(WASL_EINVAL, "request.missing_body", "this request needs a JSON body");
    return json_parse_object(r->body, r->body_len, (struct json_t **)&p->root);
}

int http_body_json(struct http_req *r, const struct json_spec *spec, size_t nspec)
{
    int err = http_body_load(r);
    return err ? err : json_spec_parse(((struct req_priv *)r->priv)->root, spec, nspec, false);
}

struct json_t *http_body_root(struct http_req *r)
{
    return ((struct req_priv *)r->priv)->root;
}

int http_set_session_cookie(struct http_req *r, const char *token)
{
    char *v =
        arena_printf(r->arena, "wasl_session=%s; Path=/; HttpOnly; SameSite=Strict%s", token, srv.secure_cookies ? "; Secure" : "");
    return v ? http_add_header(r, "Set-Cookie", v) : WASL_ENOMEM;
}

int http_clear_session_cookie(struct http_req *r)
{
    return http_add_header(r, "Set-Cookie", "wasl_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
}
