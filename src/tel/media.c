/*
 * Media: each leg's RTP socket and SDP, the player (prompts, silence, music
 * on hold) paced by one shared ticker on absolute due times, RFC 4733 and
 * in-band DTMF, and the relay that carries audio between the caller and
 * the agent (transcoding PCMU <-> PCMA when their phones differ) and feeds
 * the recordings (a call's, a voice message: recstream.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt.h"

static void leg_digit(struct leg *l, int ev)
{
    int d = telev_code2digit(ev);
    if (d <= 0 || l->is_agent)
        return;
    tel_count(M_DTMF, 1);
    media_digit(l->call, (char)d);
}

/* RFC 4733: a key is reported when its first packet arrives, and at its
 * end only if that first packet was lost; however long it is held, one key
 * is one digit. (libre's telev_recv() returns a repeat of the same event
 * once, at its end.) */
static void telev_event(struct leg *l, int ev, bool end)
{
    if (!end) {
        if (l->te_open != ev)
            leg_digit(l, ev);
        l->te_open = ev;
        return;
    }
    if (l->te_open != ev)
        leg_digit(l, ev);
    l->te_open = -1;
}

static void inband_h(char digit, void *arg)
{
    struct leg *l = arg;
    int code = telev_digit2code(digit);
    if (code >= 0)
        leg_digit(l, code);
}

static void decode(const struct leg *l, const uint8_t *p, size_t n, int16_t *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = l->alaw ? g711_alaw2pcm(p[i]) : g711_ulaw2pcm(p[i]);
}

/* The packet whose payload (n bytes in the leg's codec) is at
 * buf + RTP_HEADER_SIZE: its header, then out. The header (sequence number,
 * SSRC) is made here, on the leg's own thread; the sender thread, when on,
 * only sends the bytes (SRTP legs: the helper on their socket encrypts, so
 * they go the direct way). */
static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static int send_payload(struct leg *l, uint8_t *buf, size_t size, size_t n, bool marker)
{
    /* RFC 3550 5.1, version 2, no padding, extension or CSRC: written from
     * the leg's own state (libre's rtp_encode read and wrote its socket's,
     * another cache line a packet) */
    buf[0] = 0x80;
    buf[1] = (uint8_t)((marker ? 0x80 : 0) | (l->pt & 0x7f));
    buf[2] = (uint8_t)(l->seq >> 8);
    buf[3] = (uint8_t)l->seq;
    put32(buf + 4, l->ts);
    put32(buf + 8, l->ssrc);
    l->seq++;
    l->ts += (uint32_t)n;
    size_t len = RTP_HEADER_SIZE + n;
    if (!l->srtp_uh && media_sender_push(l->tx_fd, &l->raddr, buf, len))
        return 0;
    struct mbuf mb;
    mbuf_init(&mb);
    mb.buf = buf;
    mb.size = size;
    mb.pos = 0;
    mb.end = len;
    int err = udp_send(rtp_sock(l->rtp), &l->raddr, &mb);
    if (!err)
        tel_count(M_RTP_TX, 1);
    return err;
}

/* 480 samples at most, and room for SRTP's 10-byte tag (srtp.c) */
#define PACKET_MAX (RTP_HEADER_SIZE + 512)

/* n samples fit, the peer's address is known and the leg is not on hold */
static bool leg_can_send(const struct leg *l, size_t n)
{
    return n <= 480 && sa_isset(&l->raddr, SA_ALL) && !l->held;
}

int media_send(struct leg *l, const int16_t *pcm, size_t n, bool marker)
{
    uint8_t buf[PACKET_MAX];
    if (!leg_can_send(l, n))
        return 0;
    for (size_t i = 0; i < n; i++)
        buf[RTP_HEADER_SIZE + i] = l->alaw ? g711_pcm2alaw(pcm[i]) : g711_pcm2ulaw(pcm[i]);
    return send_payload(l, buf, sizeof(buf), n, marker);
}

/* The relay when both legs speak the same law: the payload as it came. */
static int media_forward(struct leg *l, const uint8_t *p, size_t n, bool marker)
{
    uint8_t buf[PACKET_MAX];
    if (!leg_can_send(l, n))
        return 0;
    memcpy(buf + RTP_HEADER_SIZE, p, n);
    return send_payload(l, buf, sizeof(buf), n, marker);
}

/* A packet of the leg's peer. What it is for (keys, the relay, a mixer,
 * recordings) is the leg's route, set from the call's state by
 * call_media_sync(): nothing here reads the call. */
static void rtp_recv_leg(const struct sa *src, const struct rtp_header *hdr, struct mbuf *mb, void *arg);

static void rtp_recv(const struct sa *src, const struct rtp_header *hdr, struct mbuf *mb, void *arg)
{
    int64_t entered = mono_us();
    rtp_recv_leg(src, hdr, mb, arg);
    /* libre is done with the helpers (SRTP) of this packet; what is left
     * of its turn touches no leg */
    media_yield();
    media_batch(entered);
}

static void rtp_recv_leg(const struct sa *src, const struct rtp_header *hdr, struct mbuf *mb, void *arg)
{
    struct leg *l = arg;
    const struct leg_route *r = &l->route;
    int64_t now = mono_us();
    size_t n = mbuf_get_left(mb);

    if (sa_cmp(src, &l->raddr, SA_ALL)) {
        l->heard_raddr = true;
    } else if (l->heard_raddr || (l->has_latched && !sa_cmp(src, &l->latched, SA_ALL))) {
        tel_count(M_RTP_FOREIGN, 1); /* a stranger's packets (injected keys, audio) never reach the call */
        return;
    } else if (!l->has_latched) {
        l->latched = *src;
        l->has_latched = true;
    }
    tel_count(M_RTP_RX, 1);
    atomic_store_explicit(&l->last_rx, now, memory_order_relaxed);
    if (l->pt_telev >= 0 && hdr->pt == l->pt_telev) {
        int ev;
        bool end;
        int err = telev_recv(l->telev, mb, &ev, &end);
        if (!err && !l->is_agent)
            telev_event(l, ev, end);
        return;
    }
    if (hdr->pt != 0 && hdr->pt != 8 && hdr->pt != l->pt)
        return;
    if (n > 480)
        return;
    /* Follow the codec the peer actually sends (its own number for it
     * keeps the codec negotiated). */
    if (hdr->pt == 0 || hdr->pt == 8)
        l->alaw = hdr->pt == 8;
    /* Tones are listened for only while the IVR waits for keys and the
     * peer did not offer RFC 4733: the detector is the costliest thing
     * done per packet. */
    bool tones = r->tones && l->pt_telev < 0;
    if (!tones && !r->relay_to && !r->mix && !r->rec && !r->message)
        return;
    if (!tones && !r->mix && !r->rec && !r->message && r->relay_to->alaw == l->alaw) {
        media_forward(r->relay_to, mbuf_buf(mb), n, hdr->m); /* nothing needs the samples */
        return;
    }
    int16_t pcm[480];
    decode(l, mbuf_buf(mb), n, pcm);
    if (tones)
        dtmf_dec_probe(l->dtmf, pcm, n);
    if (r->message)
        rec_stream_add(r->message, 0, pcm, n, now - r->rec_start);
    if (r->mix)
        mixer_feed(r->mix, r->mix_at, pcm, n);
    else if (r->relay_to)
        media_send(r->relay_to, pcm, n, hdr->m);
    if (r->rec)
        rec_stream_add(r->rec, r->rec_side, pcm, n, now - r->rec_start);
}

/* What wasl speaks, in its order of preference: PCMU, PCMA, RFC 4733 keys. */
static int sdp_formats_add(struct sdp_media *m)
{
    int err;
    if ((err = sdp_format_add(NULL, m, false, "0", "PCMU", 8000, 1, NULL, NULL, NULL, false, NULL)) ||
        (err = sdp_format_add(NULL, m, false, "8", "PCMA", 8000, 1, NULL, NULL, NULL, false, NULL)) ||
        (err = sdp_format_add(NULL, m, false, "101", telev_rtpfmt, 8000, 1, NULL, NULL, NULL, false, "0-15")))
        return err;
    return 0;
}

/* The codec of a format of the peer's SDP. RFC 3551 table 4 fixes payload
 * types 0 (PCMU) and 8 (PCMA), and RFC 4566 section 6 makes a=rtpmap
 * optional for them: "m=audio 4000 RTP/AVP 0 8" with no rtpmap line is a
 * valid offer (several carriers send it), named by its numbers. A dynamic
 * type (96-127) means nothing without its rtpmap, and a static number is
 * what it is whatever an rtpmap says. NULL: not a codec wasl knows. */
static const char *format_codec(const struct sdp_format *f)
{
    if (f->id && !strcmp(f->id, "0"))
        return "PCMU";
    if (f->id && !strcmp(f->id, "8"))
        return "PCMA";
    return f->pt >= 96 ? f->name : NULL;
}

/* The first format of the peer's that wasl speaks too (libre's sup flag:
 * matched with one of ours), PCMU or PCMA; NULL when there is none. */
static const struct sdp_format *sdp_codec(const struct sdp_media *m, bool *alaw)
{
    for (struct le *le = list_head(sdp_media_format_lst(m, false)); le; le = le->next) {
        const struct sdp_format *x = le->data;
        const char *name = format_codec(x);
        if (x->sup && name && (!str_casecmp(name, "PCMU") || !str_casecmp(name, "PCMA"))) {
            *alaw = !str_casecmp(name, "PCMA");
            return x;
        }
    }
    return NULL;
}

int sdp_offer_check(const char *text, size_t n, bool *alaw, int *pt_telev)
{
    struct sdp_session *sess = NULL;
    struct sdp_media *m = NULL;
    struct mbuf *mb = mbuf_alloc(n ? n : 1);
    struct sa laddr;
    int err;
    *alaw = false;
    *pt_telev = -1;
    if (!mb)
        return ENOMEM;
    sa_set_in(&laddr, 0x7f000001, 0);
    if ((err = mbuf_write_mem(mb, (const uint8_t *)text, n)) || (err = sdp_session_alloc(&sess, &laddr)) ||
        (err = sdp_media_add(&m, sess, "audio", 4000, sdp_proto_rtpavp)) || (err = sdp_formats_add(m)))
        goto out;
    mb->pos = 0;
    if ((err = sdp_decode(sess, mb, true)))
        goto out;
    if (!sdp_codec(m, alaw)) {
        err = EPROTO;
        goto out;
    }
    const struct sdp_format *te = sdp_media_rformat(m, telev_rtpfmt);
    *pt_telev = te ? te->pt : -1;
out:
    mem_deref(sess);
    mem_deref(mb);
    return err;
}

static int media_open(struct leg *l)
{
    struct sa laddr = rt.laddr;
    int err;

    sa_set_port(&laddr, 0);
    l->pt_telev = -1;
    l->te_open = -1;
    if ((err = rtp_listen(&l->rtp, IPPROTO_UDP, &laddr, (uint16_t)rt.cfg.rtp_min, (uint16_t)rt.cfg.rtp_max, false, rtp_recv, NULL,
                          l)) ||
        (err = telev_alloc(&l->telev, 20)) || (err = dtmf_dec_alloc(&l->dtmf, 8000, 1, inband_h, l)) ||
        (err = sdp_session_alloc(&l->sdp, &laddr)) ||
        (err = sdp_media_add(&l->m, l->sdp, "audio", sa_port(rtp_local(l->rtp)),
                             l->uac && l->sdes == SDES_REQUIRED ? sdp_proto_rtpsavp : sdp_proto_rtpavp)) ||
        (l->sdes != SDES_OFF && (err = sdp_media_set_alt_protos(l->m, 2, sdp_proto_rtpavp, sdp_proto_rtpsavp))) ||
        (err = leg_srtp_attach(l)) || (err = sdp_formats_add(l->m)))
        return err;
    l->ts = (uint32_t)rand_u32();
    l->ssrc = (uint32_t)rand_u32();
    l->seq = (uint16_t)rand_u32(); /* RFC 3550: random first values */
    l->tx_fd = udp_sock_fd(rtp_sock(l->rtp), sa_af(&laddr));
    l->marker = true;
    atomic_store_explicit(&l->last_rx, mono_us(), memory_order_relaxed);
    return media_sock_adopt(l->rtp);
}

int leg_media_open(struct leg *l)
{
    media_lock();
    int err = media_open(l);
    media_unlock();
    return err;
}

void leg_media_close(struct leg *l)
{
    media_lock();
    /* no leg of the call relays to this one any more */
    struct tcall *c = l->call;
    struct leg *legs[] = {c ? &c->in : NULL, c ? c->agent : NULL, c ? c->sup : NULL, c ? c->consult : NULL};
    for (size_t i = 0; i < sizeof(legs) / sizeof(legs[0]); i++)
        if (legs[i] && legs[i]->route.relay_to == l)
            legs[i]->route.relay_to = NULL;
    if (c && c->mix)
        mixer_forget(c->mix, l);
    l->route = (struct leg_route){0};
    leg_media_stop(l);
    leg_srtp_close(l);
    media_sock_free(l->rtp); /* freed on the thread whose loop it is in */
    l->rtp = NULL;
    l->telev = mem_deref(l->telev);
    l->dtmf = mem_deref(l->dtmf);
    l->sdp = mem_deref(l->sdp);
    l->m = NULL;
    media_unlock();
}

static int sdp_remote(struct leg *l, struct mbuf *mb, bool offer);

int leg_sdp_remote(struct leg *l, struct mbuf *mb, bool offer)
{
    media_lock();
    int err = sdp_remote(l, mb, offer);
    media_unlock();
    return err;
}

static int sdp_remote(struct leg *l, struct mbuf *mb, bool offer)
{
    const struct sdp_format *te;
    bool alaw;
    int err = sdp_decode(l->sdp, mb, offer);
    if (err)
        return err;
    const struct sdp_format *f = sdp_codec(l->m, &alaw);
    if (!f || (err = leg_srtp_remote(l, offer)))
        return err ? err : EPROTO;
    l->alaw = alaw;
    l->pt = f->pt; /* 0 or 8, or the dynamic number the peer gave PCMU or PCMA */
    te = sdp_media_rformat(l->m, telev_rtpfmt);
    l->pt_telev = te ? te->pt : -1;
    l->raddr = *sdp_media_raddr(l->m);
    enum sdp_dir d = sdp_media_rdir(l->m);
    /* libre gives the direction from our side: a peer's a=sendonly (hold)
     * is SDP_RECVONLY for us. Held: we may not send to it. */
    l->held = d == SDP_RECVONLY || d == SDP_INACTIVE || sa_is_any(&l->raddr);
    return 0;
}

int leg_sdp_local(struct leg *l, bool offer, struct mbuf **out)
{
    return sdp_encode(out, l->sdp, offer);
}

/* ---- the player ---- */

int64_t leg_last_rx(const struct leg *l)
{
    return atomic_load_explicit(&l->last_rx, memory_order_relaxed);
}

void player_clear(struct leg *l)
{
    l->playing = l->play_done = false;
    media_lock();
    l->media_token = ++l->play_token;
    l->nseg = l->cur = 0;
    l->moh = false;
    media_unlock();
}

void player_add(struct leg *l, const int16_t *pcm, size_t n)
{
    l->play_done = false;
    if (l->nseg >= SEGS_MAX || !n)
        return;
    l->playing = true;
    media_lock();
    l->media_token = ++l->play_token;
    l->segs[l->nseg++] = (struct seg){pcm, n, 0};
    media_unlock();
}

void player_moh(struct leg *l, bool on)
{
    media_lock();
    l->moh = on;
    media_unlock();
}

bool player_busy(const struct leg *l)
{
    return l->playing;
}

void player_poll(struct leg *l)
{
    if (l->playing && atomic_load_explicit(&l->played, memory_order_acquire) == l->play_token) {
        l->playing = false;
        l->play_done = true;
    }
}

/* 160 samples: the next of the segments, then music or silence. Reports
 * the end of the segments once. */
static void fill(struct leg *l, int16_t *out)
{
    size_t k = 0;
    while (k < FRAME && l->cur < l->nseg) {
        struct seg *s = &l->segs[l->cur];
        size_t take = s->n - s->pos < FRAME - k ? s->n - s->pos : FRAME - k;
        if (s->pcm)
            memcpy(out + k, s->pcm + s->pos, take * 2);
        else
            memset(out + k, 0, take * 2);
        k += take;
        s->pos += take;
        if (s->pos >= s->n) {
            l->cur++;
            if (l->cur >= l->nseg)
                atomic_store_explicit(&l->played, l->media_token, memory_order_release);
        }
    }
    const struct audio *m = l->moh ? audio_moh() : NULL;
    while (k < FRAME && m && m->n) {
        size_t take = m->n - l->moh_pos < FRAME - k ? m->n - l->moh_pos : FRAME - k;
        memcpy(out + k, m->pcm + l->moh_pos, take * 2);
        k += take;
        l->moh_pos = (l->moh_pos + take) % m->n;
    }
    if (k < FRAME)
        memset(out + k, 0, (FRAME - k) * 2);
}

static struct list *media_slot(int64_t due)
{
    return &rt.media[(due / (TICK_MS * 1000)) % MEDIA_SLOTS];
}

void leg_media_start(struct leg *l)
{
    if (l->in_media || !l->rtp)
        return;
    /* On the ticker's grid, so packets leave when the ticker runs. */
    int64_t now = mono_us();
    media_lock();
    l->due = now - now % (TICK_MS * 1000) + TICK_MS * 1000;
    l->in_media = true;
    list_append(media_slot(l->due), &l->le, l);
    media_unlock();
}

void leg_media_stop(struct leg *l)
{
    if (!l->in_media)
        return;
    media_lock();
    list_unlink(&l->le);
    l->in_media = false;
    media_unlock();
}

static void media_slot_run(struct list *slot, int64_t now)
{
    struct le *le = slot->head, mark = LE_INIT;
    while (le) {
        if (media_yield_wanted()) {
            /* the signalling thread waits: it may start, stop or close
             * legs meanwhile, this one too; a mark (no leg) keeps the
             * place in the slot */
            list_insert_before(slot, le, &mark, NULL);
            media_yield();
            le = mark.next;
            list_unlink(&mark);
            if (!le)
                break;
        }
        struct leg *l = le->data;
        int sent = 0;
        le = le->next; /* l may move to another slot below */
        while (l->due <= now && sent < 5) {
            int16_t pcm[FRAME];
            fill(l, pcm);
            tel_metric_pacing(now - l->due);
            media_send(l, pcm, FRAME, l->marker);
            l->marker = false;
            l->due += PTIME_US;
            sent++;
        }
        /* Far behind (the machine stalled): start again a packet from now
         * (on the grid) rather than sending a burst. */
        if (l->due <= now) {
            int64_t next = now + PTIME_US;
            l->due = next - next % (TICK_MS * 1000) + TICK_MS * 1000;
            l->marker = true;
            list_unlink(&l->le);
            list_append(media_slot(l->due), &l->le, l);
        }
    }
}

void media_tick(int64_t now)
{
    int64_t t = now / (TICK_MS * 1000), from = rt.media_tick_done + 1;
    /* every slot whose tick came since the last run (all of them after a
     * stall of a period or more) */
    if (t - from >= MEDIA_SLOTS)
        from = t - MEDIA_SLOTS + 1;
    for (; from <= t; from++) {
        media_slot_run(&rt.media[from % MEDIA_SLOTS], now);
        rt.media_tick_done = from;
        media_yield(); /* between slots: none is being walked */
    }
    mixer_tick(now);
    media_sender_kick(); /* what the pacing queued goes now */
    media_sender_reap(); /* the sockets whose last packets have left */
}
