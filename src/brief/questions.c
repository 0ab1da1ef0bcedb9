/*
 * The editor's questions of a briefing: checked and normalized when an
 * amendment is published, shown to agents without their answers, and the
 * agents' answers checked against them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brief_int.h"

static int bad(const char *field, const char *msg)
{
    return err_set_field(WASL_EINVAL, "brief.invalid_questions", field, "%s", msg);
}

static bool text_ok(json_t *j, size_t max)
{
    if (!json_is_string(j))
        return false;
    const char *s = json_string_value(j);
    size_t n = json_string_length(j), i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n'))
        i++;
    return i < n && n <= max && strlen(s) == n && utf8_valid(s, n);
}

static int one_question(json_t *q, size_t i, json_t *out)
{
    char field[48];
    json_t *text = json_object_get(q, "question"), *choices = json_object_get(q, "choices"), *answer = json_object_get(q, "answer");
    const char *key;
    json_t *v;

    snprintf(field, sizeof(field), "questions[%zu]", i);
    if (!json_is_object(q))
        return bad(field, "each question is an object {question, answer} or {question, choices, answer}");
    json_object_foreach(q, key, v) if (strcmp(key, "question") && strcmp(key, "choices") && strcmp(key, "answer"))
    {
        snprintf(field, sizeof(field), "questions[%zu].%.20s", i, key);
        return bad(field, "a question has only question, choices and answer");
    }
    snprintf(field, sizeof(field), "questions[%zu].question", i);
    if (!text_ok(text, BRIEF_QUESTION_MAX))
        return bad(field, "the question is a text of 1 to 300 bytes");
    if (!choices) {
        snprintf(field, sizeof(field), "questions[%zu].answer", i);
        if (!text_ok(answer, BRIEF_QUESTION_MAX))
            return bad(field, "a written question needs the expected answer, 1 to 300 bytes");
        return json_array_append_new(out, json_pack("{s:O, s:O}", "question", text, "answer", answer)) ? WASL_ENOMEM : 0;
    }
    snprintf(field, sizeof(field), "questions[%zu].choices", i);
    if (!json_is_array(choices) || json_array_size(choices) < 2 || json_array_size(choices) > BRIEF_CHOICES_MAX)
        return bad(field, "a multiple-choice question has 2 to 5 choices");
    for (size_t k = 0; k < json_array_size(choices); k++) {
        if (!text_ok(json_array_get(choices, k), BRIEF_CHOICE_MAX)) {
            snprintf(field, sizeof(field), "questions[%zu].choices[%zu]", i, k);
            return bad(field, "a choice is a text of 1 to 200 bytes");
        }
        for (size_t l = 0; l < k; l++)
            if (json_equal(json_array_get(choices, k), json_array_get(choices, l))) {
                snprintf(field, sizeof(field), "questions[%zu].choices[%zu]", i, k);
                return bad(field, "two choices are the same");
            }
    }
    snprintf(field, sizeof(field), "questions[%zu].answer", i);
    if (!json_is_integer(answer) || json_integer_value(answer) < 0 ||
        json_integer_value(answer) >= (json_int_t)json_array_size(choices))
        return bad(field, "answer is the index (from 0) of the right choice");
    return json_array_append_new(out, json_pack("{s:O, s:O, s:O}", "question", text, "choices", choices, "answer", answer))
               ? WASL_ENOMEM
               : 0;
}

int brief_questions_parse(const char *text, size_t len, char **out)
{
    json_error_t je;
    json_t *in, *norm;
    int err = 0;

    if (out)
        *out = NULL;
    if (len > BRIEF_QUESTIONS_TEXT_MAX)
        return err_set_field(WASL_ETOOBIG, "brief.invalid_questions", "questions", "the questions take more than %d bytes",
                             BRIEF_QUESTIONS_TEXT_MAX);
    if (!(in = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je)))
        return bad("questions", "the questions are not JSON");
    if (!json_is_array(in) || json_array_size(in) > BRIEF_QUESTIONS_MAX) {
        json_decref(in);
        return bad("questions", "questions is a list of at most 3 questions");
    }
    if (!(norm = json_array())) {
        json_decref(in);
        return WASL_ENOMEM;
    }
    for (size_t i = 0; !err && i < json_array_size(in); i++)
        err = one_question(json_array_get(in, i), i, norm);
    if (!err && out && !(*out = json_dumps(norm, JSON_COMPACT)))
        err = WASL_ENOMEM;
    json_decref(in);
    json_decref(norm);
    return err;
}

json_t *brief_questions_public(const char *stored)
{
    json_t *q = json_loads(stored ? stored : "[]", 0, NULL), *out = json_array();
    for (size_t i = 0; out && i < json_array_size(q); i++) {
        json_t *e = json_array_get(q, i), *choices = json_object_get(e, "choices");
        json_array_append_new(out, choices ? json_pack("{s:s, s:O, s:O}", "kind", "choice", "question",
                                                       json_object_get(e, "question"), "choices", choices)
                                           : json_pack("{s:s, s:O}", "kind", "text", "question", json_object_get(e, "question")));
    }
    json_decref(q);
    return out;
}

int brief_answers_check(const char *stored, const char *answers, size_t len, char **normalized, int *wrong)
{
    json_t *q = json_loads(stored ? stored : "[]", 0, NULL), *a = NULL;
    char field[24];
    int err = 0;

    *wrong = -1;
    *normalized = NULL;
    if (!q)
        return WASL_ENOMEM;
    if (len > BRIEF_QUESTIONS_MAX * (BRIEF_ANSWER_MAX + 16)) {
        err = err_set_field(WASL_ETOOBIG, "brief.invalid_answers", "answers", "the answers are too long");
        goto out;
    }
    a = answers && len ? json_loadb(answers, len, 0, NULL) : json_array();
    if (!json_is_array(a) || json_array_size(a) != json_array_size(q)) {
        err = err_set_field(WASL_EINVAL, "brief.invalid_answers", "answers", "give one answer per question (%zu)",
                            json_array_size(q));
        goto out;
    }
    for (size_t i = 0; !err && i < json_array_size(q); i++) {
        json_t *e = json_array_get(q, i), *ans = json_array_get(a, i);
        snprintf(field, sizeof(field), "answers[%zu]", i);
        if (json_object_get(e, "choices")) {
            if (!json_is_integer(ans) || json_integer_value(ans) < 0 ||
                json_integer_value(ans) >= (json_int_t)json_array_size(json_object_get(e, "choices")))
                err = err_set_field(WASL_EINVAL, "brief.invalid_answers", field, "answer with the index of a choice");
            else if (json_integer_value(ans) != json_integer_value(json_object_get(e, "answer"))) {
                *wrong = (int)i;
                err =
                    err_set_field(WASL_EINVAL, "brief.wrong_answer", field, "that is not the right answer; read the change again");
            }
        } else if (!text_ok(ans, BRIEF_ANSWER_MAX)) {
            err = err_set_field(WASL_EINVAL, "brief.invalid_answers", field, "write an answer of 1 to 500 bytes");
        }
    }
    if (!err && !(*normalized = json_dumps(a, JSON_COMPACT)))
        err = WASL_ENOMEM;
out:
    json_decref(q);
    json_decref(a);
    return err;
}
