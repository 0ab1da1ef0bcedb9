/*
 * The search index, in memory: per language, a dictionary of stems and for
 * each stem its postings with the BM25F impact already computed (title,
 * summary, body and keywords weighted), plus pseudo-terms for multi-word
 * synonyms found at build time, the typo index and the synonym table.
 *
 * Why not FTS5: its ORDER BY bm25() LIMIT k scores every matching row with
 * a B-tree read per row, so a common word or a short prefix costs thousands
 * of row visits; measured at 14,000 texts it answered in 5 ms at p50. Here a
 * query adds precomputed impacts into a dense array (see search.c), which
 * is what the p99 < 1 ms target at 70,000 texts needs. docs/architecture.md
 * has the numbers.
 *
 * Rebuilt whole when the guide changes (here or, with PostgreSQL, on another
 * node) or when an approved amendment comes into force, on a thread of its
 * own: searches keep answering from the old index until the new one is
 * swapped in.
 */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "guide_int.h"

/* Column weights: a word in the title says far more than one in the body. */
static const float col_weight[4] = {10.0f, 3.0f, 1.0f, 5.0f};
#define BM25_K1 1.2f
#define BM25_B 0.75f

static pthread_mutex_t cur_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t build_lock = PTHREAD_MUTEX_INITIALIZER;
static struct index *cur;
static _Atomic int stale;
static _Atomic int64_t last_check;

static void bg_start(struct db *db);

void index_mark_stale(struct db *db)
{
    atomic_store(&stale, 1);
    pthread_mutex_lock(&cur_lock);
    bool have = cur != NULL;
    pthread_mutex_unlock(&cur_lock);
    /* The change was made here: rebuild now, on the side, so that the next
     * searches find it without waiting for it. */
    if (db && have)
        bg_start(db);
}

void guide_changed_elsewhere(struct db *db)
{
    index_mark_stale(db);
}

char *md_plain(const char *md)
{
    struct sbuf b;
    bool line_start = true;

    sbuf_init(&b, GUIDE_BODY_MAX * 2);
    sbuf_adds(&b, "");
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

/* ---- stems ---- */

struct stems_ctx {
    int lang;
    bool keep_stop;
    char *out;
    size_t n, len;
};

static int add_stem(const char *word, size_t n, size_t start, const char *folded, size_t flen, void *arg)
{
    struct stems_ctx *c = arg;
    char stem[GUIDE_WORD_MAX + 1];
    size_t sl;
    (void)word;
    (void)n;
    (void)start;
    if (!c->keep_stop && text_is_stopword(c->lang, folded))
        return 0;
    sl = text_stem(c->lang, folded, flen, stem);
    if (c->len + sl + 2 > c->n)
        return 1;
    if (c->len)
        c->out[c->len++] = ' ';
    memcpy(c->out + c->len, stem, sl);
    c->len += sl;
    c->out[c->len] = '\0';
    return 0;
}

size_t text_stems(int lang, const char *text, char *out, size_t n, bool keep_stop)
{
    struct stems_ctx c = {lang, keep_stop, out, n, 0};
    out[0] = '\0';
    text_words(text, strlen(text), add_stem, &c);
    return c.len;
}

/* ---- dictionary ---- */

static uint32_t fnv(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

int64_t lindex_term(const struct lindex *li, const char *s, size_t n)
{
    if (!li->nhash)
        return -1;
    for (uint32_t k = fnv(s, n) & (li->nhash - 1);; k = (k + 1) & (li->nhash - 1)) {
        uint32_t id = li->hash[k];
        if (!id)
            return -1;
        const char *t = li->terms[id - 1].s;
        if (strlen(t) == n && !memcmp(t, s, n))
            return id - 1;
    }
}

int64_t lindex_doc(const struct lindex *li, const char *slug)
{
    if (!li->nslugs)
        return -1;
    for (uint32_t k = fnv(slug, strlen(slug)) & (li->nslugs - 1);; k = (k + 1) & (li->nslugs - 1)) {
        uint32_t id = li->slugs[k];
        if (!id)
            return -1;
        if (!strcmp(li->docs[id - 1].slug, slug))
            return id - 1;
    }
}

int lindex_prefix(const struct lindex *li, const char *prefix, size_t n, uint32_t *ids, int max)
{
    uint32_t lo = 0, hi = li->nterms;
    int k = 0;

    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (strncmp(li->terms[li->sorted[mid]].s, prefix, n) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* Keep the terms found in most texts: for a two-letter prefix there are
     * hundreds, and the rare ones add cost, not answers. */
    for (uint32_t i = lo; i < li->nterms && !strncmp(li->terms[li->sorted[i]].s, prefix, n); i++) {
        uint32_t id = li->sorted[i];
        if (li->terms[id].s[0] == '\x01')
            continue;
        if (k < max) {
            ids[k++] = id;
            continue;
        }
        int weakest = 0;
        for (int j = 1; j < k; j++)
            if (li->terms[ids[j]].count < li->terms[ids[weakest]].count)
                weakest = j;
        if (li->terms[id].count > li->terms[ids[weakest]].count)
            ids[weakest] = id;
    }
    return k;
}

/* ---- building one language ---- */

struct occ {
    uint32_t term, doc;
    uint16_t tf[4];
};

struct lbuild {
    struct lindex *li;
    uint32_t capterms;
    struct occ *occ;
    size_t nocc, capocc;
    uint32_t *doclen[4];
    /* per doc: term id -> occurrence slot */
    int64_t *slot; /* indexed by term id, -1 none */
    size_t capslot;
    uint32_t *touched;
    size_t ntouched, captouched;
    /* multi-word synonyms of this language */
    char **phrases; /* stems joined by spaces */
    int nphrases;
};

static int64_t term_id(struct lbuild *b, const char *s, size_t n)
{
    struct lindex *li = b->li;
    int64_t id = lindex_term(li, s, n);
    if (id >= 0)
        return id;
    if ((li->nterms + 1) * 2 > li->nhash) {
        uint32_t nh = li->nhash ? li->nhash * 2 : 4096;
        uint32_t *h = calloc(nh, sizeof(*h));
        if (!h)
            return -1;
        for (uint32_t i = 0; i < li->nterms; i++) {
            uint32_t k = fnv(li->terms[i].s, strlen(li->terms[i].s)) & (nh - 1);
            while (h[k])
                k = (k + 1) & (nh - 1);
            h[k] = i + 1;
        }
        free(li->hash);
        li->hash = h;
        li->nhash = nh;
    }
    if (li->nterms == b->capterms) {
        uint32_t cap = b->capterms ? b->capterms * 2 : 4096;
        struct term *t = realloc(li->terms, sizeof(*t) * cap);
        if (!t)
            return -1;
        li->terms = t;
        b->capterms = cap;
    }
    char *copy = strndup(s, n);
    if (!copy)
        return -1;
    li->terms[li->nterms] = (struct term){copy, 0, 0};
    uint32_t k = fnv(s, n) & (li->nhash - 1);
    while (li->hash[k])
        k = (k + 1) & (li->nhash - 1);
    li->hash[k] = li->nterms + 1;
    return li->nterms++;
}

static int count(struct lbuild *b, int64_t id, uint32_t doc, int col)
{
    if ((size_t)id >= b->capslot) {
        size_t cap = b->capslot ? b->capslot * 2 : 8192;
        while (cap <= (size_t)id)
            cap *= 2;
        int64_t *s = realloc(b->slot, sizeof(*s) * cap);
        if (!s)
            return WASL_ENOMEM;
        for (size_t i = b->capslot; i < cap; i++)
            s[i] = -1;
        b->slot = s;
        b->capslot = cap;
    }
    if (b->slot[id] < 0) {
        if (b->nocc == b->capocc) {
            size_t cap = b->capocc ? b->capocc * 2 : 65536;
            struct occ *o = realloc(b->occ, sizeof(*o) * cap);
            if (!o)
                return WASL_ENOMEM;
            b->occ = o;
            b->capocc = cap;
        }
        if (b->ntouched == b->captouched) {
            size_t cap = b->captouched ? b->captouched * 2 : 1024;
            uint32_t *t = realloc(b->touched, sizeof(*t) * cap);
            if (!t)
                return WASL_ENOMEM;
            b->touched = t;
            b->captouched = cap;
        }
        b->touched[b->ntouched++] = (uint32_t)id;
        b->slot[id] = (int64_t)b->nocc;
        b->occ[b->nocc++] = (struct occ){(uint32_t)id, doc, {0, 0, 0, 0}};
    }
    struct occ *o = &b->occ[b->slot[id]];
    if (o->tf[col] < UINT16_MAX)
        o->tf[col]++;
    return 0;
}

struct col_ctx {
    struct lbuild *b;
    int lang;
    uint32_t doc;
    int col;
    uint32_t len;
    struct sbuf seq; /* the column's stems, space-separated, for phrases */
};

static int index_word(const char *word, size_t n, size_t start, const char *folded, size_t flen, void *arg)
{
    struct col_ctx *c = arg;
    char stem[GUIDE_WORD_MAX + 1];
    size_t sl;
    int64_t id;
    (void)word;
    (void)n;
    (void)start;
    if (text_is_stopword(c->lang, folded))
        return 0;
    sl = text_stem(c->lang, folded, flen, stem);
    if ((id = term_id(c->b, stem, sl)) < 0)
        return WASL_ENOMEM;
    c->len++;
    if (c->seq.len)
        sbuf_add(&c->seq, " ", 1);
    sbuf_add(&c->seq, stem, sl);
    return count(c->b, id, c->doc, c->col);
}

/* A multi-word synonym found in a column counts as one more term: searches
 * for "carte nationale" then need no positions. */
static int index_phrases(struct col_ctx *c)
{
    const char *seq = c->seq.p ? c->seq.p : "";
    for (int i = 0; i < c->b->nphrases; i++) {
        const char *ph = c->b->phrases[i], *at = seq;
        size_t pl = strlen(ph);
        while ((at = strstr(at, ph))) {
            bool start_ok = at == seq || at[-1] == ' ', end_ok = at[pl] == '\0' || at[pl] == ' ';
            if (start_ok && end_ok) {
                char key[GUIDE_WORD_MAX * 4 + 2];
                int kl = snprintf(key, sizeof(key), "\x01%s", ph);
                int64_t id = term_id(c->b, key, (size_t)(kl < (int)sizeof(key) ? kl : (int)sizeof(key) - 1));
                int err = id < 0 ? WASL_ENOMEM : count(c->b, id, c->doc, c->col);
                if (err)
                    return err;
            }
            at += pl;
        }
    }
    return 0;
}

static int cmp_occ(const void *a, const void *b)
{
    const struct occ *x = a, *y = b;
    if (x->term != y->term)
        return x->term < y->term ? -1 : 1;
    return x->doc < y->doc ? -1 : x->doc > y->doc;
}

static const struct lindex *sort_li;

static int cmp_term_str(const void *a, const void *b)
{
    return strcmp(sort_li->terms[*(const uint32_t *)a].s, sort_li->terms[*(const uint32_t *)b].s);
}

/* Tokenizes every text of one language, then turns counts into impacts. */
static int build_language(struct index *ix, int lang)
{
    struct lindex *li = &ix->lang[lang];
    struct lbuild b = {.li = li};
    double total[4] = {0};
    int err = 0;

    /* The language's multi-word synonyms, as stem sequences. */
    for (int g = 0; g < ix->ngroups; g++) {
        for (int t = 0; t < ix->groups[g].nterms[lang]; t++) {
            char stems[GUIDE_WORD_MAX * 4];
            text_stems(lang, ix->groups[g].terms[lang][t], stems, sizeof(stems), false);
            if (!strchr(stems, ' '))
                continue;
            char **p = realloc(b.phrases, sizeof(*p) * (size_t)(b.nphrases + 1));
            if (!p || !(p[b.nphrases] = strdup(stems))) {
                b.phrases = p ? p : b.phrases;
                err = WASL_ENOMEM;
                goto out;
            }
            b.phrases = p;
            b.nphrases++;
        }
    }
    for (int c = 0; c < 4; c++)
        if (li->ndocs && !(b.doclen[c] = calloc(li->ndocs, sizeof(uint32_t)))) {
            err = WASL_ENOMEM;
            goto out;
        }
    for (uint32_t d = 0; d < li->ndocs && !err; d++) {
        const struct idoc *doc = &li->docs[d];
        const char *cols[4] = {doc->title, doc->summary, doc->body, doc->keywords};
        for (int c = 0; c < 4 && !err; c++) {
            struct col_ctx cc = {.b = &b, .lang = lang, .doc = d, .col = c};
            sbuf_init(&cc.seq, GUIDE_BODY_MAX * 2);
            err = text_words(cols[c], strlen(cols[c]), index_word, &cc);
            if (!err && b.nphrases)
                err = index_phrases(&cc);
            sbuf_release(&cc.seq);
            b.doclen[c][d] = cc.len;
            total[c] += cc.len;
            /* Known spellings for typo correction. */
            if (!err)
                err = text_words(cols[c], strlen(cols[c]), typo_word, ix->typo[lang]);
        }
        for (size_t i = 0; i < b.ntouched; i++)
            b.slot[b.touched[i]] = -1;
        b.ntouched = 0;
    }
    if (err)
        goto out;
    if (b.nocc) /* qsort(NULL, 0) is undefined: a language may have no text yet */
        qsort(b.occ, b.nocc, sizeof(*b.occ), cmp_occ);
    if (b.nocc && !(li->post = malloc(sizeof(*li->post) * b.nocc))) {
        err = WASL_ENOMEM;
        goto out;
    }
    li->npost = b.nocc;
    double all = total[0] + total[1] + total[2] + total[3];
    double avg = li->ndocs && all > 0 ? all / li->ndocs : 1;
    for (size_t i = 0; i < b.nocc;) {
        size_t j = i;
        while (j < b.nocc && b.occ[j].term == b.occ[i].term)
            j++;
        double df = (double)(j - i), n = li->ndocs;
        double idf = log(1.0 + (n - df + 0.5) / (df + 0.5));
        struct term *t = &li->terms[b.occ[i].term];
        t->start = (uint32_t)i;
        t->count = (uint32_t)(j - i);
        for (size_t k = i; k < j; k++) {
            const struct occ *o = &b.occ[k];
            double f = 0, len = 0;
            uint8_t cols = 0;
            /* BM25 over the column-weighted frequency and the whole text's
             * length, as FTS5's bm25() computes it. */
            for (int c = 0; c < 4; c++) {
                f += col_weight[c] * o->tf[c];
                len += b.doclen[c][o->doc];
                if (o->tf[c])
                    cols |= (uint8_t)(1 << c);
            }
            double norm = 1 - BM25_B + BM25_B * len / avg;
            li->post[k] = (struct posting){o->doc, (float)(idf * f * (BM25_K1 + 1) / (f + BM25_K1 * norm)), cols};
        }
        i = j;
    }
    /* Each synonym group's terms in this language as index terms, so that
     * a query needs no stemming of synonyms. */
    for (int g = 0; g < ix->ngroups && !err; g++) {
        struct syn_group *grp = &ix->groups[g];
        if (!grp->nterms[lang])
            continue;
        if (!(grp->ids[lang] = malloc(sizeof(uint32_t) * (size_t)grp->nterms[lang]))) {
            err = WASL_ENOMEM;
            goto out;
        }
        for (int t = 0; t < grp->nterms[lang]; t++) {
            char stems[GUIDE_WORD_MAX * 4 + 2];
            stems[0] = '\x01';
            size_t l = text_stems(lang, grp->terms[lang][t], stems + 1, sizeof(stems) - 1, false);
            int64_t id = !l ? -1 : strchr(stems + 1, ' ') ? lindex_term(li, stems, l + 1) : lindex_term(li, stems + 1, l);
            if (id >= 0)
                grp->ids[lang][grp->nids[lang]++] = (uint32_t)id;
        }
    }
    if (li->nterms && !(li->sorted = malloc(sizeof(uint32_t) * li->nterms))) {
        err = WASL_ENOMEM;
        goto out;
    }
    for (uint32_t i = 0; i < li->nterms; i++)
        li->sorted[i] = i;
    li->nslugs = 64;
    while (li->nslugs < li->ndocs * 2)
        li->nslugs *= 2;
    if (!(li->slugs = calloc(li->nslugs, sizeof(uint32_t)))) {
        err = WASL_ENOMEM;
        goto out;
    }
    for (uint32_t d = 0; d < li->ndocs; d++) {
        uint32_t k = fnv(li->docs[d].slug, strlen(li->docs[d].slug)) & (li->nslugs - 1);
        while (li->slugs[k])
            k = (k + 1) & (li->nslugs - 1);
        li->slugs[k] = d + 1;
    }
    sort_li = li;
    if (li->nterms)
        qsort(li->sorted, li->nterms, sizeof(uint32_t), cmp_term_str);
out:
    for (int i = 0; i < b.nphrases; i++)
        free(b.phrases[i]);
    free(b.phrases);
    for (int c = 0; c < 4; c++)
        free(b.doclen[c]);
    free(b.occ);
    free(b.slot);
    free(b.touched);
    return err;
}

/* ---- freeing ---- */

static void groups_free(struct index *ix)
{
    for (int g = 0; g < ix->ngroups; g++)
        for (int l = 0; l < WASL_LANG_MAX; l++) {
            for (int i = 0; i < ix->groups[g].nterms[l]; i++)
                free(ix->groups[g].terms[l][i]);
            free(ix->groups[g].terms[l]);
            free(ix->groups[g].ids[l]);
        }
    free(ix->groups);
    for (int i = 0; i < ix->nsyn; i++)
        free(ix->syn[i].folded);
    free(ix->syn);
}

static void lindex_free(struct lindex *li)
{
    for (uint32_t d = 0; d < li->ndocs; d++) {
        free(li->docs[d].title);
        free(li->docs[d].summary);
        free(li->docs[d].body);
        free(li->docs[d].keywords);
        free(li->docs[d].tstems);
        free(li->docs[d].kstems);
    }
    free(li->docs);
    for (uint32_t t = 0; t < li->nterms; t++)
        free(li->terms[t].s);
    free(li->terms);
    free(li->hash);
    free(li->sorted);
    free(li->slugs);
    free(li->post);
}

static void index_free(struct index *ix)
{
    if (!ix)
        return;
    for (int i = 0; i < WASL_LANG_MAX; i++) {
        lindex_free(&ix->lang[i]);
        typo_index_free(ix->typo[i]);
    }
    groups_free(ix);
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
    index_wait_rebuild();
    pthread_mutex_lock(&cur_lock);
    struct index *ix = cur;
    cur = NULL;
    pthread_mutex_unlock(&cur_lock);
    index_release(ix);
}

/* ---- loading from the store ---- */

int typo_word(const char *word, size_t n, size_t start, const char *folded, size_t flen, void *arg)
{
    struct typo_index *t = arg;
    (void)word;
    (void)n;
    (void)start;
    return flen >= 4 ? typo_index_add(t, folded, flen) : 0;
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

/* The title's and each keyword's stems, for the whole-query ranking. */
static int head_stems(int lang, struct idoc *d)
{
    char buf[GUIDE_TITLE_MAX * 2 + 8];
    struct sbuf b;

    text_stems(lang, d->title, buf, sizeof(buf), false);
    if (!(d->tstems = strdup(buf)))
        return WASL_ENOMEM;
    sbuf_init(&b, 1 << 20);
    sbuf_adds(&b, "");
    for (const char *k = d->keywords; *k;) {
        const char *e = strstr(k, " ; ");
        size_t n = e ? (size_t)(e - k) : strlen(k);
        char term[GUIDE_FIELD_MAX + 1];
        snprintf(term, sizeof(term), "%.*s", (int)(n < GUIDE_FIELD_MAX ? n : GUIDE_FIELD_MAX), k);
        if (text_stems(lang, term, buf, sizeof(buf), false)) {
            if (b.len)
                sbuf_add(&b, "|", 1);
            sbuf_adds(&b, buf);
        }
        k += n + (e ? 3 : 0);
    }
    if (b.oom) {
        sbuf_release(&b);
        return WASL_ENOMEM;
    }
    d->kstems = sbuf_take(&b);
    return d->kstems ? 0 : WASL_ENOMEM;
}

static int add_doc(struct index *ix, int lang, const char *slug, const char *category, const char *title, const char *summary,
                   const char *body_md, const char *keywords, bool outdated, uint32_t *cap)
{
    struct lindex *li = &ix->lang[lang];
    if (li->ndocs == *cap) {
        uint32_t c = *cap ? *cap * 2 : 64;
        struct idoc *d = realloc(li->docs, sizeof(*d) * c);
        if (!d)
            return WASL_ENOMEM;
        li->docs = d;
        *cap = c;
    }
    struct idoc *d = &li->docs[li->ndocs];
    memset(d, 0, sizeof(*d));
    snprintf(d->slug, sizeof(d->slug), "%s", slug);
    snprintf(d->category, sizeof(d->category), "%s", category);
    d->title = strdup(title);
    d->summary = strdup(summary);
    d->body = md_plain(body_md);
    d->keywords = keywords_for(keywords, wasl_languages[lang]);
    d->outdated = outdated;
    li->ndocs++;
    ix->ndocs++;
    if (!d->title || !d->summary || !d->body || !d->keywords)
        return WASL_ENOMEM;
    return head_stems(lang, d);
}

static int load_docs(struct index *ix, struct db_conn *c, const char *today)
{
    struct db_stmt *s = NULL;
    char last_key[100] = "";
    uint32_t cap[WASL_LANG_MAX] = {0};
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
        int li = text_lang_index(lang);
        snprintf(key, sizeof(key), "%s/%s", slug, lang);
        if (li < 0 || !strcmp(key, last_key))
            continue; /* an older version of the same text */
        snprintf(last_key, sizeof(last_key), "%s", key);
        bool is_src = !strcmp(lang, db_text(s, 9));
        if (is_src)
            src_in_force = (int)db_int(s, 8);
        err = add_doc(ix, li, slug, db_text(s, 2), db_text(s, 3), db_text(s, 4), db_text(s, 5), db_text(s, 6),
                      !is_src && db_int(s, 7) < src_in_force, &cap[li]);
    }
    int err2 = db_end(s);
    return err ? err : err2;
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

int syn_cmp(const void *a, const void *b)
{
    return strcmp(((const struct syn_entry *)a)->folded, ((const struct syn_entry *)b)->folded);
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
    return text_words(term, strlen(term), typo_word, ix->typo[li]);
}

static int load_synonyms(struct index *ix, struct db_conn *c)
{
    struct db_stmt *s = NULL;
    int n, err = db_query(c, &s, "SELECT grp, lang, term FROM guide_synonyms ORDER BY grp, lang, term", NULL, 0);
    if (err)
        return err;
    while (!err && db_next(s)) {
        int li = text_lang_index(db_text(s, 1));
        if (li >= 0)
            err = add_synonym(ix, db_text(s, 0), li, db_text(s, 2));
    }
    int err2 = db_end(s);
    /* A country's names in the center's languages are one group, so that
     * "Marokko" finds texts that say "Maroc". */
    const struct entry_country *ec = entry_countries(&n);
    for (int i = 0; !err && !err2 && i < n; i++) {
        char grp[16];
        snprintf(grp, sizeof(grp), "country-%s", ec[i].iso);
        for (int l = 0; !err && l < wasl_nlanguages; l++)
            if (ec[i].name[l][0])
                err = add_synonym(ix, grp, l, ec[i].name[l]);
    }
    if (!err && !err2)
        qsort(ix->syn, (size_t)ix->nsyn, sizeof(*ix->syn), syn_cmp);
    return err ? err : err2;
}

static int build(struct db *db, struct index **out)
{
    struct index *ix = calloc(1, sizeof(*ix));
    struct db_conn *c = NULL;
    char today[12];
    int64_t next = 0, t0 = clock_mono_us();
    int err;

    if (!ix)
        return WASL_ENOMEM;
    static _Atomic uint64_t serials;
    ix->refs = 1;
    ix->serial = atomic_fetch_add(&serials, 1) + 1;
    for (int l = 0; l < wasl_nlanguages; l++)
        if ((err = typo_index_new(&ix->typo[l])))
            goto out;
    if ((err = db_conn_get(db, &c)))
        goto out;
    guide_today(today);
    if ((err = db_query_int(c, &ix->generation, "SELECT generation FROM guide_state WHERE id = 1", NULL, 0)) ||
        (err = load_docs(ix, c, today)) || (err = load_synonyms(ix, c)))
        goto out;
    /* When does the next approved amendment come into force? */
    if ((err = db_query_int(c, &next,
                            "SELECT COALESCE(MIN(effective_at), 0) FROM guide_versions WHERE status = 'published' "
                            "AND effective_on > ?",
                            DBP(DB_S(today)))))
        goto out;
    ix->next_change = next;
    db_conn_put(c);
    c = NULL;
    for (int l = 0; l < wasl_nlanguages && !err; l++)
        err = build_language(ix, l);
    if (!err)
        log_info("guide: search index built: %d texts in %.0f ms", ix->ndocs, (clock_mono_us() - t0) / 1000.0);
out:
    db_conn_put(c);
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

/* ---- rebuilding off the request path ----
 * A search that finds the index behind the store starts a rebuild on its
 * own thread and answers from the index it has; the new one is swapped in
 * when built (index_build). One rebuild at a time. */

static pthread_mutex_t bg_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t bg_thread;
static bool bg_joinable;
static _Atomic int bg_running;

static void *bg_main(void *arg)
{
    struct db *db = arg;
    if (index_build(db))
        log_error("guide: rebuilding the search index failed: %s", err_message());
    err_clear();
    atomic_store(&bg_running, 0);
    return NULL;
}

static void bg_start(struct db *db)
{
    if (atomic_load(&bg_running))
        return;
    pthread_mutex_lock(&bg_lock);
    if (!atomic_load(&bg_running)) {
        if (bg_joinable) /* the last rebuild, finished */
            pthread_join(bg_thread, NULL);
        bg_joinable = false;
        atomic_store(&bg_running, 1);
        if (pthread_create(&bg_thread, NULL, bg_main, db) == 0) {
            bg_joinable = true;
        } else {
            atomic_store(&bg_running, 0);
            log_error("guide: cannot start the index rebuild thread");
        }
    }
    pthread_mutex_unlock(&bg_lock);
}

bool index_rebuilding(void)
{
    return atomic_load(&bg_running) != 0;
}

void index_wait_rebuild(void)
{
    pthread_mutex_lock(&bg_lock);
    if (bg_joinable)
        pthread_join(bg_thread, NULL);
    bg_joinable = false;
    pthread_mutex_unlock(&bg_lock);
}

struct index *index_acquire(struct db *db)
{
    struct index *ix;

    /* The reference first: a rebuild may swap in a new index and release
     * this one at any moment, and needs_rebuild() reads it. */
    pthread_mutex_lock(&cur_lock);
    ix = cur;
    if (ix)
        ix->refs++;
    pthread_mutex_unlock(&cur_lock);
    if (db && !ix) {
        /* Nothing to answer from yet: build now. */
        if (index_build(db))
            log_error("guide: building the search index failed: %s", err_message());
        err_clear();
        pthread_mutex_lock(&cur_lock);
        ix = cur;
        if (ix)
            ix->refs++;
        pthread_mutex_unlock(&cur_lock);
    } else if (db && needs_rebuild(db, ix)) {
        bg_start(db); /* the index held answers meanwhile */
    }
    return ix;
}
