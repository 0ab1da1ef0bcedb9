#!/usr/bin/env python3
"""PostgreSQL fail-over under load: a primary with a synchronous streaming
replica, wasl given a URL naming both (postgresql://postgres@A,B/db); API
writers create cases; the primary goes (kill -9 of its postmaster, a clean
stop, or fenced off read-only while it keeps running), the replica is
promoted with pg_ctl promote (what Patroni does for us in production), and:

- while no primary answers, requests get a clean 503 (store.unavailable or
  store.outcome_unknown, never a database's words) and /healthz says 503;
- wasl writes to the new primary by itself, within a bound (measured);
- every case acknowledged with a 201, before or during the switch, is on the
  new primary; nothing else is (synchronous replication is what makes the
  first true after a crash);
- /healthz answers 200 again, and the store's outage is logged once, with
  its end;
- the old primary comes back as a standby of the new one (pg_rewind -R, as
  Patroni rejoins a former leader), never as a second primary: wasl keeps
  writing to the new primary, and the old one receives those writes.

    python3 tests/outage/promotion.py --binary build/asan/wasl [kill] [stop] [fence]

Output is TAP.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "tests", "lib"))
import patronilab  # noqa: E402
from run import TAP, api_status, common_checks, end_run, pgserver, siptest, start_loaded, stop_checks, wait_for  # noqa: E402

# Seconds within which wasl must write again once the replica is promoted.
BOUND_S = 10
# The leader key's time to live in the Patroni scenario (the sample's 30 s, shortened).
PATRONI_TTL = 20
HOW = {
    "kill": "the primary's postmaster killed (kill -9)",
    "stop": "the primary stopped cleanly (fast shutdown)",
    "fence": "the primary fenced off read-only, still running",
    "patroni": "Patroni and etcd: the leader's machine lost",
}


def metric(srv, name):
    r = siptest.harness.Client(srv).get("/metrics")
    for line in r.body.splitlines():
        if line.startswith(name + " "):
            return line.split()[1]
    return None


def patroni_config():
    """The reference Patroni configuration is one Patroni accepts."""
    path = os.path.join(os.path.dirname(os.path.dirname(HERE)), "deploy", "patroni", "patroni.yml")
    try:
        r = subprocess.run(["patroni", "--validate-config", path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=60)
        ok, out = r.returncode == 0 and "Traceback" not in r.stdout, r.stdout
    except OSError as e:
        ok, out = False, f"{e} (scripts/deps.sh test installs patroni)"
    TAP.emit(ok, "deploy/patroni/patroni.yml passes patroni --validate-config", [] if ok else out.splitlines()[-10:],
             None)


def final_checks(t, srv, w, label, new_primary):
    """The outage suite's checks (every acknowledged case stored once, clean
    errors, the outage logged once, a clean stop), read on the new primary."""
    w.join()
    srv.db = new_primary
    common_checks(t, srv, w, label, "store.unavailable")
    stop_checks(t, srv, label)


def stop_wasl(srv, w):
    if w:
        w.join()
    if srv:
        srv.stop()


def scenario(binary, work, how, timings):
    label = f"promotion/{how}"
    a = pgserver.PgServer(pgserver.PRIMARY)
    b = pgserver.PgServer()
    srv = w = None
    try:
        a.start()
        b.start_replica(a)
        if not a.wait_sync():
            raise RuntimeError("the replica did not become synchronous within 30 s")
        a.createdb("wasl_ha")  # after: a commit on the primary waits for its synchronous standby
        # No target_session_attrs in the URL: wasl asks for a read-write server itself.
        url = f"postgresql://postgres@127.0.0.1:{a.port},127.0.0.1:{b.port}/wasl_ha"
        srv, t, w = start_loaded(f"promo-{how}", binary, work, url, "p" + how[0], label)
        with t.sub(f"[{label}] before the switch: wasl writes to the primary, the replica is synchronous"):
            t.eq(a.sql("SELECT sync_state FROM pg_stat_replication"), "sync", "the replica's sync_state")
            t.check(a.sql("SELECT count(*) FROM cases", "wasl_ha") != "0", "cases on the primary")
            t.eq(api_status(srv), 200, "/healthz")

        t_stop = time.time()
        if how == "kill":
            a.kill9()
        elif how == "stop":
            a.halt()
        else:
            a.fence()
        with t.sub(f"[{label}] {HOW[how]}: writes get a clean 503 and /healthz says 503 until a primary is back"):
            t.check(w.first_503.wait(30), "a clean 503 within 30 s of the switch")
            t.eq(api_status(srv), 503, "/healthz while only a standby answers")
            t.eq(metric(srv, "wasl_store_up"), "0", "wasl_store_up")

        n_promote = w.count()
        t_promote = time.time()
        b.promote()
        t_promoted = time.time()
        back = wait_for(lambda: w.count() > n_promote, 30, 0.01)
        first_201 = time.time()
        healthy = wait_for(lambda: api_status(srv) == 200, 10)
        since_promote, since_stop = first_201 - t_promote, first_201 - t_stop
        timings.append((how, t_promoted - t_promote, since_promote, since_stop))
        with t.sub(f"[{label}] wasl writes to the promoted replica by itself within {BOUND_S} s, "
                   "and /healthz says the store is back"):
            t.note(f"first 201 {since_promote:.2f} s after pg_ctl promote was started (which took "
                   f"{t_promoted - t_promote:.2f} s), {since_stop:.2f} s after the primary went (the test waited for "
                   "503s first)")
            t.check(back and since_promote < BOUND_S, f"a 201 within {BOUND_S} s of the promotion")
            t.check(healthy, "/healthz 200 within 10 s")
            t.eq(metric(srv, "wasl_store_up"), "1", "wasl_store_up")
            t.check(not b.in_recovery(), "the replica is the primary now")

        if how == "fence":
            a.halt()  # a fenced primary is then stopped and rewound like the others
        a.rejoin(b)
        n_rejoin = w.count()
        with t.sub(f"[{label}] the old primary comes back as a standby of the new one, never as a second primary"):
            t.eq((a.in_recovery(), b.in_recovery()), (True, False), "(old primary, new primary) in recovery")
            t.check(wait_for(lambda: w.count() >= n_rejoin + 20, 30), "20 more cases acknowledged after the rejoin")
            last = w.acked[-1]
            t.check(wait_for(lambda: a.sql(f"SELECT count(*) FROM cases WHERE reference = '{last}'", "wasl_ha") == "1",
                             20), "the last case written reached the old primary by replication")
            t.eq(b.sql("SELECT count(*) FROM pg_stat_replication"), "1", "standbys streaming from the new primary")
        final_checks(t, srv, w, label, f"postgresql://postgres@127.0.0.1:{b.port}/wasl_ha")
    finally:
        stop_wasl(srv, w)
        a.stop()
        b.stop()


def scenario_patroni(binary, work, timings):
    """The reference setup itself: etcd, and two nodes each run by Patroni
    from deploy/patroni/patroni.yml (loopback addresses, watchdog off, ttl
    20 s); the leader's machine lost (Patroni and PostgreSQL killed -9), then
    back."""
    label = "promotion/patroni"
    lab = patronilab.Lab(ttl=PATRONI_TTL)
    srv = w = None
    try:
        lab.start_etcd()
        lab.start_node("n1")
        if not wait_for(lambda: lab.role("n1") == "primary", 90, 0.2):
            raise RuntimeError("Patroni did not bootstrap n1 within 90 s: " + lab.log("n1")[-1500:])
        lab.start_node("n2")
        if not wait_for(lambda: lab.role("n2") == "replica" and lab.is_sync("n2"), 90, 0.2):
            raise RuntimeError("n2 did not become n1's synchronous standby within 90 s: " + lab.log("n2")[-1500:])
        lab.sql("n1", "CREATE DATABASE wasl_ha")
        srv, t, w = start_loaded("promo-patroni", binary, work, lab.url("wasl_ha"), "pp", label)
        with t.sub(f"[{label}] Patroni runs deploy/patroni/patroni.yml: n1 leads, n2 is its synchronous standby"):
            roles = {m["name"]: m["role"] for m in (lab.cluster() or {}).get("members", [])}
            t.eq(roles, {"n1": "leader", "n2": "sync_standby"}, "patronictl's roles")
            t.eq(lab.sql("n1", "SHOW synchronous_standby_names"), "n2", "set by Patroni")

        t_loss = time.time()
        lab.lose_machine("n1")
        with t.sub(f"[{label}] the leader's machine lost: clean 503s and /healthz 503 while no primary answers"):
            t.check(w.first_503.wait(30), "a clean 503 within 30 s")
            t.eq(api_status(srv), 503, "/healthz")
        n_loss = w.count()
        bound = PATRONI_TTL + 15
        back = wait_for(lambda: w.count() > n_loss, bound + 30, 0.05)
        took = time.time() - t_loss
        timings.append(("patroni", None, None, took))
        with t.sub(f"[{label}] Patroni promotes n2 once the leader key expires (ttl {PATRONI_TTL} s), and wasl "
                   f"writes to it by itself: within {bound} s of the loss"):
            t.note(f"first case saved {took:.1f} s after the leader's machine was lost")
            t.check(back and took < bound, f"a 201 within {bound} s")
            t.eq(lab.role("n2"), "primary", "n2's role")
            t.check(wait_for(lambda: api_status(srv) == 200, 10), "/healthz 200")

        lab.start_node("n1")  # the machine is back: Patroni rewinds it and starts it as a standby
        with t.sub(f"[{label}] the lost machine comes back as a standby of n2 (Patroni, pg_rewind), "
                   "never a second primary"):
            t.check(wait_for(lambda: lab.role("n1") == "replica", 90, 0.2), "n1 is a replica within 90 s")
            t.eq(lab.role("n2"), "primary", "n2's role")
            # Patroni may say "replica" a moment before the server takes connections again (after
            # pg_rewind it restarts it): asked until it answers
            def in_recovery():
                try:
                    return lab.sql("n1", "SELECT pg_is_in_recovery()") == "t"
                except subprocess.CalledProcessError:
                    return False
            t.check(wait_for(in_recovery, 30, 0.2), "n1 takes connections, in recovery")
            t.note("Patroni rewound n1 (running pg_rewind)" if "running pg_rewind" in lab.log("n1")
                   else "n1 needed no rewind")
            n_back = w.count()
            t.check(wait_for(lambda: w.count() >= n_back + 20, 30), "20 more cases acknowledged")
            last = w.acked[-1]
            def replicated():
                try:
                    return lab.sql("n1", f"SELECT count(*) FROM cases WHERE reference = '{last}'", "wasl_ha") == "1"
                except subprocess.CalledProcessError:
                    return False  # Patroni may restart n1's server meanwhile: ask again
            t.check(wait_for(replicated, 30), "the last case reached n1 by replication")
        final_checks(t, srv, w, label, lab.url("wasl_ha", ["n2"]))
    finally:
        stop_wasl(srv, w)
        lab.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="build/asan/wasl")
    ap.add_argument("how", nargs="*", help="kill, stop, fence, patroni (default: all four)")
    a = ap.parse_args()
    if set(a.how) - set(HOW):
        ap.error(f"unknown scenario(s) {sorted(set(a.how) - set(HOW))}; known: {', '.join(HOW)}")
    work = tempfile.mkdtemp(prefix="wasl-promotion-")
    timings = []
    try:
        patroni_config()
        for how in a.how or list(HOW):
            try:
                if how == "patroni":
                    scenario_patroni(a.binary, work, timings)
                else:
                    scenario(a.binary, work, how, timings)
            except Exception as e:  # noqa: BLE001 - a crash of the test is a failure
                TAP.emit(False, f"[promotion/{how}] the scenario could not run: {e}", [], None)
    finally:
        end_run(work)
    for how, promote_s, since_promote, since_stop in timings:
        if promote_s is None:
            print(f"# {how}: first write {since_stop:.1f} s after the leader's machine was lost")
        else:
            print(f"# {how}: first write {since_promote:.2f} s after pg_ctl promote started (promote itself "
                  f"{promote_s:.2f} s)")
    print(f"1..{TAP.n}")
    sys.exit(1 if TAP.failed else 0)


if __name__ == "__main__":
    main()
