/*
 * bench/guide_search: the guide's search on a generated corpus of N articles
 * in seven languages (default 10,000 x 7 = 70,000 texts), built from the
 * vocabulary of the real guide with a Zipf-like word distribution.
 *
 * Measures, in one run: index build time; in-process query latency (p50,
 * p99) of guide_search_index() over realistic queries (tests/guide/
 * relevance.csv, and their typing prefixes); and the same words as a plain
 * FTS5 query on a `unicode61` table holding the same texts (the peer). With
 * --keep FILE the store is kept for the HTTP part (bench/guide/run.sh).
 *
 *   build/bench/guide_search [--articles N] [--queries N] [--keep FILE | --reuse FILE] [--peer no]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>

#include "bench.h"

#define VOCAB_MAX 20000

struct vocab {
    char *w[VOCAB_MAX];
    int count[VOCAB_MAX];
    int n;
};

static struct vocab vocab[7];
static unsigned long long rng = 88172645463325252ULL;

static unsigned rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng >> 11);
}

static int add_vocab(const char *word, size_t n, size_t start, const char *folded, size_t fl, void *arg)
{
    struct vocab *v = arg;
    (void)folded;
    (void)fl;
    (void)start;
    if (n < 3 || v->n >= VOCAB_MAX)
        return 0;
    for (int i = 0; i < v->n; i++)
        if (strlen(v->w[i]) == n && !memcmp(v->w[i], word, n)) {
            v->count[i]++;
            return 0;
        }
    v->count[v->n] = 1;
    v->w[v->n++] = strndup(word, n);
    return 0;
}

static struct vocab *sorting;

static int by_count(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return sorting->count[y] - sorting->count[x];
}

/* Most frequent words first: the first BACKGROUND are the words every text
 * uses (articles, prepositions, "consulat"); the rest are topic words. */
static void sort_vocab(struct vocab *v)
{
    int idx[VOCAB_MAX];
    char *w[VOCAB_MAX];
    int c[VOCAB_MAX];
    for (int i = 0; i < v->n; i++)
        idx[i] = i;
    sorting = v;
    qsort(idx, (size_t)v->n, sizeof(int), by_count);
    for (int i = 0; i < v->n; i++) {
        w[i] = v->w[idx[i]];
        c[i] = v->count[idx[i]];
    }
    memcpy(v->w, w, sizeof(char *) * (size_t)v->n);
    memcpy(v->count, c, sizeof(int) * (size_t)v->n);
}

static void load_vocab(void)
{
    char cmd[256];
    for (int l = 0; l < 7; l++) {
        snprintf(cmd, sizeof(cmd), "cat data/guide/*/%s.md 2>/dev/null", wasl_languages[l]);
        FILE *p = popen(cmd, "r");
        static char buf[8 << 20];
        size_t n = p ? fread(buf, 1, sizeof(buf) - 1, p) : 0;
        if (p)
            pclose(p);
        buf[n] = '\0';
        text_words(buf, n, add_vocab, &vocab[l]);
        sort_vocab(&vocab[l]);
        /* A long tail of rare words, as a large real corpus has. */
        for (int i = 0; i < 3000 && vocab[l].n < VOCAB_MAX; i++) {
            char w[32];
            snprintf(w, sizeof(w), "%s%05d", l == 0 ? "كلم" : "term", i);
            vocab[l].w[vocab[l].n++] = strdup(w);
        }
    }
}

#define BACKGROUND 200 /* words every text uses */
#define TOPIC 40       /* words of one article's subject */

/* Zipf-like pick among the background words: low ranks far more often. */
static const char *background(int l)
{
    int n = vocab[l].n < BACKGROUND ? vocab[l].n : BACKGROUND;
    double u = (rnd() % 1000000 + 1) / 1000001.0;
    int i = (int)(pow(n, u)) - 1;
    return vocab[l].w[(i < 0 ? 0 : i) % n];
}

/* A text about one subject: topic words mixed with background words, the
 * way a real guide article is (passport words in the passport article). */
static void text(struct sbuf *b, int l, const int *topic, int words, int topical_pct)
{
    b->len = 0;
    if (b->p)
        b->p[0] = '\0';
    for (int i = 0; i < words; i++) {
        bool t = (int)(rnd() % 100) < topical_pct;
        sbuf_adds(b, t ? vocab[l].w[topic[rnd() % TOPIC]] : background(l));
        sbuf_adds(b, i % 17 == 16 ? ".\n\n" : " ");
    }
}

static void pick_topic(int l, int *topic)
{
    int span = vocab[l].n - BACKGROUND;
    for (int i = 0; i < TOPIC; i++)
        topic[i] = BACKGROUND + (span > 0 ? (int)(rnd() % (unsigned)span) : 0);
}

/* CPU time of this thread, in microseconds: what a search costs, without
 * the time the scheduler gave to others on a shared machine. */
static double cpu_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *name, double *us, int n)
{
    qsort(us, (size_t)n, sizeof(double), cmp_d);
    printf("| %s | %d | %.3f ms | %.3f ms | %.3f ms |\n", name, n, us[n / 2] / 1000, us[(int)(n * 0.99)] / 1000, us[n - 1] / 1000);
}

struct query {
    char lang[4];
    char q[256];
};

static struct query *queries;
static int nqueries;

static int query_row(const struct csv_row *r, void *arg)
{
    (void)arg;
    queries = realloc(queries, sizeof(*queries) * (size_t)(nqueries + 2));
    snprintf(queries[nqueries].lang, 4, "%s", csv_get(r, "lang"));
    snprintf(queries[nqueries].q, 256, "%s", csv_get(r, "query"));
    nqueries++;
    /* The same query while it is being typed: all but its last two letters. */
    size_t n = strlen(queries[nqueries - 1].q);
    if (n > 5) {
        queries[nqueries] = queries[nqueries - 1];
        size_t cut = n - 2;
        while (cut > 0 && ((unsigned char)queries[nqueries].q[cut] & 0xC0) == 0x80)
            cut--;
        queries[nqueries].q[cut] = '\0';
        nqueries++;
    }
    return 0;
}

/* The plain peer: the same words ORed, on a unicode61 table, bm25 ranked. */
static void plain_query(const char *q, char *out, size_t n)
{
    size_t k = 0;
    for (const char *p = q; *p && k + 8 < n;) {
        while (*p && (unsigned char)*p < 0x80 &&
               !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            p++;
        const char *s = p;
        while (*p &&
               ((unsigned char)*p >= 0x80 || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            p++;
        if (p > s && k + (size_t)(p - s) + 8 < n) {
            if (k)
                k += (size_t)snprintf(out + k, n - k, " OR ");
            k += (size_t)snprintf(out + k, n - k, "\"%.*s\"", (int)(p - s), s);
        }
    }
    out[k] = '\0';
}

int main(int argc, char **argv)
{
    int articles = 10000, nq = 20000;
    const char *keep = NULL;
    bool reuse = false;
    bool peer_on = true;
    char path[] = "/tmp/wasl-bench-guide-XXXXXX";
    struct db *db;
    struct db_conn *c;
    struct sbuf title, summary, body;
    sqlite3 *plain;
    int64_t t0;

    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--articles"))
            articles = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--queries"))
            nq = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--keep"))
            keep = argv[i + 1];
        else if (!strcmp(argv[i], "--reuse")) /* a store kept by an earlier run: no generation */
            keep = argv[i + 1], reuse = true;
        else if (!strcmp(argv[i], "--peer"))
            peer_on = strcmp(argv[i + 1], "no") != 0;
    }
    close(mkstemp(path));
    if (bench_guide_open(keep ? keep : path, &db)) {
        fprintf(stderr, "setup: %s\n", err_message());
        return 1;
    }
    load_vocab();
    csv_load_file("tests/guide/relevance.csv", query_row, NULL);
    sbuf_init(&title, 1 << 20);
    sbuf_init(&summary, 1 << 20);
    sbuf_init(&body, 1 << 22);
    sqlite3_open(":memory:", &plain);
    sqlite3_exec(
        plain, "CREATE VIRTUAL TABLE p USING fts5(lang UNINDEXED, title, summary, body, tokenize='unicode61 remove_diacritics 2')",
        NULL, NULL, NULL);
    sqlite3_stmt *pins;
    sqlite3_prepare_v2(plain, "INSERT INTO p (lang, title, summary, body) VALUES (?, ?, ?, ?)", -1, &pins, NULL);

    /* Generate the corpus into the store (and the peer table). */
    t0 = clock_mono_us();
    db_conn_get(db, &c);
    db_exec(c, "BEGIN", NULL, 0);
    for (int a = 0; a < articles && !reuse; a++) {
        char slug[32];
        int64_t id;
        snprintf(slug, sizeof(slug), "bench-%05d", a);
        db_query_int(c, &id,
                     "INSERT INTO guide_articles (slug, category, audience, source_language, keywords, created_at, created_by) "
                     "VALUES (?, ?, 'both', 'fr', '{}', 0, 'bench') RETURNING id",
                     DBP(DB_S(slug), DB_S(guide_categories[a % guide_category_count])));
        for (int l = 0; l < 7; l++) {
            int topic[TOPIC];
            pick_topic(l, topic);
            text(&title, l, topic, 6, 100);
            text(&summary, l, topic, 25, 60);
            text(&body, l, topic, 250, 40);
            db_exec(c,
                    "INSERT INTO guide_versions (article_id, lang, version, status, title, summary, body, documents, fees, "
                    "processing_time, where_to_apply, source, checked_on, confidence, author, reason, effective_on, created_at) "
                    "VALUES (?, ?, 1, 'published', ?, ?, ?, '[]', '[]', '', '', '', '2026-11-01', 'U', 'bench', 'bench', "
                    "'2000-01-01', 0)",
                    DBP(DB_I(id), DB_S(wasl_languages[l]), DB_S(title.p), DB_S(summary.p), DB_S(body.p)));
            sqlite3_reset(pins);
            sqlite3_bind_text(pins, 1, wasl_languages[l], -1, SQLITE_STATIC);
            sqlite3_bind_text(pins, 2, title.p, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(pins, 3, summary.p, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(pins, 4, body.p, -1, SQLITE_TRANSIENT);
            sqlite3_step(pins);
        }
    }
    db_exec(c, "COMMIT", NULL, 0);
    db_conn_put(c);
    sqlite3_finalize(pins);
    double gen_s = (clock_mono_us() - t0) / 1e6;

    t0 = clock_mono_us();
    if (guide_index_rebuild(db)) {
        fprintf(stderr, "index: %s\n", err_message());
        return 1;
    }
    double build_s = (clock_mono_us() - t0) / 1e6;

    /* Cold: every query computed. The warm run below repeats them with the
     * search cache on, as agents repeat searches. */
    guide_cache_setup(0);
    double *ours = malloc(sizeof(double) * (size_t)nq), *peer = malloc(sizeof(double) * (size_t)nq);
    double *ours_cpu = malloc(sizeof(double) * (size_t)nq);
    struct guide_search *s = malloc(sizeof(*s));
    long hits = 0, peer_hits = 0;
    sqlite3_stmt *pq;
    sqlite3_prepare_v2(plain, "SELECT rowid FROM p WHERE p MATCH ? AND lang = ? ORDER BY bm25(p, 10.0, 3.0, 1.0) LIMIT 10", -1, &pq,
                       NULL);
    for (int i = 0; i < nq + 200; i++) {
        const struct query *q = &queries[i % nqueries];
        double ca = cpu_us();
        int64_t a = clock_mono_us();
        guide_search_index(q->q, q->lang, 10, s);
        int64_t b = clock_mono_us();
        double cb = cpu_us();
        char pqs[1024];
        plain_query(q->q, pqs, sizeof(pqs));
        sqlite3_reset(pq);
        sqlite3_bind_text(pq, 1, pqs, -1, SQLITE_STATIC);
        sqlite3_bind_text(pq, 2, q->lang, -1, SQLITE_STATIC);
        int n = 0;
        while (peer_on && pqs[0] && sqlite3_step(pq) == SQLITE_ROW)
            n++;
        int64_t e = clock_mono_us();
        if (getenv("BENCH_SLOW") && cb - ca > atoi(getenv("BENCH_SLOW")))
            fprintf(stderr, "slow %6.2f ms cpu %s %s (hits %d)\n", (cb - ca) / 1000.0, q->lang, q->q, s->nhits);
        if (i >= 200) { /* the first 200 warm the caches */
            ours[i - 200] = (double)(b - a);
            ours_cpu[i - 200] = cb - ca;
            peer[i - 200] = (double)(e - b);
            hits += s->nhits;
            peer_hits += n;
        }
    }
    printf("corpus: %d articles x 7 languages = %d texts, %d distinct queries (with typing prefixes), %d runs\n", articles,
           articles * 7, nqueries, nq);
    printf("generated in %.1f s; wasl index built in %.1f s\n\n", gen_s, build_s);
    printf("| search | queries | p50 | p99 | max |\n|---|---|---|---|---|\n");
    report("wasl `guide_search_index` (fold, stem, typos, synonyms, all languages)", ours, nq);
    report("the same, CPU time of the searching thread (preemption on a shared machine left out)", ours_cpu, nq);
    report("plain FTS5 `unicode61`, same words ORed, one language", peer, nq);
    guide_cache_setup(4096);
    for (int i = 0; i < nq; i++) {
        const struct query *q = &queries[i % nqueries];
        int64_t a = clock_mono_us();
        guide_search_index(q->q, q->lang, 10, s);
        ours[i] = (double)(clock_mono_us() - a);
    }
    report("wasl with the search cache (warm: the same queries again)", ours, nq);
    printf("\nmean hits per query: wasl %.1f, plain %.1f\n", (double)hits / nq, (double)peer_hits / nq);
    sqlite3_finalize(pq);
    sqlite3_close(plain);
    free(ours);
    free(ours_cpu);
    free(peer);
    free(s);
    guide_shutdown();
    db_close(db);
    if (!keep)
        unlink(path);
    return 0;
}
