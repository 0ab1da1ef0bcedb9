/*
 * Entry and stay rules for foreigners, by nationality, from
 * data/entry_rules.csv (with its source and date; unverified rows marked),
 * and the names and demonyms of nationalities in the center's languages from
 * data/nationalities.csv, so a query like "visa marocain pour un Américain"
 * finds the right row.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guide_int.h"

#define RULES_MAX 300
#define NAMES_MAX 8000

static struct entry_rule rules[RULES_MAX];
static int nrules;
static char source[300];

struct name {
    char *folded;
    char iso[3];
    bool demonym; /* "indien", not "Inde" */
};
static struct name names[NAMES_MAX];
static int nnames;
static struct entry_country countries[RULES_MAX];
static int ncountries;

static const char *str_or(const char *s)
{
    return s ? s : "";
}

static int rule_row(const struct csv_row *r, void *arg)
{
    struct entry_rule *e;
    const char *nat = csv_get(r, "nationality"), *regime = csv_get(r, "regime"), *days = csv_get(r, "max_stay_days");
    const char *v = csv_get(r, "verified");
    (void)arg;
    if (nrules == RULES_MAX)
        return err_set(WASL_ELIMIT, "data.too_many", "more than %d entry rules", RULES_MAX);
    if (!nat || strlen(nat) != 2 || !regime || !v)
        return err_set(WASL_EINVAL, "data.invalid", "needs nationality (2 letters), regime and verified");
    if (strcmp(regime, "visa_free") && strcmp(regime, "eta") && strcmp(regime, "evisa") && strcmp(regime, "visa") &&
        strcmp(regime, "national"))
        return err_set(WASL_EINVAL, "data.invalid", "regime must be national, visa_free, eta, evisa or visa");
    for (int i = 0; i < nrules; i++)
        if (!strcmp(rules[i].nationality, nat))
            return err_set(WASL_EINVAL, "data.invalid", "nationality %s listed twice", nat);
    e = &rules[nrules++];
    memset(e, 0, sizeof(*e));
    snprintf(e->nationality, sizeof(e->nationality), "%s", nat);
    snprintf(e->regime, sizeof(e->regime), "%s", regime);
    e->max_stay_days = days && *days ? atoi(days) : 0;
    snprintf(e->passport_validity, sizeof(e->passport_validity), "%s", str_or(csv_get(r, "passport_validity")));
    snprintf(e->notes, sizeof(e->notes), "%s", str_or(csv_get(r, "notes")));
    snprintf(e->source, sizeof(e->source), "%s", str_or(csv_get(r, "source")));
    snprintf(e->as_of, sizeof(e->as_of), "%s", str_or(csv_get(r, "as_of")));
    snprintf(e->confidence, sizeof(e->confidence), "%.1s", v);
    e->verified = !strcmp(v, "V");
    return 0;
}

struct name_ctx {
    const char *iso;
};

static int add_name(const char *text, const char *iso, bool demonym)
{
    char phrase[GUIDE_WORD_MAX * 3 + 3] = "";
    int words = 0;
    const char *p = text;

    /* Fold word by word (at most three words) and join with spaces. */
    while (*p && words < 4) {
        char folded[GUIDE_WORD_MAX + 1];
        const char *start = p;
        while (*p && *p != ' ' && *p != '-')
            p++;
        size_t fl = text_fold(start, (size_t)(p - start), folded);
        if (fl) {
            if (words++)
                strcat(phrase, " ");
            if (strlen(phrase) + fl < sizeof(phrase) - 1)
                strcat(phrase, folded);
        }
        while (*p == ' ' || *p == '-')
            p++;
    }
    if (!words || words > 3 || nnames == NAMES_MAX)
        return 0;
    if (!(names[nnames].folded = strdup(phrase)))
        return WASL_ENOMEM;
    snprintf(names[nnames].iso, 3, "%s", iso);
    names[nnames].demonym = demonym;
    nnames++;
    return 0;
}

static int name_row(const struct csv_row *r, void *arg)
{
    const char *iso = csv_get(r, "iso2"), *dem = csv_get(r, "demonyms");
    char col[16], buf[1024];
    int err;
    if (!iso || strlen(iso) != 2)
        return err_set(WASL_EINVAL, "data.invalid", "iso2 must be two letters");
    if (ncountries == RULES_MAX)
        return err_set(WASL_ELIMIT, "data.too_many", "more than %d nationalities", RULES_MAX);
    struct entry_country *ec = &countries[ncountries++];
    memset(ec, 0, sizeof(*ec));
    snprintf(ec->iso, sizeof(ec->iso), "%s", iso);
    for (int i = 0; i < wasl_nlanguages; i++) {
        snprintf(col, sizeof(col), "name_%s", wasl_languages[i]);
        const char *n = csv_get(r, col);
        if (!n)
            *(unsigned *)arg |= 1u << i;
        snprintf(ec->name[i], sizeof(ec->name[i]), "%s", n ? n : "");
        if (n && *n && (err = add_name(n, iso, false)))
            return err;
    }
    /* A language without its column yet: the fallback's name, so lists
     * never show an empty one (entry_rules_load says so in the log). */
    for (int i = 0; i < wasl_nlanguages; i++)
        if (!ec->name[i][0])
            memcpy(ec->name[i], ec->name[language_fallback()], sizeof(ec->name[i]));
    snprintf(buf, sizeof(buf), "%s", dem ? dem : "");
    for (char *save = NULL, *t = strtok_r(buf, "|", &save); t; t = strtok_r(NULL, "|", &save))
        if ((err = add_name(t, iso, true)))
            return err;
    return 0;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(((const struct name *)a)->folded, ((const struct name *)b)->folded);
}

int entry_rules_load(const char *data_dir)
{
    char path[1200];
    int err;

    nrules = 0;
    ncountries = 0;
    for (int i = 0; i < nnames; i++)
        free(names[i].folded);
    nnames = 0;
    snprintf(path, sizeof(path), "%s/entry_rules.csv", data_dir);
    if ((err = csv_load_file(path, rule_row, NULL)))
        return err;
    /* The table's source, for nationalities it does not list: the first
     * foreigners' row (the national row cites the law, not the list). */
    source[0] = '\0';
    for (int i = 0; i < nrules && !source[0]; i++)
        if (strcmp(rules[i].regime, "national"))
            snprintf(source, sizeof(source), "%s", rules[i].source);
    snprintf(path, sizeof(path), "%s/nationalities.csv", data_dir);
    unsigned untranslated = 0;
    if ((err = csv_load_file(path, name_row, &untranslated)))
        return err;
    for (int i = 0; i < wasl_nlanguages; i++)
        if (untranslated & (1u << i))
            log_warn("guide: %s has no name_%s column: nationalities are named in %s there", path, wasl_languages[i],
                     wasl_languages[language_fallback()]);
    qsort(names, (size_t)nnames, sizeof(names[0]), cmp_name);
    return 0;
}

int entry_rule_get(const char *nationality, struct entry_rule *out, bool *listed)
{
    char iso[3];
    if (!nationality || strlen(nationality) != 2)
        return err_set_field(WASL_EINVAL, "guide.invalid_nationality", "nationality",
                             "nationality must be a two-letter ISO 3166 code such as DE or US");
    iso[0] = (char)(nationality[0] & ~0x20);
    iso[1] = (char)(nationality[1] & ~0x20);
    iso[2] = '\0';
    if (iso[0] < 'A' || iso[0] > 'Z' || iso[1] < 'A' || iso[1] > 'Z')
        return err_set_field(WASL_EINVAL, "guide.invalid_nationality", "nationality",
                             "nationality must be a two-letter ISO 3166 code such as DE or US");
    for (int i = 0; i < nrules; i++) {
        if (!strcmp(rules[i].nationality, iso)) {
            *out = rules[i];
            *listed = true;
            return 0;
        }
    }
    bool known = false;
    for (int i = 0; i < ncountries && !known; i++)
        known = !strcmp(countries[i].iso, iso);
    if (!known)
        return err_set_field(WASL_EINVAL, "guide.invalid_nationality", "nationality", "'%s' is not a known nationality code", iso);
    /* Not in the table: the law's general rule applies. */
    memset(out, 0, sizeof(*out));
    snprintf(out->nationality, sizeof(out->nationality), "%s", iso);
    snprintf(out->regime, sizeof(out->regime), "visa");
    snprintf(out->passport_validity, sizeof(out->passport_validity), "valid for the whole stay; 6 months advised");
    snprintf(out->notes, sizeof(out->notes),
             "not in the list of visa-exempt nationalities: a visa from a Moroccan consulate is needed");
    snprintf(out->source, sizeof(out->source), "%s", source);
    snprintf(out->confidence, sizeof(out->confidence), "U");
    *listed = false;
    return 0;
}

const char *entry_rules_source(void)
{
    return source;
}

static const struct name *name_find(const char *folded)
{
    struct name key = {(char *)folded, "", false};
    const struct name *n = nnames ? bsearch(&key, names, (size_t)nnames, sizeof(key), cmp_name) : NULL;
    if (!n)
        return NULL;
    /* Several rows may fold alike ("china" names the country and, in
     * Spanish, its women): a demonym among them wins. */
    while (n > names && !strcmp(n[-1].folded, folded))
        n--;
    for (const struct name *m = n; m < names + nnames && !strcmp(m->folded, folded); m++)
        if (m->demonym)
            return m;
    return n;
}

const char *entry_nationality(const char *folded, bool *demonym)
{
    const struct name *n = name_find(folded);
    /* Arabic joins prepositions and the article to the word: "للهنود",
     * "والجزائري", "بالمغرب". */
    static const char *const prefixes[] = {
        "\u0644\u0644", "\u0648\u0627\u0644", "\u0628\u0627\u0644", "\u0644\u0627\u0644", "\u0627\u0644", "\u0644", "\u0648",
        "\u0628"};
    for (size_t i = 0; !n && i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        size_t pl = strlen(prefixes[i]);
        if (strncmp(folded, prefixes[i], pl) || strlen(folded) <= pl + 4 || strchr(folded, ' '))
            continue;
        n = name_find(folded + pl);
        if (!n && i == 0) { /* "للمغرب": li + al-Maghrib, the alef dropped */
            char with_al[GUIDE_WORD_MAX * 3 + 8];
            snprintf(with_al, sizeof(with_al), "\u0627%s", folded + 1);
            n = name_find(with_al);
        }
    }
    if (demonym)
        *demonym = n && n->demonym;
    return n ? n->iso : NULL;
}

const struct entry_country *entry_countries(int *n)
{
    *n = ncountries;
    return countries;
}

int guide_nationalities(guide_nationality_h h, void *arg)
{
    for (int i = 0; i < ncountries; i++) {
        const char *n[WASL_LANG_MAX];
        for (int l = 0; l < wasl_nlanguages; l++)
            n[l] = countries[i].name[l];
        int err = h(countries[i].iso, n, arg);
        if (err)
            return err;
    }
    return 0;
}
