"""Personal data at rest: distinctive marker strings go in through every path
that takes a citizen's data (a case opened by an agent, a portal filing, an
Open311 request, internal and public notes, a portal reply, a recorded call's
note, a callback request, a voice message left by phone, a guide search, a
notification mail in the outbox), then the files are read byte by byte for
them in clear: the SQLite database, its WAL and a `wasl backup` copy, or
PostgreSQL's data directory (WAL included) and a pg_dump; and the server's
log. The same markers must still read back through the API (they were
stored, sealed). Then a case stored before migration 0013 (its subject in
clear) is sealed by the next start, and its old text is gone from the files.

Markers carry a random part: PostgreSQL's WAL of earlier runs on the same
server must not be taken for this run's data."""
import os
import random
import string
import subprocess
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests", "sip"))
import sipua  # noqa: E402
from harness import free_port, wait_until  # noqa: E402

FR_DID = "+33800100200"


_rtp = random.randrange(41000, 59000, 2)
SETTINGS = {"sip.enabled": "true", "sip.port": str(free_port()), "sip.tcp": "false",
            "sip.rtp_min": str(_rtp), "sip.rtp_max": str(_rtp + 200), "sip.recording_dir": "rec",
            "sip.prompts_dir": os.path.join(TOP, "build", "prompts"),
            "sip.flow": os.path.join(TOP, "tests", "sip", "scenarios", "message_flow.json"),
            "log.level": "debug", "cases.demo_cases": "0"}

RUN = "".join(random.choice(string.ascii_lowercase) for _ in range(6))


def word(tag):
    """A marker word: letters only, so every text field takes it."""
    return f"Mrk{tag}{RUN}"


def phone(n):
    """A French mobile number of this run: +33 6 xx xx xx nn."""
    digits = str(random.Random(RUN + str(n)).randrange(10 ** 7, 10 ** 8))
    return "+33 6 " + " ".join([digits[:2], digits[2:4], digits[4:6], digits[6:]])


def phone_forms(p):
    """The ways a number could sit in a file in clear: as typed, E.164, national."""
    d = p.replace(" ", "").replace("+", "")
    return [p, d, "0" + d[2:], d[2:]]


def form_post(t, path, fields):
    import http.client
    import json
    c = http.client.HTTPConnection("127.0.0.1", t.srv.port, timeout=30)
    try:
        c.request("POST", path, body=urllib.parse.urlencode(fields).encode(),
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
        r = c.getresponse()
        return r.status, json.loads(r.read() or b"null")
    finally:
        c.close()


def feed(t):
    """Writes the markers through every path; returns {marker: what it is}
    and what must read back through the API."""
    m = {}
    a = t.login("agent")

    def mark(tag, what):
        w = word(tag)
        m[w] = what
        return w

    def mark_phone(n, what):
        p = phone(n)
        for f in phone_forms(p):
            m[f] = what
        return p

    # an agent's case
    body = {"type": "dossier", "category": "passport", "language": "fr", "country": "FR",
            "subject": f"{mark('agsubj', 'agent case subject')} passeport",
            "description": f"Appel de {mark('agdesc', 'agent case description')}",
            "fields": {"procedure": "passport", "consulate": "FR-PAR", "receipt_number": "R-2026-000123"},
            "citizen": {"name": f"{mark('agname', 'agent case citizen name')} Idrissi",
                        "phone": mark_phone(1, "agent case citizen phone"),
                        "email": f"{mark('agmail', 'agent case citizen email')}@example.org",
                        "passport": mark("agpass", "agent case passport").upper()[:20]}}
    r = a.post("/api/v1/cases", body)
    t.status(r, 201, None, "agent case")
    agent_ref = r.json["reference"]
    # notes, internal and public (the public one is mailed: the outbox)
    t.status(a.post(f"/api/v1/cases/{agent_ref}/notes", {"body": mark("ntint", "internal note"), "public": False}), 200)
    t.status(a.post(f"/api/v1/cases/{agent_ref}/notes", {"body": mark("ntpub", "public note and its mail"),
                                                           "public": True}), 200)
    # a recorded call's note
    r = a.put(f"/api/v1/desk/calls/scan-{RUN}", {"disposition": "information_given", "note": mark("call", "call note"),
                                                 "phone": mark_phone(2, "recorded call's number")})
    t.status(r, 200, None, "call disposition")
    # a portal filing, then the citizen's reply
    pub = t.client()
    r = pub.post("/api/v1/portal/cases", {
        "type": "complaint", "category": "passport", "language": "fr",
        "subject": f"{mark('posubj', 'portal subject')} retard", "description": mark("podesc", "portal description"),
        "citizen": {"name": mark("poname", "portal name"), "phone": mark_phone(3, "portal phone"),
                    "email": f"{mark('pomail', 'portal email')}@example.org"}})
    t.status(r, 201, None, "portal filing")
    portal_ref, pin = r.json["reference"], r.json["pin"]
    t.status(pub.post("/api/v1/portal/reply", {"reference": portal_ref, "pin": pin,
                                               "body": mark("reply", "portal reply")}), 204, None, "portal reply")
    # Open311: no subject given, so it is the description's first line (a name and a number)
    o_phone = phone(4)
    for f in phone_forms(o_phone):
        m[f] = "Open311 description's first line (the subject) and phone"
    st, j = form_post(t, "/open311/v2/requests.json", {
        "service_code": "complaint", "attribute[category]": "fees-appointments",
        "description": f"{mark('odline', 'Open311 first line')} {o_phone}\n{mark('odrest', 'Open311 description')}",
        "first_name": mark("odfirst", "Open311 first name"), "last_name": mark("odlast", "Open311 last name"),
        "email": f"{mark('odmail', 'Open311 email')}@example.org", "phone": o_phone, "lang": "fr"})
    t.eq(st, 201, f"Open311 request: {j}")
    o311_ref = j[0]["service_request_id"]
    # a callback request
    cb = a.post("/api/v1/tel/callbacks", {"phone": mark_phone(5, "callback number"), "language": "fr"})
    t.status(cb, 201, None, "callback request")
    # a guide search that names someone
    r = a.get("/api/v1/guide/search?" + urllib.parse.urlencode({"q": f"passeport {mark('guide', 'guide search')}",
                                                                 "lang": "fr", "log": "1"}))
    t.status(r, 200, None, "guide search")
    # a voice message left by phone
    caller = phone(6)
    for f in phone_forms(caller):
        m[f] = "voice message's caller number"
    ua = sipua.UA("127.0.0.1", ("127.0.0.1", int(t.srv.settings["sip.port"])), user="caller", name="scan", tone=1000)
    try:
        t.eq(ua.call(FR_DID, caller=caller.replace(" ", ""), cid="scan"), 200, "the call is answered")
        t.true(ua.wait_event("BYE received", 30.0), "wasl hangs up after the message")
    finally:
        if ua.dialog and not ua.dialog.get("ended"):
            ua.bye()
        ua.close()
    sup = t.login("supervisor")
    msgs = wait_until(lambda: sup.get("/api/v1/tel/messages?limit=200").json["items"])
    t.eq(len(msgs), 1, f"the voice message is listed: {msgs}")
    return m, {"agent": agent_ref, "portal": portal_ref, "open311": o311_ref}


def check_reads_back(t, refs):
    """What went in is still there, through the API: stored sealed, not lost."""
    a = t.login("agent")
    v = a.get(f"/api/v1/cases/{refs['agent']}").json
    t.eq(v["subject"], f"{word('agsubj')} passeport", "the agent case's subject reads back")
    t.true(any(e.get("body") == word("ntint") for e in v["events"]), "the internal note reads back")
    o = a.get(f"/api/v1/cases/{refs['open311']}").json
    t.true(o["subject"].startswith(word("odline")), f"the Open311 subject reads back: {o['subject']}")
    # the list shows subjects and the search box finds their words
    r = a.get("/api/v1/cases?" + urllib.parse.urlencode({"q": word("posubj").upper()})).json
    t.eq([c["reference"] for c in r["cases"]], [refs["portal"]], "a subject's word is found (case aside)")
    t.eq(r["cases"][0]["subject"], f"{word('posubj')} retard", "the list shows the subject")
    r = a.get("/api/v1/cases?" + urllib.parse.urlencode({"q": f"passeport {word('agsubj')}"})).json
    t.eq([c["reference"] for c in r["cases"]], [refs["agent"]], "two words of a subject, any order")


def scan(paths, markers):
    """{file: [markers found in clear]} over paths (files or folders)."""
    files = []
    for p in paths:
        if os.path.isdir(p):
            for root, _, names in os.walk(p):
                files += [os.path.join(root, n) for n in names]
        elif os.path.exists(p):
            files.append(p)
    found = {}
    needles = [(mk, mk.encode()) for mk in markers]
    # a word might also sit in a file as the lower-case text a LIKE search or an index would keep
    needles += [(mk, mk.lower().encode()) for mk in markers if mk.lower() != mk]
    for f in files:
        try:
            with open(f, "rb") as fh:
                data = fh.read()
        except OSError:
            continue
        hits = sorted({mk for mk, b in needles if b in data})
        if hits:
            found[f] = hits
    return found


def psql(t, sql):
    return subprocess.run(["psql", "-At", t.srv.db, "-c", sql], check=True, stdout=subprocess.PIPE,
                          text=True).stdout.strip()


def files_to_scan(t, work):
    """The store's files (and a backup of them), as the backend keeps them."""
    if t.srv.backend == "sqlite":
        backup = os.path.join(work, "backup.db")
        r = t.srv.cli("backup", backup)
        t.eq(r.returncode, 0, f"wasl backup: {r.stderr}")
        wal = t.srv.db + "-wal"
        t.true(os.path.exists(wal) and os.path.getsize(wal) > 0, "the WAL is there to be read")
        return [t.srv.db, wal, backup]
    psql(t, "CHECKPOINT")
    data = psql(t, "SHOW data_directory")
    dump = os.path.join(work, "dump.sql")
    with open(dump, "wb") as f:
        subprocess.run(["pg_dump", t.srv.db], check=True, stdout=f)
    return [data, os.path.join(os.path.dirname(data), "log"), dump]


def report(found, markers):
    return "; ".join(f"{os.path.basename(f)}: " + ", ".join(f"{markers[mk]} ({mk})" for mk in hits)
                     for f, hits in found.items())


def test_no_personal_data_in_clear(t):
    work = os.path.join(t.srv.dir, "scan")
    os.makedirs(work, exist_ok=True)
    markers, refs = feed(t)
    check_reads_back(t, refs)
    found = scan(files_to_scan(t, work), markers)
    t.eq(report(found, markers), "", "no marker in clear in the store's files")
    # the log, after a clean stop (everything flushed); on SQLite the file after its last checkpoint too
    t.srv.stop()
    found = scan([t.srv.log_path] + ([t.srv.db] if t.srv.backend == "sqlite" else []), markers)
    t.eq(report(found, markers), "", "no marker in clear in the log")
    t.srv.init = False
    t.srv.start()


def _sql(t, sql):
    if t.srv.backend == "sqlite":
        import sqlite3
        db = sqlite3.connect(t.srv.db)
        try:
            db.execute(sql)
            db.commit()
        finally:
            db.close()
    else:
        psql(t, sql)


def test_subjects_stored_before_are_sealed(t):
    """A case as migration 0013 leaves an older one (the subject in clear, no
    sealed copy): the next start seals it, its words are found, and its old
    text is gone from the store's files."""
    work = os.path.join(t.srv.dir, "old")
    os.makedirs(work, exist_ok=True)
    a = t.login("agent")
    r = a.post("/api/v1/cases", {"type": "information", "category": "passport", "language": "fr",
                                 "subject": "placeholder"})
    t.status(r, 201)
    ref = r.json["reference"]
    old = f"{word('oldsubj')} {phone(7)}"
    t.srv.stop()
    _sql(t, f"UPDATE cases SET subject = '{old}', subject_enc = NULL, subject_tokens = NULL "
            f"WHERE reference = '{ref}'")
    # and a search logged then, in clear, that found nothing
    _sql(t, "INSERT INTO guide_search_log (at, lang, query, results, role) "
            f"VALUES ({int(time.time() * 1e6)}, 'fr', '{word('oldsearch')} visa', 0, 'agent')")
    t.srv.init = False
    t.srv.start()
    t.true(wait_until(lambda: "older case subject(s) and logged search(es) sealed" in t.srv.log()),
           "the worker seals them at start")
    a = t.login("agent")
    t.eq(a.get(f"/api/v1/cases/{ref}").json["subject"], old, "the subject reads as before")
    r = a.get("/api/v1/cases?" + urllib.parse.urlencode({"q": word("oldsubj")})).json
    t.eq([c["reference"] for c in r["cases"]], [ref], "and its words are found")
    gaps = t.login("editor").get("/api/v1/guide/gaps?kind=zero").json["gaps"]
    t.true(any(g["query"] == f"{word('oldsearch')} visa".lower() for g in gaps), f"the old search in the gaps: {gaps}")
    markers = {word("oldsubj"): "a subject stored in clear before 0013",
               word("oldsearch"): "a search logged in clear before 0013"}
    for f in phone_forms(phone(7)):
        markers[f] = "a number in a subject stored before 0013"
    paths = [t.srv.db, t.srv.db + "-wal"] if t.srv.backend == "sqlite" else None
    if paths is None:
        psql(t, "CHECKPOINT")
        data = psql(t, "SHOW data_directory")
        # the table's own files: the WAL keeps the old row until PostgreSQL recycles it (docs/security.md)
        paths = [os.path.join(data, psql(t, f"SELECT pg_relation_filepath('{tb}')")) for tb in ("cases", "guide_search_log")]
    t.true(wait_until(lambda: not scan(paths, markers), 10), f"the old text is gone: {report(scan(paths, markers), markers)}")
