/* cli/cmd_analyze.c: `metarl analyze DB`: the behavioural and neural
** analyses of every run (or the chosen ones), as tables, TSV files and JSON.
**
** For each test, baseline or import run the episodes are read once (with the
** unit rates, if stored) and handed to analysis/behavior.h, analysis/rwfit.h
** and analysis/neural.h through cli/analysis_run.h (which `metarl plot`
** shares); a train run contributes its training curve only.
** The same numbers go three ways:
**   stdout   readable tables (or, with --json, one JSON object per run and line);
**   TSV      one file per analysis in --out DIR (default: DB's name with
**            ".analysis" for its extension, beside it: results/demo.db ->
**            results/demo.analysis/), named run<ID>_<analysis>.tsv, a header
**            row, tab-separated, NaN for unknown; each written to a temporary
**            file and renamed, so a reader never sees half a file. These are
**            what the plotting command draws:
**     run<ID>_training.tsv     train runs: every training row + moving averages
**     run<ID>_curve.tsv        t, n, reward mean/SE, P(best) n/mean/SE, cumulative regret n/mean/SE
**     run<ID>_stay.tsv         after (win|loss): pairs, stays, p_stay, Wilson 95% lo/hi
**     run<ID>_regression.tsv   lag, rewarded (+SE, 95% lo/hi), unrewarded (+SE, lo/hi)
**     run<ID>_rw_episodes.tsv  per-episode RW fits: episode, subject, trials, alpha(+SE), beta(+SE), nll
**     run<ID>_reversal.tsv     lag, reversals, accuracy, SE, lo/hi (mean +- 1.96 SE)
**     run<ID>_criterion.tsv    per reversal: index, trials to criterion (NaN = censored)
**     run<ID>_volatility.tsv   class (volatile|stable|start), trials, alpha, SE, beta, SE
**     run<ID>_pca_variance.tsv component, eigenvalue, explained, cumulative
**     run<ID>_pca_scores.tsv   episode, t, action, reward, truth, belief, value, rpe, pc1..pcK
**     run<ID>_decoding.tsv     target, rows, episodes, folds, lambda, r2, null_mean, null_p95, shuffles
**     run<ID>_selectivity.tsv  unit, coefficient/t/p for intercept, action, reward, interaction
**     run<ID>_rpe.tsv          term (intercept|reward|value), coef, SE, t, p
**     run<ID>_rpe_outcome.tsv  rewarded (0|1), n, mean delta, SE
**     run<ID>_rpe_reversal.tsv lag, n, mean delta, SE
**     run<ID>_summary.tsv      key, value, se: every scalar above
**
** Bad input (unreadable or foreign file, unknown run, bad --lags/--ridge)
** is reported before anything is written: one "metarl: ..." line, exit 2.
** Reading uses store_read_episodes, one read transaction per run; in WAL
** mode a concurrent writer is never blocked by it.
*/
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/behavior.h"
#include "analysis/neural.h"
#include "analysis/rwfit.h"
#include "analysis/run_analysis.h"
#include "cli/cli.h"
#include "core/json.h"
#include "core/store.h"
#include "core/summary.h"

#define MAX_RUNS 256

static const CmdFlag analyze_flags[] = {
    { "run", "ID", "run to analyse; repeat for several (default: every run in the file)" },
    { "json", NULL, "print one JSON object per run (one per line) instead of the tables" },
    { "out", "DIR", "directory for the TSV files (default: DB's name with .analysis, beside it)" },
    { "lags", "K", "history length of the reward-history regression, 1..20 (default 5)" },
    { "ridge", "L", "ridge penalty of that regression, >= 0 (default 0)" },
    { NULL, NULL, NULL }
};

/* ---- small helpers ------------------------------------------------------------ */

/* results/demo.db -> results/demo.analysis */
static void default_out_dir(const char *db, char *out, size_t n)
{
    snprintf(out, n, "%s", db);
    char *slash = strrchr(out, '/');
    char *base = slash ? slash + 1 : out;
    char *dot = strrchr(base, '.');
    if (dot && dot != base) *dot = '\0';
    size_t len = strlen(out);
    snprintf(out + len, n - len, ".analysis");
}

/* ---- TSV files ---------------------------------------------------------------- */

typedef struct Tsv {
    FILE *f;
    char path[4096], tmp[4200];
} Tsv;

typedef struct Out {
    const char *dir;
    int64_t run;
    int n_files;
    int failed;
} Out;

static FILE *tsv_open(Out *o, Tsv *t, const char *name)
{
    snprintf(t->path, sizeof t->path, "%s/run%lld_%s.tsv", o->dir, (long long)o->run, name);
    snprintf(t->tmp, sizeof t->tmp, "%s/.run%lld_%s.tsv.tmp%ld", o->dir, (long long)o->run, name, (long)getpid());
    t->f = fopen(t->tmp, "w");
    if (!t->f) {
        if (!o->failed) cli_error("%s: cannot write (%s)", t->tmp, strerror(errno));
        o->failed = 1;
    }
    return t->f;
}

static void tsv_close(Out *o, Tsv *t)
{
    if (!t->f) return;
    int bad = ferror(t->f);
    if (fclose(t->f) != 0) bad = 1;
    t->f = NULL;
    if (bad || rename(t->tmp, t->path) != 0) {
        if (!o->failed) cli_error("%s: write failed (%s)", t->path, strerror(errno));
        o->failed = 1;
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

/* ---- tables -------------------------------------------------------------------- */

static void pm(const char *label, double v, double se)
{
    if (isnan(se)) printf("%s %.4g", label, v);
    else printf("%s %.4g ± %.2g", label, v, se);
}

/* "  1.234±0.012" in 14 columns; the SE left out when unknown. */
static void coef_se(double b, double se)
{
    if (isnan(se)) printf("  %6.3f      ", b);
    else printf("  %6.3f±%-5.3f", b, se);
}

static void print_curves(const RunAnalysis *A)
{
    const Summary *s = &A->summary;
    printf("learning curve: reward/trial %.4f ± %.4f", s->reward_per_trial.mean, moments_se(&s->reward_per_trial));
    if (s->p_best.n) printf(", P(best) %.4f ± %.4f", s->p_best.mean, moments_se(&s->p_best));
    if (s->regret.n) printf(", regret at T %.3f ± %.3f", s->regret.mean, moments_se(&s->regret));
    putchar('\n');
    const BehaviorCurves *c = A->curves;
    if (!c) return;
    static const int marks[] = { 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000 };
    int cols[16], nc = 0;
    for (size_t i = 0; i < sizeof marks / sizeof *marks; i++)
        if (marks[i] <= c->n_trials) cols[nc++] = marks[i];
    if (cols[nc - 1] != c->n_trials) cols[nc++] = c->n_trials;
    printf("  %-10s", "trial");
    for (int i = 0; i < nc; i++) printf(" %7d", cols[i]);
    printf("\n  %-10s", "reward");
    for (int i = 0; i < nc; i++) printf(" %7.3f", c->reward_mean[cols[i] - 1]);
    if (c->n_best[0] > 0) {
        printf("\n  %-10s", "P(best)");
        for (int i = 0; i < nc; i++) printf(" %7.3f", c->best_mean[cols[i] - 1]);
    }
    if (c->n_regret[0] > 0) {
        printf("\n  %-10s", "regret");
        for (int i = 0; i < nc; i++) printf(" %7.2f", c->regret_mean[cols[i] - 1]);
    }
    putchar('\n');
}

static void print_tables(const RunAnalysis *A, const int64_t *children, int n_children)
{
    const RunRow *r = A->row;
    long trials = A->summary.trials;
    printf("== run %lld: %s %s on %s, %d episode%s, %ld valid trials", (long long)r->run_id, r->kind, r->agent, r->task,
           A->n_eps, A->n_eps == 1 ? "" : "s", trials);
    if (n_children) {
        printf(" (beside it: run%s", n_children > 1 ? "s" : "");
        for (int i = 0; i < n_children; i++) printf("%s %lld", i ? "," : "", (long long)children[i]);
        putchar(')');
    }
    putchar('\n');
    if (A->n_eps == 0) {
        printf("no episodes stored yet\n\n");
        return;
    }
    print_curves(A);
    const StayStats *s = &A->stay;
    if (A->stay_ok)
        printf("stay: p(stay|win) %.3f [%.3f, %.3f] (n = %ld), p(stay|loss) %.3f [%.3f, %.3f] (n = %ld), 95%% Wilson\n",
               s->p_stay_win, s->win_ci[0], s->win_ci[1], s->n_win, s->p_stay_loss, s->loss_ci[0], s->loss_ci[1],
               s->n_loss);
    if (A->lg_ok) {
        const LauGlimcherFit *g = &A->lg;
        printf("reward-history regression (Lau & Glimcher 2005): K = %d, ridge %g, n = %d, log-lik %.1f, %s\n", g->lags,
               g->fit.lambda, g->fit.n, g->fit.loglik,
               g->fit.converged ? "converged" : g->fit.separated ? "NOT converged (separation)" : "NOT converged");
        printf("  %-11s", "lag");
        for (int k = 0; k < g->lags; k++) printf(" %13d", k + 1);
        printf("\n  %-11s", "rewarded");
        for (int k = 0; k < g->lags; k++) coef_se(g->rewarded[k], g->rewarded_se[k]);
        printf("\n  %-11s", "unrewarded");
        for (int k = 0; k < g->lags; k++) coef_se(g->unrewarded[k], g->unrewarded_se[k]);
        printf("\n  intercept (bias to action 1)");
        pm("", g->intercept, g->intercept_se);
        putchar('\n');
    }
    if (A->rw_ok) {
        printf("Rescorla-Wagner (pooled): ");
        pm("alpha", A->rw.alpha, A->rw.alpha_se);
        pm(", beta", A->rw.beta, A->rw.beta_se);
        printf("; -log-lik %.1f over %ld trials%s\n", A->rw.nll, A->rw.n_trials,
               A->rw.at_bound ? " (at the edge of the search box)" : "");
        if (A->rw_eps_ok)
            printf("  per episode (n = %d): alpha mean %.3f sd %.3f median %.3f; beta mean %.3g sd %.3g median %.3g\n",
                   A->rw_sum.n_fitted, A->rw_sum.alpha_mean, A->rw_sum.alpha_sd, A->rw_sum.alpha_median,
                   A->rw_sum.beta_mean, A->rw_sum.beta_sd, A->rw_sum.beta_median);
        if (A->rec_ok)
            printf("  recovery: simulated at the fit on %s, refitted: alpha %.3f ± %.3f, beta %.3g ± %.2g\n", A->rec_env,
                   A->rec.alpha, A->rec.alpha_se, A->rec.beta, A->rec.beta_se);
    }
    if (A->rev_ok) {
        static const int lags[] = { -10, -5, -2, -1, 0, 1, 2, 3, 5, 10, 15, 20 };
        printf("reversals: %ld; accuracy by lag (0 = first trial of the new block)\n  %-9s", A->n_reversals, "lag");
        for (size_t i = 0; i < sizeof lags / sizeof *lags; i++) printf(" %6d", lags[i]);
        printf("\n  %-9s", "accuracy");
        for (size_t i = 0; i < sizeof lags / sizeof *lags; i++)
            printf(" %6.3f", A->rev.accuracy[lags[i] - BEHAVIOR_REV_LAG_MIN]);
        putchar('\n');
        if (A->crit_ok)
            printf("  trials to criterion (%d of %d correct): mean %.2f, median %.1f; reached after %ld of %ld reversals\n",
                   A->crit.k, A->crit.n, A->crit.mean, A->crit.median, A->crit.n_reached, A->crit.n_reversals);
    }
    if (A->vol_ok) {
        const RwVolatilityFit *v = &A->vol;
        printf("learning rate vs volatility (W = %d): alpha volatile %.3f ± %.3f (%ld trials), stable %.3f ± %.3f "
               "(%ld), episode start %.3f ± %.3f (%ld); beta %.3g ± %.2g\n",
               v->window, v->alpha_volatile, v->alpha_volatile_se, v->n_volatile, v->alpha_stable, v->alpha_stable_se,
               v->n_stable, v->alpha_start, v->alpha_start_se, v->n_start, v->beta, v->beta_se);
    }
    if (A->rpe_ok) {
        const NeuralRpe *p = &A->rpe;
        const OlsFit *f = &p->fit;
        printf("RPE delta: after reward %.3f ± %.3f (n = %ld), after no reward %.3f ± %.3f (n = %ld)\n",
               p->mean_rewarded, p->se_rewarded, p->n_rewarded, p->mean_unrewarded, p->se_unrewarded, p->n_unrewarded);
        printf("  delta ~ r + V: b_r %.3f ± %.3f (t = %.1f), b_V %.3f ± %.3f (t = %.1f), intercept %.3f, R2 %.3f\n",
               f->coef[RPE_REWARD], f->se[RPE_REWARD], f->tstat[RPE_REWARD], f->coef[RPE_VALUE], f->se[RPE_VALUE],
               f->tstat[RPE_VALUE], f->coef[RPE_INTERCEPT], f->r2);
    }
    if (A->pca) {
        const NeuralPca *c = A->pca;
        printf("neural: %d prefrontal units, %ld trials\n  PCA variance explained:", c->n_units, c->n_rows);
        double cum = 0.0;
        for (int k = 0; k < 5 && k < c->n_units; k++) {
            cum += c->explained[k];
            printf(" PC%d %.3f", k + 1, c->explained[k]);
        }
        printf(" (cumulative %.3f)\n", cum);
        int any = 0;
        for (int k = 0; k < RA_N_TARGETS; k++) any |= A->dec_ok[k];
        if (any) {
            printf("  decoding (%d-fold CV by episode, ridge):  %-13s %7s %9s %9s %8s\n", A->dec[0].n_folds, "target",
                   "R2", "null mean", "null 95%", "lambda");
            for (int k = 0; k < RA_N_TARGETS; k++)
                if (A->dec_ok[k])
                    printf("  %41s %-13s %7.3f %9.3f %9.3f %8.2g\n", "", ra_target_names[k], A->dec[k].r2,
                           A->dec[k].null_mean, A->dec[k].null_p95, A->dec[k].lambda);
        }
        if (A->sel && A->sel->n_rows > 0)
            printf("  selectivity (rate ~ previous action, reward, product; p < %.2g): action %d/%d, reward %d/%d, "
                   "action x reward %d/%d units\n",
                   A->sel->level, A->sel->n_sig[SEL_ACTION], A->sel->n_units, A->sel->n_sig[SEL_REWARD], A->sel->n_units,
                   A->sel->n_sig[SEL_INTERACTION], A->sel->n_units);
    }
    putchar('\n');
}

/* ---- JSON ---------------------------------------------------------------------- */


static void emit_json(const RunAnalysis *A)
{
    const RunRow *r = A->row;
    Json j;
    json_init(&j, stdout);
    json_object_begin(&j);
    json_kint(&j, "run", r->run_id);
    json_kstr(&j, "kind", r->kind);
    json_kstr(&j, "name", r->name);
    json_kstr(&j, "agent", r->agent);
    json_kstr(&j, "task", r->task);
    summary_json(&A->summary, &j);
    const StayStats *s = &A->stay;
    json_knum(&j, "p_stay_win", s->p_stay_win);
    json_knums(&j, "p_stay_win_ci", s->win_ci, 2);
    json_kint(&j, "n_win", s->n_win);
    json_knum(&j, "p_stay_loss", s->p_stay_loss);
    json_knums(&j, "p_stay_loss_ci", s->loss_ci, 2);
    json_kint(&j, "n_loss", s->n_loss);
    json_knum(&j, "rw_alpha", A->rw.alpha);
    json_knum(&j, "rw_alpha_se", A->rw.alpha_se);
    json_knum(&j, "rw_beta", A->rw.beta);
    json_knum(&j, "rw_beta_se", A->rw.beta_se);
    json_knum(&j, "rw_nll", A->rw.nll);
    json_key(&j, "rw_episodes");
    json_object_begin(&j);
    json_kint(&j, "n", A->rw_sum.n_fitted);
    json_knum(&j, "alpha_mean", A->rw_sum.alpha_mean);
    json_knum(&j, "alpha_sd", A->rw_sum.alpha_sd);
    json_knum(&j, "alpha_median", A->rw_sum.alpha_median);
    json_knum(&j, "beta_mean", A->rw_sum.beta_mean);
    json_knum(&j, "beta_sd", A->rw_sum.beta_sd);
    json_knum(&j, "beta_median", A->rw_sum.beta_median);
    json_object_end(&j);
    if (A->rec_ok) {
        json_key(&j, "rw_recovery");
        json_object_begin(&j);
        json_knum(&j, "alpha", A->rec.alpha);
        json_knum(&j, "alpha_se", A->rec.alpha_se);
        json_knum(&j, "beta", A->rec.beta);
        json_knum(&j, "beta_se", A->rec.beta_se);
        json_object_end(&j);
    }
    const LauGlimcherFit *g = &A->lg;
    json_key(&j, "regression");
    json_object_begin(&j);
    int K = g->lags;
    double lagv[BEHAVIOR_MAX_LAGS];
    for (int k = 0; k < K; k++) lagv[k] = k + 1;
    json_knums(&j, "lags", lagv, K);
    json_knums(&j, "rewarded", g->rewarded, K);
    json_knums(&j, "unrewarded", g->unrewarded, K);
    json_knums(&j, "rewarded_se", g->rewarded_se, K);
    json_knums(&j, "unrewarded_se", g->unrewarded_se, K);
    json_knum(&j, "intercept", g->intercept);
    json_knum(&j, "intercept_se", g->intercept_se);
    json_kint(&j, "n", g->fit.n);
    json_knum(&j, "loglik", g->fit.loglik);
    json_knum(&j, "ridge", g->fit.lambda);
    json_key(&j, "converged");
    json_bool(&j, g->fit.converged);
    json_object_end(&j);
    if (A->rev_ok) {
        double lag[BEHAVIOR_REV_N_LAGS], n[BEHAVIOR_REV_N_LAGS];
        for (int i = 0; i < BEHAVIOR_REV_N_LAGS; i++) {
            lag[i] = behavior_rev_lag(i);
            n[i] = (double)A->rev.n[i];
        }
        json_key(&j, "reversal_curve");
        json_object_begin(&j);
        json_kint(&j, "reversals", A->n_reversals);
        json_knums(&j, "lag", lag, BEHAVIOR_REV_N_LAGS);
        json_knums(&j, "accuracy", A->rev.accuracy, BEHAVIOR_REV_N_LAGS);
        json_knums(&j, "se", A->rev.se, BEHAVIOR_REV_N_LAGS);
        json_knums(&j, "n", n, BEHAVIOR_REV_N_LAGS);
        json_object_end(&j);
        json_key(&j, "trials_to_criterion");
        json_object_begin(&j);
        json_kint(&j, "k", A->crit.k);
        json_kint(&j, "n", A->crit.n);
        json_knum(&j, "mean", A->crit.mean);
        json_knum(&j, "median", A->crit.median);
        json_kint(&j, "reached", A->crit.n_reached);
        json_kint(&j, "reversals", A->crit.n_reversals);
        json_object_end(&j);
    }
    if (A->vol_ok) {
        const RwVolatilityFit *v = &A->vol;
        json_key(&j, "volatility");
        json_object_begin(&j);
        json_kint(&j, "window", v->window);
        json_knum(&j, "alpha_volatile", v->alpha_volatile);
        json_knum(&j, "alpha_volatile_se", v->alpha_volatile_se);
        json_kint(&j, "n_volatile", v->n_volatile);
        json_knum(&j, "alpha_stable", v->alpha_stable);
        json_knum(&j, "alpha_stable_se", v->alpha_stable_se);
        json_kint(&j, "n_stable", v->n_stable);
        json_knum(&j, "alpha_start", v->alpha_start);
        json_knum(&j, "beta", v->beta);
        json_knum(&j, "beta_se", v->beta_se);
        json_object_end(&j);
    }
    if (A->rpe_ok) {
        const NeuralRpe *p = &A->rpe;
        json_key(&j, "rpe");
        json_object_begin(&j);
        json_kint(&j, "n", p->n);
        json_knum(&j, "mean_rewarded", p->mean_rewarded);
        json_knum(&j, "mean_unrewarded", p->mean_unrewarded);
        json_knum(&j, "b_reward", p->fit.coef[RPE_REWARD]);
        json_knum(&j, "b_reward_se", p->fit.se[RPE_REWARD]);
        json_knum(&j, "b_value", p->fit.coef[RPE_VALUE]);
        json_knum(&j, "b_value_se", p->fit.se[RPE_VALUE]);
        json_knum(&j, "intercept", p->fit.coef[RPE_INTERCEPT]);
        json_knum(&j, "r2", p->fit.r2);
        json_object_end(&j);
    }
    if (A->pca) {
        json_key(&j, "neural");
        json_object_begin(&j);
        json_kint(&j, "n_units", A->pca->n_units);
        json_kint(&j, "n_trials", A->pca->n_rows);
        json_knums(&j, "pca_explained", A->pca->explained, A->pca->n_units < 10 ? A->pca->n_units : 10);
        json_key(&j, "decoding");
        json_object_begin(&j);
        for (int k = 0; k < RA_N_TARGETS; k++) {
            if (!A->dec_ok[k]) continue;
            json_key(&j, ra_target_names[k]);
            json_object_begin(&j);
            json_knum(&j, "r2", A->dec[k].r2);
            json_knum(&j, "null_mean", A->dec[k].null_mean);
            json_knum(&j, "null_p95", A->dec[k].null_p95);
            json_knum(&j, "lambda", A->dec[k].lambda);
            json_object_end(&j);
        }
        json_object_end(&j);
        if (A->sel && A->sel->n_rows > 0) {
            json_key(&j, "selectivity");
            json_object_begin(&j);
            json_knum(&j, "level", A->sel->level);
            json_kint(&j, "action", A->sel->n_sig[SEL_ACTION]);
            json_kint(&j, "reward", A->sel->n_sig[SEL_REWARD]);
            json_kint(&j, "interaction", A->sel->n_sig[SEL_INTERACTION]);
            json_object_end(&j);
        }
        json_object_end(&j);
    }
    json_object_end(&j);
}

/* ---- TSV ------------------------------------------------------------------------ */

static void write_tsvs(const RunAnalysis *A, Out *o)
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
        for (int i = 0; i < A->n_eps; i++) {
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
    }
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
        fprintf(f, "target\trows\tepisodes\tfolds\tlambda\tr2\tnull_mean\tnull_p95\tshuffles\n");
        for (int k = 0; k < RA_N_TARGETS; k++) {
            if (!A->dec_ok[k]) continue;
            const NeuralDecode *d = &A->dec[k];
            fprintf(f, "%s\t%ld\t%d\t%d\t", ra_target_names[k], d->n_rows, d->n_episodes, d->n_folds);
            put(f, d->lambda, 0);
            put(f, d->r2, 0);
            put(f, d->null_mean, 0);
            put(f, d->null_p95, 0);
            put_int(f, d->n_shuffles, 1);
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
        tsv_close(o, &t);
    }
}

/* ---- train runs --------------------------------------------------------------------- */

static int training_report(Store *s, const RunRow *r, int json, Out *o)
{
    TrainRow *rows = NULL;
    int n = 0;
    if (store_read_training(s, r->run_id, &rows, &n) != 0) return cli_fail(EXIT_FAILED, "%s", store_errmsg(s));
    enum { BINS = 10 };
    double bin_ep[BINS], bin_rew[BINS], bin_best[BINS], bin_regret[BINS];
    int nb = n < BINS ? n : BINS;
    for (int b = 0; b < nb; b++) {
        int lo = (int)((long)n * b / nb), hi = (int)((long)n * (b + 1) / nb);
        RunningMean mr = { 0, 0, 0 }, mb = { 0, 0, 0 }, mg = { 0, 0, 0 };
        for (int i = lo; i < hi; i++) {
            running_mean_add(&mr, rows[i].reward);
            running_mean_add(&mb, rows[i].p_best);
            running_mean_add(&mg, rows[i].regret);
        }
        bin_ep[b] = (double)rows[hi - 1].episode;
        bin_rew[b] = running_mean_value(&mr);
        bin_best[b] = running_mean_value(&mb);
        bin_regret[b] = running_mean_value(&mg);
    }
    if (json) {
        Json j;
        json_init(&j, stdout);
        json_object_begin(&j);
        json_kint(&j, "run", r->run_id);
        json_kstr(&j, "kind", r->kind);
        json_kstr(&j, "name", r->name);
        json_kstr(&j, "agent", r->agent);
        json_kstr(&j, "task", r->task);
        json_key(&j, "training");
        json_object_begin(&j);
        json_kint(&j, "rows", n);
        json_knums(&j, "episode", bin_ep, nb);
        json_knums(&j, "reward", bin_rew, nb);
        json_knums(&j, "p_best", bin_best, nb);
        json_knums(&j, "regret", bin_regret, nb);
        json_object_end(&j);
        json_object_end(&j);
    } else {
        printf("== run %lld: train %s on %s, %d training rows (status %s)\n", (long long)r->run_id, r->agent, r->task, n,
               r->status);
        if (nb > 0) {
            printf("  %-16s %14s %10s %10s\n", "up to episode", "reward/episode", "P(best)", "regret");
            for (int b = 0; b < nb; b++)
                printf("  %-16.0f %14.3f %10.3f %10.3f\n", bin_ep[b], bin_rew[b], bin_best[b], bin_regret[b]);
        }
        putchar('\n');
    }
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
    free(rows);
    return o->failed ? EXIT_FAILED : EXIT_OK;
}

/* ---- the command --------------------------------------------------------------------- */

static int analyze_one(Store *s, const RunRow *r, int json, int lags, double ridge, Out *o)
{
    o->run = r->run_id;
    if (!strcmp(r->kind, "train")) return training_report(s, r, json, o);
    RunAnalysis A;
    run_analysis_init(&A, r);
    if (store_read_episodes(s, r->run_id, 1, &A.eps, &A.n_eps) != 0) return cli_fail(EXIT_FAILED, "%s", store_errmsg(s));
    int status = EXIT_OK;
    if (run_analysis_compute(&A, RA_ALL, lags, ridge) != 0) {
        status = cli_fail(EXIT_FAILED, "run %lld: out of memory", (long long)r->run_id);
        goto done;
    }
    if (json) {
        emit_json(&A);
    } else {
        int64_t *children = NULL;
        int n_children = 0;
        if (store_children(s, r->run_id, &children, &n_children) != 0) n_children = 0;
        print_tables(&A, children, n_children);
        free(children);
    }
    if (A.n_eps > 0) write_tsvs(&A, o);
    if (o->failed) status = EXIT_FAILED;
done:
    run_analysis_free(&A);
    return status;
}

static int analyze_run(CmdArgs *a)
{
    char err[1024];
    int json = arg_has(a, "json");
    long lags = BEHAVIOR_DEFAULT_LAGS;
    double ridge = 0.0;
    const char *v;
    if ((v = arg_flag(a, "lags")) && (parse_long(v, &lags) != 0 || lags < 1 || lags > BEHAVIOR_MAX_LAGS))
        return cli_fail(EXIT_USAGE, "--lags: '%s' is not a history length (a whole number from 1 to %d)", v,
                        BEHAVIOR_MAX_LAGS);
    if ((v = arg_flag(a, "ridge")) && (parse_double(v, &ridge) != 0 || !(ridge >= 0.0) || !isfinite(ridge)))
        return cli_fail(EXIT_USAGE, "--ridge: '%s' is not a penalty (a finite number >= 0)", v);
    const char *run_args[MAX_RUNS];
    int n_ids = arg_all(a, "run", run_args, MAX_RUNS);
    int64_t ids[MAX_RUNS];
    for (int i = 0; i < n_ids; i++)
        if (arg_run_id(a, run_args[i], &ids[i]) != EXIT_OK) return EXIT_USAGE;

    const char *db = a->pos[0];
    Store *s = store_open(db, STORE_READ, err, sizeof err);
    if (!s) return cli_fail(EXIT_USAGE, "%s", err);
    int status = EXIT_OK, n_rows = 0;
    RunRow *rows = NULL;
    if (n_ids > 0) {
        if (!(rows = calloc((size_t)n_ids, sizeof *rows))) {
            status = cli_fail(EXIT_FAILED, "out of memory");
            goto done;
        }
        for (; n_rows < n_ids; n_rows++)
            if (store_run_get(s, ids[n_rows], &rows[n_rows]) != 0) {
                status = cli_fail(EXIT_USAGE, "%s", store_errmsg(s));
                goto done;
            }
    } else if (store_runs(s, &rows, &n_rows) != 0) {
        status = cli_fail(EXIT_USAGE, "%s", store_errmsg(s));
        goto done;
    }
    if (n_rows == 0) {
        status = cli_fail(EXIT_USAGE, "%s: the database holds no runs", db);
        goto done;
    }
    char dir[4096];
    if ((v = arg_flag(a, "out"))) snprintf(dir, sizeof dir, "%s", v);
    else default_out_dir(db, dir, sizeof dir);
    if (make_dirs(dir) != 0) {
        status = cli_fail(EXIT_FAILED, "%s: cannot create the output directory (%s)", dir, strerror(errno));
        goto done;
    }
    Out o = { dir, 0, 0, 0 };
    for (int i = 0; i < n_rows && status == EXIT_OK; i++) {
        status = analyze_one(s, &rows[i], json, (int)lags, ridge, &o);
        if (fflush(stdout) != 0 && status == EXIT_OK) status = cli_fail(EXIT_FAILED, "stdout: write failed (%s)", strerror(errno));
    }
    if (status == EXIT_OK) fprintf(stderr, "metarl: wrote %d TSV file%s to %s/\n", o.n_files, o.n_files == 1 ? "" : "s", dir);
done:
    if (rows) {
        if (n_ids > 0) {
            for (int i = 0; i < n_ids; i++) store_run_clear(&rows[i]);
            free(rows);
        } else {
            store_runs_free(rows, n_rows);
        }
    }
    store_close(s);
    return status;
}

const Command cmd_analyze = {
    "analyze", "DB [--run ID ...] [--json] [--out DIR] [--lags K] [--ridge L]",
    "behavioural and neural analyses of runs: tables, TSV files for plots, JSON",
    "For every test, baseline and import run (or those given with --run): learning curves, p(stay|win) and "
    "p(stay|loss), the Lau-Glimcher reward-history regression, Rescorla-Wagner fits (pooled, per episode, with a "
    "parameter-recovery check), reversal-aligned accuracy, trials to criterion and learning rate against "
    "volatility, RPE signatures, and, where unit rates were stored, PCA, cross-validated decoding of latent "
    "variables and unit selectivity. Train runs report their training curve. TSV files, one per analysis, go to "
    "--out DIR (default: DB's name with .analysis).",
    NULL, analyze_flags, 1, 1, analyze_run
};
