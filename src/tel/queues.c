/*
 * The distributor's queues as data (data/tel/queues.json): one queue per
 * language and service, each with its strategy, service-level threshold,
 * limits (max wait, max length, leave when nobody is logged in) and
 * widening steps. The file gives defaults and then settings for patterns,
 * applied from the widest to the narrowest: "*.*", "*.<service>",
 * "<language>.*", "<language>.<service>". A queue is named by its language
 * for the "general" service ("fr") and "<language>.<service>" otherwise
 * ("fr.dossier"): the name the event log, the live status, transfers and
 * REFERs (queue-fr.dossier) use.
 *
 * The plan is checked whole before it replaces anything, and the flow is
 * checked against it: an enqueue node whose queues can send callers away
 * must say where they go (a flow that would strand a caller does not load).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "tel_int.h"
#include "acd/acd.h"
#include "ivr/ivr.h"

#define SERVICES_MAX ACD_SERVICES_MAX
#define QUEUES_FILE_MAX (256 * 1024)

struct qdata {
    char name[ACD_NAME_MAX], service[ACD_NAME_MAX], strategy[ACD_NAME_MAX];
    int language;
    int min_proficiency;
    int64_t max_wait, sl;
    int max_length;
    bool exit_no_agents;
    struct acd_widen widen[ACD_WIDEN_MAX];
    int nwiden;
};

struct queue_plan {
    char services[SERVICES_MAX][ACD_NAME_MAX];
    int nservices;
    struct qdata *q; /* language-major: index = language * nservices + service */
    int nq;
};

static struct queue_plan plan;

static int bad(const char *where, const char *what, const char *detail)
{
    return err_set(WASL_EINVAL, "data.invalid", "queues.json: %s: %s%s", where, what, detail ? detail : "");
}

static int seconds(json_t *o, const char *k, const char *where, int64_t lo, int64_t hi, int64_t *out)
{
    json_t *v = json_object_get(o, k);
    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        char d[64];
        snprintf(d, sizeof(d), " (%lld to %lld)", (long long)lo, (long long)hi);
        return bad(where, k, d);
    }
    *out = (int64_t)json_integer_value(v) * 1000000;
    return 0;
}

/* Applies one object of settings to a queue. */
static int apply(struct qdata *q, json_t *o, const char *where)
{
    static const char *const known[] = {
        "strategy", "service_level_seconds", "max_wait_seconds", "max_length", "min_proficiency", "leave_when_nobody", "widen",
        "comment"};
    const char *k;
    json_t *v;
    int64_t n;
    int err;
    if (!json_is_object(o))
        return bad(where, "an object of settings", NULL);
    json_object_foreach(o, k, v)
    {
        bool ok = false;
        for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
            ok |= !strcmp(k, known[i]);
        if (!ok)
            return bad(where, "unknown setting ", k);
    }
    if ((v = json_object_get(o, "strategy"))) {
        const char *s = json_string_value(v);
        bool ok = false;
        for (int i = 0; s && acd_strategy_name(i); i++)
            ok |= !strcmp(s, acd_strategy_name(i));
        if (!ok)
            return bad(where, "strategy: one of longest_idle, fewest_calls, round_robin, best_proficiency", NULL);
        /* the distributor rings all, but a call has one agent leg ringing at a time here */
        if (!strcmp(s, "ring_all"))
            return bad(where, "strategy ring_all: the telephony rings one phone per call (not supported yet)", NULL);
        snprintf(q->strategy, sizeof(q->strategy), "%s", s);
    }
    if ((err = seconds(o, "service_level_seconds", where, 1, 3600, &q->sl)) ||
        (err = seconds(o, "max_wait_seconds", where, 0, 7200, &q->max_wait)))
        return err;
    n = q->max_length;
    if ((v = json_object_get(o, "max_length")) && (!json_is_integer(v) || (n = json_integer_value(v)) < 0 || n > 100000))
        return bad(where, "max_length", " (0: no limit, up to 100000)");
    q->max_length = (int)n;
    n = q->min_proficiency;
    if ((v = json_object_get(o, "min_proficiency")) &&
        (!json_is_integer(v) || (n = json_integer_value(v)) < 1 || n > ACD_PROFICIENCY_MAX))
        return bad(where, "min_proficiency", " (1 to 5)");
    q->min_proficiency = (int)n;
    if ((v = json_object_get(o, "leave_when_nobody"))) {
        if (!json_is_boolean(v))
            return bad(where, "leave_when_nobody", " (true or false)");
        q->exit_no_agents = json_is_true(v);
    }
    if ((v = json_object_get(o, "widen"))) {
        size_t i;
        json_t *w;
        if (!json_is_array(v) || json_array_size(v) > ACD_WIDEN_MAX)
            return bad(where, "widen", " (a list of at most 4 steps)");
        q->nwiden = 0;
        json_array_foreach(v, i, w)
        {
            struct acd_widen *x = &q->widen[q->nwiden++];
            json_t *p = json_object_get(w, "min_proficiency"), *s2 = json_object_get(w, "second_language");
            *x = (struct acd_widen){0};
            if (!json_is_object(w) || (err = seconds(w, "after_seconds", where, 1, 7200, &x->after)) || !x->after)
                return err ? err : bad(where, "widen", ": each step has after_seconds (1 to 7200)");
            x->min_proficiency = p ? (int)json_integer_value(p) : q->min_proficiency;
            if ((p && (!json_is_integer(p) || x->min_proficiency < 1 || x->min_proficiency > ACD_PROFICIENCY_MAX)) ||
                (s2 && !json_is_boolean(s2)))
                return bad(where, "widen", ": min_proficiency 1 to 5, second_language true or false");
            x->second_language = json_is_true(s2);
        }
    }
    return 0;
}

static int service_index(const struct queue_plan *p, const char *s)
{
    for (int i = 0; i < p->nservices; i++)
        if (!strcmp(p->services[i], s))
            return i;
    return -1;
}

/* "<language|*>.<service|*>": which it names (-1: all), or an error. */
static int pattern(const struct queue_plan *p, const char *key, int *lang, int *svc)
{
    const char *dot = strchr(key, '.');
    char l[8];
    if (!dot || (size_t)(dot - key) >= sizeof(l))
        return bad(key, "a pattern is <language>.<service>, either may be *", NULL);
    snprintf(l, sizeof(l), "%.*s", (int)(dot - key), key);
    *lang = -1;
    *svc = -1;
    if (strcmp(l, "*") && (*lang = language_index(l)) < 0)
        return bad(key, "unknown language ", l);
    if (strcmp(dot + 1, "*") && (*svc = service_index(p, dot + 1)) < 0)
        return bad(key, "unknown service (not in \"services\") ", dot + 1);
    return 0;
}

static void plan_free(struct queue_plan *p)
{
    free(p->q);
    memset(p, 0, sizeof(*p));
}

static int parse(json_t *root, struct queue_plan *p)
{
    json_t *svc = json_object_get(root, "services"), *defaults = json_object_get(root, "defaults"),
           *queues = json_object_get(root, "queues"), *v;
    const char *k;
    size_t i;
    int err;
    if (!json_is_object(root))
        return bad("the file", "an object with services, defaults and queues", NULL);
    json_object_foreach(root, k, v)
    {
        if (strcmp(k, "services") && strcmp(k, "defaults") && strcmp(k, "queues") && strcmp(k, "comment"))
            return bad("the file", "unknown key ", k);
    }
    if (!json_is_array(svc) || !json_array_size(svc) || json_array_size(svc) > SERVICES_MAX)
        return bad("services", "a list of 1 to 8 service names, \"general\" first", NULL);
    json_array_foreach(svc, i, v)
    {
        const char *s = json_string_value(v);
        bool ok = s && *s && strlen(s) < 20;
        for (const char *c = s; ok && *c; c++)
            ok = (*c >= 'a' && *c <= 'z') || *c == '_';
        if (!ok || service_index(p, s) >= 0)
            return bad("services", "names of lower-case letters and _, up to 19, each once", NULL);
        snprintf(p->services[p->nservices++], ACD_NAME_MAX, "%s", s);
    }
    if (strcmp(p->services[0], "general"))
        return bad("services", "\"general\" comes first (the queue of a language without a service)", NULL);
    if (queues && !json_is_object(queues))
        return bad("queues", "an object of patterns", NULL);
    p->nq = wasl_nlanguages * p->nservices;
    if (!(p->q = calloc((size_t)p->nq, sizeof(*p->q))))
        return WASL_ENOMEM;
    for (int l = 0; l < wasl_nlanguages; l++)
        for (int s = 0; s < p->nservices; s++) {
            struct qdata *q = &p->q[l * p->nservices + s];
            q->language = l;
            snprintf(q->service, sizeof(q->service), "%s", p->services[s]);
            if (s)
                snprintf(q->name, sizeof(q->name), "%s.%s", wasl_languages[l], p->services[s]);
            else
                snprintf(q->name, sizeof(q->name), "%s", wasl_languages[l]);
            snprintf(q->strategy, sizeof(q->strategy), "longest_idle");
            q->min_proficiency = 1;
            q->sl = 20000000;
            if (defaults && (err = apply(q, defaults, "defaults")))
                return err;
        }
    /* the widest patterns first: "*.*", "*.s", "l.*", "l.s" */
    for (int pass = 0; pass < 4 && queues; pass++) {
        json_object_foreach(queues, k, v)
        {
            int lang = -1, s = -1;
            if ((err = pattern(p, k, &lang, &s)))
                return err;
            if ((lang >= 0) * 2 + (s >= 0) != pass)
                continue;
            for (int x = 0; x < p->nq; x++)
                if ((lang < 0 || p->q[x].language == lang) && (s < 0 || x % p->nservices == s) && (err = apply(&p->q[x], v, k)))
                    return err;
        }
    }
    return 0;
}

int queues_parse(const char *text, size_t len)
{
    json_error_t je;
    struct queue_plan p = {0};
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return err_set(WASL_EINVAL, "data.invalid", "queues.json:%d: %s", je.line, je.text);
    int err = parse(root, &p);
    json_decref(root);
    if (err) {
        plan_free(&p);
        return err;
    }
    plan_free(&plan);
    plan = p;
    return 0;
}

int queues_load(const char *file, const char *data_dir)
{
    char path[1100], *text = NULL;
    size_t len = 0;
    if (file)
        snprintf(path, sizeof(path), "%s", file);
    else
        snprintf(path, sizeof(path), "%s/tel/queues.json", data_dir);
    int err = file_read(path, &text, &len, QUEUES_FILE_MAX);
    if (!err)
        err = queues_parse(text, len);
    free(text);
    return err;
}

void queues_unload(void)
{
    plan_free(&plan);
}

int queues_add(struct acd *a)
{
    for (int i = 0; i < plan.nq; i++) {
        const struct qdata *q = &plan.q[i];
        struct acd_queue_def d = {.name = q->name,
                                  .language = q->language,
                                  .service = q->service,
                                  .strategy = q->strategy,
                                  .min_proficiency = q->min_proficiency,
                                  .max_wait = q->max_wait,
                                  .max_length = q->max_length,
                                  .sl_threshold = q->sl,
                                  .exit_no_agents = q->exit_no_agents,
                                  .nwiden = q->nwiden};
        memcpy(d.widen, q->widen, sizeof(d.widen));
        int idx, err = acd_queue_add(a, &d, &idx);
        if (err)
            return err;
        if (idx != i)
            return err_set(WASL_EINTERNAL, "tel.queues", "the distributor numbered queue %s %d, not %d", q->name, idx, i);
    }
    return 0;
}

int queues_check_flow(const struct ivr_flow *f)
{
    struct ivr_enqueue_info e;
    for (int i = 0; !ivr_flow_enqueue_at(f, i, &e); i++) {
        int s = service_index(&plan, e.service);
        if (s < 0)
            return err_set(WASL_EINVAL, "ivr.invalid_flow", "node %s: service '%s' has no queues (data/tel/queues.json)", e.node,
                           e.service);
        for (int l = 0; l < wasl_nlanguages; l++) {
            const struct qdata *q = &plan.q[l * plan.nservices + s];
            const char *missing = q->max_wait && !e.on_timeout                   ? "on_timeout (max_wait_seconds)"
                                  : q->max_length && !e.on_full && !e.on_timeout ? "on_full or on_timeout (max_length)"
                                  : q->exit_no_agents && !e.no_agents && !e.on_timeout
                                      ? "no_agents or on_timeout (leave_when_nobody)"
                                      : NULL;
            if (missing)
                return err_set(WASL_EINVAL, "ivr.invalid_flow",
                               "node %s: queue %s can send callers away, but the node does not say where to: add %s", e.node,
                               q->name, missing);
        }
    }
    return 0;
}

int queues_index(int language, const char *service)
{
    int s = service_index(&plan, service && *service ? service : "general");
    return language < 0 || language >= wasl_nlanguages || s < 0 ? -1 : language * plan.nservices + s;
}

int queues_find(const char *name)
{
    if (!strncmp(name, "queue-", 6) || !strncmp(name, "queue.", 6))
        name += 6;
    for (int i = 0; i < plan.nq; i++)
        if (!strcmp(plan.q[i].name, name))
            return i;
    return -1;
}

const char *queues_name(int i)
{
    return i >= 0 && i < plan.nq ? plan.q[i].name : "?";
}

int tel_plan_queues(void)
{
    return tel_running() ? plan.nq : 0;
}

const char *tel_plan_queue(int i, int *sl_seconds)
{
    if (i < 0 || i >= plan.nq)
        return NULL;
    *sl_seconds = (int)(plan.q[i].sl / 1000000);
    return plan.q[i].name;
}

int queues_services(void)
{
    return plan.nservices;
}

const char *queues_service(int i)
{
    return i >= 0 && i < plan.nservices ? plan.services[i] : NULL;
}
