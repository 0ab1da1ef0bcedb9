/*
 * Fuzz target: search queries against a small real index (words, folding,
 * typo correction, synonyms, the FTS5 expression we build). Whatever the
 * bytes, the search must answer or refuse, never crash or emit FTS5 syntax
 * errors (those come back as WASL_EINTERNAL and trap here).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guide/guide_int.h"
#include "geo/geo.h"
#include "common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int ready;
static struct db *db; /* open for the whole run */

static void setup(void)
{
    struct db_conn *c;
    char path[] = "/tmp/wasl-fuzz-guide-XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0)
        close(fd);
    log_set_level(LOG_ERROR);
    conf_register(store_conf, store_conf_count);
    conf_register(auth_conf, auth_conf_count);
    conf_register(guide_conf, guide_conf_count);
    wrand_init();
    auth_init();
    if (geo_load_languages(fuzz_data_dir()) || db_open(&db, path) || db_migrate(db, NULL) || guide_init(NULL, fuzz_data_dir()))
        fuzz_setup_failed("the guide index");
    if (db_conn_get(db, &c))
        abort();
    db_exec(c,
            "INSERT INTO guide_articles (slug, category, audience, source_language, keywords, created_at, created_by) "
            "VALUES ('passport-adult', 'passport', 'citizens', 'fr', '{\"fr\":[\"passeport\"]}', 0, 'fuzz')",
            NULL, 0);
    db_exec(c,
            "INSERT INTO guide_versions (article_id, lang, version, status, title, summary, body, documents, fees, "
            "processing_time, where_to_apply, source, checked_on, confidence, author, reason, effective_on, created_at) "
            "VALUES (1, 'fr', 1, 'published', 'Passeport biométrique', 'Délivrance et renouvellement', "
            "'## Étapes\n\nPrenez rendez-vous au consulat.', '[]', '[]', '', '', '', '2026-11-01', 'S', 'fuzz', 'x', "
            "'2000-01-01', 0)",
            NULL, 0);
    db_exec(c,
            "INSERT INTO guide_synonyms (grp, lang, term) VALUES ('passport', 'ar', 'جواز السفر'), ('passport', 'en', 'passport')",
            NULL, 0);
    db_conn_put(c);
    if (guide_index_rebuild(db))
        abort();
    unlink(path);
    ready = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct guide_search *s;
    char q[GUIDE_QUERY_MAX * 2];

    if (!ready)
        setup();
    if (size < 1 || size >= sizeof(q))
        return 0;
    memcpy(q, data + 1, size - 1);
    q[size - 1] = '\0';
    if (!(s = malloc(sizeof(*s))))
        return 0;
    int err = guide_search_index(q, wasl_languages[data[0] % wasl_nlanguages], 10, s);
    if (err && err != WASL_EINVAL)
        __builtin_trap();
    free(s);
    err_clear();
    return 0;
}
