/*
 * Practice scripts: the parser's named errors (one broken script per row;
 * the message must name the file and the field), the scripts shipped in
 * data/practice/scripts (seven languages, every line speakable, every
 * expected article in the guide), and the scoring rules (each criterion's
 * weight, the deadline as the due date minus the call's day).
 */
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "practice/practice.h"

static const char *data_dir(void)
{
    const char *d = getenv("WASL_TEST_DATA");
    return d && *d ? d : "data";
}

#define EXP "\"expected\":{\"article\":\"passport-lost\",\"case_type\":\"dossier\",\"category\":\"passport\",\"deadline_days\":7}"
#define GOOD "{\"id\":\"t-1\",\"language\":\"fr\",\"title\":\"T\",\"lines\":[\"Bonjour\",\"Au revoir\"]," EXP "}"

static void test_parse_good(void **state)
{
    (void)state;
    struct practice_script s;
    assert_int_equal(practice_script_parse(GOOD, strlen(GOOD), "t.json", &s), 0);
    assert_string_equal(s.id, "t-1");
    assert_string_equal(s.language, "fr");
    assert_int_equal(s.nlines, 2);
    assert_string_equal(s.lines[1], "Au revoir");
    assert_int_equal(s.pause_ms, 3000);
    assert_string_equal(s.article, "passport-lost");
    assert_string_equal(s.case_type, "dossier");
    assert_string_equal(s.category, "passport");
    assert_int_equal(s.deadline_days, 7);
}

static void test_parse_named_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } rows[] = {
        {"{", "t.json:1:"},
        {"[]", "(top): a JSON object"},
        {"{\"id\":\"T!\",\"language\":\"fr\",\"title\":\"T\",\"lines\":[\"a\"]," EXP "}", "id: 1 to 39"},
        {"{\"id\":\"t\",\"language\":\"xx\",\"title\":\"T\",\"lines\":[\"a\"]," EXP "}", "language: not a language"},
        {"{\"id\":\"t\",\"language\":\"fr\",\"lines\":[\"a\"]," EXP "}", "title: a UTF-8 text"},
        {"{\"id\":\"t\",\"language\":\"fr\",\"title\":\"T\",\"lines\":[]," EXP "}", "lines: a list of 1 to 12"},
        {"{\"id\":\"t\",\"language\":\"fr\",\"title\":\"T\",\"lines\":[\"a\",3]," EXP "}", "lines[1]: a UTF-8 text"},
        {"{\"id\":\"t\",\"language\":\"fr\",\"title\":\"T\",\"lines\":[\"a\"],\"pause_ms\":-1," EXP "}", "pause_ms: an integer"},
        {"{\"id\":\"t\",\"language\":\"fr\",\"title\":\"T\",\"lines\":[\"a\"]}", "expected: an object"},
        {"{\"id\":\"t\",\"language\":\"fr\",\"title\":\"T\",\"lines\":[\"a\"],\"expected\":{\"article\":\"passport-lost\","
         "\"case_type\":\"dossier\",\"category\":\"passport\"}}",
         "deadline_days: an integer from 0 to 366"},
        {"{\"id\":\"t\",\"language\":\"fr\",\"title\":\"T\",\"lines\":[\"a\"],\"expected\":{\"article\":\"Passport Lost\","
         "\"case_type\":\"dossier\",\"category\":\"passport\",\"deadline_days\":1}}",
         "article: 1 to 79"},
        {"{\"id\":\"t\",\"language\":\"fr\",\"title\":\"T\",\"lines\":[\"a\"],\"expected\":{\"article\":\"a\","
         "\"case_type\":\"dossier\",\"category\":\"passport\",\"deadline_days\":1,\"hint\":1}}",
         "expected: unknown field 'hint'"},
        {"{\"id\":\"t\",\"language\":\"fr\",\"title\":\"T\",\"lines\":[\"a\"],\"voice\":\"x\"," EXP "}", "unknown field 'voice'"},
        {"{\"id\":\"t\",\"id\":\"u\"}", "t.json:1:"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct practice_script s;
        int err = practice_script_parse(rows[i].text, strlen(rows[i].text), "t.json", &s);
        if (err != WASL_EINVAL || strcmp(err_code(), "practice.invalid_script") || !strstr(err_message(), rows[i].want) ||
            !strstr(err_message(), "t.json"))
            fail_msg("row %zu: err %d %s: '%s' (wanted '%s')", i, err, err_code(), err_message(), rows[i].want);
        err_clear();
    }
}

static void test_parse_limits(void **state)
{
    (void)state;
    struct practice_script s;
    char *big = malloc(PRACTICE_FILE_MAX + 2);
    assert_non_null(big);
    memset(big, ' ', PRACTICE_FILE_MAX + 1);
    big[PRACTICE_FILE_MAX + 1] = '\0';
    assert_int_equal(practice_script_parse(big, PRACTICE_FILE_MAX + 1, "t.json", &s), WASL_EINVAL);
    assert_non_null(strstr(err_message(), "over 16384 bytes"));
    err_clear();
    /* a line as long as the limit */
    char text[2048];
    char line[PRACTICE_LINE_MAX + 1];
    memset(line, 'a', PRACTICE_LINE_MAX);
    line[PRACTICE_LINE_MAX] = '\0';
    snprintf(text, sizeof(text), "{\"id\":\"t\",\"language\":\"fr\",\"title\":\"T\",\"lines\":[\"%s\"]," EXP "}", line);
    assert_int_equal(practice_script_parse(text, strlen(text), "t.json", &s), WASL_EINVAL);
    assert_non_null(strstr(err_message(), "lines[0]"));
    err_clear();
    free(big);
}

/* The shipped scripts: every language of the center, and what they expect exists. */
static void test_shipped(void **state)
{
    (void)state;
    const struct practice_script *s;
    char path[1200];
    struct stat st;
    assert_int_equal(practice_load(data_dir(), NULL, false), 0);
    int n = practice_scripts(&s);
    for (int l = 0; l < wasl_nlanguages; l++) {
        bool found = false;
        for (int i = 0; i < n && !found; i++)
            found = !strcmp(s[i].language, wasl_languages[l]);
        if (!found)
            fail_msg("no practice script in %s", wasl_languages[l]);
    }
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/guide/%s/article.json", data_dir(), s[i].article);
        if (stat(path, &st))
            fail_msg("%s expects article %s, not in the guide", s[i].id, s[i].article);
    }
    assert_ptr_equal(practice_script_get(s[0].id), &s[0]);
    assert_null(practice_script_get("nope"));
    practice_unload();
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* A folder of scripts: a bad file stops the load naming it; two scripts
 * with one id are refused; no folder at all is no scripts. */
static void test_load_folder(void **state)
{
    (void)state;
    const struct practice_script *s;
    char dir[] = "/tmp/wasl-practice-XXXXXX";
    assert_non_null(mkdtemp(dir));
    write_file(dir, "a.json", GOOD);
    assert_int_equal(practice_load(data_dir(), dir, false), 0);
    assert_int_equal(practice_scripts(&s), 1);
    write_file(dir, "b.json", GOOD);
    assert_int_equal(practice_load(data_dir(), dir, false), WASL_EINVAL);
    assert_non_null(strstr(err_message(), "another script has this id"));
    err_clear();
    assert_int_equal(practice_scripts(&s), 1); /* the scripts loaded before are kept */
    write_file(dir, "b.json", "{\"id\": 1}");
    assert_int_equal(practice_load(data_dir(), dir, false), WASL_EINVAL);
    assert_non_null(strstr(err_message(), "practice/scripts/b.json: id"));
    err_clear();
    char path[600];
    snprintf(path, sizeof(path), "%s/a.json", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/b.json", dir);
    unlink(path);
    rmdir(dir);
    assert_int_equal(practice_load(data_dir(), dir, false), 0);
    assert_int_equal(practice_scripts(&s), 0);
}

static void test_scoring(void **state)
{
    (void)state;
    struct practice_script s;
    assert_int_equal(practice_script_parse(GOOD, strlen(GOOD), "t.json", &s), 0);
    int64_t day = days_from_civil(2026, 12, 1);
    static const struct {
        const char *article, *type, *category;
        int64_t due; /* days after the call; -1: none */
        int score;
        bool a, t, c, d;
    } rows[] = {
        {"passport-lost", "dossier", "passport", 7, 100, true, true, true, true},
        {"passport-adult", "dossier", "passport", 7, 60, false, true, true, true},
        {"passport-lost", "information", "passport", 7, 80, true, false, true, true},
        {"passport-lost", "dossier", "civil-status", 7, 80, true, true, false, true},
        {"passport-lost", "dossier", "passport", 8, 80, true, true, true, false},
        {"passport-lost", "dossier", "passport", -1, 80, true, true, true, false},
        {"passport-lost", NULL, NULL, -1, 40, true, false, false, false},
        {NULL, NULL, NULL, -1, 0, false, false, false, false},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct practice_record r = {.case_type = rows[i].type,
                                    .category = rows[i].category,
                                    .due_day = rows[i].due < 0 ? INT64_MIN : day + rows[i].due,
                                    .call_day = day};
        if (rows[i].article) {
            r.articles[r.narticles++] = "guide-other";
            r.articles[r.narticles++] = rows[i].article;
        }
        struct practice_result res;
        practice_score(&s, &r, &res);
        if (res.score != rows[i].score || res.article != rows[i].a || res.case_type != rows[i].t || res.category != rows[i].c ||
            res.deadline != rows[i].d)
            fail_msg("row %zu: score %d (wanted %d)", i, res.score, rows[i].score);
    }
    assert_int_equal(PRACTICE_W_ARTICLE + PRACTICE_W_TYPE + PRACTICE_W_CATEGORY + PRACTICE_W_DEADLINE, 100);
}

int main(void)
{
    if (geo_load_languages(data_dir())) {
        fprintf(stderr, "data/languages.json: %s\n", err_message());
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_good), cmocka_unit_test(test_parse_named_errors), cmocka_unit_test(test_parse_limits),
        cmocka_unit_test(test_shipped),    cmocka_unit_test(test_load_folder),        cmocka_unit_test(test_scoring),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
