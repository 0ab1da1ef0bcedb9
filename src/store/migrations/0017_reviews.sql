-- Quality reviews of recorded calls (src/quality, docs/quality.md).
-- quality_forms: every version of every evaluation form ever loaded, its
-- text as read from data/quality/forms, so a review is always shown with
-- the version it was scored with (a version's text never changes).
CREATE TABLE quality_forms (
    form_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    content TEXT NOT NULL,
    loaded_at BIGINT NOT NULL,
    PRIMARY KEY (form_id, version)
);
-- quality_reviews: one reviewer's scoring of one call (calls.id), one per
-- reviewer and call (several reviewers on a call: calibration). Scores in
-- tenths of a percent. call_started_at: the retention clock (the review
-- outlives the recording by quality.review_retention). A calibration
-- review is never shown to the agent.
CREATE TABLE quality_reviews (
    id {{ID}},
    call_id BIGINT NOT NULL,
    call_started_at BIGINT NOT NULL,
    agent_user BIGINT NOT NULL,
    reviewer_user BIGINT NOT NULL,
    form_id TEXT NOT NULL,
    form_version INTEGER NOT NULL,
    answers TEXT NOT NULL,
    score_x10 BIGINT NOT NULL,
    raw_x10 BIGINT NOT NULL,
    failed INTEGER NOT NULL DEFAULT 0,
    calibration INTEGER NOT NULL DEFAULT 0,
    comment TEXT,
    agent_comment TEXT,
    acknowledged_at BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (call_id, reviewer_user)
);
CREATE INDEX quality_reviews_agent ON quality_reviews (agent_user, created_at);
CREATE INDEX quality_reviews_started ON quality_reviews (call_started_at);
