-- One table for every limiter kept in the store (src/limit): failed logins
-- per account, per address and per account and address, the portal's PIN
-- attempts and filings. A row per key: its hits in the window that began at
-- start_at, and until when it is refused (a lock, or an account's growing
-- delay). The keys name their kind ("acct:", "addr:", "acctaddr:", "pin:",
-- "pinaddr:", "portal:", ...). What the old tables held is carried over.
CREATE TABLE limits (
    key TEXT PRIMARY KEY,
    hits BIGINT NOT NULL,
    start_at BIGINT NOT NULL,
    until_at BIGINT NOT NULL
);
INSERT INTO limits (key, hits, start_at, until_at) SELECT key, failures, window_start, locked_until FROM login_throttle;
INSERT INTO limits (key, hits, start_at, until_at) SELECT key, hits, window_start, blocked_until FROM rate_limits;
DROP TABLE login_throttle;
DROP TABLE rate_limits;
