/*
 * Cross-references between articles. A body names another article as
 * [[slug]]: plain text that Markdown and its safe mode leave alone, so it
 * survives sanitising and the article files stay readable. At render time
 * each one becomes a Markdown link to the agents' article view, titled in
 * the reader's language (or the source language, marked, when the target has
 * no translation in force); the view then shows its usual fallback notice.
 * A new version linking an unknown slug is refused; a link whose target has
 * nothing in force renders as flagged text, never as a dead link.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guide_int.h"

#define LINKS_MAX 100 /* cross-references in one body */

static bool slug_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-';
}

/* Length of the [[slug]] token at p (0: not one); the slug is p+2, n-4 bytes. */
static size_t link_at(const char *p)
{
    if (p[0] != '[' || p[1] != '[')
        return 0;
    size_t n = 2;
    while (slug_char(p[n]) && n < 2 + 79)
        n++;
    if (n < 4 || p[n] != ']' || p[n + 1] != ']')
        return 0;
    return n + 2;
}

static bool article_exists(struct db_conn *c, const char *slug, int *err)
{
    struct db_stmt *s = NULL;
    bool found = false;
    if (!(*err = db_query(c, &s, "SELECT 1 FROM guide_articles WHERE slug = ?", DBP(DB_S(slug)))))
        found = db_next(s);
    int e2 = db_end(s);
    if (!*err)
        *err = e2;
    return found;
}

int guide_links_check(struct db_conn *c, const char *self, const char *body)
{
    int n = 0, err = 0;
    for (const char *p = body ? strstr(body, "[[") : NULL; p; p = strstr(p + 1, "[[")) {
        size_t len = link_at(p);
        if (!len)
            continue;
        if (++n > LINKS_MAX)
            return err_set_field(WASL_ELIMIT, "guide.too_many_links", "body", "a body may link at most %d articles", LINKS_MAX);
        char slug[80];
        snprintf(slug, sizeof(slug), "%.*s", (int)(len - 4), p + 2);
        if (self && !strcmp(slug, self))
            continue;
        if (!article_exists(c, slug, &err) && !err)
            return err_set_field(WASL_EINVAL, "guide.unknown_link", "body", "the body links [[%s]], and no article has that slug",
                                 slug);
        if (err)
            return err;
    }
    return 0;
}

/* Markdown text of s with every ASCII punctuation escaped. */
static void add_escaped(struct sbuf *b, const char *s)
{
    for (; *s; s++) {
        if (strchr("\\`*_{}[]()#+-.!<>&|~\"'", *s))
            sbuf_add(b, "\\", 1);
        sbuf_add(b, s, 1);
    }
}

/* Appends the Markdown for [[slug]] read in lang. */
static int expand(struct db_conn *c, struct sbuf *b, const char *slug, const char *lang, const char *today)
{
    struct db_stmt *s = NULL;
    int err = db_query(c, &s,
                       "SELECT v.lang, v.title FROM guide_articles a JOIN guide_versions v ON v.article_id = a.id "
                       "WHERE a.slug = ? AND v.status = 'published' AND v.effective_on <= ? "
                       "AND (v.lang = ? OR v.lang = a.source_language) ORDER BY v.lang = ? DESC, v.version DESC LIMIT 1",
                       DBP(DB_S(slug), DB_S(today), DB_S(lang), DB_S(lang)));
    if (!err && db_next(s)) {
        const char *tl = db_text(s, 0);
        sbuf_add(b, "[", 1);
        add_escaped(b, db_text(s, 1));
        if (strcmp(tl, lang))
            sbuf_addf(b, " (%s)", tl);
        sbuf_addf(b, "](#/guide/article?slug=%s&lang=%s)", slug, lang);
    } else if (!err) {
        /* Unknown, or nothing in force: flagged, not a dead link. */
        sbuf_addf(b, "\\[\\[%s\\]\\] \u26a0", slug);
    }
    int e2 = db_end(s);
    return err ? err : e2;
}

int guide_render_body(struct db *db, const char *body, const char *lang, char **html)
{
    struct db_conn *c = NULL;
    struct sbuf b;
    char today[12];
    int err = 0;

    *html = NULL;
    if (!body)
        body = "";
    if (!strstr(body, "[[")) /* the common case: nothing to resolve */
        return (*html = guide_render_markdown(body)) ? 0 : WASL_ENOMEM;
    guide_today(today);
    sbuf_init(&b, 2 * GUIDE_BODY_MAX + 64 * 1024);
    if ((err = db_conn_get(db, &c)))
        goto out;
    int n = 0;
    const char *p = body;
    for (const char *q = strstr(p, "[["); q; q = strstr(q, "[[")) {
        size_t len = link_at(q);
        if (!len || ++n > LINKS_MAX) {
            q++;
            continue;
        }
        char slug[80];
        snprintf(slug, sizeof(slug), "%.*s", (int)(len - 4), q + 2);
        sbuf_add(&b, p, (size_t)(q - p));
        if ((err = expand(c, &b, slug, lang && language_valid(lang) ? lang : "", today)))
            goto out;
        p = q = q + len;
    }
    sbuf_adds(&b, p);
    if (b.oom) {
        err = err_set(WASL_ELIMIT, "guide.body_too_large", "the body with its links resolved is too large");
        goto out;
    }
    char *md = sbuf_take(&b);
    *html = md ? guide_render_markdown(md) : NULL;
    free(md);
    if (!*html)
        err = WASL_ENOMEM;
out:
    if (c)
        db_conn_put(c);
    sbuf_release(&b);
    return err;
}
