/*
 * The dial plan: which toll-free number (DID) belongs to which country
 * (data/tel/numbers.csv), and the toll-fraud guard for the only calls wasl
 * ever places, callbacks (data/tel/outbound.csv): an ordinary number in a
 * country served, never a premium-rate or special range, never abroad.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tel_int.h"

#define DIDS_MAX 256
#define BLOCKS_MAX 512

struct did {
    char digits[20];
    char country[3];
};
struct block {
    char country[3];
    char prefix[12];
};

struct dialplan {
    struct did dids[DIDS_MAX];
    int ndids;
    struct block blocks[BLOCKS_MAX];
    int nblocks;
};

static struct dialplan plan;

int dialplan_digits(const char *in, char *out, size_t n)
{
    size_t k = 0;
    const char *p = in ? in : "";

    if (*p == '+')
        p++;
    else if (p[0] == '0' && p[1] == '0')
        p += 2;
    for (; *p; p++) {
        if (*p >= '0' && *p <= '9') {
            if (k + 1 >= n)
                return err_set(WASL_EINVAL, "tel.invalid_number", "number too long");
            out[k++] = *p;
        } else if (!strchr(" -.()", *p))
            return err_set(WASL_EINVAL, "tel.invalid_number", "'%c' is not part of a telephone number", *p);
    }
    out[k] = '\0';
    if (k < 6 || k > 15)
        return err_set(WASL_EINVAL, "tel.invalid_number", "a telephone number has 6 to 15 digits");
    return 0;
}

static int did_row(const struct csv_row *r, void *arg)
{
    struct dialplan *d = arg;
    const char *did = csv_get(r, "did"), *co = csv_get(r, "country");
    const struct country *c;
    int err;

    if (!did || !co)
        return err_set(WASL_EINVAL, "tel.bad_numbers", "columns did and country are required");
    if (d->ndids >= DIDS_MAX)
        return err_set(WASL_EINVAL, "tel.bad_numbers", "more than %d numbers", DIDS_MAX);
    struct did *x = &d->dids[d->ndids];
    if ((err = dialplan_digits(did, x->digits, sizeof(x->digits))))
        return err;
    if (!(c = geo_country(co)) || !c->covered)
        return err_set(WASL_EINVAL, "tel.bad_numbers", "%s: '%s' is not a country served (data/countries.csv)", did, co);
    for (int i = 0; i < d->ndids; i++)
        if (!strcmp(d->dids[i].digits, x->digits))
            return err_set(WASL_EINVAL, "tel.bad_numbers", "%s is listed twice", did);
    snprintf(x->country, sizeof(x->country), "%s", c->iso2);
    d->ndids++;
    return 0;
}

static int block_row(const struct csv_row *r, void *arg)
{
    struct dialplan *d = arg;
    const char *co = csv_get(r, "country"), *pre = csv_get(r, "prefix");

    if (!co || !pre)
        return err_set(WASL_EINVAL, "tel.bad_outbound", "columns country and prefix are required");
    if (!geo_country(co))
        return err_set(WASL_EINVAL, "tel.bad_outbound", "unknown country '%s'", co);
    if (!*pre || strlen(pre) >= sizeof(d->blocks[0].prefix) || strspn(pre, "0123456789") != strlen(pre))
        return err_set(WASL_EINVAL, "tel.bad_outbound", "prefix '%s' must be 1 to 11 digits", pre);
    if (d->nblocks >= BLOCKS_MAX)
        return err_set(WASL_EINVAL, "tel.bad_outbound", "more than %d prefixes", BLOCKS_MAX);
    snprintf(d->blocks[d->nblocks].country, 3, "%s", co);
    snprintf(d->blocks[d->nblocks].prefix, sizeof(d->blocks[0].prefix), "%s", pre);
    d->nblocks++;
    return 0;
}

int dialplan_parse(const char *numbers, size_t nlen, const char *outbound, size_t olen)
{
    static struct dialplan d;
    int err;

    memset(&d, 0, sizeof(d));
    if ((err = csv_parse(numbers, nlen, "data/tel/numbers.csv", did_row, &d)) ||
        (err = csv_parse(outbound, olen, "data/tel/outbound.csv", block_row, &d)))
        return err;
    plan = d;
    return 0;
}

int dialplan_load(const char *data_dir)
{
    char path[1100];
    char *text[2] = {NULL, NULL};
    size_t len[2] = {0, 0};
    int err = 0;

    for (int i = 0; i < 2 && !err; i++) {
        snprintf(path, sizeof(path), "%s/tel/%s", data_dir, i ? "outbound.csv" : "numbers.csv");
        err = file_read(path, &text[i], &len[i], 1 << 20);
    }
    if (!err)
        err = dialplan_parse(text[0], len[0], text[1], len[1]);
    free(text[0]);
    free(text[1]);
    return err;
}

const char *dialplan_country(const char *ruri_user)
{
    char d[20];
    if (dialplan_digits(ruri_user, d, sizeof(d))) {
        err_clear();
        return NULL;
    }
    for (int i = 0; i < plan.ndids; i++)
        if (!strcmp(plan.dids[i].digits, d))
            return plan.dids[i].country;
    return NULL;
}

int dialplan_numbers(void)
{
    return plan.ndids;
}

const char *dialplan_number_at(int i, const char **country)
{
    if (i < 0 || i >= plan.ndids)
        return NULL;
    if (country)
        *country = plan.dids[i].country;
    return plan.dids[i].digits;
}

int dialplan_outbound_check(const char *number, char *e164, size_t n, const char **country)
{
    char d[20];
    const struct country *best = NULL;
    size_t countries, bestlen = 0;
    const struct country *all = geo_countries(&countries);
    int err;

    if ((err = dialplan_digits(number, d, sizeof(d))))
        return err;
    for (size_t i = 0; i < countries; i++) {
        size_t l = strlen(all[i].calling_code);
        if (all[i].covered && l > bestlen && !strncmp(d, all[i].calling_code, l)) {
            best = &all[i];
            bestlen = l;
        }
    }
    if (!best)
        return err_set(WASL_EPERM, "tel.number_not_covered", "wasl only calls back numbers in the countries it serves");
    const char *national = d + bestlen;
    if (strlen(national) < 6)
        return err_set(WASL_EINVAL, "tel.invalid_number", "too short for a number in %s", best->iso2);
    for (int i = 0; i < plan.nblocks; i++)
        if (!strcmp(plan.blocks[i].country, best->iso2) && !strncmp(national, plan.blocks[i].prefix, strlen(plan.blocks[i].prefix)))
            return err_set(WASL_EPERM, "tel.number_blocked", "a premium-rate or special number is never called");
    if (e164)
        snprintf(e164, n, "%s", d);
    if (country)
        *country = best->iso2;
    return 0;
}
