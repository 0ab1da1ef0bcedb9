/*
 * The case list: one search box that reads what was typed (a reference, a
 * phone number, an e-mail address, or words of the citizen's name or of the
 * subject), filters, four sort orders with keyset paging (an opaque cursor)
 * and the total count. Personal data is matched through blind indexes only
 * (the subject's words too: it is sealed, as it often holds a name or a
 * number): nothing is decrypted to search, and rows come out masked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "cases_int.h"
#include "guide/guide.h"

#define Q_MAX CASE_Q_MAX
#define Q_WORDS_MAX CASE_Q_WORDS_MAX
#define LIST_MAX 500   /* rows per page */
#define WORD_BYTES 100 /* one name word, folded */

/* Sort orders as data: the key (an SQL expression on fixed columns, never
 * on input) and its direction. Paging is keyset: "key, then id". */
static const struct {
    const char *name, *key;
    bool asc;
} sorts[] = {
    {"created", "c.created_at", false},
    {"updated", "c.updated_at", false},
    {"deadline", "c.resolution_due", true},
    {"priority", "(CASE c.priority WHEN 'urgent' THEN 4 WHEN 'high' THEN 3 WHEN 'normal' THEN 2 ELSE 1 END)", false},
};

/* Folds a word for the name index: case-folded, accents removed, NFKC
 * (so "ÉL-Amrani" and "el-amrani" are one word). */
static bool fold_word(const char *w, size_t n, char *out, size_t on)
{
    utf8proc_uint8_t *m = NULL;
    if (utf8proc_map((const utf8proc_uint8_t *)w, (utf8proc_ssize_t)n, &m,
                     UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK) < 0)
        return false;
    bool ok = strlen((char *)m) < on;
    if (ok)
        snprintf(out, on, "%s", (char *)m);
    free(m);
    return ok;
}

/* Calls fn on each word of s (split on spaces, tabs, commas, dots); stops on
 * a non-zero return. */
static int each_word(const char *s, int (*fn)(const char *w, size_t n, void *arg), void *arg)
{
    int err = 0;
    for (const char *p = s; !err && p && *p;) {
        size_t sp = strspn(p, " \t,.");
        p += sp;
        size_t n = strcspn(p, " \t,.");
        if (n)
            err = fn(p, n, arg);
        p += n;
    }
    return err;
}

struct tokens {
    struct sbuf *b;
    const char *kind;
};

static int token_h(const char *w, size_t n, void *arg)
{
    struct tokens *t = arg;
    char folded[WORD_BYTES], idx[65];
    if (!fold_word(w, n, folded, sizeof(folded)))
        return 0; /* a word longer than any name's: not indexed, not findable */
    blind_index(t->kind, folded, idx);
    if (t->b->len)
        sbuf_adds(t->b, " ");
    sbuf_adds(t->b, idx);
    return 0;
}

char *case_word_tokens(const char *kind, const char *text)
{
    struct sbuf b;
    struct tokens t = {&b, kind};
    if (!text || !*text)
        return NULL;
    sbuf_init(&b, 8192);
    each_word(text, token_h, &t);
    if (b.oom || !b.len) {
        sbuf_release(&b);
        return NULL;
    }
    return sbuf_take(&b);
}

bool case_phone_index(const char *phone, const char *country, char out[65])
{
    char norm[32];
    out[0] = '\0';
    if (!phone || !*phone || !phone_normalize(phone, country, norm, sizeof(norm)))
        return false;
    blind_index("phone", norm, out);
    return true;
}

static void email_index(const char *email, char out[65])
{
    char lower[256];
    size_t k = 0;
    for (const char *p = email; *p && k < sizeof(lower) - 1; p++)
        lower[k++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    lower[k] = '\0';
    blind_index("email", lower, out);
}

/* ---- building the query ---- */

static void add(struct case_query *q, const char *sql, const struct db_param *p, int n)
{
    sbuf_adds(&q->sql, sql);
    for (int i = 0; i < n; i++) {
        if (q->n == CASE_QUERY_PARAMS) {
            q->too_many = true;
            return;
        }
        q->p[q->n++] = p[i];
    }
}
#define ADD(q, sql, ...) add(q, sql, DBP(__VA_ARGS__))

static int name_word_h(const char *w, size_t n, void *arg)
{
    struct case_query *q = arg;
    char folded[WORD_BYTES];
    if (q->nwords == Q_WORDS_MAX)
        return err_set_field(WASL_EINVAL, "cases.invalid_parameter", "q", "search with at most %d words", Q_WORDS_MAX);
    if (!fold_word(w, n, folded, sizeof(folded)))
        return err_set_field(WASL_EINVAL, "cases.invalid_parameter", "q", "a word of the search is too long");
    blind_index("name", folded, q->name_idx[q->nwords]);
    blind_index("subject", folded, q->subject_idx[q->nwords++]);
    return 0;
}

/* "% <hash> %": a word's hash among the space-separated hashes of a row. */
static const char *word_pattern(char out[70], const char idx[65])
{
    out[0] = '%';
    out[1] = ' ';
    memcpy(out + 2, idx, 64);
    out[66] = ' ';
    out[67] = '%';
    out[68] = '\0';
    return out;
}

/* Reads the search box: *how gets what it was taken for. */
static int add_search(struct case_query *q, const char *text, const char *country, const char **how)
{
    size_t n = strlen(text), digits = 0;
    bool phoneish = true;
    int err;

    if (n > Q_MAX)
        return err_set_field(WASL_EINVAL, "cases.invalid_parameter", "q", "search with at most %d bytes", Q_MAX);
    if (!utf8_valid(text, n))
        return err_set_field(WASL_EINVAL, "cases.invalid_parameter", "q", "the search is not valid UTF-8");
    for (const char *p = text; *p; p++) {
        digits += *p >= '0' && *p <= '9';
        phoneish &= (*p >= '0' && *p <= '9') || strchr("+ -.()/", *p) != NULL;
    }
    /* Digits only are a phone number: a reference of nine digits is one in
     * 35,000 (it opens from the reference box). */
    if (phoneish && digits >= 6) {
        *how = "phone";
        if (!case_phone_index(text, country, q->search_idx))
            return err_set_field(WASL_EINVAL, "cases.invalid_parameter", "q",
                                 "give the number with its country code (+33...), or the caller's country");
        ADD(q, " AND c.phone_index = ?", DB_S(q->search_idx));
        return 0;
    }
    if (!case_ref_parse(text, q->ref)) {
        *how = "reference";
        ADD(q, " AND c.reference = ?", DB_S(q->ref));
        return 0;
    }
    err_clear();
    if (strchr(text, '@')) {
        *how = "email";
        email_index(text, q->search_idx);
        ADD(q, " AND c.email_index = ?", DB_S(q->search_idx));
        return 0;
    }
    /* Words: every one in the citizen's name, or every one in the subject
     * (whole words, case and accents aside). */
    *how = "text";
    if ((err = each_word(text, name_word_h, q)))
        return err;
    if (!q->nwords) {
        sbuf_adds(&q->sql, " AND 1 = 0");
        return 0;
    }
    sbuf_adds(&q->sql, " AND ((c.name_tokens IS NOT NULL");
    for (int i = 0; i < q->nwords; i++)
        ADD(q, " AND (' ' || c.name_tokens || ' ') LIKE ?", DB_S(word_pattern(q->name_pat[i], q->name_idx[i])));
    sbuf_adds(&q->sql, ") OR (c.subject_tokens IS NOT NULL");
    for (int i = 0; i < q->nwords; i++)
        ADD(q, " AND (' ' || c.subject_tokens || ' ') LIKE ?", DB_S(word_pattern(q->subject_pat[i], q->subject_idx[i])));
    sbuf_adds(&q->sql, "))");
    return 0;
}

static int add_filters(struct case_query *q, const struct actor *who, const struct case_filter *f, const char **how)
{
    const char *consulate = f->consulate ? f->consulate : "";
    int err;

    if (who && who->role == ROLE_BACKOFFICE)
        consulate = who->consulate ? who->consulate : "-";
    if (f->status && *f->status) {
        if (!strcmp(f->status, "active"))
            sbuf_adds(&q->sql, " AND c.status NOT IN ('resolved', 'closed', 'merged')");
        else
            ADD(q, " AND c.status = ?", DB_S(f->status));
    }
    if (f->type && *f->type)
        ADD(q, " AND c.type = ?", DB_S(f->type));
    if (*consulate)
        ADD(q, " AND (c.assignee_consulate = ? OR c.consulate = ?)", DB_S(consulate), DB_S(consulate));
    if (f->language && *f->language)
        ADD(q, " AND c.language = ?", DB_S(f->language));
    if (f->assignee)
        ADD(q, " AND c.assignee_user = ?", DB_I(f->assignee));
    if (f->overdue) {
        int64_t now = clock_now();
        ADD(q,
            " AND c.status NOT IN ('resolved', 'closed', 'merged') AND (c.escalated = 1 OR (c.status <> 'waiting_citizen' "
            "AND ((c.first_response_at = 0 AND c.first_response_due < ?) OR c.resolution_due < ?)))",
            DB_I(now), DB_I(now));
    }
    if (f->phone && *f->phone) {
        char idx[65];
        if (!case_phone_index(f->phone, f->phone_country, idx))
            return err_set_field(WASL_EINVAL, "cases.invalid_parameter", "phone",
                                 "give the number with its country code (+33...), or the caller's country");
        *how = "phone";
        memcpy(q->phone_idx, idx, sizeof(idx));
        ADD(q, " AND c.phone_index = ?", DB_S(q->phone_idx));
    }
    if (f->email && *f->email) {
        email_index(f->email, q->email_idx);
        *how = *how ? *how : "email";
        ADD(q, " AND c.email_index = ?", DB_S(q->email_idx));
    }
    if (f->q && *f->q && (err = add_search(q, f->q, f->phone_country, how)))
        return err;
    if (f->before_id > 0)
        ADD(q, " AND c.id < ?", DB_I(f->before_id));
    return 0;
}

/* The value a row is sorted on, for the cursor. */
static int64_t sort_key(int sort, const struct case_rec *r)
{
    static const char *const rank[] = {"low", "normal", "high", "urgent"};
    int64_t k = 1;
    switch (sort) {
    case 1:
        return r->updated_at;
    case 2:
        return r->resolution_due;
    case 3:
        for (int i = 0; i < 4; i++)
            if (!strcmp(r->priority, rank[i]))
                k = i + 1;
        return k;
    default:
        return r->created_at;
    }
}

/* A cursor is "<key>.<id>" of the last row shown, both decimal. */
static int parse_cursor(const char *s, int64_t *key, int64_t *id)
{
    char *end;
    long long k = strtoll(s, &end, 10);
    if (*end == '.') {
        long long i = strtoll(end + 1, &end, 10);
        if (!*end && i > 0) {
            *key = k;
            *id = i;
            return 0;
        }
    }
    return err_set_field(WASL_EINVAL, "cases.invalid_parameter", "cursor", "not a cursor of this list (take next_cursor)");
}

int case_query_build(struct case_query *q, const struct actor *who, const struct case_filter *f)
{
    int err;

    memset(q, 0, sizeof(*q));
    sbuf_init(&q->sql, 16384);
    if (f->limit > LIST_MAX)
        return err_set_field(WASL_EINVAL, "cases.invalid_parameter", "limit", "at most %d cases a page", LIST_MAX);
    if (f->status && *f->status && strcmp(f->status, "active") && !case_status_valid(f->status))
        return err_set_field(WASL_EINVAL, "cases.invalid_parameter", "status", "unknown status");
    if (f->type && *f->type && !case_type(f->type))
        return err_set_field(WASL_EINVAL, "cases.invalid_parameter", "type", "unknown type");
    if (f->language && *f->language && !language_valid(f->language))
        return err_set_field(WASL_EINVAL, "cases.invalid_parameter", "language", "language must be one of %s", languages_list());
    if (f->sort && *f->sort) {
        while (q->sort < (int)(sizeof(sorts) / sizeof(sorts[0])) && strcmp(sorts[q->sort].name, f->sort))
            q->sort++;
        if (q->sort == (int)(sizeof(sorts) / sizeof(sorts[0])))
            return err_set_field(WASL_EINVAL, "cases.invalid_parameter", "sort", "sort by created, updated, deadline or priority");
    }
    if (f->cursor && *f->cursor && (err = parse_cursor(f->cursor, &q->cursor_key, &q->cursor_id)))
        return err;
    if (f->before_id > 0 && (q->sort || q->cursor_id))
        return err_set_field(WASL_EINVAL, "cases.invalid_parameter", "before",
                             "before pages the newest-first list only: use cursor");
    sbuf_adds(&q->sql, " FROM cases c WHERE 1 = 1");
    if ((err = add_filters(q, who, f, &q->how)))
        return err;
    if (q->too_many || q->sql.oom)
        return err_set(WASL_ENOMEM, "cases.query_too_big", "the list's query outgrew its limits");
    return 0;
}

void case_query_release(struct case_query *q)
{
    sbuf_release(&q->sql);
}

int case_list(struct db *db, const struct actor *who, const struct case_filter *f, case_h h, void *arg, struct case_page *page)
{
    struct case_query q;
    struct case_page none;
    struct db_conn *c = NULL;
    struct db_stmt *s = NULL;
    struct db_param ps[CASE_QUERY_PARAMS + 4];
    int limit = f->limit > 0 ? f->limit : 50, err;

    page = page ? page : &none;
    memset(page, 0, sizeof(*page));
    if ((err = case_query_build(&q, who, f)))
        goto out;
    const char *how = q.how;
    int sort = q.sort;
    int64_t ckey = q.cursor_key, cid = q.cursor_id;
    page->matched_by = how;
    if ((err = db_conn_get(db, &c)))
        goto out;
    /* Finding a citizen's cases by a number, an address or a name is a read of personal data. */
    if (how && strcmp(how, "reference") &&
        (err = audit_append(c, who, "case.lookup", !strcmp(how, "text") ? "name_or_subject" : how, NULL)))
        goto out;
    char *count_sql = NULL, *rows_sql = NULL;
    if (asprintf(&count_sql, "SELECT COUNT(*)%s", q.sql.p) < 0)
        count_sql = NULL;
    memcpy(ps, q.p, sizeof(q.p[0]) * (size_t)q.n);
    err = count_sql ? db_query_int(c, &page->total, count_sql, ps, q.n) : WASL_ENOMEM;
    free(count_sql);
    if (err)
        goto out;
    /* Keyset paging: rows after the last one shown, in the sort's order. */
    const char *key = sorts[sort].key, *cmp = sorts[sort].asc ? ">" : "<", *dir = sorts[sort].asc ? "ASC" : "DESC";
    int np = q.n;
    if (cid) {
        if (asprintf(&rows_sql, "SELECT " CASE_COLUMNS "%s AND (%s %s ? OR (%s = ? AND c.id %s ?)) ORDER BY %s %s, c.id %s LIMIT ?",
                     q.sql.p, key, cmp, key, cmp, key, dir, dir) < 0)
            rows_sql = NULL;
        ps[np++] = DB_I(ckey);
        ps[np++] = DB_I(ckey);
        ps[np++] = DB_I(cid);
    } else if (asprintf(&rows_sql, "SELECT " CASE_COLUMNS "%s ORDER BY %s %s, c.id %s LIMIT ?", q.sql.p, key, dir, dir) < 0)
        rows_sql = NULL;
    /* One row more than the page tells whether there is a next page. */
    ps[np++] = DB_I(limit + 1);
    err = rows_sql ? db_query(c, &s, rows_sql, ps, np) : WASL_ENOMEM;
    free(rows_sql);
    int n = 0;
    int64_t last_key = 0, last_id = 0;
    while (!err && db_next(s)) {
        if (n == limit) {
            snprintf(page->next_cursor, sizeof(page->next_cursor), "%lld.%lld", (long long)last_key, (long long)last_id);
            page->next_before = sort == 0 ? last_id : 0;
            break;
        }
        struct case_rec r;
        if (!(err = case_from_row(s, &r, false))) {
            last_key = sort_key(sort, &r);
            last_id = r.id;
            err = h(&r, arg);
            case_rec_clear(&r);
        }
        n++;
    }
out:;
    int err2 = s ? db_end(s) : 0;
    if (c)
        db_conn_put(c);
    case_query_release(&q);
    return err ? err : err2;
}

/* ---- cases from before the name index ---- */

#define INDEX_BATCH 200

struct backfill {
    int n;
};

static int backfill_h(struct db_conn *c, void *arg)
{
    struct backfill *bf = arg;
    struct db_stmt *s = NULL;
    int64_t ids[INDEX_BATCH];
    char *tokens[INDEX_BATCH];
    int n = 0, err;

    bf->n = 0;
    if ((err = db_query(c, &s,
                        "SELECT id, name_enc FROM cases WHERE name_tokens IS NULL AND name_enc IS NOT NULL ORDER BY id LIMIT ?",
                        DBP(DB_I(INDEX_BATCH)))))
        return err;
    while (!err && n < INDEX_BATCH && db_next(s)) {
        size_t len;
        const void *b = db_blob(s, 1, &len);
        char *name = NULL;
        if ((err = unseal(b, len, &name)))
            break;
        ids[n] = db_int(s, 0);
        tokens[n] = case_word_tokens("name", name);
        free(name);
        n++;
    }
    int err2 = db_end(s);
    err = err ? err : err2;
    /* A name without a word to index gets "", so it is not read again. */
    for (int i = 0; i < n && !err; i++)
        err = db_exec(c, "UPDATE cases SET name_tokens = ? WHERE id = ?", DBP(DB_S(tokens[i] ? tokens[i] : ""), DB_I(ids[i])));
    for (int i = 0; i < n; i++)
        free(tokens[i]);
    if (!err)
        bf->n = n;
    return err;
}

int cases_index_names(struct db *db, int *n)
{
    struct backfill bf = {0};
    int err = db_tx(db, backfill_h, &bf);
    *n = err ? 0 : bf.n;
    return err;
}

/* ---- text stored in clear before 0013 ---- */

/* A column that held text in clear, its sealed successor and the index
 * made from the text (fixed names, never input). */
struct clear_column {
    const char *table, *clear, *sealed, *index;
    char *(*index_of)(const char *plain); /* caller frees; NULL: "" */
    int n;
};

static int seal_clear_h(struct db_conn *c, void *arg)
{
    struct clear_column *col = arg;
    struct db_stmt *s = NULL;
    int64_t ids[INDEX_BATCH];
    char *texts[INDEX_BATCH], sql[256];
    int n = 0, err;

    col->n = 0;
    snprintf(sql, sizeof(sql), "SELECT id, %s FROM %s WHERE %s IS NULL AND %s <> '' ORDER BY id LIMIT ?", col->clear, col->table,
             col->sealed, col->clear);
    if ((err = db_query(c, &s, sql, DBP(DB_I(INDEX_BATCH)))))
        return err;
    while (n < INDEX_BATCH && db_next(s)) {
        ids[n] = db_int(s, 0);
        if (!(texts[n] = strdup(db_text(s, 1)))) {
            err = WASL_ENOMEM;
            break;
        }
        n++;
    }
    int err2 = db_end(s);
    err = err ? err : err2;
    snprintf(sql, sizeof(sql), "UPDATE %s SET %s = ?, %s = ?, %s = '' WHERE id = ?", col->table, col->sealed, col->index,
             col->clear);
    for (int i = 0; i < n && !err; i++) {
        unsigned char *b = NULL;
        size_t len = 0;
        char *idx = col->index_of(texts[i]);
        if (!(err = seal(texts[i], &b, &len)))
            err = db_exec(c, sql, DBP(DB_B(b, len), DB_S(idx ? idx : ""), DB_I(ids[i])));
        free(b);
        free(idx);
    }
    for (int i = 0; i < n; i++)
        free(texts[i]);
    if (!err)
        col->n = n;
    return err;
}

static char *subject_tokens(const char *subject)
{
    return case_word_tokens("subject", subject);
}

int cases_seal_subjects(struct db *db, int *n)
{
    struct clear_column cols[] = {
        {"cases", "subject", "subject_enc", "subject_tokens", subject_tokens, 0},
        {"guide_search_log", "query", "query_enc", "query_hash", guide_search_log_key, 0},
    };
    int err = 0;
    *n = 0;
    for (size_t i = 0; !err && i < sizeof(cols) / sizeof(cols[0]); i++)
        if (!(err = db_tx(db, seal_clear_h, &cols[i])))
            *n += cols[i].n;
    return err;
}
