"""The audit trail: logins and failures recorded, paging, the chain verified,
concurrent appends (both backends)."""
import threading


def test_logins_and_failures_audited(t):
    c = t.client()
    c.post("/api/v1/session", {"login": "agent", "password": "nope-nope-nope"})
    c.login("agent")
    c.delete("/api/v1/session")
    a = t.login("admin")
    entries = a.get("/api/v1/audit?limit=20").json["entries"]
    actions = [e["action"] for e in entries]
    for want in ("login.failure", "login.success", "logout"):
        t.true(want in actions, f"{want} in {actions}")
    fail = [e for e in entries if e["action"] == "login.failure"][0]
    agent_id = c.user["id"]
    t.eq(fail["object"], f"user:{agent_id}", "a failure on an existing account names the account")
    t.eq(fail["ip"], "127.0.0.1", "source address")
    c.post("/api/v1/session", {"login": "no-such-person", "password": "nope-nope-nope"})
    e = a.get("/api/v1/audit?action=login.failure&limit=1").json["entries"][0]
    t.eq(e["object"], "login:no-such-person", "a failure on no account keeps the login typed")
    everything = a.get(f"/api/v1/audit?object=user:{agent_id}").json["entries"]
    t.true({"login.failure", "login.success", "logout"} <= {x["action"] for x in everything},
           "one object filter shows everything about the account")


def test_audit_paging(t):
    a = t.login("admin")
    first = a.get("/api/v1/audit?limit=2").json["entries"]
    t.eq(len(first), 2, "page size")
    older = a.get(f"/api/v1/audit?limit=2&before={first[-1]['seq']}").json["entries"]
    t.true(older and older[0]["seq"] < first[-1]["seq"], "older page")
    t.status(a.get("/api/v1/audit?limit=0"), 400, None, "limit 0")
    t.status(a.get("/api/v1/audit?limit=100000"), 400, None, "limit too big")
    r = a.get("/api/v1/audit?before=abc")
    t.status(r, 400, "request.invalid_parameter", "before=abc")
    t.eq(r.json["error"]["field"], "before", "parameter named")
    only = a.get("/api/v1/audit?action=login.success").json["entries"]
    t.true(only and all(e["action"] == "login.success" for e in only), "filter by action")


def test_verify_intact(t):
    a = t.login("admin")
    v = a.get("/api/v1/audit/verify").json
    t.eq((v["intact"], v["first_bad_entry"]), (True, 0), f"intact: {v}")
    r = t.srv.cli("audit", "verify")
    t.eq(r.returncode, 0, "wasl audit verify exits 0: " + r.stdout + r.stderr)


def test_concurrent_appends_keep_one_chain(t):
    a = t.login("admin")
    errors = []

    def worker(k):
        for i in range(5):
            r = a.post("/api/v1/users", {"login": f"conc{k}-{i}", "display_name": "C", "role": "agent"})
            if r.status != 201:
                errors.append(r)
    th = [threading.Thread(target=worker, args=(k,)) for k in range(6)]
    for x in th:
        x.start()
    for x in th:
        x.join()
    t.eq(errors, [], "every concurrent create succeeded")
    entries = a.get("/api/v1/audit?limit=40").json["entries"]
    seqs = [e["seq"] for e in entries]
    t.eq(seqs, sorted(set(seqs), reverse=True), "no duplicate sequence numbers")
    v = a.get("/api/v1/audit/verify").json
    t.true(v["intact"], f"one unbroken chain after concurrent appends: {v}")
