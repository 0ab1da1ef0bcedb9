/*
 * The figures from the store's tables (docs/metrics.md: cases, callbacks,
 * first-contact resolution, guide searches, where procedures hurt, agent
 * scorecards), on a small scripted set computed by hand, on SQLite or on
 * PostgreSQL when WASL_TEST_DB names a database. The period is two days,
 * D1 and D2, in UTC.
 */
#include <math.h>

#include "stats_test.h"
#include "stats/stats.h"

#define D1 INT64_C(1796601600) /* 2026-12-07T00:00:00Z */
#define AT(day, h, m) ((D1 + ((day)-1) * 86400 + (h)*3600 + (m)*60) * WTIME_SEC)
#define ATS(day, h, m, s) (AT(day, h, m) + (s)*WTIME_SEC)
#define FROM AT(1, 0, 0)
#define TO AT(3, 0, 0)
#define LATER (TO + INT64_C(30) * 86400 * WTIME_SEC) /* every repeat window is over */

static struct db *db;

static void exec(const char *sql, const struct db_param *p, int n)
{
    struct db_conn *c;
    assert_int_equal(db_conn_get(db, &c), 0);
    if (db_exec(c, sql, p, n))
        fail_msg("%s: %s", sql, err_message());
    db_conn_put(c);
}

static int64_t kase(const char *ref, const char *type, const char *category, const char *consulate, const char *assignee_consulate,
                    const char *articles, const char *status, int64_t created, int64_t first, int64_t breached, int rating,
                    int64_t rated_at)
{
    exec("INSERT INTO cases (reference, pin_hash, type, category, status, priority, channel, language, consulate, "
         "assignee_consulate, subject, articles, created_by, created_at, updated_at, first_response_at, breached_at, rating, "
         "rated_at) VALUES (?, 'x', ?, ?, ?, 'normal', 'phone', 'fr', ?, ?, '', ?, 'test', ?, ?, ?, ?, ?, ?)",
         DBP(DB_S(ref), DB_S(type), DB_S(category), DB_S(status), DB_S(consulate), DB_S(assignee_consulate),
             DB_S(articles ? articles : "[]"), DB_I(created), DB_I(created), DB_I(first), DB_I(breached),
             rating ? DB_I(rating) : DB_NULL, DB_I(rated_at)));
    struct db_conn *c;
    int64_t id = 0;
    assert_int_equal(db_conn_get(db, &c), 0);
    assert_int_equal(db_query_int(c, &id, "SELECT id FROM cases WHERE reference = ?", DBP(DB_S(ref))), 0);
    db_conn_put(c);
    return id;
}

/* A status change in the case's history (and the table's updated_at). */
static void change(int64_t id, int64_t at, const char *actor, const char *from, const char *to)
{
    char detail[96];
    if (!strcmp(to, "merged"))
        snprintf(detail, sizeof(detail), "{\"into\":\"X\"}");
    else
        snprintf(detail, sizeof(detail), "{\"status\":[\"%s\",\"%s\"]}", from, to);
    exec("INSERT INTO case_events (case_id, at, actor, kind, public, detail) VALUES (?, ?, ?, ?, 0, ?)",
         DBP(DB_I(id), DB_I(at), DB_S(actor), DB_S(strcmp(to, "merged") ? "changed" : "merged"), DB_S(detail)));
    exec("UPDATE cases SET updated_at = ? WHERE id = ? AND updated_at < ?", DBP(DB_I(at), DB_I(id), DB_I(at)));
}

static void disposition(const char *call, const char *code, const char *articles, const char *ref, const char *phone, int64_t at)
{
    exec("INSERT INTO call_dispositions (call_id, agent_user, disposition, articles, case_reference, phone_index, language, "
         "created_at, updated_at) VALUES (?, 101, ?, ?, ?, ?, 'fr', ?, ?)",
         DBP(DB_S(call), DB_S(code), DB_S(articles ? articles : "[]"), DB_S(ref), DB_S(phone), DB_I(at), DB_I(at)));
}

static void callback(const char *phone, const char *status, int64_t at, int64_t done)
{
    exec("INSERT INTO callbacks (created_at, country, did, language, phone_index, status, call_id, done_at) VALUES (?, 'FR', "
         "'+33800', 'fr', ?, ?, 'c', ?)",
         DBP(DB_I(at), DB_S(phone), DB_S(status), DB_I(done)));
}

static void search(const char *lang, int results, int64_t at)
{
    exec("INSERT INTO guide_search_log (at, lang, query, results, role) VALUES (?, ?, '', ?, 'agent')",
         DBP(DB_I(at), DB_S(lang), DB_I(results)));
}

static void ev(enum ev_kind k, int64_t at, int64_t call, int64_t agent, const char *queue, const char *a, const char *b, int64_t n)
{
    struct ev e = {.kind = k, .at = at, .call = call, .agent = agent, .n = n};
    snprintf(e.queue, sizeof(e.queue), "%s", queue ? queue : "");
    snprintf(e.a, sizeof(e.a), "%s", a ? a : "");
    snprintf(e.b, sizeof(e.b), "%s", b ? b : "");
    events_emit(&e);
}

#define PR                                                                                                                         \
    "[{\"slug\":\"passport-renewal\",\"lang\":\"fr\",\"version\":1},{\"slug\":\"passport-renewal\",\"lang\":\"ar\",\"version\":1}" \
    "]"
#define VS "[{\"slug\":\"visa-schengen\",\"lang\":\"fr\",\"version\":2}]"

static int setup(void **state)
{
    (void)state;
    db = stats_test_store("stats-cases.db");

    /* A: a complaint about a passport, open since D0, resolved on D1 by agent101, rated 1 */
    int64_t a = kase("A", "complaint", "passport", "PAR", NULL, PR, "resolved", AT(0, 12, 0), AT(0, 13, 0), 0, 1, AT(1, 12, 0));
    change(a, AT(0, 13, 0), "agent101", "new", "open");
    change(a, AT(1, 10, 0), "agent101", "open", "resolved");
    /* B: a passport dossier opened D1 9:00, answered in 1 h, resolved D2 9:00, reopened at 12:00, late at 11:00 */
    int64_t b = kase("B", "dossier", "passport", "PAR", "", PR, "open", AT(1, 9, 0), AT(1, 10, 0), AT(2, 11, 0), 0, 0);
    change(b, AT(1, 10, 0), "agent102", "new", "open");
    change(b, AT(2, 9, 0), "agent102", "open", "resolved");
    change(b, AT(2, 12, 0), "agent102", "resolved", "open");
    /* C: a suggestion about visas, no consulate, never answered */
    kase("C", "suggestion", "visa", NULL, NULL, NULL, "new", AT(1, 15, 0), 0, 0, 0, 0);
    /* D: a visa complaint handed to Brussels, answered in 30 min, resolved in 2 h by agent102, closed, rated 5 */
    int64_t d = kase("D", "complaint", "visa", "PAR", "BRU", VS, "closed", AT(2, 8, 0), AT(2, 8, 30), 0, 5, AT(2, 12, 0));
    change(d, AT(2, 10, 0), "agent102", "open", "resolved");
    change(d, AT(2, 11, 0), "system", "resolved", "closed");
    /* E: open since D0, merged into another on D1 */
    int64_t e = kase("E", "information", "passport", "PAR", NULL, NULL, "merged", AT(0, 8, 0), 0, 0, 0, 0);
    change(e, AT(1, 16, 0), "agent101", "open", "merged");
    /* F: opened and resolved before the period; G: after it */
    int64_t f = kase("F", "information", "passport", "PAR", NULL, NULL, "resolved", AT(0, 1, 0), 0, 0, 0, 0);
    change(f, AT(0, 2, 0), "agent101", "new", "resolved");
    kase("G", "complaint", "passport", "PAR", NULL, PR, "new", AT(3, 1, 0), 0, 0, 0, 0);

    callback("p1", "done", AT(1, 10, 0), AT(1, 10, 30));
    callback("p2", "done", AT(1, 11, 0), AT(1, 13, 0));
    callback("p3", "cancelled", AT(1, 12, 0), AT(1, 14, 0));
    callback("p4", "pending", AT(2, 9, 0), 0);
    callback("p5", "done", AT(0, 9, 0), AT(0, 9, 5));

    disposition("1", "case_followed_up", NULL, "B", "P1", AT(1, 9, 0));
    disposition("2", "case_followed_up", NULL, "B", "P1", AT(1, 17, 0)); /* 1 comes back */
    disposition("3", "information_given", VS, NULL, "P2", AT(1, 10, 0));
    disposition("4", "information_given", PR, NULL, "P2", AT(1, 11, 0)); /* same number, another reason */
    disposition("5", "information_given", NULL, NULL, NULL, AT(1, 12, 0));
    disposition("6", "wrong_number", NULL, NULL, "P3", AT(1, 13, 0));
    disposition("7", "information_given", NULL, NULL, "P3", AT(2, 10, 0));
    disposition("8", "case_followed_up", NULL, "B", "P1", AT(4, 0, 0)); /* after the period: 2 comes back */

    search("fr", 0, AT(1, 10, 0));
    search("fr", 3, AT(1, 11, 0));
    search("ar", 0, AT(1, 12, 0));
    search("fr", 0, AT(2, 9, 0));
    search("fr", 0, AT(0, 9, 0));

    /* calls 1 and 3 in the event log: 1 handled by 101 in 90 s (60 talk, 30 wrap-up);
     * 3 rings 101 unanswered, then 102 takes it for 120 s */
    assert_int_equal(events_start(db), 0);
    ev(EV_AGENT_STATE, AT(1, 8, 0), 0, 101, NULL, "available", NULL, 0);
    ev(EV_AGENT_STATE, AT(1, 8, 0), 0, 102, NULL, "available", NULL, 0);
    ev(EV_CALL_ARRIVED, AT(1, 8, 59), 1, 0, NULL, "+33800", "FR", 0);
    ev(EV_QUEUE_JOINED, AT(1, 8, 59), 1, 0, "fr", "general", NULL, 1);
    ev(EV_AGENT_STATE, AT(1, 8, 59), 1, 101, NULL, "ringing", NULL, 0);
    ev(EV_CALL_ANSWERED, ATS(1, 8, 59, 10), 1, 101, "fr", NULL, NULL, 10000);
    ev(EV_AGENT_STATE, ATS(1, 8, 59, 10), 1, 101, NULL, "busy", NULL, 0);
    ev(EV_CALL_ENDED, ATS(1, 9, 0, 10), 1, 101, NULL, "answered", NULL, 10000);
    ev(EV_AGENT_STATE, ATS(1, 9, 0, 10), 1, 101, NULL, "wrap_up", NULL, 0);
    ev(EV_AGENT_STATE, ATS(1, 9, 0, 40), 0, 101, NULL, "available", NULL, 0);
    ev(EV_CALL_ARRIVED, ATS(1, 9, 56, 40), 3, 0, NULL, "+33800", "FR", 0);
    ev(EV_QUEUE_JOINED, ATS(1, 9, 56, 40), 3, 0, "fr", "general", NULL, 1);
    ev(EV_AGENT_STATE, ATS(1, 9, 56, 40), 3, 101, NULL, "ringing", NULL, 0);
    ev(EV_CALL_NOT_ANSWERED, ATS(1, 9, 56, 50), 3, 101, "fr", "timeout", NULL, 10000);
    ev(EV_AGENT_STATE, ATS(1, 9, 56, 50), 0, 101, NULL, "available", NULL, 0);
    ev(EV_AGENT_STATE, ATS(1, 9, 56, 50), 3, 102, NULL, "ringing", NULL, 0);
    ev(EV_CALL_ANSWERED, AT(1, 9, 57), 3, 102, "fr", NULL, NULL, 20000);
    ev(EV_AGENT_STATE, AT(1, 9, 57), 3, 102, NULL, "busy", NULL, 0);
    ev(EV_CALL_ENDED, AT(1, 9, 59), 3, 102, NULL, "answered", NULL, 20000);
    ev(EV_AGENT_STATE, AT(1, 9, 59), 0, 102, NULL, "available", NULL, 0);
    ev(EV_AGENT_STATE, AT(2, 10, 0), 0, 101, NULL, "paused", "break", 0);
    ev(EV_AGENT_STATE, AT(2, 10, 15), 0, 101, NULL, "available", NULL, 0);
    assert_int_equal(events_flush(5000), 0);
    events_stop();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    db_close(db);
    return 0;
}

static const struct stats_case_row *find(const struct stats_case_row *rows, int n, const char *key)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(rows[i].key, key))
            return &rows[i];
    fail_msg("no row %s", key);
    return NULL;
}

static void identity(const struct stats_case_row *r)
{
    assert_int_equal(r->backlog_end, r->backlog_start + r->opened + r->reopened - r->resolved - r->merged);
}

static void cases_in_all(void **state)
{
    (void)state;
    struct stats_case_query q = {.from = FROM, .to = TO, .slice = SCS_TOTAL, .tz = "UTC"};
    struct stats_case_row *rows;
    int n;
    if (stats_cases(db, &q, &rows, &n))
        fail_msg("%s", err_message());
    assert_int_equal(n, 1);
    const struct stats_case_row *r = find(rows, n, "all");
    assert_int_equal(r->backlog_start, 2); /* A, E */
    assert_int_equal(r->opened, 3);        /* B, C, D */
    assert_int_equal(r->complaints, 1);
    assert_int_equal(r->suggestions, 1);
    assert_int_equal(r->resolved, 3); /* A, B, D; D's closing is no second one */
    assert_int_equal(r->merged, 1);
    assert_int_equal(r->reopened, 1);
    assert_int_equal(r->backlog_end, 2); /* B, C */
    identity(r);
    assert_int_equal(r->first_answered, 2);
    assert_int_equal(r->first_answer_s, 3600 + 1800);
    assert_int_equal(r->resolution_s, 22 * 3600 + 86400 + 7200);
    assert_int_equal(r->breaches, 1);
    assert_int_equal(r->rated, 2);
    assert_int_equal(r->rating_sum, 6);
    assert_int_equal(r->rated_high, 1);
    assert_int_equal(r->rated_low, 1);
    free(rows);
}

static void cases_by_day_category_consulate_procedure(void **state)
{
    (void)state;
    struct stats_case_query q = {.from = FROM, .to = TO, .slice = SCS_DAY, .tz = "UTC"};
    struct stats_case_row *rows;
    int n;
    assert_int_equal(stats_cases(db, &q, &rows, &n), 0);
    assert_int_equal(n, 2);
    const struct stats_case_row *r = find(rows, n, "2026-12-07");
    assert_int_equal(r->backlog_start, 2);
    assert_int_equal(r->opened, 2);
    assert_int_equal(r->resolved, 1);
    assert_int_equal(r->merged, 1);
    assert_int_equal(r->backlog_end, 2);
    assert_int_equal(r->rated, 1);
    identity(r);
    r = find(rows, n, "2026-12-08");
    assert_int_equal(r->backlog_start, 2); /* the trend: each day starts where the last ended */
    assert_int_equal(r->opened, 1);
    assert_int_equal(r->resolved, 2);
    assert_int_equal(r->reopened, 1);
    assert_int_equal(r->backlog_end, 2);
    assert_int_equal(r->breaches, 1);
    identity(r);
    free(rows);

    q.slice = SCS_CATEGORY;
    assert_int_equal(stats_cases(db, &q, &rows, &n), 0);
    assert_int_equal(n, 2);
    r = find(rows, n, "passport");
    assert_int_equal(r->backlog_start, 2);
    assert_int_equal(r->opened, 1);
    assert_int_equal(r->resolved, 2);
    assert_int_equal(r->merged, 1);
    assert_int_equal(r->backlog_end, 1);
    identity(r);
    r = find(rows, n, "visa"); /* complaints and suggestions by theme */
    assert_int_equal(r->complaints, 1);
    assert_int_equal(r->suggestions, 1);
    assert_int_equal(r->backlog_end, 1);
    identity(r);
    free(rows);

    q.slice = SCS_CONSULATE;
    assert_int_equal(stats_cases(db, &q, &rows, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(find(rows, n, "BRU")->opened, 1); /* the consulate it was handed to */
    assert_int_equal(find(rows, n, "PAR")->opened, 1);
    assert_int_equal(find(rows, n, "")->opened, 1);
    for (int i = 0; i < n; i++)
        identity(&rows[i]);
    free(rows);

    q.slice = SCS_PROCEDURE;
    assert_int_equal(stats_cases(db, &q, &rows, &n), 0);
    assert_int_equal(n, 3);
    r = find(rows, n, "passport-renewal"); /* A and B, each once though linked in two languages */
    assert_int_equal(r->backlog_start, 1);
    assert_int_equal(r->opened, 1);
    assert_int_equal(r->resolved, 2);
    assert_int_equal(r->rated_low, 1);
    identity(r);
    assert_int_equal(find(rows, n, "visa-schengen")->complaints, 1);
    assert_int_equal(find(rows, n, "")->merged, 1);
    free(rows);
}

static void contacts(void **state)
{
    (void)state;
    struct stats_contacts c;
    struct stats_search_row *s;
    int n;
    if (stats_contacts(db, FROM, TO, LATER, 7, "UTC", &c, &s, &n))
        fail_msg("%s", err_message());
    assert_int_equal(c.cb_requested, 4);
    assert_int_equal(c.cb_completed, 2);
    assert_int_equal(c.cb_cancelled, 1);
    assert_int_equal(c.cb_pending, 1);
    assert_int_equal(c.cb_delay_s, 1800 + 7200);
    assert_int_equal(c.cb_delay_max_s, 7200);
    assert_int_equal(c.fcr_contacts, 6); /* the wrong number left out */
    assert_int_equal(c.fcr_unknown, 1);
    assert_int_equal(c.fcr_repeated, 2); /* 1 (by 2) and 2 (by 8, after the period) */
    assert_int_equal(c.fcr_resolved, 3);
    assert_int_equal(c.fcr_pending, 0);
    assert_int_equal(c.fcr_contacts, c.fcr_unknown + c.fcr_repeated + c.fcr_resolved + c.fcr_pending);
    assert_int_equal(c.searches, 4);
    assert_int_equal(c.searches_no_answer, 3);
    assert_int_equal(n, 3);
    assert_string_equal(s[0].day, "2026-12-07");
    int64_t fr1 = 0, ar1 = 0, fr2 = 0;
    for (int i = 0; i < n; i++) {
        if (!strcmp(s[i].lang, "fr") && !strcmp(s[i].day, "2026-12-07"))
            fr1 = s[i].searches * 10 + s[i].no_answer;
        if (!strcmp(s[i].lang, "ar"))
            ar1 = s[i].searches * 10 + s[i].no_answer;
        if (!strcmp(s[i].day, "2026-12-08"))
            fr2 = s[i].searches * 10 + s[i].no_answer;
    }
    assert_int_equal(fr1, 21);
    assert_int_equal(ar1, 11);
    assert_int_equal(fr2, 11);
    free(s);

    /* three days on, the windows of 3, 4 and 7 are not over: not counted yet */
    assert_int_equal(stats_contacts(db, FROM, TO, AT(4, 0, 0), 7, "UTC", &c, &s, &n), 0);
    assert_int_equal(c.fcr_pending, 3);
    assert_int_equal(c.fcr_repeated, 2);
    free(s);
    assert_int_equal(stats_contacts(db, FROM, TO, LATER, 0, "UTC", &c, &s, &n), WASL_EINVAL);
}

static void procedures(void **state)
{
    (void)state;
    struct stats_procedure *p;
    int n;
    if (stats_procedures(db, FROM, TO, LATER, 7, &p, &n))
        fail_msg("%s", err_message());
    assert_int_equal(n, 4);
    /* worst first: the passport category (2 repeat calls, a 1-star rating) */
    assert_string_equal(p[0].kind, "category");
    assert_string_equal(p[0].key, "passport");
    assert_int_equal(p[0].calls, 2);
    assert_int_equal(p[0].repeat_calls, 2);
    assert_int_equal(p[0].handled, 1); /* call 1; call 2 is not in the event log */
    assert_int_equal(p[0].handle_ms, 90000);
    assert_int_equal(p[0].cases, 1);
    assert_int_equal(p[0].rated_low, 1);
    assert_int_equal(p[0].score, 3);
    assert_int_equal(p[0].nsamples, 1);
    assert_string_equal(p[0].samples[0], "B");
    assert_string_equal(p[1].key, "passport-renewal");
    assert_int_equal(p[1].calls, 1);
    assert_int_equal(p[1].handled, 0);
    assert_int_equal(p[1].rated_low, 1);
    assert_int_equal(p[1].score, 1);
    assert_string_equal(p[2].key, "visa-schengen");
    assert_int_equal(p[2].handle_ms, 120000);
    assert_int_equal(p[2].complaints, 1);
    assert_string_equal(p[2].samples[0], "D");
    assert_string_equal(p[3].kind, "category");
    assert_string_equal(p[3].key, "visa");
    assert_int_equal(p[3].calls, 0);
    assert_int_equal(p[3].cases, 2);
    assert_int_equal(p[3].nsamples, 2);
    assert_string_equal(p[3].samples[0], "D"); /* newest first */
    free(p);
}

static void scorecard(void **state)
{
    (void)state;
    struct stats_scorecard c;
    if (stats_scorecard(db, 101, "agent101", FROM, TO, LATER, &c))
        fail_msg("%s", err_message());
    assert_int_equal(c.handled, 1);
    assert_int_equal(c.handle_ms, 90000);
    assert_int_equal(c.expected_ms, 105000); /* the fr queue: (90 + 120) / 2 */
    assert_int_equal(c.rings_unanswered, 1);
    assert_int_equal(c.transfers, 0);
    assert_int_equal(c.state_ms[SA_RINGING], 20000);
    assert_int_equal(c.state_ms[SA_BUSY], 60000);
    assert_int_equal(c.state_ms[SA_WRAP_UP], 30000);
    assert_int_equal(c.state_ms[SA_PAUSED], 900000);
    assert_int_equal(c.state_ms[SA_AVAILABLE], INT64_C(142990000));
    assert_int_equal(c.rated, 1); /* A, which they resolved; not D */
    assert_int_equal(c.rating_sum, 1);
    assert_int_equal(stats_scorecard(db, 102, "agent102", FROM, TO, LATER, &c), 0);
    assert_int_equal(c.handled, 1);
    assert_int_equal(c.rings_unanswered, 0);
    assert_int_equal(c.rated, 1);
    assert_int_equal(c.rated_high, 1);
}

static void bad_questions(void **state)
{
    (void)state;
    struct stats_case_row *rows;
    int n;
    struct stats_case_query q = {.from = TO, .to = FROM, .slice = SCS_TOTAL, .tz = "UTC"};
    assert_int_equal(stats_cases(db, &q, &rows, &n), WASL_EINVAL);
    q = (struct stats_case_query){.from = FROM, .to = TO, .slice = SCS_SLICES, .tz = "UTC"};
    assert_int_equal(stats_cases(db, &q, &rows, &n), WASL_EINVAL);
    q.slice = SCS_TOTAL;
    q.tz = "Mars/Olympus";
    assert_int_equal(stats_cases(db, &q, &rows, &n), WASL_ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cases_in_all), cmocka_unit_test(cases_by_day_category_consulate_procedure),
        cmocka_unit_test(contacts),     cmocka_unit_test(procedures),
        cmocka_unit_test(scorecard),    cmocka_unit_test(bad_questions),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
