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
#include "core/numfmt.h"
#include "core/summary.h"

/* Undefined numbers (NaN) print as "-" and undefined SEs are left out
** (core/numfmt.h), so a run of one episode or a cell with no trials reads
** as such and never as "nan". */
static void pm(FILE *f, const char *label, double v, double se)
{
    fprintf(f, "%s %s", label, num_pm(v, se, 4, 2, 'g').s);
}

/* "  1.234±0.012" in 14 columns; the SE left out when unknown. */
static void coef_se(FILE *f, double b, double se)
{
    if (!isfinite(b)) fprintf(f, "  %6s      ", "-");
    else if (!isfinite(se)) fprintf(f, "  %6.3f      ", b);
    else fprintf(f, "  %6.3f±%-5.3f", b, se);
}

/* a column of a table: the number, or "-" right-aligned in its width */
static void col(FILE *f, int width, int digits, double v)
{
    fprintf(f, " %*s", width, num_text(v, digits, 'f').s);
}

static void text_curves(const RunAnalysis *A, FILE *f)
{
    const Summary *s = &A->summary;
    fprintf(f, "learning curve: reward/trial %s", num_pm(s->reward_per_trial.mean, moments_se(&s->reward_per_trial), 4, 4, 'f').s);
    if (s->p_best.n) fprintf(f, ", P(best) %s", num_pm(s->p_best.mean, moments_se(&s->p_best), 4, 4, 'f').s);
    if (s->regret.n) fprintf(f, ", regret at T %s", num_pm(s->regret.mean, moments_se(&s->regret), 3, 3, 'f').s);
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
    for (int i = 0; i < nc; i++) col(f, 7, 3, c->reward_mean[cols[i] - 1]);
    if (c->n_best[0] > 0) {
        fprintf(f, "\n  %-10s", "P(best)");
        for (int i = 0; i < nc; i++) col(f, 7, 3, c->best_mean[cols[i] - 1]);
    }
    if (c->n_regret[0] > 0) {
        fprintf(f, "\n  %-10s", "regret");
        for (int i = 0; i < nc; i++) col(f, 7, 2, c->regret_mean[cols[i] - 1]);
    }
    fputc('\n', f);
}

/* "0.750 [0.301, 0.954] (n = 4)", or "- (n = 0)" */
static void wilson(FILE *f, double p, const double ci[2], long n)
{
    if (isfinite(p)) fprintf(f, "%.3f [%.3f, %.3f] (n = %ld)", p, ci[0], ci[1], n);
    else fprintf(f, "- (n = %ld)", n);
}

/* stay, reward-history regression, Rescorla-Wagner */
static void text_behavior(const RunAnalysis *A, FILE *f)
{
    const StayStats *s = &A->stay;
    if (A->stay_ok) {
        fprintf(f, "stay: p(stay|win) ");
        wilson(f, s->p_stay_win, s->win_ci, s->n_win);
        fprintf(f, ", p(stay|loss) ");
        wilson(f, s->p_stay_loss, s->loss_ci, s->n_loss);
        fprintf(f, ", 95%% Wilson\n");
    }
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
            fprintf(f, "  per episode (n = %d): alpha mean %s sd %s median %s; beta mean %s sd %s median %s\n",
                   A->rw_sum.n_fitted, num_text(A->rw_sum.alpha_mean, 3, 'f').s, num_text(A->rw_sum.alpha_sd, 3, 'f').s,
                   num_text(A->rw_sum.alpha_median, 3, 'f').s, num_text(A->rw_sum.beta_mean, 3, 'g').s,
                   num_text(A->rw_sum.beta_sd, 3, 'g').s, num_text(A->rw_sum.beta_median, 3, 'g').s);
        if (A->rec_ok)
            fprintf(f, "  recovery: simulated at the fit on %s, refitted: alpha %s, beta %s\n", A->rec_env,
                   num_pm(A->rec.alpha, A->rec.alpha_se, 3, 3, 'f').s, num_pm(A->rec.beta, A->rec.beta_se, 3, 2, 'g').s);
    }
}

/* "-0.100 (± 0.020)" or "+1.220 (± 0.030)" (signed), the SE dropped when undefined */
static NumText signed_pm(double v, double se, int with_sign)
{
    NumText t;
    if (!isfinite(v)) snprintf(t.s, sizeof t.s, "-");
    else if (!isfinite(se)) snprintf(t.s, sizeof t.s, with_sign ? "%+.3f" : "%.3f", v);
    else snprintf(t.s, sizeof t.s, with_sign ? "%+.3f (± %.3f)" : "%.3f (± %.3f)", v, se);
    return t;
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
            col(f, 6, 3, A->rev.accuracy[lags[i] - BEHAVIOR_REV_LAG_MIN]);
        fputc('\n', f);
        if (A->crit_ok)
            fprintf(f, "  trials to criterion (%d of %d correct): mean %s, median %s; reached after %ld of %ld reversals\n",
                   A->crit.k, A->crit.n, num_text(A->crit.mean, 2, 'f').s, num_text(A->crit.median, 1, 'f').s,
                   A->crit.n_reached, A->crit.n_reversals);
    }
    if (A->vol_ok) {
        const RwVolatilityFit *v = &A->vol;
        fprintf(f, "learning rate vs volatility (W = %d): alpha volatile %s (%ld trials), stable %s (%ld), episode start "
               "%s (%ld); beta %s\n",
               v->window, num_pm(v->alpha_volatile, v->alpha_volatile_se, 3, 3, 'f').s, v->n_volatile,
               num_pm(v->alpha_stable, v->alpha_stable_se, 3, 3, 'f').s, v->n_stable,
               num_pm(v->alpha_start, v->alpha_start_se, 3, 3, 'f').s, v->n_start, num_pm(v->beta, v->beta_se, 3, 2, 'g').s);
    }
    if (A->rpe_ok) {
        const NeuralRpe *p = &A->rpe;
        const OlsFit *fit = &p->fit;
        fprintf(f, "RPE delta: after reward %s (n = %ld), after no reward %s (n = %ld)\n",
               num_pm(p->mean_rewarded, p->se_rewarded, 3, 3, 'f').s, p->n_rewarded,
               num_pm(p->mean_unrewarded, p->se_unrewarded, 3, 3, 'f').s, p->n_unrewarded);
        if (!isfinite(fit->coef[RPE_REWARD]))
            fprintf(f, "  delta ~ r + V: not estimable from %d trials\n", fit->n);
        else
            fprintf(f, "  delta ~ r + V: b_r %s (t = %s), b_V %s (t = %s), intercept %s, R2 %s\n",
                    num_pm(fit->coef[RPE_REWARD], fit->se[RPE_REWARD], 3, 3, 'f').s, num_text(fit->tstat[RPE_REWARD], 1, 'f').s,
                    num_pm(fit->coef[RPE_VALUE], fit->se[RPE_VALUE], 3, 3, 'f').s, num_text(fit->tstat[RPE_VALUE], 1, 'f').s,
                    num_text(fit->coef[RPE_INTERCEPT], 3, 'f').s, num_text(fit->r2, 3, 'f').s);
        const OlsFit *o = &p->fit_obs;
        const char *obs = p->obs.kind == NEURAL_OBS_REVERSAL ? "reversal" : "bandit";
        if (o->n > 0 && !isfinite(o->coef[RPE_REWARD]))
            fprintf(f, "  delta ~ r + E[r] (the ideal %s observer's expected reward of the chosen arm): not estimable from "
                       "%d trials\n", obs, o->n);
        else if (o->n > 0)
            fprintf(f, "  delta ~ r + E[r] (the ideal %s observer's expected reward of the chosen arm): "
                       "delta = %s %s r %s E[r], R2 %s, n = %d\n",
                    obs, signed_pm(o->coef[RPE_INTERCEPT], o->se[RPE_INTERCEPT], 0).s,
                    signed_pm(o->coef[RPE_REWARD], o->se[RPE_REWARD], 1).s,
                    signed_pm(o->coef[RPE_EXPECT], o->se[RPE_EXPECT], 1).s, num_text(o->r2, 3, 'f').s, o->n);
        const NeuralInferred *q = &p->inferred;
        if (q->n_switches > 0) {
            const OlsFit *g = &q->fit;
            fprintf(f, "  inferred value: first switch to the new good arm after %ld reversals (observer E[r] %s): "
                       "delta %s rewarded (n = %ld), %s not (n = %ld); later trials of that arm %s, %s\n",
                    q->n_switches, num_text(q->switch_expect, 3, 'f').s, num_pm(q->switch_mean[1], q->switch_se[1], 3, 3, 'f').s,
                    q->n_switch[1], num_pm(q->switch_mean[0], q->switch_se[0], 3, 3, 'f').s, q->n_switch[0],
                    num_pm(q->later_mean[1], q->later_se[1], 3, 3, 'f').s, num_pm(q->later_mean[0], q->later_se[0], 3, 3, 'f').s);
            if (!isfinite(g->coef[INF_REWARD]))
                fprintf(f, "    delta ~ r + E_inferred + r_last_experienced: not estimable from %d switches\n", g->n);
            else
                fprintf(f, "    delta ~ r + E_inferred + r_last_experienced: b_r %s, b_E %s, b_last %s\n",
                        num_pm(g->coef[INF_REWARD], g->se[INF_REWARD], 3, 3, 'f').s,
                        num_pm(g->coef[INF_EXPECT], g->se[INF_EXPECT], 3, 3, 'f').s,
                        num_pm(g->coef[INF_LAST], g->se[INF_LAST], 3, 3, 'f').s);
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
    for (int c = 0; c < TS_N_CELLS; c++) {
        if (!isfinite(s->p[c])) fprintf(f, " %19s", "-");
        else if (!isfinite(s->se[c])) fprintf(f, "      %6.3f       ", s->p[c]);
        else fprintf(f, "      %6.3f±%-6.4f", s->p[c], s->se[c]);
    }
    fprintf(f, "\n  %-22s", "pairs");
    for (int c = 0; c < TS_N_CELLS; c++) fprintf(f, " %19ld", s->n[c]);
    fprintf(f, "\n  %-22s", "per episode median");
    for (int c = 0; c < TS_N_CELLS; c++) col(f, 19, 3, s->ep_median[c]);
    fprintf(f, "\n  %-22s", "  IQR");
    for (int c = 0; c < TS_N_CELLS; c++) {
        if (isfinite(s->ep_q25[c])) fprintf(f, "       [%5.3f,%5.3f]", s->ep_q25[c], s->ep_q75[c]);
        else fprintf(f, " %19s", "-");
    }
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
            fprintf(f, "  %-16.0f %14s %10s %10s\n", b->episode[i], num_text(b->reward[i], 3, 'f').s,
                    num_text(b->p_best[i], 3, 'f').s, num_text(b->regret[i], 3, 'f').s);
    }
    fputc('\n', f);
    return ferror(f) ? -1 : 0;
}
