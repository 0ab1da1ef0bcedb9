"""The agent's desk over HTTP: the case list's one search box (reference,
phone, e-mail, name, subject), its sorts, cursor paging with a total and its
filters; the screen pop by the caller's number (masked, audited); the
disposition codes and what an agent records about a call; the citizen's
reply from the portal, seen as new by the assignee."""
import urllib.parse

import harness

SETTINGS = {"cases.demo_cases": "0", "cases.portal_per_hour": "4"}


def case(**over):
    body = {
        "type": "dossier", "category": "passport", "language": "fr", "country": "FR",
        "subject": "Passeport perdu à l'étranger",
        "fields": {"procedure": "passport", "consulate": "FR-PAR"},
        "citizen": {"name": "Yasmine Benali", "phone": "+33 6 98 76 54 32", "email": "yb@example.org"},
    }
    body.update(over)
    return body


def q(**params):
    return "/api/v1/cases?" + urllib.parse.urlencode(params)


def refs(resp):
    return [c["reference"] for c in resp.json["cases"]]


SEEDED = []


def seed(t):
    """Six cases of four citizens, languages, consulates and priorities, made once for the file; returns an agent's
    client and their references in order."""
    a = t.login("agent")
    if SEEDED:
        return a, SEEDED
    made = SEEDED
    specs = [
        dict(priority="low"),
        dict(priority="urgent", subject="Renouvellement CNIE", category="identity-card",
             fields={"procedure": "cnie", "consulate": "FR-PAR"}),
        dict(language="es", country="ES", subject="Pasaporte caducado", fields={"procedure": "passport", "consulate": "ES-MAD"},
             citizen={"name": "Karim Ouazzani", "phone": "+34 612 345 678"}),
        dict(priority="high", citizen={"name": "Élodie Ben Ali", "phone": "+33 7 11 22 33 44"}),
        dict(language="ar", subject="جواز السفر", citizen={"name": "يوسف العلوي", "phone": "+33 6 55 44 33 22"}),
        dict(priority="normal", subject="Acte de naissance", category="civil-status",
             fields={"procedure": "civil-status-act", "consulate": "FR-PAR"}),
    ]
    for s in specs:
        r = a.post("/api/v1/cases", case(**s))
        t.status(r, 201, None, f"created {s}")
        made.append(r.json["reference"])
    return a, made


def test_search_box_reads_what_was_typed(t):
    a, made = seed(t)
    # A reference, typed as read out on the phone (lower case, spaces).
    r = a.get(q(q=made[2].lower().replace("-", " ")))
    t.status(r, 200)
    t.eq(refs(r), [made[2]], "by reference")
    t.eq(r.json["matched_by"], "reference")
    # A phone number as typed, national with the country, or international.
    r = a.get(q(q="06 98 76 54 32", country="FR"))
    t.eq(r.json["matched_by"], "phone")
    t.eq(sorted(refs(r)), sorted([made[0], made[1], made[5]]), "by national number")
    t.eq(r.json["total"], 3, "total")
    t.eq(sorted(refs(a.get(q(q="+34612345678")))), [made[2]], "by international number")
    # Words of the name, in any order, without accents or case.
    r = a.get(q(q="ben ali elodie"))
    t.eq(r.json["matched_by"], "text")
    t.eq(refs(r), [made[3]], "by name, accents and order ignored")
    t.eq(refs(a.get(q(q="العلوي"))), [made[4]], "an Arabic name")
    # Text of the subject.
    t.eq(refs(a.get(q(q="naissance"))), [made[5]], "by subject")
    t.eq(a.get(q(q="nobody-here")).json["total"], 0, "nothing")
    # By e-mail address.
    t.true(set(refs(a.get(q(q="YB@example.org")))) >= {made[0], made[1]}, "by e-mail, case ignored")
    # Rows stay masked: the name is never given in clear in a list.
    row = a.get(q(q="Yasmine")).json["cases"][0]
    t.true("Yasmine" not in row["citizen"]["name"] and "98 76" not in row["citizen"]["phone"], f"masked {row['citizen']}")
    # Looking a citizen up by number or name is in the audit trail.
    audit = t.login("admin").get("/api/v1/audit?action=case.lookup&limit=50").json["entries"]
    objects = {e["object"] for e in audit}
    t.true({"phone", "name_or_subject", "email"} <= objects, f"audited look-ups {objects}")
    # Bad input is a clear 400 naming the parameter.
    for params, field in [(dict(q="x" * 201), "q"), (dict(q="a b c d e f g"), "q"),
                          (dict(sort="name"), "sort"), (dict(language="pt"), "language"), (dict(cursor="abc"), "cursor"),
                          (dict(limit="501"), "limit")]:
        r = a.get(q(**params))
        if field:
            t.status(r, 400, None, f"{params}")
            t.eq(r.json["error"].get("field"), field, f"{params} names {field}")


def test_sorts_paging_and_filters(t):
    a, made = seed(t)
    created = refs(a.get(q(limit=50)))
    t.eq(created[:6], list(reversed(made)), "newest first by default")
    pr = a.get(q(sort="priority")).json["cases"]
    ranks = {"urgent": 4, "high": 3, "normal": 2, "low": 1}
    t.eq([ranks[c["priority"]] for c in pr], sorted([ranks[c["priority"]] for c in pr], reverse=True), "by priority")
    t.eq(pr[0]["reference"], made[1], "the urgent one first")
    dl = a.get(q(sort="deadline")).json["cases"]
    dues = [c["resolution_due"] for c in dl]
    t.eq(dues, sorted(dues), "soonest deadline first")
    # Touch the oldest: it comes first by last update.
    t.status(a.patch(f"/api/v1/cases/{made[0]}", {"status": "open"}), 200)
    t.eq(refs(a.get(q(sort="updated")))[0], made[0], "recently updated first")
    # Cursor paging: pages of 2 cover every case once, the total on each page.
    for sort in ("created", "updated", "deadline", "priority"):
        seen, cursor, pages = [], None, 0
        while True:
            params = dict(limit=2, sort=sort)
            if cursor:
                params["cursor"] = cursor
            r = a.get(q(**params))
            t.status(r, 200, None, f"page {pages} by {sort}")
            t.eq(r.json["total"], 6, "total on every page")
            seen += refs(r)
            pages += 1
            cursor = r.json["next_cursor"]
            if not cursor:
                break
            t.true(pages < 10, "paging ends")
        t.eq(sorted(seen), sorted(made), f"every case once by {sort}")
        t.eq(pages, 3, f"three pages of two by {sort}")
    # Older clients' before= still pages the newest-first list, like the cursor.
    p1 = a.get(q(limit=2)).json
    t.true(p1["next_before"], "next_before on a full page")
    by_cursor = refs(a.get(q(limit=2, cursor=p1["next_cursor"])))
    t.eq(refs(a.get(q(limit=2, before=p1["next_before"]))), by_cursor, "before= and cursor= give the same page")
    t.status(a.get(q(limit=2, before=5, sort="priority")), 400, "cases.invalid_parameter", "before with another sort")
    # Filters: language, consulate, with the search box.
    t.eq(refs(a.get(q(language="es"))), [made[2]], "language")
    t.eq(refs(a.get(q(language="ar"))), [made[4]], "language ar")
    t.eq(refs(a.get(q(consulate="ES-MAD"))), [made[2]], "consulate")
    t.eq(sorted(refs(a.get(q(consulate="FR-PAR", q="06 98 76 54 32", country="FR")))), sorted([made[0], made[1], made[5]]),
         "consulate and phone")
    t.eq(a.get(q(consulate="ES-MAD", q="Yasmine")).json["total"], 0, "consulate excludes")


def test_screen_pop_and_call_disposition(t):
    a, made = seed(t)
    t.status(a.patch(f"/api/v1/cases/{made[5]}", {"status": "resolved"}), 200, None, "resolve one")
    r = a.get("/api/v1/desk/caller?" + urllib.parse.urlencode({"phone": "06 98 76 54 32", "country": "FR"}))
    t.status(r, 200, None, "screen pop")
    pop = r.json
    t.eq(sorted(c["reference"] for c in pop["open_cases"]), sorted([made[0], made[1]]), "open cases")
    t.eq([c["reference"] for c in pop["recent_cases"]], [made[5]], "recent (resolved) cases")
    t.true("98 76" not in pop["phone"] and pop["phone"].endswith("32"), f"number masked: {pop['phone']}")
    t.eq(pop["calls"], [], "no earlier call recorded yet")
    t.status(a.get("/api/v1/desk/caller?phone=hello"), 400, "cases.invalid_parameter", "not a number")

    d = a.get("/api/v1/desk/dispositions?lang=ar").json["dispositions"]
    codes = [x["code"] for x in d]
    t.true({"information_given", "case_opened", "case_followed_up", "complaint_recorded", "transferred", "wrong_number",
            "silent_call"} <= set(codes), f"codes {codes}")
    t.eq(next(x for x in d if x["code"] == "wrong_number")["name"], "رقم خاطئ", "named in Arabic")

    call = "a84bc2f1-0001@wasl"
    body = {"disposition": "case_followed_up", "note": "Passeport perdu, suivi demandé", "reference": made[0],
            "articles": [{"slug": "passport-lost-abroad", "lang": "fr", "version": 2}], "phone": "+33698765432",
            "language": "fr"}
    r = a.put(f"/api/v1/desk/calls/{urllib.parse.quote(call)}", body)
    t.status(r, 200, None, "disposition saved")
    t.eq(r.json["disposition"], "case_followed_up")
    t.eq(r.json["articles"], body["articles"], "articles with their versions")
    t.eq(r.json["reference"], made[0])
    got = a.get(f"/api/v1/desk/calls/{urllib.parse.quote(call)}").json
    t.eq(got["note"], body["note"], "note read back")
    # The next screen pop for the number shows the call.
    calls = a.get("/api/v1/desk/caller?phone=%2B33698765432").json["calls"]
    t.eq([c["call_id"] for c in calls], [call], "earlier call in the screen pop")
    # Corrected by the same agent; another agent may not.
    t.status(a.put(f"/api/v1/desk/calls/{urllib.parse.quote(call)}", dict(body, disposition="information_given")), 200)
    t.eq(a.get(f"/api/v1/desk/calls/{urllib.parse.quote(call)}").json["disposition"], "information_given", "corrected")
    for bad, field in [(dict(body, disposition="lunch"), "disposition"), (dict(body, reference="AAA-AAA-AAA"), "reference"),
                       (dict(body, articles=[{"slug": "x"}]), "articles"), (dict(body, note="x" * 4001), "note"),
                       (dict(body, phone="nope"), "phone")]:
        r = a.put("/api/v1/desk/calls/other-call", bad)
        t.true(r.status in (400, 404), f"{field}: {r.status}")
        t.eq(r.json["error"].get("field"), field, f"names {field}")
    t.status(a.get("/api/v1/desk/calls/never-recorded"), 404, "calls.not_found")
    admin = t.login("admin")
    audit = admin.get("/api/v1/audit?limit=100").json["entries"]
    actions = [e["action"] for e in audit]
    t.true("call.disposition" in actions and "call.disposition_changed" in actions, "disposition audited")
    # The citizen's subject-access export holds what was recorded about their calls; erasure removes the note
    # and the number and keeps the code.
    r = admin.post("/api/v1/privacy/export", {"phone": "+33698765432"})
    t.status(r, 200)
    t.eq([(c["call_id"], c["note"]) for c in r.json["calls_recorded"]], [(call, body["note"])], "calls in the export")
    t.status(admin.post("/api/v1/privacy/erase", {"phone": "+33698765432"}), 200)
    t.eq(a.get("/api/v1/desk/caller?phone=%2B33698765432").json["calls"], [], "no call found by the number after erasure")
    kept = a.get(f"/api/v1/desk/calls/{urllib.parse.quote(call)}").json
    t.eq([kept["disposition"], kept["note"]], ["information_given", None], "the code stays, the note is gone")


def test_portal_reply_reaches_the_assignee(t):
    a = t.login("agent")
    me = a.get("/api/v1/session").json["user"]["id"]
    c = a.post("/api/v1/cases", case(citizen={"name": "Nadia R", "email": "nr@example.org"})).json
    ref, pin = c["reference"], c["pin"]
    t.status(a.patch(f"/api/v1/cases/{ref}", {"assignee_user": me, "status": "waiting_citizen"}), 200, None, "assigned")
    a.get(f"/api/v1/cases/{ref}")
    pub = t.client()
    r = pub.post("/api/v1/portal/reply", {"reference": ref, "pin": pin, "body": "Voici le numéro du récépissé : R-123"})
    t.status(r, 204, None, "reply accepted")
    row = next(x for x in a.get(q(assignee="me")).json["cases"] if x["reference"] == ref)
    t.true(row.get("new_reply"), "new for the assignee in the list")
    view = a.get(f"/api/v1/cases/{ref}").json
    t.eq(view["status"], "open", "the answer that was waited for: the case is back with the staff")
    t.true(view["deadline"]["state"] != "paused", f"its clock runs again: {view['deadline']}")
    reply = [e for e in view["events"] if e["kind"] == "citizen_reply"]
    t.eq([e["body"] for e in reply], ["Voici le numéro du récépissé : R-123"], "a note staff see")
    t.eq(reply[0]["actor"], "citizen")
    row = next(x for x in a.get(q(assignee="me")).json["cases"] if x["reference"] == ref)
    t.true(not row.get("new_reply"), "read once the assignee opened it")
    # The citizen sees their own reply on the tracking page.
    notes = pub.post("/api/v1/portal/track", {"reference": ref, "pin": pin}).json["notes"]
    t.true(any(n["kind"] == "citizen_reply" for n in notes), "shown on the portal")
    # Wrong PIN: the same answer as an unknown reference; markup refused; limits.
    t.status(pub.post("/api/v1/portal/reply", {"reference": ref, "pin": "000000", "body": "x"}), 404, "cases.no_match")
    t.status(pub.post("/api/v1/portal/reply", {"reference": ref, "pin": pin, "body": "<b>x</b>"}), 400,
             "cases.html_not_allowed")
    t.status(pub.post("/api/v1/portal/reply", {"reference": ref, "pin": pin, "body": "x" * 4001}), 400, None, "too long")
    # A closed case takes no more replies.
    c2 = a.post("/api/v1/cases", case()).json
    for st in ("resolved", "closed"):
        t.status(a.patch(f"/api/v1/cases/{c2['reference']}", {"status": st}), 200)
    t.status(pub.post("/api/v1/portal/reply", {"reference": c2["reference"], "pin": c2["pin"], "body": "x"}), 409, "cases.closed")
    codes = [pub.post("/api/v1/portal/reply", {"reference": ref, "pin": pin, "body": f"encore {i}"}).status for i in range(5)]
    t.eq(codes[-1], 429, f"replies per address are limited: {codes}")


def test_screen_pop_joins_the_call_log(t):
    """A recorded call shows what the telephony logged of it once it has ended (the call log has no caller's
    number: the desk's record joins it by the stable call id). The row is written here as the telephony's store
    worker writes it at the end of a call."""
    import sqlite3
    a, made = seed(t)
    call = "joined-call-0001"
    t.status(a.put(f"/api/v1/desk/calls/{call}", {"disposition": "information_given", "phone": "+33611000111"}), 200)
    pop = a.get("/api/v1/desk/caller?phone=%2B33611000111").json
    t.eq([c["logged"] for c in pop["calls"]], [None], "not logged yet: the call is still up")
    db = sqlite3.connect(t.srv.db)
    db.execute("INSERT INTO calls (call_id, started_at, answered_at, ended_at, did, country, language, outcome, path, waited_ms, "
               "talked_ms) VALUES (?, 1765000000000000, 1765000030000000, 1765000200000000, '+33800100200', 'FR', 'fr', "
               "'answered', 'lang:fr', 30000, 170000)", (call,))
    db.commit()
    db.close()
    logged = a.get("/api/v1/desk/caller?phone=%2B33611000111").json["calls"][0]["logged"]
    t.eq([logged["outcome"], logged["waited_ms"], logged["talked_ms"], logged["country"]], ["answered", 30000, 170000, "FR"],
         "the call log's row")


test_screen_pop_joins_the_call_log.backends = ("sqlite",)


def test_own_figures_for_the_day(t):
    """An agent's day: the calls they recorded by code and the cases they opened; another agent's are not theirs."""
    a = t.login("agent")
    before = a.get("/api/v1/desk/today").json
    t.status(a.put("/api/v1/desk/calls/today-1", {"disposition": "wrong_number"}), 200)
    t.status(a.put("/api/v1/desk/calls/today-2", {"disposition": "wrong_number"}), 200)
    t.status(a.put("/api/v1/desk/calls/today-3", {"disposition": "silent_call"}), 200)
    t.status(a.post("/api/v1/cases", case()), 201)
    t.status(t.login("supervisor").put("/api/v1/desk/calls/today-4", {"disposition": "wrong_number"}), 200)
    now = a.get("/api/v1/desk/today").json
    t.eq(now["calls_recorded"] - before["calls_recorded"], 3, "three calls of mine")
    t.eq(now["by_disposition"].get("wrong_number", 0) - before["by_disposition"].get("wrong_number", 0), 2, "by code")
    t.eq(now["cases_opened"] - before["cases_opened"], 1, "one case opened")
    t.true(now["since"].endswith("T00:00:00.000Z"), f"the day starts at midnight in Casablanca (UTC+00 now): {now['since']}")


def test_own_day_from_the_event_log(t):
    """Calls answered, talk, wrap-up and pauses come from the agent's own events of the day: the state they were in at
    midnight counts from midnight, a state counts until the next, the pause logging in passes through is no pause, and
    another agent's events are not theirs. The events are written here as the telephony's writer writes them."""
    import json
    import sqlite3
    import time
    a = t.login("agent")
    me = a.get("/api/v1/session").json["user"]["id"]
    day = a.get("/api/v1/desk/today").json
    t.eq([day["calls_answered"], day["talk_seconds"], day["wrap_up_seconds"], day["pause_seconds"], day["pauses"]],
         [0, 0, 0, 0, 0], "nothing yet: the telephony is off here")
    since = int(harness_time(day["since"]))
    now = int(time.time())
    if now - since < 300:
        raise harness.Skip("less than five minutes after midnight: the day has no room for the call")
    base = max(since + 1, now - 250)
    S = 1_000_000

    def ev(at, kind, data, call=None, agent=me):
        return ((at) * S, kind, call, agent, "fr" if call else None, json.dumps(data))

    rows = [
        ev(since - 3600, "agent.state", {"state": "paused", "reason": "break", "by": 0}),  # paused at midnight
        ev(base, "agent.state", {"state": "available", "reason": "", "by": 0}),
        ev(base + 10, "agent.state", {"state": "ringing", "reason": "", "by": 0}, 901),
        ev(base + 12, "call.answered", {"waited_ms": 4000}, 901),
        ev(base + 12, "agent.state", {"state": "busy", "reason": "", "by": 0}, 901),
        ev(base + 72, "agent.state", {"state": "wrap_up", "reason": "", "by": 0}, 901),
        ev(base + 82, "agent.state", {"state": "available", "reason": "", "by": 0}),
        ev(base + 100, "agent.state", {"state": "paused", "reason": "logged_in", "by": 0}),
        ev(base + 110, "agent.state", {"state": "paused", "reason": "break", "by": 0}),
        ev(base + 140, "agent.state", {"state": "available", "reason": "", "by": 0}),
        ev(base + 150, "agent.state", {"state": "ringing", "reason": "", "by": 0}, 902),
        ev(base + 151, "call.answered", {"waited_ms": 1000}, 902),
        ev(base + 151, "agent.state", {"state": "busy", "reason": "", "by": 0}, 902),
        ev(base + 181, "agent.state", {"state": "wrap_up", "reason": "", "by": 0}, 902),
        ev(base + 185, "agent.state", {"state": "available", "reason": "", "by": 0}),
        ev(base + 20, "call.answered", {"waited_ms": 1000}, 903, agent=me + 1000),  # someone else's
        ev(base + 20, "agent.state", {"state": "paused", "reason": "break", "by": 0}, agent=me + 1000),
    ]
    db = sqlite3.connect(t.srv.db)
    db.executemany("INSERT INTO events (at, kind, call_id, agent, queue, data) VALUES (?, ?, ?, ?, ?, ?)", rows)
    db.commit()
    db.close()
    d = a.get("/api/v1/desk/today").json
    t.eq([d["calls_answered"], d["talk_seconds"], d["average_talk_seconds"], d["wrap_up_seconds"], d["pauses"]],
         [2, 90, 45, 14, 2], f"answered, talk, average, wrap-up, pauses: {d}")
    t.true(abs(d["pause_seconds"] - ((base - since) + 30)) <= 1,
           f"the pause since midnight ({base - since} s) and the break (30 s), not the login: {d['pause_seconds']}")
    other = t.login("supervisor").get("/api/v1/desk/today").json
    t.eq(other["calls_answered"], 0, "the agent's calls are not the supervisor's")


test_own_day_from_the_event_log.backends = ("sqlite",)


def harness_time(iso):
    """Seconds since the epoch of the API's UTC time ("2026-12-01T00:00:00.000Z")."""
    import datetime
    return datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()


def test_disposition_is_a_step_of_the_call(t):
    """Saving a telephony call's disposition appends call.disposition to the event log (the agent, the code, whether a
    case goes with it, whether it replaces an earlier record); a call id that is not the telephony's adds no event."""
    import time
    a = t.login("agent")
    sup = t.login("supervisor")
    call = 770000 + int(time.time()) % 10000
    t.status(a.put(f"/api/v1/desk/calls/{call}", {"disposition": "wrong_number"}), 200)
    ref = a.post("/api/v1/cases", case()).json["reference"]
    t.status(a.put(f"/api/v1/desk/calls/{call}", {"disposition": "case_opened", "reference": ref}), 200)
    end = time.time() + 5
    while True:
        items = sup.get(f"/api/v1/events?call={call}").json["items"]
        if len([e for e in items if e["kind"] == "call.disposition"]) >= 2 or time.time() > end:
            break
        time.sleep(0.1)
    got = [(e["data"]["disposition"], e["data"]["with_case"], e["data"]["changed"]) for e in items if e["kind"] == "call.disposition"]
    t.eq(got, [("wrong_number", 0, 0), ("case_opened", 1, 1)], "two records of the call, the second replacing the first")
    me = a.get("/api/v1/session").json["user"]["id"]
    t.eq({e["agent"] for e in items}, {me}, "the agent who recorded it")
    t.true(ref not in str(items), "the case's reference stays out of the event log")
    # A call taken outside wasl's telephony: recorded, but no event. The next telephony call's event, written after
    # it in order, shows the writer has passed it.
    mine = lambda: [e for e in sup.get(f"/api/v1/events?agent={me}&limit=10000").json["items"] if e["kind"] == "call.disposition"]
    n = len(mine())
    t.status(a.put("/api/v1/desk/calls/outside-1@pbx", {"disposition": "wrong_number"}), 200)
    t.status(a.put(f"/api/v1/desk/calls/{call + 1}", {"disposition": "wrong_number"}), 200)
    end = time.time() + 5
    while len(mine()) == n and time.time() < end:
        time.sleep(0.1)
    t.eq([e["call"] for e in mine()[n:]], [call + 1], "only the telephony's call is in the log")
