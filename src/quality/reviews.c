/*
 * Quality reviews in the store: the evaluation forms' versions, the calls a
 * reviewer picks from (filters and the weekly sample), the reviews with the
 * agent's acknowledgement, and their retention. It reads the call log
 * (calls, events: the telephony's), what agents recorded about calls
 * (call_dispositions) and the cases' portal ratings (cases) without writing
 * them, as the statistics do; it owns quality_forms and quality_reviews.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "quality.h"
#include "cases/cases.h"
#include "guide/guide.h"

/* clang-format off */
const struct conf_def quality_conf[] = {
    {"quality.forms_dir", CONF_PATH, "", 0, 0, "folder of the evaluation forms (one JSON file per form version); empty: data/quality/forms"},
    {"quality.review_retention", CONF_DURATION, "365d", 86400, 3650 * 86400LL, "quality reviews are kept this long after the call's recording is deleted (sip.recording_retention), then deleted by the same purge"},
    {"quality.sample_per_agent", CONF_INT, "2", 1, 20, "calls per agent in the weekly random sample of calls to review"},
};
/* clang-format on */
const size_t quality_conf_count = sizeof(quality_conf) / sizeof(quality_conf[0]);

static struct qf_form *forms[QF_FORMS_MAX];
static int nforms;

void quality_unload(void)
{
    for (int i = 0; i < nforms; i++)
        qf_free(forms[i]);
    nforms = 0;
}

int quality_forms(const struct qf_form *const **out)
{
    *out = (const struct qf_form *const *)forms;
    return nforms;
}

struct record {
    const struct qf_form *f;
    const char *text;
};

static int record_h(struct db_conn *c, void *arg)
{
    struct record *r = arg;
    struct db_stmt *s;
    int err = db_query(c, &s, "SELECT content FROM quality_forms WHERE form_id = ? AND version = ?",
                       DBP(DB_S(r->f->id), DB_I(r->f->version)));
    bool found = false, same = false;
    if (!err && db_next(s)) {
        found = true;
        same = !strcmp(db_text(s, 0), r->text);
    }
    int end = db_end(s);
    if (err || (err = end))
        return err;
    if (found && !same)
        return err_set(WASL_ECONFLICT, "quality.form_version_changed",
                       "form '%s' version %d differs from the text its reviews were scored with: give the change a new version "
                       "number (keep the old file or not; the store keeps the old text)",
                       r->f->id, r->f->version);
    if (found)
        return 0;
    return db_exec(c, "INSERT INTO quality_forms (form_id, version, content, loaded_at) VALUES (?, ?, ?, ?)",
                   DBP(DB_S(r->f->id), DB_I(r->f->version), DB_S(r->text), DB_I(clock_now())));
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int quality_init(struct db *db, const char *data_dir)
{
    char dir[1024], path[1400], *names[QF_FORMS_MAX * 4];
    int n = 0, err = 0;
    const char *set = conf_str("quality.forms_dir");
    if (*set)
        snprintf(dir, sizeof(dir), "%s", set);
    else
        snprintf(dir, sizeof(dir), "%s/quality/forms", data_dir);
    quality_unload();
    DIR *d = opendir(dir);
    if (!d)
        return err_set(WASL_ENOENT, "quality.no_forms", "no folder of evaluation forms at %s (quality.forms_dir)", dir);
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (e->d_name[0] == '.' || l < 6 || strcmp(e->d_name + l - 5, ".json"))
            continue;
        if (n >= QF_FORMS_MAX) {
            err = err_set(WASL_ELIMIT, "quality.too_many_forms", "%s: more than %d form files", dir, QF_FORMS_MAX);
            break;
        }
        if (!(names[n++] = strdup(e->d_name))) {
            n--;
            err = WASL_ENOMEM;
            break;
        }
    }
    closedir(d);
    if (!err && !n)
        err = err_set(WASL_ENOENT, "quality.no_forms", "%s holds no evaluation form (*.json)", dir);
    qsort(names, (size_t)n, sizeof(names[0]), by_name);
    struct qf_form *all[QF_FORMS_MAX];
    int nall = 0;
    for (int i = 0; i < n && !err; i++) {
        char *text = NULL;
        size_t len = 0;
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        if (!(err = file_read(path, &text, &len, QF_FILE_MAX)) && !(err = qf_parse(text, len, names[i], &all[nall]))) {
            if (all[nall]->missing_texts)
                log_warn("quality: %s: %d text(s) lack a translation; the fallback language's (%s) stand in", names[i],
                         all[nall]->missing_texts, wasl_languages[language_fallback()]);
            struct record r = {all[nall++], text};
            for (int k = 0; k < nall - 1 && !err; k++)
                if (!strcmp(all[k]->id, r.f->id) && all[k]->version == r.f->version)
                    err = err_set(WASL_ECONFLICT, "quality.form_version_twice", "%s: form '%s' version %d is in two files",
                                  names[i], r.f->id, r.f->version);
            if (!err)
                err = db_tx(db, record_h, &r);
        }
        free(text);
    }
    /* the current version of each form: the highest in the folder */
    for (int i = 0; i < nall; i++) {
        int k = 0;
        while (k < nforms && strcmp(forms[k]->id, all[i]->id))
            k++;
        if (!err && k == nforms)
            forms[nforms++] = all[i];
        else if (!err && all[i]->version > forms[k]->version) {
            qf_free(forms[k]);
            forms[k] = all[i];
        } else
            qf_free(all[i]);
    }
    for (int i = 0; i < n; i++)
        free(names[i]);
    if (err)
        quality_unload();
    else
        log_info("quality: %d evaluation form(s) from %s", nforms, dir);
    return err;
}

static int form_row(struct db_stmt *s, void *arg)
{
    char **text = arg;
    *text = strdup(db_text(s, 0));
    return *text ? 0 : WASL_ENOMEM;
}

int quality_form_get(struct db *db, const char *id, int version, struct qf_form **out)
{
    char *text = NULL, name[80];
    *out = NULL;
    int err = db_each(db, "SELECT content FROM quality_forms WHERE form_id = ? AND version = ?", DBP(DB_S(id), DB_I(version)),
                      form_row, &text);
    if (!err && !text)
        err = err_set(WASL_ENOENT, "quality.form_not_found", "no evaluation form '%.39s' version %d", id, version);
    snprintf(name, sizeof(name), "%.39s v%d", id, version);
    if (!err)
        err = qf_parse(text, strlen(text), name, out);
    free(text);
    return err;
}

/* ---- calls to review ---- */

#define CALL_COLUMNS                                                                                                               \
    "c.id, c.started_at, COALESCE(c.agent_user, 0), c.talked_ms, c.waited_ms, c.language, c.country, c.outcome, "                  \
    "c.recording, d.disposition, d.case_reference, d.articles, "                                                                   \
    "(SELECT e.queue FROM events e WHERE e.call_id = c.id AND e.kind = 'queue.joined' ORDER BY e.id DESC LIMIT 1), "               \
    "(SELECT k.rating FROM cases k WHERE k.reference = d.case_reference), "                                                        \
    "(SELECT COUNT(*) FROM quality_reviews r WHERE r.call_id = c.id) "                                                             \
    "FROM calls c LEFT JOIN call_dispositions d ON d.call_id = CAST(c.id AS TEXT) "

/* The versions in force of the articles seen so far (one request). */
#define MEMO_MAX 64
struct memo {
    struct {
        char slug[80], lang[4];
        int version;
    } a[MEMO_MAX];
    int n;
};

static int in_force(struct db *db, struct memo *m, const char *slug, const char *lang)
{
    for (int i = 0; i < m->n; i++)
        if (!strcmp(m->a[i].slug, slug) && !strcmp(m->a[i].lang, lang))
            return m->a[i].version;
    struct guide_view v;
    int version = 0;
    if (!guide_view_get(db, slug, lang, NULL, NULL, 0, &v)) {
        version = v.fallback ? 0 : v.v.version;
        guide_view_clear(&v);
    }
    err_clear();
    if (m->n < MEMO_MAX) {
        snprintf(m->a[m->n].slug, sizeof(m->a[m->n].slug), "%s", slug);
        snprintf(m->a[m->n].lang, sizeof(m->a[m->n].lang), "%s", lang);
        m->a[m->n++].version = version;
    }
    return version;
}

/* Whether an article consulted ({"slug","lang","version"}) has a newer
 * version in force now; *annotated (to free; NULL without articles) gets
 * the list with each article's "in_force" version (0: none in force). */
static bool amended(struct db *db, struct memo *m, const char *articles, char **annotated)
{
    json_t *a = articles ? json_loads(articles, 0, NULL) : NULL, *x;
    size_t i;
    bool yes = false;
    json_array_foreach(a, i, x)
    {
        const char *slug = json_string_value(json_object_get(x, "slug")), *lang = json_string_value(json_object_get(x, "lang"));
        json_int_t v = json_integer_value(json_object_get(x, "version"));
        int now = slug && lang ? in_force(db, m, slug, lang) : 0;
        json_object_set_new(x, "in_force", json_integer(now));
        if (now > v)
            yes = true;
    }
    *annotated = json_is_array(a) ? json_dumps(a, JSON_COMPACT) : NULL;
    json_decref(a);
    return yes;
}

struct calls {
    struct db *db;
    const struct quality_filter *f;
    quality_call_h h;
    void *arg;
    struct memo memo;
    int n;
};

static int call_row(struct db_stmt *s, void *arg)
{
    struct calls *l = arg;
    struct quality_call c = {
        .id = db_int(s, 0),
        .started_at = db_int(s, 1),
        .agent_user = db_int(s, 2),
        .talked_ms = db_int(s, 3),
        .waited_ms = db_int(s, 4),
        .language = db_text(s, 5),
        .country = db_text(s, 6),
        .outcome = db_text(s, 7),
        .recorded = !db_is_null(s, 8),
        .disposition = db_text(s, 9),
        .case_reference = db_text(s, 10),
        .articles = db_text(s, 11),
        .queue = db_text(s, 12),
        .rating = (int)db_int(s, 13),
        .reviews = (int)db_int(s, 14),
    };
    char *annotated = NULL;
    c.amended = amended(l->db, &l->memo, c.articles, &annotated);
    c.articles = annotated;
    int err = 0;
    if (l->f && l->f->amended && !c.amended)
        err = 0;
    else if (l->f && l->n >= l->f->limit)
        err = 1; /* enough: stop */
    else {
        l->n++;
        err = l->h(&c, l->arg);
    }
    free(annotated);
    return err;
}

int quality_calls(struct db *db, const struct quality_filter *f, quality_call_h h, void *arg)
{
    struct sbuf b;
    struct db_param p[12];
    int np = 0, err;
    struct calls *l = calloc(1, sizeof(*l));
    if (!l)
        return WASL_ENOMEM;
    *l = (struct calls){.db = db, .f = f, .h = h, .arg = arg};
    sbuf_init(&b, 4096);
    sbuf_adds(&b, "SELECT " CALL_COLUMNS "WHERE c.started_at >= ? AND c.started_at < ? AND c.outcome <> 'up' "
                  "AND c.agent_user IS NOT NULL AND c.answered_at > 0");
    p[np++] = DB_I(f->from);
    p[np++] = DB_I(f->to);
    if (f->agent) {
        sbuf_adds(&b, " AND c.agent_user = ?");
        p[np++] = DB_I(f->agent);
    }
    if (f->queue) {
        sbuf_adds(&b, " AND EXISTS (SELECT 1 FROM events q WHERE q.call_id = c.id AND q.kind = 'queue.joined' AND q.queue = ?)");
        p[np++] = DB_S(f->queue);
    }
    if (f->disposition) {
        sbuf_adds(&b, " AND d.disposition = ?");
        p[np++] = DB_S(f->disposition);
    }
    if (f->longer_than_ms > 0) {
        sbuf_adds(&b, " AND c.talked_ms > ?");
        p[np++] = DB_I(f->longer_than_ms);
    }
    if (f->low_csat)
        sbuf_adds(&b, " AND EXISTS (SELECT 1 FROM cases k WHERE k.reference = d.case_reference AND k.rating BETWEEN 1 AND 2)");
    if (f->recorded)
        sbuf_adds(&b, " AND c.recording IS NOT NULL");
    /* the amended filter is applied to the rows read (the guide's versions
     * are the guide's): it reads up to 2,000 calls of the period */
    sbuf_addf(&b, " ORDER BY c.id DESC LIMIT %d", f->amended ? 2000 : f->limit);
    char *sql = sbuf_take(&b);
    err = sql ? db_each(db, sql, p, np, call_row, l) : WASL_ENOMEM;
    if (err == 1)
        err = 0;
    free(sql);
    free(l);
    return err;
}

int quality_call_get(struct db *db, int64_t id, quality_call_h h, void *arg)
{
    struct calls *l = calloc(1, sizeof(*l));
    if (!l)
        return WASL_ENOMEM;
    *l = (struct calls){.db = db, .h = h, .arg = arg};
    int err = db_each(db, "SELECT " CALL_COLUMNS "WHERE c.id = ? AND c.outcome <> 'up'", DBP(DB_I(id)), call_row, l);
    if (!err && !l->n)
        err = err_set(WASL_ENOENT, "quality.call_not_found", "no ended call %lld in the call log", (long long)id);
    free(l);
    return err;
}

/* ---- the weekly sample ---- */

int quality_week_start(const char *week, int64_t *out)
{
    int y = 0, w = 0, yy, mm, dd;
    char tail;
    const struct tz *z;
    int64_t t;
    if (!week || sscanf(week, "%4d-W%2d%c", &y, &w, &tail) != 2 || strlen(week) != 8 || y < 2000 || y > 2200 || w < 1 || w > 53)
        return err_set_field(WASL_EINVAL, "quality.invalid_week", "week", "an ISO week: 2026-W49");
    /* ISO 8601: week 1 holds January 4th; weeks start on Monday */
    int64_t jan4 = days_from_civil(y, 1, 4);
    int64_t wd = ((jan4 % 7) + 7 + 3) % 7; /* 1970-01-01 was a Thursday: 0 = Monday */
    int64_t monday = jan4 - wd + (int64_t)(w - 1) * 7;
    if (w == 53 && days_from_civil(y + 1, 1, 4) - ((days_from_civil(y + 1, 1, 4) % 7 + 7 + 3) % 7) <= monday)
        return err_set_field(WASL_EINVAL, "quality.invalid_week", "week", "%d has no week 53", y);
    civil_from_days(monday, &yy, &mm, &dd);
    int err = tz_get("Africa/Casablanca", &z);
    if (!err)
        err = tz_from_local(z, yy, mm, dd, 0, 0, 0, &t);
    if (err)
        return err;
    *out = t * WTIME_SEC;
    return 0;
}

struct pick {
    int64_t id, agent;
    char key[65];
};
struct picks {
    struct pick *p;
    size_t n, cap;
    int64_t monday;
};

#define SAMPLE_CALLS_MAX 200000 /* answered calls in a week, far above the center's */

static int pick_row(struct db_stmt *s, void *arg)
{
    struct picks *l = arg;
    char text[64];
    if (l->n == l->cap) {
        if (l->cap >= SAMPLE_CALLS_MAX)
            return err_set(WASL_ELIMIT, "quality.sample_too_large", "more than %d answered calls in the week", SAMPLE_CALLS_MAX);
        size_t cap = l->cap ? l->cap * 2 : 1024;
        struct pick *p = realloc(l->p, cap * sizeof(*p));
        if (!p)
            return WASL_ENOMEM;
        l->p = p;
        l->cap = cap;
    }
    struct pick *p = &l->p[l->n++];
    p->id = db_int(s, 0);
    p->agent = db_int(s, 1);
    /* the week and the call: the same draw for every reviewer */
    snprintf(text, sizeof(text), "%lld:%lld", (long long)l->monday, (long long)p->id);
    personal_keyed_digest("quality-sample", text, p->key);
    return 0;
}

static int by_agent_key(const void *a, const void *b)
{
    const struct pick *x = a, *y = b;
    if (x->agent != y->agent)
        return x->agent < y->agent ? -1 : 1;
    return strcmp(x->key, y->key);
}

int quality_sample(struct db *db, int64_t monday, int per_agent, quality_call_h h, void *arg)
{
    struct picks l = {.monday = monday};
    int err = db_each(db,
                      "SELECT id, agent_user FROM calls WHERE started_at >= ? AND started_at < ? AND outcome <> 'up' "
                      "AND agent_user IS NOT NULL AND answered_at > 0 AND recording IS NOT NULL",
                      DBP(DB_I(monday), DB_I(monday + 7 * 86400 * WTIME_SEC)), pick_row, &l);
    if (!err && l.n)
        qsort(l.p, l.n, sizeof(*l.p), by_agent_key);
    int taken = 0;
    for (size_t i = 0; i < l.n && !err; i++) {
        taken = i && l.p[i].agent == l.p[i - 1].agent ? taken + 1 : 0;
        if (taken < per_agent)
            err = quality_call_get(db, l.p[i].id, h, arg);
    }
    free(l.p);
    return err;
}

/* ---- reviews ---- */

struct save {
    const struct actor *who;
    const struct quality_review_input *in;
    const struct qf_form *f;
    const char *answers;
    struct qf_result res;
    int64_t id;
};

static int save_h(struct db_conn *c, void *arg)
{
    struct save *sv = arg;
    struct db_stmt *s;
    int64_t agent = 0, started = 0, id = 0, acked = 0;
    bool found = false;
    int err = db_query(c, &s, "SELECT COALESCE(agent_user, 0), started_at FROM calls WHERE id = ? AND outcome <> 'up'",
                       DBP(DB_I(sv->in->call_id)));
    if (!err && db_next(s)) {
        found = true;
        agent = db_int(s, 0);
        started = db_int(s, 1);
    }
    int end = db_end(s);
    if (err || (err = end))
        return err;
    if (!found)
        return err_set(WASL_ENOENT, "quality.call_not_found", "no ended call %lld in the call log", (long long)sv->in->call_id);
    if (!agent)
        return err_set(WASL_ECONFLICT, "quality.call_not_answered", "call %lld was not answered by an agent: nobody to review",
                       (long long)sv->in->call_id);
    if (agent == sv->who->user_id)
        return err_set(WASL_EPERM, "quality.own_call", "a reviewer does not score a call they answered");
    if ((err = db_query(c, &s, "SELECT id, acknowledged_at FROM quality_reviews WHERE call_id = ? AND reviewer_user = ?",
                        DBP(DB_I(sv->in->call_id), DB_I(sv->who->user_id)))))
        return err;
    if (db_next(s)) {
        id = db_int(s, 0);
        acked = db_int(s, 1);
    }
    if ((err = db_end(s)))
        return err;
    if (acked)
        return err_set(WASL_ECONFLICT, "quality.acknowledged", "the agent acknowledged this review: it can no longer be rescored");
    int64_t now = clock_now();
    long long score = llround(sv->res.score * 10), raw = llround(sv->res.raw * 10);
    if (id)
        err = db_exec(
            c,
            "UPDATE quality_reviews SET form_id = ?, form_version = ?, answers = ?, score_x10 = ?, raw_x10 = ?, failed = ?, "
            "calibration = ?, comment = ?, updated_at = ? WHERE id = ?",
            DBP(DB_S(sv->f->id), DB_I(sv->f->version), DB_S(sv->answers), DB_I(score), DB_I(raw), DB_I(sv->res.failed),
                DB_I(sv->in->calibration), DB_S(sv->in->comment), DB_I(now), DB_I(id)));
    else if (!(err = db_exec(
                   c,
                   "INSERT INTO quality_reviews (call_id, call_started_at, agent_user, reviewer_user, form_id, form_version, "
                   "answers, score_x10, raw_x10, failed, calibration, comment, created_at, updated_at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   DBP(DB_I(sv->in->call_id), DB_I(started), DB_I(agent), DB_I(sv->who->user_id), DB_S(sv->f->id),
                       DB_I(sv->f->version), DB_S(sv->answers), DB_I(score), DB_I(raw), DB_I(sv->res.failed),
                       DB_I(sv->in->calibration), DB_S(sv->in->comment), DB_I(now), DB_I(now)))))
        err = db_query_int(c, &id, "SELECT id FROM quality_reviews WHERE call_id = ? AND reviewer_user = ?",
                           DBP(DB_I(sv->in->call_id), DB_I(sv->who->user_id)));
    if (err)
        return err;
    char object[40], detail[120];
    snprintf(object, sizeof(object), "call:%lld", (long long)sv->in->call_id);
    snprintf(detail, sizeof(detail), "review %lld, %s v%d, score %.1f%s%s", (long long)id, sv->f->id, sv->f->version, score / 10.0,
             sv->res.failed ? ", critical failed" : "", sv->in->calibration ? ", calibration" : "");
    sv->id = id;
    return audit_append(c, sv->who, "quality.review_saved", object, detail);
}

#define COMMENT_MAX 2000

/* answers {"question": "yes"|"no"|"na"|0..n} into a[f->nq]; the stored
 * text lists them in the form's order. */
int quality_answers_parse(const struct qf_form *f, const json_t *o, int *a, char **text)
{
    const char *k;
    json_t *v;
    if (!json_is_object(o))
        return err_set_field(WASL_EINVAL, "quality.invalid_answer", "answers", "an object {question: answer}");
    for (int i = 0; i < f->nq; i++)
        a[i] = QF_UNANSWERED;
    json_object_foreach((json_t *)o, k, v)
    {
        int i = qf_question_index(f, k);
        const char *s = json_string_value(v);
        if (i < 0)
            return err_set_field(WASL_EINVAL, "quality.unknown_question", "answers", "no question '%.39s' in form %s v%d", k, f->id,
                                 f->version);
        if (s && !strcmp(s, "na"))
            a[i] = QF_NA;
        else if (s && f->q[i].yes_no && (!strcmp(s, "yes") || !strcmp(s, "no")))
            a[i] = s[0] == 'y';
        else if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= f->q[i].max)
            a[i] = (int)json_integer_value(v);
        else
            return err_set_field(WASL_EINVAL, "quality.invalid_answer", k, "question '%.39s' is answered %s%s", k,
                                 f->q[i].yes_no ? "\"yes\" or \"no\"" : "from 0 to its scale's top",
                                 f->q[i].na ? " (or \"na\")" : "");
    }
    if (!text)
        return 0;
    json_t *out = json_object();
    for (int i = 0; i < f->nq; i++)
        json_object_set_new(out, f->q[i].id,
                            a[i] == QF_NA           ? json_string("na")
                            : a[i] == QF_UNANSWERED ? json_null()
                            : f->q[i].yes_no        ? json_string(a[i] ? "yes" : "no")
                                                    : json_integer(a[i]));
    *text = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(out);
    return *text ? 0 : WASL_ENOMEM;
}

int quality_review_save(struct db *db, const struct actor *who, const struct quality_review_input *in, int64_t *id)
{
    const struct qf_form *f = NULL;
    int a[QF_QUESTIONS_MAX], err;
    char *text = NULL;
    for (int i = 0; i < nforms && !f; i++)
        if (in->form_id ? !strcmp(forms[i]->id, in->form_id) : true)
            f = forms[i];
    if (!f)
        return err_set_field(WASL_ENOENT, "quality.form_not_found", "form", "no evaluation form '%.39s' in use",
                             in->form_id ? in->form_id : "");
    if (in->comment && (strlen(in->comment) > COMMENT_MAX || !utf8_valid(in->comment, strlen(in->comment))))
        return err_set_field(WASL_EINVAL, "quality.invalid_comment", "comment", "at most %d bytes of text", COMMENT_MAX);
    struct save sv = {.who = who, .in = in, .f = f};
    if ((err = quality_answers_parse(f, in->answers, a, &text)) || (err = qf_score(f, a, &sv.res)))
        goto out;
    sv.answers = text;
    if (!(err = db_tx(db, save_h, &sv)))
        *id = sv.id;
out:
    free(text);
    return err;
}

#define REVIEW_COLUMNS                                                                                                             \
    "id, call_id, agent_user, reviewer_user, created_at, updated_at, acknowledged_at, call_started_at, form_id, form_version, "    \
    "calibration, failed, score_x10, raw_x10, answers, comment, agent_comment FROM quality_reviews "

struct reviews {
    quality_review_h h;
    void *arg;
    int n;
};

static int review_row(struct db_stmt *s, void *arg)
{
    struct reviews *l = arg;
    struct quality_review r = {
        .id = db_int(s, 0),
        .call_id = db_int(s, 1),
        .agent_user = db_int(s, 2),
        .reviewer_user = db_int(s, 3),
        .created_at = db_int(s, 4),
        .updated_at = db_int(s, 5),
        .acknowledged_at = db_int(s, 6),
        .call_started_at = db_int(s, 7),
        .form_version = (int)db_int(s, 9),
        .calibration = db_int(s, 10) != 0,
        .failed = db_int(s, 11) != 0,
        .score = db_int(s, 12) / 10.0,
        .raw = db_int(s, 13) / 10.0,
        .answers = db_text(s, 14),
        .comment = db_text(s, 15),
        .agent_comment = db_text(s, 16),
    };
    snprintf(r.form_id, sizeof(r.form_id), "%s", db_text(s, 8));
    l->n++;
    return l->h(&r, l->arg);
}

/* An agent (not a reviewer) sees their own reviews, never calibrations. */
static bool agent_only(const struct actor *who)
{
    return !(who->role & (ROLE_SUPERVISOR | ROLE_ADMIN));
}

int quality_reviews(struct db *db, const struct actor *who, int64_t agent, int64_t call, int limit, quality_review_h h, void *arg)
{
    struct reviews l = {h, arg, 0};
    if (agent_only(who)) {
        if (agent && agent != who->user_id)
            return err_set(WASL_EPERM, "quality.forbidden", "an agent sees their own reviews only");
        agent = who->user_id;
    }
    return db_each(db,
                   "SELECT " REVIEW_COLUMNS "WHERE (? = 0 OR agent_user = ?) AND (? = 0 OR call_id = ?) AND calibration <= ? "
                   "ORDER BY id DESC LIMIT ?",
                   DBP(DB_I(agent), DB_I(agent), DB_I(call), DB_I(call), DB_I(agent_only(who) ? 0 : 1), DB_I(limit)), review_row,
                   &l);
}

int quality_review_get(struct db *db, const struct actor *who, int64_t id, quality_review_h h, void *arg)
{
    struct reviews l = {h, arg, 0};
    bool mine = agent_only(who);
    int err = db_each(db, "SELECT " REVIEW_COLUMNS "WHERE id = ? AND (? = 0 OR (agent_user = ? AND calibration = 0))",
                      DBP(DB_I(id), DB_I(mine), DB_I(who->user_id)), review_row, &l);
    /* another agent's review reads as absent: its existence is not theirs to know */
    if (!err && !l.n)
        err = err_set(WASL_ENOENT, "quality.review_not_found", "no review %lld", (long long)id);
    return err;
}

struct ack {
    const struct actor *who;
    int64_t id;
    const char *comment;
};

static int ack_h(struct db_conn *c, void *arg)
{
    struct ack *a = arg;
    struct db_stmt *s;
    int64_t agent = -1, acked = 0, cal = 0;
    int err =
        db_query(c, &s, "SELECT agent_user, acknowledged_at, calibration FROM quality_reviews WHERE id = ?", DBP(DB_I(a->id)));
    if (!err && db_next(s)) {
        agent = db_int(s, 0);
        acked = db_int(s, 1);
        cal = db_int(s, 2);
    }
    int end = db_end(s);
    if (err || (err = end))
        return err;
    if (agent != a->who->user_id || cal)
        return err_set(WASL_ENOENT, "quality.review_not_found", "no review %lld of yours", (long long)a->id);
    if (acked)
        return err_set(WASL_ECONFLICT, "quality.already_acknowledged", "you acknowledged this review already");
    if ((err = db_exec(c, "UPDATE quality_reviews SET acknowledged_at = ?, agent_comment = ? WHERE id = ?",
                       DBP(DB_I(clock_now()), DB_S(a->comment && *a->comment ? a->comment : NULL), DB_I(a->id)))))
        return err;
    char object[40];
    snprintf(object, sizeof(object), "review:%lld", (long long)a->id);
    return audit_append(c, a->who, "quality.review_acknowledged", object, a->comment && *a->comment ? "with a comment" : NULL);
}

int quality_review_acknowledge(struct db *db, const struct actor *who, int64_t id, const char *comment)
{
    if (comment && (strlen(comment) > COMMENT_MAX || !utf8_valid(comment, strlen(comment))))
        return err_set_field(WASL_EINVAL, "quality.invalid_comment", "comment", "at most %d bytes of text", COMMENT_MAX);
    struct ack a = {who, id, comment};
    return db_tx(db, ack_h, &a);
}

int quality_purge(struct db *db, int64_t before, int *n)
{
    struct db_conn *c;
    int err = db_conn_get(db, &c);
    *n = 0;
    if (err)
        return err;
    if (!(err = db_exec(c, "DELETE FROM quality_reviews WHERE call_started_at < ?", DBP(DB_I(before)))))
        *n = (int)db_changes(c);
    db_conn_put(c);
    return err;
}
