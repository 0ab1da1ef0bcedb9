/*
 * The center's languages, countries and consular posts, for forms, the
 * UI's language menu and the portal.
 */
#include <string.h>

#include "api.h"
#include "geo/geo.h"

int api_languages(struct http_req *r)
{
    json_t *list = json_array();

    for (int i = 0; list && i < wasl_nlanguages; i++) {
        const struct language *l = language_at(i);
        json_array_append_new(list,
                              json_pack("{s:s, s:s, s:s, s:s, s:b}", "code", l->code, "name", l->name, "dir",
                                        l->rtl ? "rtl" : "ltr", "locale", l->locale, "stemmed", strcmp(l->stemmer, "none") != 0));
    }
    return http_reply_json(r, 200, json_pack("{s:o, s:s}", "languages", list, "fallback", wasl_languages[language_fallback()]));
}

int api_countries(struct http_req *r)
{
    size_t n;
    const struct country *c = geo_countries(&n);
    json_t *list = json_array();

    for (size_t i = 0; list && i < n; i++) {
        json_t *names = json_object(), *zones = json_array(), *langs = json_array();
        for (int k = 0; k < wasl_nlanguages; k++)
            json_object_set_new(names, wasl_languages[k], json_string(c[i].name[k]));
        for (int k = 0; k < c[i].nzones; k++)
            json_array_append_new(zones, json_string(c[i].zones[k]));
        for (int k = 0; k < c[i].nlanguages; k++)
            json_array_append_new(langs, json_string(c[i].languages[k]));
        json_array_append_new(list, json_pack("{s:s, s:s, s:o, s:o, s:o, s:b, s:b}", "iso2", c[i].iso2, "calling_code",
                                              c[i].calling_code, "name", names, "zones", zones, "languages", langs, "covered",
                                              c[i].covered, "verified", c[i].verified));
    }
    return http_reply_json(r, 200, json_pack("{s:o}", "countries", list));
}

int api_consulates(struct http_req *r)
{
    size_t n;
    const struct consulate *c = geo_consulates(&n);
    json_t *list = json_array();

    for (size_t i = 0; list && i < n; i++) {
        json_t *serves = json_array();
        for (int k = 0; k < c[i].nserves; k++)
            json_array_append_new(serves, json_string(c[i].serves[k]));
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:b}", "code", c[i].code, "country",
                                              c[i].country, "kind", c[i].kind, "city", c[i].city, "city_ar", c[i].city_ar, "zone",
                                              c[i].zone, "serves", serves, "verified", c[i].verified));
    }
    return http_reply_json(r, 200, json_pack("{s:o}", "consulates", list));
}
