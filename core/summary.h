/* core/summary.h: the headline numbers of a set of episodes, accumulated
** one episode at a time (baseline, test and training progress all print
** them, with the same JSON keys).
**
** Per-episode quantities are averaged across episodes, with standard errors
** from the spread between episodes (episodes are independent; trials within
** one are not):
**   reward_per_trial  total reward / valid trials
**   regret            sum_t max_a p_a - p_chosen (true probabilities)
**   p_best            fraction of valid trials on the best arm (ties skipped)
**   post_reversal     accuracy on trials 1..10 after a reversal (reversal
**                     tasks; the first trial of a new block is trial 1)
*/
#ifndef METARL_SUMMARY_H
#define METARL_SUMMARY_H

#include "core/episode.h"
#include "core/json.h"
#include "core/running_mean.h"

#define SUMMARY_REVERSAL_LAGS 10

/* The summaries' running means are RunningMean (core/running_mean.h);
** moments_se is running_mean_se's older name, kept for the command line. */
static inline double moments_se(const RunningMean *m) { return running_mean_se(m); }   /* NaN if n < 2 */

typedef struct Summary {
    long episodes, trials;
    RunningMean reward_per_trial, regret, p_best, post_reversal;
    double lag_hits[SUMMARY_REVERSAL_LAGS], lag_n[SUMMARY_REVERSAL_LAGS];
    long reversals;
} Summary;

void summary_init(Summary *s);
void summary_add(Summary *s, const EpisodeRecord *e);
/* Accuracy at lag k = 1..SUMMARY_REVERSAL_LAGS after a reversal (NaN if none). */
double summary_lag_accuracy(const Summary *s, int k);
/* Write the standard keys (episodes, trials, reward_per_trial(_se), regret(_se),
** p_best(_se), and for reversal tasks post_reversal_accuracy(_se) and
** reversal_lag_accuracy) into an open JSON object. */
void summary_json(const Summary *s, Json *j);

#endif
