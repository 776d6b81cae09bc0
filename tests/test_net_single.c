/* tests/test_net_single.c: the single-precision network (model.precision =
** single, model/net_kernels_f.c) against the double reference.
**
** On random networks (sizes that exercise every vector panel width and the
** scalar tails, with and without a striatal layer, critic inputs, noise and
** epochs), a double and a single network with the same parameter block play
** the same episodes (the same observations and actions, the same noise
** draws) in lockstep lanes: rates, policies and values agree within float
** rounding, and so do the gradients of net_backward_lanes (relative error of
** the whole gradient). Single precision is deterministic: the same run twice
** gives the same bits, and so do the AVX2+FMA and the portable fmaf paths;
** its lockstep form equals its one-lane form bit for bit; the conversion
** kernels give each element's scalar conversion. (The finite-
** difference gradient checks stay in double: tests/test_net.c.)
*/
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
#include <gsl/gsl_rng.h>

#include "core/rng.h"
#include "model/net.h"
#include "model/net_kernels.h"

enum { NL = 4, TM = 12 };

typedef struct {
    Net *net;
    NetLane *lane[NL];
    double *grad;
} Run;

typedef struct {
    int N, S, epochs, critic_input;
    NetActivation f;
    double noise;
} Case;

static NetConfig case_config(const Case *k, int single)
{
    return (NetConfig){ .n_hidden = k->N, .n_striatum = k->S, .n_actions = 3, .obs_dim = 2,
                        .max_trials = TM, .critic_input = k->critic_input, .value_trains_pfc = 1,
                        .time_input = 1, .activation = k->f, .alpha = k->epochs ? 0.5 : 1.0,
                        .noise_sd = k->noise, .init = NET_INIT_GAUSSIAN, .gain = 1.0,
                        .ep_fix = k->epochs ? 1 : 0, .ep_choice = k->epochs ? 1 : 0,
                        .ep_outcome = k->epochs ? 1 : 0, .ep_iti = k->epochs ? 1 : 0,
                        .single = single };
}

/* One batch of NL episodes of lengths TM - j with the case's fixed inputs:
** parameters from seed 5 (net_init), observations, actions, rewards and the
** loss gradients dlogits, dV from seed 6, noise from the policy streams. */
static void run_case(const Case *k, int single, Run *out)
{
    char err[256];
    NetConfig nc = case_config(k, single);
    out->net = net_alloc(&nc, err, sizeof err);
    assert_non_null(out->net);
    Net *net = out->net;
    gsl_rng *r = rng_alloc();
    rng_seed_episode(r, 5, RNG_STREAM_INIT, 0);
    assert_int_equal(net_init(net, r), 0);
    /* nonzero biases, so that relu units are neither all on nor all off */
    for (int i = 0; i < k->N; i++) net->p.b[i] = gsl_ran_gaussian(r, 0.3);
    net_refresh(net);
    rng_seed_episode(r, 6, RNG_STREAM_INIT, 0);
    gsl_rng *noise[NL];
    static double obs[NL][TM][2], dl[NL][TM * 3], dv[NL][TM];
    for (int j = 0; j < NL; j++) {
        out->lane[j] = net_lane_alloc(net);
        assert_non_null(out->lane[j]);
        noise[j] = rng_alloc();
        rng_seed_episode(noise[j], 5, RNG_STREAM_POLICY, (uint64_t)j);
        for (int t = 0; t < TM; t++) {
            obs[j][t][0] = gsl_ran_gaussian(r, 1.0);
            obs[j][t][1] = t % 3 == 0 ? 0.0 : gsl_ran_gaussian(r, 1.0);
            dv[j][t] = gsl_ran_gaussian(r, 0.5);
            for (int a = 0; a < 3; a++) dl[j][t * 3 + a] = gsl_ran_gaussian(r, 0.5);
        }
    }
    for (int t = 0; t < TM; t++) {
        NetLane *act[NL];
        const double *ob[NL];
        gsl_rng *rg[NL];
        int m = 0;
        for (int j = 0; j < NL; j++)
            if (t < TM - j) {
                act[m] = out->lane[j];
                ob[m] = obs[j][t];
                rg[m++] = noise[j];
            }
        net_forward_lanes(net, act, m, ob, rg);
        for (int j = 0; j < NL; j++)
            if (t < TM - j) net_lane_record(out->lane[j], (t * 7 + j) % 3, (double)((t + j) % 2));
    }
    out->grad = calloc(net->d.n_params, sizeof(double));
    assert_non_null(out->grad);
    const double *dlp[NL], *dvp[NL];
    for (int j = 0; j < NL; j++) {
        dlp[j] = dl[j];
        dvp[j] = dv[j];
    }
    net_backward_lanes(net, out->lane, NL, dlp, dvp, out->grad);
    for (int j = 0; j < NL; j++) gsl_rng_free(noise[j]);
    gsl_rng_free(r);
}

static void run_free(Run *x)
{
    for (int j = 0; j < NL; j++) net_lane_free(x->lane[j]);
    free(x->grad);
    net_free(x->net);
}

/* max |a - b| / (1 + max |b|) over n values */
static double rel_err(const double *a, const double *b, size_t n)
{
    double e = 0.0, m = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (fabs(a[i] - b[i]) > e) e = fabs(a[i] - b[i]);
        if (fabs(b[i]) > m) m = fabs(b[i]);
    }
    return e / (1.0 + m);
}

static const Case cases[] = {
    { 7, 0, 0, 0, NET_RELU, 0.0 },       /* scalar tails only */
    { 48, 0, 0, 0, NET_RELU, 0.0 },      /* the bandit's size: 32 + 16 */
    { 37, 3, 0, 1, NET_TANH, 0.2 },      /* 32 + 4 + 1, striatum, critic inputs, noise */
    { 101, 5, 1, 1, NET_SOFTPLUS, 0.1 }, /* 96 + 4 + 1, epochs */
    { 256, 0, 0, 0, NET_RELU, 0.0 },     /* 96 + 96 + 64 */
    { 200, 9, 0, 0, NET_TANH, 0.0 },     /* 96 + 96 + 8 */
};
#define N_CASES ((int)(sizeof cases / sizeof cases[0]))

static void test_single_matches_double(void **state)
{
    (void)state;
    for (int c = 0; c < N_CASES; c++) {
        Run d, s;
        run_case(&cases[c], 0, &d);
        run_case(&cases[c], 1, &s);
        const NetDims *dm = &d.net->d;
        double e_r = 0.0, e_p = 0.0, e_v = 0.0;
        for (int j = 0; j < NL; j++) {
            const NetLane *a = s.lane[j], *b = d.lane[j];
            assert_int_equal(a->ns, b->ns);
            double e;
            if ((e = rel_err(a->r, b->r, (size_t)a->ns * (size_t)dm->N)) > e_r) e_r = e;
            if ((e = rel_err(a->probs, b->probs, (size_t)a->t * (size_t)dm->A)) > e_p) e_p = e;
            if ((e = rel_err(a->V, b->V, (size_t)a->t)) > e_v) e_v = e;
        }
        /* the critic input's float copy, which the weight gradients read:
        ** (float) z row for row, and r_f itself where z_t = r_t */
        for (int j = 0; j < NL; j++) {
            const NetLane *a = s.lane[j];
            assert_int_equal(a->z_f == a->r_f, !cases[c].epochs && !cases[c].critic_input);
            for (size_t i = 0; i < (size_t)a->t * (size_t)dm->Z; i++) assert_true(a->z_f[i] == (float)a->z[i]);
        }
        const double e_g = rel_err(s.grad, d.grad, dm->n_params);
        print_message("# N %d S %d: single vs double, rates %.1e, probs %.1e, values %.1e, gradient %.1e\n",
                      cases[c].N, cases[c].S, e_r, e_p, e_v, e_g);
        assert_true(e_r < 1e-5);
        assert_true(e_p < 1e-5);
        assert_true(e_v < 1e-5);
        assert_true(e_g < 1e-4);
        assert_true(e_g > 0.0);   /* the single path did run in float */
        run_free(&d);
        run_free(&s);
    }
}

static void same_bits(const Run *a, const Run *b)
{
    const NetDims *dm = &a->net->d;
    for (int j = 0; j < NL; j++) {
        const NetLane *x = a->lane[j], *y = b->lane[j];
        assert_int_equal(x->ns, y->ns);
        assert_memory_equal(x->x, y->x, (size_t)x->ns * (size_t)dm->N * sizeof(double));
        assert_memory_equal(x->logp, y->logp, (size_t)x->t * (size_t)dm->A * sizeof(double));
        assert_memory_equal(x->V, y->V, (size_t)x->t * sizeof(double));
    }
    assert_memory_equal(a->grad, b->grad, dm->n_params * sizeof(double));
}

/* Twice the same: the same bits; the portable paths (products and lists of
** terms): the same bits again, in single and in double precision. */
static void test_single_deterministic(void **state)
{
    (void)state;
    print_message("# single-precision path on this CPU: %s\n", net_kernels_f_path());
    for (int c = 0; c < N_CASES; c++) {
        Run a, b, p;
        run_case(&cases[c], 1, &a);
        run_case(&cases[c], 1, &b);
        same_bits(&a, &b);
        net_kernels_f_force_portable(1);
        net_list_force_portable(1);   /* the lists of nonzero terms too (net_list_nz, the gradients' lists) */
        assert_string_equal(net_kernels_f_path(), "portable");
        assert_string_equal(net_list_path(), "portable");
        run_case(&cases[c], 1, &p);
        net_kernels_f_force_portable(0);
        net_list_force_portable(0);
        same_bits(&a, &p);
        run_free(&a);
        run_free(&b);
        run_free(&p);
        /* double precision: the lists' two paths give it the same bits as well */
        Run d, dp;
        run_case(&cases[c], 0, &d);
        net_list_force_portable(1);
        run_case(&cases[c], 0, &dp);
        net_list_force_portable(0);
        same_bits(&d, &dp);
        run_free(&d);
        run_free(&dp);
    }
}

/* The lockstep form equals the one-lane calls bit for bit in single precision
** too (lane 0 of the batch replayed alone, then its gradient alone against
** net_backward over that lane). */
static void test_single_lockstep_equals_one_lane(void **state)
{
    (void)state;
    const Case *k = &cases[2];
    Run a;
    run_case(k, 1, &a);
    char err[256];
    NetConfig nc = case_config(k, 1);
    Net *net = net_alloc(&nc, err, sizeof err);
    assert_non_null(net);
    memcpy(net->params, a.net->params, net->d.n_params * sizeof(double));
    net_refresh(net);
    NetLane *L = net_lane_alloc(net);
    const NetLane *ref = a.lane[1];
    /* replay lane 1's inputs, noise and actions through the one-lane calls */
    memcpy(L->xi, ref->xi, (size_t)ref->ns * (size_t)net->d.N * sizeof(double));
    for (int t = 0; t < ref->t; t++) {
        const double *u = ref->u + (size_t)t * net->d.K * (size_t)net->d.I;
        net_forward_step(net, L, u, NULL);   /* obs = the first O inputs of the stored row */
        net_lane_record(L, ref->action[t], ref->reward[t]);
    }
    assert_memory_equal(L->x, ref->x, (size_t)ref->ns * (size_t)net->d.N * sizeof(double));
    assert_memory_equal(L->V, ref->V, (size_t)ref->t * sizeof(double));
    net_lane_free(L);
    net_free(net);
    run_free(&a);
}

/* The forward step's conversion kernels (net_act_vec_f, net_to_float; the
** run-time clones of net_kernels.c): every element as the scalar
** definition gives it, y = f(x) as net_act_vec and yf = (float)y, for lengths
** that leave every vector tail, values from the subnormal to beyond float's
** range (rounded to +-inf), signed zeros included. */
static void test_single_conversions(void **state)
{
    (void)state;
    enum { NMAX = 37 };
    double x[NMAX], y[NMAX], yr[NMAX], d[NMAX];
    float yf[NMAX], df[NMAX];
    const double pick[] = { -0.0, 0.0, 1e-300, -1e-300, 1e-40, 3.4e38, 3.5e38, -1e39, 0.1, -2.5, 1.0 / 3.0 };
    const NetActivation acts[] = { NET_RELU, NET_TANH, NET_SOFTPLUS };
    for (int n = 0; n <= NMAX; n++)
        for (int a = 0; a < 3; a++) {
            for (int i = 0; i < n; i++) x[i] = pick[(i * 7 + n + a) % 11] * (i % 3 == 2 ? -1.0 : 1.0);
            net_act_vec(acts[a], yr, x, n);
            net_act_vec_f(acts[a], y, yf, x, n);
            for (int i = 0; i < n; i++) {
                assert_memory_equal(&y[i], &yr[i], sizeof(double));
                const float want = (float)yr[i];
                assert_memory_equal(&yf[i], &want, sizeof(float));
                d[i] = x[i];
            }
            net_to_float(df, d, (size_t)n);
            for (int i = 0; i < n; i++) {
                const float want = (float)d[i];
                assert_memory_equal(&df[i], &want, sizeof(float));
            }
        }
}

/* net_comb_madds counts (once net_comb_counting is on) the multiply-adds that a call computes: cols per
** term of every segment of every output, in both precisions (what
** tests/bench_train reports as executed flops); and y is what they give. */
static void test_comb_madds(void **state)
{
    (void)state;
    enum { COLS = 7, ROWS = 6 };
    double M[ROWS * COLS], y[2][COLS], val[5] = { 0.5, -1.0, 2.0, 0.25, 3.0 };
    float Mf[ROWS * COLS];
    int idx[5] = { 0, 2, 5, 1, 4 };
    for (int i = 0; i < ROWS * COLS; i++) Mf[i] = (float)(M[i] = (double)(i % 5) - 1.5);
    for (int single = 0; single < 2; single++) {
        /* every output has the same segments' matrices (net_comb_run's contract); output 0 takes 1 term of the second */
        Comb c[2] = { { y[0], NULL, { { M, COLS, idx, val, 3, Mf }, { M, COLS, idx + 3, val + 3, 1, Mf } }, 2 },
                      { y[1], NULL, { { M, COLS, idx, val, 3, Mf }, { M, COLS, idx + 3, val + 3, 2, Mf } }, 2 } };
        unsigned long long m0 = net_comb_madds();
        if (single) net_comb_run_f(c, 2, COLS);
        else net_comb_run(c, 2, COLS);
        assert_int_equal(net_comb_madds() - m0, 0);   /* counting is off by default */
        net_comb_counting(1);
        m0 = net_comb_madds();
        if (single) net_comb_run_f(c, 2, COLS);
        else net_comb_run(c, 2, COLS);
        net_comb_counting(0);
        assert_int_equal(net_comb_madds() - m0, (3 + 1 + 3 + 2) * COLS);
        for (int k = 0; k < COLS; k++) {
            double want0 = 0.0, want1;
            for (int j = 0; j < 3; j++) want0 += val[j] * M[idx[j] * COLS + k];
            want1 = want0 + val[3] * M[idx[3] * COLS + k] + val[4] * M[idx[4] * COLS + k];
            want0 += val[3] * M[idx[3] * COLS + k];
            assert_true(fabs(y[0][k] - want0) < 1e-6 && fabs(y[1][k] - want1) < 1e-6);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_matches_double),
        cmocka_unit_test(test_single_deterministic),
        cmocka_unit_test(test_single_lockstep_equals_one_lane),
        cmocka_unit_test(test_single_conversions),
        cmocka_unit_test(test_comb_madds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
