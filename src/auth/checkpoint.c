/*
 * The audit key and the signed checkpoints. The key file (audit.key_file,
 * outside the database) holds the MAC key of the chain, the Ed25519 seed
 * that signs checkpoints and the seq the keyed chain starts at. A checkpoint
 * is one line, "wasl-audit-checkpoint v1 seq=... hash=... at=... sig=...",
 * appended to audit.checkpoint_file (O_APPEND), sent to the syslog
 * (LOG_AUTHPRIV) and optionally mailed: places the database's administrator
 * cannot rewrite, so deleting the newest entries shows at the next verify.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "auth_int.h"

#define CP_MARK "wasl-audit-checkpoint v1 "
#define CP_LINE_MAX 512
#define CP_MAX 10000000 /* lines read from one file: 95 years at one every 5 minutes */
/* syslog priorities (RFC 5424): facility authpriv (10), severities notice and alert. */
#define SYSLOG_NOTICE (10 * 8 + 5)
#define SYSLOG_ALERT (10 * 8 + 1)

/* clang-format off */
const struct conf_def audit_conf[] = {
    {"audit.key_file", CONF_PATH, "wasl-audit.key", 0, 0, "the audit trail's MAC and signing keys (keep it outside the database and its backups, on every node; made by wasl init)"},
    {"audit.checkpoint_file", CONF_PATH, "wasl-audit.checkpoints", 0, 0, "signed checkpoints of the audit trail's head are appended here (make it append-only: chattr +a)"},
    {"audit.checkpoint_interval", CONF_DURATION, "5m", 1, 3600, "a checkpoint is written this often when the trail has grown, and at shutdown"},
    {"audit.syslog", CONF_BOOL, "true", 0, 0, "also send each checkpoint to the system log (facility authpriv)"},
    {"audit.syslog_socket", CONF_PATH, "/dev/log", 0, 0, "the system log's socket"},
    {"audit.mail_to", CONF_STR, "", 0, 0, "an auditor's address: checkpoints are mailed there through the outbox (empty: none)"},
    {"audit.mail_interval", CONF_DURATION, "1d", 60, 7 * 86400, "at most one checkpoint mail this often (and one at shutdown)"},
    {"audit.public_key", CONF_STR, "", 0, 0, "the auditor's copy of the checkpoints' public key (wasl audit public-key); verify trusts it over the key file"},
};
/* clang-format on */
const size_t audit_conf_count = sizeof(audit_conf) / sizeof(audit_conf[0]);

struct audit_keys audit_key;

static pthread_mutex_t cp_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    bool valid; /* the head below was signed by this process, or read back signed */
    int64_t seq;
    char hash[65];
    int64_t mailed_at;
} signed_head;
static audit_mail_h mailer;
static bool syslog_warned;

static void set_keys(const unsigned char mac[32], const unsigned char seed[32], int64_t from)
{
    memcpy(audit_key.mac, mac, sizeof(audit_key.mac));
    crypto_sign_seed_keypair(audit_key.pk, audit_key.sk, seed);
    sodium_bin2base64(audit_key.id, sizeof(audit_key.id), audit_key.pk, sizeof(audit_key.pk), sodium_base64_VARIANT_ORIGINAL);
    audit_key.from = from;
    audit_key.loaded = true;
}

static bool b64_32(const char *s, unsigned char out[32])
{
    size_t n = 0;
    return sodium_base642bin(out, 32, s, strlen(s), NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL) == 0 && n == 32;
}

static int load_file(const char *path)
{
    unsigned char mac[32], seed[32];
    char line[256], b64[200];
    long long from = 0;
    int got = 0, lineno = 0, err = 0;
    struct stat st;
    FILE *f = fopen(path, "r");

    if (!f)
        return errno == ENOENT ? WASL_ENOENT : err_set(WASL_EIO, "audit.key_file", "cannot read %s: %s", path, strerror(errno));
    if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077))
        log_warn("audit: %s can be read by other users; chmod 600 it", path);
    while (!err && fgets(line, sizeof(line), f)) {
        lineno++;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        if (sscanf(line, "mac %199s", b64) == 1 && b64_32(b64, mac))
            got |= 1;
        else if (sscanf(line, "sign %199s", b64) == 1 && b64_32(b64, seed))
            got |= 2;
        else if (sscanf(line, "from %lld", &from) == 1 && from >= 1)
            got |= 4;
        else
            err = err_set(WASL_EINVAL, "audit.key_file", "%s:%d: not a key line (mac|sign <base64 of 32 bytes>, from <seq>)", path,
                          lineno);
    }
    fclose(f);
    if (!err && got != 7)
        err = err_set(WASL_EINVAL, "audit.key_file", "%s lacks its mac, sign or from line", path);
    if (!err)
        set_keys(mac, seed, from);
    sodium_memzero(mac, sizeof(mac));
    sodium_memzero(seed, sizeof(seed));
    return err;
}

struct claim {
    const char *path;
    unsigned char mac[32], seed[32];
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    char id[48];
    int64_t from;
    bool written;
};

/* Claims the trail for a new key (only if no key has claimed it: two nodes
 * starting at once cannot both) and writes the key file inside the same
 * transaction, so that a key file exists exactly when the claim commits. */
static int claim_h(struct db_conn *c, void *arg)
{
    struct claim *k = arg;
    char m64[64], s64[64];
    int err, fd;
    FILE *f;

    if ((err = db_exec(c, "UPDATE audit_head SET mac_from = seq + 1, key_id = ? WHERE id = 1 AND key_id = ''", DBP(DB_S(k->id)))))
        return err;
    if (db_changes(c) != 1)
        return err_set(WASL_ECONFLICT, "audit.key_claimed",
                       "another audit key already signs this trail: copy the audit key file (audit.key_file) from the node "
                       "that made it");
    if ((err = db_query_int(c, &k->from, "SELECT mac_from FROM audit_head WHERE id = 1", NULL, 0)))
        return err;
    if ((fd = open(k->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0 || !(f = fdopen(fd, "w"))) {
        if (fd >= 0)
            close(fd);
        return err_set(WASL_EIO, "audit.key_file", "cannot create %s: %s", k->path, strerror(errno));
    }
    k->written = true;
    sodium_bin2base64(m64, sizeof(m64), k->mac, sizeof(k->mac), sodium_base64_VARIANT_ORIGINAL);
    sodium_bin2base64(s64, sizeof(s64), k->seed, sizeof(k->seed), sodium_base64_VARIANT_ORIGINAL);
    fprintf(f,
            "# wasl audit keys. Keep this file secret, out of the database's backups, and copied to every node:\n"
            "# whoever holds it can rewrite the audit trail undetected. Entries from seq `from` on are MACed.\n"
            "mac %s\nsign %s\nfrom %lld\n",
            m64, s64, (long long)k->from);
    sodium_memzero(m64, sizeof(m64));
    sodium_memzero(s64, sizeof(s64));
    if (fflush(f) || fsync(fileno(f))) {
        fclose(f);
        return err_set(WASL_EIO, "audit.key_file", "cannot write %s: %s", k->path, strerror(errno));
    }
    if (fclose(f))
        return err_set(WASL_EIO, "audit.key_file", "cannot write %s", k->path);
    return 0;
}

static int create_keys(struct db *db, const char *path)
{
    struct claim k = {.path = path};
    static const struct actor sys = {.login = "system", .request_id = "", .ip = ""};
    char detail[160];
    int err;

    randombytes_buf(k.mac, sizeof(k.mac));
    randombytes_buf(k.seed, sizeof(k.seed));
    crypto_sign_seed_keypair(k.pk, k.sk, k.seed);
    sodium_bin2base64(k.id, sizeof(k.id), k.pk, sizeof(k.pk), sodium_base64_VARIANT_ORIGINAL);
    err = db_tx(db, claim_h, &k);
    if (err && k.written)
        unlink(path);
    if (!err)
        set_keys(k.mac, k.seed, k.from);
    sodium_memzero(&k, sizeof(k));
    if (err)
        return err;
    log_warn("audit: created the audit key file %s (entries from %lld on are keyed); keep a safe copy, away from the "
             "database's backups, and give auditors the public key: %s",
             path, (long long)audit_key.from, audit_key.id);
    snprintf(detail, sizeof(detail), "{\"from\":%lld,\"public_key\":\"%s\"}", (long long)audit_key.from, audit_key.id);
    if ((err = audit_append_db(db, &sys, "audit.keyed", "audit", detail)))
        return err;
    return audit_checkpoint(db, "keyed", true);
}

/* A key file found for a trail no key has claimed: it was made for another
 * database (a new one made here, the old file left behind) when its keyed
 * chain starts beyond this trail's head; entries below `from` would then be
 * written unkeyed. Otherwise the trail is claimed for it. */
static int claim_existing(struct db *db, const char *path)
{
    struct db_conn *c;
    int64_t head = 0;
    int err;

    if ((err = db_conn_get(db, &c)))
        return err;
    if (!(err = db_query_int(c, &head, "SELECT seq FROM audit_head WHERE id = 1", NULL, 0))) {
        if (audit_key.from > head + 1)
            err = err_set(WASL_ECONFLICT, "audit.key_mismatch",
                          "%s keys the audit trail from entry %lld on, and this trail has %lld entries: it belongs to another "
                          "database; move it away (a new one is made) or give the right one",
                          path, (long long)audit_key.from, (long long)head);
        else
            err = db_exec(c, "UPDATE audit_head SET mac_from = ?, key_id = ? WHERE id = 1 AND key_id = ''",
                          DBP(DB_I(audit_key.from), DB_S(audit_key.id)));
    }
    db_conn_put(c);
    return err;
}

int audit_keys_open(struct db *db, bool create)
{
    const char *path = conf_str("audit.key_file");
    char key_id[64] = "";
    struct db_conn *c;
    struct db_stmt *s = NULL;
    int err;

    audit_keys_forget();
    if ((err = db_conn_get(db, &c)))
        return err;
    if (!(err = db_query(c, &s, "SELECT key_id FROM audit_head WHERE id = 1", NULL, 0))) {
        if (db_next(s))
            snprintf(key_id, sizeof(key_id), "%s", db_text(s, 0));
        err = db_end(s);
    }
    db_conn_put(c);
    if (err)
        return err;
    err = load_file(path);
    if (err == WASL_ENOENT) {
        if (!create)
            return 0;
        if (key_id[0])
            return err_set(WASL_ENOENT, "audit.no_key",
                           "the audit key file %s is missing and the trail is keyed (key %s): restore it from its safe copy, "
                           "or copy it from the node that made it",
                           path, key_id);
        return create_keys(db, path);
    }
    if (err)
        return err;
    if (create && key_id[0] && strcmp(key_id, audit_key.id) != 0) {
        audit_keys_forget();
        return err_set(WASL_ECONFLICT, "audit.key_mismatch",
                       "%s is not the key of this audit trail (%s): copy the audit key file from the node that made it", path,
                       key_id);
    }
    if (create && !key_id[0] && (err = claim_existing(db, path))) {
        audit_keys_forget();
        return err;
    }
    return 0;
}

void audit_keys_forget(void)
{
    sodium_memzero(&audit_key, sizeof(audit_key));
    pthread_mutex_lock(&cp_lock);
    memset(&signed_head, 0, sizeof(signed_head));
    pthread_mutex_unlock(&cp_lock);
}

int audit_public_key(char *out, size_t n)
{
    if (!audit_key.loaded)
        return err_set(WASL_ENOENT, "audit.no_key", "no audit key is loaded (audit.key_file %s)", conf_str("audit.key_file"));
    snprintf(out, n, "%s", audit_key.id);
    return 0;
}

void audit_set_mailer(audit_mail_h fn)
{
    mailer = fn;
}

/* ---- checkpoint lines ---- */

/* Parses and checks one line holding a checkpoint; false when its signature
 * (over everything before " sig=") does not verify with pk. */
static bool parse_line(const char *line, const unsigned char *pk, struct audit_cp *cp)
{
    const char *m = strstr(line, CP_MARK), *sig;
    unsigned char sb[crypto_sign_BYTES];
    char s64[200], key[64];
    long long seq;
    size_t n = 0;

    if (!m || !(sig = strstr(m, " sig=")) || sscanf(sig, " sig=%199s", s64) != 1 ||
        sodium_base642bin(sb, sizeof(sb), s64, strlen(s64), NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL) || n != sizeof(sb))
        return false;
    if (crypto_sign_verify_detached(sb, (const unsigned char *)m, (size_t)(sig - m), pk) != 0)
        return false;
    if (sscanf(m, CP_MARK "seq=%lld hash=%64[0-9a-f] at=%39s key=%63s", &seq, cp->hash, cp->at, key) != 4 || seq < 0 ||
        strlen(cp->hash) != 64)
        return false;
    cp->seq = seq;
    return true;
}

int audit_checkpoints_read(const char *path, const unsigned char *pk, struct audit_cp **cps, int *n, struct audit_report *r)
{
    char line[CP_LINE_MAX];
    int lineno = 0, cap = *n;
    FILE *f = fopen(path, "r");

    if (!f)
        return errno == ENOENT ? WASL_ENOENT
                               : err_set(WASL_EIO, "audit.checkpoint_file", "cannot read %s: %s", path, strerror(errno));
    while (fgets(line, sizeof(line), f)) {
        struct audit_cp cp;
        lineno++;
        if (!strstr(line, CP_MARK))
            continue;
        /* The last line, without its newline yet, is being written by the
         * server: it is not a forgery. */
        if (!strchr(line, '\n') && feof(f))
            break;
        if (!parse_line(line, pk, &cp)) {
            audit_problem(r, 0, "bad_signature",
                          "%s:%d: the checkpoint's signature does not verify: the line was altered, or signed by another key", path,
                          lineno);
            continue;
        }
        if (*n == CP_MAX)
            break;
        if (*n == cap) {
            int ncap = cap ? cap * 2 : 64;
            struct audit_cp *p = realloc(*cps, sizeof(*p) * (size_t)ncap);
            if (!p) {
                fclose(f);
                return WASL_ENOMEM;
            }
            *cps = p;
            cap = ncap;
        }
        (*cps)[(*n)++] = cp;
    }
    fclose(f);
    return 0;
}

/* Sends one message to the local syslog daemon (RFC 3164 over its datagram
 * socket; our own sender, so the socket is a setting and the log module's
 * LOG_* names do not clash with <syslog.h>). */
static void to_syslog(int pri, const char *msg)
{
    const char *path = conf_str("audit.syslog_socket");
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    char buf[CP_LINE_MAX + 64], ts[32];
    time_t now = time(NULL);
    struct tm tm;
    int fd, n;

    if (!conf_bool("audit.syslog") || strlen(path) >= sizeof(a.sun_path))
        return;
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
    localtime_r(&now, &tm);
    strftime(ts, sizeof(ts), "%b %e %H:%M:%S", &tm);
    n = snprintf(buf, sizeof(buf), "<%d>%s wasl[%d]: %s", pri, ts, (int)getpid(), msg);
    if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
        return;
    if (sendto(fd, buf, (size_t)(n < (int)sizeof(buf) ? n : (int)sizeof(buf) - 1), 0, (struct sockaddr *)&a, sizeof(a)) < 0 &&
        !syslog_warned) {
        syslog_warned = true;
        log_warn("audit: the system log (%s) is not reachable (%s): checkpoints go to %s only", path, strerror(errno),
                 conf_str("audit.checkpoint_file"));
    }
    close(fd);
}

static int append_line(const char *path, const char *line)
{
    size_t len = strlen(line);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600), err = 0;

    if (fd < 0)
        return err_set(WASL_EIO, "audit.checkpoint_file", "cannot open %s: %s", path, strerror(errno));
    if (write(fd, line, len) != (ssize_t)len || fsync(fd) != 0)
        err = err_set(WASL_EIO, "audit.checkpoint_file", "cannot write %s: %s", path, strerror(errno));
    close(fd);
    return err;
}

/* The newest checkpoint of our own file that still matches the trail: the
 * entries up to it were checked when it was signed. */
static void base_from_file(struct db_conn *c)
{
    struct audit_cp *cps = NULL, *best = NULL;
    struct audit_report r;
    struct db_stmt *s = NULL;
    char hash[65] = "0000000000000000000000000000000000000000000000000000000000000000";
    int n = 0;

    memset(&r, 0, sizeof(r));
    audit_checkpoints_read(conf_str("audit.checkpoint_file"), audit_key.pk, &cps, &n, &r);
    for (int i = 0; i < n; i++)
        if (!best || cps[i].seq >= best->seq)
            best = &cps[i];
    if (best && best->seq && !db_query(c, &s, "SELECT hash FROM audit_log WHERE seq = ?", DBP(DB_I(best->seq)))) {
        hash[0] = '\0';
        if (db_next(s))
            snprintf(hash, sizeof(hash), "%s", db_text(s, 0));
        db_end(s);
    }
    if (best && !strcmp(hash, best->hash)) {
        signed_head.valid = true;
        signed_head.seq = best->seq;
        snprintf(signed_head.hash, sizeof(signed_head.hash), "%s", best->hash);
    }
    err_clear();
    free(cps);
}

static int sign_and_write(struct db *db, int64_t seq, const char *hash, const char *why, bool final)
{
    char at[40], host[64] = "", line[CP_LINE_MAX], s64[128];
    unsigned char sig[crypto_sign_BYTES];
    int n, err;

    clock_format_utc(clock_now(), at, sizeof(at));
    if (gethostname(host, sizeof(host) - 1) || !host[0])
        snprintf(host, sizeof(host), "unknown");
    for (char *p = host; *p; p++)
        if (*p <= ' ')
            *p = '_';
    n = snprintf(line, sizeof(line), CP_MARK "seq=%lld hash=%s at=%s key=%s node=%s why=%s", (long long)seq, hash, at, audit_key.id,
                 host, why);
    crypto_sign_detached(sig, NULL, (const unsigned char *)line, (size_t)n, audit_key.sk);
    sodium_bin2base64(s64, sizeof(s64), sig, sizeof(sig), sodium_base64_VARIANT_ORIGINAL);
    snprintf(line + n, sizeof(line) - (size_t)n, " sig=%s\n", s64);
    err = append_line(conf_str("audit.checkpoint_file"), line);
    line[strlen(line) - 1] = '\0';
    to_syslog(SYSLOG_NOTICE, line);
    const char *to = conf_str("audit.mail_to");
    int64_t now = clock_now();
    if (*to && mailer && (final || now - signed_head.mailed_at >= conf_int("audit.mail_interval") * WTIME_SEC)) {
        char body[CP_LINE_MAX + 400], subject[96];
        snprintf(subject, sizeof(subject), "wasl audit checkpoint %lld (%s)", (long long)seq, host);
        snprintf(body, sizeof(body),
                 "The audit trail of wasl on %s held %lld entries at %s. Keep this mail: `wasl audit verify --checkpoints "
                 "FILE` reads the line below from a file of such mails, and reports entries deleted since.\n\n%s\n\n"
                 "Public key: %s\n",
                 host, (long long)seq, at, line, audit_key.id);
        if (mailer(db, to, subject, body))
            log_error("audit: checkpoint not mailed to %s: %s", to, err_message());
        else
            signed_head.mailed_at = now;
    }
    return err;
}

int audit_checkpoint(struct db *db, const char *why, bool force)
{
    struct audit_report r;
    struct db_conn *c;
    int64_t last = 0, head_seq = 0;
    char head_hash[65];
    int err;

    if (!audit_key.loaded)
        return 0;
    memset(&r, 0, sizeof(r));
    r.keyed_from = audit_key.from;
    pthread_mutex_lock(&cp_lock);
    if ((err = db_conn_get(db, &c)))
        goto out;
    if (!signed_head.valid)
        base_from_file(c);
    /* Only what was added since the last signed head is read: a checkpoint
     * vouches for it, so a rewritten entry is never signed over. */
    if (signed_head.valid)
        err = audit_check(c, signed_head.seq + 1, signed_head.hash, true, NULL, 0, &r, &last, &head_seq, head_hash);
    else
        err = audit_check(c, audit_key.from, NULL, true, NULL, 0, &r, &last, &head_seq, head_hash);
    db_conn_put(c);
    if (err)
        goto out;
    if (r.nproblems) {
        char msg[400];
        snprintf(msg, sizeof(msg), "ALERT: the audit trail does not verify, no checkpoint signed: %s (wasl audit verify)",
                 r.problem);
        log_error("audit: %s", msg);
        to_syslog(SYSLOG_ALERT, msg);
        err = err_set(WASL_ECONFLICT, "audit.tampered", "%s", msg);
        goto out;
    }
    if (!force && signed_head.valid && head_seq == signed_head.seq && !strcmp(head_hash, signed_head.hash))
        goto out;
    if ((err = sign_and_write(db, head_seq, head_hash, why, !strcmp(why, "stop"))))
        goto out;
    signed_head.valid = true;
    signed_head.seq = head_seq;
    snprintf(signed_head.hash, sizeof(signed_head.hash), "%s", head_hash);
out:
    pthread_mutex_unlock(&cp_lock);
    return err;
}

/* ---- the thread ---- */

static pthread_t cp_thread;
static pthread_mutex_t run_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t run_wake = PTHREAD_COND_INITIALIZER;
static bool running, stopping;

static void *loop(void *arg)
{
    struct db *db = arg;

    pthread_mutex_lock(&run_lock);
    while (!stopping) {
        struct timespec until;
        clock_deadline(conf_int("audit.checkpoint_interval") * WTIME_SEC, &until);
        while (!stopping && pthread_cond_timedwait(&run_wake, &run_lock, &until) == 0)
            ;
        if (stopping)
            break;
        pthread_mutex_unlock(&run_lock);
        if (audit_checkpoint(db, "interval", false) && !db_is_failing(db))
            log_error("audit: checkpoint: %s", err_message());
        err_clear();
        pthread_mutex_lock(&run_lock);
    }
    pthread_mutex_unlock(&run_lock);
    return NULL;
}

int audit_checkpoint_start(struct db *db)
{
    if (!audit_key.loaded)
        return 0;
    /* The first one before serving: it checks what was added since the
     * last checkpoint (a tampered trail is reported at start), and a running
     * server always has one on file. */
    if (audit_checkpoint(db, "start", true)) {
        log_error("audit: checkpoint: %s", err_message());
        err_clear();
    }
    stopping = false;
    if (pthread_create(&cp_thread, NULL, loop, db))
        return err_set(WASL_EINTERNAL, "audit.thread", "cannot start the audit checkpoint thread");
    running = true;
    return 0;
}

void audit_checkpoint_stop(struct db *db)
{
    if (!running)
        return;
    pthread_mutex_lock(&run_lock);
    stopping = true;
    pthread_cond_signal(&run_wake);
    pthread_mutex_unlock(&run_lock);
    pthread_join(cp_thread, NULL);
    running = false;
    if (audit_checkpoint(db, "stop", false))
        log_error("audit: last checkpoint: %s", err_message());
    err_clear();
}
