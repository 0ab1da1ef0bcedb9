/*
 * Reading and verifying the audit trail.
 */
#include <stdint.h>
#include <stdlib.h>

#include "api.h"

#define AUDIT_PAGE_MAX 500

int api_audit_list(struct http_req *r)
{
    struct audit_filter f = {http_query(r, "actor"), http_query(r, "action"), http_query(r, "object"), 0};
    long long limit = 100;
    struct audit_entry *e;
    json_t *list;
    int n, err;

    if ((err = api_query_int(r, "limit", 1, AUDIT_PAGE_MAX, &limit)) || (err = api_query_int(r, "before", 1, INT64_MAX, &f.before)))
        return err;
    if (!(e = malloc(sizeof(*e) * (size_t)limit)))
        return WASL_ENOMEM;
    if ((err = audit_list(APP(r)->db, &f, e, (int)limit, &n))) {
        free(e);
        return err;
    }
    list = json_array();
    for (int i = 0; list && i < n; i++) {
        json_t *d = json_loads(e[i].detail, 0, NULL);
        json_array_append_new(list,
                              json_pack("{s:I, s:o, s:s, s:s, s:s, s:o, s:s, s:s}", "seq", (json_int_t)e[i].seq, "at",
                                        api_time(e[i].at), "actor", e[i].actor, "action", e[i].action, "object", e[i].object,
                                        "detail", d ? d : json_string(e[i].detail), "request_id", e[i].request_id, "ip", e[i].ip));
    }
    free(e);
    return http_reply_json(r, 200, json_pack("{s:o}", "entries", list));
}

int api_audit_verify(struct http_req *r)
{
    struct audit_report rep;
    json_t *problems;
    int err = audit_verify(APP(r)->db, &rep);
    if (err)
        return err;
    problems = json_array();
    for (int i = 0; problems && i < rep.nlisted; i++)
        json_array_append_new(problems, json_pack("{s:s, s:I, s:s}", "kind", rep.problems[i].kind, "entry",
                                                  (json_int_t)rep.problems[i].seq, "text", rep.problems[i].text));
    return http_reply_json(r, 200,
                           json_pack("{s:b, s:I, s:I, s:s, s:I, s:o, s:I, s:i, s:I, s:s}", "intact", rep.nproblems == 0, "checked",
                                     (json_int_t)rep.checked, "first_bad_entry", (json_int_t)rep.bad_seq, "problem", rep.problem,
                                     "problem_count", (json_int_t)rep.nproblems, "problems", problems, "keyed_from",
                                     (json_int_t)rep.keyed_from, "checkpoints", rep.checkpoints, "checkpoint_entry",
                                     (json_int_t)rep.checkpoint_seq, "checkpoint_at", rep.checkpoint_at));
}
