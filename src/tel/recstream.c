/*
 * Recordings streamed to disk: calls' recordings and the voice messages
 * callers leave in the IVR (its record node), one mechanism for both. The
 * real-time thread never grows a recording in memory (16 KB a second a
 * side): it copies each frame it records (up to 20 ms, 160 samples, one
 * side) with its place on the recording's timeline into the recording's
 * own lock-free ring (core's spsc_ring, fixed size) and goes on; a writer
 * thread of its own drains every ring into a WAV under
 * recording_dir/.streaming/ (a call: stereo, caller left, agent right; a
 * message: mono), header first with an "unknown" length, and at the end
 * fixes the header, fsyncs, closes and renames the file to its place,
 * recordings/YYYY-MM-DD/<call-id>-<id>.wav or messages/<call-id>-<id>.wav,
 * the names they always had. A recording costs a fixed struct rec_stream
 * (~82 KB) however long it lasts, taken from a stock the writer keeps
 * (so the real-time thread does not allocate it) and given back to it.
 *
 * The timeline is the real-time thread's, as before: a side that sent
 * nothing for over 100 ms gets that much silence (rec_stream_add), and the
 * shorter side is padded to the longer at the end. The writer holds
 * REC_WIN samples until no frame can land before them any more (the floor
 * the producer publishes), then writes them: a file on disk is at most
 * ~0.2 s behind what was said.
 *
 * The real-time thread never waits: a frame that finds the ring full (the
 * disk stalled for REC_RING frames, 2 s of both sides) is dropped and
 * counted (wasl_recording_frames_dropped_total, a warning once per
 * recording), and its place stays on the timeline as silence: the file
 * keeps the call's length, so what was said later is heard when it was
 * said. A disk error (ENOSPC) ends that recording: what was written is
 * kept with a valid header, a log line says why, and the call.recorded or
 * message.left event carries the error. A crash leaves the .part file,
 * playable to where it stops (its header says "unknown length"): a
 * message's is finished at the next start (rec_part_seal, projections.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rt.h"

#define REC_RING 200               /* frames: 2 s of both sides at 20 ms */
#define REC_WIN 4096               /* samples a side (512 ms) the writer holds */
#define REC_FLOOR 1280             /* how far before "now" a side's next frame may start (see rec_stream_add) */
#define REC_MAX (8000u * 60 * 120) /* two hours a side */
#define REC_IDLE_NS 10000000L      /* the writer looks every 10 ms */
#define REC_SPARE 8                /* streams kept ready: recordings that may start within one writer pass */
#define REC_SPARE_MAX 64           /* finished streams kept for reuse beyond which they are freed */
#define REC_SAID (8000u / 2)       /* a message of half a second or less: nothing was said */

struct rec_frame {
    uint32_t pos; /* first sample on the timeline */
    uint16_t n;
    uint8_t ch;
    int16_t pcm[FRAME];
};

struct rec_stream {
    struct rec_stream *next_new;   /* the list of streams the writer has not seen */
    struct rec_stream *next;       /* the writer's list */
    struct rec_stream *next_spare; /* the stock */
    uint64_t call;
    char callid[96];
    int channels;                                  /* 2: a call (caller left, agent right); 1: a voice message */
    char language[WASL_LANG_CODE_MAX], caller[24]; /* a message's */
    struct spsc_ring ring;
    /* the producer's */
    size_t n[2];
    _Atomic size_t floor; /* no frame to come starts before this sample */
    _Atomic uint64_t dropped;
    size_t frames;      /* the length, set before closed */
    bool answer;        /* set before closed: the IVR waits for the message's end */
    atomic_bool closed; /* the producer is done with it */
    /* the writer's */
    int fd;
    bool failed, warned;
    int err;              /* errno of a disk error */
    size_t base, written; /* first sample not written; samples written */
    char part[1200];
    int16_t win[REC_WIN][2];
    struct rec_frame slots[REC_RING];
};

static struct {
    _Atomic(struct rec_stream *) fresh;
    _Atomic(struct rec_stream *) spare; /* the stock: pushed by the writer, popped by the recorder only */
    atomic_int nspare;
    struct rec_stream *list;
    atomic_bool stop;
    pthread_t thread;
    bool running;
    int prio; /* SCHED_RR, one below sip.realtime_priority (0: normal) */
    char dir[1024];
    rec_done_h done;
    void *arg;
} w;
static _Atomic uint64_t dropped_total;
static atomic_int open_streams[2], held_streams; /* [0] calls, [1] messages; every stream allocated */

uint64_t rec_frames_dropped(void)
{
    return atomic_load_explicit(&dropped_total, memory_order_relaxed);
}

void rec_stats(struct rec_stats *st)
{
    st->calls = atomic_load_explicit(&open_streams[0], memory_order_relaxed);
    st->messages = atomic_load_explicit(&open_streams[1], memory_order_relaxed);
    st->bytes = (size_t)atomic_load_explicit(&held_streams, memory_order_relaxed) * sizeof(struct rec_stream);
}

/* ---- the stock of streams ---- */

static struct rec_stream *stream_new(void)
{
    struct rec_stream *s = malloc(sizeof(*s));
    if (s) {
        memset(s->win, 0, sizeof(s->win));
        atomic_fetch_add_explicit(&held_streams, 1, memory_order_relaxed);
    }
    return s;
}

static void stream_free(struct rec_stream *s)
{
    atomic_fetch_sub_explicit(&held_streams, 1, memory_order_relaxed);
    free(s);
}

/* Any thread that is not the recorder (the writer; a test) gives a stream
 * to the stock, its window silent. */
static void spare_push(struct rec_stream *s)
{
    s->next_spare = atomic_load_explicit(&w.spare, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(&w.spare, &s->next_spare, s, memory_order_release, memory_order_relaxed))
        ;
    atomic_fetch_add_explicit(&w.nspare, 1, memory_order_relaxed);
}

/* The recorder's thread only: with a single taker, the top cannot be taken
 * and given back between the load and the exchange (no ABA). */
static struct rec_stream *spare_pop(void)
{
    struct rec_stream *s = atomic_load_explicit(&w.spare, memory_order_acquire);
    while (s && !atomic_compare_exchange_weak_explicit(&w.spare, &s, s->next_spare, memory_order_acquire, memory_order_acquire))
        ;
    if (s)
        atomic_fetch_sub_explicit(&w.nspare, 1, memory_order_relaxed);
    return s;
}

/* ---- the real-time thread's side ---- */

static struct rec_stream *stream_open(uint64_t call, const char *callid, int channels)
{
    /* from the stock; made here only when a burst emptied it (or no writer
     * runs yet) */
    struct rec_stream *s = spare_pop();
    if (!s && !(s = stream_new()))
        return NULL;
    s->call = call;
    snprintf(s->callid, sizeof(s->callid), "%s", callid);
    s->channels = channels;
    s->language[0] = s->caller[0] = '\0';
    spsc_init(&s->ring, s->slots, sizeof(s->slots[0]), REC_RING);
    s->n[0] = s->n[1] = 0;
    atomic_init(&s->floor, 0);
    atomic_init(&s->dropped, 0);
    atomic_init(&s->closed, false);
    s->frames = 0;
    s->answer = false;
    s->fd = -1;
    s->failed = s->warned = false;
    s->err = 0;
    s->base = s->written = 0;
    s->part[0] = '\0';
    atomic_fetch_add_explicit(&open_streams[channels == 1], 1, memory_order_relaxed);
    /* lock-free push onto the writer's list of new streams */
    s->next_new = atomic_load_explicit(&w.fresh, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(&w.fresh, &s->next_new, s, memory_order_release, memory_order_relaxed))
        ;
    return s;
}

struct rec_stream *rec_stream_open(uint64_t call, const char *callid)
{
    return stream_open(call, callid, 2);
}

struct rec_stream *rec_message_open(uint64_t call, const char *callid, const char *language, const char *caller)
{
    struct rec_stream *s = stream_open(call, callid, 1);
    if (s) {
        snprintf(s->language, sizeof(s->language), "%s", language);
        snprintf(s->caller, sizeof(s->caller), "%s", caller);
    }
    return s;
}

/* n samples of side ch (0 caller, 1 agent), elapsed_us after the recording
 * started. Never blocks. */
void rec_stream_add(struct rec_stream *s, int ch, const int16_t *pcm, size_t n, int64_t elapsed_us)
{
    /* Keep the two sides in step: a side that sent nothing for more than
     * 100 ms (hold, silence suppression) gets that much silence. */
    size_t expected = elapsed_us > 0 ? (size_t)(elapsed_us * 8 / 1000) : 0;
    size_t pad = expected > s->n[ch] + n + 800 ? expected - s->n[ch] - n : 0;
    if (ch >= s->channels || s->n[ch] + pad + n > REC_MAX)
        return;
    size_t pos = s->n[ch] + pad;
    s->n[ch] = pos + n;
    for (size_t k = 0; k < n; k += FRAME) {
        size_t m = n - k < FRAME ? n - k : FRAME;
        struct rec_frame *f = spsc_slot(&s->ring);
        if (!f) {
            atomic_fetch_add_explicit(&s->dropped, 1, memory_order_relaxed);
            atomic_fetch_add_explicit(&dropped_total, 1, memory_order_relaxed);
            continue;
        }
        f->pos = (uint32_t)(pos + k);
        f->n = (uint16_t)m;
        f->ch = (uint8_t)ch;
        memcpy(f->pcm, pcm + k, m * 2);
        spsc_push(&s->ring);
    }
    /* A side's next frame starts at its end, or (padded, or not padded
     * because it is less than 100 ms behind) at most 800 + 480 samples
     * before the time it comes, which is later than now. */
    size_t floor = SIZE_MAX;
    for (int i = 0; i < s->channels; i++) {
        size_t f = expected > REC_FLOOR && expected - REC_FLOOR > s->n[i] ? expected - REC_FLOOR : s->n[i];
        floor = f < floor ? f : floor;
    }
    atomic_store_explicit(&s->floor, floor, memory_order_release);
}

size_t rec_stream_queued(struct rec_stream *s)
{
    return atomic_load_explicit(&s->ring.head, memory_order_acquire) - atomic_load_explicit(&s->ring.tail, memory_order_acquire);
}

/* The recording ends: the writer finishes the file and takes s back. */
void rec_stream_close(struct rec_stream *s)
{
    s->frames = s->n[0] > s->n[1] ? s->n[0] : s->n[1];
    atomic_store_explicit(&s->closed, true, memory_order_release);
}

void rec_message_end(struct rec_stream *s)
{
    s->answer = true;
    rec_stream_close(s);
}

/* ---- the file ---- */

static void put16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)(v & 0xff);
    p[1] = (unsigned char)(v >> 8);
}

static bool write_all(int fd, const unsigned char *p, size_t n)
{
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        p += k;
        n -= (size_t)k;
    }
    return true;
}

static const char *what(const struct rec_stream *s)
{
    return s->channels == 1 ? "voice message" : "recording";
}

static void disk_error(struct rec_stream *s, const char *doing)
{
    s->failed = true;
    s->err = errno ? errno : EIO;
    log_error("tel: the %s of call %llu ends here (%.1f s kept): %s %s: %s", what(s), (unsigned long long)s->call,
              (double)s->written / 8000, doing, s->part, strerror(s->err));
}

static int ensure_dir(const char *path)
{
    if (mkdir(path, 0700) && errno != EEXIST)
        return err_set(WASL_EIO, "tel.io", "cannot create %s: %s", path, strerror(errno));
    return 0;
}

int rec_path(const char *root, const char *callid, uint64_t call, bool message, char *file, size_t n)
{
    char day[16], dir[1100], safe[64];
    int64_t now = clock_now_sec();
    int err;
    snprintf(day, sizeof(day), "%04d-%02d-%02d", 1970, 1, 1);
    struct tz_local l;
    const struct tz *z;
    if (!tz_get("UTC", &z) && !tz_to_local(z, now, &l))
        snprintf(day, sizeof(day), "%04d-%02d-%02d", l.year, l.month, l.day);
    size_t k = 0;
    for (const char *p = callid; *p && k < sizeof(safe) - 1; p++)
        safe[k++] = (char)((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ? *p : '_');
    safe[k] = '\0';
    if ((err = ensure_dir(root)))
        return err;
    snprintf(dir, sizeof(dir), "%s/%s", root, message ? "messages" : day);
    if ((err = ensure_dir(dir)))
        return err;
    snprintf(file, n, "%s/%s-%llu.wav", dir, safe, (unsigned long long)call);
    return 0;
}

void rec_part_path(const char *root, uint64_t call, bool message, char *file, size_t n)
{
    snprintf(file, n, "%s/.streaming/%s%llu.wav.part", root, message ? REC_MESSAGE_PART : "", (unsigned long long)call);
}

/* The header of a file of `frames` samples a side; UINT32_MAX sizes while
 * the length is unknown (what streaming writers put: a file cut by a crash
 * still plays to where it stops). */
static void header(unsigned char *h, size_t frames, int channels, bool known)
{
    wav_header(h, known ? (uint32_t)(frames * 2 * (size_t)channels) : UINT32_MAX, channels);
}

int rec_part_seal(const char *part, int channels, size_t *frames)
{
    unsigned char h[44];
    struct stat st;
    int fd = open(part, O_RDWR | O_CLOEXEC), err = 0;
    *frames = 0;
    if (fd < 0)
        return err_set(WASL_EIO, "tel.io", "cannot open %s: %s", part, strerror(errno));
    if (fstat(fd, &st) || st.st_size < (off_t)sizeof(h)) {
        err = err_set(WASL_EINVAL, "tel.io", "%s is not a WAV file (%lld bytes)", part, (long long)st.st_size);
        goto out;
    }
    /* whole samples only: a write the crash cut in the middle is dropped */
    *frames = (size_t)(st.st_size - (off_t)sizeof(h)) / (2 * (size_t)channels);
    if (*frames * 2 * (size_t)channels > UINT32_MAX - 36)
        *frames = (UINT32_MAX - 36) / (2 * (size_t)channels);
    header(h, *frames, channels, true);
    if (ftruncate(fd, (off_t)(sizeof(h) + *frames * 2 * (size_t)channels)) || pwrite(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
        fsync(fd))
        err = err_set(WASL_EIO, "tel.io", "cannot finish %s: %s", part, strerror(errno));
out:
    close(fd);
    return err;
}

static void stream_begin(struct rec_stream *s)
{
    char dir[1100];
    unsigned char h[44];
    snprintf(dir, sizeof(dir), "%s/.streaming", w.dir);
    rec_part_path(w.dir, s->call, s->channels == 1, s->part, sizeof(s->part));
    if (ensure_dir(w.dir) || ensure_dir(dir)) {
        err_clear();
        disk_error(s, "cannot create the folder of");
        return;
    }
    if ((s->fd = open(s->part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
        disk_error(s, "cannot create");
        return;
    }
    header(h, 0, s->channels, false);
    if (!write_all(s->fd, h, sizeof(h)))
        disk_error(s, "cannot write");
}

/* Writes the timeline's samples [base, to) (silence where nothing came). */
static void flush_to(struct rec_stream *s, size_t to)
{
    unsigned char buf[4 * 1024];
    size_t step = 2 * (size_t)s->channels;
    while (s->base < to) {
        size_t k = 0;
        for (; s->base < to && k < sizeof(buf); s->base++, k += step) {
            int16_t *x = s->win[s->base % REC_WIN];
            put16(buf + k, (uint16_t)x[0]);
            if (s->channels == 2)
                put16(buf + k + 2, (uint16_t)x[1]);
            x[0] = x[1] = 0;
        }
        if (s->failed)
            continue;
        if (!write_all(s->fd, buf, k))
            disk_error(s, "cannot write");
        else
            s->written += k / step;
    }
}

static void place(struct rec_stream *s, const struct rec_frame *f)
{
    size_t end = (size_t)f->pos + f->n;
    if (end > s->base + REC_WIN) /* a side far ahead: write the oldest out */
        flush_to(s, end - REC_WIN);
    for (size_t i = 0; i < f->n; i++) {
        size_t at = f->pos + i;
        if (at >= s->base) /* (never before base while the floor holds) */
            s->win[at % REC_WIN][f->ch] = f->pcm[i];
    }
}

/* Takes what the ring holds; true when it held something. */
static bool drain(struct rec_stream *s)
{
    bool any = false;
    for (struct rec_frame *f; (f = spsc_peek(&s->ring)); any = true) {
        place(s, f);
        spsc_pop(&s->ring);
    }
    return any;
}

/* A message of half a second or less (nothing said), or whose disk kept
 * less: no file. */
static bool message_empty(const struct rec_stream *s)
{
    return s->channels == 1 && (s->frames <= REC_SAID || s->written <= REC_SAID);
}

static void stream_end(struct rec_stream *s)
{
    bool message = s->channels == 1;
    struct rec_done d = {.call = s->call, .message = message, .answer = s->answer, .said = !message || s->frames > REC_SAID};
    unsigned char h[44];
    flush_to(s, s->frames);
    if (s->fd >= 0) {
        header(h, s->written, s->channels, true);
        if (message_empty(s)) {
            close(s->fd);
            if (remove(s->part) && errno != ENOENT)
                log_warn("tel: %s not deleted: %s", s->part, strerror(errno));
            s->fd = -1;
            s->part[0] = '\0';
            goto report;
        }
        if (!s->failed && (pwrite(s->fd, h, sizeof(h), 0) != (ssize_t)sizeof(h) || fsync(s->fd)))
            disk_error(s, "cannot finish");
        else if (s->failed && pwrite(s->fd, h, sizeof(h), 0) != (ssize_t)sizeof(h))
            log_error("tel: the header of %s could not be fixed: %s", s->part, strerror(errno));
        if (close(s->fd) && !s->failed)
            disk_error(s, "cannot close");
        s->fd = -1;
        if (rec_path(w.dir, s->callid, s->call, message, d.file, sizeof(d.file)) || rename(s->part, d.file)) {
            log_error("tel: the %s of call %llu stays in %s: %s", what(s), (unsigned long long)s->call, s->part, err_message());
            err_clear();
            snprintf(d.file, sizeof(d.file), "%s", s->part);
            if (!s->failed) {
                s->failed = true;
                s->err = EIO;
            }
        }
    } else if (message && s->part[0]) { /* the file could not be made: nothing kept */
        remove(s->part);
        s->part[0] = '\0';
    }
report:;
    uint64_t dropped = atomic_load_explicit(&s->dropped, memory_order_relaxed);
    if (dropped)
        log_warn("tel: the %s of call %llu lost %llu frames (%.1f s, silence in the file): the disk did not keep up", what(s),
                 (unsigned long long)s->call, (unsigned long long)dropped, (double)dropped * FRAME / 8000);
    d.seconds = message_empty(s) ? 0 : (int64_t)(s->written / 8000);
    d.dropped = dropped;
    d.error = s->failed ? (s->err == ENOSPC ? "disk_full" : "disk_error") : NULL;
    if (!message && s->fd < 0 && !d.file[0])
        snprintf(d.file, sizeof(d.file), "%s", s->part);
    snprintf(d.language, sizeof(d.language), "%s", s->language);
    snprintf(d.caller, sizeof(d.caller), "%s", s->caller);
    atomic_fetch_sub_explicit(&open_streams[message], 1, memory_order_relaxed);
    if (w.done)
        w.done(&d, w.arg);
}

/* One pass over every stream; true when there was work. Ending a stream
 * fsyncs its file (milliseconds on a real disk): when hundreds of calls end
 * together, one pass that ended them all left the others' rings undrained
 * long enough to fill (frames dropped in the 2,000-call benchmark). A pass
 * ends streams for END_BUDGET_US at most; the rest wait for the next pass,
 * which drains every ring first. */
#define END_BUDGET_US 5000
static bool writer_pass(bool stopping)
{
    bool busy = false;
    int64_t ends_until = mono_us() + END_BUDGET_US;
    struct rec_stream *fresh = atomic_exchange_explicit(&w.fresh, NULL, memory_order_acquire);
    while (fresh) {
        struct rec_stream *s = fresh;
        fresh = s->next_new;
        s->next = w.list;
        w.list = s;
        stream_begin(s);
    }
    for (struct rec_stream **p = &w.list; *p;) {
        struct rec_stream *s = *p;
        bool closed = atomic_load_explicit(&s->closed, memory_order_acquire);
        size_t floor = atomic_load_explicit(&s->floor, memory_order_acquire);
        busy |= drain(s);
        if (!s->warned && atomic_load_explicit(&s->dropped, memory_order_relaxed)) {
            s->warned = true;
            log_warn("tel: the %s of call %llu is dropping frames: the disk does not keep up (silence in their place)", what(s),
                     (unsigned long long)s->call);
        }
        if (closed && !stopping && mono_us() > ends_until) {
            busy = true; /* its end in the next pass */
            p = &s->next;
            continue;
        }
        if (closed || stopping) {
            if (!closed) /* the engine stopped without ending it */
                s->frames = s->base > floor ? s->base : floor;
            stream_end(s);
            *p = s->next;
            if (closed) { /* back to the stock, silent (flush_to zeroed what it wrote; a side far ahead is not) */
                memset(s->win, 0, sizeof(s->win));
                if (atomic_load_explicit(&w.nspare, memory_order_relaxed) < REC_SPARE_MAX)
                    spare_push(s);
                else
                    stream_free(s);
            }
            busy = true;
            continue;
        }
        flush_to(s, floor);
        p = &s->next;
    }
    /* the stock for the recordings to come */
    while (!stopping && atomic_load_explicit(&w.nspare, memory_order_relaxed) < REC_SPARE) {
        struct rec_stream *s = stream_new();
        if (!s)
            break;
        spare_push(s);
    }
    return busy;
}

static void *writer_main(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "wasl-recwrite"); /* top -H, perf, the benchmarks */
    /* below the real-time threads that feed it, above everything else on the
     * host: at normal priority it waited for a core behind the load beside
     * wasl until rings filled (frames dropped in 3 of 7 benchmark runs) */
    if (w.prio > 0) {
        struct sched_param sp = {.sched_priority = w.prio};
        if (pthread_setschedparam(pthread_self(), SCHED_RR, &sp))
            log_info("tel: the recording writer runs at normal priority");
    }
    struct timespec idle = {0, REC_IDLE_NS};
    while (!atomic_load(&w.stop))
        if (!writer_pass(false))
            nanosleep(&idle, NULL);
    writer_pass(true);
    return NULL;
}

int rec_writer_start(const char *dir, rec_done_h done, void *arg)
{
    if (w.running)
        return err_set(WASL_ECONFLICT, "tel.recording", "the recording writer is already running");
    snprintf(w.dir, sizeof(w.dir), "%s", dir);
    w.done = done;
    w.arg = arg;
    int64_t prio = conf_int("sip.realtime_priority");
    w.prio = prio > 1 ? (int)prio - 1 : 0;
    atomic_store(&w.stop, false);
    if (pthread_create(&w.thread, NULL, writer_main, NULL))
        return err_set(WASL_EINTERNAL, "tel.recording", "cannot start the recording writer thread");
    w.running = true;
    return 0;
}

/* Finishes every recording (those still open end where they are) and
 * frees the stock. */
void rec_writer_stop(void)
{
    if (!w.running)
        return;
    atomic_store(&w.stop, true);
    pthread_join(w.thread, NULL);
    w.running = false;
    for (struct rec_stream *s; (s = spare_pop());)
        stream_free(s);
}
