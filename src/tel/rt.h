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
#define MEDIA_SLOTS (PTIME_US / (TICK_MS * 1000))
/* The calls' state machines (what libre's handlers noted, time-outs) run at
 * every 2 ms beat while there are few calls, and every 10 ms from
 * CALLS_TICK_MANY calls: a walk over every call every 2 ms was the largest
 * item of the thread's profile at 1,000 calls/s (13 %), and 10 ms more
 * before the next prompt or menu is not heard. */
#define CALLS_TICK_US 10000
#define CALLS_TICK_MANY 256
#define SEGS_MAX (IVR_ITEMS_MAX * 3)

/* SRTP on a leg: none, when the peer wants it, always. */
enum sdes_mode { SDES_OFF, SDES_OPTIONAL, SDES_REQUIRED };

struct seg {
    const int16_t *pcm; /* NULL: silence */
    size_t n, pos;
};

struct tcall;
struct mixer;

/* What a leg's received audio is for, decided by the call's state on the
 * signalling side (call_media_sync) and read by rtp_recv alone: the packet
 * path never looks at the call (docs/telephony-threads.md). Every pointer
 * here is cleared before what it points to goes (leg_release, mixer_stop,
 * the streams' close). */
struct leg_route {
    bool tones;                 /* listen for in-band keys (the IVR collects, no RFC 4733) */
    struct leg *relay_to;       /* forward each packet to this leg (NULL: not relayed) */
    struct mixer *mix;          /* the call's mixer takes the audio instead, at place mix_at */
    int mix_at;                 /* 0 caller, 1 agent, 2 the third (supervisor or colleague) */
    struct rec_stream *rec;     /* the call's recording, this leg's side rec_side */
    int rec_side;               /* 0 caller (left), 1 agent (right) */
    struct rec_stream *message; /* a voice message being left (side 0) */
    int64_t rec_start;          /* monotonic µs: the recording's or the message's start */
};

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
    uint32_t ts, ssrc;
    uint16_t seq;
    int tx_fd; /* its RTP socket's descriptor (what the sender sends on) */
    bool marker;
    bool in_media; /* in the ticker's list */
    int64_t due;   /* monotonic µs of the next packet */
    struct le le;
    /* monotonic µs of the last packet from the peer: written by the
     * media side per packet, read by the calls' tick (leg_last_rx) */
    _Atomic int64_t last_rx;
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
    /* the player, the media side's: segments, music on hold, and the token
     * of the last change it was given */
    struct seg segs[SEGS_MAX];
    int nseg, cur;
    bool moh;
    size_t moh_pos;
    uint32_t media_token;
    _Atomic uint32_t played; /* the token whose segments ran out */
    /* the player as the signalling side knows it: a change (clear, add)
     * takes a new token; playing until the media side reports that token
     * played (player_poll), then play_done until acted on */
    uint32_t play_token;
    bool playing;
    bool play_done;
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
    struct leg_route route;
};

enum monitor_mode { MON_OFF, MON_LISTEN, MON_WHISPER, MON_BARGE };

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
    bool practice;        /* a practice call (practice.c): wasl is the caller; never in rt.calls */
    char end_reason[24];  /* set: end at the next tick */
    /* recording: caller left, agent right */
    bool recording;
    int64_t rec_start;             /* monotonic µs */
    struct rec_stream *rec_stream; /* the call's recording (recstream.c) */
    struct rec_stream *message;    /* a voice message being left (the same) */
    /* voice message (record node) */
    bool taking_message;
    int64_t message_until;
    /* answered, its ACK not come yet (halfopen.c) */
    bool half_open;
    struct sa src;         /* where the INVITE came from */
    int64_t answered_mono; /* monotonic µs of the 200 */
};

struct rt_config {
    char address[64];
    int port;
    bool tcp;
    struct addr_list trunks, phones;
    struct addr_list path_from; /* proxies that may add a Path to a REGISTER (sip.path_from) */
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
    int half_open_max;   /* calls answered but not acknowledged, per source */
    int64_t ack_timeout; /* µs: a call whose ACK has not come is ended */
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
    struct list calls;
    /* legs sending RTP, by the tick their packets fall on: a leg's packets
     * are 20 ms apart on the ticker's grid, always in the same slot, so a
     * tick visits a tenth of them (a walk over all, every 2 ms, was
     * a tenth of the thread's CPU in cache misses at 1,000 calls). */
    struct list media[MEDIA_SLOTS];
    int64_t media_tick_done; /* the last tick (µs / TICK) whose slot was run */
    uint64_t next_id;
    int ncalls;
    struct acd *acd;
    struct ivr_flow *flow;
    struct sa laddr;
    int64_t last_sweep, last_calls_tick;
    pthread_t thread;
    atomic_bool running; /* read by the API's threads */
    char gen_dir[1200];  /* the generated prompts (and the practice scripts' lines) */
};
extern struct rt rt;

/* engine.c */
int64_t mono_us(void);
/* engine.c: a periodic timerfd on the grid of its period (tick_after(): its next expiry) */
void ticker_arm(int fd, int64_t period_us);

/* lookahead.c: the SIP UDP socket read ahead of libre while shedding. turn:
 * from the early look (a UDP helper) with the datagram libre read; judge
 * refuses (true, answered) or lets through with a mark; true: nothing for
 * libre this turn, false: src and mb hold what libre parses now, admitted
 * its mark. stamp: that datagram's kernel receive time, when it was read
 * ahead. pending: the datagrams with a mark (INVITEs admitted) libre has
 * not parsed yet, from src's address (NULL: from anywhere). tick: at each
 * tick of the engine, a pump again if the last one was lost. reset: the queue dropped, the pump closed (on the SIP thread). */
typedef bool(lookahead_judge_h)(const struct sa *src, const char *buf, size_t len, int fd, uint64_t *admitted);
bool lookahead_turn(struct sa *src, struct mbuf *mb, int fd, bool shedding, lookahead_judge_h *judge, uint64_t *admitted);
bool lookahead_stamp(struct timeval *tv);
int lookahead_pending(const struct sa *src);
void lookahead_tick(int64_t now);
void lookahead_reset(void);
void lookahead_metrics(struct sbuf *b);

/* nap.c: a real-time thread woken for each datagram reads them in batches
 * (sip.media_batch_us, sip.signal_batch_us). slept: whether the thread slept
 * since its last look (its voluntary context switches); plan (woken, now):
 * until when to nap, never past tick (0: no nap); sleep: the nap. Each
 * thread owns its struct; tick_after: the next 2 ms tick of the grid. */
struct nap {
    int64_t us; /* the batch; 0: off */
    int64_t last_wake;
    long nvcsw;
    _Atomic uint64_t wakes, naps;
};
bool nap_slept(struct nap *n);
int64_t nap_plan(struct nap *n, int64_t now, int64_t tick);
void nap_sleep(struct nap *n, int64_t until);
void nap_metrics(struct sbuf *b, const char *thread, const struct nap *n, const char *setting);
int64_t tick_after(int64_t now);
/* The messages of the real-time thread's mqueue. */
enum { MQ_JOB = 1, MQ_STOP, MQ_CMD, MQ_DIGIT };
/* The error of a request to a telephony that does not run here: a standby
 * node of a cluster (503 cluster.standby) or none at all (409). */
int tel_not_running(void);
/* Queues a message for the real-time thread without waiting for it
 * (tel_not_running() when it is stopping or stopped). */
int tel_post(int id, void *data);
void tel_post_job(void *job);
/* The ticker beats slower when there is no call; a new call wakes it. */
void ticker_wake(void);
struct tcall *call_find(uint64_t id);
void rt_log_call(const struct tcall *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* overload.c: new calls shed when wasl cannot keep up */
/* Reads the settings (before the thread starts). */
int overload_load(void);
/* Every request, first: how long it waited in the socket's queue. */
void overload_seen(const struct sip_msg *msg);
/* A new call (out of dialog INVITE from a trunk): true when it was refused
 * (answered 503 or, for some carriers, not at all), with no state kept. */
bool overload_refuse(const struct sip_msg *msg, const char *src);
/* Every beat of the ticker: how late it runs against its period. */
void overload_tick(int64_t now, uint64_t expirations, int64_t period_us);
void overload_metrics(struct sbuf *b);

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
/* Music on hold after the segments (on), or silence. */
void player_moh(struct leg *l, bool on);
/* Whether the segments given since the last clear are still playing, as
 * the signalling side last learnt (player_poll). */
bool player_busy(const struct leg *l);
/* From the calls' tick: the media side's report that the segments ran
 * out becomes play_done (once per change). */
void player_poll(struct leg *l);
int64_t leg_last_rx(const struct leg *l);
void media_tick(int64_t now);
/* Sends 20 ms (or n samples) of audio to a leg's peer in its codec. */
int media_send(struct leg *l, const int16_t *pcm, size_t n, bool marker);

/* medialoop.c: the media thread (sip.media_threads; docs/telephony-threads.md).
 * start: from the signalling thread's setup (0 threads: the media stays on
 * it, as media_threaded() says); stop: at its teardown, after every leg was
 * closed. media_lock/unlock: around what the signalling thread changes in a
 * leg's media (re-entrant; nothing when not threaded). A leg's socket,
 * opened on the signalling thread, is adopted by the media loop, and freed
 * there. media_digit: a key heard (media side) for the call's IVR. */
int media_loop_start(void);
void media_loop_stop(void);
bool media_threaded(void);
void media_lock(void);
void media_lock_metrics(struct sbuf *b);
void media_yield(void);
/* (media thread, a packet handled, entered: when its handler began) waits
 * for more packets if this one woke the thread (sip.media_batch_us) */
void media_batch(int64_t entered);
bool media_yield_wanted(void);
void media_unlock(void);
int media_sock_adopt(struct rtp_sock *rs);
void media_sock_free(struct rtp_sock *rs);
void media_digit(struct tcall *c, char d);
/* engine.c: queues a digit (struct media_digit *) for the signalling
 * thread, which runs media_digit_run() on it */
int tel_post_digit(void *m);
void media_digit_run(void *arg);

/* mediasend.c: the media thread's packets sent by a thread of their own
 * (sip.media_send_queue packets; 0 or no media thread: sent where they are
 * made). start/stop: by media_loop_start/stop. push (holding the media
 * loop's mutex): the packet's bytes p (RTP header included) to dst from the
 * socket us; false when it must be sent by the caller (the sender off, or
 * its queue full). free: the socket, once the packets queued for it have
 * left; reap (each media tick) frees those; drain (the media thread, before
 * its loop ends) waits for every queued packet and frees them all. */
int media_sender_start(void);
void media_sender_stop(void);
bool media_sender_on(void);
bool media_sender_push(int fd, const struct sa *dst, const uint8_t *p, size_t n);
void media_sender_free(struct rtp_sock *rs);
void media_sender_reap(void);
void media_sender_kick(void);
void media_sender_drain(void);
void media_sender_metrics(struct sbuf *b);

/* tmrwheel.c: libre's timers due later than a quarter of a second wait in a
 * wheel of ours, so that libre's sorted list stays short. init after
 * libre_init on the real-time thread; tick (jiffies: tmr_jiffies()) at
 * every beat of the ticker; flush puts every timer back in libre's list
 * (when the ticker stops). */
int tmrwheel_init(void);
void tmrwheel_tick(uint64_t now);
void tmrwheel_flush(void);
size_t tmrwheel_parked(void); /* O(n): tests */

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
/* Sets the route of each of the call's legs from its state (what
 * rtp_recv does with their audio); run after anything that changes it. */
void call_media_sync(struct tcall *c);
/* The call's event through the transition table (callstate.c). */
bool call_fire(struct tcall *c, enum call_event e);
void bridge(struct tcall *c);
/* Sends the INVITE of a leg wasl calls (desc: its SDP offer). */
int call_connect(struct leg *l, const char *uri, const char *routev[], int routec, const char *from, struct mbuf *desc);
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
/* move.c: the distributor moved the waiting caller c (ACD_EV_MOVED) */
void call_moved(struct tcall *c, const struct acd_event *e);

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
/* Whether an address is locked out after failed REGISTERs (no answer to its REGISTERs at all). */
bool registrar_locked_out(const char *src);
void registrar_sweep(int64_t now);
int registrar_accounts_load(struct db *db);
bool registrar_account(int64_t user_id, struct tel_account *out);
bool registrar_contact(int64_t user_id, char *uri, size_t n);
bool registrar_contact_at(int i, char *uri, size_t n);
/* The Route set of requests to the phone registered at contact: the hops
 * of its Path (RFC 3327: the proxies it registered through), else the
 * connection (TLS, TCP) it registered over ("sip:ip:port;transport=tls");
 * how many routes (0: straight to the contact, over UDP). */
int registrar_route(const char *contact, char routes[][PATH_URI_MAX], int max);
/* What an account's agent logs in with: its languages at their
 * proficiency, its services (those of the plan it names). */
void registrar_skills(const struct tel_account *a, struct acd_skills *sk);
/* The phones' bindings as the store keeps them (sip_registrations, written
 * by the event log's projection of phone.registered), read by a node at its
 * start and when it takes over the calls (tel_locations_reload()). */
#define BINDINGS_MAX 2048
struct binding_row {
    int64_t user_id, expires_at, updated_at; /* µs since the epoch */
    char contact[256], flow[96], path[PATH_TEXT_MAX], node[64];
};
struct bindings {
    int n;
    struct binding_row row[BINDINGS_MAX];
};
/* Off the real-time thread: deletes the expired rows and reads the others. */
int registrar_bindings_read(struct db *db, struct bindings *out);
/* On the real-time thread: the bindings this node can use. A binding over
 * a TCP or TLS connection without a Path is skipped (the connection is
 * another process's: only the phone's next REGISTER reaches this one); a
 * binding this node took itself since the row was written is kept. */
void registrar_bindings_apply(const struct bindings *b, int64_t now);
/* This node's name in the store's rows: "node:sip.port" (cluster.node, else the host name). */
const char *registrar_node(void);
int registrar_count(void);
/* The accounts, for the snapshot: how many, and the i-th. */
int registrar_accounts_count(void);
const struct tel_account *registrar_account_at(int i);
void registrar_free(void);

/* recstream.c: call recordings and voice messages streamed to disk by a
 * writer thread. The real-time thread opens, adds frames (never blocks: a
 * full ring drops and counts) and closes; the writer finishes the file and
 * reports it. */
struct rec_stream;
struct rec_done {
    uint64_t call;
    char file[1100];   /* "" when a message kept nothing */
    int64_t seconds;   /* the audio kept */
    uint64_t dropped;  /* frames lost to a full ring (silence in the file) */
    const char *error; /* NULL, "disk_full" or "disk_error": the file ends early */
    /* a voice message's */
    bool message;
    bool answer; /* the IVR waits for it (rec_message_end) */
    bool said;   /* over half a second: a message (else nothing was said and no file is kept) */
    char language[WASL_LANG_CODE_MAX], caller[24];
};
typedef void (*rec_done_h)(const struct rec_done *d, void *arg);
/* A call's recording: stereo, caller left, agent right. */
struct rec_stream *rec_stream_open(uint64_t call, const char *callid);
/* A voice message: mono, side 0; language and caller go to rec_done. */
struct rec_stream *rec_message_open(uint64_t call, const char *callid, const char *language, const char *caller);
void rec_stream_add(struct rec_stream *s, int ch, const int16_t *pcm, size_t n, int64_t elapsed_us);
/* The recording ends (the call did, or the caller hung up during a message). */
void rec_stream_close(struct rec_stream *s);
/* The message ends and the caller is still there: the IVR goes on when
 * the file is finished (rec_done's answer). */
void rec_message_end(struct rec_stream *s);
/* Frames in the ring, not yet taken by the writer. */
size_t rec_stream_queued(struct rec_stream *s);
int rec_writer_start(const char *dir, rec_done_h done, void *arg);
void rec_writer_stop(void);
uint64_t rec_frames_dropped(void);
/* Recordings being made (calls, messages) and the memory every stream
 * holds, open or kept ready: for /metrics. */
struct rec_stats {
    int calls, messages;
    size_t bytes;
};
void rec_stats(struct rec_stats *st);
/* root/YYYY-MM-DD/<call-id>-<call>.wav (today, UTC), or root/messages/...:
 * the folders are made. */
int rec_path(const char *root, const char *callid, uint64_t call, bool message, char *file, size_t n);
/* Where a recording is written while it lasts: root/.streaming/<call>.wav.part,
 * or root/.streaming/message-<call>.wav.part for a message. */
#define REC_MESSAGE_PART "message-"
void rec_part_path(const char *root, uint64_t call, bool message, char *file, size_t n);
/* A .part file a crash left: its header fixed for the whole samples it
 * holds (frames a side), the rest cut, fsynced. */
int rec_part_seal(const char *part, int channels, size_t *frames);

/* jobs.c: the store and the disk, on a worker thread */
enum job_kind { JOB_LOOKUP, JOB_CALLBACK, JOB_MESSAGE, JOB_DIAL, JOB_CALLBACK_RESULT };
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
/* message.left's cut (its m): how much of what the caller said is kept. */
enum { MESSAGE_COMPLETE, MESSAGE_PARTIAL, MESSAGE_FAILED };
/* A voice message finished by the recording writer: message.left, and the
 * IVR's answer (a JOB_MESSAGE) when the caller waits (the writer's thread). */
void jobs_message_done(const struct rec_done *d);

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

/* practice.c: practice calls (wasl calls a trainee's phone and plays a
 * script), kept apart from rt.calls */
int practice_count(void);
/* Whether the user has a practice call going on. */
bool practice_busy(int64_t user);
void practice_tick(int64_t now);
/* wasl stops: every practice call ends (outcome shutdown). */
void practice_shutdown(void);

/* supervise.c: listen, whisper, barge */
const char *monitor_mode_name(enum monitor_mode m);
int monitor_mode_parse(const char *s, enum monitor_mode *out);
/* A leg's received audio into its place (0 caller, 1 agent, 2 third) of a mixer. */
void mixer_feed(struct mixer *m, int at, const int16_t *pcm, size_t n);
/* The place of leg l in its call's mixer. */
int mixer_place(const struct tcall *c, const struct leg *l);
/* Who is sent a mix and who hears whom, from the call's state (from
 * call_media_sync); forget: leg l is going, it is sent nothing more. */
void mixer_sync(struct tcall *c);
void mixer_forget(struct mixer *m, const struct leg *l);
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
    int nagents;
    struct bindings phones;
    struct {
        int64_t user_id;
        char state[16], reason[32];
    } agents[RECOVER_MAX];
    int nlegs, callbacks;
    int messages; /* voice messages cut by the crash, kept as far as they went */
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

/* halfopen.c: calls answered whose ACK has not come, per source address.
 * halfopen_refuse(): true when the INVITE's source has sip.half_open_max
 * of them already (answered 503 with Retry-After, counted, logged once
 * per source and interval). halfopen_add(): call c was answered (200) to
 * addr; halfopen_done(): its ACK came or it ended. halfopen_tick() ends a
 * call whose ACK has not come after sip.ack_timeout (CE_NO_ACK). */
bool halfopen_refuse(const struct sip_msg *msg, const char *src);
/* Its verdict without the answer (the early look answers, overload.c):
 * true, counted and logged, when addr (text: src) is over the limit with
 * pending more of its calls admitted and not yet answered. */
bool halfopen_over(const struct sa *addr, const char *src, int pending);
#define HALFOPEN_WARNING "Warning: 399 wasl \"too many calls not acknowledged from this address\"\r\n"
void halfopen_add(struct tcall *c, const struct sa *addr);
void halfopen_done(struct tcall *c);
void halfopen_tick(struct tcall *c, int64_t now);
int halfopen_count(void);
void halfopen_free(void);

/* A log line that may come once per request (a flood) goes out at most
 * once per LOG_GATE_US; the lines held back meanwhile are counted, and
 * log_gate_open() gives their number to the next line. */
#define LOG_GATE_US 10000000 /* 10 s */
struct log_gate {
    int64_t next;
    uint64_t held;
};
bool log_gate_open(struct log_gate *g, int64_t now, uint64_t *held);

/* sipcheck.c: the check of sipcheck_datagram() on a request libre parsed;
 * over UDP it also cuts the body to its Content-Length. */
int sipcheck_request(const struct sip_msg *msg, const char **reason);
/* The options of the request's Require that wasl does not support: their
 * number, and their list ("a, b") in out when given (cut to fit n). */
int sipcheck_unsupported(const struct sip_msg *msg, char *out, size_t n);
/* Its pieces, shared with the early look at a datagram (sipscan.c): a
 * decimal field up to max (0 and *out; -1 when empty, not all digits or
 * larger), a CSeq value's number (below 2**31), a Via value that is not
 * "SIP / 2.0 / ...", whether the quotes of a From or To value pair up. */
#define SIPCHECK_MAXFWD_MAX 255ULL
/* larger than any datagram or than libre's TCP buffer: a longer body
 * cannot come in one message */
#define SIPCHECK_CLEN_MAX 65536ULL
int sipcheck_decimal(const struct pl *v, unsigned long long max, unsigned long long *out);
int sipcheck_cseq_number(const struct pl *val, unsigned long long *out);
bool sipcheck_via_bad(const struct pl *v);
bool sipcheck_quotes_balanced(const struct pl *v);

/* sipscan.c: a request libre parsed, as the list sipscan_invite() gives
 * (false: more header fields to copy than SIPSCAN_HDRS). */
bool sipscan_from_msg(const struct sip_msg *msg, struct sipscan *s);
/* An ACK the scanner is sure of: its Call-ID and To tag (false: another
 * request, or not sure; libre's then). */
bool sipscan_ack(const char *buf, size_t n, struct pl *callid, struct pl *totag);

/* overload.c: the text of a 503 to a new call, either found by
 * sipscan_invite() or parsed by libre (sipscan_from_msg()), the same bytes
 * libre's sip_reply() writes: the Vias (the top one with rport and
 * received as RFC 3261 18.2.2 and RFC 3581 say, or with RFC 7339's oc
 * parameters), From, To with a tag, Call-ID, CSeq, Server, Retry-After
 * (when set, without oc), the extra lines. The length written (NUL-terminated), or -1 when
 * out is too small or the top Via does not parse; *dst: where to send it. */
struct ovl_reply {
    int retry_after; /* 0: no Retry-After */
    bool oc;         /* RFC 7339 loss-based oc in the top Via instead */
    int oc_pct, oc_validity_ms;
    const char *oc_seq;
    uint64_t tag;      /* the To tag */
    const char *extra; /* header lines (CRLF-ended) after Retry-After, or NULL */
};
int ovl_reply_build(const struct sipscan *s, const struct sa *src, enum sip_transp tp, const struct ovl_reply *r, char *out,
                    size_t cap, struct sa *dst);

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
    M_MALFORMED,
    M_HALF_OPEN_REFUSED,
    M_ACK_TIMEOUTS,
    M_COUNTERS
};
void tel_count(enum tel_counter k, uint64_t n);
void tel_metric_pacing(int64_t err_us);
/* A histogram for /metrics: values observed in µs, bucket bounds in ms. */
#define TEL_HIST_MAX 12
struct tel_hist {
    const double *bounds_ms;
    size_t n; /* at most TEL_HIST_MAX */
    _Atomic uint64_t b[TEL_HIST_MAX + 1], sum_us;
};
void tel_hist_add(struct tel_hist *h, int64_t us);
void tel_hist_text(struct sbuf *b, const char *name, const char *help, struct tel_hist *h);

#endif
