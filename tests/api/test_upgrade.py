"""Upgrade: a database made and used by an older wasl (built from an earlier
commit by tests/lib/upgrade_base.py, which says which commits and why) is
migrated by this `wasl migrate` and served by this `wasl serve`: every case
reads as the older server showed it, every account logs in, the guide is
whole, the audit chain holds. docs/operations.md, "Backup, restore and
upgrade"."""
import os
import subprocess
import sys
import time
import urllib.parse

import harness
from test_audit_keyed import q, sha_entry
from test_backup import case_body, pg_tool, refs

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import upgrade_base  # noqa: E402

SETTINGS = {"cases.demo_cases": "12"}
PASSWORD = "Upgraded-pass-2026"


class OlderServer(harness.Server):
    """A server of the older binary: settings it does not know yet (such as
    sip.enabled, which the harness sets) are left out."""

    def known(self):
        if not hasattr(self, "_known"):
            out = subprocess.run([self.binary, "help", "config"], stdout=subprocess.PIPE, text=True).stdout
            self._known, section = set(), ""
            for line in out.splitlines():
                if line.startswith("[") and line.rstrip().endswith("]"):
                    section = line.strip()[1:-1]
                elif line.startswith("  ") and line.split():
                    self._known.add(f"{section}.{line.split()[0]}")
        return self._known

    def args(self, *more):
        a = [self.binary, "--db", self.db]
        for k, v in self.settings.items():
            if k in self.known():
                a += ["--set", f"{k}={v}"]
        return a + list(more)


def get(c, path):
    r = c.get(path)
    if r.status != 200:
        raise harness.Failure(f"GET {path} as {c.user['login'] if c.user else '-'}: {r}")
    return r.json


# What a case must still show after an upgrade; other fields the API may
# drop between versions (the older one's "anonymized", for instance).
CASE_KEYS = ("reference", "type", "status", "category", "language", "country", "subject", "description", "citizen",
             "fields", "events", "created_at")


def same(t, old, new, what):
    """new shows what old showed: every field the two have in common is equal
    (a newer version may add fields or drop derived ones)."""
    if isinstance(old, dict) and isinstance(new, dict):
        for k, v in old.items():
            if k in new:
                same(t, v, new[k], f"{what}.{k}")
    elif isinstance(old, list) and isinstance(new, list):
        t.eq(len(new), len(old), f"{what}: number of items")
        for i, (o, n) in enumerate(zip(old, new)):
            same(t, o, n, f"{what}[{i}]")
    else:
        t.eq(new, old, what)


def snapshot(srv):
    """What users see on srv: every case in full, the accounts, the guide."""
    tt = harness.T(srv)
    agent, admin, editor = tt.login("agent"), tt.login("admin"), tt.login("editor")
    cases = {}
    for ref in refs(agent):
        v = get(agent, f"/api/v1/cases/{ref}")
        v.pop("deadline", None)  # computed from "now": it moves on by itself
        cases[ref] = v
    users = sorted((u["login"], u["role"], u.get("consulate")) for u in get(admin, "/api/v1/users")["users"])
    guide = {}
    for a in get(editor, "/api/v1/guide/articles")["articles"]:
        g = get(editor, f"/api/v1/guide/articles/{a['slug']}")
        guide[a["slug"]] = {"article": g["article"], "text": g["text"]}
    hits = [h["slug"] for h in get(agent, "/api/v1/guide/search?q=passeport&lang=fr")["hits"]]
    return {"cases": cases, "users": users, "guide": guide, "search": hits}


def use_old(t, old):
    """Data the older server writes through its API, besides the demo."""
    tt = harness.T(old)
    a = tt.login("agent")
    for i in range(5):
        tt.status(a.post("/api/v1/cases", case_body(i)), 201, None, f"older server: case {i}")
    adm = tt.login("admin")
    r = adm.post("/api/v1/users", {"login": "upgraded", "display_name": "Made before the upgrade", "role": "agent",
                                   "password": PASSWORD, "must_change_password": False})
    tt.status(r, 201, None, "older server: a user with a password")


def pending(commit):
    """Migration files this tree has and commit had not."""
    here = set(os.listdir(os.path.join(upgrade_base.TOP, upgrade_base.MIGRATIONS)))
    there = set(os.path.basename(p) for p in
                upgrade_base.git("ls-tree", "--name-only", commit, upgrade_base.MIGRATIONS).split())
    return sorted(f[:-4] for f in here - there if f.endswith(".sql"))


def upgrade_from(t, commit, why, backend, db):
    label = f"from {commit[:10]} ({why})"
    try:
        old_bin = upgrade_base.build(commit, log=sys.stdout)
    except RuntimeError as e:
        raise harness.Failure(f"{label}: {e}")
    old = OlderServer(old_bin, backend=backend, db_url=db, settings=dict(SETTINGS))
    old.start()
    db = old.db  # SQLite: the file the older init made
    try:
        use_old(t, old)
        before = snapshot(old)
    finally:
        old.stop()
    key = os.path.join(old.dir, "wasl.key")
    t.true(os.path.exists(key), f"{label}: the older init wrote its key file")
    settings = {"cases.key_file": key}
    # An older wasl with the keyed audit chain made its key and checkpoints: they go on.
    audit_key = os.path.join(old.dir, "wasl-audit.key")
    if os.path.exists(audit_key):
        settings.update({"audit.key_file": audit_key, "audit.checkpoint_file": os.path.join(old.dir, "wasl-audit.checkpoints")})
    new = harness.Server(t.srv.binary, backend=backend, db_url=db, init=False, settings=settings)
    try:
        r = new.cli("migrate")
        t.eq(r.returncode, 0, f"{label}: wasl migrate: {r.stdout}{r.stderr}")
        for m in pending(commit):
            t.true(m in r.stdout + r.stderr, f"{label}: migrate applied {m}: {r.stdout}{r.stderr}")
        again = new.cli("migrate")
        t.eq(again.returncode, 0, f"{label}: wasl migrate again: {again.stderr}")
        t.true("applied migration" not in again.stdout + again.stderr, f"{label}: a second migrate applies nothing")
        new.start()
        after = snapshot(new)
        t.true(len(before["cases"]) >= 17, f"{label}: the older server had its cases ({len(before['cases'])})")
        t.eq(sorted(after["cases"]), sorted(before["cases"]), f"{label}: the same case references")
        for ref, v in before["cases"].items():
            for k in CASE_KEYS:
                t.true(k in after["cases"][ref] or k not in v, f"{label}: case {ref} lost '{k}'")
            same(t, v, after["cases"][ref], f"{label}: case {ref}")
        t.eq(after["users"], before["users"], f"{label}: accounts")
        t.eq(sorted(after["guide"]), sorted(before["guide"]), f"{label}: guide articles")
        for slug, g in before["guide"].items():
            same(t, g, after["guide"][slug], f"{label}: guide article {slug}")
        t.true(after["search"] and set(after["search"]) <= set(after["guide"]),
               f"{label}: the guide search finds articles: {after['search']}")
        for who, pw in list(harness.DEMO.items()) + [("upgraded", PASSWORD)]:
            t.eq(harness.Client(new).login(who, pw).status, 201, f"{label}: {who} logs in")
        v = new.cli("audit", "verify")
        t.eq(v.returncode, 0, f"{label}: audit trail intact across the upgrade: {v.stdout}{v.stderr}")
        if "0013_sealed_subjects" in pending(commit) and backend == "sqlite":
            sealed_after_upgrade(t, label, new)
        if "audit.key_file" not in settings:
            rekeyed_old_era(t, label, new, backend)
    finally:
        new.cleanup()
        old.cleanup()


def sealed_after_upgrade(t, label, srv):
    """The subjects the older server stored in clear are sealed by the first
    start after 0013, and their text is gone from the file and its WAL."""
    t.true(wait_for(lambda: "older case subject(s) and logged search(es) sealed" in srv.log()),
           f"{label}: the worker seals the older subjects")
    wanted = [case_body(i)["subject"].encode() for i in range(5)]

    def in_clear():
        found = []
        for f in (srv.db, srv.db + "-wal"):
            if os.path.exists(f):
                with open(f, "rb") as fh:
                    data = fh.read()
                found += [w.decode() for w in wanted if w in data]
        return found

    t.true(wait_for(lambda: not in_clear()), f"{label}: older subjects still in clear in the file: {in_clear()}")


def wait_for(fn, timeout=20.0):
    end = time.time() + timeout
    while not fn():
        if time.time() > end:
            return False
        time.sleep(0.2)
    return True


def rekeyed_old_era(t, label, new, backend):
    """The upgrade keyed the chain from the head on (the key file says where):
    entries before it keep their plain SHA-256, and the first keyed entry's
    MAC seals them. Rewriting one of them and recomputing the plain hashes up
    to the switch-over, even the first keyed entry's link, is found."""
    with open(os.path.join(new.dir, "wasl-audit.key")) as f:
        start = int([x for x in f.read().splitlines() if x.startswith("from ")][0].split()[1])
    v = new.cli("audit", "verify")
    t.true(f"keyed from entry {start}" in v.stdout and start > 1, f"{label}: switch-over at the old head: {v.stdout}")

    def sql(q):
        cmd = ["sqlite3", "-cmd", ".timeout 10000", new.db] if backend == "sqlite" else ["psql", "-q", "-At", "-F", "|", new.db]
        r = subprocess.run(cmd, input=q, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        t.eq(r.returncode, 0, f"{label}: {q[:80]}: {r.stderr}")
        return [line.split("|") for line in r.stdout.splitlines() if line]

    cols = "seq, at, actor, action, object, detail, request_id, ip, prev_hash"
    old = sql(f"SELECT {cols} FROM audit_log WHERE seq >= {start - 3} AND seq < {start} ORDER BY seq")
    prev, script = old[0][8], []
    for i, (seq, at, actor, action, obj, detail, rid, ip, _) in enumerate(old):
        actor = "someone-else" if i == 0 else actor
        h = sha_entry(prev, seq, at, actor, action, obj, detail, rid, ip)
        script.append(f"UPDATE audit_log SET actor = {q(actor)}, prev_hash = {q(prev)}, hash = {q(h)} WHERE seq = {seq};")
        prev = h
    script.append(f"UPDATE audit_log SET prev_hash = {q(prev)} WHERE seq = {start};")
    sql("\n".join(script))
    v = new.cli("audit", "verify")
    t.true(v.returncode == 1 and f"entry {start} was altered: its MAC does not match" in v.stdout,
           f"{label}: an old entry rewritten under the keyed one is found: {v.stdout}")


def test_sqlite_database_of_older_binary_upgrades(t):
    upgrade_base.prune([c for c, _ in upgrade_base.bases()])
    for commit, why in upgrade_base.bases():
        upgrade_from(t, commit, why, "sqlite", None)


test_sqlite_database_of_older_binary_upgrades.backends = ("sqlite",)


def test_postgresql_database_of_older_binary_upgrades(t):
    psql = pg_tool("psql")
    u = urllib.parse.urlsplit(t.srv.db)
    admin_url = urllib.parse.urlunsplit(u._replace(path="/postgres"))

    def sql(q):
        r = subprocess.run([psql, "-q", "-v", "ON_ERROR_STOP=1", admin_url, "-c", q], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        t.eq(r.returncode, 0, f"psql {q}: {r.stderr}")

    upgrade_base.prune([c for c, _ in upgrade_base.bases()])
    for i, (commit, why) in enumerate(upgrade_base.bases()):
        name = f"{u.path.lstrip('/')}_upgrade{i}"
        sql(f'DROP DATABASE IF EXISTS "{name}"')
        sql(f'CREATE DATABASE "{name}"')
        try:
            upgrade_from(t, commit, why, "postgresql", urllib.parse.urlunsplit(u._replace(path="/" + name)))
        finally:
            sql(f'DROP DATABASE IF EXISTS "{name}"')


test_postgresql_database_of_older_binary_upgrades.backends = ("postgresql",)
