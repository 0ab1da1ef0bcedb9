/*
 * A timer wheel in front of libre's timer list. libre 1.1.0 keeps every timer
 * of a thread in one sorted list and inserts by walking it from the tail past
 * every timer due later. On UDP every INVITE server transaction lingers 32 s
 * after its 2xx (RFC 6026's Timer L) and every BYE's 32 s after its 200 (Timer
 * J), so each 200 OK's 500 ms retransmission timer walked past 64 timers per
 * call/s of load: 50,000 at 800 calls/s, a third of the thread's CPU, then
 * all of it.
 *
 * At each tick of the engine, the timers due later than the wheel's horizon
 * (LEAD_MS ahead) are moved out of libre's list into slots of SLOT_MS of our
 * own, and put back, in order, when their slot comes within the horizon.
 * libre's list then only holds what is due within about LEAD_MS, and an
 * insertion walks past a few timers. The timers fire exactly when they would
 * have: they are back in libre's list LEAD_MS before they are due.
 *
 * It uses nothing but libre's public struct tmr and struct le: a parked
 * timer's le.list points at its slot, so libre's tmr_cancel and tmr_start,
 * which unlink through le.list, take it out of the slot as they would out of
 * their own list. Real-time thread only.
 */
#include "rt.h"

#define SLOT_SHIFT 6 /* slots of 64 ms */
#define NSLOTS 2048  /* 131 s ahead; beyond: the overflow list */
#define LEAD_MS 250  /* back in libre's list this long before due */
#define SLOT_OF(jfs) ((jfs) >> SLOT_SHIFT)

static struct list slots[NSLOTS];
static struct list overflow; /* due beyond the wheel: looked at twice a turn */
static struct list *libre_list;
static uint64_t next_slot; /* first slot still parked (absolute slot number) */

static void probe_h(void *arg)
{
}

int tmrwheel_init(void)
{
    struct tmr probe;
    tmr_init(&probe);
    /* libre's list of this thread is where its timers are linked. */
    tmr_start(&probe, 1000, probe_h, NULL);
    libre_list = probe.le.list;
    tmr_cancel(&probe);
    for (size_t i = 0; i < NSLOTS; i++)
        list_init(&slots[i]);
    list_init(&overflow);
    next_slot = 0;
    return libre_list ? 0 : err_set(WASL_EINTERNAL, "tel.timers", "libre's timer list is not where it should be");
}

/* Into libre's list, in order (after the last timer due no later: the
 * same place libre's own tmr_start would choose). */
static void unpark(struct tmr *t)
{
    struct le *le = libre_list->tail;
    list_unlink(&t->le);
    while (le && ((struct tmr *)le->data)->jfs > t->jfs)
        le = le->prev;
    if (le)
        list_insert_after(libre_list, le, &t->le, t);
    else
        list_prepend(libre_list, &t->le, t);
}

/* Into its slot, or the overflow when the wheel does not reach it yet;
 * from libre's list or from the overflow. */
static void park(struct tmr *t)
{
    uint64_t s = SLOT_OF(t->jfs);
    list_unlink(&t->le);
    list_append(s < next_slot + NSLOTS ? &slots[s % NSLOTS] : &overflow, &t->le, t);
}

static void unpark_list(struct list *l)
{
    while (l->head)
        unpark(l->head->data);
}

void tmrwheel_flush(void)
{
    if (!libre_list)
        return;
    for (size_t i = 0; i < NSLOTS; i++)
        unpark_list(&slots[i]);
    unpark_list(&overflow);
}

void tmrwheel_tick(uint64_t now)
{
    uint64_t horizon = SLOT_OF(now + LEAD_MS);
    if (!libre_list)
        return;
    if (next_slot == 0 || horizon >= next_slot + NSLOTS) {
        /* first tick, or the loop stood still for a whole turn */
        tmrwheel_flush();
        next_slot = horizon + 1;
    }
    for (; next_slot <= horizon; next_slot++) {
        unpark_list(&slots[next_slot % NSLOTS]);
        if (next_slot % (NSLOTS / 2) == 0) {
            /* what the wheel now reaches comes in from the overflow; a timer
             * still beyond it goes back to the overflow's tail, so the walk
             * takes each timer there once, from the head (walking by the
             * links met the ones put back again: two of them, and it never
             * ended) */
            for (uint32_t n = list_count(&overflow); n > 0; n--) {
                struct tmr *t = overflow.head->data;
                if (SLOT_OF(t->jfs) <= horizon)
                    unpark(t);
                else
                    park(t);
            }
        }
    }
    /* libre's list is sorted: what is due beyond the horizon is its tail */
    while (libre_list->tail) {
        struct tmr *t = libre_list->tail->data;
        if (SLOT_OF(t->jfs) < next_slot)
            break;
        park(t);
    }
}

/* Walks the wheel: for tests and diagnostics, not for every tick. */
size_t tmrwheel_parked(void)
{
    size_t n = list_count(&overflow);
    for (size_t i = 0; i < NSLOTS; i++)
        n += list_count(&slots[i]);
    return n;
}
