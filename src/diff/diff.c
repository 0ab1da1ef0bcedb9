/*
 * Readable differences between two texts: the shortest edit script over
 * tokens (Myers' O(ND) algorithm, after the common head and tail are set
 * aside), its memory capped at DIFF_CELLS_MAX, and the text diff built on it
 * (lines, then words).
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "diff.h"

static bool tok_eq(const struct diff_tok *x, const struct diff_tok *y)
{
    return x->n == y->n && !memcmp(x->p, y->p, x->n);
}

static size_t common_head(const struct diff_tok *a, size_t n, const struct diff_tok *b, size_t m)
{
    size_t k = 0;
    while (k < n && k < m && tok_eq(&a[k], &b[k]))
        k++;
    return k;
}

static size_t common_tail(const struct diff_tok *a, size_t n, const struct diff_tok *b, size_t m, size_t head)
{
    size_t k = 0;
    while (k < n - head && k < m - head && tok_eq(&a[n - 1 - k], &b[m - 1 - k]))
        k++;
    return k;
}

/* The shortest edit script of ma[0..an) into mb[0..bn) by Myers' greedy
 * algorithm (E. Myers, "An O(ND) difference algorithm", 1986): for each
 * number of edits d, the furthest point reached on each diagonal k = x - y.
 * The rows of V are kept for the walk back, (d+1)^2 cells in all, hence the
 * cap on d. *ops gets the script forward, one byte per step ('=', '-',
 * '+'), *nops its length. */
static int myers(const struct diff_tok *ma, size_t an, const struct diff_tok *mb, size_t bn, char **ops, size_t *nops)
{
    long n = (long)an, m = (long)bn, dmax = 1, d, k, x, y;
    long *v = NULL, *trace = NULL;
    char *out = NULL;
    size_t no = 0;
    int err = 0;

    while ((size_t)(dmax + 1) * (size_t)(dmax + 1) <= DIFF_CELLS_MAX)
        dmax++;
    dmax--; /* the largest d whose rows fit */
    if (dmax > n + m)
        dmax = n + m;
    v = calloc((size_t)(2 * dmax + 3), sizeof(*v));
    trace = malloc((size_t)(dmax + 1) * (size_t)(dmax + 1) * sizeof(*trace));
    out = malloc((size_t)(n + m) + 1);
    if (!v || !trace || !out) {
        err = WASL_ENOMEM;
        goto out;
    }
#define V(k) v[(k) + dmax + 1]
    for (d = 0; d <= dmax; d++) {
        memcpy(trace + d * d, &V(-d), (size_t)(2 * d + 1) * sizeof(*v));
        for (k = -d; k <= d; k += 2) {
            x = (k == -d || (k != d && V(k - 1) < V(k + 1))) ? V(k + 1) : V(k - 1) + 1;
            y = x - k;
            while (x < n && y < m && tok_eq(&ma[x], &mb[y]))
                x++, y++;
            V(k) = x;
            if (x >= n && y >= m)
                goto found;
        }
    }
    err = err_set(WASL_ELIMIT, "diff.too_large", "%zu tokens against %zu differ in more than %ld places", an, bn, dmax);
    goto out;
found:
    /* Back from (n, m): each d is one removal or addition after a run of equal tokens. */
    x = n, y = m;
    for (; d >= 0; d--) {
        const long *row = trace + d * d + d; /* row[k], k in [-d, d]: V after d - 1 edits */
        k = x - y;
        long pk = (k == -d || (k != d && row[k - 1] < row[k + 1])) ? k + 1 : k - 1, px = d ? row[pk] : 0, py = px - pk;
        while (x > px && y > py)
            out[no++] = '=', x--, y--;
        if (d > 0)
            out[no++] = x == px ? '+' : '-';
        x = px, y = py;
    }
#undef V
    for (size_t i = 0; i < no / 2; i++) {
        char c = out[i];
        out[i] = out[no - 1 - i], out[no - 1 - i] = c;
    }
    *ops = out;
    *nops = no;
    out = NULL;
out:
    free(v);
    free(trace);
    free(out);
    return err;
}

int diff_seq(const struct diff_tok *a, size_t n, const struct diff_tok *b, size_t m, diff_tok_h h, void *arg)
{
    size_t head = common_head(a, n, b, m), tail = common_tail(a, n, b, m, head);
    size_t an = n - head - tail, bn = m - head - tail, nops = 0, i = 0, j = 0;
    const struct diff_tok *ma = a ? a + head : NULL, *mb = b ? b + head : NULL; /* no tokens: NULL */
    char *ops = NULL;
    int err = 0;

    if ((an || bn) && (err = myers(ma, an, mb, bn, &ops, &nops)))
        return err;
    for (size_t k = 0; !err && k < head; k++)
        err = h('=', &a[k], arg);
    /* Within a change, removals before additions, as diff(1) shows them. */
    for (size_t k = 0; !err && k < nops;) {
        if (ops[k] == '=') {
            err = h('=', &ma[i], arg);
            i++, j++, k++;
            continue;
        }
        size_t e = k, dels = 0, adds = 0;
        for (; e < nops && ops[e] != '='; e++)
            ops[e] == '-' ? dels++ : adds++;
        for (size_t q = 0; !err && q < dels; q++)
            err = h('-', &ma[i++], arg);
        for (size_t q = 0; !err && q < adds; q++)
            err = h('+', &mb[j++], arg);
        k = e;
    }
    for (size_t k = n - tail; !err && k < n; k++)
        err = h('=', &a[k], arg);
    free(ops);
    return err;
}

/* ---- the text diff ---- */

struct toks {
    struct diff_tok *t;
    size_t n, cap;
};

static int toks_add(struct toks *v, const char *p, size_t n)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 64;
        struct diff_tok *nt = realloc(v->t, cap * sizeof(*nt));
        if (!nt)
            return WASL_ENOMEM;
        v->t = nt;
        v->cap = cap;
    }
    v->t[v->n++] = (struct diff_tok){p, n};
    return 0;
}

/* Lines, each with its '\n'. */
static int split_lines(const char *p, size_t len, struct toks *v)
{
    const char *end = p + len;
    int err = 0;
    while (!err && p < end) {
        const char *e = memchr(p, '\n', (size_t)(end - p));
        size_t n = e ? (size_t)(e - p) + 1 : (size_t)(end - p);
        err = toks_add(v, p, n);
        p += n;
    }
    return err;
}

enum cls { C_SPACE, C_WORD, C_PUNCT };

static enum cls cls_of(unsigned char c)
{
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
        return C_SPACE;
    if (c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
        return C_WORD;
    return C_PUNCT;
}

/* Words (letters and digits of any script: every byte of a multi-byte UTF-8
 * character counts as a letter), runs of spaces, single punctuation marks. */
static int split_words(const char *p, size_t len, struct toks *v)
{
    size_t i = 0;
    int err = 0;
    while (!err && i < len) {
        enum cls c = cls_of((unsigned char)p[i]);
        size_t k = i + 1;
        if (c != C_PUNCT)
            while (k < len && cls_of((unsigned char)p[k]) == c)
                k++;
        err = toks_add(v, p + i, k - i);
        i = k;
    }
    return err;
}

/* Merges runs of one op that follow each other in the same text. */
struct out {
    diff_seg_h h;
    void *arg;
    char op;
    const char *p;
    size_t n;
};

static int out_flush(struct out *o)
{
    int err = o->n ? o->h(o->op, o->p, o->n, o->arg) : 0;
    o->n = 0;
    return err;
}

static int out_add(struct out *o, char op, const char *p, size_t n)
{
    if (!n)
        return 0;
    if (o->n && o->op == op && o->p + o->n == p) {
        o->n += n;
        return 0;
    }
    int err = out_flush(o);
    o->op = op;
    o->p = p;
    o->n = n;
    return err;
}

static int word_h(char op, const struct diff_tok *t, void *arg)
{
    return out_add(arg, op, t->p, t->n);
}

/* A block of changed lines: a's [dp, dp+dn) replaced by b's [ap, ap+an). */
struct text {
    struct out o;
    bool limited;
    const char *dp, *ap;
    size_t dn, an;
};

static int block_flush(struct text *x)
{
    struct toks wa = {0}, wb = {0};
    int err = 0;

    if (x->dn && x->an) {
        if (!(err = split_words(x->dp, x->dn, &wa)) && !(err = split_words(x->ap, x->an, &wb)))
            err = diff_seq(wa.t, wa.n, wb.t, wb.n, word_h, &x->o);
        if (err == WASL_ELIMIT) {
            err_clear();
            x->limited = true;
            if (!(err = out_add(&x->o, '-', x->dp, x->dn)))
                err = out_add(&x->o, '+', x->ap, x->an);
        }
    } else if (!(err = out_add(&x->o, '-', x->dp, x->dn))) {
        err = out_add(&x->o, '+', x->ap, x->an);
    }
    free(wa.t);
    free(wb.t);
    x->dn = x->an = 0;
    return err;
}

static int line_h(char op, const struct diff_tok *t, void *arg)
{
    struct text *x = arg;
    if (op == '=') {
        int err = block_flush(x);
        return err ? err : out_add(&x->o, '=', t->p, t->n);
    }
    if (op == '-') {
        if (!x->dn)
            x->dp = t->p;
        x->dn += t->n;
    } else {
        if (!x->an)
            x->ap = t->p;
        x->an += t->n;
    }
    return 0;
}

int diff_text(const char *a, const char *b, diff_seg_h h, void *arg, bool *limited)
{
    struct toks la = {0}, lb = {0};
    struct text x = {.o = {.h = h, .arg = arg}};
    int err;

    if (!(err = split_lines(a, strlen(a), &la)) && !(err = split_lines(b, strlen(b), &lb)))
        err = diff_seq(la.t, la.n, lb.t, lb.n, line_h, &x);
    if (err == WASL_ELIMIT) {
        /* Too many changed lines: the common head and tail, the rest whole. */
        err_clear();
        err = 0;
        x.limited = true;
        size_t head = common_head(la.t, la.n, lb.t, lb.n), tail = common_tail(la.t, la.n, lb.t, lb.n, head);
        for (size_t k = 0; !err && k < head; k++)
            err = out_add(&x.o, '=', la.t[k].p, la.t[k].n);
        for (size_t k = head; !err && k < la.n - tail; k++)
            err = out_add(&x.o, '-', la.t[k].p, la.t[k].n);
        for (size_t k = head; !err && k < lb.n - tail; k++)
            err = out_add(&x.o, '+', lb.t[k].p, lb.t[k].n);
        for (size_t k = la.n - tail; !err && k < la.n; k++)
            err = out_add(&x.o, '=', la.t[k].p, la.t[k].n);
    }
    if (!err)
        err = block_flush(&x);
    if (!err)
        err = out_flush(&x.o);
    free(la.t);
    free(lb.t);
    if (limited)
        *limited = x.limited;
    return err;
}
