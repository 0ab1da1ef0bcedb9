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

/* ---- the engine ---- */
/* Loads the dial plan, the flow, the prompts' audio and the agents' SIP
 * accounts, opens the SIP listeners and starts the real-time thread and
 * its store worker. */
int tel_start(struct db *db, const char *data_dir);
void tel_stop(void);
bool tel_running(void);
/* Reads the flow file again; calls in progress finish on the flow they
 * started with. A flow with errors changes nothing (the error names it). */
int tel_flow_reload(void);
/* The SIP address ("udp 127.0.0.1:5060") for people to read. */
const char *tel_address(void);
/* Prometheus text of the telephony (caller frees), "" when stopped. */
char *tel_metrics_text(void);

/* ---- agents ---- */
struct tel_agent {
    char state[16]; /* offline, available, ringing, busy, wrap_up, paused */
    char reason[32];
    int64_t since_seconds; /* in this state */
    bool has_account, registered;
    char sip_user[64], contact[256];
    char languages[32]; /* "fr ar en" */
    uint64_t call;
    char call_language[3], call_country[3]; /* of that call */
};
int tel_agent_get(int64_t user_id, struct tel_agent *out);
/* state: "available", "paused" (with a reason) or "offline". An agent
 * without a SIP account cannot log in (WASL_ECONFLICT "tel.no_phone"). */
int tel_agent_set(int64_t user_id, const char *state, const char *reason);
/* Creates or changes a user's SIP account (password kept as the digest
 * HA1 only; NULL keeps it) and the languages they take calls in. */
int tel_account_set(struct db *db, int64_t user_id, const char *sip_user, const char *password, const char *languages);
/* A user's SIP name and languages (WASL_ENOENT "tel.no_phone" if none). */
int tel_account_get(struct db *db, int64_t user_id, char *sip_user, size_t n1, char *languages, size_t n2);

/* ---- what is going on ---- */
#define TEL_STATUS_AGENTS 256
#define TEL_STATUS_CALLS 500
struct tel_status {
    char sip[128];
    int calls_active, phones_registered;
    struct {
        int waiting;
        int64_t oldest_seconds;
    } queues[7]; /* wasl_languages order */
    int nagents;
    struct {
        int64_t user_id;
        char state[16], reason[32], languages[32];
        int64_t since_seconds;
        bool registered;
        uint64_t call;
    } agents[TEL_STATUS_AGENTS];
    int ncalls; /* calls[] holds the first TEL_STATUS_CALLS */
    struct {
        uint64_t id;
        char country[3], did[24], language[3], state[12], node[40];
        int64_t seconds;
    } calls[TEL_STATUS_CALLS];
};
/* Fills *out (large: allocate it). WASL_ECONFLICT when not running. */
int tel_status(struct tel_status *out);

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
/* The call of the log with this stable call id (the desk joins what agents
 * recorded with it): WASL_ENOENT "tel.call_not_found" while it is not
 * logged (a call is logged when it ends). The log keeps no caller's number. */
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
int prompts_render(const struct ivr_item *it, const char *caller_lang, char lang_out[3], char out[][IVR_NAME_MAX], int max);
/* Makes out_dir/<lang>/<id>.wav for every prompt with espeak-ng and sox,
 * skipping those whose text and voice did not change. */
int prompts_generate(const char *out_dir, int *made, int *kept);
int prompts_count(const char *lang);
const char *prompts_id_at(const char *lang, int k);

#endif
