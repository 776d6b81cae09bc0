/* analysis/figures_neural.c: the figures of the network's activity (pca,
** trajectories, decoding, selectivity) and of its critic's prediction errors
** (rpe): their rows of the kinds table (figure.h, at the end of this file) and
** their writers, each one writing its data files and then its gnuplot script.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/figure.h"
#include "model/agent.h"

/* Decoding targets, indexed by NeuralTarget. */
static const char *const target_keys[PLOT_N_TARGETS] = { "p0", "p1", "best", "block_parity", "belief" };
static const char *const target_labels[PLOT_N_TARGETS] = { "p(reward), arm 0", "p(reward), arm 1", "better arm",
                                                           "block parity", "observer belief" };
static int n_decoded(const PlotRun *r)
{
    int n = 0;
    for (int k = 0; r->dec && r->dec_ok && k < PLOT_N_TARGETS; k++) n += r->dec_ok[k] != 0;
    return n;
}

static int has_p0(const PlotRun *r)
{
    const NeuralPca *p = r->pca;
    for (long i = 0; p && r->eps && i < p->n_rows; i++)
        if (isfinite(r->eps[p->episode[i]]->trials[p->t[i]].truth.p[0])) return 1;
    return 0;
}

static int has_rpe_lags(const NeuralRpe *p)
{
    for (int i = 0; p && i < BEHAVIOR_REV_N_LAGS; i++)
        if (p->rev_n[i] > 0) return 1;
    return 0;
}

/* ---- PCA ------------------------------------------------------------------------------------------ */

#define PCA_SHOWN 20

static void write_pca(Fig *F, const PlotRun *runs, int n)
{
    char names[PLOT_MAX_FILES][PLOT_NAME_MAX], title[512];
    int P = 0;
    for (int i = 0; i < n && !F->failed; i++) {
        const NeuralPca *p = runs[i].pca;
        if (p->n_units > P) P = p->n_units;
        FILE *f = fig_data_open(F, &runs[i], NULL, names[i], PLOT_NAME_MAX,
                            "PCA of the prefrontal rates (pooled over trials and episodes, centred per unit)",
                            "component eigenvalue explained cumulative");
        if (!f) return;
        double cum = 0.0;
        for (int k = 0; k < p->n_units; k++) {
            cum += p->explained[k];
            fprintf(f, "%d", k + 1);
            fig_num(f, p->eigenvalues[k]);
            fig_num(f, p->explained[k]);
            fig_num(f, cum);
            fputc('\n', f);
        }
        fig_close(F, f, names[i]);
    }
    if (F->failed) return;
    int shown = P < PCA_SHOWN ? P : PCA_SHOWN;
    FILE *g = F->gp;
    fig_titled(F, runs, n, "Variance explained by principal components", title, sizeof title);
    fprintf(g, "set xlabel 'principal component'\nset ylabel 'fraction of variance'\nset yrange [0:1.02]\n"
               "set ytics 0,0.2,1\nset xtics 1\nset key center right\n");
    if (shown > 12) fprintf(g, "set xtics 2\n");
    fig_range(g, "x", 0.4, shown + 0.6);
    if (n == 1) fprintf(g, "set boxwidth 0.7 relative\n");
    int first = 1;
    fprintf(g, "plot ");
    for (int i = 0; i < n; i++) {
        fig_sep(g, &first);
        fig_quote(g, names[i]);
        if (n == 1) fprintf(g, " using 1:3 with boxes lt 1 fs solid 0.6 title 'each component'");
        else {
            fprintf(g, " using 1:3 with linespoints lt %d title ", i + 1);
            char t[600];
            snprintf(t, sizeof t, "%s: each", runs[i].label ? runs[i].label : "");
            fig_quote(g, t);
        }
        fig_sep(g, &first);
        fig_quote(g, names[i]);
        fprintf(g, " using 1:4 with linespoints lt %d dt 2 pt 6 title ", n == 1 ? 2 : i + 1);
        if (n == 1) fig_quote(g, "cumulative");
        else {
            char t[600];
            snprintf(t, sizeof t, "%s: cumulative", runs[i].label ? runs[i].label : "");
            fig_quote(g, t);
        }
    }
    fputc('\n', g);
}

/* ---- trajectories ------------------------------------------------------------------------------------ */

static double traj_color(const PlotRun *r, long row, PlotColor c)
{
    const NeuralPca *p = r->pca;
    const EpisodeRecord *e = r->eps[p->episode[row]];
    int t = p->t[row];
    switch (c) {
    case PLOT_COLOR_REWARD:
        return t >= 1 && e->trials[t - 1].action >= 0 ? e->trials[t - 1].reward : NAN;
    case PLOT_COLOR_P0:
        return e->trials[t].truth.p[0];
    case PLOT_COLOR_BELIEF:
        return r->belief ? r->belief[row] : NAN;
    default:
        return t + 1;
    }
}

/* The figure's own projection: the PCA fitted without each episode's first
** TRAJ_SKIP trials (the network starts every episode from a zero state, and
** that transient would otherwise take the first components and squash the
** rest), every trial scored on it. NULL: fall back on r->pca (too few trials
** to leave any out), or out of memory (then F has failed). */
#define TRAJ_SKIP 1
/* Episode colours (of the lines; the points carry the --color variable) and marker shapes. */
#define TRAJ_N_STYLES 6
static const char *const traj_line[TRAJ_N_STYLES] = { "#000000", "#E69F00", "#CC79A7", "#009E73", "#56B4E9", "#8C564B" };
static const int traj_pt[TRAJ_N_STYLES] = { 7, 9, 5, 11, 13, 15 };
#define TRAJ_KEYED 12   /* episodes named in the key; the rest are counted */

static NeuralPca *traj_pca(Fig *F, const PlotRun *r)
{
    NeuralPca *p = neural_pca_alloc(r->pca->n_units, r->pca->n_rows, 2);
    int rc = p ? neural_pca_fit(r->eps, r->n_eps, TRAJ_SKIP, p) : ANALYSIS_NOMEM;
    if (rc == ANALYSIS_OK) return p;
    neural_pca_free(p);
    if (rc == ANALYSIS_NOMEM) fig_fail(F, "out of memory for the trajectories' PCA");
    return NULL;
}

/* The axis ranges of one panel: the shown trials from TRAJ_SKIP on (the bulk),
** widened to a first trial within half the bulk's span of it, plus a margin;
** lim = {x0, x1, y0, y1}. Return TRAJ_IN | TRAJ_OFF: some first trial lies
** inside the axes, some outside. */
enum { TRAJ_IN = 1, TRAJ_OFF = 2 };

static int traj_range(const NeuralPca *p, long n_shown, double lim[4])
{
    lim[0] = lim[2] = INFINITY, lim[1] = lim[3] = -INFINITY;
    for (long row = 0; row < n_shown; row++)
        for (int c = 0; c < 2; c++) {
            double v = p->scores[(size_t)row * p->k + c];
            if (p->t[row] < p->skip || !isfinite(v)) continue;
            if (v < lim[2 * c]) lim[2 * c] = v;
            if (v > lim[2 * c + 1]) lim[2 * c + 1] = v;
        }
    for (int c = 0; c < 2; c++) {
        double lo = lim[2 * c], hi = lim[2 * c + 1], s = hi - lo;
        if (!(s >= 0)) lo = hi = 0, s = 0;
        for (long row = 0; row < n_shown; row++) {
            double v = p->scores[(size_t)row * p->k + c];
            if (p->t[row] >= p->skip || !isfinite(v) || v < lo - 0.5 * s || v > hi + 0.5 * s) continue;
            if (v < lim[2 * c]) lim[2 * c] = v;
            if (v > lim[2 * c + 1]) lim[2 * c + 1] = v;
        }
        if (!(lim[2 * c + 1] >= lim[2 * c])) lim[2 * c] = lim[2 * c + 1] = 0;
        double m = 0.05 * (lim[2 * c + 1] - lim[2 * c]);
        if (m <= 0) m = 0.5;
        lim[2 * c] -= m, lim[2 * c + 1] += m;
    }
    int where = 0;
    for (long row = 0; row < n_shown; row++) {
        if (p->t[row] != 0) continue;
        double x = p->scores[(size_t)row * p->k], y = p->scores[(size_t)row * p->k + 1];
        if (!isfinite(x) || !isfinite(y)) continue;
        where |= x >= lim[0] && x <= lim[1] && y >= lim[2] && y <= lim[3] ? TRAJ_IN : TRAJ_OFF;
    }
    return where;
}

/* Side by side the key sits inside the panel, at its top: raise the top of
** the y range so that its rows (about 19 pixels or hundredths of an inch
** each, and its box) fit above the data; two entries a row when every label
** is short enough for two columns to fit a panel, else one. */
static void traj_headroom(const PlotOptions *o, int n_runs, int n_shown, int where, double lim[4])
{
    int entries = (n_shown < TRAJ_KEYED ? n_shown : TRAJ_KEYED + 1) + !!(where & TRAJ_IN) + !!(where & TRAJ_OFF) +
                  2 * (o->color == PLOT_COLOR_REWARD);
    int cols = (where & TRAJ_OFF) || n_shown > TRAJ_KEYED ? 1 : 2;   /* their labels are the long ones */
    double panel = (o->height > 0 ? o->height : 600) / (n_runs > 2 ? 2.0 : 1.0) - 120.0;   /* less titles, labels */
    double f = (19.0 * ((entries + cols - 1) / cols) + 16.0) / (panel > 100 ? panel : 100);
    if (f > 0.6) f = 0.6;
    lim[3] += (f / (1 - f) + 0.03) * (lim[3] - lim[2]);
}

/* Run r's table (one block per shown episode) into name; the number of rows written. */
static long traj_data(Fig *F, const PlotRun *r, const NeuralPca *p, int n_ep, char *name, int *T, int *ep_ids)
{
    PlotColor c = F->o->color;
    char cols[700];
    snprintf(cols, sizeof cols,
             "episode shown t trial pc1 pc2 color   (one block per episode, blank line between; episode = its index "
             "among the run's episodes, shown = 1.. its order (colour and marker) in the figure; trial = t + 1; "
             "color = %s; PCA fitted on trials %d onwards of every episode, all trials scored; PC%% of variance: "
             "%.1f, %.1f)",
             c == PLOT_COLOR_TRIAL    ? "trial index"
             : c == PLOT_COLOR_REWARD ? "reward of the previous trial (the last outcome this state has seen)"
             : c == PLOT_COLOR_P0     ? "true reward probability of arm 0"
                                      : "ideal observer's P(arm 0 is the good arm) before the choice",
             p->skip + 1, 100 * p->explained[0], 100 * p->explained[1]);
    FILE *f = fig_data_open(F, r, NULL, name, PLOT_NAME_MAX, "state-space trajectories in the PC1-PC2 plane", cols);
    if (!f) return 0;
    int shown = 0, last_ep = -1;
    long row;
    for (row = 0; row < p->n_rows; row++) {
        int ep = p->episode[row];
        if (ep != last_ep) {
            if (shown == n_ep) break;
            if (last_ep >= 0) fputc('\n', f);
            last_ep = ep;
            ep_ids[shown++] = ep;
        }
        fprintf(f, "%d %d %d %d", ep, shown, p->t[row], p->t[row] + 1);
        fig_num(f, p->scores[(size_t)row * p->k]);
        fig_num(f, p->scores[(size_t)row * p->k + 1]);
        fig_num(f, traj_color(r, row, c));
        fputc('\n', f);
        if (p->t[row] + 1 > *T) *T = p->t[row] + 1;
    }
    fig_close(F, f, name);
    return row;
}

static void traj_colors(FILE *g, PlotColor c, int T, int n_runs)
{
    fprintf(g, "# colours: viridis\nset palette defined (0 '#440154', 0.25 '#3B528B', 0.5 '#21918C', 0.75 '#5EC962', 1 '#FDE725')\n");
    switch (c) {
    case PLOT_COLOR_TRIAL:
        fprintf(g, "set cbrange [1:%d]\nset cblabel 'trial within the episode'\n", T);
        break;
    case PLOT_COLOR_P0:
        fprintf(g, "set cbrange [0:1]\nset cblabel 'true p(reward) of arm 0'\n");
        break;
    case PLOT_COLOR_BELIEF:
        fprintf(g, "set cbrange [0:1]\nset cblabel 'observer: P(arm 0 is the good arm)'\n");
        break;
    case PLOT_COLOR_REWARD:
        fprintf(g, "unset colorbox\nrew(r) = r > 0.5 ? 0x0072B2 : 0xD55E00   # rewarded: blue, unrewarded: vermillion\n");
        break;
    }
    if (n_runs == 1)
        fprintf(g, "# the key beside the plot (right of the colour box), one entry per episode\n"
                   "set key outside right top vertical Left reverse opaque box\n");
    else fprintf(g, "# the key inside each panel, at its top in headroom added to the y range (side by side, one beside\n"
                    "# the panel would leave the data no room), one entry per episode\n"
                    "set key inside top center horizontal Left reverse opaque box maxcols 2 width -2\n");
    fprintf(g, "set style fill solid 1.0   # (the colour box is drawn with the fill style)\n");
}

/* One panel: per shown episode its line (episode colour) and its points
** (marker shape of the episode, colour of the --color variable); then the
** first trials, those off the axes drawn at the edge. */
static void traj_panel(FILE *g, PlotColor c, const char *name, const double lim[4], int where, int n_shown,
                       const int *ep_ids)
{
    fprintf(g, "X0 = %.7g; X1 = %.7g; Y0 = %.7g; Y1 = %.7g   # the bulk's range (trials %d on)\n", lim[0], lim[1],
            lim[2], lim[3], TRAJ_SKIP + 1);
    fprintf(g, "set xrange [X0:X1]\nset yrange [Y0:Y1]\n");
    fprintf(g, "off(x, y) = x < X0 || x > X1 || y < Y0 || y > Y1\n"
               "edge(v, lo, hi) = v < lo ? lo : v > hi ? hi : v\nplot ");
    int first = 1;
    for (int k = 0; k < n_shown; k++) {
        /* colour cycles fastest, the marker after each round of colours: 36 distinct pairs */
        const char *lc = traj_line[k % TRAJ_N_STYLES];
        int pt = traj_pt[(k / TRAJ_N_STYLES) % TRAJ_N_STYLES];
        fig_sep(g, &first);
        fig_quote(g, name);
        fprintf(g, " every :::%d::%d using 5:6 with lines lw 1.2 lc rgb '%s' notitle", k, k, lc);
        fig_sep(g, &first);
        fig_quote(g, name);
        if (c == PLOT_COLOR_REWARD)
            fprintf(g, " every :::%d::%d using 5:6:(rew($7)) with points pt %d ps 0.8 lc rgb variable notitle", k, k, pt);
        else fprintf(g, " every :::%d::%d using 5:6:7 with points pt %d ps 0.8 lc palette notitle", k, k, pt);
        if (k > TRAJ_KEYED) continue;
        fig_sep(g, &first);
        if (k < TRAJ_KEYED)
            fprintf(g, "keyentry with linespoints lw 1.2 pt %d ps 1 lc rgb '%s' title 'episode %d'", pt, lc, ep_ids[k] + 1);
        else fprintf(g, "keyentry with points pt -1 lc rgb '#ffffff' title '... and %d more episodes'", n_shown - TRAJ_KEYED);
    }
    if (c == PLOT_COLOR_REWARD) {
        fig_sep(g, &first);
        fprintf(g, "keyentry with points pt 7 ps 1 lc rgb '#0072B2' title 'after reward'");
        fig_sep(g, &first);
        fprintf(g, "keyentry with points pt 7 ps 1 lc rgb '#D55E00' title 'after no reward'");
    }
    if (where & TRAJ_IN) {
        fig_sep(g, &first);
        fig_quote(g, name);
        fprintf(g, " every ::0::0 using (off($5, $6) ? NaN : $5):6 with points pt 6 ps 2.2 lw 2 lc rgb '#000000' "
                   "title 'first trial'");
    }
    if (where & TRAJ_OFF) {
        fig_sep(g, &first);
        fig_quote(g, name);
        fprintf(g, " every ::0::0 using (off($5, $6) ? edge($5, X0, X1) : NaN):(edge($6, Y0, Y1)) with points pt 8 "
                   "ps 2.2 lw 2 lc rgb '#000000' title 'first trial, off axes'");
    }
    fputc('\n', g);
}

static void write_trajectories(Fig *F, const PlotRun *runs, int n)
{
    char names[PLOT_MAX_FILES][PLOT_NAME_MAX], title[512];
    int n_ep = F->o->n_episodes > 0 ? F->o->n_episodes : 3;
    int T = 1;
    NeuralPca *own[PLOT_MAX_FILES] = { 0 };
    int *ep_ids = calloc((size_t)n * (size_t)n_ep, sizeof *ep_ids);
    long *n_rows = calloc((size_t)n, sizeof *n_rows);
    if (!ep_ids || !n_rows) fig_fail(F, "out of memory for the trajectories");
    for (int i = 0; i < n && !F->failed; i++) {
        own[i] = traj_pca(F, &runs[i]);
        if (F->failed) break;
        n_rows[i] = traj_data(F, &runs[i], own[i] ? own[i] : runs[i].pca, n_ep, names[i], &T, ep_ids + (size_t)i * n_ep);
    }
    if (!F->failed) {
        FILE *g = F->gp;
        char what[128];
        snprintf(what, sizeof what, "State-space trajectories of %d episode%s", n_ep, n_ep == 1 ? "" : "s");
        fig_title(runs, n, what, title, sizeof title);
        fig_preamble(F, title);
        if (n > 1) {
            fprintf(g, "set multiplot layout %d,%d title ", n > 2 ? 2 : 1, n > 1 ? 2 : 1);
            fig_quote(g, title);
            fprintf(g, " font tfont\n");
        }
        traj_colors(g, F->o->color, T, n);
        for (int i = 0; i < n; i++) {
            const NeuralPca *p = own[i] ? own[i] : runs[i].pca;
            double lim[4];
            int where = traj_range(p, n_rows[i], lim), n_shown = 0;
            for (long row = 0; row < n_rows[i]; row++) n_shown += row == 0 || p->episode[row] != p->episode[row - 1];
            if (n > 1) traj_headroom(F->o, n, n_shown, where, lim);
            fprintf(g, "\nset title ");
            if (n == 1) fig_quote(g, title);
            else fig_label(g, &runs[i]);
            fprintf(g, "\nset xlabel 'PC1 (%.0f%% of variance)'\nset ylabel 'PC2 (%.0f%% of variance)'\n",
                    100 * p->explained[0], 100 * p->explained[1]);
            traj_panel(g, F->o->color, names[i], lim, where, n_shown, ep_ids + (size_t)i * n_ep);
        }
        if (n > 1) fprintf(g, "unset multiplot\n");
    }
    for (int i = 0; i < n; i++) neural_pca_free(own[i]);
    free(ep_ids);
    free(n_rows);
}

/* ---- decoding ------------------------------------------------------------------------------------------ */

/* A decode counts as above chance only when it exceeds its null's 95th percentile. */
static int above_null(const NeuralDecode *d) { return neural_decode_above_null(d); }

/* Run r's decoding table: one row per decoded target, the fold scores last. */
static void decoding_data(Fig *F, const PlotRun *r, const int *pos, char *name, double *lo)
{
    int K = 0;
    for (int k = 0; k < PLOT_N_TARGETS; k++)
        if (r->dec_ok[k] && r->dec[k].n_folds > K) K = r->dec[k].n_folds;
    if (K > NEURAL_MAX_FOLDS) K = NEURAL_MAX_FOLDS;
    char cols[600];
    snprintf(cols, sizeof cols,
             "x target r2 r2_fold_sd null_mean null_p05 null_p95 above_null rows episodes folds lambda shuffles "
             "fold_r2_1..fold_r2_%d   (x = position on the plot; r2 pooled over the held-out folds, r2_fold_sd = "
             "SD of the %d folds' own R2; null: targets shuffled across episodes; above_null = 1 if r2 > null_p95)",
             K, K);
    FILE *f = fig_data_open(F, r, NULL, name, PLOT_NAME_MAX, "cross-validated decoding of latent variables", cols);
    if (!f) return;
    for (int k = 0; k < PLOT_N_TARGETS; k++) {
        if (!r->dec_ok[k]) continue;
        const NeuralDecode *d = &r->dec[k];
        fprintf(f, "%d %s", pos[k], target_keys[k]);
        const double v[5] = { d->r2, d->fold_sd, d->null_mean, d->null_p05, d->null_p95 };
        for (int j = 0; j < 5; j++) fig_num(f, v[j]);
        fprintf(f, " %d %ld %d %d", above_null(d), d->n_rows, d->n_episodes, d->n_folds);
        fig_num(f, d->lambda);
        fprintf(f, " %d", d->n_shuffles);
        for (int j = 0; j < K; j++) fig_num(f, j < d->n_folds ? d->fold_r2[j] : NAN);
        fputc('\n', f);
        const double low[3] = { d->r2 - (isfinite(d->fold_sd) ? d->fold_sd : 0.0), d->null_p05, d->null_mean };
        for (int j = 0; j < 3; j++)
            if (isfinite(low[j]) && low[j] < *lo) *lo = low[j];
    }
    fig_close(F, f, name);
}

static void write_decoding(Fig *F, const PlotRun *runs, int n)
{
    char names[PLOT_MAX_FILES][PLOT_NAME_MAX], title[512];
    int pos[PLOT_N_TARGETS], n_t = 0;
    double lo = 0.0;
    for (int k = 0; k < PLOT_N_TARGETS; k++) {
        pos[k] = -1;
        for (int i = 0; i < n; i++)
            if (runs[i].dec_ok && runs[i].dec_ok[k]) pos[k] = n_t;
        if (pos[k] >= 0) n_t++;
    }
    for (int i = 0; i < n && !F->failed; i++) decoding_data(F, &runs[i], pos, names[i], &lo);
    if (F->failed) return;
    lo = lo < -1.0 ? -1.0 : lo - 0.05;
    FILE *g = F->gp;
    fig_title(runs, n, "Decoding latent variables from prefrontal activity", title, sizeof title);
    fig_preamble(F, title);
    /* the title at the top, the legend between it and the plot */
    fprintf(g, "set label 99 ");
    fig_quote(g, title);
    fprintf(g, " at screen 0.5, screen 0.965 center font tfont\n");
    fprintf(g, "set ylabel 'cross-validated R²'\nset grid noxtics\nset ytics -1,0.2,1\n");
    fig_range(g, "y", lo, 1.12);
    fig_range(g, "x", -0.6, n_t - 0.4);
    fprintf(g, "set xtics (");
    for (int k = 0, first = 1; k < PLOT_N_TARGETS; k++) {
        if (pos[k] < 0) continue;
        if (!first) fputs(", ", g);
        first = 0;
        fig_quote(g, target_labels[k]);
        fprintf(g, " %d", pos[k]);
    }
    /* per run and target, a slot of width bw: the decode's bar on the left, its null's box on the right */
    fprintf(g, ")\nN = %d\nbw = 0.8 / N\noff(i) = (i - (N - 1) / 2.0) * bw\n"
               "bx(x, i) = x + off(i) - 0.17 * bw   # the decode's bar\n"
               "nx(x, i) = x + off(i) + 0.3 * bw    # its shuffled null\n"
               "set boxwidth 0.56 * bw absolute\nset style fill solid 0.8 border -1\n"
               "set arrow 1 from graph 0, first 0 to graph 1, first 0 nohead lc rgb '#666666' back\n"
               "set tmargin 6.5\nset key at screen 0.5, screen 0.93 center top horizontal noopaque nobox maxrows 2 width 1\n",
            n);
    int first = 1;
    fprintf(g, "plot ");
    for (int i = 0; i < n; i++) {
        fig_sep(g, &first);
        fig_quote(g, names[i]);
        fprintf(g, " using (nx($1,%d)):(($6+$7)/2):(nx($1,%d)-0.14*bw):(nx($1,%d)+0.14*bw):6:7 with boxxyerror "
                   "fs solid 0.5 border lc rgb '#707070' lc rgb '#b8b8b8' notitle", i, i, i);
        fig_sep(g, &first);
        fig_quote(g, names[i]);
        fprintf(g, " using (bx($1,%d)):3 with boxes lt %d title ", i, i + 1);
        fig_label(g, &runs[i]);
        fig_sep(g, &first);
        fig_quote(g, names[i]);
        fprintf(g, " using (bx($1,%d)):3:(valid(4)?$4:0) with yerrorbars pt 7 ps 0.35 lw 1.5 lc rgb '#000000' notitle", i);
        fig_sep(g, &first);
        fig_quote(g, names[i]);
        fprintf(g, " using (bx($1,%d)-0.3*bw):7:(0.74*bw):(0) with vectors nohead dt 2 lw 2 lc rgb '#000000' notitle", i);
        fig_sep(g, &first);
        fig_quote(g, names[i]);
        fprintf(g, " using (nx($1,%d)-0.14*bw):5:(0.28*bw):(0) with vectors nohead lw 2.5 lc rgb '#000000' notitle", i);
        fig_sep(g, &first);
        fig_quote(g, names[i]);
        fprintf(g, " using (bx($1,%d)):($8>0?($3+(valid(4)?$4:0))+0.03:NaN):('*') with labels font ',16' "
                   "tc rgb '#000000' notitle", i);
    }
    fig_sep(g, &first);
    fprintf(g, "keyentry with yerrorbars pt 7 ps 0.35 lw 1.5 lc rgb '#000000' title '±1 SD over the folds'");
    fig_sep(g, &first);
    fprintf(g, "keyentry with boxes fs solid 0.5 border lc rgb '#707070' lc rgb '#b8b8b8' "
               "title 'shuffled null: 5th-95th pct.'");
    fig_sep(g, &first);
    fprintf(g, "keyentry with vectors nohead lw 2.5 lc rgb '#000000' title 'shuffled null: mean'");
    fig_sep(g, &first);
    fprintf(g, "keyentry with vectors nohead dt 2 lw 2 lc rgb '#000000' title 'null 95th pct.'");
    fig_sep(g, &first);
    fprintf(g, "keyentry with points ps 0 title '*  above the null''s 95th pct.'\n");
}

/* ---- selectivity ------------------------------------------------------------------------------------------ */

static void write_selectivity(Fig *F, const PlotRun *runs, int n)
{
    char names[PLOT_MAX_FILES][PLOT_NAME_MAX], title[512];
    double tmax = 2.5;
    for (int i = 0; i < n && !F->failed; i++) {
        const NeuralSelectivity *s = runs[i].sel;
        FILE *f = fig_data_open(F, &runs[i], NULL, names[i], PLOT_NAME_MAX,
                            "unit selectivity: OLS of each unit's rate on the previous action, reward and their "
                            "product (+-1 coded)",
                            "unit t_action t_reward t_interaction p_action p_reward p_interaction b_action "
                            "b_reward b_interaction b_intercept");
        if (!f) return;
        for (int u = 0; u < s->n_units; u++) {
            const double *t = s->tstat + (size_t)u * SEL_N, *pv = s->pval + (size_t)u * SEL_N,
                         *b = s->coef + (size_t)u * SEL_N;
            fprintf(f, "%d", u);
            for (int j = SEL_ACTION; j < SEL_N; j++) {
                fig_num(f, t[j]);
                if (isfinite(t[j]) && fabs(t[j]) > tmax) tmax = fabs(t[j]);
            }
            for (int j = SEL_ACTION; j < SEL_N; j++) fig_num(f, pv[j]);
            for (int j = SEL_ACTION; j < SEL_N; j++) fig_num(f, b[j]);
            fig_num(f, b[SEL_INTERCEPT]);
            fputc('\n', f);
        }
        fig_close(F, f, names[i]);
    }
    if (F->failed) return;
    FILE *g = F->gp;
    fig_titled(F, runs, n, "Unit selectivity", title, sizeof title);
    fprintf(g, "set ylabel 't statistic of the unit''s regression weight'\nset grid noxtics\n"
               "set xrange [0.4:3.6]\nset xtics ('previous action' 1, 'previous reward' 2, 'action × reward' 3)\n");
    if (tmax > 30) {
        /* |t| spans decades (many trials): a signed-log axis keeps both 2 and 800 legible */
        fprintf(g, "# signed logarithmic axis: y' = sgn(t) log10(1 + |t|)\n"
                   "set nonlinear y via sgn(y)*log10(1+abs(y)) inverse sgn(y)*(10**abs(y)-1)\n"
                   "set ytics (");
        int first = 1;
        for (double v = 1000000; v >= 10; v /= 10) {
            if (v > 1.5 * tmax) continue;
            fprintf(g, "%s'-%g' -%g, '%g' %g", first ? "" : ", ", v, v, v, v);
            first = 0;
        }
        fprintf(g, ", '-2' -2, '2' 2, '0' 0)\nset ylabel 't statistic (signed log scale)'\n");
    }
    fig_range(g, "y", -1.08 * tmax, 1.08 * tmax);
    fprintf(g, "level = %g   # filled: p < level\nN = %d\nbw = 0.8 / N\noff(i) = (i - (N - 1) / 2.0) * bw\n"
               "jit(u) = bw * 0.8 * ((u * 0.618034 - floor(u * 0.618034)) - 0.5)   # deterministic spread\n"
               "set arrow 1 from graph 0, first 1.96 to graph 1, first 1.96 nohead dt 2 lc rgb '#888888' back\n"
               "set arrow 2 from graph 0, first -1.96 to graph 1, first -1.96 nohead dt 2 lc rgb '#888888' back\n"
               "set arrow 3 from graph 0, first 0 to graph 1, first 0 nohead lc rgb '#666666' back\n"
               "set key outside bottom center horizontal\n",
            runs[0].sel->level, n);
    int first = 1;
    fprintf(g, "plot ");
    for (int i = 0; i < n; i++) {
        const NeuralSelectivity *s = runs[i].sel;
        for (int j = 0; j < 3; j++) {
            fig_sep(g, &first);
            fig_quote(g, names[i]);
            fprintf(g, " using (%d+off(%d)+jit($1)):($%d<level?$%d:NaN) with points lt %d pt 7 ps 0.9", j + 1, i, 5 + j,
                    2 + j, i + 1);
            if (j == 0) {
                char t[700];
                snprintf(t, sizeof t, "%s: %d, %d, %d of %d units significant", runs[i].label ? runs[i].label : "",
                         s->n_sig[SEL_ACTION], s->n_sig[SEL_REWARD], s->n_sig[SEL_INTERACTION], s->n_units);
                fprintf(g, " title ");
                fig_quote(g, t);
            }
            fig_sep(g, &first);
            fig_quote(g, names[i]);
            fprintf(g, " using (%d+off(%d)+jit($1)):($%d<level?NaN:$%d) with points lt %d pt 6 ps 0.9", j + 1, i, 5 + j,
                    2 + j, i + 1);
        }
    }
    fig_sep(g, &first);
    fprintf(g, "keyentry with points pt 6 ps 0.9 lc rgb '#404040' title 'open: not significant'\n");
}

/* ---- RPE ---------------------------------------------------------------------------------------------------- */

#define RPE_BINS 10
#define RPE_MAX_SCATTER 2500

typedef struct VD {
    double v, d;
} VD;

static int double_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int vd_cmp(const void *a, const void *b)
{
    double x = ((const VD *)a)->v, y = ((const VD *)b)->v;
    return x < y ? -1 : x > y;
}

/* What panel (b) puts on its x axis for each trial of episode e: the
** ideal observer's expected reward of the chosen arm (use_obs), else V. */
static void rpe_xs(const PlotRun *r, int e, int use_obs, double *xs)
{
    if (use_obs) {
        neural_observer_expect(r->eps[e], &r->rpe->obs, xs);
        for (int t = 0; t < r->eps[e]->n_trials; t++)
            if (!isfinite(r->eps[e]->trials[t].value)) xs[t] = NAN;   /* the trials neural_rpe counts */
    } else {
        for (int t = 0; t < r->eps[e]->n_trials; t++) xs[t] = r->eps[e]->trials[t].value;
    }
}

static int max_trials(const PlotRun *r)
{
    int T = 1;
    for (int e = 0; e < r->n_eps; e++)
        if (r->eps[e]->n_trials > T) T = r->eps[e]->n_trials;
    return T;
}

/* delta against V (or the observer's E[r]: use_obs): RPE_BINS bins of equal
** trial counts (deciles), separately for unrewarded (k < RPE_BINS) and
** rewarded trials. -1 if out of memory. */
static int rpe_bins(const PlotRun *r, int use_obs, double *vmean, double *dmean, double *dse, long *cnt)
{
    long total = 0;
    for (int e = 0; e < r->n_eps; e++) total += r->eps[e]->n_trials;
    VD *x = malloc(((size_t)total + 1) * sizeof *x);
    double *xs = malloc((size_t)max_trials(r) * sizeof *xs);
    if (!x || !xs) {
        free(x);
        free(xs);
        return -1;
    }
    for (int rew = 0; rew < 2; rew++) {
        long m = 0;
        for (int e = 0; e < r->n_eps; e++) {
            rpe_xs(r, e, use_obs, xs);
            for (int t = 0; t < r->eps[e]->n_trials; t++) {
                const TrialRecord *y = &r->eps[e]->trials[t];
                if (y->action < 0 || !isfinite(xs[t]) || !isfinite(y->rpe) || !isfinite(y->reward)) continue;
                if ((y->reward > 0.5) != rew) continue;
                x[m].v = xs[t];
                x[m++].d = y->rpe;
            }
        }
        qsort(x, (size_t)m, sizeof *x, vd_cmp);
        for (int b = 0; b < RPE_BINS; b++) {
            long lo = m * b / RPE_BINS, hi = m * (b + 1) / RPE_BINS;
            double sv = 0, s1 = 0, s2 = 0;
            for (long i = lo; i < hi; i++) {
                sv += x[i].v;
                s1 += x[i].d;
            }
            long k = hi - lo;
            int j = rew * RPE_BINS + b;
            cnt[j] = k;
            vmean[j] = k >= 5 ? sv / (double)k : NAN;
            dmean[j] = k >= 5 ? s1 / (double)k : NAN;
            for (long i = lo; i < hi && k >= 5; i++) s2 += (x[i].d - dmean[j]) * (x[i].d - dmean[j]);
            dse[j] = k >= 5 ? sqrt(s2 / (double)(k - 1) / (double)k) : NAN;
        }
    }
    free(x);
    free(xs);
    return 0;
}

/* What a run's delta is: the network's critic, or a reference agent's own
** value estimate (delta = r - V for a one-step V, gamma 1 for bayes's
** undiscounted V: model/agent.h says what each V is). The agent is the
** label's name before " (run N)" (analysis/report.c names test and baseline
** runs so). */
static const char *rpe_value_of(const char *agent)
{
    const AgentType *t = agent_lookup(agent);
    return t ? agent_value_text(t) : NULL;
}

/* Whose delta run r's is: for a title (legend = 0: "of the network's
** striatal critic", "of rw's own values (V = Q of the chosen arm)") or for
** a legend entry after the run's label ("striatal critic", "its own δ (V = ...)"). */
static void rpe_source(const PlotRun *r, int legend, char *out, size_t n)
{
    char name[200];
    const char *l = r->label ? r->label : "", *cut = strstr(l, " (run ");
    snprintf(name, sizeof name, "%.*s", (int)(cut ? (size_t)(cut - l) : strlen(l)), l);
    const char *v = rpe_value_of(name);
    if (!strcmp(name, "network") || !name[0]) snprintf(out, n, legend ? "striatal critic" : "of the network's striatal critic");
    else if (legend) snprintf(out, n, "its own δ%s%s%s", v ? " (V = " : "", v ? v : "", v ? ")" : "");
    else snprintf(out, n, "of %s's own values%s%s%s", name, v ? " (V = " : "", v ? v : "", v ? ")" : "");
}

typedef struct RpeFiles {
    char outn[PLOT_MAX_FILES][PLOT_NAME_MAX], binn[PLOT_MAX_FILES][PLOT_NAME_MAX], revn[PLOT_MAX_FILES][PLOT_NAME_MAX];
    char trin[PLOT_NAME_MAX];
    int any_rev;
    int any_bin;                                         /* some run has a decile with a defined mean */
    int use_obs;                                         /* panel (b) against the observer's E[r], not V */
    double alo, ahi;                                     /* range of panel (a) */
    double bin_lo[2 * RPE_BINS], bin_hi[2 * RPE_BINS];   /* deciles of run 0, -+ 1 SE */
    double blo, bhi;                                     /* 1st..99th percentiles of the single trials */
    char label[PLOT_MAX_FILES][PLOT_NAME_MAX];           /* legend entries: label, whose delta */
    PlotRun labelled[PLOT_MAX_FILES];                    /* the runs with those labels */
} RpeFiles;

/* Run i's tables: delta by outcome, against V in deciles, around reversals. */
static void rpe_data(Fig *F, const PlotRun *runs, int i, RpeFiles *R)
{
    char (*outn)[PLOT_NAME_MAX] = R->outn, (*binn)[PLOT_NAME_MAX] = R->binn, (*revn)[PLOT_NAME_MAX] = R->revn;
    double *bin_lo = R->bin_lo, *bin_hi = R->bin_hi;
    const PlotRun *r = &runs[i];
    const NeuralRpe *p = r->rpe;
    revn[i][0] = binn[i][0] = '\0';
    FILE *f = fig_data_open(F, r, "outcome", outn[i], PLOT_NAME_MAX, "mean RPE delta after each outcome",
                        "group rewarded n delta se   (the regression delta ~ 1 + r + V is in the script's header)");
    if (!f) return;
    fprintf(f, "0 0 %ld", p->n_unrewarded);
    fig_num(f, p->mean_unrewarded);
    fig_num(f, p->se_unrewarded);
    fprintf(f, "\n1 1 %ld", p->n_rewarded);
    fig_num(f, p->mean_rewarded);
    fig_num(f, p->se_rewarded);
    fputc('\n', f);
    fig_close(F, f, outn[i]);
    const double m[2] = { p->mean_unrewarded, p->mean_rewarded }, se[2] = { p->se_unrewarded, p->se_rewarded };
    for (int j = 0; j < 2; j++) {
        double e = isfinite(se[j]) ? se[j] : 0;
        if (isfinite(m[j]) && m[j] - e < R->alo) R->alo = m[j] - e;
        if (isfinite(m[j]) && m[j] + e > R->ahi) R->ahi = m[j] + e;
    }
    if (r->eps) {
        double vm[2 * RPE_BINS], dm[2 * RPE_BINS], ds[2 * RPE_BINS];
        long cnt[2 * RPE_BINS];
        if (rpe_bins(r, R->use_obs, vm, dm, ds, cnt) != 0) {
            fig_fail(F, "out of memory");
            return;
        }
        for (int k = 0; k < 2 * RPE_BINS; k++) R->any_bin |= isfinite(dm[k]);
        for (int k = 0; k < 2 * RPE_BINS && i == 0; k++) {
            double e = isfinite(ds[k]) ? ds[k] : 0.0;
            bin_lo[k] = dm[k] - e;
            bin_hi[k] = dm[k] + e;
        }
        if (!(f = fig_data_open(F, r, "value", binn[i], PLOT_NAME_MAX,
                                R->use_obs ? "RPE delta against the ideal observer's expected reward E[r] of the chosen arm"
                                           : "RPE delta against the value estimate V",
                                R->use_obs ? "rewarded decile n expect delta delta_se   (trials of each outcome split into "
                                             "10 bins of equal size by E[r]: decile 0.05 = lowest tenth; blank line "
                                             "between outcomes)"
                                           : "rewarded decile n value delta delta_se   (trials of each outcome split into 10 "
                                             "bins of equal size by V: decile 0.05 = lowest tenth; blank line between "
                                             "outcomes)")))
            return;
        for (int k = 0; k < 2 * RPE_BINS; k++) {
            if (k == RPE_BINS) fputc('\n', f);
            fprintf(f, "%d %.2f %ld", k >= RPE_BINS, (k % RPE_BINS + 0.5) / RPE_BINS, cnt[k]);
            fig_num(f, vm[k]);
            fig_num(f, dm[k]);
            fig_num(f, ds[k]);
            fputc('\n', f);
        }
        fig_close(F, f, binn[i]);
    }
    if (has_rpe_lags(p)) {
        R->any_rev = 1;
        if (!(f = fig_data_open(F, r, "reversal", revn[i], PLOT_NAME_MAX, "RPE delta aligned on reversals",
                            "lag n delta se   (lag 0 = first trial after the reversal)")))
            return;
        for (int k = 0; k < BEHAVIOR_REV_N_LAGS; k++) {
            fprintf(f, "%d %ld", behavior_rev_lag(k), p->rev_n[k]);
            fig_num(f, p->rev_mean[k]);
            fig_num(f, p->rev_se[k]);
            fputc('\n', f);
        }
        fig_close(F, f, revn[i]);
    }
}

/* A sample of single trials, for one run; its 1st..99th percentiles of delta bound panel (b). */
static void rpe_sample(Fig *F, const PlotRun *runs, int n, RpeFiles *R)
{
    char *trin = R->trin;
    trin[0] = '\0';
    if (n == 1 && runs[0].eps && !F->failed) {
        const PlotRun *r = &runs[0];
        long total = 0, m = 0;
        for (int e = 0; e < r->n_eps; e++) total += r->eps[e]->n_trials;
        long step = total / RPE_MAX_SCATTER + 1, k = 0;
        double *ds = malloc(((size_t)total / (size_t)step + 2) * sizeof *ds), *xs = malloc((size_t)max_trials(r) * sizeof *xs);
        FILE *f = ds && xs ? fig_data_open(F, NULL, "trials", trin, sizeof R->trin,
                                           R->use_obs ? "RPE delta and the observer's E[r] of single trials (a sample)"
                                                      : "RPE delta and V of single trials (a sample)",
                                           R->use_obs ? "episode t expect reward delta   (trials with finite V, E[r] and "
                                                        "delta, thinned to at most 2500)"
                                                      : "episode t value reward delta   (trials with finite V and delta, "
                                                        "thinned to at most 2500)")
                           : NULL;
        if (!ds || !xs) fig_fail(F, "out of memory");
        if (!f) {
            free(ds);
            free(xs);
            return;
        }
        for (int e = 0; e < r->n_eps; e++) {
            rpe_xs(r, e, R->use_obs, xs);
            for (int t = 0; t < r->eps[e]->n_trials; t++, k++) {
                const TrialRecord *x = &r->eps[e]->trials[t];
                if (k % step || x->action < 0 || !isfinite(xs[t]) || !isfinite(x->rpe)) continue;
                fprintf(f, "%d %d", e, t);
                fig_num(f, xs[t]);
                fig_num(f, x->reward);
                fig_num(f, x->rpe);
                fputc('\n', f);
                ds[m++] = x->rpe;
            }
        }
        fig_close(F, f, trin);
        if (m >= 10) {
            qsort(ds, (size_t)m, sizeof *ds, double_cmp);
            R->blo = ds[m / 100];
            R->bhi = ds[m - 1 - m / 100];
        }
        free(ds);
        free(xs);
    }
}

/* The three panels' script. */
static void rpe_script(Fig *F, const PlotRun *runs, int n, RpeFiles *R)
{
    char title[512], what[400];
    FILE *g = F->gp;
    int all_net = 1;
    for (int i = 0; i < n; i++) {
        rpe_source(&runs[i], 1, what, sizeof what);
        all_net &= !strcmp(what, "striatal critic");
        R->labelled[i] = runs[i];
        snprintf(R->label[i], sizeof R->label[i], "%s: %s", runs[i].label ? runs[i].label : "", what);
        R->labelled[i].label = R->label[i];
    }
    if (n == 1) rpe_source(&runs[0], 0, what, sizeof what);
    snprintf(title, sizeof title, "Reward-prediction errors %s",
             n == 1 ? what : all_net ? "of the network's striatal critic" : "δ = r + γV′ − V");
    fig_title(runs, n, title, what, sizeof what);
    snprintf(title, sizeof title, "%s", what);
    fig_preamble(F, title);
    for (int i = 0; i < n; i++) {
        const OlsFit *o = &runs[i].rpe->fit, *b = &runs[i].rpe->fit_obs;
        fprintf(g, "# run %lld: delta = %.4g %+.4g r %+.4g V  (SE %.2g, %.2g, %.2g; R2 %.3f, n = %d)\n",
                (long long)runs[i].run_id, o->coef[RPE_INTERCEPT], o->coef[RPE_REWARD], o->coef[RPE_VALUE],
                o->se[RPE_INTERCEPT], o->se[RPE_REWARD], o->se[RPE_VALUE], o->r2, o->n);
        if (b->n > 0)
            fprintf(g, "# run %lld: delta = %.4g %+.4g r %+.4g E[r]  (E: the ideal observer's expected reward of the "
                       "chosen arm; SE %.2g, %.2g, %.2g; R2 %.3f, n = %d)\n",
                    (long long)runs[i].run_id, b->coef[RPE_INTERCEPT], b->coef[RPE_REWARD], b->coef[RPE_EXPECT],
                    b->se[RPE_INTERCEPT], b->se[RPE_REWARD], b->se[RPE_EXPECT], b->r2, b->n);
    }
    int rows = n > 1 ? n : 0;   /* one legend entry per line: they name whose delta it is */
    double kb = n > 1 ? 0.02 + 0.045 * rows : 0.0;   /* room for the legend at the bottom */
    fprintf(g, "set multiplot title ");
    fig_quote(g, title);
    fprintf(g, " font tfont\nset arrow 9 from graph 0, first 0 to graph 1, first 0 nohead lc rgb '#888888' back\n");
    if (n > 1) fprintf(g, "set key at screen 0.5, screen 0.01 center bottom vertical maxrows %d nobox\n", rows);
    else fprintf(g, "set key off\n");
    double top = R->any_rev ? kb + (0.93 - kb) / 2 : kb, h = R->any_rev ? (0.93 - kb) / 2 : 0.93 - kb;
    /* (a) by outcome */
    fprintf(g, "\n# (a) mean delta by outcome\nset origin 0,%.3f\nset size 0.36,%.3f\n", top, h);
    fprintf(g, "set title 'δ after each outcome (±1 SE)'\nset ylabel 'mean RPE δ'\nset xrange [-0.6:1.6]\n"
               "set xtics ('no reward' 0, 'reward' 1)\nset grid noxtics\nset ytics %g\n",
            fig_nice_step(R->ahi - R->alo, 4));
    fig_range(g, "y", R->alo - 0.06 * (R->ahi - R->alo), R->ahi + 0.06 * (R->ahi - R->alo));   /* bars start at 0 */
    fig_grouped_bars(g, R->labelled, n, R->outn, 4, "($4-$5)", "($4+$5)", 0);
    fprintf(g, "\n# (b) delta against %s, in deciles\nset key off\nset origin 0.36,%.3f\nset size 0.64,%.3f\n",
            R->use_obs ? "the observer's E[r]" : "V", top, h);
    if (R->use_obs && n == 1)
        fprintf(g, "set title \"δ against the ideal observer's expected reward E[r] of the chosen arm\\ndots: trials "
                   "(blue: rewarded, orange: not); lines: decile means ±1 SE\"\nset xlabel 'E[r] of the chosen arm (ideal "
                   "observer)'\n");
    else if (R->use_obs)
        fprintf(g, "set title \"δ against the ideal observer's E[r] of the chosen arm\\n(solid: rewarded, dashed: not; ±1 SE)\"\n"
                   "set xlabel 'decile of E[r]'\nset xrange [0:1]\n");
    else if (n == 1)
        fprintf(g, "set title \"δ against the value estimate V\\ndots: trials (blue: rewarded, orange: not); lines: decile means ±1 SE\"\nset xlabel 'value estimate V'\n");
    else
        fprintf(g, "set title 'δ against V (solid: rewarded, dashed: not; ±1 SE)'\n"
                   "set xlabel 'decile of the run''s value estimate V'\nset xrange [0:1]\n");
    fprintf(g, "set ylabel 'RPE δ'\n%s\nset ytics autofreq\nunset xtics\nset xtics nomirror out scale 0.6\nset grid xtics\n",
            n == 1 ? "set autoscale x" : "");
    if (n == 1) {
        /* the bulk of the single trials (1st to 99th percentile) and every decile with its error bar */
        double lo = R->blo, hi = R->bhi;
        for (int k = 0; k < 2 * RPE_BINS && isfinite(lo); k++) {
            if (isfinite(R->bin_lo[k]) && R->bin_lo[k] < lo) lo = R->bin_lo[k];
            if (isfinite(R->bin_hi[k]) && R->bin_hi[k] > hi) hi = R->bin_hi[k];
        }
        if (isfinite(lo) && hi > lo) {
            fig_range(g, "y", lo - 0.08 * (hi - lo), hi + 0.08 * (hi - lo));
            fprintf(g, "set ytics %g\n", fig_nice_step(hi - lo, 4));
        }
    } else if (R->any_bin) {
        fprintf(g, "set autoscale y\n");
    } else {   /* no decile of any run has a mean (a run of a few trials): gnuplot cannot autoscale on nothing */
        fig_range(g, "y", -1, 1);
        fprintf(g, "set label 8 'every decile has fewer than 5 trials' at graph 0.5, graph 0.75 center\n");
    }
    int first = 1, xcol = n == 1 ? 4 : 2;
    fprintf(g, "plot ");
    if (R->trin[0]) {
        fig_sep(g, &first);
        fig_quote(g, R->trin);
        fprintf(g, " using 3:($4>0.5?$5:NaN) with points pt 7 ps 0.3 lc rgb '#a0b8d8' ");
        fig_sep(g, &first);
        fig_quote(g, R->trin);
        fprintf(g, " using 3:($4>0.5?NaN:$5) with points pt 7 ps 0.3 lc rgb '#e8c0a8' ");
    }
    for (int i = 0; i < n; i++) {
        if (!R->binn[i][0]) continue;
        for (int rew = 1; rew >= 0; rew--) {
            fig_sep(g, &first);
            fig_quote(g, R->binn[i]);
            fprintf(g, " every :::%d::%d using %d:5:(valid(6)?$6:0) with yerrorbars lt %d pt %d ps 0.8", rew, rew, xcol, i + 1,
                    rew ? 7 : 6);
            fig_sep(g, &first);
            fig_quote(g, R->binn[i]);
            fprintf(g, " every :::%d::%d using %d:5 with lines lt %d dt %d", rew, rew, xcol, i + 1, rew ? 1 : 2);
        }
    }
    fputc('\n', g);
    if (n > 1 && !R->any_bin) fprintf(g, "unset label 8\n");
    if (R->any_rev) {
        fprintf(g, "\n# (c) delta around reversals\nset key off\nset origin 0,%.3f\nset size 1,%.3f\n"
                   "set title 'δ around reversals (shaded: ±1 SE)'\nset xlabel 'trials from the reversal (0 = first "
                   "trial after the switch)'\nset ylabel 'mean RPE δ'\nset autoscale y\nset ytics autofreq\n",
                kb, h);
        fig_range(g, "x", BEHAVIOR_REV_LAG_MIN, BEHAVIOR_REV_LAG_MAX);
        fprintf(g, "set xtics 5\nset arrow 1 from -0.5, graph 0 to -0.5, graph 1 nohead dt 2 lc rgb '#555555' back\n");
        first = 1;
        fprintf(g, "plot ");
        for (int i = 0; i < n; i++) {
            if (!R->revn[i][0]) continue;
            fig_sep(g, &first);
            fig_quote(g, R->revn[i]);
            fprintf(g, " using 1:($3-$4):($3+$4) with filledcurves lt %d fs transparent solid band noborder", i + 1);
            fig_sep(g, &first);
            fig_quote(g, R->revn[i]);
            fprintf(g, " using 1:3 with lines lt %d", i + 1);
        }
        fputc('\n', g);
    }
    fprintf(g, "unset multiplot\n");
}


static void write_rpe(Fig *F, const PlotRun *runs, int n)
{
    RpeFiles *R = calloc(1, sizeof *R);
    if (!R) {
        fig_fail(F, "out of memory");
        return;
    }
    for (int k = 0; k < 2 * RPE_BINS; k++) R->bin_lo[k] = R->bin_hi[k] = NAN;
    R->blo = R->bhi = NAN;
    R->use_obs = 1;   /* against the observer's E[r] when every run has one (SCIENCE.md: V is a discounted return) */
    for (int i = 0; i < n; i++) R->use_obs &= runs[i].rpe->fit_obs.n > 0 && runs[i].eps != NULL;
    for (int i = 0; i < n && !F->failed; i++) rpe_data(F, runs, i, R);
    rpe_sample(F, runs, n, R);
    if (!F->failed) rpe_script(F, runs, n, R);
    free(R);
}

/* ---- inferred value ---------------------------------------------------------------------- */

/* Panel (a): delta on first-switch and later trials, by outcome; panel (b): the
** weights of the inferred E[r] and of the last experienced reward. */
static void write_inferred(Fig *F, const PlotRun *runs, int n)
{
    char (*barn)[PLOT_NAME_MAX] = calloc((size_t)n, PLOT_NAME_MAX), (*coefn)[PLOT_NAME_MAX] = calloc((size_t)n, PLOT_NAME_MAX),
         (*labels)[PLOT_NAME_MAX] = calloc((size_t)n, PLOT_NAME_MAX);
    PlotRun *lab = calloc((size_t)n, sizeof *lab);
    if (!barn || !coefn || !labels || !lab) {
        fig_fail(F, "out of memory");
        goto done;
    }
    for (int i = 0; i < n && !F->failed; i++) {
        const NeuralInferred *q = &runs[i].rpe->inferred;
        const OlsFit *g = &q->fit;
        FILE *f = fig_data_open(F, &runs[i], "delta", barn[i], PLOT_NAME_MAX,
                                "RPE delta on the first switch to the new good arm after a reversal, and on later trials "
                                "of that arm in the same block",
                                "x rewarded later n delta se   (x: 0 first switch rewarded, 1 later rewarded, 2 first "
                                "switch unrewarded, 3 later unrewarded)");
        if (!f) goto done;
        for (int k = 0; k < 4; k++) {
            int r = k < 2, later = k % 2;
            fprintf(f, "%d %d %d %ld", k, r, later, later ? q->n_later[r] : q->n_switch[r]);
            fig_num(f, later ? q->later_mean[r] : q->switch_mean[r]);
            fig_num(f, later ? q->later_se[r] : q->switch_se[r]);
            fputc('\n', f);
        }
        fig_close(F, f, barn[i]);
        if (!(f = fig_data_open(F, &runs[i], "weights", coefn[i], PLOT_NAME_MAX,
                                "first-switch trials: delta ~ 1 + r + E_inferred + r_last (OLS)",
                                "x term coef se   (x 0: E_inferred, the ideal observer's expected reward of the arm; x 1: "
                                "r_last, the reward last got from that arm, before the reversal)")))
            goto done;
        fprintf(f, "0 E_inferred");
        fig_num(f, g->coef[INF_EXPECT]);
        fig_num(f, g->se[INF_EXPECT]);
        fprintf(f, "\n1 r_last");
        fig_num(f, g->coef[INF_LAST]);
        fig_num(f, g->se[INF_LAST]);
        fputc('\n', f);
        fig_close(F, f, coefn[i]);
        char what[400];
        rpe_source(&runs[i], 1, what, sizeof what);
        lab[i] = runs[i];
        snprintf(labels[i], PLOT_NAME_MAX, "%s: %s (%ld switches)", runs[i].label ? runs[i].label : "", what,
                 q->n_switches);
        lab[i].label = labels[i];
    }
    double lim[4] = { 0, 0, 0, 0 };   /* panel (a) lo, hi; panel (b) lo, hi: bars start at 0 */
    for (int i = 0; i < n; i++) {
        const NeuralInferred *q = &runs[i].rpe->inferred;
        double v[8] = { q->switch_mean[0], q->switch_mean[1], q->later_mean[0], q->later_mean[1],
                        q->fit.coef[INF_EXPECT], q->fit.coef[INF_LAST] },
               s[8] = { q->switch_se[0], q->switch_se[1], q->later_se[0], q->later_se[1], q->fit.se[INF_EXPECT],
                        q->fit.se[INF_LAST] };
        for (int k = 0; k < 6; k++) {
            double e = isfinite(s[k]) ? s[k] : 0.0, *l = lim + (k < 4 ? 0 : 2);
            if (!isfinite(v[k])) continue;
            if (v[k] - e < l[0]) l[0] = v[k] - e;
            if (v[k] + e > l[1]) l[1] = v[k] + e;
        }
    }
    char title[512];
    fig_titled(F, runs, n, "Inferred value in the RPE δ after reversals", title, sizeof title);
    FILE *g = F->gp;
    for (int i = 0; i < n; i++) {
        const OlsFit *c = &runs[i].rpe->inferred.fit;
        fprintf(g, "# run %lld, first-switch trials: delta = %.4g %+.4g r %+.4g E_inferred %+.4g r_last  (SE %.2g, %.2g, "
                   "%.2g, %.2g; n = %d)\n",
                (long long)runs[i].run_id, c->coef[INF_INTERCEPT], c->coef[INF_REWARD], c->coef[INF_EXPECT],
                c->coef[INF_LAST], c->se[INF_INTERCEPT], c->se[INF_REWARD], c->se[INF_EXPECT], c->se[INF_LAST], c->n);
    }
    double kb = 0.03 + 0.045 * n;
    fprintf(g, "set multiplot title ");
    fig_quote(g, title);
    fprintf(g, " font tfont\nset arrow 9 from graph 0, first 0 to graph 1, first 0 nohead lc rgb '#888888' back\n"
               "set key at screen 0.5, screen 0.01 center bottom vertical maxrows %d nobox\n", n);
    fprintf(g, "\n# (a) delta by trial type and outcome\nset origin 0,%.3f\nset size 0.62,%.3f\n", kb, 0.93 - kb);
    fprintf(g, "set title \"δ at the outcome (±1 SE)\\nfirst switch to the new good arm, and later trials of it\"\n"
               "set ylabel 'mean RPE δ'\nset xrange [-0.6:3.6]\nset xtics (\"first switch\\nrewarded\" 0, "
               "\"later\\nrewarded\" 1, \"first switch\\nunrewarded\" 2, \"later\\nunrewarded\" 3)\nset grid noxtics\n");
    fig_range(g, "y", lim[0] - 0.08 * (lim[1] - lim[0]), lim[1] + 0.08 * (lim[1] - lim[0]));
    fig_grouped_bars(g, lab, n, barn, 5, "($5-$6)", "($5+$6)", 0);
    fprintf(g, "\n# (b) weights of inferred and experienced value\nset key off\nset origin 0.62,%.3f\nset size 0.38,%.3f\n",
            kb, 0.93 - kb);
    fprintf(g, "set title \"first-switch δ ~ r + E + r_last\\nweights ±1 SE\"\nset ylabel 'weight'\n"
               "set xrange [-0.6:1.6]\nset xtics (\"E[r], inferred\\n(ideal observer)\" 0, \"last reward,\\nexperienced\" 1)\n");
    fig_range(g, "y", lim[2] - 0.08 * (lim[3] - lim[2]), lim[3] + 0.08 * (lim[3] - lim[2]));
    int any_weight = 0;
    for (int i = 0; i < n; i++) any_weight |= isfinite(runs[i].rpe->inferred.fit.coef[INF_EXPECT]);
    if (!any_weight)   /* fewer first switches than coefficients: say so, not an empty panel */
        fprintf(g, "set label 8 \"not estimable:\\ntoo few first switches\" at graph 0.5, graph 0.75 center\n");
    fig_grouped_bars(g, lab, n, coefn, 3, "($3-$4)", "($3+$4)", 0);
    if (!any_weight) fprintf(g, "unset label 8\n");
    fprintf(g, "unset multiplot\n");
done:
    free(barn);
    free(coefn);
    free(labels);
    free(lab);
}

/* ---- applicability and caption numbers ------------------------------------------------ */

#define NO_ACTIVITY "has no prefrontal unit rates stored (only network test runs record them)"

static const char *applies_pca(const PlotRun *r, const PlotOptions *o) { return r->pca ? NULL : NO_ACTIVITY; }

static const char *applies_trajectories(const PlotRun *r, const PlotOptions *o)
{
    if (!r->pca || !r->eps) return NO_ACTIVITY;
    if (r->pca->k < 2) return "has fewer than two principal components";
    if (o->color == PLOT_COLOR_P0 && !has_p0(r)) return "has no true reward probabilities to colour by (--color p0)";
    if (o->color == PLOT_COLOR_BELIEF && !r->belief)
        return "has no ideal-observer belief to colour by (--color belief needs a reversal run)";
    return NULL;
}

static const char *applies_decoding(const PlotRun *r, const PlotOptions *o)
{
    if (!r->pca) return NO_ACTIVITY;
    if (n_decoded(r) == 0) return "has no latent variable that could be decoded";
    return NULL;
}

static const char *applies_selectivity(const PlotRun *r, const PlotOptions *o)
{
    return r->sel && r->sel->n_rows > 0 ? NULL : NO_ACTIVITY;
}

static const char *applies_rpe(const PlotRun *r, const PlotOptions *o)
{
    return r->rpe ? NULL : "has no value estimate V and RPE (network and value-learning agents only)";
}

static const char *applies_inferred(const PlotRun *r, const PlotOptions *o)
{
    return r->rpe && r->rpe->inferred.n_switches > 0
               ? NULL
               : "has no first switch to the new good arm after a reversal with an RPE (reversal runs of the network and "
                 "of value-learning agents only)";
}

static void numbers_inferred(const PlotRun *p, const RunAnalysis *A, const PlotOptions *o, char *b, size_t nb)
{
    const NeuralInferred *q = &A->rpe.inferred;
    fig_cat(b, nb, "first switch δ %.2f rewarded, %.2f not (later trials %.2f, %.2f); weights: inferred E[r] ",
            q->switch_mean[1], q->switch_mean[0], q->later_mean[1], q->later_mean[0]);
    fig_pm(b, nb, q->fit.coef[INF_EXPECT], q->fit.se[INF_EXPECT], 2);
    fig_cat(b, nb, ", last experienced reward ");
    fig_pm(b, nb, q->fit.coef[INF_LAST], q->fit.se[INF_LAST], 2);
}

static void numbers_pca(const PlotRun *p, const RunAnalysis *A, const PlotOptions *o, char *b, size_t nb)
{
    double cum = 0;
    int k;
    for (k = 0; k < A->pca->n_units && cum < 0.9; k++) cum += A->pca->explained[k];
    fig_cat(b, nb, "PC1 explains %.0f%%, %d component%s reach %.0f%%", 100 * A->pca->explained[0], k, k == 1 ? "" : "s",
            100 * cum);
}

static void numbers_trajectories(const PlotRun *p, const RunAnalysis *A, const PlotOptions *o, char *b, size_t nb)
{
    fig_cat(b, nb, "colour: %s", o->color == PLOT_COLOR_TRIAL    ? "trial within the episode"
                                 : o->color == PLOT_COLOR_REWARD ? "outcome of the previous trial"
                                 : o->color == PLOT_COLOR_P0     ? "true reward probability of arm 0"
                                                                 : "ideal observer's belief that arm 0 is good");
}

static void numbers_decoding(const PlotRun *p, const RunAnalysis *A, const PlotOptions *o, char *b, size_t nb)
{
    for (int k = 0, first = 1; k < RA_N_TARGETS; k++) {
        if (!A->dec_ok[k]) continue;
        fig_cat(b, nb, "%s%s R² %.2f ± %.2f (null 95th percentile %.2f%s)", first ? "" : ", ", ra_target_names[k],
                A->dec[k].r2, A->dec[k].fold_sd, A->dec[k].null_p95, above_null(&A->dec[k]) ? "" : ": not above chance");
        first = 0;
    }
}

static void numbers_selectivity(const PlotRun *p, const RunAnalysis *A, const PlotOptions *o, char *b, size_t nb)
{
    fig_cat(b, nb, "%d, %d and %d of %d units significant for action, reward and interaction", A->sel->n_sig[SEL_ACTION],
            A->sel->n_sig[SEL_REWARD], A->sel->n_sig[SEL_INTERACTION], A->sel->n_units);
}

static void numbers_rpe(const PlotRun *p, const RunAnalysis *A, const PlotOptions *o, char *b, size_t nb)
{
    fig_cat(b, nb, "δ %.2f after reward, %.2f after none; δ ~ r + V: b_r %.2f, b_V %.2f", A->rpe.mean_rewarded,
            A->rpe.mean_unrewarded, A->rpe.fit.coef[RPE_REWARD], A->rpe.fit.coef[RPE_VALUE]);
    const OlsFit *f = &A->rpe.fit_obs;
    if (f->n > 0) {
        fig_cat(b, nb, "; δ ~ r + E[r] of the ideal observer: b_r ");
        fig_pm(b, nb, f->coef[RPE_REWARD], f->se[RPE_REWARD], 2);
        fig_cat(b, nb, ", b_E ");
        fig_pm(b, nb, f->coef[RPE_EXPECT], f->se[RPE_EXPECT], 2);
    }
}

/* ---- the rows ---------------------------------------------------------------------------- */

const FigureKind figures_neural[] = {
    { PLOT_PCA, "pca", "Dimensionality of prefrontal activity",
      "Fraction of the variance of the prefrontal unit rates (pooled over trials and episodes) explained by "
      "each principal component, and the cumulative fraction.",
      RA_PCA, 0, applies_pca, write_pca, numbers_pca, 0 },
    { PLOT_TRAJECTORIES, "trajectories", "State-space trajectories",
      "Prefrontal activity of a few test episodes projected on its first two principal components, one point "
      "per trial (the state in which the network chose), linked in time order; one line colour and marker "
      "shape per episode (key), the points coloured by the variable on the colour bar; circle = first trial. "
      "The components are fitted without each episode's first trial (the network starts every episode from a "
      "zero state, and that transient would otherwise take the first components) and the axes are set on "
      "trials 2 onwards: a first trial far outside them is drawn at the edge (large open triangle).",
      RA_PCA, RA_BELIEF, applies_trajectories, write_trajectories, numbers_trajectories,
      PLOT_OPT_COLOR | PLOT_OPT_EPISODES },
    { PLOT_DECODING, "decoding", "Decoding latent variables",
      "Cross-validated R² of a ridge decoder reading latent task variables from the prefrontal rates (folds "
      "split by episode; whiskers: ±1 SD of the R² over the held-out folds), beside the same procedure with "
      "targets shuffled across episodes (grey box: the null's 5th to 95th percentile; black line: its mean; "
      "dashed line across the bar: its 95th percentile). Only a decode above its null's 95th percentile, "
      "marked *, is above chance.",
      RA_DECODING, 0, applies_decoding, write_decoding, numbers_decoding, 0 },
    { PLOT_SELECTIVITY, "selectivity", "Unit selectivity",
      "t statistic of each prefrontal unit's rate regressed on the previous action, the previous reward and "
      "their product (Wang et al. 2018, Fig. 2); filled points are significant at p < 0.05, dashed lines mark "
      "|t| = 1.96. One point per unit, spread sideways for legibility.",
      RA_SELECTIVITY, 0, applies_selectivity, write_selectivity, numbers_selectivity, 0 },
    { PLOT_RPE, "rpe", "Reward-prediction errors",
      "The dopamine-like RPE δ = r + γV' − V: of the network's striatal critic, or of a reference agent's own "
      "value estimate V (rw: Q of the chosen arm; thompson, ucb1, greedy: its posterior mean; bayes: the "
      "expected reward to the episode's end; observer: the expected reward of the chosen arm). Its mean after "
      "unrewarded and rewarded "
      "outcomes (±1 SE), against the value estimate V (binned means; δ should rise with reward and fall with "
      "V), and aligned on reversals (±1 SE; each reversal's trials cut at the neighbouring reversals).",
      RA_RPE, 0, applies_rpe, write_rpe, numbers_rpe, 0 },
    { PLOT_INFERRED, "inferred", "Inferred value in the RPE",
      "After a reversal in the reversal task, the first trial on which the agent switches to the new good arm (last "
      "chosen before the reversal, when it was the bad one): its δ at the outcome, rewarded and not, beside δ on the "
      "later trials of that arm in the same block (±1 SE; Bromberg-Martin et al. 2010; Wang et al. 2018, Fig. 4). A "
      "system that infers the arm's value from the other arm's outcomes expects reward there already, so its "
      "first-switch δ looks like the later ones; a Rescorla-Wagner learner's stale Q makes a rewarded first switch a "
      "large surprise. Right: the OLS weights of the first-switch δ on the ideal observer's expected reward of the arm "
      "(inferred value) and on the reward last got from it (experienced value), with r in the model; ±1 SE. δ is the "
      "network's striatal critic's, or a reference agent's own (r − V for one-step values).",
      RA_RPE, 0, applies_inferred, write_inferred, numbers_inferred, 0 },
    { 0 }
};
