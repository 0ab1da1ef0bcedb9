#!/usr/bin/env python3
"""The cluster test: three wasl nodes on one PostgreSQL behind two Kamailio
instances (deploy/kamailio/wasl.cfg) and their floating address moved by
keepalived (deploy/keepalived/), each in its own network namespace
(netlab.py), callers and phones through the floating address. TAP output;
bounded (every wait has a deadline); the namespaces, the bridge and every
process are removed at the end, failed or not.

Checks: SIPp calls through Kamailio are answered (by the lease holder only,
once the program has the cluster module; spread over the nodes before);
the in-dialog BYE reaches the node that answered; a flood from one address is
banned while the carrier's calls go on; kill -9 of the active Kamailio
under load: N_kam, the seconds until new calls through the floating address
are answered again, printed and held to a bound, then a call set up before
hangs up and a phone registered before is rung, both through the other
instance, and the killed instance comes back as the standby; kill -9 of the
lease holder under load: N, the seconds until new calls are answered again,
is printed and held to a bound; the killed node rejoins; kill -9 of a standby changes nothing. A
caller waiting in a queue when the lease holder dies is a callback on the new
leader. Then PostgreSQL's primary (a synchronous replica beside it, each in a
namespace, the nodes' URL naming both) is killed -9 under load and the
replica promoted at once: N_pg, the seconds until new calls are answered and
a case accepted again, is printed and held to a bound, and what the lease did
meanwhile is reported; the old primary rejoins as a synchronous standby
(pg_rewind), and a second fail-over promotes only once the lease holder has
stepped down (exit 75, a store away past 60 % of the lease): the lab starts
it again as systemd would, and it stands by. Throughout, citizens file cases on the portal of the live
nodes: every case acknowledged 201 is in the store, and its mail was sent
exactly once (an SMTP sink on the bridge); the day's figures from the event
log are the same on two nodes and add up.

    python3 tests/cluster/run.py [--binary build/wasl] [--bound 15] [--pg-bound 20] [--kam-bound 5]
"""
import calendar
import argparse
import collections
import email
import email.header
import os
import re
import socket
import subprocess
import sys
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import netlab  # noqa: E402
from netlab import wait_until  # noqa: E402
from probe import Prober  # noqa: E402
from siptest import TAP, Failure  # noqa: E402
from smtp_server import SmtpServer  # noqa: E402

DID = "+33800100200"  # a French number of data/tel/numbers.csv
PHONE_PW = "agent-phone-2026"  # the demo agent's SIP password (wasl init --demo)
SCENARIO = os.path.join(HERE, "uac_rr.xml")
# The nodes' timeline (clock.start) with ha: a Tuesday at 10:00 UTC, the
# center open, so that a caller reaches a queue whatever day the test runs.
DAY = "2026-12-01"
VIRTUAL_START = calendar.timegm((2026, 12, 1, 10, 0, 0))
WAITING_CALLER = "+33612345699"


LAB = {}  # the running Cluster, for the failure digest


def lab_digest():
    """One line on the lab at a failure: each node's state and its last
    warnings, and Kamailio's last one (CI shows a failure's first lines)."""
    c = LAB.get("c")
    if not c:
        return None
    parts = []
    for n in c.nodes:
        try:
            warns = [ln.split(" ", 1)[-1][:140] for ln in n.log().splitlines() if " WARN " in ln or " ERROR " in ln]
            parts.append(f"{n.name} {'up' if n.alive() else 'down'}: " + (" | ".join(warns[-2:]) or "no warnings"))
        except Exception as e:  # noqa: BLE001 - a digest, never a second failure
            parts.append(f"{n.name}: {e}")
    kam = [ln.strip()[:140] for ln in c.kam.log().splitlines() if "WARNING" in ln or "ERROR" in ln]
    parts.append("kamailio: " + (kam[-1] if kam else "no warnings"))
    return "lab: " + "; ".join(parts)


def run_test(name, fn):
    """Runs fn(notes): one TAP line (siptest's), with the notes and any
    failure (first, with the lab's digest, so that CI's excerpt has them).
    True when it passed."""
    notes = []
    t0 = time.time()
    failure = None
    try:
        fn(notes)
    except Failure as e:
        failure = "FAILED: " + str(e)
    except Exception:  # noqa: BLE001 - reported, and the next test runs
        failure = "FAILED: " + traceback.format_exc().rstrip()
    if failure:
        notes[:0] = [failure] + [d for d in (lab_digest(),) if d]
    TAP.emit(failure is None, name, notes, time.time() - t0)
    return failure is None


def check(cond, what):
    if not cond:
        raise Failure(what)


class Cluster:
    """The lab with its members, as the test and bench/cluster use it."""

    def __init__(self, binary, nodes=3, kam_defines=(), direct_calls=False, kam_shm_mb=64, ha=False, kam_pair=False):
        """direct_calls: the nodes also take calls straight from the callers'
        namespace (bench/cluster compares with and without the proxy).
        kam_pair: two Kamailio instances and their floating address moved by
        keepalived (netlab.KamailioPair) instead of one; self.kam.ip is then
        the floating address.
        ha: PostgreSQL as a primary and a synchronous replica (the nodes'
        URL names both), the nodes on one virtual timeline (VIRTUAL_START),
        sending their mail every second to an SMTP sink on the bridge."""
        self.lab = netlab.Lab()
        self.smtp = None
        self.kills = []  # (what, when) of every kill_under_load
        try:
            self._start(binary, nodes, kam_defines, direct_calls, kam_shm_mb, ha, kam_pair)
        except BaseException:
            self.close()
            raise

    def _start(self, binary, nodes, kam_defines, direct_calls, kam_shm_mb, ha, kam_pair):
        lab = self.lab
        extra = {}
        self.pg = lab.postgresql(synchronous=ha)
        self.pg2 = lab.pg_replica() if ha else None
        self.db = self.pg.url("wasl_cluster")  # created on the primary, streamed to the replica
        self.primary = self.pg
        if ha:
            lab.set_clock(VIRTUAL_START)
            # wasl's default target_session_attrs=read-write: whichever host takes writes
            self.db = (f"postgresql://postgres@{self.pg.host}:{self.pg.port},{self.pg2.host}:{self.pg2.port}"
                       "/wasl_cluster")
            self.smtp = SmtpServer(host=lab.host_ip)
            extra = {"smtp.enabled": "true", "smtp.url": f"smtp://{lab.host_ip}:{self.smtp.port}",
                     "smtp.from": "centre@consulat.example", "cases.tick_seconds": "1",
                     "cases.portal_per_hour": "10000"}
            if netlab.has_setting(binary, "sip", "overload_delay_ms"):
                # Three nodes share two cores with two PostgreSQL servers,
                # Kamailio, SIPp and the filers: on a loaded machine the
                # leader's loop runs 20 ms late (the default threshold) for
                # a moment, sheds a few calls, and a check here that wants
                # every call answered fails on what is overload control
                # doing its job. Overload control has its own tests (the
                # SIP suite's overload group, bench/sip); here it still
                # guards, at a threshold this lab does not reach by itself.
                extra["sip.overload_delay_ms"] = "250"
        self.callers_ns, self.callers_ip = lab.namespace("call", 5)
        keys = os.path.join(lab.work, "keys")
        os.makedirs(keys)
        kam_ip = proxies = f"{lab.net}.{netlab.KAM_HOST}"
        if kam_pair:
            # Everything the pair relays (calls, REGISTERs with their Path)
            # leaves from the floating address; the dispatcher's OPTIONS
            # probes from each instance's own address, which a node must
            # answer too (it answers only trunks and phones).
            kam_ip = f"{lab.net}.{netlab.KAM_VIP_HOST}"
            proxies = f"{kam_ip},{lab.net}.{netlab.KAM_HOST},{lab.net}.{netlab.KAM_B_HOST}"
        trunks = f"{proxies},{self.callers_ip}" if direct_calls else proxies
        self.nodes = [netlab.Node(lab, i, binary, self.db, os.path.join(keys, "wasl.key"), trunks, kam_ip, extra)
                      for i in range(nodes)]
        self.nodes[0].init_store()
        self.kam = (lab.kamailio_pair if kam_pair else lab.kamailio)(
            self.nodes, f"{lab.host_ip}/32,{self.callers_ip}/32", lab.cidr, kam_defines, kam_shm_mb)
        self.pair = kam_pair
        r = self.kam.check()
        if r.returncode:
            raise RuntimeError("kamailio -c refuses deploy/kamailio/wasl.cfg: " + (r.stdout + r.stderr)[-2000:])
        for n in self.nodes:
            n.start()
        self.kam.start()
        self.clustered = netlab.cluster_settings(binary)

    def close(self):
        if self.smtp:
            self.smtp.shutdown()
            self.smtp.server_close()
            self.smtp = None
        self.lab.close()

    def alive(self):
        return [n for n in self.nodes if n.alive()]

    def by_ip(self, ip):
        return next((n for n in self.nodes if n.ip == ip), None)

    def leader(self):
        """The node that says it holds the lease (None: no cluster module,
        or no leader at this moment)."""
        for n in self.alive():
            c = n.cluster()
            if c and c.get("role") == "leader":
                return n
        return None

    def active(self):
        """Nodes the dispatcher takes as active ("A" in its flags)."""
        st = self.kam.states()
        return [n for n in self.nodes if "A" in st.get(f"{n.ip}:{n.sip_port}", "")]

    def serving(self, timeout=30):
        """Waits until the dispatcher's view settles: with the cluster module
        the leader alone active, else every live node active. Returns the
        active nodes."""
        def settled():
            act = self.active()
            if self.clustered:
                ld = self.leader()
                return act if ld and act == [ld] else None
            return act if act and set(act) == set(self.alive()) else None
        return wait_until(settled, timeout, 0.2)

    def probe(self, **kw):
        return Prober(self.lab.host_ip, (self.kam.ip, self.kam.port), DID, **kw)

    def sipp(self, name, calls, rate, hold_ms, limit=None, timeout=60):
        """SIPp in the callers' namespace, through Kamailio (uac_rr.xml)."""
        d = os.path.join(self.lab.work, "sipp-" + name)
        os.makedirs(d, exist_ok=True)
        cmd = ["sipp", f"{self.kam.ip}:{self.kam.port}", "-sf", SCENARIO, "-s", DID, "-i", self.callers_ip, "-p", "5070",
               "-mi", self.callers_ip, "-mp", "16000", "-m", str(calls), "-r", str(rate), "-l", str(limit or calls),
               "-d", str(hold_ms), "-nostdin", "-timeout", f"{timeout}s", "-timeout_error", "-trace_stat", "-stf",
               "stat.csv", "-fd", "1", "-trace_err", "-error_file", "err.log", "-trace_logs", "-log_file", "log.log",
               "-max_socket", "1024"]
        out = open(os.path.join(d, "stdout.log"), "w")  # noqa: SIM115 - closed in Sipp.wait
        p = self.lab.spawn(self.callers_ns, cmd, cwd=d, stdout=out, stderr=subprocess.STDOUT)
        return Sipp(p, d, out, timeout)


class Sipp:
    def __init__(self, proc, d, out, timeout):
        self.proc, self.dir, self.out, self.timeout = proc, d, out, timeout

    def wait(self):
        try:
            rc = self.proc.wait(self.timeout + 20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = "killed"
        self.out.close()
        res = {"rc": rc, "ok": None, "failed": None}
        try:
            with open(os.path.join(self.dir, "stat.csv")) as f:
                lines = [l.rstrip("\n") for l in f if l.strip()]
            head = lines[0].rstrip(";").split(";")
            last = dict(zip(head, lines[-1].split(";")))
            res["ok"] = int(last["SuccessfulCall(C)"])
            res["failed"] = int(last["FailedCall(C)"])
        except (OSError, IndexError, KeyError, ValueError):
            pass
        res["answered_by"] = {}
        try:
            with open(os.path.join(self.dir, "log.log"), errors="replace") as f:
                for l in f:
                    if " answered by " in l:
                        ip = l.rsplit(" ", 1)[1].strip()
                        res["answered_by"][ip] = res["answered_by"].get(ip, 0) + 1
        except OSError:
            pass
        res["errors"] = []
        try:
            with open(os.path.join(self.dir, "err.log"), errors="replace") as f:
                res["errors"] = [l.rstrip() for l in f if l.strip()][-5:]
        except OSError:
            pass
        return res


def calls_total(c):
    return {n.name: n.metrics().get("wasl_sip_calls_total", 0) for n in c.alive()}


def t_start(c, notes):
    act = c.serving(40)
    kam = (f"Kamailio {c.kam.a.ip} and {c.kam.b.ip} (floating address {c.kam.ip} on {c.kam.holder().name})"
           if c.pair else f"Kamailio {c.kam.ip}")
    notes.append(f"subnet {c.lab.cidr}: PostgreSQL {c.pg.host}, {kam}, callers {c.callers_ip}, "
                 f"nodes " + ", ".join(f"{n.name} {n.ip}" for n in c.nodes))
    notes.append(f"dispatcher: {c.kam.states()}")
    if c.clustered:
        ld = c.leader()
        notes.append(f"lease holder: {ld.name if ld else None}")
        check(act, "the dispatcher did not settle on the leader alone within 40 s")
    else:
        notes.append("this wasl has no cluster module: every node answers OPTIONS 200 and takes calls")
        check(act, f"the dispatcher did not see every node active within 40 s: {c.kam.states()}")


def t_sipp_calls(c, notes):
    before = calls_total(c)
    s = c.sipp("answered", calls=30, rate=10, hold_ms=1000, timeout=40)
    res = s.wait()
    after = calls_total(c)
    took = {k: int(after[k] - before.get(k, 0)) for k in after}
    notes.append(f"sipp rc={res['rc']} ok={res['ok']} failed={res['failed']}; answered by {res['answered_by']}; "
                 f"wasl_sip_calls_total deltas {took}")
    for e in res["errors"]:
        notes.append("sipp: " + e)
    check(res["rc"] == 0 and res["ok"] == 30 and res["failed"] == 0, "30 calls through Kamailio, all answered")
    check(sum(took.values()) == 30, f"the nodes counted {sum(took.values())} calls, not 30")
    if c.clustered:
        ld = c.leader()
        check(ld and took[ld.name] == 30, f"only the lease holder takes calls: {took}")
    else:
        check(all(v > 0 for v in took.values()), f"round robin: every node takes calls: {took}")


def t_in_dialog(c, notes):
    p = c.probe(hold=1.5)
    try:
        rows = []
        for _ in range(len(c.alive())):
            cid = p.call()
            wait_until(lambda: p.calls[cid]["code"] is not None, 5)
            r = p.calls[cid]
            check(r["code"] == 200, f"call {cid}: {r['code']}")
            node = c.by_ip(r["node"])
            check(node is not None, f"the 200's Contact {r['node']} is not a node's")
            # while the call lasts, the node that answered has it, and no other node
            def active():
                return {n.name: n.metrics().get("wasl_sip_calls_active", 0) for n in c.alive()}
            wait_until(lambda: active()[node.name] == 1, 1.2, 0.05)  # the figures are published every 100 ms
            act = active()
            check(r["bye"] is None, "the call ended before the check (hold too short for this machine)")
            check(act[node.name] == 1 and sum(act.values()) == 1, f"calls active per node: {act}")
            wait_until(lambda: r["bye"] is not None, 5)
            check(r["bye"] == 200, f"the BYE (via Kamailio's Record-Route) got {r['bye']} (481: another node)")
            check(wait_until(lambda: node.metrics().get("wasl_sip_calls_active", 0) == 0, 5),
                  f"{node.name} still has the call after the BYE")
            rows.append(node.name)
        notes.append(f"{len(rows)} calls answered by {rows}; each BYE got 200 from the node that answered")
    finally:
        p.close()


def t_flood(c, notes):
    """An address over pike's density is banned (no answer at all), and the
    carrier's calls go on."""
    ip = f"{c.lab.net}.200"
    netlab.sh("ip", "addr", "add", f"{ip}/24", "dev", c.lab.bridge)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind((ip, 0))
        s.settimeout(0.3)
        port = s.getsockname()[1]

        def options(i):
            s.sendto((f"OPTIONS sip:{c.kam.ip}:{c.kam.port} SIP/2.0\r\nVia: SIP/2.0/UDP {ip}:{port};branch=z9hG4bKf{i}\r\n"
                      f"Max-Forwards: 70\r\nFrom: <sip:x@{ip}>;tag=f{i}\r\nTo: <sip:{c.kam.ip}>\r\nCall-ID: flood{i}@{ip}\r\n"
                      f"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode(), (c.kam.ip, c.kam.port))

        def answered():
            n = 0
            try:
                while True:
                    s.recv(4096)
                    n += 1
            except socket.timeout:
                return n
        options(0)
        check(answered() == 1, "an OPTIONS to the proxy is answered before the flood")
        for i in range(1, 201):
            options(i)
        got = answered()
        options(999)
        after = answered()
        notes.append(f"200 OPTIONS at once: {got} answered; then 1 more: {after} answered")
        check(got < 200 and after == 0, "the flooding address is banned")
        p = c.probe()
        try:
            cid = p.call()
            wait_until(lambda: p.calls[cid]["code"] is not None, 5)
            check(p.calls[cid]["code"] == 200, f"a carrier's call during the ban: {p.calls[cid]['code']}")
        finally:
            p.close()
    finally:
        s.close()
        netlab.sh("ip", "addr", "del", f"{ip}/24", "dev", c.lab.bridge, check=False)


TRUNK_CPS = 40  # the carrier's limit the test gives Kamailio (-A TRUNK_CPS=40)


def t_trunk_rate(c, notes):
    """A carrier over TRUNK_CPS new calls a second gets 503 for the excess
    (Retry-After), and is not banned: its next calls are answered."""
    p = c.probe(hold=0.3)
    try:
        burst = 3 * TRUNK_CPS
        for _ in range(burst):
            p.call()
        wait_until(lambda: all(r["code"] is not None for r in p.rows()), 10)
        codes = {}
        for r in p.rows():
            codes[r["code"]] = codes.get(r["code"], 0) + 1
        notes.append(f"{burst} INVITEs at once from one carrier: {codes}")
        # the burst may straddle two seconds: at most 2 x TRUNK_CPS pass
        # the burst may straddle two seconds (at most 2 x TRUNK_CPS pass), and
        # share its first second with the calls of the test before
        check(codes.get(503, 0) >= burst - 2 * TRUNK_CPS and codes.get(200, 0) >= TRUNK_CPS // 2
              and set(codes) <= {200, 503}, f"the excess over {TRUNK_CPS}/s refused with 503, the rest answered")
        time.sleep(1.1)  # the next second
        cid = p.call()
        wait_until(lambda: p.calls[cid]["code"] is not None, 5)
        check(p.calls[cid]["code"] == 200, f"the carrier's next call: {p.calls[cid]['code']}")
        p.join()
    finally:
        p.close()


def t_register(c, notes, shared):
    """An agent's phone registers through Kamailio (the digest's two
    REGISTERs meet the same node); a guesser's wrong passwords get its own
    address banned at the proxy after AUTH_FAILURES, and the phone still
    registers (wasl must count the failures against the phone's address,
    not the proxy's: sip.path_from)."""
    sys.path.insert(0, os.path.join(TOP, "tests", "sip"))
    from sipua import UA
    leader = c.leader() or c.nodes[0]
    before = leader.metrics().get("wasl_sip_registrations_total", 0)
    phone = shared["phone"] = UA(c.lab.host_ip, (c.kam.ip, c.kam.port), user="agent", password=PHONE_PW,
                                 name="agent-phone")
    codes = phone.register(expires=120)
    notes.append(f"the agent's phone at {c.lab.host_ip}: REGISTER {codes}")
    check(codes == [401, 200], f"REGISTER through Kamailio: {codes}")
    check(wait_until(lambda: leader.metrics().get("wasl_sip_registrations_total", 0) > before, 3),
          f"{leader.name} counted no registration")
    ip = f"{c.lab.net}.201"
    netlab.sh("ip", "addr", "add", f"{ip}/24", "dev", c.lab.bridge)
    guesser = UA(ip, (c.kam.ip, c.kam.port), user="agent", password="wrong", name="guesser")
    try:
        tries = [guesser.register(expires=120, timeout=2) for _ in range(6)]
    finally:
        guesser.close()
        netlab.sh("ip", "addr", "del", f"{ip}/24", "dev", c.lab.bridge, check=False)
    notes.append(f"a guesser at {ip}: {tries}")
    check(tries[:5] == [[401, 403]] * 5 and tries[5] == [None], "the guesser is banned after 5 wrong passwords")
    codes = phone.register(expires=120)
    notes.append(f"the agent's phone again: REGISTER {codes}")
    if netlab.has_setting(c.nodes[0].binary, "sip", "path_from"):
        check(codes == [401, 200], "the phone still registers: the guesser locked out itself only")
    else:
        notes.append("(this wasl has no sip.path_from: it counts the failures against Kamailio's address, "
                     "and so locks every phone behind the proxy out; not checked here)")


def t_ring_phone(c, notes, shared, keep=False):
    """The leader calls the agent's phone (a practice call) through the
    Path of its registration: the INVITE reaches the phone from Kamailio,
    record-routed, the ACK follows, and the phone's BYE along that route
    set ends the call on the leader. keep: the phone stays registered and
    open (shared["phone"]) for a later test."""
    ph = shared["phone"] if keep else shared.pop("phone")
    try:
        with ph.cv:
            ph.events.clear()  # this call's INVITE and ACK, not an earlier call's
        leader = c.leader() or c.nodes[0]
        leader.login("agent")
        st, js, text = leader.request("POST", "/api/v1/practice/sessions", {"script": "fr-passeport-perdu-milan"})
        check(st == 201, f"a practice call: {st} {text[:200]}")
        check(ph.wait_event("INVITE", 10), "the leader's INVITE reached the phone")
        d = ph.dialog
        rr = d["invite"].getall("record-route")
        via = f" (the floating address, on {c.kam.holder().name})" if c.pair else ""
        notes.append(f"the INVITE came from {d['addr'][0]}:{d['addr'][1]}{via}, Record-Route {rr}")
        check(d["addr"][0] == c.kam.ip and rr, "it came through Kamailio, record-routed")
        check(ph.wait_event("ACK", 10), "the ACK reached the phone")
        before = leader.metrics().get("wasl_sip_calls_active", 0)
        req, _, _ = ph._in_dialog("BYE", extra=[("Route", r) for r in rr])
        ph.send(req, (c.kam.ip, c.kam.port))
        r = ph._wait_final(d["callid"], ph.cseq, 5)
        notes.append(f"the phone's BYE through Kamailio: {r.code if r else None}")
        check(r is not None and r.code == 200, "the leader answered the phone's BYE")
        d["ended"], d["state"] = True, "ended"  # the phone takes the next call (not "busy")
        sid = js["id"]

        def session():
            return leader.request("GET", f"/api/v1/practice/sessions/{sid}")[1] or {}
        got = wait_until(lambda: session().get("state") == "ended" and session(), 5) or session()
        notes.append(f"practice session: {got.get('state')} {got.get('outcome')} (calls active before the BYE: {before})")
        check(got.get("outcome") == "trainee_hangup", "the practice call ended by the phone's hang-up")
    finally:
        if not keep:
            ph.close()


def t_kam_failover(c, bound, notes, kf):
    """kill -9 of the Kamailio instance that holds the floating address
    (every process of it, as a crash) under a light load of probe calls (4
    a second): keepalived on the other instance takes the address (its
    health check, an OPTIONS every second, fails on the dead one, which
    drops out with a priority-0 advertisement), and N_kam, the seconds from
    the kill until every new call through the floating address is answered
    within 1 s again, is printed and held to `bound`. Before the kill: a call
    is set up and left up (its BYE comes after the fail-over), and the
    standby instance's dispatcher, probing on its own, already sees the
    leader active."""
    pair = c.kam
    old = pair.holder()
    check(old is pair.a, f"instance a holds the floating address before the kill: {old and old.name}")
    new = pair.b
    ld = c.leader()
    key = f"{ld.ip}:{ld.sip_port}"
    st = wait_until(lambda: "A" in new.states().get(key, "") and new.states(), 5, 0.2) or new.states()
    notes.append(f"the standby instance's dispatcher before the kill (its own probes): {st}")
    check("A" in st.get(key, ""), f"the standby instance sees the leader {ld.name} active before the kill")
    longp = kf["longp"] = c.probe(hold=None)
    cid = kf["cid"] = longp.call()
    wait_until(lambda: longp.calls[cid]["code"] is not None, 5)
    row = longp.calls[cid]
    check(row["code"] == 200, f"the call left up across the fail-over: {row['code']}")
    notes.append(f"a call left up on {row['node']}, its route set {row['route']}")
    kf["node"] = c.by_ip(row["node"])
    p = c.probe(hold=0.3, good_within=1.0, call_timeout=4)
    p.run(7, 0.25)
    check(wait_until(lambda: sum(1 for r in p.rows() if r["code"] is not None and p.good(r)) >= 6, 6, 0.05),
          "the probe calls are answered through the floating address before the kill")
    t_kill = time.time()
    c.kills.append(("kamailio-a", t_kill))
    old.kill9(wait=False)
    moved = kf["moved"] = wait_until(lambda: pair.holder() is new, 10, 0.02)
    t_moved = time.time()
    old.wait_gone()
    t_gone = time.time()
    p.join()
    p.close()
    n = p.recovery(t_kill)
    kf["N"] = n
    ka = pair.keepalived
    notes.append((f"the floating address on b {t_moved - t_kill:.2f} s after the kill" if moved
                  else "the floating address never reached b") + f"; a's processes gone {t_gone - t_kill:.2f} s after it")
    notes.append(summary(p, t_kill))
    notes.extend(f"keepalived {k.name}: " + " | ".join(ln.split(": ", 1)[-1] for ln in ka[k].log().splitlines()
                                                         if "wasl_sip" in ln and ("Entering" in ln or "priority" in ln))[-300:]
                 for k in pair.instances)
    print(f"# N_kam = {n if n is None else round(n, 1)} s: from kill -9 of the active Kamailio to new calls answered "
          "within 1 s again through the floating address", flush=True)
    check(moved, "instance b took the floating address within 10 s")
    check(n is not None, "new calls were never answered again through the floating address")
    check(n <= bound, f"N_kam = {n:.1f} s is over the bound of {bound} s")


def t_kam_bye(c, notes, kf):
    """The call set up through instance a is hung up after a's death: its
    BYE, along the route set (the floating address), passes instance b and
    reaches the node that answered, which ends the call."""
    p, cid, node = kf["longp"], kf["cid"], kf["node"]
    try:
        route = p.calls[cid]["route"]
        notes.append(f"its route set: {route}")
        p.bye(cid)
        got = wait_until(lambda: p.calls[cid]["bye"], 5, 0.05)
        notes.append(f"the BYE through {c.kam.holder().name}: {got} (the call was {node.name}'s)")
        check(got == 200, f"the BYE after the fail-over got {got} (None: lost; 481: a node without the call)")
        ip = c.kam.ip
        check(route and all(re.search(r"sip:" + re.escape(ip) + r"[;:>]", r) for r in route),
              f"the Record-Route names the floating address {ip} alone, not an instance: {route}")
    finally:
        p.close()


def t_kam_restart(c, notes):
    """The killed instance starts again (as systemd would): its keepalived
    leaves FAULT for BACKUP and does not take the floating address back
    (nopreempt: the calls' transactions are not cut a second time); its
    dispatcher, probing on its own, sees the leader active."""
    pair = c.kam
    pair.a.start()
    ka = pair.keepalived[pair.a]
    check(wait_until(lambda: ka.state() == "BACKUP", 10, 0.1), f"keepalived on a is {ka.state()} 10 s after the restart")
    ld = c.leader()
    key = f"{ld.ip}:{ld.sip_port}"
    st = wait_until(lambda: "A" in pair.a.states().get(key, "") and pair.a.states(), 5, 0.2) or pair.a.states()
    notes.append(f"a restarted: keepalived {ka.state()}, the floating address on {pair.holder() and pair.holder().name}; "
                 f"a's dispatcher {st}")
    check(pair.holder() is pair.b, "b keeps the floating address (nopreempt)")
    check("A" in st.get(key, ""), f"a's dispatcher sees the leader {ld.name} active by its own probes")


def t_kam_machine_lost(c, bound, notes):
    """The machine holding the floating address is lost whole (its Kamailio
    and its keepalived killed -9, its link down): nothing tells the other
    instance, which takes the address after three missed advertisements
    (VRRPv3 every 0.5 s); the seconds until then are printed and held to
    `bound`, and a call through the address is answered. The lost machine
    comes back as the standby."""
    pair = c.kam
    old = pair.holder()
    check(old is not None, "one instance holds the floating address")
    new = pair.a if old is pair.b else pair.b
    check(pair.keepalived[new].state() == "BACKUP", f"the other instance stands by: {pair.keepalived[new].state()}")
    t0 = time.time()
    c.kills.append((f"machine-{old.name}", t0))
    pair.lose_machine(old)
    moved = wait_until(lambda: pair.holder() is new, 10, 0.02)
    took = time.time() - t0
    p = c.probe(hold=0.3)
    try:
        cid = p.call()
        wait_until(lambda: p.calls[cid]["code"] is not None, 5)
        code = p.calls[cid]["code"]
    finally:
        p.close()
    print(f"# N_kam_machine = {took:.1f} s: from the loss of the machine holding the floating address to the "
          "other instance holding it", flush=True)
    notes.append(f"{old.name} lost: the floating address on {new.name} after {took:.2f} s; a call then: {code}")
    check(moved, f"{new.name} took the floating address within 10 s")
    check(took <= bound, f"{took:.1f} s is over the bound of {bound} s")
    check(code == 200, f"a call through the floating address after the loss: {code}")
    pair.bring_back(old)
    notes.append(f"{old.name} back: keepalived {pair.keepalived[old].state()}, the address on "
                 f"{pair.holder() and pair.holder().name}")
    check(pair.holder() is new, "the machine back stands by (nopreempt)")


def kill_under_load(c, victim, seconds=14, before=3, name=None):
    """Probe calls (4 a second) and SIPp load (5 calls a second, 2 s each)
    through Kamailio; victim (a node, or a function that kills something) is
    killed -9 `before` seconds in. Returns (prober, t_kill, sipp result)."""
    name = name or f"{victim.name}-{victim.starts}"
    load = c.sipp(f"load-{name}", calls=5 * (seconds + 2), rate=5, hold_ms=2000,
                  limit=40, timeout=seconds + 30)
    p = c.probe(hold=0.3, good_within=1.0)
    p.run(seconds, 0.25)
    time.sleep(before)
    t_kill = time.time()
    c.kills.append((name, t_kill))
    victim() if callable(victim) else victim.kill9()
    p.join()
    res = load.wait()
    p.close()
    return p, t_kill, res


def summary(p, t_kill):
    rows = p.rows()
    after = [r for r in rows if r["t_sent"] >= t_kill]
    bad = [r for r in after if not p.good(r)]
    codes = {}
    for r in bad:
        codes[r["code"]] = codes.get(r["code"], 0) + 1
    slow = [round(r["t_final"] - r["t_sent"], 2) for r in bad if r["code"] == 200]
    return (f"{len(rows)} probe calls, {len(after)} after the kill, {len(bad)} not answered within 1 s "
            f"(final codes {codes}; answered late after {slow} s)")


def long_calls(c, p, n):
    """n calls through Kamailio that stay up (the prober never hangs up);
    returns {Call-ID: address of the node that answered}."""
    out = {}
    for _ in range(n):
        cid = p.call()
        wait_until(lambda: p.calls[cid]["code"] is not None, 5)
        check(p.calls[cid]["code"] == 200, f"a call that stays up: {p.calls[cid]['code']}")
        out[cid] = p.calls[cid]["node"]
    return out


def supervisor(node):
    """node, logged in as the supervisor (again, if it was restarted)."""
    if not node.cookie or getattr(node, "who", None) != "supervisor":
        node.login()
    return node


def api_get(node, path):
    """The JSON of GET path on node as the supervisor (None unless 200)."""
    st, js, _ = supervisor(node).request("GET", path)
    if st == 401:
        node.cookie = None
        st, js, _ = supervisor(node).request("GET", path)
    return js if st == 200 else None


def waiting_caller(c, leader, notes):
    """A caller through Kamailio into the French queue (the IVR's 1 for
    French, then 1 in the main menu), where the one agent logged in is
    paused: it waits (with nobody logged in, the IVR would offer a callback
    at once). Returns {prober, cid, id, joined (on the nodes' timeline),
    callbacks (the leader's list before)} once the store has its
    queue.joined (the event log writer's heartbeat past it)."""
    w = {"prober": c.probe(hold=None)}
    leader.login("agent")
    st, _, text = leader.request("PUT", "/api/v1/me/state", {"state": "paused", "reason": "meeting"})
    check(st in (200, 202), f"the agent pauses: {st} {text[:200]}")
    check(wait_until(lambda: [a for a in (api_get(leader, "/api/v1/tel/status") or {}).get("agents", [])
                              if a.get("state") == "paused"], 5), "the agent is paused")
    status = api_get(leader, "/api/v1/tel/status") or {}
    known = {x["id"] for x in status.get("calls", [])}
    w["callbacks"] = (api_get(leader, "/api/v1/tel/callbacks") or {}).get("items", [])
    avail = [a.get("state") for a in status.get("agents", [])]
    p = w["prober"]
    cid = w["cid"] = p.call(caller=WAITING_CALLER)
    wait_until(lambda: p.calls[cid]["code"] is not None, 5)
    check(p.calls[cid]["code"] == 200 and p.calls[cid]["media"], f"the waiting caller's call: {p.calls[cid]['code']}")

    def at(node):
        for x in (api_get(leader, "/api/v1/tel/status") or {}).get("calls", []):
            if x["id"] not in known and x["node"] == node:
                return x
        return None
    for node in ("language", "main_menu"):
        check(wait_until(lambda: at(node), 20, 0.05), f"the waiting caller did not reach the IVR's {node} in 20 s")
        p.dtmf(cid, "1")
    call = wait_until(lambda: at("agent"), 20, 0.1)
    check(call, "the waiting caller did not reach the queue in 20 s")
    w["id"] = call["id"]
    w["joined"] = c.lab.virtual_now()
    queues = (api_get(leader, "/api/v1/tel/status") or {}).get("queues", {})
    notes.append(f"call {call['id']} waits in the queue ({call.get('state')}); the French queue: {queues.get('fr')}; "
                 f"agents' states {avail}")
    check(queues.get("fr", {}).get("waiting", 0) >= 1, "a caller waits in the French queue")
    check(wait_until(lambda: leader.metrics().get("wasl_events_heartbeat_timestamp_seconds", 0) > w["joined"] + 0.5, 10),
          "the event log writer's heartbeat passed the caller's queue.joined")
    return w


def t_callback(c, result, notes):
    """The caller who waited in the queue of the killed lease holder is a
    callback on the new leader (no callback request lost) and got a BYE."""
    w, new = result["waiter"], result["new"]
    p, cid = w["prober"], w["cid"]
    try:
        before = {x["id"] for x in w["callbacks"]}
        got = wait_until(lambda: [x for x in (api_get(new, "/api/v1/tel/callbacks") or {}).get("items", [])
                                  if x["id"] not in before], 10) or []
        bye = wait_until(lambda: [r for r in p.requests if r[1] == "BYE" and r[2] == cid], 10)
        notes.append(f"new callbacks on {new.name}: {got}; the caller's BYE: {bye and bye[0][3]}")
        check(len(got) == 1 and got[0]["language"] == "fr", "the waiting caller is to be called back, once")
        check(bye, "the waiting caller got a BYE from the new leader")
    finally:
        p.close()


def t_kill_leader(c, bound, notes, result):
    victim = c.leader() if c.clustered else c.nodes[0]
    check(victim is not None, "no lease holder to kill")
    # calls up on the victim when it dies: its restart must hang them up (t_rejoin)
    longp = result["longp"] = c.probe(hold=None)
    result["up"] = long_calls(c, longp, 3)
    if c.clustered and c.lab.clock_offset is not None:
        result["waiter"] = waiting_caller(c, victim, notes)
    p, t_kill, res = kill_under_load(c, victim)
    n = p.recovery(t_kill)
    result["N"] = n
    result["victim"] = victim
    notes.append(f"killed -9 {victim.name} ({'the lease holder' if c.clustered else 'no lease: a node'}) under load")
    notes.append(summary(p, t_kill))
    notes.append(f"SIPp load meanwhile: ok={res['ok']} failed={res['failed']} (calls on the killed node die with it)")
    new = result["new"] = c.leader() if c.clustered else None
    if c.clustered:
        notes.append(f"new lease holder: {new.name if new else None}")
    print(f"# N = {n if n is None else round(n, 1)} s: from kill -9 to new calls answered again", flush=True)
    check(n is not None, "new calls were never answered again")
    check(n <= bound, f"N = {n:.1f} s is over the bound of {bound} s")
    if c.clustered:
        check(new is not None and new is not victim, "another node took the lease")


def t_rejoin(c, result, notes):
    """The killed node restarts and rejoins (as a standby, with the cluster
    module). The BYEs sent for the calls it had when it died (by the new
    leader as it takes over; without the cluster module, by the node itself
    as it restarts) pass Kamailio, whose parser refuses a request with two
    Max-Forwards."""
    victim, p = result["victim"], result["longp"]
    result["others"] = long_calls(c, p, 2)  # up on the nodes that live on
    victim.start()
    act = c.serving(30)
    notes.append(f"{victim.name} restarted; dispatcher: {c.kam.states()}")
    check(act, "the dispatcher did not settle after the restart")
    if c.clustered:
        cl = victim.cluster()
        notes.append(f"{victim.name}: role {cl and cl.get('role')}, leader {cl and cl.get('leader')}")
        check(cl and cl.get("role") == "standby", f"the restarted node is a standby: {cl}")

    def sent():
        return re.findall(r"BYE for call \d+ \(\w+\) after the restart: \d+", "".join(n.all_logs() for n in c.nodes))
    wait_until(sent, 10)
    notes.append(f"BYEs for the dead node's calls: {sent()}")
    dup = c.kam.log().count("duplicate Max-Forwards")
    check(dup == 0, f"Kamailio refused {dup} requests from the nodes for a duplicate Max-Forwards")
    check(sent(), "no BYE for the dead node's calls was answered within 10 s")


def t_own_calls(c, result, notes):
    """The callers of the calls the killed node had get a BYE (Reason "wasl
    restarted"), through Kamailio, and the calls up on the other nodes are
    left alone by the restart."""
    victim, p = result["victim"], result["longp"]
    dead = [cid for cid, ip in result["up"].items() if ip == victim.ip]
    others = result["others"]
    notes.append(f"calls up on {victim.name} when it died: {len(dead)}; up on the others: {len(others)}")

    def byes():
        return {r[2]: r[3] for r in p.requests if r[1] == "BYE"}
    wait_until(lambda: set(dead) <= set(byes()), 10)
    got = byes()
    wrong = [cid for cid in others if cid in got]
    for cid in others:
        if cid not in got:
            p.bye(cid)
    wait_until(lambda: all(p.calls[cid]["bye"] is not None for cid in others if cid not in wrong), 5)
    p.close()
    notes.append(f"BYEs from the restarted node: {len(got)} ({sorted(set(got.values()))}); the other nodes' calls "
                 f"hung up by it: {len(wrong)}; by their callers: {[p.calls[cid]['bye'] for cid in others if cid not in wrong]}")
    check(set(dead) <= set(got), f"{len(set(dead) - set(got))} of the {len(dead)} calls of the killed node got no BYE")
    check(not wrong, "the restarted node hung up calls that were up on other nodes")


def t_call_log(c, notes):
    """Calls answered by different nodes all reach the shared call log: the
    nodes must not hand out the same call id (the store's key)."""
    p = c.probe(hold=0.3)
    p.run(4, 0.25)
    p.join()
    p.close()
    rows = [r for r in p.rows() if r["code"] == 200]
    by = {}
    for r in rows:
        by[r["node"]] = by.get(r["node"], 0) + 1
    check(len(rows) == len(p.rows()), f"{len(p.rows()) - len(rows)} calls not answered")
    node = c.alive()[0]
    node.login()
    want = {r["cid"] for r in rows}

    def logged():
        st, js, _ = node.request("GET", "/api/v1/tel/calls?limit=1000")
        return {i["call_id"]: i["outcome"] for i in (js or {}).get("items", []) if i["call_id"] in want}
    got = wait_until(lambda: len(logged()) == len(want) and logged(), 8) or logged()
    errors = sum(n.log().count("events not written") for n in c.alive())
    notes.append(f"{len(rows)} calls answered ({by}); in the call log: {len(got)}; outcomes "
                 f"{sorted(set(got.values()))}; 'events not written' lines in the nodes' logs: {errors}")
    check(len(got) == len(want), f"{len(want) - len(got)} answered calls are missing from the call log")


def t_kill_standby(c, notes):
    if c.clustered:
        ld = c.leader()
        victim = next(n for n in c.alive() if n is not ld)
    else:
        ld = None
        victim = c.alive()[-1]
    p, t_kill, res = kill_under_load(c, victim, seconds=8)
    rows = [r for r in p.rows() if r["t_sent"] >= t_kill]
    notes.append(f"killed -9 {victim.name}; " + summary(p, t_kill))
    notes.append(f"SIPp load meanwhile: ok={res['ok']} failed={res['failed']}")
    check(rows and all(r["code"] == 200 for r in rows), "every call after the kill is answered")
    if c.clustered:
        check(all(p.good(r) for r in rows), "no call waits: the standby took none")
        check(c.leader() is ld, "the lease holder stays")
        check(res["failed"] == 0, "the SIPp load loses no call")


class Filers:
    """Citizens filing on the portal (POST /api/v1/portal/cases with an
    e-mail address, so each filing is mailed its reference) to the live
    nodes in turn. A request left without an answer (its node killed) or
    answered 503 is sent again with its Idempotency-Key to the next node,
    until its 201: at the end the cases stored must be at least the ones
    acknowledged, each mailed once."""

    def __init__(self, c, threads=2, pace=0.1):
        self.c = c
        self.pace = pace
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acked = {}     # reference -> (request sent, 201 received)
        self.answers = []   # (sent, answered, status or None) of every attempt
        self.bad = []       # answers that are neither 201 nor a clean 503
        self.seq = 0
        self.k = 0
        self.unresolved = 0
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def start(self):
        self.t0 = time.time()
        for th in self.threads:
            th.start()
        return self

    def _node(self):
        alive = self.c.alive()
        with self.lock:
            self.k += 1
            return alive[self.k % len(alive)] if alive else None

    def _run(self):
        pending, finish_by = None, None
        while True:
            if pending is None:
                if self.stop.is_set():
                    return
                with self.lock:
                    self.seq += 1
                    pending = self.seq
            elif self.stop.is_set():
                finish_by = finish_by or time.time() + 20
                if time.time() > finish_by:
                    with self.lock:
                        self.unresolved += 1
                    return
            node = self._node()
            if node is None:
                time.sleep(0.1)
                continue
            body = {"type": "suggestion", "category": "passport", "language": "fr", "subject": f"Cluster {pending}",
                    "description": "Plus de créneaux le samedi.", "citizen": {"email": f"cluster.{pending}@example.org"}}
            t0 = time.time()
            try:
                st, js, text = node.request("POST", "/api/v1/portal/cases", body, timeout=5, anonymous=True,
                                            headers={"Idempotency-Key": f"cluster-{os.getpid()}-{pending:07d}"})
            except OSError:
                st, js, text = None, None, ""
            with self.lock:
                self.answers.append((t0, time.time(), st))
                if st == 201:
                    self.acked[js["reference"]] = (t0, time.time())
                elif st is not None and not (st == 503 and ((js or {}).get("error") or {}).get("code", "").startswith("store.")):
                    self.bad.append(f"{node.name}: {st} {text[:160]}")
            if st == 201:
                pending = None
                self.stop.wait(self.pace)
            else:
                time.sleep(0.1)

    def join(self):
        self.stop.set()
        for th in self.threads:
            th.join(30)

    def first_201_after(self, t):
        """When the first request sent at or after t was answered 201."""
        with self.lock:
            return min((a for s0, a, st in self.answers if s0 >= t and st == 201), default=None)


class LeaseWatch:
    """Every node's /healthz every 0.2 s in a thread (its cluster object, even
    when it answers 503), and the exit status of any node that stops on its
    own: what the lease did while PostgreSQL changed primaries."""

    def __init__(self, c):
        self.c = c
        self.rows = []  # (time, node, HTTP status, role, leader, epoch)
        self.exits = {}  # node name -> (time, exit status)
        self.running = True
        self.th = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.th.start()
        return self

    def _run(self):
        while self.running:
            for n in self.c.nodes:
                if n.proc is None:
                    continue
                rc = n.proc.poll()
                if rc is not None:
                    self.exits.setdefault(n.name, (time.time(), rc))
                    continue
                try:
                    st, js, _ = n.request("GET", "/healthz", timeout=1, anonymous=True)
                    cl = (js or {}).get("cluster") or {}
                    self.rows.append((time.time(), n.name, st, cl.get("role"), cl.get("leader"), cl.get("epoch")))
                except OSError:
                    self.rows.append((time.time(), n.name, None, None, None, None))
            time.sleep(0.2)

    def stop(self):
        self.running = False
        self.th.join(5)

    def story(self, t0):
        """The lease's changes after t0, as text: who led (per the nodes that
        answered), with the epoch, at seconds from t0; the exits."""
        out, last = [], {}
        for t, name, st, role, leader, epoch in self.rows:
            if t >= t0 and leader is not None and last.get(name) != (leader, epoch):
                out.append((t, f"+{t - t0:.1f} s {name} sees leader {leader} epoch {epoch} (healthz {st})"))
                last[name] = (leader, epoch)
        out += [(t, f"+{t - t0:.1f} s {name} exited {rc}") for name, (t, rc) in self.exits.items() if t >= t0]
        return [line for _, line in sorted(out)]


def t_pg_promotion(c, bound, filers, notes, result, slow=False):
    """kill -9 of the PostgreSQL primary's postmaster under call load and
    citizens' filings, then pg_ctl promote on the synchronous replica: N_pg,
    the seconds from the kill until new calls are answered within 1 s again
    and until a case is accepted again. What the lease does meanwhile is
    watched; a node that stops with 75 (it lost the lease) is started again,
    as systemd's Restart=on-failure would, and must stand by.
    slow: the promotion waits until the lease holder has stepped down (60 %
    of cluster.lease without the store: a fail-over as slow as Patroni's)."""
    for n in c.nodes:  # the standby killed by the step before comes back first
        if not n.alive():
            n.start()
    check(c.serving(30), "the dispatcher settles on the leader before the promotion")
    ld = c.leader()
    epoch = (ld.cluster() or {}).get("epoch")
    old, heir = c.primary, (c.pg2 if c.primary is c.pg else c.pg)
    watch = LeaseWatch(c).start()
    timing = {}

    def fail_over():
        old.kill9()
        timing["dead"] = time.time()
        if slow:
            wait_until(lambda: watch.exits, 10, 0.05)
            timing["stepped"] = time.time()
        heir.promote()
        timing["promoted"] = time.time()
        c.primary = heir
    try:
        p, t_kill, res = kill_under_load(c, fail_over, seconds=16, before=3, name="pg-promotion")
        # the lease settles: a leader the dispatcher sends calls to
        serving = c.serving(30)
    finally:
        watch.stop()
    n_calls = p.recovery(t_kill)
    first = filers.first_201_after(t_kill)
    n_case = first - t_kill if first else None
    result["N_pg_slow" if slow else "N_pg"] = (n_calls, n_case)
    new = c.leader()
    cl = (new.cluster() or {}) if new else {}
    notes.append(f"kill -9 of the primary's postmaster ({old.host}) returned after {timing['dead'] - t_kill:.2f} s "
                 "(its children gone)" + (f", the lease holder exited {timing['stepped'] - t_kill:.2f} s after the kill"
                                          if slow else "") +
                 f"; pg_ctl promote ({heir.host}) done {timing['promoted'] - t_kill:.2f} s after the kill")
    notes.append(summary(p, t_kill))
    notes.append(f"SIPp load meanwhile: ok={res['ok']} failed={res['failed']}")
    notes.append(f"the lease: {ld.name} epoch {epoch} before, {new.name if new else None} epoch {cl.get('epoch')} after")
    notes.extend(watch.story(t_kill - 0.5))
    stepped = [ln for n in c.nodes for ln in n.log().splitlines()[-400:]
               if "no longer holds the distributor's lease" in ln or "lost the distributor's lease" in ln]
    notes.extend("log: " + ln.strip()[:200] for ln in stepped)
    print(f"# N_pg = {n_calls if n_calls is None else round(n_calls, 1)} s to calls answered within 1 s again, "
          f"{n_case if n_case is None else round(n_case, 1)} s to a case accepted again (kill -9 of the primary, "
          + ("pg_ctl promote once the lease holder stepped down)" if slow else "then pg_ctl promote)"), flush=True)
    check(n_calls is not None and n_calls <= bound, f"calls answered within 1 s again within {bound} s: {n_calls}")
    check(n_case is not None and n_case <= bound, f"a case accepted again within {bound} s: {n_case}")
    check(serving, "the dispatcher settled on one leader after the promotion")
    exits = dict(watch.exits)
    for n in c.nodes:
        rc = n.proc.poll()
        if rc is not None and n.name not in exits:
            exits[n.name] = (time.time(), rc)
    check(all(rc == 75 for _, rc in exits.values()), f"a node stopped with other than 75 (fenced): {exits}")
    if slow:
        check(ld.name in exits, f"the lease holder {ld.name} stepped down (exit 75) with the store away past 60 % of "
                                f"the lease: {exits}")
    for name in exits:
        n = next(x for x in c.nodes if x.name == name)
        n.start()  # Restart=on-failure
        role = wait_until(lambda: (n.cluster() or {}).get("role"), 15)
        notes.append(f"{name} exited 75 and was started again: {role}")
        check(role == "standby", f"{name}, started again after exit 75, stands by: {role}")
    result["exits"] = exits


def t_pg_rejoin(c, notes):
    """The old primary comes back as a synchronous standby of the new one
    (pg_rewind -R, as Patroni does), so that the next fail-over loses no
    acknowledged write either."""
    old, new = (c.pg, c.pg2) if c.primary is c.pg2 else (c.pg2, c.pg)
    old.settings = {}  # a standby now: it must not wait for a standby of its own once promoted
    old.rejoin(new)
    # synchronous from now on: after the rewind, so that the standby's copy of the settings does not have it
    new.sql("ALTER SYSTEM SET synchronous_standby_names = '*'")
    new.sql("SELECT pg_reload_conf()")
    check(new.wait_sync(), "the old primary streams synchronously from the new one within 30 s")
    check(old.in_recovery() and not new.in_recovery(), "the old primary is a standby, the new one the primary")
    notes.append(f"{old.host} rewound and following {new.host} synchronously")


def t_cases_stored(c, filers, notes):
    """Every case acknowledged 201 before, during and after the kills is on
    the primary in service (by reference)."""
    filers.join()
    refs = sorted(filers.acked)
    notes.append(f"{len(refs)} cases acknowledged over {filers.seq} filings; answers by status "
                 f"{dict(sorted(collections.Counter(str(st) for _, _, st in filers.answers).items()))}; "
                 f"unresolved at the end {filers.unresolved}")
    for b in filers.bad[:5]:
        notes.append("unexpected answer: " + b)
    check(refs, "no case was acknowledged")
    have = set()
    for i in range(0, len(refs), 500):
        part = ",".join(f"'{r}'" for r in refs[i:i + 500])
        have |= set(c.primary.sql(f"SELECT reference FROM cases WHERE reference IN ({part})",
                                  "wasl_cluster").split())
    missing = [r for r in refs if r not in have]
    notes.append(f"on the primary in service ({c.primary.host}): {len(have)} of them")
    check(not missing, f"{len(missing)} acknowledged cases missing: {missing[:5]}")
    check(not filers.bad, f"{len(filers.bad)} answers neither 201 nor a clean 503")
    check(filers.unresolved == 0, f"{filers.unresolved} filings never got their 201")


def t_mail_once(c, filers, notes):
    """Each acknowledged filing's mail (its reference in the subject) reached
    the SMTP sink exactly once, across the kills of two lease holders... and
    PostgreSQL's promotion."""
    refs = set(filers.acked)
    pat = re.compile(r"\b(" + "|".join(re.escape(r) for r in refs) + r")\b") if refs else None

    ids = collections.defaultdict(set)  # reference -> the Message-IDs it came with

    def counts():
        seen = collections.Counter()
        for m in list(c.smtp.mails):
            msg = email.message_from_bytes(m["data"])
            subject = str(email.header.make_header(email.header.decode_header(msg["Subject"] or "")))
            for ref in set(pat.findall(subject)):
                seen[ref] += 1
                ids[ref].add(msg["Message-ID"])
        return seen
    wait_until(lambda: set(counts()) >= refs, 30, 0.5)
    ids.clear()
    seen = counts()
    missing = sorted(refs - set(seen))
    twice = sorted(r for r, k in seen.items() if k > 1)
    notes.append(f"{len(c.smtp.mails)} mails received; of the {len(refs)} acknowledged filings: {len(seen)} mailed, "
                 f"missing {len(missing)} {missing[:5]}, more than once {len(twice)} {twice[:5]}")
    # The one duplicate there can be: a node sent a mail, the store went
    # away before the mark, and that node never marked it (it stopped when
    # it lost the lease); the next leader sends it again, with the same
    # Message-ID. The node says so in its log, naming the row. Any other
    # duplicate is a fault.
    unmarked = set()
    for n in c.nodes:
        log = n.all_logs()
        marked = set(re.findall(r"outbox: mail (\d+) marked as sent at last", log))
        unmarked |= set(re.findall(r"outbox: mail (\d+) sent, not marked", log)) - marked
    explained = []
    if twice:
        rows = c.primary.sql("SELECT c.reference, o.id FROM outbox o JOIN cases c ON c.id = o.case_id WHERE c.reference IN ("
                             + ",".join(f"'{r}'" for r in twice) + ")", "wasl_cluster")
        row_of = dict(ln.split("|")[:2] for ln in rows.splitlines() if "|" in ln)
        explained = [r for r in twice if row_of.get(r) in unmarked and len(ids[r]) == 1]
        notes.append(f"sent again by the next leader after a mark the store lost (same Message-ID): {explained}")
        twice = [r for r in twice if r not in explained]
    if missing:
        rows = c.primary.sql("SELECT c.reference, o.id, o.status, o.attempts, o.claimed_by, o.claimed_until, "
                             "coalesce(o.last_error, '') FROM outbox o JOIN cases c ON c.id = o.case_id WHERE c.reference IN ("
                             + ",".join(f"'{r}'" for r in missing[:5]) + ")", "wasl_cluster")
        notes.extend("outbox row: " + ln for ln in rows.splitlines())
        for r in missing[:5]:
            notes.append(f"{r} acknowledged at +{filers.acked[r][1] - filers.t0:.1f} s of the filings")
        notes.append("kills at " + ", ".join(f"{k} +{t - filers.t0:.1f} s" for k, t in c.kills))
    check(not missing, f"{len(missing)} filings' mails never sent")
    check(not twice, f"{len(twice)} filings mailed more than once")


def t_figures(c, notes):
    """The day's figures from the event log are the same on two nodes, and
    add up: offered = answered + abandoned + sent on + waiting."""
    period = f"/api/v1/stats?from={DAY}T00:00:00Z&to={DAY}T23:59:59.999Z&by=total"
    two = c.alive()[:2]
    rows = []
    for n in two:
        js = api_get(n, period)
        check(js and js.get("rows"), f"{n.name}: no figures for the day: {js}")
        rows.append(js["rows"][0])
    keys = ("offered", "answered", "abandoned", "sent_on", "waiting")
    notes.append("; ".join(f"{n.name}: " + ", ".join(f"{k} {r.get(k)}" for k in keys) for n, r in zip(two, rows)))
    check({k: rows[0].get(k) for k in keys} == {k: rows[1].get(k) for k in keys}, "two nodes, the same figures")
    r = rows[0]
    check(r["offered"] >= 1, "the waiting caller is offered in the day's figures")
    check(r["offered"] == r["answered"] + r["abandoned"] + r["sent_on"] + r["waiting"],
          "offered = answered + abandoned + sent on + waiting")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", default=os.path.join(TOP, "build", "wasl"))
    ap.add_argument("--bound", type=float, default=15.0, help="seconds allowed for new calls to be answered again")
    ap.add_argument("--pg-bound", type=float, default=20.0,
                    help="seconds allowed for calls and cases after the PostgreSQL primary's kill and promotion")
    ap.add_argument("--kam-bound", type=float, default=5.0,
                    help="seconds allowed for new calls through the floating address after the active Kamailio's kill")
    ap.add_argument("--deadline", type=float, default=360.0, help="the whole run's limit, cleaned up after")
    a = ap.parse_args()
    holder = {}

    def overtime():
        print(f"not ok - the run took over {a.deadline:.0f} s: stopped", flush=True)
        if holder.get("c"):
            holder["c"].close()
        os._exit(1)
    watchdog = threading.Timer(a.deadline, overtime)
    watchdog.daemon = True
    watchdog.start()
    c = None
    try:
        try:
            c = holder["c"] = LAB["c"] = Cluster(a.binary, kam_defines=[f"TRUNK_CPS={TRUNK_CPS}"], ha=True,
                                                kam_pair=True)
        except Exception:  # noqa: BLE001
            print("not ok 1 - the cluster starts\n# " + traceback.format_exc().rstrip().replace("\n", "\n# "))
            return 1
        if not run_test("the cluster starts: PostgreSQL (a primary, its synchronous replica), 3 wasl nodes and "
                        "two Kamailio instances with keepalived in their own namespaces",
                        lambda notes: t_start(c, notes)):
            return 1
        run_test("SIPp calls through Kamailio's floating address are answered", lambda notes: t_sipp_calls(c, notes))
        run_test("the in-dialog BYE reaches the node that answered (Record-Route)", lambda notes: t_in_dialog(c, notes))
        run_test("a flooding address is banned by pike, the carrier's calls go on", lambda notes: t_flood(c, notes))
        run_test(f"a carrier over {TRUNK_CPS} calls a second gets 503 for the excess, not a ban",
                 lambda notes: t_trunk_rate(c, notes))
        shared = {}
        if run_test("a phone registers through Kamailio; a password guesser is banned there",
                    lambda notes: t_register(c, notes, shared)) and shared.get("phone"):
            run_test("the leader rings the phone through the Path; the phone's BYE follows the route set back",
                     lambda notes: t_ring_phone(c, notes, shared, keep=c.pair))
        if c.pair:
            kf = {}
            run_test(f"kill -9 of the active Kamailio under load: the other instance takes the floating address "
                     f"(keepalived), new calls answered again within {a.kam_bound:.0f} s",
                     lambda notes: t_kam_failover(c, a.kam_bound, notes, kf))
            if kf.get("moved"):
                run_test("after the Kamailio fail-over, a call set up before it hangs up: its BYE reaches the node "
                         "(the Record-Route named the floating address)", lambda notes: t_kam_bye(c, notes, kf))
                if shared.get("phone"):
                    run_test("after the Kamailio fail-over, the leader rings a phone registered before it, through "
                             "the other instance (the Path named the floating address)",
                             lambda notes: t_ring_phone(c, notes, shared))
                if run_test("the killed Kamailio restarts and stands by (nopreempt), its dispatcher probing on its own",
                            lambda notes: t_kam_restart(c, notes)):
                    run_test(f"the machine holding the floating address is lost whole: the other instance holds it "
                             f"within {a.kam_bound:.0f} s and answers", lambda notes: t_kam_machine_lost(c, a.kam_bound, notes))
            elif kf.get("longp"):
                kf["longp"].close()
        if shared.get("phone"):
            shared["phone"].close()
        filers = holder["filers"] = Filers(c).start()
        result = {}
        run_test(f"kill -9 of the lease holder under load: new calls answered again within {a.bound:.0f} s",
                 lambda notes: t_kill_leader(c, a.bound, notes, result))
        if result.get("waiter"):
            run_test("the caller waiting in the dead lease holder's queue is a callback on the new leader",
                     lambda notes: t_callback(c, result, notes))
        if result.get("victim"):
            if run_test("the killed node restarts and rejoins; its BYEs pass Kamailio",
                        lambda notes: t_rejoin(c, result, notes)):
                run_test("the dead node's calls are hung up, the other nodes' live ones are not",
                         lambda notes: t_own_calls(c, result, notes))
        run_test("every call answered through Kamailio is in the shared call log", lambda notes: t_call_log(c, notes))
        run_test("kill -9 of a standby under load changes nothing", lambda notes: t_kill_standby(c, notes))
        run_test(f"kill -9 of the PostgreSQL primary, its replica promoted, under load: calls answered and cases "
                 f"accepted again within {a.pg_bound:.0f} s", lambda notes: t_pg_promotion(c, a.pg_bound, filers, notes, result))
        if run_test("the old PostgreSQL primary rejoins as a synchronous standby (pg_rewind)",
                    lambda notes: t_pg_rejoin(c, notes)):
            run_test(f"PostgreSQL promoted only after the lease holder stepped down (60 % of the lease): it exits 75, "
                     f"restarts as a standby; calls and cases again within {a.pg_bound:.0f} s",
                     lambda notes: t_pg_promotion(c, a.pg_bound, filers, notes, result, slow=True))
        run_test("every case acknowledged before, during and after the kills is in the store",
                 lambda notes: t_cases_stored(c, filers, notes))
        run_test("each acknowledged filing was mailed exactly once across the kills",
                 lambda notes: t_mail_once(c, filers, notes))
        run_test("the day's figures from the event log: the same on two nodes, and they add up",
                 lambda notes: t_figures(c, notes))
    finally:
        if holder.get("filers"):
            holder["filers"].stop.set()
        if c:
            if TAP.failed:
                print("# Kamailio log tail:\n# " + "\n# ".join(c.kam.log().splitlines()[-15:]))
            c.close()
    print(f"1..{TAP.n}")
    return 1 if TAP.failed else 0


if __name__ == "__main__":
    sys.exit(main())
