"""Test harness for the HTTP API: a real wasl process on a fresh database
(SQLite file or PostgreSQL database), an HTTP client with a cookie jar and the
CSRF header, and a tiny TAP test registry.

A test is a function `def test_x(t):` in tests/api/test_*.py; `t` gives the
server (`t.srv`), logged-in clients (`t.login("admin")`) and assertions
(`t.eq`, `t.true`). Each file gets its own server and database.
"""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import traceback

DEMO = {
    "admin": "admin-demo-2026",
    "supervisor": "supervisor-demo-2026",
    "agent": "agent-demo-2026",
    "editor": "editor-demo-2026",
    "backoffice": "backoffice-demo-2026",
}


def wait_until(fn, timeout=20.0, step=0.2):
    """fn() until it gives something true, at most timeout seconds; returns its last value."""
    end = time.time() + timeout
    while True:
        v = fn()
        if v or time.time() > end:
            return v
        time.sleep(step)


def seconds_until(cond, timeout, step=0.05):
    """How many seconds cond() took to give something true, polled as
    wait_until polls; None if it did not within timeout seconds (for the
    tests that measure a delay)."""
    t0 = time.time()
    return time.time() - t0 if wait_until(cond, timeout, step) else None


def free_port(udp=True, tcp=True):
    """A loopback port free for UDP and/or TCP now (SIP listens on both)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM if udp else socket.SOCK_STREAM) as a:
            a.bind(("127.0.0.1", 0))
            port = a.getsockname()[1]
            if not (udp and tcp):
                return port
            with socket.socket() as b:
                try:
                    b.bind(("127.0.0.1", port))
                    return port
                except OSError:
                    continue


def telephony_settings(rtp, span=199):
    """Settings that run a server's telephony (the distributor, the live
    events) without calls' audio: SIP over UDP on a free port, RTP on ports
    rtp to rtp + span, an empty prompts folder, no real-time priority."""
    return {"sip.enabled": "true", "sip.tcp": "false", "sip.port": str(free_port(tcp=False)),
            "sip.rtp_min": str(rtp), "sip.rtp_max": str(rtp + span),
            "sip.prompts_dir": tempfile.mkdtemp(prefix="wasl-no-prompts-"), "sip.realtime_priority": "0"}


def wait_listening(proc, port, what, timeout=10.0):
    """Until the child proc (its stderr a pipe) accepts TCP connections on
    the loopback port; AssertionError, naming what, if it exits first (with
    its stderr) or does not listen within timeout seconds."""
    def up():
        if proc.poll() is not None:
            raise AssertionError(f"{what} exited: {proc.stderr.read()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False
    if not wait_until(up, timeout, 0.05):
        raise AssertionError(f"{what} did not start listening")


class Server:
    """One wasl process. settings: extra `--set name=value` pairs."""

    def __init__(self, binary, backend="sqlite", db_url=None, settings=None, init=True):
        self.binary = os.path.abspath(binary)
        self.backend = backend
        self.dir = tempfile.mkdtemp(prefix="wasl-api-")
        self.db = db_url or os.path.join(self.dir, "wasl.db")
        self.settings = dict(settings or {})
        self.init = init
        self.proc = None
        self.port = None
        self.log_path = os.path.join(self.dir, "serve.log")

    def args(self, *more):
        a = [self.binary, "--db", self.db]
        for k, v in self.settings.items():
            a += ["--set", f"{k}={v}"]
        return a + list(more)

    def share_keys(self, other):
        """Another node of the same store: every node holds the same key files
        (the personal-data key, the audit trail's key; docs/operations.md)."""
        for name in ("wasl.key", "wasl-audit.key"):
            src = os.path.join(other.dir, name)
            if os.path.exists(src):
                shutil.copy(src, os.path.join(self.dir, name))

    def cli(self, *args, input=None, check=False):
        return subprocess.run(self.args(*args), cwd=self.dir, input=input, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, check=check, timeout=120)

    def start(self):
        if self.init:
            r = self.cli("init", "--demo")
            if r.returncode != 0:
                raise RuntimeError("wasl init --demo failed: " + r.stderr)
        self.settings.setdefault("http.port", "0")
        # The SIP listener has its own suite (tests/sip); here it would only
        # fight over port 5060 between servers running side by side.
        self.settings.setdefault("sip.enabled", "false")
        self.settings.setdefault("log.level", "info")
        self.logf = open(self.log_path, "w")
        self.proc = subprocess.Popen(self.args("serve"), cwd=self.dir, stdout=subprocess.PIPE, stderr=self.logf,
                                     text=True)
        deadline = time.time() + 30
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            m = re.search(r"(https?)://[^:]+:(\d+)/", line)
            if m:
                self.scheme, self.port = m.group(1), int(m.group(2))
                break
        if not self.port:
            self.stop()
            raise RuntimeError("wasl serve did not start: " + open(self.log_path).read()[-2000:])
        self.url = f"{self.scheme}://127.0.0.1:{self.port}"
        return self

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    @property
    def code(self):
        return (self.json or {}).get("error", {}).get("code")

    def __repr__(self):
        return f"<{self.status} {self.body[:300]!r}>"


class Client:
    """source: the loopback address to send from ("127.0.0.2"), so that a
    test can be an attacker and a user at two addresses; None: 127.0.0.1."""

    def __init__(self, srv, source=None):
        self.srv = srv
        self.source = source
        self.cookie = None
        self.csrf = None
        self.user = None

    def request(self, method, path, body=None, headers=None, raw=None, csrf=True):
        h = {"Host": f"127.0.0.1:{self.srv.port}"}
        if body is not None:
            raw = json.dumps(body).encode()
        if raw is not None:
            h["Content-Type"] = "application/json"
        if self.cookie:
            h["Cookie"] = self.cookie
        if csrf and self.csrf and method not in ("GET", "HEAD"):
            h["X-CSRF-Token"] = self.csrf
        h.update(headers or {})
        c = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=30,
                                       source_address=(self.source, 0) if self.source else None)
        try:
            c.request(method, path, body=raw, headers=h)
            r = c.getresponse()
            raw = r.read()
            resp = Response(r.status, r.getheaders(), raw.decode("utf-8", errors="replace"))
            resp.raw = raw  # the bytes, for a download that is not text
        finally:
            c.close()
        sc = resp.header("Set-Cookie")
        if sc and sc.startswith("wasl_session="):
            v = sc.split(";", 1)[0]
            self.cookie = None if v == "wasl_session=" else v
        return resp

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body=body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, body=body, **kw)

    def login(self, login, password=None):
        r = self.post("/api/v1/session", {"login": login, "password": password or DEMO[login]})
        if r.status == 201:
            self.csrf = r.json["csrf_token"]
            self.user = r.json["user"]
        return r


class Failure(Exception):
    pass


class Skip(Exception):
    """Raised by a test that cannot run here (another backend, a missing
    tool): reported as "ok N - name # SKIP why" and counted as skipped."""


class T:
    """What a test gets: the server, clients, assertions."""

    def __init__(self, srv):
        self.srv = srv

    def client(self, source=None):
        return Client(self.srv, source)

    def login(self, who, password=None, source=None):
        c = Client(self.srv, source)
        r = c.login(who, password)
        self.eq(r.status, 201, f"login as {who}: {r}")
        return c

    def eq(self, got, want, what=""):
        if got != want:
            raise Failure(f"{what}: expected {want!r}, got {got!r}")

    def true(self, cond, what=""):
        if not cond:
            raise Failure(what or "condition is false")

    def status(self, resp, want, code=None, what=""):
        if resp.status != want:
            raise Failure(f"{what}: expected HTTP {want}, got {resp}")
        if code is not None and resp.code != code:
            raise Failure(f"{what}: expected error code {code}, got {resp}")
        if want >= 400:
            e = (resp.json or {}).get("error")
            if not e or not e.get("code") or not e.get("message"):
                raise Failure(f"{what}: error without the {{error:{{code,message}}}} shape: {resp}")


def raw_http(port, data, read_timeout=5.0):
    """Sends raw bytes and returns what comes back (for malformed requests)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=read_timeout)
    try:
        s.sendall(data)
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            out += chunk
    finally:
        s.close()
    return out


class Registry:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def run(self, name, fn, t):
        self.n += 1
        t0 = time.time()
        try:
            fn(t)
            print(f"ok {self.n} - {name} ({(time.time() - t0) * 1000:.0f} ms)", flush=True)
        except Skip as e:
            print(f"ok {self.n} - {name} # SKIP {e}", flush=True)
        except Exception as e:  # noqa: BLE001 - every failure is reported
            self.failed += 1
            print(f"not ok {self.n} - {name}", flush=True)
            for line in (str(e) if isinstance(e, Failure) else traceback.format_exc()).splitlines():
                print("# " + line)
