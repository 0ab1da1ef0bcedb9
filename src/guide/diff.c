/*
 * Differences between two versions: field by field, lists item by item and
 * the body line by line (src/diff's edit script), as JSON for the
 * editor's history view.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "guide_int.h"
#include "diff/diff.h"

static int split_lines(const char *s, char ***out)
{
    int n = 0, cap = 64;
    char **l = malloc(sizeof(*l) * (size_t)cap);
    const char *p = s;
    if (!l)
        return -1;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (n == cap) {
            char **nl = realloc(l, sizeof(*l) * (size_t)(cap *= 2));
            if (!nl)
                goto fail;
            l = nl;
        }
        if (!(l[n++] = strndup(p, len)))
            goto fail;
        p += len + (e ? 1 : 0);
    }
    *out = l;
    return n;
fail:
    for (int i = 0; i < n; i++)
        free(l[i]);
    free(l);
    return -1;
}

static void free_lines(char **l, int n)
{
    for (int i = 0; i < n; i++)
        free(l[i]);
    free(l);
}

static int line_h(char op, const struct diff_tok *t, void *arg)
{
    char o[2] = {op, 0};
    return json_array_append_new(arg, json_pack("{s:s, s:s%}", "op", o, "line", t->p, t->n)) ? WASL_ENOMEM : 0;
}

/* [{"op":"=","line":...}, {"op":"-",...}, {"op":"+",...}]; lists too long
 * to compare (src/diff's cap) are shown as all removed, then all added. */
static json_t *diff_lists(char **a, int n, char **b, int m)
{
    json_t *out = json_array();
    struct diff_tok *ta = calloc((size_t)n + 1, sizeof(*ta)), *tb = calloc((size_t)m + 1, sizeof(*tb));
    int err = out && ta && tb ? 0 : WASL_ENOMEM;

    for (int i = 0; !err && i < n; i++)
        ta[i] = (struct diff_tok){a[i], strlen(a[i])};
    for (int j = 0; !err && j < m; j++)
        tb[j] = (struct diff_tok){b[j], strlen(b[j])};
    if (!err && (err = diff_seq(ta, (size_t)n, tb, (size_t)m, line_h, out)) == WASL_ELIMIT) {
        err_clear();
        json_array_clear(out);
        err = 0;
        for (int i = 0; !err && i < n; i++)
            err = line_h('-', &ta[i], out);
        for (int j = 0; !err && j < m; j++)
            err = line_h('+', &tb[j], out);
    }
    free(ta);
    free(tb);
    if (err) {
        json_decref(out);
        return NULL;
    }
    return out;
}

static void field(json_t *fields, const char *name, const char *a, const char *b)
{
    if (strcmp(a ? a : "", b ? b : ""))
        json_object_set_new(fields, name, json_pack("{s:s, s:s}", "old", a ? a : "", "new", b ? b : ""));
}

static char **fee_lines(const struct guide_version *v)
{
    char **l = calloc((size_t)v->nfees + 1, sizeof(*l));
    for (int i = 0; l && i < v->nfees; i++) {
        char buf[GUIDE_FIELD_MAX + 40];
        snprintf(buf, sizeof(buf), "%g %s: %s", v->fees[i].amount, v->fees[i].currency, v->fees[i].label);
        l[i] = strdup(buf);
    }
    return l;
}

int guide_diff(struct db *db, int64_t ida, int64_t idb, char **json_out)
{
    struct guide_version a, b;
    char **la = NULL, **lb = NULL;
    int na = 0, nb = 0, err;
    json_t *out = NULL, *fields;

    if ((err = guide_version_get(db, ida, &a)))
        return err;
    if ((err = guide_version_get(db, idb, &b))) {
        guide_version_clear(&a);
        return err;
    }
    if (strcmp(a.slug, b.slug)) {
        err = err_set(WASL_EINVAL, "guide.diff_articles", "both versions must belong to the same article");
        goto out;
    }
    fields = json_object();
    field(fields, "title", a.title, b.title);
    field(fields, "summary", a.summary, b.summary);
    field(fields, "processing_time", a.processing_time, b.processing_time);
    field(fields, "where_to_apply", a.where_to_apply, b.where_to_apply);
    field(fields, "source", a.source, b.source);
    field(fields, "checked_on", a.checked_on, b.checked_on);
    field(fields, "confidence", a.confidence, b.confidence);
    json_t *docs = diff_lists(a.documents, a.ndocuments, b.documents, b.ndocuments);
    char **fa = fee_lines(&a), **fb = fee_lines(&b);
    json_t *fees = fa && fb ? diff_lists(fa, a.nfees, fb, b.nfees) : NULL;
    free_lines(fa, fa ? a.nfees : 0);
    free_lines(fb, fb ? b.nfees : 0);
    na = split_lines(a.body, &la);
    nb = split_lines(b.body, &lb);
    json_t *body = na >= 0 && nb >= 0 ? diff_lists(la, na, lb, nb) : NULL;
    if (!docs || !fees || !body) {
        json_decref(docs);
        json_decref(fees);
        json_decref(body);
        json_decref(fields);
        err = WASL_ENOMEM;
        goto out;
    }
    out = json_pack("{s:{s:I, s:s, s:i}, s:{s:I, s:s, s:i}, s:o, s:o, s:o, s:o}", "from", "id", (json_int_t)a.id, "lang", a.lang,
                    "version", a.version, "to", "id", (json_int_t)b.id, "lang", b.lang, "version", b.version, "fields", fields,
                    "documents", docs, "fees", fees, "body", body);
    *json_out = out ? json_dumps(out, JSON_COMPACT) : NULL;
    if (!*json_out)
        err = WASL_ENOMEM;
out:
    json_decref(out);
    if (na > 0)
        free_lines(la, na);
    else
        free(la);
    if (nb > 0)
        free_lines(lb, nb);
    else
        free(lb);
    guide_version_clear(&a);
    guide_version_clear(&b);
    return err;
}
