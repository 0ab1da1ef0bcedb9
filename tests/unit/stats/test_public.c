/*
 * The suppression rule of the published figures (src/stats/public.c,
 * docs/published-figures.md), table by table: one column of counts over a
 * few rows and their total, and which cells come out withheld.
 */
#include <math.h>

#include "test.h"
#include "stats/stats.h"

#define MIN 10
#define NMAX 6

struct column_case {
    const char *what;
    double total, rows[NMAX]; /* rows end at a negative value */
    const char *want;         /* per cell, total first: '.' shown, 'c' withheld */
};

static const struct column_case cases[] = {
    {"nothing small, nothing withheld", 50, {20, 30, -1}, "..."},
    {"one small cell: the smallest other non-zero one goes with it", 34, {20, 11, 3, 0, -1}, "..cc."},
    {"two small cells adding up to less than 10: a third one", 26, {20, 2, 4, -1}, ".ccc"},
    {"two small cells adding up to 10 or more: enough", 31, {15, 9, 7, -1}, "..cc"},
    {"zeros are shown and never chosen", 15, {0, 12, 3, 0, -1}, "..cc."},
    {"a small total is withheld with its only row", 3, {3, 0, -1}, "cc."},
};

static void a_column(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct column_case *c = &cases[i];
        struct stats_pub_row rows[NMAX + 1];
        int n = 1;
        memset(rows, 0, sizeof(rows));
        rows[0].level = SPL_TOTAL;
        rows[0].value[SP_COMPLAINTS_RECEIVED] = c->total;
        for (int k = 0; k < NMAX && c->rows[k] >= 0; k++, n++) {
            rows[n].level = SPL_CONSULATE;
            rows[n].value[SP_COMPLAINTS_RECEIVED] = c->rows[k];
        }
        for (int r = 0; r < n; r++)
            for (int k = 0; k < SP_FIGURES; k++)
                rows[r].cell[k] = k == SP_COMPLAINTS_RECEIVED ? SPC_SHOWN : SPC_EMPTY;
        stats_pub_suppress(rows, n, MIN);
        char got[NMAX + 2] = {0};
        for (int r = 0; r < n; r++)
            got[r] = rows[r].cell[SP_COMPLAINTS_RECEIVED] == SPC_SUPPRESSED ? 'c' : '.';
        if (strcmp(got, c->want))
            fail_msg("%s: got %s, want %s", c->what, got, c->want);
    }
}

/* A share: shown from 10 people up, withheld under that or when its count is. */
static void shares_and_medians(void **state)
{
    (void)state;
    struct stats_pub_row rows[3];
    memset(rows, 0, sizeof(rows));
    uint32_t waits[3][STATS_PUB_WAIT_MAX];
    memset(waits, 0, sizeof(waits));
    double answered[3] = {24, 12, 12};
    for (int r = 0; r < 3; r++) {
        rows[r].level = r ? SPL_COUNTRY : SPL_TOTAL;
        snprintf(rows[r].key, sizeof(rows[r].key), "%s", r == 1 ? "FR" : r == 2 ? "ES" : "all");
        for (int k = 0; k < SP_FIGURES; k++)
            rows[r].cell[k] = k == SP_CALLS_ANSWERED || k == SP_RATINGS ? SPC_SHOWN : SPC_EMPTY;
        rows[r].value[SP_CALLS_ANSWERED] = answered[r];
        rows[r].waits = waits[r];
        rows[r].sl_base = (int64_t)answered[r];
        rows[r].sl_within = (int64_t)answered[r] / 2;
    }
    waits[1][3] = 5; /* France: 5 at 3 s, 7 at 40 s: the 6th of 12 waited 40 s */
    waits[1][40] = 7;
    waits[2][8] = 12;
    waits[0][3] = 5, waits[0][8] = 12, waits[0][40] = 7;
    rows[1].value[SP_RATINGS] = 12, rows[1].satisfied = 9; /* France: 12 ratings, 9 at 4 or 5 */
    rows[2].value[SP_RATINGS] = 4, rows[2].satisfied = 4;  /* Spain: 4, all content: withheld */
    rows[0].value[SP_RATINGS] = 16, rows[0].satisfied = 13;
    stats_pub_suppress(rows, 3, MIN);
    assert_int_equal(rows[1].cell[SP_MEDIAN_WAIT], SPC_SHOWN);
    assert_true(rows[1].value[SP_MEDIAN_WAIT] == 40);
    assert_true(rows[0].value[SP_MEDIAN_WAIT] == 8); /* the 12th of 24 */
    assert_true(fabs(rows[1].value[SP_SERVICE_LEVEL] - 0.5) < 1e-9);
    assert_int_equal(rows[2].cell[SP_RATINGS], SPC_SUPPRESSED);
    assert_int_equal(rows[2].cell[SP_SATISFACTION], SPC_SUPPRESSED);
    /* France's 12 ratings hide Spain's 4 from the total, and so its satisfaction */
    assert_int_equal(rows[1].cell[SP_RATINGS], SPC_SUPPRESSED);
    assert_int_equal(rows[1].cell[SP_SATISFACTION], SPC_SUPPRESSED);
    assert_int_equal(rows[0].cell[SP_SATISFACTION], SPC_SHOWN);
    assert_true(fabs(rows[0].value[SP_SATISFACTION] - 13.0 / 16) < 1e-9);
    /* no complaint: nothing to compute, not withheld */
    assert_int_equal(rows[1].cell[SP_RESOLVED_IN_TIME], SPC_EMPTY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_column),
        cmocka_unit_test(shares_and_medians),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
