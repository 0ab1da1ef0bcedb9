/*
 * What an agent records about a call at the desk: its disposition (a code of
 * data/cases/dispositions.json), a note (sealed), the guide articles
 * consulted with their versions, the case opened or followed up, and the
 * caller's number as a blind index only. Owns call_dispositions, keyed by
 * the telephony's stable calls.call_id. Also the screen pop's look-up: a
 * caller's cases and earlier calls by number.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "cases_int.h"
#include "events/events.h"

#define DISPOSITIONS_MAX 32
#define NOTE_MAX 4000
#define CALL_ID_MAX 128
#define CALLER_CASES_MAX 20 /* the screen pop shows the latest; the case list has the rest */
/* How far before midnight the agent's state at midnight is looked for: the
 * log is indexed by time only, and a state older than a week (an agent
 * logged out on holiday) is taken as offline. */
#define DAY_STATE_LOOKBACK_US (INT64_C(7) * 86400 * 1000000)

static struct {
    char code[32];
    bool opens_case;
    char name[WASL_LANG_MAX][64];
} dispositions[DISPOSITIONS_MAX];
static int ndispositions;

int call_dispositions_load(const char *path)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je), *list, *d;
    size_t i;
    int err = 0, untranslated[WASL_LANG_MAX] = {0};
    const char *first[WASL_LANG_MAX] = {0};

    if (!root)
        return err_set(WASL_EINVAL, "data.invalid", "%s:%d: %s", path, je.line, je.text);
    ndispositions = 0;
    list = json_object_get(root, "dispositions");
    if (!json_is_array(list) || json_array_size(list) > DISPOSITIONS_MAX) {
        err = err_set(WASL_EINVAL, "data.invalid", "%s: \"dispositions\" is a list of at most %d", path, DISPOSITIONS_MAX);
        goto out;
    }
    json_array_foreach(list, i, d)
    {
        const char *code = json_string_value(json_object_get(d, "code"));
        if (!code || !*code || strlen(code) >= sizeof(dispositions[0].code)) {
            err = err_set(WASL_EINVAL, "data.invalid", "%s: disposition %zu has no code (or one over 31 bytes)", path, i + 1);
            goto out;
        }
        snprintf(dispositions[i].code, sizeof(dispositions[0].code), "%s", code);
        dispositions[i].opens_case = json_is_true(json_object_get(d, "opens_case"));
        for (int l = 0; l < wasl_nlanguages; l++) {
            /* A language added since the file was translated shows the
             * fallback's name, and the log says which are missing. */
            int f = language_fallback();
            const char *name = json_string_value(json_object_get(json_object_get(d, "names"), wasl_languages[l]));
            if (!name && l != f) {
                name = json_string_value(json_object_get(json_object_get(d, "names"), wasl_languages[f]));
                if (!untranslated[l]++)
                    first[l] = dispositions[i].code;
            }
            if (!name || strlen(name) >= sizeof(dispositions[0].name[0])) {
                err = err_set(WASL_EINVAL, "data.invalid", "%s: %s has no name in %s (or one over 63 bytes)", path, code,
                              wasl_languages[name ? l : f]);
                goto out;
            }
            snprintf(dispositions[i].name[l], sizeof(dispositions[0].name[0]), "%s", name);
        }
        ndispositions++;
    }
    for (int l = 0; !err && l < wasl_nlanguages; l++)
        if (untranslated[l])
            log_warn("cases: %s: %d of %d dispositions have no name in %s (%s first); agents see them in %s", path, untranslated[l],
                     ndispositions, wasl_languages[l], first[l], wasl_languages[language_fallback()]);
out:
    json_decref(root);
    return err;
}

int call_disposition_count(void)
{
    return ndispositions;
}

const char *call_disposition(int i, const char *lang, const char **name, bool *opens_case)
{
    int l = language_index(lang);
    if (i < 0 || i >= ndispositions)
        return NULL;
    if (name)
        *name = dispositions[i].name[l >= 0 ? l : language_fallback()];
    if (opens_case)
        *opens_case = dispositions[i].opens_case;
    return dispositions[i].code;
}

static bool disposition_known(const char *code)
{
    for (int i = 0; code && i < ndispositions; i++)
        if (!strcmp(dispositions[i].code, code))
            return true;
    return false;
}

/* A call id as the telephony writes it: printable ASCII, no spaces or '/'. */
static bool call_id_valid(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (!n || n > CALL_ID_MAX)
        return false;
    for (const char *p = id; *p; p++)
        if (*p <= ' ' || *p > '~' || *p == '/')
            return false;
    return true;
}

/* ---- saving ---- */

struct save {
    const struct actor *who;
    const struct call_note_input *in;
    const char *phone_idx;
    char ref[CASE_REF_LEN + 1];
    bool changed; /* an earlier record of the call was replaced */
};

static int save_h(struct db_conn *c, void *arg)
{
    struct save *sv = arg;
    const struct call_note_input *in = sv->in;
    int64_t now = clock_now(), owner = 0;
    unsigned char *b = NULL;
    size_t n = 0;
    char object[CALL_ID_MAX + 8], detail[128];
    int err;

    if (sv->ref[0]) {
        struct case_rec r;
        if ((err = case_read_conn(c, sv->ref, &r)))
            return err == WASL_ENOENT ? err_set_field(err, "cases.not_found", "reference", "no case %s", sv->ref) : err;
        bool ok = case_in_scope(sv->who, &r);
        case_rec_clear(&r);
        if (!ok)
            return err_set_field(WASL_ENOENT, "cases.not_found", "reference", "no case %s", sv->ref);
    }
    err = db_query_int(c, &owner, "SELECT agent_user FROM call_dispositions WHERE call_id = ?", DBP(DB_S(in->call_id)));
    if (err && err != WASL_ENOENT)
        return err;
    bool exists = !err;
    sv->changed = exists;
    err_clear();
    /* An agent's record of their call is theirs; a supervisor may correct it. */
    if (exists && owner != sv->who->user_id && sv->who->role != ROLE_SUPERVISOR && sv->who->role != ROLE_ADMIN)
        return err_set(WASL_ECONFLICT, "calls.not_yours", "another agent recorded this call");
    if ((err = seal(in->note && *in->note ? in->note : NULL, &b, &n)))
        return err;
    const char *articles = in->articles ? in->articles : "[]";
    if (exists)
        err = db_exec(c,
                      "UPDATE call_dispositions SET disposition = ?, note_enc = ?, articles = ?, case_reference = ?, "
                      "phone_index = COALESCE(?, phone_index), language = COALESCE(?, language), updated_at = ? WHERE call_id = ?",
                      DBP(DB_S(in->disposition), b ? DB_B(b, n) : DB_NULL, DB_S(articles), DB_S(sv->ref[0] ? sv->ref : NULL),
                          DB_S(sv->phone_idx[0] ? sv->phone_idx : NULL), DB_S(in->language && *in->language ? in->language : NULL),
                          DB_I(now), DB_S(in->call_id)));
    else
        err = db_exec(c,
                      "INSERT INTO call_dispositions (call_id, agent_user, disposition, note_enc, articles, case_reference, "
                      "phone_index, language, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      DBP(DB_S(in->call_id), DB_I(sv->who->user_id), DB_S(in->disposition), b ? DB_B(b, n) : DB_NULL,
                          DB_S(articles), DB_S(sv->ref[0] ? sv->ref : NULL), DB_S(sv->phone_idx[0] ? sv->phone_idx : NULL),
                          DB_S(in->language && *in->language ? in->language : NULL), DB_I(now), DB_I(now)));
    free(b);
    if (err)
        return err;
    snprintf(object, sizeof(object), "call:%s", in->call_id);
    snprintf(detail, sizeof(detail), "{\"disposition\":\"%s\"%s%s%s}", in->disposition, sv->ref[0] ? ",\"case\":\"" : "",
             sv->ref[0] ? sv->ref : "", sv->ref[0] ? "\"" : "");
    return audit_append(c, sv->who, exists ? "call.disposition_changed" : "call.disposition", object, detail);
}

int call_note_save(struct db *db, const struct actor *who, const struct call_note_input *in)
{
    char phone_idx[65] = "";
    struct save sv = {who, in, phone_idx, "", false};
    int err;

    if (!who || !who->user_id)
        return err_set(WASL_EPERM, "auth.forbidden", "a call is recorded by a logged-in user");
    if (!call_id_valid(in->call_id))
        return err_set_field(WASL_EINVAL, "calls.invalid_call_id", "call_id", "a call id is 1 to %d printable characters",
                             CALL_ID_MAX);
    if (!disposition_known(in->disposition))
        return err_set_field(WASL_EINVAL, "calls.invalid_disposition", "disposition",
                             "unknown disposition (GET /api/v1/desk/dispositions)");
    if (in->language && *in->language && !language_valid(in->language))
        return err_set_field(WASL_EINVAL, "calls.invalid_field", "language", "language must be one of %s", languages_list());
    if ((err = case_check_text(in->note, "note", NOTE_MAX, false, false)) || (err = case_articles_check(in->articles)))
        return err;
    if (in->reference && *in->reference && (err = case_ref_parse(in->reference, sv.ref)))
        return err;
    if (in->phone && *in->phone && !case_phone_index(in->phone, in->country, phone_idx))
        return err_set_field(WASL_EINVAL, "calls.invalid_field", "phone",
                             "give the caller's number with its country code (+33...), or their country");
    if ((err = db_tx(db, save_h, &sv)))
        return err;
    /* The event log gets the outcome of a telephony call (its number): the
     * call's life ends with what the agent made of it. Other ids (a call
     * taken outside wasl's telephony) stay in call_dispositions only. */
    char *end;
    long long call = strtoll(in->call_id, &end, 10);
    if (!*end && call > 0)
        events_add(EV_CALL_DISPOSITION, call, who->user_id, NULL, in->disposition, NULL, NULL, sv.ref[0] != '\0', sv.changed);
    return 0;
}

/* ---- reading ---- */

#define NOTE_COLUMNS "call_id, agent_user, disposition, note_enc, articles, case_reference, language, created_at, updated_at"

static int note_from_row(struct db_stmt *s, struct call_note *n)
{
    const char *t;
    size_t len;
    memset(n, 0, sizeof(*n));
    snprintf(n->call_id, sizeof(n->call_id), "%s", db_text(s, 0));
    n->agent_user = db_int(s, 1);
    snprintf(n->disposition, sizeof(n->disposition), "%s", db_text(s, 2));
    const void *b = db_blob(s, 3, &len);
    int err = unseal(b, len, &n->note);
    n->articles = strdup(db_text(s, 4));
    snprintf(n->reference, sizeof(n->reference), "%s", (t = db_text(s, 5)) ? t : "");
    snprintf(n->language, sizeof(n->language), "%s", (t = db_text(s, 6)) ? t : "");
    n->created_at = db_int(s, 7);
    n->updated_at = db_int(s, 8);
    if (!err && !n->articles)
        err = WASL_ENOMEM;
    if (err)
        call_note_clear(n);
    return err;
}

void call_note_clear(struct call_note *n)
{
    free(n->note);
    free(n->articles);
    memset(n, 0, sizeof(*n));
}

struct one {
    struct call_note *out;
    bool found;
};

static int one_row(struct db_stmt *s, void *arg)
{
    struct one *o = arg;
    o->found = true;
    return note_from_row(s, o->out);
}

int call_note_get(struct db *db, const struct actor *who, const char *call_id, struct call_note *out)
{
    struct one o = {out, false};
    char object[CALL_ID_MAX + 8];
    int err;

    memset(out, 0, sizeof(*out));
    if (!call_id_valid(call_id))
        return err_set_field(WASL_EINVAL, "calls.invalid_call_id", "call_id", "a call id is 1 to %d printable characters",
                             CALL_ID_MAX);
    if ((err = db_each(db, "SELECT " NOTE_COLUMNS " FROM call_dispositions WHERE call_id = ?", DBP(DB_S(call_id)), one_row, &o)))
        return err;
    if (!o.found)
        return err_set(WASL_ENOENT, "calls.not_found", "nothing was recorded for this call");
    snprintf(object, sizeof(object), "call:%s", call_id);
    if ((err = audit_append_db(db, who, "call.view", object, NULL)))
        call_note_clear(out);
    return err;
}

struct each {
    call_note_h h;
    void *arg;
    int n, max;
    bool strict;
};

static int each_row(struct db_stmt *s, void *arg)
{
    struct each *e = arg;
    struct call_note n;
    if (++e->n > e->max)
        return e->strict ? err_set(WASL_ELIMIT, "privacy.too_many_calls", "more than %d calls match: narrow the request", e->max)
                         : 0;
    int err = note_from_row(s, &n);
    if (!err)
        err = e->h(&n, e->arg);
    call_note_clear(&n);
    return err;
}

int call_notes_by_index(struct db *db, const char *phone_idx, int max, bool strict, call_note_h h, void *arg)
{
    struct each e = {h, arg, 0, max, strict};
    return db_each(db,
                   "SELECT " NOTE_COLUMNS " FROM call_dispositions WHERE phone_index = ? ORDER BY created_at DESC, id DESC LIMIT ?",
                   DBP(DB_S(phone_idx), DB_I(max + 1)), each_row, &e);
}

int caller_lookup(struct db *db, const struct actor *who, const char *phone, const char *country, case_h cases, call_note_h calls,
                  void *arg)
{
    char idx[65];
    struct case_filter f = {.phone = phone, .phone_country = country, .sort = "updated", .limit = CALLER_CASES_MAX};
    int err;

    if (!phone || !*phone || !case_phone_index(phone, country, idx))
        return err_set_field(WASL_EINVAL, "cases.invalid_parameter", "phone",
                             "give the caller's number with its country code (+33...), or their country");
    /* The case list audits the look-up by number ("case.lookup"). */
    if ((err = case_list(db, who, &f, cases, arg, NULL)))
        return err;
    /* The screen pop shows the latest calls; the rest stay in the store. */
    return call_notes_by_index(db, idx, CALLER_CASES_MAX, false, calls, arg);
}

/* ---- the agent's own figures for the day ---- */

static int day_row(struct db_stmt *s, void *arg)
{
    struct call_day *d = arg;
    if (d->ncodes == DISPOSITIONS_MAX)
        return err_set(WASL_ELIMIT, "calls.too_many_codes", "more than %d disposition codes in a day", DISPOSITIONS_MAX);
    snprintf(d->codes[d->ncodes].code, sizeof(d->codes[0].code), "%s", db_text(s, 0));
    d->codes[d->ncodes].n = db_int(s, 1);
    d->calls += d->codes[d->ncodes].n;
    d->ncodes++;
    return 0;
}

static int opened_row(struct db_stmt *s, void *arg)
{
    ((struct call_day *)arg)->cases_opened = db_int(s, 0);
    return 0;
}

/* Walks the agent's states in order: each state's time goes to its bucket
 * when the next one begins (or at the end of the walk, until now). */
struct day_walk {
    struct call_day *d;
    char state[16];
    bool pause; /* paused with a reason the agent chose (not the moment of logging in) */
    int64_t from;
};

static void day_close(struct day_walk *w, int64_t until)
{
    int64_t us = until > w->from ? until - w->from : 0;
    if (!strcmp(w->state, "busy"))
        w->d->talk_us += us;
    else if (!strcmp(w->state, "wrap_up"))
        w->d->wrap_up_us += us;
    else if (w->pause)
        w->d->pause_us += us;
}

static int day_state_row(struct db_stmt *s, void *arg)
{
    struct day_walk *w = arg;
    int64_t at = db_int(s, 0);
    const char *kind = db_text(s, 1);
    if (kind && !strcmp(kind, "call.answered")) {
        w->d->answered++;
        return 0;
    }
    json_t *j = json_loads(db_text(s, 2) ? db_text(s, 2) : "{}", 0, NULL);
    const char *state = json_string_value(json_object_get(j, "state"));
    const char *reason = json_string_value(json_object_get(j, "reason"));
    if (state) {
        if (at < w->d->since) /* the state at midnight */
            at = w->d->since;
        else
            day_close(w, at);
        /* logging in passes through a pause ("logged_in") nobody chose */
        bool pause = !strcmp(state, "paused") && !(reason && !strcmp(reason, "logged_in"));
        if (pause && !w->pause)
            w->d->pauses++;
        snprintf(w->state, sizeof(w->state), "%s", state);
        w->pause = pause;
        w->from = at;
    }
    json_decref(j);
    return 0;
}

int call_day_figures(struct db *db, const struct actor *who, int64_t now, struct call_day *out)
{
    struct day_walk w = {out, "offline", false, 0};
    const struct tz *z;
    struct tz_local l;
    int err;

    memset(out, 0, sizeof(*out));
    if (!who || !who->user_id || !who->login)
        return err_set(WASL_EPERM, "auth.forbidden", "one's own figures need a logged-in user");
    /* The center's day, from midnight in Casablanca. */
    if ((err = tz_get("Africa/Casablanca", &z)) || (err = tz_to_local(z, now / WTIME_SEC, &l)) ||
        (err = tz_from_local(z, l.year, l.month, l.day, 0, 0, 0, &out->since)))
        return err;
    out->since *= WTIME_SEC;
    if ((err = db_each(db,
                       "SELECT disposition, COUNT(*) FROM call_dispositions WHERE agent_user = ? AND created_at >= ? "
                       "GROUP BY disposition ORDER BY COUNT(*) DESC, disposition",
                       DBP(DB_I(who->user_id), DB_I(out->since)), day_row, out)))
        return err;
    if ((err = db_each(db, "SELECT COUNT(*) FROM cases WHERE created_by = ? AND created_at >= ?",
                       DBP(DB_S(who->login), DB_I(out->since)), opened_row, out)))
        return err;
    /* The agent's state at midnight (their last change before it), then the
     * day's changes and answers in the log's order. */
    w.from = out->since;
    if ((err = db_each(db,
                       "SELECT at, kind, data FROM events WHERE agent = ? AND kind = 'agent.state' AND at >= ? AND at < ? "
                       "ORDER BY at DESC, id DESC LIMIT 1",
                       DBP(DB_I(who->user_id), DB_I(out->since - DAY_STATE_LOOKBACK_US), DB_I(out->since)), day_state_row, &w)) ||
        (err = db_each(db,
                       "SELECT at, kind, data FROM events WHERE agent = ? AND at >= ? AND at <= ? "
                       "AND kind IN ('agent.state', 'call.answered') ORDER BY id",
                       DBP(DB_I(who->user_id), DB_I(out->since), DB_I(now)), day_state_row, &w)))
        return err;
    day_close(&w, now);
    return 0;
}
