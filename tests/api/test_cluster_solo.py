"""A node without the cluster (cluster.enabled off, the default) holds its store
alone (src/cluster, docs/scale-out.md): a second node on the same store, solo or
clustered, is refused with cluster.store_in_use instead of running a second
distributor, telephony and outbox beside it (every mail sent twice). The
node restarted after kill -9 on the same machine comes back at once (its
predecessor's process is gone); a claim its node stopped renewing (frozen) is
taken over after cluster.lease, and the frozen node, woken, exits 75.
/healthz answers from the lease thread's last round, without asking the
store: with the store locked it still answers at once, saying how old its
view is. Both stores: SQLite (two processes on one file) and PostgreSQL."""
import signal
import subprocess
import time

from harness import Client, Server, seconds_until

# A long lease: a restart refused for want of the fast take-over would
# wait 30 s for it, and fail here.
SETTINGS = {"cluster.node": "a", "cluster.lease": "30s"}
SHORT = {"cluster.lease": "2s"}


def _node(t, name, **settings):
    """A node on the file's store (its key files), not started."""
    n = Server(t.srv.binary, backend=t.srv.backend, db_url=t.srv.db, init=False,
               settings=dict({"cluster.node": name}, **settings))
    n.share_keys(t.srv)
    return n


def _refused(n):
    """n's start, refused: the message it gave, or None if it started."""
    try:
        n.start()
    except RuntimeError as e:
        return str(e)
    return None


def _health(srv, path="/healthz"):
    return Client(srv).get(path)



def _restart(srv):
    srv.stop()
    srv.port, srv.init = None, False
    srv.start()


def test_a_second_node_is_refused(t):
    b = _node(t, "b")
    c = _node(t, "c", **{"cluster.enabled": "true"})
    try:
        msg = _refused(b)
        t.true(msg is not None, "a second node without the cluster does not start")
        msg = msg or ""
        t.true("cluster.store_in_use" in msg, f"the refusal is named: {msg[-700:]}")
        t.true("node a (without cluster.enabled)" in msg, "and names the node that holds the store")
        t.true("cluster.enabled = true on every node" in msg and "stop the other node" in msg, "and says what to do")
        t.true(b.proc is None or b.proc.poll() is not None, "its process has ended")
        msg = _refused(c) or ""
        t.true("cluster.store_in_use" in msg and "node a (without cluster.enabled)" in msg,
               f"a clustered node is refused beside it too: {msg[-400:]}")
        h = _health(t.srv).json
        t.eq((h["status"], h["cluster"]["role"], h["cluster"]["leader"]), ("ok", "leader", "a"), "a still leads alone")
        t.eq([n["node"] for n in h["cluster"]["nodes"] if n["role"] != "stopped"], ["a"], "the only node on the store")
    finally:
        b.cleanup()
        c.cleanup()


def test_restart_after_kill9_is_immediate(t):
    """kill -9, then the same node started again on this machine: its
    predecessor's claim (in force for 30 s more) is known dead and taken at
    once; the take-over hooks run in order, each with its duration."""
    epoch = _health(t.srv).json["cluster"]["epoch"]
    t.srv.proc.send_signal(signal.SIGKILL)
    t.srv.proc.wait(10)
    t0 = time.time()
    try:
        _restart(t.srv)
    except RuntimeError as e:
        t.true(False, f"restarted at once after kill -9: {str(e)[-500:]}")
        return
    took = time.time() - t0
    print(f"# restarted {took:.2f} s after kill -9 (cluster.lease 30 s)")
    t.true(took < 10, f"well within the 30 s lease ({took:.2f} s)")
    h = _health(t.srv).json
    t.eq((h["status"], h["cluster"]["role"]), ("ok", "leader"), "it leads")
    t.eq(h["cluster"]["epoch"], epoch + 1, "the claim changed hands once")
    log = t.srv.log()
    t.true("a process that is gone: taken at once" in log, "its log says why it did not wait")
    hooks = ["on lead, events:", "on lead, telephony:", "on lead, live events:", "on lead, cases:"]
    at = [log.find(x) for x in hooks]
    t.true(all(i >= 0 for i in at) and at == sorted(at), f"the take-over hooks ran in order: {at}")
    t.true(all(" ms" in log[i:log.index("\n", i)] for i in at if i >= 0), "each logged with its duration")
    t.true(seconds_until(lambda: Client(t.srv).get("/api/v1/cases").status in (200, 401), 5) is not None, "it serves")


def test_stale_claim_taken_over(t):
    """A solo node frozen (SIGSTOP) stops renewing: a second one is refused
    while the claim is in force, and takes it once cluster.lease has passed;
    the first, woken, sees it and exits 75 instead of running beside it."""
    t.srv.stop()  # a clean stop gives the store back
    p = _node(t, "p", **SHORT)
    q = _node(t, "q", **SHORT)
    try:
        t.true(_refused(p) is None, "p takes the store its predecessor gave back")
        p.proc.send_signal(signal.SIGSTOP)
        frozen = time.time()
        msg = _refused(q) or ""
        t.true("cluster.store_in_use" in msg and "node p" in msg, f"q is refused while p's claim is in force: {msg[-300:]}")
        started = None
        while time.time() - frozen < 20 and started is None:
            if _refused(q) is None:
                started = time.time() - frozen
            else:
                time.sleep(0.3)
        t.true(started is not None and started >= 1.5, f"q takes the stale claim after the lease ({started} s after p froze)")
        print(f"# the stale claim taken {started} s after its node froze (cluster.lease 2 s)")
        h = _health(q).json["cluster"]
        t.eq((h["role"], h["leader"]), ("leader", "q"), "q leads")
        p.proc.send_signal(signal.SIGCONT)
        try:
            rc = p.proc.wait(10)
        except subprocess.TimeoutExpired:
            rc = None
        t.eq(rc, 75, "p, woken, exits 75")
        log = p.log()
        t.true("no longer holds its claim on the store" in log and "on step down, exit 75" in log,
               "and says why (the step-down hooks)")
    finally:
        if p.proc and p.proc.poll() is None:
            p.proc.send_signal(signal.SIGCONT)
        p.cleanup()
        q.cleanup()


def _lock_store(t):
    """A process holding the store's lock on the nodes' table: every lease
    round waits on it. Returns the process (write to its stdin to end)."""
    if t.srv.backend == "sqlite":
        cmd = ["sqlite3", t.srv.db]
        # the CLI does not wait for a busy file by default, and goes on
        # after a failed BEGIN: the lease round writing at that moment made
        # it print 'locked' holding nothing (fresh-check, once)
        sql = ".bail on\n.timeout 10000\nBEGIN IMMEDIATE;\nSELECT 'locked';\n"
    else:
        cmd = ["psql", "-q", "-At", t.srv.db]
        sql = "BEGIN;\nLOCK TABLE cluster_nodes IN ACCESS EXCLUSIVE MODE;\nSELECT 'locked';\n"
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    p.stdin.write(sql)
    p.stdin.flush()
    t.eq(p.stdout.readline().strip(), "locked", "the store's lock is held")
    return p


def test_healthz_answers_from_memory(t):
    """With every lease round stuck on the store's lock, /healthz still
    answers at once (it asks the store nothing: before, it read the nodes'
    table and waited with them), its view ageing; past two rounds and a
    second it says the store does not answer this node, and how long; back
    to ok once the lock goes. /healthz/leader agrees with it throughout."""
    t.srv.stop()
    n = _node(t, "h", **SHORT)
    locker = None
    try:
        n.start()
        h = _health(n).json
        t.true(0 <= h["cluster"].get("view_ms_ago", -1) < 2000, f"a fresh view: {h['cluster']}")
        locker = _lock_store(t)
        slowest, ages, last = 0.0, [], None
        t_end = time.time() + 4.5
        while time.time() < t_end:
            t0 = time.time()
            r = _health(n)
            slowest = max(slowest, time.time() - t0)
            ages.append(r.json["cluster"].get("view_ms_ago", 0))
            last = r
            t.eq(_health(n, "/healthz/leader").status, 200, "/healthz/leader: it still leads")
            time.sleep(0.2)
        t.true(slowest < 1.0, f"every /healthz answered within 1 s while the store was locked (slowest {slowest:.2f} s)")
        t.true(ages[-1] > 2500 and ages == sorted(ages), f"its view ages: {ages[0]} .. {ages[-1]} ms")
        t.eq(last.status, 503, "past two rounds and a second: 503")
        t.true("has not answered this node for" in last.json.get("error", ""), f"saying for how long: {last.json}")
        t.eq((last.json["cluster"]["role"], last.json["cluster"]["leader"]), ("leader", "h"), "its role, from memory")
        locker.stdin.write("ROLLBACK;\n")
        locker.stdin.close()
        locker.wait(10)
        locker = None
        t.true(seconds_until(lambda: _health(n).status == 200, 10) is not None, "ok again once the store answers")
        t.true(_health(n).json["cluster"].get("view_ms_ago", 1e9) < 2000, "with a fresh view")
    finally:
        if locker:
            locker.kill()
            locker.wait()
        n.cleanup()


def test_healthz_of_a_cluster_node_asks_the_store_nothing(t):
    """The same on a clustered node, whose /healthz read the nodes' table on
    every call: the lock held for 2 s (under the fence's 60 % of a 10 s
    lease), /healthz answers at once with the nodes of its last round."""
    t.srv.stop()
    n = _node(t, "k", **{"cluster.enabled": "true", "cluster.lease": "10s"})
    locker = None
    try:
        n.start()
        def live(r):
            return [x["node"] for x in r.json["cluster"]["nodes"] if x["role"] != "stopped" and x["seen_ms_ago"] < 5000]

        t.true(seconds_until(lambda: live(_health(n)) == ["k"], 5) is not None, f"k lists itself: {_health(n).json}")
        locker = _lock_store(t)
        slowest, t_end = 0.0, time.time() + 2
        while time.time() < t_end:
            t0 = time.time()
            r = _health(n)
            slowest = max(slowest, time.time() - t0)
            t.eq((r.status, r.json["cluster"]["role"], live(r)), (200, "leader", ["k"]),
                 "/healthz: ok, leading, the nodes of its last round")
            time.sleep(0.2)
        t.true(slowest < 1.0, f"every /healthz answered within 1 s while the store was locked (slowest {slowest:.2f} s)")
        locker.stdin.write("ROLLBACK;\n")
        locker.stdin.close()
        locker.wait(10)
        locker = None
        t.eq(_health(n, "/healthz/leader").status, 200, "k still leads")
    finally:
        if locker:
            locker.kill()
            locker.wait()
        n.cleanup()
