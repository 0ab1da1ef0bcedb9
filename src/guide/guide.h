/*
 * guide: the consular guide. Articles in the center's languages, every change a new
 * version with an author, a reason and an effective date; a draft → review →
 * published workflow with approval by someone else; translations that know
 * which source version they translate; a search index (SQLite FTS5 in memory,
 * with a tokenizer that folds case, diacritics and Arabic letter forms and
 * stems per language) with synonyms, typo tolerance, prefixes and
 * cross-language fallback; a search log that shows the guide's gaps; and the
 * entry rules for foreigners by nationality. Knows nothing of HTTP or calls.
 */
#ifndef WASL_GUIDE_H
#define WASL_GUIDE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/core.h"
#include "store/store.h"
#include "auth/auth.h"

#define GUIDE_TITLE_MAX 300
#define GUIDE_SUMMARY_MAX 1000
#define GUIDE_BODY_MAX 60000
#define GUIDE_FIELD_MAX 1000
#define GUIDE_LIST_MAX 40
#define GUIDE_QUERY_MAX 200 /* bytes of a search query; longer ones are cut, and the reply says so */

extern const struct conf_def guide_conf[];
extern const size_t guide_conf_count;

/* The categories of the guide, in display order. */
extern const char *const guide_categories[];
extern const size_t guide_category_count;
bool guide_category_valid(const char *c);

/* One language version of an article, as stored. Strings are owned by the
 * struct; release with guide_version_clear(). */
struct guide_fee {
    double amount;
    char currency[4];
    char *label;
};

struct guide_version {
    int64_t id;
    char slug[80];
    char lang[4];
    int version;
    char status[12]; /* draft, review, published, rejected */
    char *title, *summary, *body;
    char **documents; /* ndocuments strings */
    int ndocuments;
    struct guide_fee *fees;
    int nfees;
    char *processing_time, *where_to_apply, *source;
    char checked_on[12]; /* YYYY-MM-DD */
    char confidence[2];  /* V, S or U */
    int translates;      /* source-language version translated; 0 for the source language */
    char *author, *reason;
    char effective_on[12]; /* YYYY-MM-DD in Africa/Casablanca, "" until approved */
    int64_t effective_at;
    int64_t created_at;
    char *reviewer, *review_note;
    int64_t reviewed_at;
};
void guide_version_clear(struct guide_version *v);

struct guide_article {
    int64_t id;
    char slug[80];
    char category[32];
    char audience[12]; /* citizens, foreigners, both */
    char source_language[4];
    char *keywords; /* JSON object {lang: [terms]} */
};

/* ---- load and set up (guide.c) ---- */
/* Reads the settings, the entry rules and the stop words from data_dir, and
 * builds the search index from the store. */
int guide_init(struct db *db, const char *data_dir);
void guide_shutdown(void);
/* Another node changed the guide (its "guide" change counter moved): the
 * search index is rebuilt on the side, searches answer meanwhile. */
void guide_changed_elsewhere(struct db *db);

/* ---- articles and versions (articles.c) ---- */
/* New article with its first draft (in the source language). */
int guide_article_create(struct db *db, const struct actor *who, const struct guide_article *a, struct guide_version *first,
                         int64_t *version_id);
int guide_article_get(struct db *db, const char *slug, struct guide_article *out);
/* A new draft version of slug in v->lang (fields from v; version number and
 * status are assigned). reason says why. translates: for a translation, the
 * source version it follows (0: the current published source version). */
int guide_version_add(struct db *db, const struct actor *who, const char *slug, struct guide_version *v, int64_t *version_id);
int guide_version_get(struct db *db, int64_t version_id, struct guide_version *out);
/* draft -> review (by the author or an editor). */
int guide_submit(struct db *db, const struct actor *who, int64_t version_id);
/* review -> published, effective on effective_on (YYYY-MM-DD, "" = today);
 * refused (WASL_EPERM, guide.self_approval) when who wrote the version.
 * extra (may be NULL) is handed to the publication hook as is. */
int guide_approve(struct db *db, const struct actor *who, int64_t version_id, const char *effective_on, const char *note,
                  const char *extra);
/* What else publishing a version does, in the same transaction (an error
 * undoes the publication): set once at start by the briefings module
 * (src/brief), which the guide does not know. v is the version as now
 * published; extra is what guide_approve was given. */
typedef int (*guide_publish_h)(struct db_conn *c, const struct actor *who, const struct guide_version *v, const char *extra);
void guide_on_publish(guide_publish_h h);
/* On the caller's connection (inside its transaction): a version by id, and
 * the version `version` of slug in lang (guide.version_not_found). */
int guide_version_conn(struct db_conn *c, int64_t version_id, struct guide_version *out);
int guide_version_number(struct db_conn *c, const char *slug, const char *lang, int version, struct guide_version *out);
/* The newest version of slug in lang published before `version` (by
 * number); *found false when there is none (a first publication). */
int guide_version_before(struct db_conn *c, const char *slug, const char *lang, int version, struct guide_version *out,
                         bool *found);
/* Which version of slug in lang was current at the instant at: published
 * (approved) by then and in effect (its effective day begun) by then; 0 in
 * *version when none was. *newest gets the newest version published so far
 * (may be later than at, or not yet in effect). */
int guide_version_at(struct db *db, const char *slug, const char *lang, int64_t at, int *version, int *newest);
/* review -> rejected, with a note for the author. */
int guide_reject(struct db *db, const struct actor *who, int64_t version_id, const char *note);

/* What an agent reads: the text in force on a day in a language, with
 * fallback and notices. */
struct guide_view {
    struct guide_version v;
    bool fallback; /* v is in another language than asked */
    char asked_lang[4];
    bool translation_outdated; /* translates an older source version than the one in force */
    int source_version;        /* the source-language version in force */
    bool has_upcoming;         /* a newer version is approved with a later effective date */
    int upcoming_version;
    char upcoming_on[12];
    bool source_upcoming; /* (translations) the source text changes on source_upcoming_on */
    int source_upcoming_version;
    char source_upcoming_on[12];
    struct guide_article article;
};
/* day: YYYY-MM-DD or NULL for today (Africa/Casablanca). readable: languages
 * the reader accepts as fallback, in order (may be NULL). */
int guide_view_get(struct db *db, const char *slug, const char *lang, const char *day, const char *const *readable, int nreadable,
                   struct guide_view *out);
void guide_view_clear(struct guide_view *v);

/* Callback listings; the version is only valid during the call. */
typedef int (*guide_version_h)(const struct guide_version *v, void *arg);
int guide_versions_list(struct db *db, const char *slug, const char *lang, guide_version_h h, void *arg);
/* Versions waiting for review, oldest first. */
int guide_review_queue(struct db *db, guide_version_h h, void *arg);

/* Article summaries for lists and the translation table. */
struct guide_lang_state {
    int published; /* version in force, 0 for none */
    int latest;    /* newest version of any status */
    char latest_status[12];
    char latest_effective_on[12]; /* of the newest published one ("" none) */
    bool outdated;                /* translation of an older source version */
    char in_force_on[12];         /* effective date of the version in force ("" none) */
};
struct guide_summary {
    struct guide_article a;
    char title[GUIDE_TITLE_MAX + 1]; /* in the requested language or the source language */
    char title_lang[4];
    struct guide_lang_state langs[WASL_LANG_MAX]; /* wasl_languages order */
};
typedef int (*guide_summary_h)(const struct guide_summary *s, void *arg);
int guide_articles_list(struct db *db, const char *category, const char *lang, guide_summary_h h, void *arg);

/* ---- coverage and the translation queue (coverage.c) ---- */
/* Per language, over every article: published (a version in force), missing
 * (none in force), outdated (in force but translating an older source
 * version than the one in force) and pending (its newest version waits for
 * review). outdated is part of published; pending overlaps the others. */
struct guide_coverage {
    char lang[4];
    int articles, published, missing, outdated, pending;
};
/* out holds wasl_nlanguages entries, in wasl_languages order. */
int guide_coverage(struct db *db, struct guide_coverage *out);
/* What a translator of lang has to do: the articles with a source text in
 * force and no translation in force ("missing") or an outdated one, oldest
 * source change first (the date the source text in force took effect). */
struct guide_queue_item {
    const struct guide_summary *s;
    const char *state;     /* missing, outdated */
    const char *source_on; /* effective date of the source text in force */
    int source_version, translated_version;
    const char *pending_status; /* draft or review when a newer version is under way, else "" */
    int pending_version;
};
typedef int (*guide_queue_h)(const struct guide_queue_item *q, void *arg);
int guide_translation_queue(struct db *db, const char *lang, guide_queue_h h, void *arg);

/* ---- cross-references (links.c) ---- */
/* Refuses (guide.unknown_link) a body linking [[slug]] when no article has
 * that slug (self, the article being written, is always known). */
int guide_links_check(struct db_conn *c, const char *self, const char *body);
/* The body as safe HTML with its [[slug]] links resolved for a reader of
 * lang (caller frees *html). */
int guide_render_body(struct db *db, const char *body, const char *lang, char **html);

/* ---- diffs (diff.c) ---- */
/* JSON describing how version b differs from version a (same article and
 * language or not): per field old/new, and for the body a line diff as
 * [{"op":"=|-|+","line":"..."}]. Caller frees. */
int guide_diff(struct db *db, int64_t a, int64_t b, char **json_out);

/* ---- Markdown (render.c) ---- */
/* Safe HTML from CommonMark (raw HTML and dangerous links are dropped). Caller frees. */
char *guide_render_markdown(const char *md);

/* ---- search (search.c) ---- */
struct guide_hit {
    char slug[80];
    char lang[4];
    char category[32];
    char title[GUIDE_TITLE_MAX + 1];
    char title_html[2 * GUIDE_TITLE_MAX + 64]; /* HTML-escaped, matches in <mark> */
    char snippet_html[1024];
    double score;
    bool other_language; /* found in another language than asked */
    bool outdated;
};
struct guide_search {
    char query[GUIDE_QUERY_MAX + 1];
    char lang[4];
    bool cut;       /* the query was longer than GUIDE_QUERY_MAX and was cut */
    bool corrected; /* a word was replaced by its nearest known spelling */
    char corrected_query[GUIDE_QUERY_MAX * 2 + 1];
    bool entry_intent;   /* the query is about visas, entry or stay */
    char nationality[3]; /* a nationality named in the query, "" if none */
    int nhits;
    struct guide_hit hits[20];
    int64_t log_id; /* for guide_search_opened() */
};
/* Searches the published guide. limit <= 20. log: record the search. */
int guide_search(struct db *db, const char *query, const char *lang, int limit, bool log, const char *role,
                 struct guide_search *out);
/* The same search without the store (benchmarks, tests): never logs. */
int guide_search_index(const char *query, const char *lang, int limit, struct guide_search *out);
/* Records which article a logged search led to. */
int guide_search_opened(struct db *db, int64_t log_id, const char *slug);
/* Deletes the logged searches older than before (the retention purge runs
 * it inside its own transaction); *n gets how many. */
int guide_search_log_purge(struct db_conn *c, int64_t before, int64_t *n);
/* How the search log keeps what agents typed (it may name a citizen):
 * sealed with the personal-data key, grouped by a keyed hash. The cases
 * module sets it (cases_init); without it the query text is not kept. */
struct guide_sealer {
    int (*seal)(const char *plain, unsigned char **blob, size_t *n);
    int (*unseal)(const void *blob, size_t n, char **plain);
    void (*hash)(const char *kind, const char *normalized, char out[65]);
};
void guide_search_log_sealer(const struct guide_sealer *s);
/* The key a logged query is grouped by (a keyed hash of its lower-case
 * form; caller frees), NULL without a sealer. For the searches logged in
 * clear before migration 0013, which the cases worker seals. */
char *guide_search_log_key(const char *query);
/* Rebuilds the search index from the store now. */
int guide_index_rebuild(struct db *db);

/* ---- gaps (searchlog.c) ---- */
struct guide_gap {
    char query[GUIDE_QUERY_MAX + 1];
    char lang[4];
    int searches;
    int results; /* results of the last search */
    int opened;  /* searches after which an article was opened */
    int64_t last_at;
};
typedef int (*guide_gap_h)(const struct guide_gap *g, void *arg);
/* Queries since `since` that found nothing (kind "zero") or whose results were
 * never opened (kind "unopened"), most frequent first. */
int guide_gaps(struct db *db, const char *kind, int64_t since, int max, guide_gap_h h, void *arg);

/* ---- synonyms (synonyms.c) ---- */
struct guide_synonym {
    int64_t id;
    char group[64];
    char lang[4];
    char term[128];
};
typedef int (*guide_synonym_h)(const struct guide_synonym *s, void *arg);
int guide_synonyms_list(struct db *db, guide_synonym_h h, void *arg);
int guide_synonym_add(struct db *db, const struct actor *who, const char *group, const char *lang, const char *term, int64_t *id);
int guide_synonym_delete(struct db *db, const struct actor *who, int64_t id);

/* ---- entry rules (entry.c) ---- */
struct entry_rule {
    char nationality[3];
    char regime[12]; /* visa_free, eta, evisa, visa */
    int max_stay_days;
    char passport_validity[160];
    char notes[400];
    char source[300];
    char as_of[12];
    bool verified; /* V; S and U are "unverified" for the agent */
    char confidence[2];
};
/* The rule for an ISO 3166-1 alpha-2 nationality. A nationality not in the
 * table needs a visa: *out is then filled as such with listed = false. */
int entry_rule_get(const char *nationality, struct entry_rule *out, bool *listed);
/* Where the table comes from, for display. */
const char *entry_rules_source(void);
/* Every nationality with its names in the center's languages (wasl_languages
 * order), from data/nationalities.csv; callback per row. */
typedef int (*guide_nationality_h)(const char *iso, const char *const names[WASL_LANG_MAX], void *arg);
int guide_nationalities(guide_nationality_h h, void *arg);

/* ---- import and export (io.c) ---- */
/* Loads a guide folder (data/guide layout, with or without history) into the
 * store. Articles already present are skipped unless their files hold newer
 * versions. *articles gets how many were created or extended. */
int guide_import(struct db *db, const struct actor *who, const char *dir, int *articles);
/* Writes every article with its whole history to dir (created). */
int guide_export(struct db *db, const char *dir, int *articles);

#endif
