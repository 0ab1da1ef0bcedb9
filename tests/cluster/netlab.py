"""A wasl cluster on one machine for the cluster test and bench/cluster:
network namespaces (`ip netns`) joined by veth pairs to a bridge, one
namespace each for PostgreSQL (and its synchronous replica, when asked),
Kamailio (deploy/kamailio/wasl.cfg), every wasl node and the callers. Names carry the creating process's PID, so that
runs side by side do not collide; everything is removed by Lab.close(), which
also runs at exit and on SIGTERM/SIGINT. Needs root.

The bridge lives in the root namespace with the subnet's .1, so that this
process reaches every member (HTTP to the nodes, SIP from the probes) with
no routing at all; no traffic leaves the bridge.
"""
import atexit
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests", "lib"))
sys.path.insert(0, os.path.join(TOP, "tests", "api"))
sys.path.insert(0, os.path.join(TOP, "tests", "sip"))
import pgserver  # noqa: E402
from harness import wait_until  # noqa: E402,F401 - the lab's users take it from here
from siptest import Wasl, parse_metrics  # noqa: E402

KAM_CFG = os.path.join(TOP, "deploy", "kamailio", "wasl.cfg")
KEEPALIVED_CFG = os.path.join(TOP, "deploy", "keepalived", "keepalived.conf")
DEMO_PW = {"supervisor": "supervisor-demo-2026", "admin": "admin-demo-2026", "agent": "agent-demo-2026"}


PREFIX = "wcl"  # the names of everything a lab makes: wcl<PID>...


def sweep_stale():
    """Removes what a lab whose process is gone left behind (a run killed
    with SIGKILL cannot clean up after itself): its namespaces, with any
    process still in them, and its bridge. Only names of the form
    wcl<PID>... whose PID no longer runs."""
    def dead(name):
        m = re.match(PREFIX + r"(\d+)", name)
        return m and not os.path.exists(f"/proc/{m.group(1)}")
    for ns in sh("ip", "netns", "list", check=False).stdout.split("\n"):
        ns = ns.split(" ")[0]
        if ns.startswith(PREFIX) and dead(ns):
            for pid in sh("ip", "netns", "pids", ns, check=False).stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            sh("ip", "netns", "del", ns, check=False)
    for line in sh("ip", "-o", "link", "show", "type", "bridge", check=False).stdout.splitlines():
        name = line.split(":")[1].strip().split("@")[0] if ":" in line else ""
        if name.startswith(PREFIX) and dead(name):
            sh("ip", "link", "del", name, check=False)


def sh(*args, check=True):
    r = subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if check and r.returncode:
        raise RuntimeError(f"{' '.join(args)}: {r.stdout.strip()}")
    return r


def _reaped(pid):
    """Reaps pid if it is our child and has ended; True when it has."""
    try:
        return os.waitpid(pid, os.WNOHANG)[0] == pid
    except ChildProcessError:
        return not os.path.exists(f"/proc/{pid}")


def read_text(path):
    """A log's text ("" when there is none yet)."""
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


class Lab:
    def __init__(self, work=None):
        if os.geteuid() != 0:
            raise RuntimeError("the cluster lab needs root (ip netns)")
        self.pid = os.getpid()
        sweep_stale()
        self.tag = f"{PREFIX}{self.pid}"
        self.bridge = f"{self.tag}br"
        self.work = work or tempfile.mkdtemp(prefix="wasl-cluster-")
        self.own_work = work is None
        self.namespaces = []
        self.procs = []  # every Popen started here, stopped by PID
        self.pg = None
        self.pgs = []  # every PostgreSQL server started here (primary, replica), stopped by close()
        self.clock_offset = None  # set_clock(): the nodes run on one virtual timeline
        self.closed = False
        self.lock = threading.Lock()
        self.net = self._free_subnet()
        atexit.register(self.close)
        for s in (signal.SIGTERM, signal.SIGINT):
            signal.signal(s, self._on_signal)
        sh("ip", "link", "add", self.bridge, "type", "bridge")
        sh("ip", "addr", "add", f"{self.net}.1/24", "dev", self.bridge)
        sh("ip", "link", "set", self.bridge, "up")
        self.host_ip = f"{self.net}.1"

    def _on_signal(self, sig, frame):
        # unwinds the main thread: its finally clauses (and atexit) call close()
        raise SystemExit(128 + sig)

    def _free_subnet(self):
        """A 10.231.N.0/24 no interface of this machine uses (the PID picks
        where to start looking)."""
        used = sh("ip", "-4", "-o", "addr").stdout + sh("ip", "-4", "route").stdout
        for i in range(250):
            n = (self.pid + i) % 250 + 1
            if f"10.231.{n}." not in used:
                return f"10.231.{n}"
        raise RuntimeError("no free 10.231.N.0/24 subnet")

    @property
    def cidr(self):
        return f"{self.net}.0/24"

    def namespace(self, name, host):
        """A namespace joined to the bridge at <subnet>.host; returns its address."""
        ns = f"{self.tag}{name}"
        outside, inside = f"{self.tag}o{host}", f"{self.tag}i{host}"
        sh("ip", "netns", "add", ns)
        self.namespaces.append(ns)
        sh("ip", "link", "add", outside, "type", "veth", "peer", "name", inside)
        sh("ip", "link", "set", outside, "master", self.bridge, "up")
        sh("ip", "link", "set", inside, "netns", ns)
        sh("ip", "-n", ns, "link", "set", inside, "name", "eth0")
        sh("ip", "-n", ns, "addr", "add", f"{self.net}.{host}/24", "dev", "eth0")
        sh("ip", "-n", ns, "link", "set", "eth0", "up")
        sh("ip", "-n", ns, "link", "set", "lo", "up")
        return ns, f"{self.net}.{host}"

    def spawn(self, ns, cmd, **kw):
        kw.setdefault("start_new_session", True)
        p = subprocess.Popen(["ip", "netns", "exec", ns] + list(cmd), **kw)
        with self.lock:
            self.procs.append(p)
        return p

    def run(self, ns, cmd, timeout=120, **kw):
        return subprocess.run(["ip", "netns", "exec", ns] + list(cmd), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=timeout, **kw)

    def close(self):
        """Stops what was started here (by PID), then every process still in
        one of our namespaces (pg_ctl's postmaster), the namespaces and the
        bridge. Safe to call twice."""
        with self.lock:
            if self.closed:
                return
            self.closed = True
        # By PID, without Popen.wait: the main thread may be inside a wait()
        # on one of them, whose lock would stall this one.
        live = [p.pid for p in self.procs if p.returncode is None]
        for pid in live:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        end = time.time() + 10
        while live and time.time() < end:
            live = [pid for pid in live if os.path.exists(f"/proc/{pid}") and not _reaped(pid)]
            time.sleep(0.1)
        for pid in live:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pg in self.pgs:
            try:
                pg.stop()
            except Exception:  # noqa: BLE001 - the namespace sweep below ends it anyway
                pass
        for ns in self.namespaces:
            pids = sh("ip", "netns", "pids", ns, check=False).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            sh("ip", "netns", "del", ns, check=False)
        sh("ip", "link", "del", self.bridge, check=False)
        if self.own_work and not os.environ.get("WASL_CLUSTER_KEEP"):
            shutil.rmtree(self.work, ignore_errors=True)

    # ------------------------------------------------------------ members

    def postgresql(self, synchronous=False):
        """PostgreSQL at <subnet>.2. synchronous: its commits wait for a
        synchronous standby (pg_replica(), to be started next)."""
        ns, ip = self.namespace("pg", 2)
        self.pg = pgserver.PgServer(pgserver.PRIMARY if synchronous else None, host=ip, netns=ns, clients=self.cidr)
        self.pgs.append(self.pg)
        self.pg.start()
        return self.pg

    def pg_replica(self):
        """A streaming replica of the primary at <subnet>.4, in a namespace
        of its own (pg_basebackup over the bridge); returns once the primary
        counts it as its synchronous standby."""
        ns, ip = self.namespace("pg2", 4)
        r = pgserver.PgServer(host=ip, netns=ns, clients=self.cidr)
        self.pgs.append(r)
        r.start_replica(self.pg)
        if not self.pg.wait_sync():
            raise RuntimeError("the replica did not become synchronous within 30 s")
        return r

    def set_clock(self, start):
        """Every node started from now on runs on one timeline that was at
        `start` (an epoch second) now (clock.start, to the millisecond, at
        each start), whenever the test runs: opening hours and the day's
        figures do not depend on the day of the run."""
        self.clock_offset = start - time.time()

    def clock_start(self):
        t = time.time() + self.clock_offset
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}Z"

    def virtual_now(self):
        return time.time() + (self.clock_offset or 0)

    def kamailio(self, nodes, trunk_nets, phone_nets, extra_defines=(), shm_mb=64):
        return Kamailio(self, nodes, trunk_nets, phone_nets, extra_defines, shm_mb)

    def kamailio_pair(self, nodes, trunk_nets, phone_nets, extra_defines=(), shm_mb=64):
        return KamailioPair(self, nodes, trunk_nets, phone_nets, extra_defines, shm_mb)


# The SIP entry point's addresses on the subnet: Kamailio alone at .3; a pair
# at .3 (instance a) and .6 (instance b), their floating address .7.
KAM_HOST, KAM_B_HOST, KAM_VIP_HOST = 3, 6, 7


class Kamailio:
    """Kamailio with deploy/kamailio/wasl.cfg at <subnet>.3:5060, its
    dispatcher list the nodes' SIP addresses. With vip, one instance of a
    pair (KamailioPair): it listens on the floating address too (KAM_VIP),
    before it holds it (net.ipv4.ip_nonlocal_bind in its namespace)."""

    def __init__(self, lab, nodes, trunk_nets, phone_nets, extra_defines=(), shm_mb=64, name="kam", host=KAM_HOST,
                 vip=None):
        """shm_mb: Kamailio's shared memory (-m). Each transaction holds ~10 KB
        until 5 s after its end: 64 MB carries some 1,000 calls a second of
        short calls; bench/cluster gives 256."""
        self.lab = lab
        self.shm_mb = shm_mb
        self.name = name
        self.ns, self.ip = lab.namespace(name, host)
        self.port = 5060
        self.dir = os.path.join(lab.work, "kamailio" if name == "kam" else "kamailio-" + name)
        os.makedirs(self.dir, exist_ok=True)
        self.list = os.path.join(self.dir, "wasl-nodes.list")
        with open(self.list, "w") as f:
            f.write("# setid destination flags priority attrs\n")
            for n in nodes:
                f.write(f"1 sip:{n.ip}:{n.sip_port} 0 0 duid={n.name}\n")
        self.ctl = os.path.join(self.dir, "kamailio_ctl")
        self.defines = [f"KAM_ADDR={self.ip}", f"KAM_PORT={self.port}", f'DS_LIST="{self.list}"',
                        f'CTL_SOCKET="unix:{self.ctl}"', f'TRUNK_NETS="{trunk_nets}"', f'PHONE_NETS="{phone_nets}"',
                        "KAM_CHILDREN=2"]
        if vip:
            self.defines.append(f"KAM_VIP={vip}")
            # the backup binds the floating address it does not hold yet
            sh("ip", "netns", "exec", self.ns, "sysctl", "-q", "-w", "net.ipv4.ip_nonlocal_bind=1")
        given = {d.split("=", 1)[0] for d in extra_defines}
        self.defines = [d for d in self.defines if d.split("=", 1)[0] not in given] + list(extra_defines)
        self.log_path = os.path.join(self.dir, "kamailio.log")
        self.proc = None

    def args(self, *more):
        a = ["kamailio", "-f", KAM_CFG]
        for d in self.defines:
            a += ["-A", d]
        return a + list(more)

    def check(self):
        return self.lab.run(self.ns, self.args("-c"))

    def start(self):
        self.logf = open(self.log_path, "a")  # noqa: SIM115 - closed with the lab's processes
        if os.path.exists(self.ctl):  # left by a run killed -9 (kill9)
            os.unlink(self.ctl)
        # -DD: stay in the foreground (this PID is the main process); -E: log to stderr
        self.proc = self.lab.spawn(self.ns, self.args("-DD", "-E", "-m", str(self.shm_mb), "-M", "8", "-Y", self.dir, "-w",
                                                      self.dir), stdout=self.logf, stderr=subprocess.STDOUT)
        if not wait_until(lambda: os.path.exists(self.ctl) or self.proc.poll() is not None, 20):
            raise RuntimeError("Kamailio did not start in 20 s")
        if self.proc.poll() is not None:
            raise RuntimeError("Kamailio stopped: " + self.log()[-2000:])
        return self

    def rpc(self, *cmd):
        r = self.lab.run(self.ns, ["kamcmd", "-s", f"unix:{self.ctl}"] + list(cmd), timeout=10)
        return r.stdout

    def states(self):
        """{node address: dispatcher flags} ("AP" active, "IP" inactive, ...)."""
        out = {}
        for uri, flags in re.findall(r"URI: sip:([0-9.]+:\d+)\s+FLAGS: (\w+)", self.rpc("dispatcher.list")):
            out[uri] = flags
        return out

    def log(self):
        return read_text(self.log_path)

    def kill9(self, wait=True):
        """kill -9 of every process of this Kamailio (its process group: the
        main process and its workers, which a crash leaves nothing of once
        systemd has cleaned the unit's cgroup). wait: returns once they are
        gone (else wait_gone() does)."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if wait:
            self.wait_gone()

    def wait_gone(self):
        pid = self.proc.pid
        self.proc.wait(10)

        def gone():
            for d in os.listdir("/proc"):
                if d.isdigit():
                    try:
                        if os.getpgid(int(d)) == pid:
                            return False
                    except OSError:
                        pass
            return True
        if not wait_until(gone, 10, 0.05):
            raise RuntimeError(f"Kamailio {self.name}'s processes outlived kill -9 for 10 s")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None


class Keepalived:
    """keepalived in a Kamailio instance's namespace, with the shipped
    deploy/keepalived/keepalived.conf (copied unchanged next to a
    wasl-site.conf of the lab's addresses, which it includes) and config id
    `cid` (a or b): only the VRRP subsystem (-P), in the foreground (-n),
    logging to its file (-l -D)."""

    def __init__(self, lab, kam, cid, vip, addr_a, addr_b):
        self.lab, self.kam, self.cid, self.vip = lab, kam, cid, vip
        self.dir = os.path.join(kam.dir, "keepalived")
        os.makedirs(self.dir, exist_ok=True)
        self.conf = os.path.join(self.dir, "keepalived.conf")
        shutil.copyfile(KEEPALIVED_CFG, self.conf)
        with open(os.path.join(self.dir, "wasl-site.conf"), "w") as f:
            f.write(f"$VIP={vip}\n$VIP_PREFIX=24\n$IFACE=eth0\n$ADDR_A={addr_a}\n$ADDR_B={addr_b}\n"
                    f"$SIP_PORT={kam.port}\n$VRID={lab.pid % 250 + 1}\n")
        self.log_path = os.path.join(self.dir, "keepalived.log")
        self.proc = None
        self.mark = 0  # where this run's lines start in the log

    def start(self):
        self.mark = len(self.log())
        self.logf = open(self.log_path, "a")  # noqa: SIM115 - closed with the lab's processes
        self.proc = self.lab.spawn(self.kam.ns, ["keepalived", "-n", "-l", "-D", "-P", "-i", self.cid, "-f", self.conf,
                                                 "-p", os.path.join(self.dir, "keepalived.pid"),
                                                 "-r", os.path.join(self.dir, "vrrp.pid")],
                                   cwd=self.dir, stdout=self.logf, stderr=subprocess.STDOUT)
        return self

    def log(self):
        return read_text(self.log_path)

    def state(self):
        """The VRRP instance's last state in this run's log (MASTER, BACKUP,
        FAULT; None before its first)."""
        m = re.findall(r"\(wasl_sip\) Entering (\w+) STATE", self.log()[self.mark:])
        return m[-1] if m else None

    def holds_vip(self):
        out = sh("ip", "-n", self.kam.ns, "-4", "-o", "addr", "show", "dev", "eth0", check=False).stdout
        return f" {self.vip}/" in out


class KamailioPair:
    """Two Kamailio instances (a at <subnet>.3, b at .6) and their floating
    address (.7, what carriers and phones send to), moved between them by
    keepalived (deploy/keepalived/) running in each instance's namespace. It
    stands in for Kamailio alone: ip and port are the floating address,
    states() the dispatcher of the instance that holds it, log() both logs."""

    def __init__(self, lab, nodes, trunk_nets, phone_nets, extra_defines=(), shm_mb=64):
        self.lab = lab
        self.ip, self.port = f"{lab.net}.{KAM_VIP_HOST}", 5060
        kw = {"extra_defines": extra_defines, "shm_mb": shm_mb, "vip": self.ip}
        self.a = Kamailio(lab, nodes, trunk_nets, phone_nets, name="kam", host=KAM_HOST, **kw)
        self.b = Kamailio(lab, nodes, trunk_nets, phone_nets, name="kam2", host=KAM_B_HOST, **kw)
        self.instances = [self.a, self.b]
        self.keepalived = {k: Keepalived(lab, k, cid, self.ip, self.a.ip, self.b.ip)
                           for k, cid in ((self.a, "a"), (self.b, "b"))}

    def check(self):
        for k in self.instances:
            r = k.check()
            if r.returncode:
                return r
        return r

    def start(self):
        """Both Kamailio instances, then keepalived on both; returns once a
        holds the floating address and b stands by."""
        for k in self.instances:
            k.start()
        for k in self.instances:
            self.keepalived[k].start()
        ka, kb = self.keepalived[self.a], self.keepalived[self.b]
        if not wait_until(lambda: ka.holds_vip() and kb.state() == "BACKUP" and not kb.holds_vip(), 20, 0.1):
            raise RuntimeError(f"keepalived: a {ka.state()} (address {ka.holds_vip()}), b {kb.state()} "
                               f"(address {kb.holds_vip()}) after 20 s: " + (ka.log() + kb.log())[-2000:])
        return self

    def lose_machine(self, k):
        """As if instance k's machine were lost whole: every process in its
        namespace (Kamailio and keepalived) killed -9 and its link down with
        its addresses (nothing left to answer or to advertise)."""
        for pid in sh("ip", "netns", "pids", k.ns, check=False).stdout.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        sh("ip", "-n", k.ns, "link", "set", "eth0", "down")
        sh("ip", "-n", k.ns, "addr", "del", f"{self.ip}/24", "dev", "eth0", check=False)
        for p in (k.proc, self.keepalived[k].proc):
            p.wait(10)  # reaped: a zombie's PID file would make the next keepalived think it runs

    def bring_back(self, k):
        """Instance k's machine started again: its link up, Kamailio and
        keepalived started; returns once keepalived stands by (BACKUP)."""
        sh("ip", "-n", k.ns, "link", "set", "eth0", "up")
        k.start()
        ka = self.keepalived[k].start()
        if not wait_until(lambda: ka.state() == "BACKUP", 15, 0.1):
            raise RuntimeError(f"keepalived on {k.name} is {ka.state()} 15 s after its start: " + ka.log()[-1500:])

    def holder(self):
        """The instance whose namespace holds the floating address (None
        while none, or both, do)."""
        have = [k for k in self.instances if self.keepalived[k].holds_vip()]
        return have[0] if len(have) == 1 else None

    def states(self):
        return (self.holder() or self.a).states()

    def rpc(self, *cmd):
        return (self.holder() or self.a).rpc(*cmd)

    def log(self):
        return "".join(k.log() for k in self.instances)


class Node(Wasl):
    """One wasl node in its namespace (<subnet>.(10+i)), on the shared
    PostgreSQL, SIP on 5060 and HTTP on 8080 of its own address. Its own
    start and HTTP (to its address); the SIP suite's Wasl gives the rest
    (alive, kill9, stop, log)."""

    def __init__(self, lab, i, binary, db_url, keys, trunks, phones, settings=None):
        self.lab = lab
        self.i = i
        self.name = "node-" + "abcdefghij"[i]
        self.ns, self.ip = lab.namespace(f"n{i}", 10 + i)
        self.binary = os.path.abspath(binary)
        self.db_url = db_url
        self.dir = os.path.join(lab.work, self.name)
        os.makedirs(self.dir, exist_ok=True)
        self.sip_port = 5060
        self.http_port = 8080
        # one copy of the keys for every node (docs/operations.md: each node holds the same key files)
        self.settings = {"cases.key_file": keys, "audit.key_file": os.path.join(os.path.dirname(keys), "wasl-audit.key"),
                         "audit.syslog": "false", "http.listen": self.ip, "http.port": self.http_port,
                         "http.allow_plain": "true", "sip.address": self.ip, "sip.port": self.sip_port,
                         "sip.trunks": trunks, "sip.phones": phones, "sip.realtime_priority": 0, "log.level": "info",
                         "http.metrics_from": lab.host_ip}
        if cluster_settings(binary):
            self.settings.update({"cluster.enabled": "true", "cluster.node": self.name})
        if has_setting(binary, "sip", "path_from"):
            self.settings["sip.path_from"] = phones  # Kamailio adds the Path of the phones' REGISTERs
        self.settings.update(settings or {})
        self.proc = None
        self.cookie = None
        self.csrf = None
        self.starts = 0

    def args(self, *more):
        a = [self.binary, "--db", self.db_url]
        for k, v in self.settings.items():
            a += ["--set", f"{k}={v}"]
        if self.lab.clock_offset is not None:
            a += ["--set", f"clock.start={self.lab.clock_start()}"]
        return a + list(more)

    def init_store(self):
        """wasl init --demo on the shared store (once, from one node)."""
        r = self.lab.run(self.ns, self.args("--set", "cases.demo_cases=5", "init", "--demo"), timeout=180, cwd=self.dir)
        if r.returncode:
            raise RuntimeError("wasl init --demo failed: " + r.stderr[-2000:])

    def start(self):
        self.starts += 1
        self.log_path = os.path.join(self.dir, f"serve-{self.starts}.log")
        self.logf = open(self.log_path, "w")  # noqa: SIM115 - closed by kill9()/stop()
        env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0:abort_on_error=0")
        self.proc = self.lab.spawn(self.ns, self.args("serve"), cwd=self.dir, stdout=subprocess.PIPE, stderr=self.logf,
                                   text=True, env=env)
        end = time.time() + 120
        while time.time() < end:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"{self.name} stopped: " + self.log()[-2000:])
            if "SIP (trunks" in line or "SIP: standing by" in line:
                break
        else:
            raise RuntimeError(f"{self.name} did not start in 120 s")
        threading.Thread(target=self._drain, daemon=True).start()
        return self

    def kill9(self):
        super().kill9()
        self.cookie = None

    def all_logs(self):
        """The logs of every run of this node, oldest first."""
        return "".join(read_text(os.path.join(self.dir, f"serve-{k}.log")) for k in range(1, self.starts + 1))

    # -- HTTP, to the node's own address

    def request(self, method, path, body=None, timeout=5, headers=None, anonymous=False):
        """(status, JSON or None, text). anonymous: without the node's
        session (a citizen on the portal, from any thread)."""
        h = {"Host": f"{self.ip}:{self.http_port}"}
        h.update(headers or {})
        raw = None
        if body is not None:
            raw = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        if self.cookie and not anonymous:
            h["Cookie"] = self.cookie
        if self.csrf and method not in ("GET", "HEAD") and not anonymous:
            h["X-CSRF-Token"] = self.csrf
        c = http.client.HTTPConnection(self.ip, self.http_port, timeout=timeout)
        try:
            c.request(method, path, body=raw, headers=h)
            r = c.getresponse()
            text = r.read().decode("utf-8", errors="replace")
            sc = r.getheader("Set-Cookie")
            if sc and sc.startswith("wasl_session=") and not anonymous:
                self.cookie = sc.split(";", 1)[0]
            try:
                js = json.loads(text) if text else None
            except ValueError:
                js = None
            return r.status, js, text
        finally:
            c.close()

    def login(self, who="supervisor"):
        st, js, text = self.request("POST", "/api/v1/session", {"login": who, "password": DEMO_PW[who]})
        if st != 201:
            raise RuntimeError(f"login on {self.name}: {st} {text[:300]}")
        self.csrf = js["csrf_token"]
        self.who = who

    def metrics(self):
        return parse_metrics(self.request("GET", "/metrics")[2])

    def cluster(self):
        """The node's "cluster" object from GET /healthz (None when the
        program has no cluster module, or the node does not answer)."""
        try:
            st, js, _ = self.request("GET", "/healthz", timeout=2)
        except OSError:
            return None
        return js.get("cluster") if st == 200 and isinstance(js, dict) else None


_help = {}


def has_setting(binary, section, key):
    """Whether this wasl knows the setting section.key (`wasl help config`)."""
    if binary not in _help:
        r = subprocess.run([binary, "help", "config"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        _help[binary] = r.stdout
    m = re.search(r"^\[" + re.escape(section) + r"\]\n((?:  .*\n)*)", _help[binary], re.M)
    return bool(m and re.search(r"^  " + re.escape(key) + r"\s", m.group(1), re.M))


def cluster_settings(binary):
    """Whether this wasl has the cluster module (the distributor's lease)."""
    return has_setting(binary, "cluster", "enabled")
