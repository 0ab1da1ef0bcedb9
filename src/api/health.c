/*
 * /healthz and /metrics.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "events/events.h"
#include "tel/tel.h"

int api_healthz(struct http_req *r)
{
    int err = db_ping(APP(r)->db);
    if (err)
        return http_reply_json(
            r, 503,
            json_pack("{s:s, s:s, s:s}", "status", "unavailable", "store", db_backend_name(APP(r)->db), "error", err_message()));
    return http_reply_json(r, 200, json_pack("{s:s, s:s}", "status", "ok", "store", db_backend_name(APP(r)->db)));
}

int api_metrics(struct http_req *r)
{
    char *parts[3] = {http_metrics_text(), tel_metrics_text(), events_metrics_text()};
    struct sbuf b;
    sbuf_init(&b, 1 << 22);
    for (int i = 0; i < 3; i++) {
        if (parts[i])
            sbuf_adds(&b, parts[i]);
        else
            b.oom = true;
        free(parts[i]);
    }
    sbuf_addf(&b,
              "# HELP wasl_store_up 1 while the data store answers, 0 during an outage.\n"
              "# TYPE wasl_store_up gauge\nwasl_store_up %d\n",
              !db_is_failing(APP(r)->db));
    if (b.oom) {
        sbuf_release(&b);
        return WASL_ENOMEM;
    }
    size_t n = b.len;
    return http_reply_text(r, 200, "text/plain; version=0.0.4; charset=utf-8", sbuf_take(&b), n);
}
