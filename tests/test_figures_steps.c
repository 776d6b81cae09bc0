/* tests/test_figures_steps.c: what the figures of activity within a trial
** write (analysis/figures_steps.c through plot_write), on the synthetic
** per-step episodes of tests/helpers/steps_synth.h (unit 0 fires 1.0 only at
** the outcome step of rewarded trials; unit 1 codes the choice at the choice
** step).
**
**   peri_outcome  the first unit drawn is unit 0 (the most reward-selective);
**             its column is 1 with SE 0 at d = 0 of the rewarded block and 0
**             at every other step of the rewarded and unrewarded blocks but
**             d = +-K, the neighbouring trials' outcomes (about 0.4); the
**             window is one trial (K = 5 steps) each side, the epochs of the
**             rows are those of the trial; the script marks the event (a
**             line at 0), shades the epochs and labels the steps' epochs;
**   peri_choice   the first unit drawn is unit 1 (the most choice-selective);
**   steps_pca     four blocks (arm x reward) of 2K + 1 steps with the counts
**             of their trials; the script marks choice and outcome;
**   applies   a run without per-step rates is refused with a reason that
**             says how to record them, and nothing is written.
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
#include "core/rng.h"
#include "tests/helpers/steps_synth.h"
#include "tests/helpers/testutil.h"

enum { N_EP = 20, T = 30 };
static char dir[256];
static EpisodeRecord **eps;

static int setup(void **state)
{
    (void)state;
    test_tmpdir(dir, sizeof dir);
    gsl_rng *r = rng_alloc();
    gsl_rng_set(r, 11);
    eps = synth_step_episodes(N_EP, T, r);
    gsl_rng_free(r);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    synth_free(eps, N_EP);
    test_rmdir(dir);
    return 0;
}

/* dir/name as one string (the caller frees). */
static char *read_all(const char *name)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    char *b = NULL;
    size_t n = 0;
    assert_true(getdelim(&b, &n, '\0', f) > 0);
    fclose(f);
    return b;
}

static void draw(PlotKind k, const char *base, PlotRun *run)
{
    PlotOptions o;
    plot_options_default(&o);
    char why[256], err[512];
    assert_true(plot_applies(k, run, &o, why, sizeof why));
    PlotFiles files;
    if (plot_write(k, run, 1, &o, dir, base, &files, err, sizeof err) != 0) fail_msg("%s", err);
    assert_int_equal(files.n_data, 1);
}

static PlotRun synth_run(void)
{
    PlotRun r = { .run_id = 5, .label = "synthetic (run 5)", .eps = eps, .n_eps = N_EP };
    return r;
}

/* The data rows of a blank-line-separated table: block b, as parsed numbers. */
static int block_rows(const char *dat, int b, double rows[][32], int max_rows)
{
    const char *p = dat;
    int block = 0, n = 0, blank = 0, seen = 0;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len == 0) blank = 1;
        else if (*p != '#') {
            if (blank && seen) block++;
            blank = 0;
            seen = 1;
            if (block == b && n < max_rows) {
                char line[1024];
                snprintf(line, sizeof line, "%.*s", (int)len, p);
                char *q = line, *end;
                for (int c = 0; c < 32; c++, q = end) {
                    rows[n][c] = strtod(q, &end);
                    if (end == q) rows[n][c] = NAN;
                }
                n++;
            }
        }
        if (!nl) break;
        p = nl + 1;
    }
    return n;
}

static void peri_outcome_plants_unit0(void **state)
{
    (void)state;
    PlotRun run = synth_run();
    draw(PLOT_PERI_OUTCOME, "po", &run);
    char *dat = read_all("po.dat"), *gp = read_all("po.gp");
    assert_non_null(strstr(dat, "pc2_se unit0 unit0_se"));   /* unit 0 drawn first */
    static double rows[64][32];
    /* columns: d epoch shift n pop pop_se pc1 pc1_se pc2 pc2_se unit0 unit0_se ... */
    for (int b = 0; b < 2; b++) {
        int n = block_rows(dat, b, rows, 64);
        assert_int_equal(n, 2 * SYNTH_K + 1);
        for (int i = 0; i < n; i++) {
            int d = (int)rows[i][0];
            assert_int_equal(d, i - SYNTH_K);
            if (d == -SYNTH_K || d == SYNTH_K)   /* the neighbouring trials' outcomes: rewarded about 40% */
                assert_true(rows[i][10] > 0.2 && rows[i][10] < 0.6);
            else assert_true(rows[i][10] == (b == 1 && d == 0 ? 1.0 : 0.0));
            if (b == 1 && d == 0) assert_true(rows[i][11] == 0.0);
            assert_true(rows[i][3] > 0);
        }
        /* d = 0 is the first outcome step, d = -1 the choice, d = -5 the previous trial's outcome */
        assert_int_equal((int)rows[SYNTH_K][1], EPOCH_OUTCOME);
        assert_int_equal((int)rows[SYNTH_K - 1][1], EPOCH_CHOICE);
        assert_int_equal((int)rows[0][1], EPOCH_OUTCOME);
        assert_int_equal((int)rows[0][2], -1);
    }
    /* the event line, the steps' epochs under them, the shaded epochs, the SE bands, the labels */
    static const char *const want[] = { "set arrow 1 from 0, graph 0 to 0, graph 1", "\"0\\nO\" 0", "\"-1\\nC\" -1",
                                        "fs solid 1 noborder behind", "filledcurves", "rate (a.u.)",
                                        "unit 0 (reward t = inf)", "steps from the outcome step" };
    for (size_t k = 0; k < sizeof want / sizeof *want; k++)
        if (!strstr(gp, want[k])) fail_msg("no '%s' in po.gp", want[k]);
    free(dat);
    free(gp);
}

static void peri_choice_plants_unit1(void **state)
{
    (void)state;
    PlotRun run = synth_run();
    draw(PLOT_PERI_CHOICE, "pc", &run);
    char *dat = read_all("pc.dat");
    assert_non_null(strstr(dat, "pc2_se unit1 unit1_se"));
    free(dat);
}

static void steps_pca_blocks(void **state)
{
    (void)state;
    PlotRun run = synth_run();
    draw(PLOT_STEPS_PCA, "sp", &run);
    char *dat = read_all("sp.dat"), *gp = read_all("sp.gp");
    static double rows[64][32];
    long total = 0;
    for (int b = 0; b < 4; b++) {
        assert_int_equal(block_rows(dat, b, rows, 64), 2 * SYNTH_K + 1);
        total += (long)rows[SYNTH_K][3];   /* n at the choice step */
    }
    assert_int_equal(block_rows(dat, 4, rows, 64), 0);
    assert_int_equal(total, N_EP * T - 1);   /* every valid trial, in one of the four */
    assert_non_null(strstr(gp, "PC1 ("));
    assert_non_null(strstr(gp, "o choice"));
    free(dat);
    free(gp);
}

static void refused_without_steps(void **state)
{
    (void)state;
    EpisodeRecord *e = episode_alloc(3, 0);
    assert_non_null(e);
    e->n_trials = 3;
    PlotRun run = { .run_id = 9, .label = "no steps", .eps = &e, .n_eps = 1 };
    PlotOptions o;
    plot_options_default(&o);
    char why[256];
    const PlotKind kinds[] = { PLOT_PERI_CHOICE, PLOT_PERI_OUTCOME, PLOT_STEPS_PCA };
    for (int k = 0; k < 3; k++) {
        assert_false(plot_applies(kinds[k], &run, &o, why, sizeof why));
        assert_non_null(strstr(why, "test.activity_steps=all"));
    }
    char err[512];
    assert_int_equal(plot_write(PLOT_PERI_OUTCOME, &run, 1, &o, dir, "none", NULL, err, sizeof err), -1);
    char path[600];
    snprintf(path, sizeof path, "%s/none.gp", dir);
    assert_null(fopen(path, "r"));
    episode_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(peri_outcome_plants_unit0),
        cmocka_unit_test(peri_choice_plants_unit1),
        cmocka_unit_test(steps_pca_blocks),
        cmocka_unit_test(refused_without_steps),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
