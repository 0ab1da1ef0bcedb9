#!/bin/sh
# bench/events: the event log's cost per call on SQLite and, when
# WASL_BENCH_PG names a database (or PostgreSQL's binaries are installed, in
# which case a throw-away server is started on a Unix socket), on PostgreSQL;
# the peer in the same run is the one-summary-row-per-call writer wasl had
# before the log. Stops by itself.
#
#   bench/events/run.sh [CALLS]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
calls=${1:-20000}
cd "$top"
make -s build/bench/events_bench >/dev/null
./build/bench/events_bench --calls "$calls"
if [ -n "${WASL_BENCH_PG:-}" ]; then
    ./build/bench/events_bench --calls "$calls" --db "$WASL_BENCH_PG" | tail -1
else
    python3 - "$calls" <<'PY'
import os, subprocess, sys
sys.path.insert(0, os.path.join("tests", "lib"))
import pgserver
pg = pgserver.PgServer()
pg.start()
try:
    out = subprocess.run(["./build/bench/events_bench", "--calls", sys.argv[1], "--db", pg.url("wasl_bench_events")],
                         check=True, stdout=subprocess.PIPE, text=True).stdout
    print(out.splitlines()[-1])
finally:
    pg.stop()
PY
fi
