/*
 * What the guide's bench programs share: the settings registered, the
 * languages loaded from data/, and a store migrated with the guide set up
 * (no index yet).
 */
#ifndef WASL_BENCH_GUIDE_H
#define WASL_BENCH_GUIDE_H

#include "geo/geo.h"
#include "guide/guide_int.h"

static inline int bench_guide_open(const char *path, struct db **db)
{
    log_set_level(LOG_WARN);
    conf_register(store_conf, store_conf_count);
    conf_register(auth_conf, auth_conf_count);
    conf_register(guide_conf, guide_conf_count);
    wrand_init();
    auth_init();
    int err = geo_load("data");
    if (!err && !(err = db_open(db, path)) && !(err = db_migrate(*db, NULL)))
        err = guide_init(NULL, "data");
    return err;
}

#endif
