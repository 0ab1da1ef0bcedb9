/*
 * HTTPS: the certificate and key that libmicrohttpd's TLS (GnuTLS) shows,
 * read from http.tls_cert and http.tls_key and given for each handshake by
 * a callback, so that a renewed certificate is taken without a restart:
 * on SIGHUP (http_tls_reload), and when either file changes (looked at, at
 * most once a second, by the next handshake). A pair that cannot be read,
 * or whose key does not match its certificate (one file replaced, the other
 * not yet), is refused loudly and the one in use stays.
 *
 * A handshake may still hold the pair it was given, so a replaced pair is
 * kept until the server stops (a few KiB for each renewal).
 */
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "http_int.h"

#define CHAIN_MAX 8

struct cred {
    gnutls_pcert_st pcert[CHAIN_MAX];
    unsigned n;
    gnutls_privkey_t key;
    struct cred *older; /* replaced pairs, kept until the server stops */
};

static struct {
    pthread_mutex_t mu;
    struct cred *cur;
    char cert_path[PATH_MAX], key_path[PATH_MAX];
    struct stat cert_st, key_st; /* of the files last read (or tried) */
    _Atomic int64_t checked_us;
} tls = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void cred_free(struct cred *c)
{
    while (c) {
        struct cred *older = c->older;
        for (unsigned i = 0; i < c->n; i++)
            gnutls_pcert_deinit(&c->pcert[i]);
        if (c->key)
            gnutls_privkey_deinit(c->key);
        free(c);
        c = older;
    }
}

static bool same_key(gnutls_pubkey_t a, gnutls_privkey_t k)
{
    unsigned char ida[64], idb[64];
    size_t na = sizeof(ida), nb = sizeof(idb);
    gnutls_pubkey_t b;
    bool same = false;

    if (gnutls_pubkey_init(&b) < 0)
        return false;
    if (gnutls_pubkey_import_privkey(b, k, 0, 0) >= 0 && gnutls_pubkey_get_key_id(a, 0, ida, &na) >= 0 &&
        gnutls_pubkey_get_key_id(b, 0, idb, &nb) >= 0)
        same = na == nb && memcmp(ida, idb, na) == 0;
    gnutls_pubkey_deinit(b);
    return same;
}

/* Logs the first certificate's serial and expiry; warns when it is not
 * valid now. */
static void describe(const struct cred *c)
{
    gnutls_x509_crt_t crt;
    unsigned char serial[64];
    size_t ns = sizeof(serial);
    char hex[2 * sizeof(serial) + 1] = "";

    if (gnutls_x509_crt_init(&crt) < 0)
        return;
    if (gnutls_x509_crt_import(crt, &c->pcert[0].cert, GNUTLS_X509_FMT_DER) >= 0) {
        if (gnutls_x509_crt_get_serial(crt, serial, &ns) >= 0)
            for (size_t i = 0; i < ns; i++)
                snprintf(hex + 2 * i, 3, "%02x", serial[i]);
        time_t until = gnutls_x509_crt_get_expiration_time(crt), from = gnutls_x509_crt_get_activation_time(crt);
        time_t now = time(NULL);
        if (now > until || now < from)
            log_warn("http: the certificate in %s (serial %s) is not valid now (from %lld to %lld)", tls.cert_path, hex,
                     (long long)from, (long long)until);
        else
            log_info("http: TLS certificate %s, serial %s, %u in the chain, valid %lld more days", tls.cert_path, hex, c->n,
                     (long long)(until - now) / 86400);
    }
    gnutls_x509_crt_deinit(crt);
}

/* Reads the pair; on success it is the one shown from the next handshake. */
static int load(void)
{
    gnutls_datum_t cd = {0}, kd = {0};
    struct cred *c = calloc(1, sizeof(*c));
    int rc, err = 0;

    if (!c)
        return WASL_ENOMEM;
    c->n = CHAIN_MAX;
    if ((rc = gnutls_load_file(tls.cert_path, &cd)) < 0)
        err = err_set(WASL_EIO, "http.tls_cert", "cannot read the certificate %s: %s", tls.cert_path, gnutls_strerror(rc));
    else if ((rc = gnutls_load_file(tls.key_path, &kd)) < 0)
        err = err_set(WASL_EIO, "http.tls_key", "cannot read the key %s: %s", tls.key_path, gnutls_strerror(rc));
    else if ((rc = gnutls_pcert_list_import_x509_raw(c->pcert, &c->n, &cd, GNUTLS_X509_FMT_PEM,
                                                     GNUTLS_X509_CRT_LIST_FAIL_IF_UNSORTED)) < 0) {
        c->n = 0;
        err = err_set(WASL_EINVAL, "http.tls_cert", "%s is not a PEM certificate chain (server first, at most %d): %s",
                      tls.cert_path, CHAIN_MAX, gnutls_strerror(rc));
    } else if ((rc = gnutls_privkey_init(&c->key)) < 0 ||
               (rc = gnutls_privkey_import_x509_raw(c->key, &kd, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0)
        err =
            err_set(WASL_EINVAL, "http.tls_key", "%s is not an unencrypted PEM private key: %s", tls.key_path, gnutls_strerror(rc));
    else if (!same_key(c->pcert[0].pubkey, c->key))
        err = err_set(WASL_EINVAL, "http.tls_key", "the key %s does not match the certificate %s", tls.key_path, tls.cert_path);
    gnutls_free(cd.data);
    if (kd.data) {
        gnutls_memset(kd.data, 0, kd.size);
        gnutls_free(kd.data);
    }
    if (err) {
        cred_free(c);
        return err;
    }
    describe(c);
    pthread_mutex_lock(&tls.mu);
    c->older = tls.cur;
    tls.cur = c;
    pthread_mutex_unlock(&tls.mu);
    return 0;
}

static bool changed(const char *path, struct stat *st)
{
    struct stat now;
    if (stat(path, &now))
        memset(&now, 0, sizeof(now));
    bool diff = now.st_ino != st->st_ino || now.st_dev != st->st_dev || now.st_size != st->st_size ||
                now.st_mtim.tv_sec != st->st_mtim.tv_sec || now.st_mtim.tv_nsec != st->st_mtim.tv_nsec;
    *st = now;
    return diff;
}

/* Reads the pair again when a file changed since last time (force: always). */
static int reload(bool force)
{
    static pthread_mutex_t once = PTHREAD_MUTEX_INITIALIZER;
    int err = 0;

    pthread_mutex_lock(&once);
    tls.checked_us = clock_mono_us();
    bool c1 = changed(tls.cert_path, &tls.cert_st), c2 = changed(tls.key_path, &tls.key_st);
    if (force || c1 || c2) {
        if ((err = load()) && tls.cur)
            log_error("http: TLS certificate not reloaded, the one in use stays: %s", err_message());
    }
    pthread_mutex_unlock(&once);
    return err;
}

static int on_handshake(gnutls_session_t session, const gnutls_datum_t *req_ca_dn, int nreqs, const gnutls_pk_algorithm_t *pk_algos,
                        int pk_algos_length, gnutls_pcert_st **pcert, unsigned int *pcert_length, gnutls_privkey_t *privkey)
{
    (void)session;
    (void)req_ca_dn;
    (void)nreqs;
    (void)pk_algos;
    (void)pk_algos_length;
    if (clock_mono_us() - tls.checked_us > 1000000) {
        reload(false);
        err_clear();
    }
    pthread_mutex_lock(&tls.mu);
    struct cred *c = tls.cur;
    pthread_mutex_unlock(&tls.mu);
    if (!c)
        return -1;
    *pcert = c->pcert;
    *pcert_length = c->n;
    *privkey = c->key;
    return 0;
}

int tls_start(const char *cert_path, const char *key_path, void **callback)
{
    int err;

    if (strlen(cert_path) >= sizeof(tls.cert_path) || strlen(key_path) >= sizeof(tls.key_path))
        return err_set(WASL_EINVAL, "config.invalid", "http.tls_cert or http.tls_key: path too long");
    snprintf(tls.cert_path, sizeof(tls.cert_path), "%s", cert_path);
    snprintf(tls.key_path, sizeof(tls.key_path), "%s", key_path);
    memset(&tls.cert_st, 0, sizeof(tls.cert_st));
    memset(&tls.key_st, 0, sizeof(tls.key_st));
    if ((err = reload(true)))
        return err;
    *callback = (void *)on_handshake;
    return 0;
}

int http_tls_reload(void)
{
    return tls.cur ? reload(true) : 0;
}

void tls_stop(void)
{
    pthread_mutex_lock(&tls.mu);
    cred_free(tls.cur);
    tls.cur = NULL;
    pthread_mutex_unlock(&tls.mu);
}
