/*
 * Loading a flow: JSON into nodes, with every mistake named (file, node,
 * field), and the checks that make a flow safe to run: references resolve,
 * prompts exist, every node is reachable from the start, and no cycle runs
 * through nodes that never wait for the caller (it would spin forever).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "ivr_int.h"

static const struct {
    const char *name;
    enum node_type type;
    bool waits; /* waits for the caller (breaks a loop) */
} types[] = {
    {"play", N_PLAY, false},
    {"say", N_SAY, false},
    {"menu", N_MENU, true},
    {"language", N_LANGUAGE, true},
    {"collect", N_COLLECT, true},
    {"hours", N_HOURS, false},
    {"set_language", N_SET_LANGUAGE, false},
    /* skipped without a word when the caller speaks the offered language */
    {"second_language", N_SECOND_LANGUAGE, false},
    {"enqueue", N_ENQUEUE, true},
    {"record", N_RECORD, true},
    {"case_status", N_CASE_STATUS, false},
    {"callback", N_CALLBACK, false},
    {"hangup", N_HANGUP, true},
};

const char *node_type_name(enum node_type t)
{
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (types[i].type == t)
            return types[i].name;
    return "?";
}

static bool type_waits(enum node_type t)
{
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (types[i].type == t)
            return types[i].waits;
    return false;
}

struct ctx {
    struct ivr_flow *f;
    const char *file;
    ivr_prompt_known_h known;
    void *arg;
    json_t *nodes;
};

static int fail(struct ctx *c, const char *node, const char *fmt, const char *a, const char *b)
{
    char what[256];
    snprintf(what, sizeof(what), fmt, a ? a : "", b ? b : "");
    if (node)
        return err_set(WASL_EINVAL, "ivr.invalid_flow", "%s: node '%.40s': %s", c->file, node, what);
    return err_set(WASL_EINVAL, "ivr.invalid_flow", "%s: %s", c->file, what);
}

static int node_index(const struct ivr_flow *f, const char *name)
{
    for (int i = 0; i < f->nnodes; i++)
        if (!strcmp(f->nodes[i].name, name))
            return i;
    return -1;
}

/* A reference to another node: *out = its index, or -1 when absent and optional. */
static int ref(struct ctx *c, const char *node, json_t *o, const char *field, bool required, int *out)
{
    json_t *v = json_object_get(o, field);
    *out = -1;
    if (!v) {
        if (required)
            return fail(c, node, "'%s' is missing", field, NULL);
        return 0;
    }
    if (!json_is_string(v))
        return fail(c, node, "'%s' must be the name of a node", field, NULL);
    if ((*out = node_index(c->f, json_string_value(v))) < 0)
        return fail(c, node, "'%s' goes to unknown node '%.40s'", field, json_string_value(v));
    return 0;
}

static int str_field(struct ctx *c, const char *node, json_t *o, const char *field, bool required, char *out, size_t n)
{
    json_t *v = json_object_get(o, field);
    out[0] = '\0';
    if (!v) {
        if (required)
            return fail(c, node, "'%s' is missing", field, NULL);
        return 0;
    }
    if (!json_is_string(v) || strlen(json_string_value(v)) >= n || !*json_string_value(v))
        return fail(c, node, "'%s' must be a short text", field, NULL);
    snprintf(out, n, "%s", json_string_value(v));
    return 0;
}

static int int_field(struct ctx *c, const char *node, json_t *o, const char *field, int lo, int hi, int dflt, int *out)
{
    json_t *v = json_object_get(o, field);
    *out = dflt;
    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        char range[48];
        snprintf(range, sizeof(range), "%d to %d", lo, hi);
        return fail(c, node, "'%s' must be a whole number from %s", field, range);
    }
    *out = (int)json_integer_value(v);
    return 0;
}

static bool dynamic_known(const char *p)
{
    static const char *const dyn[] = {"$center_hours",   "$local_hours", "$next_open",
                                      "$case_reference", "$case_status", "$case_expected"};
    for (size_t i = 0; i < sizeof(dyn) / sizeof(dyn[0]); i++)
        if (!strcmp(p, dyn[i]))
            return true;
    return false;
}

static int one_prompt(struct ctx *c, const char *node, const char *field, const char *s, struct node *n)
{
    if (!s || !*s || strlen(s) >= IVR_NAME_MAX)
        return fail(c, node, "'%s' holds something that is not a prompt name", field, NULL);
    if (s[0] == '$' ? !dynamic_known(s) : (c->known && !c->known(s, c->arg)))
        return fail(c, node, "prompt '%.40s' does not exist (data/prompts/<lang>.txt)", s, NULL);
    snprintf(n->prompts[n->nprompts++], IVR_NAME_MAX, "%s", s);
    return 0;
}

/* "prompts": a prompt name, or a list of them ("$..." for spoken values). */
static int prompts(struct ctx *c, const char *node, json_t *o, const char *field, bool required, struct node *n)
{
    json_t *v = json_object_get(o, field), *p;
    size_t i;
    int err;
    n->nprompts = 0;
    if (!v)
        return required ? fail(c, node, "'%s' is missing", field, NULL) : 0;
    if (json_is_string(v))
        return one_prompt(c, node, field, json_string_value(v), n);
    if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > NODE_PROMPTS)
        return fail(c, node, "'%s' must be a prompt or a list of prompts", field, NULL);
    json_array_foreach(v, i, p)
    {
        if ((err = one_prompt(c, node, field, json_string_value(p), n)))
            return err;
    }
    return 0;
}

static int parse_node(struct ctx *c, int idx, json_t *o)
{
    struct node *n = &c->f->nodes[idx];
    const char *name = n->name, *type = json_string_value(json_object_get(o, "type"));
    int err = 0, t;

    if (!json_is_object(o))
        return fail(c, name, "a node is an object with a \"type\"", NULL, NULL);
    for (size_t i = 0; type && i < sizeof(types) / sizeof(types[0]); i++)
        if (!strcmp(type, types[i].name))
            n->type = types[i].type, type = NULL;
    if (type || !json_object_get(o, "type"))
        return fail(c, name, "unknown type '%.20s'", type ? type : "", NULL);
    /* Fields every node may have; the others are checked below. */
    switch (n->type) {
    case N_PLAY:
        if ((err = prompts(c, name, o, "prompts", true, n)) || (err = ref(c, name, o, "next", true, &n->next)))
            return err;
        break;
    case N_SAY:
        if ((err = str_field(c, name, o, "kind", true, n->say_kind, sizeof(n->say_kind))) ||
            (err = str_field(c, name, o, "var", true, n->var, sizeof(n->var))) || (err = ref(c, name, o, "next", true, &n->next)))
            return err;
        if (strcmp(n->say_kind, "number") && strcmp(n->say_kind, "digits"))
            return fail(c, name, "'kind' must be number or digits", NULL, NULL);
        break;
    case N_MENU: {
        json_t *ch = json_object_get(o, "choices"), *to;
        const char *key;
        if ((err = prompts(c, name, o, "prompts", true, n)) || (err = int_field(c, name, o, "timeout", 1, 60, 6, &t)) ||
            (err = int_field(c, name, o, "retries", 0, 9, 2, &n->retries)) || (err = ref(c, name, o, "on_fail", true, &n->on_fail)))
            return err;
        n->timeout_ms = t * 1000;
        if (!json_is_object(ch) || !json_object_size(ch))
            return fail(c, name, "'choices' must map keys to nodes", NULL, NULL);
        json_object_foreach(ch, key, to)
        {
            if (strlen(key) != 1 || !strchr("0123456789*#", key[0]))
                return fail(c, name, "choice '%.8s' is not a phone key", key, NULL);
            if (!json_is_string(to) || node_index(c->f, json_string_value(to)) < 0)
                return fail(c, name, "choice '%s' goes to unknown node '%.40s'", key,
                            json_is_string(to) ? json_string_value(to) : "?");
            n->choices[n->nchoices].key = key[0];
            n->choices[n->nchoices++].to = node_index(c->f, json_string_value(to));
        }
        break;
    }
    case N_LANGUAGE:
        if ((err = int_field(c, name, o, "timeout", 1, 60, 6, &t)) ||
            (err = int_field(c, name, o, "retries", 0, 9, 1, &n->retries)) || (err = ref(c, name, o, "next", true, &n->next)))
            return err;
        n->timeout_ms = t * 1000;
        break;
    case N_COLLECT: {
        char term[4];
        if ((err = prompts(c, name, o, "prompts", true, n)) || (err = str_field(c, name, o, "var", true, n->var, sizeof(n->var))) ||
            (err = int_field(c, name, o, "min", 1, IVR_DIGITS_MAX - 1, 1, &n->min)) ||
            (err = int_field(c, name, o, "max", 1, IVR_DIGITS_MAX - 1, 16, &n->max)) ||
            (err = int_field(c, name, o, "timeout", 1, 60, 8, &t)) ||
            (err = int_field(c, name, o, "retries", 0, 9, 2, &n->retries)) ||
            (err = str_field(c, name, o, "terminator", false, term, sizeof(term))) ||
            (err = ref(c, name, o, "next", true, &n->next)) || (err = ref(c, name, o, "on_fail", true, &n->on_fail)))
            return err;
        if (n->min > n->max)
            return fail(c, name, "'min' is more than 'max'", NULL, NULL);
        if (term[0] && (term[1] || !strchr("*#", term[0])))
            return fail(c, name, "'terminator' is * or #", NULL, NULL);
        n->terminator = term[0];
        n->timeout_ms = t * 1000;
        break;
    }
    case N_HOURS:
        if ((err = ref(c, name, o, "open", true, &n->open)) || (err = ref(c, name, o, "closed", true, &n->closed)) ||
            (err = ref(c, name, o, "holiday", false, &n->holiday)) || (err = ref(c, name, o, "emergency", false, &n->emergency)))
            return err;
        if (n->holiday < 0)
            n->holiday = n->closed;
        if (n->emergency < 0)
            n->emergency = n->closed;
        break;
    case N_SET_LANGUAGE:
        if ((err = str_field(c, name, o, "language", true, n->language, sizeof(n->language))) ||
            (err = ref(c, name, o, "next", true, &n->next)))
            return err;
        if (!language_valid(n->language))
            return fail(c, name, "unknown language '%s'", n->language, NULL);
        break;
    case N_SECOND_LANGUAGE:
        if ((err = str_field(c, name, o, "language", true, n->language, sizeof(n->language))) ||
            (err = prompts(c, name, o, "prompts", true, n)) || (err = int_field(c, name, o, "timeout", 1, 60, 6, &t)) ||
            (err = int_field(c, name, o, "retries", 0, 9, 1, &n->retries)) || (err = ref(c, name, o, "next", true, &n->next)))
            return err;
        if (!language_valid(n->language))
            return fail(c, name, "unknown language '%s'", n->language, NULL);
        n->timeout_ms = t * 1000;
        n->on_fail = n->next; /* no answer: no consent */
        break;
    case N_ENQUEUE:
        if ((err = int_field(c, name, o, "max_wait", 0, 7200, 0, &n->max_wait)) ||
            (err = ref(c, name, o, "on_timeout", n->max_wait > 0, &n->on_fail)) ||
            (err = ref(c, name, o, "on_full", false, &n->on_full)) || (err = ref(c, name, o, "no_agents", false, &n->no_agents)) ||
            (err = str_field(c, name, o, "service", false, n->service, sizeof(n->service))))
            return err;
        if (!n->service[0])
            snprintf(n->service, sizeof(n->service), "general");
        for (const char *p = n->service; *p; p++)
            if (!((*p >= 'a' && *p <= 'z') || *p == '_'))
                return fail(c, name, "service '%.30s': lower-case letters and _ only", n->service, NULL);
        break;
    case N_RECORD:
        if ((err = prompts(c, name, o, "prompts", true, n)) ||
            (err = int_field(c, name, o, "max_seconds", 1, 300, 60, &n->max_seconds)) ||
            (err = ref(c, name, o, "next", true, &n->next)))
            return err;
        break;
    case N_CASE_STATUS:
        if ((err = str_field(c, name, o, "reference", true, n->var, sizeof(n->var))) ||
            (err = str_field(c, name, o, "pin", true, n->pin_var, sizeof(n->pin_var))) ||
            (err = ref(c, name, o, "found", true, &n->next)) || (err = ref(c, name, o, "not_found", true, &n->on_fail)) ||
            (err = ref(c, name, o, "locked", false, &n->locked)) || (err = ref(c, name, o, "unavailable", true, &n->unavailable)))
            return err;
        if (n->locked < 0)
            n->locked = n->on_fail;
        break;
    case N_CALLBACK:
        if ((err = ref(c, name, o, "next", true, &n->next)) || (err = ref(c, name, o, "on_fail", false, &n->on_fail)))
            return err;
        if (n->on_fail < 0)
            n->on_fail = n->next;
        break;
    case N_HANGUP:
        break;
    }
    /* Unknown fields are mistakes (a misspelt "on_fial" would silently do nothing). */
    static const char *const known[] = {"type",       "prompts",     "next",      "kind",      "var",      "choices",
                                        "timeout",    "retries",     "on_fail",   "min",       "max",      "terminator",
                                        "open",       "closed",      "holiday",   "emergency", "language", "max_wait",
                                        "on_timeout", "max_seconds", "reference", "pin",       "found",    "not_found",
                                        "locked",     "unavailable", "no_agents", "comment",   "on_full",  "service"};
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        bool ok = false;
        for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
            ok |= !strcmp(k, known[i]);
        if (!ok)
            return fail(c, name, "unknown field '%.30s'", k, NULL);
    }
    return 0;
}

static void successors(const struct node *n, int *out, int *k)
{
    int cand[16 + NODE_CHOICES], m = 0;
    cand[m++] = n->next;
    cand[m++] = n->on_fail;
    cand[m++] = n->open;
    cand[m++] = n->closed;
    cand[m++] = n->holiday;
    cand[m++] = n->emergency;
    cand[m++] = n->locked;
    cand[m++] = n->unavailable;
    cand[m++] = n->no_agents;
    cand[m++] = n->on_full;
    for (int i = 0; i < n->nchoices; i++)
        cand[m++] = n->choices[i].to;
    *k = 0;
    for (int i = 0; i < m; i++)
        if (cand[i] >= 0)
            out[(*k)++] = cand[i];
}

/* 0 white, 1 on the path, 2 done: a cycle through non-waiting nodes only. */
static int spin_dfs(struct ctx *c, int v, char *mark, int *from)
{
    int succ[16 + NODE_CHOICES], k;
    mark[v] = 1;
    successors(&c->f->nodes[v], succ, &k);
    for (int i = 0; i < k; i++) {
        int w = succ[i];
        if (type_waits(c->f->nodes[w].type))
            continue;
        if (mark[w] == 1) {
            *from = w;
            return -1;
        }
        if (mark[w] == 0 && spin_dfs(c, w, mark, from))
            return -1;
    }
    mark[v] = 2;
    return 0;
}

static int check_graph(struct ctx *c)
{
    struct ivr_flow *f = c->f;
    char *seen = calloc((size_t)f->nnodes, 1);
    int *stack = malloc(sizeof(int) * (size_t)(f->nnodes + 1)), top = 0, err = 0;
    if (!seen || !stack) {
        free(seen);
        free(stack);
        return WASL_ENOMEM;
    }
    stack[top++] = f->start;
    seen[f->start] = 1;
    while (top) {
        int v = stack[--top], succ[16 + NODE_CHOICES], k;
        successors(&f->nodes[v], succ, &k);
        for (int i = 0; i < k; i++)
            if (!seen[succ[i]]) {
                seen[succ[i]] = 1;
                stack[top++] = succ[i];
            }
    }
    for (int i = 0; i < f->nnodes && !err; i++)
        if (!seen[i])
            err = fail(c, f->nodes[i].name, "cannot be reached from the start ('%s')", f->nodes[f->start].name, NULL);
    memset(seen, 0, (size_t)f->nnodes);
    for (int i = 0; i < f->nnodes && !err; i++) {
        int from = -1;
        if (!type_waits(f->nodes[i].type) && !seen[i] && spin_dfs(c, i, seen, &from))
            err = fail(c, f->nodes[from].name, "is on a loop that never waits for the caller", NULL, NULL);
    }
    free(seen);
    free(stack);
    return err;
}

int ivr_flow_parse(const char *text, size_t len, const char *name, ivr_prompt_known_h known, void *arg, struct ivr_flow **out)
{
    struct ctx c = {.file = name, .known = known, .arg = arg};
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je), *o;
    const char *k, *start;
    int err = 0, i = 0;

    *out = NULL;
    if (!root)
        return err_set(WASL_EINVAL, "ivr.invalid_flow", "%s:%d: %s", name, je.line, je.text);
    c.nodes = json_object_get(root, "nodes");
    start = json_string_value(json_object_get(root, "start"));
    if (!json_is_object(c.nodes) || !json_object_size(c.nodes) || json_object_size(c.nodes) > IVR_NODES_MAX || !start) {
        json_decref(root);
        return err_set(WASL_EINVAL, "ivr.invalid_flow",
                       "%s: a flow is {\"start\": node, \"nodes\": {name: node, ...}} with 1 to %d nodes", name, IVR_NODES_MAX);
    }
    if (!(c.f = calloc(1, sizeof(*c.f))) || !(c.f->nodes = calloc(json_object_size(c.nodes), sizeof(struct node)))) {
        ivr_flow_free(c.f);
        json_decref(root);
        return WASL_ENOMEM;
    }
    snprintf(c.f->name, sizeof(c.f->name), "%s", name);
    /* Names first, so references can point forward. */
    json_object_foreach(c.nodes, k, o)
    {
        if (!*k || strlen(k) >= IVR_NAME_MAX) {
            err = fail(&c, NULL, "node names are 1 to 39 bytes", NULL, NULL);
            break;
        }
        struct node *n = &c.f->nodes[i++];
        snprintf(n->name, sizeof(n->name), "%s", k);
        n->next = n->on_fail = n->open = n->closed = n->holiday = n->emergency = n->locked = n->unavailable = n->no_agents =
            n->on_full = -1;
        c.f->nnodes++;
    }
    if (!err && (c.f->start = node_index(c.f, start)) < 0)
        err = fail(&c, NULL, "the start node '%.40s' does not exist", start, NULL);
    i = 0;
    json_object_foreach(c.nodes, k, o)
    {
        if (err)
            break;
        err = parse_node(&c, i++, o);
    }
    if (!err)
        err = check_graph(&c);
    json_decref(root);
    if (err) {
        ivr_flow_free(c.f);
        return err;
    }
    *out = c.f;
    return 0;
}

int ivr_flow_load(const char *path, ivr_prompt_known_h known, void *arg, struct ivr_flow **out)
{
    char *buf;
    size_t n;
    const char *base = strrchr(path, '/');
    int err = file_read(path, &buf, &n, 1 << 20);

    if (!err)
        err = ivr_flow_parse(buf, n, base ? base + 1 : path, known, arg, out);
    free(buf);
    return err;
}

void ivr_flow_free(struct ivr_flow *f)
{
    if (!f)
        return;
    free(f->nodes);
    free(f);
}

const char *ivr_flow_name(const struct ivr_flow *f)
{
    return f->name;
}

int ivr_flow_nodes(const struct ivr_flow *f)
{
    return f->nnodes;
}

int ivr_flow_enqueue_at(const struct ivr_flow *f, int i, struct ivr_enqueue_info *out)
{
    for (int k = 0; k < f->nnodes; k++) {
        const struct node *n = &f->nodes[k];
        if (n->type != N_ENQUEUE || i--)
            continue;
        *out = (struct ivr_enqueue_info){n->name, n->service, n->on_fail >= 0, n->on_full >= 0, n->no_agents >= 0};
        return 0;
    }
    return WASL_ENOENT;
}
