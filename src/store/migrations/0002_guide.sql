-- The consular guide: articles, their versions in each language, synonyms,
-- and the search log. A version is never changed after it is written except
-- for its workflow status; every status change is in the audit trail.

CREATE TABLE guide_articles (
    id {{ID}},
    slug TEXT NOT NULL UNIQUE,
    category TEXT NOT NULL,
    audience TEXT NOT NULL CHECK (audience IN ('citizens', 'foreigners', 'both')),
    source_language TEXT NOT NULL,
    keywords TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);

CREATE TABLE guide_versions (
    id {{ID}},
    article_id BIGINT NOT NULL REFERENCES guide_articles (id),
    lang TEXT NOT NULL,
    version INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'review', 'published', 'rejected')),
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    body TEXT NOT NULL,
    documents TEXT NOT NULL,
    fees TEXT NOT NULL,
    processing_time TEXT NOT NULL,
    where_to_apply TEXT NOT NULL,
    source TEXT NOT NULL,
    checked_on TEXT NOT NULL,
    confidence TEXT NOT NULL,
    translates INTEGER NOT NULL DEFAULT 0,
    author TEXT NOT NULL,
    reason TEXT NOT NULL,
    effective_on TEXT NOT NULL DEFAULT '',
    effective_at BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    reviewer TEXT,
    reviewed_at BIGINT NOT NULL DEFAULT 0,
    review_note TEXT,
    UNIQUE (article_id, lang, version)
);
CREATE INDEX guide_versions_in_force ON guide_versions (article_id, lang, status, effective_at);
CREATE INDEX guide_versions_status ON guide_versions (status, created_at);

CREATE TABLE guide_synonyms (
    id {{ID}},
    grp TEXT NOT NULL,
    lang TEXT NOT NULL,
    term TEXT NOT NULL,
    UNIQUE (grp, lang, term)
);

-- No personal data: long digit runs and e-mail addresses are blanked before
-- a query is stored, and no user is recorded, only the role.
CREATE TABLE guide_search_log (
    id {{ID}},
    at BIGINT NOT NULL,
    lang TEXT NOT NULL,
    query TEXT NOT NULL,
    results INTEGER NOT NULL,
    opened TEXT,
    role TEXT NOT NULL
);
CREATE INDEX guide_search_log_at ON guide_search_log (at);

-- Bumped by every change that affects search, so each node knows when to
-- rebuild its in-memory index.
CREATE TABLE guide_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT NOT NULL
);
INSERT INTO guide_state (id, generation) VALUES (1, 1);
