/*
 * The distributor's frame: its settings, the queues (added at run time, a
 * language x a service each), the agents with their skills and states, the
 * events, and the views for supervision. Matching is in route.c; calls,
 * callbacks and time-outs in calls.c.
 */
#include <stdlib.h>
#include <string.h>

#include "acd_int.h"
#include "core/core.h"

static const char *const default_reasons[] = {"break", "training",      "coaching",  "back_office", "meeting",
                                              "admin", "phone_offline", "no_answer", NULL};

static const char *const state_names[] = {"offline", "available", "ringing", "busy", "wrap_up", "paused"};
static const char *const event_names[] = {"queue_joined",
                                          "offered",
                                          "not_answered",
                                          "ring_cancelled",
                                          "answered",
                                          "abandoned",
                                          "ended",
                                          "agent_state",
                                          "widened",
                                          "exit",
                                          "callback_requested",
                                          "callback_reserved",
                                          "callback_attempted",
                                          "callback_cancelled",
                                          "moved"};
static const char *const exit_names[] = {"none", "full", "max_wait", "no_agents"};
_Static_assert(sizeof(state_names) / sizeof(state_names[0]) == ACD_STATES, "a name for every agent state");
_Static_assert(sizeof(event_names) / sizeof(event_names[0]) == ACD_EVENT_KINDS, "a name for every event");

const char *acd_state_name(enum acd_agent_state s)
{
    return (unsigned)s < sizeof(state_names) / sizeof(state_names[0]) ? state_names[s] : "?";
}

const char *acd_event_name(enum acd_event_kind k)
{
    return (unsigned)k < sizeof(event_names) / sizeof(event_names[0]) ? event_names[k] : "?";
}

const char *acd_exit_name(enum acd_exit x)
{
    return (unsigned)x < sizeof(exit_names) / sizeof(exit_names[0]) ? exit_names[x] : "?";
}

void acd_copy(char *dst, size_t n, const char *src)
{
    size_t k = src ? strnlen(src, n - 1) : 0;
    memcpy(dst, src ? src : "", k);
    dst[k] = '\0';
}

static int *member_pos(void *x)
{
    return &((struct member *)x)->pos;
}

int acd_new(struct acd **out, const struct acd_hooks *hooks, const struct acd_settings *s)
{
    const char *const *r = s->pause_reasons ? s->pause_reasons : default_reasons;
    struct acd *a;
    if (s->ring_timeout <= 0 || s->wrap_up < 0)
        return err_set(WASL_EINVAL, "acd.invalid_settings", "the ring time-out must be positive and the wrap-up not negative");
    if (!(a = calloc(1, sizeof(*a))))
        return WASL_ENOMEM;
    if (hooks)
        a->h = *hooks;
    a->s = *s;
    a->s.pause_reasons = NULL; /* copied below */
    for (; *r; r++) {
        if (a->nreasons == ACD_PAUSE_REASONS_MAX || !**r || strlen(*r) >= ACD_REASON_MAX) {
            free(a);
            return err_set(WASL_EINVAL, "acd.invalid_pause_reasons", "up to %d pause reasons of 1 to %d characters",
                           ACD_PAUSE_REASONS_MAX, ACD_REASON_MAX - 1);
        }
        acd_copy(a->reasons[a->nreasons++], ACD_REASON_MAX, *r);
    }
    *out = a;
    return 0;
}

void acd_free(struct acd *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->call_by_id.cap; i++)
        if (a->call_by_id.vals[i]) {
            struct entry *e = a->call_by_id.vals[i];
            free(e->ring);
            free(e);
        }
    for (int i = 0; i < a->nagents; i++) {
        for (int k = 0; k < a->agents[i]->nm; k++)
            free(a->agents[i]->m[k]);
        free(a->agents[i]->m);
        free(a->agents[i]);
    }
    for (int i = 0; i < a->nq; i++) {
        for (int p = 0; p < ACD_PROFICIENCY_MAX; p++)
            acd_heap_free(&a->q[i]->avail[p]);
        free(a->q[i]->members);
        free(a->q[i]);
    }
    free(a->q);
    free(a->agents);
    acd_map_free(&a->agent_by_id);
    acd_map_free(&a->call_by_id);
    acd_timers_free(&a->timers);
    free(a);
}

/* Room for n pointers in the array at *arr (of *cap); the array is any
 * T **, moved through memcpy so no type is punned. */
static int room(void *arr, int *cap, int n)
{
    void *old, *fresh;
    if (n <= *cap)
        return 0;
    int c = *cap ? 2 * *cap : 16;
    while (c < n)
        c *= 2;
    memcpy(&old, arr, sizeof(old));
    if (!(fresh = realloc(old, sizeof(void *) * (size_t)c)))
        return WASL_ENOMEM;
    memcpy(arr, &fresh, sizeof(fresh));
    *cap = c;
    return 0;
}

/* ---- events and states ---- */

void acd_emit(struct acd *a, struct acd_event *e)
{
    if (a->h.event)
        a->h.event(a->h.arg, e);
}

static void pend_agent(struct acd *a, struct agent *ag)
{
    if (ag->pending)
        return;
    ag->pending = true;
    ag->pnext = NULL;
    if (a->pend_ag_tail)
        a->pend_ag_tail->pnext = ag;
    else
        a->pend_ag = ag;
    a->pend_ag_tail = ag;
}

void acd_set_state(struct acd *a, struct agent *ag, enum acd_agent_state st, const char *reason, int64_t by, int64_t now)
{
    enum acd_agent_state old = ag->state;
    if (old == st && !reason)
        return;
    if (old == ACD_AVAILABLE && st != ACD_AVAILABLE)
        for (int i = 0; i < ag->nm; i++)
            acd_heap_remove(&ag->m[i]->q->avail[ag->m[i]->prof - 1], ag->m[i]);
    if ((old == ACD_OFFLINE) != (st == ACD_OFFLINE))
        for (int i = 0; i < ag->nm; i++)
            ag->m[i]->q->logged_in += st == ACD_OFFLINE ? -1 : 1;
    ag->state = st;
    ag->since = now;
    ag->by = by;
    acd_copy(ag->reason, sizeof(ag->reason), reason);
    if (st != ACD_WRAP_UP)
        acd_timer_stop(a, &ag->t_wrap);
    if (st == ACD_AVAILABLE && old != ACD_AVAILABLE) {
        ag->idle_since = now;
        for (int i = 0; i < ag->nm; i++)
            acd_heap_push(&ag->m[i]->q->avail[ag->m[i]->prof - 1], ag->m[i]);
        pend_agent(a, ag);
    }
    struct acd_event e = {.kind = ACD_EV_AGENT_STATE, .at = now, .queue = -1, .agent = ag->id};
    e.state = st;
    e.from = old;
    e.by = by;
    e.call = ag->call ? ag->call->id : 0;
    acd_copy(e.reason, sizeof(e.reason), reason);
    acd_emit(a, &e);
}

void acd_pend_entry(struct acd *a, struct entry *e)
{
    if (e->pending)
        return;
    e->pending = true;
    e->pnext = NULL;
    e->pprev = a->pend_e_tail;
    if (a->pend_e_tail)
        a->pend_e_tail->pnext = e;
    else
        a->pend_e = e;
    a->pend_e_tail = e;
}

void acd_unpend_entry(struct acd *a, struct entry *e)
{
    if (!e->pending)
        return;
    if (e->pprev)
        e->pprev->pnext = e->pnext;
    else
        a->pend_e = e->pnext;
    if (e->pnext)
        e->pnext->pprev = e->pprev;
    else
        a->pend_e_tail = e->pprev;
    e->pending = false;
}

void acd_settle(struct acd *a, int64_t now)
{
    for (;;) {
        if (a->pend_ag) {
            struct agent *ag = a->pend_ag;
            if (!(a->pend_ag = ag->pnext))
                a->pend_ag_tail = NULL;
            ag->pending = false;
            acd_route_agent(a, ag, now);
        } else if (a->pend_e) {
            struct entry *e = a->pend_e;
            acd_unpend_entry(a, e);
            acd_route_entry(a, e, now);
        } else {
            return;
        }
    }
}

/* ---- queues ---- */

static bool has_skill(const struct acd_skills *sk, const struct queue *q, int *prof)
{
    bool service = false;
    for (int i = 0; i < sk->nservices && !service; i++)
        service = !strcmp(sk->services[i], q->service);
    for (int i = 0; service && i < sk->nlanguages; i++)
        if (sk->languages[i].language == q->language) {
            *prof = sk->languages[i].proficiency;
            return true;
        }
    return false;
}

/* Makes ag a member of q if its skills fit; room in every index first, so a
 * member is either fully in or not at all. */
static int join(struct agent *ag, struct queue *q)
{
    int prof;
    struct member *m;
    if (!has_skill(&ag->skills, q, &prof))
        return 0;
    if (room(&q->members, &q->capmembers, q->nmembers + 1))
        return WASL_ENOMEM;
    struct member **n = realloc(ag->m, sizeof(*n) * (size_t)(ag->nm + 1));
    if (!n)
        return WASL_ENOMEM;
    ag->m = n;
    if (acd_heap_reserve(&q->avail[prof - 1], q->nmembers + 1) || !(m = calloc(1, sizeof(*m))))
        return WASL_ENOMEM;
    m->ag = ag;
    m->q = q;
    m->prof = prof;
    m->pos = -1;
    m->idx = q->nmembers;
    q->members[q->nmembers++] = m;
    ag->m[ag->nm++] = m;
    if (ag->state != ACD_OFFLINE)
        q->logged_in++;
    if (ag->state == ACD_AVAILABLE)
        acd_heap_push(&q->avail[prof - 1], m);
    return 0;
}

static void leave_all(struct agent *ag)
{
    for (int i = 0; i < ag->nm; i++) {
        struct member *m = ag->m[i];
        struct queue *q = m->q;
        acd_heap_remove(&q->avail[m->prof - 1], m);
        if (ag->state != ACD_OFFLINE)
            q->logged_in--;
        q->members[m->idx] = q->members[--q->nmembers];
        q->members[m->idx]->idx = m->idx;
        free(m);
    }
    ag->nm = 0;
}

int acd_queue_find(const struct acd *a, int language, const char *service)
{
    for (int i = 0; i < a->nq; i++)
        if (a->q[i]->language == language && !strcmp(a->q[i]->service, service))
            return i;
    return -1;
}

int acd_queue_count(const struct acd *a)
{
    return a->nq;
}

static int check_def(const struct acd *a, const struct acd_queue_def *d)
{
    if (!d->name || !*d->name || strlen(d->name) >= ACD_NAME_MAX || !d->service || !*d->service ||
        strlen(d->service) >= ACD_NAME_MAX)
        return err_set_field(WASL_EINVAL, "acd.invalid_queue", "name", "a queue needs a name and a service of 1 to %d characters",
                             ACD_NAME_MAX - 1);
    if (d->language < 0 || d->min_proficiency < 0 || d->min_proficiency > ACD_PROFICIENCY_MAX || d->max_wait < 0 ||
        d->max_length < 0 || d->sl_threshold < 0)
        return err_set_field(WASL_EINVAL, "acd.invalid_queue", "queue",
                             "language, proficiency (0-5), max wait, max length and threshold cannot be negative");
    if (d->strategy && !acd_strategy_find(d->strategy))
        return err_set_field(WASL_EINVAL, "acd.unknown_strategy", "strategy", "no strategy '%s'", d->strategy);
    if (d->nwiden < 0 || d->nwiden > ACD_WIDEN_MAX)
        return err_set_field(WASL_EINVAL, "acd.invalid_widen", "widen", "0 to %d widening steps", ACD_WIDEN_MAX);
    int minp = d->min_proficiency ? d->min_proficiency : 1;
    for (int i = 0; i < d->nwiden; i++) {
        const struct acd_widen *w = &d->widen[i], *prev = i ? &d->widen[i - 1] : NULL;
        if (w->after <= (prev ? prev->after : 0) || w->min_proficiency < 1 ||
            w->min_proficiency > (prev ? prev->min_proficiency : minp) || (prev && prev->second_language && !w->second_language))
            return err_set_field(WASL_EINVAL, "acd.invalid_widen", "widen",
                                 "steps come later one after the other and only widen (proficiency 1-5 not rising, a second "
                                 "language kept)");
    }
    if ((d->max_wait || d->max_length || d->exit_no_agents) && !a->h.exit)
        return err_set(WASL_EINVAL, "acd.no_exit_hook", "a queue that callers can leave needs the exit hook");
    if (acd_queue_find(a, d->language, d->service) >= 0)
        return err_set(WASL_ECONFLICT, "acd.duplicate_queue", "there is a queue for this language and service already");
    for (int i = 0; i < a->nq; i++)
        if (!strcmp(a->q[i]->name, d->name))
            return err_set(WASL_ECONFLICT, "acd.duplicate_queue", "there is a queue named '%s' already", d->name);
    if (a->nq == ACD_QUEUES_MAX)
        return err_set(WASL_ELIMIT, "acd.too_many_queues", "at most %d queues", ACD_QUEUES_MAX);
    return 0;
}

int acd_queue_add(struct acd *a, const struct acd_queue_def *d, int *index)
{
    int err = check_def(a, d);
    struct queue *q;
    if (err)
        return err;
    if (room(&a->q, &a->capq, a->nq + 1) || !(q = calloc(1, sizeof(*q))))
        return WASL_ENOMEM;
    q->idx = a->nq;
    acd_copy(q->name, sizeof(q->name), d->name);
    acd_copy(q->service, sizeof(q->service), d->service);
    q->language = d->language;
    q->st = acd_strategy_find(d->strategy ? d->strategy : "longest_idle");
    q->min_prof = d->min_proficiency ? d->min_proficiency : 1;
    q->max_wait = d->max_wait;
    q->max_len = d->max_length;
    q->sl = d->sl_threshold ? d->sl_threshold : INT64_C(20000000);
    q->exit_no_agents = d->exit_no_agents;
    memcpy(q->widen, d->widen, sizeof(q->widen));
    q->nwiden = d->nwiden;
    for (int p = 0; p < ACD_PROFICIENCY_MAX; p++) {
        q->avail[p].before = q->st->before;
        q->avail[p].pos_of = member_pos;
    }
    a->q[a->nq++] = q;
    /* Agents known already who have its language and service. */
    for (int i = 0; i < a->nagents && !err; i++)
        err = join(a->agents[i], q);
    if (index)
        *index = q->idx;
    return err;
}

/* ---- agents ---- */

struct agent *acd_agent_find(const struct acd *a, int64_t id)
{
    return acd_map_get(&a->agent_by_id, (uint64_t)id);
}

static int check_skills(const struct acd_skills *sk)
{
    if (!sk || sk->nlanguages < 1 || sk->nlanguages > ACD_SKILLS_MAX || sk->nservices < 1 || sk->nservices > ACD_SERVICES_MAX)
        return err_set_field(WASL_EINVAL, "acd.invalid_skills", "skills", "an agent has 1 to %d languages and 1 to %d services",
                             ACD_SKILLS_MAX, ACD_SERVICES_MAX);
    for (int i = 0; i < sk->nlanguages; i++) {
        if (sk->languages[i].language < 0 || sk->languages[i].proficiency < 1 || sk->languages[i].proficiency > ACD_PROFICIENCY_MAX)
            return err_set_field(WASL_EINVAL, "acd.invalid_skills", "languages", "a language with a proficiency from 1 to 5");
        for (int k = 0; k < i; k++)
            if (sk->languages[k].language == sk->languages[i].language)
                return err_set_field(WASL_EINVAL, "acd.invalid_skills", "languages", "a language given twice");
    }
    for (int i = 0; i < sk->nservices; i++)
        if (!sk->services[i][0] || !memchr(sk->services[i], '\0', ACD_NAME_MAX))
            return err_set_field(WASL_EINVAL, "acd.invalid_skills", "services", "a service of 1 to %d characters",
                                 ACD_NAME_MAX - 1);
    return 0;
}

int acd_agent_login(struct acd *a, int64_t id, const struct acd_skills *sk, int64_t now)
{
    struct agent *ag = acd_agent_find(a, id);
    int err = check_skills(sk);
    if (err)
        return err;
    if (!ag) {
        if (room(&a->agents, &a->capagents, a->nagents + 1) || !(ag = calloc(1, sizeof(*ag))))
            return WASL_ENOMEM;
        if (acd_map_put(&a->agent_by_id, (uint64_t)id, ag) ||
            acd_timers_reserve(&a->timers, 2 * (int)a->call_by_id.n + a->nagents + 1)) {
            acd_map_del(&a->agent_by_id, (uint64_t)id);
            free(ag);
            return WASL_ENOMEM;
        }
        ag->id = id;
        ag->state = ACD_OFFLINE;
        ag->t_wrap.pos = -1;
        ag->t_wrap.kind = T_WRAP;
        ag->idx = a->nagents;
        a->agents[a->nagents++] = ag;
    }
    /* New skills: the agent leaves every queue and joins those that fit. */
    leave_all(ag);
    ag->skills = *sk;
    for (int i = 0; i < a->nq && !err; i++)
        err = join(ag, a->q[i]);
    if (ag->state == ACD_OFFLINE)
        acd_set_state(a, ag, ACD_PAUSED, "logged_in", 0, now);
    else if (ag->state == ACD_AVAILABLE)
        pend_agent(a, ag); /* may take callers of its new queues */
    acd_settle(a, now);
    return err;
}

static bool known_reason(const struct acd *a, const char *r)
{
    for (int i = 0; i < a->nreasons; i++)
        if (!strcmp(a->reasons[i], r))
            return true;
    return false;
}

/* Logs out or pauses; ringing: the call goes back to its place first. */
static int leave(struct acd *a, struct agent *ag, enum acd_agent_state st, const char *reason, int64_t by, int64_t now)
{
    if (ag->state == ACD_BUSY) {
        if (!by)
            return err_set(WASL_ECONFLICT, "acd.agent_on_call", "finish the call first");
        /* Forced: takes effect when the call ends. */
        if (st == ACD_OFFLINE)
            ag->pending_logout = true;
        ag->pending_pause = st == ACD_PAUSED;
        ag->pending_by = by;
        acd_copy(ag->pending_reason, sizeof(ag->pending_reason), reason);
        return 0;
    }
    if (ag->state == ACD_RINGING)
        acd_release(a, ag, st == ACD_OFFLINE ? "logged_out" : "paused", now);
    acd_set_state(a, ag, st, reason, by, now);
    if (st == ACD_OFFLINE)
        acd_exit_empty(a, ag, now);
    acd_settle(a, now);
    return 0;
}

int acd_agent_logout(struct acd *a, int64_t id, int64_t by, int64_t now)
{
    struct agent *ag = acd_agent_find(a, id);
    if (!ag)
        return err_set(WASL_ENOENT, "acd.unknown_agent", "this agent is not logged in");
    if (ag->state == ACD_OFFLINE)
        return 0;
    return leave(a, ag, ACD_OFFLINE, NULL, by, now);
}

int acd_agent_pause(struct acd *a, int64_t id, const char *reason, int64_t by, int64_t now)
{
    struct agent *ag = acd_agent_find(a, id);
    if (!ag || ag->state == ACD_OFFLINE)
        return err_set(WASL_ENOENT, "acd.unknown_agent", "log in first");
    if (!reason || !known_reason(a, reason))
        return err_set_field(WASL_EINVAL, "acd.unknown_pause_reason", "reason", "'%s' is not a pause reason here",
                             reason ? reason : "");
    return leave(a, ag, ACD_PAUSED, reason, by, now);
}

int acd_agent_available(struct acd *a, int64_t id, int64_t now)
{
    struct agent *ag = acd_agent_find(a, id);
    if (!ag || ag->state == ACD_OFFLINE)
        return err_set(WASL_ENOENT, "acd.unknown_agent", "log in first");
    if (ag->state == ACD_RINGING || ag->state == ACD_BUSY)
        return err_set(WASL_ECONFLICT, "acd.agent_on_call", "the agent is on a call");
    acd_set_state(a, ag, ACD_AVAILABLE, NULL, 0, now);
    acd_settle(a, now);
    return 0;
}

/* The agent's call ended (talk, or a callback that never connected): what
 * a supervisor forced meanwhile, else wrap-up. */
void acd_end_of_call(struct acd *a, struct agent *ag, int64_t now)
{
    struct entry *was = ag->call;
    ag->call = NULL;
    if (ag->pending_logout) {
        ag->pending_logout = ag->pending_pause = false;
        acd_set_state(a, ag, ACD_OFFLINE, NULL, ag->pending_by, now);
        acd_exit_empty(a, ag, now);
    } else if (ag->pending_pause) {
        ag->pending_pause = false;
        acd_set_state(a, ag, ACD_PAUSED, ag->pending_reason, ag->pending_by, now);
    } else if (a->s.wrap_up > 0) {
        ag->call = was; /* the wrap-up's state event names the call it follows (the entry is freed after) */
        acd_set_state(a, ag, ACD_WRAP_UP, NULL, 0, now);
        ag->call = NULL;
        acd_timer_set(a, &ag->t_wrap, now + a->s.wrap_up);
    } else {
        acd_set_state(a, ag, ACD_AVAILABLE, NULL, 0, now);
    }
}

/* Callers of queue x who leave when nobody can take them: x, and the
 * queue of the second language they accepted, have nobody logged in. */
static void exit_nobody(struct acd *a, struct queue *x, int64_t now)
{
    for (int p = 0; p < ACD_LEVELS; p++) {
        struct entry *e = x->line[p].head, *next;
        for (; e; e = next) {
            next = e->next;
            if (!e->callback && (x->exit_no_agents || e->exit_no_agents) && (!e->q2 || !e->q2->logged_in))
                acd_exit_entry(a, e, ACD_EXIT_NO_AGENTS, now);
        }
    }
}

/* ag logged out: the queues it was the last one logged in for, if they
 * send callers away then, let their callers go; and the callers of other
 * queues who accepted that queue's language, when theirs is empty too. */
void acd_exit_empty(struct acd *a, struct agent *ag, int64_t now)
{
    for (int i = 0; i < ag->nm; i++) {
        struct queue *q = ag->m[i]->q;
        if (q->logged_in > 0)
            continue;
        exit_nobody(a, q, now);
        for (int k = 0; k < a->nq; k++)
            if (a->q[k] != q && !a->q[k]->logged_in && !strcmp(a->q[k]->service, q->service))
                exit_nobody(a, a->q[k], now);
    }
}

void acd_new_day(struct acd *a)
{
    /* The count is part of the order of fewest_calls: out of the heaps and back. */
    for (int i = 0; i < a->nagents; i++) {
        struct agent *ag = a->agents[i];
        for (int k = 0; k < ag->nm && ag->state == ACD_AVAILABLE; k++)
            acd_heap_remove(&ag->m[k]->q->avail[ag->m[k]->prof - 1], ag->m[k]);
        ag->calls_today = 0;
        for (int k = 0; k < ag->nm && ag->state == ACD_AVAILABLE; k++)
            acd_heap_push(&ag->m[k]->q->avail[ag->m[k]->prof - 1], ag->m[k]);
    }
}

/* ---- views ---- */

int acd_queue_get(const struct acd *a, int queue, struct acd_queue_view *v)
{
    const struct queue *q;
    if (queue < 0 || queue >= a->nq)
        return err_set(WASL_ENOENT, "acd.unknown_queue", "no queue %d", queue);
    q = a->q[queue];
    memset(v, 0, sizeof(*v));
    acd_copy(v->name, sizeof(v->name), q->name);
    acd_copy(v->service, sizeof(v->service), q->service);
    acd_copy(v->strategy, sizeof(v->strategy), q->st->name);
    v->language = q->language;
    v->waiting = q->ncallers + q->ncallbacks;
    v->callbacks = q->ncallbacks;
    for (int p = 0; p < ACD_LEVELS; p++)
        if (q->line[p].head && (!v->oldest_since || q->line[p].head->joined < v->oldest_since))
            v->oldest_since = q->line[p].head->joined;
    for (int i = 0; i < q->nmembers; i++)
        v->agents[q->members[i]->ag->state]++;
    v->offered = q->offered;
    v->answered = q->answered;
    v->answered_in_sl = q->answered_in_sl;
    v->abandoned = q->abandoned;
    v->exits = q->exits;
    return 0;
}

static void view(const struct agent *ag, struct acd_agent_view *v)
{
    v->agent = ag->id;
    v->state = ag->state;
    v->since = ag->since;
    v->by = ag->by;
    v->calls_today = ag->calls_today;
    v->skills = ag->skills;
    v->call = ag->call ? ag->call->id : 0;
    acd_copy(v->reason, sizeof(v->reason), ag->reason);
}

int acd_agents(const struct acd *a, struct acd_agent_view *out, int max)
{
    for (int i = 0; i < a->nagents && i < max; i++)
        view(a->agents[i], &out[i]);
    return a->nagents;
}

int acd_agent_get(const struct acd *a, int64_t id, struct acd_agent_view *out)
{
    const struct agent *ag = acd_agent_find(a, id);
    if (!ag)
        return err_set(WASL_ENOENT, "acd.unknown_agent", "no such agent");
    view(ag, out);
    return 0;
}

int acd_call_estimate(const struct acd *a, uint64_t id, int *place, int64_t *wait)
{
    const struct entry *e = acd_map_get(&a->call_by_id, id);
    int staff = 0;
    if (!e || !e->in_line)
        return err_set(WASL_ENOENT, "acd.unknown_call", "the call is not waiting in a queue");
    for (int i = 0; i < e->q->nmembers; i++) {
        const struct member *m = e->q->members[i];
        if (m->ag->state != ACD_OFFLINE && m->ag->state != ACD_PAUSED && m->prof >= acd_min_prof(e))
            staff++;
    }
    int64_t avg = e->q->handle_avg ? e->q->handle_avg : INT64_C(240000000);
    *place = acd_position(e);
    *wait = staff ? avg * *place / staff : -1;
    return 0;
}

int acd_call_where(const struct acd *a, uint64_t id, int *queue, int64_t *agent, bool *talking)
{
    const struct entry *e = acd_map_get(&a->call_by_id, id);
    if (!e)
        return err_set(WASL_ENOENT, "acd.unknown_call", "the ACD does not hold this call");
    *queue = e->q->idx;
    *agent = e->agent ? e->agent->id : e->nring ? e->ring[0]->id : 0;
    *talking = e->talking;
    return 0;
}
