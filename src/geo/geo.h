/*
 * geo: the places the center works with, read from data/countries.csv and
 * data/consulates.csv: countries (names in the seven languages, calling
 * code, IANA zones, usual languages) and consular posts. Loaded once at
 * start and read-only afterwards, so lookups need no lock.
 */
#ifndef WASL_GEO_H
#define WASL_GEO_H

#include <stdbool.h>
#include <stddef.h>

/* The seven languages of the center, in the order of the IVR's full menu. */
extern const char *const wasl_languages[7];
bool language_valid(const char *lang);

#define GEO_MAX_ZONES 4

struct country {
    char iso2[3];
    char calling_code[8];
    char zones[GEO_MAX_ZONES][40];
    int nzones;
    char languages[7][3]; /* the center's languages used there, usual first */
    int nlanguages;
    bool covered;     /* has a toll-free number; false for Morocco itself */
    bool verified;    /* the data was checked against an official source */
    char name[7][64]; /* in wasl_languages order: ar fr es it nl de en */
};

struct consulate {
    char code[12];
    char country[3];
    char kind[4]; /* cg, c, emb */
    char city[64];
    char city_ar[64];
    char zone[40];
    char serves[8][3];
    int nserves;
    bool verified;
};

/* Reads both files from dir; every zone must exist in the zone database. */
int geo_load(const char *dir);
void geo_unload(void);
const struct country *geo_country(const char *iso2);
const struct consulate *geo_consulate(const char *code);
/* The whole tables, in file order. */
const struct country *geo_countries(size_t *n);
const struct consulate *geo_consulates(size_t *n);
/* The country's name in lang (one of the seven; falls back to English). */
const char *geo_country_name(const struct country *c, const char *lang);

#endif
