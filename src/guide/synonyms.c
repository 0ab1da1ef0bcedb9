/*
 * Synonyms and acronyms, managed by editors: groups of terms that mean the
 * same thing, in any of the center's languages (CNIE, carte nationale,
 * البطاقة الوطنية, national ID card...). A search for one finds the others.
 */
#include <stdio.h>
#include <string.h>

#include "guide_int.h"

int guide_synonyms_list(struct db *db, guide_synonym_h h, void *arg)
{
    struct db_conn *c;
    struct db_stmt *s = NULL;
    int err = db_conn_get(db, &c);
    if (err)
        return err;
    err = db_query(c, &s, "SELECT id, grp, lang, term FROM guide_synonyms ORDER BY grp, lang, term", NULL, 0);
    while (!err && db_next(s)) {
        struct guide_synonym y;
        y.id = db_int(s, 0);
        snprintf(y.group, sizeof(y.group), "%s", db_text(s, 1));
        snprintf(y.lang, sizeof(y.lang), "%s", db_text(s, 2));
        snprintf(y.term, sizeof(y.term), "%s", db_text(s, 3));
        err = h(&y, arg);
    }
    int err2 = s ? db_end(s) : 0;
    db_conn_put(c);
    return err ? err : err2;
}

struct add {
    const struct actor *who;
    const char *group, *lang, *term;
    int64_t id;
};

static int add_h(struct db_conn *c, void *arg)
{
    struct add *a = arg;
    char object[200];
    int err = db_query_int(c, &a->id, "INSERT INTO guide_synonyms (grp, lang, term) VALUES (?, ?, ?) RETURNING id",
                           DBP(DB_S(a->group), DB_S(a->lang), DB_S(a->term)));
    if (err)
        return err == WASL_ECONFLICT ? err_set_field(err, "guide.synonym_exists", "term", "this term is already in the group")
                                     : err;
    snprintf(object, sizeof(object), "guide-synonyms:%s", a->group);
    char detail[300];
    snprintf(detail, sizeof(detail), "{\"lang\":\"%s\",\"id\":%lld}", a->lang, (long long)a->id);
    if ((err = audit_append(c, a->who, "guide.synonym_add", object, detail)))
        return err;
    return guide_generation_bump(c);
}

int guide_synonym_add(struct db *db, const struct actor *who, const char *group, const char *lang, const char *term, int64_t *id)
{
    size_t gl = group ? strlen(group) : 0, tl = term ? strlen(term) : 0;
    int err;

    if (gl < 2 || gl > 63)
        return err_set_field(WASL_EINVAL, "guide.invalid_field", "group", "the group name must be 2 to 63 characters");
    for (const char *p = group; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
            return err_set_field(WASL_EINVAL, "guide.invalid_field", "group", "the group name may hold only a-z, 0-9 and '-'");
    if (!language_valid(lang))
        return err_set_field(WASL_EINVAL, "guide.invalid_language", "lang", "language must be one of %s", languages_list());
    if (tl == 0 || tl > 120 || !utf8_valid(term, tl))
        return err_set_field(WASL_EINVAL, "guide.invalid_field", "term", "the term must be 1 to 120 bytes of text");
    for (const unsigned char *p = (const unsigned char *)term; *p; p++)
        if (*p < 0x20)
            return err_set_field(WASL_EINVAL, "guide.invalid_field", "term", "the term holds a control character");
    struct add a = {who, group, lang, term, 0};
    if ((err = db_tx(db, add_h, &a)))
        return err;
    index_mark_stale(db);
    if (id)
        *id = a.id;
    return 0;
}

struct del {
    const struct actor *who;
    int64_t id;
};

static int del_h(struct db_conn *c, void *arg)
{
    struct del *d = arg;
    struct db_stmt *s = NULL;
    char object[200] = "", detail[300] = "";
    int err = db_query(c, &s, "SELECT grp, lang, term FROM guide_synonyms WHERE id = ?", DBP(DB_I(d->id)));
    if (err)
        return err;
    if (db_next(s)) {
        snprintf(object, sizeof(object), "guide-synonyms:%s", db_text(s, 0));
        snprintf(detail, sizeof(detail), "{\"lang\":\"%s\",\"id\":%lld}", db_text(s, 1), (long long)d->id);
    }
    if ((err = db_end(s)))
        return err;
    if (!object[0])
        return err_set(WASL_ENOENT, "guide.synonym_not_found", "no such synonym");
    if ((err = db_exec(c, "DELETE FROM guide_synonyms WHERE id = ?", DBP(DB_I(d->id)))) ||
        (err = audit_append(c, d->who, "guide.synonym_delete", object, detail)))
        return err;
    return guide_generation_bump(c);
}

int guide_synonym_delete(struct db *db, const struct actor *who, int64_t id)
{
    struct del d = {who, id};
    int err = db_tx(db, del_h, &d);
    if (!err)
        index_mark_stale(db);
    return err;
}
