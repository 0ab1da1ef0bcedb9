/*
 * Route matching against the real route table: captures, 405 methods, HEAD;
 * and the event hub's checks of what is published.
 */
#include "test.h"
#include "http/http_int.h"
#include "api/api.h"

static void matching(void **state)
{
    static const struct {
        const char *method, *path, *want; /* want: pattern, or NULL */
        bool path_found;
        const char *allow;
    } cases[] = {
        {"GET", "/healthz", "/healthz", true, ""},
        {"HEAD", "/healthz", "/healthz", true, ""},
        {"POST", "/healthz", NULL, true, "GET, HEAD"},
        {"GET", "/api/v1/users/42", "/api/v1/users/{id}", true, ""},
        {"PATCH", "/api/v1/users/42", "/api/v1/users/{id}", true, ""},
        {"DELETE", "/api/v1/users/42", NULL, true, "GET, HEAD, PATCH"},
        {"POST", "/api/v1/users/42/password", "/api/v1/users/{id}/password", true, ""},
        {"GET", "/api/v1/users/", NULL, false, ""},
        {"GET", "/api/v1/users//password", NULL, false, ""},
        {"GET", "/api/v1/users/42/", NULL, false, ""},
        {"GET", "/api/v1", NULL, false, ""},
        {"GET", "", NULL, false, ""},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char allow[128];
        bool found;
        const struct route *r =
            router_match(api_routes, api_routes_count, cases[i].method, cases[i].path, allow, sizeof(allow), &found);
        if ((r == NULL) != (cases[i].want == NULL) || (r && strcmp(r->pattern, cases[i].want)) || found != cases[i].path_found ||
            (!r && strcmp(allow, cases[i].allow)))
            fail_msg("case %zu: %s %s -> %s found=%d allow='%s'", i, cases[i].method, cases[i].path, r ? r->pattern : "-", found,
                     allow);
    }
}

static void captures(void **state)
{
    struct req_priv p;
    struct arena *a;
    char allow[128];
    bool found;
    (void)state;
    const struct route *r =
        router_match(api_routes, api_routes_count, "POST", "/api/v1/users/77/unlock", allow, sizeof(allow), &found);
    assert_non_null(r);
    assert_int_equal(arena_alloc(&a), 0);
    memset(&p, 0, sizeof(p));
    assert_int_equal(router_capture(r, "/api/v1/users/77/unlock", &p, a), 0);
    assert_int_equal(p.nparams, 1);
    assert_string_equal(p.pnames[0], "id");
    assert_string_equal(p.pvalues[0], "77");
    arena_free(a);
}

static void table_is_sane(void **state)
{
    (void)state;
    for (size_t i = 0; i < api_routes_count; i++) {
        const struct route *r = &api_routes[i];
        assert_true(r->pattern[0] == '/');
        assert_non_null(r->handler);
        assert_true(r->summary && *r->summary);
        /* Every body-taking route has a cap, and reads only have none. */
        if (!strcmp(r->method, "GET"))
            assert_int_equal(r->body_max, 0);
        for (size_t j = i + 1; j < api_routes_count; j++)
            if (!strcmp(r->method, api_routes[j].method) && !strcmp(r->pattern, api_routes[j].pattern))
                fail_msg("duplicate route %s %s", r->method, r->pattern);
    }
}

/* What the event hub refuses, with a code: an event larger than a
 * stream's buffer, one spanning lines, a topic too long. */
static void sse_events(void **state)
{
    static const struct {
        const char *topic, *event, *data;
        int want;
        const char *code;
    } cases[] = {
        {"status", "status", "{\"a\":1}", 0, ""},
        {"agent:42", "agent", "{}", 0, ""},
        {"status", "status", "{\"a\":\n1}", WASL_EINVAL, "http.bad_event"},
        {"status", "sta\rtus", "{}", WASL_EINVAL, "http.bad_event"},
        {"a-topic-name-longer-than-the-forty-seven-bytes-it-may-have", "x", "{}", WASL_EINVAL, "http.bad_event"},
        {"status", "status", NULL, WASL_ETOOBIG, "http.event_too_large"}, /* data: 5,000 bytes */
    };
    char big[5001];
    (void)state;
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    conf_reset();
    assert_int_equal(conf_register(http_conf, http_conf_count), 0);
    assert_int_equal(conf_set("http.stream_buffer", "4096", "test"), 0);
    assert_int_equal(sse_start(), 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        err_clear();
        int err = http_sse_publish(cases[i].topic, cases[i].event, cases[i].data ? cases[i].data : big);
        if (err != cases[i].want || (err && strcmp(err_code(), cases[i].code)))
            fail_msg("case %zu: %d %s, wanted %d %s", i, err, err_code(), cases[i].want, cases[i].code);
    }
    assert_false(http_sse_wanted("status"));
    sse_stop();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matching),
        cmocka_unit_test(captures),
        cmocka_unit_test(table_is_sane),
        cmocka_unit_test(sse_events),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
