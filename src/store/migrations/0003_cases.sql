-- Cases: dossiers, complaints, suggestions, observations and information
-- requests. Personal data is encrypted by the application ({{BLOB}} columns
-- hold key id + nonce + ciphertext); phone and e-mail are found through keyed
-- blind indexes. Every change is an event; nothing is updated without one.

CREATE TABLE cases (
    id {{ID}},
    reference TEXT NOT NULL UNIQUE,
    pin_hash TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('information', 'dossier', 'complaint', 'suggestion', 'observation')),
    category TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('new', 'open', 'waiting_citizen', 'waiting_consulate', 'resolved', 'closed', 'merged')),
    priority TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    channel TEXT NOT NULL CHECK (channel IN ('phone', 'portal', 'email', 'open311')),
    language TEXT NOT NULL,
    country TEXT,
    consulate TEXT,
    assignee_user BIGINT REFERENCES users (id),
    assignee_consulate TEXT,
    subject TEXT NOT NULL,
    description_enc {{BLOB}},
    fields_enc {{BLOB}},
    name_enc {{BLOB}},
    phone_enc {{BLOB}},
    email_enc {{BLOB}},
    id_number_enc {{BLOB}},
    passport_enc {{BLOB}},
    phone_index TEXT,
    email_index TEXT,
    articles TEXT NOT NULL DEFAULT '[]',
    merged_into BIGINT REFERENCES cases (id),
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    first_response_at BIGINT NOT NULL DEFAULT 0,
    resolved_at BIGINT NOT NULL DEFAULT 0,
    closed_at BIGINT NOT NULL DEFAULT 0,
    first_response_due BIGINT NOT NULL DEFAULT 0,
    resolution_due BIGINT NOT NULL DEFAULT 0,
    paused_since BIGINT NOT NULL DEFAULT 0,
    warned_at BIGINT NOT NULL DEFAULT 0,
    breached_at BIGINT NOT NULL DEFAULT 0,
    escalated INTEGER NOT NULL DEFAULT 0,
    rating INTEGER,
    rating_comment_enc {{BLOB}},
    rated_at BIGINT NOT NULL DEFAULT 0,
    anonymized_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX cases_status ON cases (status, updated_at);
CREATE INDEX cases_consulate ON cases (assignee_consulate, status);
CREATE INDEX cases_assignee ON cases (assignee_user, status);
CREATE INDEX cases_phone ON cases (phone_index);
CREATE INDEX cases_email ON cases (email_index);
CREATE INDEX cases_due ON cases (resolution_due);

CREATE TABLE case_events (
    id {{ID}},
    case_id BIGINT NOT NULL REFERENCES cases (id),
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    public INTEGER NOT NULL DEFAULT 0,
    body_enc {{BLOB}},
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX case_events_case ON case_events (case_id, at);

-- Counters for public forms and PIN look-ups ('pin:<ref>', 'portal:<ip>').
CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY,
    hits INTEGER NOT NULL,
    window_start BIGINT NOT NULL,
    blocked_until BIGINT NOT NULL
);

-- Mail to citizens, sent by the mailer when SMTP is on.
CREATE TABLE outbox (
    id {{ID}},
    case_id BIGINT REFERENCES cases (id),
    created_at BIGINT NOT NULL,
    to_enc {{BLOB}} NOT NULL,
    subject TEXT NOT NULL,
    body_enc {{BLOB}} NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    sent_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX outbox_status ON outbox (status, created_at);

-- What stays of a case once its personal data has expired: counts only.
CREATE TABLE case_stats (
    id {{ID}},
    day TEXT NOT NULL,
    type TEXT NOT NULL,
    category TEXT NOT NULL,
    channel TEXT NOT NULL,
    language TEXT NOT NULL,
    country TEXT,
    consulate TEXT,
    final_status TEXT NOT NULL,
    first_response_seconds BIGINT,
    resolution_seconds BIGINT,
    breached INTEGER NOT NULL,
    rating INTEGER
);

-- Callback requests left when the center is closed (telephony), and the
-- center's switches (emergency closure).
CREATE TABLE center_state (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    changed_at BIGINT NOT NULL,
    changed_by TEXT NOT NULL
);
