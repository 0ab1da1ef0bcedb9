"""Probe calls through Kamailio, each timed: INVITE, and on 200 an ACK and,
after `hold` seconds, a BYE along the Record-Route set to the node that
answered (its Contact). One UDP socket for every call; a call is a row of
{t_sent, code, t_final, node, bye}. What the cluster test measures fail-over
with: the time from a kill to the moment new calls are answered promptly again.
"""
import random
import re
import socket
import struct
import threading
import time

SDP = ("v=0\r\no=probe {n} 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n"
       "m=audio {port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
       "a=fmtp:101 0-15\r\n")


def parse(data):
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode(errors="replace").split("\r\n")
    hdrs = []
    for l in lines[1:]:
        k, _, v = l.partition(":")
        hdrs.append((k.strip().lower(), v.strip()))
    return lines[0], hdrs, body


def hget(hdrs, name):
    for k, v in hdrs:
        if k == name:
            return v
    return None


def hall(hdrs, name):
    out = []
    for k, v in hdrs:
        if k == name:
            out += [x.strip() for x in re.split(r",(?=\s*<)", v)]
    return out


class Prober:
    def __init__(self, local_ip, proxy, did, hold=0.3, good_within=1.0, call_timeout=10.0):
        self.ip = local_ip
        self.proxy = proxy
        self.did = did
        self.hold = hold
        self.good_within = good_within
        self.call_timeout = call_timeout
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        # a burst of 120 calls brings 240 answers at once; each small
        # datagram takes ~2 KB of the receive buffer (its skb), more than
        # the default 208 KB while this thread waits for a core: the
        # stateless 503s would be lost (nothing retransmits them)
        try:  # root (the lab is): past net.core.rmem_max
            self.sock.setsockopt(socket.SOL_SOCKET, 33, 4 << 20)  # SO_RCVBUFFORCE
        except OSError:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.bind((local_ip, 0))
        self.port = self.sock.getsockname()[1]
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # the nodes' audio lands here, unread
        self.rtp.bind((local_ip, 0))
        self.rtp_port = self.rtp.getsockname()[1]
        self.calls = {}  # Call-ID -> row
        self.requests = []
        self.order = []
        self.cv = threading.Condition()
        self.running = True
        self.n = 0
        threading.Thread(target=self._recv, daemon=True).start()
        threading.Thread(target=self._drain_rtp, daemon=True).start()

    def close(self):
        self.running = False
        self.sock.close()
        self.rtp.close()

    def _drain_rtp(self):
        self.rtp.settimeout(0.5)
        while self.running:
            try:
                self.rtp.recv(2048)
            except socket.timeout:
                continue
            except OSError:
                return

    def _send(self, text):
        try:
            self.sock.sendto(text.encode(), self.proxy)
        except OSError:
            pass

    def _branch(self):
        return "z9hG4bK%012x" % random.getrandbits(48)

    def _via(self, branch):
        return f"Via: SIP/2.0/UDP {self.ip}:{self.port};branch={branch};rport\r\n"

    def call(self, caller="+33612345678"):
        """Starts one call now (returns its Call-ID; the row fills in)."""
        self.n += 1
        cid = "probe-%d-%x@%s" % (self.n, random.getrandbits(32), self.ip)
        tag = "%08x" % random.getrandbits(32)
        ruri = f"sip:{self.did}@{self.proxy[0]}:{self.proxy[1]}"
        body = SDP.format(n=self.n, ip=self.ip, port=self.rtp_port)
        branch = self._branch()
        row = {"cid": cid, "tag": tag, "ruri": ruri, "branch": branch, "t_sent": time.time(), "code": None,
               "t_final": None, "node": None, "bye": None, "to": None, "route": [], "from": caller, "media": None}
        with self.cv:
            self.calls[cid] = row
            self.order.append(cid)
        self._send(f"INVITE {ruri} SIP/2.0\r\n" + self._via(branch) +
                   f"Max-Forwards: 70\r\nFrom: <sip:{caller}@{self.ip}:{self.port}>;tag={tag}\r\n"
                   f"To: <{ruri}>\r\nCall-ID: {cid}\r\nCSeq: 1 INVITE\r\n"
                   f"Contact: <sip:probe@{self.ip}:{self.port}>\r\nContent-Type: application/sdp\r\n"
                   f"Content-Length: {len(body)}\r\n\r\n{body}")
        return cid

    def _recv(self):
        while self.running:
            try:
                data, addr = self.sock.recvfrom(65535)
            except OSError:
                return
            try:
                first, hdrs, body = parse(data)
            except Exception:  # noqa: BLE001 - a probe ignores what it cannot read
                continue
            if not first.startswith("SIP/2.0 "):
                self._answer_request(first, hdrs)
                continue
            code = int(first.split()[1])
            cid = hget(hdrs, "call-id")
            cseq = hget(hdrs, "cseq") or ""
            with self.cv:
                row = self.calls.get(cid)
                if not row:
                    continue
                if cseq.endswith("BYE"):
                    if code >= 200:
                        row["bye"] = code
                        self.cv.notify_all()
                    continue
                if code < 200 or row["code"] is not None:
                    continue
                row["code"] = code
                row["t_final"] = time.time()
                row["to"] = hget(hdrs, "to")
                self.cv.notify_all()
            if code >= 300:
                # the ACK of a negative answer: hop by hop, in its INVITE's transaction
                self._send(f"ACK {row['ruri']} SIP/2.0\r\n" + self._via(row["branch"]) +
                           f"Max-Forwards: 70\r\nFrom: <sip:{row['from']}@{self.ip}:{self.port}>;tag={row['tag']}\r\n"
                           f"To: {row['to']}\r\nCall-ID: {cid}\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n")
                continue
            m = re.search(r"<?sip:[^@>]*@?([0-9.]+):?(\d*)", hget(hdrs, "contact") or "")
            row["node"] = m.group(1) if m else None
            row["target"] = re.sub(r"^.*<|>.*$", "", hget(hdrs, "contact") or "")
            row["route"] = list(reversed(hall(hdrs, "record-route")))
            sdp = body.decode(errors="replace")
            mc, mm = re.search(r"^c=IN IP4 ([0-9.]+)", sdp, re.M), re.search(r"^m=audio (\d+)", sdp, re.M)
            row["media"] = (mc.group(1), int(mm.group(1))) if mc and mm else None
            self._in_dialog(row, "ACK", 1)
            if self.hold is not None:
                threading.Timer(self.hold, self._in_dialog, (row, "BYE", 2)).start()

    def _in_dialog(self, row, method, cseq):
        routes = "".join(f"Route: {r}\r\n" for r in row["route"])
        self._send(f"{method} {row['target']} SIP/2.0\r\n" + self._via(self._branch()) + routes +
                   f"Max-Forwards: 70\r\nFrom: <sip:{row['from']}@{self.ip}:{self.port}>;tag={row['tag']}\r\n"
                   f"To: {row['to']}\r\nCall-ID: {row['cid']}\r\nCSeq: {cseq} {method}\r\nContent-Length: 0\r\n\r\n")

    def bye(self, cid):
        """Hangs up a call made with hold=None."""
        self._in_dialog(self.calls[cid], "BYE", 2)

    def dtmf(self, cid, key, packets=7):
        """One key (RFC 4733, payload type 101 as offered) on the call's
        audio, to the address of the node's answer; blocks for its length
        (20 ms a packet, then 3 end packets)."""
        row = self.calls[cid]
        event = {"*": 10, "#": 11}.get(key, None)
        event = int(key) if event is None else event
        seq, ts, ssrc = random.getrandbits(16), random.getrandbits(32), random.getrandbits(32)
        for n in range(1, packets + 4):
            end = n > packets
            payload = struct.pack("!BBH", event, (0x80 if end else 0) | 10, min(n, packets + 1) * 160)
            head = struct.pack("!BBHII", 0x80, (0x80 if n == 1 else 0) | 101, (seq + n) & 0xFFFF, ts, ssrc)
            try:
                self.rtp.sendto(head + payload, row["media"])
            except OSError:
                pass
            time.sleep(0.02)

    def _answer_request(self, first, hdrs):
        """A request to us (a node's BYE when it ends the call, an OPTIONS):
        200, so that nothing retransmits at us. Kept in self.requests as
        (time, method, Call-ID, Reason)."""
        with self.cv:
            self.requests.append((time.time(), first.split(" ", 1)[0], hget(hdrs, "call-id"), hget(hdrs, "reason")))
            self.cv.notify_all()
        vias = [v for k, v in hdrs if k == "via"]
        out = "SIP/2.0 200 OK\r\n" + "".join(f"Via: {v}\r\n" for v in vias)
        for k in ("from", "to", "call-id", "cseq"):
            out += f"{k}: {hget(hdrs, k)}\r\n"
        self._send(out + "Content-Length: 0\r\n\r\n")

    def run(self, seconds, interval):
        """Calls every interval seconds for seconds; returns at once (the
        calls go on in a thread). join() waits for them all to end."""
        def loop():
            end = time.time() + seconds
            nxt = time.time()
            while time.time() < end and self.running:
                self.call()
                nxt += interval
                time.sleep(max(0.0, nxt - time.time()))
        self.loop = threading.Thread(target=loop, daemon=True)
        self.loop.start()
        return self

    def join(self):
        """Waits for the calls of run() (or made one by one) to end."""
        if getattr(self, "loop", None):
            self.loop.join()
        end = time.time() + self.call_timeout + (self.hold or 0) + 3
        with self.cv:
            while time.time() < end:
                if all(self._done(r) for r in self.calls.values()):
                    break
                self.cv.wait(0.1)

    def _done(self, r):
        if r["code"] is None:
            return time.time() - r["t_sent"] > self.call_timeout
        return r["code"] != 200 or r["bye"] is not None or self.hold is None

    def rows(self):
        with self.cv:
            return [dict(self.calls[c]) for c in self.order]

    def good(self, r):
        return r["code"] == 200 and r["t_final"] - r["t_sent"] <= self.good_within

    def recovery(self, t_kill):
        """Seconds from t_kill until new calls are answered promptly again:
        the send time of the first call after which every call was answered
        within good_within, minus t_kill (0 when none after the kill failed).
        None when calls never recovered."""
        after = [r for r in self.rows() if r["t_sent"] >= t_kill]
        if not after:
            return None
        last_bad = max((i for i, r in enumerate(after) if not self.good(r)), default=-1)
        if last_bad == len(after) - 1:
            return None
        if last_bad < 0:
            return 0.0
        return after[last_bad + 1]["t_sent"] - t_kill
