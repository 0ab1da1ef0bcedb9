#!/usr/bin/env python3
"""The whole test run behind `make test`.

Suites, in order: C format check, build, unit tests (cmocka, ASan+UBSan) on
SQLite and PostgreSQL, API tests against a running wasl on SQLite and on a real
PostgreSQL started here, SIP tests (real SIPp, baresip and sipvicious peers
against wasl over loopback), store outages under load (PostgreSQL stopped for
90 s, a SQLite disk full, a PostgreSQL primary replaced by its promoted
replica), three nodes behind Kamailio in network namespaces (tests/cluster),
fuzz corpus replay, `make install` into a temporary
folder and a start of the installed program, browser tests in Chromium. Every
suite speaks TAP ("ok N - ..." / "not ok N - ..."); this runner counts them and
ends with one line: "N passed, N failed" (followed by ", N skipped" when a
suite reported "ok N - ... # SKIP": a skipped test is not a passed one).

    python3 tests/run.py [SUITE ...]      # default: all suites
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "lib"))
import pgserver  # noqa: E402

TAP = re.compile(r"^\s*(not ok|ok)\b(.*)$")
SKIP = re.compile(r"#\s*SKIP\b", re.I)
totals = {"passed": 0, "failed": 0, "skipped": 0}
failures = []
log_dir = os.path.join(TOP, "build", "test-logs")


def record(suite, ok, what, skipped=False):
    totals["skipped" if skipped and ok else "passed" if ok else "failed"] += 1
    if not ok:
        failures.append(f"{suite}: {what.strip()}")


def run_tap(suite, cmd, env=None, cwd=TOP, timeout=1200):
    """Runs cmd, echoes its output to a log, counts its TAP lines. A command
    that fails without reporting a failed test counts as one failure."""
    t0 = time.time()
    os.makedirs(log_dir, exist_ok=True)
    logf = os.path.join(log_dir, suite.replace("/", "_") + ".log")
    full_env = dict(os.environ)
    full_env.update(env or {})
    seen_fail = False
    n_ok = n_fail = n_skip = 0
    try:
        p = subprocess.run(cmd, cwd=cwd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout, text=True, errors="replace")
        out, rc = p.stdout, p.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        out += f"\n# timed out after {timeout}s\n"
        rc = -1
    with open(logf, "w") as f:
        f.write(out)
    for line in out.splitlines():
        m = TAP.match(line)
        if not m:
            continue
        ok = m.group(1) == "ok"
        skipped = ok and bool(SKIP.search(m.group(2)))
        record(suite, ok, m.group(2), skipped)
        if skipped:
            n_skip += 1
        elif ok:
            n_ok += 1
        else:
            n_fail += 1
            seen_fail = True
    if rc != 0 and not seen_fail:
        record(suite, False, f"exited with status {rc} (see {os.path.relpath(logf, TOP)})")
        n_fail += 1
    status = "ok" if n_fail == 0 else "FAILED"
    skips = f" {n_skip:3d} skipped" if n_skip else ""
    print(f"{suite:<28} {n_ok:4d} passed {n_fail:3d} failed{skips}  {time.time() - t0:6.1f}s  {status}", flush=True)
    for l in [l for l in out.splitlines() if TAP.match(l) and SKIP.search(l)][:10]:
        print("    " + l[:200])
    if n_fail:
        # each failure with the first lines of its diagnostic (what CI shows)
        lines, tail = out.splitlines(), []
        for i, l in enumerate(lines):
            if l.startswith("not ok"):
                tail.append(l)
                tail += [d for d in lines[i + 1:i + 5] if d.startswith("#")][:4]
            elif "ERROR" in l or "Sanitizer" in l:
                tail.append(l)
        for l in tail[:40]:
            print("    " + l[:200])
    return n_fail == 0


def sh(cmd, **kw):
    return subprocess.run(cmd, cwd=TOP, shell=isinstance(cmd, str), **kw)


def suite_format():
    files = subprocess.run("git ls-files '*.c' '*.h'; find src tests bench -name '*.[ch]'", cwd=TOP, shell=True,
                           stdout=subprocess.PIPE, text=True).stdout.split()
    files = sorted(set(f for f in files if os.path.exists(os.path.join(TOP, f))))
    bad = []
    for f in files:
        if sh(["clang-format", "--dry-run", "--Werror", f], stdout=subprocess.DEVNULL,
              stderr=subprocess.DEVNULL).returncode != 0:
            bad.append(f)
    record("format", not bad, "clang-format disagrees with: " + " ".join(bad[:10]))
    print(f"{'format':<28} {len(files) - len(bad):4d} files clean, {len(bad)} not  {'ok' if not bad else 'FAILED'}")
    for f in bad[:10]:
        print("    needs clang-format: " + f)


def suite_build():
    t0 = time.time()
    p = sh(["make", "-j2", "-s", "build/wasl", "build/asan/wasl", "unit-build", "prompts", "web-vendor"], stdout=subprocess.PIPE,
           stderr=subprocess.STDOUT, text=True)
    ok = p.returncode == 0
    record("build", ok, "make failed:\n" + p.stdout[-3000:])
    print(f"{'build':<28} {'ok' if ok else 'FAILED'}  {time.time() - t0:6.1f}s")
    if not ok:
        print(p.stdout[-3000:])
    return ok


def suite_unit(pg_url):
    bins = subprocess.run("make -s unit-list", cwd=TOP, shell=True, stdout=subprocess.PIPE,
                          text=True).stdout.split()
    env = {"CMOCKA_MESSAGE_OUTPUT": "TAP", "WASL_TEST_TZDIR_FAT": "build/tz-fat",
           "WASL_TEST_TZDIR_SLIM": "build/tz-slim", "WASL_TEST_DATA": "data",
           "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0", "UBSAN_OPTIONS": "print_stacktrace=1"}
    for b in bins:
        name = "unit/" + os.path.relpath(b, "build/asan/tests")
        run_tap(name, [b], env=env)
        if pg_url and any(k in b for k in ("store", "auth", "cases", "events", "stats")):
            run_tap(name + "@postgresql", [b], env=dict(env, WASL_TEST_DB=pg_url))


def suite_api(backend, db_url=None):
    cmd = [sys.executable, "tests/api/run.py", "--binary", "build/asan/wasl", "--backend", backend]
    if db_url:
        cmd += ["--db", db_url]
    run_tap(f"api@{backend}", cmd, env={"ASAN_OPTIONS": "detect_leaks=0"})


def suite_sip():
    run_tap("sip", ["python3", "tests/sip/run.py", "--binary", "build/asan/wasl"], timeout=900)


def suite_outage():
    """PostgreSQL stopped under API and SIP load, then a SQLite disk filled:
    wasl must live through both and lose no acknowledged case. Then a
    PostgreSQL primary killed, stopped and fenced off under load, its
    synchronous replica promoted: wasl writes to it by itself."""
    for backend in ("postgresql", "sqlite"):
        run_tap(f"outage@{backend}", ["python3", "tests/outage/run.py", "--binary", "build/asan/wasl", "--backend",
                                      backend], timeout=900)
    run_tap("outage@promotion", ["python3", "tests/outage/promotion.py", "--binary", "build/asan/wasl"], timeout=480)


def suite_cluster():
    """Three wasl nodes on PostgreSQL (a primary and its synchronous replica)
    behind two Kamailio instances with a floating address (deploy/kamailio,
    deploy/keepalived), each in a network namespace of its own: calls through
    the proxy, kill -9 of the active Kamailio, of the lease holder (a caller
    waiting in its queue) and of a standby under load, then of the
    PostgreSQL primary, its replica promoted; every acknowledged case stored
    and mailed once, the figures alike on two nodes (tests/cluster/run.py).
    Needs root for `ip netns`: without it the suite is reported skipped."""
    if os.geteuid() != 0:
        record("cluster", True, "needs root (ip netns)", skipped=True)
        print(f"{'cluster':<28}    0 passed   0 failed   1 skipped  (needs root for ip netns)")
        return
    run_tap("cluster", ["python3", "tests/cluster/run.py", "--binary", "build/wasl"], timeout=420)


def suite_fuzz():
    p = sh(["make", "-j2", "-s", "fuzz-build"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        record("fuzz", False, "building the fuzz targets failed")
        print(p.stdout[-2000:])
        return
    for f in sorted(os.listdir(os.path.join(TOP, "tests", "fuzz"))):
        if not (f.startswith("fuzz_") and f.endswith(".c")):
            continue
        name = f[:-2]
        corpus = os.path.join("tests", "fuzz", "corpus", name)
        t0 = time.time()
        if not os.path.isdir(os.path.join(TOP, corpus)) or not os.listdir(os.path.join(TOP, corpus)):
            record("fuzz", False, f"{name} has no saved corpus in {corpus}")
            print(f"{'fuzz/' + name:<28} no corpus  FAILED")
            continue
        p = sh([os.path.join("build", "fuzz", name), "-runs=0", corpus], stdout=subprocess.PIPE,
               stderr=subprocess.STDOUT, text=True)
        ok = p.returncode == 0
        n = len(os.listdir(os.path.join(TOP, corpus)))
        record("fuzz", ok, f"{name} crashed on its corpus:\n{p.stdout[-1500:]}")
        print(f"{'fuzz/' + name:<28} {n:4d} inputs replayed  {time.time() - t0:6.1f}s  {'ok' if ok else 'FAILED'}")


def suite_install():
    run_tap("install", ["sh", "tests/install/run.sh"], timeout=600)


def browser_own_server(name, script, demo_cases=True, db=False, screenshots=True, timeout=None):
    """A browser test with a wasl of its own (SQLite): its URL, and when asked
    its database file (tests that write events or edit it) and the screenshots' folder."""
    sys.path.insert(0, os.path.join(TOP, "tests", "api"))
    import harness  # noqa: E402
    srv = harness.Server(os.path.join(TOP, "build", "asan", "wasl"), backend="sqlite",
                         settings=None if demo_cases else {"cases.demo_cases": "0"})
    srv.start()
    env = {"WASL_URL": srv.url}
    if db:
        env["WASL_DB"] = srv.db
    if screenshots:
        env["WASL_SCREENSHOTS"] = os.path.join(TOP, "build", "screenshots")
    try:
        run_tap(name, ["node", script], env=env, **({"timeout": timeout} if timeout else {}))
    finally:
        srv.stop()


def suite_browser():
    if not os.path.isdir(os.path.join(TOP, "tests", "browser", "node_modules", "playwright-core")):
        record("browser", False, "playwright-core is not installed (scripts/deps.sh)")
        return
    run_tap("browser/i18n", ["node", "tests/browser/i18n_check.mjs"])
    sys.path.insert(0, os.path.join(TOP, "tests", "api"))
    import harness  # noqa: E402
    srv = harness.Server(os.path.join(TOP, "build", "asan", "wasl"), backend="sqlite")
    srv.start()
    try:
        run_tap("browser", ["node", "tests/browser/run.mjs"],
                env={"WASL_URL": srv.url, "WASL_SCREENSHOTS": os.path.join(TOP, "build", "screenshots")})
    finally:
        srv.stop()
    # An eighth language added as data only (tests/lang): a server on a copy of data/ and web/ with it.
    sys.path.insert(0, os.path.join(TOP, "tests", "lang"))
    import overlay  # noqa: E402
    folder = tempfile.mkdtemp(prefix="wasl-lang-")
    data, web = overlay.build(folder)
    srv = harness.Server(os.path.join(TOP, "build", "asan", "wasl"), backend="sqlite",
                         settings={"paths.data": data, "http.web_root": web, "cases.demo_cases": "0"})
    srv.start()
    try:
        run_tap("browser/languages", ["node", "tests/browser/languages.mjs"], env={"WASL_URL": srv.url})
    finally:
        srv.stop()
        shutil.rmtree(folder, ignore_errors=True)
    # The desk's tests get a server of their own: the tests above change the demo users' passwords and languages.
    browser_own_server("browser/desk", "tests/browser/desk.mjs")
    # The audit page: its own server, whose SQLite file the test edits as an intruder would.
    browser_own_server("browser/audit", "tests/browser/audit.mjs", demo_cases=False, db=True, screenshots=False)
    # The reports page: its own server, into whose SQLite event log the test writes a day of calls.
    browser_own_server("browser/reports", "tests/browser/reports.mjs", demo_cases=False, db=True, timeout=180)
    # The published figures on the portal: its own server (the demo cases), whose event log the test writes calls to.
    browser_own_server("browser/published", "tests/browser/published.mjs", db=True)
    # The figures' pages (procedures, scorecard): a server of its own, the demo's cases.
    browser_own_server("browser/stats_pages", "tests/browser/stats_pages.mjs")
    # The guide's coverage panel, translation queue and cross-references: a server of its own (it publishes an article).
    browser_own_server("browser/guide_coverage", "tests/browser/guide_coverage.mjs", demo_cases=False)
    # Guide briefings: an amendment published, read at the right agents' desks only, acknowledged, seen by supervisors.
    browser_own_server("browser/briefings", "tests/browser/briefings.mjs", demo_cases=False)
    # Staffing: its own server, whose event log the test fills with past Mondays' calls.
    browser_own_server("browser/staffing", "tests/browser/staffing.mjs", demo_cases=False, db=True)
    # Coaching: its own server, whose event log the test fills with a past week's calls of the demo agent.
    browser_own_server("browser/coaching", "tests/browser/coaching.mjs", demo_cases=False, db=True)
    # Voice messages: its own wasl with the telephony on, callers leaving messages, the agent handling them.
    run_tap("browser/messages", ["node", "tests/browser/messages.mjs"],
            env={"WASL_SCREENSHOTS": os.path.join(TOP, "build", "screenshots")}, timeout=180)
    # HTTPS served by wasl itself: its own wasl with a throwaway CA's certificate, Chromium logging in.
    run_tap("browser/https", ["node", "tests/browser/https.mjs"],
            env={"WASL_BINARY": os.path.join(TOP, "build", "asan", "wasl")}, timeout=120)
    # A whole call (SIPp, the IVR, baresip, the desk): it starts its own wasl, phone and caller, and stops them.
    run_tap("browser/wholecall", ["node", "tests/browser/wholecall.mjs"],
            env={"WASL_SCREENSHOTS": os.path.join(TOP, "build", "screenshots")}, timeout=300)
    # The wallboard while SIPp callers wait and give up: its own wasl with the telephony on.
    run_tap("browser/wallboard", ["node", "tests/browser/wallboard.mjs"],
            env={"WASL_SCREENSHOTS": os.path.join(TOP, "build", "screenshots")}, timeout=200)
    # A quality review from the call's selection to the agent's acknowledgement, on a recorded call.
    run_tap("browser/quality", ["node", "tests/browser/quality.mjs"],
            env={"WASL_SCREENSHOTS": os.path.join(TOP, "build", "screenshots")}, timeout=180)
    # The practice line: wasl calls the agent's phone, the page records and scores the call.
    run_tap("browser/practice", ["node", "tests/browser/practice.mjs"],
            env={"WASL_SCREENSHOTS": os.path.join(TOP, "build", "screenshots")}, timeout=150)


def main():
    wanted = sys.argv[1:] or ["format", "build", "unit", "api", "sip", "outage", "cluster", "fuzz", "install", "browser"]
    t0 = time.time()
    print("wasl test run: " + " ".join(wanted), flush=True)
    if "format" in wanted:
        suite_format()
    built = True
    if "build" in wanted or any(s in wanted for s in ("unit", "api", "sip", "outage", "cluster", "install", "browser")):
        built = suite_build()
    pg = None
    if built and any(s in wanted for s in ("unit", "api")):
        try:
            pg = pgserver.PgServer()
            pg.start()
        except Exception as e:  # a missing PostgreSQL is a failure, not a skip
            record("postgresql", False, f"could not start PostgreSQL: {e}")
            print(f"{'postgresql':<28} could not start: {e}  FAILED")
            pg = None
    try:
        if built and "unit" in wanted:
            suite_unit(pg.url("wasl_unit") if pg else None)
        if built and "api" in wanted:
            suite_api("sqlite")
            if pg:
                suite_api("postgresql", pg.url("wasl_api"))
    finally:
        if pg:
            pg.stop()
    if built and "sip" in wanted:
        suite_sip()
    if built and "outage" in wanted:
        suite_outage()
    if built and "cluster" in wanted:
        suite_cluster()
    if "fuzz" in wanted:
        suite_fuzz()
    if built and "install" in wanted:
        suite_install()
    if built and "browser" in wanted:
        suite_browser()
    print(f"\n(logs in build/test-logs/, {time.time() - t0:.0f}s)")
    for f in failures[:40]:
        print("FAILED " + f[:300])
    skipped = f", {totals['skipped']} skipped" if totals["skipped"] else ""
    print(f"{totals['passed']} passed, {totals['failed']} failed{skipped}")
    sys.exit(1 if totals["failed"] else 0)


if __name__ == "__main__":
    main()
