#!/usr/bin/env python3
"""bench/cluster: wasl nodes on one PostgreSQL behind Kamailio, in network
namespaces (tests/cluster/netlab.py), on this machine.

1. Answered calls a second through Kamailio with 1, 2 and 3 nodes: SIPp
   offers short calls (INVITE, 200, ACK, BYE after 0.5 s) at rising rates;
   a step is held when at most 1 % of its calls fail. With the distributor's
   lease only the holder takes calls, so this measures that the standbys
   cost the leader nothing, not a capacity that grows with the nodes.
   The same load straight to the leader, without Kamailio, gives the proxy's
   share.
2. Fail-over: the lease holder killed -9 under probe calls (4 a second),
   `--kills` times; N = seconds until new calls are answered within 1 s
   again (tests/cluster/probe.py). The killed node is restarted each time.

    sudo python3 bench/cluster/run.py [--binary build/wasl] [--rates 100,200,400] [--kills 5] [--quick]

Needs root (ip netns), sipp, kamailio, PostgreSQL. Markdown on stdout and in
build/bench/cluster/results.md.
"""
import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests", "cluster"))
from netlab import wait_until  # noqa: E402

# tests/cluster/run.py by its path: "run" is also this file's name
_spec = importlib.util.spec_from_file_location("cluster_test", os.path.join(TOP, "tests", "cluster", "run.py"))
cluster_test = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cluster_test)


def step(c, name, rate, seconds, target=None):
    """SIPp at rate calls/s for seconds through Kamailio (or straight to
    target, a node); returns (ok, failed, answered calls/s)."""
    calls = int(rate * seconds)
    if target is None:
        s = c.sipp(name, calls=calls, rate=rate, hold_ms=500, limit=max(200, rate * 3), timeout=int(seconds * 3 + 30))
    else:
        s = direct_sipp(c, name + "-direct", target, calls, rate, seconds)
    t0 = time.time()
    res = s.wait()
    took = time.time() - t0
    ok, failed = res["ok"] or 0, res["failed"] or 0
    return ok, failed, ok / max(took - 0.5, 0.001), took


def direct_sipp(c, name, node, calls, rate, seconds):
    d = os.path.join(c.lab.work, "sipp-" + name)
    os.makedirs(d, exist_ok=True)
    cmd = ["sipp", f"{node.ip}:{node.sip_port}", "-sf", cluster_test.SCENARIO, "-s", cluster_test.DID, "-i",
           c.callers_ip, "-p", "5072", "-mi", c.callers_ip, "-mp", "18000", "-m", str(calls), "-r", str(rate), "-l",
           str(max(200, rate * 3)), "-d", "500", "-nostdin", "-timeout", f"{int(seconds * 3 + 30)}s", "-timeout_error",
           "-trace_stat", "-stf", "stat.csv", "-fd", "1", "-trace_err", "-error_file", "err.log", "-max_socket", "1024"]
    out = open(os.path.join(d, "stdout.log"), "w")  # noqa: SIM115 - closed in Sipp.wait
    p = c.lab.spawn(c.callers_ns, cmd, cwd=d, stdout=out, stderr=subprocess.STDOUT)
    return cluster_test.Sipp(p, d, out, int(seconds * 3 + 30))


def capacity(binary, nodes, rates, seconds, direct):
    rows = []
    c = cluster_test.Cluster(binary, nodes, kam_defines=["TRUNK_CPS=1000000", "KAM_CHILDREN=4"],
                              direct_calls=direct, kam_shm_mb=256)
    try:
        if not c.serving(40):
            raise RuntimeError("the dispatcher did not settle")
        leader = c.leader() or c.nodes[0]
        for r in rates:
            ok, failed, cps, took = step(c, f"n{nodes}-r{r}", r, seconds)
            rows.append((nodes, "Kamailio", r, ok, failed, cps, os.getloadavg()[0]))
            print(f"  {nodes} node(s), through Kamailio, {r}/s offered: {ok} ok, {failed} failed, {cps:.0f} answered/s",
                  flush=True)
            if direct:
                ok, failed, cps, took = step(c, f"n{nodes}-r{r}", r, seconds, target=leader)
                rows.append((nodes, "straight to the leader", r, ok, failed, cps, os.getloadavg()[0]))
                print(f"  {nodes} node(s), straight to the leader, {r}/s offered: {ok} ok, {failed} failed, "
                      f"{cps:.0f} answered/s", flush=True)
    finally:
        c.close()
    return rows


def failover(binary, kills):
    out = []
    c = cluster_test.Cluster(binary, 3)
    try:
        for k in range(kills):
            if not c.serving(40):
                raise RuntimeError("the dispatcher did not settle")
            victim = c.leader() or c.nodes[0]
            p, t_kill, _ = cluster_test.kill_under_load(c, victim, seconds=16, before=3)
            n = p.recovery(t_kill)
            out.append(n)
            print(f"  kill {k + 1}: {victim.name} killed, N = {n if n is None else round(n, 1)} s", flush=True)
            victim.start()
            wait_until(lambda: victim.cluster() is not None, 10)
    finally:
        c.close()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", default=os.path.join(TOP, "build", "wasl"))
    ap.add_argument("--rates", default="100,200,400")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--kills", type=int, default=5)
    ap.add_argument("--nodes", default="1,2,3", help="the node counts of the capacity steps")
    ap.add_argument("--quick", action="store_true", help="rates 100,200, 5 s steps, 2 kills")
    a = ap.parse_args()
    if a.quick:
        a.rates, a.seconds, a.kills = "100,200", 5, 2
    rates = [int(x) for x in a.rates.split(",")]
    print("capacity:", flush=True)
    rows = []
    for n in [int(x) for x in a.nodes.split(",")]:
        rows += capacity(a.binary, n, rates, a.seconds, direct=(n == 1))
    print("fail-over:", flush=True)
    ns = failover(a.binary, a.kills) if a.kills else []

    md = ["| nodes | path | offered calls/s | answered | failed | answered calls/s | machine's load (1 min) |",
          "|---|---|---|---|---|---|---|"]
    for nodes, path, r, ok, failed, cps, load in rows:
        md.append(f"| {nodes} | {path} | {r} | {ok} | {failed} | {cps:.0f} | {load:.1f} |")
    good = [x for x in ns if x is not None]
    md.append("")
    md.append(f"Fail-over, kill -9 of the lease holder ({len(ns)} kills, cluster.lease 5 s): N = "
              + ", ".join("never" if x is None else f"{x:.1f}" for x in ns) + " s"
              + (f"; median {statistics.median(good):.1f} s, max {max(good):.1f} s" if good else ""))
    text = "\n".join(md)
    print(text)
    os.makedirs(os.path.join(TOP, "build", "bench", "cluster"), exist_ok=True)
    with open(os.path.join(TOP, "build", "bench", "cluster", "results.md"), "w") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main()
