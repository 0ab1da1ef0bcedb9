/*
 * auth: who may do what. Users and roles, Argon2id passwords, sessions kept in
 * the store with idle and absolute time-outs, CSRF tokens, login throttling
 * per account and per source address, and the append-only audit trail whose
 * entries are chained by a keyed MAC, with signed checkpoints of its head.
 * Knows nothing of HTTP.
 */
#ifndef WASL_AUTH_H
#define WASL_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "core/core.h"
#include "store/store.h"
#include "geo/geo.h"

/* Roles are bits so a route or an action can allow several. */
enum role {
    ROLE_AGENT = 1 << 0,
    ROLE_SUPERVISOR = 1 << 1,
    ROLE_EDITOR = 1 << 2,
    ROLE_BACKOFFICE = 1 << 3,
    ROLE_ADMIN = 1 << 4,
};
#define ROLE_NONE 0 /* public: no session needed */
#define ROLE_STAFF (ROLE_AGENT | ROLE_SUPERVISOR | ROLE_EDITOR | ROLE_BACKOFFICE | ROLE_ADMIN)

const char *role_name(int role);
int role_parse(const char *s, int *out);
/* "agent,supervisor" for a mask; buf >= 64. */
void role_mask_names(int mask, char *buf, size_t n);

/* Who is acting: carried from the HTTP request or the command line into every
 * domain call, for permission checks and the audit trail. */
struct actor {
    int64_t user_id;   /* 0 for the system or an anonymous caller */
    const char *login; /* "system", "cli", or the user's login */
    int role;
    const char *consulate; /* backoffice scope, or NULL */
    const char *request_id;
    const char *ip;
    const char *user_agent;
};

#define USER_LOGIN_MAX 64
#define USER_NAME_MAX 128
#define PASSWORD_MAX 256

struct user {
    int64_t id;
    char login[USER_LOGIN_MAX + 1];
    char display_name[USER_NAME_MAX + 1];
    int role;
    char consulate[32];
    char language[8];
    bool disabled;
    bool must_change_password;
    bool locked; /* failed logins locked the account for now */
    int64_t created_at, updated_at, last_login_at;
};

extern const struct conf_def auth_conf[];
extern const size_t auth_conf_count;

/* Reads the auth settings; call once after the settings are loaded. */
int auth_init(void);

/* ---- passwords ---- */
/* Argon2id hash in libsodium's string form; out >= 128 bytes. */
int auth_hash_password(const char *password, char *out, size_t n);
bool auth_verify_password(const char *hash, const char *password);
/* Every new password passes here (accounts created by an administrator,
 * by `wasl user` or `wasl init`, changes, resets). 0, or WASL_EINVAL on the
 * field "password" with the reason as the code: auth.password_short (under
 * auth.min_password_length characters), auth.password_personal (the login
 * or the name, or made of them), auth.password_common (common or leaked
 * passwords and words), auth.password_pattern (repeats, sequences, keyboard
 * rows, dates), auth.weak_password (otherwise guessable, or not UTF-8, or
 * too long), auth.password_reused (the same as current_hash's; NULL: none). */
int auth_password_policy(const char *login, const char *name, const char *password, const char *current_hash);
/* The shortest password the policy accepts (a setting). */
int auth_password_min_length(void);
/* A random password that passes the policy, for `wasl init` and resets; out >= 24. */
void auth_random_password(char *out, size_t n);

/* ---- users ---- */
struct user_fields {
    const char *login;
    const char *display_name;
    const char *role;      /* name */
    const char *consulate; /* NULL unless backoffice */
    const char *language;  /* NULL: fr */
    const char *password;
    bool must_change_password;
};
/* Validated, hashed, stored and audited. WASL_ECONFLICT when the login is taken. */
int user_create(struct db *db, const struct actor *who, const struct user_fields *f, int64_t *id);
int user_get(struct db *db, int64_t id, struct user *out);
/* Same inside a caller's transaction (no lock-out state). */
int user_get_conn(struct db_conn *c, int64_t id, struct user *out);
int user_get_by_login(struct db *db, const char *login, struct user *out);
/* {"id", "name"} of a user as other modules show who did what: the display
 * name, "" when the id is 0 or unknown (a new reference). */
struct json_t;
struct json_t *user_ref_json(struct db *db, int64_t id);
/* Up to max users ordered by login; *n gets how many. */
int user_list(struct db *db, struct user *out, int max, int *n);
/* What other modules need of accounts they only know by id (the telephony's
 * agents): fills display_name and disabled of each b[i] by its id, in one
 * query (b is reordered by id); an unknown id reads as disabled, no name. */
struct user_brief {
    int64_t id;
    char display_name[USER_NAME_MAX + 1];
    bool disabled;
};
int user_briefs(struct db *db, struct user_brief *b, int n);
/* Changes the non-NULL fields (display_name, role, consulate, language,
 * disabled); consulate "" clears it. Nothing is written (nor audited) when
 * nothing changes. */
struct user_change {
    const char *display_name;
    const char *role;
    const char *consulate;
    const char *language;
    int disabled; /* -1 unchanged, 0, 1 */
};
int user_update(struct db *db, const struct actor *who, int64_t id, const struct user_change *ch);
/* Sets a new password (policy-checked), ends the user's other sessions
 * (all of them when keep_token_hash is NULL), audited. */
int user_set_password(struct db *db, const struct actor *who, int64_t id, const char *password, bool must_change,
                      const char *keep_token_hash);
/* Clears the failed-login lock of an account. */
int user_unlock(struct db *db, const struct actor *who, int64_t id);

/* ---- sessions ---- */
struct session {
    char token[65]; /* only returned by auth_login(); never stored */
    char token_hash[65];
    char csrf[65];
    struct user user;
    int64_t created_at, seen_at;
};
/* Checks throttling, the password and the account, then opens a session.
 * Errors: WASL_EAUTH (wrong login or password: one answer for both),
 * WASL_ELIMIT (locked out; *retry_after gets seconds), WASL_EPERM (disabled). */
int auth_login(struct db *db, const char *login, const char *password, const struct actor *ctx, struct session *out,
               int64_t *retry_after);
/* Finds the session of a cookie token; WASL_EAUTH when unknown, expired
 * (idle or absolute) or the user is disabled. Refreshes the idle clock. */
int auth_session(struct db *db, const char *token, struct session *out);
/* Ends the session whose token hash is given. */
int auth_logout(struct db *db, const struct actor *who, const char *token_hash);
/* Checks a signed-in user's (who's) current password before a change; a
 * wrong one is audited (user.password_check_failed) and counted like a
 * failed login from who->ip on the account: WASL_EINVAL auth.wrong_password,
 * WASL_ELIMIT auth.locked once the address is locked out of it. */
int auth_check_password(struct db *db, const struct actor *who, const char *password);
/* Sets the user's own UI language. */
int auth_set_language(struct db *db, const struct actor *who, const char *lang);
void auth_token_hash(const char *token, char out[65]);

/* ---- audit trail ---- */
/* Appends one entry on c, inside the caller's transaction when there is one
 * (so the entry commits with the change it records), else in its own.
 * detail is a JSON text (may be NULL: "{}"). */
int audit_append(struct db_conn *c, const struct actor *who, const char *action, const char *object, const char *detail);
int audit_append_db(struct db *db, const struct actor *who, const char *action, const char *object, const char *detail);

/* What `audit verify` found. Each problem has a kind: "rewritten" (an
 * entry's hash or MAC does not match, or it is not the entry a signed
 * checkpoint saw), "deleted" (a gap in the seqs), "truncated" (the newest
 * entries are gone: the head or a signed checkpoint counts more),
 * "inserted", "bad_signature" (a checkpoint line was altered or signed by
 * another key) or "unverifiable" (no key or no checkpoint to check with). */
#define AUDIT_PROBLEMS_MAX 32
struct audit_problem {
    int64_t seq;      /* entry concerned, 0 when none (a checkpoint line) */
    const char *kind; /* static */
    char text[256];
};
struct audit_report {
    int64_t checked;   /* entries read */
    int64_t bad_seq;   /* first entry at fault, 0 when none */
    char problem[256]; /* the first problem, "" when intact */
    int nproblems;     /* how many were found */
    int nlisted;       /* how many are in problems: the first few of each kind */
    struct audit_problem problems[AUDIT_PROBLEMS_MAX];
    int64_t keyed_from;     /* first entry under the audit key (0: no key loaded) */
    int checkpoints;        /* checkpoints whose signature verified */
    int64_t checkpoint_seq; /* the newest of them: head seq and time */
    char checkpoint_at[40];
};
/* Walks the whole chain, with the audit key, and against the signed
 * checkpoints of audit.checkpoint_file; returns 0 when it could be read
 * (the trail is intact when r->nproblems is 0). */
int audit_verify(struct db *db, struct audit_report *r);
/* The same with other checkpoint files (a copy kept by the auditor, the
 * syslog, mails: any line holding a checkpoint is read, others skipped)
 * instead of audit.checkpoint_file, and the public key (base64) they must
 * be signed with instead of audit.public_key or the key file's. */
struct audit_verify_opts {
    const char *checkpoint_files[8];
    int nfiles;
    const char *public_key;
};
int audit_verify_with(struct db *db, const struct audit_verify_opts *o, struct audit_report *r);

/* ---- the audit key and signed checkpoints (checkpoint.c) ---- */
extern const struct conf_def audit_conf[];
extern const size_t audit_conf_count;
/* Loads audit.key_file. When it is missing: with create, and if the trail
 * was never keyed, makes one (0600) whose chain starts after the current
 * head (older entries stay verified by their plain SHA-256 up to there,
 * and are sealed by the first keyed entry's MAC), claims the trail for it
 * in audit_head, appends "audit.keyed" and writes a first checkpoint;
 * with create, on a keyed trail, it is an error (WASL_ENOENT); without
 * create, nothing is loaded (appends then refuse on a keyed trail, and
 * verify reports what it could not check). */
int audit_keys_open(struct db *db, bool create);
void audit_keys_forget(void);
/* The Ed25519 public key that signs the checkpoints, base64; out >= 48.
 * WASL_ENOENT when no key is loaded. */
int audit_public_key(char *out, size_t n);
/* Checks the entries added since the last checkpoint (all of them, the
 * first time), then signs the head (seq, hash, time) and writes it to
 * audit.checkpoint_file (O_APPEND), to the syslog (LOG_AUTHPRIV) and, when
 * audit.mail_to is set, to the mail hook. Nothing is written when the head
 * has not moved unless force. WASL_ECONFLICT (and an alert in the log and
 * the syslog) when the entries do not verify: a tampered head is never
 * signed. 0 without a key. */
int audit_checkpoint(struct db *db, const char *why, bool force);
/* Where checkpoints are mailed when audit.mail_to is set (the outbox). */
typedef int (*audit_mail_h)(struct db *db, const char *to, const char *subject, const char *body);
void audit_set_mailer(audit_mail_h fn);
/* A thread that writes a checkpoint every audit.checkpoint_interval; stop
 * writes a last one. */
int audit_checkpoint_start(struct db *db);
void audit_checkpoint_stop(struct db *db);

struct audit_entry {
    int64_t seq, at;
    char actor[80], action[64], object[128], request_id[40], ip[64];
    char detail[1024];
};
/* Newest first, before seq `before` (0: from the newest); filters (exact
 * matches) may be NULL. */
struct audit_filter {
    const char *actor, *action, *object;
    int64_t before;
};
int audit_list(struct db *db, const struct audit_filter *f, struct audit_entry *out, int max, int *n);

#endif
