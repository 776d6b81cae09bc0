/* analysis/training_summary.c: the training curve in bins and the final
** training performance (see training_summary.h). Both average one window
** of rows the same way (window_means), so the last bin and the final
** performance are the same numbers, bit for bit.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/regress.h"
#include "analysis/training_summary.h"

/* Means of rows [lo, hi) (hi > lo), NaN skipped. */
static void window_means(const TrainRow *rows, int lo, int hi, TrainingFinal *w)
{
    RunningMean mr = { 0, 0, 0 }, mb = { 0, 0, 0 }, mg = { 0, 0, 0 };
    for (int i = lo; i < hi; i++) {
        running_mean_add(&mr, rows[i].reward);
        running_mean_add(&mb, rows[i].p_best);
        running_mean_add(&mg, rows[i].regret);
    }
    w->from = lo;
    w->n_rows = hi - lo;
    w->last_episode = rows[hi - 1].episode;
    w->reward = running_mean_value(&mr);
    w->p_best = running_mean_value(&mb);
    w->regret = running_mean_value(&mg);
    w->n_p_best = mb.n;
    w->n_regret = mg.n;
}

/* The window's length: ceil(n/10) rows, the last bin of training_bins. */
static int64_t final_window(int64_t n)
{
    return (n + 9) / 10;
}

/* Fill out with the means of rows[lo..hi). */
static int final_of(const TrainRow *rows, int lo, int hi, int trials_per_episode, TrainingFinal *out)
{
    memset(out, 0, sizeof *out);
    out->reward = out->reward_per_trial = out->p_best = out->regret = NAN;
    if (hi <= lo) return ANALYSIS_NODATA;
    window_means(rows, lo, hi, out);
    out->reward_per_trial = trials_per_episode > 0 ? out->reward / trials_per_episode : NAN;
    return ANALYSIS_OK;
}

int training_final(const TrainRow *rows, int n, int trials_per_episode, TrainingFinal *out)
{
    return final_of(rows, n > 0 ? n - (int)final_window(n) : 0, n, trials_per_episode, out);
}

int training_final_read(Store *s, int64_t run_id, int trials_per_episode, TrainingFinal *out)
{
    int64_t n_all;
    TrainRow *rows;
    int n;
    if (store_count_training(s, run_id, &n_all) != 0) return -1;
    int64_t skip = n_all - final_window(n_all);
    if (store_read_training_from(s, run_id, skip, &rows, &n) != 0) return -1;
    int rc = final_of(rows, 0, n, trials_per_episode, out);
    out->from = (int)skip;   /* the window's place in the whole curve */
    free(rows);
    return rc;
}

void training_bins(const TrainRow *rows, int n, TrainingBins *b)
{
    memset(b, 0, sizeof *b);
    b->n_rows = n > 0 ? n : 0;
    b->n = n < TRAINING_BINS ? b->n_rows : TRAINING_BINS;
    for (int i = 0; i < b->n; i++) {
        TrainingFinal w;
        int lo = (int)((long)n * i / b->n), hi = (int)((long)n * (i + 1) / b->n);
        /* the last bin is the final performance: it starts n - ceil(n/10) rows in */
        if (i == b->n - 1) training_final(rows, n, 0, &w);
        else window_means(rows, lo, hi, &w);
        b->episode[i] = (double)w.last_episode;
        b->reward[i] = w.reward;
        b->p_best[i] = w.p_best;
        b->regret[i] = w.regret;
    }
}
