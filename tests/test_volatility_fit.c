/* tests/test_volatility_fit.c: the per-stretch Rescorla-Wagner fit
** (analysis/volatility_fit.c) on data whose answer is known:
**   1. the stretches of an episode parsed from its instance JSON (the
**      volatility task's layout), trials outside them unknown;
**   2. the likelihood of a three-trial episode, computed by hand;
**   3. a planted agent: RW with alpha 0.1 in stable stretches and 0.4 in
**      volatile ones (ratio 4), beta 5, simulated on 100 episodes of the
**      volatility task's schedule (120 stable trials at 0.75/0.25, 120
**      volatile at 0.8/0.2 reversing every 30, order alternating), is
**      recovered, and its bootstrap interval holds 4 and is the same twice;
**   4. no volatile stretch: ANALYSIS_NODATA.
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

#include "analysis/volatility_fit.h"
#include "core/episode.h"
#include "core/rng.h"
#include "tests/helpers/testutil.h"

static void stretches_parsed(void **state)
{
    (void)state;
    EpisodeRecord *e = episode_alloc(10, 0);
    assert_non_null(e);
    e->n_trials = 10;
    snprintf(e->instance, sizeof e->instance,
             "{\"order\":\"volatile_first\",\"first_good\":0,\"stretches\":[[\"volatile\",0,4],[\"stable\",4,4]],"
             "\"p_stable\":[0.75,0.25],\"reversals\":[2]}");
    signed char k[10];
    assert_int_equal(volfit_stretches(e, k), 8);
    for (int t = 0; t < 10; t++)
        assert_int_equal(k[t], t < 4 ? VOLFIT_VOLATILE : t < 8 ? VOLFIT_STABLE : VOLFIT_UNKNOWN);
    snprintf(e->instance, sizeof e->instance, "{}");
    assert_int_equal(volfit_stretches(e, k), 0);
    assert_int_equal(k[3], VOLFIT_UNKNOWN);
    episode_free(e);
}

static void set(EpisodeRecord *e, int t, int a, double r)
{
    e->trials[t].action = a;
    e->trials[t].reward = r;
    if (t + 1 > e->n_trials) e->n_trials = t + 1;
}

/* Trials: 0 stable (a 1, r 1), 1 volatile (a 1, r 0), 2 volatile (a 0, r 1).
** Q = (0.5, 0.5); -log P(a=1) = log 2; Q1 = 0.5 + as 0.5.
** Trial 1: -log P(1) = log(1 + exp(-beta (Q1 - 0.5))); Q1 <- Q1 + av (0 - Q1).
** Trial 2: -log P(0) = log(1 + exp(-beta (0.5 - Q1))). */
static void nll_by_hand(void **state)
{
    (void)state;
    EpisodeRecord *e = episode_alloc(3, 0);
    assert_non_null(e);
    snprintf(e->instance, sizeof e->instance, "{\"stretches\":[[\"stable\",0,1],[\"volatile\",1,2]]}");
    set(e, 0, 1, 1.0);
    set(e, 1, 1, 0.0);
    set(e, 2, 0, 1.0);
    double as = 0.3, av = 0.6, beta = 2.0;
    double q1 = 0.5 + as * 0.5, want = log(2.0) + log1p(exp(-beta * (q1 - 0.5)));
    q1 += av * (0.0 - q1);
    want += log1p(exp(-beta * (0.5 - q1)));
    assert_close(volfit_nll(&e, 1, as, av, beta), want, 1e-12);
    episode_free(e);
}

#define N_EPS 100
#define T_HALF 120

/* The planted agent on the schedule above, episode i from seed (7, i). */
static void simulate(EpisodeRecord **eps, double as, double av, double beta)
{
    gsl_rng *r = rng_alloc();
    assert_non_null(r);
    for (int i = 0; i < N_EPS; i++) {
        EpisodeRecord *e = eps[i] = episode_alloc(2 * T_HALF, 0);
        assert_non_null(e);
        int vol_first = i % 2;
        snprintf(e->instance, sizeof e->instance, "{\"stretches\":[[\"%s\",0,%d],[\"%s\",%d,%d]]}",
                 vol_first ? "volatile" : "stable", T_HALF, vol_first ? "stable" : "volatile", T_HALF, T_HALF);
        rng_seed_episode(r, 7, RNG_STREAM_TASK, (uint64_t)i);
        double q[2] = { 0.5, 0.5 };
        int good = (int)gsl_rng_uniform_int(r, 2);
        for (int t = 0; t < 2 * T_HALF; t++) {
            int volatile_now = (t < T_HALF) == vol_first;
            int since = volatile_now ? t % T_HALF : 0;
            if (volatile_now && since > 0 && since % 30 == 0) good = 1 - good;
            double p1 = 1.0 / (1.0 + exp(-beta * (q[1] - q[0])));
            int a = gsl_rng_uniform(r) < p1;
            double p_pay = a == good ? (volatile_now ? 0.8 : 0.75) : (volatile_now ? 0.2 : 0.25);
            double rew = gsl_rng_uniform(r) < p_pay;
            set(e, t, a, rew);
            q[a] += (volatile_now ? av : as) * (rew - q[a]);
        }
    }
    gsl_rng_free(r);
}

static void planted_ratio_recovered(void **state)
{
    (void)state;
    EpisodeRecord *eps[N_EPS];
    simulate(eps, 0.1, 0.4, 5.0);
    VolStretchFit f, g;
    assert_int_equal(volfit_fit(eps, N_EPS, 20, 0.95, 3, &f), ANALYSIS_OK);
    assert_int_equal(f.n_episodes, N_EPS);
    assert_int_equal(f.n_stable, (long)N_EPS * T_HALF);
    assert_int_equal(f.n_volatile, (long)N_EPS * T_HALF);
    assert_int_equal(f.n_boot, 20);
    /* 24,000 trials: the alphas come back within a few hundredths, the ratio's interval holds 4 */
    assert_close(f.alpha_stable, 0.1, 0.03);
    assert_close(f.alpha_volatile, 0.4, 0.08);
    assert_close(f.beta, 5.0, 0.8);
    assert_true(f.ratio_lo <= 4.0 && 4.0 <= f.ratio_hi);
    assert_true(f.ratio_lo > 1.5);
    assert_true(f.ratio_lo <= f.ratio && f.ratio <= f.ratio_hi);
    /* deterministic: the same seed, the same interval */
    assert_int_equal(volfit_fit(eps, N_EPS, 20, 0.95, 3, &g), ANALYSIS_OK);
    assert_close(g.ratio_lo, f.ratio_lo, 0);
    assert_close(g.ratio_hi, f.ratio_hi, 0);
    /* one agent, one learning rate: the ratio's interval holds 1 */
    for (int i = 0; i < N_EPS; i++) episode_free(eps[i]);
    simulate(eps, 0.3, 0.3, 5.0);
    assert_int_equal(volfit_fit(eps, N_EPS, 20, 0.95, 3, &f), ANALYSIS_OK);
    assert_true(f.ratio_lo <= 1.0 && 1.0 <= f.ratio_hi);
    for (int i = 0; i < N_EPS; i++) episode_free(eps[i]);
}

static void no_volatile_stretch(void **state)
{
    (void)state;
    EpisodeRecord *e = episode_alloc(20, 0);
    assert_non_null(e);
    snprintf(e->instance, sizeof e->instance, "{\"stretches\":[[\"stable\",0,20]]}");
    for (int t = 0; t < 20; t++) set(e, t, t % 2, 1.0);
    VolStretchFit f;
    assert_int_equal(volfit_fit(&e, 1, 10, 0.95, 1, &f), ANALYSIS_NODATA);
    assert_int_equal(f.n_stable, 20);
    assert_int_equal(f.n_volatile, 0);
    assert_true(isnan(f.ratio));
    episode_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stretches_parsed),
        cmocka_unit_test(nll_by_hand),
        cmocka_unit_test(planted_ratio_recovered),
        cmocka_unit_test(no_volatile_stretch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
