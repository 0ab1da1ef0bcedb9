/*
 * /healthz and /metrics.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
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
    char *text = http_metrics_text(), *tel = tel_metrics_text();
    if (!text || !tel) {
        free(text);
        free(tel);
        return WASL_ENOMEM;
    }
    char store[160];
    int c = snprintf(store, sizeof(store),
                     "# HELP wasl_store_up 1 while the data store answers, 0 during an outage.\n"
                     "# TYPE wasl_store_up gauge\nwasl_store_up %d\n",
                     !db_is_failing(APP(r)->db));
    size_t a = strlen(text), b = strlen(tel), s = (size_t)c;
    char *all = realloc(text, a + b + s + 1);
    if (!all) {
        free(text);
        free(tel);
        return WASL_ENOMEM;
    }
    memcpy(all + a, tel, b);
    memcpy(all + a + b, store, s + 1);
    free(tel);
    return http_reply_text(r, 200, "text/plain; version=0.0.4; charset=utf-8", all, a + b + s);
}
