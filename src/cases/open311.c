/*
 * Open311 GeoReport v2 requests: the form fields a client sends to create a
 * service request, mapped onto a portal filing. Service codes are the public
 * case types (complaint, suggestion, observation); attribute[NAME] carries
 * the type's declared fields and our extensions (category, subject), and
 * `lang` (or jurisdiction language) the citizen's language. Location fields
 * are accepted and ignored: consular cases have no place on a map.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases_int.h"

struct parse {
    struct open311_request *out;
    struct arena *a;
};

static int field(const char *name, const char *value, void *arg)
{
    struct parse *p = arg;
    struct open311_request *o = p->out;
    static const char *const ignored[] = {"api_key",    "jurisdiction_id", "lat",        "long",     "address_string",
                                          "address_id", "device_id",       "account_id", "media_url"};
    const char **slot = NULL;
    char *v;

    for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
        if (!strcmp(name, ignored[i]))
            return 0;
    if (!strncmp(name, "attribute[", 10)) {
        size_t n = strlen(name);
        char attr[32];
        if (n < 12 || n - 11 >= sizeof(attr) || name[n - 1] != ']')
            return err_set_field(WASL_EINVAL, "open311.invalid_attribute", name, "attribute names are attribute[code]");
        memcpy(attr, name + 10, n - 11);
        attr[n - 11] = '\0';
        if (!strcmp(attr, "category"))
            slot = &o->category;
        else if (!strcmp(attr, "subject"))
            slot = &o->subject;
        else {
            for (int i = 0; i < o->nattrs; i++)
                if (!strcmp(o->attrs[i].name, attr))
                    return err_set_field(WASL_EINVAL, "open311.duplicate", name, "'%s' is given twice", name);
            if (o->nattrs == CASE_FIELDS_MAX)
                return err_set_field(WASL_EINVAL, "open311.invalid_attribute", name, "too many attributes");
            if (!(v = arena_strdup(p->a, value)))
                return WASL_ENOMEM;
            snprintf(o->attrs[o->nattrs].name, sizeof(o->attrs[0].name), "%s", attr);
            o->attrs[o->nattrs++].value = v;
            return 0;
        }
    } else {
        static const char *const names[] = {"service_code", "description", "email", "first_name",
                                            "last_name",    "phone",       "lang",  "country"};
        const char **slots[] = {&o->service_code, &o->description, &o->email, &o->first_name,
                                &o->last_name,    &o->phone,       &o->lang,  &o->country};
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
            if (!strcmp(name, names[i]))
                slot = slots[i];
        if (!slot)
            return err_set_field(WASL_EINVAL, "open311.unknown_field", name, "unknown field '%.40s'", name);
    }
    if (*slot)
        return err_set_field(WASL_EINVAL, "open311.duplicate", name, "'%.40s' is given twice", name);
    if (!(*slot = arena_strdup(p->a, value)))
        return WASL_ENOMEM;
    return 0;
}

int open311_parse(char *body, size_t n, struct arena *a, struct open311_request *out)
{
    struct parse p = {out, a};
    memset(out, 0, sizeof(*out));
    int err = form_parse(body, n, field, &p);
    if (err)
        return err;
    if (!out->service_code || !*out->service_code)
        return err_set_field(WASL_EINVAL, "open311.missing_field", "service_code", "service_code is required");
    if (!out->description || !*out->description)
        return err_set_field(WASL_EINVAL, "open311.missing_field", "description", "description is required");
    return 0;
}

/* The first line of the description, cut at a character boundary, when no
 * subject is given. */
static const char *subject_of(const struct open311_request *o, struct arena *a)
{
    const char *d = o->description;
    size_t n = 0, cut = 0;
    while (d[n] && d[n] != '\n' && d[n] != '\r' && n < 120) {
        n++;
        if (((unsigned char)d[n] & 0xC0) != 0x80)
            cut = n;
    }
    return arena_strndup(a, d, cut);
}

int open311_file(struct db *db, const struct open311_request *o, const char *ip, struct arena *a, struct case_rec *out,
                 char pin_out[7])
{
    char name[2 * 100 + 2] = "", *ack = NULL;
    struct portal_filing f = {0};
    int err;

    if (!case_type(o->service_code) || !case_type(o->service_code)->public_filing)
        return err_set_field(WASL_EINVAL, "open311.unknown_service", "service_code",
                             "service_code must be complaint, suggestion or observation");
    /* The subject may come from the description: check that first, so an
     * error names what the client actually sent. */
    if ((err = case_check_text(o->description, "description", 10000, true, false)))
        return err;
    if (o->first_name || o->last_name)
        snprintf(name, sizeof(name), "%.100s%s%.100s", o->first_name ? o->first_name : "", o->first_name && o->last_name ? " " : "",
                 o->last_name ? o->last_name : "");
    f.type = o->service_code;
    f.category = o->category && *o->category ? o->category : "general";
    f.language = o->lang && *o->lang ? o->lang : "fr";
    f.country = o->country;
    f.subject = o->subject && *o->subject ? o->subject : subject_of(o, a);
    f.description = o->description;
    f.citizen.name = name[0] ? name : NULL;
    f.citizen.email = (char *)o->email;
    f.citizen.phone = (char *)o->phone;
    f.channel = "open311";
    f.ip = ip;
    memcpy(f.fields, o->attrs, sizeof(o->attrs));
    f.nfields = o->nattrs;
    if (!f.subject)
        return WASL_ENOMEM;
    err = portal_file(db, &f, out, pin_out, &ack);
    free(ack);
    return err;
}
