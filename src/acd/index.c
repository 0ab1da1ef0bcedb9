/*
 * The distributor's indexes: a hash map from call and agent ids (open
 * addressing, linear probing, deletion by shifting back, so no tombstones
 * pile up over a day of calls) and indexed binary heaps whose elements know
 * their position, so an agent or a time-out leaves the middle in O(log n).
 */
#include <assert.h>
#include <stdlib.h>

#include "acd_int.h"
#include "core/core.h"

static size_t slot_of(uint64_t key, size_t cap)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return (size_t)key & (cap - 1);
}

void *acd_map_get(const struct acd_map *m, uint64_t key)
{
    if (!m->cap)
        return NULL;
    for (size_t i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (!m->vals[i])
            return NULL;
        if (m->keys[i] == key)
            return m->vals[i];
    }
}

static int grow(struct acd_map *m)
{
    size_t cap = m->cap ? 2 * m->cap : 64;
    uint64_t *keys = calloc(cap, sizeof(*keys));
    void **vals = calloc(cap, sizeof(*vals));
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return WASL_ENOMEM;
    }
    for (size_t j = 0; j < m->cap; j++) {
        if (!m->vals[j])
            continue;
        size_t i = slot_of(m->keys[j], cap);
        while (vals[i])
            i = (i + 1) & (cap - 1);
        keys[i] = m->keys[j];
        vals[i] = m->vals[j];
    }
    free(m->keys);
    free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->cap = cap;
    return 0;
}

/* The key must not be there yet; val not NULL. */
int acd_map_put(struct acd_map *m, uint64_t key, void *val)
{
    if (2 * (m->n + 1) > m->cap && grow(m)) /* at most half full: probes stay short */
        return WASL_ENOMEM;
    size_t i = slot_of(key, m->cap);
    while (m->vals[i])
        i = (i + 1) & (m->cap - 1);
    m->keys[i] = key;
    m->vals[i] = val;
    m->n++;
    return 0;
}

void acd_map_del(struct acd_map *m, uint64_t key)
{
    size_t mask = m->cap - 1, i;
    if (!m->cap)
        return;
    for (i = slot_of(key, m->cap); m->vals[i] && m->keys[i] != key; i = (i + 1) & mask)
        ;
    if (!m->vals[i])
        return;
    m->vals[i] = NULL;
    m->n--;
    /* Shift back the entries after it that probed past the hole. */
    for (size_t j = (i + 1) & mask; m->vals[j]; j = (j + 1) & mask) {
        size_t home = slot_of(m->keys[j], m->cap);
        if (((j - home) & mask) >= ((j - i) & mask)) {
            m->keys[i] = m->keys[j];
            m->vals[i] = m->vals[j];
            m->vals[j] = NULL;
            i = j;
        }
    }
}

void acd_map_free(struct acd_map *m)
{
    free(m->keys);
    free(m->vals);
    m->keys = NULL;
    m->vals = NULL;
    m->cap = m->n = 0;
}

/* ---- heaps ---- */

static void put(struct acd_heap *h, int i, void *x)
{
    h->v[i] = x;
    *h->pos_of(x) = i;
}

static void up(struct acd_heap *h, int i)
{
    void *x = h->v[i];
    while (i > 0) {
        int p = (i - 1) / 2;
        if (!h->before(x, h->v[p]))
            break;
        put(h, i, h->v[p]);
        i = p;
    }
    put(h, i, x);
}

static void down(struct acd_heap *h, int i)
{
    void *x = h->v[i];
    for (;;) {
        int c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && h->before(h->v[c + 1], h->v[c]))
            c++;
        if (!h->before(h->v[c], x))
            break;
        put(h, i, h->v[c]);
        i = c;
    }
    put(h, i, x);
}

int acd_heap_reserve(struct acd_heap *h, int n)
{
    if (n <= h->cap)
        return 0;
    int cap = h->cap ? h->cap : 16;
    while (cap < n)
        cap *= 2;
    void **v = realloc(h->v, sizeof(*v) * (size_t)cap);
    if (!v)
        return WASL_ENOMEM;
    h->v = v;
    h->cap = cap;
    return 0;
}

/* Room was reserved by the owner (acd_heap_reserve), so a push in the
 * middle of a state change cannot fail half-way. */
void acd_heap_push(struct acd_heap *h, void *x)
{
    assert(h->n < h->cap);
    put(h, h->n++, x);
    up(h, h->n - 1);
}

void acd_heap_remove(struct acd_heap *h, void *x)
{
    int i = *h->pos_of(x);
    if (i < 0 || i >= h->n || h->v[i] != x)
        return;
    *h->pos_of(x) = -1;
    if (i == --h->n)
        return;
    put(h, i, h->v[h->n]);
    up(h, i);
    down(h, i);
}

void acd_heap_free(struct acd_heap *h)
{
    free(h->v);
    h->v = NULL;
    h->n = h->cap = 0;
}
