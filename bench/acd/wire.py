#!/usr/bin/env python3
"""bench/acd/wire.py: the time from "an agent becomes free" to the INVITE
of the next waiting caller leaving wasl, measured on the wire (loopback).

A real wasl (release build, SQLite) with a one-node flow (straight to the
queue), no wrap-up; the agent's phone and the callers are Python SIP user
agents (tests/sip/sipua.py). Each round: the agent talks to one caller while
the next waits; the phone hangs up (t0: its BYE leaves); the INVITE for the
waiting caller reaches the phone (t1). t1 - t0 covers wasl reading the BYE,
the distributor freeing the agent and routing, and the INVITE going out
(plus loopback and Python's own reading, which a real phone does not add).

    bench/acd/wire.py [ROUNDS]        prints a Markdown table
"""
import json
import os
import statistics
import sys
import tempfile
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "tests", "sip"))
import sipua  # noqa: E402
from siptest import Wasl  # noqa: E402


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    work = tempfile.mkdtemp(prefix="wasl-bench-wire-")
    flow = os.path.join(work, "flow.json")
    with open(flow, "w") as f:
        json.dump({"start": "agent", "nodes": {"agent": {"type": "enqueue", "on_timeout": "bye"}, "bye": {"type": "hangup"}}}, f)
    srv = Wasl("wire", os.path.join(TOP, "build", "wasl"), work,
               {"sip.flow": flow, "sip.wrap_up": "0s", "sip.ring_timeout": "60s", "log.level": "error",
                "sip.prompts_dir": os.path.join(work, "no-prompts"), "sip.realtime_priority": "0"}, rtp_size=400)
    srv.start()
    if srv.error:
        sys.exit(f"wasl did not start: {srv.error}")
    phone = sipua.UA("127.0.0.1", ("127.0.0.1", srv.sip_port), user="agent", password="agent-phone-2026", name="phone",
                     mode="answer", answer_delay=0)
    callers = []
    lat = []
    try:
        if phone.register(expires=600)[-1] != 200:
            sys.exit("the phone did not register")
        end = time.time() + 10
        while not srv.api("agent", "GET", "/api/v1/me/phone")["registered"] and time.time() < end:
            time.sleep(0.02)
        srv.api("agent", "PUT", "/api/v1/me/state", {"state": "available"}, want=None)

        def invites():
            with phone.cv:
                return sum(1 for _, e in phone.events if e.startswith("INVITE"))

        def call(n):
            ua = sipua.UA("127.0.0.1", ("127.0.0.1", srv.sip_port), user="trunk", name=f"c{n}", tone=None)
            callers.append(ua)
            threading.Thread(target=lambda: ua.call("+33800100200", caller=f"+336123{n:05d}", timeout=30),
                             daemon=True).start()
            return ua

        def wait(pred, timeout=10):
            end = time.time() + timeout
            while not pred():
                if time.time() > end:
                    ev = srv.api("supervisor", "GET", "/api/v1/events?limit=10000")["items"]
                    tail = [(e["call"], e["kind"], e["data"]) for e in ev[-25:]]
                    raise SystemExit(f"timed out waiting (round {len(lat)}): {tail}")
                time.sleep(0.001)

        call(0)
        wait(lambda: invites() >= 1)
        wait(lambda: phone.dialog and phone.dialog.get("state") == "established")
        for i in range(1, rounds + 1):
            call(i)  # waits: the agent is busy
            wait(lambda: srv.status()["queues"]["fr"]["waiting"] >= 1)
            before = invites()
            t0 = time.time()
            phone.bye(timeout=2, free_at_once=True)  # the agent is free once wasl reads this BYE
            wait(lambda: invites() > before)
            with phone.cv:
                t1 = next(ts for ts, e in reversed(phone.events) if e.startswith("INVITE"))
            lat.append((t1 - t0) * 1000)
            wait(lambda: phone.dialog and phone.dialog.get("state") == "established")
            old = callers.pop(0)
            old.close()
    finally:
        for ua in callers:
            ua.close()
        phone.close()
        srv.stop()
    lat.sort()
    q = statistics.quantiles(lat, n=100, method="inclusive")
    print("| rounds | p50 | p95 | p99 | max |")
    print("|---|---|---|---|---|")
    print(f"| {len(lat)} | {q[49]:.2f} ms | {q[94]:.2f} ms | {q[98]:.2f} ms | {lat[-1]:.2f} ms |")


if __name__ == "__main__":
    main()
