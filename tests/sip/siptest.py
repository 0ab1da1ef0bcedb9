"""Shared pieces of the SIP suite (tests/sip/run.py): free ports, a wasl
server with its API, TAP output with sub-tests, SIPp and agent-phone helpers.
"""
import bisect
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
import wave

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests", "api"))
import harness  # noqa: E402
import sippgen  # noqa: E402
import sipua  # noqa: E402
from harness import wait_until  # noqa: E402,F401 - the SIP tests take it from here
from sipua import UA  # noqa: E402

FR_DID = "+33800100200"
CALLER = "+33612345678"
PHONE_PW = {"agent": "agent-phone-2026", "supervisor": "supervisor-phone-2026"}
FR_LANG_ORDER = ["fr", "ar", "es", "it", "nl", "de", "en"]  # language_order() for France
KEYPAD = {**{c: "2" for c in "ABC"}, **{c: "3" for c in "DEF"}, **{c: "4" for c in "GHI"},
          **{c: "5" for c in "JKL"}, **{c: "6" for c in "MNO"}, **{c: "7" for c in "PQRS"},
          **{c: "8" for c in "TUV"}, **{c: "9" for c in "WXYZ"}}
KEY_GAP = 450  # ms from one key to the next: ~150 ms of pcap, ~300 ms of silence
SANITIZER_MARKERS = ("AddressSanitizer", "runtime error:", "LeakSanitizer", "UndefinedBehaviorSanitizer", "ThreadSanitizer")

children = []  # every process started here (Popen), stopped at the end by PID
children_lock = threading.Lock()


def spawn(cmd, **kw):
    p = subprocess.Popen(cmd, start_new_session=True, **kw)
    with children_lock:
        children.append(p)
    return p


def thread_stacks(pid):
    """Every thread's stack of a process that hangs (gdb, when the machine
    has it), for the log before it is killed: a hang is a bug to find, and
    the process is gone once killed."""
    import shutil
    if not shutil.which("gdb"):
        return "(no gdb on this machine: no stacks)"
    try:
        r = subprocess.run(["gdb", "-p", str(pid), "-batch", "-nx", "-ex", "set pagination off",
                            "-ex", "thread apply all bt 16"], capture_output=True, text=True, timeout=90)
        return "\n".join(l for l in r.stdout.splitlines() if l.startswith(("Thread ", "#")))
    except (OSError, subprocess.SubprocessError) as e:
        return f"(gdb failed: {e})"


def stop_proc(p, sig=signal.SIGTERM, wait=20, log_path=None):
    if p.poll() is None:
        try:
            os.kill(p.pid, sig)
        except ProcessLookupError:
            pass
        try:
            p.wait(wait)
        except subprocess.TimeoutExpired:
            if log_path:
                stacks = thread_stacks(p.pid)
                with open(log_path, "a") as f:
                    f.write(f"\n# did not stop within {wait} s of signal {int(sig)}: its threads\n{stacks}\n")
            os.kill(p.pid, signal.SIGKILL)
            p.wait()


# ---------------------------------------------------------------- ports


class Ports:
    """Free loopback ports, never the same one twice in a run."""

    def __init__(self):
        self.given = set()
        self.lock = threading.Lock()

    @staticmethod
    def in_use():
        used = set()
        for f in ("/proc/net/udp", "/proc/net/udp6", "/proc/net/tcp", "/proc/net/tcp6"):
            try:
                with open(f) as fh:
                    next(fh)
                    for line in fh:
                        used.add(int(line.split()[1].rsplit(":", 1)[1], 16))
            except OSError:
                pass
        return used

    @staticmethod
    def bindable(p, tcp=False):
        kinds = [socket.SOCK_DGRAM] + ([socket.SOCK_STREAM] if tcp else [])
        for k in kinds:
            s = socket.socket(socket.AF_INET, k)
            try:
                s.bind(("127.0.0.1", p))
            except OSError:
                return False
            finally:
                s.close()
        return True

    # Single ports (SIP, control) and RTP blocks come from separate ranges,
    # both under the kernel's ephemeral range (32768-) so that no outgoing
    # socket takes them: a single port taken inside the blocks' range spoils
    # a whole 500-port block, and with the TLS groups' peers the blocks ran
    # out ("no free RTP block").
    SINGLE_LO, BLOCKS_HI = 26000, 26000

    def get(self, span=1, tcp=False, lo=SINGLE_LO, hi=32000, step=2):
        """The first of span consecutive free ports (even), under the
        kernel's ephemeral range so that no outgoing socket takes it."""
        with self.lock:
            used = self.in_use() | self.given
            for _ in range(2000):
                p = random.randrange(lo, hi - span, step)
                rng = range(p, p + span)
                if any(q in used for q in rng) or not all(self.bindable(q, tcp) for q in rng):
                    continue
                self.given.update(rng)
                return p
        raise RuntimeError("no free port")

    def block(self, size):
        """A free range of size ports under the ephemeral range (RTP)."""
        with self.lock:
            used = self.in_use() | self.given
            # every 100 ports: blocks pack tightly (a run holds ~20 groups'
            # blocks, and a shared machine's other sockets spoil some)
            bases = list(range(10000, self.BLOCKS_HI - size + 1, 100))
            random.shuffle(bases)
            taken = sorted(used)
            for b in bases:
                i = bisect.bisect_left(taken, b)
                if i == len(taken) or taken[i] >= b + size:
                    self.given.update(range(b, b + size))
                    return b, b + size - 1
        raise RuntimeError("no free RTP block")


PORTS = Ports()

# ---------------------------------------------------------------- wasl


class Wasl:
    """One wasl server: init --demo on a fresh SQLite database, then serve
    with its own ports and settings."""

    def __init__(self, name, binary, root, settings=None, rtp_size=300, asan=""):
        self.name = name
        self.asan = asan
        self.binary = os.path.abspath(binary)
        self.dir = os.path.join(root, name)
        os.makedirs(self.dir, exist_ok=True)
        self.db = os.path.join(self.dir, "wasl.db")
        self.key = os.path.join(self.dir, "wasl.key")
        self.port = PORTS.get(tcp=True)  # HTTP (harness.Client reads .port)
        self.sip_port = PORTS.get(tcp=True)
        self.rtp_min, self.rtp_max = PORTS.block(rtp_size)
        self.settings = {"cases.key_file": self.key, "http.port": self.port, "sip.port": self.sip_port,
                         "sip.rtp_min": self.rtp_min, "sip.rtp_max": self.rtp_max, "log.level": "debug"}
        self.settings.update(settings or {})
        self.proc = None
        self.log_path = os.path.join(self.dir, "serve.log")
        self.demo_ref = self.demo_pin = None
        self.started_in = None
        self.error = None
        self.ready = threading.Event()
        self.clients = {}

    def cli(self, *args, settings=()):
        a = [self.binary, "--db", self.db, "--set", f"cases.key_file={self.key}"]
        for k, v in settings:
            a += ["--set", f"{k}={v}"]
        return subprocess.run(a + list(args), cwd=self.dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=180, env=asan_env())

    def start(self):
        t0 = time.time()
        try:
            r = self.cli("init", "--demo", settings=[("cases.demo_cases", "20")])
            if r.returncode:
                raise RuntimeError("wasl init --demo failed: " + r.stderr[-1500:])
            m = re.search(r"track demo case (\S+) with PIN (\d+)", r.stdout)
            if m:
                self.demo_ref, self.demo_pin = m.group(1), m.group(2)
            self.serve()
            self.started_in = time.time() - t0
        except Exception as e:  # noqa: BLE001
            self.error = str(e)
        finally:
            self.ready.set()

    def serve(self):
        """wasl serve on the database as it is; returns once it listens."""
        args = [self.binary, "--db", self.db]
        for k, v in self.settings.items():
            args += ["--set", f"{k}={v}"]
        self.logf = open(self.log_path, "w")  # noqa: SIM115 - closed by stop()/kill9()
        self.proc = spawn(args + ["serve"], cwd=self.dir, stdout=subprocess.PIPE, stderr=self.logf, text=True,
                          env=asan_env(self.asan))
        deadline = time.time() + 240
        seen = []
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            seen.append(line)
            if "SIP (trunks" in line or "SIP: standing by" in line:
                break
        else:
            raise RuntimeError("wasl serve did not say it was running in 240 s")
        # a node of a cluster may stand by (another node holds the lease)
        self.standby = any("SIP: standing by" in l for l in seen)
        if not self.standby and not any("SIP (trunks" in l for l in seen):
            raise RuntimeError("wasl serve stopped: " + self.log()[-2000:])
        # keep draining stdout so the server never blocks on it
        threading.Thread(target=self._drain, daemon=True).start()

    def kill9(self):
        """Kills the server the hard way (as a crash or the OOM killer would)."""
        self.proc.kill()
        self.proc.wait(10)
        self.logf.close()
        self.clients = {}

    def restart(self):
        """serve again after kill9(), on the same database and ports."""
        self.log_path = os.path.join(self.dir, f"serve-{int(time.time() * 1000)}.log")
        self.serve()

    def _drain(self):
        try:
            for _ in self.proc.stdout:
                pass
        except (OSError, ValueError):
            pass

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if self.proc:
            stop_proc(self.proc, signal.SIGTERM, 30, self.log_path)
            self.rc = self.proc.returncode
        if getattr(self, "logf", None):
            self.logf.close()

    def log(self):
        return read_log(self.log_path)

    # -- API

    def client(self, who):
        c = self.clients.get(who)
        if c is None:
            c = harness.Client(self)
            r = c.login(who)
            if r.status != 201:
                raise Failure(f"login as {who} on {self.name}: {r}")
            self.clients[who] = c
        return c

    def api(self, who, method, path, body=None, want=200):
        r = self.client(who).request(method, path, body=body)
        if want is not None and r.status != want:
            raise Failure(f"{method} {path} as {who}: expected {want}, got {r}")
        return r.json

    def calls(self, limit=100):
        return self.api("supervisor", "GET", f"/api/v1/tel/calls?limit={limit}")["items"]

    def call_rows(self, prefix, n=1, timeout=4.0, limit=100):
        """The call log rows whose Call-ID starts with prefix, once there are n
        of them (the row is written a moment after the call ends)."""
        end = time.time() + timeout
        while True:
            rows = [c for c in self.calls(limit) if c["call_id"].startswith(prefix)]
            if len(rows) >= n or time.time() > end:
                return rows
            time.sleep(0.2)

    def call_row(self, prefix, timeout=4.0):
        rows = self.call_rows(prefix, 1, timeout)
        if not rows:
            raise Failure(f"no call log row for Call-ID {prefix}* within {timeout} s")
        return rows[0]

    def status(self):
        return self.api("supervisor", "GET", "/api/v1/tel/status")

    def metrics(self):
        return parse_metrics(harness.Client(self).get("/metrics").body)

    def agent_view(self, user_id):
        for a in self.status()["agents"]:
            if a["user_id"] == user_id:
                return a
        return None

    def call_ids(self):
        return {c["id"] for c in self.status()["calls"]}

    def wait_node(self, node, known=(), timeout=30.0):
        """The live call (not one of the ids in known) once it is at IVR node
        `node`, as GET /api/v1/tel/status shows it: a menu node is listening
        for keys from the moment it is reached. Fails after timeout."""
        end = time.time() + timeout
        while True:
            calls = self.status()["calls"]
            for c in calls:
                if c["id"] not in known and c["node"] == node:
                    return c
            if time.time() > end:
                raise Failure(f"no call reached the IVR node '{node}' within {timeout:.0f} s; calls: "
                              f"{[(c['id'], c['state'], c['node']) for c in calls]}")
            time.sleep(0.05)

    def wait_metric(self, name, at_least, timeout=30.0):
        """The metric's value once it reaches at_least; fails after timeout."""
        end = time.time() + timeout
        while True:
            v = self.metrics().get(name, 0)
            if v >= at_least:
                return v
            if time.time() > end:
                raise Failure(f"{name} stayed at {v:.0f} for {timeout:.0f} s (waited for {at_least:.0f})")
            time.sleep(0.05)

    def wait_rtp_drained(self, packets=25, timeout=10.0):
        """Returns once wasl has received `packets` more RTP packets than now:
        a caller that keeps sending (every 20 ms) has then had everything it
        sent before this call read and handled, since each leg's socket is
        read in order (so a late RFC 4733 end packet has been seen)."""
        base = self.metrics().get("wasl_rtp_packets_received_total", 0)
        self.wait_metric("wasl_rtp_packets_received_total", base + packets, timeout)

    def wait_idle(self, timeout=5.0):
        end = time.time() + timeout
        while time.time() < end:
            if self.status()["calls_active"] == 0:
                return True
            time.sleep(0.2)
        return False


def read_log(path):
    """A process's log as text ("" before it exists)."""
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def parse_metrics(text):
    """{name: value} of a /metrics answer (Prometheus text)."""
    out = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name, _, val = line.rpartition(" ")
        try:
            out[name] = float(val)
        except ValueError:
            pass
    return out


def rss_kb(pid):
    """A process's resident memory (VmRSS of /proc/PID/status), in KB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def slope(samples):
    """The least-squares slope of [(x, y), ...]: how fast y grows with x."""
    xs, ys = [x for x, _ in samples], [y for _, y in samples]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / max(1e-9, sum((x - mx) ** 2 for x in xs))


def asan_env(extra=""):
    """The sanitizers' options; extra: more of ASAN's (a group that measures
    memory turns the quarantine off, or every freed packet buffer is kept
    and counted in the RSS)."""
    e = dict(os.environ)
    e.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    if extra:
        e["ASAN_OPTIONS"] += ":" + extra
    e.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
    return e


# ---------------------------------------------------------------- TAP


class Failure(Exception):
    pass


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0
        self.lock = threading.Lock()
        self.results = []

    def emit(self, ok, name, notes, secs):
        with self.lock:
            self.n += 1
            if not ok:
                self.failed += 1
            self.results.append((ok, name, secs))
            took = f" ({secs:.1f} s)" if secs is not None else ""
            lines = [f"{'ok' if ok else 'not ok'} {self.n} - {name}{took}"]
            for n in notes:
                for l in str(n).splitlines():
                    lines.append("# " + l)
            print("\n".join(lines), flush=True)


TAP = Tap()


class T:
    """What a scenario gets: its server, notes, checks, and sub-tests (each
    one TAP line)."""

    def __init__(self, srv, workdir, group):
        self.srv = srv
        self.work = workdir
        self.group = group
        self.notes = []

    def note(self, text):
        self.notes.append(text)

    def check(self, cond, what):
        if not cond:
            raise Failure(what)

    def eq(self, got, want, what):
        if got != want:
            raise Failure(f"{what}: expected {want!r}, got {got!r}")

    def sub(self, name):
        return Sub(self, name)


class Sub:
    def __init__(self, t, name):
        self.t = t
        self.name = name

    def __enter__(self):
        self.saved = self.t.notes
        self.t.notes = []
        self.t0 = time.time()
        return self.t

    def __exit__(self, et, ev, tb):
        notes = self.t.notes
        self.t.notes = self.saved
        ok = et is None
        if not ok:
            if isinstance(ev, Failure):
                notes.append("FAILED: " + str(ev))
            else:
                notes.append("FAILED: " + "".join(traceback.format_exception(et, ev, tb)).rstrip())
        TAP.emit(ok, self.name, notes, None)  # checks only: the scenario's line has the time
        return True  # the next sub-test runs anyway


# ---------------------------------------------------------------- helpers

PROMPTS = os.path.join(TOP, "build", "prompts")


def prompt_secs(lang, *ids):
    total = 0.0
    for i in ids:
        with wave.open(os.path.join(PROMPTS, lang, i + ".wav")) as w:
            total += w.getnframes() / w.getframerate()
    return total


SCENARIOS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scenarios")


def sipp(t, name, steps=None, end="bye", calls=1, rate=None, limit=None, echo=False, timeout_s=None, caller=CALLER,
         did=FR_DID, wait_bye_ms=30000, xml_file=None, extra=()):
    """A SIPp caller (or many) on t's server, started now; .wait() gives the
    result. The scenario is generated from steps, or xml_file (a file of
    tests/sip/scenarios)."""
    if xml_file:
        xml = os.path.join(SCENARIOS, xml_file)
    else:
        xml = sippgen.uac_xml(name, steps, end=end, caller=caller, wait_bye_ms=wait_bye_ms)
    if timeout_s is None:
        timeout_s = int(sippgen.total_ms(steps or []) / 1000 + (wait_bye_ms / 1000 if end == "wait_bye" else 0) + 20)
    s = sippgen.Sipp(t.work, f"{t.group}-{name}", xml, t.srv.sip_port, did, PORTS.get(tcp=True), PORTS.get(span=4, step=4),
                     calls=calls, rate=rate, limit=limit, echo=echo, timeout_s=timeout_s, cid=name, extra=extra)
    with children_lock:
        children.append(s.proc)
    return s


def expect_sipp_ok(t, res, calls=1):
    t.note(sippgen.summary(res))
    for e in res.get("errors") or []:
        t.note("sipp: " + e)
    t.check(res["rc"] == 0 and res.get("ok") == calls and res.get("failed") == 0,
            f"SIPp: {calls} successful call(s) expected")


def row_note(t, row):
    t.note(f"call log: outcome={row['outcome']} path=\"{row['path']}\" language={row['language']} "
           f"waited_ms={row['waited_ms']} talked_ms={row['talked_ms']} recorded={row['recorded']}")


def _csv_rows(path):
    import csv
    with open(path, newline="") as f:
        lines = [l for l in f if l.strip() and not l.startswith("#")]
    return list(csv.DictReader(lines))


LANGS = ["ar", "fr", "es", "it", "nl", "de", "en"]  # wasl_languages order


def language_order(country):
    """The language menu's order for a country (data/countries.csv): the
    country's languages first, then the others in wasl's order."""
    row = next(r for r in _csv_rows(os.path.join(TOP, "data", "countries.csv")) if r["iso2"] == country)
    first = [l for l in row["languages"].split() if l in LANGS]
    out = []
    for l in first + LANGS:
        if l not in out:
            out.append(l)
    return out


def did_of(country):
    return next(r["did"] for r in _csv_rows(os.path.join(TOP, "data", "tel", "numbers.csv")) if r["country"] == country)


def keys_of(reference):
    return "".join(KEYPAD.get(c, c) for c in reference.upper() if c != "-")


def digit_steps(first_pause, keys, gap=KEY_GAP):
    return [(first_pause if i == 0 else gap, k) for i, k in enumerate(keys)]


def menu_at(lang="fr", margin_ms=1000):
    """When a SIPp caller presses its first key: the welcome and recording
    notice (no barge-in) last as long as their WAVs, then the language menu
    listens. SIPp cannot watch the IVR's state as the Python callers do
    (Wasl.wait_node), so its key times come from the prompts' lengths."""
    return int(prompt_secs(lang, "welcome", "recording_notice") * 1000) + margin_ms


def to_agent_steps(hold_ms):
    """French, then 1 (an agent), then hold_ms in the queue or with the agent."""
    return [(menu_at(), "1"), (1000, "1"), (hold_ms, None)]


def audio_note(t, who, samples, npk, freq=600):
    """Notes the Goertzel powers of samples (npk: audio packets, or None);
    returns (dB of freq above the strongest other frequency, RMS)."""
    ratio, p, po, r = sipua.tone_report(samples, freq)
    others = ", ".join(f"{f} Hz {sipua.db(v):.1f} dB" for f, v in po.items())
    what = f"{npk} audio packets" if npk is not None else f"{len(samples) / 8000:.1f} s"
    t.note(f"{who}: {what}, RMS {r:.0f}; {freq} Hz {sipua.db(p):.1f} dB; {others}; "
           f"{freq} Hz is {ratio:.1f} dB above the strongest other")
    return ratio, r


def read_wav(path):
    with wave.open(path) as w:
        ch, n, rate = w.getnchannels(), w.getnframes(), w.getframerate()
        data = w.readframes(n)
    import array
    a = array.array("h")
    a.frombytes(data)
    return ch, rate, [a[i::ch] for i in range(ch)]


def agent_login(t, who="agent", state="available"):
    c = t.srv.client(who)
    r = c.request("PUT", "/api/v1/me/state", body={"state": state})
    t.check(r.status == 200, f"PUT /api/v1/me/state {state} as {who}: {r}")
    return r.json


def phone(t, who="agent", mode="answer", tone=600, ip="127.0.0.1"):
    p = UA(ip, ("127.0.0.1", t.srv.sip_port), user=who, password=PHONE_PW[who], name=f"{who}-phone", mode=mode,
           tone=tone)
    codes = p.register(expires=300)
    t.note(f"{who}'s phone at {ip}:{p.port} (RTP {p.rtp_port}, {mode}): REGISTER {codes}")
    t.check(codes[-1] == 200, f"REGISTER of {who}'s phone: {codes}")
    # the API reads the telephony's snapshot, published within 100 ms of a change
    end = time.time() + 3
    while codes[-1] == 200 and time.time() < end:
        me = t.srv.api(who, "GET", "/api/v1/me/phone")
        if me.get("registered") and f":{p.port}" in (me.get("contact") or ""):
            break
        time.sleep(0.02)
    return p
