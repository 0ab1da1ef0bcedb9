-- Guide briefings (issue 16), owned by src/brief: one per amendment published
-- in a language (the version it publishes and the one it amends, since when
-- it applies, the editor's questions with their answers as JSON); the diffs
-- shown, one per version an agent starts from (an agent whose older briefing
-- was still pending when this one came reads the change from the version
-- they were last briefed on); one row per agent concerned, fixed when the
-- amendment is published: pending, superseded (by a later amendment of the
-- article, still unread) or acknowledged (at acked_at, through briefing via:
-- itself or the later one), with their answers and wrong tries.
CREATE TABLE briefings (
    id {{ID}},
    version_id BIGINT NOT NULL UNIQUE REFERENCES guide_versions (id),
    slug TEXT NOT NULL,
    lang TEXT NOT NULL,
    version INTEGER NOT NULL,
    from_version INTEGER NOT NULL,
    title TEXT NOT NULL,
    reason TEXT NOT NULL,
    effective_on TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    published_by TEXT NOT NULL,
    questions TEXT NOT NULL DEFAULT '[]',
    concerned INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX briefings_article ON briefings (slug, lang, version);
CREATE INDEX briefings_published ON briefings (published_at);

CREATE TABLE briefing_diffs (
    briefing_id BIGINT NOT NULL REFERENCES briefings (id),
    from_version INTEGER NOT NULL,
    diff TEXT NOT NULL,
    PRIMARY KEY (briefing_id, from_version)
);

CREATE TABLE briefing_recipients (
    briefing_id BIGINT NOT NULL REFERENCES briefings (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    from_version INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'superseded', 'acknowledged')),
    acked_at BIGINT NOT NULL DEFAULT 0,
    via BIGINT NOT NULL DEFAULT 0,
    answers TEXT,
    wrong_tries INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (briefing_id, user_id)
);
CREATE INDEX briefing_recipients_user ON briefing_recipients (user_id, state);
