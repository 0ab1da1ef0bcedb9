/*
 * The real-time side of tel: what lives on the libre thread (calls, legs,
 * media, registrations). Only src/tel files include this; it is the only
 * header that names libre types.
 */
#ifndef WASL_TEL_RT_H
#define WASL_TEL_RT_H

#include <pthread.h>
#include <stdatomic.h>

#include <re.h>
#include <rem.h>

#include "tel_int.h"
#include "acd/acd.h"
#include "events/events.h"

#define PTIME_US 20000
#define FRAME 160 /* samples in 20 ms at 8 kHz */
#define TICK_MS 2
#define SEGS_MAX (IVR_ITEMS_MAX * 3)

/* SRTP on a leg: none, when the peer wants it, always. */
enum sdes_mode { SDES_OFF, SDES_OPTIONAL, SDES_REQUIRED };

struct seg {
    const int16_t *pcm; /* NULL: silence */
    size_t n, pos;
};

struct tcall;

/* One side of a call: the caller's (from a trunk) or the agent's phone. */
struct leg {
    struct tcall *call;
    bool is_agent;
    struct sipsess *sess;
    struct rtp_sock *rtp;
    struct sdp_session *sdp;
    struct sdp_media *m;
    struct sa raddr;
    /* strict RTP: the source audio is taken from. The negotiated address
     * (raddr) always; before anything came from it, the first other source
     * (a peer behind NAT) is latched and every other one dropped. */
    struct sa latched;
    bool has_latched, heard_raddr;
    bool alaw; /* PCMA on this leg, else PCMU */
    int pt, pt_telev;
    struct telev *telev;
    struct dtmf_dec *dtmf;
    uint32_t ts;
    bool marker;
    bool in_media; /* in the ticker's list */
    int64_t due;   /* monotonic µs of the next packet */
    struct le le;
    int64_t last_rx;
    bool held; /* the peer put us on hold (sendonly/inactive) */
    bool established, answered_flag, declined_flag;
    bool declined, unreachable;    /* why an agent's phone did not take the call */
    bool is_sup;                   /* a supervisor's phone (also is_agent: the staff side) */
    bool is_consult;               /* a colleague's phone rung for a consultation (also is_agent) */
    bool auto_answer;              /* the INVITE asks the phone to answer by itself (answered from the desk) */
    struct sipnot *refer_not;      /* the phone's REFER: its implicit subscription, told how the transfer went */
    bool uac;                      /* wasl called this leg (the staff's phones, a callback's citizen) */
    bool busy;                     /* it answered 486/600 */
    char target[256], routes[512]; /* the dialog's remote target and route set (dialogs.c) */
    int64_t ring_start;            /* monotonic µs */
    /* player */
    struct seg segs[SEGS_MAX];
    int nseg, cur;
    bool moh;
    size_t moh_pos;
    bool play_done; /* the segments ran out (reported once) */
    /* RFC 4733: the event whose start was reported and whose end has not
     * come yet (-1: none) */
    int te_open;
    /* SRTP with SDES keys (RFC 4568; srtp.c) */
    enum sdes_mode sdes;          /* what this leg may (optional) or must (required) do */
    bool sig_tls;                 /* its signalling runs over TLS: keys may be sent and taken */
    bool srtp_on;                 /* negotiated: its audio is encrypted both ways */
    int crypto_tag;               /* the a=crypto line agreed on */
    uint8_t key_tx[SDES_KEY_LEN]; /* ours, random per leg */
    uint8_t key_rx[SDES_KEY_LEN]; /* the peer's */
    struct srtp *srtp_tx, *srtp_rx;
    struct udp_helper *srtp_uh;
};

enum monitor_mode { MON_OFF, MON_LISTEN, MON_WHISPER, MON_BARGE };
struct mixer;

struct tcall {
    uint64_t id;
    struct le le;
    char callid[96];
    char did[24], country[3], caller[24];
    struct leg in;
    struct leg *agent;
    int64_t agent_user;
    /* a callback being dialled (dialler.c): the citizen's leg is `in` */
    bool outbound;
    int64_t callback;
    int callback_attempts; /* made before this one */
    int64_t dial_deadline; /* monotonic µs: the citizen's phone rings until then */
    /* a supervisor on the call (supervise.c) */
    struct leg *sup;
    int64_t sup_user;
    enum monitor_mode mon;
    struct mixer *mix; /* set while a supervisor's or a colleague's phone is in the call */
    /* a colleague consulted (transfer.c): the caller waits on hold meanwhile,
     * unless the three are in conference */
    struct leg *consult;
    int64_t consult_user, consult_by;
    bool consult_acd; /* the colleague is an agent logged in: the distributor knows */
    bool conference;
    int64_t transfer_agent; /* a blind transfer to this agent (0: to a queue) */
    enum tstate st;
    struct ivr_session ivr;
    struct ivr_action act;
    /* digits */
    bool collecting;
    char digits[IVR_DIGITS_MAX];
    int nd;
    char keyed[IVR_DIGITS_MAX]; /* arrived since the last tick */
    int nkeyed;
    int64_t deadline;      /* monotonic µs: digit time-out, 0 none */
    int64_t next_announce; /* monotonic µs: the next "you are number N" */
    /* the outcome of a job, waiting for the tick */
    bool job_done;
    struct ivr_event job_ev;
    /* started: clock µs (what the call log shows; wasl answers at once, so
     * it is also the answer time); queued_at, bridged_at: monotonic µs
     * (durations) */
    int64_t started, queued_at, bridged_at;
    int64_t last_refresh; /* monotonic µs */
    char path[400];
    char queue[16];       /* the queue it waits or waited in ("fr") */
    int left_position;    /* its place when it left the queue */
    int queue_exit;       /* the distributor let it go (enum acd_exit; 0: not): acted on at the next tick */
    int transfer_to;      /* a queue to send the caller to (its index + 1; 0: none) */
    int qidx;             /* the distributor's queue it waits in */
    int64_t left_queue;   /* monotonic µs: when it left the queue without an agent (0: it did not) */
    int64_t transfer_by;  /* who asked a transfer (the agent, a supervisor) */
    int64_t first_queued; /* monotonic µs: when it first joined a queue (a transfer keeps it) */
    int64_t held_since;   /* monotonic µs, 0: not on hold */
    bool desk_hold;       /* the agent put the caller on hold from the desk */
    bool message_drop;    /* a callback's citizen hears wasl's recorded message, then the call ends */
    char end_reason[24];  /* set: end at the next tick */
    /* recording: caller left, agent right */
    bool recording;
    int64_t rec_start; /* monotonic µs */
    int16_t *rec[2];
    size_t rec_n[2], rec_cap[2];
    /* voice message (record node) */
    bool taking_message;
    int64_t message_until;
};

struct rt_config {
    char address[64];
    int port;
    bool tcp;
    struct addr_list trunks, phones;
    int tls_port;
    char tls_cert[1024], tls_key[1024];
    bool phones_tls, srtp_in_clear;
    enum sdes_mode phones_srtp;
    struct addr_list trunks_tls, trunks_srtp, trunks_srtp_req;
    char realm[64];
    int rtp_min, rtp_max, max_calls;
    int64_t ring_timeout, wrap_up, rtp_timeout, refresh, max_expires, auth_lockout, queue_announce;
    int auth_failures;
    bool recording;
    char recording_countries[128], recording_dir[1024];
    int64_t recording_retention;
};

struct rt {
    struct rt_config cfg;
    char address[128]; /* "sip:127.0.0.1:5060 (udp, tcp)", set before the thread starts */
    struct db *db;
    struct sip *sip;
    struct sipsess_sock *sock;
    struct tls *tls;              /* the SIP TLS listener's certificate (NULL: no TLS) */
    struct sipevent_sock *evsock; /* NOTIFYs of the REFERs' implicit subscriptions */
    struct sip_lsnr *lsnr;
    struct mqueue *mq;
    struct list calls, media;
    uint64_t next_id;
    int ncalls;
    struct acd *acd;
    struct ivr_flow *flow;
    struct sa laddr;
    int64_t last_sweep;
    pthread_t thread;
    atomic_bool running; /* read by the API's threads */
};
extern struct rt rt;

/* engine.c */
int64_t mono_us(void);
/* The messages of the real-time thread's mqueue. */
enum { MQ_JOB = 1, MQ_STOP, MQ_CMD };
/* Queues a message for the real-time thread without waiting for it
 * (WASL_ECONFLICT "tel.not_running" when it is stopping or stopped). */
int tel_post(int id, void *data);
void tel_post_job(void *job);
/* The ticker beats slower when there is no call; a new call wakes it. */
void ticker_wake(void);
struct tcall *call_find(uint64_t id);
void rt_log_call(const struct tcall *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* media.c */
int leg_media_open(struct leg *l);
void leg_media_close(struct leg *l);
/* Reads the peer's SDP (offer or answer) into the leg: codec, address, DTMF. */
int leg_sdp_remote(struct leg *l, struct mbuf *mb, bool offer);
int leg_sdp_local(struct leg *l, bool offer, struct mbuf **out);
void leg_media_start(struct leg *l);
void leg_media_stop(struct leg *l);
void player_clear(struct leg *l);
void player_add(struct leg *l, const int16_t *pcm, size_t n);
bool player_busy(const struct leg *l);
void media_tick(int64_t now);
/* Sends 20 ms (or n samples) of audio to a leg's peer in its codec. */
int media_send(struct leg *l, const int16_t *pcm, size_t n, bool marker);
void rec_add(struct tcall *c, int ch, const int16_t *pcm, size_t n);

/* srtp.c: SDES keys in the SDP and SRTP on the leg's RTP socket */
int sdes_mode_parse(const char *s, enum sdes_mode *out);
/* Sets what the leg does before leg_media_open(): mode as configured for
 * the peer, tls whether its signalling is over TLS. Returns WASL_EACCES
 * when the leg must be SRTP and its keys cannot be sent safely. */
int leg_srtp_policy(struct leg *l, enum sdes_mode mode, bool tls);
/* From leg_media_open(), when the leg may do SRTP: draws our key, puts
 * SRTP under its RTP socket (until keys are agreed, a leg that must be SRTP
 * sends and takes nothing), and for a leg wasl calls, the a=crypto line of
 * its offer. */
int leg_srtp_attach(struct leg *l);
/* After the peer's SDP was decoded: takes its key (and answers an offered
 * one with ours), or EPROTO when the leg must be SRTP and the peer offers
 * no usable key, or the peer tries to drop SRTP once it is on. */
int leg_srtp_remote(struct leg *l, bool offer);
void leg_srtp_close(struct leg *l);
/* The carrier's SRTP policy for a source address. */
enum sdes_mode trunk_srtp_mode(const char *addr);

/* call.c */
void call_destroy(void *arg);
/* A libre string into a C string, cut to n - 1 bytes (header values wasl
 * only logs or keeps bounded). */
void pl_copy(const struct pl *p, char *out, size_t n);
void call_hold_update(struct tcall *c);
/* The call's event through the transition table (callstate.c). */
bool call_fire(struct tcall *c, enum call_event e);
void bridge(struct tcall *c);
/* Sends the INVITE of a leg wasl calls (desc: its SDP offer). */
int call_connect(struct leg *l, const char *uri, const char *route, const char *from, struct mbuf *desc);
/* Calls a phone of the staff for call c: the agent, a supervisor or a
 * colleague consulted. */
enum leg_role { LEG_AGENT, LEG_SUPERVISOR, LEG_CONSULT, LEG_AGENT_ANSWER /* the agent's phone, asked to answer by itself */ };
struct leg *leg_dial(struct tcall *c, const char *contact, enum leg_role role);
/* Hangs a staff leg up (BYE or CANCEL) and frees it. */
void leg_hangup(struct leg *l);
int call_incoming(const struct sip_msg *msg);
void calls_tick(int64_t now);
void call_digit(struct tcall *c, char d);
void call_ended_remote(struct tcall *c, const char *why);
void calls_job_done(void *job);
void acd_offer_h(void *arg, uint64_t call, int64_t agent);
void acd_cancel_h(void *arg, uint64_t call, int64_t agent);
void acd_exit_h(void *arg, uint64_t call, int queue, enum acd_exit why);
void acd_event_h(void *arg, const struct acd_event *e);

/* snapshot.c: the state other threads read, the commands they send */
/* Something changed: publish soon (real-time thread). */
void snap_dirty(void);
/* Publish now, if anything changed (real-time thread). */
void snap_publish(void);
/* From the ticker: publishes what changed, at most every 100 ms. */
void snap_tick(int64_t now);
/* The first snapshot (real-time thread, at start); the last is dropped at
 * stop (after the thread ended). */
void snap_start(void);
void snap_stop(void);
/* Runs an MQ_CMD message. */
void snap_cmd_run(void *data);
/* From another thread: runs fn(arg) on the real-time thread, then the
 * snapshot is published, then free_arg(arg) (also when fn never runs).
 * Waits wait_ms at most for the answer; the real-time thread never waits
 * for the sender. Returns fn's error when it ran in time; *applied false
 * means it has not run yet (it will, later). WASL_EBUSY "tel.busy" when 64
 * are already waiting. */
int tel_command(int (*fn)(void *arg), void *arg, void (*free_arg)(void *arg), int wait_ms, bool *applied);
/* How long an API thread waits for its command before answering "pending";
 * the real-time thread never waits for it. */
#define CMD_WAIT_MS 250

/* registrar.c */
struct tel_account {
    int64_t user_id;
    char sip_user[64];
    char ha1[33];
    unsigned languages;                       /* bit i = wasl_languages[i] */
    unsigned char proficiency[WASL_LANG_MAX]; /* of wasl_languages[i], 1-5; 0 where the bit is clear */
    unsigned services;                        /* bit i = queues_service(i) */
};
bool registrar_request(const struct sip_msg *msg);
void registrar_sweep(int64_t now);
int registrar_accounts_load(struct db *db);
bool registrar_account(int64_t user_id, struct tel_account *out);
bool registrar_contact(int64_t user_id, char *uri, size_t n);
/* The route to the connection (TLS, TCP) a phone registered contact over,
 * a URI ("sip:ip:port;transport=tls"); false when it registered over UDP. */
bool registrar_flow(const char *contact, char *route, size_t n);
/* What an account's agent logs in with: its languages at their
 * proficiency, its services (those of the plan it names). */
void registrar_skills(const struct tel_account *a, struct acd_skills *sk);
/* A registration kept across a restart: false when the account is gone. */
bool registrar_restore(int64_t user_id, const char *contact, int64_t expires_mono);
int registrar_count(void);
/* The accounts, for the snapshot: how many, and the i-th. */
int registrar_accounts_count(void);
const struct tel_account *registrar_account_at(int i);
void registrar_free(void);

/* jobs.c: the store and the disk, on a worker thread */
enum job_kind { JOB_LOOKUP, JOB_CALLBACK, JOB_RECORDING, JOB_MESSAGE, JOB_DIAL, JOB_CALLBACK_RESULT };
struct job {
    enum job_kind kind;
    uint64_t call;
    char keys[IVR_DIGITS_MAX], pin[IVR_DIGITS_MAX], caller[24], country[3], did[24], language[WASL_LANG_CODE_MAX], callid[96];
    struct ivr_case kase;
    bool ok;
    /* callbacks being dialled */
    int64_t callback, callback_at;
    int attempts;
    char outcome[24];
    /* recordings: caller left, agent right (freed by the worker) */
    int16_t *rec[2];
    size_t rec_n[2];
    char file[1100];
};
int jobs_start(struct db *db);
/* The real-time thread is going: answers are dropped from now on. */
void jobs_detach(void);
void jobs_stop(void);
/* Hands a job to the worker; its answer comes back through the mqueue. */
void jobs_submit(struct job *j);
/* From the worker: hands a job to the real-time thread (freed when wasl stops). */
void jobs_answer(struct job *j);
/* Wakes the worker to look for callbacks to dial (any thread). */
void jobs_wake(void);

/* transfer.c: blind transfers, consultations, attended transfers */
void transfer_refer_h(struct sip *sip, const struct sip_msg *msg, void *arg);
void transfer_tick(struct tcall *c);
void transfer_requeue(struct tcall *c);
/* From calls_tick: the colleague's phone answered, refused, rang too long or hung up. */
void consult_tick(struct tcall *c, int64_t now);
/* The call ends or leaves the conversation: the colleague's phone is let go. */
void consult_end(struct tcall *c);
/* The colleague's leg (NULL: none) in the mixer's third place, or the supervisor's. */
struct leg *call_third(const struct tcall *c);
void mixer_start(struct tcall *c);

/* dialler.c: callbacks dialled */
bool dialler_enabled(void);
int dialler_check_conf(void);
void dialler_poll(struct db *db);
void dialler_result(struct db *db, struct job *j);
void dialler_call(struct job *j);
void dialler_agent_answered(struct tcall *c);
void dialler_tick(struct tcall *c, int64_t now);
void dialler_finished(struct tcall *c);
int dialler_leave_message(struct tcall *c);

/* supervise.c: listen, whisper, barge */
const char *monitor_mode_name(enum monitor_mode m);
int monitor_mode_parse(const char *s, enum monitor_mode *out);
/* Takes a leg's received audio when the call is mixed (false: relay it). */
bool mixer_feed(struct tcall *c, const struct leg *l, const int16_t *pcm, size_t n);
void mixer_tick(int64_t now);
void mixer_stop(struct tcall *c);
void supervise_tick(struct tcall *c);
void supervise_end(struct tcall *c);

/* projections.c: the calls table, phones and agents' states built from the
 * event log, and what a restart finds in them */
#define RECOVER_MAX 2048
struct recovered {
    uint64_t next_call; /* the last call number used */
    int crashed;        /* calls found up, now ended as crashed */
    int nphones, nagents;
    struct {
        int64_t user_id, expires_at;
        char contact[256];
    } phones[RECOVER_MAX];
    struct {
        int64_t user_id;
        char state[16], reason[32];
    } agents[RECOVER_MAX];
    int nlegs, callbacks;
    struct {
        int64_t call, cseq;
        char leg[8];
        char dialog[EVENTS_LONG_MAX];
    } legs[RECOVER_MAX];
};
/* Registers the projections and reads what the last run left (before the
 * real-time thread starts). */
int tel_store_start(struct db *db, const struct recovered **out);
/* On the real-time thread: the phones registered again, the agents logged
 * back in as they were (ringing, on a call or in wrap-up: available). */
void tel_store_restore(const struct recovered *r, int64_t now);

/* dialogs.c: what a restart needs to hang up the legs of calls left up */
void dialog_invite(struct leg *l, const struct sip_msg *msg);
void dialog_established(struct leg *l, const struct sip_msg *msg);
void dialogs_hangup(const struct recovered *r);
/* Splits a kept dialog (in place) into its lines; the caller's number is
 * in the remote URI of the caller leg (part 3). */
enum { D_CALLID, D_LOCAL, D_LTAG, D_REMOTE, D_RTAG, D_TARGET, D_ROUTE, D_TP, D_PARTS };
int dialog_parts(char *text, const char *part[D_PARTS]);

/* messages.c: the voice_messages table, projected from message.left (in
 * the writer's transaction), and the retention: messages left before
 * `before` (µs) lose their file and number; *n files deleted. */
int messages_project(struct db_conn *c, const struct ev *e);
int messages_expire(struct db *db, int64_t before, int *n);

/* How many call rows and callback requests have been stored (projections.c). */
uint64_t jobs_written(void);
void tel_records_changed(void);

/* metrics */
enum tel_counter {
    M_CALLS,
    M_CALLS_REFUSED,
    M_DROPPED,
    M_REG_OK,
    M_REG_FAIL,
    M_LOCKOUTS,
    M_RTP_TX,
    M_RTP_RX,
    M_DTMF,
    M_BRIDGED,
    M_ANNOUNCED,
    M_RTP_FOREIGN,
    M_REG_REPLAY,
    M_ACCOUNTS_RELOADED,
    M_SRTP_TX,
    M_SRTP_RX,
    M_SRTP_DROPPED,
    M_REG_NOT_TLS,
    M_COUNTERS
};
void tel_count(enum tel_counter k, uint64_t n);
void tel_metric_pacing(int64_t err_us);

#endif
