/*
 * The one lock-free ring of the project: single producer, single consumer,
 * fixed-size slots. The producer writes a slot and publishes it with a
 * release store of head; the consumer reads it after an acquire load of
 * head and frees it with a release store of tail. Counters only grow
 * (size_t does not wrap in any real run), the slot is the counter modulo
 * the count.
 */
#include <stdatomic.h>

#include "core.h"

void spsc_init(struct spsc_ring *r, void *slots, size_t slot_size, size_t count)
{
    r->slots = slots;
    r->slot_size = slot_size;
    r->count = count;
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
}

void *spsc_slot(struct spsc_ring *r)
{
    size_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
    if (h - atomic_load_explicit(&r->tail, memory_order_acquire) >= r->count)
        return NULL;
    return r->slots + (h % r->count) * r->slot_size;
}

void spsc_push(struct spsc_ring *r)
{
    atomic_store_explicit(&r->head, atomic_load_explicit(&r->head, memory_order_relaxed) + 1, memory_order_release);
}

void *spsc_peek(struct spsc_ring *r)
{
    size_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
    if (t == atomic_load_explicit(&r->head, memory_order_acquire))
        return NULL;
    return r->slots + (t % r->count) * r->slot_size;
}

void spsc_pop(struct spsc_ring *r)
{
    atomic_store_explicit(&r->tail, atomic_load_explicit(&r->tail, memory_order_relaxed) + 1, memory_order_release);
}
