"""A mail the SMTP server took while the store could not take its mark:
the outbox keeps the mark and writes it when the store answers again, so the
mail is not left pending to go a second time when its claim expires (10
minutes later, or at once under the next node that takes the store).

SQLite only: the store is made to refuse the mark by holding its write lock
from here (BEGIN EXCLUSIVE) past store.busy_timeout; on PostgreSQL the same
path is the cluster test's (its primary killed between a send and its mark).
"""
import sqlite3
import threading

from harness import wait_until
from smtp_server import SmtpServer

SQLITE_ONLY = True
_sink = SmtpServer()
SETTINGS = {"smtp.enabled": "true", "smtp.url": f"smtp://127.0.0.1:{_sink.port}", "smtp.from": "centre@consulat.example",
            "cases.tick_seconds": "1", "cases.demo_cases": "0", "store.busy_timeout": "1s", "store.tx_retries": "0"}


def test_a_mark_the_store_refused_is_written_when_it_answers(t):
    lock = {}
    locked = threading.Event()

    def hold_the_store(data):
        # the first mail only: the store's write lock taken before the yes
        if lock:
            return
        db = sqlite3.connect(t.srv.db, timeout=5, isolation_level=None, check_same_thread=False)
        db.execute("BEGIN EXCLUSIVE")
        lock["db"] = db
        locked.set()
    _sink.before_yes = hold_the_store
    try:
        r = t.client().post("/api/v1/portal/cases", {"type": "complaint", "category": "passport", "language": "fr",
                                                     "subject": "Passeport en retard", "description": "depuis deux mois",
                                                     "citizen": {"email": "unmarked.test@example.org"}})
        t.status(r, 201, None, "filed")
        ref = r.json["reference"]
        t.true(locked.wait(20), "the mail reached the SMTP server, the store's lock is held")
        t.true(wait_until(lambda: "sent, not marked" in t.srv.log(), 20),
               "the server says the mail went and its mark did not")
    finally:
        _sink.before_yes = None
        if lock.get("db"):
            lock["db"].execute("ROLLBACK")
            lock["db"].close()

    def status():
        db = sqlite3.connect(t.srv.db, timeout=5)
        try:
            row = db.execute("SELECT o.status, o.claimed_until FROM outbox o JOIN cases c ON c.id = o.case_id "
                             "WHERE c.reference = ?", (ref,)).fetchone()
        finally:
            db.close()
        return row
    t.true(wait_until(lambda: status() and status()[0] == "sent", 20),
           f"the mail is marked sent once the store answers (outbox row: {status()})")
    t.true("marked as sent at last" in t.srv.log(), "and the server says so")
    t.eq(status()[1], 0, "its claim is let go")
    mails = [m for m in _sink.mails if any("unmarked.test@example.org" in x for x in m["rcpt"])]
    t.eq(len(mails), 1, "the citizen got the mail once")
