-- The services an agent takes calls for (queues are a language x a service):
-- their names separated by spaces, NULL for every service of the queues plan,
-- including services added to it later. The languages column keeps its
-- meaning and now may give each language a proficiency 1-5 ("fr:5 ar en",
-- 3 where none is given), so older values stay valid as they are.
ALTER TABLE sip_accounts ADD COLUMN services TEXT;
