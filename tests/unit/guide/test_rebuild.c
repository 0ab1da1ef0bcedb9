/*
 * The search index is rebuilt off the request path: when the guide changed,
 * a search answers at once from the index it has while the new one is built
 * on its own thread, then the new one is swapped in.
 */
#include "test.h"
#include "geo/geo.h"
#include "guide/guide_int.h"

static void add_article(struct db_conn *c, const char *slug, const char *title, const char *body)
{
    int64_t id;
    assert_int_equal(db_query_int(c, &id,
                                  "INSERT INTO guide_articles (slug, category, audience, source_language, keywords, created_at, "
                                  "created_by) VALUES (?, 'general', 'both', 'fr', '{}', 0, 'test') RETURNING id",
                                  DBP(DB_S(slug))),
                     0);
    assert_int_equal(db_exec(c,
                             "INSERT INTO guide_versions (article_id, lang, version, status, title, summary, body, documents, "
                             "fees, processing_time, where_to_apply, source, checked_on, confidence, author, reason, "
                             "effective_on, created_at) VALUES (?, 'fr', 1, 'published', ?, 'résumé', ?, '[]', '[]', '', '', "
                             "'', '2026-11-01', 'U', 'test', 'test', '2000-01-01', 0)",
                             DBP(DB_I(id), DB_S(title), DB_S(body))),
                     0);
}

static void search_during_rebuild(void **state)
{
    char *path = test_tmp_path("guide.db");
    struct db *db;
    struct db_conn *c;
    struct guide_search *s = malloc(sizeof(*s));
    char slug[32], body[4096];
    (void)state;

    assert_int_equal(db_open(&db, path), 0);
    assert_int_equal(db_migrate(db, NULL), 0);
    assert_int_equal(guide_init(NULL, "data"), 0);
    guide_cache_setup(0);
    /* Enough texts that a build takes a while. */
    assert_int_equal(db_conn_get(db, &c), 0);
    db_exec(c, "BEGIN", NULL, 0);
    for (int i = 0; i < 4000; i++) {
        snprintf(slug, sizeof(slug), "a-%05d", i);
        size_t n = 0;
        for (int w = 0; w < 300; w++)
            n += (size_t)snprintf(body + n, sizeof(body) - n, "mot%d ", (i * 7 + w * 13) % 5000);
        add_article(c, slug, "Passeport et démarches", body);
    }
    db_exec(c, "COMMIT", NULL, 0);
    int64_t t0 = clock_mono_us();
    assert_int_equal(guide_index_rebuild(db), 0);
    int64_t build_us = clock_mono_us() - t0;

    /* The guide changes (as another node would change it). */
    add_article(c, "quokka", "Attestation quokkamatic", "quokkamatic");
    assert_int_equal(db_exec(c, "UPDATE guide_state SET generation = generation + 1 WHERE id = 1", NULL, 0), 0);
    db_conn_put(c);
    index_mark_stale(NULL); /* stale, nothing started yet: the search finds out */

    t0 = clock_mono_us();
    assert_int_equal(guide_search(db, "quokkamatic", "fr", 5, false, "agent", s), 0);
    int64_t search_us = clock_mono_us() - t0;
    /* Answered from the old index, well before a build could end. */
    assert_int_equal(s->nhits, 0);
    if (search_us * 4 > build_us)
        fail_msg("a search during the rebuild took %lld us; a build takes %lld us", (long long)search_us, (long long)build_us);
    assert_true(index_rebuilding());

    /* The new index is swapped in by itself. */
    int64_t deadline = clock_mono_us() + 60 * 1000000LL;
    while (clock_mono_us() < deadline) {
        assert_int_equal(guide_search(db, "quokkamatic", "fr", 5, false, "agent", s), 0);
        if (s->nhits)
            break;
        index_wait_rebuild(); /* waits on the event, not a fixed time */
    }
    assert_int_equal(s->nhits, 1);
    assert_string_equal(s->hits[0].slug, "quokka");
    free(s);
    guide_shutdown();
    db_close(db);
    unlink(path);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(search_during_rebuild)};
    const char *data = getenv("WASL_TEST_DATA");
    log_set_level(LOG_WARN);
    conf_register(store_conf, store_conf_count);
    conf_register(auth_conf, auth_conf_count);
    conf_register(guide_conf, guide_conf_count);
    if (geo_load(data ? data : "data")) {
        fprintf(stderr, "%s\n", err_message());
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
