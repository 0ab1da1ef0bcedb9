/*
 * tel: the telephony. SIP over UDP and TCP through libre on one real-time
 * thread: trunks (the carriers' addresses) and their toll-free numbers, the
 * agents' phones (REGISTER with digest authentication), calls run through
 * the IVR, queued by the ACD and bridged to an agent through an RTP relay,
 * one shared media ticker, DTMF, prompts and recordings. Other threads talk
 * to it only by message. This header has no libre type in it.
 */
#ifndef WASL_TEL_H
#define WASL_TEL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/core.h"
#include "store/store.h"
#include "ivr/ivr.h"

/* ---- settings (sip.*) ---- */
extern const struct conf_def tel_conf[];
extern const size_t tel_conf_count;
/* overload control (overload.c) */
extern const struct conf_def tel_overload_conf[];
extern const size_t tel_overload_conf_count;

/* ---- the engine ---- */
/* Loads the dial plan, the flow, the prompts' audio and the agents' SIP
 * accounts, opens the SIP listeners and starts the real-time thread and
 * its store worker. */
int tel_start(struct db *db, const char *data_dir);
void tel_stop(void);
bool tel_running(void);
/* Reads the flow file again; calls in progress finish on the flow they
 * started with. A flow with errors changes nothing (the error names it).
 * The real-time thread swaps it in: *applied false when it has not within
 * a second (it will; the log says so). */
int tel_flow_reload(bool *applied);
/* The SIP address ("udp 127.0.0.1:5060") for people to read. */
const char *tel_address(void);
/* Prometheus text of the telephony (caller frees), "" when stopped. */
char *tel_metrics_text(void);

/* ---- agents ---- */
/* An agent's skills, as the queues' plan (data/tel/queues.json) names
 * services: at most TEL_SERVICES_MAX, names of a-z and _ shorter than
 * TEL_SERVICE_MAX. */
#define TEL_SERVICES_MAX 8
#define TEL_SERVICE_MAX 20
#define TEL_PROFICIENCY_DEFAULT 3 /* a language given without one: "can take the calls" */

struct tel_agent {
    int64_t user_id;
    char state[16]; /* offline, available, ringing, busy, wrap_up, paused */
    char reason[32];
    int64_t since;         /* clock_mono_us() when the state began; 0: never logged in */
    int64_t since_seconds; /* in this state (tel_agent_get fills it) */
    bool has_account, registered;
    bool in_acd; /* the distributor knows the agent (they logged in once) */
    char sip_user[64], contact[256];
    char languages[WASL_LANG_MAX * WASL_LANG_CODE_MAX]; /* "fr ar en" */
    /* The skills the agent takes calls with (the distributor's, once logged
     * in): proficiency 1-5 of wasl_languages[i], 0 where not spoken; the
     * services (nservices < 0: every one of the plan). */
    unsigned char proficiency[WASL_LANG_MAX];
    char services[TEL_SERVICES_MAX][TEL_SERVICE_MAX];
    int nservices;
    uint64_t call;
    char call_language[WASL_LANG_CODE_MAX], call_country[3]; /* of that call */
    /* The screen pop, for the agent's own call only (personal data: never in
     * the supervisors' status): the caller's number (digits, "" when
     * withheld), the time they waited when offered, the IVR path, the case
     * reference they keyed and checked in the IVR, whether it is a callback. */
    char call_caller[24], call_path[160], call_reference[12];
    int64_t call_waited_seconds;
    bool call_callback;
    /* In wrap-up: how long it lasts (sip.wrap_up); it ends since_seconds
     * later unless the agent says they are ready first. 0 otherwise. */
    int64_t wrap_up_seconds;
    /* A consultation on their call: the other party (for the agent with the
     * caller: the colleague; for the colleague: that agent), its stage
     * (ringing, talking, conference; "" none), and whether they are the
     * colleague consulted. */
    int64_t consult_with;
    char consult_stage[12];
    bool consulted;
};
/* The agent's state as of the latest snapshot (never waits for the
 * real-time thread). An unknown user is offline without a phone. */
int tel_agent_get(int64_t user_id, struct tel_agent *out);
/* state: "available", "paused" (with a reason) or "offline". What the
 * snapshot can tell is answered at once: no SIP account (WASL_ECONFLICT
 * "tel.no_phone"), on a call ("acd.agent_on_call"). The rest is applied by
 * the real-time thread; this waits for its answer a quarter of a second at
 * most: *applied false means it is still to come (the next snapshot, and
 * the agent's event stream, will show it). */
int tel_agent_set(int64_t user_id, const char *state, const char *reason, bool *applied);
/* Parses the languages of a SIP account: codes of the center's languages,
 * each with an optional proficiency 1-5 after a colon ("fr:5 ar en"; 3
 * where none is given), separated by spaces or commas. prof[i] is the
 * proficiency of wasl_languages[i], 0 where the language is not given.
 * WASL_EINVAL "tel.invalid_languages" (field "languages") for an unknown
 * code, a bad proficiency, a language given twice, or none. */
int tel_languages_parse(const char *text, unsigned char prof[WASL_LANG_MAX]);

/* Creates or changes a user's SIP account (password kept as the digest
 * HA1 only; NULL keeps it), the languages they take calls in with their
 * proficiency (tel_languages_parse) and the services they take
 * (nservices < 0: every service of the queues plan, also those added
 * later). Services are checked against the queues plan while the
 * telephony runs, for their form only when it is off (WASL_EINVAL
 * "tel.invalid_services", field "services"). A logged-in agent takes calls
 * with the new skills at once; a call in progress is kept. */
int tel_account_set(struct db *db, int64_t user_id, const char *sip_user, const char *password, const char *languages,
                    const char *const *services, int nservices);
struct tel_account_info {
    char sip_user[64];
    char languages[128];                      /* as stored: "fr:5 ar en" */
    unsigned char proficiency[WASL_LANG_MAX]; /* tel_languages_parse(languages); unknown codes left out */
    char services[TEL_SERVICES_MAX][TEL_SERVICE_MAX];
    int nservices; /* -1: every service of the plan */
};
/* A user's SIP account (WASL_ENOENT "tel.no_phone" if none). */
int tel_account_get(struct db *db, int64_t user_id, struct tel_account_info *out);
/* The users who take calls in lang: those not disabled whose SIP account
 * lists it (any proficiency), by id, on the caller's connection (inside its
 * transaction); h per user, a non-zero return stops and is returned. */
typedef int (*tel_user_h)(int64_t user_id, void *arg);
int tel_agents_of_language(struct db_conn *c, const char *lang, tel_user_h h, void *arg);
/* The services of the queues plan while the telephony runs (0 when off):
 * tel_plan_service(i) for i below it. */
int tel_plan_services(void);
const char *tel_plan_service(int i);
/* The queues of the plan while the telephony runs (0 when it is off): the
 * name of queue i (fr, fr.dossier) and its service-level threshold. */
int tel_plan_queues(void);
const char *tel_plan_queue(int i, int *sl_seconds);

/* ---- callbacks ---- */
/* The staff asks wasl to call a citizen back (in international form; the
 * toll-fraud guard applies), in one of the center's languages; it is dialled
 * like the callbacks callers leave in the IVR (sip.outbound_proxy). A number
 * already waiting keeps its first request (*merged). */
int tel_callback_schedule(struct db *db, const char *phone, const char *language, const char *call_id, int64_t *id, bool *merged);

/* ---- voice messages (the IVR's record node) ----
 * A work item each, in the queue of its language, until somebody handles
 * it. Who sees what: supervisors and administrators (all) every message,
 * agents those of the languages of their SIP account; another message is,
 * for them, not found. */
struct tel_viewer {
    int64_t user_id;
    bool all;
};
struct tel_message_filter {
    const char *status;   /* "new", "handled"; NULL: both */
    const char *language; /* NULL: every language the viewer takes */
    int64_t before;       /* page: messages with a smaller id; 0: the newest */
    int limit;            /* 0: 50 */
};
struct tel_message {
    int64_t id, call, left_at, seconds, handled_by, handled_at, callback_id;
    const char *country, *did, *language, *status, *outcome; /* outcome: callback, resolved, no_action or "" */
    char phone_masked[64];                                   /* "" when anonymous or expired */
    const char *note;                                        /* the handler's, or NULL */
    bool expired;                                            /* the retention deleted the audio and the number */
    /* how much audio was kept: complete; partial (wasl stopped during the
     * message: what was said until then); failed (the disk failed: what was
     * written before, if anything; no file when seconds is 0) */
    const char *audio;
};
typedef int (*tel_message_h)(const struct tel_message *m, void *arg);
/* Newest first; *next_before is the id to page on (0: no more). */
int tel_messages_list(struct db *db, const struct tel_viewer *v, const struct tel_message_filter *f, tel_message_h h, void *arg,
                      int64_t *next_before);
/* The WAV file of a message (tel.message_not_found, tel.message_expired,
 * tel.message_no_audio: the disk failed before anything was kept). */
int tel_message_audio(struct db *db, const struct tel_viewer *v, int64_t id, char *path, size_t n);
/* Marks a new message handled: outcome "resolved" (dealt with otherwise,
 * e.g. in a case) or "no_action", with an optional note (sealed, at most
 * 500 characters). tel.message_handled (409) when somebody did first. */
int tel_message_handle(struct db *db, const struct tel_viewer *v, int64_t id, const char *outcome, const char *note);
/* Turns a new message into a callback request (tel_callback_schedule: the
 * toll-fraud guard, one pending request per number: *merged) in the
 * message's language unless another is given, and marks it handled with
 * outcome "callback". tel.no_number for an anonymous caller. */
int tel_message_callback(struct db *db, const struct tel_viewer *v, int64_t id, const char *language, const char *note,
                         int64_t *callback_id, bool *merged);

/* Lets the citizens' rights (privacy export and erase, keys rotate) reach
 * the voice messages; called once at start-up by every command. */
int tel_privacy_register(void);

/* A supervisor (by: their user id) pauses an agent with a reason or logs
 * them out of the queues; on a call, it takes effect when the call ends.
 * WASL_ECONFLICT "tel.agent_offline" when the agent is not logged in. */
int tel_agent_force(int64_t user_id, const char *state, const char *reason, int64_t by, bool *applied);
/* The SIP accounts read again (after a user is disabled or enabled): a
 * disabled user's phone is let go and they are logged out of the queues. */
int tel_accounts_reload(struct db *db);
/* The phones' bindings read again from the store (expired rows deleted
 * first): the node that takes over the calls (the cluster's leader) reaches
 * every phone registered through a proxy (Path) or over UDP with another
 * node, without waiting for its next REGISTER; phones bound to another
 * node's TCP or TLS connection are skipped (logged). Called at start too.
 * 0 when the telephony is off; the real-time thread applies it within a
 * second (later when busy). */
int tel_locations_reload(struct db *db);

/* ---- transfers and supervision: commands to the real-time thread ----
 * *applied false with no error: accepted, not carried out within the wait
 * (the API answers 202; it happens a moment later). */

/* ---- pause reasons (data/tel/pause_reasons.json) ---- */
/* How many reasons agents may give, and the i-th code with its name in the
 * language of index lang (-1: the fallback language's). */
int tel_pause_reasons(void);
const char *tel_pause_reason(int i, int lang, const char **name);

/* ---- transfers ---- */
/* Sends a caller in conversation, blind, to another queue (its language)
 * or to a colleague (user id; logged in to the queues and free: their
 * phone rings, and if they do not answer the caller takes back their place
 * in their queue): by the agent on the call or a supervisor. Errors:
 * tel.no_such_call, tel.not_your_call, tel.same_queue, tel.invalid_queue,
 * tel.invalid_transfer (neither or both), tel.same_agent,
 * tel.colleague_busy, tel.colleague_offline, tel.colleague_no_phone,
 * tel.consulting. */
int tel_transfer(uint64_t call, int64_t by, bool supervisor, const char *queue, int64_t colleague, bool *applied);

/* A consultation on a call in conversation: "start" calls the colleague's
 * phone (any staff whose phone is registered; an agent logged in must be
 * free and takes no queue call meanwhile) while the caller waits on hold;
 * "complete" gives the caller to the colleague (attended transfer; the
 * agent goes to wrap-up), "conference" lets the three talk, "cancel" hangs
 * the colleague up. Errors: tel.no_such_call, tel.not_your_call,
 * tel.invalid_action, tel.invalid_agent, tel.consulting, tel.supervised,
 * tel.no_consultation, tel.not_answered, and a transfer's colleague errors. */
int tel_consult(uint64_t call, int64_t by, bool supervisor, const char *action, int64_t colleague, bool *applied);

/* The desk drives the call: "answer" (the agent whose phone rings for it:
 * the phone is called again with Call-Info answer-after=0 and Alert-Info
 * auto-answer, the ringing INVITE cancelled; tel.not_ringing,
 * tel.answer_pending), "hold" (the caller hears music, neither hears the
 * other), "resume", "hangup" (both legs get a BYE); but for "answer", by
 * the agent on the call or a supervisor. */
int tel_call_control(uint64_t call, int64_t by, bool supervisor, const char *action, bool *applied);

/* A supervisor (by) moves a caller waiting in a queue (or whose agent's
 * phone rings: the ring stops) to another queue, by its name (fr,
 * ar.dossier): they keep their first arrival and priority, and take their
 * place by them there (acd_call_move). Errors: tel.invalid_queue,
 * tel.not_running, tel.no_such_call and acd.unknown_call (gone), and
 * tel.not_waiting, acd.not_waiting, acd.same_queue, acd.no_agents (409). */
int tel_call_move(uint64_t call, const char *queue, int64_t by, bool *applied);

/* ---- supervision of a live call ---- */
/* A supervisor joins call (a call in conversation) from their registered
 * phone, which wasl calls: mode "listen" (hears caller and agent), "whisper"
 * (the agent hears them too) or "barge" (everybody hears everybody); the
 * same supervisor may change mode; "off" hangs their phone up. Errors:
 * tel.no_such_call, tel.supervised (another supervisor is on), tel.no_phone,
 * tel.own_call, tel.invalid_mode. */
int tel_monitor(uint64_t call, int64_t supervisor, const char *mode, bool *applied);

/* ---- what is going on ---- */
#define TEL_STATUS_AGENTS 256
#define TEL_STATUS_CALLS 500

/* ---- what is going on: the snapshot ----
 * The real-time thread publishes an immutable snapshot after each change
 * (at most ten a second; quieter changes such as an IVR step within a
 * second). Any thread may hold one; nothing in it changes. */
struct tel_queue_live {
    char name[16]; /* the queue's language today */
    int waiting;
    int64_t oldest_since; /* clock_mono_us(); 0 when empty */
};
struct tel_call_live {
    uint64_t id;
    char country[3], did[24], language[WASL_LANG_CODE_MAX], state[12], node[40];
    char queue[16];  /* the queue it waits or waited in ("fr", "ar.dossier"), "" before any */
    int64_t started; /* clock_now() */
    int64_t agent;   /* the agent ringing or talking, 0: none */
    int64_t consult; /* a colleague consulted (ringing or talking), 0: none */
    bool conference;
};
struct tel_status {
    uint64_t version; /* grows with every snapshot */
    char sip[128];
    int calls_active, phones_registered;
    uint64_t records; /* call rows and callback requests stored: grows when the call log changes */
    int nqueues;
    const struct tel_queue_live *queues;
    int nagents; /* agents with a phone or known to the distributor, by user id */
    const struct tel_agent *agents;
    int ncalls;
    const struct tel_call_live *calls;
};
/* The latest snapshot, held until tel_status_put(). WASL_ECONFLICT
 * "tel.not_running" when the telephony is off. */
int tel_status_get(const struct tel_status **out);
void tel_status_put(const struct tel_status *s);
/* Waits up to timeout_ms for a snapshot newer than version after; WASL_EBUSY
 * "tel.no_change" when none came. For the threads that push live events. */
int tel_status_wait(uint64_t after, int timeout_ms, const struct tel_status **out);

/* ---- the call log (the calls table) ---- */
struct tel_call_row {
    int64_t id, started_at, ended_at, agent_user; /* agent_user 0: none */
    int64_t waited_ms, talked_ms;
    const char *call_id, *did, *country, *language, *outcome, *path;
    bool recorded;
};
typedef int (*tel_call_row_h)(const struct tel_call_row *row, void *arg);
/* The calls ended, newest first, with an id below before (0: from the
 * newest), at most limit; h's strings are valid during the call only. */
int tel_calls_list(struct db *db, int64_t before, int limit, tel_call_row_h h, void *arg);
/* The call of the log with this id: its number (calls.id, what the agent's
 * phone and the desk show, as decimal text) or its SIP Call-ID (the desk
 * joins what agents recorded with it). WASL_ENOENT "tel.call_not_found"
 * when there is no such call. The log keeps no caller's number. */
int tel_call_find(struct db *db, const char *call_id, tel_call_row_h h, void *arg);
/* The recording file of call id: WASL_ENOENT "tel.no_recording" when there
 * is none. */
int tel_call_recording(struct db *db, int64_t id, char *path, size_t n);

/* ---- prompts (data/prompts/<lang>.txt) ---- */
int prompts_load(const char *data_dir);
void prompts_unload(void);
/* Whether a prompt exists in every language (lang_xx: in xx). The
 * signature fits ivr_flow_load()'s check. */
bool prompts_known(const char *id, void *arg);
const char *prompt_text(const char *lang, const char *id);
/* The prompt ids that speak an IVR item, in order; lang_out gets the
 * language they are in. Returns how many (at most max). */
int prompts_render(const struct ivr_item *it, const char *caller_lang, char lang_out[WASL_LANG_CODE_MAX], char out[][IVR_NAME_MAX],
                   int max);
/* Makes out_dir/<lang>/<id>.wav for every prompt with espeak-ng and sox,
 * skipping those whose text and voice did not change. */
int prompts_generate(const char *out_dir, int *made, int *kept);
/* Makes out_dir/practice/<script>/<k>.wav for every line of the practice
 * scripts loaded (practice_load), in the voice of the script's language. */
int prompts_generate_practice(const char *out_dir, int *made, int *kept);
/* Calls the trainee's phone for practice session `session`, with the
 * script's caller (src/tel/practice.c). WASL_ECONFLICT practice.logged_in
 * (the trainee is in the queues), practice.in_progress,
 * tel.phone_not_registered; WASL_EINTERNAL practice.no_audio (the lines
 * were not generated); *applied as tel_agent_set's. */
int tel_practice_call(int64_t user, int64_t session, const char *script_id, bool *applied);
int prompts_count(const char *lang);
const char *prompts_id_at(const char *lang, int k);

#endif
