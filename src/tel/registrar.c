/*
 * The agents' phones: REGISTER with digest authentication against the SIP
 * accounts in the store (kept as HA1 only, cached on the real-time thread),
 * the location of each registered phone, and lock-out of addresses that
 * keep failing. Unknown users and wrong passwords get the same answers in
 * the same order (401, then 403), so scanners learn no extension; a locked
 * address gets no answer at all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "rt.h"
#include "auth/auth.h"
#include "events/events.h"

#define ACCOUNTS_MAX 2048
#define LOCKS_MAX 1024

struct location {
    bool set;
    char contact[256];
    int64_t expires; /* monotonic µs */
};

static struct tel_account accounts[ACCOUNTS_MAX];
static struct location locations[ACCOUNTS_MAX];
static int naccounts, nregistered;

struct lock {
    char addr[64];
    int failures;
    int64_t first, until, used;
};
static struct lock locks[LOCKS_MAX];

static unsigned languages_bits(const char *s)
{
    unsigned bits = 0;
    for (const char *p = s; *p; p += strcspn(p, " ,"), p += strspn(p, " ,")) {
        char code[WASL_LANG_CODE_MAX];
        size_t l = strcspn(p, " ,");
        int i;
        snprintf(code, sizeof(code), "%.*s", (int)(l < sizeof(code) ? l : sizeof(code) - 1), p);
        if (l < sizeof(code) && (i = language_index(code)) >= 0)
            bits |= 1u << i;
    }
    return bits;
}

/* The SIP accounts of the realm whose users are not disabled. More accounts
 * than the cache holds is an error, not a silent cut. */
static int load(struct db *db, struct tel_account *out, int *n)
{
    struct db_conn *c;
    struct db_stmt *s = NULL;
    int err, rows = 0;

    *n = 0;
    if ((err = db_conn_get(db, &c)))
        return err;
    if (!(err = db_query(c, &s, "SELECT user_id, sip_user, ha1, languages FROM sip_accounts WHERE realm = ? ORDER BY user_id",
                         DBP(DB_S(conf_str("sip.realm")))))) {
        while (db_next(s)) {
            if (rows++ >= ACCOUNTS_MAX)
                continue;
            struct tel_account *a = &out[(*n)++];
            a->user_id = db_int(s, 0);
            snprintf(a->sip_user, sizeof(a->sip_user), "%s", db_text(s, 1));
            snprintf(a->ha1, sizeof(a->ha1), "%s", db_text(s, 2));
            a->languages = languages_bits(db_text(s, 3));
        }
        err = db_end(s);
    }
    db_conn_put(c);
    if (!err && rows > ACCOUNTS_MAX)
        err = err_set(WASL_ELIMIT, "tel.too_many_accounts", "%d SIP accounts, more than the %d wasl holds", rows, ACCOUNTS_MAX);
    /* A disabled user's phone is not let in. */
    static struct user_brief who[ACCOUNTS_MAX];
    for (int i = 0; !err && i < *n; i++)
        who[i].id = out[i].user_id;
    if (!err && !(err = user_briefs(db, who, *n))) {
        /* out[] is ordered by user_id (one account per user), and so is who[]
         * once user_briefs() has sorted it: the same index is the same user. */
        int kept = 0;
        for (int i = 0; i < *n; i++)
            if (who[i].id == out[i].user_id && !who[i].disabled)
                out[kept++] = out[i];
        *n = kept;
    }
    if (err)
        *n = 0;
    return err;
}

int registrar_accounts_load(struct db *db)
{
    memset(locations, 0, sizeof(locations));
    nregistered = 0;
    return load(db, accounts, &naccounts);
}

/* Replaces the cache, keeping the registrations of accounts that remain. */
struct reload {
    struct tel_account *a;
    int n;
};

static void reload_free(void *arg)
{
    struct reload *r = arg;
    free(r->a);
    free(r);
}

static int reload_rt(void *arg)
{
    struct reload *r = arg;
    static struct location keep[ACCOUNTS_MAX];
    memset(keep, 0, sizeof(keep));
    /* An account gone (its user disabled, or the account removed): the
     * phone is let go and the agent leaves the queues (after their call). */
    for (int k = 0; k < naccounts; k++) {
        bool stays = false;
        for (int i = 0; i < r->n && !stays; i++)
            stays = accounts[k].user_id == r->a[i].user_id;
        if (stays)
            continue;
        if (locations[k].set)
            events_add(EV_PHONE_UNREGISTERED, 0, accounts[k].user_id, NULL, "disabled", NULL, NULL, 0, 0);
        struct acd_agent_view v;
        if (!acd_agent_get(rt.acd, accounts[k].user_id, &v) && v.state != ACD_OFFLINE)
            acd_agent_logout(rt.acd, accounts[k].user_id, -1, mono_us());
        err_clear();
    }
    for (int i = 0; i < r->n; i++)
        for (int k = 0; k < naccounts; k++)
            if (accounts[k].user_id == r->a[i].user_id && !strcmp(accounts[k].sip_user, r->a[i].sip_user))
                keep[i] = locations[k];
    memcpy(accounts, r->a, sizeof(accounts[0]) * (size_t)r->n);
    memcpy(locations, keep, sizeof(locations));
    naccounts = r->n;
    nregistered = 0;
    for (int i = 0; i < naccounts; i++)
        nregistered += locations[i].set;
    return 0; /* the snapshot is published next, before the sender hears back */
}

int tel_account_set(struct db *db, int64_t user_id, const char *sip_user, const char *password, const char *languages)
{
    char ha1[33] = "";
    struct db_conn *c;
    int err;

    if (!sip_user || !*sip_user || strlen(sip_user) > 32 ||
        strspn(sip_user, "abcdefghijklmnopqrstuvwxyz0123456789._-") != strlen(sip_user))
        return err_set_field(WASL_EINVAL, "tel.invalid_sip_user", "sip_user", "1 to 32 characters: a-z 0-9 . _ -");
    if (password && (strlen(password) < 10 || strlen(password) > 128))
        return err_set_field(WASL_EINVAL, "tel.weak_sip_password", "password", "10 to 128 characters");
    if (!languages || !languages_bits(languages))
        return err_set_field(WASL_EINVAL, "tel.invalid_languages", "languages", "one or more of %s", languages_list());
    for (const char *p = languages; *p; p += strcspn(p, " ,"), p += strspn(p, " ,")) {
        size_t l = strcspn(p, " ,");
        char code[8];
        snprintf(code, sizeof(code), "%.*s", (int)(l < 7 ? l : 7), p);
        if (l >= WASL_LANG_CODE_MAX || !language_valid(code))
            return err_set_field(WASL_EINVAL, "tel.invalid_languages", "languages", "'%s' is not one of %s", code,
                                 languages_list());
    }
    if (password)
        digest_ha1(sip_user, conf_str("sip.realm"), password, ha1);
    if ((err = db_conn_get(db, &c)))
        return err;
    int64_t exists = 0;
    err = db_query_int(c, &exists, "SELECT COUNT(*) FROM sip_accounts WHERE user_id = ?", DBP(DB_I(user_id)));
    if (!err && !exists && !password)
        err = err_set_field(WASL_EINVAL, "tel.weak_sip_password", "password", "a new SIP account needs a password");
    if (!err && exists && !password) {
        /* The digest HA1 hashes the name: a new name needs the password. */
        int64_t same = 0;
        err = db_query_int(c, &same, "SELECT COUNT(*) FROM sip_accounts WHERE user_id = ? AND sip_user = ?",
                           DBP(DB_I(user_id), DB_S(sip_user)));
        if (!err && !same)
            err = err_set_field(WASL_EINVAL, "tel.weak_sip_password", "password", "a new SIP name needs the password again");
    }
    if (!err) {
        int64_t taken = 0;
        err = db_query_int(c, &taken, "SELECT COUNT(*) FROM sip_accounts WHERE sip_user = ? AND user_id <> ?",
                           DBP(DB_S(sip_user), DB_I(user_id)));
        if (!err && taken)
            err = err_set_field(WASL_ECONFLICT, "tel.sip_user_taken", "sip_user", "another user has this SIP name");
    }
    if (!err && password)
        err =
            db_exec(c,
                    "INSERT INTO sip_accounts (user_id, sip_user, ha1, realm, languages, updated_at) VALUES (?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (user_id) DO UPDATE SET sip_user = excluded.sip_user, ha1 = excluded.ha1, "
                    "realm = excluded.realm, languages = excluded.languages, updated_at = excluded.updated_at",
                    DBP(DB_I(user_id), DB_S(sip_user), DB_S(ha1), DB_S(conf_str("sip.realm")), DB_S(languages), DB_I(clock_now())));
    else if (!err)
        err = db_exec(c, "UPDATE sip_accounts SET languages = ?, updated_at = ? WHERE user_id = ? AND sip_user = ?",
                      DBP(DB_S(languages), DB_I(clock_now()), DB_I(user_id), DB_S(sip_user)));
    db_conn_put(c);
    if (err)
        return err;
    return tel_accounts_reload(db);
}

int tel_accounts_reload(struct db *db)
{
    int err;
    if (!tel_running())
        return 0;
    /* One reload at a time, so that the accounts read last are applied
     * last. The telephony gets a second to take them: past it, they are
     * applied a moment later (the store already has them). */
    static pthread_mutex_t one = PTHREAD_MUTEX_INITIALIZER;
    struct reload *r = calloc(1, sizeof(*r));
    bool applied;
    if (!r || !(r->a = calloc(ACCOUNTS_MAX, sizeof(*r->a)))) {
        free(r);
        return WASL_ENOMEM;
    }
    pthread_mutex_lock(&one);
    if ((err = load(db, r->a, &r->n)))
        reload_free(r);
    else
        err = tel_command(reload_rt, r, reload_free, 1000, &applied);
    pthread_mutex_unlock(&one);
    return err;
}

int tel_account_get(struct db *db, int64_t user_id, char *sip_user, size_t n1, char *languages, size_t n2)
{
    struct db_conn *c;
    struct db_stmt *s = NULL;
    int err = db_conn_get(db, &c);
    bool found = false;
    if (err)
        return err;
    if (!(err = db_query(c, &s, "SELECT sip_user, languages FROM sip_accounts WHERE user_id = ?", DBP(DB_I(user_id))))) {
        if ((found = db_next(s))) {
            snprintf(sip_user, n1, "%s", db_text(s, 0));
            snprintf(languages, n2, "%s", db_text(s, 1));
        }
        err = db_end(s);
    }
    db_conn_put(c);
    if (!err && !found)
        err = err_set(WASL_ENOENT, "tel.no_phone", "this user has no SIP account");
    return err;
}

static int find_user(const char *user)
{
    for (int i = 0; i < naccounts; i++)
        if (!strcmp(accounts[i].sip_user, user))
            return i;
    return -1;
}

int registrar_accounts_count(void)
{
    return naccounts;
}

const struct tel_account *registrar_account_at(int i)
{
    return &accounts[i];
}

bool registrar_account(int64_t user_id, struct tel_account *out)
{
    for (int i = 0; i < naccounts; i++)
        if (accounts[i].user_id == user_id) {
            *out = accounts[i];
            return true;
        }
    return false;
}

bool registrar_contact(int64_t user_id, char *uri, size_t n)
{
    for (int i = 0; i < naccounts; i++)
        if (accounts[i].user_id == user_id && locations[i].set) {
            snprintf(uri, n, "%s", locations[i].contact);
            return true;
        }
    if (n)
        uri[0] = '\0';
    return false;
}

int registrar_count(void)
{
    return nregistered;
}

void registrar_free(void)
{
    memset(locations, 0, sizeof(locations));
    nregistered = 0;
}

/* ---- lock-out of failing addresses ---- */

static struct lock *lock_get(const char *addr, bool add, int64_t now)
{
    struct lock *oldest = &locks[0];
    for (int i = 0; i < LOCKS_MAX; i++) {
        if (!strcmp(locks[i].addr, addr)) {
            locks[i].used = now;
            return &locks[i];
        }
        if (locks[i].used < oldest->used)
            oldest = &locks[i];
    }
    if (!add)
        return NULL;
    memset(oldest, 0, sizeof(*oldest));
    snprintf(oldest->addr, sizeof(oldest->addr), "%s", addr);
    oldest->used = oldest->first = now;
    return oldest;
}

static void failed(const char *addr, int64_t now)
{
    struct lock *l = lock_get(addr, true, now);
    tel_count(M_REG_FAIL, 1);
    if (now - l->first > rt.cfg.auth_lockout) {
        l->first = now;
        l->failures = 0;
    }
    if (++l->failures >= rt.cfg.auth_failures) {
        l->until = now + rt.cfg.auth_lockout;
        l->failures = 0;
        l->first = now;
        tel_count(M_LOCKOUTS, 1);
        log_warn("tel: %s locked out for %llds after %d failed REGISTER authentications", addr,
                 (long long)(rt.cfg.auth_lockout / 1000000), rt.cfg.auth_failures);
    }
}

/* ---- REGISTER ---- */

static void challenge(const struct sip_msg *msg, bool stale)
{
    char nonce[64];
    digest_nonce(clock_now_sec(), nonce);
    sip_replyf(rt.sip, msg, 401, "Unauthorized",
               "WWW-Authenticate: Digest realm=\"%s\", nonce=\"%s\", qop=\"auth\", algorithm=MD5%s\r\nContent-Length: 0\r\n\r\n",
               rt.cfg.realm, nonce, stale ? ", stale=true" : "");
}

/* A value that does not fit is no value (an authentication field is never
 * cut: a cut name or nonce would be another one). */
static void pl_exact(const struct pl *p, char *out, size_t n)
{
    if (!pl_isset(p) || p->l >= n) {
        out[0] = '\0';
        return;
    }
    memcpy(out, p->p, p->l);
    out[p->l] = '\0';
}

bool registrar_request(const struct sip_msg *msg)
{
    char src[64], user[64], realm[64], nonce[80], uri[256], resp[40], nc[16], cnonce[80], qop[16], want[33];
    const struct sip_hdr *h;
    struct httpauth_digest_resp r;
    int64_t now = mono_us();
    struct lock *lk;

    if (sa_ntop(&msg->src, src, sizeof(src)))
        return true;
    if ((lk = lock_get(src, false, now)) && lk->until > now) {
        tel_count(M_DROPPED, 1);
        return true;
    }
    if (!(h = sip_msg_hdr(msg, SIP_HDR_AUTHORIZATION))) {
        challenge(msg, false);
        return true;
    }
    if (httpauth_digest_response_decode(&r, &h->val)) {
        failed(src, now);
        sip_reply(rt.sip, msg, 403, "Forbidden");
        return true;
    }
    pl_exact(&r.username, user, sizeof(user));
    pl_exact(&r.realm, realm, sizeof(realm));
    pl_exact(&r.nonce, nonce, sizeof(nonce));
    pl_exact(&r.uri, uri, sizeof(uri));
    pl_exact(&r.response, resp, sizeof(resp));
    pl_exact(&r.nc, nc, sizeof(nc));
    pl_exact(&r.cnonce, cnonce, sizeof(cnonce));
    pl_exact(&r.qop, qop, sizeof(qop));
    int fresh = digest_nonce_check(nonce, clock_now_sec(), 300);
    if (fresh == 1) {
        challenge(msg, true);
        return true;
    }
    int k = find_user(user);
    /* The same work for an unknown user as for a known one. */
    static const char dummy[33] = "00000000000000000000000000000000";
    digest_response(k >= 0 ? accounts[k].ha1 : dummy, nonce, nc, cnonce, qop, "REGISTER", uri, want);
    bool ok = fresh == 0 && k >= 0 && strlen(resp) == 32 && !sodium_memcmp(want, resp, 32) && !strcmp(realm, rt.cfg.realm) &&
              !pl_strcmp(&msg->to.uri.user, user);
    if (!ok) {
        failed(src, now);
        sip_reply(rt.sip, msg, 403, "Forbidden");
        return true;
    }
    if (lk)
        lk->failures = 0;

    /* Where the phone is, and for how long. */
    struct sip_addr addr;
    struct pl ex = PL_INIT;
    long expires = pl_isset(&msg->expires) ? (long)pl_u32(&msg->expires) : 3600;
    char contact[256] = "";
    if ((h = sip_msg_hdr(msg, SIP_HDR_CONTACT))) {
        if (!pl_strcmp(&h->val, "*")) {
            expires = 0;
        } else if (!sip_addr_decode(&addr, &h->val)) {
            pl_exact(&addr.auri, contact, sizeof(contact));
            if (!msg_param_decode(&addr.params, "expires", &ex))
                expires = (long)pl_u32(&ex);
        }
    } else {
        /* no Contact: a query of the bindings */
        expires = -1;
    }
    struct location *loc = &locations[k];
    if (expires == 0) {
        if (loc->set) {
            nregistered--;
            events_add(EV_PHONE_UNREGISTERED, 0, accounts[k].user_id, NULL, "unregistered", NULL, NULL, 0, 0);
        }
        loc->set = false;
        snap_dirty();
        sip_replyf(rt.sip, msg, 200, "OK", "Content-Length: 0\r\n\r\n");
        return true;
    }
    if (expires > 0 && contact[0]) {
        if (expires < 60)
            expires = 60;
        if (expires > rt.cfg.max_expires)
            expires = (long)rt.cfg.max_expires;
        if (!loc->set)
            nregistered++;
        loc->set = true;
        snap_dirty();
        snprintf(loc->contact, sizeof(loc->contact), "%s", contact);
        loc->expires = now + (int64_t)expires * 1000000;
        tel_count(M_REG_OK, 1);
        events_add(EV_PHONE_REGISTERED, 0, accounts[k].user_id, NULL, contact, NULL, NULL, expires, 0);
    }
    if (loc->set)
        sip_replyf(rt.sip, msg, 200, "OK", "Contact: <%s>;expires=%lld\r\nContent-Length: 0\r\n\r\n", loc->contact,
                   (long long)((loc->expires - now) / 1000000));
    else
        sip_replyf(rt.sip, msg, 200, "OK", "Content-Length: 0\r\n\r\n");
    return true;
}

void registrar_sweep(int64_t now)
{
    for (int i = 0; i < naccounts; i++) {
        struct location *loc = &locations[i];
        if (!loc->set || loc->expires > now)
            continue;
        loc->set = false;
        nregistered--;
        events_add(EV_PHONE_UNREGISTERED, 0, accounts[i].user_id, NULL, "expired", NULL, NULL, 0, 0);
        snap_dirty();
        struct acd_agent_view v;
        if (!acd_agent_get(rt.acd, accounts[i].user_id, &v) && v.state == ACD_AVAILABLE)
            acd_agent_pause(rt.acd, accounts[i].user_id, "phone_offline", 0, now);
        log_info("tel: the phone of %s stopped registering", accounts[i].sip_user);
    }
}

bool registrar_restore(int64_t user_id, const char *contact, int64_t expires_mono)
{
    for (int i = 0; i < naccounts; i++) {
        if (accounts[i].user_id != user_id)
            continue;
        if (!locations[i].set)
            nregistered++;
        locations[i].set = true;
        snprintf(locations[i].contact, sizeof(locations[i].contact), "%s", contact);
        locations[i].expires = expires_mono;
        return true;
    }
    return false;
}

/* The account's languages at proficiency 3, the general service. */
void registrar_skills(const struct tel_account *a, struct acd_skills *sk)
{
    memset(sk, 0, sizeof(*sk));
    /* every service of data/tel/queues.json: services per agent are not set yet */
    for (int i = 0; i < queues_services() && i < ACD_SERVICES_MAX; i++)
        snprintf(sk->services[sk->nservices++], sizeof(sk->services[0]), "%s", queues_service(i));
    for (int i = 0; i < wasl_nlanguages; i++)
        if (a->languages & (1u << i)) {
            sk->languages[sk->nlanguages].language = i;
            sk->languages[sk->nlanguages++].proficiency = 3;
        }
}
