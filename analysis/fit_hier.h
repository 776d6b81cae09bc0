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
** moves by more than 1e-3 and no var_j by more than 0.1% (converged:
** FIT_HIER_CONV_PARAMS), or the Laplace log marginal likelihood of the data,
** sum_i [-f_i(u_i) - 1/2 sum_j log var_j - 1/2 log det H_i], changes by less
** than FIT_HIER_EV_TOL nats per subject (FIT_HIER_CONV_EVIDENCE), or
** FIT_HIER_MAX_ITER iterations. Each E step starts every subject's search
** also from its previous fit, so a subject's MAP can only improve on the
** point it left (without this, a subject with two modes alternated between
** them and EM cycled: rwf on the Reiter data). A coordinate the data barely
** inform near a bound (a lapse of 0: its likelihood is flat as u -> -inf)
** has its group optimum at the bound: EM drifts towards it ever more slowly
** while the evidence no longer changes; such coordinates, whose mean is
** beyond +-FIT_HIER_FLAT_U and still moves outwards when the evidence
** converged, are flagged in flat_mask: their group mean is a limit, not an
** estimate. The subjects' final fits are the MAP fits
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
#define FIT_HIER_EV_TOL 1e-3     /* nats of log evidence per subject between iterations */
#define FIT_HIER_FLAT_U 3.0      /* |mu_u| beyond it: the group median within 5% of the range of a bound */
enum { FIT_HIER_CONV_PARAMS = 1, FIT_HIER_CONV_EVIDENCE = 2 };

typedef struct FitHier {
    int n_params, n_subjects;
    double mu[FIT_MAX_PARAMS], var[FIT_MAX_PARAMS];   /* the group prior, unbounded coordinates */
    double median[FIT_MAX_PARAMS];                   /* fit_natural(mu): the group's median, natural */
    int iterations, converged;                        /* converged: FIT_HIER_CONV_*, 0 = not */
    double log_evidence;        /* the Laplace log marginal likelihood at the last E step */
    unsigned flat_mask;         /* FIT_HIER_CONV_EVIDENCE: bit j: mu_j still moving towards a bound */
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
