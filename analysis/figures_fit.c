/* analysis/figures_fit.c: the figure family of model fitting (analysis/fit.h):
**   fitcompare  held-out NLL per trial of every model (mean +- SE over
**               subjects; each subject a point), the best model marked
**   ppc         posterior predictive check (analysis/fit_ppc.h): p(stay|win),
**               p(stay|loss) and the reversal curve of each model's
**               simulations beside the people's
** They draw what `metarl fit ... --figures DIR` computed, handed over in
** PlotRun.fit (a FitFigure); a run loaded from a store alone has none, so
** `metarl plot` and reports pass these kinds by.
*/
#include <math.h>
#include <stdio.h>

#include "analysis/figure.h"
#include "analysis/fit_ppc.h"

static const char *applies_fitcompare(const PlotRun *r, const PlotOptions *o)
{
    (void)o;
    return r->fit ? NULL : "holds no model fits here: draw it with `metarl fit DB --run ID --model M,... --figures DIR`";
}

static const char *applies_ppc(const PlotRun *r, const PlotOptions *o)
{
    (void)o;
    return r->fit && r->fit->ppc ? NULL
                                 : "holds no posterior predictive simulations here: draw it with `metarl fit DB --run "
                                   "ID --model M,... --ppc N --figures DIR`";
}

/* Subject q's per-trial score of model m: held out if cv, else in-sample. */
static double score(const FitFigure *x, int m, int q, int cv)
{
    const FitResult *r = &x->res[(size_t)m * (size_t)x->n_subjects + (size_t)q];
    if (r->n_trials <= 0) return NAN;
    return (cv ? -r->heldout_loglik : -r->loglik) / r->n_trials;
}

static void write_fitcompare(Fig *F, const PlotRun *runs, int n)
{
    (void)n;
    const FitFigure *x = runs[0].fit;
    int cv = isfinite(x->rows[0].heldout_per_trial);
    char name[PLOT_NAME_MAX], title[512];
    FILE *f = fig_data_open(F, &runs[0], NULL, name, sizeof name, "NLL per trial per model and subject",
                            "index model mean se best   (then, after two blank lines: index subject nll_per_trial)");
    if (!f) return;
    for (int m = 0; m < x->n_models; m++) {
        double s = 0.0, sq = 0.0;
        int k = 0;
        for (int q = 0; q < x->n_subjects; q++) {
            double v = score(x, m, q, cv);
            if (isfinite(v)) s += v, sq += v * v, k++;
        }
        double mean = k ? s / k : NAN, se = k > 1 ? sqrt(fmax(0.0, (sq - k * mean * mean) / (k - 1)) / k) : NAN;
        fprintf(f, "%d %s", m, x->models[m]->name);
        fig_num(f, mean);
        fig_num(f, se);
        fprintf(f, " %d\n", m == x->best);
    }
    fprintf(f, "\n\n");
    for (int m = 0; m < x->n_models; m++)
        for (int q = 0; q < x->n_subjects; q++) {
            fprintf(f, "%.3f %d", m + 0.3 * ((q * 0.618034) - (int)(q * 0.618034) - 0.5), q);
            fig_num(f, score(x, m, q, cv));
            fputc('\n', f);
        }
    fig_close(F, f, name);
    FILE *g = F->gp;
    fig_titled(F, runs, 1, cv ? "Held-out NLL per trial by model" : "NLL per trial by model (in-sample)", title,
               sizeof title);
    fprintf(g, "set ylabel '%s'\nset xrange [-0.7:%d.7]\nset xtics rotate by -30 nomirror\n"
               "set yrange [0:*]\nset grid noxtics\nset key below noopaque nobox\nset style fill solid 0.35 border -1\n"
               "set boxwidth 0.6\n", cv ? "held-out NLL per trial (lower is better)" : "NLL per trial", x->n_models - 1);
    fprintf(g, "plot '%s' index 0 using 1:3:xtic(2) with boxes lc rgb '#56B4E9' title 'mean over subjects', \\\n"
               "     '' index 0 using 1:3:4 with yerrorbars lc rgb '#000000' pt -1 lw 1.5 title '+-1 SE', \\\n"
               "     '' index 1 using 1:3 with points pt 7 ps 0.5 lc rgb '#555555' title 'subjects', \\\n"
               "     '' index 0 using ($5 > 0 ? $1 : NaN):($3 + $4):('best') with labels offset 0,1 notitle\n",
               name);
}

static void write_ppc(Fig *F, const PlotRun *runs, int n)
{
    (void)n;
    const FitPpc *p = runs[0].fit->ppc;
    char stay[PLOT_NAME_MAX], rev[PLOT_NAME_MAX], title[512];
    FILE *f = fig_data_open(F, &runs[0], "stay", stay, sizeof stay, "p(stay | win) and p(stay | loss) by source",
                            "index source win win_se loss loss_se   (then, after two blank lines: x_win win x_loss "
                            "loss per source and subject)");
    if (!f) return;
    for (int i = 0; i < p->n_rows; i++) {
        const FitPpcRow *w = &p->rows[i];
        fprintf(f, "%d %s", i, w->name);
        fig_num(f, w->stay_win);
        fig_num(f, w->stay_win_se);
        fig_num(f, w->stay_loss);
        fig_num(f, w->stay_loss_se);
        fputc('\n', f);
    }
    fprintf(f, "\n\n");
    for (int i = 0; i < p->n_rows; i++)
        for (int q = 0; q < p->n_subjects; q++) {
            size_t k = (size_t)i * (size_t)p->n_subjects + (size_t)q;
            double j = 0.25 * ((q * 0.618034) - (int)(q * 0.618034) - 0.5);
            fprintf(f, "%.3f", i + j);
            fig_num(f, p->sw[k]);
            fprintf(f, " %.3f", i + j);
            fig_num(f, p->sl[k]);
            fputc('\n', f);
        }
    fig_close(F, f, stay);
    if (!(f = fig_data_open(F, &runs[0], "reversal", rev, sizeof rev, "P(choosing the new best arm) by lag",
                            "lag, then mean se per source in the order of the stay file")))
        return;
    for (int l = 0; l < FIT_PPC_N_LAGS; l++) {
        fprintf(f, "%d", FIT_PPC_LAG_MIN + l);
        for (int i = 0; i < p->n_rows; i++) {
            fig_num(f, p->rows[i].rev[l]);
            fig_num(f, p->rows[i].rev_se[l]);
        }
        fputc('\n', f);
    }
    fig_close(F, f, rev);
    FILE *g = F->gp;
    fig_titled(F, runs, 1, "Posterior predictive check", title, sizeof title);
    fprintf(g, "set multiplot layout 1,3\nset grid noxtics\nset key off\nset yrange [0:1.05]\n"
               "set xrange [-0.6:%d.6]\nset xtics rotate by -30 nomirror\nset style fill solid 0.35 border -1\n"
               "set boxwidth 0.6\n", p->n_rows - 1);
    const char *what[2] = { "P(stay | win)", "P(stay | loss)" };
    for (int k = 0; k < 2; k++)
        fprintf(g, "set title '%s'\nplot '%s' index 0 using 1:%d:xtic(2) with boxes lc rgb '#E69F00', \\\n"
                   "     '' index 0 using 1:%d:%d with yerrorbars lc rgb '#000000' pt -1 lw 1.5, \\\n"
                   "     '' index 1 using %d:%d with points pt 7 ps 0.4 lc rgb '#555555'\n",
                what[k], stay, 3 + 2 * k, 3 + 2 * k, 4 + 2 * k, 1 + 2 * k, 2 + 2 * k);
    fprintf(g, "set title 'Reversal curve'\nset xrange [%d:%d]\nset xtics norotate\nset xlabel 'trials from the "
               "reversal'\nset ylabel 'P(new best arm)'\nset key below noopaque nobox\nplot ",
            FIT_PPC_LAG_MIN, FIT_PPC_LAG_MAX);
    for (int i = 0; i < p->n_rows; i++) {
        if (i) fprintf(g, ", \\\n     ");
        if (i == 0)
            fprintf(g, "'%s' using 1:2:3 with yerrorlines lc rgb '#000000' lw 2 pt 7 title 'people', "
                       "'' using 1:2 with lines lc rgb '#000000' lw 2 notitle", rev);
        else
            fprintf(g, "'%s' using 1:%d with lines lc rgb '%s' lw 1.5 title '%s'", rev, 2 + 2 * i,
                    fig_run_color(i - 1), p->rows[i].name);
    }
    fprintf(g, "\nunset multiplot\n");
}

const FigureKind figures_fit[] = {
    { PLOT_FITCOMPARE, "fitcompare", "Model comparison",
      "Held-out negative log-likelihood per trial of each model (block cross-validation within a subject for "
      "per-subject fits, over subjects for the tiny RNNs): bars the mean over subjects with +-1 SE, points the "
      "subjects. Lower is better.",
      0, 0, applies_fitcompare, write_fitcompare, NULL, 0 },
    { PLOT_PPC, "ppc", "Posterior predictive check",
      "Each fitted model simulated on each subject's own schedule with the subject's parameters: p(stay | win), "
      "p(stay | loss) (bars: mean +- SE over subjects, points: subjects) and P(choosing the new best arm) around "
      "reversals, beside the people's.",
      0, 0, applies_ppc, write_ppc, NULL, 0 },
    { 0 }
};
