/*
 * cases at the C level, with the clock injected: references and their check
 * character, sealing and blind indexes with key rotation, masking, phone
 * numbers, business time on the center's calendar, and, on a real store,
 * deadlines paused while waiting for the citizen, escalation, PIN throttling
 * and the retention purge. Runs on SQLite, and on PostgreSQL when
 * WASL_TEST_DB is set.
 */
#include "test_db.h"
#include "cases/cases_int.h"
#include "calendar/calendar.h"

static struct db *db;
static char *keyfile;
static const struct actor agent = {.login = "unit", .role = 1 /* ROLE_AGENT */, .request_id = "r1", .ip = "10.0.0.1"};

static int exec(const char *sql)
{
    struct db_conn *c;
    int err = db_conn_get(db, &c);
    if (!err) {
        err = db_exec(c, sql, NULL, 0);
        db_conn_put(c);
    }
    return err;
}

static wtime_t at(const char *utc)
{
    wtime_t t = 0;
    assert_int_equal(clock_parse_utc(utc, &t), 0);
    return t;
}

static int setup(void **state)
{
    const char *data = getenv("WASL_TEST_DATA");
    (void)state;
    if (!data)
        data = "data";
    conf_reset();
    conf_register(store_conf, store_conf_count);
    conf_register(auth_conf, auth_conf_count);
    conf_register(cases_conf, cases_conf_count);
    keyfile = test_tmp_path("wasl.key");
    conf_set("cases.key_file", keyfile, "test");
    conf_set("cases.pin_failures", "3", "test");
    conf_set("cases.pin_lockout", "10m", "test");
    conf_set("cases.retention_closed", "30d", "test");
    if (wrand_init() || auth_init() || geo_load(data) || cases_init(data, true))
        return -1;
    return test_db_open("cases.db", &db) ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    db_close(db);
    cases_shutdown();
    free(keyfile);
    clock_reset();
    return 0;
}

/* ---- references ---- */

static void references(void **state)
{
    static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    char ref[CASE_REF_LEN + 1], out[CASE_REF_LEN + 1], bad[CASE_REF_LEN + 1];
    (void)state;
    for (int n = 0; n < 300; n++) {
        case_ref_new(ref);
        assert_int_equal(strlen(ref), CASE_REF_LEN);
        assert_int_equal(case_ref_parse(ref, out), 0);
        assert_string_equal(ref, out);
        /* Every single wrong character is caught. */
        for (int i = 0; i < CASE_REF_LEN; i++) {
            if (ref[i] == '-')
                continue;
            for (int k = 0; k < 32; k++) {
                if (alphabet[k] == ref[i])
                    continue;
                memcpy(bad, ref, sizeof(bad));
                bad[i] = alphabet[k];
                if (case_ref_parse(bad, out) != WASL_EINVAL)
                    fail_msg("%s accepted for %s", bad, ref);
            }
        }
        /* Every swap of two different neighbours is caught, across the dashes too. */
        char plain[10];
        for (int i = 0, k = 0; i < CASE_REF_LEN; i++)
            if (ref[i] != '-')
                plain[k++] = ref[i];
        plain[9] = '\0';
        for (int i = 0; i + 1 < 9; i++) {
            char sw[10];
            memcpy(sw, plain, sizeof(sw));
            if (sw[i] == sw[i + 1])
                continue;
            char t = sw[i];
            sw[i] = sw[i + 1];
            sw[i + 1] = t;
            if (case_ref_parse(sw, out) != WASL_EINVAL)
                fail_msg("swap %s accepted for %s", sw, ref);
        }
    }
    /* Forgiving input: case, spaces, no dashes, I/L for 1 and O for 0. */
    case_ref_new(ref);
    char spaced[40], lower[40];
    snprintf(spaced, sizeof(spaced), " %.3s %.3s %.3s ", ref, ref + 4, ref + 8);
    for (size_t i = 0; i <= strlen(ref); i++)
        lower[i] = (char)(ref[i] >= 'A' && ref[i] <= 'Z' ? ref[i] + 32 : ref[i]);
    assert_int_equal(case_ref_parse(spaced, out), 0);
    assert_string_equal(out, ref);
    assert_int_equal(case_ref_parse(lower, out), 0);
    assert_string_equal(out, ref);
    char look[CASE_REF_LEN + 1];
    memcpy(look, ref, sizeof(look));
    for (int i = 0; i < CASE_REF_LEN; i++)
        look[i] = look[i] == '1' ? 'l' : look[i] == '0' ? 'O' : look[i];
    assert_int_equal(case_ref_parse(look, out), 0);
    assert_string_equal(out, ref);
    /* Wrong length, letters outside the alphabet, empty. */
    const char *junk[] = {"", "ABC-DEF-GH", "ABC-DEF-GHJK", "ABU-DEF-GHJ", "ABC_DEF_GHJ", "ABC-DEF-GH\xc3\xa9", NULL};
    for (int i = 0; junk[i]; i++)
        assert_int_equal(case_ref_parse(junk[i], out), WASL_EINVAL);
    assert_int_equal(case_ref_parse(NULL, out), WASL_EINVAL);
}

/* ---- sealing ---- */

static void sealing_and_rotation(void **state)
{
    unsigned char *b = NULL, *b2 = NULL;
    size_t n = 0, n2 = 0;
    char *plain = NULL, h1[65], h2[65], h3[65];
    (void)state;

    assert_int_equal(seal("Fatima El Idrissi", &b, &n), 0);
    assert_non_null(b);
    assert_null(memmem(b, n, "Fatima", 6));
    assert_int_equal(unseal(b, n, &plain), 0);
    assert_string_equal(plain, "Fatima El Idrissi");
    free(plain);
    plain = NULL;
    /* A flipped bit is refused, not decrypted to garbage. */
    b[n - 1] ^= 1;
    assert_int_not_equal(unseal(b, n, &plain), 0);
    assert_null(plain);
    b[n - 1] ^= 1;
    /* Nothing in, nothing out. */
    assert_int_equal(seal(NULL, &b2, &n2), 0);
    assert_null(b2);
    assert_int_equal(unseal(NULL, 0, &plain), 0);
    assert_null(plain);

    blind_index("phone", "33612345678", h1);
    blind_index("phone", "33612345678", h2);
    blind_index("email", "33612345678", h3);
    assert_string_equal(h1, h2);
    assert_string_not_equal(h1, h3);

    /* A new key: old blobs still open, new ones use it, indexes stay put. */
    int before = keys_current();
    assert_int_equal(keys_add(), 0);
    assert_int_equal(keys_current(), before + 1);
    assert_int_equal(sealed_key(b, n), before);
    assert_int_equal(seal("x", &b2, &n2), 0);
    assert_int_equal(sealed_key(b2, n2), before + 1);
    assert_int_equal(unseal(b, n, &plain), 0);
    assert_string_equal(plain, "Fatima El Idrissi");
    free(plain);
    blind_index("phone", "33612345678", h2);
    assert_string_equal(h1, h2);
    free(b);
    free(b2);
}

/* ---- masks and numbers ---- */

static void masks_and_phones(void **state)
{
    char out[64];
    (void)state;
    mask_id("AB1234567", out, sizeof(out));
    assert_string_equal(out, "AB****67");
    mask_id("ABC", out, sizeof(out));
    assert_string_equal(out, "****");
    mask_phone("+33612345678", out, sizeof(out));
    assert_string_equal(out, "+336******78");
    mask_name("Fatima Zahra El Idrissi", out, sizeof(out));
    assert_string_equal(out, "F. Z. E. I.");
    mask_name("يوسف العمراني", out, sizeof(out));
    assert_string_equal(out, "ي. ا.");

    static const struct {
        const char *in, *country, *out;
    } ok[] = {
        {"+33 6 12 34 56 78", NULL, "33612345678"}, {"0033 6 12 34 56 78", NULL, "33612345678"},
        {"06 12 34 56 78", "FR", "33612345678"},    {"(0)6-12-34-56-78", "FR", "33612345678"},
        {"612 345 678", "ES", "34612345678"},       {"+212 6 61 23 45 67", "FR", "212661234567"},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        if (!phone_normalize(ok[i].in, ok[i].country, out, sizeof(out)))
            fail_msg("%s refused", ok[i].in);
        assert_string_equal(out, ok[i].out);
    }
    const char *bad[] = {"06 12 34 56 78", "call me", "+33", "+33 6 12 34 56 78 90 12 34 56", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (phone_normalize(bad[i], NULL, out, sizeof(out)))
            fail_msg("%s accepted as %s", bad[i], out);
}

/* ---- business time ---- */

static int64_t sec(const char *utc)
{
    return at(utc) / WTIME_SEC;
}

static void business_time(void **state)
{
    const struct holiday *h;
    (void)state;
    /* Saturday 2026-11-28: open 08:00-20:00 Casablanca (UTC+0 since 2026-09-20). */
    assert_true(calendar_is_open(sec("2026-11-28T19:59:59Z")));
    assert_false(calendar_is_open(sec("2026-11-28T20:00:00Z")));
    assert_int_equal(calendar_state(sec("2026-11-29T12:00:00Z"), &h), CAL_CLOSED_HOURS); /* Sunday */
    /* Two business hours from Saturday 19:00 end on Monday 09:00. */
    assert_int_equal(calendar_add_business(sec("2026-11-28T19:00:00Z"), 7200), sec("2026-11-30T09:00:00Z"));
    assert_int_equal(calendar_business_between(sec("2026-11-28T19:00:00Z"), sec("2026-11-30T09:00:00Z")), 7200);
    /* A closed instant counts from the next opening. */
    assert_int_equal(calendar_next_open(sec("2026-11-29T03:00:00Z")), sec("2026-11-30T08:00:00Z"));
    /* New Year's Day 2027 (a Friday) is a holiday: Thursday 19:00 + 2 h = Saturday 09:00. */
    assert_int_equal(calendar_state(sec("2027-01-01T12:00:00Z"), &h), CAL_CLOSED_HOLIDAY);
    assert_non_null(h);
    assert_false(h->hijri);
    assert_int_equal(calendar_add_business(sec("2026-12-31T19:00:00Z"), 7200), sec("2027-01-02T09:00:00Z"));
    /* Before Morocco left +01, 08:00 local was 07:00 UTC outside Ramadan. */
    assert_true(calendar_is_open(sec("2025-06-10T07:30:00Z")));
    assert_false(calendar_is_open(sec("2025-06-10T06:59:00Z")));
    /* Hijri holidays come from the yearly table, marked estimated until confirmed. */
    const struct holiday *list[64];
    int n = calendar_holidays(2027, 2027, list, 64), hijri = 0;
    for (int i = 0; i < n; i++)
        if (list[i]->hijri) {
            hijri++;
            assert_true(calendar_holiday(list[i]->year, list[i]->month, list[i]->day) != NULL);
        }
    assert_true(hijri >= 4);
    /* The emergency switch closes the center whatever the hour. */
    calendar_set_emergency(true, "storm");
    assert_int_equal(calendar_state(sec("2026-11-30T10:00:00Z"), &h), CAL_CLOSED_EMERGENCY);
    calendar_set_emergency(false, NULL);
    assert_true(calendar_is_open(sec("2026-11-30T10:00:00Z")));
}

/* ---- on the store ---- */

static struct case_input complaint(void)
{
    struct case_input in = {.type = "complaint",
                            .category = "fees-appointments",
                            .language = "fr",
                            .country = "FR",
                            .subject = "Pas de rendez-vous",
                            .description = "Depuis un mois.",
                            .citizen = {.name = "Karim Tazi", .phone = "06 11 22 33 44", .email = "karim@example.org"}};
    return in;
}

static void deadlines_pause_and_escalation(void **state)
{
    struct case_input in = complaint();
    struct case_rec c, c2;
    char pin[7];
    int changed = 0;
    (void)state;

    /* Monday 10:00; normal complaint: first response in 12 business hours, resolution in 60. */
    clock_freeze(at("2026-11-30T10:00:00Z"));
    assert_int_equal(case_create(db, &agent, &in, &c, pin), 0);
    assert_string_equal(c.status, "new");
    assert_int_equal(c.first_response_due, at("2026-12-01T10:00:00Z"));
    /* The complaint's acknowledgement is a public event, and a mail is queued. */
    struct db_conn *conn;
    int64_t mails = 0;
    assert_int_equal(db_conn_get(db, &conn), 0);
    assert_int_equal(db_query_int(conn, &mails, "SELECT COUNT(*) FROM outbox WHERE case_id = ?", DBP(DB_I(c.id))), 0);
    db_conn_put(conn);
    assert_int_equal(mails, 1);

    /* Waiting for the citizen from Tuesday 10:00 to Wednesday 10:00 stops the clock for 12 business hours. */
    clock_freeze(at("2026-12-01T09:00:00Z"));
    struct case_change ch = {.status = "open"};
    assert_int_equal(case_update(db, &agent, c.reference, &ch), 0);
    clock_freeze(at("2026-12-01T10:00:00Z"));
    ch.status = "waiting_citizen";
    assert_int_equal(case_update(db, &agent, c.reference, &ch), 0);
    clock_freeze(at("2026-12-02T10:00:00Z"));
    ch.status = "open";
    assert_int_equal(case_update(db, &agent, c.reference, &ch), 0);
    assert_int_equal(case_read(db, c.reference, &c2), 0);
    assert_int_equal(c2.resolution_due, calendar_add_business(c.resolution_due / WTIME_SEC, 12 * 3600) * WTIME_SEC);
    assert_int_equal(c2.paused_since, 0);
    assert_true(c2.first_response_at > 0);

    /* A transition that is not allowed is refused. */
    ch.status = "closed";
    assert_int_equal(case_update(db, &agent, c.reference, &ch), WASL_ECONFLICT);

    /* Past the resolution target: escalated once, with an audit entry. */
    clock_freeze(c2.resolution_due + WTIME_SEC);
    assert_int_equal(cases_sla_tick(db, clock_now(), &changed), 0);
    assert_true(changed >= 1);
    case_rec_clear(&c2);
    assert_int_equal(case_read(db, c.reference, &c2), 0);
    assert_true(c2.escalated && c2.breached);
    int64_t due;
    assert_string_equal(case_deadline_state(&c2, clock_now(), &due), "breached");
    assert_int_equal(cases_sla_tick(db, clock_now(), &changed), 0);
    case_rec_clear(&c);
    case_rec_clear(&c2);
}

static void pin_throttling(void **state)
{
    struct case_input in = complaint();
    struct case_rec c;
    struct portal_status st;
    char pin[7], wrong[7];
    (void)state;

    clock_freeze(at("2026-11-30T11:00:00Z"));
    assert_int_equal(case_create(db, &agent, &in, &c, pin), 0);
    snprintf(wrong, sizeof(wrong), "%06d", (atoi(pin) + 1) % 1000000);
    assert_int_equal(portal_track(db, c.reference, pin, "10.1.1.1", &st, NULL, NULL), 0);
    assert_string_equal(st.status, "new");
    /* Wrong PIN and unknown reference: one answer. */
    assert_int_equal(portal_track(db, c.reference, wrong, "10.1.1.1", &st, NULL, NULL), WASL_ENOENT);
    assert_string_equal(err_code(), "cases.no_match");
    char other[CASE_REF_LEN + 1];
    case_ref_new(other);
    assert_int_equal(portal_track(db, other, pin, "10.1.1.2", &st, NULL, NULL), WASL_ENOENT);
    assert_string_equal(err_code(), "cases.no_match");
    /* Three wrong PINs (pin_failures = 3) from three addresses: the reference
     * is not locked, its owner follows it. */
    assert_int_equal(portal_track(db, c.reference, wrong, "10.1.1.3", &st, NULL, NULL), WASL_ENOENT);
    assert_int_equal(portal_track(db, c.reference, wrong, "10.1.1.4", &st, NULL, NULL), WASL_ENOENT);
    assert_int_equal(portal_track(db, c.reference, pin, "10.1.1.5", &st, NULL, NULL), 0);
    /* Past them each wrong PIN slows the reference down (1 s, 2 s, 4 s ...). */
    assert_int_equal(portal_track(db, c.reference, wrong, "10.1.1.6", &st, NULL, NULL), WASL_ENOENT);
    assert_int_equal(portal_track(db, c.reference, pin, "10.1.1.5", &st, NULL, NULL), WASL_ELIMIT);
    assert_string_equal(err_code(), "cases.slow_down");
    assert_int_equal(err_retry_after(), 1);
    clock_freeze(at("2026-11-30T11:00:01Z"));
    assert_int_equal(portal_track(db, c.reference, pin, "10.1.1.5", &st, NULL, NULL), 0);
    /* Three from one address lock that address out of the reference, for
     * pin_lockout (10 minutes), even with the right PIN; not the others. */
    assert_int_equal(portal_track(db, c.reference, wrong, "10.1.1.7", &st, NULL, NULL), WASL_ENOENT);
    clock_freeze(at("2026-11-30T11:00:03Z"));
    assert_int_equal(portal_track(db, c.reference, wrong, "10.1.1.7", &st, NULL, NULL), WASL_ENOENT);
    clock_freeze(at("2026-11-30T11:00:07Z"));
    assert_int_equal(portal_track(db, c.reference, wrong, "10.1.1.7", &st, NULL, NULL), WASL_ENOENT);
    clock_freeze(at("2026-11-30T11:01:00Z"));
    assert_int_equal(portal_track(db, c.reference, pin, "10.1.1.7", &st, NULL, NULL), WASL_ELIMIT);
    assert_string_equal(err_code(), "cases.too_many_attempts");
    assert_int_equal(portal_track(db, c.reference, pin, "10.1.1.5", &st, NULL, NULL), 0);
    clock_freeze(at("2026-11-30T11:11:00Z"));
    assert_int_equal(portal_track(db, c.reference, pin, "10.1.1.7", &st, NULL, NULL), 0);

    /* On the phone: the reference keyed on a keypad, same answers. */
    char keys[10];
    case_ref_keys(c.reference, keys);
    assert_int_equal(strlen(keys), 9);
    for (int i = 0, k = 0; c.reference[i]; i++)
        if (c.reference[i] != '-')
            assert_int_equal(keys[k++] - '0', keypad_digit(c.reference[i]));
    assert_int_equal(portal_track_keys(db, keys, pin, "tel:a", &st), 0);
    assert_string_equal(st.reference, c.reference);
    assert_int_equal(portal_track_keys(db, keys, wrong, "tel:a", &st), WASL_ENOENT);
    assert_string_equal(err_code(), "cases.no_match");
    assert_int_equal(portal_track_keys(db, "000000000", pin, "tel:b", &st), WASL_ENOENT);
    assert_string_equal(err_code(), "cases.no_match");
    assert_int_equal(portal_track_keys(db, "12345", pin, "tel:b", &st), WASL_EINVAL);
    assert_int_equal(portal_track_keys(db, "12345678#", pin, "tel:b", &st), WASL_EINVAL);
    case_rec_clear(&c);
}

static void purge_keeps_statistics(void **state)
{
    struct case_input in = complaint();
    struct case_rec c;
    char pin[7];
    int n = 0;
    (void)state;

    in.citizen.phone = "+34 612 000 111";
    clock_freeze(at("2026-12-01T09:00:00Z"));
    assert_int_equal(case_create(db, &agent, &in, &c, pin), 0);
    struct case_change ch = {.status = "resolved"};
    assert_int_equal(case_update(db, &agent, c.reference, &ch), 0);
    ch.status = "closed";
    assert_int_equal(case_update(db, &agent, c.reference, &ch), 0);
    /* Within the retention period nothing goes. */
    assert_int_equal(privacy_purge(db, at("2026-12-20T09:00:00Z"), &n), 0);
    assert_int_equal(n, 0);
    char *json = NULL;
    assert_int_equal(privacy_export(db, &agent, "+34612000111", NULL, &json), 0);
    assert_non_null(strstr(json, c.reference));
    assert_non_null(strstr(json, "Karim Tazi"));
    free(json);
    /* After 30 days closed: the personal data is gone, a statistics row stays. */
    int64_t stats_before = 0, stats_after = 0, left = 0;
    struct db_conn *conn;
    assert_int_equal(db_conn_get(db, &conn), 0);
    assert_int_equal(db_query_int(conn, &stats_before, "SELECT COUNT(*) FROM case_stats", NULL, 0), 0);
    db_conn_put(conn);
    clock_freeze(at("2027-01-05T09:00:00Z"));
    assert_int_equal(privacy_purge(db, clock_now(), &n), 0);
    assert_true(n >= 1);
    assert_int_equal(db_conn_get(db, &conn), 0);
    assert_int_equal(db_query_int(conn, &stats_after, "SELECT COUNT(*) FROM case_stats", NULL, 0), 0);
    assert_int_equal(db_query_int(conn, &left, "SELECT COUNT(*) FROM cases WHERE reference = ?", DBP(DB_S(c.reference))), 0);
    db_conn_put(conn);
    assert_true(stats_after >= stats_before + 1);
    assert_int_equal(left, 0);
    assert_int_equal(privacy_export(db, &agent, "+34612000111", NULL, &json), 0);
    assert_null(strstr(json, "Karim"));
    free(json);
    case_rec_clear(&c);
}

static int count_h(const struct case_rec *r, void *arg)
{
    (void)r;
    (*(int *)arg)++;
    return 0;
}

/* Names are found by their words, folded, through the keyed index; cases
 * stored before the index are indexed by the worker's backfill. */
static void names_found_and_backfilled(void **state)
{
    struct case_input in = complaint();
    struct case_rec c;
    char pin[7];
    int found, n = -1;
    struct {
        const char *q;
        int want;
    } searches[] = {
        {"Zoubida", 1}, {"zoubida EL-OUAFI", 1}, {"ZOUBIDÀ", 1}, {"el-ouafi zoubida", 1}, {"Zoubida Tazi", 0}, {"Zoub", 0},
    };
    (void)state;

    clock_freeze(at("2026-12-02T09:00:00Z"));
    in.citizen.name = "Zoubida El-Ouafi";
    in.subject = "Rendez-vous";
    assert_int_equal(case_create(db, &agent, &in, &c, pin), 0);
    for (size_t i = 0; i < sizeof(searches) / sizeof(searches[0]); i++) {
        struct case_filter f = {.q = searches[i].q};
        struct case_page pg;
        found = 0;
        assert_int_equal(case_list(db, &agent, &f, count_h, &found, &pg), 0);
        assert_int_equal(found, searches[i].want);
        assert_int_equal(pg.total, searches[i].want);
        assert_string_equal(pg.matched_by, "text");
    }
    /* As if stored before migration 0008. */
    assert_int_equal(exec("UPDATE cases SET name_tokens = NULL"), 0);
    struct case_filter f = {.q = "zoubida"};
    found = 0;
    assert_int_equal(case_list(db, &agent, &f, count_h, &found, NULL), 0);
    assert_int_equal(found, 0);
    assert_int_equal(cases_index_names(db, &n), 0);
    assert_true(n >= 1);
    assert_int_equal(case_list(db, &agent, &f, count_h, &found, NULL), 0);
    assert_int_equal(found, 1);
    assert_int_equal(cases_index_names(db, &n), 0);
    assert_int_equal(n, 0);
    case_rec_clear(&c);
}

static void rotation_on_store(void **state)
{
    struct case_input in = complaint();
    struct case_rec c, v;
    struct case_filter f = {.phone = "+33611223344"};
    char pin[7];
    int rows = 0;
    (void)state;

    clock_freeze(at("2026-12-02T09:00:00Z"));
    assert_int_equal(case_create(db, &agent, &in, &c, pin), 0);
    assert_int_equal(privacy_rotate_key(db, &agent, &rows), 0);
    assert_true(rows > 0);
    assert_int_equal(case_view(db, &agent, c.reference, &v), 0);
    assert_string_equal(v.citizen.name, "Karim Tazi");
    assert_string_equal(v.citizen.phone, "+33611223344");
    case_rec_clear(&v);
    /* Look-up by number still finds it. */
    int found = 0;
    assert_int_equal(case_list(db, &agent, &f, count_h, &found, NULL), 0);
    assert_true(found >= 1);
    /* The PIN still works too (it is keyed with the first key). */
    struct portal_status st;
    assert_int_equal(portal_track(db, c.reference, pin, "10.2.2.2", &st, NULL, NULL), 0);
    case_rec_clear(&c);
}

/* Three calls from one number while its callback waits make one request,
 * kept at its first place, in the language chosen last; another number, or
 * the same one once called back, makes a new one. */
static void callbacks_merged(void **state)
{
    struct callback_input in = {"33612345000", "FR", "+33800100200", "fr", "call-1", 0};
    int64_t first = 0, id = 0;
    bool merged = true;
    (void)state;
    assert_int_equal(callback_add(db, &in, &first, &merged), 0);
    assert_false(merged);
    in.language = "ar";
    in.call_id = "call-2";
    assert_int_equal(callback_add(db, &in, &id, &merged), 0);
    assert_true(merged);
    assert_int_equal(id, first);
    assert_int_equal(callback_add(db, &in, &id, NULL), 0);
    assert_int_equal(id, first);
    int64_t n = -1;
    struct db_conn *c;
    assert_int_equal(db_conn_get(db, &c), 0);
    assert_int_equal(db_query_int(c, &n, "SELECT COUNT(*) FROM callbacks WHERE status = 'pending'", NULL, 0), 0);
    assert_int_equal(n, 1);
    char lang[4] = "";
    struct db_stmt *s = NULL;
    assert_int_equal(db_query(c, &s, "SELECT language FROM callbacks WHERE id = ?", DBP(DB_I(first))), 0);
    assert_true(db_next(s));
    snprintf(lang, sizeof(lang), "%s", db_text(s, 0));
    assert_int_equal(db_end(s), 0);
    assert_string_equal(lang, "ar");
    in.phone = "33612345001";
    assert_int_equal(callback_add(db, &in, &id, &merged), 0);
    assert_false(merged);
    assert_true(id != first);
    assert_int_equal(db_exec(c, "UPDATE callbacks SET status = 'done' WHERE id = ?", DBP(DB_I(first))), 0);
    in.phone = "33612345000";
    assert_int_equal(callback_add(db, &in, &id, &merged), 0);
    assert_false(merged);
    assert_true(id != first);
    db_conn_put(c);
}

struct due_seen {
    int n;
    int64_t ids[8];
    char phone[8][24];
};

static int due_collect(const struct callback_due *r, void *arg)
{
    struct due_seen *d = arg;
    if (d->n < 8) {
        d->ids[d->n] = r->id;
        snprintf(d->phone[d->n], sizeof(d->phone[0]), "%s", r->phone);
    }
    d->n++;
    return 0;
}

/* Dialling: due requests oldest first with their number opened; a claim
 * keeps a request from a second dialler for 10 minutes; a failed attempt
 * comes back at its retry time, the last one gives the request up; an
 * answered one is done. */
static void callbacks_dialled(void **state)
{
    (void)state;
    struct db_conn *c;
    assert_int_equal(db_conn_get(db, &c), 0);
    assert_int_equal(db_exec(c, "DELETE FROM callbacks", NULL, 0), 0);
    db_conn_put(c);
    int64_t now = clock_now(), a = 0, b = 0;
    struct callback_input in = {"33612345100", "FR", "33800100200", "fr", "c-a", now - 3600 * WTIME_SEC};
    assert_int_equal(callback_add(db, &in, &a, NULL), 0);
    struct callback_input in2 = {"32470000001", "BE", "32800100200", "nl", "c-b", now - 7200 * WTIME_SEC};
    assert_int_equal(callback_add(db, &in2, &b, NULL), 0);
    struct due_seen d = {0};
    assert_int_equal(callbacks_due(db, now, 10, due_collect, &d), 0);
    assert_int_equal(d.n, 2);
    assert_int_equal(d.ids[0], b); /* asked first, dialled first */
    assert_string_equal(d.phone[0], "32470000001");
    assert_int_equal(callback_claim(db, b, now), 0);
    assert_int_equal(callback_claim(db, b, now), WASL_ECONFLICT);
    err_clear();
    /* given back untouched (wasl stopped): claimable again, no attempt spent */
    assert_int_equal(callback_release(db, b), 0);
    memset(&d, 0, sizeof(d));
    assert_int_equal(callbacks_due(db, now, 10, due_collect, &d), 0);
    assert_int_equal(d.n, 2);
    assert_int_equal(callback_claim(db, b, now), 0);
    memset(&d, 0, sizeof(d));
    assert_int_equal(callbacks_due(db, now, 10, due_collect, &d), 0);
    assert_int_equal(d.n, 1); /* the claimed one is not offered again */
    bool given_up = true;
    assert_int_equal(callback_attempted(db, b, "callback_busy", false, now + 900 * WTIME_SEC, 2, &given_up), 0);
    assert_false(given_up);
    memset(&d, 0, sizeof(d));
    assert_int_equal(callbacks_due(db, now, 10, due_collect, &d), 0);
    assert_int_equal(d.n, 1); /* b waits for its retry time */
    memset(&d, 0, sizeof(d));
    assert_int_equal(callbacks_due(db, now + 901 * WTIME_SEC, 10, due_collect, &d), 0);
    assert_int_equal(d.n, 2);
    assert_int_equal(callback_attempted(db, b, "callback_no_answer", false, now, 2, &given_up), 0);
    assert_true(given_up);
    assert_int_equal(callback_attempted(db, a, "answered", true, 0, 2, NULL), 0);
    memset(&d, 0, sizeof(d));
    assert_int_equal(callbacks_due(db, now + 86400 * WTIME_SEC, 10, due_collect, &d), 0);
    assert_int_equal(d.n, 0);
    char st[2][16];
    assert_int_equal(db_conn_get(db, &c), 0);
    struct db_stmt *s = NULL;
    assert_int_equal(
        db_query(c, &s, "SELECT status, last_result FROM callbacks WHERE id IN (?, ?) ORDER BY id", DBP(DB_I(a), DB_I(b))), 0);
    for (int i = 0; i < 2; i++) {
        assert_true(db_next(s));
        snprintf(st[i], sizeof(st[i]), "%s", db_text(s, 0));
    }
    assert_int_equal(db_end(s), 0);
    db_conn_put(c);
    assert_string_equal(st[a < b ? 0 : 1], "done");
    assert_string_equal(st[a < b ? 1 : 0], "cancelled");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(references),
        cmocka_unit_test(masks_and_phones),
        cmocka_unit_test(business_time),
        cmocka_unit_test(deadlines_pause_and_escalation),
        cmocka_unit_test(pin_throttling),
        cmocka_unit_test(purge_keeps_statistics),
        cmocka_unit_test(rotation_on_store),
        cmocka_unit_test(sealing_and_rotation),
        cmocka_unit_test(callbacks_merged),
        cmocka_unit_test(callbacks_dialled),
        cmocka_unit_test(names_found_and_backfilled),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
