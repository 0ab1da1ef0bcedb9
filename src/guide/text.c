/*
 * Text for search: words, folding (case, width, diacritics, Arabic letter
 * forms), Snowball stems per language, and stop words. The tokenizer, the
 * query parser and the typo index all go through here, so a word is folded
 * the same way wherever it is met.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libstemmer.h>
#include <utf8proc.h>

#include "guide_int.h"

int text_lang_index(const char *lang)
{
    return language_index(lang);
}

/* After decomposition, marks are gone; what is left of Arabic needs its
 * letter variants merged the way readers and typists treat them as one. */
static utf8proc_int32_t arabic_fold(utf8proc_int32_t c)
{
    switch (c) {
    case 0x0629: /* taa marbuta -> haa */
        return 0x0647;
    case 0x0649: /* alef maqsura -> yaa */
    case 0x06CC: /* farsi yeh */
        return 0x064A;
    case 0x0671: /* alef wasla -> alef */
    case 0x0672:
    case 0x0673:
        return 0x0627;
    case 0x06A9: /* keheh -> kaf */
        return 0x0643;
    case 0x0640: /* tatweel: dropped */
        return -1;
    default:
        return c;
    }
}

size_t text_fold(const char *word, size_t n, char *out)
{
    utf8proc_int32_t cps[GUIDE_WORD_MAX * 4];
    utf8proc_ssize_t len, k = 0;
    bool ascii = true;

    /* Plain ASCII folds to lower case and nothing else: skip the Unicode
     * machinery for the bulk of European text. */
    for (size_t i = 0; i < n && ascii; i++)
        ascii = (unsigned char)word[i] < 0x80;
    if (ascii) {
        if (n > GUIDE_WORD_MAX)
            n = GUIDE_WORD_MAX;
        for (size_t i = 0; i < n; i++)
            out[i] = (char)((word[i] >= 'A' && word[i] <= 'Z') ? word[i] + 32 : word[i]);
        out[n] = '\0';
        return n;
    }

    if (n > GUIDE_WORD_MAX) {
        /* Cutting a long word may split a character: back off to its start. */
        n = GUIDE_WORD_MAX;
        while (n > 0 && ((unsigned char)word[n] & 0xC0) == 0x80)
            n--;
    }
    len = utf8proc_decompose((const utf8proc_uint8_t *)word, (utf8proc_ssize_t)n, cps, GUIDE_WORD_MAX * 4,
                             UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK | UTF8PROC_DECOMPOSE | UTF8PROC_STRIPCC |
                                 UTF8PROC_IGNORE);
    if (len <= 0 || len > GUIDE_WORD_MAX * 4)
        return 0;
    for (utf8proc_ssize_t i = 0; i < len; i++) {
        utf8proc_int32_t c = arabic_fold(cps[i]);
        if (c >= 0)
            cps[k++] = c;
    }
    if (k == 0)
        return 0;
    len = utf8proc_reencode(cps, k, UTF8PROC_COMPOSE | UTF8PROC_STABLE);
    if (len <= 0)
        return 0;
    if (len > GUIDE_WORD_MAX) {
        /* Folding can grow a word (ß -> ss); keep whole characters. */
        len = GUIDE_WORD_MAX;
        while (len > 0 && (((unsigned char *)cps)[len] & 0xC0) == 0x80)
            len--;
    }
    memcpy(out, cps, (size_t)len);
    out[len] = '\0';
    return (size_t)len;
}

static bool word_char(utf8proc_int32_t c)
{
    if (c < 0x80)
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
        return true;
    default:
        return false;
    }
}

int text_words(const char *text, size_t n, text_word_h h, void *arg)
{
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)text;
    size_t i = 0, start = 0;
    bool in = false;
    char folded[GUIDE_WORD_MAX + 1];

    while (i <= n) {
        utf8proc_int32_t c = -1;
        utf8proc_ssize_t step = 1;
        if (i < n && p[i] < 0x80) {
            c = p[i];
        } else if (i < n) {
            step = utf8proc_iterate(p + i, (utf8proc_ssize_t)(n - i), &c);
            if (step <= 0) {
                step = 1; /* invalid byte: a separator */
                c = -1;
            }
        }
        bool w = c >= 0 && word_char(c);
        if (w && !in) {
            in = true;
            start = i;
        } else if (!w && in) {
            in = false;
            size_t fl = text_fold(text + start, i - start, folded);
            if (fl) {
                int rc = h(text + start, i - start, start, folded, fl, arg);
                if (rc)
                    return rc;
            }
        }
        i += (size_t)step;
    }
    return 0;
}

/* ---- stems ---- */

static pthread_key_t stem_key;
static pthread_once_t stem_once = PTHREAD_ONCE_INIT;

static void stemmers_free(void *p)
{
    struct sb_stemmer **s = p;
    for (int i = 0; i < WASL_LANG_MAX; i++)
        sb_stemmer_delete(s[i]);
    free(s);
}

static void stem_key_make(void)
{
    pthread_key_create(&stem_key, stemmers_free);
}

size_t text_stem(int lang, const char *folded, size_t n, char *out)
{
    struct sb_stemmer **s;
    const sb_symbol *r;
    int len;

    /* languages.json names the Snowball algorithm; "none" (Tamazight has no
     * Snowball stemmer) searches the folded words as they are */
    const char *algorithm = lang >= 0 && lang < wasl_nlanguages ? language_at(lang)->stemmer : "none";
    if (n == 0 || !strcmp(algorithm, "none"))
        goto copy;
    pthread_once(&stem_once, stem_key_make);
    s = pthread_getspecific(stem_key);
    if (!s) {
        if (!(s = calloc(WASL_LANG_MAX, sizeof(*s))))
            goto copy;
        pthread_setspecific(stem_key, s);
    }
    if (!s[lang] && !(s[lang] = sb_stemmer_new(algorithm, "UTF_8")))
        goto copy;
    /* Snowball's Arabic stemmer leaves the sound feminine plural half done
     * (جوازات -> جوازا, سيارات -> يارا); taking "ات" off first makes plurals
     * meet their singulars (جواز, سيار). */
    if (!strcmp(algorithm, "arabic") && n >= 10 && !memcmp(folded + n - 4, "\xd8\xa7\xd8\xaa", 4))
        n -= 4;
    r = sb_stemmer_stem(s[lang], (const sb_symbol *)folded, (int)n);
    len = sb_stemmer_length(s[lang]);
    if (!r || len <= 0 || len > GUIDE_WORD_MAX)
        goto copy;
    memcpy(out, r, (size_t)len);
    out[len] = '\0';
    return (size_t)len;
copy:
    if (n > GUIDE_WORD_MAX)
        n = GUIDE_WORD_MAX;
    memcpy(out, folded, n);
    out[n] = '\0';
    return n;
}

/* ---- stop words and everyday words ----
 * Two lists per language, one word a line ('#' starts a comment line):
 * data/guide/stopwords/<lang>.txt, words left out of searches, and
 * data/guide/words/<lang>.txt, everyday words the guide's texts may not
 * hold ("trage", "baby") that typo correction must never replace; and
 * data/guide/particles/<lang>.txt, the separable verb particles of German
 * and Dutch ("trage ... ein" is "eintragen"). */

struct wordlist {
    char **w;
    int n, cap;
};

static struct wordlist stop_words[WASL_LANG_MAX], every_words[WASL_LANG_MAX], particles[WASL_LANG_MAX];

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_listed(const char *word, size_t n, size_t start, const char *folded, size_t flen, void *arg)
{
    struct wordlist *wl = arg;
    (void)word;
    (void)n;
    (void)start;
    if (wl->n == wl->cap) {
        int cap = wl->cap ? wl->cap * 2 : 256;
        char **w = realloc(wl->w, sizeof(*w) * (size_t)cap);
        if (!w)
            return WASL_ENOMEM;
        wl->w = w;
        wl->cap = cap;
    }
    if (!(wl->w[wl->n] = strndup(folded, flen)))
        return WASL_ENOMEM;
    wl->n++;
    return 0;
}

static void list_clear(struct wordlist *wl)
{
    for (int i = 0; i < wl->n; i++)
        free(wl->w[i]);
    free(wl->w);
    memset(wl, 0, sizeof(*wl));
}

/* Lists only sharpen search: a new language may come without them. */
static int list_load(const char *data_dir, const char *kind, int lang, struct wordlist *wl)
{
    char path[1200];
    struct sbuf b;
    FILE *f;
    int err = 0;

    list_clear(wl);
    snprintf(path, sizeof(path), "%s/guide/%s/%s.txt", data_dir, kind, wasl_languages[lang]);
    if (!(f = fopen(path, "r"))) {
        log_info("guide: no %s for %s (%s)", kind, wasl_languages[lang], path);
        return 0;
    }
    sbuf_init(&b, 4 << 20);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        sbuf_add(&b, chunk, n);
    fclose(f);
    if (b.oom) {
        sbuf_release(&b);
        return err_set(WASL_ELIMIT, "guide.list_too_big", "%s is over 4 MB", path);
    }
    sbuf_adds(&b, "");
    for (char *save = NULL, *line = strtok_r(b.p, "\n", &save); line && !err; line = strtok_r(NULL, "\n", &save))
        if (line[0] != '#')
            err = text_words(line, strlen(line), add_listed, wl);
    sbuf_release(&b);
    if (wl->n)
        qsort(wl->w, (size_t)wl->n, sizeof(char *), cmp_str);
    return err;
}

int text_load_stopwords(const char *data_dir)
{
    int err = 0;
    for (int l = 0; l < WASL_LANG_MAX; l++) {
        list_clear(&stop_words[l]);
        list_clear(&every_words[l]);
        list_clear(&particles[l]);
    }
    for (int l = 0; l < wasl_nlanguages && !err; l++)
        if (!(err = list_load(data_dir, "stopwords", l, &stop_words[l])))
            if (!(err = list_load(data_dir, "words", l, &every_words[l])))
                err = list_load(data_dir, "particles", l, &particles[l]);
    return err;
}

static bool listed(const struct wordlist *wl, const char *folded)
{
    return wl->n && bsearch(&folded, wl->w, (size_t)wl->n, sizeof(char *), cmp_str) != NULL;
}

bool text_is_stopword(int lang, const char *folded)
{
    return lang >= 0 && lang < wasl_nlanguages && listed(&stop_words[lang], folded);
}

bool text_is_word(int lang, const char *folded)
{
    return lang >= 0 && lang < wasl_nlanguages && listed(&every_words[lang], folded);
}

bool text_is_particle(int lang, const char *folded)
{
    return lang >= 0 && lang < wasl_nlanguages && listed(&particles[lang], folded);
}
