-- A version per topic of shared state ("accounts": users and SIP accounts),
-- bumped by every change in the change's own transaction. Each process on the
-- store (other nodes, the CLI's changes seen by a running server) polls it
-- and reloads what it keeps in memory when it moves (src/store/changes.c).
CREATE TABLE changes (
    topic TEXT PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO changes (topic, version) VALUES ('accounts', 0);
