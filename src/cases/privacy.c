/*
 * Personal data over time (Morocco's law 09-08, the GDPR): a subject-access
 * export of everything held about a phone number or an e-mail address, the
 * erasure of it, the daily purge of cases past their retention period (each
 * leaves one anonymous statistics row), and re-encryption under a new key.
 * All of it audited.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "cases_int.h"
#include "guide/guide.h"

static int index_for(const char *phone, const char *email, char kind[8], char idx[65])
{
    if (phone && *phone) {
        char norm[32];
        if (!phone_normalize(phone, NULL, norm, sizeof(norm)))
            return err_set_field(WASL_EINVAL, "cases.invalid_parameter", "phone", "give the number with its country code (+33...)");
        snprintf(kind, 8, "phone");
        blind_index("phone", norm, idx);
        return 0;
    }
    if (email && *email) {
        const char *at = strchr(email, '@');
        if (!at || at == email || !strchr(at, '.') || strchr(email, ' ') || strlen(email) > 254)
            return err_set_field(WASL_EINVAL, "cases.invalid_parameter", "email", "this is not an e-mail address");
        char lower[256];
        size_t k = 0;
        for (const char *p = email; *p && k < sizeof(lower) - 1; p++)
            lower[k++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        lower[k] = '\0';
        snprintf(kind, 8, "email");
        blind_index("email", lower, idx);
        return 0;
    }
    return err_set(WASL_EINVAL, "cases.invalid_parameter", "give a phone number or an e-mail address");
}

static json_t *citizen_json(const struct citizen *c)
{
    return json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?}", "name", c->name, "phone", c->phone, "email", c->email, "id_number",
                     c->id_number, "passport", c->passport);
}

static int add_event(const struct case_event *e, void *arg)
{
    char at[40];
    json_t *d = json_loads(e->detail ? e->detail : "{}", 0, NULL);
    clock_format_utc(e->at, at, sizeof(at));
    return json_array_append_new(arg, json_pack("{s:s, s:s, s:s, s:b, s:s?, s:o}", "at", at, "actor", e->actor, "kind", e->kind,
                                                "public", e->public_note, "text", e->body, "detail", d ? d : json_object()))
               ? WASL_ENOMEM
               : 0;
}

struct refs {
    char (*refs)[CASE_REF_LEN + 1];
    int max, n;
};

static int ref_row(struct db_stmt *s, void *arg)
{
    struct refs *r = arg;
    if (r->n == r->max)
        return err_set(WASL_ELIMIT, "privacy.too_many_cases", "more than %d cases match: narrow the request", r->max);
    snprintf(r->refs[r->n++], CASE_REF_LEN + 1, "%s", db_text(s, 0));
    return 0;
}

/* References of the cases whose blind index matches; more than max is
 * WASL_ELIMIT, never a silently shorter answer. */
static int matching(struct db *db, const char *kind, const char *idx, char (*refs)[CASE_REF_LEN + 1], int max, int *n)
{
    struct refs r = {refs, max, 0};
    int err = db_each(db,
                      !strcmp(kind, "phone") ? "SELECT reference FROM cases WHERE phone_index = ? ORDER BY id"
                                             : "SELECT reference FROM cases WHERE email_index = ? ORDER BY id",
                      DBP(DB_S(idx)), ref_row, &r);
    *n = err ? 0 : r.n;
    return err;
}

#define SUBJECT_CASES_MAX 1000

static const struct personal_store *stores[PERSONAL_STORES_MAX];
static int nstores;

int personal_store_add(const struct personal_store *st)
{
    for (int i = 0; i < nstores; i++)
        if (stores[i] == st)
            return 0;
    if (nstores == PERSONAL_STORES_MAX)
        return err_set(WASL_ELIMIT, "privacy.too_many_stores", "more than %d modules keep personal data", PERSONAL_STORES_MAX);
    stores[nstores++] = st;
    return 0;
}

/* The callback requests left on the phone from this number. */
static int callbacks_of(struct db *db, const char *idx, json_t *out)
{
    struct db_conn *c;
    struct db_stmt *s = NULL;
    int err = db_conn_get(db, &c);
    if (err)
        return err;
    err = db_query(c, &s,
                   "SELECT created_at, country, did, language, status, phone_enc FROM callbacks WHERE phone_index = ? ORDER BY id",
                   DBP(DB_S(idx)));
    while (!err && db_next(s)) {
        char t[40], *phone = NULL;
        size_t n;
        const void *b = db_blob(s, 5, &n);
        clock_format_utc(db_int(s, 0), t, sizeof(t));
        if ((err = unseal(b, n, &phone)))
            break;
        json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?}", "created_at", t, "country", db_text(s, 1),
                                             "number_called", db_text(s, 2), "language", db_text(s, 3), "status", db_text(s, 4),
                                             "phone", phone));
        free(phone);
    }
    int err2 = db_end(s);
    db_conn_put(c);
    return err ? err : err2;
}

/* What agents recorded about this number's calls. */
static int call_note_h_export(const struct call_note *n, void *arg)
{
    char t[40];
    json_t *arts = json_loads(n->articles ? n->articles : "[]", 0, NULL);
    clock_format_utc(n->created_at, t, sizeof(t));
    return json_array_append_new(arg,
                                 json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:o}", "call_id", n->call_id, "recorded_at", t,
                                           "disposition", n->disposition, "note", n->note, "case",
                                           n->reference[0] ? n->reference : NULL, "guide_articles", arts ? arts : json_array()))
               ? WASL_ENOMEM
               : 0;
}

int privacy_export(struct db *db, const struct actor *who, const char *phone, const char *email, char **json)
{
    char kind[8], idx[65], (*refs)[CASE_REF_LEN + 1] = malloc(sizeof(*refs) * SUBJECT_CASES_MAX);
    json_t *list = json_array(), *out = NULL;
    int n = 0, err;

    if (!refs || !list) {
        err = WASL_ENOMEM;
        goto out;
    }
    if ((err = index_for(phone, email, kind, idx)) || (err = matching(db, kind, idx, refs, SUBJECT_CASES_MAX, &n)))
        goto out;
    for (int i = 0; i < n && !err; i++) {
        struct case_rec r;
        char t[40], due[40];
        json_t *events = json_array(), *fields = json_object();
        if ((err = case_read(db, refs[i], &r)))
            break;
        err = case_events(db, r.id, false, add_event, events);
        for (int k = 0; k < r.nfields; k++)
            json_object_set_new(fields, r.fields[k].name, json_string(r.fields[k].value));
        clock_format_utc(r.created_at, t, sizeof(t));
        if (r.resolution_due)
            clock_format_utc(r.resolution_due, due, sizeof(due));
        else
            due[0] = '\0';
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:s?, s:s, s:s?, s:o, s:o, s:s, s:s?, s:o, "
                                              "s:o, s:s?}",
                                              "reference", r.reference, "type", r.type, "category", r.category, "status", r.status,
                                              "channel", r.channel, "language", r.language, "country",
                                              r.country[0] ? r.country : NULL, "consulate", r.consulate[0] ? r.consulate : NULL,
                                              "subject", r.subject, "description", r.description, "citizen",
                                              citizen_json(&r.citizen), "fields", fields, "created_at", t, "resolution_due",
                                              due[0] ? due : NULL, "rating", r.rating ? json_integer(r.rating) : json_null(),
                                              "events", events, "rating_comment", r.rating_comment));
        case_rec_clear(&r);
    }
    if (err)
        goto out;
    json_t *cbs = json_array(), *calls = json_array();
    if (!strcmp(kind, "phone") && ((err = callbacks_of(db, idx, cbs)) ||
                                   (err = call_notes_by_index(db, idx, SUBJECT_CASES_MAX, true, call_note_h_export, calls)))) {
        json_decref(cbs);
        json_decref(calls);
        goto out;
    }
    char generated[40];
    clock_format_utc(clock_now(), generated, sizeof(generated));
    out = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o}", "generated_at", generated, "about", kind, "controller",
                    "Ministry of Foreign Affairs: consular contact center (wasl)", "cases", list, "callback_requests", cbs,
                    "calls_recorded", calls);
    list = NULL;
    /* what the other modules keep about the number */
    for (int i = 0; out && !strcmp(kind, "phone") && i < nstores; i++) {
        json_t *held = json_array();
        if (!held || json_object_set_new(out, stores[i]->name, held)) {
            err = WASL_ENOMEM;
            goto out;
        }
        if ((err = stores[i]->export_h(db, idx, held)))
            goto out;
    }
    *json = out ? json_dumps(out, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
    if (!*json) {
        err = WASL_ENOMEM;
        goto out;
    }
    char detail[64];
    snprintf(detail, sizeof(detail), "{\"cases\":%d}", n);
    err = audit_append_db(db, who, "privacy.export", kind, detail);
out:
    json_decref(list);
    json_decref(out);
    free(refs);
    return err;
}

/* Replaces a case by one anonymous statistics row and removes everything
 * else about it (events, mail). */
static int anonymize(struct db_conn *c, int64_t id)
{
    struct db_stmt *s = NULL;
    int err = db_query(c, &s,
                       "SELECT created_at, type, category, channel, language, country, consulate, status, first_response_at, "
                       "resolved_at, breached_at, rating FROM cases WHERE id = ?",
                       DBP(DB_I(id)));
    if (err)
        return err;
    if (db_next(s)) {
        char day[16];
        int64_t created = db_int(s, 0), first = db_int(s, 8), resolved = db_int(s, 9);
        int y, m, d;
        civil_from_days(created / WTIME_SEC / 86400, &y, &m, &d);
        snprintf(day, sizeof(day), "%04d-%02d-%02d", y, m, d);
        err = db_exec(c,
                      "INSERT INTO case_stats (day, type, category, channel, language, country, consulate, final_status, "
                      "first_response_seconds, resolution_seconds, breached, rating) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      DBP(DB_S(day), DB_S(db_text(s, 1)), DB_S(db_text(s, 2)), DB_S(db_text(s, 3)), DB_S(db_text(s, 4)),
                          DB_S(db_text(s, 5)), DB_S(db_text(s, 6)), DB_S(db_text(s, 7)),
                          first ? DB_I((first - created) / WTIME_SEC) : DB_NULL,
                          resolved ? DB_I((resolved - created) / WTIME_SEC) : DB_NULL, DB_I(db_int(s, 10) != 0),
                          db_is_null(s, 11) ? DB_NULL : DB_I(db_int(s, 11))));
    }
    int err2 = db_end(s);
    if (err || err2)
        return err ? err : err2;
    if ((err = db_exec(c, "UPDATE cases SET merged_into = NULL WHERE merged_into = ?", DBP(DB_I(id)))) ||
        (err = db_exec(c, "DELETE FROM case_events WHERE case_id = ?", DBP(DB_I(id)))) ||
        (err = db_exec(c, "DELETE FROM outbox WHERE case_id = ?", DBP(DB_I(id)))) ||
        (err = db_exec(c, "DELETE FROM case_requests WHERE case_id = ?", DBP(DB_I(id)))))
        return err;
    return db_exec(c, "DELETE FROM cases WHERE id = ?", DBP(DB_I(id)));
}

struct erase {
    const struct actor *who;
    const char *kind, *idx;
    int n;
};

static int erase_h(struct db_conn *c, void *arg)
{
    struct erase *e = arg;
    struct db_stmt *s = NULL;
    int64_t ids[SUBJECT_CASES_MAX];
    int n = 0, err;

    e->n = 0;
    err = db_query(c, &s,
                   !strcmp(e->kind, "phone") ? "SELECT id FROM cases WHERE phone_index = ?"
                                             : "SELECT id FROM cases WHERE email_index = ?",
                   DBP(DB_S(e->idx)));
    while (!err && db_next(s)) {
        if (n == SUBJECT_CASES_MAX) {
            err = err_set(WASL_ELIMIT, "privacy.too_many_cases", "more than %d cases match: narrow the request", n);
            break;
        }
        ids[n++] = db_int(s, 0);
    }
    int err2 = db_end(s);
    if (err || err2)
        return err ? err : err2;
    for (int i = 0; i < n && !err; i++)
        err = anonymize(c, ids[i]);
    if (err)
        return err;
    e->n = n;
    int64_t callbacks = 0, others = 0;
    if (!strcmp(e->kind, "phone")) {
        if ((err = db_exec(c, "DELETE FROM callbacks WHERE phone_index = ?", DBP(DB_S(e->idx)))))
            return err;
        callbacks = db_changes(c);
        /* The desk's records of their calls stay as statistics: code, no note, no number. */
        if ((err = db_exec(c, "UPDATE call_dispositions SET phone_index = NULL, note_enc = NULL WHERE phone_index = ?",
                           DBP(DB_S(e->idx)))))
            return err;
        for (int i = 0; i < nstores; i++) {
            int64_t k = 0;
            if ((err = stores[i]->erase_h(c, e->idx, &k)))
                return err;
            others += k;
        }
    }
    char detail[96];
    snprintf(detail, sizeof(detail), "{\"cases\":%d,\"callbacks\":%lld,\"other_records\":%lld}", n, (long long)callbacks,
             (long long)others);
    return audit_append(c, e->who, "privacy.erase", e->kind, detail);
}

int privacy_erase(struct db *db, const struct actor *who, const char *phone, const char *email, int *n)
{
    char kind[8], idx[65];
    int err;
    *n = 0;
    if ((err = index_for(phone, email, kind, idx)))
        return err;
    struct erase e = {who, kind, idx, 0};
    if ((err = db_tx(db, erase_h, &e)))
        return err;
    *n = e.n;
    return 0;
}

struct purge {
    int64_t now;
    int n;
    int64_t searches;
};

static int purge_h(struct db_conn *c, void *arg)
{
    struct purge *p = arg;
    struct db_stmt *s = NULL;
    int64_t ids[500], before = p->now - cases_cfg.retention_closed * WTIME_SEC;
    int n = 0, err;

    /* Closed (or resolved and left) longer than the retention period; a
     * batch at a time keeps each transaction short. */
    err = db_query(c, &s,
                   "SELECT id FROM cases WHERE (closed_at > 0 AND closed_at < ?) OR (status = 'resolved' AND resolved_at > 0 "
                   "AND resolved_at < ?) OR (status = 'merged' AND updated_at < ?) LIMIT 500",
                   DBP(DB_I(before), DB_I(before), DB_I(before)));
    while (!err && db_next(s) && n < 500)
        ids[n++] = db_int(s, 0);
    int err2 = err ? 0 : db_end(s);
    if (err || err2)
        return err ? err : err2;
    for (int i = 0; i < n && !err; i++)
        err = anonymize(c, ids[i]);
    if (err)
        return err;
    p->n = n;
    if ((err = guide_search_log_purge(c, p->now - cases_cfg.retention_search_log * WTIME_SEC, &p->searches)))
        return err;
    int64_t mail_before = p->now - cases_cfg.retention_mail * WTIME_SEC;
    if ((err = db_exec(c, "DELETE FROM outbox WHERE (status = 'sent' AND sent_at < ?) OR (status = 'failed' AND created_at < ?)",
                       DBP(DB_I(mail_before), DB_I(mail_before)))))
        return err;
    /* Callback requests hold a caller's number: kept while they can be acted on. */
    if ((err = db_exec(c, "DELETE FROM callbacks WHERE created_at < ?",
                       DBP(DB_I(p->now - cases_cfg.retention_callbacks * WTIME_SEC)))))
        return err;
    /* Counters of public requests name source addresses: kept only while useful. */
    int64_t addr_before = p->now - cases_cfg.retention_addresses * WTIME_SEC;
    return limit_sweep(c, p->now, addr_before);
}

int privacy_purge(struct db *db, int64_t now, int *n)
{
    struct purge p = {now, 0, 0};
    int total = 0, err;
    do {
        if ((err = db_tx(db, purge_h, &p)))
            return err;
        total += p.n;
    } while (p.n == 500);
    *n = total;
    if (total || p.searches) {
        char detail[96];
        struct actor sys = {.login = "system"};
        snprintf(detail, sizeof(detail), "{\"cases\":%d,\"searches\":%lld}", total, (long long)p.searches);
        return audit_append_db(db, &sys, "privacy.purge", "retention", detail);
    }
    return 0;
}

/* ---- key rotation ---- */

struct reseal {
    const char *table, *key, *cols[9];
    int ncols;
    int64_t after;
    int rows;
    int done;
};

static int reseal_h(struct db_conn *c, void *arg)
{
    struct reseal *r = arg;
    char sql[512];
    int64_t ids[200];
    int n = 0, err;
    struct db_stmt *s = NULL;

    snprintf(sql, sizeof(sql), "SELECT %s FROM %s WHERE %s > ? ORDER BY %s LIMIT 200", r->key, r->table, r->key, r->key);
    if ((err = db_query(c, &s, sql, DBP(DB_I(r->after)))))
        return err;
    while (db_next(s) && n < 200)
        ids[n++] = db_int(s, 0);
    if ((err = db_end(s)))
        return err;
    r->done = n < 200;
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < r->ncols; k++) {
            char *plain = NULL;
            unsigned char *b = NULL;
            size_t len;
            snprintf(sql, sizeof(sql), "SELECT %s FROM %s WHERE %s = ?", r->cols[k], r->table, r->key);
            if ((err = db_query(c, &s, sql, DBP(DB_I(ids[i])))))
                return err;
            if (db_next(s)) {
                const void *blob = db_blob(s, 0, &len);
                if (blob && len && sealed_key(blob, len) != keys_current())
                    err = unseal(blob, len, &plain);
            }
            int err2 = db_end(s);
            if (err || err2 || !plain) {
                free(plain);
                if (err || err2)
                    return err ? err : err2;
                continue;
            }
            err = seal(plain, &b, &len);
            free(plain);
            if (err)
                return err;
            snprintf(sql, sizeof(sql), "UPDATE %s SET %s = ? WHERE %s = ?", r->table, r->cols[k], r->key);
            err = db_exec(c, sql, DBP(DB_B(b, len), DB_I(ids[i])));
            free(b);
            if (err)
                return err;
            r->rows++;
        }
        r->after = ids[i];
    }
    return 0;
}

int privacy_rotate_key(struct db *db, const struct actor *who, int *rows)
{
    struct reseal tables[6 + PERSONAL_STORES_MAX] = {
        {"cases",
         "id",
         {"description_enc", "fields_enc", "name_enc", "phone_enc", "email_enc", "id_number_enc", "passport_enc",
          "rating_comment_enc", "subject_enc"},
         9,
         0,
         0,
         0},
        {"case_events", "id", {"body_enc"}, 1, 0, 0, 0},
        {"outbox", "id", {"to_enc", "body_enc"}, 2, 0, 0, 0},
        {"callbacks", "id", {"phone_enc"}, 1, 0, 0, 0},
        {"case_requests", "id", {"pin_enc"}, 1, 0, 0, 0},
        {"call_dispositions", "id", {"note_enc"}, 1, 0, 0, 0},
    };
    size_t ntables = 6;
    for (int i = 0; i < nstores; i++, ntables++) {
        tables[ntables].table = stores[i]->table;
        tables[ntables].key = stores[i]->key;
        for (int k = 0; k < stores[i]->nsealed && k < 4; k++)
            tables[ntables].cols[k] = stores[i]->sealed[k];
        tables[ntables].ncols = stores[i]->nsealed < 4 ? stores[i]->nsealed : 4;
    }
    int err;
    *rows = 0;
    if ((err = keys_add()))
        return err;
    for (size_t t = 0; t < ntables; t++) {
        do {
            if ((err = db_tx(db, reseal_h, &tables[t])))
                return err;
        } while (!tables[t].done);
        *rows += tables[t].rows;
    }
    char detail[64];
    snprintf(detail, sizeof(detail), "{\"key\":%d,\"fields\":%d}", keys_current(), *rows);
    return audit_append_db(db, who, "privacy.rotate_key", "keys", detail);
}
