/* analysis/figures_training.c: the figure of a train run's meta-training
** curve (`metarl plot training`): its row of the kinds table (figure.h) and
** its writer, one data file per run and a four-panel gnuplot script.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/figure.h"
#include "analysis/training_summary.h"
/* Centred moving average of x[0..n-1] over 2h+1 points (fewer at the ends), NaN skipped. */
static void moving_average(const double *x, int n, int h, double *out)
{
    double sum = 0.0;
    long cnt = 0;
    int lo = 0, hi = -1;   /* current window [lo, hi] */
    for (int i = 0; i < n; i++) {
        int want_lo = i - h < 0 ? 0 : i - h, want_hi = i + h >= n ? n - 1 : i + h;
        while (hi < want_hi) {
            hi++;
            if (isfinite(x[hi])) sum += x[hi], cnt++;
        }
        while (lo < want_lo) {
            if (isfinite(x[lo])) sum -= x[lo], cnt--;
            lo++;
        }
        out[i] = cnt > 0 ? sum / (double)cnt : NAN;
    }
}

enum { TR_REWARD, TR_PBEST, TR_REGRET, TR_ENTROPY, TR_GRAD, TR_N };


static void write_training(Fig *F, const PlotRun *runs, int n)
{
    char name[PLOT_NAME_MAX], names[PLOT_MAX_FILES][PLOT_NAME_MAX], title[512];
    int any_best = 0, grad_pos = 1, binary = 1, per_trial = 1, width = 1;
    double max_ep = 0;
    for (int i = 0; i < n; i++)
        for (int e = 0; e < runs[i].n_train; e++)
            if (isfinite(runs[i].train[e].grad_norm) && !(runs[i].train[e].grad_norm > 0)) grad_pos = 0;
    for (int i = 0; i < n && !F->failed; i++) {
        const PlotRun *r = &runs[i];
        int m = r->n_train, h = m / 100;
        if (2 * h + 1 > width) width = 2 * h + 1;
        double T = r->trials_per_episode > 0 ? r->trials_per_episode : 1.0;
        if (r->trials_per_episode <= 0) per_trial = 0;
        double *col = malloc((size_t)m * 2 * TR_N * sizeof *col);
        if (!col) {
            fig_fail(F, "out of memory");
            return;
        }
        double *avg = col + (size_t)m * TR_N;
        for (int e = 0; e < m; e++) {
            const TrainRow *x = &r->train[e];
            col[TR_REWARD * m + e] = x->reward / T;
            col[TR_PBEST * m + e] = x->p_best;
            col[TR_REGRET * m + e] = x->regret;
            col[TR_ENTROPY * m + e] = x->entropy;
            /* the gradient norm spans decades: average its logarithm (a geometric mean) */
            col[TR_GRAD * m + e] = grad_pos ? log(x->grad_norm) : x->grad_norm;
            if (isfinite(x->p_best)) any_best = 1;
            if (isfinite(x->reward / T) && (x->reward / T < 0 || x->reward / T > 1)) binary = 0;
            if ((double)x->episode > max_ep) max_ep = (double)x->episode;
        }
        for (int c = 0; c < TR_N; c++) moving_average(col + (size_t)c * m, m, h, avg + (size_t)c * m);
        if (grad_pos)
            for (int e = 0; e < m; e++) {
                col[TR_GRAD * m + e] = exp(col[TR_GRAD * m + e]);
                avg[TR_GRAD * m + e] = exp(avg[TR_GRAD * m + e]);
            }
        char cols[512];
        snprintf(cols, sizeof cols,
                 "episode reward_per_trial p_best regret entropy grad_norm loss_policy loss_value beta_e wall_s "
                 "reward_per_trial_avg p_best_avg regret_avg entropy_avg grad_norm_avg   (*_avg: centred moving "
                 "average over %d episodes%s; reward_per_trial = episode reward / %g trials)",
                 2 * h + 1, grad_pos ? ", geometric for grad_norm" : "", T);
        FILE *f = fig_data_open(F, r, NULL, name, sizeof name, "training curve", cols);
        if (!f) {
            free(col);
            return;
        }
        snprintf(names[i], PLOT_NAME_MAX, "%s", name);
        for (int e = 0; e < m; e++) {
            const TrainRow *x = &r->train[e];
            fprintf(f, "%lld", (long long)x->episode);
            for (int c = 0; c < TR_N; c++) fig_num(f, col[(size_t)c * m + e]);
            fig_num(f, x->loss_policy);
            fig_num(f, x->loss_value);
            fig_num(f, x->beta_e);
            fig_num(f, x->wall_s);
            for (int c = 0; c < TR_N; c++) fig_num(f, avg[(size_t)c * m + e]);
            fputc('\n', f);
        }
        fig_close(F, f, name);
        free(col);
    }
    if (F->failed) return;
    FILE *g = F->gp;
    fig_title(runs, n, "Meta-training of the network", title, sizeof title);
    fig_preamble(F, title);
    char mtitle[700];
    if (n == 1)
        snprintf(mtitle, sizeof mtitle, "%s\ngrey: each training episode; line: moving average over %d episodes", title,
                 width);
    else
        snprintf(mtitle, sizeof mtitle, "%s\nlines: moving averages over ~2%% of each run", title);
    fprintf(g, "set multiplot layout 2,2 title ");
    fig_quote(g, mtitle);
    fprintf(g, " font tfont\nset xlabel 'training episode'\nset xtics %g\n", fig_nice_step(max_ep, 4));
    fig_range(g, "x", 0, max_ep);
    /* columns: 1 episode, 2 reward, 3 p_best, 4 regret, 5 entropy, 6 grad, 7-10 losses/beta/wall, 11.. averages */
    struct {
        const char *title, *ylabel;
        int col;
        double lo, hi;
        int logy;
    } panels[4] = {
        { per_trial ? "Reward per trial" : "Reward per episode", per_trial ? "reward per trial" : "reward per episode",
          2, binary && per_trial ? 0.0 : NAN, binary && per_trial ? 1.0 : NAN, 0 },
        { any_best ? "P(choose the better arm)" : "Regret per episode",
          any_best ? "P(better arm)" : "regret (expected reward lost)", any_best ? 3 : 4, 0.0, any_best ? 1.0 : NAN,
          0 },
        { "Policy entropy", "entropy per trial (nats)", 5, 0.0, 0.75, 0 },
        { grad_pos ? "Gradient norm before clipping (log scale)" : "Gradient norm before clipping", "gradient norm", 6,
          NAN, NAN, grad_pos },
    };
    for (int p = 0; p < 4; p++) {
        fprintf(g, "\n# panel %d: %s\nset title ", p + 1, panels[p].title);
        fig_quote(g, panels[p].title);
        fprintf(g, "\nset ylabel ");
        fig_quote(g, panels[p].ylabel);
        fputc('\n', g);
        fig_range(g, "y", panels[p].lo, panels[p].hi);
        fprintf(g, panels[p].logy ? "set logscale y\nset format y '%%.0e'\n" : "unset logscale y\nset format y '%%g'\n");
        if (p == 2)
            fprintf(g, "set arrow 1 from graph 0, first log(2) to graph 1, first log(2) nohead dt 2 lc rgb '#888888'\n"
                       "set label 1 'ln 2 (coin flip)' at graph 0.98, first log(2) right offset 0,0.6 tc rgb '#666666'\n");
        else
            fprintf(g, "unset arrow 1\nunset label 1\n");
        if (p == 1 && any_best)
            fprintf(g, "set arrow 2 from graph 0, first 0.5 to graph 1, first 0.5 nohead dt 2 lc rgb '#888888'\n");
        else
            fprintf(g, "unset arrow 2\n");
        fprintf(g, p == 0 && n > 1 ? "set key top left\n" : "set key off\n");
        fprintf(g, "plot ");
        int first = 1;
        for (int i = 0; i < n; i++) {
            if (n == 1) {
                fig_sep(g, &first);
                fig_quote(g, names[i]);
                fprintf(g, " using 1:%d with points pt 7 ps 0.25 lc rgb '#b8b8b8'", panels[p].col);
            }
            fig_sep(g, &first);
            fig_quote(g, names[i]);
            fprintf(g, " using 1:%d with lines lt %d lw 2", panels[p].col + 9, i + 1);
            if (n > 1 && p == 0) {
                fputs(" title ", g);
                fig_label(g, &runs[i]);
            }
        }
        fputc('\n', g);
    }
    fprintf(g, "unset multiplot\n");
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
      "Meta-training of the network, one point per training episode (grey) and a centred moving average "
      "(line): reward per trial, probability of choosing the better arm (or regret), policy entropy in nats "
      "(ln 2 = a coin flip) and the norm of the gradient before clipping, against the training episode.",
      0, 0, applies_training, write_training, numbers_training },
    { 0 }
};
