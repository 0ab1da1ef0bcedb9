"""Lock-out that is not a denial of service (OWASP): failures lock the
address out of the account (and, past more, out of every account); the
account itself is only slowed down, 1 s, 2 s ... up to auth.max_delay, so
its owner from a clean address always gets in. Every failure is audited
with its address, wrong current passwords on the change-password route
included. Attackers and owners are told apart by their loopback source
address (127.0.0.x)."""
import time

SETTINGS = {
    "auth.max_failures_account": "3",
    "auth.max_failures_address": "12",
    "auth.lockout": "10m",
    "auth.failure_window": "10m",
    "auth.max_delay": "2s",
}


def login_within(t, c, who, password, bound):
    """Logs c in, waiting out slow-down answers (429 auth.slow_down with a
    Retry-After no longer than bound) for at most bound + 3 s. Returns the
    seconds waited."""
    start = time.time()
    while True:
        r = c.login(who, password)
        if r.status == 201:
            return time.time() - start
        t.status(r, 429, "auth.slow_down", f"{who} from a clean address is only slowed down")
        retry = int(r.header("Retry-After") or 0)
        t.true(1 <= retry <= bound, f"Retry-After {retry} within 1..{bound}")
        t.true(time.time() - start < bound + 3, f"{who} still refused after {bound + 3} s")
        time.sleep(0.1)


def audit(a, action, ip):
    return [e for e in a.get(f"/api/v1/audit?action={action}&limit=200").json["entries"] if e["ip"] == ip]


def test_guessing_from_one_address_does_not_lock_the_owner_out(t):
    attacker = t.client(source="127.0.0.2")
    codes = []
    for i in range(10):
        r = attacker.post("/api/v1/session", {"login": "admin", "password": f"guess-{i}-wrong"})
        codes.append((r.status, r.code))
    t.eq(codes[:3], [(401, "auth.bad_credentials")] * 2 + [(429, "auth.locked")], "the third failure locks the address")
    t.eq(set(codes[3:]), {(429, "auth.locked")}, "and it stays refused")
    # The administrator, from another address, with the right password: in at once.
    a = t.client()
    r = a.login("admin")
    t.eq(r.status, 201, f"admin logs in from 127.0.0.1 while 127.0.0.2 is locked out: {r}")
    # The attacker's address stays refused, even with the right password.
    r = attacker.post("/api/v1/session", {"login": "admin", "password": "admin-demo-2026"})
    t.status(r, 429, "auth.locked", "the attacker's address, right password")
    t.true(int(r.header("Retry-After")) > 60, f"locked for minutes: {r.header('Retry-After')}")
    # Every counted failure is audited with its address, and the lock too.
    failures = audit(a, "login.failure", "127.0.0.2")
    t.eq(len(failures), 3, f"three failures from 127.0.0.2 audited: {failures}")
    t.true(all(f["object"] == f"user:{a.user['id']}" for f in failures), "naming the account")
    t.eq(len(audit(a, "login.account_locked", "127.0.0.2")), 1, "the address's lock-out audited")


def test_guessing_from_many_addresses_slows_the_account_down(t):
    a = t.login("admin")
    uid = [u for u in a.get("/api/v1/users").json["users"] if u["login"] == "supervisor"][0]["id"]
    # 3 free failures, then each one from a new address delays the account: 1 s, 2 s, 2 s (the cap).
    for i in range(6):
        r = t.client(source=f"127.0.1.{i + 1}").post("/api/v1/session",
                                                     {"login": "supervisor", "password": f"spray-{i}-x"})
        if r.status == 429:  # the account's delay of the previous failure: this guess was not even tried
            t.status(r, 429, "auth.slow_down", "a guess during the delay")
            time.sleep(int(r.header("Retry-After")))
            r = t.client(source=f"127.0.1.{i + 1}").post("/api/v1/session",
                                                         {"login": "supervisor", "password": f"spray-{i}-x"})
        t.status(r, 401, "auth.bad_credentials", f"guess {i + 1}")
    users = {u["login"]: u for u in a.get("/api/v1/users").json["users"]}
    t.true(users["supervisor"]["locked"], "the admin sees that the account is under attack")
    waited = login_within(t, t.client(source="127.0.0.3"), "supervisor", None, 2)
    t.true(waited < 5, f"the owner waited {waited:.1f} s")
    t.eq(len(audit(a, "login.account_slowed", "127.0.1.4")), 1, "the slow-down audited once, when it began")
    t.eq(a.post(f"/api/v1/users/{uid}/unlock").status, 204, "the admin can lift it")
    t.eq(t.client(source="127.0.1.7").post("/api/v1/session", {"login": "supervisor", "password": "x-wrong-x-1"}).status,
         401, "the count starts again: a failure is not delayed")


def test_wrong_current_password_counted_and_audited(t):
    a = t.login("admin")
    r = a.post("/api/v1/users", {"login": "guesser", "display_name": "Gaston Guesser", "role": "agent",
                                 "password": "Velvet-Harbor-73", "must_change_password": False})
    t.eq(r.status, 201, f"created: {r}")
    thief = t.login("guesser", "Velvet-Harbor-73", source="127.0.0.5")  # a stolen session, say
    codes = []
    for i in range(3):
        r = thief.post("/api/v1/me/password", {"current_password": f"guess-{i}-wrong", "new_password": "Copper-Lantern-88"})
        codes.append((r.status, r.code))
    t.eq(codes, [(400, "auth.wrong_password")] * 2 + [(429, "auth.locked")], "counted like failed logins")
    t.true(int(r.header("Retry-After") or 0) > 60, f"with Retry-After: {r.headers}")
    r = thief.post("/api/v1/me/password", {"current_password": "Velvet-Harbor-73", "new_password": "Copper-Lantern-88"})
    t.status(r, 429, "auth.locked", "even the right current password from that address")
    t.status(t.client(source="127.0.0.5").login("guesser", "Velvet-Harbor-73"), 429, "auth.locked",
             "the address is locked out of the account for logins too")
    t.eq(t.client(source="127.0.0.6").login("guesser", "Velvet-Harbor-73").status, 201, "not the account")
    failed = audit(a, "user.password_check_failed", "127.0.0.5")
    t.eq(len(failed), 3, f"each wrong current password audited with its address: {failed}")
    t.eq(failed[0]["actor"], "guesser", "under the session's user")
