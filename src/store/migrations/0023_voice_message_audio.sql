-- How much of a voice message's audio was kept (src/tel/messages.c, from
-- message.left's cut): complete; partial: wasl stopped during the message (a
-- crash, kill -9) and its file, finished at the next start, holds what was said
-- until then; failed: the disk failed (full or failing) and the file, if any,
-- holds what was written before. Rows from before are complete: the file
-- was written in one go once the message was over.
ALTER TABLE voice_messages ADD COLUMN audio TEXT NOT NULL DEFAULT 'complete' CHECK (audio IN ('complete', 'partial', 'failed'));
