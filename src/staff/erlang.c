/*
 * Erlang C and Erlang A (docs/staffing.md has the formulas and their
 * sources). Erlang C from the Erlang B recursion B(k) = A B(k-1) / (k + A
 * B(k-1)), which never overflows. Erlang A from the stationary distribution
 * of the M/M/n+M birth-death chain kept in logarithms, normalised at its
 * largest term; a caller who finds j others waiting reaches an agent when j+1
 * "moves" (an agent freed, someone ahead giving up) come before their own
 * patience ends, so the time to answer is a sum of exponential phases whose
 * distribution is computed by uniformisation (a Poisson-weighted sum of a
 * discrete chain), stable for any number of phases.
 */
#include <math.h>
#include <stdlib.h>

#include "staff.h"
#include "core/core.h"

/* Past this many waiting places the tail of the distribution is dropped
 * only when it is negligible; a load that needs more is refused. */
#define QUEUE_MAX 200000
#define LOG_NEGLIGIBLE 40.0 /* e^-40: 4e-18 of the largest term */
/* Steps times waiting places of the uniformisation: about 50 ms of work.
 * Only absurd questions (a one-second handle time with an hour's target)
 * go past it; they are refused rather than answered slowly. */
#define WORK_MAX 2e7

int staff_check(const struct staff_in *in)
{
    if (!(in->calls >= 0 && in->calls <= 1e7))
        return err_set_field(WASL_EINVAL, "staff.invalid", "calls", "calls: 0 to 10,000,000 in the interval");
    if (!(in->interval_s >= 60 && in->interval_s <= 31 * 86400.0))
        return err_set_field(WASL_EINVAL, "staff.invalid", "interval", "interval: 1 minute to 31 days");
    if (!(in->aht_s >= 1 && in->aht_s <= 86400))
        return err_set_field(WASL_EINVAL, "staff.invalid", "aht", "aht (handle time): 1 s to 24 h");
    if (!(in->target_s >= 0 && in->target_s <= 3600))
        return err_set_field(WASL_EINVAL, "staff.invalid", "target", "target (answer time): 0 to 3,600 s");
    if (!(in->sl_target > 0 && in->sl_target < 1))
        return err_set_field(WASL_EINVAL, "staff.invalid", "sl", "sl (service-level target): more than 0 %% and less than 100 %%");
    if (!(in->max_occupancy > 0 && in->max_occupancy <= 1))
        return err_set_field(WASL_EINVAL, "staff.invalid", "occupancy", "occupancy (maximum): more than 0 %% up to 100 %%");
    if (!(in->shrinkage >= 0 && in->shrinkage < 0.95))
        return err_set_field(WASL_EINVAL, "staff.invalid", "shrinkage", "shrinkage: 0 to 95 %%");
    if (!(in->max_abandon > 0 && in->max_abandon <= 1))
        return err_set_field(WASL_EINVAL, "staff.invalid", "abandon", "abandon (maximum rate): more than 0 %% up to 100 %%");
    if (!(in->patience_s == 0 || (in->patience_s >= 1 && in->patience_s <= 86400)))
        return err_set_field(WASL_EINVAL, "staff.invalid", "patience", "patience: 1 s to 24 h, or 0 for Erlang C");
    if (in->calls * in->aht_s / in->interval_s > STAFF_AGENTS_MAX * 0.9)
        return err_set_field(WASL_EINVAL, "staff.invalid", "calls", "more than %d erlangs: beyond what this model sizes",
                             (int)(STAFF_AGENTS_MAX * 0.9));
    return 0;
}

static int rostered(int agents, double shrinkage)
{
    return (int)ceil(agents / (1.0 - shrinkage) - 1e-9);
}

static void erlang_c(const struct staff_in *in, int n, struct staff_result *r)
{
    double a = r->traffic, b = 1.0;
    for (int k = 1; k <= n; k++)
        b = a * b / (k + a * b);
    r->occupancy = n > 0 ? fmin(1.0, a / n) : 1.0;
    r->stable = a < n;
    if (!r->stable) { /* the queue grows all interval long */
        r->p_wait = 1;
        r->service_level = 0;
        r->asa_s = r->avg_wait_s = INFINITY;
        return;
    }
    double c = a == 0 ? 0 : n * b / (n - a * (1 - b));
    r->p_wait = c;
    r->service_level = 1 - c * exp(-(n - a) * in->target_s / in->aht_s);
    r->asa_s = r->avg_wait_s = c * in->aht_s / (n - a);
}

/* P(sum of exponential phases with rates rate[0..j] <= t) for every j <
 * nj at once, into h[j]: uniformisation with rate lam >= every rate. f[j]
 * is the chance that k steps of the uniformised chain finished j+1 phases. */
static int phases_cdf(const double *rate, int nj, double lam, double t, double *h)
{
    double *f = calloc((size_t)nj, sizeof(*f)), *g = calloc((size_t)nj, sizeof(*g));
    if (!f || !g) {
        free(f);
        free(g);
        return WASL_ENOMEM;
    }
    double lt = lam * t;
    int kmax = (int)(lt + 12 * sqrt(lt) + 40);
    for (int j = 0; j < nj; j++)
        h[j] = 0;
    for (int k = 1; k <= kmax; k++) {
        for (int j = 0; j < nj; j++) {
            double adv = rate[j] / lam, before = j ? f[j - 1] : 1.0;
            g[j] = adv * before + (1 - adv) * f[j];
        }
        double *x = f;
        f = g;
        g = x;
        double w = exp(-lt + k * log(lt) - lgamma(k + 1.0)); /* Poisson(k; lam t) */
        if (w > 0)
            for (int j = 0; j < nj; j++)
                h[j] += w * f[j];
    }
    free(f);
    free(g);
    return 0;
}

static int erlang_a(const struct staff_in *in, int n, struct staff_result *r)
{
    double lambda = in->calls / in->interval_s, mu = 1 / in->aht_s, theta = 1 / in->patience_s, a = r->traffic;
    r->stable = true; /* callers who give up keep the queue finite */
    if (lambda == 0) {
        r->service_level = 1;
        return 0;
    }
    /* log pi_k for k <= n (relative): log(a^k / k!) by recursion; then the
     * waiting places j = k - n >= 1 until the tail is negligible. */
    int cap = n + QUEUE_MAX;
    double *lp = malloc((size_t)(cap + 1) * sizeof(*lp));
    if (!lp)
        return WASL_ENOMEM;
    lp[0] = 0;
    double top = 0;
    for (int k = 1; k <= n; k++) {
        lp[k] = lp[k - 1] + log(a / k);
        top = fmax(top, lp[k]);
    }
    int last = n;
    for (int j = 1;; j++) {
        if (n + j > cap) {
            free(lp);
            return err_set_field(WASL_EINVAL, "staff.invalid", "patience",
                                 "callers this patient with so few agents make a queue longer than %d places", QUEUE_MAX);
        }
        lp[n + j] = lp[n + j - 1] + log(lambda / (n * mu + j * theta));
        top = fmax(top, lp[n + j]);
        last = n + j;
        if (lp[n + j] < lp[n + j - 1] && lp[n + j] < top - LOG_NEGLIGIBLE)
            break;
    }
    double z = 0;
    for (int k = 0; k <= last; k++)
        z += exp(lp[k] - top);
    int nj = last - n + 1; /* waiting places j = 0 .. last - n found by an arrival */
    double *rate = malloc((size_t)nj * sizeof(*rate)), *h = malloc((size_t)nj * sizeof(*h));
    if (!rate || !h) {
        free(lp);
        free(rate);
        free(h);
        return WASL_ENOMEM;
    }
    /* phase m (m others ahead) ends at rate n mu + m theta (an agent freed,
     * one ahead giving up) plus theta (the caller giving up) */
    for (int m = 0; m < nj; m++)
        rate[m] = n * mu + (m + 1) * theta;
    double lt = rate[nj - 1] * in->target_s;
    if ((lt + 12 * sqrt(lt) + 40) * nj > WORK_MAX) {
        free(lp);
        free(rate);
        free(h);
        return err_set_field(WASL_EINVAL, "staff.too_large", "target",
                             "an answer-time target of %g s against handle times of %g s is more than this model computes here",
                             in->target_s, in->aht_s);
    }
    int err = phases_cdf(rate, nj, rate[nj - 1], in->target_s, h);
    if (err) {
        free(lp);
        free(rate);
        free(h);
        return err;
    }
    double no_wait = 0, served = 0, within = 0, wait_served = 0, queue = 0, busy = 0;
    for (int k = 0; k < n; k++) {
        double p = exp(lp[k] - top) / z;
        no_wait += p;
        busy += k * p;
    }
    double ps = 1, ws = 0; /* reached an agent; time to do so, given it */
    for (int j = 0; j < nj; j++) {
        double p = exp(lp[n + j] - top) / z;
        ps *= (rate[j] - theta) / rate[j];
        ws += 1 / rate[j];
        served += p * ps;
        within += p * ps * h[j];
        wait_served += p * ps * ws;
        queue += j * p;
        busy += n * p;
    }
    free(lp);
    free(rate);
    free(h);
    r->p_wait = 1 - no_wait;
    r->abandon = theta * queue / lambda; /* Little: those who leave the queue without an agent */
    r->service_level = no_wait + within;
    r->avg_wait_s = queue / lambda;
    r->asa_s = no_wait + served > 0 ? wait_served / (no_wait + served) : 0;
    r->occupancy = n > 0 ? busy / n : 1;
    return 0;
}

int staff_model(const struct staff_in *in, int agents, struct staff_result *out)
{
    int err = staff_check(in);
    if (err)
        return err;
    if (agents < 1 || agents > STAFF_AGENTS_MAX)
        return err_set_field(WASL_EINVAL, "staff.invalid", "agents", "agents: 1 to %d", STAFF_AGENTS_MAX);
    *out = (struct staff_result){
        .agents = agents, .rostered = rostered(agents, in->shrinkage), .traffic = in->calls * in->aht_s / in->interval_s};
    if (in->patience_s == 0) {
        erlang_c(in, agents, out);
        return 0;
    }
    return erlang_a(in, agents, out);
}

static bool enough(const struct staff_in *in, const struct staff_result *r)
{
    return r->stable && r->service_level >= in->sl_target && r->occupancy <= in->max_occupancy + 1e-12 &&
           r->abandon <= in->max_abandon + 1e-12;
}

int staff_needed(const struct staff_in *in, struct staff_result *out)
{
    int err = staff_check(in);
    if (err)
        return err;
    /* The service level grows and the occupancy falls with each agent:
     * double until enough, then halve the gap. */
    double a = in->calls * in->aht_s / in->interval_s;
    int lo = in->patience_s == 0 ? (int)floor(a) : 0, hi = lo + 1; /* lo: not enough (0 agents never are) */
    struct staff_result r;
    for (;;) {
        if (hi > STAFF_AGENTS_MAX)
            return err_set(WASL_ELIMIT, "staff.too_many", "more than %d agents would be needed", STAFF_AGENTS_MAX);
        if ((err = staff_model(in, hi, &r)))
            return err;
        if (enough(in, &r))
            break;
        lo = hi;
        hi = hi * 2 > STAFF_AGENTS_MAX && hi < STAFF_AGENTS_MAX ? STAFF_AGENTS_MAX : hi * 2;
    }
    *out = r;
    while (hi - lo > 1) {
        int mid = lo + (hi - lo) / 2;
        if ((err = staff_model(in, mid, &r)))
            return err;
        if (enough(in, &r)) {
            hi = mid;
            *out = r;
        } else {
            lo = mid;
        }
    }
    return 0;
}
