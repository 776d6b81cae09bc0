/* analysis/regress.c: logistic IRLS, OLS, pseudo-inverse, Wilson intervals
** (see regress.h).
**
** IRLS for the penalized logistic log-likelihood
**     l(b) = sum_i [y_i eta_i - softplus(eta_i)] - lambda/2 sum_j P_j b_j^2,  eta = X b,
** gradient g = X'(y - mu) - lambda P b, negative Hessian H = X' W X + lambda P with
** W = diag(mu (1 - mu)); the Newton step H^{-1} g is halved until l does not
** decrease. At the end H^{-1} is the (approximate, for lambda > 0)
** covariance of b.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

#include "analysis/regress.h"

void stats_wilson(long k, long n, double conf, double *lo, double *hi)
{
    if (n <= 0) {
        *lo = *hi = NAN;
        return;
    }
    double z = gsl_cdf_ugaussian_Pinv(0.5 + conf / 2.0);
    double nn = (double)n, ph = (double)k / nn, z2 = z * z;
    double centre = (ph + z2 / (2.0 * nn)) / (1.0 + z2 / nn);
    double half = z * sqrt(ph * (1.0 - ph) / nn + z2 / (4.0 * nn * nn)) / (1.0 + z2 / nn);
    *lo = centre - half < 0.0 ? 0.0 : centre - half;
    *hi = centre + half > 1.0 ? 1.0 : centre + half;
}

int regress_sym_pinv(const double *A, int p, double rel_tol, double *Ainv, double *min_eig)
{
    gsl_matrix *m = gsl_matrix_alloc((size_t)p, (size_t)p);
    gsl_matrix *v = gsl_matrix_alloc((size_t)p, (size_t)p);
    gsl_vector *ev = gsl_vector_alloc((size_t)p);
    gsl_eigen_symmv_workspace *w = gsl_eigen_symmv_alloc((size_t)p);
    int rank = -1;
    if (!m || !v || !ev || !w) goto done;
    for (int i = 0; i < p; i++)
        for (int j = 0; j < p; j++) gsl_matrix_set(m, (size_t)i, (size_t)j, 0.5 * (A[i * p + j] + A[j * p + i]));
    gsl_eigen_symmv(m, ev, v, w);
    double big = 0.0, small = INFINITY;
    for (int i = 0; i < p; i++) {
        double e = gsl_vector_get(ev, (size_t)i);
        if (fabs(e) > big) big = fabs(e);
        if (e < small) small = e;
    }
    if (min_eig) *min_eig = small;
    memset(Ainv, 0, (size_t)p * (size_t)p * sizeof *Ainv);
    rank = 0;
    for (int k = 0; k < p; k++) {
        double e = gsl_vector_get(ev, (size_t)k);
        if (!(fabs(e) > rel_tol * big) || big == 0.0) continue;
        rank++;
        for (int i = 0; i < p; i++) {
            double vik = gsl_matrix_get(v, (size_t)i, (size_t)k) / e;
            for (int j = 0; j < p; j++) Ainv[i * p + j] += vik * gsl_matrix_get(v, (size_t)j, (size_t)k);
        }
    }
done:
    gsl_matrix_free(m);
    gsl_matrix_free(v);
    gsl_vector_free(ev);
    if (w) gsl_eigen_symmv_free(w);
    return rank;
}

/* log(1 + e^x) without overflow. */
static double softplus(double x) { return x > 0.0 ? x + log1p(exp(-x)) : log1p(exp(x)); }

static double logit_penalized(const double *X, const double *y, int n, int p, const double *b, double lambda,
                              const int *pen, double *ll_out)
{
    double ll = 0.0;
    for (int i = 0; i < n; i++) {
        const double *x = X + (size_t)i * p;
        double eta = 0.0;
        for (int j = 0; j < p; j++) eta += x[j] * b[j];
        ll += y[i] * eta - softplus(eta);
    }
    double pen_sum = 0.0;
    for (int j = 0; j < p; j++)
        if (pen[j]) pen_sum += b[j] * b[j];
    if (ll_out) *ll_out = ll;
    return ll - 0.5 * lambda * pen_sum;
}

/* H = X'WX + lambda P and g = X'(y - mu) - lambda P b at b. */
static void logit_derivs(const double *X, const double *y, int n, int p, const double *b, double lambda,
                         const int *pen, double *H, double *g)
{
    memset(H, 0, (size_t)p * (size_t)p * sizeof *H);
    memset(g, 0, (size_t)p * sizeof *g);
    for (int i = 0; i < n; i++) {
        const double *x = X + (size_t)i * p;
        double eta = 0.0;
        for (int j = 0; j < p; j++) eta += x[j] * b[j];
        double mu = 1.0 / (1.0 + exp(-eta));
        double w = mu * (1.0 - mu), r = y[i] - mu;
        for (int j = 0; j < p; j++) {
            g[j] += x[j] * r;
            double wx = w * x[j];
            for (int k = 0; k <= j; k++) H[j * p + k] += wx * x[k];
        }
    }
    for (int j = 0; j < p; j++) {
        for (int k = 0; k < j; k++) H[k * p + j] = H[j * p + k];
        if (pen[j]) {
            H[j * p + j] += lambda;
            g[j] -= lambda * b[j];
        }
    }
}

int regress_logit(const double *X, const double *y, int n, int p, double lambda, const int *penalize,
                  int max_iter, LogitFit *fit)
{
    memset(fit, 0, sizeof *fit);
    fit->n = n;
    fit->p = p;
    fit->lambda = lambda;
    fit->loglik = NAN;
    for (int j = 0; j < REGRESS_MAX_P; j++) fit->coef[j] = fit->se[j] = NAN;
    if (p < 1 || p > REGRESS_MAX_P || n < p) return ANALYSIS_NODATA;
    if (max_iter <= 0) max_iter = 100;
    int pen[REGRESS_MAX_P];
    for (int j = 0; j < p; j++) pen[j] = penalize ? penalize[j] != 0 : j > 0;
    double b[REGRESS_MAX_P] = { 0 }, bn[REGRESS_MAX_P], g[REGRESS_MAX_P], step[REGRESS_MAX_P];
    double *H = malloc((size_t)p * (size_t)p * sizeof *H);
    double *Hi = malloc((size_t)p * (size_t)p * sizeof *Hi);
    if (!H || !Hi) {
        free(H);
        free(Hi);
        return ANALYSIS_NOMEM;
    }
    double pll = logit_penalized(X, y, n, p, b, lambda, pen, NULL);
    int status = ANALYSIS_OK;
    for (int it = 1; it <= max_iter; it++) {
        fit->iterations = it;
        logit_derivs(X, y, n, p, b, lambda, pen, H, g);
        if (regress_sym_pinv(H, p, 1e-12, Hi, NULL) < 0) {
            status = ANALYSIS_NOMEM;
            goto done;
        }
        for (int j = 0; j < p; j++) {
            step[j] = 0.0;
            for (int k = 0; k < p; k++) step[j] += Hi[j * p + k] * g[k];
        }
        double s = 1.0, pll_new = pll;
        for (int h = 0; h < 40; h++, s *= 0.5) {
            for (int j = 0; j < p; j++) bn[j] = b[j] + s * step[j];
            pll_new = logit_penalized(X, y, n, p, bn, lambda, pen, NULL);
            if (pll_new >= pll - 1e-12 * (1.0 + fabs(pll))) break;
        }
        double dmax = 0.0, bmax = 0.0;
        for (int j = 0; j < p; j++) {
            if (fabs(bn[j] - b[j]) > dmax) dmax = fabs(bn[j] - b[j]);
            b[j] = bn[j];
            if (fabs(b[j]) > bmax) bmax = fabs(b[j]);
        }
        double change = fabs(pll_new - pll);
        pll = pll_new;
        if (bmax > 30.0) {
            fit->separated = 1;
            break;
        }
        if (change <= 1e-10 * (1.0 + fabs(pll)) && dmax <= 1e-6) {
            fit->converged = 1;
            break;
        }
    }
    logit_derivs(X, y, n, p, b, lambda, pen, H, g);
    double min_eig;
    fit->rank = regress_sym_pinv(H, p, 1e-12, Hi, &min_eig);
    if (fit->rank < 0) {
        status = ANALYSIS_NOMEM;
        goto done;
    }
    if (fit->rank < p) {
        /* a direction without information: at a finite optimum only if X is
        ** rank deficient; otherwise the weights mu(1 - mu) vanished along it,
        ** which is (quasi-)separation */
        fit->converged = 0;
        fit->separated = 1;
    }
    for (int j = 0; j < p; j++) {
        fit->coef[j] = b[j];
        fit->se[j] = fit->rank == p && Hi[j * p + j] > 0.0 ? sqrt(Hi[j * p + j]) : NAN;
    }
    logit_penalized(X, y, n, p, b, lambda, pen, &fit->loglik);
done:
    free(H);
    free(Hi);
    return status;
}

double regress_t_pvalue(double t, double df)
{
    if (!isfinite(t) || !isfinite(df) || df < 1.0) return NAN;
    return 2.0 * gsl_cdf_tdist_Q(fabs(t), df);
}

int regress_ols(const double *X, const double *y, int n, int p, OlsFit *fit)
{
    memset(fit, 0, sizeof *fit);
    fit->n = n;
    fit->p = p;
    fit->sigma2 = fit->r2 = NAN;
    for (int j = 0; j < REGRESS_MAX_P; j++) fit->coef[j] = fit->se[j] = fit->tstat[j] = fit->pval[j] = NAN;
    if (p < 1 || p > REGRESS_MAX_P || n <= p) return ANALYSIS_NODATA;
    double *A = calloc((size_t)p * (size_t)p, sizeof *A);
    double *Ai = malloc((size_t)p * (size_t)p * sizeof *Ai);
    if (!A || !Ai) {
        free(A);
        free(Ai);
        return ANALYSIS_NOMEM;
    }
    double xy[REGRESS_MAX_P] = { 0 }, ysum = 0.0;
    for (int i = 0; i < n; i++) {
        const double *x = X + (size_t)i * p;
        ysum += y[i];
        for (int j = 0; j < p; j++) {
            xy[j] += x[j] * y[i];
            for (int k = 0; k <= j; k++) A[j * p + k] += x[j] * x[k];
        }
    }
    for (int j = 0; j < p; j++)
        for (int k = 0; k < j; k++) A[k * p + j] = A[j * p + k];
    fit->rank = regress_sym_pinv(A, p, 1e-12, Ai, NULL);
    if (fit->rank < 0) {
        free(A);
        free(Ai);
        return ANALYSIS_NOMEM;
    }
    for (int j = 0; j < p; j++) {
        fit->coef[j] = 0.0;
        for (int k = 0; k < p; k++) fit->coef[j] += Ai[j * p + k] * xy[k];
    }
    /* residuals directly (not y'y - b'X'y, which cancels badly) */
    double sse = 0.0, sst = 0.0, ybar = ysum / n;
    for (int i = 0; i < n; i++) {
        const double *x = X + (size_t)i * p;
        double f = 0.0;
        for (int j = 0; j < p; j++) f += x[j] * fit->coef[j];
        sse += (y[i] - f) * (y[i] - f);
        sst += (y[i] - ybar) * (y[i] - ybar);
    }
    fit->df = n - fit->rank;
    fit->sigma2 = sse / fit->df;
    fit->r2 = sst > 0.0 ? 1.0 - sse / sst : NAN;
    for (int j = 0; j < p; j++) {
        if (fit->rank == p && Ai[j * p + j] > 0.0 && fit->sigma2 > 0.0) {
            fit->se[j] = sqrt(fit->sigma2 * Ai[j * p + j]);
            fit->tstat[j] = fit->coef[j] / fit->se[j];
            fit->pval[j] = regress_t_pvalue(fit->tstat[j], fit->df);
        }
    }
    free(A);
    free(Ai);
    return ANALYSIS_OK;
}
