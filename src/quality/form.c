/*
 * Evaluation forms: the JSON of a form file into sections and questions,
 * with every mistake named (file and line, or section, question and field),
 * and the scoring rules. No I/O: the fuzz target and the unit tests call
 * these directly.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "quality.h"

struct ctx {
    struct qf_form *f;
    const char *file;
    const char *section, *question; /* where we are, for messages */
};

static int fail(const struct ctx *c, const char *field, const char *what)
{
    if (c->question)
        return err_set(WASL_EINVAL, "quality.invalid_form", "%s: section '%.39s', question '%.39s': %s: %s", c->file, c->section,
                       c->question, field, what);
    if (c->section)
        return err_set(WASL_EINVAL, "quality.invalid_form", "%s: section '%.39s': %s: %s", c->file, c->section, field, what);
    return err_set(WASL_EINVAL, "quality.invalid_form", "%s: %s: %s", c->file, field, what);
}

void qf_free(struct qf_form *f)
{
    if (!f)
        return;
    for (int l = 0; l < WASL_LANG_MAX; l++) {
        free(f->name[l]);
        for (int i = 0; i < f->ns; i++)
            free(f->s[i].name[l]);
        for (int i = 0; i < f->nq; i++)
            free(f->q[i].text[l]);
    }
    free(f);
}

static bool id_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (!n || n >= QF_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
            return false;
    return true;
}

static int get_id(const struct ctx *c, json_t *o, char out[QF_ID_MAX])
{
    const char *s = json_string_value(json_object_get(o, "id"));
    if (!id_ok(s))
        return fail(c, "id", "1 to 39 characters among a-z 0-9 _ -");
    memcpy(out, s, strlen(s) + 1);
    return 0;
}

/* {"ar": "...", "fr": "...", ...}: texts in the center's languages
 * (data/languages.json); the fallback language's is required, another
 * missing one is the fallback's (counted, as the disposition names). */
static int get_texts(const struct ctx *c, json_t *o, const char *field, char *out[WASL_LANG_MAX])
{
    json_t *t = json_object_get(o, field), *v;
    const char *k;
    char what[120];
    int fb = language_fallback();
    if (!wasl_nlanguages)
        return fail(c, field, "the center's languages are not loaded (data/languages.json)");
    if (!json_is_object(t))
        return fail(c, field, "an object with a text per language code");
    json_object_foreach(t, k, v)
    {
        const char *s = json_string_value(v);
        if (!language_valid(k)) {
            snprintf(what, sizeof(what), "'%.20s' is not a language of data/languages.json (%s)", k, languages_list());
            return fail(c, field, what);
        }
        if (!s || !*s || strlen(s) > QF_TEXT_MAX || !utf8_valid(s, strlen(s))) {
            snprintf(what, sizeof(what), "the '%s' text is empty, not UTF-8 or over %d bytes", k, QF_TEXT_MAX);
            return fail(c, field, what);
        }
        if (!(out[language_index(k)] = strdup(s)))
            return WASL_ENOMEM;
    }
    if (!out[fb]) {
        snprintf(what, sizeof(what), "the '%s' text is missing (the fallback language's is required)", wasl_languages[fb]);
        return fail(c, field, what);
    }
    for (int l = 0; l < wasl_nlanguages; l++)
        if (!out[l]) {
            if (!(out[l] = strdup(out[fb])))
                return WASL_ENOMEM;
            c->f->missing_texts++;
        }
    return 0;
}

static int get_int(const struct ctx *c, json_t *o, const char *field, int lo, int hi, int def, int *out)
{
    json_t *v = json_object_get(o, field);
    char what[64];
    if (!v) {
        if (def < lo)
            return fail(c, field, "missing");
        *out = def;
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        snprintf(what, sizeof(what), "an integer from %d to %d", lo, hi);
        return fail(c, field, what);
    }
    *out = (int)json_integer_value(v);
    return 0;
}

static int only_fields(const struct ctx *c, json_t *o, const char *const *known)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        bool ok = false;
        for (int i = 0; known[i]; i++)
            ok |= !strcmp(k, known[i]);
        if (!ok) {
            char what[96];
            snprintf(what, sizeof(what), "unknown field '%.40s' (a typo would be ignored silently otherwise)", k);
            return fail(c, k, what);
        }
    }
    return 0;
}

static int parse_question(struct ctx *c, struct qf_form *f, int section, json_t *o)
{
    static const char *const fields[] = {"id", "text", "weight", "scale", "na", "critical", "comment", NULL};
    struct qf_question *q = &f->q[f->nq];
    int err;
    if (!json_is_object(o))
        return fail(c, "questions", "each question is an object");
    if ((err = get_id(c, o, q->id)))
        return err;
    c->question = q->id;
    for (int i = 0; i < f->nq; i++)
        if (!strcmp(f->q[i].id, q->id))
            return fail(c, "id", "used twice in the form (answers are keyed by it)");
    f->nq++; /* owned from here: its texts are freed with the form */
    q->section = section;
    if ((err = only_fields(c, o, fields)) || (err = get_texts(c, o, "text", q->text)) ||
        (err = get_int(c, o, "weight", 0, 100, 1, &q->weight)))
        return err;
    json_t *scale = json_object_get(o, "scale");
    const char *sc = json_string_value(scale);
    int n = 0;
    char tail;
    if (!scale || (sc && !strcmp(sc, "yes_no"))) {
        q->yes_no = true;
        q->max = 1;
    } else if (sc && sscanf(sc, "0-%d%c", &n, &tail) == 1 && n >= 2 && n <= QF_SCALE_MAX && sc[2] >= '1' && sc[2] <= '9') {
        q->max = n;
    } else {
        return fail(c, "scale", "\"yes_no\" or \"0-n\" with n from 2 to 10");
    }
    json_t *na = json_object_get(o, "na");
    if (na && !json_is_boolean(na))
        return fail(c, "na", "true or false");
    q->na = json_is_true(na);
    json_t *cr = json_object_get(o, "critical");
    const char *crs = json_string_value(cr);
    if (!cr)
        q->critical = QF_CRIT_NONE;
    else if (crs && !strcmp(crs, "form"))
        q->critical = QF_CRIT_FORM;
    else if (crs && !strcmp(crs, "section"))
        q->critical = QF_CRIT_SECTION;
    else
        return fail(c, "critical", "\"form\" (its lowest answer makes the review 0) or \"section\" (its section 0)");
    json_t *com = json_object_get(o, "comment");
    if (com && !json_is_string(com))
        return fail(c, "comment", "a note for the form's editors, a string");
    c->question = NULL;
    return 0;
}

static int parse_section(struct ctx *c, struct qf_form *f, json_t *o)
{
    static const char *const fields[] = {"id", "name", "weight", "questions", "comment", NULL};
    struct qf_section *s = &f->s[f->ns];
    int err;
    if (!json_is_object(o))
        return fail(c, "sections", "each section is an object");
    if ((err = get_id(c, o, s->id)))
        return err;
    c->section = s->id;
    for (int i = 0; i < f->ns; i++)
        if (!strcmp(f->s[i].id, s->id))
            return fail(c, "id", "used twice in the form");
    f->ns++;
    if ((err = only_fields(c, o, fields)) || (err = get_texts(c, o, "name", s->name)) ||
        (err = get_int(c, o, "weight", 0, 100, -1, &s->weight)))
        return err;
    json_t *qs = json_object_get(o, "questions"), *x;
    size_t i;
    if (!json_is_array(qs) || !json_array_size(qs))
        return fail(c, "questions", "a list of at least one question");
    s->first = f->nq;
    json_array_foreach(qs, i, x)
    {
        if (f->nq >= QF_QUESTIONS_MAX) {
            char what[64];
            snprintf(what, sizeof(what), "more than %d questions in the form", QF_QUESTIONS_MAX);
            return fail(c, "questions", what);
        }
        if ((err = parse_question(c, f, f->ns - 1, x)))
            return err;
    }
    s->count = f->nq - s->first;
    int weighted = 0;
    for (int k = s->first; k < f->nq; k++)
        weighted += f->q[k].weight;
    if (s->weight > 0 && !weighted)
        return fail(c, "questions", "a section with a weight needs a question with a weight");
    c->section = NULL;
    return 0;
}

int qf_parse(const char *text, size_t len, const char *name, struct qf_form **out)
{
    static const char *const fields[] = {"id", "version", "name", "sections", "comment", NULL};
    struct ctx c = {.file = name};
    json_error_t je;
    struct qf_form *f = NULL;
    int err = 0;

    *out = NULL;
    if (len > QF_FILE_MAX)
        return err_set(WASL_ETOOBIG, "quality.invalid_form", "%s: over %d bytes", name, QF_FILE_MAX);
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return err_set(WASL_EINVAL, "quality.invalid_form", "%s:%d:%d: %s", name, je.line, je.column, je.text);
    if (!json_is_object(root)) {
        err = fail(&c, "form", "an object {\"id\", \"version\", \"name\", \"sections\"}");
        goto out;
    }
    if (!(f = calloc(1, sizeof(*f)))) {
        err = WASL_ENOMEM;
        goto out;
    }
    c.f = f;
    if ((err = only_fields(&c, root, fields)) || (err = get_id(&c, root, f->id)) ||
        (err = get_int(&c, root, "version", 1, 1000000, -1, &f->version)) || (err = get_texts(&c, root, "name", f->name)))
        goto out;
    json_t *ss = json_object_get(root, "sections"), *x;
    size_t i;
    if (!json_is_array(ss) || !json_array_size(ss) || json_array_size(ss) > QF_SECTIONS_MAX) {
        char what[64];
        snprintf(what, sizeof(what), "a list of 1 to %d sections", QF_SECTIONS_MAX);
        err = fail(&c, "sections", what);
        goto out;
    }
    int weighted = 0;
    json_array_foreach(ss, i, x)
    {
        if ((err = parse_section(&c, f, x)))
            goto out;
        weighted += f->s[f->ns - 1].weight;
    }
    if (!weighted)
        err = fail(&c, "sections", "every section has weight 0: nothing would be scored");
out:
    json_decref(root);
    if (err)
        qf_free(f);
    else
        *out = f;
    return err;
}

int qf_question_index(const struct qf_form *f, const char *id)
{
    for (int i = 0; i < f->nq; i++)
        if (!strcmp(f->q[i].id, id))
            return i;
    return -1;
}

int qf_score(const struct qf_form *f, const int *answers, struct qf_result *out)
{
    double total = 0, total_w = 0, raw = 0;

    memset(out, 0, sizeof(*out));
    for (int i = 0; i < f->nq; i++) {
        const struct qf_question *q = &f->q[i];
        int v = answers[i];
        if (v == QF_UNANSWERED)
            return err_set_field(WASL_EINVAL, "quality.unanswered", q->id, "question '%s' has no answer", q->id);
        if (v == QF_NA && !q->na)
            return err_set_field(WASL_EINVAL, "quality.na_not_allowed", q->id, "question '%s' cannot be answered N/A", q->id);
        if (v != QF_NA && (v < 0 || v > q->max))
            return err_set_field(WASL_EINVAL, "quality.invalid_answer", q->id, "question '%s' is answered from 0 to %d", q->id,
                                 q->max);
        if (v == 0 && q->critical == QF_CRIT_FORM)
            out->failed = true;
        if (v == 0 && q->critical == QF_CRIT_SECTION)
            out->section_failed[q->section] = true;
    }
    for (int s = 0; s < f->ns; s++) {
        const struct qf_section *sec = &f->s[s];
        double got = 0, w = 0;
        for (int i = sec->first; i < sec->first + sec->count; i++)
            if (answers[i] != QF_NA && f->q[i].weight > 0) {
                got += (double)answers[i] / f->q[i].max * f->q[i].weight;
                w += f->q[i].weight;
            }
        /* a failed critical question counts even when the rest is N/A */
        out->section_na[s] = w == 0 && !out->section_failed[s];
        double pct = w > 0 ? got / w * 100.0 : 0;
        out->section[s] = out->section_failed[s] ? 0 : pct;
        if (out->section_na[s] || sec->weight == 0)
            continue;
        raw += pct * sec->weight;
        total += out->section[s] * sec->weight;
        total_w += sec->weight;
    }
    if (total_w == 0 && !out->failed)
        return err_set(WASL_EINVAL, "quality.nothing_scored", "every weighted question is N/A: there is nothing to score");
    out->raw = total_w > 0 ? raw / total_w : 0;
    out->score = out->failed || total_w == 0 ? 0 : total / total_w;
    return 0;
}

void qf_spread(const double *v, int n, struct qf_spread *out)
{
    double sum = 0, sq = 0;
    memset(out, 0, sizeof(*out));
    if (n <= 0)
        return;
    out->min = out->max = v[0];
    for (int i = 0; i < n; i++) {
        out->min = v[i] < out->min ? v[i] : out->min;
        out->max = v[i] > out->max ? v[i] : out->max;
        sum += v[i];
    }
    out->mean = sum / n;
    for (int i = 0; i < n; i++)
        sq += (v[i] - out->mean) * (v[i] - out->mean);
    out->sd = sqrt(sq / n);
}
