-- Coaching sessions (src/coach, docs/coaching.md): a supervisor plans a
-- session with an agent (date, topic, the quality reviews and the scorecard
-- period it is about, goals as JSON [{"text", "target": "aht <= 300"}]),
-- records it done (notes shared with the agent and private notes, both
-- sealed like a case's personal data) with a follow-up date; the agent
-- acknowledges it once, with a comment.
CREATE TABLE coaching_sessions (
    id {{ID}},
    agent_user BIGINT NOT NULL REFERENCES users (id),
    supervisor_user BIGINT NOT NULL REFERENCES users (id),
    planned_at BIGINT NOT NULL,
    topic TEXT NOT NULL,
    reviews TEXT NOT NULL DEFAULT '[]',
    period_from BIGINT NOT NULL DEFAULT 0,
    period_to BIGINT NOT NULL DEFAULT 0,
    goals TEXT NOT NULL DEFAULT '[]',
    state TEXT NOT NULL CHECK (state IN ('planned', 'done')),
    done_at BIGINT NOT NULL DEFAULT 0,
    notes_enc {{BLOB}},
    private_enc {{BLOB}},
    follow_up_at BIGINT NOT NULL DEFAULT 0,
    agent_comment TEXT,
    acknowledged_at BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX coaching_sessions_agent ON coaching_sessions (agent_user, planned_at);

-- The listen/whisper/barge sessions (the call.supervised event that began
-- each, kind joined) a supervisor attached to a coaching session; one
-- session each.
CREATE TABLE coaching_supervisions (
    session_id BIGINT NOT NULL REFERENCES coaching_sessions (id),
    event_id BIGINT NOT NULL UNIQUE,
    attached_by BIGINT NOT NULL,
    attached_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, event_id)
);
