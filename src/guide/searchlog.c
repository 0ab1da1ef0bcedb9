/*
 * The search log and the gaps report. Agents' searches are stored without
 * the user, long digit runs and e-mail addresses blanked, and the rest
 * (which may still name a citizen) sealed with the personal-data key and
 * grouped by a keyed hash, so editors can see what the guide fails to
 * answer: searches that found nothing, and searches whose results nobody
 * opened.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
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

static const struct guide_sealer *sealer;

void guide_search_log_sealer(const struct guide_sealer *s)
{
    sealer = s;
}

/* The keyed hash of a query's lower-case form: the gaps report's groups. */
static void query_hash(const char *q, char hash[65])
{
    char low[GUIDE_QUERY_MAX + 16];
    size_t k = 0;
    for (; q[k] && k < sizeof(low) - 1; k++)
        low[k] = (char)tolower((unsigned char)q[k]);
    low[k] = '\0';
    sealer->hash("search", low, hash);
}

char *guide_search_log_key(const char *query)
{
    char hash[65];
    if (!sealer)
        return NULL;
    query_hash(query, hash);
    return strdup(hash);
}

/* The scrubbed query sealed, and its hash; without a sealer, neither: the
 * text is not kept. */
static int seal_query(const char *q, unsigned char **blob, size_t *n, char hash[65])
{
    *blob = NULL;
    *n = 0;
    hash[0] = '\0';
    if (!sealer)
        return 0;
    query_hash(q, hash);
    return sealer->seal(q, blob, n);
}

int searchlog_add(struct db *db, const struct guide_search *s, const char *role, int64_t *id)
{
    char q[GUIDE_QUERY_MAX + 16], hash[65];
    unsigned char *b = NULL;
    size_t n = 0;
    struct db_conn *c;
    int err;

    /* A search the entry card answered (a nationality in an entry
     * question) is no gap of the guide: the card counts as a result and as
     * what the search led to, "entry-rule:XX" (an article opened after it
     * replaces that). */
    bool card = s->entry_intent && s->nationality[0];
    char opened[32];
    snprintf(opened, sizeof(opened), "entry-rule:%s", s->nationality);
    searchlog_scrub(s->query, q, sizeof(q));
    if ((err = seal_query(q, &b, &n, hash)))
        return err;
    if (!(err = db_conn_get(db, &c))) {
        err = db_query_int(c, id,
                           "INSERT INTO guide_search_log (at, lang, query, query_enc, query_hash, results, opened, role) "
                           "VALUES (?, ?, '', ?, ?, ?, ?, ?) RETURNING id",
                           DBP(DB_I(clock_now()), DB_S(s->lang), b ? DB_B(b, n) : DB_NULL, DB_S(hash[0] ? hash : NULL),
                               DB_I(s->nhits + (card ? 1 : 0)), card ? DB_S(opened) : DB_NULL, DB_S(role ? role : "")));
        db_conn_put(c);
    }
    free(b);
    return err;
}

int guide_search_opened(struct db *db, int64_t log_id, const char *slug)
{
    struct db_conn *c;
    int err;
    if ((err = db_conn_get(db, &c)))
        return err;
    err = db_exec(c, "UPDATE guide_search_log SET opened = ? WHERE id = ? AND (opened IS NULL OR opened LIKE 'entry-rule:%')",
                  DBP(DB_S(slug), DB_I(log_id)));
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

/* The text of a group of searches: its newest row's query, unsealed
 * (a row from before 0013 not sealed yet holds it in clear). */
static int gap_query(struct db_conn *c, int64_t id, struct guide_gap *g)
{
    struct db_stmt *s = NULL;
    char *plain = NULL;
    int err = db_query(c, &s, "SELECT query, query_enc FROM guide_search_log WHERE id = ?", DBP(DB_I(id)));
    if (!err && db_next(s)) {
        size_t n;
        const void *b = db_blob(s, 1, &n);
        if (b && n && sealer)
            err = sealer->unseal(b, n, &plain);
        snprintf(g->query, sizeof(g->query), "%s", plain ? plain : b ? "" : db_text(s, 0));
    }
    int err2 = db_end(s);
    free(plain);
    for (char *p = g->query; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return err ? err : err2;
}

int guide_gaps(struct db *db, const char *kind, int64_t since, int max, guide_gap_h h, void *arg)
{
    struct db_conn *c;
    struct db_stmt *s = NULL;
    struct guide_gap *gaps;
    int64_t *ids;
    int n = 0, err;
    bool zero = !strcmp(kind, "zero");

    if (!zero && strcmp(kind, "unopened"))
        return err_set_field(WASL_EINVAL, "guide.invalid_parameter", "kind", "kind must be zero or unopened");
    if (max < 1)
        return 0;
    gaps = calloc((size_t)max, sizeof(*gaps));
    ids = calloc((size_t)max, sizeof(*ids));
    if (!gaps || !ids) {
        free(gaps);
        free(ids);
        return WASL_ENOMEM;
    }
    if ((err = db_conn_get(db, &c))) {
        free(gaps);
        free(ids);
        return err;
    }
    /* Grouped by the query as typed, case aside (its keyed hash; the text
     * itself for rows not sealed yet): the same question asked in slightly
     * different ways stays separate, which is what editors read. */
    err = db_query(c, &s,
                   zero ? "SELECT COALESCE(query_hash, LOWER(query)), lang, COUNT(*), MIN(results), "
                          "SUM(CASE WHEN opened IS NULL THEN 0 ELSE 1 END), MAX(at), MAX(id) FROM guide_search_log "
                          "WHERE at >= ? AND results = 0 GROUP BY COALESCE(query_hash, LOWER(query)), lang "
                          "ORDER BY COUNT(*) DESC, MAX(at) DESC LIMIT ?"
                        : "SELECT COALESCE(query_hash, LOWER(query)), lang, COUNT(*), MAX(results), "
                          "SUM(CASE WHEN opened IS NULL THEN 0 ELSE 1 END), MAX(at), MAX(id) FROM guide_search_log "
                          "WHERE at >= ? AND results > 0 GROUP BY COALESCE(query_hash, LOWER(query)), lang "
                          "HAVING SUM(CASE WHEN opened IS NULL THEN 0 ELSE 1 END) = 0 "
                          "ORDER BY COUNT(*) DESC, MAX(at) DESC LIMIT ?",
                   DBP(DB_I(since), DB_I(max)));
    while (!err && n < max && db_next(s)) {
        struct guide_gap *g = &gaps[n];
        snprintf(g->lang, sizeof(g->lang), "%s", db_text(s, 1));
        g->searches = (int)db_int(s, 2);
        g->results = (int)db_int(s, 3);
        g->opened = (int)db_int(s, 4);
        g->last_at = db_int(s, 5);
        ids[n++] = db_int(s, 6);
    }
    int err2 = s ? db_end(s) : 0;
    err = err ? err : err2;
    for (int i = 0; i < n && !err; i++)
        err = gap_query(c, ids[i], &gaps[i]);
    db_conn_put(c);
    for (int i = 0; i < n && !err; i++)
        err = h(&gaps[i], arg);
    free(gaps);
    free(ids);
    return err;
}
