/*
 * The distributor with a hand-driven clock: strategies, priority, widening,
 * several queues per agent, exits, pauses, callbacks that keep their place,
 * and the hard cases (log-out while ringing, hang-up at the bridge, a
 * callback's citizen calling again, an agent disabled on a call). Nothing
 * here calls acd_tick to route: routing happens on the change itself.
 */
#include "test.h"
#include "acd/acd.h"

#define S(x) ((int64_t)(x)*1000000)

enum { AR, FR, ES, IT, NL, DE, EN, NLANG };
static const char *const langs[NLANG] = {"ar", "fr", "es", "it", "nl", "de", "en"};

#define MAXLOG 256

struct log {
    uint64_t offered_call[MAXLOG];
    int64_t offered_agent[MAXLOG];
    int noffers;
    uint64_t cancel_call[MAXLOG];
    int64_t cancel_agent[MAXLOG];
    int ncancels;
    uint64_t dial_cb[MAXLOG];
    int64_t dial_agent[MAXLOG];
    int ndials;
    uint64_t exit_call[MAXLOG];
    enum acd_exit exit_why[MAXLOG];
    int nexits;
    struct acd_event ev[MAXLOG];
    int nev;
    int kinds[ACD_EVENT_KINDS];
};

static struct log lg;

static void on_offer(void *arg, uint64_t call, int64_t agent)
{
    (void)arg;
    assert_true(lg.noffers < MAXLOG);
    lg.offered_call[lg.noffers] = call;
    lg.offered_agent[lg.noffers++] = agent;
}

static void on_cancel(void *arg, uint64_t call, int64_t agent)
{
    (void)arg;
    assert_true(lg.ncancels < MAXLOG);
    lg.cancel_call[lg.ncancels] = call;
    lg.cancel_agent[lg.ncancels++] = agent;
}

static void on_dial(void *arg, uint64_t cb, int64_t agent)
{
    (void)arg;
    assert_true(lg.ndials < MAXLOG);
    lg.dial_cb[lg.ndials] = cb;
    lg.dial_agent[lg.ndials++] = agent;
}

static void on_leave(void *arg, uint64_t call, int queue, enum acd_exit why)
{
    (void)arg;
    (void)queue;
    assert_true(lg.nexits < MAXLOG);
    lg.exit_call[lg.nexits] = call;
    lg.exit_why[lg.nexits++] = why;
}

static void on_event(void *arg, const struct acd_event *e)
{
    (void)arg;
    lg.kinds[e->kind]++;
    if (lg.nev < MAXLOG)
        lg.ev[lg.nev++] = *e;
}

/* The last event of a kind, or fail. */
static const struct acd_event *last_ev(enum acd_event_kind k)
{
    for (int i = lg.nev - 1; i >= 0; i--)
        if (lg.ev[i].kind == k)
            return &lg.ev[i];
    fail_msg("no %s event", acd_event_name(k));
    return NULL;
}

static struct acd *make(int64_t wrap, bool no_answer_pause)
{
    struct acd *a;
    struct acd_hooks h = {on_offer, on_cancel, on_dial, on_leave, on_event, NULL};
    struct acd_settings s = {.ring_timeout = S(15), .wrap_up = wrap, .no_answer_pause = no_answer_pause};
    memset(&lg, 0, sizeof(lg));
    assert_int_equal(acd_new(&a, &h, &s), 0);
    return a;
}

/* As the telephony does: one general queue per language, index = language. */
static struct acd *fresh(int64_t wrap)
{
    struct acd *a = make(wrap, true);
    for (int i = 0; i < NLANG; i++) {
        char name[16];
        int q;
        snprintf(name, sizeof(name), "%s.general", langs[i]);
        struct acd_queue_def d = {.name = name, .language = i, .service = "general"};
        assert_int_equal(acd_queue_add(a, &d, &q), 0);
        assert_int_equal(q, i);
    }
    return a;
}

/* Logs in with the languages of the mask at proficiency prof, service general. */
static int login(struct acd *a, int64_t id, unsigned mask, int prof, int64_t now)
{
    struct acd_skills sk = {.nservices = 1, .services = {"general"}};
    for (int i = 0; i < 16; i++)
        if (mask & (1u << i)) {
            sk.languages[sk.nlanguages].language = i;
            sk.languages[sk.nlanguages++].proficiency = prof;
        }
    return acd_agent_login(a, id, &sk, now);
}

static void ready(struct acd *a, int64_t id, unsigned mask, int64_t now)
{
    assert_int_equal(login(a, id, mask, 3, now), 0);
    assert_int_equal(acd_agent_available(a, id, now), 0);
}

static int64_t last_agent(void)
{
    assert_true(lg.noffers > 0);
    return lg.offered_agent[lg.noffers - 1];
}

static uint64_t last_call(void)
{
    assert_true(lg.noffers > 0);
    return lg.offered_call[lg.noffers - 1];
}

static enum acd_agent_state state_of(struct acd *a, int64_t id)
{
    struct acd_agent_view v;
    assert_int_equal(acd_agent_get(a, id, &v), 0);
    return v.state;
}

static int waiting(struct acd *a, int q)
{
    struct acd_queue_view v;
    assert_int_equal(acd_queue_get(a, q, &v), 0);
    return v.waiting;
}

/* ---- the first distributor's behaviour, kept ---- */

static void longest_idle_first(void **state)
{
    struct acd *a = fresh(0);
    (void)state;
    for (int64_t id = 1; id <= 3; id++)
        assert_int_equal(login(a, id, 1u << FR, 3, S(0)), 0);
    /* Agent 2 became available first, then 3, then 1. */
    acd_agent_available(a, 2, S(10));
    acd_agent_available(a, 3, S(20));
    acd_agent_available(a, 1, S(30));
    assert_int_equal(acd_call_enqueue(a, 100, FR, NULL, S(40)), 0);
    assert_int_equal(lg.noffers, 1);
    assert_int_equal(last_agent(), 2);
    assert_int_equal(last_ev(ACD_EV_AGENT_STATE)->state, ACD_RINGING);
    assert_int_equal(last_ev(ACD_EV_AGENT_STATE)->call, 100);
    acd_call_answered(a, 100, 0, S(42));
    assert_int_equal(acd_call_enqueue(a, 101, FR, NULL, S(50)), 0);
    assert_int_equal(last_agent(), 3);
    /* Agent 2 hangs up; with no wrap-up, idle since then: after 1. */
    acd_call_gone(a, 100, S(60));
    acd_call_answered(a, 101, 3, S(61));
    assert_int_equal(acd_call_enqueue(a, 102, FR, NULL, S(70)), 0);
    assert_int_equal(last_agent(), 1);
    acd_free(a);
}

static void language_routing_and_oldest_first(void **state)
{
    struct acd *a = fresh(0);
    struct acd_queue_view q;
    int queue;
    int64_t agent;
    bool talking;
    (void)state;
    ready(a, 1, 1u << FR, S(0));
    /* A Dutch caller waits: nobody speaks Dutch. */
    acd_call_enqueue(a, 200, NL, NULL, S(10));
    assert_int_equal(lg.noffers, 0);
    assert_int_equal(acd_queue_get(a, NL, &q), 0);
    assert_int_equal(q.waiting, 1);
    assert_int_equal(q.oldest_since, S(10));
    assert_string_equal(q.name, "nl.general");
    /* An Arabic and a French caller later; the French one goes to agent 1. */
    acd_call_enqueue(a, 201, AR, NULL, S(20));
    acd_call_enqueue(a, 202, FR, NULL, S(30));
    assert_int_equal(lg.noffers, 1);
    assert_int_equal(lg.offered_call[0], 202);
    /* A trilingual agent takes the oldest call it can: the Dutch one (t=10). */
    ready(a, 2, (1u << NL) | (1u << AR) | (1u << EN), S(40));
    assert_int_equal(lg.offered_call[1], 200);
    assert_int_equal(acd_call_where(a, 201, &queue, &agent, &talking), 0);
    assert_int_equal(queue, AR);
    assert_int_equal(agent, 0);
    acd_free(a);
}

static void ring_timeout_and_decline(void **state)
{
    struct acd *a = fresh(0);
    struct acd_agent_view v;
    struct acd_queue_view q;
    (void)state;
    ready(a, 1, 1u << AR, S(1));
    ready(a, 2, 1u << AR, S(2));
    acd_call_enqueue(a, 300, AR, NULL, S(10));
    assert_int_equal(last_agent(), 1);
    /* Nothing due before the ring time-out. */
    assert_int_equal(acd_tick(a, S(20)), S(25));
    /* At 25 s: agent 1 paused (no answer), the call rings agent 2. */
    acd_tick(a, S(25));
    assert_int_equal(lg.ncancels, 1);
    assert_int_equal(last_agent(), 2);
    acd_agent_get(a, 1, &v);
    assert_int_equal(v.state, ACD_PAUSED);
    assert_string_equal(v.reason, "no_answer");
    assert_string_equal(last_ev(ACD_EV_NOT_ANSWERED)->reason, "timeout");
    /* Agent 2 declines: back to the queue, nobody left. */
    acd_call_declined(a, 300, 2, S(27));
    assert_int_equal(lg.kinds[ACD_EV_NOT_ANSWERED], 2);
    assert_string_equal(last_ev(ACD_EV_NOT_ANSWERED)->reason, "declined");
    acd_queue_get(a, AR, &q);
    assert_int_equal(q.waiting, 1);
    assert_int_equal(q.oldest_since, S(10)); /* its place in line is kept */
    /* Agent 1 is back: takes it. */
    acd_agent_available(a, 1, S(30));
    assert_int_equal(last_agent(), 1);
    assert_int_equal(acd_call_declined(a, 300, 2, S(31)), WASL_ECONFLICT); /* not ringing 2 any more */
    acd_free(a);
}

static void abandon_and_wrap_up(void **state)
{
    struct acd *a = fresh(S(10));
    (void)state;
    ready(a, 1, 1u << FR, S(0));
    /* Hangs up while ringing: the agent is free again, ringing cancelled. */
    acd_call_enqueue(a, 400, FR, NULL, S(5));
    acd_call_gone(a, 400, S(6));
    assert_int_equal(lg.ncancels, 1);
    assert_int_equal(lg.kinds[ACD_EV_ABANDONED], 1);
    assert_int_equal(state_of(a, 1), ACD_AVAILABLE);
    /* A call answered then ended: 10 s of wrap-up before the next. */
    acd_call_enqueue(a, 401, FR, NULL, S(7));
    acd_call_answered(a, 401, 1, S(8));
    assert_int_equal(acd_agent_pause(a, 1, "break", 0, S(9)), WASL_ECONFLICT);
    assert_int_equal(acd_agent_logout(a, 1, 0, S(9)), WASL_ECONFLICT);
    acd_call_gone(a, 401, S(100));
    assert_int_equal(last_ev(ACD_EV_ENDED)->talked, S(92));
    acd_call_enqueue(a, 402, FR, NULL, S(101));
    assert_int_equal(lg.noffers, 2);
    assert_int_equal(acd_tick(a, S(105)), S(110));
    acd_tick(a, S(110));
    assert_int_equal(lg.noffers, 3);
    assert_int_equal(lg.offered_call[2], 402);
    /* Waiting in queue, then hanging up: position and wait in the event. */
    acd_call_enqueue(a, 403, FR, NULL, S(120));
    assert_int_equal(acd_call_gone(a, 403, S(130)), 0);
    assert_int_equal(last_ev(ACD_EV_ABANDONED)->waited, S(10));
    assert_int_equal(last_ev(ACD_EV_ABANDONED)->position, 1);
    assert_int_equal(acd_call_gone(a, 403, S(131)), WASL_ENOENT);
    /* Input errors. */
    assert_int_equal(acd_call_enqueue(a, 404, 9, NULL, S(140)), WASL_EINVAL);
    assert_int_equal(acd_call_enqueue(a, 402, FR, NULL, S(140)), WASL_ECONFLICT);
    assert_int_equal(login(a, 9, 0, 3, S(140)), WASL_EINVAL);
    assert_int_equal(login(a, 9, 1u << FR, 6, S(140)), WASL_EINVAL);
    assert_int_equal(acd_agent_available(a, 77, S(140)), WASL_ENOENT);
    struct acd_call_opts bad = {.priority = 10};
    assert_int_equal(acd_call_enqueue(a, 405, FR, &bad, S(140)), WASL_EINVAL);
    assert_string_equal(err_code(), "acd.invalid_priority");
    err_clear();
    acd_free(a);
}

/* What a waiting caller is told: place in the queue and an estimate from
 * the handling times seen, shared among the agents who can answer. */
static void place_and_estimate(void **state)
{
    struct acd *a = fresh(S(30));
    int place;
    int64_t wait;
    (void)state;
    /* Nobody logged in who speaks Dutch: a place but no estimate. */
    assert_int_equal(acd_call_enqueue(a, 1, NL, NULL, S(0)), 0);
    assert_int_equal(acd_call_estimate(a, 1, &place, &wait), 0);
    assert_int_equal(place, 1);
    assert_true(wait < 0);
    /* One Dutch agent, busy on a first call of 90 s (+30 s wrap-up). */
    ready(a, 7, 1u << NL, S(0));
    assert_int_equal(acd_call_answered(a, 1, 7, S(1)), 0);
    assert_int_equal(acd_call_enqueue(a, 2, NL, NULL, S(2)), 0);
    assert_int_equal(acd_call_enqueue(a, 3, NL, NULL, S(3)), 0);
    assert_int_equal(last_ev(ACD_EV_QUEUE_JOINED)->position, 2);
    assert_int_equal(acd_call_estimate(a, 3, &place, &wait), 0);
    assert_int_equal(place, 2);
    assert_int_equal(wait, 2 * S(240)); /* no call ended yet: 4 minutes each */
    assert_int_equal(acd_call_gone(a, 1, S(91)), 0);
    assert_int_equal(acd_call_estimate(a, 2, &place, &wait), 0);
    assert_int_equal(place, 1);
    assert_int_equal(wait, S(120)); /* 90 s talk + 30 s wrap-up */
    assert_int_equal(acd_call_estimate(a, 1, &place, &wait), WASL_ENOENT);
    err_clear();
    acd_free(a);
}

/* ---- queues as data ---- */

static void queues_are_data(void **state)
{
    struct acd *a = make(0, true);
    int q;
    (void)state;
    /* An eighth language (Tamazight, index 7) and services per language. */
    struct acd_queue_def zgh = {.name = "zgh.general", .language = 7, .service = "general"};
    struct acd_queue_def dos = {.name = "fr.dossier", .language = FR, .service = "dossier", .strategy = "fewest_calls"};
    assert_int_equal(acd_queue_add(a, &zgh, &q), 0);
    assert_int_equal(q, 0);
    assert_int_equal(acd_queue_add(a, &dos, &q), 0);
    assert_int_equal(q, 1);
    assert_int_equal(acd_queue_find(a, FR, "dossier"), 1);
    assert_int_equal(acd_queue_find(a, FR, "general"), -1);
    /* Bad definitions, each with its code. */
    struct {
        struct acd_queue_def d;
        int err;
        const char *code;
    } bad[] = {
        {{.name = "x", .language = 1, .service = "general", .strategy = "random"}, WASL_EINVAL, "acd.unknown_strategy"},
        {{.name = "", .language = 1, .service = "general"}, WASL_EINVAL, "acd.invalid_queue"},
        {{.name = "x", .language = -1, .service = "general"}, WASL_EINVAL, "acd.invalid_queue"},
        {{.name = "x", .language = FR, .service = "dossier"}, WASL_ECONFLICT, "acd.duplicate_queue"},
        {{.name = "fr.dossier", .language = ES, .service = "dossier"}, WASL_ECONFLICT, "acd.duplicate_queue"},
        {{.name = "x", .language = 1, .service = "g", .min_proficiency = 3, .nwiden = 1, .widen = {{S(10), 4, false}}},
         WASL_EINVAL,
         "acd.invalid_widen"},
        {{.name = "x", .language = 1, .service = "g", .nwiden = 2, .widen = {{S(10), 1, true}, {S(20), 1, false}}},
         WASL_EINVAL,
         "acd.invalid_widen"},
        {{.name = "x", .language = 1, .service = "g", .nwiden = 2, .widen = {{S(10), 1, false}, {S(5), 1, false}}},
         WASL_EINVAL,
         "acd.invalid_widen"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(acd_queue_add(a, &bad[i].d, NULL), bad[i].err);
        assert_string_equal(err_code(), bad[i].code);
        err_clear();
    }
    /* A Tamazight and French agent with the dossier service. */
    struct acd_skills sk = {.nlanguages = 2, .languages = {{7, 5}, {FR, 4}}, .nservices = 2, .services = {"general", "dossier"}};
    assert_int_equal(acd_agent_login(a, 1, &sk, S(0)), 0);
    assert_int_equal(acd_agent_available(a, 1, S(0)), 0);
    assert_int_equal(acd_call_enqueue(a, 10, 0, NULL, S(1)), 0);
    assert_int_equal(last_agent(), 1);
    struct acd_queue_view v;
    assert_int_equal(acd_queue_get(a, 1, &v), 0);
    assert_string_equal(v.strategy, "fewest_calls");
    assert_int_equal(v.agents[ACD_RINGING], 1);
    /* A queue added later finds the agents who fit. */
    struct acd_queue_def late = {.name = "zgh.dossier", .language = 7, .service = "dossier"};
    assert_int_equal(acd_queue_add(a, &late, &q), 0);
    assert_int_equal(acd_queue_get(a, q, &v), 0);
    assert_int_equal(v.agents[ACD_RINGING], 1);
    /* An exit needs the exit hook. */
    struct acd *b;
    struct acd_settings s = {.ring_timeout = S(15)};
    assert_int_equal(acd_new(&b, NULL, &s), 0);
    struct acd_queue_def ex = {.name = "x", .language = 0, .service = "g", .max_wait = S(60)};
    assert_int_equal(acd_queue_add(b, &ex, NULL), WASL_EINVAL);
    assert_string_equal(err_code(), "acd.no_exit_hook");
    err_clear();
    acd_free(b);
    acd_free(a);
}

/* ---- strategies, one row each ---- */

/* Agents 1 (fr 3), 2 (fr 5), 3 (fr 2). Before the test: agent 3 took two
 * calls, agent 2 was offered one and declined it, agent 1 took one; then
 * they became available in the order 1, 3, 2. */
static struct acd *strategy_day(const char *strategy)
{
    struct acd *a = make(0, true);
    struct acd_queue_def d = {.name = "fr.general", .language = FR, .service = "general", .strategy = strategy};
    assert_int_equal(acd_queue_add(a, &d, NULL), 0);
    assert_int_equal(login(a, 1, 1u << FR, 3, 0), 0);
    assert_int_equal(login(a, 2, 1u << FR, 5, 0), 0);
    assert_int_equal(login(a, 3, 1u << FR, 2, 0), 0);
    acd_agent_available(a, 3, S(1));
    for (uint64_t c = 1; c <= 2; c++) {
        assert_int_equal(acd_call_enqueue(a, c, 0, NULL, S(2)), 0);
        assert_int_equal(acd_call_answered(a, c, 3, S(3)), 0);
        assert_int_equal(acd_call_gone(a, c, S(4)), 0);
    }
    acd_agent_pause(a, 3, "break", 0, S(5));
    acd_agent_available(a, 2, S(6));
    acd_call_enqueue(a, 3, 0, NULL, S(6));
    acd_call_declined(a, 3, 2, S(7));
    acd_agent_available(a, 1, S(8));
    acd_call_answered(a, 3, 1, S(9));
    acd_call_gone(a, 3, S(10));
    acd_agent_pause(a, 1, "break", 0, S(11));
    acd_agent_available(a, 1, S(100));
    acd_agent_available(a, 3, S(110));
    acd_agent_available(a, 2, S(120));
    memset(&lg, 0, sizeof(lg));
    return a;
}

static void strategies(void **state)
{
    static const struct {
        const char *strategy;
        int64_t first, second;
    } rows[] = {
        {"longest_idle", 1, 3},     /* idle since 100, then 110 */
        {"fewest_calls", 2, 1},     /* 0 calls today, then 1 */
        {"round_robin", 3, 2},      /* offered least recently: 3 (t=2), then 2 (t=6) */
        {"best_proficiency", 2, 1}, /* 5, then 3 */
    };
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct acd *a = strategy_day(rows[i].strategy);
        assert_int_equal(acd_call_enqueue(a, 50, 0, NULL, S(200)), 0);
        assert_int_equal(lg.noffers, 1);
        if (last_agent() != rows[i].first)
            fail_msg("%s: first call to %lld, expected %lld", rows[i].strategy, (long long)last_agent(), (long long)rows[i].first);
        assert_int_equal(acd_call_answered(a, 50, rows[i].first, S(201)), 0);
        assert_int_equal(acd_call_enqueue(a, 51, 0, NULL, S(202)), 0);
        if (last_agent() != rows[i].second)
            fail_msg("%s: second call to %lld, expected %lld", rows[i].strategy, (long long)last_agent(),
                     (long long)rows[i].second);
        acd_free(a);
    }
    for (int i = 0; acd_strategy_name(i); i++)
        assert_non_null(acd_strategy_name(i));
    assert_null(acd_strategy_name(5));
}

/* Ring all: every eligible agent rings, the first to answer wins, the
 * others stop ringing and are free for the next caller. */
static void ring_all(void **state)
{
    struct acd *a = strategy_day("ring_all");
    (void)state;
    assert_int_equal(acd_call_enqueue(a, 50, 0, NULL, S(200)), 0);
    assert_int_equal(lg.noffers, 3);
    for (int64_t id = 1; id <= 3; id++)
        assert_int_equal(state_of(a, id), ACD_RINGING);
    assert_int_equal(acd_call_answered(a, 50, 2, S(203)), 0);
    assert_int_equal(lg.ncancels, 2);
    assert_int_equal(lg.kinds[ACD_EV_RING_CANCELLED], 2);
    assert_int_equal(state_of(a, 2), ACD_BUSY);
    assert_int_equal(state_of(a, 1), ACD_AVAILABLE);
    assert_int_equal(acd_call_answered(a, 50, 1, S(203)), WASL_ECONFLICT); /* too late */
    err_clear();
    /* The next rings both free agents; one declines, the other times out. */
    assert_int_equal(acd_call_enqueue(a, 51, 0, NULL, S(204)), 0);
    assert_int_equal(lg.noffers, 5);
    assert_int_equal(acd_call_declined(a, 51, 1, S(205)), 0);
    assert_int_equal(state_of(a, 1), ACD_PAUSED);
    assert_int_equal(waiting(a, 0), 0); /* agent 3 still rings */
    acd_tick(a, S(219));
    assert_int_equal(state_of(a, 3), ACD_PAUSED);
    assert_int_equal(waiting(a, 0), 1);
    acd_free(a);
}

/* ---- priority and several queues ---- */

static void priority_then_arrival(void **state)
{
    struct acd *a = fresh(0);
    static const struct {
        uint64_t call;
        int priority;
        int64_t at;
        int position; /* at joining */
    } rows[] = {
        {1, 0, S(1), 1}, {2, 0, S(2), 2}, {3, 5, S(3), 1}, {4, 1, S(4), 2}, {5, 5, S(5), 2}, {6, 0, S(6), 6},
    };
    static const uint64_t served[] = {3, 5, 4, 1, 2, 6};
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct acd_call_opts o = {.priority = rows[i].priority};
        assert_int_equal(acd_call_enqueue(a, rows[i].call, FR, &o, rows[i].at), 0);
        assert_int_equal(last_ev(ACD_EV_QUEUE_JOINED)->position, rows[i].position);
    }
    ready(a, 1, 1u << FR, S(10));
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(last_call(), served[i]);
        acd_call_answered(a, served[i], 1, S(11 + (int64_t)i));
        acd_call_gone(a, served[i], S(11 + (int64_t)i));
    }
    acd_free(a);
}

/* Two queues competing for one agent: the longest-waiting caller across
 * them goes first, priority before that. */
static void two_queues_one_agent(void **state)
{
    struct acd *a = fresh(0);
    struct acd_call_opts urgent = {.priority = 2};
    (void)state;
    ready(a, 1, (1u << FR) | (1u << AR), S(0));
    acd_agent_pause(a, 1, "training", 0, S(0));
    acd_call_enqueue(a, 10, FR, NULL, S(5));
    acd_call_enqueue(a, 11, AR, NULL, S(3));
    acd_call_enqueue(a, 12, FR, &urgent, S(8));
    acd_call_enqueue(a, 13, AR, NULL, S(4));
    static const uint64_t order[] = {12, 11, 13, 10};
    acd_agent_available(a, 1, S(10));
    for (int i = 0; i < 4; i++) {
        assert_int_equal(last_call(), order[i]);
        acd_call_answered(a, order[i], 1, S(20 + i));
        acd_call_gone(a, order[i], S(20 + i));
    }
    acd_free(a);
}

/* ---- widening ---- */

static void widening(void **state)
{
    static const struct {
        const char *what;
        int64_t tick; /* offered at this tick, not before */
        int64_t agent;
    } rows[] = {
        {"proficiency 4 at once", 0, 4},
        {"proficiency 2 after 30 s", S(30), 2},
        {"Spanish (second language) after 60 s", S(60), 5},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct acd *a = make(0, true);
        struct acd_queue_def fr = {.name = "fr",
                                   .language = FR,
                                   .service = "general",
                                   .min_proficiency = 4,
                                   .nwiden = 2,
                                   .widen = {{S(30), 2, false}, {S(60), 2, true}}};
        struct acd_queue_def es = {.name = "es", .language = ES, .service = "general"};
        assert_int_equal(acd_queue_add(a, &fr, NULL), 0);
        assert_int_equal(acd_queue_add(a, &es, NULL), 0);
        /* Only the agent of the row is there, plus a French one of
         * proficiency 1 nobody ever reaches. */
        assert_int_equal(login(a, 9, 1u << FR, 1, 0), 0);
        acd_agent_available(a, 9, 0);
        int64_t id = rows[i].agent;
        assert_int_equal(login(a, id, id == 5 ? 1u << ES : 1u << FR, id == 5 ? 3 : (int)id, 0), 0);
        acd_agent_available(a, id, 0);
        struct acd_call_opts o = {.has_language2 = true, .language2 = ES};
        assert_int_equal(acd_call_enqueue(a, 1, 0, &o, S(0)), 0);
        if (rows[i].tick) {
            assert_int_equal(lg.noffers, 0);
            int64_t next = acd_tick(a, rows[i].tick - 1);
            assert_true(next <= rows[i].tick);
            assert_int_equal(lg.noffers, 0);
            acd_tick(a, rows[i].tick);
        }
        if (lg.noffers != 1 || last_agent() != id)
            fail_msg("%s: %d offers", rows[i].what, lg.noffers);
        acd_free(a);
    }
}

/* A freed agent reaches a caller of another queue through the caller's
 * second language (the agent-side of widening). */
static void second_language_agent_side(void **state)
{
    struct acd *a = make(0, true);
    (void)state;
    struct acd_queue_def fr = {.name = "fr", .language = FR, .service = "general", .nwiden = 1, .widen = {{S(20), 1, true}}};
    struct acd_queue_def es = {.name = "es", .language = ES, .service = "general"};
    acd_queue_add(a, &fr, NULL);
    acd_queue_add(a, &es, NULL);
    struct acd_call_opts o = {.has_language2 = true, .language2 = ES};
    acd_call_enqueue(a, 1, 0, &o, S(0));
    acd_call_enqueue(a, 2, 1, NULL, S(10)); /* a Spanish caller, later */
    acd_tick(a, S(20));
    assert_int_equal(last_ev(ACD_EV_WIDENED)->second_language, true);
    ready(a, 5, 1u << ES, S(30));
    assert_int_equal(last_call(), 1); /* waited longer */
    acd_free(a);
}

/* ---- exits ---- */

static void exits(void **state)
{
    struct acd *a = make(0, true);
    struct acd_queue_def d = {
        .name = "fr", .language = FR, .service = "general", .max_wait = S(60), .max_length = 2, .exit_no_agents = true};
    (void)state;
    acd_queue_add(a, &d, NULL);
    /* Nobody logged in: out at once. */
    assert_int_equal(acd_call_enqueue(a, 1, 0, NULL, S(0)), 0);
    assert_int_equal(lg.nexits, 1);
    assert_int_equal(lg.exit_why[0], ACD_EXIT_NO_AGENTS);
    assert_int_equal(acd_call_gone(a, 1, S(0)), WASL_ENOENT);
    err_clear();
    /* A paused agent counts as logged in: callers wait, two at most. */
    assert_int_equal(login(a, 1, 1u << FR, 3, S(0)), 0);
    acd_call_enqueue(a, 2, 0, NULL, S(1));
    acd_call_enqueue(a, 3, 0, NULL, S(2));
    acd_call_enqueue(a, 4, 0, NULL, S(3));
    assert_int_equal(lg.nexits, 2);
    assert_int_equal(lg.exit_call[1], 4);
    assert_int_equal(lg.exit_why[1], ACD_EXIT_FULL);
    /* Max wait: 60 s after arrival, by the tick. */
    assert_int_equal(acd_tick(a, S(10)), S(61));
    acd_tick(a, S(61));
    assert_int_equal(lg.nexits, 3);
    assert_int_equal(lg.exit_why[2], ACD_EXIT_MAX_WAIT);
    assert_int_equal(last_ev(ACD_EV_EXIT)->waited, S(60));
    /* A callback does not time out; the last agent leaving sends the callers away. */
    assert_int_equal(acd_call_to_callback(a, 3, S(62)), 0);
    acd_call_enqueue(a, 5, 0, NULL, S(63));
    acd_tick(a, S(200));
    assert_int_equal(lg.nexits, 4); /* 5 timed out, not the callback */
    acd_call_enqueue(a, 6, 0, NULL, S(201));
    assert_int_equal(acd_agent_logout(a, 1, 0, S(202)), 0);
    assert_int_equal(lg.nexits, 5);
    assert_int_equal(lg.exit_call[4], 6);
    assert_int_equal(lg.exit_why[4], ACD_EXIT_NO_AGENTS);
    assert_int_equal(waiting(a, 0), 1); /* the callback keeps its place */
    acd_free(a);
}

/* ---- agents: pause reasons, no-answer, forced changes ---- */

static void pause_reasons_and_no_answer(void **state)
{
    static const struct {
        bool pause;
        enum acd_agent_state after;
    } rows[] = {{true, ACD_PAUSED}, {false, ACD_RINGING}};
    (void)state;
    for (size_t i = 0; i < 2; i++) {
        struct acd *a = make(0, rows[i].pause);
        struct acd_queue_def d = {.name = "fr", .language = FR, .service = "general"};
        acd_queue_add(a, &d, NULL);
        ready(a, 1, 1u << FR, 0);
        assert_int_equal(acd_agent_pause(a, 1, "lunch", 0, S(1)), WASL_EINVAL);
        assert_string_equal(err_code(), "acd.unknown_pause_reason");
        err_clear();
        assert_int_equal(acd_agent_pause(a, 1, "coaching", 0, S(1)), 0);
        assert_string_equal(last_ev(ACD_EV_AGENT_STATE)->reason, "coaching");
        acd_agent_available(a, 1, S(2));
        acd_call_enqueue(a, 1, 0, NULL, S(3));
        acd_tick(a, S(18));
        /* On: paused, the call waits at the head. Off: it rings the agent again. */
        assert_int_equal(state_of(a, 1), rows[i].after);
        assert_int_equal(lg.noffers, rows[i].pause ? 1 : 2);
        acd_free(a);
    }
    /* Reasons are data. */
    static const char *const mine[] = {"prayer", "back_office", NULL};
    struct acd *a;
    struct acd_settings s = {.ring_timeout = S(15), .pause_reasons = mine};
    assert_int_equal(acd_new(&a, NULL, &s), 0);
    struct acd_queue_def d = {.name = "fr", .language = FR, .service = "general"};
    acd_queue_add(a, &d, NULL);
    assert_int_equal(login(a, 1, 1u << FR, 3, 0), 0);
    assert_int_equal(acd_agent_pause(a, 1, "prayer", 0, 0), 0);
    assert_int_equal(acd_agent_pause(a, 1, "break", 0, 0), WASL_EINVAL);
    err_clear();
    acd_free(a);
}

/* Logs out (or pauses) while the phone rings: the ring stops, the call goes
 * back to its place and rings the next agent. */
static void logout_while_ringing(void **state)
{
    static const bool logout[] = {true, false};
    (void)state;
    for (int i = 0; i < 2; i++) {
        struct acd *a = fresh(0);
        ready(a, 1, 1u << FR, 0);
        ready(a, 2, 1u << FR, S(1));
        acd_call_enqueue(a, 7, FR, NULL, S(5));
        assert_int_equal(last_agent(), 1);
        if (logout[i])
            assert_int_equal(acd_agent_logout(a, 1, 0, S(6)), 0);
        else
            assert_int_equal(acd_agent_pause(a, 1, "break", 0, S(6)), 0);
        assert_int_equal(lg.ncancels, 1);
        assert_int_equal(lg.cancel_agent[0], 1);
        assert_string_equal(last_ev(ACD_EV_NOT_ANSWERED)->reason, logout[i] ? "logged_out" : "paused");
        assert_int_equal(state_of(a, 1), logout[i] ? ACD_OFFLINE : ACD_PAUSED);
        assert_int_equal(last_agent(), 2);
        assert_int_equal(last_call(), 7);
        assert_int_equal(acd_call_answered(a, 7, 1, S(7)), WASL_ECONFLICT);
        err_clear();
        acd_free(a);
    }
}

/* Answered and gone at the same instant, in both orders the telephony may
 * see them. */
static void hang_up_at_the_bridge(void **state)
{
    (void)state;
    for (int order = 0; order < 2; order++) {
        struct acd *a = fresh(S(10));
        ready(a, 1, 1u << FR, 0);
        acd_call_enqueue(a, 1, FR, NULL, S(5));
        if (!order) {
            assert_int_equal(acd_call_answered(a, 1, 1, S(6)), 0);
            assert_int_equal(acd_call_gone(a, 1, S(6)), 0);
            assert_int_equal(last_ev(ACD_EV_ENDED)->talked, 0);
            assert_int_equal(state_of(a, 1), ACD_WRAP_UP);
            /* the wrap-up's state event names the call it follows */
            assert_int_equal(last_ev(ACD_EV_AGENT_STATE)->state, ACD_WRAP_UP);
            assert_int_equal(last_ev(ACD_EV_AGENT_STATE)->call, 1);
        } else {
            assert_int_equal(acd_call_gone(a, 1, S(6)), 0);
            assert_int_equal(acd_call_answered(a, 1, 1, S(6)), WASL_ECONFLICT);
            err_clear();
            assert_int_equal(state_of(a, 1), ACD_AVAILABLE);
            assert_int_equal(lg.kinds[ACD_EV_ABANDONED], 1);
        }
        acd_free(a);
    }
}

/* A supervisor disables an agent on a call: the call goes on, then the
 * agent is offline (no wrap-up, no next call); a forced pause likewise. */
static void forced_while_on_a_call(void **state)
{
    static const struct {
        bool logout;
        enum acd_agent_state after;
    } rows[] = {{true, ACD_OFFLINE}, {false, ACD_PAUSED}};
    (void)state;
    for (int i = 0; i < 2; i++) {
        struct acd *a = fresh(S(10));
        ready(a, 1, 1u << FR, 0);
        acd_call_enqueue(a, 1, FR, NULL, S(1));
        acd_call_answered(a, 1, 1, S(2));
        acd_call_enqueue(a, 2, FR, NULL, S(3));
        if (rows[i].logout)
            assert_int_equal(acd_agent_logout(a, 1, 42, S(4)), 0);
        else
            assert_int_equal(acd_agent_pause(a, 1, "coaching", 42, S(4)), 0);
        assert_int_equal(state_of(a, 1), ACD_BUSY);
        acd_call_gone(a, 1, S(50));
        const struct acd_event *e = last_ev(ACD_EV_AGENT_STATE);
        assert_int_equal(e->state, rows[i].after);
        assert_int_equal(e->by, 42);
        assert_int_equal(lg.noffers, 1); /* call 2 waits */
        assert_int_equal(waiting(a, FR), 1);
        acd_free(a);
    }
}

/* Every agent command from every state: the answer, the state after, and
 * whether the call came back to the line. */
static struct acd *agent_in(enum acd_agent_state st)
{
    struct acd *a = fresh(S(10));
    ready(a, 1, 1u << FR, 0);
    if (st == ACD_OFFLINE)
        acd_agent_logout(a, 1, 0, S(1));
    else if (st == ACD_PAUSED)
        acd_agent_pause(a, 1, "break", 0, S(1));
    if (st == ACD_RINGING || st == ACD_BUSY || st == ACD_WRAP_UP)
        acd_call_enqueue(a, 1, FR, NULL, S(1));
    if (st == ACD_BUSY || st == ACD_WRAP_UP)
        acd_call_answered(a, 1, 1, S(2));
    if (st == ACD_WRAP_UP)
        acd_call_gone(a, 1, S(3));
    assert_int_equal(state_of(a, 1), st);
    return a;
}

static void agent_transitions(void **state)
{
    enum { AV, PA, PF, LO, LF };
    static const char *const cmd[] = {"available", "pause", "pause (forced)", "logout", "logout (forced)"};
    static const struct {
        enum acd_agent_state from;
        int cmd, err;
        enum acd_agent_state to;
        int waiting; /* callers in line after */
    } rows[] = {
        {ACD_OFFLINE, AV, WASL_ENOENT, ACD_OFFLINE, 0},
        {ACD_OFFLINE, PA, WASL_ENOENT, ACD_OFFLINE, 0},
        {ACD_OFFLINE, PF, WASL_ENOENT, ACD_OFFLINE, 0},
        {ACD_OFFLINE, LO, 0, ACD_OFFLINE, 0},
        {ACD_OFFLINE, LF, 0, ACD_OFFLINE, 0},
        {ACD_AVAILABLE, AV, 0, ACD_AVAILABLE, 0},
        {ACD_AVAILABLE, PA, 0, ACD_PAUSED, 0},
        {ACD_AVAILABLE, PF, 0, ACD_PAUSED, 0},
        {ACD_AVAILABLE, LO, 0, ACD_OFFLINE, 0},
        {ACD_AVAILABLE, LF, 0, ACD_OFFLINE, 0},
        {ACD_RINGING, AV, WASL_ECONFLICT, ACD_RINGING, 0},
        {ACD_RINGING, PA, 0, ACD_PAUSED, 1},
        {ACD_RINGING, PF, 0, ACD_PAUSED, 1},
        {ACD_RINGING, LO, 0, ACD_OFFLINE, 1},
        {ACD_RINGING, LF, 0, ACD_OFFLINE, 1},
        {ACD_BUSY, AV, WASL_ECONFLICT, ACD_BUSY, 0},
        {ACD_BUSY, PA, WASL_ECONFLICT, ACD_BUSY, 0},
        {ACD_BUSY, PF, 0, ACD_BUSY, 0},
        {ACD_BUSY, LO, WASL_ECONFLICT, ACD_BUSY, 0},
        {ACD_BUSY, LF, 0, ACD_BUSY, 0},
        {ACD_WRAP_UP, AV, 0, ACD_AVAILABLE, 0},
        {ACD_WRAP_UP, PA, 0, ACD_PAUSED, 0},
        {ACD_WRAP_UP, PF, 0, ACD_PAUSED, 0},
        {ACD_WRAP_UP, LO, 0, ACD_OFFLINE, 0},
        {ACD_WRAP_UP, LF, 0, ACD_OFFLINE, 0},
        {ACD_PAUSED, AV, 0, ACD_AVAILABLE, 0},
        {ACD_PAUSED, PA, 0, ACD_PAUSED, 0},
        {ACD_PAUSED, PF, 0, ACD_PAUSED, 0},
        {ACD_PAUSED, LO, 0, ACD_OFFLINE, 0},
        {ACD_PAUSED, LF, 0, ACD_OFFLINE, 0},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct acd *a = agent_in(rows[i].from);
        int err;
        switch (rows[i].cmd) {
        case AV:
            err = acd_agent_available(a, 1, S(5));
            break;
        case PA:
        case PF:
            err = acd_agent_pause(a, 1, "break", rows[i].cmd == PF ? 7 : 0, S(5));
            break;
        default:
            err = acd_agent_logout(a, 1, rows[i].cmd == LF ? 7 : 0, S(5));
            break;
        }
        err_clear();
        if (err != rows[i].err || state_of(a, 1) != rows[i].to || waiting(a, FR) != rows[i].waiting)
            fail_msg("%s + %s: error %d, %s, %d waiting; expected %d, %s, %d", acd_state_name(rows[i].from), cmd[rows[i].cmd], err,
                     acd_state_name(state_of(a, 1)), waiting(a, FR), rows[i].err, acd_state_name(rows[i].to), rows[i].waiting);
        acd_free(a);
    }
}

/* ---- callbacks ---- */

static void callback_keeps_its_place(void **state)
{
    struct acd *a = fresh(0);
    (void)state;
    ready(a, 1, 1u << FR, 0);
    acd_agent_pause(a, 1, "break", 0, 0);
    acd_call_enqueue(a, 1, FR, NULL, S(1));
    acd_call_enqueue(a, 2, FR, NULL, S(2));
    acd_call_enqueue(a, 3, FR, NULL, S(3));
    assert_int_equal(acd_call_to_callback(a, 2, S(4)), 0);
    assert_int_equal(last_ev(ACD_EV_CALLBACK_REQUESTED)->position, 2);
    assert_int_equal(acd_call_to_callback(a, 2, S(4)), WASL_ECONFLICT);
    err_clear();
    /* 1 goes first, then the callback (dialled, not offered), then 3. */
    acd_agent_available(a, 1, S(10));
    assert_int_equal(last_call(), 1);
    acd_call_answered(a, 1, 1, S(11));
    acd_call_gone(a, 1, S(20));
    assert_int_equal(lg.ndials, 1);
    assert_int_equal(lg.dial_cb[0], 2);
    assert_int_equal(lg.dial_agent[0], 1);
    assert_int_equal(state_of(a, 1), ACD_RINGING);
    assert_int_equal(lg.noffers, 1);
    /* The citizen does not answer: retry at 100 s, at the same place. */
    assert_int_equal(acd_callback_failed(a, 2, false, S(100), S(30)), 0);
    assert_int_equal(last_ev(ACD_EV_CALLBACK_ATTEMPTED)->attempt, 1);
    assert_int_equal(last_call(), 3); /* meanwhile the next caller */
    acd_call_answered(a, 3, 1, S(31));
    acd_call_enqueue(a, 4, FR, NULL, S(40));
    /* At 100 s the callback is back in line, before caller 4 (it arrived at
     * 2 s); the agent is still busy. */
    assert_int_equal(acd_tick(a, S(99)), S(100));
    acd_tick(a, S(100));
    assert_int_equal(lg.ndials, 1);
    assert_int_equal(waiting(a, FR), 2);
    acd_call_gone(a, 3, S(120));
    assert_int_equal(lg.ndials, 2);
    assert_int_equal(last_ev(ACD_EV_CALLBACK_RESERVED)->attempt, 2);
    /* The agent fails this time: paused, and the telephony gives up. */
    assert_int_equal(acd_callback_failed(a, 2, true, 0, S(130)), 0);
    assert_int_equal(state_of(a, 1), ACD_PAUSED);
    assert_int_equal(last_ev(ACD_EV_CALLBACK_ATTEMPTED)->retry_at, 0);
    assert_int_equal(acd_call_gone(a, 2, S(131)), WASL_ENOENT);
    err_clear();
    acd_agent_available(a, 1, S(140));
    assert_int_equal(last_call(), 4);
    acd_free(a);
}

/* Callbacks left while the center was closed, entered with their original
 * times: oldest first, then answered. */
static void callbacks_from_the_night(void **state)
{
    struct acd *a = fresh(0);
    static const int64_t at[] = {S(300), S(100), S(200)};
    (void)state;
    for (int i = 0; i < 3; i++) {
        struct acd_call_opts o = {.joined = at[i]};
        assert_int_equal(acd_callback_add(a, 10 + (uint64_t)i, FR, &o, S(1000)), 0);
    }
    struct acd_call_opts future = {.joined = S(2000)};
    assert_int_equal(acd_callback_add(a, 20, FR, &future, S(1000)), WASL_EINVAL);
    err_clear();
    ready(a, 1, 1u << FR, S(1001));
    static const uint64_t order[] = {11, 12, 10};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(lg.dial_cb[i], order[i]);
        assert_int_equal(acd_callback_answered(a, order[i], S(1002 + i)), 0);
        assert_int_equal(state_of(a, 1), ACD_BUSY);
        assert_true(last_ev(ACD_EV_ANSWERED)->callback);
        assert_int_equal(acd_call_gone(a, order[i], S(1003 + i)), 0);
    }
    acd_free(a);
}

/* The citizen of a callback calls again: the new call takes the callback's
 * place; reserved already, the agent is released and takes the new call. */
static void callback_caller_calls_again(void **state)
{
    (void)state;
    for (int reserved = 0; reserved < 2; reserved++) {
        struct acd *a = fresh(0);
        ready(a, 1, 1u << FR, 0);
        acd_agent_pause(a, 1, "break", 0, 0);
        acd_call_enqueue(a, 1, FR, NULL, S(1));
        acd_call_enqueue(a, 2, FR, NULL, S(2));
        acd_call_to_callback(a, 1, S(3));
        if (reserved) {
            acd_agent_available(a, 1, S(4));
            assert_int_equal(lg.ndials, 1);
        }
        assert_int_equal(acd_callback_replace(a, 1, 9, S(5)), 0);
        assert_string_equal(last_ev(ACD_EV_CALLBACK_CANCELLED)->reason, "called_again");
        assert_int_equal(last_ev(ACD_EV_QUEUE_JOINED)->position, 1);
        if (reserved) {
            assert_int_equal(lg.cancel_call[0], 1);
            assert_int_equal(last_call(), 9); /* offered right away */
        } else {
            struct acd_queue_view v;
            acd_queue_get(a, FR, &v);
            assert_int_equal(v.oldest_since, S(1));
            assert_int_equal(v.callbacks, 0);
            acd_agent_available(a, 1, S(6));
            assert_int_equal(last_call(), 9);
        }
        assert_int_equal(acd_callback_replace(a, 1, 10, S(7)), WASL_ENOENT);
        err_clear();
        acd_free(a);
    }
}

/* The reserved agent logs out before the telephony reports: the callback
 * goes back to its place, and that was no attempt. */
static void callback_agent_leaves_while_reserved(void **state)
{
    struct acd *a = fresh(0);
    (void)state;
    ready(a, 1, 1u << FR, 0);
    ready(a, 2, 1u << FR, S(1));
    acd_agent_pause(a, 2, "break", 0, S(1));
    struct acd_call_opts o = {.joined = S(1)};
    assert_int_equal(acd_callback_add(a, 5, FR, &o, S(2)), 0);
    assert_int_equal(lg.dial_agent[0], 1);
    assert_int_equal(acd_agent_logout(a, 1, 42, S(3)), 0);
    assert_int_equal(lg.cancel_call[0], 5);
    assert_int_equal(state_of(a, 1), ACD_OFFLINE);
    assert_int_equal(last_ev(ACD_EV_AGENT_STATE)->by, 42);
    assert_int_equal(acd_callback_failed(a, 5, false, 0, S(4)), WASL_ECONFLICT); /* nobody reserved now */
    err_clear();
    acd_agent_available(a, 2, S(5));
    assert_int_equal(lg.ndials, 2);
    assert_int_equal(lg.dial_agent[1], 2);
    assert_int_equal(last_ev(ACD_EV_CALLBACK_RESERVED)->attempt, 1);
    acd_free(a);
    /* Without the dial hook, no callbacks at all. */
    struct acd_settings set = {.ring_timeout = S(15)};
    struct acd_hooks h = {.offer = on_offer};
    assert_int_equal(acd_new(&a, &h, &set), 0);
    struct acd_queue_def d = {.name = "fr", .language = FR, .service = "general"};
    acd_queue_add(a, &d, NULL);
    assert_int_equal(acd_callback_add(a, 1, 0, NULL, 0), WASL_EINVAL);
    assert_int_equal(acd_call_enqueue(a, 2, 0, NULL, 0), 0);
    assert_int_equal(acd_call_to_callback(a, 2, 0), WASL_EINVAL);
    assert_string_equal(err_code(), "acd.no_dial_hook");
    err_clear();
    acd_free(a);
}

static void views(void **state)
{
    struct acd *a = fresh(0);
    struct acd_agent_view v[4];
    struct acd_queue_view q;
    (void)state;
    ready(a, 1, (1u << FR) | (1u << AR), 0);
    assert_int_equal(login(a, 2, 1u << FR, 3, 0), 0);
    acd_call_enqueue(a, 1, FR, NULL, S(1));
    acd_call_answered(a, 1, 1, S(2));
    acd_call_enqueue(a, 2, FR, NULL, S(30)); /* waits: agent 2 is paused */
    assert_int_equal(acd_queue_get(a, FR, &q), 0);
    assert_int_equal(q.waiting, 1);
    assert_int_equal(q.agents[ACD_BUSY], 1);
    assert_int_equal(q.agents[ACD_PAUSED], 1);
    assert_int_equal(q.offered, 1);
    assert_int_equal(q.answered, 1);
    assert_int_equal(q.answered_in_sl, 1);
    assert_int_equal(acd_queue_get(a, 99, &q), WASL_ENOENT);
    err_clear();
    assert_int_equal(acd_agents(a, v, 4), 2);
    assert_int_equal(v[0].calls_today, 1);
    assert_int_equal(v[0].skills.nlanguages, 2);
    assert_int_equal(v[0].call, 1);
    acd_new_day(a);
    acd_agent_get(a, 1, &v[0]);
    assert_int_equal(v[0].calls_today, 0);
    assert_string_equal(acd_event_name(ACD_EV_CALLBACK_CANCELLED), "callback_cancelled");
    assert_string_equal(acd_exit_name(ACD_EXIT_NO_AGENTS), "no_agents");
    acd_free(a);
}

/* ---- a call handed to a named colleague ---- */

/* Blind transfer to agent 2: agent 1's talk ends (wrap-up), 2 rings as for
 * an offer; 2 answers and talks. A second blind transfer to 3, who lets it
 * ring: 3 is not paused for it and the call goes back to its place in the
 * French line (before a later caller), where agent 1, free again, takes it. */
static void transfer_blind_to_agent(void **state)
{
    struct acd *a = fresh(S(5));
    (void)state;
    ready(a, 1, 1u << FR, S(0));
    ready(a, 2, 1u << FR, S(1));
    ready(a, 3, 1u << FR, S(2));
    acd_call_enqueue(a, 100, FR, NULL, S(10));
    assert_int_equal(last_agent(), 1);
    acd_call_answered(a, 100, 1, S(11));
    assert_int_equal(acd_call_transfer(a, 100, 2, S(40)), 0);
    assert_int_equal(state_of(a, 1), ACD_WRAP_UP);
    assert_int_equal(last_ev(ACD_EV_ENDED)->agent, 1);
    assert_int_equal(last_ev(ACD_EV_ENDED)->talked, S(29));
    assert_int_equal(last_agent(), 2);
    assert_int_equal(state_of(a, 2), ACD_RINGING);
    assert_int_equal(acd_call_answered(a, 100, 2, S(42)), 0);
    assert_int_equal(state_of(a, 2), ACD_BUSY);
    /* errors */
    assert_int_equal(acd_call_transfer(a, 100, 2, S(43)), WASL_ECONFLICT);
    assert_string_equal(err_code(), "acd.same_agent");
    assert_int_equal(acd_call_transfer(a, 100, 9, S(43)), WASL_ENOENT);
    assert_string_equal(err_code(), "acd.unknown_agent");
    assert_int_equal(acd_call_transfer(a, 555, 3, S(43)), WASL_ENOENT);
    assert_string_equal(err_code(), "acd.unknown_call");
    acd_call_enqueue(a, 101, FR, NULL, S(44)); /* offered to agent 3 */
    assert_int_equal(last_agent(), 3);
    assert_int_equal(acd_call_transfer(a, 100, 3, S(45)), WASL_ECONFLICT);
    assert_string_equal(err_code(), "acd.agent_busy");
    assert_int_equal(acd_call_transfer(a, 101, 1, S(45)), WASL_ECONFLICT);
    assert_string_equal(err_code(), "acd.not_talking");
    acd_call_answered(a, 101, 3, S(46));
    acd_call_gone(a, 101, S(50));
    acd_agent_pause(a, 3, "back_office", 0, S(51));
    acd_agent_pause(a, 1, "break", 0, S(51));
    /* a paused colleague can be transferred to; they let it ring */
    assert_int_equal(acd_call_transfer(a, 100, 3, S(60)), 0);
    assert_int_equal(state_of(a, 3), ACD_RINGING);
    assert_int_equal(acd_agent_pause(a, 2, "break", 0, S(60)), 0); /* from wrap-up */
    acd_call_enqueue(a, 102, FR, NULL, S(61));                     /* a later caller: nobody free */
    acd_tick(a, S(76));                                            /* ring time-out */
    assert_int_equal(state_of(a, 3), ACD_PAUSED);
    struct acd_agent_view v;
    acd_agent_get(a, 3, &v);
    assert_string_equal(v.reason, "back_office");
    assert_int_equal(waiting(a, FR), 2);
    acd_agent_available(a, 1, S(80));
    assert_int_equal(last_call(), 100); /* its first arrival comes first */
    acd_free(a);
}

/* Consultation: agent 1 consults agent 2 (rung, then busy); cancelled, 2 is
 * available again and 1 still has the call. Again, and completed: 2 has the
 * call, 1 goes to wrap-up. The caller hangs up during a third consultation
 * (with 1 now as the colleague): 1 is released. */
static void consult_then_complete(void **state)
{
    struct acd *a = fresh(S(5));
    (void)state;
    ready(a, 1, 1u << FR, S(0));
    ready(a, 2, 1u << FR, S(1));
    acd_call_enqueue(a, 100, FR, NULL, S(10));
    acd_call_answered(a, 100, 1, S(11));
    assert_int_equal(acd_consult_complete(a, 100, S(12)), WASL_ENOENT);
    assert_string_equal(err_code(), "acd.no_consultation");
    assert_int_equal(acd_consult_ring(a, 100, 2, S(20)), 0);
    assert_int_equal(state_of(a, 2), ACD_RINGING);
    assert_int_equal(acd_consult_ring(a, 100, 2, S(20)), WASL_ECONFLICT);
    assert_string_equal(err_code(), "acd.consulting");
    /* a caller arriving meanwhile is not offered to the colleague */
    acd_call_enqueue(a, 101, FR, NULL, S(21));
    assert_int_equal(waiting(a, FR), 1);
    assert_int_equal(acd_consult_complete(a, 100, S(22)), WASL_ECONFLICT);
    assert_string_equal(err_code(), "acd.not_answered");
    assert_int_equal(acd_consult_answered(a, 100, S(23)), 0);
    assert_int_equal(state_of(a, 2), ACD_BUSY);
    assert_int_equal(acd_consult_end(a, 100, S(30)), 0);
    /* 2 is free again: takes the waiting caller 101 at once */
    assert_int_equal(last_call(), 101);
    assert_int_equal(last_agent(), 2);
    acd_call_answered(a, 101, 2, S(31));
    acd_call_gone(a, 101, S(32));
    acd_tick(a, S(37)); /* 2's wrap-up ends */
    assert_int_equal(state_of(a, 2), ACD_AVAILABLE);
    assert_int_equal(acd_consult_ring(a, 100, 2, S(40)), 0);
    assert_int_equal(acd_consult_answered(a, 100, S(41)), 0);
    assert_int_equal(acd_consult_complete(a, 100, S(50)), 0);
    assert_int_equal(state_of(a, 1), ACD_WRAP_UP);
    assert_int_equal(state_of(a, 2), ACD_BUSY);
    int q;
    int64_t ag;
    bool talking;
    assert_int_equal(acd_call_where(a, 100, &q, &ag, &talking), 0);
    assert_int_equal(ag, 2);
    assert_true(talking);
    acd_tick(a, S(55));
    assert_int_equal(state_of(a, 1), ACD_AVAILABLE);
    assert_int_equal(acd_consult_ring(a, 100, 1, S(60)), 0);
    int cancels = lg.ncancels;
    assert_int_equal(acd_call_gone(a, 100, S(61)), 0);
    assert_int_equal(lg.ncancels, cancels + 1); /* the colleague's phone stops */
    assert_int_equal(state_of(a, 1), ACD_AVAILABLE);
    assert_int_equal(state_of(a, 2), ACD_WRAP_UP);
    acd_free(a);
}

/* The colleague logs out while rung for a consultation: the consultation
 * is dropped (cancel hook), the call stays with its agent. */
static void consult_colleague_logs_out(void **state)
{
    struct acd *a = fresh(0);
    (void)state;
    ready(a, 1, 1u << FR, S(0));
    ready(a, 2, 1u << FR, S(1));
    acd_call_enqueue(a, 100, FR, NULL, S(10));
    acd_call_answered(a, 100, 1, S(11));
    assert_int_equal(acd_consult_ring(a, 100, 2, S(20)), 0);
    int cancels = lg.ncancels;
    assert_int_equal(acd_agent_logout(a, 2, 0, S(21)), 0);
    assert_int_equal(lg.ncancels, cancels + 1);
    assert_int_equal(state_of(a, 2), ACD_OFFLINE);
    assert_int_equal(state_of(a, 1), ACD_BUSY);
    assert_int_equal(acd_consult_end(a, 100, S(22)), WASL_ENOENT);
    acd_call_gone(a, 100, S(30));
    assert_int_equal(state_of(a, 1), ACD_AVAILABLE);
    acd_free(a);
}

/* A caller's own limits on a queue without any: their max wait (the
 * shorter of theirs and the queue's), and leaving when the last agent who
 * could take them logs out; a caller without them stays. */
static void caller_limits(void **state)
{
    struct acd *a = fresh(0);
    (void)state;
    struct acd_call_opts mine = {.max_wait = S(30), .exit_no_agents = true};
    assert_int_equal(acd_call_enqueue(a, 100, FR, &mine, S(0)), 0);
    assert_int_equal(lg.nexits, 1); /* nobody logged in at all: leaves at once */
    assert_int_equal(lg.exit_why[0], ACD_EXIT_NO_AGENTS);
    assert_int_equal(login(a, 1, 1u << FR, 3, S(1)), 0); /* logged in, paused */
    assert_int_equal(acd_call_enqueue(a, 101, FR, &mine, S(10)), 0);
    assert_int_equal(acd_call_enqueue(a, 102, FR, NULL, S(11)), 0);
    struct acd_call_opts other = {.exit_no_agents = true};
    assert_int_equal(acd_call_enqueue(a, 103, FR, &other, S(12)), 0);
    assert_int_equal(acd_tick(a, S(39)), S(40));
    assert_int_equal(lg.nexits, 1);
    acd_tick(a, S(40));
    assert_int_equal(lg.nexits, 2);
    assert_int_equal(lg.exit_call[1], 101);
    assert_int_equal(lg.exit_why[1], ACD_EXIT_MAX_WAIT);
    assert_int_equal(acd_agent_logout(a, 1, 0, S(50)), 0);
    assert_int_equal(lg.nexits, 3);
    assert_int_equal(lg.exit_call[2], 103);
    assert_int_equal(lg.exit_why[2], ACD_EXIT_NO_AGENTS);
    assert_int_equal(waiting(a, FR), 1); /* 102 waits on */
    struct acd_call_opts bad = {.max_wait = -1};
    assert_int_equal(acd_call_enqueue(a, 104, FR, &bad, S(60)), WASL_EINVAL);
    acd_free(a);
}

/* A caller who accepted a second language does not leave for "nobody
 * logged in" while an agent of that language is; they leave when that
 * agent logs out. */
static void second_language_counts_as_somebody(void **state)
{
    struct acd *a = fresh(0);
    (void)state;
    assert_int_equal(login(a, 1, 1u << FR, 3, S(0)), 0); /* paused: logged in, takes nothing */
    struct acd_call_opts es = {.exit_no_agents = true, .has_language2 = true, .language2 = FR};
    assert_int_equal(acd_call_enqueue(a, 100, ES, &es, S(1)), 0);
    assert_int_equal(lg.nexits, 0);
    assert_int_equal(waiting(a, ES), 1);
    struct acd_call_opts alone = {.exit_no_agents = true};
    assert_int_equal(acd_call_enqueue(a, 101, ES, &alone, S(2)), 0);
    assert_int_equal(lg.nexits, 1); /* no second language: nobody for them */
    assert_int_equal(acd_agent_logout(a, 1, 0, S(3)), 0);
    assert_int_equal(lg.nexits, 2);
    assert_int_equal(lg.exit_call[1], 100);
    assert_int_equal(lg.exit_why[1], ACD_EXIT_NO_AGENTS);
    acd_free(a);
}

/* ---- a supervisor moves a waiting caller (acd_call_move) ---- */

static int place_of(struct acd *a, uint64_t call)
{
    int place;
    int64_t wait;
    assert_int_equal(acd_call_estimate(a, call, &place, &wait), 0);
    return place;
}

/* A French agent (1) and an Arabic one (2) logged in, paused: the queues
 * keep their callers and nobody takes one yet. */
static struct acd *paused_fr_ar(void)
{
    struct acd *a = fresh(0);
    assert_int_equal(login(a, 1, 1u << FR, 3, S(0)), 0);
    assert_int_equal(login(a, 2, 1u << AR, 3, S(0)), 0);
    return a;
}

static void move_keeps_arrival_and_priority(void **state)
{
    struct acd *a = paused_fr_ar();
    (void)state;
    assert_int_equal(acd_call_enqueue(a, 201, FR, NULL, S(10)), 0);
    assert_int_equal(acd_call_enqueue(a, 301, AR, NULL, S(15)), 0);
    assert_int_equal(acd_call_enqueue(a, 202, FR, NULL, S(20)), 0);
    /* 202 arrived after 301: second in the Arabic queue. */
    assert_int_equal(acd_call_move(a, 202, AR, 77, S(30)), 0);
    const struct acd_event *m = last_ev(ACD_EV_MOVED);
    assert_int_equal(m->call, 202);
    assert_int_equal(m->queue, AR);
    assert_int_equal(m->from_queue, FR);
    assert_int_equal(m->by, 77);
    assert_int_equal(m->position, 2);
    assert_int_equal(m->waited, S(10)); /* its wait goes on from its arrival */
    assert_int_equal(waiting(a, FR), 1);
    assert_int_equal(waiting(a, AR), 2);
    /* 201 arrived first of all: first in the Arabic queue. */
    assert_int_equal(acd_call_move(a, 201, AR, 77, S(40)), 0);
    assert_int_equal(last_ev(ACD_EV_MOVED)->position, 1);
    assert_int_equal(place_of(a, 201), 1);
    assert_int_equal(place_of(a, 301), 2);
    assert_int_equal(place_of(a, 202), 3);
    struct acd_queue_view v;
    assert_int_equal(acd_queue_get(a, AR, &v), 0);
    assert_int_equal(v.oldest_since, S(10));
    /* A priority caller, the latest of all, keeps its priority: first. */
    struct acd_call_opts urgent = {.priority = 2};
    assert_int_equal(acd_call_enqueue(a, 203, FR, &urgent, S(50)), 0);
    assert_int_equal(acd_call_move(a, 203, AR, 77, S(51)), 0);
    assert_int_equal(last_ev(ACD_EV_MOVED)->position, 1);
    assert_int_equal(last_ev(ACD_EV_MOVED)->priority, 2);
    assert_int_equal(waiting(a, FR), 0);
    /* The Arabic agent takes them in that order; the service level counts from the first arrival. */
    int n = lg.noffers;
    assert_int_equal(acd_agent_available(a, 2, S(60)), 0);
    assert_int_equal(lg.noffers, n + 1);
    assert_int_equal(last_call(), 203);
    assert_int_equal(last_ev(ACD_EV_OFFERED)->queue, AR);
    assert_int_equal(acd_call_answered(a, 203, 2, S(61)), 0);
    assert_int_equal(last_ev(ACD_EV_ANSWERED)->waited, S(11));
    assert_int_equal(acd_call_gone(a, 203, S(70)), 0);
    assert_int_equal(last_call(), 201);
    acd_free(a);
}

static void move_refusals(void **state)
{
    struct acd *a = paused_fr_ar();
    (void)state;
    assert_int_equal(acd_call_enqueue(a, 201, FR, NULL, S(10)), 0);
    /* The same queue. */
    assert_int_equal(acd_call_move(a, 201, FR, 77, S(11)), WASL_ECONFLICT);
    assert_string_equal(err_code(), "acd.same_queue");
    err_clear();
    /* No such queue. */
    assert_int_equal(acd_call_move(a, 201, NLANG, 77, S(11)), WASL_EINVAL);
    assert_string_equal(err_code(), "acd.invalid_queue");
    err_clear();
    assert_int_equal(acd_call_move(a, 201, -1, 77, S(11)), WASL_EINVAL);
    err_clear();
    /* A queue nobody who could take it is logged in for: refused, the caller stays. */
    int before = lg.nev;
    assert_int_equal(acd_call_move(a, 201, NL, 77, S(12)), WASL_ECONFLICT);
    assert_string_equal(err_code(), "acd.no_agents");
    err_clear();
    assert_int_equal(lg.nev, before); /* nothing happened */
    assert_int_equal(waiting(a, FR), 1);
    assert_int_equal(place_of(a, 201), 1);
    /* ... unless the caller's second language is served in that service. */
    struct acd_call_opts two = {.has_language2 = true, .language2 = AR};
    assert_int_equal(acd_call_enqueue(a, 202, FR, &two, S(13)), 0);
    assert_int_equal(acd_call_move(a, 202, NL, 77, S(14)), 0);
    assert_int_equal(waiting(a, NL), 1);
    /* Gone meanwhile: unknown. */
    assert_int_equal(acd_call_gone(a, 201, S(15)), 0);
    assert_int_equal(acd_call_move(a, 201, AR, 77, S(16)), WASL_ENOENT);
    assert_string_equal(err_code(), "acd.unknown_call");
    err_clear();
    /* Talking: not waiting any more. */
    assert_int_equal(acd_call_enqueue(a, 203, FR, NULL, S(20)), 0);
    assert_int_equal(acd_agent_available(a, 1, S(21)), 0);
    assert_int_equal(acd_call_answered(a, 203, 1, S(22)), 0);
    assert_int_equal(acd_call_move(a, 203, AR, 77, S(23)), WASL_ECONFLICT);
    assert_string_equal(err_code(), "acd.not_waiting");
    err_clear();
    /* A callback request keeps its queue. */
    assert_int_equal(acd_call_enqueue(a, 204, FR, NULL, S(24)), 0);
    assert_int_equal(acd_call_to_callback(a, 204, S(25)), 0);
    assert_int_equal(acd_call_move(a, 204, AR, 77, S(26)), WASL_ECONFLICT);
    assert_string_equal(err_code(), "acd.not_waiting");
    err_clear();
    acd_free(a);
}

static void move_while_ringing(void **state)
{
    struct acd *a = fresh(0); /* a ring-no-answer pauses (no_answer_pause) */
    (void)state;
    ready(a, 3, 1u << FR, S(0));
    assert_int_equal(login(a, 2, 1u << AR, 3, S(0)), 0);
    assert_int_equal(acd_call_enqueue(a, 204, FR, NULL, S(10)), 0);
    assert_int_equal(state_of(a, 3), ACD_RINGING);
    int cancels = lg.ncancels;
    assert_int_equal(acd_call_move(a, 204, AR, 77, S(12)), 0);
    /* The French phone stops ringing; its agent is free, not paused for a ring-no-answer. */
    assert_int_equal(lg.ncancels, cancels + 1);
    assert_int_equal(lg.cancel_call[cancels], 204);
    assert_int_equal(lg.cancel_agent[cancels], 3);
    assert_string_equal(last_ev(ACD_EV_RING_CANCELLED)->reason, "moved");
    assert_int_equal(last_ev(ACD_EV_RING_CANCELLED)->queue, FR);
    assert_int_equal(lg.kinds[ACD_EV_NOT_ANSWERED], 0);
    assert_int_equal(state_of(a, 3), ACD_AVAILABLE);
    assert_int_equal(last_ev(ACD_EV_MOVED)->position, 1);
    assert_int_equal(waiting(a, AR), 1);
    /* The ring's time-out is gone with it: nothing comes back at 25 s. */
    acd_tick(a, S(30));
    assert_int_equal(waiting(a, AR), 1);
    assert_int_equal(state_of(a, 3), ACD_AVAILABLE);
    /* The Arabic agent becomes ready and is offered the call. */
    assert_int_equal(acd_agent_available(a, 2, S(40)), 0);
    assert_int_equal(last_call(), 204);
    assert_int_equal(last_agent(), 2);
    acd_free(a);
}

/* Widening by the whole wait, the maximum wait from the move. */
static void move_limits(void **state)
{
    struct acd *a = make(0, true);
    (void)state;
    struct acd_queue_def fr = {.name = "fr", .language = FR, .service = "general", .min_proficiency = 3, .max_wait = S(60)};
    struct acd_queue_def ar = {.name = "ar",
                               .language = AR,
                               .service = "general",
                               .min_proficiency = 3,
                               .max_wait = S(60),
                               .nwiden = 1,
                               .widen = {{S(30), 1, false}}};
    int qf, qa;
    assert_int_equal(acd_queue_add(a, &fr, &qf), 0);
    assert_int_equal(acd_queue_add(a, &ar, &qa), 0);
    assert_int_equal(login(a, 1, 1u << FR, 3, S(0)), 0);
    assert_int_equal(login(a, 2, 1u << AR, 1, S(0)), 0); /* proficiency 1: only once the queue widened */
    assert_int_equal(acd_call_enqueue(a, 500, qf, NULL, S(0)), 0);
    assert_int_equal(acd_call_move(a, 500, qa, 77, S(50)), 0);
    assert_int_equal(last_ev(ACD_EV_MOVED)->step, 0); /* waited 50 s > 30 s: widened at once */
    assert_int_equal(lg.kinds[ACD_EV_WIDENED], 0);
    /* Not let go at 60 s from its arrival: 60 s from the move. */
    assert_int_equal(acd_tick(a, S(100)), S(110));
    assert_int_equal(lg.nexits, 0);
    acd_tick(a, S(110));
    assert_int_equal(lg.nexits, 1);
    assert_int_equal(lg.exit_why[0], ACD_EXIT_MAX_WAIT);
    assert_int_equal(last_ev(ACD_EV_EXIT)->queue, qa);
    assert_int_equal(last_ev(ACD_EV_EXIT)->waited, S(110));
    /* Widened in the new queue: the agent of proficiency 1 takes a moved caller at once. */
    assert_int_equal(acd_call_enqueue(a, 501, qf, NULL, S(200)), 0);
    assert_int_equal(acd_agent_available(a, 2, S(201)), 0);
    int n = lg.noffers;
    assert_int_equal(acd_call_move(a, 501, qa, 77, S(240)), 0);
    assert_int_equal(lg.noffers, n + 1);
    assert_int_equal(last_call(), 501);
    assert_int_equal(last_agent(), 2);
    acd_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(longest_idle_first),
        cmocka_unit_test(language_routing_and_oldest_first),
        cmocka_unit_test(ring_timeout_and_decline),
        cmocka_unit_test(abandon_and_wrap_up),
        cmocka_unit_test(place_and_estimate),
        cmocka_unit_test(queues_are_data),
        cmocka_unit_test(strategies),
        cmocka_unit_test(ring_all),
        cmocka_unit_test(priority_then_arrival),
        cmocka_unit_test(two_queues_one_agent),
        cmocka_unit_test(widening),
        cmocka_unit_test(second_language_agent_side),
        cmocka_unit_test(exits),
        cmocka_unit_test(pause_reasons_and_no_answer),
        cmocka_unit_test(agent_transitions),
        cmocka_unit_test(logout_while_ringing),
        cmocka_unit_test(hang_up_at_the_bridge),
        cmocka_unit_test(forced_while_on_a_call),
        cmocka_unit_test(callback_keeps_its_place),
        cmocka_unit_test(callbacks_from_the_night),
        cmocka_unit_test(callback_caller_calls_again),
        cmocka_unit_test(callback_agent_leaves_while_reserved),
        cmocka_unit_test(views),
        cmocka_unit_test(transfer_blind_to_agent),
        cmocka_unit_test(consult_then_complete),
        cmocka_unit_test(consult_colleague_logs_out),
        cmocka_unit_test(caller_limits),
        cmocka_unit_test(move_keeps_arrival_and_priority),
        cmocka_unit_test(move_refusals),
        cmocka_unit_test(move_while_ringing),
        cmocka_unit_test(move_limits),
        cmocka_unit_test(second_language_counts_as_somebody),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
