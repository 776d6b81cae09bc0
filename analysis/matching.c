/* analysis/matching.c: choice fraction against income fraction, one point
** per episode, and their OLS line (see matching.h).
*/
#include <math.h>
#include <stdlib.h>

#include "analysis/matching.h"

int matching_fractions(const EpisodeRecord *e, double *choice, double *income)
{
    long n = 0, n1 = 0;
    double r = 0.0, r1 = 0.0;
    for (int t = 0; t < e->n_trials; t++) {
        const TrialRecord *tr = &e->trials[t];
        if (tr->action < 0 || tr->action > 1 || !isfinite(tr->reward)) continue;
        n++;
        r += tr->reward;
        if (tr->action == 1) {
            n1++;
            r1 += tr->reward;
        }
    }
    if (n == 0 || !(r > 0)) return -1;
    *choice = (double)n1 / (double)n;
    *income = r1 / r;
    return 0;
}

int matching_fit(EpisodeRecord *const *eps, int n_eps, MatchingFit *out)
{
    out->n_episodes = 0;
    out->slope = out->slope_se = out->intercept = out->intercept_se = out->r2 = NAN;
    double *X = malloc(sizeof *X * 2 * (size_t)(n_eps > 0 ? n_eps : 1));
    double *y = malloc(sizeof *y * (size_t)(n_eps > 0 ? n_eps : 1));
    if (!X || !y) {
        free(X);
        free(y);
        return ANALYSIS_NOMEM;
    }
    int n = 0;
    for (int i = 0; i < n_eps; i++) {
        double c, x;
        if (matching_fractions(eps[i], &c, &x) != 0) continue;
        X[2 * n] = 1.0;
        X[2 * n + 1] = x;
        y[n++] = c;
    }
    OlsFit fit;
    int rc = n >= 3 ? regress_ols(X, y, n, 2, &fit) : ANALYSIS_NODATA;
    if (rc == ANALYSIS_OK && fit.rank < 2) rc = ANALYSIS_NODATA;
    if (rc == ANALYSIS_OK) {
        out->n_episodes = n;
        out->intercept = fit.coef[0];
        out->intercept_se = fit.se[0];
        out->slope = fit.coef[1];
        out->slope_se = fit.se[1];
        out->r2 = fit.r2;
    }
    free(X);
    free(y);
    return rc;
}
