/*
 * Coaching sessions in the store: planning (agent, date, topic, reviews and
 * scorecard period it is about, goals), recording a session done (notes
 * sealed at rest like a case's personal data, the follow-up date), the
 * agent's acknowledgement, the listen/whisper sessions attached, and the
 * follow-up: each measurable goal checked against the figures of the period
 * since. Owns coaching_sessions and coaching_supervisions; reads the event
 * log's call.supervised rows and the quality reviews, as the statistics do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "coach.h"
#include "cases/cases.h"

static bool supervisor(const struct actor *who)
{
    return (who->role & (ROLE_SUPERVISOR | ROLE_ADMIN)) != 0;
}

static bool text_ok(const char *s, size_t max)
{
    return !s || (strlen(s) <= max && utf8_valid(s, strlen(s)));
}

/* goals [{"text", "target"}] checked and normalized into *text (to free) */
static int goals_parse(const json_t *in, char **text)
{
    json_t *out = json_array(), *g;
    size_t i;
    int err = 0;
    char field[32];
    *text = NULL;
    if (in && (!json_is_array(in) || json_array_size(in) > COACH_GOALS_MAX))
        err = err_set_field(WASL_EINVAL, "coach.invalid_goal", "goals", "at most %d goals", COACH_GOALS_MAX);
    json_array_foreach(in, i, g)
    {
        if (err)
            break;
        snprintf(field, sizeof(field), "goals[%zu]", i);
        const char *t = json_string_value(json_object_get(g, "text")), *x = json_string_value(json_object_get(g, "target"));
        struct coach_goal goal;
        t = t && *t ? t : NULL;
        x = x && *x ? x : NULL;
        if (!json_is_object(g) || json_object_size(g) > 2 || (!t && !x))
            err = err_set_field(WASL_EINVAL, "coach.invalid_goal", field, "a goal is {\"text\": ..., \"target\": \"aht <= 300\"}");
        else if (!text_ok(t, COACH_TEXT_MAX))
            err = err_set_field(WASL_EINVAL, "coach.invalid_goal", field, "a goal's text is at most %d bytes", COACH_TEXT_MAX);
        else if (x && (err = coach_goal_parse(x, strlen(x), &goal)))
            err_set_field(err, "coach.invalid_goal", field, "%s", err_message());
        else
            json_array_append_new(out, json_pack("{s:s?, s:s?}", "text", t, "target", x));
    }
    if (!err && !(*text = json_dumps(out, JSON_COMPACT)))
        err = WASL_ENOMEM;
    json_decref(out);
    return err;
}

struct plan {
    const struct actor *who;
    const struct coach_plan *p;
    const char *goals, *reviews;
    int64_t id;
};

static int plan_h(struct db_conn *c, void *arg)
{
    struct plan *pl = arg;
    const struct coach_plan *p = pl->p;
    struct user u;
    int err = user_get_conn(c, p->agent, &u);
    if (err == WASL_ENOENT || (!err && (!(u.role & ROLE_AGENT) || u.disabled)))
        return err_set_field(WASL_EINVAL, "coach.invalid_agent", "agent", "no agent %lld", (long long)p->agent);
    if (err)
        return err;
    for (int i = 0; i < p->nreviews; i++) {
        int64_t agent = 0;
        if ((err = db_query_int(c, &agent, "SELECT agent_user FROM quality_reviews WHERE id = ? AND calibration = 0",
                                DBP(DB_I(p->reviews[i])))) == WASL_ENOENT ||
            (!err && agent != p->agent))
            return err_set_field(WASL_EINVAL, "coach.invalid_review", "reviews", "review %lld is not a review of this agent",
                                 (long long)p->reviews[i]);
        if (err)
            return err;
    }
    int64_t now = clock_now();
    if ((err = db_query_int(c, &pl->id,
                            "INSERT INTO coaching_sessions (agent_user, supervisor_user, planned_at, topic, reviews, period_from, "
                            "period_to, goals, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'planned', ?, ?) "
                            "RETURNING id",
                            DBP(DB_I(p->agent), DB_I(pl->who->user_id), DB_I(p->planned_at), DB_S(p->topic), DB_S(pl->reviews),
                                DB_I(p->period_from), DB_I(p->period_to), DB_S(pl->goals), DB_I(now), DB_I(now)))))
        return err;
    char object[40], detail[80];
    snprintf(object, sizeof(object), "coaching:%lld", (long long)pl->id);
    snprintf(detail, sizeof(detail), "agent %lld, %d review(s)", (long long)p->agent, p->nreviews);
    return audit_append(c, pl->who, "coaching.planned", object, detail);
}

int coach_plan(struct db *db, const struct actor *who, const struct coach_plan *p, int64_t *id)
{
    char *goals = NULL, *reviews = NULL;
    int err;
    if (!p->topic || !*p->topic || !text_ok(p->topic, COACH_TOPIC_MAX))
        return err_set_field(WASL_EINVAL, "coach.invalid_topic", "topic", "a topic of 1 to %d bytes", COACH_TOPIC_MAX);
    if (p->planned_at <= 0)
        return err_set_field(WASL_EINVAL, "coach.invalid_date", "planned_at", "when the session takes place");
    if ((p->period_from || p->period_to) &&
        (p->period_to <= p->period_from || p->period_to - p->period_from > 93 * 86400 * WTIME_SEC))
        return err_set_field(WASL_EINVAL, "coach.invalid_period", "period_to", "a scorecard period of at most 93 days");
    if (p->nreviews > COACH_REVIEWS_MAX)
        return err_set_field(WASL_EINVAL, "coach.invalid_review", "reviews", "at most %d reviews", COACH_REVIEWS_MAX);
    if ((err = goals_parse(p->goals, &goals)))
        return err;
    json_t *r = json_array();
    for (int i = 0; i < p->nreviews; i++)
        json_array_append_new(r, json_integer(p->reviews[i]));
    reviews = json_dumps(r, JSON_COMPACT);
    json_decref(r);
    struct plan pl = {who, p, goals, reviews, 0};
    if (!reviews)
        err = WASL_ENOMEM;
    else if (!(err = db_tx(db, plan_h, &pl)))
        *id = pl.id;
    free(goals);
    free(reviews);
    return err;
}

/* ---- done, acknowledged, attached ---- */

struct change {
    const struct actor *who;
    int64_t id;
    int64_t agent, planned, acked; /* the session's, read by session_read() */
    bool done;
    const unsigned char *notes, *private_notes;
    size_t nnotes, nprivate;
    int64_t follow_up, event;
    const char *comment;
};

/* The session's agent, state and times into x, or coach.not_found (an
 * agent's view: another's session does not exist). */
static int session_read(struct db_conn *c, struct change *x)
{
    struct db_stmt *s;
    bool found = false;
    int err = db_query(c, &s, "SELECT agent_user, state, planned_at, acknowledged_at FROM coaching_sessions WHERE id = ?",
                       DBP(DB_I(x->id)));
    if (!err && db_next(s)) {
        found = true;
        x->agent = db_int(s, 0);
        x->done = !strcmp(db_text(s, 1), "done");
        x->planned = db_int(s, 2);
        x->acked = db_int(s, 3);
    }
    int end = db_end(s);
    if (err || (err = end))
        return err;
    if (!found || (!supervisor(x->who) && x->agent != x->who->user_id))
        return err_set(WASL_ENOENT, "coach.not_found", "no coaching session %lld", (long long)x->id);
    return 0;
}

static int audit_session(struct db_conn *c, const struct actor *who, const char *action, int64_t id, const char *detail)
{
    char object[40];
    snprintf(object, sizeof(object), "coaching:%lld", (long long)id);
    return audit_append(c, who, action, object, detail);
}

static int done_h(struct db_conn *c, void *arg)
{
    struct change *x = arg;
    int err = session_read(c, x);
    if (err)
        return err;
    if (x->done)
        return err_set(WASL_ECONFLICT, "coach.already_done", "this session was recorded done already");
    int64_t now = clock_now(), at = x->planned < now ? x->planned : now;
    if (x->follow_up <= at || x->follow_up > at + COACH_FOLLOW_UP_MAX_DAYS * 86400 * WTIME_SEC)
        return err_set_field(WASL_EINVAL, "coach.invalid_date", "follow_up_at", "a follow-up after the session, within %d days",
                             COACH_FOLLOW_UP_MAX_DAYS);
    if ((err = db_exec(
             c,
             "UPDATE coaching_sessions SET state = 'done', done_at = ?, notes_enc = ?, private_enc = ?, follow_up_at = ?, "
             "updated_at = ? WHERE id = ?",
             DBP(DB_I(at), x->notes ? DB_B(x->notes, x->nnotes) : DB_NULL,
                 x->private_notes ? DB_B(x->private_notes, x->nprivate) : DB_NULL, DB_I(x->follow_up), DB_I(now), DB_I(x->id)))))
        return err;
    return audit_session(c, x->who, "coaching.done", x->id, x->private_notes ? "with private notes" : NULL);
}

int coach_done(struct db *db, const struct actor *who, int64_t id, const char *notes, const char *private_notes,
               int64_t follow_up_at)
{
    struct change x = {.who = who, .id = id, .follow_up = follow_up_at};
    unsigned char *a = NULL, *b = NULL;
    int err = 0;
    if (!text_ok(notes, COACH_NOTES_MAX) || !text_ok(private_notes, COACH_NOTES_MAX))
        return err_set_field(WASL_EINVAL, "coach.invalid_notes",
                             notes && !text_ok(notes, COACH_NOTES_MAX) ? "notes" : "private_notes", "at most %d bytes of text",
                             COACH_NOTES_MAX);
    /* the notes may name people and what they said: sealed like a case's */
    if (notes && *notes && (err = personal_seal(notes, &a, &x.nnotes)))
        goto out;
    if (private_notes && *private_notes && (err = personal_seal(private_notes, &b, &x.nprivate)))
        goto out;
    x.notes = a;
    x.private_notes = b;
    err = db_tx(db, done_h, &x);
out:
    free(a);
    free(b);
    return err;
}

static int ack_h(struct db_conn *c, void *arg)
{
    struct change *x = arg;
    int err = session_read(c, x);
    if (err)
        return err;
    if (x->agent != x->who->user_id)
        return err_set(WASL_EPERM, "coach.not_yours", "only the coached agent acknowledges a session");
    if (!x->done)
        return err_set(WASL_ECONFLICT, "coach.not_done", "the session has not taken place yet");
    if (x->acked)
        return err_set(WASL_ECONFLICT, "coach.already_acknowledged", "you acknowledged this session already");
    if ((err = db_exec(c, "UPDATE coaching_sessions SET acknowledged_at = ?, agent_comment = ? WHERE id = ?",
                       DBP(DB_I(clock_now()), DB_S(x->comment && *x->comment ? x->comment : NULL), DB_I(x->id)))))
        return err;
    return audit_session(c, x->who, "coaching.acknowledged", x->id, x->comment && *x->comment ? "with a comment" : NULL);
}

int coach_acknowledge(struct db *db, const struct actor *who, int64_t id, const char *comment)
{
    if (!text_ok(comment, COACH_NOTES_MAX))
        return err_set_field(WASL_EINVAL, "coach.invalid_notes", "comment", "at most %d bytes of text", COACH_NOTES_MAX);
    struct change x = {.who = who, .id = id, .comment = comment};
    return db_tx(db, ack_h, &x);
}

static int attach_h(struct db_conn *c, void *arg)
{
    struct change *x = arg;
    int64_t n = 0;
    struct db_stmt *s;
    int err = session_read(c, x);
    if (err)
        return err;
    /* the start of a listen/whisper/barge session on this agent's call */
    if ((err = db_query(c, &s, "SELECT agent, data FROM events WHERE id = ? AND kind = 'call.supervised'", DBP(DB_I(x->event)))))
        return err;
    bool ok = false;
    if (db_next(s) && db_int(s, 0) == x->agent) {
        json_t *d = json_loads(db_text(s, 1), 0, NULL);
        ok = !strcmp(json_string_value(json_object_get(d, "change")) ?: "", "joined");
        json_decref(d);
    }
    if ((err = db_end(s)))
        return err;
    if (!ok)
        return err_set_field(WASL_EINVAL, "coach.invalid_supervision", "event",
                             "event %lld is not the start of a supervision of this agent's call", (long long)x->event);
    if ((err = db_query_int(c, &n, "SELECT COUNT(*) FROM coaching_supervisions WHERE event_id = ?", DBP(DB_I(x->event)))))
        return err;
    if (n)
        return err_set(WASL_ECONFLICT, "coach.already_attached", "this supervision is attached to a session already");
    if ((err = db_exec(c, "INSERT INTO coaching_supervisions (session_id, event_id, attached_by, attached_at) VALUES (?, ?, ?, ?)",
                       DBP(DB_I(x->id), DB_I(x->event), DB_I(x->who->user_id), DB_I(clock_now())))))
        return err;
    char detail[40];
    snprintf(detail, sizeof(detail), "event %lld", (long long)x->event);
    return audit_session(c, x->who, "coaching.supervision_attached", x->id, detail);
}

int coach_attach(struct db *db, const struct actor *who, int64_t id, int64_t event_id)
{
    struct change x = {.who = who, .id = id, .event = event_id};
    return db_tx(db, attach_h, &x);
}

/* ---- reading ---- */

static json_t *unsealed(struct db_stmt *s, int col)
{
    size_t n = 0;
    const void *b = db_is_null(s, col) ? NULL : db_blob(s, col, &n);
    char *plain = NULL;
    if (!b || !n)
        return json_null();
    if (personal_unseal(b, n, &plain) || !plain) {
        err_clear();
        return json_string("");
    }
    json_t *o = json_string(plain);
    free(plain);
    return o;
}

/* goals as stored, each with its metric, comparison and threshold */
static json_t *goals_json(const char *text)
{
    json_t *a = json_loads(text, 0, NULL), *g;
    size_t i;
    json_array_foreach(a, i, g)
    {
        const char *x = json_string_value(json_object_get(g, "target"));
        struct coach_goal goal;
        if (x && !coach_goal_parse(x, strlen(x), &goal)) {
            json_object_set_new(g, "metric", json_string(coach_metric_names[goal.metric]));
            json_object_set_new(g, "op", json_string(coach_op_names[goal.op]));
            json_object_set_new(g, "threshold", json_real(goal.target));
        }
        err_clear();
    }
    return json_is_array(a) ? a : (json_decref(a), json_array());
}

#define SESSION_COLUMNS                                                                                                            \
    "id, agent_user, supervisor_user, planned_at, topic, reviews, period_from, period_to, goals, state, done_at, notes_enc, "      \
    "private_enc, follow_up_at, agent_comment, acknowledged_at, created_at FROM coaching_sessions "

struct rows {
    struct db *db;
    const struct actor *who;
    json_t *items;
};

static int session_row(struct db_stmt *s, void *arg)
{
    struct rows *l = arg;
    json_t *reviews = json_loads(db_text(s, 5), 0, NULL);
    int64_t pf = db_int(s, 6), pt = db_int(s, 7);
    json_t *o =
        json_pack("{s:I, s:o, s:o, s:o, s:s, s:o, s:o, s:o, s:s, s:o, s:o, s:o, s:s?, s:o, s:o}", "id", (json_int_t)db_int(s, 0),
                  "agent", user_ref_json(l->db, db_int(s, 1)), "supervisor", user_ref_json(l->db, db_int(s, 2)), "planned_at",
                  json_utc_time(db_int(s, 3)), "topic", db_text(s, 4), "reviews", reviews ? reviews : json_array(), "period",
                  pt ? json_pack("{s:o, s:o}", "from", json_utc_time(pf), "to", json_utc_time(pt)) : json_null(), "goals",
                  goals_json(db_text(s, 8)), "state", db_text(s, 9), "done_at", json_utc_time(db_int(s, 10)), "notes",
                  unsealed(s, 11), "follow_up_at", json_utc_time(db_int(s, 13)), "agent_comment", db_text(s, 14), "acknowledged_at",
                  json_utc_time(db_int(s, 15)), "created_at", json_utc_time(db_int(s, 16)));
    /* private notes: the supervisors' only */
    if (supervisor(l->who))
        json_object_set_new(o, "private_notes", unsealed(s, 12));
    return json_array_append_new(l->items, o) ? WASL_ENOMEM : 0;
}

int coach_list(struct db *db, const struct actor *who, int64_t agent, int limit, json_t **out)
{
    struct rows l = {db, who, json_array()};
    *out = NULL;
    if (!supervisor(who)) {
        if (agent && agent != who->user_id) {
            json_decref(l.items);
            return err_set(WASL_EPERM, "coach.forbidden", "an agent sees their own coaching only");
        }
        agent = who->user_id;
    }
    int err = db_each(db, "SELECT " SESSION_COLUMNS "WHERE (? = 0 OR agent_user = ?) ORDER BY planned_at DESC, id DESC LIMIT ?",
                      DBP(DB_I(agent), DB_I(agent), DB_I(limit)), session_row, &l);
    if (err)
        json_decref(l.items);
    else
        *out = l.items;
    return err;
}

/* The follow-up: each measurable goal against the figures from the session
 * to its follow-up date (until now when that is still ahead). */
static int follow_up(struct db *db, json_t *o, int64_t agent, int64_t now)
{
    struct coach_figures f;
    int64_t from = 0, to = 0;
    clock_parse_utc(json_string_value(json_object_get(o, "done_at")) ?: "", &from);
    clock_parse_utc(json_string_value(json_object_get(o, "follow_up_at")) ?: "", &to);
    err_clear();
    if (!from || !to)
        return 0;
    int64_t end = to < now ? to : now;
    if (end <= from)
        return 0;
    int err = coach_figures(db, agent, from, end, now, &f);
    if (err)
        return err;
    json_t *g;
    size_t i;
    json_array_foreach(json_object_get(o, "goals"), i, g)
    {
        const char *x = json_string_value(json_object_get(g, "target"));
        struct coach_goal goal;
        double v;
        if (!x || coach_goal_parse(x, strlen(x), &goal)) {
            err_clear();
            continue;
        }
        bool has = coach_figure_value(&f, goal.metric, &v);
        json_object_set_new(g, "value", has ? json_real(v) : json_null());
        json_object_set_new(g, "met", has ? json_boolean(coach_goal_met(&goal, v)) : json_null());
    }
    json_object_set_new(o, "follow_up", json_pack("{s:o, s:b}", "figures", coach_figures_json(&f), "complete", now >= to));
    return 0;
}

static int attached_row(struct db_stmt *s, void *arg)
{
    json_t *a = arg;
    json_t *d = json_loads(db_text(s, 3), 0, NULL);
    json_t *o = json_pack("{s:I, s:I, s:o, s:s, s:O}", "event", (json_int_t)db_int(s, 0), "call", (json_int_t)db_int(s, 1), "at",
                          json_utc_time(db_int(s, 2)), "mode", json_string_value(json_object_get(d, "mode")) ?: "", "supervisor",
                          json_object_get(d, "supervisor") ?: json_null());
    json_decref(d);
    return json_array_append_new(a, o) ? WASL_ENOMEM : 0;
}

int coach_get(struct db *db, const struct actor *who, int64_t id, int64_t now, json_t **out)
{
    struct rows l = {db, who, json_array()};
    json_t *o = NULL;
    *out = NULL;
    int err = db_each(db, "SELECT " SESSION_COLUMNS "WHERE id = ? AND (? = 1 OR agent_user = ?)",
                      DBP(DB_I(id), DB_I(supervisor(who)), DB_I(who->user_id)), session_row, &l);
    if (!err && !json_array_size(l.items))
        err = err_set(WASL_ENOENT, "coach.not_found", "no coaching session %lld", (long long)id);
    if (!err) {
        o = json_incref(json_array_get(l.items, 0));
        json_t *sup = json_array();
        json_object_set_new(o, "supervisions", sup);
        if (!(err = db_each(db,
                            "SELECT e.id, e.call_id, e.at, e.data FROM coaching_supervisions x JOIN events e ON e.id = x.event_id "
                            "WHERE x.session_id = ? ORDER BY e.at",
                            DBP(DB_I(id)), attached_row, sup)))
            err = follow_up(db, o, json_integer_value(json_object_get(json_object_get(o, "agent"), "id")), now);
    }
    json_decref(l.items);
    if (err)
        json_decref(o);
    else
        *out = o;
    return err;
}

/* ---- supervisions of an agent's calls ---- */

#define SUPERVISIONS_MAX 500

static int supervision_row(struct db_stmt *s, void *arg)
{
    json_t *items = arg, *x, *last = NULL;
    json_t *d = json_loads(db_text(s, 3), 0, NULL);
    const char *mode = json_string_value(json_object_get(d, "mode")) ?: "",
               *change = json_string_value(json_object_get(d, "change")) ?: "";
    json_int_t who = json_integer_value(json_object_get(d, "supervisor")), call = db_int(s, 1);
    size_t i;
    /* the open session of this supervisor on this call */
    json_array_foreach(items, i, x)
    {
        if (json_integer_value(json_object_get(x, "call")) == call && json_integer_value(json_object_get(x, "supervisor")) == who &&
            json_is_null(json_object_get(x, "ended_at")))
            last = x;
    }
    int err = 0;
    if (!strcmp(change, "joined") && json_array_size(items) < SUPERVISIONS_MAX) {
        last = json_pack("{s:I, s:I, s:I, s:o, s:o, s:[s], s:I}", "event", (json_int_t)db_int(s, 0), "call", call, "supervisor",
                         who, "at", json_utc_time(db_int(s, 2)), "ended_at", json_null(), "modes", mode, "session",
                         (json_int_t)db_int(s, 4));
        err = json_array_append_new(items, last) ? WASL_ENOMEM : 0;
    } else if (last && !strcmp(mode, "off"))
        json_object_set_new(last, "ended_at", json_utc_time(db_int(s, 2)));
    else if (last) {
        json_t *modes = json_object_get(last, "modes"), *m;
        bool seen = false;
        json_array_foreach(modes, i, m) seen |= !strcmp(json_string_value(m), mode);
        if (!seen && *mode)
            json_array_append_new(modes, json_string(mode));
    }
    json_decref(d);
    return err;
}

int coach_supervisions(struct db *db, int64_t agent, int64_t from, int64_t to, json_t **out)
{
    json_t *items = json_array();
    *out = NULL;
    int err =
        db_each(db,
                "SELECT e.id, e.call_id, e.at, e.data, COALESCE((SELECT x.session_id FROM coaching_supervisions x WHERE "
                "x.event_id = e.id), 0) FROM events e WHERE e.kind = 'call.supervised' AND e.agent = ? AND e.at >= ? AND e.at < ? "
                "ORDER BY e.at, e.id",
                DBP(DB_I(agent), DB_I(from), DB_I(to)), supervision_row, items);
    if (err)
        json_decref(items);
    else
        *out = items;
    return err;
}

/* ---- personal data: the notes are sealed with the key and follow its rotation ---- */

static int no_export(struct db *db, const char *idx, json_t *out)
{
    (void)db, (void)idx, (void)out;
    return 0; /* notes are about agents, never found by a citizen's phone */
}

static int no_erase(struct db_conn *c, const char *idx, int64_t *n)
{
    (void)c, (void)idx;
    *n = 0;
    return 0;
}

static const struct personal_store store = {
    "coaching_notes", "coaching_sessions", "id", {"notes_enc", "private_enc"}, 2, no_export, no_erase,
};

int coach_privacy_register(void)
{
    return personal_store_add(&store);
}
