/* analysis/export_text.c: the readable tables `metarl analyze` prints for
** each run (see export.h): a heading, the learning curve at a few trials,
** then one paragraph per analysis that applies. Numbers are rounded for
** reading; the TSV and JSON writers keep every digit.
*/
#include <math.h>
#include <stdio.h>

#include "analysis/behavior.h"
#include "analysis/export.h"
#include "analysis/neural.h"
#include "analysis/rwfit.h"
#include "analysis/twostep.h"
#include "core/summary.h"

static void pm(FILE *f, const char *label, double v, double se)
{
    if (isnan(se)) fprintf(f, "%s %.4g", label, v);
    else fprintf(f, "%s %.4g ± %.2g", label, v, se);
}

/* "  1.234±0.012" in 14 columns; the SE left out when unknown. */
static void coef_se(FILE *f, double b, double se)
{
    if (isnan(se)) fprintf(f, "  %6.3f      ", b);
    else fprintf(f, "  %6.3f±%-5.3f", b, se);
}

static void text_curves(const RunAnalysis *A, FILE *f)
{
    const Summary *s = &A->summary;
    fprintf(f, "learning curve: reward/trial %.4f ± %.4f", s->reward_per_trial.mean, moments_se(&s->reward_per_trial));
    if (s->p_best.n) fprintf(f, ", P(best) %.4f ± %.4f", s->p_best.mean, moments_se(&s->p_best));
    if (s->regret.n) fprintf(f, ", regret at T %.3f ± %.3f", s->regret.mean, moments_se(&s->regret));
    fputc('\n', f);
    const BehaviorCurves *c = A->curves;
    if (!c) return;
    static const int marks[] = { 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000 };
    int cols[16], nc = 0;
    for (size_t i = 0; i < sizeof marks / sizeof *marks; i++)
        if (marks[i] <= c->n_trials) cols[nc++] = marks[i];
    if (cols[nc - 1] != c->n_trials) cols[nc++] = c->n_trials;
    fprintf(f, "  %-10s", "trial");
    for (int i = 0; i < nc; i++) fprintf(f, " %7d", cols[i]);
    fprintf(f, "\n  %-10s", "reward");
    for (int i = 0; i < nc; i++) fprintf(f, " %7.3f", c->reward_mean[cols[i] - 1]);
    if (c->n_best[0] > 0) {
        fprintf(f, "\n  %-10s", "P(best)");
        for (int i = 0; i < nc; i++) fprintf(f, " %7.3f", c->best_mean[cols[i] - 1]);
    }
    if (c->n_regret[0] > 0) {
        fprintf(f, "\n  %-10s", "regret");
        for (int i = 0; i < nc; i++) fprintf(f, " %7.2f", c->regret_mean[cols[i] - 1]);
    }
    fputc('\n', f);
}

/* stay, reward-history regression, Rescorla-Wagner */
static void text_behavior(const RunAnalysis *A, FILE *f)
{
    const StayStats *s = &A->stay;
    if (A->stay_ok)
        fprintf(f, "stay: p(stay|win) %.3f [%.3f, %.3f] (n = %ld), p(stay|loss) %.3f [%.3f, %.3f] (n = %ld), 95%% Wilson\n",
               s->p_stay_win, s->win_ci[0], s->win_ci[1], s->n_win, s->p_stay_loss, s->loss_ci[0], s->loss_ci[1],
               s->n_loss);
    if (A->lg_ok) {
        const LauGlimcherFit *g = &A->lg;
        fprintf(f, "reward-history regression (Lau & Glimcher 2005): K = %d, ridge %g, n = %d, log-lik %.1f, %s\n", g->lags,
               g->fit.lambda, g->fit.n, g->fit.loglik,
               g->fit.converged ? "converged" : g->fit.separated ? "NOT converged (separation)" : "NOT converged");
        fprintf(f, "  %-11s", "lag");
        for (int k = 0; k < g->lags; k++) fprintf(f, " %13d", k + 1);
        fprintf(f, "\n  %-11s", "rewarded");
        for (int k = 0; k < g->lags; k++) coef_se(f, g->rewarded[k], g->rewarded_se[k]);
        fprintf(f, "\n  %-11s", "unrewarded");
        for (int k = 0; k < g->lags; k++) coef_se(f, g->unrewarded[k], g->unrewarded_se[k]);
        fprintf(f, "\n  intercept (bias to action 1)");
        pm(f, "", g->intercept, g->intercept_se);
        fputc('\n', f);
    }
    if (A->rw_ok) {
        fprintf(f, "Rescorla-Wagner (pooled): ");
        pm(f, "alpha", A->rw.alpha, A->rw.alpha_se);
        pm(f, ", beta", A->rw.beta, A->rw.beta_se);
        fprintf(f, "; -log-lik %.1f over %ld trials%s\n", A->rw.nll, A->rw.n_trials,
               A->rw.at_bound ? " (at the edge of the search box)" : "");
        if (A->rw_eps_ok)
            fprintf(f, "  per episode (n = %d): alpha mean %.3f sd %.3f median %.3f; beta mean %.3g sd %.3g median %.3g\n",
                   A->rw_sum.n_fitted, A->rw_sum.alpha_mean, A->rw_sum.alpha_sd, A->rw_sum.alpha_median,
                   A->rw_sum.beta_mean, A->rw_sum.beta_sd, A->rw_sum.beta_median);
        if (A->rec_ok)
            fprintf(f, "  recovery: simulated at the fit on %s, refitted: alpha %.3f ± %.3f, beta %.3g ± %.2g\n", A->rec_env,
                   A->rec.alpha, A->rec.alpha_se, A->rec.beta, A->rec.beta_se);
    }
}

/* reversals, volatility, RPE */
static void text_reversals_rpe(const RunAnalysis *A, FILE *f)
{
    if (A->rev_ok) {
        static const int lags[] = { -10, -5, -2, -1, 0, 1, 2, 3, 5, 10, 15, 20 };
        fprintf(f, "reversals: %ld; accuracy by lag (0 = first trial of the new block)\n  %-9s", A->n_reversals, "lag");
        for (size_t i = 0; i < sizeof lags / sizeof *lags; i++) fprintf(f, " %6d", lags[i]);
        fprintf(f, "\n  %-9s", "accuracy");
        for (size_t i = 0; i < sizeof lags / sizeof *lags; i++)
            fprintf(f, " %6.3f", A->rev.accuracy[lags[i] - BEHAVIOR_REV_LAG_MIN]);
        fputc('\n', f);
        if (A->crit_ok)
            fprintf(f, "  trials to criterion (%d of %d correct): mean %.2f, median %.1f; reached after %ld of %ld reversals\n",
                   A->crit.k, A->crit.n, A->crit.mean, A->crit.median, A->crit.n_reached, A->crit.n_reversals);
    }
    if (A->vol_ok) {
        const RwVolatilityFit *v = &A->vol;
        fprintf(f, "learning rate vs volatility (W = %d): alpha volatile %.3f ± %.3f (%ld trials), stable %.3f ± %.3f "
               "(%ld), episode start %.3f ± %.3f (%ld); beta %.3g ± %.2g\n",
               v->window, v->alpha_volatile, v->alpha_volatile_se, v->n_volatile, v->alpha_stable, v->alpha_stable_se,
               v->n_stable, v->alpha_start, v->alpha_start_se, v->n_start, v->beta, v->beta_se);
    }
    if (A->rpe_ok) {
        const NeuralRpe *p = &A->rpe;
        const OlsFit *fit = &p->fit;
        fprintf(f, "RPE delta: after reward %.3f ± %.3f (n = %ld), after no reward %.3f ± %.3f (n = %ld)\n",
               p->mean_rewarded, p->se_rewarded, p->n_rewarded, p->mean_unrewarded, p->se_unrewarded, p->n_unrewarded);
        fprintf(f, "  delta ~ r + V: b_r %.3f ± %.3f (t = %.1f), b_V %.3f ± %.3f (t = %.1f), intercept %.3f, R2 %.3f\n",
               fit->coef[RPE_REWARD], fit->se[RPE_REWARD], fit->tstat[RPE_REWARD], fit->coef[RPE_VALUE], fit->se[RPE_VALUE],
               fit->tstat[RPE_VALUE], fit->coef[RPE_INTERCEPT], fit->r2);
        const OlsFit *o = &p->fit_obs;
        if (o->n > 0)
            fprintf(f, "  delta ~ r + E[r] (the ideal %s observer's expected reward of the chosen arm): "
                       "delta = %.3f (± %.3f) %+.3f (± %.3f) r %+.3f (± %.3f) E[r], R2 %.3f, n = %d\n",
                    p->obs.kind == NEURAL_OBS_REVERSAL ? "reversal" : "bandit", o->coef[RPE_INTERCEPT], o->se[RPE_INTERCEPT],
                    o->coef[RPE_REWARD], o->se[RPE_REWARD], o->coef[RPE_EXPECT], o->se[RPE_EXPECT], o->r2, o->n);
        const NeuralInferred *q = &p->inferred;
        if (q->n_switches > 0) {
            const OlsFit *g = &q->fit;
            fprintf(f, "  inferred value: first switch to the new good arm after %ld reversals (observer E[r] %.3f): "
                       "delta %.3f ± %.3f rewarded (n = %ld), %.3f ± %.3f not (n = %ld); later trials of that arm "
                       "%.3f ± %.3f, %.3f ± %.3f\n",
                    q->n_switches, q->switch_expect, q->switch_mean[1], q->switch_se[1], q->n_switch[1], q->switch_mean[0],
                    q->switch_se[0], q->n_switch[0], q->later_mean[1], q->later_se[1], q->later_mean[0], q->later_se[0]);
            fprintf(f, "    delta ~ r + E_inferred + r_last_experienced: b_r %.3f ± %.3f, b_E %.3f ± %.3f, "
                       "b_last %.3f ± %.3f\n",
                    g->coef[INF_REWARD], g->se[INF_REWARD], g->coef[INF_EXPECT], g->se[INF_EXPECT], g->coef[INF_LAST],
                    g->se[INF_LAST]);
        }
    }
}

static const char *fit_state(const LogitFit *fit)
{
    return fit->converged ? "converged" : fit->separated ? "NOT converged (separation)" : "NOT converged";
}

/* two-step: stay by previous reward x transition, the stay regression, its multi-lag form */
static void text_twostep(const RunAnalysis *A, FILE *f)
{
    if (!A->ts_stay_ok) return;
    const TwoStepStay *s = &A->ts_stay;
    fprintf(f, "two-step: P(stay with the first-stage choice) by the previous trial's outcome and transition "
               "(%ld pairs)\n  %-22s", s->n_pairs, "");
    for (int c = 0; c < TS_N_CELLS; c++) fprintf(f, " %19s", twostep_cell_labels[c]);
    fprintf(f, "\n  %-22s", "P(stay) ± SE");
    for (int c = 0; c < TS_N_CELLS; c++) fprintf(f, "      %6.3f±%-6.4f", s->p[c], s->se[c]);
    fprintf(f, "\n  %-22s", "pairs");
    for (int c = 0; c < TS_N_CELLS; c++) fprintf(f, " %19ld", s->n[c]);
    fprintf(f, "\n  %-22s", "per episode median");
    for (int c = 0; c < TS_N_CELLS; c++) fprintf(f, " %19.3f", s->ep_median[c]);
    fprintf(f, "\n  %-22s", "  IQR");
    for (int c = 0; c < TS_N_CELLS; c++) fprintf(f, "       [%5.3f,%5.3f]", s->ep_q25[c], s->ep_q75[c]);
    fputc('\n', f);
    if (A->ts_reg_ok) {
        const TwoStepRegression *r = &A->ts_reg;
        fprintf(f, "  stay ~ reward + transition + reward x transition (±1 coding), n = %d, %s:\n   ", r->fit.n,
                fit_state(&r->fit));
        pm(f, " reward (model-free)", r->reward, r->reward_se);
        pm(f, ", interaction (model-based)", r->interaction, r->interaction_se);
        pm(f, ", transition", r->transition, r->transition_se);
        pm(f, ", intercept", r->intercept, r->intercept_se);
        fputc('\n', f);
    }
    if (A->ts_lag_ok) {
        const TwoStepLagged *L = &A->ts_lag;
        fprintf(f, "  multi-lag: choice ~ past choice x (1, reward, transition, reward x transition), K = %d, n = %d, %s\n"
                   "  %-11s", L->lags, L->fit.n, fit_state(&L->fit), "lag");
        for (int k = 0; k < L->lags; k++) fprintf(f, " %13d", k + 1);
        const char *names[4] = { "choice", "reward", "transition", "interaction" };
        const double *v[4] = { L->choice, L->reward, L->transition, L->interaction };
        const double *se[4] = { L->choice_se, L->reward_se, L->transition_se, L->interaction_se };
        for (int q = 0; q < 4; q++) {
            fprintf(f, "\n  %-11s", names[q]);
            for (int k = 0; k < L->lags; k++) coef_se(f, v[q][k], se[q][k]);
        }
        fputc('\n', f);
    }
}

/* PCA, decoding, selectivity */
static void text_neural(const RunAnalysis *A, FILE *f)
{
    if (A->pca) {
        const NeuralPca *c = A->pca;
        fprintf(f, "neural: %d prefrontal units, %ld trials\n  PCA variance explained:", c->n_units, c->n_rows);
        double cum = 0.0;
        for (int k = 0; k < 5 && k < c->n_units; k++) {
            cum += c->explained[k];
            fprintf(f, " PC%d %.3f", k + 1, c->explained[k]);
        }
        fprintf(f, " (cumulative %.3f)\n", cum);
        int any = 0;
        for (int k = 0; k < RA_N_TARGETS; k++) any |= A->dec_ok[k];
        if (any) {
            fprintf(f, "  decoding (%d-fold CV by episode, ridge):  %-13s %7s %7s %9s %9s %9s %8s  %s\n",
                    A->dec[0].n_folds, "target", "R2", "fold SD", "null 5%", "null mean", "null 95%", "lambda",
                    "above chance (R2 > null 95%)");
            for (int k = 0; k < RA_N_TARGETS; k++)
                if (A->dec_ok[k])
                    fprintf(f, "  %41s %-13s %7.3f %7.3f %9.3f %9.3f %9.3f %8.2g  %s\n", "", ra_target_names[k],
                            A->dec[k].r2, A->dec[k].fold_sd, A->dec[k].null_p05, A->dec[k].null_mean, A->dec[k].null_p95,
                            A->dec[k].lambda, neural_decode_above_null(&A->dec[k]) ? "yes" : "no");
        }
        if (A->sel && A->sel->n_rows > 0)
            fprintf(f, "  selectivity (rate ~ previous action, reward, product; p < %.2g): action %d/%d, reward %d/%d, "
                   "action x reward %d/%d units\n",
                   A->sel->level, A->sel->n_sig[SEL_ACTION], A->sel->n_units, A->sel->n_sig[SEL_REWARD], A->sel->n_units,
                   A->sel->n_sig[SEL_INTERACTION], A->sel->n_units);
    }
}

int export_text_run(const RunAnalysis *A, const int64_t *children, int n_children, FILE *f)
{
    const RunRow *r = A->row;
    long trials = A->summary.trials;
    fprintf(f, "== run %lld: %s %s on %s, %d episode%s, %ld valid trials", (long long)r->run_id, r->kind, r->agent, r->task,
           A->n_eps, A->n_eps == 1 ? "" : "s", trials);
    if (n_children) {
        fprintf(f, " (beside it: run%s", n_children > 1 ? "s" : "");
        for (int i = 0; i < n_children; i++) fprintf(f, "%s %lld", i ? "," : "", (long long)children[i]);
        fputc(')', f);
    }
    fputc('\n', f);
    if (A->n_eps == 0) {
        fprintf(f, "no episodes stored yet\n\n");
        return ferror(f) ? -1 : 0;
    }
    text_curves(A, f);
    text_behavior(A, f);
    text_reversals_rpe(A, f);
    text_twostep(A, f);
    text_neural(A, f);
    fputc('\n', f);
    return ferror(f) ? -1 : 0;
}

int export_text_training(const RunRow *r, const TrainingBins *b, FILE *f)
{
    fprintf(f, "== run %lld: train %s on %s, %d training rows (status %s)\n", (long long)r->run_id, r->agent, r->task,
            b->n_rows, r->status);
    if (b->n > 0) {
        fprintf(f, "  %-16s %14s %10s %10s\n", "up to episode", "reward/episode", "P(best)", "regret");
        for (int i = 0; i < b->n; i++)
            fprintf(f, "  %-16.0f %14.3f %10.3f %10.3f\n", b->episode[i], b->reward[i], b->p_best[i], b->regret[i]);
    }
    fputc('\n', f);
    return ferror(f) ? -1 : 0;
}
