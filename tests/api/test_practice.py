"""The practice line over HTTP, on both backends, with a real phone
(tests/sip/sipua.py): the scripts (answers hidden from trainees), a start
refused with a clear error (no phone; logged in to the queues) leaving a
failed session, a practice call answered and recorded (100 %, then a wrong
article scoring less), recording once and only by the trainee, the
sessions each role sees, and nothing in the cases, the call log or the
day's figures (docs/practice.md)."""
import os
import random
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests", "sip"))
import sipua  # noqa: E402
import harness  # noqa: E402
from harness import free_port, wait_until  # noqa: E402

SCRIPT = "fr-passeport-perdu-milan"
_prompts = tempfile.mkdtemp(prefix="wasl-practice-prompts-")
_src = os.path.join(TOP, "build", "prompts", "practice", SCRIPT)
if os.path.isdir(_src):
    shutil.copytree(_src, os.path.join(_prompts, "practice", SCRIPT))
_rtp = random.randrange(41000, 59000, 2)
SIP_PORT = free_port()
SETTINGS = {"sip.enabled": "true", "sip.port": str(SIP_PORT), "sip.tcp": "false",
            "sip.rtp_min": str(_rtp), "sip.rtp_max": str(_rtp + 200), "sip.prompts_dir": _prompts,
            "sip.wrap_up": "0s", "cases.demo_cases": "0"}


def _session(c, sid):
    return c.get(f"/api/v1/practice/sessions/{sid}").json


def test_practice_sessions(t):
    if not os.path.isdir(_src):
        raise harness.Skip("the practice lines are not generated (make prompts)")
    a, s = t.login("agent"), t.login("supervisor")
    mine = a.get("/api/v1/practice/scripts").json["items"]
    t.eq(len({x["language"] for x in mine}), 7, "scripts in seven languages")
    t.true(all("expected" not in x for x in mine), "no answers for the trainee")
    exp = {x["id"]: x for x in s.get("/api/v1/practice/scripts").json["items"]}[SCRIPT]["expected"]

    r = a.post("/api/v1/practice/sessions", {"script": SCRIPT})
    t.status(r, 409, "tel.phone_not_registered", "no phone: a clear refusal")
    failed = a.get("/api/v1/practice/sessions").json["items"][0]
    t.eq((failed["state"], failed["outcome"]), ("failed", "tel.phone_not_registered"), "the session says why")
    t.status(a.post("/api/v1/practice/sessions", {"script": "x" * 60}), 400, None, "a script id too long")
    t.status(a.post(f"/api/v1/practice/sessions/{failed['id']}/record", {"disposition": "case_opened"}), 409,
             "practice.not_answered", "nothing to score on a call that was not answered")

    cases0 = len(s.get("/api/v1/cases?limit=100").json.get("items", []))
    phone = sipua.UA("127.0.0.1", ("127.0.0.1", SIP_PORT), user="agent", password="agent-phone-2026", name="phone",
                     mode="answer", answer_delay=0.1)
    try:
        t.eq(phone.register()[-1:], [200], "the trainee's phone registers")
        t.true(wait_until(lambda: a.get("/api/v1/me/phone").json.get("registered"), 10), "registered")
        t.true(a.put("/api/v1/me/state", {"state": "available"}).status in (200, 202), "logged in to the queues")
        t.status(a.post("/api/v1/practice/sessions", {"script": SCRIPT}), 409, "practice.logged_in",
                 "no practice while in the queues")
        t.true(a.put("/api/v1/me/state", {"state": "offline"}).status in (200, 202), "logged out")
        results = []
        for articles in ([exp["article"]], ["passport-adult"]):
            r = a.post("/api/v1/practice/sessions", {"script": SCRIPT})
            t.status(r, 201, None, "a practice call")
            sid = r.json["id"]
            t.true(wait_until(lambda: _session(a, sid)["state"] == "answered", 10), "the phone answers")
            t.eq(phone.bye(), 200, "the trainee hangs up")
            t.true(wait_until(lambda: _session(a, sid)["state"] == "ended", 10), "ended")
            day = _session(a, sid)["started_at"][:10]
            import datetime
            due = (datetime.date.fromisoformat(day) + datetime.timedelta(days=exp["deadline_days"])).isoformat()
            body = {"disposition": "case_opened", "articles": articles,
                    "case": {"type": exp["case_type"], "category": exp["category"], "due_on": due}}
            t.status(s.post(f"/api/v1/practice/sessions/{sid}/record", body), 404, "practice.session_not_found",
                     "nobody records in the trainee's name")
            r = a.post(f"/api/v1/practice/sessions/{sid}/record", body)
            t.status(r, 200, None, "recorded")
            results.append(r.json["score"])
            t.status(a.post(f"/api/v1/practice/sessions/{sid}/record", body), 409, "practice.already_recorded", "once")
        t.eq(results[0], 100, "the expected answers: 100 %")
        t.true(results[1] < 100, f"a wrong article scores less: {results[1]}")
    finally:
        phone.close()
    items = s.get("/api/v1/practice/sessions").json["items"]
    t.eq([x["score"] for x in items[:2]], [results[1], 100], "the supervisor sees the trainee's results")
    t.eq(len(s.get("/api/v1/cases?limit=100").json.get("items", [])), cases0, "no case was opened")
    t.eq(s.get("/api/v1/tel/calls?limit=10").json.get("items", []), [], "the call log has no practice call")
