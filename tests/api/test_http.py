"""The HTTP layer: routing, bad input, limits, headers, health and metrics."""
import socket
import time

from harness import raw_http

SETTINGS = {"http.timeout": "2s", "log.level": "debug"}


def test_health(t):
    r = t.client().get("/healthz")
    t.eq(r.status, 200, "healthz")
    t.eq(r.json["status"], "ok", "status")
    t.eq(r.json["store"], t.srv.backend, "store backend")


def test_unknown_route_404(t):
    r = t.client().get("/api/v1/no-such-thing")
    t.status(r, 404, "not_found", "unknown API route")
    t.true(r.json["error"]["request_id"] == r.header("X-Request-Id"), "error carries the request id")


def test_wrong_method_405_with_allow(t):
    r = t.client().request("PUT", "/api/v1/users")
    t.status(r, 405, "request.method_not_allowed", "PUT on a GET/POST route")
    allow = r.header("Allow") or ""
    t.true("GET" in allow and "POST" in allow and "HEAD" in allow, f"Allow lists the methods: {allow!r}")
    r = t.client().request("DELETE", "/healthz")
    t.status(r, 405, what="DELETE /healthz")
    t.eq(r.header("Allow"), "GET, HEAD", "Allow of /healthz")


def test_head_is_get_without_body(t):
    r = t.client().request("HEAD", "/healthz")
    t.eq(r.status, 200, "HEAD /healthz")
    t.eq(r.body, "", "no body for HEAD")


def test_oversized_body_413(t):
    c = t.client()
    big = {"login": "x" * 10000, "password": "y"}
    r = c.post("/api/v1/session", big)
    t.status(r, 413, "request.too_large", "login body over 4 KiB")
    # A body on a route that takes none is refused the same way.
    r = c.request("GET", "/healthz", raw=b"{}")
    t.status(r, 413, "request.too_large", "body on a bodiless route")


def test_oversized_chunked_body_413(t):
    # No Content-Length: the cap applies while reading.
    body = b"{\"login\":\"" + b"a" * 6000 + b"\"}"
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    req = (b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunked)
    out = raw_http(t.srv.port, req)
    t.true(out.startswith(b"HTTP/1.1 413"), f"chunked oversized body: {out[:80]!r}")


def test_malformed_json_400(t):
    c = t.client()
    for raw, code in [(b"{", "request.malformed_json"), (b"[1,2]", "request.malformed_json"),
                      (b"{\"login\": \"a\", \"login\": \"b\", \"password\": \"x\"}", "request.malformed_json"),
                      (b"\xff\xfe{}", "request.invalid_utf8"), (b"{\"login\": \"\xc3\x28\", \"password\": \"x\"}",
                                                                 "request.invalid_utf8"),
                      (b"{\"login\": \"a\\u0000b\", \"password\": \"x\"}", "request.malformed_json"),
                      (b"{\"login\": 5, \"password\": \"x\"}", "request.invalid_field"),
                      (b"{\"password\": \"x\"}", "request.missing_field"),
                      (b"{\"login\": \"a\", \"password\": \"x\", \"extra\": 1}", "request.unknown_field")]:
        r = c.request("POST", "/api/v1/session", raw=raw)
        t.status(r, 400, code, f"body {raw!r}")
    r = c.request("POST", "/api/v1/session", raw=b"{\"password\": \"x\"}")
    t.eq(r.json["error"].get("field"), "login", "the missing field is named")


def test_wrong_content_type_415(t):
    r = t.client().request("POST", "/api/v1/session", raw=b"login=admin", headers={"Content-Type": "text/plain"})
    t.status(r, 415, "request.unsupported_media_type", "form body")


def test_security_headers(t):
    for path in ("/healthz", "/", "/api/v1/nothing"):
        r = t.client().get(path)
        csp = r.header("Content-Security-Policy") or ""
        t.true("frame-ancestors 'none'" in csp and "default-src 'self'" in csp, f"CSP on {path}: {csp}")
        t.eq(r.header("X-Content-Type-Options"), "nosniff", f"nosniff on {path}")
        t.eq(r.header("Referrer-Policy"), "no-referrer", f"referrer policy on {path}")
        t.true(len(r.header("X-Request-Id") or "") >= 8, f"request id on {path}")


def test_request_id_is_kept_or_made(t):
    r = t.client().get("/healthz", headers={"X-Request-Id": "abc-123-def"})
    t.eq(r.header("X-Request-Id"), "abc-123-def", "a plain caller id is kept")
    r = t.client().get("/healthz", headers={"X-Request-Id": "bad id\"<x>"})
    t.true(r.header("X-Request-Id") != "bad id\"<x>", "an unsafe caller id is replaced")


def test_request_id_in_log_lines(t):
    c = t.client()
    c.login("admin")
    r = c.get("/api/v1/users", headers={"X-Request-Id": "trace-me-0001"})
    t.eq(r.status, 200, "admin lists users")
    deadline = time.time() + 10  # the log line is written after the reply
    while True:
        lines = [line for line in t.srv.log().splitlines() if "trace-me-0001" in line]
        if lines or time.time() > deadline:
            break
        time.sleep(0.05)
    t.true(lines, "the request is logged (log.level=debug)")
    t.true(all("[trace-me-0001]" in line for line in lines), f"every line names the request: {lines}")


def test_static_files_with_etag(t):
    c = t.client()
    r = c.get("/")
    t.eq(r.status, 200, "index")
    t.true("text/html" in (r.header("Content-Type") or ""), "html content type")
    etag = r.header("ETag")
    t.true(etag and etag.startswith('"'), f"ETag: {etag}")
    r = c.get("/", headers={"If-None-Match": etag})
    t.eq(r.status, 304, "revalidation")
    for bad in ("/../Makefile", "/%2e%2e/Makefile", "/.git/config", "/nothing-here.js", "/a\\b"):
        r = c.get(bad)
        t.eq(r.status, 404, f"static {bad}")
    r = c.post("/index.html", {})
    t.eq(r.status, 405, "POST to a static file")


def test_metrics_local_only(t):
    c = t.client()
    c.get("/healthz")
    r = c.get("/metrics")
    t.eq(r.status, 200, "metrics from loopback")
    t.true('wasl_http_requests_total{route="GET /healthz",status="200"}' in r.body, "counter by route and status")
    t.true('wasl_http_request_duration_seconds_bucket{route="GET /healthz",le="+Inf"}' in r.body, "histogram")
    r = c.get("/metrics", headers={"X-Forwarded-For": "8.8.8.8"})
    t.eq(r.status, 200, "X-Forwarded-For is not believed without a trusted proxy")


def test_slow_client_cut_off(t):
    s = socket.create_connection(("127.0.0.1", t.srv.port))
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never finishes the headers
    s.settimeout(10)
    t0 = time.time()
    data = b""
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        pass
    s.close()
    took = time.time() - t0
    t.true(took < 6, f"the server closed the idle connection after {took:.1f}s (time-out 2s)")
    # And the server still answers others.
    t.eq(t.client().get("/healthz").status, 200, "still serving")


def test_garbage_request_line(t):
    for junk in (b"\x00\x01\x02\r\n\r\n", b"GET\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n",
                 b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"):
        out = raw_http(t.srv.port, junk, read_timeout=3)
        t.true(out == b"" or out.startswith(b"HTTP/1."), f"answer to junk {junk[:20]!r}: {out[:60]!r}")
    t.eq(t.client().get("/healthz").status, 200, "still serving after junk")
