-- The practice line (src/practice, docs/practice.md): one row per practice
-- session, a trainee called by wasl with a script's pretend caller. What the
-- trainee records (articles consulted, case type and category, due date,
-- disposition) is kept here as JSON and nowhere else: practice never writes
-- cases, call_dispositions, the calls table or call.* events, so no real
-- figure can count it. state follows the practice.call events (projected in
-- the event writer's transaction): dialling, ringing, answered, ended,
-- not_answered, failed; interrupted when wasl stopped during the call.
CREATE TABLE practice_sessions (
    id {{ID}},
    user_id BIGINT NOT NULL REFERENCES users (id),
    script TEXT NOT NULL,
    language TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'dialling',
    outcome TEXT NOT NULL DEFAULT '',
    started_at BIGINT NOT NULL,
    answered_at BIGINT NOT NULL DEFAULT 0,
    ended_at BIGINT NOT NULL DEFAULT 0,
    lines_played INTEGER NOT NULL DEFAULT 0,
    record TEXT NOT NULL DEFAULT '',
    result TEXT NOT NULL DEFAULT '',
    score INTEGER NOT NULL DEFAULT -1,
    recorded_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX practice_sessions_user ON practice_sessions (user_id, id);
