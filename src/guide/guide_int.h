/*
 * guide internals shared by the files of src/guide, its tests and fuzz
 * targets.
 */
#ifndef WASL_GUIDE_INT_H
#define WASL_GUIDE_INT_H

#include <pthread.h>
#include <sqlite3.h>

#include "guide.h"
#include "geo/geo.h"

#define GUIDE_WORD_MAX 64 /* bytes of one normalized word; longer words are cut */

/* ---- text.c: normalization, tokens, stemming, stop words ---- */
/* Folds one word: NFKC, case folding, diacritics removed, Arabic letter forms
 * unified (hamza carriers, alef madda and wasla to alef, taa marbuta to haa,
 * alef maqsura to yaa), tatweel dropped. out holds at least GUIDE_WORD_MAX+1
 * bytes; returns the length (0: nothing left). */
size_t text_fold(const char *word, size_t n, char *out);
/* Calls h for every word of text (runs of letters, digits and marks) with the
 * word's place in text and its folded form. Stops when h returns non-zero. */
typedef int (*text_word_h)(const char *word, size_t n, size_t start, const char *folded, size_t flen, void *arg);
int text_words(const char *text, size_t n, text_word_h h, void *arg);
/* Index of lang in wasl_languages, -1 if none. */
int text_lang_index(const char *lang);
/* A Snowball stemmer for lang (one per thread and language; never freed
 * before exit). stem() writes the stem of a folded word into out
 * (GUIDE_WORD_MAX+1) and returns its length. */
size_t text_stem(int lang, const char *folded, size_t n, char *out);
/* Stop words per language, from data/guide/stopwords/<lang>.txt, and the
 * everyday words of data/guide/words/<lang>.txt. */
int text_load_stopwords(const char *data_dir);
bool text_is_stopword(int lang, const char *folded);
/* Everyday words of lang (data/guide/words/<lang>.txt, loaded with the stop
 * words): real words that typo correction leaves alone. */
bool text_is_word(int lang, const char *folded);
/* A separable verb particle of lang ("ein", "in"; data/guide/particles). */
bool text_is_particle(int lang, const char *folded);

/* ---- typo.c: nearest known spellings ---- */
struct typo_index;
int typo_index_new(struct typo_index **out);
void typo_index_free(struct typo_index *t);
int typo_index_add(struct typo_index *t, const char *word, size_t n);
/* The likeliest known word for word: within 1 edit (words of 4-5 letters) or
 * 2 edits (6 or more), fewer edits and more frequent words preferred; false
 * when none. */
bool typo_index_best(const struct typo_index *t, const char *word, size_t n, char *out);
bool typo_index_has(const struct typo_index *t, const char *word, size_t n);
/* Damerau-Levenshtein distance (restricted), bounded by max (returns max+1 beyond). */
int text_distance(const char *a, size_t an, const char *b, size_t bn, int max);

/* ---- frontmatter.c: article files ---- */
/* Parses a <lang>.md file (front matter and body) into v (slug and lang are
 * not touched). Errors name the line. */
int guide_file_parse(const char *text, size_t n, const char *name, struct guide_version *v);
/* Writes v as a <lang>.md file text (caller frees). */
char *guide_file_write(const struct guide_version *v);
/* JSON <-> lists, as stored in the store. */
char *guide_documents_json(const struct guide_version *v);
char *guide_fees_json(const struct guide_version *v);
int guide_documents_from_json(const char *json, struct guide_version *v);
int guide_fees_from_json(const char *json, struct guide_version *v);
/* Checks every field of v against its cap and format; names the field. */
int guide_version_check(const struct guide_version *v);

/* ---- index.c: the in-memory search index ---- */
struct syn_group {
    char name[64];
    char **terms[WASL_LANG_MAX]; /* per language, raw terms */
    int nterms[WASL_LANG_MAX];
    uint32_t *ids[WASL_LANG_MAX]; /* per language, the index terms they became (built once) */
    int nids[WASL_LANG_MAX];
};
struct syn_entry {
    char *folded; /* a term's folded words joined by one space */
    int group;
};
/* One text in force, as searched and shown. */
struct idoc {
    char slug[80];
    char category[32];
    char *title, *summary, *body, *keywords; /* body as plain text */
    char *tstems;                            /* the title's stems, space-separated: whole-query matches */
    char *kstems;                            /* each keyword's stems, keywords separated by '|' */
    bool outdated;
};
struct posting {
    uint32_t doc;
    float score;  /* the term's BM25F impact in this text */
    uint8_t cols; /* columns it occurs in: 1 title, 2 summary, 4 body, 8 keywords */
};
struct term {
    char *s;        /* a stem, or "\x01" + stems of a synonym phrase */
    uint32_t start; /* first posting */
    uint32_t count;
};
/* Everything searchable in one language. */
struct lindex {
    struct idoc *docs;
    uint32_t ndocs;
    struct term *terms;
    uint32_t nterms;
    uint32_t *hash; /* term ids + 1, open addressing */
    uint32_t nhash;
    uint32_t *sorted; /* term ids in string order, for prefixes */
    uint32_t *slugs;  /* doc ids + 1 by slug, open addressing */
    uint32_t nslugs;
    struct posting *post;
    size_t npost;
};
struct index {
    int refs;
    struct lindex lang[WASL_LANG_MAX];
    struct typo_index *typo[WASL_LANG_MAX];
    struct syn_group *groups;
    int ngroups;
    struct syn_entry *syn; /* sorted by folded */
    int nsyn;
    int64_t generation;
    int64_t next_change; /* instant a published version comes into force; 0 none */
    int ndocs;
    uint64_t serial; /* unique per build: the search cache's key */
};
int syn_cmp(const void *a, const void *b);
/* text_words() callback adding folded words of 4+ bytes to a typo index. */
int typo_word(const char *word, size_t n, size_t start, const char *folded, size_t flen, void *arg);
int index_build(struct db *db);
void index_free_all(void);
/* Notes that the store changed and, with db and an index built, starts a
 * rebuild on a thread of its own (the old index answers meanwhile). */
void index_mark_stale(struct db *db);
int guide_generation_bump(struct db_conn *c);
/* The current index, with a reference (NULL when none). With db, builds it
 * when there is none, and when it is behind the store starts a rebuild on
 * a thread of its own and returns the old one meanwhile. */
struct index *index_acquire(struct db *db);
/* Whether a background rebuild is running; waiting for it to end. */
bool index_rebuilding(void);
void index_wait_rebuild(void);
void index_release(struct index *ix);
/* Term id of s in a language index, or -1. */
int64_t lindex_term(const struct lindex *li, const char *s, size_t n);
/* The text of article slug in this language, or -1. */
int64_t lindex_doc(const struct lindex *li, const char *slug);
/* Term ids whose string starts with prefix (most postings first), at most max. */
int lindex_prefix(const struct lindex *li, const char *prefix, size_t n, uint32_t *ids, int max);
/* Stems of text in language lang joined by one space ("" when none);
 * out holds n bytes. Stop words are dropped unless keep_stop. */
size_t text_stems(int lang, const char *text, char *out, size_t n, bool keep_stop);
/* Body Markdown as plain words for indexing and snippets (caller frees). */
char *md_plain(const char *md);

/* ---- searchlog.c ---- */
int searchlog_add(struct db *db, const struct guide_search *s, const char *role, int64_t *id);
/* The query as stored: digit runs of 4 or more and e-mail addresses blanked. */
void searchlog_scrub(const char *q, char *out, size_t n);

/* ---- entry.c ---- */
int entry_rules_load(const char *data_dir);
struct entry_country {
    char iso[3];
    char name[WASL_LANG_MAX][80]; /* in wasl_languages order */
};
/* Every country of data/nationalities.csv, for the index's country-name
 * synonym groups ("Marokko" = "Maroc" = "المغرب"). */
const struct entry_country *entry_countries(int *n);
/* The ISO code of a nationality named by the folded words (country name or
 * demonym in any of the center's languages, one to three words joined by
 * spaces; Arabic words also with a joined preposition or article), or NULL;
 * *demonym (may be NULL) tells whether they named people ("indien") rather
 * than a country ("Inde"). */
const char *entry_nationality(const char *folded, bool *demonym);

/* ---- guide.c ---- */
struct guide_settings {
    char zone[64];   /* the center's zone, for effective dates */
    int typo;        /* typo tolerance on */
    int64_t refresh; /* seconds between checks for changes by other nodes */
    int cache;       /* searches remembered, 0: none */
};
extern struct guide_settings guide_cfg;
/* (Re)sizes the search cache; 0 turns it off. */
void guide_cache_setup(int slots);
/* Today's date (YYYY-MM-DD) in the center's zone, and a day's start as an instant. */
void guide_today(char out[12]);
int guide_day_start(const char *day, int64_t *out);
int guide_day_valid(const char *day);

#endif
