/* tests/test_behavior.c: the behavioural analyses (analysis/behavior.c,
** analysis/rwfit.c, analysis/regress.c) on data whose answer is known.
**
**   1. hand-built sequences: learning curves (reward, P(best), cumulative
**      regret, with missed trials and an episode without truth), p(stay|win)
**      and p(stay|loss) with Wilson intervals (reference values computed with
**      the closed form in Python: (p + z^2/2n -+ z sqrt(p(1-p)/n + z^2/4n^2))
**      / (1 + z^2/n), z = 1.959963984540054), the reversal-aligned curve and
**      trials to criterion, counted by hand in the comments;
**   2. planted models: choices simulated from the Lau-Glimcher model with
**      known kernels (recovered within 4 SE), a Rescorla-Wagner agent with
**      known alpha and beta (pooled, per episode, recovery routine), and an
**      agent whose learning rate differs between volatile and stable trials;
**   3. degenerate input: perfect separation, no valid trial, bad lags.
** Every random number comes from a seeded generator: the test is
** deterministic.
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
#include <gsl/gsl_rng.h>

#include "analysis/behavior.h"
#include "analysis/rwfit.h"
#include "core/episode.h"
#include "core/rng.h"
#include "tests/helpers/testutil.h"

#define MISS (-1)

/* A trial with known truth. */
static void set_trial(EpisodeRecord *e, int t, int action, double reward, double p0, double p1, int best, int block,
                      int since)
{
    TrialRecord *tr = &e->trials[t];
    tr->action = action;
    tr->reward = action < 0 ? NAN : reward;
    tr->truth.p[0] = p0;
    tr->truth.p[1] = p1;
    tr->truth.best = best;
    tr->truth.block = block;
    tr->truth.since_reversal = since;
    tr->probs[0] = tr->probs[1] = tr->value = tr->rpe = NAN;
    if (t + 1 > e->n_trials) e->n_trials = t + 1;
}

/* An episode of (action, reward) pairs without truth, as imported data. */
static EpisodeRecord *episode_from(const int *a, const double *r, int n)
{
    EpisodeRecord *e = episode_alloc(n, 0);
    assert_non_null(e);
    for (int t = 0; t < n; t++) set_trial(e, t, a[t], r[t], NAN, NAN, -1, -1, -1);
    return e;
}

static void free_all(EpisodeRecord **eps, int n)
{
    for (int i = 0; i < n; i++) episode_free(eps[i]);
}

/* ---- 1. hand-built ---------------------------------------------------------- */

static void curves_hand_built(void **state)
{
    (void)state;
    EpisodeRecord *eps[3];
    /* A: p = (0.8, 0.2); actions 0,1,0 rewards 1,0,0 -> best 1,0,1; regret 0, .6, .6 */
    eps[0] = episode_alloc(3, 0);
    set_trial(eps[0], 0, 0, 1, 0.8, 0.2, 0, 0, 0);
    set_trial(eps[0], 1, 1, 0, 0.8, 0.2, 0, 0, 1);
    set_trial(eps[0], 2, 0, 0, 0.8, 0.2, 0, 0, 2);
    /* B: action 1 rewarded, then a missed trial: regret .6 carried over */
    eps[1] = episode_alloc(2, 0);
    set_trial(eps[1], 0, 1, 1, 0.8, 0.2, 0, 0, 0);
    set_trial(eps[1], 1, MISS, 0, 0.8, 0.2, 0, 0, 1);
    /* C: imported, no truth: counts for reward only */
    int ca[2] = { 0, 0 };
    double cr[2] = { 0, 1 };
    eps[2] = episode_from(ca, cr, 2);

    assert_int_equal(behavior_max_trials(eps, 3), 3);
    BehaviorCurves *c = behavior_curves_alloc(3);
    assert_non_null(c);
    assert_int_equal(behavior_curves(eps, 3, c), ANALYSIS_OK);
    /* reward: t0 {1,1,0}, t1 {0,1}, t2 {0} */
    assert_int_equal(c->n_reward[0], 3);
    assert_close(c->reward_mean[0], 2.0 / 3.0, 1e-15);
    assert_close(c->reward_se[0], sqrt(1.0 / 3.0) / sqrt(3.0), 1e-15);
    assert_int_equal(c->n_reward[1], 2);
    assert_close(c->reward_mean[1], 0.5, 1e-15);
    assert_int_equal(c->n_reward[2], 1);
    assert_true(isnan(c->reward_se[2]));
    /* P(best): t0 {1, 0}, t1 {0}, t2 {1} */
    assert_int_equal(c->n_best[0], 2);
    assert_close(c->best_mean[0], 0.5, 1e-15);
    assert_close(c->best_se[0], 0.5, 1e-15);
    assert_int_equal(c->n_best[1], 1);
    assert_close(c->best_mean[1], 0.0, 1e-15);
    /* cumulative regret: t0 {0, .6}, t1 {.6, .6} (B's missed trial adds nothing), t2 {.6} */
    assert_int_equal(c->n_regret[0], 2);
    assert_close(c->regret_mean[0], 0.3, 1e-15);
    assert_int_equal(c->n_regret[1], 2);
    assert_close(c->regret_mean[1], 0.6, 1e-15);
    assert_close(c->regret_se[1], 0.0, 1e-15);
    assert_int_equal(c->n_regret[2], 1);
    behavior_curves_free(c);
    free_all(eps, 3);
}

static void stay_hand_built(void **state)
{
    (void)state;
    /* episode 1: (0,1) (0,0) (1,1) miss (1,1) (0,0) (0,1)
    **   win->stay, loss->switch, win->[miss]->stay, win->switch, loss->stay
    ** episode 2: miss (1,0) (1,0) (0,1)
    **   loss->stay, loss->switch; nothing pairs across the boundary.
    ** win: 3 pairs, 2 stays; loss: 4 pairs, 2 stays. */
    int a1[7] = { 0, 0, 1, MISS, 1, 0, 0 };
    double r1[7] = { 1, 0, 1, 0, 1, 0, 1 };
    int a2[4] = { MISS, 1, 1, 0 };
    double r2[4] = { 0, 0, 0, 1 };
    EpisodeRecord *eps[2] = { episode_from(a1, r1, 7), episode_from(a2, r2, 4) };
    StayStats s;
    assert_int_equal(behavior_stay(eps, 2, 0.95, &s), ANALYSIS_OK);
    assert_int_equal(s.n_win, 3);
    assert_int_equal(s.stay_win, 2);
    assert_int_equal(s.n_loss, 4);
    assert_int_equal(s.stay_loss, 2);
    assert_close(s.p_stay_win, 2.0 / 3.0, 1e-15);
    assert_close(s.p_stay_loss, 0.5, 1e-15);
    /* Wilson reference values (Python, closed form above) */
    assert_close(s.win_ci[0], 0.20765960080204771, 1e-12);
    assert_close(s.win_ci[1], 0.93850805527960368, 1e-12);
    assert_close(s.loss_ci[0], 0.15003898915214947, 1e-12);
    assert_close(s.loss_ci[1], 0.84996101084785058, 1e-12);
    free_all(eps, 2);

    /* nothing to pair */
    int a3[3] = { MISS, 0, MISS };
    double r3[3] = { 0, 1, 0 };
    EpisodeRecord *one = episode_from(a3, r3, 3);
    assert_int_equal(behavior_stay(&one, 1, 0.95, &s), ANALYSIS_NODATA);
    assert_true(isnan(s.p_stay_win) && isnan(s.win_ci[0]));
    episode_free(one);
}

/* A 30-trial episode whose good arm is 0 until t = 12 and 1 from then on. */
static EpisodeRecord *reversal_episode(const int *actions, int n, const int *block_of)
{
    EpisodeRecord *e = episode_alloc(n, 0);
    int since = 0;
    for (int t = 0; t < n; t++) {
        if (t > 0 && block_of[t] != block_of[t - 1]) since = 0;
        int good = block_of[t] % 2 == 0 ? 0 : 1;
        double p0 = good == 0 ? 0.8 : 0.2;
        set_trial(e, t, actions[t], actions[t] == good ? 1 : 0, p0, 1 - p0, good, block_of[t], since);
        since++;
    }
    return e;
}

static void reversal_hand_built(void **state)
{
    (void)state;
    int blocks[30], blocks3[20], a1[30], a2[30], a3[20];
    for (int t = 0; t < 30; t++) {
        blocks[t] = t < 12 ? 0 : 1;
        a1[t] = t < 14 ? 0 : 1;   /* wrong on lags 0 and 1, right from lag 2 */
        a2[t] = 1;                /* wrong before the reversal, right after */
    }
    a1[16] = MISS;                /* lag 4 of episode 1 not scorable */
    for (int t = 0; t < 20; t++) {
        blocks3[t] = t < 12 ? 0 : t < 18 ? 1 : 2;   /* blocks too short to reach 8 of 10 */
        a3[t] = blocks3[t] % 2;                       /* always right */
    }
    EpisodeRecord *eps[3] = { reversal_episode(a1, 30, blocks), reversal_episode(a2, 30, blocks),
                              reversal_episode(a3, 20, blocks3) };
    assert_int_equal(behavior_count_reversals(eps, 2), 2);
    ReversalCurve rc;
    assert_int_equal(behavior_reversal_curve(eps, 2, &rc), ANALYSIS_OK);
    assert_int_equal(rc.n_reversals, 2);
    int i0 = -BEHAVIOR_REV_LAG_MIN;   /* index of lag 0 */
    assert_int_equal(behavior_rev_lag(i0), 0);
    /* lag -5: episode 1 right (old good arm 0), episode 2 wrong: 0.5, SE 0.5 */
    assert_int_equal(rc.n[i0 - 5], 2);
    assert_close(rc.accuracy[i0 - 5], 0.5, 1e-15);
    assert_close(rc.se[i0 - 5], 0.5, 1e-15);
    /* lag 0 and 1: episode 1 wrong, episode 2 right */
    assert_close(rc.accuracy[i0], 0.5, 1e-15);
    assert_close(rc.accuracy[i0 + 1], 0.5, 1e-15);
    /* lag 2: both right */
    assert_close(rc.accuracy[i0 + 2], 1.0, 1e-15);
    assert_close(rc.se[i0 + 2], 0.0, 1e-15);
    /* lag 4: episode 1 missed it */
    assert_int_equal(rc.n[i0 + 4], 1);
    assert_close(rc.accuracy[i0 + 4], 1.0, 1e-15);
    assert_true(isnan(rc.se[i0 + 4]));
    /* lag 17 is trial 29, the last; lags 18..20 fall off the episode */
    assert_int_equal(rc.n[i0 + 17], 2);
    assert_int_equal(rc.n[i0 + 18], 0);
    assert_true(isnan(rc.accuracy[i0 + 20]));

    /* trials to criterion, 8 of 10: episode 1 needs j = 1 (window 13..22
    ** holds 14, 15, 17..22 = 8 correct; 12..21 only 7); episode 2 j = 0;
    ** episode 3's two reversals are censored (blocks of 6 and 2 trials). */
    double per[4];
    ReversalCriterion cr;
    assert_int_equal(behavior_count_reversals(eps, 3), 4);
    assert_int_equal(behavior_trials_to_criterion(eps, 3, 8, 10, per, &cr), ANALYSIS_OK);
    assert_int_equal(cr.n_reversals, 4);
    assert_int_equal(cr.n_reached, 2);
    assert_close(per[0], 1.0, 0);
    assert_close(per[1], 0.0, 0);
    assert_true(isnan(per[2]) && isnan(per[3]));
    assert_close(cr.mean, 0.5, 1e-15);
    assert_close(cr.median, 0.5, 1e-15);

    /* no truth, no reversal */
    int a[3] = { 0, 1, 0 };
    double r[3] = { 1, 0, 1 };
    EpisodeRecord *imp = episode_from(a, r, 3);
    assert_int_equal(behavior_reversal_curve(&imp, 1, &rc), ANALYSIS_NODATA);
    assert_int_equal(behavior_trials_to_criterion(&imp, 1, 8, 10, NULL, &cr), ANALYSIS_NODATA);
    episode_free(imp);
    free_all(eps, 3);
}

/* ---- 2. Lau-Glimcher kernel -------------------------------------------------- */

enum { LG_EPISODES = 200, LG_TRIALS = 200, LG_K = 5 };

static void lau_glimcher_recovers_kernel(void **state)
{
    (void)state;
    const double b0 = 0.2;
    const double bR[LG_K] = { 1.5, 0.8, 0.4, 0.2, 0.1 };
    const double bU[LG_K] = { -0.6, -0.3, -0.1, 0.0, 0.0 };
    gsl_rng *r = rng_alloc();
    gsl_rng_set(r, 20240501);
    EpisodeRecord *eps[LG_EPISODES];
    for (int i = 0; i < LG_EPISODES; i++) {
        EpisodeRecord *e = eps[i] = episode_alloc(LG_TRIALS, 0);
        double p1 = gsl_rng_uniform(r) < 0.5 ? 0.7 : 0.3;
        for (int t = 0; t < LG_TRIALS; t++) {
            if (gsl_rng_uniform(r) < 0.02) {   /* a missed trial contributes nothing */
                set_trial(e, t, MISS, 0, 1 - p1, p1, -1, 0, t);
                continue;
            }
            double eta = b0;
            for (int k = 1; k <= LG_K && t - k >= 0; k++) {
                const TrialRecord *h = &e->trials[t - k];
                if (h->action < 0) continue;
                double c = h->action == 1 ? 1.0 : -1.0;
                eta += c * (h->reward > 0.5 ? bR[k - 1] : bU[k - 1]);
            }
            int a = gsl_rng_uniform(r) < 1.0 / (1.0 + exp(-eta)) ? 1 : 0;
            double rew = gsl_rng_uniform(r) < (a ? p1 : 1 - p1) ? 1.0 : 0.0;
            set_trial(e, t, a, rew, 1 - p1, p1, p1 > 0.5, 0, t);
        }
    }
    /* the usable trials, counted independently */
    long usable = 0;
    for (int i = 0; i < LG_EPISODES; i++)
        for (int t = LG_K; t < LG_TRIALS; t++) {
            int ok = 1;
            for (int k = 0; k <= LG_K; k++) ok &= eps[i]->trials[t - k].action >= 0;
            usable += ok;
        }
    LauGlimcherFit f;
    assert_int_equal(behavior_lau_glimcher(eps, LG_EPISODES, LG_K, 0.0, &f), ANALYSIS_OK);
    assert_true(f.fit.converged);
    assert_false(f.fit.separated);
    assert_int_equal(f.fit.n, usable);
    assert_int_equal(f.fit.p, 1 + 2 * LG_K);
    assert_true(f.fit.loglik < 0.0 && f.fit.loglik > -(double)usable * log(2.0));
    /* each coefficient within 4 SE; SEs in the range 40,000 trials give */
    assert_true(f.intercept_se > 0.005 && f.intercept_se < 0.05);
    assert_close(f.intercept, b0, 4 * f.intercept_se);
    for (int k = 0; k < LG_K; k++) {
        assert_true(f.rewarded_se[k] > 0.005 && f.rewarded_se[k] < 0.08);
        assert_true(f.unrewarded_se[k] > 0.005 && f.unrewarded_se[k] < 0.08);
        assert_close(f.rewarded[k], bR[k], 4 * f.rewarded_se[k]);
        assert_close(f.unrewarded[k], bU[k], 4 * f.unrewarded_se[k]);
    }
    /* a ridge penalty shrinks the kernel toward zero but not the intercept */
    LauGlimcherFit g;
    assert_int_equal(behavior_lau_glimcher(eps, LG_EPISODES, LG_K, 5000.0, &g), ANALYSIS_OK);
    assert_true(g.fit.converged);
    assert_true(fabs(g.rewarded[0]) < fabs(f.rewarded[0]));
    assert_true(g.fit.loglik < f.fit.loglik);
    /* bad lags */
    assert_int_equal(behavior_lau_glimcher(eps, LG_EPISODES, 0, 0.0, &g), ANALYSIS_NODATA);
    assert_int_equal(behavior_lau_glimcher(eps, LG_EPISODES, BEHAVIOR_MAX_LAGS + 1, 0.0, &g), ANALYSIS_NODATA);
    free_all(eps, LG_EPISODES);
    gsl_rng_free(r);
}

static void lau_glimcher_separation(void **state)
{
    (void)state;
    /* strict win-stay/lose-shift: lag-1 regressors separate the choices */
    enum { T = 300 };
    int a[T];
    double rw[T];
    gsl_rng *r = rng_alloc();
    gsl_rng_set(r, 7);
    a[0] = 0;
    for (int t = 0; t < T; t++) {
        if (t > 0) a[t] = rw[t - 1] > 0.5 ? a[t - 1] : 1 - a[t - 1];
        rw[t] = gsl_rng_uniform(r) < 0.5 ? 1.0 : 0.0;
    }
    EpisodeRecord *e = episode_from(a, rw, T);
    LauGlimcherFit f;
    assert_int_equal(behavior_lau_glimcher(&e, 1, 2, 0.0, &f), ANALYSIS_OK);
    assert_false(f.fit.converged);
    assert_true(f.fit.separated);
    /* with a ridge penalty the fit is finite and converges */
    assert_int_equal(behavior_lau_glimcher(&e, 1, 2, 1.0, &f), ANALYSIS_OK);
    assert_true(f.fit.converged);
    assert_true(isfinite(f.rewarded[0]) && f.rewarded[0] > 1.0 && f.unrewarded[0] < -1.0);
    /* too little data */
    assert_int_equal(behavior_lau_glimcher(&e, 1, BEHAVIOR_MAX_LAGS, 0.0, &f), ANALYSIS_OK);
    EpisodeRecord *shorty = episode_from(a, rw, 4);
    assert_int_equal(behavior_lau_glimcher(&shorty, 1, 3, 0.0, &f), ANALYSIS_NODATA);
    episode_free(shorty);
    episode_free(e);
    gsl_rng_free(r);
}

/* ---- Rescorla-Wagner ------------------------------------------------------------ */

static EpisodeRecord **simulate_rw(double alpha, double beta, int n, int T, unsigned long seed)
{
    EpisodeRecord **eps = calloc((size_t)n, sizeof *eps);
    assert_non_null(eps);
    for (int i = 0; i < n; i++) assert_non_null(eps[i] = episode_alloc(T, 0));
    RwEnv env;
    rw_env_default(&env);
    env.n_trials = T;
    gsl_rng *r = rng_alloc();
    gsl_rng_set(r, seed);
    assert_int_equal(rw_simulate(alpha, beta, NULL, 0, &env, r, eps, n), ANALYSIS_OK);
    gsl_rng_free(r);
    return eps;
}

static void rw_pooled_recovers(void **state)
{
    (void)state;
    const double alpha = 0.3, beta = 5.0;
    int n = 100;
    EpisodeRecord **eps = simulate_rw(alpha, beta, n, 200, 11);
    /* a few missed trials do not disturb the fit */
    eps[0]->trials[5].action = MISS;
    eps[0]->trials[5].reward = NAN;
    RwFit f;
    assert_int_equal(rw_fit(eps, n, &f), ANALYSIS_OK);
    assert_int_equal(f.n_trials, 100 * 200 - 1);
    assert_int_equal(f.n_episodes, n);
    assert_true(f.converged);
    assert_false(f.at_bound);
    assert_true(f.alpha_se > 0.002 && f.alpha_se < 0.05);
    assert_true(f.beta_se > 0.02 && f.beta_se < 0.5);
    assert_close(f.alpha, alpha, 4 * f.alpha_se);
    assert_close(f.beta, beta, 4 * f.beta_se);
    /* the optimum beats the truth, and both are far better than chance */
    double at_truth = rw_nll(eps, n, alpha, beta);
    assert_true(f.nll <= at_truth + 1e-9);
    assert_close(f.nll, rw_nll(eps, n, f.alpha, f.beta), 1e-6 * f.nll);
    assert_true(at_truth < 0.9 * f.n_trials * log(2.0));
    for (int i = 0; i < n; i++) episode_free(eps[i]);
    free(eps);
}

static void rw_per_episode_and_recovery(void **state)
{
    (void)state;
    const double alpha = 0.4, beta = 6.0;
    int n = 20;
    EpisodeRecord **eps = simulate_rw(alpha, beta, n, 200, 12);
    eps[3]->n_trials = RW_MIN_TRIALS - 1;   /* too short to fit alone */
    RwFit per[20];
    RwFitSummary sum;
    assert_int_equal(rw_fit_episodes(eps, n, per, &sum), ANALYSIS_OK);
    assert_int_equal(sum.n_fitted, n - 1);
    assert_true(isnan(per[3].alpha));
    assert_int_equal(per[3].n_trials, RW_MIN_TRIALS - 1);
    for (int i = 0; i < n; i++)
        if (i != 3) assert_int_equal(per[i].n_trials, 200);
    /* single episodes are noisy; the median lands near the truth */
    assert_close(sum.alpha_median, alpha, 0.2);
    assert_close(sum.beta_median, beta, 3.0);
    assert_true(sum.alpha_sd > 0.0);

    /* the recovery routine, built-in environment and the episodes as templates */
    RwEnv env;
    rw_env_default(&env);
    RwFit rec;
    assert_int_equal(rw_recover(0.25, 4.0, NULL, 0, &env, 100, 99, &rec), ANALYSIS_OK);
    assert_close(rec.alpha, 0.25, 4 * rec.alpha_se);
    assert_close(rec.beta, 4.0, 4 * rec.beta_se);
    RwFit rec2;
    assert_int_equal(rw_recover(0.25, 4.0, NULL, 0, &env, 100, 99, &rec2), ANALYSIS_OK);
    assert_true(rec.alpha == rec2.alpha && rec.beta == rec2.beta);   /* seeded: identical */
    assert_int_equal(rw_recover(0.25, 4.0, eps, n, &env, 100, 5, &rec), ANALYSIS_OK);
    assert_close(rec.alpha, 0.25, 4 * rec.alpha_se);
    assert_close(rec.beta, 4.0, 4 * rec.beta_se);
    /* templates without truth cannot be replayed */
    int a[3] = { 0, 1, 0 };
    double r[3] = { 1, 0, 1 };
    EpisodeRecord *imp = episode_from(a, r, 3);
    assert_int_equal(rw_recover(0.25, 4.0, &imp, 1, &env, 10, 5, &rec), ANALYSIS_NODATA);
    episode_free(imp);
    for (int i = 0; i < n; i++) episode_free(eps[i]);
    free(eps);
}

static void rw_no_data(void **state)
{
    (void)state;
    int a[2] = { MISS, MISS };
    double r[2] = { 0, 0 };
    EpisodeRecord *e = episode_from(a, r, 2);
    RwFit f;
    assert_int_equal(rw_fit(&e, 1, &f), ANALYSIS_NODATA);
    assert_true(isnan(f.alpha));
    RwVolatilityFit v;
    assert_int_equal(rw_fit_volatility(&e, 1, 10, &v), ANALYSIS_NODATA);
    episode_free(e);
}

/* An RW agent whose learning rate is alpha_v on volatile trials, alpha_s on
** stable ones and alpha_0 in the start window (classes as rwfit.h defines). */
static void volatility_recovers(void **state)
{
    (void)state;
    enum { N = 300, T = 200, W = 10 };
    const double av = 0.7, as = 0.1, a0 = 0.4, beta = 6.0;
    gsl_rng *r = rng_alloc();
    gsl_rng_set(r, 31);
    EpisodeRecord *eps[N];
    long n_cls[3] = { 0, 0, 0 };   /* volatile, stable, start */
    for (int i = 0; i < N; i++) {
        EpisodeRecord *e = eps[i] = episode_alloc(T, 0);
        int good = (int)gsl_rng_uniform_int(r, 2), block = 0, since = 0;
        double q[2] = { 0.5, 0.5 };
        for (int t = 0; t < T; t++) {
            double p0 = good == 0 ? 0.8 : 0.2;
            double p1 = 1.0 / (1.0 + exp(-beta * (q[1] - q[0])));
            int a = gsl_rng_uniform(r) < p1 ? 1 : 0;
            double rew = gsl_rng_uniform(r) < (a ? 1 - p0 : p0) ? 1.0 : 0.0;
            set_trial(e, t, a, rew, p0, 1 - p0, good, block, since);
            int cls = since >= W ? 1 : block >= 1 ? 0 : 2;
            double al = cls == 1 ? as : cls == 0 ? av : a0;
            n_cls[cls]++;
            q[a] += al * (rew - q[a]);
            since++;
            if (gsl_rng_uniform(r) < 0.04) {
                good = 1 - good;
                block++;
                since = 0;
            }
        }
    }
    RwVolatilityFit v;
    assert_int_equal(rw_fit_volatility(eps, N, W, &v), ANALYSIS_OK);
    assert_int_equal(v.n_volatile, n_cls[0]);
    assert_int_equal(v.n_stable, n_cls[1]);
    assert_int_equal(v.n_start, n_cls[2]);
    assert_true(v.n_volatile > 1000 && v.n_stable > 1000);
    assert_true(v.converged);
    assert_true(v.alpha_volatile_se > 0.0 && v.alpha_volatile_se < 0.05);
    assert_true(v.alpha_stable_se > 0.0 && v.alpha_stable_se < 0.05);
    assert_close(v.alpha_volatile, av, 4 * v.alpha_volatile_se);
    assert_close(v.alpha_stable, as, 4 * v.alpha_stable_se);
    assert_close(v.alpha_start, a0, 4 * v.alpha_start_se);
    assert_close(v.beta, beta, 4 * v.beta_se);
    assert_true(v.alpha_volatile - v.alpha_stable > 4 * hypot(v.alpha_volatile_se, v.alpha_stable_se));
    free_all(eps, N);
    gsl_rng_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(curves_hand_built),
        cmocka_unit_test(stay_hand_built),
        cmocka_unit_test(reversal_hand_built),
        cmocka_unit_test(lau_glimcher_recovers_kernel),
        cmocka_unit_test(lau_glimcher_separation),
        cmocka_unit_test(rw_pooled_recovers),
        cmocka_unit_test(rw_per_episode_and_recovery),
        cmocka_unit_test(rw_no_data),
        cmocka_unit_test(volatility_recovers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
