-- Several wasl nodes on one store (src/cluster, docs/scale-out.md). One row
-- per lease: the node holding it ('distributor': the telephony, the
-- distributor and the background jobs) renews expires_at (milliseconds of
-- the wall clock) every lease/5; another node takes it only once it has
-- expired. epoch counts the changes of holder. holder is the node's name and
-- a random instance tag, so that a node restarted under the same name waits
-- for the lease of its dead predecessor like any other node.
CREATE TABLE cluster_lease (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    node TEXT NOT NULL,
    epoch BIGINT NOT NULL,
    acquired_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
-- The nodes seen on the store: each writes its row at every lease round, so
-- /healthz can list who is there and who leads.
CREATE TABLE cluster_nodes (
    node TEXT PRIMARY KEY,
    instance TEXT NOT NULL,
    role TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    seen_at BIGINT NOT NULL
);
-- The outbox's claims: a node takes a mail (claimed_until in the future)
-- before it talks to the SMTP server, so two nodes never send the same one;
-- a claim left by a node that died is taken again once it has passed.
ALTER TABLE outbox ADD COLUMN claimed_until BIGINT NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
