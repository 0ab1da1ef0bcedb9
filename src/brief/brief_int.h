/* brief's private helpers, shared by its files. */
#ifndef WASL_BRIEF_INT_H
#define WASL_BRIEF_INT_H

#include "brief.h"

/* The stored questions as agents see them: kind, question and choices,
 * never the answers (a new array). */
json_t *brief_questions_public(const char *stored);
/* Checks an agent's answers against the stored questions; *normalized (the
 * answers as stored, caller frees) on success; *wrong: the index of a wrong
 * choice (brief.wrong_answer), else -1. */
int brief_answers_check(const char *stored, const char *answers, size_t len, char **normalized, int *wrong);

#endif
