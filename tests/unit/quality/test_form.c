/*
 * Evaluation forms (the center's languages from data/languages.json): the loader's named errors (one broken form per row, the
 * message must name the file, section, question or field) and the scoring
 * rules (weights, N/A removing a question's weight, critical questions
 * zeroing their section or the whole review, 0-n scales), plus the default
 * form of data/ and the calibration spread.
 */
#include <math.h>

#include "test.h"
#include "quality/quality.h"

#define T7(s)                                                                                                                      \
    "{\"ar\":\"" s "\",\"fr\":\"" s "\",\"es\":\"" s "\",\"it\":\"" s "\",\"nl\":\"" s "\",\"de\":\"" s "\",\"en\":\"" s "\"}"

/* Two sections: a (weight 60: q1 yes/no w1, q2 0-4 w3 N/A allowed), b (weight
 * 40: q3 yes/no critical section w1, q4 yes/no N/A w1), q5 in b critical form w0. */
static const char *FORM = "{\"id\":\"t\",\"version\":2,\"name\":" T7(
    "T") ",\"sections\":["
         "{\"id\":\"a\",\"weight\":60,\"name\":" T7(
             "A") ",\"questions\":["
                  "{\"id\":\"q1\",\"weight\":1,\"text\":" T7(
                      "Q1") "},"
                            "{\"id\":\"q2\",\"weight\":3,\"scale\":\"0-4\",\"na\":true,\"text\":" T7(
                                "Q2") "}]},"
                                      "{\"id\":\"b\",\"weight\":40,\"name\":" T7(
                                          "B") ",\"questions\":["
                                               "{\"id\":\"q3\",\"weight\":1,\"critical\":\"section\",\"text\":" T7(
                                                   "Q3") "},"
                                                         "{\"id\":\"q4\",\"weight\":1,\"na\":true,\"text\":" T7(
                                                             "Q4") "},"
                                                                   "{\"id\":\"q5\",\"weight\":0,\"critical\":\"form\",\"na\":true,"
                                                                   "\"text\":" T7("Q5") "}]}]}";

static struct qf_form *form(void)
{
    struct qf_form *f = NULL;
    assert_int_equal(qf_parse(FORM, strlen(FORM), "t.json", &f), 0);
    return f;
}

static void test_parse_good(void **state)
{
    (void)state;
    struct qf_form *f = form();
    assert_string_equal(f->id, "t");
    assert_int_equal(f->version, 2);
    assert_int_equal(f->ns, 2);
    assert_int_equal(f->nq, 5);
    assert_int_equal(f->q[1].max, 4);
    assert_false(f->q[1].yes_no);
    assert_true(f->q[0].yes_no);
    assert_int_equal(f->q[2].critical, QF_CRIT_SECTION);
    assert_int_equal(f->q[4].critical, QF_CRIT_FORM);
    assert_int_equal(f->s[1].first, 2);
    assert_int_equal(f->s[1].count, 3);
    assert_string_equal(f->q[3].text[6], "Q4");
    assert_int_equal(qf_question_index(f, "q4"), 3);
    assert_int_equal(qf_question_index(f, "nope"), -1);
    qf_free(f);
    qf_free(NULL);
}

/* A broken form: the substitution of one piece of FORM, and what the
 * message must say. */
static const struct {
    const char *from, *to, *want;
} broken[] = {
    {"\"version\":2", "\"version\":0", "t.json: version: an integer from 1"},
    {"\"version\":2,", "", "t.json: version: missing"},
    {"\"id\":\"t\"", "\"id\":\"Bad Id\"", "t.json: id: 1 to 39 characters"},
    {"{\"id\":\"t\"", "{\"colour\":1,\"id\":\"t\"", "t.json: colour: unknown field 'colour'"},
    {"\"name\":" T7("T"), "\"name\":{\"en\":\"T\",\"xx\":\"T\"}", "t.json: name: 'xx' is not a language of data/languages.json"},
    {"\"name\":" T7("T"), "\"name\":{\"fr\":\"T\"}", "t.json: name: the 'en' text is missing (the fallback"},
    {"\"name\":" T7("T"), "\"name\":{\"en\":\"\"}", "t.json: name: the 'en' text is empty"},
    {"\"weight\":60", "\"weight\":101", "section 'a': weight: an integer from 0 to 100"},
    {"{\"id\":\"b\",\"weight\":40", "{\"id\":\"a\",\"weight\":40", "section 'a': id: used twice"},
    {"\"id\":\"q4\"", "\"id\":\"q1\"", "question 'q1': id: used twice"},
    {"\"scale\":\"0-4\"", "\"scale\":\"0-11\"", "question 'q2': scale:"},
    {"\"scale\":\"0-4\"", "\"scale\":\"0-1\"", "question 'q2': scale:"},
    {"\"scale\":\"0-4\"", "\"scale\":\"0-04\"", "question 'q2': scale:"},
    {"\"critical\":\"section\"", "\"critical\":\"all\"", "question 'q3': critical:"},
    {"\"critical\":\"section\"", "\"critical\":true", "question 'q3': critical:"},
    {"\"na\":true,\"text\":" T7("Q4"), "\"na\":\"yes\",\"text\":" T7("Q4"), "question 'q4': na: true or false"},
    {"\"text\":" T7("Q1"), "\"texte\":" T7("Q1"), "question 'q1': texte: unknown field"},
    {"\"weight\":1,\"text\":" T7("Q1"), "\"weight\":-1,\"text\":" T7("Q1"), "question 'q1': weight:"},
    {"\"weight\":60", "\"weight\":0", NULL}, /* a section of weight 0 is allowed (critical questions only) */
    {"\"sections\":[", "\"sections\":[],\"comment\":[", "t.json: sections: a list of 1 to 20 sections"},
    {"\"version\":2,", "\"version\":2,\"version\":3,", "t.json:1:"},
    {"]}]}", "]}]", "t.json:1:"},
};

static char *replaced(const char *s, const char *from, const char *to)
{
    const char *p = strstr(s, from);
    assert_non_null(p);
    char *out = malloc(strlen(s) + strlen(to) + 1);
    sprintf(out, "%.*s%s%s", (int)(p - s), s, to, p + strlen(from));
    return out;
}

static void test_parse_named_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
        char *text = replaced(FORM, broken[i].from, broken[i].to);
        struct qf_form *f = NULL;
        int err = qf_parse(text, strlen(text), "t.json", &f);
        if (!broken[i].want) {
            assert_int_equal(err, 0);
            qf_free(f);
        } else {
            if (err != WASL_EINVAL || !strstr(err_message(), broken[i].want))
                fail_msg("row %zu: err %d, message '%s', wanted '%s'", i, err, err_message(), broken[i].want);
            assert_null(f);
            assert_string_equal(err_code(), "quality.invalid_form");
        }
        err_clear();
        free(text);
    }
}

/* A language without its text gets the fallback language's, counted. */
static void test_parse_fallback_texts(void **state)
{
    (void)state;
    char *text = replaced(FORM, "\"name\":" T7("T"), "\"name\":{\"en\":\"Form\",\"ar\":\"\u0627\"}");
    struct qf_form *f = NULL;
    assert_int_equal(qf_parse(text, strlen(text), "t.json", &f), 0);
    assert_int_equal(f->missing_texts, wasl_nlanguages - 2);
    assert_string_equal(f->name[language_index("fr")], "Form");
    assert_string_equal(f->name[language_index("ar")], "\u0627");
    qf_free(f);
    free(text);
}

static void test_parse_limits(void **state)
{
    (void)state;
    struct qf_form *f = NULL;
    /* every section weight 0: nothing would ever be scored */
    char *a = replaced(FORM, "\"weight\":60", "\"weight\":0");
    char *b = replaced(a, "\"weight\":40", "\"weight\":0");
    assert_int_equal(qf_parse(b, strlen(b), "t.json", &f), WASL_EINVAL);
    assert_non_null(strstr(err_message(), "nothing would be scored"));
    free(a);
    free(b);
    /* a weighted section whose questions all weigh 0 */
    a = replaced(FORM, "{\"id\":\"q1\",\"weight\":1", "{\"id\":\"q1\",\"weight\":0");
    b = replaced(a, "\"id\":\"q2\",\"weight\":3", "\"id\":\"q2\",\"weight\":0");
    assert_int_equal(qf_parse(b, strlen(b), "t.json", &f), WASL_EINVAL);
    assert_non_null(strstr(err_message(), "section 'a': questions: a section with a weight"));
    free(a);
    free(b);
    /* 61 questions: over the cap, refused by name */
    struct sbuf s;
    sbuf_init(&s, 1 << 20);
    sbuf_adds(&s, "{\"id\":\"t\",\"version\":1,\"name\":" T7("T") ",\"sections\":[{\"id\":\"a\",\"weight\":1,\"name\":" T7(
                      "A") ",\"questions\":[");
    for (int i = 0; i <= QF_QUESTIONS_MAX; i++)
        sbuf_addf(&s, "%s{\"id\":\"q%d\",\"text\":" T7("Q") "}", i ? "," : "", i);
    sbuf_adds(&s, "]}]}");
    char *text = sbuf_take(&s);
    assert_int_equal(qf_parse(text, strlen(text), "big.json", &f), WASL_EINVAL);
    assert_non_null(strstr(err_message(), "more than 60 questions"));
    free(text);
    err_clear();
}

static double score(const struct qf_form *f, const int *a, struct qf_result *r)
{
    assert_int_equal(qf_score(f, a, r), 0);
    return r->score;
}

/* The rules, row by row: answers q1..q5, the score and raw score wanted. */
static const struct {
    int a[5];
    double score, raw;
    bool failed;
    const char *why;
} rules[] = {
    {{1, 4, 1, 1, QF_NA}, 100, 100, false, "all at the top, q5 N/A"},
    {{0, 4, 1, 1, QF_NA}, 60 * 0.75 + 40, 60 * 0.75 + 40, false, "q1 no: section a 3/4"},
    {{1, 2, 1, 1, QF_NA}, 60 * (1 + 1.5) / 4 + 40, 60 * (1 + 1.5) / 4 + 40, false, "q2 at 2 of 4: half its weight"},
    {{1, QF_NA, 1, 1, QF_NA}, 100, 100, false, "q2 N/A: its weight removed, not counted as 0"},
    {{0, QF_NA, 1, 1, QF_NA}, 40, 40, false, "q2 N/A, q1 no: section a is 0 over the weight left"},
    {{1, 4, 1, QF_NA, QF_NA}, 100, 100, false, "q4 N/A: section b on q3 alone"},
    {{1, 4, 0, 1, QF_NA}, 60, 60 + 20, false, "q3 (section critical) no: section b 0, raw keeps q4"},
    {{1, 4, 1, 1, 1}, 100, 100, false, "q5 yes weighs nothing"},
    {{1, 4, 1, 1, 0}, 0, 100, true, "q5 (form critical) no: the review is 0, raw unchanged"},
    {{1, 4, 0, QF_NA, QF_NA}, 60, 60, false, "section failed with the rest N/A still counts 0"},
};

static void test_scoring_rules(void **state)
{
    (void)state;
    struct qf_form *f = form();
    struct qf_result r;
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        double s = score(f, rules[i].a, &r);
        if (fabs(s - rules[i].score) > 1e-9 || fabs(r.raw - rules[i].raw) > 1e-9 || r.failed != rules[i].failed)
            fail_msg("row %zu (%s): score %.3f raw %.3f failed %d; wanted %.3f %.3f %d", i, rules[i].why, s, r.raw, r.failed,
                     rules[i].score, rules[i].raw, rules[i].failed);
    }
    /* the section results */
    int a[5] = {1, 4, 0, 1, QF_NA};
    score(f, a, &r);
    assert_true(r.section_failed[1]);
    assert_true(fabs(r.section[1]) < 1e-9);
    assert_true(fabs(r.section[0] - 100) < 1e-9);
    qf_free(f);
}

static void test_scoring_refusals(void **state)
{
    (void)state;
    struct qf_form *f = form();
    struct qf_result r;
    static const struct {
        int a[5];
        const char *code, *field;
    } bad[] = {
        {{QF_NA, 4, 1, 1, 1}, "quality.na_not_allowed", "q1"}, {{QF_UNANSWERED, 4, 1, 1, 1}, "quality.unanswered", "q1"},
        {{1, 5, 1, 1, 1}, "quality.invalid_answer", "q2"},     {{1, -3, 1, 1, 1}, "quality.invalid_answer", "q2"},
        {{2, 4, 1, 1, 1}, "quality.invalid_answer", "q1"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(qf_score(f, bad[i].a, &r), WASL_EINVAL);
        assert_string_equal(err_code(), bad[i].code);
        assert_string_equal(err_field(), bad[i].field);
        err_clear();
    }
    qf_free(f);
    /* everything weighted N/A: nothing to score */
    static const char *NA =
        "{\"id\":\"n\",\"version\":1,\"name\":" T7("N") ",\"sections\":[{\"id\":\"a\",\"weight\":1,\"name\":" T7(
            "A") ",\"questions\":[{\"id\":\"q\",\"na\":true,\"text\":" T7("Q") "}]}]}";
    assert_int_equal(qf_parse(NA, strlen(NA), "n.json", &f), 0);
    int na[1] = {QF_NA};
    assert_int_equal(qf_score(f, na, &r), WASL_EINVAL);
    assert_string_equal(err_code(), "quality.nothing_scored");
    err_clear();
    qf_free(f);
}

/* The shipped form parses, and its rules do what docs/quality.md says. */
static void test_default_form(void **state)
{
    (void)state;
    const char *dir = getenv("WASL_TEST_DATA");
    char path[1024], *text = NULL;
    size_t len;
    snprintf(path, sizeof(path), "%s/quality/forms/consular-call.json", dir && *dir ? dir : "data");
    assert_int_equal(file_read(path, &text, &len, QF_FILE_MAX), 0);
    struct qf_form *f = NULL;
    assert_int_equal(qf_parse(text, len, "consular-call.json", &f), 0);
    free(text);
    int a[QF_QUESTIONS_MAX];
    for (int i = 0; i < f->nq; i++)
        a[i] = f->q[i].max;
    struct qf_result r;
    assert_true(fabs(score(f, a, &r) - 100) < 1e-9);
    a[qf_question_index(f, "identity_before_data")] = 0;
    assert_true(score(f, a, &r) == 0 && r.failed);
    a[qf_question_index(f, "identity_before_data")] = QF_NA; /* no personal data on the call */
    assert_true(fabs(score(f, a, &r) - 100) < 1e-9);
    qf_free(f);
}

static void test_spread(void **state)
{
    (void)state;
    struct qf_spread s;
    double v[] = {80, 100, 90};
    qf_spread(v, 3, &s);
    assert_true(s.min == 80 && s.max == 100 && fabs(s.mean - 90) < 1e-9);
    assert_true(fabs(s.sd - sqrt(200.0 / 3)) < 1e-9);
    qf_spread(v, 0, &s);
    assert_true(s.min == 0 && s.max == 0 && s.sd == 0);
}

int main(void)
{
    const char *data = getenv("WASL_TEST_DATA");
    if (geo_load_languages(data && *data ? data : "data")) {
        fprintf(stderr, "data/languages.json: %s\n", err_message());
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_good),           cmocka_unit_test(test_parse_named_errors),
        cmocka_unit_test(test_parse_fallback_texts), cmocka_unit_test(test_parse_limits),
        cmocka_unit_test(test_scoring_rules),        cmocka_unit_test(test_scoring_refusals),
        cmocka_unit_test(test_default_form),         cmocka_unit_test(test_spread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
