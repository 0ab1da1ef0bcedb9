-- Telephony: the agents' SIP accounts, callback requests left in the IVR,
-- one row per call for statistics, and the keypad form of case references
-- (A B C -> 2, ...) so a caller can key a reference on the phone.

ALTER TABLE cases ADD COLUMN ref_keys TEXT;
UPDATE cases SET ref_keys = REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(reference, '-', ''), 'A', '2'), 'B', '2'), 'C', '2'), 'D', '3'), 'E', '3'), 'F', '3'), 'G', '4'), 'H', '4'), 'J', '5'), 'K', '5'), 'M', '6'), 'N', '6'), 'P', '7'), 'Q', '7'), 'R', '7'), 'S', '7'), 'T', '8'), 'V', '8'), 'W', '9'), 'X', '9'), 'Y', '9'), 'Z', '9');
CREATE INDEX cases_ref_keys ON cases (ref_keys);

-- ha1 = MD5(sip_user ":" realm ":" password), as digest authentication needs;
-- languages: the queues the agent takes ("fr ar en").
CREATE TABLE sip_accounts (
    user_id BIGINT PRIMARY KEY REFERENCES users (id),
    sip_user TEXT NOT NULL UNIQUE,
    ha1 TEXT NOT NULL,
    realm TEXT NOT NULL,
    languages TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- A caller asked to be called back (outside opening hours). The number is
-- personal data: sealed, found by its blind index, purged by retention.
CREATE TABLE callbacks (
    id {{ID}},
    created_at BIGINT NOT NULL,
    country TEXT NOT NULL,
    did TEXT NOT NULL,
    language TEXT NOT NULL,
    phone_enc {{BLOB}},
    phone_index TEXT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'done', 'cancelled')),
    call_id TEXT NOT NULL,
    done_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX callbacks_status ON callbacks (status, created_at);
CREATE INDEX callbacks_phone ON callbacks (phone_index);

-- One row per call that reached the IVR: no caller number, only what
-- statistics need. path: the IVR nodes visited, space separated.
CREATE TABLE calls (
    id {{ID}},
    call_id TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    answered_at BIGINT NOT NULL DEFAULT 0,
    ended_at BIGINT NOT NULL,
    did TEXT NOT NULL,
    country TEXT NOT NULL,
    language TEXT NOT NULL,
    outcome TEXT NOT NULL,
    path TEXT NOT NULL,
    agent_user BIGINT,
    waited_ms BIGINT NOT NULL DEFAULT 0,
    talked_ms BIGINT NOT NULL DEFAULT 0,
    recording TEXT
);
CREATE INDEX calls_started ON calls (started_at);
