/*
 * The distributor's lease (cluster.h): a row of cluster_lease taken with
 * one conditional upsert, which works alike on SQLite and PostgreSQL, and
 * renewed on a thread of its own; a second thread fences: a leader whose
 * last renewal is older than 60 % of the lease steps down even while the
 * store does not answer at all (a statement stuck on a dead connection).
 * A node without the cluster holds the same row as a "solo" claim (not
 * fenced). Each round also reads the nodes seen, so that /healthz answers
 * from memory; and the hooks run on a change of role live here.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cluster.h"
#include "store/store.h"

#define LEASE "distributor"
#define FENCE_SHARE 0.6
#define NODES_SEEN_LEASES 10
/* A solo claim's instance: "solo.<boot id>.<pid namespace>.<pid>.<start
 * time in ticks>.<store>": enough to tell on this machine whether the
 * process that holds it is gone, and whether the row was copied from
 * another store with the data (a backup restored). */
#define SOLO "solo."
#define MAX_HOOKS 16
#define NODES_MAX 16

/* clang-format off */
const struct conf_def cluster_conf[] = {
    {"cluster.enabled", CONF_BOOL, "false", 0, 0, "several nodes on one PostgreSQL store: one at a time holds the distributor's lease (telephony, distributor, background jobs), the others stand by (docs/scale-out.md). Off, the node holds the store alone: a second node on it is refused"},
    {"cluster.node", CONF_STR, "", 0, 0, "this node's name among the nodes (empty: the host name)"},
    {"cluster.lease", CONF_DURATION, "5s", 1, 60, "how long the distributor's lease lasts without renewal: a dead node's calls are taken over after at most this (renewed every fifth of it); also how long a node without the cluster keeps the store after it stopped renewing"},
};
/* clang-format on */
const size_t cluster_conf_count = sizeof(cluster_conf) / sizeof(cluster_conf[0]);

struct hook {
    const char *name;
    int stage;
    bool lead;
    cluster_lead_h on_lead;
    cluster_down_h on_down;
    void *arg;
};

struct seen_node {
    char node[64], role[16];
    int64_t seen_at; /* ms of the wall clock */
};

static struct {
    struct db *db;
    cluster_role_h h;
    void *arg;
    bool enabled, started, stopping, fencing;
    char node[64], instance[160], holder[232], store[96];
    int lease_ms;
    int64_t started_at;
    pthread_t lease_thread, fence_thread;
    pthread_mutex_t mx;
    pthread_cond_t cv;
    _Atomic bool leading;
    _Atomic int64_t renewed_mono; /* µs, the start of the last renewal that held */
    _Atomic int64_t round_mono;   /* µs, the start of the round under way (0: none) */
    bool lost;                    /* stepped down: never leads again in this run */
    bool warned_solo;             /* a clustered node said once that a solo node holds the store */
    int64_t epoch, since;
    char leader[64];
    /* The last round that reached the store: what /healthz shows. */
    int64_t view_mono; /* µs; 0: none yet */
    int nnodes;
    struct seen_node nodes[NODES_MAX];
    /* The hooks, kept sorted by stage. */
    int nhooks;
    struct hook hooks[MAX_HOOKS];
} g = {.mx = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool cluster_leading(void)
{
    return atomic_load(&g.leading);
}

const char *cluster_node(void)
{
    return g.node;
}

/* ---- who holds a solo claim ---- */

/* This machine's boot and this process's pid namespace: a solo claim made
 * under the same two names a process this node can look up in /proc. */
static void machine_id(char *out, size_t n)
{
    char boot[64] = "", ns[64] = "";
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
    if (f) {
        if (!fgets(boot, sizeof(boot), f))
            boot[0] = 0;
        fclose(f);
        boot[strcspn(boot, "\n.")] = 0;
    }
    ssize_t len = readlink("/proc/self/ns/pid", ns, sizeof(ns) - 1);
    ns[len > 0 ? len : 0] = 0;
    char *digits = strchr(ns, '[');
    snprintf(out, n, "%s.%lld", boot[0] ? boot : "?", digits ? atoll(digits + 1) : 0LL);
}

/* The state and start time (clock ticks since boot) of process pid; false
 * when there is no such process. */
static bool proc_stat(long pid, char *state, unsigned long long *start)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')'); /* the command name may hold anything */
    return p &&
           sscanf(p + 1, " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu", state, start) == 2;
}

/* A solo claim's instance names a process of this machine that is gone
 * (ended, or a zombie its parent has not reaped). False when it cannot be
 * told (another machine, another pid namespace, a clustered holder). */
static bool solo_gone(const char *instance)
{
    char mine[128], theirs[128];
    long pid = 0;
    unsigned long long start = 0, now_start;
    char state;
    if (strncmp(instance, SOLO, strlen(SOLO)))
        return false;
    machine_id(mine, sizeof(mine));
    size_t ml = strlen(mine);
    snprintf(theirs, sizeof(theirs), "%s", instance + strlen(SOLO));
    if (strncmp(theirs, mine, ml) || theirs[ml] != '.' || sscanf(theirs + ml, ".%ld.%llu", &pid, &start) != 2 || pid <= 0)
        return false;
    if (pid == (long)getpid())
        return false; /* this very process */
    if (!proc_stat(pid, &state, &now_start))
        return true;
    return now_start != start || state == 'Z' || state == 'X';
}

/* The store a solo claim was made on, as its node saw it (after the last
 * dot of the instance). */
static const char *solo_store(const char *instance)
{
    const char *dot = strrchr(instance, '.');
    return dot ? dot + 1 : "";
}

/* ---- the lease's rounds ---- */

/* Under g.mx. */
static void step_down(const char *why)
{
    if (!atomic_load(&g.leading))
        return;
    atomic_store(&g.leading, false);
    g.lost = true;
    log_error("cluster: node %s no longer holds %s (%s)", g.node, g.enabled ? "the distributor's lease" : "its claim on the store",
              why);
    if (g.h)
        g.h(false, g.arg);
}

struct round {
    int64_t now, expires, epoch;
    bool held;
    char node[64];         /* the holder's node while its lease is in force, else "" */
    char holder[232];      /* the holder, whoever */
    const char *take_from; /* also taken from this holder ("" none): one known gone */
    int nnodes;
    struct seen_node nodes[NODES_MAX];
};

static int round_tx(struct db_conn *c, void *arg)
{
    struct round *r = arg;
    struct db_stmt *s = NULL;
    int err;
    /* Taken when free or expired, or kept by its holder. */
    if ((err = db_exec(c,
                       "INSERT INTO cluster_lease (name, holder, node, epoch, acquired_at, expires_at) VALUES (?, ?, ?, 1, ?, ?) "
                       "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, node = excluded.node, "
                       "epoch = CASE WHEN cluster_lease.holder = excluded.holder THEN cluster_lease.epoch "
                       "ELSE cluster_lease.epoch + 1 END, "
                       "acquired_at = CASE WHEN cluster_lease.holder = excluded.holder THEN cluster_lease.acquired_at "
                       "ELSE excluded.acquired_at END, expires_at = excluded.expires_at "
                       "WHERE cluster_lease.holder = excluded.holder OR cluster_lease.expires_at < ? OR cluster_lease.holder = ?",
                       DBP(DB_S(LEASE), DB_S(g.holder), DB_S(g.node), DB_I(r->now), DB_I(r->expires), DB_I(r->now),
                           DB_S(r->take_from ? r->take_from : "")))))
        return err;
    err = db_query(c, &s, "SELECT holder, node, epoch, expires_at FROM cluster_lease WHERE name = ?", DBP(DB_S(LEASE)));
    if (!err && db_next(s)) {
        snprintf(r->holder, sizeof(r->holder), "%s", db_text(s, 0));
        r->held = !strcmp(r->holder, g.holder);
        snprintf(r->node, sizeof(r->node), "%s", db_int(s, 3) >= r->now ? db_text(s, 1) : "");
        r->epoch = db_int(s, 2);
    }
    if ((err = db_end(s)))
        return err;
    const char *role = !g.enabled ? "solo" : r->held ? "leader" : "standby";
    if ((err = db_exec(c,
                       "INSERT INTO cluster_nodes (node, instance, role, started_at, seen_at) VALUES (?, ?, ?, ?, ?) "
                       "ON CONFLICT (node) DO UPDATE SET instance = excluded.instance, role = excluded.role, "
                       "started_at = excluded.started_at, seen_at = excluded.seen_at",
                       DBP(DB_S(g.node), DB_S(g.instance), DB_S(role), DB_I(g.started_at), DB_I(r->now)))))
        return err;
    /* The nodes seen, for /healthz (which no longer asks the store). */
    err = db_query(c, &s, "SELECT node, role, seen_at FROM cluster_nodes WHERE seen_at > ? ORDER BY node",
                   DBP(DB_I(r->now - (int64_t)g.lease_ms * NODES_SEEN_LEASES)));
    r->nnodes = 0;
    while (!err && db_next(s) && r->nnodes < NODES_MAX) {
        struct seen_node *n = &r->nodes[r->nnodes++];
        snprintf(n->node, sizeof(n->node), "%s", db_text(s, 0));
        snprintf(n->role, sizeof(n->role), "%s", db_text(s, 1));
        n->seen_at = db_int(s, 2);
    }
    return err ? (db_end(s), err) : db_end(s);
}

/* One round: take or renew the lease, say who holds it, keep the view.
 * Returns the round's error (0 when it reached the store); r is filled. */
static int lease_round(struct round *r)
{
    int64_t mono = clock_mono_us();
    r->now = wall_ms();
    r->expires = r->now + g.lease_ms;
    pthread_mutex_lock(&g.mx);
    bool lost = g.lost;
    pthread_mutex_unlock(&g.mx);
    if (lost)
        return 0;
    atomic_store(&g.round_mono, mono);
    int tx = db_tx(g.db, round_tx, r);
    atomic_store(&g.round_mono, 0);
    int64_t took_ms = (clock_mono_us() - mono) / 1000;
    if (took_ms > g.lease_ms / 5)
        log_warn("cluster: a lease round took %lld ms (the store or this machine is slow; the lease is %d s, the "
                 "leader steps down after %d ms without renewal)",
                 (long long)took_ms, g.lease_ms / 1000, (int)(g.lease_ms * FENCE_SHARE));
    if (tx) {
        /* The fence steps down if this lasts; a standby just tries again. */
        int err = WASL_EDB;
        if (!db_is_failing(g.db))
            log_warn("cluster: lease round failed: %s", err_message());
        err_clear();
        return err;
    }
    pthread_mutex_lock(&g.mx);
    snprintf(g.leader, sizeof(g.leader), "%s", r->node);
    g.epoch = r->epoch;
    g.nnodes = r->nnodes;
    memcpy(g.nodes, r->nodes, sizeof(g.nodes[0]) * (size_t)r->nnodes);
    g.view_mono = clock_mono_us();
    if (r->held && !g.lost) {
        atomic_store(&g.renewed_mono, mono);
        if (!atomic_load(&g.leading)) {
            atomic_store(&g.leading, true);
            g.since = clock_now();
            log_info("cluster: node %s holds %s (epoch %lld)", g.node, g.enabled ? "the distributor's lease" : "the store alone",
                     (long long)r->epoch);
            if (g.h && g.started)
                g.h(true, g.arg);
        }
    } else if (!r->held && atomic_load(&g.leading)) {
        step_down(r->node[0] ? "another node took it" : "another node took it, or it lapsed");
    } else if (!r->held && g.enabled && r->node[0] && !g.warned_solo) {
        const char *inst = strchr(r->holder, '/');
        if (inst && !strncmp(inst + 1, SOLO, strlen(SOLO))) {
            g.warned_solo = true;
            log_error("cluster: node %s, without cluster.enabled, holds this store: this node will not lead beside it. "
                      "Set cluster.enabled = true on every node (docs/scale-out.md)",
                      r->node);
        }
    }
    pthread_mutex_unlock(&g.mx);
    return 0;
}

static void *lease_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&g.mx);
    while (!g.stopping) {
        struct timespec until;
        clock_deadline((int64_t)g.lease_ms * 1000 / 5, &until);
        while (!g.stopping && pthread_cond_timedwait(&g.cv, &g.mx, &until) == 0)
            ;
        if (g.stopping)
            break;
        pthread_mutex_unlock(&g.mx);
        struct round r = {0};
        lease_round(&r);
        pthread_mutex_lock(&g.mx);
    }
    pthread_mutex_unlock(&g.mx);
    return NULL;
}

static void *fence_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&g.mx);
    while (!g.stopping) {
        struct timespec until;
        clock_deadline(50000, &until);
        while (!g.stopping && pthread_cond_timedwait(&g.cv, &g.mx, &until) == 0)
            ;
        int64_t now = clock_mono_us(), round = atomic_load(&g.round_mono);
        if (!g.stopping && atomic_load(&g.leading) &&
            now - atomic_load(&g.renewed_mono) > (int64_t)(g.lease_ms * 1000 * FENCE_SHARE)) {
            char why[160];
            if (round)
                snprintf(why, sizeof(why), "not renewed in time: the store has not answered this node's round for %lld ms",
                         (long long)((now - round) / 1000));
            else
                snprintf(why, sizeof(why), "not renewed in time: no round for %lld ms (this machine did not run it)",
                         (long long)((now - atomic_load(&g.renewed_mono)) / 1000));
            step_down(why);
        }
    }
    pthread_mutex_unlock(&g.mx);
    return NULL;
}

/* ---- the start: who else is on the store ---- */

struct peek {
    int64_t now;
    char holder[232], node[64];
    int64_t expires_at;
    char clustered[64]; /* a clustered node seen within the lease (solo start) */
    int64_t clustered_at;
};

static int peek_tx(struct db_conn *c, void *arg)
{
    struct peek *p = arg;
    struct db_stmt *s = NULL;
    int err = db_query(c, &s, "SELECT holder, node, expires_at FROM cluster_lease WHERE name = ?", DBP(DB_S(LEASE)));
    if (!err && db_next(s)) {
        snprintf(p->holder, sizeof(p->holder), "%s", db_text(s, 0));
        snprintf(p->node, sizeof(p->node), "%s", db_text(s, 1));
        p->expires_at = db_int(s, 2);
    }
    if ((err = err ? (db_end(s), err) : db_end(s)))
        return err;
    /* The store's own name, as this node reaches it (no dot: the instance's
     * separator). */
    snprintf(g.store, sizeof(g.store), "?");
    if (db_backend(db_conn_db(c)) == DB_PG) {
        err = db_query(c, &s, "SELECT current_database()", NULL, 0);
        if (!err && db_next(s))
            snprintf(g.store, sizeof(g.store), "pg:%s", db_text(s, 0));
    } else {
        err = db_query(c, &s, "SELECT file FROM pragma_database_list WHERE name = 'main'", NULL, 0);
        struct stat st;
        if (!err && db_next(s) && !stat(db_text(s, 0), &st))
            snprintf(g.store, sizeof(g.store), "file:%llu:%llu", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
    }
    if ((err = err ? (db_end(s), err) : db_end(s)))
        return err;
    for (char *d = g.store; *d; d++)
        if (*d == '.')
            *d = '_';
    if (g.enabled)
        return 0;
    err = db_query(c, &s,
                   "SELECT node, seen_at FROM cluster_nodes WHERE role IN ('leader', 'standby') AND seen_at > ? "
                   "ORDER BY seen_at DESC LIMIT 1",
                   DBP(DB_I(p->now - g.lease_ms)));
    if (!err && db_next(s)) {
        snprintf(p->clustered, sizeof(p->clustered), "%s", db_text(s, 0));
        p->clustered_at = db_int(s, 1);
    }
    return err ? (db_end(s), err) : db_end(s);
}

static int in_use(const char *who, const char *how, int64_t ms_ago)
{
    return err_set(WASL_ECONFLICT, "cluster.store_in_use",
                   "another wasl node uses this store: node %s (%s), seen %lld ms ago. Two nodes on one store without "
                   "cluster.enabled would each run the telephony and the background jobs (every mail sent twice). Set "
                   "cluster.enabled = true on every node (docs/scale-out.md), or stop the other node; a node that died "
                   "leaves the store %d s after its last renewal (cluster.lease) [cluster.store_in_use]",
                   who, how, (long long)(ms_ago > 0 ? ms_ago : 0), g.lease_ms / 1000);
}

/* Before the first round: refuses when another node's claim forbids this
 * one to run; sets *take_from to a solo claim known dead (its process is
 * gone from this machine) or copied from another store. */
static int check_store(char *take_from, size_t n)
{
    struct peek p = {.now = wall_ms()};
    take_from[0] = 0;
    if (db_tx(g.db, peek_tx, &p)) {
        /* The first round tries again; its upsert never takes a claim in
         * force, so only the clustered standbys go unchecked. */
        log_warn("cluster: node %s could not look for other nodes on the store: %s", g.node, err_message());
        err_clear();
        return 0;
    }
    if (p.holder[0] && p.expires_at >= p.now && strcmp(p.holder, g.holder)) {
        const char *inst = strchr(p.holder, '/');
        bool solo = inst && !strncmp(inst + 1, SOLO, strlen(SOLO));
        if (solo && (solo_gone(inst + 1) || strcmp(solo_store(inst + 1), g.store))) {
            snprintf(take_from, n, "%s", p.holder);
            log_info("cluster: node %s's claim on the store %s: taken at once", p.node,
                     strcmp(solo_store(inst + 1), g.store) ? "was made on another store (this one is a copy)"
                                                           : "is left by a process that is gone");
        } else if (solo) {
            return in_use(p.node, "without cluster.enabled", p.now - (p.expires_at - g.lease_ms));
        } else if (!g.enabled) {
            return in_use(p.node, "leading a cluster: cluster.enabled", p.now - (p.expires_at - g.lease_ms));
        }
    }
    if (!g.enabled && p.clustered[0])
        return in_use(p.clustered, "standing by in a cluster: cluster.enabled", p.now - p.clustered_at);
    return 0;
}

int cluster_start(struct db *db, cluster_role_h h, void *arg)
{
    unsigned char tag[4];
    char host[64] = "", take_from[232];
    int err;

    g.db = db;
    g.h = h;
    g.arg = arg;
    g.enabled = conf_bool("cluster.enabled");
    g.lease_ms = (int)conf_int("cluster.lease") * 1000;
    g.stopping = g.lost = g.warned_solo = false;
    g.view_mono = 0;
    g.nnodes = 0;
    snprintf(g.node, sizeof(g.node), "%s", conf_str("cluster.node"));
    if (!g.node[0]) {
        gethostname(host, sizeof(host) - 1);
        snprintf(g.node, sizeof(g.node), "%s", host[0] ? host : "wasl");
    }
    if (g.enabled && db_backend(db) != DB_PG)
        log_warn("cluster: cluster.enabled with a SQLite store: the nodes must share its file on one machine; "
                 "several machines need PostgreSQL");
    snprintf(g.store, sizeof(g.store), "?");
    if (g.enabled) {
        wrand_bytes(tag, sizeof(tag));
        snprintf(g.instance, sizeof(g.instance), "%02x%02x%02x%02x", tag[0], tag[1], tag[2], tag[3]);
    }
    snprintf(g.holder, sizeof(g.holder), "%s/%s", g.node, g.instance);
    /* The instance of a solo claim names the store, read by check_store(). */
    if ((err = check_store(take_from, sizeof(take_from))))
        return err;
    if (!g.enabled) {
        char mid[128], start_s[32] = "0";
        unsigned long long start = 0;
        char state;
        machine_id(mid, sizeof(mid));
        if (proc_stat((long)getpid(), &state, &start))
            snprintf(start_s, sizeof(start_s), "%llu", start);
        snprintf(g.instance, sizeof(g.instance), SOLO "%s.%ld.%s.%s", mid, (long)getpid(), start_s, g.store);
        snprintf(g.holder, sizeof(g.holder), "%s/%s", g.node, g.instance);
    }
    g.started_at = wall_ms();
    atomic_store(&g.leading, false);
    struct round r = {.take_from = take_from};
    if (lease_round(&r) && !g.enabled) {
        /* A solo node leads through a store outage, as it always did. */
        log_warn("cluster: node %s could not check the store for other nodes (it does not answer): it runs alone, "
                 "and claims the store when it answers",
                 g.node);
        pthread_mutex_lock(&g.mx);
        atomic_store(&g.leading, true);
        atomic_store(&g.renewed_mono, clock_mono_us());
        g.since = clock_now();
        snprintf(g.leader, sizeof(g.leader), "%s", g.node);
        pthread_mutex_unlock(&g.mx);
    } else if (!g.enabled && !r.held) {
        const char *inst = strchr(r.holder, '/');
        return in_use(r.node[0] ? r.node : "?",
                      inst && !strncmp(inst + 1, SOLO, strlen(SOLO)) ? "without cluster.enabled" : "cluster.enabled", 0);
    }
    g.started = true;
    if (pthread_create(&g.lease_thread, NULL, lease_main, NULL)) {
        g.started = false;
        return err_set(WASL_EINTERNAL, "cluster.thread", "cannot start the cluster's lease thread");
    }
    /* A solo node is not fenced: alone on its store, it keeps answering
     * calls through a store outage. */
    g.fencing = g.enabled;
    if (g.fencing && pthread_create(&g.fence_thread, NULL, fence_main, NULL)) {
        pthread_mutex_lock(&g.mx);
        g.stopping = true;
        pthread_cond_broadcast(&g.cv);
        pthread_mutex_unlock(&g.mx);
        pthread_join(g.lease_thread, NULL);
        g.started = false;
        return err_set(WASL_EINTERNAL, "cluster.thread", "cannot start the cluster's fence thread");
    }
    if (!cluster_leading())
        log_info("cluster: node %s stands by (the distributor's lease is held by %s)", g.node,
                 g.leader[0] ? g.leader : "nobody reachable");
    return 0;
}

static int release_tx(struct db_conn *c, void *arg)
{
    (void)arg;
    int err = db_exec(c, "UPDATE cluster_lease SET expires_at = 0 WHERE name = ? AND holder = ?", DBP(DB_S(LEASE), DB_S(g.holder)));
    return err ? err
               : db_exec(c, "UPDATE cluster_nodes SET role = 'stopped', seen_at = ? WHERE node = ? AND instance = ?",
                         DBP(DB_I(wall_ms()), DB_S(g.node), DB_S(g.instance)));
}

void cluster_stop(void)
{
    if (!g.started)
        return;
    pthread_mutex_lock(&g.mx);
    g.stopping = true;
    pthread_cond_broadcast(&g.cv);
    pthread_mutex_unlock(&g.mx);
    pthread_join(g.lease_thread, NULL);
    if (g.fencing)
        pthread_join(g.fence_thread, NULL);
    g.started = false;
    if (db_tx(g.db, release_tx, NULL)) {
        log_warn("cluster: the lease could not be given back (%s): the next node takes it when it expires", err_message());
        err_clear();
    } else if (atomic_load(&g.leading) && g.enabled) {
        log_info("cluster: node %s gave the distributor's lease back", g.node);
    }
    atomic_store(&g.leading, false);
}

void cluster_status(struct cluster_status *out)
{
    memset(out, 0, sizeof(*out));
    int64_t now = wall_ms();
    pthread_mutex_lock(&g.mx);
    out->enabled = g.enabled;
    out->leading = atomic_load(&g.leading);
    snprintf(out->node, sizeof(out->node), "%s", g.node);
    snprintf(out->leader, sizeof(out->leader), "%s", g.leader);
    out->epoch = g.epoch;
    out->since = out->leading ? g.since : 0;
    out->lease_ms = g.lease_ms;
    out->view_ms_ago = g.view_mono ? (clock_mono_us() - g.view_mono) / 1000 : -1;
    out->nnodes = g.nnodes;
    for (int i = 0; i < g.nnodes; i++) {
        snprintf(out->nodes[i].node, sizeof(out->nodes[i].node), "%s", g.nodes[i].node);
        snprintf(out->nodes[i].role, sizeof(out->nodes[i].role), "%s", g.nodes[i].role);
        out->nodes[i].seen_ms_ago = now - g.nodes[i].seen_at;
    }
    pthread_mutex_unlock(&g.mx);
}

/* ---- the hooks ---- */

static int hook_add(struct hook h)
{
    pthread_mutex_lock(&g.mx);
    for (int i = 0; i < g.nhooks; i++)
        if (g.hooks[i].lead == h.lead && !strcmp(g.hooks[i].name, h.name)) {
            memmove(&g.hooks[i], &g.hooks[i + 1], sizeof(g.hooks[0]) * (size_t)(g.nhooks - i - 1));
            g.nhooks--;
            break;
        }
    if (g.nhooks == MAX_HOOKS) {
        pthread_mutex_unlock(&g.mx);
        return err_set(WASL_ELIMIT, "cluster.hooks", "too many hooks on the cluster's role (at most %d)", MAX_HOOKS);
    }
    int at = g.nhooks;
    while (at > 0 && g.hooks[at - 1].stage > h.stage)
        at--;
    memmove(&g.hooks[at + 1], &g.hooks[at], sizeof(g.hooks[0]) * (size_t)(g.nhooks - at));
    g.hooks[at] = h;
    g.nhooks++;
    pthread_mutex_unlock(&g.mx);
    return 0;
}

int cluster_on_lead(const char *name, int stage, cluster_lead_h fn, void *arg)
{
    return hook_add((struct hook){.name = name, .stage = stage, .lead = true, .on_lead = fn, .arg = arg});
}

int cluster_on_step_down(const char *name, int stage, cluster_down_h fn, void *arg)
{
    return hook_add((struct hook){.name = name, .stage = stage, .lead = false, .on_down = fn, .arg = arg});
}

/* The hooks of one kind, copied: a hook may register another. */
static int hooks_of(bool lead, struct hook *out)
{
    int n = 0;
    pthread_mutex_lock(&g.mx);
    for (int i = 0; i < g.nhooks; i++)
        if (g.hooks[i].lead == lead)
            out[n++] = g.hooks[i];
    pthread_mutex_unlock(&g.mx);
    return n;
}

int cluster_lead_run(void)
{
    struct hook hs[MAX_HOOKS];
    int n = hooks_of(true, hs);
    for (int i = 0; i < n; i++) {
        int64_t t0 = clock_mono_us();
        int err = hs[i].on_lead(hs[i].arg);
        double ms = (double)(clock_mono_us() - t0) / 1000.0;
        if (err) {
            log_error("cluster: on lead, %s failed after %.1f ms: %s", hs[i].name, ms, err_message());
            return err;
        }
        log_info("cluster: on lead, %s: %.1f ms", hs[i].name, ms);
    }
    return 0;
}

void cluster_step_down_run(void)
{
    struct hook hs[MAX_HOOKS];
    int n = hooks_of(false, hs);
    for (int i = 0; i < n; i++) {
        int64_t t0 = clock_mono_us();
        log_info("cluster: on step down, %s ...", hs[i].name); /* the last one may end the process */
        hs[i].on_down(hs[i].arg);
        log_info("cluster: on step down, %s: %.1f ms", hs[i].name, (double)(clock_mono_us() - t0) / 1000.0);
    }
}
