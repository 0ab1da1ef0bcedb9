/*
 * Shared includes and helpers for the cmocka unit tests.
 */
#ifndef WASL_TEST_H
#define WASL_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/core.h"

/* A fresh file path in a private temporary folder (caller frees). */
static inline char *test_tmp_path(const char *name)
{
    char tmpl[] = "/tmp/wasl-unit-XXXXXX";
    char *dir = mkdtemp(tmpl), *p;
    if (!dir)
        return NULL;
    p = malloc(strlen(dir) + strlen(name) + 2);
    if (p)
        sprintf(p, "%s/%s", dir, name);
    return p;
}

static inline void test_write_file(const char *path, const char *content, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(content, 1, n, f), n);
    fclose(f);
}

/* Empties a PostgreSQL database shared by the unit tests: every table of
 * the public schema, whatever earlier tests created. */
#define TEST_PG_DROP_ALL                                                                                                           \
    "DO $$ DECLARE r record; BEGIN FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP EXECUTE "             \
    "'DROP TABLE IF EXISTS ' || quote_ident(r.tablename) || ' CASCADE'; END LOOP; END $$"

#endif
