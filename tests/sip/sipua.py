"""A small SIP user agent over UDP, for the wasl SIP tests: enough to be an
agent's phone (REGISTER with digest qop=auth MD5, answer or only ring an
INVITE, take CANCEL and BYE, put the other side on hold with a re-INVITE)
and a caller (INVITE, ACK, RFC 4733 digits, BYE), with real RTP both ways:
it sends a steady PCMU tone every 20 ms and keeps what it receives, decoded,
for Goertzel measurements.

Everything stays on the addresses it is given (loopback in the tests), and
every wait is bounded.
"""
import hashlib
import math
import random
import re
import socket
import struct
import threading
import time

# ---------------------------------------------------------------- G.711


def _ulaw_decode(u):
    u = ~u & 0xFF
    sign, exp, mant = u & 0x80, (u >> 4) & 7, u & 0x0F
    s = (((mant << 3) + 0x84) << exp) - 0x84
    return -s if sign else s


def _alaw_decode(a):
    a ^= 0x55
    sign, exp, mant = a & 0x80, (a >> 4) & 7, a & 0x0F
    s = (mant << 4) + 8 if exp == 0 else ((mant << 4) + 0x108) << (exp - 1)
    return s if sign else -s


ULAW_DEC = [_ulaw_decode(i) for i in range(256)]
ALAW_DEC = [_alaw_decode(i) for i in range(256)]


def ulaw_encode(s):
    sign = 0
    if s < 0:
        s, sign = -s, 0x80
    s = min(s, 32635) + 0x84
    exp, mask = 7, 0x4000
    while exp > 0 and not s & mask:
        exp -= 1
        mask >>= 1
    return ~(sign | (exp << 4) | ((s >> (exp + 3)) & 0x0F)) & 0xFF


def alaw_encode(s):
    s >>= 3  # 13 bits
    if s >= 0:
        mask = 0xD5
    else:
        mask, s = 0x55, -s - 1
    seg = 0
    while seg < 8 and s > (0x20 << seg) - 1:
        seg += 1
    if seg >= 8:
        return 0x7F ^ mask
    return ((seg << 4) | ((s >> (1 if seg < 2 else seg)) & 0x0F)) ^ mask


def tone_frames(freq, amplitude=8000, frames=50, pt=0):
    """PCMU (pt 0) or PCMA (pt 8) payloads of 160 samples, a continuous sine
    across frames."""
    enc = alaw_encode if pt == 8 else ulaw_encode
    out = []
    for f in range(frames):
        out.append(bytes(enc(int(amplitude * math.sin(2 * math.pi * freq * (f * 160 + i) / 8000))) for i in range(160)))
    return out


def goertzel(samples, freq, rate=8000):
    """Mean power of samples at freq (a full-scale-relative figure: a sine of
    amplitude A gives about A*A/4)."""
    n = len(samples)
    if not n:
        return 0.0
    coeff = 2 * math.cos(2 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for x in samples:
        s0 = x + coeff * s1 - s2
        s2, s1 = s1, s0
    return max(0.0, s1 * s1 + s2 * s2 - coeff * s1 * s2) / (n * n)


def rms(samples):
    return math.sqrt(sum(x * x for x in samples) / len(samples)) if samples else 0.0


def db(x):
    return 10 * math.log10(x) if x > 0 else -999.0


def tone_report(samples, freq=600, others=(350, 600, 1000, 1400, 2000)):
    """(dB of freq over the strongest of the others, power at freq, powers of
    the others, RMS)."""
    others = [f for f in others if abs(f - freq) > 100]
    p = goertzel(samples, freq)
    po = {f: goertzel(samples, f) for f in others}
    worst = max(po.values()) if po else 0.0
    return (db(p) - db(worst) if worst > 0 else (99.0 if p > 0 else 0.0)), p, po, rms(samples)


# ---------------------------------------------------------------- SIP messages

COMPACT = {"v": "via", "f": "from", "t": "to", "i": "call-id", "m": "contact", "l": "content-length",
           "c": "content-type", "k": "supported", "s": "subject"}


class Msg:
    def __init__(self, first, headers, body=b""):
        self.first = first
        self.headers = headers  # [(name, value)]
        self.body = body

    @staticmethod
    def parse(data):
        head, sep, body = data.partition(b"\r\n\r\n")
        if not sep:
            return None
        lines = head.decode("utf-8", "replace").split("\r\n")
        while lines and not lines[0]:
            lines.pop(0)
        if not lines:
            return None
        hdrs = []
        for line in lines[1:]:
            if line[:1] in (" ", "\t") and hdrs:
                hdrs[-1] = (hdrs[-1][0], hdrs[-1][1] + " " + line.strip())
            elif ":" in line:
                k, v = line.split(":", 1)
                hdrs.append((k.strip(), v.strip()))
        m = Msg(lines[0], hdrs, body)
        n = m.get("content-length")
        if n is not None and n.isdigit():
            m.body = body[:int(n)]
        return m

    @property
    def is_request(self):
        return not self.first.startswith("SIP/2.0")

    @property
    def method(self):
        return self.first.split(" ", 1)[0] if self.is_request else self.cseq[1]

    @property
    def uri(self):
        return self.first.split(" ")[1]

    @property
    def code(self):
        return 0 if self.is_request else int(self.first.split(" ")[1])

    @property
    def cseq(self):
        v = (self.get("cseq") or "0 X").split()
        return int(v[0]), v[1].upper()

    def getall(self, name):
        name = name.lower()
        return [v for k, v in self.headers if COMPACT.get(k.lower(), k.lower()) == name]

    def get(self, name):
        a = self.getall(name)
        return a[0] if a else None

    def encode(self):
        h = "".join(f"{k}: {v}\r\n" for k, v in self.headers if k.lower() != "content-length")
        return (self.first + "\r\n" + h + f"Content-Length: {len(self.body)}\r\n\r\n").encode() + self.body

    def __repr__(self):
        return f"<{self.first}>"


def param(hval, name):
    m = re.search(r";\s*" + re.escape(name) + r"=([^;>\s,]+)", hval or "")
    return m.group(1) if m else None


def addr_uri(hval):
    m = re.search(r"<([^>]*)>", hval or "")
    return m.group(1) if m else (hval or "").split(";")[0].strip()


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


def parse_challenge(v):
    return dict((k, a or b) for k, a, b in re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]+))', v or ""))


def digest_header(ch, user, password, method, uri, nc=1):
    realm, nonce = ch.get("realm", ""), ch.get("nonce", "")
    ha1 = md5(f"{user}:{realm}:{password}")
    ha2 = md5(f"{method}:{uri}")
    cnonce = "%016x" % random.getrandbits(64)
    ncs = "%08x" % nc
    if "auth" in (ch.get("qop") or "").split(","):
        resp = md5(f"{ha1}:{nonce}:{ncs}:{cnonce}:auth:{ha2}")
        return (f'Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{uri}", response="{resp}", '
                f'algorithm=MD5, qop=auth, nc={ncs}, cnonce="{cnonce}"')
    resp = md5(f"{ha1}:{nonce}:{ha2}")
    return f'Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{uri}", response="{resp}", algorithm=MD5'


def parse_sdp(body):
    """(address, port, payload types, telephone-event PT or None, direction)."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    ip, port, pts, te, direction = None, None, [], None, "sendrecv"
    for line in text.splitlines():
        if line.startswith("c=IN IP4 "):
            ip = line.split()[2]
        elif line.startswith("m=audio "):
            f = line.split()
            port, pts = int(f[1]), [int(x) for x in f[3:] if x.isdigit()]
        elif line.startswith("a=rtpmap:") and "telephone-event" in line:
            te = int(line[9:].split()[0])
        elif line.strip() in ("a=sendonly", "a=recvonly", "a=inactive", "a=sendrecv"):
            direction = line.strip()[2:]
    return ip, port, pts, te, direction


def make_sdp(ip, port, direction="sendrecv", version=1, pts=(0, 101)):
    lines = ["v=0", f"o=sipua 4242 {version} IN IP4 {ip}", "s=sipua", f"c=IN IP4 {ip}", "t=0 0",
             f"m=audio {port} RTP/AVP " + " ".join(str(p) for p in pts)]
    if 0 in pts:
        lines.append("a=rtpmap:0 PCMU/8000")
    if 8 in pts:
        lines.append("a=rtpmap:8 PCMA/8000")
    if 101 in pts:
        lines += ["a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15"]
    lines += ["a=ptime:20", f"a={direction}"]
    return ("\r\n".join(lines) + "\r\n").encode()


# ---------------------------------------------------------------- the user agent

DTMF_EVENTS = {**{str(i): i for i in range(10)}, "*": 10, "#": 11}


def datagrams(sock, alive):
    """The SIP messages that come to sock (with their sender) while alive()."""
    sock.settimeout(0.1)
    while alive():
        try:
            data, addr = sock.recvfrom(65535)
        except socket.timeout:
            continue
        except OSError:
            return
        m = Msg.parse(data)
        if m:
            m.raw = data
            yield m, addr


class UA:
    """One SIP user agent with one RTP socket and at most one call.

    mode (for incoming INVITEs): "answer" (180 then 200 after answer_delay),
    "ring" (180 only, never answers), "busy" (486). Like desk phones with
    auto-answer on request enabled (intercom), a ringing UA answers at once
    an INVITE that carries Call-Info ...;answer-after=0.
    """

    def __init__(self, ip, server, user="agent", password=None, domain=None, name="ua", mode="answer",
                 answer_delay=0.3, tone=600, port=0, codec=0):
        self.ip = ip
        self.server = server
        self.user = user
        self.password = password
        self.domain = domain or server[0]
        self.name = name
        self.mode = mode
        self.answer_delay = answer_delay
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((ip, port))
        self.port = self.sock.getsockname()[1]
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp.bind((ip, 0))
        self.rtp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.rtp_port = self.rtp.getsockname()[1]
        self.cv = threading.Condition()
        self.responses = []
        self.requests = []  # (time, Msg) of every request received
        self.events = []  # (time, text)
        self.sent = []  # (time, first line) of what we sent
        self.running = True
        self.dialog = None
        self.t0 = time.time()
        # media
        self.codec = codec  # 0 PCMU, 8 PCMA: what we offer and send
        self.frames = tone_frames(tone, pt=codec) if tone else [bytes([0xFF if codec == 0 else 0xD5]) * 160]
        self.sending = False
        self.remote_media = None
        self.remote_te = None
        self.ssrc = random.getrandbits(32)
        self.seq = random.getrandbits(16)
        self.ts = random.getrandbits(32)
        self.rx = []  # (time, pt, samples or None)
        self.rx_lock = threading.Lock()
        self.dtmf_queue = []
        self.local_direction = "sendrecv"
        self.reinvite_code = 200  # our answer to a re-INVITE (481: "that call is gone")
        self.cseq = random.randint(1, 1000)
        self.sdp_version = 1
        self._threads = [threading.Thread(target=f, daemon=True) for f in (self._sip_loop, self._rtp_rx, self._rtp_tx)]
        for t in self._threads:
            t.start()

    # -- bookkeeping

    def log(self, text):
        with self.cv:
            self.events.append((time.time(), text))
            self.cv.notify_all()

    def saw(self, text):
        return any(e == text or e.startswith(text + " ") for _, e in self.events)

    def wait_event(self, text, timeout):
        end = time.time() + timeout
        with self.cv:
            while not self.saw(text):
                left = end - time.time()
                if left <= 0:
                    return False
                self.cv.wait(left)
        return True

    def close(self):
        self.running = False
        self.sending = False
        for t in self._threads:
            t.join(2)
        self.sock.close()
        self.rtp.close()

    def send(self, msg, addr=None):
        try:
            self.sock.sendto(msg.encode() if isinstance(msg, Msg) else msg, addr or self.server)
        except OSError as e:
            self.log(f"send error {e}")
        if isinstance(msg, Msg):
            with self.cv:
                self.sent.append((time.time(), msg.first, msg.cseq[1]))

    # -- SIP receive loop

    def _sip_loop(self):
        for m, addr in datagrams(self.sock, lambda: self.running):
            if m.is_request:
                with self.cv:
                    self.requests.append((time.time(), m))
                try:
                    self._on_request(m, addr)
                except Exception as e:  # noqa: BLE001 - a broken request must not kill the phone
                    self.log(f"error handling {m.first}: {e}")
            else:
                with self.cv:
                    self.responses.append(m)
                    self.cv.notify_all()

    def response(self, req, code, reason, extra=(), body=b"", to_tag=None):
        # Record-Route comes back in the answers (RFC 3261 12.1.1): a proxy in
        # the path stays in the dialog
        hdrs = [(k, v) for k, v in req.headers
                if COMPACT.get(k.lower(), k.lower()) in ("via", "record-route", "from", "call-id", "cseq")]
        to = req.get("to") or ""
        if to_tag and "tag=" not in to:
            to += f";tag={to_tag}"
        hdrs.append(("To", to))
        hdrs += list(extra)
        if body:
            hdrs.append(("Content-Type", "application/sdp"))
        return Msg(f"SIP/2.0 {code} {reason}", hdrs, body)

    def _contact(self):
        # contact_host: the address a phone behind NAT writes in its Contact
        # (its own private one), which only its proxy's Path gets around
        host = getattr(self, "contact_host", None) or f"{self.ip}:{self.port}"
        return f"<sip:{self.user}@{host};transport=udp>"

    def _on_request(self, m, addr):
        meth = m.method
        callid = m.get("call-id")
        d = self.dialog
        same = d is not None and d["callid"] == callid
        if meth == "INVITE" and not param(m.get("to"), "tag"):
            # a call cancelled while ringing is over (its 487 sent; the ACK may come later)
            if d is not None and not same and not d.get("ended") and d.get("state") != "cancelled":
                self.send(self.response(m, 486, "Busy Here", to_tag="busy"), addr)
                self.log("INVITE refused busy")
                return
            if same:  # a retransmission
                if d.get("last_invite_resp"):
                    self.send(d["last_invite_resp"], addr)
                return
            self._incoming(m, addr)
        elif meth == "INVITE":
            if not same:
                self.send(self.response(m, 481, "Call/Transaction Does Not Exist"), addr)
                return
            ip, port, pts, te, direction = parse_sdp(m.body)
            self.log(f"reINVITE {direction}")
            if self.reinvite_code != 200:
                self.send(self.response(m, self.reinvite_code, "Call/Transaction Does Not Exist"), addr)
                self.log(f"answered the reINVITE {self.reinvite_code}")
                return
            if port:
                self.remote_media = (ip, port)
            r = self.response(m, 200, "OK", [("Contact", self._contact())],
                              make_sdp(self.ip, self.rtp_port, self.local_direction, self._next_sdp_version(), (self.codec, 101)))
            self.send(r, addr)
        elif meth == "ACK":
            if same:
                if d.get("state") == "answering":
                    d["state"] = "established"
                    self.log("ACK")
                    self.sending = True
                else:
                    self.log("ACK " + d.get("state", "?"))
        elif meth == "CANCEL":
            self.send(self.response(m, 200, "OK", to_tag=d["local_tag"] if same else None), addr)
            if same and d.get("state") in ("ringing", "answering_wait"):
                d["state"] = "cancelled"
                self.log("CANCEL")
                r = self.response(d["invite"], 487, "Request Terminated", to_tag=d["local_tag"])
                d["last_invite_resp"] = r
                self.send(r, addr)
                self.log("sent 487")
            else:
                self.log("CANCEL late")
        elif meth == "BYE":
            self.send(self.response(m, 200 if same else 481, "OK" if same else "No Such Call"), addr)
            if same:
                d["ended"] = True
                d["state"] = "ended"
                self.sending = False
                self.log("BYE received")
        elif meth == "OPTIONS":
            self.send(self.response(m, 200, "OK"), addr)
        elif meth == "NOTIFY":  # a REFER's implicit subscription (RFC 3515): the sipfrag's status line
            self.send(self.response(m, 200 if same else 481, "OK" if same else "No Such Call"), addr)
            frag = (m.body or b"").decode("utf-8", "replace").split("\r\n")[0]
            self.log(f"NOTIFY {m.get('subscription-state') or ''} | {frag}")
        else:
            self.send(self.response(m, 501, "Not Implemented"), addr)

    def _next_sdp_version(self):
        self.sdp_version += 1
        return self.sdp_version

    def _incoming(self, m, addr):
        ip, port, pts, te, direction = parse_sdp(m.body)
        d = {"callid": m.get("call-id"), "role": "uas", "invite": m, "local_tag": "%08x" % random.getrandbits(32),
             "remote_tag": param(m.get("from"), "tag"), "local_uri": addr_uri(m.get("to")),
             "remote_uri": addr_uri(m.get("from")), "target": addr_uri(m.get("contact")), "addr": addr,
             "state": "ringing", "headers": {k.lower(): v for k, v in m.headers
                         if k.lower().startswith("x-wasl") or k.lower() in ("call-info", "alert-info")}}
        self.dialog = d
        self.remote_media = (ip, port) if port else None
        self.remote_te = te
        self.log(f"INVITE {d['headers']}")
        self.send(self.response(m, 100, "Trying"), addr)
        if self.mode == "busy":
            r = self.response(m, 486, "Busy Here", to_tag=d["local_tag"])
            d["state"] = "ended"
            d["ended"] = True
            self.send(r, addr)
            return
        r = self.response(m, 180, "Ringing", [("Contact", self._contact())], to_tag=d["local_tag"])
        d["last_invite_resp"] = r
        self.send(r, addr)
        if self.mode == "answer" or "answer-after=0" in d["headers"].get("call-info", ""):
            d["state"] = "answering_wait"
            threading.Thread(target=self._answer, args=(d,), daemon=True).start()

    def _answer(self, d):
        time.sleep(self.answer_delay)
        if d.get("state") != "answering_wait":
            return
        d["state"] = "answering"
        r = self.response(d["invite"], 200, "OK", [("Contact", self._contact())],
                          make_sdp(self.ip, self.rtp_port, self.local_direction, self._next_sdp_version(), (self.codec, 101)),
                          to_tag=d["local_tag"])
        d["last_invite_resp"] = r
        self.log("answered")
        t1 = 0.5
        for _ in range(7):  # retransmit the 200 until the ACK
            if d.get("state") != "answering":
                return
            self.send(r, d["addr"])
            with self.cv:
                self.cv.wait(t1)
            t1 = min(t1 * 2, 4)

    # -- requests we send

    def _branch(self):
        return "z9hG4bK" + "%012x" % random.getrandbits(48)

    def _request(self, method, uri, to, from_, callid, cseq, extra=(), body=b""):
        hdrs = [("Via", f"SIP/2.0/UDP {self.ip}:{self.port};branch={self._branch()};rport"), ("Max-Forwards", "70"),
                ("From", from_), ("To", to), ("Call-ID", callid), ("CSeq", f"{cseq} {method}")]
        hdrs += list(extra)
        if body:
            hdrs.append(("Content-Type", "application/sdp"))
        return Msg(f"{method} {uri} SIP/2.0", hdrs, body)

    def _wait_final(self, callid, cseq, timeout, resend=None, provisional=None):
        """The final response to (callid, cseq); resend(): retransmit (UDP,
        non-INVITE) at 0.5 s, 1 s, 2 s ... until a provisional or final one."""
        end = time.time() + timeout
        nxt, t1 = time.time() + 0.5, 0.5
        got_prov = False
        while True:
            with self.cv:
                for r in self.responses:
                    if r.get("call-id") == callid and r.cseq[0] == cseq:
                        if r.code >= 200:
                            self.responses.remove(r)
                            return r
                        if not got_prov:
                            got_prov = True
                            if provisional:
                                provisional.append(r)
                left = min(end, nxt if resend and not got_prov else end) - time.time()
                if left > 0:
                    self.cv.wait(min(left, 0.05))
            now = time.time()
            if now >= end:
                return None
            if resend and not got_prov and now >= nxt:
                resend()
                t1 = min(t1 * 2, 4)
                nxt = now + t1

    def register(self, expires=120, password=None, timeout=4.0, contact=True, replay_auth=None, extra=()):
        """REGISTER, answering a 401 with digest. Returns the list of status
        codes seen (None for no answer within timeout). The Authorization that
        succeeded is kept in last_auth; replay_auth sends one as it came (and
        does not answer a challenge)."""
        password = self.password if password is None else password
        uri = f"sip:{self.domain}:{self.server[1]}"
        aor = f"<sip:{self.user}@{self.domain}:{self.server[1]}>"
        callid = "reg-%x@%s" % (random.getrandbits(40), self.ip)
        tag = "%08x" % random.getrandbits(32)
        codes = []
        auth = None
        for attempt in range(3):
            self.cseq += 1
            hdrs = [("Expires", str(expires))] + list(extra)
            if contact:
                hdrs.append(("Contact", self._contact()))
            if auth:
                hdrs.append(("Authorization", auth))
            if replay_auth:  # a test replays another phone's answer as is
                hdrs.append(("Authorization", replay_auth))
            req = self._request("REGISTER", uri, aor, f"{aor};tag={tag}", callid, self.cseq, hdrs)
            self.send(req)
            r = self._wait_final(callid, self.cseq, timeout, resend=lambda req=req: self.send(req))
            codes.append(r.code if r else None)
            self.last_register = r  # the whole answer (its Path, Warning, ...)
            if r and r.code == 200 and auth:
                self.last_auth = auth
            if replay_auth or not r or r.code != 401 or auth and "stale=true" not in (r.get("www-authenticate") or ""):
                break
            ch = parse_challenge(r.get("www-authenticate"))
            auth = digest_header(ch, self.user, password, "REGISTER", uri)
        self.log(f"REGISTER {codes}")
        return codes

    def call(self, did, caller="+33612345678", timeout=8.0, direction="sendrecv", body=None, ctype="application/sdp",
             cid="py"):
        """INVITE did at the server; on 200, ACK and start media. Returns the
        final status code (None: no answer). body: another offer (b"": none)."""
        callid = "%s-%x@%s" % (cid, random.getrandbits(40), self.ip)
        tag = "%08x" % random.getrandbits(32)
        from_ = f"<sip:{caller}@{self.ip}:{self.port}>;tag={tag}"
        to = f"<sip:{did}@{self.server[0]}:{self.server[1]}>"
        uri = f"sip:{did}@{self.server[0]}:{self.server[1]}"
        self.cseq += 1
        self.local_direction = direction
        if body is None:
            body = make_sdp(self.ip, self.rtp_port, direction, self._next_sdp_version(), (self.codec, 101))
        req = self._request("INVITE", uri, to, from_, callid, self.cseq, [("Contact", self._contact())], body)
        if body and ctype != "application/sdp":
            req.headers = [(k, ctype if k == "Content-Type" else v) for k, v in req.headers]
        self.dialog = {"callid": callid, "role": "uac", "local_tag": tag, "local_from": from_, "state": "calling",
                       "invite_cseq": self.cseq}
        self.send(req)
        r = self._wait_final(callid, self.cseq, timeout, resend=lambda: self.send(req))
        self.last_final = r  # the whole final response (its headers: Retry-After, ...)
        if not r:
            return None
        self.last_answer = r.body
        d = self.dialog
        if r.code >= 300:
            self._ack(r, uri, to, from_, callid, self.cseq)
            d["state"] = "ended"
            d["ended"] = True
            return r.code
        d.update({"remote_to": r.get("to"), "target": addr_uri(r.get("contact")) or uri, "state": "established",
                  "remote_tag": param(r.get("to"), "tag")})
        ip, port, pts, te, _ = parse_sdp(r.body)
        self.remote_media = (ip, port)
        self.remote_te = te
        self._ack(r, d["target"], d["remote_to"], from_, callid, self.cseq)
        self.sending = True
        self.log("established")
        return r.code

    def _ack(self, resp, uri, to, from_, callid, cseq):
        ack = self._request("ACK", uri, resp.get("to") or to, from_, callid, cseq, [("Contact", self._contact())])
        self.send(ack)

    def _in_dialog(self, method, body=b"", extra=()):
        d = self.dialog
        self.cseq += 1
        if d["role"] == "uac":
            from_, to = d["local_from"], d["remote_to"]
        else:
            from_ = f"<{d['local_uri']}>;tag={d['local_tag']}"
            to = f"<{d['remote_uri']}>;tag={d['remote_tag']}"
        req = self._request(method, d["target"], to, from_, d["callid"], self.cseq,
                            [("Contact", self._contact())] + list(extra), body)
        return req, from_, to

    def reinvite(self, direction, timeout=5.0):
        """Puts the other side on hold (sendonly / inactive) or back
        (sendrecv). Returns the final code."""
        self.local_direction = direction
        req, from_, to = self._in_dialog("INVITE", make_sdp(self.ip, self.rtp_port, direction, self._next_sdp_version(),
                                                            (self.codec, 101)))
        self.send(req)
        r = self._wait_final(self.dialog["callid"], self.cseq, timeout, resend=lambda: self.send(req))
        if r:
            self.send(self._request("ACK", self.dialog["target"], to, from_, self.dialog["callid"], self.cseq,
                                    [("Contact", self._contact())]))
            if r.code == 200:
                ip, port, pts, te, rdir = parse_sdp(r.body)
                self.log(f"reINVITE sent {direction}: 200 {rdir}")
        return r.code if r else None

    def refer(self, target, timeout=4.0):
        """Blind transfer: REFER the other side to target (a SIP URI).
        Returns the final code."""
        req, _, _ = self._in_dialog("REFER", extra=[("Refer-To", f"<{target}>"), ("Referred-By", f"<sip:{self.user}@{self.ip}>")])
        # taken before sending: the transfer may bring a new call (a new dialog) before the 202 is read
        callid, cseq = self.dialog["callid"], self.cseq
        self.send(req)
        r = self._wait_final(callid, cseq, timeout, resend=lambda: self.send(req))
        self.log(f"REFER sent: {r.code if r else None}")
        return r.code if r else None

    def bye(self, timeout=4.0, free_at_once=False):
        """Hangs up. free_at_once: the phone takes a new call as soon as
        its BYE has left (as a real phone does), not after the 200."""
        d = self.dialog
        if not d or d.get("ended"):
            return None
        self.sending = False
        req, _, _ = self._in_dialog("BYE")
        if free_at_once:
            d["ended"] = True
        self.send(req)
        r = self._wait_final(d["callid"], self.cseq, timeout, resend=lambda: self.send(req))
        d["ended"] = True
        self.log(f"BYE sent: {r.code if r else None}")
        return r.code if r else None

    def options(self, timeout=2.0, uri=None):
        callid = "opt-%x@%s" % (random.getrandbits(40), self.ip)
        self.cseq += 1
        u = uri or f"sip:{self.server[0]}:{self.server[1]}"
        req = self._request("OPTIONS", u, f"<{u}>", f"<sip:{self.user}@{self.ip}:{self.port}>;tag=o{self.cseq}", callid,
                            self.cseq)
        self.send(req)
        r = self._wait_final(callid, self.cseq, timeout, resend=lambda: self.send(req))
        return r.code if r else None

    def dtmf(self, digits, gap=0.3, packets=7):
        """RFC 4733 events on the call's RTP, one after the other (blocks):
        each key is `packets` packets of 20 ms, then 3 end packets."""
        for k in digits:
            with self.rx_lock:
                self.dtmf_queue.append((DTMF_EVENTS[k], packets))
            time.sleep(0.02 * (packets + 3) + gap)

    # -- RTP

    def _rtp_rx(self):
        self.rtp.settimeout(0.1)
        while self.running:
            try:
                data, addr = self.rtp.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            if len(data) < 12 or data[0] >> 6 != 2:
                continue
            cc = data[0] & 0x0F
            pt = data[1] & 0x7F
            payload = data[12 + 4 * cc:]
            if pt == 0:
                samples = [ULAW_DEC[b] for b in payload]
            elif pt == 8:
                samples = [ALAW_DEC[b] for b in payload]
            else:
                samples = None
            with self.rx_lock:
                self.rx.append((time.time(), pt, samples))

    def _packet(self, pt, payload, marker=False, ts=None):
        self.seq = (self.seq + 1) & 0xFFFF
        return struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | pt, self.seq,
                           self.ts if ts is None else ts, self.ssrc) + payload

    def _rtp_tx(self):
        nxt = time.monotonic()
        k = 0
        ev = None  # (code, ts, n) of a DTMF event being sent
        while self.running:
            nxt += 0.02
            delay = nxt - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            elif delay < -0.2:
                nxt = time.monotonic()
            if not self.sending or not self.remote_media or self.local_direction in ("recvonly", "inactive"):
                self.ts = (self.ts + 160) & 0xFFFFFFFF
                continue
            try:
                if ev is None:
                    with self.rx_lock:
                        if self.dtmf_queue and self.remote_te is not None:
                            code, npk = self.dtmf_queue.pop(0)
                            ev = [code, self.ts, 0, npk]
                if ev is not None:
                    ev[2] += 1
                    n, npk = ev[2], ev[3]
                    end = n > npk
                    dur = min(n, npk + 1) * 160
                    payload = struct.pack("!BBH", ev[0], (0x80 if end else 0) | 10, dur)
                    self.rtp.sendto(self._packet(self.remote_te, payload, marker=n == 1, ts=ev[1]), self.remote_media)
                    if n >= npk + 3:
                        ev = None
                else:
                    self.rtp.sendto(self._packet(self.codec, self.frames[k % len(self.frames)]), self.remote_media)
                    k += 1
            except OSError:
                pass
            self.ts = (self.ts + 160) & 0xFFFFFFFF

    def received(self, t0=None, t1=None):
        """(samples of the audio packets received between t0 and t1,
        number of audio packets, number of other packets)."""
        out, na, no, _ = self.received_pts(t0, t1)
        return out, na, no

    def received_pts(self, t0=None, t1=None):
        """received(), and the payload types seen {pt: packets}."""
        with self.rx_lock:
            rx = list(self.rx)
        out, na, no, pts = [], 0, 0, {}
        for t, pt, s in rx:
            if (t0 is None or t >= t0) and (t1 is None or t < t1):
                pts[pt] = pts.get(pt, 0) + 1
                if s is None:
                    no += 1
                else:
                    na += 1
                    out.extend(s)
        return out, na, no, pts
