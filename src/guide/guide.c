/*
 * guide settings, start-up, categories, and the center's calendar days.
 */
#include <stdio.h>
#include <string.h>

#include "guide_int.h"

/* clang-format off */
const struct conf_def guide_conf[] = {
    {"guide.zone", CONF_STR, "Africa/Casablanca", 0, 0, "time zone in which effective dates of guide amendments start"},
    {"guide.typo_tolerance", CONF_BOOL, "true", 0, 0, "correct misspelt search words to the nearest known word"},
    {"guide.refresh", CONF_DURATION, "5s", 1, 3600, "how often a node checks whether the guide changed on another node"},
    {"guide.search_cache", CONF_INT, "4096", 0, 65536, "searches remembered until the guide changes (0: none)"},
};
/* clang-format on */
const size_t guide_conf_count = sizeof(guide_conf) / sizeof(guide_conf[0]);

struct guide_settings guide_cfg = {"Africa/Casablanca", 1, 5, 4096};

const char *const guide_categories[] = {
    "registration",   "identity-card",    "passport",          "civil-status", "death-repatriation", "legalisation",
    "return-customs", "military-service", "fees-appointments", "complaints",   "foreigners",         "general",
};
const size_t guide_category_count = sizeof(guide_categories) / sizeof(guide_categories[0]);

bool guide_category_valid(const char *c)
{
    for (size_t i = 0; c && i < guide_category_count; i++)
        if (strcmp(c, guide_categories[i]) == 0)
            return true;
    return false;
}

int guide_init(struct db *db, const char *data_dir)
{
    const struct tz *z;
    int err;

    snprintf(guide_cfg.zone, sizeof(guide_cfg.zone), "%s", conf_str("guide.zone"));
    guide_cfg.typo = conf_bool("guide.typo_tolerance");
    guide_cfg.refresh = conf_int("guide.refresh");
    guide_cfg.cache = (int)conf_int("guide.search_cache");
    if (tz_get(guide_cfg.zone, &z))
        return err_set(WASL_EINVAL, "config.invalid", "guide.zone: unknown time zone '%s'", guide_cfg.zone);
    if ((err = text_load_stopwords(data_dir)) || (err = entry_rules_load(data_dir)))
        return err;
    guide_cache_setup(guide_cfg.cache);
    return db ? index_build(db) : 0;
}

void guide_shutdown(void)
{
    guide_cache_setup(0);
    index_free_all();
}

void guide_today(char out[12])
{
    const struct tz *z;
    struct tz_local l;
    if (tz_get(guide_cfg.zone, &z) || tz_to_local(z, clock_now_sec(), &l)) {
        int64_t d = clock_now_sec() / 86400;
        int y, m, dd;
        civil_from_days(d, &y, &m, &dd);
        snprintf(out, 12, "%04d-%02d-%02d", y, m, dd);
        return;
    }
    snprintf(out, 12, "%04d-%02d-%02d", l.year, l.month, l.day);
}

int guide_day_start(const char *day, int64_t *out)
{
    const struct tz *z;
    int y, m, d;
    if (!guide_day_valid(day) || sscanf(day, "%4d-%2d-%2d", &y, &m, &d) != 3)
        return err_set(WASL_EINVAL, "guide.invalid_date", "'%.20s' is not a date YYYY-MM-DD", day ? day : "");
    if (tz_get(guide_cfg.zone, &z))
        return err_set(WASL_EINTERNAL, "guide.zone", "time zone %s is missing", guide_cfg.zone);
    return tz_from_local(z, y, m, d, 0, 0, 0, out);
}
