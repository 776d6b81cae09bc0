/* analysis/figures_behavior.c: the figures of behaviour (curve, regret, stay,
** regression, rw, reversal, volatility): their rows of the kinds table
** (figure.h, at the end of this file) and their writers, each one writing its
** data files and then its gnuplot script.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/figure.h"

static int has_regret(const BehaviorCurves *c) { return c && c->n_trials > 0 && c->n_regret[0] > 0; }

static int has_best(const BehaviorCurves *c)
{
    for (int t = 0; c && t < c->n_trials; t++)
        if (c->n_best[t] > 0) return 1;
    return 0;
}

/* ---- learning curves and regret ---- */

/* Per-trial curves of each run: trial n reward reward_se n_best p_best p_best_se n_regret regret regret_se. */
static void write_curve_data(Fig *F, const PlotRun *runs, int n, char names[][PLOT_NAME_MAX])
{
    for (int i = 0; i < n && !F->failed; i++) {
        const BehaviorCurves *c = runs[i].curves;
        FILE *f = fig_data_open(F, &runs[i], NULL, names[i], PLOT_NAME_MAX, "learning curves by trial within the episode",
                            "trial n reward reward_se n_best p_best p_best_se n_regret regret regret_se   (trial "
                            "1 = first of the episode; means across episodes, se = sd / sqrt(n); regret is "
                            "cumulative through the trial)");
        if (!f) return;
        for (int t = 0; t < c->n_trials; t++) {
            fprintf(f, "%d %d", t + 1, c->n_reward[t]);
            fig_num(f, c->reward_mean[t]);
            fig_num(f, c->reward_se[t]);
            fprintf(f, " %d", c->n_best[t]);
            fig_num(f, c->best_mean[t]);
            fig_num(f, c->best_se[t]);
            fprintf(f, " %d", c->n_regret[t]);
            fig_num(f, c->regret_mean[t]);
            fig_num(f, c->regret_se[t]);
            fputc('\n', f);
        }
        fig_close(F, f, names[i]);
    }
}

/* Plot clauses of mean (column m) +- se (column s) for each run: bands first, then lines. */
static int curve_in_unit(const PlotRun *runs, int n)
{
    for (int i = 0; i < n; i++) {
        const BehaviorCurves *c = runs[i].curves;
        for (int t = 0; t < c->n_trials; t++)
            if (isfinite(c->reward_mean[t]) && (c->reward_mean[t] < 0 || c->reward_mean[t] > 1)) return 0;
    }
    return 1;
}

static void write_curve(Fig *F, const PlotRun *runs, int n)
{
    char names[PLOT_MAX_FILES][PLOT_NAME_MAX], title[512];
    write_curve_data(F, runs, n, names);
    if (F->failed) return;
    int any_best = 0, T = 0;
    for (int i = 0; i < n; i++) {
        any_best |= has_best(runs[i].curves);
        if (runs[i].curves->n_trials > T) T = runs[i].curves->n_trials;
    }
    FILE *g = F->gp;
    fig_title(runs, n, "Learning within the episode", title, sizeof title);
    fig_preamble(F, title);
    if (any_best) {
        fig_two_panels(g, title, n);
    } else {
        fprintf(g, "set title ");
        fig_quote(g, title);
        fprintf(g, " font tfont\n%s\n", n > 1 ? "set key below noopaque nobox" : "set key off");
    }
    fprintf(g, "set xlabel 'trial within the episode'\n");
    fig_range(g, "x", 1, T);
    fprintf(g, "\n# left: reward\n");
    if (any_best) fprintf(g, "set title 'Reward (shaded: ±1 SE across episodes)'\n");
    fprintf(g, "set ylabel 'mean reward per trial'\n");
    if (curve_in_unit(runs, n)) fprintf(g, "set yrange [0:1]\n");
    fig_bands(g, runs, n, names, 1, 3, 4, 1);
    if (any_best) {
        fprintf(g, "\n# right: P(better arm)\nset key off\nset title 'Choice of the better arm (shaded: ±1 SE)'\n"
                   "set ylabel 'P(choose the better arm)'\nset yrange [0:1]\n"
                   "set arrow 1 from graph 0, first 0.5 to graph 1, first 0.5 nohead dt 2 lc rgb '#888888'\n");
        fig_bands(g, runs, n, names, 1, 6, 7, 0);
        fprintf(g, "unset multiplot\n");
    }
}

/* what, followed by the runs' task when they share one ("Cumulative regret, bandit (trials=100)"). */
static void what_on_task(const PlotRun *runs, int n, const char *what, char *out, size_t len)
{
    const char *task = runs[0].task;
    for (int i = 1; i < n && task; i++)
        if (!runs[i].task || strcmp(runs[i].task, task)) task = NULL;
    if (task) snprintf(out, len, "%s, %s", what, task);
    else snprintf(out, len, "%s", what);
}

/* The top of the regret axis: the highest mean + SE of the runs, leaving out
** runs whose final regret is over twice the next one's (a random agent's
** straight line would squash the others into the bottom of the figure).
** off[i] = 1 for a run left out. */
static double regret_top(const PlotRun *runs, int n, int *off)
{
    double fin[PLOT_MAX_FILES];
    for (int i = 0; i < n; i++) {
        const BehaviorCurves *c = runs[i].curves;
        off[i] = 0;
        fin[i] = c->n_trials > 0 && isfinite(c->regret_mean[c->n_trials - 1]) ? c->regret_mean[c->n_trials - 1] : 0;
    }
    for (int left = n; left > 1; left--) {   /* drop the highest while it towers over the next */
        int top = -1, next = -1;
        for (int i = 0; i < n; i++) {
            if (off[i]) continue;
            if (top < 0 || fin[i] > fin[top]) next = top, top = i;
            else if (next < 0 || fin[i] > fin[next]) next = i;
        }
        if (!(fin[next] > 0 && fin[top] > 2.0 * fin[next])) break;
        off[top] = 1;
    }
    double hi = 0;
    for (int i = 0; i < n; i++) {
        const BehaviorCurves *c = runs[i].curves;
        for (int t = 0; t < c->n_trials && !off[i]; t++) {
            double v = c->regret_mean[t] + (isfinite(c->regret_se[t]) ? c->regret_se[t] : 0);
            if (isfinite(v) && v > hi) hi = v;
        }
    }
    return hi > 0 ? hi * 1.08 : NAN;
}

static void write_regret(Fig *F, const PlotRun *runs, int n)
{
    char names[PLOT_MAX_FILES][PLOT_NAME_MAX], title[512], what[400];
    write_curve_data(F, runs, n, names);
    if (F->failed) return;
    int T = 0, off[PLOT_MAX_FILES];
    for (int i = 0; i < n; i++)
        if (runs[i].curves->n_trials > T) T = runs[i].curves->n_trials;
    FILE *g = F->gp;
    what_on_task(runs, n, "Cumulative regret", what, sizeof what);
    fig_titled(F, runs, n, what, title, sizeof title);
    fprintf(g, "set xlabel 'trial within the episode'\n"
               "set ylabel 'cumulative regret (expected rewards lost)'\n");
    fig_range(g, "x", 1, T);
    double hi = regret_top(runs, n, off);
    fig_range(g, "y", 0, hi);
    char note[1200] = "";
    for (int i = 0; i < n; i++) {
        if (!off[i]) continue;
        const BehaviorCurves *c = runs[i].curves;
        fig_cat(note, sizeof note, "%s%s runs off the top (%.3g at trial %d)", note[0] ? "\n" : "",
                runs[i].label ? runs[i].label : "a run", c->regret_mean[c->n_trials - 1], c->n_trials);
    }
    if (note[0]) {
        fprintf(g, "set label 1 ");
        fig_quote(g, note);
        fprintf(g, " at graph 0.98, graph 0.05 right front font sfont tc rgb '#555555'\n");
    }
    fprintf(g, "set key top left title 'shaded: ±1 SE across episodes'\n");
    fig_bands(g, runs, n, names, 1, 9, 10, 1);
}

static void write_stay(Fig *F, const PlotRun *runs, int n)
{
    char names[PLOT_MAX_FILES][PLOT_NAME_MAX], title[512];
    for (int i = 0; i < n && !F->failed; i++) {
        const StayStats *s = runs[i].stay;
        FILE *f = fig_data_open(F, &runs[i], NULL, names[i], PLOT_NAME_MAX,
                            "p(stay | win) and p(stay | loss)",
                            "group after pairs stays p_stay ci_lo ci_hi   (group 0 = after a rewarded trial, 1 = "
                            "after an unrewarded one; 95% Wilson interval)");
        if (!f) return;
        fprintf(f, "0 win %ld %ld", s->n_win, s->stay_win);
        fig_num(f, s->p_stay_win);
        fig_num(f, s->win_ci[0]);
        fig_num(f, s->win_ci[1]);
        fprintf(f, "\n1 loss %ld %ld", s->n_loss, s->stay_loss);
        fig_num(f, s->p_stay_loss);
        fig_num(f, s->loss_ci[0]);
        fig_num(f, s->loss_ci[1]);
        fputc('\n', f);
        fig_close(F, f, names[i]);
    }
    if (F->failed) return;
    FILE *g = F->gp;
    fig_titled(F, runs, n, "Win-stay, lose-stay", title, sizeof title);
    fprintf(g, "set ylabel 'P(repeat the previous choice)'\nset yrange [0:1.08]\nset ytics 0,0.2,1\n"
               "set xrange [-0.6:1.6]\nset xtics ('after a rewarded trial' 0, 'after an unrewarded trial' 1)\n"
               "set grid noxtics\nset key below noopaque nobox title 'error bars: 95%% Wilson interval'\n"
               "set arrow 1 from graph 0, first 0.5 to graph 1, first 0.5 nohead dt 2 lc rgb '#888888' back\n");
    fig_grouped_bars(g, runs, n, names, 5, "($6)", "($7)", 1);
}

static void write_volatility(Fig *F, const PlotRun *runs, int n)
{
    char names[PLOT_MAX_FILES][PLOT_NAME_MAX], title[512];
    int W = runs[0].vol->window;
    for (int i = 0; i < n && !F->failed; i++) {
        const RwVolatilityFit *v = runs[i].vol;
        FILE *f = fig_data_open(F, &runs[i], NULL, names[i], PLOT_NAME_MAX,
                            "Rescorla-Wagner learning rate by volatility class (one joint fit, shared beta)",
                            "group class trials alpha alpha_se lo hi beta beta_se   (lo, hi = alpha -+ 1 SE; "
                            "group 2, the episode start, is a nuisance class and not drawn)");
        if (!f) return;
        const char *cls[3] = { "volatile", "stable", "start" };
        const long nt[3] = { v->n_volatile, v->n_stable, v->n_start };
        const double a[3] = { v->alpha_volatile, v->alpha_stable, v->alpha_start };
        const double se[3] = { v->alpha_volatile_se, v->alpha_stable_se, v->alpha_start_se };
        for (int k = 0; k < 3; k++) {
            fprintf(f, "%d %s %ld", k, cls[k], nt[k]);
            fig_num(f, a[k]);
            fig_num(f, se[k]);
            fig_num(f, a[k] - se[k]);
            fig_num(f, a[k] + se[k]);
            fig_num(f, v->beta);
            fig_num(f, v->beta_se);
            fputc('\n', f);
        }
        fig_close(F, f, names[i]);
    }
    if (F->failed) return;
    FILE *g = F->gp;
    fig_titled(F, runs, n, "Learning rate in volatile and stable periods", title, sizeof title);
    fprintf(g, "set ylabel 'RW learning rate α'\nset yrange [0:1.08]\nset ytics 0,0.2,1\n"
               "set xrange [-0.6:1.6]\nset xtics ('volatile: first %d trials after a reversal' 0, "
               "'stable: %d or more trials into a block' 1)\n"
               "set grid noxtics\nset key below noopaque nobox title 'error bars: ±1 SE'\n",
            W, W);
    fig_grouped_bars(g, runs, n, names, 4, "($6)", "($7)", 1);
}

/* ---- regression kernels ------------------------------------------------------------------ */

/* Each run's kernel to its data file, with a column saying whether its fit
** converged; [lo, hi] spans the converged fits' weights +- SE (all of them if none did). */
static void write_regression_data(Fig *F, const PlotRun *runs, int n, char names[][PLOT_NAME_MAX], double *lo,
                                  double *hi)
{
    int any_ok = 0;
    for (int i = 0; i < n; i++) any_ok |= runs[i].lg->fit.converged;
    *lo = *hi = 0.0;
    for (int i = 0; i < n && !F->failed; i++) {
        const LauGlimcherFit *l = runs[i].lg;
        char what[200];
        snprintf(what, sizeof what, "Lau-Glimcher reward-history regression (%s, n = %d trials)",
                 l->fit.converged ? "converged" : l->fit.separated ? "NOT converged: separation" : "NOT converged",
                 l->fit.n);
        FILE *f = fig_data_open(F, &runs[i], NULL, names[i], PLOT_NAME_MAX, what,
                                "lag rewarded rewarded_se unrewarded unrewarded_se converged   (logit P(arm 1) = b0 + "
                                "sum_k bR_k c r + bU_k c (1 - r), c = +-1 the choice k trials back; se = standard "
                                "error; converged = 0: the fit did not converge, its weights are not estimates)");
        if (!f) return;
        for (int k = 0; k < l->lags; k++) {
            fprintf(f, "%d", k + 1);
            fig_num(f, l->rewarded[k]);
            fig_num(f, l->rewarded_se[k]);
            fig_num(f, l->unrewarded[k]);
            fig_num(f, l->unrewarded_se[k]);
            fprintf(f, " %d\n", l->fit.converged ? 1 : 0);
            if (any_ok && !l->fit.converged) continue;   /* a separated fit runs off the scale of the others */
            const double b[2] = { l->rewarded[k], l->unrewarded[k] };
            const double e2[2] = { l->rewarded_se[k], l->unrewarded_se[k] };
            for (int j = 0; j < 2; j++) {
                double e = isfinite(e2[j]) ? e2[j] : 0.0;
                if (isfinite(b[j]) && b[j] - e < *lo) *lo = b[j] - e;
                if (isfinite(b[j]) && b[j] + e > *hi) *hi = b[j] + e;
            }
        }
        fig_close(F, f, names[i]);
    }
    double pad = 0.08 * (*hi - *lo > 0 ? *hi - *lo : 1.0);
    *lo -= pad;
    *hi += pad;
}

/* One panel's clauses for run i: a converged fit as filled points with error
** bars; one that did not converge as open points on a dashed line, clipped to
** the axis, with a triangle on the edge where a weight runs off it. */
static void regression_clauses(FILE *g, const PlotRun *r, int i, const char *name, int c, int keyed, int *first)
{
    int ok = r->lg->fit.converged;
    fig_sep(g, first);
    fig_quote(g, name);
    if (ok)
        fprintf(g, " using ($1+jit(%d)):%d:(valid(%d)?$%d:0) with yerrorbars lt %d pt 7 ps 0.9 notitle", i, c, c + 1,
                c + 1, i + 1);
    else
        fprintf(g, " using ($1+jit(%d)):(clip($%d)) with points lt %d pt 6 ps 1.1 notitle", i, c, i + 1);
    fig_sep(g, first);
    fig_quote(g, name);
    fprintf(g, " using ($1+jit(%d)):(clip($%d)) with lines lt %d %s", i, c, i + 1, ok ? "" : "dt 2 ");
    if (keyed) {
        char t[600];
        snprintf(t, sizeof t, "%s%s", r->label ? r->label : "", ok ? "" : ", not converged");
        fputs("title ", g);
        fig_quote(g, t);
    } else {
        fputs("notitle", g);
    }
    if (!ok) {
        fig_sep(g, first);
        fig_quote(g, name);
        fprintf(g, " using ($1+jit(%d)):(above($%d)) with points lt %d pt 9 ps 1.6 notitle", i, c, i + 1);
        fig_sep(g, first);
        fig_quote(g, name);
        fprintf(g, " using ($1+jit(%d)):(below($%d)) with points lt %d pt 11 ps 1.6 notitle", i, c, i + 1);
    }
}

static void write_regression(Fig *F, const PlotRun *runs, int n)
{
    char names[PLOT_MAX_FILES][PLOT_NAME_MAX], title[512], what[400];
    double lo, hi;
    int K = 1, n_bad = 0;
    for (int i = 0; i < n; i++) {
        if (runs[i].lg->lags > K) K = runs[i].lg->lags;
        n_bad += !runs[i].lg->fit.converged;
    }
    write_regression_data(F, runs, n, names, &lo, &hi);
    if (F->failed) return;
    FILE *g = F->gp;
    what_on_task(runs, n, "Reward-history regression (Lau & Glimcher 2005)", what, sizeof what);
    fig_title(runs, n, what, title, sizeof title);
    fig_preamble(F, title);
    char mtitle[700];
    if (n == 1 && n_bad)
        snprintf(mtitle, sizeof mtitle, "%s\nthe fit did not converge (%s): weights ran off, SEs unknown", title,
                 runs[0].lg->fit.separated ? "quasi-separation, as for a deterministic agent" : "iteration limit");
    else if (n_bad)
        snprintf(mtitle, sizeof mtitle, "%s\nopen markers, dashed: fits that did not converge (▲▼: off the axis)",
                 title);
    else
        snprintf(mtitle, sizeof mtitle, "%s", title);
    /* two panels on the left, one legend of the runs to their right */
    fprintf(g, "set multiplot layout 1,2 title ");
    fig_quote(g, mtitle);
    fprintf(g, " font tfont margins 0.085,%.2f,0.12,%.3f spacing 0.085,0.1\n", n > 1 ? 0.72 : 0.98,
            fig_top_margin(mtitle, 0.84));
    if (n > 1) fprintf(g, "set key at screen 0.735, graph 1 left top vertical Left reverse nobox noopaque samplen 1.5 font ',10'\n");
    else fprintf(g, "set key off\n");
    fprintf(g, "set xlabel 'trials back (lag k)'\nset ylabel 'weight (log-odds toward the earlier choice)'\n"
               "set xtics 1\n");
    fig_range(g, "x", 0.5, K + 0.5);
    fig_range(g, "y", lo, hi);
    fprintf(g, "ylo = %.6g; yhi = %.6g   # the axis: the converged fits\n"
               "clip(y) = y > yhi ? yhi : y < ylo ? ylo : y\nabove(y) = y > yhi ? yhi : NaN\nbelow(y) = y < ylo ? ylo : NaN\n"
               "N = %d\njit(i) = (i - (N - 1) / 2.0) * 0.07   # sideways shift so error bars do not overlap\n"
               "set arrow 1 from graph 0, first 0 to graph 1, first 0 nohead lc rgb '#888888' back\n",
            lo, hi, n);
    for (int p = 0; p < 2; p++) {
        fprintf(g, "\nset title %s\nplot ",
                p == 0 ? "'After rewarded choices (bR; error bars ±1 SE)'" : "'After unrewarded choices (bU)'");
        int first = 1;
        for (int i = 0; i < n; i++) regression_clauses(g, &runs[i], i, names[i], p == 0 ? 2 : 4, p == 0 && n > 1, &first);
        fprintf(g, "\nset key off\n");
    }
    fprintf(g, "unset multiplot\n");
}

/* ---- Rescorla-Wagner fits -------------------------------------------------------------------- */

/* 0: a fit inside the search box that converged; 1: at a bound of the box
** (beta at its limit, alpha 0 or 1); 2: did not converge. */
static int rw_flag(const RwFit *x) { return x->at_bound ? 1 : !x->converged ? 2 : 0; }

static void beta_span(double beta, double se, double *bmin, double *bmax)
{
    if (!(isfinite(beta) && beta > 0)) return;
    se = isfinite(se) ? se : 0.0;
    double lo = beta - se > 0 ? beta - se : beta;
    if (lo < *bmin) *bmin = lo;
    if (beta + se > *bmax) *bmax = beta + se;
}

/* Range of beta over the good fits (flag 0), or every fit if none is good. */
typedef struct RwSpan {
    double bmin, bmax, amin, amax;   /* all fits */
    double gmin, gmax;               /* good fits */
    long n_flag, n_fit;              /* per-episode fits flagged, fitted */
} RwSpan;

static void write_rw_data(Fig *F, const PlotRun *r, char *name, char *pooled, RwSpan *S)
{
    name[0] = pooled[0] = '\0';
    if (r->rw_eps) {
        char what[160];
        snprintf(what, sizeof what, "Rescorla-Wagner fit of each episode (the first %d of %d)", r->n_rw_eps, r->n_eps);
        FILE *f = fig_data_open(F, r, "episodes", name, PLOT_NAME_MAX, what,
                                "episode subject trials alpha alpha_se beta beta_se nll flag   (NaN: too few valid "
                                "trials to fit alone; flag 0 = a converged fit inside the search box, 1 = at a bound "
                                "of the box (beta at its limit, alpha 0 or 1), 2 = did not converge)");
        if (!f) return;
        for (int e = 0; e < r->n_rw_eps; e++) {
            const RwFit *x = &r->rw_eps[e];
            const char *subj = r->eps && r->eps[e]->subject[0] ? r->eps[e]->subject : "-";
            fprintf(f, "%d ", e);
            for (const char *c = subj; *c; c++) fputc(*c == ' ' || *c == '\t' ? '_' : *c, f);
            fprintf(f, " %ld", x->n_trials);
            fig_num(f, x->alpha);
            fig_num(f, x->alpha_se);
            fig_num(f, x->beta);
            fig_num(f, x->beta_se);
            fig_num(f, x->nll);
            fprintf(f, " %d\n", rw_flag(x));
            if (!isfinite(x->alpha)) continue;
            S->n_fit++;
            S->n_flag += rw_flag(x) != 0;
            beta_span(x->beta, 0, &S->bmin, &S->bmax);
            if (!rw_flag(x)) beta_span(x->beta, 0, &S->gmin, &S->gmax);
        }
        fig_close(F, f, name);
    }
    if (r->rw) {
        const RwFit *x = r->rw;
        FILE *f = fig_data_open(F, r, "pooled", pooled, PLOT_NAME_MAX, "pooled Rescorla-Wagner fit (all episodes)",
                                "alpha alpha_se beta beta_se nll trials episodes flag   (se NaN: optimum at the edge "
                                "of the search box; flag as in the episodes' file)");
        if (!f) return;
        fig_num(f, x->alpha);
        fig_num(f, x->alpha_se);
        fig_num(f, x->beta);
        fig_num(f, x->beta_se);
        fig_num(f, x->nll);
        fprintf(f, " %ld %d %d\n", x->n_trials, x->n_episodes, rw_flag(x));
        fig_close(F, f, pooled);
        beta_span(x->beta, x->beta_se, &S->bmin, &S->bmax);
        if (!rw_flag(x)) beta_span(x->beta, x->beta_se, &S->gmin, &S->gmax);
    }
}

/* "set ytics (...)" at 1, 2, 5 x 10^k inside [lo, hi]. */
static void rw_ytics(FILE *g, double lo, double hi)
{
    fprintf(g, "set ytics (");
    int first_tic = 1;
    for (int e = -4; e <= 4; e++)
        for (int m = 1; m <= 5; m += m == 1 ? 1 : 3) {
            double v = m * pow(10.0, e);
            if (v < lo || v > hi) continue;
            fprintf(g, "%s'%g' %g", first_tic ? "" : ", ", v, v);
            first_tic = 0;
        }
    fprintf(g, first_tic ? "'1' 1)\n" : ")\n");
}

static void write_rw(Fig *F, const PlotRun *runs, int n)
{
    char names[PLOT_MAX_FILES][PLOT_NAME_MAX], pooled[PLOT_MAX_FILES][PLOT_NAME_MAX], title[512], what[400];
    RwSpan S = { INFINITY, -INFINITY, 0, 1, INFINITY, -INFINITY, 0, 0 };
    int any_pooled = 0, pooled_flag = 0;
    for (int i = 0; i < n && !F->failed; i++) {
        write_rw_data(F, &runs[i], names[i], pooled[i], &S);
        any_pooled |= pooled[i][0] != '\0';
        pooled_flag |= pooled[i][0] && rw_flag(runs[i].rw) != 0;
    }
    if (F->failed) return;
    /* the axis on the good fits; flagged ones beyond it sit on its edge */
    double bmin = S.gmin < INFINITY ? S.gmin : S.bmin, bmax = S.gmin < INFINITY ? S.gmax : S.bmax;
    if (!(bmin < INFINITY)) bmin = 0.1, bmax = 10;
    double ylo = bmin / 1.6, yhi = bmax * 1.6;
    FILE *g = F->gp;
    what_on_task(runs, n, "Rescorla-Wagner fits", what, sizeof what);
    fig_title(runs, n, what, title, sizeof title);
    fig_preamble(F, title);
    if (S.n_flag > 0) {   /* beside the plot, under the legend */
        char note[300];
        snprintf(note, sizeof note, "%ld of %ld episode fits flagged\n(open circles): at a bound of\nthe search box "
                 "or not converged;\non the axis' edge when off it", S.n_flag, S.n_fit);
        fprintf(g, "set label 1 ");
        fig_quote(g, note);
        fprintf(g, " at graph 1.06, graph 0.6 left front font sfont tc rgb '#444444'\n");
    }
    fprintf(g, "set title ");
    fig_quote(g, title);
    fprintf(g, " font tfont\nset xlabel 'learning rate α'\nset ylabel 'inverse temperature β (log scale)'\n"
               "set xrange [-0.02:1.02]\nset logscale y\n");
    fig_range(g, "y", ylo, yhi);
    rw_ytics(g, ylo, yhi);
    fprintf(g, "ylo = %.6g; yhi = %.6g   # the axis: the converged fits inside the search box\n"
               "clip(y) = y > yhi ? yhi : y < ylo ? ylo : y\n",
            ylo, yhi);
    fprintf(g, "set key outside right top vertical Left reverse noopaque nobox samplen 1 font ',10'\n");
    int first = 1;
    fprintf(g, "plot ");
    for (int i = 0; i < n; i++) {
        if (!names[i][0]) continue;
        fig_sep(g, &first);
        fig_quote(g, names[i]);
        /* colour #AARRGGBB: AA = 70 makes the points translucent where they pile up */
        fprintf(g, " using 4:($9==0&&$6>0?$6:NaN) with points pt 7 ps 0.7 lc rgb '#70%s' title ", fig_run_color(i) + 1);
        fig_label(g, &runs[i]);
        fig_sep(g, &first);
        fig_quote(g, names[i]);
        fprintf(g, " using 4:($9!=0&&$6>0?clip($6):NaN) with points pt 6 ps 0.8 lc rgb '#40%s' notitle",
                fig_run_color(i) + 1);
    }
    for (int i = 0; i < n; i++) {
        if (!pooled[i][0]) continue;
        fig_sep(g, &first);
        fig_quote(g, pooled[i]);
        fprintf(g, " using 1:(clip($3)):(valid(2)?$1-$2:$1):(valid(2)?$1+$2:$1):(valid(4)&&$3-$4>0?clip($3-$4):clip($3)):"
                   "(valid(4)?clip($3+$4):clip($3)) with xyerrorbars lc rgb '#202020' lw 1.5 pt 7 ps 0");
        fig_sep(g, &first);
        fig_quote(g, pooled[i]);
        fprintf(g, " using 1:(clip($3)) with points pt 5 ps 2.2 lc rgb '#202020'");
        fig_sep(g, &first);
        fig_quote(g, pooled[i]);
        fprintf(g, " using 1:($8==0?clip($3):NaN) with points pt 5 ps 1.6 lt %d", i + 1);
        fig_sep(g, &first);
        fig_quote(g, pooled[i]);
        fprintf(g, " using 1:($8!=0?clip($3):NaN) with points pt 5 ps 1.6 lc rgb '#ffffff'");
    }
    if (any_pooled) {
        fig_sep(g, &first);
        fprintf(g, "keyentry with points pt 5 ps 1.6 lc rgb '#808080' title 'square: pooled fit, ±1 SE'");
    }
    if (pooled_flag) {
        fig_sep(g, &first);
        fprintf(g, "keyentry with points pt 4 ps 1.6 lc rgb '#202020' title 'open square: pooled fit flagged'");
    }
    if (S.n_flag > 0) {
        fig_sep(g, &first);
        fprintf(g, "keyentry with points pt 6 ps 0.8 lc rgb '#202020' title 'open circle: episode fit flagged'");
    }
    fputc('\n', g);
}

/* ---- reversal curve ---------------------------------------------------------------------------- */

static void write_reversal(Fig *F, const PlotRun *runs, int n)
{
    char names[PLOT_MAX_FILES][PLOT_NAME_MAX], title[512];
    for (int i = 0; i < n && !F->failed; i++) {
        const ReversalCurve *c = runs[i].rev;
        FILE *f = fig_data_open(F, &runs[i], NULL, names[i], PLOT_NAME_MAX, "accuracy aligned on reversals",
                            "lag reversals accuracy se   (lag 0 = first trial after the reversal; accuracy = P(choose "
                            "the arm that is better on that trial); se = sd / sqrt(n) across reversals)");
        if (!f) return;
        for (int k = 0; k < BEHAVIOR_REV_N_LAGS; k++) {
            fprintf(f, "%d %ld", behavior_rev_lag(k), c->n[k]);
            fig_num(f, c->accuracy[k]);
            fig_num(f, c->se[k]);
            fputc('\n', f);
        }
        fig_close(F, f, names[i]);
    }
    if (F->failed) return;
    FILE *g = F->gp;
    fig_titled(F, runs, n, "Accuracy around reversals", title, sizeof title);
    fprintf(g, "set xlabel 'trials from the reversal (0 = first trial after the good arm switched)'\n"
               "set ylabel 'P(choose the currently better arm)'\n"
               "set yrange [0:1]\nset xrange [%d:%d]\nset xtics 5\nset mxtics 5\n"
               "set arrow 1 from -0.5, graph 0 to -0.5, graph 1 nohead dt 2 lw 1.5 lc rgb '#555555' back\n"
               "set label 1 'reversal' at -0.5, graph 0.04 right offset -0.5,0 tc rgb '#555555'\n"
               "set arrow 2 from graph 0, first 0.5 to graph 1, first 0.5 nohead dt 3 lc rgb '#888888' back\n"
               "set key bottom right title 'shaded: ±1 SE across reversals'\n",
            BEHAVIOR_REV_LAG_MIN, BEHAVIOR_REV_LAG_MAX);
    fig_bands(g, runs, n, names, 1, 3, 4, 1);
}


/* ---- applicability and caption numbers ------------------------------------------------ */

#define NO_EPISODES "has no episodes (or is a train run: see `training`)"

static const char *applies_curve(const PlotRun *r, const PlotOptions *o) { return r->curves ? NULL : NO_EPISODES; }

static const char *applies_regret(const PlotRun *r, const PlotOptions *o)
{
    if (!r->curves) return NO_EPISODES;
    if (!has_regret(r->curves)) return "has no task truth (true reward probabilities), so no regret";
    return NULL;
}

static const char *applies_stay(const PlotRun *r, const PlotOptions *o)
{
    return r->stay ? NULL : "has no pair of consecutive valid trials";
}

static const char *applies_regression(const PlotRun *r, const PlotOptions *o)
{
    return r->lg ? NULL : "has too few valid trials for the reward-history regression";
}

static const char *applies_rw(const PlotRun *r, const PlotOptions *o)
{
    return r->rw || r->rw_eps ? NULL : "has too few valid trials for a Rescorla-Wagner fit";
}

static const char *applies_reversal(const PlotRun *r, const PlotOptions *o)
{
    return r->rev ? NULL : "has no reversal with a known better arm";
}

static const char *applies_volatility(const PlotRun *r, const PlotOptions *o)
{
    return r->vol ? NULL : "has no volatile and stable trials to compare (no reversals, or no task truth)";
}

static void numbers_curve(const PlotRun *p, const RunAnalysis *A, const PlotOptions *o, char *b, size_t nb)
{
    const BehaviorCurves *c = A->curves;
    int T = c->n_trials;
    fig_cat(b, nb, "reward %.2f on trial 1, %.2f on trial %d", c->reward_mean[0], c->reward_mean[T - 1], T);
    if (c->n_best[0] > 0 && c->n_best[T - 1] > 0)
        fig_cat(b, nb, "; P(better arm) %.2f → %.2f", c->best_mean[0], c->best_mean[T - 1]);
}

static void numbers_regret(const PlotRun *p, const RunAnalysis *A, const PlotOptions *o, char *b, size_t nb)
{
    const BehaviorCurves *c = A->curves;
    int T = c->n_trials;
    fig_cat(b, nb, "regret at trial %d ", T);
    fig_pm(b, nb, c->regret_mean[T - 1], c->regret_se[T - 1], 2);
}

static void numbers_stay(const PlotRun *p, const RunAnalysis *A, const PlotOptions *o, char *b, size_t nb)
{
    fig_cat(b, nb, "%.2f after a win, %.2f after a loss", A->stay.p_stay_win, A->stay.p_stay_loss);
}

static void numbers_regression(const PlotRun *p, const RunAnalysis *A, const PlotOptions *o, char *b, size_t nb)
{
    fig_cat(b, nb, "lag 1: rewarded %.2f, unrewarded %.2f", A->lg.rewarded[0], A->lg.unrewarded[0]);
}

static void numbers_rw(const PlotRun *p, const RunAnalysis *A, const PlotOptions *o, char *b, size_t nb)
{
    if (A->rw_ok) {
        fig_cat(b, nb, "pooled α ");
        fig_pm(b, nb, A->rw.alpha, A->rw.alpha_se, 3);
        fig_cat(b, nb, ", β ");
        fig_pm(b, nb, A->rw.beta, A->rw.beta_se, 2);
    }
    if (A->rw_eps_ok)
        fig_cat(b, nb, "%smedian over %d episodes α %.2f, β %.2f", A->rw_ok ? "; " : "", A->rw_sum.n_fitted,
                A->rw_sum.alpha_median, A->rw_sum.beta_median);
}

static void numbers_reversal(const PlotRun *p, const RunAnalysis *A, const PlotOptions *o, char *b, size_t nb)
{
    fig_cat(b, nb, "%ld reversals, accuracy %.2f just before, %.2f on the first trial after, %.2f ten trials later",
            A->n_reversals, A->rev.accuracy[-BEHAVIOR_REV_LAG_MIN - 1], A->rev.accuracy[-BEHAVIOR_REV_LAG_MIN],
            A->rev.accuracy[-BEHAVIOR_REV_LAG_MIN + 10]);
}

static void numbers_volatility(const PlotRun *p, const RunAnalysis *A, const PlotOptions *o, char *b, size_t nb)
{
    fig_cat(b, nb, "α volatile ");
    fig_pm(b, nb, A->vol.alpha_volatile, A->vol.alpha_volatile_se, 3);
    fig_cat(b, nb, " vs stable ");
    fig_pm(b, nb, A->vol.alpha_stable, A->vol.alpha_stable_se, 3);
}

/* ---- the rows ---------------------------------------------------------------------------- */

const FigureKind figures_behavior[] = {
    { PLOT_CURVE, "curve", "Learning within the episode",
      "Reward and probability of choosing the better arm at each trial of an episode, averaged over episodes "
      "(shaded: ±1 SE across episodes). A rising curve is learning within the episode; for a network tested "
      "with frozen weights, it is learning done by its recurrent activity alone.",
      RA_CURVES, 0, applies_curve, write_curve, numbers_curve, 0 },
    { PLOT_REGRET, "regret", "Cumulative regret",
      "Expected reward lost to the best arm, summed over the trials so far (true reward probabilities; shaded: "
      "±1 SE across episodes). Runs beside a test played the very same task instances. The axis is set by the "
      "informative agents: a run whose final regret is over twice the next one's (a random agent) runs off the "
      "top, and the figure says where it ends.",
      RA_CURVES, 0, applies_regret, write_regret, numbers_regret, 0 },
    { PLOT_STAY, "stay", "Win-stay, lose-stay",
      "Probability of repeating the previous choice after a rewarded and after an unrewarded trial (error bars: "
      "95% Wilson interval). A model-free learner stays more after wins than after losses.",
      RA_STAY, 0, applies_stay, write_stay, numbers_stay, 0 },
    { PLOT_REGRESSION, "regression", "Reward-history regression",
      "Lau & Glimcher (2005) logistic regression of the choice on past choices, split by outcome: weight of a "
      "rewarded (left) and an unrewarded (right) choice k trials back (error bars: ±1 SE). Positive weights "
      "pull toward repeating the earlier choice; their decay with lag shows how far back the agent integrates. "
      "A fit that did not converge (a deterministic agent separates the data) is drawn open and dashed, clipped to "
      "the converged fits' axis, with triangles on its edge where its weights run off.",
      RA_REGRESSION, 0, applies_regression, write_regression, numbers_regression, PLOT_OPT_LAGS },
    { PLOT_RW, "rw", "Rescorla-Wagner fits",
      "Maximum-likelihood Rescorla-Wagner learning rate α and inverse temperature β, one point per episode "
      "(subject; the first 300 at most), with the pooled fit over all episodes (large marker, ±1 SE). β is on a log scale "
      "spanning the converged fits inside the search box; fits at a bound of the box (β at its limit, α 0 or 1) or "
      "not converged are open markers, drawn on the axis' edge when off it, and counted in the title.",
      RA_RW | RA_RW_EPISODES, 0, applies_rw, write_rw, numbers_rw, 0 },
    { PLOT_REVERSAL, "reversal", "Accuracy around reversals",
      "Probability of choosing the currently better arm, aligned on reversals (0 = first trial after the good "
      "arm switched; before it, the old good arm counts as correct; shaded: ±1 SE across reversals). The dip "
      "and the speed of recovery show how quickly the agent notices a reversal.",
      RA_REVERSAL, 0, applies_reversal, write_reversal, numbers_reversal, 0 },
    { PLOT_VOLATILITY, "volatility", "Learning rate and volatility",
      "Rescorla-Wagner learning rate fitted separately to volatile periods (the first trials after a reversal) "
      "and stable ones (deep into a block), with a shared β (error bars: ±1 SE). Behrens et al. (2007): an "
      "adaptive learner raises its learning rate when the world is volatile.",
      RA_VOLATILITY, 0, applies_volatility, write_volatility, numbers_volatility, 0 },
    { 0 }
};
