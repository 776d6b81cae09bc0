/* analysis/twostep.h: the two-step task's stay analysis (Daw et al. 2011;
** Wang et al. 2018 Fig. 5), on any run whose episodes carry stage rows: a
** network's or a reference agent's test episodes, or imported human data
** (analysis/import.h, import_read_twostep).
**
** Reads the same EpisodeRecords as analysis/behavior.h. Per trial t:
**   first-stage choice  trials[t].action (0/1; -1 = missed trial, skipped)
**   reward              trials[t].reward (the trial's total; rewarded = > 0)
**   transition          from the trial's stage-1 row (stages[] with t, stage
**                       == 1): common if its state == 1 + the first-stage
**                       action, rare if it is the other second-stage state
**                       (1 or 2); unknown (the trial is skipped as a
**                       predictor) if the trial has no such row.
**   stay                for t >= 1: action_t == action_{t-1}, on a pair of
**                       consecutive valid trials of one episode whose first
**                       trial's transition is known. A missed trial breaks the
**                       pairs on both its sides (the importer stores the
**                       trials a file leaves out as missed, so "consecutive
**                       trials only" holds for data too).
** Cells, by the earlier trial's outcome and transition, in this order:
**   rewarded-common, rewarded-rare, unrewarded-common, unrewarded-rare.
**
** Regressions (+/-1 coding: r = +1 rewarded, -1 not; x = +1 common, -1 rare):
**   stay    logit P(stay_t) = b0 + bR r_{t-1} + bT x_{t-1} + bI r_{t-1} x_{t-1}
**           pooled over episodes: bR is the model-free weight, bI the
**           model-based one (a model-based learner stays after rewarded-common
**           and unrewarded-rare trials).
**   lagged  logit P(a_t = 1) = b0 + sum_{k=1..K} c_{t-k} (bC_k + bR_k r_{t-k}
**           + bT_k x_{t-k} + bI_k r_{t-k} x_{t-k}), c = +1 for action 1, -1 for
**           action 0 (a trial enters if it and its K predecessors are valid
**           with known transitions). With K = 1 and no side bias (b0 = 0) it is
**           the stay regression, bC_1 its b0.
** Both use regress_logit (analysis/regress.h) with the caller's ridge.
** Nothing here prints, touches SQLite or exits.
*/
#ifndef METARL_TWOSTEP_H
#define METARL_TWOSTEP_H

#include <stddef.h>

#include "analysis/regress.h"
#include "core/episode.h"

enum { TS_REW_COMMON, TS_REW_RARE, TS_UNREW_COMMON, TS_UNREW_RARE, TS_N_CELLS };

#define TWOSTEP_MAX_LAGS 15    /* 1 + 4 K <= REGRESS_MAX_P */

/* "rewarded_common", "rewarded_rare", "unrewarded_common", "unrewarded_rare" */
extern const char *const twostep_cell_names[TS_N_CELLS];
/* "rewarded, common", ... for tables and figures */
extern const char *const twostep_cell_labels[TS_N_CELLS];

typedef struct TwoStepStay {
    long n_pairs;                   /* usable pairs in all */
    long n[TS_N_CELLS];             /* pairs whose earlier trial falls in the cell */
    long stays[TS_N_CELLS];         /* of which stays */
    double p[TS_N_CELLS];           /* stays / n, NaN if n = 0 */
    double se[TS_N_CELLS];          /* binomial sqrt(p (1 - p) / n) */
    double ci[TS_N_CELLS][2];       /* 95% Wilson interval */
    int n_eps[TS_N_CELLS];          /* episodes with at least one pair in the cell */
    double ep_median[TS_N_CELLS];   /* over those episodes, of their own P(stay) */
    double ep_q25[TS_N_CELLS], ep_q75[TS_N_CELLS];   /* the interquartile range */
} TwoStepStay;

typedef struct TwoStepRegression {
    double intercept, intercept_se;        /* b0: stay bias */
    double reward, reward_se;              /* bR: model-free */
    double transition, transition_se;      /* bT */
    double interaction, interaction_se;    /* bI: model-based */
    LogitFit fit;                          /* n, loglik, converged, separated */
} TwoStepRegression;

typedef struct TwoStepLagged {
    int lags;                              /* K used (the request, at most TWOSTEP_MAX_LAGS) */
    double bias, bias_se;                  /* b0: toward action 1 */
    double choice[TWOSTEP_MAX_LAGS], choice_se[TWOSTEP_MAX_LAGS];          /* bC_k at k-1 */
    double reward[TWOSTEP_MAX_LAGS], reward_se[TWOSTEP_MAX_LAGS];          /* bR_k */
    double transition[TWOSTEP_MAX_LAGS], transition_se[TWOSTEP_MAX_LAGS];  /* bT_k */
    double interaction[TWOSTEP_MAX_LAGS], interaction_se[TWOSTEP_MAX_LAGS];/* bI_k */
    LogitFit fit;
} TwoStepLagged;

/* 1 if any episode has a stage-1 row (a two-step run), else 0. */
int twostep_applies(EpisodeRecord *const *eps, int n_eps);

/* The transition of trial t of e: +1 common, -1 rare, 0 unknown (no stage-1
** row, a missed trial, or a state other than 1 and 2). */
int twostep_transition(const EpisodeRecord *e, int t);

/* The four stay probabilities. Return ANALYSIS_OK, ANALYSIS_NODATA (no
** usable pair; s holds zeros and NaN) or ANALYSIS_NOMEM. */
int twostep_stay(EpisodeRecord *const *eps, int n_eps, TwoStepStay *s);

/* The lag-1 stay regression, ridge lambda >= 0 on all but b0. Return
** ANALYSIS_OK (check fit.converged), ANALYSIS_NODATA or ANALYSIS_NOMEM. */
int twostep_regression(EpisodeRecord *const *eps, int n_eps, double lambda, TwoStepRegression *r);

/* The multi-lag choice regression with K = lags (>= 1; clipped to
** TWOSTEP_MAX_LAGS). Column order of fit.coef: b0, then per lag k bC_k, bR_k,
** bT_k, bI_k. Return codes as twostep_regression. */
int twostep_lagged(EpisodeRecord *const *eps, int n_eps, int lags, double lambda, TwoStepLagged *r);

/* ---- reference values (data/published/twostep_stay.tsv) ---- */

#define TWOSTEP_MAX_REFS 8

typedef struct TwoStepRef {
    char key[48];              /* "wang2018_network", "ideal_observer_wang", "hbayesdm_ts_example" */
    char label[96];            /* legend text */
    double p[TS_N_CELLS];      /* stay probabilities, in cell order */
    char kind[16];             /* "published" (read off a paper's figure) or "computed" */
    char variant[16];          /* the task variants beside whose runs it is drawn: "wang", "daw" or "wang,daw" */
    char source[400];          /* where the numbers come from */
} TwoStepRef;

/* Parse the reference file at path: '#' comments, a header line
** "key label rewarded_common rewarded_rare unrewarded_common unrewarded_rare
** kind variant source" (tab-separated), then one row per reference. Return the number
** of rows read (<= max), or -1 with "PATH:LINE: ..." in err. */
int twostep_refs_read(const char *path, TwoStepRef *refs, int max, char *err, size_t n_err);

/* Find the reference file: $METARL_DATA/published/twostep_stay.tsv, then
** data/published/twostep_stay.tsv under the working directory, then
** ../data/published/ beside the running binary's folder. Return 0 with the
** path in out, or -1 if none exists. */
int twostep_refs_find(char *out, size_t n);

/* Whether ref is drawn beside runs of variant ("wang" or "daw"). */
int twostep_ref_for_variant(const TwoStepRef *ref, const char *variant);

/* The variant a run's task title names ("twostep (..., variant=daw, ...)"):
** "wang", "daw", or NULL if it names none (an imported data set). */
const char *twostep_title_variant(const char *task_title);

#endif
