/* core/running_mean.c: Welford's running mean (see running_mean.h). */
#include <math.h>

#include "core/running_mean.h"

void running_mean_add(RunningMean *m, double x)
{
    if (isnan(x)) return;
    m->n++;
    double d = x - m->mean;
    m->mean += d / (double)m->n;
    m->m2 += d * (x - m->mean);
}

double running_mean_value(const RunningMean *m) { return m->n > 0 ? m->mean : NAN; }

double running_mean_sd(const RunningMean *m) { return m->n > 1 ? sqrt(m->m2 / (double)(m->n - 1)) : NAN; }

double running_mean_se(const RunningMean *m)
{
    return m->n > 1 ? running_mean_sd(m) / sqrt((double)m->n) : NAN;
}
