-- The contact center's event log (src/events, docs/events.md): every fact of
-- the phones, in order. data: the kind's fields as a JSON object.
CREATE TABLE events (
    id {{ID}},
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    call_id BIGINT,
    agent BIGINT,
    queue TEXT,
    data TEXT NOT NULL
);
CREATE INDEX events_at ON events (at);
CREATE INDEX events_call ON events (call_id);
CREATE INDEX events_agent ON events (agent, at);

-- The calls table becomes a projection of the log: a row from the moment a
-- call arrives (outcome 'up' until it ends), so a crash leaves a trace of
-- every call that was up. calls.id is the call's number everywhere (the
-- agent's phone, the desk, the log).
CREATE INDEX calls_outcome_up ON calls (outcome) WHERE outcome = 'up';

-- The agents' phones' registrations, kept across restarts (projection of
-- phone.registered / phone.unregistered).
CREATE TABLE sip_registrations (
    user_id BIGINT PRIMARY KEY,
    contact TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Each agent's last state (projection of agent.state), from which a restart
-- logs the agents back in.
CREATE TABLE agent_states (
    user_id BIGINT PRIMARY KEY,
    state TEXT NOT NULL,
    reason TEXT NOT NULL,
    since BIGINT NOT NULL
);

-- The SIP dialogs of calls in progress (projection of the transient
-- call.leg event), sealed: they name the caller's number. Deleted when the
-- call ends; after a crash, read to hang up both legs of every call left up.
CREATE TABLE call_legs (
    call_id BIGINT NOT NULL,
    leg TEXT NOT NULL,
    dialog_enc {{BLOB}} NOT NULL,
    cseq BIGINT NOT NULL,
    PRIMARY KEY (call_id, leg)
);

-- Callbacks are dialled: how many times, when next, what happened last, and
-- a claim (the dialler that took it, so two never dial the same request).
ALTER TABLE callbacks ADD COLUMN attempts INT NOT NULL DEFAULT 0;
ALTER TABLE callbacks ADD COLUMN next_attempt_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE callbacks ADD COLUMN claimed_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE callbacks ADD COLUMN last_result TEXT;
