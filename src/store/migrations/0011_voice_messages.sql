-- Voice messages left in the IVR (the record node), as work items: owned by
-- tel (src/tel/messages.c), a row per message.left event (one message per
-- call), built in the event log writer's transaction. The caller's number is
-- sealed with the personal-data key and blind-indexed like a callback's; the
-- audio is a WAV file under sip.recording_dir/messages/. When the recordings'
-- retention deletes the file, the row stays for the figures with expired_at
-- set and the number, the note and the file name cleared.
CREATE TABLE voice_messages (
    id {{ID}},
    call_id BIGINT NOT NULL UNIQUE,
    left_at BIGINT NOT NULL,
    country TEXT NOT NULL,
    did TEXT NOT NULL,
    language TEXT NOT NULL,
    phone_enc {{BLOB}},
    phone_index TEXT,
    seconds BIGINT NOT NULL,
    file TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'handled')),
    handled_by BIGINT,
    handled_at BIGINT NOT NULL DEFAULT 0,
    outcome TEXT NOT NULL DEFAULT '' CHECK (outcome IN ('', 'callback', 'resolved', 'no_action')),
    note_enc {{BLOB}},
    callback_id BIGINT,
    expired_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX voice_messages_list ON voice_messages (status, language, id);
CREATE INDEX voice_messages_phone ON voice_messages (phone_index);
