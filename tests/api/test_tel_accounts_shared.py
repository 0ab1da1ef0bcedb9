"""Changes to users and SIP accounts reach every process's telephony within
a second (issue 10): a user disabled with the CLI (another process on the
same store) has their phone let go by the running server and cannot
register again; on PostgreSQL, the leader of two nodes, whose telephony
holds the agent's phone, follows an administrator's changes made on the
standby (disabled, a new SIP password). Before, each process kept the accounts it
read at start until a restart."""
import os
import sys

from harness import Client, Server, seconds_until, telephony_settings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sip"))
import sipua  # noqa: E402

PHONE_PW = "agent-phone-2026"
WITHIN = 1.0  # seconds: what the issue asks


_rtp = 14000 + 200 * (os.getpid() % 100)
SETTINGS = telephony_settings(_rtp, 99)


def _phones(c):
    return c.get("/api/v1/tel/status").json["phones_registered"]


def _reloads(c):
    """How many times this node read the SIP accounts again after a change."""
    body = c.get("/metrics").body
    for line in (body.decode() if isinstance(body, bytes) else body).splitlines():
        if line.startswith("wasl_sip_accounts_reloads_total "):
            return int(line.split()[1])
    raise AssertionError("wasl_sip_accounts_reloads_total is not in /metrics")



def _phone(port, name):
    return sipua.UA("127.0.0.1", ("127.0.0.1", port), user="agent", password=PHONE_PW, name=name)


def test_cli_disable_reaches_the_running_server(t):
    sup = t.login("supervisor")
    ph = _phone(int(SETTINGS["sip.port"]), "cli-phone")
    try:
        t.eq(ph.register(expires=300)[-1], 200, "the agent's phone registers")
        t.true(seconds_until(lambda: _phones(sup) == 1, 5) is not None, "the server shows it registered")
        r = t.srv.cli("user", "disable", "agent")
        t.eq(r.returncode, 0, f"wasl user disable agent: {r.stderr}")
        took = seconds_until(lambda: _phones(sup) == 0, 5)
        t.true(took is not None and took <= WITHIN, f"the running server let the phone go within {WITHIN} s (took {took})")
        t.true(ph.register(expires=300)[-1] != 200, "the disabled agent's phone cannot register again")
        m0 = _reloads(sup)
        r = t.srv.cli("user", "enable", "agent")
        t.eq(r.returncode, 0, f"wasl user enable agent: {r.stderr}")
        took = seconds_until(lambda: _reloads(sup) > m0, 5)
        t.true(took is not None and took <= WITHIN, f"the running server read the accounts again within {WITHIN} s (took {took})")
        t.eq(ph.register(expires=300)[-1], 200, "enabled again, the phone registers")
    finally:
        t.srv.cli("user", "enable", "agent")
        ph.register(expires=0)
        ph.close()


def test_second_node_follows_account_changes(t):
    """Two nodes of a cluster on PostgreSQL: an administrator's changes made
    on the standby (node 2, which runs no telephony) reach the telephony of
    the leader (node 1), which holds the agent's phone. (Two nodes each
    running their telephony on one store are refused: src/cluster.)"""
    t.srv.stop()  # the file's node joins a cluster, as node 1
    t.srv.settings.update({"cluster.enabled": "true", "cluster.node": "one"})
    t.srv.port, t.srv.init = None, False
    t.srv.start()
    node2 = Server(t.srv.binary, backend="postgresql", db_url=t.srv.db, init=False,
                   settings=dict(telephony_settings(_rtp + 100, 99), **{"cluster.enabled": "true", "cluster.node": "two"}))
    node2.share_keys(t.srv)
    node2.start()
    ph = _phone(int(SETTINGS["sip.port"]), "leader-phone")
    admin = Client(node2)
    admin.login("admin")
    uid = {u["login"]: u for u in admin.get("/api/v1/users").json["users"]}["agent"]["id"]
    languages = admin.get(f"/api/v1/users/{uid}/sip").json["languages"]
    try:
        sup1 = t.login("supervisor")
        t.eq(Client(node2).get("/healthz").json["cluster"]["role"], "standby", "node 2 stands by")
        t.eq(ph.register(expires=300)[-1], 200, "the agent's phone registers on node 1")
        t.true(seconds_until(lambda: _phones(sup1) == 1, 5) is not None, "node 1 shows it registered")

        # disabled on node 2: node 1 lets the phone go
        t.status(admin.patch(f"/api/v1/users/{uid}", {"disabled": True}), 200, None, "disabled on node 2")
        took = seconds_until(lambda: _phones(sup1) == 0, 5)
        t.true(took is not None and took <= WITHIN, f"node 1 let the phone go within {WITHIN} s (took {took})")
        t.true(ph.register(expires=300)[-1] != 200, "node 1 refuses the disabled agent's phone")
        m0 = _reloads(sup1)
        t.status(admin.patch(f"/api/v1/users/{uid}", {"disabled": False}), 200, None, "enabled on node 2")
        took = seconds_until(lambda: _reloads(sup1) > m0, 5)
        t.true(took is not None and took <= WITHIN, f"node 1 read the accounts again within {WITHIN} s (took {took})")
        t.eq(ph.register(expires=300)[-1], 200, "node 1 takes the phone again")

        # a new SIP password set on node 2: node 1 refuses the old one
        m0 = _reloads(sup1)
        new_pw = "node-two-phone-2026"
        r = admin.put(f"/api/v1/users/{uid}/sip", {"sip_user": "agent", "password": new_pw, "languages": languages})
        t.status(r, 200, None, "a new SIP password on node 2")
        took = seconds_until(lambda: _reloads(sup1) > m0, 5)
        t.true(took is not None and took <= WITHIN, f"node 1 read the accounts again within {WITHIN} s (took {took})")
        t.true(ph.register(expires=300)[-1] != 200, "node 1 refuses the old password")
        t.eq(ph.register(expires=300, password=new_pw)[-1], 200, "node 1 takes the new password")
    finally:
        admin.put(f"/api/v1/users/{uid}/sip", {"sip_user": "agent", "password": PHONE_PW, "languages": languages})
        admin.patch(f"/api/v1/users/{uid}", {"disabled": False})
        ph.register(expires=0)
        ph.close()
        node2.cleanup()


test_second_node_follows_account_changes.backends = ("postgresql",)
