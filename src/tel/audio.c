/*
 * The sound wasl plays: every prompt of every language and the music on
 * hold, read once at start into memory as 8 kHz 16-bit samples (about
 * 40 MB for the seven shipped languages), so the real-time thread never touches a
 * file. A recording dropped into data/prompts/<lang>/<id>.wav replaces the
 * voice generated under build/prompts/<lang>/<id>.wav. Also WAV reading
 * and writing (RIFF, PCM only).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tel_int.h"

#define SLOTS 8192 /* power of two, > prompts of all languages */

struct slot {
    char key[3 + IVR_NAME_MAX + 1]; /* "fr/welcome" */
    struct audio a;
};

static struct slot *slots;
static struct audio moh;

static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static struct slot *find(const char *key, bool add)
{
    if (!slots)
        return NULL;
    for (uint32_t i = hash(key) & (SLOTS - 1), k = 0; k < SLOTS; i = (i + 1) & (SLOTS - 1), k++) {
        if (!slots[i].key[0])
            return add ? &slots[i] : NULL;
        if (!strcmp(slots[i].key, key))
            return &slots[i];
    }
    return NULL;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int wav_parse(const unsigned char *b, size_t len, int16_t **pcm, size_t *n)
{
    size_t pos = 12;
    bool fmt_ok = false;

    *pcm = NULL;
    *n = 0;
    if (len < 12 || memcmp(b, "RIFF", 4) || memcmp(b + 8, "WAVE", 4))
        return err_set(WASL_EINVAL, "tel.bad_wav", "not a RIFF WAVE file");
    while (pos + 8 <= len) {
        uint32_t size = le32(b + pos + 4);
        const unsigned char *body = b + pos + 8;
        size_t avail = len - pos - 8;
        if (size > avail)
            size = (uint32_t)avail; /* a truncated last chunk: take what is there */
        if (!memcmp(b + pos, "fmt ", 4)) {
            if (size < 16)
                return err_set(WASL_EINVAL, "tel.bad_wav", "short fmt chunk");
            unsigned format = body[0] | body[1] << 8, channels = body[2] | body[3] << 8, bits = body[14] | body[15] << 8;
            uint32_t rate = le32(body + 4);
            if ((format != 1 && format != 0xfffe) || channels != 1 || bits != 16 || rate != 8000)
                return err_set(WASL_EINVAL, "tel.bad_wav", "must be 8000 Hz, mono, 16-bit PCM (%u Hz, %u channels, %u bits)", rate,
                               channels, bits);
            fmt_ok = true;
        } else if (!memcmp(b + pos, "data", 4)) {
            if (!fmt_ok)
                return err_set(WASL_EINVAL, "tel.bad_wav", "data before fmt");
            size_t count = size / 2;
            int16_t *s = malloc(count ? count * 2 : 1);
            if (!s)
                return WASL_ENOMEM;
            for (size_t i = 0; i < count; i++)
                s[i] = (int16_t)(body[2 * i] | body[2 * i + 1] << 8);
            *pcm = s;
            *n = count;
            return 0;
        }
        pos += 8 + (size_t)size + (size & 1);
    }
    return err_set(WASL_EINVAL, "tel.bad_wav", "no data chunk");
}

int wav_read(const char *path, int16_t **pcm, size_t *n)
{
    char *buf;
    size_t len;
    int err = file_read(path, &buf, &len, 64u << 20);
    if (!err) {
        err = wav_parse((const unsigned char *)buf, len, pcm, n);
        if (err) {
            char m[256];
            snprintf(m, sizeof(m), "%s", err_message());
            err = err_set(err, err_code(), "%s: %s", path, m);
        }
        free(buf);
    }
    return err;
}

static void put16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}
static void put32(unsigned char *p, uint32_t v)
{
    put16(p, v & 0xffff);
    put16(p + 2, v >> 16);
}

void wav_header(unsigned char *h, uint32_t data, int channels)
{
    memcpy(h, "RIFF", 4);
    put32(h + 4, data == UINT32_MAX ? UINT32_MAX : 36 + data);
    memcpy(h + 8, "WAVEfmt ", 8);
    put32(h + 16, 16);
    put16(h + 20, 1);
    put16(h + 22, (unsigned)channels);
    put32(h + 24, 8000);
    put32(h + 28, 8000u * 2u * (unsigned)channels);
    put16(h + 32, 2u * (unsigned)channels);
    put16(h + 34, 16);
    memcpy(h + 36, "data", 4);
    put32(h + 40, data);
}

int wav_write(const char *path, const int16_t *pcm, size_t frames, int channels)
{
    unsigned char h[44];
    char tmp[1200];
    FILE *f;

    wav_header(h, (uint32_t)(frames * (size_t)channels * 2), channels);
    snprintf(tmp, sizeof(tmp), "%s.part", path);
    if (!(f = fopen(tmp, "wb")))
        return err_set(WASL_EIO, "tel.io", "cannot write %s", tmp);
    bool ok = fwrite(h, 1, sizeof(h), f) == sizeof(h);
    for (size_t i = 0; ok && i < frames * (size_t)channels; i++) {
        unsigned char s[2];
        put16(s, (uint16_t)pcm[i]);
        ok = fwrite(s, 1, 2, f) == 2;
    }
    ok = (fflush(f) == 0) && ok;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path)) {
        remove(tmp);
        return err_set(WASL_EIO, "tel.io", "cannot write %s", path);
    }
    return 0;
}

int audio_load(const char *data_dir, const char *gen_dir)
{
    char path[1400];
    int missing = 0, loaded = 0, err;
    const char *first_missing = NULL;

    audio_unload();
    if (!(slots = calloc(SLOTS, sizeof(*slots))))
        return WASL_ENOMEM;
    for (int l = 0; l < wasl_nlanguages; l++) {
        const char *lang = wasl_languages[l];
        for (int k = 0; k < prompts_count(lang); k++) {
            const char *id = prompts_id_at(lang, k);
            char key[sizeof(slots[0].key)];
            struct slot *s;
            snprintf(key, sizeof(key), "%s/%s", lang, id);
            if (!(s = find(key, true)))
                return err_set(WASL_ENOMEM, "tel.too_many_prompts", "more than %d prompts", SLOTS);
            snprintf(path, sizeof(path), "%s/prompts/%s/%s.wav", data_dir, lang, id);
            if (access(path, R_OK) != 0)
                snprintf(path, sizeof(path), "%s/%s/%s.wav", gen_dir, lang, id);
            if ((err = wav_read(path, &s->a.pcm, &s->a.n))) {
                if (err != WASL_ENOENT)
                    return err;
                err_clear();
                if (!missing++)
                    first_missing = id;
                continue;
            }
            snprintf(s->key, sizeof(s->key), "%s", key);
            loaded++;
        }
    }
    snprintf(path, sizeof(path), "%s/moh.wav", gen_dir);
    if ((err = wav_read(path, &moh.pcm, &moh.n))) {
        if (err != WASL_ENOENT)
            return err;
        err_clear();
        missing++;
    }
    if (missing)
        log_warn("tel: %d prompt recordings are missing under %s (first: %s): run `wasl prompts generate` (make does)", missing,
                 gen_dir, first_missing ? first_missing : "moh");
    log_info("tel: %d prompts loaded", loaded);
    return 0;
}

void audio_unload(void)
{
    if (slots) {
        for (int i = 0; i < SLOTS; i++)
            free(slots[i].a.pcm);
        free(slots);
        slots = NULL;
    }
    free(moh.pcm);
    moh = (struct audio){0};
}

const struct audio *audio_prompt(const char *lang, const char *id)
{
    char key[3 + IVR_NAME_MAX + 1];
    struct slot *s;
    snprintf(key, sizeof(key), "%s/%s", lang, id);
    s = find(key, false);
    return s && s->a.pcm ? &s->a : NULL;
}

const struct audio *audio_moh(void)
{
    return moh.pcm ? &moh : NULL;
}
