/*
 * The live state other threads read, and the commands they send.
 * The real-time thread publishes an immutable, reference-counted snapshot of
 * queues, agents and calls after a change (at most every SNAP_MIN_US) and
 * checks for quieter changes every SNAP_CHECK_US; readers take a reference
 * under a mutex held for a pointer swap only, so neither side ever waits for
 * the other. Commands go in through the mqueue; see tel_command().
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rt.h"

/* A change is published this soon at the earliest: a burst of ACD events
 * (a call offered, answered, ended) becomes one snapshot. */
#define SNAP_MIN_US 100000
/* What no hook reports (a caller's step in the IVR) is found by comparing
 * with the last snapshot this often while there are calls (a build copies
 * about a hundred bytes a call), and once a second when there are none. */
#define SNAP_CHECK_CALLS_US 250000
#define SNAP_CHECK_US 1000000
/* Commands queued and not yet run: more are refused (tel.busy) rather than
 * filling the mqueue's pipe, whose writer would then block. */
#define CMD_INFLIGHT_MAX 64

struct snap {
    struct tel_status s; /* first: a tel_status pointer is a snap pointer */
    atomic_int refs;
};

static pthread_mutex_t snap_mx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t snap_cv = PTHREAD_COND_INITIALIZER;
static struct snap *cur;
static uint64_t version;
static bool stopped = true;
/* real-time thread only */
static bool dirty;
static int64_t last_publish, last_check;
static atomic_int inflight;

static void snap_put(struct snap *s)
{
    if (s && atomic_fetch_sub(&s->refs, 1) == 1)
        free(s);
}

void tel_status_put(const struct tel_status *s)
{
    snap_put((struct snap *)s);
}

int tel_status_get(const struct tel_status **out)
{
    pthread_mutex_lock(&snap_mx);
    struct snap *s = stopped ? NULL : cur;
    if (s)
        atomic_fetch_add(&s->refs, 1);
    pthread_mutex_unlock(&snap_mx);
    if (!s)
        return tel_not_running();
    *out = &s->s;
    return 0;
}

/* ms from now on the clock pthread_cond_timedwait() reads. */
static void deadline(int ms, struct timespec *until)
{
    clock_deadline((int64_t)ms * 1000, until);
}

int tel_status_wait(uint64_t after, int timeout_ms, const struct tel_status **out)
{
    struct timespec until;
    int err = 0;

    deadline(timeout_ms, &until);
    pthread_mutex_lock(&snap_mx);
    while (!stopped && version <= after)
        if (pthread_cond_timedwait(&snap_cv, &snap_mx, &until) == ETIMEDOUT)
            break;
    if (stopped || !cur) {
        err = tel_not_running();
    } else if (version <= after) {
        err = err_set(WASL_EBUSY, "tel.no_change", "nothing changed");
    } else {
        atomic_fetch_add(&cur->refs, 1);
        *out = &cur->s;
    }
    pthread_mutex_unlock(&snap_mx);
    return err;
}

/* ---- building, on the real-time thread ---- */

static void languages_text(unsigned bits, char *out, size_t n)
{
    size_t k = 0;
    out[0] = '\0';
    for (int i = 0; i < wasl_nlanguages; i++)
        if (bits & (1u << i))
            k += (size_t)snprintf(out + k, k < n ? n - k : 0, "%s%s", k ? " " : "", wasl_languages[i]);
}

static int by_user(const void *a, const void *b)
{
    int64_t x = ((const struct tel_agent *)a)->user_id, y = ((const struct tel_agent *)b)->user_id;
    return x < y ? -1 : x > y;
}

static int by_call_id(const void *a, const void *b)
{
    uint64_t x = (*(const struct tcall *const *)a)->id, y = (*(const struct tcall *const *)b)->id;
    return x < y ? -1 : x > y;
}

/* The call with that id among calls sorted by id (NULL: none). */
static const struct tcall *call_in(const struct tcall **calls, size_t n, uint64_t id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (calls[mid]->id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && calls[lo]->id == id ? calls[lo] : NULL;
}

static struct tel_agent *agent_in(struct tel_agent *a, int n, int64_t user)
{
    struct tel_agent key = {.user_id = user};
    return bsearch(&key, a, (size_t)n, sizeof(*a), by_user);
}

/* The skills shown for an agent: the distributor's own list once they
 * logged in, else what their account would log them in with. */
static void agent_skills(struct tel_agent *x, const struct acd_skills *sk)
{
    memset(x->proficiency, 0, sizeof(x->proficiency));
    for (int k = 0; k < sk->nlanguages; k++)
        if (sk->languages[k].language < wasl_nlanguages)
            x->proficiency[sk->languages[k].language] = (unsigned char)sk->languages[k].proficiency;
    x->nservices = 0;
    for (int k = 0; k < sk->nservices && k < TEL_SERVICES_MAX; k++)
        snprintf(x->services[x->nservices++], sizeof(x->services[0]), "%s", sk->services[k]);
}

/* A new snapshot (zeroed, so two of them compare with memcmp), or NULL when
 * memory is short (the last one stays). */
static struct snap *build(void)
{
    struct acd_queue_view qv;
    int nacc = registrar_accounts_count(), nacd = acd_agents(rt.acd, NULL, 0);
    struct acd_agent_view *av = nacd ? calloc((size_t)nacd, sizeof(*av)) : NULL;
    size_t nq = (size_t)acd_queue_count(rt.acd), na = (size_t)(nacc + nacd), nc = (size_t)rt.ncalls;
    struct snap *s = calloc(1, sizeof(*s) + nq * sizeof(struct tel_queue_live) + na * sizeof(struct tel_agent) +
                                   nc * sizeof(struct tel_call_live));
    if (!s || (nacd && !av)) {
        free(s);
        free(av);
        return NULL;
    }
    struct tel_queue_live *q = (struct tel_queue_live *)(s + 1);
    struct tel_agent *ag = (struct tel_agent *)(q + nq);
    struct tel_call_live *cl = (struct tel_call_live *)(ag + na);
    struct tel_status *o = &s->s;
    atomic_init(&s->refs, 1);
    o->queues = q;
    o->agents = ag;
    o->calls = cl;
    snprintf(o->sip, sizeof(o->sip), "%s", rt.address);
    o->calls_active = rt.ncalls;
    o->phones_registered = registrar_count();
    o->records = jobs_written();

    o->nqueues = (int)nq;
    for (size_t i = 0; i < nq; i++) {
        acd_queue_get(rt.acd, (int)i, &qv);
        snprintf(q[i].name, sizeof(q[i].name), "%s", qv.name); /* "fr", "fr.dossier" */
        q[i].waiting = qv.waiting;
        q[i].oldest_since = qv.oldest_since;
    }

    /* Every agent with a phone, and every agent the ACD knows. */
    int n = 0;
    for (int i = 0; i < nacc; i++) {
        const struct tel_account *a = registrar_account_at(i);
        struct tel_agent *x = &ag[n++];
        x->user_id = a->user_id;
        x->has_account = true;
        snprintf(x->state, sizeof(x->state), "offline");
        snprintf(x->sip_user, sizeof(x->sip_user), "%s", a->sip_user);
        languages_text(a->languages, x->languages, sizeof(x->languages));
        struct acd_skills sk;
        registrar_skills(a, &sk);
        agent_skills(x, &sk);
        x->registered = registrar_contact_at(i, x->contact, sizeof(x->contact));
    }
    qsort(ag, (size_t)n, sizeof(*ag), by_user);
    int with_account = n;
    acd_agents(rt.acd, av, nacd);
    /* The calls by id, for the agents on a call: call_find() walks the
     * list, and once per agent that was agents x calls steps on the
     * real-time thread at every snapshot (~5 ms at 1,000 agents on a call
     * among 2,000 calls, every 100 ms: the relay's p99). */
    const struct tcall **byid = nc ? calloc(nc, sizeof(*byid)) : NULL;
    size_t nbyid = 0;
    for (struct le *le = rt.calls.head; byid && le && nbyid < nc; le = le->next)
        byid[nbyid++] = le->data;
    if (byid)
        qsort(byid, nbyid, sizeof(*byid), by_call_id);
    for (int i = 0; i < nacd; i++) {
        struct tel_agent *x = agent_in(ag, with_account, av[i].agent);
        if (!x) {
            x = &ag[n++];
            x->user_id = av[i].agent;
            unsigned bits = 0;
            for (int k = 0; k < av[i].skills.nlanguages; k++)
                if (av[i].skills.languages[k].language < wasl_nlanguages)
                    bits |= 1u << av[i].skills.languages[k].language;
            languages_text(bits, x->languages, sizeof(x->languages));
        }
        x->in_acd = true;
        agent_skills(x, &av[i].skills); /* what the distributor routes with */
        snprintf(x->state, sizeof(x->state), "%s", acd_state_name(av[i].state));
        snprintf(x->reason, sizeof(x->reason), "%s", av[i].reason);
        x->since = av[i].since;
        x->wrap_up_seconds = av[i].state == ACD_WRAP_UP ? rt.cfg.wrap_up / 1000000 : 0;
        x->call = av[i].call;
        const struct tcall *c = !av[i].call ? NULL : byid ? call_in(byid, nbyid, av[i].call) : call_find(av[i].call);
        if (c) {
            snprintf(x->call_language, sizeof(x->call_language), "%s", c->ivr.language);
            snprintf(x->call_country, sizeof(x->call_country), "%s", c->country);
            snprintf(x->call_caller, sizeof(x->call_caller), "%s", c->caller);
            snprintf(x->call_path, sizeof(x->call_path), "%s", c->path);
            snprintf(x->call_reference, sizeof(x->call_reference), "%s", c->ivr.kase.found ? c->ivr.kase.reference : "");
            /* as of the offer: a figure that does not change from one snapshot to the next */
            int64_t offered = c->bridged_at ? c->bridged_at : c->agent && c->agent->ring_start ? c->agent->ring_start : 0;
            x->call_waited_seconds = c->queued_at && offered > c->queued_at ? (offered - c->queued_at) / 1000000 : 0;
            x->call_callback = c->outbound;
            if (c->consult) {
                x->consulted = c->consult_user == x->user_id;
                x->consult_with = x->consulted ? c->agent_user : c->consult_user;
                snprintf(x->consult_stage, sizeof(x->consult_stage), "%s",
                         c->conference             ? "conference"
                         : c->consult->established ? "talking"
                                                   : "ringing");
            }
        }
    }
    free(av);
    free(byid);
    qsort(ag, (size_t)n, sizeof(*ag), by_user);
    o->nagents = n;

    for (struct le *le = rt.calls.head; le && (size_t)o->ncalls < nc; le = le->next) {
        const struct tcall *c = le->data;
        struct tel_call_live *k = &cl[o->ncalls++];
        k->id = c->id;
        snprintf(k->country, sizeof(k->country), "%s", c->country);
        snprintf(k->did, sizeof(k->did), "%s", c->did);
        snprintf(k->language, sizeof(k->language), "%s", c->ivr.language);
        snprintf(k->state, sizeof(k->state), "%s", call_state_name(c->st));
        snprintf(k->node, sizeof(k->node), "%s", ivr_node_name(&c->ivr));
        snprintf(k->queue, sizeof(k->queue), "%s", c->queue);
        k->started = c->started;
        k->agent = c->agent ? c->agent_user : 0;
        k->consult = c->consult ? c->consult_user : 0;
        k->conference = c->conference;
    }
    return s;
}

static bool same(const struct tel_status *a, const struct tel_status *b)
{
    return a->calls_active == b->calls_active && a->phones_registered == b->phones_registered && a->records == b->records &&
           a->nqueues == b->nqueues && a->nagents == b->nagents && a->ncalls == b->ncalls && !strcmp(a->sip, b->sip) &&
           !memcmp(a->queues, b->queues, (size_t)a->nqueues * sizeof(*a->queues)) &&
           !memcmp(a->agents, b->agents, (size_t)a->nagents * sizeof(*a->agents)) &&
           !memcmp(a->calls, b->calls, (size_t)a->ncalls * sizeof(*a->calls));
}

/* Builds and publishes a snapshot when it differs from the current one (or
 * always, with force). */
static void publish(int64_t now, bool force)
{
    struct snap *s = build(), *old = NULL;
    last_check = now;
    if (!s)
        return; /* out of memory: the next check tries again */
    dirty = false;
    pthread_mutex_lock(&snap_mx);
    if (!force && cur && same(&cur->s, &s->s)) {
        pthread_mutex_unlock(&snap_mx);
        snap_put(s);
        return;
    }
    s->s.version = ++version;
    old = cur;
    cur = s;
    stopped = false;
    pthread_cond_broadcast(&snap_cv);
    pthread_mutex_unlock(&snap_mx);
    last_publish = now;
    snap_put(old);
}

void snap_dirty(void)
{
    dirty = true;
}

void snap_publish(void)
{
    publish(mono_us(), false);
}

void snap_tick(int64_t now)
{
    if (cur &&
        (rt.ncalls != cur->s.calls_active || registrar_count() != cur->s.phones_registered || jobs_written() != cur->s.records))
        dirty = true;
    if ((dirty && now - last_publish >= SNAP_MIN_US) || now - last_check >= (rt.ncalls ? SNAP_CHECK_CALLS_US : SNAP_CHECK_US))
        publish(now, false);
}

void snap_start(void)
{
    dirty = false;
    last_publish = last_check = 0;
    publish(mono_us(), true);
}

void snap_stop(void)
{
    pthread_mutex_lock(&snap_mx);
    struct snap *old = cur;
    cur = NULL;
    stopped = true;
    pthread_cond_broadcast(&snap_cv);
    pthread_mutex_unlock(&snap_mx);
    snap_put(old);
}

/* ---- reading ---- */

int tel_agent_get(int64_t user_id, struct tel_agent *out)
{
    const struct tel_status *s;
    int err = tel_status_get(&s);
    if (err)
        return err;
    struct tel_agent *a = agent_in((struct tel_agent *)s->agents, s->nagents, user_id);
    if (a) {
        *out = *a;
        out->since_seconds = a->since ? (clock_mono_us() - a->since) / 1000000 : 0;
    } else {
        memset(out, 0, sizeof(*out));
        out->user_id = user_id;
        snprintf(out->state, sizeof(out->state), "offline");
    }
    tel_status_put(s);
    return 0;
}

/* ---- commands ---- */

/* Shared by the thread that sent it and the real-time thread that runs it;
 * the last of the two to let go frees it (and its argument). */
struct cmd {
    atomic_int refs;
    pthread_mutex_t mx;
    pthread_cond_t cv;
    bool done, gone; /* gone: the sender stopped waiting */
    int (*fn)(void *arg);
    void *arg;
    void (*free_arg)(void *arg);
    int err;
    const char *code; /* error codes are static strings: the pointer crosses threads */
    char msg[160];
};

static void cmd_put(struct cmd *c)
{
    if (atomic_fetch_sub(&c->refs, 1) == 1) {
        if (c->free_arg)
            c->free_arg(c->arg);
        pthread_mutex_destroy(&c->mx);
        pthread_cond_destroy(&c->cv);
        free(c);
    }
}

void snap_cmd_run(void *data)
{
    struct cmd *c = data;
    err_clear();
    int err = c->fn(c->arg);

    atomic_fetch_sub(&inflight, 1);
    /* The answer's snapshot already holds the change. */
    publish(mono_us(), false);
    pthread_mutex_lock(&c->mx);
    if (err) {
        c->err = err;
        c->code = *err_code() ? err_code() : "tel.command";
        snprintf(c->msg, sizeof(c->msg), "%s", *err_message() ? err_message() : "the telephony refused the change");
        if (c->gone) /* nobody hears the answer: the log keeps it */
            log_info("tel: a change applied late was refused: %s", c->msg);
    }
    c->done = true;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mx);
    err_clear();
    cmd_put(c);
}

int tel_command(int (*fn)(void *arg), void *arg, void (*free_arg)(void *arg), int wait_ms, bool *applied)
{
    struct timespec until;
    struct cmd *c;
    int err = 0;

    *applied = false;
    if (atomic_load(&rt.running) && pthread_equal(pthread_self(), rt.thread)) {
        if (free_arg)
            free_arg(arg);
        return err_set(WASL_EINTERNAL, "tel.command", "tel_command called on the real-time thread");
    }
    if (atomic_fetch_add(&inflight, 1) >= CMD_INFLIGHT_MAX) {
        atomic_fetch_sub(&inflight, 1);
        if (free_arg)
            free_arg(arg);
        return err_set(WASL_EBUSY, "tel.busy", "the telephony has %d changes waiting; try again", CMD_INFLIGHT_MAX);
    }
    if (!(c = calloc(1, sizeof(*c)))) {
        atomic_fetch_sub(&inflight, 1);
        if (free_arg)
            free_arg(arg);
        return WASL_ENOMEM;
    }
    atomic_init(&c->refs, 2);
    pthread_mutex_init(&c->mx, NULL);
    pthread_cond_init(&c->cv, NULL);
    c->fn = fn;
    c->arg = arg;
    c->free_arg = free_arg;
    if ((err = tel_post(MQ_CMD, c))) {
        atomic_fetch_sub(&inflight, 1);
        cmd_put(c);
        cmd_put(c);
        return err;
    }
    deadline(wait_ms, &until);
    pthread_mutex_lock(&c->mx);
    while (!c->done)
        if (pthread_cond_timedwait(&c->cv, &c->mx, &until) == ETIMEDOUT)
            break;
    if (c->done && c->err)
        err = err_set(c->err, c->code, "%s", c->msg);
    *applied = c->done;
    c->gone = true;
    pthread_mutex_unlock(&c->mx);
    cmd_put(c);
    return err;
}

/* ---- an agent's state ---- */

struct agent_cmd {
    int64_t user;
    char state[16], reason[ACD_REASON_MAX];
};

static int agent_apply(void *arg)
{
    const struct agent_cmd *c = arg;
    struct tel_account a;
    struct acd_agent_view v;
    int64_t now = mono_us();

    if (!registrar_account(c->user, &a))
        return err_set(WASL_ECONFLICT, "tel.no_phone", "this user has no SIP account: an administrator gives one first");
    bool logged_in = !acd_agent_get(rt.acd, c->user, &v) && v.state != ACD_OFFLINE;
    err_clear();
    if (!strcmp(c->state, "offline"))
        return logged_in ? acd_agent_logout(rt.acd, c->user, 0, now) : 0;
    if (practice_busy(c->user))
        return err_set(WASL_ECONFLICT, "practice.in_progress",
                       "you are on a practice call: the queues are yours again when it is over");
    struct acd_skills sk;
    registrar_skills(&a, &sk);
    if (!logged_in && (!sk.nlanguages || !sk.nservices))
        return err_set(WASL_ECONFLICT, "tel.no_skills",
                       "your account's languages or services are none of the queues': an administrator sets them first");
    int err = logged_in ? 0 : acd_agent_login(rt.acd, c->user, &sk, now);
    if (!err && !strcmp(c->state, "available"))
        err = acd_agent_available(rt.acd, c->user, now);
    else if (!err)
        err = acd_agent_pause(rt.acd, c->user, c->reason[0] ? c->reason : "break", 0, now);
    return err;
}

/* What can be answered without the real-time thread, from the snapshot:
 * the agent has no phone, or is on a call. */
static int agent_check(int64_t user_id, const char *state)
{
    struct tel_agent a;
    int err = tel_agent_get(user_id, &a);
    if (err)
        return err;
    if (!a.has_account)
        return err_set(WASL_ECONFLICT, "tel.no_phone", "this user has no SIP account: an administrator gives one first");
    if (strcmp(state, "offline") && (!strcmp(a.state, "ringing") || !strcmp(a.state, "busy")))
        return err_set(WASL_ECONFLICT, "acd.agent_on_call", "the agent is on a call");
    if (!strcmp(state, "available") && !a.registered)
        return err_set(WASL_ECONFLICT, "tel.phone_not_registered",
                       "your phone is not connected (registered): no call could reach you; connect it, then try again");
    return 0;
}

int tel_agent_set(int64_t user_id, const char *state, const char *reason, bool *applied)
{
    struct agent_cmd *c;
    int err;

    *applied = false;
    if (strcmp(state, "available") && strcmp(state, "paused") && strcmp(state, "offline"))
        return err_set_field(WASL_EINVAL, "tel.invalid_state", "state", "available, paused or offline");
    if ((err = agent_check(user_id, state)))
        return err;
    if (!(c = calloc(1, sizeof(*c))))
        return WASL_ENOMEM;
    c->user = user_id;
    snprintf(c->state, sizeof(c->state), "%s", state);
    snprintf(c->reason, sizeof(c->reason), "%s", reason ? reason : "");
    return tel_command(agent_apply, c, free, CMD_WAIT_MS, applied);
}

/* ---- a supervisor forces an agent's state ---- */

struct force_cmd {
    int64_t user, by;
    bool logout;
    char reason[ACD_REASON_MAX];
};

static int force_apply(void *arg)
{
    const struct force_cmd *c = arg;
    struct acd_agent_view v;
    int64_t now = mono_us();
    if (acd_agent_get(rt.acd, c->user, &v) || v.state == ACD_OFFLINE) {
        err_clear();
        return err_set(WASL_ECONFLICT, "tel.agent_offline", "this agent is not logged in");
    }
    return c->logout ? acd_agent_logout(rt.acd, c->user, c->by, now) : acd_agent_pause(rt.acd, c->user, c->reason, c->by, now);
}

int tel_agent_force(int64_t user_id, const char *state, const char *reason, int64_t by, bool *applied)
{
    struct force_cmd *c;
    *applied = false;
    if (!state || (strcmp(state, "paused") && strcmp(state, "offline")))
        return err_set_field(WASL_EINVAL, "tel.invalid_state", "state", "paused or offline");
    if (!strcmp(state, "paused") && (!reason || !*reason))
        return err_set_field(WASL_EINVAL, "tel.reason_required", "reason", "say why the agent is paused");
    if (!(c = calloc(1, sizeof(*c))))
        return WASL_ENOMEM;
    c->user = user_id;
    c->by = by;
    c->logout = !strcmp(state, "offline");
    snprintf(c->reason, sizeof(c->reason), "%s", reason ? reason : "");
    return tel_command(force_apply, c, free, CMD_WAIT_MS, applied);
}
