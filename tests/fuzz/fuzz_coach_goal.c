/*
 * Fuzz target: the goal expressions of coaching sessions ("aht <= 300 s").
 * Whatever the bytes, the parser accepts a goal within its metric's range or
 * refuses with coach.invalid_goal and a message; an accepted goal printed
 * back in canonical form parses to the same goal.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "coach/coach.h"
#include "common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct coach_goal g, again;
    if (coach_goal_parse((const char *)data, size, &g)) {
        if (!err_message()[0] || strcmp(err_code(), "coach.invalid_goal"))
            __builtin_trap(); /* a refusal says why, under its code */
        err_clear();
        return 0;
    }
    if ((unsigned)g.metric >= CM_METRICS || (unsigned)g.op > CO_GE || !(g.target >= 0))
        __builtin_trap();
    char text[64];
    int n = snprintf(text, sizeof(text), "%s %s %.2f", coach_metric_names[g.metric], coach_op_names[g.op], g.target);
    if (n <= 0 || (size_t)n >= sizeof(text) || coach_goal_parse(text, (size_t)n, &again) || again.metric != g.metric ||
        again.op != g.op || again.target != g.target)
        __builtin_trap();
    return 0;
}
