"""Telephony API that does not need the SIP listener (tests/sip has the
calls): SIP accounts are validated and audited, the emergency closure
reaches the calendar, and with sip.enabled = false the live routes say so
instead of failing."""


def agent_id(a):
    return {u["login"]: u for u in a.get("/api/v1/users").json["users"]}["agent"]["id"]


def test_sip_accounts(t):
    a = t.login("admin")
    uid = agent_id(a)
    bad = [
        ({"sip_user": "Agent One", "languages": "fr"}, "sip_user"),
        ({"sip_user": "", "languages": "fr"}, "sip_user"),
        ({"sip_user": "a" * 40, "languages": "fr"}, "sip_user"),
        ({"sip_user": "agent", "password": "short", "languages": "fr"}, "password"),
        ({"sip_user": "agent", "password": "long-enough-1", "languages": ""}, "languages"),
        ({"sip_user": "agent", "password": "long-enough-1", "languages": "fr pt"}, "languages"),
        ({"sip_user": "agent", "password": "long-enough-1", "languages": "french"}, "languages"),
    ]
    for body, field in bad:
        r = a.put(f"/api/v1/users/{uid}/sip", body)
        t.status(r, 400, None, f"sip account {body}")
        t.eq(r.json["error"].get("field"), field, f"field named for {body}")
    # The demo agent has a phone: languages change without a new password.
    r = a.put(f"/api/v1/users/{uid}/sip", {"sip_user": "agent", "languages": "fr ar nl"})
    t.status(r, 200, None, "languages changed")
    t.eq(r.json["password_changed"], False, "password kept")
    # Another user cannot take the same SIP name; a new account needs a password.
    sup = {u["login"]: u for u in a.get("/api/v1/users").json["users"]}["editor"]["id"]
    t.status(a.put(f"/api/v1/users/{sup}/sip", {"sip_user": "agent", "password": "long-enough-1", "languages": "fr"}), 409,
             "tel.sip_user_taken", "SIP name taken")
    t.status(a.put(f"/api/v1/users/{sup}/sip", {"sip_user": "editor-phone", "languages": "fr"}), 400, None,
             "a new account needs a password")
    t.status(a.put("/api/v1/users/999999/sip", {"sip_user": "ghost", "password": "long-enough-1", "languages": "fr"}), 404,
             None, "unknown user")
    # Only admins.
    t.status(t.login("supervisor").put(f"/api/v1/users/{uid}/sip", {"sip_user": "agent", "languages": "fr"}), 403, None,
             "supervisor cannot")
    entries = a.get("/api/v1/audit?action=user.sip_account").json
    items = entries.get("entries", entries.get("items", []))
    t.true(any(e.get("action") == "user.sip_account" for e in items), f"audited: {entries}")


def test_emergency_closure(t):
    a = t.login("admin")
    t.status(a.put("/api/v1/calendar/emergency", {"closed": True}), 400, None, "a reason is required")
    r = a.put("/api/v1/calendar/emergency", {"closed": True, "reason": "Coupure réseau"})
    t.status(r, 200, None, "closed")
    cal = t.client().get("/api/v1/calendar").json
    t.eq(cal["state"], "closed_emergency", "the calendar says so")
    t.eq(cal["emergency"]["reason"], "Coupure réseau", "with the reason")
    t.status(a.put("/api/v1/calendar/emergency", {"closed": False}), 200, None, "reopened")
    t.true(t.client().get("/api/v1/calendar").json["state"] != "closed_emergency", "no longer closed")
    t.status(t.login("supervisor").put("/api/v1/calendar/emergency", {"closed": False}), 403, None, "admins only")


def test_off_when_sip_disabled(t):
    ag = t.login("agent")
    t.status(ag.get("/api/v1/me/phone"), 409, "tel.not_running", "phone")
    t.status(ag.put("/api/v1/me/state", {"state": "available"}), 409, "tel.not_running", "state")
    t.status(ag.put("/api/v1/me/state", {"state": "dancing"}), 400, "tel.invalid_state", "state checked first")
    t.status(ag.get("/api/v1/stream"), 409, "tel.not_running", "no live events")
    sup = t.login("supervisor")
    t.status(sup.get("/api/v1/tel/status"), 409, "tel.not_running", "status")
    t.status(sup.get("/api/v1/tel/calls"), 200, None, "the call log is in the store")
    t.status(sup.get("/api/v1/tel/callbacks"), 200, None, "callbacks too")
    t.status(ag.get("/api/v1/tel/calls"), 403, None, "not for agents")
    # moving a waiting caller: supervisors only, the body checked, then the telephony asked
    t.status(ag.post("/api/v1/tel/calls/5/move", {"queue": "ar"}), 403, None, "agents do not move callers")
    t.status(sup.post("/api/v1/tel/calls/5/move", {}), 400, None, "the queue is required")
    t.status(sup.post("/api/v1/tel/calls/5/move", {"queue": "x" * 40}), 400, None, "a queue name is short")
    t.status(sup.post("/api/v1/tel/calls/5/move", {"queue": "ar"}), 409, "tel.not_running", "move")


def test_sip_account_read_and_rename(t):
    a = t.login("admin")
    users = {u["login"]: u for u in a.get("/api/v1/users").json["users"]}
    uid, ed = users["agent"]["id"], users["editor"]["id"]
    r = a.get(f"/api/v1/users/{uid}/sip")
    t.status(r, 200, None, "read")
    t.eq(r.json["sip_user"], "agent", "the demo agent's phone")
    t.true(set(r.json["languages"].split()) <= {"ar", "fr", "es", "it", "nl", "de", "en"} and r.json["languages"], "languages")
    t.eq(sorted(r.json.keys()), ["languages", "plan_services", "proficiency", "services", "sip_user", "user_id"],
         "never the secret")
    r = a.get(f"/api/v1/users/{ed}/sip")
    t.eq((r.status, r.json["sip_user"]), (200, None), "no phone: nulls, not an error")
    t.status(a.get("/api/v1/users/999999/sip"), 404, None, "unknown user")
    # The digest hash covers the name: renaming needs the password again.
    r = a.put(f"/api/v1/users/{uid}/sip", {"sip_user": "agent-two", "languages": "fr"})
    t.status(r, 400, "tel.weak_sip_password", "rename without password")
    t.eq(r.json["error"].get("field"), "password", "the password is named")
    t.status(a.put(f"/api/v1/users/{uid}/sip", {"sip_user": "agent-two", "password": "another-phone-1", "languages": "fr"}),
             200, None, "rename with password")
    t.eq(a.get(f"/api/v1/users/{uid}/sip").json["sip_user"], "agent-two", "renamed")
    t.status(t.login("supervisor").get(f"/api/v1/users/{uid}/sip"), 403, None, "admins only")


def restart(t):
    t.srv.stop()
    t.srv.init = False
    t.srv.port = None
    t.srv.start()


def test_emergency_survives_restart(t):
    a = t.login("admin")
    t.status(a.put("/api/v1/calendar/emergency", {"closed": True, "reason": "Grève"}), 200, None, "closed")
    restart(t)
    cal = t.client().get("/api/v1/calendar").json
    t.eq((cal["state"], cal["emergency"]["reason"]), ("closed_emergency", "Grève"), "still closed after a restart")
    a = t.login("admin")
    t.status(a.put("/api/v1/calendar/emergency", {"closed": False}), 200, None, "reopened")
    restart(t)
    t.true(t.client().get("/api/v1/calendar").json["state"] != "closed_emergency", "still open after a restart")


def test_pause_reasons_are_data(t):
    """GET /api/v1/tel/pause-reasons lists data/tel/pause_reasons.json in its
    order, named in every language; the system's own reasons are not the
    agents' to choose; an editor has no phone and no pause."""
    import json
    import os
    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with open(os.path.join(top, "data", "tel", "pause_reasons.json")) as f:
        want = [r["code"] for r in json.load(f)["reasons"]]
    with open(os.path.join(top, "data", "languages.json")) as f:
        langs = [l["code"] for l in json.load(f)["languages"]]
    r = t.login("agent").get("/api/v1/tel/pause-reasons")
    t.status(r, 200, None, "pause reasons")
    got = r.json["items"]
    t.eq([x["code"] for x in got], want, "the file's reasons, in its order")
    t.true(all(sorted(x["names"]) == sorted(langs) and all(x["names"].values()) for x in got), "a name in every language")
    t.eq({x["code"]: x["names"]["fr"] for x in got}.get("coaching"), "Accompagnement", "named in French")
    t.true(not {"no_answer", "phone_offline", "logged_in"} & {x["code"] for x in got}, "no reason of the system")
    t.status(t.login("editor").get("/api/v1/tel/pause-reasons"), 403, None, "an editor")


def test_sip_skills(t):
    """An agent's skills: a proficiency 1-5 per language (3 when none is
    given, as older accounts have it) and the services taken (absent or
    null: all). Bad values are refused with the field named; what is saved
    reads back the same and is audited. With the telephony off the queues
    plan is not loaded: services are checked for their form only."""
    a = t.login("admin")
    uid = agent_id(a)
    url = f"/api/v1/users/{uid}/sip"
    before = a.get(url).json
    name = before["sip_user"]  # another test may have renamed the phone
    bad = [
        ({"languages": "fr:0"}, "languages", "tel.invalid_languages"),
        ({"languages": "fr:6"}, "languages", "tel.invalid_languages"),
        ({"languages": "fr:55"}, "languages", "tel.invalid_languages"),
        ({"languages": "fr:"}, "languages", "tel.invalid_languages"),
        ({"languages": "fr:x"}, "languages", "tel.invalid_languages"),
        ({"languages": "fr:5 fr:3"}, "languages", "tel.invalid_languages"),
        ({"languages": "fr", "services": []}, "services", "tel.invalid_services"),
        ({"languages": "fr", "services": ["Dossier"]}, "services", "tel.invalid_services"),
        ({"languages": "fr", "services": ["dossier", "dossier"]}, "services", "tel.invalid_services"),
        ({"languages": "fr", "services": [1]}, "services", "tel.invalid_services"),
        ({"languages": "fr", "services": ["a b"]}, "services", "tel.invalid_services"),
        ({"languages": "fr", "services": ["s" * 20]}, "services", "tel.invalid_services"),
        ({"languages": "fr", "services": "dossier"}, "services", "request.invalid_field"),
        ({"languages": "fr", "services": [f"s{c}" for c in "abcdefghi"]}, "services", "request.invalid_field"),
    ]
    for body, field, code in bad:
        r = a.put(url, {"sip_user": name, **body})
        t.status(r, 400, code, f"refused: {body}")
        t.eq(r.json["error"].get("field"), field, f"field named for {body}")
    t.eq(a.get(url).json, before, "nothing refused was saved")

    r = a.put(url, {"sip_user": name, "languages": "fr:5 ar, en:1", "services": ["dossier", "complaint"]})
    t.status(r, 200, None, "skills saved")
    want = {"languages": "fr:5 ar, en:1", "proficiency": {"fr": 5, "ar": 3, "en": 1}, "services": ["dossier", "complaint"]}
    for src, j in (("PUT", r.json), ("GET", a.get(url).json)):
        t.eq({k: j[k] for k in want}, want, f"{src}: the languages with their proficiency, the services")
        t.eq(j["plan_services"], [], f"{src}: no queues plan while the telephony is off")
    entries = a.get("/api/v1/audit?action=user.sip_account").json
    items = entries.get("entries", entries.get("items", []))
    t.true(any(e.get("detail") == {"languages": "fr:5 ar, en:1", "services": ["dossier", "complaint"]} for e in items),
           f"the audit record says what the skills became: {[e.get('detail') for e in items[:2]]}")

    # services absent or null: every service again; a bare language is 3
    for body in ({"sip_user": name, "languages": "ar nl"}, {"sip_user": name, "languages": "ar nl", "services": None}):
        a.put(url, {"sip_user": name, "languages": "fr", "services": ["dossier"]})
        r = a.put(url, body)
        t.status(r, 200, None, f"saved: {body}")
        t.eq((r.json["proficiency"], r.json["services"]), ({"ar": 3, "nl": 3}, None), f"all services, proficiency 3: {body}")
