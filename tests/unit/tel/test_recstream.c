/*
 * Call recordings streamed to disk (src/tel/recstream.c) through core's
 * lock-free ring (src/core/ring.c): frames in, the exact bytes of the WAV
 * out, as the recording held in memory made them; a writer that does not
 * drain (a stalled disk): the producer never waits, the frames that find
 * the ring full are counted and are silence in a file that stays valid;
 * a full disk (ENOSPC) ends the recording with the error reported. Voice
 * messages go the same way (mono): the exact bytes the old in-memory
 * message made, nothing kept when nothing was said, a full disk reported
 * with nothing kept, the part a crash leaves sealed to a playable file;
 * the streams come from the writer's stock, not from the recorder's malloc.
 */
#include <errno.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "tel/rt.h"

/* ---- the ring ---- */

static void ring_order_and_full(void **state)
{
    (void)state;
    int slots[4];
    struct spsc_ring r;
    spsc_init(&r, slots, sizeof(int), 4);
    assert_null(spsc_peek(&r));
    for (int round = 0; round < 3; round++) { /* wraps around */
        for (int i = 0; i < 4; i++) {
            int *s = spsc_slot(&r);
            assert_non_null(s);
            *s = round * 10 + i;
            spsc_push(&r);
        }
        assert_null(spsc_slot(&r)); /* full: the producer is told, not held */
        for (int i = 0; i < 4; i++) {
            int *s = spsc_peek(&r);
            assert_non_null(s);
            assert_int_equal(*s, round * 10 + i);
            spsc_pop(&r);
        }
        assert_null(spsc_peek(&r));
    }
}

/* ---- the writer ---- */

static pthread_mutex_t mx = PTHREAD_MUTEX_INITIALIZER;
static struct rec_done got[8];
static int ngot;

static void done(const struct rec_done *d, void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mx);
    if (ngot < 8) {
        got[ngot] = *d;
        got[ngot].error = NULL;
        if (d->error)
            got[ngot].error = strdup(d->error);
        ngot++;
    }
    pthread_mutex_unlock(&mx);
}

/* Waits (5 s at most) for the writer to report n recordings. */
static void wait_done(int n)
{
    for (int i = 0; i < 500; i++) {
        pthread_mutex_lock(&mx);
        int k = ngot;
        pthread_mutex_unlock(&mx);
        if (k >= n)
            return;
        struct timespec t = {0, 10000000L};
        nanosleep(&t, NULL);
    }
    fail_msg("the writer did not finish %d recording(s)", n);
}

/* Waits (5 s at most) until the writer took every frame of s's ring. */
static void wait_drained(struct rec_stream *s)
{
    for (int i = 0; i < 500 && rec_stream_queued(s); i++) {
        struct timespec t = {0, 2000000L};
        nanosleep(&t, NULL);
    }
    assert_int_equal(rec_stream_queued(s), 0);
}

static char *tmp_dir(void)
{
    char *p = test_tmp_path("rec");
    assert_non_null(p);
    return p;
}

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(len ? (size_t)len : 1);
    assert_int_equal(fread(b, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return b;
}

/* The recording as it was held in memory before (media.c's rec_add and
 * jobs.c's stereo file), the oracle of the streamed one. */
struct mem_rec {
    int16_t s[2][8000 * 20];
    size_t n[2];
};

static void mem_add(struct mem_rec *m, int ch, const int16_t *pcm, size_t n, int64_t elapsed_us)
{
    size_t expected = (size_t)(elapsed_us * 8 / 1000);
    size_t pad = expected > m->n[ch] + n + 800 ? expected - m->n[ch] - n : 0;
    memset(m->s[ch] + m->n[ch], 0, pad * 2);
    memcpy(m->s[ch] + m->n[ch] + pad, pcm, n * 2);
    m->n[ch] += pad + n;
}

static void put16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)(v & 0xff);
    p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
    put16(p, (uint16_t)(v & 0xffff));
    put16(p + 2, (uint16_t)(v >> 16));
}

/* The bytes wav_write made of the two sides. */
static unsigned char *mem_wav(const struct mem_rec *m, size_t *len)
{
    size_t frames = m->n[0] > m->n[1] ? m->n[0] : m->n[1];
    unsigned char *b = calloc(1, 44 + frames * 4);
    memcpy(b, "RIFF", 4);
    put32(b + 4, (uint32_t)(36 + frames * 4));
    memcpy(b + 8, "WAVEfmt ", 8);
    put32(b + 16, 16);
    put16(b + 20, 1);
    put16(b + 22, 2);
    put32(b + 24, 8000);
    put32(b + 28, 32000);
    put16(b + 32, 4);
    put16(b + 34, 16);
    memcpy(b + 36, "data", 4);
    put32(b + 40, (uint32_t)(frames * 4));
    for (size_t i = 0; i < frames; i++) {
        put16(b + 44 + 4 * i, (uint16_t)(i < m->n[0] ? m->s[0][i] : 0));
        put16(b + 46 + 4 * i, (uint16_t)(i < m->n[1] ? m->s[1][i] : 0));
    }
    *len = 44 + frames * 4;
    return b;
}

static bool ends_with(const char *s, const char *tail)
{
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && !strcmp(s + a - b, tail);
}

/* 12 s of a call: the caller's 20 ms frames in time, the agent's a little
 * late and out of step, a 2 s hold on the agent's side (silence padded),
 * a burst of three frames in one packet, and the caller going on alone
 * for 600 ms at the end: byte for byte the file the memory made. */
static void frames_in_exact_bytes_out(void **state)
{
    (void)state;
    static struct mem_rec m;
    char *dir = tmp_dir();
    ngot = 0;
    assert_int_equal(rec_writer_start(dir, done, NULL), 0);
    struct rec_stream *s = rec_stream_open(42, "a1b2@host:5060");
    assert_non_null(s);
    int16_t pcm[480];
    uint64_t dropped0 = rec_frames_dropped();
    for (int t = 0; t < 600; t++) { /* 20 ms steps */
        int64_t at = (int64_t)t * 20000;
        for (int i = 0; i < 480; i++)
            pcm[i] = (int16_t)(t * 131 + i * 7 - 20000);
        rec_stream_add(s, 0, pcm, 160, at + 300);
        mem_add(&m, 0, pcm, 160, at + 300);
        bool held = t >= 200 && t < 300;
        if (t < 570 && !held && t % 30 != 29) {
            size_t n = t % 30 == 0 && t ? 480 : 160; /* a late packet of 60 ms now and then */
            for (int i = 0; i < 480; i++)
                pcm[i] = (int16_t)(-t * 17 + i * 3 + 1000);
            rec_stream_add(s, 1, pcm, n, at + 7000);
            mem_add(&m, 1, pcm, n, at + 7000);
        }
        if (t % 50 == 49) /* faster than time: let the writer take what is there */
            wait_drained(s);
    }
    rec_stream_close(s);
    wait_done(1);
    assert_int_equal(rec_frames_dropped() - dropped0, 0);
    assert_null(got[0].error);
    assert_int_equal(got[0].call, 42);
    assert_true(ends_with(got[0].file, "/a1b2_host_5060-42.wav"));
    assert_int_equal(strncmp(got[0].file, dir, strlen(dir)), 0);
    size_t n, want_n;
    unsigned char *b = slurp(got[0].file, &n), *want = mem_wav(&m, &want_n);
    assert_int_equal(n, want_n);
    assert_memory_equal(b, want, n);
    assert_int_equal(got[0].seconds, (int64_t)((n - 44) / 4 / 8000));
    free(b);
    free(want);
    rec_writer_stop();
    free(dir);
}

/* The writer does not drain (started late: a disk that stalled): 300
 * frames for a ring of 200. The producer never waits; 100 are dropped and
 * counted; the file keeps the timeline with silence where they were. */
static void stalled_writer_drops_counted_file_valid(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    ngot = 0;
    uint64_t dropped0 = rec_frames_dropped();
    struct rec_stream *s = rec_stream_open(7, "stall");
    assert_non_null(s);
    int16_t pcm[160];
    for (int t = 0; t < 300; t++) {
        for (int i = 0; i < 160; i++)
            pcm[i] = (int16_t)(t + 1);
        rec_stream_add(s, 0, pcm, 160, (int64_t)t * 20000);
    }
    assert_int_equal(rec_frames_dropped() - dropped0, 100);
    assert_int_equal(rec_writer_start(dir, done, NULL), 0);
    rec_stream_close(s);
    wait_done(1);
    assert_null(got[0].error);
    assert_int_equal(got[0].dropped, 100);
    size_t n;
    unsigned char *b = slurp(got[0].file, &n);
    assert_int_equal(n, 44 + 300 * 160 * 4); /* the whole timeline */
    assert_memory_equal(b, "RIFF", 4);
    assert_int_equal(b[4] | b[5] << 8 | b[6] << 16 | (uint32_t)b[7] << 24, n - 8);
    assert_int_equal(b[40] | b[41] << 8 | b[42] << 16 | (uint32_t)b[43] << 24, n - 44);
    for (int t = 0; t < 300; t++) {
        const unsigned char *f = b + 44 + (size_t)t * 160 * 4;
        int16_t left = (int16_t)(f[0] | f[1] << 8), right = (int16_t)(f[2] | f[3] << 8);
        assert_int_equal(left, t < 200 ? t + 1 : 0);
        assert_int_equal(right, 0);
    }
    free(b);
    rec_writer_stop();
    free(dir);
}

/* A full disk for the recording of call (or its message): its part file
 * is /dev/full. */
static void full_disk_for(const char *dir, uint64_t call, bool message, char *path, size_t n)
{
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(path, n, "%s/.streaming", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    rec_part_path(dir, call, message, path, n);
    assert_int_equal(symlink("/dev/full", path), 0);
}

/* The disk is full (the file is /dev/full): the recording ends with the
 * error reported, the writer and the others go on. */
static void disk_full_ends_recording(void **state)
{
    (void)state;
    char *dir = tmp_dir(), path[1400];
    ngot = 0;
    full_disk_for(dir, 9, false, path, sizeof(path));
    assert_int_equal(rec_writer_start(dir, done, NULL), 0);
    struct rec_stream *s = rec_stream_open(9, "full"), *ok = rec_stream_open(10, "fine");
    int16_t pcm[160] = {1};
    for (int t = 0; t < 100; t++) {
        rec_stream_add(s, 0, pcm, 160, (int64_t)t * 20000);
        rec_stream_add(ok, 1, pcm, 160, (int64_t)t * 20000);
    }
    rec_stream_close(s);
    rec_stream_close(ok);
    wait_done(2);
    rec_writer_stop();
    const struct rec_done *full = got[0].call == 9 ? &got[0] : &got[1], *fine = got[0].call == 9 ? &got[1] : &got[0];
    assert_non_null(full->error);
    assert_string_equal(full->error, "disk_full");
    assert_int_equal(full->seconds, 0);
    assert_null(fine->error);
    size_t n;
    unsigned char *b = slurp(fine->file, &n);
    assert_int_equal(n, 44 + 100 * 160 * 4);
    free(b);
    free(dir);
}

/* ---- voice messages ---- */

/* The message as it was held in memory before (media.c's rec_add, then
 * jobs.c's wav_write of channel 0): the oracle of the streamed one. */
static unsigned char *mono_wav(const struct mem_rec *m, size_t *len)
{
    size_t frames = m->n[0];
    unsigned char *b = calloc(1, 44 + frames * 2);
    wav_header(b, (uint32_t)(frames * 2), 1);
    for (size_t i = 0; i < frames; i++)
        put16(b + 44 + 2 * i, (uint16_t)m->s[0][i]);
    *len = 44 + frames * 2;
    return b;
}

/* The message of call left nothing in .streaming/. */
static void part_gone(const char *dir, uint64_t call)
{
    char part[1400];
    struct stat st;
    rec_part_path(dir, call, true, part, sizeof(part));
    assert_int_equal(lstat(part, &st), -1);
}

/* 8 s of a caller leaving a message: 20 ms packets, a 60 ms one now and
 * then, 1 s of silence suppression (padded), and the caller going quiet
 * for the last 90 ms: the mono file byte for byte, at messages/, reported
 * as a message said, waited for, with its language and number. */
static void message_exact_bytes(void **state)
{
    (void)state;
    static struct mem_rec m;
    memset(&m, 0, sizeof(m));
    char *dir = tmp_dir();
    ngot = 0;
    assert_int_equal(rec_writer_start(dir, done, NULL), 0);
    struct rec_stream *s = rec_message_open(77, "msg@host", "fr", "33612345607");
    assert_non_null(s);
    int16_t pcm[480];
    for (int t = 0; t < 400; t++) {
        if (t >= 100 && t < 150)
            continue; /* silence suppressed: nothing sent for a second */
        size_t n = t % 40 == 0 && t ? 480 : 160;
        for (int i = 0; i < 480; i++)
            pcm[i] = (int16_t)(t * 97 - i * 5 + 300);
        rec_stream_add(s, 0, pcm, n, (int64_t)t * 20000 + 500);
        mem_add(&m, 0, pcm, n, (int64_t)t * 20000 + 500);
        rec_stream_add(s, 1, pcm, n, (int64_t)t * 20000 + 500); /* a message has one side: ignored */
        if (t % 50 == 49)
            wait_drained(s);
    }
    rec_message_end(s);
    wait_done(1);
    assert_true(got[0].message && got[0].said && got[0].answer);
    assert_null(got[0].error);
    assert_int_equal(got[0].call, 77);
    assert_string_equal(got[0].language, "fr");
    assert_string_equal(got[0].caller, "33612345607");
    assert_true(ends_with(got[0].file, "/messages/msg_host-77.wav"));
    size_t n, want_n;
    unsigned char *b = slurp(got[0].file, &n), *want = mono_wav(&m, &want_n);
    assert_int_equal(n, want_n);
    assert_memory_equal(b, want, n);
    assert_int_equal(got[0].seconds, (int64_t)((n - 44) / 2 / 8000));
    part_gone(dir, 77); /* moved, not copied */
    free(b);
    free(want);
    rec_writer_stop();
    free(dir);
}

/* Half a second or less: nothing was said; no file is left anywhere, the
 * IVR is answered (not stored). */
static void message_nothing_said(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    ngot = 0;
    assert_int_equal(rec_writer_start(dir, done, NULL), 0);
    struct rec_stream *s = rec_message_open(78, "quiet", "ar", "");
    int16_t pcm[160] = {5};
    for (int t = 0; t < 20; t++) /* 0.4 s */
        rec_stream_add(s, 0, pcm, 160, (int64_t)t * 20000);
    rec_message_end(s);
    wait_done(1);
    assert_true(got[0].message && got[0].answer);
    assert_false(got[0].said);
    assert_string_equal(got[0].file, "");
    part_gone(dir, 78);
    rec_writer_stop();
    free(dir);
}

/* The disk is full from the start (the part is /dev/full): the message is
 * reported said but failed (disk_full), with nothing kept and no file left
 * (the link to /dev/full is gone too). */
static void message_disk_full(void **state)
{
    (void)state;
    char *dir = tmp_dir(), path[1400];
    ngot = 0;
    full_disk_for(dir, 79, true, path, sizeof(path));
    assert_int_equal(rec_writer_start(dir, done, NULL), 0);
    struct rec_stream *s = rec_message_open(79, "full", "fr", "33612345608");
    int16_t pcm[160] = {1};
    for (int t = 0; t < 150; t++)
        rec_stream_add(s, 0, pcm, 160, (int64_t)t * 20000);
    rec_message_end(s);
    wait_done(1);
    assert_true(got[0].message && got[0].said && got[0].answer);
    assert_non_null(got[0].error);
    assert_string_equal(got[0].error, "disk_full");
    assert_int_equal(got[0].seconds, 0);
    assert_string_equal(got[0].file, "");
    part_gone(dir, 79);
    rec_writer_stop();
    free(dir);
}

/* A crash during a message: what the writer put on disk so far (a copy of
 * the part taken while the message goes on, as kill -9 would leave it) is
 * sealed into a playable WAV of what was said, sample for sample, within
 * the writer's hold (REC_FLOOR, 160 ms) of the last frame. */
static void crash_part_sealed(void **state)
{
    (void)state;
    static struct mem_rec m;
    memset(&m, 0, sizeof(m));
    char *dir = tmp_dir(), part[1400], copy[1500];
    ngot = 0;
    assert_int_equal(rec_writer_start(dir, done, NULL), 0);
    struct rec_stream *s = rec_message_open(80, "crash", "fr", "33612345609");
    int16_t pcm[160];
    for (int t = 0; t < 150; t++) { /* 3 s */
        for (int i = 0; i < 160; i++)
            pcm[i] = (int16_t)(t * 11 + i);
        rec_stream_add(s, 0, pcm, 160, (int64_t)t * 20000);
        mem_add(&m, 0, pcm, 160, (int64_t)t * 20000);
    }
    wait_drained(s);
    rec_part_path(dir, 80, true, part, sizeof(part));
    size_t n = 0;
    unsigned char *b = NULL;
    for (int i = 0; i < 500; i++) { /* the writer's next pass writes up to the floor */
        free(b);
        b = slurp(part, &n);
        if (n >= 44 + (150 * 160 - 1280) * 2)
            break;
        struct timespec ts = {0, 10000000L};
        nanosleep(&ts, NULL);
    }
    assert_true(n >= 44 + (150 * 160 - 1280) * 2);
    assert_int_equal(b[40] | b[41] << 8 | b[42] << 16 | (uint32_t)b[43] << 24, UINT32_MAX); /* "unknown length" */
    snprintf(copy, sizeof(copy), "%s/cut.wav", dir);
    FILE *f = fopen(copy, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n, f), n);
    assert_int_equal(fputc(0x7f, f), 0x7f); /* and half a sample: a write cut by the crash */
    fclose(f);
    free(b);
    size_t frames = 0;
    assert_int_equal(rec_part_seal(copy, 1, &frames), 0);
    assert_int_equal(frames, (n - 44) / 2);
    int16_t *pcm_back = NULL;
    size_t back = 0;
    assert_int_equal(wav_read(copy, &pcm_back, &back), 0); /* a valid WAV of the whole samples */
    assert_int_equal(back, frames);
    assert_memory_equal(pcm_back, m.s[0], frames * 2);
    free(pcm_back);
    rec_message_end(s);
    wait_done(1);
    rec_writer_stop();
    free(dir);
}

/* The recorder takes its streams from the writer's stock: opening one
 * allocates nothing (the memory held stays the same) and the stock is
 * topped up by the writer; what the streams hold is the same however long
 * a message lasts. */
static void streams_from_the_stock(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    struct rec_stats st, st2;
    ngot = 0;
    assert_int_equal(rec_writer_start(dir, done, NULL), 0);
    for (int i = 0; i < 500; i++) { /* the writer's first pass fills the stock */
        rec_stats(&st);
        if (st.bytes)
            break;
        struct timespec ts = {0, 2000000L};
        nanosleep(&ts, NULL);
    }
    assert_true(st.bytes > 0);
    struct rec_stream *s = rec_message_open(81, "stock", "fr", "");
    rec_stats(&st2);
    assert_int_equal(st2.bytes, st.bytes);
    assert_int_equal(st2.messages, st.messages + 1);
    int16_t pcm[160] = {3};
    for (int t = 0; t < 3000; t++) { /* a minute */
        rec_stream_add(s, 0, pcm, 160, (int64_t)t * 20000);
        if (t % 50 == 49)
            wait_drained(s);
    }
    rec_stats(&st2);
    assert_true(st2.bytes <= st.bytes + 8 * (st.bytes / 8)); /* at most the stock topped up again, nothing per second */
    rec_message_end(s);
    wait_done(1);
    assert_int_equal(got[0].seconds, 60);
    rec_writer_stop();
    rec_stats(&st2);
    assert_int_equal(st2.bytes, 0); /* the stock freed with the writer */
    free(dir);
}

/* A failed check leaves no writer running for the next test. */
static int teardown(void **state)
{
    (void)state;
    rec_writer_stop();
    for (int i = 0; i < ngot; i++) {
        free((char *)got[i].error);
        got[i].error = NULL;
    }
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ring_order_and_full),
        cmocka_unit_test_teardown(frames_in_exact_bytes_out, teardown),
        cmocka_unit_test_teardown(stalled_writer_drops_counted_file_valid, teardown),
        cmocka_unit_test_teardown(disk_full_ends_recording, teardown),
        cmocka_unit_test_teardown(message_exact_bytes, teardown),
        cmocka_unit_test_teardown(message_nothing_said, teardown),
        cmocka_unit_test_teardown(message_disk_full, teardown),
        cmocka_unit_test_teardown(crash_part_sealed, teardown),
        cmocka_unit_test_teardown(streams_from_the_stock, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
