#!/bin/sh
# make fresh-check: the README's two commands on a truly fresh machine.
#
# Each half gets its own bare Debian 12 root (mmdebstrap --variant=apt: apt and
# the essential packages, nothing else), a git clone of the committed HEAD, and
# then what a newcomer types: `apt-get install make` (git was needed for the clone,
# done from here) and the README's command:
#
#   run   `make run`, until the web UI answers GET / with 200 and the SIP listener
#         answers an OPTIONS over UDP; then the server is stopped
#   test  `make test`, which must exit 0 and end with "N passed, 0 failed"
#
#   FRESH_STEPS="run test"   which halves, in order (default both)
#   FRESH_CACHE=/var/cache/wasl-fresh   where the bare root's tarball is kept and reused
#   FRESH_WORK=/var/tmp/wasl-fresh      where the roots are unpacked (a failed root is kept)
#   FRESH_KEEP=1                        keep the roots even when their half passed
#
# Logs: build/fresh/<half>.log. Needs root (chroot, mount), mmdebstrap, git, python3.
# A chroot shares the host's network: the run half picks free ports for HTTP and SIP
# (WASL_HTTP_PORT, WASL_SIP_PORT); the test suites already pick theirs.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
steps=${FRESH_STEPS:-run test}
cache=${FRESH_CACHE:-/var/cache/wasl-fresh}
work=${FRESH_WORK:-/var/tmp/wasl-fresh}
logs=$top/build/fresh
tarball=$cache/bookworm-apt.tar
RUN_TIMEOUT=${FRESH_RUN_TIMEOUT:-2400}
TEST_TIMEOUT=${FRESH_TEST_TIMEOUT:-7200}

say() {
    echo "fresh-check: $*"
}
die() {
    echo "fresh-check: $*" >&2
    exit 1
}

[ "$(id -u)" -eq 0 ] || die "needs root (chroot and mount); try: sudo make fresh-check"
for c in mmdebstrap git python3 chroot mount setsid; do
    command -v "$c" >/dev/null 2>&1 || die "needs $c on this machine (apt-get install mmdebstrap git python3)"
done
head=$(git -C "$top" rev-parse HEAD) || die "$top is not a git checkout"
if [ -n "$(git -C "$top" status --porcelain --untracked-files=no)" ]; then
    say "note: uncommitted changes are not checked; the roots get HEAD $(git -C "$top" rev-parse --short HEAD)"
fi
mkdir -p "$cache" "$work" "$logs"

# The bare root, made once: later checks unpack the same tarball (delete it to refresh).
if [ ! -s "$tarball" ]; then
    say "making the bare Debian 12 root (mmdebstrap --variant=apt bookworm), kept in $tarball"
    mmdebstrap --variant=apt bookworm "$tarball.tmp.tar" >"$logs/mmdebstrap.log" 2>&1 ||
        die "mmdebstrap failed; see $logs/mmdebstrap.log"
    mv "$tarball.tmp.tar" "$tarball"
fi

# Mounts under a root, deepest first (for unmounting and for the safety check).
mounts_under() {
    awk -v r="$1" '$2 == r || index($2, r "/") == 1 { print $2 }' /proc/self/mounts | sort -r
}

# Processes whose root is this chroot: ours, started by this script.
procs_in() {
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/root" 2>/dev/null)" = "$1" ] && echo "${p#/proc/}"
    done
    return 0
}

teardown() {
    r=$1
    [ -d "$r" ] || return 0
    for sig in TERM KILL; do
        pids=$(procs_in "$r")
        [ -n "$pids" ] || break
        # shellcheck disable=SC2086
        kill -$sig $pids 2>/dev/null || true
        sleep 2
    done
    for m in $(mounts_under "$r"); do
        umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
    done
}

# Removes a root, but never while anything is mounted in it (that would be the host's /dev).
remove_root() {
    r=$1
    [ -d "$r" ] || return 0
    [ -z "$(mounts_under "$r")" ] || die "$r still has mounts; not removing it (umount them by hand)"
    rm -rf --one-file-system "$r"
}

current_root=""
phase=""
cleanup() {
    rc=$?
    if [ -n "$current_root" ]; then
        teardown "$current_root"
    fi
    if [ $rc -ne 0 ] && [ -n "$phase" ]; then
        echo "fresh-check: FAILED while $phase (the error is above)" >&2
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

prepare_root() {
    r=$1
    phase="preparing the root $r (unpacking, mounting, cloning)"
    teardown "$r"
    remove_root "$r"
    mkdir -p "$r"
    tar -C "$r" -xf "$tarball"
    current_root=$r
    # The root a mount point of its own (private), as / is on a machine: `ip netns` (the
    # cluster suite's network namespaces) makes / a slave mount, which needs one.
    mount --bind "$r" "$r"
    mount --make-private "$r"
    mount -t proc proc "$r/proc"
    mount -t sysfs sysfs "$r/sys"
    mount --rbind /dev "$r/dev"
    mount --make-rslave "$r/dev"
    cp /etc/resolv.conf "$r/etc/resolv.conf"
    # Trust anchors this machine's administrator added (a proxy's CA, say) are needed in
    # the root as well to reach npm's registry; ca-certificates picks them up on install.
    for c in /usr/local/share/ca-certificates/*.crt; do
        [ -e "$c" ] || continue
        mkdir -p "$r/usr/local/share/ca-certificates"
        cp "$c" "$r/usr/local/share/ca-certificates/"
    done
    # There is no init in a chroot: a service that a package starts on install would run
    # on the host's network (a system Kamailio on 5060, PostgreSQL on 5432) and outlive
    # the check. On a real machine scripts/deps.sh stops the ones it installed.
    printf '#!/bin/sh\nexit 101\n' >"$r/usr/sbin/policy-rc.d"
    chmod 755 "$r/usr/sbin/policy-rc.d"
    git clone -q --no-local "$top" "$r/root/wasl"
    git -C "$r/root/wasl" checkout -q --detach "$head"
    phase=""
}

# The one thing the README asks for before its two commands (with git, for the clone,
# which is done from here): make itself, which a bare Debian does not have.
install_make() {
    # shellcheck disable=SC2086
    chroot "$1" /usr/bin/env -i $ROOT_ENV DEBIAN_FRONTEND=noninteractive /bin/sh -c \
        'apt-get update -qq && apt-get install -y -qq --no-install-recommends make >/dev/null' >"$2" 2>&1 ||
        {
            say "$3: FAILED: apt-get install make (the README's prerequisite) failed; log $2"
            tail_log "$2"
            return 1
        }
}

# What a newcomer's root login has, and nothing of this shell's environment.
ROOT_ENV="PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb"

free_port() {
    python3 -c '
import socket
while True:
    t = socket.socket(); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", p))
    except OSError:
        continue
    print(p); break'
}

# Prints "200" when GET / answers 200, or what went wrong.
http_check() {
    python3 -c '
import sys, urllib.request
try:
    print(urllib.request.urlopen("http://127.0.0.1:%s/" % sys.argv[1], timeout=3).status)
except Exception as e:
    print(e)' "$1"
}

# Sends a SIP OPTIONS over UDP; prints the status line of the answer, or "no answer".
sip_check() {
    python3 -c '
import socket, sys, uuid
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
me = s.getsockname()[1]
tag, cid = uuid.uuid4().hex[:8], uuid.uuid4().hex
msg = (f"OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\n"
       f"Via: SIP/2.0/UDP 127.0.0.1:{me};branch=z9hG4bK{tag}\r\n"
       "Max-Forwards: 70\r\n"
       f"From: <sip:fresh-check@127.0.0.1:{me}>;tag={tag}\r\n"
       f"To: <sip:127.0.0.1:{port}>\r\n"
       f"Call-ID: {cid}@127.0.0.1\r\n"
       "CSeq: 1 OPTIONS\r\n"
       f"Contact: <sip:fresh-check@127.0.0.1:{me}>\r\n"
       "Accept: application/sdp\r\n"
       "Content-Length: 0\r\n\r\n")
s.settimeout(2)
s.sendto(msg.encode(), ("127.0.0.1", port))
try:
    print(s.recv(65535).decode(errors="replace").split("\r\n")[0])
except OSError:
    print("no answer")' "$1"
}

tail_log() {
    echo "---- last lines of $1"
    tail -n "${2:-25}" "$1" | sed 's/^/    /'
    echo "----"
}

failed=""

check_run() {
    r=$work/run
    log=$logs/run.log
    say "run: unpacking a bare root in $r, cloning $(git -C "$top" rev-parse --short HEAD)"
    prepare_root "$r"
    if ! install_make "$r" "$logs/run-make.log" run; then
        failed="$failed run"
        return 0
    fi
    hp=$(free_port)
    sp=$(free_port)
    while [ "$sp" = "$hp" ]; do sp=$(free_port); done
    say "run: make run (WASL_HTTP_PORT=$hp WASL_SIP_PORT=$sp), log $log"
    t0=$(date +%s)
    # Its own process group (setsid execs chroot, which execs the rest, all as $pid),
    # so make and the server it started stop together.
    # shellcheck disable=SC2086
    (exec setsid chroot "$r" /usr/bin/env -i $ROOT_ENV WASL_HTTP_PORT="$hp" WASL_SIP_PORT="$sp" \
        /bin/sh -c 'cd /root/wasl && exec make run') >"$log" 2>&1 &
    pid=$!
    http="" sip=""
    while :; do
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid" && rc=0 || rc=$?
            say "run: FAILED: make run exited (status $rc) before the server answered; log $log"
            tail_log "$log"
            failed="$failed run"
            return 0
        fi
        if [ $(($(date +%s) - t0)) -gt "$RUN_TIMEOUT" ]; then
            say "run: FAILED: no answer after ${RUN_TIMEOUT}s (GET /: ${http:-nothing}; SIP: ${sip:-nothing}); log $log"
            tail_log "$log"
            kill -TERM "-$pid" 2>/dev/null || true
            failed="$failed run"
            return 0
        fi
        http=$(http_check "$hp")
        [ "$http" = "200" ] && sip=$(sip_check "$sp")
        case $sip in SIP/2.0\ 2*) break ;; esac
        sleep 5
    done
    secs=$(($(date +%s) - t0))
    say "run: ok after ${secs}s: GET http://127.0.0.1:$hp/ answered $http; SIP OPTIONS to udp 127.0.0.1:$sp answered \"$sip\""
    # Stop it the way a user would (Ctrl-C reaches the whole group), then wait for it.
    kill -INT "-$pid" 2>/dev/null || true
    n=0
    while kill -0 "$pid" 2>/dev/null && [ $n -lt 20 ]; do
        sleep 1
        n=$((n + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
        say "run: the server did not stop within 20s of SIGINT; killing it"
        kill -KILL "-$pid" 2>/dev/null || true
    else
        say "run: stopped (SIGINT to process group $pid)"
    fi
    wait "$pid" 2>/dev/null || true
    teardown "$r"
    current_root=""
    [ -n "${FRESH_KEEP:-}" ] || remove_root "$r"
}

check_test() {
    r=$work/test
    log=$logs/test.log
    say "test: unpacking a bare root in $r, cloning $(git -C "$top" rev-parse --short HEAD)"
    prepare_root "$r"
    if ! install_make "$r" "$logs/test-make.log" test; then
        failed="$failed test"
        return 0
    fi
    say "test: make test, log $log (15 to 25 minutes on two cores, after the packages)"
    t0=$(date +%s)
    # shellcheck disable=SC2086
    chroot "$r" /usr/bin/env -i $ROOT_ENV /bin/sh -c "cd /root/wasl && exec timeout $TEST_TIMEOUT make test" \
        >"$log" 2>&1 && rc=0 || rc=$?
    secs=$(($(date +%s) - t0))
    last=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1 || true)
    if [ "$rc" -eq 0 ] && [ -n "$last" ]; then
        say "test: ok after ${secs}s: $last"
        teardown "$r"
        current_root=""
        [ -n "${FRESH_KEEP:-}" ] || remove_root "$r"
    else
        if [ -z "$last" ]; then
            where="before the test runner finished (scripts/deps.sh or tests/run.py)"
        else
            where="in the test run: $last"
        fi
        say "test: FAILED (status $rc after ${secs}s) $where; log $log, per-suite logs in $r/root/wasl/build/test-logs/"
        grep -E '^FAILED ' "$log" | head -n 20 | sed 's/^/    /' || true
        tail_log "$log"
        teardown "$r"
        current_root=""
        failed="$failed test"
    fi
}

for s in $steps; do
    case $s in
    run) check_run ;;
    test) check_test ;;
    *) die "unknown step '$s' in FRESH_STEPS (run, test)" ;;
    esac
done

if [ -n "$failed" ]; then
    say "FAILED:$failed (logs in $logs)"
    exit 1
fi
say "all passed: $steps"
