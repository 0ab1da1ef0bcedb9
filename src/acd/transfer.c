/*
 * A call in conversation handed to a named colleague. Two ways:
 *
 *   transfer     blind: the first agent's talk ends at once (wrap-up) and
 *                the colleague's phone rings for the call as for an offer;
 *                not answered, the call takes back its place in its queue
 *                (its first arrival) and the colleague is not paused for it.
 *   consult      the colleague is rung while the first agent keeps the call
 *                (the telephony puts the caller on hold); then either
 *                complete (the colleague takes the call, the first agent
 *                goes to wrap-up) or end (the colleague goes back to what
 *                they were doing).
 *
 * A colleague must be logged in and neither ringing nor on a call; one
 * available, in wrap-up or paused is taken (a senior colleague pauses for
 * back-office work) and goes back to that state afterwards. While rung or
 * consulted they take no queue's call.
 */
#include <stddef.h>

#include "acd_int.h"
#include "core/core.h"

static int talking(const struct acd *a, uint64_t call, struct entry **e)
{
    *e = acd_entry_find(a, call);
    if (!*e)
        return err_set(WASL_ENOENT, "acd.unknown_call", "the ACD does not hold this call");
    if (!(*e)->talking)
        return err_set(WASL_ECONFLICT, "acd.not_talking", "this call is not in conversation with an agent");
    if ((*e)->consult)
        return err_set(WASL_ECONFLICT, "acd.consulting", "a consultation is already going on for this call");
    return 0;
}

static int colleague(const struct acd *a, const struct entry *e, int64_t id, struct agent **out)
{
    struct agent *ag = acd_agent_find(a, id);
    if (!ag || ag->state == ACD_OFFLINE)
        return err_set(WASL_ENOENT, "acd.unknown_agent", "this agent is not logged in");
    if (ag == e->agent)
        return err_set(WASL_ECONFLICT, "acd.same_agent", "the agent already has the call");
    if (ag->state == ACD_RINGING || ag->state == ACD_BUSY)
        return err_set(WASL_ECONFLICT, "acd.agent_busy", "this agent is on a call");
    ag->before = ag->state;
    acd_copy(ag->before_reason, sizeof(ag->before_reason), ag->reason);
    *out = ag;
    return 0;
}

void acd_back_to_before(struct acd *a, struct agent *ag, int64_t now)
{
    ag->call = NULL;
    if (ag->pending_logout || ag->pending_pause)
        acd_end_of_call(a, ag, now); /* what a supervisor forced meanwhile */
    else if (ag->before == ACD_PAUSED)
        acd_set_state(a, ag, ACD_PAUSED, ag->before_reason, 0, now);
    else
        acd_set_state(a, ag, ACD_AVAILABLE, NULL, 0, now);
}

void acd_consult_drop(struct acd *a, struct entry *e, int64_t now)
{
    struct agent *ag = e->consult;
    e->consult = NULL;
    ag->call = NULL;
    if (a->h.cancel)
        a->h.cancel(a->h.arg, e->id, ag->id);
}

int acd_call_transfer(struct acd *a, uint64_t call, int64_t agent, int64_t now)
{
    struct entry *e;
    struct agent *ag;
    int err;
    if ((err = talking(a, call, &e)) || (err = colleague(a, e, agent, &ag)))
        return err;
    if (!acd_ring_room(e, 1))
        return WASL_ENOMEM;
    acd_end_talk(a, e, now);
    e->direct = true;
    acd_offer(a, e, &ag, 1, now);
    acd_settle(a, now);
    return 0;
}

int acd_consult_ring(struct acd *a, uint64_t call, int64_t agent, int64_t now)
{
    struct entry *e;
    struct agent *ag;
    int err;
    if ((err = talking(a, call, &e)) || (err = colleague(a, e, agent, &ag)))
        return err;
    e->consult = ag;
    ag->call = e; /* first: the state event names the call */
    acd_set_state(a, ag, ACD_RINGING, "consult", 0, now);
    acd_settle(a, now);
    return 0;
}

static int consulted(const struct acd *a, uint64_t call, struct entry **e)
{
    *e = acd_entry_find(a, call);
    if (!*e || !(*e)->consult)
        return err_set(WASL_ENOENT, "acd.no_consultation", "no consultation is going on for this call");
    return 0;
}

int acd_consult_answered(struct acd *a, uint64_t call, int64_t now)
{
    struct entry *e;
    int err = consulted(a, call, &e);
    if (err)
        return err;
    if (e->consult->state == ACD_RINGING)
        acd_set_state(a, e->consult, ACD_BUSY, "consult", 0, now);
    return 0;
}

int acd_consult_end(struct acd *a, uint64_t call, int64_t now)
{
    struct entry *e;
    int err = consulted(a, call, &e);
    if (err)
        return err;
    struct agent *ag = e->consult;
    acd_consult_drop(a, e, now);
    acd_back_to_before(a, ag, now);
    acd_settle(a, now);
    return 0;
}

int acd_consult_complete(struct acd *a, uint64_t call, int64_t now)
{
    struct entry *e;
    int err = consulted(a, call, &e);
    if (err)
        return err;
    struct agent *ag = e->consult;
    if (ag->state != ACD_BUSY)
        return err_set(WASL_ECONFLICT, "acd.not_answered", "the colleague has not answered yet");
    e->consult = NULL;
    acd_end_talk(a, e, now);
    e->talking = true;
    e->agent = ag;
    e->answered_at = now;
    ag->call = e;
    ag->calls_today++;
    acd_set_state(a, ag, ACD_BUSY, "transfer", 0, now);
    acd_settle(a, now);
    return 0;
}
