/*
 * Cases in the store: creating them (validated against their type, with a
 * reference, a PIN, deadlines, sealed personal data and blind indexes),
 * reading one (decrypted, audited), listing them (masked), and their history.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "cases_int.h"
#include "guide/guide.h"

#define SUBJECT_MAX 200
#define DESCRIPTION_MAX 10000
#define NAME_MAX_BYTES 200
#define EMAIL_MAX 254
#define IDNUM_MAX 40

static const char *const priorities[] = {"low", "normal", "high", "urgent"};
static const char *const statuses[] = {"new", "open", "waiting_citizen", "waiting_consulate", "resolved", "closed", "merged"};

static bool in_list(const char *v, const char *const *list, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        if (!strcmp(v, list[i]))
            return true;
    return false;
}

bool case_status_valid(const char *s)
{
    return in_list(s, statuses, 7);
}

bool case_priority_valid(const char *s)
{
    return in_list(s, priorities, 4);
}

void case_rec_clear(struct case_rec *c)
{
    free(c->subject);
    free(c->description);
    for (int i = 0; i < c->nfields; i++)
        free(c->fields[i].value);
    free(c->citizen.name);
    free(c->citizen.phone);
    free(c->citizen.email);
    free(c->citizen.id_number);
    free(c->citizen.passport);
    free(c->articles);
    free(c->rating_comment);
    memset(c, 0, sizeof(*c));
}

static char *unseal_col(struct db_stmt *s, int col, int *err)
{
    size_t n;
    const void *b = db_blob(s, col, &n);
    char *plain = NULL;
    if (!*err)
        *err = unseal(b, n, &plain);
    return plain;
}

/* Masks a decrypted value in place (lists show only this). */
static char *masked(char *v, void (*mask)(const char *, char *, size_t))
{
    char buf[128];
    if (!v)
        return NULL;
    mask(v, buf, sizeof(buf));
    free(v);
    return strdup(buf);
}

static void mask_email(const char *in, char *out, size_t n)
{
    const char *at = strchr(in, '@');
    snprintf(out, n, "%.1s***%s", in, at ? at : "");
}

int case_from_row(struct db_stmt *s, struct case_rec *c, bool decrypt)
{
    int err = 0;
    char *fields;
    const char *t;

    memset(c, 0, sizeof(*c));
    c->id = db_int(s, 0);
    snprintf(c->reference, sizeof(c->reference), "%s", db_text(s, 1));
    snprintf(c->type, sizeof(c->type), "%s", db_text(s, 2));
    snprintf(c->category, sizeof(c->category), "%s", db_text(s, 3));
    snprintf(c->status, sizeof(c->status), "%s", db_text(s, 4));
    snprintf(c->priority, sizeof(c->priority), "%s", db_text(s, 5));
    snprintf(c->channel, sizeof(c->channel), "%s", db_text(s, 6));
    snprintf(c->language, sizeof(c->language), "%s", db_text(s, 7));
    snprintf(c->country, sizeof(c->country), "%s", (t = db_text(s, 8)) ? t : "");
    snprintf(c->consulate, sizeof(c->consulate), "%s", (t = db_text(s, 9)) ? t : "");
    c->assignee_user = db_int(s, 10);
    snprintf(c->assignee_consulate, sizeof(c->assignee_consulate), "%s", (t = db_text(s, 11)) ? t : "");
    /* The subject is sealed; a case from before 0013 may hold it in clear
     * until the worker seals it (cases_seal_subjects). */
    if (db_is_null(s, 40))
        c->subject = strdup(db_text(s, 12));
    else if (!(c->subject = unseal_col(s, 40, &err)) && !err)
        c->subject = strdup("");
    c->description = unseal_col(s, 13, &err);
    fields = unseal_col(s, 14, &err);
    c->citizen.name = unseal_col(s, 15, &err);
    c->citizen.phone = unseal_col(s, 16, &err);
    c->citizen.email = unseal_col(s, 17, &err);
    c->citizen.id_number = unseal_col(s, 18, &err);
    c->citizen.passport = unseal_col(s, 19, &err);
    c->articles = strdup(db_text(s, 20));
    snprintf(c->created_by, sizeof(c->created_by), "%s", db_text(s, 21));
    c->created_at = db_int(s, 22);
    c->updated_at = db_int(s, 23);
    c->first_response_at = db_int(s, 24);
    c->resolved_at = db_int(s, 25);
    c->closed_at = db_int(s, 26);
    c->first_response_due = db_int(s, 27);
    c->resolution_due = db_int(s, 28);
    c->paused_since = db_int(s, 29);
    c->warned = db_int(s, 30) != 0;
    c->breached = db_int(s, 31) != 0;
    c->escalated = db_int(s, 32) != 0;
    c->rating = (int)db_int(s, 33);
    c->rating_comment = unseal_col(s, 34, &err);
    c->anonymized = db_int(s, 35) != 0;
    c->new_reply = db_int(s, 38) > db_int(s, 39);
    snprintf(c->merged_into, sizeof(c->merged_into), "%s", (t = db_text(s, 36)) ? t : "");
    snprintf(c->assignee_login, sizeof(c->assignee_login), "%s", (t = db_text(s, 37)) ? t : "");
    if (!err && fields) {
        json_t *j = json_loads(fields, 0, NULL);
        const char *k;
        json_t *v;
        json_object_foreach(j, k, v)
        {
            if (c->nfields == CASE_FIELDS_MAX || !json_is_string(v))
                continue;
            const struct case_type *ct = case_type(c->type);
            bool personal = false;
            for (int i = 0; ct && i < ct->nfields; i++)
                personal |= !strcmp(ct->fields[i].name, k) && ct->fields[i].personal;
            snprintf(c->fields[c->nfields].name, sizeof(c->fields[0].name), "%s", k);
            c->fields[c->nfields].value = strdup(json_string_value(v));
            if (!decrypt && personal)
                c->fields[c->nfields].value = masked(c->fields[c->nfields].value, mask_id);
            c->nfields++;
        }
        json_decref(j);
    }
    free(fields);
    if (!decrypt) {
        /* Lists: initials and masked numbers only; no free text. */
        c->citizen.name = masked(c->citizen.name, mask_name);
        c->citizen.phone = masked(c->citizen.phone, mask_phone);
        c->citizen.email = masked(c->citizen.email, mask_email);
        c->citizen.id_number = masked(c->citizen.id_number, mask_id);
        c->citizen.passport = masked(c->citizen.passport, mask_id);
        free(c->description);
        c->description = NULL;
        free(c->rating_comment);
        c->rating_comment = NULL;
    }
    if (!err && (!c->subject || !c->articles))
        err = WASL_ENOMEM;
    if (err)
        case_rec_clear(c);
    return err;
}

int case_event_add(struct db_conn *c, int64_t case_id, const char *actor, const char *kind, bool public_note, const char *body,
                   const char *detail)
{
    unsigned char *b = NULL;
    size_t n = 0;
    int err = seal(body, &b, &n);
    if (!err)
        err =
            db_exec(c, "INSERT INTO case_events (case_id, at, actor, kind, public, body_enc, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    DBP(DB_I(case_id), DB_I(clock_now()), DB_S(actor), DB_S(kind), DB_I(public_note), b ? DB_B(b, n) : DB_NULL,
                        DB_S(detail ? detail : "{}")));
    free(b);
    return err;
}

/* ---- validation ---- */

int case_check_text(const char *v, const char *field, size_t max, bool required, bool one_line)
{
    size_t n = v ? strlen(v) : 0;
    if (!n)
        return required ? err_set_field(WASL_EINVAL, "cases.missing_field", field, "'%s' is required", field) : 0;
    if (n > max)
        return err_set_field(WASL_EINVAL, "cases.invalid_field", field, "'%s' must be at most %zu bytes", field, max);
    if (!utf8_valid(v, n))
        return err_set_field(WASL_EINVAL, "cases.invalid_field", field, "'%s' is not valid UTF-8", field);
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if ((*p < 0x20 && (one_line || (*p != '\n' && *p != '\r' && *p != '\t'))) || *p == 0x7f)
            return err_set_field(WASL_EINVAL, "cases.invalid_field", field, "'%s' holds a control character", field);
        /* Citizens' text is shown to staff as text; markup is refused, not stripped. */
        if (*p == '<' && (p[1] == '/' || p[1] == '!' || (p[1] >= 'a' && p[1] <= 'z') || (p[1] >= 'A' && p[1] <= 'Z')))
            return err_set_field(WASL_EINVAL, "cases.html_not_allowed", field, "'%s' must be plain text, without HTML", field);
    }
    return 0;
}

static int check_citizen(const struct citizen *ci, const char *country, char *phone_norm, size_t pn)
{
    int err;
    phone_norm[0] = '\0';
    if ((err = case_check_text(ci->name, "name", NAME_MAX_BYTES, false, true)) ||
        (err = case_check_text(ci->email, "email", EMAIL_MAX, false, true)) ||
        (err = case_check_text(ci->id_number, "id_number", IDNUM_MAX, false, true)) ||
        (err = case_check_text(ci->passport, "passport", IDNUM_MAX, false, true)) ||
        (err = case_check_text(ci->phone, "phone", 40, false, true)))
        return err;
    if (ci->email && *ci->email) {
        const char *at = strchr(ci->email, '@');
        if (!at || at == ci->email || !strchr(at, '.') || strchr(ci->email, ' ') || strchr(at + 1, '@'))
            return err_set_field(WASL_EINVAL, "cases.invalid_field", "email", "this is not an e-mail address");
    }
    if (ci->phone && *ci->phone && !phone_normalize(ci->phone, country, phone_norm, pn))
        return err_set_field(WASL_EINVAL, "cases.invalid_field", "phone",
                             "give the phone number with its country code (+33 6 12 34 56 78) or the caller's country");
    const char *ids[2] = {ci->id_number, ci->passport};
    for (int i = 0; i < 2; i++)
        for (const char *p = ids[i]; p && *p; p++)
            if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
                return err_set_field(WASL_EINVAL, "cases.invalid_field", i ? "passport" : "id_number",
                                     "an identity document number holds only letters, digits and '-'");
    return 0;
}

int case_articles_check(const char *json)
{
    json_t *a, *x;
    size_t i;
    if (!json)
        return 0;
    a = json_loads(json, 0, NULL);
    if (!json_is_array(a) || json_array_size(a) > CASE_ARTICLES_MAX)
        goto bad;
    json_array_foreach(a, i, x)
    {
        const char *slug = json_string_value(json_object_get(x, "slug")), *lang = json_string_value(json_object_get(x, "lang"));
        if (!slug || strlen(slug) > 79 || !language_valid(lang) || !json_is_integer(json_object_get(x, "version")))
            goto bad;
    }
    json_decref(a);
    return 0;
bad:
    json_decref(a);
    return err_set_field(WASL_EINVAL, "cases.invalid_field", "articles",
                         "articles is a list of at most 10 {\"slug\", \"lang\", \"version\"}");
}

/* ---- creating ---- */

struct create {
    const struct actor *who;
    const struct case_input *in;
    const char *priority, *channel;
    char phone_norm[32];
    char reference[CASE_REF_LEN + 1];
    char pin[7];
    int64_t id;
    struct case_rec *out; /* read back in the same transaction (may be NULL) */
    bool replayed;        /* answered from an earlier request with the same key */
    const char *own;      /* a back-office's consulate, for a case it opens without one */
};

static char *fields_json(const struct case_field *f, int n)
{
    json_t *o = json_object();
    char *s;
    for (int i = 0; o && i < n; i++)
        if (f[i].value && *f[i].value)
            json_object_set_new(o, f[i].name, json_string(f[i].value));
    s = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    return s;
}

static const char *field_value(const struct case_field *f, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(f[i].name, name))
            return f[i].value;
    return NULL;
}

/* A message of data/cases/messages in the case's language with {reference},
 * {type}, {expected}, {portal} and {pin} filled in (caller frees). */
char *case_text(const char *lang, const char *key, const char *reference, const char *type, int64_t due, const char *pin)
{
    return case_text_note(lang, key, reference, type, due, pin, NULL);
}

char *case_text_note(const char *lang, const char *key, const char *reference, const char *type, int64_t due, const char *pin,
                     const char *note)
{
    char expected[64], tkey[32];
    const char *tmpl = case_message(lang, key);
    struct tz_local l;
    const struct tz *z;
    struct sbuf b;

    if (!tz_get("Africa/Casablanca", &z) && !tz_to_local(z, due / WTIME_SEC, &l))
        case_date_text(lang, l.year, l.month, l.day, expected, sizeof(expected));
    else
        snprintf(expected, sizeof(expected), "-");
    snprintf(tkey, sizeof(tkey), "type.%s", type);
    const char *vals[6][2] = {{"{reference}", reference}, {"{type}", case_message(lang, tkey)},
                              {"{expected}", expected},   {"{portal}", cases_cfg.portal_url},
                              {"{pin}", pin ? pin : ""},  {"{note}", note ? note : ""}};
    sbuf_init(&b, 32768);
    for (const char *p = tmpl; *p;) {
        bool done = false;
        for (int i = 0; i < 6 && !done; i++)
            if (!strncmp(p, vals[i][0], strlen(vals[i][0]))) {
                sbuf_adds(&b, vals[i][1]);
                p += strlen(vals[i][0]);
                done = true;
            }
        if (!done)
            sbuf_add(&b, p++, 1);
    }
    if (b.oom) {
        sbuf_release(&b);
        return NULL;
    }
    return sbuf_take(&b);
}

/* A complaint's written acknowledgement (a public event the citizen sees
 * on the portal); and mail: the reference and PIN to whoever filed on the
 * portal with an address, the acknowledgement for other complaints. */
static int acknowledge(struct db_conn *c, int64_t id, const char *reference, const char *pin, const char *lang, const char *type,
                       const char *channel, int64_t resolution_due, const char *email)
{
    bool complaint = !strcmp(type, "complaint"), portal = !strcmp(channel, "portal") || !strcmp(channel, "open311");
    char *ack = NULL, *subject = NULL, *body = NULL;
    int err = 0;

    if (complaint) {
        if (!(ack = case_text(lang, "ack.body", reference, type, resolution_due, NULL)))
            return WASL_ENOMEM;
        if ((err = case_event_add(c, id, "system", "acknowledgement", true, ack, NULL)))
            goto out;
    }
    if (email && *email && (complaint || portal)) {
        const char *k = portal ? "filed" : "ack";
        char ks[32], kb[32];
        snprintf(ks, sizeof(ks), "%s.subject", k);
        snprintf(kb, sizeof(kb), "%s.body", k);
        subject = case_text(lang, ks, reference, type, resolution_due, NULL);
        body = case_text(lang, kb, reference, type, resolution_due, portal ? pin : NULL);
        err = subject && body ? outbox_add(c, id, email, subject, body) : WASL_ENOMEM;
    }
out:
    free(ack);
    free(subject);
    free(body);
    return err;
}

/* ---- idempotency keys ---- */

#define REQUEST_KEY_MIN 8
#define REQUEST_KEY_MAX 64
#define REQUEST_KEEP (86400 * WTIME_SEC) /* a day: long enough for any client's retries */

bool case_request_key_valid(const char *key)
{
    size_t n = key ? strlen(key) : 0;
    if (n < REQUEST_KEY_MIN || n > REQUEST_KEY_MAX)
        return false;
    for (const char *p = key; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("._:-", *p)))
            return false;
    return true;
}

/* A keyed hash of everything the request asked for: the same key with other
 * input is a client's mistake, and the hash shows nothing of the input. */
static int input_hash(const struct case_input *in, char out[65])
{
    struct sbuf b;
    const char *parts[] = {in->type,          in->category,      in->priority,          in->channel,          in->language,
                           in->country,       in->consulate,     in->subject,           in->description,      in->citizen.name,
                           in->citizen.phone, in->citizen.email, in->citizen.id_number, in->citizen.passport, in->articles};
    sbuf_init(&b, 1u << 20);
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        sbuf_adds(&b, parts[i] ? parts[i] : "\x1e");
        sbuf_add(&b, "\x1f", 1);
    }
    for (int i = 0; i < in->nfields; i++) {
        sbuf_adds(&b, in->fields[i].name);
        sbuf_add(&b, "=", 1);
        sbuf_adds(&b, in->fields[i].value ? in->fields[i].value : "\x1e");
        sbuf_add(&b, "\x1f", 1);
    }
    if (b.oom) {
        sbuf_release(&b);
        return WASL_ENOMEM;
    }
    char *text = sbuf_take(&b);
    if (!text)
        return WASL_ENOMEM;
    blind_index("request", text, out);
    free(text);
    return 0;
}

static const char *creator(const struct create *cr)
{
    return cr->who && cr->who->login ? cr->who->login : "citizen";
}

/* The case an earlier request with this key created: 0 with cr->reference,
 * cr->pin and cr->replayed set; WASL_ENOENT when there is none. */
static int replay(struct db_conn *c, struct create *cr, const char *hash)
{
    struct db_stmt *s = NULL;
    char *pin = NULL;
    bool found = false, same = false;
    int err = db_query(c, &s,
                       "SELECT r.input_hash, r.pin_enc, c.reference FROM case_requests r JOIN cases c ON c.id = r.case_id "
                       "WHERE r.actor = ? AND r.request_key = ? AND r.created_at >= ?",
                       DBP(DB_S(creator(cr)), DB_S(cr->in->request_key), DB_I(clock_now() - REQUEST_KEEP)));
    if (!err && db_next(s)) {
        size_t n;
        const void *b = db_blob(s, 1, &n);
        found = true;
        same = !strcmp(db_text(s, 0), hash);
        if (same && !(err = unseal(b, n, &pin))) {
            snprintf(cr->reference, sizeof(cr->reference), "%s", db_text(s, 2));
            snprintf(cr->pin, sizeof(cr->pin), "%s", pin ? pin : "");
        }
    }
    int err2 = db_end(s);
    free(pin);
    if (err || err2)
        return err ? err : err2;
    if (!found)
        return WASL_ENOENT;
    if (!same)
        return err_set_field(WASL_EINVAL, "cases.request_key_reused", "request_key",
                             "this Idempotency-Key was already used for a different case: use a new key for a new case");
    cr->replayed = true;
    return 0;
}

static int remember(struct db_conn *c, struct create *cr, const char *hash, int64_t now)
{
    unsigned char *pin = NULL;
    size_t n = 0;
    int err = seal(cr->pin, &pin, &n);
    if (!err)
        err = db_exec(c,
                      "INSERT INTO case_requests (actor, request_key, input_hash, case_id, pin_enc, created_at) "
                      "VALUES (?, ?, ?, ?, ?, ?)",
                      DBP(DB_S(creator(cr)), DB_S(cr->in->request_key), DB_S(hash), DB_I(cr->id), DB_B(pin, n), DB_I(now)));
    free(pin);
    return err;
}

int case_requests_purge(struct db *db, int64_t now, int *n)
{
    struct db_conn *c;
    int err = db_conn_get(db, &c);
    *n = 0;
    if (err)
        return err;
    err = db_exec(c, "DELETE FROM case_requests WHERE created_at < ?", DBP(DB_I(now - REQUEST_KEEP)));
    if (!err)
        *n = (int)db_changes(c);
    db_conn_put(c);
    return err;
}

static int create_h(struct db_conn *c, void *arg)
{
    struct create *cr = arg;
    const struct case_input *in = cr->in;
    const struct citizen *ci = &in->citizen;
    unsigned char *b[8] = {0};
    size_t n[8] = {0};
    char *fields = fields_json(in->fields, in->nfields), pinh[65], phone_idx[65] = "", email_idx[65] = "", object[64];
    char *name_tokens = case_word_tokens("name", ci->name), *subject_tokens = case_word_tokens("subject", in->subject);
    int64_t now = clock_now(), first_due, res_due;
    int err;

    if (!fields || (ci->name && *ci->name && !name_tokens)) {
        free(fields);
        free(name_tokens);
        free(subject_tokens);
        return WASL_ENOMEM;
    }
    char hash[65] = "";
    cr->replayed = false;
    if (in->request_key) {
        if (!(err = input_hash(in, hash)))
            err = replay(c, cr, hash);
        if (err != WASL_ENOENT) {
            if (!err) {
                snprintf(object, sizeof(object), "case:%s", cr->reference);
                err = audit_append(c, cr->who, "case.create_replayed", object, NULL);
            }
            goto read_back;
        }
        err_clear();
    }
    /* A new reference and PIN for every attempt: a retried transaction must
     * not reuse the ones of an attempt that was rolled back. */
    case_ref_new(cr->reference);
    unsigned char r[4];
    wrand_bytes(r, sizeof(r));
    snprintf(cr->pin, sizeof(cr->pin), "%06u",
             (unsigned)(((uint32_t)r[0] << 24 | (uint32_t)r[1] << 16 | (uint32_t)r[2] << 8 | r[3]) % 1000000u));
    pin_hash(cr->reference, cr->pin, pinh);
    char keys[10];
    case_ref_keys(cr->reference, keys);
    if (cr->phone_norm[0])
        blind_index("phone", cr->phone_norm, phone_idx);
    if (ci->email && *ci->email) {
        char lower[EMAIL_MAX + 1];
        size_t k = 0;
        for (const char *p = ci->email; *p && k < EMAIL_MAX; p++)
            lower[k++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        lower[k] = '\0';
        blind_index("email", lower, email_idx);
    }
    if ((err = case_deadlines(in->type, cr->priority, now, &first_due, &res_due)))
        goto out;
    /* The number is kept as E.164 (+33612345678), whatever way it was typed. */
    char e164[40] = "";
    if (cr->phone_norm[0])
        snprintf(e164, sizeof(e164), "+%s", cr->phone_norm);
    const char *plain[8] = {in->description && *in->description ? in->description : NULL,
                            fields,
                            ci->name,
                            e164,
                            ci->email,
                            ci->id_number,
                            ci->passport,
                            in->subject};
    for (int i = 0; i < 8; i++)
        if ((err = seal(plain[i] && *plain[i] ? plain[i] : NULL, &b[i], &n[i])))
            goto out;
    /* A dossier goes to its consulate's back-office at once. */
    const char *route = !strcmp(in->type, "dossier") ? field_value(in->fields, in->nfields, "consulate") : NULL;
    const char *consulate = in->consulate && *in->consulate ? in->consulate : route && *route ? route : cr->own;
    err = db_query_int(
        c, &cr->id,
        "INSERT INTO cases (reference, pin_hash, type, category, status, priority, channel, language, country, "
        "consulate, assignee_consulate, subject, description_enc, fields_enc, name_enc, phone_enc, email_enc, "
        "id_number_enc, passport_enc, phone_index, email_index, articles, created_by, created_at, updated_at, "
        "first_response_due, resolution_due, ref_keys, name_tokens, subject_enc, subject_tokens) VALUES (?, ?, ?, ?, 'new', ?, "
        "?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        DBP(DB_S(cr->reference), DB_S(pinh), DB_S(in->type), DB_S(in->category), DB_S(cr->priority), DB_S(cr->channel),
            DB_S(in->language), DB_S(in->country && *in->country ? in->country : NULL),
            DB_S(consulate && *consulate ? consulate : NULL), DB_S(route && *route ? route : NULL),
            b[0] ? DB_B(b[0], n[0]) : DB_NULL, b[1] ? DB_B(b[1], n[1]) : DB_NULL, b[2] ? DB_B(b[2], n[2]) : DB_NULL,
            b[3] ? DB_B(b[3], n[3]) : DB_NULL, b[4] ? DB_B(b[4], n[4]) : DB_NULL, b[5] ? DB_B(b[5], n[5]) : DB_NULL,
            b[6] ? DB_B(b[6], n[6]) : DB_NULL, DB_S(phone_idx[0] ? phone_idx : NULL), DB_S(email_idx[0] ? email_idx : NULL),
            DB_S(in->articles ? in->articles : "[]"), DB_S(cr->who && cr->who->login ? cr->who->login : "citizen"), DB_I(now),
            DB_I(now), DB_I(first_due), DB_I(res_due), DB_S(keys), DB_S(name_tokens), DB_B(b[7], n[7]),
            DB_S(subject_tokens ? subject_tokens : "")));
    if (err)
        goto out;
    char detail[160];
    snprintf(detail, sizeof(detail), "{\"type\":\"%s\",\"channel\":\"%s\",\"priority\":\"%s\"}", in->type, cr->channel,
             cr->priority);
    if ((err = case_event_add(c, cr->id, cr->who && cr->who->login ? cr->who->login : "citizen", "created", false, NULL, detail)))
        goto out;
    if (route && *route) {
        snprintf(detail, sizeof(detail), "{\"consulate\":\"%s\"}", route);
        if ((err = case_event_add(c, cr->id, "system", "assigned", false, NULL, detail)))
            goto out;
    }
    if ((err = acknowledge(c, cr->id, cr->reference, cr->pin, in->language, in->type, cr->channel, res_due, ci->email)))
        goto out;
    snprintf(object, sizeof(object), "case:%s", cr->reference);
    if ((err = audit_append(c, cr->who, "case.create", object, detail)))
        goto out;
    /* Two requests with the same key at once: the second's row conflicts,
     * its transaction is rolled back and case_create() tries again, now
     * finding the first case. */
    if (in->request_key && (err = remember(c, cr, hash, now)))
        goto out;
read_back:
    /* Read back before the commit: once it is committed the answer must not
     * depend on another query, or a store lost in between would turn a
     * stored case into an error for the client. */
    if (!err && cr->out) {
        case_rec_clear(cr->out);
        err = case_read_conn(c, cr->reference, cr->out);
    }
out:
    for (int i = 0; i < 8; i++)
        free(b[i]);
    free(fields);
    free(name_tokens);
    free(subject_tokens);
    return err;
}

/* A back-office opens cases for its own consulate only, as it may not hand
 * one to another (the hand-over rule of case_update); a case it opens
 * without a consulate is its consulate's, so it stays in its scope. */
static int backoffice_consulate(const struct actor *who, const struct case_input *in, const char **own)
{
    const char *to[2] = {in->consulate, !strcmp(in->type, "dossier") ? field_value(in->fields, in->nfields, "consulate") : NULL};
    *own = who->consulate;
    for (int i = 0; i < 2; i++)
        if (to[i] && *to[i] && (!who->consulate || strcmp(to[i], who->consulate)))
            return err_set_field(WASL_EPERM, "cases.forbidden", i ? "fields.consulate" : "consulate",
                                 "a back-office opens cases for its own consulate only; ask the supervision team to open one "
                                 "for %s",
                                 to[i]);
    return 0;
}

int case_create(struct db *db, const struct actor *who, const struct case_input *in, struct case_rec *out, char pin_out[7])
{
    const struct case_type *t = case_type(in->type);
    struct create cr = {.who = who, .in = in, .out = out};
    int err;

    if (out)
        memset(out, 0, sizeof(*out));

    if (!t)
        return err_set_field(WASL_EINVAL, "cases.invalid_type", "type",
                             "type must be information, dossier, complaint, suggestion or observation");
    cr.priority = in->priority && *in->priority ? in->priority : "normal";
    cr.channel = in->channel && *in->channel ? in->channel : "phone";
    if (!case_priority_valid(cr.priority))
        return err_set_field(WASL_EINVAL, "cases.invalid_field", "priority", "priority must be low, normal, high or urgent");
    if (strcmp(cr.channel, "phone") && strcmp(cr.channel, "portal") && strcmp(cr.channel, "email") && strcmp(cr.channel, "open311"))
        return err_set_field(WASL_EINVAL, "cases.invalid_field", "channel", "channel must be phone, portal, email or open311");
    if (!guide_category_valid(in->category))
        return err_set_field(WASL_EINVAL, "cases.invalid_field", "category", "unknown category (the guide's categories)");
    if (!language_valid(in->language))
        return err_set_field(WASL_EINVAL, "cases.invalid_field", "language", "language must be one of %s", languages_list());
    if (in->country && *in->country && !geo_country(in->country))
        return err_set_field(WASL_EINVAL, "cases.invalid_field", "country", "unknown country code");
    if (in->consulate && *in->consulate && !geo_consulate(in->consulate))
        return err_set_field(WASL_EINVAL, "cases.invalid_field", "consulate", "unknown consulate");
    if ((err = case_check_text(in->subject, "subject", SUBJECT_MAX, true, true)) ||
        (err = case_check_text(in->description, "description", DESCRIPTION_MAX, false, false)) ||
        (err = case_check_fields(t, in->fields, in->nfields, true)) ||
        (err = check_citizen(&in->citizen, in->country, cr.phone_norm, sizeof(cr.phone_norm))) ||
        (err = case_articles_check(in->articles)))
        return err;
    if (who && who->role == ROLE_BACKOFFICE && (err = backoffice_consulate(who, in, &cr.own)))
        return err;
    if (in->request_key && !case_request_key_valid(in->request_key))
        return err_set_field(WASL_EINVAL, "cases.invalid_request_key", "request_key",
                             "an Idempotency-Key has 8 to 64 characters: letters, digits, dot, underscore, colon or hyphen");
    /* A new reference colliding with an old one is one chance in 10^12;
     * should it happen, another is drawn. */
    for (int attempt = 0; attempt < 3; attempt++)
        if ((err = db_tx(db, create_h, &cr)) != WASL_ECONFLICT)
            break;
    if (err) {
        if (out)
            case_rec_clear(out);
        return err;
    }
    if (pin_out)
        memcpy(pin_out, cr.pin, 7);
    if (in->replayed)
        *in->replayed = cr.replayed;
    return 0;
}

/* ---- reading ---- */

/* Backoffice users see the cases of their consulate only. */
bool case_in_scope(const struct actor *who, const struct case_rec *c)
{
    if (!who || who->role != ROLE_BACKOFFICE)
        return true;
    return who->consulate && (!strcmp(c->assignee_consulate, who->consulate) || !strcmp(c->consulate, who->consulate));
}

int case_scope_refused(struct db_conn *c, const struct actor *who, const char *ref, const char *action)
{
    char object[64], detail[64];
    snprintf(object, sizeof(object), "case:%s", ref);
    snprintf(detail, sizeof(detail), "{\"consulate\":\"%s\"}", who && who->consulate ? who->consulate : "");
    return audit_append(c, who, action, object, detail);
}

int case_read_conn(struct db_conn *c, const char *ref, struct case_rec *out)
{
    struct db_stmt *s = NULL;
    bool found = false;
    int err = db_query(c, &s, "SELECT " CASE_COLUMNS " FROM cases c WHERE c.reference = ?", DBP(DB_S(ref)));
    if (err)
        return err;
    if (db_next(s)) {
        found = true;
        err = case_from_row(s, out, true);
    }
    int err2 = db_end(s);
    if (!err && err2)
        case_rec_clear(out);
    err = err ? err : err2;
    return !err && !found ? err_set(WASL_ENOENT, "cases.not_found", "no case %s", ref) : err;
}

int case_read(struct db *db, const char *ref, struct case_rec *out)
{
    struct db_conn *c;
    int err = db_conn_get(db, &c);
    if (err)
        return err;
    err = case_read_conn(c, ref, out);
    db_conn_put(c);
    return err;
}

int case_view(struct db *db, const struct actor *who, const char *reference, struct case_rec *out)
{
    struct db_conn *c;
    char ref[CASE_REF_LEN + 1], object[64];
    bool found = false;
    int err;

    memset(out, 0, sizeof(*out));
    if ((err = case_ref_parse(reference, ref)))
        return err;
    if ((err = db_conn_get(db, &c)))
        return err;
    err = case_read_conn(c, ref, out);
    found = !err;
    if (err == WASL_ENOENT)
        err = 0;
    if (!err && (!found || !case_in_scope(who, out))) {
        bool refused = found;
        case_rec_clear(out);
        /* Another consulate's case: the refusal is in the audit trail too,
         * the answer the same as for a case that does not exist. */
        err = refused ? case_scope_refused(c, who, ref, "case.view_refused") : 0;
        if (!err)
            err = err_set(WASL_ENOENT, "cases.not_found", "no case %s", ref);
    }
    /* Every read of a citizen's file is in the audit trail. */
    if (!err) {
        snprintf(object, sizeof(object), "case:%s", ref);
        err = audit_append(c, who, "case.view", object, NULL);
        /* The assignee has now read the citizen's reply (the view still
         * shows it as new this once). */
        if (!err && out->new_reply && who && who->user_id && who->user_id == out->assignee_user)
            err = db_exec(c, "UPDATE cases SET seen_at = ? WHERE id = ?", DBP(DB_I(clock_now()), DB_I(out->id)));
        if (err)
            case_rec_clear(out);
    }
    db_conn_put(c);
    return err;
}

int case_events(struct db *db, int64_t case_id, bool public_only, case_event_h h, void *arg)
{
    struct db_conn *c;
    struct db_stmt *s = NULL;
    int err = db_conn_get(db, &c);
    if (err)
        return err;
    err = db_query(c, &s,
                   "SELECT at, actor, kind, public, body_enc, detail FROM case_events WHERE case_id = ? AND (? = 0 OR public = 1) "
                   "ORDER BY at, id",
                   DBP(DB_I(case_id), DB_I(public_only)));
    while (!err && db_next(s)) {
        struct case_event e;
        size_t n;
        const void *b = db_blob(s, 4, &n);
        memset(&e, 0, sizeof(e));
        e.at = db_int(s, 0);
        snprintf(e.actor, sizeof(e.actor), "%s", db_text(s, 1));
        snprintf(e.kind, sizeof(e.kind), "%s", db_text(s, 2));
        e.public_note = db_int(s, 3) != 0;
        if (!(err = unseal(b, n, &e.body))) {
            e.detail = strdup(db_text(s, 5));
            err = h(&e, arg);
        }
        free(e.body);
        free(e.detail);
    }
    int err2 = s ? db_end(s) : 0;
    db_conn_put(c);
    return err ? err : err2;
}
