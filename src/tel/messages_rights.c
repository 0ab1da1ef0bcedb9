/*
 * A citizen's rights over their voice messages: what the cases module's
 * privacy export, erasure and key rotation reach in the voice_messages table
 * (owned by messages.c), registered with it as a personal store. Apart from
 * messages.c because it speaks jansson, whose names clash with libre's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tel.h"
#include "cases/cases.h"

static int export_h(struct db *db, const char *idx, struct json_t *out)
{
    struct db_conn *c;
    struct db_stmt *s = NULL;
    int err = db_conn_get(db, &c);
    if (err)
        return err;
    err = db_query(c, &s,
                   "SELECT left_at, country, did, language, seconds, status, outcome, handled_at, phone_enc, note_enc, file, audio "
                   "FROM voice_messages WHERE phone_index = ? ORDER BY id",
                   DBP(DB_S(idx)));
    while (!err && db_next(s)) {
        char at[40], handled[40] = "", *phone = NULL, *note = NULL;
        size_t n = 0, m = 0;
        const void *b = db_blob(s, 8, &n), *nb = db_blob(s, 9, &m);
        clock_format_utc(db_int(s, 0), at, sizeof(at));
        if (db_int(s, 7))
            clock_format_utc(db_int(s, 7), handled, sizeof(handled));
        if ((b && n && (err = personal_unseal(b, n, &phone))) || (nb && m && (err = personal_unseal(nb, m, &note)))) {
            free(phone);
            break;
        }
        const char *outcome = db_text(s, 6);
        json_t *o =
            json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:s?, s:s?, s:s?, s:s?, s:b, s:s}", "left_at", at, "country", db_text(s, 1),
                      "number_called", db_text(s, 2), "language", db_text(s, 3), "seconds", (json_int_t)db_int(s, 4), "status",
                      db_text(s, 5), "outcome", outcome && *outcome ? outcome : NULL, "handled_at", handled[0] ? handled : NULL,
                      "phone", phone, "note", note, "audio_kept", *db_text(s, 10) != '\0', "audio", db_text(s, 11));
        free(phone);
        free(note);
        if (!o || json_array_append_new(out, o)) {
            err = WASL_ENOMEM;
            break;
        }
    }
    int err2 = db_end(s);
    db_conn_put(c);
    return err ? err : err2;
}

/* The audio, the number and the note go; the row stays for the figures,
 * like an expired one. */
static int erase_h(struct db_conn *c, const char *idx, int64_t *n)
{
    struct db_stmt *s = NULL;
    int err = db_query(c, &s, "SELECT file FROM voice_messages WHERE phone_index = ?", DBP(DB_S(idx)));
    while (!err && db_next(s)) {
        const char *file = db_text(s, 0);
        if (file && *file && remove(file) && errno != ENOENT)
            err = err_set(WASL_EIO, "tel.io", "the voice message %s cannot be deleted: %s", file, strerror(errno));
    }
    int err2 = db_end(s);
    if (err || err2)
        return err ? err : err2;
    err = db_exec(c,
                  "UPDATE voice_messages SET expired_at = ?, file = '', phone_enc = NULL, phone_index = NULL, note_enc = NULL "
                  "WHERE phone_index = ?",
                  DBP(DB_I(clock_now()), DB_S(idx)));
    if (!err)
        *n = db_changes(c);
    return err;
}

static const struct personal_store store = {
    "voice_messages", "voice_messages", "id", {"phone_enc", "note_enc"}, 2, export_h, erase_h,
};

int tel_privacy_register(void)
{
    return personal_store_add(&store);
}
