/*
 * What the IVR's unit tests share: a UTC time read as the clock reads it,
 * and one step of a session that fails the test when the flow refuses it.
 */
#ifndef WASL_IVR_TEST_H
#define WASL_IVR_TEST_H

#include "test.h"
#include "ivr/ivr_int.h"

static inline int64_t at(const char *utc)
{
    wtime_t t = 0;
    assert_int_equal(clock_parse_utc(utc, &t), 0);
    return t;
}

/* Feeds s an event of kind k (digits: its keys, or NULL) at now; *a: what
 * the IVR does next. */
static inline void step(struct ivr_session *s, enum ivr_event_kind k, const char *digits, int64_t now, struct ivr_action *a)
{
    struct ivr_event e = {.kind = k};
    if (digits)
        snprintf(e.digits, sizeof(e.digits), "%s", digits);
    if (ivr_step(s, &e, now, a))
        fail_msg("step at node %s: %s", ivr_node_name(s), err_message());
}

#endif
