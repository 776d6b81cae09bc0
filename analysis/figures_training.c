/* analysis/figures_training.c: the figure of a train run's meta-training
** curve (`metarl plot training`): its row of the kinds table (figure.h) and
** its writer: one data file per run, at most 200 rows of bins whatever the
** number of episodes, and a gnuplot script of five panels.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/figure.h"
#include "analysis/training_summary.h"

enum { TR_REWARD, TR_PBEST, TR_REGRET, TR_ENTROPY, TR_GRAD, TR_N };

#define TR_BINS 200   /* rows of a run's .dat, whatever its number of episodes */
#define TR_COLS 22    /* columns of a bin's row; see the header written by write_run_bins */
/* 1-based gnuplot columns of metric c: its line (mean; median for the gradient norm) and its band */
#define TR_MID(c) (5 + 3 * (c))
#define TR_P10(c) (6 + 3 * (c))
#define TR_P90(c) (7 + 3 * (c))

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The q-quantile of sorted v[0..k-1] (k > 0), interpolated between order statistics. */
static double quantile(const double *v, int k, double q)
{
    double h = q * (k - 1);
    int i = (int)floor(h);
    return i + 1 < k ? v[i] + (h - i) * (v[i + 1] - v[i]) : v[k - 1];
}

/* Mean (or median), 10th and 90th percentiles of the finite values of x[0..k-1]
** into out[0..2] (NaN if none); tmp holds k doubles. */
static void bin_stats(const double *x, int k, double *tmp, int median, double *out)
{
    int m = 0;
    double sum = 0.0;
    for (int i = 0; i < k; i++)
        if (isfinite(x[i])) tmp[m++] = x[i], sum += x[i];
    if (m == 0) {
        out[0] = out[1] = out[2] = NAN;
        return;
    }
    qsort(tmp, (size_t)m, sizeof *tmp, cmp_double);
    out[0] = median ? quantile(tmp, m, 0.5) : sum / m;
    out[1] = quantile(tmp, m, 0.1);
    out[2] = quantile(tmp, m, 0.9);
}

/* Run r's training rows in min(n_train, TR_BINS) bins of (nearly) equal numbers
** of episodes, TR_COLS numbers a bin into bins (see write_run_bins). Return the
** number of bins, or -1 if out of memory. */
static int make_bins(const PlotRun *r, double *bins)
{
    int m = r->n_train, nb = m < TR_BINS ? m : TR_BINS;
    double T = r->trials_per_episode > 0 ? r->trials_per_episode : 1.0;
    int kmax = m / nb + 1;
    double *x = malloc((size_t)kmax * 2 * sizeof *x);
    if (!x) return -1;
    double *tmp = x + kmax;
    for (int b = 0; b < nb; b++) {
        int lo = (int)((long)m * b / nb), hi = (int)((long)m * (b + 1) / nb), k = hi - lo;
        double *row = bins + (size_t)b * TR_COLS, ep = 0.0;
        for (int e = lo; e < hi; e++) ep += (double)r->train[e].episode;
        row[0] = ep / k;
        row[1] = (double)r->train[lo].episode;
        row[2] = (double)r->train[hi - 1].episode;
        row[3] = k;
        for (int c = 0; c < TR_N; c++) {
            for (int e = lo; e < hi; e++) {
                const TrainRow *t = &r->train[e];
                x[e - lo] = c == TR_REWARD ? t->reward / T : c == TR_PBEST ? t->p_best : c == TR_REGRET ? t->regret
                          : c == TR_ENTROPY ? t->entropy : t->grad_norm;
            }
            bin_stats(x, k, tmp, c == TR_GRAD, row + 4 + 3 * c);
        }
        double sp = 0, sv = 0, sb = 0;
        for (int e = lo; e < hi; e++) sp += r->train[e].loss_policy, sv += r->train[e].loss_value, sb += r->train[e].beta_e;
        row[19] = sp / k;
        row[20] = sv / k;
        row[21] = sb / k;
    }
    free(x);
    return nb;
}

/* Write run r's nb bins to its data file (its name into name). */
static void write_run_bins(Fig *F, const PlotRun *r, const double *bins, int nb, char *name)
{
    char cols[900];
    snprintf(cols, sizeof cols,
             "episode episode_first episode_last n reward_per_trial reward_p10 reward_p90 p_best p_best_p10 "
             "p_best_p90 regret regret_p10 regret_p90 entropy entropy_p10 entropy_p90 grad_norm_median "
             "grad_norm_p10 grad_norm_p90 loss_policy loss_value beta_e   (one row per bin of %d of the %d "
             "training episodes, in order; episode = the bin's mean episode; values are the bin's means, "
             "_p10/_p90 its 10th/90th percentiles over episodes; reward_per_trial = episode reward / %d trials; "
             "no clock column, so that the figure's files are the same bits on every machine)",
             nb > 0 ? r->n_train / nb : 0, r->n_train, r->trials_per_episode > 0 ? r->trials_per_episode : 1);
    FILE *f = fig_data_open(F, r, NULL, name, PLOT_NAME_MAX, "training curve in bins", cols);
    if (!f) return;
    for (int b = 0; b < nb; b++) {
        const double *row = bins + (size_t)b * TR_COLS;
        fprintf(f, "%.0f %.0f %.0f %.0f", row[0], row[1], row[2], row[3]);
        for (int c = 4; c < TR_COLS; c++) fig_num(f, row[c]);
        fputc('\n', f);
    }
    fig_close(F, f, name);
}

/* What the panels need to know of all the runs together. */
typedef struct TrScale {
    int any_best, any_regret, binary, per_trial, grad_pos;
    double max_ep, glo, ghi;   /* the gradient norm's axis: the bins' bands, widened a little */
    long g_off;                /* episodes whose gradient norm lies above ghi */
    double g_max;
} TrScale;

static void scan_rows(const PlotRun *runs, int n, TrScale *S)
{
    memset(S, 0, sizeof *S);
    S->binary = S->per_trial = S->grad_pos = 1;
    S->glo = INFINITY, S->ghi = -INFINITY, S->g_max = -INFINITY;
    for (int i = 0; i < n; i++) {
        const PlotRun *r = &runs[i];
        double T = r->trials_per_episode > 0 ? r->trials_per_episode : 1.0;
        if (r->trials_per_episode <= 0) S->per_trial = 0;
        for (int e = 0; e < r->n_train; e++) {
            const TrainRow *x = &r->train[e];
            if (isfinite(x->grad_norm) && !(x->grad_norm > 0)) S->grad_pos = 0;
            if (isfinite(x->p_best)) S->any_best = 1;
            if (isfinite(x->regret)) S->any_regret = 1;
            if (isfinite(x->reward / T) && (x->reward / T < 0 || x->reward / T > 1)) S->binary = 0;
            if ((double)x->episode > S->max_ep) S->max_ep = (double)x->episode;
        }
    }
}

/* The gradient norm's axis from the bins' bands (a single exploding step moves
** a bin's median and percentiles little), and the episodes left above it. */
static void grad_scale(const PlotRun *runs, int n, double *const *bins, const int *nb, TrScale *S)
{
    for (int i = 0; i < n; i++)
        for (int b = 0; b < nb[i]; b++) {
            const double *row = bins[i] + (size_t)b * TR_COLS;
            double lo = row[TR_P10(TR_GRAD) - 1], hi = row[TR_P90(TR_GRAD) - 1];
            if (isfinite(lo) && lo < S->glo) S->glo = lo;
            if (isfinite(hi) && hi > S->ghi) S->ghi = hi;
        }
    if (!(S->glo <= S->ghi)) {
        S->glo = S->ghi = NAN;
        return;
    }
    if (S->grad_pos) S->glo /= 2.0, S->ghi *= 2.0;
    else {
        double pad = 0.1 * (S->ghi - S->glo > 0 ? S->ghi - S->glo : 1.0);
        S->glo -= pad, S->ghi += pad;
    }
    for (int i = 0; i < n; i++)
        for (int e = 0; e < runs[i].n_train; e++) {
            double g = runs[i].train[e].grad_norm;
            if (isfinite(g) && g > S->ghi) S->g_off++;
            if (isfinite(g) && g > S->g_max) S->g_max = g;
        }
}

/* The reference agents' regret lines of the runs (each agent and value once) and a note of their sources. */
static int reference_lines(FILE *g, const PlotRun *runs, int n, char *note, size_t n_note)
{
    int k = 0;
    note[0] = '\0';
    for (int i = 0; i < n; i++)
        for (int j = 0; j < runs[i].n_refs; j++) {
            const PlotReference *p = &runs[i].refs[j];
            int seen = 0;
            for (int a = 0; a < i && !seen; a++)
                for (int b = 0; b < runs[a].n_refs; b++)
                    if (runs[a].refs[b].regret == p->regret && !strcmp(runs[a].refs[b].agent, p->agent)) seen = 1;
            if (seen || !isfinite(p->regret) || k >= 8) continue;
            k++;
            fprintf(g, "set arrow %d from graph 0, first %.6g to graph 1, first %.6g nohead dt %d lw 1.5 lc rgb '#555555'\n",
                    10 + k, p->regret, p->regret, k + 1);
            char t[200];
            snprintf(t, sizeof t, "%s %.3g", p->agent, p->regret);
            fprintf(g, "set label %d ", 10 + k);
            fig_quote(g, t);
            /* labels above and below their lines in turn, so that close references stay legible */
            fprintf(g, " at graph 0.98, first %.6g right offset 0,%s tc rgb '#444444' font ',9'\n", p->regret,
                    k % 2 ? "0.55" : "-0.6");
            fig_cat(note, n_note, "%s%s %.3g%s%s%s", k > 1 ? "; " : "reference regret per episode: ", p->agent,
                    p->regret, p->source ? " (" : "", p->source ? p->source : "", p->source ? ")" : "");
        }
    return k;
}

static void unset_reference_lines(FILE *g, int k)
{
    for (int j = 1; j <= k; j++) fprintf(g, "unset arrow %d\nunset label %d\n", 10 + j, 10 + j);
}

/* A log y axis over [lo, hi] with labelled tics at 1, 2, 5 x 10^k (powers of ten alone over wide
** ranges, and every few powers over very wide ones, so that at most 8 labels share the axis). */
static void log_tics(FILE *g, double lo, double hi)
{
    int wide = hi / lo > 1e4, first = 1;
    int e0 = (int)floor(log10(lo)), e1 = (int)ceil(log10(hi)), every = (e1 - e0) / 8 + 1;
    fprintf(g, "set logscale y\nset format y '%%g'\nset ytics (");
    for (int e = e0; e <= e1; e++)
        for (int m = 1; m <= 5; m += m == 1 ? 1 : 3) {
            double v = m * pow(10.0, e);
            if (v < lo || v > hi || (wide && m > 1) || (e - e0) % every != 0) continue;
            fprintf(g, "%s'%g' %g", first ? "" : ", ", v, v);
            first = 0;
        }
    fprintf(g, first ? "'%g' %g)\n" : ")\n", lo, lo);
}

typedef struct TrPanel {
    const char *title, *ylabel;
    int metric;
    double lo, hi;
} TrPanel;

/* One panel: a band (10th-90th percentile of the bin's episodes) and a line per run. */
static void plot_panel(FILE *g, const PlotRun *runs, int n, char names[][PLOT_NAME_MAX], const TrPanel *p,
                       const char *x)
{
    fprintf(g, "\n# panel: %s\nset title ", p->title);
    fig_quote(g, p->title);
    fprintf(g, "\nset ylabel ");
    fig_quote(g, p->ylabel);
    fputc('\n', g);
    fig_range(g, "y", p->lo, p->hi);
    fprintf(g, "plot ");
    int first = 1, c = p->metric;
    for (int i = 0; i < n; i++) {
        fig_sep(g, &first);
        fig_quote(g, names[i]);
        fprintf(g, " using %s:%d:%d with filledcurves lt %d fs transparent solid band noborder notitle", x, TR_P10(c),
                TR_P90(c), i + 1);
    }
    for (int i = 0; i < n; i++) {
        fig_sep(g, &first);
        fig_quote(g, names[i]);
        fprintf(g, " using %s:%d with lines lt %d lw 2 ", x, TR_MID(c), i + 1);
        if (n > 1) {
            fputs("title ", g);
            fig_label(g, &runs[i]);
        } else {
            fputs("notitle", g);
        }
    }
    fputc('\n', g);
}

/* The multiplot's last cell: no axes, only each run's line and name. */
static void legend_cell(FILE *g, const PlotRun *runs, int n)
{
    fprintf(g, "\n# the legend\nunset title\nunset xlabel\nunset ylabel\nunset border\nunset xtics\nunset ytics\n"
               "unset mxtics\nset key at graph 0, graph 0.5 left center vertical maxrows %d Left reverse samplen 3 spacing 1.0 font ',10'\n"
               "set xrange [0:1]\nset yrange [0:1]\nplot ", n);
    for (int i = 0; i < n; i++) {
        fprintf(g, "%sNaN with lines lt %d lw 2 title ", i ? ", " : "", i + 1);
        fig_label(g, &runs[i]);
    }
    fputc('\n', g);
}

static void write_training_script(Fig *F, const PlotRun *runs, int n, char names[][PLOT_NAME_MAX], const TrScale *S,
                                  int per_bin)
{
    FILE *g = F->gp;
    char title[512], mtitle[800], note[1200], x[32];
    fig_title(runs, n, "Meta-training of the network", title, sizeof title);
    if (n == 1 && runs[0].task) fig_cat(title, sizeof title, " on %s", runs[0].task);
    fig_wrap(title, FIG_TITLE_WIDTH * 3 / 2);   /* the multiplot's title spans the three panels */
    fig_preamble(F, title);
    snprintf(mtitle, sizeof mtitle, "%s\nline: mean of each bin of %s%d episodes (gradient norm: median), "
             "shaded: its 10th-90th percentile", title, n > 1 ? "~" : "", per_bin);
    int thousands = S->max_ep >= 10000;
    double xmax = thousands ? S->max_ep / 1000.0 : S->max_ep, step = fig_nice_step(xmax, 4);
    snprintf(x, sizeof x, thousands ? "($1/1000)" : "1");
    /* with several runs the legend gets a cell of its own: drawn inside a
    ** panel, a key of 6-8 seeds covered its curves */
    int np = 3 + S->any_best + S->any_regret + (n > 1);
    fprintf(g, "set multiplot layout 2,%d title ", (np + 1) / 2);
    fig_quote(g, mtitle);
    fprintf(g, " font tfont margins 0.08,0.97,0.12,%.3f spacing 0.10,0.17\n", fig_top_margin(mtitle, 0.86));
    fprintf(g, "set xlabel '%s'\nset xtics %g\nset mxtics 2\n", thousands ? "training episode (thousands)" : "training episode",
            step);
    fig_range(g, "x", 0, ceil(xmax / step - 1e-9) * step);   /* the last tick at the axis' end, never cut */
    fprintf(g, n > 1 ? "set key off\n" : "set key off\nunset logscale y\nset format y '%%g'\n");
    TrPanel reward = { S->per_trial ? "Reward per trial" : "Reward per episode",
                       S->per_trial ? "reward per trial" : "reward per episode", TR_REWARD,
                       S->binary && S->per_trial ? 0.0 : NAN, S->binary && S->per_trial ? 1.0 : NAN };
    plot_panel(g, runs, n, names, &reward, x);
    if (S->any_best) {
        TrPanel pb = { "P(choose the better arm)", "P(better arm)", TR_PBEST, 0.0, 1.0 };
        fprintf(g, "set arrow 2 from graph 0, first 0.5 to graph 1, first 0.5 nohead dt 2 lc rgb '#888888'\n");
        plot_panel(g, runs, n, names, &pb, x);
        fprintf(g, "unset arrow 2\n");
    }
    if (S->any_regret) {
        TrPanel rg = { "Regret per episode", "regret (expected reward lost)", TR_REGRET, 0.0, NAN };
        int k = reference_lines(g, runs, n, note, sizeof note);
        if (note[0]) {
            fprintf(g, "set label 30 ");
            fig_quote(g, note);
            fprintf(g, " at screen 0.01, screen 0.015 left font ',9' tc rgb '#444444'\n");
        }
        plot_panel(g, runs, n, names, &rg, x);
        unset_reference_lines(g, k);
        fprintf(g, "unset label 30\n");
    }
    TrPanel en = { "Policy entropy", "entropy per trial (nats)", TR_ENTROPY, 0.0, 0.75 };
    fprintf(g, "set arrow 1 from graph 0, first log(2) to graph 1, first log(2) nohead dt 2 lc rgb '#888888'\n"
               "set label 1 'ln 2 (coin flip)' at graph 0.98, first log(2) right offset 0,0.6 tc rgb '#666666'\n");
    plot_panel(g, runs, n, names, &en, x);
    fprintf(g, "unset arrow 1\nunset label 1\n");
    TrPanel gr = { S->grad_pos ? "Gradient norm before clipping (log scale)" : "Gradient norm before clipping",
                   "gradient norm", TR_GRAD, S->glo, S->ghi };
    if (S->grad_pos && isfinite(S->glo)) log_tics(g, S->glo, S->ghi);
    if (S->g_off > 0) {
        snprintf(note, sizeof note, "%ld episode%s above (max %.2g)", S->g_off, S->g_off == 1 ? "" : "s", S->g_max);
        fprintf(g, "set label 2 ");
        fig_quote(g, note);
        fprintf(g, " at graph 0.98, graph 0.94 right front font ',8' tc rgb '#B00000'\n");
    }
    plot_panel(g, runs, n, names, &gr, x);
    fprintf(g, "unset label 2\nunset logscale y\nset ytics autofreq\n");
    if (n > 1) legend_cell(g, runs, n);
    fprintf(g, "unset multiplot\n");
}

static void write_training(Fig *F, const PlotRun *runs, int n)
{
    char names[PLOT_MAX_FILES][PLOT_NAME_MAX];
    double *bins[PLOT_MAX_FILES] = { 0 };
    int nb[PLOT_MAX_FILES] = { 0 }, per_bin = 1;
    TrScale S;
    scan_rows(runs, n, &S);
    for (int i = 0; i < n && !F->failed; i++) {
        bins[i] = malloc((size_t)TR_BINS * TR_COLS * sizeof *bins[i]);
        nb[i] = bins[i] ? make_bins(&runs[i], bins[i]) : -1;
        if (nb[i] < 0) {
            fig_fail(F, "out of memory");
            break;
        }
        if (nb[i] > 0 && runs[i].n_train / nb[i] > per_bin) per_bin = runs[i].n_train / nb[i];
        write_run_bins(F, &runs[i], bins[i], nb[i], names[i]);
    }
    if (!F->failed) {
        grad_scale(runs, n, bins, nb, &S);
        write_training_script(F, runs, n, names, &S, per_bin);
    }
    for (int i = 0; i < n; i++) free(bins[i]);
}

static const char *applies_training(const PlotRun *r, const PlotOptions *o)
{
    if (!r->train) return "is not a train run (only train runs have a training curve)";
    if (r->n_train == 0) return "has no training rows yet";
    return NULL;
}

/* Final training performance (training_final: the last tenth of the curve). */
static void numbers_training(const PlotRun *p, const RunAnalysis *A, const PlotOptions *o, char *b, size_t nb)
{
    TrainingFinal f;
    if (training_final(p->train, p->n_train, p->trials_per_episode, &f) != ANALYSIS_OK) return;
    fig_cat(b, nb, "%d episodes; over the last %d, reward/trial %.3f", p->n_train, f.n_rows,
            isfinite(f.reward_per_trial) ? f.reward_per_trial : f.reward);
    if (f.n_p_best) fig_cat(b, nb, ", P(better arm) %.3f", f.p_best);
}

const FigureKind figures_training[] = {
    { PLOT_TRAINING, "training", "Training curve",
      "Meta-training of the network, in 200 bins of consecutive episodes: the mean of each bin (line) and the "
      "10th-90th percentile of its episodes (shaded) of the reward per trial, the probability of choosing the "
      "better arm, the regret per episode (with the reference agents' regret where known), the policy entropy in "
      "nats (ln 2 = a coin flip) and the median norm of the gradient before clipping (log scale, its axis on the "
      "bins' percentiles; episodes above it are counted in the panel), against the training episode.",
      0, 0, applies_training, write_training, numbers_training, 0 },
    { 0 }
};
