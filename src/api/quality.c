/*
 * Quality reviews over HTTP: the forms, the calls to pick from (filters and
 * the weekly sample), one call's review page data, saving a review, the
 * agent's reviews and acknowledgement, and a call's calibration. Reviewers
 * are supervisors and administrators; an agent reaches their own reviews
 * only (the domain functions decide, given the actor).
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "quality/quality.h"

static json_t *texts_json(char *const *t)
{
    json_t *o = json_object();
    for (int l = 0; l < wasl_nlanguages; l++)
        json_object_set_new(o, wasl_languages[l], json_string(t[l]));
    return o;
}

static json_t *form_json(const struct qf_form *f)
{
    static const char *const crit[] = {NULL, "section", "form"};
    json_t *sections = json_array();
    for (int s = 0; s < f->ns; s++) {
        json_t *qs = json_array();
        for (int i = f->s[s].first; i < f->s[s].first + f->s[s].count; i++) {
            const struct qf_question *q = &f->q[i];
            json_array_append_new(qs, json_pack("{s:s, s:i, s:s, s:i, s:b, s:s?, s:o}", "id", q->id, "weight", q->weight, "scale",
                                                q->yes_no ? "yes_no" : "0-n", "max", q->max, "na", q->na, "critical",
                                                crit[q->critical], "text", texts_json(q->text)));
        }
        json_array_append_new(sections, json_pack("{s:s, s:i, s:o, s:o}", "id", f->s[s].id, "weight", f->s[s].weight, "name",
                                                  texts_json(f->s[s].name), "questions", qs));
    }
    return json_pack("{s:s, s:i, s:o, s:o}", "id", f->id, "version", f->version, "name", texts_json(f->name), "sections", sections);
}

int api_quality_forms(struct http_req *r)
{
    const struct qf_form *const *f;
    int n = quality_forms(&f);
    json_t *items = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(items, form_json(f[i]));
    return http_reply_json(r, 200, json_pack("{s:o}", "items", items));
}

/* The agents a reviewer may filter on: accounts with the agent role. */
int api_quality_agents(struct http_req *r)
{
    enum { MAX = 1000 };
    struct user *u = calloc(MAX, sizeof(*u));
    int n = 0, err;
    if (!u)
        return WASL_ENOMEM;
    if ((err = user_list(APP(r)->db, u, MAX, &n))) {
        free(u);
        return err;
    }
    json_t *items = json_array();
    for (int i = 0; i < n; i++)
        if ((u[i].role & (ROLE_AGENT | ROLE_SUPERVISOR)) && !u[i].disabled)
            json_array_append_new(
                items, json_pack("{s:I, s:s, s:s}", "id", (json_int_t)u[i].id, "name", u[i].display_name, "login", u[i].login));
    free(u);
    return http_reply_json(r, 200, json_pack("{s:o}", "items", items));
}

struct calls_out {
    struct db *db;
    json_t *items;
};

static int call_json_h(const struct quality_call *c, void *arg)
{
    struct calls_out *o = arg;
    json_t *articles = c->articles ? json_loads(c->articles, 0, NULL) : NULL;
    json_t *x =
        json_pack("{s:I, s:o, s:o, s:I, s:I, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:o, s:o, s:b, s:b, s:i}", "id", (json_int_t)c->id,
                  "started_at", api_time(c->started_at), "agent", user_ref_json(o->db, c->agent_user), "talked_ms",
                  (json_int_t)c->talked_ms, "waited_ms", (json_int_t)c->waited_ms, "language", c->language, "country", c->country,
                  "outcome", c->outcome, "queue", c->queue, "disposition", c->disposition, "case_reference", c->case_reference,
                  "articles", articles ? articles : json_array(), "rating", c->rating ? json_integer(c->rating) : json_null(),
                  "recorded", c->recorded, "amended", c->amended, "reviews", c->reviews);
    return json_array_append_new(o->items, x) ? WASL_ENOMEM : 0;
}

static int reply_calls(struct http_req *r, struct calls_out *o, int err)
{
    if (err) {
        json_decref(o->items);
        return err;
    }
    return http_reply_json(r, 200, json_pack("{s:o}", "items", o->items));
}

int api_quality_calls(struct http_req *r)
{
    int64_t now = clock_now();
    long long agent = 0, longer = 0, limit = 100;
    struct quality_filter f = {.from = now - 7 * 86400 * WTIME_SEC, .to = now + WTIME_SEC};
    const char *flag;
    int err;
    if ((err = api_query_time(r, "from", "quality.invalid_period", &f.from)) ||
        (err = api_query_time(r, "to", "quality.invalid_period", &f.to)) ||
        (err = api_query_int(r, "agent", 1, INT64_MAX, &agent)) || (err = api_query_int(r, "longer_than", 1, 86400, &longer)) ||
        (err = api_query_int(r, "limit", 1, 500, &limit)))
        return err;
    if (f.to <= f.from || f.to - f.from > 92 * 86400 * WTIME_SEC)
        return err_set_field(WASL_EINVAL, "quality.invalid_period", "to", "a period of at most 92 days, 'to' after 'from'");
    f.agent = agent;
    f.longer_than_ms = longer * 1000;
    f.limit = (int)limit;
    f.queue = http_query(r, "queue");
    f.disposition = http_query(r, "disposition");
    if (f.queue && (!*f.queue || strlen(f.queue) > 40))
        f.queue = NULL;
    if (f.disposition && (!*f.disposition || strlen(f.disposition) > 40))
        f.disposition = NULL;
    f.low_csat = (flag = http_query(r, "low_csat")) && !strcmp(flag, "1");
    f.amended = (flag = http_query(r, "amended")) && !strcmp(flag, "1");
    f.recorded = (flag = http_query(r, "recorded")) && !strcmp(flag, "1");
    struct calls_out o = {APP(r)->db, json_array()};
    return reply_calls(r, &o, quality_calls(APP(r)->db, &f, call_json_h, &o));
}

int api_quality_sample(struct http_req *r)
{
    int64_t monday;
    long long per = conf_int("quality.sample_per_agent");
    int err;
    if ((err = quality_week_start(http_query(r, "week"), &monday)) || (err = api_query_int(r, "per_agent", 1, 20, &per)))
        return err;
    struct calls_out o = {APP(r)->db, json_array()};
    if ((err = quality_sample(APP(r)->db, monday, (int)per, call_json_h, &o))) {
        json_decref(o.items);
        return err;
    }
    return http_reply_json(r, 200,
                           json_pack("{s:s, s:o, s:I, s:o}", "week", http_query(r, "week"), "from", api_time(monday), "per_agent",
                                     (json_int_t)per, "items", o.items));
}

struct reviews_out {
    struct db *db;
    json_t *items;
    bool full; /* with the form version's definition and section scores */
};

static json_t *review_json(struct db *db, const struct quality_review *v, bool full)
{
    json_t *answers = json_loads(v->answers, 0, NULL);
    json_t *o = json_pack("{s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:f, s:f, s:b, s:b, s:s?, s:s?, s:o, s:o, s:o, s:o}", "id",
                          (json_int_t)v->id, "call", (json_int_t)v->call_id, "call_started_at", api_time(v->call_started_at),
                          "agent", user_ref_json(db, v->agent_user), "reviewer", user_ref_json(db, v->reviewer_user), "form",
                          json_pack("{s:s, s:i}", "id", v->form_id, "version", v->form_version), "answers",
                          answers ? answers : json_object(), "score", v->score, "raw", v->raw, "failed", v->failed, "calibration",
                          v->calibration, "comment", v->comment, "agent_comment", v->agent_comment, "acknowledged_at",
                          api_time(v->acknowledged_at), "created_at", api_time(v->created_at), "updated_at",
                          api_time(v->updated_at), "acknowledged", json_boolean(v->acknowledged_at != 0));
    struct qf_form *f;
    if (!full || quality_form_get(db, v->form_id, v->form_version, &f)) {
        err_clear();
        return o;
    }
    int a[QF_QUESTIONS_MAX];
    struct qf_result res;
    json_object_set_new(o, "form_definition", form_json(f));
    if (!quality_answers_parse(f, answers, a, NULL) && !qf_score(f, a, &res)) {
        json_t *sections = json_array();
        for (int s = 0; s < f->ns; s++)
            json_array_append_new(sections, json_pack("{s:s, s:o, s:b}", "id", f->s[s].id, "score",
                                                      res.section_na[s] ? json_null() : json_real(res.section[s]), "failed",
                                                      res.section_failed[s]));
        json_object_set_new(o, "sections", sections);
    }
    err_clear();
    qf_free(f);
    return o;
}

static int review_h(const struct quality_review *v, void *arg)
{
    struct reviews_out *o = arg;
    return json_array_append_new(o->items, review_json(o->db, v, o->full)) ? WASL_ENOMEM : 0;
}

int api_quality_call(struct http_req *r)
{
    int64_t id;
    int err;
    if ((err = api_param_id(r, "id", &id)))
        return err;
    struct calls_out c = {APP(r)->db, json_array()};
    struct reviews_out v = {APP(r)->db, json_array(), false};
    if ((err = quality_call_get(APP(r)->db, id, call_json_h, &c)) ||
        (err = quality_reviews(APP(r)->db, &r->actor, 0, id, 100, review_h, &v))) {
        json_decref(c.items);
        json_decref(v.items);
        return err;
    }
    json_t *call = json_incref(json_array_get(c.items, 0));
    json_decref(c.items);
    /* the articles consulted with the version in force now */
    return http_reply_json(r, 200, json_pack("{s:o, s:o}", "call", call, "reviews", v.items));
}

/* Replies with one review as who may see it, its form version included. */
static int reply_review(struct http_req *r, int64_t id, int status)
{
    struct reviews_out o = {APP(r)->db, json_array(), true};
    int err = quality_review_get(APP(r)->db, &r->actor, id, review_h, &o);
    if (err) {
        json_decref(o.items);
        return err;
    }
    json_t *one = json_incref(json_array_get(o.items, 0));
    json_decref(o.items);
    return http_reply_json(r, status, one);
}

int api_quality_review_save(struct http_req *r)
{
    long long call = 0;
    int calibration = 0;
    const char *form = NULL, *comment = NULL;
    json_t *answers = NULL;
    struct json_spec spec[] = {{"call", JS_INT, true, 0, 1, INT64_MAX, &call, NULL},
                               {"form", JS_STR, false, QF_ID_MAX - 1, 0, 0, &form, NULL},
                               {"answers", JS_OBJECT, true, 0, 0, 0, &answers, NULL},
                               {"comment", JS_STR, false, 2000, 0, 0, &comment, NULL},
                               {"calibration", JS_BOOL, false, 0, 0, 0, &calibration, NULL}};
    int64_t id = 0;
    int err;
    if ((err = http_body_json(r, spec, sizeof(spec) / sizeof(spec[0]))))
        return err;
    struct quality_review_input in = {.call_id = call,
                                      .form_id = form,
                                      .answers = answers,
                                      .comment = comment && *comment ? comment : NULL,
                                      .calibration = calibration};
    if ((err = quality_review_save(APP(r)->db, &r->actor, &in, &id)))
        return err;
    return reply_review(r, id, 201);
}

int api_quality_reviews(struct http_req *r)
{
    long long agent = 0, call = 0, limit = 100;
    int err;
    if ((err = api_query_int(r, "agent", 1, INT64_MAX, &agent)) || (err = api_query_int(r, "call", 1, INT64_MAX, &call)) ||
        (err = api_query_int(r, "limit", 1, 500, &limit)))
        return err;
    const char *full = http_query(r, "full");
    struct reviews_out o = {APP(r)->db, json_array(), full && !strcmp(full, "1")};
    if ((err = quality_reviews(APP(r)->db, &r->actor, agent, call, (int)limit, review_h, &o))) {
        json_decref(o.items);
        return err;
    }
    return http_reply_json(r, 200, json_pack("{s:o}", "items", o.items));
}

int api_quality_review_get(struct http_req *r)
{
    int64_t id;
    int err;
    if ((err = api_param_id(r, "id", &id)))
        return err;
    return reply_review(r, id, 200);
}

int api_quality_acknowledge(struct http_req *r)
{
    int64_t id;
    const char *comment = NULL;
    struct json_spec spec[] = {{"comment", JS_STR, false, 2000, 0, 0, &comment, NULL}};
    int err;
    if ((err = api_param_id(r, "id", &id)) || (err = http_body_json(r, spec, 1)) ||
        (err = quality_review_acknowledge(APP(r)->db, &r->actor, id, comment)))
        return err;
    return reply_review(r, id, 200);
}

/* ---- calibration ---- */

struct cal {
    struct db *db;
    struct quality_review *v;
    char **answers;
    int n, cap;
};

static int cal_h(const struct quality_review *v, void *arg)
{
    struct cal *c = arg;
    if (c->n == c->cap) {
        int cap = c->cap ? c->cap * 2 : 8;
        struct quality_review *nv = realloc(c->v, (size_t)cap * sizeof(*nv));
        if (!nv)
            return WASL_ENOMEM;
        c->v = nv;
        char **na = realloc(c->answers, (size_t)cap * sizeof(*na));
        if (!na)
            return WASL_ENOMEM;
        c->answers = na;
        c->cap = cap;
    }
    c->v[c->n] = *v;
    c->v[c->n].comment = c->v[c->n].agent_comment = NULL;
    if (!(c->answers[c->n] = strdup(v->answers)))
        return WASL_ENOMEM;
    c->v[c->n].answers = c->answers[c->n];
    c->n++;
    return 0;
}

/* Each reviewer's answer and score on one call scored with the same form
 * version (the first review's; reviews on other versions are counted
 * apart), the spread of the totals, and per question how far apart the
 * reviewers are (answers as a share of the scale's top; N/A apart). */
static json_t *calibration_json(struct db *db, struct cal *c, const struct qf_form *f)
{
    double scores[100];
    int ns = 0, other = 0;
    int(*a)[QF_QUESTIONS_MAX] = calloc((size_t)c->n, sizeof(*a));
    json_t *reviewers = json_array(), *questions = json_array();
    bool *same = calloc((size_t)c->n, sizeof(bool));
    for (int k = 0; a && same && k < c->n; k++) {
        json_t *ans = json_loads(c->v[k].answers, 0, NULL);
        same[k] =
            !strcmp(c->v[k].form_id, f->id) && c->v[k].form_version == f->version && !quality_answers_parse(f, ans, a[k], NULL);
        err_clear();
        json_decref(ans);
        if (!same[k]) {
            other++;
            continue;
        }
        if (ns < 100)
            scores[ns++] = c->v[k].score;
        json_array_append_new(reviewers, json_pack("{s:I, s:o, s:f, s:b, s:b}", "review", (json_int_t)c->v[k].id, "reviewer",
                                                   user_ref_json(db, c->v[k].reviewer_user), "score", c->v[k].score, "failed",
                                                   c->v[k].failed, "calibration", c->v[k].calibration));
    }
    for (int i = 0; a && same && i < f->nq; i++) {
        json_t *values = json_array();
        double lo = 2, hi = -1;
        int na = 0, answered = 0;
        for (int k = 0; k < c->n; k++) {
            if (!same[k])
                continue;
            if (a[k][i] == QF_NA) {
                na++;
                json_array_append_new(values, json_string("na"));
                continue;
            }
            double share = (double)a[k][i] / f->q[i].max;
            lo = share < lo ? share : lo;
            hi = share > hi ? share : hi;
            answered++;
            json_array_append_new(values, f->q[i].yes_no ? json_string(a[k][i] ? "yes" : "no") : json_integer(a[k][i]));
        }
        /* disagreement: the gap between the furthest answers (0 agree, 1
         * opposite ends), and whether some said N/A while others scored */
        json_array_append_new(questions, json_pack("{s:s, s:o, s:f, s:b}", "id", f->q[i].id, "values", values, "gap",
                                                   answered > 1 ? hi - lo : 0.0, "na_split", na > 0 && answered > 0));
    }
    struct qf_spread sp;
    qf_spread(scores, ns, &sp);
    free(a);
    free(same);
    return json_pack("{s:o, s:i, s:o, s:o, s:{s:f, s:f, s:f, s:f, s:f}}", "form",
                     json_pack("{s:s, s:i}", "id", f->id, "version", f->version), "other_form_reviews", other, "reviewers",
                     reviewers, "questions", questions, "total", "min", sp.min, "max", sp.max, "spread", sp.max - sp.min, "mean",
                     sp.mean, "sd", sp.sd);
}

int api_quality_calibration(struct http_req *r)
{
    int64_t id;
    struct cal c = {APP(r)->db, NULL, NULL, 0, 0};
    struct qf_form *f = NULL;
    int err;
    if (!(err = api_param_id(r, "id", &id)) && !(err = quality_reviews(APP(r)->db, &r->actor, 0, id, 100, cal_h, &c)) && !c.n)
        err = err_set(WASL_ENOENT, "quality.no_reviews", "call %lld has no review yet", (long long)id);
    /* the oldest review's form: the list is newest first */
    if (!err)
        err = quality_form_get(APP(r)->db, c.v[c.n - 1].form_id, c.v[c.n - 1].form_version, &f);
    json_t *out = err ? NULL : calibration_json(APP(r)->db, &c, f);
    for (int k = 0; k < c.n; k++)
        free(c.answers[k]);
    free(c.answers);
    free(c.v);
    qf_free(f);
    if (err)
        return err;
    json_object_set_new(out, "call", json_integer(id));
    return http_reply_json(r, 200, out);
}
