"""The citizens' portal and Open311: filing in the citizen's language,
tracking by reference and PIN (one answer for unknown reference and wrong
PIN, a wrong check character refused before any look-up, wrong PINs
throttled), rating after resolution, no HTML, and GeoReport v2."""
import http.client
import json
import time
import urllib.parse

SETTINGS = {"cases.pin_failures": "3", "cases.pin_lockout": "10m", "cases.portal_per_hour": "50",
            "cases.demo_cases": "0", "cases.pin_max_delay": "2s"}


def filing(**over):
    body = {"type": "complaint", "category": "fees-appointments", "language": "ar", "country": "FR",
            "consulate": "FR-LYO", "subject": "لا توجد مواعيد متاحة", "description": "أحاول منذ ثلاثة أسابيع.",
            "fields": {"about": "appointments"}, "citizen": {"name": "سلمى بناني", "email": "salma@example.org"}}
    body.update(over)
    return body


def without_request_id(resp):
    j = dict(resp.json["error"])
    j.pop("request_id", None)
    return j


def test_file_in_arabic_and_track(t):
    c = t.client()
    r = c.post("/api/v1/portal/cases", filing())
    t.status(r, 201, None, "filed")
    ref, pin = r.json["reference"], r.json["pin"]
    t.true("لقد استلمنا" in r.json["acknowledgement"] and ref in r.json["acknowledgement"], "acknowledgement in Arabic")
    t.true(r.json["expected_at"], "an expected date")
    tr = c.post("/api/v1/portal/track", {"reference": ref.lower(), "pin": pin})
    t.status(tr, 200, None, "tracked")
    t.eq((tr.json["status"], tr.json["type"], tr.json["language"]), ("new", "complaint", "ar"), "status")
    t.eq(tr.json["notes"][0]["kind"], "acknowledgement", "the written acknowledgement is a public note")
    for secret in ("سلمى", "salma", "مواعيد"):
        t.true(secret not in tr.body, f"tracking does not reveal {secret!r}")
    # Staff see it as a portal case, assigned nowhere yet, consulate kept.
    a = t.login("agent")
    v = a.get(f"/api/v1/cases/{ref}").json
    t.eq((v["channel"], v["consulate"], v["fields"].get("consulate")), ("portal", "FR-LYO", "FR-LYO"), "consulate recorded")
    t.eq(v["citizen"]["name"], "سلمى بناني", "name stored verbatim")


def test_file_validation(t):
    c = t.client()
    bad = [
        (dict(type="dossier"), "type"),
        (dict(type="information"), "type"),
        (dict(language="xx"), "language"),
        (dict(subject=""), "subject"),
        (dict(description="x" * 10001), "description"),
        (dict(description="<a href=http://evil>click</a>"), "description"),
        (dict(subject="<script>"), "subject"),
        (dict(fields={"about": "aliens"}), "about"),
        (dict(citizen={"email": "x@"}), "email"),
        (dict(citizen={"passport": "AB1234567"}), None),  # identity numbers are not taken on a public form
    ]
    for over, field in bad:
        r = c.post("/api/v1/portal/cases", filing(**over))
        if field is None:
            t.status(r, 201, None, "passport ignored")
            a = t.login("agent")
            t.eq(a.get(f"/api/v1/cases/{r.json['reference']}").json["citizen"]["passport"], None, "not stored")
            continue
        t.status(r, 400, None, f"filing with {over}")
        t.eq(r.json["error"].get("field"), field, f"field named for {over}")
    r = c.request("POST", "/api/v1/portal/cases", raw=json.dumps(filing(description="é" * 9000)).encode())
    t.status(r, 413, None, "a body over 16 KiB")
    # A cross-site form post is refused.
    r = c.request("POST", "/api/v1/portal/cases", body=filing(), headers={"Origin": "https://evil.example"})
    t.status(r, 403, "auth.cross_origin", "cross-origin filing")
    r = c.request("POST", "/api/v1/portal/cases", body=filing(), headers={"Origin": "null"})
    t.status(r, 403, "auth.cross_origin", "a filing from a sandboxed frame (Origin: null)")


def test_same_answer_for_unknown_and_wrong_pin_and_throttling(t):
    c = t.client()
    f = c.post("/api/v1/portal/cases", filing(language="fr", subject="Attente", description="Trop long")).json
    ref, pin = f["reference"], f["pin"]
    wrong = f"{(int(pin) + 1) % 1000000:06d}"
    # A mistyped check character: "not valid", before any look-up or count.
    bad = ref[:-1] + ("0" if ref[-1] != "0" else "1")
    for _ in range(5):
        r = c.post("/api/v1/portal/track", {"reference": bad, "pin": pin})
        t.status(r, 400, "cases.invalid_reference", "wrong check character")
    # An unknown but valid reference and a wrong PIN read the same.
    other = t.client().post("/api/v1/portal/cases", filing(language="fr", subject="x", description="y")).json
    a = t.login("admin")
    t.status(a.post("/api/v1/privacy/erase", {"email": "salma@example.org"}), 200, None, "erase the other")
    r1 = c.post("/api/v1/portal/track", {"reference": other["reference"], "pin": other["pin"]})
    r2 = c.post("/api/v1/portal/track", {"reference": ref, "pin": wrong})
    t.eq((r1.status, without_request_id(r1)), (r2.status, without_request_id(r2)), "same answer")
    t.eq(r2.json["error"]["code"], "cases.no_match", "no_match")
    # pin_failures = 3: the third wrong PIN pauses the reference, even for the right PIN.
    t.status(c.post("/api/v1/portal/track", {"reference": ref, "pin": wrong}), 404, None, "second wrong PIN")
    t.status(c.post("/api/v1/portal/track", {"reference": ref, "pin": wrong}), 404, None, "third wrong PIN")
    r = c.post("/api/v1/portal/track", {"reference": ref, "pin": pin})
    t.status(r, 429, "cases.too_many_attempts", "locked after three wrong PINs")
    t.true(int(r.header("Retry-After") or 0) > 0, "Retry-After given")
    # The rating endpoint is behind the same lock.
    t.status(c.post("/api/v1/portal/rate", {"reference": ref, "pin": pin, "rating": 5}), 429, None, "rate locked too")


def track_within(t, c, ref, pin, bound):
    """Tracks ref, waiting out slow-down answers (429 cases.slow_down, with a
    Retry-After no longer than bound) for at most bound + 3 s."""
    start = time.time()
    while True:
        r = c.post("/api/v1/portal/track", {"reference": ref, "pin": pin})
        if r.status == 200:
            return time.time() - start
        t.status(r, 429, "cases.slow_down", "the owner is only slowed down")
        t.true(1 <= int(r.header("Retry-After") or 0) <= bound, f"Retry-After within 1..{bound}: {r.headers}")
        t.true(time.time() - start < bound + 3, f"the owner still refused after {bound + 3} s")
        time.sleep(0.1)


def test_who_knows_a_reference_cannot_keep_its_owner_out(t):
    owner = t.client(source="127.0.0.20")
    f = owner.post("/api/v1/portal/cases", filing(language="fr", subject="Passeport", description="Délai ?")).json
    ref, pin = f["reference"], f["pin"]
    wrong = "000000" if pin != "000000" else "111111"
    attacker = t.client(source="127.0.0.21")
    codes = [attacker.post("/api/v1/portal/track", {"reference": ref, "pin": wrong}).status for _ in range(8)]
    t.eq(codes, [404, 404, 404] + [429] * 5, "the attacker's address is locked out of the reference")
    r = attacker.post("/api/v1/portal/track", {"reference": ref, "pin": pin})
    t.status(r, 429, "cases.too_many_attempts", "even with the right PIN")
    # The owner, from a clean address: tracks at once, and by Open311 too.
    t.eq(owner.post("/api/v1/portal/track", {"reference": ref, "pin": pin}).status, 200, "the owner tracks at once")
    r = owner.get(f"/open311/v2/requests/{ref}.json?pin={pin}")
    t.eq(r.status, 200, f"and by Open311: {r}")
    # Guessing from many addresses only slows the reference down (1 s, then the 2 s cap).
    for i in range(3):
        src = f"127.0.2.{i + 1}"
        r = t.client(source=src).post("/api/v1/portal/track", {"reference": ref, "pin": wrong})
        if r.status == 429:
            t.status(r, 429, "cases.slow_down", f"a guess from {src} during the delay")
            time.sleep(int(r.header("Retry-After")))
            r = t.client(source=src).post("/api/v1/portal/track", {"reference": ref, "pin": wrong})
        t.status(r, 404, None, f"guess from {src}")
    waited = track_within(t, owner, ref, pin, 2)
    t.true(waited < 5, f"the owner waited {waited:.1f} s")


def test_rating_after_resolution(t):
    c = t.client()
    f = c.post("/api/v1/portal/cases", filing(type="suggestion", fields={}, language="es",
                                              subject="Cita por teléfono", description="No todos usan la web")).json
    ref, pin = f["reference"], f["pin"]
    t.status(c.post("/api/v1/portal/rate", {"reference": ref, "pin": pin, "rating": 4}), 409, "cases.cannot_rate",
             "not before it is resolved")
    a = t.login("agent")
    a.post(f"/api/v1/cases/{ref}/notes", {"body": "Gracias, lo estudiamos.", "public": True})
    a.patch(f"/api/v1/cases/{ref}", {"status": "resolved"})
    tr = c.post("/api/v1/portal/track", {"reference": ref, "pin": pin}).json
    t.true(tr["can_rate"] and tr["status"] == "resolved", "can rate now")
    t.status(c.post("/api/v1/portal/rate", {"reference": ref, "pin": pin, "rating": 6}), 400, None, "1 to 5")
    t.status(c.post("/api/v1/portal/rate", {"reference": ref, "pin": pin, "rating": 4, "comment": "<b>x</b>"}), 400,
             "cases.html_not_allowed", "no HTML in the comment")
    t.status(c.post("/api/v1/portal/rate", {"reference": ref, "pin": pin, "rating": 4, "comment": "Rápido"}), 204, None,
             "rated")
    t.status(c.post("/api/v1/portal/rate", {"reference": ref, "pin": pin, "rating": 1}), 409, None, "once")
    v = a.get(f"/api/v1/cases/{ref}").json
    t.eq((v["rating"], v["rating_comment"]), (4, "Rápido"), "staff see the rating")


def form_post(t, path, fields, content_type="application/x-www-form-urlencoded"):
    body = urllib.parse.urlencode(fields).encode() if isinstance(fields, (list, dict)) else fields
    c = http.client.HTTPConnection("127.0.0.1", t.srv.port, timeout=30)
    try:
        c.request("POST", path, body=body, headers={"Content-Type": content_type})
        r = c.getresponse()
        return r.status, json.loads(r.read() or b"null"), dict(r.getheaders())
    finally:
        c.close()


def test_open311(t):
    c = t.client()
    s = c.get("/open311/v2/services.json?lang=fr")
    t.status(s, 200, None, "services")
    t.eq(sorted(x["service_code"] for x in s.json), ["complaint", "observation", "suggestion"], "public types only")
    t.eq([x["service_name"] for x in s.json if x["service_code"] == "complaint"], ["Réclamation"], "names in the language")
    d = c.get("/open311/v2/services/complaint.json")
    t.status(d, 200, None, "definition")
    codes = {a["code"]: a for a in d.json["attributes"]}
    t.true(codes["category"]["required"] and codes["category"]["datatype"] == "singlevaluelist", "category attribute")
    t.true(any(v["key"] == "appointments" for v in codes["about"]["values"]), "declared field with its values")
    t.eq(c.get("/open311/v2/services/passport.json").status, 404, "unknown service")
    t.eq(c.get("/open311/v2/services/complaint").status, 404, "the .json suffix is part of the name")

    st, j, h = form_post(t, "/open311/v2/requests.json", {
        "service_code": "complaint", "description": "Rendez-vous annulé la veille\nsans explication",
        "attribute[category]": "fees-appointments", "attribute[about]": "appointments", "lat": "48.8", "long": "2.3",
        "email": "o311@example.org", "first_name": "Nadia", "last_name": "Azizi", "lang": "fr", "api_key": "x"})
    t.eq(st, 201, f"created: {j}")
    ref, pin = j[0]["service_request_id"], j[0]["pin"]
    t.true("Nous avons bien reçu" in j[0]["service_notice"], "notice in French")
    g = c.get(f"/open311/v2/requests/{ref}.json?pin={pin}")
    t.status(g, 200, None, "read back")
    t.eq((g.json[0]["status"], g.json[0]["detailed_status"], g.json[0]["service_code"]), ("open", "new", "complaint"),
         "status")
    t.eq(g.json[0]["status_notes"] is not None, True, "the acknowledgement is the status note")
    g2 = c.get(f"/open311/v2/requests.json?service_request_id={ref}&pin={pin}")
    t.eq(g2.json, g.json, "both forms of get request")
    a = t.login("agent")
    v = a.get(f"/api/v1/cases/{ref}").json
    t.eq((v["channel"], v["subject"], v["citizen"]["name"]), ("open311", "Rendez-vous annulé la veille", "Nadia Azizi"),
         "subject from the first line")
    # Errors in GeoReport's shape.
    e = c.get(f"/open311/v2/requests/{ref}.json?pin=000000")
    t.eq(e.status, 404, "wrong pin")
    t.true(isinstance(e.json, list) and e.json[0]["code"] == 404 and e.json[0]["description"], "GeoReport error shape")
    for fields, field in [({"service_code": "complaint"}, "description"),
                          ({"description": "x"}, "service_code"),
                          ({"service_code": "dossier", "description": "x"}, "service_code"),
                          ({"service_code": "complaint", "description": "x", "colour": "red"}, "colour"),
                          ({"service_code": "complaint", "description": "<script>x</script>"}, "description"),
                          ({"service_code": "complaint", "description": "x", "attribute[about]": "nope"}, "about"),
                          ([("service_code", "complaint"), ("service_code", "complaint"), ("description", "x")],
                           "service_code")]:
        st, j, _ = form_post(t, "/open311/v2/requests.json", fields)
        t.eq(st, 400, f"{fields}: {j}")
        t.eq(j[0].get("field"), field, f"field named for {fields}")
    st, j, _ = form_post(t, "/open311/v2/requests.json", b"service_code=complaint&description=%ZZ")
    t.eq(st, 400, "bad escape")
    st, j, _ = form_post(t, "/open311/v2/requests.json", b"service_code=complaint&description=a%00b")
    t.eq(st, 400, "NUL")
    st, j, _ = form_post(t, "/open311/v2/requests.json", b'{"service_code":"complaint"}', "application/json")
    t.eq(st, 415, "JSON is not what GeoReport sends")
