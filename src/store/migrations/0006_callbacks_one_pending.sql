-- One pending callback per number: a caller who asks again (three calls made
-- three callbacks in an outside test) keeps the first request and its place.
-- Duplicates already waiting are folded into the oldest.
UPDATE callbacks SET status = 'cancelled', done_at = created_at
 WHERE status = 'pending'
   AND id NOT IN (SELECT MIN(id) FROM callbacks WHERE status = 'pending' GROUP BY phone_index);
CREATE UNIQUE INDEX callbacks_one_pending ON callbacks (phone_index) WHERE status = 'pending';
