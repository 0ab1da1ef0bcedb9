/*
 * Arenas (bump allocation released all at once, one per HTTP request) and
 * capped string buffers for anything that grows from input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

#define ARENA_CHUNK 8192 /* most requests fit in one chunk */

struct chunk {
    struct chunk *next;
    size_t used, size;
    max_align_t data[];
};

struct arena {
    struct chunk *head;
};

int arena_alloc(struct arena **out)
{
    struct arena *a = calloc(1, sizeof(*a));
    if (!a)
        return WASL_ENOMEM;
    *out = a;
    return 0;
}

void arena_free(struct arena *a)
{
    if (!a)
        return;
    for (struct chunk *c = a->head, *n; c; c = n) {
        n = c->next;
        free(c);
    }
    free(a);
}

void *arena_zalloc(struct arena *a, size_t n)
{
    const size_t align = sizeof(max_align_t);
    struct chunk *c = a->head;
    void *p;

    n = (n + align - 1) / align * align;
    if (n == 0)
        n = align;
    if (!c || c->size - c->used < n) {
        size_t size = n > ARENA_CHUNK ? n : ARENA_CHUNK;
        c = malloc(sizeof(*c) + size);
        if (!c)
            return NULL;
        c->size = size;
        c->used = 0;
        /* A big one-off block goes behind the current chunk so the rest of
         * the current chunk stays usable. */
        if (a->head && n > ARENA_CHUNK) {
            c->next = a->head->next;
            a->head->next = c;
        } else {
            c->next = a->head;
            a->head = c;
        }
    }
    p = (char *)c->data + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    char *p = arena_zalloc(a, n + 1);
    if (p)
        memcpy(p, s, n);
    return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
    va_list ap;
    int n;
    char *p;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !(p = arena_zalloc(a, (size_t)n + 1)))
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void sbuf_init(struct sbuf *b, size_t max)
{
    memset(b, 0, sizeof(*b));
    b->max = max;
}

void sbuf_release(struct sbuf *b)
{
    free(b->p);
    sbuf_init(b, b->max);
}

int sbuf_add(struct sbuf *b, const void *s, size_t n)
{
    if (b->oom)
        return WASL_ENOMEM;
    if (n > b->max || b->len > b->max - n) {
        b->oom = true;
        return err_set(WASL_ETOOBIG, "request.too_large", "more than %zu bytes", b->max);
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return WASL_ENOMEM;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

int sbuf_adds(struct sbuf *b, const char *s)
{
    return sbuf_add(b, s, strlen(s));
}

int sbuf_addf(struct sbuf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    int n, err;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return WASL_EINVAL;
    if ((size_t)n < sizeof(small))
        return sbuf_add(b, small, (size_t)n);
    char *big = malloc((size_t)n + 1);
    if (!big)
        return WASL_ENOMEM;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    err = sbuf_add(b, big, (size_t)n);
    free(big);
    return err;
}

char *sbuf_take(struct sbuf *b)
{
    char *p = b->p;
    if (!p)
        p = calloc(1, 1);
    sbuf_init(b, b->max);
    return p;
}
