/*
 * bench/relevance: the search quality of tests/guide/relevance.csv in
 * process, on the shipped guide (data/guide imported into a scratch store):
 * per language the share of queries whose expected article is first (top-1)
 * and among the first three (top-3), and every miss. The API test
 * (tests/api/test_guide_relevance.py) checks the same over HTTP; this one
 * answers in a second, for tuning.
 *
 *   build/bench/relevance [--misses 1|3] [--csv FILE]
 *   build/bench/relevance --q LANG 'QUERY'     (one query, its hits and scores)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

struct row {
    char lang[4], query[256], slug[80], kind[24];
};
static struct row *rows;
static int nrows;

static int on_row(const struct csv_row *r, void *arg)
{
    (void)arg;
    struct row *n = realloc(rows, sizeof(*rows) * (size_t)(nrows + 1));
    if (!n)
        return WASL_ENOMEM;
    rows = n;
    snprintf(rows[nrows].lang, 4, "%s", csv_get(r, "lang") ? csv_get(r, "lang") : "");
    snprintf(rows[nrows].query, 256, "%s", csv_get(r, "query") ? csv_get(r, "query") : "");
    snprintf(rows[nrows].slug, 80, "%s", csv_get(r, "expected_slug") ? csv_get(r, "expected_slug") : "");
    snprintf(rows[nrows].kind, 24, "%s", csv_get(r, "kind") ? csv_get(r, "kind") : "");
    nrows++;
    return 0;
}

int main(int argc, char **argv)
{
    const char *csv = "tests/guide/relevance.csv";
    int show = 3, n = 0;
    char path[] = "/tmp/wasl-relevance-XXXXXX";
    struct db *db;
    struct actor who = {.login = "relevance", .role = ROLE_EDITOR, .request_id = "", .ip = ""};

    const char *qlang = NULL, *qtext = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--q") && i + 2 < argc) {
            qlang = argv[i + 1];
            qtext = argv[i + 2];
            i++;
        } else if (!strcmp(argv[i], "--misses"))
            show = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--csv"))
            csv = argv[i + 1];
    }
    close(mkstemp(path));
    if (bench_guide_open(path, &db) || guide_import(db, &who, "data/guide", &n) || guide_index_rebuild(db) ||
        csv_load_file(csv, on_row, NULL)) {
        fprintf(stderr, "setup: %s\n", err_message());
        unlink(path);
        return 1;
    }
    guide_cache_setup(0);
    if (qtext) { /* one query, its hits with their scores */
        struct guide_search *one = malloc(sizeof(*one));
        if (!one || guide_search_index(qtext, qlang, 10, one)) {
            fprintf(stderr, "search: %s\n", err_message());
            return 1;
        }
        printf("corrected: %s | entry: %d | nationality: %s\n", one->corrected ? one->corrected_query : "-", one->entry_intent,
               one->nationality);
        for (int k = 0; k < one->nhits; k++)
            printf("%2d %-30s %s %7.2f %s\n", k + 1, one->hits[k].slug, one->hits[k].lang, one->hits[k].score, one->hits[k].title);
        free(one);
        guide_shutdown();
        db_close(db);
        unlink(path);
        return 0;
    }
    int t1[WASL_LANG_MAX] = {0}, t3[WASL_LANG_MAX] = {0}, all[WASL_LANG_MAX] = {0};
    struct guide_search *s = malloc(sizeof(*s));
    for (int i = 0; i < nrows; i++) {
        int l = text_lang_index(rows[i].lang);
        if (l < 0 || guide_search_index(rows[i].query, rows[i].lang, 3, s)) {
            fprintf(stderr, "row %d: %s\n", i + 2, err_message());
            continue;
        }
        int rank = 0;
        for (int k = 0; k < s->nhits && !rank; k++)
            if (!strcmp(s->hits[k].slug, rows[i].slug))
                rank = k + 1;
        all[l]++;
        t1[l] += rank == 1;
        t3[l] += rank >= 1;
        if ((show == 1 && rank != 1) || (show == 3 && rank == 0)) {
            printf("miss %s %-13s %-45s want %-28s got", rows[i].lang, rows[i].kind, rows[i].query, rows[i].slug);
            for (int k = 0; k < s->nhits; k++)
                printf(" %s", s->hits[k].slug);
            if (s->corrected)
                printf("  [did you mean: %s]", s->corrected_query);
            printf("\n");
        }
    }
    printf("\n| lang | queries | top-1 | top-3 |\n|---|---:|---:|---:|\n");
    int a = 0, b1 = 0, b3 = 0;
    for (int l = 0; l < wasl_nlanguages; l++) {
        if (!all[l])
            continue;
        printf("| %s | %d | %.1f %% | %.1f %% |\n", wasl_languages[l], all[l], 100.0 * t1[l] / all[l], 100.0 * t3[l] / all[l]);
        a += all[l];
        b1 += t1[l];
        b3 += t3[l];
    }
    printf("| all | %d | %.1f %% | %.1f %% |\n", a, a ? 100.0 * b1 / a : 0, a ? 100.0 * b3 / a : 0);
    free(s);
    guide_shutdown();
    db_close(db);
    unlink(path);
    return 0;
}
