"""Server-sent events (GET /api/v1/stream) with the telephony on: an agent's
own state and the supervisors' live figures arrive as events after a
change made through the API; Last-Event-ID resumes; a client that does not
read is dropped without holding up the others; the cap on streams answers
503 with a code; an idle stream costs no CPU. Every wait is bounded and
ends at the awaited event."""
import http.client
import json
import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sip"))
import sipua  # noqa: E402
from harness import telephony_settings  # noqa: E402

SQLITE_ONLY = True  # the store plays no part here


_rtp = 10000 + 200 * (os.getpid() % 100)
SETTINGS = {
    **telephony_settings(_rtp),
    "http.stream_max": "6",
    "http.stream_buffer": "4096",
    "http.stream_heartbeat": "1s",
}


class Stream:
    """One event stream read line by line, every read bounded."""

    def __init__(self, client, last_id=None, rcvbuf=None, timeout=10, path="/api/v1/stream"):
        srv = client.srv
        self.conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=timeout)
        if rcvbuf:
            self.conn.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            self.conn.sock.settimeout(timeout)
            self.conn.sock.connect(("127.0.0.1", srv.port))
        h = {"Accept": "text/event-stream"}
        if client.cookie:
            h["Cookie"] = client.cookie
        if last_id is not None:
            h["Last-Event-ID"] = str(last_id)
        self.conn.request("GET", path, headers=h)
        self.resp = self.conn.getresponse()
        self.status = self.resp.status
        self.comments = 0
        if self.status != 200:
            body = self.resp.read().decode()
            self.json = json.loads(body) if body else None

    def next(self, want=lambda e: True, timeout=5.0):
        """The next event for which want(e) holds, within timeout seconds."""
        deadline = time.time() + timeout
        ev = {}
        while time.time() < deadline:
            self.conn.sock.settimeout(max(0.05, deadline - time.time()))
            try:
                line = self.resp.readline()
            except socket.timeout:
                break
            if not line:
                raise AssertionError("the stream ended")
            line = line.decode().rstrip("\n")
            if line.startswith(":"):
                self.comments += 1
            elif line == "":
                if "event" in ev:
                    ev["json"] = json.loads(ev.get("data", "null"))
                    if want(ev):
                        return ev
                ev = {}
            else:
                k, _, v = line.partition(": ")
                ev[k] = v
        raise AssertionError(f"no such event within {timeout} s")

    def close(self):
        self.conn.close()


def seq(e):
    """The number in an event id ("<run>-<n>")."""
    run, _, n = e["id"].partition("-")
    return int(n)


def metric(t, name):
    body = t.client().get("/metrics").body
    for line in body.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def wait_metric(t, name, pred, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = metric(t, name)
        if v is not None and pred(v):
            return v
        time.sleep(0.1)
    raise AssertionError(f"{name} = {metric(t, name)} after {timeout} s")


_phone = None


def phone_registered(t, c):
    """The demo agent's phone registers (once), and the live view shows it:
    an agent goes available only with a phone calls can reach."""
    global _phone
    if _phone is None:
        _phone = sipua.UA("127.0.0.1", ("127.0.0.1", int(SETTINGS["sip.port"])), user="agent",
                          password="agent-phone-2026", name="agent-phone", mode="answer")
        codes = _phone.register(expires=3600)
        t.eq(codes[-1:], [200], f"REGISTER {codes}")
    end = time.time() + 5
    while not c.get("/api/v1/me/phone").json["registered"]:
        if time.time() > end:
            raise AssertionError("the registration does not show in 5 s")
        time.sleep(0.05)


def set_state(t, c, state, reason=None):
    if state == "available":
        phone_registered(t, c)
    body = {"state": state}
    if reason:
        body["reason"] = reason
    r = c.put("/api/v1/me/state", body)
    t.true(r.status in (200, 202), f"state {state}: {r}")
    return r


def test_available_needs_a_registered_phone(t):
    ag = t.login("agent")
    phone_registered(t, ag)
    t.eq(_phone.register(expires=0)[-1:], [200], "the phone unregisters")
    end = time.time() + 5
    while ag.get("/api/v1/me/phone").json["registered"]:
        if time.time() > end:
            raise AssertionError("the unregistration does not show in 5 s")
        time.sleep(0.05)
    t.status(ag.put("/api/v1/me/state", {"state": "available"}), 409, "tel.phone_not_registered",
             "available with no phone registered")
    t.eq(_phone.register(expires=3600)[-1:], [200], "registered again")
    set_state(t, ag, "available")
    t.eq(ag.get("/api/v1/me/phone").json["state"], "available", "available once the phone is registered")
    set_state(t, ag, "offline")


def test_stream_needs_a_session_and_a_role(t):
    r = t.client().get("/api/v1/stream")
    t.status(r, 401, None, "no session")
    t.status(t.login("editor").get("/api/v1/stream"), 403, None, "editors have no live view")


def test_agent_gets_own_state(t):
    ag = t.login("agent")
    set_state(t, ag, "offline")
    s = Stream(ag)
    try:
        t.eq(s.status, 200, "stream opened")
        t.eq(s.resp.getheader("Content-Type"), "text/event-stream; charset=utf-8", "content type")
        first = s.next(lambda e: e["event"] == "agent")
        t.eq(first["json"]["state"], "offline", "the current state comes first")
        t.eq(first["json"]["wrap_up_seconds"], None, "a wrap-up's length only during one")
        t.true(re.fullmatch(r"[0-9a-f]{8}-[0-9]+", first["id"]), f"events carry an id: {first}")
        t.eq(first["json"], ag.get("/api/v1/me/phone").json | {"since_seconds": first["json"]["since_seconds"]},
             "the same JSON as GET /api/v1/me/phone")
        t0 = time.time()
        r = set_state(t, ag, "available")
        e = s.next(lambda e: e["event"] == "agent" and e["json"]["state"] == "available", timeout=2)
        t.true(time.time() - t0 < 2, "within two seconds")
        t.eq(r.json["state"] if r.status == 200 else "available", "available", "the answer has the applied state")
        set_state(t, ag, "paused", "training")
        e = s.next(lambda e: e["event"] == "agent" and e["json"]["state"] == "paused", timeout=2)
        t.eq(e["json"]["reason"], "training", "with the reason")
        t.true(seq(e) > seq(first), "ids grow")
    finally:
        s.close()
        set_state(t, ag, "offline")


def test_agent_state_errors_answer_at_once(t):
    ag = t.login("agent")
    t.status(ag.put("/api/v1/me/state", {"state": "dancing"}), 400, "tel.invalid_state", "bad state")
    a = t.login("admin")
    r = a.post("/api/v1/users", {"login": "no-phone", "display_name": "Sans téléphone", "role": "agent",
                                 "password": "No-phone-pass-1"})
    t.eq(r.status, 201, "an agent without a phone")
    c = t.client()
    t.eq(c.login("no-phone", "No-phone-pass-1").status, 201, "logged in")
    t.eq(c.post("/api/v1/me/password", {"current_password": "No-phone-pass-1", "new_password": "No-phone-pass-2"}).status,
         204, "own password set")
    t0 = time.time()
    t.status(c.put("/api/v1/me/state", {"state": "available"}), 409, "tel.no_phone", "no phone")
    t.true(time.time() - t0 < 1, "answered from the snapshot")
    # an account given is in the telephony's state when the answer comes back
    r = a.put(f"/api/v1/users/{c.user['id']}/sip", {"sip_user": "no-phone", "password": "phone-pass-123",
                                                     "languages": "fr"})
    t.status(r, 200, None, "a phone given")
    r = c.put("/api/v1/me/state", {"state": "paused", "reason": "training"})
    t.eq((r.status, r.json["state"], r.json["has_phone"]), (200, "paused", True), "the new account is used at once")
    set_state(t, c, "offline")


def test_flow_reload(t):
    a = t.login("admin")
    r = a.post("/api/v1/tel/flow/reload")
    t.status(r, 200, None, "reloaded")
    t.eq(r.json, {"reloaded": True, "pending": False}, "swapped in by the real-time thread")
    t.true(any(e["action"] == "tel.flow_reload" for e in a.get("/api/v1/audit?action=tel.flow_reload").json["entries"]),
           "audited")
    t.status(t.login("supervisor").post("/api/v1/tel/flow/reload"), 403, None, "admins only")


def test_supervisor_gets_live_figures(t):
    ag = t.login("agent")
    set_state(t, ag, "offline")
    sup = t.login("supervisor")
    s = Stream(sup)
    try:
        t.eq(s.status, 200, "stream opened")
        first = s.next(lambda e: e["event"] == "status")
        t.eq(sorted(first["json"].keys()), sorted(sup.get("/api/v1/tel/status").json.keys()), "the JSON of /tel/status")
        uid = ag.user["id"]
        t0 = time.time()
        set_state(t, ag, "available")

        def shows_available(e):
            return e["event"] == "status" and any(a["user_id"] == uid and a["state"] == "available"
                                                   for a in e["json"]["agents"])
        s.next(shows_available, timeout=1.5)
        took = time.time() - t0
        t.true(took < 1.5, f"the change reached the supervisor in {took:.2f} s")
    finally:
        s.close()
        set_state(t, ag, "offline")


def test_last_event_id_resumes(t):
    ag = t.login("agent")
    set_state(t, ag, "offline")
    s = Stream(ag)
    last = s.next(lambda e: e["event"] == "agent")
    s.close()
    # the server has seen the stream end: nobody listens to the agent's
    # topic now, and the missed events must still be made for the resume
    wait_metric(t, "wasl_http_streams_open", lambda v: v == 0)
    set_state(t, ag, "available")
    set_state(t, ag, "paused", "meeting")
    s = Stream(ag, last_id=last["id"])
    try:
        a = s.next(lambda e: e["event"] == "agent")
        b = s.next(lambda e: e["event"] == "agent")
        t.eq((a["json"]["state"], b["json"]["state"]), ("available", "paused"), "the missed events, in order")
        t.true(seq(last) < seq(a) < seq(b), "after the id sent back")
    finally:
        s.close()
    run = last["id"].split("-")[0]
    other = ("0" if run[0] != "0" else "1") + run[1:]
    for bad, what in (("not-a-number", "not an id"), (f"{other}-{seq(last)}", "an id of another run of the server")):
        s = Stream(ag, last_id=bad)
        try:
            e = s.next(lambda e: e["event"] == "agent")
            t.eq(e["json"]["state"], "paused", f"{what}: the stream starts from the current state")
            t.true(e["id"].startswith(run + "-"), "with an id of this run")
        finally:
            s.close()
    set_state(t, ag, "offline")


def test_slow_client_is_dropped_and_others_go_on(t):
    ag = t.login("agent")
    sup = t.login("supervisor")
    set_state(t, ag, "offline")
    wait_metric(t, "wasl_http_streams_open", lambda v: v == 0)
    dropped0 = metric(t, "wasl_http_streams_dropped_total")
    slow = Stream(sup, rcvbuf=2048)  # never read again
    fast = Stream(ag)
    try:
        fast.next(lambda e: e["event"] == "agent")
        states = ["available", "paused"]
        worst = 0
        for i in range(800):
            t0 = time.time()
            st = states[i % 2]
            set_state(t, ag, st, "break" if st == "paused" else None)
            fast.next(lambda e: e["event"] == "agent" and e["json"]["state"] == st, timeout=3)
            worst = max(worst, time.time() - t0)
            if i % 25 == 24 and metric(t, "wasl_http_streams_dropped_total") > dropped0:
                break
        t.true(metric(t, "wasl_http_streams_dropped_total") > dropped0, "the stream that does not read was dropped")
        t.true(worst < 3, f"the reading client got every change (slowest {worst:.2f} s)")
        t.true("dropped" in t.srv.log(), "and the log says so")
    finally:
        slow.close()
        fast.close()
        set_state(t, ag, "offline")


def test_stream_cap(t):
    ag = t.login("agent")
    wait_metric(t, "wasl_http_streams_open", lambda v: v == 0)
    held = [Stream(ag) for _ in range(6)]
    try:
        t.true(all(s.status == 200 for s in held), "up to http.stream_max")
        extra = Stream(ag)
        t.eq(extra.status, 503, "one more is refused")
        t.eq(extra.json["error"]["code"], "http.streams_full", "with a code")
        t.true("http.stream_max" in extra.json["error"]["message"], f"and a message that says why: {extra.json}")
        t.true(metric(t, "wasl_http_streams_refused_total") >= 1, "counted")
        t.eq(metric(t, "wasl_http_streams_open"), 6, "the open streams are counted")
        held.pop().close()
        # the server notices the closed stream at its next heartbeat (1 s here)
        wait_metric(t, "wasl_http_streams_open", lambda v: v == 5)
        again = Stream(ag)
        t.eq(again.status, 200, "a place freed is taken again")
        held.append(again)
    finally:
        for s in held:
            s.close()


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_idle_stream_costs_nothing(t):
    ag = t.login("agent")
    wait_metric(t, "wasl_http_streams_open", lambda v: v == 0)
    s = Stream(ag)
    try:
        s.next(lambda e: e["event"] == "agent")
        pid = t.srv.proc.pid
        c0, t0 = cpu_seconds(pid), time.time()
        # heartbeats every second: the comment lines arrive, nothing else
        deadline = t0 + 3
        while time.time() < deadline:
            try:
                s.next(timeout=deadline - time.time())
            except AssertionError:
                break
        used = cpu_seconds(pid) - c0
        t.true(s.comments >= 2, f"heartbeats arrive ({s.comments} in 3 s)")
        t.true(used < 0.3, f"the server used {used:.2f} s of CPU in {time.time() - t0:.1f} s with an idle stream open")
    finally:
        s.close()


def test_stop_ends_open_streams(t):
    """Last in this file: the server stops while streams are open (one of
    them not reading); each ends, and the server exits promptly."""
    ag = t.login("agent")
    wait_metric(t, "wasl_http_streams_open", lambda v: v == 0)
    s = Stream(ag)
    quiet = Stream(t.login("supervisor"), rcvbuf=2048)
    s.next(lambda e: e["event"] == "agent")
    t0 = time.time()
    t.srv.stop()
    took = time.time() - t0
    t.true(took < 5, f"the server took {took:.1f} s to stop with streams open")
    try:
        s.next(timeout=2)
        ended = False
    except AssertionError as e:
        ended = "ended" in str(e)
    t.true(ended, "the reading stream ended at the stop")
    quiet.close()
    s.close()
    t.srv.init = False
    t.srv.port = None
    t.srv.start()
