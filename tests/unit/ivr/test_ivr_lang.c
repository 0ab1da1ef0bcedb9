/*
 * The IVR with an eighth language added as data only (tests/lang: zgh): the
 * language menu offers it on key 8, in its own words, and a caller who
 * presses 8 is served in it and queued in its queue. The data folder is
 * made by tests/lang/overlay.py, the same one the API test uses.
 */
#include "ivr_test.h"
#include "tel/tel.h"
#include "calendar/calendar.h"

static struct ivr_flow *flow;
static char folder[] = "/tmp/wasl-ivr-lang-XXXXXX";

static void menu_offers_the_eighth_language(void **state)
{
    struct ivr_session s;
    struct ivr_action a;
    int offers = 0, key = 0;
    (void)state;
    assert_int_equal(wasl_nlanguages, 8);
    assert_int_equal(ivr_start(&s, flow, "FR", at("2026-11-30T10:00:00Z"), &a), 0);
    step(&s, IVR_E_PLAYED, NULL, at("2026-11-30T10:00:05Z"), &a);
    assert_string_equal(ivr_node_name(&s), "language");
    /* one offer (prompt + key) per language; France's come first, zgh last */
    for (int i = 0; i < a.nitems; i++)
        if (a.items[i].kind == IVR_ITEM_PROMPT && !strncmp(a.items[i].prompt, "lang_", 5)) {
            offers++;
            if (!strcmp(a.items[i].prompt, "lang_zgh")) {
                assert_string_equal(a.items[i].lang, "zgh");
                assert_true(i + 1 < a.nitems && a.items[i + 1].kind == IVR_ITEM_NUMBER);
                key = a.items[i + 1].a;
            }
        }
    assert_int_equal(offers, 8);
    assert_int_equal(key, 8);
    assert_non_null(strstr(prompt_text("zgh", "lang_zgh"), "ⵜⴰⵎⴰⵣⵉⵖⵜ"));
    /* 9 is no language: asked again */
    step(&s, IVR_E_DIGITS, "9", at("2026-11-30T10:00:07Z"), &a);
    assert_string_equal(ivr_node_name(&s), "language");
    step(&s, IVR_E_DIGITS, "8", at("2026-11-30T10:00:09Z"), &a);
    assert_string_equal(s.language, "zgh");
    assert_string_equal(ivr_node_name(&s), "main_menu");
    step(&s, IVR_E_DIGITS, "1", at("2026-11-30T10:00:12Z"), &a);
    assert_string_equal(ivr_node_name(&s), "accept_fr"); /* would French do? no */
    step(&s, IVR_E_DIGITS, "2", at("2026-11-30T10:00:14Z"), &a);
    assert_int_equal(a.kind, IVR_A_ENQUEUE);
    assert_int_equal(a.queue, language_index("zgh"));
    assert_string_equal(a.language, "zgh");
}

static int setup(void **state)
{
    char cmd[256], data[512], path[600];
    FILE *p;
    (void)state;
    if (!mkdtemp(folder))
        return -1;
    snprintf(cmd, sizeof(cmd), "python3 tests/lang/overlay.py %s", folder);
    if (!(p = popen(cmd, "r")) || !fgets(data, sizeof(data), p) || pclose(p) != 0)
        return -1;
    data[strcspn(data, "\n")] = '\0';
    if (geo_load(data) || calendar_load(data) || prompts_load(data)) {
        fprintf(stderr, "%s\n", err_message());
        return -1;
    }
    snprintf(path, sizeof(path), "%s/ivr/main.json", data);
    if (ivr_flow_load(path, prompts_known, NULL, &flow)) {
        fprintf(stderr, "%s\n", err_message());
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];
    (void)state;
    ivr_flow_free(flow);
    prompts_unload();
    snprintf(cmd, sizeof(cmd), "rm -rf %s", folder);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(menu_offers_the_eighth_language),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
