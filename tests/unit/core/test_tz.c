/*
 * Unit tests for src/core/tz.c: TZif parsing (zic's fat and slim output of the
 * zones in tzsrc/, hand-built version 1 to 4 images, truncated and corrupted
 * files), POSIX TZ footers, UTC to local and back around every transition, gaps
 * and overlaps, zone-name checks and concurrent loading. Expected values come
 * from tables (made with zdump and checked by hand) and from glibc as an oracle.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* tm_zone and tm_gmtoff of glibc's localtime_r, the oracle */
#endif

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/core.h"
#include "core/core_int.h"

/* ---- an independent calendar ---------------------------------------------
 * The expected values must not come from days_from_civil(), which is under test:
 * this one adds up year and month lengths from 1970, for years 1600 to 2999.
 */
#define CAL_Y0 1600
#define CAL_Y1 3000

static int64_t cal_year_start[CAL_Y1 - CAL_Y0 + 1];

static int cal_leap(int y)
{
    return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int cal_mlen(int y, int m)
{
    static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return len[m - 1] + (m == 2 && cal_leap(y));
}

static void cal_init(void)
{
    cal_year_start[1970 - CAL_Y0] = 0;
    for (int y = 1971; y <= CAL_Y1; y++)
        cal_year_start[y - CAL_Y0] = cal_year_start[y - 1 - CAL_Y0] + 365 + cal_leap(y - 1);
    for (int y = 1969; y >= CAL_Y0; y--)
        cal_year_start[y - CAL_Y0] = cal_year_start[y + 1 - CAL_Y0] - 365 - cal_leap(y);
}

static int64_t cal_days(int y, int m, int d)
{
    int64_t n;

    assert_true(y >= CAL_Y0 && y <= CAL_Y1);
    n = cal_year_start[y - CAL_Y0];
    for (int i = 1; i < m; i++)
        n += cal_mlen(y, i);
    return n + d - 1;
}

static int64_t cal_secs(int y, int mo, int d, int h, int mi, int s)
{
    return cal_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

/* "YYYY-MM-DD hh:mm:ss" to seconds, read as UTC. */
static int64_t cal_parse(const char *s)
{
    int y, mo, d, h, mi, se;

    if (sscanf(s, "%d-%d-%d %d:%d:%d", &y, &mo, &d, &h, &mi, &se) != 6)
        fail_msg("bad date in test table: %s", s);
    return cal_secs(y, mo, d, h, mi, se);
}

struct cal_tm {
    int y, mo, d, h, mi, s, wday, yday;
};

static void cal_split(int64_t t, struct cal_tm *c)
{
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400), secs = t - days * 86400;
    int lo = CAL_Y0, hi = CAL_Y1;

    assert_true(days >= cal_year_start[0] && days < cal_year_start[CAL_Y1 - CAL_Y0]);
    while (hi - lo > 1) {
        int mid = (lo + hi) / 2;
        if (cal_year_start[mid - CAL_Y0] <= days)
            lo = mid;
        else
            hi = mid;
    }
    c->y = lo;
    c->yday = (int)(days - cal_year_start[lo - CAL_Y0]);
    c->d = c->yday;
    for (c->mo = 1; c->d >= cal_mlen(lo, c->mo); c->mo++)
        c->d -= cal_mlen(lo, c->mo);
    c->d++;
    c->h = (int)(secs / 3600);
    c->mi = (int)(secs / 60 % 60);
    c->s = (int)(secs % 60);
    c->wday = (int)(((days % 7) + 7 + 4) % 7);
}

static void cal_format(int64_t t, char *buf, size_t n)
{
    struct cal_tm c;
    cal_split(t, &c);
    snprintf(buf, n, "%04d-%02d-%02d %02d:%02d:%02d", c.y, c.mo, c.d, c.h, c.mi, c.s);
}

/* ---- helpers ------------------------------------------------------------ */

/* Which compiled directory a test runs against: the env var the Makefile sets. */
struct tzdir {
    const char *env;
};

static struct tzdir dir_fat = {"WASL_TEST_TZDIR_FAT"};
static struct tzdir dir_slim = {"WASL_TEST_TZDIR_SLIM"};

static const char *zone_names[] = {"Test/Morocco", "Test/Paris",    "Test/Nuuk", "Test/Santiago", "Test/Adelaide",
                                   "Test/Kolkata", "Test/Midnight", "Test/UTC",  "Test/Link"};
#define NZONES (sizeof(zone_names) / sizeof(zone_names[0]))

/* Points tz_get() at the directory of this test, or skips when it is not set. */
static const char *use_dir(void **state)
{
    const struct tzdir *d = *state;
    const char *dir = getenv(d->env);

    if (!dir || !*dir) {
        print_message("%s is not set: skipped\n", d->env);
        skip();
    }
    tz_set_dir(dir);
    return dir;
}

static const struct tz *zone(const char *name)
{
    const struct tz *z = NULL;
    int rc = tz_get(name, &z);

    if (rc)
        fail_msg("tz_get(%s): %s %s: %s", name, err_name(rc), err_code(), err_message());
    assert_non_null(z);
    return z;
}

static void local_format(const struct tz_local *l, char *buf, size_t n)
{
    snprintf(buf, n, "%04d-%02d-%02d %02d:%02d:%02d", l->year, l->month, l->day, l->hour, l->min, l->sec);
}

/* Checks tz_to_local(t) against the offset, DST flag and abbreviation given,
 * and every calendar field against the independent calendar. */
static void check_local(const struct tz *z, int64_t t, int off, bool dst, const char *abbr)
{
    struct tz_local l;
    struct cal_tm c;
    int rc;

    memset(&l, 0x5a, sizeof(l));
    rc = tz_to_local(z, t, &l);
    if (rc)
        fail_msg("%s: tz_to_local(%lld): %s", tz_name(z), (long long)t, err_message());
    cal_split(t + off, &c);
    if (l.utoff != off || l.isdst != dst || strcmp(l.abbr, abbr) != 0 || l.year != c.y || l.month != c.mo || l.day != c.d ||
        l.hour != c.h || l.min != c.mi || l.sec != c.s || l.wday != c.wday || l.yday != c.yday) {
        char u[40], got[40], want[40];
        cal_format(t, u, sizeof(u));
        local_format(&l, got, sizeof(got));
        cal_format(t + off, want, sizeof(want));
        fail_msg("%s at %s UTC: got %s %d %s dst=%d wday=%d yday=%d, want %s %d %s dst=%d wday=%d yday=%d", tz_name(z), u, got,
                 l.utoff, l.abbr, l.isdst, l.wday, l.yday, want, off, abbr, dst, c.wday, c.yday);
    }
}

/* tz_from_local() of the local time written as seconds (L = local time read as UTC). */
static int64_t from_local(const struct tz *z, int64_t L)
{
    struct cal_tm c;
    int64_t t = 0;
    int rc;

    cal_split(L, &c);
    rc = tz_from_local(z, c.y, c.mo, c.d, c.h, c.mi, c.s, &t);
    if (rc)
        fail_msg("%s: tz_from_local(%04d-%02d-%02d %02d:%02d:%02d): %s", tz_name(z), c.y, c.mo, c.d, c.h, c.mi, c.s, err_message());
    return t;
}

static void expect_from_local(const struct tz *z, int64_t L, int64_t want)
{
    int64_t got = from_local(z, L);

    if (got != want) {
        char l[40], g[40], w[40];
        cal_format(L, l, sizeof(l));
        cal_format(got, g, sizeof(g));
        cal_format(want, w, sizeof(w));
        fail_msg("%s: local %s gave %s UTC, want %s UTC", tz_name(z), l, g, w);
    }
}

/*
 * Local to UTC around a transition at T from offset ob to oa, with no other
 * transition within a day: in a gap every local time is read with the offset
 * before (moved forward by the gap), in an overlap the earlier instant wins.
 */
static void check_from_local_around(const struct tz *z, int64_t T, int ob, int oa)
{
    expect_from_local(z, T - 1 + ob, T - 1);
    if (oa > ob) {
        expect_from_local(z, T + ob, T);
        expect_from_local(z, T + ob + (oa - ob) / 2, T + (oa - ob) / 2);
        expect_from_local(z, T + oa - 1, T + oa - 1 - ob);
        expect_from_local(z, T + oa, T);
        expect_from_local(z, T + 1 + oa, T + 1);
    } else if (oa < ob) {
        expect_from_local(z, T + oa, T + oa - ob);
        expect_from_local(z, T + oa + 1, T + oa - ob + 1);
        expect_from_local(z, T + ob - 1, T - 1);
        expect_from_local(z, T + ob, T + ob - oa);
    } else {
        expect_from_local(z, T + oa, T);
        expect_from_local(z, T + 1 + oa, T + 1);
    }
}

/* The invariant behind both directions: the earliest instant showing the wall
 * time of t shows exactly that wall time, and is not after t. */
static void check_roundtrip(const struct tz *z, int64_t t)
{
    struct tz_local a, b;
    int64_t back;

    assert_int_equal(tz_to_local(z, t, &a), 0);
    assert_int_equal(tz_from_local(z, a.year, a.month, a.day, a.hour, a.min, a.sec, &back), 0);
    assert_true(back <= t);
    assert_int_equal(tz_to_local(z, back, &b), 0);
    assert_int_equal(a.year, b.year);
    assert_int_equal(a.month, b.month);
    assert_int_equal(a.day, b.day);
    assert_int_equal(a.hour, b.hour);
    assert_int_equal(a.min, b.min);
    assert_int_equal(a.sec, b.sec);
}

static unsigned char *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf;
    long len;

    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc(len > 0 ? (size_t)len : 1);
    assert_non_null(buf);
    *n = fread(buf, 1, (size_t)len, f);
    fclose(f);
    assert_int_equal(*n, (size_t)len);
    return buf;
}

static unsigned char *read_zone_file(const char *dir, const char *name, size_t *n)
{
    char path[PATH_MAX];
    unsigned char *buf;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    buf = read_all(path, n);
    if (!buf)
        fail_msg("cannot read %s: %s", path, strerror(errno));
    return buf;
}

/* ---- tables --------------------------------------------------------------
 * Every transition of the test zones before 2004 and from 2017 to 2027, and the
 * footer's in 2099: made with `zdump -v` from the fat files (slim for 2099) and
 * spot-checked by hand. utc is the first second of the new offset.
 */
static const struct trans_case {
    const char *zone, *utc;
    int off_before, off_after;
    bool dst_before, dst_after;
    const char *abbr_before, *abbr_after;
} trans_cases[] = {
    {"Test/Morocco", "1913-10-26 00:30:20", -1820, 0, false, false, "LMT", "+00"},
    {"Test/Morocco", "1939-09-12 00:00:00", 0, 3600, false, true, "+00", "+01"},
    {"Test/Morocco", "1939-11-18 23:00:00", 3600, 0, true, false, "+01", "+00"},
    {"Test/Morocco", "1940-02-25 00:00:00", 0, 3600, false, true, "+00", "+01"},
    {"Test/Morocco", "1945-11-17 23:00:00", 3600, 0, true, false, "+01", "+00"},
    {"Test/Morocco", "1976-05-01 00:00:00", 0, 3600, false, true, "+00", "+01"},
    {"Test/Morocco", "1976-07-31 23:00:00", 3600, 0, true, false, "+01", "+00"},
    {"Test/Morocco", "1977-05-01 00:00:00", 0, 3600, false, true, "+00", "+01"},
    {"Test/Morocco", "1977-09-27 23:00:00", 3600, 0, true, false, "+01", "+00"},
    {"Test/Morocco", "1984-03-16 00:00:00", 0, 3600, false, false, "+00", "+01"},
    {"Test/Morocco", "1985-12-31 23:00:00", 3600, 0, false, false, "+01", "+00"},
    {"Test/Morocco", "2017-03-26 02:00:00", 0, 3600, false, true, "+00", "+01"},
    {"Test/Morocco", "2017-05-21 02:00:00", 3600, 0, true, false, "+01", "+00"},
    {"Test/Morocco", "2017-07-02 02:00:00", 0, 3600, false, true, "+00", "+01"},
    {"Test/Morocco", "2017-10-29 02:00:00", 3600, 0, true, false, "+01", "+00"},
    {"Test/Morocco", "2018-03-25 02:00:00", 0, 3600, false, true, "+00", "+01"},
    {"Test/Morocco", "2018-05-13 02:00:00", 3600, 0, true, false, "+01", "+00"},
    {"Test/Morocco", "2018-06-17 02:00:00", 0, 3600, false, true, "+00", "+01"},
    {"Test/Morocco", "2018-10-28 02:00:00", 3600, 3600, true, false, "+01", "+01"},
    {"Test/Morocco", "2019-05-05 02:00:00", 3600, 0, false, true, "+01", "+00"},
    {"Test/Morocco", "2019-06-09 02:00:00", 0, 3600, true, false, "+00", "+01"},
    {"Test/Morocco", "2020-04-19 02:00:00", 3600, 0, false, true, "+01", "+00"},
    {"Test/Morocco", "2020-05-31 02:00:00", 0, 3600, true, false, "+00", "+01"},
    {"Test/Morocco", "2021-04-11 02:00:00", 3600, 0, false, true, "+01", "+00"},
    {"Test/Morocco", "2021-05-16 02:00:00", 0, 3600, true, false, "+00", "+01"},
    {"Test/Morocco", "2022-03-27 02:00:00", 3600, 0, false, true, "+01", "+00"},
    {"Test/Morocco", "2022-05-08 02:00:00", 0, 3600, true, false, "+00", "+01"},
    {"Test/Morocco", "2023-03-19 02:00:00", 3600, 0, false, true, "+01", "+00"},
    {"Test/Morocco", "2023-04-23 02:00:00", 0, 3600, true, false, "+00", "+01"},
    {"Test/Morocco", "2024-03-10 02:00:00", 3600, 0, false, true, "+01", "+00"},
    {"Test/Morocco", "2024-04-14 02:00:00", 0, 3600, true, false, "+00", "+01"},
    {"Test/Morocco", "2025-02-23 02:00:00", 3600, 0, false, true, "+01", "+00"},
    {"Test/Morocco", "2025-04-06 02:00:00", 0, 3600, true, false, "+00", "+01"},
    {"Test/Morocco", "2026-02-15 02:00:00", 3600, 0, false, true, "+01", "+00"},
    {"Test/Morocco", "2026-03-22 02:00:00", 0, 3600, true, false, "+00", "+01"},
    {"Test/Morocco", "2026-09-20 01:00:00", 3600, 0, false, false, "+01", "+00"},
    {"Test/Paris", "1891-03-15 23:50:39", 561, 561, false, false, "LMT", "PMT"},
    {"Test/Paris", "1911-03-10 23:50:39", 561, 0, false, false, "PMT", "WET"},
    {"Test/Paris", "1916-06-14 23:00:00", 0, 3600, false, true, "WET", "WEST"},
    {"Test/Paris", "1916-10-01 23:00:00", 3600, 0, true, false, "WEST", "WET"},
    {"Test/Paris", "1940-06-14 23:00:00", 0, 3600, false, false, "WET", "CET"},
    {"Test/Paris", "1976-03-28 00:00:00", 3600, 7200, false, true, "CET", "CEST"},
    {"Test/Paris", "1976-09-25 23:00:00", 7200, 3600, true, false, "CEST", "CET"},
    {"Test/Paris", "1977-04-03 01:00:00", 3600, 7200, false, true, "CET", "CEST"},
    {"Test/Paris", "1977-09-25 01:00:00", 7200, 3600, true, false, "CEST", "CET"},
    {"Test/Paris", "1978-04-02 01:00:00", 3600, 7200, false, true, "CET", "CEST"},
    {"Test/Paris", "1978-10-01 01:00:00", 7200, 3600, true, false, "CEST", "CET"},
    {"Test/Paris", "1979-04-01 01:00:00", 3600, 7200, false, true, "CET", "CEST"},
    {"Test/Paris", "1979-09-30 01:00:00", 7200, 3600, true, false, "CEST", "CET"},
    {"Test/Paris", "1980-04-06 01:00:00", 3600, 7200, false, true, "CET", "CEST"},
    {"Test/Paris", "1980-09-28 01:00:00", 7200, 3600, true, false, "CEST", "CET"},
    {"Test/Paris", "1981-03-29 01:00:00", 3600, 7200, false, true, "CET", "CEST"},
    {"Test/Paris", "1981-09-27 01:00:00", 7200, 3600, true, false, "CEST", "CET"},
    {"Test/Paris", "1982-03-28 01:00:00", 3600, 7200, false, true, "CET", "CEST"},
    {"Test/Paris", "1982-09-26 01:00:00", 7200, 3600, true, false, "CEST", "CET"},
    {"Test/Paris", "1983-03-27 01:00:00", 3600, 7200, false, true, "CET", "CEST"},
    {"Test/Paris", "1983-09-25 01:00:00", 7200, 3600, true, false, "CEST", "CET"},
    {"Test/Paris", "1984-03-25 01:00:00", 3600, 7200, false, true, "CET", "CEST"},
    {"Test/Paris", "1984-09-30 01:00:00", 7200, 3600, true, false, "CEST", "CET"},
    {"Test/Paris", "1985-03-31 01:00:00", 3600, 7200, false, true, "CET", "CEST"},
    {"Test/Paris", "1985-09-29 01:00:00", 7200, 3600, true, false, "CEST", "CET"},
    {"Test/Paris", "1986-03-30 01:00:00", 3600, 7200, false, true, "CET", "CEST"},
    {"Test/Paris", "1986-09-28 01:00:00", 7200, 3600, true, false, "CEST", "CET"},
    {"Test/Paris", "1987-03-29 01:00:00", 3600, 7200, false, true, "CET", "CEST"},
    {"Test/Paris", "1987-09-27 01:00:00", 7200, 3600, true, false, "CEST", "CET"},
    {"Test/Paris", "1988-03-27 01:00:00", 3600, 7200, false, true, "CET", "CEST"},
    {"Test/Paris", "1988-09-25 01:00:00", 7200, 3600, true, false, "CEST", "CET"},
    {"Test/Paris", "1989-03-26 01:00:00", 3600, 7200, false, true, "CET", "CEST"},
    {"Test/Paris", "1989-09-24 01:00:00", 7200, 3600, true, false, "CEST", "CET"},
    {"Test/Paris", "1990-03-25 01:00:00", 3600, 7200, false, true, "CET", "CEST"},
    {"Test/Paris", "1990-09-30 01:00:00", 7200, 3600, true, false, "CEST", "CET"},
    {"Test/Paris", "1991-03-31 01:00:00", 3600, 7200, false, true, "CET", "CEST"},
    {"Test/Paris", "1991-09-29 01:00:00", 7200, 3600, true, false, "CEST", "CET"},
    {"Test/Paris", "1992-03-29 01:00:00", 3600, 7200, false, true, "CET", "CEST"},
    {"Test/Paris", "1992-09-27 01:00:00", 7200, 3600, true, false, "CEST", "CET"},
    {"Test/Paris", "1993-03-28 01:00:00", 3600, 7200, false, true, "CET", "CEST"},
    {"Test/Paris", "1993-09-26 01:00:00", 7200, 3600, true, false, "CEST", "CET"},
    {"Test/Paris", "1994-03-27 01:00:00", 3600, 7200, false, true, "CET", "CEST"},
    {"Test/Paris", "1994-09-25 01:00:00", 7200, 3600, true, false, "CEST", "CET"},
    {"Test/Paris", "1995-03-26 01:00:00", 3600, 7200, false, true, "CET", "CEST"},
    {"Test/Paris", "1995-09-24 01:00:00", 7200, 3600, true, false, "CEST", "CET"},
    {"Test/Paris", "1996-03-31 01:00:00", 3600, 7200, false, true, "CET", "CEST"},
    {"Test/Paris", "1996-10-27 01:00:00", 7200, 3600, true, false, "CEST", "CET"},
    {"Test/Paris", "1997-03-30 01:00:00", 3600, 7200, false, true, "CET", "CEST"},
    {"Test/Paris", "1997-10-26 01:00:00", 7200, 3600, true, false, "CEST", "CET"},
    {"Test/Paris", "1998-03-29 01:00:00", 3600, 7200, false, true, "CET", "CEST"},
    {"Test/Paris", "1998-10-25 01:00:00", 7200, 3600, true, false, "CEST", "CET"},
    {"Test/Paris", "1999-03-28 01:00:00", 3600, 7200, false, true, "CET", "CEST"},
    {"Test/Paris", "1999-10-31 01:00:00", 7200, 3600, true, false, "CEST", "CET"},
    {"Test/Paris", "2000-03-26 01:00:00", 3600, 7200, false, true, "CET", "CEST"},
    {"Test/Paris", "2000-10-29 01:00:00", 7200, 3600, true, false, "CEST", "CET"},
    {"Test/Paris", "2001-03-25 01:00:00", 3600, 7200, false, true, "CET", "CEST"},
    {"Test/Paris", "2001-10-28 01:00:00", 7200, 3600, true, false, "CEST", "CET"},
    {"Test/Paris", "2002-03-31 01:00:00", 3600, 7200, false, true, "CET", "CEST"},
    {"Test/Paris", "2002-10-27 01:00:00", 7200, 3600, true, false, "CEST", "CET"},
    {"Test/Paris", "2003-03-30 01:00:00", 3600, 7200, false, true, "CET", "CEST"},
    {"Test/Paris", "2003-10-26 01:00:00", 7200, 3600, true, false, "CEST", "CET"},
    {"Test/Paris", "2017-03-26 01:00:00", 3600, 7200, false, true, "CET", "CEST"},
    {"Test/Paris", "2017-10-29 01:00:00", 7200, 3600, true, false, "CEST", "CET"},
    {"Test/Paris", "2018-03-25 01:00:00", 3600, 7200, false, true, "CET", "CEST"},
    {"Test/Paris", "2018-10-28 01:00:00", 7200, 3600, true, false, "CEST", "CET"},
    {"Test/Paris", "2019-03-31 01:00:00", 3600, 7200, false, true, "CET", "CEST"},
    {"Test/Paris", "2019-10-27 01:00:00", 7200, 3600, true, false, "CEST", "CET"},
    {"Test/Paris", "2020-03-29 01:00:00", 3600, 7200, false, true, "CET", "CEST"},
    {"Test/Paris", "2020-10-25 01:00:00", 7200, 3600, true, false, "CEST", "CET"},
    {"Test/Paris", "2021-03-28 01:00:00", 3600, 7200, false, true, "CET", "CEST"},
    {"Test/Paris", "2021-10-31 01:00:00", 7200, 3600, true, false, "CEST", "CET"},
    {"Test/Paris", "2022-03-27 01:00:00", 3600, 7200, false, true, "CET", "CEST"},
    {"Test/Paris", "2022-10-30 01:00:00", 7200, 3600, true, false, "CEST", "CET"},
    {"Test/Paris", "2023-03-26 01:00:00", 3600, 7200, false, true, "CET", "CEST"},
    {"Test/Paris", "2023-10-29 01:00:00", 7200, 3600, true, false, "CEST", "CET"},
    {"Test/Paris", "2024-03-31 01:00:00", 3600, 7200, false, true, "CET", "CEST"},
    {"Test/Paris", "2024-10-27 01:00:00", 7200, 3600, true, false, "CEST", "CET"},
    {"Test/Paris", "2025-03-30 01:00:00", 3600, 7200, false, true, "CET", "CEST"},
    {"Test/Paris", "2025-10-26 01:00:00", 7200, 3600, true, false, "CEST", "CET"},
    {"Test/Paris", "2026-03-29 01:00:00", 3600, 7200, false, true, "CET", "CEST"},
    {"Test/Paris", "2026-10-25 01:00:00", 7200, 3600, true, false, "CEST", "CET"},
    {"Test/Paris", "2027-03-28 01:00:00", 3600, 7200, false, true, "CET", "CEST"},
    {"Test/Paris", "2027-10-31 01:00:00", 7200, 3600, true, false, "CEST", "CET"},
    {"Test/Paris", "2099-03-29 01:00:00", 3600, 7200, false, true, "CET", "CEST"},
    {"Test/Paris", "2099-10-25 01:00:00", 7200, 3600, true, false, "CEST", "CET"},
    {"Test/Nuuk", "1916-07-28 03:26:56", -12416, -10800, false, false, "LMT", "-03"},
    {"Test/Nuuk", "2023-03-26 01:00:00", -10800, -7200, false, false, "-03", "-02"},
    {"Test/Nuuk", "2024-03-31 01:00:00", -7200, -3600, false, true, "-02", "-01"},
    {"Test/Nuuk", "2024-10-27 01:00:00", -3600, -7200, true, false, "-01", "-02"},
    {"Test/Nuuk", "2025-03-30 01:00:00", -7200, -3600, false, true, "-02", "-01"},
    {"Test/Nuuk", "2025-10-26 01:00:00", -3600, -7200, true, false, "-01", "-02"},
    {"Test/Nuuk", "2026-03-29 01:00:00", -7200, -3600, false, true, "-02", "-01"},
    {"Test/Nuuk", "2026-10-25 01:00:00", -3600, -7200, true, false, "-01", "-02"},
    {"Test/Nuuk", "2027-03-28 01:00:00", -7200, -3600, false, true, "-02", "-01"},
    {"Test/Nuuk", "2027-10-31 01:00:00", -3600, -7200, true, false, "-01", "-02"},
    {"Test/Nuuk", "2099-03-29 01:00:00", -7200, -3600, false, true, "-02", "-01"},
    {"Test/Nuuk", "2099-10-25 01:00:00", -3600, -7200, true, false, "-01", "-02"},
    {"Test/Santiago", "1890-01-01 04:42:45", -16965, -16965, false, false, "LMT", "SMT"},
    {"Test/Santiago", "1910-01-10 04:42:45", -16965, -18000, false, false, "SMT", "-05"},
    {"Test/Santiago", "1916-07-01 05:00:00", -18000, -14400, false, false, "-05", "-04"},
    {"Test/Santiago", "2019-09-08 04:00:00", -14400, -10800, false, true, "-04", "-03"},
    {"Test/Santiago", "2020-04-05 03:00:00", -10800, -14400, true, false, "-03", "-04"},
    {"Test/Santiago", "2020-09-06 04:00:00", -14400, -10800, false, true, "-04", "-03"},
    {"Test/Santiago", "2021-04-04 03:00:00", -10800, -14400, true, false, "-03", "-04"},
    {"Test/Santiago", "2021-09-05 04:00:00", -14400, -10800, false, true, "-04", "-03"},
    {"Test/Santiago", "2022-04-03 03:00:00", -10800, -14400, true, false, "-03", "-04"},
    {"Test/Santiago", "2022-09-04 04:00:00", -14400, -10800, false, true, "-04", "-03"},
    {"Test/Santiago", "2023-04-02 03:00:00", -10800, -14400, true, false, "-03", "-04"},
    {"Test/Santiago", "2023-09-03 04:00:00", -14400, -10800, false, true, "-04", "-03"},
    {"Test/Santiago", "2024-04-07 03:00:00", -10800, -14400, true, false, "-03", "-04"},
    {"Test/Santiago", "2024-09-08 04:00:00", -14400, -10800, false, true, "-04", "-03"},
    {"Test/Santiago", "2025-04-06 03:00:00", -10800, -14400, true, false, "-03", "-04"},
    {"Test/Santiago", "2025-09-07 04:00:00", -14400, -10800, false, true, "-04", "-03"},
    {"Test/Santiago", "2026-04-05 03:00:00", -10800, -14400, true, false, "-03", "-04"},
    {"Test/Santiago", "2026-09-06 04:00:00", -14400, -10800, false, true, "-04", "-03"},
    {"Test/Santiago", "2027-04-04 03:00:00", -10800, -14400, true, false, "-03", "-04"},
    {"Test/Santiago", "2027-09-05 04:00:00", -14400, -10800, false, true, "-04", "-03"},
    {"Test/Santiago", "2099-04-05 03:00:00", -10800, -14400, true, false, "-03", "-04"},
    {"Test/Santiago", "2099-09-06 04:00:00", -14400, -10800, false, true, "-04", "-03"},
    {"Test/Adelaide", "1895-01-31 14:45:40", 33260, 32400, false, false, "LMT", "ACST"},
    {"Test/Adelaide", "1899-04-30 15:00:00", 32400, 34200, false, false, "ACST", "ACST"},
    {"Test/Adelaide", "2017-04-01 16:30:00", 37800, 34200, true, false, "ACDT", "ACST"},
    {"Test/Adelaide", "2017-09-30 16:30:00", 34200, 37800, false, true, "ACST", "ACDT"},
    {"Test/Adelaide", "2018-03-31 16:30:00", 37800, 34200, true, false, "ACDT", "ACST"},
    {"Test/Adelaide", "2018-10-06 16:30:00", 34200, 37800, false, true, "ACST", "ACDT"},
    {"Test/Adelaide", "2019-04-06 16:30:00", 37800, 34200, true, false, "ACDT", "ACST"},
    {"Test/Adelaide", "2019-10-05 16:30:00", 34200, 37800, false, true, "ACST", "ACDT"},
    {"Test/Adelaide", "2020-04-04 16:30:00", 37800, 34200, true, false, "ACDT", "ACST"},
    {"Test/Adelaide", "2020-10-03 16:30:00", 34200, 37800, false, true, "ACST", "ACDT"},
    {"Test/Adelaide", "2021-04-03 16:30:00", 37800, 34200, true, false, "ACDT", "ACST"},
    {"Test/Adelaide", "2021-10-02 16:30:00", 34200, 37800, false, true, "ACST", "ACDT"},
    {"Test/Adelaide", "2022-04-02 16:30:00", 37800, 34200, true, false, "ACDT", "ACST"},
    {"Test/Adelaide", "2022-10-01 16:30:00", 34200, 37800, false, true, "ACST", "ACDT"},
    {"Test/Adelaide", "2023-04-01 16:30:00", 37800, 34200, true, false, "ACDT", "ACST"},
    {"Test/Adelaide", "2023-09-30 16:30:00", 34200, 37800, false, true, "ACST", "ACDT"},
    {"Test/Adelaide", "2024-04-06 16:30:00", 37800, 34200, true, false, "ACDT", "ACST"},
    {"Test/Adelaide", "2024-10-05 16:30:00", 34200, 37800, false, true, "ACST", "ACDT"},
    {"Test/Adelaide", "2025-04-05 16:30:00", 37800, 34200, true, false, "ACDT", "ACST"},
    {"Test/Adelaide", "2025-10-04 16:30:00", 34200, 37800, false, true, "ACST", "ACDT"},
    {"Test/Adelaide", "2026-04-04 16:30:00", 37800, 34200, true, false, "ACDT", "ACST"},
    {"Test/Adelaide", "2026-10-03 16:30:00", 34200, 37800, false, true, "ACST", "ACDT"},
    {"Test/Adelaide", "2027-04-03 16:30:00", 37800, 34200, true, false, "ACDT", "ACST"},
    {"Test/Adelaide", "2027-10-02 16:30:00", 34200, 37800, false, true, "ACST", "ACDT"},
    {"Test/Adelaide", "2099-04-04 16:30:00", 37800, 34200, true, false, "ACDT", "ACST"},
    {"Test/Adelaide", "2099-10-03 16:30:00", 34200, 37800, false, true, "ACST", "ACDT"},
    {"Test/Kolkata", "1854-06-27 18:06:32", 21208, 21200, false, false, "LMT", "HMT"},
    {"Test/Kolkata", "1869-12-31 18:06:40", 21200, 19270, false, false, "HMT", "MMT"},
    {"Test/Kolkata", "1905-12-31 18:38:50", 19270, 19800, false, false, "MMT", "IST"},
    {"Test/Kolkata", "1941-09-30 18:30:00", 19800, 23400, false, true, "IST", "+0630"},
    {"Test/Kolkata", "1942-05-14 17:30:00", 23400, 19800, true, false, "+0630", "IST"},
    {"Test/Midnight", "1990-01-01 03:30:00", -12600, -10800, false, false, "-0330", "-03"},
    {"Test/Midnight", "2000-01-01 03:00:00", -10800, -10800, false, false, "-03", "MST"},
    {"Test/Midnight", "2000-03-12 03:00:00", -10800, -7200, false, true, "MST", "MDT"},
    {"Test/Midnight", "2000-11-05 02:00:00", -7200, -10800, true, false, "MDT", "MST"},
    {"Test/Midnight", "2001-03-11 03:00:00", -10800, -7200, false, true, "MST", "MDT"},
    {"Test/Midnight", "2001-11-04 02:00:00", -7200, -10800, true, false, "MDT", "MST"},
    {"Test/Midnight", "2002-03-10 03:00:00", -10800, -7200, false, true, "MST", "MDT"},
    {"Test/Midnight", "2002-11-03 02:00:00", -7200, -10800, true, false, "MDT", "MST"},
    {"Test/Midnight", "2003-03-09 03:00:00", -10800, -7200, false, true, "MST", "MDT"},
    {"Test/Midnight", "2003-11-02 02:00:00", -7200, -10800, true, false, "MDT", "MST"},
    {"Test/Midnight", "2017-03-12 03:00:00", -10800, -7200, false, true, "MST", "MDT"},
    {"Test/Midnight", "2017-11-05 02:00:00", -7200, -10800, true, false, "MDT", "MST"},
    {"Test/Midnight", "2018-03-11 03:00:00", -10800, -7200, false, true, "MST", "MDT"},
    {"Test/Midnight", "2018-11-04 02:00:00", -7200, -10800, true, false, "MDT", "MST"},
    {"Test/Midnight", "2019-03-10 03:00:00", -10800, -7200, false, true, "MST", "MDT"},
    {"Test/Midnight", "2019-11-03 02:00:00", -7200, -10800, true, false, "MDT", "MST"},
    {"Test/Midnight", "2020-03-08 03:00:00", -10800, -7200, false, true, "MST", "MDT"},
    {"Test/Midnight", "2020-11-01 02:00:00", -7200, -10800, true, false, "MDT", "MST"},
    {"Test/Midnight", "2021-03-14 03:00:00", -10800, -7200, false, true, "MST", "MDT"},
    {"Test/Midnight", "2021-11-07 02:00:00", -7200, -10800, true, false, "MDT", "MST"},
    {"Test/Midnight", "2022-03-13 03:00:00", -10800, -7200, false, true, "MST", "MDT"},
    {"Test/Midnight", "2022-11-06 02:00:00", -7200, -10800, true, false, "MDT", "MST"},
    {"Test/Midnight", "2023-03-12 03:00:00", -10800, -7200, false, true, "MST", "MDT"},
    {"Test/Midnight", "2023-11-05 02:00:00", -7200, -10800, true, false, "MDT", "MST"},
    {"Test/Midnight", "2024-03-10 03:00:00", -10800, -7200, false, true, "MST", "MDT"},
    {"Test/Midnight", "2024-11-03 02:00:00", -7200, -10800, true, false, "MDT", "MST"},
    {"Test/Midnight", "2025-03-09 03:00:00", -10800, -7200, false, true, "MST", "MDT"},
    {"Test/Midnight", "2025-11-02 02:00:00", -7200, -10800, true, false, "MDT", "MST"},
    {"Test/Midnight", "2026-03-08 03:00:00", -10800, -7200, false, true, "MST", "MDT"},
    {"Test/Midnight", "2026-11-01 02:00:00", -7200, -10800, true, false, "MDT", "MST"},
    {"Test/Midnight", "2027-03-14 03:00:00", -10800, -7200, false, true, "MST", "MDT"},
    {"Test/Midnight", "2027-11-07 02:00:00", -7200, -10800, true, false, "MDT", "MST"},
    {"Test/Midnight", "2099-03-08 03:00:00", -10800, -7200, false, true, "MST", "MDT"},
    {"Test/Midnight", "2099-11-01 02:00:00", -7200, -10800, true, false, "MDT", "MST"},
};

/* Hand-written points, in particular Morocco's return to +00 on 2026-09-20. */
static const struct point_case {
    const char *zone, *utc, *local;
    int off;
    bool dst;
    const char *abbr;
} point_cases[] = {
    {"Test/Morocco", "2026-09-19 12:00:00", "2026-09-19 13:00:00", 3600, false, "+01"},
    {"Test/Morocco", "2026-09-20 00:59:59", "2026-09-20 01:59:59", 3600, false, "+01"},
    {"Test/Morocco", "2026-09-20 01:00:00", "2026-09-20 01:00:00", 0, false, "+00"},
    {"Test/Morocco", "2026-09-20 12:00:00", "2026-09-20 12:00:00", 0, false, "+00"},
    {"Test/Morocco", "2027-06-01 12:00:00", "2027-06-01 12:00:00", 0, false, "+00"},
    {"Test/Morocco", "2026-02-20 12:00:00", "2026-02-20 12:00:00", 0, true, "+00"}, /* Ramadan: negative DST */
    {"Test/Morocco", "2025-12-31 23:30:00", "2026-01-01 00:30:00", 3600, false, "+01"},
    {"Test/Morocco", "2100-03-01 00:00:00", "2100-03-01 00:00:00", 0, false, "+00"},
    {"Test/Morocco", "2999-12-31 23:59:59", "2999-12-31 23:59:59", 0, false, "+00"},
    {"Test/Morocco", "1900-01-01 00:00:00", "1899-12-31 23:29:40", -1820, false, "LMT"},
    {"Test/Morocco", "1969-12-31 23:59:59", "1969-12-31 23:59:59", 0, false, "+00"},
    {"Test/Paris", "2026-07-14 10:00:00", "2026-07-14 12:00:00", 7200, true, "CEST"},
    {"Test/Paris", "2026-01-15 10:00:00", "2026-01-15 11:00:00", 3600, false, "CET"},
    {"Test/Paris", "1890-01-01 00:00:00", "1890-01-01 00:09:21", 561, false, "LMT"},
    {"Test/Paris", "1900-06-01 00:00:00", "1900-06-01 00:09:21", 561, false, "PMT"},
    {"Test/Paris", "1916-07-01 12:00:00", "1916-07-01 13:00:00", 3600, true, "WEST"},
    {"Test/Paris", "1950-01-01 00:00:00", "1950-01-01 01:00:00", 3600, false, "CET"},
    {"Test/Paris", "2400-07-01 12:00:00", "2400-07-01 14:00:00", 7200, true, "CEST"},
    {"Test/Paris", "2999-12-31 12:00:00", "2999-12-31 13:00:00", 3600, false, "CET"},
    {"Test/Link", "2026-07-14 10:00:00", "2026-07-14 12:00:00", 7200, true, "CEST"},
    {"Test/Nuuk", "2030-07-01 12:00:00", "2030-07-01 11:00:00", -3600, true, "-01"},
    {"Test/Nuuk", "2030-01-01 12:00:00", "2030-01-01 10:00:00", -7200, false, "-02"},
    {"Test/Nuuk", "2020-01-01 12:00:00", "2020-01-01 09:00:00", -10800, false, "-03"},
    {"Test/Santiago", "2030-01-15 12:00:00", "2030-01-15 09:00:00", -10800, true, "-03"},
    {"Test/Santiago", "2030-07-15 12:00:00", "2030-07-15 08:00:00", -14400, false, "-04"},
    {"Test/Santiago", "1900-01-01 12:00:00", "1900-01-01 07:17:15", -16965, false, "SMT"},
    {"Test/Adelaide", "2030-01-15 00:00:00", "2030-01-15 10:30:00", 37800, true, "ACDT"},
    {"Test/Adelaide", "2030-07-15 00:00:00", "2030-07-15 09:30:00", 34200, false, "ACST"},
    {"Test/Adelaide", "1896-01-01 00:00:00", "1896-01-01 09:00:00", 32400, false, "ACST"},
    {"Test/Kolkata", "2026-01-01 00:00:00", "2026-01-01 05:30:00", 19800, false, "IST"},
    {"Test/Kolkata", "1942-01-01 00:00:00", "1942-01-01 06:30:00", 23400, true, "+0630"},
    {"Test/Kolkata", "1860-01-01 00:00:00", "1860-01-01 05:53:20", 21200, false, "HMT"},
    {"Test/Midnight", "2026-03-08 02:59:59", "2026-03-07 23:59:59", -10800, false, "MST"},
    {"Test/Midnight", "2026-03-08 03:00:00", "2026-03-08 01:00:00", -7200, true, "MDT"},
    {"Test/UTC", "2026-06-01 12:00:00", "2026-06-01 12:00:00", 0, false, "UTC"},
    {"Test/UTC", "1700-02-28 23:59:59", "1700-02-28 23:59:59", 0, false, "UTC"},
};

/* Local to UTC in gaps (read with the offset before: later by the gap) and in
 * overlaps (the earlier instant); checked against Python's zoneinfo. */
static const struct local_case {
    const char *zone, *local, *utc, *shown;
} local_cases[] = {
    {"Test/Paris", "2026-03-29 02:30:00", "2026-03-29 01:30:00", "2026-03-29 03:30:00"},
    {"Test/Paris", "2026-10-25 02:30:00", "2026-10-25 00:30:00", "2026-10-25 02:30:00"},
    {"Test/Paris", "2026-10-25 03:00:00", "2026-10-25 02:00:00", "2026-10-25 03:00:00"},
    {"Test/Morocco", "2026-09-20 01:30:00", "2026-09-20 00:30:00", "2026-09-20 01:30:00"},
    {"Test/Morocco", "2026-09-20 02:00:00", "2026-09-20 02:00:00", "2026-09-20 02:00:00"},
    {"Test/Morocco", "2026-09-19 13:00:00", "2026-09-19 12:00:00", "2026-09-19 13:00:00"},
    {"Test/Morocco", "2026-02-15 02:30:00", "2026-02-15 01:30:00", "2026-02-15 02:30:00"},
    {"Test/Morocco", "2026-03-22 02:30:00", "2026-03-22 02:30:00", "2026-03-22 03:30:00"},
    {"Test/Morocco", "2027-06-01 12:00:00", "2027-06-01 12:00:00", "2027-06-01 12:00:00"},
    {"Test/Midnight", "2026-03-08 00:30:00", "2026-03-08 03:30:00", "2026-03-08 01:30:00"},
    {"Test/Midnight", "2026-10-31 23:30:00", "2026-11-01 01:30:00", "2026-10-31 23:30:00"},
    {"Test/Midnight", "1990-01-01 00:15:00", "1990-01-01 03:45:00", "1990-01-01 00:45:00"},
    {"Test/Santiago", "2030-09-08 00:30:00", "2030-09-08 04:30:00", "2030-09-08 01:30:00"},
    {"Test/Santiago", "2030-04-06 23:30:00", "2030-04-07 02:30:00", "2030-04-06 23:30:00"},
    {"Test/Adelaide", "2030-10-06 02:15:00", "2030-10-05 16:45:00", "2030-10-06 03:15:00"},
    {"Test/Adelaide", "2030-04-07 02:30:00", "2030-04-06 16:00:00", "2030-04-07 02:30:00"},
    {"Test/Nuuk", "2030-03-30 23:30:00", "2030-03-31 01:30:00", "2030-03-31 00:30:00"},
    {"Test/Nuuk", "2030-10-26 23:30:00", "2030-10-27 00:30:00", "2030-10-26 23:30:00"},
    {"Test/Paris", "1891-03-15 12:00:00", "1891-03-15 11:50:39", "1891-03-15 12:00:00"},
};

/* ---- tests run against the fat and the slim directory ------------------- */

struct thr_arg {
    pthread_barrier_t *bar;
    const struct tz *got[NZONES];
    int errors;
};

static void *thr_main(void *p)
{
    struct thr_arg *a = p;
    static const char *bad[] = {"../etc/passwd", "Test/Nowhere", ""};

    pthread_barrier_wait(a->bar);
    for (int it = 0; it < 200; it++) {
        for (size_t i = 0; i < NZONES; i++) {
            const struct tz *z = NULL;
            struct tz_local l;
            if (tz_get(zone_names[i], &z) != 0 || !z) {
                a->errors++;
                continue;
            }
            if (a->got[i] && a->got[i] != z)
                a->errors++;
            a->got[i] = z;
            /* 2026-09-20 12:00 UTC: Morocco (zone_names[0]) shows 12:00 at +00. */
            if (tz_to_local(z, 1789905600, &l) != 0 || (i == 0 && (l.utoff != 0 || l.hour != 12)))
                a->errors++;
        }
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            const struct tz *z = NULL;
            if (tz_get(bad[i], &z) != WASL_ENOENT || z || strcmp(err_code(), "tz.unknown_zone") != 0)
                a->errors++;
        }
    }
    return NULL;
}

/*
 * Runs first in its group, so the cache is cold and the threads race to load
 * the same zones: all must get the same pointer for a name.
 */
static void test_threads(void **state)
{
    enum { N = 8 };
    pthread_t th[N];
    struct thr_arg args[N];
    pthread_barrier_t bar;

    use_dir(state);
    assert_int_equal(pthread_barrier_init(&bar, NULL, N), 0);
    memset(args, 0, sizeof(args));
    for (int i = 0; i < N; i++) {
        args[i].bar = &bar;
        assert_int_equal(pthread_create(&th[i], NULL, thr_main, &args[i]), 0);
    }
    for (int i = 0; i < N; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    pthread_barrier_destroy(&bar);
    for (int i = 0; i < N; i++) {
        assert_int_equal(args[i].errors, 0);
        for (size_t k = 0; k < NZONES; k++)
            assert_ptr_equal(args[i].got[k], args[0].got[k]);
    }
    for (size_t k = 0; k < NZONES; k++)
        assert_ptr_equal(zone(zone_names[k]), args[0].got[k]);
}

static void test_transitions(void **state)
{
    use_dir(state);
    for (size_t i = 0; i < sizeof(trans_cases) / sizeof(trans_cases[0]); i++) {
        const struct trans_case *c = &trans_cases[i];
        const struct tz *z = zone(c->zone);
        int64_t T = cal_parse(c->utc);

        check_local(z, T - 1, c->off_before, c->dst_before, c->abbr_before);
        check_local(z, T, c->off_after, c->dst_after, c->abbr_after);
        check_local(z, T + 1, c->off_after, c->dst_after, c->abbr_after);
        check_from_local_around(z, T, c->off_before, c->off_after);
    }
}

static void test_points(void **state)
{
    use_dir(state);
    for (size_t i = 0; i < sizeof(point_cases) / sizeof(point_cases[0]); i++) {
        const struct point_case *c = &point_cases[i];
        const struct tz *z = zone(c->zone);
        int64_t t = cal_parse(c->utc);
        struct tz_local l;
        char got[40];

        check_local(z, t, c->off, c->dst, c->abbr);
        assert_int_equal(tz_to_local(z, t, &l), 0);
        local_format(&l, got, sizeof(got));
        assert_string_equal(got, c->local);
        check_roundtrip(z, t);
    }
}

static void test_local_to_utc(void **state)
{
    use_dir(state);
    for (size_t i = 0; i < sizeof(local_cases) / sizeof(local_cases[0]); i++) {
        const struct local_case *c = &local_cases[i];
        const struct tz *z = zone(c->zone);
        struct tz_local l;
        char shown[40];

        expect_from_local(z, cal_parse(c->local), cal_parse(c->utc));
        assert_int_equal(tz_to_local(z, cal_parse(c->utc), &l), 0);
        local_format(&l, shown, sizeof(shown));
        assert_string_equal(shown, c->shown);
    }
}

/* Far past the table: only the footer knows, in the fat files as in the slim. */
static void test_far_future(void **state)
{
    static const struct {
        const char *zone;
        int month, off;
        bool dst;
    } cases[] = {
        {"Test/Paris", 7, 7200, true},      {"Test/Paris", 1, 3600, false},      {"Test/Morocco", 7, 0, false},
        {"Test/Santiago", 1, -10800, true}, {"Test/Santiago", 7, -14400, false}, {"Test/Adelaide", 1, 37800, true},
        {"Test/Nuuk", 7, -3600, true},      {"Test/Midnight", 7, -7200, true},   {"Test/Kolkata", 7, 19800, false},
    };
    static const int years[] = {2500, 10000, 100000, 999999};

    use_dir(state);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct tz *z = zone(cases[i].zone);
        for (size_t k = 0; k < sizeof(years) / sizeof(years[0]); k++) {
            int64_t t = days_from_civil(years[k], cases[i].month, 15) * 86400 + 12 * 3600, back;
            struct tz_local l;
            assert_int_equal(tz_to_local(z, t, &l), 0);
            assert_int_equal(l.utoff, cases[i].off);
            assert_int_equal(l.isdst, cases[i].dst);
            assert_int_equal(l.year, years[k]);
            assert_int_equal(l.month, cases[i].month);
            assert_int_equal(l.hour * 3600 + l.min * 60 + l.sec, 12 * 3600 + cases[i].off);
            assert_int_equal(tz_from_local(z, l.year, l.month, l.day, l.hour, l.min, l.sec, &back), 0);
            assert_int_equal(back, t);
        }
    }
    /* Paris's last Sunday of March in year 100000: 01:00 UTC, like every year. */
    {
        const struct tz *z = zone("Test/Paris");
        int64_t d = days_from_civil(100000, 3, 31), T;
        struct tz_local l;
        while ((d + 4) % 7 != 0)
            d--;
        T = d * 86400 + 3600;
        assert_int_equal(tz_to_local(z, T - 1, &l), 0);
        assert_int_equal(l.utoff, 3600);
        assert_int_equal(tz_to_local(z, T, &l), 0);
        assert_int_equal(l.utoff, 7200);
        assert_int_equal(l.hour, 3);
        check_roundtrip(z, T - 1);
        check_roundtrip(z, T);
    }
}

static void test_names(void **state)
{
    char longname[400], maxname[256];
    const char *bad[] = {"",
                         "../etc/passwd",
                         "/etc/passwd",
                         "..",
                         ".",
                         "./Test/Paris",
                         "Test/./Paris",
                         "Test/../Test/Paris",
                         "Test/..",
                         "Test//Paris",
                         "Test/Paris/",
                         "Test/Pa ris",
                         "Test/Paris\n",
                         "Test\\Paris",
                         "Test/Paris;ls",
                         "Test/P\xc3\xa4ris",
                         "%2e%2e/etc/passwd",
                         "Test/Nowhere",
                         "Test",
                         "test/paris",
                         "Test/Paris.tar",
                         "right/Test/Paris",
                         "posix/Test/Paris",
                         longname,
                         maxname};
    const struct tz *z;

    use_dir(state);
    memset(longname, 'A', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    memset(maxname, 'A', sizeof(maxname) - 1); /* 255 bytes: allowed, but not there */
    maxname[sizeof(maxname) - 1] = '\0';
    maxname[4] = '/';
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        z = (const struct tz *)&z;
        err_clear();
        if (tz_get(bad[i], &z) != WASL_ENOENT)
            fail_msg("tz_get(\"%.40s\") did not fail with ENOENT", bad[i]);
        assert_ptr_equal(z, (const struct tz *)&z);
        assert_string_equal(err_code(), "tz.unknown_zone");
    }
    assert_int_equal(tz_get(NULL, &z), WASL_ENOENT);
    assert_int_equal(tz_get("Test/Paris", NULL), WASL_EINVAL);

    for (size_t i = 0; i < NZONES; i++) {
        z = zone(zone_names[i]);
        assert_string_equal(tz_name(z), zone_names[i]);
        assert_ptr_equal(zone(zone_names[i]), z);
    }
    assert_ptr_not_equal(zone("Test/Link"), zone("Test/Paris"));
}

/* Every prefix of a real file is refused, cleanly. */
static void test_truncated(void **state)
{
    const char *dir = use_dir(state);

    for (size_t i = 0; i < NZONES; i++) {
        size_t n;
        unsigned char *buf = read_zone_file(dir, zone_names[i], &n);
        struct tz *z = NULL;

        assert_int_equal(tz_parse_buffer(buf, n, zone_names[i], &z), 0);
        tz_free(z);
        for (size_t k = 0; k < n; k++) {
            unsigned char *cut = malloc(k ? k : 1);
            assert_non_null(cut);
            memcpy(cut, buf, k);
            z = NULL;
            if (tz_parse_buffer(cut, k, "cut", &z) == 0)
                fail_msg("%s cut to %zu of %zu bytes was accepted", zone_names[i], k, n);
            assert_null(z);
            assert_string_equal(err_code(), "tz.bad_tzif");
            free(cut);
        }
        free(buf);
    }
}

/* Exercises a zone that parsed: conversions either way must hold together. */
static void exercise(const struct tz *z)
{
    static const int64_t ts[] = {INT64_C(-4000000000), INT64_C(-1),          0,
                                 INT64_C(1000000000),  INT64_C(1789905600),  INT64_C(4102444800),
                                 INT64_C(32503680000), INT64_C(253402300799)};

    for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++)
        check_roundtrip(z, ts[i]);
}

/* Flips bits in every byte of every real file: nothing may crash, and what
 * still parses must convert consistently. */
static void test_corrupted(void **state)
{
    static const unsigned char masks[] = {0x01, 0x80, 0xff};
    const char *dir = use_dir(state);
    size_t refused = 0, accepted = 0;

    for (size_t i = 0; i < NZONES; i++) {
        size_t n;
        unsigned char *buf = read_zone_file(dir, zone_names[i], &n);
        for (size_t k = 0; k < n; k++) {
            for (size_t m = 0; m < sizeof(masks); m++) {
                struct tz *z = NULL;
                buf[k] ^= masks[m];
                if (tz_parse_buffer(buf, n, "mutant", &z) == 0) {
                    exercise(z);
                    tz_free(z);
                    accepted++;
                } else {
                    assert_null(z);
                    refused++;
                }
                buf[k] ^= masks[m];
            }
        }
        free(buf);
    }
    print_message("corrupted files: %zu refused, %zu accepted\n", refused, accepted);
    assert_true(refused > 0);
}

/* glibc's localtime_r, reading the same compiled file, is the oracle. */
struct oracle_state {
    int off;
    bool dst;
    char abbr[16];
};

static void oracle_zone(const char *path)
{
    char tzv[PATH_MAX + 2];

    snprintf(tzv, sizeof(tzv), ":%s", path);
    assert_int_equal(setenv("TZ", tzv, 1), 0);
    tzset();
}

static void oracle(int64_t t, struct oracle_state *o)
{
    time_t tt = (time_t)t;
    struct tm tm;

    assert_non_null(localtime_r(&tt, &tm));
    o->off = (int)tm.tm_gmtoff;
    o->dst = tm.tm_isdst > 0;
    snprintf(o->abbr, sizeof(o->abbr), "%s", tm.tm_zone ? tm.tm_zone : "");
}

static bool oracle_same(const struct oracle_state *a, const struct oracle_state *b)
{
    return a->off == b->off && a->dst == b->dst && strcmp(a->abbr, b->abbr) == 0;
}

/*
 * Samples 1850 to 2150 every 27h17m13s against glibc; where the state changes
 * between two samples, bisects to the transition and checks one second before,
 * at and after it, both ways.
 */
static void test_oracle_sweep(void **state)
{
    const char *dir = use_dir(state);
    const int64_t t0 = cal_parse("1850-01-01 00:00:00"), t1 = cal_parse("2150-01-01 00:00:00");
    const int64_t step = 27 * 3600 + 17 * 60 + 13;
    size_t found = 0;

    for (size_t i = 0; i < NZONES; i++) {
        char rel[PATH_MAX], path[PATH_MAX];
        const struct tz *z = zone(zone_names[i]);
        struct oracle_state prev, cur;
        int64_t pt = t0;

        snprintf(rel, sizeof(rel), "%s/%s", dir, zone_names[i]);
        assert_non_null(realpath(rel, path));
        oracle_zone(path);
        oracle(t0, &prev);
        for (int64_t t = t0; t < t1; t += step) {
            oracle(t, &cur);
            check_local(z, t, cur.off, cur.dst, cur.abbr);
            if (!oracle_same(&prev, &cur)) {
                int64_t lo = pt, hi = t;
                struct oracle_state o;
                while (hi - lo > 1) {
                    int64_t mid = lo + (hi - lo) / 2;
                    oracle(mid, &o);
                    if (oracle_same(&o, &prev))
                        lo = mid;
                    else
                        hi = mid;
                }
                check_local(z, hi - 1, prev.off, prev.dst, prev.abbr);
                check_local(z, hi, cur.off, cur.dst, cur.abbr);
                oracle(hi + 1, &o);
                check_local(z, hi + 1, o.off, o.dst, o.abbr);
                check_from_local_around(z, hi, prev.off, cur.off);
                found++;
            }
            prev = cur;
            pt = t;
        }
    }
    unsetenv("TZ");
    tzset();
    print_message("oracle sweep: %zu transitions checked\n", found);
    assert_true(found > 400);
}

/* ---- hand-built TZif images --------------------------------------------- */

struct tzb_type {
    int32_t off;
    uint8_t dst, ai;
};

struct tzb {
    char version; /* 0 for version 1 (32-bit, no footer), else '2', '3', '4'... */
    size_t timecnt;
    int64_t times[4];
    uint8_t idx[4];
    size_t typecnt;
    struct tzb_type types[4];
    const char *chars;
    size_t charcnt;
    size_t leapcnt;
    int64_t leap_occ[4];
    int32_t leap_corr[4];
    size_t isstdcnt, isutcnt;
    uint8_t isstd[4], isut[4];
    const char *footer; /* the whole footer, newlines included */
};

/* Offsets of the counts in the second header of a version 2+ image with an empty
 * version 1 block, as tzb_build() writes it. */
#define HDR2 44
#define OFF_ISUT (HDR2 + 20)
#define OFF_ISSTD (HDR2 + 24)
#define OFF_LEAP (HDR2 + 28)
#define OFF_TIME (HDR2 + 32)
#define OFF_TYPE (HDR2 + 36)
#define OFF_CHAR (HDR2 + 40)

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static size_t put_header(unsigned char *p, char version, const struct tzb *b)
{
    memset(p, 0, 44);
    memcpy(p, "TZif", 4);
    p[4] = (unsigned char)version;
    if (b) {
        put32(p + 20, (uint32_t)b->isutcnt);
        put32(p + 24, (uint32_t)b->isstdcnt);
        put32(p + 28, (uint32_t)b->leapcnt);
        put32(p + 32, (uint32_t)b->timecnt);
        put32(p + 36, (uint32_t)b->typecnt);
        put32(p + 40, (uint32_t)b->charcnt);
    }
    return 44;
}

static size_t put_time(unsigned char *p, int64_t t, int tsize)
{
    if (tsize == 8) {
        put32(p, (uint32_t)((uint64_t)t >> 32));
        put32(p + 4, (uint32_t)t);
    } else {
        put32(p, (uint32_t)t);
    }
    return (size_t)tsize;
}

/* Writes the image into buf (4 KiB is plenty) and returns its length. */
static size_t tzb_build(const struct tzb *b, unsigned char *buf)
{
    int tsize = b->version ? 8 : 4;
    size_t n = 0;

    if (b->version)
        n += put_header(buf, b->version, NULL);
    n += put_header(buf + n, b->version, b);
    for (size_t i = 0; i < b->timecnt; i++)
        n += put_time(buf + n, b->times[i], tsize);
    for (size_t i = 0; i < b->timecnt; i++)
        buf[n++] = b->idx[i];
    for (size_t i = 0; i < b->typecnt; i++) {
        put32(buf + n, (uint32_t)b->types[i].off);
        buf[n + 4] = b->types[i].dst;
        buf[n + 5] = b->types[i].ai;
        n += 6;
    }
    memcpy(buf + n, b->chars, b->charcnt);
    n += b->charcnt;
    for (size_t i = 0; i < b->leapcnt; i++) {
        n += put_time(buf + n, b->leap_occ[i], tsize);
        put32(buf + n, (uint32_t)b->leap_corr[i]);
        n += 4;
    }
    memcpy(buf + n, b->isstd, b->isstdcnt);
    n += b->isstdcnt;
    memcpy(buf + n, b->isut, b->isutcnt);
    n += b->isutcnt;
    if (b->version) {
        const char *f = b->footer ? b->footer : "\n\n";
        memcpy(buf + n, f, strlen(f));
        n += strlen(f);
    }
    return n;
}

/* Two types, AAA +01 and BBB +02 DST, BBB from 1e9 to 1.1e9; footer AAA-1. */
static struct tzb base(void)
{
    struct tzb b = {
        .version = '2',
        .timecnt = 2,
        .times = {1000000000, 1100000000},
        .idx = {1, 0},
        .typecnt = 2,
        .types = {{3600, 0, 0}, {7200, 1, 4}},
        .chars = "AAA\0BBB",
        .charcnt = 8,
        .footer = "\nAAA-1\n",
    };
    return b;
}

static struct tz *parse_ok(const unsigned char *buf, size_t n)
{
    struct tz *z = NULL;
    int rc = tz_parse_buffer(buf, n, "built", &z);

    if (rc)
        fail_msg("image refused: %s %s", err_code(), err_message());
    assert_non_null(z);
    return z;
}

static struct tz *build_ok(const struct tzb *b)
{
    unsigned char buf[4096];
    return parse_ok(buf, tzb_build(b, buf));
}

static void expect_refused(const unsigned char *buf, size_t n, int err, const char *what)
{
    struct tz *z = NULL;
    int rc = tz_parse_buffer(buf, n, "built", &z);

    if (rc != err)
        fail_msg("%s: got %s (%s), want %s", what, err_name(rc), err_message(), err_name(err));
    assert_null(z);
    assert_string_equal(err_code(), "tz.bad_tzif");
}

static void build_refused(const struct tzb *b, const char *what)
{
    unsigned char buf[4096];
    expect_refused(buf, tzb_build(b, buf), WASL_EINVAL, what);
}

static void check_base(const struct tz *z)
{
    check_local(z, 0, 3600, false, "AAA");
    check_local(z, 999999999, 3600, false, "AAA");
    check_local(z, 1000000000, 7200, true, "BBB");
    check_local(z, 1099999999, 7200, true, "BBB");
    check_local(z, 1100000000, 3600, false, "AAA");
    check_local(z, 4102444800, 3600, false, "AAA");
}

static void test_tzif_versions(void **state)
{
    struct tzb b = base();
    struct tz *z;
    (void)state;

    z = build_ok(&b);
    assert_string_equal(tz_name(z), "built");
    check_base(z);
    tz_free(z);
    for (const char *v = "345"; *v; v++) {
        b.version = *v;
        z = build_ok(&b);
        check_base(z);
        tz_free(z);
    }

    /* Version 1: 32-bit times, no footer, the last type stays in force. */
    b = base();
    b.version = 0;
    b.times[1] = 1100000000;
    b.idx[1] = 1;
    b.idx[0] = 0;
    b.times[0] = -1000000000;
    z = build_ok(&b);
    check_local(z, -1000000001, 3600, false, "AAA");
    check_local(z, 1100000000, 7200, true, "BBB");
    check_local(z, 4102444800, 7200, true, "BBB");
    check_roundtrip(z, 4102444800);
    tz_free(z);

    /* Version 1 with a byte too many. */
    {
        unsigned char buf[4096];
        size_t n = tzb_build(&b, buf);
        buf[n++] = 0;
        expect_refused(buf, n, WASL_EINVAL, "version 1 with trailing byte");
    }

    /* An empty footer: the last transition's type stays in force. */
    b = base();
    b.footer = "\n\n";
    b.idx[1] = 1;
    b.idx[0] = 0;
    z = build_ok(&b);
    check_local(z, 4102444800, 7200, true, "BBB");
    tz_free(z);

    /* Before the first transition type 0 applies, even when it is DST (RFC 8536). */
    b = base();
    b.types[0] = (struct tzb_type){7200, 1, 4};
    b.types[1] = (struct tzb_type){3600, 0, 0};
    b.timecnt = 1;
    b.idx[0] = 1;
    z = build_ok(&b);
    check_local(z, 0, 7200, true, "BBB");
    check_local(z, 1000000000, 3600, false, "AAA");
    tz_free(z);

    /* No transitions, no footer: type 0 everywhere. */
    b = base();
    b.timecnt = 0;
    b.footer = "\n\n";
    z = build_ok(&b);
    check_local(z, -4000000000, 3600, false, "AAA");
    check_local(z, 4000000000, 3600, false, "AAA");
    tz_free(z);

    /* Long abbreviations are cut to what struct tz_local holds. */
    b = base();
    b.chars = "ABCDEFGHIJ\0BBB";
    b.charcnt = 15;
    b.types[1].ai = 11;
    z = build_ok(&b);
    check_local(z, 0, 3600, false, "ABCDEFG");
    tz_free(z);

    /* Indicators that agree with the rules are accepted. */
    b = base();
    b.isstdcnt = b.isutcnt = 2;
    b.isstd[0] = b.isstd[1] = 1;
    b.isut[1] = 1;
    z = build_ok(&b);
    check_base(z);
    tz_free(z);

    /* The extreme offsets RFC 8536 allows. */
    b = base();
    b.types[0].off = 93599;
    b.types[1].off = -89999;
    b.footer = "\n\n";
    z = build_ok(&b);
    check_roundtrip(z, 999999999);
    check_roundtrip(z, 1000000000);
    check_roundtrip(z, 1100000000);
    tz_free(z);

    z = NULL;
    assert_int_equal(tz_parse_buffer((const unsigned char *)"TZif", 4, NULL, &z), WASL_EINVAL);
    assert_int_equal(tz_parse_buffer(NULL, 10, NULL, &z), WASL_EINVAL);
    assert_null(z);
    b = base();
    {
        unsigned char buf[4096];
        z = parse_ok(buf, tzb_build(&b, buf));
        tz_free(z);
        assert_int_equal(tz_parse_buffer(buf, tzb_build(&b, buf), NULL, &z), 0);
        assert_string_equal(tz_name(z), "");
        tz_free(z);
    }
    tz_free(NULL);
}

/*
 * Leap seconds: transition times count them, POSIX seconds do not, so a
 * transition written as 1000000002 after two leap seconds happens at 1e9.
 */
static void test_tzif_leaps(void **state)
{
    struct tzb b = base();
    struct tz *z;
    (void)state;

    b.version = '4';
    b.times[0] = 1000000002;
    b.times[1] = 1100000002;
    b.leapcnt = 2;
    b.leap_occ[0] = 78796800;
    b.leap_corr[0] = 1;
    b.leap_occ[1] = 94694401;
    b.leap_corr[1] = 2;
    z = build_ok(&b);
    check_base(z);
    tz_free(z);

    /* Version 4: the table may start with a correction other than 1. */
    b.leapcnt = 1;
    b.leap_occ[0] = 1000;
    b.leap_corr[0] = 27;
    b.times[0] = 1000000027;
    b.times[1] = 1100000027;
    z = build_ok(&b);
    check_base(z);
    tz_free(z);

    /* A leap second after a transition does not move it. */
    b.leap_occ[0] = 1050000000;
    b.leap_corr[0] = 1;
    b.times[0] = 1000000000;
    b.times[1] = 1100000001;
    z = build_ok(&b);
    check_base(z);
    tz_free(z);

    /* Two transitions a leap second apart collapse: refused. */
    b.times[0] = 1049999999;
    b.times[1] = 1050000000;
    build_refused(&b, "transitions collide");

    b = base();
    b.version = '4';
    b.leapcnt = 2;
    b.leap_occ[0] = 78796800;
    b.leap_corr[0] = 1;
    b.leap_occ[1] = 78796800;
    b.leap_corr[1] = 2;
    build_refused(&b, "leap seconds not ascending");
    b.leap_occ[1] = 94694401;
    b.leap_corr[1] = 3;
    build_refused(&b, "leap correction jumps by 2");
    b.leap_occ[0] = -1;
    b.leap_corr[1] = 2;
    build_refused(&b, "negative leap second");
    b.leap_occ[0] = 1;
    b.leap_corr[0] = 100000;
    b.leap_corr[1] = 100001;
    build_refused(&b, "leap correction too large");
}

static void test_tzif_malformed(void **state)
{
    unsigned char buf[4096];
    struct tzb b;
    size_t n;
    (void)state;

#define REFUSE(field_change, what)                                                                                                 \
    do {                                                                                                                           \
        b = base();                                                                                                                \
        field_change;                                                                                                              \
        build_refused(&b, what);                                                                                                   \
    } while (0)

    REFUSE(b.typecnt = 0; b.timecnt = 0, "no types");
    REFUSE(b.idx[1] = 2, "type index out of range");
    REFUSE(b.times[1] = b.times[0], "equal transition times");
    REFUSE(b.times[1] = b.times[0] - 1, "descending transition times");
    REFUSE(b.types[0].off = INT32_MIN, "offset INT32_MIN");
    REFUSE(b.types[0].off = 93600, "offset 26h");
    REFUSE(b.types[0].off = -90000, "offset -25h");
    REFUSE(b.types[1].dst = 2, "isdst 2");
    REFUSE(b.types[1].ai = 8, "abbreviation index past chars");
    REFUSE(b.chars = "AAA\0BBBB"; b.types[1].ai = 4, "abbreviation without NUL");
    REFUSE(b.chars = "AAA\0B\001B", "control character in abbreviation");
    REFUSE(b.isstdcnt = 1, "isstdcnt differs from typecnt");
    REFUSE(b.isutcnt = 1, "isutcnt differs from typecnt");
    REFUSE(b.isstdcnt = 2; b.isstd[1] = 2, "isstd 2");
    REFUSE(b.isstdcnt = 2; b.isutcnt = 2; b.isut[0] = 1, "UT without standard");
    REFUSE(b.isutcnt = 2; b.isut[0] = 3, "isut 3");
    REFUSE(b.footer = "\nAAA-1", "footer without final newline");
    REFUSE(b.footer = "AAA-1\n", "footer without leading newline");
    REFUSE(b.footer = "\nAAA-1\nX", "data after the footer");
    REFUSE(b.footer = "\nAAA-1\n\n", "newline after the footer");
    REFUSE(b.footer = "", "no footer");
    REFUSE(b.footer = "\n", "lone newline");
    REFUSE(b.version = '1', "version '1'");
    REFUSE(b.version = 'A', "version 'A'");
#undef REFUSE

    /* A NUL inside the footer. */
    b = base();
    n = tzb_build(&b, buf);
    buf[n - 3] = '\0';
    expect_refused(buf, n, WASL_EINVAL, "NUL in footer");

    /* Magic. */
    n = tzb_build(&b, buf);
    buf[HDR2 + 3] = 'F';
    expect_refused(buf, n, WASL_EINVAL, "second header magic");
    n = tzb_build(&b, buf);
    buf[0] = 'X';
    expect_refused(buf, n, WASL_EINVAL, "magic");

    /* Version 2 image whose second header says version 1. */
    n = tzb_build(&b, buf);
    buf[HDR2 + 4] = 0;
    expect_refused(buf, n, WASL_EINVAL, "second header version 1");

    /* Counts past their caps, in either header, are refused before any allocation. */
    {
        static const struct {
            size_t off;
            uint32_t v;
        } caps[] = {{OFF_TIME, 10001},        {OFF_TYPE, 257},
                    {OFF_CHAR, 4097},         {OFF_LEAP, 1001},
                    {OFF_ISSTD, 257},         {OFF_ISUT, 257},
                    {OFF_TIME, 0xffffffff},   {OFF_CHAR, 0xffffffff},
                    {OFF_TIME - HDR2, 10001}, {OFF_LEAP - HDR2, 0x80000000}};
        for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
            n = tzb_build(&b, buf);
            put32(buf + caps[i].off, caps[i].v);
            expect_refused(buf, n, WASL_ETOOBIG, "count over cap");
        }
        /* Under the caps but more than the file holds. */
        n = tzb_build(&b, buf);
        put32(buf + OFF_TIME, 10000);
        expect_refused(buf, n, WASL_EINVAL, "counts past the end");
        n = tzb_build(&b, buf);
        put32(buf + OFF_TIME - HDR2, 10000);
        expect_refused(buf, n, WASL_EINVAL, "version 1 counts past the end");
    }

    /* A huge buffer. */
    {
        size_t big = 300 * 1024;
        unsigned char *p = calloc(1, big);
        assert_non_null(p);
        n = tzb_build(&b, p);
        expect_refused(p, big, WASL_ETOOBIG, "300 KiB image");
        free(p);
    }
}

/* ---- POSIX TZ footers ----------------------------------------------------
 * Zones with no transition and only a footer; expected values from glibc's TZ
 * parser except where noted.
 */
static const struct footer_case {
    const char *footer, *utc;
    int off;
    bool dst;
    const char *abbr;
} footer_cases[] = {
    {"CET-1CEST,M3.5.0,M10.5.0/3", "2026-03-29 00:59:59", 3600, false, "CET"},
    {"CET-1CEST,M3.5.0,M10.5.0/3", "2026-03-29 01:00:00", 7200, true, "CEST"},
    {"CET-1CEST,M3.5.0,M10.5.0/3", "2026-10-25 00:59:59", 7200, true, "CEST"},
    {"CET-1CEST,M3.5.0,M10.5.0/3", "2026-10-25 01:00:00", 3600, false, "CET"},
    {"EST5EDT,M3.2.0,M11.1.0", "2026-03-08 06:59:59", -18000, false, "EST"},
    {"EST5EDT,M3.2.0,M11.1.0", "2026-03-08 07:00:00", -14400, true, "EDT"},
    {"EST5EDT,M3.2.0,M11.1.0", "2026-11-01 05:59:59", -14400, true, "EDT"},
    {"EST5EDT,M3.2.0,M11.1.0", "2026-11-01 06:00:00", -18000, false, "EST"},
    /* Jn never counts February 29: J79 is March 20 in leap and common years. */
    {"<+0330>-3:30<+0430>,J79/24,J263/24", "2024-03-20 20:29:59", 12600, false, "+0330"},
    {"<+0330>-3:30<+0430>,J79/24,J263/24", "2024-03-20 20:30:00", 16200, true, "+0430"},
    {"<+0330>-3:30<+0430>,J79/24,J263/24", "2025-03-20 20:29:59", 12600, false, "+0330"},
    {"<+0330>-3:30<+0430>,J79/24,J263/24", "2025-03-20 20:30:00", 16200, true, "+0430"},
    {"<+0330>-3:30<+0430>,J79/24,J263/24", "2024-09-20 19:29:59", 16200, true, "+0430"},
    {"<+0330>-3:30<+0430>,J79/24,J263/24", "2024-09-20 19:30:00", 12600, false, "+0330"},
    /* n counts from 0 and counts February 29: day 59 is Feb 29 2024 but Mar 1 2025. */
    {"XXX3YYY,59/2,300/2", "2024-02-29 04:59:59", -10800, false, "XXX"},
    {"XXX3YYY,59/2,300/2", "2024-02-29 05:00:00", -7200, true, "YYY"},
    {"XXX3YYY,59/2,300/2", "2025-03-01 04:59:59", -10800, false, "XXX"},
    {"XXX3YYY,59/2,300/2", "2025-03-01 05:00:00", -7200, true, "YYY"},
    {"XXX3YYY,59/2,300/2", "2024-10-27 03:59:59", -7200, true, "YYY"},
    {"XXX3YYY,59/2,300/2", "2024-10-27 04:00:00", -10800, false, "XXX"},
    {"XXX3YYY,59/2,300/2", "2025-10-28 03:59:59", -7200, true, "YYY"},
    {"XXX3YYY,59/2,300/2", "2025-10-28 04:00:00", -10800, false, "XXX"},
    /* Version 3: negative times, times past 24h, up to 167h either way. */
    {"<-02>2<-01>,M3.5.0/-1,M10.5.0/0", "2030-03-31 00:59:59", -7200, false, "-02"},
    {"<-02>2<-01>,M3.5.0/-1,M10.5.0/0", "2030-03-31 01:00:00", -3600, true, "-01"},
    {"<-02>2<-01>,M3.5.0/-1,M10.5.0/0", "2030-10-27 00:59:59", -3600, true, "-01"},
    {"<-02>2<-01>,M3.5.0/-1,M10.5.0/0", "2030-10-27 01:00:00", -7200, false, "-02"},
    {"<-04>4<-03>,M9.1.6/24,M4.1.6/24", "2030-09-08 03:59:59", -14400, false, "-04"},
    {"<-04>4<-03>,M9.1.6/24,M4.1.6/24", "2030-09-08 04:00:00", -10800, true, "-03"},
    {"<-04>4<-03>,M9.1.6/24,M4.1.6/24", "2030-04-07 02:59:59", -10800, true, "-03"},
    {"<-04>4<-03>,M9.1.6/24,M4.1.6/24", "2030-04-07 03:00:00", -14400, false, "-04"},
    {"XXX0YYY,M3.1.0/167,M10.1.0/-167", "2026-03-07 22:59:59", 0, false, "XXX"},
    {"XXX0YYY,M3.1.0/167,M10.1.0/-167", "2026-03-07 23:00:00", 3600, true, "YYY"},
    {"XXX0YYY,M3.1.0/167,M10.1.0/-167", "2026-09-26 23:59:59", 3600, true, "YYY"},
    {"XXX0YYY,M3.1.0/167,M10.1.0/-167", "2026-09-27 00:00:00", 0, false, "XXX"},
    /* DST all year (RFC 8536 3.3.1); glibc says EST for the first instant of a year. */
    {"EST5EDT,0/0,J365/25", "2026-01-01 04:59:59", -14400, true, "EDT"},
    {"EST5EDT,0/0,J365/25", "2026-01-01 05:00:00", -14400, true, "EDT"},
    {"EST5EDT,0/0,J365/25", "2026-07-01 00:00:00", -14400, true, "EDT"},
    {"EST5EDT,0/0,J365/25", "2024-12-31 23:00:00", -14400, true, "EDT"},
    /* Minutes in offsets and times, a half-hour DST, a fifth week that is the fourth. */
    {"<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45", "2026-09-26 13:59:59", 45900, false, "+1245"},
    {"<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45", "2026-09-26 14:00:00", 49500, true, "+1345"},
    {"<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45", "2026-04-04 13:59:59", 49500, true, "+1345"},
    {"<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45", "2026-04-04 14:00:00", 45900, false, "+1245"},
    {"<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", "2026-10-03 15:29:59", 37800, false, "+1030"},
    {"<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", "2026-10-03 15:30:00", 39600, true, "+11"},
    {"<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", "2026-04-04 14:59:59", 39600, true, "+11"},
    {"<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", "2026-04-04 15:00:00", 37800, false, "+1030"},
    {"XXX0YYY,M2.5.0,M11.5.0", "2026-02-22 01:59:59", 0, false, "XXX"},
    {"XXX0YYY,M2.5.0,M11.5.0", "2026-02-22 02:00:00", 3600, true, "YYY"},
    {"XXX0YYY,M2.5.0,M11.5.0", "2026-11-29 00:59:59", 3600, true, "YYY"},
    {"XXX0YYY,M2.5.0,M11.5.0", "2026-11-29 01:00:00", 0, false, "XXX"},
    {"XXX0YYY,M3.5.0/+2,M10.5.0/+3", "2026-07-01 00:00:00", 3600, true, "YYY"},
    /* Fixed offsets. */
    {"UTC0", "2026-06-01 12:00:00", 0, false, "UTC"},
    {"<+00>0", "2026-06-01 12:00:00", 0, false, "+00"},
    {"<+01>-1", "2026-06-01 12:00:00", 3600, false, "+01"},
    {"<-0930>9:30", "2026-06-01 12:00:00", -34200, false, "-0930"},
    {"LMT-0:09:21", "2026-06-01 12:00:00", 561, false, "LMT"},
    {"EST+5", "2026-06-01 12:00:00", -18000, false, "EST"},
    {"<+14>-14", "2026-06-01 12:00:00", 50400, false, "+14"},
    {"XXX-24:59:59", "2026-06-01 12:00:00", 89999, false, "XXX"},
    {"ABCDEFGHIJ-2", "2026-06-01 12:00:00", 7200, false, "ABCDEFG"},
};

static struct tz *footer_zone(const char *tzstr)
{
    struct tzb b = base();
    char footer[600];

    snprintf(footer, sizeof(footer), "\n%s\n", tzstr);
    b.timecnt = 0;
    b.footer = footer;
    return build_ok(&b);
}

static void test_footers(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(footer_cases) / sizeof(footer_cases[0]); i++) {
        const struct footer_case *c = &footer_cases[i];
        struct tz *z = footer_zone(c->footer);
        int64_t t = cal_parse(c->utc);
        check_local(z, t, c->off, c->dst, c->abbr);
        check_roundtrip(z, t);
        check_roundtrip(z, t + 1800);
        check_roundtrip(z, t - 3600);
        tz_free(z);
    }
}

/* A footer takes over at the last transition of a slim file. */
static void test_footer_after_table(void **state)
{
    struct tzb b = base();
    struct tz *z;
    (void)state;

    b.footer = "\nAAA-1BBB,M3.5.0,M10.5.0/3\n";
    z = build_ok(&b);
    check_local(z, 1099999999, 7200, true, "BBB");
    check_local(z, 1100000000, 3600, false, "AAA"); /* 2004-11-09: winter */
    check_local(z, cal_parse("2005-03-27 00:59:59"), 3600, false, "AAA");
    check_local(z, cal_parse("2005-03-27 01:00:00"), 7200, true, "BBB");
    /* Between transitions the table rules, whatever the footer says. */
    check_local(z, cal_parse("2002-01-01 00:00:00"), 7200, true, "BBB");
    expect_from_local(z, cal_parse("2005-03-27 02:30:00"), cal_parse("2005-03-27 01:30:00"));
    expect_from_local(z, cal_parse("2005-10-30 02:30:00"), cal_parse("2005-10-30 00:30:00"));
    tz_free(z);
}

static void test_bad_footers(void **state)
{
    static const char *bad[] = {
        "CET",
        "CE-1",
        "-1",
        "<>0",
        "<ab>1",
        "<+01-1",
        "<+0 1>-1",
        "CET-1CEST",
        "CET-1CEST,M3.5.0",
        "CET-1CEST,M3.5.0,",
        "CET-1CEST,M3.5.0,M10.5.0,",
        "CET-1CEST,M3.5.0.M10.5.0",
        "CET-1CEST,M13.5.0,M10.5.0",
        "CET-1CEST,M0.5.0,M10.5.0",
        "CET-1CEST,M3.6.0,M10.5.0",
        "CET-1CEST,M3.0.0,M10.5.0",
        "CET-1CEST,M3.5.7,M10.5.0",
        "CET-1CEST,M3.5,M10.5.0",
        "CET-1CEST,J0,J365",
        "CET-1CEST,J366,J1",
        "CET-1CEST,366,1",
        "CET-1CEST,1000000000000,1",
        "CET-1CEST,M3.5.0/168,M10.5.0",
        "CET-1CEST,M3.5.0/-168,M10.5.0",
        "CET-1CEST,M3.5.0,M10.5.0/3x",
        "CET-1CEST-25,M3.5.0,M10.5.0",
        "CET-25",
        "CET1000",
        "CET-1:60",
        "CET-1:00:60",
        "CET-1:",
        "CET+-1",
        "CET-1 ",
        " CET-1",
        "CET-1\tX",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJ1",
        "CET-1CEST,M3.5.0,M10.5.0/3\r",
    };
    (void)state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct tzb b = base();
        unsigned char buf[4096];
        char footer[128];
        snprintf(footer, sizeof(footer), "\n%s\n", bad[i]);
        b.footer = footer;
        expect_refused(buf, tzb_build(&b, buf), WASL_EINVAL, bad[i]);
    }
    /* Too long for any real TZ string. */
    {
        struct tzb b = base();
        unsigned char buf[4096];
        char footer[700];
        memset(footer, 'A', sizeof(footer));
        footer[0] = '\n';
        footer[sizeof(footer) - 2] = '\n';
        footer[sizeof(footer) - 1] = '\0';
        b.footer = footer;
        expect_refused(buf, tzb_build(&b, buf), WASL_EINVAL, "600-byte footer");
    }
}

/* ---- errors, directories and the host ----------------------------------- */

static void test_errors(void **state)
{
    struct tz *z = footer_zone("CET-1CEST,M3.5.0,M10.5.0/3");
    struct tz_local l;
    int64_t t = 0, year_ms = INT64_C(31556952);
    char *longdir;
    const struct tz *cz;
    (void)state;

    assert_int_equal(tz_to_local(NULL, 0, &l), WASL_EINVAL);
    assert_int_equal(tz_to_local(z, 0, NULL), WASL_EINVAL);
    assert_int_equal(tz_to_local(z, INT64_MAX, &l), WASL_EINVAL);
    assert_string_equal(err_code(), "tz.out_of_range");
    assert_int_equal(tz_to_local(z, INT64_MIN, &l), WASL_EINVAL);
    assert_int_equal(tz_to_local(z, INT64_C(1) << 62, &l), WASL_EINVAL);
    /* A million years either way are fine. */
    assert_int_equal(tz_to_local(z, year_ms * 1000000, &l), 0);
    assert_int_equal(l.year, 1001970);
    assert_int_equal(tz_to_local(z, -year_ms * 1000000, &l), 0);
    assert_int_equal(l.year, -998030);
    check_roundtrip(z, -year_ms * 1000000);
    check_roundtrip(z, year_ms * 999999);

    assert_int_equal(tz_from_local(NULL, 2026, 1, 1, 0, 0, 0, &t), WASL_EINVAL);
    assert_int_equal(tz_from_local(z, 2026, 1, 1, 0, 0, 0, NULL), WASL_EINVAL);
    {
        static const int bad[][6] = {
            {2026, 0, 1, 0, 0, 0},    {2026, 13, 1, 0, 0, 0},    {2026, 1, 0, 0, 0, 0},      {2026, 1, 32, 0, 0, 0},
            {2025, 2, 29, 0, 0, 0},   {1900, 2, 29, 0, 0, 0},    {2026, 4, 31, 0, 0, 0},     {2026, 1, 1, 24, 0, 0},
            {2026, 1, 1, -1, 0, 0},   {2026, 1, 1, 0, 60, 0},    {2026, 1, 1, 0, 0, 60},     {2026, 1, 1, 0, 0, -1},
            {2000000, 1, 1, 0, 0, 0}, {-2000000, 1, 1, 0, 0, 0}, {INT32_MAX, 1, 1, 0, 0, 0}, {INT32_MIN, 1, 1, 0, 0, 0},
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            t = 42;
            assert_int_equal(tz_from_local(z, bad[i][0], bad[i][1], bad[i][2], bad[i][3], bad[i][4], bad[i][5], &t), WASL_EINVAL);
            assert_string_equal(err_code(), "tz.bad_local_time");
            assert_int_equal(t, 42);
        }
    }
    assert_int_equal(tz_from_local(z, 2024, 2, 29, 12, 0, 0, &t), 0);
    assert_int_equal(t, cal_parse("2024-02-29 11:00:00"));
    assert_int_equal(tz_from_local(z, 2000, 2, 29, 23, 59, 59, &t), 0);
    assert_int_equal(tz_from_local(z, 1000000, 12, 31, 23, 59, 59, &t), 0);
    assert_int_equal(tz_from_local(z, -1000000, 1, 1, 0, 0, 0, &t), 0);
    /* Valid dates whose instant tz_to_local() would refuse are refused here too. */
    t = 42;
    assert_int_equal(tz_from_local(z, 1200000, 1, 1, 0, 0, 0, &t), WASL_EINVAL);
    assert_string_equal(err_code(), "tz.out_of_range");
    assert_int_equal(tz_from_local(z, -1200000, 1, 1, 0, 0, 0, &t), WASL_EINVAL);
    assert_string_equal(err_code(), "tz.out_of_range");
    assert_int_equal(t, 42);
    tz_free(z);

    assert_string_equal(tz_name(NULL), "");

    longdir = malloc(5000);
    assert_non_null(longdir);
    memset(longdir, 'd', 4999);
    longdir[0] = '/';
    longdir[4999] = '\0';
    tz_set_dir(longdir);
    assert_int_equal(tz_get("Test/Paris", &cz), WASL_EINVAL);
    assert_string_equal(err_code(), "tz.bad_dir");
    free(longdir);
    tz_set_dir("/nonexistent-wasl-dir");
    assert_int_equal(tz_get("Europe/Paris", &cz), WASL_ENOENT);
    tz_set_dir(NULL);
}

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* What tz_get() finds on disk: FIFOs, text, broken and huge TZif files, links. */
static void test_dir_files(void **state)
{
    char dir[] = "/tmp/wasl-tz-XXXXXX", p[PATH_MAX];
    unsigned char buf[4096];
    struct tzb b = base();
    size_t n = tzb_build(&b, buf);
    const struct tz *z;
    unsigned char *big;
    (void)state;

    assert_non_null(mkdtemp(dir));
    snprintf(p, sizeof(p), "%s/Test", dir);
    assert_int_equal(mkdir(p, 0700), 0);
    snprintf(p, sizeof(p), "%s/Test/Good", dir);
    write_file(p, buf, n);
    snprintf(p, sizeof(p), "%s/Test/Text", dir);
    write_file(p, "# not a zone\n", 13);
    snprintf(p, sizeof(p), "%s/Test/Empty", dir);
    write_file(p, "", 0);
    snprintf(p, sizeof(p), "%s/Test/Broken", dir);
    write_file(p, buf, n - 1);
    big = calloc(1, 300 * 1024);
    assert_non_null(big);
    memcpy(big, buf, n);
    snprintf(p, sizeof(p), "%s/Test/Big", dir);
    write_file(p, big, 300 * 1024);
    free(big);
    snprintf(p, sizeof(p), "%s/Test/Fifo", dir);
    assert_int_equal(mkfifo(p, 0600), 0);
    snprintf(p, sizeof(p), "%s/Test/Alias", dir);
    assert_int_equal(symlink("Good", p), 0);
    snprintf(p, sizeof(p), "%s/Test/Loop", dir);
    assert_int_equal(symlink("Loop", p), 0);

    tz_set_dir(dir);
    z = zone("Test/Good");
    check_base(z);
    z = zone("Test/Alias");
    assert_string_equal(tz_name(z), "Test/Alias");
    check_base(z);
    assert_int_equal(tz_get("Test/Text", &z), WASL_ENOENT);
    assert_int_equal(tz_get("Test/Empty", &z), WASL_ENOENT);
    assert_int_equal(tz_get("Test/Fifo", &z), WASL_ENOENT);
    assert_int_equal(tz_get("Test/Loop", &z), WASL_ENOENT);
    assert_int_equal(tz_get("Test", &z), WASL_ENOENT);
    assert_int_equal(tz_get("Test/Broken", &z), WASL_EIO);
    assert_string_equal(err_code(), "tz.bad_file");
    assert_int_equal(tz_get("Test/Big", &z), WASL_EIO);
    assert_string_equal(err_code(), "tz.bad_file");
    /* Failures are not cached: a zone that appears later is found. */
    assert_int_equal(tz_get("Test/Late", &z), WASL_ENOENT);
    snprintf(p, sizeof(p), "%s/Test/Late", dir);
    write_file(p, buf, n);
    z = zone("Test/Late");
    check_base(z);
    tz_set_dir(NULL);

    for (const char *const *f =
             (const char *const[]){"Good", "Text", "Empty", "Broken", "Big", "Fifo", "Alias", "Loop", "Late", NULL};
         *f; f++) {
        snprintf(p, sizeof(p), "%s/Test/%s", dir, *f);
        assert_int_equal(unlink(p), 0);
    }
    snprintf(p, sizeof(p), "%s/Test", dir);
    assert_int_equal(rmdir(p), 0);
    assert_int_equal(rmdir(dir), 0);
}

static void test_days_civil(void **state)
{
    static const struct {
        int y, m, d;
        int64_t days;
    } known[] = {
        {1970, 1, 1, 0},         {1969, 12, 31, -1},     {2000, 3, 1, 11017},  {2000, 2, 29, 11016},      {1900, 3, 1, -25508},
        {1900, 2, 28, -25509},   {1, 1, 1, -719162},     {0, 3, 1, -719468},   {0, 1, 1, -719528},        {-1, 12, 31, -719529},
        {9999, 12, 31, 2932896}, {10000, 1, 1, 2932897}, {2026, 9, 20, 20716}, {-4713, 11, 24, -2440588}, {1600, 2, 29, -135081},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        int y, m, d;
        assert_int_equal(days_from_civil(known[i].y, known[i].m, known[i].d), known[i].days);
        civil_from_days(known[i].days, &y, &m, &d);
        assert_int_equal(y, known[i].y);
        assert_int_equal(m, known[i].m);
        assert_int_equal(d, known[i].d);
    }
    /* Every day of 1600 to 2999 against the independent calendar. */
    for (int y = CAL_Y0; y < CAL_Y1; y++) {
        for (int m = 1; m <= 12; m++) {
            for (int d = 1; d <= cal_mlen(y, m); d++) {
                int64_t n = days_from_civil(y, m, d);
                int yy, mm, dd;
                if (n != cal_days(y, m, d))
                    fail_msg("days_from_civil(%d, %d, %d) = %lld", y, m, d, (long long)n);
                civil_from_days(n, &yy, &mm, &dd);
                if (yy != y || mm != m || dd != d)
                    fail_msg("civil_from_days(%lld) = %d-%d-%d", (long long)n, yy, mm, dd);
            }
        }
    }
    /* Round trips and day-by-day steps over two billion years either way. */
    for (int64_t z = -INT64_C(700000000000); z <= INT64_C(700000000000); z += INT64_C(7777777)) {
        int y, m, d, y2, m2, d2;
        civil_from_days(z, &y, &m, &d);
        assert_true(m >= 1 && m <= 12 && d >= 1 && d <= 31);
        assert_int_equal(days_from_civil(y, m, d), z);
        civil_from_days(z + 1, &y2, &m2, &d2);
        if (d2 != d + 1)
            assert_true(d2 == 1 && (m2 == m + 1 || (m == 12 && m2 == 1 && y2 == y + 1)));
    }
    /* Far outside an int's years: clamped, never undefined. */
    {
        int y, m, d;
        civil_from_days(INT64_MAX, &y, &m, &d);
        assert_true(y > 2000000000);
        civil_from_days(INT64_MIN, &y, &m, &d);
        assert_true(y < -2000000000);
        assert_int_equal(days_from_civil(INT32_MAX, 12, 31) > 0, 1);
        assert_int_equal(days_from_civil(INT32_MIN, 1, 1) < 0, 1);
    }
}

/* Reads the tzdata version line of tzdata.zi ("# version 2026f"), "" if none. */
static void host_tzdata_version(char *out, size_t n)
{
    FILE *f = fopen("/usr/share/zoneinfo/tzdata.zi", "r");
    char line[64];

    snprintf(out, n, "%s", "");
    if (!f)
        return;
    if (fgets(line, sizeof(line), f) && strncmp(line, "# version ", 10) == 0) {
        line[strcspn(line, "\n")] = '\0';
        snprintf(out, n, "%s", line + 10);
    }
    fclose(f);
}

static void test_host_casablanca(void **state)
{
    struct stat st;
    const struct tz *z;
    char version[64];
    (void)state;

    if (stat("/usr/share/zoneinfo/Africa/Casablanca", &st) != 0) {
        print_message("no /usr/share/zoneinfo/Africa/Casablanca: skipped\n");
        skip();
    }
    tz_set_dir("/usr/share/zoneinfo");
    z = zone("Africa/Casablanca");
    check_local(z, cal_parse("2020-01-01 12:00:00"), 3600, false, "+01");
    check_local(z, cal_parse("2019-05-20 12:00:00"), 0, true, "+00");
    host_tzdata_version(version, sizeof(version));
    /* Morocco's return to +00 is in tzdata 2026c and later. */
    if (strlen(version) == 5 && strcmp(version, "2026c") >= 0) {
        check_local(z, cal_parse("2026-09-19 12:00:00"), 3600, false, "+01");
        check_local(z, cal_parse("2026-09-20 12:00:00"), 0, false, "+00");
        check_local(z, cal_parse("2027-06-01 12:00:00"), 0, false, "+00");
        expect_from_local(z, cal_parse("2026-09-20 01:30:00"), cal_parse("2026-09-20 00:30:00"));
    } else {
        print_message("host tzdata \"%s\" predates 2026c: 2026 change not checked\n", version);
    }
    tz_set_dir(NULL);
}

/* Every zone of the host parses, and agrees with glibc from 1900 to 2100. */
static void host_walk(const char *root, const char *rel, size_t *files, size_t *checked)
{
    char path[PATH_MAX];
    DIR *d;
    struct dirent *e;

    snprintf(path, sizeof(path), "%s%s%s", root, *rel ? "/" : "", rel);
    if (!(d = opendir(path)))
        return;
    while ((e = readdir(d))) {
        char sub[PATH_MAX], full[PATH_MAX];
        struct stat st;
        if (e->d_name[0] == '.')
            continue;
        if ((size_t)snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "", e->d_name) >= sizeof(sub) ||
            (size_t)snprintf(full, sizeof(full), "%s/%s", root, sub) >= sizeof(full) || stat(full, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            if (strcmp(sub, "posix") != 0)
                host_walk(root, sub, files, checked);
            continue;
        }
        size_t n;
        unsigned char *buf = read_all(full, &n);
        struct tz *z = NULL;
        if (!buf)
            continue;
        if (n < 4 || memcmp(buf, "TZif", 4) != 0) {
            free(buf);
            continue;
        }
        if (tz_parse_buffer(buf, n, sub, &z) != 0)
            fail_msg("host zone %s refused: %s", sub, err_message());
        (*files)++;
        /* right/ zones count leap seconds, which glibc applies and we take out. */
        if (strncmp(sub, "right/", 6) != 0) {
            oracle_zone(full);
            for (int64_t t = cal_secs(1900, 1, 1, 0, 0, 0); t < cal_secs(2100, 1, 1, 0, 0, 0); t += 4057213) {
                struct oracle_state o;
                oracle(t, &o);
                check_local(z, t, o.off, o.dst, o.abbr);
                (*checked)++;
            }
            check_roundtrip(z, cal_parse("2026-03-29 02:30:00"));
        }
        tz_free(z);
        free(buf);
    }
    closedir(d);
}

static void test_host_zones(void **state)
{
    size_t files = 0, checked = 0;
    struct stat st;
    (void)state;

    if (stat("/usr/share/zoneinfo/UTC", &st) != 0) {
        print_message("no /usr/share/zoneinfo: skipped\n");
        skip();
    }
    host_walk("/usr/share/zoneinfo", "", &files, &checked);
    unsetenv("TZ");
    tzset();
    print_message("host zones: %zu files parsed, %zu instants compared with glibc\n", files, checked);
    assert_true(files > 100);
}

/*
 * The cache is bounded: once full, new zones are refused with WASL_ELIMIT while
 * cached ones are still served. Runs last, as it fills the process-wide cache.
 */
static void test_cache_full(void **state)
{
    enum { NFILES = 1100 };
    char dir[] = "/tmp/wasl-tz-XXXXXX", p[PATH_MAX], good[PATH_MAX], name[32];
    unsigned char buf[4096];
    struct tzb b = base();
    const struct tz *z, *paris = NULL;
    int loaded = 0, rc = 0;
    (void)state;

    if (getenv(dir_fat.env)) {
        tz_set_dir(getenv(dir_fat.env));
        paris = zone("Test/Paris");
    }
    assert_non_null(mkdtemp(dir));
    snprintf(p, sizeof(p), "%s/Test", dir);
    assert_int_equal(mkdir(p, 0700), 0);
    snprintf(good, sizeof(good), "%s/Test/Good", dir);
    write_file(good, buf, tzb_build(&b, buf));
    for (int i = 0; i < NFILES; i++) {
        snprintf(p, sizeof(p), "%s/Test/Z%04d", dir, i);
        assert_int_equal(link(good, p), 0);
    }
    tz_set_dir(dir);
    for (int i = 0; i < NFILES; i++) {
        snprintf(name, sizeof(name), "Test/Z%04d", i);
        rc = tz_get(name, &z);
        if (rc)
            break;
        loaded++;
    }
    print_message("cache full after %d more zones\n", loaded);
    assert_int_equal(rc, WASL_ELIMIT);
    assert_string_equal(err_code(), "tz.cache_full");
    assert_true(loaded > 900 && loaded <= 1024);
    assert_int_equal(tz_get("Test/Z0000", &z), 0);
    check_base(z);
    if (paris) {
        tz_set_dir(getenv(dir_fat.env));
        assert_ptr_equal(zone("Test/Paris"), paris);
    }
    tz_set_dir(NULL);

    for (int i = 0; i < NFILES; i++) {
        snprintf(p, sizeof(p), "%s/Test/Z%04d", dir, i);
        assert_int_equal(unlink(p), 0);
    }
    assert_int_equal(unlink(good), 0);
    snprintf(p, sizeof(p), "%s/Test", dir);
    assert_int_equal(rmdir(p), 0);
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    /* clang-format off */
#define PER_DIR(d)                                                   \
    cmocka_unit_test_prestate(test_threads, d), /* first: cold cache */ \
    cmocka_unit_test_prestate(test_transitions, d),                  \
    cmocka_unit_test_prestate(test_points, d),                       \
    cmocka_unit_test_prestate(test_local_to_utc, d),                 \
    cmocka_unit_test_prestate(test_far_future, d),                   \
    cmocka_unit_test_prestate(test_names, d),                        \
    cmocka_unit_test_prestate(test_truncated, d),                    \
    cmocka_unit_test_prestate(test_corrupted, d),                    \
    cmocka_unit_test_prestate(test_oracle_sweep, d)
    const struct CMUnitTest fat[] = {PER_DIR(&dir_fat)};
    const struct CMUnitTest slim[] = {PER_DIR(&dir_slim)};
#undef PER_DIR
    const struct CMUnitTest common[] = {
        cmocka_unit_test(test_tzif_versions),
        cmocka_unit_test(test_tzif_leaps),
        cmocka_unit_test(test_tzif_malformed),
        cmocka_unit_test(test_footers),
        cmocka_unit_test(test_footer_after_table),
        cmocka_unit_test(test_bad_footers),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_dir_files),
        cmocka_unit_test(test_days_civil),
        cmocka_unit_test(test_host_casablanca),
        cmocka_unit_test(test_host_zones),
        cmocka_unit_test(test_cache_full), /* last: fills the process-wide cache */
    };
    /* clang-format on */
    int failed = 0;

    cal_init();
    failed += cmocka_run_group_tests_name("tz_fat", fat, NULL, NULL);
    failed += cmocka_run_group_tests_name("tz_slim", slim, NULL, NULL);
    failed += cmocka_run_group_tests_name("tz_common", common, NULL, NULL);
    return failed ? 1 : 0;
}
