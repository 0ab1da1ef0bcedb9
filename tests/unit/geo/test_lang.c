/*
 * The languages table: data/languages.json as shipped, an eighth language
 * added by data alone (Tamazight, no Snowball stemmer), and the files the
 * loader must refuse rather than cut or guess.
 */
#include "test.h"
#include "geo/geo.h"
#include "guide/guide_int.h"

static char *dir;

static const char *data_dir(void)
{
    const char *d = getenv("WASL_TEST_DATA");
    return d ? d : "data";
}

/* Writes dir/languages.json with the given "languages" items. */
static int load_with(const char *fallback, const char *items)
{
    char path[600], text[4096];
    int n = snprintf(text, sizeof(text), "{\"fallback\": \"%s\", \"languages\": [%s]}", fallback, items);
    snprintf(path, sizeof(path), "%s/languages.json", dir);
    test_write_file(path, text, (size_t)n);
    return geo_load_languages(dir);
}

#define LANG(code, dir_, stemmer)                                                                                                  \
    "{\"code\": \"" code "\", \"name\": \"" code "\", \"dir\": \"" dir_ "\", \"locale\": \"" code "\", \"stemmer\": \"" stemmer    \
    "\"}"
#define SEVEN                                                                                                                      \
    LANG("ar", "rtl", "arabic")                                                                                                    \
    "," LANG("fr", "ltr", "french") "," LANG("es", "ltr", "spanish") "," LANG("it", "ltr", "italian") "," LANG(                    \
        "nl", "ltr", "dutch") "," LANG("de", "ltr", "german") "," LANG("en", "ltr", "english")

static void shipped(void **state)
{
    (void)state;
    assert_int_equal(geo_load_languages(data_dir()), 0);
    assert_int_equal(wasl_nlanguages, 7);
    assert_string_equal(languages_list(), "ar fr es it nl de en");
    assert_true(language_at(0)->rtl);
    assert_false(language_at(1)->rtl);
    assert_string_equal(language_at(0)->name, "العربية");
    assert_string_equal(language_at(0)->stemmer, "arabic");
    assert_string_equal(wasl_languages[language_fallback()], "en");
    assert_int_equal(language_index("nl"), 4);
    assert_int_equal(language_index("xx"), -1);
    assert_null(language_at(7));
}

/* An eighth language with a three-letter code and no stemmer: known
 * everywhere, and its words are searched as written while French ones are
 * still stemmed. */
static void eighth_language(void **state)
{
    char f[GUIDE_WORD_MAX + 1], s[GUIDE_WORD_MAX + 1];
    const char *word = "ⵜⴰⵎⴰⵣⵉⵖⵜ"; /* Tamazight, in Tifinagh */
    size_t n;
    (void)state;
    assert_int_equal(load_with("en", SEVEN "," LANG("zgh", "ltr", "none")), 0);
    assert_int_equal(wasl_nlanguages, 8);
    assert_int_equal(language_index("zgh"), 7);
    assert_true(language_valid("zgh"));
    assert_string_equal(languages_list(), "ar fr es it nl de en zgh");
    n = text_fold(word, strlen(word), f);
    assert_true(n > 0);
    text_stem(language_index("zgh"), f, n, s);
    assert_string_equal(s, f);
    n = text_fold("passeports", 10, f);
    text_stem(language_index("fr"), f, n, s);
    assert_string_equal(s, "passeport");
}

static void refused(void **state)
{
    static const struct {
        const char *fallback, *items, *code;
        int err;
    } cases[] = {
        /* ten languages: one more than the menu's keys; refused, not cut */
        {"en", SEVEN "," LANG("zgh", "ltr", "none") "," LANG("xa", "ltr", "none") "," LANG("xb", "ltr", "none"),
         "data.too_many_languages", WASL_ELIMIT},
        {"en", SEVEN "," LANG("fr", "ltr", "french"), "data.invalid", WASL_EINVAL},     /* twice */
        {"en", SEVEN "," LANG("zgh", "ltr", "tamazight"), "data.invalid", WASL_EINVAL}, /* no such stemmer */
        {"en", SEVEN "," LANG("ZGH", "ltr", "none"), "data.invalid", WASL_EINVAL},      /* not a code */
        {"en", SEVEN "," LANG("zghx", "ltr", "none"), "data.invalid", WASL_EINVAL},     /* too long */
        {"en", SEVEN "," LANG("zgh", "ttb", "none"), "data.invalid", WASL_EINVAL},      /* no such direction */
        {"pt", SEVEN, "data.invalid", WASL_EINVAL},                                     /* fallback not listed */
        {"en", "", "data.invalid", WASL_EINVAL},                                        /* none at all */
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int err = load_with(cases[i].fallback, cases[i].items);
        if (err != cases[i].err || strcmp(err_code(), cases[i].code))
            fail_msg("case %zu: got %d %s (%s)", i, err, err_code(), err_message());
        assert_int_equal(wasl_nlanguages, 0);
        assert_false(language_valid("en"));
    }
}

static int setup(void **state)
{
    (void)state;
    char *p = test_tmp_path("x");
    if (!p)
        return -1;
    *strrchr(p, '/') = '\0';
    dir = p;
    return 0;
}

static int teardown(void **state)
{
    char path[600];
    (void)state;
    snprintf(path, sizeof(path), "%s/languages.json", dir);
    unlink(path);
    rmdir(dir);
    free(dir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shipped),
        cmocka_unit_test(eighth_language),
        cmocka_unit_test(refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
