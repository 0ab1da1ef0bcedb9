/*
 * Pause reasons as data (data/tel/pause_reasons.json): the codes an agent,
 * or a supervisor for them, may give for a pause, in the phone bar's order,
 * with a name in each language. The system's own reasons (a call that rang
 * out, a phone whose registration ended) are added to what the distributor
 * accepts; they are not the agents' to choose.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "tel_int.h"
#include "acd/acd.h"

#define PAUSES_FILE_MAX (64 * 1024)
#define NAME_MAX_BYTES 64

/* The system's reasons, after the agents' (the distributor's list is both). */
static const char *const system_reasons[] = {"phone_offline", "no_answer"};
#define NSYSTEM (int)(sizeof(system_reasons) / sizeof(system_reasons[0]))

struct reason {
    char code[ACD_REASON_MAX];
    char name[WASL_LANG_MAX][NAME_MAX_BYTES];
};

static struct reason reasons[ACD_PAUSE_REASONS_MAX];
static int nreasons;
static const char *codes[ACD_PAUSE_REASONS_MAX + 1]; /* agents' then system's, NULL-terminated */

static int bad(const char *what, const char *detail)
{
    return err_set(WASL_EINVAL, "data.invalid", "pause_reasons.json: %s%s", what, detail ? detail : "");
}

static bool code_ok(const char *s)
{
    bool ok = s && *s && strlen(s) < ACD_REASON_MAX;
    for (const char *p = s; ok && *p; p++)
        ok = (*p >= 'a' && *p <= 'z') || *p == '_';
    return ok;
}

int pauses_parse(const char *text, size_t len)
{
    json_error_t je;
    struct reason got[ACD_PAUSE_REASONS_MAX];
    int n = 0, err = 0;
    size_t i;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je), *list, *r;
    if (!root)
        return err_set(WASL_EINVAL, "data.invalid", "pause_reasons.json:%d: %s", je.line, je.text);
    list = json_object_get(root, "reasons");
    if (!json_is_array(list) || !json_array_size(list) || json_array_size(list) > ACD_PAUSE_REASONS_MAX - NSYSTEM) {
        err = bad("\"reasons\" is a list of 1 to 30 reasons", NULL);
        goto out;
    }
    json_array_foreach(list, i, r)
    {
        const char *code = json_string_value(json_object_get(r, "code"));
        json_t *names = json_object_get(r, "names");
        if (!code_ok(code)) {
            err = bad("a code is 1 to 31 lower-case letters or _: ", code ? code : "(none)");
            goto out;
        }
        for (int k = 0; k < n; k++)
            if (!strcmp(got[k].code, code)) {
                err = bad("a code is listed twice: ", code);
                goto out;
            }
        for (int k = 0; k < NSYSTEM; k++)
            if (!strcmp(system_reasons[k], code)) {
                err = bad("a reason of the system cannot be listed: ", code);
                goto out;
            }
        struct reason *x = &got[n];
        memset(x, 0, sizeof(*x));
        snprintf(x->code, sizeof(x->code), "%s", code);
        const char *fb = json_string_value(json_object_get(names, wasl_languages[language_fallback()]));
        if (!fb || !*fb || strlen(fb) >= NAME_MAX_BYTES) {
            err = bad("every reason has a name (under 64 bytes) in the fallback language, not ", code);
            goto out;
        }
        int missing = 0;
        for (int l = 0; l < wasl_nlanguages; l++) {
            const char *name = json_string_value(json_object_get(names, wasl_languages[l]));
            if (name && strlen(name) >= NAME_MAX_BYTES) {
                err = bad("a name is under 64 bytes: ", code);
                goto out;
            }
            missing += !name || !*name;
            snprintf(x->name[l], NAME_MAX_BYTES, "%s", name && *name ? name : fb);
        }
        if (missing)
            log_warn("tel: pause reason %s has no name in %d languages: they see the %s one", code, missing,
                     wasl_languages[language_fallback()]);
        n++;
    }
    memcpy(reasons, got, sizeof(got[0]) * (size_t)n);
    nreasons = n;
    for (int k = 0; k < n; k++)
        codes[k] = reasons[k].code;
    for (int k = 0; k < NSYSTEM; k++)
        codes[n + k] = system_reasons[k];
    codes[n + NSYSTEM] = NULL;
out:
    json_decref(root);
    return err;
}

int pauses_load(const char *data_dir)
{
    char path[1100], *text = NULL;
    size_t len = 0;
    snprintf(path, sizeof(path), "%s/tel/pause_reasons.json", data_dir);
    int err = file_read(path, &text, &len, PAUSES_FILE_MAX);
    if (!err)
        err = pauses_parse(text, len);
    free(text);
    return err;
}

const char *const *pauses_codes(void)
{
    return nreasons ? codes : NULL;
}

int tel_pause_reasons(void)
{
    return nreasons;
}

const char *tel_pause_reason(int i, int lang, const char **name)
{
    if (i < 0 || i >= nreasons)
        return NULL;
    if (name)
        *name = lang >= 0 && lang < wasl_nlanguages ? reasons[i].name[lang] : reasons[i].name[language_fallback()];
    return reasons[i].code;
}
