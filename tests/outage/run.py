#!/usr/bin/env python3
"""Store outages under load: wasl keeps running, tells clients 503 with a
stable code, loses no acknowledged case, keeps calls going, and resumes by
itself when the store is back.

    python3 tests/outage/run.py --binary build/asan/wasl --backend postgresql [--seconds 90]
    python3 tests/outage/run.py --binary build/asan/wasl --backend sqlite

postgresql: a real PostgreSQL (tests/lib/pgserver.py) is stopped (fast
shutdown, every session cut) for --seconds while API writers create cases and
SIPp callers ring the IVR, one of them asking for a file's status; then it is
started again. sqlite: the database lives on a small tmpfs that is filled up
(a full disk), then freed; then SIGTERM with calls in progress and API writers
busy. Output is TAP.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests", "sip"))
sys.path.insert(0, os.path.join(TOP, "tests", "lib"))
import pgserver  # noqa: E402
import siptest  # noqa: E402
from siptest import (TAP, T, Wasl, children, digit_steps, keys_of, sipp, stop_proc)  # noqa: E402

# Words of a database's own error messages that must never reach a client.
LEAKS = re.compile(r"postgres|sqlite|server closed|connection refused|SQLSTATE|disk I/O|database or disk", re.I)
OUTAGE_CODES = ("store.unavailable", "store.outcome_unknown", "store.full", "store.io_error", "store.busy")


def dossier(i):
    return {
        "type": "dossier", "category": "passport", "language": "fr", "country": "FR",
        "subject": f"Outage test {i}", "description": "Créé pendant une panne de la base de données.",
        "fields": {"procedure": "passport", "consulate": "FR-PAR", "receipt_number": f"R-2026-{i:06d}"},
        "citizen": {"name": "Test Panne", "phone": "+33 6 12 34 56 78"},
    }


class Writers:
    """Threads creating cases at a steady pace. Every request carries an
    Idempotency-Key and is sent again, with the same key, until it gets its
    201: a 503 (even store.outcome_unknown) is never the end of a request, so
    at the end the cases stored must be exactly the ones acknowledged."""

    def __init__(self, srv, n=3, pace=0.02):
        self.srv = srv
        self.pace = pace
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acked = []       # references answered 201
        self.statuses = {}    # status -> count
        self.bad = []         # answers that are neither 201 nor a clean 503
        self.first_503 = threading.Event()
        self.in_doubt = 0     # 503 store.outcome_unknown: saved or not, the client cannot know
        self.replayed = 0     # 201 Idempotent-Replayed: a request saved before its answer was lost
        self.unresolved = 0   # requests still without a 201 when the writers were stopped
        self.seq = 0
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(n)]

    def start(self):
        # every case stored from now on is this test's (subjects are sealed:
        # the cases are told apart by their number, not their text)
        self.after = max_case_id(self.srv.db)
        for th in self.threads:
            th.start()

    def _client(self, until):
        c = siptest.harness.Client(self.srv)
        while time.time() < until:
            try:
                r = c.login("agent")
            except OSError:
                time.sleep(0.2)
                continue
            if r.status == 201:
                return c
            self._note(r)
            time.sleep(0.2)
        return None

    def _note(self, r):
        with self.lock:
            self.statuses[r.status] = self.statuses.get(r.status, 0) + 1
            if r.status == 201:
                return
            e = (r.json or {}).get("error") or {}
            clean = (r.status == 503 and e.get("code") in OUTAGE_CODES and e.get("message")
                     and not LEAKS.search(r.body) and r.header("Retry-After"))
            if clean:
                self.first_503.set()
                if e.get("code") == "store.outcome_unknown":
                    self.in_doubt += 1
            else:
                self.bad.append(f"{r.status} {r.body[:200]} Retry-After={r.header('Retry-After')}")

    def _run(self):
        c = self._client(time.time() + 60)
        pending = None  # (number, key) of the request waiting for its 201
        finish_by = None
        while c:
            if pending is None:
                if self.stop.is_set():
                    return
                with self.lock:
                    self.seq += 1
                    pending = (self.seq, f"outage-{self.seq:08d}")
            elif self.stop.is_set():
                # stopping: the request in flight may have been saved; ask again until it is answered
                finish_by = finish_by or time.time() + 30
                if time.time() > finish_by:
                    with self.lock:
                        self.unresolved += 1
                    return
            i, key = pending
            try:
                r = c.post("/api/v1/cases", dossier(i), headers={"Idempotency-Key": key})
            except OSError as e:
                with self.lock:
                    self.bad.append(f"no answer: {e}")
                time.sleep(0.2)
                continue
            self._note(r)
            if r.status == 201:
                with self.lock:
                    self.acked.append(r.json["reference"])
                    self.replayed += r.header("Idempotent-Replayed") == "true"
                pending = None
                self.stop.wait(self.pace)  # a steady load of about 3 x 50 cases a second
            elif r.status == 401:
                c = self._client(time.time() + 60)  # the session could not be read: log in again
            else:
                time.sleep(0.1)

    def join(self):
        self.stop.set()
        for th in self.threads:
            th.join(40)

    def count(self):
        with self.lock:
            return len(self.acked)


def wait_for(fn, timeout, step=0.1):
    return pgserver.wait_until(fn, timeout, step)


def api_status(srv, path="/healthz"):
    try:
        return siptest.harness.Client(srv).get(path).status
    except OSError:
        return None


def status_steps(pin, ref, wait):
    # French, 2 (a file's status), the reference's keys and #, the PIN and #
    return [(8000, "1"), (1000, "2")] + digit_steps(1000, keys_of(ref) + "#") + digit_steps(1000, pin + "#") + [(wait, None)]


def sql_lines(db, sql):
    """What the store's own shell prints for sql, line by line."""
    pg = db.startswith("postgres")
    cmd = ["psql", "-tA", db, "-c", sql] if pg else ["sqlite3", "-cmd", ".timeout 10000", db, sql]
    return subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=True).stdout.split()


def max_case_id(db):
    return int((sql_lines(db, "SELECT COALESCE(MAX(id), 0) FROM cases") or ["0"])[0])


def stored_refs(backend, db, after):
    """References of the cases stored since the writers started (they are
    the only ones creating cases then), read from the database."""
    return set(sql_lines(db, f"SELECT reference FROM cases WHERE id > {int(after)}"))


def common_checks(t, srv, w, backend, log_line):
    """What must hold after any outage: the server ran throughout, every 201
    is a stored case and nothing else was stored, errors were clean, the
    outage was logged once, and SIGTERM ends it quickly."""
    with t.sub(f"[{backend}] wasl kept running through the outage"):
        t.check(srv.alive(), "the server process is alive")
    with t.sub(f"[{backend}] every answer was a 201 or a clean 503 (stable code, Retry-After, no database text)"):
        t.note(f"answers by status: {dict(sorted(w.statuses.items()))}")
        t.eq(w.bad[:5], [], "answers other than 201 or a clean 503")
        t.check(w.statuses.get(503, 0) > 0, "the outage was seen by the clients (some 503)")
    with t.sub(f"[{backend}] every case is stored exactly once: the acknowledged ones, no duplicate, nothing else"):
        stored = stored_refs(backend, srv.db, w.after)
        acked = set(w.acked)
        t.note(f"{len(w.acked)} cases acknowledged with 201 ({w.replayed} of them replays of a request saved before "
               f"its answer was lost), {len(stored)} stored; {w.in_doubt} answers said the outcome was unknown")
        t.eq(w.unresolved, 0, "requests never answered 201")
        t.eq(len(acked), len(w.acked), "two requests answered with the same case")
        t.eq(sorted(acked - stored)[:5], [], "acknowledged cases missing from the database")
        t.eq(sorted(stored - acked)[:5], [], "cases stored that no request was told about")
        a = srv.client("agent")
        sample = w.acked[:: max(1, len(w.acked) // 40)]
        unreadable = [ref for ref in sample if a.get(f"/api/v1/cases/{ref}").status != 200]
        t.eq(unreadable, [], f"acknowledged cases unreadable through the API (of {len(sample)} read)")
    with t.sub(f"[{backend}] the outage is logged once, and its end"):
        log = srv.log()
        t.eq(log.count("requests get 503 until it is back"), 1, "lines saying the store is down")
        t.check("is answering again" in log, "a line saying the store is back")
        t.check(log_line in log, f"the log names the cause ({log_line!r})")


def stop_checks(t, srv, backend):
    with t.sub(f"[{backend}] SIGTERM after the outage ends wasl within 10 s, cleanly"):
        t0 = time.time()
        srv.stop()
        took = time.time() - t0
        t.note(f"stopped in {took:.1f} s, exit status {srv.rc}")
        t.check(took < 10, "stopped within 10 s")
        t.eq(srv.rc, 0, "exit status")
        log = srv.log()
        marks = [m for m in siptest.SANITIZER_MARKERS if m in log]
        t.eq(marks, [], "sanitizer reports in the server log")


def start_loaded(name, binary, work, db, group, label):
    """A wasl on db (open hours, clock running) with case writers busy and
    20 cases already acknowledged; returns (server, T, writers)."""
    srv = Wasl(name, binary, work, {"clock.start": "2026-12-01T10:00:00Z", "log.level": "info"})
    if db:
        srv.db = db
    srv.start()
    if srv.error:
        raise RuntimeError(srv.error)
    t = T(srv, work, group)
    w = Writers(srv)
    w.start()
    with t.sub(f"[{label}] cases are created before the outage"):
        t.check(wait_for(lambda: w.count() >= 20, 30), "20 cases acknowledged within 30 s")
    return srv, t, w


def run_postgresql(binary, work, seconds):
    pg = pgserver.PgServer().start()
    srv = None
    w = None
    try:
        srv, t, w = start_loaded("outage-pg", binary, work, pg.url("wasl_outage"), "pg", "postgresql")
        ref, pin = srv.demo_ref, srv.demo_pin
        before_calls = sipp(t, "before", [(2000, None)], calls=4, rate=2)
        res_before = before_calls.wait()

        pg.halt()
        t_down = time.time()
        # callers during the outage: the IVR keeps answering and playing; the
        # one asking for a file's status hears that files cannot be read now
        calls_n = max(4, int((seconds - 15) * 1))
        during = sipp(t, "during", [(2000, None)], calls=calls_n, rate=1, timeout_s=calls_n + 30)
        lookup = sipp(t, "lookup-down", status_steps(pin, ref, 6000), caller="+33612345611")
        with t.sub("[postgresql] API writes get 503 store.unavailable while PostgreSQL is down"):
            t.check(w.first_503.wait(30), "a clean 503 within 30 s of the stop")
            t.eq(api_status(srv), 503, "/healthz during the outage")
            t.check(srv.alive(), "wasl alive after the first 503")
        res_lookup = lookup.wait()
        # the rest of the outage, checking now and then that wasl lives
        while time.time() < t_down + seconds:
            if not srv.alive():
                break
            time.sleep(min(1.0, max(0.0, t_down + seconds - time.time())))
        alive_through = srv.alive()
        res_during = during.wait()
        n_before_up = w.count()

        pg.resume()
        t_up = time.time()
        back = wait_for(lambda: w.count() > n_before_up, 30)
        recover_s = time.time() - t_up
        lookup_up = sipp(t, "lookup-up", status_steps(pin, ref, 16000), caller="+33612345612")
        res_up = lookup_up.wait()
        wait_for(lambda: w.count() >= n_before_up + 10, 20)
        w.join()

        with t.sub(f"[postgresql] {seconds:.0f} s outage under API and SIP load: wasl alive throughout"):
            t.check(alive_through, "alive at the end of the outage")
        with t.sub("[postgresql] cases are created again within 10 s of PostgreSQL's return, without a restart"):
            t.note(f"first 201 after {recover_s:.1f} s")
            t.check(back and recover_s < 10, "a 201 within 10 s")
            t.eq(api_status(srv), 200, "/healthz after the outage")
        with t.sub("[postgresql] calls before, during and after the outage are answered and ended cleanly"):
            for name, res in (("before", res_before), ("during", res_during), ("lookup during", res_lookup),
                              ("lookup after", res_up)):
                t.note(f"{name}: ok={res.get('ok')} failed={res.get('failed')} rc={res.get('rc')}")
            siptest.expect_sipp_ok(t, res_before, 4)
            siptest.expect_sipp_ok(t, res_during, calls_n)
            siptest.expect_sipp_ok(t, res_lookup)
            siptest.expect_sipp_ok(t, res_up)
        with t.sub("[postgresql] a caller asking for a file during the outage is told the service is unavailable"):
            row = srv.call_row("lookup-down-", timeout=20)
            siptest.row_note(t, row)
            t.check("lookup unavailable" in row["path"], "path has 'lookup unavailable'")
            t.check("not_found" not in row["path"], "never told the file does not exist")
        with t.sub("[postgresql] after the outage the same caller hears the file's status"):
            row = srv.call_row("lookup-up-", timeout=20)
            siptest.row_note(t, row)
            t.check("lookup status" in row["path"], "path has 'lookup status'")
        with t.sub("[postgresql] the call log rows of calls made during the outage are written once it is back"):
            rows = srv.call_rows("during-", calls_n, timeout=40, limit=500)
            t.eq(len(rows), calls_n, "call rows of the calls during the outage")
        common_checks(t, srv, w, "postgresql", "store.unavailable")
        stop_checks(t, srv, "postgresql")
    finally:
        if w:
            w.join()
        if srv:
            srv.stop()
        pg.stop()


def run_sqlite(binary, work):
    if os.geteuid() != 0:
        print("not ok 1 - [sqlite] a full disk needs a tmpfs, and mounting one needs root")
        return
    mnt = tempfile.mkdtemp(prefix="wasl-full-")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m,mode=0755", "tmpfs", mnt], check=True)
    srv = None
    w = None
    try:
        srv, t, w = start_loaded("outage-sqlite", binary, work, os.path.join(mnt, "wasl.db"), "sq", "sqlite")
        reader = srv.client("agent")  # logged in now: a login writes a session
        filler = os.path.join(mnt, "filler")
        with open(filler, "wb") as f:
            chunk = b"\0" * (1 << 20)
            try:
                while True:
                    f.write(chunk)
                    f.flush()
            except OSError:
                pass
        with t.sub("[sqlite] with the disk full, writes get 503 store.full, the guide can still be searched"):
            t.check(w.first_503.wait(60), "a clean 503 within 60 s of the disk filling")
            t.check(srv.alive(), "wasl alive")
            r = reader.get("/api/v1/guide/search?q=passeport&lang=fr")
            t.eq(r.status, 200, f"a guide search answers: {r}")
            # a citizen's file is shown only with its audit entry, written in
            # the same transaction: shown when that small write still fits in
            # the database's free pages, refused cleanly when it does not
            r = reader.get(f"/api/v1/cases/{w.acked[0]}")
            t.note(f"a case read while the disk is full: {r.status} {r.code or ''}")
            t.check(r.status == 200 or (r.status, r.code) == (503, "store.full"), f"a case read: {r}")
        calls = sipp(t, "full", [(2000, None)], calls=3, rate=1)
        res = calls.wait()
        n_full = w.count()
        os.unlink(filler)
        t_free = time.time()
        back = wait_for(lambda: w.count() > n_full, 30)
        recover_s = time.time() - t_free
        wait_for(lambda: w.count() >= n_full + 10, 20)
        w.join()
        with t.sub("[sqlite] writes resume within 10 s of space coming back, without a restart"):
            t.note(f"first 201 after {recover_s:.1f} s")
            t.check(back and recover_s < 10, "a 201 within 10 s")
        with t.sub("[sqlite] calls while the disk was full were answered, and their rows written afterwards"):
            siptest.expect_sipp_ok(t, res, 3)
            rows = srv.call_rows("full-", 3, timeout=40)
            t.eq(len(rows), 3, "call rows")
        with t.sub("[sqlite] the database is intact (PRAGMA integrity_check)"):
            out = subprocess.run(["sqlite3", srv.db, "PRAGMA integrity_check"], stdout=subprocess.PIPE, text=True).stdout
            t.eq(out.strip(), "ok", "integrity_check")
        common_checks(t, srv, w, "sqlite", "store.full")
        stop_checks(t, srv, "sqlite")
    finally:
        if w:
            w.join()
        if srv:
            srv.stop()
        subprocess.run(["umount", "-l", mnt])
        shutil.rmtree(mnt, ignore_errors=True)


def run_shutdown(binary, work):
    """SIGTERM with calls in progress and API writers busy: wasl ends within
    a few seconds, every caller gets a BYE, every call has its row."""
    srv = w = None
    try:
        srv, t, w = start_loaded("shutdown", binary, work, None, "sd", "shutdown")
        n = 20
        # 20 callers stay in the IVR, waiting for wasl to hang up
        callers = sipp(t, "held", [], end="wait_bye", calls=n, rate=10, limit=n, wait_bye_ms=60000, timeout_s=90)
        active = wait_for(lambda: srv.status()["calls_active"] >= n, 30, 0.2)
        with t.sub(f"[shutdown] SIGTERM with {n} calls in progress and API writers busy ends wasl within 5 s"):
            t.check(active, f"{n} calls active before the signal")
            t0 = time.time()
            srv.stop()
            took = time.time() - t0
            t.note(f"stopped in {took:.2f} s, exit status {srv.rc}")
            t.check(took < 5, "stopped within 5 s")
            t.eq(srv.rc, 0, "exit status")
        w.join()
        res = callers.wait()
        with t.sub("[shutdown] every caller got a BYE from wasl"):
            siptest.expect_sipp_ok(t, res, n)
        with t.sub("[shutdown] every call in progress has its row, ended by the shutdown"):
            out = subprocess.run(["sqlite3", srv.db, "SELECT outcome FROM calls WHERE call_id LIKE 'held-%'"],
                                 stdout=subprocess.PIPE, text=True, check=True).stdout.split()
            t.eq((len(out), sorted(set(out))), (n, ["shutdown"]), "rows and their outcome")
        with t.sub("[shutdown] every acknowledged case is stored"):
            stored = stored_refs("sqlite", srv.db, w.after)
            t.eq(sorted(set(w.acked) - stored)[:5], [], "acknowledged cases missing")
            marks = [m for m in siptest.SANITIZER_MARKERS if m in srv.log()]
            t.eq(marks, [], "sanitizer reports in the server log")
    finally:
        if w:
            w.join()
        if srv:
            srv.stop()


def end_run(work):
    """Stops what the run started; keeps its work folder when a test failed."""
    with siptest.children_lock:
        for p in children:
            stop_proc(p)
    if TAP.failed == 0:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"# work folder kept: {work}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="build/asan/wasl")
    ap.add_argument("--backend", choices=["postgresql", "sqlite"], required=True)
    ap.add_argument("--seconds", type=float, default=float(os.environ.get("WASL_OUTAGE_SECONDS", "90")))
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="wasl-outage-")
    try:
        if a.backend == "postgresql":
            run_postgresql(a.binary, work, a.seconds)
        else:
            run_sqlite(a.binary, work)
            run_shutdown(a.binary, work)
    except Exception as e:  # noqa: BLE001 - a crash of the test is a failure
        TAP.emit(False, f"[{a.backend}] outage test could not run: {e}", [], None)
    finally:
        end_run(work)
    print(f"1..{TAP.n}")
    sys.exit(1 if TAP.failed else 0)


if __name__ == "__main__":
    main()
