/* analysis/rwfit.c: Rescorla-Wagner maximum-likelihood fits, simulation,
** recovery and the volatility fit (see rwfit.h for the model and the
** fitting procedure).
**
** The trials are first flattened into compact arrays (action, reward,
** learning-rate class, episode-start flag) holding valid trials only, so the
** objective is one tight loop; a per-episode fit is a slice of the pooled
** arrays. Shape legend: n = valid trials, C = learning-rate classes, d =
** free parameters (free classes + 1 for log beta).
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_multimin.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "analysis/rwfit.h"
#include "core/rng.h"

#define RW_MAX_CLASSES 3
#define LOGIT_LIM 12.0
#define LOGB_MIN (-7.0)
#define LOGB_MAX 6.0

enum { CLS_VOLATILE = 0, CLS_STABLE = 1, CLS_START = 2 };

typedef struct RwData {
    long n;
    signed char *a;            /* (n) action 0/1 */
    double *r;                 /* (n) reward */
    signed char *cls;          /* (n) learning-rate class */
    unsigned char *first;      /* (n) 1 on an episode's first valid trial: Q back to Q0 */
    long *ep_start;            /* (n_eps + 1) offset of each episode's first valid trial */
} RwData;

static void rw_data_free(RwData *d)
{
    free(d->a);
    free(d->r);
    free(d->cls);
    free(d->first);
    free(d->ep_start);
}

static int valid(const TrialRecord *tr) { return tr->action >= 0 && tr->action < 2 && isfinite(tr->reward); }

/* Class of a trial for the volatility fit (window W; W <= 0: all class 0). */
static int trial_class(const TrialRecord *tr, int W)
{
    if (W <= 0) return 0;
    const TaskTruth *h = &tr->truth;
    if (h->block < 0 || h->since_reversal < 0) return CLS_START;
    if (h->since_reversal >= W) return CLS_STABLE;
    return h->block >= 1 ? CLS_VOLATILE : CLS_START;
}

static int rw_data_build(EpisodeRecord *const *eps, int n_eps, int W, RwData *d)
{
    memset(d, 0, sizeof *d);
    long n = 0;
    for (int i = 0; i < n_eps; i++)
        for (int t = 0; t < eps[i]->n_trials; t++) n += valid(&eps[i]->trials[t]);
    size_t m = n > 0 ? (size_t)n : 1;
    d->a = malloc(m);
    d->r = malloc(m * sizeof *d->r);
    d->cls = malloc(m);
    d->first = malloc(m);
    d->ep_start = malloc(((size_t)n_eps + 1) * sizeof *d->ep_start);
    if (!d->a || !d->r || !d->cls || !d->first || !d->ep_start) {
        rw_data_free(d);
        return ANALYSIS_NOMEM;
    }
    long k = 0;
    for (int i = 0; i < n_eps; i++) {
        d->ep_start[i] = k;
        int first = 1;
        for (int t = 0; t < eps[i]->n_trials; t++) {
            const TrialRecord *tr = &eps[i]->trials[t];
            if (!valid(tr)) continue;
            d->a[k] = (signed char)tr->action;
            d->r[k] = tr->reward;
            d->cls[k] = (signed char)trial_class(tr, W);
            d->first[k] = (unsigned char)first;
            first = 0;
            k++;
        }
    }
    d->ep_start[n_eps] = k;
    d->n = n;
    return ANALYSIS_OK;
}

static double softplus(double x) { return x > 0.0 ? x + log1p(exp(-x)) : log1p(exp(x)); }

/* nll of trials [off, off + n) with per-class alpha and beta. */
static double nll_slice(const RwData *d, long off, long n, const double *alpha, double beta)
{
    double q[2] = { 0.5, 0.5 }, nll = 0.0;
    for (long i = off; i < off + n; i++) {
        if (d->first[i] || i == off) q[0] = q[1] = 0.5;
        int a = d->a[i];
        double z = beta * (q[1] - q[0]);
        nll += softplus(a ? -z : z);
        q[a] += alpha[(int)d->cls[i]] * (d->r[i] - q[a]);
    }
    return nll;
}

double rw_nll(EpisodeRecord *const *eps, int n_eps, double alpha, double beta)
{
    RwData d;
    if (rw_data_build(eps, n_eps, 0, &d) != ANALYSIS_OK) return NAN;
    double al[RW_MAX_CLASSES] = { alpha, alpha, alpha };
    double v = nll_slice(&d, 0, d.n, al, beta);
    rw_data_free(&d);
    return v;
}

/* ---- the optimizer -------------------------------------------------------- */

/* Objective context: a slice of the data, which classes are free, and how the
** free parameters map onto them. x = (logit alpha_c for each free c, log beta). */
typedef struct Objective {
    const RwData *d;
    long off, n;
    int n_free;
    int cls_of[RW_MAX_CLASSES];     /* free parameter j -> class */
} Objective;

static double clampd(double x, double lo, double hi, double *excess)
{
    if (x < lo) {
        *excess += (lo - x) * (lo - x);
        return lo;
    }
    if (x > hi) {
        *excess += (x - hi) * (x - hi);
        return hi;
    }
    return x;
}

static double objective_eval(const Objective *o, const double *x)
{
    double excess = 0.0, alpha[RW_MAX_CLASSES] = { 0.5, 0.5, 0.5 };
    for (int j = 0; j < o->n_free; j++) {
        double u = clampd(x[j], -LOGIT_LIM, LOGIT_LIM, &excess);
        alpha[o->cls_of[j]] = 1.0 / (1.0 + exp(-u));
    }
    double lb = clampd(x[o->n_free], LOGB_MIN, LOGB_MAX, &excess);
    return nll_slice(o->d, o->off, o->n, alpha, exp(lb)) + 10.0 * excess;
}

static double objective_gsl(const gsl_vector *v, void *params)
{
    double x[RW_MAX_CLASSES + 1];
    const Objective *o = params;
    for (int j = 0; j <= o->n_free; j++) x[j] = gsl_vector_get(v, (size_t)j);
    double f = objective_eval(o, x);
    return isfinite(f) ? f : 1e300;
}

typedef struct OptResult {
    double x[RW_MAX_CLASSES + 1];
    double f;
    int converged;
    double se[RW_MAX_CLASSES + 1];   /* in transformed coordinates */
    int at_bound;
} OptResult;

/* One simplex run from x0; returns the minimum found in *x, value in *f. */
static int simplex_run(gsl_multimin_fminimizer *m, const Objective *o, const double *x0, double step, double tol,
                       double *x, double *f)
{
    int dim = o->n_free + 1;
    gsl_vector_view xv = gsl_vector_view_array((double *)x0, (size_t)dim);
    double ss_mem[RW_MAX_CLASSES + 1];
    for (int j = 0; j < dim; j++) ss_mem[j] = step;
    gsl_vector_view ssv = gsl_vector_view_array(ss_mem, (size_t)dim);
    gsl_multimin_function fn = { objective_gsl, (size_t)dim, (void *)o };
    gsl_multimin_fminimizer_set(m, &fn, &xv.vector, &ssv.vector);
    int converged = 0;
    for (int it = 0; it < 2000; it++) {
        if (gsl_multimin_fminimizer_iterate(m) != GSL_SUCCESS) break;
        if (gsl_multimin_test_size(gsl_multimin_fminimizer_size(m), tol) == GSL_SUCCESS) {
            converged = 1;
            break;
        }
    }
    for (int j = 0; j < dim; j++) x[j] = gsl_vector_get(m->x, (size_t)j);
    *f = m->fval;
    return converged;
}

/* Standard errors in transformed coordinates from a central-difference
** Hessian; NaN if not positive definite. */
static void hessian_se(const Objective *o, const double *x, double f0, double *se)
{
    int dim = o->n_free + 1;
    double H[(RW_MAX_CLASSES + 1) * (RW_MAX_CLASSES + 1)], Hi[(RW_MAX_CLASSES + 1) * (RW_MAX_CLASSES + 1)];
    double h = 1e-3, xp[RW_MAX_CLASSES + 1];
    for (int i = 0; i < dim; i++) {
        memcpy(xp, x, (size_t)dim * sizeof *xp);
        xp[i] = x[i] + h;
        double fp = objective_eval(o, xp);
        xp[i] = x[i] - h;
        double fm = objective_eval(o, xp);
        H[i * dim + i] = (fp - 2.0 * f0 + fm) / (h * h);
        for (int j = 0; j < i; j++) {
            double s[4];
            const int sg[4][2] = { { 1, 1 }, { 1, -1 }, { -1, 1 }, { -1, -1 } };
            for (int q = 0; q < 4; q++) {
                memcpy(xp, x, (size_t)dim * sizeof *xp);
                xp[i] += sg[q][0] * h;
                xp[j] += sg[q][1] * h;
                s[q] = objective_eval(o, xp);
            }
            H[i * dim + j] = H[j * dim + i] = (s[0] - s[1] - s[2] + s[3]) / (4.0 * h * h);
        }
    }
    double min_eig;
    int rank = regress_sym_pinv(H, dim, 1e-12, Hi, &min_eig);
    for (int i = 0; i < dim; i++)
        se[i] = rank == dim && min_eig > 0.0 && Hi[i * dim + i] > 0.0 ? sqrt(Hi[i * dim + i]) : NAN;
}

/* The 3 x 3 grid misses optima at small alpha and large beta (issue 12:
** Reiter Subject08 stopped at alpha 0.655, beta 1.93, -log L 92.65; the
** optimum is alpha 0.011, beta 28.55, -log L 79.08). After the grid's
** polished best, a second grid reaching those corners, alpha in {0.01, 0.05,
** 0.2, 0.5, 0.8} x beta in {10, 30, 100} (every alpha at the same start), is
** searched the same way; its polished best replaces the first only when it
** is better by more than 1e-6, so a fit the first grid had right stays
** bit-identical. */
static void extra_starts(gsl_multimin_fminimizer *m, const Objective *o, OptResult *res)
{
    static const double a0[5] = { 0.01, 0.05, 0.2, 0.5, 0.8 }, b0[3] = { 10.0, 30.0, 100.0 };
    double x0[RW_MAX_CLASSES + 1], x[RW_MAX_CLASSES + 1], bx[RW_MAX_CLASSES + 1], f, bf = INFINITY;
    for (int ia = 0; ia < 5; ia++)
        for (int ib = 0; ib < 3; ib++) {
            for (int j = 0; j < o->n_free; j++) x0[j] = log(a0[ia] / (1.0 - a0[ia]));
            x0[o->n_free] = log(b0[ib]);
            simplex_run(m, o, x0, 1.0, 1e-2, x, &f);
            if (f < bf) {
                bf = f;
                memcpy(bx, x, sizeof x);
            }
        }
    int conv = simplex_run(m, o, bx, 0.1, 1e-6, x, &f);
    int conv2 = simplex_run(m, o, x, 0.1, 1e-6, x0, &bf);   /* a restart from the end: a simplex can stall */
    if (bf <= f) {
        f = bf;
        conv = conv2;
        memcpy(x, x0, sizeof x);
    }
    if (f < res->f - 1e-6) {
        res->f = f;
        res->converged = conv;
        memcpy(res->x, x, sizeof x);
    }
}

/* Minimize o to a coarse tolerance (simplex size 1e-2 in the transformed
** coordinates) from each start of the 3 x 3 grid, or, if warm is not NULL,
** from warm = (logit alpha, log beta) alone, every alpha starting there; then
** polish the best to 1e-6. */
static int optimize(const Objective *o, const double *warm, OptResult *res)
{
    static const double a0[3] = { 0.2, 0.5, 0.8 }, b0[3] = { 1.0, 4.0, 12.0 };
    int dim = o->n_free + 1;
    gsl_multimin_fminimizer *m = gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, (size_t)dim);
    if (!m) return ANALYSIS_NOMEM;
    res->f = INFINITY;
    double x0[RW_MAX_CLASSES + 1], x[RW_MAX_CLASSES + 1], f;
    for (int ia = 0; ia < 3; ia++)
        for (int ib = 0; ib < 3; ib++) {
            if (warm && ia + ib > 0) continue;
            for (int j = 0; j < o->n_free; j++) x0[j] = warm ? warm[0] : log(a0[ia] / (1.0 - a0[ia]));
            x0[o->n_free] = warm ? warm[1] : log(b0[ib]);
            int conv = simplex_run(m, o, x0, warm ? 0.5 : 1.0, 1e-2, x, &f);
            if (f < res->f) {
                res->f = f;
                res->converged = conv;
                memcpy(res->x, x, sizeof x);
            }
        }
    memcpy(x0, res->x, sizeof x0);
    int conv = simplex_run(m, o, x0, 0.1, 1e-6, x, &f);
    if (f <= res->f) {
        res->f = f;
        res->converged = conv;
        memcpy(res->x, x, sizeof x);
    }
    if (!warm) extra_starts(m, o, res);
    gsl_multimin_fminimizer_free(m);
    res->at_bound = 0;
    for (int j = 0; j < o->n_free; j++)
        if (fabs(res->x[j]) > LOGIT_LIM - 0.5) res->at_bound = 1;
    if (res->x[o->n_free] < LOGB_MIN + 0.5 || res->x[o->n_free] > LOGB_MAX - 0.5) res->at_bound = 1;
    res->f = objective_eval(o, res->x);
    if (res->at_bound) {
        for (int j = 0; j < dim; j++) res->se[j] = NAN;
    } else {
        hessian_se(o, res->x, res->f, res->se);
    }
    return ANALYSIS_OK;
}

static double inv_logit(double u) { return 1.0 / (1.0 + exp(-u)); }

static void fill_fit(const OptResult *res, int n_free, RwFit *fit)
{
    double a = inv_logit(res->x[0]), b = exp(res->x[n_free]);
    fit->alpha = a;
    fit->alpha_se = a * (1.0 - a) * res->se[0];
    fit->beta = b;
    fit->beta_se = b * res->se[n_free];
    fit->nll = res->f;
    fit->converged = res->converged;
    fit->at_bound = res->at_bound;
}

static void fit_clear(RwFit *fit)
{
    memset(fit, 0, sizeof *fit);
    fit->alpha = fit->alpha_se = fit->beta = fit->beta_se = fit->nll = NAN;
}

static int fit_slice(const RwData *d, long off, long n, RwFit *fit)
{
    Objective o = { d, off, n, 1, { 0, 0, 0 } };
    OptResult res;
    int rc = optimize(&o, NULL, &res);
    if (rc != ANALYSIS_OK) return rc;
    fill_fit(&res, 1, fit);
    fit->n_trials = n;
    return ANALYSIS_OK;
}

int rw_fit(EpisodeRecord *const *eps, int n_eps, RwFit *fit)
{
    fit_clear(fit);
    RwData d;
    if (rw_data_build(eps, n_eps, 0, &d) != ANALYSIS_OK) return ANALYSIS_NOMEM;
    int rc = ANALYSIS_NODATA;
    if (d.n >= 2) rc = fit_slice(&d, 0, d.n, fit);
    for (int i = 0; i < n_eps; i++) fit->n_episodes += d.ep_start[i + 1] > d.ep_start[i];
    fit->n_trials = d.n;
    rw_data_free(&d);
    return rc;
}

int rw_fit_episodes(EpisodeRecord *const *eps, int n_eps, RwFit *per_episode, RwFitSummary *sum)
{
    RwData d;
    if (sum) {
        memset(sum, 0, sizeof *sum);
        sum->alpha_mean = sum->alpha_sd = sum->alpha_median = NAN;
        sum->beta_mean = sum->beta_sd = sum->beta_median = NAN;
    }
    if (rw_data_build(eps, n_eps, 0, &d) != ANALYSIS_OK) return ANALYSIS_NOMEM;
    double *al = malloc(((size_t)n_eps + 1) * sizeof *al), *be = malloc(((size_t)n_eps + 1) * sizeof *be);
    int rc = ANALYSIS_OK, n_fit = 0;
    if (!al || !be) {
        rc = ANALYSIS_NOMEM;
        goto done;
    }
    for (int i = 0; i < n_eps; i++) {
        RwFit *f = &per_episode[i];
        fit_clear(f);
        long off = d.ep_start[i], n = d.ep_start[i + 1] - off;
        f->n_trials = n;
        f->n_episodes = n > 0;
        if (n < RW_MIN_TRIALS) continue;
        if ((rc = fit_slice(&d, off, n, f)) != ANALYSIS_OK) goto done;
        f->n_episodes = 1;
        al[n_fit] = f->alpha;
        be[n_fit] = f->beta;
        n_fit++;
    }
    if (sum && n_fit > 0) {
        sum->n_fitted = n_fit;
        sum->alpha_mean = gsl_stats_mean(al, 1, (size_t)n_fit);
        sum->beta_mean = gsl_stats_mean(be, 1, (size_t)n_fit);
        sum->alpha_sd = n_fit > 1 ? gsl_stats_sd(al, 1, (size_t)n_fit) : NAN;
        sum->beta_sd = n_fit > 1 ? gsl_stats_sd(be, 1, (size_t)n_fit) : NAN;
        gsl_sort(al, 1, (size_t)n_fit);
        gsl_sort(be, 1, (size_t)n_fit);
        sum->alpha_median = gsl_stats_median_from_sorted_data(al, 1, (size_t)n_fit);
        sum->beta_median = gsl_stats_median_from_sorted_data(be, 1, (size_t)n_fit);
    }
    rc = n_fit > 0 ? ANALYSIS_OK : ANALYSIS_NODATA;
done:
    free(al);
    free(be);
    rw_data_free(&d);
    return rc;
}

/* ---- simulation ----------------------------------------------------------- */

void rw_env_default(RwEnv *env)
{
    env->n_trials = 200;
    env->p_high = 0.8;
    env->p_low = 0.2;
    env->hazard = 0.05;
}

int rw_simulate(double alpha, double beta, EpisodeRecord *const *templ, int n_templ, const RwEnv *env,
                gsl_rng *r, EpisodeRecord *const *out, int n_out)
{
    for (int i = 0; i < n_out; i++) {
        EpisodeRecord *e = out[i];
        const EpisodeRecord *tp = n_templ > 0 ? templ[i % n_templ] : NULL;
        int T = tp ? tp->n_trials : env->n_trials;
        if (T > e->cap_trials) return ANALYSIS_NODATA;
        episode_clear(e);
        int good = gsl_rng_uniform(r) < 0.5 ? 0 : 1, block = 0, since = 0;
        double q[2] = { 0.5, 0.5 };
        for (int t = 0; t < T; t++) {
            TrialRecord *tr = &e->trials[t];
            if (tp) {
                tr->truth = tp->trials[t].truth;
                if (!isfinite(tr->truth.p[0]) || !isfinite(tr->truth.p[1])) return ANALYSIS_NODATA;
            } else {
                tr->truth.p[good] = env->p_high;
                tr->truth.p[1 - good] = env->p_low;
                tr->truth.best = env->p_high > env->p_low ? good : -1;
                tr->truth.block = block;
                tr->truth.since_reversal = since;
            }
            double p1 = 1.0 / (1.0 + exp(-beta * (q[1] - q[0])));
            int a = gsl_rng_uniform(r) < p1 ? 1 : 0;
            double rew = gsl_rng_uniform(r) < tr->truth.p[a] ? 1.0 : 0.0;
            tr->action = a;
            tr->reward = rew;
            tr->probs[0] = 1.0 - p1;
            tr->probs[1] = p1;
            tr->value = tr->rpe = NAN;
            q[a] += alpha * (rew - q[a]);
            since++;
            if (!tp && env->hazard > 0.0 && gsl_rng_uniform(r) < env->hazard) {
                good = 1 - good;
                block++;
                since = 0;
            }
        }
        e->n_trials = T;
        episode_summarize(e);
    }
    return ANALYSIS_OK;
}

int rw_recover(double alpha, double beta, EpisodeRecord *const *templ, int n_templ, const RwEnv *env,
               int n_episodes, unsigned long seed, RwFit *fit)
{
    fit_clear(fit);
    if (n_episodes < 1) return ANALYSIS_NODATA;
    int rc = ANALYSIS_NOMEM;
    EpisodeRecord **sim = calloc((size_t)n_episodes, sizeof *sim);
    gsl_rng *r = rng_alloc();
    if (!sim || !r) goto done;
    for (int i = 0; i < n_episodes; i++) {
        int T = n_templ > 0 ? templ[i % n_templ]->n_trials : env->n_trials;
        if (!(sim[i] = episode_alloc(T > 0 ? T : 1, 0))) goto done;
    }
    gsl_rng_set(r, seed);
    rc = rw_simulate(alpha, beta, templ, n_templ, env, r, sim, n_episodes);
    if (rc == ANALYSIS_OK) rc = rw_fit(sim, n_episodes, fit);
done:
    if (sim)
        for (int i = 0; i < n_episodes; i++) episode_free(sim[i]);
    free(sim);
    gsl_rng_free(r);
    return rc;
}

/* ---- volatility ------------------------------------------------------------ */

int rw_fit_volatility(EpisodeRecord *const *eps, int n_eps, int window, RwVolatilityFit *fit)
{
    memset(fit, 0, sizeof *fit);
    fit->window = window;
    fit->alpha_volatile = fit->alpha_volatile_se = fit->alpha_stable = fit->alpha_stable_se = NAN;
    fit->alpha_start = fit->alpha_start_se = fit->beta = fit->beta_se = fit->nll = NAN;
    if (window < 1) return ANALYSIS_NODATA;
    RwData d;
    if (rw_data_build(eps, n_eps, window, &d) != ANALYSIS_OK) return ANALYSIS_NOMEM;
    long count[RW_MAX_CLASSES] = { 0 };
    for (long i = 0; i < d.n; i++) count[(int)d.cls[i]]++;
    fit->n_volatile = count[CLS_VOLATILE];
    fit->n_stable = count[CLS_STABLE];
    fit->n_start = count[CLS_START];
    int rc = ANALYSIS_NODATA;
    if (count[CLS_VOLATILE] > 0 && count[CLS_STABLE] > 0) {
        /* the one-rate model is nested in this one: its optimum (searched
        ** from the grid) is the warm start */
        RwData d1 = d;
        signed char *one = calloc((size_t)(d.n > 0 ? d.n : 1), 1);
        OptResult res;
        memset(&res, 0, sizeof res);
        rc = ANALYSIS_NOMEM;
        if (one) {
            d1.cls = one;
            Objective o1 = { &d1, 0, d.n, 1, { 0, 0, 0 } };
            rc = optimize(&o1, NULL, &res);
            free(one);
        }
        double warm[2] = { res.x[0], res.x[1] };
        Objective o = { &d, 0, d.n, 0, { 0, 0, 0 } };
        for (int c = 0; c < RW_MAX_CLASSES; c++)
            if (count[c] > 0) o.cls_of[o.n_free++] = c;
        if (rc == ANALYSIS_OK) rc = optimize(&o, warm, &res);
        if (rc == ANALYSIS_OK) {
            double *al[RW_MAX_CLASSES] = { &fit->alpha_volatile, &fit->alpha_stable, &fit->alpha_start };
            double *se[RW_MAX_CLASSES] = { &fit->alpha_volatile_se, &fit->alpha_stable_se, &fit->alpha_start_se };
            for (int j = 0; j < o.n_free; j++) {
                double a = inv_logit(res.x[j]);
                *al[o.cls_of[j]] = a;
                *se[o.cls_of[j]] = a * (1.0 - a) * res.se[j];
            }
            fit->beta = exp(res.x[o.n_free]);
            fit->beta_se = fit->beta * res.se[o.n_free];
            fit->nll = res.f;
            fit->converged = res.converged;
            fit->at_bound = res.at_bound;
        }
    }
    rw_data_free(&d);
    return rc;
}
