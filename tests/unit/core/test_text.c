/*
 * Text helpers: UTF-8 validation, CSV, JSON specs, arenas, buffers, clock.
 */
#include <jansson.h>

#include "test.h"

static void utf8(void **state)
{
    static const struct {
        const char *s;
        bool ok;
    } cases[] = {
        {"plain", true},
        {"العربية", true},
        {"é", true},
        {"\xc3\x28", false},
        {"\xe0\x80\xaf", false},     /* overlong '/' */
        {"\xed\xa0\x80", false},     /* surrogate */
        {"\xf4\x90\x80\x80", false}, /* above U+10FFFF */
        {"\xf0\x9f\x98\x80", true},  /* emoji */
        {"\xc0\xaf", false},
        {"\xff", false},
        {"abc\xe2\x82", false},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (utf8_valid(cases[i].s, strlen(cases[i].s)) != cases[i].ok)
            fail_msg("case %zu", i);
    assert_int_equal(utf8_len("العربية"), 7);
}

struct rows {
    int n;
    char last[64];
};

static int on_row(const struct csv_row *r, void *arg)
{
    struct rows *rs = arg;
    rs->n++;
    snprintf(rs->last, sizeof(rs->last), "%s|%s", csv_get(r, "a"), csv_get(r, "b"));
    if (strcmp(csv_get(r, "a"), "stop") == 0)
        return err_set(WASL_EINVAL, "test.stop", "stopped here");
    return 0;
}

static void csv(void **state)
{
    struct rows rs = {0};
    const char *ok = "\xEF\xBB\xBF# note\na,b\n1,\"x, \"\"y\"\"\"\r\n\n# c\n2,\"multi\nline\"\n";
    (void)state;
    assert_int_equal(csv_parse(ok, strlen(ok), "t.csv", on_row, &rs), 0);
    assert_int_equal(rs.n, 2);
    assert_string_equal(rs.last, "2|multi\nline");
    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"a,b\n1\n", "t.csv:2: 1 fields where the header has 2"},
        {"a,b\n\"x,1\n", "t.csv:2: a quoted field is not closed"},
        {"a,b\nx\"y,1\n", "t.csv:2: a quote inside an unquoted field"},
        {"a,b\n\"x\"y,1\n", "t.csv:2: text after a closing quote"},
        {"a,b\nstop,1\n", "t.csv:2: stopped here"},
        {"", "t.csv:1: no header row"},
        {"a,b\n\xff,1\n", "t.csv:1: the file is not valid UTF-8"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&rs, 0, sizeof(rs));
        assert_int_not_equal(csv_parse(bad[i].text, strlen(bad[i].text), "t.csv", on_row, &rs), 0);
        if (strcmp(err_message(), bad[i].msg) != 0)
            fail_msg("case %zu: '%s' want '%s'", i, err_message(), bad[i].msg);
    }
}

static void json_specs(void **state)
{
    const char *name = NULL, *opt = "unset";
    long long n = 0;
    int b = 0;
    bool has_b = false;
    struct json_spec spec[] = {
        {"name", JS_STR, true, 5, 0, 0, &name, NULL},
        {"n", JS_INT, false, 0, 1, 10, &n, NULL},
        {"b", JS_BOOL, false, 0, 0, 0, &b, &has_b},
        {"opt", JS_STR_OPT_NULL, false, 10, 0, 0, &opt, NULL},
    };
    static const struct {
        const char *body, *code, *field;
    } cases[] = {
        {"{\"name\":\"abc\",\"n\":3,\"b\":true,\"opt\":null}", NULL, NULL},
        {"{\"name\":\"abcdef\"}", "request.invalid_field", "name"},
        {"{\"n\":3}", "request.missing_field", "name"},
        {"{\"name\":\"a\",\"n\":11}", "request.invalid_field", "n"},
        {"{\"name\":\"a\",\"n\":\"3\"}", "request.invalid_field", "n"},
        {"{\"name\":\"a\",\"b\":1}", "request.invalid_field", "b"},
        {"{\"name\":\"a\",\"zzz\":1}", "request.unknown_field", "zzz"},
        {"{\"name\":\"a\"", "request.malformed_json", ""},
        {"[]", "request.malformed_json", ""},
        {"{\"name\":\"a\\u0000\"}", "request.malformed_json", ""},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *root = NULL;
        int err = json_parse_object(cases[i].body, strlen(cases[i].body), &root);
        if (!err)
            err = json_spec_parse(root, spec, 4, false);
        if (!cases[i].code) {
            assert_int_equal(err, 0);
            assert_string_equal(name, "abc");
            assert_int_equal(n, 3);
            assert_true(b && has_b);
            assert_null(opt);
        } else {
            assert_int_equal(err, WASL_EINVAL);
            if (strcmp(err_code(), cases[i].code) || strcmp(err_field(), cases[i].field))
                fail_msg("case %zu: %s/%s want %s/%s", i, err_code(), err_field(), cases[i].code, cases[i].field);
        }
        json_decref(root);
    }
}

/* A list that may be null (null and absent differ: present says which). */
static void json_spec_array_or_null(void **state)
{
    static const struct {
        const char *body;
        int err;
        bool present, list;
    } cases[] = {
        {"{\"l\":null}", 0, true, false},
        {"{\"l\":[\"a\",\"b\"]}", 0, true, true},
        {"{}", 0, false, false},
        {"{\"l\":\"a\"}", WASL_EINVAL, false, false},
        {"{\"l\":[1,2,3]}", WASL_EINVAL, false, false},
        {"{\"l\":{}}", WASL_EINVAL, false, false},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *root = NULL, *l = (json_t *)1;
        bool present = false;
        struct json_spec spec[] = {{"l", JS_ARRAY_OPT_NULL, false, 2, 0, 0, &l, &present}};
        assert_int_equal(json_parse_object(cases[i].body, strlen(cases[i].body), &root), 0);
        int err = json_spec_parse(root, spec, 1, false);
        if (err != cases[i].err)
            fail_msg("case %zu: %d want %d", i, err, cases[i].err);
        if (!err && cases[i].present) {
            assert_true(present);
            if (cases[i].list)
                assert_int_equal(json_array_size(l), 2);
            else
                assert_null(l);
        } else if (err) {
            assert_string_equal(err_field(), "l");
        }
        json_decref(root);
    }
}

static void arena_and_sbuf(void **state)
{
    struct arena *a;
    struct sbuf b;
    (void)state;
    assert_int_equal(arena_alloc(&a), 0);
    for (int i = 0; i < 1000; i++) {
        char *s = arena_printf(a, "item %d", i);
        assert_string_equal(s, arena_strdup(a, s));
    }
    char *big = arena_zalloc(a, 100000);
    assert_non_null(big);
    assert_int_equal(big[99999], 0);
    arena_free(a);
    arena_free(NULL);

    sbuf_init(&b, 10);
    assert_int_equal(sbuf_adds(&b, "12345"), 0);
    assert_int_equal(sbuf_addf(&b, "%d", 6789), 0);
    assert_int_equal(sbuf_adds(&b, "ab"), WASL_ETOOBIG);
    assert_true(b.oom);
    assert_string_equal(b.p, "123456789");
    sbuf_release(&b);
}

static void clock_parse_format(void **state)
{
    static const struct {
        const char *in;
        const char *out; /* NULL: invalid */
    } cases[] = {
        {"2026-11-28T19:59:59Z", "2026-11-28T19:59:59.000Z"},
        {"2026-11-28T20:59:59+01:00", "2026-11-28T19:59:59.000Z"},
        {"2026-11-28 19:59:59", "2026-11-28T19:59:59.000Z"},
        {"2026-11-28", "2026-11-28T00:00:00.000Z"},
        {"2026-11-28T19:59:59.25Z", "2026-11-28T19:59:59.250Z"},
        {"1969-12-31T23:59:59Z", "1969-12-31T23:59:59.000Z"},
        {"2026-13-01", NULL},
        {"2026-11-28T25:00Z", NULL},
        {"2026-11-28T19:59:59Zjunk", NULL},
        {"tomorrow", NULL},
        {"", NULL},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        wtime_t t;
        char buf[40];
        int err = clock_parse_utc(cases[i].in, &t);
        if (!cases[i].out) {
            assert_int_equal(err, WASL_EINVAL);
            continue;
        }
        assert_int_equal(err, 0);
        clock_format_utc(t, buf, sizeof(buf));
        assert_string_equal(buf, cases[i].out);
    }
}

static void clock_injection(void **state)
{
    wtime_t t;
    (void)state;
    assert_int_equal(clock_parse_utc("2026-11-28T19:59:59Z", &t), 0);
    clock_freeze(t);
    assert_int_equal(clock_now(), t);
    assert_int_equal(clock_now_sec(), t / WTIME_SEC);
    clock_set(t);
    wtime_t d = clock_now() - t;
    assert_true(d >= 0 && d < WTIME_SEC);
    clock_reset();
    assert_true(clock_now() > t - 365LL * 86400 * WTIME_SEC * 100);
}

static void errors(void **state)
{
    (void)state;
    assert_int_equal(err_set(WASL_ENOENT, "x.y", "no %s", "thing"), WASL_ENOENT);
    assert_string_equal(err_code(), "x.y");
    assert_string_equal(err_message(), "no thing");
    assert_int_equal(err_http_status(WASL_ENOENT), 404);
    assert_int_equal(err_http_status(WASL_ELIMIT), 429);
    assert_int_equal(err_http_status(WASL_ETOOBIG), 413);
    assert_int_equal(err_http_status(999), 500);
    err_clear();
    assert_string_equal(err_code(), "");
    assert_true(str_ct_equal("abc", "abc"));
    assert_false(str_ct_equal("abc", "abd"));
    assert_false(str_ct_equal("abc", "abcd"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(utf8),
        cmocka_unit_test(csv),
        cmocka_unit_test(json_specs),
        cmocka_unit_test(json_spec_array_or_null),
        cmocka_unit_test(arena_and_sbuf),
        cmocka_unit_test(clock_parse_format),
        cmocka_unit_test(clock_injection),
        cmocka_unit_test(errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
