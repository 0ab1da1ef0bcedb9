/*
 * diff: what changed between two texts, for people to read. A shortest edit
 * script over tokens (Myers' algorithm after the common head and tail are
 * set aside), and on top of it a readable text diff: lines first, then words
 * inside each block of changed lines. Bounded: a comparison needing more
 * than DIFF_CELLS_MAX cells is refused (diff_seq) or shown whole and flagged
 * (diff_text). Knows no domain word.
 */
#ifndef WASL_DIFF_H
#define WASL_DIFF_H

#include <stdbool.h>
#include <stddef.h>

/* Cells kept by one comparison (8 bytes each: 8 MiB): the script may have
 * up to 1,023 removals and additions, whatever the texts' length; well past
 * any amendment a person writes. */
#define DIFF_CELLS_MAX (1u << 20)

/* One token: bytes p[0..n), not NUL-terminated. */
struct diff_tok {
    const char *p;
    size_t n;
};

/* The edit script turning a into b, token by token in order: '=' with a's
 * token, '-' with a's, '+' with b's; removals come before the additions that
 * replace them, as diff(1) shows them. h returning non-zero stops and is
 * returned. WASL_ELIMIT "diff.too_large" (and h never called) when more
 * than 1,023 tokens must be removed or added (the cells of DIFF_CELLS_MAX);
 * WASL_ENOMEM. */
typedef int (*diff_tok_h)(char op, const struct diff_tok *t, void *arg);
int diff_seq(const struct diff_tok *a, size_t n, const struct diff_tok *b, size_t m, diff_tok_h h, void *arg);

/* A readable diff of two NUL-terminated texts: h gets runs of text ('=',
 * '-', '+'; never two runs of the same op in a row, never empty), pointing
 * into a or b. Lines are compared first; inside a block of changed lines,
 * words (a word, a run of spaces, or one punctuation mark). A block too
 * large to compare word by word is given whole (removed, then added) and
 * *limited is set, as is a text too large to compare line by line. */
typedef int (*diff_seg_h)(char op, const char *text, size_t len, void *arg);
int diff_text(const char *a, const char *b, diff_seg_h h, void *arg, bool *limited);

#endif
