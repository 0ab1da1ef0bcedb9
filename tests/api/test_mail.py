"""Mail to citizens through the outbox and a real SMTP conversation (libcurl
on the server side, a small SMTP sink here), and the portal's limit on
filings per address."""
import base64
import email
import email.header
import time

from smtp_server import SmtpServer

_sink = SmtpServer()
RECEIVED = _sink.mails
SETTINGS = {"smtp.enabled": "true", "smtp.url": f"smtp://127.0.0.1:{_sink.port}", "smtp.from": "centre@consulat.example",
            "cases.tick_seconds": "1", "cases.portal_per_hour": "3", "cases.demo_cases": "0"}


def test_reference_and_pin_mailed_in_the_filers_language(t):
    c = t.client()
    r = c.post("/api/v1/portal/cases", {"type": "complaint", "category": "passport", "language": "ar",
                                        "subject": "تأخر جواز السفر", "description": "منذ شهرين",
                                        "citizen": {"email": "mail.test@example.org"}})
    t.status(r, 201, None, "filed")
    ref, pin = r.json["reference"], r.json["pin"]
    deadline = time.time() + 15
    while time.time() < deadline and not RECEIVED:
        time.sleep(0.2)
    t.true(RECEIVED, "a mail reached the SMTP server")
    m = RECEIVED[0]
    t.true("mail.test@example.org" in m["rcpt"][0], f"recipient {m['rcpt']}")
    t.true("centre@consulat.example" in m["from"], "sender")
    msg = email.message_from_bytes(m["data"])
    subject = str(email.header.make_header(email.header.decode_header(msg["Subject"])))
    t.true(ref in subject, f"reference in the subject: {subject}")
    body = base64.b64decode(msg.get_payload()).decode("utf-8")
    t.true(ref in body and pin in body, "reference and PIN in the body")
    t.true("السلام عليكم" in body, "in Arabic")
    t.eq(msg.get_content_charset(), "utf-8", "UTF-8")


def test_filings_per_address_are_limited(t):
    c = t.client()
    body = {"type": "suggestion", "category": "general", "language": "fr", "subject": "Idée", "description": "Une idée"}
    codes = [c.post("/api/v1/portal/cases", body).status for _ in range(4)]
    # One filing was made by the test above from the same address; the limit is 3 an hour.
    t.true(codes.count(201) <= 2 and codes[-1] == 429, f"limited: {codes}")
    r = c.post("/api/v1/portal/cases", body)
    t.status(r, 429, "cases.too_many_attempts", "still limited")
    t.true(int(r.header("Retry-After")) > 0, "Retry-After")
    # Staff are not limited by the portal's counter.
    t.status(t.login("agent").post("/api/v1/cases", dict(body, type="observation")), 201, None, "staff unaffected")


def test_public_note_and_resolution_mailed_in_the_citizens_language(t):
    a = t.login("agent")
    c = a.post("/api/v1/cases", {"type": "dossier", "category": "passport", "language": "de", "country": "DE",
                                 "subject": "Reisepass verloren", "fields": {"procedure": "passport", "consulate": "DE-DUS"},
                                 "citizen": {"name": "Samir A", "email": "samir.de@example.org"}})
    t.status(c, 201, None, "case with an address")
    ref = c.json["reference"]
    t.status(a.post(f"/api/v1/cases/{ref}/notes", {"body": "Intern: Akte angefordert", "public": False}), 200)
    t.status(a.post(f"/api/v1/cases/{ref}/notes", {"body": "Ihr Pass liegt zur Abholung bereit.", "public": True}), 200)
    mails = _sink.mails_to("samir.de@example.org", 1)
    t.eq(len(mails), 1, "one mail for the public note, none for the internal one")
    subject, body = mails[0]
    t.true(ref in subject and "Neues" in subject, f"German subject with the reference: {subject}")
    t.true("Guten Tag" in body and "Ihr Pass liegt zur Abholung bereit." in body, "the note, in German")
    t.true("Intern" not in body, "the internal note is not sent")
    t.status(a.patch(f"/api/v1/cases/{ref}", {"status": "resolved"}), 200)
    mails = _sink.mails_to("samir.de@example.org", 2)
    t.eq(len(mails), 2, "a mail on resolution")
    t.true("erledigt" in mails[1][0] and ref in mails[1][0], f"resolution subject: {mails[1][0]}")
    # A case without an address sends nothing and does not fail.
    c2 = a.post("/api/v1/cases", {"type": "information", "category": "passport", "language": "ar", "subject": "سؤال"}).json
    t.status(a.post(f"/api/v1/cases/{c2['reference']}/notes", {"body": "جواب", "public": True}), 200, None, "no address")
