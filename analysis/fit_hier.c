/* analysis/fit_hier.c: the empirical-Bayes hierarchical fit of
** analysis/fit_hier.h (EM over a Gaussian group prior in the unbounded
** coordinates, Laplace approximation for each subject's posterior).
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_linalg.h>

#include "analysis/fit_hier.h"

#define H_STEP 1e-3

void fit_hessian_u(const FitModel *m, const FitSubject *s, const FitOptions *o, const double *u, double *h)
{
    int d = m->n_params;
    double v[FIT_MAX_PARAMS], f0 = fit_objective_u(m, s, o, u);
    memcpy(v, u, (size_t)d * sizeof *v);
    for (int j = 0; j < d; j++) {
        v[j] = u[j] + H_STEP;
        double fp = fit_objective_u(m, s, o, v);
        v[j] = u[j] - H_STEP;
        double fm = fit_objective_u(m, s, o, v);
        v[j] = u[j];
        h[j * d + j] = (fp - 2.0 * f0 + fm) / (H_STEP * H_STEP);
        for (int k = 0; k < j; k++) {
            double f[4];
            for (int c = 0; c < 4; c++) {
                v[j] = u[j] + (c & 1 ? -H_STEP : H_STEP);
                v[k] = u[k] + (c & 2 ? -H_STEP : H_STEP);
                f[c] = fit_objective_u(m, s, o, v);
            }
            v[j] = u[j];
            v[k] = u[k];
            h[j * d + k] = h[k * d + j] = (f[0] - f[1] - f[2] + f[3]) / (4.0 * H_STEP * H_STEP);
        }
    }
}

/* The diagonal of H^-1 into out (the posterior variances) and log det H
** into *logdet; H not positive definite (a flat or saddle direction): the
** prior variance for that coordinate, as the posterior can be no broader
** than it in the Laplace view, and log det H from those variances. */
static void posterior_var(const double *h, int d, const double *prior_var, double *out, double *logdet)
{
    double a[FIT_MAX_PARAMS * FIT_MAX_PARAMS], ld = 0.0;
    memcpy(a, h, (size_t)(d * d) * sizeof *a);
    gsl_matrix_view mv = gsl_matrix_view_array(a, (size_t)d, (size_t)d);
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    int bad = gsl_linalg_cholesky_decomp1(&mv.matrix) != GSL_SUCCESS;
    for (int j = 0; j < d && !bad; j++) ld += 2.0 * log(a[j * d + j]);
    bad = bad || gsl_linalg_cholesky_invert(&mv.matrix);
    gsl_set_error_handler(old);
    double fb = 0.0;
    for (int j = 0; j < d; j++) {
        double v = bad ? NAN : a[j * d + j];
        out[j] = isfinite(v) && v > 0.0 ? fmin(v, prior_var[j]) : prior_var[j];
        fb -= log(out[j]);
    }
    *logdet = bad || !isfinite(ld) ? fb : ld;
}

/* One E step under the prior (mu, var): every subject's MAP fit (warm-started
** from warm[i], its previous fit, when not NULL; the new fit is then no worse
** than that point), summed moments into sum, sq, and the Laplace log marginal
** likelihood into *ev. */
static int e_step(const FitModel *m, const FitSubject *s, int n, FitOptions *oi, const int64_t *idx, double *warm,
                  FitResult *res, double *sum, double *sq, double *ev)
{
    int d = m->n_params;
    *ev = 0.0;
    for (int i = 0; i < n; i++) {
        oi->warm = warm ? warm + (size_t)i * FIT_MAX_PARAMS : NULL;
        int rc = fit_subject(m, &s[i], oi, idx ? (int)idx[i] : i, &res[i]);
        if (rc != FIT_OK) return rc;
        double h[FIT_MAX_PARAMS * FIT_MAX_PARAMS], pv[FIT_MAX_PARAMS], ld;
        fit_hessian_u(m, &s[i], oi, res[i].u, h);
        posterior_var(h, d, oi->u_var, pv, &ld);
        /* log p(data_i | mu, var) ~ -f(u_i) - 1/2 sum log var_j - 1/2 log det H (the 2 pi terms cancel) */
        *ev -= fit_objective_u(m, &s[i], oi, res[i].u) + 0.5 * ld;
        for (int j = 0; j < d; j++) {
            sum[j] += res[i].u[j];
            sq[j] += res[i].u[j] * res[i].u[j] + pv[j];
            *ev -= 0.5 * log(oi->u_var[j]);
        }
    }
    oi->warm = NULL;
    return FIT_OK;
}

/* The M step's new prior into g; returns the mask of coordinates that
** moved, and in *outward those whose mean, beyond +-FIT_HIER_FLAT_U, moved
** further out (towards a bound) by more than the tolerance. */
static unsigned m_step(FitHier *g, int d, int n, const double *sum, const double *sq, unsigned *outward)
{
    unsigned moved = 0;
    *outward = 0;
    for (int j = 0; j < d; j++) {
        double nm = sum[j] / n, nv = fmax(sq[j] / n - nm * nm, FIT_HIER_VAR_MIN);
        if (fabs(nm - g->mu[j]) > 1e-3 || fabs(nv - g->var[j]) > 1e-3 * g->var[j]) moved |= 1u << j;
        if (fabs(nm) > fabs(g->mu[j]) + 1e-3 && fabs(nm) > FIT_HIER_FLAT_U) *outward |= 1u << j;
        g->mu[j] = nm;
        g->var[j] = nv;
    }
    return moved;
}

static int em(const FitModel *m, const FitSubject *s, int n, const FitOptions *o, const int64_t *idx, FitHier *g,
              FitResult *res, double *warm)
{
    int d = m->n_params;
    FitOptions oi = *o;
    oi.cv = 0;
    oi.map = 0;
    double ev_prev = NAN;
    for (int it = 0; it < FIT_HIER_MAX_ITER && !g->converged; it++) {
        double mu[FIT_MAX_PARAMS], var[FIT_MAX_PARAMS], sum[FIT_MAX_PARAMS] = { 0 }, sq[FIT_MAX_PARAMS] = { 0 }, ev;
        memcpy(mu, g->mu, sizeof mu);
        memcpy(var, g->var, sizeof var);
        oi.u_mu = mu;
        oi.u_var = var;
        oi.random_starts = it == 0 ? o->random_starts : 2;
        int rc = e_step(m, s, n, &oi, idx, it ? warm : NULL, res, sum, sq, &ev);
        if (rc != FIT_OK) return rc;
        for (int i = 0; i < n; i++) memcpy(warm + (size_t)i * FIT_MAX_PARAMS, res[i].u, sizeof res[i].u);
        unsigned outward, moved = m_step(g, d, n, sum, sq, &outward);
        g->log_evidence = ev;
        g->iterations = it + 1;
        if (!moved) g->converged = FIT_HIER_CONV_PARAMS;
        else if (it > 0 && fabs(ev - ev_prev) < FIT_HIER_EV_TOL * n) {
            g->converged = FIT_HIER_CONV_EVIDENCE;
            g->flat_mask = moved & outward;
        }
        ev_prev = ev;
    }
    return FIT_OK;
}

int fit_hier(const FitModel *m, const FitSubject *s, int n, const FitOptions *o, const int64_t *idx, FitHier *g,
             FitResult *res)
{
    int d = m->n_params;
    memset(g, 0, sizeof *g);
    g->n_params = d;
    g->n_subjects = n;
    g->log_evidence = NAN;
    if (n < 2 || d < 1) return FIT_BADARG;
    for (int j = 0; j < d; j++) g->mu[j] = 0.0, g->var[j] = FIT_HIER_VAR0;
    double *warm = malloc((size_t)n * FIT_MAX_PARAMS * sizeof *warm);
    if (!warm) return FIT_NOMEM;
    int rc = em(m, s, n, o, idx, g, res, warm);
    for (int j = 0; j < d; j++) g->median[j] = fit_natural(&m->params[j], g->mu[j]);
    /* the final fits under the final prior (with o's cross-validation) */
    FitOptions of = *o;
    of.map = 0;
    of.u_mu = g->mu;
    of.u_var = g->var;
    for (int i = 0; i < n && rc == FIT_OK; i++) {
        of.warm = warm + (size_t)i * FIT_MAX_PARAMS;
        rc = fit_subject(m, &s[i], &of, idx ? (int)idx[i] : i, &res[i]);
    }
    free(warm);
    return rc;
}
