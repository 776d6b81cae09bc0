/* analysis/behavior.h: behavioural analyses of one run's episodes.
**
** Every function reads `EpisodeRecord *const *eps, int n_eps`: one run, be it
** a trained network's frozen-weight test episodes, a reference agent's, or
** imported human/animal data (one episode per subject session; truth may be
** unknown: p NaN, best/block/since_reversal -1; action -1 marks a missed
** trial). Results go into plain structs; nothing here prints, touches SQLite
** or calls exit. Analyses that need the truth skip what is unknown and say
** so through counts (n = 0) and NaN, never through an error.
**
** Definitions (SCIENCE.md, "Analyses, defined"):
**   valid trial   action >= 0 (and a finite reward).
**   learning curves  by trial index t within the episode: reward; P(best)
**                 = [action == truth.best] on valid trials with best >= 0;
**                 cumulative regret R_t = sum_{s <= t, valid} max_a p_a - p_chosen
**                 over episodes whose truth is known up to t. Mean and SE
**                 (sd / sqrt n) across episodes.
**   stay          the next valid trial repeats the choice of the previous valid
**                 trial; "win" if that previous trial was rewarded (reward > 0.5).
**                 Pairs may span missed trials but never episode boundaries.
**   Lau-Glimcher  logit P(a_t = 1) = b0 + sum_k bR_k c_{t-k} r_{t-k}
**                 + sum_k bU_k c_{t-k} (1 - r_{t-k}), c = +1 for action 1, -1
**                 for action 0, r = 1 if reward > 0.5 else 0, k = 1..K. A trial enters only if it and its K
**                 predecessors are valid trials of the same episode (t >= K).
**   reversal      a trial with truth.block >= 1 and truth.since_reversal == 0:
**                 the first trial of a new block. Lag 0 is that trial, lag -1
**                 the last trial of the old block. Accuracy at a lag is
**                 [action == truth.best of that very trial] (so pre-reversal
**                 lags score the old good arm), over valid trials inside the
**                 episode whose best is known. (core/summary.c numbers the same
**                 first trial 1; here it is 0.)
**   trials to criterion  after a reversal at trial t0, the smallest j >= 0
**                 such that at least k of the n trials t0+j .. t0+j+n-1 chose
**                 the good arm, all n inside the same block and episode (a
**                 missed trial counts as incorrect). Reversals whose block ends
**                 first are censored (NaN) and left out of mean and median.
*/
#ifndef METARL_BEHAVIOR_H
#define METARL_BEHAVIOR_H

#include "analysis/regress.h"
#include "core/episode.h"

#define BEHAVIOR_MAX_LAGS 20           /* Lau-Glimcher history length limit */
#define BEHAVIOR_DEFAULT_LAGS 5
#define BEHAVIOR_REV_LAG_MIN (-10)     /* reversal-aligned window, inclusive */
#define BEHAVIOR_REV_LAG_MAX 20
#define BEHAVIOR_REV_N_LAGS (BEHAVIOR_REV_LAG_MAX - BEHAVIOR_REV_LAG_MIN + 1)
#define BEHAVIOR_CRIT_K 8              /* trials to criterion: k correct ... */
#define BEHAVIOR_CRIT_N 10             /* ... among n consecutive trials */

/* The longest episode (the length the per-trial curves need). */
int behavior_max_trials(EpisodeRecord *const *eps, int n_eps);

/* ---- 1. learning curves -------------------------------------------------- */

/* Per-trial curves, T = n_trials entries each. Owns its arrays. */
typedef struct BehaviorCurves {
    int n_trials;                        /* T */
    int *n_reward;                       /* (T) episodes with a valid trial t */
    double *reward_mean, *reward_se;     /* (T) */
    int *n_best;                         /* (T) ... whose best arm is known */
    double *best_mean, *best_se;         /* (T) P(best) */
    int *n_regret;                       /* (T) episodes whose truth is known up to t */
    double *regret_mean, *regret_se;     /* (T) cumulative regret through trial t */
} BehaviorCurves;

/* Allocate curves for n_trials >= 1 trials; NULL if out of memory. */
BehaviorCurves *behavior_curves_alloc(int n_trials);
void behavior_curves_free(BehaviorCurves *c);
/* Fill c for trials t < c->n_trials (longer episodes are cut). Entries with
** no data are NaN with n = 0. Return ANALYSIS_OK or ANALYSIS_NODATA (no
** valid trial at all). */
int behavior_curves(EpisodeRecord *const *eps, int n_eps, BehaviorCurves *c);

/* ---- 2. win-stay / lose-stay ---------------------------------------------- */

typedef struct StayStats {
    long n_win, stay_win;          /* pairs after a rewarded trial; of which stays */
    long n_loss, stay_loss;        /* pairs after an unrewarded trial; of which stays */
    double p_stay_win, p_stay_loss;     /* NaN if no pair */
    double win_ci[2], loss_ci[2];       /* Wilson score interval at level conf */
    double conf;                        /* confidence level of the intervals */
} StayStats;

/* p(stay | win) and p(stay | loss) with Wilson intervals at level conf
** (e.g. 0.95). Return ANALYSIS_OK, or ANALYSIS_NODATA if no pair exists. */
int behavior_stay(EpisodeRecord *const *eps, int n_eps, double conf, StayStats *s);

/* ---- 3. Lau & Glimcher (2005) reward-history regression ------------------- */

typedef struct LauGlimcherFit {
    int lags;                                   /* K */
    double intercept, intercept_se;             /* b0: bias toward action 1 */
    double rewarded[BEHAVIOR_MAX_LAGS];         /* (K) bR_k, k = 1..K at index k-1 */
    double rewarded_se[BEHAVIOR_MAX_LAGS];
    double unrewarded[BEHAVIOR_MAX_LAGS];       /* (K) bU_k */
    double unrewarded_se[BEHAVIOR_MAX_LAGS];
    LogitFit fit;                               /* the underlying fit: n, loglik, converged, ... */
} LauGlimcherFit;

/* Fit the regression with K = lags (1..BEHAVIOR_MAX_LAGS) and a ridge
** penalty lambda >= 0 on every coefficient but the intercept. Column order
** of fit.coef: b0, bR_1..bR_K, bU_1..bU_K. Return ANALYSIS_OK (check
** fit.converged: separation is reported, not an error), ANALYSIS_NODATA if
** fewer usable trials than coefficients, or ANALYSIS_NOMEM. */
int behavior_lau_glimcher(EpisodeRecord *const *eps, int n_eps, int lags, double lambda, LauGlimcherFit *fit);

/* ---- 5. reversals --------------------------------------------------------- */

/* The number of reversals (as defined above) in the run. */
long behavior_count_reversals(EpisodeRecord *const *eps, int n_eps);

typedef struct ReversalCurve {
    long n_reversals;
    long n[BEHAVIOR_REV_N_LAGS];            /* reversals with a scorable trial at the lag */
    double accuracy[BEHAVIOR_REV_N_LAGS];   /* mean over reversals; NaN if n = 0 */
    double se[BEHAVIOR_REV_N_LAGS];         /* sd / sqrt(n) across reversals */
} ReversalCurve;

/* Lag of index i is BEHAVIOR_REV_LAG_MIN + i. */
static inline int behavior_rev_lag(int i) { return BEHAVIOR_REV_LAG_MIN + i; }

/* Accuracy aligned on reversals. Return ANALYSIS_NODATA if the run holds no
** reversal with a known best arm. */
int behavior_reversal_curve(EpisodeRecord *const *eps, int n_eps, ReversalCurve *rc);

typedef struct ReversalCriterion {
    int k, n;                   /* criterion: k correct of n */
    long n_reversals, n_reached;
    double mean, median;        /* over reversals that reached it; NaN if none */
    double sd;
} ReversalCriterion;

/* Trials to criterion after each reversal. per_reversal (may be NULL) has
** room for behavior_count_reversals() values and receives each reversal's
** count in order of occurrence (NaN = censored). Return ANALYSIS_OK,
** ANALYSIS_NODATA (no reversal) or ANALYSIS_NOMEM. */
int behavior_trials_to_criterion(EpisodeRecord *const *eps, int n_eps, int k, int n, double *per_reversal,
                                 ReversalCriterion *out);

#endif
