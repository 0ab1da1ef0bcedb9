/*
 * The FTS5 tokenizer "wasl <lang>": words as text_words() sees them, folded,
 * stop words dropped from documents, stemmed with the table's language.
 * A query token marked as a prefix is folded but not stemmed, so that "passep"
 * still finds the stem "passeport".
 */
#include <stdlib.h>
#include <string.h>

#include "guide_int.h"

struct wtok {
    int lang;
};

struct emit {
    struct wtok *t;
    int flags;
    void *ctx;
    int (*token)(void *ctx, int tflags, const char *tok, int ntok, int start, int end);
};

static int tok_create(void *ctx, const char **args, int nargs, Fts5Tokenizer **out)
{
    struct wtok *t = calloc(1, sizeof(*t));
    (void)ctx;
    if (!t)
        return SQLITE_NOMEM;
    t->lang = nargs > 0 ? text_lang_index(args[0]) : -1;
    if (t->lang < 0) {
        free(t);
        return SQLITE_ERROR;
    }
    *out = (Fts5Tokenizer *)t;
    return SQLITE_OK;
}

static void tok_delete(Fts5Tokenizer *t)
{
    free(t);
}

static int on_word(const char *word, size_t n, size_t start, const char *folded, size_t flen, void *arg)
{
    struct emit *e = arg;
    char stem[GUIDE_WORD_MAX + 1];
    size_t sl;

    if ((e->flags & FTS5_TOKENIZE_DOCUMENT) && text_is_stopword(e->t->lang, folded))
        return 0;
    if (e->flags & FTS5_TOKENIZE_PREFIX) {
        memcpy(stem, folded, flen + 1);
        sl = flen;
    } else {
        sl = text_stem(e->t->lang, folded, flen, stem);
    }
    return e->token(e->ctx, 0, stem, (int)sl, (int)start, (int)(start + n));
}

static int tok_tokenize(Fts5Tokenizer *tk, void *ctx, int flags, const char *text, int n,
                        int (*token)(void *, int, const char *, int, int, int))
{
    struct emit e = {(struct wtok *)tk, flags, ctx, token};
    if (n <= 0)
        return SQLITE_OK;
    return text_words(text, (size_t)n, on_word, &e);
}

static fts5_api *fts5_of(sqlite3 *db)
{
    fts5_api *api = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
        sqlite3_step(st);
    }
    sqlite3_finalize(st);
    return api;
}

int tokenizer_register(sqlite3 *db)
{
    static fts5_tokenizer tok = {tok_create, tok_delete, tok_tokenize};
    fts5_api *api = fts5_of(db);
    if (!api || api->xCreateTokenizer(api, "wasl", NULL, &tok, NULL) != SQLITE_OK)
        return err_set(WASL_EINTERNAL, "guide.fts5", "cannot register the search tokenizer (SQLite without FTS5?)");
    return 0;
}
