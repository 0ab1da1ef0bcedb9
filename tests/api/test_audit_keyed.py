"""Issue 10: the audit trail against its own database's administrator, on both
backends. An outside tester deleted 549 `case.view` entries, recomputed the
plain SHA-256 chain, and `wasl audit verify` said "intact"; deleting every
row and the head said "intact: 0". Each attack is replayed here with the
database's own tools (the sqlite3 shell, psql) while wasl is stopped, then
undone; the keyed chain and the signed checkpoints must report it.

The server runs only for the first test (activity, syslog, the API) and is
stopped there: its last checkpoint is written at shutdown."""
import hashlib
import os
import re
import socket
import subprocess
import tempfile
import time

import harness

SYSLOG_DIR = tempfile.mkdtemp(prefix="wasl-syslog-")
SYSLOG_PATH = os.path.join(SYSLOG_DIR, "log")
# A syslog daemon's socket: checkpoints are sent there as they are written.
SYSLOG = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
SYSLOG.bind(SYSLOG_PATH)
SETTINGS = {"audit.syslog_socket": SYSLOG_PATH, "audit.checkpoint_interval": "1"}
CP = "wasl-audit.checkpoints"


def sql(t, statement):
    """Runs SQL as an intruder with the database's own shell would."""
    if t.srv.backend == "sqlite":
        r = subprocess.run(["sqlite3", "-cmd", ".timeout 10000", t.srv.db], input=statement, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    else:
        r = subprocess.run(["psql", "-q", "-At", "-F", "|", "-v", "ON_ERROR_STOP=1", t.srv.db], input=statement,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise harness.Failure(f"SQL failed: {r.stderr}\n{statement[:300]}")
    return r.stdout


def rows(t, query):
    out = sql(t, ".separator |\n" + query if t.srv.backend == "sqlite" else query)
    return [line.split("|") for line in out.splitlines() if line]


def save(t):
    sql(t, "CREATE TABLE saved_log AS SELECT * FROM audit_log; CREATE TABLE saved_head AS SELECT * FROM audit_head;")


def restore(t):
    sql(t, "DELETE FROM audit_log; INSERT INTO audit_log SELECT * FROM saved_log; DELETE FROM audit_head; "
        "INSERT INTO audit_head SELECT * FROM saved_head; DROP TABLE saved_log; DROP TABLE saved_head;")
    r = t.srv.cli("audit", "verify")
    t.eq(r.returncode, 0, f"the trail is whole again once restored: {r.stdout}")


def verify(t):
    r = t.srv.cli("audit", "verify")
    kinds = set(re.findall(r"^  (\w+) ", r.stdout, re.M))
    return r, kinds


def q(s):
    return "'" + s.replace("'", "''") + "'"


def sha_entry(prev, seq, at, actor, action, obj, detail, rid, ip):
    """The plain chain's hash, as anyone who read audit.c can recompute it."""
    h = hashlib.sha256()
    for f in (prev, f"{seq}/{at}", actor, action, obj, detail, rid, ip):
        b = f.encode()
        h.update(f"{len(b)}:".encode() + b)
    return h.hexdigest()


def test_clean_trail_checkpointed_and_intact(t):
    a = t.login("admin")
    for i in range(3):
        t.eq(a.post("/api/v1/users", {"login": f"keyed{i}", "display_name": "K", "role": "agent"}).status, 201, "user")
    refs = [c["reference"] for c in a.get("/api/v1/cases?limit=5").json["cases"]]
    for ref in refs:
        t.eq(a.get(f"/api/v1/cases/{ref}").status, 200, "case view")
    v = a.get("/api/v1/audit/verify").json
    t.true(v["intact"] and v["problem_count"] == 0, f"API: intact: {v}")
    t.true(v["keyed_from"] >= 1 and v["checkpoints"] >= 1, f"API: keyed, with checkpoints: {v}")
    t.srv.stop()  # the last checkpoint is written at shutdown
    head = int(rows(t, "SELECT seq FROM audit_head")[0][0])
    lines = open(os.path.join(t.srv.dir, CP)).read().splitlines()
    t.true(len(lines) >= 3, f"keyed, init, start and stop checkpoints: {lines}")
    t.true(f" seq={head} " in lines[-1] and " why=stop " in lines[-1], f"the last checkpoint is the head at stop: {lines[-1]}")
    mode = os.stat(os.path.join(t.srv.dir, CP)).st_mode & 0o777
    t.eq(oct(mode), oct(0o600), "the checkpoint file is for wasl's account only")
    # The same lines went to the syslog (facility authpriv, severity notice: <85>).
    SYSLOG.settimeout(5)
    got = []
    while not got or lines[-1] not in got[-1]:
        try:
            got.append(SYSLOG.recv(4096).decode())
        except socket.timeout:
            break
    t.true(got and got[-1].startswith("<85>") and lines[-1] in got[-1], f"the last checkpoint in the syslog: {got}")
    r = t.srv.cli("audit", "verify")
    t.eq(r.returncode, 0, f"intact: {r.stdout}{r.stderr}")
    t.true("signed checkpoint" in r.stdout and f"entry {head}" in r.stdout, r.stdout)
    pk = t.srv.cli("audit", "public-key").stdout.strip()
    t.true(len(pk) == 44 and f"key={pk}" in lines[-1], f"the public key auditors keep: {pk}")
    r = t.srv.cli("audit", "verify", "--public-key", pk, "--checkpoints", os.path.join(t.srv.dir, CP))
    t.eq(r.returncode, 0, f"verified with the auditor's copy of the key: {r.stdout}")


def test_recomputed_plain_chain_is_found(t):
    """The outside tester's attack: delete the case.view entries, renumber,
    recompute every SHA-256 and the head."""
    save(t)
    try:
        cols = "seq, at, actor, action, object, detail, request_id, ip"
        kept = rows(t, f"SELECT {cols} FROM audit_log WHERE action <> 'case.view' ORDER BY seq")
        dropped = int(rows(t, "SELECT COUNT(*) FROM audit_log WHERE action = 'case.view'")[0][0])
        t.true(dropped >= 1, "case.view entries to delete")
        prev, script = "0" * 64, ["BEGIN;", "DELETE FROM audit_log;"]
        for n, (seq, at, actor, action, obj, detail, rid, ip) in enumerate(kept, 1):
            h = sha_entry(prev, n, at, actor, action, obj, detail, rid, ip)
            script.append(f"INSERT INTO audit_log ({cols}, prev_hash, hash) VALUES ({n}, {at}, {q(actor)}, {q(action)}, "
                          f"{q(obj)}, {q(detail)}, {q(rid)}, {q(ip)}, {q(prev)}, {q(h)});")
            prev = h
        script.append(f"UPDATE audit_head SET seq = {len(kept)}, hash = {q(prev)};")
        script.append("COMMIT;")
        sql(t, "\n".join(script))
        r, kinds = verify(t)
        t.eq(r.returncode, 1, f"verify fails: {r.stdout}")
        t.true("rewritten" in kinds and "MAC does not match" in r.stdout, f"rewritten entries reported: {r.stdout}")
        t.true("truncated" in kinds, f"and the head behind the last signed checkpoint: {r.stdout}")
        # A server started on it refuses to sign the rewritten head, and says so.
        t.srv.init = False
        t.srv.start()
        try:
            c = t.login("admin")
            v = c.get("/api/v1/audit/verify").json
            t.true(not v["intact"] and {"rewritten", "truncated"} <= {p["kind"] for p in v["problems"]},
                   f"the API reports the same: {v}")
        finally:
            t.srv.stop()
        t.true("ALERT: the audit trail does not verify" in t.srv.log(), "alert at start")
        lines = open(os.path.join(t.srv.dir, CP)).read().splitlines()
        t.true(f" seq={len(kept)} " not in lines[-1], f"the forged head was never signed: {lines[-1]}")
    finally:
        restore(t)


def test_deleting_everything_is_truncation(t):
    save(t)
    try:
        sql(t, "DELETE FROM audit_log; DELETE FROM audit_head;")
        r, kinds = verify(t)
        t.eq(r.returncode, 1, f"not 'intact: 0': {r.stdout}")
        t.true("truncated" in kinds and "signed checkpoint" in r.stdout, f"truncation against the checkpoint: {r.stdout}")
        sql(t, "INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '" + "0" * 64 + "');")
        r, kinds = verify(t)
        t.true(r.returncode == 1 and "truncated" in kinds, f"an empty trail with a fresh head too: {r.stdout}")
    finally:
        restore(t)


def test_dropping_the_newest_entries_is_truncation(t):
    save(t)
    try:
        head = int(rows(t, "SELECT seq FROM audit_head")[0][0])
        h = rows(t, f"SELECT hash FROM audit_log WHERE seq = {head - 3}")[0][0]
        sql(t, f"DELETE FROM audit_log WHERE seq > {head - 3}; UPDATE audit_head SET seq = {head - 3}, hash = '{h}';")
        r, kinds = verify(t)
        t.true(r.returncode == 1 and "truncated" in kinds and f"entries {head - 2} to {head} were deleted" in r.stdout,
               f"the head set back is found by the checkpoint: {r.stdout}")
    finally:
        restore(t)


def test_deleted_middle_entry_is_a_gap(t):
    save(t)
    try:
        mid = int(rows(t, "SELECT seq FROM audit_head")[0][0]) // 2
        sql(t, f"DELETE FROM audit_log WHERE seq = {mid};")
        r, kinds = verify(t)
        t.true(r.returncode == 1 and "deleted" in kinds and f"entry {mid} is missing" in r.stdout, r.stdout)
    finally:
        restore(t)


def test_altered_checkpoint_has_a_bad_signature(t):
    path = os.path.join(t.srv.dir, CP)
    saved = open(path).read()
    try:
        lines = saved.splitlines()
        # Claim the trail was shorter than it was: the deletion would then pass.
        lines[-1] = re.sub(r" seq=(\d+) ", lambda m: f" seq={int(m.group(1)) - 1} ", lines[-1])
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        r, kinds = verify(t)
        t.true(r.returncode == 1 and "bad_signature" in kinds and f"{CP}:{len(lines)}" in r.stdout,
               f"the altered line is named: {r.stdout}")
        other = subprocess.run(["python3", "-c", "import base64,os;print(base64.b64encode(os.urandom(32)).decode())"],
                               stdout=subprocess.PIPE, text=True).stdout.strip()
        with open(path, "w") as f:
            f.write(saved)
        r, kinds = verify(t)
        t.eq(r.returncode, 0, f"restored: {r.stdout}")
        r = t.srv.cli("audit", "verify", "--public-key", other)
        t.true(r.returncode == 1 and "bad_signature" in kinds | set(re.findall(r"^  (\w+) ", r.stdout, re.M)),
               f"checkpoints signed by another key than the auditor's: {r.stdout}")
    finally:
        with open(path, "w") as f:
            f.write(saved)


def test_keyless_node_refuses_to_append(t):
    """A node without the key file (or the DB administrator running the CLI
    elsewhere) cannot extend the keyed chain with entries it cannot MAC."""
    key = os.path.join(t.srv.dir, "wasl-audit.key")
    os.rename(key, key + ".away")
    try:
        r = t.srv.cli("user", "add", "nokey", "--role", "agent")
        t.true(r.returncode != 0 and "audit key" in r.stderr, f"refused: {r.stderr}")
        r, kinds = verify(t)
        t.true(r.returncode == 1 and "unverifiable" in kinds, f"verify says what it could not check: {r.stdout}")
    finally:
        os.rename(key + ".away", key)
    t.eq(t.srv.cli("audit", "verify").returncode, 0, "nothing was written")


def test_running_server_alerts_on_a_cut_behind_its_checkpoint(t):
    """While wasl runs, the newest entries are deleted and the head set back
    behind the head it signed: its next checkpoint (every second here) alerts
    instead of signing."""
    t.srv.init = False
    t.srv.start()
    save(t)
    try:
        head = int(rows(t, "SELECT seq FROM audit_head")[0][0])
        deadline = time.time() + 20
        while time.time() < deadline and f" seq={head} " not in open(os.path.join(t.srv.dir, CP)).read().splitlines()[-1]:
            time.sleep(0.1)
        h = rows(t, f"SELECT hash FROM audit_log WHERE seq = {head - 3}")[0][0]
        sql(t, f"DELETE FROM audit_log WHERE seq > {head - 3}; UPDATE audit_head SET seq = {head - 3}, hash = '{h}';")
        deadline = time.time() + 20
        while time.time() < deadline and "ALERT" not in t.srv.log():
            time.sleep(0.1)
        t.true(f"the trail's head is at entry {head - 3}, behind entry {head}" in t.srv.log(),
               f"alerted: {t.srv.log()[-600:]}")
    finally:
        restore(t)
        t.srv.stop()


def test_key_file_of_another_database_is_refused(t):
    """A key file left behind by an upgraded database (its keyed chain starts
    at entry 99999) must not key a new trail from 99999 on: entries below it
    would be written with the plain hash anyone can recompute."""
    d = tempfile.mkdtemp(prefix="wasl-stale-key-")
    with open(os.path.join(t.srv.dir, "wasl-audit.key")) as f:
        key = f.read()
    with open(os.path.join(d, "wasl-audit.key"), "w") as f:
        f.write(re.sub(r"^from \d+$", "from 99999", key, flags=re.M))
    os.chmod(os.path.join(d, "wasl-audit.key"), 0o600)
    r = subprocess.run([t.srv.binary, "--db", os.path.join(d, "new.db"), "--set", "cases.demo_cases=0", "init"], cwd=d,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    t.true(r.returncode != 0 and "belongs to another database" in r.stderr, f"refused: {r.stderr}")
