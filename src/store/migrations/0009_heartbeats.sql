-- When each wasl process was last alive (the event log's writer beats every
-- few seconds): a restart after a crash ends the calls it cut at the last
-- beat, so their talk and wait are counted up to then, not to their last event.
CREATE TABLE heartbeats (
    node TEXT PRIMARY KEY,
    at BIGINT NOT NULL
);
