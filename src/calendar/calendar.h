/*
 * calendar: when the center works. Weekly opening hours in the center's IANA
 * zone, Moroccan public holidays (fixed dates, and Hijri-dated ones as
 * yearly data marked estimated or confirmed), an emergency closure switch,
 * and business-time arithmetic for deadlines. Read from data/calendar/ and
 * data/holidays/; read-only after loading, except the closure switch.
 */
#ifndef WASL_CALENDAR_H
#define WASL_CALENDAR_H

#include <stdbool.h>
#include <stdint.h>

struct holiday {
    int year, month, day;
    char name[3][96]; /* ar, fr, en */
    int days;         /* days off from this date */
    bool estimated;   /* a Hijri date not yet confirmed */
    bool hijri;
    int hijri_month, hijri_day; /* of a Hijri-dated one (10, 1: 1 Shawwal, Aid Al Fitr); 0 otherwise */
};

/* Loads data_dir/calendar/center.json and its holidays. Replaces any
 * calendar loaded before (not thread-safe against readers: call at start). */
int calendar_load(const char *data_dir);
/* The center's zone name ("Africa/Casablanca"). */
const char *calendar_zone(void);

/* Why the center is open or not at instant t (seconds, UTC). */
enum cal_state { CAL_OPEN, CAL_CLOSED_HOURS, CAL_CLOSED_HOLIDAY, CAL_CLOSED_EMERGENCY };
enum cal_state calendar_state(int64_t t, const struct holiday **holiday);
bool calendar_is_open(int64_t t);
/* The next instant >= t at which the center opens (t itself when open);
 * ignores the emergency switch. */
int64_t calendar_next_open(int64_t t);
/* Opening and closing times of the center's day containing t, as instants;
 * false when that day is closed. */
bool calendar_day_hours(int64_t t, int64_t *open, int64_t *close);

/* The holiday on a local date, or NULL. */
const struct holiday *calendar_holiday(int y, int m, int d);
/* Holidays from year y1 to y2, in date order. */
int calendar_holidays(int y1, int y2, const struct holiday **out, int max);

/* Business time: only opening hours of working days count. */
int64_t calendar_add_business(int64_t t, int64_t seconds);
int64_t calendar_business_between(int64_t a, int64_t b);

/* The emergency closure switch (an admin flips it; the telephony answers
 * "closed" while it is on). reason may be NULL. */
void calendar_set_emergency(bool closed, const char *reason);
bool calendar_emergency(char *reason, int n);
/* The switch kept in the store: read at start; written when flipped, with
 * its audit entry in the same transaction. */
struct db;
struct actor;
int calendar_emergency_load(struct db *db);
int calendar_emergency_save(struct db *db, bool closed, const char *reason, const struct actor *who);

#endif
