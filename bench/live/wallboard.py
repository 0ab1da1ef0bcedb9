#!/usr/bin/env python3
"""bench/live/wallboard.py: what the wallboard's "today so far" costs.

    bench/live/wallboard.py [--binary build/wasl] [--calls 2000,100000]

For each day's volume: a fresh wasl (telephony on, SQLite) whose event log
holds that many calls since local midnight (arrived, language, queue joined,
answered by one of 60 agents or abandoned, ended; the agents' states), then
GET /api/v1/supervision/live: the server computes today's figures by queue
and by country with src/stats (two passes of stats_report_from_store) and
says what it took (today.cost_ms); asked again after the 5 s refresh, three
times. The computation runs at most once per 5 s (or ten times its own
duration) whatever the events and the requests: its share of a core is
cost / interval; per event it is cost / events. Prints a Markdown table.
"""
import argparse
import json
import os
import random
import sqlite3
import statistics
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "tests", "api"))
import harness  # noqa: E402
import test_stream as ts  # noqa: E402

QUEUES = ["ar", "fr", "es", "it", "nl", "de", "en", "ar.dossier", "fr.dossier"]
COUNTRIES = ["FR", "ES", "IT", "BE", "NL", "DE", "GB"]


def day_of_events(calls, now):
    midnight = now - now % 86400  # Africa/Casablanca: UTC+0
    span = max(60, now - midnight - 60)
    rnd = random.Random(7)
    rows = []
    for a in range(60):
        rows.append(((midnight + 1) * 10**6, "agent.state", None, 1000 + a, None,
                     {"state": "available", "reason": "", "by": 0}))
    for c in range(1, calls + 1):
        t0 = (midnight + 1 + span * c // (calls + 1)) * 10**6
        q = rnd.choice(QUEUES)
        cc = rnd.choice(COUNTRIES)
        ag = 1000 + rnd.randrange(60)
        wait = rnd.randrange(1, 120) * 10**6
        rows += [(t0, "call.arrived", c, None, None, {"did": "+33800100200", "country": cc, "sip_call_id": f"b{c}"}),
                 (t0 + 2 * 10**6, "call.language", c, None, None, {"language": q.split(".")[0]}),
                 (t0 + 5 * 10**6, "queue.joined", c, None, q, {"service": "general", "position": 1})]
        if rnd.random() < 0.9:
            rows += [(t0 + 5 * 10**6 + wait, "call.answered", c, ag, q, {"waited_ms": wait // 1000}),
                     (t0 + 5 * 10**6 + wait, "agent.state", c, ag, None, {"state": "busy", "reason": "", "by": 0}),
                     (t0 + 65 * 10**6 + wait, "call.ended", c, ag, None,
                      {"outcome": "answered", "path": "", "waited_ms": wait // 1000, "talked_ms": 60000}),
                     (t0 + 65 * 10**6 + wait, "agent.state", None, ag, None, {"state": "available", "reason": "", "by": 0})]
        else:
            rows += [(t0 + 5 * 10**6 + wait, "call.abandoned", c, None, q, {"waited_ms": wait // 1000, "position": 1})]
    return rows


def measure(binary, calls):
    settings = dict(ts.SETTINGS)
    settings.update({"http.stream_buffer": "1048576", "log.level": "warn"})
    srv = harness.Server(binary, settings=settings).start()
    try:
        rows = day_of_events(calls, int(time.time()))
        db = sqlite3.connect(srv.db)
        db.executemany("INSERT INTO events (at, kind, call_id, agent, queue, data) VALUES (?, ?, ?, ?, ?, ?)",
                       [(a, k, c, g, q, json.dumps(d)) for a, k, c, g, q, d in rows])
        db.commit()
        db.close()
        sup = harness.T(srv).login("supervisor")
        costs, seen = [], None
        offered = every = 0
        deadline = time.time() + 120
        while len(costs) < 3 and time.time() < deadline:
            j = sup.get("/api/v1/supervision/live").json
            if j["today"]["computed_at"] != seen:
                seen = j["today"]["computed_at"]
                costs.append(j["today"]["cost_ms"])
                offered = sum(q["offered"] for q in j["queues"])
                every = j["today"]["refresh_seconds"]
            time.sleep(0.5)
        # the live part: what each event (and request) costs once today's
        # figures are kept: the snapshot and the kept rows as JSON
        import importlib.util
        spec = importlib.util.spec_from_file_location("lr", os.path.join(TOP, "bench", "live", "run.py"))
        lr = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(lr)
        rps, p99 = lr.wrk(srv.url + "/api/v1/supervision/live", sup.cookie, 5)
        return len(rows), offered, costs, every, rps, p99
    finally:
        srv.cleanup()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(TOP, "build", "wasl"))
    ap.add_argument("--calls", default="2000,100000")
    a = ap.parse_args()
    print("| calls today | events | counted | today's figures (median of 3) | per event | computed every | share of one core "
          "| GET /supervision/live (kept figures) |")
    print("|---|---|---|---|---|---|---|---|")
    for n in [int(x) for x in a.calls.split(",")]:
        events, offered, costs, every, rps, p99 = measure(a.binary, n)
        med = statistics.median(costs)
        print(f"| {n:,} | {events:,} | {offered:,} | {med:.1f} ms | {1000 * med / events:.2f} µs | {every} s | "
              f"{med / (10 * every):.1f} % | {rps:,.0f}/s, p99 {p99:.2f} ms |")


if __name__ == "__main__":
    main()
