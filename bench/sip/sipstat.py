#!/usr/bin/env python3
"""bench/sip helper for run.sh: free ports, CPU ticks, SIPp result files,
the pacing histogram of wasl's /metrics, and the Markdown report.

  sipstat.py ports N             N free UDP+TCP ports on 127.0.0.1
  sipstat.py mediaport           an even port P with P..P+7 free (SIPp -mp, UAC
                                 at P and P+2, UAS at P+4 and P+6)
  sipstat.py rtpblock SIZE       first port of SIZE free UDP ports under the
                                 ephemeral range (wasl's RTP range)
  sipstat.py cpu PID             utime+stime ticks of PID and its descendants
  sipstat.py times FILE...       CPU seconds in bash `times` lines (SIPp)
  sipstat.py sipp DIR            a SIPp run's results (stat, counts, rtt files)
  sipstat.py pacing BEFORE AFTER p99 of the pacing histogram between two
                                 /metrics snapshots, and the calls counted
  sipstat.py overload BEFORE AFTER  the overload guards' counts between two
                                 /metrics snapshots
  sipstat.py wire PCAP PORT      from a capture of the loopback (kernel time
                                 stamps), the time from each new INVITE sent
                                 to PORT to the final answer PORT sent back
                                 (503 and 200 apart): the server's own
                                 response time, whatever the load generator's
                                 scheduling
  sipstat.py stalls DIR PORT PID the INVITEs of DIR's capture refused later
                                 than 10 ms, and what the cores ran meanwhile
                                 (DIR/sched.data: perf sched record)
  sipstat.py report STEPS.tsv    Markdown report
Everything is printed as key=value lines (or Markdown), for the shell.
"""
import glob
import os
import random
import socket
import struct
import subprocess
import sys

HZ = os.sysconf("SC_CLK_TCK")


def free_ports(n):
    socks, ports = [], []
    try:
        while len(ports) < n:
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            u.bind(("127.0.0.1", 0))
            p = u.getsockname()[1]
            t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                t.bind(("127.0.0.1", p))
            except OSError:
                u.close()
                t.close()
                continue
            socks += [u, t]
            ports.append(p)
    finally:
        for s in socks:
            s.close()
    return ports


def udp_ports_in_use():
    used = set()
    for f in ("/proc/net/udp", "/proc/net/udp6", "/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(f) as fh:
                next(fh)
                for line in fh:
                    local = line.split()[1]
                    used.add(int(local.rsplit(":", 1)[1], 16))
        except OSError:
            pass
    return used


def media_port():
    used = udp_ports_in_use()
    for _ in range(200):
        p = random.randrange(40000, 60000, 4)
        if all(q not in used for q in range(p, p + 8)):
            return p
    raise SystemExit("no free media port")


def rtp_block(size, avoid=()):
    """A free block under the ephemeral range; else (other users' SIP suites
    take ports there) the least used block from 10000 up: wasl draws its RTP
    ports at random in its range (libre: 64 draws), so a port someone else
    holds only costs a draw. avoid: (low, high) ranges the block must not
    overlap (where the caller takes its own ports)."""
    lo = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
    used = udp_ports_in_use()
    bases = list(range(10000, lo - size, 1000))
    random.shuffle(bases)
    for b in bases:
        if not any(b <= p < b + size for p in used):
            return b
    bases = [b for b in range(10000, 65000 - size, 500) if not any(b < hi and lo2 < b + size for lo2, hi in avoid)]
    return min(bases, key=lambda b: sum(1 for p in used if b <= p < b + size))


def proc_ticks(pid):
    try:
        with open(f"/proc/{pid}/stat") as fh:
            f = fh.read().rsplit(")", 1)[1].split()
        # after "(comm)": state ppid ... utime is field 14, stime 15 (1-based)
        return int(f[1]), int(f[11]) + int(f[12])
    except (OSError, IndexError, ValueError):
        return None, 0


def cpu_ticks(root):
    parent = {}
    ticks = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            ppid, t = proc_ticks(d)
            if ppid is not None:
                parent[int(d)] = ppid
                ticks[int(d)] = t
    want = {root}
    grew = True
    while grew:
        grew = False
        for p, pp in parent.items():
            if pp in want and p not in want:
                want.add(p)
                grew = True
    return sum(ticks.get(p, 0) for p in want), len([p for p in want if p in ticks])


def sipp_times(files):
    """Sum of the children's user+sys in bash `times` output ("0m1.5s 0m0.2s")."""
    total, found = 0.0, False
    for f in files:
        try:
            with open(f) as fh:
                lines = [l for l in fh.read().splitlines() if l.strip()]
                # bash `times`: the shell's own line, then its children's
                for part in lines[-1].split():
                    m, s = part.rstrip("s").split("m")
                    total += int(m) * 60 + float(s)
                    found = True
        except (OSError, ValueError):
            pass
    return round(total, 2) if found else "n/a"


def last_row(path):
    with open(path) as fh:
        lines = [l.rstrip("\n") for l in fh if l.strip()]
    head = lines[0].rstrip(";").split(";")
    rows = [dict(zip(head, l.split(";"))) for l in lines[1:]]
    return head, rows


def epoch(field):
    # "2026-11-28\t16:43:15.862984\t1795884195.862984"
    return float(field.split("\t")[-1])


def sipp_dir(d):
    for k, v in sipp_results(d).items():
        print(f"{k}={v}")


def sipp_results(d):
    """A SIPp run's figures from the files it wrote in d."""
    out = {}
    stat = glob.glob(os.path.join(d, "stat.csv"))
    if stat:
        _, rows = last_row(stat[0])
        if rows:
            last = rows[-1]
            for k in ("OutgoingCall(C)", "IncomingCall(C)", "SuccessfulCall(C)", "FailedCall(C)",
                      "Retransmissions(C)", "DeadCallMsgs(C)", "OutOfCallMsgs(C)", "FailedMaxUDPRetrans(C)",
                      "FailedTimeoutOnRecv(C)", "FailedUnexpectedMessage(C)", "FailedCallRejected(C)"):
                out[k.replace("(C)", "").lower()] = int(last.get(k, "0") or 0)
            out["peak"] = max(int(r.get("CurrentCall", "0") or 0) for r in rows)
            out["elapsed"] = round(epoch(last["CurrentTime"]) - epoch(last["StartTime"]), 3)
    counts = glob.glob(os.path.join(d, "*_counts.csv"))
    if counts:
        head, rows = last_row(counts[0])
        if rows:
            last = rows[-1]
            out["retrans_msgs"] = sum(int(last.get(h) or 0) for h in head if h.endswith("_Retrans"))
            out["unexpected"] = sum(int(last.get(h) or 0) for h in head if h.endswith("_Unexp"))
            out["timeouts"] = sum(int(last.get(h) or 0) for h in head if h.endswith("_Timeout"))
    rtt = glob.glob(os.path.join(d, "*_rtt.csv"))
    if rtt:
        pts, by_rtd = [], {}
        with open(rtt[0]) as fh:
            next(fh, None)
            for line in fh:
                f = line.strip().split(";")
                if len(f) >= 2:
                    try:
                        pts.append((float(f[0]), float(f[1])))
                        if len(f) >= 3:  # Date_ms;response_time_ms;rtd_no
                            by_rtd.setdefault(f[2].strip(), []).append(pts[-1])
                    except ValueError:
                        pass
        # uac_overload.xml: rtd 1 is INVITE->200, rtd 2 INVITE->503
        for n, rp in sorted(by_rtd.items()):
            rt = sorted(p[1] for p in rp)
            out[f"rtd{n}_n"] = len(rt)
            out[f"rtd{n}_p50_ms"] = rt[len(rt) // 2]
            out[f"rtd{n}_p99_ms"] = rt[min(len(rt) - 1, int(len(rt) * 0.99))]
            t = sorted(p[0] for p in rp)
            if len(t) > 1 and t[-1] > t[0]:
                out[f"rtd{n}_cps"] = round((len(t) - 1) * 1000.0 / (t[-1] - t[0]), 1)
        if pts:
            rt = sorted(p[1] for p in pts)
            out["rtd_p50_ms"] = rt[len(rt) // 2]
            out["rtd_p99_ms"] = rt[min(len(rt) - 1, int(len(rt) * 0.99))]
            out["rtd_max_ms"] = rt[-1]
            # answered calls per second: 200s received, first to last
            t = sorted(p[0] for p in pts)
            if len(t) > 1 and t[-1] > t[0]:
                out["answered_cps"] = round((len(t) - 1) * 1000.0 / (t[-1] - t[0]), 1)
    return out


def parse_metrics(path):
    buckets, calls = {}, 0.0
    found = False
    try:
        with open(path) as fh:
            for line in fh:
                if line.startswith("#"):
                    continue
                parts = line.split()
                if len(parts) < 2:
                    continue
                name, val = parts[0], parts[1]
                try:
                    v = float(val)
                except ValueError:
                    continue
                if name.startswith("wasl_rtp_pacing_error_seconds_bucket"):
                    found = True
                    le = name.split('le="', 1)[1].split('"', 1)[0]
                    buckets[le] = buckets.get(le, 0.0) + v
                elif name.split("{", 1)[0] == "wasl_sip_calls_total":
                    calls += v
    except OSError:
        pass
    return found, buckets, calls


def pacing(before, after):
    for k, v in pacing_figures(before, after).items():
        print(f"{k}={v}")


def pacing_figures(before, after):
    """sip_calls, pacing_n and pacing_p99 between two /metrics snapshots."""
    f0, b0, c0 = parse_metrics(before)
    f1, b1, c1 = parse_metrics(after)
    out = {"sip_calls": int(c1 - c0) if f1 or c1 else "n/a", "pacing_n": 0, "pacing_p99": "n/a"}
    if not f1:
        return out

    def key(le):
        return float("inf") if le == "+Inf" else float(le)
    les = sorted(b1, key=key)
    delta = [(le, b1[le] - b0.get(le, 0.0)) for le in les]
    total = delta[-1][1] if delta else 0
    out["pacing_n"] = int(total)
    if total <= 0:
        return out
    prev = "0"
    for le, cum in delta:
        if cum >= 0.99 * total:
            out["pacing_p99"] = f"> {float(prev) * 1000:g} ms" if le == "+Inf" else f"≤ {float(le) * 1000:g} ms"
            return out
        prev = le
    return out


def metric_values(path):
    out = {}
    try:
        with open(path) as fh:
            for line in fh:
                if line.startswith("#") or not line.strip():
                    continue
                name, _, val = line.rstrip("\n").rpartition(" ")
                try:
                    out[name] = float(val)
                except ValueError:
                    pass
    except OSError:
        pass
    return out


def overload(before, after):
    m0, m1 = metric_values(before), metric_values(after)
    names = {"admitted": "wasl_sip_admitted_total",
             "refused_delay": 'wasl_sip_overload_refused_total{reason="delay"}',
             "refused_rate": 'wasl_sip_overload_refused_total{reason="rate"}',
             "udp_drops": "wasl_sip_udp_drops_total", "episodes": "wasl_sip_overload_episodes_total"}
    for k, name in names.items():
        print(f"{k}={int(m1[name] - m0.get(name, 0)) if name in m1 else 'n/a'}")


def pcap_udp(path):
    """(time, src port, dst port, payload) of each UDP datagram over IPv4
    in a pcap file (Ethernet, Linux cooked or loopback framing, as tcpdump
    -i lo writes it), with the kernel's time stamp in seconds."""
    with open(path, "rb") as f:
        g = f.read(24)
        if len(g) < 24:
            return
        magic = struct.unpack("<I", g[:4])[0]
        nano = magic == 0xA1B23C4D
        linktype = struct.unpack("<I", g[20:24])[0]
        off = 14 if linktype == 1 else (16 if linktype == 113 else 4)
        while True:
            h = f.read(16)
            if len(h) < 16:
                return
            sec, frac, incl, _ = struct.unpack("<IIII", h)
            ip = f.read(incl)[off:]
            if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
                continue
            ihl = (ip[0] & 15) * 4
            sport, dport = struct.unpack("!HH", ip[ihl:ihl + 4])
            yield sec + frac / (1e9 if nano else 1e6), sport, dport, bytes(ip[ihl + 8:])


def sip_head(payload):
    """(first line, Call-ID, CSeq method) of a SIP datagram, or None."""
    head = payload.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    if not head or not head[0]:
        return None
    callid = method = None
    for line in head[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name in (b"call-id", b"i"):
            callid = value.strip()
        elif name == b"cseq":
            method = value.split()[-1] if value.split() else None
    return head[0], callid, method


def invite_answers(path, port):
    """(INVITE's time, answer's time, code) for each INVITE that reached
    PORT (timed from its first copy: a retransmission does not restart the
    clock) and got a final answer from PORT, in the order of the answers."""
    first = {}
    for t, sport, dport, payload in pcap_udp(path):
        h = sip_head(payload)
        if not h or not h[1]:
            continue
        line, callid, method = h
        if dport == port and line.startswith(b"INVITE "):
            first.setdefault(callid, t)
        elif sport == port and method == b"INVITE" and line.startswith(b"SIP/2.0 ") and callid in first:
            code = line.split()[1].decode(errors="replace") if len(line.split()) > 1 else ""
            if code >= "200":
                yield first.pop(callid), t, code


def wire_times(path, port):
    """{"503": [s...], "200": [s...]}: for each INVITE that reached PORT,
    the time until PORT sent its first final answer."""
    out = {}
    for t0, t, code in invite_answers(path, port):
        out.setdefault(code, []).append(t - t0)
    return out


def wire(path, port):
    times = wire_times(path, int(port)) if os.path.exists(path) else {}
    for code in ("503", "200"):
        xs = sorted(times.get(code, []))
        print(f"wire{code}_n={len(xs)}")
        for name, q in (("p50", 0.5), ("p99", 0.99)):
            v = xs[min(len(xs) - 1, int(len(xs) * q))] * 1000 if xs else None
            print(f"wire{code}_{name}_ms={'n/a' if v is None else f'{v:.2f}'}")
        print(f"wire{code}_max_ms={f'{xs[-1] * 1000:.2f}' if xs else 'n/a'}")


def wire_slow(path, port, limit):
    """[(INVITE's time, delay, overtaken)] of the INVITEs that reached PORT
    and were refused (503) later than LIMIT seconds; overtaken: a 503 to an
    INVITE that came after it went out first (it was not refused as it was
    read, but later, on another path)."""
    slow, last503 = [], 0.0
    for t0, t, code in invite_answers(path, port):
        if code == "503" and t - t0 > limit:
            slow.append((t0, t - t0, last503 > t0))
        if code == "503":
            last503 = max(last503, t0)
    return slow


def timehist(data, start, end):
    """perf sched timehist's lines between START and END (monotonic
    seconds): [(time, cpu, task, wait, delay, run)], times in ms."""
    out = subprocess.run(["perf", "sched", "timehist", "-i", data, "--time", f"{start:.6f},{end:.6f}"],
                         capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines():
        f = line.split()
        if len(f) < 6 or not f[1].startswith("["):
            continue
        try:
            rows.append((float(f[0]), f[1].strip("[]"), " ".join(f[2:-3]), float(f[-3]), float(f[-2]), float(f[-1])))
        except ValueError:
            continue
    return rows


def stalls(d, port, pid):
    """The stalls of an overload step's capture (INVITEs refused later than
    10 ms, merged into windows) with what the cores ran meanwhile, from
    perf sched record over the same seconds (run.sh's WIRE_SCHED=1)."""
    off = float(open(os.path.join(d, "clock.txt")).read())
    data = os.path.join(d, "sched.data")
    names = {}
    for task in glob.glob(f"/proc/{pid}/task/*"):
        try:
            names[os.path.basename(task)] = open(os.path.join(task, "comm")).read().strip()
        except OSError:
            pass
    print("wasl's threads:", ", ".join(f"{v}[{k}]" for k, v in sorted(names.items())))
    whole = timehist(data, 0, 1e12)
    for tid, name in sorted(names.items()):
        mine = [r for r in whole if r[2].endswith(f"[{tid}]") or r[2].endswith(f"[{tid}/{pid}]")]
        if not mine:
            continue
        longest = max(mine, key=lambda r: r[5])
        delayed = max(mine, key=lambda r: r[4])
        print(f"{name}: {len(mine)} runs; longest run {longest[5]:.2f} ms (ended {longest[0]:.6f}); "
              f"longest wait for a core {delayed[4]:.2f} ms (ran {delayed[0]:.6f})")
    limit = float(os.environ.get("STALL_MS", "10"))
    slow = sorted(wire_slow(os.path.join(d, "sip.pcap"), int(port), limit / 1000))
    print(f"{sum(1 for x in slow if x[2])} of the {len(slow)} overtaken: a later INVITE's 503 went out first")
    windows = []
    for t0, dt, _ in slow:
        if windows and t0 <= windows[-1][1]:
            windows[-1][1] = max(windows[-1][1], t0 + dt)
            windows[-1][2] += 1
        else:
            windows.append([t0, t0 + dt, 1])
    print(f"{len(slow)} INVITEs refused (503) later than {limit:g} ms, in {len(windows)} windows")
    for a, b, n in sorted(windows, key=lambda w: w[0] - w[1])[:6]:
        ma, mb = a - off, b - off
        print(f"\n== {n} INVITEs from {ma:.6f} to {mb:.6f} (monotonic), {1000 * (b - a):.1f} ms ==")
        per = {}
        for r in timehist(data, ma - 0.002, mb + 0.002):
            e = per.setdefault((r[1], r[2]), [0.0, 0.0, 0])
            e[0] += r[5]
            e[1] = max(e[1], r[4])
            e[2] += 1
        for (cpu, task), (run, delay, k) in sorted(per.items(), key=lambda x: (x[0][0], -x[1][0])):
            if run >= 0.5 or f"/{pid}]" in task or delay >= 1:
                print(f"  cpu {cpu} {task:40s} ran {run:7.2f} ms in {k:4d} runs, longest wait for a core {delay:.2f} ms")
        for r in timehist(data, ma - 0.002, mb + 0.002):
            if f"/{pid}]" in r[2] and (r[5] >= 2 or r[4] >= 2):
                print(f"  {r[0]:.6f} cpu {r[1]} {r[2]}: waited {r[3]:.2f}, for a core {r[4]:.2f}, ran {r[5]:.2f} ms")
        cpu = os.path.join(d, "cpu.data")
        views = (("self", ["--no-children", "--percent-limit", "2", "--sort", "dso,symbol"]),
                 ("with callees (a build with frame pointers names wasl's own callers)",
                  ["--children", "--percent-limit", "5", "--sort", "symbol"]))
        for name, args in views if os.path.exists(cpu) else ():
            rep = subprocess.run(["perf", "report", "-i", cpu, "--time", f"{ma - 0.002:.6f},{mb + 0.002:.6f}",
                                  "--comm", "wasl-sip", "--stdio", "-g", "none"] + args,
                                 capture_output=True, text=True).stdout
            print(f"  where the SIP thread's time went (perf record, {name}):")
            for line in rep.splitlines():
                if line.strip() and not line.startswith("#"):
                    print("   ", line.strip())


def overload_report(rows, num):
    """The overload steps: offered 2x and 4x a clean rate, 503 allowed."""
    ov = [r for r in rows if r.get("step") == "overload"]
    if not ov:
        return
    print()
    print("Overload steps (`uac_overload.xml`: a 503 is an answer; wasl sheds the excess):")
    print()
    print("| offered cps (× clean) | admitted / refused (503) | admitted cps | INVITE→503 at SIPp p50 / p99 "
          "| INVITE→503 on the wire p50 / p99 / max (n) | INVITE→200 p99 "
          "| calls failed | retrans | shed by delay / rate | kernel drops | result |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in ov:
        if r.get("skipped"):
            print(f"| {r.get('rate', '')} | | | | | | | | | | {r['skipped']} |")
            continue
        clean = num(r, "clean", 0) or 0
        x = f"{num(r, 'rate', 0) / clean:.0f}×" if clean else "?"
        print(f"| {r['rate']} ({x} {int(clean)}) | {r.get('admitted', '?')} / {r.get('refused', '?')} "
              f"| {r.get('answered_cps', 'n/a')} | {r.get('r503_p50_ms', 'n/a')} / {r.get('r503_p99_ms', 'n/a')} ms "
              f"| {r.get('wire503_p50_ms', 'n/a')} / {r.get('wire503_p99_ms', 'n/a')} / {r.get('wire503_max_ms', 'n/a')} ms "
              f"({r.get('wire503_n', '0')}) "
              f"| {r.get('r200_p99_ms', 'n/a')} ms | {r.get('failed', '?')} | {r.get('retrans', '?')} "
              f"| {r.get('shed_delay', 'n/a')} / {r.get('shed_rate', 'n/a')} | {r.get('udp_drops', 'n/a')} "
              f"| {r.get('result', '')} |")
    print()
    for r in ov:
        if r.get("skipped"):
            continue
        clean = num(r, "clean", 0) or 0
        ok = r.get("result") == "pass"
        print(f"* offered {r['rate']} calls/s: every admitted call completes, 503 p99 ≤ 10 ms (on the wire; SIPp's "
              f"when nothing was captured), admitted ≥ 90 % of "
              f"{int(clean)}/s: {'met' if ok else '**not met**' + (' (' + r.get('result', '')[5:] + ')')}")


def report(path):
    rows = []
    with open(path) as fh:
        for line in fh:
            line = line.rstrip("\n")
            if line:
                rows.append(dict(kv.split("=", 1) for kv in line.split("\t") if "=" in kv))

    def num(r, k, default=None):
        try:
            return float(r[k])
        except (KeyError, ValueError):
            return default

    print("| target | step | offered cps | answered cps | calls ok / failed | retrans | peak calls "
          "| INVITE→200 p50 / p99 / max | target CPU s | CPU per call | SIPp CPU s | pacing p99 | RSS before / peak | result |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if r.get("step") in ("overload", "bridged"):
            continue  # their own tables below
        if r.get("skipped"):
            print(f"| {r['target']} | {r['step']} | {r.get('rate', '')} | | | | | | | | | | | {r['skipped']} |")
            continue
        rss = (f"{num(r, 'rss0_kb', 0) / 1024:.0f} / {num(r, 'rss_peak_kb', 0) / 1024:.0f} MB"
               if num(r, "rss_peak_kb") else "n/a")
        cpu = num(r, "cpu_s")
        ok = int(num(r, "ok", 0))
        cpc = f"{cpu * 1000 / ok:.2f} ms" if cpu is not None and ok else "n/a"
        rtd = "/".join(r.get(k, "?") for k in ("rtd_p50_ms", "rtd_p99_ms", "rtd_max_ms")) + " ms" if "rtd_p99_ms" in r else "n/a"
        print(f"| {r['target']} | {r['step']} | {r['rate']} | {r.get('answered_cps', 'n/a')} "
              f"| {ok} / {r.get('failed', '?')} | {r.get('retrans', '?')} | {r.get('peak', '?')} | {rtd} "
              f"| {cpu if cpu is not None else 'n/a'} | {cpc} | {r.get('sipp_cpu_s', 'n/a')} | {r.get('pacing_p99', 'n/a')} "
              f"| {rss} | {r.get('result', '')} |")
    print()
    summary(rows, num)
    bridged_report(rows, num)
    overload_report(rows, num)


def bridged_report(rows, num):
    """The bridged concurrency steps (bridged.py): callers through the IVR
    to SIPp agents, the relay, a share recorded, IVR callers beside them."""
    br = [r for r in rows if r.get("step") == "bridged"]
    if not br:
        return
    print()
    print("Bridged concurrency (`bridged.py`: callers through the IVR to agents' SIPp phones and wasl's relay, a share "
          "recorded, IVR callers beside them; the relay's delay from a probe call's capture):")
    print()
    print("| agents + IVR callers | up at once (with an agent) | callers ok / failed | agents ok / failed | retrans "
          "| recorded (frames dropped) | pacing p99 (paced legs) | relay p50 / p99 / max | wasl CPU, all up "
          "| RSS before / peak (per call) | load | result |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in br:
        calls = num(r, "calls_at_once", 0) or num(r, "peak", 0) or 0
        r0, r1 = num(r, "rss0_kb", 0) or 0, num(r, "rss_peak_kb", 0) or 0
        per = f"{(r1 - r0) / calls:.0f} KB" if calls and r1 else "n/a"
        relay = (f"{r.get('relay_p50_ms')} / {r.get('relay_p99_ms')} / {r.get('relay_max_ms')} ms"
                 if "relay_p99_ms" in r else "n/a")
        print(f"| {r.get('agents', '?')} + {r.get('ivr_calls', '?')} at {r.get('rate', '?')}/s "
              f"| {r.get('calls_at_once', '?')} ({r.get('bridged_at_once', '?')}) | {r.get('ok', '?')} / {r.get('failed', '?')} "
              f"| {r.get('agents_ok', '?')} / {r.get('agents_failed', '?')} | {r.get('retrans', '?')} "
              f"| {r.get('recordings', '?')} of {r.get('recorded_calls', '?')} ({r.get('rec_dropped_frames', '?')}) "
              f"| {r.get('pacing_p99', 'n/a')} | {relay} | {r.get('cpu_plateau_pct', '?')} % of a core "
              f"| {r0 / 1024:.0f} / {r1 / 1024:.0f} MB ({per}) | {r.get('load', '?')} | {r.get('result', '')} |")
    print()
    ok = [r for r in br if r.get("result") == "pass"]
    best = max(ok, key=lambda r: num(r, "calls_at_once", 0) or 0, default=None)
    if best:
        print(f"* largest bridged step that passed: **{best.get('calls_at_once')} calls at once, "
              f"{best.get('bridged_at_once')} of them with an agent** (2,000 at once with media, bridged and recorded "
              f"among them: {'met' if (num(best, 'calls_at_once', 0) or 0) >= 2000 else '**not met**'})")
    else:
        print("* no bridged step passed")


def pacing_bound_ms(v):
    """'≤ 5 ms' -> 5.0; '> 20 ms' -> inf; anything else -> None."""
    v = (v or "").strip()
    try:
        if v.startswith("≤"):
            return float(v[1:].split()[0])
        if v.startswith(">"):
            return float("inf")
    except ValueError:
        pass
    return None


def summary(rows, num):
    """The issue's targets, each met / not met / not measured."""
    ramp = [r for r in rows if r.get("step") == "ramp" and not r.get("skipped")]
    hold = [r for r in rows if r.get("step") == "hold" and not r.get("skipped")]
    best = {}
    for r in ramp:
        rate = int(r["rate"])
        if r.get("result") == "pass" and rate > best.get(r["target"], (0, ""))[0]:
            best[r["target"]] = (rate, r.get("answered_cps", "?"))
    for t in dict.fromkeys(r["target"] for r in rows):
        if t in best:
            print(f"* **{t}**: highest step with every call ok and no retransmission: "
                  f"**{best[t][0]} calls/s** offered ({best[t][1]} answered/s).")
        elif any(r["target"] == t for r in ramp):
            print(f"* **{t}**: no ramp step passed.")
    print()
    print("| target (issue) | measured | verdict |")
    print("|---|---|---|")

    def verdict(ok):
        return "n/a" if ok is None else ("met" if ok else "**not met**")

    w = best.get("wasl")
    measured = any(r["target"] == "wasl" for r in ramp)
    why = next((r["skipped"] for r in rows if r["target"] == "wasl" and r.get("skipped")), "")
    not_run = f"not run: {why}" if why else "not run"
    print(f"| wasl ≥ 1,000 calls/s, no failed call, no retransmission "
          f"| {f'{w[0]} calls/s' if w else ('no step passed' if measured else not_run)} "
          f"| {verdict((w[0] >= 1000) if w else (False if measured else None))} |")
    wh = [r for r in hold if r["target"] == "wasl"]
    if wh:
        r = wh[-1]
        peak = int(num(r, "peak", 0))
        ok = r.get("result") == "pass" and peak >= 2000
        small = int(num(r, "calls", 0)) < 2000
        print(f"| wasl ≥ 2,000 simultaneous calls with media | {r.get('ok')} of {r.get('calls')} ok, peak {peak}, "
              f"{r.get('retrans')} retrans "
              f"| {'n/a: this run holds fewer than 2,000 calls' if small and r.get('result') == 'pass' else verdict(ok)} |")
        b = pacing_bound_ms(r.get("pacing_p99"))
        print(f"| wasl RTP pacing error p99 < 5 ms (concurrency run) | {r.get('pacing_p99', 'n/a')} "
              f"| {verdict(None if b is None else b <= 5)} |")
    else:
        print(f"| wasl ≥ 2,000 simultaneous calls with media | {not_run} | n/a |")
        print(f"| wasl RTP pacing error p99 < 5 ms | {not_run} | n/a |")
    for r in wh:
        peak, r0, r1 = num(r, "peak", 0), num(r, "rss0_kb"), num(r, "rss_peak_kb")
        if peak and r0 is not None and r1:
            print(f"| wasl memory per call (RSS peak − before, ÷ peak calls; IVR calls with media, no recording) "
                  f"| {(r1 - r0) / peak:.0f} KB ({r0 / 1024:.0f} → {r1 / 1024:.0f} MB, {peak:.0f} calls) | reported |")
    ratios = []
    for rate in sorted({int(r["rate"]) for r in ramp}):
        d = {}
        for r in ramp:
            if int(r["rate"]) == rate and r.get("result") == "pass" and num(r, "cpu_s") is not None:
                d[r["target"]] = num(r, "cpu_s") * 1000 / int(num(r, "ok", 1))
        if "wasl" in d and "kamailio" in d and d["kamailio"] > 0:
            ratios.append((rate, d["wasl"] / d["kamailio"]))
    if ratios:
        text = ", ".join(f"{rate} cps {x:.2f}×" for rate, x in ratios)
        print(f"| wasl CPU per call ≤ 2× Kamailio's (steps both passed) | {text} "
              f"| {verdict(max(x for _, x in ratios) <= 2)} |")
    else:
        print("| wasl CPU per call ≤ 2× Kamailio's | no step where both passed | n/a |")


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "ports":
        print(" ".join(str(p) for p in free_ports(int(sys.argv[2]))))
    elif cmd == "mediaport":
        print(media_port())
    elif cmd == "rtpblock":
        print(rtp_block(int(sys.argv[2])))
    elif cmd == "cpu":
        t, n = cpu_ticks(int(sys.argv[2]))
        print(f"{t} {n} {HZ}")
    elif cmd == "times":
        print(sipp_times(sys.argv[2:]))
    elif cmd == "sipp":
        sipp_dir(sys.argv[2])
    elif cmd == "pacing":
        pacing(sys.argv[2], sys.argv[3])
    elif cmd == "overload":
        overload(sys.argv[2], sys.argv[3])
    elif cmd == "wire":
        wire(sys.argv[2], sys.argv[3])
    elif cmd == "stalls":
        stalls(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "report":
        report(sys.argv[2])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
