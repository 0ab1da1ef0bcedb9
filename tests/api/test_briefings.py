"""Guide briefings over HTTP: an amendment published -> pending for the agents
who take calls in its language only (not a German-only agent, not a
supervisor without a phone, not a disabled agent) -> answered and
acknowledged (audited); the supervisors' list with the time to 90 %
briefed; a later amendment superseding a pending briefing (the newest, with
the diff from the version the agent last read); the check a quality review
makes; roles and bad input."""
import time

PASSWORD = "Briefing-pass-2026"
# The demo's users with a phone taking French calls, besides those made here;
# the demo supervisor has one too, but publishes the amendments (not briefed).
DEMO_FR = ["Demo Agent"]


def user(t, a, login, role, languages=None):
    """A user with a password of their own and, given languages, a SIP account."""
    r = a.post("/api/v1/users", {"login": login, "display_name": login.capitalize(), "role": role})
    t.eq(r.status, 201, f"user {login}: {r}")
    uid = r.json["user"]["id"] if "user" in r.json else r.json["id"]
    c = t.client()
    t.eq(c.login(login, r.json["temporary_password"]).status, 201, f"{login} logs in")
    t.eq(c.post("/api/v1/me/password", {"current_password": r.json["temporary_password"], "new_password": PASSWORD}).status,
         204, f"{login} sets a password")
    if languages:
        t.status(a.put(f"/api/v1/users/{uid}/sip", {"sip_user": f"{login}-phone", "password": "Sip-secret-2026",
                                                     "languages": languages}), 200, None, f"{login}'s phone")
    c = t.client()
    t.eq(c.login(login, PASSWORD).status, 201, f"{login} logs in again")
    return uid, c


def amend(t, slug, lang, change, questions=None, effective_on=None):
    """An editor writes a new version of slug in lang from the one in force,
    the supervisor publishes it (with the questions); returns the version."""
    e = t.login("editor")
    s = t.login("supervisor")
    cur = e.get(f"/api/v1/guide/articles/{slug}?lang={lang}").json["text"]
    v = {k: cur[k] for k in ("title", "summary", "documents", "fees", "processing_time", "where_to_apply", "source",
                             "checked_on", "confidence")}
    v["body"] = cur["body"]
    change(v)
    v["lang"] = lang
    v["reason"] = "Nouveau tarif"
    r = e.post(f"/api/v1/guide/articles/{slug}/versions", v)
    t.eq(r.status, 201, f"draft: {r}")
    vid = r.json["id"]
    t.status(e.post(f"/api/v1/guide/versions/{vid}/submit"), 200, None, "submitted")
    body = {}
    if questions is not None:
        body["questions"] = questions
    if effective_on:
        body["effective_on"] = effective_on
    r = s.post(f"/api/v1/guide/versions/{vid}/approve", body)
    return r, r.json.get("version") if r.status == 200 else None


def test_amendment_pending_for_the_right_agents_then_acknowledged(t):
    a = t.login("admin")
    fr_id, fr = user(t, a, "amina", "agent", "fr:5 ar")
    de_id, de = user(t, a, "dieter", "agent", "de")
    off_id, off = user(t, a, "fatima", "agent", "fr")
    _, boss = user(t, a, "chef", "supervisor")
    t.status(a.patch(f"/api/v1/users/{off_id}", {"disabled": True}), 200, None, "fatima disabled")
    sup = t.login("supervisor")

    t.eq(fr.get("/api/v1/me/briefings").json["pending"], 0, "nothing pending at first")
    questions = [{"question": "Quel est le nouveau tarif du passeport adulte ?", "choices": ["860 MAD", "990 MAD"], "answer": 1},
                 {"question": "Depuis quand ?", "answer": "Dès la publication"}]

    def fee(v):
        v["fees"][0]["amount"] = 990
        v["body"] = v["body"].replace("\n", "\nLe tarif passe à 990 dirhams.\n", 1)

    r, version = amend(t, "passport-adult", "fr", fee, questions)
    t.status(r, 200, None, f"published with questions: {r}")

    # Pending for the French-speaking agent (and the demo agent, French too), not the others.
    mine = fr.get("/api/v1/me/briefings").json
    t.eq(mine["pending"], 1, "pending for the French-speaking agent")
    b = mine["briefings"][0]
    t.eq((b["slug"], b["lang"], b["version"], b["from_version"]), ("passport-adult", "fr", version, version - 1), "which amendment")
    t.true(b["effective_on"], "since when it applies")
    t.true("answer" not in str(b["questions"]), f"the agent is not shown the answers: {b['questions']}")
    t.eq([q["kind"] for q in b["questions"]], ["choice", "text"], "the two questions")
    fields = {f["field"]: f["segments"] for f in b["diff"]["fields"]}
    t.true("fees" in fields and "body" in fields, f"fees and body changed: {list(fields)}")
    t.true(["-", "860"] in fields["fees"] and ["+", "990"] in fields["fees"], f"the fee, word by word: {fields['fees']}")
    t.true(any(op == "+" and "990 dirhams" in s for op, s in fields["body"]), "the added sentence")
    t.eq(de.get("/api/v1/me/briefings").json["pending"], 0, "nothing for the German-only agent")
    t.eq(boss.get("/api/v1/me/briefings").json["pending"], 0, "nothing for a supervisor without a phone")
    t.status(de.post(f"/api/v1/me/briefings/{b['id']}/acknowledge", {"answers": [1, "x"]}), 404, "brief.not_found",
             "the German-only agent cannot acknowledge it")

    lst = sup.get("/api/v1/briefings").json["briefings"]
    row = next(x for x in lst if x["id"] == b["id"])
    concerned = row["concerned"]
    t.true(concerned >= 1, f"concerned: {row}")
    t.eq((row["acknowledged"], row["pending"], row["seconds_to_90_percent"]), (0, concerned, None), "nobody briefed yet")
    detail = sup.get(f"/api/v1/briefings/{b['id']}").json
    ids = {x["user_id"] for x in detail["agents"]}
    t.true(fr_id in ids and de_id not in ids and off_id not in ids, f"the agents concerned: {detail['agents']}")

    # Answers: a wrong choice is refused and counted; a missing answer is not an acknowledgement.
    url = f"/api/v1/me/briefings/{b['id']}/acknowledge"
    r = fr.post(url, {"answers": [0, "Dès la publication"]})
    t.status(r, 400, "brief.wrong_answer", "wrong choice")
    t.eq(r.json["error"].get("field"), "answers[0]", "the question is named")
    t.status(fr.post(url, {"answers": [1]}), 400, "brief.invalid_answers", "one answer missing")
    t.status(fr.post(url, {"answers": [1, ""]}), 400, "brief.invalid_answers", "empty written answer")
    r = fr.post(url, {"answers": [1, "Dès la publication"]})
    t.status(r, 200, None, "acknowledged")
    t.eq(r.json["questions"][1]["answer"], "Dès la publication", "the expected answer shown after")
    t.status(fr.post(url, {"answers": [1, "x"]}), 409, "brief.not_pending", "only once")
    t.eq(fr.get("/api/v1/me/briefings").json["pending"], 0, "no longer pending")

    detail = sup.get(f"/api/v1/briefings/{b['id']}").json
    me = next(x for x in detail["agents"] if x["user_id"] == fr_id)
    t.eq((me["state"], me["wrong_tries"], me["answers"]), ("acknowledged", 1, [1, "Dès la publication"]), "recorded")
    t.true(me["acknowledged_at"], "with its time")
    t.eq(me["display_name"], "Amina", "named")
    audit = a.get("/api/v1/audit?limit=50").json["entries"]
    t.true(any(e["action"] == "brief.acknowledge" and e["object"] == f"briefing:{b['id']}" for e in audit),
           "the acknowledgement is in the audit trail")
    t.true(any(e["action"] == "brief.create" for e in audit), "so is the briefing")

    # Everyone concerned acknowledges: the time to 90 % is known.
    t.eq(sorted(x["display_name"] for x in detail["agents"] if x["user_id"] != fr_id), DEMO_FR, "the demo's French agents")
    for login in ("agent",):
        c = t.login(login)
        t.status(c.post(url, {"answers": [1, "À la publication"]}), 200, None, f"{login} acknowledges")
    row = next(x for x in sup.get("/api/v1/briefings").json["briefings"] if x["id"] == b["id"])
    t.eq((row["acknowledged"], row["pending"]), (concerned, 0), "all briefed")
    t.true(isinstance(row["seconds_to_90_percent"], int) and row["seconds_to_90_percent"] >= 0, f"time to 90 %: {row}")

    # Roles: agents do not read the supervisors' list.
    t.status(fr.get("/api/v1/briefings"), 403, None, "agent: no list")
    t.status(fr.get(f"/api/v1/briefings/{b['id']}"), 403, None, "agent: no detail")
    t.status(sup.get("/api/v1/briefings/999999"), 404, "brief.not_found", "unknown briefing")


def test_later_amendment_supersedes_a_pending_one(t):
    a = t.login("admin")
    _, fr = user(t, a, "yasmine", "agent", "fr")
    _, early = user(t, a, "karim", "agent", "fr")
    sup = t.login("supervisor")
    base = fr.get("/api/v1/guide/articles/passport-minor?lang=fr").json["text"]["version"]

    r, v2 = amend(t, "passport-minor", "fr", lambda v: v.update(summary=v["summary"] + " Première modification."))
    t.status(r, 200, None, "first amendment")
    first = fr.get("/api/v1/me/briefings").json["briefings"][0]
    # karim reads the first one before the second comes
    t.status(early.post(f"/api/v1/me/briefings/{first['id']}/acknowledge", {}), 200, None, "karim acknowledges v2")

    r, v3 = amend(t, "passport-minor", "fr", lambda v: v.update(summary=v["summary"] + " Seconde modification."))
    t.status(r, 200, None, "second amendment")
    mine = fr.get("/api/v1/me/briefings").json
    t.eq(mine["pending"], 1, "one briefing pending, not two")
    b = mine["briefings"][0]
    t.eq((b["version"], b["from_version"], b["diff"]["from"], b["diff"]["to"]), (v3, base, base, v3),
         "the newest, with the diff from the last version read")
    added = "".join(s for op, s in b["diff"]["fields"][0]["segments"] if op == "+")
    t.true("Première" in added and "Seconde" in added, f"both changes in one diff: {added}")
    kb = early.get("/api/v1/me/briefings").json["briefings"]
    t.eq((len(kb), kb[0]["from_version"]), (1, v2), "karim reads only the second change")
    added = "".join(s for op, s in kb[0]["diff"]["fields"][0]["segments"] if op == "+")
    t.true("Seconde" in added and "Première" not in added, f"without the first one again: {added}")

    t.status(fr.post(f"/api/v1/me/briefings/{first['id']}/acknowledge", {}), 409, "brief.not_pending",
             "the superseded one cannot be acknowledged on its own")
    t.status(fr.post(f"/api/v1/me/briefings/{b['id']}/acknowledge", {}), 200, None, "the newest acknowledged")
    old = sup.get(f"/api/v1/briefings/{first['id']}").json
    row = next(x for x in old["agents"] if x["login"] == "yasmine") if "login" in old["agents"][0] else \
        next(x for x in old["agents"] if x["display_name"] == "Yasmine")
    t.eq((row["state"], row["via_version"]), ("acknowledged", v3), "the first amendment counts as read through the second")
    t.eq(old["superseded_by_version"], v3, "the list says which version superseded it")

    # A quality review's check: v2 used after v3 took effect is superseded.
    uid = fr.get("/api/v1/session").json["user"]["id"]
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 1))
    chk = sup.get(f"/api/v1/briefings/check?slug=passport-minor&lang=fr&user={uid}&version={v2}&at={now}").json
    t.eq((chk["current"], chk["superseded"], chk["amendment"], chk["concerned"], chk["briefed"]), (v3, True, True, True, True),
         f"the review's check: {chk}")
    before = "2020-01-01T00:00:00Z"
    chk = sup.get(f"/api/v1/briefings/check?slug=passport-minor&lang=fr&user={uid}&version={v2}&at={before}").json
    t.eq((chk["current"], chk["superseded"], chk["briefed"]), (0, False, False), f"nothing current in 2020: {chk}")
    t.status(sup.get("/api/v1/briefings/check?slug=passport-minor"), 400, "request.missing_parameter", "lang needed")
    t.status(fr.get(f"/api/v1/briefings/check?slug=passport-minor&lang=fr&user={uid}"), 403, None, "agents cannot")


def test_questions_checked_at_publication(t):
    r, _ = amend(t, "passport-adult", "de", lambda v: v.update(summary=v["summary"] + " Neu."),
                 [{"question": "Frage?", "choices": ["a"], "answer": 0}])
    t.status(r, 400, "brief.invalid_questions", "a choice alone is refused")
    t.eq(r.json["error"].get("field"), "questions[0].choices", "the field is named")
    # Nothing was published: the version is still under review.
    e = t.login("editor")
    t.eq(e.get("/api/v1/guide/review").json["versions"][-1]["status"], "review", "still under review")
    r, _ = amend(t, "passport-adult", "it", lambda v: v.update(summary=v["summary"] + " Nuovo."),
                 [{"question": "x" * 301, "answer": "y"}])
    t.status(r, 400, "brief.invalid_questions", "a question over 300 bytes")
    r, _ = amend(t, "passport-adult", "nl", lambda v: v.update(summary=v["summary"] + " Nieuw."),
                 [{"question": "q", "answer": "a"}] * 4)
    t.status(r, 400, "request.invalid_field", "four questions")
    # Without questions an amendment is still briefed.
    r, v = amend(t, "passport-adult", "es", lambda x: x.update(summary=x["summary"] + " Nuevo."))
    t.status(r, 200, None, "published without questions")
    sup = t.login("supervisor")
    row = next(x for x in sup.get("/api/v1/briefings?lang=es").json["briefings"] if x["version"] == v)
    t.eq(row["slug"], "passport-adult", "briefed without questions")
    t.status(sup.get("/api/v1/briefings?lang=xx"), 400, "request.invalid_parameter", "unknown language")
