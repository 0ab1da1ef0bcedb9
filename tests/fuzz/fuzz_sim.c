/*
 * Fuzz target: the simulator's data file (JSON, `wasl simulate FILE`).
 * Whatever is accepted is simulated when it is small: every caller has
 * one fate (offered = answered + abandoned + unserved, in each language
 * and half-hour), and no share leaves 0..1.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/core.h"
#include "sim/sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct sim_counts *c)
{
    if (c->offered != c->answered + c->abandoned + c->unserved || c->answered_within > c->answered || c->offered < 0)
        __builtin_trap();
    double sl = sim_service_level(c);
    if (c->offered && !(sl >= 0 && sl <= 1))
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct sim_in in;
    static struct sim_result r;
    char day[16];
    int weeks;
    if (size > 64 * 1024)
        return 0;
    json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!j)
        return 0;
    if (sim_in_from_json(j, &in, day, &weeks) || sim_check(&in)) {
        err_clear();
        json_decref(j);
        return 0;
    }
    json_decref(j);
    /* keep each run short: a small center, a few days */
    double calls = 0;
    int agents = 0;
    for (int l = 0; l < in.nlangs; l++)
        for (int s = 0; s < SIM_SLOTS; s++)
            calls += in.calls[l][s];
    for (int g = 0; g < in.ngroups; g++)
        agents += in.groups[g].count;
    if (calls * in.days > 3000 || agents > 200)
        return 0;
    if (sim_run(&in, &r)) {
        err_clear();
        return 0;
    }
    check(&r.total);
    for (int l = 0; l < in.nlangs; l++) {
        check(&r.lang[l]);
        for (int s = 0; s < SIM_SLOTS; s++)
            check(&r.slot[l][s]);
    }
    return 0;
}
