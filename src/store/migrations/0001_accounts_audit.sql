-- Accounts, sessions, login throttling and the hash-chained audit trail.
-- One text for SQLite and PostgreSQL: {{ID}} and {{BLOB}} are the only words
-- that differ and are filled in by the migration runner. Times are BIGINT
-- microseconds since the Unix epoch, UTC.

CREATE TABLE users (
    id {{ID}},
    login TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('agent', 'supervisor', 'editor', 'backoffice', 'admin')),
    consulate TEXT,
    language TEXT NOT NULL DEFAULT 'fr',
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    last_login_at BIGINT NOT NULL DEFAULT 0,
    CHECK (role <> 'backoffice' OR consulate IS NOT NULL)
);

-- The cookie holds a random token; only its SHA-256 is stored, so a copy of
-- the database does not hand out live sessions.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    csrf TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    seen_at BIGINT NOT NULL,
    ip TEXT NOT NULL,
    user_agent TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Failed-login counters per account ('acct:<login>') and per source address
-- ('addr:<ip>'), shared by every node through the store.
CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    window_start BIGINT NOT NULL,
    locked_until BIGINT NOT NULL
);

-- Append-only. hash = SHA-256 over prev_hash and the entry's fields; the head
-- row holds the last seq and hash so that deleting the newest entries shows.
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object TEXT NOT NULL,
    detail TEXT NOT NULL,
    request_id TEXT NOT NULL,
    ip TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_object ON audit_log (object);
CREATE INDEX audit_log_actor ON audit_log (actor);

CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
