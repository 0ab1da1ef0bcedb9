/*
 * The live supervision figures (docs/metrics.md, "Live"): per queue the
 * callers waiting and the longest wait now (the telephony's snapshot), the
 * agents who take the queue by state, and the service level and abandon
 * rate of today so far (src/stats over the event log since local midnight);
 * per country the calls of today; each agent's state and time in it; a
 * level per figure (ok, amber, red) from data/supervision/thresholds.json
 * and the list of alerts. GET /api/v1/supervision/live, and the event
 * "supervision" of the stream (live.c) for the wallboard.
 *
 * Today's figures cost a pass over the day's events: a thread computes them
 * at most every TODAY_REFRESH_US (more seldom when a pass takes long) and
 * keeps them, whatever the number of requests and events; the live part is
 * the snapshot's, always current.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "geo/geo.h"
#include "stats/stats.h"
#include "tel/tel.h"

#define TODAY_REFRESH_US 5000000
#define THRESHOLDS_FILE_MAX (256 * 1024)
#define RULES_MAX 64
#define QUEUES_MAX 64
#define CENTER_TZ "Africa/Casablanca"

const struct conf_def api_conf[] = {
    {"supervision.thresholds", CONF_PATH, "", 0, 0,
     "the levels that turn a wallboard tile amber or red (empty: data/supervision/thresholds.json)"},
};
const size_t api_conf_count = sizeof(api_conf) / sizeof(api_conf[0]);

/* ---- thresholds ---- */

enum figure { F_SERVICE_LEVEL, F_ABANDON_RATE, F_LONGEST_WAIT, F_WAITING, FIGURES };
static const struct {
    const char *name;
    bool below; /* bad when below the limit (else above) */
    bool share; /* 0..1 */
} figures[FIGURES] = {
    {"service_level", true, true},
    {"abandon_rate", false, true},
    {"longest_wait_s", false, false},
    {"waiting", false, false},
};

struct limits {
    double amber[FIGURES], red[FIGURES]; /* NAN: none */
};
struct rules {
    int min_offered; /* the day's shares are judged from this many calls on */
    struct limits defaults;
    int n;
    char queue[RULES_MAX][16];
    struct limits q[RULES_MAX];
};

static pthread_mutex_t mx = PTHREAD_MUTEX_INITIALIZER;
static struct rules rules = {.min_offered = 10, .defaults = {{0.8, 0.05, 60, 5}, {0.6, 0.10, 180, 15}}};

static int invalid(const char *where, const char *what)
{
    return err_set(WASL_EINVAL, "data.invalid", "thresholds.json: %s: %s", where, what);
}

/* {"service_level": {"amber": 0.8, "red": 0.6}, ...} over l. */
static int parse_limits(json_t *o, const char *where, struct limits *l)
{
    const char *k;
    json_t *v;
    if (!json_is_object(o))
        return invalid(where, "an object of figures");
    json_object_foreach(o, k, v)
    {
        int f = 0;
        while (f < FIGURES && strcmp(figures[f].name, k))
            f++;
        if (f == FIGURES)
            return invalid(where, "figures are service_level, abandon_rate, longest_wait_s and waiting");
        const char *lk;
        json_t *lv;
        if (!json_is_object(v))
            return invalid(where, "each figure: {\"amber\": n, \"red\": n}");
        json_object_foreach(v, lk, lv)
        {
            bool red = !strcmp(lk, "red");
            if (!red && strcmp(lk, "amber"))
                return invalid(where, "a figure's levels are amber and red");
            if (!json_is_number(lv) && !json_is_null(lv))
                return invalid(where, "a level is a number (or null: none)");
            double x = json_is_null(lv) ? NAN : json_number_value(lv);
            if (!isnan(x) && (x < 0 || (figures[f].share && x > 1) || x > 1e6))
                return invalid(where, "service_level and abandon_rate are shares from 0 to 1; times and counts 0 or more");
            (red ? l->red : l->amber)[f] = x;
        }
        double a = l->amber[f], r = l->red[f];
        if (!isnan(a) && !isnan(r) && (figures[f].below ? r > a : r < a))
            return invalid(where, figures[f].below ? "red must be at or below amber" : "red must be at or above amber");
    }
    return 0;
}

static int parse_rules(json_t *root, struct rules *p)
{
    const char *k;
    json_t *v;
    if (!json_is_object(root))
        return invalid("top", "an object");
    json_object_foreach(root, k, v)
    {
        if (!strcmp(k, "comment"))
            continue;
        if (!strcmp(k, "min_offered")) {
            if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 100000)
                return invalid(k, "a whole number from 0 to 100000");
            p->min_offered = (int)json_integer_value(v);
        } else if (!strcmp(k, "defaults")) {
            int err = parse_limits(v, k, &p->defaults);
            if (err)
                return err;
        } else if (!strcmp(k, "queues")) {
            const char *qk;
            json_t *qv;
            if (!json_is_object(v))
                return invalid(k, "an object of queues (fr, fr.dossier)");
            json_object_foreach(v, qk, qv)
            {
                if (p->n == RULES_MAX)
                    return invalid(k, "at most 64 queues");
                size_t len = strlen(qk);
                if (!len || len >= sizeof(p->queue[0]) || strspn(qk, "abcdefghijklmnopqrstuvwxyz._") != len)
                    return invalid(qk, "a queue's name: fr, fr.dossier");
                snprintf(p->queue[p->n], sizeof(p->queue[0]), "%s", qk);
                p->q[p->n] = p->defaults; /* defaults given after are not seen: they come first */
                int err = parse_limits(qv, qk, &p->q[p->n]);
                if (err)
                    return err;
                p->n++;
            }
        } else {
            return invalid(k, "keys are comment, min_offered, defaults and queues");
        }
    }
    return 0;
}

int api_supervision_parse(const char *text, size_t len)
{
    json_error_t je;
    struct rules p;
    for (int f = 0; f < FIGURES; f++)
        p.defaults.amber[f] = p.defaults.red[f] = NAN;
    p.min_offered = 10;
    p.n = 0;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return err_set(WASL_EINVAL, "data.invalid", "thresholds.json:%d: %s", je.line, je.text);
    /* the defaults first, whatever the order of the keys: queues start from them */
    json_t *d = json_object_get(root, "defaults");
    int err = d ? parse_limits(d, "defaults", &p.defaults) : 0;
    if (!err)
        err = parse_rules(root, &p);
    json_decref(root);
    if (err)
        return err;
    pthread_mutex_lock(&mx);
    rules = p;
    pthread_mutex_unlock(&mx);
    return 0;
}

int api_supervision_load(const char *data_dir)
{
    char path[1100], *text = NULL;
    size_t len = 0;
    const char *set = conf_str("supervision.thresholds");
    if (*set)
        snprintf(path, sizeof(path), "%s", set);
    else
        snprintf(path, sizeof(path), "%s/supervision/thresholds.json", data_dir);
    int err = file_read(path, &text, &len, THRESHOLDS_FILE_MAX);
    if (!err)
        err = api_supervision_parse(text, len);
    free(text);
    return err;
}

static const struct limits *limits_of(const struct rules *p, const char *queue)
{
    for (int i = 0; i < p->n; i++)
        if (!strcmp(p->queue[i], queue))
            return &p->q[i];
    return &p->defaults;
}

/* 0 ok, 1 amber, 2 red; a value below 0 (none) is ok. */
static int level_of(const struct limits *l, enum figure f, double v)
{
    if (v < 0)
        return 0;
    bool below = figures[f].below;
    double r = l->red[f], a = l->amber[f];
    if (!isnan(r) && (below ? v < r : v > r))
        return 2;
    if (!isnan(a) && (below ? v < a : v > a))
        return 1;
    return 0;
}

static const char *const level_names[] = {"ok", "amber", "red"};

static json_t *limits_json(const struct limits *l)
{
    json_t *o = json_object();
    for (int f = 0; f < FIGURES; f++)
        json_object_set_new(o, figures[f].name,
                            json_pack("{s:o, s:o}", "amber", isnan(l->amber[f]) ? json_null() : json_real(l->amber[f]), "red",
                                      isnan(l->red[f]) ? json_null() : json_real(l->red[f])));
    return o;
}

/* ---- today so far ---- */

struct today {
    int64_t from, computed_at; /* wall µs */
    int64_t computed_mono, cost_us;
    struct stats_row *queues, *countries;
    int nqueues, ncountries;
};
static struct today today; /* under mx */

static int rows_copy(const struct stats_report *rep, struct stats_row **out)
{
    const struct stats_row *rows;
    int n = stats_report_rows(rep, &rows);
    *out = n ? malloc((size_t)n * sizeof(**out)) : NULL;
    if (n && !*out)
        return -1;
    if (n)
        memcpy(*out, rows, (size_t)n * sizeof(**out));
    return n;
}

static int day_start(int64_t now, int64_t *from)
{
    const struct tz *z;
    struct tz_local l;
    int64_t midnight;
    int err;
    if ((err = tz_get(CENTER_TZ, &z)) || (err = tz_to_local(z, now / WTIME_SEC, &l)) ||
        (err = tz_from_local(z, l.year, l.month, l.day, 0, 0, 0, &midnight)))
        return err;
    *from = midnight * WTIME_SEC;
    return 0;
}

/* Computes today's figures by queue and by country from the store. */
static int today_compute(struct db *db, struct today *t)
{
    struct stats_threshold th[QUEUES_MAX];
    struct stats_query q = {.by = STATS_BY(SD_QUEUE), .sl_threshold_s = 20, .short_abandon_s = 5, .tz = CENTER_TZ};
    int64_t now = clock_now(), t0 = clock_mono_us();
    int err;
    if ((err = day_start(now, &q.from)))
        return err;
    q.to = now;
    q.nthresholds = api_stats_thresholds(th, QUEUES_MAX);
    q.thresholds = th;
    struct stats_report *rq = NULL, *rc = NULL;
    if ((err = stats_report_from_store(db, &q, now, &rq)))
        return err;
    q.by = STATS_BY(SD_COUNTRY);
    if ((err = stats_report_from_store(db, &q, now, &rc))) {
        stats_report_free(rq);
        return err;
    }
    t->nqueues = rows_copy(rq, &t->queues);
    t->ncountries = rows_copy(rc, &t->countries);
    stats_report_free(rq);
    stats_report_free(rc);
    if (t->nqueues < 0 || t->ncountries < 0) {
        free(t->queues);
        free(t->countries);
        return WASL_ENOMEM;
    }
    t->from = q.from;
    t->computed_at = now;
    t->computed_mono = clock_mono_us();
    t->cost_us = t->computed_mono - t0;
    return 0;
}

/* Today's figures are computed by a thread of their own, never by the
 * thread that asks (the live events' must not wait on a pass over the day):
 * again when they are older than TODAY_REFRESH_US, or ten times what the last
 * computation took (a center of 100,000 calls a day: seconds; it then takes
 * at most a tenth of a core), or a new day began; and only while somebody
 * asked within WANTED_US. The first request waits for the first figures. */
#define WANTED_US 30000000
#define FIRST_WAIT_MS 30000
static struct {
    pthread_t thread;
    bool started, stop;
    struct db *db;
    int64_t wanted, tried; /* mono µs */
} worker;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER; /* with mx: a wish, a result, the stop */

static int64_t refresh_every(void)
{
    int64_t e = 10 * today.cost_us;
    return e > TODAY_REFRESH_US ? e : TODAY_REFRESH_US;
}

/* Under mx. */
static bool fresh(int64_t mono, int64_t now)
{
    int64_t from;
    bool ok = today.computed_mono && mono - today.computed_mono < refresh_every();
    if (ok && !day_start(now, &from) && from != today.from)
        ok = false; /* midnight passed */
    err_clear();
    return ok;
}

static void *worker_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mx);
    while (!worker.stop) {
        int64_t mono = clock_mono_us();
        if (mono - worker.wanted < WANTED_US && !fresh(mono, clock_now()) && mono - worker.tried >= TODAY_REFRESH_US) {
            struct today t = {0};
            worker.tried = mono;
            pthread_mutex_unlock(&mx);
            int err = today_compute(worker.db, &t);
            if (err)
                log_warn("supervision: today's figures not computed: %s", err_message());
            err_clear();
            pthread_mutex_lock(&mx);
            if (!err) {
                free(today.queues);
                free(today.countries);
                today = t;
                worker.tried = 0;
            }
            pthread_cond_broadcast(&cv);
            continue;
        }
        struct timespec until;
        clock_deadline(1000000, &until);
        pthread_cond_timedwait(&cv, &mx, &until);
    }
    pthread_mutex_unlock(&mx);
    return NULL;
}

/* Under mx: wakes (or starts) the thread; the first time, waits for its
 * figures when wait. */
static void today_want(struct db *db, bool wait)
{
    worker.wanted = clock_mono_us();
    if (!worker.started && !worker.stop) {
        worker.db = db;
        if (pthread_create(&worker.thread, NULL, worker_main, NULL)) {
            log_warn("supervision: no thread for today's figures");
            return;
        }
        worker.started = true;
    }
    pthread_cond_broadcast(&cv);
    struct timespec until;
    clock_deadline((int64_t)FIRST_WAIT_MS * 1000, &until);
    while (wait && !today.computed_mono && !worker.stop && worker.started)
        if (pthread_cond_timedwait(&cv, &mx, &until))
            break; /* shown without today's figures */
}

void api_supervision_stop(void)
{
    pthread_mutex_lock(&mx);
    worker.stop = true;
    bool started = worker.started;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mx);
    if (started)
        pthread_join(worker.thread, NULL);
    pthread_mutex_lock(&mx);
    worker.started = false;
    free(today.queues);
    free(today.countries);
    memset(&today, 0, sizeof(today));
    pthread_mutex_unlock(&mx);
}

static const struct stats_row *row_of(const struct stats_row *rows, int n, const char *key)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(rows[i].key, key))
            return &rows[i];
    return NULL;
}

static json_t *share(double v)
{
    return v < 0 ? json_null() : json_real(v);
}

static const char *const agent_states[] = {"available", "ringing", "busy", "wrap_up", "paused"};
#define AGENT_STATES ((int)(sizeof(agent_states) / sizeof(agent_states[0])))

/* Whether agent a takes queue "fr" / "fr.dossier" (the language spoken, the
 * service among theirs); the agents by state of a queue count those who
 * take it, so an agent who takes several is in each. */
static bool takes(const struct tel_agent *a, const char *queue)
{
    char lang[WASL_LANG_CODE_MAX];
    const char *dot = strchr(queue, '.');
    size_t n = dot ? (size_t)(dot - queue) : strlen(queue);
    if (n >= sizeof(lang))
        return false;
    memcpy(lang, queue, n);
    lang[n] = 0;
    int li = language_index(lang);
    if (li < 0 || !a->proficiency[li])
        return false;
    /* "fr" is the plan's first service's queue */
    const char *service = dot ? dot + 1 : tel_plan_services() ? tel_plan_service(0) : NULL;
    if (!service || a->nservices < 0)
        return true;
    for (int i = 0; i < a->nservices; i++)
        if (!strcmp(a->services[i], service))
            return true;
    return false;
}

static void alert(json_t *alerts, const char *queue, enum figure f, int level, double value, const struct limits *l)
{
    if (!level)
        return;
    double lim = level == 2 ? l->red[f] : l->amber[f];
    json_array_append_new(alerts, json_pack("{s:s, s:s, s:s, s:f, s:f}", "queue", queue, "figure", figures[f].name, "level",
                                            level_names[level], "value", value, "limit", lim));
}

static int worst(int a, int b)
{
    return a > b ? a : b;
}

json_t *api_supervision_json(struct db *db, const struct tel_status *s, bool wait)
{
    json_t *queues = json_array(), *countries = json_array(), *agents = json_array(), *alerts = json_array();
    pthread_mutex_lock(&mx);
    today_want(db, wait);
    int64_t mono = clock_mono_us();
    const struct rules *p = &rules;
    for (int i = 0; i < s->nqueues; i++) {
        const struct tel_queue_live *q = &s->queues[i];
        const struct limits *l = limits_of(p, q->name);
        const struct stats_row *r = row_of(today.queues, today.nqueues, q->name);
        struct stats_row none = {0};
        if (!r)
            r = &none;
        int64_t longest = q->oldest_since ? (mono - q->oldest_since) / 1000000 : 0;
        int by_state[AGENT_STATES] = {0};
        for (int k = 0; k < s->nagents; k++) {
            const struct tel_agent *a = &s->agents[k];
            if (!a->in_acd || !takes(a, q->name))
                continue;
            for (int x = 0; x < AGENT_STATES; x++)
                if (!strcmp(a->state, agent_states[x]))
                    by_state[x]++;
        }
        json_t *st = json_object();
        for (int x = 0; x < AGENT_STATES; x++)
            json_object_set_new(st, agent_states[x], json_integer(by_state[x]));
        /* the day's shares are judged once enough calls were counted */
        double sl = stats_sl_offered(r), ab = stats_abandon_rate(r);
        bool judged = r->offered - r->short_abandons - r->waiting >= p->min_offered;
        int lv[FIGURES] = {judged ? level_of(l, F_SERVICE_LEVEL, sl) : 0, judged ? level_of(l, F_ABANDON_RATE, ab) : 0,
                           level_of(l, F_LONGEST_WAIT, (double)longest), level_of(l, F_WAITING, q->waiting)};
        double val[FIGURES] = {sl, ab, (double)longest, q->waiting};
        json_t *lvj = json_object();
        int w = 0;
        for (int f = 0; f < FIGURES; f++) {
            alert(alerts, q->name, (enum figure)f, lv[f], val[f], l);
            json_object_set_new(lvj, figures[f].name, json_string(level_names[lv[f]]));
            w = worst(w, lv[f]);
        }
        json_t *o = json_pack("{s:s, s:i, s:I, s:o, s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:s, s:o}", "queue", q->name, "waiting",
                              q->waiting, "longest_wait_s", (json_int_t)longest, "agents", st, "offered", (json_int_t)r->offered,
                              "answered", (json_int_t)r->answered, "answered_within", (json_int_t)r->answered_within, "abandoned",
                              (json_int_t)r->abandoned, "service_level", share(sl), "abandon_rate", share(ab), "asa_s",
                              share(stats_asa_s(r)), "level", level_names[w], "levels", lvj);
        /* "fr" is the plan's first service's queue */
        const char *dot = strchr(q->name, '.');
        json_object_set_new(o, "language", json_stringn(q->name, dot ? (size_t)(dot - q->name) : strlen(q->name)));
        json_object_set_new(o, "service", json_string(dot ? dot + 1 : tel_plan_services() ? tel_plan_service(0) : ""));
        json_array_append_new(queues, o);
    }
    for (int i = 0; i < today.ncountries; i++) {
        const struct stats_row *r = &today.countries[i];
        json_array_append_new(countries, json_pack("{s:s?, s:I, s:I, s:I}", "country", r->key[0] ? r->key : NULL, "calls",
                                                   (json_int_t)r->offered, "answered", (json_int_t)r->answered, "abandoned",
                                                   (json_int_t)r->abandoned));
    }
    json_t *th =
        json_pack("{s:i, s:o, s:o}", "min_offered", p->min_offered, "defaults", limits_json(&p->defaults), "queues", json_object());
    for (int i = 0; i < p->n; i++)
        json_object_set_new(json_object_get(th, "queues"), p->queue[i], limits_json(&p->q[i]));
    json_t *day = json_pack("{s:o, s:o, s:s, s:f, s:I}", "from", api_time(today.from), "computed_at", api_time(today.computed_at),
                            "time_zone", CENTER_TZ, "cost_ms", (double)today.cost_us / 1000.0, "refresh_seconds",
                            (json_int_t)(refresh_every() / 1000000));
    pthread_mutex_unlock(&mx);

    /* each agent: state and time in it, named for the supervisors */
    struct user_brief *names = s->nagents ? calloc((size_t)s->nagents, sizeof(*names)) : NULL;
    int n = 0;
    for (int i = 0; names && i < s->nagents; i++)
        if (s->agents[i].in_acd)
            names[n++].id = s->agents[i].user_id;
    if (names && n && user_briefs(db, names, n)) {
        free(names);
        names = NULL;
        n = 0;
    }
    err_clear();
    for (int i = 0; i < s->nagents; i++) {
        const struct tel_agent *a = &s->agents[i];
        if (!a->in_acd)
            continue;
        const char *name = NULL;
        for (int k = 0; k < n && !name; k++)
            if (names[k].id == a->user_id && names[k].display_name[0])
                name = names[k].display_name;
        json_array_append_new(agents,
                              json_pack("{s:I, s:s?, s:s, s:s?, s:I, s:I}", "user_id", (json_int_t)a->user_id, "display_name", name,
                                        "state", a->state, "reason", a->reason[0] ? a->reason : NULL, "since_seconds",
                                        (json_int_t)(a->since ? (mono - a->since) / 1000000 : 0), "call", (json_int_t)a->call));
    }
    free(names);
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "at", api_time(clock_now()), "today", day, "queues", queues,
                     "countries", countries, "agents", agents, "alerts", alerts, "thresholds", th);
}

int api_supervision_live(struct http_req *r)
{
    const struct tel_status *s;
    int err = tel_status_get(&s);
    if (err)
        return err;
    json_t *j = api_supervision_json(APP(r)->db, s, true);
    tel_status_put(s);
    return http_reply_json(r, 200, j);
}
