/* analysis/rwfit.h: Rescorla-Wagner model fits by maximum likelihood,
** parameter recovery, and the effective learning rate against volatility.
**
** The model (SCIENCE.md; Q0 = 0.5 for both arms at the start of every
** episode, only the chosen arm learns):
**     P(a_t = a) = softmax_a(beta Q_t),   Q_{t+1,a_t} = Q_{t,a_t} + alpha (r_t - Q_{t,a_t}).
** Missed trials (action -1) neither enter the likelihood nor update Q.
**
** Fitting: the negative log-likelihood is minimized in the unconstrained
** coordinates (logit alpha, log beta) with GSL's Nelder-Mead simplex
** (nmsimplex2) from each start of a 3 x 3 grid, alpha in {0.2, 0.5, 0.8} x
** beta in {1, 4, 12}, each to a coarse tolerance (simplex size 1e-2), then
** the best is polished by a final run to 1e-6; a second grid, alpha in
** {0.01, 0.05, 0.2, 0.5, 0.8} x beta in {10, 30, 100}, searched the same way,
** replaces that optimum when better by more than 1e-6 (the first grid alone
** stopped at local optima, e.g. Reiter Subject08 at -log L 92.65 instead of
** 79.08). The search box is logit alpha in [-12, 12], log beta in [-7, 6]
** (beta up to ~403): outside it the likelihood is evaluated at the edge and a
** quadratic penalty pulls back, so the objective stays finite (the command
** line aborts on any GSL error, and the simplex raises one on a non-finite
** value). Standard errors come from a central-difference Hessian of the
** negative log-likelihood in the transformed coordinates, mapped back by the
** delta method (se_alpha = alpha (1 - alpha) se_logit, se_beta = beta se_log);
** they are NaN when the optimum lies at the edge of the box or the Hessian is
** not positive definite.
**
** Volatility (after Behrens et al. 2007): each trial belongs to a class set
** by the task truth, with window W (default RW_VOLATILE_WINDOW):
**     volatile  the first W trials of a block after a reversal
**               (block >= 1, since_reversal < W),
**     stable    trials at least W trials into their block (since_reversal >= W,
**               block 0 included: no reversal within the last W trials),
**     start     the first W trials of an episode (block 0, since_reversal < W)
**               and trials whose block is unknown: a nuisance class, so that
**               learning from the initial Q0 counts as neither.
** The update after trial t uses the learning rate of t's class; beta is
** shared. One joint fit gives alpha_volatile, alpha_stable, alpha_start, beta;
** its simplex starts from the optimum of the one-rate model (nested in it, and
** itself searched from the grid), every class at the pooled alpha.
*/
#ifndef METARL_RWFIT_H
#define METARL_RWFIT_H

#include <gsl/gsl_rng.h>

#include "analysis/regress.h"
#include "core/episode.h"

#define RW_VOLATILE_WINDOW 10
#define RW_MIN_TRIALS 10     /* fewer valid trials: an episode is not fitted alone */

typedef struct RwFit {
    double alpha, alpha_se;
    double beta, beta_se;
    double nll;          /* negative log-likelihood at the optimum (nats) */
    long n_trials;       /* valid trials in the likelihood */
    int n_episodes;      /* episodes with at least one valid trial */
    int converged;       /* the best start's simplex shrank below tolerance */
    int at_bound;        /* optimum at the edge of the search box; SEs are NaN */
} RwFit;

/* Negative log-likelihood of the run under (alpha, beta): the quantity the
** fits minimize (exposed for tests and likelihood-ratio comparisons). */
double rw_nll(EpisodeRecord *const *eps, int n_eps, double alpha, double beta);

/* Pooled fit: one (alpha, beta) shared by every episode. Return ANALYSIS_OK,
** ANALYSIS_NODATA (fewer than 2 valid trials) or ANALYSIS_NOMEM. */
int rw_fit(EpisodeRecord *const *eps, int n_eps, RwFit *fit);

/* Across-episode (across-subject) spread of per-episode fits. */
typedef struct RwFitSummary {
    int n_fitted;                          /* episodes with >= RW_MIN_TRIALS valid trials */
    double alpha_mean, alpha_sd, alpha_median;
    double beta_mean, beta_sd, beta_median;
} RwFitSummary;

/* Fit every episode on its own into per_episode (n_eps entries; episodes
** with fewer than RW_MIN_TRIALS valid trials get NaN) and summarise. sum may
** be NULL. Return ANALYSIS_OK, ANALYSIS_NODATA (no episode fitted) or
** ANALYSIS_NOMEM. */
int rw_fit_episodes(EpisodeRecord *const *eps, int n_eps, RwFit *per_episode, RwFitSummary *sum);

/* ---- simulation and parameter recovery ---------------------------------- */

/* A built-in two-armed environment: a reversal task (hazard > 0) or a fixed
** bandit (hazard = 0); the first good arm is drawn at random. */
typedef struct RwEnv {
    int n_trials;            /* trials per episode */
    double p_high, p_low;    /* reward probabilities of the good and the bad arm */
    double hazard;           /* probability of a reversal after each trial */
} RwEnv;

/* 200 trials, 0.8 / 0.2, hazard 0.05 (the reversal task's defaults). */
void rw_env_default(RwEnv *env);

/* Simulate an RW agent (alpha, beta, Q0 = 0.5) into out[0..n_out-1], records
** the caller allocated (cap_trials large enough). Environment: if n_templ > 0,
** episode i replays the truth (p, best, block, since_reversal) of
** templ[i % n_templ] trial by trial, over its n_trials; otherwise env. Every
** random draw (choices, rewards, the built-in schedule) comes from r. Fills
** action, reward, truth, probs (value and rpe NaN) and the episode summary.
** Return ANALYSIS_OK, or ANALYSIS_NODATA if a template's truth p is unknown
** or a record is too small. */
int rw_simulate(double alpha, double beta, EpisodeRecord *const *templ, int n_templ, const RwEnv *env,
                gsl_rng *r, EpisodeRecord *const *out, int n_out);

/* Parameter recovery: simulate n_episodes with (alpha, beta) as rw_simulate
** does, from a generator seeded with seed, and fit them pooled into *fit.
** Return as rw_simulate and rw_fit, or ANALYSIS_NOMEM. */
int rw_recover(double alpha, double beta, EpisodeRecord *const *templ, int n_templ, const RwEnv *env,
               int n_episodes, unsigned long seed, RwFit *fit);

/* ---- learning rate against volatility ------------------------------------ */

typedef struct RwVolatilityFit {
    int window;                                   /* W */
    long n_volatile, n_stable, n_start;           /* valid trials per class */
    double alpha_volatile, alpha_volatile_se;
    double alpha_stable, alpha_stable_se;
    double alpha_start, alpha_start_se;           /* nuisance class */
    double beta, beta_se;
    double nll;
    int converged, at_bound;
} RwVolatilityFit;

/* The joint three-rate fit above. Return ANALYSIS_OK, ANALYSIS_NODATA when
** the run has no volatile or no stable trial (no reversal, or no truth), or
** ANALYSIS_NOMEM. */
int rw_fit_volatility(EpisodeRecord *const *eps, int n_eps, int window, RwVolatilityFit *fit);

#endif
