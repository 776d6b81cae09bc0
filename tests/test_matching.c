/* tests/test_matching.c: the matching analysis (analysis/matching.c) on data
** whose answer is known:
**   1. one hand-built episode's choice and income fractions, with a missed
**      trial; an episode without reward is left out;
**   2. a planted line: 200 episodes whose choice fraction is
**      0.1 + 0.8 x income fraction plus Gaussian noise (s.d. 0.03), built
**      trial by trial; the fitted slope and intercept come back within 5
**      standard errors;
**   3. too few episodes, or all at one income fraction: ANALYSIS_NODATA.
** Every random number comes from a seeded generator (core/rng.h).
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

#include <gsl/gsl_randist.h>

#include "analysis/matching.h"
#include "core/episode.h"
#include "core/rng.h"
#include "tests/helpers/testutil.h"

static void set(EpisodeRecord *e, int t, int a, double r)
{
    e->trials[t].action = a;
    e->trials[t].reward = a < 0 ? NAN : r;
    if (t + 1 > e->n_trials) e->n_trials = t + 1;
}

/* Actions 1 1 0 miss 1 0, rewards 1 0 1 - 1 0: 3 of 5 valid on arm 1, reward
** 2 of 3 from arm 1. */
static void fractions_by_hand(void **state)
{
    (void)state;
    EpisodeRecord *e = episode_alloc(6, 0);
    assert_non_null(e);
    const int a[6] = { 1, 1, 0, -1, 1, 0 };
    const double r[6] = { 1, 0, 1, 0, 1, 0 };
    for (int t = 0; t < 6; t++) set(e, t, a[t], r[t]);
    double c, x;
    assert_int_equal(matching_fractions(e, &c, &x), 0);
    assert_close(c, 3.0 / 5.0, 1e-15);
    assert_close(x, 2.0 / 3.0, 1e-15);
    for (int t = 0; t < 6; t++) e->trials[t].reward = a[t] < 0 ? NAN : 0.0;
    assert_int_equal(matching_fractions(e, &c, &x), -1);
    episode_free(e);
}

#define N_EPS 200
#define T 1000
#define R 40

static void planted_line(void **state)
{
    (void)state;
    EpisodeRecord *eps[N_EPS];
    gsl_rng *g = rng_alloc();
    assert_non_null(g);
    rng_seed_episode(g, 11, RNG_STREAM_TASK, 0);
    for (int i = 0; i < N_EPS; i++) {
        EpisodeRecord *e = eps[i] = episode_alloc(T, 0);
        assert_non_null(e);
        int r1 = (int)lround(R * (0.1 + 0.8 * gsl_rng_uniform(g)));
        double x = (double)r1 / R;                                   /* the income fraction it will have */
        double y = 0.1 + 0.8 * x + gsl_ran_gaussian(g, 0.03);
        int n1 = (int)lround(T * y);
        for (int t = 0; t < T; t++) {
            int a = t < n1;                                          /* the first n1 trials on arm 1 */
            int paid = a ? t < r1 : t - n1 < R - r1;                 /* r1 rewards on arm 1, R - r1 on arm 0 */
            set(e, t, a, paid ? 1.0 : 0.0);
        }
    }
    MatchingFit f;
    assert_int_equal(matching_fit(eps, N_EPS, &f), ANALYSIS_OK);
    assert_int_equal(f.n_episodes, N_EPS);
    assert_true(f.slope_se > 0 && f.slope_se < 0.05);
    assert_close(f.slope, 0.8, 5 * f.slope_se);
    assert_close(f.intercept, 0.1, 5 * f.intercept_se);
    assert_true(f.r2 > 0.9);
    for (int i = 0; i < N_EPS; i++) episode_free(eps[i]);
    gsl_rng_free(g);
}

static void no_data(void **state)
{
    (void)state;
    EpisodeRecord *eps[4];
    for (int i = 0; i < 4; i++) {
        eps[i] = episode_alloc(4, 0);
        assert_non_null(eps[i]);
        for (int t = 0; t < 4; t++) set(eps[i], t, t % 2, 1.0);   /* income fraction 1/2 in every episode */
    }
    MatchingFit f;
    assert_int_equal(matching_fit(eps, 2, &f), ANALYSIS_NODATA);
    assert_int_equal(matching_fit(eps, 4, &f), ANALYSIS_NODATA);
    assert_true(isnan(f.slope));
    for (int i = 0; i < 4; i++) episode_free(eps[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fractions_by_hand),
        cmocka_unit_test(planted_line),
        cmocka_unit_test(no_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
