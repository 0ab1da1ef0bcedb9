#!/usr/bin/env python3
"""An agent's phone for trying wasl by hand (the suite uses sipua.UA directly).

    python3 tests/sip/agent_phone.py --server 127.0.0.1:5060 --user agent \
        --password agent-phone-2026 [--mode answer|ring|busy] [--tone 600] [--seconds 120]

It registers (digest, qop=auth), then answers (or only rings, or refuses)
each call from wasl, sends a PCMU tone every 20 ms while in a call, and
prints what happens, with the Goertzel level of its tone in what it hears
each second (a caller with SIPp -rtp_echo sends the tone back). It
unregisters and stops after --seconds or Ctrl-C.
"""
import argparse
import sys
import time

from sipua import UA, tone_report


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", default="127.0.0.1:5060")
    ap.add_argument("--ip", default="127.0.0.1", help="our address (loopback)")
    ap.add_argument("--user", default="agent")
    ap.add_argument("--password", default="agent-phone-2026")
    ap.add_argument("--mode", default="answer", choices=["answer", "ring", "busy"])
    ap.add_argument("--tone", type=int, default=600)
    ap.add_argument("--seconds", type=float, default=120)
    a = ap.parse_args()
    host, port = a.server.rsplit(":", 1)
    ua = UA(a.ip, (host, int(port)), user=a.user, password=a.password, mode=a.mode, tone=a.tone)
    codes = ua.register(expires=300)
    print(f"REGISTER {a.user} from {a.ip}:{ua.port}: {codes}", flush=True)
    if codes[-1] != 200:
        ua.close()
        return 1
    seen = 0
    end = time.time() + a.seconds
    try:
        while time.time() < end:
            time.sleep(1)
            for ts, e in ua.events[seen:]:
                print(f"{time.strftime('%H:%M:%S', time.localtime(ts))} {e}", flush=True)
            seen = len(ua.events)
            if ua.sending:
                s, n, _ = ua.received(time.time() - 1, time.time())
                ratio, p, _, rms = tone_report(s, a.tone)
                print(f"  heard {n} packets, RMS {rms:.0f}, {a.tone} Hz {ratio:+.1f} dB over other tones", flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        print(f"unREGISTER: {ua.register(expires=0)}")
        ua.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
