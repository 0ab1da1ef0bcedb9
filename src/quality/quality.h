/*
 * quality: reviews of recorded calls against evaluation forms. The forms are
 * data (data/quality/forms/<name>.json, one file per version), parsed and scored
 * here without I/O (form.c); the reviews, the calls a reviewer picks from,
 * the weekly sample, calibration and retention are in reviews.c.
 * docs/quality.md says what each rule means for the people scored.
 */
#ifndef WASL_QUALITY_H
#define WASL_QUALITY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/core.h"
#include "store/store.h"
#include "auth/auth.h"
#include "geo/geo.h"

#define QF_ID_MAX 40        /* form, section and question ids: [a-z0-9_-], 1..39 bytes */
#define QF_SECTIONS_MAX 20  /* a form a reviewer can fill in on one screen */
#define QF_QUESTIONS_MAX 60 /* over all sections (Genesys allows 200; nobody scores that many) */
#define QF_TEXT_MAX 500     /* bytes of one question's text in one language */
#define QF_SCALE_MAX 10     /* 0..n answers: n at most 10 (Amazon Connect's range) */
#define QF_FILE_MAX (256 * 1024)
#define QF_FORMS_MAX 16 /* form files in the folder */

/* What a critical question zeroes when it gets its lowest answer ("no", 0). */
enum qf_critical { QF_CRIT_NONE, QF_CRIT_SECTION, QF_CRIT_FORM };

struct qf_question {
    char id[QF_ID_MAX];
    int section; /* index in the form's sections */
    int weight;  /* 0..100 inside its section */
    int max;     /* answers 0..max; yes/no is 0..1 */
    bool yes_no; /* answered "yes" / "no" */
    bool na;     /* "na" allowed: the question then counts for nothing */
    enum qf_critical critical;
    char *text[WASL_LANG_MAX]; /* by language index (data/languages.json) */
};

struct qf_section {
    char id[QF_ID_MAX];
    int weight; /* 0..100 of the form */
    int first, count;
    char *name[WASL_LANG_MAX];
};

struct qf_form {
    char id[QF_ID_MAX];
    int version;
    char *name[WASL_LANG_MAX];
    struct qf_section s[QF_SECTIONS_MAX];
    int ns;
    struct qf_question q[QF_QUESTIONS_MAX];
    int nq;
    int missing_texts; /* texts a language lacked, given the fallback language's */
};

/* Parses one form file (name: for messages). Texts are keyed by the codes
 * of data/languages.json (geo_load_languages() first); the fallback
 * language's is required, another language without one gets the fallback's
 * (counted in missing_texts), as the disposition names do. Every mistake is WASL_EINVAL
 * "quality.invalid_form" naming the file and the line (JSON syntax), or the
 * section, question and field. *out is set only on success; free with
 * qf_free() (NULL is a no-op). */
int qf_parse(const char *text, size_t len, const char *name, struct qf_form **out);
void qf_free(struct qf_form *f);
/* The question with this id, or -1. */
int qf_question_index(const struct qf_form *f, const char *id);

#define QF_NA (-1)         /* answered "not applicable" */
#define QF_UNANSWERED (-2) /* not answered: refused when scoring */

struct qf_result {
    double score;                     /* 0..100, with the critical rules */
    double raw;                       /* 0..100 without them: to compare questions across reviews */
    bool failed;                      /* a form-critical question got its lowest answer: score 0 */
    double section[QF_SECTIONS_MAX];  /* 0..100, with a section-critical failure as 0 */
    bool section_na[QF_SECTIONS_MAX]; /* every weighted question N/A: left out */
    bool section_failed[QF_SECTIONS_MAX];
};

/* Scores answers[f->nq] (0..max, QF_NA). An unanswered question, N/A where
 * the form does not allow it, or a value out of range is WASL_EINVAL naming
 * the question; nothing left to score (every weighted question N/A) is
 * WASL_EINVAL "quality.nothing_scored". Rules (docs/quality.md):
 * question value/max times its weight, N/A removed from the weights; a
 * section's score over its answered weights; the form's over the weights
 * of the sections left; a section-critical question at its lowest answer
 * makes its section 0, a form-critical one the whole review 0. */
int qf_score(const struct qf_form *f, const int *answers, struct qf_result *out);

/* The spread of n scores: lowest, highest, mean and standard deviation
 * (of the population: the reviewers are all there is). n 0: all 0. */
struct qf_spread {
    double min, max, mean, sd;
};
void qf_spread(const double *v, int n, struct qf_spread *out);

/* ---- reviews (reviews.c) ---- */

extern const struct conf_def quality_conf[];
extern const size_t quality_conf_count;

/* Reads every form file (quality.forms_dir, else data_dir/quality/forms),
 * refusing a bad one with its named error, and records each version in the
 * store; a version whose text differs from the one already recorded is
 * WASL_ECONFLICT "quality.form_version_changed" (reviews keep the version
 * they were scored with: change the version number). */
int quality_init(struct db *db, const char *data_dir);
void quality_unload(void);
/* The current (highest) version of each form, for listing; valid until
 * quality_unload(). */
int quality_forms(const struct qf_form *const **out);
/* A form version (the store's copy); free with qf_free(). WASL_ENOENT
 * "quality.form_not_found". */
int quality_form_get(struct db *db, const char *id, int version, struct qf_form **out);

/* Calls a reviewer may pick, newest first. */
struct quality_filter {
    int64_t from, to;        /* started in [from, to) (µs) */
    int64_t agent;           /* 0: any */
    const char *queue;       /* "fr.general": joined that queue; NULL any */
    const char *disposition; /* NULL any */
    int64_t longer_than_ms;  /* talk longer than; 0 any */
    bool low_csat;           /* its case was rated 1 or 2 (portal rating) */
    bool amended;            /* an article consulted has a newer version in force */
    bool recorded;           /* has a recording */
    int limit;
};
struct quality_call {
    int64_t id, started_at, agent_user, talked_ms, waited_ms;
    const char *language, *country, *outcome, *disposition, *case_reference; /* may be NULL */
    const char
        *articles; /* JSON [{"slug","lang","version","in_force"}] consulted (in_force: the version in force now, 0 none), or NULL */
    const char *queue; /* the last queue joined, or NULL */
    int rating;        /* the case's portal rating, 0 none */
    bool recorded, amended;
    int reviews; /* reviews of it so far */
};
typedef int (*quality_call_h)(const struct quality_call *c, void *arg);
int quality_calls(struct db *db, const struct quality_filter *f, quality_call_h h, void *arg);
/* One call as quality_calls() shows it: WASL_ENOENT "quality.call_not_found". */
int quality_call_get(struct db *db, int64_t id, quality_call_h h, void *arg);

/* The week's sample: per agent, up to per_agent of the answered and
 * recorded calls of the ISO week starting at monday (µs, Casablanca
 * midnight), drawn by a keyed hash of the week and the call's number (the
 * same for every reviewer; unpredictable without the server's key). */
int quality_sample(struct db *db, int64_t monday, int per_agent, quality_call_h h, void *arg);
/* Monday 00:00 Africa/Casablanca of week "2026-W49" (µs). */
int quality_week_start(const char *week, int64_t *out);

struct quality_review {
    int64_t id, call_id, agent_user, reviewer_user, created_at, updated_at, acknowledged_at, call_started_at;
    char form_id[QF_ID_MAX];
    int form_version;
    bool calibration, failed;
    double score, raw;
    const char *answers;                 /* JSON {question: value|"na"} */
    const char *comment, *agent_comment; /* may be NULL */
};
struct quality_review_input {
    int64_t call_id;
    const char *form_id; /* NULL: the default form (the first of the folder) */
    const struct json_t *answers;
    const char *comment;
    bool calibration;
};
/* answers {"question": "yes"|"no"|"na"|0..n} into a[f->nq] (QF_UNANSWERED
 * where absent); an unknown question or an answer outside its scale is
 * WASL_EINVAL naming it. text (may be NULL) gets the canonical JSON, the
 * form's order, to free(). */
int quality_answers_parse(const struct qf_form *f, const struct json_t *o, int *a, char **text);
/* Scores and saves who's review of a call (one per reviewer and call: a
 * second save rescores it, refused once the agent acknowledged it), with
 * its audit entry. *id gets the review's id. */
int quality_review_save(struct db *db, const struct actor *who, const struct quality_review_input *in, int64_t *id);
typedef int (*quality_review_h)(const struct quality_review *r, void *arg);
/* Reviews, newest first: of one agent (0 any), of one call (0 any); agents
 * see only their own and never calibration reviews (the caller passes
 * who). */
int quality_reviews(struct db *db, const struct actor *who, int64_t agent, int64_t call, int limit, quality_review_h h, void *arg);
int quality_review_get(struct db *db, const struct actor *who, int64_t id, quality_review_h h, void *arg);
/* The agent acknowledges their review, with an optional comment (audited);
 * once only. */
int quality_review_acknowledge(struct db *db, const struct actor *who, int64_t id, const char *comment);

/* Deletes the reviews of calls that started before `before` (µs); *n gets
 * how many. The recordings' purge calls it with its own limit less
 * quality.review_retention. */
int quality_purge(struct db *db, int64_t before, int *n);

#endif
