/*
 * The telephony's own parsers and checks: the dial plan (toll-free numbers
 * to countries), the toll-fraud guard, digest authentication (RFC 2617's
 * worked example and wasl's stateless nonces), address lists with
 * networks, and WAV files.
 */
#include "test.h"
#include "tel/tel_int.h"
#include "acd/acd.h"
#include "ivr/ivr.h"

static int setup(void **state)
{
    const char *data = getenv("WASL_TEST_DATA");
    (void)state;
    if (!data)
        data = "data";
    if (geo_load(data) || dialplan_load(data) || prompts_load(data)) {
        fprintf(stderr, "%s\n", err_message());
        return -1;
    }
    return 0;
}

static void numbers_to_countries(void **state)
{
    (void)state;
    assert_int_equal(dialplan_numbers(), 26);
    assert_string_equal(dialplan_country("+33800100200"), "FR");
    assert_string_equal(dialplan_country("0033800100200"), "FR");
    assert_string_equal(dialplan_country("+33 800-100-200"), "FR");
    assert_string_equal(dialplan_country("+34800100201"), "ES");
    assert_null(dialplan_country("+33800100299"));
    assert_null(dialplan_country("agent"));
    assert_null(dialplan_country(""));
    assert_null(dialplan_country("+3380010020012345678"));
}

static void plan_errors_are_named(void **state)
{
    (void)state;
    const char *out = "country,prefix\nFR,8\n";
    const char *bad[][2] = {
        {"did,country\n+33800,FR\n", "6 to 15 digits"},
        {"did,country\n+33800100200,XX\n", "not a country served"},
        {"did,country\n+33800100200,MA\n", "not a country served"},
        {"did,country\n+33800100200,FR\n+33 800 100 200,FR\n", "listed twice"},
        {"did,country\n+3380010020x,FR\n", "'x' is not part"},
        {"number\n1\n", "columns did and country"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int err = dialplan_parse(bad[i][0], strlen(bad[i][0]), out, strlen(out));
        if (!err || !strstr(err_message(), bad[i][1]))
            fail_msg("%s: want '%s', got '%s'", bad[i][0], bad[i][1], err_message());
    }
    const char *nums = "did,country\n+33800100200,FR\n";
    assert_int_not_equal(dialplan_parse(nums, strlen(nums), "country,prefix\nFR,8x\n", 20), 0);
    /* a failed parse keeps the plan in force */
    assert_string_equal(dialplan_country("+34800100201"), "ES");
}

static void toll_fraud_guard(void **state)
{
    char e164[20];
    const char *co = NULL;
    (void)state;
    assert_int_equal(dialplan_outbound_check("+33612345678", e164, sizeof(e164), &co), 0);
    assert_string_equal(e164, "33612345678");
    assert_string_equal(co, "FR");
    assert_int_equal(dialplan_outbound_check("0032475123456", e164, sizeof(e164), &co), 0);
    assert_string_equal(co, "BE");
    assert_int_equal(dialplan_outbound_check("+351912345678", e164, sizeof(e164), &co), 0);
    assert_string_equal(co, "PT");
    /* premium rate, in a served country */
    assert_int_equal(dialplan_outbound_check("+33899123456", e164, sizeof(e164), &co), WASL_EPERM);
    assert_string_equal(err_code(), "tel.number_blocked");
    assert_int_equal(dialplan_outbound_check("+447912345678", e164, sizeof(e164), &co), 0);
    assert_int_equal(dialplan_outbound_check("+449012345678", e164, sizeof(e164), &co), WASL_EPERM);
    assert_int_equal(dialplan_outbound_check("+4990012345678", e164, sizeof(e164), &co), WASL_EPERM);
    /* abroad, Morocco itself (not a toll-free country), satellite, short */
    assert_int_equal(dialplan_outbound_check("+12125551234", e164, sizeof(e164), &co), WASL_EPERM);
    assert_string_equal(err_code(), "tel.number_not_covered");
    assert_int_equal(dialplan_outbound_check("+212612345678", e164, sizeof(e164), &co), WASL_EPERM);
    assert_int_equal(dialplan_outbound_check("+881612345678", e164, sizeof(e164), &co), WASL_EPERM);
    assert_int_equal(dialplan_outbound_check("+33612", e164, sizeof(e164), &co), WASL_EINVAL);
    assert_int_equal(dialplan_outbound_check("", e164, sizeof(e164), &co), WASL_EINVAL);
    assert_int_equal(dialplan_outbound_check("+33 6 12;34", e164, sizeof(e164), &co), WASL_EINVAL);
}

static void digest_rfc2617_example(void **state)
{
    char ha1[33], resp[33];
    (void)state;
    /* RFC 2617 section 3.5 */
    digest_ha1("Mufasa", "testrealm@host.com", "Circle Of Life", ha1);
    assert_string_equal(ha1, "939e7578ed9e3c518a452acee763bce9");
    digest_response(ha1, "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001", "0a4f113b", "auth", "GET", "/dir/index.html", resp);
    assert_string_equal(resp, "6629fae49393a05397450978507c4ef1");
}

static void nonces(void **state)
{
    char n[64], forged[64];
    (void)state;
    digest_nonce(1800000000, n);
    assert_int_equal(digest_nonce_check(n, 1800000000, 300), 0);
    assert_int_equal(digest_nonce_check(n, 1800000299, 300), 0);
    assert_int_equal(digest_nonce_check(n, 1800000301, 300), 1); /* stale */
    assert_int_equal(digest_nonce_check(n, 1799999999, 300), 1); /* from the future */
    snprintf(forged, sizeof(forged), "%s", n);
    forged[strlen(forged) - 1] = forged[strlen(forged) - 1] == '0' ? '1' : '0';
    assert_int_equal(digest_nonce_check(forged, 1800000000, 300), -1);
    assert_int_equal(digest_nonce_check("6b49d200.", 1800000000, 300), -1);
    assert_int_equal(digest_nonce_check("", 1800000000, 300), -1);
    assert_int_equal(digest_nonce_check("zz.00000000000000000000000000000000", 1800000000, 300), -1);
}

static bool addr_in_list(const char *addr, const char *text)
{
    struct addr_list l;
    assert_int_equal(addr_list_parse(text, &l), 0);
    return addr_list_has(&l, addr);
}

static int addr_list_check(const char *text)
{
    struct addr_list l;
    return addr_list_parse(text, &l);
}

static void address_lists(void **state)
{
    (void)state;
    const char *l = "127.0.0.1, 10.1.0.0/16,2001:db8::/32 ,::1";
    assert_true(addr_in_list("127.0.0.1", l));
    assert_false(addr_in_list("127.0.0.2", l));
    assert_true(addr_in_list("10.1.200.3", l));
    assert_false(addr_in_list("10.2.0.1", l));
    assert_true(addr_in_list("2001:db8:1::5", l));
    assert_false(addr_in_list("2001:db9::5", l));
    assert_true(addr_in_list("::1", l));
    assert_true(addr_in_list("::ffff:10.1.0.9", l)); /* IPv4 on a dual-stack socket */
    assert_false(addr_in_list("not an address", l));
    assert_true(addr_in_list("192.168.7.7", "0.0.0.0/0"));
    assert_false(addr_in_list("192.168.7.7", ""));
    assert_true(addr_in_list("192.168.7.7", "192.168.7.0/25"));
    assert_false(addr_in_list("192.168.7.200", "192.168.7.0/25"));
    assert_int_equal(addr_list_check(l), 0);
    assert_int_equal(addr_list_check("127.0.0.1,10.0.0.0/33"), WASL_EINVAL);
    assert_non_null(strstr(err_message(), "10.0.0.0/33"));
    assert_int_equal(addr_list_check("example.org"), WASL_EINVAL);
    assert_int_equal(addr_list_check("10.0.0.0/"), WASL_EINVAL);
    /* more networks than a list holds: refused, not cut short */
    char many[40 * 16] = "";
    for (int i = 0; i < 40; i++)
        snprintf(many + strlen(many), sizeof(many) - strlen(many), "10.0.%d.0/24,", i);
    assert_int_equal(addr_list_check(many), WASL_EINVAL);
    assert_non_null(strstr(err_message(), "more than"));
}

static void wav_files(void **state)
{
    char path[] = "/tmp/wasl-test-XXXXXX";
    int16_t pcm[800], *back = NULL;
    size_t n = 0;
    (void)state;
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    for (int i = 0; i < 800; i++)
        pcm[i] = (int16_t)(i * 37 - 12000);
    assert_int_equal(wav_write(path, pcm, 800, 1), 0);
    assert_int_equal(wav_read(path, &back, &n), 0);
    assert_int_equal(n, 800);
    assert_memory_equal(back, pcm, sizeof(pcm));
    free(back);
    /* stereo is written, but prompts must be mono */
    assert_int_equal(wav_write(path, pcm, 400, 2), 0);
    assert_int_equal(wav_read(path, &back, &n), WASL_EINVAL);
    assert_non_null(strstr(err_message(), "mono"));
    unlink(path);
    static const unsigned char junk[] = "RIFF\x10\0\0\0WAVEdata\xff\xff\xff\xff";
    assert_int_equal(wav_parse(junk, sizeof(junk) - 1, &back, &n), WASL_EINVAL);
    assert_int_equal(wav_parse((const unsigned char *)"RIFX", 4, &back, &n), WASL_EINVAL);
}

/* Durations in whole minutes with each language's plural forms; every
 * part exists as a prompt in that language. */
static void durations(void **state)
{
    static const struct {
        const char *lang;
        int seconds;
        const char *want;
    } cases[] = {
        {"en", 0, "dur_lt1"},
        {"en", 59, "dur_lt1"},
        {"en", 60, "dur_1"},
        {"en", 89, "dur_1"},
        {"en", 250, "num_4 minutes_few"},
        {"fr", 7200, "num_99 minutes_many"},
        {"de", 120, "minutes_dual"},
        {"ar", 60, "dur_1"},
        {"ar", 120, "minutes_dual"},
        {"ar", 300, "num_5 minutes_few"},
        {"ar", 600, "num_10 minutes_few"},
        {"ar", 900, "num_15 minutes_many"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct ivr_item it = {.kind = IVR_ITEM_DURATION, .a = cases[i].seconds};
        char ids[8][IVR_NAME_MAX], lang[WASL_LANG_CODE_MAX], got[128] = "";
        int n = prompts_render(&it, cases[i].lang, lang, ids, 8);
        for (int k = 0; k < n; k++) {
            snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", k ? " " : "", ids[k]);
            if (!prompt_text(lang, ids[k]))
                fail_msg("%s: prompt %s is missing", lang, ids[k]);
        }
        if (strcmp(got, cases[i].want))
            fail_msg("%s %d s: want '%s', got '%s'", cases[i].lang, cases[i].seconds, cases[i].want, got);
    }
}

/* data/tel/queues.json: every language x service, patterns from the widest
 * to the narrowest, loud errors; a flow is checked against the queues. */
static void queues_as_data(void **state)
{
    (void)state;
    const char *data = getenv("WASL_TEST_DATA") ? getenv("WASL_TEST_DATA") : "data";
    assert_int_equal(queues_load(NULL, data), 0);
    assert_int_equal(queues_services(), 2);
    assert_string_equal(queues_name(queues_index(1, NULL)), "fr");
    assert_string_equal(queues_name(queues_index(1, "dossier")), "fr.dossier");
    assert_int_equal(queues_find("queue-fr.dossier"), queues_index(1, "dossier"));
    assert_int_equal(queues_find("queue-pt"), -1);
    const char *text = "{\"services\": [\"general\", \"entry_stay\"], \"defaults\": {\"max_wait_seconds\": 600},"
                       " \"queues\": {\"de.entry_stay\": {\"max_wait_seconds\": 60}, \"*.entry_stay\": {\"max_wait_seconds\": 300},"
                       " \"*.*\": {\"max_length\": 5}}}";
    assert_int_equal(queues_parse(text, strlen(text)), 0);
    struct acd *a;
    struct acd_hooks h = {0};
    struct acd_settings st = {.ring_timeout = 15000000};
    assert_int_equal(acd_new(&a, &h, &st), 0);
    assert_int_equal(queues_add(a), WASL_EINVAL); /* limits need the exit hook: said, not ignored */
    acd_free(a);
    static const char *const bad[][2] = {
        {"{\"services\": [\"dossier\"]}", "\"general\" comes first"},
        {"{\"services\": [\"general\"], \"defaults\": {\"max_wiat_seconds\": 5}}", "unknown setting max_wiat_seconds"},
        {"{\"services\": [\"general\"], \"queues\": {\"pt.general\": {}}}", "unknown language pt"},
        {"{\"services\": [\"general\"], \"queues\": {\"fr.visa\": {}}}", "unknown service"},
        {"{\"services\": [\"general\"], \"queues\": {\"fr\": {}}}", "a pattern is"},
        {"{\"services\": [\"general\"], \"defaults\": {\"strategy\": \"random\"}}", "strategy: one of"},
        {"{\"services\": [\"general\"], \"queues\": {\"fr.*\": {\"strategy\": \"ring_all\"}}}", "not supported yet"},
        {"{\"services\": [\"general\"], \"defaults\": {\"max_wait_seconds\": -1}}", "max_wait_seconds (0 to 7200)"},
        {"{\"services\": [\"general\"], \"defaults\": {\"widen\": [{\"min_proficiency\": 2}]}}", "after_seconds"},
        {"{\"services\": [\"general\", \"general\"]}", "each once"},
        {"[1, 2]", "an object"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(queues_parse(bad[i][0], strlen(bad[i][0])), WASL_EINVAL);
        if (!strstr(err_message(), bad[i][1]))
            fail_msg("%s: '%s' does not say '%s'", bad[i][0], err_message(), bad[i][1]);
        err_clear();
    }
    /* the last good plan stays: entry_stay, with limits */
    assert_string_equal(queues_service(1), "entry_stay");
    struct ivr_flow *f;
    const char *flow =
        "{\"start\": \"q\", \"nodes\": {\"q\": {\"type\": \"enqueue\", \"service\": \"entry_stay\", \"no_agents\": \"h\"},"
        " \"h\": {\"type\": \"hangup\"}}}";
    assert_int_equal(ivr_flow_parse(flow, strlen(flow), "t.json", NULL, NULL, &f), 0);
    assert_int_equal(queues_check_flow(f), WASL_EINVAL);
    assert_non_null(strstr(err_message(), "add on_timeout"));
    err_clear();
    ivr_flow_free(f);
    flow = "{\"start\": \"q\", \"nodes\": {\"q\": {\"type\": \"enqueue\", \"service\": \"visa\", \"on_timeout\": \"h\"}, \"h\": "
           "{\"type\": \"hangup\"}}}";
    assert_int_equal(ivr_flow_parse(flow, strlen(flow), "t.json", NULL, NULL, &f), 0);
    assert_int_equal(queues_check_flow(f), WASL_EINVAL);
    assert_non_null(strstr(err_message(), "service 'visa' has no queues"));
    err_clear();
    ivr_flow_free(f);
    flow = "{\"start\": \"q\", \"nodes\": {\"q\": {\"type\": \"enqueue\", \"on_timeout\": \"h\"}, \"h\": {\"type\": \"hangup\"}}}";
    assert_int_equal(ivr_flow_parse(flow, strlen(flow), "t.json", NULL, NULL, &f), 0);
    assert_int_equal(queues_check_flow(f), 0);
    ivr_flow_free(f);
    queues_unload();
}

/* data/tel/pause_reasons.json: codes and names checked, a missing name falls
 * back (and is logged), the system's reasons come after the agents'. */
static void pause_reasons_as_data(void **state)
{
    (void)state;
    const char *data = getenv("WASL_TEST_DATA") ? getenv("WASL_TEST_DATA") : "data";
    assert_int_equal(pauses_load(data), 0);
    assert_true(tel_pause_reasons() >= 4);
    const char *name;
    assert_string_equal(tel_pause_reason(0, 1, &name), "break");
    assert_string_equal(name, "Pause");
    const char *const *codes = pauses_codes();
    int n = 0;
    while (codes[n])
        n++;
    assert_string_equal(codes[n - 1], "no_answer");
    assert_string_equal(codes[n - 2], "phone_offline");
    const char *partial = "{\"reasons\": [{\"code\": \"prayer\", \"names\": {\"en\": \"Prayer\", \"ar\": \"صلاة\"}}]}";
    assert_int_equal(pauses_parse(partial, strlen(partial)), 0);
    assert_string_equal(tel_pause_reason(0, 1, &name), "prayer");
    assert_string_equal(name, "Prayer"); /* no French name: the fallback's */
    assert_null(tel_pause_reason(1, 1, &name));
    static const char *const bad[][2] = {
        {"{\"reasons\": []}", "1 to 30 reasons"},
        {"{\"reasons\": [{\"code\": \"Lunch Break\", \"names\": {\"en\": \"x\"}}]}", "lower-case"},
        {"{\"reasons\": [{\"code\": \"no_answer\", \"names\": {\"en\": \"x\"}}]}", "of the system"},
        {"{\"reasons\": [{\"code\": \"a\", \"names\": {\"en\": \"x\"}}, {\"code\": \"a\", \"names\": {\"en\": \"y\"}}]}", "twice"},
        {"{\"reasons\": [{\"code\": \"a\", \"names\": {\"fr\": \"x\"}}]}", "fallback language"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(pauses_parse(bad[i][0], strlen(bad[i][0])), WASL_EINVAL);
        if (!strstr(err_message(), bad[i][1]))
            fail_msg("%s: '%s' does not say '%s'", bad[i][0], err_message(), bad[i][1]);
        err_clear();
    }
    assert_string_equal(tel_pause_reason(0, 1, &name), "prayer"); /* a bad file changed nothing */
    assert_int_equal(pauses_load(data), 0);
}

/* RFC 4568 a=crypto values: only AES_CM_128_HMAC_SHA1_80 with a 30-byte
 * inline key, a lifetime allowed, no MKI, no session parameters. */
static void sdes_crypto_lines(void **state)
{
    /* 30 bytes: 0x00 0x01 ... 0x1d */
    const char *k = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd";
    static const struct {
        const char *fmt;
        int ok, tag;
    } cases[] = {
        {"1 AES_CM_128_HMAC_SHA1_80 inline:%s", 1, 1},         {"7 AES_CM_128_HMAC_SHA1_80 inline:%s|2^20", 1, 7},
        {"2 AES_CM_128_HMAC_SHA1_80 inline:%s|1048576", 1, 2}, {"1 AES_CM_128_HMAC_SHA1_32 inline:%s", 0, 0},
        {"1 AES_256_CM_HMAC_SHA1_80 inline:%s", 0, 0},         {"1 AES_CM_128_HMAC_SHA1_80 inline:%s|2^20|1:4", 0, 0},
        {"1 AES_CM_128_HMAC_SHA1_80 inline:%s|1:4", 0, 0},     {"1 AES_CM_128_HMAC_SHA1_80 inline:%s UNENCRYPTED_SRTP", 0, 0},
        {"1 AES_CM_128_HMAC_SHA1_80 inline:%.20s", 0, 0},      {"1 AES_CM_128_HMAC_SHA1_80 inline:%sAAAA", 0, 0},
        {"-1 AES_CM_128_HMAC_SHA1_80 inline:%s", 0, 0},        {"1 AES_CM_128_HMAC_SHA1_80 %s", 0, 0},
        {"x AES_CM_128_HMAC_SHA1_80 inline:%s", 0, 0},         {"", 0, 0},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char line[256];
        unsigned char key[SDES_KEY_LEN];
        int tag = -5;
        snprintf(line, sizeof(line), cases[i].fmt, k);
        int err = sdes_crypto_parse(line, &tag, key);
        if (cases[i].ok != !err)
            fail_msg("'%s': %s", line, err ? "refused" : "accepted");
        if (!err) {
            assert_int_equal(tag, cases[i].tag);
            for (int b = 0; b < SDES_KEY_LEN; b++)
                assert_int_equal(key[b], b);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(numbers_to_countries),
        cmocka_unit_test(plan_errors_are_named),
        cmocka_unit_test(toll_fraud_guard),
        cmocka_unit_test(digest_rfc2617_example),
        cmocka_unit_test(nonces),
        cmocka_unit_test(address_lists),
        cmocka_unit_test(sdes_crypto_lines),
        cmocka_unit_test(wav_files),
        cmocka_unit_test(durations),
        cmocka_unit_test(queues_as_data),
        cmocka_unit_test(pause_reasons_as_data),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
