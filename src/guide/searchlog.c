/*
 * The search log and the gaps report. Agents' searches are stored without
 * personal data (no user, long digit runs and e-mail addresses blanked), so
 * editors can see what the guide fails to answer: searches that found
 * nothing, and searches whose results nobody opened.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "guide_int.h"

void searchlog_scrub(const char *q, char *out, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; q[i] && k + 1 < n;) {
        /* An e-mail address: the word around an '@'. */
        if (q[i] != ' ' && strchr(q + i, '@')) {
            size_t j = i;
            while (q[j] && q[j] != ' ')
                j++;
            if (memchr(q + i, '@', j - i)) {
                const char *mark = "[email]";
                for (const char *m = mark; *m && k + 1 < n; m++)
                    out[k++] = *m;
                i = j;
                continue;
            }
        }
        /* Four digits or more (phone, ID, passport, case numbers). */
        if (isdigit((unsigned char)q[i])) {
            size_t j = i;
            while (isdigit((unsigned char)q[j]) ||
                   ((q[j] == ' ' || q[j] == '.' || q[j] == '-') && isdigit((unsigned char)q[j + 1])))
                j++;
            size_t digits = 0;
            for (size_t x = i; x < j; x++)
                digits += isdigit((unsigned char)q[x]) != 0;
            if (digits >= 4) {
                const char *mark = "[number]";
                for (const char *m = mark; *m && k + 1 < n; m++)
                    out[k++] = *m;
                i = j;
                continue;
            }
            while (i < j && k + 1 < n)
                out[k++] = q[i++];
            continue;
        }
        out[k++] = q[i++];
    }
    out[k] = '\0';
}

int searchlog_add(struct db *db, const struct guide_search *s, const char *role, int64_t *id)
{
    char q[GUIDE_QUERY_MAX + 16];
    struct db_conn *c;
    int err;

    searchlog_scrub(s->query, q, sizeof(q));
    if ((err = db_conn_get(db, &c)))
        return err;
    err = db_query_int(c, id, "INSERT INTO guide_search_log (at, lang, query, results, role) VALUES (?, ?, ?, ?, ?) RETURNING id",
                       DBP(DB_I(clock_now()), DB_S(s->lang), DB_S(q), DB_I(s->nhits), DB_S(role ? role : "")));
    db_conn_put(c);
    return err;
}

int guide_search_opened(struct db *db, int64_t log_id, const char *slug)
{
    struct db_conn *c;
    int err;
    if ((err = db_conn_get(db, &c)))
        return err;
    err = db_exec(c, "UPDATE guide_search_log SET opened = ? WHERE id = ? AND opened IS NULL", DBP(DB_S(slug), DB_I(log_id)));
    if (!err && db_changes(c) == 0)
        err = err_set(WASL_ENOENT, "guide.search_not_found", "no such search, or an article was already recorded for it");
    db_conn_put(c);
    return err;
}

int guide_search_log_purge(struct db_conn *c, int64_t before, int64_t *n)
{
    int err = db_exec(c, "DELETE FROM guide_search_log WHERE at < ?", DBP(DB_I(before)));
    *n = err ? 0 : db_changes(c);
    return err;
}

int guide_gaps(struct db *db, const char *kind, int64_t since, int max, guide_gap_h h, void *arg)
{
    struct db_conn *c;
    struct db_stmt *s = NULL;
    int err;
    bool zero = !strcmp(kind, "zero");

    if (!zero && strcmp(kind, "unopened"))
        return err_set_field(WASL_EINVAL, "guide.invalid_parameter", "kind", "kind must be zero or unopened");
    if ((err = db_conn_get(db, &c)))
        return err;
    /* Grouped by the query as typed, case aside: the same question asked in
     * slightly different ways stays separate, which is what editors read. */
    err = db_query(c, &s,
                   zero ? "SELECT LOWER(query), lang, COUNT(*), MIN(results), SUM(CASE WHEN opened IS NULL THEN 0 ELSE 1 END), "
                          "MAX(at) FROM guide_search_log WHERE at >= ? AND results = 0 GROUP BY LOWER(query), lang "
                          "ORDER BY COUNT(*) DESC, MAX(at) DESC LIMIT ?"
                        : "SELECT LOWER(query), lang, COUNT(*), MAX(results), SUM(CASE WHEN opened IS NULL THEN 0 ELSE 1 END), "
                          "MAX(at) FROM guide_search_log WHERE at >= ? AND results > 0 GROUP BY LOWER(query), lang "
                          "HAVING SUM(CASE WHEN opened IS NULL THEN 0 ELSE 1 END) = 0 "
                          "ORDER BY COUNT(*) DESC, MAX(at) DESC LIMIT ?",
                   DBP(DB_I(since), DB_I(max)));
    while (!err && db_next(s)) {
        struct guide_gap g;
        memset(&g, 0, sizeof(g));
        snprintf(g.query, sizeof(g.query), "%s", db_text(s, 0));
        snprintf(g.lang, sizeof(g.lang), "%s", db_text(s, 1));
        g.searches = (int)db_int(s, 2);
        g.results = (int)db_int(s, 3);
        g.opened = (int)db_int(s, 4);
        g.last_at = db_int(s, 5);
        err = h(&g, arg);
    }
    int err2 = s ? db_end(s) : 0;
    db_conn_put(c);
    return err ? err : err2;
}
