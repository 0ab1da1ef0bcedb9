"""The SIP suite's proxy scenarios (the "path" group of run.py).

Several wasl nodes sit behind Kamailio (docs/scale-out.md). The agents'
phones register through it, and it adds a Path (RFC 3327) naming itself with
the phone's address as it saw it (add_path_received): the phone here writes
a private address in its Contact (10.0.0.10, as behind NAT), so only a
request that goes through Kamailio reaches it. What a user would notice: a
call rings the phone through the proxy; the standby on the same store,
once it takes over, rings it without the phone registering again (SQLite
and PostgreSQL); a
phone cannot make wasl send to a host of its choice with a Path of its own;
one phone's wrong passwords do not lock the others out of the proxy.
"""
import os
import shutil
import socket
import subprocess
import sys
import time

import sipua
from sipua import UA, Msg, parse_challenge, digest_header
from siptest import (FR_DID, PHONE_PW, PORTS, SANITIZER_MARKERS, TOP, Failure, Wasl, agent_login, read_log,
                     spawn, stop_proc, wait_until)

sys.path.insert(0, os.path.join(TOP, "tests", "lib"))

KAMAILIO_CFG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kamailio_path.cfg")
NAT_HOST = "10.0.0.10:5060"  # the phone's Contact: a private address nobody here can reach
NAT_HOST_MOVED = "10.0.0.11:5060"


class Kamailio:
    """Kamailio (Debian's) with kamailio_path.cfg, sending REGISTERs to one
    wasl node; stopped by PID."""

    def __init__(self, work, name, wasl_sip_port):
        self.port = PORTS.get()
        self.dir = os.path.join(work, f"kamailio-{name}")
        os.makedirs(self.dir, exist_ok=True)
        defs = ["-A", f"KAM_PORT={self.port}", "-A", f'WASL_URI="sip:127.0.0.1:{wasl_sip_port}"']
        chk = subprocess.run(["kamailio", "-c", "-f", KAMAILIO_CFG] + defs, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, timeout=30)
        if chk.returncode:
            raise Failure("kamailio -c refused kamailio_path.cfg: " + chk.stdout[-1500:])
        self.log_path = os.path.join(self.dir, "kamailio.log")
        self.logf = open(self.log_path, "w")  # noqa: SIM115 - closed by stop()
        self.proc = spawn(["kamailio", "-f", KAMAILIO_CFG, "-DD", "-E", "-m", "64", "-M", "8", "-Y", self.dir] + defs,
                          stdout=self.logf, stderr=subprocess.STDOUT)
        probe = UA("127.0.0.1", ("127.0.0.1", self.port), user="probe", name="kamailio-probe", tone=0)
        try:
            # any answer to an OPTIONS (its 404: no Route to follow) says it runs
            up = wait_until(lambda: self.proc.poll() is None and probe.options(timeout=0.5) is not None, 20, 0.1)
        finally:
            probe.close()
        if not up:
            self.stop()
            raise Failure("kamailio did not start: " + self.log()[-1500:])

    def log(self):
        return read_log(self.log_path)

    def stop(self):
        stop_proc(self.proc, wait=10)
        self.logf.close()


def proxied_phone(t, kam, who="agent", mode="answer", ip="127.0.0.1", supported_path=True):
    """A phone behind NAT registered through Kamailio: its Contact a private
    address, Supported: path (RFC 3327 5.3: the 200 then carries the Path)."""
    p = UA(ip, ("127.0.0.1", kam.port), user=who, password=PHONE_PW[who], name=f"{who}-phone-nat", mode=mode, tone=600)
    p.contact_host = NAT_HOST
    codes = p.register(expires=300, extra=[("Supported", "path")] if supported_path else [])
    t.note(f"{who}'s phone at {ip}:{p.port}, Contact {NAT_HOST}, through Kamailio {kam.port}: REGISTER {codes}")
    if codes[-1] != 200:
        p.close()
        raise Failure(f"REGISTER of {who}'s phone through Kamailio: {codes}")
    return p


def wait_phone(t, srv, who="agent", contact_part=NAT_HOST, timeout=10):
    """GET /api/v1/me/phone once it shows the phone registered at a contact
    that holds contact_part (the snapshot follows a change within 100 ms)."""
    got = {}

    def seen():
        got.update(srv.api(who, "GET", "/api/v1/me/phone"))
        return got.get("registered") and contact_part in (got.get("contact") or "")

    ok = wait_until(seen, timeout, 0.05)
    t.note(f"{srv.name}: {who}'s phone {got}")
    return ok


def to_queue(srv, ua, number, cid):
    """A Python caller through the IVR into the French queue (French, then
    1 for an agent); its call number."""
    known = srv.call_ids()
    code = ua.call(FR_DID, caller=number, cid=cid)
    if code != 200:
        raise Failure(f"the caller's INVITE got {code}")
    c = srv.wait_node("language", known)
    ua.dtmf("1")
    srv.wait_node("main_menu", known)
    ua.dtmf("1")
    return c["id"]


def invites(ph):
    return [m for _, m in ph.requests if m.is_request and m.method == "INVITE" and not sipua.param(m.get("to"), "tag")]


def ring_through(t, srv, kam, ph, number, cid, contact=NAT_HOST):
    """A caller queued at srv; the phone rings through Kamailio (the INVITE
    comes from the proxy, with its Via and Record-Route), answers, the caller
    hangs up and the phone gets the BYE."""
    before = len(invites(ph))
    caller = UA("127.0.0.1", ("127.0.0.1", srv.sip_port), user="caller", name=f"caller-{cid}", tone=1000)
    try:
        to_queue(srv, caller, number, cid)
        t.check(wait_until(lambda: len(invites(ph)) > before, 15, 0.05), f"{srv.name} rings the phone")
        inv = invites(ph)[-1]
        vias = inv.getall("via")
        t.note(f"INVITE to the phone: R-URI {inv.uri}; Via {vias}; Record-Route {inv.getall('record-route')}")
        t.check(len(vias) == 2 and f"127.0.0.1:{kam.port}" in vias[0], "it came through Kamailio (its Via on top)")
        t.check(any(f"127.0.0.1:{kam.port}" in r for r in inv.getall("record-route")), "Kamailio stays in the dialog")
        t.check(contact.split(":")[0] in inv.uri, "addressed to the phone's Contact, which only Kamailio's Path reaches")
        t.check(ph.wait_event("ACK", 10), "the phone answers and gets the ACK (through Kamailio)")
        t.eq(caller.bye(), 200, "the caller hangs up")
        t.check(ph.wait_event("BYE received", 10), "the phone gets the BYE")
    finally:
        if caller.dialog and not caller.dialog.get("ended"):
            caller.bye()
        caller.close()


def s_path_call(t):
    """A phone behind NAT registers through Kamailio: wasl keeps the Path,
    answers it in the 200 to a phone that supports it (not to one that does
    not), and a caller's call rings the phone through Kamailio although its
    Contact is an address nobody can reach. The store's row has the path and
    the node."""
    srv = t.srv
    kam = Kamailio(t.work, "call", srv.sip_port)
    ph = None
    try:
        ph = proxied_phone(t, kam)
        path = ph.last_register.get("path") or ""
        t.note(f"Path in the 200: {path}")
        t.check(f"127.0.0.1:{kam.port}" in path and "lr" in path, "the 200 carries the Path (the phone said Supported: path)")
        t.check(wait_phone(t, srv), "the agent's phone shows registered at its Contact")
        agent_login(t)
        ring_through(t, srv, kam, ph, "+33612345671", "path1")
        # refreshed without Supported: path: still kept, not echoed
        codes = ph.register(expires=300)
        t.eq(codes[-1], 200, "a refresh without Supported: path")
        t.check(not ph.last_register.get("path"), "no Path in the 200 to a phone that did not say it supports it")
        import sqlite3
        with sqlite3.connect(srv.db) as db:
            row = wait_until(lambda: db.execute("SELECT path, flow, node FROM sip_registrations s JOIN sip_accounts a "
                                                "ON a.user_id = s.user_id WHERE a.sip_user = 'agent'").fetchone(), 5)
        t.note(f"sip_registrations: {row}")
        t.check(row and f"127.0.0.1:{kam.port}" in row[0] and row[1] == "" and row[2].endswith(f":{srv.sip_port}"),
                "the store keeps the path, no connection, and the node that took it")
        ring_through(t, srv, kam, ph, "+33612345672", "path2")
    finally:
        if ph:
            ph.register(expires=0)
            ph.close()
        kam.stop()


def s_path_refused(t):
    """A Path wasl did not get from a proxy of sip.path_from is refused
    before any digest: a phone at 127.0.0.2 sending its own Path gets 403
    naming sip.path_from; a phone behind Kamailio that slips a host of its
    choice under Kamailio's Path gets 403 too (every hop must be a proxy).
    Neither phone is registered afterwards."""
    srv = t.srv
    kam = Kamailio(t.work, "refused", srv.sip_port)
    direct = UA("127.0.0.2", ("127.0.0.1", srv.sip_port), user="supervisor", password=PHONE_PW["supervisor"],
                name="supervisor-direct", tone=0)
    behind = UA("127.0.0.1", ("127.0.0.1", kam.port), user="supervisor", password=PHONE_PW["supervisor"],
                name="supervisor-behind", tone=0)
    try:
        codes = direct.register(expires=300, extra=[("Path", "<sip:127.0.0.2:5060;lr>")])
        warn = direct.last_register.get("warning") if direct.last_register else None
        t.note(f"REGISTER with its own Path from 127.0.0.2: {codes}; Warning: {warn}")
        t.eq(codes, [403], "refused at once (no challenge)")
        t.check("sip.path_from" in (warn or ""), "the Warning names sip.path_from")
        codes = behind.register(expires=300, extra=[("Path", "<sip:192.0.2.66:5060;lr>")])
        warn = behind.last_register.get("warning") if behind.last_register else None
        t.note(f"REGISTER through Kamailio with a Path to 192.0.2.66 under Kamailio's: {codes}; Warning: {warn}")
        t.eq(codes, [403], "refused: 192.0.2.66 is not a proxy of sip.path_from")
        me = srv.api("supervisor", "GET", "/api/v1/me/phone")
        t.check(not me.get("registered"), f"the supervisor's phone is not registered ({me.get('contact')})")
        codes = direct.register(expires=300)
        t.eq(codes[-1], 200, "the same phone without a Path registers")
        direct.register(expires=0)
    finally:
        direct.close()
        behind.close()
        kam.stop()


def s_path_lockout(t):
    """Behind Kamailio every REGISTER comes from Kamailio's address: a phone
    at 127.0.0.3 that keeps failing its password (sip.auth_failures = 3) is
    locked out by its own address (Kamailio's received= on its Via), and the
    agent's phone at 127.0.0.1 still registers through the same Kamailio."""
    srv = t.srv
    kam = Kamailio(t.work, "lockout", srv.sip_port)
    bad = UA("127.0.0.3", ("127.0.0.1", kam.port), user="supervisor", password="not-the-password", name="guesser", tone=0)
    ph = None
    try:
        seen = []
        for _ in range(5):
            seen.append(bad.register(expires=300, timeout=1.5))
        t.note(f"wrong passwords from 127.0.0.3 through Kamailio: {seen}")
        t.check(seen[-1] == [None], "the guesser gets no answer any more (locked out)")
        t.check(srv.metrics().get("wasl_sip_lockouts_total", 0) >= 1, "a lock-out is counted")
        ph = proxied_phone(t, kam)
        t.check(wait_phone(t, srv), "the agent's phone behind the same Kamailio still registers")
    finally:
        bad.close()
        if ph:
            ph.register(expires=0)
            ph.close()
        kam.stop()


def tcp_register(srv, who, expires=300):
    """A phone registered straight over TCP (no proxy): its binding is this
    node's connection. Returns the open socket (closing it ends the flow)."""
    s = socket.create_connection(("127.0.0.1", srv.sip_port), timeout=5)
    port = s.getsockname()[1]
    uri = f"sip:127.0.0.1:{srv.sip_port}"
    aor = f"<sip:{who}@127.0.0.1:{srv.sip_port}>"
    auth = None
    buf = b""
    for cseq in (1, 2):
        hdrs = [("Via", f"SIP/2.0/TCP 127.0.0.1:{port};branch=z9hG4bKtcp{cseq}{port};rport"), ("Max-Forwards", "70"),
                ("From", f"{aor};tag=tcp{port}"), ("To", aor), ("Call-ID", f"tcp-{port}@127.0.0.1"),
                ("CSeq", f"{cseq} REGISTER"), ("Contact", f"<sip:{who}@127.0.0.1:{port};transport=tcp>"),
                ("Expires", str(expires))] + ([("Authorization", auth)] if auth else [])
        s.sendall(Msg(f"REGISTER {uri} SIP/2.0", hdrs).encode())
        while True:
            while b"\r\n\r\n" not in buf:
                chunk = s.recv(65536)
                if not chunk:
                    raise Failure("wasl closed the TCP connection")
                buf += chunk
            head, _, buf = buf.partition(b"\r\n\r\n")
            r = Msg.parse(head + b"\r\n\r\n")
            if r.code >= 200:
                break
        if r.code == 401:
            auth = digest_header(parse_challenge(r.get("www-authenticate")), who, PHONE_PW[who], "REGISTER", uri)
            continue
        if r.code != 200:
            raise Failure(f"TCP REGISTER of {who}: {r.code}")
        return s
    raise Failure(f"TCP REGISTER of {who}: still challenged")


def second_node(t, first, tag, pg_url=None):
    """The scenario of s_second_node on one store, `first` leading a cluster:
    the agent's phone registers through Kamailio with it and the
    supervisor's straight over TCP; a second node stands by on the same store
    (and the same SIP address, which only the leader listens on). The first
    stops cleanly (it gives the lease back): the second takes over and rings
    the agent's phone without a new REGISTER, and skips the supervisor's
    (another process's connection), saying so once in its log. The phone
    moves and registers again: the new leader rings it at its new contact;
    it unregisters: the leader lets it go."""
    kam = Kamailio(t.work, f"second-{tag}", first.sip_port)
    ph = sock = second = None
    try:
        ph = proxied_phone(t, kam)
        t.check(wait_phone(t, first), f"{first.name}: the agent's phone is registered")
        sock = tcp_register(first, "supervisor")
        t.check(wait_phone(t, first, "supervisor", ";transport=tcp"), f"{first.name}: the supervisor's phone over TCP")
        # both rows written (the event log's projection) before the second node reads them
        t.check(wait_until(lambda: first.metrics().get("wasl_events_pending", 1) == 0, 5), "the event log is written")
        registers = sum(1 for _, first_line, _ in ph.sent if first_line.startswith("REGISTER"))
        settings = {k: v for k, v in first.settings.items() if not k.startswith(("http.", "sip.rtp_", "cluster.node"))}
        second = Wasl(f"{first.name}-b", first.binary, t.work, settings)
        second.db, second.key, second.sip_port = first.db, first.key, first.sip_port
        second.settings.update({"cases.key_file": first.key, "cluster.node": second.name, "sip.port": first.sip_port})
        # the audit trail's key, as every node of a center has it
        shutil.copy(os.path.join(first.dir, "wasl-audit.key"), second.dir)
        second.serve()
        t.check(second.standby, "the second node stands by while the first leads")
        t.note(f"second node up: http {second.port}, sip {second.sip_port} on {'PostgreSQL' if pg_url else 'SQLite'}")
        stop_clean(t, first)
        t.check(wait_until(lambda: "on lead, telephony:" in second.log(), 20, 0.05), "the second node takes over")
        t.check(wait_phone(t, second), "the second node shows the agent's phone registered (no new REGISTER)")
        me = second.api("supervisor", "GET", "/api/v1/me/phone")
        t.check(not me.get("registered"), "the supervisor's phone, bound to the first node's TCP connection, is not")
        t.check(wait_until(lambda: "supervisor registered with node" in second.log(), 5),
                "the second node's log says why it skipped it")
        second.api("agent", "PUT", "/api/v1/me/state", {"state": "available"})
        ring_through(t, second, kam, ph, "+33612345673", f"second-{tag}")
        after = sum(1 for _, first_line, _ in ph.sent if first_line.startswith("REGISTER"))
        t.eq(after, registers, "the phone sent no REGISTER meanwhile")
        # the phone moves (another private address) and registers again,
        # through Kamailio, with the node that now leads
        ph.contact_host = NAT_HOST_MOVED
        t.eq(ph.register(expires=300, extra=[("Supported", "path")])[-1], 200, "the phone registers again, moved")
        t.check(wait_phone(t, second, contact_part=NAT_HOST_MOVED, timeout=5), f"{second.name} has its new contact")
        ring_through(t, second, kam, ph, "+33612345674", f"moved-{tag}", NAT_HOST_MOVED)
        t.eq(ph.register(expires=0)[-1], 200, "the phone unregisters")
        t.check(wait_until(lambda: not second.api("agent", "GET", "/api/v1/me/phone").get("registered"), 5, 0.05),
                f"{second.name} no longer shows it registered")
        # the supervisor's phone, as it registered over TCP, in the second's log once
        t.eq(second.log().count("supervisor registered with node"), 1, "the unreachable binding is logged once")
    finally:
        if second:
            stop_clean(t, second)
        if sock:
            sock.close()
        if ph:
            ph.close()
        kam.stop()


def stop_clean(t, srv):
    """Stops a node started here (SIGTERM); its log must hold no sanitizer report."""
    srv.stop()
    log = srv.log()
    found = [m for m in SANITIZER_MARKERS if m in log]
    if found or srv.rc:
        t.note(log[-3000:])
    t.check(not found and srv.rc == 0, f"{srv.name} stopped cleanly, no sanitizer report")


def _first_node(t, tag, db=None):
    """The first node of a cluster of two on a store of its own (SQLite, or
    the PostgreSQL database db): it leads."""
    settings = {k: v for k, v in t.srv.settings.items() if not k.startswith(("http.", "sip.port", "sip.rtp_"))}
    settings.update({"cluster.enabled": "true", "cluster.node": f"{t.srv.name}-{tag}"})
    first = Wasl(f"{t.srv.name}-{tag}", t.srv.binary, t.work, settings)
    if db:
        first.db = db
    first.start()
    if first.error:
        raise Failure(f"the first node on {tag} did not start: " + first.error)
    return first


def s_second_node(t):
    """Two nodes of a cluster on one SQLite store (the file): see second_node()."""
    first = _first_node(t, "sq")
    try:
        second_node(t, first, "sqlite")
    finally:
        if first.alive():
            stop_clean(t, first)


def s_second_node_pg(t):
    """Two nodes of a cluster on one PostgreSQL store: a private server
    (tests/lib/pgserver), the first node initialised on it, then second_node()."""
    import pgserver
    pg = pgserver.PgServer().start()
    first = None
    try:
        first = _first_node(t, "pg", pg.url("wasl_path"))
        second_node(t, first, "pg", first.db)
    finally:
        try:
            if first and first.alive():
                stop_clean(t, first)
        finally:
            pg.stop()

