#!/bin/sh
# make install, checked as an operator would find it: `make install DESTDIR=<tmp>`,
# then the installed program with the installed settings (its paths moved under
# DESTDIR) initialises a database and serves the installed web UI. Speaks TAP.
#   sh tests/install/run.sh        (from the top of the tree, after `make`)
set -u
cd "$(dirname "$0")/../.." || exit 1
n=0
fails=0
ok() {
    n=$((n + 1))
    echo "ok $n - $1"
}
not_ok() {
    n=$((n + 1))
    fails=$((fails + 1))
    echo "not ok $n - $1"
}
check() { # check DESCRIPTION COMMAND...
    what=$1
    shift
    if "$@" >"$tmp/out" 2>&1; then ok "$what"; else
        not_ok "$what"
        sed 's/^/# /' "$tmp/out" | tail -n 20
    fi
}

tmp=$(mktemp -d)
dest=$tmp/dest
state=$tmp/state
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$state"

prefix=/usr/local
check "make install DESTDIR=... succeeds" make -s install DESTDIR="$dest"
bin=$dest$prefix/sbin/wasl
share=$dest$prefix/share/wasl
conf=$dest/etc/wasl/wasl.conf
missing=""
for f in "$bin" "$share/web/index.html" "$share/web/vendor/chart.js/chart.js" "$share/data/ivr/main.json" "$share/prompts/fr" "$conf" \
    "$dest$prefix/share/man/man8/wasl.8" "$dest$prefix/share/man/man5/wasl.conf.5" \
    "$dest$prefix/lib/systemd/system/wasl.service" "$dest$prefix/lib/sysusers.d/wasl.conf" "$dest/var/lib/wasl"; do
    [ -e "$f" ] || missing="$missing ${f#"$dest"}"
done
if [ -z "$missing" ]; then ok "program, web UI (with its charting library), data, prompts, manual pages, unit and settings are installed"; else
    not_ok "installed files are missing:$missing"
fi

# The settings file is written once: a second install keeps an edited one.
echo "# edited by the operator" >>"$conf"
make -s install DESTDIR="$dest" >/dev/null 2>&1
if grep -q "edited by the operator" "$conf" && [ -e "$conf.example" ]; then
    ok "a second install keeps the edited settings file and writes wasl.conf.example beside it"
else
    not_ok "a second install overwrote /etc/wasl/wasl.conf or wrote no example"
fi

check "the installed settings file passes wasl config check" "$bin" config check "$conf"
if grep -q "^ExecStart=$prefix/sbin/wasl --config /etc/wasl/wasl.conf serve" "$dest$prefix/lib/systemd/system/wasl.service"; then
    ok "the unit starts the installed program with the installed settings"
else
    not_ok "the unit's ExecStart does not name $prefix/sbin/wasl and /etc/wasl/wasl.conf"
fi

if command -v systemd-analyze >/dev/null 2>&1; then
    # verify wants the program at the path the unit names: point it into DESTDIR.
    mkdir -p "$tmp/unit"
    sed "s|$prefix/sbin/wasl|$bin|" "$dest$prefix/lib/systemd/system/wasl.service" >"$tmp/unit/wasl.service"
    check "systemd-analyze verify accepts wasl.service" systemd-analyze verify --man=no "$tmp/unit/wasl.service"
else
    ok "systemd-analyze verify accepts wasl.service # SKIP systemd-analyze is not installed"
fi

for page in man8/wasl.8 man5/wasl.conf.5; do
    f=$dest$prefix/share/man/$page
    if groff -man -ww -z "$f" >"$tmp/out" 2>&1 && [ ! -s "$tmp/out" ] && MANWIDTH=80 man -l "$f" 2>/dev/null | grep -q "SEE ALSO"; then
        ok "$page renders without warnings"
    else
        not_ok "$page does not render cleanly"
        sed 's/^/# /' "$tmp/out" | head -n 10
    fi
done
if MANWIDTH=200 man -l "$dest$prefix/share/man/man5/wasl.conf.5" 2>/dev/null | grep -q "sip.port" &&
    [ "$(MANWIDTH=200 man -l "$dest$prefix/share/man/man5/wasl.conf.5" 2>/dev/null | grep -cE '^ {7}[a-z_]+\.[a-z_]+$')" -eq \
        "$("$bin" help config | grep -cE '^  [a-z_]+ ')" ]; then
    ok "wasl.conf(5) lists every setting of wasl help config"
else
    not_ok "wasl.conf(5) and wasl help config disagree on the settings"
fi

# The installed settings name the final paths (/usr/local/..., /var/lib/wasl); here they
# are moved under DESTDIR and the temporary state folder.
sed -e "s|= $prefix/|= $dest$prefix/|" -e "s|= /var/lib/wasl|= $state|" "$conf" >"$tmp/wasl.conf"
# free for UDP and TCP both (wasl listens on both), and under the kernel's ephemeral range
# (32768-) so that no outgoing connection of another program takes it meanwhile
sip_port=$(python3 -c '
import random, socket
for _ in range(500):
    p = random.randrange(20000, 32000)
    try:
        for k in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
            with socket.socket(socket.AF_INET, k) as s:
                s.bind(("127.0.0.1", p))
    except OSError:
        continue
    print(p)
    break
')
w() {
    "$bin" --config "$tmp/wasl.conf" --set http.port=0 --set sip.port="$sip_port" --set sip.realtime_priority=0 "$@"
}
check "the installed program creates a database with the installed settings (wasl init)" w init
if [ -e "$state/wasl.db" ] && [ -e "$state/wasl.key" ] && [ -e "$state/wasl-audit.key" ]; then
    ok "the database and the key files are in the state folder"
else
    not_ok "no wasl.db, wasl.key and wasl-audit.key in the state folder: $(ls "$state")"
fi

(cd "$tmp" && exec "$bin" --config "$tmp/wasl.conf" --set http.port=0 --set sip.port="$sip_port" \
    --set sip.realtime_priority=0 serve) >"$tmp/serve.log" 2>&1 &
pid=$!
port=""
for _ in $(seq 1 100); do
    port=$(sed -n 's/.*http: listening on 127.0.0.1 port \([0-9]*\).*/\1/p' "$tmp/serve.log" | head -n 1)
    [ -n "$port" ] && grep -q "tel: listening" "$tmp/serve.log" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
done
if [ -n "$port" ] && curl -fsS -o "$tmp/index.html" "http://127.0.0.1:$port/" && cmp -s "$tmp/index.html" "$share/web/index.html"; then
    ok "the installed server answers GET / with the installed web UI"
else
    not_ok "the installed server does not serve the installed web UI"
    sed 's/^/# /' "$tmp/serve.log" | tail -n 20
fi
if grep -q "web UI from $share/web" "$tmp/serve.log" && grep -q "tel: listening on sip:127.0.0.1:$sip_port" "$tmp/serve.log"; then
    ok "it took web/ from the installed share folder and listens for SIP on the configured port"
else
    not_ok "it did not use the installed web/ or did not listen for SIP"
    grep -E "web UI|tel:" "$tmp/serve.log" | sed 's/^/# /'
fi
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
pid=""
# Each log line is a whole message (journald reads one entry per line).
if grep -qvE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z (DEBUG|INFO |WARN |ERROR) |^wasl is running|^  |^Press Ctrl-C' "$tmp/serve.log"; then
    not_ok "a log line is not a whole message"
    grep -vE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z (DEBUG|INFO |WARN |ERROR) |^wasl is running|^  |^Press Ctrl-C' "$tmp/serve.log" | head -n 5 | sed 's/^/# /'
else
    ok "every log line of serve is one timestamped message"
fi

echo "1..$n"
[ "$fails" -eq 0 ]
