/*
 * The center's calendar: loading the hours and holidays, open/closed
 * decisions, and business-time arithmetic, all in the center's named zone
 * (never a fixed offset: Morocco changed its offset rules several times).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "core/core.h"
#include "calendar.h"

#define HOLIDAYS_MAX 512
#define DAY 86400

static struct {
    char zone[64];
    const struct tz *tz;
    int open[7], close[7]; /* minutes after local midnight, Sunday = 0; open < 0: closed */
    struct holiday holidays[HOLIDAYS_MAX];
    int nholidays;
} cal;

static pthread_mutex_t emergency_lock = PTHREAD_MUTEX_INITIALIZER;
static bool emergency;
static char emergency_reason[200];

static int parse_hm(const char *s, int *out)
{
    int h, m;
    char tail;
    if (!s || sscanf(s, "%2d:%2d%c", &h, &m, &tail) != 2 || h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m))
        return -1;
    *out = h * 60 + m;
    return 0;
}

static int cmp_holiday(const void *a, const void *b)
{
    const struct holiday *x = a, *y = b;
    return (x->year * 400 + x->month * 32 + x->day) - (y->year * 400 + y->month * 32 + y->day);
}

struct fixed_ctx {
    int from, to; /* years to expand fixed dates over */
};

static int fixed_row(const struct csv_row *r, void *arg)
{
    struct fixed_ctx *fc = arg;
    const char *md = csv_get(r, "month_day"), *since = csv_get(r, "since"), *until = csv_get(r, "until");
    int m, d, days = atoi(csv_get(r, "days") ? csv_get(r, "days") : "1");
    int y0 = since && *since ? atoi(since) : fc->from, y1 = until && *until ? atoi(until) : fc->to;

    if (!md || sscanf(md, "%2d-%2d", &m, &d) != 2 || m < 1 || m > 12 || d < 1 || d > 31 || days < 1 || days > 5)
        return err_set(WASL_EINVAL, "data.invalid", "month_day must be MM-DD and days 1 to 5");
    for (int y = y0 < fc->from ? fc->from : y0; y <= y1 && y <= fc->to; y++) {
        if (cal.nholidays == HOLIDAYS_MAX)
            return err_set(WASL_ELIMIT, "data.too_many", "more than %d holidays", HOLIDAYS_MAX);
        struct holiday *h = &cal.holidays[cal.nholidays++];
        memset(h, 0, sizeof(*h));
        h->year = y;
        h->month = m;
        h->day = d;
        h->days = days;
        snprintf(h->name[0], sizeof(h->name[0]), "%s", csv_get(r, "name_ar"));
        snprintf(h->name[1], sizeof(h->name[1]), "%s", csv_get(r, "name_fr"));
        snprintf(h->name[2], sizeof(h->name[2]), "%s", csv_get(r, "name_en"));
    }
    return 0;
}

static int hijri_row(const struct csv_row *r, void *arg)
{
    const char *date = csv_get(r, "date"), *status = csv_get(r, "status");
    int y, m, d, days = atoi(csv_get(r, "days") ? csv_get(r, "days") : "1");
    (void)arg;
    if (!date || sscanf(date, "%4d-%2d-%2d", &y, &m, &d) != 3 || m < 1 || m > 12 || d < 1 || d > 31 || days < 1 || days > 5)
        return err_set(WASL_EINVAL, "data.invalid", "date must be YYYY-MM-DD and days 1 to 5");
    if (!status || (strcmp(status, "estimated") && strcmp(status, "confirmed")))
        return err_set(WASL_EINVAL, "data.invalid", "status must be estimated or confirmed");
    if (cal.nholidays == HOLIDAYS_MAX)
        return err_set(WASL_ELIMIT, "data.too_many", "more than %d holidays", HOLIDAYS_MAX);
    struct holiday *h = &cal.holidays[cal.nholidays++];
    memset(h, 0, sizeof(*h));
    h->year = y;
    h->month = m;
    h->day = d;
    h->days = days;
    h->hijri = true;
    const char *hd = csv_get(r, "hijri");
    int hy;
    if (!hd || sscanf(hd, "%d-%2d-%2d", &hy, &h->hijri_month, &h->hijri_day) != 3 || h->hijri_month < 1 || h->hijri_month > 12 ||
        h->hijri_day < 1 || h->hijri_day > 30) {
        cal.nholidays--;
        return err_set(WASL_EINVAL, "data.invalid", "hijri must be YYYY-MM-DD (the Hijri date)");
    }
    h->estimated = !strcmp(status, "estimated");
    snprintf(h->name[0], sizeof(h->name[0]), "%s", csv_get(r, "name_ar"));
    snprintf(h->name[1], sizeof(h->name[1]), "%s", csv_get(r, "name_fr"));
    snprintf(h->name[2], sizeof(h->name[2]), "%s", csv_get(r, "name_en"));
    return 0;
}

int calendar_load(const char *data_dir)
{
    static const char *const days[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
    char path[1200];
    json_error_t je;
    json_t *j, *hours;
    const char *set;
    int err = 0;

    snprintf(path, sizeof(path), "%s/calendar/center.json", data_dir);
    if (!(j = json_load_file(path, JSON_REJECT_DUPLICATES, &je)))
        return err_set(WASL_EINVAL, "data.invalid", "%s:%d: %s", path, je.line, je.text);
    set = json_string_value(json_object_get(j, "zone"));
    snprintf(cal.zone, sizeof(cal.zone), "%s", set ? set : "");
    if (tz_get(cal.zone, &cal.tz)) {
        err = err_set(WASL_EINVAL, "data.invalid", "%s: unknown zone '%s'", path, cal.zone);
        goto out;
    }
    hours = json_object_get(j, "hours");
    for (int i = 0; i < 7; i++) {
        json_t *h = json_object_get(hours, days[i]);
        cal.open[i] = cal.close[i] = -1;
        if (json_is_null(h) || !h)
            continue;
        if (!json_is_array(h) || json_array_size(h) != 2 || parse_hm(json_string_value(json_array_get(h, 0)), &cal.open[i]) ||
            parse_hm(json_string_value(json_array_get(h, 1)), &cal.close[i]) || cal.close[i] <= cal.open[i]) {
            err = err_set(WASL_EINVAL, "data.invalid", "%s: hours.%s must be null or [\"HH:MM\", \"HH:MM\"] (opening first)", path,
                          days[i]);
            goto out;
        }
    }
    cal.nholidays = 0;
    set = json_string_value(json_object_get(j, "holidays"));
    if (set) {
        struct fixed_ctx fc = {2020, 2045}; /* the years deadlines and reports can touch */
        snprintf(path, sizeof(path), "%s/holidays/%s.csv", data_dir, set);
        if ((err = csv_load_file(path, fixed_row, &fc)))
            goto out;
        snprintf(path, sizeof(path), "%s/holidays/%s-hijri.csv", data_dir, set);
        if ((err = csv_load_file(path, hijri_row, NULL)))
            goto out;
        qsort(cal.holidays, (size_t)cal.nholidays, sizeof(cal.holidays[0]), cmp_holiday);
    }
out:
    json_decref(j);
    return err;
}

const char *calendar_zone(void)
{
    return cal.zone;
}

/* The holiday covering a local date (a two-day holiday covers its second day). */
const struct holiday *calendar_holiday(int y, int m, int d)
{
    int64_t day = days_from_civil(y, m, d);
    for (int i = 0; i < cal.nholidays; i++) {
        const struct holiday *h = &cal.holidays[i];
        int64_t hd = days_from_civil(h->year, h->month, h->day);
        if (day >= hd && day < hd + h->days)
            return h;
    }
    return NULL;
}

int calendar_holidays(int y1, int y2, const struct holiday **out, int max)
{
    int n = 0;
    for (int i = 0; i < cal.nholidays && n < max; i++)
        if (cal.holidays[i].year >= y1 && cal.holidays[i].year <= y2)
            out[n++] = &cal.holidays[i];
    return n;
}

/* Opening interval of the local day that contains t: [*open, *close). */
static bool day_window(int64_t t, int64_t *open, int64_t *close, const struct holiday **hol)
{
    struct tz_local l;
    *hol = NULL;
    if (!cal.tz || tz_to_local(cal.tz, t, &l))
        return false;
    if ((*hol = calendar_holiday(l.year, l.month, l.day)))
        return false;
    if (cal.open[l.wday] < 0)
        return false;
    if (tz_from_local(cal.tz, l.year, l.month, l.day, cal.open[l.wday] / 60, cal.open[l.wday] % 60, 0, open) ||
        tz_from_local(cal.tz, l.year, l.month, l.day, cal.close[l.wday] / 60, cal.close[l.wday] % 60, 0, close))
        return false;
    return true;
}

bool calendar_day_hours(int64_t t, int64_t *open, int64_t *close)
{
    const struct holiday *h;
    return day_window(t, open, close, &h);
}

enum cal_state calendar_state(int64_t t, const struct holiday **holiday)
{
    int64_t open, close;
    const struct holiday *h = NULL;
    bool worked = day_window(t, &open, &close, &h);

    if (holiday)
        *holiday = h;
    if (calendar_emergency(NULL, 0))
        return CAL_CLOSED_EMERGENCY;
    if (h)
        return CAL_CLOSED_HOLIDAY;
    if (!worked || t < open || t >= close)
        return CAL_CLOSED_HOURS;
    return CAL_OPEN;
}

bool calendar_is_open(int64_t t)
{
    return calendar_state(t, NULL) == CAL_OPEN;
}

/* The start of the local day after the one containing t. */
static int64_t next_day(int64_t t)
{
    struct tz_local l;
    int64_t start;
    int y, m, d;
    if (tz_to_local(cal.tz, t, &l))
        return t + DAY;
    civil_from_days(days_from_civil(l.year, l.month, l.day) + 1, &y, &m, &d);
    if (tz_from_local(cal.tz, y, m, d, 0, 0, 0, &start))
        return t + DAY;
    return start > t ? start : t + DAY;
}

int64_t calendar_next_open(int64_t t)
{
    for (int i = 0; i < 400; i++) {
        int64_t open, close;
        const struct holiday *h;
        if (day_window(t, &open, &close, &h)) {
            if (t < open)
                return open;
            if (t < close)
                return t;
        }
        t = next_day(t);
    }
    return t;
}

int64_t calendar_add_business(int64_t t, int64_t seconds)
{
    /* Day by day: at most a couple of years of days for any sane deadline. */
    for (int i = 0; i < 800 && seconds > 0; i++) {
        int64_t open, close;
        const struct holiday *h;
        if (day_window(t, &open, &close, &h) && t < close) {
            int64_t from = t > open ? t : open;
            if (close - from >= seconds)
                return from + seconds;
            seconds -= close - from;
        }
        t = next_day(t);
    }
    return t;
}

int64_t calendar_business_between(int64_t a, int64_t b)
{
    int64_t total = 0, t = a;
    for (int i = 0; i < 800 && t < b; i++) {
        int64_t open, close;
        const struct holiday *h;
        if (day_window(t, &open, &close, &h)) {
            int64_t from = t > open ? t : open, to = b < close ? b : close;
            if (to > from)
                total += to - from;
        }
        t = next_day(t);
    }
    return total;
}

void calendar_set_emergency(bool closed, const char *reason)
{
    pthread_mutex_lock(&emergency_lock);
    emergency = closed;
    snprintf(emergency_reason, sizeof(emergency_reason), "%s", closed && reason ? reason : "");
    pthread_mutex_unlock(&emergency_lock);
}

bool calendar_emergency(char *reason, int n)
{
    bool on;
    pthread_mutex_lock(&emergency_lock);
    on = emergency;
    if (reason && n > 0)
        snprintf(reason, (size_t)n, "%s", emergency_reason);
    pthread_mutex_unlock(&emergency_lock);
    return on;
}
