#!/usr/bin/env python3
"""bench/live: what the web side pays for the telephony's live state.

    bench/live/run.py [--binary build/wasl] [--peer OTHER_WASL] [--seconds 5]

Against a wasl with the telephony on (its own SIP port, no prompts):
* wrk -t2 -c8 on GET /api/v1/tel/status (supervisor) and GET /api/v1/me/phone
  (agent): the snapshot read by the web threads;
* the whole server's CPU over 10 s with no stream open, then with four idle
  event streams (three agents' and a supervisor's);
* PUT /api/v1/me/state to the supervisor's `status` event, 40 changes.
--peer runs the reads against another wasl program too (an older build, whose
web threads asked the real-time thread instead), in the same run.
Prints a Markdown table.
"""
import argparse
import os
import re
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "tests", "api"))
import harness  # noqa: E402
import importlib.util  # noqa: E402

spec = importlib.util.spec_from_file_location("ts", os.path.join(TOP, "tests", "api", "test_stream.py"))
ts = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ts)


def settings(streams):
    s = {k: v for k, v in ts.SETTINGS.items() if streams or not k.startswith("http.stream")}
    if streams:
        s["http.stream_heartbeat"] = "15s"
        s["http.stream_buffer"] = "1048576"
    return s


def wrk(url, cookie, seconds):
    out = subprocess.run(["wrk", "-t2", "-c8", f"-d{seconds}s", "--latency", "-H", f"Cookie: {cookie}", url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    p99_ms = float(p99.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad:
        raise SystemExit(f"{url}: {bad.group(1)} answers were errors")
    return rps, p99_ms


def reads(binary, seconds, streams):
    srv = harness.Server(binary, settings=settings(streams)).start()
    try:
        t = harness.T(srv)
        sup, ag = t.login("supervisor"), t.login("agent")
        return {p: wrk(srv.url + p, c.cookie, seconds) for p, c in
                (("/api/v1/tel/status", sup), ("/api/v1/me/phone", ag))}
    finally:
        srv.cleanup()


def streams_and_latency(binary):
    srv = harness.Server(binary, settings=settings(True)).start()
    try:
        t = harness.T(srv)
        ag, sup = t.login("agent"), t.login("supervisor")
        pid = srv.proc.pid
        c0 = ts.cpu_seconds(pid)
        time.sleep(10)
        idle = ts.cpu_seconds(pid) - c0
        open_ = [ts.Stream(ag) for _ in range(3)] + [ts.Stream(sup)]
        for s in open_:
            s.next()
        c0 = ts.cpu_seconds(pid)
        time.sleep(10)
        with_streams = ts.cpu_seconds(pid) - c0
        lat = []
        for i in range(40):
            st = ("available", "paused")[i % 2]
            t0 = time.time()
            ts.set_state(t, ag, st)
            open_[3].next(lambda e: e["event"] == "status" and any(a["state"] == st for a in e["json"]["agents"]),
                          timeout=5)
            lat.append((time.time() - t0) * 1000)
        for s in open_:
            s.close()
        lat.sort()
        return idle, with_streams, lat[len(lat) // 2], lat[-1]
    finally:
        srv.cleanup()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(TOP, "build", "wasl"))
    ap.add_argument("--peer")
    ap.add_argument("--seconds", type=int, default=5)
    a = ap.parse_args()
    rows = []
    runs = [(a.binary, True)] + ([(a.peer, False)] if a.peer else []) + [(a.binary, True)]
    for binary, streams in runs:
        r = reads(binary, a.seconds, streams)
        for path, (rps, p99) in r.items():
            rows.append((os.path.relpath(binary, TOP) if binary.startswith(TOP) else binary, path, rps, p99))
    print("| program | route | req/s | p99 |")
    print("|---|---|---|---|")
    for prog, path, rps, p99 in rows:
        print(f"| `{prog}` | `GET {path}` | {rps:,.0f} | {p99:.2f} ms |")
    idle, with_streams, med, worst = streams_and_latency(a.binary)
    print()
    print(f"CPU of the whole server over 10 s: {idle:.2f} s with no stream, {with_streams:.2f} s with four idle "
          f"event streams open.")
    print(f"PUT /api/v1/me/state to the supervisor's status event: median {med:.1f} ms, slowest of 40 {worst:.1f} ms.")


if __name__ == "__main__":
    main()
