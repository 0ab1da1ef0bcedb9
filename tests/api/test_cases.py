"""Cases over HTTP: validation naming the field, references and their check
character, masking and audited views, back-office scope, the workflow,
merging, the data-protection export and erasure, and durability of a case
once the API has answered 201 (kill -9 right after)."""
import json
import signal
import threading

SETTINGS = {"cases.pin_failures": "3", "cases.demo_cases": "40"}

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def dossier(**over):
    body = {
        "type": "dossier", "category": "passport", "language": "fr", "country": "FR",
        "subject": "Passeport déposé, pas de nouvelles",
        "description": "Dépôt le 2 octobre au consulat.",
        "fields": {"procedure": "passport", "consulate": "FR-PAR", "receipt_number": "R-2026-000123"},
        "citizen": {"name": "Fatima Zahra El Idrissi", "phone": "+33 6 12 34 56 78", "email": "fz@example.org",
                    "passport": "AB1234567", "id_number": "BK123456"},
    }
    body.update(over)
    return body


def other_char(c):
    return ALPHABET[(ALPHABET.index(c) + 1) % 32]


def test_create_validation_names_the_field(t):
    a = t.login("agent")
    cases = [
        (dict(subject=""), "subject"),
        (dict(subject="x" * 201), "subject"),
        (dict(type="visa"), "type"),
        (dict(category="weddings"), "category"),
        (dict(language="pt"), "language"),
        (dict(country="ZZ"), "country"),
        (dict(priority="asap"), "priority"),
        (dict(description="<script>alert(1)</script>"), "description"),
        (dict(description="x" * 10001), "description"),
        (dict(fields={"procedure": "passport"}), "consulate"),
        (dict(fields={"procedure": "tourism", "consulate": "FR-PAR"}), "procedure"),
        (dict(fields={"procedure": "passport", "consulate": "FR-XXX"}), "consulate"),
        (dict(fields={"procedure": "passport", "consulate": "FR-PAR", "colour": "red"}), "colour"),
        (dict(fields={"procedure": "passport", "consulate": "FR-PAR", "filed_on": "2026-13-01"}), "filed_on"),
        (dict(citizen={"phone": "call me"}), "phone"),
        (dict(citizen={"email": "not-an-address"}), "email"),
        (dict(citizen={"passport": "AB 12<3"}), "passport"),
        (dict(citizen={"name": "n" * 201}), "name"),
        (dict(citizen={"nickname": "x"}), "nickname"),
        (dict(articles=[{"slug": "passport-adult"}]), "articles"),
    ]
    for over, field in cases:
        r = a.post("/api/v1/cases", dossier(**over))
        t.status(r, 400, None, f"create with {over}")
        t.eq(r.json["error"].get("field"), field, f"field named for {over}")
    r = a.post("/api/v1/cases", dossier(description="<b>bold</b>"))
    t.status(r, 400, "cases.html_not_allowed", "HTML refused")
    r = a.request("POST", "/api/v1/cases", raw=b"{" + b" " * 40000 + b"}")
    t.status(r, 413, None, "oversized body")
    t.status(a.post("/api/v1/cases", dossier(subject="a\u0000b")), 400, None, "NUL in a string")
    r = a.request("POST", "/api/v1/cases", raw=b'{"type": "dossier",')
    t.status(r, 400, None, "malformed JSON")


def test_create_view_mask_and_audit(t):
    a = t.login("agent")
    r = a.post("/api/v1/cases", dossier())
    t.status(r, 201, None, "dossier created")
    c = r.json
    ref, pin = c["reference"], c["pin"]
    t.true(len(ref) == 11 and ref[3] == "-" and ref[7] == "-", f"reference shape {ref}")
    t.true(len(pin) == 6 and pin.isdigit(), "six-digit PIN")
    t.eq(r.header("Location"), f"/api/v1/cases/{ref}", "Location")
    t.eq(c["citizen"]["phone"], "+33612345678", "phone kept as E.164")
    t.eq(c["assignee"]["consulate"], "FR-PAR", "a dossier goes to its consulate")
    t.eq(c["deadline"]["state"] in ("ok", "warning"), True, "a fresh case is on time")
    # The view: everything in clear, with its history.
    v = a.get(f"/api/v1/cases/{ref.lower().replace('-', '%20')}")
    t.status(v, 200, None, "view by a reference typed in lower case with spaces")
    t.eq(v.json["citizen"]["passport"], "AB1234567", "passport in clear in the view")
    t.eq(v.json["fields"]["receipt_number"], "R-2026-000123", "personal field in clear in the view")
    t.eq([e["kind"] for e in v.json["events"]][:2], ["created", "assigned"], "history")
    # Lists mask.
    lst = a.get("/api/v1/cases?limit=5").json["cases"]
    mine = [x for x in lst if x["reference"] == ref][0]
    t.eq(mine["citizen"]["passport"], "AB****67", "passport masked in lists")
    t.eq(mine["citizen"]["id_number"], "BK****56", "id masked in lists")
    t.eq(mine["citizen"]["name"], "F. Z. E. I.", "name as initials in lists")
    t.eq(mine["fields"]["receipt_number"], "R-****23", "personal field masked in lists")
    t.true("description" not in mine, "no free text in lists")
    t.true("AB1234567" not in a.get("/api/v1/cases?limit=200").body, "no passport anywhere in a list")
    # Found by the caller's number, however it is typed; the look-up is audited.
    by = a.get("/api/v1/cases?phone=%2B33%20612%2034%2056%2078").json["cases"]
    t.eq([x["reference"] for x in by], [ref], "found by phone through the blind index")
    adm = t.login("admin")
    acts = [e["action"] for e in adm.get("/api/v1/audit?actor=agent").json["entries"]]
    for act in ("case.create", "case.view", "case.lookup"):
        t.true(act in acts, f"{act} is in the audit trail")
    # Nothing personal is stored in clear in the database.
    if t.srv.backend == "sqlite":
        import sqlite3
        con = sqlite3.connect(t.srv.db)
        dump = "\n".join(con.iterdump())
        con.close()
        for secret in ("AB1234567", "Fatima", "612345678", "fz@example.org", "R-2026-000123", "Dépôt le 2 octobre"):
            t.true(secret not in dump, f"{secret!r} is not stored in clear")


def test_reference_check_character(t):
    a = t.login("agent")
    ref = a.post("/api/v1/cases", dossier()).json["reference"]
    for i in (0, 5, 10):
        bad = ref[:i] + other_char(ref[i]) + ref[i + 1:]
        r = a.get(f"/api/v1/cases/{bad}")
        t.status(r, 400, "cases.invalid_reference", f"one wrong character {bad}")
        t.eq(r.json["error"]["message"].startswith("this reference is not valid"), True, "the message says so")
    swapped = ref[:1] + ref[2] + ref[1] + ref[3:]
    if swapped != ref:
        t.status(a.get(f"/api/v1/cases/{swapped}"), 400, "cases.invalid_reference", "two neighbours swapped")
    # A valid reference nobody has.
    import random
    while True:
        body = [random.choice(ALPHABET) for _ in range(8)]
        interim = 0
        for ch in body:
            interim = ((interim << 1) ^ (0x25 if interim & 16 else 0)) & 31 ^ ALPHABET.index(ch)
        check = ((interim << 1) ^ (0x25 if interim & 16 else 0)) & 31
        cand = "".join(body) + ALPHABET[check]
        cand = f"{cand[:3]}-{cand[3:6]}-{cand[6:]}"
        if cand != ref:
            break
    t.status(a.get(f"/api/v1/cases/{cand}"), 404, "cases.not_found", "a well-formed unknown reference")


def test_backoffice_scope(t):
    a = t.login("agent")
    paris = a.post("/api/v1/cases", dossier()).json["reference"]
    madrid = a.post("/api/v1/cases", dossier(country="ES", fields={"procedure": "cnie", "consulate": "ES-MAD"})).json["reference"]
    bo = t.login("backoffice")
    lst = bo.get("/api/v1/cases?limit=500").json["cases"]
    t.true(all("FR-PAR" in (x["consulate"], x["assignee"]["consulate"]) for x in lst), "only FR-PAR cases listed")
    t.true(paris in [x["reference"] for x in lst], "its consulate's new dossier is listed")
    t.status(bo.get(f"/api/v1/cases/{madrid}"), 404, "cases.not_found", "another consulate's case is invisible")
    t.status(bo.patch(f"/api/v1/cases/{madrid}", {"status": "open"}), 404, None, "and cannot be changed")
    t.true(all("FR-PAR" in (x["consulate"], x["assignee"]["consulate"])
               for x in bo.get("/api/v1/cases?consulate=ES-MAD").json["cases"]), "asking for another consulate changes nothing")
    t.status(bo.patch(f"/api/v1/cases/{paris}", {"assignee_consulate": "ES-MAD"}), 403, "cases.forbidden",
             "a back-office cannot hand a case to another consulate")
    r = bo.patch(f"/api/v1/cases/{paris}", {"status": "resolved"})
    t.status(r, 200, None, "the back-office resolves its case")
    t.eq(r.json["status"], "resolved", "resolved")
    t.status(t.login("editor").get("/api/v1/cases"), 403, None, "editors do not see cases")


def test_backoffice_refusals_audited(t):
    """A Paris back-office reading, changing or annotating a Brussels case is
    answered "not found" and each attempt is in the audit trail; it cannot
    open a case for Brussels either (the hand-over rule), and a case it opens
    without a consulate is Paris's."""
    a = t.login("agent")
    bru = a.post("/api/v1/cases", dossier(country="BE", fields={"procedure": "passport", "consulate": "BE-BRU"}))
    t.status(bru, 201)
    bru = bru.json["reference"]
    adm = t.login("admin")
    bo = t.login("backoffice")
    t.status(bo.get(f"/api/v1/cases/{bru}"), 404, "cases.not_found", "another consulate's case reads as not found")
    t.status(bo.patch(f"/api/v1/cases/{bru}", {"status": "open"}), 404, "cases.not_found", "and cannot be changed")
    t.status(bo.post(f"/api/v1/cases/{bru}/notes", {"body": "vu", "public": False}), 404, "cases.not_found",
             "nor annotated")
    got = {}
    for action in ("case.view_refused", "case.update_refused", "case.note_refused"):
        got[action] = adm.get(f"/api/v1/audit?action={action}&object=case:{bru}").json["entries"]
    for action, entries in got.items():
        t.eq(len(entries), 1, f"{action} audited once: {entries}")
        t.eq((entries[0]["actor"], entries[0]["object"]), ("backoffice", f"case:{bru}"), f"{action}: who and what")
    t.eq(adm.get(f"/api/v1/audit?action=case.view&object=case:{bru}").json["entries"], [], "no case.view for it")
    # opening cases: the hand-over rule
    r = bo.post("/api/v1/cases", dossier(country="BE", fields={"procedure": "passport", "consulate": "BE-BRU"}))
    t.status(r, 403, "cases.forbidden", "a Paris back-office cannot open a Brussels dossier")
    r = bo.post("/api/v1/cases", dossier(type="information", category="passport", fields={}, consulate="BE-BRU"))
    t.status(r, 403, "cases.forbidden", "nor a case assigned to Brussels")
    r = bo.post("/api/v1/cases", dossier(type="information", category="passport", fields={}))
    t.status(r, 201, None, "a case without a consulate")
    t.eq(r.json["consulate"], "FR-PAR", "is the back-office's own consulate's")
    t.status(bo.get(f"/api/v1/cases/{r.json['reference']}"), 200, None, "and stays in its scope")
    r = bo.post("/api/v1/cases", dossier())
    t.status(r, 201, None, "a Paris dossier is fine")


def test_workflow_notes_and_deadlines(t):
    a = t.login("agent")
    c = a.post("/api/v1/cases", dossier(priority="high")).json
    ref, pin = c["reference"], c["pin"]
    t.status(a.patch(f"/api/v1/cases/{ref}", {"status": "merged"}), 400, None, "merged only through merge")
    t.status(a.patch(f"/api/v1/cases/{ref}", {"status": "flying"}), 400, None, "unknown status")
    r = a.patch(f"/api/v1/cases/{ref}", {"status": "waiting_citizen"})
    t.eq(r.json["deadline"]["state"], "paused", "waiting for the citizen stops the clock")
    t.true(r.json["first_response_at"] is not None, "acting is a first response")
    t.status(a.patch(f"/api/v1/cases/{ref}", {"status": "closed"}), 409, "cases.invalid_transition", "not closed from waiting")
    r = a.post(f"/api/v1/cases/{ref}/notes", {"body": "Nous attendons la copie de votre récépissé.", "public": True})
    t.status(r, 200, None, "public note")
    a.post(f"/api/v1/cases/{ref}/notes", {"body": "Citoyen difficile à joindre", "public": False})
    t.status(a.post(f"/api/v1/cases/{ref}/notes", {"body": "<img src=x onerror=alert(1)>"}), 400,
             "cases.html_not_allowed", "no HTML in notes")
    r = a.patch(f"/api/v1/cases/{ref}", {"status": "open", "priority": "urgent", "category": "identity-card"})
    t.eq((r.json["status"], r.json["priority"], r.json["category"]), ("open", "urgent", "identity-card"), "changed")
    t.status(a.patch(f"/api/v1/cases/{ref}", {"category": "weddings"}), 400, None, "unknown category")
    t.status(a.patch(f"/api/v1/cases/{ref}", {"assignee_user": 999999}), 400, None, "unknown assignee")
    r = a.patch(f"/api/v1/cases/{ref}", {"assignee_user": a.user["id"]})
    t.eq(r.json["assignee"]["login"], "agent", "assigned to oneself")
    mine = a.get("/api/v1/cases?assignee=me").json["cases"]
    t.eq([x["reference"] for x in mine], [ref], "assignee=me")
    kinds = [e["kind"] for e in r.json["events"]]
    t.true(kinds.count("changed") >= 3 and kinds.count("note") == 2, f"every change is history: {kinds}")
    # The citizen sees the public note only.
    p = t.client().post("/api/v1/portal/track", {"reference": ref, "pin": pin})
    t.status(p, 200, None, "track")
    bodies = [n["body"] for n in p.json["notes"]]
    t.true("Nous attendons la copie de votre récépissé." in bodies, "public note on the portal")
    t.true(all("difficile" not in b for b in bodies), "internal note not on the portal")
    t.true("citizen" not in p.json and "subject" not in p.json, "nothing else is revealed")
    # Resolved, closed, reopened only by a supervisor.
    a.patch(f"/api/v1/cases/{ref}", {"status": "resolved"})
    a.patch(f"/api/v1/cases/{ref}", {"status": "closed"})
    t.status(a.patch(f"/api/v1/cases/{ref}", {"status": "open"}), 409, None, "an agent cannot reopen a closed case")
    s = t.login("supervisor")
    t.status(s.patch(f"/api/v1/cases/{ref}", {"status": "open"}), 200, None, "a supervisor can")


def test_merge_keeps_both_histories(t):
    a = t.login("agent")
    keep = a.post("/api/v1/cases", dossier()).json["reference"]
    dup = a.post("/api/v1/cases", dossier(subject="Même demande, rappel")).json["reference"]
    a.post(f"/api/v1/cases/{dup}/notes", {"body": "Le citoyen a rappelé", "public": False})
    t.status(a.post(f"/api/v1/cases/{dup}/merge", {"into": dup}), 409, "cases.cannot_merge", "not into itself")
    r = a.post(f"/api/v1/cases/{dup}/merge", {"into": keep})
    t.status(r, 200, None, "merged")
    t.eq((r.json["status"], r.json["merged_into"]), ("merged", keep), "the duplicate points to the survivor")
    t.true("Le citoyen a rappelé" in [e.get("body") for e in r.json["events"]], "the duplicate keeps its history")
    k = a.get(f"/api/v1/cases/{keep}").json
    t.true(any(e["kind"] == "merged_from" and e["detail"].get("from") == dup for e in k["events"]), "the survivor records the merge")
    t.status(a.patch(f"/api/v1/cases/{dup}", {"status": "open"}), 409, "cases.merged", "a merged case is not changed")
    t.status(a.post(f"/api/v1/cases/{keep}/merge", {"into": dup}), 409, None, "nothing is merged into a merged case")


def test_overdue_list_for_supervisors(t):
    s = t.login("supervisor")
    lst = s.get("/api/v1/cases?overdue=1&limit=500").json["cases"]
    t.true(len(lst) > 0, "the demo has overdue cases")
    t.true(all(x["deadline"]["state"] in ("breached", "warning", "paused") or x["escalated"] for x in lst),
           "only cases past a deadline or escalated")
    t.true(all(x["status"] not in ("resolved", "closed", "merged") for x in lst), "only open work")
    t.status(s.get("/api/v1/cases?status=lost"), 400, None, "unknown status filter")
    t.status(s.get("/api/v1/cases?limit=0"), 400, None, "limit out of range")


def test_privacy_export_and_erase(t):
    a = t.login("agent")
    ref = a.post("/api/v1/cases", dossier(citizen={"name": "Omar Export", "phone": "+32 470 12 34 56",
                                                   "email": "omar@example.org"}, country="BE",
                                          fields={"procedure": "passport", "consulate": "BE-BRU"})).json["reference"]
    t.status(a.post("/api/v1/privacy/export", {"phone": "+32470123456"}), 403, None, "agents cannot export")
    adm = t.login("admin")
    t.status(adm.post("/api/v1/privacy/export", {}), 400, None, "phone or e-mail needed")
    r = adm.post("/api/v1/privacy/export", {"phone": "+32 470 12 34 56"})
    t.status(r, 200, None, "export")
    t.true("Omar Export" in r.body and ref in r.body, "the export holds the citizen's cases in clear")
    t.true("attachment" in (r.header("Content-Disposition") or ""), "as a download")
    r = adm.post("/api/v1/privacy/erase", {"email": "OMAR@example.org"})
    t.status(r, 200, None, "erase")
    t.eq(r.json["erased_cases"], 1, "one case erased")
    r = adm.post("/api/v1/privacy/export", {"phone": "+32470123456"})
    t.true("Omar" not in r.body, "nothing left about them")
    acts = [e["action"] for e in adm.get("/api/v1/audit?actor=admin").json["entries"]]
    t.true("privacy.export" in acts and "privacy.erase" in acts, "both are audited")


def test_kill_9_after_201_loses_nothing(t):
    """Cases answered 201 survive the server being killed at once."""
    a = t.login("agent")
    made, lock = [], threading.Lock()

    def worker(n):
        c = t.login("agent")
        for i in range(n):
            r = c.post("/api/v1/cases", dossier(subject=f"durability {threading.get_ident()} {i}"))
            if r.status == 201:
                with lock:
                    made.append(r.json["reference"])

    ths = [threading.Thread(target=worker, args=(10,)) for _ in range(4)]
    for th in ths:
        th.start()
    for th in ths:
        th.join()
    last = a.post("/api/v1/cases", dossier(subject="the last one"))
    t.status(last, 201, None, "last case")
    made.append(last.json["reference"])
    t.srv.stop(sig=signal.SIGKILL)  # no shutdown, no checkpoint
    t.srv.init = False
    t.srv.start()
    a = t.login("agent")
    for ref in made:
        t.status(a.get(f"/api/v1/cases/{ref}"), 200, None, f"{ref} survived kill -9")
    t.eq(len(made), 41, "every create answered 201")


def test_idempotency_key(t):
    """A creation sent again with the same Idempotency-Key (the answer was
    lost) gives back the first case and PIN, even when the copies race; the
    same key with other content, or a malformed key, is refused; keys belong
    to their creator."""
    a = t.login("agent")
    key = "4f1c2a9e-idem-0001"
    body = dossier(subject="Idempotent creation")
    r1 = a.post("/api/v1/cases", body, headers={"Idempotency-Key": key})
    t.status(r1, 201, None, "first request")
    t.eq(r1.header("Idempotent-Replayed"), None, "a new case is not a replay")
    r2 = a.post("/api/v1/cases", body, headers={"Idempotency-Key": key})
    t.status(r2, 201, None, "same request again")
    t.eq((r2.json["reference"], r2.json["pin"]), (r1.json["reference"], r1.json["pin"]), "same case and PIN")
    t.eq(r2.header("Idempotent-Replayed"), "true", "Idempotent-Replayed")
    t.eq(r2.json["citizen"]["name"], body["citizen"]["name"], "the replay shows the case as created")
    r = a.post("/api/v1/cases", dossier(subject="Something else"), headers={"Idempotency-Key": key})
    t.status(r, 400, "cases.request_key_reused", "same key, other content")
    for bad in ("short", "x" * 65, "has space 123", "é" * 10):
        r = a.request("POST", "/api/v1/cases", raw=json.dumps(body).encode(),
                      headers={"Idempotency-Key": bad.encode("utf-8").decode("latin-1")})
        t.status(r, 400, "cases.invalid_request_key", f"key {bad!r}")
    s = t.login("supervisor")
    r = s.post("/api/v1/cases", body, headers={"Idempotency-Key": key})
    t.status(r, 201, None, "another creator, same key")
    t.true(r.json["reference"] != r1.json["reference"], "keys belong to their creator")
    # eight copies of one request at once: one case
    race = dossier(subject="Idempotent race")
    refs, lock = [], threading.Lock()

    def send():
        c = t.login("agent")
        resp = c.post("/api/v1/cases", race, headers={"Idempotency-Key": "race-key-000042"})
        with lock:
            refs.append((resp.status, resp.json.get("reference") if resp.json else None))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    t.eq(sorted({st for st, _ in refs}), [201], f"answers: {refs}")
    t.eq(len({ref for _, ref in refs}), 1, f"one case for eight copies: {refs}")
    # the citizens' portal too
    c = t.client()
    pb = {"type": "complaint", "category": "passport", "language": "fr", "subject": "Portail idempotent",
          "description": "Envoyé deux fois.", "citizen": {"email": "idem@example.org"}}
    p1 = c.post("/api/v1/portal/cases", pb, headers={"Idempotency-Key": "portal-key-000001"})
    t.status(p1, 201, None, "portal filing")
    p2 = c.post("/api/v1/portal/cases", pb, headers={"Idempotency-Key": "portal-key-000001"})
    t.eq((p2.status, p2.json["reference"], p2.json["pin"]), (201, p1.json["reference"], p1.json["pin"]), "portal replay")
