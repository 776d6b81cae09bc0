/* analysis/regress.h: the small regression engines the analyses share.
**
** Logistic regression by iteratively reweighted least squares (Newton's
** method on the log-likelihood) with an optional ridge penalty, ordinary
** least squares with t statistics, a symmetric pseudo-inverse, Wilson score
** intervals (running means: core/running_mean.h). Everything works on plain row-major arrays,
** p <= REGRESS_MAX_P columns, so that the behavioural and neural analyses
** (analysis/behavior.c, analysis/rwfit.c, analysis/neural.c) only build
** design matrices.
**
** No GSL error can be raised from here on finite input: matrices are
** inverted through gsl_eigen_symmv (which does not fail on singular
** matrices; eigenvalues below a relative tolerance are dropped), so the
** command line's abort-on-GSL-error handler never fires on degenerate data.
** Degenerate data show up as NaN standard errors and rank < p instead.
*/
#ifndef METARL_REGRESS_H
#define METARL_REGRESS_H

#include "core/running_mean.h"

/* Return codes of every analysis function. */
enum {
    ANALYSIS_OK = 0,       /* computed */
    ANALYSIS_NODATA = 1,   /* not enough usable trials; the result holds NaN/0 */
    ANALYSIS_NOMEM = -1    /* malloc failed; the result is unspecified */
};

#define REGRESS_MAX_P 64

/* Running means: RunningMean (core/running_mean.h), included here for the
** analyses that build their tables with it. */

/* The Wilson score interval for k successes in n trials at confidence
** level conf (0.95 for 95%): *lo, *hi in [0, 1]. NaN for n = 0. */
void stats_wilson(long k, long n, double conf, double *lo, double *hi);

/* Pseudo-inverse of the symmetric p x p matrix A (row-major) into Ainv
** (may not alias A): eigenvalues with |lambda| <= rel_tol * max |lambda| are
** treated as zero. Return the rank (number of kept eigenvalues), or -1 if
** out of memory. *min_eig (may be NULL) receives the smallest eigenvalue. */
int regress_sym_pinv(const double *A, int p, double rel_tol, double *Ainv, double *min_eig);

/* A logistic-regression fit. */
typedef struct LogitFit {
    int n;                                   /* rows used */
    int p;                                   /* columns (including the intercept) */
    double coef[REGRESS_MAX_P];              /* (p) */
    double se[REGRESS_MAX_P];                /* (p) sqrt(diag of the inverse penalized Fisher information) */
    double loglik;                           /* unpenalized log-likelihood at coef (nats) */
    double lambda;                           /* ridge penalty used */
    int iterations;                          /* Newton steps taken */
    int converged;                           /* 1 if the change in penalized log-likelihood and
                                                coefficients fell below tolerance */
    int separated;                           /* 1 if a coefficient ran past |b| > 30, or the information
                                                matrix lost rank: (quasi-)separation (or collinear X) */
    int rank;                                /* rank of the information matrix at the end */
} LogitFit;

/* Maximize sum_i [y_i eta_i - log(1 + e^eta_i)] - lambda/2 sum_{j penalized} b_j^2,
** eta = X b, by Newton/IRLS with step halving, from b = 0. X is (n, p)
** row-major, y (n) holds 0/1 (any value in [0, 1] works). penalize (p) marks
** the penalized columns; NULL means every column but column 0 (the
** intercept). At most max_iter steps (<= 0: 100); a coefficient beyond 30 in
** absolute value stops the fit as separated, not converged, and so does an
** information matrix of rank < p at the end (its SEs are then NaN). Return
** ANALYSIS_OK, ANALYSIS_NODATA if n < p or p > REGRESS_MAX_P, or
** ANALYSIS_NOMEM. */
int regress_logit(const double *X, const double *y, int n, int p, double lambda, const int *penalize,
                  int max_iter, LogitFit *fit);

/* An ordinary-least-squares fit. */
typedef struct OlsFit {
    int n, p, df;                            /* rows, columns, n - rank */
    double coef[REGRESS_MAX_P];              /* (p) */
    double se[REGRESS_MAX_P];                /* (p) classical standard errors */
    double tstat[REGRESS_MAX_P];             /* (p) coef / se */
    double pval[REGRESS_MAX_P];              /* (p) two-sided, Student t with df degrees of freedom */
    double sigma2;                           /* residual variance, SSE / df */
    double r2;                               /* 1 - SSE / SST (SST about the mean of y) */
    int rank;
} OlsFit;

/* Least squares of y (n) on X (n, p) row-major. Return ANALYSIS_OK,
** ANALYSIS_NODATA if n <= p or p > REGRESS_MAX_P, or ANALYSIS_NOMEM. */
int regress_ols(const double *X, const double *y, int n, int p, OlsFit *fit);

/* Two-sided p-value of a t statistic with df degrees of freedom (NaN if
** either is not finite or df < 1). */
double regress_t_pvalue(double t, double df);

#endif
