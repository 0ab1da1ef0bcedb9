/*
 * The daily summary mailed to the supervision team (issue 13, "Reports"):
 * once a day after stats.summary_hour, the day's figures - calls, cases,
 * callbacks, first contacts, ratings, searches with no answer - through the
 * outbox, to each address of stats.summary_to in its language, from the
 * template data/mail/daily_summary.<lang>.txt. A mark in center_state makes
 * it once a day however many nodes run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "cases/cases.h"
#include "geo/geo.h"
#include "store/store.h"
#include "tel/tel.h"

#define RECIPIENTS_MAX 32
#define TEMPLATE_MAX (16 * 1024)
#define CENTER_TZ "Africa/Casablanca"
#define MARK "stats.summary_day"
#define QUEUES_MAX 64

/* clang-format off */
const struct conf_def stats_conf[] = {
    {"stats.summary_to", CONF_STR, "", 0, 0, "who gets the daily summary: language:address pairs separated by commas (fr:chef@consulat.example, ar:...); empty: no summary"},
    {"stats.summary_hour", CONF_INT, "21", 0, 23, "the daily summary is sent once the center's local time has passed this hour (after closing)"},
};
/* clang-format on */
const size_t stats_conf_count = sizeof(stats_conf) / sizeof(stats_conf[0]);

struct recipient {
    char lang[8];
    char to[256];
};

/* stats.summary_to, checked: every pair a known language and an address. */
static int recipients(struct recipient *out, int *n)
{
    const char *v = conf_str("stats.summary_to");
    *n = 0;
    while (v && *v) {
        const char *end = strchr(v, ','), *colon = strchr(v, ':');
        size_t len = end ? (size_t)(end - v) : strlen(v);
        while (len && (*v == ' ' || *v == '\t'))
            v++, len--;
        if (!colon || colon >= v + len || *n == RECIPIENTS_MAX)
            return err_set(WASL_EINVAL, "stats.invalid_recipients",
                           "stats.summary_to: language:address pairs separated by commas, at most %d", RECIPIENTS_MAX);
        struct recipient *r = &out[*n];
        snprintf(r->lang, sizeof(r->lang), "%.*s", (int)(colon - v), v);
        snprintf(r->to, sizeof(r->to), "%.*s", (int)(len - (size_t)(colon + 1 - v)), colon + 1);
        for (char *p = r->to + strlen(r->to); p > r->to && p[-1] == ' ';)
            *--p = '\0';
        bool known = false;
        for (int i = 0; i < WASL_LANG_MAX && wasl_languages[i]; i++)
            known |= !strcmp(wasl_languages[i], r->lang);
        if (!known || !strchr(r->to, '@') || strpbrk(r->to, " \r\n<>"))
            return err_set(WASL_EINVAL, "stats.invalid_recipients", "stats.summary_to: '%s:%s' is no language:address pair",
                           r->lang, r->to);
        (*n)++;
        v = end ? end + 1 : NULL;
    }
    return 0;
}

/* {name} in the template replaced by its value; unknown names stay. */
static char *fill(const char *tpl, const char *const (*vars)[2], int nvars)
{
    struct sbuf b;
    sbuf_init(&b, TEMPLATE_MAX * 2);
    for (const char *p = tpl; *p;) {
        if (*p == '{') {
            int i = 0;
            size_t n = 0;
            while (i < nvars && !(n = strlen(vars[i][0]), !strncmp(p + 1, vars[i][0], n) && p[1 + n] == '}'))
                i++;
            if (i < nvars) {
                sbuf_add(&b, vars[i][1], strlen(vars[i][1]));
                p += n + 2;
                continue;
            }
        }
        sbuf_add(&b, p, 1);
        p++;
    }
    return sbuf_take(&b);
}

static void fmt_share(char *out, size_t n, int64_t a, int64_t b)
{
    if (b > 0)
        snprintf(out, n, "%.1f %%", 100.0 * (double)a / (double)b);
    else
        snprintf(out, n, "-");
}

static void fmt_mean(char *out, size_t n, double sum, int64_t count)
{
    if (count > 0)
        snprintf(out, n, "%.0f", sum / (double)count);
    else
        snprintf(out, n, "-");
}

int stats_summary_text(struct db *db, const char *data_dir, const char *day, const char *lang, char **subject, char **body)
{
    int y, m, d, err;
    int64_t from, to;
    const struct tz *z;
    struct tz_local l;
    if (sscanf(day, "%4d-%2d-%2d", &y, &m, &d) != 3)
        return err_set(WASL_EINVAL, "stats.invalid_time", "a day is YYYY-MM-DD");
    if ((err = tz_get(CENTER_TZ, &z)) || (err = tz_from_local(z, y, m, d, 0, 0, 0, &from)) ||
        (err = tz_to_local(z, from + 36 * 3600, &l)) || (err = tz_from_local(z, l.year, l.month, l.day, 0, 0, 0, &to)))
        return err;
    from *= WTIME_SEC;
    to *= WTIME_SEC;
    int64_t now = clock_now();
    if (to > now)
        to = now > from ? now : from + 1;

    char path[600], *tpl = NULL;
    size_t len;
    snprintf(path, sizeof(path), "%s/mail/daily_summary.%s.txt", data_dir, lang);
    if ((err = file_read(path, &tpl, &len, TEMPLATE_MAX)))
        return err;
    const char *text = strstr(tpl, "\n\n");
    if (strncmp(tpl, "Subject: ", 9) || !text) {
        free(tpl);
        return err_set(WASL_EINVAL, "stats.invalid_template", "%s: a 'Subject: ' line, a blank line, then the text", path);
    }

    /* each queue's own answer-time target, as the supervision page counts it */
    struct stats_threshold th[QUEUES_MAX];
    struct stats_query q = {
        .from = from, .to = to, .by = 0, .sl_threshold_s = 20, .short_abandon_s = 5, .tz = CENTER_TZ, .thresholds = th};
    for (int i = 0; i < tel_plan_queues() && q.nthresholds < QUEUES_MAX; i++) {
        const char *name = tel_plan_queue(i, &th[q.nthresholds].seconds);
        if (name)
            snprintf(th[q.nthresholds++].queue, sizeof(th[0].queue), "%s", name);
    }
    struct stats_case_query cq = {.from = from, .to = to, .slice = SCS_TOTAL, .tz = CENTER_TZ};
    struct stats_report *rep = NULL;
    struct stats_case_row *cr = NULL;
    struct stats_search_row *sr = NULL;
    struct stats_contacts ct;
    int ncr = 0, nsr = 0;
    if ((err = stats_report_from_store(db, &q, now, &rep)) || (err = stats_cases(db, &cq, &cr, &ncr)) ||
        (err = stats_contacts(db, from, to, now, 7, CENTER_TZ, &ct, &sr, &nsr))) {
        stats_report_free(rep);
        free(cr);
        free(tpl);
        return err;
    }
    free(sr);
    const struct stats_row *rows;
    struct stats_row call = {0};
    if (stats_report_rows(rep, &rows) > 0)
        call = rows[0];
    stats_report_free(rep);
    struct stats_case_row cs = {0};
    if (ncr > 0)
        cs = cr[0];
    free(cr);

    char v[20][32];
    snprintf(v[0], 32, "%lld", (long long)call.offered);
    snprintf(v[1], 32, "%lld", (long long)call.answered);
    snprintf(v[2], 32, "%lld", (long long)(call.abandoned - call.short_abandons));
    fmt_share(v[3], 32, call.answered_within, call.offered - call.short_abandons - call.waiting);
    fmt_mean(v[4], 32, (double)call.wait_answered_ms / 1000.0, call.answered);
    fmt_mean(v[5], 32, (double)(call.talk_ms + call.hold_ms + call.wrap_ms) / 1000.0, call.handled);
    snprintf(v[6], 32, "%lld", (long long)cs.opened);
    snprintf(v[7], 32, "%lld", (long long)cs.resolved);
    snprintf(v[8], 32, "%lld", (long long)cs.backlog_end);
    snprintf(v[9], 32, "%lld", (long long)cs.breaches);
    snprintf(v[10], 32, "%lld", (long long)cs.complaints);
    if (cs.rated)
        snprintf(v[11], 32, "%.1f/5 (%lld)", (double)cs.rating_sum / (double)cs.rated, (long long)cs.rated);
    else
        snprintf(v[11], 32, "-");
    snprintf(v[12], 32, "%lld", (long long)ct.cb_requested);
    snprintf(v[13], 32, "%lld", (long long)ct.cb_completed);
    fmt_share(v[14], 32, ct.fcr_resolved, ct.fcr_resolved + ct.fcr_repeated);
    snprintf(v[15], 32, "%lld", (long long)ct.searches_no_answer);
    snprintf(v[16], 32, "%lld", (long long)ct.searches);
    const char *const vars[][2] = {{"day", day},
                                   {"offered", v[0]},
                                   {"answered", v[1]},
                                   {"abandoned", v[2]},
                                   {"service_level", v[3]},
                                   {"asa_s", v[4]},
                                   {"aht_s", v[5]},
                                   {"cases_opened", v[6]},
                                   {"cases_resolved", v[7]},
                                   {"backlog", v[8]},
                                   {"breaches", v[9]},
                                   {"complaints", v[10]},
                                   {"csat", v[11]},
                                   {"callbacks_requested", v[12]},
                                   {"callbacks_completed", v[13]},
                                   {"fcr", v[14]},
                                   {"searches_no_answer", v[15]},
                                   {"searches", v[16]}};
    int nv = (int)(sizeof(vars) / sizeof(vars[0]));
    const char *nl = strchr(tpl, '\n');
    char *subj_tpl = strndup(tpl + 9, (size_t)(nl - tpl - 9));
    *subject = subj_tpl ? fill(subj_tpl, vars, nv) : NULL;
    *body = fill(text + 2, vars, nv);
    free(subj_tpl);
    free(tpl);
    if (!*subject || !*body) {
        free(*subject);
        free(*body);
        return WASL_ENOMEM;
    }
    return 0;
}

struct send {
    const char *day;
    struct recipient *r;
    int n;
    char **subject, **body;
    int sent;
};

static int send_h(struct db_conn *c, void *arg)
{
    struct send *s = arg;
    int64_t now = clock_now();
    int err = db_exec(
        c, "UPDATE center_state SET value = ?, changed_at = ?, changed_by = 'system' WHERE name = '" MARK "' AND value <> ?",
        DBP(DB_S(s->day), DB_I(now), DB_S(s->day)));
    if (!err && db_changes(c) == 0) {
        int64_t have = 0;
        if ((err = db_query_int(c, &have, "SELECT COUNT(*) FROM center_state WHERE name = '" MARK "'", NULL, 0)) || have)
            return err; /* sent already today (by this node or another) */
        err = db_exec(c, "INSERT INTO center_state (name, value, changed_at, changed_by) VALUES ('" MARK "', ?, ?, 'system')",
                      DBP(DB_S(s->day), DB_I(now)));
    }
    for (int i = 0; !err && i < s->n; i++)
        err = outbox_add(c, 0, s->r[i].to, s->subject[i], s->body[i]);
    s->sent = err ? 0 : s->n;
    return err;
}

int stats_summary_tick(struct db *db, const char *data_dir, int64_t now, int *sent)
{
    struct recipient r[RECIPIENTS_MAX];
    int n = 0, err;
    const struct tz *z;
    struct tz_local l;
    *sent = 0;
    if ((err = recipients(r, &n)) || !n)
        return err;
    if ((err = tz_get(CENTER_TZ, &z)) || (err = tz_to_local(z, now / WTIME_SEC, &l)))
        return err;
    if (l.hour < conf_int("stats.summary_hour"))
        return 0;
    char day[16];
    snprintf(day, sizeof(day), "%04d-%02d-%02d", l.year, l.month, l.day);
    struct db_conn *c;
    int64_t done = 0;
    if ((err = db_conn_get(db, &c)))
        return err;
    err = db_query_int(c, &done, "SELECT COUNT(*) FROM center_state WHERE name = '" MARK "' AND value = ?", DBP(DB_S(day)));
    db_conn_put(c);
    if (err || done)
        return err;
    char *subject[RECIPIENTS_MAX] = {0}, *body[RECIPIENTS_MAX] = {0};
    for (int i = 0; !err && i < n; i++)
        err = stats_summary_text(db, data_dir, day, r[i].lang, &subject[i], &body[i]);
    struct send s = {day, r, n, subject, body, 0};
    if (!err)
        err = db_tx(db, send_h, &s);
    for (int i = 0; i < n; i++) {
        free(subject[i]);
        free(body[i]);
    }
    *sent = s.sent;
    return err;
}
