/*
 * Search text handling: folding (case, diacritics, Arabic forms), words,
 * stems, typo distance and the typo index, article file parsing.
 */
#include "test.h"
#include "guide/guide_int.h"
#include "geo/geo.h"

static void fold(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"Passeport", "passeport"},
        {"ÉTAT", "etat"},
        {"Straße", "strasse"},
        {"ｐａｓｓ", "pass"}, /* full width */
        {"ﬁche", "fiche"},    /* ligature */
        {"جَوَازُ", "جواز"},     /* tashkeel */
        {"أحمد", "احمد"},     /* hamza on alef */
        {"إقامة", "اقامه"},   /* hamza below, taa marbuta */
        {"آمنة", "امنه"},     /* madda */
        {"مستشفى", "مستشفي"}, /* alef maqsura */
        {"ســـفـر", "سفر"},   /* tatweel */
        {"مسؤول", "مسوول"},   /* hamza on waw */
        {"Ⅻ", "xii"},
    };
    char out[GUIDE_WORD_MAX + 1];
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = text_fold(cases[i].in, strlen(cases[i].in), out);
        if (strcmp(out, cases[i].out) || n != strlen(cases[i].out))
            fail_msg("fold %s: got '%s' want '%s'", cases[i].in, out, cases[i].out);
    }
    /* A word longer than the cap is cut on a character boundary. */
    char lng[300];
    for (int i = 0; i < 100; i++)
        memcpy(lng + 2 * i, "\xc3\xa9", 2); /* é */
    size_t n = text_fold(lng, 200, out);
    assert_true(n > 0 && n <= GUIDE_WORD_MAX);
    assert_true(utf8_valid(out, n));
}

struct words {
    char buf[512];
};

static int on_word(const char *w, size_t n, size_t start, const char *f, size_t fl, void *arg)
{
    struct words *ws = arg;
    (void)w;
    (void)n;
    (void)start;
    (void)fl;
    strcat(ws->buf, f);
    strcat(ws->buf, "|");
    return 0;
}

static void words(void **state)
{
    struct words w = {""};
    const char *text = "Carte d'identité: CNIE (n°123) — الجواز؛ rdv.consulat.ma \xff end";
    (void)state;
    text_words(text, strlen(text), on_word, &w);
    assert_string_equal(w.buf, "carte|d|identite|cnie|n|123|الجواز|rdv|consulat|ma|end|");
}

static void stems(void **state)
{
    static const struct {
        const char *lang, *a, *b; /* a and b must share a stem */
    } same[] = {
        {"fr", "passeports", "passeport"}, {"es", "pasaportes", "pasaporte"},  {"en", "passports", "passport"},
        {"de", "Reisepässe", "Reisepass"}, {"it", "passaporti", "passaporto"}, {"nl", "paspoorten", "paspoort"},
        {"ar", "جوازات", "جواز"},          {"ar", "سيارات", "سيارة"},          {"ar", "الشكايات", "شكاية"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        char fa[GUIDE_WORD_MAX + 1], fb[GUIDE_WORD_MAX + 1], sa[GUIDE_WORD_MAX + 1], sb[GUIDE_WORD_MAX + 1];
        int l = text_lang_index(same[i].lang);
        size_t na = text_fold(same[i].a, strlen(same[i].a), fa), nb = text_fold(same[i].b, strlen(same[i].b), fb);
        text_stem(l, fa, na, sa);
        text_stem(l, fb, nb, sb);
        if (strcmp(sa, sb))
            fail_msg("%s: %s -> %s but %s -> %s", same[i].lang, same[i].a, sa, same[i].b, sb);
    }
}

static void distance(void **state)
{
    static const struct {
        const char *a, *b;
        int d;
    } cases[] = {
        {"procuration", "procuraton", 1}, {"passeport", "pasesport", 1}, /* swap */
        {"passeport", "passport", 1},     {"kitten", "sitting", 3},      {"جواز", "جوار", 1}, {"abc", "abc", 0}, {"", "abc", 3},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int d = text_distance(cases[i].a, strlen(cases[i].a), cases[i].b, strlen(cases[i].b), 5);
        if (d != cases[i].d)
            fail_msg("%s/%s: %d want %d", cases[i].a, cases[i].b, d, cases[i].d);
    }
    assert_int_equal(text_distance("kitten", 6, "sitting", 7, 2), 3); /* bounded: max+1 */
}

static void typo_index(void **state)
{
    struct typo_index *t;
    char out[GUIDE_WORD_MAX + 1];
    const char *words[] = {"procuration", "passeport", "passport", "legalisation", "consulat", "consulat", "جواز"};
    (void)state;
    assert_int_equal(typo_index_new(&t), 0);
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        assert_int_equal(typo_index_add(t, words[i], strlen(words[i])), 0);
    assert_true(typo_index_has(t, "consulat", 8));
    assert_false(typo_index_has(t, "consula", 7));
    assert_true(typo_index_best(t, "procuraton", 10, out));
    assert_string_equal(out, "procuration");
    assert_true(typo_index_best(t, "lgealisatoin", 12, out)); /* two edits, long word */
    assert_string_equal(out, "legalisation");
    assert_true(typo_index_best(t, "consulta", 8, out));
    assert_string_equal(out, "consulat");
    assert_false(typo_index_best(t, "xyzzyq", 6, out));
    assert_false(typo_index_best(t, "cnsl", 4, out)); /* too far */
    assert_false(typo_index_best(t, "abc", 3, out));  /* too short to correct */
    typo_index_free(t);
}

static void article_files(void **state)
{
    static const struct {
        const char *text, *err;
    } bad[] = {
        {"title: x\n", "t.md:1: the file must start with a front-matter block (---)"},
        {"---\ntitle: x\n", "t.md:2: the front matter is not closed (---)"},
        {"---\ntitle: T\nsummary: S\nnonsense\n---\nb", "t.md:4: expected 'key: value'"},
        {"---\ntitle: T\nsummary: S\ncolour: red\n---\nb", "t.md:4: unknown key 'colour'"},
        {"---\ntitle: T\nsummary: S\nfees:\n  - cheap\n---\nb", "t.md:5: a fee must read"},
        {"---\ntitle: T\nsummary: S\n  - orphan\n---\nb", "t.md:4: a list item outside documents: or fees:"},
        {"---\ntitle: T\nsummary: S\n---\n<script>x</script>", "the body is Markdown"},
        {"---\nsummary: S\n---\nbody", "'title' is required"},
        {"---\ntitle: T\nsummary: S\nchecked_on: 2026-02-30\n---\nb", "'checked_on' must be a date"},
    };
    struct guide_version v;
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&v, 0, sizeof(v));
        assert_int_not_equal(guide_file_parse(bad[i].text, strlen(bad[i].text), "t.md", &v), 0);
        if (!strstr(err_message(), bad[i].err))
            fail_msg("case %zu: '%s' lacks '%s'", i, err_message(), bad[i].err);
        guide_version_clear(&v);
    }
    const char *good = "---\ntitle: Passeport\nsummary: Résumé\ndocuments:\n  - CNIE\n  - 2 photos\nfees:\n"
                       "  - 860 MAD: Adulte: tarif\nprocessing_time: 4 semaines\nwhere_to_apply: Consulat\n"
                       "source: consulat.ma\nchecked_on: 2026-11-01\nconfidence: S\n---\n\n## Étapes\n\nTexte.\n";
    memset(&v, 0, sizeof(v));
    assert_int_equal(guide_file_parse(good, strlen(good), "g.md", &v), 0);
    assert_string_equal(v.title, "Passeport");
    assert_int_equal(v.ndocuments, 2);
    assert_int_equal(v.nfees, 1);
    assert_true(v.fees[0].amount == 860.0);
    assert_string_equal(v.fees[0].currency, "MAD");
    assert_string_equal(v.fees[0].label, "Adulte: tarif");
    assert_string_equal(v.body, "## Étapes\n\nTexte.\n");
    /* Written back and read again, it is the same. */
    char *again = guide_file_write(&v);
    struct guide_version w;
    memset(&w, 0, sizeof(w));
    assert_int_equal(guide_file_parse(again, strlen(again), "again.md", &w), 0);
    assert_string_equal(w.body, v.body);
    assert_string_equal(w.fees[0].label, v.fees[0].label);
    assert_string_equal(w.checked_on, "2026-11-01");
    free(again);
    guide_version_clear(&w);
    guide_version_clear(&v);
}

static void scrub(void **state)
{
    char out[256];
    (void)state;
    searchlog_scrub("appel 06 12 34 56 78 de jean.dupont@mail.fr pour CNIE 2024", out, sizeof(out));
    assert_string_equal(out, "appel [number] de [email] pour CNIE [number]");
    searchlog_scrub("article 12 page 3", out, sizeof(out));
    assert_string_equal(out, "article 12 page 3");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fold),       cmocka_unit_test(words),         cmocka_unit_test(stems), cmocka_unit_test(distance),
        cmocka_unit_test(typo_index), cmocka_unit_test(article_files), cmocka_unit_test(scrub),
    };
    const char *data = getenv("WASL_TEST_DATA");
    /* the stemmers are named by data/languages.json */
    if (geo_load_languages(data ? data : "data")) {
        fprintf(stderr, "%s\n", err_message());
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
