/*
 * Searching the guide. The query is cut to size, split into words with the
 * same folding as the index, stop words dropped, misspelt words replaced by
 * the nearest known word, and synonym groups (editors' and country names)
 * attached to the words they cover. Each word is a concept: its stem, its
 * prefix while it is being typed, and its synonyms' terms in the language
 * searched. Whatever the user typed is only ever words: quotes, NEAR, *, -
 * or column: are not syntax here.
 *
 * Scoring adds the precomputed BM25F impacts of each concept (the best of
 * its alternatives) into a dense array per language. Texts matching every
 * concept come first, then texts matching some; the asked language counts
 * more, other languages fill in and are marked. Highlights and snippets are
 * made for the final hits only.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guide_int.h"

#define QWORDS 24

static size_t result_size(int nhits);

#define WORD_GROUPS 6

struct qword {
    char folded[GUIDE_WORD_MAX + 1];
    char orig[GUIDE_WORD_MAX * 2 + 1];
    bool stop;
    bool last;               /* the word being typed: also matched as a prefix */
    bool optional;           /* scored but not required (a country named as context) */
    int groups[WORD_GROUPS]; /* synonym groups named by a phrase covering this word */
    int ngroups;
};

struct parsed {
    struct qword w[QWORDS];
    int n;
    int groups[QWORDS * 3]; /* all of them, once each */
    int ngroups;
    int nat_first, nat_len; /* words naming a nationality */
    bool nat_people;        /* named by a people's name ("indien"), not a country's */
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

/* Phrases of one to three words that name a synonym group, and the
 * nationality the query is about. A query names Morocco as the destination
 * as often as the traveller's nationality ("visa maroc pour un indien"), so
 * people ("indien") count before countries ("Inde"), and another country
 * before Morocco; Morocco alone is a nationality only in an entry question
 * (see search_ix). */
static void match_phrases(const struct index *ix, struct parsed *p, struct guide_search *out)
{
    int best_rank = -1;
    out->nationality[0] = '\0';
    p->nat_first = p->nat_len = 0;
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
            bool demonym;
            const char *iso = entry_nationality(phrase, &demonym);
            if (!iso)
                continue;
            int rank = (demonym ? 2 : 0) + (strcmp(iso, "MA") ? 1 : 0);
            /* A longer phrase at the same place ("états unis") replaces
             * its first word. */
            if (rank > best_rank || (p->nat_first == i && rank == best_rank && len > p->nat_len)) {
                best_rank = rank;
                snprintf(out->nationality, sizeof(out->nationality), "%s", iso);
                p->nat_first = i;
                p->nat_len = len;
                p->nat_people = demonym;
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

#define CANDS_MAX (WASL_LANG_MAX * 20) /* up to 20 texts from each language */
#define CONCEPT_TERMS 96
#define PREFIX_TERMS 8

/* A candidate: which text, how good; the hit is only filled for winners. */
struct cand {
    uint32_t doc;
    int lang;
    float score;
    double adj;
    uint8_t cols;
    bool other;
};

struct cands {
    struct cand c[CANDS_MAX];
    int n;
};

/* Per-thread scratch sized to the largest language, reset by stamps. */
struct scratch {
    uint32_t cap;
    float *acc, *cmax;
    uint32_t *mask, *stamp, *cstamp, *touched, *ctouched;
    uint8_t *cols;
    uint32_t gen;
};

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_free(void *p)
{
    struct scratch *s = p;
    if (!s)
        return;
    free(s->acc);
    free(s->cmax);
    free(s->mask);
    free(s->stamp);
    free(s->cstamp);
    free(s->touched);
    free(s->ctouched);
    free(s->cols);
    free(s);
}

static void scratch_key_make(void)
{
    pthread_key_create(&scratch_key, scratch_free);
}

static struct scratch *scratch_get(uint32_t n)
{
    struct scratch *s;
    pthread_once(&scratch_once, scratch_key_make);
    s = pthread_getspecific(scratch_key);
    if (s && s->cap >= n)
        return s;
    scratch_free(s);
    pthread_setspecific(scratch_key, NULL);
    if (!(s = calloc(1, sizeof(*s))))
        return NULL;
    s->cap = n < 1024 ? 1024 : n;
    s->acc = calloc(s->cap, sizeof(float));
    s->cmax = calloc(s->cap, sizeof(float));
    s->mask = calloc(s->cap, sizeof(uint32_t));
    s->stamp = calloc(s->cap, sizeof(uint32_t));
    s->cstamp = calloc(s->cap, sizeof(uint32_t));
    s->touched = calloc(s->cap, sizeof(uint32_t));
    s->ctouched = calloc(s->cap, sizeof(uint32_t));
    s->cols = calloc(s->cap, 1);
    if (!s->acc || !s->cmax || !s->mask || !s->stamp || !s->cstamp || !s->touched || !s->ctouched || !s->cols) {
        scratch_free(s);
        return NULL;
    }
    pthread_setspecific(scratch_key, s);
    return s;
}

/* Term ids of one concept in language lang. */
static int concept_terms(const struct index *ix, const struct lindex *li, int lang, const struct qword *w, uint32_t *ids)
{
    char stem[GUIDE_WORD_MAX + 1];
    int n = 0;
    int64_t id;

    size_t sl = text_stem(lang, w->folded, strlen(w->folded), stem);
    if ((id = lindex_term(li, stem, sl)) >= 0)
        ids[n++] = (uint32_t)id;
    if (w->last && utf8_len(w->folded) >= 2)
        n += lindex_prefix(li, w->folded, strlen(w->folded), ids + n, PREFIX_TERMS);
    for (int g = 0; g < w->ngroups; g++) {
        const struct syn_group *grp = &ix->groups[w->groups[g]];
        for (int t = 0; t < grp->nids[lang] && n < CONCEPT_TERMS; t++)
            ids[n++] = grp->ids[lang][t];
    }
    return n;
}

/* The posting of doc in term t, or NULL: postings are in doc order. */
static const struct posting *find_posting(const struct lindex *li, const struct term *t, uint32_t doc)
{
    uint32_t lo = t->start, hi = t->start + t->count;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (li->post[mid].doc < doc)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < t->start + t->count && li->post[lo].doc == doc ? &li->post[lo] : NULL;
}

struct concept_ids {
    uint32_t ids[CONCEPT_TERMS + PREFIX_TERMS];
    int n;
    size_t postings;
    bool optional;
};

/* Rarest first, optional concepts last. */
static int by_postings(const void *a, const void *b)
{
    const struct concept_ids *p = a, *q = b;
    if (p->optional != q->optional)
        return p->optional ? 1 : -1;
    return p->postings < q->postings ? -1 : p->postings > q->postings;
}

/* ---- whole-query matches in the title and keywords ----
 * An agent presses Enter on the first result: an article whose title or
 * keyword says exactly what was typed ("passeport perdu" -> "Passeport perdu
 * ou volé") must come before one that mentions the words in passing. */

struct qstems {
    char s[QWORDS][GUIDE_WORD_MAX + 1];
    size_t len[QWORDS];
    int n;
    bool last_prefix; /* the last word is being typed: it may be a prefix */
};

/* Does the word [w, w+wl) match query stem k? */
static bool qs_word(const struct qstems *q, int k, const char *w, size_t wl)
{
    if (wl == q->len[k])
        return !memcmp(w, q->s[k], wl);
    return k == q->n - 1 && q->last_prefix && q->len[k] >= 2 && wl > q->len[k] && !memcmp(w, q->s[k], q->len[k]);
}

/* How the query's stems sit in one stem sequence (words separated by one
 * space, ending at end): 3 the sequence is the query, 2 it holds the query
 * as a phrase; found[] gets the query stems it holds. */
static int qs_in(const struct qstems *q, const char *seq, const char *end, bool *found)
{
    const char *w[64];
    size_t wl[64];
    int n = 0, best = 0;
    for (const char *p = seq; p < end && n < 64;) {
        const char *e = memchr(p, ' ', (size_t)(end - p));
        if (!e)
            e = end;
        if (e > p) {
            w[n] = p;
            wl[n++] = (size_t)(e - p);
        }
        p = e + 1;
    }
    for (int i = 0; i < n; i++)
        for (int k = 0; k < q->n; k++)
            if (!found[k] && qs_word(q, k, w[i], wl[i]))
                found[k] = true;
    for (int i = 0; i + q->n <= n && best < 2; i++) {
        int k = 0;
        while (k < q->n && qs_word(q, k, w[i + k], wl[i + k]))
            k++;
        if (k == q->n)
            best = 2;
    }
    return best == 2 && n == q->n ? 3 : best;
}

#define BOOST_EXACT 2.0
#define BOOST_PHRASE 1.6
#define BOOST_COVER 0.4

/* The factor a text's score gets for how its title and keywords match the
 * whole query: exactly (a keyword or the title is the query), as a phrase,
 * or by the share of the query's words they hold. */
static double head_boost(const struct idoc *d, const struct qstems *q)
{
    bool found[QWORDS] = {false};
    int tier = 0;
    if (!q->n)
        return 1.0;
    tier = qs_in(q, d->tstems, d->tstems + strlen(d->tstems), found);
    for (const char *k = d->kstems; *k && tier < 3;) {
        const char *e = strchr(k, '|');
        if (!e)
            e = k + strlen(k);
        int t = qs_in(q, k, e, found);
        if (t > tier)
            tier = t;
        k = *e ? e + 1 : e;
    }
    if (tier == 3)
        return BOOST_EXACT;
    if (tier == 2)
        return BOOST_PHRASE;
    int got = 0;
    for (int k = 0; k < q->n; k++)
        got += found[k];
    return 1.0 + BOOST_COVER * got / q->n;
}

static void qstems_for(int lang, const struct parsed *p, bool all_stop, struct qstems *q)
{
    q->n = 0;
    q->last_prefix = false;
    for (int i = 0; i < p->n && q->n < QWORDS; i++) {
        const struct qword *w = &p->w[i];
        if (w->stop && !all_stop)
            continue;
        q->len[q->n] = text_stem(lang, w->folded, strlen(w->folded), q->s[q->n]);
        if (q->len[q->n])
            q->n++;
        q->last_prefix = w->last;
    }
}

/* Scores the texts of one language; its best `limit` join the candidates
 * (only texts matching every concept when all). */
static int eval_lang(const struct index *ix, int lang, const struct parsed *p, bool all_stop, bool all, int limit, struct cands *c,
                     bool other, bool *every_word)
{
    const struct lindex *li = &ix->lang[lang];
    struct concept_ids cs[QWORDS];
    uint32_t full = 0, ntouched = 0;
    struct scratch *s;
    int nconcepts = 0;

    *every_word = false;
    if (!li->ndocs)
        return 0;
    if (!(s = scratch_get(li->ndocs)))
        return WASL_ENOMEM;
    *every_word = true;
    for (int i = 0; i < p->n; i++) {
        const struct qword *w = &p->w[i];
        if (w->stop && !all_stop)
            continue;
        struct concept_ids *ci = &cs[nconcepts];
        ci->n = concept_terms(ix, li, lang, w, ci->ids);
        if (!ci->n) {
            *every_word = false;
            if (all)
                return 0; /* this language cannot match every word */
            continue;
        }
        ci->postings = 0;
        ci->optional = w->optional;
        for (int k = 0; k < ci->n; k++)
            ci->postings += li->terms[ci->ids[k]].count;
        nconcepts++;
    }
    if (!nconcepts)
        return 0;
    /* Rarest first: when every concept must match, the first one names the
     * only texts that can, and frequent words ("Maroc") are then looked up
     * in those texts alone instead of read whole. */
    if (all)
        qsort(cs, (size_t)nconcepts, sizeof(cs[0]), by_postings);
    uint32_t gen = ++s->gen;
    /* A concept found in most texts ("Maroc", the prefix "co") barely moves
     * the ranking (its idf is near zero) but costs the most to add up or to
     * check: when the query has other words, they decide, and it is not
     * required either. */
    int rare = 0, required = 0;
    for (int ci_i = 0; ci_i < nconcepts; ci_i++) {
        rare += cs[ci_i].postings <= li->ndocs / 2;
        required += !cs[ci_i].optional;
    }
    /* This language knows only such words of the query ("Maroc" of
     * "dienstplicht Marokko" in French): all it could offer is noise. */
    if (!rare && !*every_word)
        return 0;
    for (int ci_i = 0; ci_i < nconcepts; ci_i++) {
        const struct concept_ids *ci = &cs[ci_i];
        uint32_t bit = 1u << (ci_i < 31 ? ci_i : 31), nct = 0;
        if (rare && ci->postings > li->ndocs / 2)
            continue;
        if (!ci->optional || !required)
            full |= bit;
        if (all && ci_i > 0 && ci->postings > (size_t)ntouched * 8) {
            uint32_t kept = 0;
            for (uint32_t k = 0; k < ntouched; k++) {
                uint32_t d = s->touched[k];
                float best = 0;
                bool found = false;
                for (int t = 0; t < ci->n; t++) {
                    const struct posting *po = find_posting(li, &li->terms[ci->ids[t]], d);
                    if (po) {
                        found = true;
                        s->cols[d] |= po->cols;
                        if (po->score > best)
                            best = po->score;
                    }
                }
                if (found) {
                    s->acc[d] += best;
                    s->mask[d] |= bit;
                    s->touched[kept++] = d;
                }
            }
            ntouched = kept;
            continue;
        }
        uint32_t cgen = ++s->gen;
        /* A concept scores once per text: the best of its alternatives. */
        for (int k = 0; k < ci->n; k++) {
            const struct term *t = &li->terms[ci->ids[k]];
            for (uint32_t j = t->start; j < t->start + t->count; j++) {
                const struct posting *po = &li->post[j];
                if (all && ci_i > 0 && s->stamp[po->doc] != gen)
                    continue; /* not a candidate: it lacks an earlier concept */
                if (s->cstamp[po->doc] != cgen) {
                    s->cstamp[po->doc] = cgen;
                    s->cmax[po->doc] = 0;
                    s->ctouched[nct++] = po->doc;
                }
                if (po->score > s->cmax[po->doc])
                    s->cmax[po->doc] = po->score;
                if (s->stamp[po->doc] != gen) {
                    s->stamp[po->doc] = gen;
                    s->acc[po->doc] = 0;
                    s->mask[po->doc] = 0;
                    s->cols[po->doc] = 0;
                    s->touched[ntouched++] = po->doc;
                }
                s->cols[po->doc] |= po->cols;
            }
        }
        for (uint32_t k = 0; k < nct; k++) {
            uint32_t d = s->ctouched[k];
            s->acc[d] += s->cmax[d];
            s->mask[d] |= bit;
        }
    }
    /* The best texts by their words, kept sorted in a small array; then
     * the whole-query boost reorders them. More are kept than asked for, so
     * that a text the boost lifts is not cut before it is boosted. */
    uint32_t best[20];
    int nb = 0;
    limit = limit < 10 ? 10 : limit > 20 ? 20 : limit;
    for (uint32_t k = 0; k < ntouched; k++) {
        uint32_t d = s->touched[k];
        if (all && s->mask[d] != full)
            continue;
        if (nb == limit && s->acc[d] <= s->acc[best[nb - 1]])
            continue;
        int at = nb < limit ? nb++ : nb - 1;
        while (at > 0 && s->acc[best[at - 1]] < s->acc[d]) {
            best[at] = best[at - 1];
            at--;
        }
        best[at] = d;
    }
    struct qstems q;
    qstems_for(lang, p, all_stop, &q);
    for (int k = 0; k < nb && c->n < CANDS_MAX; k++) {
        float score = s->acc[best[k]];
        double adj = score * head_boost(&li->docs[best[k]], &q);
        /* A text in another language must match clearly better to come first. */
        c->c[c->n++] = (struct cand){best[k], lang, score, adj * (other ? 0.75 : 1.0), s->cols[best[k]], other};
    }
    return 0;
}

static const char *cand_slug(const struct index *ix, const struct cand *c)
{
    return ix->lang[c->lang].docs[c->doc].slug;
}

/* Adds the stage's candidates to the answer, best first, one per article;
 * an article found in the asked language is shown in it. */
static void take(const struct index *ix, int asked, struct cands *c, int limit, struct guide_search *out, struct cand *won)
{
    for (int n = 0; n < c->n && out->nhits < limit; n++) {
        int best = -1;
        for (int i = 0; i < c->n; i++)
            if (c->c[i].adj > -1e300 && (best < 0 || c->c[i].adj > c->c[best].adj))
                best = i;
        if (best < 0)
            break;
        const char *slug = cand_slug(ix, &c->c[best]);
        bool dup = false;
        for (int i = 0; i < out->nhits; i++)
            dup |= !strcmp(out->hits[i].slug, slug);
        int pick = best;
        for (int i = 0; i < c->n; i++)
            if (!c->c[i].other && c->c[i].adj > -1e300 && !strcmp(cand_slug(ix, &c->c[i]), slug))
                pick = i;
        if (!dup) {
            struct cand *w = &c->c[pick];
            /* Found in another language, but the asked language has the
             * article too (just not among its best few): show that one. */
            int64_t own = w->other ? lindex_doc(&ix->lang[asked], slug) : -1;
            if (own >= 0) {
                w->lang = asked;
                w->doc = (uint32_t)own;
                w->other = false;
            }
            const struct idoc *doc = &ix->lang[w->lang].docs[w->doc];
            struct guide_hit *h = &out->hits[out->nhits];
            memset(h, 0, sizeof(*h));
            snprintf(h->slug, sizeof(h->slug), "%s", doc->slug);
            snprintf(h->lang, sizeof(h->lang), "%s", wasl_languages[w->lang]);
            snprintf(h->category, sizeof(h->category), "%s", doc->category);
            snprintf(h->title, sizeof(h->title), "%s", doc->title);
            h->outdated = doc->outdated;
            h->score = w->score;
            h->other_language = w->other;
            won[out->nhits++] = *w;
        }
        for (int i = 0; i < c->n; i++)
            if (c->c[i].adj > -1e300 && !strcmp(cand_slug(ix, &c->c[i]), slug))
                c->c[i].adj = -1e301;
    }
}

/* ---- highlights and snippets ---- */

struct marks {
    char words[2 * (CONCEPT_TERMS + PREFIX_TERMS)][GUIDE_WORD_MAX + 1]; /* sorted stems */
    int n;
    char prefix[GUIDE_WORD_MAX + 1]; /* the word being typed, folded */
    int lang;
    /* The first two bytes of every stem: a word that starts otherwise is
     * not stemmed at all (stems of these languages begin as their words
     * do; not Arabic's, whose stemmer takes prefixes off). */
    bool filter;
    uint8_t first2[8192]; /* bitmap over 16 bits */
};

static int cmp_word(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* What to mark in a text of language lang: the query's stems and the words
 * of its synonym phrases, and the prefix being typed. */
static void marks_for(const struct index *ix, const struct parsed *p, int lang, struct marks *m)
{
    const struct lindex *li = &ix->lang[lang];
    uint32_t ids[CONCEPT_TERMS + PREFIX_TERMS];
    const int cap = (int)(sizeof(m->words) / sizeof(m->words[0]));

    m->n = 0;
    m->prefix[0] = '\0';
    m->lang = lang;
    for (int i = 0; i < p->n; i++) {
        const struct qword *w = &p->w[i];
        if (w->last)
            snprintf(m->prefix, sizeof(m->prefix), "%s", w->folded);
        int n = concept_terms(ix, li, lang, w, ids);
        for (int k = 0; k < n; k++) {
            const char *t = li->terms[ids[k]].s;
            if (t[0] == '\x01')
                t++;
            /* A phrase's words are marked one by one. */
            while (*t && m->n < cap) {
                const char *e = strchr(t, ' ');
                size_t l = e ? (size_t)(e - t) : strlen(t);
                snprintf(m->words[m->n++], GUIDE_WORD_MAX + 1, "%.*s", (int)(l < GUIDE_WORD_MAX ? l : GUIDE_WORD_MAX), t);
                t += l + (e ? 1 : 0);
            }
        }
    }
    qsort(m->words, (size_t)m->n, sizeof(m->words[0]), cmp_word);
    memset(m->first2, 0, sizeof(m->first2));
    m->filter = strcmp(language_at(lang)->stemmer, "arabic") != 0;
    for (int i = 0; i < m->n; i++) {
        unsigned k = ((unsigned)(unsigned char)m->words[i][0] << 8) | (unsigned char)m->words[i][1];
        m->first2[k >> 3] |= (uint8_t)(1u << (k & 7));
    }
}

static bool marked(const struct marks *m, const char *folded, size_t flen)
{
    char stem[GUIDE_WORD_MAX + 1];
    size_t pl = strlen(m->prefix);
    if (pl >= 2 && flen >= pl && !memcmp(folded, m->prefix, pl))
        return true;
    if (m->filter && flen >= 1) {
        unsigned k = ((unsigned)(unsigned char)folded[0] << 8) | (flen >= 2 ? (unsigned char)folded[1] : 0);
        /* a one-letter stem is "x\0": its key ends in 0 */
        unsigned k1 = (unsigned)(unsigned char)folded[0] << 8;
        if (!(m->first2[k >> 3] & (1u << (k & 7))) && !(m->first2[k1 >> 3] & (1u << (k1 & 7))))
            return false;
    }
    text_stem(m->lang, folded, flen, stem);
    return m->n && bsearch(stem, m->words, (size_t)m->n, sizeof(m->words[0]), cmp_word);
}

static void add_escaped(struct sbuf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case '<':
            sbuf_adds(b, "&lt;");
            break;
        case '>':
            sbuf_adds(b, "&gt;");
            break;
        case '&':
            sbuf_adds(b, "&amp;");
            break;
        case '"':
            sbuf_adds(b, "&quot;");
            break;
        case '\'':
            sbuf_adds(b, "&#39;");
            break;
        case '\n':
        case '\r':
        case '\t':
            sbuf_add(b, " ", 1);
            break;
        default:
            sbuf_add(b, &s[i], 1);
        }
    }
}

#define SNIP_BEFORE 6
#define SNIP_WORDS 26

struct snip {
    const struct marks *m;
    size_t starts[SNIP_WORDS + SNIP_BEFORE + 1], ends[SNIP_WORDS + SNIP_BEFORE + 1];
    bool hit[SNIP_WORDS + SNIP_BEFORE + 1];
    int n;         /* words kept */
    int first_hit; /* index in the kept words, -1 none yet */
    bool all;      /* keep every word (titles) */
};

static int snip_word(const char *word, size_t n, size_t start, const char *folded, size_t flen, void *arg)
{
    struct snip *sn = arg;
    const int cap = SNIP_WORDS + SNIP_BEFORE;
    bool hit = marked(sn->m, folded, flen);
    (void)word;
    if (sn->first_hit < 0 && !sn->all && sn->n == SNIP_BEFORE && !hit) {
        /* Before the first match only the last few words are kept. */
        memmove(sn->starts, sn->starts + 1, sizeof(size_t) * (SNIP_BEFORE - 1));
        memmove(sn->ends, sn->ends + 1, sizeof(size_t) * (SNIP_BEFORE - 1));
        memmove(sn->hit, sn->hit + 1, sizeof(bool) * (SNIP_BEFORE - 1));
        sn->n--;
    }
    if (sn->n == cap)
        return 1;
    sn->starts[sn->n] = start;
    sn->ends[sn->n] = start + n;
    sn->hit[sn->n] = hit;
    if (hit && sn->first_hit < 0)
        sn->first_hit = sn->n;
    sn->n++;
    return sn->first_hit >= 0 && sn->n - sn->first_hit >= SNIP_WORDS - SNIP_BEFORE ? 1 : 0;
}

/* HTML of text with the marked words in <mark>: the whole text (all), or a
 * window around the first match with "…" where it was cut. */
static void marked_html(const struct marks *m, const char *text, bool all, char *out, size_t outn)
{
    struct snip sn = {m, {0}, {0}, {0}, 0, -1, all};
    struct sbuf b;
    size_t len = strlen(text);

    text_words(text, len, snip_word, &sn);
    sbuf_init(&b, outn - 1);
    if (sn.n == 0) {
        add_escaped(&b, text, len < 200 ? len : 200);
    } else {
        size_t from = all ? 0 : sn.starts[0], to = all ? len : sn.ends[sn.n - 1];
        if (from > 0)
            sbuf_adds(&b, "… ");
        size_t at = from;
        for (int i = 0; i < sn.n; i++) {
            add_escaped(&b, text + at, sn.starts[i] - at);
            if (sn.hit[i])
                sbuf_adds(&b, "<mark>");
            add_escaped(&b, text + sn.starts[i], sn.ends[i] - sn.starts[i]);
            if (sn.hit[i])
                sbuf_adds(&b, "</mark>");
            at = sn.ends[i];
        }
        add_escaped(&b, text + at, to - at);
        if (to < len && !all)
            sbuf_adds(&b, " …");
    }
    if (b.oom) {
        /* Too long for the field: never cut inside a tag, show it plain. */
        sbuf_release(&b);
        sbuf_init(&b, outn - 1);
        add_escaped(&b, text, len < outn / 6 ? len : outn / 6);
    }
    snprintf(out, outn, "%s", b.p ? b.p : "");
    sbuf_release(&b);
}

static void decorate(const struct index *ix, const struct parsed *p, int lang, uint32_t doc, uint8_t cols, struct guide_hit *h)
{
    const struct idoc *d = &ix->lang[lang].docs[doc];
    struct marks *m = malloc(sizeof(*m));
    if (!m) {
        snprintf(h->title_html, sizeof(h->title_html), "%s", "");
        return;
    }
    marks_for(ix, p, lang, m);
    marked_html(m, d->title, true, h->title_html, sizeof(h->title_html));
    /* The summary when it matched (or nothing else did), else the body. */
    marked_html(m, (cols & 2) || !(cols & 4) ? d->summary : d->body, false, h->snippet_html, sizeof(h->snippet_html));
    free(m);
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

/* Is w a word of the language, never to be "corrected"? A word of the
 * guide in any language or of a synonym, a word whose stem the asked
 * language's texts hold ("trage" when they say "tragen"), an everyday word
 * of data/guide/words, a stop word, or a country or people's name. */
static bool known_word(const struct index *ix, int li, const struct qword *w)
{
    char stem[GUIDE_WORD_MAX + 1];
    size_t n = strlen(w->folded);
    if (w->stop || utf8_len(w->folded) < 4 || syn_find(ix, w->folded) || text_is_word(li, w->folded) ||
        entry_nationality(w->folded, NULL))
        return true;
    for (int l = 0; l < wasl_nlanguages; l++)
        if (typo_index_has(ix->typo[l], w->folded, n))
            return true;
    size_t sl = text_stem(li, w->folded, n, stem);
    if (lindex_term(&ix->lang[li], stem, sl) >= 0)
        return true;
    /* The word being typed: the start of a word the texts hold ("Marok"). */
    uint32_t id;
    return w->last && lindex_prefix(&ix->lang[li], w->folded, n, &id, 1) > 0;
}

/* Ranks the texts for the parsed query: entry intent, then texts matching
 * every word (or a synonym of it) first, then texts matching some. The asked
 * language goes first; the others are searched unless it has a clear
 * answer, and the best win with the asked language counting more. */
static int rank(const struct index *ix, struct parsed *p, int li, bool all_stop, int limit, struct guide_search *out,
                struct cand *won, int *full)
{
    int err = 0;
    p->ngroups = 0;
    for (int i = 0; i < p->n; i++)
        p->w[i].ngroups = 0;
    out->entry_intent = false;
    out->nhits = 0;
    match_phrases(ix, p, out);
    for (int g = 0; g < p->ngroups; g++)
        if (is_entry_group(ix->groups[p->groups[g]].name))
            out->entry_intent = true;
    /* "américain" alone asks about Americans coming in; "marocaine" alone
     * ("nationalité marocaine") is about Moroccans, and a country alone
     * ("mon bébé est né en France") about where one lives: not entry. */
    if (out->nationality[0] && strcmp(out->nationality, "MA") && p->nat_people && p->ngroups == 0)
        out->entry_intent = true;
    if (!out->entry_intent && !strcmp(out->nationality, "MA"))
        out->nationality[0] = '\0';
    /* A country outside an entry question is context ("né en France"):
     * texts that do not name it are not left out for that. */
    if (!out->entry_intent && out->nationality[0] && !p->nat_people && p->nat_len < p->n)
        for (int i = p->nat_first; i < p->nat_first + p->nat_len; i++)
            p->w[i].optional = true;
    /* "visa ... américain": the nationality is answered by the entry rule;
     * the texts are found by the other words. */
    if (out->entry_intent && out->nationality[0] && p->nat_len < p->n)
        for (int i = p->nat_first; i < p->nat_first + p->nat_len; i++)
            p->w[i].stop = true;
    int concepts = 0;
    *full = 0;
    for (int i = 0; i < p->n; i++)
        concepts += !p->w[i].stop || all_stop;
    struct cands cs, *c = &cs;
    for (int stage = concepts > 1 ? 0 : 1; !err && stage < 2 && out->nhits < limit; stage++) {
        bool every_word, ignored;
        c->n = 0;
        err = eval_lang(ix, li, p, all_stop, stage == 0, limit, c, false, &every_word);
        /* The asked language has a clear answer when it knows every word of
         * the query and its best text has one in its title or keywords;
         * otherwise the other languages compete. */
        bool clear = every_word && c->n >= limit && (c->c[0].cols & (1 | 8));
        if (!err && !clear)
            for (int l = 0; !err && l < wasl_nlanguages; l++)
                if (l != li)
                    err = eval_lang(ix, l, p, all_stop, stage == 0, limit, c, true, &ignored);
        take(ix, li, c, limit, out, won);
        if (stage == 0)
            *full = out->nhits; /* texts that match every word */
    }
    return err;
}

/* A correction is proposed only when it finds clearly better: its best
 * text scores this much more than the best text of the query as typed. */
#define CORRECTION_GAIN 1.3

static int search_ix(struct index *ix, const char *query, const char *lang, int limit, struct guide_search *out)
{
    struct parsed p, typed;
    int li = text_lang_index(lang), err = 0;
    bool all_stop = true, trailing_space;
    struct cand won[20];

    memset(out, 0, sizeof(*out));
    memset(&p, 0, sizeof(p));
    if (li < 0)
        return err_set_field(WASL_EINVAL, "guide.invalid_language", "lang", "language must be one of %s", languages_list());
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
    /* A separable verb: its particle ends the clause ("wie trage ich die
     * Geburt ein", "hoe schrijf ik de geboorte in"); the verb, the first
     * word that is not a stop word, is searched whole ("eintrage"). */
    if (p.n >= 3 && text_is_particle(li, p.w[p.n - 1].folded)) {
        for (int i = 0; i < p.n - 1; i++) {
            if (p.w[i].stop)
                continue;
            char joined[GUIDE_WORD_MAX * 2 + 2];
            snprintf(joined, sizeof(joined), "%s%s", p.w[p.n - 1].folded, p.w[i].folded);
            if (strlen(joined) <= GUIDE_WORD_MAX) {
                memcpy(p.w[i].folded, joined, strlen(joined) + 1);
                p.w[p.n - 1].stop = true;
                p.w[p.n - 1].last = false;
            }
            break;
        }
    }
    typed = p;
    /* Misspellings: a word that is no word of the language is replaced by
     * the nearest word of the guide in the asked language (a word being
     * typed only once it is long enough to be a whole word). */
    struct sbuf cq;
    bool corrected = false;
    sbuf_init(&cq, sizeof(out->corrected_query) - 1);
    for (int i = 0; i < p.n; i++) {
        struct qword *w = &p.w[i];
        char best[GUIDE_WORD_MAX + 1];
        bool fixed = false;
        if (guide_cfg.typo && (!w->last || utf8_len(w->folded) >= 5) && !known_word(ix, li, w))
            fixed = typo_index_best(ix->typo[li], w->folded, strlen(w->folded), best);
        if (fixed) {
            snprintf(w->folded, sizeof(w->folded), "%s", best);
            corrected = true;
        }
        if (cq.len)
            sbuf_add(&cq, " ", 1);
        sbuf_adds(&cq, fixed ? best : w->orig);
    }
    if (corrected)
        snprintf(out->corrected_query, sizeof(out->corrected_query), "%s", cq.p ? cq.p : "");
    sbuf_release(&cq);
    int full = 0, full_typed = 0;
    err = rank(ix, corrected ? &p : &typed, li, all_stop, limit, out, won, &full);
    if (!err && corrected) {
        /* Keep the correction only if it finds clearly better than the
         * words as typed; else answer the words as typed, with no "did you
         * mean". */
        struct guide_search *as_typed = malloc(sizeof(*as_typed));
        struct cand *won2 = malloc(sizeof(struct cand) * 20);
        if (!as_typed || !won2) {
            free(as_typed);
            free(won2);
            return WASL_ENOMEM;
        }
        memcpy(as_typed, out, offsetof(struct guide_search, nhits));
        err = rank(ix, &typed, li, all_stop, limit, as_typed, won2, &full_typed);
        /* Better: texts that hold every word where the words as typed have
         * none, or a first text that scores clearly more. */
        bool better = out->nhits && (!as_typed->nhits || (full && !full_typed) ||
                                     out->hits[0].score >= CORRECTION_GAIN * as_typed->hits[0].score);
        if (!err && better) {
            out->corrected = true;
        } else if (!err) {
            memcpy(out, as_typed, result_size(as_typed->nhits));
            out->corrected = false;
            out->corrected_query[0] = '\0';
            memcpy(won, won2, sizeof(struct cand) * 20);
            p = typed;
        }
        free(as_typed);
        free(won2);
    } else {
        p = typed;
    }
    for (int i = 0; !err && i < out->nhits; i++)
        decorate(ix, &p, won[i].lang, won[i].doc, won[i].cols, &out->hits[i]);
    return err;
}

/* ---- the cache ----
 * Agents ask the same things all day, and typing repeats prefixes: answers
 * are remembered per index build, direct-mapped by a hash of the query. */

struct centry {
    uint64_t serial; /* index build; 0 empty */
    uint64_t hash;
    char key[GUIDE_QUERY_MAX + 16];
    struct guide_search *res; /* sized to its hits */
};

static struct centry *cache;
static int cache_slots;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

static size_t result_size(int nhits)
{
    return offsetof(struct guide_search, hits) + sizeof(struct guide_hit) * (size_t)nhits;
}

static uint64_t key_of(const char *query, const char *lang, int limit, char *key, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    snprintf(key, n, "%s:%d:%s", lang, limit, query);
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h;
}

static bool cache_get(const struct index *ix, uint64_t h, const char *key, struct guide_search *out)
{
    bool hit = false;
    if (!cache_slots)
        return false;
    pthread_mutex_lock(&cache_lock);
    struct centry *e = &cache[h % (uint64_t)cache_slots];
    if (e->serial == ix->serial && e->hash == h && !strcmp(e->key, key)) {
        memcpy(out, e->res, result_size(e->res->nhits));
        hit = true;
    }
    pthread_mutex_unlock(&cache_lock);
    return hit;
}

static void cache_put(const struct index *ix, uint64_t h, const char *key, const struct guide_search *res)
{
    struct guide_search *copy;
    if (!cache_slots || !(copy = malloc(result_size(res->nhits))))
        return;
    memcpy(copy, res, result_size(res->nhits));
    pthread_mutex_lock(&cache_lock);
    struct centry *e = &cache[h % (uint64_t)cache_slots];
    free(e->res);
    e->serial = ix->serial;
    e->hash = h;
    snprintf(e->key, sizeof(e->key), "%s", key);
    e->res = copy;
    pthread_mutex_unlock(&cache_lock);
}

void guide_cache_setup(int slots)
{
    pthread_mutex_lock(&cache_lock);
    for (int i = 0; i < cache_slots; i++)
        free(cache[i].res);
    free(cache);
    cache = slots > 0 ? calloc((size_t)slots, sizeof(*cache)) : NULL;
    cache_slots = cache ? slots : 0;
    pthread_mutex_unlock(&cache_lock);
}

static int search_cached(struct index *ix, const char *query, const char *lang, int limit, struct guide_search *out)
{
    char key[GUIDE_QUERY_MAX + 16];
    uint64_t h;
    int err;

    if (strlen(query) > GUIDE_QUERY_MAX || limit < 1 || limit > 20)
        return search_ix(ix, query, lang, limit, out);
    h = key_of(query, lang, limit, key, sizeof(key));
    if (cache_get(ix, h, key, out))
        return 0;
    err = search_ix(ix, query, lang, limit, out);
    if (!err)
        cache_put(ix, h, key, out);
    return err;
}

int guide_search_index(const char *query, const char *lang, int limit, struct guide_search *out)
{
    struct index *ix = index_acquire(NULL);
    int err;
    if (!ix)
        return err_set(WASL_EDB, "guide.no_index", "the search index is not built");
    err = search_cached(ix, query, lang, limit, out);
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
    err = search_cached(ix, query, lang, limit, out);
    index_release(ix);
    if (!err && log && out->query[0])
        err = searchlog_add(db, out, role, &out->log_id);
    return err;
}
