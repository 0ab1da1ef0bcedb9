"""Quality reviews over HTTP, on calls really made: the demo agent's phone
(tests/sip/sipua.py) registers and answers three recorded calls from a
carrier; the agent records what each was about (disposition, a guide article
consulted with its version, a case). Then: the forms, the filters reviewers
pick calls with (agent, queue, disposition, longer than, low rating, article
amended since), the weekly sample (the same for two reviewers), scoring
(N/A, critical questions, named errors), the agent's view and
acknowledgement (audited, once), calibration between two reviewers, and the
retention: reviews outlive the recording by quality.review_retention and go
in the recordings' purge."""
import json
import os
import random
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests", "sip"))
import sipua  # noqa: E402
import harness  # noqa: E402
from harness import free_port, wait_until  # noqa: E402

FLOW = {"start": "arabic", "nodes": {
    "arabic": {"type": "set_language", "language": "ar", "next": "agent"},
    "agent": {"type": "enqueue", "on_timeout": "bye"},
    "bye": {"type": "hangup"}}}
_flow = tempfile.NamedTemporaryFile("w", suffix=".json", prefix="wasl-quality-flow-", delete=False)
json.dump(FLOW, _flow)
_flow.close()
_prompts = tempfile.mkdtemp(prefix="wasl-quality-prompts-")
_rtp = random.randrange(41000, 59000, 2)
SIP_PORT = free_port()
SETTINGS = {"sip.enabled": "true", "sip.port": str(SIP_PORT), "sip.tcp": "false",
            "sip.rtp_min": str(_rtp), "sip.rtp_max": str(_rtp + 200), "sip.recording": "true", "sip.recording_dir": "rec",
            "sip.prompts_dir": _prompts, "sip.flow": _flow.name, "sip.wrap_up": "0s", "cases.demo_cases": "0",
            "cases.portal_per_hour": "50"}
DID = "+33800100200"
CALLS = []  # the three calls, as /api/v1/quality/calls lists them
TRIED = []


def make_calls(t):
    """Three answered, recorded calls of the demo agent, made once per file."""
    if CALLS:
        return CALLS
    if TRIED:
        raise harness.Skip("the calls could not be made (see the first test)")
    TRIED.append(1)
    a = t.login("agent")
    phone = sipua.UA("127.0.0.1", ("127.0.0.1", SIP_PORT), user="agent", password="agent-phone-2026", name="phone",
                     mode="answer", answer_delay=0.1)
    try:
        t.eq(phone.register()[-1:], [200], "the agent's phone registers")
        t.true(wait_until(lambda: a.get("/api/v1/me/phone").json.get("registered"), 10), "registered")
        t.true(a.put("/api/v1/me/state", {"state": "available"}).status in (200, 202), "available")
        for talk in (0.6, 2.6, 1.2):
            caller = sipua.UA("127.0.0.1", ("127.0.0.1", SIP_PORT), user="trunk", name="caller")
            try:
                t.eq(caller.call(DID, caller="+33612345678", timeout=10), 200, "the IVR answers")
                state = lambda: a.get("/api/v1/me/phone").json.get("state")  # noqa: E731
                t.true(wait_until(lambda: state() == "busy", 10), f"the agent takes the call ({state()})")
                time.sleep(talk)  # the talk itself: its length is what the filter reads
                t.eq(caller.bye(), 200, "the caller hangs up")
            finally:
                caller.close()
            t.true(wait_until(lambda: state() == "available", 10), "the agent is free again")
    finally:
        phone.close()
    s = t.login("supervisor")
    rows = wait_until(lambda: [c for c in s.get("/api/v1/quality/calls?recorded=1").json["items"]], 15)
    t.eq(len(rows), 3, f"three recorded calls to review: {rows}")
    for row in sorted(rows, key=lambda c: c["id"]):
        CALLS.append(row)
    return CALLS


def test_forms_are_listed_with_every_language(t):
    s = t.login("supervisor")
    r = s.get("/api/v1/quality/forms")
    t.status(r, 200)
    f = r.json["items"][0]
    t.eq((f["id"], f["version"]), ("consular-call", 1), "the default form")
    qs = {q["id"]: q for sec in f["sections"] for q in sec["questions"]}
    t.eq(qs["identity_before_data"]["critical"], "form", "identity is critical for the whole review")
    t.eq(qs["deadline_given"]["critical"], "section", "the deadline zeroes its section")
    t.true(qs["current_version"]["na"] and not qs["greeting_language"]["na"], "N/A where allowed only")
    t.eq(sorted(qs["greeting_language"]["text"]), sorted(["ar", "fr", "es", "it", "nl", "de", "en"]), "seven languages")
    t.status(t.login("agent").get("/api/v1/quality/forms"), 403, None, "not for agents")
    t.status(t.login("agent").get("/api/v1/quality/calls"), 403, None, "agents do not pick calls")


def test_filters_pick_calls(t):
    calls = make_calls(t)
    a, s, e = t.login("agent"), t.login("supervisor"), t.login("editor")
    # what the agent recorded: an article consulted on the first two calls, a case on the third
    pub = t.client()
    f = pub.post("/api/v1/portal/cases", {"type": "suggestion", "category": "fees-appointments", "language": "es",
                                          "country": "ES", "subject": "Cita", "description": "Más citas, por favor.",
                                          "fields": {}, "citizen": {"name": "Ana Ruiz", "email": "ana@example.org"}})
    t.status(f, 201, None, "a portal case")
    ref, pin = f.json["reference"], f.json["pin"]
    v = a.get("/api/v1/guide/articles/passport-lost?lang=fr").json["text"]["version"]
    art = [{"slug": "passport-lost", "lang": "fr", "version": v}]
    for c, body in zip(calls, [{"disposition": "information_given", "articles": art},
                               {"disposition": "information_given", "articles": art},
                               {"disposition": "case_followed_up", "reference": ref}]):
        t.status(a.put(f"/api/v1/desk/calls/{c['id']}", body), 200, None, f"call {c['id']} recorded")
    ids = lambda q: sorted(c["id"] for c in s.get("/api/v1/quality/calls?" + q).json["items"])  # noqa: E731
    agent_id = a.get("/api/v1/session").json["user"]["id"]
    every = sorted(c["id"] for c in calls)
    t.eq(ids(f"agent={agent_id}"), every, "by agent")
    t.eq(ids("agent=999999"), [], "another agent: none")
    t.eq(ids("queue=ar"), every, "by queue")
    t.eq(ids("queue=fr"), [], "a queue they never joined")
    t.eq(ids("disposition=case_followed_up"), [calls[2]["id"]], "by disposition")
    t.eq(ids("longer_than=2"), [calls[1]["id"]], "talk longer than 2 s")
    t.eq(ids("low_csat=1"), [], "no low rating yet")
    a.patch(f"/api/v1/cases/{ref}", {"status": "resolved"})
    t.status(pub.post("/api/v1/portal/rate", {"reference": ref, "pin": pin, "rating": 1}), 204, None, "rated 1 of 5")
    t.eq(ids("low_csat=1"), [calls[2]["id"]], "the call whose case was rated low")
    t.eq(ids("amended=1"), [], "nothing amended yet")
    row = s.get(f"/api/v1/quality/calls/{calls[0]['id']}").json["call"]
    t.eq((row["articles"], row["amended"], row["queue"]), ([dict(art[0], in_force=v)], False, "ar"),
         "the call's articles with the version in force, its queue")
    # the editor amends the article the agent answered from; the supervisor publishes it today
    r = e.post("/api/v1/guide/articles/passport-lost/versions",
               {"lang": "fr", "title": "Passeport perdu", "summary": "Nouveau délai.", "body": "## Étapes\n\n1. Déclarer la perte.\n",
                "documents": ["CNIE"], "fees": [], "processing_time": "10 jours", "where_to_apply": "Tout consulat",
                "source": "consulat.ma", "checked_on": "2026-11-20", "confidence": "S", "reason": "Délai raccourci"})
    t.status(r, 201, None, "amendment drafted")
    e.post(f"/api/v1/guide/versions/{r.json['id']}/submit")
    t.status(s.post(f"/api/v1/guide/versions/{r.json['id']}/approve", {}), 200, None, "published")
    t.eq(ids("amended=1"), every[:2], "calls answered from the superseded version")
    row = s.get(f"/api/v1/quality/calls/{calls[0]['id']}").json["call"]
    t.true(row["amended"] and row["articles"][0]["in_force"] == v + 1, f"flagged on the call: {row['articles']}")
    for bad in ("from=yesterday", "agent=x", "longer_than=0", "from=2026-01-01T00:00:00Z&to=2026-12-01T00:00:00Z"):
        t.status(s.get("/api/v1/quality/calls?" + bad), 400, None, bad)


def answers(**over):
    a = {"greeting_language": "yes", "identity_before_data": "yes", "right_article": "yes", "current_version": "yes",
         "deadline_given": "yes", "case_opened": "na", "closing": 2}
    a.update(over)
    return a


def test_scoring_rules_and_named_errors(t):
    calls = make_calls(t)
    s = t.login("supervisor")
    c = calls[0]["id"]
    r = s.post("/api/v1/quality/reviews", {"call": c, "answers": answers(), "comment": "Très bien."})
    t.status(r, 201, None, "scored")
    t.eq((r.json["score"], r.json["failed"], r.json["form"]), (100.0, False, {"id": "consular-call", "version": 1}),
         "all yes, case N/A: 100")
    t.eq([x["score"] for x in r.json["sections"] if x["id"] == "case"], [None], "the N/A section left out")
    # closing 1 of 2: closing section 50 %, weight 10 of 90 scored -> 100 - 5/90*100
    r = s.post("/api/v1/quality/reviews", {"call": c, "answers": answers(closing=1)})
    t.eq(r.json["score"], round(100 - 500 / 90, 1), "half the closing")
    # the deadline wrong zeroes the answer section (45 of 90)
    r = s.post("/api/v1/quality/reviews", {"call": c, "answers": answers(deadline_given="no")})
    t.eq((r.json["score"], r.json["raw"]), (50.0, round(100 - 45 * 0.4 / 90 * 100, 1)), "section critical: answer section 0")
    # identity not checked: the review is 0, the raw score stays for comparing questions
    r = s.post("/api/v1/quality/reviews", {"call": c, "answers": answers(identity_before_data="no")})
    t.eq((r.json["score"], r.json["failed"]), (0.0, True), "form critical: 0")
    t.true(r.json["raw"] > 70, f"raw {r.json['raw']}")
    for bad, code, field in [(answers(greeting_language="na"), "quality.na_not_allowed", "greeting_language"),
                             (answers(closing=3), "quality.invalid_answer", "closing"),
                             (answers(nosuch="yes"), "quality.unknown_question", "answers"),
                             ({k: v for k, v in answers().items() if k != "closing"}, "quality.unanswered", "closing")]:
        r = s.post("/api/v1/quality/reviews", {"call": c, "answers": bad})
        t.status(r, 400, code, code)
        t.eq(r.json["error"].get("field"), field, f"{code} names {field}")
    t.status(s.post("/api/v1/quality/reviews", {"call": 999999, "answers": answers()}), 404, "quality.call_not_found")
    t.status(s.post("/api/v1/quality/reviews", {"call": c, "form": "nosuch", "answers": answers()}), 404,
             "quality.form_not_found")
    t.status(t.login("agent").post("/api/v1/quality/reviews", {"call": c, "answers": answers()}), 403, None,
             "an agent does not review")
    audit = t.login("admin").get("/api/v1/audit?action=quality.review_saved").json
    t.true(any(e["object"] == f"call:{c}" for e in audit["entries"]), "saving is audited")


def test_agent_sees_comments_and_acknowledges_once(t):
    calls = make_calls(t)
    s, a, adm = t.login("supervisor"), t.login("agent"), t.login("admin")
    c = calls[1]["id"]
    rid = s.post("/api/v1/quality/reviews", {"call": c, "answers": answers(), "comment": "Pensez au délai."}).json["id"]
    cal = adm.post("/api/v1/quality/reviews", {"call": c, "answers": answers(closing=0), "calibration": True}).json["id"]
    mine = a.get("/api/v1/quality/reviews").json["items"]
    t.true(rid in [x["id"] for x in mine], "the agent sees the review")
    t.true(cal not in [x["id"] for x in mine], "not the calibration one")
    t.status(a.get(f"/api/v1/quality/reviews/{cal}"), 404, "quality.review_not_found", "nor by its id")
    t.status(a.get("/api/v1/quality/reviews?agent=1"), 403, "quality.forbidden", "nor another agent's")
    one = a.get(f"/api/v1/quality/reviews/{rid}").json
    t.eq((one["comment"], one["form_definition"]["version"], one["acknowledged"]), ("Pensez au délai.", 1, False), "as scored")
    t.status(a.post(f"/api/v1/quality/reviews/{cal}/acknowledge", {}), 404, None, "a calibration is not acknowledged")
    t.status(s.post(f"/api/v1/quality/reviews/{rid}/acknowledge", {}), 404, "quality.review_not_found",
             "only the agent acknowledges")
    r = a.post(f"/api/v1/quality/reviews/{rid}/acknowledge", {"comment": "Compris, merci."})
    t.status(r, 200)
    t.eq((r.json["acknowledged"], r.json["agent_comment"]), (True, "Compris, merci."), "acknowledged with a comment")
    t.status(a.post(f"/api/v1/quality/reviews/{rid}/acknowledge", {}), 409, "quality.already_acknowledged", "once")
    t.status(s.post("/api/v1/quality/reviews", {"call": c, "answers": answers(closing=0)}), 409, "quality.acknowledged",
             "no rescoring behind the agent's back")
    audit = adm.get("/api/v1/audit?action=quality.review_acknowledged").json["entries"]
    t.true(any(e["object"] == f"review:{rid}" and e["actor"] == "agent" for e in audit), "acknowledgement audited")


def test_calibration_spread(t):
    calls = make_calls(t)
    s, adm = t.login("supervisor"), t.login("admin")
    c = calls[2]["id"]
    t.status(s.get(f"/api/v1/quality/calls/{c}/calibration"), 404, "quality.no_reviews", "nothing to compare yet")
    s.post("/api/v1/quality/reviews", {"call": c, "answers": answers(case_opened="yes"), "calibration": True})
    adm.post("/api/v1/quality/reviews", {"call": c, "answers": answers(case_opened="no", closing=1), "calibration": True})
    r = s.get(f"/api/v1/quality/calls/{c}/calibration")
    t.status(r, 200)
    scores = sorted(x["score"] for x in r.json["reviewers"])
    t.eq(len(scores), 2, "two reviewers")
    t.eq(round(r.json["total"]["spread"], 1), round(scores[1] - scores[0], 1), "spread = max - min")
    t.true(abs(r.json["total"]["sd"] - (scores[1] - scores[0]) / 2) < 0.06, f"sd of two: half the gap {r.json['total']}")
    q = {x["id"]: x for x in r.json["questions"]}
    t.eq((q["case_opened"]["gap"], q["closing"]["gap"], q["greeting_language"]["gap"]), (1.0, 0.5, 0.0), "gaps per question")
    t.eq(sorted(q["case_opened"]["values"]), ["no", "yes"], "each reviewer's answer")
    t.status(t.login("agent").get(f"/api/v1/quality/calls/{c}/calibration"), 403, None, "not for agents")


def test_weekly_sample_is_fair_and_shared(t):
    calls = make_calls(t)
    s, adm = t.login("supervisor"), t.login("admin")
    now = time.gmtime()
    week = time.strftime("%G-W%V", now)
    r1 = s.get(f"/api/v1/quality/sample?week={week}&per_agent=2")
    t.status(r1, 200)
    got = [c["id"] for c in r1.json["items"]]
    t.eq(len(got), 2, "two of the agent's three calls")
    t.true(set(got) <= {c["id"] for c in calls}, "from the week's calls")
    t.eq([c["id"] for c in adm.get(f"/api/v1/quality/sample?week={week}&per_agent=2").json["items"]], got,
         "the same sample for another reviewer")
    t.eq(len(s.get(f"/api/v1/quality/sample?week={week}&per_agent=5").json["items"]), 3, "all when fewer than asked")
    t.eq(s.get("/api/v1/quality/sample?week=2020-W01").json["items"], [], "another week: its own calls")
    for bad in ("2026-W54", "2026-49", "x", "2026-W00", "2021-W53"):
        t.status(s.get(f"/api/v1/quality/sample?week={bad}"), 400, "quality.invalid_week", bad)


def test_forms_checked_at_start(t):
    """A broken form file stops the server with its named error; a form
    version changed under the same number (reviews were scored with the
    old text) too."""
    src = os.path.join(TOP, "data", "quality", "forms", "consular-call.json")
    with open(src) as f:
        form = json.load(f)
    d = tempfile.mkdtemp(prefix="wasl-quality-forms-")

    def serve_with(text):
        with open(os.path.join(d, "consular-call.json"), "w") as f:
            f.write(text)
        return t.srv.cli("--set", f"quality.forms_dir={d}", "--set", "http.port=0", "--set", "sip.enabled=false", "serve")

    bad = json.loads(json.dumps(form))
    bad["sections"][1]["questions"][0]["critical"] = "everything"
    r = serve_with(json.dumps(bad))
    t.true(r.returncode != 0, "refused")
    t.true("consular-call.json: section 'identity', question 'identity_before_data': critical:" in r.stderr,
           f"the mistake named: {r.stderr[-400:]}")
    r = serve_with(json.dumps(form)[:-20])
    t.true(r.returncode != 0 and "consular-call.json:1:" in r.stderr, f"a syntax error with its line: {r.stderr[-300:]}")
    changed = json.loads(json.dumps(form))
    changed["sections"][0]["weight"] = 30
    r = serve_with(json.dumps(changed, ensure_ascii=False))
    t.true(r.returncode != 0 and "quality.form_version_changed" not in r.stderr and "version 1 differs" in r.stderr,
           f"a version's text changed under the same number: {r.stderr[-400:]}")


def test_reviews_outlive_the_recording_then_go(t):
    """Last: it restarts the server with its clock past both retentions."""
    calls = make_calls(t)
    s = t.login("supervisor")
    c = calls[0]["id"]
    t.true(s.get(f"/api/v1/quality/reviews?call={c}").json["items"], "reviewed")
    srv = t.srv
    srv.stop()
    srv.init = False
    # 100 days on: the recording (90 days) is gone, the review (90 + 365 days) stays
    srv.settings["clock.start"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 100 * 86400))
    srv.start()
    s = t.login("supervisor")
    wait_until(lambda: "recordings older than the retention deleted" in srv.log(), 10)
    t.status(s.get(f"/api/v1/tel/calls/{c}/recording"), 404, "tel.no_recording", "the recording is gone")
    t.true(s.get(f"/api/v1/quality/reviews?call={c}").json["items"], "the review outlives it")
    srv.stop()
    srv.settings["clock.start"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 460 * 86400))
    srv.start()
    s = t.login("supervisor")
    t.true(wait_until(lambda: not s.get(f"/api/v1/quality/reviews?call={c}").json["items"], 15),
           "gone once quality.review_retention after the recording passed")
    t.true("review(s) older than" in srv.log(), "the purge says so")
