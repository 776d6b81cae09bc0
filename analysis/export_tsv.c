/* analysis/export_tsv.c: the TSV files of `metarl analyze` (see export.h).
**
** Each file is written to ".run<ID>_<name>.tsv.tmp<PID>" in the directory and
** renamed into place once it is complete and flushed; a failure removes the
** temporary file and keeps the first message in ExportDir.err. The writers
** are grouped by family (behaviour, reversals, RPE, neural, summary) and run
** in a fixed order, so the files and the count are the same for every call.
*/
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "analysis/behavior.h"
#include "analysis/export.h"
#include "analysis/neural.h"
#include "analysis/rwfit.h"
#include "analysis/twostep.h"

typedef struct Tsv {
    FILE *f;
    char path[4096], tmp[4200];
} Tsv;

void export_dir_init(ExportDir *o, const char *dir)
{
    memset(o, 0, sizeof *o);
    o->dir = dir;
}

static void dir_fail(ExportDir *o, const char *path, const char *what)
{
    if (!o->failed) snprintf(o->err, sizeof o->err, "%s: %s (%s)", path, what, strerror(errno));
    o->failed = 1;
}

static FILE *tsv_open(ExportDir *o, Tsv *t, const char *name)
{
    snprintf(t->path, sizeof t->path, "%s/run%lld_%s.tsv", o->dir, (long long)o->run, name);
    snprintf(t->tmp, sizeof t->tmp, "%s/.run%lld_%s.tsv.tmp%ld", o->dir, (long long)o->run, name, (long)getpid());
    t->f = fopen(t->tmp, "w");
    if (!t->f) dir_fail(o, t->tmp, "cannot write");
    return t->f;
}

static void tsv_close(ExportDir *o, Tsv *t)
{
    if (!t->f) return;
    int bad = ferror(t->f);
    if (fclose(t->f) != 0) bad = 1;
    t->f = NULL;
    if (bad || rename(t->tmp, t->path) != 0) {
        dir_fail(o, t->path, "write failed");
        unlink(t->tmp);
        return;
    }
    o->n_files++;
}

static void put(FILE *f, double v, int last)
{
    if (isnan(v)) fputs("NaN", f);
    else fprintf(f, "%.9g", v);
    fputc(last ? '\n' : '\t', f);
}

static void put_int(FILE *f, long v, int last) { fprintf(f, "%ld%c", v, last ? '\n' : '\t'); }

static void summary_row(FILE *f, const char *key, double v, double se)
{
    fprintf(f, "%s\t", key);
    put(f, v, 0);
    put(f, se, 1);
}

/* curve, stay, regression, rw_episodes */
static void tsv_behavior(const RunAnalysis *A, ExportDir *o)
{
    Tsv t;
    FILE *f;
    const BehaviorCurves *c = A->curves;
    if (c && (f = tsv_open(o, &t, "curve"))) {
        fprintf(f, "t\tn\treward\treward_se\tn_best\tp_best\tp_best_se\tn_regret\tregret\tregret_se\n");
        for (int i = 0; i < c->n_trials; i++) {
            put_int(f, i, 0);
            put_int(f, c->n_reward[i], 0);
            put(f, c->reward_mean[i], 0);
            put(f, c->reward_se[i], 0);
            put_int(f, c->n_best[i], 0);
            put(f, c->best_mean[i], 0);
            put(f, c->best_se[i], 0);
            put_int(f, c->n_regret[i], 0);
            put(f, c->regret_mean[i], 0);
            put(f, c->regret_se[i], 1);
        }
        tsv_close(o, &t);
    }
    if (A->stay_ok && (f = tsv_open(o, &t, "stay"))) {
        const StayStats *s = &A->stay;
        fprintf(f, "after\tpairs\tstays\tp_stay\tci_lo\tci_hi\n");
        fprintf(f, "win\t%ld\t%ld\t", s->n_win, s->stay_win);
        put(f, s->p_stay_win, 0);
        put(f, s->win_ci[0], 0);
        put(f, s->win_ci[1], 1);
        fprintf(f, "loss\t%ld\t%ld\t", s->n_loss, s->stay_loss);
        put(f, s->p_stay_loss, 0);
        put(f, s->loss_ci[0], 0);
        put(f, s->loss_ci[1], 1);
        tsv_close(o, &t);
    }
    if (A->lg_ok && (f = tsv_open(o, &t, "regression"))) {
        const LauGlimcherFit *g = &A->lg;
        fprintf(f, "lag\trewarded\trewarded_se\trewarded_lo\trewarded_hi\tunrewarded\tunrewarded_se\tunrewarded_lo\t"
                   "unrewarded_hi\n");
        for (int k = 0; k < g->lags; k++) {
            put_int(f, k + 1, 0);
            put(f, g->rewarded[k], 0);
            put(f, g->rewarded_se[k], 0);
            put(f, g->rewarded[k] - 1.96 * g->rewarded_se[k], 0);
            put(f, g->rewarded[k] + 1.96 * g->rewarded_se[k], 0);
            put(f, g->unrewarded[k], 0);
            put(f, g->unrewarded_se[k], 0);
            put(f, g->unrewarded[k] - 1.96 * g->unrewarded_se[k], 0);
            put(f, g->unrewarded[k] + 1.96 * g->unrewarded_se[k], 1);
        }
        tsv_close(o, &t);
    }
    if (A->rw_eps_ok && (f = tsv_open(o, &t, "rw_episodes"))) {
        fprintf(f, "episode\tsubject\ttrials\talpha\talpha_se\tbeta\tbeta_se\tnll\n");
        for (int i = 0; i < A->n_rw_eps; i++) {   /* n_eps, unless rw_eps_max cut the fits short */
            const RwFit *r = &A->rw_eps[i];
            fprintf(f, "%d\t%s\t%ld\t", i, A->eps[i]->subject[0] ? A->eps[i]->subject : "-", r->n_trials);
            put(f, r->alpha, 0);
            put(f, r->alpha_se, 0);
            put(f, r->beta, 0);
            put(f, r->beta_se, 0);
            put(f, r->nll, 1);
        }
        tsv_close(o, &t);
    }
}

/* reversal, criterion, volatility */
static void tsv_reversals(const RunAnalysis *A, ExportDir *o)
{
    Tsv t;
    FILE *f;
    if (A->rev_ok && (f = tsv_open(o, &t, "reversal"))) {
        fprintf(f, "lag\treversals\taccuracy\tse\tlo\thi\n");
        for (int i = 0; i < BEHAVIOR_REV_N_LAGS; i++) {
            double m = A->rev.accuracy[i], se = A->rev.se[i];
            put_int(f, behavior_rev_lag(i), 0);
            put_int(f, A->rev.n[i], 0);
            put(f, m, 0);
            put(f, se, 0);
            put(f, m - 1.96 * se, 0);
            put(f, m + 1.96 * se, 1);
        }
        tsv_close(o, &t);
    }
    if (A->crit_ok && (f = tsv_open(o, &t, "criterion"))) {
        fprintf(f, "reversal\ttrials_to_criterion\n");
        for (long i = 0; i < A->n_reversals; i++) {
            put_int(f, i, 0);
            put(f, A->crit_per[i], 1);
        }
        tsv_close(o, &t);
    }
    if (A->vol_ok && (f = tsv_open(o, &t, "volatility"))) {
        const RwVolatilityFit *v = &A->vol;
        fprintf(f, "class\ttrials\talpha\talpha_se\tbeta\tbeta_se\n");
        const char *names[3] = { "volatile", "stable", "start" };
        const long ns[3] = { v->n_volatile, v->n_stable, v->n_start };
        const double al[3] = { v->alpha_volatile, v->alpha_stable, v->alpha_start };
        const double se[3] = { v->alpha_volatile_se, v->alpha_stable_se, v->alpha_start_se };
        for (int k = 0; k < 3; k++) {
            fprintf(f, "%s\t%ld\t", names[k], ns[k]);
            put(f, al[k], 0);
            put(f, se[k], 0);
            put(f, v->beta, 0);
            put(f, v->beta_se, 1);
        }
        tsv_close(o, &t);
    }
}

/* rpe, rpe_outcome, rpe_reversal */
static void tsv_rpe(const RunAnalysis *A, ExportDir *o)
{
    Tsv t;
    FILE *f;
    if (A->rpe_ok) {
        const NeuralRpe *p = &A->rpe;
        if ((f = tsv_open(o, &t, "rpe"))) {
            fprintf(f, "term\tcoef\tse\tt\tp\n");
            const char *names[RPE_N] = { "intercept", "reward", "value" };
            for (int k = 0; k < RPE_N; k++) {
                fprintf(f, "%s\t", names[k]);
                put(f, p->fit.coef[k], 0);
                put(f, p->fit.se[k], 0);
                put(f, p->fit.tstat[k], 0);
                put(f, p->fit.pval[k], 1);
            }
            tsv_close(o, &t);
        }
        if ((f = tsv_open(o, &t, "rpe_outcome"))) {
            fprintf(f, "rewarded\tn\tdelta\tse\n");
            fprintf(f, "0\t%ld\t", p->n_unrewarded);
            put(f, p->mean_unrewarded, 0);
            put(f, p->se_unrewarded, 1);
            fprintf(f, "1\t%ld\t", p->n_rewarded);
            put(f, p->mean_rewarded, 0);
            put(f, p->se_rewarded, 1);
            tsv_close(o, &t);
        }
        if (A->n_reversals > 0 && (f = tsv_open(o, &t, "rpe_reversal"))) {
            fprintf(f, "lag\tn\tdelta\tse\n");
            for (int i = 0; i < BEHAVIOR_REV_N_LAGS; i++) {
                put_int(f, behavior_rev_lag(i), 0);
                put_int(f, p->rev_n[i], 0);
                put(f, p->rev_mean[i], 0);
                put(f, p->rev_se[i], 1);
            }
            tsv_close(o, &t);
        }
        if (p->fit_obs.n > 0 && (f = tsv_open(o, &t, "rpe_observer"))) {
            fprintf(f, "term\tcoef\tse\tt\tp\n");
            const char *names[RPE_N] = { "intercept", "reward", "observer_expected_reward" };
            for (int k = 0; k < RPE_N; k++) {
                fprintf(f, "%s\t", names[k]);
                put(f, p->fit_obs.coef[k], 0);
                put(f, p->fit_obs.se[k], 0);
                put(f, p->fit_obs.tstat[k], 0);
                put(f, p->fit_obs.pval[k], 1);
            }
            tsv_close(o, &t);
        }
        const NeuralInferred *q = &p->inferred;
        if (q->n_switches > 0 && (f = tsv_open(o, &t, "rpe_inferred"))) {
            fprintf(f, "trials\trewarded\tn\tdelta\tse\n");
            for (int k = 0; k < 4; k++) {
                int r = k % 2, later = k / 2;
                fprintf(f, "%s\t%d\t%ld\t", later ? "later" : "first_switch", r, later ? q->n_later[r] : q->n_switch[r]);
                put(f, later ? q->later_mean[r] : q->switch_mean[r], 0);
                put(f, later ? q->later_se[r] : q->switch_se[r], 1);
            }
            tsv_close(o, &t);
        }
        if (q->n_switches > 0 && (f = tsv_open(o, &t, "rpe_inferred_fit"))) {
            fprintf(f, "term\tcoef\tse\tt\tp\n");
            const char *names[INF_N] = { "intercept", "reward", "observer_expected_reward", "last_reward_of_arm" };
            for (int k = 0; k < INF_N; k++) {
                fprintf(f, "%s\t", names[k]);
                put(f, q->fit.coef[k], 0);
                put(f, q->fit.se[k], 0);
                put(f, q->fit.tstat[k], 0);
                put(f, q->fit.pval[k], 1);
            }
            tsv_close(o, &t);
        }
    }
}

/* pca_variance, pca_scores, decoding, selectivity */
static void tsv_neural(const RunAnalysis *A, ExportDir *o)
{
    Tsv t;
    FILE *f;
    const NeuralPca *pc = A->pca;
    if (pc && (f = tsv_open(o, &t, "pca_variance"))) {
        fprintf(f, "component\teigenvalue\texplained\tcumulative\n");
        double cum = 0.0;
        for (int k = 0; k < pc->n_units; k++) {
            cum += pc->explained[k];
            put_int(f, k + 1, 0);
            put(f, pc->eigenvalues[k], 0);
            put(f, pc->explained[k], 0);
            put(f, cum, 1);
        }
        tsv_close(o, &t);
    }
    if (pc && (f = tsv_open(o, &t, "pca_scores"))) {
        fprintf(f, "episode\tt\taction\treward\tp0\tp1\tbest\tblock\tsince_reversal\tbelief\tvalue\trpe");
        for (int k = 0; k < pc->k; k++) fprintf(f, "\tpc%d", k + 1);
        fputc('\n', f);
        for (long r = 0; r < pc->n_rows; r++) {
            const TrialRecord *tr = &A->eps[pc->episode[r]]->trials[pc->t[r]];
            put_int(f, pc->episode[r], 0);
            put_int(f, pc->t[r], 0);
            put_int(f, tr->action, 0);
            put(f, tr->action >= 0 ? tr->reward : NAN, 0);
            put(f, tr->truth.p[0], 0);
            put(f, tr->truth.p[1], 0);
            put_int(f, tr->truth.best, 0);
            put_int(f, tr->truth.block, 0);
            put_int(f, tr->truth.since_reversal, 0);
            put(f, A->belief ? A->belief[r] : NAN, 0);
            put(f, tr->value, 0);
            put(f, tr->rpe, pc->k == 0);
            for (int k = 0; k < pc->k; k++) put(f, pc->scores[(size_t)r * pc->k + k], k == pc->k - 1);
        }
        tsv_close(o, &t);
    }
    if (pc && (f = tsv_open(o, &t, "decoding"))) {
        fprintf(f, "target\trows\tepisodes\tfolds\tlambda\tr2\tnull_mean\tnull_p95\tshuffles\tr2_fold_sd\tnull_p05\t"
                   "above_null\n");
        for (int k = 0; k < RA_N_TARGETS; k++) {
            if (!A->dec_ok[k]) continue;
            const NeuralDecode *d = &A->dec[k];
            fprintf(f, "%s\t%ld\t%d\t%d\t", ra_target_names[k], d->n_rows, d->n_episodes, d->n_folds);
            put(f, d->lambda, 0);
            put(f, d->r2, 0);
            put(f, d->null_mean, 0);
            put(f, d->null_p95, 0);
            put_int(f, d->n_shuffles, 0);
            put(f, d->fold_sd, 0);
            put(f, d->null_p05, 0);
            put_int(f, neural_decode_above_null(d), 1);
        }
        tsv_close(o, &t);
    }
    if (A->sel && A->sel->n_rows > 0 && (f = tsv_open(o, &t, "selectivity"))) {
        const NeuralSelectivity *s = A->sel;
        const char *names[SEL_N] = { "intercept", "action", "reward", "interaction" };
        fprintf(f, "unit");
        for (int j = 0; j < SEL_N; j++) fprintf(f, "\tb_%s\tt_%s\tp_%s", names[j], names[j], names[j]);
        fputc('\n', f);
        for (int u = 0; u < s->n_units; u++) {
            put_int(f, u, 0);
            for (int j = 0; j < SEL_N; j++) {
                put(f, s->coef[u * SEL_N + j], 0);
                put(f, s->tstat[u * SEL_N + j], 0);
                put(f, s->pval[u * SEL_N + j], j == SEL_N - 1);
            }
        }
        tsv_close(o, &t);
    }
}

/* two-step: twostep_stay, twostep_regression, twostep_lagged */
static void tsv_twostep(const RunAnalysis *A, ExportDir *o)
{
    Tsv t;
    FILE *f;
    if (A->ts_stay_ok && (f = tsv_open(o, &t, "twostep_stay"))) {
        const TwoStepStay *s = &A->ts_stay;
        fprintf(f, "cell\tpairs\tstays\tp_stay\tse\tci_lo\tci_hi\tepisodes\tepisode_median\tepisode_q25\tepisode_q75\n");
        for (int c = 0; c < TS_N_CELLS; c++) {
            fprintf(f, "%s\t", twostep_cell_names[c]);
            put_int(f, s->n[c], 0);
            put_int(f, s->stays[c], 0);
            put(f, s->p[c], 0);
            put(f, s->se[c], 0);
            put(f, s->ci[c][0], 0);
            put(f, s->ci[c][1], 0);
            put_int(f, s->n_eps[c], 0);
            put(f, s->ep_median[c], 0);
            put(f, s->ep_q25[c], 0);
            put(f, s->ep_q75[c], 1);
        }
        tsv_close(o, &t);
    }
    if (A->ts_reg_ok && (f = tsv_open(o, &t, "twostep_regression"))) {
        const TwoStepRegression *r = &A->ts_reg;
        fprintf(f, "term\tcoef\tse\n");
        summary_row(f, "intercept", r->intercept, r->intercept_se);
        summary_row(f, "reward", r->reward, r->reward_se);
        summary_row(f, "transition", r->transition, r->transition_se);
        summary_row(f, "interaction", r->interaction, r->interaction_se);
        tsv_close(o, &t);
    }
    if (A->ts_lag_ok && (f = tsv_open(o, &t, "twostep_lagged"))) {
        const TwoStepLagged *L = &A->ts_lag;
        fprintf(f, "lag\tchoice\tchoice_se\treward\treward_se\ttransition\ttransition_se\tinteraction\tinteraction_se\n");
        for (int k = 0; k < L->lags; k++) {
            put_int(f, k + 1, 0);
            put(f, L->choice[k], 0);
            put(f, L->choice_se[k], 0);
            put(f, L->reward[k], 0);
            put(f, L->reward_se[k], 0);
            put(f, L->transition[k], 0);
            put(f, L->transition_se[k], 0);
            put(f, L->interaction[k], 0);
            put(f, L->interaction_se[k], 1);
        }
        tsv_close(o, &t);
    }
}

/* summary: every scalar, with its SE where there is one */
static void tsv_summary(const RunAnalysis *A, ExportDir *o)
{
    Tsv t;
    FILE *f;
    if ((f = tsv_open(o, &t, "summary"))) {
        const Summary *s = &A->summary;
        fprintf(f, "key\tvalue\tse\n");
        summary_row(f, "episodes", (double)A->n_eps, NAN);
        summary_row(f, "trials", (double)s->trials, NAN);
        summary_row(f, "reward_per_trial", s->reward_per_trial.n ? s->reward_per_trial.mean : NAN,
                    moments_se(&s->reward_per_trial));
        summary_row(f, "p_best", s->p_best.n ? s->p_best.mean : NAN, moments_se(&s->p_best));
        summary_row(f, "regret", s->regret.n ? s->regret.mean : NAN, moments_se(&s->regret));
        summary_row(f, "p_stay_win", A->stay.p_stay_win, NAN);
        summary_row(f, "p_stay_loss", A->stay.p_stay_loss, NAN);
        summary_row(f, "regression_intercept", A->lg.intercept, A->lg.intercept_se);
        summary_row(f, "regression_n", A->lg.fit.n, NAN);
        summary_row(f, "regression_loglik", A->lg.fit.loglik, NAN);
        summary_row(f, "regression_converged", A->lg.fit.converged, NAN);
        summary_row(f, "rw_alpha", A->rw.alpha, A->rw.alpha_se);
        summary_row(f, "rw_beta", A->rw.beta, A->rw.beta_se);
        summary_row(f, "rw_nll", A->rw.nll, NAN);
        summary_row(f, "rw_episodes_alpha_mean", A->rw_sum.alpha_mean, A->rw_sum.alpha_sd);
        summary_row(f, "rw_episodes_beta_mean", A->rw_sum.beta_mean, A->rw_sum.beta_sd);
        summary_row(f, "rw_recovered_alpha", A->rec_ok ? A->rec.alpha : NAN, A->rec_ok ? A->rec.alpha_se : NAN);
        summary_row(f, "rw_recovered_beta", A->rec_ok ? A->rec.beta : NAN, A->rec_ok ? A->rec.beta_se : NAN);
        summary_row(f, "reversals", (double)A->n_reversals, NAN);
        summary_row(f, "trials_to_criterion_mean", A->crit_ok ? A->crit.mean : NAN, NAN);
        summary_row(f, "trials_to_criterion_median", A->crit_ok ? A->crit.median : NAN, NAN);
        summary_row(f, "alpha_volatile", A->vol.alpha_volatile, A->vol.alpha_volatile_se);
        summary_row(f, "alpha_stable", A->vol.alpha_stable, A->vol.alpha_stable_se);
        summary_row(f, "rpe_b_reward", A->rpe.fit.coef[RPE_REWARD], A->rpe.fit.se[RPE_REWARD]);
        summary_row(f, "rpe_b_value", A->rpe.fit.coef[RPE_VALUE], A->rpe.fit.se[RPE_VALUE]);
        for (int c = 0; c < TS_N_CELLS && A->ts_stay_ok; c++) {   /* two-step runs only */
            char key[64];
            snprintf(key, sizeof key, "twostep_stay_%s", twostep_cell_names[c]);
            summary_row(f, key, A->ts_stay.p[c], A->ts_stay.se[c]);
        }
        if (A->ts_reg_ok) {
            summary_row(f, "twostep_reward", A->ts_reg.reward, A->ts_reg.reward_se);
            summary_row(f, "twostep_interaction", A->ts_reg.interaction, A->ts_reg.interaction_se);
        }
        tsv_close(o, &t);
    }
}

int export_tsv_run(const RunAnalysis *A, ExportDir *o)
{
    if (A->n_eps == 0) return o->failed ? -1 : 0;
    tsv_behavior(A, o);
    tsv_reversals(A, o);
    tsv_rpe(A, o);
    tsv_neural(A, o);
    tsv_twostep(A, o);
    tsv_summary(A, o);
    return o->failed ? -1 : 0;
}

int export_tsv_training(const TrainRow *rows, int n, ExportDir *o)
{
    Tsv t;
    FILE *f;
    if (n > 0 && (f = tsv_open(o, &t, "training"))) {
        int w = n / 50 > 1 ? n / 50 : 1;   /* trailing moving average over ~2% of the run */
        fprintf(f, "episode\treward\tregret\tp_best\tloss_policy\tloss_value\tentropy\tgrad_norm\tbeta_e\twall_s\t"
                   "reward_avg\tp_best_avg\tregret_avg\n");
        double sr = 0.0, sb = 0.0, sg = 0.0;
        for (int i = 0; i < n; i++) {
            const TrainRow *x = &rows[i];
            sr += x->reward;
            sb += x->p_best;
            sg += x->regret;
            if (i >= w) {
                sr -= rows[i - w].reward;
                sb -= rows[i - w].p_best;
                sg -= rows[i - w].regret;
            }
            int m = i + 1 < w ? i + 1 : w;
            put_int(f, (long)x->episode, 0);
            put(f, x->reward, 0);
            put(f, x->regret, 0);
            put(f, x->p_best, 0);
            put(f, x->loss_policy, 0);
            put(f, x->loss_value, 0);
            put(f, x->entropy, 0);
            put(f, x->grad_norm, 0);
            put(f, x->beta_e, 0);
            put(f, x->wall_s, 0);
            put(f, sr / m, 0);
            put(f, sb / m, 0);
            put(f, sg / m, 1);
        }
        tsv_close(o, &t);
    }
    return o->failed ? -1 : 0;
}
