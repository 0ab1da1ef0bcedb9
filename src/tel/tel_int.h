/*
 * tel internals shared by the files of src/tel and its tests.
 */
#ifndef WASL_TEL_INT_H
#define WASL_TEL_INT_H

#include "tel.h"
#include "geo/geo.h"

/* ---- dialplan.c: toll-free numbers and the toll-fraud guard ---- */
/* The digits of a number as written ("+33 800-100", "0033..."): 6 to 15. */
int dialplan_digits(const char *in, char *out, size_t n);
/* Both files' texts (numbers.csv, outbound.csv); replaces the plan only
 * when both are valid. */
int dialplan_parse(const char *numbers, size_t nlen, const char *outbound, size_t olen);
int dialplan_load(const char *data_dir);
/* The country of a toll-free number as the trunk sends it, NULL if none. */
const char *dialplan_country(const char *ruri_user);
int dialplan_numbers(void);
const char *dialplan_number_at(int i, const char **country);
/* 0 when wasl may call this number (a callback): E.164 digits to e164 and
 * the country. WASL_EPERM "tel.number_not_covered" / "tel.number_blocked". */
int dialplan_outbound_check(const char *number, char *e164, size_t n, const char **country);

/* ---- audio.c: prompts and music as 8 kHz samples, loaded at start ---- */
struct audio {
    int16_t *pcm;
    size_t n;
};
/* Loads every prompt of every language (a recording in data/prompts/<lang>/
 * wins over the generated one in gen_dir/<lang>/) and the music on hold. */
int audio_load(const char *data_dir, const char *gen_dir);
void audio_unload(void);
const struct audio *audio_prompt(const char *lang, const char *id);
const struct audio *audio_moh(void);
/* Writes 8 kHz 16-bit WAV, mono or stereo (samples interleaved). */
int wav_write(const char *path, const int16_t *pcm, size_t frames, int channels);
/* Reads an 8 kHz mono 16-bit PCM WAV (malloc'd samples). */
int wav_parse(const unsigned char *b, size_t len, int16_t **pcm, size_t *n);
int wav_read(const char *path, int16_t **pcm, size_t *n);

/* ---- digest.c: HTTP digest (RFC 2617, MD5, qop=auth) for REGISTER ---- */
void digest_ha1(const char *user, const char *realm, const char *password, char out[33]);
/* A nonce that carries its own time and a MAC: no state kept per nonce. */
void digest_nonce(int64_t now, char out[64]);
/* 0: fresh and ours; 1: ours but stale; -1: not ours. */
int digest_nonce_check(const char *nonce, int64_t now, int64_t ttl);
void digest_response(const char *ha1, const char *nonce, const char *nc, const char *cnonce, const char *qop, const char *method,
                     const char *uri, char out[33]);

/* ---- addresses ---- */
/* A comma-separated list of addresses and CIDR networks
 * ("127.0.0.1,10.0.0.0/8,::1"), parsed once: every SIP request is checked
 * against it. */
#define ADDR_LIST_MAX 32
struct addr_net {
    int af;
    unsigned char a[16];
    int bits;
};
struct addr_list {
    struct addr_net net[ADDR_LIST_MAX];
    int n;
};
/* Parses text; the error names the bad item. */
int addr_list_parse(const char *text, struct addr_list *out);
/* Whether an address (text; IPv4-mapped IPv6 counts as IPv4) is in it. */
bool addr_list_has(const struct addr_list *l, const char *addr);

#endif
