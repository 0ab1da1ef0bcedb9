#!/usr/bin/env python3
"""A phone and a caller for the browser tests of the telephony (run.mjs):
the demo agent's desk phone, registered with its SIP account, and a carrier
trunk placing calls on a toll-free number, both from tests/sip/sipua.py.

run.mjs drives it with one JSON command per line on stdin and reads one JSON
answer per line on stdout:

    {"cmd": "register"}                 -> {"ok": true, "codes": [401, 200]}
    {"cmd": "call", "did": "+33800100200"}   -> the call starts (the IVR answers it)
    {"cmd": "answer"}                   -> the phone answers the ringing call
    {"cmd": "hangup"}                   -> the caller of the latest call still going on hangs up
    {"cmd": "call_wait", "did": ...}    -> a call, waiting for its final answer
    {"cmd": "quit"}

Everything stays on loopback; every wait is bounded.

    python3 tests/browser/sip_phone.py --port 5060 [--user agent --password ...]
"""
import argparse
import json
import os
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "sip"))
import sipua  # noqa: E402


def acks_seen(ua):
    with ua.cv:
        return sum(1 for _, e in ua.events if e == "ACK")


def say(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True, help="the server's SIP port (UDP)")
    ap.add_argument("--server", default="127.0.0.1")
    ap.add_argument("--user", default="agent")
    ap.add_argument("--password", default="agent-phone-2026")
    a = ap.parse_args()
    server = (a.server, a.port)
    # "ring": the phone rings until told to answer, so the desk shows the ringing call.
    phone = sipua.UA("127.0.0.1", server, user=a.user, password=a.password, name="phone", mode="ring", answer_delay=0)
    callers = []  # every call placed, each its own caller, kept until quit
    outcome = {}
    calling = None
    say({"ok": True, "ready": True})
    try:
        for line in sys.stdin:
            line = line.strip()
            if not line:
                continue
            try:
                c = json.loads(line)
            except ValueError:
                say({"ok": False, "error": "not JSON"})
                continue
            cmd = c.get("cmd")
            try:
                if cmd == "register":
                    codes = phone.register(expires=int(c.get("expires", 300)))
                    say({"ok": codes[-1:] == [200], "codes": codes})
                elif cmd in ("call", "call_wait"):
                    caller = sipua.UA("127.0.0.1", server, user="trunk", name=f"caller{len(callers) + 1}")
                    callers.append(caller)
                    outcome = {}
                    did = c.get("did", "+33800100200")
                    who = c.get("caller", "+33612345678")
                    wait = float(c.get("timeout", 30))
                    calling = threading.Thread(
                        target=lambda ua=caller, out=outcome, did=did, who=who, wait=wait:
                            out.setdefault("code", ua.call(did, caller=who, timeout=wait)),
                        daemon=True)
                    calling.start()
                    if cmd == "call_wait":
                        calling.join(wait + 1)
                        say({"ok": outcome.get("code") is not None, "code": outcome.get("code")})
                    else:
                        say({"ok": True})
                elif cmd == "answer":
                    d = phone.dialog
                    if not d or d.get("state") != "ringing":
                        say({"ok": False, "error": f"the phone is not ringing ({d and d.get('state')})"})
                        continue
                    acks = acks_seen(phone)
                    d["state"] = "answering_wait"
                    threading.Thread(target=phone._answer, args=(d,), daemon=True).start()
                    # the server acknowledges the phone's 200: the call is bridged
                    end = time.time() + 5
                    while acks_seen(phone) == acks and time.time() < end:
                        time.sleep(0.05)
                    say({"ok": acks_seen(phone) > acks})
                elif cmd == "hangup":
                    # the latest call still going on
                    live = [u for u in callers if u.dialog and u.dialog.get("state") == "established" and not u.dialog.get("ended")]
                    code = live[-1].bye() if live else None
                    say({"ok": code == 200, "code": code, "calls": len(live)})
                elif cmd == "quit":
                    say({"ok": True})
                    break
                else:
                    say({"ok": False, "error": f"unknown command {cmd!r}"})
            except Exception as e:  # noqa: BLE001 - reported to the test, which fails
                say({"ok": False, "error": f"{type(e).__name__}: {e}"})
    finally:
        for u in callers:
            u.close()
        phone.close()


if __name__ == "__main__":
    main()
