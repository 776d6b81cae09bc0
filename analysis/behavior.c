/* analysis/behavior.c: learning curves, win-stay/lose-stay, the Lau-Glimcher
** reward-history regression and reversal-aligned accuracy (see behavior.h
** for every definition).
**
** Everything is one pass (or two) over the trials; the regression builds a
** design matrix once and hands it to regress_logit (analysis/regress.c).
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "analysis/behavior.h"

static int valid(const TrialRecord *tr) { return tr->action >= 0 && tr->action < TASK_MAX_ACTIONS && isfinite(tr->reward); }

int behavior_max_trials(EpisodeRecord *const *eps, int n_eps)
{
    int T = 0;
    for (int i = 0; i < n_eps; i++)
        if (eps[i]->n_trials > T) T = eps[i]->n_trials;
    return T;
}

/* ---- learning curves ------------------------------------------------------ */

BehaviorCurves *behavior_curves_alloc(int n_trials)
{
    if (n_trials < 1) return NULL;
    BehaviorCurves *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    size_t T = (size_t)n_trials;
    c->n_trials = n_trials;
    c->n_reward = calloc(T, sizeof(int));
    c->n_best = calloc(T, sizeof(int));
    c->n_regret = calloc(T, sizeof(int));
    c->reward_mean = calloc(T, sizeof(double));
    c->reward_se = calloc(T, sizeof(double));
    c->best_mean = calloc(T, sizeof(double));
    c->best_se = calloc(T, sizeof(double));
    c->regret_mean = calloc(T, sizeof(double));
    c->regret_se = calloc(T, sizeof(double));
    if (!c->n_reward || !c->n_best || !c->n_regret || !c->reward_mean || !c->reward_se || !c->best_mean ||
        !c->best_se || !c->regret_mean || !c->regret_se) {
        behavior_curves_free(c);
        return NULL;
    }
    return c;
}

void behavior_curves_free(BehaviorCurves *c)
{
    if (!c) return;
    free(c->n_reward);
    free(c->n_best);
    free(c->n_regret);
    free(c->reward_mean);
    free(c->reward_se);
    free(c->best_mean);
    free(c->best_se);
    free(c->regret_mean);
    free(c->regret_se);
    free(c);
}

/* Turn (n, sum, sum of squares) into mean and SE in place. */
static void finish_mean(int n, double *mean, double *se)
{
    if (n == 0) {
        *mean = *se = NAN;
        return;
    }
    double m = *mean / n;
    double var = n > 1 ? (*se - n * m * m) / (n - 1) : NAN;
    *mean = m;
    *se = n > 1 ? sqrt(var > 0.0 ? var : 0.0) / sqrt((double)n) : NAN;
}

int behavior_curves(EpisodeRecord *const *eps, int n_eps, BehaviorCurves *c)
{
    int T = c->n_trials;
    for (int t = 0; t < T; t++) {
        c->n_reward[t] = c->n_best[t] = c->n_regret[t] = 0;
        c->reward_mean[t] = c->reward_se[t] = c->best_mean[t] = c->best_se[t] = 0.0;
        c->regret_mean[t] = c->regret_se[t] = 0.0;
    }
    long any = 0;
    /* sums, then means; the sums of squares are held in the *_se arrays */
    for (int i = 0; i < n_eps; i++) {
        const EpisodeRecord *e = eps[i];
        double regret = 0.0;
        int truth_ok = 1;
        for (int t = 0; t < e->n_trials && t < T; t++) {
            const TrialRecord *tr = &e->trials[t];
            if (valid(tr)) {
                any++;
                c->n_reward[t]++;
                c->reward_mean[t] += tr->reward;
                c->reward_se[t] += tr->reward * tr->reward;
                if (tr->truth.best >= 0) {
                    double hit = tr->action == tr->truth.best;
                    c->n_best[t]++;
                    c->best_mean[t] += hit;
                    c->best_se[t] += hit;
                }
                double best = -INFINITY;
                int known = 1;
                for (int k = 0; k < TASK_MAX_ACTIONS; k++) {
                    if (!isfinite(tr->truth.p[k])) known = 0;
                    else if (tr->truth.p[k] > best) best = tr->truth.p[k];
                }
                if (known) regret += best - tr->truth.p[tr->action];
                else truth_ok = 0;
            }
            if (truth_ok) {
                c->n_regret[t]++;
                c->regret_mean[t] += regret;
                c->regret_se[t] += regret * regret;
            }
        }
    }
    for (int t = 0; t < T; t++) {
        finish_mean(c->n_reward[t], &c->reward_mean[t], &c->reward_se[t]);
        finish_mean(c->n_best[t], &c->best_mean[t], &c->best_se[t]);
        finish_mean(c->n_regret[t], &c->regret_mean[t], &c->regret_se[t]);
    }
    return any ? ANALYSIS_OK : ANALYSIS_NODATA;
}

/* ---- stay ---------------------------------------------------------------- */

int behavior_stay(EpisodeRecord *const *eps, int n_eps, double conf, StayStats *s)
{
    memset(s, 0, sizeof *s);
    s->conf = conf;
    for (int i = 0; i < n_eps; i++) {
        const EpisodeRecord *e = eps[i];
        const TrialRecord *prev = NULL;
        for (int t = 0; t < e->n_trials; t++) {
            const TrialRecord *tr = &e->trials[t];
            if (!valid(tr)) continue;
            if (prev) {
                int stay = tr->action == prev->action;
                if (prev->reward > 0.5) {
                    s->n_win++;
                    s->stay_win += stay;
                } else {
                    s->n_loss++;
                    s->stay_loss += stay;
                }
            }
            prev = tr;
        }
    }
    s->p_stay_win = s->n_win ? (double)s->stay_win / (double)s->n_win : NAN;
    s->p_stay_loss = s->n_loss ? (double)s->stay_loss / (double)s->n_loss : NAN;
    stats_wilson(s->stay_win, s->n_win, conf, &s->win_ci[0], &s->win_ci[1]);
    stats_wilson(s->stay_loss, s->n_loss, conf, &s->loss_ci[0], &s->loss_ci[1]);
    return s->n_win + s->n_loss > 0 ? ANALYSIS_OK : ANALYSIS_NODATA;
}

/* ---- Lau-Glimcher ---------------------------------------------------------- */

/* Is trial t usable with K lags: it and t-1..t-K valid, t >= K? */
static int lg_usable(const EpisodeRecord *e, int t, int K)
{
    if (t < K) return 0;
    for (int k = 0; k <= K; k++)
        if (!valid(&e->trials[t - k])) return 0;
    return 1;
}

int behavior_lau_glimcher(EpisodeRecord *const *eps, int n_eps, int lags, double lambda, LauGlimcherFit *fit)
{
    memset(fit, 0, sizeof *fit);
    fit->lags = lags;
    fit->intercept = fit->intercept_se = NAN;
    for (int k = 0; k < BEHAVIOR_MAX_LAGS; k++)
        fit->rewarded[k] = fit->rewarded_se[k] = fit->unrewarded[k] = fit->unrewarded_se[k] = NAN;
    fit->fit.loglik = NAN;
    if (lags < 1 || lags > BEHAVIOR_MAX_LAGS || !(lambda >= 0.0)) return ANALYSIS_NODATA;
    int K = lags, p = 1 + 2 * K;
    long n = 0;
    for (int i = 0; i < n_eps; i++)
        for (int t = 0; t < eps[i]->n_trials; t++) n += lg_usable(eps[i], t, K);
    if (n < p) return ANALYSIS_NODATA;
    double *X = malloc((size_t)n * (size_t)p * sizeof *X);
    double *y = malloc((size_t)n * sizeof *y);
    if (!X || !y) {
        free(X);
        free(y);
        return ANALYSIS_NOMEM;
    }
    long row = 0;
    for (int i = 0; i < n_eps; i++) {
        const EpisodeRecord *e = eps[i];
        for (int t = 0; t < e->n_trials; t++) {
            if (!lg_usable(e, t, K)) continue;
            double *x = X + (size_t)row * p;
            x[0] = 1.0;
            for (int k = 1; k <= K; k++) {
                const TrialRecord *h = &e->trials[t - k];
                double c = h->action == 1 ? 1.0 : -1.0;
                double r = h->reward > 0.5 ? 1.0 : 0.0;
                x[k] = c * r;
                x[K + k] = c * (1.0 - r);
            }
            y[row++] = e->trials[t].action == 1 ? 1.0 : 0.0;
        }
    }
    int rc = regress_logit(X, y, (int)n, p, lambda, NULL, 200, &fit->fit);
    free(X);
    free(y);
    if (rc != ANALYSIS_OK) return rc;
    fit->intercept = fit->fit.coef[0];
    fit->intercept_se = fit->fit.se[0];
    for (int k = 0; k < K; k++) {
        fit->rewarded[k] = fit->fit.coef[1 + k];
        fit->rewarded_se[k] = fit->fit.se[1 + k];
        fit->unrewarded[k] = fit->fit.coef[1 + K + k];
        fit->unrewarded_se[k] = fit->fit.se[1 + K + k];
    }
    return ANALYSIS_OK;
}

/* ---- reversals ------------------------------------------------------------- */

static int is_reversal(const TrialRecord *tr) { return tr->truth.block >= 1 && tr->truth.since_reversal == 0; }

long behavior_count_reversals(EpisodeRecord *const *eps, int n_eps)
{
    long n = 0;
    for (int i = 0; i < n_eps; i++)
        for (int t = 0; t < eps[i]->n_trials; t++) n += is_reversal(&eps[i]->trials[t]);
    return n;
}

int behavior_reversal_curve(EpisodeRecord *const *eps, int n_eps, ReversalCurve *rc)
{
    memset(rc, 0, sizeof *rc);
    double sum[BEHAVIOR_REV_N_LAGS] = { 0 };
    for (int i = 0; i < n_eps; i++) {
        const EpisodeRecord *e = eps[i];
        for (int t0 = 0; t0 < e->n_trials; t0++) {
            if (!is_reversal(&e->trials[t0])) continue;
            int scored = 0;
            for (int j = 0; j < BEHAVIOR_REV_N_LAGS; j++) {
                int t = t0 + behavior_rev_lag(j);
                if (t < 0 || t >= e->n_trials) continue;
                const TrialRecord *tr = &e->trials[t];
                if (!valid(tr) || tr->truth.best < 0) continue;
                rc->n[j]++;
                sum[j] += tr->action == tr->truth.best;
                scored = 1;
            }
            rc->n_reversals += scored;
        }
    }
    for (int j = 0; j < BEHAVIOR_REV_N_LAGS; j++) {
        long n = rc->n[j];
        if (n == 0) {
            rc->accuracy[j] = rc->se[j] = NAN;
            continue;
        }
        double m = sum[j] / (double)n;   /* 0/1 data: sum of squares = sum */
        rc->accuracy[j] = m;
        rc->se[j] = n > 1 ? sqrt(m * (1.0 - m) * (double)n / (double)(n - 1)) / sqrt((double)n) : NAN;
    }
    return rc->n_reversals > 0 ? ANALYSIS_OK : ANALYSIS_NODATA;
}

/* Trials to criterion for the reversal at t0 of e (NaN if censored). */
static double criterion_one(const EpisodeRecord *e, int t0, int k, int n)
{
    int block = e->trials[t0].truth.block;
    for (int j = 0;; j++) {
        int end = t0 + j + n;   /* exclusive */
        if (end > e->n_trials || e->trials[end - 1].truth.block != block) return NAN;
        int correct = 0;
        for (int t = t0 + j; t < end; t++) {
            const TrialRecord *tr = &e->trials[t];
            correct += valid(tr) && tr->truth.best >= 0 && tr->action == tr->truth.best;
        }
        if (correct >= k) return (double)j;
    }
}

int behavior_trials_to_criterion(EpisodeRecord *const *eps, int n_eps, int k, int n, double *per_reversal,
                                 ReversalCriterion *out)
{
    memset(out, 0, sizeof *out);
    out->k = k;
    out->n = n;
    out->mean = out->median = out->sd = NAN;
    long total = behavior_count_reversals(eps, n_eps);
    out->n_reversals = total;
    if (total == 0 || k < 1 || n < k) return ANALYSIS_NODATA;
    double *reached = malloc((size_t)total * sizeof *reached);
    if (!reached) return ANALYSIS_NOMEM;
    long r = 0;
    for (int i = 0; i < n_eps; i++) {
        const EpisodeRecord *e = eps[i];
        for (int t0 = 0; t0 < e->n_trials; t0++) {
            if (!is_reversal(&e->trials[t0])) continue;
            double v = criterion_one(e, t0, k, n);
            if (per_reversal) per_reversal[r] = v;
            r++;
            if (!isnan(v)) reached[out->n_reached++] = v;
        }
    }
    if (out->n_reached > 0) {
        size_t m = (size_t)out->n_reached;
        gsl_sort(reached, 1, m);
        out->mean = gsl_stats_mean(reached, 1, m);
        out->median = gsl_stats_median_from_sorted_data(reached, 1, m);
        out->sd = m > 1 ? gsl_stats_sd(reached, 1, m) : NAN;
    }
    free(reached);
    return ANALYSIS_OK;
}
