/*
 * The consular guide over HTTP: articles, versions and their workflow,
 * diffs, search, synonyms, gaps, entry rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "brief/brief.h"
#include "guide/guide.h"

/* ---- rendering ---- */

static json_t *fees_json(const struct guide_version *v)
{
    json_t *a = json_array();
    for (int i = 0; a && i < v->nfees; i++)
        json_array_append_new(a, json_pack("{s:f, s:s, s:s}", "amount", v->fees[i].amount, "currency", v->fees[i].currency, "label",
                                           v->fees[i].label));
    return a;
}

static json_t *docs_json(const struct guide_version *v)
{
    json_t *a = json_array();
    for (int i = 0; a && i < v->ndocuments; i++)
        json_array_append_new(a, json_string(v->documents[i]));
    return a;
}

/* read_lang: with the body as HTML, its cross-references resolved for a
 * reader of that language; NULL: without. */
static json_t *version_json(struct http_req *r, const struct guide_version *v, const char *read_lang)
{
    json_t *j =
        json_pack("{s:I, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s?, "
                  "s:o, s:s?, s:o, s:s?}",
                  "id", (json_int_t)v->id, "slug", v->slug, "lang", v->lang, "version", v->version, "status", v->status, "title",
                  v->title, "summary", v->summary, "body", v->body, "documents", docs_json(v), "fees", fees_json(v),
                  "processing_time", v->processing_time, "where_to_apply", v->where_to_apply, "source", v->source, "checked_on",
                  v->checked_on, "confidence", v->confidence, "translates", v->translates, "author", v->author, "reason", v->reason,
                  "effective_on", v->effective_on[0] ? v->effective_on : NULL, "created_at", api_time(v->created_at), "reviewer",
                  v->reviewer && *v->reviewer ? v->reviewer : NULL, "reviewed_at", api_time(v->reviewed_at), "review_note",
                  v->review_note && *v->review_note ? v->review_note : NULL);
    if (j && read_lang) {
        char *html = NULL;
        if (guide_render_body(APP(r)->db, v->body, read_lang, &html)) /* links unresolved rather than no text */
            html = guide_render_markdown(v->body);
        json_object_set_new(j, "body_html", json_string(html ? html : ""));
        free(html);
    }
    return j;
}

static json_t *article_json(const struct guide_article *a)
{
    json_t *kw = json_loads(a->keywords ? a->keywords : "{}", 0, NULL);
    return json_pack("{s:s, s:s, s:s, s:s, s:o}", "slug", a->slug, "category", a->category, "audience", a->audience,
                     "source_language", a->source_language, "keywords", kw ? kw : json_object());
}

/* ---- parsing a version from a request ---- */

static int version_from_json(json_t *obj, struct guide_version *v, bool need_meta)
{
    const char *title = NULL, *summary = NULL, *body = NULL, *pt = NULL, *where = NULL, *source = NULL, *checked = NULL,
               *conf = NULL, *lang = NULL, *reason = NULL;
    json_t *docs = NULL, *fees = NULL;
    long long translates = 0;
    struct json_spec spec[] = {
        {"title", JS_STR, true, GUIDE_TITLE_MAX, 0, 0, &title, NULL},
        {"summary", JS_STR, true, GUIDE_SUMMARY_MAX, 0, 0, &summary, NULL},
        {"body", JS_STR, true, GUIDE_BODY_MAX, 0, 0, &body, NULL},
        {"documents", JS_ARRAY, false, GUIDE_LIST_MAX, 0, 0, &docs, NULL},
        {"fees", JS_ARRAY, false, GUIDE_LIST_MAX, 0, 0, &fees, NULL},
        {"processing_time", JS_STR, false, GUIDE_FIELD_MAX, 0, 0, &pt, NULL},
        {"where_to_apply", JS_STR, false, GUIDE_FIELD_MAX, 0, 0, &where, NULL},
        {"source", JS_STR, false, GUIDE_FIELD_MAX, 0, 0, &source, NULL},
        {"checked_on", JS_STR, false, 10, 0, 0, &checked, NULL},
        {"confidence", JS_STR, false, 1, 0, 0, &conf, NULL},
        {"lang", JS_STR, need_meta, WASL_LANG_CODE_MAX - 1, 0, 0, &lang, NULL},
        {"reason", JS_STR, false, 500, 0, 0, &reason, NULL},
        {"translates", JS_INT, false, 0, 0, 1000000, &translates, NULL},
    };
    json_t *x;
    size_t i;
    int err;

    memset(v, 0, sizeof(*v));
    if ((err = json_spec_parse(obj, spec, sizeof(spec) / sizeof(spec[0]), false)))
        return err;
    if (!(v->title = strdup(title)) || !(v->summary = strdup(summary)) || !(v->body = strdup(body)) ||
        !(v->processing_time = strdup(pt ? pt : "")) || !(v->where_to_apply = strdup(where ? where : "")) ||
        !(v->source = strdup(source ? source : "")) || !(v->reason = strdup(reason ? reason : "")))
        return WASL_ENOMEM;
    snprintf(v->checked_on, sizeof(v->checked_on), "%s", checked ? checked : "");
    snprintf(v->confidence, sizeof(v->confidence), "%s", conf ? conf : "U");
    snprintf(v->lang, sizeof(v->lang), "%s", lang ? lang : "");
    v->translates = (int)translates;
    json_array_foreach(docs, i, x)
    {
        if (!json_is_string(x))
            return err_set_field(WASL_EINVAL, "request.invalid_field", "documents", "documents must be a list of strings");
        char **l = realloc(v->documents, sizeof(*l) * (i + 1));
        if (!l)
            return WASL_ENOMEM;
        v->documents = l;
        if (!(l[v->ndocuments++] = strdup(json_string_value(x))))
            return WASL_ENOMEM;
    }
    json_array_foreach(fees, i, x)
    {
        json_t *amount = json_object_get(x, "amount");
        const char *cur = json_string_value(json_object_get(x, "currency")),
                   *label = json_string_value(json_object_get(x, "label"));
        if (!json_is_number(amount) || json_number_value(amount) < 0 || !cur || strlen(cur) != 3 || !label)
            return err_set_field(WASL_EINVAL, "request.invalid_field", "fees",
                                 "each fee is {\"amount\": number >= 0, \"currency\": \"MAD\", \"label\": text}");
        struct guide_fee *l = realloc(v->fees, sizeof(*l) * (i + 1));
        if (!l)
            return WASL_ENOMEM;
        v->fees = l;
        memset(&l[i], 0, sizeof(l[i]));
        l[i].amount = json_number_value(amount);
        snprintf(l[i].currency, sizeof(l[i].currency), "%s", cur);
        if (!(l[i].label = strdup(label)))
            return WASL_ENOMEM;
        v->nfees++;
    }
    return 0;
}

/* ---- articles ---- */

struct list_ctx {
    json_t *list;
};

static int add_summary(const struct guide_summary *s, void *arg)
{
    struct list_ctx *c = arg;
    json_t *langs = json_object();
    for (int i = 0; i < wasl_nlanguages; i++) {
        const struct guide_lang_state *l = &s->langs[i];
        if (!l->latest)
            continue;
        json_object_set_new(langs, wasl_languages[i],
                            json_pack("{s:i, s:i, s:s, s:s?, s:b}", "published", l->published, "latest", l->latest, "latest_status",
                                      l->latest_status, "latest_effective_on",
                                      l->latest_effective_on[0] ? l->latest_effective_on : NULL, "outdated", l->outdated));
    }
    return json_array_append_new(c->list,
                                 json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "slug", s->a.slug, "category", s->a.category,
                                           "audience", s->a.audience, "source_language", s->a.source_language, "title", s->title,
                                           "title_lang", s->title_lang, "languages", langs))
               ? WASL_ENOMEM
               : 0;
}

int api_guide_articles(struct http_req *r)
{
    struct list_ctx c = {json_array()};
    int err = guide_articles_list(APP(r)->db, http_query(r, "category"), http_query(r, "lang"), add_summary, &c);
    if (err) {
        json_decref(c.list);
        return err;
    }
    return http_reply_json(r, 200, json_pack("{s:o}", "articles", c.list));
}

int api_guide_article_create(struct http_req *r)
{
    const char *slug = NULL, *category = NULL, *audience = NULL, *source = NULL;
    json_t *kw = NULL, *version = NULL;
    struct json_spec spec[] = {
        {"slug", JS_STR, true, 79, 0, 0, &slug, NULL},         {"category", JS_STR, true, 31, 0, 0, &category, NULL},
        {"audience", JS_STR, true, 11, 0, 0, &audience, NULL}, {"source_language", JS_STR, true, 3, 0, 0, &source, NULL},
        {"keywords", JS_OBJECT, false, 0, 0, 0, &kw, NULL},    {"version", JS_OBJECT, true, 0, 0, 0, &version, NULL},
    };
    struct guide_article a = {0};
    struct guide_version v;
    int64_t id;
    int err;

    if ((err = http_body_json(r, spec, sizeof(spec) / sizeof(spec[0]))))
        return err;
    snprintf(a.slug, sizeof(a.slug), "%s", slug);
    snprintf(a.category, sizeof(a.category), "%s", category);
    snprintf(a.audience, sizeof(a.audience), "%s", audience);
    snprintf(a.source_language, sizeof(a.source_language), "%s", source);
    /* The first version's fields are in the "version" object. */
    if (!(err = version_from_json(version, &v, false))) {
        a.keywords = kw ? json_dumps(kw, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        err = guide_article_create(APP(r)->db, &r->actor, &a, &v, &id);
        free(a.keywords);
    }
    guide_version_clear(&v);
    if (err)
        return err;
    if ((err = guide_version_get(APP(r)->db, id, &v)))
        return err;
    json_t *j = version_json(r, &v, NULL);
    guide_version_clear(&v);
    return http_reply_json(r, 201, j);
}

int api_guide_article_get(struct http_req *r)
{
    const char *lang = http_query(r, "lang");
    const char *readable[2] = {r->session.user.language, NULL};
    struct guide_view v;
    int err;

    if (!lang)
        lang = r->session.user.language;
    if ((err = guide_view_get(APP(r)->db, http_param(r, "slug"), lang, http_query(r, "at"), readable, 1, &v)))
        return err;
    json_t *j = json_pack("{s:o, s:o, s:s, s:b, s:b, s:i}", "article", article_json(&v.article), "text",
                          version_json(r, &v.v, v.asked_lang), "asked_lang", v.asked_lang, "fallback", v.fallback,
                          "translation_outdated", v.translation_outdated, "source_version", v.source_version);
    if (j && v.has_upcoming)
        json_object_set_new(j, "upcoming", json_pack("{s:i, s:s}", "version", v.upcoming_version, "effective_on", v.upcoming_on));
    if (j && v.source_upcoming)
        json_object_set_new(j, "source_upcoming",
                            json_pack("{s:s, s:i, s:s}", "lang", v.article.source_language, "version", v.source_upcoming_version,
                                      "effective_on", v.source_upcoming_on));
    guide_view_clear(&v);
    return http_reply_json(r, 200, j);
}

static int add_version(const struct guide_version *v, void *arg)
{
    return json_array_append_new(arg, version_json(NULL, v, NULL)) ? WASL_ENOMEM : 0;
}

int api_guide_versions(struct http_req *r)
{
    json_t *list = json_array();
    int err = guide_versions_list(APP(r)->db, http_param(r, "slug"), http_query(r, "lang"), add_version, list);
    if (!err && json_array_size(list) == 0) {
        struct guide_article a;
        if ((err = guide_article_get(APP(r)->db, http_param(r, "slug"), &a)) == 0)
            free(a.keywords);
    }
    if (err) {
        json_decref(list);
        return err;
    }
    return http_reply_json(r, 200, json_pack("{s:o}", "versions", list));
}

int api_guide_version_add(struct http_req *r)
{
    struct guide_version v;
    int64_t id;
    int err;

    memset(&v, 0, sizeof(v));
    if (!(err = http_body_load(r)) && !(err = version_from_json(http_body_root(r), &v, true)))
        err = guide_version_add(APP(r)->db, &r->actor, http_param(r, "slug"), &v, &id);
    guide_version_clear(&v);
    if (err || (err = guide_version_get(APP(r)->db, id, &v)))
        return err;
    json_t *j = version_json(r, &v, NULL);
    guide_version_clear(&v);
    return http_reply_json(r, 201, j);
}

int api_guide_version_get(struct http_req *r)
{
    struct guide_version v;
    int64_t id;
    int err;
    if ((err = api_param_id(r, "id", &id)) || (err = guide_version_get(APP(r)->db, id, &v)))
        return err;
    json_t *j = version_json(r, &v, v.lang);
    guide_version_clear(&v);
    return http_reply_json(r, 200, j);
}

static int reply_version(struct http_req *r, int64_t id)
{
    struct guide_version v;
    int err = guide_version_get(APP(r)->db, id, &v);
    if (err)
        return err;
    json_t *j = version_json(r, &v, NULL);
    guide_version_clear(&v);
    return http_reply_json(r, 200, j);
}

int api_guide_submit(struct http_req *r)
{
    int64_t id;
    int err;
    if ((err = api_param_id(r, "id", &id)) || (err = guide_submit(APP(r)->db, &r->actor, id)))
        return err;
    return reply_version(r, id);
}

int api_guide_approve(struct http_req *r)
{
    const char *effective_on = NULL, *note = NULL;
    json_t *questions = NULL;
    struct json_spec spec[] = {
        {"effective_on", JS_STR, false, 10, 0, 0, &effective_on, NULL},
        {"note", JS_STR, false, 1000, 0, 0, &note, NULL},
        {"questions", JS_ARRAY, false, BRIEF_QUESTIONS_MAX, 0, 0, &questions, NULL},
    };
    int64_t id;
    int err;
    if ((err = api_param_id(r, "id", &id)) || (r->body && (err = http_body_json(r, spec, 3))))
        return err;
    /* The briefing's questions (src/brief checks them when the version amends an earlier one). */
    char *extra = questions ? json_dumps(questions, JSON_COMPACT) : NULL;
    if (questions && !extra)
        return WASL_ENOMEM;
    err = guide_approve(APP(r)->db, &r->actor, id, effective_on, note, extra);
    free(extra);
    return err ? err : reply_version(r, id);
}

int api_guide_reject(struct http_req *r)
{
    const char *note = NULL;
    struct json_spec spec[] = {{"note", JS_STR, true, 1000, 0, 0, &note, NULL}};
    int64_t id;
    int err;
    if ((err = api_param_id(r, "id", &id)) || (err = http_body_json(r, spec, 1)) ||
        (err = guide_reject(APP(r)->db, &r->actor, id, note)))
        return err;
    return reply_version(r, id);
}

int api_guide_review(struct http_req *r)
{
    json_t *list = json_array();
    int err = guide_review_queue(APP(r)->db, add_version, list);
    if (err) {
        json_decref(list);
        return err;
    }
    return http_reply_json(r, 200, json_pack("{s:o}", "versions", list));
}

int api_guide_diff(struct http_req *r)
{
    long long from = 0, to = 0;
    char *json;
    int err;
    if ((err = api_query_int(r, "from", 1, INT64_MAX, &from)) || (err = api_query_int(r, "to", 1, INT64_MAX, &to)))
        return err;
    if (!from || !to)
        return err_set_field(WASL_EINVAL, "request.missing_parameter", from ? "to" : "from", "give both from and to version ids");
    if ((err = guide_diff(APP(r)->db, from, to, &json)))
        return err;
    http_add_header(r, "Cache-Control", "no-store");
    return http_reply_text(r, 200, "application/json; charset=utf-8", json, strlen(json));
}

int api_guide_preview(struct http_req *r)
{
    const char *body = NULL, *lang = NULL;
    struct json_spec spec[] = {
        {"body", JS_STR, true, GUIDE_BODY_MAX, 0, 0, &body, NULL},
        {"lang", JS_STR, false, WASL_LANG_CODE_MAX - 1, 0, 0, &lang, NULL},
    };
    char *html;
    int err;
    if ((err = http_body_json(r, spec, 2)) || (err = guide_render_body(APP(r)->db, body, lang ? lang : "", &html)))
        return err;
    json_t *j = json_pack("{s:s}", "html", html);
    free(html);
    return http_reply_json(r, 200, j);
}

/* ---- coverage and the translation queue ---- */

int api_guide_coverage(struct http_req *r)
{
    struct guide_coverage cov[WASL_LANG_MAX];
    int err = guide_coverage(APP(r)->db, cov);
    if (err)
        return err;
    json_t *list = json_array();
    for (int i = 0; list && i < wasl_nlanguages; i++)
        json_array_append_new(list, json_pack("{s:s, s:i, s:i, s:i, s:i, s:i}", "lang", cov[i].lang, "articles", cov[i].articles,
                                              "published", cov[i].published, "missing", cov[i].missing, "outdated", cov[i].outdated,
                                              "pending", cov[i].pending));
    return http_reply_json(r, 200, json_pack("{s:o}", "languages", list));
}

static int add_queue_item(const struct guide_queue_item *q, void *arg)
{
    const struct guide_summary *s = q->s;
    return json_array_append_new(arg, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:s?, s:i}", "slug", s->a.slug,
                                                "category", s->a.category, "source_language", s->a.source_language, "title",
                                                s->title, "title_lang", s->title_lang, "state", q->state, "source_on", q->source_on,
                                                "source_version", q->source_version, "translated_version", q->translated_version,
                                                "pending_status", *q->pending_status ? q->pending_status : NULL, "pending_version",
                                                q->pending_version))
               ? WASL_ENOMEM
               : 0;
}

int api_guide_queue(struct http_req *r)
{
    json_t *list = json_array();
    int err = guide_translation_queue(APP(r)->db, http_query(r, "lang"), add_queue_item, list);
    if (err) {
        json_decref(list);
        return err;
    }
    return http_reply_json(r, 200, json_pack("{s:s, s:o}", "lang", http_query(r, "lang"), "articles", list));
}

int api_guide_categories(struct http_req *r)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < guide_category_count; i++)
        json_array_append_new(list, json_string(guide_categories[i]));
    return http_reply_json(r, 200, json_pack("{s:o}", "categories", list));
}

/* ---- search ---- */

static json_t *rule_json(const struct entry_rule *e, bool listed)
{
    return json_pack("{s:s, s:s, s:o, s:s, s:s, s:s, s:s, s:s, s:b, s:b}", "nationality", e->nationality, "regime", e->regime,
                     "max_stay_days", e->max_stay_days ? json_integer(e->max_stay_days) : json_null(), "passport_validity",
                     e->passport_validity, "notes", e->notes, "source", e->source, "as_of", e->as_of, "confidence", e->confidence,
                     "verified", e->verified, "listed", listed);
}

static void add_key(struct sbuf *b, const char *key, const char *value)
{
    sbuf_add(b, ",", 1);
    json_add_string(b, key);
    sbuf_add(b, ":", 1);
    if (value)
        json_add_string(b, value);
    else
        sbuf_adds(b, "null");
}

/* The search reply is written directly rather than built as a jansson tree:
 * it is the hottest reply of the API (every keystroke of every agent). */
static char *search_json(const struct guide_search *s)
{
    struct sbuf b;
    sbuf_init(&b, 1 << 20);
    sbuf_adds(&b, "{\"query\":");
    json_add_string(&b, s->query);
    add_key(&b, "lang", s->lang);
    sbuf_addf(&b, ",\"cut\":%s,\"entry_intent\":%s", s->cut ? "true" : "false", s->entry_intent ? "true" : "false");
    add_key(&b, "corrected_query", s->corrected ? s->corrected_query : NULL);
    add_key(&b, "nationality", s->nationality[0] ? s->nationality : NULL);
    if (s->cut)
        sbuf_addf(&b, ",\"notice\":\"the query was cut to its first %d bytes\"", GUIDE_QUERY_MAX);
    if (s->log_id)
        sbuf_addf(&b, ",\"search_id\":%lld", (long long)s->log_id);
    else
        sbuf_adds(&b, ",\"search_id\":null");
    if (s->entry_intent && s->nationality[0]) {
        struct entry_rule e;
        bool listed;
        json_t *rule = entry_rule_get(s->nationality, &e, &listed) == 0 ? rule_json(&e, listed) : NULL;
        char *rs = rule ? json_dumps(rule, JSON_COMPACT) : NULL;
        if (rs) {
            sbuf_adds(&b, ",\"entry_rule\":");
            sbuf_adds(&b, rs);
        }
        free(rs);
        json_decref(rule);
        err_clear();
    }
    sbuf_adds(&b, ",\"hits\":[");
    for (int i = 0; i < s->nhits; i++) {
        const struct guide_hit *h = &s->hits[i];
        sbuf_adds(&b, i ? ",{\"slug\":" : "{\"slug\":");
        json_add_string(&b, h->slug);
        add_key(&b, "lang", h->lang);
        add_key(&b, "category", h->category);
        add_key(&b, "title", h->title);
        add_key(&b, "title_html", h->title_html);
        add_key(&b, "snippet_html", h->snippet_html);
        sbuf_addf(&b, ",\"other_language\":%s,\"outdated\":%s}", h->other_language ? "true" : "false",
                  h->outdated ? "true" : "false");
    }
    sbuf_adds(&b, "]}");
    if (b.oom) {
        sbuf_release(&b);
        return NULL;
    }
    return sbuf_take(&b);
}

int api_guide_search(struct http_req *r)
{
    const char *q = http_query(r, "q"), *lang = http_query(r, "lang"), *log = http_query(r, "log");
    long long limit = 10;
    struct guide_search *s;
    char *body;
    int err;

    if (!q)
        return err_set_field(WASL_EINVAL, "request.missing_parameter", "q", "give the search words in q");
    if ((err = api_query_int(r, "limit", 1, 20, &limit)))
        return err;
    if (!lang)
        lang = r->session.user.language;
    if (!(s = malloc(sizeof(*s))))
        return WASL_ENOMEM;
    err = guide_search(APP(r)->db, q, lang, (int)limit, !log || strcmp(log, "0"), role_name(r->session.user.role), s);
    body = err ? NULL : search_json(s);
    free(s);
    if (err)
        return err;
    if (!body)
        return WASL_ENOMEM;
    http_add_header(r, "Cache-Control", "no-store");
    return http_reply_text(r, 200, "application/json; charset=utf-8", body, strlen(body));
}

int api_guide_search_opened(struct http_req *r)
{
    const char *slug = NULL;
    struct json_spec spec[] = {{"slug", JS_STR, true, 79, 0, 0, &slug, NULL}};
    int64_t id;
    int err;
    if ((err = api_param_id(r, "id", &id)) || (err = http_body_json(r, spec, 1)) ||
        (err = guide_search_opened(APP(r)->db, id, slug)))
        return err;
    return http_reply_empty(r, 204);
}

static int add_gap(const struct guide_gap *g, void *arg)
{
    return json_array_append_new(arg, json_pack("{s:s, s:s, s:i, s:i, s:i, s:o}", "query", g->query, "lang", g->lang, "searches",
                                                g->searches, "results", g->results, "opened", g->opened, "last_at",
                                                api_time(g->last_at)))
               ? WASL_ENOMEM
               : 0;
}

int api_guide_gaps(struct http_req *r)
{
    const char *kind = http_query(r, "kind");
    long long days = 30, limit = 100;
    int err;
    if ((err = api_query_int(r, "days", 1, 3650, &days)) || (err = api_query_int(r, "limit", 1, 1000, &limit)))
        return err;
    json_t *list = json_array();
    err = guide_gaps(APP(r)->db, kind ? kind : "zero", clock_now() - days * 86400 * WTIME_SEC, (int)limit, add_gap, list);
    if (err) {
        json_decref(list);
        return err;
    }
    return http_reply_json(r, 200,
                           json_pack("{s:s, s:I, s:o}", "kind", kind ? kind : "zero", "days", (json_int_t)days, "gaps", list));
}

/* ---- synonyms ---- */

static int add_syn(const struct guide_synonym *s, void *arg)
{
    return json_array_append_new(
               arg, json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)s->id, "group", s->group, "lang", s->lang, "term", s->term))
               ? WASL_ENOMEM
               : 0;
}

int api_guide_synonyms(struct http_req *r)
{
    json_t *list = json_array();
    int err = guide_synonyms_list(APP(r)->db, add_syn, list);
    if (err) {
        json_decref(list);
        return err;
    }
    return http_reply_json(r, 200, json_pack("{s:o}", "synonyms", list));
}

int api_guide_synonym_add(struct http_req *r)
{
    const char *group = NULL, *lang = NULL, *term = NULL;
    struct json_spec spec[] = {
        {"group", JS_STR, true, 63, 0, 0, &group, NULL},
        {"lang", JS_STR, true, WASL_LANG_CODE_MAX - 1, 0, 0, &lang, NULL},
        {"term", JS_STR, true, 120, 0, 0, &term, NULL},
    };
    int64_t id;
    int err;
    if ((err = http_body_json(r, spec, 3)) || (err = guide_synonym_add(APP(r)->db, &r->actor, group, lang, term, &id)))
        return err;
    return http_reply_json(r, 201,
                           json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)id, "group", group, "lang", lang, "term", term));
}

int api_guide_synonym_delete(struct http_req *r)
{
    int64_t id;
    int err;
    if ((err = api_param_id(r, "id", &id)) || (err = guide_synonym_delete(APP(r)->db, &r->actor, id)))
        return err;
    return http_reply_empty(r, 204);
}

/* ---- entry rules ---- */

int api_entry_rules(struct http_req *r)
{
    struct entry_rule e;
    bool listed;
    int err = entry_rule_get(http_query(r, "nationality"), &e, &listed);
    if (err)
        return err;
    return http_reply_json(r, 200, rule_json(&e, listed));
}

static int add_nationality(const char *iso, const char *const names[WASL_LANG_MAX], void *arg)
{
    json_t *n = json_object();
    for (int l = 0; n && l < wasl_nlanguages; l++)
        json_object_set_new(n, wasl_languages[l], json_string(names[l]));
    return json_array_append_new(arg, json_pack("{s:s, s:o}", "iso2", iso, "name", n)) ? WASL_ENOMEM : 0;
}

int api_nationalities(struct http_req *r)
{
    json_t *list = json_array();
    int err = guide_nationalities(add_nationality, list);
    if (err) {
        json_decref(list);
        return err;
    }
    return http_reply_json(r, 200, json_pack("{s:o}", "nationalities", list));
}
