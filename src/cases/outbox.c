/*
 * The outbox: mail to citizens (acknowledgements, references) is written in
 * the same transaction as the case, then sent here by SMTP through libcurl
 * when smtp.enabled is on. A message that fails is retried on later runs, up
 * to OUTBOX_ATTEMPTS times; the error stays on the row for the operators.
 * With smtp.user set, the conversation must be encrypted (smtps://, or
 * STARTTLS required): a password is never sent in clear, and the mail waits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include <sodium.h>

#include "cases_int.h"

#define OUTBOX_ATTEMPTS 5
#define OUTBOX_BATCH 50

struct reader {
    const char *p;
    size_t left;
};

static size_t read_cb(char *buf, size_t size, size_t nmemb, void *arg)
{
    struct reader *r = arg;
    size_t n = size * nmemb < r->left ? size * nmemb : r->left;
    memcpy(buf, r->p, n);
    r->p += n;
    r->left -= n;
    return n;
}

/* An RFC 5322 message: UTF-8 subject as an RFC 2047 encoded word, body in
 * base64 so that Arabic and long lines travel untouched. */
static char *message(const char *from, const char *to, const char *subject, const char *body)
{
    size_t sl = strlen(subject), bl = strlen(body);
    size_t s64 = sodium_base64_ENCODED_LEN(sl, sodium_base64_VARIANT_ORIGINAL);
    size_t b64 = sodium_base64_ENCODED_LEN(bl, sodium_base64_VARIANT_ORIGINAL);
    char *es = malloc(s64), *eb = malloc(b64), date[64], id[40];
    unsigned char r[12];
    struct sbuf m;
    time_t now = (time_t)clock_now_sec();
    struct tm tm;

    if (!es || !eb) {
        free(es);
        free(eb);
        return NULL;
    }
    sodium_bin2base64(es, s64, (const unsigned char *)subject, sl, sodium_base64_VARIANT_ORIGINAL);
    sodium_bin2base64(eb, b64, (const unsigned char *)body, bl, sodium_base64_VARIANT_ORIGINAL);
    gmtime_r(&now, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
    wrand_bytes(r, sizeof(r));
    sodium_bin2hex(id, sizeof(id), r, sizeof(r));
    sbuf_init(&m, 1 << 20);
    sbuf_addf(&m,
              "Date: %s\r\nFrom: %s\r\nTo: %s\r\nMessage-ID: <%s@wasl>\r\nSubject: =?UTF-8?B?%s?=\r\nMIME-Version: 1.0\r\n"
              "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n",
              date, from, to, id, es);
    for (size_t i = 0; i < strlen(eb); i += 76) {
        sbuf_add(&m, eb + i, strlen(eb + i) < 76 ? strlen(eb + i) : 76);
        sbuf_adds(&m, "\r\n");
    }
    free(es);
    free(eb);
    if (m.oom) {
        sbuf_release(&m);
        return NULL;
    }
    return sbuf_take(&m);
}

/* Sends one message: 0, WASL_EIO with error filled in, or WASL_EPERM when
 * credentials are set and the server offers no TLS (nothing was sent: not
 * the message's fault, so not one of its attempts). */
static int smtp_send(const char *to, const char *subject, const char *body, char *error, size_t en)
{
    char *msg = message(cases_cfg.smtp_from, to, subject, body), from[160], errbuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *rcpt = NULL;
    struct reader r;
    CURL *h;
    CURLcode rc;

    if (!msg || !(h = curl_easy_init())) {
        free(msg);
        snprintf(error, en, "out of memory");
        return WASL_ENOMEM;
    }
    r.p = msg;
    r.left = strlen(msg);
    snprintf(from, sizeof(from), "<%s>", cases_cfg.smtp_from);
    rcpt = curl_slist_append(rcpt, to);
    curl_easy_setopt(h, CURLOPT_URL, cases_cfg.smtp_url);
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(h, CURLOPT_READDATA, &r);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
    /* smtps:// is always encrypted. With a user and password, STARTTLS is
     * required (a server that does not offer it would get them in clear);
     * without, a local relay may still take mail in clear. */
    curl_easy_setopt(h, CURLOPT_USE_SSL, (long)(cases_cfg.smtp_user[0] ? CURLUSESSL_ALL : CURLUSESSL_TRY));
    if (cases_cfg.smtp_user[0]) {
        curl_easy_setopt(h, CURLOPT_USERNAME, cases_cfg.smtp_user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, cases_cfg.smtp_password);
    }
    rc = curl_easy_perform(h);
    if (rc == CURLE_USE_SSL_FAILED)
        snprintf(error, en,
                 "%s doesn't offer TLS (STARTTLS): smtp.user is set, so the password is not sent in clear; use smtps:// or a "
                 "server with STARTTLS (the mail waits in the outbox)",
                 cases_cfg.smtp_url);
    else if (rc != CURLE_OK)
        snprintf(error, en, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(h);
    free(msg);
    if (rc == CURLE_USE_SSL_FAILED)
        return err_set(WASL_EPERM, "smtp.tls_required", "%s", error);
    return rc == CURLE_OK ? 0 : err_set(WASL_EIO, "smtp.failed", "%s", error);
}

struct pending {
    int64_t id;
    char *to, *subject, *body;
};

int outbox_send(struct db *db, int *sent)
{
    struct pending p[OUTBOX_BATCH];
    struct db_conn *c;
    struct db_stmt *s = NULL;
    int n = 0, err;

    *sent = 0;
    if (!cases_cfg.smtp_on)
        return 0;
    if ((err = db_conn_get(db, &c)))
        return err;
    err = db_query(c, &s,
                   "SELECT id, to_enc, subject, body_enc FROM outbox WHERE status = 'pending' AND attempts < ? "
                   "ORDER BY id LIMIT ?",
                   DBP(DB_I(OUTBOX_ATTEMPTS), DB_I(OUTBOX_BATCH)));
    while (!err && db_next(s)) {
        size_t len;
        const void *b;
        memset(&p[n], 0, sizeof(p[n]));
        p[n].id = db_int(s, 0);
        if (!(p[n].subject = strdup(db_text(s, 2))))
            err = WASL_ENOMEM;
        /* A blob is only valid until the next db_blob(): open each at once. */
        if (!err && (b = db_blob(s, 1, &len)))
            err = unseal(b, len, &p[n].to);
        if (!err && (b = db_blob(s, 3, &len)))
            err = unseal(b, len, &p[n].body);
        n++;
    }
    int err2 = err ? (db_end(s), err) : db_end(s);
    db_conn_put(c);
    /* The network is used outside any transaction; each row is then marked
     * on its own, so a crash between two leaves at most one duplicate. */
    for (int i = 0; !err2 && i < n; i++) {
        char error[512] = "";
        int e = p[i].to && p[i].body ? smtp_send(p[i].to, p[i].subject, p[i].body, error, sizeof(error)) : WASL_EINVAL;
        if ((err = db_conn_get(db, &c)))
            break;
        if (!e) {
            err = db_exec(c,
                          "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?",
                          DBP(DB_I(clock_now()), DB_I(p[i].id)));
            (*sent)++;
        } else if (e == WASL_EPERM) {
            /* The server, not the message: the mail keeps its attempts and
             * waits; the rest of the batch would meet the same server. */
            err_clear();
            log_error("outbox: mail %lld not sent: %s", (long long)p[i].id, error);
            err = db_exec(c, "UPDATE outbox SET last_error = ? WHERE id = ?", DBP(DB_S(error), DB_I(p[i].id)));
            db_conn_put(c);
            break;
        } else {
            err_clear();
            log_warn("outbox: mail %lld not sent: %s", (long long)p[i].id, error[0] ? error : "unreadable row");
            err = db_exec(c,
                          "UPDATE outbox SET attempts = attempts + 1, last_error = ?, "
                          "status = CASE WHEN attempts + 1 >= ? THEN 'failed' ELSE 'pending' END WHERE id = ?",
                          DBP(DB_S(error[0] ? error : "unreadable row"), DB_I(OUTBOX_ATTEMPTS), DB_I(p[i].id)));
        }
        db_conn_put(c);
        if (err)
            break;
    }
    for (int i = 0; i < n; i++) {
        free(p[i].to);
        free(p[i].subject);
        if (p[i].body)
            sodium_memzero(p[i].body, strlen(p[i].body));
        free(p[i].body);
    }
    return err2 ? err2 : err;
}
