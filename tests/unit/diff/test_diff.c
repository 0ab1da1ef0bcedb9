/*
 * The readable diff: the edit script over tokens, words inside changed
 * lines, right-to-left text, the cap on the table (refused, or shown whole
 * and flagged), and that applying the script gives back both texts.
 */
#include "test.h"
#include "diff/diff.h"

/* Renders runs as "=same-old+new" with [] around each changed run. */
struct render {
    char buf[8192];
    size_t n;
};

static int render_fix(char op, const char *text, size_t len, void *arg)
{
    struct render *r = arg;
    assert_true(len > 0);
    if (op == '=')
        r->n += (size_t)snprintf(r->buf + r->n, sizeof(r->buf) - r->n, "%.*s", (int)len, text);
    else
        r->n += (size_t)snprintf(r->buf + r->n, sizeof(r->buf) - r->n, "[%c%.*s]", op, (int)len, text);
    return 0;
}

static void words(void **state)
{
    static const struct {
        const char *a, *b, *want;
    } cases[] = {
        {"", "", ""}, /* nothing at all: no tokens (a NULL array) */
        {"same\n", "same\n", "same\n"},
        {"", "new\n", "[+new\n]"},
        {"old\n", "", "[-old\n]"},
        /* a changed word in a line: only the word is marked */
        {"The fee is 30 euros.\n", "The fee is 40 euros.\n", "The fee is [-30][+40] euros.\n"},
        /* a word added, punctuation on its own */
        {"Bring a photo.\n", "Bring a recent photo.\n", "Bring a [+recent ]photo.\n"},
        /* untouched lines around stay whole */
        {"a\nb c d\ne\n", "a\nb x d\ne\n", "a\nb [-c][+x] d\ne\n"},
        /* a line removed and one added elsewhere */
        {"one\ntwo\nthree\n", "one\nthree\nfour\n", "one\n[-two\n]three\n[+four\n]"},
        /* Arabic: words of any script */
        {"الرسوم 30 درهم\n", "الرسوم 40 درهم\n", "الرسوم [-30][+40] درهم\n"},
        {"جواز السفر البيومتري\n", "جواز السفر الإلكتروني\n", "جواز السفر [-البيومتري][+الإلكتروني]\n"},
        /* accents belong to the word */
        {"délai de 15 jours\n", "délai de 20 jours ouvrés\n", "délai de [-15][+20] jours[+ ouvrés]\n"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct render r = {0};
        bool limited = true;
        assert_int_equal(diff_text(cases[i].a, cases[i].b, render_fix, &r, &limited), 0);
        if (strcmp(r.buf, cases[i].want))
            fail_msg("case %zu: got '%s' want '%s'", i, r.buf, cases[i].want);
        assert_false(limited);
    }
}

/* Applying the runs gives back a ('=' and '-') and b ('=' and '+'), and
 * two runs in a row never have the same op. */
struct both {
    char a[70000], b[70000];
    size_t na, nb;
    char last;
};

static int both_h(char op, const char *text, size_t len, void *arg)
{
    struct both *x = arg;
    assert_true(len > 0);
    assert_true(op != x->last);
    x->last = op;
    if (op != '+') {
        memcpy(x->a + x->na, text, len);
        x->na += len;
    }
    if (op != '-') {
        memcpy(x->b + x->nb, text, len);
        x->nb += len;
    }
    return 0;
}

static void round_trip(void **state)
{
    static struct both x;
    char a[4000], b[4000];
    static const char *const w[] = {"le ", "passeport ", "visa\n", "30", ", ", "جواز ", "é", "\n", "  "};
    unsigned seed = 7;
    (void)state;
    for (int t = 0; t < 200; t++) {
        size_t na = 0, nb = 0;
        a[0] = b[0] = '\0';
        int la = (int)(rand_r(&seed) % 60), lb = (int)(rand_r(&seed) % 60);
        for (int i = 0; i < la; i++)
            na += (size_t)snprintf(a + na, sizeof(a) - na, "%s", w[rand_r(&seed) % 9]);
        for (int i = 0; i < lb; i++)
            nb += (size_t)snprintf(b + nb, sizeof(b) - nb, "%s", w[rand_r(&seed) % 9]);
        memset(&x, 0, sizeof(x));
        assert_int_equal(diff_text(a, b, both_h, &x, NULL), 0);
        assert_int_equal(x.na, na);
        assert_int_equal(x.nb, nb);
        assert_memory_equal(x.a, a, na);
        assert_memory_equal(x.b, b, nb);
    }
}

static int count_h(char op, const struct diff_tok *t, void *arg)
{
    (*(int *)arg)++;
    return 0;
}

/* Over the cap: diff_seq refuses, naming it; diff_text shows the text
 * whole and says so; a long text with a small change is not over it (the
 * common head and tail are set aside). */
static void limits(void **state)
{
    size_t n = 1100;
    struct diff_tok *a = calloc(n, sizeof(*a)), *b = calloc(n, sizeof(*b));
    char *ta = malloc(n * 8 + 1), *tb = malloc(n * 8 + 1);
    int calls = 0;
    (void)state;
    for (size_t i = 0; i < n; i++) {
        a[i] = (struct diff_tok){"a", 1};
        b[i] = (struct diff_tok){"b", 1};
    }
    assert_int_equal(diff_seq(a, n, b, n, count_h, &calls), WASL_ELIMIT);
    assert_string_equal(err_code(), "diff.too_large");
    assert_int_equal(calls, 0);
    /* 1100 changed lines against 1100: whole, flagged */
    for (size_t i = 0; i < n; i++) {
        snprintf(ta + i * 7, 8, "a%05zu\n", i);
        snprintf(tb + i * 7, 8, "b%05zu\n", i);
    }
    static struct both x;
    bool limited = false;
    memset(&x, 0, sizeof(x));
    assert_int_equal(diff_text(ta, tb, both_h, &x, &limited), 0);
    assert_true(limited);
    assert_int_equal(x.na, strlen(ta));
    assert_int_equal(x.nb, strlen(tb));
    /* the same long text with one line changed: word level, not limited */
    memcpy(tb, ta, strlen(ta) + 1);
    tb[500 * 7 + 3] = 'z';
    memset(&x, 0, sizeof(x));
    limited = true;
    assert_int_equal(diff_text(ta, tb, both_h, &x, &limited), 0);
    assert_false(limited);
    /* changes near both ends (nothing common to set aside): still word by
     * word, the work follows the number of changes, not the length squared */
    tb[3] = 'y';
    tb[1090 * 7 + 3] = 'x';
    memset(&x, 0, sizeof(x));
    limited = true;
    assert_int_equal(diff_text(ta, tb, both_h, &x, &limited), 0);
    assert_false(limited);
    assert_int_equal(x.nb, strlen(tb));
    free(a);
    free(b);
    free(ta);
    free(tb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(words),
        cmocka_unit_test(round_trip),
        cmocka_unit_test(limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
