/* analysis/figures_twostep.c: the two-step figure family (figure.h): kind
** `twostep`, the classic bar plot of P(stay with the first-stage choice)
** after rewarded/unrewarded x common/rare trials (Daw et al. 2011 Fig. 2;
** Wang et al. 2018 Fig. 5b), one bar per run in each cell with its 95%
** Wilson interval, and beside them the reference values of
** data/published/twostep_stay.tsv (twostep_refs_find) as grey hatched bars,
** each with its source in the script and the legend.
**
** The stay probabilities are computed here from the run's episodes
** (analysis/twostep.h), so the figure needs nothing from a PlotRun but its
** episodes. A reference file that cannot be found or read is noted in the
** script, and the runs are drawn alone.
*/
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analysis/figure.h"
#include "analysis/twostep.h"

static const double cell_x[TS_N_CELLS] = { 0.0, 1.0, 2.5, 3.5 };   /* a gap between rewarded and unrewarded */

static const char *applies_twostep(const PlotRun *r, const PlotOptions *o)
{
    if (!r->eps || r->n_eps == 0) return "has no episodes (a two-step test, baseline or import run is needed)";
    return twostep_applies(r->eps, r->n_eps) ? NULL
                                             : "has no two-step stage rows (train or test with --task twostep, or "
                                               "import --format hbayesdm-ts)";
}

/* One run's data file: cell x pairs stays p_stay se ci_lo ci_hi. */
static void write_run_data(Fig *F, const PlotRun *r, char *name, TwoStepStay *s)
{
    int rc = twostep_stay(r->eps, r->n_eps, s);
    if (rc == ANALYSIS_NOMEM) {
        fig_fail(F, "twostep: run %lld: out of memory", (long long)r->run_id);
        return;
    }
    FILE *f = fig_data_open(F, r, NULL, name, PLOT_NAME_MAX,
                            "two-step: P(stay with the first-stage choice) by the previous trial's outcome and transition",
                            "cell x pairs stays p_stay se ci_lo ci_hi   (x: bar position; se = binomial SE; ci = 95% "
                            "Wilson interval)");
    if (!f) return;
    for (int c = 0; c < TS_N_CELLS; c++) {
        fprintf(f, "%s %.2f %ld %ld", twostep_cell_names[c], cell_x[c], s->n[c], s->stays[c]);
        fig_num(f, s->p[c]);
        fig_num(f, s->se[c]);
        fig_num(f, s->ci[c][0]);
        fig_num(f, s->ci[c][1]);
        fputc('\n', f);
    }
    fig_close(F, f, name);
}

/* Keep the references drawn beside the variants the runs' tasks name (all of
** them if no run names one, e.g. imported data alone): the Wang variant's
** network and observer are no reference for the Daw task. Return the number kept. */
static int refs_for_runs(TwoStepRef *refs, int m, const PlotRun *runs, int n)
{
    int want_wang = 0, want_daw = 0;
    for (int i = 0; i < n; i++) {
        const char *v = twostep_title_variant(runs[i].task);
        want_wang |= v && !strcmp(v, "wang");
        want_daw |= v && !strcmp(v, "daw");
    }
    if (!want_wang && !want_daw) return m;
    int k = 0;
    for (int j = 0; j < m; j++)
        if ((want_wang && twostep_ref_for_variant(&refs[j], "wang")) || (want_daw && twostep_ref_for_variant(&refs[j], "daw")))
            refs[k++] = refs[j];
    return k;
}

/* The reference values into one data file (cell x p_1 .. p_m); the number of
** references, 0 if none (the reason in note). */
static int write_refs_data(Fig *F, const PlotRun *runs, int n, TwoStepRef *refs, char *name, char *note,
                           size_t n_note)
{
    char path[4096], err[4200];
    if (twostep_refs_find(path, sizeof path) != 0) {
        snprintf(note, n_note, "reference values not drawn: data/published/twostep_stay.tsv not found");
        return 0;
    }
    int m = twostep_refs_read(path, refs, TWOSTEP_MAX_REFS, err, sizeof err);
    if (m <= 0) {
        snprintf(note, n_note, "reference values not drawn: %s", m < 0 ? err : "no rows");
        return 0;
    }
    if ((m = refs_for_runs(refs, m, runs, n)) == 0) {
        snprintf(note, n_note, "reference values not drawn: none of %s is of the runs' task variant", path);
        return 0;
    }
    snprintf(note, n_note, "reference values from %s", path);
    FILE *f = fig_data_open(F, NULL, "published", name, PLOT_NAME_MAX,
                            "two-step: published and independently computed stay probabilities "
                            "(data/published/twostep_stay.tsv)",
                            "cell x then one column per reference, in this order:");
    if (!f) return 0;
    for (int j = 0; j < m; j++) fprintf(f, "#   column %d: %s [%s] - %s\n", 3 + j, refs[j].label, refs[j].kind, refs[j].source);
    for (int c = 0; c < TS_N_CELLS; c++) {
        fprintf(f, "%s %.2f", twostep_cell_names[c], cell_x[c]);
        for (int j = 0; j < m; j++) fig_num(f, refs[j].p[c]);
        fputc('\n', f);
    }
    fig_close(F, f, name);
    return m;
}

static void write_twostep(Fig *F, const PlotRun *runs, int n)
{
    char names[PLOT_MAX_FILES][PLOT_NAME_MAX], ref_name[PLOT_NAME_MAX], title[512], note[4400];
    TwoStepStay s;
    TwoStepRef refs[TWOSTEP_MAX_REFS];
    for (int i = 0; i < n && !F->failed; i++) write_run_data(F, &runs[i], names[i], &s);
    int m = F->failed ? 0 : write_refs_data(F, runs, n, refs, ref_name, note, sizeof note);
    if (F->failed) return;
    FILE *g = F->gp;
    fig_titled(F, runs, n, "Two-step task: stay probabilities", title, sizeof title);
    fprintf(g, "# %s\n", note);
    for (int j = 0; j < m; j++) fprintf(g, "# reference %d: %s [%s]: %s\n", j + 1, refs[j].label, refs[j].kind, refs[j].source);
    fprintf(g, "set ylabel 'P(stay with the first-stage choice)'\nset yrange [0:1.14]\nset ytics 0,0.2,1\n"
               "set xrange [-0.6:4.1]\n"
               "set xtics ('common' 0, 'rare' 1, 'common' 2.5, 'rare' 3.5) scale 0\n"
               "set xlabel 'transition of the previous trial'\n"
               "set label 101 'previous trial rewarded' at first 0.5, first 1.08 center\n"
               "set label 102 'previous trial unrewarded' at first 3.0, first 1.08 center\n"
               "set grid noxtics\n"
               "set key below horizontal maxcols 2 noopaque nobox width 1 "
               "title 'error bars: 95%% Wilson interval; hatched grey: reference values'\n"
               "set arrow 1 from graph 0, first 0.5 to graph 1, first 0.5 nohead dt 2 lc rgb '#888888' back\n");
    int total = n + m;
    fprintf(g, "N = %d                      # bars per cell: %d run(s), then %d reference(s)\n"
               "bw = 0.8 / N\noff(i) = (i - (N - 1) / 2.0) * bw\nset boxwidth bw * 0.92 absolute\n",
            total, n, m);
    int first = 1;
    fprintf(g, "plot ");
    for (int i = 0; i < n; i++) {
        fig_sep(g, &first);
        fig_quote(g, names[i]);
        fprintf(g, " using ($2+off(%d)):5 with boxes fs solid 0.75 border -1 lt %d title ", i, i + 1);
        fig_label(g, &runs[i]);
        fig_sep(g, &first);
        fig_quote(g, names[i]);
        fprintf(g, " using ($2+off(%d)):7:(0):($8-$7) with vectors heads size screen 0.006,90 lc rgb '#202020' lw 1.5", i);
        if (total > 4) continue;
        fig_sep(g, &first);
        fig_quote(g, names[i]);
        fprintf(g, " using ($2+off(%d)):8:(sprintf('%%.2f', $5)) with labels offset 0,0.7 font sfont", i);
    }
    static const char *const greys[] = { "#505050", "#808080", "#a8a8a8", "#c8c8c8" };
    for (int j = 0; j < m; j++) {
        char label[160];
        snprintf(label, sizeof label, "%s [%s]", refs[j].label, refs[j].kind);
        fig_sep(g, &first);
        fig_quote(g, ref_name);
        fprintf(g, " using ($2+off(%d)):%d with boxes fs pattern %d border rgb '%s' lc rgb '%s' title ", n + j, 3 + j,
                j % 3 == 0 ? 4 : j % 3 == 1 ? 5 : 6, greys[j % 4], greys[j % 4]);
        fig_quote(g, label);
        if (total > 4) continue;
        fig_sep(g, &first);
        fig_quote(g, ref_name);
        fprintf(g, " using ($2+off(%d)):%d:(sprintf('%%.2f', $%d)) with labels offset 0,0.7 font sfont", n + j, 3 + j,
                3 + j);
    }
    fputc('\n', g);
}

static void numbers_twostep(const PlotRun *p, const RunAnalysis *A, const PlotOptions *o, char *b, size_t nb)
{
    TwoStepStay s;
    if (!p->eps || twostep_stay(p->eps, p->n_eps, &s) != ANALYSIS_OK) return;
    fig_cat(b, nb, "P(stay) rewarded common/rare %.2f/%.2f, unrewarded common/rare %.2f/%.2f", s.p[0], s.p[1],
            s.p[2], s.p[3]);
    if (A && A->ts_reg_ok && A->ts_reg.fit.converged)
        fig_cat(b, nb, "; weights: reward %.2f, reward x transition %.2f", A->ts_reg.reward, A->ts_reg.interaction);
    else if (A && A->ts_reg_ok)
        fig_cat(b, nb, "; the stay regression did not converge (a deterministic policy separates the data)");
}

const FigureKind figures_twostep[] = {
    { PLOT_TWOSTEP, "twostep", "Two-step stay probabilities",
      "Probability of repeating the first-stage choice after a rewarded or unrewarded trial whose transition was "
      "common or rare (error bars: 95% Wilson interval over pairs of consecutive trials). A model-free learner "
      "repeats rewarded choices whatever the transition (bars higher on the left); a model-based one stays after "
      "rewarded-common and unrewarded-rare trials and switches after the others (the interaction). Grey hatched "
      "bars: published and independently computed values (data/published/twostep_stay.tsv: Wang et al. 2018 "
      "Fig. 5b, the ideal observer, the hBayesDM example data).",
      RA_TWOSTEP, 0, applies_twostep, write_twostep, numbers_twostep, 0 },
    { 0 }
};
