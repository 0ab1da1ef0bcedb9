"""Backup and restore: a copy taken while the server runs and writes
(`wasl backup FILE` on SQLite, pg_dump/pg_restore on PostgreSQL) is served by
a new server with the same key file, which finds every case by its reference
with its personal data decrypted; without the key file it refuses to start.
docs/operations.md, "Backup, restore and upgrade"."""
import glob
import os
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse

import harness

SETTINGS = {"cases.demo_cases": "12"}


def case_body(i):
    return {
        "type": "dossier", "category": "passport", "language": "fr", "country": "FR",
        "subject": f"Passeport n°{i} déposé, pas de nouvelles",
        "description": f"Dépôt le {i} octobre au consulat. وصل",
        "fields": {"procedure": "passport", "consulate": "FR-PAR", "receipt_number": f"R-2026-{i:06d}"},
        "citizen": {"name": f"Citoyenne Numéro {i}", "phone": f"+33 6 12 34 {i // 100 % 100:02d} {i % 100:02d}",
                    "email": f"c{i}@example.org", "passport": f"AB{i:07d}", "id_number": f"BK{i:06d}"},
    }


def refs(client):
    """Every case reference the server lists, page by page."""
    out, more = [], ""
    while True:
        r = client.get("/api/v1/cases?limit=200" + more)
        if r.status != 200:
            raise harness.Failure(f"case list: {r}")
        out += [c["reference"] for c in r.json["cases"]]
        # cursor paging, or before= on binaries older than it (the upgrade test's)
        if "next_cursor" in r.json:
            more = f"&cursor={r.json['next_cursor']}" if r.json["next_cursor"] else None
        else:
            more = f"&before={r.json['next_before']}" if r.json["next_before"] else None
        if not more:
            return out


def view(client, ref):
    """What a user sees of one case: its data in clear and its history."""
    r = client.get(f"/api/v1/cases/{ref}")
    if r.status != 200:
        raise harness.Failure(f"GET /api/v1/cases/{ref}: {r}")
    v = r.json
    keep = ("reference", "type", "status", "category", "priority", "language", "country", "subject", "description",
            "citizen", "fields")
    return {k: v.get(k) for k in keep} | {"events": [(e["kind"], e.get("at")) for e in v["events"]]}


def write_while(t, client, stop, made):
    """Creates cases until stop is set; made gets (reference, body) of each
    case the server confirmed (201)."""
    i = 1000
    while not stop.is_set():
        i += 1
        r = client.post("/api/v1/cases", case_body(i))
        if r.status == 201:
            made.append((r.json["reference"], case_body(i)))


def make_cases(t, n=8):
    a = t.login("agent")
    made = []
    for i in range(n):
        r = a.post("/api/v1/cases", case_body(i))
        t.status(r, 201, None, f"case {i} created")
        made.append((r.json["reference"], case_body(i)))
    return a, made


def online_copy(t, take):
    """Runs take() (which copies the database) while another client writes
    cases; returns the agent's client, the cases confirmed before take()
    started, and those the writer made while it ran."""
    a, before = make_cases(t)
    stop, during = threading.Event(), []
    w = threading.Thread(target=write_while, args=(t, t.login("agent"), stop, during))
    w.start()
    try:
        # the writer has had at least one case confirmed: the copy is taken under load
        wait_for(lambda: during, 20, "the writer's first case")
        n = len(during)
        before = before + during[:n]  # confirmed before the copy started
        take()
    finally:
        stop.set()
        w.join(30)
    return a, before, during[n:]


def wait_for(cond, timeout, what):
    end = time.time() + timeout
    while not cond():
        if time.time() > end:
            raise harness.Failure(f"waited {timeout} s for {what}")
        time.sleep(0.05)


def check_restored(t, old_client, new_srv, before, during, restored_label):
    """Every case of the old server that existed when the copy started is on
    the new one, identical and decrypted; every case in the copy (including
    those written during the copy: wholly there or absent) reads as on the
    original; the restored server writes new cases."""
    old_refs = refs(old_client)
    new = harness.T(new_srv)
    n = new.login("agent")
    new_refs = set(refs(n))
    for ref, body in before:
        t.true(ref in new_refs, f"{restored_label}: case {ref}, confirmed before the copy, is in the copy")
        v = view(n, ref)
        t.eq(v["citizen"]["passport"], body["citizen"]["passport"], f"{ref}: passport decrypted")
        t.eq(v["citizen"]["name"], body["citizen"]["name"], f"{ref}: name decrypted")
        t.eq(v["description"], body["description"], f"{ref}: description decrypted")
        t.eq(v["fields"]["receipt_number"], body["fields"]["receipt_number"], f"{ref}: personal field decrypted")
    # every case in the copy (demo cases too) reads the same as on the original
    t.true(len(new_refs) >= len(before) + 12, f"{restored_label}: the demo cases are there ({len(new_refs)} cases)")
    for ref in sorted(new_refs):
        t.true(ref in old_refs, f"{restored_label}: {ref} exists on the original")
        t.eq(view(n, ref), view(old_client, ref), f"{restored_label}: case {ref} as the original shows it")
    r = n.post("/api/v1/cases", case_body(9999))
    t.status(r, 201, None, f"{restored_label}: a new case on the restored server")
    t.true(r.json["reference"] not in old_refs, f"{restored_label}: its reference is new")


def serve_copy(t, db, key_from, backend):
    """A new server on the copy: first without the key files (it must refuse:
    the cases' personal data cannot be read, the audit trail not extended),
    then with them."""
    new = harness.Server(t.srv.binary, backend=backend, db_url=db, init=False, settings={})
    try:
        new.start()
        new.stop()
        raise harness.Failure("wasl serve started on a copy with cases but without the key file")
    except RuntimeError as e:
        t.true("key" in str(e).lower(), f"without the key file, serve says why: {str(e)[-300:]}")
    new.stop()
    shutil.copy(key_from, os.path.join(new.dir, "wasl.key"))
    os.chmod(os.path.join(new.dir, "wasl.key"), 0o600)
    try:
        new.start()
        new.stop()
        raise harness.Failure("wasl serve started on a keyed audit trail without its key file")
    except RuntimeError as e:
        t.true("audit key" in str(e), f"without the audit key file, serve says why: {str(e)[-300:]}")
    new.stop()
    # The audit key travels with the personal-data key, never in the backup.
    audit_key = os.path.join(os.path.dirname(key_from), "wasl-audit.key")
    shutil.copy(audit_key, os.path.join(new.dir, "wasl-audit.key"))
    os.chmod(os.path.join(new.dir, "wasl-audit.key"), 0o600)
    new.start()
    return new


def test_sqlite_online_backup_restores_every_case(t):
    out = tempfile.mkdtemp(prefix="wasl-backup-")
    copy = os.path.join(out, "copy.db")
    res = {}

    def take():
        res["r"] = t.srv.cli("backup", copy)

    try:
        a, before, during = online_copy(t, take)
        r = res["r"]
        t.eq(r.returncode, 0, f"wasl backup while serving: {r.stderr}")
        t.true("integrity check: ok" in r.stdout, f"backup reports its check: {r.stdout}")
        t.eq(sorted(os.listdir(out)), ["copy.db"], "the copy is one self-contained file (no -wal/-shm)")
        # nobody but wasl's account reads the database, its WAL, its key or a backup (they were 0644)
        for path in (copy, t.srv.db.replace("sqlite:", ""), t.srv.db.replace("sqlite:", "") + "-wal",
                     os.path.join(t.srv.dir, "wasl.key")):
            if os.path.exists(path):
                mode = os.stat(path).st_mode & 0o777
                t.eq(oct(mode & 0o077), oct(0), f"{os.path.basename(path)} is {oct(mode)}: not readable by others")
        ok = subprocess.run(["sqlite3", copy, "PRAGMA integrity_check;"], stdout=subprocess.PIPE, text=True)
        t.eq(ok.stdout.strip(), "ok", "sqlite3 integrity_check on the copy")
        new = serve_copy(t, copy, os.path.join(t.srv.dir, "wasl.key"), "sqlite")
        try:
            check_restored(t, a, new, before, during, "restored SQLite copy")
            v = new.cli("audit", "verify")
            t.eq(v.returncode, 0, f"audit trail intact in the copy: {v.stdout}{v.stderr}")
        finally:
            new.cleanup()
    finally:
        shutil.rmtree(out, ignore_errors=True)


test_sqlite_online_backup_restores_every_case.backends = ("sqlite",)


def pg_tool(name):
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if not found:
        raise harness.Skip(f"{name} is not installed")
    return found


def test_postgresql_dump_restore_every_case(t):
    r = t.srv.cli("backup", os.path.join(t.srv.dir, "x.db"))
    t.true(r.returncode != 0 and "pg_dump" in r.stderr, f"wasl backup refuses on PostgreSQL and names pg_dump: {r.stderr}")
    pg_dump, pg_restore, psql = pg_tool("pg_dump"), pg_tool("pg_restore"), pg_tool("psql")
    u = urllib.parse.urlsplit(t.srv.db)
    name = u.path.lstrip("/") + "_restored"
    admin_url = urllib.parse.urlunsplit(u._replace(path="/postgres"))
    new_url = urllib.parse.urlunsplit(u._replace(path="/" + name))
    out = tempfile.mkdtemp(prefix="wasl-pgdump-")
    dump = os.path.join(out, "wasl.dump")
    res = {}

    def take():
        res["r"] = subprocess.run([pg_dump, "-Fc", "-f", dump, t.srv.db], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)

    def sql(q):
        return subprocess.run([psql, "-q", "-v", "ON_ERROR_STOP=1", admin_url, "-c", q], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)

    sql(f'DROP DATABASE IF EXISTS "{name}"')
    new = None
    try:
        a, before, during = online_copy(t, take)
        t.eq(res["r"].returncode, 0, f"pg_dump while serving: {res['r'].stderr}")
        r = sql(f'CREATE DATABASE "{name}"')
        t.eq(r.returncode, 0, f"create the database to restore into: {r.stderr}")
        r = subprocess.run([pg_restore, "--no-owner", "--exit-on-error", "-d", new_url, dump], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        t.eq(r.returncode, 0, f"pg_restore: {r.stderr}")
        new = serve_copy(t, new_url, os.path.join(t.srv.dir, "wasl.key"), "postgresql")
        check_restored(t, a, new, before, during, "restored PostgreSQL dump")
        v = new.cli("audit", "verify")
        t.eq(v.returncode, 0, f"audit trail intact in the restored database: {v.stdout}{v.stderr}")
    finally:
        if new:
            new.cleanup()
        sql(f'DROP DATABASE IF EXISTS "{name}"')
        shutil.rmtree(out, ignore_errors=True)


test_postgresql_dump_restore_every_case.backends = ("postgresql",)
