"""Logins, sessions, roles, CSRF, time-outs and lock-outs."""
import datetime
import email.utils
import time

SETTINGS = {
    "auth.session_idle": "3s",
    "auth.session_absolute": "6s",
    "auth.max_failures_account": "3",
    "auth.max_failures_address": "12",
    "auth.lockout": "3s",
    "auth.failure_window": "60s",
}


def test_every_demo_role_logs_in(t):
    for who in ("admin", "supervisor", "agent", "editor", "backoffice"):
        c = t.login(who)
        r = c.get("/api/v1/session")
        t.eq(r.status, 200, f"{who} session")
        t.eq(r.json["user"]["role"], who, f"{who} role")
        t.true(len(r.json["csrf_token"]) == 64, "csrf token")
    t.eq(t.login("backoffice").user["consulate"], "FR-PAR", "backoffice is scoped to its consulate")


def test_cookie_flags(t):
    c = t.client()
    r = c.post("/api/v1/session", {"login": "agent", "password": "agent-demo-2026"})
    sc = r.header("Set-Cookie")
    t.true("HttpOnly" in sc and "SameSite=Strict" in sc and "Path=/" in sc, f"cookie flags: {sc}")


def test_wrong_password_same_answer_as_unknown_login(t):
    c = t.client()
    a = c.post("/api/v1/session", {"login": "supervisor", "password": "wrong-password-1"})
    b = c.post("/api/v1/session", {"login": "nobody-here", "password": "wrong-password-1"})
    t.status(a, 401, "auth.bad_credentials", "wrong password")
    t.status(b, 401, "auth.bad_credentials", "unknown login")
    t.eq(a.json["error"]["message"], b.json["error"]["message"], "same message")


def test_login_is_case_insensitive(t):
    c = t.client()
    t.eq(c.login("agent").status, 201, "lower case")
    c2 = t.client()
    t.eq(c2.post("/api/v1/session", {"login": "AGENT", "password": "agent-demo-2026"}).status, 201, "upper case")


def test_no_session_401(t):
    r = t.client().get("/api/v1/session")
    t.status(r, 401, "auth.required", "no cookie")
    c = t.client()
    c.cookie = "wasl_session=" + "0" * 64
    t.status(c.get("/api/v1/session"), 401, "auth.required", "unknown token")
    c.cookie = "wasl_session=../../etc/passwd"
    t.status(c.get("/api/v1/session"), 401, "auth.required", "malformed token")


def test_wrong_role_403(t):
    for who in ("agent", "supervisor", "editor", "backoffice"):
        c = t.login(who)
        t.status(c.get("/api/v1/users"), 403, "auth.forbidden", f"{who} on the admin users list")
        t.status(c.post("/api/v1/users", {"login": "zz", "display_name": "z", "role": "admin"}), 403,
                 "auth.forbidden", f"{who} creating a user")


def test_csrf_required(t):
    c = t.login("admin")
    body = {"login": "csrf-test", "display_name": "C", "role": "agent"}
    t.status(c.request("POST", "/api/v1/users", body=body, csrf=False), 403, "auth.csrf", "no CSRF header")
    t.status(c.request("POST", "/api/v1/users", body=body, headers={"X-CSRF-Token": "0" * 64}), 403, "auth.csrf",
             "wrong CSRF token")
    other = t.login("admin")
    t.status(c.request("POST", "/api/v1/users", body=body, headers={"X-CSRF-Token": other.csrf}), 403, "auth.csrf",
             "another session's token")
    t.eq(c.post("/api/v1/users", body).status, 201, "right token")
    t.status(c.request("DELETE", "/api/v1/session", csrf=False), 403, "auth.csrf", "logout needs the token too")


def test_cross_origin_login_refused(t):
    c = t.client()
    r = c.request("POST", "/api/v1/session", body={"login": "agent", "password": "agent-demo-2026"},
                  headers={"Origin": "https://evil.example"})
    t.status(r, 403, "auth.cross_origin", "login from another site")
    # a sandboxed frame or a local file sends Origin: null; without Origin, Sec-Fetch-Site tells
    for h in ({"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}):
        r = c.request("POST", "/api/v1/session", body={"login": "agent", "password": "agent-demo-2026"}, headers=h)
        t.status(r, 403, "auth.cross_origin", f"login with {h}")
    r = c.request("POST", "/api/v1/session", body={"login": "agent", "password": "agent-demo-2026"},
                  headers={"Origin": f"http://127.0.0.1:{t.srv.port}"})
    t.eq(r.status, 201, "login from our own origin")


def test_logout_ends_session(t):
    c = t.login("editor")
    cookie = c.cookie
    t.eq(c.delete("/api/v1/session").status, 204, "logout")
    t.eq(c.cookie, None, "cookie cleared")
    c.cookie = cookie
    t.status(c.get("/api/v1/session"), 401, "auth.required", "old cookie after logout")


def test_idle_timeout(t):
    c = t.login("agent")
    time.sleep(1.2)
    t.eq(c.get("/api/v1/session").status, 200, "still active after 1.2s")
    time.sleep(3.6)
    r = c.get("/api/v1/session")
    t.status(r, 401, "auth.session_expired", "idle for 3.6s with a 3s idle time-out")


def server_age(r, created_at):
    """Seconds from a session's creation to the moment the server answered r,
    both read from the server's clock (its Date header and the session's
    created_at), so a slow test machine does not change the result."""
    answered = email.utils.parsedate_to_datetime(r.header("Date"))
    created = datetime.datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    return (answered - created).total_seconds()


def test_absolute_timeout(t):
    c = t.client()
    r = c.post("/api/v1/session", {"login": "agent", "password": "agent-demo-2026"})
    t.eq(r.status, 201, "login")
    c.csrf = r.json["csrf_token"]
    created = r.json["created_at"]
    t.true(r.header("Date"), "the server dates its answers")
    last_ok = 0.0
    deadline = time.time() + 30
    while time.time() < deadline:  # busy all along (a request every 0.4 s), never idle for the 3 s time-out
        r = c.get("/api/v1/session")
        if r.status != 200:
            break
        last_ok = server_age(r, created)
        time.sleep(0.4)
    t.status(r, 401, "auth.session_expired", "busy session with a 6s absolute time-out")
    ended = server_age(r, created)
    # Date and created_at are whole seconds: each age is known to within 1 s.
    t.true(last_ok > 3, f"a busy session outlives the 3s idle time-out (last answer at {last_ok:.0f}s)")
    t.true(last_ok <= 7, f"still answered {last_ok:.0f}s after login, past the 6s absolute time-out")
    t.true(ended >= 5, f"ended {ended:.0f}s after login, before the 6s absolute time-out")


def wait_unlocked(t, c, who, password=None, timeout=10.0):
    """Logs c in as who once the lock-out has passed: a login while locked is
    refused before the password is checked and counts no failure, so polling
    with the right password is harmless. Returns how many 429s came first."""
    refused = 0
    deadline = time.time() + timeout
    while True:
        r = c.login(who, password)
        if r.status != 429:
            t.eq(r.status, 201, f"login as {who} once the lock-out is over: {r}")
            return refused
        refused += 1
        t.true(time.time() < deadline, f"{who} still locked after {timeout:.0f}s (auth.lockout is 3s): {r}")
        time.sleep(0.2)


def test_account_lockout_and_release(t):
    c = t.client()
    for i in range(2):
        r = c.post("/api/v1/session", {"login": "supervisor", "password": f"wrong-{i}-password"})
        t.status(r, 401, "auth.bad_credentials", f"failure {i + 1}")
    r = c.post("/api/v1/session", {"login": "supervisor", "password": "wrong-2-password"})
    t.status(r, 429, "auth.locked", "the failure that locks says so at once")
    t.true(int(r.header("Retry-After")) >= 2, f"Retry-After on the locking failure: {r.header('Retry-After')}")
    r = c.post("/api/v1/session", {"login": "supervisor", "password": "supervisor-demo-2026"})
    t.status(r, 429, "auth.locked", "right password while locked")
    t.true(int(r.header("Retry-After")) >= 1, "Retry-After")
    a = t.login("admin")
    users = {u["login"]: u for u in a.get("/api/v1/users").json["users"]}
    t.true(users["supervisor"]["locked"], "admin sees the lock")
    wait_unlocked(t, c, "supervisor")


def test_admin_unlocks(t):
    c = t.client()
    for i in range(3):
        c.post("/api/v1/session", {"login": "editor", "password": f"wrong-{i}-password"})
    t.status(c.post("/api/v1/session", {"login": "editor", "password": "editor-demo-2026"}), 429, "auth.locked",
             "locked")
    a = t.login("admin")
    uid = [u for u in a.get("/api/v1/users").json["users"] if u["login"] == "editor"][0]["id"]
    t.eq(a.post(f"/api/v1/users/{uid}/unlock").status, 204, "unlock")
    t.eq(c.login("editor").status, 201, "editor logs in after unlock")


def test_address_lockout(t):
    # Spraying many accounts from one address locks the address, not just accounts.
    c = t.client()
    wait_unlocked(t, t.client(), "agent")  # earlier tests' failures may have locked this address
    codes = []
    for i in range(13):
        r = c.post("/api/v1/session", {"login": f"spray{i}", "password": "wrong-password-x"})
        codes.append(r.status)
    t.eq(codes[-1], 429, f"address locked after 12 failures in the window: {codes}")
    r = c.post("/api/v1/session", {"login": "agent", "password": "agent-demo-2026"})
    t.status(r, 429, "auth.locked", "even a right password from that address")
    wait_unlocked(t, c, "agent")


def test_password_change_flow(t):
    a = t.login("admin")
    r = a.post("/api/v1/users", {"login": "newagent", "display_name": "New Agent", "role": "agent"})
    t.eq(r.status, 201, "create with a temporary password")
    temp = r.json["temporary_password"]
    t.true(r.json["must_change_password"], "must change at first login")
    c = t.client()
    t.eq(c.login("newagent", temp).status, 201, "log in with the temporary password")
    t.status(c.get("/api/v1/users"), 403, None, "nothing else before the change")
    t.eq(c.get("/api/v1/session").status, 200, "the session itself is readable")
    r = c.post("/api/v1/me/password", {"current_password": "not-it-at-all", "new_password": "Another-pass-42"})
    t.status(r, 400, "auth.wrong_password", "wrong current password")
    r = c.post("/api/v1/me/password", {"current_password": temp, "new_password": "short"})
    t.status(r, 400, "auth.password_short", "too short a new password")
    t.eq(r.json["error"]["field"], "new_password", "the request's field is named")
    r = c.post("/api/v1/me/password", {"current_password": temp, "new_password": "Another-pass-42"})
    t.eq(r.status, 204, "changed")
    t.eq(c.get("/api/v1/session").json["user"]["must_change_password"], False, "flag cleared, session kept")
    t.eq(t.client().login("newagent", "Another-pass-42").status, 201, "new password works")


def test_language_preference_remembered(t):
    c = t.login("agent")
    t.status(c.patch("/api/v1/me", {"language": "xx"}), 400, "auth.invalid_language", "unknown language")
    t.eq(c.patch("/api/v1/me", {"language": "ar"}).json["language"], "ar", "set Arabic")
    t.eq(t.login("agent").user["language"], "ar", "remembered at the next login")
    c.patch("/api/v1/me", {"language": "fr"})


def test_disabled_account(t):
    a = t.login("admin")
    uid = [u for u in a.get("/api/v1/users").json["users"] if u["login"] == "backoffice"][0]["id"]
    b = t.login("backoffice")
    t.eq(a.patch(f"/api/v1/users/{uid}", {"disabled": True}).status, 200, "disable")
    t.status(b.get("/api/v1/session"), 401, None, "the open session ends")
    r = t.client().post("/api/v1/session", {"login": "backoffice", "password": "backoffice-demo-2026"})
    t.status(r, 403, "auth.account_disabled", "login refused")
    t.eq(a.patch(f"/api/v1/users/{uid}", {"disabled": False}).status, 200, "enable")
    t.eq(t.client().login("backoffice").status, 201, "login again")


def test_password_policy_published(t):
    c = t.login("agent")
    t.eq(c.get("/api/v1/session").json["password_policy"], {"min_length": 10}, "the UI can show the rule")


def test_wrong_current_password_locks_with_retry_after(t):
    a = t.client()
    wait_unlocked(t, a, "admin")  # the address lock-out of an earlier test is over
    a.post("/api/v1/users", {"login": "guesser", "display_name": "G", "role": "agent", "password": "Gravel-Pigeon-31",
                             "must_change_password": False})
    c = t.login("guesser", "Gravel-Pigeon-31")
    codes = []
    for i in range(4):
        r = c.post("/api/v1/me/password", {"current_password": f"guess-{i}-wrong", "new_password": "Whatever-pass-9"})
        codes.append(r.status)
    t.eq(codes[-1], 429, f"guessing the current password locks the account: {codes}")
    t.true(int(r.header("Retry-After") or 0) >= 1, f"with Retry-After: {r.headers}")
