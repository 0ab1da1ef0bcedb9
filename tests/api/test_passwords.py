"""Weak passwords are refused wherever a password is set - an account made
by an administrator, one's own change, `wasl user add` and `wasl user
passwd` - each with the reason as its code, which the UI shows in the
user's language: too short, common or leaked (zxcvbn's lists), the login or
the name, a repetition or sequence, the current password again. The demo
passwords of the README pass."""

WEAK = [
    ("short-1", "auth.password_short"),
    ("password12", "auth.password_common"),
    ("qwerty1234", "auth.password_common"),
    ("Iloveyou2024", "auth.password_common"),
    ("a" * 16, "auth.password_pattern"),
    ("1234567890", "auth.password_pattern"),
    ("asdfghjkl;'", "auth.password_pattern"),
    ("Gaston.Blanc", "auth.password_personal"),
    ("gblanc2026!", "auth.password_personal"),
    ("Blanc-Blanc-1", "auth.password_personal"),
]


def new_user(login, password):
    return {"login": login, "display_name": "Gaston Blanc", "role": "agent", "password": password,
            "must_change_password": False}


def test_admin_cannot_create_accounts_with_weak_passwords(t):
    a = t.login("admin")
    for i, (pw, code) in enumerate(WEAK):
        r = a.post("/api/v1/users", new_user("gblanc", pw))
        t.status(r, 400, code, f"{pw!r}")
        t.eq(r.json["error"]["field"], "password", f"{pw!r}: the field is named")
    t.status(a.post("/api/v1/users", new_user("gblanc", "Velvet-Harbor-73")), 201, None, "a strong one is taken")


def test_own_change_refuses_weak_and_the_same_password(t):
    a = t.login("admin")
    t.status(a.post("/api/v1/users", new_user("gblanc2", "Velvet-Harbor-73")), 201, None, "created")
    c = t.login("gblanc2", "Velvet-Harbor-73")
    r = c.post("/api/v1/me/password", {"current_password": "Velvet-Harbor-73", "new_password": "Velvet-Harbor-73"})
    t.status(r, 400, "auth.password_reused", "the current password again")
    t.eq(r.json["error"]["field"], "new_password", "on the new password's field")
    for pw, code in WEAK:
        # "gblanc2": its letters echo the login, like gblanc's
        r = c.post("/api/v1/me/password", {"current_password": "Velvet-Harbor-73", "new_password": pw})
        t.status(r, 400, code, f"{pw!r}")
    r = c.post("/api/v1/me/password", {"current_password": "Velvet-Harbor-73", "new_password": "Copper-Lantern-88"})
    t.eq(r.status, 204, f"a strong new one: {r}")


def test_cli_refuses_weak_passwords(t):
    r = t.srv.cli("user", "add", "weakcli", "--role", "editor", "--name", "Weak Cli", "--password-stdin",
                  input="password12\n")
    t.true(r.returncode != 0 and "common" in r.stderr, f"wasl user add: {r.returncode} {r.stderr!r}")
    r = t.srv.cli("user", "passwd", "editor", "--password-stdin", input="qwerty1234\n")
    t.true(r.returncode != 0 and "common" in r.stderr, f"wasl user passwd: {r.returncode} {r.stderr!r}")
    r = t.srv.cli("user", "passwd", "editor", "--password-stdin", input="editor-demo-2026\n")
    t.true(r.returncode != 0 and "differ" in r.stderr, f"wasl user passwd, same again: {r.returncode} {r.stderr!r}")
    t.eq(t.client().login("editor").status, 201, "editor's password is unchanged")


def test_demo_passwords_pass(t):
    # wasl init --demo created every demo account through the same check.
    for who in ("admin", "supervisor", "agent", "editor", "backoffice"):
        t.eq(t.client().login(who).status, 201, f"{who} with the README's password")
