/*
 * The outbox: mail to citizens (acknowledgements, references) is written in
 * the same transaction as the case, then sent here by SMTP through libcurl
 * when smtp.enabled is on. A message that fails is retried on later runs, up
 * to OUTBOX_ATTEMPTS times; the error stays on the row for the operators.
 * With smtp.user set, the conversation must be encrypted (smtps://, or
 * STARTTLS required): a password is never sent in clear, and the mail waits.
 *
 * Several nodes may run this (src/cluster lets one at a time, but a node
 * that lost its lease may still be finishing a round): each mail is claimed
 * by a conditional update before the SMTP conversation, so only one node
 * sends it. A node that dies between the claim and the mark leaves its
 * claim behind: the next leader releases every claim in force when it takes
 * the lease (release_stale_claims), so the mail goes within seconds, and so
 * does a node without the cluster when it takes the store. Sent
 * again, a mail keeps its Message-ID, so a mailbox can tell a duplicate (the
 * dead node sent it but did not mark it). A node that sent a mail and could
 * not mark it (the store went away in between) keeps the mark and writes it
 * when the store answers again (unmarked_flush).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include <sodium.h>

#include "cases_int.h"
#include "cluster/cluster.h"

#define OUTBOX_ATTEMPTS 5
#define OUTBOX_BATCH 50
#define OUTBOX_CLAIM (10 * 60 * WTIME_SEC)

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
static char *message(int64_t row, const char *from, const char *to, const char *subject, const char *body)
{
    size_t sl = strlen(subject), bl = strlen(body);
    size_t s64 = sodium_base64_ENCODED_LEN(sl, sodium_base64_VARIANT_ORIGINAL);
    size_t b64 = sodium_base64_ENCODED_LEN(bl, sodium_base64_VARIANT_ORIGINAL);
    char *es = malloc(s64), *eb = malloc(b64), date[64];
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
    sbuf_init(&m, 1 << 20);
    sbuf_addf(&m,
              "Date: %s\r\nFrom: %s\r\nTo: %s\r\nMessage-ID: <outbox-%lld@%s>\r\nSubject: =?UTF-8?B?%s?=\r\nMIME-Version: 1.0\r\n"
              "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n",
              date, from, to, (long long)row, strchr(from, '@') ? strchr(from, '@') + 1 : "wasl", es);
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
static int smtp_send(int64_t row, const char *to, const char *subject, const char *body, char *error, size_t en)
{
    char *msg = message(row, cases_cfg.smtp_from, to, subject, body), from[160], errbuf[CURL_ERROR_SIZE] = "";
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

/* Takes row for this node: *mine when no other node holds it. */
static int claim(struct db *db, int64_t row, bool *mine)
{
    struct db_conn *c;
    int64_t now = clock_now();
    int err = db_conn_get(db, &c);
    if (err)
        return err;
    err =
        db_exec(c, "UPDATE outbox SET claimed_until = ?, claimed_by = ? WHERE id = ? AND status = 'pending' AND claimed_until < ?",
                DBP(DB_I(now + OUTBOX_CLAIM), DB_S(cluster_node()), DB_I(row), DB_I(now)));
    *mine = !err && db_changes(c) == 1;
    db_conn_put(c);
    return err;
}

/* Set by the take-over hook (outbox_take_over), cleared once done: the
 * claims in force when this node took the store belong to nodes that no
 * longer send. The previous leader died, or exited when it lost the lease
 * (src/cluster fences a leader before its lease can expire, and the fence
 * ends the process); a clean stop ends the outbox's round before it gives
 * the lease back; a node without the cluster holds the store alone (its
 * claim: src/cluster). Without this, a mail the dead node had claimed
 * waited OUTBOX_CLAIM (10 minutes). */
static _Atomic bool release_due;

void outbox_take_over(void)
{
    atomic_store(&release_due, true);
}

/* Only the outbox's thread calls it; a failure leaves it due. */
static int release_stale_claims(struct db *db)
{
    struct db_conn *c;
    int err;

    if (!atomic_exchange(&release_due, false))
        return 0;
    if ((err = db_conn_get(db, &c))) {
        atomic_store(&release_due, true);
        return err;
    }
    err = db_exec(c, "UPDATE outbox SET claimed_until = 0 WHERE status = 'pending' AND claimed_until > ?", DBP(DB_I(clock_now())));
    int n = err ? 0 : db_changes(c);
    db_conn_put(c);
    if (err) {
        atomic_store(&release_due, true);
        return err;
    }
    if (n)
        log_warn("outbox: %d mail(s) claimed by the node that led before were released: they go now (a mailbox may see "
                 "one twice, with the same Message-ID, if that node had sent it)",
                 n);
    return 0;
}

struct pending {
    int64_t id;
    char *to, *subject, *body;
};

/* Mails this node sent whose mark the store did not take (it went away
 * between the SMTP server's yes and the UPDATE): marked at the start of the
 * next rounds, before anything else, so that the store coming back does not
 * see them pending (their claim would expire and they would go again). Only
 * a node that stops before the store comes back leaves one to be sent again
 * by the next (with the same Message-ID); its log names it. Only the
 * outbox's thread touches this. */
#define UNMARKED_MAX 256
static struct {
    int64_t id, sent_at;
} unmarked[UNMARKED_MAX];
static int nunmarked;

static int mark_sent(struct db *db, int64_t id, int64_t sent_at)
{
    struct db_conn *c;
    int err = db_conn_get(db, &c);
    if (err)
        return err;
    err = db_exec(c,
                  "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1, last_error = NULL, claimed_until = 0 "
                  "WHERE id = ? AND status = 'pending'",
                  DBP(DB_I(sent_at), DB_I(id)));
    db_conn_put(c);
    return err;
}

static void unmarked_add(int64_t id, int64_t sent_at)
{
    log_error("outbox: mail %lld sent, not marked (the store: %s): marked when the store answers again", (long long)id,
              err_message());
    if (nunmarked == UNMARKED_MAX) {
        log_error("outbox: mail %lld sent, not marked, and %d more wait for their mark: it may go again when its claim "
                  "expires",
                  (long long)id, UNMARKED_MAX);
        return;
    }
    unmarked[nunmarked].id = id;
    unmarked[nunmarked].sent_at = sent_at;
    nunmarked++;
}

static int unmarked_flush(struct db *db)
{
    while (nunmarked) {
        int err = mark_sent(db, unmarked[0].id, unmarked[0].sent_at);
        if (err)
            return err;
        log_info("outbox: mail %lld marked as sent at last", (long long)unmarked[0].id);
        memmove(&unmarked[0], &unmarked[1], sizeof(unmarked[0]) * (size_t)--nunmarked);
    }
    return 0;
}

int outbox_send(struct db *db, int *sent)
{
    struct pending p[OUTBOX_BATCH];
    struct db_conn *c;
    struct db_stmt *s = NULL;
    int n = 0, err;

    *sent = 0;
    if (!cases_cfg.smtp_on)
        return 0;
    if ((err = unmarked_flush(db)) || (err = release_stale_claims(db)) || (err = db_conn_get(db, &c)))
        return err;
    err = db_query(c, &s,
                   "SELECT id, to_enc, subject, body_enc FROM outbox WHERE status = 'pending' AND attempts < ? "
                   "AND claimed_until < ? ORDER BY id LIMIT ?",
                   DBP(DB_I(OUTBOX_ATTEMPTS), DB_I(clock_now()), DB_I(OUTBOX_BATCH)));
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
        bool mine = false;
        if ((err = claim(db, p[i].id, &mine)))
            break;
        if (!mine)
            continue; /* another node took it since the query */
        int e = p[i].to && p[i].body ? smtp_send(p[i].id, p[i].to, p[i].subject, p[i].body, error, sizeof(error)) : WASL_EINVAL;
        if (!e) {
            int64_t at = clock_now();
            (*sent)++;
            if ((err = mark_sent(db, p[i].id, at))) {
                unmarked_add(p[i].id, at);
                break;
            }
            continue;
        }
        if ((err = db_conn_get(db, &c)))
            break;
        if (e == WASL_EPERM) {
            /* The server, not the message: the mail keeps its attempts and
             * waits; the rest of the batch would meet the same server. */
            err_clear();
            log_error("outbox: mail %lld not sent: %s", (long long)p[i].id, error);
            err = db_exec(c, "UPDATE outbox SET last_error = ?, claimed_until = 0 WHERE id = ?", DBP(DB_S(error), DB_I(p[i].id)));
            db_conn_put(c);
            break;
        } else {
            err_clear();
            log_warn("outbox: mail %lld not sent: %s", (long long)p[i].id, error[0] ? error : "unreadable row");
            err = db_exec(c,
                          "UPDATE outbox SET attempts = attempts + 1, last_error = ?, claimed_until = 0, "
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
