/*
 * A case's life: status changes along the allowed transitions (the deadline
 * clock stops while the case waits for the citizen), assignment to a person
 * or a consulate's back-office, notes (internal, or public for the citizen),
 * and merging duplicates. Every change is an event and an audit entry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "cases_int.h"
#include "calendar/calendar.h"
#include "guide/guide.h"

/* Which status may follow which. */
static bool transition_ok(const char *from, const char *to, int role)
{
    static const struct {
        const char *from, *to;
    } allowed[] = {
        {"new", "open"},
        {"new", "waiting_citizen"},
        {"new", "waiting_consulate"},
        {"new", "resolved"},
        {"new", "closed"},
        {"open", "waiting_citizen"},
        {"open", "waiting_consulate"},
        {"open", "resolved"},
        {"waiting_citizen", "open"},
        {"waiting_citizen", "waiting_consulate"},
        {"waiting_citizen", "resolved"},
        {"waiting_consulate", "open"},
        {"waiting_consulate", "waiting_citizen"},
        {"waiting_consulate", "resolved"},
        {"resolved", "closed"},
        {"resolved", "open"},
    };
    for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
        if (!strcmp(allowed[i].from, from) && !strcmp(allowed[i].to, to))
            return true;
    /* Reopening a closed case is the supervision team's decision. */
    return !strcmp(from, "closed") && !strcmp(to, "open") && (role & (ROLE_SUPERVISOR | ROLE_ADMIN));
}

int case_next_statuses(const char *status, int role, const char *out[8])
{
    static const char *const all[] = {"new", "open", "waiting_citizen", "waiting_consulate", "resolved", "closed"};
    int n = 0;
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if (strcmp(all[i], status) && transition_ok(status, all[i], role))
            out[n++] = all[i];
    out[n] = NULL;
    return n;
}

struct update {
    const struct actor *who;
    const char *ref;
    const struct case_change *ch;
    bool refused; /* another consulate's case: audited after the rollback */
};

/* Tells the citizen, in the case's language, when the case has an address:
 * what is "note" (a public note, its text in the mail) or "resolved". The
 * mail is queued in the transaction of the change. */
static int mail_citizen(struct db_conn *c, const struct case_rec *r, const char *what, const char *note)
{
    char ks[32], kb[32];
    int err;
    if (!r->citizen.email || !*r->citizen.email)
        return 0;
    snprintf(ks, sizeof(ks), "%s.subject", what);
    snprintf(kb, sizeof(kb), "%s.body", what);
    char *subject = case_text(r->language, ks, r->reference, r->type, r->resolution_due, NULL);
    char *body = case_text_note(r->language, kb, r->reference, r->type, r->resolution_due, NULL, note);
    err = subject && body ? outbox_add(c, r->id, r->citizen.email, subject, body) : WASL_ENOMEM;
    free(subject);
    free(body);
    return err;
}

static int64_t push(int64_t due_us, int64_t business)
{
    return due_us ? calendar_add_business(due_us / WTIME_SEC, business) * WTIME_SEC : 0;
}

static int update_h(struct db_conn *c, void *arg)
{
    struct update *u = arg;
    const struct case_change *ch = u->ch;
    const char *actor = u->who && u->who->login ? u->who->login : "system";
    struct case_rec r;
    json_t *d = json_object();
    char *detail = NULL, object[64];
    int64_t now = clock_now();
    int err;

    if ((err = case_read_conn(c, u->ref, &r)))
        goto done;
    if (!case_in_scope(u->who, &r)) {
        u->refused = true;
        err = err_set(WASL_ENOENT, "cases.not_found", "no case %s", u->ref);
        goto out;
    }
    if (!strcmp(r.status, "merged")) {
        err = err_set(WASL_ECONFLICT, "cases.merged", "this case was merged into %s; change that one", r.merged_into);
        goto out;
    }
    const char *status = r.status, *priority = r.priority, *category = r.category;
    int64_t first_due = r.first_response_due, res_due = r.resolution_due, paused = r.paused_since;
    int64_t first_at = r.first_response_at, resolved_at = r.resolved_at, closed_at = r.closed_at;
    int64_t assignee = r.assignee_user;
    const char *acons = r.assignee_consulate;

    if (ch->status && strcmp(ch->status, r.status)) {
        if (!case_status_valid(ch->status) || !strcmp(ch->status, "merged")) {
            err = err_set_field(WASL_EINVAL, "cases.invalid_field", "status", "unknown status (merge with the merge action)");
            goto out;
        }
        if (!transition_ok(r.status, ch->status, u->who ? u->who->role : 0)) {
            err = err_set_field(WASL_ECONFLICT, "cases.invalid_transition", "status", "a %s case cannot become %s", r.status,
                                ch->status);
            goto out;
        }
        status = ch->status;
        /* The clock stops while the citizen has to answer. */
        if (!strcmp(r.status, "waiting_citizen") && r.paused_since) {
            int64_t pause = calendar_business_between(r.paused_since / WTIME_SEC, now / WTIME_SEC);
            if (!first_at)
                first_due = push(first_due, pause);
            res_due = push(res_due, pause);
            paused = 0;
        }
        if (!strcmp(status, "waiting_citizen"))
            paused = now;
        if (!first_at)
            first_at = now;
        resolved_at = !strcmp(status, "resolved") ? now : !strcmp(status, "open") ? 0 : resolved_at;
        closed_at = !strcmp(status, "closed") ? now : !strcmp(status, "open") ? 0 : closed_at;
        json_object_set_new(d, "status", json_pack("[s, s]", r.status, status));
    }
    if (ch->priority && strcmp(ch->priority, r.priority)) {
        if (!case_priority_valid(ch->priority)) {
            err = err_set_field(WASL_EINVAL, "cases.invalid_field", "priority", "priority must be low, normal, high or urgent");
            goto out;
        }
        priority = ch->priority;
        /* New priority, new targets, counted from the case's creation. */
        int64_t f, res;
        if ((err = case_deadlines(r.type, priority, r.created_at, &f, &res)))
            goto out;
        if (!first_at)
            first_due = f;
        res_due = res;
        json_object_set_new(d, "priority", json_pack("[s, s]", r.priority, priority));
    }
    if (ch->category && strcmp(ch->category, r.category)) {
        if (!guide_category_valid(ch->category)) {
            err = err_set_field(WASL_EINVAL, "cases.invalid_field", "category", "unknown category (the guide's categories)");
            goto out;
        }
        category = ch->category;
        json_object_set_new(d, "category", json_pack("[s, s]", r.category, category));
    }
    if (ch->assignee_user) {
        int64_t to = ch->assignee_user < 0 ? 0 : ch->assignee_user;
        if (to) {
            struct user usr;
            if ((err = user_get_conn(c, to, &usr)) || usr.disabled || usr.role == ROLE_EDITOR) {
                err = err_set_field(WASL_EINVAL, "cases.invalid_field", "assignee_user",
                                    "no active agent, supervisor or back-office user with this id");
                goto out;
            }
        }
        if (to != r.assignee_user) {
            assignee = to;
            json_object_set_new(d, "assignee_user", json_pack("[I, I]", (json_int_t)r.assignee_user, (json_int_t)to));
            /* The history shows who, not only a number. */
            struct user nu;
            json_object_set_new(d, "assignee_login",
                                json_pack("[s?, s?]", r.assignee_login[0] ? r.assignee_login : NULL,
                                          to && !user_get_conn(c, to, &nu) ? nu.login : NULL));
            err_clear();
        }
    }
    if (ch->assignee_consulate && strcmp(ch->assignee_consulate, r.assignee_consulate)) {
        if (u->who && u->who->role == ROLE_BACKOFFICE) {
            err = err_set(WASL_EPERM, "cases.forbidden",
                          "a back-office cannot hand a case to another consulate; ask the supervision team");
            goto out;
        }
        if (*ch->assignee_consulate && !geo_consulate(ch->assignee_consulate)) {
            err = err_set_field(WASL_EINVAL, "cases.invalid_field", "assignee_consulate", "unknown consulate");
            goto out;
        }
        acons = ch->assignee_consulate;
        json_object_set_new(d, "assignee_consulate", json_pack("[s, s]", r.assignee_consulate, acons));
    }
    char *fields = NULL;
    if (ch->nfields) {
        const struct case_type *t = case_type(r.type);
        struct case_field merged[CASE_FIELDS_MAX];
        int n = 0;
        if ((err = case_check_fields(t, ch->fields, ch->nfields, false)))
            goto out;
        for (int i = 0; i < r.nfields; i++)
            merged[n++] = r.fields[i];
        for (int i = 0; i < ch->nfields; i++) {
            int k = 0;
            while (k < n && strcmp(merged[k].name, ch->fields[i].name))
                k++;
            if (k == n && n < CASE_FIELDS_MAX)
                n++;
            if (k < n)
                merged[k] = ch->fields[i];
        }
        json_t *o = json_object();
        for (int i = 0; i < n; i++)
            if (merged[i].value && *merged[i].value)
                json_object_set_new(o, merged[i].name, json_string(merged[i].value));
        fields = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(o);
        json_object_set_new(d, "fields", json_string("changed"));
    }
    if (json_object_size(d) == 0) {
        err = 0; /* nothing changes: no event, no audit */
        goto out;
    }
    unsigned char *fb = NULL;
    size_t fn = 0;
    if (fields && (err = seal(fields, &fb, &fn))) {
        free(fields);
        goto out;
    }
    err = db_exec(c,
                  "UPDATE cases SET status = ?, priority = ?, category = ?, assignee_user = ?, assignee_consulate = ?, "
                  "first_response_due = ?, resolution_due = ?, paused_since = ?, first_response_at = ?, resolved_at = ?, "
                  "closed_at = ?, updated_at = ?, fields_enc = CASE WHEN ? = 1 THEN ? ELSE fields_enc END, "
                  "warned_at = CASE WHEN ? <> resolution_due THEN 0 ELSE warned_at END WHERE id = ?",
                  DBP(DB_S(status), DB_S(priority), DB_S(category), assignee ? DB_I(assignee) : DB_NULL,
                      DB_S(*acons ? acons : NULL), DB_I(first_due), DB_I(res_due), DB_I(paused), DB_I(first_at), DB_I(resolved_at),
                      DB_I(closed_at), DB_I(now), DB_I(fb != NULL), fb ? DB_B(fb, fn) : DB_NULL, DB_I(res_due), DB_I(r.id)));
    free(fb);
    free(fields);
    if (err)
        goto out;
    detail = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
    if ((err = case_event_add(c, r.id, actor, "changed", false, NULL, detail)))
        goto out;
    if (strcmp(status, r.status) && !strcmp(status, "resolved") && (err = mail_citizen(c, &r, "resolved", NULL)))
        goto out;
    snprintf(object, sizeof(object), "case:%s", r.reference);
    err = audit_append(c, u->who, "case.update", object, detail);
out:
    case_rec_clear(&r);
done:
    json_decref(d);
    free(detail);
    return err;
}

/* A refused change to another consulate's case, audited once its
 * transaction is rolled back; the answer stays "not found". */
static int scope_refused(struct db *db, const struct actor *who, const char *ref, const char *action)
{
    struct db_conn *c;
    int err = db_conn_get(db, &c);
    if (!err) {
        err = case_scope_refused(c, who, ref, action);
        db_conn_put(c);
    }
    return err ? err : err_set(WASL_ENOENT, "cases.not_found", "no case %s", ref);
}

int case_update_conn(struct db_conn *c, const struct actor *who, const char *ref, const struct case_change *ch)
{
    struct update u = {who, ref, ch, false};
    return update_h(c, &u);
}

int case_update(struct db *db, const struct actor *who, const char *reference, const struct case_change *ch)
{
    char ref[CASE_REF_LEN + 1];
    int err = case_ref_parse(reference, ref);
    if (err)
        return err;
    if (ch->category && !guide_category_valid(ch->category))
        return err_set_field(WASL_EINVAL, "cases.invalid_field", "category", "unknown category");
    struct update u = {who, ref, ch, false};
    err = db_tx(db, update_h, &u);
    return u.refused ? scope_refused(db, who, ref, "case.update_refused") : err;
}

struct note {
    const struct actor *who;
    const char *ref, *body;
    bool public_note;
    bool refused;
};

static int note_h(struct db_conn *c, void *arg)
{
    struct note *n = arg;
    struct case_rec r;
    char object[64];
    int err = case_read_conn(c, n->ref, &r);
    if (err)
        return err;
    if (!case_in_scope(n->who, &r)) {
        n->refused = true;
        case_rec_clear(&r);
        return err_set(WASL_ENOENT, "cases.not_found", "no case %s", n->ref);
    }
    /* A public note is an answer to the citizen: the first one is the first response. */
    if (n->public_note && !r.first_response_at &&
        (err = db_exec(c, "UPDATE cases SET first_response_at = ?, updated_at = ? WHERE id = ?",
                       DBP(DB_I(clock_now()), DB_I(clock_now()), DB_I(r.id)))))
        goto out;
    if ((err = case_event_add(c, r.id, n->who && n->who->login ? n->who->login : "system", "note", n->public_note, n->body, NULL)))
        goto out;
    if (n->public_note && (err = mail_citizen(c, &r, "note", n->body)))
        goto out;
    snprintf(object, sizeof(object), "case:%s", r.reference);
    err = audit_append(c, n->who, n->public_note ? "case.note_public" : "case.note", object, NULL);
out:
    case_rec_clear(&r);
    return err;
}

int case_add_note(struct db *db, const struct actor *who, const char *reference, const char *body, bool public_note)
{
    char ref[CASE_REF_LEN + 1];
    int err = case_ref_parse(reference, ref);
    if (err)
        return err;
    if ((err = case_check_text(body, "body", 10000, true, false)))
        return err;
    struct note nt = {who, ref, body, public_note, false};
    err = db_tx(db, note_h, &nt);
    return nt.refused ? scope_refused(db, who, ref, "case.note_refused") : err;
}

struct merge {
    const struct actor *who;
    const char *dup, *into;
};

static int merge_h(struct db_conn *c, void *arg)
{
    struct merge *m = arg;
    struct case_rec a, b;
    char object[64], detail[96];
    int err;

    memset(&b, 0, sizeof(b));
    if ((err = case_read_conn(c, m->dup, &a)))
        return err;
    if ((err = case_read_conn(c, m->into, &b)))
        goto out;
    if (!case_in_scope(m->who, &a) || !case_in_scope(m->who, &b)) {
        err = err_set(WASL_ENOENT, "cases.not_found", "no such case");
        goto out;
    }
    if (a.id == b.id || !strcmp(a.status, "merged") || !strcmp(b.status, "merged")) {
        err = err_set(WASL_ECONFLICT, "cases.cannot_merge", "a case cannot be merged into itself or into a merged case");
        goto out;
    }
    if ((err = db_exec(c, "UPDATE cases SET status = 'merged', merged_into = ?, updated_at = ? WHERE id = ?",
                       DBP(DB_I(b.id), DB_I(clock_now()), DB_I(a.id)))))
        goto out;
    snprintf(detail, sizeof(detail), "{\"into\":\"%s\"}", b.reference);
    if ((err = case_event_add(c, a.id, m->who->login, "merged", false, NULL, detail)))
        goto out;
    snprintf(detail, sizeof(detail), "{\"from\":\"%s\"}", a.reference);
    if ((err = case_event_add(c, b.id, m->who->login, "merged_from", false, NULL, detail)))
        goto out;
    snprintf(object, sizeof(object), "case:%s", a.reference);
    snprintf(detail, sizeof(detail), "{\"into\":\"%s\"}", b.reference);
    err = audit_append(c, m->who, "case.merge", object, detail);
out:
    case_rec_clear(&a);
    case_rec_clear(&b);
    return err;
}

int case_merge(struct db *db, const struct actor *who, const char *duplicate, const char *into)
{
    char a[CASE_REF_LEN + 1], b[CASE_REF_LEN + 1];
    int err;
    if ((err = case_ref_parse(duplicate, a)) || (err = case_ref_parse(into, b)))
        return err;
    struct merge m = {who, a, b};
    return db_tx(db, merge_h, &m);
}
