/* analysis/fit.c: the fitting engine of analysis/fit.h: likelihood,
** multi-start simplex search in unbounded coordinates, block
** cross-validation, model comparison, simulation and recovery. The models
** themselves are the table in analysis/fit_models.c.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_multimin.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_statistics_double.h>

#include "analysis/fit.h"
#include "core/rng.h"

#define P_EPS 1e-12
#define COARSE_TOL 1e-3
#define POLISH_TOL 1e-7
#define MAX_ITER 3000

void fit_options_default(FitOptions *o)
{
    o->cv = 0;
    o->map = 0;
    o->seed = 1;
    o->random_starts = -1;
    o->u_mu = o->u_var = NULL;
    o->warm = NULL;
}

/* ---- coordinates ------------------------------------------------------------ */

static double sigm(double z) { return 1.0 / (1.0 + exp(-z)); }

static double to_natural(const FitParam *p, double u)
{
    double s = sigm(u);
    if (p->transform == FIT_LOG) return exp(log(p->lo) + (log(p->hi) - log(p->lo)) * s);
    return p->lo + (p->hi - p->lo) * s;
}

static double to_u(const FitParam *p, double x)
{
    double s = p->transform == FIT_LOG ? (log(x) - log(p->lo)) / (log(p->hi) - log(p->lo))
                                       : (x - p->lo) / (p->hi - p->lo);
    if (s < 1e-6) s = 1e-6;
    if (s > 1.0 - 1e-6) s = 1.0 - 1e-6;
    return log(s / (1.0 - s));
}

static double log_prior(const FitParam *p, double x)
{
    switch (p->prior) {
    case FIT_PRIOR_BETA: {
        double z = (x - p->lo) / (p->hi - p->lo);
        z = z < 1e-12 ? 1e-12 : z > 1.0 - 1e-12 ? 1.0 - 1e-12 : z;
        return (p->prior_a - 1.0) * log(z) + (p->prior_b - 1.0) * log1p(-z) - gsl_sf_lnbeta(p->prior_a, p->prior_b);
    }
    case FIT_PRIOR_GAMMA:
        return (p->prior_a - 1.0) * log(x) - x / p->prior_b - gsl_sf_lngamma(p->prior_a) - p->prior_a * log(p->prior_b);
    default: {
        double z = (x - p->prior_a) / p->prior_b;
        return -0.5 * z * z - log(p->prior_b) - 0.5 * log(2.0 * M_PI);
    }
    }
}

/* ---- likelihood --------------------------------------------------------------- */

double fit_nll(const FitModel *m, const FitSubject *s, const double *x, const unsigned char *w)
{
    double st[FIT_STATE_MAX], nll = 0.0;
    m->init(x, &s->task, st);
    for (int t = 0; t < s->n; t++) {
        int a = s->a[t];
        if (a >= 0 && (!w || w[t])) {
            double p = m->p1(x, &s->task, st);
            if (a == 0) p = 1.0 - p;
            nll -= log(p < P_EPS ? P_EPS : p);
        }
        m->update(x, &s->task, st, a, s->r[t]);
    }
    return nll;
}

typedef struct Obj {
    const FitModel *m;
    const FitSubject *s;
    const unsigned char *w;
    int map;
    const double *u_mu, *u_var;    /* a Gaussian prior in the unbounded coordinates, or NULL */
} Obj;

static double obj_eval(const Obj *o, const double *u)
{
    double x[FIT_MAX_PARAMS], excess = 0.0, lp = 0.0;
    for (int j = 0; j < o->m->n_params; j++) {
        double v = u[j];
        if (v > FIT_U_LIM) excess += (v - FIT_U_LIM) * (v - FIT_U_LIM), v = FIT_U_LIM;
        if (v < -FIT_U_LIM) excess += (v + FIT_U_LIM) * (v + FIT_U_LIM), v = -FIT_U_LIM;
        x[j] = to_natural(&o->m->params[j], v);
        if (o->u_mu) lp -= 0.5 * (v - o->u_mu[j]) * (v - o->u_mu[j]) / o->u_var[j];
        else if (o->map) lp += log_prior(&o->m->params[j], x[j]);
    }
    double f = fit_nll(o->m, o->s, x, o->w) - lp + 10.0 * excess;
    return isfinite(f) ? f : 1e300;
}

static double obj_gsl(const gsl_vector *v, void *params)
{
    const Obj *o = params;
    return obj_eval(o, v->data);
}

/* One simplex run from u0 into u, value f; returns 1 if it converged. */
static int simplex(gsl_multimin_fminimizer *mz, const Obj *o, const double *u0, double step, double tol, double *u,
                   double *f)
{
    int d = o->m->n_params;
    double x0[FIT_MAX_PARAMS], ss[FIT_MAX_PARAMS];
    for (int j = 0; j < d; j++) x0[j] = u0[j], ss[j] = step;
    gsl_vector_view xv = gsl_vector_view_array(x0, (size_t)d), sv = gsl_vector_view_array(ss, (size_t)d);
    gsl_multimin_function fn = { obj_gsl, (size_t)d, (void *)o };
    gsl_multimin_fminimizer_set(mz, &fn, &xv.vector, &sv.vector);
    int conv = 0;
    for (int it = 0; it < MAX_ITER; it++) {
        if (gsl_multimin_fminimizer_iterate(mz) != GSL_SUCCESS) break;
        if (gsl_multimin_test_size(gsl_multimin_fminimizer_size(mz), tol) == GSL_SUCCESS) {
            conv = 1;
            break;
        }
    }
    for (int j = 0; j < d; j++) u[j] = gsl_vector_get(mz->x, (size_t)j);
    *f = mz->fval;
    return conv;
}

/* Coarse runs from each of n starts (rows of starts), then the best two
** polished and restarted once; the best into u, *f. */
static int minimise(const Obj *o, const double *starts, int n, double *u, double *f, int *converged)
{
    int d = o->m->n_params;
    gsl_multimin_fminimizer *mz = gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, (size_t)d);
    if (!mz) return FIT_NOMEM;
    double best[2][FIT_MAX_PARAMS], fb[2] = { INFINITY, INFINITY }, v[FIT_MAX_PARAMS], fv;
    for (int i = 0; i < n; i++) {
        simplex(mz, o, starts + (size_t)i * FIT_MAX_PARAMS, 1.0, COARSE_TOL, v, &fv);
        if (fv < fb[0]) {
            memcpy(best[1], best[0], sizeof best[0]);
            fb[1] = fb[0];
            memcpy(best[0], v, sizeof v);
            fb[0] = fv;
        } else if (fv < fb[1]) {
            memcpy(best[1], v, sizeof v);
            fb[1] = fv;
        }
    }
    *f = INFINITY;
    *converged = 0;
    for (int k = 0; k < 2 && k < n; k++) {
        double w[FIT_MAX_PARAMS], fw;
        int c = simplex(mz, o, best[k], 0.5, POLISH_TOL, w, &fw);
        double w2[FIT_MAX_PARAMS], fw2;
        int c2 = simplex(mz, o, w, 0.1, POLISH_TOL, w2, &fw2);
        if (fw2 <= fw) memcpy(w, w2, sizeof w), fw = fw2, c = c2;
        if (fw < *f) {
            memcpy(u, w, sizeof w);
            *f = fw;
            *converged = c;
        }
    }
    gsl_multimin_fminimizer_free(mz);
    return FIT_OK;
}

/* The grid (first two parameters' grid values, the others at their start)
** and n_rand random starts, into starts; returns the count. */
static int make_starts(const FitModel *m, gsl_rng *r, int n_rand, double *starts)
{
    int d = m->n_params, n = 0;
    int g0 = 3, g1 = d >= 2 ? 3 : 1;
    for (int i = 0; i < g0; i++)
        for (int k = 0; k < g1; k++, n++) {
            double *u = starts + (size_t)n * FIT_MAX_PARAMS;
            for (int j = 0; j < d; j++) u[j] = to_u(&m->params[j], m->params[j].start);
            u[0] = to_u(&m->params[0], m->params[0].grid[i]);
            if (d >= 2) u[1] = to_u(&m->params[1], m->params[1].grid[k]);
        }
    for (int i = 0; i < n_rand; i++, n++)
        for (int j = 0; j < d; j++) starts[(size_t)n * FIT_MAX_PARAMS + (size_t)j] = -3.0 + 6.0 * gsl_rng_uniform(r);
    return n;
}

#define MAX_STARTS (9 + 64 + 1)

/* Fit with weights w from the grid, random starts and (if warm) warm. */
static int fit_weighted(const FitModel *m, const FitSubject *s, const unsigned char *w, const FitOptions *o,
                        gsl_rng *r, int n_rand, const double *warm, double *u, double *f, int *conv)
{
    double starts[MAX_STARTS * FIT_MAX_PARAMS];
    if (n_rand > 64) n_rand = 64;
    int n = make_starts(m, r, n_rand, starts);
    if (warm) memcpy(starts + (size_t)n++ * FIT_MAX_PARAMS, warm, FIT_MAX_PARAMS * sizeof *warm);
    Obj ob = { m, s, w, o->map, o->u_mu, o->u_var };
    return minimise(&ob, starts, n, u, f, conv);
}

double fit_objective_u(const FitModel *m, const FitSubject *s, const FitOptions *o, const double *u)
{
    Obj ob = { m, s, NULL, o->map, o->u_mu, o->u_var };
    return obj_eval(&ob, u);
}

double fit_natural(const FitParam *p, double u) { return to_natural(p, u); }

int fit_subject(const FitModel *m, const FitSubject *s, const FitOptions *o, int subject_index, FitResult *res)
{
    memset(res, 0, sizeof *res);
    res->loglik = res->heldout_loglik = res->loglik_ref = NAN;
    res->n_params = m->n_params;
    for (int j = 0; j < FIT_MAX_PARAMS; j++) res->x[j] = res->u[j] = NAN;
    int nv = 0;
    for (int t = 0; t < s->n; t++) nv += s->a[t] >= 0;
    if (nv < FIT_MIN_TRIALS) return FIT_NODATA;
    if (m->n_params < 1) return FIT_BADARG;   /* the tiny RNNs: fit_rnn_cv() */
    gsl_rng *r = rng_alloc();
    unsigned char *w = malloc((size_t)s->n);
    if (!r || !w) {
        gsl_rng_free(r);
        free(w);
        return FIT_NOMEM;
    }
    gsl_rng_set(r, rng_mix64(o->seed * 0x9E3779B97F4A7C15ull + (uint64_t)subject_index));
    int n_rand = o->random_starts >= 0 ? o->random_starts : FIT_RANDOM_STARTS;
    double u[FIT_MAX_PARAMS] = { 0 }, f;
    int rc = fit_weighted(m, s, NULL, o, r, n_rand, o->warm, u, &f, &res->converged);
    if (rc == FIT_OK) {
        for (int j = 0; j < m->n_params; j++) {
            double v = u[j] > FIT_U_LIM ? FIT_U_LIM : u[j] < -FIT_U_LIM ? -FIT_U_LIM : u[j];
            res->x[j] = to_natural(&m->params[j], v);
            res->u[j] = v;
            if (fabs(v) > FIT_U_BOUND) {
                res->at_bound++;
                res->bound_mask |= 1u << j;
            }
        }
        res->loglik = -fit_nll(m, s, res->x, NULL);
        res->n_trials = nv;
        if (m->ref) res->loglik_ref = -fit_nll(m, s, m->ref, NULL);
    }
    if (rc == FIT_OK && o->cv >= 2 && nv >= o->cv) {
        /* fold k holds valid trials [k nv / K, (k+1) nv / K) */
        double held = 0.0;
        for (int k = 0; k < o->cv && rc == FIT_OK; k++) {
            long lo = (long)k * nv / o->cv, hi = (long)(k + 1) * nv / o->cv, i = 0;
            for (int t = 0; t < s->n; t++) {
                int in = s->a[t] >= 0 && i >= lo && i < hi;
                if (s->a[t] >= 0) i++;
                w[t] = (unsigned char)!in;
            }
            double uk[FIT_MAX_PARAMS], fk, xk[FIT_MAX_PARAMS];
            int ck;
            rc = fit_weighted(m, s, w, o, r, 0, u, uk, &fk, &ck);
            for (int j = 0; j < m->n_params; j++)
                xk[j] = to_natural(&m->params[j], uk[j] > FIT_U_LIM ? FIT_U_LIM : uk[j] < -FIT_U_LIM ? -FIT_U_LIM : uk[j]);
            for (int t = 0; t < s->n; t++) w[t] = (unsigned char)!w[t];
            held += fit_nll(m, s, xk, w);
        }
        res->heldout_loglik = -held;
    }
    gsl_rng_free(r);
    free(w);
    return rc;
}

int fit_subject_from_episode(const EpisodeRecord *e, int *a, double *r, FitSubject *s)
{
    int nv = 0;
    double ph = NAN, pl = NAN;
    for (int t = 0; t < e->n_trials; t++) {
        const TrialRecord *tr = &e->trials[t];
        int ok = (tr->action == 0 || tr->action == 1) && isfinite(tr->reward);
        a[t] = ok ? tr->action : -1;
        r[t] = ok ? tr->reward : 0.0;
        nv += ok;
        if (isfinite(tr->truth.p[0]) && isfinite(tr->truth.p[1]) && !isfinite(ph)) {
            ph = fmax(tr->truth.p[0], tr->truth.p[1]);
            pl = fmin(tr->truth.p[0], tr->truth.p[1]);
        }
    }
    s->n = e->n_trials;
    s->a = a;
    s->r = r;
    s->task.p_high = isfinite(ph) && ph > pl ? ph : 0.8;
    s->task.p_low = isfinite(ph) && ph > pl ? pl : 0.2;
    s->task.cue = NULL;
    s->task.net = NULL;
    return nv;
}

void fit_params_json(const FitModel *m, const double *x, char *buf, size_t n)
{
    size_t k = (size_t)snprintf(buf, n, "{");
    for (int j = 0; j < m->n_params && k < n; j++)
        k += (size_t)snprintf(buf + k, n - k, "%s\"%s\":%.17g", j ? "," : "", m->params[j].name, x[j]);
    if (k < n) snprintf(buf + k, n - k, "}");
}

/* ---- comparison ------------------------------------------------------------ */

/* A subject's score under criterion by, per trial, lower is better. */
static double subject_score(const FitResult *r, FitWinner by)
{
    if (by == FIT_WIN_HELDOUT) return -r->heldout_loglik / r->n_trials;
    double penalty = by == FIT_WIN_AIC ? 2.0 : log((double)r->n_trials);
    return (r->n_params * penalty - 2.0 * r->loglik) / (2.0 * r->n_trials);
}

void fit_compare(const FitModel *const *models, int n_models, const FitResult *res, int n_subjects,
                 FitCompareRow *rows, int *best)
{
    int cv = 1;
    for (int i = 0; i < n_models * n_subjects; i++)
        if (res[i].n_trials > 0 && !isfinite(res[i].heldout_loglik)) cv = 0;
    for (int m = 0; m < n_models; m++) {
        memset(&rows[m], 0, sizeof rows[m]);
        rows[m].model = models[m];
    }
    for (int s = 0; s < n_subjects; s++) {
        int all = 1, win = -1;
        double ws = INFINITY;
        for (int m = 0; m < n_models; m++) all &= res[m * n_subjects + s].n_trials > 0;
        if (!all) continue;
        for (int m = 0; m < n_models; m++) {
            const FitResult *r = &res[m * n_subjects + s];
            FitCompareRow *w = &rows[m];
            w->n_subjects++;
            w->n_trials += r->n_trials;
            w->nll -= r->loglik;
            w->heldout_nll -= cv ? r->heldout_loglik : 0.0;
            w->aic += 2.0 * r->n_params - 2.0 * r->loglik;
            w->bic += r->n_params * log((double)r->n_trials) - 2.0 * r->loglik;
            double sc = subject_score(r, cv ? FIT_WIN_HELDOUT : FIT_WIN_BIC);
            if (sc < ws) ws = sc, win = m;
        }
        if (win >= 0) rows[win].wins++;
    }
    int b = 0;
    for (int m = 0; m < n_models; m++) {
        FitCompareRow *w = &rows[m];
        double n = w->n_trials > 0 ? (double)w->n_trials : NAN;
        w->nll_per_trial = w->nll / n;
        w->norm_lik = exp(-w->nll_per_trial);
        w->heldout_per_trial = cv ? w->heldout_nll / n : NAN;
        w->heldout_norm_lik = exp(-w->heldout_per_trial);
        if (!cv) w->heldout_nll = NAN;
        if (w->model->kind == FIT_KIND_TINYRNN) w->aic = w->bic = NAN;   /* group weights, not per-subject parameters */
        double key = cv ? w->heldout_nll : w->bic, bkey = cv ? rows[b].heldout_nll : rows[b].bic;
        if (key < bkey) b = m;
    }
    for (int m = 0; m < n_models; m++) {
        double sum = 0.0, sq = 0.0;
        int k = 0;
        for (int s = 0; s < n_subjects; s++) {
            int all = 1;
            for (int q = 0; q < n_models; q++) all &= res[q * n_subjects + s].n_trials > 0;
            if (!all) continue;
            const FitWinner by = cv ? FIT_WIN_HELDOUT : FIT_WIN_BIC;
            double d = subject_score(&res[m * n_subjects + s], by) - subject_score(&res[b * n_subjects + s], by);
            sum += d;
            sq += d * d;
            k++;
        }
        double mean = k ? sum / k : NAN;
        rows[m].diff_mean = mean;
        rows[m].diff_se = k > 1 ? sqrt(fmax(0.0, (sq - k * mean * mean) / (k - 1)) / k) : NAN;
    }
    *best = b;
}

void fit_compare_print(const FitCompareRow *rows, int n_models, int best, FILE *f)
{
    int cv = n_models > 0 && isfinite(rows[0].heldout_per_trial);
    fprintf(f, "%-9s %4s %6s %9s %8s %9s %9s %9s %9s %4s  %s\n", "model", "subj", "trials", "NLL/trial", "norm_lik",
            cv ? "cvNLL/tr" : "-", cv ? "cv_lik" : "-", "AIC", "BIC", "wins",
            cv ? "d(cvNLL/trial) vs best, mean +- SE" : "d(BIC/2n) vs best, mean +- SE");
    for (int m = 0; m < n_models; m++) {
        const FitCompareRow *r = &rows[m];
        char cvn[32] = "-", cvl[32] = "-";   /* no held-out columns without cross-validation (not nan) */
        if (cv) {
            snprintf(cvn, sizeof cvn, "%.4f", r->heldout_per_trial);
            snprintf(cvl, sizeof cvl, "%.4f", r->heldout_norm_lik);
        }
        char diff[64] = "-";   /* one subject: no SE of the paired difference */
        if (isfinite(r->diff_mean) && isfinite(r->diff_se)) snprintf(diff, sizeof diff, "%+.4f +- %.4f", r->diff_mean, r->diff_se);
        else if (isfinite(r->diff_mean)) snprintf(diff, sizeof diff, "%+.4f", r->diff_mean);
        fprintf(f, "%-9s %4d %6ld %9.4f %8.4f %9s %9s %9.1f %9.1f %4d  %s%s\n", r->model->name, r->n_subjects,
                r->n_trials, r->nll_per_trial, r->norm_lik, cvn, cvl, r->aic, r->bic, r->wins, diff,
                m == best ? "  (best)" : "");
    }
}

void fit_compare_print_json(const FitCompareRow *rows, int n_models, int best, long long run, double seconds, FILE *f)
{
    fprintf(f, "{\"run\":%lld,\"compare\":[", run);
    for (int m = 0; m < n_models; m++) {
        const FitCompareRow *w = &rows[m];
        fprintf(f, "%s{\"model\":\"%s\",\"subjects\":%d,\"trials\":%ld,\"nll_per_trial\":%.8g,\"norm_lik\":%.8g,"
                   "\"heldout_nll_per_trial\":%.8g,\"heldout_norm_lik\":%.8g,\"aic\":%.8g,\"bic\":%.8g,\"wins\":%d,"
                   "\"diff_mean\":%.8g,\"diff_se\":%.8g}",
                m ? "," : "", w->model->name, w->n_subjects, w->n_trials, w->nll_per_trial, w->norm_lik,
                isfinite(w->heldout_per_trial) ? w->heldout_per_trial : -1.0,
                isfinite(w->heldout_norm_lik) ? w->heldout_norm_lik : -1.0, isfinite(w->aic) ? w->aic : -1.0,
                isfinite(w->bic) ? w->bic : -1.0, w->wins, w->diff_mean, isfinite(w->diff_se) ? w->diff_se : -1.0);
    }
    fprintf(f, "],\"best\":\"%s\",\"seconds\":%.3f}\n", rows[best].model->name, seconds);
}

/* ---- simulation and recovery ------------------------------------------------ */

void fit_simulate(const FitModel *m, const double *x, const FitEnv *env, gsl_rng *rng, int *a, double *r,
                  FitSubject *s)
{
    s->n = env->n_trials;
    s->a = a;
    s->r = r;
    s->task.p_high = env->p_high;
    s->task.p_low = env->p_low;
    s->task.cue = NULL;
    s->task.net = NULL;
    double st[FIT_STATE_MAX];
    m->init(x, &s->task, st);
    int good = gsl_rng_uniform(rng) < 0.5 ? 0 : 1;
    for (int t = 0; t < env->n_trials; t++) {
        a[t] = gsl_rng_uniform(rng) < m->p1(x, &s->task, st) ? 1 : 0;
        r[t] = gsl_rng_uniform(rng) < (a[t] == good ? env->p_high : env->p_low) ? 1.0 : 0.0;
        m->update(x, &s->task, st, a[t], r[t]);
        if (env->hazard > 0.0 && gsl_rng_uniform(rng) < env->hazard) good = 1 - good;
    }
}

/* One parameter vector: a fitted subject's whole vector resampled from pop
** (its correlations kept), or each parameter uniform in its recovery range. */
static void draw_params(const FitModel *m, const FitPopulation *pop, gsl_rng *rng, double *x)
{
    if (pop && pop->n > 0) {
        memcpy(x, pop->x + (size_t)gsl_rng_uniform_int(rng, (unsigned long)pop->n) * FIT_MAX_PARAMS,
               FIT_MAX_PARAMS * sizeof *x);
        return;
    }
    for (int j = 0; j < m->n_params; j++) {
        const FitParam *p = &m->params[j];
        double u = gsl_rng_uniform(rng);
        x[j] = p->transform == FIT_LOG ? exp(log(p->rec_lo) + u * (log(p->rec_hi) - log(p->rec_lo)))
                                       : p->rec_lo + u * (p->rec_hi - p->rec_lo);
    }
}

int fit_recover(const FitModel *m, const FitEnv *env, const FitPopulation *pop, int n_subjects, const FitOptions *opt,
                FitRecoveryParam *out)
{
    if (n_subjects < 3 || env->n_trials < FIT_MIN_TRIALS) return FIT_BADARG;
    int d = m->n_params, rc = FIT_NOMEM;
    gsl_rng *rng = rng_alloc();
    int *a = malloc((size_t)env->n_trials * sizeof *a);
    double *r = malloc((size_t)env->n_trials * sizeof *r);
    double *tx = malloc((size_t)n_subjects * FIT_MAX_PARAMS * sizeof *tx);
    double *fx = malloc((size_t)n_subjects * FIT_MAX_PARAMS * sizeof *fx);
    double *work = malloc(2 * (size_t)n_subjects * sizeof *work), *cx = malloc(2 * (size_t)n_subjects * sizeof *cx);
    if (!rng || !a || !r || !tx || !fx || !work || !cx) goto done;
    gsl_rng_set(rng, opt->seed);
    FitOptions o = *opt;
    o.cv = 0;
    for (int i = 0; i < n_subjects; i++) {
        FitSubject s;
        FitResult res;
        draw_params(m, pop, rng, tx + (size_t)i * FIT_MAX_PARAMS);
        fit_simulate(m, tx + (size_t)i * FIT_MAX_PARAMS, env, rng, a, r, &s);
        if ((rc = fit_subject(m, &s, &o, i, &res)) != FIT_OK) goto done;
        memcpy(fx + (size_t)i * FIT_MAX_PARAMS, res.x, sizeof res.x);
    }
    for (int j = 0; j < d; j++) {
        double bias = 0.0, tm = 0.0;
        for (int i = 0; i < n_subjects; i++) {
            bias += fx[(size_t)i * FIT_MAX_PARAMS + j] - tx[(size_t)i * FIT_MAX_PARAMS + j];
            tm += tx[(size_t)i * FIT_MAX_PARAMS + j];
        }
        out[j].bias = bias / n_subjects;
        out[j].true_mean = tm / n_subjects;
        out[j].r = gsl_stats_correlation(tx + j, FIT_MAX_PARAMS, fx + j, FIT_MAX_PARAMS, (size_t)n_subjects);
        for (int i = 0; i < n_subjects; i++) {   /* gsl_stats_spearman sorts its inputs: copies */
            cx[i] = tx[(size_t)i * FIT_MAX_PARAMS + j];
            cx[n_subjects + i] = fx[(size_t)i * FIT_MAX_PARAMS + j];
        }
        out[j].rho = gsl_stats_spearman(cx, 1, cx + n_subjects, 1, (size_t)n_subjects, work);
    }
    rc = FIT_OK;
done:
    gsl_rng_free(rng);
    free(a);
    free(r);
    free(tx);
    free(fx);
    free(work);
    free(cx);
    return rc;
}

int fit_confusion(const FitModel *const *models, int n_models, const FitEnv *env, const FitPopulation *pops,
                  int n_subjects, const FitOptions *opt, FitWinner by, int *confusion, FitConfusionTrace *trace)
{
    if (n_subjects < 1 || env->n_trials < FIT_MIN_TRIALS || (by == FIT_WIN_HELDOUT && opt->cv < 2)) return FIT_BADARG;
    int rc = FIT_NOMEM;
    gsl_rng *rng = rng_alloc();
    int *a = malloc((size_t)env->n_trials * sizeof *a);
    double *r = malloc((size_t)env->n_trials * sizeof *r);
    if (!rng || !a || !r) goto done;
    gsl_rng_set(rng, opt->seed);
    memset(confusion, 0, (size_t)n_models * (size_t)n_models * sizeof *confusion);
    FitOptions o = *opt;
    if (by != FIT_WIN_HELDOUT) o.cv = 0;   /* no held-out fits to pay for */
    for (int g = 0; g < n_models; g++)
        for (int i = 0; i < n_subjects; i++) {
            double x[FIT_MAX_PARAMS] = { 0 };
            FitSubject s;
            draw_params(models[g], pops ? &pops[g] : NULL, rng, x);
            fit_simulate(models[g], x, env, rng, a, r, &s);
            int win = -1;
            double wb = INFINITY;
            for (int m = 0; m < n_models; m++) {
                FitResult res;
                if ((rc = fit_subject(models[m], &s, &o, i, &res)) != FIT_OK) goto done;
                double sc = subject_score(&res, by);
                if (sc < wb) wb = sc, win = m;
                if (m == g && trace && trace->gain) {
                    double ux[FIT_MAX_PARAMS] = { 0 };
                    for (int j = 0; j < models[g]->n_params; j++) ux[j] = to_u(&models[g]->params[j], x[j]);
                    trace->gain[g * n_subjects + i] =
                        fit_objective_u(models[g], &s, &o, ux) - fit_objective_u(models[g], &s, &o, res.u);
                }
            }
            confusion[g * n_models + win]++;
            if (trace && trace->winner) trace->winner[g * n_subjects + i] = win;
            if (trace && trace->truth) memcpy(trace->truth + (size_t)(g * n_subjects + i) * FIT_MAX_PARAMS, x, sizeof x);
        }
    rc = FIT_OK;
done:
    gsl_rng_free(rng);
    free(a);
    free(r);
    return rc;
}
