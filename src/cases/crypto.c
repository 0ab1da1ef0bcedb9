/*
 * Personal data at rest: fields sealed with XSalsa20-Poly1305 (libsodium
 * secretbox) under keys kept in a file outside the database, each blob
 * naming its key so keys can be rotated; keyed BLAKE2b blind indexes so a
 * phone number or an e-mail address can be found without storing it in
 * clear; PINs hashed with a key so a stolen database does not give them.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "cases_int.h"

#define KEYS_MAX 32

static struct {
    unsigned char key[crypto_secretbox_KEYBYTES];
    int id;
} keys[KEYS_MAX];
static int nkeys;
static char key_path[1024];
static pthread_mutex_t keys_lock = PTHREAD_MUTEX_INITIALIZER;

static int write_key(FILE *f, int id)
{
    unsigned char k[crypto_secretbox_KEYBYTES];
    char b64[sodium_base64_ENCODED_LEN(crypto_secretbox_KEYBYTES, sodium_base64_VARIANT_ORIGINAL)];
    randombytes_buf(k, sizeof(k));
    sodium_bin2base64(b64, sizeof(b64), k, sizeof(k), sodium_base64_VARIANT_ORIGINAL);
    sodium_memzero(k, sizeof(k));
    return fprintf(f, "k%d %s\n", id, b64) < 0 ? -1 : 0;
}

int keys_load(const char *path, bool create)
{
    FILE *f;
    char line[256];
    int lineno = 0;
    struct stat st;

    if (path != key_path)
        snprintf(key_path, sizeof(key_path), "%s", path);
    path = key_path;
    nkeys = 0;
    if (stat(path, &st) != 0) {
        if (!create)
            return err_set(WASL_ENOENT, "cases.no_key",
                           "the personal-data key file %s is missing: restore it from its safe copy (or run wasl init on a "
                           "new installation)",
                           path);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
        if (fd < 0 || !(f = fdopen(fd, "w"))) {
            if (fd >= 0)
                close(fd);
            return err_set(WASL_EIO, "cases.key_file", "cannot create %s: %s", path, strerror(errno));
        }
        fprintf(f, "# wasl personal-data keys. Keep this file secret, out of database backups, and copied to every\n"
                   "# node; without it the encrypted data cannot be read. The last key is the current one.\n");
        int rc = write_key(f, 1);
        if (fclose(f) || rc)
            return err_set(WASL_EIO, "cases.key_file", "cannot write %s", path);
        log_warn("cases: created a new personal-data key file %s; keep a safe copy", path);
    } else if (st.st_mode & 077) {
        log_warn("cases: %s can be read by other users; chmod 600 it", path);
    }
    if (!(f = fopen(path, "r")))
        return err_set(WASL_EIO, "cases.key_file", "cannot read %s: %s", path, strerror(errno));
    while (fgets(line, sizeof(line), f)) {
        char b64[200];
        int id;
        size_t n;
        lineno++;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        if (sscanf(line, "k%d %199s", &id, b64) != 2 || id < 1 || id > 255 || nkeys == KEYS_MAX ||
            sodium_base642bin(keys[nkeys].key, sizeof(keys[nkeys].key), b64, strlen(b64), NULL, &n, NULL,
                              sodium_base64_VARIANT_ORIGINAL) != 0 ||
            n != crypto_secretbox_KEYBYTES) {
            fclose(f);
            nkeys = 0;
            return err_set(WASL_EINVAL, "cases.key_file", "%s:%d: not a key line (k<id> <base64 of 32 bytes>)", path, lineno);
        }
        keys[nkeys++].id = id;
    }
    fclose(f);
    if (!nkeys)
        return err_set(WASL_EINVAL, "cases.key_file", "%s holds no key", path);
    return 0;
}

void keys_forget(void)
{
    sodium_memzero(keys, sizeof(keys));
    nkeys = 0;
}

int keys_current(void)
{
    return nkeys ? keys[nkeys - 1].id : 0;
}

int keys_add(void)
{
    FILE *f = fopen(key_path, "a");
    int id = keys_current() + 1, rc;
    if (!f)
        return err_set(WASL_EIO, "cases.key_file", "cannot append to %s: %s", key_path, strerror(errno));
    rc = write_key(f, id);
    if (fclose(f) || rc)
        return err_set(WASL_EIO, "cases.key_file", "cannot write %s", key_path);
    pthread_mutex_lock(&keys_lock);
    int err = keys_load(key_path, false);
    pthread_mutex_unlock(&keys_lock);
    return err;
}

static const unsigned char *key_by_id(int id)
{
    for (int i = 0; i < nkeys; i++)
        if (keys[i].id == id)
            return keys[i].key;
    return NULL;
}

int seal(const char *plain, unsigned char **blob, size_t *n)
{
    size_t len;
    unsigned char *b;

    *blob = NULL;
    *n = 0;
    if (!plain)
        return 0;
    if (!nkeys)
        return err_set(WASL_EINTERNAL, "cases.no_key", "no personal-data key loaded");
    len = strlen(plain);
    if (!(b = malloc(1 + crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + len)))
        return WASL_ENOMEM;
    b[0] = (unsigned char)keys[nkeys - 1].id;
    randombytes_buf(b + 1, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(b + 1 + crypto_secretbox_NONCEBYTES, (const unsigned char *)plain, len, b + 1, keys[nkeys - 1].key);
    *blob = b;
    *n = 1 + crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + len;
    return 0;
}

int sealed_key(const void *blob, size_t n)
{
    return blob && n ? ((const unsigned char *)blob)[0] : 0;
}

int unseal(const void *blob, size_t n, char **plain)
{
    const unsigned char *b = blob;
    const unsigned char *k;
    size_t len;

    *plain = NULL;
    if (!blob || n == 0)
        return 0;
    if (n < 1 + crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
        return err_set(WASL_EDB, "cases.corrupt", "a sealed field is too short");
    if (!(k = key_by_id(b[0])))
        return err_set(WASL_EINTERNAL, "cases.unknown_key", "a field is sealed with key %d, which is not in the key file", b[0]);
    len = n - 1 - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
    if (!(*plain = malloc(len + 1)))
        return WASL_ENOMEM;
    if (crypto_secretbox_open_easy((unsigned char *)*plain, b + 1 + crypto_secretbox_NONCEBYTES,
                                   n - 1 - crypto_secretbox_NONCEBYTES, b + 1, k) != 0) {
        free(*plain);
        *plain = NULL;
        return err_set(WASL_EDB, "cases.corrupt", "a sealed field fails its authentication: it was altered");
    }
    (*plain)[len] = '\0';
    return 0;
}

/* A sub-key for one purpose, derived from the first key of the file: PIN
 * hashes cannot be recomputed (the PINs are not kept), so the keys they and
 * the blind indexes use stay the same when the sealing key is rotated. */
static void subkey(const char *purpose, unsigned char out[32])
{
    unsigned char zero[crypto_secretbox_KEYBYTES] = {0};
    crypto_generichash(out, 32, (const unsigned char *)purpose, strlen(purpose), nkeys ? keys[0].key : zero,
                       crypto_secretbox_KEYBYTES);
}

void blind_index(const char *kind, const char *normalized, char out[65])
{
    unsigned char k[32], h[32];
    char purpose[64];
    snprintf(purpose, sizeof(purpose), "wasl-blind-index-%s", kind);
    subkey(purpose, k);
    crypto_generichash(h, sizeof(h), (const unsigned char *)normalized, strlen(normalized), k, sizeof(k));
    hex_encode(out, h, sizeof(h));
    sodium_memzero(k, sizeof(k));
}

void pin_hash(const char *reference, const char *pin, char out[65])
{
    unsigned char k[32], h[32];
    char msg[64];
    subkey("wasl-case-pin", k);
    snprintf(msg, sizeof(msg), "%s:%s", reference, pin);
    crypto_generichash(h, sizeof(h), (const unsigned char *)msg, strlen(msg), k, sizeof(k));
    hex_encode(out, h, sizeof(h));
    sodium_memzero(k, sizeof(k));
}

int personal_seal(const char *plain, unsigned char **blob, size_t *n)
{
    return seal(plain, blob, n);
}

int personal_unseal(const void *blob, size_t n, char **plain)
{
    return unseal(blob, n, plain);
}

void personal_phone_index(const char *e164, char out[65])
{
    blind_index("phone", e164, out);
}

void personal_keyed_digest(const char *purpose, const char *text, char out[65])
{
    blind_index(purpose, text, out);
}
