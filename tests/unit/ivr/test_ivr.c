/*
 * Call flows: the loader's checks (each mistake named with its node), and
 * the demo flow walked with the clock set to chosen instants: a minute
 * before and at closing time, a holiday, an emergency closure, the
 * language menu in the country's order, menus with wrong keys and silence,
 * and the dossier status read-out.
 */
#include "ivr_test.h"
#include "tel/tel.h"
#include "calendar/calendar.h"

static struct ivr_flow *demo;

static int setup(void **state)
{
    const char *data = getenv("WASL_TEST_DATA");
    char path[512];
    (void)state;
    if (!data)
        data = "data";
    if (geo_load(data) || calendar_load(data) || prompts_load(data))
        return -1;
    snprintf(path, sizeof(path), "%s/ivr/main.json", data);
    if (ivr_flow_load(path, prompts_known, NULL, &demo)) {
        fprintf(stderr, "%s\n", err_message());
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ivr_flow_free(demo);
    prompts_unload();
    return 0;
}

static void expect_error(const char *json, const char *needle)
{
    struct ivr_flow *f = NULL;
    int err = ivr_flow_parse(json, strlen(json), "t.json", prompts_known, NULL, &f);
    if (err != WASL_EINVAL || !strstr(err_message(), needle))
        fail_msg("flow %s: want an error with '%s', got %d '%s'", json, needle, err, err_message());
    assert_null(f);
}

static void loader_names_mistakes(void **state)
{
    (void)state;
    expect_error("{", "t.json:1");
    expect_error("{\"start\":\"a\",\"nodes\":{}}", "1 to 256 nodes");
    expect_error("{\"start\":\"x\",\"nodes\":{\"a\":{\"type\":\"hangup\"}}}", "start node 'x'");
    expect_error("{\"start\":\"a\",\"nodes\":{\"a\":{\"type\":\"dance\"}}}", "node 'a': unknown type 'dance'");
    expect_error("{\"start\":\"a\",\"nodes\":{\"a\":{\"type\":\"play\",\"prompts\":\"welcome\",\"next\":\"b\"}}}",
                 "node 'a': 'next' goes to unknown node 'b'");
    expect_error("{\"start\":\"a\",\"nodes\":{\"a\":{\"type\":\"play\",\"prompts\":\"welcme\",\"next\":\"a\"}}}",
                 "prompt 'welcme' does not exist");
    expect_error("{\"start\":\"a\",\"nodes\":{\"a\":{\"type\":\"hangup\",\"nxet\":\"a\"}}}", "node 'a': unknown field 'nxet'");
    expect_error("{\"start\":\"a\",\"nodes\":{\"a\":{\"type\":\"hangup\"},\"b\":{\"type\":\"hangup\"}}}",
                 "node 'b': cannot be reached");
    expect_error("{\"start\":\"a\",\"nodes\":{\"a\":{\"type\":\"play\",\"prompts\":\"welcome\",\"next\":\"b\"},"
                 "\"b\":{\"type\":\"set_language\",\"language\":\"fr\",\"next\":\"a\"}}}",
                 "loop that never waits");
    expect_error("{\"start\":\"a\",\"nodes\":{\"a\":{\"type\":\"menu\",\"prompts\":\"main_menu\",\"choices\":{\"x\":\"a\"},"
                 "\"on_fail\":\"a\"}}}",
                 "choice 'x' is not a phone key");
    expect_error("{\"start\":\"a\",\"nodes\":{\"a\":{\"type\":\"menu\",\"prompts\":\"main_menu\",\"choices\":{\"1\":\"a\"},"
                 "\"on_fail\":\"a\",\"timeout\":0}}}",
                 "'timeout' must be a whole number from 1 to 60");
    expect_error("{\"start\":\"a\",\"nodes\":{\"a\":{\"type\":\"set_language\",\"language\":\"pt\",\"next\":\"b\"},"
                 "\"b\":{\"type\":\"hangup\"}}}",
                 "unknown language 'pt'");
    expect_error("{\"start\":\"a\",\"nodes\":{\"a\":{\"type\":\"play\",\"prompts\":\"$weather\",\"next\":\"b\"},"
                 "\"b\":{\"type\":\"hangup\"}}}",
                 "prompt '$weather' does not exist");
    /* A file look-up must say where a caller goes when the store is down. */
    expect_error("{\"start\":\"a\",\"nodes\":{\"a\":{\"type\":\"case_status\",\"reference\":\"r\",\"pin\":\"p\","
                 "\"found\":\"b\",\"not_found\":\"b\"},\"b\":{\"type\":\"hangup\"}}}",
                 "node 'a': 'unavailable' is missing");
    /* A loop through a menu is fine: it waits for the caller. */
    const char *ok = "{\"start\":\"a\",\"nodes\":{\"a\":{\"type\":\"play\",\"prompts\":\"welcome\",\"next\":\"m\"},"
                     "\"m\":{\"type\":\"menu\",\"prompts\":\"main_menu\",\"choices\":{\"1\":\"a\"},\"on_fail\":\"h\"},"
                     "\"h\":{\"type\":\"hangup\"}}}";
    struct ivr_flow *f;
    assert_int_equal(ivr_flow_parse(ok, strlen(ok), "ok.json", prompts_known, NULL, &f), 0);
    ivr_flow_free(f);
}

static bool has_prompt(const struct ivr_action *a, const char *id)
{
    for (int i = 0; i < a->nitems; i++)
        if (a->items[i].kind == IVR_ITEM_PROMPT && !strcmp(a->items[i].prompt, id))
            return true;
    return false;
}

static int first_time(const struct ivr_action *a, int skip, int *h, int *m)
{
    for (int i = 0; i < a->nitems; i++)
        if (a->items[i].kind == IVR_ITEM_TIME && skip-- == 0) {
            *h = a->items[i].a;
            *m = a->items[i].b;
            return 0;
        }
    return -1;
}

static void opening_hours_edges(void **state)
{
    struct ivr_session s;
    struct ivr_action a;
    int h, m;
    (void)state;
    /* Saturday 19:59:59 Morocco time (UTC+0): open. */
    assert_int_equal(ivr_start(&s, demo, "FR", at("2026-11-28T19:59:59Z"), &a), 0);
    assert_string_equal(ivr_node_name(&s), "welcome");
    assert_true(has_prompt(&a, "welcome") && has_prompt(&a, "recording_notice"));
    /* 20:00:00: closed, with the hours in Morocco's time and in Paris time (UTC+1). */
    assert_int_equal(ivr_start(&s, demo, "FR", at("2026-11-28T20:00:00Z"), &a), 0);
    assert_string_equal(ivr_node_name(&s), "closed");
    assert_true(has_prompt(&a, "morocco_time") && has_prompt(&a, "your_time"));
    assert_int_equal(first_time(&a, 0, &h, &m), 0);
    assert_int_equal(h, 8); /* next opening: Monday 08:00 Morocco */
    assert_int_equal(first_time(&a, 1, &h, &m), 0);
    assert_int_equal(h, 20);
    assert_int_equal(first_time(&a, 2, &h, &m), 0);
    assert_int_equal(h, 9); /* 09:00 in Paris */
    assert_int_equal(first_time(&a, 3, &h, &m), 0);
    assert_int_equal(h, 21);
    /* The callback offer follows; 1 stores a callback request. */
    step(&s, IVR_E_PLAYED, NULL, at("2026-11-28T20:00:10Z"), &a);
    assert_string_equal(ivr_node_name(&s), "callback_offer");
    step(&s, IVR_E_DIGITS, "1", at("2026-11-28T20:00:12Z"), &a);
    assert_int_equal(a.kind, IVR_A_CALLBACK);
    struct ivr_event stored = {.kind = IVR_E_STORED, .ok = true};
    assert_int_equal(ivr_step(&s, &stored, at("2026-11-28T20:00:13Z"), &a), 0);
    assert_true(has_prompt(&a, "callback_done"));
    step(&s, IVR_E_PLAYED, NULL, at("2026-11-28T20:00:15Z"), &a);
    assert_true(has_prompt(&a, "goodbye"));
    step(&s, IVR_E_PLAYED, NULL, at("2026-11-28T20:00:17Z"), &a);
    assert_int_equal(a.kind, IVR_A_HANGUP);
    assert_true(s.done);
    /* Sunday: closed all day; a UK caller hears the same hours (UTC+0). */
    assert_int_equal(ivr_start(&s, demo, "GB", at("2026-11-29T12:00:00Z"), &a), 0);
    assert_string_equal(ivr_node_name(&s), "closed");
    assert_int_equal(first_time(&a, 2, &h, &m), 0);
    assert_int_equal(h, 8);
}

static void holiday_and_emergency(void **state)
{
    struct ivr_session s;
    struct ivr_action a;
    (void)state;
    /* New Year's Day 2027, a Friday. */
    assert_int_equal(ivr_start(&s, demo, "ES", at("2027-01-01T10:00:00Z"), &a), 0);
    assert_string_equal(ivr_node_name(&s), "holiday");
    assert_true(has_prompt(&a, "we_open_again"));
    bool date = false;
    for (int i = 0; i < a.nitems; i++)
        if (a.items[i].kind == IVR_ITEM_DATE)
            date = a.items[i].a == 2027 && a.items[i].b == 1 && a.items[i].c == 2;
    assert_true(date); /* Saturday 2 January */
    calendar_set_emergency(true, "test");
    assert_int_equal(ivr_start(&s, demo, "ES", at("2026-11-30T10:00:00Z"), &a), 0);
    assert_string_equal(ivr_node_name(&s), "emergency");
    calendar_set_emergency(false, NULL);
}

static void language_menu_in_country_order(void **state)
{
    struct ivr_session s;
    struct ivr_action a;
    const struct country *be = geo_country("BE");
    (void)state;
    assert_int_equal(ivr_start(&s, demo, "BE", at("2026-11-30T10:00:00Z"), &a), 0);
    step(&s, IVR_E_PLAYED, NULL, at("2026-11-30T10:00:05Z"), &a);
    assert_string_equal(ivr_node_name(&s), "language");
    assert_true(a.wait_digits && a.barge_in && a.max_digits == 1);
    /* Each offer is spoken in its own language; Belgium's languages first. */
    assert_int_equal(a.nitems, 14);
    char want[16];
    snprintf(want, sizeof(want), "lang_%s", be->languages[0]);
    assert_string_equal(a.items[0].prompt, want);
    assert_string_equal(a.items[0].lang, be->languages[0]);
    assert_int_equal(a.items[1].a, 1);
    assert_string_equal(a.items[1].lang, be->languages[0]);
    /* Pressing 2 picks the second offered language. */
    step(&s, IVR_E_DIGITS, "2", at("2026-11-30T10:00:08Z"), &a);
    assert_string_equal(s.language, be->nlanguages > 1 ? be->languages[1] : "ar");
    assert_string_equal(ivr_node_name(&s), "main_menu");
    /* Silence at the language menu: once more, then the country's language. */
    assert_int_equal(ivr_start(&s, demo, "IT", at("2026-11-30T10:00:00Z"), &a), 0);
    step(&s, IVR_E_PLAYED, NULL, at("2026-11-30T10:00:05Z"), &a);
    step(&s, IVR_E_TIMEOUT, NULL, at("2026-11-30T10:00:11Z"), &a);
    assert_string_equal(ivr_node_name(&s), "language");
    assert_string_equal(a.items[0].prompt, "no_input");
    step(&s, IVR_E_TIMEOUT, NULL, at("2026-11-30T10:00:20Z"), &a);
    assert_string_equal(ivr_node_name(&s), "main_menu");
    assert_string_equal(s.language, geo_country("IT")->languages[0]);
}

static void menus_retry_then_give_up(void **state)
{
    struct ivr_session s;
    struct ivr_action a;
    (void)state;
    assert_int_equal(ivr_start(&s, demo, "NL", at("2026-11-30T10:00:00Z"), &a), 0);
    step(&s, IVR_E_PLAYED, NULL, at("2026-11-30T10:00:05Z"), &a);
    step(&s, IVR_E_DIGITS, "1", at("2026-11-30T10:00:06Z"), &a);
    assert_string_equal(ivr_node_name(&s), "main_menu");
    step(&s, IVR_E_DIGITS, "9", at("2026-11-30T10:00:07Z"), &a);
    assert_string_equal(a.items[0].prompt, "invalid_choice");
    assert_true(has_prompt(&a, "main_menu"));
    step(&s, IVR_E_TIMEOUT, NULL, at("2026-11-30T10:00:15Z"), &a);
    assert_string_equal(a.items[0].prompt, "no_input");
    /* Third failure: main_menu's on_fail is the agent queue. */
    step(&s, IVR_E_DIGITS, "*", at("2026-11-30T10:00:20Z"), &a);
    assert_int_equal(a.kind, IVR_A_ENQUEUE);
    assert_int_equal(a.queue, 4); /* nl */
    assert_true(has_prompt(&a, "please_hold"));
}

/* Nobody logged in speaks the caller's language: the demo flow's queue
 * sends them to its no_agents branch, which offers a callback; a queue
 * time-out alone (no max_wait) changes nothing. */
static void no_agents_offers_a_callback(void **state)
{
    struct ivr_session s;
    struct ivr_action a;
    (void)state;
    assert_int_equal(ivr_start(&s, demo, "ES", at("2026-11-30T10:00:00Z"), &a), 0);
    step(&s, IVR_E_PLAYED, NULL, at("2026-11-30T10:00:05Z"), &a);
    step(&s, IVR_E_DIGITS, "1", at("2026-11-30T10:00:06Z"), &a);
    step(&s, IVR_E_DIGITS, "1", at("2026-11-30T10:00:08Z"), &a);
    /* a Spanish speaker is asked whether an agent speaking French would do: yes */
    assert_string_equal(ivr_node_name(&s), "accept_fr");
    assert_true(has_prompt(&a, "accept_fr"));
    step(&s, IVR_E_DIGITS, "7", at("2026-11-30T10:00:08Z"), &a); /* retries 0: a wrong key is a no */
    assert_int_equal(a.kind, IVR_A_ENQUEUE);
    assert_int_equal(a.language2, -1);
    /* again, saying yes */
    assert_int_equal(ivr_start(&s, demo, "ES", at("2026-11-30T10:00:00Z"), &a), 0);
    step(&s, IVR_E_PLAYED, NULL, at("2026-11-30T10:00:05Z"), &a);
    step(&s, IVR_E_DIGITS, "1", at("2026-11-30T10:00:06Z"), &a);
    step(&s, IVR_E_DIGITS, "1", at("2026-11-30T10:00:08Z"), &a);
    step(&s, IVR_E_DIGITS, "1", at("2026-11-30T10:00:09Z"), &a);
    assert_int_equal(a.kind, IVR_A_ENQUEUE);
    assert_int_equal(a.language2, 1); /* fr */
    assert_true(a.exit_no_agents);
    step(&s, IVR_E_NO_AGENTS, NULL, at("2026-11-30T10:00:09Z"), &a);
    assert_string_equal(ivr_node_name(&s), "no_agents");
    assert_true(has_prompt(&a, "no_agents"));
    step(&s, IVR_E_DIGITS, "1", at("2026-11-30T10:00:20Z"), &a);
    assert_int_equal(a.kind, IVR_A_CALLBACK);
    struct ivr_event stored = {.kind = IVR_E_STORED, .ok = true};
    assert_int_equal(ivr_step(&s, &stored, at("2026-11-30T10:00:21Z"), &a), 0);
    assert_true(has_prompt(&a, "callback_soon"));
    /* a flow without the branch keeps the caller in the queue */
    struct ivr_flow *f = NULL;
    const char *json = "{\"start\": \"q\", \"nodes\": {\"q\": {\"type\": \"enqueue\"}}}";
    assert_int_equal(ivr_flow_parse(json, strlen(json), "t.json", NULL, NULL, &f), 0);
    assert_int_equal(ivr_start(&s, f, "FR", at("2026-11-30T10:00:00Z"), &a), 0);
    bool exits = a.exit_no_agents;
    ivr_flow_free(f);
    assert_false(exits); /* the telephony never sends IVR_E_NO_AGENTS then */
}

/* The queue's exits: a long wait or a full queue both reach the demo flow's
 * long_wait menu, which offers a callback; the node names its service; a
 * node with only on_timeout takes every exit there; the flow lists its
 * enqueue nodes for the telephony's check against its queues. */
static void queue_exits(void **state)
{
    struct ivr_session s;
    struct ivr_action a;
    (void)state;
    for (int k = 0; k < 2; k++) {
        assert_int_equal(ivr_start(&s, demo, "ES", at("2026-11-30T10:00:00Z"), &a), 0);
        step(&s, IVR_E_PLAYED, NULL, at("2026-11-30T10:00:05Z"), &a);
        step(&s, IVR_E_DIGITS, "1", at("2026-11-30T10:00:06Z"), &a);
        step(&s, IVR_E_DIGITS, "1", at("2026-11-30T10:00:08Z"), &a);
        /* no to French, or no answer (asked once): no second language */
        step(&s, k ? IVR_E_DIGITS : IVR_E_TIMEOUT, k ? "2" : NULL, at("2026-11-30T10:00:14Z"), &a);
        assert_int_equal(a.kind, IVR_A_ENQUEUE);
        assert_int_equal(a.language2, -1);
        assert_string_equal(a.service, "general");
        step(&s, k ? IVR_E_QUEUE_FULL : IVR_E_QUEUE_TIMEOUT, NULL, at("2026-11-30T10:20:09Z"), &a);
        assert_string_equal(ivr_node_name(&s), "long_wait");
        assert_true(has_prompt(&a, "long_wait"));
        step(&s, IVR_E_DIGITS, "1", at("2026-11-30T10:20:20Z"), &a);
        assert_int_equal(a.kind, IVR_A_CALLBACK);
    }
    struct ivr_flow *f = NULL;
    const char *json = "{\"start\": \"q\", \"nodes\": {\"q\": {\"type\": \"enqueue\", \"service\": \"dossier\", "
                       "\"on_timeout\": \"bye\"}, \"bye\": {\"type\": \"hangup\"}}}";
    assert_int_equal(ivr_flow_parse(json, strlen(json), "t.json", NULL, NULL, &f), 0);
    assert_int_equal(ivr_start(&s, f, "FR", at("2026-11-30T10:00:00Z"), &a), 0);
    assert_string_equal(a.service, "dossier");
    assert_int_equal(ivr_step(&s, &(struct ivr_event){.kind = IVR_E_NO_AGENTS}, at("2026-11-30T10:00:01Z"), &a), 0);
    assert_int_equal(a.kind, IVR_A_HANGUP);
    struct ivr_enqueue_info e;
    assert_int_equal(ivr_flow_enqueue_at(f, 0, &e), 0);
    assert_string_equal(e.service, "dossier");
    assert_true(e.on_timeout && !e.on_full && !e.no_agents);
    assert_int_equal(ivr_flow_enqueue_at(f, 1, &e), WASL_ENOENT);
    ivr_flow_free(f);
    const char *prio = "{\"start\": \"q\", \"nodes\": {\"q\": {\"type\": \"enqueue\", \"priority\": 7}}}";
    assert_int_equal(ivr_flow_parse(prio, strlen(prio), "t.json", NULL, NULL, &f), 0);
    assert_int_equal(ivr_start(&s, f, "FR", at("2026-11-30T10:00:00Z"), &a), 0);
    assert_int_equal(a.priority, 7);
    ivr_flow_free(f);
    prio = "{\"start\": \"q\", \"nodes\": {\"q\": {\"type\": \"enqueue\", \"priority\": 10}}}";
    assert_int_equal(ivr_flow_parse(prio, strlen(prio), "t.json", NULL, NULL, &f), WASL_EINVAL);
    const char *bad = "{\"start\": \"q\", \"nodes\": {\"q\": {\"type\": \"enqueue\", \"service\": \"Dossier!\"}}}";
    assert_int_equal(ivr_flow_parse(bad, strlen(bad), "t.json", NULL, NULL, &f), WASL_EINVAL);
}

static void dossier_status(void **state)
{
    struct ivr_session s;
    struct ivr_action a;
    (void)state;
    assert_int_equal(ivr_start(&s, demo, "DE", at("2026-11-30T10:00:00Z"), &a), 0);
    step(&s, IVR_E_PLAYED, NULL, at("2026-11-30T10:00:05Z"), &a);
    step(&s, IVR_E_DIGITS, "1", at("2026-11-30T10:00:06Z"), &a); /* Deutsch */
    step(&s, IVR_E_DIGITS, "2", at("2026-11-30T10:00:07Z"), &a);
    assert_string_equal(ivr_node_name(&s), "reference");
    assert_int_equal(a.max_digits, 9);
    assert_int_equal(a.terminator, '#');
    /* Too short: said again. */
    step(&s, IVR_E_DIGITS, "2223#", at("2026-11-30T10:00:20Z"), &a);
    assert_string_equal(ivr_node_name(&s), "reference");
    step(&s, IVR_E_DIGITS, "222333445#", at("2026-11-30T10:00:30Z"), &a);
    assert_string_equal(ivr_node_name(&s), "pin");
    step(&s, IVR_E_DIGITS, "123456#", at("2026-11-30T10:00:40Z"), &a);
    assert_int_equal(a.kind, IVR_A_LOOKUP);
    assert_string_equal(a.ref_keys, "222333445");
    assert_string_equal(a.pin, "123456");
    struct ivr_event e = {.kind = IVR_E_LOOKUP,
                          .kase = {.found = true,
                                   .status = "waiting_consulate",
                                   .type = "dossier",
                                   .reference = "ABC-DEF-GHJ",
                                   .exp_year = 2026,
                                   .exp_month = 12,
                                   .exp_day = 10}};
    assert_int_equal(ivr_step(&s, &e, at("2026-11-30T10:00:41Z"), &a), 0);
    assert_string_equal(ivr_node_name(&s), "status");
    assert_string_equal(a.language, "de");
    int chars = 0;
    bool date = false;
    for (int i = 0; i < a.nitems; i++) {
        chars += a.items[i].kind == IVR_ITEM_DIGIT;
        date |= a.items[i].kind == IVR_ITEM_DATE && a.items[i].c == 10 && a.items[i].b == 12;
    }
    assert_int_equal(chars, 9);
    assert_true(date && has_prompt(&a, "status_waiting_consulate") && has_prompt(&a, "expected_on"));
    /* Rendering to prompt files: a German date is day then month. */
    char ids[8][IVR_NAME_MAX], lang[WASL_LANG_CODE_MAX];
    struct ivr_item d = {.kind = IVR_ITEM_DATE, .a = 2026, .b = 12, .c = 10};
    assert_int_equal(prompts_render(&d, "de", lang, ids, 8), 2);
    assert_string_equal(ids[0], "num_10");
    assert_string_equal(ids[1], "month_12");
    assert_int_equal(prompts_render(&d, "en", lang, ids, 8), 2);
    assert_string_equal(ids[0], "month_12");
    struct ivr_item tm = {.kind = IVR_ITEM_TIME, .a = 9, .b = 30};
    assert_int_equal(prompts_render(&tm, "ar", lang, ids, 8), 1);
    assert_string_equal(ids[0], "time_09_30");
    /* A wrong PIN: "not found", back to the main menu. */
    step(&s, IVR_E_PLAYED, NULL, at("2026-11-30T10:00:50Z"), &a);
    step(&s, IVR_E_DIGITS, "2", at("2026-11-30T10:00:51Z"), &a);
    step(&s, IVR_E_DIGITS, "222333445#", at("2026-11-30T10:00:55Z"), &a);
    step(&s, IVR_E_DIGITS, "000000#", at("2026-11-30T10:00:59Z"), &a);
    struct ivr_event nf = {.kind = IVR_E_LOOKUP};
    assert_int_equal(ivr_step(&s, &nf, at("2026-11-30T10:01:00Z"), &a), 0);
    assert_true(has_prompt(&a, "case_not_found"));
    /* Events a node does not expect are refused, not obeyed. */
    struct ivr_event odd = {.kind = IVR_E_LOOKUP};
    assert_int_equal(ivr_step(&s, &odd, at("2026-11-30T10:01:01Z"), &a), WASL_ECONFLICT);
    /* The store down: the caller hears that files cannot be read now (never
     * "not found") and goes on to an agent. */
    step(&s, IVR_E_PLAYED, NULL, at("2026-11-30T10:01:05Z"), &a);
    step(&s, IVR_E_DIGITS, "2", at("2026-11-30T10:01:06Z"), &a);
    step(&s, IVR_E_DIGITS, "222333445#", at("2026-11-30T10:01:10Z"), &a);
    step(&s, IVR_E_DIGITS, "123456#", at("2026-11-30T10:01:14Z"), &a);
    struct ivr_event down = {.kind = IVR_E_LOOKUP, .kase = {.unavailable = true}};
    assert_int_equal(ivr_step(&s, &down, at("2026-11-30T10:01:15Z"), &a), 0);
    assert_string_equal(ivr_node_name(&s), "unavailable");
    assert_true(has_prompt(&a, "case_unavailable"));
    assert_false(has_prompt(&a, "case_not_found"));
    step(&s, IVR_E_PLAYED, NULL, at("2026-11-30T10:01:20Z"), &a);
    assert_int_equal(a.kind, IVR_A_ENQUEUE);
}

/* The expected date as a caller hears it on 30 November 2026: a date to
 * come is "expected by", a past one "was expected by ... has passed", and a
 * date in another year says the year. */
static void dossier_deadline_words(void **state)
{
    static const struct {
        int y, m, d;
        const char *lead;
        bool passed, year;
    } cases[] = {
        {2026, 12, 10, "expected_on", false, false}, {2026, 11, 30, "expected_on", false, false}, /* today is not past */
        {2026, 11, 5, "expected_was", true, false},  {2027, 1, 10, "expected_on", false, true},
        {2025, 12, 20, "expected_was", true, true},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct ivr_session s;
        struct ivr_action a;
        assert_int_equal(ivr_start(&s, demo, "FR", at("2026-11-30T10:00:00Z"), &a), 0);
        step(&s, IVR_E_PLAYED, NULL, at("2026-11-30T10:00:05Z"), &a);
        step(&s, IVR_E_DIGITS, "1", at("2026-11-30T10:00:06Z"), &a);
        step(&s, IVR_E_DIGITS, "2", at("2026-11-30T10:00:07Z"), &a);
        step(&s, IVR_E_DIGITS, "222333445#", at("2026-11-30T10:00:20Z"), &a);
        step(&s, IVR_E_DIGITS, "123456#", at("2026-11-30T10:00:30Z"), &a);
        struct ivr_event e = {.kind = IVR_E_LOOKUP,
                              .kase = {.found = true,
                                       .status = "open",
                                       .type = "dossier",
                                       .reference = "ABC-DEF-GHJ",
                                       .exp_year = cases[i].y,
                                       .exp_month = cases[i].m,
                                       .exp_day = cases[i].d}};
        assert_int_equal(ivr_step(&s, &e, at("2026-11-30T10:00:31Z"), &a), 0);
        assert_true(has_prompt(&a, cases[i].lead));
        assert_int_equal(has_prompt(&a, "expected_passed"), cases[i].passed);
        int years = 0;
        for (int k = 0; k < a.nitems; k++)
            years += a.items[k].kind == IVR_ITEM_YEAR && a.items[k].a == cases[i].y;
        assert_int_equal(years, cases[i].year ? 1 : 0);
    }
    /* Rendering: a year in range is one prompt, one outside it digit by digit. */
    char ids[8][IVR_NAME_MAX], lang[WASL_LANG_CODE_MAX];
    struct ivr_item y = {.kind = IVR_ITEM_YEAR, .a = 2027};
    assert_int_equal(prompts_render(&y, "fr", lang, ids, 8), 1);
    assert_string_equal(ids[0], "year_2027");
    y.a = 2101;
    assert_int_equal(prompts_render(&y, "fr", lang, ids, 8), 4);
}

static void keypad(void **state)
{
    (void)state;
    const char *ref = "ABC-DEF-GHJ", *want = "222333445";
    for (int i = 0, k = 0; ref[i]; i++)
        if (ref[i] != '-')
            assert_int_equal(keypad_digit(ref[i]), want[k++] - '0');
    assert_int_equal(keypad_digit('Z'), 9);
    assert_int_equal(keypad_digit('s'), 7);
    assert_int_equal(keypad_digit('-'), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(loader_names_mistakes),       cmocka_unit_test(opening_hours_edges),
        cmocka_unit_test(holiday_and_emergency),       cmocka_unit_test(language_menu_in_country_order),
        cmocka_unit_test(menus_retry_then_give_up),    cmocka_unit_test(dossier_status),
        cmocka_unit_test(dossier_deadline_words),      cmocka_unit_test(keypad),
        cmocka_unit_test(no_agents_offers_a_callback), cmocka_unit_test(queue_exits),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
