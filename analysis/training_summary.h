/* analysis/training_summary.h: a train run's training curve in a few numbers:
** the curve in ten bins (what `metarl analyze` prints for a train run) and
** the one definition of "final training performance".
**
** Both read the rows of store_read_training (one per training episode, in
** order) and average with running_mean (analysis/regress.h), which skips NaN:
** p_best and regret are NaN on tasks without a known truth.
**
** Usage:
**     TrainingBins b;
**     training_bins(rows, n, &b);            b.reward[b.n - 1] ... the last bin
**     TrainingFinal fin;
**     if (training_final(rows, n, trials_per_episode, &fin) == ANALYSIS_OK) ... fin.reward_per_trial
*/
#ifndef METARL_TRAINING_SUMMARY_H
#define METARL_TRAINING_SUMMARY_H

#include <stdint.h>

#include "store/store.h"

#define TRAINING_BINS 10

/* The training curve cut into min(n_rows, TRAINING_BINS) bins of (nearly)
** equal numbers of rows; bin b holds rows [n_rows*b/n, n_rows*(b+1)/n). */
typedef struct TrainingBins {
    int n_rows;                     /* training rows in all */
    int n;                          /* bins (0 if there are no rows) */
    double episode[TRAINING_BINS];  /* the last episode of each bin */
    double reward[TRAINING_BINS];   /* mean reward per episode */
    double p_best[TRAINING_BINS];   /* mean P(best action); NaN if unknown throughout */
    double regret[TRAINING_BINS];   /* mean regret per episode; NaN if unknown throughout */
} TrainingBins;

/* Final training performance: the means over the LAST TENTH of a run's
** training rows, rounded up (the last ceil(n/10) rows, so at least one row
** for any n > 0). That window is exactly the last bin of training_bins().
**   reward            mean reward per episode over the window
**   reward_per_trial  reward / trials_per_episode (NaN if that is not > 0)
**   p_best, regret    means over the window's rows where they are known
**                     (n_p_best, n_regret of them); NaN if none is. */
typedef struct TrainingFinal {
    int from, n_rows;               /* the window: rows [from, from + n_rows) */
    int64_t last_episode;           /* the episode of the last row */
    double reward, reward_per_trial;
    double p_best, regret;
    long n_p_best, n_regret;
} TrainingFinal;

/* Fill b from rows[0..n). */
void training_bins(const TrainRow *rows, int n, TrainingBins *b);

/* Fill out with the final training performance of rows[0..n) (see
** TrainingFinal). Return ANALYSIS_OK, or ANALYSIS_NODATA if n <= 0 (out is
** then all NaN and zero counts). */
int training_final(const TrainRow *rows, int n, int trials_per_episode, TrainingFinal *out);

/* The same, read from a store: only the window's rows are read (a long run
** has a row per training episode). Return ANALYSIS_OK, ANALYSIS_NODATA, or
** -1 with the store's message. */
int training_final_read(Store *s, int64_t run_id, int trials_per_episode, TrainingFinal *out);

#endif
