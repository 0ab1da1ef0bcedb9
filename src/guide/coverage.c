/*
 * Coverage of the guide per language and the translation queue: what the
 * editors' panel shows. Both are folds over guide_articles_list(), so a
 * language's state here is exactly the one the translation table shows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guide_int.h"

static int count_h(const struct guide_summary *s, void *arg)
{
    struct guide_coverage *out = arg;
    for (int i = 0; i < wasl_nlanguages; i++) {
        const struct guide_lang_state *l = &s->langs[i];
        out[i].articles++;
        if (l->published)
            out[i].published++;
        else
            out[i].missing++;
        if (l->published && l->outdated)
            out[i].outdated++;
        if (l->latest && !strcmp(l->latest_status, "review"))
            out[i].pending++;
    }
    return 0;
}

int guide_coverage(struct db *db, struct guide_coverage *out)
{
    memset(out, 0, sizeof(*out) * (size_t)wasl_nlanguages);
    for (int i = 0; i < wasl_nlanguages; i++)
        snprintf(out[i].lang, sizeof(out[i].lang), "%s", wasl_languages[i]);
    return guide_articles_list(db, NULL, NULL, count_h, out);
}

struct queue {
    int li;
    struct guide_summary *items;
    size_t n, cap;
};

static int collect_h(const struct guide_summary *s, void *arg)
{
    struct queue *q = arg;
    int si = text_lang_index(s->a.source_language);
    const struct guide_lang_state *l = &s->langs[q->li];
    /* Nothing to translate from, the source itself, or up to date. */
    if (si < 0 || si == q->li || !s->langs[si].published || (l->published && !l->outdated))
        return 0;
    if (q->n == q->cap) {
        size_t cap = q->cap ? 2 * q->cap : 32;
        struct guide_summary *p = realloc(q->items, cap * sizeof(*p));
        if (!p)
            return WASL_ENOMEM;
        q->items = p;
        q->cap = cap;
    }
    q->items[q->n++] = *s;
    return 0;
}

static const char *source_on(const struct guide_summary *s)
{
    return s->langs[text_lang_index(s->a.source_language)].in_force_on;
}

static int cmp_oldest(const void *a, const void *b)
{
    const struct guide_summary *x = a, *y = b;
    int c = strcmp(source_on(x), source_on(y));
    return c ? c : strcmp(x->a.slug, y->a.slug);
}

int guide_translation_queue(struct db *db, const char *lang, guide_queue_h h, void *arg)
{
    struct queue q = {text_lang_index(lang ? lang : ""), NULL, 0, 0};
    int err;

    if (!lang || q.li < 0)
        return err_set_field(WASL_EINVAL, "guide.invalid_language", "lang", "language must be one of %s", languages_list());
    /* Titles in the translator's language when there is one, else the source's. */
    if ((err = guide_articles_list(db, NULL, lang, collect_h, &q)))
        goto out;
    if (q.n)
        qsort(q.items, q.n, sizeof(*q.items), cmp_oldest);
    for (size_t i = 0; i < q.n && !err; i++) {
        const struct guide_summary *s = &q.items[i];
        const struct guide_lang_state *l = &s->langs[q.li], *src = &s->langs[text_lang_index(s->a.source_language)];
        bool under_way = l->latest > l->published && strcmp(l->latest_status, "published");
        struct guide_queue_item it = {
            s,
            l->published ? "outdated" : "missing",
            src->in_force_on,
            src->published,
            l->published,
            under_way ? l->latest_status : "",
            under_way ? l->latest : 0,
        };
        err = h(&it, arg);
    }
out:
    free(q.items);
    return err;
}
