#!/usr/bin/env python3
"""Memory per recorded call: N callers bridged to N agents, every call
recorded (sip.recording), audio both ways (the agents' phones send a tone,
SIPp's -rtp_echo sends it back), wasl's RSS (VmRSS of /proc/PID/status)
read before the calls, once they are all bridged and every second while
they talk. Prints KB per recorded call (bridged RSS - before, / N) and the
growth in KB per second of call (a least-squares slope over the talk).

    python3 bench/recording/recmem.py --binary build/wasl --calls 20 --hold 40

With --messages, N callers leave a voice message each instead (a flow
whose record node lasts --hold + 10 s; each caller, a Python UA, sends a
tone): KB per message once they are all being left, and the growth in KB
per second of message.

Uses the SIP suite's harness (tests/sip): a fresh demo database, free
ports. A benchmark, not a test: it prints figures and checks nothing but
that the calls were bridged and recorded.
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "tests", "sip"))
sys.path.insert(0, os.path.join(TOP, "tests", "api"))

import siptest  # noqa: E402
from siptest import FR_DID, Wasl, rss_kb, sipp, to_agent_steps, wait_until  # noqa: E402
from sipua import UA  # noqa: E402

PW = "bench-recmem-2026!"


class Ctx:
    """What siptest.sipp() reads of a test."""

    def __init__(self, srv, work):
        self.srv, self.work, self.group = srv, work, "recmem"


def messages(a, work):
    """N callers leave a voice message of a.hold seconds at once."""
    n = a.calls
    flow = os.path.join(work, "message_flow.json")
    with open(flow, "w") as f:
        json.dump({"start": "message", "nodes": {
            "message": {"type": "record", "prompts": "please_hold", "max_seconds": a.hold + 10, "next": "hangup"},
            "hangup": {"type": "hangup"}}}, f)
    srv = Wasl("recmem", a.binary, work, {"clock.start": "2026-12-01T10:00:00Z", "sip.recording_dir": "rec",
                                          "sip.flow": flow, "log.level": "info"}, rtp_size=4 * n + 100)
    srv.start()
    if srv.error:
        sys.exit("wasl did not start: " + srv.error)
    callers = []
    try:
        pid = srv.proc.pid
        before = rss_kb(pid)
        for i in range(n):
            c = UA("127.0.0.1", ("127.0.0.1", srv.sip_port), user="caller", name=f"msg{i}", tone=1000)
            callers.append(c)
            assert c.call(FR_DID, caller=f"+336123457{i:02d}", cid=f"recmem{i}") == 200
        at = wait_until(lambda: sum(c["node"] == "message" for c in srv.status()["calls"]) >= n or None, 60)
        t0 = time.time() + siptest.prompt_secs("fr", "please_hold")  # the messages start when the prompt ends
        while time.time() < t0 + 1:
            time.sleep(0.1)
        samples = []
        while time.time() - t0 < a.hold:
            samples.append((time.time() - t0, rss_kb(pid)))
            time.sleep(1)
        slope = siptest.slope(samples)
        for c in callers:
            c.bye()
        files = wait_until(lambda: len(glob.glob(os.path.join(srv.dir, "rec", "messages", "*.wav"))) >= n or None, 30)
        after = rss_kb(pid)
        print(f"binary {a.binary}; {n} voice messages at once{'' if at else ' (not all)'}, {a.hold} s each; "
              f"{'all' if files else 'not all'} written")
        print(f"RSS before {before} KB; 1 s in {samples[0][1]} KB; {samples[-1][0]:.0f} s in {samples[-1][1]} KB; "
              f"after {after} KB")
        print(f"per message: {(samples[0][1] - before) / n:.0f} KB 1 s in, {(samples[-1][1] - before) / n:.0f} KB "
              f"{samples[-1][0]:.0f} s in; growth {slope / n:.1f} KB per second of message ({slope:.0f} KB/s for {n})")
    finally:
        for c in callers:
            c.close()
        srv.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="build/wasl")
    ap.add_argument("--calls", type=int, default=20)
    ap.add_argument("--hold", type=int, default=40, help="seconds each call talks (or each message lasts)")
    ap.add_argument("--messages", action="store_true", help="voice messages (the record node) instead of recorded calls")
    a = ap.parse_args()
    n = a.calls
    work = os.path.abspath(os.environ.get("RECMEM_WORK") or f"/tmp/wasl-recmem-{os.getpid()}")
    os.makedirs(work, exist_ok=True)
    if a.messages:
        try:
            messages(a, work)
        finally:
            subprocess.run(["rm", "-rf", work])
        return
    srv = Wasl("recmem", a.binary, work, {"clock.start": "2026-12-01T10:00:00Z", "sip.recording": "true", "sip.recording_dir": "rec",
                                          "sip.wrap_up": "0s",
                                          "sip.ring_timeout": "20s", "log.level": "info"}, rtp_size=8 * n + 100)
    srv.start()
    if srv.error:
        sys.exit("wasl did not start: " + srv.error)
    phones = []
    try:
        for i in range(n):
            login = f"recmem{i}"
            u = srv.api("admin", "POST", "/api/v1/users", {"login": login, "display_name": f"Bench {i}", "role": "agent",
                                                            "password": PW, "must_change_password": False}, want=201)
            uid = (u.get("user") or u)["id"]
            srv.api("admin", "PUT", f"/api/v1/users/{uid}/sip",
                    {"sip_user": login, "password": PW, "languages": "fr ar en"})
            c = siptest.harness.Client(srv)
            r = c.login(login, PW)
            assert r.status == 201, r
            p = UA("127.0.0.1", ("127.0.0.1", srv.sip_port), user=login, password=PW, name=f"{login}-phone",
                   mode="answer", tone=600)
            assert p.register(expires=600)[-1] == 200
            phones.append(p)
            # the snapshot of the registration comes within 100 ms
            ok = wait_until(lambda: c.request("PUT", "/api/v1/me/state", body={"state": "available"}).status == 200
                            or None, 5)
            assert ok, f"{login} could not be made available"
        pid = srv.proc.pid
        before = rss_kb(pid)
        s = sipp(Ctx(srv, work), "recmem", to_agent_steps(a.hold * 1000), calls=n, rate=10, echo=True,
                 did=FR_DID, timeout_s=a.hold + 90)
        bridged = wait_until(lambda: sum(c["state"] == "bridged" for c in srv.status()["calls"]) >= n or None, 60)
        nb = sum(c["state"] == "bridged" for c in srv.status()["calls"])
        t0 = time.time()
        samples = []
        while time.time() - t0 < a.hold - 12:
            samples.append((time.time() - t0, rss_kb(pid)))
            time.sleep(1)
        res = s.wait()
        after = rss_kb(pid)
        slope = siptest.slope(samples)
        rec = []
        for root, _, files in os.walk(os.path.join(srv.dir, "rec")):
            rec += [f for f in files if f.endswith(".wav")]
        print(f"binary {a.binary}; {n} calls, {nb} bridged at once{'' if bridged else ' (not all)'}; "
              f"sipp: {res.get('successful', res)} ok")
        print(f"RSS before {before} KB; bridged {samples[0][1]} KB; after {len(samples)} s of talk {samples[-1][1]} KB; "
              f"after the calls {after} KB; {len(rec)} recordings")
        print(f"per recorded call: {(samples[0][1] - before) / max(1, nb):.0f} KB when bridged, "
              f"{(samples[-1][1] - before) / max(1, nb):.0f} KB after {samples[-1][0]:.0f} s; "
              f"growth {slope / max(1, nb):.1f} KB per second of call ({slope:.0f} KB/s for {nb} calls)")
    finally:
        for p in phones:
            try:
                p.register(expires=0)
            except Exception:  # noqa: BLE001
                pass
            p.close()
        srv.stop()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
