/*
 * The figures of a scripted ten minutes (docs/metrics.md), computed by hand:
 * five calls and two agents, with a hold, a short and a long abandon, a
 * ring-no-answer, a transfer to another queue, a caller sent on for want of
 * agents, one still waiting, and a pause. The same day written to the event
 * log (SQLite, or PostgreSQL when WASL_TEST_DB names a database) and read
 * back gives the same figures.
 */
#include <math.h>

#include "stats_test.h"
#include "stats/stats.h"

#define T0 INT64_C(1796637600) /* 2026-12-07T10:00:00Z */
#define AT(m, s) ((T0 + (m)*60 + (s)) * WTIME_SEC)
#define A1 101
#define A2 102

static struct ev day[64];
static int nday;

static void add(enum ev_kind k, int64_t at, int64_t call, int64_t agent, const char *queue, const char *a, const char *b, int64_t n)
{
    struct ev *e = &day[nday++];
    memset(e, 0, sizeof(*e));
    e->kind = k;
    e->at = at;
    e->call = call;
    e->agent = agent;
    snprintf(e->queue, sizeof(e->queue), "%s", queue ? queue : "");
    snprintf(e->a, sizeof(e->a), "%s", a ? a : "");
    snprintf(e->b, sizeof(e->b), "%s", b ? b : "");
    e->n = n;
}

static void state(int64_t at, int64_t agent, const char *s, int64_t call, const char *reason)
{
    add(EV_AGENT_STATE, at, call, agent, NULL, s, reason, 0);
}

static void script(void)
{
    nday = 0;
    state(AT(-10, 0), A1, "available", 0, NULL); /* before the period: clipped */
    state(AT(-5, 0), A2, "available", 0, NULL);
    /* 1: France, French, answered in 15 s by A1, 30 s on hold, 180 s in all, 60 s of wrap-up */
    add(EV_CALL_ARRIVED, AT(0, 0), 1, 0, NULL, "+33800100200", "FR", 0);
    add(EV_CALL_LANGUAGE, AT(0, 5), 1, 0, NULL, "fr", NULL, 0);
    add(EV_QUEUE_JOINED, AT(0, 10), 1, 0, "fr", "general", NULL, 1);
    state(AT(0, 10), A1, "ringing", 1, NULL);
    add(EV_CALL_OFFERED, AT(0, 10), 1, A1, "fr", "sip:agent1", NULL, 0);
    add(EV_CALL_ANSWERED, AT(0, 25), 1, A1, "fr", NULL, NULL, 15000);
    state(AT(0, 25), A1, "busy", 1, NULL);
    /* 2: Belgium, Dutch, hangs up after 3 s: a short abandon */
    add(EV_CALL_ARRIVED, AT(1, 0), 2, 0, NULL, "+3280010020", "BE", 0);
    add(EV_CALL_LANGUAGE, AT(1, 5), 2, 0, NULL, "nl", NULL, 0);
    add(EV_CALL_HELD, AT(1, 0), 1, A1, "fr", NULL, NULL, 0);
    add(EV_QUEUE_JOINED, AT(1, 10), 2, 0, "nl", "general", NULL, 1);
    add(EV_CALL_ABANDONED, AT(1, 13), 2, 0, "nl", NULL, NULL, 3000);
    add(EV_CALL_ENDED, AT(1, 13), 2, 0, NULL, "abandoned", NULL, 3000);
    add(EV_CALL_RESUMED, AT(1, 30), 1, A1, "fr", NULL, NULL, 30000);
    /* 3: France, French; A2 does not answer, then answers after 30 s and
     * sends the caller to the Dutch queue, where they give up after 60 s */
    add(EV_CALL_ARRIVED, AT(2, 0), 3, 0, NULL, "+33800100200", "FR", 0);
    add(EV_CALL_LANGUAGE, AT(2, 5), 3, 0, NULL, "fr", NULL, 0);
    add(EV_QUEUE_JOINED, AT(2, 10), 3, 0, "fr", "general", NULL, 1);
    state(AT(2, 10), A2, "ringing", 3, NULL);
    add(EV_CALL_NOT_ANSWERED, AT(2, 25), 3, A2, "fr", "timeout", NULL, 15000);
    state(AT(2, 25), A2, "available", 0, NULL);
    state(AT(2, 30), A2, "ringing", 3, NULL);
    add(EV_CALL_ANSWERED, AT(2, 40), 3, A2, "fr", NULL, NULL, 30000);
    state(AT(2, 40), A2, "busy", 3, NULL);
    add(EV_CALL_ENDED, AT(3, 25), 1, A1, NULL, "answered", NULL, 15000);
    state(AT(3, 25), A1, "wrap_up", 1, NULL);
    state(AT(4, 25), A1, "available", 0, NULL);
    state(AT(5, 0), A1, "paused", 0, "break");
    add(EV_CALL_TRANSFERRED, AT(5, 40), 3, A2, "fr", "queue", "nl", A2);
    add(EV_QUEUE_JOINED, AT(5, 40), 3, 0, "nl", "", NULL, 1);
    state(AT(5, 40), A2, "wrap_up", 3, NULL);
    state(AT(6, 10), A2, "available", 0, NULL);
    add(EV_CALL_ABANDONED, AT(6, 40), 3, 0, "nl", NULL, NULL, 60000);
    add(EV_CALL_ENDED, AT(6, 40), 3, 0, NULL, "abandoned", NULL, 30000);
    /* 4: Spain, Spanish, nobody logged in for it: sent on */
    add(EV_CALL_ARRIVED, AT(7, 0), 4, 0, NULL, "+34900100200", "ES", 0);
    add(EV_CALL_LANGUAGE, AT(7, 5), 4, 0, NULL, "es", NULL, 0);
    state(AT(7, 0), A1, "available", 0, NULL);
    add(EV_QUEUE_JOINED, AT(7, 10), 4, 0, "es", "general", NULL, 1);
    add(EV_QUEUE_LEFT, AT(7, 10), 4, 0, "es", "no_agents", NULL, 0);
    /* 5: France, French, still waiting when the period ends */
    add(EV_CALL_ARRIVED, AT(8, 0), 5, 0, NULL, "+33800100200", "FR", 0);
    add(EV_CALL_LANGUAGE, AT(8, 5), 5, 0, NULL, "fr", NULL, 0);
    add(EV_QUEUE_JOINED, AT(8, 10), 5, 0, "fr", "general", NULL, 1);
}

static struct stats_report *run(unsigned by, const struct stats_threshold *th, int nth)
{
    struct stats_query q = {.from = AT(0, 0),
                            .to = AT(10, 0),
                            .by = by,
                            .bucket_s = 900,
                            .sl_threshold_s = 20,
                            .thresholds = th,
                            .nthresholds = nth,
                            .short_abandon_s = 5,
                            .tz = "UTC"};
    struct stats_report *r;
    script();
    assert_int_equal(stats_report_new(&q, &r), 0);
    for (int i = 0; i < nday; i++)
        assert_int_equal(stats_report_event(r, &day[i]), 0);
    assert_int_equal(stats_report_finish(r, AT(10, 0)), 0);
    return r;
}

static const struct stats_row *row(const struct stats_report *r, const char *key)
{
    const struct stats_row *rows;
    int n = stats_report_rows(r, &rows);
    for (int i = 0; i < n; i++)
        if (!strcmp(rows[i].key, key))
            return &rows[i];
    fail_msg("no row %s", key);
    return NULL;
}

#define NEAR(a, b) assert_true(fabs((a) - (b)) < 1e-9)

static void the_whole_center(void **state)
{
    (void)state;
    struct stats_report *r = run(0, NULL, 0);
    const struct stats_row *x = row(r, "all");
    /* offered = answered + abandoned + sent on + still waiting */
    assert_int_equal(x->offered, 6);
    assert_int_equal(x->answered, 2);
    assert_int_equal(x->abandoned, 2);
    assert_int_equal(x->short_abandons, 1);
    assert_int_equal(x->sent_on, 1);
    assert_int_equal(x->waiting, 1);
    assert_int_equal(x->offered, x->answered + x->abandoned + x->sent_on + x->waiting);
    assert_int_equal(x->answered_within, 1);
    assert_int_equal(x->abandoned_within, 1);
    assert_int_equal(x->wait_answered_ms, 45000);
    assert_int_equal(x->wait_max_ms, 110000); /* call 5, still waiting at 10:10 */
    assert_int_equal(x->handled, 2);
    assert_int_equal(x->talk_ms, 330000); /* 150 s + 180 s */
    assert_int_equal(x->hold_ms, 30000);
    assert_int_equal(x->wrap_ms, 90000);
    assert_int_equal(x->transfers, 1);
    assert_int_equal(x->rings_unanswered, 1);
    NEAR(stats_sl_answered(x), 0.5);
    NEAR(stats_sl_offered(x), 0.25); /* 1 / (6 - 1 short - 1 waiting) */
    NEAR(stats_abandon_rate(x), 0.25);
    NEAR(stats_asa_s(x), 22.5);
    NEAR(stats_aht_s(x), 225); /* (330 + 30 + 90) / 2 */
    /* the agents' ten minutes each */
    assert_int_equal(x->state_ms[SA_AVAILABLE], 590000);
    assert_int_equal(x->state_ms[SA_RINGING], 40000);
    assert_int_equal(x->state_ms[SA_BUSY], 360000);
    assert_int_equal(x->state_ms[SA_WRAP_UP], 90000);
    assert_int_equal(x->state_ms[SA_PAUSED], 120000);
    int64_t all = 0;
    for (int s = 0; s < SA_STATES; s++)
        all += x->state_ms[s];
    assert_int_equal(all, 2 * 600000);
    NEAR(stats_occupancy(x), 450.0 / 1080.0);
    NEAR(stats_utilisation(x), 450.0 / 1200.0);
    const char(*reasons)[32];
    const int64_t *ms;
    assert_int_equal(stats_report_pauses(r, &reasons, &ms), 1);
    assert_string_equal(reasons[0], "break");
    assert_int_equal(ms[0], 120000);
    stats_report_free(r);
}

static void by_queue_country_agent_interval(void **state)
{
    (void)state;
    struct stats_report *r = run(STATS_BY(SD_QUEUE), NULL, 0);
    const struct stats_row *fr = row(r, "fr"), *nl = row(r, "nl"), *es = row(r, "es");
    assert_int_equal(fr->offered, 3);
    assert_int_equal(fr->answered, 2);
    assert_int_equal(fr->waiting, 1);
    assert_int_equal(nl->offered, 2);
    assert_int_equal(nl->abandoned, 2);
    assert_int_equal(nl->short_abandons, 1);
    assert_int_equal(es->sent_on, 1);
    NEAR(stats_occupancy(fr), -1); /* agents' time is not a queue's */
    stats_report_free(r);

    r = run(STATS_BY(SD_COUNTRY), NULL, 0);
    assert_int_equal(row(r, "FR")->offered, 4); /* 1, 3 in fr then in nl, 5 */
    assert_int_equal(row(r, "BE")->offered, 1);
    assert_int_equal(row(r, "ES")->offered, 1);
    stats_report_free(r);

    r = run(STATS_BY(SD_AGENT), NULL, 0);
    const struct stats_row *a1 = row(r, "101"), *a2 = row(r, "102");
    assert_int_equal(a1->answered, 1);
    assert_int_equal(a1->talk_ms + a1->hold_ms + a1->wrap_ms, 240000);
    assert_int_equal(a2->answered, 1);
    assert_int_equal(a2->transfers, 1);
    assert_int_equal(a1->state_ms[SA_PAUSED], 120000);
    assert_int_equal(a2->state_ms[SA_BUSY], 180000);
    NEAR(stats_occupancy(a2), 210.0 / 600.0); /* 25 s ringing, 365 s available */
    stats_report_free(r);

    r = run(STATS_BY(SD_INTERVAL), NULL, 0);
    const struct stats_row *rows;
    assert_int_equal(stats_report_rows(r, &rows), 1);
    assert_string_equal(rows[0].key, "2026-12-07T10:00");
    assert_int_equal(rows[0].offered, 6);
    stats_report_free(r);
}

/* Cut by several dimensions at once; the rows of a cross add up to the
 * rows of each of its dimensions. Consulates come from the desk's records:
 * call 1 was about a case of Paris, call 3 about one of Brussels. */
static const char *consulate_of(int64_t call, void *arg)
{
    (void)arg;
    return call == 1 ? "paris" : call == 3 ? "brussels" : "";
}

static void by_several_dimensions(void **state)
{
    (void)state;
    struct stats_report *r = run(STATS_BY(SD_COUNTRY) | STATS_BY(SD_LANGUAGE) | STATS_BY(SD_SERVICE), NULL, 0);
    const struct stats_row *rows;
    int n = stats_report_rows(r, &rows);
    const struct stats_row *fr = row(r, "FR|fr|general");
    assert_int_equal(fr->offered, 4); /* call 3 twice: in fr, then in nl (a French speaker still) */
    assert_int_equal(fr->answered, 2);
    assert_int_equal(fr->abandoned, 1);
    assert_int_equal(fr->waiting, 1);
    assert_string_equal(fr->value[SD_COUNTRY], "FR");
    assert_string_equal(fr->value[SD_LANGUAGE], "fr");
    assert_string_equal(fr->value[SD_SERVICE], "general");
    assert_string_equal(fr->value[SD_QUEUE], ""); /* not asked */
    assert_int_equal(row(r, "BE|nl|general")->short_abandons, 1);
    assert_int_equal(row(r, "ES|es|general")->sent_on, 1);
    int64_t offered = 0;
    for (int i = 0; i < n; i++) {
        offered += rows[i].offered;
        NEAR(stats_occupancy(&rows[i]), -1); /* agents' time is in no such row */
    }
    assert_int_equal(offered, 6);
    assert_int_equal(stats_report_by(r), STATS_BY(SD_COUNTRY) | STATS_BY(SD_LANGUAGE) | STATS_BY(SD_SERVICE));
    stats_report_free(r);

    /* agent x interval: the agents' time is split per agent and bucket */
    r = run(STATS_BY(SD_AGENT) | STATS_BY(SD_INTERVAL), NULL, 0);
    const struct stats_row *a1 = row(r, "2026-12-07T10:00|101");
    assert_int_equal(a1->answered, 1);
    assert_int_equal(a1->state_ms[SA_PAUSED], 120000);
    stats_report_free(r);

    /* consulate x country, through the query's lookup */
    struct stats_query q = {.from = AT(0, 0),
                            .to = AT(10, 0),
                            .by = STATS_BY(SD_CONSULATE) | STATS_BY(SD_COUNTRY),
                            .sl_threshold_s = 20,
                            .short_abandon_s = 5,
                            .tz = "UTC",
                            .consulate_of = consulate_of};
    assert_int_equal(stats_report_new(&q, &r), 0);
    script();
    for (int i = 0; i < nday; i++)
        assert_int_equal(stats_report_event(r, &day[i]), 0);
    assert_int_equal(stats_report_finish(r, AT(10, 0)), 0);
    assert_int_equal(row(r, "FR|paris")->answered, 1);
    assert_int_equal(row(r, "FR|brussels")->offered, 2); /* both of call 3's stays */
    assert_int_equal(row(r, "FR|")->offered, 1);         /* call 5: no case */
    assert_int_equal(row(r, "BE|")->offered, 1);
    stats_report_free(r);
}

static void the_dimensions_asked(void **state)
{
    (void)state;
    unsigned by;
    char name[96];
    assert_int_equal(stats_dims_parse("total", &by), 0);
    assert_int_equal(by, 0);
    stats_dims_format(by, name, sizeof(name));
    assert_string_equal(name, "total");
    assert_int_equal(stats_dims_parse("language,country,consulate", &by), 0);
    assert_int_equal(by, STATS_BY(SD_LANGUAGE) | STATS_BY(SD_COUNTRY) | STATS_BY(SD_CONSULATE));
    stats_dims_format(by, name, sizeof(name));
    assert_string_equal(name, "country,language,consulate"); /* the canonical order */
    assert_int_equal(stats_dims_parse("country,country", &by), WASL_EINVAL);
    assert_string_equal(err_code(), "stats.invalid_slice");
    assert_int_equal(stats_dims_parse("country,", &by), WASL_EINVAL);
    assert_int_equal(stats_dims_parse(",country", &by), WASL_EINVAL);
    assert_int_equal(stats_dims_parse("planet", &by), WASL_EINVAL);
    assert_int_equal(stats_dims_parse("", &by), WASL_EINVAL);
    assert_int_equal(stats_dims_parse("total,country", &by), WASL_EINVAL);
}

static void a_queue_threshold_of_its_own(void **state)
{
    (void)state;
    /* the Dutch queue counts 60 s: its long abandon is within it; French 30 s: call 3 is */
    static const struct stats_threshold th[] = {{"nl", 60}, {"fr", 30}};
    struct stats_report *r = run(0, th, 2);
    const struct stats_row *x = row(r, "all");
    assert_int_equal(x->answered_within, 2);
    assert_int_equal(x->abandoned_within, 2);
    stats_report_free(r);
}

/* Waiting callers a supervisor moved (queue.left why moved, queue.joined
 * from): one segment each, counted in the queue they were moved to, with
 * their wait from their first arrival; the identity holds in every row. */
static void a_day_with_moves(void **unused)
{
    (void)unused;
    nday = 0;
    state(AT(-1, 0), A1, "available", 0, NULL);
    /* 11: French queue, moved to Arabic after 30 s, answered there 60 s after arriving */
    add(EV_CALL_ARRIVED, AT(0, 0), 11, 0, NULL, "+33800100200", "FR", 0);
    add(EV_QUEUE_JOINED, AT(0, 10), 11, 0, "fr", "general", NULL, 1);
    add(EV_QUEUE_LEFT, AT(0, 40), 11, 0, "fr", "moved", "ar", 30000);
    add(EV_QUEUE_JOINED, AT(0, 40), 11, 0, "ar", "", "fr", 1);
    add(EV_CALL_ANSWERED, AT(1, 10), 11, A1, "ar", NULL, NULL, 60000);
    add(EV_CALL_ENDED, AT(2, 10), 11, A1, NULL, "answered", NULL, 60000);
    /* 12: moved twice (fr, nl, ar), gives up 60 s after arriving */
    add(EV_CALL_ARRIVED, AT(1, 0), 12, 0, NULL, "+33800100200", "FR", 0);
    add(EV_QUEUE_JOINED, AT(1, 0), 12, 0, "fr", "general", NULL, 1);
    add(EV_QUEUE_LEFT, AT(1, 20), 12, 0, "fr", "moved", "nl", 20000);
    add(EV_QUEUE_JOINED, AT(1, 20), 12, 0, "nl", "", "fr", 1);
    add(EV_QUEUE_LEFT, AT(1, 30), 12, 0, "nl", "moved", "ar", 30000);
    add(EV_QUEUE_JOINED, AT(1, 30), 12, 0, "ar", "", "nl", 1);
    add(EV_CALL_ABANDONED, AT(2, 0), 12, 0, "ar", NULL, NULL, 60000);
    add(EV_CALL_ENDED, AT(2, 0), 12, 0, NULL, "abandoned", NULL, 60000);
    /* 13: moved to Spanish, still waiting at the end */
    add(EV_CALL_ARRIVED, AT(2, 0), 13, 0, NULL, "+33800100200", "FR", 0);
    add(EV_QUEUE_JOINED, AT(2, 0), 13, 0, "fr", "general", NULL, 1);
    add(EV_QUEUE_LEFT, AT(2, 30), 13, 0, "fr", "moved", "es", 30000);
    add(EV_QUEUE_JOINED, AT(2, 30), 13, 0, "es", "", "fr", 1);
    /* 14: straight into the Arabic queue, answered */
    add(EV_CALL_ARRIVED, AT(3, 0), 14, 0, NULL, "+21280010020", "MA", 0);
    add(EV_QUEUE_JOINED, AT(3, 0), 14, 0, "ar", "general", NULL, 1);
    add(EV_CALL_ANSWERED, AT(3, 5), 14, A1, "ar", NULL, NULL, 5000);
    static const unsigned bys[] = {0, STATS_BY(SD_QUEUE), STATS_BY(SD_COUNTRY) | STATS_BY(SD_SERVICE) | STATS_BY(SD_INTERVAL)};
    for (int k = 0; k < 3; k++) {
        struct stats_query q = {.from = AT(0, 0),
                                .to = AT(10, 0),
                                .by = bys[k],
                                .bucket_s = 900,
                                .sl_threshold_s = 20,
                                .short_abandon_s = 5,
                                .tz = "UTC"};
        struct stats_report *r;
        const struct stats_row *rows;
        assert_int_equal(stats_report_new(&q, &r), 0);
        for (int i = 0; i < nday; i++)
            assert_int_equal(stats_report_event(r, &day[i]), 0);
        assert_int_equal(stats_report_finish(r, AT(4, 0)), 0);
        int n = stats_report_rows(r, &rows);
        for (int i = 0; i < n; i++)
            assert_int_equal(rows[i].offered, rows[i].answered + rows[i].abandoned + rows[i].sent_on + rows[i].waiting);
        if (k == 0) {
            const struct stats_row *x = row(r, "all");
            assert_int_equal(x->offered, 4); /* a moved caller once */
            assert_int_equal(x->answered, 2);
            assert_int_equal(x->abandoned, 1);
            assert_int_equal(x->sent_on, 0); /* a move is no fate */
            assert_int_equal(x->waiting, 1);
            assert_int_equal(x->wait_answered_ms, 65000); /* 60 s from the first arrival, and 5 s */
            assert_int_equal(x->answered_within, 1);
            assert_int_equal(x->wait_max_ms, 120000); /* 13, from 10:02:00 to 10:04:00 */
        } else if (k == 1) {
            assert_int_equal(n, 2); /* ar and es: nothing stays counted in fr or nl */
            const struct stats_row *ar = row(r, "ar"), *es = row(r, "es");
            assert_int_equal(ar->offered, 3);
            assert_int_equal(ar->answered, 2);
            assert_int_equal(ar->abandoned, 1);
            assert_int_equal(es->offered, 1);
            assert_int_equal(es->waiting, 1);
        }
        stats_report_free(r);
    }
}

/* The day through the event log's writer and back from the store. */
static void from_the_store(void **state)
{
    (void)state;
    struct db *db = stats_test_store("stats.db");
    assert_int_equal(events_start(db), 0);
    script();
    for (int i = 0; i < nday; i++)
        events_emit(&day[i]);
    assert_int_equal(events_flush(5000), 0);
    events_stop();

    struct stats_query q = {.from = AT(0, 0), .to = AT(10, 0), .sl_threshold_s = 20, .short_abandon_s = 5, .tz = "UTC"};
    struct stats_report *r;
    if (stats_report_from_store(db, &q, AT(10, 0), &r))
        fail_msg("%s", err_message());
    const struct stats_row *x = row(r, "all");
    assert_int_equal(x->offered, 6);
    assert_int_equal(x->answered, 2);
    assert_int_equal(x->abandoned, 2);
    assert_int_equal(x->waiting, 1);
    assert_int_equal(x->wait_max_ms, 110000);
    assert_int_equal(x->talk_ms + x->hold_ms + x->wrap_ms, 450000);
    assert_int_equal(x->state_ms[SA_AVAILABLE], 590000); /* the states before 10:00 were read */
    assert_int_equal(x->state_ms[SA_PAUSED], 120000);
    stats_report_free(r);

    /* a period that starts later: calls 1-3 joined before it; the agents'
     * states at 10:05 come from the log before it */
    q.from = AT(5, 0);
    assert_int_equal(stats_report_from_store(db, &q, AT(10, 0), &r), 0);
    x = row(r, "all");
    assert_int_equal(x->offered, 3); /* 3 again (in nl), 4, 5 */
    assert_int_equal(x->state_ms[SA_PAUSED], 120000);
    assert_int_equal(x->state_ms[SA_WRAP_UP], 30000);
    int64_t all = 0;
    for (int s = 0; s < SA_STATES; s++)
        all += x->state_ms[s];
    assert_int_equal(all, 2 * 300000);
    stats_report_free(r);

    /* by consulate: call 1 recorded at the desk with a case assigned to
     * Brussels (stated Paris), call 3 with a case of Paris, call 4 with one
     * of none; a record of a call of another day is not read */
    struct db_conn *c;
    assert_int_equal(db_conn_get(db, &c), 0);
    static const char *const cases[][3] = {{"C-1", "FR-PAR", "BE-BRU"}, {"C-3", "FR-PAR", ""}, {"C-4", "", ""}};
    for (int i = 0; i < 3; i++)
        if (db_exec(c,
                    "INSERT INTO cases (reference, pin_hash, type, category, status, priority, channel, language, consulate, "
                    "assignee_consulate, subject, created_by, created_at, updated_at) VALUES (?, 'x', 'dossier', 'passport', "
                    "'open', 'normal', 'phone', 'fr', ?, ?, '', 'test', ?, ?)",
                    DBP(DB_S(cases[i][0]), DB_S(cases[i][1]), DB_S(cases[i][2]), DB_I(AT(0, 0)), DB_I(AT(0, 0)))))
            fail_msg("%s", err_message());
    static const char *const records[][2] = {{"1", "C-1"}, {"3", "C-3"}, {"4", "C-4"}, {"x-7", "C-3"}};
    for (int i = 0; i < 4; i++)
        if (db_exec(c,
                    "INSERT INTO call_dispositions (call_id, agent_user, disposition, case_reference, created_at, updated_at) "
                    "VALUES (?, 1, 'information_given', ?, ?, ?)",
                    DBP(DB_S(records[i][0]), DB_S(records[i][1]), DB_I(AT(9, 0)), DB_I(AT(9, 0)))))
            fail_msg("%s", err_message());
    db_conn_put(c);
    q.from = AT(0, 0);
    q.by = STATS_BY(SD_CONSULATE);
    assert_int_equal(stats_report_from_store(db, &q, AT(10, 0), &r), 0);
    assert_int_equal(row(r, "BE-BRU")->answered, 1); /* the consulate the case is assigned to */
    assert_int_equal(row(r, "FR-PAR")->offered, 2);  /* call 3's two stays */
    assert_int_equal(row(r, "")->offered, 3);        /* 2, 4 (a case without a consulate), 5 */
    stats_report_free(r);
    db_close(db);
}

static void bad_questions(void **state)
{
    (void)state;
    struct stats_report *r;
    struct stats_query q = {.from = AT(10, 0), .to = AT(0, 0), .tz = "UTC"};
    assert_int_equal(stats_report_new(&q, &r), WASL_EINVAL);
    q = (struct stats_query){.from = AT(0, 0), .to = AT(10, 0), .by = STATS_BY(SD_INTERVAL), .bucket_s = 700, .tz = "UTC"};
    assert_int_equal(stats_report_new(&q, &r), WASL_EINVAL);
    q.bucket_s = 900;
    q.tz = "Mars/Olympus";
    assert_int_equal(stats_report_new(&q, &r), WASL_ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_whole_center),
        cmocka_unit_test(by_queue_country_agent_interval),
        cmocka_unit_test(by_several_dimensions),
        cmocka_unit_test(the_dimensions_asked),
        cmocka_unit_test(a_queue_threshold_of_its_own),
        cmocka_unit_test(a_day_with_moves),
        cmocka_unit_test(from_the_store),
        cmocka_unit_test(bad_questions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
