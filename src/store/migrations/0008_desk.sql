-- The agent's desk (issue 12), all owned by cases: name_tokens, a blind index
-- of each word of the citizen's name (keyed hashes, space-separated) so that
-- the case list finds a name without decrypting every case; citizen_reply_at
-- and seen_at, a reply from the portal not yet read by the assignee;
-- call_dispositions, what the agent recorded about a call (disposition code,
-- sealed note, guide articles consulted with their versions, the caller's
-- number as a blind index), keyed by the telephony's stable calls.call_id.
ALTER TABLE cases ADD COLUMN name_tokens TEXT;
ALTER TABLE cases ADD COLUMN citizen_reply_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN seen_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX cases_updated ON cases (updated_at);
CREATE TABLE call_dispositions (
    id {{ID}},
    call_id TEXT NOT NULL UNIQUE,
    agent_user BIGINT NOT NULL,
    disposition TEXT NOT NULL,
    note_enc {{BLOB}},
    articles TEXT NOT NULL DEFAULT '[]',
    case_reference TEXT,
    phone_index TEXT,
    language TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX call_dispositions_phone ON call_dispositions (phone_index, created_at);
