/*
 * Goal expressions of coaching sessions ("aht < 300 s", "review >= 80 %"):
 * the parser and the comparison, without I/O. The grammar is in coach.h and
 * docs/coaching.md.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "coach.h"

const char *const coach_metric_names[CM_METRICS] = {"aht", "review", "csat", "rna"};
const char *const coach_op_names[4] = {"<", "<=", ">", ">="};
/* the unit a metric may be written with, and its range */
static const char *const units[CM_METRICS] = {"s", "%", "", "/week"};
static const double top[CM_METRICS] = {86400, 100, 5, 10000};

static void skip(const char *s, size_t len, size_t *i)
{
    while (*i < len && (s[*i] == ' ' || s[*i] == '\t'))
        (*i)++;
}

static bool starts(const char *s, size_t len, size_t i, const char *w)
{
    size_t n = strlen(w);
    return len - i >= n && !memcmp(s + i, w, n);
}

int coach_goal_parse(const char *s, size_t len, struct coach_goal *out)
{
    struct coach_goal g;
    size_t i = 0;
    int m = -1;
    if (!s || len > COACH_GOAL_EXPR_MAX)
        return err_set(WASL_EINVAL, "coach.invalid_goal", "a target of at most %d bytes", COACH_GOAL_EXPR_MAX);
    skip(s, len, &i);
    for (int k = 0; k < CM_METRICS && m < 0; k++)
        if (starts(s, len, i, coach_metric_names[k])) {
            size_t n = strlen(coach_metric_names[k]);
            /* a whole word: "rnax" is not "rna" */
            if (i + n == len || !((s[i + n] >= 'a' && s[i + n] <= 'z') || s[i + n] == '_')) {
                m = k;
                i += n;
            }
        }
    if (m < 0)
        return err_set(WASL_EINVAL, "coach.invalid_goal", "a target starts with aht, review, csat or rna");
    g.metric = (enum coach_metric)m;
    skip(s, len, &i);
    if (starts(s, len, i, "<=") || starts(s, len, i, "\xe2\x89\xa4")) /* ≤ */
        g.op = CO_LE, i += s[i] == '<' ? 2 : 3;
    else if (starts(s, len, i, ">=") || starts(s, len, i, "\xe2\x89\xa5")) /* ≥ */
        g.op = CO_GE, i += s[i] == '>' ? 2 : 3;
    else if (starts(s, len, i, "<"))
        g.op = CO_LT, i++;
    else if (starts(s, len, i, ">"))
        g.op = CO_GT, i++;
    else
        return err_set(WASL_EINVAL, "coach.invalid_goal", "after '%s': a comparison <, <=, >, >=", coach_metric_names[m]);
    skip(s, len, &i);
    /* a plain decimal number: digits, at most one point and 2 decimals */
    char num[16];
    size_t n = 0;
    int dots = 0, decimals = 0;
    while (i < len && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.') && n < sizeof(num) - 1) {
        if (s[i] == '.')
            dots++;
        else if (dots)
            decimals++;
        num[n++] = s[i++];
    }
    num[n] = 0;
    if (!n || dots > 1 || decimals > 2 || num[0] == '.' || num[n - 1] == '.' || (i < len && s[i] >= '0' && s[i] <= '9'))
        return err_set(WASL_EINVAL, "coach.invalid_goal", "after the comparison: a number such as 300 or 4.5");
    g.target = strtod(num, NULL);
    if (!(g.target >= 0 && g.target <= top[m]))
        return err_set(WASL_EINVAL, "coach.invalid_goal", "%s is between 0 and %g", coach_metric_names[m], top[m]);
    skip(s, len, &i);
    if (i < len && *units[m] && starts(s, len, i, units[m]))
        i += strlen(units[m]);
    else if (i < len && m == CM_RNA && starts(s, len, i, "/w"))
        i += 2;
    skip(s, len, &i);
    if (i != len)
        return err_set(WASL_EINVAL, "coach.invalid_goal", "%s is followed by nothing%s%s%s", coach_metric_names[m],
                       *units[m] ? " or its unit '" : "", units[m], *units[m] ? "'" : "");
    *out = g;
    return 0;
}

bool coach_goal_met(const struct coach_goal *g, double v)
{
    /* figures are shown rounded to a tenth: compare what is shown */
    v = round(v * 10) / 10;
    switch (g->op) {
    case CO_LT:
        return v < g->target;
    case CO_LE:
        return v <= g->target;
    case CO_GT:
        return v > g->target;
    default:
        return v >= g->target;
    }
}
