"""The live supervision figures (GET /api/v1/supervision/live and the
stream's event "supervision"): today's service level and abandon rate per
queue come from the event log through src/stats (events written since
local midnight), computed at most every 5 s; the thresholds file turns a
figure amber or red and lists it in the alerts; agents by state per queue;
calls today per country; only supervisors ask; a bad thresholds file stops
the server with the key named. Every wait is bounded and polls."""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_stream  # noqa: E402
from test_stream import Stream, set_state  # noqa: E402


_dir = tempfile.mkdtemp(prefix="wasl-thresholds-")
THRESHOLDS = os.path.join(_dir, "thresholds.json")
with open(THRESHOLDS, "w") as f:
    json.dump({"min_offered": 2,
               "defaults": {"service_level": {"amber": 0.8, "red": 0.6}, "abandon_rate": {"amber": 0.2, "red": 0.4},
                            "longest_wait_s": {"amber": 60, "red": 180}, "waiting": {"amber": 3, "red": 6}},
               "queues": {"es": {"service_level": {"amber": 0.4, "red": 0.2}}}}, f)

# the stream tests' server (its phone registers with this port), with
# room for the supervision figures in a stream's buffer
SETTINGS = dict(test_stream.SETTINGS)
SETTINGS.update({"http.stream_buffer": "1048576", "supervision.thresholds": THRESHOLDS})

_written = False


def write_today(t, agent):
    """Two calls to fr and two to es a few minutes ago (today, or just after
    midnight when the test runs right after it): one answered in 10 s and
    one abandoned after 40 s in each."""
    global _written
    if _written:
        return
    _written = True
    now = int(time.time())
    midnight = now - now % 86400  # Africa/Casablanca is UTC+0 since 2026-09-20
    t0 = max(midnight + 1, now - 600) * 1000000
    rows = []
    for n, (q, cc) in enumerate((("fr", "FR"), ("es", "ES"))):
        a, b = 10 * n + 1, 10 * n + 2

        def at(s):
            return t0 + (s + 100 * n) * 1000000
        rows += [
            (at(0), "call.arrived", a, None, None, {"did": "+33800100200", "country": cc, "sip_call_id": f"x{a}"}),
            (at(2), "call.language", a, None, None, {"language": q}),
            (at(5), "queue.joined", a, None, q, {"service": "general", "position": 1}),
            (at(15), "call.answered", a, agent, q, {"waited_ms": 10000}),
            (at(20), "call.arrived", b, None, None, {"did": "+33800100200", "country": cc, "sip_call_id": f"y{b}"}),
            (at(25), "queue.joined", b, None, q, {"service": "general", "position": 1}),
            (at(65), "call.abandoned", b, None, q, {"waited_ms": 40000, "position": 1}),
            (at(75), "call.ended", a, agent, None, {"outcome": "answered", "path": "", "waited_ms": 10000,
                                                     "talked_ms": 60000}),
        ]
    insert(t, rows)


def insert(t, rows):
    """Events written straight to the log (sqlite3, or psql on PostgreSQL)."""
    if t.srv.backend == "sqlite":
        db = sqlite3.connect(t.srv.db)
        db.executemany("INSERT INTO events (at, kind, call_id, agent, queue, data) VALUES (?, ?, ?, ?, ?, ?)",
                       [(a, k, c, g, q, json.dumps(d)) for a, k, c, g, q, d in rows])
        db.commit()
        db.close()
        return

    def lit(v):
        if v is None:
            return "NULL"
        if isinstance(v, int):
            return str(v)
        return "'" + str(v).replace("'", "''") + "'"
    values = ", ".join(f"({lit(a)}, {lit(k)}, {lit(c)}, {lit(g)}, {lit(q)}, {lit(json.dumps(d))})" for a, k, c, g, q, d in rows)
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", t.srv.db],
                   input=f"INSERT INTO events (at, kind, call_id, agent, queue, data) VALUES {values};", text=True,
                   check=True, stdout=subprocess.DEVNULL, timeout=30)


def agent_id(t):
    return {u["login"]: u for u in t.login("admin").get("/api/v1/users").json["users"]}["agent"]["id"]


def live(s):
    r = s.get("/api/v1/supervision/live")
    assert r.status == 200, r
    return r.json


def test_today_and_alerts(t):
    write_today(t, agent_id(t))
    s = t.login("supervisor")
    j = live(s)
    q = {x["queue"]: x for x in j["queues"]}
    t.true({"fr", "fr.dossier", "ar", "es"} <= set(q), f"a tile per queue of the plan: {sorted(q)}")
    fr = q["fr"]
    t.eq((fr["offered"], fr["answered"], fr["abandoned"], fr["answered_within"]), (2, 1, 1, 1), "fr today so far")
    t.eq(fr["service_level"], 0.5, "answered within 20 s of the offered: one in two")
    t.eq(fr["abandon_rate"], 0.5, "one in two gave up")
    t.eq((fr["waiting"], fr["longest_wait_s"]), (0, 0), "nobody waiting now")
    t.eq(fr["levels"], {"service_level": "red", "abandon_rate": "red", "longest_wait_s": "ok", "waiting": "ok"},
         "0.5 is below the red 0.6; 0.5 above the red 0.4")
    t.eq(fr["level"], "red", "the tile takes its worst figure")
    es = q["es"]
    t.eq(es["levels"]["service_level"], "ok", "es has its own levels: 0.5 is above its amber 0.4")
    t.eq(es["levels"]["abandon_rate"], "red", "and the defaults for the rest")
    alerts = sorted((a["queue"], a["figure"], a["level"], a["value"], a["limit"]) for a in j["alerts"])
    t.eq(alerts, [("es", "abandon_rate", "red", 0.5, 0.4), ("fr", "abandon_rate", "red", 0.5, 0.4),
                  ("fr", "service_level", "red", 0.5, 0.6)], "the alert list")
    t.eq(q["ar"]["service_level"], None, "no call: no service level (null, never 0)")
    t.eq(q["ar"]["level"], "ok", "and no alert")
    c = {x["country"]: x for x in j["countries"]}
    t.eq((c["FR"]["calls"], c["ES"]["calls"]), (2, 2), "calls today per country")
    t.eq(j["today"]["time_zone"], "Africa/Casablanca", "the center's day")
    t.true(j["today"]["cost_ms"] >= 0, "the cost of the day's figures is given")
    t.eq(j["today"]["refresh_seconds"], 5, "a small day: computed again every 5 s (ten times the cost when that is longer)")


def test_refreshed_every_few_seconds(t):
    ag = agent_id(t)
    write_today(t, ag)
    s = t.login("supervisor")
    first = live(s)
    again = live(s)
    t.eq(again["today"]["computed_at"], first["today"]["computed_at"], "a request right after: the same computation")
    now = int(time.time())
    at = max(now - now % 86400 + 1, now - 30) * 1000000
    insert(t, [(at, "call.arrived", 31, None, None, {"did": "+33800100200", "country": "FR", "sip_call_id": "z"}),
               (at + 1000000, "queue.joined", 31, None, "fr", {"service": "general", "position": 1}),
               (at + 3000000, "call.answered", 31, ag, "fr", {"waited_ms": 2000})])
    deadline = time.time() + 12
    while True:
        fr = {x["queue"]: x for x in live(s)["queues"]}["fr"]
        if fr["offered"] == 3:
            break
        if time.time() > deadline:
            raise AssertionError(f"the new call is not counted after 12 s: {fr}")
        time.sleep(0.25)
    t.eq((fr["answered"], fr["answered_within"]), (2, 2), "counted within the refresh")
    t.eq(round(fr["service_level"], 3), round(2 / 3, 3), "two answered in time of three")


def test_agents_by_state(t):
    ag = t.login("agent")
    s = t.login("supervisor")
    set_state(t, ag, "available")
    try:
        uid = ag.user["id"]
        deadline = time.time() + 5
        while True:
            j = live(s)
            me = [a for a in j["agents"] if a["user_id"] == uid]
            if me and me[0]["state"] == "available":
                break
            if time.time() > deadline:
                raise AssertionError(f"the agent is not shown available: {me}")
            time.sleep(0.1)
        t.true(me[0]["since_seconds"] >= 0 and me[0]["display_name"], f"state, time in it and name: {me[0]}")
        langs = ag.get("/api/v1/me/phone").json["languages"].split()
        q = {x["queue"]: x for x in j["queues"]}
        for lang in langs:
            if lang in q:
                t.true(q[lang]["agents"]["available"] >= 1, f"{lang}: the agent counts as available")
        other = [n for n in q if n.split(".")[0] not in langs]
        if other:
            t.eq(q[other[0]]["agents"]["available"], 0, f"{other[0]}: a language the agent does not speak")
    finally:
        set_state(t, ag, "offline")


def test_stream_topic(t):
    s = t.login("supervisor")
    st = Stream(s, path="/api/v1/stream?topics=supervision")
    try:
        t.eq(st.status, 200, "the wallboard's stream")
        ev = st.next(lambda e: e["event"] == "supervision")
        t.eq(sorted(ev["json"].keys()), sorted(live(s).keys()), "the JSON of /supervision/live")
        ag = t.login("agent")
        uid = ag.user["id"]
        t0 = time.time()
        set_state(t, ag, "available")
        try:
            st.next(lambda e: e["event"] == "supervision" and any(a["user_id"] == uid and a["state"] == "available"
                                                                for a in e["json"]["agents"]), timeout=3)
            took = time.time() - t0
            t.true(took < 2.5, f"a change reaches the wallboard's stream within the second's throttle: {took:.2f} s")
        finally:
            set_state(t, ag, "offline")
    finally:
        st.close()
    bad = Stream(s, path="/api/v1/stream?topics=everything")
    t.eq((bad.status, bad.json["error"]["code"]), (400, "stream.invalid_topics"), "an unknown topic is refused")
    bad.close()
    ag = Stream(t.login("agent"), path="/api/v1/stream?topics=supervision")
    t.eq(ag.status, 403, "agents do not get the supervision figures")
    ag.close()


def test_only_supervisors(t):
    t.status(t.login("agent").get("/api/v1/supervision/live"), 403, "auth.forbidden", "an agent")
    t.status(t.client().get("/api/v1/supervision/live"), 401, None, "nobody")


def test_bad_thresholds_stop_the_server(t):
    cases = [
        ({"defaults": {"service_level": {"amber": 0.6, "red": 0.8}}}, "red must be at or below amber"),
        ({"defaults": {"abandon_rate": {"amber": 5}}}, "shares from 0 to 1"),
        ({"defaults": {"speed": {"amber": 1}}}, "figures are service_level"),
        ({"queues": {"FR!": {}}}, "a queue's name"),
        ({"min_offered": -1}, "min_offered"),
        ({"colour": "red"}, "keys are comment"),
    ]
    for body, words in cases:
        path = os.path.join(_dir, "bad.json")
        with open(path, "w") as f:
            json.dump(body, f)
        r = t.srv.cli("serve", "--set", f"supervision.thresholds={path}", "--set", "sip.enabled=false")
        t.true(r.returncode != 0 and words in r.stderr, f"{body}: refused naming it: {r.returncode} {r.stderr[-300:]}")
    with open(os.path.join(_dir, "bad.json"), "w") as f:
        f.write("{not json")
    r = t.srv.cli("serve", "--set", f"supervision.thresholds={os.path.join(_dir, 'bad.json')}", "--set", "sip.enabled=false")
    t.true(r.returncode != 0 and "thresholds.json:1" in r.stderr, f"not JSON: the line: {r.stderr[-300:]}")
