/* jobs/experiment_metrics.c: the metrics of the two-step, harlow, baited,
** volatility and inferred experiments, each read from one stored test or
** baseline run (see experiment.h; the table is experiment_metrics[] in
** jobs/experiment.c). An experiment reads several metrics of one run in a
** row, so each family keeps its last run's analysis (a one-run cache); the
** job is single-threaded. A metric the run cannot have (no stages, no
** activity, no reversal) is NaN, not an error.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/behavior.h"
#include "analysis/matching.h"
#include "analysis/neural.h"
#include "analysis/twostep.h"
#include "analysis/volatility_fit.h"
#include "jobs/experiment.h"

#define VOLATILITY_BOOT 50          /* bootstrap replicates of the alpha ratio */
#define VOLATILITY_LEVEL 0.95
#define VOLATILITY_BOOT_SEED 1

/* The run's episodes (with activity if asked); 0, or -1 with a message. */
static int read_run(Store *s, int64_t run, int activity, EpisodeRecord ***eps, int *n, char *err, size_t n_err)
{
    if (store_read_episodes(s, run, activity, eps, n) == 0) return 0;
    snprintf(err, n_err, "run %lld: %s", (long long)run, store_errmsg(s));
    return -1;
}

/* Which run a metric family's cache holds: its analysis runs once per run,
** however many of its metrics are asked for. */
typedef struct MetricRun {
    const Store *store;
    int64_t run;
} MetricRun;

static int is_cached(const MetricRun *k, const Store *s, int64_t run) { return k->store == s && k->run == run; }

static void remember(MetricRun *k, const Store *s, int64_t run)
{
    k->store = s;
    k->run = run;
}

static int out_of_memory(int64_t run, char *err, size_t n_err)
{
    snprintf(err, n_err, "run %lld: out of memory", (long long)run);
    return -1;
}

/* ---- two-step: stay probabilities and the stay regression ------------------------------------------ */

static struct {
    MetricRun key;
    int ok_stay, ok_reg;
    TwoStepStay stay;
    TwoStepRegression reg;
} twostep_cache;

int experiment_metric_twostep(Store *s, int64_t run, const ExperimentMetric *m, double *value, char *err,
                              size_t n_err)
{
    *value = NAN;
    if (!is_cached(&twostep_cache.key, s, run)) {
        EpisodeRecord **eps;
        int n;
        if (read_run(s, run, 0, &eps, &n, err, n_err) != 0) return -1;
        twostep_cache.ok_stay = twostep_stay(eps, n, &twostep_cache.stay) == ANALYSIS_OK;
        twostep_cache.ok_reg = twostep_regression(eps, n, 0.0, &twostep_cache.reg) == ANALYSIS_OK &&
                               twostep_cache.reg.fit.converged;
        store_episodes_free(eps, n);
        remember(&twostep_cache.key, s, run);
    }
    if (!strcmp(m->key, "mf_weight") || !strcmp(m->key, "mb_weight")) {
        if (twostep_cache.ok_reg) *value = m->key[1] == 'f' ? twostep_cache.reg.reward : twostep_cache.reg.interaction;
        return 0;
    }
    if (!strcmp(m->key, "mb_margin")) {
        double mf = twostep_cache.reg.reward, mb = twostep_cache.reg.interaction;
        if (twostep_cache.ok_reg) *value = fmin(mb, mb - mf);
        return 0;
    }
    for (int c = 0; c < TS_N_CELLS; c++)
        if (twostep_cache.ok_stay && !strcmp(m->key, twostep_cell_names[c])) *value = twostep_cache.stay.p[c];
    return 0;
}

/* ---- harlow: accuracy by trial of the episode ----------------------------------------------------- */

static struct {
    MetricRun key;
    double acc[2];
} harlow_cache;

int experiment_metric_harlow(Store *s, int64_t run, const ExperimentMetric *m, double *value, char *err,
                             size_t n_err)
{
    *value = NAN;
    if (!is_cached(&harlow_cache.key, s, run)) {
        EpisodeRecord **eps;
        int n;
        if (read_run(s, run, 0, &eps, &n, err, n_err) != 0) return -1;
        long hit[2] = { 0, 0 }, tot[2] = { 0, 0 };
        for (int i = 0; i < n; i++)
            for (int k = 0; k < eps[i]->n_stages; k++) {
                const StageRecord *st = &eps[i]->stages[k];
                if (st->stage != 1 || st->t < 0 || st->t > 1 || st->action < 0 || st->state < 1 || st->state > 2)
                    continue;
                tot[st->t]++;
                hit[st->t] += st->action == st->state - 1;
            }
        store_episodes_free(eps, n);
        for (int t = 0; t < 2; t++) harlow_cache.acc[t] = tot[t] ? (double)hit[t] / (double)tot[t] : NAN;
        remember(&harlow_cache.key, s, run);
    }
    *value = harlow_cache.acc[!strcmp(m->key, "trial2")];
    return 0;
}

/* ---- baited: the Lau-Glimcher kernel, matching, selectivity ---------------------------------------- */

static struct {
    MetricRun key;
    double lg_rewarded, lg_unrewarded, slope, sel[SEL_N];
} baited_cache;

static void baited_analyse(EpisodeRecord *const *eps, int n)
{
    LauGlimcherFit lg;
    MatchingFit mf;
    baited_cache.lg_rewarded = baited_cache.lg_unrewarded = baited_cache.slope = NAN;
    for (int j = 0; j < SEL_N; j++) baited_cache.sel[j] = NAN;
    if (behavior_lau_glimcher(eps, n, BEHAVIOR_DEFAULT_LAGS, 0.0, &lg) == ANALYSIS_OK && lg.fit.converged) {
        baited_cache.lg_rewarded = lg.rewarded[0];
        baited_cache.lg_unrewarded = lg.unrewarded[0];
    }
    if (matching_fit(eps, n, &mf) == ANALYSIS_OK) baited_cache.slope = mf.slope;
    int units = n > 0 ? eps[0]->n_units : 0;
    NeuralSelectivity *sel = units > 0 ? neural_selectivity_alloc(units) : NULL;
    if (sel && neural_selectivity(eps, n, 0.05, sel) == ANALYSIS_OK)
        for (int j = 0; j < SEL_N; j++) baited_cache.sel[j] = (double)sel->n_sig[j] / units;
    neural_selectivity_free(sel);
}

int experiment_metric_baited(Store *s, int64_t run, const ExperimentMetric *m, double *value, char *err,
                             size_t n_err)
{
    *value = NAN;
    if (!is_cached(&baited_cache.key, s, run)) {
        EpisodeRecord **eps;
        int n;
        if (read_run(s, run, 1, &eps, &n, err, n_err) != 0) return -1;
        baited_analyse(eps, n);
        store_episodes_free(eps, n);
        remember(&baited_cache.key, s, run);
    }
    if (!strcmp(m->key, "lg_reward_1")) *value = baited_cache.lg_rewarded - baited_cache.lg_unrewarded;
    else if (!strcmp(m->key, "lg_rewarded_1")) *value = baited_cache.lg_rewarded;
    else if (!strcmp(m->key, "lg_unrewarded_1")) *value = baited_cache.lg_unrewarded;
    else if (!strcmp(m->key, "matching_slope")) *value = baited_cache.slope;
    else if (!strcmp(m->key, "sel_action")) *value = baited_cache.sel[SEL_ACTION];
    else if (!strcmp(m->key, "sel_reward")) *value = baited_cache.sel[SEL_REWARD];
    else if (!strcmp(m->key, "sel_interaction")) *value = baited_cache.sel[SEL_INTERACTION];
    return 0;
}

/* ---- volatility: alpha per stretch ---------------------------------------------------------------- */

static struct {
    MetricRun key;
    int ok;
    VolStretchFit fit, fit2;   /* one beta shared; a beta per stretch kind */
} vol_cache;

int experiment_metric_volatility(Store *s, int64_t run, const ExperimentMetric *m, double *value, char *err,
                                 size_t n_err)
{
    *value = NAN;
    if (!is_cached(&vol_cache.key, s, run)) {
        EpisodeRecord **eps;
        int n;
        if (read_run(s, run, 0, &eps, &n, err, n_err) != 0) return -1;
        int rc = volfit_fit(eps, n, 1, VOLATILITY_BOOT, VOLATILITY_LEVEL, VOLATILITY_BOOT_SEED, &vol_cache.fit);
        if (rc == ANALYSIS_OK)
            rc = volfit_fit(eps, n, 2, VOLATILITY_BOOT, VOLATILITY_LEVEL, VOLATILITY_BOOT_SEED, &vol_cache.fit2);
        store_episodes_free(eps, n);
        if (rc == ANALYSIS_NOMEM) return out_of_memory(run, err, n_err);
        vol_cache.ok = rc == ANALYSIS_OK;
        remember(&vol_cache.key, s, run);
    }
    const char *key = m->key;
    const VolStretchFit *f = &vol_cache.fit;
    if (!vol_cache.ok) return 0;
    if (!strncmp(key, "b2_", 3)) {
        key += 3;
        f = &vol_cache.fit2;
    }
    if (!strcmp(key, "ratio")) *value = f->ratio;
    else if (!strcmp(key, "ratio_lo")) *value = f->ratio_lo;
    else if (!strcmp(key, "ratio_hi")) *value = f->ratio_hi;
    else if (!strcmp(key, "alpha_stable")) *value = f->alpha_stable;
    else if (!strcmp(key, "alpha_volatile")) *value = f->alpha_volatile;
    else if (!strcmp(key, "beta")) *value = f->beta;
    return 0;
}

/* ---- inferred: delta at the first switch after a reversal ------------------------------------------ */

static struct {
    MetricRun key;
    int ok;
    NeuralInferred inf;
} inferred_cache;

int experiment_metric_inferred(Store *s, int64_t run, const ExperimentMetric *m, double *value, char *err,
                               size_t n_err)
{
    *value = NAN;
    if (!is_cached(&inferred_cache.key, s, run)) {
        EpisodeRecord **eps;
        int n;
        if (read_run(s, run, 0, &eps, &n, err, n_err) != 0) return -1;
        NeuralRpe *rpe = calloc(1, sizeof *rpe);
        int rc = rpe ? neural_rpe(eps, n, rpe) : ANALYSIS_NOMEM;
        store_episodes_free(eps, n);
        if (rc == ANALYSIS_NOMEM) {
            free(rpe);
            return out_of_memory(run, err, n_err);
        }
        inferred_cache.ok = rc == ANALYSIS_OK && rpe->inferred.n_switches > 0;
        if (inferred_cache.ok) inferred_cache.inf = rpe->inferred;
        free(rpe);
        remember(&inferred_cache.key, s, run);
    }
    const NeuralInferred *f = &inferred_cache.inf;
    if (!inferred_cache.ok) return 0;
    if (!strcmp(m->key, "switch_rewarded")) *value = f->switch_mean[1];
    else if (!strcmp(m->key, "switch_unrewarded")) *value = f->switch_mean[0];
    else if (!strcmp(m->key, "later_rewarded")) *value = f->later_mean[1];
    else if (!strcmp(m->key, "switch_ratio") && f->later_mean[1] != 0) *value = f->switch_mean[1] / f->later_mean[1];
    else if (!strcmp(m->key, "expect_weight") && f->fit.n > 0) *value = f->fit.coef[INF_EXPECT];
    else if (!strcmp(m->key, "last_weight") && f->fit.n > 0) *value = f->fit.coef[INF_LAST];
    else if (!strcmp(m->key, "switch_expect")) *value = f->switch_expect;
    return 0;
}
