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
#   bench/sip/run.sh [--quick] [--targets "wasl base kamailio"] [--keep]
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
#   BRIDGED_AGENTS="500" / "100"  the bridged concurrency step (bridged.py),
#                             one run per size: that many agents' phones
#                             (SIPp, registered with digest auth) and as many
#                             callers bridged to them through the IVR and the
#                             relay ("": no bridged step)
#   BRIDGED_IVR=              callers who stay in the IVR beside them (empty:
#                             as many as agents)
#   BRIDGED_RATE=100          calls placed per second, all kinds together
#   BRIDGED_TALK=20 / 10      seconds every call of the step is up at once
#   BRIDGED_REC_SHARE=0.5     share of the bridged calls recorded (France's
#                             number, sip.recording_countries=FR; the others
#                             call Belgium's)
#   BRIDGED_PERF=0            perf record -g this many seconds while all the
#                             calls are up (build/bench/sip/perf-bridged.txt)
#   RAMP_PERF=0               perf record -g this many seconds in the middle
#                             of each ramp and overload step on wasl (the
#                             target "wasl" only):
#                             build/bench/sip/perf-{ramp,overload}-RATE.txt
#   KAM_SHM_MB=256            Kamailio's shared memory (-m); 64 is too small
#                             at 500 calls/s
#   WASL_BIN=path             run this binary as wasl instead of building
#                             build/wasl (make build/wasl)
#   OVERLOAD_RATE=            the clean rate the overload step multiplies
#                             (empty: wasl's highest ramp rate that passed)
#   OVERLOAD_FACTORS="2 4"    offered = clean rate x each factor ("": no step)
#   OVERLOAD_SECONDS=20 / 5   length of each overload step; uac_overload.xml
#                             takes 503 as an answer (the excess shed)
#   WIRE_SECONDS=4 / 2        seconds of the loopback captured (tcpdump, SIP to
#                             and from wasl only) in the middle of each
#                             overload step: INVITE->503 by the kernel's time
#                             stamps, which is what the 10 ms target judges
#                             (SIPp's own figure adds SIPp's wait for a core
#                             on a shared machine); 0: no capture
#   WIRE_SCHED=0              1: perf sched record (every core) over the same
#                             window as the capture; the report lists each
#                             stall (a 503 later than 10 ms) with what ran on
#                             the cores meanwhile and where wasl's threads
#                             spent it (perf record -g beside it):
#                             build/bench/sip/stalls-overload-RATE.txt
#   BASE_BIN=path             the binary of the target "base" (a second wasl,
#                             e.g. main's, for a before/after in the same run;
#                             --targets "wasl base kamailio")
#   WASL_SETTINGS="k=v ..."   more --set for the target "wasl"; BASE_SETTINGS
#                             the same for "base" (e.g. BASE_BIN=build/wasl
#                             BASE_SETTINGS=sip.media_threads=0: one binary,
#                             two settings, in one run)
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
OVERLOAD_RATE=${OVERLOAD_RATE:-}
OVERLOAD_FACTORS=${OVERLOAD_FACTORS-"2 4"}
OVERLOAD_SECONDS=${OVERLOAD_SECONDS:-$([ "$quick" = 1 ] && echo 5 || echo 20)}
WIRE_SECONDS=${WIRE_SECONDS:-$([ "$quick" = 1 ] && echo 2 || echo 4)}
CONC_RATE=${CONC_RATE:-100}
CONC_TARGETS=${CONC_TARGETS:-wasl}
BRIDGED_AGENTS=${BRIDGED_AGENTS-$([ "$quick" = 1 ] && echo 100 || echo 500)}
BRIDGED_IVR=${BRIDGED_IVR:-}
BRIDGED_RATE=${BRIDGED_RATE:-100}
BRIDGED_TALK=${BRIDGED_TALK:-$([ "$quick" = 1 ] && echo 10 || echo 20)}
BRIDGED_REC_SHARE=${BRIDGED_REC_SHARE:-0.5}
BRIDGED_PERF=${BRIDGED_PERF:-0}
RAMP_PERF=${RAMP_PERF:-0}
WIRE_SCHED=${WIRE_SCHED:-0}
DID=${DID:-+33800100200}     # France's toll-free number in data/tel/numbers.csv
CLOCK_START=${CLOCK_START-2026-11-24T10:00:00Z}
# Kamailio's shared memory (-m, MB). Every transaction (~10 KB) stays 5 s
# after its call (tm wait timer): at 500 calls/s that is ~5,000 INVITE and
# BYE transactions, and -m 64 ran out ("could not allocate shared memory",
# 500 replies), which measured the setting, not the proxy.
KAM_SHM_MB=${KAM_SHM_MB:-256}
# SIPp's socket buffers (-buff_size; its default, 64 KB, holds ~30 ms of
# answers at 1,000 calls/s: a SIPp descheduled that long on a shared
# machine dropped 200 OKs and counted its own INVITE retransmissions
# against the target). The same for both targets.
SIPP_BUF=${SIPP_BUF:-1048576}

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
    for f in "$work"/wasl.err "$work"/base.err "$work"/kamailio.log; do
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
read -r uac_port uas_port kam_port wasl_sip wasl_http base_sip base_http <<<"$($stat ports 7)"
uac_mp=$($stat mediaport)
uas_mp=$((uac_mp + 4))
# two RTP ports a leg, 2,000 calls and room: 8,000 ports per wasl (a second
# block for base only when it runs: on a machine shared with the SIP suite a
# free block of 16,000 below the ephemeral range is rare)
case " $targets " in *" base "*) rtp_ports=16000 ;; *) rtp_ports=8000 ;; esac
rtp_min=$($stat rtpblock $rtp_ports)

declare -A tpid tport tstate thttp
for t in $targets; do tstate[$t]="not started"; done

wait_udp() { # port seconds: wait until something listens on udp 127.0.0.1:port
    for _ in $(seq $(($2 * 10))); do
        ss -Hlun "sport = :$1" 2>/dev/null | grep -q . && return 0
        sleep 0.1
    done
    return 1
}

start_wasl() { # target (wasl or base)
    local t=$1 wasl=${WASL_BIN:-$top/build/wasl} sip=$wasl_sip http=$wasl_http lo=$rtp_min
    if [ "$t" = base ]; then
        wasl=${BASE_BIN:-}
        sip=$base_sip http=$base_http lo=$((rtp_min + 8000))
        if [ -z "$wasl" ] || [ ! -x "$wasl" ]; then
            tstate[base]="BASE_BIN is not set to a wasl binary"
            return 1
        fi
    elif [ -z "${WASL_BIN:-}" ]; then
        log "building wasl (make build/wasl)"
        if ! make -s -C "$top" build/wasl >"$work/make.log" 2>&1; then
            tstate[wasl]="build failed (make build/wasl; logs/make.log)"
            cp "$work/make.log" "$outdir/logs/"
            return 1
        fi
    fi
    # wasl runs in the work dir: relative defaults (data/, build/prompts)
    # point at the repository through links, and nothing lands in the tree.
    local w="$work/$t"
    mkdir -p "$w/build"
    ln -s "$top/data" "$w/data"
    [ -d "$top/build/prompts" ] && ln -s "$top/build/prompts" "$w/build/prompts"
    local common=(--db "$w/wasl.db" --set "paths.data=$top/data" --set "cases.key_file=$w/wasl.key")
    if ! (cd "$w" && "$wasl" "${common[@]}" init --demo) >"$work/$t-init.log" 2>&1; then
        tstate[$t]="wasl init --demo failed: $(tail -1 "$work/$t-init.log")"
        return 1
    fi
    local -n cmd=${t}_cmd
    cmd=("$wasl" "${common[@]}" --set "http.port=$http" --set "sip.port=$sip"
        --set sip.address=127.0.0.1 --set sip.trunks=127.0.0.1
        --set "sip.rtp_min=$lo" --set "sip.rtp_max=$((lo + 7999))" --set log.level=warn)
    [ -n "$CLOCK_START" ] && cmd+=(--set "clock.start=$CLOCK_START")
    local extra
    if [ "$t" = base ]; then extra=${BASE_SETTINGS:-}; else extra=${WASL_SETTINGS:-}; fi
    for kv in $extra; do cmd+=(--set "$kv"); done
    cmd+=(serve)
    tport[$t]=$sip
    thttp[$t]=$http
    launch_wasl "$t"
}

launch_wasl() { # target
    local t=$1
    local -n cmd=${t}_cmd
    (cd "$work/$t" && exec "${cmd[@]}") >"$work/$t.out" 2>>"$work/$t.err" &
    tpid[$t]=$!
    started="${tpid[$t]} $started"
    for _ in $(seq 100); do
        alive "${tpid[$t]}" || break
        curl -sf "http://127.0.0.1:${thttp[$t]}/healthz" >/dev/null 2>&1 && break
        sleep 0.1
    done
    if ! alive "${tpid[$t]}"; then
        tstate[$t]="wasl serve exited: $(grep -v '^$' "$work/$t.err" | tail -1)"
        return 1
    fi
    if ! wait_udp "${tport[$t]}" 5; then
        tstate[$t]="wasl runs but nothing listens on udp:127.0.0.1:${tport[$t]}"
        return 1
    fi
    tstate[$t]=up
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
    log "$t: restarting (${2:-after a failed step})"
    stop_pid "$old"
    for p in $started; do [ "$p" = "$old" ] || rest="$rest $p"; done
    started=$rest
    sleep 0.5
    case $t in
    wasl | base) launch_wasl "$t" ;;
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

rss_kb() { # pid: resident memory in KB (0 if gone)
    awk '/^VmRSS:/ { print $2; f = 1 } END { if (!f) print 0 }' "/proc/$1/status" 2>/dev/null || echo 0
}

snap_metrics() { # target file
    if [ -n "${thttp[$1]:-}" ] && [ "${tstate[$1]:-}" = up ]; then
        curl -s -m 2 "http://127.0.0.1:${thttp[$1]}/metrics" >"$2" 2>/dev/null || : >"$2"
    else
        : >"$2"
    fi
}

# One SIPp run against a target. Prints nothing; appends a line to $steps.
#   run_step TARGET KIND RATE CALLS HOLD_MS [CLEAN_RATE]
# KIND overload: uac_overload.xml (503 is an answer); it passes when every
# call was admitted and completed or refused, the 503s came within 10 ms
# (p99) and the admitted rate stayed >= 90 % of CLEAN_RATE.
run_step() {
    local t=$1 kind=$2 rate=$3 calls=$4 hold=$5 clean=${6:-0} scen=uac_short.xml extra=""
    [ "$kind" = overload ] && scen=uac_overload.xml
    local d="$work/$t-$kind-$rate" uas_pid="" rc k v
    mkdir -p "$d/uac" "$d/uas"
    local tmo=$((calls / rate + hold / 1000 + 20))
    if [ "$t" = kamailio ]; then
        sipp_in "$d/uas" $((tmo + 10)) -sf "$here/uas_answer.xml" -i 127.0.0.1 -p "$uas_port" \
            -mi 127.0.0.1 -mp "$uas_mp" -m "$calls" -buff_size "$SIPP_BUF" -nostdin -timeout "$((tmo + 5))s" \
            -trace_stat -stf stat.csv -fd 1 -trace_counts -trace_err &
        uas_pid=$!
        started="$uas_pid $started"
        wait_udp "$uas_port" 5 || log "$t: SIPp UAS did not bind udp:$uas_port"
    fi
    local c0 c1
    c0=$(cpu_ticks "${tpid[$t]}")
    snap_metrics "$t" "$d/metrics0.txt"
    sipp_in "$d/uac" $((tmo + 10)) "127.0.0.1:${tport[$t]}" -sf "$here/$scen" -s "$DID" \
        -i 127.0.0.1 -p "$uac_port" -mi 127.0.0.1 -mp "$uac_mp" -rtp_echo \
        -r "$rate" -m "$calls" -l "$calls" -d "$hold" -buff_size "$SIPP_BUF" -nostdin -timeout "${tmo}s" -timeout_error \
        -trace_stat -stf stat.csv -fd 1 -trace_counts -trace_rtt -rtt_freq 100 -trace_err \
        -trace_screen -screen_file screen.log &
    local sp=$!
    started="$sp $started"
    # overload: the loopback captured for WIRE_SECONDS from the step's middle
    # (SIP to and from the target only): INVITE->503 by the kernel's clock
    local cap_pid=""
    if [ "$kind" = overload ] && [ "$WIRE_SECONDS" -gt 0 ] && command -v tcpdump >/dev/null; then
        (sleep $(( (calls / rate - WIRE_SECONDS) / 2 > 0 ? (calls / rate - WIRE_SECONDS) / 2 : 0 ))
         exec timeout -s INT "$WIRE_SECONDS" tcpdump -i lo -n -s 1500 -B 65536 -U -w "$d/sip.pcap" \
            "udp port ${tport[$t]}" 2>"$d/tcpdump.txt") &
        cap_pid=$!
        started="$cap_pid $started"
        if [ "$WIRE_SCHED" = 1 ] && command -v perf >/dev/null; then
            (sleep $(( (calls / rate - WIRE_SECONDS) / 2 > 0 ? (calls / rate - WIRE_SECONDS) / 2 : 0 ))
             python3 -c 'import time; print(time.clock_gettime(time.CLOCK_REALTIME) - time.clock_gettime(time.CLOCK_MONOTONIC))' >"$d/clock.txt"
             exec perf sched record -a -k mono -o "$d/sched.data" -- sleep "$WIRE_SECONDS") >/dev/null 2>&1 &
            cap_pid="$cap_pid $!"
            started="$! $started"
            (sleep $(( (calls / rate - WIRE_SECONDS) / 2 > 0 ? (calls / rate - WIRE_SECONDS) / 2 : 0 ))
             exec perf record -F 4000 -g -k mono -p "${tpid[$t]}" -o "$d/cpu.data" -- sleep "$WIRE_SECONDS") >/dev/null 2>&1 &
            cap_pid="$cap_pid $!"
            started="$! $started"
        fi
    fi
    # ramp and overload on wasl: perf for RAMP_PERF s from the step's middle
    local perf_pid=""
    if [ "$kind" != smoke ] && [ "$t" = wasl ] && [ "$RAMP_PERF" -gt 0 ] && command -v perf >/dev/null; then
        (sleep $(( (calls / rate - RAMP_PERF) / 2 > 0 ? (calls / rate - RAMP_PERF) / 2 : 0 ))
         exec perf record -g -p "${tpid[$t]}" -o "$d/perf.data" -- sleep "$RAMP_PERF") >/dev/null 2>&1 &
        perf_pid=$!
        started="$perf_pid $started"
    fi
    # the target's resident memory: before, and its peak during the step
    local rss0 rss_peak=0 r
    rss0=$(rss_kb "${tpid[$t]}")
    while alive "$sp"; do
        r=$(rss_kb "${tpid[$t]}")
        [ "$r" -gt "$rss_peak" ] && rss_peak=$r
        sleep 0.5
    done
    wait "$sp"
    rc=$?
    # shellcheck disable=SC2086 # the capture and perf sched: a list of PIDs
    [ -n "$cap_pid" ] && wait $cap_pid
    if [ -f "$d/sched.data" ]; then
        $stat stalls "$d" "${tport[$t]}" "${tpid[$t]}" >"$outdir/stalls-$kind-$rate.txt" 2>&1
        log "stalls: $outdir/stalls-$kind-$rate.txt"
    fi
    if [ -n "$perf_pid" ]; then
        wait "$perf_pid"
        { perf report -i "$d/perf.data" --no-children --stdio -g none --sort comm
          perf report -i "$d/perf.data" --no-children --stdio -g none --percent-limit 0.4 --sort comm,dso,symbol
        } >"$outdir/perf-$kind-$rate.txt" 2>/dev/null
        log "perf report: $outdir/perf-$kind-$rate.txt"
    fi
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
    if [ "$kind" = overload ]; then
        declare -A ov=()
        while IFS='=' read -r k v; do ov[$k]=$v; done < <($stat overload "$d/metrics0.txt" "$d/metrics1.txt")
        declare -A wi=()
        while IFS='=' read -r k v; do wi[$k]=$v; done < <($stat wire "$d/sip.pcap" "${tport[$t]}")
        answered=${uac[rtd1_cps]:-0}
        extra=$(printf '\tclean=%s\tadmitted=%s\trefused=%s\tr503_p50_ms=%s\tr503_p99_ms=%s\tr200_p99_ms=%s\tshed_delay=%s\tshed_rate=%s\tudp_drops=%s\tepisodes=%s\twire503_n=%s\twire503_p50_ms=%s\twire503_p99_ms=%s\twire503_max_ms=%s\twire200_n=%s\twire200_p99_ms=%s' \
            "$clean" "${uac[rtd1_n]:-0}" "${uac[rtd2_n]:-0}" "${uac[rtd2_p50_ms]:-n/a}" "${uac[rtd2_p99_ms]:-n/a}" "${uac[rtd1_p99_ms]:-n/a}" \
            "${ov[refused_delay]:-n/a}" "${ov[refused_rate]:-n/a}" "${ov[udp_drops]:-n/a}" "${ov[episodes]:-n/a}" \
            "${wi[wire503_n]:-0}" "${wi[wire503_p50_ms]:-n/a}" "${wi[wire503_p99_ms]:-n/a}" "${wi[wire503_max_ms]:-n/a}" \
            "${wi[wire200_n]:-0}" "${wi[wire200_p99_ms]:-n/a}")
        # the 503's time: the capture's (the target's own response time) when
        # there is one, else SIPp's (which adds SIPp's wait for a core)
        local r503_n=${wi[wire503_n]:-0} r503_p99=${wi[wire503_p99_ms]:-n/a} r503_by=capture
        if [ "$r503_n" = 0 ]; then r503_n=${uac[rtd2_n]:-0}; r503_p99=${uac[rtd2_p99_ms]:-1e9}; r503_by=SIPp; fi
        python3 -c "import sys; sys.exit(0 if '$r503_n' == '0' or float('$r503_p99') <= 10 else 1)" ||
            why="$why 503 p99 $r503_p99 ms > 10 ms ($r503_by);"
        python3 -c "import sys; sys.exit(0 if float('$answered') >= 0.9 * $clean else 1)" ||
            why="$why admitted only $answered/s of a clean $clean/s;"
    elif [ "$retrans" -ne 0 ]; then
        why="$why $retrans retransmissions;"
    fi
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
    printf 'target=%s\tstep=%s\trate=%s\tcalls=%s\thold_ms=%s\tok=%s\tfailed=%s\tretrans=%s\tsipp_retrans=%s\tuas_retrans=%s\tunexpected=%s\tpeak=%s\tanswered_cps=%s\trtd_p50_ms=%s\trtd_p99_ms=%s\trtd_max_ms=%s\tcpu_s=%s\tsipp_cpu_s=%s\tpacing_p99=%s\tpacing_n=%s\tsip_calls=%s\trss0_kb=%s\trss_peak_kb=%s\trc=%s\tresult=%s%s\n' \
        "$t" "$kind" "$rate" "$calls" "$hold" "$ok" "$failed" "$retrans" "${uac[retransmissions]:-?}" "${uas[retrans_msgs]:-0}" \
        "${uac[unexpected]:-?}" "${uac[peak]:-?}" "$answered" "${uac[rtd_p50_ms]:-?}" "${uac[rtd_p99_ms]:-?}" "${uac[rtd_max_ms]:-?}" \
        "$cpu" "$sipp_cpu" "${pm[pacing_p99]:-n/a}" "${pm[pacing_n]:-0}" "${pm[sip_calls]:-n/a}" "$rss0" "$rss_peak" "$rc" "$result" "$extra" >>"$steps"
    log "$t $kind ${rate}cps x $calls, hold ${hold}ms: ok $ok failed $failed retrans $retrans answered ${answered}/s cpu ${cpu}s pacing p99 ${pm[pacing_p99]:-n/a} -> $result"
    [ "$result" = pass ]
}

skip_line() { # target kind rate why
    printf 'target=%s\tstep=%s\trate=%s\tskipped=%s\n' "$1" "$2" "$3" "$4" >>"$steps"
}

# ---- start the targets ----
log "work dir $work; SIP ports: wasl $wasl_sip, kamailio $kam_port, UAS $uas_port, SIPp $uac_port (media $uac_mp); wasl RTP from $rtp_min"
for t in $targets; do
    case $t in
    wasl | base) start_wasl "$t" ;;
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
        # a fresh process: its RSS before the step is then its size at rest,
        # not what the ramp's lingering transactions left in its heap
        case $t in wasl | base) restart_target "$t" "for the memory per call" ;; esac
        run_step "$t" hold "$CONC_RATE" "$CONC_CALLS" "$CONC_HOLD_MS"
    fi
done

# ---- bridged concurrency: callers through the IVR to agents, the relay, recordings (wasl) ----
# bridged.py runs its own wasl (the same binary) with the agents it needs;
# the target above is stopped meanwhile, so that only one wasl runs.
if [ -n "$BRIDGED_AGENTS" ] && [ "${tstate[wasl]:-}" = up ]; then
    stop_pid "${tpid[wasl]}"
    for agents in $BRIDGED_AGENTS; do
        sleep 1
        log "bridged: $agents agents, ${BRIDGED_IVR:-$agents} IVR callers at $BRIDGED_RATE calls/s (load $(cut -d' ' -f1-3 /proc/loadavg))"
        python3 "$here/bridged.py" --binary "${WASL_BIN:-$top/build/wasl}" --agents "$agents" --ivr "${BRIDGED_IVR:-$agents}" \
            --rate "$BRIDGED_RATE" --talk "$BRIDGED_TALK" --rec-share "$BRIDGED_REC_SHARE" --perf "$BRIDGED_PERF" \
            --steps "$steps" --work "$work/bridged-$agents" >>"$work/bridged.log" 2>&1 ||
            log "bridged $agents: $(tail -1 "$work/bridged.log")"
        tail -6 "$work/bridged.log" >&2
    done
    cp "$work/bridged.log" "$outdir/logs/" 2>/dev/null
    restart_target wasl "after the bridged step"
fi

# ---- overload: 2x and 4x a clean rate for OVERLOAD_SECONDS, 503 allowed (wasl) ----
if [ -n "$OVERLOAD_FACTORS" ] && [ "${tstate[wasl]:-}" = up ]; then
    clean=$OVERLOAD_RATE
    if [ -z "$clean" ]; then
        clean=$(awk -F'\t' '{ t = r = res = ""; for (i = 1; i <= NF; i++) { split($i, kv, "=");
                if (kv[1] == "target") t = kv[2]; if (kv[1] == "step") s = kv[2]; if (kv[1] == "rate") r = kv[2]; if (kv[1] == "result") res = kv[2] }
                if (t == "wasl" && s == "ramp" && res == "pass" && r + 0 > best) best = r + 0 } END { print best + 0 }' "$steps")
    fi
    for f in $OVERLOAD_FACTORS; do
        if [ "${clean:-0}" -le 0 ]; then
            skip_line wasl overload 0 "no clean rate: no ramp step passed (set OVERLOAD_RATE)"
            break
        fi
        sleep 1
        run_step wasl overload $((clean * f)) $((clean * f * OVERLOAD_SECONDS)) "$HOLD_MS" "$clean" || restart_target wasl
    done
fi

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
