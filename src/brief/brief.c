/*
 * Briefings in the store: created in the transaction that publishes an
 * amendment (the guide's publication hook), superseding the agent's older
 * pending briefing of the same article and language; read by the agent's
 * desk and the supervisors; acknowledged with answers (audited).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brief_int.h"
#include "diff/diff.h"
#include "guide/guide.h"
#include "tel/tel.h"

/* ---- the diff of two versions, field by field ---- */

static int seg_h(char op, const char *text, size_t len, void *arg)
{
    char o[2] = {op, 0};
    return json_array_append_new(arg, json_pack("[s, s%]", o, text, len)) ? WASL_ENOMEM : 0;
}

static char *list_text(char **items, int n)
{
    struct sbuf b;
    sbuf_init(&b, GUIDE_BODY_MAX);
    for (int i = 0; i < n; i++) {
        sbuf_adds(&b, "- ");
        sbuf_adds(&b, items[i]);
        sbuf_adds(&b, "\n");
    }
    return b.oom ? (sbuf_release(&b), NULL) : sbuf_take(&b);
}

static char *fees_text(const struct guide_version *v)
{
    struct sbuf b;
    char line[64];
    sbuf_init(&b, GUIDE_BODY_MAX);
    for (int i = 0; i < v->nfees; i++) {
        snprintf(line, sizeof(line), "%g %s: ", v->fees[i].amount, v->fees[i].currency);
        sbuf_adds(&b, line);
        sbuf_adds(&b, v->fees[i].label);
        sbuf_adds(&b, "\n");
    }
    return b.oom ? (sbuf_release(&b), NULL) : sbuf_take(&b);
}

static int field_diff(json_t *fields, const char *name, const char *a, const char *b, bool *limited)
{
    json_t *segs;
    bool lim = false;
    int err;
    if (!a || !b)
        return WASL_ENOMEM;
    if (!strcmp(a, b))
        return 0;
    if (!(segs = json_array()))
        return WASL_ENOMEM;
    if ((err = diff_text(a, b, seg_h, segs, &lim))) {
        json_decref(segs);
        return err;
    }
    *limited |= lim;
    return json_array_append_new(fields, json_pack("{s:s, s:o}", "field", name, "segments", segs)) ? WASL_ENOMEM : 0;
}

/* {"from":N,"to":M,"fields":[{"field":"body","segments":[["=","..."],["-","..."],["+","..."]]}],"limited":bool} */
static int versions_diff(const struct guide_version *a, const struct guide_version *b, char **out)
{
    json_t *fields = json_array(), *j;
    bool limited = false;
    char *da = list_text(a->documents, a->ndocuments), *db = list_text(b->documents, b->ndocuments);
    char *fa = fees_text(a), *fb = fees_text(b);
    int err = fields ? 0 : WASL_ENOMEM;

    if (!err)
        err = field_diff(fields, "title", a->title, b->title, &limited);
    if (!err)
        err = field_diff(fields, "summary", a->summary, b->summary, &limited);
    if (!err)
        err = field_diff(fields, "documents", da, db, &limited);
    if (!err)
        err = field_diff(fields, "fees", fa, fb, &limited);
    if (!err)
        err = field_diff(fields, "processing_time", a->processing_time, b->processing_time, &limited);
    if (!err)
        err = field_diff(fields, "where_to_apply", a->where_to_apply, b->where_to_apply, &limited);
    if (!err)
        err = field_diff(fields, "body", a->body, b->body, &limited);
    free(da);
    free(db);
    free(fa);
    free(fb);
    if (err) {
        json_decref(fields);
        return err;
    }
    if (limited)
        log_warn("brief: the change of %s (%s) v%d -> v%d is too large to show word by word; parts are shown whole", b->slug,
                 b->lang, a->version, b->version);
    j = json_pack("{s:i, s:i, s:o, s:b}", "from", a->version, "to", b->version, "fields", fields, "limited", limited);
    *out = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return *out ? 0 : WASL_ENOMEM;
}

/* ---- creation, in the publishing transaction ---- */

struct users {
    int64_t *id;
    size_t n, cap;
};

static int user_h(int64_t id, void *arg)
{
    struct users *u = arg;
    if (u->n == u->cap) {
        size_t cap = u->cap ? u->cap * 2 : 32;
        int64_t *n = realloc(u->id, cap * sizeof(*n));
        if (!n)
            return WASL_ENOMEM;
        u->id = n;
        u->cap = cap;
    }
    u->id[u->n++] = id;
    return 0;
}

/* Stores the diff from version `from` to v for briefing id, once. */
static int diff_store(struct db_conn *c, int64_t id, const struct guide_version *v, int from)
{
    struct guide_version a;
    int64_t have = 0;
    char *d = NULL;
    int err = db_query_int(c, &have, "SELECT COUNT(*) FROM briefing_diffs WHERE briefing_id = ? AND from_version = ?",
                           DBP(DB_I(id), DB_I(from)));
    if (err || have)
        return err;
    if ((err = guide_version_number(c, v->slug, v->lang, from, &a)))
        return err;
    if (!(err = versions_diff(&a, v, &d)))
        err = db_exec(c, "INSERT INTO briefing_diffs (briefing_id, from_version, diff) VALUES (?, ?, ?)",
                      DBP(DB_I(id), DB_I(from), DB_S(d)));
    free(d);
    guide_version_clear(&a);
    return err;
}

static int publish_h(struct db_conn *c, const struct actor *who, const struct guide_version *v, const char *extra)
{
    struct guide_version prev;
    struct users u = {0};
    bool found = false;
    char *questions = NULL, object[40], *detail = NULL;
    int64_t id = 0;
    int err;

    if ((err = guide_version_before(c, v->slug, v->lang, v->version, &prev, &found)))
        return err;
    if (!found) {
        /* A first publication in this language amends nothing. */
        if (extra && strcmp(extra, "[]"))
            return err_set_field(WASL_EINVAL, "brief.not_an_amendment", "questions",
                                 "questions go with an amendment; %s has no earlier published text in %s", v->slug, v->lang);
        return 0;
    }
    if ((err = brief_questions_parse(extra ? extra : "[]", extra ? strlen(extra) : 2, &questions)))
        goto out;
    if ((err = db_query_int(c, &id,
                            "INSERT INTO briefings (version_id, slug, lang, version, from_version, title, reason, effective_on, "
                            "published_at, published_by, questions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                            DBP(DB_I(v->id), DB_S(v->slug), DB_S(v->lang), DB_I(v->version), DB_I(prev.version), DB_S(v->title),
                                DB_S(v->reason), DB_S(v->effective_on), DB_I(v->reviewed_at),
                                DB_S(who && who->login ? who->login : "system"), DB_S(questions)))))
        goto out;
    if ((err = diff_store(c, id, v, prev.version)) || (err = tel_agents_of_language(c, v->lang, user_h, &u)))
        goto out;
    /* Whoever publishes it has just reviewed the change: not briefed on it. */
    for (size_t i = 0; who && i < u.n; i++)
        if (u.id[i] == who->user_id)
            u.id[i] = u.id[--u.n];
    for (size_t i = 0; !err && i < u.n; i++) {
        /* An older briefing still pending: superseded by this one, whose
         * diff then starts where the agent was last briefed. */
        int64_t from = prev.version;
        err = db_query_int(c, &from,
                           "SELECT COALESCE(MIN(r.from_version), ?) FROM briefing_recipients r JOIN briefings b "
                           "ON b.id = r.briefing_id WHERE r.user_id = ? AND b.slug = ? AND b.lang = ? AND b.version < ? "
                           "AND r.state = 'pending'",
                           DBP(DB_I(prev.version), DB_I(u.id[i]), DB_S(v->slug), DB_S(v->lang), DB_I(v->version)));
        if (!err)
            err = db_exec(c,
                          "UPDATE briefing_recipients SET state = 'superseded' WHERE user_id = ? AND state = 'pending' AND "
                          "briefing_id IN (SELECT id FROM briefings WHERE slug = ? AND lang = ? AND version < ?)",
                          DBP(DB_I(u.id[i]), DB_S(v->slug), DB_S(v->lang), DB_I(v->version)));
        if (!err && from != prev.version)
            err = diff_store(c, id, v, (int)from);
        if (!err)
            err = db_exec(c,
                          "INSERT INTO briefing_recipients (briefing_id, user_id, from_version, state) VALUES (?, ?, ?, 'pending')",
                          DBP(DB_I(id), DB_I(u.id[i]), DB_I(from)));
    }
    if (!err)
        err = db_exec(c, "UPDATE briefings SET concerned = ? WHERE id = ?", DBP(DB_I(u.n), DB_I(id)));
    if (!err) {
        snprintf(object, sizeof(object), "briefing:%lld", (long long)id);
        json_t *d = json_pack("{s:s, s:s, s:i, s:i, s:I}", "slug", v->slug, "lang", v->lang, "version", v->version, "from",
                              prev.version, "concerned", (json_int_t)u.n);
        detail = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(d);
        err = detail ? audit_append(c, who, "brief.create", object, detail) : WASL_ENOMEM;
    }
out:
    free(detail);
    free(questions);
    free(u.id);
    guide_version_clear(&prev);
    return err;
}

void brief_init(void)
{
    guide_on_publish(publish_h);
}

/* ---- the agent's side ---- */

#define BRIEFING_COLUMNS                                                                                                           \
    "b.id, b.slug, b.lang, b.version, b.from_version, b.title, b.reason, b.effective_on, b.published_at, b.published_by, "         \
    "b.questions, b.concerned"

static json_t *briefing_json(struct db_stmt *s)
{
    return json_pack("{s:I, s:s, s:s, s:i, s:i, s:s, s:s, s:s, s:o, s:s, s:I}", "id", (json_int_t)db_int(s, 0), "slug",
                     db_text(s, 1), "lang", db_text(s, 2), "version", (int)db_int(s, 3), "from_version", (int)db_int(s, 4), "title",
                     db_text(s, 5), "reason", db_text(s, 6), "effective_on", db_text(s, 7), "published_at",
                     json_utc_time(db_int(s, 8)), "published_by", db_text(s, 9), "concerned", (json_int_t)db_int(s, 11));
}

static int pending_h(struct db_stmt *s, void *arg)
{
    json_t *j = briefing_json(s), *diff = json_loads(db_text(s, 12), 0, NULL);
    if (!j || !diff) {
        json_decref(j);
        json_decref(diff);
        return WASL_ENOMEM;
    }
    json_object_set_new(j, "questions", brief_questions_public(db_text(s, 10)));
    json_object_set_new(j, "diff", diff);
    json_object_set_new(j, "wrong_tries", json_integer(db_int(s, 13)));
    /* The agent's own starting point: the version they were last briefed on. */
    json_object_set_new(j, "from_version", json_integer(db_int(s, 14)));
    return json_array_append_new(arg, j) ? WASL_ENOMEM : 0;
}

int brief_pending(struct db *db, int64_t user_id, json_t **out)
{
    json_t *list = json_array();
    int err = list ? 0 : WASL_ENOMEM;
    if (!err)
        err = db_each(db,
                      "SELECT " BRIEFING_COLUMNS ", d.diff, r.wrong_tries, r.from_version FROM briefing_recipients r "
                      "JOIN briefings b ON b.id = r.briefing_id "
                      "JOIN briefing_diffs d ON d.briefing_id = r.briefing_id AND d.from_version = r.from_version "
                      "WHERE r.user_id = ? AND r.state = 'pending' ORDER BY b.published_at, b.id",
                      DBP(DB_I(user_id)), pending_h, list);
    if (err) {
        json_decref(list);
        return err;
    }
    *out = list;
    return 0;
}

int brief_pending_count(struct db *db, int64_t user_id, int64_t *n)
{
    struct db_conn *c;
    int err = db_conn_get(db, &c);
    if (err)
        return err;
    err =
        db_query_int(c, n, "SELECT COUNT(*) FROM briefing_recipients WHERE user_id = ? AND state = 'pending'", DBP(DB_I(user_id)));
    db_conn_put(c);
    return err;
}

struct ack {
    const struct actor *who;
    int64_t id;
    const char *answers;
    size_t len;
    char *stored;  /* the briefing's questions */
    char *checked; /* the answers as stored */
    int wrong;     /* index of a wrong choice, -1 */
    bool counted;  /* the wrong try was recorded */
    char slug[80], lang[4];
    int version;
};

static int ack_h(struct db_conn *c, void *arg)
{
    struct ack *a = arg;
    struct db_stmt *s = NULL;
    char state[16] = "", object[40];
    bool found = false;
    int64_t now = clock_now();
    int err;

    a->wrong = -1;
    free(a->stored);
    free(a->checked);
    a->stored = a->checked = NULL;
    if ((err = db_query(c, &s,
                        "SELECT r.state, b.questions, b.slug, b.lang, b.version FROM briefing_recipients r "
                        "JOIN briefings b ON b.id = r.briefing_id WHERE r.briefing_id = ? AND r.user_id = ?",
                        DBP(DB_I(a->id), DB_I(a->who->user_id)))))
        return err;
    if ((found = db_next(s))) {
        snprintf(state, sizeof(state), "%s", db_text(s, 0));
        a->stored = strdup(db_text(s, 1));
        snprintf(a->slug, sizeof(a->slug), "%s", db_text(s, 2));
        snprintf(a->lang, sizeof(a->lang), "%s", db_text(s, 3));
        a->version = (int)db_int(s, 4);
    }
    if ((err = db_end(s)))
        return err;
    if (!found)
        return err_set(WASL_ENOENT, "brief.not_found", "no briefing %lld for you", (long long)a->id);
    if (!a->stored)
        return WASL_ENOMEM;
    if (strcmp(state, "pending"))
        return err_set(WASL_ECONFLICT, "brief.not_pending", "this briefing is %s", state);
    if ((err = brief_answers_check(a->stored, a->answers, a->len, &a->checked, &a->wrong))) {
        if (a->wrong < 0)
            return err;
        /* A wrong choice is counted; the count commits, the error is returned after. */
        a->counted = true;
        return db_exec(c, "UPDATE briefing_recipients SET wrong_tries = wrong_tries + 1 WHERE briefing_id = ? AND user_id = ?",
                       DBP(DB_I(a->id), DB_I(a->who->user_id)));
    }
    if ((err = db_exec(c,
                       "UPDATE briefing_recipients SET state = 'acknowledged', acked_at = ?, via = ?, answers = ? "
                       "WHERE briefing_id = ? AND user_id = ? AND state = 'pending'",
                       DBP(DB_I(now), DB_I(a->id), DB_S(a->checked), DB_I(a->id), DB_I(a->who->user_id)))))
        return err;
    /* The older briefings this one superseded for the agent are read with it. */
    if ((err = db_exec(c,
                       "UPDATE briefing_recipients SET state = 'acknowledged', acked_at = ?, via = ? WHERE user_id = ? AND "
                       "state = 'superseded' AND briefing_id IN (SELECT id FROM briefings WHERE slug = ? AND lang = ? AND "
                       "version < ?)",
                       DBP(DB_I(now), DB_I(a->id), DB_I(a->who->user_id), DB_S(a->slug), DB_S(a->lang), DB_I(a->version)))))
        return err;
    snprintf(object, sizeof(object), "briefing:%lld", (long long)a->id);
    json_t *d = json_pack("{s:s, s:s, s:i, s:s}", "slug", a->slug, "lang", a->lang, "version", a->version, "answers", a->checked);
    char *detail = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(d);
    err = detail ? audit_append(c, a->who, "brief.acknowledge", object, detail) : WASL_ENOMEM;
    free(detail);
    return err;
}

int brief_acknowledge(struct db *db, const struct actor *who, int64_t id, const char *answers, size_t len, json_t **out)
{
    struct ack a = {.who = who, .id = id, .answers = answers, .len = len, .wrong = -1};
    int err;
    if (!who || who->user_id <= 0)
        return err_set(WASL_EPERM, "brief.not_found", "briefings are acknowledged by the agents concerned");
    err = db_tx(db, ack_h, &a);
    if (!err && a.counted) {
        char field[24];
        snprintf(field, sizeof(field), "answers[%d]", a.wrong);
        err = err_set_field(WASL_EINVAL, "brief.wrong_answer", field, "that is not the right answer; read the change again");
    }
    if (!err) {
        json_t *q = json_loads(a.stored, 0, NULL);
        *out = json_pack("{s:I, s:s, s:o, s:o}", "id", (json_int_t)id, "state", "acknowledged", "questions", q ? q : json_array(),
                         "answers", json_loads(a.checked, 0, NULL));
        if (!*out)
            err = WASL_ENOMEM;
    }
    free(a.stored);
    free(a.checked);
    return err;
}
