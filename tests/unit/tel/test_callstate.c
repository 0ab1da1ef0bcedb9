/*
 * A call's transition table (src/tel/callstate.c) checked as a table: the
 * expected answer for every state and every event, written out here again
 * from docs/architecture.md; then its shape: one row per pair, an outcome
 * exactly on the rows that end a call, every state reachable from where
 * calls start, every state able to end.
 */
#include "test.h"
#include "tel/tel_int.h"

struct expect {
    enum tstate s;
    enum call_event e;
    const char *want; /* "state", "end:outcome"; pairs not listed: unchanged */
};

/* clang-format off */
static const struct expect table[] = {
    {T_IVR, CE_IVR_PLAY, "ivr"},           {T_IVR, CE_IVR_JOB, "lookup"},
    {T_IVR, CE_IVR_ENQUEUE, "queued"},     {T_IVR, CE_IVR_HANGUP, "end:completed"},
    {T_IVR, CE_CALLER_HANGUP, "end:caller_hangup"}, {T_IVR, CE_RTP_TIMEOUT, "end:rtp_timeout"},
    {T_JOB, CE_JOB_DONE, "ivr"},           {T_JOB, CE_CALLER_HANGUP, "end:caller_hangup"},
    {T_JOB, CE_RTP_TIMEOUT, "end:rtp_timeout"},
    {T_QUEUED, CE_AGENT_ANSWERED, "bridged"}, {T_QUEUED, CE_AGENT_DECLINED, "queued"},
    {T_QUEUED, CE_QUEUE_TIMEOUT, "ivr"},   {T_QUEUED, CE_CALLER_HANGUP, "end:abandoned"},
    {T_QUEUED, CE_RTP_TIMEOUT, "end:rtp_timeout"},
    {T_BRIDGED, CE_CALLER_HANGUP, "end:answered"}, {T_BRIDGED, CE_AGENT_HANGUP, "end:answered"},
    {T_BRIDGED, CE_RTP_TIMEOUT, "end:rtp_timeout"}, {T_BRIDGED, CE_TRANSFER, "queued"},
    {T_CB_QUEUED, CE_AGENT_ANSWERED, "dialling"}, {T_CB_QUEUED, CE_AGENT_DECLINED, "callback_queued"},
    {T_CB_QUEUED, CE_CENTER_CLOSED, "end:center_closed"},
    {T_DIALLING, CE_CITIZEN_ANSWERED, "bridged"}, {T_DIALLING, CE_CITIZEN_BUSY, "end:callback_busy"},
    {T_DIALLING, CE_CITIZEN_FAILED, "end:callback_no_answer"}, {T_DIALLING, CE_DIAL_TIMEOUT, "end:callback_no_answer"},
    {T_DIALLING, CE_DIAL_FAILED, "end:callback_failed"}, {T_DIALLING, CE_AGENT_HANGUP, "end:agent_hangup"},
    {T_BRIDGED, CE_MESSAGE_PLAYED, "end:callback_message"},
};
/* clang-format on */

static const char *expected(enum tstate s, enum call_event e)
{
    if (s == T_ENDED)
        return NULL;
    if (e == CE_ERROR)
        return "end:error";
    if (e == CE_SHUTDOWN)
        return "end:shutdown";
    if (e == CE_NO_ACK)
        return "end:no_ack"; /* answered, never acknowledged: from wherever it got to */
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (table[i].s == s && table[i].e == e)
            return table[i].want;
    return NULL;
}

static void every_pair(void **state)
{
    (void)state;
    int checked = 0;
    for (int s = 0; s < T_STATES; s++) {
        for (int e = 0; e < CE_EVENTS; e++) {
            const struct call_transition *t = call_transition_find((enum tstate)s, (enum call_event)e);
            const char *want = expected((enum tstate)s, (enum call_event)e);
            char got[64] = "";
            if (t && t->action == CA_END)
                snprintf(got, sizeof(got), "end:%s", t->outcome);
            else if (t)
                snprintf(got, sizeof(got), "%s", call_state_name(t->to));
            if (!want != !t || (want && strcmp(want, got))) {
                fprintf(stderr, "%s + %s: got %s, want %s\n", call_state_name((enum tstate)s), call_event_name((enum call_event)e),
                        t ? got : "(unchanged)", want ? want : "(unchanged)");
                fail();
            }
            checked++;
        }
    }
    assert_int_equal(checked, T_STATES * CE_EVENTS);
}

static void shape(void **state)
{
    (void)state;
    for (size_t i = 0; i < call_ntransitions; i++) {
        const struct call_transition *t = &call_transitions[i];
        /* an outcome exactly where the call ends */
        assert_int_equal(t->action == CA_END, t->outcome != NULL);
        assert_int_equal(t->action == CA_END, t->to == T_ENDED);
        /* one row per pair */
        for (size_t k = 0; k < i; k++)
            assert_false(call_transitions[k].from == t->from && call_transitions[k].event == t->event);
        assert_true(t->from != T_ENDED);
    }
    /* every state is reached from where calls start (a caller in the IVR,
     * a callback waiting for an agent) */
    bool seen[T_STATES] = {false};
    seen[T_IVR] = seen[T_CB_QUEUED] = true;
    for (int pass = 0; pass < T_STATES; pass++)
        for (size_t i = 0; i < call_ntransitions; i++) {
            const struct call_transition *t = &call_transitions[i];
            if (t->from == T_ANY || seen[t->from])
                seen[t->to] = true;
        }
    for (int s = 0; s < T_STATES; s++) {
        if (!seen[s])
            fprintf(stderr, "state %s is never reached\n", call_state_name((enum tstate)s));
        assert_true(seen[s]);
    }
    /* and every state but the end can end */
    for (int s = 0; s < T_STATES; s++)
        if (s != T_ENDED)
            assert_non_null(call_transition_find((enum tstate)s, CE_SHUTDOWN));
    assert_string_equal(call_state_name(T_DIALLING), "dialling");
    assert_string_equal(call_event_name(CE_SHUTDOWN), "shutdown");
    assert_string_equal(call_state_name((enum tstate)99), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_pair),
        cmocka_unit_test(shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
