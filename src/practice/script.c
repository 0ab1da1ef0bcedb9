/*
 * Practice scripts: the JSON of a script file into what the pretend caller
 * says and what the trainee should do, every mistake named (file and field,
 * or the JSON line); the scripts of data/practice/scripts kept for the
 * server; and the scoring of a trainee's record against a script. Parsing
 * and scoring do no I/O: the fuzz target and the unit tests call them.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <jansson.h>

#include "practice.h"
#include "cases/cases.h"
#include "guide/guide.h"

static struct practice_script *scripts;
static int nscripts;

static int fail(const char *file, const char *field, const char *what)
{
    return err_set(WASL_EINVAL, "practice.invalid_script", "%s: %s: %s", file, field, what);
}

static bool id_ok(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (!n || n >= max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
            return false;
    return true;
}

/* A text field: present, UTF-8, 1 to max - 1 bytes. */
static int get_text(const char *file, json_t *o, const char *field, char *out, size_t max)
{
    const char *s = json_string_value(json_object_get(o, field));
    char what[80];
    if (!s || !*s || strlen(s) >= max || !utf8_valid(s, strlen(s))) {
        snprintf(what, sizeof(what), "a UTF-8 text of 1 to %zu bytes", max - 1);
        return fail(file, field, what);
    }
    memcpy(out, s, strlen(s) + 1);
    return 0;
}

static int get_id(const char *file, json_t *o, const char *field, char *out, size_t max)
{
    const char *s = json_string_value(json_object_get(o, field));
    char what[80];
    if (!id_ok(s, max)) {
        snprintf(what, sizeof(what), "1 to %zu characters among a-z 0-9 - _", max - 1);
        return fail(file, field, what);
    }
    memcpy(out, s, strlen(s) + 1);
    return 0;
}

static int get_int(const char *file, json_t *o, const char *field, int lo, int hi, int def, int *out)
{
    json_t *v = json_object_get(o, field);
    char what[64];
    if (!v && def >= lo) {
        *out = def;
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        snprintf(what, sizeof(what), "an integer from %d to %d", lo, hi);
        return fail(file, field, what);
    }
    *out = (int)json_integer_value(v);
    return 0;
}

/* Refuses a field of o not in known (NULL-terminated): a misspelt field is
 * an error, never silently ignored. where: "" or "expected: ". */
static int only_known(const char *file, json_t *o, const char *const *known, const char *where)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        bool ok = false;
        for (int j = 0; known[j] && !ok; j++)
            ok = !strcmp(k, known[j]);
        if (!ok)
            return err_set(WASL_EINVAL, "practice.invalid_script", "%s: %sunknown field '%.40s'", file, where, k);
    }
    return 0;
}

int practice_script_parse(const char *text, size_t len, const char *file, struct practice_script *out)
{
    json_error_t je;
    json_t *root, *lines, *exp, *v;
    size_t i;
    int err = 0;
    static const char *const known[] = {"id", "language", "title", "lines", "pause_ms", "expected", "comment", NULL};
    static const char *const known_exp[] = {"article", "case_type", "category", "deadline_days", NULL};

    memset(out, 0, sizeof(*out));
    if (len > PRACTICE_FILE_MAX)
        return err_set(WASL_EINVAL, "practice.invalid_script", "%s: over %d bytes", file, PRACTICE_FILE_MAX);
    if (!(root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je)))
        return err_set(WASL_EINVAL, "practice.invalid_script", "%s:%d: %s", file, je.line, je.text);
    if (!json_is_object(root)) {
        err = fail(file, "(top)", "a JSON object");
        goto out;
    }
    if ((err = only_known(file, root, known, "")) || (err = get_id(file, root, "id", out->id, sizeof(out->id))) ||
        (err = get_text(file, root, "language", out->language, sizeof(out->language))) ||
        (err = get_text(file, root, "title", out->title, sizeof(out->title))) ||
        (err = get_int(file, root, "pause_ms", 0, PRACTICE_PAUSE_MAX_MS, 3000, &out->pause_ms)))
        goto out;
    if (wasl_nlanguages && !language_valid(out->language)) {
        err = fail(file, "language", "not a language of data/languages.json");
        goto out;
    }
    lines = json_object_get(root, "lines");
    if (!json_is_array(lines) || !json_array_size(lines) || json_array_size(lines) > PRACTICE_LINES_MAX) {
        err = err_set(WASL_EINVAL, "practice.invalid_script", "%s: lines: a list of 1 to %d texts", file, PRACTICE_LINES_MAX);
        goto out;
    }
    json_array_foreach(lines, i, v)
    {
        const char *s = json_string_value(v);
        if (!s || !*s || strlen(s) >= PRACTICE_LINE_MAX || !utf8_valid(s, strlen(s))) {
            err = err_set(WASL_EINVAL, "practice.invalid_script", "%s: lines[%zu]: a UTF-8 text of 1 to %d bytes", file, i,
                          PRACTICE_LINE_MAX - 1);
            goto out;
        }
        memcpy(out->lines[i], s, strlen(s) + 1);
        out->nlines++;
    }
    exp = json_object_get(root, "expected");
    if (!json_is_object(exp)) {
        err = fail(file, "expected", "an object: article, case_type, category, deadline_days");
        goto out;
    }
    if ((err = only_known(file, exp, known_exp, "expected: ")) ||
        (err = get_id(file, exp, "article", out->article, sizeof(out->article))) ||
        (err = get_id(file, exp, "case_type", out->case_type, sizeof(out->case_type))) ||
        (err = get_id(file, exp, "category", out->category, sizeof(out->category))) ||
        (err = get_int(file, exp, "deadline_days", 0, PRACTICE_DEADLINE_MAX_DAYS, -1, &out->deadline_days)))
        goto out;
out:
    json_decref(root);
    return err;
}

/* ---- the scripts of the server ---- */

void practice_unload(void)
{
    free(scripts);
    scripts = NULL;
    nscripts = 0;
}

static int cmp_id(const void *a, const void *b)
{
    return strcmp(((const struct practice_script *)a)->id, ((const struct practice_script *)b)->id);
}

/* What the guide and the case types must know of a parsed script. */
static int check_refs(const char *data_dir, const char *file, const struct practice_script *s)
{
    char path[1200];
    struct stat st;
    snprintf(path, sizeof(path), "%s/guide/%s/article.json", data_dir, s->article);
    if (stat(path, &st))
        return fail(file, "expected.article", "no such article in the guide (data/guide/<slug>/article.json)");
    if (!case_type(s->case_type))
        return fail(file, "expected.case_type", "not a case type of data/cases/types.json");
    if (!guide_category_valid(s->category))
        return fail(file, "expected.category", "not one of the guide's categories");
    return 0;
}

int practice_load(const char *data_dir, const char *dir, bool refs)
{
    char d[1100], path[1400], file[300];
    struct practice_script *list = NULL;
    int n = 0, err = 0;
    DIR *dh;
    struct dirent *de;

    if (dir && *dir)
        snprintf(d, sizeof(d), "%s", dir);
    else
        snprintf(d, sizeof(d), "%s/practice/scripts", data_dir);
    if (!(dh = opendir(d))) {
        if (errno != ENOENT)
            return err_set(WASL_EIO, "practice.no_scripts", "cannot open %s: %s", d, strerror(errno));
        /* a data folder without practice scripts: the practice line has none */
        log_warn("practice: no folder %s: no practice scripts", d);
        practice_unload();
        return 0;
    }
    if (!(list = calloc(PRACTICE_SCRIPTS_MAX, sizeof(*list)))) {
        closedir(dh);
        return WASL_ENOMEM;
    }
    while (!err && (de = readdir(dh))) {
        size_t l = strlen(de->d_name);
        if (l < 6 || strcmp(de->d_name + l - 5, ".json"))
            continue;
        if (n == PRACTICE_SCRIPTS_MAX) {
            err = err_set(WASL_ELIMIT, "practice.too_many_scripts", "%s: more than %d scripts", d, PRACTICE_SCRIPTS_MAX);
            break;
        }
        snprintf(path, sizeof(path), "%s/%s", d, de->d_name);
        snprintf(file, sizeof(file), "practice/scripts/%s", de->d_name);
        char *text = NULL;
        size_t len = 0;
        if ((err = file_read(path, &text, &len, PRACTICE_FILE_MAX))) {
            err = err_set(WASL_EINVAL, "practice.invalid_script", "%s: %s", file, err_message());
            break;
        }
        err = practice_script_parse(text, len, file, &list[n]);
        free(text);
        if (!err && refs)
            err = check_refs(data_dir, file, &list[n]);
        for (int i = 0; !err && i < n; i++)
            if (!strcmp(list[i].id, list[n].id))
                err = fail(file, "id", "another script has this id");
        n++;
    }
    closedir(dh);
    if (err) {
        free(list);
        return err;
    }
    qsort(list, (size_t)n, sizeof(*list), cmp_id);
    practice_unload();
    scripts = list;
    nscripts = n;
    return 0;
}

int practice_scripts(const struct practice_script **out)
{
    *out = scripts;
    return nscripts;
}

const struct practice_script *practice_script_get(const char *id)
{
    for (int i = 0; id && i < nscripts; i++)
        if (!strcmp(scripts[i].id, id))
            return &scripts[i];
    return NULL;
}

void practice_line_wav(const char *gen_dir, const char *id, int k, char *out, size_t n)
{
    snprintf(out, n, "%s/practice/%s/%d.wav", gen_dir, id, k);
}

/* ---- scoring ---- */

void practice_score(const struct practice_script *s, const struct practice_record *r, struct practice_result *out)
{
    memset(out, 0, sizeof(*out));
    for (int i = 0; i < r->narticles && !out->article; i++)
        out->article = r->articles[i] && !strcmp(r->articles[i], s->article);
    out->case_type = r->case_type && !strcmp(r->case_type, s->case_type);
    out->category = r->category && !strcmp(r->category, s->category);
    out->deadline_days = r->due_day == INT64_MIN ? INT64_MIN : r->due_day - r->call_day;
    out->deadline = r->due_day != INT64_MIN && out->deadline_days == s->deadline_days;
    out->score = (out->article ? PRACTICE_W_ARTICLE : 0) + (out->case_type ? PRACTICE_W_TYPE : 0) +
                 (out->category ? PRACTICE_W_CATEGORY : 0) + (out->deadline ? PRACTICE_W_DEADLINE : 0);
}
