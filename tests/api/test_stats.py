"""The figures of a period (GET /api/v1/stats) from events written to the
log: counts, service levels, speed of answer, handle time and the agents'
time, sliced by queue and agent; the identity offered = answered +
abandoned + sent on + waiting holds in every row; bad questions are refused
with the field named; only supervisors and administrators ask. The formulas
are checked in depth on both stores by tests/unit/stats."""
import json
import os
import sqlite3
import subprocess

SQLITE_ONLY = True  # the rows are written with sqlite3; the unit test reads them back on PostgreSQL

T0 = 1796205600 * 1000000  # 2026-12-02T10:00:00Z, µs


def at(s):
    return T0 + s * 1000000


_written = False


def write_day(t, agent):
    """The scripted ten minutes, once for the file's server."""
    global _written
    if _written:
        return
    _written = True
    rows = [
        (at(-60), "agent.state", None, agent, None, {"state": "available", "reason": "", "by": 0}),
        (at(0), "call.arrived", 1, None, None, {"did": "+33800100200", "country": "FR", "sip_call_id": "x"}),
        (at(2), "call.language", 1, None, None, {"language": "fr"}),
        (at(5), "queue.joined", 1, None, "fr", {"service": "general", "position": 1}),
        (at(5), "agent.state", 1, agent, None, {"state": "ringing", "reason": "", "by": 0}),
        (at(15), "call.answered", 1, agent, "fr", {"waited_ms": 10000}),
        (at(15), "agent.state", 1, agent, None, {"state": "busy", "reason": "", "by": 0}),
        (at(20), "call.arrived", 2, None, None, {"did": "+33800100200", "country": "FR", "sip_call_id": "y"}),
        (at(25), "queue.joined", 2, None, "fr", {"service": "general", "position": 1}),
        (at(65), "call.abandoned", 2, None, "fr", {"waited_ms": 40000, "position": 1}),
        (at(75), "call.ended", 1, agent, None, {"outcome": "answered", "path": "", "waited_ms": 10000, "talked_ms": 60000}),
        (at(75), "agent.state", 1, agent, None, {"state": "wrap_up", "reason": "", "by": 0}),
        (at(105), "agent.state", None, agent, None, {"state": "available", "reason": "", "by": 0}),
        (at(200), "agent.state", None, agent, None, {"state": "paused", "reason": "break", "by": 0}),
    ]
    db = sqlite3.connect(t.srv.db)
    db.executemany("INSERT INTO events (at, kind, call_id, agent, queue, data) VALUES (?, ?, ?, ?, ?, ?)",
                   [(a, k, c, g, q, json.dumps(d)) for a, k, c, g, q, d in rows])
    db.commit()
    db.close()


def test_figures_of_a_period(t):
    s = t.login("supervisor")
    agent = {u["login"]: u for u in t.login("admin").get("/api/v1/users").json["users"]}["agent"]["id"]
    write_day(t, agent)
    period = "from=2026-12-02T10:00:00Z&to=2026-12-02T10:10:00Z"
    r = s.get(f"/api/v1/stats?{period}&by=queue")
    t.status(r, 200, None, "figures by queue")
    fr = {x["key"]: x for x in r.json["rows"]}["fr"]
    t.eq((fr["offered"], fr["answered"], fr["abandoned"], fr["waiting"]), (2, 1, 1, 0), "two calls: one answered, one gone")
    t.eq(fr["service_level_answered"], 1.0, "answered within 20 s: all of the answered")
    t.eq(fr["service_level_offered"], 0.5, "of the offered: one in two")
    t.eq(fr["abandon_rate"], 0.5, "one in two gave up (40 s: not a short abandon)")
    t.eq(fr["asa_s"], 10.0, "10 s to answer")
    t.eq(fr["aht_s"], 90.0, "60 s of talk and 30 s of wrap-up")
    t.eq(fr["longest_wait_s"], 40, "the longest wait is the abandon's")
    r = s.get(f"/api/v1/stats?{period}&by=agent")
    me = {x["key"]: x for x in r.json["rows"]}[str(agent)]
    t.eq(me["agent_seconds"], {"offline": 0, "available": 5 + 95, "ringing": 10, "busy": 60, "wrap_up": 30, "paused": 400},
         "the agent's ten minutes")
    t.eq(r.json["pauses"], [{"reason": "break", "seconds": 400}], "pause time by reason")
    r = s.get(f"/api/v1/stats?{period}&by=interval&interval=15m")
    t.eq([x["key"] for x in r.json["rows"]], ["2026-12-02T10:00"], "one quarter of an hour, in the center's time zone (UTC+0)")
    for by in ("total", "queue", "language", "country", "interval"):
        for x in s.get(f"/api/v1/stats?{period}&by={by}").json["rows"]:
            t.eq(x["offered"], x["answered"] + x["abandoned"] + x["sent_on"] + x["waiting"], f"identity of {by} {x['key']}")


def test_identity_with_moves(t):
    """Waiting callers a supervisor moved (queue.left why moved, then
    queue.joined from): each counts once, in the queue it was moved to,
    with its wait from its first arrival; the identity holds in every row
    of every slice, and the total counts four calls, not seven segments."""
    s = t.login("supervisor")
    agent = {u["login"]: u for u in t.login("admin").get("/api/v1/users").json["users"]}["agent"]["id"]
    day = T0 + 86400 * 1000000  # 2026-12-03T10:00:00Z

    def a(x):
        return day + x * 1000000

    def moved(sec, call, frm, to):
        return [(a(sec), "queue.left", call, None, frm, {"why": "moved", "to": to, "waited_ms": 0, "by": 7}),
                (a(sec), "queue.joined", call, None, to, {"service": "", "from": frm, "position": 1, "by": 7})]

    rows = [(a(-60), "agent.state", None, agent, None, {"state": "available", "reason": "", "by": 0})]
    for call, country in ((21, "FR"), (22, "FR"), (23, "BE"), (24, "MA")):
        rows.append((a(call - 20), "call.arrived", call, None, None, {"did": "+1", "country": country, "sip_call_id": str(call)}))
    rows += [(a(5), "queue.joined", 21, None, "fr", {"service": "general", "position": 1})]
    rows += moved(20, 21, "fr", "ar")
    rows += [(a(35), "call.answered", 21, agent, "ar", {"waited_ms": 30000}),
             (a(6), "queue.joined", 22, None, "fr", {"service": "general", "position": 2})]
    rows += moved(10, 22, "fr", "nl") + moved(30, 22, "nl", "ar")
    rows += [(a(66), "call.abandoned", 22, None, "ar", {"waited_ms": 60000, "position": 1}),
             (a(7), "queue.joined", 23, None, "fr", {"service": "general", "position": 3})]
    rows += moved(40, 23, "fr", "es")
    rows += [(a(8), "queue.joined", 24, None, "ar", {"service": "general", "position": 1}),
             (a(90), "call.answered", 24, agent, "ar", {"waited_ms": 82000})]
    rows.sort(key=lambda r: r[0])
    db = sqlite3.connect(t.srv.db)
    db.executemany("INSERT INTO events (at, kind, call_id, agent, queue, data) VALUES (?, ?, ?, ?, ?, ?)",
                   [(x, k, c, g, q, json.dumps(d)) for x, k, c, g, q, d in rows])
    db.commit()
    db.close()
    period = "from=2026-12-03T10:00:00Z&to=2026-12-03T10:10:00Z"
    r = s.get(f"/api/v1/stats?{period}&by=queue")
    t.status(r, 200, None, "figures by queue")
    q = {x["key"]: x for x in r.json["rows"]}
    t.eq(sorted(q), ["ar", "es"], "the moved callers count where they were moved to, not in fr or nl")
    t.eq((q["ar"]["offered"], q["ar"]["answered"], q["ar"]["abandoned"]), (3, 2, 1), "ar: two answered, one gone")
    t.eq((q["es"]["offered"], q["es"]["waiting"]), (1, 1), "es: one still waiting")
    t.eq(q["ar"]["asa_s"], 56.0, "the wait from the first arrival: (30 + 82) / 2")
    total = s.get(f"/api/v1/stats?{period}&by=total").json["rows"][0]
    t.eq((total["offered"], total["sent_on"]), (4, 0), "four calls offered once each; a move sends nobody on")
    for by in ("total", "queue", "language", "country", "interval", "agent"):
        for x in s.get(f"/api/v1/stats?{period}&by={by}").json["rows"]:
            if by != "agent":
                t.eq(x["offered"], x["answered"] + x["abandoned"] + x["sent_on"] + x["waiting"], f"identity of {by} {x['key']}")


def read_xlsx(path):
    """Every sheet's rows, read by openpyxl - Debian's python3-openpyxl, with
    Debian's own Python (the tests' python3 may be another one)."""
    code = ("import json, sys, openpyxl\n"
            "wb = openpyxl.load_workbook(sys.argv[1], read_only=True)\n"
            "print(json.dumps({n: [list(r) for r in wb[n].iter_rows(values_only=True)] for n in wb.sheetnames}))")
    r = subprocess.run(["/usr/bin/python3", "-c", code, path], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=60)
    if r.returncode:
        raise AssertionError("openpyxl could not read the workbook: " + r.stderr[-800:])
    return json.loads(r.stdout)


def test_exports(t):
    """CSV (parsed) and XLSX (read back with openpyxl) carry the JSON's figures."""
    import csv
    import io
    s = t.login("supervisor")
    agent = {u["login"]: u for u in t.login("admin").get("/api/v1/users").json["users"]}["agent"]["id"]
    write_day(t, agent)
    period = "from=2026-12-02T10:00:00Z&to=2026-12-02T10:10:00Z&by=queue"
    js = {x["key"]: x for x in s.get(f"/api/v1/stats?{period}").json["rows"]}
    r = s.get(f"/api/v1/stats?{period}&format=csv")
    t.status(r, 200, None, "CSV")
    t.true(r.header("Content-Type").startswith("text/csv"), r.header("Content-Type"))
    t.true('filename="wasl-figures-queue-2026-12-02.csv"' in r.header("Content-Disposition"), r.header("Content-Disposition"))
    rows = {x["key"]: x for x in csv.DictReader(io.StringIO(r.body))}
    fr = rows["fr"]
    t.eq((int(fr["offered"]), int(fr["answered"]), int(fr["abandoned"])), (2, 1, 1), "the counts")
    t.eq(float(fr["service_level_offered"]), js["fr"]["service_level_offered"], "a share")
    t.eq(float(fr["aht_s"]), js["fr"]["aht_s"], "a time")
    r = s.get(f"/api/v1/stats?{period}&format=xlsx")
    t.status(r, 200, None, "XLSX")
    path = os.path.join(t.srv.dir, "figures.xlsx")
    with open(path, "wb") as f:
        f.write(r.raw)
    wb = read_xlsx(path)
    t.eq(sorted(wb), ["about", "figures", "pauses"], "three sheets")
    sheet = wb["figures"]
    head, data = sheet[0], {row[0]: dict(zip(sheet[0], row)) for row in sheet[1:]}
    t.eq(head[:4], ["key", "queue", "offered", "answered"], "the header: the key, the dimension's column, the figures")
    t.eq((data["fr"]["offered"], data["fr"]["service_level_offered"], data["fr"]["aht_s"]),
         (2, js["fr"]["service_level_offered"], js["fr"]["aht_s"]), "the same figures as the JSON")
    about = dict(wb["about"])
    t.eq(about["by"], "queue", "says what was asked")
    t.status(s.get(f"/api/v1/stats?{period}&format=pdf"), 400, None, "another format")


def test_bad_questions(t):
    s = t.login("supervisor")
    for q, field in (("by=planet", "by"), ("by=interval&interval=7m", "interval"), ("from=yesterday", "from"),
                     ("from=2026-12-02T10:00:00Z&to=2026-12-01T10:00:00Z", "to"),
                     ("from=2026-01-01T00:00:00Z&to=2026-12-01T00:00:00Z", "to"), ("threshold=0", "threshold")):
        r = s.get("/api/v1/stats?" + q)
        t.status(r, 400, None, q)
        t.eq(r.json["error"].get("field"), field, f"{q} names {field}")
    t.status(s.get("/api/v1/stats"), 200, None, "today so far by default")
    for who in ("agent", "editor", "backoffice"):
        t.status(t.login(who).get("/api/v1/stats"), 403, None, f"{who} may not")


def test_days_are_local_midnights(t):
    """A bound given as a day alone is that day's midnight in Africa/Casablanca:
    UTC+01 in July 2026, UTC+00 from 2026-09-20 (tzdata 2026c); a day that does
    not exist is refused with the field named."""
    s = t.login("supervisor")
    r = s.get("/api/v1/stats?from=2026-07-01&to=2026-07-02")
    t.status(r, 200, None, "a summer day")
    t.true(r.json["from"].startswith("2026-06-30T23:00:00") and r.json["to"].startswith("2026-07-01T23:00:00"),
            f"July's midnights are 23:00 UTC the day before: {r.json['from']} {r.json['to']}")
    r = s.get("/api/v1/stats?from=2026-12-02&to=2026-12-03")
    t.true(r.json["from"].startswith("2026-12-02T00:00:00"), f"December's midnight is 00:00 UTC: {r.json['from']}")
    for bad in ("2026-02-30", "2026-13-01", "2026-1-011"):
        r = s.get(f"/api/v1/stats?from={bad}&to=2026-12-03")
        t.status(r, 400, "stats.invalid_time", f"from={bad}")


def test_agents_are_named(t):
    """The agent slice names each agent (supervisors may not list the accounts)."""
    s = t.login("supervisor")
    users = {u["login"]: u for u in t.login("admin").get("/api/v1/users").json["users"]}
    write_day(t, users["agent"]["id"])
    r = s.get("/api/v1/stats?from=2026-12-02T10:00:00Z&to=2026-12-02T10:10:00Z&by=agent")
    t.status(r, 200, None, "figures by agent")
    rows = {x["key"]: x for x in r.json["rows"]}
    t.eq(rows[str(users["agent"]["id"])]["name"], users["agent"]["display_name"], "the agent's name")
    r = s.get("/api/v1/stats?from=2026-12-02T10:00:00Z&to=2026-12-02T10:10:00Z&by=queue")
    t.true(all("name" not in x for x in r.json["rows"]), "only the agent slice has names")


def test_several_dimensions_and_consulates(t):
    """by= takes several dimensions: each row names its values, the rows of a
    cross add up to the total, and the consulate of a call is that of the case
    the agent recorded with it at the desk (none: an empty value)."""
    import csv
    import io
    s = t.login("supervisor")
    agent = {u["login"]: u for u in t.login("admin").get("/api/v1/users").json["users"]}["agent"]["id"]
    write_day(t, agent)
    a = t.login("agent")
    body = {"type": "dossier", "category": "passport", "language": "fr", "country": "FR", "subject": "Passeport",
            "fields": {"procedure": "passport", "consulate": "FR-PAR"},
            "citizen": {"name": "Test Citoyen", "phone": "+33 6 12 34 56 78"}}
    r = a.post("/api/v1/cases", body)
    t.status(r, 201, None, "a case of the Paris consulate")
    consulate = a.get(f"/api/v1/cases/{r.json['reference']}").json.get("consulate")
    t.true(consulate, f"the case has a consulate: {consulate}")
    t.status(a.put("/api/v1/desk/calls/1", {"disposition": "information_given", "reference": r.json["reference"]}), 200,
             None, "call 1 recorded with the case")
    period = "from=2026-12-02T10:00:00Z&to=2026-12-02T10:10:00Z"
    total = s.get(f"/api/v1/stats?{period}").json["rows"][0]
    r = s.get(f"/api/v1/stats?{period}&by=language,country,service")
    t.status(r, 200, None, "a cross of three")
    t.eq(r.json["by"], "country,language,service", "said back in the canonical order")
    rows = {x["key"]: x for x in r.json["rows"]}
    t.eq(sorted(rows), sorted(["FR||general", "FR|fr|general"]), "the combinations met (call 2 never chose a language)")
    x = rows["FR|fr|general"]
    t.eq((x["country"], x["language"], x["service"]), ("FR", "fr", "general"), "each value as a field")
    t.eq(sum(x["offered"] for x in rows.values()), total["offered"], "the cross adds up to the total")
    r = s.get(f"/api/v1/stats?{period}&by=consulate")
    rows = {x["consulate"]: x for x in r.json["rows"]}
    t.eq(sorted(rows), sorted(["", consulate]), "the recorded call's consulate, and none")
    t.eq((rows[consulate]["offered"], rows[consulate]["answered"]), (1, 1), "call 1 at the consulate of its case")
    t.eq((rows[""]["offered"], rows[""]["abandoned"]), (1, 1), "call 2: no case recorded")
    r = s.get(f"/api/v1/stats?{period}&by=agent,interval&interval=1h")
    rows = r.json["rows"]
    t.eq(len(rows), 1, "one agent, one hour")
    t.eq((rows[0]["agent"], rows[0]["interval"], rows[0]["name"] is not None), (str(agent), "2026-12-02T10:00", True),
         "the agent named, the hour given")
    t.eq(rows[0]["agent_seconds"]["paused"], 400, "the agent's time in the cross of agent and time")
    r = s.get(f"/api/v1/stats?{period}&by=country,consulate&format=csv")
    t.true('filename="wasl-figures-country+consulate-2026-12-02.csv"' in r.header("Content-Disposition"),
           r.header("Content-Disposition"))
    lines = list(csv.DictReader(io.StringIO(r.body)))
    t.eq(sorted((x["country"], x["consulate"], x["offered"]) for x in lines), sorted([("FR", "", "1"), ("FR", consulate, "1")]),
         "the CSV has a column per dimension")
    for bad in ("country,country", "country,", "total,country", "planet,country"):
        r = s.get(f"/api/v1/stats?{period}&by={bad}")
        t.status(r, 400, "stats.invalid_slice", f"by={bad}")
