/*
 * The columns of a row of figures: one table for the API's JSON, the CSV
 * and the XLSX export, so the three never disagree.
 */
#include "stats.h"

#define COUNT(field)                                                                                                               \
    static double field(const struct stats_row *r)                                                                                 \
    {                                                                                                                              \
        return (double)r->field;                                                                                                   \
    }
COUNT(offered)
COUNT(answered)
COUNT(abandoned)
COUNT(short_abandons)
COUNT(sent_on)
COUNT(waiting)
COUNT(answered_within)
COUNT(abandoned_within)
COUNT(handled)
COUNT(transfers)
COUNT(rings_unanswered)
COUNT(callbacks)

#define SECONDS(name, field)                                                                                                       \
    static double name(const struct stats_row *r)                                                                                  \
    {                                                                                                                              \
        return (double)(r->field / 1000);                                                                                          \
    }
SECONDS(longest_wait, wait_max_ms)
SECONDS(talk, talk_ms)
SECONDS(hold, hold_ms)
SECONDS(wrap, wrap_ms)

const struct stats_column stats_columns[] = {
    {"offered", SC_COUNT, offered, 0},
    {"answered", SC_COUNT, answered, 0},
    {"abandoned", SC_COUNT, abandoned, 0},
    {"short_abandons", SC_COUNT, short_abandons, 0},
    {"sent_on", SC_COUNT, sent_on, 0},
    {"waiting", SC_COUNT, waiting, 0},
    {"answered_within", SC_COUNT, answered_within, 0},
    {"abandoned_within", SC_COUNT, abandoned_within, 0},
    {"service_level_answered", SC_SHARE, stats_sl_answered, 0},
    {"service_level_offered", SC_SHARE, stats_sl_offered, 0},
    {"abandon_rate", SC_SHARE, stats_abandon_rate, 0},
    {"asa_s", SC_SECONDS, stats_asa_s, 0},
    {"longest_wait_s", SC_SECONDS, longest_wait, 0},
    {"handled", SC_COUNT, handled, 0},
    {"aht_s", SC_SECONDS, stats_aht_s, 0},
    {"talk_s", SC_SECONDS, talk, 0},
    {"hold_s", SC_SECONDS, hold, 0},
    {"wrap_up_s", SC_SECONDS, wrap, 0},
    {"transfers", SC_COUNT, transfers, 0},
    {"rings_unanswered", SC_COUNT, rings_unanswered, 0},
    {"callbacks", SC_COUNT, callbacks, 0},
    {"occupancy", SC_SHARE, stats_occupancy, 0},
    {"utilisation", SC_SHARE, stats_utilisation, 0},
    {"available", SC_STATE, NULL, SA_AVAILABLE},
    {"ringing", SC_STATE, NULL, SA_RINGING},
    {"busy", SC_STATE, NULL, SA_BUSY},
    {"wrap_up", SC_STATE, NULL, SA_WRAP_UP},
    {"paused", SC_STATE, NULL, SA_PAUSED},
    {"offline", SC_STATE, NULL, SA_OFFLINE},
};
const int stats_ncolumns = (int)(sizeof(stats_columns) / sizeof(stats_columns[0]));

double stats_column_value(const struct stats_column *c, const struct stats_row *r)
{
    return c->type == SC_STATE ? (double)(r->state_ms[c->state] / 1000) : c->value(r);
}
