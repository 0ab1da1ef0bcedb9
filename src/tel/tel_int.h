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
    CE_NO_ACK,
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
/* The 44-byte header of an 8 kHz 16-bit PCM WAV of `data` bytes (UINT32_MAX: not known yet). */
void wav_header(unsigned char *h, uint32_t data, int channels);
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

/* ---- overload.c: admission of new calls when wasl cannot keep up ----
 * The pure part (a window of delay samples in, a verdict per new call out),
 * driven by the real-time thread's glue in the same file. Times in µs. */
#define OVL_WINDOW_US 100000 /* the delay is judged over windows this long (CoDel's interval) */
#define OVL_MIN_SAMPLES 8    /* requests a window needs for its queue delay to count */
#define OVL_MIN_LAGS 3       /* ticks a window needs for the loop's lag to count */
#define OVL_CALM_US 1000000  /* calm this long, every call admitted again, before the overload ends */
#define OVL_DECREASE 0.75    /* the share admitted, times this, per window over the threshold */
#define OVL_INCREASE 0.05    /* and plus this per calm window (from nothing to all in 2 s) */
#define OVL_ADMIT_MIN 0.01
enum ovl_verdict { OVL_ADMIT, OVL_REFUSE_DELAY, OVL_REFUSE_RATE };
struct ovl {
    int64_t target_us; /* the delay past which new calls are shed; 0: never */
    int rate;          /* new calls a second at most; 0: no limit */
    int busy_max;      /* permille of a window the SIP thread may work; 0: no limit */
    /* the window being measured: the smallest delay seen in it */
    int64_t win_start, win_sojourn, win_lag;
    int64_t win_busy_us; /* the SIP thread's CPU time in it */
    int nsojourn, nlag;
    /* what the windows said */
    int64_t signal; /* the last window's delay, -1: too few samples to say */
    int64_t lag;    /* the last window's least lateness of the ticker, -1: none */
    int busy;       /* the last window's share the SIP thread worked, permille; -1: not told */
    bool overloaded;
    double admit;  /* share of new calls the delay guard lets through */
    double credit; /* admits exactly that share, without randomness */
    double shed;   /* share of new calls refused lately (both guards), smoothed */
    int64_t calm_since;
    uint64_t episodes;
    /* the rate guard: a token bucket a tenth of a second deep, in
     * millionths of a call (integers: no rounding lets one more in) */
    int64_t tokens;
    int64_t tokens_at;
};
void ovl_init(struct ovl *o, int64_t target_us, int rate, int64_t now);
/* A request's wait in the socket's queue; the ticker's lateness. */
void ovl_sojourn(struct ovl *o, int64_t now, int64_t us);
void ovl_lag(struct ovl *o, int64_t now, int64_t us);
/* CPU time the SIP thread spent since the last call (its busy share is
 * a third signal: see ovl_set_busy_max). */
void ovl_busy(struct ovl *o, int64_t now, int64_t cpu_us);
/* Sheds new calls while the SIP thread works more than permille of a
 * window (0: never). */
void ovl_set_busy_max(struct ovl *o, int permille);
/* Closes the window when it is due; true when the overload began or ended. */
bool ovl_step(struct ovl *o, int64_t now);
/* What to do with a new call (out of dialog INVITE) arriving now. */
enum ovl_verdict ovl_admit(struct ovl *o, int64_t now);
/* The percentage of new calls a carrier should shed (RFC 7339 loss `oc`). */
int ovl_oc(const struct ovl *o);
/* Whether a Via value's first via-parm carries the parameter `oc`. */
bool ovl_via_has_oc(const char *via, size_t n);
/* The Via of a response to a request with this Via value: the first
 * via-parm's oc parameters replaced by ours (oc, oc-algo="loss",
 * oc-validity, oc-seq), a bare rport given port, the rest copied. Returns
 * the length written (NUL-terminated), -1 when out is too small. *rport:
 * the request asked for rport. */
int ovl_via_reply(const char *via, size_t n, int oc, int validity_ms, const char *seq, int port, bool *rport, char *out,
                  size_t cap);

/* ---- sipscan.c: the early look at a SIP datagram under overload ----
 * Before libre parses a datagram, whether it is a new call (an INVITE
 * without a To tag) well-formed enough that libre would parse it and
 * sipcheck.c pass it, and the header fields a response copies. A strict
 * subset of what libre takes (CRLF line ends, no folding, one value a Via
 * line, no Require): anything else is not for it, and libre decides. */
enum sipscan_kind { SS_VIA, SS_FROM, SS_TO, SS_CALLID, SS_CSEQ };
#define SIPSCAN_HDRS 16 /* Vias, From, To, Call-ID, CSeq: a carrier sends 1 to 4 Vias */
struct sipscan_hdr {
    const char *name, *val; /* into the datagram, as libre would cut them */
    size_t nl, vl;
    int kind;
};
struct sipscan {
    struct sipscan_hdr h[SIPSCAN_HDRS]; /* in the request's order */
    int n;
    const char *callid, *branch, *user; /* the Call-ID; the top Via's branch; the Request-URI's user */
    size_t callid_l, branch_l, user_l;
};
/* True when buf is such an INVITE; s then points into buf. No allocation. */
bool sipscan_invite(const char *buf, size_t n, struct sipscan *s);
/* The 503 wasl sends to such an INVITE from src_ip:src_port (Retry-After
 * retry_after, or with oc_seq: RFC 7339's oc = oc_pct), To tag `tag`:
 * its length, written NUL-terminated to out; -1 when buf is not such an
 * INVITE or out is too small. For the tests and the fuzz target. */
int ovl_reply_text(const char *buf, size_t n, const char *src_ip, int src_port, int retry_after, int oc_pct, const char *oc_seq,
                   uint64_t tag, char *out, size_t cap);

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

/* An SDP offer from a carrier (media.c), through libre's SDP parser and
 * wasl's choice of codec: 0 with PCMU or PCMA (*alaw) and the RFC 4733
 * payload type (-1: none offered), or an errno value (EPROTO: no codec
 * wasl speaks). */
int sdp_offer_check(const char *text, size_t n, bool *alaw, int *pt_telev);

/* Malformed requests (sipcheck.c): what wasl does with one request before
 * any handler sees it. SIPCHECK_OK: handled; SIPCHECK_DROP: no answer
 * (libre cannot parse it, it is a response or an ACK, or it has no Via to
 * answer through); else the status code to answer, *reason its phrase (a
 * static string naming the fault). sipcheck_datagram() parses the text
 * with libre first, as the UDP listener does. */
#define SIPCHECK_OK 0
#define SIPCHECK_DROP (-1)
int sipcheck_datagram(const char *buf, size_t n, const char **reason);

/* The Path of a REGISTER (path.c, RFC 3327). regpath_add() appends the hops
 * of one Path header value (name-addrs separated by commas, each
 * "<sip:IP[:port];lr...>") to out, the stored form "<uri>,<uri>" (n bytes,
 * NUL-terminated, "" to start). Every hop must be a sip: or sips: URI whose
 * host is an IP address in allowed (sip.path_from: the proxies that may add
 * a Path), route loosely (lr) and carry no headers; PATH_HOPS_MAX hops and
 * PATH_TEXT_MAX bytes at most. 0, or WASL_EINVAL with *reason, a static
 * phrase naming the fault (out is then left partly filled). */
#define PATH_HOPS_MAX 4    /* an edge proxy and Kamailio, with room to spare */
#define PATH_URI_MAX 256   /* one hop's URI */
#define PATH_TEXT_MAX 1024 /* fits the event log's long field (EVENTS_LONG_MAX) */
int regpath_add(char *out, size_t n, const char *value, size_t len, const struct addr_list *allowed, const char **reason);
/* The hops of a stored path, in order, as the routes libre takes (the lr
 * parameter removed: libre adds it to each); how many (at most max). */
int regpath_routes(const char *text, char routes[][PATH_URI_MAX], int max);

/* Parses text; the error names the bad item. */
int addr_list_parse(const char *text, struct addr_list *out);
/* Whether an address (text; IPv4-mapped IPv6 counts as IPv4) is in it. */
bool addr_list_has(const struct addr_list *l, const char *addr);

#endif
