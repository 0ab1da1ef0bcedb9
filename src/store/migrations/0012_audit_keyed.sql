-- The keyed audit chain (issue 10): from seq mac_from on, each entry's hash
-- is an HMAC under a key kept in a file outside the database (audit.key_file),
-- so someone who can write the database cannot recompute it. The key file is
-- the authority for mac_from; these columns say which key claimed the trail
-- (its Ed25519 public key), so a node with another key or none refuses to
-- append instead of forking the chain.
ALTER TABLE audit_head ADD COLUMN mac_from BIGINT NOT NULL DEFAULT 0;
ALTER TABLE audit_head ADD COLUMN key_id TEXT NOT NULL DEFAULT '';
