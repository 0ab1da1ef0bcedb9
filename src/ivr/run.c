/*
 * The interpreter: walks a flow for one call. Nodes that need nothing from
 * outside (hours, set_language) are passed through at once; the others
 * return an action and wait for the event that answers it. Spoken values
 * ($center_hours, $local_hours, $next_open, $case_*) are expanded here from
 * the calendar, the caller's country and the last case look-up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ivr_int.h"
#include "calendar/calendar.h"

/* Prompts the interpreter itself uses: every language must have them. */
const char *const ivr_system_prompts[] = {
    "hours_from",
    "hours_to",
    "morocco_time",
    "your_time",
    "we_open_again",
    "at",
    "expected_on",
    "expected_was",
    "expected_passed",
    "invalid_choice",
    "no_input",
    "status_new",
    "status_open",
    "status_waiting_citizen",
    "status_waiting_consulate",
    "status_resolved",
    "status_closed",
    "status_merged",
    "lang_ar",
    "lang_fr",
    "lang_es",
    "lang_it",
    "lang_nl",
    "lang_de",
    "lang_en",
    "please_hold",
    "queue_place",
    "queue_place_after",
    "queue_wait",
    "dur_lt1",
    "dur_1",
    NULL,
};

const char *ivr_node_name(const struct ivr_session *s)
{
    return s->flow && s->node >= 0 ? s->flow->nodes[s->node].name : "";
}

const char *ivr_var(const struct ivr_session *s, const char *name)
{
    for (int i = 0; i < s->nvars; i++)
        if (!strcmp(s->vars[i].name, name))
            return s->vars[i].value;
    return NULL;
}

static void set_var(struct ivr_session *s, const char *name, const char *value)
{
    int i = 0;
    while (i < s->nvars && strcmp(s->vars[i].name, name))
        i++;
    if (i == s->nvars) {
        if (s->nvars == IVR_VARS_MAX)
            return;
        s->nvars++;
    }
    snprintf(s->vars[i].name, sizeof(s->vars[i].name), "%s", name);
    snprintf(s->vars[i].value, sizeof(s->vars[i].value), "%s", value);
}

/* ---- building what to say ---- */

static struct ivr_item *item(struct ivr_action *a, enum ivr_item_kind k)
{
    if (a->nitems == IVR_ITEMS_MAX)
        return NULL;
    struct ivr_item *it = &a->items[a->nitems++];
    memset(it, 0, sizeof(*it));
    it->kind = k;
    return it;
}

static void say_prompt(struct ivr_action *a, const char *id)
{
    struct ivr_item *it = item(a, IVR_ITEM_PROMPT);
    if (it)
        snprintf(it->prompt, sizeof(it->prompt), "%s", id);
}

static void say_local(struct ivr_action *a, enum ivr_item_kind k, const char *zone, int64_t t)
{
    const struct tz *z;
    struct tz_local l;
    struct ivr_item *it;
    if (tz_get(zone, &z) || tz_to_local(z, t, &l) || !(it = item(a, k)))
        return;
    if (k == IVR_ITEM_DATE) {
        it->a = l.year;
        it->b = l.month;
        it->c = l.day;
    } else {
        it->a = l.hour;
        it->b = l.min;
    }
}

/* The opening hours of today, or of the next working day. */
static bool hours_window(int64_t now, int64_t *open, int64_t *close)
{
    if (calendar_day_hours(now, open, close) && now < *close)
        return true;
    return calendar_day_hours(calendar_next_open(now), open, close);
}

static void expand(struct ivr_session *s, const char *p, int64_t now, struct ivr_action *a)
{
    int64_t t = now / 1000000, open, close;
    const struct country *co = geo_country(s->country);
    const char *local = co && co->nzones ? co->zones[0] : calendar_zone();

    if (p[0] != '$') {
        say_prompt(a, p);
    } else if (!strcmp(p, "$center_hours") || !strcmp(p, "$local_hours")) {
        bool center = p[1] == 'c';
        if (!hours_window(t, &open, &close))
            return;
        say_prompt(a, "hours_from");
        say_local(a, IVR_ITEM_TIME, center ? calendar_zone() : local, open);
        say_prompt(a, "hours_to");
        say_local(a, IVR_ITEM_TIME, center ? calendar_zone() : local, close);
        say_prompt(a, center ? "morocco_time" : "your_time");
    } else if (!strcmp(p, "$next_open")) {
        int64_t next = calendar_next_open(t + 1);
        say_prompt(a, "we_open_again");
        say_local(a, IVR_ITEM_DATE, local, next);
        say_prompt(a, "at");
        say_local(a, IVR_ITEM_TIME, local, next);
        say_prompt(a, "your_time");
    } else if (!strcmp(p, "$case_reference")) {
        for (const char *c = s->kase.reference; *c; c++)
            if (*c != '-') {
                struct ivr_item *it = item(a, IVR_ITEM_DIGIT);
                if (it)
                    it->c = *c;
            }
    } else if (!strcmp(p, "$case_status")) {
        char id[IVR_NAME_MAX];
        snprintf(id, sizeof(id), "status_%s", s->kase.status);
        say_prompt(a, id);
    } else if (!strcmp(p, "$case_expected")) {
        /* "An answer is expected by 5 November", and once that day has gone
         * by, "was expected by 5 November ... this date has passed": never
         * a promise in the past. The year is said when it is not this one. */
        const struct tz *z;
        struct tz_local today;
        struct ivr_item *it;
        if (!s->kase.exp_year || tz_get(calendar_zone(), &z) || tz_to_local(z, t, &today))
            return;
        long due = s->kase.exp_year * 10000L + s->kase.exp_month * 100L + s->kase.exp_day;
        bool passed = due < today.year * 10000L + today.month * 100L + today.day;
        say_prompt(a, passed ? "expected_was" : "expected_on");
        if ((it = item(a, IVR_ITEM_DATE))) {
            it->a = s->kase.exp_year;
            it->b = s->kase.exp_month;
            it->c = s->kase.exp_day;
        }
        if (s->kase.exp_year != today.year && (it = item(a, IVR_ITEM_YEAR)))
            it->a = s->kase.exp_year;
        if (passed)
            say_prompt(a, "expected_passed");
    }
}

static void node_prompts(struct ivr_session *s, const struct node *n, int64_t now, struct ivr_action *a)
{
    for (int i = 0; i < n->nprompts; i++)
        expand(s, n->prompts[i], now, a);
}

/* The language menu: the country's languages first, each offered in its
 * own language ("Pour le français, appuyez sur 1"). */
static int language_order(const struct ivr_session *s, int order[WASL_LANG_MAX])
{
    const struct country *co = geo_country(s->country);
    int n = 0;
    for (int i = 0; co && i < co->nlanguages; i++)
        for (int k = 0; k < wasl_nlanguages; k++)
            if (!strcmp(co->languages[i], wasl_languages[k])) {
                bool dup = false;
                for (int j = 0; j < n; j++)
                    dup |= order[j] == k;
                if (!dup)
                    order[n++] = k;
            }
    for (int k = 0; k < wasl_nlanguages; k++) {
        bool dup = false;
        for (int j = 0; j < n; j++)
            dup |= order[j] == k;
        if (!dup)
            order[n++] = k;
    }
    return n;
}

static void language_menu(struct ivr_session *s, struct ivr_action *a)
{
    int order[WASL_LANG_MAX], n = language_order(s, order);
    for (int i = 0; i < n; i++) {
        char id[IVR_NAME_MAX];
        struct ivr_item *it;
        snprintf(id, sizeof(id), "lang_%s", wasl_languages[order[i]]);
        /* each offer in its own language, not the caller's current one */
        if ((it = item(a, IVR_ITEM_PROMPT))) {
            snprintf(it->prompt, sizeof(it->prompt), "%s", id);
            snprintf(it->lang, sizeof(it->lang), "%s", wasl_languages[order[i]]);
        }
        if ((it = item(a, IVR_ITEM_NUMBER))) {
            it->a = i + 1;
            snprintf(it->lang, sizeof(it->lang), "%s", wasl_languages[order[i]]);
        }
    }
}

/* ---- walking ---- */

static void action_reset(struct ivr_session *s, struct ivr_action *a, enum ivr_action_kind k)
{
    memset(a, 0, sizeof(*a));
    a->kind = k;
    snprintf(a->language, sizeof(a->language), "%s", s->language);
}

static int enter(struct ivr_session *s, int node, int64_t now, struct ivr_action *a)
{
    for (int guard = 0; guard <= IVR_NODES_MAX; guard++) {
        const struct node *n = &s->flow->nodes[node];
        s->node = node;
        s->retries = 0;
        switch (n->type) {
        case N_HOURS: {
            const struct holiday *h;
            enum cal_state st = calendar_state(now / 1000000, &h);
            node = st == CAL_OPEN               ? n->open
                   : st == CAL_CLOSED_HOLIDAY   ? n->holiday
                   : st == CAL_CLOSED_EMERGENCY ? n->emergency
                                                : n->closed;
            continue;
        }
        case N_SET_LANGUAGE:
            snprintf(s->language, sizeof(s->language), "%s", n->language);
            node = n->next;
            continue;
        case N_SECOND_LANGUAGE:
            if (!strcmp(s->language, n->language)) { /* they speak it already */
                node = n->next;
                continue;
            }
            action_reset(s, a, IVR_A_PLAY);
            node_prompts(s, n, now, a);
            a->barge_in = a->wait_digits = true;
            a->max_digits = 1;
            a->timeout = (int64_t)n->timeout_ms * 1000;
            return 0;
        case N_PLAY:
            action_reset(s, a, IVR_A_PLAY);
            node_prompts(s, n, now, a);
            return 0;
        case N_SAY: {
            const char *v = ivr_var(s, n->var);
            action_reset(s, a, IVR_A_PLAY);
            if (v && !strcmp(n->say_kind, "number")) {
                struct ivr_item *it = item(a, IVR_ITEM_NUMBER);
                if (it)
                    it->a = atoi(v);
            } else {
                for (const char *c = v ? v : ""; *c; c++) {
                    struct ivr_item *it = item(a, IVR_ITEM_DIGIT);
                    if (it)
                        it->c = *c;
                }
            }
            return 0;
        }
        case N_MENU:
        case N_COLLECT:
            action_reset(s, a, IVR_A_PLAY);
            node_prompts(s, n, now, a);
            a->barge_in = a->wait_digits = true;
            a->max_digits = n->type == N_MENU ? 1 : n->max;
            a->terminator = n->type == N_MENU ? '\0' : n->terminator;
            a->timeout = (int64_t)n->timeout_ms * 1000;
            return 0;
        case N_LANGUAGE:
            action_reset(s, a, IVR_A_PLAY);
            language_menu(s, a);
            a->barge_in = a->wait_digits = true;
            a->max_digits = 1;
            a->timeout = (int64_t)n->timeout_ms * 1000;
            return 0;
        case N_ENQUEUE:
            action_reset(s, a, IVR_A_ENQUEUE);
            say_prompt(a, "please_hold");
            for (int k = 0; k < wasl_nlanguages; k++)
                if (!strcmp(wasl_languages[k], s->language))
                    a->queue = k;
            a->timeout = (int64_t)n->max_wait * 1000000;
            a->exit_no_agents = n->no_agents >= 0;
            snprintf(a->service, sizeof(a->service), "%s", n->service);
            a->language2 = s->language2[0] && strcmp(s->language2, s->language) ? language_index(s->language2) : -1;
            return 0;
        case N_RECORD:
            action_reset(s, a, IVR_A_RECORD);
            node_prompts(s, n, now, a);
            a->max_seconds = n->max_seconds;
            return 0;
        case N_CASE_STATUS: {
            const char *ref = ivr_var(s, n->var), *pin = ivr_var(s, n->pin_var);
            action_reset(s, a, IVR_A_LOOKUP);
            snprintf(a->ref_keys, sizeof(a->ref_keys), "%s", ref ? ref : "");
            snprintf(a->pin, sizeof(a->pin), "%s", pin ? pin : "");
            return 0;
        }
        case N_CALLBACK:
            action_reset(s, a, IVR_A_CALLBACK);
            return 0;
        case N_HANGUP:
            action_reset(s, a, IVR_A_HANGUP);
            s->done = true;
            return 0;
        }
    }
    /* The loader refuses loops without input; this is a guard, not a path. */
    return err_set(WASL_EINTERNAL, "ivr.spin", "flow %s loops at node %s", s->flow->name, s->flow->nodes[node].name);
}

int ivr_start(struct ivr_session *s, const struct ivr_flow *f, const char *country, int64_t now, struct ivr_action *out)
{
    const struct country *co = geo_country(country);
    memset(s, 0, sizeof(*s));
    s->flow = f;
    snprintf(s->country, sizeof(s->country), "%s", country ? country : "");
    snprintf(s->language, sizeof(s->language), "%s", co && co->nlanguages ? co->languages[0] : "fr");
    return enter(s, f->start, now, out);
}

/* Says it again after a wrong key or silence, or gives up. */
static int retry(struct ivr_session *s, const struct node *n, const char *why, int64_t now, struct ivr_action *a)
{
    int tries = s->retries + 1;
    if (tries > n->retries)
        return n->type == N_LANGUAGE ? enter(s, n->next, now, a) : enter(s, n->on_fail, now, a);
    int err = enter(s, s->node, now, a);
    s->retries = tries;
    /* "That is not a valid choice" before the menu again. */
    if (!err && a->nitems < IVR_ITEMS_MAX) {
        memmove(&a->items[1], &a->items[0], sizeof(a->items[0]) * (size_t)a->nitems);
        a->nitems++;
        memset(&a->items[0], 0, sizeof(a->items[0]));
        a->items[0].kind = IVR_ITEM_PROMPT;
        snprintf(a->items[0].prompt, sizeof(a->items[0].prompt), "%s", why);
    }
    return err;
}

int ivr_step(struct ivr_session *s, const struct ivr_event *e, int64_t now, struct ivr_action *a)
{
    const struct node *n;
    if (!s->flow || s->done)
        return err_set(WASL_ECONFLICT, "ivr.ended", "the flow has ended");
    n = &s->flow->nodes[s->node];
    switch (n->type) {
    case N_PLAY:
    case N_SAY:
        if (e->kind == IVR_E_PLAYED)
            return enter(s, n->next, now, a);
        break;
    case N_MENU:
        if (e->kind == IVR_E_DIGITS && e->digits[0]) {
            for (int i = 0; i < n->nchoices; i++)
                if (n->choices[i].key == e->digits[0])
                    return enter(s, n->choices[i].to, now, a);
            return retry(s, n, "invalid_choice", now, a);
        }
        if (e->kind == IVR_E_TIMEOUT)
            return retry(s, n, "no_input", now, a);
        break;
    case N_LANGUAGE:
        if (e->kind == IVR_E_DIGITS && e->digits[0] >= '1' && e->digits[0] < '1' + wasl_nlanguages) {
            int order[WASL_LANG_MAX];
            language_order(s, order);
            snprintf(s->language, sizeof(s->language), "%s", wasl_languages[order[e->digits[0] - '1']]);
            return enter(s, n->next, now, a);
        }
        if (e->kind == IVR_E_DIGITS || e->kind == IVR_E_TIMEOUT)
            return retry(s, n, e->kind == IVR_E_TIMEOUT ? "no_input" : "invalid_choice", now, a);
        break;
    case N_COLLECT:
        if (e->kind == IVR_E_DIGITS) {
            char d[IVR_DIGITS_MAX];
            size_t len;
            snprintf(d, sizeof(d), "%s", e->digits);
            len = strlen(d);
            if (n->terminator && len && d[len - 1] == n->terminator)
                d[--len] = '\0';
            bool ok = len >= (size_t)n->min && len <= (size_t)n->max;
            for (size_t i = 0; ok && i < len; i++)
                ok = d[i] >= '0' && d[i] <= '9';
            if (ok) {
                set_var(s, n->var, d);
                return enter(s, n->next, now, a);
            }
            return retry(s, n, "invalid_choice", now, a);
        }
        if (e->kind == IVR_E_TIMEOUT)
            return retry(s, n, "no_input", now, a);
        break;
    case N_SECOND_LANGUAGE:
        /* 1: yes, 2: no; silence or other keys: asked again, then no */
        if (e->kind == IVR_E_DIGITS && (e->digits[0] == '1' || e->digits[0] == '2')) {
            snprintf(s->language2, sizeof(s->language2), "%s", e->digits[0] == '1' ? n->language : "");
            return enter(s, n->next, now, a);
        }
        if (e->kind == IVR_E_DIGITS || e->kind == IVR_E_TIMEOUT)
            return retry(s, n, e->kind == IVR_E_TIMEOUT ? "no_input" : "invalid_choice", now, a);
        break;
    case N_ENQUEUE:
        if (e->kind == IVR_E_NO_AGENTS && n->no_agents >= 0)
            return enter(s, n->no_agents, now, a);
        if (e->kind == IVR_E_QUEUE_FULL && n->on_full >= 0)
            return enter(s, n->on_full, now, a);
        if ((e->kind == IVR_E_QUEUE_TIMEOUT || e->kind == IVR_E_NO_AGENTS || e->kind == IVR_E_QUEUE_FULL) && n->on_fail >= 0)
            return enter(s, n->on_fail, now, a);
        break;
    case N_RECORD:
        if (e->kind == IVR_E_STORED)
            return enter(s, n->next, now, a);
        break;
    case N_CASE_STATUS:
        if (e->kind == IVR_E_LOOKUP) {
            s->kase = e->kase;
            int to = e->kase.found ? n->next : e->kase.locked ? n->locked : e->kase.unavailable ? n->unavailable : n->on_fail;
            return enter(s, to, now, a);
        }
        break;
    case N_CALLBACK:
        if (e->kind == IVR_E_STORED)
            return enter(s, e->ok ? n->next : n->on_fail, now, a);
        break;
    default:
        break;
    }
    return err_set(WASL_ECONFLICT, "ivr.unexpected_event", "node %s (%s) does not expect this event", n->name,
                   node_type_name(n->type));
}
