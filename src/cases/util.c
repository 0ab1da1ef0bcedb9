/*
 * Small pieces of the cases module: masking personal data for lists,
 * normalizing phone numbers, the limits of public look-ups (on src/limit), and queuing
 * mail in the outbox.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases_int.h"

void mask_id(const char *in, char *out, size_t n)
{
    size_t len = in ? strlen(in) : 0;
    if (!len) {
        snprintf(out, n, "%s", "");
        return;
    }
    if (len <= 4) {
        snprintf(out, n, "%s", "****");
        return;
    }
    /* The first two and last two characters: enough to tell two apart on the phone. */
    snprintf(out, n, "%.2s****%s", in, in + len - 2);
}

void mask_phone(const char *in, char *out, size_t n)
{
    char digits[32];
    size_t k = 0;
    for (const char *p = in ? in : ""; *p && k < sizeof(digits) - 1; p++)
        if (isdigit((unsigned char)*p))
            digits[k++] = *p;
    digits[k] = '\0';
    if (k < 6) {
        snprintf(out, n, "%s", k ? "****" : "");
        return;
    }
    snprintf(out, n, "+%.3s******%s", digits, digits + k - 2);
}

void mask_name(const char *in, char *out, size_t n)
{
    size_t k = 0;
    bool start = true;
    if (!in)
        in = "";
    /* Initials only: "Fatima Zahra El Idrissi" -> "F. Z. E. I." (whole UTF-8 characters). */
    for (const unsigned char *p = (const unsigned char *)in; *p && k + 8 < n; p++) {
        if (*p == ' ' || *p == '-') {
            start = true;
            continue;
        }
        if (start) {
            size_t cl = *p < 0x80 ? 1 : *p >= 0xF0 ? 4 : *p >= 0xE0 ? 3 : 2;
            if (k)
                out[k++] = ' ';
            for (size_t i = 0; i < cl && p[i]; i++)
                out[k++] = (char)p[i];
            out[k++] = '.';
            p += cl - 1;
            start = false;
        }
    }
    out[k] = '\0';
}

bool phone_normalize(const char *in, const char *country, char *out, size_t n)
{
    char d[32];
    size_t k = 0;
    bool plus = false;
    const char *p = in ? in : "";

    while (*p == ' ')
        p++;
    if (*p == '+') {
        plus = true;
        p++;
    }
    for (; *p && k < sizeof(d) - 1; p++) {
        if (isdigit((unsigned char)*p))
            d[k++] = *p;
        else if (!strchr(" .-()/", *p))
            return false;
    }
    d[k] = '\0';
    if (k < 6 || k > 15)
        return false;
    if (plus) {
        snprintf(out, n, "%s", d);
        return true;
    }
    if (!strncmp(d, "00", 2)) {
        snprintf(out, n, "%s", d + 2);
        return k > 8;
    }
    /* A national number: the country's calling code, without the trunk 0. */
    const struct country *c = geo_country(country);
    if (!c)
        return false;
    /* Italy (and San Marino, the Vatican) keeps the leading 0 of fixed lines
     * in international form: +39 06 ... */
    bool keep0 = !strcmp(c->iso2, "IT") || !strcmp(c->iso2, "SM") || !strcmp(c->iso2, "VA");
    snprintf(out, n, "%s%s", c->calling_code, d[0] == '0' && !keep0 ? d + 1 : d);
    return true;
}

static int too_many(int64_t wait)
{
    int64_t retry = limit_seconds(wait);
    err_set(WASL_ELIMIT, "cases.too_many_attempts", "too many attempts; try again in %lld minute(s)",
            (long long)((retry + 59) / 60));
    err_set_retry_after(retry);
    return WASL_ELIMIT;
}

int rate_hit(struct db_conn *c, const char *key, int max, int64_t window, int64_t block)
{
    /* The hit past max locks the key: it is refused, and so is every hit
     * until the block is over. */
    const struct limit_rule r = {.window = window * WTIME_SEC, .lock_after = max + 1, .lock = block * WTIME_SEC};
    int64_t now = clock_now(), wait = 0;
    enum limit_verdict v;
    int err;

    if ((err = limit_check(c, key, now, &wait)))
        return err;
    if (wait)
        return too_many(wait);
    if ((err = limit_count(c, &r, key, now, &v, &wait)))
        return err;
    return v == LIMIT_LOCKED ? too_many(wait) : 0;
}

/* The guard of PINs (see cases_int.h): "pin:<ref>", "pinpair:<ref>|<ip>",
 * "pinaddr:<ip>". */
static struct limit_guard pin_guard(void)
{
    struct limit_guard g = {
        .ns = "pin",
        .pair = {.window = cases_cfg.pin_lockout * WTIME_SEC,
                 .lock_after = cases_cfg.pin_failures,
                 .lock = cases_cfg.pin_lockout * WTIME_SEC},
        .addr = {.window = 3600 * WTIME_SEC, .lock_after = 4 * cases_cfg.pin_failures, .lock = cases_cfg.pin_lockout * WTIME_SEC},
        .subject = {.window = cases_cfg.pin_lockout * WTIME_SEC,
                    .free = cases_cfg.pin_failures,
                    .delay = WTIME_SEC,
                    .delay_max = cases_cfg.pin_max_delay * WTIME_SEC},
    };
    return g;
}

int pin_check(struct db_conn *c, const char *ref, const char *ip)
{
    struct limit_guard g = pin_guard();
    enum limit_scope refused;
    int64_t wait = 0;
    int err;

    if ((err = limit_guard_check(c, &g, ref, ip, clock_now(), &refused, &wait)) || refused == LIMIT_NONE)
        return err;
    if (refused != LIMIT_SUBJECT)
        return too_many(wait);
    int64_t retry = limit_seconds(wait);
    err_set(WASL_ELIMIT, "cases.slow_down", "too many wrong PINs for this reference; try again in %lld second(s)",
            (long long)retry);
    err_set_retry_after(retry);
    return WASL_ELIMIT;
}

int pin_fail(struct db_conn *c, const char *ref, const char *ip)
{
    struct limit_guard g = pin_guard();
    struct limit_outcome o;
    return limit_guard_fail(c, &g, ref, ip, clock_now(), true, &o);
}

int outbox_add(struct db_conn *c, int64_t case_id, const char *to, const char *subject, const char *body)
{
    unsigned char *to_b = NULL, *body_b = NULL;
    size_t to_n, body_n;
    int err;

    if ((err = seal(to, &to_b, &to_n)) || (err = seal(body, &body_b, &body_n)))
        goto out;
    err =
        db_exec(c, "INSERT INTO outbox (case_id, created_at, to_enc, subject, body_enc, status) VALUES (?, ?, ?, ?, ?, 'pending')",
                DBP(case_id ? DB_I(case_id) : DB_NULL, DB_I(clock_now()), DB_B(to_b, to_n), DB_S(subject), DB_B(body_b, body_n)));
out:
    free(to_b);
    free(body_b);
    return err;
}
