"""The forecast and staffing plan (GET /api/v1/staff/plan, `wasl staff plan`):
calls per language and half-hour from the same weekday of past weeks
(weighted, the last one heaviest), the handle time measured in the log, the
agents each half-hour needs; a week with no calls is left out and said;
Ramadan (from the calendar's Hijri holidays) and Marhaba are flagged;
bad questions are refused with the field named; agents may not ask. On
both stores: the events are written with the database's own shell."""
import datetime
import json
import subprocess
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Africa/Casablanca")
DAY = "2026-12-07"  # a Monday; the weeks before: 30 Nov (6 fr calls answered), 23 Nov (3 fr abandoned), 16 Nov (1 ar)


def us(day, hh, mm, ss=0):
    d = datetime.datetime.fromisoformat(day).replace(hour=hh, minute=mm, second=ss, tzinfo=ZONE)
    return int(d.timestamp()) * 1000000


_written = False


def write_weeks(t, agent):
    global _written
    if _written:
        return
    _written = True
    rows, call = [], 100

    def ev(at, kind, c, a, q, d):
        rows.append((at, kind, c, a, q, json.dumps(d)))

    # 30 Nov, 10:00-10:30 local: six fr calls (three in fr.dossier), each 100 s of talk and 20 s of wrap-up
    for i in range(6):
        call += 1
        t0 = us("2026-11-30", 10, 2 + 4 * i)
        q = "fr" if i % 2 else "fr.dossier"
        ev(t0, "call.arrived", call, None, None, {"did": "+33800100200", "country": "FR", "sip_call_id": f"c{call}"})
        ev(t0 + 1000000, "queue.joined", call, None, q, {"service": "general", "position": 1})
        ev(t0 + 5000000, "call.answered", call, agent, q, {"waited_ms": 4000})
        ev(t0 + 5000000, "agent.state", call, agent, None, {"state": "busy", "reason": "", "by": 0})
        ev(t0 + 105000000, "call.ended", call, agent, None,
           {"outcome": "answered", "path": "", "waited_ms": 4000, "talked_ms": 100000})
        ev(t0 + 105000000, "agent.state", call, agent, None, {"state": "wrap_up", "reason": "", "by": 0})
        ev(t0 + 125000000, "agent.state", None, agent, None, {"state": "available", "reason": "", "by": 0})
    # 23 Nov, 10:00-10:30: three fr callers who gave up
    for i in range(3):
        call += 1
        t0 = us("2026-11-23", 10, 5 + 5 * i)
        ev(t0, "call.arrived", call, None, None, {"did": "+33800100200", "country": "FR", "sip_call_id": f"c{call}"})
        ev(t0 + 1000000, "queue.joined", call, None, "fr", {"service": "general", "position": 1})
        ev(t0 + 61000000, "call.abandoned", call, None, "fr", {"waited_ms": 60000, "position": 1})
    # 16 Nov, 14:00: one ar caller who gave up
    call += 1
    t0 = us("2026-11-16", 14, 10)
    ev(t0, "call.arrived", call, None, None, {"did": "+33800100200", "country": "FR", "sip_call_id": f"c{call}"})
    ev(t0 + 1000000, "queue.joined", call, None, "ar", {"service": "general", "position": 1})
    ev(t0 + 31000000, "call.abandoned", call, None, "ar", {"waited_ms": 30000, "position": 1})
    def lit(v):
        return "NULL" if v is None else str(v) if isinstance(v, int) else "'" + v.replace("'", "''") + "'"

    sql = "INSERT INTO events (at, kind, call_id, agent, queue, data) VALUES " + ", ".join(
        "(" + ", ".join(lit(v) for v in r) + ")" for r in rows) + ";"
    shell = ["sqlite3", "-cmd", ".timeout 10000", t.srv.db] if t.srv.backend == "sqlite" else \
        ["psql", "-q", "-v", "ON_ERROR_STOP=1", t.srv.db]
    subprocess.run(shell, input=sql, text=True, check=True, stdout=subprocess.DEVNULL)


def slot(plan, lang, start):
    langs = {x["language"]: x for x in plan["languages"]}
    return {x["start"]: x for x in langs[lang]["intervals"]}.get(start)


def test_plan_from_past_weeks(t):
    s = t.login("supervisor")
    agent = {u["login"]: u for u in t.login("admin").get("/api/v1/users").json["users"]}["agent"]["id"]
    write_weeks(t, agent)
    r = s.get(f"/api/v1/staff/plan?day={DAY}&weeks=4&aht=300")
    t.status(r, 200, None, "the plan of a Monday")
    p = r.json
    t.eq(p["weekday"], 1, "a Monday")
    t.eq([(w["day"], w["use"], w["calls"]) for w in p["weeks"]],
         [("2026-11-30", "used", 6), ("2026-11-23", "used", 3), ("2026-11-16", "used", 1), ("2026-11-09", "no_data", 0)],
         "four Mondays back; the one without a call is left out")
    t.true(abs(p["weeks"][0]["weight"] - 4 / 9) < 1e-9 and abs(p["weeks"][2]["weight"] - 2 / 9) < 1e-9,
           f"weights 4:3:2 over the weeks used: {p['weeks']}")
    t.eq(sorted(x["language"] for x in p["languages"]), sorted(["ar", "fr", "es", "it", "nl", "de", "en"]), "seven languages")
    fr = slot(p, "fr", "10:00")
    t.true(abs(fr["calls"] - (4 * 6 + 3 * 3) / 9) < 0.01, f"fr 10:00: (4x6 + 3x3 + 2x0) / 9 calls: {fr}")
    t.eq((fr["aht_s"], fr["aht_from"]), (120.0, "interval"), "the six handled calls: 100 s talk + 20 s wrap-up")
    t.true(fr["agents"] >= 1 and fr["service_level"] >= 0.8 and fr["open"], f"agents for fr 10:00: {fr}")
    t.eq(slot(p, "fr", "11:00")["calls"], 0, "no fr calls at 11:00")
    t.eq(slot(p, "fr", "11:00")["agents"], 0, "nobody needed without calls")
    t.eq(slot(p, "fr", "11:00")["aht_from"], "day", "the day's handle time where the half-hour has none")
    ar = slot(p, "ar", "14:00")
    t.true(abs(ar["calls"] - 2 / 9) < 0.01, f"ar 14:00: {ar}")
    t.eq((ar["aht_s"], ar["aht_from"]), (300.0, "default"), "no ar call handled: the given default")
    t.eq(slot(p, "de", "08:00")["calls"], 0, "opening hours listed for every language")
    t.eq(p["seasons"], [], "December: no season")
    r = s.get(f"/api/v1/staff/plan?day={DAY}&language=fr&weeks=2&shrinkage=50")
    t.eq([x["language"] for x in r.json["languages"]], ["fr"], "one language")
    fr2 = slot(r.json, "fr", "10:00")
    t.true(abs(fr2["calls"] - (2 * 6 + 3) / 3) < 0.01, f"two weeks, weights 2:1: {fr2}")
    t.eq(fr2["rostered"], 2 * fr2["agents"], "50 % shrinkage doubles the schedule")


def test_plan_seasons(t):
    s = t.login("supervisor")
    r = s.get("/api/v1/staff/plan?day=2026-03-02&weeks=2")
    t.status(r, 200, None, "a day of Ramadan 1447")
    t.eq(r.json["seasons"], ["ramadan"], "Aid Al Fitr on 2026-03-20: Ramadan is the 30 days before it")
    t.eq([w["seasons"] for w in r.json["weeks"]], [["ramadan"], []], "23 Feb in Ramadan, 16 Feb before it")
    r = s.get("/api/v1/staff/plan?day=2026-03-21&weeks=1")
    t.eq(r.json["seasons"], [], "the day after Aid Al Fitr: Ramadan is over")
    r = s.get("/api/v1/staff/plan?day=2026-07-06&weeks=4")
    t.eq(r.json["seasons"], ["marhaba"], "July: the summer return")
    t.eq([w["seasons"] for w in r.json["weeks"]], [["marhaba"], ["marhaba"], ["marhaba"], []], "8 June is before it")
    r = s.get("/api/v1/staff/plan?day=2026-05-27")
    t.eq(r.json["open"], False, "Aid Al Adha: closed")
    t.true(r.json["holiday"] is not None, "and said why")


def test_plan_refusals(t):
    s = t.login("supervisor")
    for q, field in (("", "day"), ("day=2026-02-30", "day"), ("day=2026-12-07x", "day"), ("day=2026-12-07&weeks=0", "weeks"),
                     ("day=2026-12-07&weeks=27", "weeks"), ("day=2026-12-07&language=xx", "language"),
                     ("day=2026-12-07&sl=100", "sl"), ("day=2026-12-07&aht=0", "aht")):
        r = s.get("/api/v1/staff/plan?" + q)
        t.status(r, 400, None, q)
        t.eq(r.json["error"].get("field"), field, f"{q} names {field}")
    t.status(t.login("agent").get(f"/api/v1/staff/plan?day={DAY}"), 403, None, "agents may not ask")


def test_plan_cli(t):
    agent = {u["login"]: u for u in t.login("admin").get("/api/v1/users").json["users"]}["agent"]["id"]
    write_weeks(t, agent)
    r = t.srv.cli("staff", "plan", "--day", DAY, "--weeks", "4", "--language", "fr", "--json")
    t.eq(r.returncode, 0, r.stderr)
    fr = slot(json.loads(r.stdout), "fr", "10:00")
    t.true(abs(fr["calls"] - 33 / 9) < 0.01, f"the CLI gives the API's forecast: {fr}")
    r = t.srv.cli("staff", "plan", "--day", DAY, "--weeks", "4", "--language", "fr")
    t.true(r.returncode == 0 and "10:00" in r.stdout and "interval" in r.stdout, r.stdout + r.stderr)
    r = t.srv.cli("staff", "plan", "--day", "2026-13-01")
    t.true(r.returncode != 0 and "day" in r.stderr, f"refused: {r.stderr}")
    r = t.srv.cli("staff", "plan", "--day", DAY, "--calls", "10")
    t.true(r.returncode == 2 and "forecast" in r.stderr, f"calls come from the forecast: {r.stderr}")


def test_simulate_cli(t):
    """`wasl simulate`: the example day of data/sim, a group's count changed from the command line,
    and a file whose calls come from the forecast of the past Mondays in the log."""
    import os
    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    day = os.path.join(top, "data", "sim", "day.json")
    r = t.srv.cli("simulate", day, "--json")
    t.eq(r.returncode, 0, r.stderr)
    out = json.loads(r.stdout)
    t.eq([x["language"] for x in out["languages"]], ["ar", "fr", "es", "it", "nl", "de", "en"], "the seven queues")
    for x in out["languages"] + [out["total"]]:
        t.eq(x["offered"], x["answered"] + x["abandoned"] + x["unserved"], f"every caller has one fate: {x.get('language')}")
    few = json.loads(t.srv.cli("simulate", day, "--json", "--agents", "nl=0", "--agents", "nl+de+en-late=0").stdout)
    nl = {x["language"]: x for x in few["languages"]}["nl"]
    t.eq(nl["answered"], 0, "nobody takes Dutch: no caller answered")
    t.eq(nl["offered"], nl["abandoned"] + nl["unserved"], "they hang up or are left at the end of the day")
    r = t.srv.cli("simulate", day, "--agents", "nobody=3")
    t.true(r.returncode == 2 and "no group named 'nobody'" in r.stderr, r.stderr)
    agent = {u["login"]: u for u in t.login("admin").get("/api/v1/users").json["users"]}["agent"]["id"]
    write_weeks(t, agent)
    path = os.path.join(t.srv.dir, "forecast.json")
    with open(path, "w") as f:
        json.dump({"forecast": {"day": DAY, "weeks": 4}, "days": 40, "patience_s": 120,
                   "agents": [{"count": 1, "languages": ["fr", "ar"], "shift": ["08:00", "20:00"]}]}, f)
    r = t.srv.cli("simulate", path, "--json")
    t.eq(r.returncode, 0, r.stderr)
    langs = {x["language"]: x for x in json.loads(r.stdout)["languages"]}
    t.eq(sorted(langs), sorted(["ar", "fr", "es", "it", "nl", "de", "en"]), "the forecast's languages")
    fr = langs["fr"]
    t.true(100 < fr["offered"] < 200, f"about 40 x 33/9 French calls: {fr['offered']}")
    t.eq([x["start"] for x in fr["intervals"]], ["10:00"], "all at 10:00, as forecast")
    t.eq(langs["es"]["offered"], 0, "no Spanish calls in the past Mondays")
