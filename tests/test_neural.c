/* tests/test_neural.c: the population analyses (analysis/neural.c) on
** synthetic activity with planted structure.
**
**   PCA          rates = mean + 2 latent factors x loadings + small noise: the
**                first two components explain > 95% and span the planted
**                subspace (projector distance < 0.05); a first-trial
**                transient that takes PC1 is left out of the fit by
**                neural_pca_fit (skip 1), which still scores every trial;
**   decoding     a target that is a planted linear readout of the rates is
**                decoded with cross-validated R^2 > 0.9 and a shuffled null
**                near 0; a target unrelated to the rates is not decoded; the
**                sufficient-statistics CV equals a direct fold-by-fold ridge
**                fit on a small problem; every outer fold's own held-out R^2
**                of the planted readout is near 1 (and their SD small), the
**                unrelated target's R^2 sits inside its shuffled null;
**   belief       the ideal observer's recursion on a 4-trial sequence, with
**                the values computed by hand (and in Python) in the comments;
**   selectivity  units planted to code the previous action, reward or their
**                product are found, and only they;
**   RPE          delta = 0.1 + 0.9 r - 0.8 V + noise: coefficients within 4 SE;
**                on a schedule of short blocks, the reversal-aligned delta is
**                cut at the neighbouring reversals (each lag counts only the
**                trials of its own segment).
**   RPE vs the   delta = a + b r + c E[r] + noise with E the observer's
**   observer     expected reward of the chosen arm, computed here by hand (a
**                bandit's Beta(1,1) posterior mean by counting; a reversal
**                task's belief filter of core/belief.h): a, b, c within 5 SE,
**                and the observer guessed from the episodes;
**   inferred     a hand-built episode: its first-switch trial, the later
**                trials of that arm, and the switches that do not count (to
**                the bad arm; to an arm never tried); on simulated reversal
**                episodes delta = a + b r + c E + d r_last + noise on the
**                first-switch trials gives a, b, c, d back within 5 SE.
** Every random number comes from a seeded generator.
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

#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "analysis/neural.h"
#include "core/belief.h"
#include "core/episode.h"
#include "core/rng.h"
#include "tests/helpers/testutil.h"

/* Episodes with random actions/rewards and room for p units of activity. */
static EpisodeRecord **make_episodes(int n, int T, int p, gsl_rng *r)
{
    EpisodeRecord **eps = calloc((size_t)n, sizeof *eps);
    assert_non_null(eps);
    for (int i = 0; i < n; i++) {
        EpisodeRecord *e = eps[i] = episode_alloc(T, p);
        assert_non_null(e);
        e->n_trials = T;
        double p0 = gsl_rng_uniform(r);
        for (int t = 0; t < T; t++) {
            TrialRecord *tr = &e->trials[t];
            tr->action = (int)gsl_rng_uniform_int(r, 2);
            tr->reward = gsl_rng_uniform(r) < 0.5 ? 1.0 : 0.0;
            tr->truth.p[0] = p0;
            tr->truth.p[1] = 1.0 - p0;
            tr->truth.best = p0 > 0.5 ? 0 : 1;
            tr->truth.block = 0;
            tr->truth.since_reversal = t;
            tr->probs[0] = tr->probs[1] = tr->value = tr->rpe = NAN;
        }
    }
    return eps;
}

static void free_episodes(EpisodeRecord **eps, int n)
{
    for (int i = 0; i < n; i++) episode_free(eps[i]);
    free(eps);
}

static float *act(EpisodeRecord *e, int t, int u) { return &e->activity[(size_t)t * e->n_units + u]; }

/* ---- PCA ---------------------------------------------------------------------- */

static void pca_finds_planted_subspace(void **state)
{
    (void)state;
    enum { N_EP = 40, T = 50, P = 20 };
    gsl_rng *r = rng_alloc();
    gsl_rng_set(r, 101);
    EpisodeRecord **eps = make_episodes(N_EP, T, P, r);
    double L[P][2];
    for (int j = 0; j < P; j++) {
        L[j][0] = gsl_ran_gaussian(r, 1.0);
        L[j][1] = gsl_ran_gaussian(r, 1.0);
    }
    for (int i = 0; i < N_EP; i++)
        for (int t = 0; t < T; t++) {
            double f1 = gsl_ran_gaussian(r, 3.0), f2 = gsl_ran_gaussian(r, 2.0);
            for (int j = 0; j < P; j++)
                *act(eps[i], t, j) = (float)(0.5 + L[j][0] * f1 + L[j][1] * f2 + gsl_ran_gaussian(r, 0.05));
        }
    assert_int_equal(neural_n_units(eps, N_EP), P);
    assert_int_equal(neural_n_rows(eps, N_EP), N_EP * T);
    NeuralPca *a = neural_pca_alloc(P, N_EP * T, 3);
    assert_non_null(a);
    assert_int_equal(neural_pca(eps, N_EP, a), ANALYSIS_OK);
    assert_true(a->explained[0] + a->explained[1] > 0.95);
    assert_true(a->explained[2] < 0.01);
    for (int c = 1; c < P; c++) assert_true(a->eigenvalues[c] <= a->eigenvalues[c - 1]);
    double sum = 0.0;
    for (int c = 0; c < P; c++) sum += a->explained[c];
    assert_close(sum, 1.0, 1e-12);

    /* projector onto span(L) (via QR) against that of the first two loadings */
    gsl_matrix *Q = gsl_matrix_alloc(P, 2);
    for (int j = 0; j < P; j++) {
        gsl_matrix_set(Q, j, 0, L[j][0]);
        gsl_matrix_set(Q, j, 1, L[j][1]);
    }
    gsl_vector *tau = gsl_vector_alloc(2);
    gsl_linalg_QR_decomp(Q, tau);
    gsl_matrix *q = gsl_matrix_alloc(P, P), *R = gsl_matrix_alloc(P, 2);
    gsl_linalg_QR_unpack(Q, tau, q, R);
    double dist = 0.0;
    for (int j = 0; j < P; j++)
        for (int k = 0; k < P; k++) {
            double pt = gsl_matrix_get(q, j, 0) * gsl_matrix_get(q, k, 0) + gsl_matrix_get(q, j, 1) * gsl_matrix_get(q, k, 1);
            double pe = a->loadings[j] * a->loadings[k] + a->loadings[P + j] * a->loadings[P + k];
            dist += (pt - pe) * (pt - pe);
        }
    assert_true(sqrt(dist) < 0.05);
    /* scores: centred, with the component variances as eigenvalues; rows in order */
    double m = 0.0, v = 0.0;
    for (long row = 0; row < a->n_rows; row++) m += a->scores[row * a->k];
    m /= (double)a->n_rows;
    for (long row = 0; row < a->n_rows; row++) v += (a->scores[row * a->k] - m) * (a->scores[row * a->k] - m);
    v /= (double)(a->n_rows - 1);
    assert_close(m, 0.0, 1e-9);
    assert_close(v, a->eigenvalues[0], 1e-9 * a->eigenvalues[0]);
    assert_int_equal(a->episode[T + 3], 1);
    assert_int_equal(a->t[T + 3], 3);
    gsl_matrix_free(Q);
    gsl_matrix_free(q);
    gsl_matrix_free(R);
    gsl_vector_free(tau);
    neural_pca_free(a);
    free_episodes(eps, N_EP);
    gsl_rng_free(r);
}

/* A first-trial transient (one unit at 1000 on trial 0 of every episode) takes
** PC1 of the plain PCA; fitted without trial 0 the components span the bulk's
** planted plane again, while trial 0 is still scored; skip 0 is neural_pca. */
static void pca_fit_leaves_out_first_trials(void **state)
{
    (void)state;
    enum { N_EP = 10, T = 40, P = 6 };
    gsl_rng *r = rng_alloc();
    gsl_rng_set(r, 7);
    EpisodeRecord **eps = make_episodes(N_EP, T, P, r);
    for (int i = 0; i < N_EP; i++)
        for (int t = 0; t < T; t++) {
            double f1 = gsl_ran_gaussian(r, 1.0), f2 = gsl_ran_gaussian(r, 0.5);
            for (int j = 0; j < P; j++) *act(eps[i], t, j) = (float)gsl_ran_gaussian(r, 0.01);
            *act(eps[i], t, 0) += (float)f1;
            *act(eps[i], t, 1) += (float)f2;
            if (t == 0) *act(eps[i], t, 5) = 1000.0f;
        }
    NeuralPca *plain = neural_pca_alloc(P, N_EP * T, 2), *fit = neural_pca_alloc(P, N_EP * T, 2),
              *zero = neural_pca_alloc(P, N_EP * T, 2);
    assert_true(plain && fit && zero);
    assert_int_equal(neural_pca(eps, N_EP, plain), ANALYSIS_OK);
    assert_true(fabs(plain->loadings[5]) > 0.99);   /* the transient is PC1 */
    assert_int_equal(neural_pca_fit(eps, N_EP, 1, fit), ANALYSIS_OK);
    assert_int_equal(fit->skip, 1);
    assert_int_equal(fit->n_fit, N_EP * (T - 1));
    assert_true(fabs(fit->loadings[0]) > 0.99);        /* PC1: unit 0 */
    assert_true(fabs(fit->loadings[P + 1]) > 0.99);    /* PC2: unit 1 */
    assert_true(fit->explained[0] + fit->explained[1] > 0.99);
    /* every row scored, trial 0 included, in neural-row order */
    assert_int_equal(fit->episode[T], 1);
    assert_int_equal(fit->t[T], 0);
    assert_close(fit->scores[(size_t)T * 2], fit->loadings[0] * (*act(eps[1], 0, 0) - fit->mean[0]) +
                                                 fit->loadings[1] * (*act(eps[1], 0, 1) - fit->mean[1]) +
                                                 fit->loadings[2] * (*act(eps[1], 0, 2) - fit->mean[2]) +
                                                 fit->loadings[3] * (*act(eps[1], 0, 3) - fit->mean[3]) +
                                                 fit->loadings[4] * (*act(eps[1], 0, 4) - fit->mean[4]) +
                                                 fit->loadings[5] * (*act(eps[1], 0, 5) - fit->mean[5]),
                 1e-9);
    assert_int_equal(neural_pca_fit(eps, N_EP, 0, zero), ANALYSIS_OK);
    assert_memory_equal(zero->scores, plain->scores, sizeof(double) * N_EP * T * 2);
    assert_int_equal(neural_pca_fit(eps, N_EP, T, zero), ANALYSIS_NODATA);   /* nothing left to fit */
    neural_pca_free(plain);
    neural_pca_free(fit);
    neural_pca_free(zero);
    free_episodes(eps, N_EP);
    gsl_rng_free(r);
}

/* ---- decoding -------------------------------------------------------------------- */

static void decoding_recovers_readout(void **state)
{
    (void)state;
    enum { N_EP = 40, T = 50, P = 16 };
    gsl_rng *r = rng_alloc();
    gsl_rng_set(r, 202);
    EpisodeRecord **eps = make_episodes(N_EP, T, P, r);
    double w[P];
    for (int j = 0; j < P; j++) w[j] = gsl_ran_gaussian(r, 1.0);
    long N = neural_n_rows(eps, N_EP);
    double *y = malloc((size_t)N * sizeof *y), *noise = malloc((size_t)N * sizeof *noise);
    long row = 0;
    for (int i = 0; i < N_EP; i++)
        for (int t = 0; t < T; t++, row++) {
            double s = 0.0;
            for (int j = 0; j < P; j++) {
                double x = gsl_ran_gaussian(r, 1.0);
                *act(eps[i], t, j) = (float)x;
                s += w[j] * (double)*act(eps[i], t, j);
            }
            y[row] = s + gsl_ran_gaussian(r, 0.3);      /* R^2 ceiling ~ 16 / 16.09 */
            noise[row] = gsl_ran_gaussian(r, 1.0);
        }
    NeuralDecodeConfig cfg;
    neural_decode_config_default(&cfg);
    NeuralDecode d;
    assert_int_equal(neural_decode(eps, N_EP, y, &cfg, &d), ANALYSIS_OK);
    assert_int_equal(d.n_rows, N);
    assert_int_equal(d.n_episodes, N_EP);
    assert_true(d.r2 > 0.9);
    assert_int_equal(d.n_shuffles, 20);
    assert_true(fabs(d.null_mean) < 0.05);
    assert_true(d.null_p95 < 0.05);
    assert_true(d.lambda > 0.0);
    /* same seed, same answer */
    NeuralDecode d2;
    assert_int_equal(neural_decode(eps, N_EP, y, &cfg, &d2), ANALYSIS_OK);
    assert_true(d.r2 == d2.r2 && d.null_p95 == d2.null_p95);

    /* an unrelated target is not decoded */
    assert_int_equal(neural_decode(eps, N_EP, noise, &cfg, &d), ANALYSIS_OK);
    assert_true(d.r2 < 0.02);

    /* missing targets are left out */
    for (long q = 0; q < N; q += 3) y[q] = NAN;
    cfg.lambda = 0.01;
    cfg.n_shuffles = 3;
    assert_int_equal(neural_decode(eps, N_EP, y, &cfg, &d), ANALYSIS_OK);
    assert_int_equal(d.n_rows, N - (N + 2) / 3);
    assert_true(d.r2 > 0.9);
    assert_close(d.lambda, 0.01, 0);

    /* a constant target, too few episodes: no data */
    for (long q = 0; q < N; q++) y[q] = 1.0;
    assert_int_equal(neural_decode(eps, N_EP, y, &cfg, &d), ANALYSIS_NODATA);
    cfg.n_folds = N_EP + 1;
    assert_int_equal(neural_decode(eps, N_EP, noise, &cfg, &d), ANALYSIS_NODATA);
    free(y);
    free(noise);
    free_episodes(eps, N_EP);
    gsl_rng_free(r);
}

/* Per-fold scores: a planted readout decodes near 1 on every held-out fold;
** pure noise decodes inside its shuffled null (between the 5th and 95th
** percentiles), so it is not marked as decoded. */
static void decoding_fold_scores(void **state)
{
    (void)state;
    enum { N_EP = 40, T = 50, P = 16, K = 5 };
    gsl_rng *r = rng_alloc();
    gsl_rng_set(r, 203);
    EpisodeRecord **eps = make_episodes(N_EP, T, P, r);
    double w[P];
    for (int j = 0; j < P; j++) w[j] = gsl_ran_gaussian(r, 1.0);
    long N = neural_n_rows(eps, N_EP);
    double *y = malloc((size_t)N * sizeof *y), *noise = malloc((size_t)N * sizeof *noise);
    long row = 0;
    for (int i = 0; i < N_EP; i++)
        for (int t = 0; t < T; t++, row++) {
            double s = 0.0;
            for (int j = 0; j < P; j++) {
                *act(eps[i], t, j) = (float)gsl_ran_gaussian(r, 1.0);
                s += w[j] * (double)*act(eps[i], t, j);
            }
            y[row] = s + gsl_ran_gaussian(r, 0.3);
            noise[row] = gsl_ran_gaussian(r, 1.0);
        }
    NeuralDecodeConfig cfg;
    neural_decode_config_default(&cfg);
    cfg.n_folds = K;
    NeuralDecode d;
    assert_int_equal(neural_decode(eps, N_EP, y, &cfg, &d), ANALYSIS_OK);
    double mean = 0.0;
    for (int k = 0; k < K; k++) {
        assert_true(d.fold_r2[k] > 0.95 && d.fold_r2[k] <= 1.0);
        mean += d.fold_r2[k] / K;
    }
    assert_true(isnan(d.fold_r2[K]));
    assert_close(mean, d.r2, 0.01);   /* equal-sized folds: the pooled R^2 is near their mean */
    assert_true(d.fold_sd > 0.0 && d.fold_sd < 0.02);
    assert_true(d.r2 > d.null_p95 + 0.5);
    assert_true(d.null_p05 <= d.null_mean && d.null_mean <= d.null_p95);

    assert_int_equal(neural_decode(eps, N_EP, noise, &cfg, &d), ANALYSIS_OK);
    assert_true(d.r2 >= d.null_p05 && d.r2 <= d.null_p95);
    for (int k = 0; k < K; k++) assert_true(d.fold_r2[k] < 0.05);
    assert_true(d.fold_sd > 0.0 && d.fold_sd < 0.05);
    free(y);
    free(noise);
    free_episodes(eps, N_EP);
    gsl_rng_free(r);
}

/* Direct reference: for each fold, fit ridge on the other folds' rows (z-scored
** with the overall mean and SD, centred with the training means) by solving the
** normal equations with LU, and sum the held-out squared error. */
static void decoding_matches_direct_ridge(void **state)
{
    (void)state;
    enum { N_EP = 6, T = 7, P = 3, K = 3 };
    gsl_rng *r = rng_alloc();
    gsl_rng_set(r, 303);
    EpisodeRecord **eps = make_episodes(N_EP, T, P, r);
    double y[N_EP * T];
    for (int i = 0; i < N_EP; i++)
        for (int t = 0; t < T; t++) {
            for (int j = 0; j < P; j++) *act(eps[i], t, j) = (float)gsl_ran_gaussian(r, 1.0 + j);
            y[i * T + t] = (double)*act(eps[i], t, 0) - 0.5 * *act(eps[i], t, 2) + gsl_ran_gaussian(r, 1.0);
        }
    const double lambda = 0.3;
    NeuralDecodeConfig cfg = { K, lambda, 0, 77 };
    NeuralDecode d;
    assert_int_equal(neural_decode(eps, N_EP, y, &cfg, &d), ANALYSIS_OK);

    /* the folds neural_decode uses: the same seeded shuffle, dealt round robin */
    int perm[N_EP], fold[N_EP];
    gsl_rng *r2 = rng_alloc();
    gsl_rng_set(r2, 77);
    for (int e = 0; e < N_EP; e++) perm[e] = e;
    gsl_ran_shuffle(r2, perm, N_EP, sizeof *perm);
    for (int e = 0; e < N_EP; e++) fold[perm[e]] = e % K;
    double mu[P] = { 0 }, sd[P] = { 0 }, Z[N_EP * T][P];
    for (int q = 0; q < N_EP * T; q++)
        for (int j = 0; j < P; j++) mu[j] += (double)*act(eps[q / T], q % T, j) / (N_EP * T);
    for (int q = 0; q < N_EP * T; q++)
        for (int j = 0; j < P; j++) {
            double v = (double)*act(eps[q / T], q % T, j) - mu[j];
            sd[j] += v * v / (N_EP * T - 1);
        }
    for (int q = 0; q < N_EP * T; q++)
        for (int j = 0; j < P; j++) Z[q][j] = ((double)*act(eps[q / T], q % T, j) - mu[j]) / sqrt(sd[j]);
    double sse = 0.0, ybar = 0.0, sst = 0.0;
    for (int q = 0; q < N_EP * T; q++) ybar += y[q] / (N_EP * T);
    for (int q = 0; q < N_EP * T; q++) sst += (y[q] - ybar) * (y[q] - ybar);
    for (int f = 0; f < K; f++) {
        double mx[P] = { 0 }, my = 0.0, n = 0.0;
        for (int q = 0; q < N_EP * T; q++) {
            if (fold[q / T] == f) continue;
            n += 1;
            my += y[q];
            for (int j = 0; j < P; j++) mx[j] += Z[q][j];
        }
        my /= n;
        for (int j = 0; j < P; j++) mx[j] /= n;
        gsl_matrix *A = gsl_matrix_calloc(P, P);
        gsl_vector *c = gsl_vector_calloc(P), *b = gsl_vector_alloc(P);
        for (int q = 0; q < N_EP * T; q++) {
            if (fold[q / T] == f) continue;
            for (int j = 0; j < P; j++) {
                *gsl_vector_ptr(c, j) += (Z[q][j] - mx[j]) * (y[q] - my) / n;
                for (int k = 0; k < P; k++) *gsl_matrix_ptr(A, j, k) += (Z[q][j] - mx[j]) * (Z[q][k] - mx[k]) / n;
            }
        }
        for (int j = 0; j < P; j++) *gsl_matrix_ptr(A, j, j) += lambda;
        gsl_permutation *pm = gsl_permutation_alloc(P);
        int sg;
        gsl_linalg_LU_decomp(A, pm, &sg);
        gsl_linalg_LU_solve(A, pm, c, b);
        for (int q = 0; q < N_EP * T; q++) {
            if (fold[q / T] != f) continue;
            double pred = my;
            for (int j = 0; j < P; j++) pred += gsl_vector_get(b, j) * (Z[q][j] - mx[j]);
            sse += (y[q] - pred) * (y[q] - pred);
        }
        gsl_permutation_free(pm);
        gsl_matrix_free(A);
        gsl_vector_free(c);
        gsl_vector_free(b);
    }
    assert_close(d.r2, 1.0 - sse / sst, 1e-10);
    gsl_rng_free(r2);
    free_episodes(eps, N_EP);
    gsl_rng_free(r);
}

static void belief_hand_computed(void **state)
{
    (void)state;
    EpisodeRecord *e = episode_alloc(4, 0);
    e->n_trials = 4;
    int a[4] = { 0, -1, 1, 0 };
    double rw[4] = { 1, NAN, 0, 1 };
    for (int t = 0; t < 4; t++) {
        e->trials[t].action = a[t];
        e->trials[t].reward = rw[t];
    }
    double b[4];
    neural_reversal_belief(e, 0.8, 0.2, 0.1, b);
    /* b0 = 1/2; after (0, rewarded): 0.5*0.8 / (0.5*0.8 + 0.5*0.2) = 0.8, then
    ** 0.8*0.9 + 0.2*0.1 = 0.74; the missed trial: 0.74*0.9 + 0.26*0.1 = 0.692;
    ** after (1, unrewarded): 0.692*0.8 / (0.692*0.8 + 0.308*0.2) then the
    ** transition = 0.8198959687906372 (Python). */
    assert_close(b[0], 0.5, 1e-15);
    assert_close(b[1], 0.74, 1e-15);
    assert_close(b[2], 0.692, 1e-15);
    assert_close(b[3], 0.8198959687906372, 1e-14);
    episode_free(e);
}

/* ---- selectivity --------------------------------------------------------------------- */

static void selectivity_finds_planted_units(void **state)
{
    (void)state;
    enum { N_EP = 30, T = 100, P = 12 };
    gsl_rng *r = rng_alloc();
    gsl_rng_set(r, 404);
    EpisodeRecord **eps = make_episodes(N_EP, T, P, r);
    eps[0]->trials[10].action = -1;   /* a missed trial: trial 11 is left out */
    eps[0]->trials[10].reward = NAN;
    for (int i = 0; i < N_EP; i++)
        for (int t = 0; t < T; t++) {
            double pa = 0.0, pr = 0.0;
            if (t > 0 && eps[i]->trials[t - 1].action >= 0) {
                pa = eps[i]->trials[t - 1].action == 1 ? 1.0 : -1.0;
                pr = eps[i]->trials[t - 1].reward > 0.5 ? 1.0 : -1.0;
            }
            for (int u = 0; u < P; u++) {
                double v = 0.4 + gsl_ran_gaussian(r, 0.1);
                if (u < 3) v += 0.05 * pa;          /* previous action */
                else if (u < 6) v += 0.05 * pr;     /* previous reward */
                else if (u < 9) v += 0.05 * pa * pr;/* their product */
                *act(eps[i], t, u) = (float)v;
            }
        }
    NeuralSelectivity *s = neural_selectivity_alloc(P);
    assert_non_null(s);
    assert_int_equal(neural_selectivity(eps, N_EP, 0.001, s), ANALYSIS_OK);
    assert_int_equal(s->n_rows, N_EP * (T - 1) - 1);
    for (int u = 0; u < P; u++) {
        int planted = u < 9 ? 1 + u / 3 : 0;   /* SEL_ACTION, SEL_REWARD, SEL_INTERACTION or none */
        for (int j = SEL_ACTION; j <= SEL_INTERACTION; j++) {
            double b = s->coef[u * SEL_N + j], p = s->pval[u * SEL_N + j];
            if (j == planted) {
                assert_close(b, 0.05, 0.01);
                assert_true(p < 1e-20);
            } else {
                assert_close(b, 0.0, 0.01);
            }
        }
        assert_close(s->coef[u * SEL_N + SEL_INTERCEPT], 0.4, 0.01);
    }
    /* counts: the planted units, plus (rarely) a false positive at p < 0.001 */
    for (int j = SEL_ACTION; j <= SEL_INTERACTION; j++) assert_true(s->n_sig[j] >= 3 && s->n_sig[j] <= 4);
    neural_selectivity_free(s);

    /* no activity: nothing to do */
    EpisodeRecord *e = episode_alloc(5, 0);
    e->n_trials = 5;
    assert_int_equal(neural_n_units(&e, 1), 0);
    assert_int_equal(neural_n_rows(&e, 1), 0);
    NeuralDecodeConfig cfg;
    neural_decode_config_default(&cfg);
    NeuralDecode d;
    double y[5] = { 0, 1, 2, 3, 4 };
    assert_int_equal(neural_decode(&e, 1, y, &cfg, &d), ANALYSIS_NODATA);
    episode_free(e);
    free_episodes(eps, N_EP);
    gsl_rng_free(r);
}

/* ---- RPE --------------------------------------------------------------------------------- */

static void rpe_regression_recovers(void **state)
{
    (void)state;
    enum { N_EP = 50, T = 100 };
    gsl_rng *r = rng_alloc();
    gsl_rng_set(r, 505);
    EpisodeRecord **eps = make_episodes(N_EP, T, 0, r);
    for (int i = 0; i < N_EP; i++)
        for (int t = 0; t < T; t++) {
            TrialRecord *tr = &eps[i]->trials[t];
            tr->value = gsl_rng_uniform(r);
            tr->rpe = 0.1 + 0.9 * tr->reward - 0.8 * tr->value + gsl_ran_gaussian(r, 0.2);
            /* a reversal at t = 50 in every episode: delta there is set to 5 */
            tr->truth.block = t < 50 ? 0 : 1;
            tr->truth.since_reversal = t < 50 ? t : t - 50;
            if (t == 50) tr->rpe = 5.0;
        }
    eps[1]->trials[7].rpe = NAN;   /* left out */
    NeuralRpe out;
    assert_int_equal(neural_rpe(eps, N_EP, &out), ANALYSIS_OK);
    assert_int_equal(out.n, N_EP * T - 1);
    assert_int_equal(out.n_rewarded + out.n_unrewarded, out.n);
    const OlsFit *f = &out.fit;
    /* the planted delta at the reversal biases the fit only slightly */
    assert_true(f->se[RPE_REWARD] > 0.005 && f->se[RPE_REWARD] < 0.05);
    assert_close(f->coef[RPE_REWARD], 0.9, 4 * f->se[RPE_REWARD] + 0.02);
    assert_close(f->coef[RPE_VALUE], -0.8, 4 * f->se[RPE_VALUE] + 0.02);
    assert_true(f->pval[RPE_REWARD] < 1e-10 && f->pval[RPE_VALUE] < 1e-10);
    assert_true(out.mean_rewarded > out.mean_unrewarded + 0.5);
    int i0 = -BEHAVIOR_REV_LAG_MIN;
    assert_int_equal(out.rev_n[i0], N_EP);
    assert_close(out.rev_mean[i0], 5.0, 1e-12);
    assert_close(out.rev_se[i0], 0.0, 1e-12);
    assert_int_equal(out.rev_n[i0 + 20], N_EP);
    assert_true(fabs(out.rev_mean[i0 + 1]) < 1.0);
    free_episodes(eps, N_EP);

    /* without RPE: no data */
    EpisodeRecord *e = episode_alloc(3, 0);
    e->n_trials = 3;
    for (int t = 0; t < 3; t++) {
        e->trials[t].action = 0;
        e->trials[t].reward = 1;
        e->trials[t].value = e->trials[t].rpe = NAN;
    }
    assert_int_equal(neural_rpe(&e, 1, &out), ANALYSIS_NODATA);
    assert_true(isnan(out.fit.coef[RPE_REWARD]));
    episode_free(e);
    gsl_rng_free(r);
}

/* Blocks of 6 trials (reversals at 6, 12, 18, 24 in a 30-trial episode);
** delta = 10 * block + 1 marks the block each trial belongs to, and 100 on
** the first trial of every block. Lag L >= 0 must see only the block the
** reversal opens, lag L < 0 only the block before it. */
static void rpe_reversal_cut_at_neighbours(void **state)
{
    (void)state;
    enum { N_EP = 3, T = 30, B = 6 };
    gsl_rng *r = rng_alloc();
    gsl_rng_set(r, 506);
    EpisodeRecord **eps = make_episodes(N_EP, T, 0, r);
    for (int i = 0; i < N_EP; i++)
        for (int t = 0; t < T; t++) {
            TrialRecord *tr = &eps[i]->trials[t];
            tr->truth.block = t / B;
            tr->truth.since_reversal = t % B;
            tr->value = 0.5;
            tr->rpe = t % B == 0 ? 100.0 : 10.0 * (t / B) + 1.0;
        }
    NeuralRpe out;
    assert_int_equal(neural_rpe(eps, N_EP, &out), ANALYSIS_OK);
    const int n_rev = N_EP * (T / B - 1);   /* 4 reversals per episode */
    for (int j = 0; j < BEHAVIOR_REV_N_LAGS; j++) {
        int lag = behavior_rev_lag(j);
        if (lag >= B || lag < -B) {
            /* past the next reversal, or before the previous one: nothing */
            if (out.rev_n[j] != 0) fail_msg("lag %d: %ld trials counted outside their segment", lag, out.rev_n[j]);
            assert_true(isnan(out.rev_mean[j]));
        } else {
            assert_int_equal(out.rev_n[j], n_rev);
        }
    }
    int i0 = -BEHAVIOR_REV_LAG_MIN;
    assert_close(out.rev_mean[i0], 100.0, 1e-12);         /* the reversal trial itself */
    assert_close(out.rev_mean[i0 - B], 100.0, 1e-12);     /* the first trial of the block before */
    /* lag 1..5: blocks 1..4 (delta 11, 21, 31, 41), mean 26; lag -1: blocks 0..3, mean 16 */
    assert_close(out.rev_mean[i0 + 1], 26.0, 1e-12);
    assert_close(out.rev_mean[i0 + B - 1], 26.0, 1e-12);
    assert_close(out.rev_mean[i0 - 1], 16.0, 1e-12);
    free_episodes(eps, N_EP);
    gsl_rng_free(r);
}

/* ---- RPE against the observer's expected reward, and inferred value ---------------------- */

static void rpe_observer_bandit_planted(void **state)
{
    (void)state;
    enum { N_EP = 60, T = 100 };
    const double a = 0.2, b = 1.1, c = -0.9;
    gsl_rng *r = rng_alloc();
    gsl_rng_set(r, 507);
    EpisodeRecord **eps = make_episodes(N_EP, T, 0, r);
    for (int i = 0; i < N_EP; i++) {
        int s[2] = { 0, 0 }, n[2] = { 0, 0 };
        for (int t = 0; t < T; t++) {
            TrialRecord *tr = &eps[i]->trials[t];
            tr->action = gsl_rng_uniform(r) < 0.7 ? 0 : 1;
            tr->reward = gsl_rng_uniform(r) < tr->truth.p[tr->action];
            double E = (s[tr->action] + 1.0) / (n[tr->action] + 2.0);
            s[tr->action] += tr->reward > 0.5;
            n[tr->action]++;
            tr->value = 10.0 * gsl_rng_uniform(r);   /* a discounted V, unrelated */
            tr->rpe = a + b * tr->reward + c * E + gsl_ran_gaussian(r, 0.2);
        }
    }
    NeuralRpe out;
    assert_int_equal(neural_rpe(eps, N_EP, &out), ANALYSIS_OK);
    assert_int_equal(out.obs.kind, NEURAL_OBS_BANDIT);
    const OlsFit *f = &out.fit_obs;
    assert_int_equal(f->n, N_EP * T);
    assert_true(f->se[RPE_EXPECT] > 0 && f->se[RPE_EXPECT] < 0.05);
    assert_close(f->coef[RPE_INTERCEPT], a, 5 * f->se[RPE_INTERCEPT]);
    assert_close(f->coef[RPE_REWARD], b, 5 * f->se[RPE_REWARD]);
    assert_close(f->coef[RPE_EXPECT], c, 5 * f->se[RPE_EXPECT]);
    assert_true(fabs(out.fit.coef[RPE_VALUE]) < 5 * out.fit.se[RPE_VALUE] + 0.01);   /* V tells nothing */
    assert_int_equal(out.inferred.n_switches, 0);
    /* the expectations themselves: arm 0 rewarded twice in three pulls -> 3/5 */
    EpisodeRecord *e = eps[0];
    int act[5] = { 0, 1, 0, 0, 0 };
    double rew[5] = { 1, 0, 1, 0, 1 }, want[5] = { 0.5, 0.5, 2.0 / 3, 3.0 / 4, 3.0 / 5 }, ex[T];
    for (int t = 0; t < 5; t++) {
        e->trials[t].action = act[t];
        e->trials[t].reward = rew[t];
    }
    neural_observer_expect(e, &out.obs, ex);
    for (int t = 0; t < 5; t++) assert_close(ex[t], want[t], 1e-15);
    free_episodes(eps, N_EP);
    gsl_rng_free(r);
}

/* Reversal episodes: p_high 0.8, p_low 0.2, hazard h; a sticky agent (repeats with p 0.85).
** For every trial, E (the observer's expectation of the chosen arm, by core/belief) and
** last (the reward last got from the chosen arm, 0 if never) go into ex and lastr. */
static EpisodeRecord **reversal_episodes(int n, int T, double h, gsl_rng *r, double *ex, double *lastr)
{
    EpisodeRecord **eps = make_episodes(n, T, 0, r);
    for (int i = 0; i < n; i++) {
        int good = 0, block = 0, since = 0, a = 0;
        double b = 0.5, last[2] = { 0, 0 };
        for (int t = 0; t < T; t++) {
            TrialRecord *tr = &eps[i]->trials[t];
            if (t > 0 && gsl_rng_uniform(r) < h) {
                good = 1 - good;
                block++;
                since = 0;
            }
            tr->truth.p[good] = 0.8;
            tr->truth.p[1 - good] = 0.2;
            tr->truth.best = good;
            tr->truth.block = block;
            tr->truth.since_reversal = since++;
            if (gsl_rng_uniform(r) > 0.85) a = 1 - a;
            tr->action = a;
            tr->reward = gsl_rng_uniform(r) < tr->truth.p[a];
            ex[(size_t)i * T + t] = a == 0 ? b * 0.8 + (1 - b) * 0.2 : (1 - b) * 0.8 + b * 0.2;
            lastr[(size_t)i * T + t] = last[a];
            last[a] = tr->reward;
            b = belief_reversal_step(b, a, tr->reward, 0.5, 0.8, 0.2, h);
            tr->value = 0.0;
        }
    }
    return eps;
}

static void rpe_observer_reversal_planted(void **state)
{
    (void)state;
    enum { N_EP = 60, T = 100 };
    const double a = -0.3, b = 0.9, c = -1.2, h = 0.1;
    gsl_rng *r = rng_alloc();
    gsl_rng_set(r, 508);
    double *ex = malloc(N_EP * T * sizeof *ex), *last = malloc(N_EP * T * sizeof *last);
    EpisodeRecord **eps = reversal_episodes(N_EP, T, h, r, ex, last);
    for (int i = 0; i < N_EP; i++)
        for (int t = 0; t < T; t++) {
            TrialRecord *tr = &eps[i]->trials[t];
            tr->rpe = a + b * tr->reward + c * ex[i * T + t] + gsl_ran_gaussian(r, 0.2);
        }
    NeuralObserver obs = { NEURAL_OBS_REVERSAL, 0.8, 0.2, h };
    NeuralRpe out;
    assert_int_equal(neural_rpe_observer(eps, N_EP, &obs, &out), ANALYSIS_OK);
    const OlsFit *f = &out.fit_obs;
    assert_int_equal(f->n, N_EP * T);
    assert_close(f->coef[RPE_INTERCEPT], a, 5 * f->se[RPE_INTERCEPT]);
    assert_close(f->coef[RPE_REWARD], b, 5 * f->se[RPE_REWARD]);
    assert_close(f->coef[RPE_EXPECT], c, 5 * f->se[RPE_EXPECT]);
    assert_true(f->se[RPE_EXPECT] < 0.05);
    /* guessed from the episodes: the true p and the empirical hazard */
    NeuralObserver g;
    neural_observer_guess(eps, N_EP, &g);
    assert_int_equal(g.kind, NEURAL_OBS_REVERSAL);
    assert_close(g.p_high, 0.8, 1e-15);
    assert_close(g.p_low, 0.2, 1e-15);
    assert_close(g.hazard, h, 5 * sqrt(h * (1 - h) / (N_EP * (T - 1))));
    free_episodes(eps, N_EP);
    free(ex);
    free(last);
    gsl_rng_free(r);
}

/* 16 trials, reversals at 5 (arm 1 becomes good) and 11 (arm 0 good again). */
static void inferred_hand_built(void **state)
{
    (void)state;
    enum { T = 16 };
    gsl_rng *r = rng_alloc();
    gsl_rng_set(r, 509);
    EpisodeRecord **eps = make_episodes(1, T, 0, r);
    EpisodeRecord *e = eps[0];
    /*                 block 0: arm 0 good  | block 1: arm 1 good  | block 2: arm 0 good */
    int act[T] = { 0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 1, 1, 1, 0, 0, 0 };
    double rew[T] = { 1, 1, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 1 };
    double rpe[T] = { 9, 9, 9, 9, 9, 9, 9, 0.7, 0.2, 9, -0.6, 9, 9, 0.3, -0.5, 0.4 };
    for (int t = 0; t < T; t++) {
        TrialRecord *tr = &e->trials[t];
        tr->action = act[t];
        tr->reward = rew[t];
        tr->rpe = rpe[t];
        tr->value = 0.0;
        tr->truth.block = t < 5 ? 0 : t < 11 ? 1 : 2;
        tr->truth.since_reversal = t < 5 ? t : t < 11 ? t - 5 : t - 11;
        tr->truth.best = tr->truth.block == 1;
        tr->truth.p[tr->truth.best] = 0.8;
        tr->truth.p[1 - tr->truth.best] = 0.2;
    }
    NeuralObserver obs = { NEURAL_OBS_REVERSAL, 0.8, 0.2, 0.1 };
    NeuralRpe out;
    assert_int_equal(neural_rpe_observer(eps, 1, &obs, &out), ANALYSIS_OK);
    const NeuralInferred *f = &out.inferred;
    /* block 1: arm 0 at 5, 6; first switch to arm 1 (good, tried at t = 1) at t = 7, rewarded;
    ** later trials of arm 1 in block 1: 8 (rewarded, 0.2), 10 (not, -0.6).
    ** block 2: arm 1 at 11, 12; first switch to arm 0 (good, tried) at 13, rewarded: 0.3;
    ** later: 14 (not, -0.5), 15 (rewarded, 0.4) */
    assert_int_equal(f->n_switches, 2);
    assert_int_equal(f->n_switch[1], 2);
    assert_int_equal(f->n_switch[0], 0);
    assert_close(f->switch_mean[1], 0.5, 1e-12);
    assert_int_equal(f->n_later[1], 2);
    assert_close(f->later_mean[1], 0.3, 1e-12);
    assert_int_equal(f->n_later[0], 2);
    assert_close(f->later_mean[0], -0.55, 1e-12);
    double ex[T];
    neural_observer_expect(e, &obs, ex);
    assert_close(f->switch_expect, (ex[7] + ex[13]) / 2, 1e-12);

    /* block 1's switch at 7 does not count if it goes to the block's bad arm ... */
    for (int t = 5; t < 11; t++) e->trials[t].truth.best = 0;
    assert_int_equal(neural_rpe_observer(eps, 1, &obs, &out), ANALYSIS_OK);
    assert_int_equal(out.inferred.n_switches, 1);   /* block 2's only */
    assert_close(out.inferred.switch_mean[1], 0.3, 1e-12);
    /* ... or to an arm never tried before in the episode */
    for (int t = 5; t < 11; t++) e->trials[t].truth.best = 1;
    e->trials[1].action = 0;
    assert_int_equal(neural_rpe_observer(eps, 1, &obs, &out), ANALYSIS_OK);
    assert_int_equal(out.inferred.n_switches, 1);
    assert_close(out.inferred.switch_mean[1], 0.3, 1e-12);
    free_episodes(eps, 1);
    gsl_rng_free(r);
}

static void inferred_fit_planted(void **state)
{
    (void)state;
    enum { N_EP = 400, T = 200 };
    const double a = 0.1, b = 1.0, c = -0.7, d = -0.4, h = 0.05;
    gsl_rng *r = rng_alloc();
    gsl_rng_set(r, 510);
    double *ex = malloc(N_EP * T * sizeof *ex), *last = malloc(N_EP * T * sizeof *last);
    EpisodeRecord **eps = reversal_episodes(N_EP, T, h, r, ex, last);
    for (int i = 0; i < N_EP; i++)
        for (int t = 0; t < T; t++) {
            TrialRecord *tr = &eps[i]->trials[t];
            tr->rpe = a + b * tr->reward + c * ex[i * T + t] + d * last[i * T + t] + gsl_ran_gaussian(r, 0.1);
        }
    NeuralObserver obs = { NEURAL_OBS_REVERSAL, 0.8, 0.2, h };
    NeuralRpe out;
    assert_int_equal(neural_rpe_observer(eps, N_EP, &obs, &out), ANALYSIS_OK);
    const NeuralInferred *f = &out.inferred;
    const OlsFit *g = &f->fit;
    assert_true(f->n_switches > 500);
    assert_int_equal(g->n, f->n_switches);
    assert_int_equal(f->n_switch[0] + f->n_switch[1], f->n_switches);
    assert_close(g->coef[INF_INTERCEPT], a, 5 * g->se[INF_INTERCEPT]);
    assert_close(g->coef[INF_REWARD], b, 5 * g->se[INF_REWARD]);
    assert_close(g->coef[INF_EXPECT], c, 5 * g->se[INF_EXPECT]);
    assert_close(g->coef[INF_LAST], d, 5 * g->se[INF_LAST]);
    assert_true(g->se[INF_EXPECT] < 0.2 && g->se[INF_LAST] < 0.05);
    free_episodes(eps, N_EP);
    free(ex);
    free(last);
    gsl_rng_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pca_finds_planted_subspace),
        cmocka_unit_test(pca_fit_leaves_out_first_trials),
        cmocka_unit_test(decoding_recovers_readout),
        cmocka_unit_test(decoding_matches_direct_ridge),
        cmocka_unit_test(decoding_fold_scores),
        cmocka_unit_test(belief_hand_computed),
        cmocka_unit_test(selectivity_finds_planted_units),
        cmocka_unit_test(rpe_regression_recovers),
        cmocka_unit_test(rpe_reversal_cut_at_neighbours),
        cmocka_unit_test(rpe_observer_bandit_planted),
        cmocka_unit_test(rpe_observer_reversal_planted),
        cmocka_unit_test(inferred_hand_built),
        cmocka_unit_test(inferred_fit_planted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
