/*
 * A briefing's questions as the editor writes them: what is accepted and
 * normalized, what is refused with the field named, and the agents' answers
 * checked against them.
 */
#include "test.h"
#include "brief/brief_int.h"

static void parse(void **state)
{
    static const struct {
        const char *in;
        const char *field; /* NULL: accepted */
    } cases[] = {
        {"[]", NULL},
        {"[{\"question\":\"Nouveau tarif ?\",\"choices\":[\"30\",\"40\"],\"answer\":1}]", NULL},
        {"[{\"question\":\"Depuis quand ?\",\"answer\":\"le 1er janvier\"}]", NULL},
        {"[{\"question\":\"ما الجديد؟\",\"answer\":\"الرسوم\"},{\"question\":\"q\",\"choices\":[\"a\",\"b\",\"c\"],\"answer\":0}]",
         NULL},
        {"{}", "questions"},
        {"not json", "questions"},
        {"[1]", "questions[0]"},
        {"[{\"question\":\"\",\"answer\":\"x\"}]", "questions[0].question"},
        {"[{\"question\":\"   \",\"answer\":\"x\"}]", "questions[0].question"},
        {"[{\"question\":\"q\"}]", "questions[0].answer"},
        {"[{\"question\":\"q\",\"choices\":[\"a\"],\"answer\":0}]", "questions[0].choices"},
        {"[{\"question\":\"q\",\"choices\":[\"a\",\"a\"],\"answer\":0}]", "questions[0].choices[1]"},
        {"[{\"question\":\"q\",\"choices\":[\"a\",\"b\"],\"answer\":2}]", "questions[0].answer"},
        {"[{\"question\":\"q\",\"choices\":[\"a\",\"b\"],\"answer\":\"a\"}]", "questions[0].answer"},
        {"[{\"question\":\"q\",\"choices\":[\"a\",7],\"answer\":0}]", "questions[0].choices[1]"},
        {"[{\"question\":\"q\",\"answer\":\"x\",\"hint\":\"y\"}]", "questions[0].hint"},
        {"[{\"question\":\"a\",\"answer\":\"x\"},{\"question\":\"b\",\"answer\":\"x\"},{\"question\":\"c\",\"answer\":\"x\"},"
         "{\"question\":\"d\",\"answer\":\"x\"}]",
         "questions"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *out = NULL;
        int err = brief_questions_parse(cases[i].in, strlen(cases[i].in), &out);
        if (!cases[i].field) {
            if (err)
                fail_msg("case %zu refused: %s", i, err_message());
            assert_non_null(out);
        } else {
            if (!err)
                fail_msg("case %zu accepted", i);
            assert_int_equal(err, WASL_EINVAL);
            assert_string_equal(err_code(), "brief.invalid_questions");
            if (strcmp(err_field(), cases[i].field))
                fail_msg("case %zu: field %s, want %s", i, err_field(), cases[i].field);
            assert_null(out);
        }
        free(out);
    }
    /* Over the size cap: refused as too big, not parsed. */
    char big[BRIEF_QUESTIONS_TEXT_MAX + 10];
    memset(big, ' ', sizeof(big));
    big[0] = '[';
    big[sizeof(big) - 1] = ']';
    assert_int_equal(brief_questions_parse(big, sizeof(big), NULL), WASL_ETOOBIG);
}

static void answers(void **state)
{
    const char *q = "[{\"question\":\"Nouveau tarif ?\",\"choices\":[\"30\",\"40\"],\"answer\":1},"
                    "{\"question\":\"Depuis quand ?\",\"answer\":\"1er janvier\"}]";
    char *norm = NULL;
    int wrong;
    (void)state;
    assert_int_equal(brief_answers_check(q, "[1,\"le 1er janvier\"]", 20, &norm, &wrong), 0);
    assert_string_equal(norm, "[1,\"le 1er janvier\"]");
    free(norm);
    /* a wrong choice is named */
    assert_int_equal(brief_answers_check(q, "[0,\"x\"]", 7, &norm, &wrong), WASL_EINVAL);
    assert_string_equal(err_code(), "brief.wrong_answer");
    assert_int_equal(wrong, 0);
    assert_null(norm);
    /* missing, empty or mistyped answers are not a wrong choice */
    static const char *const bad[] = {"[1]", "[1,\"\"]", "[\"40\",\"x\"]", "[5,\"x\"]", "{}", "nope"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(brief_answers_check(q, bad[i], strlen(bad[i]), &norm, &wrong), WASL_EINVAL);
        assert_string_equal(err_code(), "brief.invalid_answers");
        assert_int_equal(wrong, -1);
    }
    /* the agents' view never holds the answers */
    json_t *pub = brief_questions_public(q);
    char *s = json_dumps(pub, JSON_COMPACT);
    assert_null(strstr(s, "answer"));
    assert_non_null(strstr(s, "\"kind\":\"choice\""));
    free(s);
    json_decref(pub);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse),
        cmocka_unit_test(answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
