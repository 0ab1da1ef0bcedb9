/*
 * Fuzz target: the case list's filter and search box (the query is built
 * without the store). Input: lines q, country, status, type, language,
 * sort, cursor. Whatever the bytes, the filter is refused with an error or
 * becomes a fixed SQL text whose placeholders match the parameters: no byte
 * of the input ever reaches the SQL (it is ASCII and printable throughout,
 * while the input may be anything).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cases/cases_int.h"
#include "common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char key_file[64];

static void forget_key(void)
{
    unlink(key_file);
}

static void setup(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    snprintf(key_file, sizeof(key_file), "/tmp/wasl-fuzz-key-%ld", (long)getpid());
    atexit(forget_key);
    conf_reset();
    conf_register(cases_conf, cases_conf_count);
    conf_set("cases.key_file", key_file, "fuzz");
    if (wrand_init() || geo_load(fuzz_data_dir()) || cases_init(fuzz_data_dir(), true))
        fuzz_setup_failed("cases");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char buf[1024], *fields[7] = {0};
    struct case_query q;
    struct actor who = {.login = "fuzz", .role = ROLE_AGENT};

    if (size >= sizeof(buf))
        return 0;
    setup();
    memcpy(buf, data, size);
    buf[size] = '\0';
    char *p = buf;
    for (int i = 0; i < 7 && p; i++) {
        fields[i] = p;
        if ((p = strchr(p, '\n')))
            *p++ = '\0';
    }
    struct case_filter f = {.q = fields[0],
                            .phone_country = fields[1],
                            .status = fields[2],
                            .type = fields[3],
                            .language = fields[4],
                            .sort = fields[5],
                            .cursor = fields[6]};
    if (case_query_build(&q, &who, &f) == 0) {
        int marks = 0;
        for (const unsigned char *s = (const unsigned char *)q.sql.p; *s; s++) {
            if (*s < 0x20 || *s > 0x7e)
                __builtin_trap();
            marks += *s == '?';
        }
        if (marks != q.n || q.sort < 0 || q.sort > 3)
            __builtin_trap();
        if (q.how && strcmp(q.how, "reference") && strcmp(q.how, "phone") && strcmp(q.how, "email") && strcmp(q.how, "text"))
            __builtin_trap();
    }
    err_clear();
    case_query_release(&q);
    return 0;
}
