"""deploy/haproxy/wasl.cfg, run: HAProxy in front of two wasl nodes on one
store (docs/scale-out.md). Any node serves the pages and the API; the live
telephony's paths go to the node holding the distributor's lease, which
HAProxy finds with GET /healthz/leader. Through the proxy, a session made on
one node is good on the other; every live request lands on the leader (a
standby answers them 503 cluster.standby, so one landing there would show);
after kill -9 of the leader the other node takes the lease and the live
paths answer again within seconds (measured)."""
import os
import re
import shutil
import signal
import subprocess
import tempfile

from harness import Client, Server, Skip, free_port, seconds_until, telephony_settings, wait_listening

CFG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "deploy", "haproxy", "wasl.cfg")


_rtp = 20000 + 200 * (os.getpid() % 50)
SETTINGS = dict(telephony_settings(_rtp, 99), **{"cluster.enabled": "true", "cluster.node": "a", "cluster.lease": "2s",
                               "http.trusted_proxy": "127.0.0.1", "cases.demo_cases": "0"})


class HAProxy:
    """The deployed file with the test's port and the two nodes' addresses."""

    def __init__(self, ports):
        with open(CFG) as f:
            text = f.read()
        self.port = free_port(udp=False)
        bind = re.search(r"^    bind .*$", text, re.M)
        if not bind:
            raise AssertionError("deploy/haproxy/wasl.cfg has no bind line")
        text = text.replace(bind.group(0), f"    bind 127.0.0.1:{self.port}")
        for name in ("a", "b", "c"):
            old = re.findall(rf"^    server {name} \S+", text, re.M)
            if len(old) != 2:
                raise AssertionError(f"deploy/haproxy/wasl.cfg should name server {name} in both backends")
            new = f"    server {name} 127.0.0.1:{ports[name]}" if name in ports else None
            for o in old:
                text = text.replace(o, new) if new else re.sub(rf"^{re.escape(o)}.*\n", "", text, flags=re.M)
        self.dir = tempfile.mkdtemp(prefix="wasl-haproxy-")
        conf = os.path.join(self.dir, "haproxy.cfg")
        with open(conf, "w") as f:
            f.write(text)
        r = subprocess.run(["haproxy", "-c", "-f", conf], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode:
            raise AssertionError(f"haproxy -c refuses the file: {r.stdout}")
        self.proc = subprocess.Popen(["haproxy", "-db", "-f", conf], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True)
        wait_listening(self.proc, self.port, "haproxy")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


class Via:
    """A Client whose server is the proxy."""

    def __init__(self, port):
        self.port = port
        self.scheme = "http"
        self.url = f"http://127.0.0.1:{port}"



def test_haproxy_sends_the_live_pages_to_the_leader(t):
    if not shutil.which("haproxy"):
        raise Skip("haproxy is not installed (scripts/deps.sh test)")
    b = Server(t.srv.binary, backend=t.srv.backend, db_url=t.srv.db, init=False,
               settings=dict(SETTINGS, **telephony_settings(_rtp + 100, 99), **{"cluster.node": "b"}))
    b.share_keys(t.srv)
    b.start()
    proxy = HAProxy({"a": t.srv.port, "b": b.port})
    try:
        sup = Client(Via(proxy.port))
        # HAProxy's first checks: the leader backend has a server up
        t.true(seconds_until(lambda: sup.get("/api/v1/tel/pause-reasons").status != 503, 10) is not None,
               "HAProxy found the leader")
        t.status(sup.login("supervisor"), 201, None, "login through the proxy")
        # HAProxy takes a server for up until its first check fails (1 s)
        settled = seconds_until(lambda: all(sup.get("/api/v1/tel/status").status == 200 for _ in range(4)), 10)
        t.true(settled is not None, f"HAProxy's checks settle ({settled} s)")
        statuses = [sup.get("/api/v1/tel/status").status for _ in range(12)]
        t.eq(set(statuses), {200}, "every live request reaches the node running the telephony")
        pages = [sup.get("/api/v1/cases?limit=1").status for _ in range(12)]
        t.eq(set(pages), {200}, "the other pages from either node, with the one session (it lives in the store)")
        outside = [sup.get(p).status for p in ("/healthz", "/healthz/leader", "/metrics")]
        t.eq(outside, [403, 403, 403], "the nodes' health (it names them) and figures are not served to the outside")
        direct = Client(b)
        direct.login("supervisor")
        r = direct.get("/api/v1/tel/status")
        t.eq((r.status, r.json["error"]["code"]), (503, "cluster.standby"), "asked directly, the standby says where to go")
        # the leader dies: b takes the lease, HAProxy's next check finds it
        t.srv.proc.send_signal(signal.SIGKILL)
        t.srv.proc.wait(10)
        took = seconds_until(lambda: sup.get("/api/v1/tel/status").status == 200, 20, 0.1)
        t.true(took is not None, "the live pages answer again through the proxy")
        print(f"# live pages through HAProxy again {took:.1f} s after kill -9 of the leader (cluster.lease 2 s, checks every 1 s)")
        t.true(took is not None and took <= 6, f"within 6 s ({took})")
        t.eq(sup.get("/api/v1/cases?limit=1").status, 200, "still logged in: the session is in the store")
    finally:
        proxy.stop()
        b.cleanup()
