/*
 * Blind transfers: the agent (from the desk, or their phone's transfer key:
 * a SIP REFER) or a supervisor sends a caller in conversation to another
 * queue. The agent's leg is hung up and the agent goes to wrap-up; the
 * caller hears music and waits in the new queue at the place of their first
 * arrival (the distributor's `joined`), with the recording, the IVR path
 * and the call's number kept. A REFER is answered 202 and the agent's leg
 * hung up with a BYE once the caller is queued (no NOTIFY: the phone's
 * part is over). And the desk's other buttons: hold, resume, hang up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt.h"
#include "events/events.h"

/* "fr", "queue-fr" or "queue.fr": the queue of that language, else -1. */
static int queue_of(const char *name)
{
    if (!strncmp(name, "queue-", 6) || !strncmp(name, "queue.", 6))
        name += 6;
    for (int i = 0; i < wasl_nlanguages; i++)
        if (!strcmp(name, wasl_languages[i]))
            return i;
    return -1;
}

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
    int q = queue_of(user);
    if (!l->is_agent || l->is_sup || l != c->agent || c->st != T_BRIDGED) {
        sip_reply(sip, msg, 403, "Not In Conversation");
        return;
    }
    if (q < 0) {
        sip_reply(sip, msg, 404, "No Such Queue");
        return;
    }
    sip_reply(sip, msg, 202, "Accepted");
    c->transfer_to = q + 1; /* the tick carries it out */
    c->transfer_by = c->agent_user;
}

void transfer_tick(struct tcall *c)
{
    if (c->transfer_to && !call_fire(c, CE_TRANSFER))
        c->transfer_to = 0; /* the call is no longer in conversation */
}

void transfer_requeue(struct tcall *c)
{
    int q = c->transfer_to - 1;
    int64_t mono = mono_us(), agent = c->agent_user;
    c->transfer_to = 0;
    supervise_end(c);
    acd_call_gone(rt.acd, c->id, mono); /* the agent goes to wrap-up */
    err_clear();
    if (c->agent) {
        leg_hangup(c->agent);
        c->agent = NULL;
    }
    events_add(EV_CALL_TRANSFERRED, (int64_t)c->id, agent, c->queue, "queue", wasl_languages[q], NULL, c->transfer_by, 0);
    rt_log_call(c, "transferred by %lld from agent %lld to the %s queue", (long long)c->transfer_by, (long long)agent,
                wasl_languages[q]);
    c->agent_user = 0;
    c->bridged_at = 0;
    c->queued_at = mono;
    snprintf(c->queue, sizeof(c->queue), "%s", wasl_languages[q]);
    c->qidx = q;
    c->agents_check = 0;
    player_clear(&c->in);
    c->in.moh = true;
    leg_media_start(&c->in);
    struct acd_queue_view qv;
    events_add(EV_QUEUE_JOINED, (int64_t)c->id, 0, c->queue, NULL, NULL, NULL, !acd_queue_get(rt.acd, q, &qv) ? qv.waiting + 1 : 0,
               0);
    err_clear();
    struct acd_call_opts o = {.joined = c->first_queued ? c->first_queued : mono};
    if (acd_call_enqueue(rt.acd, c->id, q, &o, mono)) {
        rt_log_call(c, "cannot queue after the transfer: %s", err_message());
        err_clear();
        call_fire(c, CE_ERROR);
    }
}

struct transfer_q {
    uint64_t call;
    int64_t by;
    bool supervisor;
    int queue;
};

static int transfer_rt(void *arg)
{
    const struct transfer_q *t = arg;
    struct tcall *c = call_find(t->call);
    if (!c || c->st != T_BRIDGED)
        return err_set(WASL_ENOENT, "tel.no_such_call", "no call in conversation with this number");
    if (!t->supervisor && c->agent_user != t->by)
        return err_set(WASL_EPERM, "tel.not_your_call", "only the agent on the call or a supervisor transfers it");
    if (!strcmp(c->queue, wasl_languages[t->queue]))
        return err_set(WASL_ECONFLICT, "tel.same_queue", "the caller already came through that queue");
    c->transfer_to = t->queue + 1;
    c->transfer_by = t->by;
    transfer_tick(c);
    return 0;
}

int tel_transfer(uint64_t call, int64_t by, bool supervisor, const char *queue, bool *applied)
{
    int q = queue ? queue_of(queue) : -1;
    *applied = false;
    if (q < 0)
        return err_set_field(WASL_EINVAL, "tel.invalid_queue", "queue", "the language of a queue: ar, fr, es, it, nl, de or en");
    struct transfer_q *t = calloc(1, sizeof(*t));
    if (!t)
        return WASL_ENOMEM;
    *t = (struct transfer_q){call, by, supervisor, q};
    return tel_command(transfer_rt, t, free, CMD_WAIT_MS, applied);
}

/* ---- the desk drives the call: hold, resume, hang up ---- */

struct control_q {
    uint64_t call;
    int64_t by;
    bool supervisor;
    char what[8]; /* hold, resume, hangup */
};

static int control_rt(void *arg)
{
    const struct control_q *q = arg;
    struct tcall *c = call_find(q->call);
    if (!c || c->st != T_BRIDGED || !c->agent)
        return err_set(WASL_ENOENT, "tel.no_such_call", "no call in conversation with this number");
    if (!q->supervisor && c->agent_user != q->by)
        return err_set(WASL_EPERM, "tel.not_your_call", "only the agent on the call or a supervisor does this");
    if (!strcmp(q->what, "hangup"))
        call_fire(c, CE_AGENT_HANGUP); /* both legs get a BYE at the next tick */
    else {
        c->desk_hold = !strcmp(q->what, "hold");
        call_hold_update(c); /* at once: the answer says it is done */
    }
    return 0;
}

int tel_call_control(uint64_t call, int64_t by, bool supervisor, const char *what, bool *applied)
{
    *applied = false;
    if (!what || (strcmp(what, "hold") && strcmp(what, "resume") && strcmp(what, "hangup")))
        return err_set_field(WASL_EINVAL, "tel.invalid_action", "action", "hold, resume or hangup");
    struct control_q *q = calloc(1, sizeof(*q));
    if (!q)
        return WASL_ENOMEM;
    q->call = call;
    q->by = by;
    q->supervisor = supervisor;
    snprintf(q->what, sizeof(q->what), "%s", what);
    return tel_command(control_rt, q, free, CMD_WAIT_MS, applied);
}
