"""SMTP with credentials needs TLS: against a plain SMTP server that offers
AUTH but no STARTTLS, wasl with smtp.user set sends neither the password nor
the mail; the mail waits in the outbox with the reason on its row and in the
log, keeps its attempts, and goes out once the setting is fixed (here: a
local relay without credentials, which may still take mail in clear)."""
import base64
import subprocess

from harness import wait_until
from smtp_server import SmtpServer

PASSWORD = "smtp-secret-9f3a71"
# A server that would take a password in clear: AUTH offered, no STARTTLS.
_srv = SmtpServer(extensions=("AUTH PLAIN LOGIN", "8BITMIME"))
LINES, MAILS = _srv.lines, _srv.mails
SETTINGS = {"smtp.enabled": "true", "smtp.url": f"smtp://127.0.0.1:{_srv.port}", "smtp.from": "centre@consulat.example",
            "smtp.user": "centre", "smtp.password": PASSWORD, "cases.tick_seconds": "1", "cases.demo_cases": "0"}


def outbox(t, where):
    """(status, attempts, last_error) of the outbox rows matching where, read from the store."""
    sql = f"SELECT status, attempts, COALESCE(last_error, '') FROM outbox WHERE {where} ORDER BY id"
    if t.srv.backend == "sqlite":
        import sqlite3
        db = sqlite3.connect(t.srv.db)
        try:
            return [tuple(r) for r in db.execute(sql)]
        finally:
            db.close()
    out = subprocess.run(["psql", "-At", "-F", "\t", t.srv.db, "-c", sql], check=True, stdout=subprocess.PIPE,
                         text=True).stdout
    return [(s, int(a), e) for s, a, e in (line.split("\t") for line in out.splitlines())]


def test_credentials_need_tls(t):
    r = t.client().post("/api/v1/portal/cases", {"type": "complaint", "category": "passport", "language": "fr",
                                                 "subject": "Retard", "description": "Depuis deux mois",
                                                 "citizen": {"email": "tls.test@example.org"}})
    t.status(r, 201, None, "filed with an address: a mail is queued")
    # the worker tried (it talked to the server) and recorded why it stopped
    rows = wait_until(lambda: [x for x in outbox(t, "status = 'pending'") if x[2]])
    t.true(rows, f"the mail waits with an error on its row: {outbox(t, '1 = 1')}")
    status, attempts, error = rows[0]
    t.true("TLS" in error and "password" in error, f"the error says why: {error}")
    t.eq((status, attempts), ("pending", 0), "still pending, no attempt used up")
    t.true(LINES, "wasl did connect to the server")
    said = b"".join(LINES)
    t.true(b"AUTH" not in said.upper(), f"no AUTH command in clear: {said[:300]!r}")
    t.true(PASSWORD.encode() not in said and base64.b64encode(PASSWORD.encode())[:12] not in said,
           "the password never crossed the wire")
    t.eq(MAILS, [], "no mail sent")
    t.true(wait_until(lambda: "TLS" in t.srv.log() and "not sent" in t.srv.log()), "the refusal is in the log")
    # more ticks: still waiting, never failed
    n = len(LINES)
    wait_until(lambda: len(LINES) > n + 2)
    t.eq([x[:2] for x in outbox(t, "1 = 1")], [("pending", 0)], "still pending after more rounds")
    # without credentials, the same server is a local relay: the mail goes out
    t.srv.stop()
    t.srv.settings.pop("smtp.user")
    t.srv.settings.pop("smtp.password")
    t.srv.init = False
    t.srv.start()
    t.true(wait_until(lambda: MAILS), "the waiting mail is sent once the setting is fixed")
    t.true(any("tls.test@example.org" in r for r in MAILS[0]["rcpt"]), "to the citizen")
    t.eq([x[:2] for x in wait_until(lambda: outbox(t, "status = 'sent'"))], [("sent", 1)], "marked sent")
