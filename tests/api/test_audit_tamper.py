"""Tampering with the audit trail in the database file, as an intruder with the
sqlite3 shell would, is found by `wasl audit verify` and the API."""
import sqlite3
import subprocess

SQLITE_ONLY = True


def sqlite_edit(t, sql):
    # The sqlite3 shell, as an intruder with file access would use it.
    subprocess.run(["sqlite3", "-cmd", ".timeout 10000", t.srv.db, sql], check=True)


def test_tamper_detected_with_sqlite_shell(t):
    a = t.login("admin")
    for i in range(3):
        a.post("/api/v1/users", {"login": f"tamper{i}", "display_name": "T", "role": "agent"})
    db = sqlite3.connect(t.srv.db)
    seqs = [r[0] for r in db.execute("SELECT seq FROM audit_log ORDER BY seq")]
    db.close()
    mid = seqs[len(seqs) // 2]

    # 1. Edit one entry's actor.
    actor = sqlite3.connect(t.srv.db).execute(f"SELECT actor FROM audit_log WHERE seq = {mid}").fetchone()[0]
    sqlite_edit(t, f"UPDATE audit_log SET actor = 'someone-else' WHERE seq = {mid}")
    r = t.srv.cli("audit", "verify")
    t.eq(r.returncode, 1, "verify fails after an edit")
    t.true(f"entry {mid} was altered" in r.stdout, f"names entry {mid}: {r.stdout}")
    t.eq(a.get("/api/v1/audit/verify").json["first_bad_entry"], mid, "API names the same entry")
    sqlite_edit(t, f"UPDATE audit_log SET actor = '{actor}' WHERE seq = {mid}")
    t.eq(t.srv.cli("audit", "verify").returncode, 0, "restored")

    # 2. Delete one entry in the middle.
    saved = sqlite3.connect(t.srv.db).execute(f"SELECT * FROM audit_log WHERE seq = {mid}").fetchone()
    sqlite_edit(t, f"DELETE FROM audit_log WHERE seq = {mid}")
    r = t.srv.cli("audit", "verify")
    t.true(r.returncode == 1 and f"entry {mid} is missing" in r.stdout, f"deleted entry found: {r.stdout}")
    db = sqlite3.connect(t.srv.db)
    db.execute("INSERT INTO audit_log VALUES (" + ",".join("?" * len(saved)) + ")", saved)
    db.commit()
    db.close()
    t.eq(t.srv.cli("audit", "verify").returncode, 0, "restored")

    # 3. Forge an entry with a correct-looking hash but the wrong predecessor.
    sqlite_edit(t, f"UPDATE audit_log SET prev_hash = hash WHERE seq = {mid}")
    r = t.srv.cli("audit", "verify")
    t.true(r.returncode == 1 and f"entry {mid}" in r.stdout, f"re-linked entry found: {r.stdout}")
    db = sqlite3.connect(t.srv.db)
    prev = db.execute(f"SELECT hash FROM audit_log WHERE seq = {mid - 1}").fetchone()[0]
    db.execute(f"UPDATE audit_log SET prev_hash = ? WHERE seq = {mid}", (prev,))
    db.commit()
    db.close()

    # 4. Delete the newest entries: the head still counts them.
    last = seqs[-1]
    sqlite_edit(t, f"DELETE FROM audit_log WHERE seq >= {last - 1}")
    r = t.srv.cli("audit", "verify")
    t.true(r.returncode == 1 and f"entries {last - 1} and after were deleted" in r.stdout,
           f"truncation found: {r.stdout}")
