#!/usr/bin/env python3
"""bench/reports: the monthly report from the event log.

Writes a month (30 days) of calls into a fresh SQLite database (release
build, `wasl init`): CALLS a day over 12 opening hours, seven language
queues, 26 countries, 40 agents; each answered call has its nine events
(arrived, language, joined, ringing, offered, answered, busy, ended,
wrap-up, available), one in ten is abandoned. Then serves it and times
GET /api/v1/stats for the whole month by country, by queue and by day,
once cold (just started) and then the median of three. The peer, measured
in the same run on the same file: the sqlite3 shell counting the month's
events by kind (one pass over the same rows, no JSON, no fold) - the floor
of any report that reads the log.

    python3 bench/reports/run.py [CALLS_PER_DAY ...]    (default: 2000 20000)
Loopback only; stops by itself.
"""
import json
import os
import random
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(TOP, "build", "wasl")
DAY0 = 1793491200  # 2026-11-01T00:00:00Z: a month gone by (the figures stop at now); Casablanca is UTC+0 then
LANGS = ["ar", "fr", "es", "it", "nl", "de", "en"]
COUNTRIES = ["FR", "ES", "IT", "BE", "NL", "DE", "GB", "CH", "PT", "SE", "NO", "DK", "AT", "IE", "LU", "PL", "CZ", "HU",
             "RO", "BG", "GR", "FI", "SK", "SI", "HR", "MT"]


def events_for(calls_per_day, rnd):
    """The month's event rows, in time order, for executemany."""
    agents = list(range(1001, 1041))
    free_at = {a: 0 for a in agents}
    call = 0
    for day in range(30):
        base = (DAY0 + day * 86400 + 8 * 3600) * 1000000
        times = sorted(rnd.randrange(0, 12 * 3600 * 1000000) for _ in range(calls_per_day))
        for t in times:
            call += 1
            at = base + t
            lang = rnd.choice(LANGS)
            country = rnd.choice(COUNTRIES)
            yield (at, "call.arrived", call, None, None, json.dumps({"did": "+33800100200", "country": country, "sip_call_id": "b"}))
            yield (at + 5000000, "call.language", call, None, None, json.dumps({"language": lang}))
            joined = at + 10000000
            yield (joined, "queue.joined", call, None, lang, json.dumps({"service": "general", "position": 1}))
            wait = int(rnd.expovariate(1 / 25.0) * 1000000)
            if rnd.random() < 0.1:
                yield (joined + wait, "call.abandoned", call, None, lang, json.dumps({"waited_ms": wait // 1000, "position": 2}))
                yield (joined + wait, "call.ended", call, None, None,
                       json.dumps({"outcome": "abandoned", "path": "", "waited_ms": wait // 1000, "talked_ms": 0}))
                continue
            agent = min(agents, key=lambda a: free_at[a])
            answered = joined + wait
            talk = int(rnd.expovariate(1 / 180.0) * 1000000)
            wrap = 30 * 1000000
            free_at[agent] = answered + talk + wrap
            yield (answered - 3000000, "agent.state", call, agent, None, json.dumps({"state": "ringing", "reason": "", "by": 0}))
            yield (answered - 3000000, "call.offered", call, agent, lang, json.dumps({"contact": "sip:a"}))
            yield (answered, "call.answered", call, agent, lang, json.dumps({"waited_ms": wait // 1000}))
            yield (answered, "agent.state", call, agent, None, json.dumps({"state": "busy", "reason": "", "by": 0}))
            yield (answered + talk, "call.ended", call, agent, None,
                   json.dumps({"outcome": "answered", "path": "", "waited_ms": wait // 1000, "talked_ms": talk // 1000}))
            yield (answered + talk, "agent.state", call, agent, None, json.dumps({"state": "wrap_up", "reason": "", "by": 0}))
            yield (answered + talk + wrap, "agent.state", None, agent, None, json.dumps({"state": "available", "reason": "", "by": 0}))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def get(url, cookie):
    req = urllib.request.Request(url, headers={"Cookie": cookie})
    t0 = time.perf_counter()
    with urllib.request.urlopen(req, timeout=600) as r:
        body = r.read()
    return time.perf_counter() - t0, json.loads(body)


def one(calls_per_day):
    work = tempfile.mkdtemp(prefix="wasl-bench-reports-")
    db = os.path.join(work, "wasl.db")
    key = ["--set", f"cases.key_file={work}/wasl.key", "--set", f"audit.key_file={work}/wasl-audit.key",
           "--set", f"audit.checkpoint_file={work}/wasl-audit.checkpoints"]
    subprocess.run([BIN, "--db", db] + key + ["init"], check=True, stdout=subprocess.DEVNULL, cwd=work)
    subprocess.run([BIN, "--db", db] + key + ["user", "add", "bench", "--role", "supervisor", "--password-stdin"],
                   input="Bench-reports-2026\n", text=True, check=True, stdout=subprocess.DEVNULL, cwd=work)
    rnd = random.Random(20261207)
    t0 = time.time()
    con = sqlite3.connect(db)
    rows = list(events_for(calls_per_day, rnd))
    rows.sort(key=lambda r: r[0])  # the writer appends in time order
    con.executemany("INSERT INTO events (at, kind, call_id, agent, queue, data) VALUES (?, ?, ?, ?, ?, ?)", rows)
    con.commit()
    con.close()
    nrows = len(rows)
    del rows
    print(f"\n## {calls_per_day} calls a day: {calls_per_day * 30:,} calls, {nrows:,} events "
          f"({os.path.getsize(db) / 1e6:.0f} MB, written in {time.time() - t0:.0f} s)")

    # the peer: one pass over the month's events in the sqlite3 shell
    q = (f"SELECT kind, COUNT(*) FROM events WHERE at >= {DAY0 * 1000000} AND at < {(DAY0 + 30 * 86400) * 1000000} "
         "GROUP BY kind;")
    peer = []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run(["sqlite3", db, q], check=True, stdout=subprocess.DEVNULL)
        peer.append(time.perf_counter() - t)

    port = free_port()
    srv = subprocess.Popen([BIN, "--db", db] + key + ["--set", f"http.port={port}", "--set", "sip.enabled=false", "serve"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=work)
    try:
        for line in srv.stdout:
            if re.search(r"http://[^:]+:\d+/", line):
                break
        base = f"http://127.0.0.1:{port}"
        body = json.dumps({"login": "bench", "password": "Bench-reports-2026"}).encode()
        req = urllib.request.Request(base + "/api/v1/session", data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req) as r:
            cookie = r.headers["Set-Cookie"].split(";")[0]
        period = "from=2026-11-01&to=2026-12-01"  # days are local midnights; to is excluded
        print("| question | cold (s) | warm, median of 3 (s) | rows | offered |")
        print("|---|---|---|---|---|")
        for by in ("country,language", "country", "queue", "interval&interval=1d"):
            url = f"{base}/api/v1/stats?{period}&by={by}"
            cold, j = get(url, cookie)
            warm = statistics.median(get(url, cookie)[0] for _ in range(3))
            offered = sum(r["offered"] for r in j["rows"])
            print(f"| by={by.split('&')[0]} | {cold:.2f} | {warm:.2f} | {len(j['rows'])} | {offered:,} |")
            if offered != calls_per_day * 30:
                raise SystemExit(f"the report counts {offered} calls offered, not the {calls_per_day * 30} written")
        print(f"| peer: sqlite3 counting the month's events by kind | | {statistics.median(peer):.2f} | | |")
    finally:
        srv.terminate()
        srv.wait(30)
        subprocess.run(["rm", "-rf", work])


def main():
    subprocess.run(["make", "-s", "-C", TOP, "build/wasl"], check=True)
    for n in [int(x) for x in sys.argv[1:]] or [2000, 20000]:
        one(n)


if __name__ == "__main__":
    main()
