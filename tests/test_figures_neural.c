/* tests/test_figures_neural.c: what the neural figures write (analysis/
** figures_neural.c through plot_write), on hand-made analysis results.
**
**   decoding  the data carry each decode's fold spread (r2_fold_sd and the
**             fold scores), its shuffled null (mean, 5th and 95th
**             percentiles) and whether it is above the null's 95th
**             percentile; a decode AT the 95th percentile is not marked; the
**             script draws the null's box and the error bars.
**   rpe       the network's delta is labelled its striatal critic's, a
**             reference agent's its own (named, with what its V is), never
**             the critic's.
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

#include "analysis/plot.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decoding_data_carries_null_and_error_bars),
        cmocka_unit_test(rpe_labels_name_whose_delta),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
