/* tests/test_steps.c: activity within a trial aligned to its events
** (analysis/steps.c) on synthetic per-step rates with a planted answer.
**
** Episodes of tests/helpers/steps_synth.h: T trials of K = 5 steps (epochs
** fixation, choice, outcome, outcome, iti), the last trial's outcome and iti steps missing as the
** network leaves them; random actions and rewards, one missed trial.
**   unit 0  fires 1.0 at the first outcome step of rewarded trials, 0 at
**           every other step: it is the most reward-selective unit (score
**           +infinity: both SEs are 0), its mean aligned to the outcome is
**           1 at d = 0 on rewarded trials and 0 at every other offset and
**           on unrewarded trials;
**   unit 1  0.5 + 0.3 a_t + noise at the choice step: the most
**           choice-selective unit;
**   others  0.5 + noise everywhere.
** Means, SEs and counts at cells in the middle and at the window's edges
** (which reach into the previous and next trials, and past the episode's
** first and last steps) equal a direct computation over the trials; the
** population rate's cell likewise; the epochs and trial shifts of the
** offsets; and NODATA for runs without steps or with mixed K.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "analysis/steps.h"
#include "core/episode.h"
#include "core/rng.h"
#include "tests/helpers/steps_synth.h"
#include "tests/helpers/testutil.h"

enum { K = SYNTH_K, P = SYNTH_P, PRE = 3, POST = 4 };

/* The values of one cell, directly: quantity q (a unit, or -1 for the
** population mean) at offset d from event position pos on each valid trial
** in condition cond whose step exists. Return how many (into v). */
static long cell_values(EpisodeRecord **eps, int n_eps, int pos, int cond, int d, int q, double *v)
{
    long m = 0;
    for (int i = 0; i < n_eps; i++) {
        const EpisodeRecord *e = eps[i];
        for (int t = 0; t < e->n_trials; t++) {
            const TrialRecord *tr = &e->trials[t];
            if (tr->action < 0 || t * K + pos >= e->n_steps) continue;
            int ok = cond == STEPS_ALL || (cond == STEPS_REWARDED && tr->reward > 0.5) ||
                     (cond == STEPS_UNREWARDED && tr->reward <= 0.5) || (cond == STEPS_ARM0 && tr->action == 0) ||
                     (cond == STEPS_ARM1 && tr->action == 1) ||
                     (cond >= STEPS_ARM0_UNREWARDED && cond == STEPS_ARM0_UNREWARDED + 2 * tr->action + (tr->reward > 0.5));
            int s = t * K + pos + d;
            if (!ok || s < 0 || s >= e->n_steps) continue;
            const float *x = e->step_rates + (size_t)s * P;
            double y = 0.0;
            if (q >= 0) y = x[q];
            else {
                for (int u = 0; u < P; u++) y += x[u];
                y /= P;
            }
            v[m++] = y;
        }
    }
    return m;
}

/* Mean, SE = SD (n - 1) / sqrt(n) and n of a cell, two-pass. */
static void direct(EpisodeRecord **eps, int n_eps, int pos, int cond, int d, int q, double *mean, double *se, long *n)
{
    static double v[100000];
    long m = cell_values(eps, n_eps, pos, cond, d, q, v);
    double sum = 0.0, sq = 0.0;
    for (long i = 0; i < m; i++) sum += v[i];
    *mean = sum / (double)m;
    for (long i = 0; i < m; i++) sq += (v[i] - *mean) * (v[i] - *mean);
    *se = sqrt(sq / (double)(m - 1) / (double)m);
    *n = m;
}

static void planted_reward_unit(void **state)
{
    (void)state;
    enum { N_EP = 30, T = 40 };
    gsl_rng *r = rng_alloc();
    gsl_rng_set(r, 7);
    EpisodeRecord **eps = synth_step_episodes(N_EP, T, r);
    NeuralSteps *s = NULL;
    assert_int_equal(neural_steps(eps, N_EP, PRE, POST, &s), ANALYSIS_OK);
    assert_int_equal(s->n_units, P);
    assert_int_equal(s->K, K);
    assert_int_equal(s->pos[STEPS_AT_CHOICE], 1);
    assert_int_equal(s->pos[STEPS_AT_OUTCOME], 2);
    assert_int_equal(s->n_trials, N_EP * T - 1);
    assert_int_equal(s->n_rows, N_EP * ((T - 1) * K + 2));
    assert_int_equal(s->pca->k, 2);

    /* unit 0: the most reward-selective, 1 at the outcome of rewarded trials, 0 elsewhere */
    assert_int_equal(s->order[STEPS_SEL_REWARD * P], 0);
    assert_true(isinf(s->sel[STEPS_SEL_REWARD * P + 0]) && s->sel[STEPS_SEL_REWARD * P + 0] > 0);
    for (int u = 1; u < P; u++) assert_true(fabs(s->sel[STEPS_SEL_REWARD * P + u]) < 5.0);
    for (int d = -PRE; d <= POST; d++) {
        double m = neural_steps_mean(s, STEPS_AT_OUTCOME, STEPS_REWARDED, d, 0);
        assert_true(m == (d == 0 ? 1.0 : 0.0));
        assert_true(neural_steps_mean(s, STEPS_AT_OUTCOME, STEPS_UNREWARDED, d, 0) == 0.0);
        assert_true(neural_steps_se(s, STEPS_AT_OUTCOME, STEPS_UNREWARDED, d, 0) == 0.0);
    }
    /* unit 1: the most choice-selective */
    assert_int_equal(s->order[STEPS_SEL_CHOICE * P], 1);
    assert_true(s->sel[STEPS_SEL_CHOICE * P + 1] > 10.0);

    /* cells against the direct computation, inside the window and at its edges */
    const int cells[][4] = { { STEPS_AT_OUTCOME, STEPS_ALL, 0, 0 },   { STEPS_AT_OUTCOME, STEPS_REWARDED, -PRE, 2 },
                             { STEPS_AT_CHOICE, STEPS_ARM1, -PRE, 3 }, { STEPS_AT_CHOICE, STEPS_ARM0, POST, 4 },
                             { STEPS_AT_CHOICE, STEPS_ARM1, 0, 1 },    { STEPS_AT_OUTCOME, STEPS_UNREWARDED, POST, 5 },
                             { STEPS_AT_CHOICE, STEPS_ALL, 1, -1 },    { STEPS_AT_OUTCOME, STEPS_REWARDED, 0, -1 },
                             { STEPS_AT_CHOICE, STEPS_ARM1_UNREWARDED, 2, 0 }, { STEPS_AT_OUTCOME, STEPS_ARM0_REWARDED, -2, 3 } };
    for (size_t c = 0; c < sizeof cells / sizeof *cells; c++) {
        int ev = cells[c][0], cond = cells[c][1], d = cells[c][2], q = cells[c][3];
        double m, se;
        long n;
        direct(eps, N_EP, s->pos[ev], cond, d, q, &m, &se, &n);
        assert_int_equal(neural_steps_n(s, ev, cond, d), n);
        assert_close(neural_steps_mean(s, ev, cond, d, q < 0 ? STEPS_POP : q), m, 1e-12);
        assert_close(neural_steps_se(s, ev, cond, d, q < 0 ? STEPS_POP : q), se, 1e-12);
    }
    /* the window reaches past the first step at the choice (d = -3 from step 1 of trial 0) */
    assert_true(neural_steps_n(s, STEPS_AT_CHOICE, STEPS_ALL, -PRE) < neural_steps_n(s, STEPS_AT_CHOICE, STEPS_ALL, 0));
    /* and the outcome of the last trial never ran */
    assert_int_equal(neural_steps_n(s, STEPS_AT_OUTCOME, STEPS_ALL, 0), N_EP * (T - 1) - 1);
    /* the PCs are the scores' means: PC1 over all trials at d = 0 is finite, out-of-range cells NaN */
    assert_true(isfinite(neural_steps_mean(s, STEPS_AT_OUTCOME, STEPS_ALL, 0, STEPS_PC1)));
    assert_true(isnan(neural_steps_mean(s, STEPS_AT_OUTCOME, STEPS_ALL, POST + 1, 0)));

    int sh;
    assert_int_equal(neural_steps_epoch(s, STEPS_AT_OUTCOME, -1, &sh), EPOCH_CHOICE);
    assert_int_equal(sh, 0);
    assert_int_equal(neural_steps_epoch(s, STEPS_AT_CHOICE, -2, &sh), EPOCH_ITI);
    assert_int_equal(sh, -1);
    assert_int_equal(neural_steps_epoch(s, STEPS_AT_CHOICE, 4, &sh), EPOCH_FIXATION);
    assert_int_equal(sh, 1);
    assert_int_equal(neural_steps_epoch(s, STEPS_AT_OUTCOME, 1, &sh), EPOCH_OUTCOME);
    neural_steps_free(s);
    synth_free(eps, N_EP);
    gsl_rng_free(r);
}

static void no_steps_is_nodata(void **state)
{
    (void)state;
    gsl_rng *r = rng_alloc();
    gsl_rng_set(r, 8);
    EpisodeRecord **eps = synth_step_episodes(3, 10, r);
    NeuralSteps *s = NULL;
    assert_int_equal(neural_steps(eps, 3, -1, 2, &s), ANALYSIS_NODATA);   /* bad window */
    assert_null(s);
    eps[1]->steps_per_trial = 4;                                           /* mixed K */
    assert_int_equal(neural_steps(eps, 3, 2, 2, &s), ANALYSIS_NODATA);
    for (int i = 0; i < 3; i++) eps[i]->n_steps = 0;                       /* none */
    assert_false(neural_steps_present(eps, 3));
    assert_int_equal(neural_steps(eps, 3, 2, 2, &s), ANALYSIS_NODATA);
    assert_null(s);
    synth_free(eps, 3);
    gsl_rng_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(planted_reward_unit),
        cmocka_unit_test(no_steps_is_nodata),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
