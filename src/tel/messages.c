/*
 * Voice messages as work items: the voice_messages table, owned here. A row
 * is projected from each message.left event in the event log writer's
 * transaction (the caller's number, which the event carries to the
 * projection only, is sealed and blind-indexed like a callback's); the staff
 * list them, listen, and handle them: "no action", "resolved", or a callback
 * request through the callbacks store. Agents see the messages of the
 * languages of their SIP account, supervisors and administrators all of them.
 * The recordings' retention deletes the audio and marks the row expired.
 * The audio column says how much of the message was kept (message.left's
 * cut): complete, partial (a crash: what was said until then, finished at
 * the next start by projections.c) or failed (the disk failed).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "rt.h"
#include "cases/cases.h"

#define NOTE_MAX 500 /* a line or two: the case, if any, holds the rest */

/* ---- the projection ---- */

int messages_project(struct db_conn *c, const struct ev *e)
{
    if (e->kind != EV_MESSAGE_LEFT)
        return 0;
    unsigned char *b = NULL;
    size_t n = 0;
    char idx[65] = "", plus[32], norm[24];
    snprintf(plus, sizeof(plus), "+%s", e->b);
    if (e->b[0] && phone_normalize(plus, NULL, norm, sizeof(norm))) {
        /* Without the key the message is still worth keeping (it can be
         * listened to and handled), only not called back: the batch of
         * events must not fail for it. */
        if (personal_seal(norm, &b, &n)) {
            log_warn("tel: the number of the voice message of call %lld cannot be sealed: %s", (long long)e->call, err_message());
            err_clear();
            b = NULL;
            n = 0;
        } else {
            personal_phone_index(norm, idx);
        }
    }
    static const char *const audio[] = {
        [MESSAGE_COMPLETE] = "complete", [MESSAGE_PARTIAL] = "partial", [MESSAGE_FAILED] = "failed"};
    int err = db_exec(
        c,
        "INSERT INTO voice_messages (call_id, left_at, country, did, language, phone_enc, phone_index, seconds, file, audio) "
        "VALUES (?, ?, COALESCE((SELECT country FROM calls WHERE id = ?), ''), "
        "COALESCE((SELECT did FROM calls WHERE id = ?), ''), "
        "COALESCE(NULLIF(?, ''), (SELECT language FROM calls WHERE id = ?), ''), ?, ?, ?, ?, ?) "
        "ON CONFLICT (call_id) DO NOTHING",
        DBP(DB_I(e->call), DB_I(e->at), DB_I(e->call), DB_I(e->call), DB_S(e->a), DB_I(e->call), b ? DB_B(b, n) : DB_NULL,
            idx[0] ? DB_S(idx) : DB_NULL, DB_I(e->n), DB_S(e->c),
            DB_S(e->m >= 0 && e->m <= MESSAGE_FAILED ? audio[e->m] : "failed")));
    free(b);
    if (!err)
        tel_records_changed(); /* the pages that list them read again */
    return err;
}

/* ---- who sees what ---- */

/* The viewer's languages, " fr ar " (spaces around each), or all. An agent
 * without a SIP account takes no calls and sees no messages. */
struct scope {
    bool all;
    char langs[WASL_LANG_MAX * (WASL_LANG_CODE_MAX + 1) + 2];
};

static int scope_of(struct db *db, const struct tel_viewer *v, struct scope *s)
{
    struct tel_account_info a;
    memset(s, 0, sizeof(*s));
    s->all = v->all;
    if (s->all)
        return 0;
    snprintf(s->langs, sizeof(s->langs), " ");
    int err = tel_account_get(db, v->user_id, &a);
    if (err == WASL_ENOENT) {
        err_clear();
        return 0;
    }
    if (err)
        return err;
    /* every language the agent takes calls in, whatever their proficiency */
    size_t k = 1;
    for (int i = 0; i < wasl_nlanguages && i < WASL_LANG_MAX; i++)
        if (a.proficiency[i] && k + strlen(wasl_languages[i]) + 2 < sizeof(s->langs))
            k += (size_t)snprintf(s->langs + k, sizeof(s->langs) - k, "%s ", wasl_languages[i]);
    return 0;
}

static bool scope_has(const struct scope *s, const char *language)
{
    char w[WASL_LANG_CODE_MAX + 3];
    if (s->all)
        return true;
    if (!language || !*language || strlen(language) >= WASL_LANG_CODE_MAX)
        return false;
    snprintf(w, sizeof(w), " %s ", language);
    return strstr(s->langs, w) != NULL;
}

/* ---- listing ---- */

struct lister {
    const struct scope *scope;
    tel_message_h h;
    void *arg;
    int n, limit;
    int64_t last;
    bool more;
};

static int message_row(struct db_stmt *s, void *arg)
{
    struct lister *l = arg;
    if (l->n == l->limit) {
        l->more = true;
        return 0;
    }
    struct tel_message m = {
        .id = db_int(s, 0),
        .call = db_int(s, 1),
        .left_at = db_int(s, 2),
        .country = db_text(s, 3),
        .did = db_text(s, 4),
        .language = db_text(s, 5),
        .seconds = db_int(s, 6),
        .status = db_text(s, 7),
        .handled_by = db_is_null(s, 8) ? 0 : db_int(s, 8),
        .handled_at = db_int(s, 9),
        .outcome = db_text(s, 10),
        .callback_id = db_is_null(s, 12) ? 0 : db_int(s, 12),
        .expired = db_int(s, 13) != 0,
        .audio = db_text(s, 15),
    };
    if (!scope_has(l->scope, m.language))
        return 0;
    size_t n = 0;
    const void *b = db_blob(s, 14, &n);
    char *phone = NULL, plus[40];
    if (b && n && !personal_unseal(b, n, &phone) && phone) {
        snprintf(plus, sizeof(plus), "+%s", phone);
        mask_phone(plus, m.phone_masked, sizeof(m.phone_masked));
        sodium_memzero(phone, strlen(phone));
    }
    free(phone);
    err_clear(); /* an unopenable number is shown as none */
    char *note = NULL;
    b = db_blob(s, 11, &n);
    if (b && n && personal_unseal(b, n, &note))
        err_clear();
    m.note = note;
    int err = l->h(&m, l->arg);
    free(note);
    l->n++;
    l->last = m.id;
    return err;
}

int tel_messages_list(struct db *db, const struct tel_viewer *v, const struct tel_message_filter *f, tel_message_h h, void *arg,
                      int64_t *next_before)
{
    struct scope sc;
    int err;
    *next_before = 0;
    if (f->status && strcmp(f->status, "new") && strcmp(f->status, "handled"))
        return err_set_field(WASL_EINVAL, "tel.invalid_status", "status", "new or handled");
    if ((err = scope_of(db, v, &sc)))
        return err;
    if (f->language && *f->language && !scope_has(&sc, f->language))
        return 0; /* a language the viewer does not take: nothing to see */
    struct lister l = {&sc, h, arg, 0, f->limit > 0 ? f->limit : 50, 0, false};
    /* The scope is applied in SQL too, so that a page is full. */
    err = db_each(db,
                  "SELECT id, call_id, left_at, country, did, language, seconds, status, handled_by, handled_at, outcome, "
                  "note_enc, callback_id, expired_at <> 0, phone_enc, audio FROM voice_messages "
                  "WHERE id < ? AND (? = '' OR status = ?) AND (? = '' OR language = ?) "
                  "AND (? = 1 OR ? LIKE '% ' || language || ' %') ORDER BY id DESC LIMIT ?",
                  DBP(DB_I(f->before > 0 ? f->before : INT64_MAX), DB_S(f->status ? f->status : ""),
                      DB_S(f->status ? f->status : ""), DB_S(f->language ? f->language : ""), DB_S(f->language ? f->language : ""),
                      DB_I(sc.all ? 1 : 0), DB_S(sc.langs), DB_I(l.limit + 1)),
                  message_row, &l);
    if (!err && l.more)
        *next_before = l.last;
    return err;
}

/* ---- one message ---- */

struct one {
    bool found, expired;
    char status[16], language[WASL_LANG_CODE_MAX], file[1100], audio[16];
    unsigned char *phone;
    size_t nphone;
};

static int one_row(struct db_stmt *s, void *arg)
{
    struct one *o = arg;
    size_t n = 0;
    const void *b = db_blob(s, 4, &n);
    o->found = true;
    snprintf(o->status, sizeof(o->status), "%s", db_text(s, 0));
    snprintf(o->language, sizeof(o->language), "%s", db_text(s, 1));
    snprintf(o->file, sizeof(o->file), "%s", db_text(s, 2));
    o->expired = db_int(s, 3) != 0;
    snprintf(o->audio, sizeof(o->audio), "%s", db_text(s, 5));
    if (b && n && (o->phone = malloc(n))) {
        memcpy(o->phone, b, n);
        o->nphone = n;
    }
    return 0;
}

/* The message id as the viewer may see it: WASL_ENOENT "tel.message_not_found"
 * for one of a language they do not take (as if it did not exist). */
static int message_get(struct db *db, const struct tel_viewer *v, int64_t id, struct one *o)
{
    struct scope sc;
    int err;
    memset(o, 0, sizeof(*o));
    if ((err = scope_of(db, v, &sc)) ||
        (err = db_each(db, "SELECT status, language, file, expired_at <> 0, phone_enc, audio FROM voice_messages WHERE id = ?",
                       DBP(DB_I(id)), one_row, o)))
        return err;
    if (!o->found || !scope_has(&sc, o->language)) {
        free(o->phone);
        o->phone = NULL;
        return err_set(WASL_ENOENT, "tel.message_not_found", "no voice message %lld", (long long)id);
    }
    return 0;
}

int tel_message_audio(struct db *db, const struct tel_viewer *v, int64_t id, char *path, size_t n)
{
    struct one o;
    int err = message_get(db, v, id, &o);
    free(o.phone);
    if (err)
        return err;
    if (!o.expired && !o.file[0] && !strcmp(o.audio, "failed"))
        return err_set(WASL_ENOENT, "tel.message_no_audio", "the disk failed while the message was left: no audio was kept");
    if (o.expired || !o.file[0])
        return err_set(WASL_ENOENT, "tel.message_expired", "the message's audio was deleted (sip.recording_retention)");
    snprintf(path, n, "%s", o.file);
    return 0;
}

/* Marks it handled when it is still new: WASL_ECONFLICT "tel.message_handled"
 * when somebody did first. */
static int mark(struct db *db, int64_t id, int64_t by, const char *outcome, const char *note)
{
    struct db_conn *c;
    unsigned char *b = NULL;
    size_t n = 0;
    int err;
    if (note && *note && (err = personal_seal(note, &b, &n)))
        return err;
    if ((err = db_conn_get(db, &c))) {
        free(b);
        return err;
    }
    err = db_exec(c,
                  "UPDATE voice_messages SET status = 'handled', handled_by = ?, handled_at = ?, outcome = ?, note_enc = ? "
                  "WHERE id = ? AND status = 'new'",
                  DBP(DB_I(by), DB_I(clock_now()), DB_S(outcome), b ? DB_B(b, n) : DB_NULL, DB_I(id)));
    if (!err && db_changes(c) != 1)
        err = err_set(WASL_ECONFLICT, "tel.message_handled", "this voice message was already handled");
    db_conn_put(c);
    free(b);
    if (!err)
        tel_records_changed();
    return err;
}

static int check_note(const char *note)
{
    if (note && strlen(note) > NOTE_MAX)
        return err_set_field(WASL_EINVAL, "tel.invalid_note", "note", "at most 500 characters");
    return 0;
}

int tel_message_handle(struct db *db, const struct tel_viewer *v, int64_t id, const char *outcome, const char *note)
{
    struct one o;
    int err;
    if (!outcome || (strcmp(outcome, "resolved") && strcmp(outcome, "no_action")))
        return err_set_field(WASL_EINVAL, "tel.invalid_outcome", "outcome", "resolved or no_action (a callback: .../callback)");
    if ((err = check_note(note)) || (err = message_get(db, v, id, &o)))
        return err;
    free(o.phone);
    return mark(db, id, v->user_id, outcome, note);
}

int tel_message_callback(struct db *db, const struct tel_viewer *v, int64_t id, const char *language, const char *note,
                         int64_t *callback_id, bool *merged)
{
    struct one o;
    char *phone = NULL, plus[40], by[40];
    int err;
    *callback_id = 0;
    *merged = false;
    if ((err = check_note(note)) || (err = message_get(db, v, id, &o)))
        return err;
    if (strcmp(o.status, "new")) {
        err = err_set(WASL_ECONFLICT, "tel.message_handled", "this voice message was already handled");
        goto out;
    }
    if (!o.phone) {
        err = o.expired ? err_set(WASL_ENOENT, "tel.message_expired", "the message and its number were deleted (retention)")
                        : err_set(WASL_ECONFLICT, "tel.no_number", "the caller's number is unknown (anonymous call)");
        goto out;
    }
    if ((err = personal_unseal(o.phone, o.nphone, &phone)) || !phone) {
        err = err ? err : err_set(WASL_EINTERNAL, "tel.no_number", "the caller's number cannot be opened");
        goto out;
    }
    snprintf(plus, sizeof(plus), "+%s", phone);
    /* Claimed first, so that two people clicking at once make one request;
     * given back if the request cannot be made. */
    if ((err = mark(db, id, v->user_id, "callback", note)))
        goto out;
    snprintf(by, sizeof(by), "message:%lld", (long long)id);
    err = tel_callback_schedule(db, plus, language && *language ? language : o.language, by, callback_id, merged);
    struct db_conn *c;
    if (err) {
        /* kept for the staff to read (codes and fields are static strings) */
        const char *code = err_code()[0] ? err_code() : NULL;
        char message[256], field[64];
        snprintf(message, sizeof(message), "%s", err_message());
        snprintf(field, sizeof(field), "%s", err_field());
        err_clear();
        if (!db_conn_get(db, &c)) {
            if (db_exec(
                    c,
                    "UPDATE voice_messages SET status = 'new', handled_by = NULL, handled_at = 0, outcome = '', note_enc = NULL "
                    "WHERE id = ?",
                    DBP(DB_I(id))))
                log_warn("tel: voice message %lld stays marked handled though its callback failed: %s", (long long)id,
                         err_message());
            db_conn_put(c);
        }
        err_clear();
        err = field[0] ? err_set_field(err, code, field, "%s", message) : err_set(err, code, "%s", message);
        goto out;
    }
    if (!(err = db_conn_get(db, &c))) {
        err = db_exec(c, "UPDATE voice_messages SET callback_id = ? WHERE id = ?", DBP(DB_I(*callback_id), DB_I(id)));
        db_conn_put(c);
    }
out:
    if (phone)
        sodium_memzero(phone, strlen(phone));
    free(phone);
    free(o.phone);
    return err;
}

/* ---- retention ---- */

struct expiring {
    int64_t ids[200];
    int n;
    int removed;
};

static int expiring_row(struct db_stmt *s, void *arg)
{
    struct expiring *x = arg;
    const char *file = db_text(s, 1);
    if (file && *file && remove(file) && errno != ENOENT) {
        log_warn("tel: voice message %s not deleted: %s", file, strerror(errno));
        return 0; /* tried again at the next purge */
    }
    x->removed += file && *file;
    x->ids[x->n++] = db_int(s, 0);
    return 0;
}

int messages_expire(struct db *db, int64_t before, int *n)
{
    int err = 0;
    *n = 0;
    for (;;) {
        struct expiring x = {.n = 0};
        if ((err = db_each(db, "SELECT id, file FROM voice_messages WHERE expired_at = 0 AND left_at < ? ORDER BY id LIMIT 200",
                           DBP(DB_I(before)), expiring_row, &x)))
            return err;
        struct db_conn *c;
        if ((err = db_conn_get(db, &c)))
            return err;
        for (int i = 0; i < x.n && !err; i++)
            err = db_exec(c,
                          "UPDATE voice_messages SET expired_at = ?, file = '', phone_enc = NULL, phone_index = NULL, "
                          "note_enc = NULL WHERE id = ?",
                          DBP(DB_I(clock_now()), DB_I(x.ids[i])));
        db_conn_put(c);
        *n += x.removed;
        if (err || x.n < 200)
            break;
    }
    if (*n)
        tel_records_changed();
    return err;
}
