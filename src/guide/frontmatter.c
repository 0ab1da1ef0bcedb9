/*
 * Article files: "<lang>.md" with a front-matter block (key: value lines,
 * lists as "  - item" lines) and a CommonMark body; and the checks every
 * version passes whether it comes from a file or from the API.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "guide_int.h"

void guide_version_clear(struct guide_version *v)
{
    free(v->title);
    free(v->summary);
    free(v->body);
    for (int i = 0; i < v->ndocuments; i++)
        free(v->documents[i]);
    free(v->documents);
    for (int i = 0; i < v->nfees; i++)
        free(v->fees[i].label);
    free(v->fees);
    free(v->processing_time);
    free(v->where_to_apply);
    free(v->source);
    free(v->author);
    free(v->reason);
    free(v->reviewer);
    free(v->review_note);
    memset(v, 0, sizeof(*v));
}

static int line_error(const char *name, int line, const char *what)
{
    return err_set(WASL_EINVAL, "guide.bad_file", "%s:%d: %s", name, line, what);
}

/* "860 MAD: label" -> fee. */
static int parse_fee(const char *s, struct guide_fee *f)
{
    char *end;
    const char *colon = strchr(s, ':');
    double amount = strtod(s, &end);
    size_t cl;

    if (end == s || amount < 0 || amount > 1e9 || *end != ' ' || !colon || colon < end)
        return -1;
    while (*end == ' ')
        end++;
    cl = (size_t)(colon - end);
    if (cl != 3)
        return -1;
    for (size_t i = 0; i < 3; i++)
        if (!isupper((unsigned char)end[i]))
            return -1;
    memcpy(f->currency, end, 3);
    f->currency[3] = '\0';
    f->amount = amount;
    colon++;
    while (*colon == ' ')
        colon++;
    return (f->label = strdup(colon)) ? 0 : -1;
}

static int push_str(char ***list, int *n, const char *s)
{
    char **l;
    if (*n >= GUIDE_LIST_MAX)
        return WASL_ELIMIT;
    if (!(l = realloc(*list, sizeof(*l) * (size_t)(*n + 1))))
        return WASL_ENOMEM;
    *list = l;
    return (l[(*n)++] = strdup(s)) ? 0 : WASL_ENOMEM;
}

static int push_fee(struct guide_version *v, const char *s)
{
    struct guide_fee f = {0}, *l;
    if (v->nfees >= GUIDE_LIST_MAX)
        return WASL_ELIMIT;
    if (parse_fee(s, &f))
        return WASL_EINVAL;
    if (!(l = realloc(v->fees, sizeof(*l) * (size_t)(v->nfees + 1)))) {
        free(f.label);
        return WASL_ENOMEM;
    }
    v->fees = l;
    l[v->nfees++] = f;
    return 0;
}

static char **text_field(struct guide_version *v, const char *key)
{
    if (!strcmp(key, "title"))
        return &v->title;
    if (!strcmp(key, "summary"))
        return &v->summary;
    if (!strcmp(key, "processing_time"))
        return &v->processing_time;
    if (!strcmp(key, "where_to_apply"))
        return &v->where_to_apply;
    if (!strcmp(key, "source"))
        return &v->source;
    return NULL;
}

int guide_file_parse(const char *text, size_t n, const char *name, struct guide_version *v)
{
    char *buf = NULL, *p, *line, *next;
    const char *list = NULL; /* key of the list being read */
    int lineno = 0, err = 0;

    if (n > GUIDE_BODY_MAX + 20000)
        return err_set(WASL_ETOOBIG, "guide.bad_file", "%s: larger than %d bytes", name, GUIDE_BODY_MAX + 20000);
    if (!utf8_valid(text, n) || memchr(text, '\0', n))
        return line_error(name, 1, "not valid UTF-8 text");
    if (!(buf = strndup(text, n)))
        return WASL_ENOMEM;
    p = buf;
    if (strncmp(p, "---\n", 4) != 0 && strncmp(p, "---\r\n", 5) != 0) {
        err = line_error(name, 1, "the file must start with a front-matter block (---)");
        goto out;
    }
    p = strchr(p, '\n') + 1;
    lineno = 1;
    for (;; p = next) {
        if (!*p) {
            err = line_error(name, lineno, "the front matter is not closed (---)");
            goto out;
        }
        lineno++;
        line = p;
        next = strchr(p, '\n');
        if (next)
            *next++ = '\0';
        else
            next = p + strlen(p);
        size_t ll = strlen(line);
        if (ll && line[ll - 1] == '\r')
            line[--ll] = '\0';
        if (!strcmp(line, "---"))
            break;
        if (!ll || line[0] == '#')
            continue;
        if (!strncmp(line, "  - ", 4) || !strncmp(line, "- ", 2)) {
            const char *item = line + (line[0] == '-' ? 2 : 4);
            if (!list) {
                err = line_error(name, lineno, "a list item outside documents: or fees:");
                goto out;
            }
            if (!strcmp(list, "documents"))
                err = push_str(&v->documents, &v->ndocuments, item);
            else
                err = push_fee(v, item);
            if (err == WASL_EINVAL) {
                err = line_error(name, lineno, "a fee must read '<amount> <CUR>: <label>', e.g. '860 MAD: Adult passport'");
                goto out;
            }
            if (err) {
                err = line_error(name, lineno, err == WASL_ELIMIT ? "too many list items" : "out of memory");
                goto out;
            }
            continue;
        }
        char *colon = strchr(line, ':');
        if (!colon) {
            err = line_error(name, lineno, "expected 'key: value'");
            goto out;
        }
        *colon = '\0';
        char *val = colon + 1;
        while (*val == ' ')
            val++;
        list = NULL;
        char **f = text_field(v, line);
        if (f) {
            free(*f);
            if (!(*f = strdup(val))) {
                err = WASL_ENOMEM;
                goto out;
            }
        } else if (!strcmp(line, "documents") || !strcmp(line, "fees")) {
            if (*val) {
                err = line_error(name, lineno, "a list key takes its items on the following lines");
                goto out;
            }
            list = !strcmp(line, "documents") ? "documents" : "fees";
        } else if (!strcmp(line, "checked_on")) {
            snprintf(v->checked_on, sizeof(v->checked_on), "%.11s", val);
        } else if (!strcmp(line, "confidence")) {
            snprintf(v->confidence, sizeof(v->confidence), "%.1s", val);
        } else if (!strcmp(line, "translates")) {
            v->translates = atoi(val);
        } else {
            char msg[120];
            snprintf(msg, sizeof(msg), "unknown key '%.60s'", line);
            err = line_error(name, lineno, msg);
            goto out;
        }
    }
    /* The body: everything after the closing ---, without leading blank lines. */
    while (*next == '\n' || *next == '\r')
        next++;
    if (!(v->body = strdup(next))) {
        err = WASL_ENOMEM;
        goto out;
    }
    err = guide_version_check(v);
    if (err) {
        char msg[300];
        snprintf(msg, sizeof(msg), "%s", err_message());
        err = err_set_field(err, "guide.bad_file", err_field(), "%s: %s", name, msg);
    }
out:
    free(buf);
    return err;
}

static int check_text(const char *s, const char *field, size_t max, bool required, bool one_line)
{
    if (!s || !*s)
        return required ? err_set_field(WASL_EINVAL, "guide.invalid_field", field, "'%s' is required", field) : 0;
    size_t n = strlen(s);
    if (n > max)
        return err_set_field(WASL_EINVAL, "guide.invalid_field", field, "'%s' must be at most %zu bytes", field, max);
    if (!utf8_valid(s, n))
        return err_set_field(WASL_EINVAL, "guide.invalid_field", field, "'%s' is not valid UTF-8", field);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p < 0x20 && (one_line || (*p != '\n' && *p != '\t' && *p != '\r'))) || *p == 0x7f)
            return err_set_field(WASL_EINVAL, "guide.invalid_field", field, "'%s' holds a control character", field);
    return 0;
}

int guide_day_valid(const char *day)
{
    int y, m, d;
    char tail;
    if (!day || sscanf(day, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || strlen(day) != 10 || y < 1900 || y > 2200 || m < 1 ||
        m > 12 || d < 1 || d > 31)
        return 0;
    int y2, m2, d2;
    civil_from_days(days_from_civil(y, m, d), &y2, &m2, &d2);
    return y2 == y && m2 == m && d2 == d;
}

int guide_version_check(const struct guide_version *v)
{
    int err;
    if ((err = check_text(v->title, "title", GUIDE_TITLE_MAX, true, true)) ||
        (err = check_text(v->summary, "summary", GUIDE_SUMMARY_MAX, true, true)) ||
        (err = check_text(v->body, "body", GUIDE_BODY_MAX, true, false)) ||
        (err = check_text(v->processing_time, "processing_time", GUIDE_FIELD_MAX, false, true)) ||
        (err = check_text(v->where_to_apply, "where_to_apply", GUIDE_FIELD_MAX, false, true)) ||
        (err = check_text(v->source, "source", GUIDE_FIELD_MAX, false, true)))
        return err;
    for (int i = 0; i < v->ndocuments; i++)
        if ((err = check_text(v->documents[i], "documents", GUIDE_FIELD_MAX, true, true)))
            return err;
    for (int i = 0; i < v->nfees; i++)
        if ((err = check_text(v->fees[i].label, "fees", GUIDE_FIELD_MAX, true, true)))
            return err;
    if (v->checked_on[0] && !guide_day_valid(v->checked_on))
        return err_set_field(WASL_EINVAL, "guide.invalid_field", "checked_on", "'checked_on' must be a date YYYY-MM-DD");
    if (v->confidence[0] && !strchr("VSU", v->confidence[0]))
        return err_set_field(WASL_EINVAL, "guide.invalid_field", "confidence", "'confidence' must be V, S or U");
    if (strchr(v->body, '<')) {
        /* Markdown only: the renderer drops raw HTML anyway; refusing it
         * tells the editor rather than losing their text silently. */
        for (const char *p = strchr(v->body, '<'); p; p = strchr(p + 1, '<'))
            if (isalpha((unsigned char)p[1]) || p[1] == '/' || p[1] == '!')
                return err_set_field(WASL_EINVAL, "guide.html_not_allowed", "body",
                                     "the body is Markdown; HTML tags are not accepted");
    }
    return 0;
}

char *guide_file_write(const struct guide_version *v)
{
    struct sbuf b;
    sbuf_init(&b, 1u << 20);
    sbuf_addf(&b, "---\ntitle: %s\nsummary: %s\ndocuments:\n", v->title, v->summary);
    for (int i = 0; i < v->ndocuments; i++)
        sbuf_addf(&b, "  - %s\n", v->documents[i]);
    sbuf_adds(&b, "fees:\n");
    for (int i = 0; i < v->nfees; i++)
        sbuf_addf(&b, "  - %g %s: %s\n", v->fees[i].amount, v->fees[i].currency, v->fees[i].label);
    sbuf_addf(&b, "processing_time: %s\nwhere_to_apply: %s\nsource: %s\nchecked_on: %s\nconfidence: %s\n",
              v->processing_time ? v->processing_time : "", v->where_to_apply ? v->where_to_apply : "", v->source ? v->source : "",
              v->checked_on, v->confidence);
    if (v->translates)
        sbuf_addf(&b, "translates: %d\n", v->translates);
    sbuf_addf(&b, "---\n%s", v->body);
    if (b.oom) {
        sbuf_release(&b);
        return NULL;
    }
    return sbuf_take(&b);
}

char *guide_documents_json(const struct guide_version *v)
{
    json_t *a = json_array();
    char *s;
    for (int i = 0; a && i < v->ndocuments; i++)
        json_array_append_new(a, json_string(v->documents[i]));
    s = a ? json_dumps(a, JSON_COMPACT) : NULL;
    json_decref(a);
    return s;
}

char *guide_fees_json(const struct guide_version *v)
{
    json_t *a = json_array();
    char *s;
    for (int i = 0; a && i < v->nfees; i++)
        json_array_append_new(a, json_pack("{s:f, s:s, s:s}", "amount", v->fees[i].amount, "currency", v->fees[i].currency, "label",
                                           v->fees[i].label));
    s = a ? json_dumps(a, JSON_COMPACT) : NULL;
    json_decref(a);
    return s;
}

int guide_documents_from_json(const char *json, struct guide_version *v)
{
    json_t *a = json_loads(json ? json : "[]", 0, NULL), *x;
    size_t i;
    int err = 0;
    if (!json_is_array(a)) {
        json_decref(a);
        return err_set(WASL_EDB, "guide.corrupt", "stored documents are not a JSON list");
    }
    json_array_foreach(a, i, x) if (!err && json_is_string(x)) err = push_str(&v->documents, &v->ndocuments, json_string_value(x));
    json_decref(a);
    return err;
}

static const char *str_or(const char *s)
{
    return s ? s : "";
}

int guide_fees_from_json(const char *json, struct guide_version *v)
{
    json_t *a = json_loads(json ? json : "[]", 0, NULL), *x;
    size_t i;
    if (!json_is_array(a)) {
        json_decref(a);
        return err_set(WASL_EDB, "guide.corrupt", "stored fees are not a JSON list");
    }
    json_array_foreach(a, i, x)
    {
        struct guide_fee *l = realloc(v->fees, sizeof(*l) * (size_t)(v->nfees + 1));
        if (!l)
            break;
        v->fees = l;
        memset(&l[v->nfees], 0, sizeof(l[0]));
        l[v->nfees].amount = json_number_value(json_object_get(x, "amount"));
        snprintf(l[v->nfees].currency, 4, "%s", str_or(json_string_value(json_object_get(x, "currency"))));
        l[v->nfees].label = strdup(str_or(json_string_value(json_object_get(x, "label"))));
        v->nfees++;
    }
    json_decref(a);
    return 0;
}
