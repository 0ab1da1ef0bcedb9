/*
 * The consulate a call is counted for (docs/metrics.md, Slices): that of the
 * case the agent recorded with the call at the desk. Read once per report
 * from the desk's records and the cases, sorted by call for a binary search.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats_int.h"
#include "core/core.h"
#include "store/store.h"

static int consulate_row(struct db_stmt *s, void *arg)
{
    struct stats_consulates *m = arg;
    const char *call = db_text(s, 0), *consulate = db_text(s, 1);
    char *end;
    long long id = call ? strtoll(call, &end, 10) : 0;
    if (id <= 0 || *end || !consulate || !*consulate) /* a call taken outside the telephony, a case without one */
        return 0;
    int err = stats_grow(&m->v, &m->cap, m->n, sizeof(*m->v), 1 << 24);
    if (err)
        return err;
    m->v[m->n].call = id;
    snprintf(m->v[m->n++].consulate, sizeof(m->v[0].consulate), "%s", consulate);
    return 0;
}

static int call_cmp(const void *a, const void *b)
{
    int64_t x = ((const struct stats_call_consulate *)a)->call, y = ((const struct stats_call_consulate *)b)->call;
    return x < y ? -1 : x > y;
}

const char *stats_consulate_of(int64_t call, void *arg)
{
    const struct stats_consulates *m = arg;
    struct stats_call_consulate key = {.call = call};
    const struct stats_call_consulate *hit = m->n ? bsearch(&key, m->v, (size_t)m->n, sizeof(*m->v), call_cmp) : NULL;
    return hit ? hit->consulate : "";
}

int stats_consulates_load(struct db *db, int64_t from, int64_t to, struct stats_consulates *m)
{
    int64_t late = (int64_t)STATS_RECORD_LATE_S * WTIME_SEC;
    int err = db_each(db,
                      "SELECT d.call_id, COALESCE(NULLIF(c.assignee_consulate, ''), c.consulate) FROM call_dispositions d "
                      "JOIN cases c ON c.reference = d.case_reference WHERE d.created_at >= ? AND d.created_at < ?",
                      DBP(DB_I(from), DB_I(to + late)), consulate_row, m);
    if (!err && m->n)
        qsort(m->v, (size_t)m->n, sizeof(*m->v), call_cmp);
    return err;
}
