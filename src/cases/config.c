/*
 * cases settings and data: the declared case types (data/cases/types.json),
 * deadlines per type and priority (data/cases/sla.csv), and the texts sent to
 * citizens in their language (data/cases/messages/<lang>.json).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

#include "cases_int.h"
#include "calendar/calendar.h"
#include "guide/guide.h"

/* The guide's search log keeps what agents typed sealed, like the cases. */
static const struct guide_sealer search_log_sealer = {seal, unseal, blind_index};

/* clang-format off */
const struct conf_def cases_conf[] = {
    {"cases.key_file", CONF_PATH, "wasl.key", 0, 0, "file of the keys that encrypt personal data (keep it outside the database and its backups)"},
    {"cases.retention_closed", CONF_DURATION, "730d", 86400, 3650 * 86400LL, "a closed case keeps its personal data this long, then only statistics remain"},
    {"cases.retention_search_log", CONF_DURATION, "365d", 86400, 3650 * 86400LL, "guide searches are kept this long"},
    {"cases.retention_mail", CONF_DURATION, "30d", 86400, 3650 * 86400LL, "mail to citizens is kept this long after it was sent (or gave up)"},
    {"cases.retention_callbacks", CONF_DURATION, "30d", 86400, 3650 * 86400LL, "callback requests (with the caller's number) are kept this long"},
    {"cases.retention_addresses", CONF_DURATION, "2d", 3600, 365 * 86400LL, "counters of public requests per source address are kept this long"},
    {"cases.portal_per_hour", CONF_INT, "10", 1, 10000, "filings per source address per hour on the citizens' portal"},
    {"cases.pin_failures", CONF_INT, "5", 1, 100, "wrong PINs for one reference from one address before that address is locked out of it; past as many from all addresses, the reference is slowed down (never locked)"},
    {"cases.pin_lockout", CONF_DURATION, "15m", 1, 86400, "how long an address stays locked out of a reference after too many wrong PINs"},
    {"cases.pin_max_delay", CONF_DURATION, "30s", 1, 3600, "the longest wait between PIN attempts on a reference under attack (1 s, 2 s, 4 s ... up to this)"},
    {"cases.tick_seconds", CONF_INT, "60", 1, 3600, "how often deadlines are checked and the outbox is sent, in seconds"},
    {"cases.demo_cases", CONF_INT, "300", 0, 5000, "how many demo cases `wasl init --demo` creates"},
    {"cases.portal_url", CONF_STR, "", 0, 0, "address of the citizens' portal, given in mails (empty: this server's /portal.html)"},
    {"smtp.enabled", CONF_BOOL, "false", 0, 0, "send the outbox's mail (acknowledgements) by SMTP"},
    {"smtp.url", CONF_STR, "smtp://127.0.0.1:25", 0, 0, "SMTP server (smtp:// or smtps://host:port)"},
    {"smtp.from", CONF_STR, "centre-appel@consulat.example", 0, 0, "sender address of mail to citizens"},
    {"smtp.user", CONF_STR, "", 0, 0, "SMTP user name (empty: no authentication); when set, TLS is required (smtps:// or STARTTLS)"},
    {"smtp.password", CONF_STR, "", 0, 0, "SMTP password"},
};
/* clang-format on */
const size_t cases_conf_count = sizeof(cases_conf) / sizeof(cases_conf[0]);

struct case_settings cases_cfg;

static struct case_type types[8];
static int ntypes;
static struct sla slas[64];
static int nslas;
static json_t *messages[WASL_LANG_MAX];

const struct case_type *case_types(int *n)
{
    *n = ntypes;
    return types;
}

const struct case_type *case_type(const char *name)
{
    for (int i = 0; name && i < ntypes; i++)
        if (!strcmp(types[i].name, name))
            return &types[i];
    return NULL;
}

const struct sla *sla_for(const char *type, const char *priority)
{
    for (int i = 0; i < nslas; i++)
        if (!strcmp(slas[i].type, type) && !strcmp(slas[i].priority, priority))
            return &slas[i];
    return NULL;
}

const char *case_message(const char *lang, const char *key)
{
    int li = language_index(lang), f = language_fallback();
    const char *v = li >= 0 ? json_string_value(json_object_get(messages[li], key)) : NULL;
    if (!v) /* cases_init has said in the log which texts a language lacks */
        v = json_string_value(json_object_get(messages[f], key));
    return v ? v : key;
}

void case_date_text(const char *lang, int y, int m, int d, char *out, size_t n)
{
    int li = language_index(lang);
    if (li < 0 || !json_object_get(messages[li], "date") || !json_object_get(messages[li], "months"))
        li = language_fallback();
    const char *tmpl = json_string_value(json_object_get(messages[li], "date"));
    const char *month = json_string_value(json_array_get(json_object_get(messages[li], "months"), (size_t)(m - 1)));
    char day[8], year[8];
    snprintf(day, sizeof(day), "%d", d);
    snprintf(year, sizeof(year), "%d", y);
    if (!tmpl || !month) {
        snprintf(out, n, "%04d-%02d-%02d", y, m, d);
        return;
    }
    size_t k = 0;
    out[0] = '\0';
    for (const char *p = tmpl; *p && k + 1 < n;) {
        const char *v = !strncmp(p, "{day}", 5) ? day : !strncmp(p, "{month}", 7) ? month : !strncmp(p, "{year}", 6) ? year : NULL;
        if (v) {
            k += (size_t)snprintf(out + k, n - k, "%s", v);
            if (k >= n)
                k = n - 1;
            p = strchr(p, '}') + 1;
        } else {
            out[k++] = *p++;
            out[k] = '\0';
        }
    }
}

static int load_types(const char *path)
{
    json_error_t je;
    json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je), *ts, *t;
    const char *name;
    int err = 0;

    if (!j)
        return err_set(WASL_EINVAL, "data.invalid", "%s:%d: %s", path, je.line, je.text);
    ts = json_object_get(j, "types");
    ntypes = 0;
    json_object_foreach(ts, name, t)
    {
        struct case_type *ct;
        json_t *fields = json_object_get(t, "fields"), *f;
        size_t i;
        if (ntypes == (int)(sizeof(types) / sizeof(types[0]))) {
            err = err_set(WASL_ELIMIT, "data.invalid", "%s: too many types", path);
            break;
        }
        ct = &types[ntypes++];
        memset(ct, 0, sizeof(*ct));
        snprintf(ct->name, sizeof(ct->name), "%s", name);
        ct->public_filing = json_is_true(json_object_get(t, "public"));
        json_array_foreach(fields, i, f)
        {
            struct case_type_field *cf;
            json_t *vals = json_object_get(f, "values"), *v;
            size_t k;
            if (ct->nfields == CASE_FIELDS_MAX) {
                err = err_set(WASL_ELIMIT, "data.invalid", "%s: %s has too many fields", path, name);
                goto out;
            }
            cf = &ct->fields[ct->nfields++];
            snprintf(cf->name, sizeof(cf->name), "%s",
                     json_string_value(json_object_get(f, "name")) ? json_string_value(json_object_get(f, "name")) : "");
            snprintf(cf->type, sizeof(cf->type), "%s",
                     json_string_value(json_object_get(f, "type")) ? json_string_value(json_object_get(f, "type")) : "");
            cf->required = json_is_true(json_object_get(f, "required"));
            cf->personal = json_is_true(json_object_get(f, "personal"));
            cf->max = (int)json_integer_value(json_object_get(f, "max"));
            if (!cf->max)
                cf->max = 200;
            json_array_foreach(vals, k, v) if (cf->nvalues < 16)
                snprintf(cf->values[cf->nvalues++], sizeof(cf->values[0]), "%s", json_string_value(v) ? json_string_value(v) : "");
            if (!cf->name[0] || (strcmp(cf->type, "text") && strcmp(cf->type, "enum") && strcmp(cf->type, "date") &&
                                 strcmp(cf->type, "consulate"))) {
                err = err_set(WASL_EINVAL, "data.invalid", "%s: %s has a field without name or with an unknown type", path, name);
                goto out;
            }
        }
    }
    static const char *const needed[] = {"information", "dossier", "complaint", "suggestion", "observation"};
    for (size_t i = 0; !err && i < 5; i++)
        if (!case_type(needed[i]))
            err = err_set(WASL_EINVAL, "data.invalid", "%s: the type %s is missing", path, needed[i]);
out:
    json_decref(j);
    return err;
}

static int sla_row(const struct csv_row *r, void *arg)
{
    struct sla *s;
    (void)arg;
    if (nslas == (int)(sizeof(slas) / sizeof(slas[0])))
        return err_set(WASL_ELIMIT, "data.invalid", "too many rows");
    s = &slas[nslas];
    snprintf(s->type, sizeof(s->type), "%s", csv_get(r, "type"));
    snprintf(s->priority, sizeof(s->priority), "%s", csv_get(r, "priority"));
    s->first_response = (int64_t)(atof(csv_get(r, "first_response")) * 3600);
    s->resolution = (int64_t)(atof(csv_get(r, "resolution")) * 3600);
    s->warn = (int64_t)(atof(csv_get(r, "warn")) * 3600);
    if (!case_type(s->type) || s->first_response <= 0 || s->resolution < s->first_response || s->warn < 0)
        return err_set(WASL_EINVAL, "data.invalid", "unknown type, or hours that are not positive (resolution >= first_response)");
    nslas++;
    return 0;
}

/* Reads cases/messages/<lang>.json. A language without the file (one just
 * added) is not an error: its citizens get the fallback language's texts,
 * and report_untranslated() says so in the log. */
static int load_messages(const char *data_dir, int i)
{
    char path[1200];
    json_error_t je;

    snprintf(path, sizeof(path), "%s/cases/messages/%s.json", data_dir, wasl_languages[i]);
    if (access(path, F_OK) != 0)
        return 0;
    if (!(messages[i] = json_load_file(path, 0, &je)) || !json_is_object(messages[i]))
        return err_set(WASL_EINVAL, "data.invalid", "%s:%d: %s", path, je.line, messages[i] ? "not an object" : je.text);
    return 0;
}

/* A missing translation is said, never silent: one warning per language
 * naming how many texts it lacks and the first of them. */
static void report_untranslated(int li)
{
    int f = language_fallback(), missing = 0, total = 0;
    const char *key, *first = NULL;
    json_t *v;

    if (li == f)
        return;
    json_object_foreach(messages[f], key, v)
    {
        (void)v;
        total++;
        if (!messages[li] || !json_object_get(messages[li], key)) {
            missing++;
            first = first ? first : key;
        }
    }
    if (missing)
        log_warn("cases: messages in %s lack %d of %d texts (%s first): citizens get those in %s (data/cases/messages/%s.json)",
                 wasl_languages[li], missing, total, first, wasl_languages[f], wasl_languages[li]);
}

int cases_init(const char *data_dir, bool create_key)
{
    char path[1200];
    int err;

    snprintf(cases_cfg.data_dir, sizeof(cases_cfg.data_dir), "%s", data_dir);
    snprintf(cases_cfg.key_file, sizeof(cases_cfg.key_file), "%s", conf_str("cases.key_file"));
    cases_cfg.retention_closed = conf_int("cases.retention_closed");
    cases_cfg.retention_search_log = conf_int("cases.retention_search_log");
    cases_cfg.retention_mail = conf_int("cases.retention_mail");
    cases_cfg.retention_addresses = conf_int("cases.retention_addresses");
    cases_cfg.retention_callbacks = conf_int("cases.retention_callbacks");
    cases_cfg.portal_per_hour = (int)conf_int("cases.portal_per_hour");
    cases_cfg.pin_failures = (int)conf_int("cases.pin_failures");
    cases_cfg.tick_seconds = (int)conf_int("cases.tick_seconds");
    cases_cfg.pin_lockout = conf_int("cases.pin_lockout");
    cases_cfg.pin_max_delay = conf_int("cases.pin_max_delay");
    cases_cfg.smtp_on = conf_bool("smtp.enabled");
    snprintf(cases_cfg.smtp_url, sizeof(cases_cfg.smtp_url), "%s", conf_str("smtp.url"));
    snprintf(cases_cfg.smtp_from, sizeof(cases_cfg.smtp_from), "%s", conf_str("smtp.from"));
    snprintf(cases_cfg.smtp_user, sizeof(cases_cfg.smtp_user), "%s", conf_str("smtp.user"));
    snprintf(cases_cfg.smtp_password, sizeof(cases_cfg.smtp_password), "%s", conf_str("smtp.password"));
    snprintf(cases_cfg.portal_url, sizeof(cases_cfg.portal_url), "%s", conf_str("cases.portal_url"));

    if ((err = calendar_load(data_dir)))
        return err;
    snprintf(path, sizeof(path), "%s/cases/types.json", data_dir);
    if ((err = load_types(path)))
        return err;
    nslas = 0;
    snprintf(path, sizeof(path), "%s/cases/sla.csv", data_dir);
    if ((err = csv_load_file(path, sla_row, NULL)))
        return err;
    for (int i = 0; i < WASL_LANG_MAX; i++) {
        json_decref(messages[i]);
        messages[i] = NULL;
    }
    for (int i = 0; i < wasl_nlanguages; i++)
        if ((err = load_messages(data_dir, i)))
            return err;
    if (!messages[language_fallback()])
        return err_set(WASL_ENOENT, "data.missing", "%s/cases/messages/%s.json: the fallback language's messages are needed",
                       data_dir, wasl_languages[language_fallback()]);
    for (int i = 0; i < wasl_nlanguages; i++)
        report_untranslated(i);
    snprintf(path, sizeof(path), "%s/cases/dispositions.json", data_dir);
    if ((err = call_dispositions_load(path)))
        return err;
    if ((err = keys_load(cases_cfg.key_file, create_key)))
        return err;
    guide_search_log_sealer(&search_log_sealer);
    return 0;
}

void cases_set_default_portal(const char *url)
{
    if (!cases_cfg.portal_url[0])
        snprintf(cases_cfg.portal_url, sizeof(cases_cfg.portal_url), "%s", url);
}

void cases_shutdown(void)
{
    for (int i = 0; i < WASL_LANG_MAX; i++) {
        json_decref(messages[i]);
        messages[i] = NULL;
    }
    keys_forget();
}

int case_deadlines(const char *type, const char *priority, int64_t created, int64_t *first, int64_t *resolution)
{
    const struct sla *s = sla_for(type, priority);
    if (!s)
        return err_set(WASL_EINTERNAL, "cases.no_sla", "no deadlines for %s/%s in data/cases/sla.csv", type, priority);
    int64_t t = created / WTIME_SEC;
    *first = calendar_add_business(t, s->first_response) * WTIME_SEC;
    *resolution = calendar_add_business(t, s->resolution) * WTIME_SEC;
    return 0;
}

static bool enum_has(const struct case_type_field *f, const char *v)
{
    for (int i = 0; i < f->nvalues; i++)
        if (!strcmp(f->values[i], v))
            return true;
    return false;
}

int case_check_fields(const struct case_type *t, const struct case_field *f, int n, bool creating)
{
    for (int i = 0; i < n; i++) {
        const struct case_type_field *d = NULL;
        for (int k = 0; k < t->nfields; k++)
            if (!strcmp(t->fields[k].name, f[i].name))
                d = &t->fields[k];
        if (!d)
            return err_set_field(WASL_EINVAL, "cases.unknown_field", f[i].name, "a %s has no field '%.31s'", t->name, f[i].name);
        const char *v = f[i].value ? f[i].value : "";
        size_t len = strlen(v);
        bool control = false;
        for (const unsigned char *p = (const unsigned char *)v; *p; p++)
            control |= *p < 0x20 || *p == 0x7f;
        if (len > (size_t)d->max || !utf8_valid(v, len) || control)
            return err_set_field(WASL_EINVAL, "cases.invalid_field", d->name, "'%s' must be one line of at most %d bytes", d->name,
                                 d->max);
        if (!*v) {
            if (d->required)
                return err_set_field(WASL_EINVAL, "cases.missing_field", d->name, "'%s' is required", d->name);
            continue;
        }
        if (!strcmp(d->type, "enum") && !enum_has(d, v))
            return err_set_field(WASL_EINVAL, "cases.invalid_field", d->name, "'%s' must be one of the listed values", d->name);
        if (!strcmp(d->type, "consulate") && !geo_consulate(v))
            return err_set_field(WASL_EINVAL, "cases.invalid_field", d->name, "unknown consulate '%.16s'", v);
        if (!strcmp(d->type, "date")) {
            int y, m, dd;
            char tail;
            if (sscanf(v, "%4d-%2d-%2d%c", &y, &m, &dd, &tail) != 3 || m < 1 || m > 12 || dd < 1 || dd > 31)
                return err_set_field(WASL_EINVAL, "cases.invalid_field", d->name, "'%s' must be a date YYYY-MM-DD", d->name);
        }
    }
    if (creating)
        for (int k = 0; k < t->nfields; k++) {
            bool given = false;
            for (int i = 0; i < n; i++)
                given |= !strcmp(f[i].name, t->fields[k].name) && f[i].value && *f[i].value;
            if (t->fields[k].required && !given)
                return err_set_field(WASL_EINVAL, "cases.missing_field", t->fields[k].name, "'%s' is required for a %s",
                                     t->fields[k].name, t->name);
        }
    return 0;
}
