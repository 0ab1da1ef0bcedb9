#!/bin/bash
# bench/sip: SIPp ramps short calls (INVITE, 200, ACK, hold, BYE) into wasl's
# IVR and, in the same run and with the same SIPp load, into Kamailio as a
# stateful proxy in front of a SIPp answerer. For each rate step it records
# calls ok/failed, retransmissions (either side), the answered rate, the
# INVITE->200 time, the target's CPU (utime+stime from /proc) and CPU per
# call; for wasl also the RTP pacing error p99 from /metrics. Then one
# concurrency run holds many calls with media at once on wasl.
# Loopback only; every process it starts is stopped by PID on exit.
#
#   bench/sip/run.sh [--quick] [--targets "wasl kamailio"] [--keep]
#
# Environment overrides (defaults: full run / --quick):
#   RATES="50 100 200 300 400 500" / "100 300"   offered calls/s per ramp step
#   STEP_SECONDS=10 / 5       length of each ramp step (calls = rate x seconds)
#   HOLD_MS=1000              hold of a ramp call (SIPp -d)
#   CONC_CALLS=1000 / 500     calls in the concurrency run
#   CONC_RATE=100             their rate
#   CONC_HOLD_MS=12000 / 6000 their hold; the calls are all up together once
#                             the last is placed (CONC_CALLS / CONC_RATE s)
#   CLOCK_START=2026-11-24T10:00:00Z  wasl's clock.start: a Tuesday, 11:00 in
#                             Casablanca, so the IVR takes the "open" path
#                             every run (empty: the real clock)
#   CONC_TARGETS=wasl         targets of the concurrency run
#   KAM_SHM_MB=256            Kamailio's shared memory (-m); 64 is too small
#                             at 500 calls/s
#   WASL_BIN=path             run this binary as wasl instead of building
#                             build/wasl (make build/wasl)
# Output: Markdown on stdout and in build/bench/sip/results.md; the raw step
# lines in build/bench/sip/steps.tsv; SIPp error logs of failed steps and the
# servers' stderr in build/bench/sip/logs/.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cmdline="bench/sip/run.sh $*"
quick=0
keep=0
targets="wasl kamailio"
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) quick=1 ;;
    --keep) keep=1 ;;
    --targets) targets=${2:?--targets needs a list, e.g. "wasl kamailio"}; shift ;;
    -h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done
if [ "$quick" = 1 ]; then
    RATES=${RATES:-"100 300"}
    STEP_SECONDS=${STEP_SECONDS:-5}
    CONC_CALLS=${CONC_CALLS:-500}
    CONC_HOLD_MS=${CONC_HOLD_MS:-6000}
else
    RATES=${RATES:-"50 100 200 300 400 500"}
    STEP_SECONDS=${STEP_SECONDS:-10}
    CONC_CALLS=${CONC_CALLS:-1000}
    CONC_HOLD_MS=${CONC_HOLD_MS:-12000}
fi
HOLD_MS=${HOLD_MS:-1000}
CONC_RATE=${CONC_RATE:-100}
CONC_TARGETS=${CONC_TARGETS:-wasl}
DID=${DID:-+33800100200}     # France's toll-free number in data/tel/numbers.csv
CLOCK_START=${CLOCK_START-2026-11-24T10:00:00Z}
# Kamailio's shared memory (-m, MB). Every transaction (~10 KB) stays 5 s
# after its call (tm wait timer): at 500 calls/s that is ~5,000 INVITE and
# BYE transactions, and -m 64 ran out ("could not allocate shared memory",
# 500 replies), which measured the setting, not the proxy.
KAM_SHM_MB=${KAM_SHM_MB:-256}

stat="python3 $here/sipstat.py"
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)
outdir="$top/build/bench/sip"
mkdir -p "$outdir/logs"
rm -f "$outdir"/logs/*
work=$(mktemp -d /tmp/wasl-bench-sip.XXXXXX)
steps="$work/steps.tsv"
: >"$steps"
started=""       # PIDs this script started, stopped on exit

log() { echo "# $*" >&2; }

alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

# Stops one process we started and what it started: TERM to it, up to 3 s,
# then TERM to its descendants that are left (listed before, by PID), then
# KILL to any survivor.
descendants() { # pid: its descendants' PIDs, recursively
    ps -e -o pid=,ppid= | awk -v root="$1" '{ parent[$1] = $2 }
        END { n = 1; want[root] = 1; while (n) { n = 0; for (p in parent) if ((parent[p] in want) && !(p in want)) { want[p] = 1; n = 1 } }
              for (p in want) if (p != root) print p }'
}
stop_pid() {
    local pid=$1 kids k
    alive "$pid" || return 0
    kids=$(descendants "$pid" | tr '\n' ' ')
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 30); do alive "$pid" || break; sleep 0.1; done
    for k in $kids; do alive "$k" && kill -TERM "$k" 2>/dev/null; done
    for _ in $(seq 10); do alive "$pid" || break; sleep 0.1; done
    for k in $pid $kids; do alive "$k" && kill -KILL "$k" 2>/dev/null; done
    wait "$pid" 2>/dev/null
    return 0
}

cleanup() {
    # a signal can land inside `IFS='=' read`, whose IFS would stay in force
    local pid IFS=$' \t\n'
    for pid in $started; do stop_pid "$pid"; done
    for f in "$work"/wasl.err "$work"/kamailio.log; do
        [ -s "$f" ] && cp "$f" "$outdir/logs/" 2>/dev/null
    done
    if [ "$keep" = 1 ]; then log "work files kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for c in sipp curl python3; do
    command -v "$c" >/dev/null || { echo "run.sh: $c is missing (scripts/deps.sh installs it)" >&2; exit 1; }
done
# 1000 calls with media need more than 1024 descriptors in wasl
hard=$(ulimit -Hn)
if [ "$hard" = unlimited ] || [ "$hard" -gt 65536 ]; then hard=65536; fi
ulimit -n "$hard" 2>/dev/null

# ---- ports (all chosen free on 127.0.0.1) ----
read -r uac_port uas_port kam_port wasl_sip wasl_http <<<"$($stat ports 5)"
uac_mp=$($stat mediaport)
uas_mp=$((uac_mp + 4))
rtp_min=$($stat rtpblock 4000)
rtp_max=$((rtp_min + 3999))

declare -A tpid tport tstate
for t in $targets; do tstate[$t]="not started"; done

wait_udp() { # port seconds: wait until something listens on udp 127.0.0.1:port
    for _ in $(seq $(($2 * 10))); do
        ss -Hlun "sport = :$1" 2>/dev/null | grep -q . && return 0
        sleep 0.1
    done
    return 1
}

start_wasl() {
    local wasl=${WASL_BIN:-$top/build/wasl}
    if [ -z "${WASL_BIN:-}" ]; then
        log "building wasl (make build/wasl)"
        if ! make -s -C "$top" build/wasl >"$work/make.log" 2>&1; then
            tstate[wasl]="build failed (make build/wasl; logs/make.log)"
            cp "$work/make.log" "$outdir/logs/"
            return 1
        fi
    fi
    # wasl runs in the work dir: relative defaults (data/, build/prompts)
    # point at the repository through links, and nothing lands in the tree.
    mkdir -p "$work/wasl/build"
    ln -s "$top/data" "$work/wasl/data"
    [ -d "$top/build/prompts" ] && ln -s "$top/build/prompts" "$work/wasl/build/prompts"
    local common=(--db "$work/wasl/wasl.db" --set "paths.data=$top/data" --set "cases.key_file=$work/wasl/wasl.key")
    if ! (cd "$work/wasl" && "$wasl" "${common[@]}" init --demo) >"$work/wasl-init.log" 2>&1; then
        tstate[wasl]="wasl init --demo failed: $(tail -1 "$work/wasl-init.log")"
        return 1
    fi
    wasl_cmd=("$wasl" "${common[@]}" --set "http.port=$wasl_http" --set "sip.port=$wasl_sip"
        --set sip.address=127.0.0.1 --set sip.trunks=127.0.0.1
        --set "sip.rtp_min=$rtp_min" --set "sip.rtp_max=$rtp_max" --set log.level=warn)
    [ -n "$CLOCK_START" ] && wasl_cmd+=(--set "clock.start=$CLOCK_START")
    wasl_cmd+=(serve)
    launch_wasl
}

launch_wasl() {
    (cd "$work/wasl" && exec "${wasl_cmd[@]}") >"$work/wasl.out" 2>>"$work/wasl.err" &
    tpid[wasl]=$!
    started="${tpid[wasl]} $started"
    tport[wasl]=$wasl_sip
    for _ in $(seq 100); do
        alive "${tpid[wasl]}" || break
        curl -sf "http://127.0.0.1:$wasl_http/healthz" >/dev/null 2>&1 && break
        sleep 0.1
    done
    if ! alive "${tpid[wasl]}"; then
        tstate[wasl]="wasl serve exited: $(grep -v '^$' "$work/wasl.err" | tail -1)"
        return 1
    fi
    if ! wait_udp "$wasl_sip" 5; then
        tstate[wasl]="wasl runs but nothing listens on udp:127.0.0.1:$wasl_sip"
        return 1
    fi
    tstate[wasl]=up
}

start_kamailio() {
    if ! command -v kamailio >/dev/null; then
        tstate[kamailio]="kamailio is not installed (scripts/deps.sh)"
        return 1
    fi
    mkdir -p "$work/kamailio"
    local defs=(-A "KAM_PORT=$kam_port" -A "UAS_URI=\"sip:127.0.0.1:$uas_port\"")
    if ! kamailio -c -f "$here/kamailio.cfg" "${defs[@]}" >"$work/kamailio-check.log" 2>&1; then
        tstate[kamailio]="kamailio -c failed (logs/kamailio-check.log)"
        cp "$work/kamailio-check.log" "$outdir/logs/"
        return 1
    fi
    kam_cmd=(kamailio -f "$here/kamailio.cfg" -DD -E -m "$KAM_SHM_MB" -M 8 -Y "$work/kamailio" "${defs[@]}")
    launch_kamailio
}

launch_kamailio() {
    "${kam_cmd[@]}" >>"$work/kamailio.log" 2>&1 &
    tpid[kamailio]=$!
    started="${tpid[kamailio]} $started"
    tport[kamailio]=$kam_port
    if ! wait_udp "$kam_port" 10 || ! alive "${tpid[kamailio]}"; then
        tstate[kamailio]="kamailio did not start: $(tail -1 "$work/kamailio.log")"
        return 1
    fi
    sleep 0.5    # let it fork its children
    tstate[kamailio]=up
}

# After a failed step: a fresh target, so that calls SIPp left open (it
# sends no BYE when its -timeout ends them) do not load the next steps.
restart_target() {
    local t=$1 old=${tpid[$1]} p rest=""
    log "$t: restarting after a failed step"
    stop_pid "$old"
    for p in $started; do [ "$p" = "$old" ] || rest="$rest $p"; done
    started=$rest
    sleep 0.5
    case $t in
    wasl) launch_wasl ;;
    kamailio) launch_kamailio ;;
    esac || log "$t: ${tstate[$t]}"
}

cpu_ticks() { $stat cpu "$1" | cut -d' ' -f1; }

# SIPp in DIR under timeout(1), hard limit SECS; its CPU (user+sys, from the
# shell's `times`) goes to DIR/cpu.txt, its output to DIR/out.txt.
#   sipp_in DIR SECS SIPP-ARGS...
sipp_in() {
    local dir=$1 secs=$2
    shift 2
    exec bash -c 'cd "$1" || exit 1; secs=$2; shift 2
        timeout -k 5 "$secs" sipp "$@" >out.txt 2>&1; rc=$?
        times >cpu.txt; exit $rc' sipp_in "$dir" "$secs" "$@"
}
hz=$($stat cpu $$ | cut -d' ' -f3)

snap_metrics() { # target file
    if [ "$1" = wasl ] && [ "${tstate[wasl]:-}" = up ]; then
        curl -s -m 2 "http://127.0.0.1:$wasl_http/metrics" >"$2" 2>/dev/null || : >"$2"
    else
        : >"$2"
    fi
}

# One SIPp run against a target. Prints nothing; appends a line to $steps.
#   run_step TARGET KIND RATE CALLS HOLD_MS
run_step() {
    local t=$1 kind=$2 rate=$3 calls=$4 hold=$5
    local d="$work/$t-$kind-$rate" uas_pid="" rc k v
    mkdir -p "$d/uac" "$d/uas"
    local tmo=$((calls / rate + hold / 1000 + 20))
    if [ "$t" = kamailio ]; then
        sipp_in "$d/uas" $((tmo + 10)) -sf "$here/uas_answer.xml" -i 127.0.0.1 -p "$uas_port" \
            -mi 127.0.0.1 -mp "$uas_mp" -m "$calls" -nostdin -timeout "$((tmo + 5))s" \
            -trace_stat -stf stat.csv -fd 1 -trace_counts -trace_err &
        uas_pid=$!
        started="$uas_pid $started"
        wait_udp "$uas_port" 5 || log "$t: SIPp UAS did not bind udp:$uas_port"
    fi
    local c0 c1
    c0=$(cpu_ticks "${tpid[$t]}")
    snap_metrics "$t" "$d/metrics0.txt"
    sipp_in "$d/uac" $((tmo + 10)) "127.0.0.1:${tport[$t]}" -sf "$here/uac_short.xml" -s "$DID" \
        -i 127.0.0.1 -p "$uac_port" -mi 127.0.0.1 -mp "$uac_mp" -rtp_echo \
        -r "$rate" -m "$calls" -l "$calls" -d "$hold" -nostdin -timeout "${tmo}s" -timeout_error \
        -trace_stat -stf stat.csv -fd 1 -trace_counts -trace_rtt -rtt_freq 100 -trace_err \
        -trace_screen -screen_file screen.log &
    local sp=$!
    started="$sp $started"
    wait "$sp"
    rc=$?
    sleep 0.5
    c1=$(cpu_ticks "${tpid[$t]}")
    snap_metrics "$t" "$d/metrics1.txt"
    if [ -n "$uas_pid" ]; then
        for _ in $(seq 50); do alive "$uas_pid" || break; sleep 0.1; done
        stop_pid "$uas_pid"
    fi

    declare -A uac=() uas=() pm=()
    while IFS='=' read -r k v; do uac[$k]=$v; done < <($stat sipp "$d/uac")
    while IFS='=' read -r k v; do uas[$k]=$v; done < <($stat sipp "$d/uas")
    while IFS='=' read -r k v; do pm[$k]=$v; done < <($stat pacing "$d/metrics0.txt" "$d/metrics1.txt")
    local ok=${uac[successfulcall]:-0} failed=${uac[failedcall]:-0}
    local retrans=$(( ${uac[retrans_msgs]:-${uac[retransmissions]:-0}} + ${uas[retrans_msgs]:-0} ))
    local answered=${uac[answered_cps]:-0}
    local cpu sipp_cpu
    cpu=$(python3 -c "print(round(($c1 - $c0) / $hz, 2))")
    sipp_cpu=$($stat times "$d/uac/cpu.txt" "$d/uas/cpu.txt")
    local result=pass why=""
    [ "$rc" -ne 0 ] && why="$why sipp rc=$rc;"
    [ "$ok" -ne "$calls" ] && why="$why $ok of $calls ok;"
    [ "$failed" -ne 0 ] && why="$why $failed failed;"
    [ "$retrans" -ne 0 ] && why="$why $retrans retransmissions;"
    [ "${uas[failedcall]:-0}" -ne 0 ] && why="$why UAS: ${uas[failedcall]} failed;"
    if [ "$kind" = ramp ] && ! python3 -c "import sys; sys.exit(0 if float('$answered') >= 0.9 * $rate else 1)"; then
        why="$why answered only $answered/s;"
    fi
    if [ -n "$why" ]; then
        result="FAIL:${why%;}"
        for f in "$d"/uac/*errors.log "$d"/uac/screen.log "$d"/uas/*errors.log; do
            [ -s "$f" ] && cp "$f" "$outdir/logs/$t-$kind-$rate-$(basename "$f")"
        done
    fi
    printf 'target=%s\tstep=%s\trate=%s\tcalls=%s\thold_ms=%s\tok=%s\tfailed=%s\tretrans=%s\tsipp_retrans=%s\tuas_retrans=%s\tunexpected=%s\tpeak=%s\tanswered_cps=%s\trtd_p50_ms=%s\trtd_p99_ms=%s\trtd_max_ms=%s\tcpu_s=%s\tsipp_cpu_s=%s\tpacing_p99=%s\tpacing_n=%s\tsip_calls=%s\trc=%s\tresult=%s\n' \
        "$t" "$kind" "$rate" "$calls" "$hold" "$ok" "$failed" "$retrans" "${uac[retransmissions]:-?}" "${uas[retrans_msgs]:-0}" \
        "${uac[unexpected]:-?}" "${uac[peak]:-?}" "$answered" "${uac[rtd_p50_ms]:-?}" "${uac[rtd_p99_ms]:-?}" "${uac[rtd_max_ms]:-?}" \
        "$cpu" "$sipp_cpu" "${pm[pacing_p99]:-n/a}" "${pm[pacing_n]:-0}" "${pm[sip_calls]:-n/a}" "$rc" "$result" >>"$steps"
    log "$t $kind ${rate}cps x $calls, hold ${hold}ms: ok $ok failed $failed retrans $retrans answered ${answered}/s cpu ${cpu}s pacing p99 ${pm[pacing_p99]:-n/a} -> $result"
    [ "$result" = pass ]
}

skip_line() { # target kind rate why
    printf 'target=%s\tstep=%s\trate=%s\tskipped=%s\n' "$1" "$2" "$3" "$4" >>"$steps"
}

# ---- start the targets ----
log "work dir $work; SIP ports: wasl $wasl_sip, kamailio $kam_port, UAS $uas_port, SIPp $uac_port (media $uac_mp); wasl RTP $rtp_min-$rtp_max"
for t in $targets; do
    case $t in
    wasl) start_wasl ;;
    kamailio) start_kamailio ;;
    *) echo "run.sh: unknown target '$t'" >&2; exit 2 ;;
    esac
    log "$t: ${tstate[$t]}"
done

# CPU of each target at rest, over 2 s (timers, media ticker).
idle_note=""
for t in $targets; do
    [ "${tstate[$t]}" = up ] || continue
    i0=$(cpu_ticks "${tpid[$t]}")
    sleep 2
    i1=$(cpu_ticks "${tpid[$t]}")
    idle_note="$idle_note $t $(( (i1 - i0) * 1000 / hz / 2 )) ms/s;"
done

# A single call first: a target that does not answer it is not ramped.
for t in $targets; do
    [ "${tstate[$t]}" = up ] || continue
    if ! run_step "$t" smoke 1 1 200; then
        tstate[$t]="does not complete a single call ($(tail -1 "$steps" | tr '\t' '\n' | sed -n 's/^result=FAIL: *//p'))"
        log "$t: ${tstate[$t]}"
    fi
    sed -i '$d' "$steps"  # the smoke call is not a result
done

# ---- the ramp, targets interleaved at each rate ----
declare -A fails
for t in $targets; do fails[$t]=0; done
for rate in $RATES; do
    for t in $targets; do
        if [ "${tstate[$t]}" != up ]; then
            skip_line "$t" ramp "$rate" "${tstate[$t]}"
        elif [ "${fails[$t]}" -ge 2 ]; then
            skip_line "$t" ramp "$rate" "skipped: two lower steps failed"
        elif run_step "$t" ramp "$rate" $((rate * STEP_SECONDS)) "$HOLD_MS"; then
            fails[$t]=0
        else
            fails[$t]=$((fails[$t] + 1))
            restart_target "$t"
        fi
        sleep 1
    done
done

# ---- concurrency: many calls held at once, with media ----
for t in $CONC_TARGETS; do
    case " $targets " in *" $t "*) ;; *) continue ;; esac
    if [ "${tstate[$t]}" != up ]; then
        skip_line "$t" hold "$CONC_RATE" "${tstate[$t]}"
    else
        run_step "$t" hold "$CONC_RATE" "$CONC_CALLS" "$CONC_HOLD_MS"
    fi
done

# ---- report ----
cp "$steps" "$outdir/steps.tsv"
{
    echo "# bench/sip results"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores (load average $load_at_start at the start), $(sipp -v 2>/dev/null | grep -o 'SIPp v[0-9.]*' | head -1), $(kamailio -v 2>/dev/null | head -1 | cut -d' ' -f1-3), wasl $(git -C "$top" describe --always --dirty 2>/dev/null)"
    echo
    echo '```sh'
    echo "$cmdline"
    echo "# RATES=\"$RATES\" STEP_SECONDS=$STEP_SECONDS HOLD_MS=$HOLD_MS CONC_CALLS=$CONC_CALLS CONC_RATE=$CONC_RATE CONC_HOLD_MS=$CONC_HOLD_MS"
    echo '```'
    echo
    echo "Each ramp step: SIPp \`uac_short.xml\` offers RATE calls/s for ${STEP_SECONDS} s, each held ${HOLD_MS} ms, to $DID."
    echo "Kamailio relays to a SIPp UAS (\`uas_answer.xml\`); its CPU is the sum of its processes."
    echo "CPU of each target at rest before the ramp:${idle_note:- n/a}"
    for t in $targets; do [ "${tstate[$t]}" = up ] || echo "**$t: ${tstate[$t]}** — no figures for it."; done
    echo
    $stat report "$steps"
} | tee "$outdir/results.md"
log "written: build/bench/sip/results.md"
