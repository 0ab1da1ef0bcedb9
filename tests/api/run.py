#!/usr/bin/env python3
"""Runs every tests/api/test_*.py against a real wasl, printing TAP.

    tests/api/run.py --binary build/asan/wasl --backend sqlite
    tests/api/run.py --binary build/asan/wasl --backend postgresql --db postgresql://...

Each file gets a fresh server and database (on PostgreSQL, the database is
emptied between files). A file may set SETTINGS = {...} for its server, or
SQLITE_ONLY = True; a test function may set fn.backends = ("postgresql",).
A test that raises harness.Skip is reported "ok N - ... # SKIP why".
"""
import argparse
import importlib.util
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402


def reset_pg(url):
    """Drops every table so the next file starts from an empty database."""
    sql = ("DO $$ DECLARE r record; BEGIN FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
           "LOOP EXECUTE 'DROP TABLE IF EXISTS ' || quote_ident(r.tablename) || ' CASCADE'; END LOOP; END $$;")
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql], check=True, stdout=subprocess.DEVNULL,
                   env=dict(os.environ, PGOPTIONS="-c client_min_messages=warning"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="build/asan/wasl")
    ap.add_argument("--backend", default="sqlite", choices=["sqlite", "postgresql"])
    ap.add_argument("--db")
    ap.add_argument("only", nargs="*", help="test files or test names to run")
    a = ap.parse_args()

    reg = harness.Registry()
    files = sorted(f for f in os.listdir(HERE) if f.startswith("test_") and f.endswith(".py"))
    for f in files:
        if a.only and not any(o in f for o in a.only) and not any("." in o for o in a.only):
            continue
        spec = importlib.util.spec_from_file_location(f[:-3], os.path.join(HERE, f))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        if getattr(mod, "SQLITE_ONLY", False) and a.backend != "sqlite":
            continue
        tests = [(n, fn) for n, fn in vars(mod).items() if n.startswith("test_") and callable(fn)]
        tests = [(n, fn) for n, fn in tests if not a.only or any(o in f or o in n for o in a.only)]
        tests = [(n, fn) for n, fn in tests if a.backend in getattr(fn, "backends", (a.backend,))]
        if not tests:
            continue
        if a.backend == "postgresql":
            reset_pg(a.db)
        srv = harness.Server(a.binary, backend=a.backend, db_url=a.db if a.backend == "postgresql" else None,
                             settings=getattr(mod, "SETTINGS", None))
        try:
            srv.start()
        except Exception as e:  # noqa: BLE001
            reg.n += 1
            reg.failed += 1
            print(f"not ok {reg.n} - {f}: server did not start")
            print("# " + str(e).replace("\n", "\n# "))
            continue
        print(f"# {f} ({a.backend})", flush=True)
        try:
            for name, fn in tests:
                reg.run(f"{f[:-3]}.{name[5:]} [{a.backend}]", fn, harness.T(srv))
        finally:
            srv.stop()
            log = srv.log()
            for marker in ("AddressSanitizer", "runtime error:", "LeakSanitizer"):
                if marker in log:
                    reg.n += 1
                    reg.failed += 1
                    print(f"not ok {reg.n} - {f}: sanitizer report in the server log")
                    for line in log[log.index(marker) - 200:][:3000].splitlines():
                        print("# " + line)
                    break
            srv.cleanup()
    print(f"1..{reg.n}")
    sys.exit(1 if reg.failed else 0)


if __name__ == "__main__":
    main()
