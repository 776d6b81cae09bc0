/* analysis/figures_dose.c: the dose-response figure of the dopamine and
** lesion experiments (issue 13), a family of one kind listed in plot.c.
**
** `dose` draws regret per episode (left) and P(best arm) (right) of several
** test runs against the dose they were run at: the one setting of
**     test.silence      fraction of prefrontal units clamped to 0 at test
**     test.rate_noise   sd of the noise added to the prefrontal rates at test
**     train.delta_scale the factor on the striatal delta during training
** that differs between the runs (read from each run's stored settings,
** PlotRun.config; runs that differ in two of them are refused). Runs at the
** same dose (seeds, lesion draws) are pooled: the point is the mean of their
** per-run means and its error bar ±1 SE across those runs; a dose with one
** run gets ±1 SE across its episodes. Used as
**     metarl plot dose sweep.db --run 4 --run 6 --run 8 -o dose.png
** on a sweep's store (data/configs/dose_*.ini) or on one network tested once
** per dose. Reports do not draw it (they give no stored settings).
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/figure.h"
#include "core/summary.h"

#define N_DOSES 3
static const char *const dose_section[N_DOSES] = { "test", "test", "train" };
static const char *const dose_key[N_DOSES] = { "silence", "rate_noise", "delta_scale" };
static const double dose_default[N_DOSES] = { 0.0, 0.0, 1.0 };
static const char *const dose_label[N_DOSES] = {
    "test.silence: fraction of prefrontal units silenced",
    "test.rate_noise: sd of the noise on prefrontal rates",
    "train.delta_scale: factor on the training delta" };

/* The value of section.key in INI text, or NaN if absent. */
static double ini_value(const char *text, const char *section, const char *key)
{
    char sec[64] = "";
    const size_t kl = strlen(key);
    for (const char *p = text; p && *p;) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > 2 && p[0] == '[' && len < sizeof sec + 2) {
            snprintf(sec, sizeof sec, "%.*s", (int)(len - 2), p + 1);
        } else if (!strcmp(sec, section) && len > kl && !strncmp(p, key, kl) && (p[kl] == ' ' || p[kl] == '=')) {
            const char *eq = memchr(p, '=', len);
            if (eq) return strtod(eq + 1, NULL);
        }
        p = end ? end + 1 : NULL;
    }
    return NAN;
}

static const char *applies_dose(const PlotRun *r, const PlotOptions *o)
{
    (void)o;
    if (!r->eps || r->n_eps == 0) return "has no episodes stored";
    if (!r->config) return "has no stored settings to read a dose from";
    if (isnan(ini_value(r->config, "test", "silence")))
        return "was not tested by the network with its lesion settings (no test.silence stored)";
    return NULL;
}

/* The dose setting that varies over the runs (-1 and a message if two do). */
static int varying_dose(Fig *F, const PlotRun *runs, int n)
{
    int which = -1;
    for (int k = 0; k < N_DOSES; k++) {
        double v0 = ini_value(runs[0].config, dose_section[k], dose_key[k]);
        int varies = 0;
        for (int i = 1; i < n; i++) {
            double v = ini_value(runs[i].config, dose_section[k], dose_key[k]);
            varies |= !(v == v0 || (isnan(v) && isnan(v0)));
        }
        if (!varies) continue;
        if (which >= 0) {
            fig_fail(F, "dose: the runs differ in both %s.%s and %s.%s; draw one dose at a time",
                     dose_section[which], dose_key[which], dose_section[k], dose_key[k]);
            return -1;
        }
        which = k;
    }
    if (which >= 0) return which;
    for (int k = 0; k < N_DOSES; k++)   /* one dose for all: the one that departs from its default */
        if (ini_value(runs[0].config, dose_section[k], dose_key[k]) != dose_default[k]) return k;
    return 0;
}

typedef struct {
    double dose, reg_m, reg_se, pb_m, pb_se;
    int n_runs;
    long n_eps;
} DosePoint;

/* Mean and SE of x (n values): SE across them. */
static void mean_se(const double *x, int n, double *m, double *se)
{
    double s = 0.0, ss = 0.0;
    for (int i = 0; i < n; i++) s += x[i];
    *m = s / n;
    for (int i = 0; i < n; i++) ss += (x[i] - *m) * (x[i] - *m);
    *se = n > 1 ? sqrt(ss / (n - 1) / n) : NAN;
}

/* The points, one per distinct dose in ascending order; return their count. */
static int dose_points(const PlotRun *runs, int n, int k, DosePoint *pt)
{
    double dose[PLOT_MAX_FILES], reg[PLOT_MAX_FILES], pb[PLOT_MAX_FILES], reg_se[PLOT_MAX_FILES],
        pb_se[PLOT_MAX_FILES];
    long ne[PLOT_MAX_FILES];
    for (int i = 0; i < n; i++) {
        Summary s;
        summary_init(&s);
        for (int e = 0; e < runs[i].n_eps; e++) summary_add(&s, runs[i].eps[e]);
        dose[i] = ini_value(runs[i].config, dose_section[k], dose_key[k]);
        if (isnan(dose[i])) dose[i] = dose_default[k];
        reg[i] = s.regret.n ? s.regret.mean : NAN;
        reg_se[i] = running_mean_se(&s.regret);
        pb[i] = s.p_best.n ? s.p_best.mean : NAN;
        pb_se[i] = running_mean_se(&s.p_best);
        ne[i] = s.episodes;
    }
    int m = 0;
    for (;;) {
        double next = INFINITY;
        for (int i = 0; i < n; i++)
            if (dose[i] < next && (m == 0 || dose[i] > pt[m - 1].dose)) next = dose[i];
        if (!isfinite(next)) return m;
        double r[PLOT_MAX_FILES], p[PLOT_MAX_FILES];
        int c = 0, last = 0;
        long eps = 0;
        for (int i = 0; i < n; i++)
            if (dose[i] == next) {
                r[c] = reg[i];
                p[c++] = pb[i];
                eps += ne[i];
                last = i;
            }
        DosePoint *q = &pt[m++];
        q->dose = next;
        q->n_runs = c;
        q->n_eps = eps;
        mean_se(r, c, &q->reg_m, &q->reg_se);
        mean_se(p, c, &q->pb_m, &q->pb_se);
        if (c == 1) {   /* one run: SE across its episodes */
            q->reg_se = reg_se[last];
            q->pb_se = pb_se[last];
        }
    }
}

static void write_dose(Fig *F, const PlotRun *runs, int n)
{
    int k = varying_dose(F, runs, n);
    if (k < 0) return;
    DosePoint pt[PLOT_MAX_FILES];
    int m = dose_points(runs, n, k, pt);
    char name[PLOT_NAME_MAX], title[512];
    FILE *f = fig_data_open(F, NULL, NULL, name, sizeof name, "regret and P(best) against the dose",
                            "dose n_runs n_episodes regret regret_se p_best p_best_se   (se: across runs at the "
                            "dose when it has several, else across its episodes)");
    if (!f) return;
    for (int i = 0; i < m; i++) {
        fig_num(f, pt[i].dose);
        fprintf(f, " %d %ld", pt[i].n_runs, pt[i].n_eps);
        fig_num(f, pt[i].reg_m);
        fig_num(f, pt[i].reg_se);
        fig_num(f, pt[i].pb_m);
        fig_num(f, pt[i].pb_se);
        fputc('\n', f);
    }
    fig_close(F, f, name);
    if (F->failed) return;
    FILE *g = F->gp;
    char what[200];
    snprintf(what, sizeof what, "Dose-response: %s.%s", dose_section[k], dose_key[k]);
    fig_title(runs, n, what, title, sizeof title);
    fig_preamble(F, title);
    fprintf(g, "set multiplot layout 1,2 title ");
    fig_quote(g, title);
    fprintf(g, " font tfont\nset xlabel ");
    fig_quote(g, dose_label[k]);
    fprintf(g, "\nset offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05\nunset key\nunset title\nset autoscale xfix\n");
    fprintf(g, "set ylabel 'regret per episode (expected rewards lost)'\n");
    fprintf(g, "plot '%s' using 1:4:5 with yerrorbars lc 1 pt 7 ps 1.2 title 'network', "
               "'' using 1:4 with lines lc 1 notitle\n", name);
    fprintf(g, "set ylabel 'P(best arm)'\n"
               "set arrow 1 from graph 0, first 0.5 to graph 1, first 0.5 nohead dt 2 lc rgb '#888888' back\n"
               "set label 1 'error bars: ±1 SE (across runs at a dose, else episodes)' "
               "at graph 0.02, graph 0.04 font sfont tc rgb '#555555'\n");
    fprintf(g, "plot '%s' using 1:6:7 with yerrorbars lc 1 pt 7 ps 1.2 title 'network', "
               "'' using 1:6 with lines lc 1 notitle\n", name);
    fprintf(g, "unset multiplot\n");
}

static void numbers_dose(const PlotRun *p, const RunAnalysis *A, const PlotOptions *o, char *b, size_t nb)
{
    (void)p;
    (void)A;
    (void)o;
    (void)b;
    (void)nb;
}

const FigureKind figures_dose[] = {
    { PLOT_DOSE, "dose", "Dose-response",
      "Regret per episode and P(best arm) of the network's test runs against the dose of a dopamine or lesion "
      "manipulation (test.silence, test.rate_noise or train.delta_scale, whichever differs between the runs; "
      "error bars: ±1 SE across the runs at a dose, or across episodes for a single run).",
      RA_CURVES, 0, applies_dose, write_dose, numbers_dose, 0 },
    { 0 }
};
