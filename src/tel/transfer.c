/*
 * Transfers of a caller in conversation, by the agent (from the desk, or
 * their phone's transfer key: a SIP REFER) or a supervisor:
 *
 *   to a queue     blind: the agent's leg is hung up and the agent goes to
 *                  wrap-up; the caller hears music and waits in the new
 *                  queue at the place of their first arrival (the
 *                  distributor's `joined`), with the recording, the IVR path
 *                  and the call's number kept. A REFER is answered 202 and
 *                  the agent's leg hung up with a BYE once the caller is
 *                  queued, after the REFER's terminal NOTIFY (200 OK).
 *   to an agent    blind: as to a queue, but the distributor rings that
 *                  colleague first; not answered, the caller takes back
 *                  their place in their queue.
 *   consultation   the caller waits on hold (music) while wasl calls a
 *                  colleague's phone and the agent talks with them (through
 *                  the mixer); then "complete" (attended transfer: the
 *                  colleague has the caller, the agent goes to wrap-up),
 *                  "conference" (the three talk) or "cancel" (the colleague
 *                  is hung up, the agent has the caller back).
 *
 * And the desk's other buttons: hold, resume, hang up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt.h"
#include "events/events.h"

void transfer_refer_h(struct sip *sip, const struct sip_msg *msg, void *arg)
{
    struct leg *l = arg;
    struct tcall *c = l->call;
    const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_REFER_TO);
    struct sip_addr addr;
    char user[32] = "";
    if (!h || sip_addr_decode(&addr, &h->val)) {
        sip_reply(sip, msg, 400, "Bad Refer-To");
        return;
    }
    if (pl_isset(&addr.uri.user) && addr.uri.user.l < sizeof(user))
        snprintf(user, sizeof(user), "%.*s", (int)addr.uri.user.l, addr.uri.user.p);
    int q = queues_find(user);
    if (!l->is_agent || l->is_sup || l != c->agent || c->st != T_BRIDGED) {
        sip_reply(sip, msg, 403, "Not In Conversation");
        return;
    }
    if (q < 0) {
        sip_reply(sip, msg, 404, "No Such Queue");
        return;
    }
    if (c->consult) {
        sip_reply(sip, msg, 491, "Consultation In Progress");
        return;
    }
    /* 202 and the REFER's implicit subscription (RFC 3515): the transfer
     * is carried out at the next tick, and its one NOTIFY (terminal, with
     * the outcome) goes out then, before the BYE. A "100 Trying" first
     * would still be unanswered then and hold the final one back behind
     * the BYE. */
    if (sipevent_accept(&l->refer_not, rt.evsock, msg, sipsess_dialog(l->sess), NULL, 202, "Accepted", 60, 60, 60, "wasl",
                        "message/sipfrag", NULL, NULL, false, NULL, NULL, NULL)) {
        l->refer_not = NULL;
        sip_reply(sip, msg, 202, "Accepted");
    }
    c->transfer_to = q + 1; /* the tick carries it out */
    c->transfer_by = c->agent_user;
}

/* The end of a REFER's subscription: the transfer's outcome as a sipfrag
 * (a terminal NOTIFY; libre keeps it until it is answered). */
static void refer_done(struct leg *l, const char *sipfrag)
{
    if (!l || !l->refer_not)
        return;
    (void)sipevent_notifyf(l->refer_not, NULL, SIPEVENT_TERMINATED, SIPEVENT_NORESOURCE, 0, "%s\r\n", sipfrag);
    l->refer_not = mem_deref(l->refer_not);
}

void transfer_tick(struct tcall *c)
{
    if ((c->transfer_to || c->transfer_agent) && !call_fire(c, CE_TRANSFER)) {
        refer_done(c->agent, "SIP/2.0 487 Request Terminated");
        c->transfer_to = 0; /* the call is no longer in conversation */
        c->transfer_agent = 0;
    }
}

void transfer_requeue(struct tcall *c)
{
    int q = c->transfer_to - 1;
    int64_t mono = mono_us(), agent = c->agent_user, to_agent = c->transfer_agent;
    c->transfer_to = 0;
    c->transfer_agent = 0;
    supervise_end(c);
    consult_end(c);
    if (c->agent) {
        refer_done(c->agent, "SIP/2.0 200 OK"); /* before the BYE, in the same dialog */
        leg_hangup(c->agent);
        c->agent = NULL;
    }
    c->agent_user = 0;
    c->bridged_at = 0;
    c->queued_at = mono;
    player_clear(&c->in);
    player_moh(&c->in, true);
    leg_media_start(&c->in);
    if (to_agent) {
        char target[24];
        snprintf(target, sizeof(target), "%lld", (long long)to_agent);
        events_add(EV_CALL_TRANSFERRED, (int64_t)c->id, agent, c->queue, "agent", target, NULL, c->transfer_by, 0);
        /* the agent goes to wrap-up; the colleague's phone rings (the offer hook) */
        if (!acd_call_transfer(rt.acd, c->id, to_agent, mono)) {
            rt_log_call(c, "transferred by %lld from agent %lld to agent %lld", (long long)c->transfer_by, (long long)agent,
                        (long long)to_agent);
            return;
        }
        rt_log_call(c, "cannot ring agent %lld (%s): back to the %s queue", (long long)to_agent, err_message(), c->queue);
        err_clear();
        q = c->qidx;
    } else {
        events_add(EV_CALL_TRANSFERRED, (int64_t)c->id, agent, c->queue, "queue", queues_name(q), NULL, c->transfer_by, 0);
        rt_log_call(c, "transferred by %lld from agent %lld to the %s queue", (long long)c->transfer_by, (long long)agent,
                    queues_name(q));
    }
    acd_call_gone(rt.acd, c->id, mono); /* the agent goes to wrap-up */
    err_clear();
    snprintf(c->queue, sizeof(c->queue), "%s", queues_name(q));
    c->qidx = q;
    struct acd_queue_view qv;
    events_add(EV_QUEUE_JOINED, (int64_t)c->id, 0, c->queue, NULL, NULL, NULL, !acd_queue_get(rt.acd, q, &qv) ? qv.waiting + 1 : 0,
               0);
    err_clear();
    /* its first arrival, and the second language it accepted in the IVR */
    struct acd_call_opts o = {.joined = c->first_queued ? c->first_queued : mono,
                              .priority = c->act.kind == IVR_A_ENQUEUE ? c->act.priority : 0,
                              .has_language2 = c->act.kind == IVR_A_ENQUEUE && c->act.language2 >= 0,
                              .language2 = c->act.kind == IVR_A_ENQUEUE && c->act.language2 >= 0 ? c->act.language2 : 0};
    if (acd_call_enqueue(rt.acd, c->id, q, &o, mono)) {
        rt_log_call(c, "cannot queue after the transfer: %s", err_message());
        err_clear();
        call_fire(c, CE_ERROR);
    }
}

/* The call the desk or a supervisor names, if in conversation and theirs. */
static int own_call(uint64_t call, int64_t by, bool supervisor, struct tcall **out)
{
    struct tcall *c = call_find(call);
    if (!c || c->st != T_BRIDGED || !c->agent)
        return err_set(WASL_ENOENT, "tel.no_such_call", "no call in conversation with this number");
    if (!supervisor && c->agent_user != by)
        return err_set(WASL_EPERM, "tel.not_your_call", "only the agent on the call or a supervisor does this");
    *out = c;
    return 0;
}

/* A colleague for call c: logged in as an agent, free (available, in
 * wrap-up or paused) — or, when must_be_agent is false, anybody whose phone
 * is registered (a supervisor who takes no queue's calls). */
static int colleague_check(const struct tcall *c, int64_t colleague, bool must_be_agent, bool *in_acd)
{
    struct acd_agent_view v;
    char contact[256];
    if (colleague == c->agent_user)
        return err_set(WASL_ECONFLICT, "tel.same_agent", "the agent already has the call");
    *in_acd = !acd_agent_get(rt.acd, colleague, &v) && v.state != ACD_OFFLINE;
    err_clear();
    if (*in_acd && (v.state == ACD_RINGING || v.state == ACD_BUSY))
        return err_set(WASL_ECONFLICT, "tel.colleague_busy", "this colleague is on a call");
    if (!*in_acd && must_be_agent)
        return err_set(WASL_ECONFLICT, "tel.colleague_offline", "this colleague is not logged in to the queues");
    if (!registrar_contact(colleague, contact, sizeof(contact)))
        return err_set(WASL_ECONFLICT, "tel.colleague_no_phone", "this colleague's phone is not registered");
    return 0;
}

struct transfer_q {
    uint64_t call;
    int64_t by;
    bool supervisor;
    int queue;         /* -1: to an agent */
    int64_t colleague; /* 0: to a queue */
};

static int transfer_rt(void *arg)
{
    const struct transfer_q *t = arg;
    struct tcall *c;
    bool in_acd;
    int err;
    if ((err = own_call(t->call, t->by, t->supervisor, &c)))
        return err;
    if (c->consult)
        return err_set(WASL_ECONFLICT, "tel.consulting", "end the consultation first (complete it to transfer to that colleague)");
    if (t->colleague) {
        if ((err = colleague_check(c, t->colleague, true, &in_acd)))
            return err;
        c->transfer_agent = t->colleague;
    } else {
        if (t->queue == c->qidx)
            return err_set(WASL_ECONFLICT, "tel.same_queue", "the caller already came through that queue");
        c->transfer_to = t->queue + 1;
    }
    c->transfer_by = t->by;
    transfer_tick(c);
    return 0;
}

int tel_transfer(uint64_t call, int64_t by, bool supervisor, const char *queue, int64_t colleague, bool *applied)
{
    int q = queue ? queues_find(queue) : -1;
    *applied = false;
    if (!queue == !colleague)
        return err_set_field(WASL_EINVAL, "tel.invalid_transfer", "queue", "either a queue or an agent");
    if (queue && q < 0)
        return err_set_field(WASL_EINVAL, "tel.invalid_queue", "queue", "a queue: its language (ar, fr, ...), or language.service");
    struct transfer_q *t = calloc(1, sizeof(*t));
    if (!t)
        return WASL_ENOMEM;
    *t = (struct transfer_q){call, by, supervisor, q, colleague};
    return tel_command(transfer_rt, t, free, CMD_WAIT_MS, applied);
}

/* ---- consultation and attended transfer ---- */

static void consult_event(struct tcall *c, const char *stage)
{
    events_add(EV_CALL_CONSULTED, (int64_t)c->id, c->agent_user, c->queue, stage, NULL, NULL, c->consult_user, c->consult_by);
}

/* The colleague leaves the call (why: cancelled, not_answered, hung_up,
 * call_ended, logged_out); the caller is back with the agent. */
static void consult_gone(struct tcall *c, const char *why)
{
    if (!c->consult)
        return;
    mixer_stop(c);
    leg_hangup(c->consult);
    c->consult = NULL;
    if (c->consult_acd && acd_consult_end(rt.acd, c->id, mono_us()))
        err_clear();
    c->consult_acd = false;
    c->conference = false;
    consult_event(c, why);
    rt_log_call(c, "consultation with %lld over (%s)", (long long)c->consult_user, why);
    c->consult_user = 0;
    call_hold_update(c);
}

void consult_end(struct tcall *c)
{
    consult_gone(c, "call_ended");
}

void consult_tick(struct tcall *c, int64_t now)
{
    struct leg *l = c->consult;
    if (!l)
        return;
    if (l->answered_flag) {
        l->answered_flag = false;
        if (c->consult_acd && acd_consult_answered(rt.acd, c->id, mono_us()))
            err_clear();
        mixer_start(c);
        consult_event(c, "talking");
        rt_log_call(c, "agent %lld consults %lld", (long long)c->agent_user, (long long)c->consult_user);
    }
    if (l->declined_flag)
        consult_gone(c, l->established ? "hung_up" : !c->consult_acd && l->unreachable ? "unreachable" : "not_answered");
    else if (!l->established && now - l->ring_start > rt.cfg.ring_timeout)
        consult_gone(c, "not_answered");
    else if (c->st != T_BRIDGED || !c->agent)
        consult_gone(c, "call_ended");
}

/* Attended transfer: the colleague becomes the call's agent. */
static int consult_complete(struct tcall *c)
{
    int64_t mono = mono_us(), agent = c->agent_user;
    if (!c->consult->established)
        return err_set(WASL_ECONFLICT, "tel.not_answered", "the colleague has not answered yet");
    if (c->consult_acd ? acd_consult_complete(rt.acd, c->id, mono) : acd_call_gone(rt.acd, c->id, mono))
        err_clear(); /* not in the distributor any more: the call goes on */
    mixer_stop(c);
    leg_hangup(c->agent);
    c->agent = c->consult;
    c->agent->is_consult = false;
    c->agent_user = c->consult_user;
    c->consult = NULL;
    c->consult_acd = c->conference = false;
    char target[24];
    snprintf(target, sizeof(target), "%lld", (long long)c->agent_user);
    events_add(EV_CALL_TRANSFERRED, (int64_t)c->id, agent, c->queue, "agent_attended", target, NULL, c->consult_by, 0);
    rt_log_call(c, "transferred from agent %lld to %lld after a consultation", (long long)agent, (long long)c->agent_user);
    c->consult_user = 0;
    call_hold_update(c);
    return 0;
}

struct consult_q {
    uint64_t call;
    int64_t by;
    bool supervisor;
    char action[12]; /* start, complete, conference, cancel */
    int64_t colleague;
};

static int consult_rt(void *arg)
{
    const struct consult_q *q = arg;
    struct tcall *c;
    char contact[256];
    int err;
    if ((err = own_call(q->call, q->by, q->supervisor, &c)))
        return err;
    if (strcmp(q->action, "start")) {
        if (!c->consult)
            return err_set(WASL_ENOENT, "tel.no_consultation", "no consultation is going on for this call");
        if (!strcmp(q->action, "cancel")) {
            consult_gone(c, "cancelled");
            return 0;
        }
        if (!strcmp(q->action, "complete"))
            return consult_complete(c);
        if (!c->consult->established)
            return err_set(WASL_ECONFLICT, "tel.not_answered", "the colleague has not answered yet");
        if (!c->conference) {
            c->conference = true;
            consult_event(c, "conference");
            call_hold_update(c); /* the caller joins: the music stops */
        }
        return 0;
    }
    if (c->consult)
        return err_set(WASL_ECONFLICT, "tel.consulting", "a consultation is already going on for this call");
    if (c->sup)
        return err_set(WASL_ECONFLICT, "tel.supervised", "a supervisor is on this call");
    bool in_acd;
    if ((err = colleague_check(c, q->colleague, false, &in_acd)))
        return err;
    if (!registrar_contact(q->colleague, contact, sizeof(contact)))
        return err_set(WASL_ECONFLICT, "tel.colleague_no_phone", "this colleague's phone is not registered");
    if (in_acd && (err = acd_consult_ring(rt.acd, c->id, q->colleague, mono_us())))
        return err;
    struct leg *l = leg_dial(c, contact, LEG_CONSULT);
    if (!l) {
        if (in_acd && acd_consult_end(rt.acd, c->id, mono_us()))
            err_clear();
        return err_set(WASL_EINTERNAL, "tel.dial", "the colleague's phone could not be called");
    }
    c->consult = l;
    c->consult_user = q->colleague;
    c->consult_by = q->by;
    c->consult_acd = in_acd;
    c->conference = false;
    consult_event(c, "ringing");
    rt_log_call(c, "calling colleague %lld at %s for a consultation", (long long)q->colleague, contact);
    call_hold_update(c); /* the caller waits with music */
    return 0;
}

int tel_consult(uint64_t call, int64_t by, bool supervisor, const char *action, int64_t colleague, bool *applied)
{
    *applied = false;
    if (!action ||
        (strcmp(action, "start") && strcmp(action, "complete") && strcmp(action, "conference") && strcmp(action, "cancel")))
        return err_set_field(WASL_EINVAL, "tel.invalid_action", "action", "start, complete, conference or cancel");
    if (!strcmp(action, "start") && colleague <= 0)
        return err_set_field(WASL_EINVAL, "tel.invalid_agent", "agent", "the user id of the colleague to call");
    struct consult_q *q = calloc(1, sizeof(*q));
    if (!q)
        return WASL_ENOMEM;
    q->call = call;
    q->by = by;
    q->supervisor = supervisor;
    snprintf(q->action, sizeof(q->action), "%s", action);
    q->colleague = colleague;
    return tel_command(consult_rt, q, free, CMD_WAIT_MS, applied);
}

/* ---- the desk drives the call: answer, hold, resume, hang up ---- */

/* The agent answers from the desk while their phone rings: wasl calls the
 * phone again asking it to answer by itself (Call-Info answer-after=0,
 * Alert-Info auto-answer: what desk phones honour, e.g. for intercom), and
 * cancels the ringing INVITE. The distributor still sees one offer ringing
 * (same ring time-out); a phone that ignores the headers just rings on. */
static int answer_rt(struct tcall *c, int64_t by)
{
    char contact[256];
    struct leg *old = c->agent;
    if ((c->st != T_QUEUED && c->st != T_CB_QUEUED) || !old || c->agent_user != by)
        return err_set(WASL_ENOENT, "tel.not_ringing", "no call is ringing your phone");
    if (old->established || old->answered_flag)
        return 0; /* answered meanwhile: done */
    if (old->auto_answer)
        return err_set(WASL_ECONFLICT, "tel.answer_pending", "your phone was already asked to answer");
    if (!registrar_contact(by, contact, sizeof(contact)))
        return err_set(WASL_ECONFLICT, "tel.phone_not_registered", "your phone is not registered");
    /* first the CANCEL (a phone with one line would refuse a second call) */
    int64_t ring_start = old->ring_start;
    c->agent = NULL;
    leg_hangup(old);
    struct leg *l = leg_dial(c, contact, LEG_AGENT_ANSWER);
    if (!l)
        return err_set(WASL_ENOMEM, "tel.dial", "your phone could not be called");
    l->ring_start = ring_start;
    c->agent = l; /* could not be called: declined at the next tick, as a ring-no-answer */
    rt_log_call(c, "agent %lld answers from the desk: phone asked to answer at %s", (long long)by, contact);
    return 0;
}

struct control_q {
    uint64_t call;
    int64_t by;
    bool supervisor;
    char what[8]; /* hold, resume, hangup */
};

static int control_rt(void *arg)
{
    const struct control_q *q = arg;
    struct tcall *c;
    int err;
    if (!strcmp(q->what, "answer")) {
        if (!(c = call_find(q->call)))
            return err_set(WASL_ENOENT, "tel.not_ringing", "no call is ringing your phone");
        return answer_rt(c, q->by);
    }
    if ((err = own_call(q->call, q->by, q->supervisor, &c)))
        return err;
    if (!strcmp(q->what, "hangup"))
        call_fire(c, CE_AGENT_HANGUP); /* both legs get a BYE at the next tick */
    else if (!strcmp(q->what, "message"))
        return dialler_leave_message(c);
    else {
        c->desk_hold = !strcmp(q->what, "hold");
        call_hold_update(c); /* at once: the answer says it is done */
    }
    return 0;
}

int tel_call_control(uint64_t call, int64_t by, bool supervisor, const char *what, bool *applied)
{
    *applied = false;
    if (!what || (strcmp(what, "hold") && strcmp(what, "resume") && strcmp(what, "hangup") && strcmp(what, "answer") &&
                  strcmp(what, "message")))
        return err_set_field(WASL_EINVAL, "tel.invalid_action", "action", "answer, hold, resume, hangup or message");
    struct control_q *q = calloc(1, sizeof(*q));
    if (!q)
        return WASL_ENOMEM;
    q->call = call;
    q->by = by;
    q->supervisor = supervisor;
    snprintf(q->what, sizeof(q->what), "%s", what);
    return tel_command(control_rt, q, free, CMD_WAIT_MS, applied);
}
