-- One table for every limiter kept in the store (src/limit): failed logins
-- and PIN attempts (per subject, per subject and address, per address) and
-- the portal's filings and replies per address. A row per key: its hits in
-- the window that began at start_at, and until when it is refused (a lock,
-- or a subject's growing delay). Keys name their kind: "acct:", "acctpair:",
-- "acctaddr:", "pin:", "pinpair:", "pinaddr:", "portal:", "reply:".
CREATE TABLE limits (
    key TEXT PRIMARY KEY,
    hits BIGINT NOT NULL,
    start_at BIGINT NOT NULL,
    until_at BIGINT NOT NULL
);
-- The keys refused now (an account's state on the users page) and the
-- sweep of old ones are found without reading every key an attack left.
CREATE INDEX limits_until ON limits (until_at);
-- The portal's per-address counters keep their meaning and are carried
-- over. The old account and reference locks are not: under the new scheme
-- an account or a reference is never locked, only slowed down.
INSERT INTO limits (key, hits, start_at, until_at)
    SELECT key, hits, window_start, blocked_until FROM rate_limits WHERE key NOT LIKE 'pin:%';
DROP TABLE login_throttle;
DROP TABLE rate_limits;
