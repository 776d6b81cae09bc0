/* analysis/fit_hier.h: the empirical-Bayes hierarchical fit of a cognitive
** model (analysis/fit.h) to a group of subjects, after Huys et al. 2011
** (PLoS Comput Biol 7: e1002028): a Gaussian group prior N(mu_j, var_j) on
** each of the model's unbounded coordinates u_j (the coordinates the fit
** searches in: logistic onto the bounds, on a log scale for inverse
** temperatures), re-estimated by EM with the Laplace approximation:
**
**   E step: each subject's MAP fit u_i under the current prior, and its
**           posterior covariance S_i = H_i^-1, H_i the Hessian of minus the
**           log posterior at u_i (central finite differences, step 1e-3);
**   M step: mu_j = mean_i u_ij, var_j = mean_i (u_ij^2 + S_i,jj) - mu_j^2
**           (floored at FIT_HIER_VAR_MIN);
**
** from mu = 0, var = FIT_HIER_VAR0 (broad: nearly the ML fits), until no mu_j
** moves by more than 1e-3 and no var_j by more than 0.1% (converged), or
** FIT_HIER_MAX_ITER iterations. The subjects' final fits are the MAP fits
** under the final prior, with o->cv-fold block cross-validation if asked
** (the prior is then held fixed: it was estimated from every trial, so the
** held-out blocks are not wholly unseen). Used by jobs/fit_job.c
** (`metarl fit --hier`), which stores them as model "<name>-hier", method map.
*/
#ifndef METARL_FIT_HIER_H
#define METARL_FIT_HIER_H

#include <stdint.h>

#include "analysis/fit.h"

#define FIT_HIER_VAR0 25.0
#define FIT_HIER_VAR_MIN 1e-4
#define FIT_HIER_MAX_ITER 60

typedef struct FitHier {
    int n_params, n_subjects;
    double mu[FIT_MAX_PARAMS], var[FIT_MAX_PARAMS];   /* the group prior, unbounded coordinates */
    double median[FIT_MAX_PARAMS];                   /* fit_natural(mu): the group's median, natural */
    int iterations, converged;
} FitHier;

/* Fit m to the n subjects s (seeds from idx[i], NULL: i) with the group
** prior estimated as above; res has n entries. FIT_OK, FIT_NOMEM,
** FIT_NODATA (a subject with too few trials) or FIT_BADARG (n < 2, or a
** model without per-subject parameters). */
int fit_hier(const FitModel *m, const FitSubject *s, int n, const FitOptions *o, const int64_t *idx, FitHier *g,
             FitResult *res);

/* Minus the log posterior's Hessian in u at u (d x d, row-major), o's prior included. */
void fit_hessian_u(const FitModel *m, const FitSubject *s, const FitOptions *o, const double *u, double *h);

#endif
