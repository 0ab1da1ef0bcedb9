/*
 * Searching the guide. The query is cut to size, split into words with the
 * same folding as the index, stop words dropped, misspelt words replaced by
 * the nearest known word, synonym groups added (in every language), and the
 * result turned into an FTS5 expression of quoted terms only: whatever the
 * user typed (quotes, NEAR, *, -, column:) is text, never query syntax.
 * The query's language is searched first; other languages fill in when it
 * has too few answers, marked as such. BM25 ranks with title > keywords >
 * summary > body.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guide_int.h"

#define QWORDS 24

#define WORD_GROUPS 6

struct qword {
    char folded[GUIDE_WORD_MAX + 1];
    char orig[GUIDE_WORD_MAX * 2 + 1];
    bool stop;
    bool last;               /* the word being typed: also matched as a prefix */
    int groups[WORD_GROUPS]; /* synonym groups named by a phrase covering this word */
    int ngroups;
};

struct parsed {
    struct qword w[QWORDS];
    int n;
    int groups[QWORDS * 3]; /* all of them, once each */
    int ngroups;
    int nat_first, nat_len; /* words naming a nationality */
};

static int collect(const char *word, size_t n, size_t start, const char *folded, size_t flen, void *arg)
{
    struct parsed *p = arg;
    (void)start;
    if (p->n == QWORDS)
        return 1;
    struct qword *q = &p->w[p->n++];
    memcpy(q->folded, folded, flen + 1);
    snprintf(q->orig, sizeof(q->orig), "%.*s", (int)(n < sizeof(q->orig) - 1 ? n : sizeof(q->orig) - 1), word);
    return 0;
}

static const struct syn_entry *syn_find(const struct index *ix, const char *folded)
{
    struct syn_entry key = {(char *)folded, 0};
    return ix->nsyn ? bsearch(&key, ix->syn, (size_t)ix->nsyn, sizeof(key), syn_cmp) : NULL;
}

static void add_group(struct parsed *p, int g, int first, int len)
{
    bool have = false;
    for (int i = 0; i < p->ngroups; i++)
        have |= p->groups[i] == g;
    if (!have && p->ngroups < (int)(sizeof(p->groups) / sizeof(p->groups[0])))
        p->groups[p->ngroups++] = g;
    for (int i = first; i < first + len; i++) {
        struct qword *w = &p->w[i];
        have = false;
        for (int k = 0; k < w->ngroups; k++)
            have |= w->groups[k] == g;
        if (!have && w->ngroups < WORD_GROUPS)
            w->groups[w->ngroups++] = g;
    }
}

/* Phrases of one to three words that name a synonym group, and nationalities. */
static void match_phrases(const struct index *ix, struct parsed *p, struct guide_search *out)
{
    for (int i = 0; i < p->n; i++) {
        char phrase[GUIDE_WORD_MAX * 3 + 3] = "";
        for (int len = 1; len <= 3 && i + len <= p->n; len++) {
            if (len > 1)
                strcat(phrase, " ");
            strcat(phrase, p->w[i + len - 1].folded);
            /* Synonym terms of several entries may share a folded form. */
            const struct syn_entry *e = syn_find(ix, phrase);
            if (e) {
                while (e > ix->syn && !strcmp(e[-1].folded, phrase))
                    e--;
                for (; e < ix->syn + ix->nsyn && !strcmp(e->folded, phrase); e++)
                    add_group(p, e->group, i, len);
            }
            const char *iso = entry_nationality(phrase);
            if (iso && !out->nationality[0]) {
                snprintf(out->nationality, sizeof(out->nationality), "%s", iso);
                p->nat_first = i;
                p->nat_len = len;
            }
        }
    }
}

static bool is_entry_group(const char *name)
{
    static const char *const groups[] = {"visa", "evisa", "residence-permit-ma", "foreigner"};
    for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
        if (!strcmp(name, groups[i]))
            return true;
    return false;
}

static void add_phrase(struct sbuf *b, const char *text, bool prefix)
{
    if (b->len)
        sbuf_adds(b, " OR ");
    sbuf_add(b, "\"", 1);
    for (const char *c = text; *c; c++) {
        if (*c == '"')
            sbuf_add(b, "\"\"", 2);
        else
            sbuf_add(b, c, 1);
    }
    sbuf_add(b, "\"", 1);
    if (prefix)
        sbuf_add(b, "*", 1);
}

/* One concept: a word, its prefix while it is being typed, and the terms in
 * language lang of every synonym group the word belongs to. */
static void concept(struct sbuf *b, const struct index *ix, const struct qword *w, int lang)
{
    struct sbuf c;
    sbuf_init(&c, 8192);
    add_phrase(&c, w->folded, false);
    if (w->last && utf8_len(w->folded) >= 2)
        add_phrase(&c, w->folded, true);
    for (int g = 0; g < w->ngroups; g++) {
        const struct syn_group *grp = &ix->groups[w->groups[g]];
        for (int t = 0; t < grp->nterms[lang]; t++)
            add_phrase(&c, grp->terms[lang][t], false);
    }
    if (!c.oom && c.len) {
        sbuf_add(b, "(", 1);
        sbuf_add(b, c.p, c.len);
        sbuf_add(b, ")", 1);
    }
    sbuf_release(&c);
}

/* The FTS5 expression for one language table: every concept required
 * (all = true), or any of them. */
static char *expression(const struct index *ix, const struct parsed *p, int lang, bool all_stop, bool all)
{
    struct sbuf b;
    int used = 0;
    sbuf_init(&b, 65536);
    for (int i = 0; i < p->n; i++) {
        const struct qword *w = &p->w[i];
        if (w->stop && !all_stop)
            continue;
        if (used++)
            sbuf_adds(&b, all ? " AND " : " OR ");
        concept(&b, ix, w, lang);
    }
    if (b.oom || !b.len) {
        sbuf_release(&b);
        return NULL;
    }
    return sbuf_take(&b);
}

/* HTML-escapes text and turns the FTS5 markers \x01 \x02 into <mark>. */
static void markup(const char *in, char *out, size_t n)
{
    size_t k = 0;
    for (const char *c = in; *c && k + 8 < n; c++) {
        const char *rep = NULL;
        switch (*c) {
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '&':
            rep = "&amp;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        case '\x01':
            rep = "<mark>";
            break;
        case '\x02':
            rep = "</mark>";
            break;
        }
        if (rep) {
            size_t l = strlen(rep);
            if (k + l + 8 >= n)
                break;
            memcpy(out + k, rep, l);
            k += l;
        } else {
            out[k++] = *c;
        }
    }
    out[k] = '\0';
    /* A cut inside <mark> must still close it. */
    char *open = strstr(out, "<mark>"), *last_open = NULL, *last_close = NULL;
    for (; open; open = strstr(open + 1, "<mark>"))
        last_open = open;
    for (char *cl = strstr(out, "</mark>"); cl; cl = strstr(cl + 1, "</mark>"))
        last_close = cl;
    if (last_open && (!last_close || last_close < last_open) && k + 8 < n)
        strcat(out, "</mark>");
}

#define CANDS_MAX (7 * 20)

struct cands {
    struct guide_hit h[CANDS_MAX];
    double adj[CANDS_MAX];
    int n;
};

/* Runs one table's query; its hits join the candidates of this stage. */
static int run_table(struct reader *r, int lang, const char *expr, int limit, struct cands *c, bool other)
{
    sqlite3_stmt *st = r->query[lang];
    int rc;

    if (!st) {
        char sql[600];
        const char *l = wasl_languages[lang];
        snprintf(sql, sizeof(sql),
                 "SELECT d.slug, d.lang, d.category, d.title, d.outdated, bm25(fts_%s, 10.0, 3.0, 1.0, 5.0), "
                 "highlight(fts_%s, 0, char(1), char(2)), snippet(fts_%s, -1, char(1), char(2), '…', 14) "
                 "FROM fts_%s JOIN docs d ON d.id = fts_%s.rowid WHERE fts_%s MATCH ?1 "
                 "ORDER BY bm25(fts_%s, 10.0, 3.0, 1.0, 5.0) LIMIT ?2",
                 l, l, l, l, l, l, l);
        if (sqlite3_prepare_v3(r->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &r->query[lang], NULL) != SQLITE_OK)
            return err_set(WASL_EINTERNAL, "guide.index", "search: %s", sqlite3_errmsg(r->db));
        st = r->query[lang];
    }
    sqlite3_bind_text(st, 1, expr, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && c->n < CANDS_MAX) {
        struct guide_hit *h = &c->h[c->n];
        memset(h, 0, sizeof(*h));
        snprintf(h->slug, sizeof(h->slug), "%s", sqlite3_column_text(st, 0));
        snprintf(h->lang, sizeof(h->lang), "%s", sqlite3_column_text(st, 1));
        snprintf(h->category, sizeof(h->category), "%s", sqlite3_column_text(st, 2));
        snprintf(h->title, sizeof(h->title), "%s", sqlite3_column_text(st, 3));
        h->outdated = sqlite3_column_int(st, 4) != 0;
        h->score = -sqlite3_column_double(st, 5);
        markup((const char *)sqlite3_column_text(st, 6), h->title_html, sizeof(h->title_html));
        markup((const char *)sqlite3_column_text(st, 7), h->snippet_html, sizeof(h->snippet_html));
        h->other_language = other;
        /* A text in another language must match clearly better to come first. */
        c->adj[c->n] = h->score * (other ? 0.75 : 1.0);
        c->n++;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return err_set(WASL_EINTERNAL, "guide.index", "search: %s", sqlite3_errmsg(r->db));
    return 0;
}

/* Adds the stage's candidates to the answer, best first, one per article;
 * an article found in the asked language is shown in it. */
static void take(struct cands *c, int limit, struct guide_search *out)
{
    for (int n = 0; n < c->n && out->nhits < limit; n++) {
        int best = -1;
        for (int i = 0; i < c->n; i++)
            if (c->adj[i] > -1e300 && (best < 0 || c->adj[i] > c->adj[best]))
                best = i;
        if (best < 0)
            break;
        const char *slug = c->h[best].slug;
        bool dup = false;
        for (int i = 0; i < out->nhits; i++)
            dup |= !strcmp(out->hits[i].slug, slug);
        int pick = best;
        for (int i = 0; i < c->n; i++)
            if (!c->h[i].other_language && !strcmp(c->h[i].slug, slug) && c->adj[i] > -1e300)
                pick = i;
        if (!dup)
            out->hits[out->nhits++] = c->h[pick];
        for (int i = 0; i < c->n; i++)
            if (!strcmp(c->h[i].slug, slug))
                c->adj[i] = -1e301;
    }
}

static void cut_query(const char *query, struct guide_search *out)
{
    size_t n = strlen(query);
    if (n > GUIDE_QUERY_MAX) {
        n = GUIDE_QUERY_MAX;
        while (n > 0 && ((unsigned char)query[n] & 0xC0) == 0x80)
            n--;
        out->cut = true;
    }
    memcpy(out->query, query, n);
    out->query[n] = '\0';
}

static int search_ix(struct index *ix, const char *query, const char *lang, int limit, struct guide_search *out)
{
    struct parsed p;
    struct reader *r = NULL;
    int li = text_lang_index(lang), err;
    bool all_stop = true, trailing_space;

    memset(out, 0, sizeof(*out));
    memset(&p, 0, sizeof(p));
    if (li < 0)
        return err_set_field(WASL_EINVAL, "guide.invalid_language", "lang", "language must be one of ar fr es it nl de en");
    if (!utf8_valid(query, strlen(query)))
        return err_set_field(WASL_EINVAL, "guide.invalid_query", "q", "the query is not valid UTF-8");
    if (limit < 1 || limit > 20)
        limit = 20;
    snprintf(out->lang, sizeof(out->lang), "%s", lang);
    cut_query(query, out);
    trailing_space = out->query[0] && strchr(" \t\n", out->query[strlen(out->query) - 1]);
    text_words(out->query, strlen(out->query), collect, &p);
    if (!p.n)
        return 0;
    for (int i = 0; i < p.n; i++) {
        p.w[i].stop = text_is_stopword(li, p.w[i].folded);
        all_stop &= p.w[i].stop;
    }
    p.w[p.n - 1].last = !trailing_space;
    match_phrases(ix, &p, out);
    /* Misspellings: a word no text and no synonym knows is replaced by the
     * nearest known word of the query's language, else of any language. */
    struct sbuf cq;
    sbuf_init(&cq, sizeof(out->corrected_query) - 1);
    for (int i = 0; i < p.n; i++) {
        struct qword *w = &p.w[i];
        char best[GUIDE_WORD_MAX + 1];
        bool known = w->stop || utf8_len(w->folded) < 4 || syn_find(ix, w->folded);
        for (int l = 0; !known && l < 7; l++)
            known = typo_index_has(ix->typo[l], w->folded, strlen(w->folded));
        bool fixed = false;
        if (!known && guide_cfg.typo && !w->last) {
            fixed = typo_index_best(ix->typo[li], w->folded, strlen(w->folded), best);
            for (int l = 0; !fixed && l < 7; l++)
                fixed = l != li && typo_index_best(ix->typo[l], w->folded, strlen(w->folded), best);
        } else if (!known && guide_cfg.typo && w->last) {
            /* The word being typed may be a prefix; correct it only if it is
             * long enough to be a whole word. */
            if (utf8_len(w->folded) >= 5)
                fixed = typo_index_best(ix->typo[li], w->folded, strlen(w->folded), best);
        }
        if (fixed) {
            snprintf(w->folded, sizeof(w->folded), "%s", best);
            out->corrected = true;
        }
        if (cq.len)
            sbuf_add(&cq, " ", 1);
        sbuf_adds(&cq, fixed ? best : w->orig);
    }
    if (out->corrected) {
        snprintf(out->corrected_query, sizeof(out->corrected_query), "%s", cq.p ? cq.p : "");
        p.ngroups = 0;
        match_phrases(ix, &p, out); /* corrected words may name a group */
    }
    sbuf_release(&cq);
    for (int g = 0; g < p.ngroups; g++)
        if (is_entry_group(ix->groups[p.groups[g]].name))
            out->entry_intent = true;
    if (out->nationality[0] && p.ngroups == 0)
        out->entry_intent = true;
    /* "visa ... américain": the nationality is answered by the entry rule;
     * the texts are found by the other words. */
    if (out->entry_intent && out->nationality[0] && p.nat_len < p.n)
        for (int i = p.nat_first; i < p.nat_first + p.nat_len; i++)
            p.w[i].stop = true;

    if ((err = index_reader_get(ix, &r)))
        return err;
    /* Texts that match every word (or a synonym of it) come first, then texts
     * matching some words; within each, every language is searched and the
     * best matches win, the asked language counting more. */
    int concepts = 0;
    for (int i = 0; i < p.n; i++)
        concepts += !p.w[i].stop || all_stop;
    struct cands *c = malloc(sizeof(*c));
    if (!c) {
        index_reader_put(ix, r);
        return WASL_ENOMEM;
    }
    for (int stage = concepts > 1 ? 0 : 1; !err && stage < 2 && out->nhits < limit; stage++) {
        c->n = 0;
        for (int l = 0; !err && l < 7; l++) {
            char *expr = expression(ix, &p, l, all_stop, stage == 0);
            if (expr)
                err = run_table(r, l, expr, limit, c, l != li);
            free(expr);
        }
        take(c, limit, out);
    }
    free(c);
    index_reader_put(ix, r);
    return err;
}

int guide_search_index(const char *query, const char *lang, int limit, struct guide_search *out)
{
    struct index *ix = index_acquire(NULL);
    int err;
    if (!ix)
        return err_set(WASL_EDB, "guide.no_index", "the search index is not built");
    err = search_ix(ix, query, lang, limit, out);
    index_release(ix);
    return err;
}

int guide_search(struct db *db, const char *query, const char *lang, int limit, bool log, const char *role,
                 struct guide_search *out)
{
    struct index *ix = index_acquire(db);
    int err;
    if (!ix)
        return err_set(WASL_EDB, "guide.no_index", "the search index could not be built");
    err = search_ix(ix, query, lang, limit, out);
    index_release(ix);
    if (!err && log && out->query[0])
        err = searchlog_add(db, out, role, &out->log_id);
    return err;
}
