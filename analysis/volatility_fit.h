/* analysis/volatility_fit.h: the effective learning rate in stable and
** volatile stretches (Behrens et al. 2007; Wang et al. 2018 Fig. 3), fitted
** per stretch, with a bootstrap confidence interval of the ratio.
**
** Which stretch a trial is in comes from the episode's instance JSON, as the
** volatility task writes it (tasks/volatility.c):
**     "stretches":[["stable",0,120],["volatile",120,120]]   kind, first trial, length
** Trials outside every listed stretch, and episodes without the key, are
** unknown: they update Q with the stable rate but do not enter the
** likelihood (an episode without any known trial is left out).
**
** The model is Rescorla-Wagner as in analysis/rwfit.h (Q0 = 0.5 per arm at
** the start of every episode, only the chosen arm learns, P = softmax(beta Q),
** missed trials skipped), with the learning rate of the trial's stretch:
** alpha_stable or alpha_volatile; beta shared (n_betas 1), or a beta per
** stretch kind too (n_betas 2: beta_stable, beta_volatile, a check that the
** ratio does not come from forcing one beta on both kinds); Q carries over
** a stretch boundary. The reward is the trial's reward as stored (0/1 in the task).
** Fitted by maximum likelihood with GSL's Nelder-Mead simplex in (logit
** alpha_s, logit alpha_v, log beta[, log beta_v]) from a grid of starts, alpha
** in {0.1, 0.4} x {0.1, 0.4} x beta in {2, 8} (both betas alike; simplex size 1e-2, at most 200
** iterations each), the best polished to 1e-6 (at most 1,000); a simplex
** also stops when 25 iterations gain less than its tolerance in nats (a
** flat ridge, e.g. beta near 0 for a random chooser). The search box is
** logit alpha in [-12, 12], log beta in [-7, 6], kept by a quadratic penalty.
**
** Confidence interval: the percentile bootstrap over episodes (resampled with
** replacement, the same number of episodes), n_boot replicates, each fitted
** from the full sample's optimum (tolerance 1e-3, at most 200 iterations); the interval holds the central `level`
** (e.g. 0.95) of the replicates' ratios. The replicates are drawn from a GSL
** generator seeded with `seed` (core/rng.h), so the interval is
** deterministic. Used by the `volatility` experiment (jobs/experiment_metrics.c).
*/
#ifndef METARL_VOLATILITY_FIT_H
#define METARL_VOLATILITY_FIT_H

#include <stdint.h>

#include "analysis/regress.h"
#include "core/episode.h"

enum { VOLFIT_UNKNOWN = -1, VOLFIT_STABLE = 0, VOLFIT_VOLATILE = 1 };

typedef struct VolStretchFit {
    double alpha_stable, alpha_volatile;
    double beta;                   /* shared, or the stable stretches' with n_betas 2 */
    double beta_volatile;          /* = beta with n_betas 1 */
    int n_betas;
    double ratio;                  /* alpha_volatile / alpha_stable */
    double ratio_lo, ratio_hi;     /* bootstrap percentile interval (NaN without replicates) */
    double level;
    int n_boot;                    /* replicates fitted */
    long n_stable, n_volatile;     /* valid trials in the likelihood, per stretch kind */
    int n_episodes;                /* episodes with at least one known valid trial */
    double nll;                    /* at the optimum (nats) */
} VolStretchFit;

/* The stretch kind of each trial t < e->n_trials of e into kind[] (VOLFIT_*).
** Return the number of trials with a known kind. */
int volfit_stretches(const EpisodeRecord *e, signed char *kind);

/* Negative log-likelihood of the run under the model (for tests). */
double volfit_nll(EpisodeRecord *const *eps, int n_eps, double alpha_stable, double alpha_volatile,
                  double beta_stable, double beta_volatile);

/* Fit the run with n_betas (1 shared, or 2) inverse temperatures, and the
** bootstrap interval with n_boot >= 0 replicates at level in (0, 1). Return ANALYSIS_OK, ANALYSIS_NODATA (no stable or no
** volatile valid trial) or ANALYSIS_NOMEM. */
int volfit_fit(EpisodeRecord *const *eps, int n_eps, int n_betas, int n_boot, double level, uint64_t seed,
               VolStretchFit *out);

#endif
