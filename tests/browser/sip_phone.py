#!/usr/bin/env python3
"""A phone and a caller for the browser tests of the telephony (run.mjs):
the demo agent's desk phone, registered with its SIP account, and a carrier
trunk placing calls on a toll-free number, both from tests/sip/sipua.py.

run.mjs drives it with one JSON command per line on stdin and reads one JSON
answer per line on stdout:

    {"cmd": "register"}                 -> {"ok": true, "codes": [401, 200]}
    {"cmd": "call", "did": "+33800100200"}   -> the call starts (the IVR answers it)
    {"cmd": "answer"}                   -> the phone answers the ringing call
    {"cmd": "hangup"}                   -> the caller hangs up
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

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "sip"))
import sipua  # noqa: E402


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
    caller = None
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
                    if caller:
                        caller.close()
                    caller = sipua.UA("127.0.0.1", server, user="trunk", name="caller")
                    outcome.clear()
                    did = c.get("did", "+33800100200")
                    who = c.get("caller", "+33612345678")
                    calling = threading.Thread(
                        target=lambda: outcome.setdefault("code", caller.call(did, caller=who, timeout=float(c.get("timeout", 30)))),
                        daemon=True)
                    calling.start()
                    if cmd == "call_wait":
                        calling.join(float(c.get("timeout", 30)) + 1)
                        say({"ok": outcome.get("code") is not None, "code": outcome.get("code")})
                    else:
                        say({"ok": True})
                elif cmd == "answer":
                    d = phone.dialog
                    if not d or d.get("state") != "ringing":
                        say({"ok": False, "error": f"the phone is not ringing ({d and d.get('state')})"})
                        continue
                    d["state"] = "answering_wait"
                    threading.Thread(target=phone._answer, args=(d,), daemon=True).start()
                    # the server acknowledges the phone's 200: the call is bridged
                    say({"ok": phone.wait_event("ACK", 5)})
                elif cmd == "hangup":
                    code = caller.bye() if caller else None
                    say({"ok": code == 200, "code": code})
                elif cmd == "quit":
                    say({"ok": True})
                    break
                else:
                    say({"ok": False, "error": f"unknown command {cmd!r}"})
            except Exception as e:  # noqa: BLE001 - reported to the test, which fails
                say({"ok": False, "error": f"{type(e).__name__}: {e}"})
    finally:
        if caller:
            caller.close()
        phone.close()


if __name__ == "__main__":
    main()
