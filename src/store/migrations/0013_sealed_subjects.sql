-- A case's subject is sealed like the rest of what the citizen said (issue 10: an Open311
-- subject is the description's first line, a name and a number ended up on disk), with the
-- keyed hashes of its words for the search box. The subjects already stored are sealed by
-- the server's worker (cases_seal_subjects: the key is not in the database), which empties
-- the clear column and then rewrites the table; new cases keep it empty.
ALTER TABLE cases ADD COLUMN subject_enc {{BLOB}};
ALTER TABLE cases ADD COLUMN subject_tokens TEXT;

-- The same for the guide's search log: what an agent typed may name a citizen (digits and
-- addresses were already blanked); sealed, and grouped for the gaps report by a keyed hash.
ALTER TABLE guide_search_log ADD COLUMN query_enc {{BLOB}};
ALTER TABLE guide_search_log ADD COLUMN query_hash TEXT;
