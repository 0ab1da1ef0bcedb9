/*
 * Demo cases for `wasl init --demo`: a few hundred cases over the last two
 * months, across countries, languages, types and states, built by replaying
 * a timeline of creations, status changes and notes through the ordinary
 * case functions with the clock set back, so their deadlines, histories and
 * audit entries are the ones real use would leave. The material (names,
 * subjects) is data/cases/demo.json; the draw is seeded, so every demo
 * database is the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "cases_int.h"
#include "calendar/calendar.h"

#define DEMO_DAYS 60

static uint64_t seed = 0x77a51c0ffee2026ULL;

static uint32_t draw(uint32_t n)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return n ? (uint32_t)(seed % n) : 0;
}

static const char *pick(json_t *a)
{
    return json_string_value(json_array_get(a, draw((uint32_t)json_array_size(a))));
}

/* Where calls come from: roughly the diaspora's weight per country. */
static const struct {
    const char *country;
    int weight;
} where[] = {{"FR", 30}, {"ES", 18}, {"IT", 14}, {"BE", 10}, {"NL", 9}, {"DE", 6}, {"GB", 3}, {"CH", 2},
             {"SE", 2},  {"PT", 1},  {"AT", 1},  {"DK", 1},  {"NO", 1}, {"IE", 1}, {"LU", 1}};

static const char *draw_country(void)
{
    int total = 0, x;
    for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++)
        total += where[i].weight;
    x = (int)draw((uint32_t)total);
    for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++)
        if ((x -= where[i].weight) < 0)
            return where[i].country;
    return "FR";
}

static const char *draw_consulate(const char *country)
{
    size_t n, k = 0;
    const struct consulate *all = geo_consulates(&n);
    const char *found[32];
    for (size_t i = 0; i < n && k < 32; i++) {
        bool serves = !strcmp(all[i].country, country);
        for (int s = 0; s < all[i].nserves; s++)
            serves |= !strcmp(all[i].serves[s], country);
        if (serves)
            found[k++] = all[i].code;
    }
    return k ? found[draw((uint32_t)k)] : NULL;
}

/* The caller's language: about a third Arabic, most others the country's
 * usual language, a few English. */
static const char *draw_language(const struct country *c)
{
    uint32_t x = draw(20);
    if (x < 7 || !c || !c->nlanguages)
        return "ar";
    return x == 19 ? "en" : c->languages[0];
}

/* A moment during opening hours, `back` seconds or so before now. */
static int64_t opening_time(int64_t now, int64_t back)
{
    int64_t t = calendar_next_open(now - back), open, close;
    if (calendar_day_hours(t, &open, &close) && close > t)
        t += draw((uint32_t)(close - t));
    return t < now ? t : now - 60;
}

enum step { CREATE, OPEN, WAIT_CONSULATE, WAIT_CITIZEN, NOTE, PUBLIC_NOTE, RESOLVE, CLOSE, RATE };

struct action {
    int64_t at;
    int ci;
    enum step step;
};

struct demo_case {
    json_t *item;
    const char *country, *consulate, *language, *channel;
    char reference[CASE_REF_LEN + 1], pin[7];
    bool ok;
};

static int by_time(const void *a, const void *b)
{
    const struct action *x = a, *y = b;
    return x->at < y->at ? -1 : x->at > y->at ? 1 : x->ci - y->ci;
}

static void name_of(json_t *d, const char *lang, char *out, size_t n)
{
    bool ar = !strcmp(lang, "ar") && draw(2);
    snprintf(out, n, ar ? "%s %s" : "%s %s", pick(json_object_get(d, ar ? "given_names_ar" : "given_names")),
             pick(json_object_get(d, ar ? "family_names_ar" : "family_names")));
}

static int create_one(struct db *db, json_t *d, struct demo_case *dc, const struct actor *agent)
{
    json_t *it = dc->item;
    const char *type = json_string_value(json_object_get(it, "type"));
    const struct country *co = geo_country(dc->country);
    char name[160], phone[32], email[96], articles[512] = "[]", passport[16];
    struct case_input in = {0};
    int err;

    name_of(d, dc->language, name, sizeof(name));
    snprintf(phone, sizeof(phone), "+%s6%08u", co ? co->calling_code : "33", draw(100000000));
    snprintf(email, sizeof(email), "demo.%u@example.org", draw(1000000));
    snprintf(passport, sizeof(passport), "%c%c%07u", 'A' + draw(26), 'A' + draw(26), draw(10000000));
    in.type = type;
    in.category = json_string_value(json_object_get(it, "category"));
    in.priority = json_string_value(json_object_get(it, "priority"));
    if (!in.priority)
        in.priority = draw(10) == 0 ? "high" : draw(8) == 0 ? "low" : "normal";
    in.channel = dc->channel;
    in.language = dc->language;
    in.country = dc->country;
    in.consulate = dc->consulate;
    in.subject = json_string_value(json_object_get(it, "subject"));
    in.description = json_string_value(json_object_get(it, "description"));
    in.citizen.name = name;
    in.citizen.phone = phone;
    in.citizen.email = draw(2) ? email : NULL;
    if (!strcmp(type, "dossier")) {
        in.citizen.passport = passport;
        snprintf(in.fields[0].name, sizeof(in.fields[0].name), "procedure");
        in.fields[0].value = (char *)json_string_value(json_object_get(it, "procedure"));
        snprintf(in.fields[1].name, sizeof(in.fields[1].name), "consulate");
        in.fields[1].value = (char *)dc->consulate;
        in.nfields = 2;
    } else if (json_string_value(json_object_get(it, "about"))) {
        snprintf(in.fields[0].name, sizeof(in.fields[0].name), "about");
        in.fields[0].value = (char *)json_string_value(json_object_get(it, "about"));
        in.nfields = 1;
    }
    json_t *arts = json_object_get(it, "articles");
    if (json_array_size(arts)) {
        struct sbuf b;
        size_t i;
        json_t *a;
        sbuf_init(&b, sizeof(articles));
        sbuf_adds(&b, "[");
        json_array_foreach(arts, i, a)
            sbuf_addf(&b, "%s{\"slug\":\"%s\",\"lang\":\"fr\",\"version\":1}", i ? "," : "", json_string_value(a));
        sbuf_adds(&b, "]");
        if (!b.oom)
            snprintf(articles, sizeof(articles), "%s", b.p);
        sbuf_release(&b);
        in.articles = articles;
    }
    struct case_rec r;
    const struct actor citizen = {.login = "citizen", .request_id = "demo", .ip = ""};
    if ((err = case_create(db, strcmp(dc->channel, "phone") ? &citizen : agent, &in, &r, dc->pin)))
        return err;
    memcpy(dc->reference, r.reference, sizeof(dc->reference));
    case_rec_clear(&r);
    dc->ok = true;
    return 0;
}

static int act(struct db *db, json_t *d, struct demo_case *dc, enum step step, const struct actor *agent)
{
    struct case_change ch = {0};
    json_t *notes = json_object_get(d, "notes");
    int err;

    if (step == CREATE)
        return create_one(db, d, dc, agent);
    if (!dc->ok)
        return 0;
    switch (step) {
    case OPEN:
        ch.status = "open";
        break;
    case WAIT_CONSULATE:
        ch.status = "waiting_consulate";
        if (dc->consulate)
            ch.assignee_consulate = dc->consulate;
        break;
    case WAIT_CITIZEN:
        ch.status = "waiting_citizen";
        break;
    case RESOLVE:
        ch.status = "resolved";
        break;
    case CLOSE:
        ch.status = "closed";
        break;
    case NOTE:
        return case_add_note(db, agent, dc->reference, pick(json_object_get(notes, "internal")), false);
    case PUBLIC_NOTE:
        return case_add_note(db, agent, dc->reference,
                             json_string_value(json_object_get(json_object_get(notes, "public"), dc->language)), true);
    case RATE:
        return portal_rate(db, dc->reference, dc->pin, "demo", 3 + (int)draw(3), NULL);
    default:
        return 0;
    }
    err = case_update(db, agent, dc->reference, &ch);
    /* A status the case has already left is not an error in a demo. */
    if (err == WASL_ECONFLICT) {
        err_clear();
        return 0;
    }
    return err;
}

int cases_demo(struct db *db, int count, char *sample_ref, char *sample_pin)
{
    json_t *d, *phone, *portal;
    json_error_t je;
    char path[1100];
    struct demo_case *dc;
    struct action *tl;
    int n = 0, err = 0;
    int64_t now = clock_now() / WTIME_SEC;
    const struct actor agent = {.login = "agent", .role = ROLE_AGENT, .request_id = "demo", .ip = ""};

    snprintf(path, sizeof(path), "%s/cases/demo.json", cases_cfg.data_dir);
    if (!(d = json_load_file(path, 0, &je)))
        return err_set(WASL_EINVAL, "data.invalid", "%s:%d: %s", path, je.line, je.text);
    phone = json_object_get(d, "phone");
    portal = json_object_get(d, "portal");
    dc = calloc((size_t)count, sizeof(*dc));
    tl = calloc((size_t)count * 10, sizeof(*tl));
    if (!dc || !tl || !json_array_size(phone)) {
        err = dc && tl ? err_set(WASL_EINVAL, "data.invalid", "%s: no phone cases", path) : WASL_ENOMEM;
        goto out;
    }
    for (int i = 0; i < count; i++) {
        const char *country = draw_country();
        const struct country *co = geo_country(country);
        dc[i].country = country;
        dc[i].consulate = draw_consulate(country);
        dc[i].language = draw_language(co);
        json_t *own = json_object_get(portal, dc[i].language);
        if (draw(5) == 0 && json_array_size(own)) {
            dc[i].channel = "portal";
            dc[i].item = json_array_get(own, draw((uint32_t)json_array_size(own)));
        } else {
            dc[i].channel = "phone";
            dc[i].item = json_array_get(phone, draw((uint32_t)json_array_size(phone)));
        }
        /* Its life so far: older cases have gone further. */
        int64_t t = opening_time(now, (int64_t)draw(DEMO_DAYS * 86400));
        int64_t age = now - t, step = 3600 + draw(3 * 86400);
        const char *type = json_string_value(json_object_get(dc[i].item, "type"));
        bool info = !strcmp(type, "information"), dossier = !strcmp(type, "dossier");
        tl[n++] = (struct action){t, i, CREATE};
        if (info && draw(4)) { /* most information requests are answered during the call */
            tl[n++] = (struct action){t + 300, i, RESOLVE};
            if (age > 7 * 86400)
                tl[n++] = (struct action){t + 7 * 86400, i, CLOSE};
            continue;
        }
        int64_t at = t;
        enum step path_steps[6];
        int np = 0;
        path_steps[np++] = draw(4) ? OPEN : NOTE;
        if (dossier || draw(3) == 0)
            path_steps[np++] = WAIT_CONSULATE;
        path_steps[np++] = draw(3) == 0 ? WAIT_CITIZEN : PUBLIC_NOTE;
        path_steps[np++] = RESOLVE;
        path_steps[np++] = draw(3) ? CLOSE : RATE;
        for (int k = 0; k < np; k++) {
            at += step + draw((uint32_t)step);
            if (at >= now - 60 || draw(9) == 0)
                break;
            tl[n++] = (struct action){opening_time(at + 3600, 3600), i, path_steps[k]};
        }
    }
    qsort(tl, (size_t)n, sizeof(*tl), by_time);
    for (int i = 0; !err && i < n; i++) {
        clock_freeze(tl[i].at * WTIME_SEC);
        err = act(db, d, &dc[tl[i].ci], tl[i].step, &agent);
        if (err && err != WASL_ENOMEM && tl[i].step != CREATE) {
            log_warn("demo: %s step %d: %s", dc[tl[i].ci].reference, tl[i].step, err_message());
            err_clear();
            err = 0;
        }
    }
    clock_reset();
    /* A portal filing still open, for trying the tracking page. */
    for (int i = 0; !err && sample_ref && i < count; i++)
        if (dc[i].ok && !strcmp(dc[i].channel, "portal")) {
            memcpy(sample_ref, dc[i].reference, CASE_REF_LEN + 1);
            memcpy(sample_pin, dc[i].pin, 7);
        }
    int changed = 0;
    if (!err)
        err = cases_sla_tick(db, clock_now(), &changed);
out:
    free(dc);
    free(tl);
    json_decref(d);
    return err;
}
