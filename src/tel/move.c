/*
 * A supervisor moves a waiting caller to another queue (issue 13): the
 * command runs on the real-time thread, the distributor moves the call
 * (acd_call_move: first arrival and priority kept; an agent's phone that
 * rang for it stops), and the event log says so — queue.left (why moved,
 * to, by) then queue.joined in the new queue (from, by). The caller hears
 * nothing of it: the music goes on, and the next "you are number N" soon
 * gives their place in the new queue.
 */
#include <stdio.h>
#include <stdlib.h>

#include "rt.h"
#include "events/events.h"

#define MOVE_ANNOUNCE_US 5000000 /* the new place is told within 5 s (the announcements' own period after) */

/* From acd_event_h, while the distributor moves the call: before it may be
 * offered in its new queue, so the log reads left, joined, offered. */
void call_moved(struct tcall *c, const struct acd_event *e)
{
    const char *to = queues_name(e->queue);
    int64_t now = mono_us();
    events_add(EV_QUEUE_LEFT, (int64_t)c->id, 0, c->queue, "moved", to, NULL, c->queued_at ? (now - c->queued_at) / 1000 : 0,
               e->by);
    char from[sizeof(c->queue)];
    snprintf(from, sizeof(from), "%s", c->queue);
    snprintf(c->queue, sizeof(c->queue), "%s", to);
    c->qidx = e->queue;
    events_add(EV_QUEUE_JOINED, (int64_t)c->id, 0, c->queue, NULL, from, NULL, e->position, e->by);
    if (rt.cfg.queue_announce && (!c->next_announce || c->next_announce > now + MOVE_ANNOUNCE_US))
        c->next_announce = now + MOVE_ANNOUNCE_US;
    rt_log_call(c, "moved by %lld from the %s queue to the %s queue (place %d)", (long long)e->by, from, to, e->position);
    snap_dirty();
}

struct move_cmd {
    uint64_t call;
    int queue;
    int64_t by;
};

static int move_rt(void *arg)
{
    const struct move_cmd *m = arg;
    struct tcall *c = call_find(m->call);
    if (!c)
        return err_set(WASL_ENOENT, "tel.no_such_call", "no call with this number: it may have ended");
    if (c->st != T_QUEUED || c->queue_exit)
        return err_set(WASL_ECONFLICT, "tel.not_waiting", "this caller is not waiting in a queue (any more)");
    return acd_call_move(rt.acd, c->id, m->queue, m->by, mono_us());
}

int tel_call_move(uint64_t call, const char *queue, int64_t by, bool *applied)
{
    int q = queue ? queues_find(queue) : -1;
    *applied = false;
    if (!tel_running())
        return err_set(WASL_ECONFLICT, "tel.not_running", "the telephony is not running (sip.enabled)");
    if (q < 0)
        return err_set_field(WASL_EINVAL, "tel.invalid_queue", "queue", "a queue: its language (ar, fr, ...), or language.service");
    struct move_cmd *m = calloc(1, sizeof(*m));
    if (!m)
        return WASL_ENOMEM;
    *m = (struct move_cmd){call, q, by};
    return tel_command(move_rt, m, free, CMD_WAIT_MS, applied);
}
