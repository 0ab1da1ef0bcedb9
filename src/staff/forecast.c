/*
 * The forecast of calls per language and half-hour from past weeks' events
 * (the same weekday, a weighted average), the seasons that move them
 * (Ramadan, Opération Marhaba), and the staffing plan that follows from it
 * with Erlang C or A (docs/staffing.md, "Forecast and plan").
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "staff.h"
#include "calendar/calendar.h"
#include "core/core.h"
#include "geo/geo.h"
#include "stats/stats.h"

#define RAMADAN_DAYS 30  /* the tabular length; a 29-day one flags the last day of Sha'ban too */
#define MARHABA_FROM 615 /* MMDD: mid-June ... */
#define MARHABA_TO 915   /* ... to mid-September */

unsigned staff_seasons(int year, int month, int day)
{
    unsigned s = 0;
    int md = month * 100 + day;
    if (md >= MARHABA_FROM && md <= MARHABA_TO)
        s |= STAFF_MARHABA;
    /* Aid Al Fitr is 1 Shawwal: Ramadan is the month before it */
    const struct holiday *list[64];
    int64_t d = days_from_civil(year, month, day);
    int n = calendar_holidays(year, year + 1, list, 64);
    for (int i = 0; i < n; i++) {
        const struct holiday *h = list[i];
        if (!h->hijri || h->hijri_month != 10 || h->hijri_day != 1)
            continue;
        int64_t eid = days_from_civil(h->year, h->month, h->day);
        if (d >= eid - RAMADAN_DAYS && d < eid)
            s |= STAFF_RAMADAN;
    }
    return s;
}

json_t *staff_seasons_json(unsigned seasons)
{
    json_t *a = json_array();
    if (seasons & STAFF_RAMADAN)
        json_array_append_new(a, json_string("ramadan"));
    if (seasons & STAFF_MARHABA)
        json_array_append_new(a, json_string("marhaba"));
    return a;
}

/* One past day being read: its segments counted into sums per language and slot. */
struct day_read {
    const struct tz *tz;
    struct stats_fold *fold;
    int64_t from, to;
    long long segments;
    double calls[STAFF_LANGS_MAX][STAFF_SLOTS];
    double handle_s[STAFF_LANGS_MAX][STAFF_SLOTS];
    long long handled[STAFF_LANGS_MAX][STAFF_SLOTS];
};

static void on_segment(const struct stats_segment *s, void *arg)
{
    struct day_read *d = arg;
    if (s->joined < d->from || s->joined >= d->to)
        return;
    char lang[8];
    size_t n = strcspn(s->queue, ".");
    snprintf(lang, sizeof(lang), "%.*s", (int)(n < sizeof(lang) ? n : sizeof(lang) - 1), s->queue);
    int li = language_index(lang);
    struct tz_local l;
    if (li < 0 || li >= STAFF_LANGS_MAX || tz_to_local(d->tz, s->joined / WTIME_SEC, &l))
        return;
    int slot = (l.hour * 60 + l.min) / 30;
    d->segments++;
    d->calls[li][slot] += 1;
    if (s->fate == SF_ANSWERED && s->wrap_ms >= 0) {
        d->handled[li][slot]++;
        d->handle_s[li][slot] += (double)(s->talk_ms + s->hold_ms + s->wrap_ms) / 1000.0;
    }
}

static int on_event(const struct ev *e, void *arg)
{
    struct day_read *d = arg;
    return stats_fold_event(d->fold, e);
}

/* Reads one local day's segments. */
static int read_day(struct db *db, const struct tz *tz, int y, int m, int dd, int64_t now, struct day_read *d)
{
    int64_t from, to, end;
    int ny, nm, nd, err;
    civil_from_days(days_from_civil(y, m, dd) + 1, &ny, &nm, &nd);
    if ((err = tz_from_local(tz, y, m, dd, 0, 0, 0, &from)) || (err = tz_from_local(tz, ny, nm, nd, 0, 0, 0, &to)))
        return err;
    memset(d, 0, sizeof(*d));
    d->tz = tz;
    d->from = from * WTIME_SEC;
    d->to = to * WTIME_SEC;
    if ((err = stats_fold_new(on_segment, NULL, d, &d->fold)))
        return err;
    err = stats_events_from_store(db, d->from, d->to, now, on_event, d, &end);
    if (!err)
        stats_fold_end(d->fold, end);
    stats_fold_free(d->fold);
    d->fold = NULL;
    return err;
}

static int parse_day(const char *day, int *y, int *m, int *d)
{
    int n = 0;
    if (!day || sscanf(day, "%4d-%2d-%2d%n", y, m, d, &n) != 3 || day[n] || *y < 2000 || *y > 2100 || *m < 1 || *m > 12 || *d < 1 ||
        *d > 31)
        return err_set_field(WASL_EINVAL, "staff.invalid_day", "day", "day: a date YYYY-MM-DD");
    int cy, cm, cd;
    civil_from_days(days_from_civil(*y, *m, *d), &cy, &cm, &cd);
    if (cy != *y || cm != *m || cd != *d)
        return err_set_field(WASL_EINVAL, "staff.invalid_day", "day", "day: %s is no date", day);
    return 0;
}

int staff_forecast(struct db *db, const char *day, int weeks, double default_aht_s, int64_t now, struct staff_forecast *out)
{
    const struct tz *tz;
    struct day_read *d = NULL;
    double(*handle_s)[STAFF_SLOTS] = NULL;
    int err;

    memset(out, 0, sizeof(*out));
    if ((err = parse_day(day, &out->year, &out->month, &out->day)))
        return err;
    if (weeks < 1 || weeks > STAFF_WEEKS_MAX)
        return err_set_field(WASL_EINVAL, "staff.invalid", "weeks", "weeks: 1 to %d past weeks", STAFF_WEEKS_MAX);
    if (!(default_aht_s >= 1 && default_aht_s <= 86400))
        return err_set_field(WASL_EINVAL, "staff.invalid", "aht", "aht (handle time): 1 s to 24 h");
    if ((err = tz_get(calendar_zone() && *calendar_zone() ? calendar_zone() : "Africa/Casablanca", &tz)))
        return err;
    int64_t day0 = days_from_civil(out->year, out->month, out->day), noon;
    if ((err = tz_from_local(tz, out->year, out->month, out->day, 12, 0, 0, &noon)))
        return err;
    out->wday = (int)(((day0 % 7) + 11) % 7); /* 1970-01-01 was a Thursday */
    out->seasons = staff_seasons(out->year, out->month, out->day);
    out->holiday = calendar_holiday(out->year, out->month, out->day);
    int64_t open, close;
    if (!out->holiday && calendar_day_hours(noon, &open, &close)) {
        struct tz_local lo, lc;
        if (!tz_to_local(tz, open, &lo) && !tz_to_local(tz, close - 1, &lc)) {
            out->open_slot = (lo.hour * 60 + lo.min) / 30;
            out->close_slot = (lc.hour * 60 + lc.min) / 30 + 1;
        }
    }
    for (int i = 0; i < wasl_nlanguages && i < STAFF_LANGS_MAX; i++)
        snprintf(out->languages[out->nlanguages++], sizeof(out->languages[0]), "%s", wasl_languages[i]);

    d = malloc(sizeof(*d));
    handle_s = calloc(STAFF_LANGS_MAX, sizeof(*handle_s));
    if (!d || !handle_s) {
        err = WASL_ENOMEM;
        goto out;
    }
    double total_weight = 0;
    for (int k = 1; k <= weeks; k++) {
        struct staff_week *w = &out->weeks[out->nweeks++];
        civil_from_days(day0 - 7 * k, &w->year, &w->month, &w->day);
        w->seasons = staff_seasons(w->year, w->month, w->day);
        int64_t end;
        int ny, nm, nd;
        civil_from_days(day0 - 7 * k + 1, &ny, &nm, &nd);
        if ((err = tz_from_local(tz, ny, nm, nd, 0, 0, 0, &end)))
            goto out;
        if (end * WTIME_SEC > now) {
            w->use = STAFF_WEEK_FUTURE;
            continue;
        }
        if (calendar_holiday(w->year, w->month, w->day)) {
            w->use = STAFF_WEEK_HOLIDAY;
            continue;
        }
        if ((err = read_day(db, tz, w->year, w->month, w->day, now, d)))
            goto out;
        w->segments = d->segments;
        if (!d->segments) {
            w->use = STAFF_WEEK_NO_DATA;
            continue;
        }
        w->use = STAFF_WEEK_USED;
        w->weight = weeks + 1 - k;
        total_weight += w->weight;
        if (w->seasons != out->seasons)
            out->season_mismatch = true;
        for (int li = 0; li < out->nlanguages; li++)
            for (int s = 0; s < STAFF_SLOTS; s++) {
                out->slot[li][s].calls += w->weight * d->calls[li][s];
                out->slot[li][s].handled += d->handled[li][s];
                handle_s[li][s] += d->handle_s[li][s];
            }
    }
    for (int k = 0; k < out->nweeks; k++)
        out->weeks[k].weight = total_weight > 0 ? out->weeks[k].weight / total_weight : 0;
    for (int li = 0; li < out->nlanguages; li++) {
        double day_s = 0;
        long long day_n = 0;
        for (int s = 0; s < STAFF_SLOTS; s++) {
            day_s += handle_s[li][s];
            day_n += out->slot[li][s].handled;
        }
        for (int s = 0; s < STAFF_SLOTS; s++) {
            struct staff_slot *x = &out->slot[li][s];
            x->calls = total_weight > 0 ? x->calls / total_weight : 0;
            if (x->handled >= STAFF_AHT_MIN_CALLS) {
                x->aht_s = handle_s[li][s] / (double)x->handled;
                x->aht_from = STAFF_AHT_INTERVAL;
            } else if (day_n >= STAFF_AHT_MIN_CALLS) {
                x->aht_s = day_s / (double)day_n;
                x->aht_from = STAFF_AHT_DAY;
            } else {
                x->aht_s = default_aht_s;
                x->aht_from = STAFF_AHT_DEFAULT;
            }
            if (x->aht_s < 1) /* a day of zero-second calls: the model needs a handle time */
                x->aht_s = 1;
        }
    }
out:
    free(d);
    free(handle_s);
    return err;
}

int staff_plan_slot(const struct staff_in *base, const struct staff_slot *s, struct staff_result *out)
{
    struct staff_in in = *base;
    in.calls = s->calls;
    in.aht_s = s->aht_s;
    if (s->calls < 0.005) { /* nobody calls: nobody needed */
        *out = (struct staff_result){.service_level = 1, .stable = true};
        return staff_check(&in);
    }
    return staff_needed(&in, out);
}

static json_t *slot_json(const struct staff_forecast *f, const struct staff_in *base, int li, int s, double *agent_hours, int *peak,
                         int *err)
{
    static const char *const from[] = {"interval", "day", "default"};
    const struct staff_slot *x = &f->slot[li][s];
    struct staff_result r;
    char start[8];
    if ((*err = staff_plan_slot(base, x, &r)))
        return NULL;
    *agent_hours += r.rostered * base->interval_s / 3600.0;
    if (r.rostered > *peak)
        *peak = r.rostered;
    snprintf(start, sizeof(start), "%02d:%02d", s / 2, s % 2 * 30);
    json_t *o = staff_result_json(&r);
    json_object_set_new(o, "start", json_string(start));
    json_object_set_new(o, "calls", json_real(round(x->calls * 100) / 100));
    json_object_set_new(o, "aht_s", json_real(round(x->aht_s * 10) / 10));
    json_object_set_new(o, "aht_from", json_string(from[x->aht_from]));
    json_object_set_new(o, "open", json_boolean(s >= f->open_slot && s < f->close_slot));
    return o;
}

int staff_plan_json(const struct staff_forecast *f, const struct staff_in *base, const char *language, json_t **out)
{
    static const char *const uses[] = {"used", "holiday", "no_data", "future"};
    char day[16];
    int err = 0;
    json_t *weeks = json_array(), *langs = json_array();
    for (int k = 0; k < f->nweeks; k++) {
        const struct staff_week *w = &f->weeks[k];
        snprintf(day, sizeof(day), "%04d-%02d-%02d", w->year, w->month, w->day);
        json_array_append_new(weeks, json_pack("{s:s, s:s, s:f, s:I, s:o}", "day", day, "use", uses[w->use], "weight", w->weight,
                                               "calls", (json_int_t)w->segments, "seasons", staff_seasons_json(w->seasons)));
    }
    for (int li = 0; li < f->nlanguages && !err; li++) {
        if (language && strcmp(language, f->languages[li]))
            continue;
        json_t *iv = json_array();
        double calls = 0, agent_hours = 0;
        int peak = 0;
        /* the opening hours, and any other half-hour past weeks had calls in */
        for (int s = 0; s < STAFF_SLOTS && !err; s++) {
            if ((s < f->open_slot || s >= f->close_slot) && f->slot[li][s].calls < 0.005)
                continue;
            calls += f->slot[li][s].calls;
            json_t *o = slot_json(f, base, li, s, &agent_hours, &peak, &err);
            if (o)
                json_array_append_new(iv, o);
        }
        json_array_append_new(langs,
                              json_pack("{s:s, s:f, s:f, s:i, s:o}", "language", f->languages[li], "calls", round(calls * 10) / 10,
                                        "agent_hours", agent_hours, "peak_rostered", peak, "intervals", iv));
    }
    snprintf(day, sizeof(day), "%04d-%02d-%02d", f->year, f->month, f->day);
    json_t *o = json_pack(
        "{s:s, s:i, s:o, s:b, s:o, s:b, s:s, s:o, s:o}", "day", day, "weekday", f->wday, "seasons", staff_seasons_json(f->seasons),
        "season_mismatch", f->season_mismatch, "holiday", f->holiday ? json_string(f->holiday->name[2]) : json_null(), "open",
        f->open_slot<f->close_slot, "model", base->patience_s> 0 ? "erlang_a" : "erlang_c", "weeks", weeks, "languages", langs);
    if (err || !o) {
        json_decref(o);
        return err ? err : WASL_ENOMEM;
    }
    *out = o;
    return 0;
}
