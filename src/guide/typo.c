/*
 * Typo tolerance: the known word nearest to a misspelt one. A symmetric
 * deletion index (each known word stored under itself and its spellings
 * with one, or for long words two, characters deleted) turns "which known
 * words are within k edits" into a few hash look-ups, verified with a
 * bounded Damerau-Levenshtein distance. Works on code points, so Arabic
 * letters count as one character each.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "guide_int.h"

#define MAXCP GUIDE_WORD_MAX

struct slot {
    uint32_t hash;
    uint32_t key;  /* offset of the key in the pool, +1 (0: empty) */
    uint32_t word; /* word index */
};

struct typo_index {
    char **words;
    uint32_t *freq;
    uint32_t nwords, capw;
    struct slot *slots; /* open addressing; several slots may share a key */
    size_t nslots, used;
    struct slot *wslots; /* word -> index */
    size_t nwslots, wused;
    char *pool;
    size_t pool_len, pool_cap;
};

static uint32_t fnv(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h ? h : 1;
}

int typo_index_new(struct typo_index **out)
{
    struct typo_index *t = calloc(1, sizeof(*t));
    if (!t)
        return WASL_ENOMEM;
    *out = t;
    return 0;
}

void typo_index_free(struct typo_index *t)
{
    if (!t)
        return;
    for (uint32_t i = 0; i < t->nwords; i++)
        free(t->words[i]);
    free(t->words);
    free(t->freq);
    free(t->slots);
    free(t->wslots);
    free(t->pool);
    free(t);
}

static int pool_add(struct typo_index *t, const char *s, size_t n, uint32_t *off)
{
    if (t->pool_len + n + 1 > t->pool_cap) {
        size_t cap = t->pool_cap ? t->pool_cap * 2 : 65536;
        while (cap < t->pool_len + n + 1)
            cap *= 2;
        if (cap > UINT32_MAX)
            return WASL_ELIMIT;
        char *p = realloc(t->pool, cap);
        if (!p)
            return WASL_ENOMEM;
        t->pool = p;
        t->pool_cap = cap;
    }
    memcpy(t->pool + t->pool_len, s, n);
    t->pool[t->pool_len + n] = '\0';
    *off = (uint32_t)t->pool_len + 1;
    t->pool_len += n + 1;
    return 0;
}

static int grow(struct slot **slots, size_t *nslots, size_t used)
{
    size_t n = *nslots ? *nslots * 2 : 4096;
    struct slot *s;
    if (used * 2 < *nslots)
        return 0;
    if (!(s = calloc(n, sizeof(*s))))
        return WASL_ENOMEM;
    for (size_t i = 0; i < *nslots; i++) {
        struct slot *o = &(*slots)[i];
        if (!o->key)
            continue;
        size_t k = o->hash & (n - 1);
        while (s[k].key)
            k = (k + 1) & (n - 1);
        s[k] = *o;
    }
    free(*slots);
    *slots = s;
    *nslots = n;
    return 0;
}

static const char *key_of(const struct typo_index *t, const struct slot *s)
{
    return t->pool + s->key - 1;
}

/* Adds key -> word unless that exact pair is there already. */
static int put(struct typo_index *t, const char *key, size_t n, uint32_t word)
{
    uint32_t h = fnv(key, n), off;
    size_t k;
    int err;

    if ((err = grow(&t->slots, &t->nslots, t->used)))
        return err;
    k = h & (t->nslots - 1);
    for (; t->slots[k].key; k = (k + 1) & (t->nslots - 1)) {
        struct slot *s = &t->slots[k];
        if (s->hash == h && s->word == word && strlen(key_of(t, s)) == n && memcmp(key_of(t, s), key, n) == 0)
            return 0;
    }
    if ((err = pool_add(t, key, n, &off)))
        return err;
    t->slots[k] = (struct slot){h, off, word};
    t->used++;
    return 0;
}

static int64_t find_word(const struct typo_index *t, const char *w, size_t n)
{
    uint32_t h = fnv(w, n);
    if (!t->nwslots)
        return -1;
    for (size_t k = h & (t->nwslots - 1); t->wslots[k].key; k = (k + 1) & (t->nwslots - 1)) {
        const struct slot *s = &t->wslots[k];
        const char *word = t->words[s->word];
        if (s->hash == h && strlen(word) == n && memcmp(word, w, n) == 0)
            return s->word;
    }
    return -1;
}

static int to_cps(const char *s, size_t n, utf8proc_int32_t *cps)
{
    int k = 0;
    for (size_t i = 0; i < n && k < MAXCP;) {
        utf8proc_ssize_t step = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &cps[k]);
        if (step <= 0)
            return -1;
        i += (size_t)step;
        k++;
    }
    return k;
}

static size_t from_cps(const utf8proc_int32_t *cps, int n, int skip1, int skip2, char *out)
{
    size_t len = 0;
    for (int i = 0; i < n; i++)
        if (i != skip1 && i != skip2)
            len += (size_t)utf8proc_encode_char(cps[i], (utf8proc_uint8_t *)out + len);
    out[len] = '\0';
    return len;
}

/* Calls fn with word itself and its deletions up to depth (1 or 2). */
typedef int (*variant_h)(const char *v, size_t n, void *arg);
static int variants(const char *w, size_t n, int depth, variant_h fn, void *arg)
{
    utf8proc_int32_t cps[MAXCP];
    char buf[MAXCP * 4 + 1];
    int len = to_cps(w, n, cps), err;

    if (len < 0)
        return 0;
    if ((err = fn(w, n, arg)))
        return err;
    for (int i = 0; depth >= 1 && i < len; i++) {
        if (i > 0 && cps[i] == cps[i - 1])
            continue; /* same deletion as the one before */
        size_t l = from_cps(cps, len, i, -1, buf);
        if ((err = fn(buf, l, arg)))
            return err;
        for (int j = i + 1; depth >= 2 && j < len; j++) {
            l = from_cps(cps, len, i, j, buf);
            if ((err = fn(buf, l, arg)))
                return err;
        }
    }
    return 0;
}

static int depth_for(const char *w, size_t n)
{
    int cps = (int)utf8proc_decompose((const utf8proc_uint8_t *)w, (utf8proc_ssize_t)n, NULL, 0, 0);
    return cps >= 8 ? 2 : cps >= 4 ? 1 : 0;
}

struct add_ctx {
    struct typo_index *t;
    uint32_t word;
};

static int add_variant(const char *v, size_t n, void *arg)
{
    struct add_ctx *a = arg;
    return put(a->t, v, n, a->word);
}

int typo_index_add(struct typo_index *t, const char *word, size_t n)
{
    int64_t found = find_word(t, word, n);
    int err;

    if (found >= 0) {
        t->freq[found]++;
        return 0;
    }
    if (t->nwords == t->capw) {
        uint32_t cap = t->capw ? t->capw * 2 : 1024;
        char **w = realloc(t->words, cap * sizeof(*w));
        if (!w)
            return WASL_ENOMEM;
        t->words = w;
        uint32_t *f = realloc(t->freq, cap * sizeof(*f));
        if (!f)
            return WASL_ENOMEM;
        t->freq = f;
        t->capw = cap;
    }
    if ((err = grow(&t->wslots, &t->nwslots, t->wused)))
        return err;
    if (!(t->words[t->nwords] = strndup(word, n)))
        return WASL_ENOMEM;
    t->freq[t->nwords] = 1;
    uint32_t h = fnv(word, n);
    size_t k = h & (t->nwslots - 1);
    while (t->wslots[k].key)
        k = (k + 1) & (t->nwslots - 1);
    t->wslots[k] = (struct slot){h, 1, t->nwords};
    t->wused++;
    struct add_ctx a = {t, t->nwords++};
    return variants(word, n, depth_for(word, n), add_variant, &a);
}

bool typo_index_has(const struct typo_index *t, const char *word, size_t n)
{
    return t && find_word(t, word, n) >= 0;
}

int text_distance(const char *a, size_t an, const char *b, size_t bn, int max)
{
    utf8proc_int32_t x[MAXCP], y[MAXCP];
    int n = to_cps(a, an, x), m = to_cps(b, bn, y);
    int d[MAXCP + 1][MAXCP + 1];

    if (n < 0 || m < 0)
        return max + 1;
    if (abs(n - m) > max)
        return max + 1;
    for (int i = 0; i <= n; i++)
        d[i][0] = i;
    for (int j = 0; j <= m; j++)
        d[0][j] = j;
    for (int i = 1; i <= n; i++) {
        int row_min = max + 1;
        for (int j = 1; j <= m; j++) {
            int cost = x[i - 1] != y[j - 1];
            int v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v)
                v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && x[i - 1] == y[j - 2] && x[i - 2] == y[j - 1] && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1; /* swapped neighbours */
            d[i][j] = v;
            if (v < row_min)
                row_min = v;
        }
        if (row_min > max)
            return max + 1;
    }
    return d[n][m];
}

struct best_ctx {
    const struct typo_index *t;
    const char *q;
    size_t qn;
    int max;
    int64_t best;
    int best_d;
    double best_cost;
};

static int check_variant(const char *v, size_t n, void *arg)
{
    struct best_ctx *b = arg;
    const struct typo_index *t = b->t;
    uint32_t h = fnv(v, n);

    if (!t->nslots)
        return 0;
    for (size_t k = h & (t->nslots - 1); t->slots[k].key; k = (k + 1) & (t->nslots - 1)) {
        const struct slot *s = &t->slots[k];
        const char *key = key_of(t, s);
        if (s->hash != h || strlen(key) != n || memcmp(key, v, n) != 0)
            continue;
        const char *w = t->words[s->word];
        int d = text_distance(b->q, b->qn, w, strlen(w), b->max);
        if (d > b->max || d == 0)
            continue;
        /* The likeliest word: fewer edits, and among near ones the far more
         * frequent ("pasport" is "passeport", said hundreds of times, not
         * "passport" of a link). */
        double cost = d - 0.6 * log10((double)t->freq[s->word]);
        if (b->best < 0 || cost < b->best_cost)
            b->best = s->word, b->best_d = d, b->best_cost = cost;
    }
    return 0;
}

bool typo_index_best(const struct typo_index *t, const char *word, size_t n, char *out)
{
    int depth = depth_for(word, n);
    /* Words of 6-7 letters are looked up with one deletion but may be two
     * edits from a longer known word, whose two-deletion keys are stored
     * ("volmagt" -> "volmacht"). */
    int cps = (int)utf8proc_decompose((const utf8proc_uint8_t *)word, (utf8proc_ssize_t)n, NULL, 0, 0);
    struct best_ctx b = {t, word, n, cps >= 6 ? 2 : depth, -1, 99, 0};

    if (!t || depth == 0)
        return false;
    variants(word, n, depth, check_variant, &b);
    if (b.best < 0)
        return false;
    snprintf(out, GUIDE_WORD_MAX + 1, "%s", t->words[b.best]);
    return true;
}
