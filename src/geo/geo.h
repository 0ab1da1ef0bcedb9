/*
 * geo: the center's languages (data/languages.json) and the places it works
 * with, read from data/countries.csv and data/consulates.csv: countries
 * (names in the center's languages, calling code, IANA zones, usual
 * languages) and consular posts. Loaded once at start and read-only
 * afterwards, so lookups need no lock.
 */
#ifndef WASL_GEO_H
#define WASL_GEO_H

#include <stdbool.h>
#include <stddef.h>

/* At most this many languages: the IVR's language menu is one key per
 * language, 1 to 9. A languages.json that lists more is refused at start. */
#define WASL_LANG_MAX 9
/* A code is ISO 639-1 (two letters), or ISO 639-3 (three) for a language
 * without a two-letter code, such as Tamazight (zgh); with its NUL. */
#define WASL_LANG_CODE_MAX 4

struct language {
    char code[WASL_LANG_CODE_MAX];
    char name[64];    /* in the language itself: the UI's menu */
    char locale[16];  /* BCP 47 tag for the UI's dates and numbers */
    char stemmer[24]; /* a Snowball algorithm, or "none": words are searched unstemmed */
    bool rtl;
};

/* The center's languages in the order of the IVR's full menu, as listed in
 * data/languages.json: wasl_languages[i] is language_at(i)->code for i <
 * wasl_nlanguages. Every per-language table is indexed the same way. */
extern const char *wasl_languages[WASL_LANG_MAX];
extern int wasl_nlanguages;
bool language_valid(const char *lang);
/* The position of lang in wasl_languages, or -1. */
int language_index(const char *lang);
/* Language i, or NULL out of range. */
const struct language *language_at(int i);
/* "ar fr es ...": the codes in order, space-separated, for hints. */
const char *languages_list(void);
/* The position of the language shown where a text lacks a translation. */
int language_fallback(void);
/* Reads dir/languages.json (geo_load does it first). Refuses a file with
 * more than WASL_LANG_MAX languages (data.too_many_languages), a repeated or
 * malformed code, an unknown stemmer, or a fallback it does not list. */
int geo_load_languages(const char *dir);

#define GEO_MAX_ZONES 4

struct country {
    char iso2[3];
    char calling_code[8];
    char zones[GEO_MAX_ZONES][40];
    int nzones;
    char languages[WASL_LANG_MAX][WASL_LANG_CODE_MAX]; /* the center's languages used there, usual first */
    int nlanguages;
    bool covered;                 /* has a toll-free number; false for Morocco itself */
    bool verified;                /* the data was checked against an official source */
    char name[WASL_LANG_MAX][64]; /* in wasl_languages order */
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

/* Reads languages.json, then countries.csv and consulates.csv from dir;
 * every zone must exist in the zone database. A language without its
 * name_<code> column in countries.csv gets the fallback language's names,
 * and a warning in the log says so. */
int geo_load(const char *dir);
void geo_unload(void);
const struct country *geo_country(const char *iso2);
const struct consulate *geo_consulate(const char *code);
/* The whole tables, in file order. */
const struct country *geo_countries(size_t *n);
const struct consulate *geo_consulates(size_t *n);
/* The country's name in lang (falls back to the fallback language). */
const char *geo_country_name(const struct country *c, const char *lang);

#endif
