/*
 * The live events of the telephony: GET /api/v1/stream, and the thread that
 * turns each new snapshot of the telephony into events. An agent's stream
 * carries their own state (event "agent", the JSON of GET /api/v1/me/phone);
 * a supervisor's and an administrator's also the live figures (event
 * "status", the JSON of GET /api/v1/tel/status), and when asked
 * (?topics=supervision: the wallboard) the supervision figures (event
 * "supervision", the JSON of GET /api/v1/supervision/live).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "tel/tel.h"

/* The status is sent again this often even without a change, so that the
 * waiting times and durations on the supervisors' screens move on. */
#define STATUS_REFRESH_US 5000000
/* The supervision figures (a larger event) go out at most this often. */
#define SUPERVISION_MIN_US 1000000
/* How long the thread waits for a snapshot before it checks for the
 * refresh and for stop. */
#define WAIT_MS 500

static struct {
    pthread_t thread;
    bool started;
    atomic_bool stop;
    struct db *db;
} live;

static void agent_topic(int64_t user_id, char *out, size_t n)
{
    snprintf(out, n, "agent:%lld", (long long)user_id);
}

static char *dump(json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return s;
}

/* An agent's entry of a snapshot as GET /api/v1/me/phone shows it. */
static char *agent_text(const struct tel_agent *a, int64_t now)
{
    struct tel_agent x = *a;
    x.since_seconds = a->since ? (now - a->since) / 1000000 : 0;
    return dump(api_tel_agent_json(&x));
}

static void publish(const char *topic, const char *event, char *text)
{
    if (text && http_sse_publish(topic, event, text))
        log_warn("live: %s event not published: %s", event, err_message());
    free(text);
}

/* Events for the agents whose entry changed between prev and s (both
 * sorted by user id), and for those who left the snapshot. */
static void agents_changed(const struct tel_status *prev, const struct tel_status *s, int64_t now)
{
    char topic[HTTP_TOPIC_MAX];
    int i = 0, k = 0, np = prev ? prev->nagents : 0;
    while (i < s->nagents || k < np) {
        const struct tel_agent *a = i < s->nagents ? &s->agents[i] : NULL, *b = k < np ? &prev->agents[k] : NULL;
        if (a && b && a->user_id == b->user_id) {
            i++, k++;
            if (!memcmp(a, b, sizeof(*a)))
                continue;
        } else if (a && (!b || a->user_id < b->user_id)) {
            i++;
        } else {
            /* gone from the snapshot (the account was removed): offline */
            struct tel_agent off = {.user_id = b->user_id};
            k++;
            snprintf(off.state, sizeof(off.state), "offline");
            agent_topic(off.user_id, topic, sizeof(topic));
            if (http_sse_wanted(topic))
                publish(topic, "agent", agent_text(&off, now));
            continue;
        }
        agent_topic(a->user_id, topic, sizeof(topic));
        if (http_sse_wanted(topic))
            publish(topic, "agent", agent_text(a, now));
    }
}

static void *live_main(void *arg)
{
    const struct tel_status *prev = NULL;
    int64_t last_status = 0, last_supervision = 0;
    bool supervision_due = false;
    (void)arg;
    while (!atomic_load(&live.stop)) {
        const struct tel_status *s = NULL;
        int err = tel_status_wait(prev ? prev->version : 0, WAIT_MS, &s);
        int64_t now = clock_mono_us();
        if (err && err != WASL_EBUSY)
            break; /* the telephony stopped */
        err_clear();
        if (s)
            agents_changed(prev, s, now);
        const struct tel_status *cur = s ? s : prev;
        if (cur && (s || now - last_status >= STATUS_REFRESH_US) && http_sse_wanted("status")) {
            publish("status", "status", dump(api_tel_status_json(live.db, cur)));
            last_status = now;
        }
        /* the wallboard's figures: at most once a second (a burst of
         * snapshots is one event), and every 5 s for the clocks */
        supervision_due |= s != NULL;
        if (cur &&
            ((supervision_due && now - last_supervision >= SUPERVISION_MIN_US) || now - last_supervision >= STATUS_REFRESH_US) &&
            http_sse_wanted("supervision")) {
            publish("supervision", "supervision", dump(api_supervision_json(live.db, cur, false)));
            last_supervision = now;
            supervision_due = false;
        }
        if (s) {
            if (prev)
                tel_status_put(prev);
            prev = s;
        }
    }
    if (prev)
        tel_status_put(prev);
    return NULL;
}

int api_live_start(struct db *db)
{
    if (!tel_running())
        return 0;
    live.db = db;
    atomic_store(&live.stop, false);
    if (pthread_create(&live.thread, NULL, live_main, NULL))
        return err_set(WASL_EINTERNAL, "live.thread", "cannot start the thread of the live events");
    live.started = true;
    return 0;
}

void api_live_stop(void)
{
    if (!live.started)
        return;
    atomic_store(&live.stop, true);
    pthread_join(live.thread, NULL);
    live.started = false;
    api_supervision_stop();
}

/* ---- GET /api/v1/stream ---- */

struct first_arg {
    struct db *db;
    int64_t user_id;
};

static char *first_agent(void *arg)
{
    const struct first_arg *f = arg;
    struct tel_agent a;
    return tel_agent_get(f->user_id, &a) ? NULL : dump(api_tel_agent_json(&a));
}

static char *first_status(void *arg)
{
    const struct first_arg *f = arg;
    const struct tel_status *s;
    if (tel_status_get(&s))
        return NULL;
    char *text = dump(api_tel_status_json(f->db, s));
    tel_status_put(s);
    return text;
}

static char *first_supervision(void *arg)
{
    const struct first_arg *f = arg;
    const struct tel_status *s;
    if (tel_status_get(&s))
        return NULL;
    char *text = dump(api_supervision_json(f->db, s, true));
    tel_status_put(s);
    return text;
}

int api_stream(struct http_req *r)
{
    struct first_arg f = {APP(r)->db, r->session.user.id};
    char topic[HTTP_TOPIC_MAX];
    struct http_stream_topic t[3] = {{topic, "agent", first_agent, &f}, {"status", "status", first_status, &f}};
    const struct tel_status *s;
    const char *topics = http_query(r, "topics");
    bool sup = r->session.user.role & (ROLE_SUPERVISOR | ROLE_ADMIN);
    int n = sup ? 2 : 1, err;

    /* the wallboard's figures, for supervisors who ask for them */
    if (topics && strcmp(topics, "supervision"))
        return err_set_field(WASL_EINVAL, "stream.invalid_topics", "topics", "topics: supervision, or none");
    if (topics && !sup)
        return err_set(WASL_EPERM, "auth.forbidden", "the supervision figures are for supervisors");
    if (topics)
        t[n++] = (struct http_stream_topic){"supervision", "supervision", first_supervision, &f};

    /* With the telephony off there is nothing to stream: the same answer
     * as the other live routes. */
    if ((err = tel_status_get(&s)))
        return err;
    tel_status_put(s);
    agent_topic(r->session.user.id, topic, sizeof(topic));
    return http_reply_stream(r, t, n);
}
