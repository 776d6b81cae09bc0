/* tests/test_figures.c: figure writers as library calls (analysis/plot.h),
** on hand-built PlotRuns, without the command, a store or gnuplot.
**
**   1. training: 300,000 stored training rows with one exploding gradient
**      step give a .dat of at most 200 bins (plus its header), whatever the
**      number of episodes; the gradient-norm axis stays far below the spike,
**      which the panel counts as off-scale; the reference agents' regret is
**      drawn with its source, and the task names the title;
**   2. regret: a random agent far above the others does not set the y range
**      (the script's yrange ends below random's final regret and a note says
**      so), and the title names the task;
**   3. regression and rw: a non-converged fit and a bound hit are flagged
**      in the data and in the key, and the y range stays on the good fits.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "analysis/figure.h"
#include "analysis/plot.h"
#include "tests/helpers/testutil.h"

/* The whole of dir/name as a string (caller frees), or NULL. */
static char *slurp(const char *dir, const char *name, long *lines)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    if (lines) {
        *lines = 0;
        for (long i = 0; i < n; i++) *lines += s[i] == '\n';
    }
    return s;
}

/* The upper end of the last "set yrange [lo:hi]" before marker in s (NaN if none or '*'). */
static double yrange_hi_before(const char *s, const char *marker)
{
    const char *end = marker ? strstr(s, marker) : s + strlen(s), *p = s, *last = NULL;
    assert_non_null(end);
    while ((p = strstr(p, "set yrange [")) && p < end) last = p, p++;
    if (!last) return NAN;
    const char *colon = strchr(last, ':');
    return colon && colon[1] != '*' ? strtod(colon + 1, NULL) : NAN;
}

static void test_training_bins(void **state)
{
    (void)state;
    enum { N = 300000 };
    TrainRow *rows = malloc(N * sizeof *rows);
    assert_non_null(rows);
    for (int e = 0; e < N; e++) {
        double u = (e % 97) / 97.0;
        rows[e] = (TrainRow){ .episode = e + 1, .reward = 40 + 20 * u, .regret = 5.0 - 2.0 * e / N + u,
                              .p_best = 0.5 + 0.3 * e / N, .loss_policy = 0.1, .loss_value = 0.2,
                              .entropy = 0.69 - 0.2 * e / N, .grad_norm = 1.0 + u, .beta_e = 0.05, .wall_s = e * 1e-3 };
    }
    rows[N / 2].grad_norm = 1e20;   /* one exploding step */
    const PlotReference refs[2] = { { "thompson", 2.77, "run 3" }, { "bayes", 1.76, "run 4" } };
    PlotRun r = { .run_id = 1, .label = "net (run 1)", .trials_per_episode = 100, .train = rows, .n_train = N,
                  .task = "bandit (trials=100)", .refs = refs, .n_refs = 2 };
    PlotOptions o;
    plot_options_default(&o);
    char dir[512], err[256];
    test_tmpdir(dir, sizeof dir);
    PlotFiles files;
    assert_int_equal(plot_write(PLOT_TRAINING, &r, 1, &o, dir, "tr", &files, err, sizeof err), 0);
    assert_int_equal(files.n_data, 1);
    long lines = 0;
    char *dat = slurp(dir, files.data[0], &lines);
    assert_non_null(dat);
    assert_true(lines <= 200 + 2);   /* the bins and the header: not one row per episode */
    assert_true(lines >= 100);
    assert_true(strlen(dat) < 100000);
    char *gp = slurp(dir, "tr.gp", NULL);
    assert_non_null(gp);
    const char *gpanel = strstr(gp, "# panel: Gradient norm");
    assert_non_null(gpanel);
    double hi = yrange_hi_before(gpanel, NULL);
    assert_true(isfinite(hi) && hi < 100);                 /* the spike does not set the axis */
    assert_non_null(strstr(gp, "1 episode above (max 1e+20)"));   /* but it is counted */
    assert_non_null(strstr(gp, "set logscale y"));
    assert_non_null(strstr(gp, "# panel: Regret per episode"));
    assert_non_null(strstr(gp, "thompson 2.77"));
    assert_non_null(strstr(gp, "bayes 1.76 (run 4)"));
    assert_non_null(strstr(gp, "bandit (trials=100)"));
    assert_null(strstr(gp, "with points"));                /* no cloud of a point per episode */
    free(gp);
    free(dat);
    free(rows);
    test_rmdir(dir);
}

/* Curves of T trials whose cumulative regret grows by slope per trial. */
static BehaviorCurves *regret_curves(int T, double slope)
{
    BehaviorCurves *c = behavior_curves_alloc(T);
    assert_non_null(c);
    for (int t = 0; t < T; t++) {
        c->n_reward[t] = c->n_best[t] = c->n_regret[t] = 50;
        c->reward_mean[t] = 0.6, c->reward_se[t] = 0.02;
        c->best_mean[t] = 0.8, c->best_se[t] = 0.02;
        c->regret_mean[t] = slope * (t + 1), c->regret_se[t] = 0.05 * slope * (t + 1);
    }
    return c;
}

static void test_regret_range(void **state)
{
    (void)state;
    BehaviorCurves *c[4] = { regret_curves(100, 0.024), regret_curves(100, 0.0277), regret_curves(100, 0.0176),
                             regret_curves(100, 0.167) };
    const char *labels[4] = { "network (run 2)", "thompson (run 3)", "bayes (run 4)", "random (run 5)" };
    PlotRun r[4];
    for (int i = 0; i < 4; i++)
        r[i] = (PlotRun){ .run_id = 2 + i, .label = labels[i], .curves = c[i], .task = "dependent bandit (trials=100)" };
    PlotOptions o;
    plot_options_default(&o);
    char dir[512], err[256];
    test_tmpdir(dir, sizeof dir);
    assert_int_equal(plot_write(PLOT_REGRET, r, 4, &o, dir, "rg", NULL, err, sizeof err), 0);
    char *gp = slurp(dir, "rg.gp", NULL);
    assert_non_null(gp);
    double hi = yrange_hi_before(gp, NULL);
    assert_true(isfinite(hi) && hi >= 2.77 && hi < 4.0);   /* thompson's 2.77 (+ SE) sets the top, not random's 16.7 */
    assert_non_null(strstr(gp, "random (run 5) runs off the top (16.7 at trial 100)"));
    assert_non_null(strstr(gp, "set title 'Cumulative regret, dependent bandit (trials=100) - 4 runs'"));
    free(gp);
    test_rmdir(dir);
    /* without the random agent nothing is left out */
    test_tmpdir(dir, sizeof dir);
    assert_int_equal(plot_write(PLOT_REGRET, r, 3, &o, dir, "rg", NULL, err, sizeof err), 0);
    gp = slurp(dir, "rg.gp", NULL);
    assert_null(strstr(gp, "runs off the top"));
    free(gp);
    test_rmdir(dir);
    for (int i = 0; i < 4; i++) behavior_curves_free(c[i]);
}

static void test_regression_flags(void **state)
{
    (void)state;
    LauGlimcherFit lg[2];
    memset(lg, 0, sizeof lg);
    for (int i = 0; i < 2; i++) {
        lg[i].lags = 3;
        lg[i].fit.n = 1000;
        lg[i].fit.converged = i == 0;
        lg[i].fit.separated = i == 1;
        for (int k = 0; k < 3; k++) {
            lg[i].rewarded[k] = i == 0 ? 0.5 / (k + 1) : 25.0 / (k + 1);   /* the separated fit runs off */
            lg[i].unrewarded[k] = i == 0 ? 0.2 / (k + 1) : -20.0;
            lg[i].rewarded_se[k] = lg[i].unrewarded_se[k] = i == 0 ? 0.05 : NAN;
        }
    }
    PlotRun r[2] = { { .run_id = 2, .label = "network (run 2)", .lg = &lg[0] },
                     { .run_id = 3, .label = "greedy (run 3)", .lg = &lg[1] } };
    PlotOptions o;
    plot_options_default(&o);
    char dir[512], err[256];
    test_tmpdir(dir, sizeof dir);
    PlotFiles files;
    assert_int_equal(plot_write(PLOT_REGRESSION, r, 2, &o, dir, "lg", &files, err, sizeof err), 0);
    char *gp = slurp(dir, "lg.gp", NULL);
    double hi = yrange_hi_before(gp, NULL);
    assert_true(isfinite(hi) && hi < 1.0);                      /* the axis on the converged fit */
    assert_non_null(strstr(gp, "'greedy (run 3), not converged'"));   /* flagged in the key */
    assert_non_null(strstr(gp, "(above($2))"));                 /* with markers on the edge */
    assert_null(strstr(gp, "maxrows"));                         /* one legend beside the panels */
    char *d = slurp(dir, "lg_run3.dat", NULL);
    assert_non_null(d);
    assert_non_null(strstr(d, "\n1 25 NaN -20 NaN 0\n"));      /* converged = 0 in the data */
    free(d);
    free(gp);
    test_rmdir(dir);
}

static void test_rw_flags(void **state)
{
    (void)state;
    enum { N = 20 };
    RwFit eps[N], pooled = { .alpha = 0.3, .alpha_se = 0.02, .beta = 4, .beta_se = 0.3, .nll = 100, .n_trials = 2000,
                             .n_episodes = N, .converged = 1 };
    for (int e = 0; e < N; e++)
        eps[e] = (RwFit){ .alpha = 0.2 + 0.01 * e, .alpha_se = 0.05, .beta = 3 + 0.1 * e, .beta_se = 1, .nll = 5,
                          .n_trials = 100, .n_episodes = 1, .converged = 1 };
    eps[3] = (RwFit){ .alpha = 1.0, .beta = 400, .alpha_se = NAN, .beta_se = NAN, .nll = 3, .n_trials = 100,
                      .n_episodes = 1, .converged = 1, .at_bound = 1 };   /* a bound hit */
    eps[4].converged = 0;
    PlotRun r = { .run_id = 2, .label = "network (run 2)", .rw = &pooled, .rw_eps = eps, .n_rw_eps = N, .n_eps = N };
    PlotOptions o;
    plot_options_default(&o);
    char dir[512], err[256];
    test_tmpdir(dir, sizeof dir);
    PlotFiles files;
    assert_int_equal(plot_write(PLOT_RW, &r, 1, &o, dir, "rw", &files, err, sizeof err), 0);
    char *gp = slurp(dir, "rw.gp", NULL);
    double hi = yrange_hi_before(gp, NULL);
    assert_true(isfinite(hi) && hi < 50);                       /* beta = 400 does not set the axis */
    assert_non_null(strstr(gp, "2 of 20 episode fits flagged"));
    assert_non_null(strstr(gp, "open circle: episode fit flagged"));
    char *d = slurp(dir, "rw_episodes.dat", NULL);
    assert_non_null(d);
    assert_non_null(strstr(d, "\n3 - 100 1 NaN 400 NaN 3 1\n"));   /* flag 1: at a bound */
    assert_non_null(strstr(d, " 2\n5 "));                          /* flag 2: did not converge (episode 4) */
    free(d);
    free(gp);
    test_rmdir(dir);
}

/* Titles are wrapped at their separators so that no line is clipped: a
** reversal run's task title alone is 70 characters. */
static void test_title_wrap(void **state)
{
    (void)state;
    PlotRun r;
    memset(&r, 0, sizeof r);
    r.label = "network (run 2)";
    char t[512];
    fig_title(&r, 1, "Rescorla-Wagner fits, reversal (trials=200, p_high=0.8, p_low=0.2, schedule=hazard, hazard=0.05)",
              t, sizeof t);
    assert_non_null(strchr(t, '\n'));
    for (char *line = t; line; ) {
        char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        if (len > FIG_TITLE_WIDTH) fail_msg("title line of %zu characters: %.*s", len, (int)len, line);
        line = nl ? nl + 1 : NULL;
    }
    assert_non_null(strstr(t, "p_high=0.8,\np_low") ? t : strstr(t, ",\n"));   /* cut after a comma */
    char s[64] = "short title - network (run 2)";
    fig_wrap(s, FIG_TITLE_WIDTH);
    assert_null(strchr(s, '\n'));   /* a title that fits is left alone */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_training_bins),
        cmocka_unit_test(test_regret_range),
        cmocka_unit_test(test_regression_flags),
        cmocka_unit_test(test_rw_flags),
        cmocka_unit_test(test_title_wrap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
