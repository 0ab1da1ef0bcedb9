#!/bin/sh
# bench/sim: simulated calls per second of `wasl simulate` (src/sim with the
# real distributor), one thread, on the example day of data/sim/day.json
# (about 3,800 calls over seven language queues, 60 agents) and on the same
# day scaled to about 100,000 calls and 1,560 agents. Prints a Markdown table.
#
#   bench/sim/run.sh [DAYS]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
days=${1:-100}
work=$(mktemp -d /tmp/wasl-bench-sim.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
cd "$top"
make -s build/wasl >/dev/null

# the example day times 26: calls and agents alike
python3 - data/sim/day.json "$work/big.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for l in d["languages"].values():
    l["calls"] = [c * 26 for c in l["calls"]]
for g in d["agents"]:
    g["count"] *= 26
json.dump(d, open(sys.argv[2], "w"))
PY

run() { # name file days
    ./build/wasl simulate "$2" --days "$3" --json >"$work/out.json"
    python3 - "$1" "$3" "$work/out.json" <<'PY'
import json, sys
name, days, o = sys.argv[1], int(sys.argv[2]), json.load(open(sys.argv[3]))
calls, secs = o["total"]["offered"], o["seconds"]
print(f"| {name} | {days} | {calls // days:,} | {calls:,} | {o['events']:,} | {secs:.2f} | {calls / secs:,.0f} | {o['events'] / secs:,.0f} |")
PY
}
echo "| day | days | calls a day | calls | events | seconds | simulated calls/s | events/s |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
run "example (7 queues, 60 agents)" data/sim/day.json "$days"
run "x26 (7 queues, 1,560 agents)" "$work/big.json" $(( days / 10 > 0 ? days / 10 : 1 ))
