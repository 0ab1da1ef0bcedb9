/*
 * User accounts: create, read, change, disable, reset passwords and unlock,
 * each change validated and audited in the same transaction.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "auth_int.h"

void user_from_row(struct db_stmt *s, int col, struct user *u)
{
    const char *t;
    memset(u, 0, sizeof(*u));
    u->id = db_int(s, col);
    snprintf(u->login, sizeof(u->login), "%s", db_text(s, col + 1));
    snprintf(u->display_name, sizeof(u->display_name), "%s", db_text(s, col + 2));
    role_parse(db_text(s, col + 3), &u->role);
    t = db_text(s, col + 4);
    snprintf(u->consulate, sizeof(u->consulate), "%s", t ? t : "");
    snprintf(u->language, sizeof(u->language), "%s", db_text(s, col + 5));
    u->disabled = db_int(s, col + 6) != 0;
    u->must_change_password = db_int(s, col + 7) != 0;
    u->created_at = db_int(s, col + 8);
    u->updated_at = db_int(s, col + 9);
    u->last_login_at = db_int(s, col + 10);
}

static int check_login(const char *login)
{
    size_t n = login ? strlen(login) : 0;
    if (n < 2 || n > USER_LOGIN_MAX)
        return err_set_field(WASL_EINVAL, "auth.invalid_login", "login", "the login must be 2 to %d characters long",
                             USER_LOGIN_MAX);
    for (const char *p = login; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
            return err_set_field(WASL_EINVAL, "auth.invalid_login", "login",
                                 "the login may hold only lower-case letters a-z, digits, '.', '_' and '-'");
    return 0;
}

static int check_name(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > USER_NAME_MAX)
        return err_set_field(WASL_EINVAL, "auth.invalid_name", "display_name", "the name must be 1 to %d bytes long",
                             USER_NAME_MAX);
    for (const char *p = name; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return err_set_field(WASL_EINVAL, "auth.invalid_name", "display_name", "the name must not hold control characters");
    return 0;
}

/* A backoffice account belongs to one consulate; no other role has one. */
static int check_scope(int role, const char *consulate)
{
    if (role == ROLE_BACKOFFICE) {
        if (!consulate || !*consulate)
            return err_set_field(WASL_EINVAL, "auth.consulate_required", "consulate",
                                 "a backoffice account needs the consulate it works for");
        if (!geo_consulate(consulate))
            return err_set_field(WASL_EINVAL, "auth.unknown_consulate", "consulate", "unknown consulate '%.32s'", consulate);
    } else if (consulate && *consulate) {
        return err_set_field(WASL_EINVAL, "auth.consulate_not_allowed", "consulate",
                             "only backoffice accounts belong to a consulate");
    }
    return 0;
}

int user_get_conn(struct db_conn *c, int64_t id, struct user *out)
{
    struct db_stmt *s = NULL;
    bool found = false;
    int err = db_query(c, &s, "SELECT " USER_COLUMNS " FROM users u WHERE id = ?", DBP(DB_I(id)));
    if (err)
        return err;
    if (db_next(s)) {
        user_from_row(s, 0, out);
        found = true;
    }
    if ((err = db_end(s)))
        return err;
    return found ? 0 : err_set(WASL_ENOENT, "auth.user_not_found", "no such user");
}

int user_get(struct db *db, int64_t id, struct user *out)
{
    struct db_conn *c;
    int err = db_conn_get(db, &c);
    if (err)
        return err;
    err = user_get_conn(c, id, out);
    if (!err) {
        int64_t until = 0, now = clock_now();
        if (throttle_until(c, out->login, now, &until) == 0)
            out->locked = until > now;
        err_clear();
    }
    db_conn_put(c);
    return err;
}

int user_get_by_login(struct db *db, const char *login, struct user *out)
{
    struct db_conn *c;
    struct db_stmt *s = NULL;
    bool found = false;
    int err = db_conn_get(db, &c);
    if (err)
        return err;
    if (!(err = db_query(c, &s, "SELECT " USER_COLUMNS " FROM users u WHERE login = ?", DBP(DB_S(login))))) {
        if (db_next(s)) {
            user_from_row(s, 0, out);
            found = true;
        }
        err = db_end(s);
    }
    db_conn_put(c);
    if (!err && !found)
        err = err_set(WASL_ENOENT, "auth.user_not_found", "no user '%.64s'", login);
    return err;
}

static int brief_cmp(const void *a, const void *b)
{
    int64_t x = ((const struct user_brief *)a)->id, y = ((const struct user_brief *)b)->id;
    return x < y ? -1 : x > y;
}

int user_briefs(struct db *db, struct user_brief *b, int n)
{
    struct db_conn *c;
    struct db_stmt *s = NULL;
    int err;

    for (int i = 0; i < n; i++) {
        b[i].display_name[0] = '\0';
        b[i].disabled = true;
    }
    if (n <= 0)
        return 0;
    if ((err = db_conn_get(db, &c)))
        return err;
    qsort(b, (size_t)n, sizeof(*b), brief_cmp);
    err = db_query(c, &s, "SELECT id, display_name, disabled FROM users", NULL, 0);
    while (!err && db_next(s)) {
        struct user_brief key = {.id = db_int(s, 0)}, *hit = bsearch(&key, b, (size_t)n, sizeof(*b), brief_cmp);
        for (; hit && hit > b && hit[-1].id == key.id; hit--)
            ;
        for (; hit && hit < b + n && hit->id == key.id; hit++) {
            snprintf(hit->display_name, sizeof(hit->display_name), "%s", db_text(s, 1));
            hit->disabled = db_int(s, 2) != 0;
        }
    }
    int err2 = db_end(s);
    db_conn_put(c);
    return err ? err : err2;
}

int user_list(struct db *db, struct user *out, int max, int *n)
{
    struct db_conn *c;
    struct db_stmt *s = NULL;
    int err = db_conn_get(db, &c);

    *n = 0;
    if (err)
        return err;
    int64_t now = clock_now();
    err = db_query(c, &s, "SELECT " USER_COLUMNS ", " THROTTLE_UNTIL_SQL " FROM users u ORDER BY login LIMIT ?",
                   DBP(DB_I(now), DB_I(max)));
    if (!err) {
        while (*n < max && db_next(s)) {
            user_from_row(s, 0, &out[*n]);
            out[*n].locked = !db_is_null(s, 11) && db_int(s, 11) > now;
            (*n)++;
        }
        err = db_end(s);
    }
    db_conn_put(c);
    return err;
}

struct create {
    const struct actor *who;
    const struct user_fields *f;
    const char *hash;
    int64_t id;
};

static int create_h(struct db_conn *c, void *arg)
{
    struct create *cr = arg;
    const struct user_fields *f = cr->f;
    int64_t now = clock_now();
    char object[48], *detail;
    int err;

    if ((err = db_query_int(c, &cr->id,
                            "INSERT INTO users (login, display_name, role, consulate, language, password_hash, "
                            "must_change_password, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                            DBP(DB_S(f->login), DB_S(f->display_name), DB_S(f->role),
                                DB_S(f->consulate && *f->consulate ? f->consulate : NULL), DB_S(f->language ? f->language : "fr"),
                                DB_S(cr->hash), DB_I(f->must_change_password), DB_I(now), DB_I(now)))))
        return err == WASL_ECONFLICT ? err_set_field(err, "auth.login_taken", "login", "the login '%s' is taken", f->login) : err;
    snprintf(object, sizeof(object), "user:%lld", (long long)cr->id);
    json_t *d = json_pack("{s:s, s:s, s:s?}", "login", f->login, "role", f->role, "consulate",
                          f->consulate && *f->consulate ? f->consulate : NULL);
    detail = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(d);
    err = audit_append(c, cr->who, "user.create", object, detail);
    free(detail);
    return err;
}

int user_create(struct db *db, const struct actor *who, const struct user_fields *f, int64_t *id)
{
    char hash[256];
    int role, err;

    if ((err = check_login(f->login)) || (err = check_name(f->display_name)) || (err = role_parse(f->role, &role)) ||
        (err = check_scope(role, f->consulate)))
        return err;
    if (f->language && !language_valid(f->language))
        return err_set_field(WASL_EINVAL, "auth.invalid_language", "language", "language must be one of %s", languages_list());
    if ((err = auth_password_policy(f->login, f->display_name, f->password, NULL)) ||
        (err = auth_hash_password(f->password, hash, sizeof(hash))))
        return err;
    struct create cr = {who, f, hash, 0};
    if ((err = db_tx(db, create_h, &cr)))
        return err;
    if (id)
        *id = cr.id;
    return 0;
}

struct update {
    const struct actor *who;
    int64_t id;
    const struct user_change *ch;
};

static int update_h(struct db_conn *c, void *arg)
{
    struct update *up = arg;
    const struct user_change *ch = up->ch;
    struct user u;
    char object[48], *detail = NULL;
    int role, err;
    json_t *d = json_object();

    if (!d)
        return WASL_ENOMEM;
    if ((err = user_get_conn(c, up->id, &u)))
        goto out;
    role = u.role;
    if (ch->role && (err = role_parse(ch->role, &role)))
        goto out;
    /* Leaving the backoffice role drops the consulate; any other role keeps none. */
    const char *consulate = ch->consulate ? ch->consulate : (role == ROLE_BACKOFFICE ? u.consulate : "");
    const char *name = ch->display_name ? ch->display_name : u.display_name;
    const char *lang = ch->language ? ch->language : u.language;
    int disabled = ch->disabled >= 0 ? ch->disabled : u.disabled;
    if ((err = check_scope(role, consulate)) || (err = check_name(name)))
        goto out;
    if (!language_valid(lang)) {
        err = err_set_field(WASL_EINVAL, "auth.invalid_language", "language", "language must be one of %s", languages_list());
        goto out;
    }
    /* An admin cannot take away their own admin role or disable themselves:
     * that is how an installation ends up with no administrator. */
    if (up->who && up->who->user_id == up->id && ((role != ROLE_ADMIN && u.role == ROLE_ADMIN) || disabled)) {
        err = err_set(WASL_ECONFLICT, "auth.self_lockout", "you cannot remove your own administrator access");
        goto out;
    }
    /* The audit entry lists exactly what changed; a change to nothing is not one. */
    if (strcmp(name, u.display_name))
        json_object_set_new(d, "display_name", json_string(name));
    if (role != u.role)
        json_object_set_new(d, "role", json_string(role_name(role)));
    if (strcmp(consulate, u.consulate))
        json_object_set_new(d, "consulate", *consulate ? json_string(consulate) : json_null());
    if (strcmp(lang, u.language))
        json_object_set_new(d, "language", json_string(lang));
    if (disabled != u.disabled)
        json_object_set_new(d, "disabled", json_boolean(disabled));
    if (json_object_size(d) == 0)
        goto out;
    err = db_exec(c,
                  "UPDATE users SET display_name = ?, role = ?, consulate = ?, language = ?, disabled = ?, updated_at = ? "
                  "WHERE id = ?",
                  DBP(DB_S(name), DB_S(role_name(role)), DB_S(*consulate ? consulate : NULL), DB_S(lang), DB_I(disabled),
                      DB_I(clock_now()), DB_I(up->id)));
    if (err)
        goto out;
    if (disabled && !u.disabled && (err = db_exec(c, "DELETE FROM sessions WHERE user_id = ?", DBP(DB_I(up->id)))))
        goto out;
    /* every process's telephony lets a disabled user's phone go */
    if ((err = db_change_bump(c, "accounts")))
        goto out;
    detail = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
    snprintf(object, sizeof(object), "user:%lld", (long long)up->id);
    err = audit_append(c, up->who,
                       disabled && !u.disabled   ? "user.disable"
                       : !disabled && u.disabled ? "user.enable"
                                                 : "user.update",
                       object, detail);
out:
    json_decref(d);
    free(detail);
    return err;
}

int user_update(struct db *db, const struct actor *who, int64_t id, const struct user_change *ch)
{
    struct update up = {who, id, ch};
    return db_tx(db, update_h, &up);
}

struct setpw {
    const struct actor *who;
    int64_t id;
    const char *hash;
    bool must_change;
    const char *keep;
};

static int setpw_h(struct db_conn *c, void *arg)
{
    struct setpw *p = arg;
    char object[48];
    struct user u;
    int err;

    if ((err = user_get_conn(c, p->id, &u)))
        return err;
    if ((err = db_exec(c, "UPDATE users SET password_hash = ?, must_change_password = ?, updated_at = ? WHERE id = ?",
                       DBP(DB_S(p->hash), DB_I(p->must_change), DB_I(clock_now()), DB_I(p->id)))))
        return err;
    /* Whoever held the old password loses their sessions. */
    if ((err = db_exec(c, "DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?",
                       DBP(DB_I(p->id), DB_S(p->keep ? p->keep : "")))))
        return err;
    if ((err = throttle_clear(c, u.login, NULL)))
        return err;
    snprintf(object, sizeof(object), "user:%lld", (long long)p->id);
    return audit_append(c, p->who, p->who && p->who->user_id == p->id ? "user.password_change" : "user.password_reset", object,
                        p->must_change ? "{\"must_change\":true}" : "{}");
}

int user_set_password(struct db *db, const struct actor *who, int64_t id, const char *password, bool must_change,
                      const char *keep_token_hash)
{
    struct user u;
    struct db_conn *c;
    char hash[256], current[256] = "";
    int err;

    if ((err = user_get(db, id, &u)) || (err = db_conn_get(db, &c)))
        return err;
    struct db_stmt *s = NULL;
    if (!(err = db_query(c, &s, "SELECT password_hash FROM users WHERE id = ?", DBP(DB_I(id))))) {
        if (db_next(s))
            snprintf(current, sizeof(current), "%s", db_text(s, 0));
        err = db_end(s);
    }
    db_conn_put(c);
    if (err || (err = auth_password_policy(u.login, u.display_name, password, current)) ||
        (err = auth_hash_password(password, hash, sizeof(hash))))
        return err;
    struct setpw p = {who, id, hash, must_change, keep_token_hash};
    return db_tx(db, setpw_h, &p);
}

struct unlock {
    const struct actor *who;
    int64_t id;
};

static int unlock_h(struct db_conn *c, void *arg)
{
    struct unlock *ul = arg;
    char object[48];
    struct user u;
    int err;

    if ((err = user_get_conn(c, ul->id, &u)))
        return err;
    if ((err = throttle_clear(c, u.login, NULL)))
        return err;
    snprintf(object, sizeof(object), "user:%lld", (long long)ul->id);
    return audit_append(c, ul->who, "user.unlock", object, NULL);
}

int user_unlock(struct db *db, const struct actor *who, int64_t id)
{
    struct unlock ul = {who, id};
    return db_tx(db, unlock_h, &ul);
}

json_t *user_ref_json(struct db *db, int64_t id)
{
    struct user u;
    if (!id || user_get(db, id, &u)) {
        err_clear();
        return json_pack("{s:I, s:s}", "id", (json_int_t)id, "name", "");
    }
    return json_pack("{s:I, s:s}", "id", (json_int_t)id, "name", u.display_name);
}
