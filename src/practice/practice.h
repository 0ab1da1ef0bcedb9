/*
 * practice: the practice line. Scripts (data/practice/scripts/<id>.json)
 * say what a pretend caller says, in which language, and what a trainee
 * should do with it (the guide article, the case type and category, the
 * deadline given); wasl calls the trainee's phone and plays the caller's
 * lines (src/tel/practice.c); the trainee records what they would record,
 * and the session is scored against the script. Sessions and what trainees
 * record live in practice_sessions only: never in cases, call_dispositions,
 * the calls table or the call.* events (docs/practice.md).
 */
#ifndef WASL_PRACTICE_H
#define WASL_PRACTICE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/core.h"
#include "geo/geo.h"
#include "store/store.h"

#define PRACTICE_FILE_MAX (16 * 1024) /* a script is a few lines of speech */
#define PRACTICE_ID_MAX 40
#define PRACTICE_LINES_MAX 12
#define PRACTICE_LINE_MAX 400 /* bytes: espeak-ng speaks a sentence or two */
#define PRACTICE_SCRIPTS_MAX 64
#define PRACTICE_PAUSE_MAX_MS 30000
#define PRACTICE_DEADLINE_MAX_DAYS 366
#define PRACTICE_ARTICLES_MAX 10 /* articles consulted a record may name (as the desk's) */

struct practice_script {
    char id[PRACTICE_ID_MAX];
    char language[WASL_LANG_CODE_MAX];
    char title[PRACTICE_LINE_MAX];
    char lines[PRACTICE_LINES_MAX][PRACTICE_LINE_MAX];
    int nlines;
    int pause_ms; /* silence after each line: the trainee's turn to speak */
    /* what the trainee should do */
    char article[80];
    char case_type[16];
    char category[32];
    int deadline_days; /* the due date the trainee gives: the call's day plus this */
};

/* Parses one script's text (no I/O, no look-up of the guide or the case
 * types: practice_load() checks those). 0, or WASL_EINVAL
 * "practice.invalid_script" naming the file and the field (or the JSON
 * line). */
int practice_script_parse(const char *text, size_t len, const char *file, struct practice_script *out);

/* Reads every script of dir (NULL: data_dir/practice/scripts) and keeps
 * them. With refs, also checks each names an article of data_dir/guide, a
 * declared case type and a guide category (the case types loaded first).
 * WASL_EINVAL "practice.invalid_script" naming the file. No folder at all:
 * no scripts (logged), not an error. */
int practice_load(const char *data_dir, const char *dir, bool refs);
void practice_unload(void);
int practice_scripts(const struct practice_script **out);
const struct practice_script *practice_script_get(const char *id);
/* Where a script's line k is spoken: gen_dir/practice/<id>/<k>.wav. */
void practice_line_wav(const char *gen_dir, const char *id, int k, char *out, size_t n);

/* ---- scoring ---- */
#define PRACTICE_W_ARTICLE 40
#define PRACTICE_W_TYPE 20
#define PRACTICE_W_CATEGORY 20
#define PRACTICE_W_DEADLINE 20
struct practice_record {
    const char *articles[PRACTICE_ARTICLES_MAX]; /* slugs consulted */
    int narticles;
    const char *case_type, *category; /* NULL: no case opened */
    int64_t due_day;                  /* days since 1970 of the due date given, INT64_MIN: none */
    int64_t call_day;                 /* days since 1970 of the call, in the center's time zone */
};
struct practice_result {
    int score; /* 0-100 */
    bool article, case_type, category, deadline;
    int64_t deadline_days; /* what the trainee gave (due - call day); INT64_MIN: none */
};
/* Scores a record against its script: the weights above, each criterion
 * met or not (pure; docs/practice.md). */
void practice_score(const struct practice_script *s, const struct practice_record *r, struct practice_result *out);

/* ---- sessions (practice_sessions) ---- */
struct practice_session {
    int64_t id, user_id;
    char script[PRACTICE_ID_MAX], language[WASL_LANG_CODE_MAX];
    char state[16]; /* dialling, ringing, answered, ended, not_answered, failed, interrupted */
    char outcome[48];
    int64_t started_at, answered_at, ended_at, recorded_at, lines_played;
    int score;                   /* -1: not recorded yet */
    const char *record, *result; /* JSON text, "" when none; valid in the callback only */
};
typedef int (*practice_session_h)(const struct practice_session *s, void *arg);

/* Registers the sessions' projection (practice.call events) and marks the
 * sessions a previous run left unfinished as interrupted. */
int practice_start(struct db *db);
/* A new session for user on script (WASL_ENOENT "practice.script_not_found"),
 * WASL_ECONFLICT "practice.in_progress" when the user has one not ended. */
int practice_session_create(struct db *db, int64_t user, const char *script, int64_t *id);
/* A session that could not be dialled at all. */
int practice_session_fail(struct db *db, int64_t id, const char *why);
/* One session (WASL_ENOENT "practice.session_not_found"); an agent reaches
 * only their own (viewer 0: anybody's). */
int practice_session_get(struct db *db, int64_t id, int64_t viewer, practice_session_h h, void *arg);
/* Newest first; user 0: everybody's. */
int practice_sessions_list(struct db *db, int64_t user, int limit, practice_session_h h, void *arg);
/* Stores the trainee's record (JSON with articles, case_type, category,
 * due_on, disposition) and its score; once: WASL_ECONFLICT
 * "practice.already_recorded"; before the call was answered:
 * WASL_ECONFLICT "practice.not_answered". */
int practice_session_record(struct db *db, int64_t id, int64_t user, const char *record_json, const struct practice_result *r,
                            const char *result_json);

#endif
