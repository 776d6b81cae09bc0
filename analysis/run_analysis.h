/* analysis/run_analysis.h: every analysis of one stored run, computed once and
** shared by `metarl analyze` (tables, JSON, TSV) and `metarl plot`, `report`
** and `compare` (figures).
**
** A RunAnalysis holds a run's row, its episodes as read from the store (with
** the unit rates if asked), and the results of the analysis library
** (analysis/behavior.h, analysis/rwfit.h, analysis/neural.h) for that run.
** Callers ask for the parts they need with a mask of RA_* bits, so that a
** figure of the reversal curve does not pay for three hundred RW fits; RA_ALL
** computes exactly what `metarl analyze` prints.
**
** Usage:
**     RunAnalysis A;
**     run_analysis_init(&A, &row);
**     if (store_read_episodes(s, row.run_id, with_activity, &A.eps, &A.n_eps) != 0) ...
**     if (run_analysis_compute(&A, RA_ALL, lags, ridge) != 0) ... out of memory
**     ... read A.curves, A.stay, ... (each *_ok flag says whether it applies)
**     run_analysis_free(&A);      frees the results and the episodes
**
** A part that does not apply to the run (no reversal, no truth, no activity)
** is simply left at its "not computed" state: a NULL pointer, or *_ok = 0.
** The writers of analysis/export.h turn a computed RunAnalysis into the
** tables, TSV files and JSON of `metarl analyze`.
*/
#ifndef METARL_RUN_ANALYSIS_H
#define METARL_RUN_ANALYSIS_H

#include <stddef.h>

#include "analysis/behavior.h"
#include "analysis/neural.h"
#include "analysis/rwfit.h"
#include "analysis/twostep.h"
#include "store/store.h"
#include "core/summary.h"

#define RA_PCA_SCORES 5          /* principal components scored per trial */
#define RA_N_TARGETS 5           /* decoding targets, in the order of ra_target_names */
#define RA_SEL_LEVEL 0.05        /* significance level of the selectivity counts */
#define RA_RECOVERY_EPISODES 500 /* simulated episodes of the RW parameter recovery */
#define RA_RECOVERY_SEED 1

/* What to compute (run_analysis_compute's mask). */
enum {
    RA_CURVES = 1u << 0,        /* per-trial reward, P(best), cumulative regret */
    RA_STAY = 1u << 1,          /* p(stay | win), p(stay | loss) */
    RA_REGRESSION = 1u << 2,    /* Lau-Glimcher reward-history regression */
    RA_RW = 1u << 3,            /* pooled Rescorla-Wagner fit */
    RA_RW_EPISODES = 1u << 4,   /* one RW fit per episode (subject) */
    RA_RW_RECOVERY = 1u << 5,   /* parameter recovery at the pooled fit (implies RA_RW) */
    RA_REVERSAL = 1u << 6,      /* reversal-aligned accuracy and trials to criterion */
    RA_VOLATILITY = 1u << 7,    /* learning rate, volatile vs stable */
    RA_RPE = 1u << 8,           /* RPE signatures */
    RA_PCA = 1u << 9,           /* PCA of the prefrontal rates (needs activity) */
    RA_DECODING = 1u << 10,     /* cross-validated decoding of latent variables (implies RA_PCA) */
    RA_BELIEF = 1u << 11,       /* the ideal observer's belief per neural row (reversal runs; implies RA_PCA) */
    RA_SELECTIVITY = 1u << 12,  /* unit selectivity (implies RA_PCA) */
    RA_TWOSTEP = 1u << 13,      /* two-step stay probabilities and regressions (runs with stage rows) */
    RA_ALL = (1u << 14) - 1
};

extern const char *const ra_target_names[RA_N_TARGETS];   /* "p0", "p1", "best", "block_parity", "belief" */

/* Everything computed for one test, baseline or import run. */
typedef struct RunAnalysis {
    const RunRow *row;          /* not owned */
    EpisodeRecord **eps;        /* owned: store_read_episodes() output */
    int n_eps;
    unsigned computed;          /* the mask given to run_analysis_compute */
    int rw_eps_max;             /* RA_RW_EPISODES fits the first rw_eps_max episodes only (0 = all; set
                                   before computing; figures need a few hundred points, not thousands) */
    int n_rw_eps;               /* episodes fitted one by one (entries of rw_eps) */
    Summary summary;            /* always */
    long n_reversals;           /* always */
    BehaviorCurves *curves;
    StayStats stay;
    int stay_ok;
    LauGlimcherFit lg;
    int lg_ok;
    RwFit rw;
    int rw_ok;
    RwFit *rw_eps;              /* (n_rw_eps) */
    RwFitSummary rw_sum;
    int rw_eps_ok;
    RwFit rec;
    int rec_ok;
    const char *rec_env;        /* where the recovery simulated */
    ReversalCurve rev;
    int rev_ok;
    ReversalCriterion crit;
    double *crit_per;           /* (n_reversals) */
    int crit_ok;
    RwVolatilityFit vol;
    int vol_ok;
    NeuralRpe rpe;
    int rpe_ok;
    /* two-step task (analysis/twostep.h): computed when the episodes have stage rows */
    TwoStepStay ts_stay;
    int ts_stay_ok;
    TwoStepRegression ts_reg;
    int ts_reg_ok;
    TwoStepLagged ts_lag;
    int ts_lag_ok;
    /* neural: prefrontal activity, if recorded */
    int n_units;
    long n_rows;
    NeuralPca *pca;
    double *belief;             /* (n_rows) or NULL */
    double p_high, p_low, hazard;   /* of the observer's belief (reversal runs), else NaN */
    NeuralDecode dec[RA_N_TARGETS];
    int dec_ok[RA_N_TARGETS];
    NeuralSelectivity *sel;
} RunAnalysis;

/* Zero A and point it at row (which must outlive A). */
void run_analysis_init(RunAnalysis *A, const RunRow *row);
/* Free the results and the episodes; A can be reused after run_analysis_init. */
void run_analysis_free(RunAnalysis *A);
/* Compute the parts in mask `what` for A->eps (lags and ridge of the
** reward-history regression). Return 0, or -1 if out of memory. */
int run_analysis_compute(RunAnalysis *A, unsigned what, int lags, double ridge);

/* mkdir -p; 0, or -1 with errno set. */
int make_dirs(const char *path);

/* An output folder built under a temporary name and put in place at the end, so a failure leaves
** nothing of it (`metarl analyze --out`, `metarl report`). out_dir_begin creates DIR.tmp-PID (into
** tmp) and its parents, after removing the stale DIR.tmp-PID/DIR.old-PID of processes no longer
** running; out_dir_commit renames it to DIR or, if DIR exists, moves its files into DIR (replacing
** same-named ones, keeping the rest). Both: 0, or -1 with errno set. On failure remove tmp with
** out_dir_remove_tree (a tree of plain files and folders; links are removed, not followed). */
int out_dir_begin(const char *dir, char *tmp, size_t n_tmp);
int out_dir_commit(const char *dir, const char *tmp);
int out_dir_remove_tree(const char *path);
/* Remove FINAL.tmp-PID and FINAL.old-PID beside FINAL whose process PID no longer runs. */
void out_dir_remove_stale(const char *final);

#endif
