/*
 * Small pieces of the cases module: masking personal data for lists,
 * normalizing phone numbers, rate limits for public look-ups, and queuing
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

int rate_check(struct db_conn *c, const char *key, int64_t *retry)
{
    int64_t until = 0, now = clock_now();
    int err = db_query_int(c, &until, "SELECT blocked_until FROM rate_limits WHERE key = ?", DBP(DB_S(key)));
    if (err == WASL_ENOENT) {
        err_clear();
        return 0;
    }
    if (err)
        return err;
    if (until > now) {
        *retry = (until - now + WTIME_SEC - 1) / WTIME_SEC;
        err_set(WASL_ELIMIT, "cases.too_many_attempts", "too many attempts; try again in %lld minute(s)",
                (long long)((*retry + 59) / 60));
        err_set_retry_after(*retry);
        return WASL_ELIMIT;
    }
    return 0;
}

int rate_hit(struct db_conn *c, const char *key, int max, int64_t window, int64_t block, int64_t *retry)
{
    int64_t now = clock_now(), start = now - window * WTIME_SEC, hits = 0;
    int err;

    if ((err = rate_check(c, key, retry)))
        return err;
    /* Insert-if-missing then one UPDATE, which serializes hits on one key. */
    if ((err = db_exec(c,
                       "INSERT INTO rate_limits (key, hits, window_start, blocked_until) VALUES (?, 0, ?, 0) "
                       "ON CONFLICT (key) DO NOTHING",
                       DBP(DB_S(key), DB_I(now)))) ||
        (err = db_exec(c,
                       "UPDATE rate_limits SET hits = CASE WHEN window_start < ? THEN 1 ELSE hits + 1 END, "
                       "window_start = CASE WHEN window_start < ? THEN ? ELSE window_start END WHERE key = ?",
                       DBP(DB_I(start), DB_I(start), DB_I(now), DB_S(key)))) ||
        (err = db_query_int(c, &hits, "SELECT hits FROM rate_limits WHERE key = ?", DBP(DB_S(key)))))
        return err;
    if (hits <= max)
        return 0;
    if ((err = db_exec(c, "UPDATE rate_limits SET blocked_until = ? WHERE key = ?", DBP(DB_I(now + block * WTIME_SEC), DB_S(key)))))
        return err;
    *retry = block;
    err_set(WASL_ELIMIT, "cases.too_many_attempts", "too many attempts; try again in %lld minute(s)",
            (long long)((block + 59) / 60));
    err_set_retry_after(block);
    return WASL_ELIMIT;
}

int rate_clear(struct db_conn *c, const char *key)
{
    return db_exec(c, "DELETE FROM rate_limits WHERE key = ?", DBP(DB_S(key)));
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
