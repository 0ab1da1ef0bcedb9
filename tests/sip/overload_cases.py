"""The SIP suite's overload scenarios (the "overload" group of run.py).

A carrier's burst well above what the group's wasl admits (sip.admit_rate,
a setting, so nothing depends on the machine's speed), and a standing queue
provoked by stopping wasl (SIGSTOP) while requests arrive. What a user would
notice: the excess gets 503 with Retry-After at once (or silence, or RFC
7339's oc, as each carrier wants), every admitted call completes, the
agents' phones keep registering, wasl stays up.
"""
import os
import random
import re
import signal
import socket
import threading
import time

from sipua import UA, Msg, datagrams, make_sdp, param
from siptest import CALLER, FR_DID, phone, wait_until


class Burst:
    """INVITEs from one UDP socket at a given rate, as a carrier sends them.
    Each call answered 200 is ACKed and hung up with BYE after hold_s; each
    refused one is ACKed as RFC 3261 says. Everything is kept per Call-ID."""

    def __init__(self, ip, server, oc=False, hold_s=1.0, tag="burst"):
        self.ip, self.server, self.oc, self.hold_s, self.tag = ip, server, oc, hold_s, tag
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((ip, 0))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.port = self.sock.getsockname()[1]
        self.calls = {}
        self.lock = threading.Condition()
        self.byes = []  # (due, callid)
        self.running = True
        self.threads = [threading.Thread(target=f, daemon=True) for f in (self._rx, self._bye_loop)]
        for th in self.threads:
            th.start()

    def _via(self, branch):
        return f"SIP/2.0/UDP {self.ip}:{self.port};branch={branch};rport" + (";oc" if self.oc else "")

    def _send(self, first, hdrs, body=b""):
        if body:
            hdrs = hdrs + [("Content-Type", "application/sdp")]
        self.sock.sendto(Msg(first, hdrs, body).encode(), self.server)

    def invite(self, i, extra=()):
        callid = f"{self.tag}-{i}-{random.getrandbits(40):x}@{self.ip}"
        c = {"i": i, "branch": "z9hG4bK%012x" % random.getrandbits(48), "ftag": "%08x" % random.getrandbits(32),
             "uri": f"sip:{FR_DID}@{self.server[0]}:{self.server[1]}", "code": None, "resp": None, "bye": None,
             "finals": []}
        c["from"] = f"<sip:{CALLER}@{self.ip}:{self.port}>;tag={c['ftag']}"
        c["to"] = f"<sip:{FR_DID}@{self.server[0]}:{self.server[1]}>"
        hdrs = [("Via", self._via(c["branch"])), ("Max-Forwards", "70"), ("From", c["from"]), ("To", c["to"]),
                ("Call-ID", callid), ("CSeq", "1 INVITE"), ("Contact", f"<sip:burst@{self.ip}:{self.port}>")] + list(extra)
        c["raw"] = Msg(f"INVITE {c['uri']} SIP/2.0", hdrs + [("Content-Type", "application/sdp")],
                       make_sdp(self.ip, 4000 + 2 * i)).encode()
        with self.lock:
            self.calls[callid] = c
            c["sent"] = time.time()
        self.sock.sendto(c["raw"], self.server)
        return callid

    def retransmit(self, callid):
        """The same INVITE again, byte for byte (as after a lost answer)."""
        self.sock.sendto(self.calls[callid]["raw"], self.server)

    def run(self, n, rate):
        """n INVITEs, rate a second (paced on the clock, not by sleeps that drift)."""
        t0 = time.time()
        for i in range(n):
            delay = t0 + i / rate - time.time()
            if delay > 0:
                time.sleep(delay)
            self.invite(i)
        return time.time() - t0

    def _ack(self, callid, c, r):
        if r.code == 200:
            target = re.search(r"<([^>]+)>", r.get("contact") or "")
            uri, branch = (target.group(1) if target else c["uri"]), "z9hG4bK%012x" % random.getrandbits(48)
        else:
            uri, branch = c["uri"], c["branch"]
        self._send(f"ACK {uri} SIP/2.0", [("Via", self._via(branch)), ("Max-Forwards", "70"), ("From", c["from"]),
                                          ("To", r.get("to")), ("Call-ID", callid), ("CSeq", "1 ACK")])

    def _rx(self):
        for m, _ in datagrams(self.sock, lambda: self.running):
            callid = m.get("call-id")
            with self.lock:
                c = self.calls.get(callid)
                if m.is_request:  # wasl hangs up first: fine, the call completed
                    if c and m.method == "BYE":
                        c["bye"] = c["bye"] or "wasl"
                    resp = [(k, v) for k, v in m.headers if k.lower() in ("via", "v", "from", "f", "to", "t", "call-id",
                                                                           "i", "cseq")]
                    if m.method != "ACK":
                        self.sock.sendto(Msg("SIP/2.0 200 OK", resp).encode(), self.server)
                    self.lock.notify_all()
                    continue
                if not c or m.code < 200:
                    continue
                meth = m.cseq[1]
                if meth == "INVITE":
                    c["finals"].append(m.code)
                    self._ack(callid, c, m)
                    if c["code"] is None:
                        c["code"], c["resp"], c["latency"] = m.code, m, time.time() - c["sent"]
                        if m.code == 200:
                            c["contact"] = (re.search(r"<([^>]+)>", m.get("contact") or "") or [None, c["uri"]])[1]
                            c["rto"] = m.get("to")
                            self.byes.append((time.time() + self.hold_s, callid))
                elif meth == "BYE" and c["bye"] is None:
                    c["bye"] = m.code
                self.lock.notify_all()

    def _bye_loop(self):
        while self.running:
            due = []
            with self.lock:
                now = time.time()
                due = [b for b in self.byes if b[0] <= now]
                self.byes = [b for b in self.byes if b[0] > now]
            for _, callid in due:
                c = self.calls[callid]
                if c["bye"] is not None:
                    continue
                self._send(f"BYE {c['contact']} SIP/2.0",
                           [("Via", self._via("z9hG4bK%012x" % random.getrandbits(48))), ("Max-Forwards", "70"),
                            ("From", c["from"]), ("To", c["rto"]), ("Call-ID", callid), ("CSeq", "2 BYE")])
            time.sleep(0.02)

    def codes(self):
        with self.lock:
            return [c["code"] for c in self.calls.values()]

    def wait(self, timeout, silent_ok=False):
        """Until every INVITE has its final answer (silent_ok: or none) and
        every admitted call its BYE answered. True when all did."""
        end = time.time() + timeout
        with self.lock:
            while True:
                pending = [c for c in self.calls.values()
                           if (c["code"] is None and not silent_ok) or (c["code"] == 200 and c["bye"] is None)]
                left = end - time.time()
                if not pending or left <= 0:
                    return not pending
                self.lock.wait(min(left, 0.1))

    def close(self):
        self.running = False
        for th in self.threads:
            th.join(2)
        self.sock.close()


def metric_delta(m0, m1, name):
    return m1.get(name, 0) - m0.get(name, 0)


REFUSED = 'wasl_sip_overload_refused_total{reason="%s"}'
EARLY = "wasl_sip_overload_early_total"


class Reregister:
    """The agent's phone REGISTERs again and again while a burst runs."""

    def __init__(self, ph):
        self.ph, self.codes, self.stop = ph, [], threading.Event()
        self.th = threading.Thread(target=self._loop, daemon=True)
        self.th.start()

    def _loop(self):
        while not self.stop.is_set():
            self.codes.append(self.ph.register(expires=300, timeout=2.0)[-1])
            self.stop.wait(0.1)

    def end(self):
        self.stop.set()
        self.th.join(10)
        return self.codes


def s_overload_burst(t):
    """A carrier's burst: 200 INVITEs at 200 a second against sip.admit_rate
    = 10. The excess gets 503 with Retry-After at once; every admitted call
    is answered and completes (BYE/200); the agent's phone REGISTERs again
    all along and stays registered; wasl stays up."""
    srv = t.srv
    ph = phone(t, "agent")
    b = Burst("127.0.0.1", ("127.0.0.1", srv.sip_port), hold_s=1.0)
    try:
        m0 = srv.metrics()
        rr = Reregister(ph)
        took = b.run(200, 200)
        done = b.wait(30)
        regs = rr.end()
        m1 = srv.metrics()
        codes = b.codes()
        by = {k: codes.count(k) for k in set(codes)}
        refused = [c for c in b.calls.values() if c["code"] == 503]
        admitted = [c for c in b.calls.values() if c["code"] == 200]
        lat = sorted(c["latency"] for c in refused)
        t.note(f"200 INVITEs sent in {took:.2f} s: answers {by}; 503 latency median "
               f"{lat[len(lat) // 2] * 1000 if lat else 0:.1f} ms, max {lat[-1] * 1000 if lat else 0:.1f} ms")
        t.note(f"re-REGISTERs during the burst: {len(regs)}, answers {sorted(set(map(str, regs)))}")
        t.check(done, "every INVITE answered and every admitted call hung up within 30 s")
        t.eq(set(codes) - {200, 503}, set(), "every answer is 200 or 503")
        t.check(len(refused) >= 150, f"the excess refused with 503 ({len(refused)} of 200)")
        # 10 a second with a bucket one call deep: the first, then one per 100 ms of the burst
        t.check(1 <= len(admitted) <= 10 * (took + 0.5) + 1, f"admitted at about sip.admit_rate ({len(admitted)})")
        ra = {c["resp"].get("retry-after") for c in refused}
        t.eq(ra, {"3"}, "every 503 says Retry-After: 3 (sip.overload_retry_after)")
        t.eq([c["bye"] for c in admitted if c["bye"] != 200], [], "every admitted call's BYE answered 200")
        t.eq(metric_delta(m0, m1, REFUSED % "rate") + metric_delta(m0, m1, REFUSED % "delay"), len(refused),
             "wasl_sip_overload_refused_total (rate and delay)")
        t.check(metric_delta(m0, m1, REFUSED % "rate") > 0, "the rate guard refused")
        t.eq(metric_delta(m0, m1, "wasl_sip_admitted_total"), len(admitted), "wasl_sip_admitted_total")
        t.eq(metric_delta(m0, m1, EARLY), len(refused), "every refusal answered by the early look, before libre's parse")
        t.check(len(regs) >= 3 and all(c == 200 for c in regs), f"the phone's REGISTERs all answered 200 ({regs})")
        me = srv.api("agent", "GET", "/api/v1/me/phone")
        t.check(me.get("registered") and f":{ph.port}" in (me.get("contact") or ""), "the agent's phone is registered")
        rows = srv.call_rows(f"{b.tag}-", len(admitted), timeout=10, limit=1000)
        t.eq(sorted({r["outcome"] for r in rows}), ["caller_hangup"], "the admitted calls' outcome in the call log")
        t.eq(len(rows), len(admitted), "one call log row per admitted call, none for the refused")
        t.check(srv.alive(), "wasl still running")
        t.check(srv.wait_idle(8), "no call left active")
    finally:
        b.close()
        ph.register(expires=0)
        ph.close()


def s_overload_signalling(t):
    """Each carrier's way: 127.0.0.2 (sip.trunks_overload_silent) gets no
    answer for a refused call; 127.0.0.3 (sip.trunks_oc) asking for RFC
    7339 overload control gets 503 with oc, oc-algo="loss", oc-validity
    and oc-seq in its Via and no Retry-After; the same carrier without oc
    in its Via gets the plain 503 with Retry-After."""
    srv = t.srv
    m0 = srv.metrics()
    runs = {"silent": Burst("127.0.0.2", ("127.0.0.1", srv.sip_port), tag="silent", hold_s=0.5),
            "oc": Burst("127.0.0.3", ("127.0.0.1", srv.sip_port), oc=True, tag="oc", hold_s=0.5),
            "no-oc": Burst("127.0.0.3", ("127.0.0.1", srv.sip_port), tag="nooc", hold_s=0.5)}
    try:
        for name, b in runs.items():
            b.run(30, 300)
        for name, b in runs.items():
            b.wait(15, silent_ok=(name == "silent"))
        m1 = srv.metrics()
        got = {name: b.codes() for name, b in runs.items()}
        for name, codes in got.items():
            t.note(f"{name}: {sorted(((str(k), codes.count(k)) for k in set(codes)))}")
        silent = got["silent"]
        t.check(silent.count(None) >= 20 and set(silent) <= {None, 200}, "the silent carrier's refused calls get no answer")
        t.eq(metric_delta(m0, m1, "wasl_sip_overload_silent_total"), silent.count(None), "wasl_sip_overload_silent_total")
        oc = [c["resp"] for c in runs["oc"].calls.values() if c["code"] == 503]
        t.check(len(oc) >= 20, f"the oc carrier's excess gets 503 ({len(oc)})")
        vias = [r.get("via") or "" for r in oc]
        t.note(f"a 503's Via: {vias[-1] if vias else None}")
        pct = [param(v, "oc") for v in vias]
        t.check(all(p is not None and p.isdigit() and 0 <= int(p) <= 100 for p in pct), f"oc=0..100 in every Via ({pct[:5]})")
        t.check(all('oc-algo="loss"' in v and param(v, "oc-validity") and param(v, "oc-seq") for v in vias),
                "oc-algo=\"loss\", oc-validity and oc-seq in every Via")
        seqs = [float(param(v, "oc-seq")) for v in vias]
        t.eq(seqs, sorted(seqs), "oc-seq grows")
        t.check(all(param(v, "received") == "127.0.0.3" and (param(v, "rport") or "").isdigit() for v in vias),
                "received and rport filled in as for any response")
        t.eq({r.get("retry-after") for r in oc}, {None}, "no Retry-After with oc")
        t.eq(metric_delta(m0, m1, "wasl_sip_overload_oc_total"), len(oc), "wasl_sip_overload_oc_total")
        plain = [c["resp"] for c in runs["no-oc"].calls.values() if c["code"] == 503]
        t.check(plain and all(r.get("retry-after") == "3" and "oc=" not in (r.get("via") or "") for r in plain),
                "the same carrier without oc in its Via: 503 with Retry-After, no oc")
        admitted = [c for b in runs.values() for c in b.calls.values() if c["code"] == 200]
        t.eq([c["bye"] for c in admitted if c["bye"] not in (200, "wasl")], [], "admitted calls complete")
        t.check(srv.alive(), "wasl still running")
        t.check(srv.wait_idle(8), "no call left active")
    finally:
        for b in runs.values():
            b.close()


def all_stopped(pid):
    """Whether every thread of pid is stopped (state T in /proc)."""
    try:
        states = []
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/stat") as fh:
                states.append(fh.read().rsplit(")", 1)[1].split()[0])
    except OSError:
        return False
    return bool(states) and all(s in ("T", "t") for s in states)


def s_overload_delay(t):
    """A standing queue sheds new calls, then the overload ends by itself:
    wasl stopped (SIGSTOP) 400 ms while 30 OPTIONS arrive, so each waits
    that long in the socket's queue (sip.overload_delay_ms = 50); the next
    INVITE gets 503 (reason delay); with the queue gone the overload ends
    after its calm period and an INVITE is answered again."""
    srv = t.srv
    m0 = srv.metrics()
    ua = UA("127.0.0.1", ("127.0.0.1", srv.sip_port), user="probe", tone=None)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    try:
        t.eq(m0.get("wasl_sip_overload"), 0, "not overloaded before")
        # wasl switches the socket's receive timestamps on at the first request it reads
        t.eq(ua.options(), 200, "OPTIONS answered before the stall")
        os.kill(srv.proc.pid, signal.SIGSTOP)
        try:
            # kill() returns before every thread has stopped: wait until they all have
            t.check(wait_until(lambda: all_stopped(srv.proc.pid), 5, step=0.005), "wasl stopped (every thread)")
            port = s.getsockname()[1]
            for i in range(30):
                s.sendto((f"OPTIONS sip:127.0.0.1:{srv.sip_port} SIP/2.0\r\n"
                          f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bKstall{i}\r\nMax-Forwards: 70\r\n"
                          f"From: <sip:probe@127.0.0.1>;tag=s{i}\r\nTo: <sip:127.0.0.1>\r\nCall-ID: stall-{i}@127.0.0.1\r\n"
                          "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode(), ("127.0.0.1", srv.sip_port))
            time.sleep(0.4)  # the stall provoked: how long the requests wait in the queue
        finally:
            os.kill(srv.proc.pid, signal.SIGCONT)
        over = wait_until(lambda: srv.metrics().get("wasl_sip_overload") == 1, 5, step=0.02)
        t.check(over, "wasl_sip_overload = 1 once the queued requests were seen")
        code = ua.call(FR_DID, timeout=4)
        r = getattr(ua, "last_final", None)
        t.note(f"INVITE during the overload: {code}, Retry-After {r.get('retry-after') if r else None}")
        t.eq(code, 503, "a new call during the overload gets 503")
        m1 = srv.metrics()
        t.note(f"window delay {m1.get('wasl_sip_queue_delay_window_seconds')} s; admit ratio "
               f"{m1.get('wasl_sip_overload_admit_ratio')}; queue delay histogram count "
               f"{metric_delta(m0, m1, 'wasl_sip_queue_delay_seconds_count'):.0f}")
        t.eq(metric_delta(m0, m1, REFUSED % "delay"), 1, "wasl_sip_overload_refused_total{reason=delay} +1")
        t.check(metric_delta(m0, m1, 'wasl_sip_queue_delay_seconds_bucket{le="0.2"}') <
                metric_delta(m0, m1, "wasl_sip_queue_delay_seconds_count"), "the queued requests are in the histogram")
        t.eq(metric_delta(m0, m1, "wasl_sip_overload_episodes_total"), 1, "one overload began")
        ended = wait_until(lambda: srv.metrics().get("wasl_sip_overload") == 0, 10, step=0.1)
        t.check(ended, "the overload ends by itself")
        code = ua.call(FR_DID, timeout=4)
        t.eq(code, 200, "a new call after the overload is answered")
        t.eq(ua.bye(), 200, "and completes")
        log = srv.log()
        t.check("overload: new calls are shed" in log and "the overload is over" in log, "both ends are in the log")
        t.check(srv.alive(), "wasl still running")
    finally:
        s.close()
        ua.close()


def s_overload_lookahead(t):
    """While shedding, wasl reads the SIP socket ahead of libre
    (src/tel/lookahead.c): a queue left while wasl is stopped - 60 new
    INVITEs from the carrier, each followed by an OPTIONS from another
    socket - is read at once when it resumes. Every INVITE gets its final
    answer; every OPTIONS its 200 exactly once and in the order sent (what
    waits for libre keeps its order); the metrics show datagrams read ahead
    and nothing lost."""
    srv = t.srv
    b = Burst("127.0.0.1", ("127.0.0.1", srv.sip_port), tag="ahead", hold_s=0.2)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(0.2)
    port = s.getsockname()[1]
    n = 60
    try:
        m0 = srv.metrics()
        os.kill(srv.proc.pid, signal.SIGSTOP)
        try:
            t.check(wait_until(lambda: all_stopped(srv.proc.pid), 5, step=0.005), "wasl stopped (every thread)")
            for i in range(n):
                b.invite(i)
                s.sendto((f"OPTIONS sip:127.0.0.1:{srv.sip_port} SIP/2.0\r\n"
                          f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bKahead{i}\r\nMax-Forwards: 70\r\n"
                          f"From: <sip:probe@127.0.0.1>;tag=a{i}\r\nTo: <sip:127.0.0.1>\r\nCall-ID: ahead-opt@127.0.0.1\r\n"
                          f"CSeq: {i + 1} OPTIONS\r\nContent-Length: 0\r\n\r\n").encode(), ("127.0.0.1", srv.sip_port))
        finally:
            os.kill(srv.proc.pid, signal.SIGCONT)
        seqs, end = [], time.time() + 10
        while len(seqs) < n and time.time() < end:
            try:
                m = Msg.parse(s.recv(65535))
            except socket.timeout:
                continue
            if m and not m.is_request:
                seqs.append((int(m.cseq[0]), m.code))
        t.check(b.wait(15), "every INVITE answered, the admitted calls hung up")
        m1 = srv.metrics()
        codes = b.codes()
        t.note(f"INVITEs: {codes.count(503)} refused, {codes.count(200)} admitted; OPTIONS answered: {len(seqs)}; "
               f"read ahead {metric_delta(m0, m1, 'wasl_sip_lookahead_read_total'):.0f}, pumps "
               f"{metric_delta(m0, m1, 'wasl_sip_lookahead_pumps_total'):.0f}, most queued "
               f"{m1.get('wasl_sip_lookahead_queued_max')}")
        t.eq(set(codes) - {200, 503}, set(), "every INVITE answered 200 or 503")
        t.eq(seqs, [(i + 1, 200) for i in range(n)], "every OPTIONS answered 200 once, in the order sent")
        t.check(metric_delta(m0, m1, "wasl_sip_lookahead_read_total") > 0, "datagrams were read ahead of libre")
        t.check(metric_delta(m0, m1, "wasl_sip_lookahead_pumps_total") > 0, "the pump turned libre's loop for the queue")
        t.eq(metric_delta(m0, m1, "wasl_sip_lookahead_lost_total"), 0, "nothing read ahead was lost")
        t.eq(m1.get("wasl_sip_lookahead_queued"), 0, "nothing left waiting")
        t.check(srv.wait_idle(8), "no call left active")
    finally:
        b.close()
        s.close()


def s_overload_retransmission(t):
    """A refused INVITE sent again (its 503 lost) gets 503 again, even
    when a new call would now be admitted: the same answer to the same
    request, and no call its caller has given up on."""
    srv = t.srv
    b = Burst("127.0.0.1", ("127.0.0.1", srv.sip_port), tag="retrans", hold_s=0.2)
    try:
        ids = [b.invite(i) for i in range(3)]  # 10 a second, one deep: the first in, the next two out
        t.check(b.wait(5), "the three INVITEs answered")
        codes = [b.calls[c]["code"] for c in ids]
        t.note(f"three INVITEs at once: {codes}")
        t.eq(codes[1:], [503, 503], "the second and third refused by sip.admit_rate")
        m0 = srv.metrics()
        time.sleep(0.25)  # the rate under test: the bucket refills one call in 100 ms
        b.retransmit(ids[1])
        got = wait_until(lambda: len(b.calls[ids[1]]["finals"]) >= 2, 5, step=0.02)
        fresh = b.invite(3)
        t.check(b.wait(5), "answered")
        m1 = srv.metrics()
        t.note(f"the refused INVITE sent again: {b.calls[ids[1]]['finals']}; a new INVITE then: {b.calls[fresh]['code']}")
        t.check(got, "the retransmission is answered")
        t.eq(b.calls[ids[1]]["finals"], [503, 503], "503 again for the retransmission")
        t.eq(b.calls[fresh]["code"], 200, "while a new call is admitted")
        t.eq(metric_delta(m0, m1, REFUSED % "rate"), 0, "the retransmission is not counted as another refusal")
        t.check(srv.wait_idle(8), "no call left active")
    finally:
        b.close()


def response_fields(r):
    """A response's status line and header fields in order, as (name, value)."""
    lines = r.raw.split(b"\r\n\r\n", 1)[0].decode().split("\r\n")
    return lines[0], [tuple(x.strip() for x in line.split(":", 1)) for line in lines[1:]]


def s_overload_early(t):
    """While the rate guard refuses (sip.admit_rate 10), a carrier's plain
    new INVITE is refused as it comes off the socket, before libre's parse
    (sip.overload_early): its 503 is checked field by field (the Vias with
    rport and received, From, To with a tag, Call-ID, CSeq, Server,
    Retry-After, RFC 3261 8.2.6) and is the same as the 503 of libre's path,
    which answers the INVITEs the early look leaves to it (here: a folded
    header line); both are counted in wasl_sip_overload_refused_total, the
    early ones also in wasl_sip_overload_early_total."""
    srv = t.srv
    b = Burst("127.0.0.1", ("127.0.0.1", srv.sip_port), tag="early", hold_s=0.2)
    try:
        m0 = srv.metrics()
        plain = [b.invite(i) for i in range(4)]  # 10 a second, one deep: at most the first admitted
        folded = [b.invite(4 + i, extra=[("Subject", "left to\r\n libre")]) for i in range(3)]
        t.check(b.wait(10), "every INVITE answered, the admitted calls hung up")
        m1 = srv.metrics()
        early = [b.calls[c] for c in plain if b.calls[c]["code"] == 503]
        late = [b.calls[c] for c in folded if b.calls[c]["code"] == 503]
        t.note(f"plain INVITEs: {[b.calls[c]['code'] for c in plain]}; folded: {[b.calls[c]['code'] for c in folded]}")
        t.check(len(early) >= 3 and len(late) >= 2, f"refused: {len(early)} plain, {len(late)} folded")
        for c in early:
            status, fields = response_fields(c["resp"])
            req = dict((k.lower(), v) for k, v in Msg.parse(c["raw"]).headers)
            t.eq(status, "SIP/2.0 503 Service Unavailable", "the status line")
            t.eq([k for k, _ in fields], ["Via", "From", "To", "Call-ID", "CSeq", "Server", "Retry-After", "Content-Length"],
                 "the fields, in the request's order, then Server, Retry-After and Content-Length")
            f = dict(fields)
            t.eq(f["Via"], f"SIP/2.0/UDP 127.0.0.1:{b.port};branch={c['branch']};rport={b.port};received=127.0.0.1",
                 "the Via copied, rport and received filled in (RFC 3581)")
            t.eq(f["From"], req["from"], "From copied")
            t.check(f["To"].startswith(req["to"] + ";tag=") and re.fullmatch(r"[0-9a-f]{16}", f["To"].split(";tag=")[1]),
                    f"To copied with a tag of wasl's ({f['To']})")
            t.eq((f["Call-ID"], f["CSeq"]), (req["call-id"], "1 INVITE"), "Call-ID and CSeq copied")
            t.eq((f["Server"], f["Retry-After"], f["Content-Length"]), ("wasl", "3", "0"), "Server, Retry-After: 3, no body")

        def shape(c):
            status, fields = response_fields(c["resp"])
            norm = {c["branch"]: "BRANCH", Msg.parse(c["raw"]).get("call-id"): "CALLID", c["ftag"]: "FTAG"}
            out = []
            for k, v in fields:
                for a, z in norm.items():
                    v = v.replace(a, z)
                out.append((k, re.sub(r";tag=[0-9a-f]{16}$", ";tag=T", v) if k == "To" else v))
            return status, out
        t.eq({repr(shape(c)) for c in early + late}, {repr(shape(early[0]))}, "libre's path answers the same 503")
        t.eq(metric_delta(m0, m1, EARLY), len(early), "wasl_sip_overload_early_total: the plain ones only")
        t.eq(metric_delta(m0, m1, REFUSED % "rate"), len(early) + len(late), "wasl_sip_overload_refused_total: both ways")
        t.check(srv.wait_idle(8), "no call left active")
    finally:
        b.close()
