#!/usr/bin/env python3
"""bench/cases: creating and updating cases at 32 concurrent clients, on
SQLite (WAL, synchronous=FULL) and on PostgreSQL (fsync on, synchronous
commit) in the same run, through the HTTP API with wrk. Every write is a
transaction with its history event and a hash-chained audit entry, and the
personal data is sealed; the answer comes after the commit.

    bench/cases/run.py [SECONDS] [CONNECTIONS]

Prints a Markdown table for BENCHMARKS.md. Loopback only; stops by itself.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "lib"))
import pgserver  # noqa: E402

SECS = int(sys.argv[1]) if len(sys.argv) > 1 else 10
CONNS = int(sys.argv[2]) if len(sys.argv) > 2 else 32
# WASL_BINARY: another build to measure (e.g. the previous commit's, for a before/after in one sitting)
WASL = os.environ.get("WASL_BINARY") or os.path.join(TOP, "build", "wasl")

CREATE_LUA = r"""
local n = 0
local threads = 0
function setup(thread) thread:set("tid", threads); threads = threads + 1 end
function init(args) n = 0 end
request = function()
  n = n + 1
  local body = string.format('{"type":"dossier","category":"passport","language":"fr","country":"FR",' ..
    '"subject":"bench %d-%d","description":"Passeport depose, relance numero %d",' ..
    '"fields":{"procedure":"passport","consulate":"FR-PAR"},' ..
    '"citizen":{"name":"Bench Citizen %d","phone":"+33 6 %02d %02d %02d %02d","passport":"AB%07d"}}',
    tid, n, n, n, tid, math.floor(n / 10000) % 100, math.floor(n / 100) % 100, n % 100, n)
  return wrk.format("POST", "/api/v1/cases", nil, body)
end
"""

UPDATE_LUA = r"""
local n = 0
local threads = 0
function setup(thread) thread:set("tid", threads); threads = threads + 1 end
request = function()
  n = n + 1
  -- each thread owns the references whose index has its parity, so two
  -- threads never send the same change to one case
  local i = ((n * 2 + tid) % #refs) + 1
  local prio = (math.floor((n * 2) / #refs) % 2 == 0) and "high" or "normal"
  return wrk.format("PATCH", "/api/v1/cases/" .. refs[i], nil, '{"priority":"' .. prio .. '"}')
end
"""


def free_port():
    return pgserver.free_port()


class Wasl:
    def __init__(self, work, name, db):
        self.dir = os.path.join(work, name)
        os.makedirs(self.dir)
        self.db = db
        self.port = free_port()

    def args(self, *more):
        return [WASL, "--db", self.db, "--set", f"http.port={self.port}", "--set", "log.level=warn",
                "--set", "http.threads=32", "--set", "store.pool_size=32", "--set", "cases.demo_cases=0"] + list(more)

    def start(self):
        subprocess.run(self.args("init", "--demo"), cwd=self.dir, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        self.err = open(os.path.join(self.dir, "serve.err"), "w")
        self.proc = subprocess.Popen(self.args("serve"), cwd=self.dir, stdout=subprocess.DEVNULL, stderr=self.err)
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}/api/v1/session",
                                     data=json.dumps({"login": "agent", "password": "agent-demo-2026"}).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req) as r:
            self.cookie = r.headers["Set-Cookie"].split(";")[0]
            self.csrf = json.loads(r.read())["csrf_token"]

    def refs(self, n=500):
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}/api/v1/cases?limit={n}",
                                     headers={"Cookie": self.cookie})
        with urllib.request.urlopen(req) as r:
            return [c["reference"] for c in json.loads(r.read())["cases"]]

    def sql_count(self, q):
        # Read from the store itself, not through the API under test.
        cmd = ["psql", "-tA", self.db, "-c", q] if self.db.startswith("postgres") else ["sqlite3", self.db, q]
        return int(subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=True).stdout.strip())

    def count(self):
        return self.sql_count("SELECT COUNT(*) FROM cases")

    def events(self):
        return self.sql_count("SELECT COUNT(*) FROM case_events WHERE kind = 'changed'")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)


def wrk(w, script, secs):
    path = os.path.join(w.dir, "script.lua")
    with open(path, "w") as f:
        f.write(script)
    out = subprocess.run(["wrk", "-t2", f"-c{CONNS}", f"-d{secs}s", "--latency", "-s", path,
                          "-H", f"Cookie: {w.cookie}", "-H", f"X-CSRF-Token: {w.csrf}",
                          "-H", "Content-Type: application/json", f"http://127.0.0.1:{w.port}"],
                         stdout=subprocess.PIPE, text=True, check=True).stdout

    def ms(label):
        m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        v = float(m.group(1))
        return v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errs = re.search(r"Socket errors: (.*)", out)
    tmo = re.search(r"timeout (\d+)", errs.group(1)) if errs else None
    return {"p50": ms("50"), "p99": ms("99"), "rps": rps, "n": total, "bad": int(bad.group(1)) if bad else 0,
            "sock": errs.group(1) if errs else "", "timeouts": int(tmo.group(1)) if tmo else 0}


def main():
    if not os.environ.get("WASL_BINARY"):
        subprocess.run(["make", "-s", "-C", TOP, "build/wasl"], check=True, stdout=subprocess.DEVNULL)
    work = tempfile.mkdtemp(prefix="wasl-bench-cases-")
    pg = pgserver.PgServer()
    servers = []
    try:
        pg.start()
        servers = [("SQLite (WAL, synchronous=FULL)", Wasl(work, "sqlite", os.path.join(work, "sqlite", "wasl.db"))),
                   ("PostgreSQL 15 (fsync, synchronous_commit=on)", Wasl(work, "pg", pg.url("wasl_bench")))]
        results = {}
        for name, w in servers:
            w.start()
            wrk(w, CREATE_LUA, 2)  # warm-up
            time.sleep(1)  # requests still in flight when wrk stopped finish first
            before = w.count()
            c = wrk(w, CREATE_LUA, SECS)
            time.sleep(1)
            made = w.count() - before
            # The script must have run: every 2xx answer is a case in the store
            # (plus at most one request per connection still in flight at the end).
            if not c["n"] - c["bad"] <= made <= c["n"] - c["bad"] + CONNS + c["timeouts"] or made == 0:
                raise SystemExit(f"{name}: {c['n'] - c['bad']} creations answered 2xx but {made} cases were stored")
            refs = w.refs(500)
            lua = "refs = {" + ",".join(f'"{r}"' for r in refs) + "}\n" + UPDATE_LUA
            events = w.events()
            u = wrk(w, lua, SECS)
            time.sleep(1)
            changed = w.events() - events
            # A PATCH that repeats the current value is answered 200 and stores
            # nothing; the script avoids that but wrk may resend a request.
            if not 0.97 * (u["n"] - u["bad"]) <= changed <= u["n"] - u["bad"] + CONNS + u["timeouts"] or changed == 0:
                raise SystemExit(f"{name}: {u['n'] - u['bad']} updates answered 2xx but {changed} changes were stored")
            results[name] = (c, u)
            w.stop()
        print(f"{CONNS} concurrent clients (wrk -t2 -c{CONNS}, {SECS} s per phase, after a 2 s warm-up), "
              f"`bench/cases/run.py {SECS} {CONNS}`:\n")
        print("| store | operation | requests | non-2xx | timeouts | p50 ms | p99 ms | writes/s |")
        print("|---|---|---:|---:|---:|---:|---:|---:|")
        for name, (c, u) in results.items():
            for op, r in (("create dossier", c), ("update priority", u)):
                print(f"| {name} | {op} | {r['n']} | {r['bad']} | {r['timeouts']} | {r['p50']:.2f} | {r['p99']:.2f} | {r['rps']:.0f} |")
        (sc, su), (pc, pu) = results.values()
        print(f"\nPostgreSQL / SQLite throughput: create {pc['rps'] / sc['rps']:.2f}x, "
              f"update {pu['rps'] / su['rps']:.2f}x (same machine, same run).")
    finally:
        for _, w in servers:
            if getattr(w, "proc", None) and w.proc.poll() is None:
                w.proc.kill()
        pg.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
