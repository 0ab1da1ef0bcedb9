/*
 * The center's calendar for pages and the telephony: open or closed now and
 * why, this week's hours, the coming holidays (Hijri ones marked estimated
 * until confirmed).
 */
#include <stdio.h>

#include "api.h"
#include "calendar/calendar.h"

/* Local time in the center's zone; date_only: "YYYY-MM-DD". */
static json_t *local_fmt(int64_t t, bool date_only)
{
    const struct tz *z;
    struct tz_local l;
    char buf[32];
    if (tz_get(calendar_zone(), &z) || tz_to_local(z, t, &l))
        return json_null();
    if (date_only)
        snprintf(buf, sizeof(buf), "%04d-%02d-%02d", l.year, l.month, l.day);
    else
        snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d", l.year, l.month, l.day, l.hour, l.min);
    return json_string(buf);
}

static json_t *local_json(int64_t t)
{
    return local_fmt(t, false);
}

int api_calendar(struct http_req *r)
{
    static const char *const states[] = {"open", "closed_hours", "closed_holiday", "closed_emergency"};
    int64_t now = clock_now_sec(), open, close, next;
    const struct holiday *h = NULL, *list[64];
    char reason[200] = "";
    enum cal_state st = calendar_state(now, &h);
    json_t *days = json_array(), *hol = json_array();
    const struct tz *z;
    struct tz_local l;
    int n;

    for (int d = 0; d < 7; d++) {
        int64_t t = now + d * 86400;
        bool working = calendar_day_hours(t, &open, &close);
        json_array_append_new(days, json_pack("{s:o, s:o, s:o}", "date", local_fmt(t, true), "opens",
                                              working ? local_json(open) : json_null(), "closes",
                                              working ? local_json(close) : json_null()));
    }
    if (!tz_get(calendar_zone(), &z) && !tz_to_local(z, now, &l)) {
        n = calendar_holidays(l.year, l.year + 1, list, 64);
        for (int i = 0; i < n; i++) {
            const struct holiday *x = list[i];
            if (x->year * 400 + x->month * 32 + x->day < l.year * 400 + l.month * 32 + l.day)
                continue;
            char date[12];
            snprintf(date, sizeof(date), "%04d-%02d-%02d", x->year, x->month, x->day);
            json_array_append_new(hol, json_pack("{s:s, s:{s:s, s:s, s:s}, s:i, s:b, s:b}", "date", date, "name", "ar", x->name[0],
                                                 "fr", x->name[1], "en", x->name[2], "days", x->days, "hijri", x->hijri,
                                                 "estimated", x->estimated));
        }
    }
    bool emergency = calendar_emergency(reason, sizeof(reason));
    next = calendar_next_open(now);
    return http_reply_json(r, 200,
                           json_pack("{s:s, s:s, s:o, s:o, s:{s:b, s:s?}, s:o, s:o, s:s?}", "state", states[st], "zone",
                                     calendar_zone(), "now", local_json(now), "next_open", local_json(next), "emergency", "closed",
                                     emergency, "reason", emergency && reason[0] ? reason : NULL, "week", days, "holidays", hol,
                                     "holiday", h ? h->name[1] : NULL));
}
