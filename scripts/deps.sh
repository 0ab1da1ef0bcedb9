#!/bin/sh
# Installs every Debian and npm package wasl needs to build, run and test.
# Idempotent: a second run installs nothing and takes a second or two.
# Works as root or through sudo; needs only Debian's and npm's registries.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)

# One package per line: build, run, test, benchmark.
PKGS="
build-essential pkg-config clang clang-format libclang-rt-14-dev valgrind
libre-dev librem-dev libmicrohttpd-dev libjansson-dev libsqlite3-dev sqlite3
libpq-dev postgresql postgresql-client libutf8proc-dev libstemmer-dev libcmark-dev
libsodium-dev libinih-dev libcmocka-dev libcurl4-openssl-dev libespeak-ng-dev
tzdata espeak-ng sox curl jq python3
sip-tester baresip-core sipsak sipvicious kamailio
wrk nginx-light chromium afl++ nodejs
"

if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

# tzdata must know Morocco's return to UTC+00 on 2026-09-20 (tzdata 2026c or later).
tzv=$(dpkg-query -W -f='${Version}' tzdata 2>/dev/null || echo 0)
if dpkg --compare-versions "$tzv" lt 2026c; then missing="$missing tzdata"; fi

if [ -n "$missing" ]; then
    echo "deps: installing$missing"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    # shellcheck disable=SC2086
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# Debian starts services on install; wasl's tests run their own PostgreSQL, nginx and
# Kamailio on private ports, so the system copies are not needed.
if command -v npm >/dev/null 2>&1 && [ -f "$top/tests/browser/package.json" ]; then
    if [ ! -d "$top/tests/browser/node_modules/playwright-core" ]; then
        echo "deps: installing npm packages for browser tests"
        (cd "$top/tests/browser" && npm ci --silent --no-audit --no-fund)
    fi
fi
exit 0
