/*
 * brief: guide briefings. When an amendment of an article is published in a
 * language, the agents who take calls in that language are briefed: what
 * changed (a word diff of the text in their language), since when it
 * applies, and up to BRIEF_QUESTIONS_MAX short questions by the editor. Each
 * agent answers and acknowledges (audited); supervisors see who has and the
 * time from publication to 90 % of the agents briefed. A later amendment of
 * the same article and language supersedes a briefing still pending: the
 * agent gets the newest one with the diff from the last version they were
 * briefed on. Owns the tables briefings, briefing_diffs, briefing_recipients.
 */
#ifndef WASL_BRIEF_H
#define WASL_BRIEF_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "core/core.h"
#include "store/store.h"
#include "auth/auth.h"

#define BRIEF_QUESTIONS_MAX 3         /* "a short question or two"; a third at most */
#define BRIEF_QUESTION_MAX 300        /* bytes of a question, of an expected answer */
#define BRIEF_CHOICES_MAX 5           /* choices of a multiple-choice question (2 at least) */
#define BRIEF_CHOICE_MAX 200          /* bytes of a choice */
#define BRIEF_ANSWER_MAX 500          /* bytes of an agent's written answer */
#define BRIEF_QUESTIONS_TEXT_MAX 4096 /* bytes of the questions' JSON */

/* Registers the publication hook with the guide: from then on every version
 * published after an earlier one in its language creates a briefing. */
void brief_init(void);

/* Checks the editor's questions, a JSON array of at most
 * BRIEF_QUESTIONS_MAX objects, each
 *   {"question": "...", "choices": ["...", "..."], "answer": 1}  (multiple choice,
 *                                          answer: the index of the right choice)
 *   {"question": "...", "answer": "..."}   (written; the answer is what the
 *                                          editor expects, shown after)
 * and gives it back normalized (caller frees *out; may be NULL to check
 * only). WASL_EINVAL "brief.invalid_questions" naming the field
 * ("questions[1].choices"), WASL_ETOOBIG over BRIEF_QUESTIONS_TEXT_MAX. */
int brief_questions_parse(const char *text, size_t len, char **out);

/* The briefings pending for an agent, oldest first: per briefing its
 * article, version, language, effective date, the diff they are to read
 * and the questions without their answers. *out: a new JSON array. */
int brief_pending(struct db *db, int64_t user_id, json_t **out);
/* How many are pending (the desk's badge). */
int brief_pending_count(struct db *db, int64_t user_id, int64_t *n);

/* The agent (who) acknowledges a pending briefing with answers, a JSON
 * array with one element per question: the index of a choice or a written
 * answer (1 to BRIEF_ANSWER_MAX bytes). A wrong choice is refused
 * (WASL_EINVAL "brief.wrong_answer", field "answers[i]") and counted; the
 * acknowledgement, with its time and the answers, is audited, and also
 * acknowledges the older briefings of the article this one superseded for
 * them. brief.not_found (404) when it is not theirs, brief.not_pending
 * (409) once done or superseded. *out: the briefing with the questions'
 * expected answers. */
int brief_acknowledge(struct db *db, const struct actor *who, int64_t id, const char *answers, size_t len, json_t **out);

/* Supervisors: the briefings published since `since` (0: all), newest
 * first, optionally of one language, with the agents concerned, briefed
 * (acknowledged, directly or through a later briefing) and pending, and the
 * seconds from publication to 90 % of them briefed (null until then). */
int brief_list(struct db *db, int64_t since, const char *lang, json_t **out);
/* One briefing with its diff, questions and answers, and every agent
 * concerned: state, time of acknowledgement, wrong tries, answers. */
int brief_get(struct db *db, int64_t id, json_t **out);

/* An agent's briefings published in [from, to) (µs): how many, how many
 * they acknowledged more than late_after (µs) after publication, and how
 * many are still unread (pending, or superseded by a later one unread). */
int brief_agent_counts(struct db *db, int64_t user_id, int64_t from, int64_t to, int64_t late_after, int64_t *published,
                       int64_t *late, int64_t *pending);
/* What a quality review needs about a call: given the article, language
 * and version the agent consulted (0: unknown) and the instant of the call,
 * which version was current then, whether the one used was superseded, and
 * whether the agent had been briefed on the current one by then. */
struct brief_check {
    int current;        /* version in force at `at` (0: none) */
    int newest;         /* newest published so far */
    bool superseded;    /* version_used > 0 and older than current */
    bool amendment;     /* current had a briefing (it amended an earlier version) */
    bool concerned;     /* the agent was among those briefed on it */
    bool briefed;       /* ... and had acknowledged it (or a later one) by `at` */
    int64_t briefed_at; /* when (0: not) */
    int64_t briefing_id;
};
int brief_check(struct db *db, const char *slug, const char *lang, int version_used, int64_t at, int64_t user_id,
                struct brief_check *out);

#endif
