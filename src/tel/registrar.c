/*
 * The agents' phones: REGISTER with digest authentication against the SIP
 * accounts in the store (kept as HA1 only, cached on the real-time thread),
 * the location of each registered phone, and lock-out of addresses that
 * keep failing. Unknown users and wrong passwords get the same answers in
 * the same order (401, then 403), so scanners learn no extension; a locked
 * address gets no answer at all. Behind a proxy (sip.path_from) the
 * location carries the proxies' Path, the address a lock-out counts is the
 * phone's own, and the bindings in the store are read back when this node
 * takes over the calls.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>

#include "rt.h"
#include "auth/auth.h"
#include "cluster/cluster.h"
#include "events/events.h"
#include "limit/limit.h"

#define ACCOUNTS_MAX 2048
#define LOCKS_MAX 1024

#define NONCES_SEEN 4
/* The longest registration over TCP or TLS: under libre 1.1.0's 900 s
 * idle time-out of SIP connections (TCP_IDLE_TIMEOUT), after which wasl
 * could no longer reach the phone over its own connection. */
#define FLOW_EXPIRES_MAX 600

struct location {
    bool set;
    char contact[256];
    /* The connection a phone registered over (TCP, TLS): "sip:ip:port;
     * transport=tls", the route of requests to it, since a phone's
     * contact names its own listener, which a phone behind NAT or without a
     * server certificate cannot offer. Empty over UDP. */
    char flow[96];
    /* The proxies it registered through (RFC 3327 Path, "<uri>,<uri>"):
     * the Route set of requests to it. Empty when it registered directly. */
    char path[PATH_TEXT_MAX];
    int64_t expires;    /* monotonic µs */
    int64_t at;         /* when it registered (µs since the epoch): the newer of two bindings wins */
    bool from_store;    /* read from the store (another node took the REGISTER) */
    int64_t skipped_at; /* the registration in the store last found unusable (logged once) */
    /* The nonces this account answered lately and the highest nonce count
     * used with each: an Authorization seen before is a replay. */
    struct {
        char nonce[80];
        uint32_t nc;
    } seen[NONCES_SEEN];
    int seen_next;
};

/* Whether (nonce, nc) is new for this account; records it. Without qop
 * (no nc) a nonce is good once. */
static bool nonce_count_fresh(struct location *loc, const char *nonce, const char *nc)
{
    uint32_t n = *nc ? (uint32_t)strtoul(nc, NULL, 16) : 0;
    for (int i = 0; i < NONCES_SEEN; i++)
        if (!strcmp(loc->seen[i].nonce, nonce)) {
            if (n <= loc->seen[i].nc)
                return false;
            loc->seen[i].nc = n;
            return true;
        }
    snprintf(loc->seen[loc->seen_next].nonce, sizeof(loc->seen[0].nonce), "%s", nonce);
    loc->seen[loc->seen_next].nc = n;
    loc->seen_next = (loc->seen_next + 1) % NONCES_SEEN;
    return true;
}

static struct tel_account accounts[ACCOUNTS_MAX];
static struct location locations[ACCOUNTS_MAX];
static int naccounts, nregistered;

/* Failed authentications per source address, on the limiter's pure rule
 * with its state here in memory: the real-time thread never waits on the
 * store. */
static struct limit_slot locks[LOCKS_MAX];

_Static_assert(TEL_SERVICES_MAX == ACD_SERVICES_MAX && TEL_SERVICE_MAX <= ACD_NAME_MAX, "an agent's services fit the distributor");

/* The parser of tel_languages_parse(); lenient (the store's values, whose
 * languages may have left data/languages.json since): unknown codes are
 * skipped instead of refused. */
static int languages_scan(const char *text, unsigned char prof[WASL_LANG_MAX], bool lenient)
{
    int n = 0;
    memset(prof, 0, WASL_LANG_MAX);
    for (const char *p = text ? text : ""; *p; p += strcspn(p, " ,"), p += strspn(p, " ,")) {
        size_t l = strcspn(p, " ,"), cl = strcspn(p, ": ,");
        char token[16], code[WASL_LANG_CODE_MAX];
        int level = TEL_PROFICIENCY_DEFAULT, i;
        snprintf(token, sizeof(token), "%.*s", (int)(l < sizeof(token) ? l : sizeof(token) - 1), p);
        if (cl < l) {
            /* ":N", one digit 1-5 */
            if (l - cl != 2 || p[cl + 1] < '1' || p[cl + 1] > '0' + ACD_PROFICIENCY_MAX) {
                if (lenient)
                    continue;
                return err_set_field(WASL_EINVAL, "tel.invalid_languages", "languages",
                                     "'%s': a proficiency is a number from 1 to 5 after the code, as in fr:5", token);
            }
            level = p[cl + 1] - '0';
        }
        snprintf(code, sizeof(code), "%.*s", (int)(cl < sizeof(code) ? cl : sizeof(code) - 1), p);
        if (cl >= sizeof(code) || (i = language_index(code)) < 0) {
            if (lenient)
                continue;
            return err_set_field(WASL_EINVAL, "tel.invalid_languages", "languages", "'%s' is not one of %s", token,
                                 languages_list());
        }
        if (prof[i]) {
            if (lenient)
                continue;
            return err_set_field(WASL_EINVAL, "tel.invalid_languages", "languages", "'%s' is given twice", code);
        }
        prof[i] = (unsigned char)level;
        n++;
    }
    if (!n && !lenient)
        return err_set_field(WASL_EINVAL, "tel.invalid_languages", "languages", "one or more of %s", languages_list());
    return 0;
}

int tel_languages_parse(const char *text, unsigned char prof[WASL_LANG_MAX])
{
    return languages_scan(text, prof, false);
}

/* The services column (NULL: all) as bits of the plan's services; names
 * the plan no longer has are left out. */
static unsigned services_bits(const char *text)
{
    unsigned bits = 0;
    if (!text)
        return (1u << queues_services()) - 1;
    for (const char *p = text; *p; p += strcspn(p, " "), p += strspn(p, " ")) {
        size_t l = strcspn(p, " ");
        for (int i = 0; i < queues_services(); i++)
            if (strlen(queues_service(i)) == l && !strncmp(queues_service(i), p, l))
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
    if (!(err = db_query(c, &s,
                         "SELECT user_id, sip_user, ha1, languages, services FROM sip_accounts WHERE realm = ? ORDER BY user_id",
                         DBP(DB_S(conf_str("sip.realm")))))) {
        while (db_next(s)) {
            if (rows++ >= ACCOUNTS_MAX)
                continue;
            struct tel_account *a = &out[(*n)++];
            a->user_id = db_int(s, 0);
            snprintf(a->sip_user, sizeof(a->sip_user), "%s", db_text(s, 1));
            snprintf(a->ha1, sizeof(a->ha1), "%s", db_text(s, 2));
            languages_scan(db_text(s, 3), a->proficiency, true);
            a->languages = 0;
            for (int i = 0; i < wasl_nlanguages; i++)
                a->languages |= a->proficiency[i] ? 1u << i : 0;
            a->services = services_bits(db_is_null(s, 4) ? NULL : db_text(s, 4));
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

static char node[64];

const char *registrar_node(void)
{
    return node;
}

int registrar_accounts_load(struct db *db)
{
    /* the cluster's name of the node (cluster.node, else the host name) */
    char host[48] = "";
    if (*cluster_node())
        snprintf(host, sizeof(host), "%s", cluster_node());
    else if (gethostname(host, sizeof(host) - 1) || !host[0])
        snprintf(host, sizeof(host), "wasl");
    snprintf(node, sizeof(node), "%s:%d", host, rt.cfg.port);
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
    tel_count(M_ACCOUNTS_RELOADED, 1);
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
    /* New skills apply at once to the agents logged in: the distributor
     * moves them to the queues that fit and keeps a call in progress. */
    for (int i = 0; i < naccounts; i++) {
        struct acd_agent_view v;
        struct acd_skills sk;
        if (acd_agent_get(rt.acd, accounts[i].user_id, &v) || v.state == ACD_OFFLINE) {
            err_clear();
            continue;
        }
        registrar_skills(&accounts[i], &sk);
        if (!memcmp(&sk, &v.skills, sizeof(sk)))
            continue;
        if (!sk.nlanguages || !sk.nservices) {
            /* no queue could be theirs any more (services the plan lacks,
             * set while the telephony was off): out of the queues, after a call */
            acd_agent_logout(rt.acd, accounts[i].user_id, -1, mono_us());
            err_clear();
            continue;
        }
        if (acd_agent_login(rt.acd, accounts[i].user_id, &sk, mono_us())) {
            log_warn("tel: the new skills of agent %lld were not applied: %s", (long long)accounts[i].user_id, err_message());
            err_clear();
        }
    }
    return 0; /* the snapshot is published next, before the sender hears back */
}

/* The services as stored: names separated by spaces, NULL for all
 * (nservices < 0). Checked here: the plan's names while the telephony runs,
 * the plan's form of a name when it is off (the plan is not loaded then;
 * a name it does not have is left out when the telephony starts). */
static int services_text(const char *const *services, int nservices, char *out, size_t n)
{
    size_t used = 0;
    out[0] = '\0';
    if (nservices < 0)
        return 0;
    if (nservices == 0 || nservices > TEL_SERVICES_MAX)
        return err_set_field(WASL_EINVAL, "tel.invalid_services", "services", "1 to %d services, or null for all of them",
                             TEL_SERVICES_MAX);
    for (int i = 0; i < nservices; i++) {
        const char *name = services[i];
        size_t l = name ? strlen(name) : 0;
        if (!l || l >= TEL_SERVICE_MAX || strspn(name, "abcdefghijklmnopqrstuvwxyz_") != l)
            return err_set_field(WASL_EINVAL, "tel.invalid_services", "services",
                                 "a service is a name of lower-case letters and _, up to %d", TEL_SERVICE_MAX - 1);
        for (int k = 0; k < i; k++)
            if (!strcmp(services[k], name))
                return err_set_field(WASL_EINVAL, "tel.invalid_services", "services", "'%s' is given twice", name);
        if (tel_running()) {
            bool known = false;
            for (int k = 0; k < queues_services() && !known; k++)
                known = !strcmp(queues_service(k), name);
            if (!known) {
                char list[TEL_SERVICES_MAX * TEL_SERVICE_MAX] = "";
                for (int k = 0; k < queues_services(); k++)
                    snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", k ? ", " : "", queues_service(k));
                return err_set_field(WASL_EINVAL, "tel.invalid_services", "services", "'%s' is not one of the queues' services: %s",
                                     name, list);
            }
        }
        used += (size_t)snprintf(out + used, n - used, "%s%s", i ? " " : "", name);
    }
    return 0;
}

int tel_account_set(struct db *db, int64_t user_id, const char *sip_user, const char *password, const char *languages,
                    const char *const *services, int nservices)
{
    char ha1[33] = "", svc[TEL_SERVICES_MAX * TEL_SERVICE_MAX];
    unsigned char prof[WASL_LANG_MAX];
    struct db_conn *c;
    int err;

    if (!sip_user || !*sip_user || strlen(sip_user) > 32 ||
        strspn(sip_user, "abcdefghijklmnopqrstuvwxyz0123456789._-") != strlen(sip_user))
        return err_set_field(WASL_EINVAL, "tel.invalid_sip_user", "sip_user", "1 to 32 characters: a-z 0-9 . _ -");
    if (password && (strlen(password) < 10 || strlen(password) > 128))
        return err_set_field(WASL_EINVAL, "tel.weak_sip_password", "password", "10 to 128 characters");
    if ((err = tel_languages_parse(languages, prof)) || (err = services_text(services, nservices, svc, sizeof(svc))))
        return err;
    const char *sv = nservices < 0 ? NULL : svc; /* NULL: every service */
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
        err = db_exec(c,
                      "INSERT INTO sip_accounts (user_id, sip_user, ha1, realm, languages, services, updated_at) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?) "
                      "ON CONFLICT (user_id) DO UPDATE SET sip_user = excluded.sip_user, ha1 = excluded.ha1, "
                      "realm = excluded.realm, languages = excluded.languages, services = excluded.services, "
                      "updated_at = excluded.updated_at",
                      DBP(DB_I(user_id), DB_S(sip_user), DB_S(ha1), DB_S(conf_str("sip.realm")), DB_S(languages), DB_S(sv),
                          DB_I(clock_now())));
    else if (!err)
        err = db_exec(c, "UPDATE sip_accounts SET languages = ?, services = ?, updated_at = ? WHERE user_id = ? AND sip_user = ?",
                      DBP(DB_S(languages), DB_S(sv), DB_I(clock_now()), DB_I(user_id), DB_S(sip_user)));
    if (!err)
        err = db_change_bump(c, "accounts"); /* the other nodes reload too */
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

int tel_account_get(struct db *db, int64_t user_id, struct tel_account_info *out)
{
    struct db_conn *c;
    struct db_stmt *s = NULL;
    int err = db_conn_get(db, &c);
    bool found = false;
    memset(out, 0, sizeof(*out));
    if (err)
        return err;
    if (!(err = db_query(c, &s, "SELECT sip_user, languages, services FROM sip_accounts WHERE user_id = ?", DBP(DB_I(user_id))))) {
        if ((found = db_next(s))) {
            snprintf(out->sip_user, sizeof(out->sip_user), "%s", db_text(s, 0));
            snprintf(out->languages, sizeof(out->languages), "%s", db_text(s, 1));
            languages_scan(out->languages, out->proficiency, true);
            out->nservices = -1;
            if (!db_is_null(s, 2)) {
                out->nservices = 0;
                for (const char *p = db_text(s, 2); *p && out->nservices < TEL_SERVICES_MAX;
                     p += strcspn(p, " "), p += strspn(p, " ")) {
                    size_t l = strcspn(p, " ");
                    snprintf(out->services[out->nservices++], TEL_SERVICE_MAX, "%.*s",
                             (int)(l < TEL_SERVICE_MAX ? l : TEL_SERVICE_MAX - 1), p);
                }
            }
        }
        err = db_end(s);
    }
    db_conn_put(c);
    if (!err && !found)
        err = err_set(WASL_ENOENT, "tel.no_phone", "this user has no SIP account");
    return err;
}

int tel_agents_of_language(struct db_conn *c, const char *lang, tel_user_h h, void *arg)
{
    struct db_stmt *s = NULL;
    int li = language_index(lang), err;
    if (li < 0)
        return err_set_field(WASL_EINVAL, "tel.invalid_languages", "lang", "'%.8s' is not one of %s", lang, languages_list());
    /* users.disabled is read here, in the caller's transaction, rather than
     * through user_briefs() on a connection of its own. */
    err = db_query(c, &s,
                   "SELECT s.user_id, s.languages FROM sip_accounts s JOIN users u ON u.id = s.user_id WHERE u.disabled = 0 "
                   "ORDER BY s.user_id",
                   NULL, 0);
    while (!err && db_next(s)) {
        unsigned char prof[WASL_LANG_MAX];
        languages_scan(db_text(s, 1), prof, true);
        if (prof[li])
            err = h(db_int(s, 0), arg);
    }
    int err2 = db_end(s);
    return err ? err : err2;
}

int tel_plan_services(void)
{
    return tel_running() ? queues_services() : 0;
}

const char *tel_plan_service(int i)
{
    return queues_service(i);
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

/* The contact of the account at index i (registrar_account_at), without
 * a search: the snapshot walks every account. */
bool registrar_contact_at(int i, char *uri, size_t n)
{
    if (i >= 0 && i < naccounts && locations[i].set) {
        snprintf(uri, n, "%s", locations[i].contact);
        return true;
    }
    if (n)
        uri[0] = '\0';
    return false;
}

bool registrar_contact(int64_t user_id, char *uri, size_t n)
{
    for (int i = 0; i < naccounts; i++)
        if (accounts[i].user_id == user_id && locations[i].set)
            return registrar_contact_at(i, uri, n);
    return registrar_contact_at(-1, uri, n);
}

int registrar_route(const char *contact, char routes[][PATH_URI_MAX], int max)
{
    for (int i = 0; i < naccounts; i++) {
        const struct location *loc = &locations[i];
        if (!loc->set || strcmp(loc->contact, contact))
            continue;
        if (loc->path[0])
            return regpath_routes(loc->path, routes, max);
        if (loc->flow[0] && max > 0 && strlen(loc->flow) < PATH_URI_MAX) {
            snprintf(routes[0], PATH_URI_MAX, "%s", loc->flow);
            return 1;
        }
        return 0;
    }
    return 0;
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

bool registrar_locked_out(const char *src)
{
    int64_t now = mono_us();
    struct limit_slot *lk = limit_slot_get(locks, LOCKS_MAX, src, false, now);
    return lk && limit_wait(&lk->st, now);
}

static void failed(const char *addr, int64_t now)
{
    const struct limit_rule r = {.window = rt.cfg.auth_lockout, .lock_after = rt.cfg.auth_failures, .lock = rt.cfg.auth_lockout};
    struct limit_slot *l = limit_slot_get(locks, LOCKS_MAX, addr, true, now);
    tel_count(M_REG_FAIL, 1);
    if (limit_hit(&r, &l->st, now) == LIMIT_LOCKED) {
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

/* The Path headers of a REGISTER into the stored form; stops at the
 * first fault. */
struct path_walk {
    char *out;
    size_t n;
    const char *why;
    int hops;
};

static bool path_h(const struct sip_hdr *hdr, const struct sip_msg *msg, void *arg)
{
    struct path_walk *w = arg;
    (void)msg;
    return regpath_add(w->out, w->n, hdr->val.p, hdr->val.l, &rt.cfg.path_from, &w->why) != 0;
}

/* The Via a proxy of sip.path_from received the REGISTER with: below the
 * proxies' own (one per hop of the Path, one when there is none). */
struct via_walk {
    int skip;
};

static bool via_h(const struct sip_hdr *hdr, const struct sip_msg *msg, void *arg)
{
    struct via_walk *w = arg;
    (void)hdr;
    (void)msg;
    return w->skip-- == 0;
}

/* The address failed authentications count against: the source, or behind
 * a proxy of sip.path_from the phone's own as that proxy saw it (the
 * received parameter it put on the phone's Via, else that Via's host).
 * Counted against the proxy, one phone's wrong passwords would lock every
 * phone behind it out; the phone's Via is the one below the proxies', so
 * Vias a phone adds under its own change nothing. */
static void phone_address(const struct sip_msg *msg, const char *src, int hops, char *out, size_t n)
{
    struct via_walk w = {hops > 0 ? hops : 1};
    const struct sip_hdr *h;
    struct sip_via via;
    struct pl rcv;
    struct sa sa;

    snprintf(out, n, "%s", src);
    if (!addr_list_has(&rt.cfg.path_from, src) || !(h = sip_msg_hdr_apply(msg, true, SIP_HDR_VIA, via_h, &w)) ||
        sip_via_decode(&via, &h->val))
        return;
    if (!msg_param_decode(&via.params, "received", &rcv) && !sa_set(&sa, &rcv, 0))
        sa_ntop(&sa, out, n);
    else if (sa_isset(&via.addr, SA_ADDR))
        sa_ntop(&via.addr, out, n);
}

bool registrar_request(const struct sip_msg *msg)
{
    char src[64], user[64], realm[64], nonce[80], uri[256], resp[40], nc[16], cnonce[80], qop[16], want[33];
    char path[PATH_TEXT_MAX] = "";
    const struct sip_hdr *h;
    struct httpauth_digest_resp r;
    int64_t now = mono_us();
    struct limit_slot *lk;

    if (sa_ntop(&msg->src, src, sizeof(src)))
        return true;
    /* A Path (RFC 3327) makes wasl send the phone's calls to its hops: only
     * the proxies of sip.path_from may add one, and only name themselves
     * (a phone cannot slip a host of its choice under the proxy's). */
    if (sip_msg_hdr(msg, SIP_HDR_PATH)) {
        struct path_walk w = {path, sizeof(path), NULL, 0};
        if (!addr_list_has(&rt.cfg.path_from, src))
            w.why = "a Path is taken only from the proxies of sip.path_from";
        else if (!sip_msg_hdr_apply(msg, true, SIP_HDR_PATH, path_h, &w) && !path[0])
            w.why = "empty Path";
        if (w.why) {
            static struct log_gate gate;
            uint64_t more = 0;
            tel_count(M_REG_FAIL, 1);
            if (log_gate_open(&gate, now, &more))
                log_warn("tel: REGISTER from %s refused: %s (%llu more since the last such line)", src, w.why,
                         (unsigned long long)more);
            sip_replyf(rt.sip, msg, 403, "Forbidden", "Warning: 399 wasl \"%s\"\r\nContent-Length: 0\r\n\r\n", w.why);
            return true;
        }
    }
    int hops = 0;
    for (const char *p = path; (p = strchr(p, '<')); p++)
        hops++;
    char who[64];
    phone_address(msg, src, hops, who, sizeof(who));
    if ((lk = limit_slot_get(locks, LOCKS_MAX, who, false, now)) && limit_wait(&lk->st, now)) {
        tel_count(M_DROPPED, 1);
        return true;
    }
    if (!(h = sip_msg_hdr(msg, SIP_HDR_AUTHORIZATION))) {
        challenge(msg, false);
        return true;
    }
    if (httpauth_digest_response_decode(&r, &h->val)) {
        failed(who, now);
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
        failed(who, now);
        sip_reply(rt.sip, msg, 403, "Forbidden");
        return true;
    }
    /* A right answer seen before (its nonce count not above the last one):
     * a replay, within the nonce's 300 s, perhaps with another Contact. A
     * phone answers the new challenge. */
    if (!nonce_count_fresh(&locations[k], nonce, nc)) {
        tel_count(M_REG_REPLAY, 1);
        challenge(msg, false);
        return true;
    }
    if (lk)
        lk->st.hits = 0;

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
        snprintf(loc->path, sizeof(loc->path), "%s", path);
        loc->at = clock_now();
        loc->from_store = false;
        loc->flow[0] = '\0';
        /* behind a proxy, the proxy holds the phone's connection; wasl
         * reaches the proxy as its Path says */
        if (!path[0] && (msg->tp == SIP_TRANSP_TLS || msg->tp == SIP_TRANSP_TCP)) {
            re_snprintf(loc->flow, sizeof(loc->flow), "sip:%J;transport=%s", &msg->src, sip_transp_param(msg->tp));
            /* libre closes a SIP connection that carried nothing for 900 s:
             * the phone comes back before (its REGISTER keeps it open) */
            if (expires > FLOW_EXPIRES_MAX)
                expires = FLOW_EXPIRES_MAX;
        }
        loc->expires = now + (int64_t)expires * 1000000;
        tel_count(M_REG_OK, 1);
        /* at: the binding's own time, which the store's row keeps (a node
         * reading it back knows it for its own) */
        struct ev e = {.kind = EV_PHONE_REGISTERED, .at = loc->at, .agent = accounts[k].user_id, .n = expires};
        if (strlen(contact) >= sizeof(e.a) - 1)
            log_warn("tel: the contact of %s's phone (%zu bytes) is longer than the event log and the store keep (%zu): "
                     "other nodes cannot reach it",
                     accounts[k].sip_user, strlen(contact), sizeof(e.a) - 2);
        snprintf(e.a, sizeof(e.a), "%s", contact);
        snprintf(e.b, sizeof(e.b), "%s", loc->flow);
        snprintf(e.c, sizeof(e.c), "%s", loc->path);
        events_emit(&e);
    }
    /* RFC 3327 5.3: the Path goes back to a phone that says it knows it */
    bool echo = loc->set && loc->path[0] && sip_msg_hdr_has_value(msg, SIP_HDR_SUPPORTED, "path");
    if (loc->set)
        sip_replyf(rt.sip, msg, 200, "OK", "Contact: <%s>;expires=%lld\r\n%s%s%sContent-Length: 0\r\n\r\n", loc->contact,
                   (long long)((loc->expires - now) / 1000000), echo ? "Path: " : "", echo ? loc->path : "", echo ? "\r\n" : "");
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
        /* with when it registered: the store's row goes only if no node
         * has had a newer REGISTER since (a node that read the binding at
         * its start sees it expire while the phone refreshes elsewhere) */
        events_add(EV_PHONE_UNREGISTERED, 0, accounts[i].user_id, NULL, "expired", NULL, NULL, loc->at, 0);
        snap_dirty();
        struct acd_agent_view v;
        if (!acd_agent_get(rt.acd, accounts[i].user_id, &v) && v.state == ACD_AVAILABLE)
            acd_agent_pause(rt.acd, accounts[i].user_id, "phone_offline", 0, now);
        log_info("tel: the phone of %s stopped registering", accounts[i].sip_user);
    }
}

/* ---- the bindings in the store ---- */

static int binding_row_h(struct db_stmt *s, void *arg)
{
    struct bindings *b = arg;
    if (b->n == BINDINGS_MAX)
        return err_set(WASL_ELIMIT, "tel.too_many_phones", "more than %d phone registrations in the store", BINDINGS_MAX);
    struct binding_row *r = &b->row[b->n++];
    r->user_id = db_int(s, 0);
    snprintf(r->contact, sizeof(r->contact), "%s", db_text(s, 1));
    r->expires_at = db_int(s, 2);
    snprintf(r->path, sizeof(r->path), "%s", db_text(s, 3));
    snprintf(r->flow, sizeof(r->flow), "%s", db_text(s, 4));
    snprintf(r->node, sizeof(r->node), "%s", db_text(s, 5));
    r->updated_at = db_int(s, 6);
    return 0;
}

int registrar_bindings_read(struct db *db, struct bindings *out)
{
    struct db_conn *c;
    int64_t now = clock_now();
    int err;

    out->n = 0;
    if ((err = db_conn_get(db, &c)))
        return err;
    err = db_exec(c, "DELETE FROM sip_registrations WHERE expires_at <= ?", DBP(DB_I(now)));
    db_conn_put(c);
    if (err)
        return err;
    return db_each(db,
                   "SELECT user_id, contact, expires_at, path, flow, node, updated_at FROM sip_registrations WHERE expires_at > ? "
                   "ORDER BY user_id",
                   DBP(DB_I(now)), binding_row_h, out);
}

/* A binding let go because the store has a newer one this node cannot use,
 * or none any more (the phone unregistered, or expired, with another node). */
static void binding_drop(int k)
{
    locations[k].set = false;
    nregistered--;
}

void registrar_bindings_apply(const struct bindings *b, int64_t now)
{
    static bool listed[ACCOUNTS_MAX];
    int64_t wall = clock_now();
    int loaded = 0, skipped = 0, dropped = 0;
    memset(listed, 0, sizeof(listed));
    for (int i = 0; i < b->n; i++) {
        const struct binding_row *r = &b->row[i];
        int k = -1;
        for (int a = 0; a < naccounts && k < 0; a++)
            if (accounts[a].user_id == r->user_id)
                k = a;
        if (k < 0 || r->expires_at <= wall)
            continue; /* no account any more (disabled, removed), or expired since it was read */
        struct location *loc = &locations[k];
        listed[k] = true;
        if (loc->set && loc->at >= r->updated_at)
            continue; /* this node's own, or read before: as recent */
        char path[PATH_TEXT_MAX] = "";
        const char *why = NULL;
        if (strlen(r->contact) >= EVENTS_TEXT_MAX - 1)
            why = "its contact is longer than the store keeps";
        else if (r->flow[0] && !r->path[0])
            /* over a TCP or TLS connection another process holds (or held,
             * before this one started): nothing here can reach the phone
             * until it registers again */
            why = "it is bound to that node's TCP or TLS connection";
        else if (r->path[0])
            /* checked again: sip.path_from may no longer trust that proxy */
            regpath_add(path, sizeof(path), r->path, strlen(r->path), &rt.cfg.path_from, &why);
        if (why) {
            if (loc->skipped_at != r->updated_at) /* said once per registration */
                log_warn("tel: the phone of %s registered with node %s (%s%s%s) is not reachable from this node until it "
                         "registers again: %s",
                         accounts[k].sip_user, r->node[0] ? r->node : "(unknown)", r->contact, r->path[0] ? " through " : "",
                         r->path, why);
            loc->skipped_at = r->updated_at;
            if (loc->set) {
                binding_drop(k); /* older than the one it cannot use */
                dropped++;
            }
            skipped++;
            continue;
        }
        if (!loc->set)
            nregistered++;
        loc->set = loc->from_store = true;
        snprintf(loc->contact, sizeof(loc->contact), "%s", r->contact);
        snprintf(loc->path, sizeof(loc->path), "%s", path);
        loc->flow[0] = '\0';
        loc->expires = now + (r->expires_at - wall);
        loc->at = r->updated_at;
        loaded++;
    }
    /* what this node read from the store before and the store no longer has */
    for (int k = 0; k < naccounts; k++)
        if (locations[k].set && locations[k].from_store && !listed[k]) {
            binding_drop(k);
            dropped++;
        }
    snap_dirty();
    if (loaded || skipped || dropped)
        log_info("tel: phone registrations from the store: %d loaded, %d not reachable from here, %d let go", loaded, skipped,
                 dropped);
}

static int bindings_rt(void *arg)
{
    registrar_bindings_apply(arg, mono_us());
    return 0;
}

int tel_locations_reload(struct db *db)
{
    struct bindings *b;
    bool applied;
    int err;
    if (!tel_running())
        return 0;
    if (!(b = calloc(1, sizeof(*b))))
        return WASL_ENOMEM;
    if ((err = registrar_bindings_read(db, b))) {
        free(b);
        return err;
    }
    return tel_command(bindings_rt, b, free, 1000, &applied);
}

/* The account's languages at their proficiency, and its services. */
void registrar_skills(const struct tel_account *a, struct acd_skills *sk)
{
    memset(sk, 0, sizeof(*sk));
    for (int i = 0; i < queues_services() && sk->nservices < ACD_SERVICES_MAX; i++)
        if (a->services & (1u << i))
            snprintf(sk->services[sk->nservices++], sizeof(sk->services[0]), "%s", queues_service(i));
    for (int i = 0; i < wasl_nlanguages && sk->nlanguages < ACD_SKILLS_MAX; i++)
        if (a->languages & (1u << i)) {
            sk->languages[sk->nlanguages].language = i;
            sk->languages[sk->nlanguages++].proficiency = a->proficiency[i];
        }
}
