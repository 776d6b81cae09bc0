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
**   4. no volatile stretch: ANALYSIS_NODATA;
** and the diagnostics of analysis/volatility_diag.c:
**   5. a planted switcher (after a loss it switches with p 0.1 in stable
**      stretches and 0.4 in volatile ones, after a win never) gives those
**      P(switch | loss) within 5 standard errors, P(switch | win) 0, and the
**      losses split over stretch positions; accuracy by trials since a
**      reversal on a hand-built episode;
**   6. planted rates: unit 0 ~ N(2 x volatile, 1) from the 20th trial of a
**      stretch on (N(1, 1) before), units 1-2 noise: the held-out decoding
**      accuracy is Phi(1) = 0.841 there and 1/2 in the first 20 trials.
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

#include "analysis/volatility_diag.h"
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

/* Trials (a 1, r 1), (a 1, r 0), (a 0, r 1), the first n_stable of them in
** a stable stretch and the rest in a volatile one; Q = (0.5, 0.5) at the start. */
static EpisodeRecord *three_trials(int n_stable)
{
    EpisodeRecord *e = episode_alloc(3, 0);
    assert_non_null(e);
    snprintf(e->instance, sizeof e->instance, "{\"stretches\":[[\"stable\",0,%d],[\"volatile\",%d,%d]]}",
             n_stable, n_stable, 3 - n_stable);
    set(e, 0, 1, 1.0);
    set(e, 1, 1, 0.0);
    set(e, 2, 0, 1.0);
    return e;
}

/* Trial 0: -log P(a=1) = log 2 (equal Q), then Q1 = 0.5 + a_0 0.5 with a_0
** the learning rate of trial 0's stretch. Trial 1: -log P(1) = log(1 +
** exp(-b_1 (Q1 - 0.5))), Q1 <- Q1 + a_1 (0 - Q1). Trial 2: -log P(0) =
** log(1 + exp(-b_2 (0.5 - Q1))). One stable trial, one beta: a_1 = av; two
** stable trials and a beta per kind: trial 1 reads as and bs, trial 2 bv. */
static void nll_by_hand(void **state)
{
    (void)state;
    const double as = 0.3, av = 0.6, bs = 7.0, bv = 2.0;
    for (int n_stable = 1; n_stable <= 2; n_stable++) {
        EpisodeRecord *e = three_trials(n_stable);
        double b1 = n_stable == 1 ? bv : bs, a1 = n_stable == 1 ? av : as;
        double b_stable = n_stable == 1 ? bv : bs;   /* one beta: only the volatile trials read it */
        double q1 = 0.5 + as * 0.5, want = log(2.0) + log1p(exp(-b1 * (q1 - 0.5)));
        q1 += a1 * (0.0 - q1);
        want += log1p(exp(-bv * (0.5 - q1)));
        assert_close(volfit_nll(&e, 1, as, av, b_stable, bv), want, 1e-12);
        if (n_stable == 2)   /* the kinds' betas not swapped */
            assert_true(fabs(volfit_nll(&e, 1, as, av, bv, bs) - want) > 1e-3);
        episode_free(e);
    }
}

#define N_EPS 100
#define T_HALF 120

/* The planted agent on the schedule above, episode i from seed (7, i). */
static void simulate(EpisodeRecord **eps, double as, double av, double beta_s, double beta_v)
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
            double p1 = 1.0 / (1.0 + exp(-(volatile_now ? beta_v : beta_s) * (q[1] - q[0])));
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
    simulate(eps, 0.1, 0.4, 5.0, 5.0);
    VolStretchFit f, g;
    assert_int_equal(volfit_fit(eps, N_EPS, 1, 20, 0.95, 3, &f), ANALYSIS_OK);
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
    assert_int_equal(volfit_fit(eps, N_EPS, 1, 20, 0.95, 3, &g), ANALYSIS_OK);
    assert_close(g.ratio_lo, f.ratio_lo, 0);
    assert_close(g.ratio_hi, f.ratio_hi, 0);
    assert_true(f.n_betas == 1 && f.beta_volatile == f.beta);
    /* a beta per kind on the same agent: both come back near 5, the ratio's interval still holds 4 */
    assert_int_equal(volfit_fit(eps, N_EPS, 2, 20, 0.95, 3, &g), ANALYSIS_OK);
    assert_int_equal(g.n_betas, 2);
    assert_close(g.beta, 5.0, 1.0);
    assert_close(g.beta_volatile, 5.0, 1.0);
    assert_true(g.ratio_lo <= 4.0 && 4.0 <= g.ratio_hi);
    assert_true(g.nll <= f.nll + 1e-6);   /* nested: one more parameter fits no worse */
    /* one agent, one learning rate: the ratio's interval holds 1 */
    for (int i = 0; i < N_EPS; i++) episode_free(eps[i]);
    simulate(eps, 0.3, 0.3, 5.0, 5.0);
    assert_int_equal(volfit_fit(eps, N_EPS, 1, 20, 0.95, 3, &f), ANALYSIS_OK);
    assert_true(f.ratio_lo <= 1.0 && 1.0 <= f.ratio_hi);
    for (int i = 0; i < N_EPS; i++) episode_free(eps[i]);
}

/* One learning rate, but a noisier policy in the volatile stretches: the
** betas per kind find both (8 and 2) and the ratio's interval holds 1. */
static void planted_betas_recovered(void **state)
{
    (void)state;
    EpisodeRecord *eps[N_EPS];
    simulate(eps, 0.3, 0.3, 8.0, 2.0);
    VolStretchFit f;
    assert_int_equal(volfit_fit(eps, N_EPS, 2, 20, 0.95, 3, &f), ANALYSIS_OK);
    print_message("# two betas: alpha %.3f / %.3f, beta %.2f / %.2f, ratio %.3f [%.3f, %.3f]\n", f.alpha_stable,
                  f.alpha_volatile, f.beta, f.beta_volatile, f.ratio, f.ratio_lo, f.ratio_hi);
    assert_close(f.beta, 8.0, 1.5);
    assert_close(f.beta_volatile, 2.0, 0.5);
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
    assert_int_equal(volfit_fit(&e, 1, 1, 10, 0.95, 1, &f), ANALYSIS_NODATA);
    assert_int_equal(f.n_stable, 20);
    assert_int_equal(f.n_volatile, 0);
    assert_true(isnan(f.ratio));
    episode_free(e);
}

/* The schedule of simulate() with a planted switcher: after a loss switch
** with p_switch[kind], after a win stay; the truth (best, since_reversal) is
** filled; with units > 0, the planted rates of item 6. */
static void simulate_switcher(EpisodeRecord **eps, const double *p_switch, int units)
{
    gsl_rng *r = rng_alloc();
    assert_non_null(r);
    for (int i = 0; i < N_EPS; i++) {
        EpisodeRecord *e = eps[i] = episode_alloc(2 * T_HALF, units);
        assert_non_null(e);
        e->n_pfc = units;
        int vol_first = i % 2;
        snprintf(e->instance, sizeof e->instance, "{\"stretches\":[[\"%s\",0,%d],[\"%s\",%d,%d]]}",
                 vol_first ? "volatile" : "stable", T_HALF, vol_first ? "stable" : "volatile", T_HALF, T_HALF);
        rng_seed_episode(r, 11, RNG_STREAM_TASK, (uint64_t)i);
        int good = 0, a = 0, since = 0;
        for (int t = 0; t < 2 * T_HALF; t++) {
            int vol = (t < T_HALF) == vol_first, pos = t % T_HALF;
            since++;
            if (vol && pos > 0 && pos % 30 == 0) good = 1 - good, since = 0;
            if (t == 0) since = 0;
            if (t > 0 && e->trials[t - 1].reward == 0.0 && gsl_rng_uniform(r) < p_switch[vol]) a = 1 - a;
            double rew = gsl_rng_uniform(r) < (a == good ? 0.75 : 0.25);
            set(e, t, a, rew);
            e->trials[t].truth.best = good;
            e->trials[t].truth.since_reversal = since;
            for (int u = 0; u < units; u++)
                e->activity[t * units + u] =
                    (float)(gsl_ran_gaussian(r, 1.0) + (u == 0 ? (pos < 20 ? 1.0 : 2.0 * vol) : 0.0));
        }
    }
    gsl_rng_free(r);
}

static void diag_planted_switcher(void **state)
{
    (void)state;
    EpisodeRecord *eps[N_EPS];
    const double ps[2] = { 0.1, 0.4 };
    simulate_switcher(eps, ps, 0);
    VolDiag d;
    assert_int_equal(voldiag_behaviour(eps, N_EPS, &d), ANALYSIS_OK);
    assert_int_equal(d.n_episodes, N_EPS);
    for (int k = 0; k < 2; k++) {
        const VolDiagKind *c = &d.kind[k];
        double se = sqrt(ps[k] * (1 - ps[k]) / (double)c->n_loss);
        assert_true(c->n_loss > 1000);
        assert_close(c->p_switch_loss, ps[k], 5 * se);
        assert_close(c->p_switch_win, 0.0, 0);
        assert_int_equal(c->n_acc, (long)N_EPS * T_HALF);
        long n = 0;
        for (int h = 0; h < 2; h++)
            for (int b = 0; b < VOLDIAG_NBIN; b++) {
                n += c->n_pos_loss[h][b];
                if (b >= T_HALF / VOLDIAG_BIN) assert_int_equal(c->n_pos_loss[h][b], 0);
                else if (c->n_pos_loss[h][b] > 200)
                    assert_close(c->psl_pos[h][b], ps[k], 5 * sqrt(ps[k] * (1 - ps[k]) / (double)c->n_pos_loss[h][b]));
            }
        assert_int_equal(n, c->n_loss);
    }
    for (int i = 0; i < N_EPS; i++) episode_free(eps[i]);

    /* accuracy by trials since a reversal, by hand: since 0 1 0 1 2 (volatile), best 0 0 1 1 1 */
    EpisodeRecord *e = episode_alloc(5, 0);
    assert_non_null(e);
    snprintf(e->instance, sizeof e->instance, "{\"stretches\":[[\"volatile\",0,5]]}");
    const int act[5] = { 0, 0, 0, 1, 1 }, best[5] = { 0, 0, 1, 1, 1 }, since[5] = { 0, 1, 0, 1, 2 };
    for (int t = 0; t < 5; t++) {
        set(e, t, act[t], 1.0);
        e->trials[t].truth.best = best[t];
        e->trials[t].truth.since_reversal = since[t];
    }
    assert_int_equal(voldiag_behaviour(&e, 1, &d), ANALYSIS_OK);
    assert_close(d.kind[VOLFIT_VOLATILE].acc_since[0], 0.5, 1e-12);
    assert_close(d.kind[VOLFIT_VOLATILE].acc_since[1], 1.0, 1e-12);
    assert_close(d.kind[VOLFIT_VOLATILE].acc_since[2], 1.0, 1e-12);
    assert_true(isnan(d.kind[VOLFIT_VOLATILE].acc_since[3]));
    assert_close(d.kind[VOLFIT_VOLATILE].accuracy, 0.8, 1e-12);
    assert_true(isnan(d.kind[VOLFIT_STABLE].accuracy));
    episode_free(e);
}

static void diag_planted_decoding(void **state)
{
    (void)state;
    EpisodeRecord *eps[N_EPS];
    const double ps[2] = { 0.2, 0.2 };
    simulate_switcher(eps, ps, 3);
    VolDecode v;
    assert_int_equal(voldiag_decode(eps, N_EPS, 1e-3, &v), ANALYSIS_OK);
    assert_int_equal(v.n_units, 3);
    assert_int_equal(v.n_train, (long)N_EPS / 2 * 2 * T_HALF);
    assert_int_equal(v.n_test, v.n_train);
    assert_true(v.converged);
    const double phi1 = 0.841345;   /* Phi(1): the Bayes accuracy of N(0,1) against N(2,1) */
    for (int k = 0; k < 2; k++) {
        long n0 = v.n_pos[k][0];
        assert_int_equal(n0, (long)N_EPS / 2 * 20);
        assert_close(v.acc_pos[k][0], 0.5, 5 * sqrt(0.25 / (double)n0));
        for (int b = 1; b < T_HALF / VOLDIAG_BIN; b++)
            assert_close(v.acc_pos[k][b], phi1, 5 * sqrt(phi1 * (1 - phi1) / (double)v.n_pos[k][b]));
    }
    /* no activity: no decoding */
    for (int i = 0; i < N_EPS; i++) eps[i]->n_pfc = 0;
    assert_int_equal(voldiag_decode(eps, N_EPS, 1e-3, &v), ANALYSIS_NODATA);
    for (int i = 0; i < N_EPS; i++) episode_free(eps[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stretches_parsed),
        cmocka_unit_test(nll_by_hand),
        cmocka_unit_test(planted_ratio_recovered),
        cmocka_unit_test(planted_betas_recovered),
        cmocka_unit_test(no_volatile_stretch),
        cmocka_unit_test(diag_planted_switcher),
        cmocka_unit_test(diag_planted_decoding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
