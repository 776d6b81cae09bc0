/* analysis/neural.h: population analyses of the prefrontal units, and the
** dopamine-like RPE signatures.
**
** Input is one run's episodes as in analysis/behavior.h. The activity of an
** episode is (n_trials, n_units) floats, row per trial; the first n_pfc
** units are prefrontal, and only they are analysed here. Row t holds the
** rates with which the network chose on trial t, i.e. after it saw the action
** and reward of trial t-1 (Wang et al. 2018, Fig. 2 regresses exactly this
** on the previous action and reward).
**
** "Neural rows" are every trial of every episode with n_pfc > 0, episode by
** episode in order, trial by trial: the row order of PCA scores and of the
** decoding targets. All such episodes must have the same n_pfc
** (neural_n_units checks). Runs without activity simply have no rows.
**
**   PCA         of the pooled rates, centred per unit: eigen-decomposition of
**               the (p, p) covariance (gsl_eigen_symmv), components sorted by
**               variance, each sign fixed so its largest loading is positive.
**               neural_pca_fit may leave each episode's first trials out of
**               the fit (not of the scores).
**   decoding    cross-validated ridge regression of a per-row target from the
**               z-scored rates (plus an unpenalized intercept): K folds split
**               by EPISODE (a seeded shuffle of the episodes, dealt round
**               robin), so no episode is both trained on and tested. The
**               penalty minimizes (1/n) sum (y - a - x b)^2 + lambda |b|^2;
**               lambda is fixed, or chosen per outer fold by inner CV over the
**               other K-1 folds from the grid neural_lambdas. R^2 = 1 -
**               SSE/SST over all held-out predictions, SST about the mean of
**               all targets. Null: the target sequences are permuted across
**               episodes (episode i is given episode pi(i)'s targets, trial by
**               trial, rows past its length dropped) and the whole procedure
**               repeated; the null mean, 5th and 95th percentiles are
**               reported. Each outer fold's own held-out R^2 (1 - SSE_f /
**               SST_f, SST_f about the mean of all targets) and their SD over
**               folds give the decode's error bar.
**   belief      the ideal observer of a reversal task with known p_high,
**               p_low and hazard h: b_t = P(arm 0 is good | outcomes before t),
**               b_0 = 1/2, Bayes update on (a_t, r_t), then b <- b (1-h) +
**               (1-b) h. A missed trial only applies the transition.
**   selectivity per unit, OLS of the rate on trial t on 1, a_{t-1}, r_{t-1} and
**               a_{t-1} r_{t-1} with a, r coded +-1 (action 1 / rewarded =
**               +1), over trials t >= 1 whose trial t-1 is valid. t and p
**               values are the classical ones; trials of one episode are not
**               independent, so they overstate significance somewhat.
**   RPE         on valid trials with finite delta (trials[].rpe) and V: mean
**               delta after rewarded and unrewarded outcomes; OLS of delta on
**               1, r, V (expected: positive on r, negative on V); delta aligned
**               on reversals (lags as in behavior.h), each reversal's segment
**               cut at the neighbouring reversals: a negative lag counts only
**               trials of the block before it, a lag >= 0 only trials of the
**               block it opens, so rev_n[lag] counts the reversals whose
**               segment reaches that far.
**               V is whatever the agent's value is: the network's critic a
**               discounted return (tens of units with gamma 0.95), so the
**               fit on V says little about expectation; a reference agent's
**               one-step expectation (model/agent.h AGENT_VALUE_TRIAL, stored
**               delta = r - V: the fit on V then IS the fit on its own
**               expectation, 1 and -1 by construction).
**   RPE vs the  the signature measured right (SCIENCE.md): OLS of delta at
**   observer    the outcome on 1, r and the ideal observer's expected reward
**               E[r | chosen arm] before the choice, from the trial history:
**               reversal tasks: E = b p_high + (1-b) p_low for arm 0 (b the
**               belief above; arm 1 swapped); bandits: the chosen arm's
**               posterior mean (s + 1)/(n + 2) under Beta(1,1) from this
**               episode's earlier trials (a reward > 1/2 is a success). A
**               dopamine-like delta: a positive reward weight and a negative
**               expectation weight of similar size. The observer
**               (NeuralObserver) is given, or chosen from the episodes
**               (neural_rpe): none for multi-stage episodes; reversal if any
**               trial opens a block (truth.block >= 1), with p_high, p_low
**               the largest and smallest true p of the first trial that has
**               them and the hazard the reversals per trial transition;
**               else the bandit's.
**   inferred    value (Bromberg-Martin et al. 2010; Wang 2018 Fig. 4), reversal
**               tasks: for each reversal (block start R), the first trial
**               t > R of that block whose arm differs from the arm chosen at
**               R, counted only if it is the block's good arm (truth.best;
**               any arm if unknown) and that arm was chosen before in the
**               episode: the agent has not tried it since the reversal, and
**               it was the bad arm when it did. Delta at its outcome by
**               reward (0, 1), against the later trials of the same arm in
**               the same block (experienced value); and OLS on the
**               first-switch trials of delta on 1, r, the observer's E[r |
**               that arm] (inferred value) and the reward the agent last
**               got from that arm (experienced value, before the reversal).
**               A learner that infers has a negative weight on E and about
**               none on the last reward; one that only learns from
**               experience (Rescorla-Wagner), the reverse.
*/
#ifndef METARL_NEURAL_H
#define METARL_NEURAL_H

#include "analysis/behavior.h"
#include "analysis/regress.h"
#include "core/episode.h"

#define NEURAL_N_LAMBDAS 9
#define NEURAL_MAX_FOLDS 64
extern const double neural_lambdas[NEURAL_N_LAMBDAS];   /* 1e-4 .. 1e4, by factors of 10 */

/* The common n_pfc of the episodes that have activity: 0 if none has any,
** -1 if they disagree. */
int neural_n_units(EpisodeRecord *const *eps, int n_eps);
/* Number of neural rows (see above). */
long neural_n_rows(EpisodeRecord *const *eps, int n_eps);

/* ---- PCA ------------------------------------------------------------------ */

typedef struct NeuralPca {
    int n_units;             /* p */
    long n_rows;             /* N */
    int k;                   /* components with scores (<= p) */
    double *mean;            /* (p) per-unit mean rate */
    double *eigenvalues;     /* (p) variances along the components, descending */
    double *explained;       /* (p) fraction of total variance */
    double *loadings;        /* (p, p) row c = unit weights of component c (unit norm) */
    double *scores;          /* (N, k) projections of the centred rates */
    int *episode, *t;        /* (N) index into eps and trial of each row */
    int skip;                /* trials 0..skip-1 of each episode were left out of the fit */
    long n_fit;              /* rows the mean and covariance were taken over */
} NeuralPca;

/* Allocate for p units, N rows, k scored components; NULL if out of memory
** or sizes invalid. */
NeuralPca *neural_pca_alloc(int n_units, long n_rows, int k);
void neural_pca_free(NeuralPca *pca);
/* Fill pca from the episodes (n_units and n_rows must match neural_n_units
** and neural_n_rows). Return ANALYSIS_OK, ANALYSIS_NODATA (fewer than 2 rows
** or mismatched sizes) or ANALYSIS_NOMEM. */
int neural_pca(EpisodeRecord *const *eps, int n_eps, NeuralPca *pca);
/* The same, with the mean, covariance and components fitted on the rows with
** t >= skip only (every episode's first `skip` trials left out, e.g. the
** transient from the network's zero initial state), while every row, those
** included, is scored on them. neural_pca is skip = 0. ANALYSIS_NODATA also
** when fewer than 2 rows remain to fit. */
int neural_pca_fit(EpisodeRecord *const *eps, int n_eps, int skip, NeuralPca *pca);

/* ---- latent targets --------------------------------------------------------- */

typedef enum {
    NEURAL_TARGET_P0,       /* truth.p[0] */
    NEURAL_TARGET_P1,       /* truth.p[1] */
    NEURAL_TARGET_BEST,     /* truth.best (0/1; NaN on ties/unknown) */
    NEURAL_TARGET_PARITY,   /* truth.block mod 2 (NaN if unknown) */
    NEURAL_TARGET_BELIEF    /* neural_reversal_belief with the given p_high, p_low, hazard */
} NeuralTarget;

/* Ideal-observer belief for episode e: belief[t] = P(arm 0 is the good arm)
** before the choice on trial t, t < e->n_trials (see above). */
void neural_reversal_belief(const EpisodeRecord *e, double p_high, double p_low, double hazard, double *belief);

/* Fill out (neural_n_rows entries) with the target of each neural row; NaN
** where unknown. p_high, p_low, hazard are used by NEURAL_TARGET_BELIEF only.
** Return the number of finite entries. */
long neural_target(EpisodeRecord *const *eps, int n_eps, NeuralTarget which, double p_high, double p_low,
                   double hazard, double *out);

/* ---- decoding ---------------------------------------------------------------- */

typedef struct NeuralDecodeConfig {
    int n_folds;             /* 2 <= K <= NEURAL_MAX_FOLDS (default 5) */
    double lambda;           /* > 0: fixed penalty; <= 0: inner CV (default) */
    int n_shuffles;          /* null permutations (default 20; 0 = none) */
    unsigned long seed;      /* folds and permutations (default 1) */
} NeuralDecodeConfig;

void neural_decode_config_default(NeuralDecodeConfig *c);

typedef struct NeuralDecode {
    long n_rows;             /* rows with a finite target */
    int n_episodes;          /* episodes contributing */
    int n_folds;
    double r2;               /* cross-validated R^2 (NaN if SST = 0) */
    double lambda;           /* the penalty used (median over outer folds when chosen by CV) */
    int n_shuffles;
    double null_mean, null_p05, null_p95;   /* of the shuffled R^2 values */
    double fold_r2[NEURAL_MAX_FOLDS];       /* (n_folds) held-out R^2 of each outer fold; NaN if empty */
    double fold_sd;                         /* SD of the finite fold_r2 (NaN if fewer than 2) */
} NeuralDecode;

/* Decode target (neural_n_rows entries, NaN = leave the row out) from the
** prefrontal rates. Return ANALYSIS_OK, ANALYSIS_NODATA (no activity, fewer
** episodes than folds, or a constant target) or ANALYSIS_NOMEM. */
int neural_decode(EpisodeRecord *const *eps, int n_eps, const double *target, const NeuralDecodeConfig *cfg,
                  NeuralDecode *out);
/* 1 if d's R^2 exceeds its null's 95th percentile (only then is the decode
** above chance; a decode AT it is not), else 0 (also when either is NaN). */
int neural_decode_above_null(const NeuralDecode *d);

/* ---- unit selectivity ------------------------------------------------------------ */

enum { SEL_INTERCEPT, SEL_ACTION, SEL_REWARD, SEL_INTERACTION, SEL_N };

typedef struct NeuralSelectivity {
    int n_units;             /* p */
    long n_rows;             /* trials used */
    double level;            /* significance level of the counts */
    double *coef;            /* (p, SEL_N) */
    double *tstat;           /* (p, SEL_N) */
    double *pval;            /* (p, SEL_N) two-sided */
    int n_sig[SEL_N];        /* units with pval < level, per regressor */
} NeuralSelectivity;

NeuralSelectivity *neural_selectivity_alloc(int n_units);
void neural_selectivity_free(NeuralSelectivity *s);
/* Per-unit regressions at significance level `level` (e.g. 0.05). Return
** ANALYSIS_OK, ANALYSIS_NODATA (no activity or too few trials) or
** ANALYSIS_NOMEM. */
int neural_selectivity(EpisodeRecord *const *eps, int n_eps, double level, NeuralSelectivity *s);

/* ---- RPE signatures ------------------------------------------------------------ */

enum { RPE_INTERCEPT, RPE_REWARD, RPE_VALUE, RPE_N };
enum { RPE_EXPECT = RPE_VALUE };      /* delta ~ 1 + r + E[r]: E in the value's column */
enum { INF_INTERCEPT, INF_REWARD, INF_EXPECT, INF_LAST, INF_N };

typedef enum { NEURAL_OBS_NONE, NEURAL_OBS_BANDIT, NEURAL_OBS_REVERSAL } NeuralObsKind;

/* The ideal observer whose expected reward the RPE is regressed on. */
typedef struct NeuralObserver {
    NeuralObsKind kind;
    double p_high, p_low, hazard;             /* reversal only */
} NeuralObserver;

/* Delta on first-switch trials after reversals, and the regression that
** separates inferred from experienced value (see above). Index [r]: 0 =
** unrewarded, 1 = rewarded. */
typedef struct NeuralInferred {
    long n_switches;                          /* first-switch trials found (with finite delta) */
    long n_switch[2];
    double switch_mean[2], switch_se[2];      /* delta at the first-switch outcome */
    double switch_expect;                     /* mean observer E[r] on those trials */
    long n_later[2];
    double later_mean[2], later_se[2];        /* delta on later trials of that arm, same block */
    OlsFit fit;                               /* delta ~ 1 + r + E_obs + r_last; coef[INF_*] */
} NeuralInferred;

typedef struct NeuralRpe {
    long n;                                   /* trials with finite delta, V and r */
    long n_rewarded, n_unrewarded;
    double mean_rewarded, se_rewarded;
    double mean_unrewarded, se_unrewarded;
    OlsFit fit;                               /* delta ~ 1 + r + V; coef[RPE_*] */
    long rev_n[BEHAVIOR_REV_N_LAGS];          /* delta aligned on reversals */
    double rev_mean[BEHAVIOR_REV_N_LAGS], rev_se[BEHAVIOR_REV_N_LAGS];
    NeuralObserver obs;                       /* the observer of fit_obs and inferred */
    OlsFit fit_obs;                           /* delta ~ 1 + r + E_obs[r | chosen]; coef[RPE_INTERCEPT,
                                                 RPE_REWARD, RPE_EXPECT]; n = 0 without an observer */
    NeuralInferred inferred;                  /* reversal observer only (n_switches = 0 otherwise) */
} NeuralRpe;

/* Return ANALYSIS_OK, ANALYSIS_NODATA (no trial with delta and V) or
** ANALYSIS_NOMEM. The observer is chosen from the episodes (above). */
int neural_rpe(EpisodeRecord *const *eps, int n_eps, NeuralRpe *out);
/* The same with a given observer (NULL: chosen from the episodes). */
int neural_rpe_observer(EpisodeRecord *const *eps, int n_eps, const NeuralObserver *obs, NeuralRpe *out);
/* The observer neural_rpe would choose for these episodes. */
void neural_observer_guess(EpisodeRecord *const *eps, int n_eps, NeuralObserver *obs);
/* The observer's E[r | chosen arm] before each trial of e (NaN on a missed
** trial or without an observer): expect[t], t < e->n_trials. */
void neural_observer_expect(const EpisodeRecord *e, const NeuralObserver *obs, double *expect);

#endif
