/*
 * The Path of a REGISTER (path.c, RFC 3327): which hops are taken (only the
 * proxies of sip.path_from, loose routers, sip: URIs with an IP address),
 * the stored form, and the routes libre gets back from it. Tables of header
 * values through the real parser (libre's URI decoder inside).
 */
#include "test.h"
#include "tel/tel_int.h"

static void path_values(void **state)
{
    static const struct {
        const char *value;
        const char *stored; /* NULL: refused */
        const char *reason; /* a word of the refusal */
    } cases[] = {
        {"<sip:127.0.0.1:5070;lr>", "<sip:127.0.0.1:5070;lr>", NULL},
        {"  <sip:127.0.0.1;lr>  ", "<sip:127.0.0.1;lr>", NULL},
        {"<sip:127.0.0.1:5070;lr>, <sip:10.1.2.3;lr;transport=tcp>", "<sip:127.0.0.1:5070;lr>,<sip:10.1.2.3;lr;transport=tcp>",
         NULL},
        /* Kamailio's add_path_received(): the phone's address as the proxy saw it */
        {"<sip:127.0.0.1:5070;lr;received=sip:127.0.0.1:40000>", "<sip:127.0.0.1:5070;lr;received=sip:127.0.0.1:40000>", NULL},
        {"<sip:ob@127.0.0.1:5070;lr>", "<sip:ob@127.0.0.1:5070;lr>", NULL},
        {"<sips:[::1]:5071;lr>", "<sips:[::1]:5071;lr>", NULL},
        /* a host of the phone's choice, not a configured proxy */
        {"<sip:192.0.2.66;lr>", NULL, "path_from"},
        {"<sip:127.0.0.1;lr>, <sip:192.0.2.66;lr>", NULL, "path_from"},
        {"<sip:proxy.example.com;lr>", NULL, "IP address"},
        {"<sip:127.0.0.1>", NULL, "loose"},
        {"<sip:127.0.0.1;lrx>", NULL, "loose"},
        {"<tel:+33612345678;lr>", NULL, "sip:"},
        {"<http://127.0.0.1/;lr>", NULL, "sip:"},
        {"<:sip:127.0.0.5;lr>", NULL, "sip:"}, /* libre decodes it as sip: (found by fuzz_path) */
        {"sip:127.0.0.1;lr", NULL, "angle"},
        {"\"proxy\" <sip:127.0.0.1;lr>", NULL, "angle"},
        {"<sip:127.0.0.1;lr", NULL, "angle"},
        {"<sip:127.0.0.1;lr>;foo=bar", NULL, "after"},
        {"<sip:127.0.0.1;lr?Route=%3Csip:192.0.2.66%3E>", NULL, "character"},
        {"<sip:127.0.0.1;lr x>", NULL, "character"},
        {"<>", NULL, "empty"},
        {"<sip:127.0.0.1;lr>,<sip:127.0.0.1;lr>,<sip:127.0.0.1;lr>,<sip:127.0.0.1;lr>,<sip:127.0.0.1;lr>", NULL, "hops"},
        {"", "", NULL},
        {" , ,", "", NULL},
    };
    struct addr_list allowed;
    (void)state;
    assert_int_equal(addr_list_parse("127.0.0.0/8,10.0.0.0/8,::1", &allowed), 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[PATH_TEXT_MAX] = "";
        const char *reason = NULL;
        int err = regpath_add(out, sizeof(out), cases[i].value, strlen(cases[i].value), &allowed, &reason);
        if (!cases[i].stored != !!err)
            fail_msg("case %zu (%s): %s", i, cases[i].value, err ? reason : "accepted");
        if (!err && strcmp(out, cases[i].stored))
            fail_msg("case %zu: stored '%s', wanted '%s'", i, out, cases[i].stored);
        if (err && (!reason || !strstr(reason, cases[i].reason)))
            fail_msg("case %zu: reason '%s' does not name '%s'", i, reason ? reason : "", cases[i].reason);
    }
}

/* Several Path headers add up, in order; the hop limit counts them all; no
 * allowed list takes nothing; a URI longer than a hop is refused. */
static void path_headers_add_up(void **state)
{
    struct addr_list allowed;
    char out[PATH_TEXT_MAX] = "", small[24] = "";
    const char *reason = NULL;
    (void)state;
    assert_int_equal(addr_list_parse("127.0.0.1", &allowed), 0);
    assert_int_equal(regpath_add(out, sizeof(out), "<sip:127.0.0.1:1;lr>", 20, &allowed, &reason), 0);
    assert_int_equal(regpath_add(out, sizeof(out), "<sip:127.0.0.1:2;lr>,<sip:127.0.0.1:3;lr>", 41, &allowed, &reason), 0);
    assert_string_equal(out, "<sip:127.0.0.1:1;lr>,<sip:127.0.0.1:2;lr>,<sip:127.0.0.1:3;lr>");
    assert_int_equal(regpath_add(out, sizeof(out), "<sip:127.0.0.1:4;lr>", 20, &allowed, &reason), 0);
    assert_int_not_equal(regpath_add(out, sizeof(out), "<sip:127.0.0.1:5;lr>", 20, &allowed, &reason), 0);
    assert_non_null(strstr(reason, "hops"));
    out[0] = '\0';
    assert_int_not_equal(regpath_add(out, sizeof(out), "<sip:127.0.0.1;lr>", 18, NULL, &reason), 0);
    assert_non_null(strstr(reason, "path_from"));
    assert_int_not_equal(regpath_add(small, sizeof(small), "<sip:127.0.0.1:5060;lr;transport=udp>", 37, &allowed, &reason), 0);
    char big[PATH_URI_MAX + 40];
    snprintf(big, sizeof(big), "<sip:127.0.0.1;lr;x=%0*d>", PATH_URI_MAX, 0);
    out[0] = '\0';
    assert_int_not_equal(regpath_add(out, sizeof(out), big, strlen(big), &allowed, &reason), 0);
    /* the value's length is honoured: what follows it is not read */
    out[0] = '\0';
    assert_int_equal(regpath_add(out, sizeof(out), "<sip:127.0.0.1;lr>garbage", 18, &allowed, &reason), 0);
    assert_string_equal(out, "<sip:127.0.0.1;lr>");
}

/* The routes libre gets: each hop's URI without lr (libre adds ";lr"). */
static void path_routes(void **state)
{
    char routes[PATH_HOPS_MAX][PATH_URI_MAX];
    (void)state;
    assert_int_equal(regpath_routes("<sip:127.0.0.1:5070;lr>", routes, PATH_HOPS_MAX), 1);
    assert_string_equal(routes[0], "sip:127.0.0.1:5070");
    assert_int_equal(regpath_routes("<sip:10.1.2.3;lr;transport=tcp>,<sip:127.0.0.1;LR>", routes, PATH_HOPS_MAX), 2);
    assert_string_equal(routes[0], "sip:10.1.2.3;transport=tcp");
    assert_string_equal(routes[1], "sip:127.0.0.1");
    assert_int_equal(regpath_routes("<sip:127.0.0.1;lrx=1;lr;received=sip:127.0.0.1:4000>", routes, PATH_HOPS_MAX), 1);
    assert_string_equal(routes[0], "sip:127.0.0.1;lrx=1;received=sip:127.0.0.1:4000");
    assert_int_equal(regpath_routes("<sip:a;lr>,<sip:b;lr>,<sip:c;lr>", routes, 2), 2);
    assert_int_equal(regpath_routes("", routes, PATH_HOPS_MAX), 0);
    assert_int_equal(regpath_routes(NULL, routes, PATH_HOPS_MAX), 0);
    assert_int_equal(regpath_routes("<sip:a;lr", routes, PATH_HOPS_MAX), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(path_values),
        cmocka_unit_test(path_headers_add_up),
        cmocka_unit_test(path_routes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
