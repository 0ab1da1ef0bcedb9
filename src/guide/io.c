/*
 * Import and export of the whole guide as files. The layout is the one of
 * data/guide/:
 *
 *   <slug>/article.json          category, audience, source language, keywords,
 *                                and (in exports) "versions": every version's
 *                                metadata with the file that holds its text
 *   <slug>/<lang>.md             the text in force (front matter + Markdown)
 *   <slug>/history/<lang>.v<N>.md   every version (exports)
 *   synonyms.csv                 group,lang,term
 *
 * A folder without "versions" (hand-written content) is imported as version 1
 * of each language, published from its checked_on date; an export imported
 * into an empty store gives back the same history, and exported again the
 * same files.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>

#include "guide_int.h"

#define FILE_MAX (GUIDE_BODY_MAX + 20000)

static int read_file(const char *path, char **out, size_t *n)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    if (!f)
        return err_set(WASL_ENOENT, "guide.missing_file", "%s: %s", path, strerror(errno));
    buf = malloc(FILE_MAX + 2);
    if (!buf) {
        fclose(f);
        return WASL_ENOMEM;
    }
    *n = fread(buf, 1, FILE_MAX + 1, f);
    fclose(f);
    if (*n > FILE_MAX) {
        free(buf);
        return err_set(WASL_ETOOBIG, "guide.bad_file", "%s: larger than %d bytes", path, FILE_MAX);
    }
    buf[*n] = '\0';
    *out = buf;
    return 0;
}

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return err_set(WASL_EIO, "guide.export", "%s: %s", path, strerror(errno));
    size_t n = strlen(text);
    bool ok = fwrite(text, 1, n, f) == n;
    ok &= fclose(f) == 0;
    return ok ? 0 : err_set(WASL_EIO, "guide.export", "%s: write failed", path);
}

static int load_version_file(const char *dir, const char *file, const char *lang, struct guide_version *v)
{
    char path[1600];
    char *text;
    size_t n;
    int err;

    memset(v, 0, sizeof(*v));
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    if ((err = read_file(path, &text, &n)))
        return err;
    snprintf(v->lang, sizeof(v->lang), "%s", lang);
    err = guide_file_parse(text, n, path, v);
    free(text);
    if (err)
        guide_version_clear(v);
    return err;
}

struct ins {
    const struct guide_article *a;
    const struct guide_version *v;
    const char *status, *author, *reason, *effective_on, *reviewer, *note;
    int64_t created_at, reviewed_at;
};

static int insert_raw(struct db_conn *c, int64_t article_id, const struct ins *in)
{
    char *docs = guide_documents_json(in->v), *fees = guide_fees_json(in->v);
    int64_t at = 0;
    int err = 0;

    if (!docs || !fees) {
        err = WASL_ENOMEM;
        goto out;
    }
    if (in->effective_on && *in->effective_on && (err = guide_day_start(in->effective_on, &at)))
        goto out;
    err = db_exec(c,
                  "INSERT INTO guide_versions (article_id, lang, version, status, title, summary, body, documents, fees, "
                  "processing_time, where_to_apply, source, checked_on, confidence, translates, author, reason, effective_on, "
                  "effective_at, created_at, reviewer, reviewed_at, review_note) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  DBP(DB_I(article_id), DB_S(in->v->lang), DB_I(in->v->version), DB_S(in->status), DB_S(in->v->title),
                      DB_S(in->v->summary), DB_S(in->v->body), DB_S(docs), DB_S(fees),
                      DB_S(in->v->processing_time ? in->v->processing_time : ""),
                      DB_S(in->v->where_to_apply ? in->v->where_to_apply : ""), DB_S(in->v->source ? in->v->source : ""),
                      DB_S(in->v->checked_on), DB_S(in->v->confidence[0] ? in->v->confidence : "U"), DB_I(in->v->translates),
                      DB_S(in->author), DB_S(in->reason), DB_S(in->effective_on ? in->effective_on : ""), DB_I(at),
                      DB_I(in->created_at), DB_S(in->reviewer), DB_I(in->reviewed_at), DB_S(in->note)));
out:
    free(docs);
    free(fees);
    return err;
}

struct article_import {
    const struct actor *who;
    const char *dir;
    struct guide_article a;
    json_t *meta;
    bool done;
};

static const char *jstr(json_t *o, const char *k, const char *def)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v ? v : def;
}

/* One article folder, in one transaction. */
static int import_article_h(struct db_conn *c, void *arg)
{
    struct article_import *ai = arg;
    struct guide_article *a = &ai->a;
    json_t *versions = json_object_get(ai->meta, "versions");
    int64_t id = 0, existing = 0;
    int err;

    ai->done = false;
    err = db_query_int(c, &id, "SELECT id FROM guide_articles WHERE slug = ?", DBP(DB_S(a->slug)));
    if (err == WASL_ENOENT) {
        err_clear();
        err = db_query_int(c, &id,
                           "INSERT INTO guide_articles (slug, category, audience, source_language, keywords, created_at, "
                           "created_by) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                           DBP(DB_S(a->slug), DB_S(a->category), DB_S(a->audience), DB_S(a->source_language), DB_S(a->keywords),
                               DB_I(json_integer_value(json_object_get(ai->meta, "created_at")) > 0
                                        ? json_integer_value(json_object_get(ai->meta, "created_at"))
                                        : clock_now()),
                               DB_S(jstr(ai->meta, "created_by", ai->who->login))));
    } else if (!err && !versions) {
        return 0; /* hand-written content already imported */
    }
    if (err)
        return err;

    if (versions) {
        size_t i;
        json_t *m;
        json_array_foreach(versions, i, m)
        {
            struct guide_version v;
            const char *lang = jstr(m, "lang", "");
            int number = (int)json_integer_value(json_object_get(m, "version"));
            if (!language_valid(lang) || number < 1)
                return err_set(WASL_EINVAL, "guide.bad_file", "%s/article.json: version %zu has no valid lang and version", ai->dir,
                               i);
            if ((err = db_query_int(c, &existing,
                                    "SELECT COUNT(*) FROM guide_versions WHERE article_id = ? AND lang = ? AND version = ?",
                                    DBP(DB_I(id), DB_S(lang), DB_I(number)))))
                return err;
            if (existing)
                continue;
            if ((err = load_version_file(ai->dir, jstr(m, "file", ""), lang, &v)))
                return err;
            v.version = number;
            v.translates = (int)json_integer_value(json_object_get(m, "translates"));
            struct ins in = {a,
                             &v,
                             jstr(m, "status", "draft"),
                             jstr(m, "author", "import"),
                             jstr(m, "reason", "imported"),
                             jstr(m, "effective_on", ""),
                             json_is_string(json_object_get(m, "reviewer")) ? jstr(m, "reviewer", NULL) : NULL,
                             json_is_string(json_object_get(m, "review_note")) ? jstr(m, "review_note", NULL) : NULL,
                             json_integer_value(json_object_get(m, "created_at")),
                             json_integer_value(json_object_get(m, "reviewed_at"))};
            if (strcmp(in.status, "draft") && strcmp(in.status, "review") && strcmp(in.status, "published") &&
                strcmp(in.status, "rejected"))
                err = err_set(WASL_EINVAL, "guide.bad_file", "%s/article.json: unknown status '%s'", ai->dir, in.status);
            else
                err = insert_raw(c, id, &in);
            guide_version_clear(&v);
            if (err)
                return err;
            ai->done = true;
        }
    } else {
        /* Hand-written: each <lang>.md is version 1, published from the day
         * its facts were checked; translations follow source version 1. */
        for (int l = -1; l < wasl_nlanguages; l++) {
            const char *lang = l < 0 ? a->source_language : wasl_languages[l];
            char file[16], path[1600];
            struct guide_version v;
            if (l >= 0 && !strcmp(lang, a->source_language))
                continue;
            snprintf(file, sizeof(file), "%s.md", lang);
            snprintf(path, sizeof(path), "%s/%s", ai->dir, file);
            if (access(path, R_OK) != 0) {
                if (l < 0)
                    return err_set(WASL_EINVAL, "guide.bad_file", "%s: the source language's text is missing", path);
                continue;
            }
            if ((err = load_version_file(ai->dir, file, lang, &v)))
                return err;
            v.version = 1;
            v.translates = l < 0 ? 0 : 1;
            char today[12];
            guide_today(today);
            struct ins in = {
                a,    &v,          "published", ai->who->login, "imported", v.checked_on[0] ? v.checked_on : today, ai->who->login,
                NULL, clock_now(), clock_now()};
            err = insert_raw(c, id, &in);
            guide_version_clear(&v);
            if (err)
                return err;
        }
        ai->done = true;
    }
    if (ai->done) {
        char object[100];
        snprintf(object, sizeof(object), "guide:%s", a->slug);
        if ((err = audit_append(c, ai->who, "guide.import", object, NULL)))
            return err;
        err = guide_generation_bump(c);
    }
    return err;
}

static int import_one(struct db *db, const struct actor *who, const char *dir, bool *done)
{
    char path[1600];
    char *text = NULL;
    size_t n;
    json_error_t je;
    int err;
    struct article_import ai = {who, dir, {0}, NULL, false};

    snprintf(path, sizeof(path), "%s/article.json", dir);
    if ((err = read_file(path, &text, &n)))
        return err;
    ai.meta = json_loadb(text, n, JSON_REJECT_DUPLICATES, &je);
    free(text);
    if (!json_is_object(ai.meta)) {
        json_decref(ai.meta);
        return err_set(WASL_EINVAL, "guide.bad_file", "%s:%d: %s", path, je.line, je.text);
    }
    snprintf(ai.a.slug, sizeof(ai.a.slug), "%s", jstr(ai.meta, "slug", ""));
    snprintf(ai.a.category, sizeof(ai.a.category), "%s", jstr(ai.meta, "category", ""));
    snprintf(ai.a.audience, sizeof(ai.a.audience), "%s", jstr(ai.meta, "audience", ""));
    snprintf(ai.a.source_language, sizeof(ai.a.source_language), "%s", jstr(ai.meta, "source_language", ""));
    json_t *kw = json_object_get(ai.meta, "keywords");
    ai.a.keywords = kw ? json_dumps(kw, JSON_COMPACT | JSON_SORT_KEYS) : strdup("{}");
    if (!guide_category_valid(ai.a.category) || !language_valid(ai.a.source_language) || !ai.a.slug[0] ||
        (strcmp(ai.a.audience, "citizens") && strcmp(ai.a.audience, "foreigners") && strcmp(ai.a.audience, "both")))
        err = err_set(WASL_EINVAL, "guide.bad_file", "%s: slug, category, audience or source_language is missing or wrong", path);
    else
        err = db_tx(db, import_article_h, &ai);
    *done = ai.done;
    free(ai.a.keywords);
    json_decref(ai.meta);
    return err;
}

static int synonym_row(const struct csv_row *r, void *arg)
{
    struct db_conn *c = arg;
    const char *g = csv_get(r, "group"), *l = csv_get(r, "lang"), *t = csv_get(r, "term");
    if (!g || !l || !t || !language_valid(l) || !*t)
        return err_set(WASL_EINVAL, "guide.bad_file", "a synonym needs group, a known lang and a term");
    return db_exec(c, "INSERT INTO guide_synonyms (grp, lang, term) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                   DBP(DB_S(g), DB_S(l), DB_S(t)));
}

static int synonyms_h(struct db_conn *c, void *arg)
{
    const char *path = arg;
    int err = csv_load_file(path, synonym_row, c);
    if (!err)
        err = guide_generation_bump(c);
    return err;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int guide_import(struct db *db, const struct actor *who, const char *dir, int *articles)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL, path[1600];
    int n = 0, err = 0;

    *articles = 0;
    if (!d)
        return err_set(WASL_ENOENT, "guide.import", "%s: %s", dir, strerror(errno));
    while ((e = readdir(d))) {
        struct stat st;
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s/article.json", dir, e->d_name);
        if (stat(path, &st) != 0)
            continue;
        char **nn = realloc(names, sizeof(*nn) * (size_t)(n + 1));
        if (!nn || !(nn[n] = strdup(e->d_name))) {
            names = nn ? nn : names;
            err = WASL_ENOMEM;
            break;
        }
        names = nn;
        n++;
    }
    closedir(d);
    if (!err)
        qsort(names, (size_t)n, sizeof(*names), cmp_names);
    for (int i = 0; !err && i < n; i++) {
        bool done = false;
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        if (!(err = import_one(db, who, path, &done)) && done)
            (*articles)++;
    }
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    snprintf(path, sizeof(path), "%s/synonyms.csv", dir);
    if (!err && access(path, R_OK) == 0)
        err = db_tx(db, synonyms_h, path);
    if (!err)
        index_mark_stale(db);
    return err;
}

/* ---- export ---- */

struct export_ctx {
    const char *dir;
    json_t *versions;
    int err;
};

static int export_version(const struct guide_version *v, void *arg)
{
    struct export_ctx *x = arg;
    char file[64], path[1700];
    char *text = guide_file_write(v);
    int err;

    if (!text)
        return WASL_ENOMEM;
    snprintf(file, sizeof(file), "history/%s.v%d.md", v->lang, v->version);
    snprintf(path, sizeof(path), "%s/%s", x->dir, file);
    err = write_file(path, text);
    free(text);
    if (err)
        return err;
    json_t *m = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:I, s:i, s:s}", "lang", v->lang, "version", v->version, "status",
                          v->status, "author", v->author, "reason", v->reason, "effective_on", v->effective_on, "created_at",
                          (json_int_t)v->created_at, "translates", v->translates, "file", file);
    if (!m)
        return WASL_ENOMEM;
    if (v->reviewer && *v->reviewer) {
        json_object_set_new(m, "reviewer", json_string(v->reviewer));
        json_object_set_new(m, "reviewed_at", json_integer(v->reviewed_at));
        json_object_set_new(m, "review_note", json_string(v->review_note ? v->review_note : ""));
    }
    json_array_append_new(x->versions, m);
    return 0;
}

struct summaries {
    char **slugs;
    int n;
};

static int collect_slug(const struct guide_summary *s, void *arg)
{
    struct summaries *ss = arg;
    char **l = realloc(ss->slugs, sizeof(*l) * (size_t)(ss->n + 1));
    if (!l)
        return WASL_ENOMEM;
    ss->slugs = l;
    return (l[ss->n++] = strdup(s->a.slug)) ? 0 : WASL_ENOMEM;
}

static int export_article(struct db *db, const char *dir, const char *slug)
{
    char adir[1200], path[1700];
    struct guide_article a;
    struct export_ctx x = {adir, json_array(), 0};
    int err;

    if ((err = guide_article_get(db, slug, &a)))
        return err;
    snprintf(adir, sizeof(adir), "%s/%s", dir, slug);
    snprintf(path, sizeof(path), "%s/history", adir);
    if ((mkdir(adir, 0755) && errno != EEXIST) || (mkdir(path, 0755) && errno != EEXIST)) {
        err = err_set(WASL_EIO, "guide.export", "%s: %s", path, strerror(errno));
        goto out;
    }
    /* Oldest first, so an import replays the history in order. */
    if ((err = guide_versions_list(db, slug, NULL, export_version, &x)))
        goto out;
    size_t n = json_array_size(x.versions);
    json_t *sorted = json_array();
    for (int l = 0; l < wasl_nlanguages; l++)
        for (size_t i = n; i-- > 0;) {
            json_t *m = json_array_get(x.versions, i);
            if (!strcmp(json_string_value(json_object_get(m, "lang")), wasl_languages[l]))
                json_array_append(sorted, m);
        }
    json_t *kw = json_loads(a.keywords, 0, NULL);
    json_t *meta = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}", "slug", a.slug, "category", a.category, "audience", a.audience,
                             "source_language", a.source_language, "keywords", kw ? kw : json_object(), "versions", sorted);
    char *text = meta ? json_dumps(meta, JSON_INDENT(1) | JSON_SORT_KEYS) : NULL;
    json_decref(meta);
    snprintf(path, sizeof(path), "%s/article.json", adir);
    if (!text || (err = write_file(path, text)))
        err = err ? err : WASL_ENOMEM;
    free(text);
    /* The text in force in each language, readable without the history. */
    for (int l = 0; !err && l < wasl_nlanguages; l++) {
        struct guide_view v;
        if (guide_view_get(db, slug, wasl_languages[l], NULL, NULL, 0, &v) == 0) {
            if (!v.fallback) {
                char *t = guide_file_write(&v.v);
                snprintf(path, sizeof(path), "%s/%s.md", adir, wasl_languages[l]);
                err = t ? write_file(path, t) : WASL_ENOMEM;
                free(t);
            }
            guide_view_clear(&v);
        }
        err_clear();
    }
out:
    json_decref(x.versions);
    free(a.keywords);
    return err;
}

static int export_synonym(const struct guide_synonym *s, void *arg)
{
    FILE *f = arg;
    fprintf(f, "%s,%s,\"", s->group, s->lang);
    for (const char *p = s->term; *p; p++)
        fprintf(f, *p == '"' ? "\"\"" : "%c", *p);
    fprintf(f, "\"\n");
    return 0;
}

int guide_export(struct db *db, const char *dir, int *articles)
{
    struct summaries ss = {0};
    char path[1200];
    int err;

    *articles = 0;
    if (mkdir(dir, 0755) && errno != EEXIST)
        return err_set(WASL_EIO, "guide.export", "%s: %s", dir, strerror(errno));
    if ((err = guide_articles_list(db, NULL, NULL, collect_slug, &ss)))
        goto out;
    for (int i = 0; !err && i < ss.n; i++)
        if (!(err = export_article(db, dir, ss.slugs[i])))
            (*articles)++;
    snprintf(path, sizeof(path), "%s/synonyms.csv", dir);
    FILE *f = err ? NULL : fopen(path, "w");
    if (!err && !f)
        err = err_set(WASL_EIO, "guide.export", "%s: %s", path, strerror(errno));
    if (f) {
        fprintf(f, "group,lang,term\n");
        err = guide_synonyms_list(db, export_synonym, f);
        if (fclose(f) && !err)
            err = err_set(WASL_EIO, "guide.export", "%s: write failed", path);
    }
out:
    for (int i = 0; i < ss.n; i++)
        free(ss.slugs[i]);
    free(ss.slugs);
    return err;
}
