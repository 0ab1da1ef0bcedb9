/*
 * A call's states and what moves it from one to the next, as one table
 * (docs/architecture.md draws it). The engine turns what happened on the
 * wire and in the IVR into an event, looks the pair (state, event) up here,
 * and does what the row says: move to the next state, bridge, call the
 * citizen, or end the call with the row's outcome. A pair that is not in
 * the table changes nothing (a late BYE retransmission, a time-out that
 * lost a race). Pure data: tests/unit/tel/test_callstate.c checks it as a
 * table.
 */
#include <stddef.h>

#include "tel_int.h"

#define ANY T_ANY

/* clang-format off */
const struct call_transition call_transitions[] = {
    /* the IVR */
    {T_IVR,       CE_IVR_PLAY,          T_IVR,       CA_NONE,        NULL},
    {T_IVR,       CE_IVR_JOB,           T_JOB,       CA_NONE,        NULL},
    {T_IVR,       CE_IVR_ENQUEUE,       T_QUEUED,    CA_NONE,        NULL},
    {T_IVR,       CE_IVR_HANGUP,        T_ENDED,     CA_END,         "completed"},
    {T_JOB,       CE_JOB_DONE,          T_IVR,       CA_NONE,        NULL},
    /* waiting for an agent */
    {T_QUEUED,    CE_AGENT_ANSWERED,    T_BRIDGED,   CA_BRIDGE,      NULL},
    {T_QUEUED,    CE_AGENT_DECLINED,    T_QUEUED,    CA_NONE,        NULL},
    {T_QUEUED,    CE_QUEUE_TIMEOUT,     T_IVR,       CA_NONE,        NULL},
    {T_QUEUED,    CE_CALLER_HANGUP,     T_ENDED,     CA_END,         "abandoned"},
    /* a callback waiting for an agent, then the citizen's phone ringing */
    {T_CB_QUEUED, CE_AGENT_ANSWERED,    T_DIALLING,  CA_DIAL,        NULL},
    {T_CB_QUEUED, CE_AGENT_DECLINED,    T_CB_QUEUED, CA_NONE,        NULL},
    {T_CB_QUEUED, CE_CENTER_CLOSED,     T_ENDED,     CA_END,         "center_closed"},
    {T_DIALLING,  CE_CITIZEN_ANSWERED,  T_BRIDGED,   CA_BRIDGE,      NULL},
    {T_DIALLING,  CE_CITIZEN_BUSY,      T_ENDED,     CA_END,         "callback_busy"},
    {T_DIALLING,  CE_CITIZEN_FAILED,    T_ENDED,     CA_END,         "callback_no_answer"},
    {T_DIALLING,  CE_DIAL_TIMEOUT,      T_ENDED,     CA_END,         "callback_no_answer"},
    {T_DIALLING,  CE_DIAL_FAILED,       T_ENDED,     CA_END,         "callback_failed"},
    {T_DIALLING,  CE_AGENT_HANGUP,      T_ENDED,     CA_END,         "agent_hangup"},
    /* in conversation */
    {T_BRIDGED,   CE_CALLER_HANGUP,     T_ENDED,     CA_END,         "answered"},
    {T_BRIDGED,   CE_AGENT_HANGUP,      T_ENDED,     CA_END,         "answered"},
    {T_BRIDGED,   CE_TRANSFER,          T_QUEUED,    CA_REQUEUE,     NULL},
    /* a callback reached a voicemail: the agent left wasl's recorded message */
    {T_BRIDGED,   CE_MESSAGE_PLAYED,    T_ENDED,     CA_END,         "callback_message"},
    /* the caller hangs up before an agent */
    {T_IVR,       CE_CALLER_HANGUP,     T_ENDED,     CA_END,         "caller_hangup"},
    {T_JOB,       CE_CALLER_HANGUP,     T_ENDED,     CA_END,         "caller_hangup"},
    /* a caller gone without a BYE (no audio for sip.rtp_timeout) */
    {T_IVR,       CE_RTP_TIMEOUT,       T_ENDED,     CA_END,         "rtp_timeout"},
    {T_JOB,       CE_RTP_TIMEOUT,       T_ENDED,     CA_END,         "rtp_timeout"},
    {T_QUEUED,    CE_RTP_TIMEOUT,       T_ENDED,     CA_END,         "rtp_timeout"},
    {T_BRIDGED,   CE_RTP_TIMEOUT,       T_ENDED,     CA_END,         "rtp_timeout"},
    /* answered, never acknowledged (no ACK within sip.ack_timeout) */
    {ANY,         CE_NO_ACK,            T_ENDED,     CA_END,         "no_ack"},
    /* from any state */
    {ANY,         CE_ERROR,             T_ENDED,     CA_END,         "error"},
    {ANY,         CE_SHUTDOWN,          T_ENDED,     CA_END,         "shutdown"},
};
/* clang-format on */
const size_t call_ntransitions = sizeof(call_transitions) / sizeof(call_transitions[0]);

static const char *const state_names[] = {"ivr", "lookup", "queued", "bridged", "ended", "callback_queued", "dialling"};
static const char *const event_names[] = {"ivr_play",         "ivr_job",        "ivr_enqueue",    "ivr_hangup",   "job_done",
                                          "queue_timeout",    "agent_answered", "agent_declined", "agent_hangup", "caller_hangup",
                                          "citizen_answered", "citizen_busy",   "citizen_failed", "dial_timeout", "dial_failed",
                                          "center_closed",    "rtp_timeout",    "error",          "shutdown",     "transfer",
                                          "message_played",   "no_ack"};
_Static_assert(sizeof(state_names) / sizeof(state_names[0]) == T_STATES, "a name for every state");
_Static_assert(sizeof(event_names) / sizeof(event_names[0]) == CE_EVENTS, "a name for every event");

const struct call_transition *call_transition_find(enum tstate s, enum call_event e)
{
    const struct call_transition *any = NULL;
    if (s == T_ENDED)
        return NULL; /* the end is the end */
    for (size_t i = 0; i < call_ntransitions; i++) {
        const struct call_transition *t = &call_transitions[i];
        if (t->event != e)
            continue;
        if (t->from == s)
            return t;
        if (t->from == T_ANY)
            any = t;
    }
    return any;
}

const char *call_state_name(enum tstate s)
{
    return s >= 0 && s < T_STATES ? state_names[s] : "?";
}

const char *call_event_name(enum call_event e)
{
    return e >= 0 && e < CE_EVENTS ? event_names[e] : "?";
}
