/*
 * cases internals shared by the files of src/cases, its tests and fuzz
 * targets.
 */
#ifndef WASL_CASES_INT_H
#define WASL_CASES_INT_H

#include "cases.h"
#include "geo/geo.h"
#include "limit/limit.h"

/* ---- crypto.c: keys, sealed fields, blind indexes ---- */
int keys_load(const char *path, bool create);
/* Adds a new key to the key file and makes it current. */
int keys_add(void);
int keys_current(void);
void keys_forget(void);
/* Encrypts plain with the current key; NULL plain gives a NULL blob. */
int seal(const char *plain, unsigned char **blob, size_t *n);
/* Decrypts a blob written by seal() with any key of the file; NULL/empty
 * blob gives NULL. */
int unseal(const void *blob, size_t n, char **plain);
/* Key id a blob was sealed with (0 for none). */
int sealed_key(const void *blob, size_t n);
/* Keyed hash (hex) of a normalized phone or e-mail, for look-ups. */
void blind_index(const char *kind, const char *normalized, char out[65]);
/* Keyed hash of a case's PIN, bound to its reference. */
void pin_hash(const char *reference, const char *pin, char out[65]);

/* ---- config.c: types, deadlines, texts ---- */
struct sla {
    char type[16], priority[10];
    int64_t first_response, resolution, warn; /* business seconds */
};
const struct sla *sla_for(const char *type, const char *priority);
/* Checks fields against the type's declaration; names the field on error. */
int case_check_fields(const struct case_type *t, const struct case_field *f, int n, bool creating);

struct case_settings {
    char data_dir[1024];
    char key_file[1024];
    int64_t retention_closed; /* seconds a closed case keeps its personal data */
    int64_t retention_search_log;
    int64_t retention_mail;      /* sent or failed outbox rows */
    int64_t retention_addresses; /* rate-limit rows keyed by source address */
    int64_t retention_callbacks; /* callback requests with the caller's number */
    int portal_per_hour;         /* filings per address per hour */
    int tick_seconds;            /* worker period */
    int pin_failures;            /* wrong PINs per reference before a pause */
    int64_t pin_lockout;
    int64_t pin_max_delay; /* seconds */
    int smtp_on;
    char smtp_url[256], smtp_from[128], smtp_user[128], smtp_password[128];
    char portal_url[256];
};
extern struct case_settings cases_cfg;

/* ---- cases.c ---- */
/* Plain text of at most max bytes, valid UTF-8, no control characters (one
 * line, or lines and tabs), no markup; names field on error. */
int case_check_text(const char *v, const char *field, size_t max, bool required, bool one_line);
#define CASE_COLUMNS                                                                                                               \
    "c.id, c.reference, c.type, c.category, c.status, c.priority, c.channel, c.language, c.country, c.consulate, "                 \
    "c.assignee_user, c.assignee_consulate, c.subject, c.description_enc, c.fields_enc, c.name_enc, c.phone_enc, "                 \
    "c.email_enc, c.id_number_enc, c.passport_enc, c.articles, c.created_by, c.created_at, c.updated_at, "                         \
    "c.first_response_at, c.resolved_at, c.closed_at, c.first_response_due, c.resolution_due, c.paused_since, "                    \
    "c.warned_at, c.breached_at, c.escalated, c.rating, c.rating_comment_enc, c.anonymized_at, "                                   \
    "(SELECT m.reference FROM cases m WHERE m.id = c.merged_into), (SELECT u.login FROM users u WHERE u.id = c.assignee_user), "   \
    "c.citizen_reply_at, c.seen_at, c.subject_enc"
/* Fills c from a row of CASE_COLUMNS; decrypt: personal data in clear, else masked. */
int case_from_row(struct db_stmt *s, struct case_rec *c, bool decrypt);
/* Reads a case by normalized reference, decrypted, without audit or scope. */
int case_read(struct db *db, const char *ref, struct case_rec *out);
int case_read_conn(struct db_conn *c, const char *ref, struct case_rec *out);
bool case_in_scope(const struct actor *who, const struct case_rec *c);
/* Audits a back-office user's refused access to another consulate's case
 * (action "case.view_refused", ...): the caller then answers "not found".
 * Outside any transaction that will be rolled back. */
int case_scope_refused(struct db_conn *c, const struct actor *who, const char *ref, const char *action);
bool case_status_valid(const char *s);
bool case_priority_valid(const char *s);
int case_event_add(struct db_conn *c, int64_t case_id, const char *actor, const char *kind, bool public_note, const char *body,
                   const char *detail);
/* case_update() inside a caller's transaction (ref normalized). */
int case_update_conn(struct db_conn *c, const struct actor *who, const char *ref, const struct case_change *ch);
/* A rate-limit hit on key: WASL_ELIMIT (cases.too_many_attempts, with
 * Retry-After) for the hit past max in a window of `window` seconds, and for
 * every hit while the key is blocked (`block` seconds). */
int rate_hit(struct db_conn *c, const char *key, int max, int64_t window, int64_t block);
/* PIN attempts, after OWASP: the address on the reference and the address
 * on all references are locked after too many wrong PINs; the reference
 * itself is only slowed down (1 s, 2 s ... up to cases.pin_max_delay), so
 * who knows a reference cannot keep its owner out. pin_check(): 0, or
 * WASL_ELIMIT cases.too_many_attempts (locked) / cases.slow_down; pin_fail()
 * counts a wrong PIN. */
int pin_check(struct db_conn *c, const char *ref, const char *ip);
int pin_fail(struct db_conn *c, const char *ref, const char *ip);
/* Queues a mail to a citizen in the outbox. */
int outbox_add(struct db_conn *c, int64_t case_id, const char *to, const char *subject, const char *body);
/* A list of guide articles consulted: JSON [{"slug","lang","version"}], at
 * most CASE_ARTICLES_MAX; NULL is none. */
int case_articles_check(const char *json);
/* ---- calls.c ---- */
int call_dispositions_load(const char *path);
/* The calls recorded for a number's blind index, newest first, at most max;
 * strict: more than max is WASL_ELIMIT (an export), else they are left for
 * later (the screen pop shows the latest). */
int call_notes_by_index(struct db *db, const char *phone_idx, int max, bool strict, call_note_h h, void *arg);
/* ---- list.c ---- */
/* The case list's query, built without the store: a fixed SQL text (input
 * goes into parameters only) and its parameters, which point into the
 * struct. For case_list() and its fuzz target. */
#define CASE_QUERY_PARAMS 48
#define CASE_Q_MAX 200     /* bytes in the search box */
#define CASE_Q_WORDS_MAX 6 /* name words matched at once */
struct case_query {
    struct sbuf sql; /* " FROM cases c WHERE ..." */
    struct db_param p[CASE_QUERY_PARAMS];
    int n;
    const char *how; /* how the search was read, or NULL */
    int sort;        /* index in the sort table: 0 created, 1 updated, 2 deadline, 3 priority */
    int64_t cursor_key, cursor_id;
    char name_idx[CASE_Q_WORDS_MAX][65], name_pat[CASE_Q_WORDS_MAX][70];
    char subject_idx[CASE_Q_WORDS_MAX][65], subject_pat[CASE_Q_WORDS_MAX][70];
    int nwords;
    char phone_idx[65], email_idx[65], search_idx[65], ref[CASE_REF_LEN + 1];
    bool too_many;
};
/* Checks the filter and builds the query; release q in every case. */
int case_query_build(struct case_query *q, const struct actor *who, const struct case_filter *f);
void case_query_release(struct case_query *q);
/* The blind index (of kind "name" or "subject") of each word of text
 * (folded: case, accents), space-separated (caller frees); NULL for no text
 * or out of memory. */
char *case_word_tokens(const char *kind, const char *text);
/* Seals the subjects of up to 200 cases, and up to 200 guide searches,
 * stored in clear before migration 0013 (which cannot: the key is not in
 * the database), with their indexes; *n gets how many, 0 once all are
 * done. Run by the worker until then. */
int cases_seal_subjects(struct db *db, int *n);
/* Indexes the names of up to 200 cases stored before the name index
 * (migration 0008 cannot: the index is keyed); *n gets how many, 0 once all
 * are done. Run by the worker until then. */
int cases_index_names(struct db *db, int *n);
int case_deadlines(const char *type, const char *priority, int64_t created, int64_t *first, int64_t *resolution);

#endif
