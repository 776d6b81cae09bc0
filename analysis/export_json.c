/* analysis/export_json.c: one JSON object per run for `metarl analyze --json`
** (see export.h). Keys come in a fixed order; a part that does not apply to
** the run is left out (or, for the always-present stay, RW and regression
** numbers, written as null). Written with core/json.h.
*/
#include <stdio.h>

#include "analysis/behavior.h"
#include "analysis/export.h"
#include "analysis/neural.h"
#include "analysis/rwfit.h"
#include "analysis/twostep.h"
#include "core/json.h"
#include "core/summary.h"

/* The run's identity: the first keys of every object. */
static void json_run_keys(Json *j, const RunRow *r)
{
    json_kint(j, "run", r->run_id);
    json_kstr(j, "kind", r->kind);
    json_kstr(j, "name", r->name);
    json_kstr(j, "agent", r->agent);
    json_kstr(j, "task", r->task);
}

/* summary, stay, Rescorla-Wagner, reward-history regression */
static void json_behavior(const RunAnalysis *A, Json *j)
{
    summary_json(&A->summary, j);
    const StayStats *s = &A->stay;
    json_knum(j, "p_stay_win", s->p_stay_win);
    json_knums(j, "p_stay_win_ci", s->win_ci, 2);
    json_kint(j, "n_win", s->n_win);
    json_knum(j, "p_stay_loss", s->p_stay_loss);
    json_knums(j, "p_stay_loss_ci", s->loss_ci, 2);
    json_kint(j, "n_loss", s->n_loss);
    json_knum(j, "rw_alpha", A->rw.alpha);
    json_knum(j, "rw_alpha_se", A->rw.alpha_se);
    json_knum(j, "rw_beta", A->rw.beta);
    json_knum(j, "rw_beta_se", A->rw.beta_se);
    json_knum(j, "rw_nll", A->rw.nll);
    json_key(j, "rw_episodes");
    json_object_begin(j);
    json_kint(j, "n", A->rw_sum.n_fitted);
    json_knum(j, "alpha_mean", A->rw_sum.alpha_mean);
    json_knum(j, "alpha_sd", A->rw_sum.alpha_sd);
    json_knum(j, "alpha_median", A->rw_sum.alpha_median);
    json_knum(j, "beta_mean", A->rw_sum.beta_mean);
    json_knum(j, "beta_sd", A->rw_sum.beta_sd);
    json_knum(j, "beta_median", A->rw_sum.beta_median);
    json_object_end(j);
    if (A->rec_ok) {
        json_key(j, "rw_recovery");
        json_object_begin(j);
        json_knum(j, "alpha", A->rec.alpha);
        json_knum(j, "alpha_se", A->rec.alpha_se);
        json_knum(j, "beta", A->rec.beta);
        json_knum(j, "beta_se", A->rec.beta_se);
        json_object_end(j);
    }
    const LauGlimcherFit *g = &A->lg;
    json_key(j, "regression");
    json_object_begin(j);
    int K = g->lags;
    double lagv[BEHAVIOR_MAX_LAGS];
    for (int k = 0; k < K; k++) lagv[k] = k + 1;
    json_knums(j, "lags", lagv, K);
    json_knums(j, "rewarded", g->rewarded, K);
    json_knums(j, "unrewarded", g->unrewarded, K);
    json_knums(j, "rewarded_se", g->rewarded_se, K);
    json_knums(j, "unrewarded_se", g->unrewarded_se, K);
    json_knum(j, "intercept", g->intercept);
    json_knum(j, "intercept_se", g->intercept_se);
    json_kint(j, "n", g->fit.n);
    json_knum(j, "loglik", g->fit.loglik);
    json_knum(j, "ridge", g->fit.lambda);
    json_key(j, "converged");
    json_bool(j, g->fit.converged);
    json_object_end(j);
}

/* reversal curve, trials to criterion, volatility, RPE */
static void json_reversals_rpe(const RunAnalysis *A, Json *j)
{
    if (A->rev_ok) {
        double lag[BEHAVIOR_REV_N_LAGS], n[BEHAVIOR_REV_N_LAGS];
        for (int i = 0; i < BEHAVIOR_REV_N_LAGS; i++) {
            lag[i] = behavior_rev_lag(i);
            n[i] = (double)A->rev.n[i];
        }
        json_key(j, "reversal_curve");
        json_object_begin(j);
        json_kint(j, "reversals", A->n_reversals);
        json_knums(j, "lag", lag, BEHAVIOR_REV_N_LAGS);
        json_knums(j, "accuracy", A->rev.accuracy, BEHAVIOR_REV_N_LAGS);
        json_knums(j, "se", A->rev.se, BEHAVIOR_REV_N_LAGS);
        json_knums(j, "n", n, BEHAVIOR_REV_N_LAGS);
        json_object_end(j);
        json_key(j, "trials_to_criterion");
        json_object_begin(j);
        json_kint(j, "k", A->crit.k);
        json_kint(j, "n", A->crit.n);
        json_knum(j, "mean", A->crit.mean);
        json_knum(j, "median", A->crit.median);
        json_kint(j, "reached", A->crit.n_reached);
        json_kint(j, "reversals", A->crit.n_reversals);
        json_object_end(j);
    }
    if (A->vol_ok) {
        const RwVolatilityFit *v = &A->vol;
        json_key(j, "volatility");
        json_object_begin(j);
        json_kint(j, "window", v->window);
        json_knum(j, "alpha_volatile", v->alpha_volatile);
        json_knum(j, "alpha_volatile_se", v->alpha_volatile_se);
        json_kint(j, "n_volatile", v->n_volatile);
        json_knum(j, "alpha_stable", v->alpha_stable);
        json_knum(j, "alpha_stable_se", v->alpha_stable_se);
        json_kint(j, "n_stable", v->n_stable);
        json_knum(j, "alpha_start", v->alpha_start);
        json_knum(j, "beta", v->beta);
        json_knum(j, "beta_se", v->beta_se);
        json_object_end(j);
    }
    if (A->rpe_ok) {
        const NeuralRpe *p = &A->rpe;
        json_key(j, "rpe");
        json_object_begin(j);
        json_kint(j, "n", p->n);
        json_knum(j, "mean_rewarded", p->mean_rewarded);
        json_knum(j, "mean_unrewarded", p->mean_unrewarded);
        json_knum(j, "b_reward", p->fit.coef[RPE_REWARD]);
        json_knum(j, "b_reward_se", p->fit.se[RPE_REWARD]);
        json_knum(j, "b_value", p->fit.coef[RPE_VALUE]);
        json_knum(j, "b_value_se", p->fit.se[RPE_VALUE]);
        json_knum(j, "intercept", p->fit.coef[RPE_INTERCEPT]);
        json_knum(j, "r2", p->fit.r2);
        static const char *const obs_names[] = { "none", "bandit", "reversal" };
        const OlsFit *o = &p->fit_obs;
        json_kstr(j, "observer", obs_names[p->obs.kind]);
        if (p->obs.kind == NEURAL_OBS_REVERSAL) {
            json_knum(j, "observer_p_high", p->obs.p_high);
            json_knum(j, "observer_p_low", p->obs.p_low);
            json_knum(j, "observer_hazard", p->obs.hazard);
        }
        json_kint(j, "n_obs", o->n);
        json_knum(j, "intercept_obs", o->coef[RPE_INTERCEPT]);
        json_knum(j, "intercept_obs_se", o->se[RPE_INTERCEPT]);
        json_knum(j, "b_reward_obs", o->coef[RPE_REWARD]);
        json_knum(j, "b_reward_obs_se", o->se[RPE_REWARD]);
        json_knum(j, "b_expect_obs", o->coef[RPE_EXPECT]);
        json_knum(j, "b_expect_obs_se", o->se[RPE_EXPECT]);
        json_knum(j, "r2_obs", o->r2);
        const NeuralInferred *f = &p->inferred;
        if (f->n_switches > 0) {
            const OlsFit *g = &f->fit;
            double ns[2] = { (double)f->n_switch[0], (double)f->n_switch[1] },
                   nl[2] = { (double)f->n_later[0], (double)f->n_later[1] };
            json_key(j, "inferred");
            json_object_begin(j);
            json_kint(j, "n_switches", f->n_switches);
            json_knum(j, "switch_expect", f->switch_expect);
            json_knums(j, "switch_n", ns, 2);
            json_knums(j, "switch_delta", f->switch_mean, 2);
            json_knums(j, "switch_se", f->switch_se, 2);
            json_knums(j, "later_n", nl, 2);
            json_knums(j, "later_delta", f->later_mean, 2);
            json_knums(j, "later_se", f->later_se, 2);
            json_knum(j, "intercept", g->coef[INF_INTERCEPT]);
            json_knum(j, "intercept_se", g->se[INF_INTERCEPT]);
            json_knum(j, "b_reward", g->coef[INF_REWARD]);
            json_knum(j, "b_reward_se", g->se[INF_REWARD]);
            json_knum(j, "b_expect", g->coef[INF_EXPECT]);
            json_knum(j, "b_expect_se", g->se[INF_EXPECT]);
            json_knum(j, "b_last", g->coef[INF_LAST]);
            json_knum(j, "b_last_se", g->se[INF_LAST]);
            json_object_end(j);
        }
        json_object_end(j);
    }
}

/* two-step: stay by previous reward x transition, the stay regression, its multi-lag form */
static void json_twostep(const RunAnalysis *A, Json *j)
{
    if (!A->ts_stay_ok) return;
    const TwoStepStay *s = &A->ts_stay;
    json_key(j, "twostep");
    json_object_begin(j);
    json_key(j, "stay");
    json_object_begin(j);
    json_kint(j, "pairs", s->n_pairs);
    for (int c = 0; c < TS_N_CELLS; c++) {
        json_key(j, twostep_cell_names[c]);
        json_object_begin(j);
        json_knum(j, "p", s->p[c]);
        json_knum(j, "se", s->se[c]);
        json_knums(j, "ci95", s->ci[c], 2);
        json_kint(j, "n", s->n[c]);
        json_kint(j, "stays", s->stays[c]);
        json_kint(j, "episodes", s->n_eps[c]);
        json_knum(j, "episode_median", s->ep_median[c]);
        double iqr[2] = { s->ep_q25[c], s->ep_q75[c] };
        json_knums(j, "episode_iqr", iqr, 2);
        json_object_end(j);
    }
    json_object_end(j);
    if (A->ts_reg_ok) {
        const TwoStepRegression *r = &A->ts_reg;
        json_key(j, "regression");
        json_object_begin(j);
        json_knum(j, "reward", r->reward);
        json_knum(j, "reward_se", r->reward_se);
        json_knum(j, "transition", r->transition);
        json_knum(j, "transition_se", r->transition_se);
        json_knum(j, "interaction", r->interaction);
        json_knum(j, "interaction_se", r->interaction_se);
        json_knum(j, "intercept", r->intercept);
        json_knum(j, "intercept_se", r->intercept_se);
        json_kint(j, "n", r->fit.n);
        json_knum(j, "loglik", r->fit.loglik);
        json_knum(j, "ridge", r->fit.lambda);
        json_key(j, "converged");
        json_bool(j, r->fit.converged);
        json_object_end(j);
    }
    if (A->ts_lag_ok) {
        const TwoStepLagged *L = &A->ts_lag;
        int K = L->lags;
        double lagv[TWOSTEP_MAX_LAGS];
        for (int k = 0; k < K; k++) lagv[k] = k + 1;
        json_key(j, "lagged");
        json_object_begin(j);
        json_knums(j, "lags", lagv, K);
        json_knums(j, "choice", L->choice, K);
        json_knums(j, "choice_se", L->choice_se, K);
        json_knums(j, "reward", L->reward, K);
        json_knums(j, "reward_se", L->reward_se, K);
        json_knums(j, "transition", L->transition, K);
        json_knums(j, "transition_se", L->transition_se, K);
        json_knums(j, "interaction", L->interaction, K);
        json_knums(j, "interaction_se", L->interaction_se, K);
        json_knum(j, "bias", L->bias);
        json_knum(j, "bias_se", L->bias_se);
        json_kint(j, "n", L->fit.n);
        json_key(j, "converged");
        json_bool(j, L->fit.converged);
        json_object_end(j);
    }
    json_object_end(j);
}

/* PCA, decoding, selectivity */
static void json_neural(const RunAnalysis *A, Json *j)
{
    if (A->pca) {
        json_key(j, "neural");
        json_object_begin(j);
        json_kint(j, "n_units", A->pca->n_units);
        json_kint(j, "n_trials", A->pca->n_rows);
        json_knums(j, "pca_explained", A->pca->explained, A->pca->n_units < 10 ? A->pca->n_units : 10);
        json_key(j, "decoding");
        json_object_begin(j);
        for (int k = 0; k < RA_N_TARGETS; k++) {
            if (!A->dec_ok[k]) continue;
            json_key(j, ra_target_names[k]);
            json_object_begin(j);
            const NeuralDecode *d = &A->dec[k];
            json_knum(j, "r2", d->r2);
            json_knum(j, "fold_sd", d->fold_sd);
            json_knums(j, "fold_r2", d->fold_r2, d->n_folds < NEURAL_MAX_FOLDS ? d->n_folds : NEURAL_MAX_FOLDS);
            json_knum(j, "null_mean", d->null_mean);
            json_knum(j, "null_p05", d->null_p05);
            json_knum(j, "null_p95", d->null_p95);
            json_key(j, "above_null");
            json_bool(j, neural_decode_above_null(d));
            json_knum(j, "lambda", d->lambda);
            json_object_end(j);
        }
        json_object_end(j);
        if (A->sel && A->sel->n_rows > 0) {
            json_key(j, "selectivity");
            json_object_begin(j);
            json_knum(j, "level", A->sel->level);
            json_kint(j, "action", A->sel->n_sig[SEL_ACTION]);
            json_kint(j, "reward", A->sel->n_sig[SEL_REWARD]);
            json_kint(j, "interaction", A->sel->n_sig[SEL_INTERACTION]);
            json_object_end(j);
        }
        json_object_end(j);
    }
}

int export_json_run(const RunAnalysis *A, FILE *f)
{
    Json j;
    json_init(&j, f);
    json_object_begin(&j);
    json_run_keys(&j, A->row);
    json_behavior(A, &j);
    json_reversals_rpe(A, &j);
    json_twostep(A, &j);
    json_neural(A, &j);
    json_object_end(&j);
    return ferror(f) ? -1 : 0;
}

int export_json_training(const RunRow *r, const TrainingBins *b, FILE *f)
{
    Json j;
    json_init(&j, f);
    json_object_begin(&j);
    json_run_keys(&j, r);
    json_key(&j, "training");
    json_object_begin(&j);
    json_kint(&j, "rows", b->n_rows);
    json_knums(&j, "episode", b->episode, b->n);
    json_knums(&j, "reward", b->reward, b->n);
    json_knums(&j, "p_best", b->p_best, b->n);
    json_knums(&j, "regret", b->regret, b->n);
    json_object_end(&j);
    json_object_end(&j);
    return ferror(f) ? -1 : 0;
}
