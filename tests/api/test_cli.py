"""The command line: settings files, migrations, backups, user commands."""
import os
import pwd
import sqlite3
import subprocess


def write(t, name, content):
    p = os.path.join(t.srv.dir, name)
    with open(p, "wb") as f:
        f.write(content if isinstance(content, bytes) else content.encode())
    return p


def test_config_check_good(t):
    p = write(t, "good.conf", "# a comment\n[http]\nport = 9090\ntimeout = 45s\n\n[auth]\nsession_idle = 20m\n")
    r = t.srv.cli("config", "check", p)
    t.eq((r.returncode, r.stdout.strip()), (0, f"{p}: ok"), r.stderr)


def test_config_check_hostile(t):
    cases = [
        ("[http]\nport = 99999\n", 2, "'http.port' must be between 0 and 65535"),
        ("[http]\nport = eighty\n", 2, "must be an integer"),
        ("[nope]\nkey = 1\n", 2, "unknown setting 'nope.key'"),
        ("port = 80\n", 1, "inside a [section]"),
        ("[http]\nsecure_cookies = maybe\n", 2, "must be true or false"),
        ("[auth]\nsession_idle = 10 minutes\n", 2, "must be a duration"),
        ("[http]\nlisten = 127.0.0.1\nthis line has no equals\n", 3, "syntax error"),
        ("[http]\nweb_root = " + "a" * 5000 + "\n", 2, "line too long"),
        (b"[http]\nlisten = \xff\xfe\n", 2, "not valid UTF-8"),
        (b"[http]\nlisten = a\x00b\n", 2, "NUL"),
        ("[store]\nurl = x\x01y\n", 2, "control character"),
    ]
    for i, (content, line, msg) in enumerate(cases):
        p = write(t, f"bad{i}.conf", content)
        r = t.srv.cli("config", "check", p)
        t.eq(r.returncode, 1, f"case {i} rejected: {r.stdout}{r.stderr}")
        t.true(f"{p}:{line}: " in r.stderr and msg in r.stderr, f"case {i}: want '{p}:{line}: ...{msg}' in {r.stderr!r}")
    r = t.srv.cli("config", "check", "/nonexistent/wasl.conf")
    t.eq(r.returncode, 1, "missing file")
    big = write(t, "big.conf", b"#" * (2 << 20))
    r = t.srv.cli("config", "check", big)
    t.true(r.returncode == 1 and "larger than" in r.stderr, f"huge file: {r.stderr}")


def test_bad_config_stops_the_program_with_its_line(t):
    p = write(t, "bad.conf", "[http]\nthreads = 0\n")
    r = subprocess.run([t.srv.binary, "--config", p, "migrate"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, cwd=t.srv.dir)
    t.true(r.returncode != 0 and f"{p}:2: 'http.threads' must be between 1 and 256" in r.stderr, r.stderr)


def test_environment_overrides(t):
    env = dict(os.environ, WASL_HTTP_PORT="not-a-port")
    r = subprocess.run([t.srv.binary, "--db", t.srv.db, "migrate"], env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, cwd=t.srv.dir)
    t.true(r.returncode != 0 and "WASL_HTTP_PORT" in r.stderr, f"bad env value named: {r.stderr}")


def test_help_config_lists_every_setting(t):
    r = subprocess.run([t.srv.binary, "help", "config"], stdout=subprocess.PIPE, text=True)
    for name in ("[http]", "port", "[auth]", "session_idle", "[store]", "url", "[log]"):
        t.true(name in r.stdout, f"{name} in help config")


def test_migrate_is_idempotent(t):
    r = t.srv.cli("migrate")
    t.eq(r.returncode, 0, r.stderr)
    t.true(r.stdout.startswith("0 migration(s) applied"), r.stdout)


def test_user_commands(t):
    r = t.srv.cli("user", "add", "cliuser", "--role", "editor", "--name", "CLI User", "--password-stdin",
                  input="Cli-password-2026\n")
    t.eq(r.returncode, 0, r.stderr)
    t.eq(t.client().login("cliuser", "Cli-password-2026").status, 201, "login with the given password")
    r = t.srv.cli("user", "add", "cliuser2", "--role", "backoffice")
    t.true(r.returncode != 0 and "consulate" in r.stderr, f"backoffice needs a consulate: {r.stderr}")
    r = t.srv.cli("user", "passwd", "cliuser")
    temp = r.stdout.strip().split()[-1]
    t.eq(t.client().login("cliuser", temp).status, 201, "temporary password printed works")
    t.eq(t.srv.cli("user", "disable", "cliuser").returncode, 0, "disable")
    r = t.client().post("/api/v1/session", {"login": "cliuser", "password": temp})
    t.eq(r.status, 403, "disabled account refused")
    r = t.srv.cli("user", "list")
    t.true("cliuser" in r.stdout and "disabled" in r.stdout, r.stdout)
    t.eq(t.srv.cli("user", "enable", "cliuser").returncode, 0, "enable")
    t.true(t.srv.cli("user", "disable", "nobody").returncode != 0, "unknown user")
    a = t.login("admin")
    me = "cli:" + pwd.getpwuid(os.geteuid()).pw_name
    acts = [e["action"] for e in a.get("/api/v1/audit?actor=" + me).json["entries"]]
    t.true("user.create" in acts and "user.disable" in acts and "user.enable" in acts, f"CLI changes audited: {acts}")


def test_cli_identity_is_the_os_account(t):
    """Issue 10: the CLI's audit identity came from $USER, which anyone sets;
    it is the operating system account of the process, and SUDO_USER, a claim
    from the environment too, is only added with its label."""
    me = pwd.getpwuid(os.geteuid()).pw_name
    env = dict(os.environ, USER="somebody-else", LOGNAME="somebody-else")
    env.pop("SUDO_USER", None)
    r = subprocess.run(t.srv.args("user", "add", "idtest1", "--role", "agent"), cwd=t.srv.dir, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    t.eq(r.returncode, 0, r.stderr)
    # The data-protection officer's commands took $USER as it came.
    r = subprocess.run(t.srv.args("privacy", "export", "--phone", "+33612345678"), cwd=t.srv.dir, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    t.eq(r.returncode, 0, r.stderr)
    env["SUDO_USER"] = "alice"
    r = subprocess.run(t.srv.args("user", "disable", "idtest1"), cwd=t.srv.dir, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=60)
    t.eq(r.returncode, 0, r.stderr)
    a = t.login("admin")
    entries = a.get("/api/v1/audit?limit=20").json["entries"]
    create = [e for e in entries if e["action"] == "user.create" and e["detail"].get("login") == "idtest1"]
    t.true(create, f"user.create of idtest1 audited: {entries[:3]}")
    export = [e for e in entries if e["action"] == "privacy.export"]
    t.true(export and export[0]["actor"] == "cli:" + me, f"privacy export: the OS account, not $USER: {export[:1]}")
    t.eq(create[0]["actor"], "cli:" + me, "the actor is the OS account")
    dis = [e for e in entries if e["action"] == "user.disable"][0]
    t.eq(dis["actor"], f"cli:{me} (SUDO_USER=alice)", "SUDO_USER is added, labelled as such")
    t.true(all("somebody-else" not in e["actor"] for e in entries), "$USER is never the identity")


def test_schema_versions_are_checked(t):
    """Only init, migrate and serve migrate; other commands refuse an older
    schema (a backup must not upgrade a database under a running server of
    another version), and every command refuses a newer one."""
    if t.srv.backend != "sqlite":
        return
    copy = os.path.join(t.srv.dir, "versions.db")
    src = sqlite3.connect(t.srv.db)
    dst = sqlite3.connect(copy)
    src.backup(dst)
    src.close()
    latest = dst.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0]
    dst.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from_the_future', 0)",
                (latest + 1,))
    dst.commit()

    def cli(*args):
        return subprocess.run([t.srv.binary, "--db", copy] + list(args), cwd=t.srv.dir, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=60)

    for args in (["user", "list"], ["migrate"], ["audit", "verify"]):
        r = cli(*args)
        t.true(r.returncode != 0 and f"schema version {latest + 1}, newer than this wasl knows ({latest})" in r.stderr,
               f"{args} on a newer schema: {r.stderr}")
    # Migration numbers may have gaps (a number kept for another branch's migration).
    previous = dst.execute("SELECT MAX(version) FROM schema_migrations WHERE version < ?", (latest,)).fetchone()[0]
    dst.execute("DELETE FROM schema_migrations WHERE version >= ?", (latest,))
    dst.commit()
    dst.close()
    r = cli("user", "list")
    t.true(r.returncode != 0 and "run `wasl migrate` first" in r.stderr, f"user list on an older schema: {r.stderr}")
    t.eq(sqlite3.connect(copy).execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0], previous,
         "the refused command changed nothing")


def test_init_refuses_existing_database(t):
    r = t.srv.cli("init", "--demo")
    t.true(r.returncode != 0 and "already has accounts" in r.stderr, r.stderr)


def test_backup_online(t):
    if t.srv.backend != "sqlite":
        r = t.srv.cli("backup", os.path.join(t.srv.dir, "x.db"))
        t.true(r.returncode != 0 and "pg_dump" in r.stderr, f"PostgreSQL backups are pg_dump's job: {r.stderr}")
        return
    a = t.login("admin")
    a.post("/api/v1/users", {"login": "before-backup", "display_name": "B", "role": "agent"})
    out = os.path.join(t.srv.dir, "copy.db")
    r = t.srv.cli("backup", out)  # while the server runs
    t.eq(r.returncode, 0, r.stderr)
    db = sqlite3.connect(out)
    t.eq(db.execute("PRAGMA integrity_check").fetchone()[0], "ok", "integrity")
    t.eq(db.execute("SELECT COUNT(*) FROM users WHERE login = 'before-backup'").fetchone()[0], 1, "data copied")
    db.close()
    r = subprocess.run([t.srv.binary, "--db", out, "audit", "verify"], stdout=subprocess.PIPE, text=True, cwd=t.srv.dir)
    t.eq(r.returncode, 0, "the copy's audit chain is intact: " + r.stdout)
    r = t.srv.cli("backup", out)
    t.true(r.returncode != 0 and "already exists" in r.stderr, "no overwrite")


def test_config_reference_is_current(t):
    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    r = subprocess.run([t.srv.binary, "help", "config", "--markdown"], stdout=subprocess.PIPE, text=True)
    with open(os.path.join(top, "docs", "config.md")) as f:
        t.eq(f.read(), r.stdout, "docs/config.md is `wasl help config --markdown` (regenerate it)")


def test_options_after_the_command(t):
    r = subprocess.run([t.srv.binary, "user", "list", "--db", t.srv.db], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, cwd=t.srv.dir)
    t.eq(r.returncode, 0, r.stderr)
    t.true("admin" in r.stdout, "global options after the command are honoured")
    r = subprocess.run([t.srv.binary, "--db", t.srv.db, "serve", "extra"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, cwd=t.srv.dir)
    t.true(r.returncode == 2 and "no arguments" in r.stderr, f"serve refuses stray arguments: {r.stderr}")


def test_no_stray_databases(t):
    missing = os.path.join(t.srv.dir, "nowhere", "..", "typo.db")
    for cmd in (["user", "list"], ["audit", "verify"], ["serve"], ["backup", os.path.join(t.srv.dir, "b.db")]):
        r = subprocess.run([t.srv.binary, "--db", missing] + cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, cwd=t.srv.dir, timeout=30)
        t.true(r.returncode != 0 and "run `wasl init` first" in r.stderr, f"{cmd}: {r.stderr}")
    t.true(not os.path.exists(os.path.join(t.srv.dir, "typo.db")), "no empty database was left behind")
