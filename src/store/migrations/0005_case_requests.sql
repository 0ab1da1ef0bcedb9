-- Idempotency keys of case creations (the Idempotency-Key header). A client
-- that did not get its answer (a network cut, the database lost during
-- COMMIT) sends the same request with the same key and gets the same case
-- back, not a second one. Rows are kept a day; the PIN is sealed like
-- personal data (and resealed when the key is rotated).
CREATE TABLE case_requests (
    id {{ID}},
    actor TEXT NOT NULL,
    request_key TEXT NOT NULL,
    input_hash TEXT NOT NULL,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    pin_enc {{BLOB}} NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (actor, request_key)
);
CREATE INDEX case_requests_created ON case_requests (created_at);
CREATE INDEX case_requests_case ON case_requests (case_id);
