/*
 * Loading and looking up countries and consulates from the data files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "geo.h"

#define GEO_MAX_COUNTRIES 64
#define GEO_MAX_CONSULATES 256

static struct country countries[GEO_MAX_COUNTRIES];
static size_t ncountries;
static struct consulate consulates[GEO_MAX_CONSULATES];
static size_t nconsulates;

static int copy(char *dst, size_t n, const char *src, const char *column)
{
    if (!src)
        return err_set(WASL_EINVAL, "data.invalid", "no column '%s'", column);
    if (strlen(src) >= n)
        return err_set(WASL_EINVAL, "data.invalid", "'%s' is longer than %zu bytes", column, n - 1);
    memcpy(dst, src, strlen(src) + 1);
    return 0;
}

/* Splits a space-separated list into fixed slots. */
static int split(const char *src, char *slots, size_t slot_size, int max, int *n, const char *column)
{
    char buf[256];
    *n = 0;
    if (!src)
        return err_set(WASL_EINVAL, "data.invalid", "no column '%s'", column);
    snprintf(buf, sizeof(buf), "%s", src);
    for (char *save = NULL, *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        if (*n == max || strlen(t) >= slot_size)
            return err_set(WASL_EINVAL, "data.invalid", "'%s' holds too many or too long items", column);
        memcpy(slots + (size_t)*n * slot_size, t, strlen(t) + 1);
        (*n)++;
    }
    return 0;
}

static int check_zone(const char *zone)
{
    const struct tz *z;
    if (tz_get(zone, &z))
        return err_set(WASL_EINVAL, "data.unknown_zone", "unknown time zone '%s'", zone);
    return 0;
}

static int country_row(const struct csv_row *r, void *arg)
{
    struct country *c;
    const char *v;
    char col[16];
    int err;

    if (ncountries == GEO_MAX_COUNTRIES)
        return err_set(WASL_ELIMIT, "data.too_many", "more than %d countries", GEO_MAX_COUNTRIES);
    c = &countries[ncountries];
    memset(c, 0, sizeof(*c));
    if ((err = copy(c->iso2, sizeof(c->iso2), csv_get(r, "iso2"), "iso2")) ||
        (err = copy(c->calling_code, sizeof(c->calling_code), csv_get(r, "calling_code"), "calling_code")) ||
        (err = split(csv_get(r, "zones"), &c->zones[0][0], sizeof(c->zones[0]), GEO_MAX_ZONES, &c->nzones, "zones")) ||
        (err = split(csv_get(r, "languages"), &c->languages[0][0], sizeof(c->languages[0]), WASL_LANG_MAX, &c->nlanguages,
                     "languages")))
        return err;
    if (strlen(c->iso2) != 2 || geo_country(c->iso2))
        return err_set(WASL_EINVAL, "data.invalid", "iso2 '%s' is not a new two-letter code", c->iso2);
    if (!c->nzones || !c->nlanguages)
        return err_set(WASL_EINVAL, "data.invalid", "a country needs at least one zone and one language");
    for (int i = 0; i < c->nzones; i++)
        if ((err = check_zone(c->zones[i])))
            return err;
    for (int i = 0; i < c->nlanguages; i++)
        if (!language_valid(c->languages[i]))
            return err_set(WASL_EINVAL, "data.invalid", "'%s' is not one of the center's languages", c->languages[i]);
    v = csv_get(r, "covered");
    c->covered = v && strcmp(v, "1") == 0;
    v = csv_get(r, "verified");
    c->verified = v && strcmp(v, "V") == 0;
    for (int i = 0; i < wasl_nlanguages; i++) {
        snprintf(col, sizeof(col), "name_%s", wasl_languages[i]);
        if (!csv_get(r, col)) {
            /* a language added without its column: the fallback's name, said once */
            *(unsigned *)arg |= 1u << i;
            continue;
        }
        if ((err = copy(c->name[i], sizeof(c->name[i]), csv_get(r, col), col)))
            return err;
        if (!c->name[i][0])
            return err_set(WASL_EINVAL, "data.missing_translation", "%s has no %s", c->iso2, col);
    }
    for (int i = 0; i < wasl_nlanguages; i++) {
        int f = language_fallback();
        if (!c->name[i][0] && !c->name[f][0])
            return err_set(WASL_EINVAL, "data.missing_translation", "%s has no name_%s", c->iso2, wasl_languages[f]);
        if (!c->name[i][0])
            memcpy(c->name[i], c->name[f], sizeof(c->name[i]));
    }
    ncountries++;
    return 0;
}

static int consulate_row(const struct csv_row *r, void *arg)
{
    struct consulate *c;
    const char *v;
    int err;

    (void)arg;
    if (nconsulates == GEO_MAX_CONSULATES)
        return err_set(WASL_ELIMIT, "data.too_many", "more than %d consulates", GEO_MAX_CONSULATES);
    c = &consulates[nconsulates];
    memset(c, 0, sizeof(*c));
    if ((err = copy(c->code, sizeof(c->code), csv_get(r, "code"), "code")) ||
        (err = copy(c->country, sizeof(c->country), csv_get(r, "country"), "country")) ||
        (err = copy(c->kind, sizeof(c->kind), csv_get(r, "kind"), "kind")) ||
        (err = copy(c->city, sizeof(c->city), csv_get(r, "city"), "city")) ||
        (err = copy(c->city_ar, sizeof(c->city_ar), csv_get(r, "city_ar"), "city_ar")) ||
        (err = copy(c->zone, sizeof(c->zone), csv_get(r, "zone"), "zone")) ||
        (err = split(csv_get(r, "serves"), &c->serves[0][0], sizeof(c->serves[0]), 8, &c->nserves, "serves")))
        return err;
    if (!c->code[0] || geo_consulate(c->code))
        return err_set(WASL_EINVAL, "data.invalid", "consulate code '%s' is empty or repeated", c->code);
    if (!geo_country(c->country))
        return err_set(WASL_EINVAL, "data.invalid", "unknown country '%s'", c->country);
    for (int i = 0; i < c->nserves; i++)
        if (!geo_country(c->serves[i]))
            return err_set(WASL_EINVAL, "data.invalid", "serves unknown country '%s'", c->serves[i]);
    if (strcmp(c->kind, "cg") && strcmp(c->kind, "c") && strcmp(c->kind, "emb"))
        return err_set(WASL_EINVAL, "data.invalid", "kind must be cg, c or emb");
    if ((err = check_zone(c->zone)))
        return err;
    v = csv_get(r, "verified");
    c->verified = v && strcmp(v, "V") == 0;
    nconsulates++;
    return 0;
}

int geo_load(const char *dir)
{
    char path[1024];
    int err;

    unsigned untranslated = 0;

    geo_unload();
    if ((err = geo_load_languages(dir)))
        return err;
    snprintf(path, sizeof(path), "%s/countries.csv", dir);
    if ((err = csv_load_file(path, country_row, &untranslated)))
        goto fail;
    for (int i = 0; i < wasl_nlanguages; i++)
        if (untranslated & (1u << i))
            log_warn("geo: %s has no name_%s column: countries are named in %s there", path, wasl_languages[i],
                     wasl_languages[language_fallback()]);
    snprintf(path, sizeof(path), "%s/consulates.csv", dir);
    if ((err = csv_load_file(path, consulate_row, NULL)))
        goto fail;
    return 0;
fail:
    geo_unload();
    return err;
}

void geo_unload(void)
{
    ncountries = nconsulates = 0;
}

const struct country *geo_country(const char *iso2)
{
    for (size_t i = 0; iso2 && i < ncountries; i++)
        if (strcmp(countries[i].iso2, iso2) == 0)
            return &countries[i];
    return NULL;
}

const struct consulate *geo_consulate(const char *code)
{
    for (size_t i = 0; code && i < nconsulates; i++)
        if (strcmp(consulates[i].code, code) == 0)
            return &consulates[i];
    return NULL;
}

const struct country *geo_countries(size_t *n)
{
    *n = ncountries;
    return countries;
}

const struct consulate *geo_consulates(size_t *n)
{
    *n = nconsulates;
    return consulates;
}

const char *geo_country_name(const struct country *c, const char *lang)
{
    int i = language_index(lang);
    return c->name[i >= 0 ? i : language_fallback()];
}
