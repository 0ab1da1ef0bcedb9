/*
 * What supervisors and quality reviews read of the briefings: each
 * amendment with who has acknowledged it and the time from publication to
 * 90 % of the agents concerned briefed, one briefing in full, and whether an
 * agent answering on a day had been briefed on the version then current.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brief_int.h"
#include "guide/guide.h"

#define BRIEF_LIST_MAX 500 /* briefings in one listing, newest first */

/* Seconds from published_at until ceil(90 %) of concerned had acknowledged,
 * or -1 (not yet, or nobody concerned). */
static int time_to_90(struct db_conn *c, int64_t id, int64_t published_at, int64_t concerned, int64_t *secs)
{
    int64_t k = (concerned * 9 + 9) / 10, at = 0;
    *secs = -1;
    if (concerned <= 0)
        return 0;
    int err = db_query_int(c, &at,
                           "SELECT acked_at FROM briefing_recipients WHERE briefing_id = ? AND state = 'acknowledged' "
                           "ORDER BY acked_at LIMIT 1 OFFSET ?",
                           DBP(DB_I(id), DB_I(k - 1)));
    if (err == WASL_ENOENT) {
        err_clear();
        return 0;
    }
    if (!err)
        *secs = (at - published_at) / 1000000;
    return err;
}

static json_t *row_json(struct db_stmt *s)
{
    return json_pack("{s:I, s:s, s:s, s:i, s:i, s:s, s:s, s:s, s:o, s:s, s:I, s:I, s:I, s:I}", "id", (json_int_t)db_int(s, 0),
                     "slug", db_text(s, 1), "lang", db_text(s, 2), "version", (int)db_int(s, 3), "from_version", (int)db_int(s, 4),
                     "title", db_text(s, 5), "reason", db_text(s, 6), "effective_on", db_text(s, 7), "published_at",
                     json_utc_time(db_int(s, 8)), "published_by", db_text(s, 9), "concerned", (json_int_t)db_int(s, 10),
                     "acknowledged", (json_int_t)db_int(s, 11), "pending", (json_int_t)db_int(s, 12), "superseded_by_version",
                     (json_int_t)db_int(s, 13));
}

#define LIST_COLUMNS                                                                                                               \
    "b.id, b.slug, b.lang, b.version, b.from_version, b.title, b.reason, b.effective_on, b.published_at, b.published_by, "         \
    "b.concerned, "                                                                                                                \
    "(SELECT COUNT(*) FROM briefing_recipients r WHERE r.briefing_id = b.id AND r.state = 'acknowledged'), "                       \
    "(SELECT COUNT(*) FROM briefing_recipients r WHERE r.briefing_id = b.id AND r.state IN ('pending', 'superseded')), "           \
    "(SELECT COALESCE(MIN(x.version), 0) FROM briefings x WHERE x.slug = b.slug AND x.lang = b.lang AND x.version > b.version), "  \
    "b.questions"

static int finish(struct db_conn *c, json_t *j)
{
    int64_t secs;
    int err = time_to_90(c, json_integer_value(json_object_get(j, "id")), json_integer_value(json_object_get(j, "published_us")),
                         json_integer_value(json_object_get(j, "concerned")), &secs);
    json_object_del(j, "published_us");
    if (!err)
        json_object_set_new(j, "seconds_to_90_percent", secs < 0 ? json_null() : json_integer(secs));
    return err;
}

int brief_list(struct db *db, int64_t since, const char *lang, json_t **out)
{
    struct db_conn *c;
    struct db_stmt *s = NULL;
    json_t *list = json_array();
    int err;

    if (lang && *lang && !language_valid(lang)) {
        json_decref(list);
        return err_set_field(WASL_EINVAL, "request.invalid_parameter", "lang", "lang must be one of %s", languages_list());
    }
    if ((err = db_conn_get(db, &c))) {
        json_decref(list);
        return err;
    }
    err = db_query(c, &s,
                   "SELECT " LIST_COLUMNS " FROM briefings b WHERE b.published_at >= ? AND (? = '' OR b.lang = ?) "
                   "ORDER BY b.published_at DESC, b.id DESC LIMIT ?",
                   DBP(DB_I(since), DB_S(lang ? lang : ""), DB_S(lang ? lang : ""), DB_I(BRIEF_LIST_MAX)));
    while (!err && db_next(s)) {
        json_t *j = row_json(s);
        if (!j || json_object_set_new(j, "published_us", json_integer(db_int(s, 8))) || json_array_append_new(list, j))
            err = WASL_ENOMEM;
    }
    int err2 = db_end(s);
    for (size_t i = 0; !err && !err2 && i < json_array_size(list); i++)
        err = finish(c, json_array_get(list, i));
    db_conn_put(c);
    if (err || err2) {
        json_decref(list);
        return err ? err : err2;
    }
    *out = list;
    return 0;
}

struct recips {
    struct user_brief *u;
    json_t *list;
    int n;
};

int brief_get(struct db *db, int64_t id, json_t **out)
{
    struct db_conn *c;
    struct db_stmt *s = NULL;
    json_t *j = NULL, *list = json_array();
    struct user_brief *names = NULL;
    int err, n = 0;

    if ((err = db_conn_get(db, &c))) {
        json_decref(list);
        return err;
    }
    if ((err = db_query(c, &s,
                        "SELECT " LIST_COLUMNS ", d.diff FROM briefings b JOIN briefing_diffs d ON d.briefing_id = b.id AND "
                        "d.from_version = b.from_version WHERE b.id = ?",
                        DBP(DB_I(id)))))
        goto out;
    bool found = db_next(s);
    if (found && (j = row_json(s))) {
        json_object_set_new(j, "published_us", json_integer(db_int(s, 8)));
        json_object_set_new(j, "questions", json_loads(db_text(s, 14), 0, NULL));
        json_object_set_new(j, "diff", json_loads(db_text(s, 15), 0, NULL));
    }
    if ((err = db_end(s)))
        goto out;
    if (!found || !j) {
        err = found ? WASL_ENOMEM : err_set(WASL_ENOENT, "brief.not_found", "no briefing %lld", (long long)id);
        goto out;
    }
    if ((err = finish(c, j)))
        goto out;
    if ((err = db_query(c, &s,
                        "SELECT r.user_id, r.state, r.acked_at, r.wrong_tries, r.answers, r.from_version, "
                        "(SELECT v.version FROM briefings v WHERE v.id = r.via) FROM briefing_recipients r "
                        "WHERE r.briefing_id = ? ORDER BY r.acked_at = 0, r.acked_at, r.user_id",
                        DBP(DB_I(id)))))
        goto out;
    while (!err && db_next(s)) {
        json_t *a = db_is_null(s, 4) ? json_null() : json_loads(db_text(s, 4), 0, NULL);
        json_t *r = json_pack("{s:I, s:s, s:o, s:I, s:o, s:i, s:i}", "user_id", (json_int_t)db_int(s, 0), "state", db_text(s, 1),
                              "acknowledged_at", json_utc_time(db_int(s, 2)), "wrong_tries", (json_int_t)db_int(s, 3), "answers",
                              a ? a : json_null(), "from_version", (int)db_int(s, 5), "via_version",
                              db_is_null(s, 6) ? 0 : (int)db_int(s, 6));
        if (!r || json_array_append_new(list, r))
            err = WASL_ENOMEM;
    }
    int err2 = db_end(s);
    if (err || (err = err2))
        goto out;
    /* Names, by id (auth's). */
    n = (int)json_array_size(list);
    if (n && !(names = calloc((size_t)n, sizeof(*names)))) {
        err = WASL_ENOMEM;
        goto out;
    }
    for (int i = 0; i < n; i++)
        names[i].id = json_integer_value(json_object_get(json_array_get(list, i), "user_id"));
    db_conn_put(c);
    c = NULL;
    if (n && (err = user_briefs(db, names, n)))
        goto out;
    for (int i = 0; i < n; i++) {
        json_t *r = json_array_get(list, i);
        int64_t uid = json_integer_value(json_object_get(r, "user_id"));
        for (int k = 0; k < n; k++)
            if (names[k].id == uid)
                json_object_set_new(r, "display_name", json_string(names[k].display_name));
    }
    json_object_set(j, "agents", list);
out:
    if (c)
        db_conn_put(c);
    free(names);
    json_decref(list);
    if (err) {
        json_decref(j);
        return err;
    }
    *out = j;
    return 0;
}

int brief_check(struct db *db, const char *slug, const char *lang, int version_used, int64_t at, int64_t user_id,
                struct brief_check *out)
{
    struct db_conn *c;
    struct db_stmt *s = NULL;
    int err;

    memset(out, 0, sizeof(*out));
    if (!language_valid(lang))
        return err_set_field(WASL_EINVAL, "request.invalid_parameter", "lang", "lang must be one of %s", languages_list());
    if ((err = guide_version_at(db, slug, lang, at, &out->current, &out->newest)))
        return err;
    out->superseded = version_used > 0 && out->current > 0 && version_used < out->current;
    if (!out->current || (err = db_conn_get(db, &c)))
        return err;
    if (!(err = db_query(c, &s,
                         "SELECT b.id, r.user_id, r.acked_at FROM briefings b LEFT JOIN briefing_recipients r ON "
                         "r.briefing_id = b.id AND r.user_id = ? WHERE b.slug = ? AND b.lang = ? AND b.version = ?",
                         DBP(DB_I(user_id), DB_S(slug), DB_S(lang), DB_I(out->current))))) {
        if (db_next(s)) {
            out->amendment = true;
            out->briefing_id = db_int(s, 0);
            out->concerned = !db_is_null(s, 1);
            int64_t acked = db_is_null(s, 2) ? 0 : db_int(s, 2);
            out->briefed = acked > 0 && acked <= at;
            out->briefed_at = out->briefed ? acked : 0;
        }
        err = db_end(s);
    }
    db_conn_put(c);
    return err;
}

struct counts {
    int64_t late_after, *published, *late, *pending;
};

static int count_row(struct db_stmt *s, void *arg)
{
    struct counts *c = arg;
    (*c->published)++;
    if (strcmp(db_text(s, 0), "acknowledged"))
        (*c->pending)++;
    else if (db_int(s, 1) - db_int(s, 2) > c->late_after)
        (*c->late)++;
    return 0;
}

int brief_agent_counts(struct db *db, int64_t user_id, int64_t from, int64_t to, int64_t late_after, int64_t *published,
                       int64_t *late, int64_t *pending)
{
    struct counts c = {late_after, published, late, pending};
    *published = *late = *pending = 0;
    return db_each(db,
                   "SELECT r.state, r.acked_at, b.published_at FROM briefing_recipients r JOIN briefings b ON b.id = r.briefing_id "
                   "WHERE r.user_id = ? AND b.published_at >= ? AND b.published_at < ?",
                   DBP(DB_I(user_id), DB_I(from), DB_I(to)), count_row, &c);
}
