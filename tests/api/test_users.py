"""User administration and what it writes to the audit trail."""


def users(c):
    return {u["login"]: u for u in c.get("/api/v1/users").json["users"]}


def test_create_validate(t):
    a = t.login("admin")
    bad = [
        ({"login": "A B", "display_name": "x", "role": "agent"}, "login"),
        ({"login": "ok-login", "display_name": "", "role": "agent"}, "display_name"),
        ({"login": "ok-login", "display_name": "x", "role": "king"}, "role"),
        ({"login": "ok-login", "display_name": "x", "role": "backoffice"}, "consulate"),
        ({"login": "ok-login", "display_name": "x", "role": "backoffice", "consulate": "XX-NOPE"}, "consulate"),
        ({"login": "ok-login", "display_name": "x", "role": "agent", "consulate": "FR-PAR"}, "consulate"),
        ({"login": "ok-login", "display_name": "x", "role": "agent", "language": "pt"}, "language"),
        ({"login": "ok-login", "display_name": "x", "role": "agent", "password": "abc"}, "password"),
        ({"login": "ok-login", "display_name": "x\ny", "role": "agent"}, "display_name"),
    ]
    for body, field in bad:
        r = a.post("/api/v1/users", body)
        t.status(r, 400, None, f"create {body}")
        t.eq(r.json["error"].get("field"), field, f"field named for {body}")
    t.status(a.post("/api/v1/users", {"login": "agent", "display_name": "Dup", "role": "agent"}), 409,
             "auth.login_taken", "duplicate login")


def test_strings_stored_verbatim(t):
    a = t.login("admin")
    nasty = "O'Brien \"the\" 100% ; DROP TABLE users; -- \\0 %00 %s%n \\u0000 العربية ‮"
    r = a.post("/api/v1/users", {"login": "nasty", "display_name": nasty, "role": "agent", "password": "Nasty-pass-123"})
    t.eq(r.status, 201, "created")
    t.eq(r.json["display_name"], nasty, "returned as given")
    t.eq(a.get(f"/api/v1/users/{r.json['id']}").json["display_name"], nasty, "read back as given")
    t.eq(users(a)["agent"]["login"], "agent", "the users table is still there")
    t.eq(t.client().login("nasty", "Nasty-pass-123").status, 201, "the account works")


def test_backoffice_scope(t):
    a = t.login("admin")
    r = a.post("/api/v1/users", {"login": "bo-madrid", "display_name": "BO Madrid", "role": "backoffice",
                                 "consulate": "ES-MAD", "language": "es"})
    t.eq(r.status, 201, "backoffice with a consulate")
    t.eq(r.json["consulate"], "ES-MAD", "consulate kept")
    uid = r.json["id"]
    t.status(a.patch(f"/api/v1/users/{uid}", {"role": "agent", "consulate": "ES-MAD"}), 400, None,
             "an agent cannot be given a consulate")
    t.status(a.patch(f"/api/v1/users/{uid}", {"consulate": "XX-NOPE"}), 400, None, "unknown consulate")
    t.status(a.patch(f"/api/v1/users/{uid}", {"consulate": None}), 400, None, "a backoffice user keeps a consulate")
    r = a.patch(f"/api/v1/users/{uid}", {"role": "agent"})
    t.eq((r.status, r.json["consulate"]), (200, None), "leaving backoffice drops the consulate")
    last = a.get(f"/api/v1/audit?object=user:{uid}&limit=1").json["entries"][0]
    t.eq(last["detail"], {"consulate": None, "role": "agent"}, "the audit entry records the dropped consulate")
    n = len(a.get(f"/api/v1/audit?object=user:{uid}").json["entries"])
    t.eq(a.patch(f"/api/v1/users/{uid}", {"role": "agent", "language": "es"}).status, 200, "no-op change")
    t.eq(len(a.get(f"/api/v1/audit?object=user:{uid}").json["entries"]), n, "a change to nothing is not audited")
    t.status(a.patch(f"/api/v1/users/{uid}", {"role": "backoffice"}), 400, None,
             "back to backoffice needs a consulate again")


def test_reset_password(t):
    a = t.login("admin")
    uid = users(a)["editor"]["id"]
    e = t.login("editor")
    r = a.post(f"/api/v1/users/{uid}/password")
    t.eq(r.status, 200, "reset")
    temp = r.json["temporary_password"]
    t.status(e.get("/api/v1/session"), 401, None, "the user's sessions end")
    t.status(t.client().post("/api/v1/session", {"login": "editor", "password": "editor-demo-2026"}), 401, None,
             "old password refused")
    c = t.client()
    t.eq(c.login("editor", temp).status, 201, "temporary password works")
    t.eq(c.user["must_change_password"], True, "must change it")


def test_admin_cannot_lock_self_out(t):
    a = t.login("admin")
    me = a.user["id"]
    t.status(a.patch(f"/api/v1/users/{me}", {"role": "agent"}), 409, "auth.self_lockout", "demote self")
    t.status(a.patch(f"/api/v1/users/{me}", {"disabled": True}), 409, "auth.self_lockout", "disable self")


def test_unknown_ids(t):
    a = t.login("admin")
    for path in ("/api/v1/users/999999", "/api/v1/users/abc", "/api/v1/users/-1", "/api/v1/users/0"):
        t.status(a.get(path), 404, None, path)


def test_account_changes_are_audited(t):
    a = t.login("admin")
    r = a.post("/api/v1/users", {"login": "audited", "display_name": "Audited", "role": "agent"})
    uid = r.json["id"]
    a.patch(f"/api/v1/users/{uid}", {"role": "supervisor"})
    a.patch(f"/api/v1/users/{uid}", {"disabled": True})
    a.patch(f"/api/v1/users/{uid}", {"disabled": False})
    temp = a.post(f"/api/v1/users/{uid}/password").json["temporary_password"]
    entries = a.get(f"/api/v1/audit?object=user:{uid}").json["entries"]
    actions = [e["action"] for e in reversed(entries)]
    t.eq(actions, ["user.create", "user.update", "user.disable", "user.enable", "user.password_reset"], "actions")
    t.true(all(e["actor"] == "admin" for e in entries), "actor recorded")
    t.true(all(e["request_id"] for e in entries), "request id recorded")
    t.eq(entries[-1]["detail"].get("role"), "agent", "the create entry names the role")
    t.true(temp not in str(entries) and r.json.get("temporary_password", "-") not in str(entries),
           "no password in the audit trail")
    v = a.get("/api/v1/audit/verify").json
    t.true(v["intact"], f"chain intact: {v}")
