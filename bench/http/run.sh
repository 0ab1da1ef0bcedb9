#!/bin/sh
# bench/http: wrk at 64 connections against wasl (/healthz, which asks the
# store, and an authenticated JSON GET, which checks the session in the store)
# and, in the same run, nginx serving a static JSON file of the same size.
# Prints a Markdown table for BENCHMARKS.md. Loopback only; stops by itself.
#
#   bench/http/run.sh [SECONDS] [CONNECTIONS]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-10}
conns=${2:-64}
work=$(mktemp -d /tmp/wasl-bench-http.XXXXXX)
wasl_pid=""
nginx_pid=""
cleanup() {
    [ -n "$wasl_pid" ] && kill "$wasl_pid" 2>/dev/null || true
    [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null || true
    sleep 0.3
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

make -s -C "$top" build/wasl >/dev/null
wasl="$top/build/wasl"
"$wasl" --db "$work/wasl.db" init --demo >/dev/null 2>&1
wport=$(free_port)
"$wasl" --db "$work/wasl.db" --set http.port="$wport" --set sip.enabled=false --set log.level=warn serve >"$work/wasl.out" 2>"$work/wasl.err" &
wasl_pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$wport/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

cookie=$(curl -s -D - -o "$work/session.json" -H 'Content-Type: application/json' \
    -d '{"login":"agent","password":"agent-demo-2026"}' "http://127.0.0.1:$wport/api/v1/session" |
    sed -n 's/^Set-Cookie: \(wasl_session=[0-9a-f]*\).*/\1/p')
curl -s -H "Cookie: $cookie" "http://127.0.0.1:$wport/api/v1/session" >"$work/body.json"
size=$(wc -c <"$work/body.json")

# nginx: same machine, same client, a static file of the same size.
mkdir -p "$work/nginx/www" "$work/nginx/tmp"
chmod 755 "$work"
cp "$work/body.json" "$work/nginx/www/session.json"
nport=$(free_port)
cat >"$work/nginx/nginx.conf" <<NGX
worker_processes auto;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $work/nginx/tmp;
    proxy_temp_path $work/nginx/tmp;
    fastcgi_temp_path $work/nginx/tmp;
    uwsgi_temp_path $work/nginx/tmp;
    scgi_temp_path $work/nginx/tmp;
    server {
        listen 127.0.0.1:$nport;
        location / { root $work/nginx/www; default_type application/json; }
    }
}
NGX
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" &
nginx_pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$nport/session.json" >/dev/null 2>&1 && break; sleep 0.1; done

run() { # name url [header]
    if [ -n "${3:-}" ]; then
        wrk -t2 -c"$conns" -d"${secs}s" --latency -H "$3" "$2" >"$work/$1.txt"
    else
        wrk -t2 -c"$conns" -d"${secs}s" --latency "$2" >"$work/$1.txt"
    fi
    rps=$(awk '/^Requests\/sec/ {print $2}' "$work/$1.txt")
    p99=$(awk '$1 == "99%" {print $2}' "$work/$1.txt")
    errs=$(awk '/Non-2xx|Socket errors/ {print}' "$work/$1.txt" | tr '\n' ' ')
    echo "$1 $rps $p99 $errs"
}

echo "# bench/http: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, wrk -t2 -c$conns -d${secs}s, body $size bytes" >&2
n=$(run nginx "http://127.0.0.1:$nport/session.json")
h=$(run healthz "http://127.0.0.1:$wport/healthz")
a=$(run session "http://127.0.0.1:$wport/api/v1/session" "Cookie: $cookie")
n2=$(run nginx2 "http://127.0.0.1:$nport/session.json")

python3 - "$n" "$h" "$a" "$n2" "$size" "$conns" "$secs" <<'PY'
import sys
rows = [r.split(" ", 3) for r in sys.argv[1:5]]
size, conns, secs = sys.argv[5:8]
nginx = (float(rows[0][1]) + float(rows[3][1])) / 2
print(f"| target | req/s | p99 latency | ratio to nginx | notes |")
print(f"|---|---|---|---|---|")
labels = {"nginx": "nginx, static JSON file (first run)", "nginx2": "nginx, static JSON file (last run)",
          "healthz": "wasl `GET /healthz` (store ping)", "session": f"wasl `GET /api/v1/session` (session check, {size} B JSON)"}
for name, rps, p99, *rest in rows:
    ratio = float(rps) / nginx
    print(f"| {labels[name]} | {float(rps):,.0f} | {p99} | {ratio:.2f} | {rest[0].strip() if rest else ''} |")
PY
