"""The figures beyond the calls over HTTP, on both stores (docs/metrics.md):
cases (backlog identity in every slice, complaints by theme, ratings), where
procedures hurt (with the article's link and sample cases a supervisor
opens, audited), first-contact resolution and guide searches with no
answer, agent scorecards (an agent sees their own only), and the daily
summary mailed through the outbox in each recipient's language. The
formulas are checked on a hand-computed set by tests/unit/stats/test_cases.c."""
import datetime
import time

from smtp_server import SmtpServer

_sink = SmtpServer()
SETTINGS = {"cases.demo_cases": "20", "smtp.enabled": "true", "smtp.url": f"smtp://127.0.0.1:{_sink.port}",
            "smtp.from": "centre@consulat.example", "cases.tick_seconds": "1", "stats.summary_hour": "0",
            "stats.summary_to": "fr:chef.fr@consulat.example, ar:chef.ar@consulat.example"}

SLUG = "stats-test-procedure"


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def period(start):
    return f"from={iso(start)}&to={iso(time.time() + 3600)}"


def case(**over):
    body = {"type": "complaint", "category": "passport", "language": "fr", "country": "FR", "subject": "Attente",
            "description": "Trop long", "citizen": {"name": "Nadia Test", "phone": "+33 6 11 22 33 44"},
            "articles": [{"slug": SLUG, "lang": "fr", "version": 1}]}
    body.update(over)
    return body


def identity(t, rows, what):
    for x in rows:
        t.eq(x["backlog_end"], x["backlog_start"] + x["opened"] + x["reopened"] - x["resolved"] - x["merged"],
             f"backlog identity of {what} {x['key']!r}")


def test_case_figures_and_procedures(t):
    start = int(time.time()) - 2
    s = t.login("supervisor")
    a = t.login("agent")
    made = a.post("/api/v1/cases", case())
    t.status(made, 201, None, "a complaint linked to the article")
    ref, pin = made.json["reference"], made.json["pin"]
    t.status(a.post("/api/v1/cases", case(type="suggestion", category="legalisation", articles=[])), 201, None, "a suggestion")
    t.status(s.patch(f"/api/v1/cases/{ref}", {"status": "resolved"}), 200, None, "the complaint resolved")
    t.status(t.client().post("/api/v1/portal/rate", {"reference": ref, "pin": pin, "rating": 2}), 204, None, "rated 2")

    r = s.get(f"/api/v1/stats/cases?{period(start)}")
    t.status(r, 200, None, "case figures")
    (row,) = r.json["rows"]
    t.eq((row["opened"], row["complaints"], row["suggestions"], row["resolved"]), (2, 1, 1, 1), "opened and resolved")
    t.eq((row["rated"], row["csat_average"], row["csat_share_4_5"], row["rated_low"]), (1, 2.0, 0.0, 1), "the rating summed")
    t.eq(row["first_answered"], 1, "the resolved one was answered")
    identity(t, r.json["rows"], "total")
    for by in ("category", "type", "consulate", "procedure", "day"):
        r = s.get(f"/api/v1/stats/cases?{period(start)}&by={by}")
        t.status(r, 200, None, f"by {by}")
        identity(t, r.json["rows"], by)
        t.eq(sum(x["opened"] for x in r.json["rows"]), 2, f"every case opened once by {by}")
    rows = {x["key"]: x for x in s.get(f"/api/v1/stats/cases?{period(start)}&by=category").json["rows"]}
    t.eq((rows["passport"]["complaints"], rows["legalisation"]["suggestions"]), (1, 1), "complaints and suggestions by theme")

    r = s.get(f"/api/v1/stats/procedures?{period(start)}")
    t.status(r, 200, None, "where procedures hurt")
    p = next(x for x in r.json["rows"] if x["kind"] == "article" and x["key"] == SLUG)
    t.eq((p["cases"], p["complaints"], p["rated_low"], p["score"]), (1, 1, 1, 2), "the article's complaint and poor rating")
    t.eq(p["link"], f"/api/v1/guide/articles/{SLUG}", "link to the article")
    t.eq([c["reference"] for c in p["sample_cases"]], [ref], "the sample case")
    t.true(r.json["rows"][0]["score"] >= r.json["rows"][-1]["score"], "worst first")
    t.eq([x["rank"] for x in r.json["rows"]], list(range(1, len(r.json["rows"]) + 1)), "ranked")
    t.status(s.get(p["sample_cases"][0]["link"]), 200, None, "the supervisor opens the sample case")
    audit = t.login("admin").get("/api/v1/audit?limit=50").json
    entries = audit.get("entries", audit.get("items", []))
    t.true(any(e.get("action") == "case.view" and ref in (e.get("object") or "") for e in entries),
           "opening the sample case is audited like any case read")


def test_contacts(t):
    start = int(time.time()) - 2
    s = t.login("supervisor")
    a = t.login("agent")
    before = s.get(f"/api/v1/stats/contacts?{period(start)}").json
    t.status(a.get("/api/v1/guide/search?q=zqxjwvk&lang=fr"), 200, None, "a search that finds nothing")
    ref = a.post("/api/v1/cases", case()).json["reference"]
    for n in (1, 2):  # the same caller about the same case, twice
        body = {"disposition": "case_followed_up", "reference": ref, "phone": "+33611223344", "language": "fr"}
        t.status(a.put(f"/api/v1/desk/calls/stats-test-{n}@wasl", body), 200, None, f"call {n} recorded")
    t.status(a.put("/api/v1/desk/calls/stats-test-3@wasl", {"disposition": "information_given", "language": "fr"}), 200)
    r = s.get(f"/api/v1/stats/contacts?{period(start)}&window=7")
    t.status(r, 200, None, "contact figures")
    f = r.json["first_contact_resolution"]
    t.eq((f["contacts"], f["repeated"], f["pending"], f["unknown_caller"], f["resolved"]), (3, 1, 1, 1, 0),
         "the first call came back; the second's week is not over; the third has no number")
    t.eq(f["rate"], 0.0, "one repeat, nothing resolved yet: 0")
    g, g0 = r.json["guide_searches"], before["guide_searches"]
    t.eq((g["searches"] - g0["searches"], g["no_answer"] - g0["no_answer"]), (1, 1), "the search with no answer counted")
    t.true(any(x["lang"] == "fr" and x["no_answer"] >= 1 for x in g["rows"]), f"by language and day {g['rows']}")
    t.eq(r.json["callbacks"]["requested"], before["callbacks"]["requested"], "no callback asked (no telephony here)")


def test_scorecard_visible_to_the_agent_themself(t):
    admin = t.login("admin")
    users = {u["login"]: u["id"] for u in admin.get("/api/v1/users").json["users"]}
    a = t.login("agent")
    r = a.get(f"/api/v1/stats/agents/{users['agent']}/scorecard")
    t.status(r, 200, None, "the agent's own card")
    for k in ("handled", "aht_s", "queue_aht_s", "pause_s", "occupancy", "rings_unanswered", "transfers", "csat_average"):
        t.true(k in r.json, f"{k} in the card")
    t.status(a.get(f"/api/v1/stats/agents/{users['supervisor']}/scorecard"), 403, "stats.forbidden", "another's card")
    t.status(t.login("supervisor").get(f"/api/v1/stats/agents/{users['agent']}/scorecard"), 200, None, "the supervisor's view")
    t.status(t.login("editor").get(f"/api/v1/stats/agents/{users['agent']}/scorecard"), 403, None, "an editor: no")
    t.status(t.login("supervisor").get("/api/v1/stats/agents/999999/scorecard"), 404, None, "no such user")
    t.status(t.login("supervisor").get("/api/v1/stats/agents/x1/scorecard"), 400, None, "not an id")


def test_bad_questions(t):
    s = t.login("supervisor")
    t.status(s.get("/api/v1/stats/cases?by=planet"), 400, "stats.invalid_slice", "unknown slice")
    t.status(s.get("/api/v1/stats/cases?from=2026-12-02T10:00:00Z&to=2026-12-01T10:00:00Z"), 400, "stats.invalid_period")
    t.status(s.get("/api/v1/stats/cases?from=2026-01-01T00:00:00Z&to=2026-12-01T00:00:00Z"), 400, "stats.period_too_long")
    t.status(s.get("/api/v1/stats/contacts?window=0"), 400, None, "window 0")
    t.status(s.get("/api/v1/stats/procedures?limit=5000"), 400, None, "limit too large")
    t.status(t.login("agent").get("/api/v1/stats/cases"), 403, None, "agents do not read the center's case figures")
    t.status(t.login("agent").get("/api/v1/stats/procedures"), 403, None, "nor the procedures")


def _mails_to(address, n, timeout=20):
    return _sink.mails_to(address, n, timeout)


def test_daily_summary_mailed_once_in_each_language(t):
    fr = _mails_to("chef.fr@consulat.example", 1)
    ar = _mails_to("chef.ar@consulat.example", 1)
    t.eq(len(fr), 1, "the French supervisor's summary")
    t.eq(len(ar), 1, "the Arabic supervisor's summary")
    today = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=1))).strftime("%Y-%m-%d")
    t.true(fr[0][0].startswith("Centre d'appel - bilan du "), f"French subject {fr[0][0]}")
    t.true("Niveau de service" in fr[0][1] and "Dossiers" in fr[0][1], "French body")
    t.true("{" not in fr[0][1], "every placeholder filled")
    t.true(ar[0][0].startswith("مركز الاتصال"), f"Arabic subject {ar[0][0]}")
    t.true("مستوى الخدمة" in ar[0][1], "Arabic body")
    t.true(today in fr[0][0] or today[:8] in fr[0][0], f"the day {today} in {fr[0][0]}")
    # A later round of the worker: a citizen's filing is acknowledged by mail
    # through the same outbox; once it has arrived, the rounds since sent no
    # second summary.
    r = t.client().post("/api/v1/portal/cases", {"type": "suggestion", "category": "passport", "language": "fr",
                                                 "subject": "Horaires", "description": "Ouvrir le samedi",
                                                 "citizen": {"email": "later.round@example.org"}})
    t.status(r, 201, None, "a filing")
    t.eq(len(_mails_to("later.round@example.org", 1)), 1, "a later round's mail arrived")
    t.eq(len(_mails_to("chef.fr@consulat.example", 1, timeout=0)), 1, "once a day, not once a round")
    t.eq(len(_mails_to("chef.ar@consulat.example", 1, timeout=0)), 1, "once a day (Arabic)")
