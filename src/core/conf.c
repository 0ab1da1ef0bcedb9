/*
 * Settings: tables of declared settings (name, type, default, range, help)
 * registered by each module, filled from an INI file (libinih), then from
 * WASL_<SECTION>_<KEY> environment variables, then from the command line.
 * A bad file is reported as "file:line: what is wrong".
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ini.h>

#include "core.h"
#include "core_int.h"

#define CONF_MAX 256            /* settings across all modules */
#define CONF_FILE_MAX (1 << 20) /* a settings file is small; refuse anything bigger */
#define CONF_LINE_MAX 4096

struct entry {
    const struct conf_def *def;
    char *value; /* NULL: the default */
    const char *origin;
};

static struct entry entries[CONF_MAX];
static size_t nentries;

int conf_register(const struct conf_def *defs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < nentries; j++)
            if (strcmp(entries[j].def->name, defs[i].name) == 0)
                return err_set(WASL_ECONFLICT, "config.duplicate", "setting '%s' declared twice", defs[i].name);
        if (nentries == CONF_MAX)
            return err_set(WASL_ELIMIT, "config.too_many", "too many settings");
        entries[nentries++] = (struct entry){.def = &defs[i]};
    }
    return 0;
}

void conf_reset(void)
{
    for (size_t i = 0; i < nentries; i++)
        free(entries[i].value);
    memset(entries, 0, sizeof(entries));
    nentries = 0;
}

static struct entry *lookup(const char *name)
{
    for (size_t i = 0; i < nentries; i++)
        if (strcmp(entries[i].def->name, name) == 0)
            return &entries[i];
    return NULL;
}

static const char *type_name(enum conf_type t)
{
    switch (t) {
    case CONF_STR:
        return "string";
    case CONF_INT:
        return "integer";
    case CONF_BOOL:
        return "boolean";
    case CONF_DURATION:
        return "duration";
    case CONF_PATH:
        return "path";
    }
    return "?";
}

static int parse_bool(const char *v, bool *out)
{
    static const char *yes[] = {"true", "yes", "on", "1"}, *no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0)
            return *out = true, 0;
        if (strcasecmp(v, no[i]) == 0)
            return *out = false, 0;
    }
    return -1;
}

/* "90", "90s", "15m", "8h", "7d" -> seconds. */
static int parse_duration(const char *v, long long *out)
{
    char *end;
    long long n, mul = 1;

    errno = 0;
    n = strtoll(v, &end, 10);
    if (end == v || errno || n < 0)
        return -1;
    if (*end) {
        switch (*end) {
        case 's':
            mul = 1;
            break;
        case 'm':
            mul = 60;
            break;
        case 'h':
            mul = 3600;
            break;
        case 'd':
            mul = 86400;
            break;
        default:
            return -1;
        }
        if (end[1])
            return -1;
    }
    if (n > (long long)1e12)
        return -1;
    *out = n * mul;
    return 0;
}

static int parse_int(const char *v, long long *out)
{
    char *end;
    errno = 0;
    *out = strtoll(v, &end, 10);
    return (end == v || *end || errno) ? -1 : 0;
}

/* Checks value for def; on error the hint says what is wrong (no file:line). */
static int validate(const struct conf_def *def, const char *value)
{
    long long n;
    bool b;

    if (!utf8_valid(value, strlen(value)))
        return err_set(WASL_EINVAL, "config.invalid", "'%s' is not valid UTF-8", def->name);
    for (const char *p = value; *p; p++)
        if ((unsigned char)*p < 0x20)
            return err_set(WASL_EINVAL, "config.invalid", "'%s' contains a control character", def->name);
    switch (def->type) {
    case CONF_STR:
    case CONF_PATH:
        if (strlen(value) > 1024)
            return err_set(WASL_EINVAL, "config.invalid", "'%s' is longer than 1024 bytes", def->name);
        return 0;
    case CONF_BOOL:
        if (parse_bool(value, &b))
            return err_set(WASL_EINVAL, "config.invalid", "'%s' must be true or false, not '%.40s'", def->name, value);
        return 0;
    case CONF_INT:
        if (parse_int(value, &n))
            return err_set(WASL_EINVAL, "config.invalid", "'%s' must be an integer, not '%.40s'", def->name, value);
        break;
    case CONF_DURATION:
        if (parse_duration(value, &n))
            return err_set(WASL_EINVAL, "config.invalid", "'%s' must be a duration like 30s, 15m, 8h or 7d, not '%.40s'", def->name,
                           value);
        break;
    }
    if ((def->min || def->max) && (n < def->min || n > def->max))
        return err_set(WASL_EINVAL, "config.invalid", "'%s' must be between %lld and %lld%s, not '%.40s'", def->name, def->min,
                       def->max, def->type == CONF_DURATION ? " seconds" : "", value);
    return 0;
}

int conf_set(const char *name, const char *value, const char *origin)
{
    struct entry *e = lookup(name);
    char *copy;
    int err;

    if (!e)
        return err_set(WASL_ENOENT, "config.unknown", "unknown setting '%.80s' (see `wasl help config`)", name);
    if ((err = validate(e->def, value)))
        return err;
    if (!(copy = strdup(value)))
        return WASL_ENOMEM;
    free(e->value);
    e->value = copy;
    e->origin = origin;
    return 0;
}

const char *conf_str(const char *name)
{
    struct entry *e = lookup(name);
    if (!e)
        return "";
    return e->value ? e->value : e->def->def;
}

long long conf_int(const char *name)
{
    struct entry *e = lookup(name);
    long long n = 0;
    if (!e)
        return 0;
    if (e->def->type == CONF_DURATION)
        parse_duration(conf_str(name), &n);
    else
        parse_int(conf_str(name), &n);
    return n;
}

bool conf_bool(const char *name)
{
    bool b = false;
    parse_bool(conf_str(name), &b);
    return b;
}

/* ---- files ---- */

struct reader {
    const char *path;
    const char *p, *end;
    int line;
    bool apply;
    int nerr;
    int first_err;
    char first_msg[700];
};

static void report(struct reader *r, const char *msg)
{
    char buf[700];
    snprintf(buf, sizeof(buf), "%s:%d: %s", r->path, r->line, msg);
    if (!r->apply)
        fprintf(stderr, "%s\n", buf);
    if (r->nerr++ == 0) {
        r->first_err = WASL_EINVAL;
        snprintf(r->first_msg, sizeof(r->first_msg), "%s", buf);
    }
}

/* Feeds inih one line at a time so the line number is always ours; a line
 * longer than inih's buffer is reported and skipped whole. */
static char *read_line(char *str, int num, void *stream)
{
    struct reader *r = stream;
    const char *nl;
    size_t len;

    if (r->p >= r->end)
        return NULL;
    r->line++;
    nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
    len = nl ? (size_t)(nl - r->p) + 1 : (size_t)(r->end - r->p);
    if (len >= (size_t)num || memchr(r->p, '\0', len)) {
        report(r, len >= (size_t)num ? "line too long" : "line contains a NUL byte");
        str[0] = '\n';
        str[1] = '\0';
    } else {
        memcpy(str, r->p, len);
        str[len] = '\0';
    }
    r->p += len;
    return str;
}

static int on_value(void *user, const char *section, const char *key, const char *value)
{
    struct reader *r = user;
    char name[256];
    struct entry *e;

    snprintf(name, sizeof(name), "%s.%s", section, key);
    e = lookup(name);
    if (!e) {
        char msg[400];
        snprintf(msg, sizeof(msg), "unknown setting '%.200s'%s", name,
                 section[0] ? " (see `wasl help config`)" : ": settings must be inside a [section]");
        report(r, msg);
        return 1;
    }
    if (validate(e->def, value)) {
        report(r, err_message());
        return 1;
    }
    if (r->apply)
        conf_set(name, value, r->path);
    return 1;
}

/* Checks (apply=false) or applies a settings text; name is used in messages. */
static int run_buffer(const char *buf, size_t n, const char *name, bool apply)
{
    struct reader r = {.path = name, .apply = apply, .p = buf, .end = buf + n};
    int rc;

    if (!utf8_valid(buf, n)) {
        /* Name the first line that is not valid UTF-8. */
        const char *p = buf, *end = buf + n;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
            r.line++;
            if (!utf8_valid(p, len))
                break;
            p += len + 1;
        }
        report(&r, "the file is not valid UTF-8");
    } else {
        ini_allow_multiline = false;
        rc = ini_parse_stream(read_line, &r, on_value, &r);
        if (rc > 0) {
            /* Our handler never fails, so this is inih's own syntax error (no '=',
             * no ']'), at line rc; inih reports only the first one. */
            int keep = r.line;
            r.line = rc;
            report(&r, "syntax error: expected [section] or key = value");
            r.line = keep;
        } else if (rc < 0) {
            return WASL_ENOMEM;
        }
    }
    if (r.nerr)
        return err_set(WASL_EINVAL, "config.invalid", "%s", r.first_msg);
    return 0;
}

int conf_parse_buffer(const char *buf, size_t n, const char *name, bool apply)
{
    int err = run_buffer(buf, n, name, false);
    return err || !apply ? err : run_buffer(buf, n, name, true);
}

static int run(const char *path, bool apply)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n;
    int err;

    if (!f)
        return err_set(WASL_ENOENT, "config.not_found", "%s: cannot open: %s", path, strerror(errno));
    buf = malloc(CONF_FILE_MAX + 1);
    if (!buf) {
        fclose(f);
        return WASL_ENOMEM;
    }
    n = fread(buf, 1, CONF_FILE_MAX + 1, f);
    fclose(f);
    if (n > CONF_FILE_MAX)
        err = err_set(WASL_ETOOBIG, "config.too_large", "%s: larger than %d bytes; not a settings file", path, CONF_FILE_MAX);
    else
        err = run_buffer(buf, n, path, apply);
    free(buf);
    return err;
}

int conf_check_file(const char *path)
{
    return run(path, false);
}

int conf_load_file(const char *path)
{
    int err = run(path, false);
    if (err)
        return err;
    return run(path, true);
}

int conf_apply_env(void)
{
    for (size_t i = 0; i < nentries; i++) {
        char env[128] = "WASL_";
        size_t k = 5;
        for (const char *p = entries[i].def->name; *p && k < sizeof(env) - 1; p++)
            env[k++] = *p == '.' ? '_' : (char)toupper((unsigned char)*p);
        env[k] = '\0';
        const char *v = getenv(env);
        if (v && conf_set(entries[i].def->name, v, "environment"))
            return err_set(WASL_EINVAL, "config.invalid", "%s: %s", env, err_message());
    }
    return 0;
}

void conf_write_help(void *fp, bool md)
{
    FILE *f = fp;
    const char *section = "";

    for (size_t i = 0; i < nentries; i++) {
        const struct conf_def *d = entries[i].def;
        const char *dot = strchr(d->name, '.');
        size_t sl = dot ? (size_t)(dot - d->name) : 0;
        char range[80] = "";

        if (strlen(section) != sl || strncmp(section, d->name, sl) != 0) {
            static char sec[64];
            snprintf(sec, sizeof(sec), "%.*s", (int)sl, d->name);
            section = sec;
            fprintf(f, md ? "\n## [%s]\n\n| setting | type | default | range | meaning |\n|---|---|---|---|---|\n" : "%s[%s]\n",
                    md ? section : (i ? "\n" : ""), section);
        }
        if (d->min || d->max)
            snprintf(range, sizeof(range), "%lld..%lld%s", d->min, d->max, d->type == CONF_DURATION ? " s" : "");
        if (md)
            fprintf(f, d->def[0] ? "| `%s` | %s | `%s` | %s | %s |\n" : "| `%s` | %s | %s(empty) | %s | %s |\n", dot + 1,
                    type_name(d->type), d->def, range, d->help);
        else
            fprintf(f, "  %-22s %-8s default %-24s %s%s%s\n", dot + 1, type_name(d->type), d->def[0] ? d->def : "\"\"", d->help,
                    range[0] ? "; range " : "", range);
    }
}
