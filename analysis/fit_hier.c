/* analysis/fit_hier.c: the empirical-Bayes hierarchical fit of
** analysis/fit_hier.h (EM over a Gaussian group prior in the unbounded
** coordinates, Laplace approximation for each subject's posterior).
*/
#include <math.h>
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

/* The diagonal of H^-1 into sd (the posterior variances); H not positive
** definite (a flat or saddle direction): the prior variance for that
** coordinate, as the posterior can be no broader than it in the Laplace view. */
static void posterior_var(const double *h, int d, const double *prior_var, double *out)
{
    double a[FIT_MAX_PARAMS * FIT_MAX_PARAMS];
    memcpy(a, h, (size_t)(d * d) * sizeof *a);
    gsl_matrix_view mv = gsl_matrix_view_array(a, (size_t)d, (size_t)d);
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    int bad = gsl_linalg_cholesky_decomp1(&mv.matrix) != GSL_SUCCESS || gsl_linalg_cholesky_invert(&mv.matrix);
    gsl_set_error_handler(old);
    for (int j = 0; j < d; j++) {
        double v = bad ? NAN : a[j * d + j];
        out[j] = isfinite(v) && v > 0.0 ? fmin(v, prior_var[j]) : prior_var[j];
    }
}

int fit_hier(const FitModel *m, const FitSubject *s, int n, const FitOptions *o, const int64_t *idx, FitHier *g,
             FitResult *res)
{
    int d = m->n_params;
    memset(g, 0, sizeof *g);
    g->n_params = d;
    g->n_subjects = n;
    if (n < 2 || d < 1) return FIT_BADARG;
    for (int j = 0; j < d; j++) g->mu[j] = 0.0, g->var[j] = FIT_HIER_VAR0;
    FitOptions oi = *o;
    oi.cv = 0;
    oi.map = 0;
    for (int it = 0; it < FIT_HIER_MAX_ITER && !g->converged; it++) {
        double mu[FIT_MAX_PARAMS], var[FIT_MAX_PARAMS], sum[FIT_MAX_PARAMS] = { 0 }, sq[FIT_MAX_PARAMS] = { 0 };
        memcpy(mu, g->mu, sizeof mu);
        memcpy(var, g->var, sizeof var);
        oi.u_mu = mu;
        oi.u_var = var;
        oi.random_starts = it == 0 ? o->random_starts : 2;
        for (int i = 0; i < n; i++) {
            int rc = fit_subject(m, &s[i], &oi, idx ? (int)idx[i] : i, &res[i]);
            if (rc != FIT_OK) return rc;
            double h[FIT_MAX_PARAMS * FIT_MAX_PARAMS], pv[FIT_MAX_PARAMS];
            fit_hessian_u(m, &s[i], &oi, res[i].u, h);
            posterior_var(h, d, var, pv);
            for (int j = 0; j < d; j++) {
                sum[j] += res[i].u[j];
                sq[j] += res[i].u[j] * res[i].u[j] + pv[j];
            }
        }
        int moved = 0;
        for (int j = 0; j < d; j++) {
            double nm = sum[j] / n, nv = fmax(sq[j] / n - nm * nm, FIT_HIER_VAR_MIN);
            moved |= fabs(nm - g->mu[j]) > 1e-3 || fabs(nv - g->var[j]) > 1e-3 * g->var[j];
            g->mu[j] = nm;
            g->var[j] = nv;
        }
        g->iterations = it + 1;
        g->converged = !moved;
    }
    for (int j = 0; j < d; j++) g->median[j] = fit_natural(&m->params[j], g->mu[j]);
    /* the final fits under the final prior (with o's cross-validation) */
    FitOptions of = *o;
    of.map = 0;
    of.u_mu = g->mu;
    of.u_var = g->var;
    for (int i = 0; i < n; i++) {
        int rc = fit_subject(m, &s[i], &of, idx ? (int)idx[i] : i, &res[i]);
        if (rc != FIT_OK) return rc;
    }
    return FIT_OK;
}
