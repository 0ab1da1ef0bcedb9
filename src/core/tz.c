/*
 * IANA time zones: reads TZif files (RFC 8536, versions 1 to 4) from the zoneinfo
 * directory, applies the POSIX TZ footer to instants past the transition table,
 * and converts between UTC seconds and local wall-clock time. Owns the cache of
 * loaded zones; a cached zone is immutable and lives until the process exits.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"
#include "core_int.h"

/* Caps on what a TZif file may declare. Real files are far below them (the largest
 * file in tzdata 2026 holds 310 transitions in 4 KiB), so hitting one means a broken
 * or hostile file, and every array sized from the file stays small. */
#define TZ_FILE_MAX (256 * 1024)
#define TZ_TIMECNT_MAX 10000
#define TZ_TYPECNT_MAX 256 /* a transition's type is one octet */
#define TZ_CHARCNT_MAX 4096
#define TZ_LEAPCNT_MAX 1000
#define TZ_LEAPCORR_MAX 10000 /* about 27 leap seconds so far */
#define TZ_FOOTER_MAX 512
#define TZ_FOOTER_ABBR_MAX 32

/* RFC 8536 section 3.2: a UT offset is in (-25h, +26h). Keeping it there means a
 * local time's instant is always within 26 hours of the local time itself. */
#define TZ_UTOFF_MIN (-89999)
#define TZ_UTOFF_MAX 93599
#define TZ_OFF_SPAN 93600

/* POSIX rule times may reach 167 hours either way (RFC 8536 section 3.3.1). */
#define TZ_RULE_HOURS_MAX 167

/* Instants handled: 2^45 s, about 1.1 million years either side of 1970, so a
 * local year always fits in an int and no sum of offsets can overflow. Local
 * years accepted: every year such an instant can show, and a little more. */
#define TZ_T_LIMIT (INT64_C(1) << 45)
#define TZ_YEAR_LIMIT 1200000

/* Days clamp of civil_from_days(): keeps the year inside an int. */
#define TZ_DAYS_LIMIT INT64_C(784000000000)

/* Zone names: the longest IANA name is about 32 bytes. */
#define TZ_NAME_MAX 255
#define TZ_DIR_MAX 4096

/* tzdata has about 600 names counting links (posix/ and right/ are refused); the
 * rest leaves room for a second directory (tests) while bounding the memory the
 * cache can ever hold, a few KiB a zone. */
#define TZ_CACHE_MAX 1024
#define TZ_CACHE_SLOTS 2048 /* power of two, at most half full */

#define TZ_DEFAULT_DIR "/usr/share/zoneinfo"

struct tz_type {
    int32_t utoff;
    bool isdst;
    char abbr[8]; /* truncated to fit struct tz_local */
};

enum tz_rule_kind {
    RULE_JULIAN1, /* Jn: day 1-365, February 29 never counted */
    RULE_JULIAN0, /* n: day 0-365, February 29 counted */
    RULE_MONTH,   /* Mm.w.d: weekday d of week w (5 = last) of month m */
};

struct tz_rule {
    enum tz_rule_kind kind;
    int day; /* n for the Julian forms, the weekday for RULE_MONTH */
    int week, month;
    int32_t time; /* seconds after local midnight, may be negative */
};

/* A POSIX TZ string such as "CET-1CEST,M3.5.0,M10.5.0/3". */
struct tz_posix {
    struct tz_type std, dst;
    bool has_dst;
    struct tz_rule start, end; /* start is in standard time, end in DST */
};

struct tz {
    char *name;
    int64_t *trans; /* ascending, POSIX seconds (leap seconds taken out) */
    uint8_t *trans_type;
    size_t timecnt;
    struct tz_type *types;
    size_t typecnt;
    bool has_footer;
    struct tz_posix footer;
};

/* ---- calendar ----------------------------------------------------------- */

static bool is_leap(int64_t y)
{
    return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int month_len(int64_t y, int m)
{
    static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : len[m - 1];
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* 1970-01-01 was a Thursday. */
static int weekday(int64_t days)
{
    int64_t w = (days + 4) % 7;
    return (int)(w < 0 ? w + 7 : w);
}

/*
 * Counts in 400-year eras of 146097 days that start on March 1, so the leap
 * day is the last day of a year and month lengths follow the 153-day pattern
 * of five months. 719468 is the number of days from 0000-03-01 to 1970-01-01.
 */
int64_t days_from_civil(int y, int m, int d)
{
    int64_t yy = (int64_t)y - (m <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;
    int64_t mp = (m + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/*
 * The inverse of days_from_civil(). Days further than about two billion years
 * from 1970 are clamped so that the year fits in an int.
 */
void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    if (z > TZ_DAYS_LIMIT)
        z = TZ_DAYS_LIMIT;
    if (z < -TZ_DAYS_LIMIT)
        z = -TZ_DAYS_LIMIT;
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int mm = (int)(mp < 10 ? mp + 3 : mp - 9);
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = mm;
    *y = (int)(yoe + era * 400 + (mm <= 2));
}

static int year_of(int64_t t)
{
    int y, m, d;
    civil_from_days(floor_div(t, 86400), &y, &m, &d);
    return y;
}

/* ---- POSIX TZ strings --------------------------------------------------- */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* A zone abbreviation: three or more letters, or <...> holding letters, digits, + and -. */
static int parse_abbr(const char **pp, char out[8])
{
    const char *p = *pp, *start;
    size_t len;

    if (*p == '<') {
        start = ++p;
        while (is_alpha(*p) || is_digit(*p) || *p == '+' || *p == '-')
            p++;
        if (*p != '>')
            return WASL_EINVAL;
        len = (size_t)(p - start);
        p++;
    } else {
        start = p;
        while (is_alpha(*p))
            p++;
        len = (size_t)(p - start);
    }
    if (len < 3 || len > TZ_FOOTER_ABBR_MAX)
        return WASL_EINVAL;
    if (len > 7)
        len = 7;
    memcpy(out, start, len);
    out[len] = '\0';
    *pp = p;
    return 0;
}

static int parse_num(const char **pp, int maxdigits, int max, int *out)
{
    const char *p = *pp;
    int v = 0, n = 0;

    while (is_digit(*p) && n < maxdigits) {
        v = v * 10 + (*p - '0');
        p++;
        n++;
    }
    if (n == 0 || is_digit(*p) || v > max)
        return WASL_EINVAL;
    *out = v;
    *pp = p;
    return 0;
}

/* [+-]hh[:mm[:ss]] as signed seconds. */
static int parse_hms(const char **pp, int maxh, int32_t *out)
{
    const char *p = *pp;
    int sign = 1, h, m = 0, s = 0;

    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    if (parse_num(&p, 3, maxh, &h))
        return WASL_EINVAL;
    if (*p == ':') {
        p++;
        if (parse_num(&p, 2, 59, &m))
            return WASL_EINVAL;
        if (*p == ':') {
            p++;
            if (parse_num(&p, 2, 59, &s))
                return WASL_EINVAL;
        }
    }
    *out = sign * (h * 3600 + m * 60 + s);
    *pp = p;
    return 0;
}

static int parse_rule(const char **pp, struct tz_rule *r)
{
    const char *p = *pp;

    if (*p == 'J') {
        p++;
        r->kind = RULE_JULIAN1;
        if (parse_num(&p, 3, 365, &r->day) || r->day < 1)
            return WASL_EINVAL;
    } else if (*p == 'M') {
        p++;
        r->kind = RULE_MONTH;
        if (parse_num(&p, 2, 12, &r->month) || r->month < 1 || *p++ != '.')
            return WASL_EINVAL;
        if (parse_num(&p, 1, 5, &r->week) || r->week < 1 || *p++ != '.')
            return WASL_EINVAL;
        if (parse_num(&p, 1, 6, &r->day))
            return WASL_EINVAL;
    } else {
        r->kind = RULE_JULIAN0;
        if (parse_num(&p, 3, 365, &r->day))
            return WASL_EINVAL;
    }
    r->time = 2 * 3600;
    if (*p == '/') {
        p++;
        if (parse_hms(&p, TZ_RULE_HOURS_MAX, &r->time))
            return WASL_EINVAL;
    }
    *pp = p;
    return 0;
}

static bool utoff_ok(int64_t off)
{
    return off >= TZ_UTOFF_MIN && off <= TZ_UTOFF_MAX;
}

/*
 * Parses a TZ string. POSIX offsets count west of Greenwich, so they are negated.
 * A DST name without rules is refused: POSIX leaves the rules to the
 * implementation, and zic always writes them.
 */
static int parse_posix(const char *s, struct tz_posix *f)
{
    const char *p = s;
    int32_t off;

    memset(f, 0, sizeof(*f));
    if (parse_abbr(&p, f->std.abbr) || parse_hms(&p, 24, &off))
        goto bad;
    f->std.utoff = -off;
    if (*p == '\0')
        return 0;
    f->has_dst = true;
    f->dst.isdst = true;
    if (parse_abbr(&p, f->dst.abbr))
        goto bad;
    f->dst.utoff = f->std.utoff + 3600;
    if (*p != ',' && *p != '\0') {
        if (parse_hms(&p, 24, &off))
            goto bad;
        f->dst.utoff = -off;
    }
    if (*p++ != ',' || parse_rule(&p, &f->start) || *p++ != ',' || parse_rule(&p, &f->end) || *p != '\0')
        goto bad;
    /* Unreachable with hours capped at 24, but tz_from_local() relies on the range. */
    if (!utoff_ok(f->dst.utoff))
        goto bad;
    return 0;
bad:
    return err_set(WASL_EINVAL, "tz.bad_tzif", "bad TZ string in footer: \"%.64s\"", s);
}

/* The UTC instant at which rule r fires in year y, off being the offset in force before. */
static int64_t rule_instant(const struct tz_rule *r, int y, int32_t off)
{
    int64_t days;

    switch (r->kind) {
    case RULE_JULIAN1:
        days = days_from_civil(y, 1, 1) + r->day - 1 + (is_leap(y) && r->day >= 60);
        break;
    case RULE_JULIAN0:
        days = days_from_civil(y, 1, 1) + r->day;
        break;
    default: {
        int64_t first = days_from_civil(y, r->month, 1);
        int md = (r->day - weekday(first) + 7) % 7 + 7 * (r->week - 1);
        /* Week 5 means the last such weekday, which may be in week 4. */
        if (md >= month_len(y, r->month))
            md -= 7;
        days = first + md;
        break;
    }
    }
    return days * 86400 + r->time - off;
}

/*
 * The type in force at t: the one set by the latest rule instant at or before t.
 * Looking at the four years around t covers rule times that stray up to a week
 * into the neighbouring years. When DST ends and starts at the same instant
 * (DST all year, "J365/25" then "0/0") the start wins.
 */
static const struct tz_type *posix_type_at(const struct tz_posix *f, int64_t t)
{
    int64_t best = INT64_MIN;
    bool dst = false, found = false;
    int y = year_of(t);

    if (!f->has_dst)
        return &f->std;
    for (int yy = y - 2; yy <= y + 1; yy++) {
        int64_t s = rule_instant(&f->start, yy, f->std.utoff);
        int64_t e = rule_instant(&f->end, yy, f->dst.utoff);
        if (e <= t && (!found || e > best)) {
            best = e;
            dst = false;
            found = true;
        }
        if (s <= t && (!found || s >= best)) {
            best = s;
            dst = true;
            found = true;
        }
    }
    return dst ? &f->dst : &f->std;
}

/* The first rule instant after t, or INT64_MAX when the rule has no DST. */
static int64_t posix_next(const struct tz_posix *f, int64_t t)
{
    int64_t best = INT64_MAX;
    int y = year_of(t);

    if (!f->has_dst)
        return best;
    for (int yy = y - 1; yy <= y + 2; yy++) {
        int64_t s = rule_instant(&f->start, yy, f->std.utoff);
        int64_t e = rule_instant(&f->end, yy, f->dst.utoff);
        if (s > t && s < best)
            best = s;
        if (e > t && e < best)
            best = e;
    }
    return best;
}

/* ---- TZif --------------------------------------------------------------- */

struct rd {
    const unsigned char *p;
    size_t n, off;
};

struct tzif_hdr {
    int version; /* 1 for a NUL version octet */
    uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static int64_t get_time(const unsigned char *p, int tsize)
{
    if (tsize == 4)
        return (int32_t)get32(p);
    return (int64_t)((uint64_t)get32(p) << 32 | get32(p + 4));
}

static int bad(const char *what)
{
    return err_set(WASL_EINVAL, "tz.bad_tzif", "malformed TZif data: %s", what);
}

static int read_header(struct rd *r, struct tzif_hdr *h)
{
    const unsigned char *p = r->p + r->off;

    if (r->n - r->off < 44)
        return bad("truncated header");
    if (memcmp(p, "TZif", 4) != 0)
        return bad("no TZif magic");
    /* Versions after 4 have so far been compatible extensions: read them as 4. */
    if (p[4] == 0)
        h->version = 1;
    else if (p[4] >= '2' && p[4] <= '9')
        h->version = p[4] - '0';
    else
        return bad("unknown version");
    h->isutcnt = get32(p + 20);
    h->isstdcnt = get32(p + 24);
    h->leapcnt = get32(p + 28);
    h->timecnt = get32(p + 32);
    h->typecnt = get32(p + 36);
    h->charcnt = get32(p + 40);
    r->off += 44;
    if (h->timecnt > TZ_TIMECNT_MAX || h->typecnt > TZ_TYPECNT_MAX || h->charcnt > TZ_CHARCNT_MAX || h->leapcnt > TZ_LEAPCNT_MAX ||
        h->isutcnt > TZ_TYPECNT_MAX || h->isstdcnt > TZ_TYPECNT_MAX)
        return err_set(WASL_ETOOBIG, "tz.bad_tzif", "malformed TZif data: a count is over its cap");
    return 0;
}

static size_t block_size(const struct tzif_hdr *h, int tsize)
{
    return (size_t)h->timecnt * (size_t)(tsize + 1) + (size_t)h->typecnt * 6 + h->charcnt +
           (size_t)h->leapcnt * (size_t)(tsize + 4) + h->isstdcnt + h->isutcnt;
}

/* Copies the abbreviation at chars[i], which must end with a NUL inside chars. */
static int copy_abbr(const unsigned char *chars, size_t charcnt, size_t i, char out[8])
{
    size_t k = 0;

    if (i >= charcnt)
        return bad("abbreviation index out of range");
    for (; i < charcnt && chars[i]; i++, k++) {
        if (chars[i] < 0x20 || chars[i] > 0x7e)
            return bad("abbreviation is not printable ASCII");
        if (k < 7)
            out[k] = (char)chars[i];
    }
    if (i == charcnt)
        return bad("abbreviation without terminating NUL");
    out[k < 7 ? k : 7] = '\0';
    return 0;
}

/*
 * Leap-second records put transition times on a scale that counts leap seconds.
 * Our instants are POSIX seconds, which do not, so each transition is moved
 * back by the correction in force at it; the records are not used otherwise.
 */
static int apply_leaps(struct tz *z, const unsigned char *lp, size_t leapcnt, int tsize)
{
    size_t j = 0;
    int64_t corr = 0;

    for (size_t i = 0; i < z->timecnt; i++) {
        int64_t t = z->trans[i];
        while (j < leapcnt && get_time(lp + j * (size_t)(tsize + 4), tsize) <= t) {
            corr = (int32_t)get32(lp + j * (size_t)(tsize + 4) + tsize);
            j++;
        }
        if (corr > 0 && t < INT64_MIN + corr)
            t = INT64_MIN;
        else if (corr < 0 && t > INT64_MAX + corr)
            t = INT64_MAX;
        else
            t -= corr;
        if (i > 0 && t <= z->trans[i - 1])
            return bad("transitions collide once leap seconds are taken out");
        z->trans[i] = t;
    }
    return 0;
}

/* Reads one data block (times of tsize bytes) into z; the header's counts are capped. */
static int parse_block(struct rd *r, const struct tzif_hdr *h, int tsize, struct tz *z)
{
    const unsigned char *times, *idx, *types, *chars, *lp, *isstd, *isut;
    int64_t prev_occ = 0;
    int32_t prev_corr = 0;
    int rc;

    /* Checked before any pointer into the block is formed. */
    if (r->n - r->off < block_size(h, tsize))
        return bad("truncated data block");
    times = r->p + r->off;
    idx = times + (size_t)h->timecnt * (size_t)tsize;
    types = idx + h->timecnt;
    chars = types + (size_t)h->typecnt * 6;
    lp = chars + h->charcnt;
    isstd = lp + (size_t)h->leapcnt * (size_t)(tsize + 4);
    isut = isstd + h->isstdcnt;
    if (h->typecnt == 0)
        return bad("no local time types");
    if ((h->isstdcnt != 0 && h->isstdcnt != h->typecnt) || (h->isutcnt != 0 && h->isutcnt != h->typecnt))
        return bad("indicator count differs from type count");

    z->timecnt = h->timecnt;
    z->typecnt = h->typecnt;
    z->trans = calloc(h->timecnt ? h->timecnt : 1, sizeof(*z->trans));
    z->trans_type = calloc(h->timecnt ? h->timecnt : 1, 1);
    z->types = calloc(h->typecnt, sizeof(*z->types));
    if (!z->trans || !z->trans_type || !z->types)
        return err_set(WASL_ENOMEM, "server.out_of_memory", NULL);

    for (size_t i = 0; i < h->timecnt; i++) {
        z->trans[i] = get_time(times + i * (size_t)tsize, tsize);
        if (i > 0 && z->trans[i] <= z->trans[i - 1])
            return bad("transition times not ascending");
        if (idx[i] >= h->typecnt)
            return bad("transition type out of range");
        z->trans_type[i] = idx[i];
    }
    for (size_t i = 0; i < h->typecnt; i++) {
        const unsigned char *q = types + i * 6;
        int32_t utoff = (int32_t)get32(q);
        if (!utoff_ok(utoff))
            return bad("UT offset out of range");
        if (q[4] > 1)
            return bad("isdst is neither 0 nor 1");
        z->types[i].utoff = utoff;
        z->types[i].isdst = q[4] == 1;
        if ((rc = copy_abbr(chars, h->charcnt, q[5], z->types[i].abbr)))
            return rc;
    }
    for (size_t i = 0; i < h->leapcnt; i++) {
        const unsigned char *q = lp + i * (size_t)(tsize + 4);
        int64_t occ = get_time(q, tsize);
        int32_t corr = (int32_t)get32(q + tsize);
        if ((i == 0 && occ < 0) || (i > 0 && occ <= prev_occ))
            return bad("leap second times not ascending");
        if (corr > TZ_LEAPCORR_MAX || corr < -TZ_LEAPCORR_MAX || (i > 0 && (corr - prev_corr > 1 || prev_corr - corr > 1)))
            return bad("leap second correction out of range");
        prev_occ = occ;
        prev_corr = corr;
    }
    for (size_t i = 0; i < h->isstdcnt; i++)
        if (isstd[i] > 1)
            return bad("standard/wall indicator is neither 0 nor 1");
    for (size_t i = 0; i < h->isutcnt; i++)
        if (isut[i] > 1 || (isut[i] == 1 && h->isstdcnt && isstd[i] == 0))
            return bad("UT/local indicator is invalid");
    if (h->leapcnt && (rc = apply_leaps(z, lp, h->leapcnt, tsize)))
        return rc;
    r->off += block_size(h, tsize);
    return 0;
}

/* The footer: a newline, a TZ string (possibly empty), a newline, then nothing. */
static int parse_footer(struct rd *r, struct tz *z)
{
    const unsigned char *p = r->p + r->off, *nl;
    size_t left = r->n - r->off, len;
    char s[TZ_FOOTER_MAX + 1];

    if (left < 2 || p[0] != '\n')
        return bad("missing footer");
    nl = memchr(p + 1, '\n', left - 1 < TZ_FOOTER_MAX + 1 ? left - 1 : TZ_FOOTER_MAX + 1);
    if (!nl)
        return bad("footer unterminated or too long");
    len = (size_t)(nl - (p + 1));
    if (memchr(p + 1, '\0', len))
        return bad("NUL in footer");
    if ((size_t)(nl - p) + 1 != left)
        return bad("trailing data after footer");
    memcpy(s, p + 1, len);
    s[len] = '\0';
    r->off = r->n;
    if (len == 0)
        return 0;
    z->has_footer = true;
    return parse_posix(s, &z->footer);
}

void tz_free(struct tz *z)
{
    if (!z)
        return;
    free(z->name);
    free(z->trans);
    free(z->trans_type);
    free(z->types);
    free(z);
}

/*
 * Parses a whole TZif image (contract in core_int.h). Version 1 files use their
 * 32-bit block; later versions skip it for the 64-bit block and the footer.
 */
int tz_parse_buffer(const unsigned char *buf, size_t n, const char *name, struct tz **out)
{
    struct rd r = {buf, n, 0};
    struct tzif_hdr h;
    struct tz *z = NULL;
    int rc;

    if (!buf || !out) {
        rc = err_set(WASL_EINVAL, "tz.bad_tzif", "no buffer");
        goto out;
    }
    if (n > TZ_FILE_MAX) {
        rc = err_set(WASL_ETOOBIG, "tz.bad_tzif", "TZif data over %d bytes", TZ_FILE_MAX);
        goto out;
    }
    z = calloc(1, sizeof(*z));
    if (!z || !(z->name = strdup(name ? name : ""))) {
        rc = err_set(WASL_ENOMEM, "server.out_of_memory", NULL);
        goto out;
    }
    if ((rc = read_header(&r, &h)))
        goto out;
    if (h.version == 1) {
        if ((rc = parse_block(&r, &h, 4, z)))
            goto out;
        if (r.off != r.n) {
            rc = bad("trailing data after version 1 block");
            goto out;
        }
    } else {
        if (r.n - r.off < block_size(&h, 4)) {
            rc = bad("truncated version 1 block");
            goto out;
        }
        r.off += block_size(&h, 4);
        if ((rc = read_header(&r, &h)))
            goto out;
        if (h.version == 1) {
            rc = bad("second header has version 1");
            goto out;
        }
        if ((rc = parse_block(&r, &h, 8, z)) || (rc = parse_footer(&r, z)))
            goto out;
    }
    *out = z;
    z = NULL;
out:
    tz_free(z);
    return rc;
}

/* ---- conversions -------------------------------------------------------- */

/* Index of the first transition after t (timecnt when none). */
static size_t upper_bound(const struct tz *z, int64_t t)
{
    size_t lo = 0, hi = z->timecnt;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (z->trans[mid] <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/*
 * RFC 8536: type 0 before the first transition, the footer from the last one on
 * (or everywhere when there are none), else the table; with no footer the last
 * transition's type stays in force.
 */
static const struct tz_type *type_at(const struct tz *z, int64_t t)
{
    size_t i;

    if (z->timecnt == 0)
        return z->has_footer ? posix_type_at(&z->footer, t) : &z->types[0];
    if (t < z->trans[0])
        return &z->types[0];
    if (z->has_footer && t >= z->trans[z->timecnt - 1])
        return posix_type_at(&z->footer, t);
    i = upper_bound(z, t);
    return &z->types[z->trans_type[i - 1]];
}

/* The first instant after t at which the offset may change, or INT64_MAX. */
static int64_t next_change(const struct tz *z, int64_t t)
{
    if (z->timecnt > 0 && t < z->trans[z->timecnt - 1])
        return z->trans[upper_bound(z, t)];
    if (!z->has_footer)
        return INT64_MAX;
    return posix_next(&z->footer, t);
}

const char *tz_name(const struct tz *z)
{
    return z ? z->name : "";
}

int tz_to_local(const struct tz *z, int64_t t, struct tz_local *out)
{
    const struct tz_type *ty;
    int64_t lt, days, secs;
    int y, m, d;

    if (!z || !out)
        return err_set(WASL_EINVAL, "tz.invalid", "no zone");
    if (t < -TZ_T_LIMIT || t > TZ_T_LIMIT)
        return err_set(WASL_EINVAL, "tz.out_of_range", "instant %lld is out of range", (long long)t);
    ty = type_at(z, t);
    lt = t + ty->utoff;
    days = floor_div(lt, 86400);
    secs = lt - days * 86400;
    civil_from_days(days, &y, &m, &d);
    out->year = y;
    out->month = m;
    out->day = d;
    out->hour = (int)(secs / 3600);
    out->min = (int)(secs / 60 % 60);
    out->sec = (int)(secs % 60);
    out->wday = weekday(days);
    out->yday = (int)(days - days_from_civil(y, 1, 1));
    out->utoff = ty->utoff;
    out->isdst = ty->isdst;
    memcpy(out->abbr, ty->abbr, sizeof(out->abbr));
    return 0;
}

/*
 * Walks the stretches of constant offset that cover the 52 hours around the
 * local time L read as UTC: every instant showing L lies there, because offsets
 * stay within 26 hours. The first stretch holding L - offset gives the earliest
 * instant (the overlap rule). When none does, L fell in a gap at a transition,
 * and reading it with the offset before the gap moves it forward by the gap.
 */
int tz_from_local(const struct tz *z, int year, int month, int day, int hour, int min, int sec, int64_t *out)
{
    int64_t L, lo, hi, cur, t = 0;
    bool found = false, have_gap = false;
    const struct tz_type *ty;
    int rc = 0;

    if (!z || !out) {
        rc = err_set(WASL_EINVAL, "tz.invalid", "no zone");
        goto out;
    }
    if (year < -TZ_YEAR_LIMIT || year > TZ_YEAR_LIMIT || month < 1 || month > 12 || day < 1 || day > month_len(year, month) ||
        hour < 0 || hour > 23 || min < 0 || min > 59 || sec < 0 || sec > 59) {
        rc = err_set(WASL_EINVAL, "tz.bad_local_time", "no such local time: %d-%02d-%02d %02d:%02d:%02d", year, month, day, hour,
                     min, sec);
        goto out;
    }
    L = days_from_civil(year, month, day) * 86400 + hour * 3600 + min * 60 + sec;
    lo = L - TZ_OFF_SPAN;
    hi = L + TZ_OFF_SPAN;
    cur = lo;
    ty = type_at(z, cur);
    for (;;) {
        int64_t next = next_change(z, cur), cand = L - ty->utoff;
        const struct tz_type *nty;
        if (cand >= cur && cand < next) {
            t = cand;
            found = true;
            break;
        }
        if (next > hi)
            break;
        nty = type_at(z, next);
        if (!have_gap && next + ty->utoff <= L && L < next + nty->utoff) {
            have_gap = true;
            t = cand;
        }
        cur = next;
        ty = nty;
    }
    if (!found && !have_gap) {
        rc = err_set(WASL_EINTERNAL, "tz.internal", "local time %d-%02d-%02d %02d:%02d:%02d not placed in %s", year, month, day,
                     hour, min, sec, z->name);
        goto out;
    }
    /* So that every instant returned here is one tz_to_local() takes. */
    if (t < -TZ_T_LIMIT || t > TZ_T_LIMIT) {
        rc = err_set(WASL_EINVAL, "tz.out_of_range", "local time %d-%02d-%02d %02d:%02d:%02d is out of range", year, month, day,
                     hour, min, sec);
        goto out;
    }
    *out = t;
out:
    return rc;
}

/* ---- the zone cache ----------------------------------------------------- */

struct tz_slot {
    char *path; /* directory and name: the key */
    struct tz *zone;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static char cache_dir[TZ_DIR_MAX] = TZ_DEFAULT_DIR;
static bool cache_dir_ok = true;
static struct tz_slot cache[TZ_CACHE_SLOTS];
static size_t cache_count;

void tz_set_dir(const char *dir)
{
    if (!dir || !*dir)
        dir = TZ_DEFAULT_DIR;
    pthread_mutex_lock(&cache_lock);
    /* A cut path would name another directory, so a long one disables tz_get(). */
    cache_dir_ok = strlen(dir) < sizeof(cache_dir);
    if (cache_dir_ok)
        memcpy(cache_dir, dir, strlen(dir) + 1);
    pthread_mutex_unlock(&cache_lock);
}

/*
 * Only [A-Za-z0-9_+-/], no empty, "." or ".." component, not absolute. The
 * posix/ and right/ copies of the whole database are refused too: nobody needs
 * them here, and they would let a client fill the cache with valid names.
 */
static bool name_ok(const char *name)
{
    size_t n = strnlen(name, TZ_NAME_MAX + 1);

    if (n == 0 || n > TZ_NAME_MAX || name[0] == '/' || name[n - 1] == '/')
        return false;
    if (strstr(name, "..") || strstr(name, "//"))
        return false;
    if (strncmp(name, "posix/", 6) == 0 || strncmp(name, "right/", 6) == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!is_alpha(c) && !is_digit(c) && c != '_' && c != '+' && c != '-' && c != '/')
            return false;
    }
    return true;
}

/* FNV-1a: short keys, no adversary who can choose them beyond the name rules. */
static size_t slot_of(const char *path)
{
    uint64_t h = UINT64_C(14695981039346656037);

    for (const unsigned char *p = (const unsigned char *)path; *p; p++)
        h = (h ^ *p) * UINT64_C(1099511628211);
    return (size_t)(h & (TZ_CACHE_SLOTS - 1));
}

/* Call with cache_lock held: the slot holding path, or the empty slot for it. */
static struct tz_slot *cache_find(const char *path)
{
    size_t i = slot_of(path);

    while (cache[i].path && strcmp(cache[i].path, path) != 0)
        i = (i + 1) & (TZ_CACHE_SLOTS - 1);
    return &cache[i];
}

static int unknown(const char *name)
{
    return err_set(WASL_ENOENT, "tz.unknown_zone", "unknown time zone \"%.64s\"", name);
}

/*
 * Reads and parses the file at path. A missing file, a directory or a file that
 * is not TZif is an unknown zone (WASL_ENOENT); a TZif file that does not parse
 * is a broken installation (WASL_EIO, "tz.bad_file").
 */
static int load_zone(const char *path, const char *name, struct tz **out)
{
    unsigned char *buf = NULL;
    size_t n = 0;
    struct stat st;
    char msg[256];
    int fd, rc = 0;

    /* O_NONBLOCK so that a FIFO planted under the directory cannot hang us. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        rc = errno == ENOENT || errno == ENOTDIR || errno == ELOOP || errno == ENAMETOOLONG
                 ? unknown(name)
                 : err_set(WASL_EIO, "tz.io_error", "cannot open time zone %s (errno %d)", name, errno);
        goto out;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = unknown(name);
        goto out;
    }
    buf = malloc(TZ_FILE_MAX + 1);
    if (!buf) {
        rc = err_set(WASL_ENOMEM, "server.out_of_memory", NULL);
        goto out;
    }
    while (n < TZ_FILE_MAX + 1) {
        ssize_t k = read(fd, buf + n, TZ_FILE_MAX + 1 - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            rc = err_set(WASL_EIO, "tz.io_error", "cannot read time zone %s (errno %d)", name, errno);
            goto out;
        }
        if (k == 0)
            break;
        n += (size_t)k;
    }
    if (n < 4 || memcmp(buf, "TZif", 4) != 0) {
        rc = unknown(name);
        goto out;
    }
    if ((rc = tz_parse_buffer(buf, n, name, out))) {
        snprintf(msg, sizeof(msg), "%s", err_message());
        rc = rc == WASL_ENOMEM ? rc : err_set(WASL_EIO, "tz.bad_file", "time zone file %s: %s", name, msg);
    }
out:
    if (fd >= 0)
        close(fd);
    free(buf);
    return rc;
}

/*
 * The file is read without the lock so that one slow disk read does not stall
 * every other thread; two threads loading the same zone keep the first one
 * cached and the other frees its copy, so each name maps to one zone.
 */
int tz_get(const char *name, const struct tz **out)
{
    char path[TZ_DIR_MAX + TZ_NAME_MAX + 2];
    struct tz_slot *s;
    struct tz *z = NULL;
    int rc = 0;

    if (!out) {
        rc = err_set(WASL_EINVAL, "tz.invalid", "no output pointer");
        goto out;
    }
    if (!name || !name_ok(name)) {
        rc = unknown(name ? name : "");
        goto out;
    }
    pthread_mutex_lock(&cache_lock);
    if (!cache_dir_ok) {
        pthread_mutex_unlock(&cache_lock);
        rc = err_set(WASL_EINVAL, "tz.bad_dir", "the zoneinfo directory path is too long");
        goto out;
    }
    snprintf(path, sizeof(path), "%s/%s", cache_dir, name);
    s = cache_find(path);
    if (s->path) {
        *out = s->zone;
        pthread_mutex_unlock(&cache_lock);
        goto out;
    }
    pthread_mutex_unlock(&cache_lock);

    if ((rc = load_zone(path, name, &z)))
        goto out;

    pthread_mutex_lock(&cache_lock);
    s = cache_find(path);
    if (s->path) {
        *out = s->zone;
    } else if (cache_count >= TZ_CACHE_MAX) {
        rc = err_set(WASL_ELIMIT, "tz.cache_full", "more than %d time zones loaded", TZ_CACHE_MAX);
    } else if (!(s->path = strdup(path))) {
        rc = err_set(WASL_ENOMEM, "server.out_of_memory", NULL);
    } else {
        s->zone = z;
        cache_count++;
        *out = z;
        z = NULL;
    }
    pthread_mutex_unlock(&cache_lock);
out:
    tz_free(z);
    return rc;
}
