#!/bin/sh
# bench/acd: routing decisions per second of the distributor in-process
# (build/bench/acd_bench), every agent busy and WAITING callers in line; the
# first distributor (src/acd at FIRST, 7 language queues with linear scans)
# is built from git and run at the same load as the peer. Prints a Markdown
# table.
#
#   bench/acd/run.sh [AGENTS] [WAITING] [SECONDS]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
agents=${1:-1000}
waiting=${2:-10000}
secs=${3:-3}
first=${FIRST:-907ae61}
work=$(mktemp -d /tmp/wasl-bench-acd.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
cd "$top"
make -s build/bench/acd_bench >/dev/null

# The first distributor, as it was, with the same driver (-DACD_OLD).
mkdir -p "$work/acd"
git show "$first:src/acd/acd.h" >"$work/acd/acd.h"
git show "$first:src/acd/acd.c" >"$work/acd/acd.c"
${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -DACD_OLD -I"$work" -Isrc -o "$work/acd_bench_old" \
    bench/acd/acd_bench.c "$work/acd/acd.c" build/libwasl.a -lm

run() { "$@" --agents "$agents" --waiting "$waiting" --seconds "$secs"; }
echo "| distributor | queues | strategy | agents | waiting | decisions/s | ns/cycle | offers per 100 cycles |"
echo "|---|---|---|---:|---:|---:|---:|---:|"
run "$work/acd_bench_old"
run ./build/bench/acd_bench --queues languages --strategy longest_idle
for s in longest_idle fewest_calls round_robin best_proficiency; do
    run ./build/bench/acd_bench --queues services --strategy "$s"
done
echo
echo "A cycle: an agent's call ends (a decision offers it the longest-waiting caller it may take), it answers, a new"
echo "caller arrives (a decision: nobody is free). acd_tick runs every 1,024 cycles. In-process, one thread;"
echo "decisions/s counts the offers only (the arrivals that find nobody free are not counted)."
echo
echo "## From an agent freed to the INVITE on the wire (bench/acd/wire.py)"
echo
make -s build/wasl >/dev/null
python3 bench/acd/wire.py "${WIRE_ROUNDS:-200}"
