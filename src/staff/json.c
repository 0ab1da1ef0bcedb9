/*
 * A staffing result as JSON, for the API and the CLI's --json.
 */
#include <math.h>

#include <jansson.h>

#include "staff.h"

json_t *staff_result_json(const struct staff_result *r)
{
    return json_pack("{s:i, s:i, s:f, s:f, s:f, s:o, s:o, s:f, s:f, s:b}", "agents", r->agents, "rostered", r->rostered,
                     "traffic_erlangs", r->traffic, "service_level", r->service_level, "p_wait", r->p_wait, "asa_s",
                     isfinite(r->asa_s) ? json_real(r->asa_s) : json_null(), "avg_wait_s",
                     isfinite(r->avg_wait_s) ? json_real(r->avg_wait_s) : json_null(), "abandon", r->abandon, "occupancy",
                     r->occupancy, "stable", r->stable);
}
