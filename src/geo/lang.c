/*
 * The center's languages, read once at start from data/languages.json: their
 * codes in menu order, native names, writing direction, UI locale and
 * Snowball stemmer. Every per-language table in wasl is indexed by the
 * position here, so adding a language is data, not code (docs/languages.md).
 */
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include <libstemmer.h>

#include "core/core.h"
#include "geo.h"

static struct language table[WASL_LANG_MAX];
const char *wasl_languages[WASL_LANG_MAX];
int wasl_nlanguages;
static int fallback;
static char codes[WASL_LANG_MAX * WASL_LANG_CODE_MAX];

bool language_valid(const char *lang)
{
    return language_index(lang) >= 0;
}

int language_index(const char *lang)
{
    for (int i = 0; lang && i < wasl_nlanguages; i++)
        if (strcmp(lang, wasl_languages[i]) == 0)
            return i;
    return -1;
}

const struct language *language_at(int i)
{
    return i >= 0 && i < wasl_nlanguages ? &table[i] : NULL;
}

const char *languages_list(void)
{
    return codes;
}

int language_fallback(void)
{
    return fallback;
}

static bool stemmer_known(const char *name)
{
    if (!strcmp(name, "none"))
        return true;
    for (const char **l = sb_stemmer_list(); l && *l; l++)
        if (!strcmp(*l, name))
            return true;
    return false;
}

static int text(json_t *o, const char *key, char *out, size_t n, const char *path, size_t i)
{
    const char *v = json_string_value(json_object_get(o, key));
    if (!v || !*v || strlen(v) >= n)
        return err_set(WASL_EINVAL, "data.invalid", "%s: language %zu needs \"%s\" (1 to %zu bytes)", path, i + 1, key, n - 1);
    memcpy(out, v, strlen(v) + 1);
    return 0;
}

static int language_row(json_t *o, size_t i, const char *path)
{
    struct language *l = &table[i];
    char dir[8];
    int err;

    memset(l, 0, sizeof(*l));
    if ((err = text(o, "code", l->code, sizeof(l->code), path, i)) || (err = text(o, "name", l->name, sizeof(l->name), path, i)) ||
        (err = text(o, "dir", dir, sizeof(dir), path, i)) || (err = text(o, "locale", l->locale, sizeof(l->locale), path, i)) ||
        (err = text(o, "stemmer", l->stemmer, sizeof(l->stemmer), path, i)))
        return err;
    if (strlen(l->code) < 2 || strspn(l->code, "abcdefghijklmnopqrstuvwxyz") != strlen(l->code))
        return err_set(WASL_EINVAL, "data.invalid", "%s: '%s' is not an ISO 639 code (two or three small letters)", path, l->code);
    if (language_index(l->code) >= 0)
        return err_set(WASL_EINVAL, "data.invalid", "%s: '%s' is listed twice", path, l->code);
    if (strcmp(dir, "rtl") && strcmp(dir, "ltr"))
        return err_set(WASL_EINVAL, "data.invalid", "%s: %s: dir is rtl or ltr", path, l->code);
    l->rtl = !strcmp(dir, "rtl");
    if (!stemmer_known(l->stemmer))
        return err_set(WASL_EINVAL, "data.invalid", "%s: %s: no Snowball stemmer '%s' (\"none\" searches unstemmed words)", path,
                       l->code, l->stemmer);
    wasl_languages[i] = l->code;
    wasl_nlanguages = (int)i + 1;
    snprintf(codes + strlen(codes), sizeof(codes) - strlen(codes), "%s%s", i ? " " : "", l->code);
    return 0;
}

int geo_load_languages(const char *dir)
{
    char path[1024];
    json_error_t je;
    json_t *root, *list;
    size_t i;
    int err = 0;

    wasl_nlanguages = fallback = 0;
    codes[0] = '\0';
    snprintf(path, sizeof(path), "%s/languages.json", dir);
    if (!(root = json_load_file(path, JSON_REJECT_DUPLICATES, &je)))
        return err_set(WASL_EINVAL, "data.invalid", "%s:%d: %s", path, je.line, je.text);
    list = json_object_get(root, "languages");
    if (!json_is_array(list) || !json_array_size(list)) {
        err = err_set(WASL_EINVAL, "data.invalid", "%s: \"languages\" is a list of at least one language", path);
        goto out;
    }
    /* Refused, not cut: a language dropped without a word would leave its
     * callers in a menu that does not offer it. */
    if (json_array_size(list) > WASL_LANG_MAX) {
        err =
            err_set(WASL_ELIMIT, "data.too_many_languages", "%s lists %zu languages; wasl is built for at most %d (WASL_LANG_MAX)",
                    path, json_array_size(list), WASL_LANG_MAX);
        goto out;
    }
    for (i = 0; !err && i < json_array_size(list); i++)
        err = language_row(json_array_get(list, i), i, path);
    if (!err && (fallback = language_index(json_string_value(json_object_get(root, "fallback")))) < 0)
        err = err_set(WASL_EINVAL, "data.invalid", "%s: \"fallback\" must be one of the languages listed", path);
out:
    if (err) {
        wasl_nlanguages = fallback = 0;
        codes[0] = '\0';
    }
    json_decref(root);
    return err;
}
