/* analysis/matching.h: the matching law (Herrnstein 1961; Tsutsui et al.
** 2016, Wang et al. 2018 simulation 1): choice fraction against income
** fraction across episodes.
**
** Per episode with at least one valid trial (action 0 or 1, finite reward)
** and a positive total reward: the choice fraction c = (valid trials on arm 1)
** / (valid trials), the income fraction x = (reward earned on arm 1) / (reward
** earned on both). The matching line is the OLS fit c = intercept + slope x
** over those episodes: slope 1 and intercept 0 is strict matching, a slope
** below 1 undermatching. Nothing here prints or allocates beyond a scratch
** buffer. Used by the `baited` experiment (jobs/experiment_metrics.c).
*/
#ifndef METARL_MATCHING_H
#define METARL_MATCHING_H

#include "analysis/regress.h"
#include "core/episode.h"

typedef struct MatchingFit {
    int n_episodes;                /* episodes in the fit */
    double slope, slope_se;
    double intercept, intercept_se;
    double r2;
} MatchingFit;

/* The fractions of one episode; 0 with *choice and *income, or -1 if the
** episode has no valid trial or no reward. */
int matching_fractions(const EpisodeRecord *e, double *choice, double *income);

/* Return ANALYSIS_OK, ANALYSIS_NODATA (fewer than 3 usable episodes, or all
** with the same income fraction) or ANALYSIS_NOMEM. */
int matching_fit(EpisodeRecord *const *eps, int n_eps, MatchingFit *out);

#endif
