#!/usr/bin/env python3
"""bench/sip bridged concurrency step: callers reach agents through the IVR
and talk through wasl's RTP relay, a share of them recorded, while other
callers stay in the IVR; everything held at once.

    python3 bench/sip/bridged.py --binary build/wasl --agents 500 --ivr 500 \
        --rate 100 --talk 20 --rec-share 0.5 [--steps FILE] [--perf 5]

1. wasl (release build, `init --demo` on a fresh SQLite database, the
   bench's clock: a Tuesday 11:00 in Casablanca) with sip.recording on for
   France only (sip.recording_countries=FR), sip.wrap_up 0 s.
2. --agents agents created through the API (POST /api/v1/users, PUT
   /api/v1/users/{id}/sip: French only) and one probe agent (Arabic only).
   Their phones are SIPp: agent_register.xml registers every account with
   digest auth (-inf agents.csv), giving as Contact the port of a SIPp UAS
   (uas_agent.xml) that answers wasl's INVITEs and plays a PCMU tone (raw
   file, looped) until wasl's BYE. Each agent logs in and goes available
   (PUT /api/v1/me/state).
3. Callers, all placed over the same window (--rate calls/s in all):
   * --agents bridged callers (one SIPp, -rtp_echo): French, then 1 (main
     menu), the queue, an agent; they talk --talk s after the last call is
     bridged, then BYE. The Request-URI comes from an injection file: a
     --rec-share of them call France's number (recorded), the others
     Belgium's (same menu, not recorded).
   * --ivr IVR callers (uac_short.xml, -rtp_echo): no key, they hear the
     IVR's prompts for as long as the bridged callers are up.
   * one probe caller (SIPp, its own media port) choosing Arabic, answered
     by the probe agent (its own SIPp and media port): tcpdump captures its
     four RTP streams for a few seconds while everything is up, and the
     relay's delay (wasl's packet out minus the packet in with the same
     payload, kernel timestamps) is computed per direction.
4. Measured: calls ok / failed and retransmissions from SIPp (callers and
   agents), the peak of bridged calls and of IVR calls (GET
   /api/v1/tel/status once everything is up), the pacing histogram of
   wasl's paced legs (/metrics, as the IVR concurrency step), the relay's
   delay both ways (probe), wasl's RSS before the callers and at its peak
   (per call), the recordings written and frames dropped, wasl's CPU over
   the step and while everything is up (% of one core), and SIPp's CPU.

Prints a Markdown summary and appends a line to --steps (run.sh's
steps.tsv) for sipstat.py's report. A benchmark, not a test.
"""
import argparse
import json
import math
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(TOP, "tests", "sip"))
sys.path.insert(0, os.path.join(TOP, "tests", "api"))

import harness  # noqa: E402
import sipstat  # noqa: E402
import siptest  # noqa: E402
import sippgen  # noqa: E402
from siptest import PORTS, Wasl, menu_at, wait_until  # noqa: E402
from sipua import ulaw_encode  # noqa: E402

PW = "bench-agent-2026!x"
FR_DID, BE_DID = "+33800100200", "+32800100203"  # data/tel/numbers.csv; both menus start with French
CLOCK = "2026-11-24T10:00:00Z"  # a Tuesday, 11:00 in Casablanca: the IVR's open path
HZ = os.sysconf("SC_CLK_TCK")


def log(msg):
    print(f"# {time.strftime('%H:%M:%S')} {msg}", file=sys.stderr, flush=True)


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def thread_ticks(pid):
    """CPU ticks of each named thread of the process (wasl names its
    real-time threads: wasl-sip, wasl-media, wasl-rtpsend, wasl-recwrite)."""
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                head, _, rest = f.read().rpartition(")")
            name, x = head.split("(", 1)[1], rest.split()
            out[name] = out.get(name, 0) + int(x[11]) + int(x[12])
        except (OSError, IndexError, ValueError):
            pass
    return out


def udp_drops(pid):
    """Datagrams the kernel dropped on full receive buffers so far, on the
    open UDP sockets of the process and on every other open UDP socket
    (SIPp's): (wasl's, the others')."""
    mine = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if link.startswith("socket:["):
                mine.add(link[8:-1])
    except OSError:
        pass
    own = other = 0
    for path in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            lines = open(path).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if len(f) < 13:
                continue
            if f[9] in mine:
                own += int(f[-1])
            else:
                other += int(f[-1])
    return own, other


def cpu_ticks(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            x = f.read().rsplit(")", 1)[1].split()
        return int(x[11]) + int(x[12])
    except (OSError, IndexError, ValueError):
        return 0


def tone_file(path):
    """One second of PCMU: a 600 Hz tone whose level changes every 20 ms
    frame, so that each of the 50 frames of a loop has its own payload (the
    probe matches a packet out of wasl to the one that came in by payload).
    0x7F is avoided: it is the one code that G.711 decoding and encoding
    (wasl's relay) does not give back as it was."""
    out = bytearray()
    for f in range(50):
        amp = 3000 + 100 * f
        for i in range(160):
            b = ulaw_encode(int(amp * math.sin(2 * math.pi * 600 * (f * 160 + i) / 8000)))
            out.append(0x7E if b == 0x7F else b)
    with open(path, "wb") as fh:
        fh.write(out)


class Sipp:
    """One SIPp run in its own directory, under a hard time limit; its CPU
    (user+sys of the process, read before it ends) and SIPp's result files."""

    def __init__(self, work, name, args, secs):
        self.name, self.dir = name, os.path.join(work, name)
        os.makedirs(self.dir, exist_ok=True)
        self.out = open(os.path.join(self.dir, "out.txt"), "w")  # noqa: SIM115
        self.proc = subprocess.Popen(["timeout", "-k", "5", str(int(secs)), "sipp"] + [str(a) for a in args],
                                     cwd=self.dir, stdout=self.out, stderr=subprocess.STDOUT, start_new_session=True)
        with siptest.children_lock:
            siptest.children.append(self.proc)
        self.cpu = 0
        threading.Thread(target=self._watch, daemon=True).start()

    def sipp_pid(self):
        try:
            kids = open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read().split()
            return int(kids[0]) if kids else None
        except (OSError, ValueError):
            return None

    def _watch(self):
        while self.proc.poll() is None:
            p = self.sipp_pid()
            if p:
                self.cpu = max(self.cpu, cpu_ticks(p))
            time.sleep(0.5)

    def alive(self):
        return self.proc.poll() is None

    def wait(self, secs=None):
        try:
            rc = self.proc.wait(secs)
        except subprocess.TimeoutExpired:
            self.stop()
            rc = "killed"
        self.out.close()
        return rc

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait()

    def stats(self):
        """SIPp's figures (sipstat.py) and its CPU."""
        out = sipstat.sipp_results(self.dir)
        out["cpu_s"] = round(self.cpu / HZ, 2)
        return out

    def errors(self, n=5):
        out = []
        for f in sorted(os.listdir(self.dir)):
            if f.endswith("_errors.log"):
                out += [l.strip() for l in open(os.path.join(self.dir, f), errors="replace") if l.strip()][:n]
        return out[:n]


# ---------------------------------------------------------------- the probe's capture


def read_pcap(path):
    """(time, src port, dst port, RTP payload) of each RTP datagram (20 ms
    of G.711) in a pcap of the loopback."""
    return [(t, sport, dport, payload[12:12 + 160]) for t, sport, dport, payload in sipstat.pcap_udp(path)
            if len(payload) >= 12 + 160]


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] if xs else None


def relay_delays(pkts, peer_port, other_port):
    """Delays (s) of wasl's relay from peer_port's side to other_port's:
    each packet wasl sent to other_port, minus the latest packet with the
    same payload that peer_port sent to wasl before it."""
    last_in = {}
    delays = []
    for t, sp, dp, pl in pkts:  # in capture order
        if sp == peer_port:
            last_in[pl] = t
        elif dp == other_port and pl in last_in and t - last_in[pl] < 0.5:
            delays.append(t - last_in[pl])
    return delays


def gaps(pkts, to_port):
    """Deviation from 20 ms of the gaps between packets arriving at to_port."""
    ts = [t for t, _, dp, _ in pkts if dp == to_port]
    return [abs((b - a) - 0.020) for a, b in zip(ts, ts[1:])]


# ---------------------------------------------------------------- the step


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--binary", default=os.path.join(TOP, "build", "wasl"))
    ap.add_argument("--agents", type=int, default=500, help="agents, and callers bridged to them")
    ap.add_argument("--ivr", type=int, default=500, help="callers who stay in the IVR")
    ap.add_argument("--rate", type=float, default=100, help="calls placed per second, all kinds together")
    ap.add_argument("--talk", type=float, default=20, help="seconds every call is up at once")
    ap.add_argument("--rec-share", type=float, default=0.5, help="share of the bridged callers whose calls are recorded")
    ap.add_argument("--steps", help="steps.tsv to append the result line to")
    ap.add_argument("--work", help="work directory (default: a new one in /tmp, removed unless --keep)")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--no-cache", action="store_true",
                    help="create the agents even if build/bench/sip/agents-N holds them from an earlier run")
    ap.add_argument("--perf", type=float, default=0, help="perf record -g this many seconds while everything is up")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="a setting of wasl's for this run (repeatable), e.g. sip.media_send_queue=0")
    ap.add_argument("--sipp-buf", type=int, default=int(os.environ.get("SIPP_BUF", 1048576)))
    a = ap.parse_args()
    n, m = a.agents, a.ivr
    work = os.path.abspath(a.work or f"/tmp/wasl-bench-bridged-{os.getpid()}")
    os.makedirs(work, exist_ok=True)
    load0 = open("/proc/loadavg").read().split()[:3]
    log(f"work dir {work}; load {' '.join(load0)}")

    # libre's rtp_listen() takes an even port drawn at random in the range
    # and gives up after 64 draws: with two ports a leg (the docs' sizing) a
    # range 97 % full refused 12 agents' legs in 3,000 (declined at once,
    # ring_ms 0); four a leg keeps it half full
    legs = 2 * n + m + 4
    srv = Wasl("wasl", a.binary, work, {
        "clock.start": CLOCK, "log.level": "warn", "paths.data": os.path.join(TOP, "data"),
        "sip.prompts_dir": os.path.join(TOP, "build", "prompts"), "sip.recording": "true", "sip.recording_countries": "FR",
        "sip.recording_dir": os.path.join(work, "rec"), "sip.wrap_up": "0s", "sip.ring_timeout": "20s",
        "sip.max_calls": str(max(2000, n + m + 100)), "sip.register_max": "2h",
        # the cached agents' sessions live on from run to run
        "auth.session_idle": "86400", "auth.session_absolute": "604800"}, rtp_size=2)
    # a range that large rarely fits under 26000 beside the SIP suites of
    # other users of the machine (sipstat.py's rtpblock, as run.sh's)
    srv.rtp_min = sipstat.rtp_block(4 * legs + 400, avoid=[(PORTS.SINGLE_LO, 32000)])
    srv.rtp_max = srv.rtp_min + 4 * legs + 399
    srv.settings.update({"sip.rtp_min": srv.rtp_min, "sip.rtp_max": srv.rtp_max})
    for kv in a.set:
        k, _, v = kv.partition("=")
        if not k or not _:
            ap.error(f"--set {kv}: KEY=VALUE")
        srv.settings[k] = v
    # The agents' accounts and sessions from an earlier run with as many
    # agents (a copy of its database made after they logged in): Argon2id
    # makes creating and logging in 1,000 agents take minutes.
    # A cache with more agents serves too: the others are taken offline.
    def usable(d):
        return (all(os.path.exists(os.path.join(d, f)) for f in ("wasl.db", "wasl.key", "wasl-audit.key", "sessions.json"))
                and os.path.getmtime(os.path.join(d, "wasl.db")) > os.path.getmtime(srv.binary))

    root = os.path.join(TOP, "build", "bench", "sip")
    sizes = sorted(int(d.split("-", 1)[1]) for d in (os.listdir(root) if os.path.isdir(root) else [])
                   if re.fullmatch(r"agents-\d+", d) and int(d.split("-", 1)[1]) >= n and usable(os.path.join(root, d)))
    cache = os.path.join(root, f"agents-{sizes[0] if sizes and not a.no_cache else n}")
    cached = bool(sizes) and not a.no_cache
    if cached:
        shutil.copy(os.path.join(cache, "wasl.db"), srv.db)
        shutil.copy(os.path.join(cache, "wasl.key"), srv.key)
        shutil.copy(os.path.join(cache, "wasl-audit.key"), os.path.join(srv.dir, "wasl-audit.key"))
        try:
            srv.serve()
        except Exception as e:  # noqa: BLE001
            sys.exit("wasl did not start on the cached database: " + str(e))
        log(f"agents from {cache}")
    else:
        srv.start()
        if srv.error:
            sys.exit("wasl did not start: " + srv.error)
    pid = srv.proc.pid
    sipps = []
    result = {"target": "wasl", "step": "bridged", "rate": a.rate, "calls": n + m + 1, "agents": n, "ivr_calls": m,
              "rec_share": a.rec_share, "load": "/".join(load0)}
    try:
        run(a, srv, work, pid, sipps, result, cache, cached)
    except Exception as e:  # noqa: BLE001 - the step fails with the reason in its line
        result["result"] = "FAIL: " + re.sub(r"\s+", " ", str(e))[:300]
    finally:
        for s in sipps:
            s.stop()
        srv.stop()
        if not a.keep and not a.work:
            shutil.rmtree(work, ignore_errors=True)
    line = "\t".join(f"{k}={v}" for k, v in result.items())
    if a.steps:
        with open(a.steps, "a") as f:
            f.write(line + "\n")
    print_summary(result)
    return 0 if result.get("result") == "pass" else 1


def run(a, srv, work, pid, sipps, result, cache, cached):
    n, m = a.agents, a.ivr
    t_setup = time.time()
    admin = srv.client("admin")

    def add_agent(i, login, langs):
        u = admin.request("POST", "/api/v1/users", body={"login": login, "display_name": f"Bench {i}", "role": "agent",
                                                        "password": PW, "must_change_password": False})
        if u.status != 201:
            raise RuntimeError(f"POST /api/v1/users {login}: {u}")
        uid = (u.json.get("user") or u.json)["id"]
        r = admin.request("PUT", f"/api/v1/users/{uid}/sip", body={"sip_user": login, "password": PW, "languages": langs})
        if r.status != 200:
            raise RuntimeError(f"PUT /api/v1/users/{uid}/sip: {r}")
        return login

    logins = [f"bench{i:05d}" for i in range(n)]
    if not cached:
        with ThreadPoolExecutor(4) as ex:
            list(ex.map(lambda x: add_agent(x[0], x[1], "fr"), enumerate(logins)))
        add_agent(n, "benchprobe", "ar")
        log(f"{n} agents and the probe created in {time.time() - t_setup:.0f} s")

    # the agents' phones: one SIPp answers for all of them, one for the probe
    uas_port, probe_uas_port = PORTS.get(tcp=True), PORTS.get(tcp=True)
    tone = os.path.join(work, "tone.ul")
    tone_file(tone)
    xml = open(os.path.join(HERE, "uas_agent.xml")).read().replace("TONE_FILE", tone)
    uas_xml = os.path.join(work, "uas_agent.xml")
    open(uas_xml, "w").write(xml)
    hold_s = setup_window(a)
    secs = hold_s + 120
    common = ["-i", "127.0.0.1", "-mi", "127.0.0.1", "-nostdin", "-buff_size", a.sipp_buf, "-trace_stat", "-stf",
              "stat.csv", "-fd", "1", "-trace_counts", "-trace_err", "-max_socket", "4096"]
    inf = os.path.join(work, "agents.csv")
    with open(inf, "w") as f:
        f.write("SEQUENTIAL\n")
        for login in logins:
            f.write(f"{login};[authentication username={login} password={PW}];{uas_port}\n")
        f.write(f"benchprobe;[authentication username=benchprobe password={PW}];{probe_uas_port}\n")
    reg = Sipp(work, "register", [f"127.0.0.1:{srv.sip_port}", "-sf", os.path.join(HERE, "agent_register.xml"), "-inf",
                                  inf, "-m", n + 1, "-r", 200, "-l", 200, "-p", PORTS.get(tcp=True), "-timeout", "60s",
                                  "-timeout_error"] + common, 80)
    sipps.append(reg)
    rc = reg.wait(90)
    st = reg.stats()
    if rc != 0 or st.get("successfulcall") != n + 1:
        raise RuntimeError(f"registering {n + 1} phones: rc {rc}, {st}, {reg.errors()}")
    ok = wait_until(lambda: srv.metrics().get("wasl_sip_registered_phones", 0) >= n + 1 or None, 20)
    if not ok:
        raise RuntimeError(f"wasl_sip_registered_phones {srv.metrics().get('wasl_sip_registered_phones')} < {n + 1}")

    sessions = {}
    if cached:
        sessions = json.load(open(os.path.join(cache, "sessions.json")))

    def available(login):
        c = harness.Client(srv)
        if login in sessions:
            c.cookie, c.csrf = sessions[login]
        else:
            r = c.login(login, PW)
            if r.status != 201:
                raise RuntimeError(f"login {login}: {r}")
            sessions[login] = [c.cookie, c.csrf]
        r = c.request("PUT", "/api/v1/me/state", body={"state": "available"})
        if r.status not in (200, 202):
            raise RuntimeError(f"PUT /api/v1/me/state as {login}: {r}")

    def offline(login, sess):
        c = harness.Client(srv)
        c.cookie, c.csrf = sess
        r = c.request("PUT", "/api/v1/me/state", body={"state": "offline"})
        if r.status not in (200, 202):
            raise RuntimeError(f"PUT /api/v1/me/state offline as {login}: {r}")

    with ThreadPoolExecutor(4) as ex:
        list(ex.map(available, logins + ["benchprobe"]))
        # the cache's other agents (it was made with more) stay out of the queues
        extra = [x for x in sessions if x.startswith("bench") and x != "benchprobe" and int(x[5:]) >= n]
        list(ex.map(lambda login: offline(login, sessions[login]), extra))
    if not cached and not a.no_cache:
        # the database as it is now (SQLite's online backup) and the sessions
        os.makedirs(cache, exist_ok=True)
        src = sqlite3.connect(srv.db)
        dst = sqlite3.connect(os.path.join(cache, "wasl.db.new"))
        src.backup(dst)
        dst.close()
        src.close()
        shutil.copy(srv.key, os.path.join(cache, "wasl.key"))
        shutil.copy(os.path.join(srv.dir, "wasl-audit.key"), os.path.join(cache, "wasl-audit.key"))
        json.dump(sessions, open(os.path.join(cache, "sessions.json"), "w"))
        os.replace(os.path.join(cache, "wasl.db.new"), os.path.join(cache, "wasl.db"))
    avail = wait_until(lambda: sum(x.get("state") == "available" for x in srv.status()["agents"]) == n + 1 or None, 20)
    if not avail:
        raise RuntimeError("not every agent became available")
    result["setup_s"] = round(time.time() - t_setup)
    log(f"{n + 1} phones registered and agents available in {result['setup_s']} s")

    # the agents' phones answer from now on (setting the agents up may take
    # minutes, longer than these SIPp's time limit)
    # media ports taken now: other users' SIP suites take ports in the same
    # range, and the set-up may last minutes
    uas_mp, probe_mp = PORTS.get(span=4, step=4), PORTS.get(span=4, step=4)
    uas = Sipp(work, "agents", ["-sf", uas_xml, "-p", uas_port, "-mp", uas_mp, "-m", n, "-l", n + 100, "-aa",
                                "-timeout", f"{secs}s", "-rtp_threadtasks", "50"] + common, secs + 10)
    probe_uas = Sipp(work, "probe-agent", ["-sf", uas_xml, "-p", probe_uas_port, "-mp", probe_mp, "-m", 1, "-aa",
                                           "-timeout", f"{secs}s"] + common, secs + 10)
    sipps += [uas, probe_uas]
    for p in (uas_port, probe_uas_port):
        if not wait_until(lambda p=p: f":{p:04X} " in open("/proc/net/udp").read().upper() or None, 10):
            raise RuntimeError(f"SIPp did not listen on udp {p}")
    time.sleep(0.5)
    for x in (uas, probe_uas):
        if not x.alive() or x.errors(1):
            raise RuntimeError(f"the SIPp of {x.name} did not start: {x.errors(3)}")

    # The 1,001 REGISTERs and logins of a cached set-up come in a burst that
    # can leave the overload guards shedding for a moment: the callers start
    # once new calls are admitted again (or the step would count 503s of the
    # set-up as failed callers).
    def admitting():
        r = harness.Client(srv).get("/metrics")
        mo = re.search(r"^wasl_sip_overload (\d+)", r.body or "", re.M) if r.status == 200 else None
        return True if mo and mo.group(1) == "0" else None
    t_adm = time.time()
    if not wait_until(admitting, 30):
        raise RuntimeError("wasl still sheds new calls 30 s after the set-up")
    if time.time() - t_adm > 0.5:
        log(f"waited {time.time() - t_adm:.1f} s for the overload guards to admit again after the set-up")

    # ---- the callers
    window = (n + m) / a.rate
    steps = siptest.to_agent_steps(int(hold_s * 1000))
    bxml = sippgen.uac_xml("bridged", steps, caller="+2125221[call_number]").replace(
        "sip:[service]@", "sip:[field0]@")
    bpath = os.path.join(work, "uac_bridged.xml")
    open(bpath, "w").write(bxml)
    dids = os.path.join(work, "dids.csv")
    nrec = round(n * a.rec_share)
    with open(dids, "w") as f:
        f.write("SEQUENTIAL\n")
        # spread the recorded ones evenly over the arrivals
        for i in range(n):
            f.write((FR_DID if (i * nrec) // n != ((i + 1) * nrec) // n else BE_DID) + ";\n")
    result["recorded_calls"] = nrec + 1  # and the probe (France)
    # Arabic (2 in France's menu), the main menu's 1, then "no" (2) to a
    # French-speaking agent: the Arabic queue, where only the probe agent is
    pxml = sippgen.uac_xml("probe", [(menu_at(), "2"), (1000, "1"), (1000, "2"), (int(hold_s * 1000) - 1000, None)],
                           caller="+212522199999")
    # it calls in the middle of the window, but its SIPp starts with the
    # others: a media port bound later may have become one of wasl's
    pxml = pxml.replace("<scenario name=\"probe\">", f"<scenario name=\"probe\">\n  <pause milliseconds=\"{int(window * 500)}\"/>", 1)
    ppath = os.path.join(work, "uac_probe.xml")
    open(ppath, "w").write(pxml)
    ivr_total_ms = int(sippgen.total_ms(steps))
    ctimeout = int(window + ivr_total_ms / 1000 + 60)
    m0 = metrics_file(srv, os.path.join(work, "metrics0.txt"))
    rss0 = rss_kb(pid)
    c0 = cpu_ticks(pid)
    t0 = time.time()
    log(f"callers: {n} to agents ({nrec} recorded) and {m} in the IVR at {a.rate:g} calls/s over {window:.1f} s; "
        f"each held {ivr_total_ms / 1000:.0f} s; RSS {rss0 // 1024} MB")
    bcall = Sipp(work, "callers-bridged", [f"127.0.0.1:{srv.sip_port}", "-sf", bpath, "-inf", dids, "-s", FR_DID,
                                           "-p", PORTS.get(tcp=True), "-mp", PORTS.get(span=4, step=4), "-rtp_echo",
                                           "-r", round(a.rate * n / (n + m), 2), "-m", n, "-l", n + m,
                                           "-timeout", f"{ctimeout}s", "-timeout_error"] + common, ctimeout + 10)
    sipps.append(bcall)
    icall = None
    if m:
        icall = Sipp(work, "callers-ivr", [f"127.0.0.1:{srv.sip_port}", "-sf", os.path.join(HERE, "uac_short.xml"),
                                           "-s", FR_DID, "-d", ivr_total_ms, "-p", PORTS.get(tcp=True),
                                           "-mp", PORTS.get(span=4, step=4), "-rtp_echo",
                                           "-r", round(a.rate * m / (n + m), 2), "-m", m, "-l", n + m,
                                           "-timeout", f"{ctimeout}s", "-timeout_error"] + common, ctimeout + 10)
        sipps.append(icall)
    probe_mp_caller = PORTS.get(span=4, step=4)
    pcall = Sipp(work, "probe-caller", [f"127.0.0.1:{srv.sip_port}", "-sf", ppath, "-s", FR_DID, "-p",
                                        PORTS.get(tcp=True), "-mp", probe_mp_caller, "-rtp_echo", "-m", 1,
                                        "-timeout", f"{ctimeout}s", "-timeout_error"] + common, ctimeout + 10)
    sipps.append(pcall)

    # ---- sample RSS while the calls come; then everything is up
    rss_peak = 0
    bridged_seen = 0
    plateau = None
    while time.time() - t0 < window + ivr_total_ms / 1000 + 30 and (bcall.alive() or (icall and icall.alive())):
        rss_peak = max(rss_peak, rss_kb(pid))
        if plateau is None and time.time() - t0 > window:
            b = srv.metrics().get("wasl_calls_bridged_total", 0)
            bridged_seen = b
            if b >= n + 1 or time.time() - t0 > window + 40:
                plateau = time.time()
                mid = plateau_measure(a, srv, work, pid, result, probe_mp, probe_mp_caller)
                rss_peak = max(rss_peak, mid.pop("rss"))
                result.update(mid)
        time.sleep(0.5)
    rcs = {s.name: s.wait(ctimeout + 20) for s in (bcall, icall, pcall) if s}
    time.sleep(1)
    c1 = cpu_ticks(pid)
    m1 = metrics_file(srv, os.path.join(work, "metrics1.txt"))
    result["duration_s"] = round(time.time() - t0, 1)
    uas.stop()
    probe_uas.stop()
    time.sleep(0.5)

    # ---- results
    sb, si, sp, sa = bcall.stats(), (icall.stats() if icall else {}), pcall.stats(), uas.stats()
    spa = probe_uas.stats()
    result["ok"] = sb.get("successfulcall", 0) + si.get("successfulcall", 0) + sp.get("successfulcall", 0)
    result["failed"] = sb.get("failedcall", 0) + si.get("failedcall", 0) + sp.get("failedcall", 0)
    result["bridged_ok"] = sb.get("successfulcall", 0)
    result["ivr_ok"] = si.get("successfulcall", 0)
    result["agents_ok"] = sa.get("successfulcall", 0)
    result["agents_failed"] = sa.get("failedcall", 0)
    result["retrans"] = sum(s.get("retrans_msgs", 0) for s in (sb, si, sp, sa, spa))
    result["peak"] = sb.get("peak", 0) + si.get("peak", 0) + sp.get("peak", 0)
    mm0, mm1 = sipstat.metric_values(m0), sipstat.metric_values(m1)
    result["bridged_total"] = int(mm1.get("wasl_calls_bridged_total", 0) - mm0.get("wasl_calls_bridged_total", 0))
    result["rec_dropped_frames"] = int(mm1.get("wasl_recording_frames_dropped_total", 0)
                                       - mm0.get("wasl_recording_frames_dropped_total", 0))
    rx = mm1.get("wasl_rtp_packets_received_total", 0) - mm0.get("wasl_rtp_packets_received_total", 0)
    tx = mm1.get("wasl_rtp_packets_sent_total", 0) - mm0.get("wasl_rtp_packets_sent_total", 0)
    result["rtp_rx"], result["rtp_tx"] = int(rx), int(tx)
    pf = sipstat.pacing_figures(m0, m1)
    result["pacing_p99"], result["pacing_n"] = pf["pacing_p99"], pf["pacing_n"]
    wavs = []
    for root, _, files in os.walk(os.path.join(work, "rec")):
        wavs += [os.path.join(root, f) for f in files if f.endswith(".wav")]
    result["recordings"] = len(wavs)
    result["rss0_kb"], result["rss_peak_kb"] = rss0, rss_peak
    result["cpu_s"] = round((c1 - c0) / HZ, 2)
    result["sipp_cpu_s"] = round(sum(s.get("cpu_s", 0) for s in (sb, si, sp, sa, spa)), 2)
    why = []
    if any(rc != 0 for rc in rcs.values()):
        why.append("sipp rc " + ",".join(f"{k}={v}" for k, v in rcs.items() if v != 0))
    if result["failed"] or result["agents_failed"]:
        why.append(f"{result['failed']} callers and {result['agents_failed']} agents failed")
    if result["ok"] != n + m + 1:
        why.append(f"{result['ok']} of {n + m + 1} ok")
    if result["retrans"]:
        why.append(f"{result['retrans']} retransmissions")
    if result["bridged_total"] < n + 1:
        why.append(f"only {result['bridged_total']} of {n + 1} bridged")
    if result.get("relay_p99_ms") is None:
        why.append("no relay delay measured")
    elif result["relay_p99_ms"] >= 5:
        why.append(f"relay p99 {result['relay_p99_ms']} ms")
    b = result["pacing_p99"]
    if b.startswith(">") or (b.startswith("≤") and float(b[1:].split()[0]) > 5):
        why.append(f"pacing p99 {b}")
    result["result"] = "pass" if not why else "FAIL: " + "; ".join(why)
    for s in sipps:
        for e in s.errors(3):
            log(f"{s.name}: {e}")


def setup_window(a):
    """Seconds a bridged caller stays after its last key: the placing
    window, the second-language question and the queue (~8 s), then --talk
    with everybody up."""
    return (a.agents + a.ivr) / a.rate + 10 + a.talk


def plateau_measure(a, srv, work, pid, result, probe_mp, probe_mp_caller):
    """While everything is up: who is where, the relay's delay on the probe
    (tcpdump), RSS, CPU for a few seconds, perf if asked."""
    out = {}
    st = srv.status()
    calls = st["calls"]
    # the status lists 500 calls at most; every agent, with their call
    states = {}
    for x in st["agents"]:
        states[x.get("state")] = states.get(x.get("state"), 0) + 1
    out["agent_states"] = ",".join(f"{k}:{v}" for k, v in sorted(states.items(), key=str))
    out["calls_at_once"] = st.get("calls_active", len(calls))
    out["bridged_at_once"] = sum(1 for x in st["agents"] if x.get("call"))
    out["ivr_at_once"] = out["calls_at_once"] - out["bridged_at_once"]
    log(f"up at once: {out['calls_at_once']} calls, {out['bridged_at_once']} with an agent, agents {out['agent_states']}")
    secs = 5
    pcap = os.path.join(work, "probe.pcap")
    c0, th0, t0 = cpu_ticks(pid), thread_ticks(pid), time.time()
    cap = subprocess.Popen(["timeout", "-s", "INT", str(secs), "tcpdump", "-i", "lo", "-n", "-s", "256", "-U", "-w",
                            pcap, f"udp port {probe_mp} or udp port {probe_mp_caller}"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    perf = None
    if a.perf:
        perf = subprocess.Popen(["perf", "record", "-g", "-p", str(pid), "-o", os.path.join(work, "perf.data"), "--",
                                 "sleep", str(a.perf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rss = 0
    while cap.poll() is None:
        rss = max(rss, rss_kb(pid))
        time.sleep(0.5)
    out["cpu_plateau_pct"] = round(100 * (cpu_ticks(pid) - c0) / HZ / (time.time() - t0))
    th1, dt = thread_ticks(pid), time.time() - t0
    busy = {k: round(100 * (v - th0.get(k, 0)) / HZ / dt) for k, v in th1.items()}
    out["cpu_threads_pct"] = ",".join(f"{k}:{v}" for k, v in sorted(busy.items(), key=lambda kv: -kv[1]) if v > 0)
    out["rss"] = rss
    out["udp_drops_wasl"], out["udp_drops_others"] = udp_drops(pid)
    if perf:
        perf.wait()
        rep = subprocess.run(["perf", "report", "-i", os.path.join(work, "perf.data"), "--no-children", "--stdio",
                              "--percent-limit", "1.5", "--sort", "dso,symbol"], capture_output=True, text=True)
        keep = os.path.join(TOP, "build", "bench", "sip", "perf-bridged.txt")
        os.makedirs(os.path.dirname(keep), exist_ok=True)
        open(keep, "w").write(rep.stdout)
        log(f"perf report: {keep}")
    try:
        pk = read_pcap(pcap)
    except OSError:
        pk = []
    a2c = relay_delays(pk, probe_mp, probe_mp_caller)  # agent -> wasl -> caller
    c2a = relay_delays(pk, probe_mp_caller, probe_mp)  # caller's echo -> wasl -> agent
    both = a2c + c2a
    out["probe_packets"] = len(pk)
    if both:
        out["relay_p50_ms"] = round(pct(both, 0.5) * 1000, 2)
        out["relay_p99_ms"] = round(pct(both, 0.99) * 1000, 2)
        out["relay_max_ms"] = round(max(both) * 1000, 2)
        out["relay_a2c_p99_ms"] = round(pct(a2c, 0.99) * 1000, 2) if a2c else "n/a"
        out["relay_c2a_p99_ms"] = round(pct(c2a, 0.99) * 1000, 2) if c2a else "n/a"
        out["relay_n"] = len(both)
    ga, gc = gaps(pk, probe_mp), gaps(pk, probe_mp_caller)
    if ga and gc:
        out["jitter_at_agent_p99_ms"] = round(pct(ga, 0.99) * 1000, 2)
        out["jitter_at_caller_p99_ms"] = round(pct(gc, 0.99) * 1000, 2)
    log(f"probe: {len(pk)} packets captured, relay delay p50/p99/max "
        f"{out.get('relay_p50_ms')}/{out.get('relay_p99_ms')}/{out.get('relay_max_ms')} ms over {len(both)} packets")
    return out


def metrics_file(srv, path):
    r = harness.Client(srv).get("/metrics")
    with open(path, "w") as f:
        f.write(r.body if r.status == 200 else "")
    return path


def print_summary(r):
    def mb(k):
        return f"{int(r.get(k, 0)) / 1024:.0f} MB"

    calls = r.get("peak") or 0
    per = (r.get("rss_peak_kb", 0) - r.get("rss0_kb", 0)) / calls if calls else 0
    print(f"bridged step: {r.get('agents')} agents, {r.get('ivr_calls')} IVR callers, {r.get('rate')} calls/s, "
          f"{r.get('recorded_calls')} recorded; load {r.get('load')}")
    print(f"  callers ok/failed {r.get('ok')}/{r.get('failed')}, agents ok/failed {r.get('agents_ok')}/"
          f"{r.get('agents_failed')}, retrans {r.get('retrans')}, peak {calls} callers, bridged at once "
          f"{r.get('bridged_at_once')}, in the IVR {r.get('ivr_at_once')}")
    print(f"  pacing p99 (paced legs) {r.get('pacing_p99')}; relay delay p50/p99/max {r.get('relay_p50_ms')}/"
          f"{r.get('relay_p99_ms')}/{r.get('relay_max_ms')} ms (agent->caller p99 {r.get('relay_a2c_p99_ms')}, "
          f"caller->agent p99 {r.get('relay_c2a_p99_ms')}); jitter p99 at agent/caller "
          f"{r.get('jitter_at_agent_p99_ms')}/{r.get('jitter_at_caller_p99_ms')} ms")
    print(f"  RSS {mb('rss0_kb')} -> {mb('rss_peak_kb')} ({per:.0f} KB per call); recordings {r.get('recordings')}, "
          f"dropped frames {r.get('rec_dropped_frames')}; CPU {r.get('cpu_s')} s over {r.get('duration_s')} s, "
          f"{r.get('cpu_plateau_pct')} % of a core with everything up ({r.get('cpu_threads_pct')}); "
          f"SIPp CPU {r.get('sipp_cpu_s')} s")
    print(f"  UDP datagrams dropped on full receive buffers, on the sockets open at the end of the capture: "
          f"wasl's {r.get('udp_drops_wasl')}, SIPp's {r.get('udp_drops_others')}")
    print(f"  RTP rx/tx {r.get('rtp_rx')}/{r.get('rtp_tx')}; result: {r.get('result')}")


if __name__ == "__main__":
    sys.exit(main())
