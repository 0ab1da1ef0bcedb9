"""Slow clients (slowloris) cannot take the web server down.

The attack of the outside review: 1,150 connections from five loopback
addresses (230 each, under http.max_per_address 256), each sending one byte
every 2 s and never finishing its request head, and opening a new connection
when one is closed. libmicrohttpd's idle time-out starts again at every byte,
so before the connection guard (src/http/guard.c) they held every one of the
1,024 slots and every legitimate request failed. Now a new connection has
http.head_timeout for its whole head, the oldest of those still waiting are
cut off beyond (100 - http.reserve) % of the slots, and a legitimate client
on 127.0.0.1 keeps its answers under a second.
"""
import http.client
import re
import resource
import selectors
import socket
import threading
import time

import harness


SQLITE_ONLY = True  # the web layer is the same on both backends
SETTINGS = {"http.head_timeout": "3s", "http.timeout": "6s", "http.max_connections": "1024",
            "http.max_per_address": "256", "http.reserve": "25"}

ATTACKERS = [f"127.0.0.{i}" for i in range(2, 7)]
PER_ADDRESS = 230
TICK = 2.0  # one byte (or one reconnection) per connection this often
LEGIT_FOR = 15.0


class Slowloris(threading.Thread):
    """Every slot: connect, send a request line and a first header, then one
    more byte of header every TICK s, never the blank line; when the server
    closes it, connect again at its next tick."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.stopping = False
        self.sel = selectors.DefaultSelector()
        n = len(ATTACKERS) * PER_ADDRESS
        # Spread the ticks so the bytes do not all go at once.
        self.slots = [{"addr": ATTACKERS[i // PER_ADDRESS], "sock": None, "due": time.time() + TICK * i / n}
                      for i in range(n)]
        self.connects = 0
        self.closed_by_server = 0
        self.started_all = threading.Event()

    def connect(self, slot):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.bind((slot["addr"], 0))
        s.connect_ex(("127.0.0.1", self.port))
        slot["sock"] = s
        slot["sent"] = 0
        self.sel.register(s, selectors.EVENT_READ, slot)
        self.connects += 1

    def drop(self, slot):
        self.sel.unregister(slot["sock"])
        slot["sock"].close()
        slot["sock"] = None

    def run(self):
        first_round = len(self.slots)
        while not self.stopping:
            for key, _ in self.sel.select(timeout=0.05):
                slot = key.data
                try:
                    data = slot["sock"].recv(4096)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:
                    self.closed_by_server += 1
                    self.drop(slot)
            now = time.time()
            for slot in self.slots:
                if slot["due"] > now:
                    continue
                slot["due"] = now + TICK
                if slot["sock"] is None:
                    self.connect(slot)
                    if first_round:
                        first_round -= 1
                        if not first_round:
                            self.started_all.set()
                    continue
                chunk = b"GET / HTTP/1.1\r\nHost: x\r\nX-a: " if slot["sent"] == 0 else b"a"
                try:
                    slot["sock"].send(chunk)
                    slot["sent"] += 1
                except BlockingIOError:
                    pass  # still connecting (the server has not accepted it)
                except OSError:
                    self.closed_by_server += 1
                    self.drop(slot)
        for slot in self.slots:
            if slot["sock"] is not None:
                self.drop(slot)


def legit_request(port):
    """One request on a new connection from 127.0.0.1: seconds, or None."""
    t0 = time.time()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5, source_address=("127.0.0.1", 0))
    try:
        c.request("GET", "/healthz", headers={"Host": "127.0.0.1"})
        r = c.getresponse()
        r.read()
        return time.time() - t0 if r.status == 200 else None
    except OSError:
        return None
    finally:
        c.close()


def test_slowloris_leaves_room_for_real_clients(t):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = len(ATTACKERS) * PER_ADDRESS + 200
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))
    attack = Slowloris(t.srv.port)
    attack.start()
    try:
        t.true(attack.started_all.wait(20), "the attack opened its 1,150 connections")
        lat, failed = [], 0
        end = time.time() + LEGIT_FOR
        while time.time() < end:
            d = legit_request(t.srv.port)
            if d is None:
                failed += 1
                lat.append(5.0)
            else:
                lat.append(d)
    finally:
        attack.stopping = True
        attack.join(10)
    lat.sort()
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    print(f"# {len(lat)} legitimate requests under attack: {failed} failed, p50 {lat[len(lat) // 2] * 1000:.1f} ms, "
          f"p99 {p99 * 1000:.1f} ms, max {lat[-1] * 1000:.1f} ms; attacker: {attack.connects} connections, "
          f"{attack.closed_by_server} closed by the server", flush=True)
    t.true(failed == 0, f"{failed} of {len(lat)} legitimate requests failed during the attack")
    t.true(p99 < 1.0, f"p99 of legitimate requests during the attack: {p99:.2f} s")
    m = t.client().get("/metrics").body
    shed = {k: int(v) for k, v in re.findall(r'wasl_http_connections_shed_total\{reason="(\w+)"\} (\d+)', m)}
    print(f"# shed: {shed}", flush=True)
    t.true(shed.get("head_timeout", 0) + shed.get("new_share", 0) > 0, f"the guard counted what it cut off: {shed}")


def trickle_until_closed(s, within):
    """Sends a header byte every half second until the server closes s:
    the seconds it took, or None when it stayed open `within` s."""
    s.settimeout(0.5)
    t0 = time.time()
    while time.time() - t0 < within:
        try:
            s.sendall(b"a")
            if s.recv(4096) == b"":
                return time.time() - t0
        except socket.timeout:
            continue
        except OSError:
            return time.time() - t0
    return None


def test_head_deadline_is_not_reset_by_bytes(t):
    # One slow connection alone: a byte every half second keeps
    # libmicrohttpd's idle time-out from firing, the head deadline (3 s) not.
    # A kept-alive connection that answered a request at the same moment is
    # between requests, not new: it has http.timeout (6 s) and still works
    # once the slow one was cut off.
    keep = http.client.HTTPConnection("127.0.0.1", t.srv.port, timeout=5)
    keep.request("GET", "/healthz")
    keep.getresponse().read()
    s = socket.create_connection(("127.0.0.1", t.srv.port))
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-a: ")
    took = trickle_until_closed(s, 10)
    s.close()
    t.true(took is not None, "the server closed a connection that kept sending header bytes for 10 s")
    t.true(2.5 < took < 5, f"it was closed after {took:.1f} s (http.head_timeout is 3 s)")
    keep.request("GET", "/healthz")
    t.eq(keep.getresponse().status, 200, "the kept-alive connection, idle past the head deadline, still answers")
    keep.close()


def test_slow_body_is_cut_off(t):
    # Slow POST: the head arrives at once, the body a byte every half second.
    # The whole body must arrive within http.timeout (6 s) of the head.
    s = socket.create_connection(("127.0.0.1", t.srv.port))
    s.sendall(b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Content-Length: 4000\r\n\r\n{")
    took = trickle_until_closed(s, 15)
    s.close()
    t.true(took is not None, "the server closed a request whose body kept trickling for 15 s")
    t.true(5 < took < 9, f"it was closed after {took:.1f} s (http.timeout is 6 s)")
    m = t.client().get("/metrics").body
    t.true(re.search(r'wasl_http_connections_shed_total\{reason="body_timeout"\} [1-9]', m), "counted as body_timeout")


def test_idle_keepalives_make_room_when_full(t):
    # Clients that completed a request and keep their connection open (as
    # browsers do, up to http.timeout) can fill every slot too. With 64
    # slots, an 80th client still gets its answer: the connection idle the
    # longest is cut ("full") instead of the newcomer waiting.
    srv = harness.Server(t.srv.binary, backend="sqlite", settings={"http.max_connections": "64", "http.timeout": "30s"})
    srv.start()
    kept = []
    try:
        for i in range(80):
            c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=3)
            try:
                c.request("GET", "/healthz")
                status = c.getresponse()
                status.read()
            except OSError as e:
                raise harness.Failure(f"client {i + 1} of 80 got no answer with {len(kept)} kept-alive connections: {e}")
            t.eq(status.status, 200, f"client {i + 1}")
            kept.append(c)
        m = harness.Client(srv).get("/metrics").body
        full = re.search(r'wasl_http_connections_shed_total\{reason="full"\} (\d+)', m)
        t.true(full and int(full.group(1)) >= 16, f"the longest idle were cut to make room: {full and full.group(0)}")
    finally:
        for c in kept:
            c.close()
        srv.cleanup()
