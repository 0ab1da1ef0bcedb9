/*
 * cases: what citizens ask the center to follow. Information requests (with
 * the guide articles used), dossier follow-ups at a consulate, complaints,
 * suggestions and observations; their references (check character) and PINs;
 * the workflow, assignment, notes and history; deadlines in business time;
 * the citizens' portal and Open311; and the protection of personal data:
 * encryption at rest, blind indexes, masking, audited reads, retention,
 * subject-access export and erasure. Knows nothing of HTTP or calls.
 */
#ifndef WASL_CASES_H
#define WASL_CASES_H

#include <stdbool.h>
#include <stdint.h>

#include "core/core.h"
#include "store/store.h"
#include "auth/auth.h"

extern const struct conf_def cases_conf[];
extern const size_t cases_conf_count;

/* Reads settings, data/cases/ (types, deadlines, message texts) and the key
 * file. create_key: make a new key file when there is none (wasl init). */
int cases_init(const char *data_dir, bool create_key);
void cases_shutdown(void);
/* The portal's address in mails when cases.portal_url is not set. */
void cases_set_default_portal(const char *url);

/* ---- references ---- */
#define CASE_REF_LEN 11 /* "ABC-DEF-GHJ" */
/* Normalizes a reference as typed or read out (case, spaces, dashes, the
 * look-alikes I L O) into out (CASE_REF_LEN + 1) and checks its check
 * character. WASL_EINVAL "cases.invalid_reference" when it cannot be one. */
int case_ref_parse(const char *in, char *out);
/* A new random reference with its check character. */
void case_ref_new(char *out);
/* The reference as keyed on a telephone keypad: its nine characters as
 * digits (A B C -> 2, ...), out has room for 10. */
void case_ref_keys(const char *ref, char *out);

/* ---- the case ---- */
enum { CASE_FIELDS_MAX = 8, CASE_ARTICLES_MAX = 10 };

struct citizen {
    char *name, *phone, *email, *id_number, *passport;
};

struct case_field {
    char name[32];
    char *value;
};

struct case_input {
    const char *type, *category, *priority, *channel, *language, *country, *consulate;
    const char *subject, *description;
    struct case_field fields[CASE_FIELDS_MAX];
    int nfields;
    struct citizen citizen;
    const char *articles; /* JSON [{"slug","lang","version"}] for information requests */
    /* An idempotency key (the API's Idempotency-Key header), or NULL: the
     * same creator sending the same input with the same key within a day
     * gets the case (and PIN) of the first request, and *replayed (if set)
     * becomes true; the same key with another input is WASL_EINVAL
     * "cases.request_key_reused". */
    const char *request_key;
    bool *replayed;
};

struct case_rec {
    int64_t id;
    char reference[CASE_REF_LEN + 1];
    char type[16], category[32], status[20], priority[10], channel[10], language[4];
    char country[3], consulate[12], assignee_consulate[12];
    int64_t assignee_user;
    char assignee_login[USER_LOGIN_MAX + 1];
    char *subject, *description;
    struct case_field fields[CASE_FIELDS_MAX];
    int nfields;
    struct citizen citizen; /* decrypted (views) or masked (lists) */
    char *articles;
    char merged_into[CASE_REF_LEN + 1];
    char created_by[USER_LOGIN_MAX + 8];
    int64_t created_at, updated_at, first_response_at, resolved_at, closed_at;
    int64_t first_response_due, resolution_due, paused_since;
    bool warned, breached, escalated, anonymized;
    int rating; /* 0: none */
    char *rating_comment;
    bool new_reply; /* the citizen answered on the portal since the assignee last opened the case */
};
void case_rec_clear(struct case_rec *c);

/* Creates a case (validated against its type's declared fields), with its
 * PIN (6 digits, written to pin_out), deadlines, history and audit entry;
 * a complaint gets its acknowledgement (event, and e-mail when an address is
 * given). WASL_EINVAL names the field. */
int case_create(struct db *db, const struct actor *who, const struct case_input *in, struct case_rec *out, char pin_out[7]);
/* Checks an idempotency key's form: 8 to 64 of A-Z a-z 0-9 . _ : - */
bool case_request_key_valid(const char *key);
/* Forgets idempotency keys older than a day; *n gets how many. */
int case_requests_purge(struct db *db, int64_t now, int *n);
/* The full case, personal data decrypted: the read is audited. Backoffice
 * users only see their consulate's cases (others: WASL_ENOENT). */
int case_view(struct db *db, const struct actor *who, const char *reference, struct case_rec *out);

/* Lists: personal data masked, never decrypted beyond what masking needs. */
struct case_filter {
    const char *status; /* a status, "active" (not resolved/closed/merged), or NULL */
    const char *type;
    const char *consulate;     /* assignee consulate */
    int64_t assignee;          /* user id, 0 any */
    bool overdue;              /* past a deadline, or escalated */
    const char *phone;         /* exact match through the blind index (audited) */
    const char *phone_country; /* how to read a national number ("FR": 06... is +336...) */
    const char *email;
    /* One search box: a reference, a phone number (read with phone_country),
     * an e-mail address, or words all found in the citizen's name (blind
     * index, accents and case ignored) or text found in the subject. */
    const char *q;
    const char *language;
    const char *sort;   /* created (newest first, default), updated (latest first), deadline (soonest first), priority */
    const char *cursor; /* the previous page's next_cursor */
    int64_t before_id;  /* older clients' paging: ids below this (newest first only) */
    int limit;          /* 1-500, default 50; more is WASL_EINVAL */
};
struct case_page {
    int64_t total;          /* cases matching, over all pages */
    char next_cursor[48];   /* "" on the last page */
    int64_t next_before;    /* for older clients: the last id shown when there is a next page, else 0 */
    const char *matched_by; /* how the search was read: reference, phone, email, text; NULL */
};
typedef int (*case_h)(const struct case_rec *c, void *arg);
/* Calls h for each case of one page, masked; page (may be NULL) gets the
 * total and the next page's cursor. A search by phone, e-mail or name is
 * audited as a read of personal data. */
int case_list(struct db *db, const struct actor *who, const struct case_filter *f, case_h h, void *arg, struct case_page *page);
/* The blind index of a phone number (as case_list reads it); false when it
 * is not one. For other modules that keep a caller's number next to cases. */
bool case_phone_index(const char *phone, const char *country, char out[65]);

/* Changes: status, priority, category, assignment (user or consulate),
 * fields. NULL/0 leaves a value. Each change is an event and audited. */
struct case_change {
    const char *status, *priority, *category;
    int64_t assignee_user;          /* -1: unassign, 0: unchanged */
    const char *assignee_consulate; /* "": unassign */
    struct case_field fields[CASE_FIELDS_MAX];
    int nfields;
};
int case_update(struct db *db, const struct actor *who, const char *reference, const struct case_change *ch);
/* The statuses a case may move to next for a user of this role (NULL-
 * terminated; merged is reached through case_merge only). */
int case_next_statuses(const char *status, int role, const char *out[8]);
/* A note; public notes are shown to the citizen on the portal. */
int case_add_note(struct db *db, const struct actor *who, const char *reference, const char *body, bool public_note);
/* Merges a duplicate into another case: both histories are kept, the
 * duplicate's status becomes merged and points to the survivor. */
int case_merge(struct db *db, const struct actor *who, const char *duplicate, const char *into);

struct case_event {
    int64_t at;
    char actor[USER_LOGIN_MAX + 8];
    char kind[24];
    bool public_note;
    char *body;   /* decrypted note, or NULL */
    char *detail; /* JSON */
};
typedef int (*case_event_h)(const struct case_event *e, void *arg);
/* History of a case; public_only for the citizen's view. Not audited: call
 * after case_view(), which is. */
int case_events(struct db *db, int64_t case_id, bool public_only, case_event_h h, void *arg);

/* ---- deadlines ---- */
/* Where a case stands against its targets, for badges: "done" (resolved,
 * closed or merged), "paused" (waiting for the citizen), "breached",
 * "warning" (within the warning time), "ok". *due gets the next target. */
const char *case_deadline_state(const struct case_rec *c, int64_t now, int64_t *due);
/* Warns before and escalates at breach of deadlines due by `now`; returns
 * how many cases changed. Run every minute by the server. */
int cases_sla_tick(struct db *db, int64_t now, int *changed);

/* ---- citizens' portal ---- */
struct portal_filing {
    const char *type, *category, *language, *country, *consulate;
    const char *subject, *description;
    struct case_field fields[CASE_FIELDS_MAX]; /* the type's declared fields */
    int nfields;
    struct citizen citizen;
    const char *channel; /* "portal" (default) or "open311" */
    const char *ip;
    const char *request_key; /* as in struct case_input */
    bool *replayed;
};
/* Files a complaint, suggestion or observation from the portal (rate
 * limited per address). The acknowledgement text in the filer's language
 * is written to ack (caller frees). */
int portal_file(struct db *db, const struct portal_filing *f, struct case_rec *out, char pin_out[7], char **ack);
struct portal_status {
    char reference[CASE_REF_LEN + 1];
    char type[16], status[20], language[4];
    int64_t created_at, updated_at, expected_at;
    bool can_rate;
    int rating;
};
/* Looks a case up by reference and PIN. Unknown reference and wrong PIN give
 * the same answer (WASL_ENOENT "cases.no_match"); wrong PINs are throttled
 * per reference and per address (WASL_ELIMIT). Public notes via h. */
int portal_track(struct db *db, const char *reference, const char *pin, const char *ip, struct portal_status *out, case_event_h h,
                 void *arg);
int portal_rate(struct db *db, const char *reference, const char *pin, const char *ip, int rating, const char *comment);
/* The citizen answers on the portal: the text (at most 4,000 bytes, plain)
 * becomes a public "citizen_reply" event, and the case shows it as new to
 * its assignee until they open it; a case waiting for the citizen is open
 * again (its deadline clock runs again). Same look-up and throttling as
 * portal_track; replies per address are limited like filings (WASL_ELIMIT);
 * a closed or merged case is WASL_ECONFLICT "cases.closed". */
int portal_reply(struct db *db, const char *reference, const char *pin, const char *ip, const char *body);
/* The public routes' limiter (the portal's): counts one request of `what`
 * ("figures") from this address; past per_hour in an hour, WASL_ELIMIT
 * (Retry-After set) for the next `block` seconds. */
int portal_limit(struct db *db, const char *what, const char *ip, int per_hour, int64_t block);
/* The same look-up for a caller who keyed the reference on the phone: keys
 * are its nine keypad digits (several references can share them; the PIN
 * tells them apart). Same answers and throttling as portal_track; source
 * names the caller for the per-source throttle. */
int portal_track_keys(struct db *db, const char *keys, const char *pin, const char *source, struct portal_status *out);

/* ---- personal data held by other modules ----
 * The same sealing as a case's personal data (current key, any key of the
 * file to open), for data another module keeps a short while: the SIP
 * dialogs of calls in progress (they name the caller's number). */
int personal_seal(const char *plain, unsigned char **blob, size_t *n);
int personal_unseal(const void *blob, size_t n, char **plain);
/* The keyed blind index of a phone number (E.164 digits), the one cases and
 * callbacks are found by, for another module's sealed numbers (voice
 * messages), so that a citizen's data can be found and erased everywhere. */
void personal_phone_index(const char *e164, char out[65]);
/* A keyed digest of text for another module's own purpose (the quality
 * reviews' weekly sample): deterministic for a key file, unpredictable
 * without it. purpose names the use (a subkey per purpose). */
void personal_keyed_digest(const char *purpose, const char *text, char out[65]);

/* ---- callback requests left on the phone ---- */
struct callback_input {
    const char *phone;    /* the caller's number as the trunk gave it */
    const char *country;  /* of the toll-free number called */
    const char *did;      /* that number */
    const char *language; /* the caller's */
    const char *call_id;
    int64_t at; /* when it was asked (its place among the requests); 0: now */
};
/* Stores a request to be called back. The number (E.164 digits, checked
 * by the telephony's toll-fraud guard first) is sealed and indexed like a
 * case's. A number already waiting for a callback keeps its first request
 * (and its place): *id (may be NULL) is that one, *merged (may be NULL)
 * says so, and the language becomes the one given now. */
int callback_add(struct db *db, const struct callback_input *in, int64_t *id, bool *merged);
struct callback_row {
    int64_t id, created_at;
    const char *country, *did, *language, *status;
};
typedef int (*callback_h)(const struct callback_row *row, void *arg);

/* ---- dialling them (the telephony's dialler) ---- */
struct callback_due {
    int64_t id, created_at;
    int attempts;
    const char *country, *did, *language;
    const char *phone; /* E.164 digits, unsealed for the dialler only */
};
typedef int (*callback_due_h)(const struct callback_due *row, void *arg);
/* The requests due by now (pending, next attempt reached, not claimed in
 * the last 10 minutes), oldest first, at most limit. */
int callbacks_due(struct db *db, int64_t now, int limit, callback_due_h h, void *arg);
/* Takes a due request for dialling: WASL_ECONFLICT "tel.callback_taken"
 * when another dialler has it or it is no longer pending. */
int callback_claim(struct db *db, int64_t id, int64_t now);
/* The outcome of an attempt: done (the citizen was reached), or tried again
 * at retry_at (result: no_answer, busy, failed, no_agent ...) until
 * max_attempts, after which the request is given up (status cancelled,
 * last_result says why). *given_up (may be NULL) says so. */
int callback_attempted(struct db *db, int64_t id, const char *result, bool done, int64_t retry_at, int max_attempts,
                       bool *given_up);
/* Gives a claimed request back untouched (wasl stops before its attempt
 * ended): no attempt counted, due again at once. */
int callback_release(struct db *db, int64_t id);
/* The requests waiting, oldest first, at most limit (numbers not given). */
int callbacks_pending(struct db *db, int limit, callback_h h, void *arg);

/* ---- the desk: what an agent records about a call ---- */
/* The disposition codes of data/cases/dispositions.json: the i-th code, its
 * name in lang (name, may be NULL) and whether it goes with a new case;
 * NULL past the end. */
int call_disposition_count(void);
const char *call_disposition(int i, const char *lang, const char **name, bool *opens_case);
struct call_note_input {
    const char *call_id;         /* the telephony's stable calls.call_id */
    const char *disposition;     /* a code of data/cases/dispositions.json */
    const char *note;            /* plain text, at most 4,000 bytes, sealed; may be NULL */
    const char *articles;        /* JSON [{"slug","lang","version"}] of guide articles consulted; may be NULL */
    const char *reference;       /* a case opened or followed up on the call; may be NULL */
    const char *phone, *country; /* the caller's number, kept as a blind index only; may be NULL */
    const char *language;        /* the caller's */
};
/* Records (or corrects) a call's disposition, note and articles, with its
 * audit entry in the same transaction. The call is its agent's: another
 * agent gets WASL_ECONFLICT "calls.not_yours" (a supervisor may correct). */
int call_note_save(struct db *db, const struct actor *who, const struct call_note_input *in);
struct call_note {
    char call_id[129], disposition[32], reference[CASE_REF_LEN + 1], language[4];
    int64_t agent_user, created_at, updated_at;
    char *note, *articles; /* decrypted note (or NULL), JSON list */
};
void call_note_clear(struct call_note *n);
/* What was recorded for a call (audited): WASL_ENOENT "calls.not_found". */
int call_note_get(struct db *db, const struct actor *who, const char *call_id, struct call_note *out);
typedef int (*call_note_h)(const struct call_note *n, void *arg);
/* The screen pop: a caller's latest cases (masked, most recently updated
 * first, at most 20) through cases, then their earlier recorded calls
 * (newest first, at most 20) through calls, both found by the number's
 * blind index; the look-up is audited. */
int caller_lookup(struct db *db, const struct actor *who, const char *phone, const char *country, case_h cases, call_note_h calls,
                  void *arg);

/* An agent's own figures for the center's day (from midnight in
 * Casablanca, in out->since): the calls they recorded, by disposition code
 * (most first), and the cases they opened; from the event log (their
 * agent.state and call.answered events), the calls they answered and the
 * time (µs) they spent talking (busy, holds included), in wrap-up and
 * paused, with the number of pauses (the pause that logging in passes
 * through, reason "logged_in", is none of them). A state going on counts until now;
 * the state they were in at midnight counts from midnight. */
struct call_day {
    int64_t since, calls, cases_opened;
    int64_t answered, talk_us, wrap_up_us, pause_us, pauses;
    struct {
        char code[32];
        int64_t n;
    } codes[32];
    int ncodes;
};
int call_day_figures(struct db *db, const struct actor *who, int64_t now, struct call_day *out);

/* ---- Open311 GeoReport v2 ---- */
struct open311_request {
    const char *service_code, *description, *email, *first_name, *last_name, *phone, *lang, *country;
    const char *category, *subject; /* attribute[category], attribute[subject] */
    struct case_field attrs[CASE_FIELDS_MAX];
    int nattrs;
};
/* Parses a form-encoded "create request" body (decoded in place; body[n]
 * must be writable). Strings live in a. Names the field on error. */
int open311_parse(char *body, size_t n, struct arena *a, struct open311_request *out);
/* Files it as a portal case (same checks and rate limits). */
int open311_file(struct db *db, const struct open311_request *o, const char *ip, struct arena *a, struct case_rec *out,
                 char pin_out[7]);

/* ---- texts to citizens ---- */
/* A message of data/cases/messages/<lang>.json ("ack.subject"...), falling
 * back to English, else the key itself. */
const char *case_message(const char *lang, const char *key);
/* That message with {reference}, {type}, {expected}, {portal}, {pin} filled
 * in (caller frees). */
char *case_text(const char *lang, const char *key, const char *reference, const char *type, int64_t due, const char *pin);
/* The same with {note} filled in too (a staff member's public note). */
char *case_text_note(const char *lang, const char *key, const char *reference, const char *type, int64_t due, const char *pin,
                     const char *note);

/* A date written in the language ("4 décembre 2026", "December 4, 2026"). */
void case_date_text(const char *lang, int y, int m, int d, char *out, size_t n);

/* ---- declared types ---- */
struct case_type_field {
    char name[32], type[16];
    bool required, personal;
    int max;
    char values[16][32];
    int nvalues;
};
struct case_type {
    char name[16];
    bool public_filing;
    struct case_type_field fields[CASE_FIELDS_MAX];
    int nfields;
};
const struct case_type *case_types(int *n);
const struct case_type *case_type(const char *name);

/* ---- personal data ---- */
/* Everything held about a phone number or e-mail address, as JSON (caller
 * frees); audited. */
int privacy_export(struct db *db, const struct actor *who, const char *phone, const char *email, char **json);
/* Erases the personal data of every case of a phone or e-mail (the cases
 * stay as anonymous statistics); audited. *n gets how many. */
int privacy_erase(struct db *db, const struct actor *who, const char *phone, const char *email, int *n);
/* The daily purge: personal data of cases closed longer than the retention
 * period, old search-log rows. *n gets how many cases were anonymized. */
int privacy_purge(struct db *db, int64_t now, int *n);
/* Re-encrypts every field with a new key (added to the key file) and
 * recomputes the blind indexes. */
int privacy_rotate_key(struct db *db, const struct actor *who, int *rows);
/* Personal data another module keeps, sealed (personal_seal) and found by a
 * phone's blind index (personal_phone_index): the telephony's voice
 * messages. Registered once at start-up, before any privacy_* call, so that
 * a citizen's export and erasure and a key rotation reach it without cases
 * naming the module's tables. */
struct json_t;
struct personal_store {
    const char *name;      /* the export's key: "voice_messages" */
    const char *table;     /* re-sealed by privacy_rotate_key ... */
    const char *key;       /* ... row by row on this integer key ... */
    const char *sealed[4]; /* ... these columns */
    int nsealed;
    /* Appends what it holds about the index to out (a JSON array), in clear. */
    int (*export_h)(struct db *db, const char *phone_index, struct json_t *out);
    /* Inside the erasure's transaction: forgets it; *n how many records. */
    int (*erase_h)(struct db_conn *c, const char *phone_index, int64_t *n);
};
#define PERSONAL_STORES_MAX 8
/* s must outlive the program (a static). WASL_ELIMIT past PERSONAL_STORES_MAX;
 * the same store twice is registered once. */
int personal_store_add(const struct personal_store *s);
/* "AB****89" and the like, for lists and exports. out >= 64. */
void mask_id(const char *in, char *out, size_t n);
void mask_phone(const char *in, char *out, size_t n);
void mask_name(const char *in, char *out, size_t n);
/* E.164 digits ("33612345678") of a number as typed, using the country's
 * calling code for national numbers; false when it is not a phone number. */
bool phone_normalize(const char *in, const char *country, char *out, size_t n);

/* ---- background work (wasl serve) ---- */
/* A thread that runs the deadline check and the outbox every
 * cases.tick_seconds, and the retention purge daily. */
/* The jobs run only on the node that holds the store's lease (src/cluster);
 * the start registers the take-over hook: a round at once, the outbox's
 * claims of the node that led before released first. */
int cases_worker_start(struct db *db);
void cases_worker_stop(void);

/* ---- mail ---- */
/* Sends pending outbox mail when SMTP is on; returns how many were sent. */
int outbox_send(struct db *db, int *sent);
/* This node took the store: its next outbox_send() first releases the
 * claims in force (their node no longer sends). */
void outbox_take_over(void);
/* Queues a mail in the outbox on c (case_id 0: not about a case, such as the
 * audit trail's checkpoints mailed to an auditor); to and body are sealed. */
int outbox_add(struct db_conn *c, int64_t case_id, const char *to, const char *subject, const char *body);

/* ---- demo data ---- */
/* Adds count demo cases (data/cases/demo.json); an open portal filing's
 * reference and PIN go to sample_ref/sample_pin (may be NULL). */
int cases_demo(struct db *db, int count, char *sample_ref, char *sample_pin);

#endif
