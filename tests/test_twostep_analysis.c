/* tests/test_twostep_analysis.c: the two-step stay analysis
** (analysis/twostep.c) and the hBayesDM two-step importer
** (analysis/import.c, import_read_twostep) on data whose answer is known.
**
**   1. hand-built episodes: cells, counts, missed trials and trials without a
**      stage row, counted by hand in the comments;
**   2. planted answers: stays drawn with given cell probabilities (given back
**      within 5 SE), stays drawn from the logistic model with known reward,
**      transition and interaction weights (recovered within 5 SE), and
**      choices from the multi-lag model with known kernels (within 5 SE);
**   3. the hBayesDM example data (data/human/hBayesDM_ts_exampleData.txt)
**      imported and measured: its stay probabilities against the values in
**      data/published/twostep_stay.tsv (row hbayesdm_ts_example), and bad
**      input rejected with the line and column named;
**   4. the `twostep` figure's files (data per run, the references, the script).
** Every random number comes from a seeded generator.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include <unistd.h>

#include "analysis/import.h"
#include "analysis/plot.h"
#include "analysis/twostep.h"
#include "core/episode.h"

#define REFS "data/published/twostep_stay.tsv"
#define TS_DATA "data/human/hBayesDM_ts_exampleData.txt"

/* Append trial t: first-stage action a (-1 missed), reward, second-stage
** state (0 = no stage-1 row). */
static void add_trial(EpisodeRecord *e, int a, double reward, int state)
{
    int t = e->n_trials++;
    TrialRecord *tr = &e->trials[t];
    memset(tr, 0, sizeof *tr);
    tr->action = a;
    tr->reward = a < 0 ? NAN : reward;
    tr->truth = (TaskTruth){ { NAN, NAN }, -1, -1, -1, 0 };
    tr->probs[0] = tr->probs[1] = tr->value = tr->rpe = NAN;
    if (a < 0) return;
    StageRecord g0 = { t, 0, 0, a, 0.0, NAN, NAN };
    assert_int_equal(episode_add_stage(e, &g0), 0);
    if (state == 0) return;
    StageRecord g1 = { t, 1, state, 0, reward, NAN, NAN };
    assert_int_equal(episode_add_stage(e, &g1), 0);
}

static int common_state(int a, int common) { return common ? 1 + a : 2 - a; }

static void hand_built(void **state)
{
    (void)state;
    EpisodeRecord *e = episode_alloc_stages(10, 2, 0);
    assert_non_null(e);
    add_trial(e, 0, 1, 1);    /* t0: rewarded common            */
    add_trial(e, 0, 0, 2);    /* t1: stay after RC; unrewarded rare */
    add_trial(e, 1, 1, 2);    /* t2: switch after UR; rewarded common (1 -> 2) */
    add_trial(e, 1, 0, 0);    /* t3: stay after RC; no stage-1 row: not a predictor */
    add_trial(e, 0, 1, 2);    /* t4: (after t3: skipped); rewarded rare */
    add_trial(e, -1, 0, 0);   /* t5: missed: breaks the pair t4-t5 */
    add_trial(e, 1, 0, 2);    /* t6: (after t5: skipped); unrewarded common */
    add_trial(e, 1, 1, 1);    /* t7: stay after UC */
    EpisodeRecord *eps[1] = { e };
    assert_int_equal(twostep_applies(eps, 1), 1);
    assert_int_equal(twostep_transition(e, 0), 1);
    assert_int_equal(twostep_transition(e, 1), -1);
    assert_int_equal(twostep_transition(e, 3), 0);
    assert_int_equal(twostep_transition(e, 5), 0);
    TwoStepStay s;
    assert_int_equal(twostep_stay(eps, 1, &s), ANALYSIS_OK);
    /* pairs: RC (t0->1 stay, t2->3 stay), UR (t1->2 switch), UC (t6->7 stay) */
    assert_int_equal(s.n[TS_REW_COMMON], 2);
    assert_int_equal(s.stays[TS_REW_COMMON], 2);
    assert_int_equal(s.n[TS_REW_RARE], 0);
    assert_int_equal(s.n[TS_UNREW_COMMON], 1);
    assert_int_equal(s.stays[TS_UNREW_COMMON], 1);
    assert_int_equal(s.n[TS_UNREW_RARE], 1);
    assert_int_equal(s.stays[TS_UNREW_RARE], 0);
    assert_int_equal(s.n_pairs, 4);
    assert_true(isnan(s.p[TS_REW_RARE]));
    assert_float_equal(s.p[TS_REW_COMMON], 1.0, 1e-12);
    assert_float_equal(s.p[TS_UNREW_RARE], 0.0, 1e-12);
    assert_int_equal(s.n_eps[TS_REW_COMMON], 1);
    assert_float_equal(s.ep_median[TS_REW_COMMON], 1.0, 1e-12);
    episode_free(e);
}

static void no_stages(void **state)
{
    (void)state;
    EpisodeRecord *e = episode_alloc(5, 0);
    assert_non_null(e);
    for (int t = 0; t < 5; t++) {
        e->trials[t].action = t % 2;
        e->trials[t].reward = 1;
    }
    e->n_trials = 5;
    EpisodeRecord *eps[1] = { e };
    assert_int_equal(twostep_applies(eps, 1), 0);
    TwoStepStay s;
    assert_int_equal(twostep_stay(eps, 1, &s), ANALYSIS_NODATA);
    TwoStepRegression r;
    assert_int_equal(twostep_regression(eps, 1, 0.0, &r), ANALYSIS_NODATA);
    assert_true(isnan(r.interaction));
    episode_free(e);
}

static double logistic(double x) { return 1.0 / (1.0 + exp(-x)); }

/* n_eps episodes of T trials: random transitions (common w.p. 0.7) and
** rewards (w.p. 0.5); the stay after each trial drawn with p_stay[cell]
** (cell as in twostep.h); one trial in 50 missed. */
static EpisodeRecord **planted_cells(int n_eps, int T, const double *p_stay, uint64_t seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    EpisodeRecord **eps = calloc((size_t)n_eps, sizeof *eps);
    for (int i = 0; i < n_eps; i++) {
        EpisodeRecord *e = eps[i] = episode_alloc_stages(T, 2, 0);
        int prev = -1, cell = -1;
        for (int t = 0; t < T; t++) {
            int missed = gsl_rng_uniform(r) < 0.02;
            int common = gsl_rng_uniform(r) < 0.7, rew = gsl_rng_uniform(r) < 0.5;
            double u = gsl_rng_uniform(r);
            if (missed) {
                add_trial(e, -1, 0, 0);
                prev = -1;
                continue;
            }
            int a = prev < 0 ? (u < 0.5) : u < p_stay[cell] ? prev : 1 - prev;
            add_trial(e, a, rew, common_state(a, common));
            prev = a;
            cell = (rew ? 0 : 2) + (common ? 0 : 1);
        }
    }
    gsl_rng_free(r);
    return eps;
}

static void free_eps(EpisodeRecord **eps, int n)
{
    for (int i = 0; i < n; i++) episode_free(eps[i]);
    free(eps);
}

static void planted_cell_probabilities(void **state)
{
    (void)state;
    const double p[TS_N_CELLS] = { 0.92, 0.55, 0.35, 0.8 };
    int n = 200;
    EpisodeRecord **eps = planted_cells(n, 100, p, 11);
    TwoStepStay s;
    assert_int_equal(twostep_stay(eps, n, &s), ANALYSIS_OK);
    for (int c = 0; c < TS_N_CELLS; c++) {
        assert_true(s.n[c] > 1000);
        assert_true(fabs(s.p[c] - p[c]) < 5 * s.se[c]);
        assert_true(s.ci[c][0] < s.p[c] && s.p[c] < s.ci[c][1]);
        assert_int_equal(s.n_eps[c], n);
        /* the per-episode spread brackets the truth: median within 0.1, IQR around it */
        assert_true(fabs(s.ep_median[c] - p[c]) < 0.1);
        assert_true(s.ep_q25[c] <= s.ep_median[c] && s.ep_median[c] <= s.ep_q75[c]);
    }
    free_eps(eps, n);
}

static void planted_logistic_weights(void **state)
{
    (void)state;
    /* stay ~ b0 + bR r + bT x + bI r x: a hybrid-like learner, model-free
    ** weight 0.6, model-based weight 1.1 */
    const double b0 = 0.7, bR = 0.6, bT = -0.2, bI = 1.1;
    double p[TS_N_CELLS];
    for (int c = 0; c < TS_N_CELLS; c++) {
        double rr = c < 2 ? 1 : -1, x = c % 2 == 0 ? 1 : -1;
        p[c] = logistic(b0 + bR * rr + bT * x + bI * rr * x);
    }
    int n = 300;
    EpisodeRecord **eps = planted_cells(n, 100, p, 12);
    TwoStepRegression r;
    assert_int_equal(twostep_regression(eps, n, 0.0, &r), ANALYSIS_OK);
    assert_true(r.fit.converged);
    assert_true(fabs(r.intercept - b0) < 5 * r.intercept_se);
    assert_true(fabs(r.reward - bR) < 5 * r.reward_se);
    assert_true(fabs(r.transition - bT) < 5 * r.transition_se);
    assert_true(fabs(r.interaction - bI) < 5 * r.interaction_se);
    assert_true(r.reward_se > 0 && r.reward_se < 0.05);
    free_eps(eps, n);
}

static void planted_lagged_kernels(void **state)
{
    (void)state;
    enum { K = 2 };
    const double bias = 0.2, bc[K] = { 0.5, 0.2 }, br[K] = { 0.4, 0.15 }, bt[K] = { 0.0, 0.1 }, bi[K] = { 0.9, 0.3 };
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 13);
    int n = 300, T = 100;
    EpisodeRecord **eps = calloc((size_t)n, sizeof *eps);
    for (int i = 0; i < n; i++) {
        EpisodeRecord *e = eps[i] = episode_alloc_stages(T, 2, 0);
        double c[K] = { 0 }, rr[K] = { 0 }, x[K] = { 0 };   /* lag k-1; zero before the episode */
        for (int t = 0; t < T; t++) {
            double eta = bias;
            for (int k = 0; k < K; k++) eta += c[k] * (bc[k] + br[k] * rr[k] + bt[k] * x[k] + bi[k] * rr[k] * x[k]);
            int a = gsl_rng_uniform(g) < logistic(eta);
            int common = gsl_rng_uniform(g) < 0.7, rew = gsl_rng_uniform(g) < 0.5;
            add_trial(e, a, rew, common_state(a, common));
            for (int k = K - 1; k > 0; k--) c[k] = c[k - 1], rr[k] = rr[k - 1], x[k] = x[k - 1];
            c[0] = a ? 1 : -1, rr[0] = rew ? 1 : -1, x[0] = common ? 1 : -1;
        }
    }
    gsl_rng_free(g);
    TwoStepLagged L;
    assert_int_equal(twostep_lagged(eps, n, K, 0.0, &L), ANALYSIS_OK);
    assert_int_equal(L.lags, K);
    assert_int_equal(L.fit.n, n * (T - K));
    assert_true(fabs(L.bias - bias) < 5 * L.bias_se);
    for (int k = 0; k < K; k++) {
        assert_true(fabs(L.choice[k] - bc[k]) < 5 * L.choice_se[k]);
        assert_true(fabs(L.reward[k] - br[k]) < 5 * L.reward_se[k]);
        assert_true(fabs(L.transition[k] - bt[k]) < 5 * L.transition_se[k]);
        assert_true(fabs(L.interaction[k] - bi[k]) < 5 * L.interaction_se[k]);
    }
    /* lags beyond the limit are clipped, not refused */
    assert_int_equal(twostep_lagged(eps, n, 99, 1.0, &L), ANALYSIS_OK);
    assert_int_equal(L.lags, TWOSTEP_MAX_LAGS);
    free_eps(eps, n);
}

static const TwoStepRef *find_ref(const TwoStepRef *refs, int n, const char *key)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(refs[i].key, key)) return &refs[i];
    return NULL;
}

static void references_file(void **state)
{
    (void)state;
    TwoStepRef refs[TWOSTEP_MAX_REFS];
    char err[512];
    int n = twostep_refs_read(REFS, refs, TWOSTEP_MAX_REFS, err, sizeof err);
    assert_int_equal(n, 3);
    const TwoStepRef *w = find_ref(refs, n, "wang2018_network");
    assert_non_null(w);
    char kind[16], source[400];
    snprintf(kind, sizeof kind, "%s", w->kind);
    snprintf(source, sizeof source, "%s", w->source);
    assert_string_equal(kind, "published");
    assert_non_null(strstr(source, "Fig. 5b"));
    assert_non_null(find_ref(refs, n, "ideal_observer_wang"));
    assert_string_equal(w->variant, "wang");
    assert_false(twostep_ref_for_variant(w, "daw"));
    assert_true(twostep_ref_for_variant(find_ref(refs, n, "hbayesdm_ts_example"), "daw"));
    assert_true(twostep_ref_for_variant(find_ref(refs, n, "hbayesdm_ts_example"), "wang"));
    assert_string_equal(twostep_title_variant("twostep (trials=100, variant=daw)"), "daw");
    assert_null(twostep_title_variant("twostep"));
    assert_int_equal(twostep_refs_read("no/such/file.tsv", refs, 8, err, sizeof err), -1);
    assert_non_null(strstr(err, "no/such/file.tsv"));
    /* a row of an unknown variant, and the header of the file before the variant column */
    char bad[] = "/tmp/metarl-twostep-refs-XXXXXX";
    int fd = mkstemp(bad);
    assert_true(fd >= 0);
    const char *text = "key\tlabel\trewarded_common\trewarded_rare\tunrewarded_common\tunrewarded_rare\tkind\tvariant"
                       "\tsource\nx\tX\t0.9\t0.5\t0.5\t0.9\tcomputed\tdawn\there\n";
    assert_true(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    assert_int_equal(twostep_refs_read(bad, refs, 8, err, sizeof err), -1);
    assert_non_null(strstr(err, ":2: expected the variant"));
    fd = open(bad, O_WRONLY | O_TRUNC);
    text = "key\tlabel\trewarded_common\trewarded_rare\tunrewarded_common\tunrewarded_rare\tkind\tsource\n";
    assert_true(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    assert_int_equal(twostep_refs_read(bad, refs, 8, err, sizeof err), -1);
    assert_non_null(strstr(err, ":1: expected the header"));
    unlink(bad);
}

/* The hBayesDM example data, imported, give the stay probabilities its
** README states (data/published row hbayesdm_ts_example, 3 decimals) and its
** counts (README: n = 955, 289, 574, 345). */
static void hbayesdm_example_data(void **state)
{
    (void)state;
    EpisodeRecord **eps;
    int n;
    char err[1024];
    int rc = import_read_twostep(TS_DATA, &eps, &n, err, sizeof err);
    if (rc != 0) fail_msg("%s", err);
    assert_int_equal(n, 11);
    long valid = 0, trials = 0;
    for (int i = 0; i < n; i++) {
        int v = 0;
        for (int t = 0; t < eps[i]->n_trials; t++) v += eps[i]->trials[t].action >= 0;
        assert_int_equal(eps[i]->n_stages, 2 * v);   /* two stage rows per trial played */
        trials += eps[i]->n_trials;
        valid += v;
    }
    assert_int_equal(valid, 2190);   /* the file's rows (its README says 2,189: wc -l, no final newline) */
    assert_int_equal(trials, 11 * 201);   /* every subject's last trial is 201; the dropped ones become missed */
    assert_int_equal(eps[0]->trials[0].action, -1);   /* subject 1 starts at trial 2 */
    assert_int_equal(eps[0]->trials[1].action, 0);    /* trial 2: level1_choice 1, level2_choice 4, reward 1 */
    assert_int_equal(eps[0]->stages[1].state, 2);
    assert_int_equal(eps[0]->stages[1].action, 1);
    assert_int_equal(twostep_transition(eps[0], 1), -1);
    TwoStepStay s;
    assert_int_equal(twostep_stay(eps, n, &s), ANALYSIS_OK);
    TwoStepRef refs[TWOSTEP_MAX_REFS];
    int nr = twostep_refs_read(REFS, refs, TWOSTEP_MAX_REFS, err, sizeof err);
    assert_true(nr > 0);
    const TwoStepRef *h = find_ref(refs, nr, "hbayesdm_ts_example");
    assert_non_null(h);
    for (int c = 0; c < TS_N_CELLS; c++) assert_true(fabs(s.p[c] - h->p[c]) <= 0.0005);
    const long counts[TS_N_CELLS] = { 955, 289, 574, 345 };
    for (int c = 0; c < TS_N_CELLS; c++) assert_int_equal(s.n[c], counts[c]);
    TwoStepRegression r;
    assert_int_equal(twostep_regression(eps, n, 0.0, &r), ANALYSIS_OK);
    assert_true(r.interaction > 0 && r.reward > 0);
    import_free(eps, n);
}

static int import_text(const char *text, char *err, size_t n_err)
{
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    EpisodeRecord **eps;
    int n;
    int rc = import_stream_twostep(f, "x.txt", &eps, &n, err, n_err);
    fclose(f);
    if (rc == 0) import_free(eps, n);
    return rc;
}

static void import_bad_input(void **state)
{
    (void)state;
    char err[1024];
    const char *head = "subjID\ttrial\tlevel1_choice\tlevel2_choice\treward\n";
    char buf[512];
    snprintf(buf, sizeof buf, "%s1\t1\t1\t5\t1\n", head);
    assert_int_equal(import_text(buf, err, sizeof err), -1);
    assert_non_null(strstr(err, "x.txt:2:"));
    assert_non_null(strstr(err, "level2_choice"));
    snprintf(buf, sizeof buf, "%s1\t1\t3\t1\t1\n", head);
    assert_int_equal(import_text(buf, err, sizeof err), -1);
    assert_non_null(strstr(err, "level1_choice 1 or 2"));
    snprintf(buf, sizeof buf, "%s1\t2\t1\t1\t1\n1\t2\t1\t1\t0\n", head);
    assert_int_equal(import_text(buf, err, sizeof err), -1);
    assert_non_null(strstr(err, "x.txt:3:"));
    assert_int_equal(import_text("subjID\ttrial\tchoice\treward\n1\t1\t1\t1\n", err, sizeof err), -1);
    assert_non_null(strstr(err, "level1_choice"));
    snprintf(buf, sizeof buf, "%s1\t1\tNA\tNA\tNA\n1\t2\t2\t3\t0\n", head);
    assert_int_equal(import_text(buf, err, sizeof err), 0);
}

static int file_has(const char *path, const char *text)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strstr(buf, text) != NULL;
}

static void remove_figure(const char *dir, const PlotFiles *files)
{
    char path[600];
    for (int i = 0; i < files->n_data; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files->data[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/ts.gp", dir);
    unlink(path);
    rmdir(dir);
}

/* Draw the two-step figure of runs into a fresh folder (dir: a mkdtemp
** template, filled in); the script's path in gp. */
static void draw_figure(const PlotRun *runs, int n, char *dir, PlotFiles *files, char *gp, size_t n_gp)
{
    char err[512];
    snprintf(dir, 32, "/tmp/metarl-twostep-fig-XXXXXX");
    assert_non_null(mkdtemp(dir));
    if (plot_write(PLOT_TWOSTEP, runs, n, NULL, dir, "ts", files, err, sizeof err) != 0) fail_msg("%s", err);
    snprintf(gp, n_gp, "%s/ts.gp", dir);
}

/* The figure: one data file per run plus the references, a script naming
** each reference with its kind; runs of the Daw variant get only the Daw
** variant's references; a run without stage rows is refused. */
static void figure_twostep(void **state)
{
    (void)state;
    const double p[TS_N_CELLS] = { 0.9, 0.6, 0.5, 0.8 };
    EpisodeRecord **eps = planted_cells(20, 50, p, 14);
    PlotRun runs[2] = { { .run_id = 4, .label = "network (run 4)", .eps = eps, .n_eps = 10 },
                        { .run_id = 5, .label = "data (run 5)", .eps = eps + 10, .n_eps = 10 } };
    char dir[32], why[256], path[600];
    PlotFiles files;
    assert_int_equal(plot_kind_lookup("twostep"), PLOT_TWOSTEP);
    assert_true(plot_applies(PLOT_TWOSTEP, &runs[0], NULL, why, sizeof why));
    draw_figure(runs, 2, dir, &files, path, sizeof path);
    assert_int_equal(files.n_data, 3);   /* two runs, the references */
    assert_true(file_has(path, "Wang 2018 network (Fig. 5b) [published]"));
    assert_true(file_has(path, "network (run 4)"));
    assert_true(file_has(path, "hBayesDM two-step example data"));   /* no run names a variant: all */
    snprintf(path, sizeof path, "%s/ts_run4.dat", dir);
    assert_true(file_has(path, "rewarded_common 0.00"));
    remove_figure(dir, &files);
    runs[0].task = "twostep (trials=100, variant=daw, p_common=0.7)";
    draw_figure(runs, 2, dir, &files, path, sizeof path);
    assert_true(file_has(path, "hBayesDM two-step example data"));
    assert_false(file_has(path, "Wang 2018 network"));
    assert_false(file_has(path, "ideal observer, Wang variant"));
    remove_figure(dir, &files);
    runs[0].task = "twostep (trials=100, variant=wang, p_common=0.8)";   /* the people beside Wang runs too */
    draw_figure(runs, 2, dir, &files, path, sizeof path);
    assert_true(file_has(path, "Wang 2018 network (Fig. 5b) [published]"));
    assert_true(file_has(path, "hBayesDM two-step example data"));
    remove_figure(dir, &files);
    EpisodeRecord *flat = episode_alloc(3, 0);
    PlotRun r = { .run_id = 6, .label = "bandit", .eps = &flat, .n_eps = 1 };
    assert_false(plot_applies(PLOT_TWOSTEP, &r, NULL, why, sizeof why));
    assert_non_null(strstr(why, "stage rows"));
    episode_free(flat);
    free_eps(eps, 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hand_built),
        cmocka_unit_test(no_stages),
        cmocka_unit_test(planted_cell_probabilities),
        cmocka_unit_test(planted_logistic_weights),
        cmocka_unit_test(planted_lagged_kernels),
        cmocka_unit_test(references_file),
        cmocka_unit_test(hbayesdm_example_data),
        cmocka_unit_test(import_bad_input),
        cmocka_unit_test(figure_twostep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
