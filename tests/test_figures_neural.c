/* tests/test_figures_neural.c: what the neural figures write (analysis/
** figures_neural.c through plot_write), on hand-made analysis results.
**
**   decoding  the data carry each decode's fold spread (r2_fold_sd and the
**             fold scores), its shuffled null (mean, 5th and 95th
**             percentiles) and whether it is above the null's 95th
**             percentile; a decode AT the 95th percentile is not marked; the
**             script draws the null's box and the error bars.
**   trajectories  on a run whose first trial of every episode sits at 1000
**             on PC1 of the pooled PCA: the figure's own PCA (fitted from
**             trial 2 on) shows the bulk's circle on both axes, the axes
**             cover the bulk (the first trials drawn at the edge, keyed),
**             the data carry each episode's order in the figure, and the key
**             (one entry per episode) sits beside the plot, not below it.
**   rpe       the network's delta is labelled its striatal critic's, a
**             reference agent's its own (named, with what its V is), never
**             the critic's; with the observer's E[r] known for every run,
**             panel (b) bins delta against it, not against V.
**   inferred  the data carry delta on first-switch and later trials by
**             outcome with their SEs, and the weights of inferred and
**             experienced value; the legend names whose delta each is; a run
**             without first switches is refused with a reason.
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

#include "analysis/neural.h"
#include "analysis/plot.h"
#include "core/episode.h"

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/test_figures_neural.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* The whole of dir/name, NUL-terminated (the caller frees). */
static char *slurp(const char *name)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = '\0';
    fclose(f);
    return b;
}

/* The data line of the decoding table that starts with "x key ". */
static const char *row_of(const char *dat, const char *start)
{
    const char *p = strstr(dat, start);
    if (!p) fail_msg("no row '%s' in\n%s", start, dat);
    return p;
}

static void decoding_data_carries_null_and_error_bars(void **state)
{
    (void)state;
    NeuralPca pca = { .n_units = 2, .n_rows = 2, .k = 2 };
    NeuralDecode dec[PLOT_N_TARGETS];
    int ok[PLOT_N_TARGETS] = { 1, 1, 0, 0, 0 };
    memset(dec, 0, sizeof dec);
    for (int k = 0; k < 2; k++) {
        NeuralDecode *d = &dec[k];
        d->n_rows = 500;
        d->n_episodes = 10;
        d->n_folds = 5;
        d->lambda = 1;
        d->n_shuffles = 20;
        for (int j = 0; j < NEURAL_MAX_FOLDS; j++) d->fold_r2[j] = NAN;
    }
    /* p0: decoded (0.8 +- 0.05, null around 0); p1: exactly at its null's 95th percentile */
    const double f0[5] = { 0.75, 0.8, 0.85, 0.78, 0.82 }, f1[5] = { 0.1, 0.3, 0.2, 0.25, 0.15 };
    for (int j = 0; j < 5; j++) {
        dec[0].fold_r2[j] = f0[j];
        dec[1].fold_r2[j] = f1[j];
    }
    dec[0].r2 = 0.8, dec[0].fold_sd = 0.05, dec[0].null_mean = -0.01, dec[0].null_p05 = -0.03, dec[0].null_p95 = 0.02;
    dec[1].r2 = 0.2, dec[1].fold_sd = 0.08, dec[1].null_mean = 0.12, dec[1].null_p05 = 0.05, dec[1].null_p95 = 0.2;
    PlotRun r = { .run_id = 2, .label = "network (run 2)", .pca = &pca, .dec = dec, .dec_ok = ok };
    PlotOptions o;
    plot_options_default(&o);
    char err[256];
    PlotFiles files;
    assert_int_equal(plot_write(PLOT_DECODING, &r, 1, &o, dir, "dec", &files, err, sizeof err), 0);
    char *dat = slurp("dec.dat");
    assert_non_null(strstr(dat, "r2 r2_fold_sd null_mean null_p05 null_p95 above_null"));
    /* x target r2 sd null_mean p05 p95 above rows episodes folds lambda shuffles folds... */
    assert_non_null(strstr(row_of(dat, "0 p0 "), "0 p0 0.8 0.05 -0.01 -0.03 0.02 1 500 10 5 1 20 0.75 0.8 0.85 0.78 0.82\n"));
    assert_non_null(strstr(row_of(dat, "1 p1 "), "1 p1 0.2 0.08 0.12 0.05 0.2 0 500 10 5 1 20 0.1 0.3 0.2 0.25 0.15\n"));
    char *gp = slurp("dec.gp");
    assert_non_null(strstr(gp, "with boxxyerror"));   /* the null's 5th-95th percentile box */
    assert_non_null(strstr(gp, "with yerrorbars"));   /* the folds' spread */
    assert_non_null(strstr(gp, "with labels"));       /* the marks of decodes above the null */
    assert_non_null(strstr(gp, "SD over the folds"));
    free(dat);
    free(gp);
}

static void rpe_labels_name_whose_delta(void **state)
{
    (void)state;
    NeuralRpe rpe;
    memset(&rpe, 0, sizeof rpe);
    rpe.n = 10;
    rpe.n_rewarded = rpe.n_unrewarded = 5;
    rpe.mean_rewarded = 0.5, rpe.mean_unrewarded = -0.5, rpe.se_rewarded = rpe.se_unrewarded = 0.1;
    PlotRun r[2] = { { .run_id = 2, .label = "network (run 2)", .rpe = &rpe },
                     { .run_id = 3, .label = "thompson (run 3)", .rpe = &rpe } };
    PlotOptions o;
    plot_options_default(&o);
    char err[256];
    PlotFiles files;
    assert_int_equal(plot_write(PLOT_RPE, &r[1], 1, &o, dir, "rpe1", &files, err, sizeof err), 0);
    char *gp = slurp("rpe1.gp");
    assert_null(strstr(gp, "striatal critic"));
    assert_non_null(strstr(gp, "of thompson's own values (V = posterior mean of the chosen arm)"));
    free(gp);
    assert_int_equal(plot_write(PLOT_RPE, r, 2, &o, dir, "rpe2", &files, err, sizeof err), 0);
    gp = slurp("rpe2.gp");
    assert_non_null(strstr(gp, "title 'network (run 2): striatal critic'"));
    assert_non_null(strstr(gp, "title 'thompson (run 3): its own δ (V = posterior mean of the chosen arm)'"));
    assert_null(strstr(gp, "title 'thompson (run 3): striatal critic'"));
    free(gp);
    assert_int_equal(plot_write(PLOT_RPE, r, 1, &o, dir, "rpe3", &files, err, sizeof err), 0);
    gp = slurp("rpe3.gp");
    assert_non_null(strstr(gp, "Reward-prediction errors of the network's striatal critic"));
    free(gp);
}

static void rpe_panel_b_against_the_observer(void **state)
{
    (void)state;
    enum { T = 40 };
    EpisodeRecord *e = episode_alloc(T, 0);
    assert_non_null(e);
    e->n_trials = T;
    for (int t = 0; t < T; t++) {
        TrialRecord *tr = &e->trials[t];
        memset(&tr->truth, 0, sizeof tr->truth);
        tr->action = t % 3 == 0;
        tr->reward = t % 2;
        tr->value = 12.0 + 0.01 * t;   /* a discounted V */
        tr->rpe = tr->reward - 0.5;
    }
    EpisodeRecord *eps[1] = { e };
    NeuralRpe rpe;
    assert_int_equal(neural_rpe(eps, 1, &rpe), 0);
    assert_int_equal(rpe.obs.kind, NEURAL_OBS_BANDIT);
    PlotRun r = { .run_id = 2, .label = "network (run 2)", .rpe = &rpe, .eps = eps, .n_eps = 1 };
    PlotOptions o;
    plot_options_default(&o);
    char err[256];
    PlotFiles files;
    assert_int_equal(plot_write(PLOT_RPE, &r, 1, &o, dir, "rpeo", &files, err, sizeof err), 0);
    char *gp = slurp("rpeo.gp"), *dat = slurp("rpeo_value.dat"), *tri = slurp("rpeo_trials.dat");
    assert_non_null(strstr(gp, "δ against the ideal observer's expected reward E[r] of the chosen arm"));
    assert_non_null(strstr(gp, "E[r]  (E: the ideal observer's expected reward"));
    assert_non_null(strstr(dat, "rewarded decile n expect delta delta_se"));
    assert_non_null(strstr(tri, "episode t expect reward delta"));
    assert_null(strstr(tri, " 12.")); /* no V on the x axis */
    free(gp);
    free(dat);
    free(tri);
    episode_free(e);
}

static void inferred_data_and_labels(void **state)
{
    (void)state;
    NeuralRpe a, b;
    memset(&a, 0, sizeof a);
    NeuralInferred *q = &a.inferred;
    q->n_switches = 14;
    q->n_switch[0] = 4, q->n_switch[1] = 10;
    q->switch_mean[0] = -0.7, q->switch_mean[1] = 0.4, q->switch_se[0] = 0.05, q->switch_se[1] = 0.02;
    q->n_later[0] = 30, q->n_later[1] = 90;
    q->later_mean[0] = -0.8, q->later_mean[1] = 0.3, q->later_se[0] = 0.01, q->later_se[1] = 0.03;
    q->fit.n = 14;
    q->fit.coef[INF_EXPECT] = -0.9, q->fit.se[INF_EXPECT] = 0.1;
    q->fit.coef[INF_LAST] = 0.05, q->fit.se[INF_LAST] = 0.02;
    b = a;
    PlotRun r[3] = { { .run_id = 2, .label = "network (run 2)", .rpe = &a },
                     { .run_id = 5, .label = "rw (run 5)", .rpe = &b },
                     { .run_id = 6, .label = "thompson (run 6)", .rpe = NULL } };
    PlotOptions o;
    plot_options_default(&o);
    char err[256], why[256];
    PlotFiles files;
    assert_int_equal(plot_write(PLOT_INFERRED, r, 2, &o, dir, "inf", &files, err, sizeof err), 0);
    char *d = slurp("inf_run2_delta.dat"), *w = slurp("inf_run5_weights.dat"), *gp = slurp("inf.gp");
    assert_non_null(strstr(d, "\n0 1 0 10 0.4 0.02\n1 1 1 90 0.3 0.03\n2 0 0 4 -0.7 0.05\n3 0 1 30 -0.8 0.01\n"));
    assert_non_null(strstr(w, "\n0 E_inferred -0.9 0.1\n1 r_last 0.05 0.02\n"));
    assert_non_null(strstr(gp, "'network (run 2): striatal critic (14 switches)'"));
    assert_non_null(strstr(gp, "'rw (run 5): its own δ (V = Q of the chosen arm) (14 switches)'"));
    assert_non_null(strstr(gp, "with vectors"));   /* error bars */
    free(d);
    free(w);
    free(gp);
    b.inferred.n_switches = 0;
    assert_false(plot_applies(PLOT_INFERRED, &r[1], &o, why, sizeof why));
    assert_non_null(strstr(why, "first switch"));
    assert_false(plot_applies(PLOT_INFERRED, &r[2], &o, why, sizeof why));
}

/* E episodes of T trials, P units: trials t >= 1 on a unit circle in units 0
** and 1 (angle by t, phase by episode), trial 0 at 1000 on unit 0 and 2. */
enum { TE = 4, TT = 30, TP = 4 };

static EpisodeRecord **transient_run(void)
{
    EpisodeRecord **eps = calloc(TE, sizeof *eps);
    assert_non_null(eps);
    for (int i = 0; i < TE; i++) {
        EpisodeRecord *e = eps[i] = episode_alloc(TT, TP);
        assert_non_null(e);
        e->n_trials = TT;
        for (int t = 0; t < TT; t++) {
            TrialRecord *tr = &e->trials[t];
            tr->action = t % 2;
            tr->reward = (t + i) % 3 == 0;
            tr->truth.p[0] = tr->truth.p[1] = 0.5;
            tr->probs[0] = tr->probs[1] = tr->value = tr->rpe = NAN;
            double a = 0.4 * t + 1.3 * i;
            float *x = e->activity + (size_t)t * TP;
            x[0] = (float)cos(a), x[1] = (float)sin(a), x[2] = 0.001f * (float)(t % 5), x[3] = 0.001f * (float)i;
            if (t == 0) x[0] = x[2] = 1000.0f;
        }
    }
    return eps;
}

/* The value of "NAME = v" in s. */
static double gp_value(const char *s, const char *name)
{
    const char *p = strstr(s, name);
    if (!p) fail_msg("no '%s' in the script", name);
    return strtod(p + strlen(name), NULL);
}

static void trajectories_show_the_bulk_and_tell_episodes_apart(void **state)
{
    (void)state;
    EpisodeRecord **eps = transient_run();
    NeuralPca *pca = neural_pca_alloc(TP, TE * TT, 2);   /* the analysis' pooled PCA, as run_analysis makes it */
    assert_non_null(pca);
    assert_int_equal(neural_pca(eps, TE, pca), 0);
    PlotRun r = { .run_id = 2, .label = "network (run 2)", .pca = pca, .eps = eps, .n_eps = TE };
    PlotOptions o;
    plot_options_default(&o);
    char err[256];
    PlotFiles files;
    assert_int_equal(plot_write(PLOT_TRAJECTORIES, &r, 1, &o, dir, "traj", &files, err, sizeof err), 0);
    char *dat = slurp("traj.dat"), *gp = slurp("traj.gp");
    assert_non_null(strstr(dat, "# episode shown t trial pc1 pc2 color"));
    assert_non_null(strstr(dat, "PCA fitted on trials 2 onwards"));
    /* the bulk (trials 2..T) spans both axes: variance ~ 1/2 each (a unit circle) */
    double s[2] = { 0 }, ss[2] = { 0 };
    int n = 0, shown_of_ep1 = 0;
    for (const char *line = strchr(dat, '\n'); line; line = strchr(line + 1, '\n')) {
        int ep, sh, t, trial;
        double x, y;
        if (sscanf(line + 1, "%d %d %d %d %lf %lf", &ep, &sh, &t, &trial, &x, &y) != 6) continue;
        if (ep == 1) shown_of_ep1 = sh;
        if (t == 0) continue;
        s[0] += x, s[1] += y, ss[0] += x * x, ss[1] += y * y, n++;
    }
    assert_int_equal(n, 3 * (TT - 1));   /* the first 3 episodes, by default */
    assert_int_equal(shown_of_ep1, 2);
    for (int c = 0; c < 2; c++) assert_true(ss[c] / n - (s[c] / n) * (s[c] / n) > 0.3);
    /* the axes on the bulk (within the circle plus a margin), the far first trials at the edge */
    assert_true(gp_value(gp, "X1 = ") < 2 && gp_value(gp, "X0 = ") > -2);
    assert_true(gp_value(gp, "Y1 = ") < 2 && gp_value(gp, "Y0 = ") > -2);
    assert_non_null(strstr(gp, "title 'first trial, off axes'"));
    /* one key entry per episode, the key beside the plot, not under the x label */
    assert_non_null(strstr(gp, "title 'episode 1'"));
    assert_non_null(strstr(gp, "title 'episode 3'"));
    assert_null(strstr(gp, "title 'episode 4'"));
    assert_null(strstr(gp, "set key below"));
    assert_non_null(strstr(gp, "set key outside right"));
    free(dat);
    free(gp);
    /* side by side: the key inside each panel, in headroom above the data */
    PlotRun two[2] = { r, r };
    two[1].run_id = 3;
    assert_int_equal(plot_write(PLOT_TRAJECTORIES, two, 2, &o, dir, "traj2", &files, err, sizeof err), 0);
    gp = slurp("traj2.gp");
    assert_null(strstr(gp, "set key below"));
    assert_non_null(strstr(gp, "set key inside top"));
    free(gp);
    neural_pca_free(pca);
    for (int i = 0; i < TE; i++) episode_free(eps[i]);
    free(eps);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decoding_data_carries_null_and_error_bars),
        cmocka_unit_test(rpe_labels_name_whose_delta),
        cmocka_unit_test(rpe_panel_b_against_the_observer),
        cmocka_unit_test(inferred_data_and_labels),
        cmocka_unit_test(trajectories_show_the_bulk_and_tell_episodes_apart),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
