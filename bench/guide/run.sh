#!/bin/sh
# bench/guide: the guide search on a generated corpus of 10,000 articles x 7
# languages: in-process latency against plain FTS5 (build/bench/guide_search),
# then over HTTP with wrk at 64 connections on a running wasl, cycling through
# the realistic queries of tests/guide/relevance.csv and their typing prefixes.
# Loopback only; stops by itself.
#
#   bench/guide/run.sh [ARTICLES] [SECONDS]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
articles=${1:-10000}
secs=${2:-15}
work=$(mktemp -d /tmp/wasl-bench-guide.XXXXXX)
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    sleep 0.3
    rm -rf "$work"
}
trap cleanup EXIT INT TERM
cd "$top"
make -s build/wasl build/bench/guide_search >/dev/null

echo "## in-process ($articles articles x 7 languages)"
./build/bench/guide_search --articles "$articles" --queries "${QUERIES:-5000}" --keep "$work/guide.db"

echo
echo "## HTTP, wrk -t2 -c64 -d${secs}s"
printf 'Bench-pass-2026\n' | ./build/wasl --db "$work/guide.db" user add bench --role agent --password-stdin >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
./build/wasl --db "$work/guide.db" --set http.port="$port" --set sip.enabled=false --set log.level=warn serve >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
cookie=$(curl -s -D - -o /dev/null -H 'Content-Type: application/json' -d '{"login":"bench","password":"Bench-pass-2026"}' \
    "http://127.0.0.1:$port/api/v1/session" | sed -n 's/^Set-Cookie: \(wasl_session=[0-9a-f]*\).*/\1/p')
python3 - "$work/queries.txt" <<'PY'
import csv, sys, urllib.parse
out = open(sys.argv[1], "w")
for r in csv.DictReader(l for l in open("tests/guide/relevance.csv", encoding="utf-8") if not l.startswith("#")):
    for q in (r["query"], r["query"][:-2]):
        if q.strip():
            out.write("q=%s&lang=%s\n" % (urllib.parse.quote(q), r["lang"]))
PY
cat >"$work/search.lua" <<'LUA'
local queries = {}
for line in io.lines(os.getenv("QFILE")) do queries[#queries + 1] = line end
local i = 0
request = function()
    i = i + 1
    return wrk.format("GET", "/api/v1/guide/search?log=0&limit=10&" .. queries[(i % #queries) + 1])
end
LUA
QFILE="$work/queries.txt" wrk -t2 -c64 -d"${secs}s" --latency -s "$work/search.lua" -H "Cookie: $cookie" \
    "http://127.0.0.1:$port" >"$work/wrk.txt"
grep -E "Requests/sec|Non-2xx|Socket errors" "$work/wrk.txt" || true
awk '$1 ~ /^(50|90|99)%$/ {print "latency " $1 " " $2}' "$work/wrk.txt"
