/*
 * Media: each leg's RTP socket and SDP, the player (prompts, silence, music
 * on hold) paced by one shared ticker on absolute due times, RFC 4733 and
 * in-band DTMF, and the relay that carries audio between the caller and
 * the agent (transcoding PCMU <-> PCMA when their phones differ) and feeds
 * the recording.
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
    call_digit(l->call, (char)d);
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

int media_send(struct leg *l, const int16_t *pcm, size_t n, bool marker)
{
    uint8_t buf[RTP_HEADER_SIZE + 512]; /* 480 samples at most, and room for SRTP's 10-byte tag (srtp.c) */
    struct mbuf mb;
    if (n > 480 || !sa_isset(&l->raddr, SA_ALL) || l->held)
        return 0;
    for (size_t i = 0; i < n; i++)
        buf[RTP_HEADER_SIZE + i] = l->alaw ? g711_pcm2alaw(pcm[i]) : g711_pcm2ulaw(pcm[i]);
    mbuf_init(&mb);
    mb.buf = buf;
    mb.size = sizeof(buf);
    mb.pos = RTP_HEADER_SIZE;
    mb.end = RTP_HEADER_SIZE + n;
    int err = rtp_send(l->rtp, &l->raddr, false, marker, (uint8_t)l->pt, l->ts, &mb);
    l->ts += (uint32_t)n;
    if (!err)
        tel_count(M_RTP_TX, 1);
    return err;
}

static void rtp_recv(const struct sa *src, const struct rtp_header *hdr, struct mbuf *mb, void *arg)
{
    struct leg *l = arg;
    struct tcall *c = l->call;
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
    l->last_rx = now;
    if (l->pt_telev >= 0 && hdr->pt == l->pt_telev) {
        int ev;
        bool end;
        int err = telev_recv(l->telev, mb, &ev, &end);
        if (!err && !l->is_agent)
            telev_event(l, ev, end);
        return;
    }
    if (hdr->pt != 0 && hdr->pt != 8)
        return;
    if (n > 480)
        return;
    /* Follow the codec the peer actually sends. */
    l->alaw = hdr->pt == 8;
    /* Tones are listened for only while the IVR waits for keys and the
     * peer did not offer RFC 4733: the detector is the costliest thing
     * done per packet. */
    bool tones = !l->is_agent && l->pt_telev < 0 && c->st == T_IVR && c->collecting;
    bool bridged = c->st == T_BRIDGED && c->agent;
    if (!tones && !bridged && !c->taking_message)
        return;
    int16_t pcm[480];
    decode(l, mbuf_buf(mb), n, pcm);
    if (tones)
        dtmf_dec_probe(l->dtmf, pcm, n);
    if (c->taking_message && c->message_until > 1 && !l->is_agent)
        rec_add(c, 0, pcm, n);
    if (bridged) {
        struct leg *o = l->is_agent ? &c->in : c->agent;
        /* the caller on hold (from the phone, the desk, during a
         * consultation): neither hears the other (the caller hears music) */
        if (!mixer_feed(c, l, pcm, n) && !l->is_sup && !l->is_consult && o->established && !c->in.in_media)
            media_send(o, pcm, n, hdr->m);
        if (c->recording && !l->is_sup && !l->is_consult)
            rec_add(c, l->is_agent ? 1 : 0, pcm, n);
    }
}

int leg_media_open(struct leg *l)
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
        (err = leg_srtp_attach(l)) ||
        (err = sdp_format_add(NULL, l->m, false, "0", "PCMU", 8000, 1, NULL, NULL, NULL, false, NULL)) ||
        (err = sdp_format_add(NULL, l->m, false, "8", "PCMA", 8000, 1, NULL, NULL, NULL, false, NULL)) ||
        (err = sdp_format_add(NULL, l->m, false, "101", telev_rtpfmt, 8000, 1, NULL, NULL, NULL, false, "0-15")))
        return err;
    l->ts = (uint32_t)rand_u32();
    l->marker = true;
    l->last_rx = mono_us();
    return 0;
}

void leg_media_close(struct leg *l)
{
    leg_media_stop(l);
    leg_srtp_close(l);
    l->rtp = mem_deref(l->rtp);
    l->telev = mem_deref(l->telev);
    l->dtmf = mem_deref(l->dtmf);
    l->sdp = mem_deref(l->sdp);
    l->m = NULL;
}

int leg_sdp_remote(struct leg *l, struct mbuf *mb, bool offer)
{
    const struct sdp_format *f = NULL, *te;
    int err = sdp_decode(l->sdp, mb, offer);
    if (err)
        return err;
    for (struct le *le = list_head(sdp_media_format_lst(l->m, false)); le; le = le->next) {
        const struct sdp_format *x = le->data;
        if (x->sup && (!str_casecmp(x->name, "PCMU") || !str_casecmp(x->name, "PCMA"))) {
            f = x;
            break;
        }
    }
    if (!f || (err = leg_srtp_remote(l, offer)))
        return err ? err : EPROTO;
    l->alaw = !str_casecmp(f->name, "PCMA");
    l->pt = l->alaw ? 8 : 0;
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

void player_clear(struct leg *l)
{
    l->nseg = l->cur = 0;
    l->moh = false;
    l->play_done = false;
}

void player_add(struct leg *l, const int16_t *pcm, size_t n)
{
    if (l->nseg < SEGS_MAX && n)
        l->segs[l->nseg++] = (struct seg){pcm, n, 0};
    l->play_done = false;
}

bool player_busy(const struct leg *l)
{
    return l->cur < l->nseg;
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
                l->play_done = true;
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

void leg_media_start(struct leg *l)
{
    if (l->in_media || !l->rtp)
        return;
    /* On the ticker's grid, so packets leave when the ticker runs. */
    int64_t now = mono_us();
    l->due = now - now % (TICK_MS * 1000) + TICK_MS * 1000;
    l->in_media = true;
    list_append(&rt.media, &l->le, l);
}

void leg_media_stop(struct leg *l)
{
    if (!l->in_media)
        return;
    list_unlink(&l->le);
    l->in_media = false;
}

void media_tick(int64_t now)
{
    for (struct le *le = rt.media.head; le; le = le->next) {
        struct leg *l = le->data;
        int sent = 0;
        while (l->due <= now && sent < 5) {
            int16_t pcm[FRAME];
            fill(l, pcm);
            tel_metric_pacing(now - l->due);
            media_send(l, pcm, FRAME, l->marker);
            l->marker = false;
            l->due += PTIME_US;
            sent++;
        }
        /* Far behind (the machine stalled): start again from now rather
         * than sending a burst. */
        if (l->due <= now) {
            l->due = now + PTIME_US;
            l->marker = true;
        }
    }
    mixer_tick(now);
}

/* ---- recording ---- */

void rec_add(struct tcall *c, int ch, const int16_t *pcm, size_t n)
{
    const size_t max = 8000u * 60 * 120; /* two hours a side */
    /* Keep the two sides in step: a side that sent nothing for more than
     * 100 ms (hold, silence suppression) gets that much silence. */
    size_t expected = (size_t)((mono_us() - c->rec_start) * 8 / 1000);
    size_t pad = expected > c->rec_n[ch] + n + 800 ? expected - c->rec_n[ch] - n : 0;
    if (c->rec_n[ch] + pad + n > max)
        return;
    n += pad;
    if (c->rec_n[ch] + n > c->rec_cap[ch]) {
        size_t cap = c->rec_cap[ch] ? c->rec_cap[ch] * 2 : 8000u * 30;
        while (cap < c->rec_n[ch] + n)
            cap *= 2;
        int16_t *p = realloc(c->rec[ch], cap * 2);
        if (!p)
            return;
        c->rec[ch] = p;
        c->rec_cap[ch] = cap;
    }
    memset(c->rec[ch] + c->rec_n[ch], 0, pad * 2);
    memcpy(c->rec[ch] + c->rec_n[ch] + pad, pcm, (n - pad) * 2);
    c->rec_n[ch] += n;
}
