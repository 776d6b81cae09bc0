/* analysis/export.h: the writers of `metarl analyze`: a computed RunAnalysis
** (analysis/run_analysis.h), or a train run's training rows, as readable
** tables, one JSON object per run, and TSV files.
**
** Tables and JSON go to a FILE* the caller passes (stdout for the command);
** they return 0, or -1 if the stream has failed. TSV files go to an existing
** directory (ExportDir): one file per analysis, named run<ID>_<analysis>.tsv,
** a header row, tab-separated, NaN for unknown; each written to a temporary
** file and renamed, so a reader never sees half a file. These are what the
** plotting command draws:
**     run<ID>_training.tsv     train runs: every training row + moving averages
**     run<ID>_curve.tsv        t, n, reward mean/SE, P(best) n/mean/SE, cumulative regret n/mean/SE
**     run<ID>_stay.tsv         after (win|loss): pairs, stays, p_stay, Wilson 95% lo/hi
**     run<ID>_regression.tsv   lag, rewarded (+SE, 95% lo/hi), unrewarded (+SE, lo/hi)
**     run<ID>_rw_episodes.tsv  per-episode RW fits: episode, subject, trials, alpha(+SE), beta(+SE), nll
**     run<ID>_reversal.tsv     lag, reversals, accuracy, SE, lo/hi (mean +- 1.96 SE)
**     run<ID>_criterion.tsv    per reversal: index, trials to criterion (NaN = censored)
**     run<ID>_volatility.tsv   class (volatile|stable|start), trials, alpha, SE, beta, SE
**     run<ID>_pca_variance.tsv component, eigenvalue, explained, cumulative
**     run<ID>_pca_scores.tsv   episode, t, action, reward, truth, belief, value, rpe, pc1..pcK
**     run<ID>_decoding.tsv     target, rows, episodes, folds, lambda, r2, null_mean, null_p95, shuffles,
**                              r2_fold_sd (SD of the folds' own R2), null_p05, above_null (1 if r2 > null_p95)
**     run<ID>_selectivity.tsv  unit, coefficient/t/p for intercept, action, reward, interaction
**     run<ID>_rpe.tsv          term (intercept|reward|value), coef, SE, t, p
**     run<ID>_rpe_outcome.tsv  rewarded (0|1), n, mean delta, SE
**     run<ID>_rpe_reversal.tsv lag, n, mean delta, SE
**     run<ID>_twostep_stay.tsv two-step runs: cell, pairs, stays, p_stay, se, ci_lo/hi (Wilson 95%),
**                              episodes, episode_median, episode_q25/q75
**     run<ID>_twostep_regression.tsv  term (intercept|reward|transition|interaction), coef, se
**     run<ID>_twostep_lagged.tsv      lag, choice, reward, transition, interaction (each + _se)
**     run<ID>_summary.tsv      key, value, se: every scalar above
**
** Usage:
**     ExportDir o;
**     export_dir_init(&o, "results/demo.analysis");
**     o.run = row.run_id;
**     export_text_run(&A, children, n_children, stdout);
**     if (export_tsv_run(&A, &o) != 0) ... o.err
**     ... o.n_files files written in all
** A file that cannot be written does not stop the others: the first failure
** is kept in err and every later call still tries its files.
*/
#ifndef METARL_EXPORT_H
#define METARL_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "analysis/run_analysis.h"
#include "analysis/training_summary.h"
#include "store/store.h"

typedef struct ExportDir {
    const char *dir;            /* an existing directory; not owned */
    int64_t run;                /* the run whose files are written (names them) */
    int n_files;                /* files renamed into place so far */
    int failed;                 /* 1 once a file could not be written */
    char err[4608];             /* the first failure: "PATH: cannot write (REASON)" */
} ExportDir;

/* Zero o and point it at dir (which must outlive o). */
void export_dir_init(ExportDir *o, const char *dir);

/* Every TSV file of A that applies (none for a run without episodes).
** Return 0, or -1 if any failed (o->err). */
int export_tsv_run(const RunAnalysis *A, ExportDir *o);
/* run<ID>_training.tsv of a train run (nothing if n = 0). Return 0 or -1. */
int export_tsv_training(const TrainRow *rows, int n, ExportDir *o);

/* One JSON object for A, on one line. Return 0, or -1 if f failed. */
int export_json_run(const RunAnalysis *A, FILE *f);
/* One JSON object for train run r: its training curve in bins. */
int export_json_training(const RunRow *r, const TrainingBins *b, FILE *f);

/* The readable tables of A; children are the runs beside it (listed in the
** heading). Return 0, or -1 if f failed. */
int export_text_run(const RunAnalysis *A, const int64_t *children, int n_children, FILE *f);
/* The readable table of train run r's training curve in bins. */
int export_text_training(const RunRow *r, const TrainingBins *b, FILE *f);

#endif
