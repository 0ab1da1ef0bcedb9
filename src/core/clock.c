/*
 * The program's one clock. Everything that asks "what time is it" asks here,
 * so tests can run any instant: clock_set() shifts the clock to an instant that
 * then runs on in real time, clock_freeze() pins it.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core.h"

static _Atomic int64_t offset_us; /* added to the real time */
static _Atomic int64_t frozen_at; /* non-zero: the frozen instant */

static int64_t real_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * WTIME_SEC + ts.tv_nsec / 1000;
}

wtime_t clock_now(void)
{
    int64_t f = atomic_load_explicit(&frozen_at, memory_order_relaxed);
    if (f)
        return f;
    return real_now() + atomic_load_explicit(&offset_us, memory_order_relaxed);
}

int64_t clock_now_sec(void)
{
    wtime_t t = clock_now();
    return t >= 0 ? t / WTIME_SEC : (t - WTIME_SEC + 1) / WTIME_SEC;
}

void clock_set(wtime_t t)
{
    atomic_store(&frozen_at, 0);
    atomic_store(&offset_us, t - real_now());
}

void clock_freeze(wtime_t t)
{
    atomic_store(&frozen_at, t ? t : 1);
}

void clock_reset(void)
{
    atomic_store(&frozen_at, 0);
    atomic_store(&offset_us, 0);
}

int64_t clock_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void clock_format_utc(wtime_t t, char *buf, size_t n)
{
    int64_t sec = t >= 0 ? t / WTIME_SEC : (t - WTIME_SEC + 1) / WTIME_SEC;
    int64_t us = t - sec * WTIME_SEC;
    int64_t days = sec >= 0 ? sec / 86400 : (sec - 86399) / 86400;
    int64_t rem = sec - days * 86400;
    int y, m, d;

    civil_from_days(days, &y, &m, &d);
    snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", y, m, d, (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60),
             (int)(us / 1000));
}

static int digits(const char **s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if ((*s)[i] < '0' || (*s)[i] > '9')
            return -1;
        v = v * 10 + ((*s)[i] - '0');
    }
    *s += n;
    *out = v;
    return 0;
}

int clock_parse_utc(const char *s, wtime_t *out)
{
    const char *p = s;
    int y, mo, d, h = 0, mi = 0, se = 0, off = 0;
    int64_t frac = 0;

    if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' || digits(&p, 2, &d))
        goto bad;
    if (*p == 'T' || *p == ' ') {
        p++;
        if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
            goto bad;
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &se))
                goto bad;
            if (*p == '.') {
                int64_t scale = 100000;
                p++;
                if (*p < '0' || *p > '9')
                    goto bad;
                for (; *p >= '0' && *p <= '9'; p++) {
                    frac += (*p - '0') * scale;
                    scale /= 10;
                }
            }
        }
        if (*p == 'Z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1, oh, om;
            if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om))
                goto bad;
            off = sign * (oh * 3600 + om * 60);
        }
    }
    if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        goto bad;
    *out = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off) * WTIME_SEC) + frac;
    return 0;
bad:
    return err_set(WASL_EINVAL, "time.invalid", "'%.40s' is not a date and time like 2026-11-28T19:59:59Z", s);
}

void clock_deadline(int64_t wait_us, struct timespec *out)
{
    clock_gettime(CLOCK_REALTIME, out);
    if (wait_us < 0)
        wait_us = 0;
    out->tv_sec += (time_t)(wait_us / 1000000);
    out->tv_nsec += (long)(wait_us % 1000000) * 1000L;
    if (out->tv_nsec >= 1000000000L) {
        out->tv_sec++;
        out->tv_nsec -= 1000000000L;
    }
}
