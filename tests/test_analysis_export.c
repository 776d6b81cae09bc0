/* tests/test_analysis_export.c: the writers of `metarl analyze` as library
** calls (analysis/export.h) and the final training performance
** (analysis/training_summary.h), without the command or a store.
**
**   1. a synthetic reversal run (hand-built episodes with known truth) is
**      analysed with run_analysis_compute and written with export_tsv_run to
**      a fresh directory: the files that apply are there, no temporary file
**      is left, and the curve, stay and summary files have their header and
**      the right number of rows;
**   2. the same run as JSON is one line, one object, with its run id first;
**   3. a directory that does not exist: export_tsv_run returns -1 with the
**      first failure in err and writes nothing; a decoding result is written
**      with its folds' SD, its null's 5th percentile and whether it is above
**      the null's 95th percentile (a decode at it is not), in TSV, JSON, text;
**   4. training_final is the last bin of training_bins, bit for bit, and
**      covers the last ceil(n/10) rows, for n below, at and above 10 bins;
**      export_tsv_training writes a header and one row per training row;
**   5. training_final_read (what `train` stores as its final performance)
**      reads only the window and gives training_final's numbers, bit for bit.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "analysis/export.h"
#include "analysis/run_analysis.h"
#include "analysis/training_summary.h"
#include "core/episode.h"
#include "store/store.h"
#include "tests/helpers/testutil.h"

#define N_EPS 6
#define N_TRIALS 40

/* Episodes of a reversal task: the good arm (p 0.8 vs 0.2) swaps every 10
** trials; the agent picks the good arm except for a deterministic pattern of
** mistakes and wins on a deterministic pattern. */
static EpisodeRecord **make_episodes_units(int n_units)
{
    EpisodeRecord **eps = calloc(N_EPS, sizeof *eps);
    assert_non_null(eps);
    for (int e = 0; e < N_EPS; e++) {
        assert_non_null(eps[e] = episode_alloc(N_TRIALS, n_units));
        for (int t = 0; t < N_TRIALS; t++) {
            TrialRecord *tr = &eps[e]->trials[t];
            int block = t / 10, good = block & 1;
            tr->truth.p[good] = 0.8;
            tr->truth.p[!good] = 0.2;
            tr->truth.best = good;
            tr->truth.block = block;
            tr->truth.since_reversal = t % 10;
            tr->action = (t * 7 + e * 3) % 5 == 0 ? !good : good;
            tr->reward = (t * 5 + e) % 4 != 0 ? 1.0 : 0.0;
            tr->probs[0] = tr->probs[1] = tr->value = tr->rpe = NAN;
            for (int u = 0; u < n_units; u++)   /* the good arm, with a little of the trial and the episode */
                eps[e]->activity[(size_t)t * n_units + u] = (float)(u == 0 ? good : 0.01 * ((t * (u + 2) + e) % 7));
        }
        eps[e]->n_trials = N_TRIALS;
        episode_summarize(eps[e]);
    }
    return eps;
}

static EpisodeRecord **make_episodes(void) { return make_episodes_units(0); }

/* Lines of a file; the first copied into header. */
static int count_lines(const char *path, char *header, size_t n)
{
    FILE *f = fopen(path, "r");
    if (!f) fail_msg("%s: missing", path);
    char line[8192];
    int lines = 0;
    while (fgets(line, sizeof line, f)) {
        if (lines == 0 && header) snprintf(header, n, "%s", line);
        lines++;
    }
    fclose(f);
    return lines;
}

/* The whole file, NUL-terminated (the caller frees). */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("%s: missing", path);
    char *b = calloc(1, 1 << 16);
    assert_non_null(b);
    size_t n = fread(b, 1, (1 << 16) - 1, f);
    b[n] = '\0';
    fclose(f);
    return b;
}

static int count_files(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (!strncmp(e->d_name, prefix, strlen(prefix))) n++;
    closedir(d);
    return n;
}

static char run_task[] = "reversal", kind_name[] = "test", agent_name[] = "rnn", run_name[] = "synthetic";

static void compute(RunAnalysis *A, RunRow *row)
{
    memset(row, 0, sizeof *row);
    row->run_id = 7;
    row->kind = kind_name;
    row->name = run_name;
    row->task = run_task;
    row->agent = agent_name;
    run_analysis_init(A, row);
    A->eps = make_episodes();
    A->n_eps = N_EPS;
    assert_int_equal(run_analysis_compute(A, RA_CURVES | RA_STAY | RA_REGRESSION | RA_REVERSAL, 3, 0.0), 0);
}

static void test_tsv_files(void **state)
{
    (void)state;
    RunRow row;
    RunAnalysis A;
    compute(&A, &row);
    char dir[256], path[512], header[8192];
    test_tmpdir(dir, sizeof dir);
    ExportDir o;
    export_dir_init(&o, dir);
    o.run = row.run_id;
    assert_int_equal(export_tsv_run(&A, &o), 0);
    /* curve, stay, regression, reversal, criterion, summary (no RW, RPE or neural asked) */
    assert_int_equal(o.n_files, 6);
    assert_int_equal(count_files(dir, "run7_"), 6);
    assert_int_equal(count_files(dir, "."), 2);   /* "." and "..": no temporary file left */

    snprintf(path, sizeof path, "%s/run7_curve.tsv", dir);
    assert_int_equal(count_lines(path, header, sizeof header), 1 + N_TRIALS);
    assert_string_equal(header, "t\tn\treward\treward_se\tn_best\tp_best\tp_best_se\tn_regret\tregret\tregret_se\n");
    snprintf(path, sizeof path, "%s/run7_stay.tsv", dir);
    assert_int_equal(count_lines(path, header, sizeof header), 3);
    assert_string_equal(header, "after\tpairs\tstays\tp_stay\tci_lo\tci_hi\n");
    snprintf(path, sizeof path, "%s/run7_regression.tsv", dir);
    assert_int_equal(count_lines(path, NULL, 0), 1 + 3);   /* lags = 3 */
    snprintf(path, sizeof path, "%s/run7_criterion.tsv", dir);
    assert_int_equal(count_lines(path, NULL, 0), 1 + 3 * N_EPS);   /* three reversals per episode */
    snprintf(path, sizeof path, "%s/run7_summary.tsv", dir);
    assert_int_equal(count_lines(path, header, sizeof header), 1 + 25);
    assert_string_equal(header, "key\tvalue\tse\n");

    run_analysis_free(&A);
    test_rmdir(dir);
}

static void test_json_line(void **state)
{
    (void)state;
    RunRow row;
    RunAnalysis A;
    compute(&A, &row);
    char *text = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&text, &n);
    assert_non_null(f);
    assert_int_equal(export_json_run(&A, f), 0);
    fclose(f);
    assert_true(n > 2);
    assert_true(!strncmp(text, "{\"run\":7,\"kind\":\"test\"", 22));
    assert_string_equal(text + n - 2, "}\n");
    assert_null(memchr(text, '\n', n - 1));   /* one line */
    free(text);
    run_analysis_free(&A);
}

static void test_tsv_missing_dir(void **state)
{
    (void)state;
    RunRow row;
    RunAnalysis A;
    compute(&A, &row);
    ExportDir o;
    export_dir_init(&o, "/nonexistent/metarl-export-test");
    o.run = 7;
    assert_int_equal(export_tsv_run(&A, &o), -1);
    assert_int_equal(o.n_files, 0);
    assert_non_null(strstr(o.err, "/nonexistent/metarl-export-test/.run7_curve.tsv.tmp"));
    assert_non_null(strstr(o.err, ": cannot write ("));
    run_analysis_free(&A);
}

/* The decoding results as `analyze` writes them: with the folds' SD, the
** null's 5th percentile and whether the decode is above the null's 95th
** percentile (a decode AT it is not), in the TSV, the JSON and the text. */
static void test_decoding_exports(void **state)
{
    (void)state;
    RunRow row;
    RunAnalysis A;
    memset(&row, 0, sizeof row);
    row.run_id = 7;
    row.kind = kind_name;
    row.name = run_name;
    row.task = run_task;
    row.agent = agent_name;
    run_analysis_init(&A, &row);
    A.eps = make_episodes_units(3);
    A.n_eps = N_EPS;
    assert_int_equal(run_analysis_compute(&A, RA_DECODING, 3, 0.0), 0);
    assert_true(A.dec_ok[0] && A.dec_ok[1]);   /* p0, p1 */
    /* p0 above its null; p1 exactly at its null's 95th percentile */
    /* (binary fractions, so that every format prints them exactly) */
    A.dec[0].r2 = 0.75, A.dec[0].fold_sd = 0.046875, A.dec[0].null_mean = -0.0078125, A.dec[0].null_p05 = -0.03125;
    A.dec[0].null_p95 = 0.015625;
    A.dec[1].r2 = 0.25, A.dec[1].fold_sd = 0.078125, A.dec[1].null_mean = 0.125, A.dec[1].null_p05 = 0.046875;
    A.dec[1].null_p95 = 0.25;

    char dir[256], path[512], header[8192];
    test_tmpdir(dir, sizeof dir);
    ExportDir o;
    export_dir_init(&o, dir);
    o.run = 7;
    assert_int_equal(export_tsv_run(&A, &o), 0);
    snprintf(path, sizeof path, "%s/run7_decoding.tsv", dir);
    count_lines(path, header, sizeof header);
    assert_string_equal(header, "target\trows\tepisodes\tfolds\tlambda\tr2\tnull_mean\tnull_p95\tshuffles\tr2_fold_sd\t"
                                "null_p05\tabove_null\n");
    char *tsv = slurp(path);
    assert_non_null(tsv);
    const char *p0 = strstr(tsv, "\np0\t"), *p1 = strstr(tsv, "\np1\t");
    assert_true(p0 && p1);
    assert_non_null(strstr(p0, "\t0.75\t-0.0078125\t0.015625\t"));
    assert_non_null(strstr(p0, "\t0.046875\t-0.03125\t1\n"));
    assert_non_null(strstr(p1, "\t0.25\t0.125\t0.25\t"));
    assert_non_null(strstr(p1, "\t0.078125\t0.046875\t0\n"));
    free(tsv);
    test_rmdir(dir);

    char *text = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&text, &n);
    assert_non_null(f);
    assert_int_equal(export_json_run(&A, f), 0);
    fclose(f);
    assert_non_null(strstr(text, "\"p0\":{\"r2\":0.75,\"fold_sd\":0.046875,\"fold_r2\":["));
    assert_non_null(strstr(text, "\"null_mean\":-0.0078125,\"null_p05\":-0.03125,\"null_p95\":0.015625,\"above_null\":true"));
    assert_non_null(strstr(text, "\"null_p05\":0.046875,\"null_p95\":0.25,\"above_null\":false"));
    free(text);

    f = open_memstream(&text, &n);
    assert_non_null(f);
    assert_int_equal(export_text_run(&A, NULL, 0, f), 0);
    fclose(f);
    assert_non_null(strstr(text, "fold SD   null 5% null mean  null 95%"));
    assert_non_null(strstr(text, "p0              0.750   0.047    -0.031    -0.008     0.016"));
    const char *t0 = strstr(text, "p0    "), *t1 = strstr(text, "p1    ");
    assert_true(t0 && t1);
    assert_true(!strncmp(strchr(t0, '\n') - 3, "yes", 3));
    assert_true(!strncmp(strchr(t1, '\n') - 2, "no", 2));
    free(text);
    run_analysis_free(&A);
}

static void test_training_final(void **state)
{
    (void)state;
    static const int sizes[] = { 1, 3, 9, 10, 11, 19, 57, 128 };
    TrainRow rows[128];
    for (int i = 0; i < 128; i++) {
        memset(&rows[i], 0, sizeof rows[i]);
        rows[i].episode = 4 * i + 3;
        rows[i].reward = (double)((i * 37) % 11) / 3.0;
        rows[i].p_best = i % 4 == 0 ? NAN : 0.5 + 0.003 * i;
        rows[i].regret = NAN;
    }
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        int n = sizes[s];
        TrainingBins b;
        TrainingFinal fin;
        training_bins(rows, n, &b);
        assert_int_equal(training_final(rows, n, 20, &fin), ANALYSIS_OK);
        assert_int_equal(b.n, n < TRAINING_BINS ? n : TRAINING_BINS);
        assert_int_equal(fin.n_rows, (n + 9) / 10);
        assert_int_equal(fin.from + fin.n_rows, n);
        assert_true(fin.reward == b.reward[b.n - 1]);
        assert_true(fin.p_best == b.p_best[b.n - 1] || (isnan(fin.p_best) && isnan(b.p_best[b.n - 1])));
        assert_true(isnan(fin.regret) && fin.n_regret == 0);
        assert_true((double)fin.last_episode == b.episode[b.n - 1]);
        assert_true(fin.reward_per_trial == fin.reward / 20);
        double sum = 0.0;
        for (int i = fin.from; i < n; i++) sum += rows[i].reward;
        assert_true(fabs(fin.reward - sum / fin.n_rows) < 1e-12);
    }
    TrainingFinal none;
    assert_int_equal(training_final(rows, 0, 20, &none), ANALYSIS_NODATA);
    assert_true(isnan(none.reward) && none.n_rows == 0);

    char dir[256], path[512], header[8192];
    test_tmpdir(dir, sizeof dir);
    ExportDir o;
    export_dir_init(&o, dir);
    o.run = 3;
    assert_int_equal(export_tsv_training(rows, 57, &o), 0);
    assert_int_equal(o.n_files, 1);
    snprintf(path, sizeof path, "%s/run3_training.tsv", dir);
    assert_int_equal(count_lines(path, header, sizeof header), 1 + 57);
    assert_true(!strncmp(header, "episode\treward\tregret\tp_best\t", 29));
    test_rmdir(dir);
}

static void test_training_final_read(void **state)
{
    (void)state;
    char dir[256], path[512], err[512];
    test_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/t.db", dir);
    Store *st = store_open(path, STORE_WRITE, err, sizeof err);
    assert_non_null(st);
    RunRow run = { 0 };
    run.kind = "train";
    run.name = "final";
    run.task = "bandit";
    run.agent = "network";
    run.config = "[run]\nseed = 1\n";
    run.rng = "mt19937";
    run.version = "test";
    int64_t id;
    if (store_run_create(st, &run, &id) != 0) fail_msg("%s", store_errmsg(st));
    static const int sizes[] = { 0, 1, 9, 10, 11, 57, 128 };
    TrainRow rows[128];
    int stored = 0;
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        int n = sizes[s];
        assert_int_equal(store_begin(st), 0);
        for (; stored < n; stored++) {
            memset(&rows[stored], 0, sizeof rows[stored]);
            rows[stored].episode = stored;
            rows[stored].reward = (double)((stored * 37) % 11) / 3.0;
            rows[stored].p_best = stored % 4 == 0 ? NAN : 0.5 + 0.003 * stored;
            rows[stored].regret = 0.1 * (stored % 7);
            assert_int_equal(store_put_training(st, id, &rows[stored]), 0);
        }
        assert_int_equal(store_commit(st), 0);
        TrainingFinal want, got;
        int rc = training_final(rows, n, 20, &want);
        assert_int_equal(training_final_read(st, id, 20, &got), rc);
        assert_int_equal(got.n_rows, want.n_rows);
        if (n == 0) continue;
        assert_int_equal(got.from, want.from);
        assert_true(got.reward == want.reward && got.reward_per_trial == want.reward_per_trial);
        assert_true(got.p_best == want.p_best || (isnan(got.p_best) && isnan(want.p_best)));
        assert_true(got.regret == want.regret);
        assert_true(got.last_episode == want.last_episode && got.n_p_best == want.n_p_best);
    }
    store_close(st);
    test_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tsv_files),
        cmocka_unit_test(test_json_line),
        cmocka_unit_test(test_tsv_missing_dir),
        cmocka_unit_test(test_decoding_exports),
        cmocka_unit_test(test_training_final),
        cmocka_unit_test(test_training_final_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
