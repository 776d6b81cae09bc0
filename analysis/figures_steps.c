/* analysis/figures_steps.c: the figures of activity within a trial, for runs
** that stored every step's prefrontal rates (test.activity_steps = all):
**   peri_choice, peri_outcome   peri-event plots as a physiologist draws
**       them: the population's mean rate and the most selective units' rates
**       (mean +- SE across trials) at each step around the choice or the
**       outcome step, split by the trial's reward (top row) and by its
**       choice (bottom row), the epochs shaded and named under the steps, a
**       dashed line at the event;
**   steps_pca   state-space trajectories within a trial: the mean PC1-PC2
**       path from fixation to the next fixation, one line per arm x reward,
**       choice and outcome steps marked, beside PC1 and PC2 against the step.
** Their rows of the kinds table (figure.h) are at the end; the analysis is
** analysis/steps.c, computed here from the run's episodes. A figure of
** several runs draws the first (units and components are the run's own).
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/figure.h"
#include "analysis/steps.h"

#define PERI_UNITS 3   /* units drawn beside the population */

static const char *const epoch_letter[EPOCH_COUNT] = { "F", "C", "O", "I" };
static const char *const epoch_shade[EPOCH_COUNT] = { "#f0f0f0", "#dcebf7", "#fbe6cf", "#ffffff" };
static const char *const event_name[STEPS_N_EVENTS] = { "choice", "outcome" };

static int steps_K(const PlotRun *r)
{
    for (int i = 0; i < r->n_eps; i++)
        if (r->eps[i]->n_steps > 0) return r->eps[i]->steps_per_trial;
    return 0;
}

/* The analysis of run r with a window of one trial each side of the events. */
static NeuralSteps *steps_of(Fig *F, const PlotRun *r)
{
    NeuralSteps *s = NULL;
    int K = steps_K(r), rc = neural_steps(r->eps, r->n_eps, K, K, &s);
    if (rc == ANALYSIS_NOMEM) fig_fail(F, "out of memory for the per-step analysis");
    else if (rc != ANALYSIS_OK) fig_fail(F, "run %lld: its per-step rates could not be aligned (mixed steps per trial, "
                                         "or no choice or outcome epoch)", (long long)r->run_id);
    return s;
}

/* Shaded epochs, two-line step tics ("-2" over its epoch letter; none
** without labels), the event line. */
static void epoch_axis(FILE *g, const NeuralSteps *s, int ev, int d0, int d1, int labels)
{
    fprintf(g, "# epochs of the steps: F fixation, C choice, O outcome, I inter-trial interval\n");
    for (int d = d0; d <= d1; d++) {
        int e = neural_steps_epoch(s, ev, d, NULL);
        fprintf(g, "set object %d rect from %g, graph 0 to %g, graph 1 fc rgb '%s' fs solid 1 noborder behind\n",
                d - d0 + 1, d - 0.5, d + 0.5, epoch_shade[e]);
    }
    fprintf(g, "set xtics (");
    for (int d = d0; d <= d1; d++) {
        if (labels) fprintf(g, "%s\"%d\\n%s\" %d", d > d0 ? ", " : "", d, epoch_letter[neural_steps_epoch(s, ev, d, NULL)], d);
        else fprintf(g, "%s\"\" %d", d > d0 ? ", " : "", d);
    }
    fprintf(g, ") font sfont\n");
    fig_range(g, "x", d0 - 0.5, d1 + 0.5);
    fprintf(g, "set arrow 1 from 0, graph 0 to 0, graph 1 nohead dt 2 lw 1.5 lc rgb '#000000' front\n");
    fprintf(g, "set grid noxtics\n");
}

/* Quantity q's column of the peri-event data (mean; its SE is the next). */
static int peri_col(int j) { return 5 + 2 * j; }

/* The peri-event table of event ev: blocks unrewarded, rewarded, arm 0, arm 1. */
static int peri_data(Fig *F, const PlotRun *r, const NeuralSteps *s, int ev, const int *units, char *name)
{
    char cols[512];
    int len = snprintf(cols, sizeof cols, "d epoch trial_shift n_trials pop pop_se pc1 pc1_se pc2 pc2_se");
    for (int k = 0; k < PERI_UNITS; k++) len += snprintf(cols + len, sizeof cols - (size_t)len, " unit%d unit%d_se",
                                                         units[k], units[k]);
    snprintf(cols + len, sizeof cols - (size_t)len, "   (d: steps from the %s step; index blocks 0 unrewarded, 1 "
             "rewarded, 2 arm 0, 3 arm 1 chosen; epoch 0 fixation 1 choice 2 outcome 3 iti; rates in the model's "
             "units)", event_name[ev]);
    char what[160];
    snprintf(what, sizeof what, "prefrontal rates aligned to the %s step, mean and SE across trials", event_name[ev]);
    FILE *f = fig_data_open(F, r, NULL, name, PLOT_NAME_MAX, what, cols);
    if (!f) return -1;
    static const int conds[4] = { STEPS_UNREWARDED, STEPS_REWARDED, STEPS_ARM0, STEPS_ARM1 };
    for (int c = 0; c < 4; c++) {
        if (c) fputs("\n\n", f);
        for (int d = -s->pre; d <= s->post; d++) {
            int sh, ep = neural_steps_epoch(s, ev, d, &sh);
            fprintf(f, "%d %d %d %ld", d, ep, sh, neural_steps_n(s, ev, conds[c], d));
            const int q[3] = { STEPS_POP, STEPS_PC1, STEPS_PC2 };
            for (int k = 0; k < 3 + PERI_UNITS; k++) {
                int qq = k < 3 ? q[k] : units[k - 3];
                fig_num(f, neural_steps_mean(s, ev, conds[c], d, qq));
                fig_num(f, neural_steps_se(s, ev, conds[c], d, qq));
            }
            fputc('\n', f);
        }
    }
    fig_close(F, f, name);
    return 0;
}

/* One panel: two blocks (b0, b1) of column m, bands then lines. */
static void peri_panel(FILE *g, const char *name, int b0, int m, const char *const colors[2], const char *const keys[2])
{
    int first = 1;
    fprintf(g, "plot ");
    for (int k = 0; k < 2; k++) {
        fig_sep(g, &first);
        fig_quote(g, name);
        fprintf(g, " index %d using 1:($%d-$%d):($%d+$%d) with filledcurves lc rgb '%s' fs transparent solid 0.25 "
                   "noborder", b0 + k, m, m + 1, m, m + 1, colors[k]);
    }
    for (int k = 0; k < 2; k++) {
        fig_sep(g, &first);
        fig_quote(g, name);
        fprintf(g, " index %d using 1:%d with linespoints lc rgb '%s' lw 2 pt 7 ps 0.6", b0 + k, m, colors[k]);
        if (keys) {
            fputs(" title ", g);
            fig_quote(g, keys[k]);
        }
    }
    fputc('\n', g);
}

static void write_peri(Fig *F, const PlotRun *runs, int n, int ev)
{
    const PlotRun *r = &runs[0];
    NeuralSteps *s = steps_of(F, r);
    if (!s) return;
    int sel = ev == STEPS_AT_OUTCOME ? STEPS_SEL_REWARD : STEPS_SEL_CHOICE, units[PERI_UNITS];
    for (int k = 0; k < PERI_UNITS; k++) units[k] = s->order[(size_t)sel * s->n_units + (k < s->n_units ? k : 0)];
    char name[PLOT_NAME_MAX], title[512], what[160];
    if (peri_data(F, r, s, ev, units, name) != 0) goto done;
    snprintf(what, sizeof what, "Prefrontal activity around the %s (mean ± SE across %ld trials)", event_name[ev],
             s->n_trials);
    fig_title(runs, 1, what, title, sizeof title);
    fig_preamble(F, title);
    FILE *g = F->gp;
    epoch_axis(g, s, ev, -s->pre, s->post, 1);
    fprintf(g, "set multiplot layout 2,%d title ", 1 + PERI_UNITS);
    fig_quote(g, title);
    fprintf(g, " font tfont margins 0.075,0.99,0.13,%.3f spacing 0.055,0.13\n", fig_top_margin(title, 0.87));
    fprintf(g, "set ytics font sfont\nunset xlabel\n");
    static const char *const rew_colors[2] = { "#D55E00", "#009E73" }, *const arm_colors[2] = { "#E69F00", "#0072B2" };
    static const char *const rew_keys[2] = { "r = 0", "r = 1" }, *const arm_keys[2] = { "arm 0", "arm 1" };
    for (int row = 0; row < 2; row++)
        for (int c = 0; c < 1 + PERI_UNITS; c++) {
            if (c == 0)
                fprintf(g, "set ylabel 'rate (a.u.)'\nset offsets 0, 0, graph 0.3, graph 0.05\n"
                           "set key top center horizontal maxrows 1 noopaque nobox font sfont samplen 1 width -1\nset title '%s' font sfont\n",
                        row == 0 ? "population mean, by reward r" : "population mean, by choice");
            else {
                int u = units[c - 1];
                if (c == 1) fprintf(g, "unset ylabel\nset key off\nset offsets 0, 0, graph 0.05, graph 0.05\n");
                fprintf(g, "set title 'unit %d (%s t = %.3g)' font sfont\n", u,
                        sel == STEPS_SEL_REWARD ? "reward" : "choice", s->sel[(size_t)sel * s->n_units + u]);
            }
            if (row == 1 && c == PERI_UNITS)   /* one axis label under the whole figure, drawn with the last panel */
                fprintf(g, "set label 99 'steps from the %s step (letters: epoch of the step)' at screen 0.53, screen "
                           "0.025 center\n", event_name[ev]);
            peri_panel(g, name, row == 0 ? 0 : 2, c == 0 ? peri_col(0) : peri_col(3 + c - 1),
                       row == 0 ? rew_colors : arm_colors, c == 0 ? (row == 0 ? rew_keys : arm_keys) : NULL);
        }
    fprintf(g, "unset multiplot\n");
done:
    neural_steps_free(s);
}

static void write_peri_choice(Fig *F, const PlotRun *runs, int n) { write_peri(F, runs, n, STEPS_AT_CHOICE); }
static void write_peri_outcome(Fig *F, const PlotRun *runs, int n) { write_peri(F, runs, n, STEPS_AT_OUTCOME); }

/* ---- steps_pca ------------------------------------------------------------------------------ */

static const char *const joint_keys[4] = { "arm 0, unrewarded", "arm 0, rewarded", "arm 1, unrewarded", "arm 1, rewarded" };
static const char *const joint_colors[4] = { "#E69F00", "#E69F00", "#0072B2", "#0072B2" };

static int pca_data(Fig *F, const PlotRun *r, const NeuralSteps *s, char *name)
{
    FILE *f = fig_data_open(F, r, NULL, name, PLOT_NAME_MAX,
                            "mean PC1 and PC2 scores of the per-step prefrontal rates, aligned to the choice step",
                            "d epoch trial_shift n_trials pc1 pc1_se pc2 pc2_se   (d: steps from the choice step; index "
                            "blocks 0 arm 0 unrewarded, 1 arm 0 rewarded, 2 arm 1 unrewarded, 3 arm 1 rewarded)");
    if (!f) return -1;
    for (int c = 0; c < 4; c++) {
        if (c) fputs("\n\n", f);
        for (int d = -s->pre; d <= s->post; d++) {
            int sh, ep = neural_steps_epoch(s, STEPS_AT_CHOICE, d, &sh);
            fprintf(f, "%d %d %d %ld", d, ep, sh, neural_steps_n(s, STEPS_AT_CHOICE, STEPS_ARM0_UNREWARDED + c, d));
            for (int q = STEPS_PC1; q >= STEPS_PC2; q--) {
                fig_num(f, neural_steps_mean(s, STEPS_AT_CHOICE, STEPS_ARM0_UNREWARDED + c, d, q));
                fig_num(f, neural_steps_se(s, STEPS_AT_CHOICE, STEPS_ARM0_UNREWARDED + c, d, q));
            }
            fputc('\n', f);
        }
    }
    fig_close(F, f, name);
    return 0;
}

/* The plane: rows i0..i1 of each block (this trial's fixation to the next one's). */
static void pca_plane(FILE *g, const NeuralSteps *s, const char *name)
{
    int i0 = s->pre - s->pos[STEPS_AT_CHOICE], i1 = i0 + s->K, io = s->pre + s->pos[STEPS_AT_OUTCOME] - s->pos[STEPS_AT_CHOICE];
    fprintf(g, "set xlabel 'PC1 (%.0f%% of variance)'\nset ylabel 'PC2 (%.0f%%)'\n", 100 * s->pca->explained[0],
            100 * s->pca->explained[1]);
    fprintf(g, "set title 'one trial, fixation to next fixation: o choice, □ outcome, △ start' font sfont\n"
               "set key bottom right opaque font sfont samplen 2.5\nset grid xtics ytics\nset xtics auto font sfont\n"
               "set autoscale xy\n");
    int first = 1;
    fprintf(g, "plot ");
    for (int c = 0; c < 4; c++) {
        const char *dt = c % 2 ? "1" : "'-'";
        fig_sep(g, &first);
        fig_quote(g, name);
        fprintf(g, " index %d every ::%d::%d using 5:7 with linespoints lc rgb '%s' dt %s lw 2 pt 7 ps 0.5 title ", c,
                i0, i1, joint_colors[c], dt);
        fig_quote(g, joint_keys[c]);
        fig_sep(g, &first);
        fig_quote(g, name);
        fprintf(g, " index %d every ::%d::%d using 5:7 with points lc rgb '%s' pt 8 ps 1.8 notitle", c, i0, i0, joint_colors[c]);
        fig_sep(g, &first);
        fig_quote(g, name);
        fprintf(g, " index %d every ::%d::%d using 5:7 with points lc rgb '%s' pt 6 ps 2 lw 2 notitle", c, s->pre,
                s->pre, joint_colors[c]);
        fig_sep(g, &first);
        fig_quote(g, name);
        fprintf(g, " index %d every ::%d::%d using 5:7 with points lc rgb '%s' pt 4 ps 2 lw 2 notitle", c, io, io,
                joint_colors[c]);
    }
    fputc('\n', g);
}

/* PC column m (5 or 7) against the step, the four conditions with SE bands. */
static void pca_time(FILE *g, const NeuralSteps *s, const char *name, int m, int bottom)
{
    fprintf(g, "set ylabel 'PC%d score'\n", m == 5 ? 1 : 2);
    if (bottom) fprintf(g, "set xlabel 'steps from the choice step (letters: epoch)' offset 0, -0.3\n");
    else fprintf(g, "unset xlabel\n");
    int first = 1;
    fprintf(g, "plot ");
    for (int c = 0; c < 4; c++) {
        fig_sep(g, &first);
        fig_quote(g, name);
        fprintf(g, " index %d using 1:($%d-$%d):($%d+$%d) with filledcurves lc rgb '%s' fs transparent solid 0.2 noborder",
                c, m, m + 1, m, m + 1, joint_colors[c]);
    }
    for (int c = 0; c < 4; c++) {
        fig_sep(g, &first);
        fig_quote(g, name);
        fprintf(g, " index %d using 1:%d with lines lc rgb '%s' dt %s lw 2", c, m, joint_colors[c], c % 2 ? "1" : "'-'");
    }
    fputc('\n', g);
    (void)s;
}

static void write_steps_pca(Fig *F, const PlotRun *runs, int n)
{
    const PlotRun *r = &runs[0];
    NeuralSteps *s = steps_of(F, r);
    if (!s) return;
    char name[PLOT_NAME_MAX], title[512];
    if (pca_data(F, r, s, name) != 0) goto done;
    fig_title(runs, 1, "Prefrontal state within a trial (mean PC scores per step)", title, sizeof title);
    fig_preamble(F, title);
    FILE *g = F->gp;
    double top = fig_top_margin(title, 0.87);
    fprintf(g, "set multiplot title ");
    fig_quote(g, title);
    fprintf(g, " font tfont\n");
    fprintf(g, "set lmargin at screen 0.08\nset rmargin at screen 0.48\nset bmargin at screen 0.17\n"
               "set tmargin at screen %.3f\n", top);
    pca_plane(g, s, name);
    fprintf(g, "set key off\nset lmargin at screen 0.6\nset rmargin at screen 0.98\n");
    fprintf(g, "set bmargin at screen %.3f\nset tmargin at screen %.3f\nset title 'PC scores against the step (± SE)' "
               "font sfont\n", (top + 0.1) / 2 + 0.04, top);
    epoch_axis(g, s, STEPS_AT_CHOICE, -s->pre, s->post, 0);
    pca_time(g, s, name, 5, 0);
    epoch_axis(g, s, STEPS_AT_CHOICE, -s->pre, s->post, 1);
    fprintf(g, "unset title\nset bmargin at screen 0.17\nset tmargin at screen %.3f\n", (top + 0.1) / 2);
    pca_time(g, s, name, 7, 1);
    fprintf(g, "unset multiplot\n");
done:
    neural_steps_free(s);
}

/* ---- applicability, numbers, rows ------------------------------------------------------------- */

static const char *applies_steps(const PlotRun *r, const PlotOptions *o)
{
    (void)o;
    if (!r->eps || !neural_steps_present(r->eps, r->n_eps))
        return "has no per-step prefrontal rates stored (test a network with model.epochs using --set "
               "test.activity_steps=all)";
    return NULL;
}

static void numbers_steps(const PlotRun *p, const RunAnalysis *A, const PlotOptions *o, char *b, size_t nb)
{
    (void)A;
    (void)o;
    NeuralSteps *s = NULL;
    int K = steps_K(p);
    if (neural_steps(p->eps, p->n_eps, K, K, &s) != ANALYSIS_OK) return;
    int n = s->n_units, ur = s->order[STEPS_SEL_REWARD * n], uc = s->order[STEPS_SEL_CHOICE * n];
    fig_cat(b, nb, "%d steps per trial, %ld trials; most reward-selective unit %d (Welch t = %.3g at the outcome), most "
                   "choice-selective unit %d (t = %.3g at the choice); PC1 and PC2 of the steps explain %.0f%% and %.0f%%",
            K, s->n_trials, ur, s->sel[STEPS_SEL_REWARD * n + ur], uc, s->sel[STEPS_SEL_CHOICE * n + uc],
            100 * s->pca->explained[0], 100 * s->pca->explained[1]);
    neural_steps_free(s);
}

#define PERI_CAPTION(ev, split, score)                                                                              \
    "Prefrontal rates at each step around the " ev " step (step 0, dashed line), mean ± SE across trials (bands): "  \
    "the population's mean rate and the " split " units (largest |" score "|, Welch's statistic of the difference "  \
    "of condition means at step 0), by the trial's reward (top) and by its choice (bottom). Steps before and after "  \
    "reach into the previous and next trials; shading and the letter under each step give its epoch (F fixation, C " \
    "choice, O outcome, I inter-trial interval). Rates are the model's dimensionless units; with thousands of "  \
    "trials the SE bands are often narrower than the lines."

const FigureKind figures_steps[] = {
    { PLOT_PERI_CHOICE, "peri_choice", "Activity around the choice",
      PERI_CAPTION("choice", "three most choice-selective", "arm 1 − arm 0"), RA_PCA, 0, applies_steps,
      write_peri_choice, numbers_steps, 0 },
    { PLOT_PERI_OUTCOME, "peri_outcome", "Activity around the outcome",
      PERI_CAPTION("outcome", "three most reward-selective", "rewarded − unrewarded"), RA_PCA, 0, applies_steps,
      write_peri_outcome, numbers_steps, 0 },
    { PLOT_STEPS_PCA, "steps_pca", "State space within a trial",
      "The per-step prefrontal rates projected on the first two principal components of all steps pooled (each "
      "episode's first trial left out of the fit), averaged over trials of each arm × reward (colour: arm; dashed: "
      "unrewarded), from the trial's fixation step (triangle) through its choice (circle) and outcome (square) to the "
      "next trial's fixation; right: PC1 and PC2 against the step from the choice, ± SE across trials.",
      RA_PCA, 0, applies_steps, write_steps_pca, numbers_steps, 0 },
    { 0 }
};
