/*
 * Articles and versions in the store: creating articles, adding versions,
 * the draft -> review -> published workflow with approval by someone else,
 * and reading the text in force on a day, with language fallback, stale
 * translations and notices of coming changes. Every write is audited in the
 * same transaction.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "guide_int.h"

#define VERSION_COLUMNS                                                                                                            \
    "v.id, a.slug, v.lang, v.version, v.status, v.title, v.summary, v.body, v.documents, v.fees, v.processing_time, "              \
    "v.where_to_apply, v.source, v.checked_on, v.confidence, v.translates, v.author, v.reason, v.effective_on, "                   \
    "v.effective_at, v.created_at, v.reviewer, v.reviewed_at, v.review_note"

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

static int version_from_row(struct db_stmt *s, struct guide_version *v)
{
    memset(v, 0, sizeof(*v));
    v->id = db_int(s, 0);
    snprintf(v->slug, sizeof(v->slug), "%s", db_text(s, 1));
    snprintf(v->lang, sizeof(v->lang), "%s", db_text(s, 2));
    v->version = (int)db_int(s, 3);
    snprintf(v->status, sizeof(v->status), "%s", db_text(s, 4));
    v->title = dup_or_empty(db_text(s, 5));
    v->summary = dup_or_empty(db_text(s, 6));
    v->body = dup_or_empty(db_text(s, 7));
    v->processing_time = dup_or_empty(db_text(s, 10));
    v->where_to_apply = dup_or_empty(db_text(s, 11));
    v->source = dup_or_empty(db_text(s, 12));
    snprintf(v->checked_on, sizeof(v->checked_on), "%s", db_text(s, 13));
    snprintf(v->confidence, sizeof(v->confidence), "%s", db_text(s, 14));
    v->translates = (int)db_int(s, 15);
    v->author = dup_or_empty(db_text(s, 16));
    v->reason = dup_or_empty(db_text(s, 17));
    snprintf(v->effective_on, sizeof(v->effective_on), "%s", db_text(s, 18));
    v->effective_at = db_int(s, 19);
    v->created_at = db_int(s, 20);
    v->reviewer = dup_or_empty(db_text(s, 21));
    v->reviewed_at = db_int(s, 22);
    v->review_note = dup_or_empty(db_text(s, 23));
    if (guide_documents_from_json(db_text(s, 8), v) || guide_fees_from_json(db_text(s, 9), v))
        return err_last();
    if (!v->title || !v->summary || !v->body || !v->processing_time || !v->where_to_apply || !v->source || !v->author ||
        !v->reason || !v->reviewer || !v->review_note)
        return WASL_ENOMEM;
    return 0;
}

static int slug_check(const char *slug)
{
    size_t n = slug ? strlen(slug) : 0;
    if (n < 2 || n > 79)
        return err_set_field(WASL_EINVAL, "guide.invalid_slug", "slug", "the slug must be 2 to 79 characters long");
    for (const char *p = slug; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
            return err_set_field(WASL_EINVAL, "guide.invalid_slug", "slug", "the slug may hold only a-z, 0-9 and '-'");
    return 0;
}

static int article_from_conn(struct db_conn *c, const char *slug, struct guide_article *out)
{
    struct db_stmt *s = NULL;
    bool found = false;
    int err = db_query(c, &s, "SELECT id, slug, category, audience, source_language, keywords FROM guide_articles WHERE slug = ?",
                       DBP(DB_S(slug)));
    if (err)
        return err;
    if (db_next(s)) {
        found = true;
        memset(out, 0, sizeof(*out));
        out->id = db_int(s, 0);
        snprintf(out->slug, sizeof(out->slug), "%s", db_text(s, 1));
        snprintf(out->category, sizeof(out->category), "%s", db_text(s, 2));
        snprintf(out->audience, sizeof(out->audience), "%s", db_text(s, 3));
        snprintf(out->source_language, sizeof(out->source_language), "%s", db_text(s, 4));
        out->keywords = strdup(db_text(s, 5));
    }
    if ((err = db_end(s)))
        return err;
    if (!found)
        return err_set(WASL_ENOENT, "guide.article_not_found", "no article '%.80s' in the guide", slug);
    return out->keywords ? 0 : WASL_ENOMEM;
}

int guide_article_get(struct db *db, const char *slug, struct guide_article *out)
{
    struct db_conn *c;
    int err = db_conn_get(db, &c);
    if (err)
        return err;
    err = article_from_conn(c, slug, out);
    db_conn_put(c);
    return err;
}

/* Inside the transaction of every change to what searches see: this node
 * and the others (through the "guide" change counter) rebuild their index. */
int guide_generation_bump(struct db_conn *c)
{
    int err = db_exec(c, "UPDATE guide_state SET generation = generation + 1 WHERE id = 1", NULL, 0);
    return err ? err : db_change_bump(c, "guide");
}

static int audit_version(struct db_conn *c, const struct actor *who, const char *action, const char *slug, const char *lang,
                         int version, const char *extra_key, const char *extra)
{
    char object[128];
    json_t *d = json_object();
    char *detail;
    int err;

    snprintf(object, sizeof(object), "guide:%s:%s:v%d", slug, lang, version);
    if (extra_key && extra)
        json_object_set_new(d, extra_key, json_string(extra));
    detail = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(d);
    err = audit_append(c, who, action, object, detail);
    free(detail);
    return err;
}

/* The source-language version in force today, 0 when none is published. */
static int source_in_force(struct db_conn *c, const struct guide_article *a, const char *day, int *version)
{
    int64_t v = 0;
    int err = db_query_int(c, &v,
                           "SELECT version FROM guide_versions WHERE article_id = ? AND lang = ? AND status = 'published' "
                           "AND effective_on <= ? ORDER BY effective_on DESC, version DESC LIMIT 1",
                           DBP(DB_I(a->id), DB_S(a->source_language), DB_S(day)));
    if (err == WASL_ENOENT) {
        err_clear();
        err = 0;
        v = 0;
    }
    *version = (int)v;
    return err;
}

static int insert_version(struct db_conn *c, const struct actor *who, const struct guide_article *a, struct guide_version *v,
                          const char *reason, int64_t *id)
{
    char *docs = guide_documents_json(v), *fees = guide_fees_json(v);
    int64_t next = 0;
    int err;

    if (!docs || !fees) {
        err = WASL_ENOMEM;
        goto out;
    }
    if ((err = db_query_int(c, &next, "SELECT COALESCE(MAX(version), 0) + 1 FROM guide_versions WHERE article_id = ? AND lang = ?",
                            DBP(DB_I(a->id), DB_S(v->lang)))))
        goto out;
    v->version = (int)next;
    snprintf(v->status, sizeof(v->status), "draft");
    err = db_query_int(c, id,
                       "INSERT INTO guide_versions (article_id, lang, version, status, title, summary, body, documents, fees, "
                       "processing_time, where_to_apply, source, checked_on, confidence, translates, author, reason, "
                       "created_at) VALUES (?, ?, ?, 'draft', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                       DBP(DB_I(a->id), DB_S(v->lang), DB_I(v->version), DB_S(v->title), DB_S(v->summary), DB_S(v->body),
                           DB_S(docs), DB_S(fees), DB_S(v->processing_time ? v->processing_time : ""),
                           DB_S(v->where_to_apply ? v->where_to_apply : ""), DB_S(v->source ? v->source : ""), DB_S(v->checked_on),
                           DB_S(v->confidence[0] ? v->confidence : "U"), DB_I(v->translates),
                           DB_S(who && who->login ? who->login : "system"), DB_S(reason), DB_I(clock_now())));
    if (err)
        goto out;
    v->id = *id;
    err = audit_version(c, who, "guide.version_add", a->slug, v->lang, v->version, "reason", reason);
out:
    free(docs);
    free(fees);
    return err;
}

static int check_reason(const char *reason)
{
    size_t n = reason ? strlen(reason) : 0;
    if (n == 0 || n > 500 || !utf8_valid(reason, n))
        return err_set_field(WASL_EINVAL, "guide.reason_required", "reason", "say in at most 500 bytes why the text changes");
    return 0;
}

/* Fills translates for a translation: the source version it follows. */
static int set_translates(struct db_conn *c, const struct guide_article *a, struct guide_version *v)
{
    char today[12];
    int in_force, err;
    int64_t exists = 0;

    if (!strcmp(v->lang, a->source_language)) {
        v->translates = 0;
        return 0;
    }
    guide_today(today);
    if (v->translates > 0) {
        if ((err = db_query_int(c, &exists, "SELECT COUNT(*) FROM guide_versions WHERE article_id = ? AND lang = ? AND version = ?",
                                DBP(DB_I(a->id), DB_S(a->source_language), DB_I(v->translates)))))
            return err;
        if (!exists)
            return err_set_field(WASL_EINVAL, "guide.invalid_field", "translates", "there is no %s version %d to translate",
                                 a->source_language, v->translates);
        return 0;
    }
    if ((err = source_in_force(c, a, today, &in_force)))
        return err;
    if (!in_force)
        return err_set_field(WASL_ECONFLICT, "guide.no_source", "translates",
                             "publish the %s text first; a translation follows a published source version", a->source_language);
    v->translates = in_force;
    return 0;
}

struct create {
    const struct actor *who;
    const struct guide_article *a;
    struct guide_version *v;
    int64_t id;
};

static int create_h(struct db_conn *c, void *arg)
{
    struct create *cr = arg;
    struct guide_article a = *cr->a;
    int err = db_query_int(
        c, &a.id,
        "INSERT INTO guide_articles (slug, category, audience, source_language, keywords, created_at, created_by) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        DBP(DB_S(a.slug), DB_S(a.category), DB_S(a.audience), DB_S(a.source_language), DB_S(a.keywords ? a.keywords : "{}"),
            DB_I(clock_now()), DB_S(cr->who && cr->who->login ? cr->who->login : "system")));
    if (err)
        return err == WASL_ECONFLICT ? err_set_field(err, "guide.slug_taken", "slug", "the slug '%s' is taken", a.slug) : err;
    snprintf(cr->v->lang, sizeof(cr->v->lang), "%s", a.source_language);
    cr->v->translates = 0;
    if ((err = guide_links_check(c, a.slug, cr->v->body)))
        return err;
    return insert_version(c, cr->who, &a, cr->v, "created", &cr->id);
}

static int check_keywords(const char *kw)
{
    json_t *j;
    const char *lang;
    json_t *list;

    if (!kw)
        return 0;
    j = json_loads(kw, 0, NULL);
    if (!json_is_object(j)) {
        json_decref(j);
        return err_set_field(WASL_EINVAL, "guide.invalid_field", "keywords", "keywords must be an object {lang: [terms]}");
    }
    json_object_foreach(j, lang, list)
    {
        size_t i;
        json_t *t;
        if (!language_valid(lang) || !json_is_array(list) || json_array_size(list) > 100)
            goto bad;
        json_array_foreach(list, i, t) if (!json_is_string(t) || json_string_length(t) > 120) goto bad;
    }
    json_decref(j);
    return 0;
bad:
    json_decref(j);
    return err_set_field(WASL_EINVAL, "guide.invalid_field", "keywords",
                         "keywords must be an object of language codes to lists of at most 100 terms");
}

int guide_article_create(struct db *db, const struct actor *who, const struct guide_article *a, struct guide_version *first,
                         int64_t *version_id)
{
    int err;
    if ((err = slug_check(a->slug)))
        return err;
    if (!guide_category_valid(a->category))
        return err_set_field(WASL_EINVAL, "guide.invalid_category", "category", "unknown category '%.32s'", a->category);
    if (strcmp(a->audience, "citizens") && strcmp(a->audience, "foreigners") && strcmp(a->audience, "both"))
        return err_set_field(WASL_EINVAL, "guide.invalid_field", "audience", "audience must be citizens, foreigners or both");
    if (!language_valid(a->source_language))
        return err_set_field(WASL_EINVAL, "guide.invalid_language", "source_language", "unknown language");
    if ((err = check_keywords(a->keywords)) || (err = guide_version_check(first)))
        return err;
    struct create cr = {who, a, first, 0};
    if ((err = db_tx(db, create_h, &cr)))
        return err;
    if (version_id)
        *version_id = cr.id;
    return 0;
}

struct add {
    const struct actor *who;
    const char *slug;
    struct guide_version *v;
    int64_t id;
};

static int add_h(struct db_conn *c, void *arg)
{
    struct add *ad = arg;
    struct guide_article a;
    int err;

    if ((err = article_from_conn(c, ad->slug, &a)))
        return err;
    if (!(err = guide_links_check(c, a.slug, ad->v->body)) && !(err = set_translates(c, &a, ad->v)))
        err = insert_version(c, ad->who, &a, ad->v, ad->v->reason, &ad->id);
    free(a.keywords);
    return err;
}

int guide_version_add(struct db *db, const struct actor *who, const char *slug, struct guide_version *v, int64_t *version_id)
{
    int err;
    if (!language_valid(v->lang))
        return err_set_field(WASL_EINVAL, "guide.invalid_language", "lang", "language must be one of %s", languages_list());
    if ((err = check_reason(v->reason)) || (err = guide_version_check(v)))
        return err;
    struct add ad = {who, slug, v, 0};
    if ((err = db_tx(db, add_h, &ad)))
        return err;
    if (version_id)
        *version_id = ad.id;
    return 0;
}

int guide_version_conn(struct db_conn *c, int64_t id, struct guide_version *out)
{
    struct db_stmt *s = NULL;
    bool found = false;
    int err = db_query(
        c, &s, "SELECT " VERSION_COLUMNS " FROM guide_versions v JOIN guide_articles a ON a.id = v.article_id WHERE v.id = ?",
        DBP(DB_I(id)));
    if (err)
        return err;
    if (db_next(s)) {
        found = true;
        err = version_from_row(s, out);
    }
    int err2 = db_end(s);
    if (err || err2) {
        guide_version_clear(out);
        return err ? err : err2;
    }
    return found ? 0 : err_set(WASL_ENOENT, "guide.version_not_found", "no such version");
}

int guide_version_get(struct db *db, int64_t version_id, struct guide_version *out)
{
    struct db_conn *c;
    int err = db_conn_get(db, &c);
    if (err)
        return err;
    err = guide_version_conn(c, version_id, out);
    db_conn_put(c);
    return err;
}

struct transition {
    const struct actor *who;
    int64_t id;
    const char *from, *to;
    const char *effective_on, *note, *extra;
};

static guide_publish_h publish_hook;

void guide_on_publish(guide_publish_h h)
{
    publish_hook = h;
}

static int transition_h(struct db_conn *c, void *arg)
{
    struct transition *t = arg;
    struct guide_version v;
    int err;

    if ((err = guide_version_conn(c, t->id, &v)))
        return err;
    if (strcmp(v.status, t->from)) {
        err = err_set(WASL_ECONFLICT, "guide.wrong_status", "this version is %s, not %s", v.status, t->from);
        goto out;
    }
    if (!strcmp(t->to, "review")) {
        err = db_exec(c, "UPDATE guide_versions SET status = 'review' WHERE id = ? AND status = 'draft'", DBP(DB_I(t->id)));
        if (!err)
            err = audit_version(c, t->who, "guide.submit", v.slug, v.lang, v.version, NULL, NULL);
        goto out;
    }
    /* Approving or rejecting: never one's own text. */
    if (t->who && t->who->login && !strcmp(t->who->login, v.author)) {
        err = err_set(WASL_EPERM, "guide.self_approval", "another editor or a supervisor must review this version");
        goto out;
    }
    if (!strcmp(t->to, "rejected")) {
        err =
            db_exec(c, "UPDATE guide_versions SET status = 'rejected', reviewer = ?, reviewed_at = ?, review_note = ? WHERE id = ?",
                    DBP(DB_S(t->who->login), DB_I(clock_now()), DB_S(t->note), DB_I(t->id)));
        if (!err)
            err = audit_version(c, t->who, "guide.reject", v.slug, v.lang, v.version, "note", t->note);
        goto out;
    }
    int64_t at;
    if ((err = guide_day_start(t->effective_on, &at)))
        goto out;
    err = db_exec(
        c,
        "UPDATE guide_versions SET status = 'published', effective_on = ?, effective_at = ?, reviewer = ?, "
        "reviewed_at = ?, review_note = ? WHERE id = ?",
        DBP(DB_S(t->effective_on), DB_I(at), DB_S(t->who->login), DB_I(clock_now()), DB_S(t->note ? t->note : ""), DB_I(t->id)));
    if (!err)
        err = audit_version(c, t->who, "guide.publish", v.slug, v.lang, v.version, "effective_on", t->effective_on);
    if (!err)
        err = guide_generation_bump(c);
    if (!err && publish_hook) {
        snprintf(v.status, sizeof(v.status), "published");
        snprintf(v.effective_on, sizeof(v.effective_on), "%s", t->effective_on);
        v.effective_at = at;
        v.reviewed_at = clock_now();
        err = publish_hook(c, t->who, &v, t->extra);
    }
out:
    guide_version_clear(&v);
    return err;
}

int guide_submit(struct db *db, const struct actor *who, int64_t version_id)
{
    struct transition t = {who, version_id, "draft", "review", NULL, NULL, NULL};
    return db_tx(db, transition_h, &t);
}

int guide_approve(struct db *db, const struct actor *who, int64_t version_id, const char *effective_on, const char *note,
                  const char *extra)
{
    char today[12];
    int err;

    guide_today(today);
    if (!effective_on || !*effective_on)
        effective_on = today;
    if (!guide_day_valid(effective_on))
        return err_set_field(WASL_EINVAL, "guide.invalid_date", "effective_on", "effective_on must be a date YYYY-MM-DD");
    if (strcmp(effective_on, today) < 0)
        return err_set_field(WASL_EINVAL, "guide.invalid_date", "effective_on",
                             "an amendment cannot take effect in the past (today is %s)", today);
    if (note && strlen(note) > 1000)
        return err_set_field(WASL_EINVAL, "guide.invalid_field", "note", "the note must be at most 1000 bytes");
    struct transition t = {who, version_id, "review", "published", effective_on, note, extra};
    if ((err = db_tx(db, transition_h, &t)))
        return err;
    index_mark_stale(db);
    return 0;
}

int guide_reject(struct db *db, const struct actor *who, int64_t version_id, const char *note)
{
    if (!note || !*note || strlen(note) > 1000)
        return err_set_field(WASL_EINVAL, "guide.invalid_field", "note", "say in at most 1000 bytes what the author should change");
    struct transition t = {who, version_id, "review", "rejected", NULL, note, NULL};
    return db_tx(db, transition_h, &t);
}

/* One version found by a query on VERSION_COLUMNS; *found says whether. */
static int version_query(struct db_conn *c, struct guide_version *out, bool *found, const char *sql, const struct db_param *p,
                         int n)
{
    struct db_stmt *s = NULL;
    int err = db_query(c, &s, sql, p, n);
    *found = false;
    if (err)
        return err;
    if (db_next(s)) {
        *found = true;
        err = version_from_row(s, out);
    }
    int err2 = db_end(s);
    if ((err || err2) && *found)
        guide_version_clear(out);
    return err ? err : err2;
}

int guide_version_number(struct db_conn *c, const char *slug, const char *lang, int version, struct guide_version *out)
{
    bool found;
    int err = version_query(c, out, &found,
                            "SELECT " VERSION_COLUMNS " FROM guide_versions v JOIN guide_articles a ON a.id = v.article_id "
                            "WHERE a.slug = ? AND v.lang = ? AND v.version = ?",
                            DBP(DB_S(slug), DB_S(lang), DB_I(version)));
    if (!err && !found)
        err = err_set(WASL_ENOENT, "guide.version_not_found", "no version %d of '%.80s' in %s", version, slug, lang);
    return err;
}

int guide_version_before(struct db_conn *c, const char *slug, const char *lang, int version, struct guide_version *out, bool *found)
{
    return version_query(c, out, found,
                         "SELECT " VERSION_COLUMNS " FROM guide_versions v JOIN guide_articles a ON a.id = v.article_id "
                         "WHERE a.slug = ? AND v.lang = ? AND v.version < ? AND v.status = 'published' "
                         "ORDER BY v.version DESC LIMIT 1",
                         DBP(DB_S(slug), DB_S(lang), DB_I(version)));
}

int guide_version_at(struct db *db, const char *slug, const char *lang, int64_t at, int *version, int *newest)
{
    struct db_conn *c;
    int64_t v = 0, nv = 0;
    int err = db_conn_get(db, &c);
    if (err)
        return err;
    *version = *newest = 0;
    err = db_query_int(c, &v,
                       "SELECT COALESCE(MAX(v.version), 0) FROM guide_versions v JOIN guide_articles a ON a.id = v.article_id "
                       "WHERE a.slug = ? AND v.lang = ? AND v.status = 'published' AND v.reviewed_at <= ? AND v.effective_at <= ? "
                       "AND v.effective_on = (SELECT MAX(w.effective_on) FROM guide_versions w WHERE w.article_id = v.article_id "
                       "AND w.lang = v.lang AND w.status = 'published' AND w.reviewed_at <= ? AND w.effective_at <= ?)",
                       DBP(DB_S(slug), DB_S(lang), DB_I(at), DB_I(at), DB_I(at), DB_I(at)));
    if (!err)
        err = db_query_int(c, &nv,
                           "SELECT COALESCE(MAX(v.version), 0) FROM guide_versions v JOIN guide_articles a ON a.id = v.article_id "
                           "WHERE a.slug = ? AND v.lang = ? AND v.status = 'published'",
                           DBP(DB_S(slug), DB_S(lang)));
    db_conn_put(c);
    *version = (int)v;
    *newest = (int)nv;
    return err;
}

/* ---- reading ---- */

static int in_force(struct db_conn *c, int64_t article, const char *lang, const char *day, struct guide_version *out, bool *found)
{
    struct db_stmt *s = NULL;
    int err = db_query(c, &s,
                       "SELECT " VERSION_COLUMNS " FROM guide_versions v JOIN guide_articles a ON a.id = v.article_id "
                       "WHERE v.article_id = ? AND v.lang = ? AND v.status = 'published' AND v.effective_on <= ? "
                       "ORDER BY v.effective_on DESC, v.version DESC LIMIT 1",
                       DBP(DB_I(article), DB_S(lang), DB_S(day)));
    *found = false;
    if (err)
        return err;
    if (db_next(s)) {
        *found = true;
        err = version_from_row(s, out);
    }
    int err2 = db_end(s);
    return err ? err : err2;
}

void guide_view_clear(struct guide_view *v)
{
    guide_version_clear(&v->v);
    free(v->article.keywords);
    memset(v, 0, sizeof(*v));
}

int guide_view_get(struct db *db, const char *slug, const char *lang, const char *day, const char *const *readable, int nreadable,
                   struct guide_view *out)
{
    struct db_conn *c;
    char today[12];
    bool found = false;
    int err;

    memset(out, 0, sizeof(*out));
    if (!language_valid(lang))
        return err_set_field(WASL_EINVAL, "guide.invalid_language", "lang", "language must be one of %s", languages_list());
    if (day && *day && !guide_day_valid(day))
        return err_set_field(WASL_EINVAL, "guide.invalid_date", "at", "'at' must be a date YYYY-MM-DD");
    guide_today(today);
    if (!day || !*day)
        day = today;
    snprintf(out->asked_lang, sizeof(out->asked_lang), "%s", lang);
    if ((err = db_conn_get(db, &c)))
        return err;
    if ((err = article_from_conn(c, slug, &out->article)))
        goto out;
    /* The asked language, then the reader's other languages, then the source. */
    const char *tries[10];
    int ntries = 0;
    tries[ntries++] = lang;
    for (int i = 0; i < nreadable && ntries < 8; i++)
        if (readable[i] && language_valid(readable[i]))
            tries[ntries++] = readable[i];
    tries[ntries++] = out->article.source_language;
    for (int i = 0; i < ntries && !found; i++) {
        if ((err = in_force(c, out->article.id, tries[i], day, &out->v, &found)))
            goto out;
        out->fallback = found && i > 0 && strcmp(tries[i], lang) != 0;
    }
    if (!found) {
        err = err_set(WASL_ENOENT, "guide.not_published", "'%.80s' has no published text on %s", slug, day);
        goto out;
    }
    if ((err = source_in_force(c, &out->article, day, &out->source_version)))
        goto out;
    out->translation_outdated = strcmp(out->v.lang, out->article.source_language) != 0 && out->v.translates < out->source_version;
    /* A newer approved text that starts later: agents are told it is coming. */
    struct db_stmt *s = NULL;
    if ((err =
             db_query(c, &s,
                      "SELECT version, effective_on FROM guide_versions WHERE article_id = ? AND lang = ? AND status = 'published' "
                      "AND effective_on > ? ORDER BY effective_on, version LIMIT 1",
                      DBP(DB_I(out->article.id), DB_S(out->v.lang), DB_S(day)))))
        goto out;
    if (db_next(s)) {
        out->has_upcoming = true;
        out->upcoming_version = (int)db_int(s, 0);
        snprintf(out->upcoming_on, sizeof(out->upcoming_on), "%s", db_text(s, 1));
    }
    if ((err = db_end(s)) || !strcmp(out->v.lang, out->article.source_language))
        goto out;
    /* A translation's reader is told when the source it follows changes. */
    if ((err =
             db_query(c, &s,
                      "SELECT version, effective_on FROM guide_versions WHERE article_id = ? AND lang = ? AND status = 'published' "
                      "AND effective_on > ? ORDER BY effective_on, version LIMIT 1",
                      DBP(DB_I(out->article.id), DB_S(out->article.source_language), DB_S(day)))))
        goto out;
    if (db_next(s)) {
        out->source_upcoming = true;
        out->source_upcoming_version = (int)db_int(s, 0);
        snprintf(out->source_upcoming_on, sizeof(out->source_upcoming_on), "%s", db_text(s, 1));
    }
    err = db_end(s);
out:
    db_conn_put(c);
    if (err)
        guide_view_clear(out);
    return err;
}

struct versions {
    guide_version_h h;
    void *arg;
};

static int version_row(struct db_stmt *s, void *arg)
{
    struct versions *l = arg;
    struct guide_version v;
    int err = version_from_row(s, &v);
    if (!err)
        err = l->h(&v, l->arg);
    guide_version_clear(&v);
    return err;
}

int guide_versions_list(struct db *db, const char *slug, const char *lang, guide_version_h h, void *arg)
{
    struct versions l = {h, arg};
    return db_each(db,
                   "SELECT " VERSION_COLUMNS " FROM guide_versions v JOIN guide_articles a ON a.id = v.article_id "
                   "WHERE a.slug = ? AND (? = '' OR v.lang = ?) ORDER BY v.lang, v.version DESC",
                   DBP(DB_S(slug), DB_S(lang ? lang : ""), DB_S(lang ? lang : "")), version_row, &l);
}

int guide_review_queue(struct db *db, guide_version_h h, void *arg)
{
    struct versions l = {h, arg};
    return db_each(db,
                   "SELECT " VERSION_COLUMNS " FROM guide_versions v JOIN guide_articles a ON a.id = v.article_id "
                   "WHERE v.status = 'review' ORDER BY v.created_at, v.id",
                   NULL, 0, version_row, &l);
}

int guide_articles_list(struct db *db, const char *category, const char *lang, guide_summary_h h, void *arg)
{
    struct db_conn *c;
    struct db_stmt *s = NULL;
    struct guide_summary cur;
    char today[12];
    bool have = false;
    int err, src_in_force = 0;

    if (category && *category && !guide_category_valid(category))
        return err_set_field(WASL_EINVAL, "guide.invalid_category", "category", "unknown category");
    guide_today(today);
    if ((err = db_conn_get(db, &c)))
        return err;
    /* One pass over every version, in article order; states are folded in C. */
    err = db_query(c, &s,
                   "SELECT a.id, a.slug, a.category, a.audience, a.source_language, v.lang, v.version, v.status, v.translates, "
                   "v.effective_on, v.title FROM guide_articles a JOIN guide_versions v ON v.article_id = a.id "
                   "WHERE (? = '' OR a.category = ?) ORDER BY a.slug, v.lang = a.source_language DESC, v.lang, v.version",
                   DBP(DB_S(category ? category : ""), DB_S(category ? category : "")));
    memset(&cur, 0, sizeof(cur));
    while (!err && db_next(s)) {
        int64_t id = db_int(s, 0);
        if (have && id != cur.a.id) {
            if ((err = h(&cur, arg)))
                break;
            have = false;
        }
        if (!have) {
            memset(&cur, 0, sizeof(cur));
            cur.a.id = id;
            snprintf(cur.a.slug, sizeof(cur.a.slug), "%s", db_text(s, 1));
            snprintf(cur.a.category, sizeof(cur.a.category), "%s", db_text(s, 2));
            snprintf(cur.a.audience, sizeof(cur.a.audience), "%s", db_text(s, 3));
            snprintf(cur.a.source_language, sizeof(cur.a.source_language), "%s", db_text(s, 4));
            src_in_force = 0;
            have = true;
        }
        int li = text_lang_index(db_text(s, 5));
        if (li < 0)
            continue;
        struct guide_lang_state *ls = &cur.langs[li];
        int version = (int)db_int(s, 6);
        const char *status = db_text(s, 7), *eff = db_text(s, 9);
        ls->latest = version;
        snprintf(ls->latest_status, sizeof(ls->latest_status), "%s", status);
        const char *row_lang = db_text(s, 5);
        bool is_src = !strcmp(row_lang, cur.a.source_language), is_lang = lang && !strcmp(row_lang, lang);
        if (!strcmp(status, "published"))
            snprintf(ls->latest_effective_on, sizeof(ls->latest_effective_on), "%s", eff);
        if (!strcmp(status, "published") && strcmp(eff, today) <= 0) {
            ls->published = version;
            snprintf(ls->in_force_on, sizeof(ls->in_force_on), "%s", eff);
            if (is_src)
                src_in_force = version;
            else
                ls->outdated = db_int(s, 8) < src_in_force;
            /* Title in the asked language when published, else the source's. */
            if (is_lang || (is_src && !(lang && !strcmp(cur.title_lang, lang)))) {
                snprintf(cur.title, sizeof(cur.title), "%s", db_text(s, 10));
                snprintf(cur.title_lang, sizeof(cur.title_lang), "%s", row_lang);
            }
        }
        if (!cur.title[0]) {
            snprintf(cur.title, sizeof(cur.title), "%s", db_text(s, 10));
            snprintf(cur.title_lang, sizeof(cur.title_lang), "%s", row_lang);
        }
    }
    int err2 = s ? db_end(s) : 0;
    if (!err && !err2 && have)
        err = h(&cur, arg);
    db_conn_put(c);
    return err ? err : err2;
}
