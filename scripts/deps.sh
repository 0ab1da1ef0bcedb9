#!/bin/sh
# Installs the Debian and npm packages wasl needs, by purpose:
#
#   scripts/deps.sh run     build and run (what `make run` needs): compiler, -dev libraries,
#                           tzdata, espeak-ng and sox for the IVR prompts, Node.js and npm with
#                           the npm packages the web UI serves (vendor/package.json: Chart.js)
#   scripts/deps.sh test    run, plus everything `make test` drives: clang and the fuzzer
#                           runtime, cmocka, a PostgreSQL server (and Patroni with etcd,
#                           running deploy/patroni/ in the fail-over test), SIPp, baresip, sipvicious,
#                           Kamailio (and keepalived with sipsak, the floating SIP address of
#                           deploy/keepalived/ in the cluster test), nginx, AFL++, valgrind, Chromium, poppler-utils (the
#                           printed report's pages as images) and the browser tests' npm
#                           packages; man-db and systemd, with which the install test renders
#                           the manual pages and verifies the unit
#   scripts/deps.sh bench   run, plus the benchmarks' load generators (wrk, SIPp, Kamailio, nginx)
#   scripts/deps.sh         all of them
#
# Idempotent: a second run installs nothing and takes a second or two. Works as root
# or through sudo; needs only Debian's and npm's registries. Anything it cannot install
# is an error (exit status 1 and a line saying what), never a silent skip.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)

# One package per line. A "package:command" entry counts as present when the command
# is on PATH (npm comes with some Node.js builds that are not Debian's).
BUILD_PKGS="
build-essential pkg-config
libre-dev librem-dev libmicrohttpd-dev libjansson-dev libsqlite3-dev libpq-dev
libutf8proc-dev libstemmer-dev libcmark-dev libsodium-dev libinih-dev libcurl4-openssl-dev libgnutls28-dev libssl-dev
libxlsxwriter-dev zlib1g-dev libzxcvbn-dev
"
RUN_PKGS="
tzdata espeak-ng sox nodejs npm:npm
"
TEST_PKGS="
clang clang-format libclang-rt-14-dev valgrind libcmocka-dev sqlite3
postgresql postgresql-client patroni etcd-server python3 python3-openpyxl curl jq git ca-certificates openssl
sip-tester baresip-core sipsak sipvicious kamailio keepalived iproute2 nginx-light haproxy afl++
chromium poppler-utils man-db systemd
"
BENCH_PKGS="
python3 curl wrk sip-tester kamailio iproute2 postgresql nginx-light sqlite3 tcpdump linux-perf
"

what=${1:-all}
case $what in
run) PKGS="$BUILD_PKGS $RUN_PKGS" ;;
test) PKGS="$BUILD_PKGS $RUN_PKGS $TEST_PKGS" ;;
bench) PKGS="$BUILD_PKGS $RUN_PKGS $BENCH_PKGS" ;;
all) PKGS="$BUILD_PKGS $RUN_PKGS $TEST_PKGS $BENCH_PKGS" ;;
*)
    echo "usage: scripts/deps.sh [run|test|bench|all]" >&2
    exit 2
    ;;
esac

fail() {
    echo "deps: $*" >&2
    exit 1
}

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    SUDO=""
fi

installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

missing=""
for entry in $PKGS; do
    p=${entry%%:*}
    c=${entry#*:}
    if [ "$c" != "$entry" ] && command -v "$c" >/dev/null 2>&1; then
        continue
    fi
    case " $missing " in *" $p "*) continue ;; esac
    installed "$p" || missing="$missing $p"
done

# tzdata must know Morocco's return to UTC+00 on 2026-09-20 (tzdata 2026c or later).
tzv=$(dpkg-query -W -f='${Version}' tzdata 2>/dev/null || echo 0)
if dpkg --compare-versions "$tzv" lt 2026c; then
    case " $missing " in *" tzdata "*) ;; *) missing="$missing tzdata" ;; esac
fi

if [ -n "$missing" ]; then
    if [ "$(id -u)" -ne 0 ] && [ -z "$SUDO" ]; then
        fail "not root and no sudo: install these Debian packages by hand:$missing"
    fi
    echo "deps: installing$missing"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq || fail "apt-get update failed"
    # shellcheck disable=SC2086
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
        fail "apt-get install failed for:$missing"
    for p in $missing; do
        installed "$p" || fail "$p is still not installed"
    done
    tzv=$(dpkg-query -W -f='${Version}' tzdata 2>/dev/null || echo 0)
    dpkg --compare-versions "$tzv" ge 2026c ||
        fail "tzdata $tzv is older than 2026c (Morocco's 2026 change); enable the bookworm-updates or -security suite"
    # Debian starts a service on install; wasl's tests run their own PostgreSQL, nginx, HAProxy,
    # etcd, Patroni, Kamailio and keepalived on private ports, and a system Kamailio would hold wasl's SIP port 5060.
    # Only what this run installed is stopped, never a service that was there before.
    if [ -d /run/systemd/system ]; then
        for p in $missing; do
            case $p in
            postgresql | nginx-light | kamailio | keepalived | haproxy | etcd-server | patroni)
                s=${p%-light}
                s=${s%-server} # etcd-server's service is etcd
                $SUDO systemctl disable --now "$s" >/dev/null 2>&1 || true
                echo "deps: stopped and disabled the system $s service (the tests start their own)"
                ;;
            esac
        done
    fi
fi

# npm ci in folder $1 (for $2) unless its packages are in and its lock file has not
# changed since (npm writes node_modules/.package-lock.json); $3 names a package it has.
npm_ci() {
    command -v npm >/dev/null 2>&1 || fail "npm is not on PATH after installing it"
    if [ ! -d "$1/node_modules/$3" ] || [ ! -e "$1/node_modules/.package-lock.json" ] ||
        [ -n "$(find "$1/package-lock.json" -newer "$1/node_modules/.package-lock.json")" ]; then
        echo "deps: installing npm packages for $2"
        (cd "$1" && npm ci --loglevel=error --no-audit --no-fund) || fail "npm ci in $1 failed"
    fi
}

case $what in
run | test | all) npm_ci "$top/vendor" "the web UI" chart.js ;;
esac
case $what in
test | all) npm_ci "$top/tests/browser" "browser tests" playwright-core ;;
esac
exit 0
