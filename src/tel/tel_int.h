/*
 * tel internals shared by the files of src/tel and its tests.
 */
#ifndef WASL_TEL_INT_H
#define WASL_TEL_INT_H

#include "tel.h"
#include "geo/geo.h"

/* ---- callstate.c: a call's states and transitions, as a table ---- */
enum tstate {
    T_IVR,       /* in the IVR: prompts, keys */
    T_JOB,       /* the IVR waits for the store (a case look-up, a callback stored) */
    T_QUEUED,    /* waiting for an agent (music, announcements), or the agent's phone rings */
    T_BRIDGED,   /* in conversation with the agent */
    T_ENDED,     /* ended: finished at the next tick */
    T_CB_QUEUED, /* a callback waiting for an agent, or the agent's phone rings */
    T_DIALLING,  /* a callback: the agent answered, the citizen's phone rings */
    T_STATES,
    T_ANY = -1 /* in the table: from every state */
};
enum call_event {
    CE_IVR_PLAY,
    CE_IVR_JOB,
    CE_IVR_ENQUEUE,
    CE_IVR_HANGUP,
    CE_JOB_DONE,
    CE_QUEUE_TIMEOUT,
    CE_AGENT_ANSWERED,
    CE_AGENT_DECLINED,
    CE_AGENT_HANGUP,
    CE_CALLER_HANGUP,
    CE_CITIZEN_ANSWERED,
    CE_CITIZEN_BUSY,
    CE_CITIZEN_FAILED,
    CE_DIAL_TIMEOUT,
    CE_DIAL_FAILED,
    CE_CENTER_CLOSED,
    CE_RTP_TIMEOUT,
    CE_ERROR,
    CE_SHUTDOWN,
    CE_TRANSFER,
    CE_MESSAGE_PLAYED,
    CE_EVENTS
};
enum call_action {
    CA_NONE,   /* the state changes, nothing else */
    CA_BRIDGE, /* connect caller and agent */
    CA_DIAL,   /* a callback: call the citizen */
    CA_END,    /* end the call with the row's outcome */
    CA_REQUEUE /* a blind transfer: the agent leaves, the caller waits in another queue */
};
struct call_transition {
    enum tstate from;
    enum call_event event;
    enum tstate to;
    enum call_action action;
    const char *outcome; /* CA_END: the call log's outcome */
};
extern const struct call_transition call_transitions[];
extern const size_t call_ntransitions;
/* The row for (state, event), a row from T_ANY otherwise; NULL when the
 * event changes nothing in that state. */
const struct call_transition *call_transition_find(enum tstate s, enum call_event e);
const char *call_state_name(enum tstate s);
const char *call_event_name(enum call_event e);

/* ---- dialplan.c: toll-free numbers and the toll-fraud guard ---- */
/* The digits of a number as written ("+33 800-100", "0033..."): 6 to 15. */
int dialplan_digits(const char *in, char *out, size_t n);
/* Both files' texts (numbers.csv, outbound.csv); replaces the plan only
 * when both are valid. */
int dialplan_parse(const char *numbers, size_t nlen, const char *outbound, size_t olen);
int dialplan_load(const char *data_dir);
/* The country of a toll-free number as the trunk sends it, NULL if none. */
const char *dialplan_country(const char *ruri_user);
int dialplan_numbers(void);
const char *dialplan_number_at(int i, const char **country);
/* 0 when wasl may call this number (a callback): E.164 digits to e164 and
 * the country. WASL_EPERM "tel.number_not_covered" / "tel.number_blocked". */
int dialplan_outbound_check(const char *number, char *e164, size_t n, const char **country);

/* ---- audio.c: prompts and music as 8 kHz samples, loaded at start ---- */
struct audio {
    int16_t *pcm;
    size_t n;
};
/* Loads every prompt of every language (a recording in data/prompts/<lang>/
 * wins over the generated one in gen_dir/<lang>/) and the music on hold. */
int audio_load(const char *data_dir, const char *gen_dir);
void audio_unload(void);
const struct audio *audio_prompt(const char *lang, const char *id);
const struct audio *audio_moh(void);
/* Writes 8 kHz 16-bit WAV, mono or stereo (samples interleaved). */
int wav_write(const char *path, const int16_t *pcm, size_t frames, int channels);
/* Reads an 8 kHz mono 16-bit PCM WAV (malloc'd samples). */
int wav_parse(const unsigned char *b, size_t len, int16_t **pcm, size_t *n);
int wav_read(const char *path, int16_t **pcm, size_t *n);

/* ---- digest.c: HTTP digest (RFC 2617, MD5, qop=auth) for REGISTER ---- */
void digest_ha1(const char *user, const char *realm, const char *password, char out[33]);
/* A nonce that carries its own time and a MAC: no state kept per nonce. */
void digest_nonce(int64_t now, char out[64]);
/* 0: fresh and ours; 1: ours but stale; -1: not ours. */
int digest_nonce_check(const char *nonce, int64_t now, int64_t ttl);
void digest_response(const char *ha1, const char *nonce, const char *nc, const char *cnonce, const char *qop, const char *method,
                     const char *uri, char out[33]);

/* ---- queues.c: the distributor's queues as data (data/tel/queues.json) ---- */
struct acd;
struct ivr_flow;
/* Parses the file's text; replaces the plan only when it is valid. */
int queues_parse(const char *text, size_t len);
/* file (NULL: data_dir/tel/queues.json) */
int queues_load(const char *file, const char *data_dir);
void queues_unload(void);
/* Adds every queue (language x service) to the distributor, index = the plan's. */
int queues_add(struct acd *a);
/* Refuses a flow whose enqueue nodes name a service without queues, or
 * lack the branch for an exit their queues can take (ivr.invalid_flow). */
int queues_check_flow(const struct ivr_flow *f);
/* The queue of a language index and a service (NULL or "": general); -1 if none. */
int queues_index(int language, const char *service);
/* By name ("fr", "fr.dossier"; "queue-" or "queue." before it is allowed); -1 if none. */
int queues_find(const char *name);
const char *queues_name(int i);
int queues_services(void);
const char *queues_service(int i);

/* ---- pauses.c: pause reasons as data (data/tel/pause_reasons.json) ---- */
int pauses_parse(const char *text, size_t len);
int pauses_load(const char *data_dir);
/* The codes the distributor accepts (the agents' then the system's),
 * NULL-terminated; NULL before a file was loaded. */
const char *const *pauses_codes(void);

/* ---- addresses ---- */
/* A comma-separated list of addresses and CIDR networks
 * ("127.0.0.1,10.0.0.0/8,::1"), parsed once: every SIP request is checked
 * against it. */
#define ADDR_LIST_MAX 32
struct addr_net {
    int af;
    unsigned char a[16];
    int bits;
};
struct addr_list {
    struct addr_net net[ADDR_LIST_MAX];
    int n;
};
/* SRTP with SDES (srtp.c): one a=crypto value (RFC 4568), "TAG
 * AES_CM_128_HMAC_SHA1_80 inline:KEY[|lifetime]": 0 with its tag and key,
 * or WASL_EINVAL for another suite, an MKI, session parameters, or a key
 * that is not 30 bytes in base64. */
#define SDES_KEY_LEN 30 /* AES_CM_128_HMAC_SHA1_80: a 128-bit key and a 112-bit salt */
int sdes_crypto_parse(const char *value, int *tag, unsigned char key[SDES_KEY_LEN]);

/* Parses text; the error names the bad item. */
int addr_list_parse(const char *text, struct addr_list *out);
/* Whether an address (text; IPv4-mapped IPv6 counts as IPv4) is in it. */
bool addr_list_has(const struct addr_list *l, const char *addr);

#endif
