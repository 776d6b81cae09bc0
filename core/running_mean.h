/* core/running_mean.h: Welford's running mean and spread of a stream of
** numbers, the one running-mean type of metarl.
**
** The episode summaries (core/summary.h) and the analyses' tables
** (analysis/regress.h and its users) both accumulate with it, one value at
** a time, so a mean printed by `metarl test` and one in an analysis table
** are the same arithmetic. NaN values are ignored (not counted).
*/
#ifndef METARL_RUNNING_MEAN_H
#define METARL_RUNNING_MEAN_H

typedef struct RunningMean {
    long n;
    double mean, m2;   /* the mean so far and the sum of squared deviations from it */
} RunningMean;

/* Zero-initialise (RunningMean m = { 0 }) to start. */
void running_mean_add(RunningMean *m, double x);
double running_mean_value(const RunningMean *m);   /* NaN if n = 0 */
double running_mean_sd(const RunningMean *m);      /* NaN if n < 2 */
double running_mean_se(const RunningMean *m);      /* sd / sqrt(n); NaN if n < 2 */

#endif
