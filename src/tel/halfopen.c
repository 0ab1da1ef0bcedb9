/*
 * Half-open calls: INVITEs wasl answered with 200 whose ACK has not come.
 * Each holds a call slot and two RTP ports like a real call, so a caller
 * that sends INVITEs and never acknowledges them could fill every slot.
 * They are counted per source address: a source that has
 * sip.half_open_max of them gets 503 with Retry-After for any more, and a
 * call whose ACK has not come after sip.ack_timeout is ended (outcome
 * no_ack) well before RFC 3261's 64*T1. Owns the per-source counts.
 */
#include <stdio.h>

#include "rt.h"

struct halfopen_src {
    struct le he;
    struct sa addr;
    int n;                /* its calls waiting for their ACK */
    struct log_gate gate; /* its refusals: one log line per interval */
};

static struct hash *srcs;
static int total;

static bool addr_cmp_h(struct le *le, void *arg)
{
    const struct halfopen_src *s = le->data;
    return sa_cmp(&s->addr, arg, SA_ADDR);
}

static struct halfopen_src *src_find(const struct sa *addr)
{
    if (!srcs)
        return NULL;
    struct le *le = hash_lookup(srcs, sa_hash(addr, SA_ADDR), addr_cmp_h, (void *)addr);
    return le ? le->data : NULL;
}

bool halfopen_over(const struct sa *addr, const char *src, int pending)
{
    static struct log_gate pending_gate; /* a source with none half-open yet, only pending */
    struct halfopen_src *s = src_find(addr);
    int n = (s ? s->n : 0) + pending;
    if (n < rt.cfg.half_open_max)
        return false;
    uint64_t held = 0;
    tel_count(M_HALF_OPEN_REFUSED, 1);
    tel_count(M_CALLS_REFUSED, 1);
    if (log_gate_open(s ? &s->gate : &pending_gate, mono_us(), &held))
        log_warn("tel: %s has %d calls answered but not acknowledged and %d more admitted on their way (sip.half_open_max): "
                 "its new INVITEs get 503 (%llu more refused since the last such line)",
                 src, s ? s->n : 0, pending, (unsigned long long)held);
    return true;
}

bool halfopen_refuse(const struct sip_msg *msg, const char *src)
{
    if (!halfopen_over(&msg->src, src, 0))
        return false;
    /* 503 and not 486: nobody is busy, this sender must slow down; the
     * Retry-After is when its oldest half-open call is freed at the latest */
    sip_treplyf(NULL, NULL, rt.sip, msg, false, 503, "Service Unavailable",
                "Retry-After: %lld\r\n" HALFOPEN_WARNING "Content-Length: 0\r\n\r\n", (long long)(rt.cfg.ack_timeout / 1000000));
    return true;
}

void halfopen_add(struct tcall *c, const struct sa *addr)
{
    struct halfopen_src *s = src_find(addr);
    if (!srcs && hash_alloc(&srcs, 64))
        return; /* out of memory: the call goes uncounted, its ACK time-out still runs */
    if (!s) {
        if (!(s = mem_zalloc(sizeof(*s), NULL)))
            return;
        s->addr = *addr;
        hash_append(srcs, sa_hash(addr, SA_ADDR), &s->he, s);
    }
    s->n++;
    total++;
    c->half_open = true;
    c->src = *addr;
    c->answered_mono = mono_us();
}

void halfopen_done(struct tcall *c)
{
    if (!c->half_open)
        return;
    c->half_open = false;
    total--;
    struct halfopen_src *s = src_find(&c->src);
    if (s && --s->n <= 0) {
        hash_unlink(&s->he);
        mem_deref(s);
    }
}

void halfopen_tick(struct tcall *c, int64_t now)
{
    if (!c->half_open || now - c->answered_mono < rt.cfg.ack_timeout)
        return;
    /* the ACK never came: the call ends here (its slot and RTP ports
     * freed); libre repeats the 200 until 64*T1 and then sends the BYE
     * (RFC 3261 13.3.1.4), at once if a late ACK comes */
    tel_count(M_ACK_TIMEOUTS, 1);
    halfopen_done(c);
    call_fire(c, CE_NO_ACK);
}

int halfopen_count(void)
{
    return total;
}

void halfopen_free(void)
{
    if (srcs)
        hash_flush(srcs);
    srcs = mem_deref(srcs);
    total = 0;
}

bool log_gate_open(struct log_gate *g, int64_t now, uint64_t *held)
{
    if (now < g->next) {
        g->held++;
        return false;
    }
    *held = g->held;
    g->held = 0;
    g->next = now + LOG_GATE_US;
    return true;
}
