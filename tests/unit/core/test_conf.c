/*
 * Settings: types, ranges, defaults, files with line numbers, environment.
 */
#include "test.h"
#include "core/core_int.h"

/* clang-format off */
static const struct conf_def defs[] = {
    {"net.port", CONF_INT, "8080", 0, 65535, "port"},
    {"net.name", CONF_STR, "wasl", 0, 0, "name"},
    {"net.on", CONF_BOOL, "false", 0, 0, "switch"},
    {"net.wait", CONF_DURATION, "30s", 1, 3600, "time-out"},
};
/* clang-format on */

static int setup(void **state)
{
    (void)state;
    conf_reset();
    return conf_register(defs, 4);
}

static void defaults(void **state)
{
    (void)state;
    assert_int_equal(conf_int("net.port"), 8080);
    assert_string_equal(conf_str("net.name"), "wasl");
    assert_false(conf_bool("net.on"));
    assert_int_equal(conf_int("net.wait"), 30);
    assert_string_equal(conf_str("net.unknown"), "");
}

static void set_values(void **state)
{
    (void)state;
    static const struct {
        const char *name, *value;
        int err;
    } cases[] = {
        {"net.port", "443", 0},
        {"net.port", "65536", WASL_EINVAL},
        {"net.port", "-1", WASL_EINVAL},
        {"net.port", "8o", WASL_EINVAL},
        {"net.port", "", WASL_EINVAL},
        {"net.on", "yes", 0},
        {"net.on", "OFF", 0},
        {"net.on", "2", WASL_EINVAL},
        {"net.wait", "15m", 0},
        {"net.wait", "2h", WASL_EINVAL},
        {"net.wait", "0", WASL_EINVAL},
        {"net.wait", "5x", WASL_EINVAL},
        {"net.name", "a\tb", WASL_EINVAL},
        {"nope.x", "1", WASL_ENOENT},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int err = conf_set(cases[i].name, cases[i].value, "test");
        if (err != cases[i].err)
            fail_msg("%s=%s: got %d want %d (%s)", cases[i].name, cases[i].value, err, cases[i].err, err_message());
    }
    assert_int_equal(conf_int("net.port"), 443);
    assert_false(conf_bool("net.on"));
    assert_int_equal(conf_int("net.wait"), 900);
}

static void file_errors_name_the_line(void **state)
{
    (void)state;
    const char *text = "# comment\n[net]\nport = 80\n\nport = 70000\nwho = x\n";
    assert_int_equal(conf_parse_buffer(text, strlen(text), "a.conf", true), WASL_EINVAL);
    assert_string_equal(err_message(), "a.conf:5: 'net.port' must be between 0 and 65535, not '70000'");
    /* Nothing applied from a bad file. */
    assert_int_equal(conf_int("net.port"), 8080);
    const char *good = "[net]\nport = 81\non = true\n";
    assert_int_equal(conf_parse_buffer(good, strlen(good), "b.conf", true), 0);
    assert_int_equal(conf_int("net.port"), 81);
    assert_true(conf_bool("net.on"));
}

static void file_from_disk(void **state)
{
    (void)state;
    char *path = test_tmp_path("x.conf");
    test_write_file(path, "[net]\nname = disk\n", 18);
    assert_int_equal(conf_load_file(path), 0);
    assert_string_equal(conf_str("net.name"), "disk");
    assert_int_equal(conf_load_file("/nonexistent/x.conf"), WASL_ENOENT);
    free(path);
}

static void environment(void **state)
{
    (void)state;
    setenv("WASL_NET_PORT", "9999", 1);
    assert_int_equal(conf_apply_env(), 0);
    assert_int_equal(conf_int("net.port"), 9999);
    setenv("WASL_NET_PORT", "x", 1);
    assert_int_equal(conf_apply_env(), WASL_EINVAL);
    assert_non_null(strstr(err_message(), "WASL_NET_PORT"));
    unsetenv("WASL_NET_PORT");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(defaults, setup),
        cmocka_unit_test_setup(set_values, setup),
        cmocka_unit_test_setup(file_errors_name_the_line, setup),
        cmocka_unit_test_setup(file_from_disk, setup),
        cmocka_unit_test_setup(environment, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
