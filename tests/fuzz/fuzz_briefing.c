/*
 * Fuzz target: a briefing's questions as an editor sends them (JSON checked
 * and normalized by brief_questions_parse), then, when they are accepted,
 * the same bytes as an agent's answers to them, and the text diff of the
 * two halves of the input (the amendment's old and new text).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "brief/brief_int.h"
#include "diff/diff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int seg_h(char op, const char *text, size_t len, void *arg)
{
    size_t *total = arg;
    if (!len || (op != '=' && op != '-' && op != '+'))
        __builtin_trap();
    *total += len;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *norm = NULL, *answers = NULL;
    int wrong;

    if (brief_questions_parse((const char *)data, size, &norm) == 0) {
        /* Accepted questions parse again to themselves. */
        char *again = NULL;
        if (brief_questions_parse(norm, strlen(norm), &again) || strcmp(norm, again))
            __builtin_trap();
        free(again);
        json_decref(brief_questions_public(norm));
        if (brief_answers_check(norm, (const char *)data, size, &answers, &wrong) == 0 && !answers)
            __builtin_trap();
        free(answers);
    }
    free(norm);
    err_clear();

    /* The diff of the input's two halves covers both (as C strings). */
    char *a = strndup((const char *)data, size / 2), *b = strndup((const char *)data + size / 2, size - size / 2);
    size_t total = 0;
    bool limited;
    if (a && b && diff_text(a, b, seg_h, &total, &limited) == 0 && total < (strlen(a) > strlen(b) ? strlen(a) : strlen(b)))
        __builtin_trap();
    free(a);
    free(b);
    err_clear();
    return 0;
}
