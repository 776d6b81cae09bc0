/* tests/test_fit.c: the model-fitting engine (analysis/fit.c) and its model
** table (analysis/fit_models.c): likelihoods computed by hand on tiny
** sequences, planted parameters recovered, the Reiter Subject08 optimum that
** the old 3 x 3 grid of analysis/rwfit.c missed (found now by both), bound
** flags, cross-validation and the comparison's bookkeeping; the network as a
** model (its likelihood of its own test episodes at temperature 1 and lapse 0
** is the product of the policy probabilities the runner recorded, to 1e-9),
** tiny RNNs on planted win-stay/lose-shift choosers (held-out NLL near the
** generating model's), the GRU cell's gradient against central finite
** differences (every parameter, relative error < 1e-6) and a GRU of 2 units
** on planted Rescorla-Wagner choosers, and the posterior predictive check's stay
** probabilities against the planted ones; recovery from a fitted population
** (the resampled vectors are the population's); the empirical-Bayes
** hierarchical fit on a planted group distribution (its mean within 4 SE,
** its per-subject errors below ML's at 50 trials). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <gsl/gsl_randist.h>

#include "analysis/fit.h"
#include "analysis/fit_gru.h"
#include "analysis/fit_hier.h"
#include "analysis/fit_net.h"
#include "analysis/fit_ppc.h"
#include "jobs/test.h"
#include "model/net_agent.h"
#include "model/runner.h"
#include "model/train_settings.h"
#include "tasks/task.h"
#include "analysis/import.h"
#include "analysis/rwfit.h"
#include "core/rng.h"

static double sg(double z) { return 1.0 / (1.0 + exp(-z)); }

/* rw on a, r = (1,1), (0,0), (1,0): by hand. */
static void rw_likelihood_by_hand(void **state)
{
    (void)state;
    const int a[] = { 1, 0, 1 };
    const double r[] = { 1, 0, 0 };
    FitSubject s = { 3, a, r, { 0.8, 0.2, NULL, NULL } };
    double x[] = { 0.5, 2.0 };
    /* t0: Q = (.5,.5) p1 = .5; Q1 = .75. t1: p0 = sg(2(.5-.75)); Q0 = .25. t2: p1 = sg(2(.75-.25)) */
    double want = -log(0.5) - log(sg(2.0 * (0.5 - 0.75))) - log(sg(2.0 * (0.75 - 0.25)));
    assert_true(fabs(fit_nll(fit_model_find("rw"), &s, x, NULL) - want) < 1e-12);
    /* rw2 with alpha+ = .5, alpha- = .1: t1's update of Q0 uses alpha- */
    double x2[] = { 0.5, 0.1, 2.0 };
    double want2 = -log(0.5) - log(sg(2.0 * (0.5 - 0.75))) - log(sg(2.0 * (0.75 - 0.45)));
    assert_true(fabs(fit_nll(fit_model_find("rw2"), &s, x2, NULL) - want2) < 1e-12);
    /* rwf with forget .5: after t0 Q0 -> .5 (already .5); after t1 Q1 = .75 + .5 (.5 - .75) = .625 */
    double xf[] = { 0.5, 2.0, 0.5 };
    double wantf = -log(0.5) - log(sg(2.0 * (0.5 - 0.75))) - log(sg(2.0 * (0.625 - 0.25)));
    assert_true(fabs(fit_nll(fit_model_find("rwf"), &s, xf, NULL) - wantf) < 1e-12);
    /* rwp: tau .5, phi 1: C after t0 = (0, .5); after t1 = (.5, .25) */
    double xp[] = { 0.5, 2.0, 0.5, 1.0 };
    double wantp = -log(0.5) - log(sg(2.0 * (0.5 - 0.75) + (0.0 - 0.5))) - log(sg(2.0 * 0.5 + (0.25 - 0.5)));
    assert_true(fabs(fit_nll(fit_model_find("rwp"), &s, xp, NULL) - wantp) < 1e-12);
    /* weights: only the last trial counts */
    const unsigned char w[] = { 0, 0, 1 };
    assert_true(fabs(fit_nll(fit_model_find("rw"), &s, x, w) + log(sg(1.0))) < 1e-12);
}

static void wsls_observer_bayes_by_hand(void **state)
{
    (void)state;
    const int a[] = { 1, 1, -1, 0 };
    const double r[] = { 1, 0, 0, 1 };
    FitSubject s = { 4, a, r, { 0.8, 0.2, NULL, NULL } };
    /* wsls lapse .2: t0 .5; t1 stay after win .9; t3 after a loss on 1 (the missed trial is skipped): shift .9 */
    double x[] = { 0.2 };
    assert_true(fabs(fit_nll(fit_model_find("wsls"), &s, x, NULL) - (-log(0.5) - 2.0 * log(0.9))) < 1e-12);
    double x2[] = { 0.7, 0.6 };
    assert_true(fabs(fit_nll(fit_model_find("wsls2"), &s, x2, NULL) - (-log(0.5) - log(0.7) - log(0.6))) < 1e-12);
    /* observer, hazard .1, beta 3, lapse .2 */
    double xo[] = { 0.1, 3.0, 0.2 }, b = 0.5, want = 0.0;
    for (int t = 0; t < 4; t++) {
        double p0 = 0.8 * sg(3.0 * (2.0 * b - 1.0) * 0.6) + 0.1;
        if (a[t] >= 0) want -= log(a[t] == 0 ? p0 : 1.0 - p0);
        if (a[t] >= 0) {
            int win = r[t] > 0.5;
            double l0 = a[t] == 0 ? (win ? 0.8 : 0.2) : (win ? 0.2 : 0.8), l1 = a[t] == 0 ? (win ? 0.2 : 0.8) : (win ? 0.8 : 0.2);
            b = b * l0 / (b * l0 + (1.0 - b) * l1);
        }
        b = 0.9 * b + 0.1 * (1.0 - b);
    }
    assert_true(fabs(fit_nll(fit_model_find("observer"), &s, xo, NULL) - want) < 1e-12);
    /* bayes beta 4 lapse .1: t0 .5; t1 means (1/2, 2/3); t3 means (1/2, 2/4) */
    double xb[] = { 4.0, 0.1 };
    double wb = -log(0.5) - log(0.9 * sg(4.0 * (2.0 / 3.0 - 0.5)) + 0.05) - log(0.9 * (1.0 - sg(0.0)) + 0.05);
    assert_true(fabs(fit_nll(fit_model_find("bayes"), &s, xb, NULL) - wb) < 1e-12);
}

static void unknown_and_names(void **state)
{
    (void)state;
    assert_null(fit_model_find("nope"));
    char buf[256];
    fit_model_names(buf, sizeof buf);
    assert_non_null(strstr(buf, "rw, rw2, rwf, rwp, wsls, wsls2, observer, bayes"));
    for (const FitModel *const *m = fit_models; *m; m++)
        for (int j = 0; j < (*m)->n_params; j++) {
            const FitParam *p = &(*m)->params[j];
            assert_true(p->lo < p->hi && p->start > p->lo && p->start < p->hi);
            assert_true(p->rec_lo >= p->lo && p->rec_hi <= p->hi && p->doc && p->doc[0]);
        }
}

/* Simulated data with planted parameters: a single long subject recovers them. */
static void planted_parameters_recovered(void **state)
{
    (void)state;
    const FitModel *m = fit_model_find("rw");
    FitEnv env = { 2000, 0.8, 0.2, 0.05 };
    int *a = malloc(2000 * sizeof *a);
    double *r = malloc(2000 * sizeof *r);
    gsl_rng *g = rng_alloc();
    gsl_rng_set(g, 7);
    double x[] = { 0.3, 5.0 };
    FitSubject s;
    fit_simulate(m, x, &env, g, a, r, &s);
    FitOptions o;
    fit_options_default(&o);
    FitResult res;
    assert_int_equal(fit_subject(m, &s, &o, 0, &res), FIT_OK);
    assert_true(fabs(res.x[0] - 0.3) < 0.08 && fabs(res.x[1] - 5.0) < 1.0);
    assert_int_equal(res.at_bound, 0);
    assert_true(res.converged);
    /* the fitted likelihood is at least that of the truth */
    assert_true(-res.loglik <= fit_nll(m, &s, x, NULL) + 1e-9);
    /* a deterministic win-stay/lose-shift player: lapse at the lower bound */
    const FitModel *w = fit_model_find("wsls");
    double xw[] = { 0.0 };
    fit_simulate(w, xw, &env, g, a, r, &s);
    assert_int_equal(fit_subject(w, &s, &o, 0, &res), FIT_OK);
    assert_int_equal(res.at_bound, 1);
    assert_true(res.bound_mask == 1u && res.x[0] < 1e-3);
    gsl_rng_free(g);
    free(a);
    free(r);
}

static EpisodeRecord **reiter(int *n)
{
    ImportSpec spec;
    import_spec_csv(&spec);
    spec.choice_col = "A";
    spec.reward_col = "R";
    spec.correct_col = "S";
    spec.reward_codes[1] = "-1";
    spec.p_high = 0.8;
    spec.p_low = 0.2;
    EpisodeRecord **eps;
    char err[512];
    if (import_read("data/human/prl_reiter2017_predchange.csv", &spec, &eps, n, err, sizeof err) != 0)
        fail_msg("%s", err);
    return eps;
}

/* Subject08: the old grid stopped at alpha .655, beta 1.93, -log L 92.65;
** the optimum is near alpha .011, beta 28.55, -log L 79.08 (issue 12). */
static void reiter_subject08(void **state)
{
    (void)state;
    int n;
    EpisodeRecord **eps = reiter(&n);
    int k = -1;
    for (int i = 0; i < n; i++)
        if (!strcmp(eps[i]->subject, "Subject08")) k = i;
    assert_true(k >= 0);
    int a[200];
    double r[200];
    FitSubject s;
    fit_subject_from_episode(eps[k], a, r, &s);
    FitOptions o;
    fit_options_default(&o);
    FitResult res;
    assert_int_equal(fit_subject(fit_model_find("rw"), &s, &o, k, &res), FIT_OK);
    assert_true(-res.loglik <= 79.1);
    assert_true(res.x[0] < 0.05 && res.x[1] > 20.0);
    RwFit *per = calloc((size_t)n, sizeof *per);
    assert_int_equal(rw_fit_episodes(eps, n, per, NULL), ANALYSIS_OK);
    assert_true(per[k].nll <= 79.1);
    assert_true(fabs(per[k].nll + res.loglik) < 1e-3);
    /* every subject: the new engine is never worse than rwfit */
    for (int i = 0; i < n; i++) {
        fit_subject_from_episode(eps[i], a, r, &s);
        assert_int_equal(fit_subject(fit_model_find("rw"), &s, &o, i, &res), FIT_OK);
        assert_true(-res.loglik <= per[i].nll + 1e-4);
    }
    free(per);
    import_free(eps, n);
}

/* Cross-validation: held-out NLL is worse than in-sample, and the comparison's sums add up. */
static void cv_and_compare(void **state)
{
    (void)state;
    const FitModel *models[] = { fit_model_find("rw"), fit_model_find("wsls") };
    FitEnv env = { 200, 0.8, 0.2, 0.05 };
    enum { NS = 6 };
    FitResult res[2 * NS];
    int a[200];
    double r[200];
    gsl_rng *g = rng_alloc();
    gsl_rng_set(g, 3);
    FitOptions o;
    fit_options_default(&o);
    o.cv = 5;
    for (int i = 0; i < NS; i++) {
        double x[] = { 0.3, 6.0 };
        FitSubject s;
        fit_simulate(models[0], x, &env, g, a, r, &s);
        for (int m = 0; m < 2; m++) {
            assert_int_equal(fit_subject(models[m], &s, &o, i, &res[m * NS + i]), FIT_OK);
            assert_true(res[m * NS + i].heldout_loglik <= res[m * NS + i].loglik + 1e-9);
        }
    }
    FitCompareRow rows[2];
    int best;
    fit_compare(models, 2, res, NS, rows, &best);
    assert_int_equal(best, 0);
    assert_int_equal(rows[0].wins + rows[1].wins, NS);
    assert_true(rows[0].wins >= 5);
    assert_true(rows[0].diff_mean == 0.0 && rows[1].diff_mean > 0.0);
    double nll = 0.0;
    for (int i = 0; i < NS; i++) nll -= res[i].loglik;
    assert_true(fabs(rows[0].nll - nll) < 1e-9);
    assert_true(fabs(rows[0].aic - (2.0 * nll + 2.0 * 2 * NS)) < 1e-9);
    assert_true(fabs(rows[0].heldout_norm_lik - exp(-rows[0].heldout_per_trial)) < 1e-12);
    /* MAP: the prior pulls the lapse off its bound; its likelihood is at most ML's */
    o.cv = 0;
    FitSubject s;
    double xw[] = { 0.0 };
    fit_simulate(fit_model_find("wsls"), xw, &env, g, a, r, &s);
    FitResult ml, map;
    assert_int_equal(fit_subject(fit_model_find("wsls"), &s, &o, 0, &ml), FIT_OK);
    o.map = 1;
    assert_int_equal(fit_subject(fit_model_find("wsls"), &s, &o, 0, &map), FIT_OK);
    assert_true(map.loglik <= ml.loglik + 1e-9 && map.x[0] > ml.x[0]);
    gsl_rng_free(g);
}

/* Parameter recovery at 200 trials per subject (issue 12's target: r >= 0.8
** for learning rates and inverse temperatures). */
static void parameter_recovery(void **state)
{
    (void)state;
    FitEnv env = { 200, 0.8, 0.2, 0.05 };
    FitRecoveryParam p[FIT_MAX_PARAMS];
    FitOptions o;
    fit_options_default(&o);
    o.seed = 11;
    assert_int_equal(fit_recover(fit_model_find("rw"), &env, NULL, 40, &o, p), FIT_OK);
    print_message("# rw recovery: alpha r %.3f bias %.3f, beta r %.3f bias %.3f\n", p[0].r, p[0].bias, p[1].r, p[1].bias);
    assert_true(p[0].r >= 0.8);
    assert_true(p[1].r >= 0.8);
}

/* Recovery from a population: with one fitted vector every simulated subject
** has exactly it (true_mean), and the refits scatter around it. */
static void recovery_from_population(void **state)
{
    (void)state;
    FitEnv env = { 200, 0.8, 0.2, 0.05 };
    double x[FIT_MAX_PARAMS] = { 0.35, 6.0 };
    FitPopulation pop = { 1, x };
    FitRecoveryParam p[FIT_MAX_PARAMS];
    FitOptions o;
    fit_options_default(&o);
    o.seed = 3;
    assert_int_equal(fit_recover(fit_model_find("rw"), &env, &pop, 12, &o, p), FIT_OK);
    assert_true(fabs(p[0].true_mean - 0.35) < 1e-12 && fabs(p[1].true_mean - 6.0) < 1e-12);
    assert_true(fabs(p[0].bias) < 0.15 && fabs(p[1].bias) < 3.0);
    /* two vectors: the true mean is a mixture of them */
    double x2[2 * FIT_MAX_PARAMS] = { 0.2, 4.0, 0, 0, 0, 0, 0.6, 12.0 };
    FitPopulation pop2 = { 2, x2 };
    assert_int_equal(fit_recover(fit_model_find("rw"), &env, &pop2, 10, &o, p), FIT_OK);
    double k = (p[0].true_mean - 0.2) / 0.4 * 10.0;   /* subjects drawn from the second vector */
    assert_true(fabs(k - round(k)) < 1e-9 && fabs(p[1].true_mean - (4.0 + 8.0 * round(k) / 10.0)) < 1e-9);
    int conf[4];
    const FitModel *ms[2] = { fit_model_find("rw"), fit_model_find("wsls") };
    FitPopulation pops[2] = { pop, { 0, NULL } };
    assert_int_equal(fit_confusion(ms, 2, &env, pops, 8, &o, FIT_WIN_BIC, conf, NULL), FIT_OK);
    assert_int_equal(conf[0] + conf[1], 8);
    assert_int_equal(conf[2] + conf[3], 8);
    o.cv = 3;   /* winner held out */
    assert_int_equal(fit_confusion(ms, 2, &env, pops, 4, &o, FIT_WIN_HELDOUT, conf, NULL), FIT_OK);
    assert_int_equal(conf[0] + conf[1] + conf[2] + conf[3], 8);
}

/* Recovery with --map: at 40 trials a subject's ML beta often runs to its
** bound (a few lucky choices separate the data), which the weak prior
** reins in; the model recovery's own-fit check then compares log
** posteriors, and no fit ends below its truth's. */
static void recovery_map(void **state)
{
    (void)state;
    FitEnv env = { 40, 0.8, 0.2, 0.05 };
    FitRecoveryParam ml[FIT_MAX_PARAMS], map[FIT_MAX_PARAMS];
    FitOptions o;
    fit_options_default(&o);
    o.seed = 4;
    assert_int_equal(fit_recover(fit_model_find("rw"), &env, NULL, 20, &o, ml), FIT_OK);
    o.map = 1;
    assert_int_equal(fit_recover(fit_model_find("rw"), &env, NULL, 20, &o, map), FIT_OK);
    print_message("# rw at 40 trials: beta bias ML %+.2f (r %.3f), MAP %+.2f (r %.3f)\n", ml[1].bias, ml[1].r,
                  map[1].bias, map[1].r);
    assert_true(ml[1].bias > 20.0);
    assert_true(fabs(map[1].bias) < 2.0 && map[1].r > ml[1].r);
    const FitModel *ms[2] = { fit_model_find("rw"), fit_model_find("bayes") };
    enum { NC = 6 };
    int conf[4], win[2 * NC];
    double gain[2 * NC];
    FitConfusionTrace tr = { win, NULL, gain };
    assert_int_equal(fit_confusion(ms, 2, &env, NULL, NC, &o, FIT_WIN_BIC, conf, &tr), FIT_OK);
    for (int i = 0; i < 2 * NC; i++) assert_true(gain[i] >= -1e-6);
    assert_int_equal(conf[0] + conf[1] + conf[2] + conf[3], 2 * NC);
}

/* The winner by AIC against BIC on the very same simulated subjects and fits
** (same seed): AIC's smaller penalty for rw2's extra parameter (2 against
** log 200 = 5.3) can only move subjects from rw to rw2, in both rows. */
static void recovery_by_aic(void **state)
{
    (void)state;
    FitEnv env = { 200, 0.8, 0.2, 0.05 };
    const FitModel *ms[2] = { fit_model_find("rw"), fit_model_find("rw2") };
    FitOptions o;
    fit_options_default(&o);
    o.seed = 2;
    enum { NC = 12 };
    int bic[4], aic[4];
    assert_int_equal(fit_confusion(ms, 2, &env, NULL, NC, &o, FIT_WIN_BIC, bic, NULL), FIT_OK);
    assert_int_equal(fit_confusion(ms, 2, &env, NULL, NC, &o, FIT_WIN_AIC, aic, NULL), FIT_OK);
    print_message("# rw, rw2 by BIC: %d %d / %d %d; by AIC: %d %d / %d %d\n", bic[0], bic[1], bic[2], bic[3], aic[0],
                  aic[1], aic[2], aic[3]);
    assert_true(aic[1] >= bic[1] && aic[3] >= bic[3]);             /* rw2's column only grows */
    assert_true(aic[1] + aic[3] > bic[1] + bic[3]);                /* and does, for some subject */
    assert_int_equal(aic[0] + aic[1], NC);
    assert_int_equal(aic[2] + aic[3], NC);
}

/* Empirical Bayes (Huys et al. 2011) on rw subjects whose unbounded
** coordinates are drawn from a planted Gaussian: the estimated group mean
** within 4 SE (sqrt(var / n)) of the planted, and the hierarchical fits'
** mean squared error in u below ML's at 50 trials per subject. */
static void hier_planted(void **state)
{
    (void)state;
    enum { N = 40, T = 50 };
    const FitModel *m = fit_model_find("rw");
    const double mu[2] = { -1.0, 0.8 }, sd[2] = { 0.5, 0.3 };
    FitEnv env = { T, 0.8, 0.2, 0.05 };
    static int a[N][T];
    static double r[N][T];
    FitSubject s[N];
    double tu[N][2];
    FitResult hr[N], ml;
    gsl_rng *g = rng_alloc();
    gsl_rng_set(g, 17);
    for (int i = 0; i < N; i++) {
        double x[FIT_MAX_PARAMS];
        for (int j = 0; j < 2; j++) {
            tu[i][j] = mu[j] + sd[j] * gsl_ran_gaussian(g, 1.0);
            x[j] = fit_natural(&m->params[j], tu[i][j]);
        }
        fit_simulate(m, x, &env, g, a[i], r[i], &s[i]);
    }
    FitOptions o;
    fit_options_default(&o);
    FitHier h;
    assert_int_equal(fit_hier(m, s, N, &o, NULL, &h, hr), FIT_OK);
    double e_ml[2] = { 0 }, e_h[2] = { 0 };
    for (int i = 0; i < N; i++) {
        assert_int_equal(fit_subject(m, &s[i], &o, i, &ml), FIT_OK);
        for (int j = 0; j < 2; j++) {
            e_ml[j] += (ml.u[j] - tu[i][j]) * (ml.u[j] - tu[i][j]) / N;
            e_h[j] += (hr[i].u[j] - tu[i][j]) * (hr[i].u[j] - tu[i][j]) / N;
        }
    }
    for (int j = 0; j < 2; j++) {
        double se = sqrt(h.var[j] / N);
        print_message("# hier %s: mu %.3f (planted %.3f, SE %.3f), sd %.3f (planted %.3f); MSE in u: ML %.3f, hier %.3f"
                      " (%d iterations%s)\n", m->params[j].name, h.mu[j], mu[j], se, sqrt(h.var[j]), sd[j], e_ml[j],
                      e_h[j], h.iterations, h.converged ? "" : ", not converged");
        assert_true(fabs(h.mu[j] - mu[j]) < 4.0 * se);
        assert_true(e_h[j] < e_ml[j]);
    }
    assert_true(h.converged);
    gsl_rng_free(g);
}

/* A planted group of wsls2 subjects who all stay after every win
** (p_stay_win 1): that coordinate's likelihood is flat as u -> +inf, so the
** group optimum is at the bound and EM drifts there ever more slowly (before
** the evidence criterion: not converged after FIT_HIER_MAX_ITER = 60
** iterations). EM must stop by the evidence, flag p_stay_win as drifting to
** its bound, and recover p_shift_loss's group mean. */
static void hier_flat_planted(void **state)
{
    (void)state;
    enum { N = 20, T = 100 };
    const FitModel *m = fit_model_find("wsls2");
    const double mu = 0.3, sd = 0.5;
    FitEnv env = { T, 0.7, 0.3, 0.0 };
    static int a[N][T];
    static double r[N][T];
    FitSubject s[N];
    FitResult hr[N];
    gsl_rng *g = rng_alloc();
    gsl_rng_set(g, 23);
    for (int i = 0; i < N; i++) {
        double x[FIT_MAX_PARAMS] = { 1.0, fit_natural(&m->params[1], mu + sd * gsl_ran_gaussian(g, 1.0)) };
        fit_simulate(m, x, &env, g, a[i], r[i], &s[i]);
    }
    FitOptions o;
    fit_options_default(&o);
    FitHier h;
    assert_int_equal(fit_hier(m, s, N, &o, NULL, &h, hr), FIT_OK);
    double se = sqrt(h.var[1] / N);
    print_message("# hier wsls2, p_stay_win 1: p_shift_loss mu %.3f (planted %.3f, SE %.3f), p_stay_win mu %.2f sd %.2f,"
                  " %d iterations, converged %d, flat mask %u, log evidence %.2f\n", h.mu[1], mu, se, h.mu[0],
                  sqrt(h.var[0]), h.iterations, h.converged, h.flat_mask, h.log_evidence);
    assert_true(h.converged);
    assert_true(h.iterations < FIT_HIER_MAX_ITER);
    assert_true(h.flat_mask & 1u);
    assert_false(h.flat_mask & 2u);
    assert_true(fabs(h.mu[1] - mu) < 4.0 * se);
    assert_true(h.median[0] > 0.99);
    gsl_rng_free(g);
}

/* rwf on the Reiter subjects: one subject's posterior has two modes; without
** the warm start each E step searched afresh, found the worse one every
** other time and EM cycled (period 6) to 60 iterations. Every E step must
** end no worse than the previous fit, and EM must converge. */
static void hier_reiter_rwf_converges(void **state)
{
    (void)state;
    int n;
    EpisodeRecord **eps = reiter(&n);
    FitSubject *s = calloc((size_t)n, sizeof *s);
    int *a = calloc((size_t)n * 200, sizeof *a);
    double *r = calloc((size_t)n * 200, sizeof *r);
    FitResult *res = calloc((size_t)n, sizeof *res);
    assert_non_null(s);
    assert_non_null(a);
    assert_non_null(r);
    assert_non_null(res);
    for (int i = 0; i < n; i++) fit_subject_from_episode(eps[i], a + 200 * i, r + 200 * i, &s[i]);
    FitOptions o;
    fit_options_default(&o);
    o.cv = 0;
    FitHier h;
    assert_int_equal(fit_hier(fit_model_find("rwf"), s, n, &o, NULL, &h, res), FIT_OK);
    print_message("# hier rwf on Reiter: %d iterations, converged %d, log evidence %.2f\n", h.iterations, h.converged,
                  h.log_evidence);
    assert_true(h.converged);
    assert_true(h.iterations < 30);
    free(s);
    free(a);
    free(r);
    free(res);
    import_free(eps, n);
}

/* Every classic model's ML fit of a subject it simulated reaches at least the
** likelihood of the generating parameters (a point the search could have
** found: ending below it is an optimiser failure), at 200 and 1000 trials;
** and fit_confusion's trace reports the same for a pair of models, whose
** diagonal (rw against wsls, clearly separable) is >= 80% per model. */
static void fit_never_below_truth(void **state)
{
    (void)state;
    enum { NS = 6, TMAX = 1000 };
    static int a[TMAX];
    static double r[TMAX];
    gsl_rng *g = rng_alloc();
    gsl_rng_set(g, 31);
    int checked = 0;
    for (const FitModel *const *mp = fit_models; *mp; mp++) {
        const FitModel *m = *mp;
        if (m->kind != FIT_KIND_CLASSIC) continue;
        for (int i = 0; i < NS; i++) {
            FitEnv env = { i % 2 ? TMAX : 200, 0.8, 0.2, 0.05 };
            double x[FIT_MAX_PARAMS];
            for (int j = 0; j < m->n_params; j++) {
                const FitParam *p = &m->params[j];
                double u = gsl_rng_uniform(g);
                x[j] = p->transform == FIT_LOG ? p->rec_lo * pow(p->rec_hi / p->rec_lo, u)
                                               : p->rec_lo + u * (p->rec_hi - p->rec_lo);
            }
            FitSubject s;
            fit_simulate(m, x, &env, g, a, r, &s);
            FitOptions o;
            fit_options_default(&o);
            FitResult res;
            assert_int_equal(fit_subject(m, &s, &o, i, &res), FIT_OK);
            double lt = -fit_nll(m, &s, x, NULL);
            if (res.loglik < lt - 1e-6)
                fail_msg("%s subject %d (%d trials): fit log L %.6f below the truth's %.6f", m->name, i, env.n_trials,
                         res.loglik, lt);
            checked++;
        }
    }
    assert_int_equal(checked, 8 * NS);
    const FitModel *ms[2] = { fit_model_find("rw"), fit_model_find("wsls") };
    FitEnv env = { 200, 0.8, 0.2, 0.05 };
    enum { NC = 15 };
    int conf[4], win[2 * NC];
    double gain[2 * NC];
    FitConfusionTrace tr = { win, NULL, gain };
    FitOptions o;
    fit_options_default(&o);
    o.seed = 5;
    assert_int_equal(fit_confusion(ms, 2, &env, NULL, NC, &o, FIT_WIN_BIC, conf, &tr), FIT_OK);
    for (int i = 0; i < 2 * NC; i++) assert_true(gain[i] >= -1e-6);
    for (int k = 0; k < 2; k++) {
        int c = 0;
        for (int i = 0; i < NC; i++) c += win[k * NC + i] == k;
        assert_int_equal(c, conf[k * 2 + k]);
        assert_true(conf[k * 2 + k] >= (8 * NC + 9) / 10);
    }
    gsl_rng_free(g);
}

/* A random network of 8 relu units plays reversal episodes through the test's
** agent and runner; the network model's likelihood of them at (1, 0) is the
** product of the recorded policy probabilities. */
static void network_self_consistency(void **state)
{
    (void)state;
    char err[512];
    Config *c = config_alloc();
    assert_non_null(c);
    assert_int_equal(test_declare_all(c), 0);
    const char *kv[][3] = { { "task", "name", "reversal" }, { "task", "trials", "120" }, { "model", "hidden", "8" },
                            { "model", "activation", "relu" } };
    for (int i = 0; i < 4; i++) assert_int_equal(config_set(c, kv[i][0], kv[i][1], kv[i][2], "test", err, sizeof err), 0);
    assert_int_equal(config_finalize(c, err, sizeof err), 0);
    TrainConfig tc;
    assert_int_equal(train_config_from(c, &tc, err, sizeof err), 0);
    Task *task = task_alloc(c, err, sizeof err);
    assert_non_null(task);
    NetConfig nc;
    train_net_config(&tc, task->info.n_actions, task->info.obs_dim, task_max_steps(&task->info), &nc);
    Net *net = net_alloc(&nc, err, sizeof err);
    gsl_rng *g = rng_alloc(), *rt = rng_alloc(), *rp = rng_alloc();
    gsl_rng_set(g, 5);
    assert_int_equal(net_init(net, g), 0);
    for (size_t i = 0; i < net->d.n_params; i++) net->params[i] *= 3.0;   /* a sharper policy than the init's */
    net_refresh(net);
    Agent *agent = agent_wrap(agent_type_network, net_agent_alloc(&tc, &task->info, net->params, err, sizeof err));
    FitNet *f = fit_net_alloc(&nc, net->params, err, sizeof err);
    assert_non_null(agent);
    assert_non_null(f);
    EpisodeRecord *rec = episode_alloc(task->info.max_trials, 0);
    int a[200];
    double r[200], cue[200], worst = 0.0;
    for (int ep = 0; ep < 5; ep++) {
        gsl_rng_set(rt, 100 + (unsigned long)ep);
        gsl_rng_set(rp, 200 + (unsigned long)ep);
        runner_episode(task, agent, rt, rp, 0.9, rec);
        double ll = 0.0;
        for (int t = 0; t < rec->n_trials; t++) ll += log(rec->trials[t].probs[rec->trials[t].action]);
        FitSubject s;
        fit_subject_from_episode(rec, a, r, &s);
        assert_int_equal(fit_net_cues(f, &s, cue), FIT_OK);
        s.task.cue = cue;
        const FitModel *m = fit_model_find("network");
        double nll = fit_nll(m, &s, m->ref, NULL);
        worst = fmax(worst, fabs(nll + ll));
        assert_true(ll < -1.0);
    }
    print_message("# network self-consistency: max |log L - sum log pi| = %.3g\n", worst);
    assert_true(worst < 1e-9);
    episode_free(rec);
    fit_net_free(f);
    agent_free(agent);
    net_free(net);
    task_free(task);
    config_free(c);
    gsl_rng_free(g);
    gsl_rng_free(rt);
    gsl_rng_free(rp);
}

/* Planted subjects for the tiny networks: PL_NS subjects of model gen at x,
** PL_NT trials each on a reversal schedule (seed); the tiny network rnn,
** cross-validated over them (5 folds), into *held and the generating model
** at x into *truth, both per trial. */
enum { PL_NS = 20, PL_NT = 200 };
static void planted_rnn(const char *gen, const double *x, unsigned long seed, const char *rnn, double *held,
                        double *truth)
{
    static int a[PL_NS][PL_NT];
    static double r[PL_NS][PL_NT];
    FitSubject s[PL_NS];
    FitResult res[PL_NS];
    const FitModel *m = fit_model_find(gen), *net = fit_model_find(rnn);
    assert_non_null(m);
    assert_non_null(net);
    FitEnv env = { PL_NT, 0.8, 0.2, 0.05 };
    gsl_rng *g = rng_alloc();
    gsl_rng_set(g, seed);
    double t = 0.0, h = 0.0;
    for (int i = 0; i < PL_NS; i++) {
        fit_simulate(m, x, &env, g, a[i], r[i], &s[i]);
        t += fit_nll(m, &s[i], x, NULL);
    }
    assert_int_equal(fit_rnn_cv(net, s, PL_NS, 5, 1, res, NULL), FIT_OK);
    assert_int_equal(res[0].n_params, fit_rnn_n_weights(net));
    for (int i = 0; i < PL_NS; i++) h -= res[i].heldout_loglik;
    *held = h / (PL_NS * PL_NT);
    *truth = t / (PL_NS * PL_NT);
    print_message("# %s on %s choosers: held-out NLL/trial %.4f, generating model %.4f\n", rnn, gen, *held, *truth);
    gsl_rng_free(g);
}

/* Planted: wsls2 (stay after a win 0.95, shift after a loss 0.8). A 2-unit
** RNN, trained on the others, predicts the held-out subjects nearly as well
** as the generating model does. */
static void tinyrnn_planted(void **state)
{
    (void)state;
    double x[] = { 0.95, 0.8 }, held, truth;
    planted_rnn("wsls2", x, 3, "tinyrnn2", &held, &truth);
    assert_true(held < truth + 0.03);
    assert_true(held < log(2.0) - 0.2);
}

/* The GRU's backward pass: every parameter of a 2-unit GRU at random weights
** on a random 12-trial sequence (one missed trial) against central finite
** differences (step 1e-5): relative error < 1e-6 (denominator at least 1e-3;
** the gradients here are 1e-3 to 1). Live stepping gives the same NLL. */
static void gru_gradient_check(void **state)
{
    (void)state;
    enum { NT = 12 };
    int a[NT];
    double r[NT];
    gsl_rng *g = rng_alloc();
    gsl_rng_set(g, 11);
    for (int t = 0; t < NT; t++) {
        a[t] = gsl_rng_uniform(g) < 0.5;
        r[t] = gsl_rng_uniform(g) < 0.6;
    }
    a[5] = -1;
    FitSubject s = { NT, a, r, { 0.8, 0.2, NULL, NULL } };
    FitGru *q = fit_gru_alloc(2, NT);
    assert_non_null(q);
    assert_int_equal((int)q->n_params, fit_gru_n_params(2));
    assert_int_equal(fit_gru_n_params(2), 3 * 2 * (3 + 2 + 1) + 2 * 2 + 2);
    for (size_t i = 0; i < q->n_params; i++) q->params[i] = gsl_ran_gaussian(g, 0.8);
    double *grad = calloc(q->n_params, sizeof(double));
    assert_non_null(grad);
    double nll = fit_gru_nll(q, &s, 1.0, grad), worst = 0.0, h = 1e-5;
    for (size_t i = 0; i < q->n_params; i++) {
        double p = q->params[i];
        q->params[i] = p + h;
        double up = fit_gru_nll(q, &s, 0.0, NULL);
        q->params[i] = p - h;
        double dn = fit_gru_nll(q, &s, 0.0, NULL);
        q->params[i] = p;
        double num = (up - dn) / (2.0 * h), den = fmax(fmax(fabs(num), fabs(grad[i])), 1e-3);
        double rel = fabs(num - grad[i]) / den;
        if (rel > worst) worst = rel;
        if (rel >= 1e-6) print_message("# parameter %zu: analytic %.10g, numeric %.10g\n", i, grad[i], num);
        assert_true(rel < 1e-6);
    }
    print_message("# gru2 gradient check: %zu parameters, worst relative error %.2e\n", q->n_params, worst);
    double live = 0.0;
    fit_gru_reset(q);
    for (int t = 0; t < NT; t++) {
        if (a[t] < 0) continue;
        double p1 = sg(fit_gru_dlogit(q));
        live -= log(a[t] ? p1 : 1.0 - p1);
        fit_gru_record(q, a[t], r[t]);
    }
    assert_true(fabs(live - nll) < 1e-12);
    free(grad);
    fit_gru_free(q);
    gsl_rng_free(g);
}

/* Planted: rw (alpha 0.3, beta 5). A 2-unit GRU, trained on the others,
** predicts the held-out subjects within 0.03 nats per trial of the
** generating model at its true parameters, and far better than chance. */
static void gru_planted(void **state)
{
    (void)state;
    assert_int_equal(fit_model_find("gru2")->cell, FIT_CELL_GRU);
    assert_int_equal(fit_rnn_n_weights(fit_model_find("gru2")), fit_gru_n_params(2));
    double x[] = { 0.3, 5.0 }, held, truth;
    planted_rnn("rw", x, 5, "gru2", &held, &truth);
    assert_true(held < truth + 0.03);
    assert_true(held < log(2.0) - 0.1);
}

/* The posterior predictive check of wsls2 at its generating parameters
** returns its stay probabilities (within 5 SE), and the people's row is the
** subjects' own. */
static void ppc_planted(void **state)
{
    (void)state;
    enum { NS = 10, NT = 300 };
    static int a[NS][NT];
    static double r[NS][NT], p0[NT], p1[NT];
    FitSubject s[NS];
    FitSchedule sc[NS];
    FitResult res[NS];
    const FitModel *m = fit_model_find("wsls2");
    const FitModel *models[] = { m };
    for (int t = 0; t < NT; t++) p0[t] = (t / 30) % 2 ? 0.2 : 0.8, p1[t] = 1.0 - p0[t];
    FitEnv env = { NT, 0.8, 0.2, 0.05 };
    gsl_rng *g = rng_alloc();
    gsl_rng_set(g, 4);
    for (int i = 0; i < NS; i++) {
        fit_simulate(m, (double[]){ 0.9, 0.7 }, &env, g, a[i], r[i], &s[i]);
        sc[i] = (FitSchedule){ p0, p1 };
        memset(&res[i], 0, sizeof res[i]);
        res[i].x[0] = 0.9;
        res[i].x[1] = 0.7;
        res[i].n_trials = NT;
    }
    FitPpc p;
    assert_int_equal(fit_ppc(models, 1, res, NULL, s, sc, NS, 20, 1, &p), FIT_OK);
    assert_int_equal(p.n_rows, 2);
    const FitPpcRow *w = &p.rows[1];
    print_message("# ppc wsls2: p(stay|win) %.4f +- %.4f, p(stay|loss) %.4f +- %.4f\n", w->stay_win, w->stay_win_se,
                  w->stay_loss, w->stay_loss_se);
    assert_true(fabs(w->stay_win - 0.9) < 5.0 * w->stay_win_se + 1e-3);
    assert_true(fabs(w->stay_loss - 0.3) < 5.0 * w->stay_loss_se + 1e-3);
    assert_true(fabs(p.rows[0].stay_win - 0.9) < 0.05);
    assert_true(w->rev[-FIT_PPC_LAG_MIN + FIT_PPC_LAG_MAX] > w->rev[0]);   /* learns the new best arm */
    fit_ppc_free(&p);
    gsl_rng_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rw_likelihood_by_hand),
        cmocka_unit_test(wsls_observer_bayes_by_hand),
        cmocka_unit_test(unknown_and_names),
        cmocka_unit_test(planted_parameters_recovered),
        cmocka_unit_test(reiter_subject08),
        cmocka_unit_test(cv_and_compare),
        cmocka_unit_test(parameter_recovery),
        cmocka_unit_test(recovery_from_population),
        cmocka_unit_test(recovery_map),
        cmocka_unit_test(recovery_by_aic),
        cmocka_unit_test(hier_planted),
        cmocka_unit_test(hier_flat_planted),
        cmocka_unit_test(hier_reiter_rwf_converges),
        cmocka_unit_test(fit_never_below_truth),
        cmocka_unit_test(network_self_consistency),
        cmocka_unit_test(tinyrnn_planted),
        cmocka_unit_test(gru_gradient_check),
        cmocka_unit_test(gru_planted),
        cmocka_unit_test(ppc_planted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
