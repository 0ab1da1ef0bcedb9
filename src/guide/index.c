/*
 * The search index: an in-memory SQLite database (shared cache, one writer
 * that builds it, then read-only connections for searches) with one FTS5
 * table per language, built from the texts in force today, plus the typo
 * and synonym tables. Rebuilt whole when the guide changes (here or, with
 * PostgreSQL, on another node) or when an approved amendment comes into
 * force; searches keep using the old index until the new one is swapped in.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

#include "guide_int.h"

static pthread_mutex_t cur_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t build_lock = PTHREAD_MUTEX_INITIALIZER;
static struct index *cur;
static _Atomic int stale;
static _Atomic int64_t last_check;
static _Atomic int seq;

void index_mark_stale(void)
{
    atomic_store(&stale, 1);
}

char *md_plain(const char *md)
{
    struct sbuf b;
    bool line_start = true;

    sbuf_init(&b, GUIDE_BODY_MAX * 2);
    for (const char *p = md; *p; p++) {
        /* Markup characters are not words; link targets stay (they hold
         * words callers type, like rdv.consulat.ma). */
        if (line_start && (*p == '#' || *p == '>'))
            continue;
        if (*p == '*' || *p == '`' || *p == '_' || *p == '[' || *p == ']' || *p == '(' || *p == ')')
            sbuf_add(&b, " ", 1);
        else
            sbuf_add(&b, p, 1);
        line_start = *p == '\n' || (line_start && (*p == ' ' || *p == '#'));
    }
    if (b.oom) {
        sbuf_release(&b);
        return NULL;
    }
    return sbuf_take(&b);
}

static void groups_free(struct index *ix)
{
    for (int g = 0; g < ix->ngroups; g++)
        for (int l = 0; l < 7; l++) {
            for (int i = 0; i < ix->groups[g].nterms[l]; i++)
                free(ix->groups[g].terms[l][i]);
            free(ix->groups[g].terms[l]);
        }
    free(ix->groups);
    for (int i = 0; i < ix->nsyn; i++)
        free(ix->syn[i].folded);
    free(ix->syn);
}

static void index_free(struct index *ix)
{
    if (!ix)
        return;
    while (ix->idle) {
        struct reader *r = ix->idle;
        ix->idle = r->next;
        for (int i = 0; i < 7; i++)
            sqlite3_finalize(r->query[i]);
        sqlite3_close(r->db);
        free(r);
    }
    for (int i = 0; i < 7; i++)
        typo_index_free(ix->typo[i]);
    groups_free(ix);
    sqlite3_close(ix->keep);
    pthread_mutex_destroy(&ix->lock);
    free(ix);
}

void index_release(struct index *ix)
{
    bool last;
    if (!ix)
        return;
    pthread_mutex_lock(&cur_lock);
    last = --ix->refs == 0;
    pthread_mutex_unlock(&cur_lock);
    if (last)
        index_free(ix);
}

void index_free_all(void)
{
    pthread_mutex_lock(&cur_lock);
    struct index *ix = cur;
    cur = NULL;
    pthread_mutex_unlock(&cur_lock);
    index_release(ix);
}

static int open_conn(struct index *ix, sqlite3 **out)
{
    sqlite3 *db = NULL;
    int rc =
        sqlite3_open_v2(ix->uri, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK || tokenizer_register(db)) {
        int err = err_set(WASL_EINTERNAL, "guide.index", "cannot open the search index: %s", db ? sqlite3_errmsg(db) : "");
        sqlite3_close(db);
        return err;
    }
    /* Readers never write; no need to wait on the writer's table locks. */
    sqlite3_exec(db, "PRAGMA read_uncommitted = 1", NULL, NULL, NULL);
    *out = db;
    return 0;
}

int index_reader_get(struct index *ix, struct reader **out)
{
    struct reader *r;
    int err;

    pthread_mutex_lock(&ix->lock);
    r = ix->idle;
    if (r)
        ix->idle = r->next;
    pthread_mutex_unlock(&ix->lock);
    if (r) {
        *out = r;
        return 0;
    }
    if (!(r = calloc(1, sizeof(*r))))
        return WASL_ENOMEM;
    if ((err = open_conn(ix, &r->db))) {
        free(r);
        return err;
    }
    *out = r;
    return 0;
}

void index_reader_put(struct index *ix, struct reader *r)
{
    pthread_mutex_lock(&ix->lock);
    r->next = ix->idle;
    ix->idle = r;
    pthread_mutex_unlock(&ix->lock);
}

/* ---- building ---- */

struct build {
    struct index *ix;
    sqlite3 *w;
    sqlite3_stmt *doc, *fts[7];
    int64_t next_id;
};

static int add_typo(const char *word, size_t n, size_t start, const char *folded, size_t flen, void *arg)
{
    struct typo_index *t = arg;
    (void)word;
    (void)n;
    (void)start;
    return flen >= 4 ? typo_index_add(t, folded, flen) : 0;
}

static int sql_error(sqlite3 *db, const char *what)
{
    return err_set(WASL_EINTERNAL, "guide.index", "search index %s: %s", what, sqlite3_errmsg(db));
}

static int add_doc(struct build *b, const char *slug, const char *lang, const char *category, const char *title,
                   const char *summary, const char *body_md, const char *keywords, int outdated)
{
    int li = text_lang_index(lang), err = 0;
    char *body = md_plain(body_md);

    if (li < 0) {
        free(body);
        return 0;
    }
    if (!body)
        return WASL_ENOMEM;
    int64_t id = ++b->next_id;
    sqlite3_reset(b->doc);
    sqlite3_bind_int64(b->doc, 1, id);
    sqlite3_bind_text(b->doc, 2, slug, -1, SQLITE_STATIC);
    sqlite3_bind_text(b->doc, 3, lang, -1, SQLITE_STATIC);
    sqlite3_bind_text(b->doc, 4, category, -1, SQLITE_STATIC);
    sqlite3_bind_text(b->doc, 5, title, -1, SQLITE_STATIC);
    sqlite3_bind_int(b->doc, 6, outdated);
    if (sqlite3_step(b->doc) != SQLITE_DONE) {
        err = sql_error(b->w, "docs");
        goto out;
    }
    sqlite3_stmt *f = b->fts[li];
    sqlite3_reset(f);
    sqlite3_bind_int64(f, 1, id);
    sqlite3_bind_text(f, 2, title, -1, SQLITE_STATIC);
    sqlite3_bind_text(f, 3, summary, -1, SQLITE_STATIC);
    sqlite3_bind_text(f, 4, body, -1, SQLITE_STATIC);
    sqlite3_bind_text(f, 5, keywords, -1, SQLITE_STATIC);
    if (sqlite3_step(f) != SQLITE_DONE) {
        err = sql_error(b->w, "fts");
        goto out;
    }
    b->ix->ndocs++;
    struct typo_index *t = b->ix->typo[li];
    if ((err = text_words(title, strlen(title), add_typo, t)) || (err = text_words(summary, strlen(summary), add_typo, t)) ||
        (err = text_words(body, strlen(body), add_typo, t)) || (err = text_words(keywords, strlen(keywords), add_typo, t)))
        goto out;
out:
    free(body);
    return err;
}

/* "a ; b ; c" from the article's keywords for one language. */
static char *keywords_for(const char *json, const char *lang)
{
    json_t *j = json_loads(json ? json : "{}", 0, NULL), *list = json_object_get(j, lang), *t;
    struct sbuf b;
    size_t i;

    sbuf_init(&b, 1 << 20);
    sbuf_adds(&b, "");
    json_array_foreach(list, i, t) if (json_is_string(t))
    {
        sbuf_adds(&b, json_string_value(t));
        sbuf_adds(&b, " ; ");
    }
    json_decref(j);
    return sbuf_take(&b);
}

static int load_docs(struct build *b, struct db_conn *c, const char *today)
{
    struct db_stmt *s;
    char last_key[100] = "";
    int src_in_force = 0, err;

    /* Every published version in force today: per (article, language) the
     * newest effective one; sources first so translations can be judged. */
    err = db_query(c, &s,
                   "SELECT a.slug, v.lang, a.category, v.title, v.summary, v.body, a.keywords, v.translates, v.version, "
                   "a.source_language FROM guide_versions v JOIN guide_articles a ON a.id = v.article_id "
                   "WHERE v.status = 'published' AND v.effective_on <= ? "
                   "ORDER BY a.slug, v.lang = a.source_language DESC, v.lang, v.effective_on DESC, v.version DESC",
                   DBP(DB_S(today)));
    if (err)
        return err;
    while (!err && db_next(s)) {
        char key[100];
        const char *slug = db_text(s, 0), *lang = db_text(s, 1);
        snprintf(key, sizeof(key), "%s/%s", slug, lang);
        if (!strcmp(key, last_key))
            continue; /* an older version of the same text */
        snprintf(last_key, sizeof(last_key), "%s", key);
        bool is_src = !strcmp(lang, db_text(s, 9));
        if (is_src)
            src_in_force = (int)db_int(s, 8);
        char *kw = keywords_for(db_text(s, 6), lang);
        if (!kw) {
            err = WASL_ENOMEM;
            break;
        }
        err = add_doc(b, slug, lang, db_text(s, 2), db_text(s, 3), db_text(s, 4), db_text(s, 5), kw,
                      !is_src && db_int(s, 7) < src_in_force);
        free(kw);
    }
    int err2 = db_end(s);
    return err ? err : err2;
}

int syn_cmp(const void *a, const void *b)
{
    return strcmp(((const struct syn_entry *)a)->folded, ((const struct syn_entry *)b)->folded);
}

static int join_word(const char *word, size_t n, size_t start, const char *folded, size_t flen, void *arg)
{
    struct sbuf *b = arg;
    (void)word;
    (void)n;
    (void)start;
    if (b->len)
        sbuf_add(b, " ", 1);
    return sbuf_add(b, folded, flen);
}

/* Adds term (language li) to group grp, opening the group when it is new
 * (terms arrive grouped by group). */
static int add_synonym(struct index *ix, const char *grp, int li, const char *term)
{
    if (!ix->ngroups || strcmp(ix->groups[ix->ngroups - 1].name, grp)) {
        struct syn_group *g = realloc(ix->groups, sizeof(*g) * (size_t)(ix->ngroups + 1));
        if (!g)
            return WASL_ENOMEM;
        ix->groups = g;
        memset(&g[ix->ngroups], 0, sizeof(*g));
        snprintf(g[ix->ngroups].name, sizeof(g->name), "%s", grp);
        ix->ngroups++;
    }
    struct syn_group *g = &ix->groups[ix->ngroups - 1];
    char **t = realloc(g->terms[li], sizeof(*t) * (size_t)(g->nterms[li] + 1));
    struct syn_entry *e = realloc(ix->syn, sizeof(*e) * (size_t)(ix->nsyn + 1));
    if (t)
        g->terms[li] = t;
    if (e)
        ix->syn = e;
    if (!t || !e || !(t[g->nterms[li]] = strdup(term)))
        return WASL_ENOMEM;
    g->nterms[li]++;
    struct sbuf b;
    sbuf_init(&b, 1024);
    text_words(term, strlen(term), join_word, &b);
    if (!b.len) {
        sbuf_release(&b);
        return 0;
    }
    ix->syn[ix->nsyn].folded = sbuf_take(&b);
    ix->syn[ix->nsyn].group = ix->ngroups - 1;
    ix->nsyn++;
    /* Synonyms are known spellings too. */
    return text_words(term, strlen(term), add_typo, ix->typo[li]);
}

static int load_synonyms(struct index *ix, struct db_conn *c)
{
    struct db_stmt *s;
    int n, err = db_query(c, &s, "SELECT grp, lang, term FROM guide_synonyms ORDER BY grp, lang, term", NULL, 0);
    if (err)
        return err;
    while (!err && db_next(s)) {
        int li = text_lang_index(db_text(s, 1));
        if (li >= 0)
            err = add_synonym(ix, db_text(s, 0), li, db_text(s, 2));
    }
    int err2 = db_end(s);
    /* A country's names in the seven languages are one group, so that
     * "Marokko" finds texts that say "Maroc". */
    const struct entry_country *ec = entry_countries(&n);
    for (int i = 0; !err && !err2 && i < n; i++) {
        char grp[16];
        snprintf(grp, sizeof(grp), "country-%s", ec[i].iso);
        for (int l = 0; !err && l < 7; l++)
            if (ec[i].name[l][0])
                err = add_synonym(ix, grp, l, ec[i].name[l]);
    }
    if (!err && !err2)
        qsort(ix->syn, (size_t)ix->nsyn, sizeof(*ix->syn), syn_cmp);
    return err ? err : err2;
}

static int create_tables(struct build *b)
{
    char sql[400];
    char *emsg = NULL;

    if (sqlite3_exec(b->w,
                     "CREATE TABLE docs (id INTEGER PRIMARY KEY, slug TEXT NOT NULL, lang TEXT NOT NULL, category TEXT NOT NULL, "
                     "title TEXT NOT NULL, outdated INTEGER NOT NULL)",
                     NULL, NULL, &emsg) != SQLITE_OK)
        goto fail;
    for (int l = 0; l < 7; l++) {
        /* Column weights at query time: title, summary, body, keywords. */
        snprintf(sql, sizeof(sql),
                 "CREATE VIRTUAL TABLE fts_%s USING fts5(title, summary, body, keywords, tokenize = 'wasl %s', "
                 "detail = full)",
                 wasl_languages[l], wasl_languages[l]);
        if (sqlite3_exec(b->w, sql, NULL, NULL, &emsg) != SQLITE_OK)
            goto fail;
        snprintf(sql, sizeof(sql), "INSERT INTO fts_%s (rowid, title, summary, body, keywords) VALUES (?, ?, ?, ?, ?)",
                 wasl_languages[l]);
        if (sqlite3_prepare_v2(b->w, sql, -1, &b->fts[l], NULL) != SQLITE_OK)
            return sql_error(b->w, "prepare");
    }
    if (sqlite3_prepare_v2(b->w, "INSERT INTO docs (id, slug, lang, category, title, outdated) VALUES (?, ?, ?, ?, ?, ?)", -1,
                           &b->doc, NULL) != SQLITE_OK)
        return sql_error(b->w, "prepare");
    return 0;
fail:;
    int err = err_set(WASL_EINTERNAL, "guide.index", "search index: %s", emsg ? emsg : "?");
    sqlite3_free(emsg);
    return err;
}

static int build(struct db *db, struct index **out)
{
    struct build b = {0};
    struct index *ix = calloc(1, sizeof(*ix));
    struct db_conn *c = NULL;
    char today[12];
    int64_t next = 0, t0 = clock_mono_us();
    int err;

    if (!ix)
        return WASL_ENOMEM;
    pthread_mutex_init(&ix->lock, NULL);
    ix->refs = 1;
    snprintf(ix->uri, sizeof(ix->uri), "file:wasl-guide-%d-%d?mode=memory&cache=shared", (int)getpid(), atomic_fetch_add(&seq, 1));
    for (int l = 0; l < 7; l++)
        if ((err = typo_index_new(&ix->typo[l])))
            goto out;
    if ((err = open_conn(ix, &ix->keep)))
        goto out;
    b.ix = ix;
    b.w = ix->keep;
    if ((err = create_tables(&b)) || (err = db_conn_get(db, &c)))
        goto out;
    guide_today(today);
    if ((err = db_query_int(c, &ix->generation, "SELECT generation FROM guide_state WHERE id = 1", NULL, 0)))
        goto out;
    sqlite3_exec(b.w, "BEGIN", NULL, NULL, NULL);
    if ((err = load_docs(&b, c, today)) || (err = load_synonyms(ix, c))) {
        sqlite3_exec(b.w, "ROLLBACK", NULL, NULL, NULL);
        goto out;
    }
    if (sqlite3_exec(b.w, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        err = sql_error(b.w, "commit");
        goto out;
    }
    for (int l = 0; l < 7; l++) {
        char sql[80];
        snprintf(sql, sizeof(sql), "INSERT INTO fts_%s (fts_%s) VALUES ('optimize')", wasl_languages[l], wasl_languages[l]);
        sqlite3_exec(b.w, sql, NULL, NULL, NULL);
    }
    /* When does the next approved amendment come into force? */
    err = db_query_int(c, &next,
                       "SELECT COALESCE(MIN(effective_at), 0) FROM guide_versions WHERE status = 'published' AND effective_on > ?",
                       DBP(DB_S(today)));
    ix->next_change = next;
    log_info("guide: search index built: %d texts in %.0f ms", ix->ndocs, (clock_mono_us() - t0) / 1000.0);
out:
    db_conn_put(c);
    sqlite3_finalize(b.doc);
    for (int l = 0; l < 7; l++)
        sqlite3_finalize(b.fts[l]);
    if (err) {
        index_free(ix);
        return err;
    }
    *out = ix;
    return 0;
}

int index_build(struct db *db)
{
    struct index *ix, *old;
    int err;

    pthread_mutex_lock(&build_lock);
    atomic_store(&stale, 0);
    atomic_store(&last_check, clock_mono_us());
    err = build(db, &ix);
    if (!err) {
        pthread_mutex_lock(&cur_lock);
        old = cur;
        cur = ix;
        pthread_mutex_unlock(&cur_lock);
        index_release(old);
    } else {
        atomic_store(&stale, 1);
    }
    pthread_mutex_unlock(&build_lock);
    return err;
}

int guide_index_rebuild(struct db *db)
{
    return index_build(db);
}

/* Is the index behind the store? Asked at most every guide.refresh seconds,
 * and always when this node changed the guide or an amendment came due. */
static bool needs_rebuild(struct db *db, struct index *ix)
{
    int64_t now = clock_mono_us(), gen = 0;
    struct db_conn *c;

    if (atomic_load(&stale))
        return true;
    if (ix && ix->next_change && clock_now() >= ix->next_change)
        return true;
    if (now - atomic_load(&last_check) < guide_cfg.refresh * 1000000)
        return false;
    atomic_store(&last_check, now);
    if (db_conn_get(db, &c))
        return false;
    bool changed =
        db_query_int(c, &gen, "SELECT generation FROM guide_state WHERE id = 1", NULL, 0) == 0 && ix && gen != ix->generation;
    db_conn_put(c);
    err_clear();
    return changed;
}

struct index *index_acquire(struct db *db)
{
    struct index *ix;

    pthread_mutex_lock(&cur_lock);
    ix = cur;
    pthread_mutex_unlock(&cur_lock);
    if (db && (!ix || needs_rebuild(db, ix))) {
        if (index_build(db))
            log_error("guide: rebuilding the search index failed: %s", err_message());
        err_clear();
    }
    pthread_mutex_lock(&cur_lock);
    ix = cur;
    if (ix)
        ix->refs++;
    pthread_mutex_unlock(&cur_lock);
    return ix;
}
