/* tests/test_net.c: the network's backward pass, the A2C loss and the
** optimizers.
**
** Gradient check (genann/llm.c/GSL deriv test combined, STYLE.md B7): a tiny
** network (N=5, S=3, A=2, O=1, T=6) with "high entropy" weights plays one
** episode with random actions and rewards; then, with the actions, rewards,
** noise samples AND the advantages and targets held fixed, every parameter's
** analytic gradient (net_backward over a2c_loss) is compared with
** gsl_deriv_central (with gc_pred > 0 the loss also has the outcome-prediction
** term beta_pred L_pred of net_pred_loss, and its readout W_p, b_p is
** checked with the rest). Known answers for a2c and the optimizers are computed by
** hand in the comments.
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

#include <gsl/gsl_deriv.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "core/rng.h"
#include "model/a2c.h"
#include "model/net.h"
#include "model/net_kernels.h"
#include "model/optim.h"
#include "model/striatum.h"

#define GC_T 6
#define GC_O 1

typedef struct {
    Net *net;
    NetLane *lane;
    double obs[GC_T][GC_O];
    int action[GC_T];
    double reward[GC_T];
    double adv[GC_T], ret[GC_T];
    double beta_v, beta_e;
    double beta_pred;      /* > 0: the outcome-prediction loss (cfg.predict) */
    size_t index;          /* parameter being varied */
    int vtp;               /* value_trains_pfc */
    size_t critic_start;   /* index of W_s: the first striatal parameter */
    double V0[GC_T];       /* values of the unperturbed forward pass */
} GradCase;

/* Re-run the recorded episode with the current weights (noise replayed). */
static void replay(GradCase *c)
{
    net_refresh(c->net);
    net_lane_reset(c->lane);
    for (int t = 0; t < GC_T; t++) {
        net_forward_step(c->net, c->lane, c->obs[t], NULL);
        net_lane_record(c->lane, c->action[t], c->reward[t]);
    }
}

/* With value_trains_pfc = 0 the value loss sees the prefrontal rates through
** a stop-gradient: nudging a prefrontal parameter must leave the value term
** alone, so the finite difference then uses the unperturbed values V0. */
static double episode_loss(GradCase *c, double *dlogits, double *dV)
{
    A2cTerms terms;
    NetLane *L = c->lane;
    const double *V = !c->vtp && !dlogits && c->index < c->critic_start ? c->V0 : L->V;
    a2c_loss(GC_T, c->net->d.A, L->logp, L->probs, L->action, c->adv, c->ret, V, c->beta_v,
             c->beta_e, 1.0, dlogits, dV, &terms);
    /* the outcome prediction (cfg.predict): fills L->dpred for net_backward */
    return terms.loss + c->beta_pred * net_pred_loss(c->net, L, c->beta_pred, 1.0);
}

static double loss_at(double theta, void *vc)
{
    GradCase *c = vc;
    double *p = &c->net->params[c->index];
    double saved = *p;
    *p = theta;
    replay(c);
    double L = episode_loss(c, NULL, NULL);
    *p = saved;
    return L;
}

/* Epochs within a trial of the next case built (fixation, choice, outcome,
** iti; all 0: one step per trial). */
static int gc_ep[4];
/* Weight of the outcome-prediction loss of the next case built (0: off, no readout). */
static double gc_pred;

/* Build the case, check every parameter; return the max relative error. */
static double gradient_check(NetActivation f, int vtp, int S, int critic_input, double noise,
                             double alpha, unsigned long seed)
{
    NetConfig nc = { .n_hidden = 5, .n_striatum = S, .n_actions = 2, .obs_dim = GC_O,
                     .max_trials = GC_T, .critic_input = critic_input, .value_trains_pfc = vtp,
                     .time_input = 1, .activation = f, .alpha = alpha, .noise_sd = noise,
                     .init = NET_INIT_GAUSSIAN, .gain = 1.0, .ep_fix = gc_ep[0], .ep_choice = gc_ep[1],
                     .ep_outcome = gc_ep[2], .ep_iti = gc_ep[3], .predict = gc_pred > 0.0 };
    char err[256];
    GradCase c = { 0 };
    c.net = net_alloc(&nc, err, sizeof err);
    assert_non_null(c.net);
    c.lane = net_lane_alloc(c.net);
    assert_non_null(c.lane);
    c.beta_v = 0.5;
    c.beta_e = 0.1;
    c.beta_pred = gc_pred;
    gsl_rng *r = rng_alloc();
    rng_seed_episode(r, seed, RNG_STREAM_INIT, 0);
    const size_t P = c.net->d.n_params;
    /* high-entropy weights: every parameter, biases included, of order 1 */
    for (size_t i = 0; i < P; i++) c.net->params[i] = gsl_ran_gaussian(r, 0.6);
    net_refresh(c.net);
    net_lane_reset(c.lane);
    for (int t = 0; t < GC_T; t++) {
        c.obs[t][0] = gsl_ran_gaussian(r, 1.0);
        net_forward_step(c.net, c.lane, c.obs[t], r);
        c.action[t] = rng_categorical(net_lane_probs(c.net, c.lane), 2, r);
        c.reward[t] = gsl_rng_uniform(r) < 0.5 ? 1.0 : 0.0;
        net_lane_record(c.lane, c.action[t], c.reward[t]);
    }
    gsl_rng_free(r);
    /* advantages and targets from this forward pass, then frozen */
    striatum_deltas(GC_T, c.reward, c.lane->V, 0.9, c.adv);
    a2c_advantages(GC_T, c.adv, c.lane->V, 0.9, 0.8, c.adv, c.ret);

    double dlogits[GC_T * 2], dV[GC_T];
    double *grad = calloc(P, sizeof(double));
    c.vtp = vtp;
    c.critic_start = (size_t)(c.net->p.W_s - c.net->params);
    replay(&c);
    memcpy(c.V0, c.lane->V, sizeof c.V0);
    episode_loss(&c, dlogits, dV);
    net_backward(c.net, c.lane, dlogits, dV, grad);

    double total = 0.0, max_rel = 0.0;
    int bad = 0;
    for (size_t i = 0; i < P; i++) {
        c.index = i;
        gsl_function F = { &loss_at, &c };
        double num, abserr;
        gsl_deriv_central(&F, c.net->params[i], 1e-4, &num, &abserr);
        double tol = 1e-9 + 1e-6 * fabs(num) + 10 * abserr;
        double diff = fabs(grad[i] - num);
        double rel = diff / (fabs(num) + 1e-8);
        if (rel > max_rel) max_rel = rel;
        if (diff > tol) {
            bad++;
            print_error("param %zu: analytic %.12g vs central %.12g (err est %.2g)\n", i, grad[i],
                        num, abserr);
        }
        total += fabs(num);
    }
    /* Parameters the loss cannot reach stay exactly zero: with vtp = 0 the
    ** value loss reaches no prefrontal weight, but the policy loss does. */
    print_message("# gradcheck f=%d vtp=%d S=%d ci=%d noise=%g alpha=%g K=%d pred=%g: %zu params, max rel err %.2e, sum|g| %.3g\n",
                  (int)f, vtp, S, critic_input, noise, alpha, c.net->d.K, gc_pred, P, max_rel, total);
    if (gc_pred > 0.0) {   /* the prediction readout is reached, and only through its own loss */
        double gp = 0.0;
        for (size_t i = (size_t)(c.net->p.W_p - c.net->params); i < P; i++) gp += fabs(grad[i]);
        assert_true(gp > 1e-3);
    }
    assert_int_equal(bad, 0);
    assert_true(total > 1e-3);   /* not trivially zero */
    free(grad);
    net_lane_free(c.lane);
    net_free(c.net);
    return max_rel;
}

static void test_gradcheck_tanh(void **state)
{
    (void)state;
    gradient_check(NET_TANH, 1, 3, 1, 0.0, 1.0, 11);
    gradient_check(NET_TANH, 1, 3, 1, 0.0, 0.7, 13);
    gradient_check(NET_TANH, 0, 3, 1, 0.0, 1.0, 14);
    gradient_check(NET_TANH, 0, 3, 1, 0.0, 0.7, 12);
}

static void test_gradcheck_relu(void **state)
{
    (void)state;
    gradient_check(NET_RELU, 1, 3, 1, 0.0, 0.7, 21);
    gradient_check(NET_RELU, 0, 3, 1, 0.0, 1.0, 22);
}

static void test_gradcheck_softplus(void **state)
{
    (void)state;
    gradient_check(NET_SOFTPLUS, 1, 3, 1, 0.0, 0.7, 31);
    gradient_check(NET_SOFTPLUS, 0, 3, 1, 0.0, 1.0, 32);
}

static void test_gradcheck_noise_and_linear_critic(void **state)
{
    (void)state;
    gradient_check(NET_TANH, 1, 3, 1, 0.3, 0.5, 41);   /* noise held fixed */
    gradient_check(NET_TANH, 1, 0, 0, 0.0, 0.7, 42);   /* S = 0, critic reads r only */
    gradient_check(NET_TANH, 0, 0, 1, 0.2, 1.0, 43);
}

/* The value loss must not reach prefrontal weights when vtp = 0: with only
** a value loss (dlogits = 0) their gradient is exactly zero. */
/* Time within a trial (net.h): leaky units (alpha 0.15, 0.2), noise, K = 5
** and 7 steps per trial, the policy read at the choice step; the gradient
** flows through every step (the outcome steps carry the reward into the next
** trial's choice), through both critic regimes. */
static void test_gradcheck_epochs(void **state)
{
    (void)state;
    const int layouts[3][4] = { { 1, 1, 2, 1 }, { 2, 1, 1, 3 }, { 0, 2, 1, 0 } };
    gc_ep[0] = layouts[0][0], gc_ep[1] = layouts[0][1], gc_ep[2] = layouts[0][2], gc_ep[3] = layouts[0][3];
    gradient_check(NET_TANH, 1, 3, 1, 0.3, 0.2, 51);
    gradient_check(NET_SOFTPLUS, 0, 3, 1, 0.2, 0.15, 52);
    gradient_check(NET_TANH, 1, 0, 0, 0.0, 0.2, 53);
    memcpy(gc_ep, layouts[1], sizeof gc_ep);
    gradient_check(NET_TANH, 0, 0, 1, 0.3, 0.15, 54);
    gradient_check(NET_SOFTPLUS, 1, 2, 0, 0.1, 0.2, 55);
    memcpy(gc_ep, layouts[2], sizeof gc_ep);
    gradient_check(NET_TANH, 1, 3, 1, 0.2, 0.2, 56);
    memset(gc_ep, 0, sizeof gc_ep);
}

/* The outcome-prediction loss (train.beta_pred, net.h net_pred_loss): its
** readout and its path into the prefrontal weights, both critic regimes, with
** S = 0 and 3, noise, and epochs (the prediction is read at the choice step). */
static void test_gradcheck_predict(void **state)
{
    (void)state;
    gc_pred = 0.7;
    gradient_check(NET_TANH, 1, 3, 1, 0.0, 1.0, 61);
    gradient_check(NET_RELU, 0, 3, 1, 0.0, 0.7, 62);
    gradient_check(NET_TANH, 0, 0, 0, 0.3, 0.5, 63);
    gradient_check(NET_SOFTPLUS, 0, 16, 1, 0.0, 1.0, 64);
    const int ep[4] = { 1, 1, 2, 1 };
    memcpy(gc_ep, ep, sizeof gc_ep);
    gradient_check(NET_TANH, 0, 2, 1, 0.2, 0.2, 65);
    memset(gc_ep, 0, sizeof gc_ep);
    gc_pred = 0.0;
}

/* Without the outcome prediction (train.beta_pred = 0) the network draws the
** same initial weights as before the option existed: the readout is empty,
** the parameter count unchanged, and net_pred_loss is 0. With it, the block
** grows by A (N + 1) after b_v and the weights before it are the same. */
static void test_predict_off_unchanged(void **state)
{
    (void)state;
    NetConfig nc = { .n_hidden = 6, .n_striatum = 2, .n_actions = 3, .obs_dim = 1, .max_trials = 4,
                     .value_trains_pfc = 1, .activation = NET_RELU, .alpha = 1.0, .init = NET_INIT_GAUSSIAN,
                     .gain = 1.0 };
    char err[256];
    Net *a = net_alloc(&nc, err, sizeof err);
    nc.predict = 1;
    Net *b = net_alloc(&nc, err, sizeof err);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(b->d.n_params, a->d.n_params + 3 * (6 + 1));
    assert_int_equal(a->d.sizes[9] + a->d.sizes[10], 0);
    gsl_rng *r = rng_alloc();
    rng_seed_episode(r, 5, RNG_STREAM_INIT, 0);
    assert_int_equal(net_init(a, r), 0);
    rng_seed_episode(r, 5, RNG_STREAM_INIT, 0);
    assert_int_equal(net_init(b, r), 0);
    assert_memory_equal(a->params, b->params, a->d.n_params * sizeof(double));
    NetLane *L = net_lane_alloc(a);
    assert_non_null(L);
    assert_null(L->pred);
    const double ob = 0.5;
    net_forward_step(a, L, &ob, NULL);
    net_lane_record(L, 1, 1.0);
    assert_true(net_pred_loss(a, L, 1.0, 1.0) == 0.0);
    net_lane_free(L);
    gsl_rng_free(r);
    net_free(a);
    net_free(b);
}

/* Epochs: what each step shows (net.h's table), where the policy is read, the
** outcome steps of trial t run at the start of trial t+1, and one step per
** trial with all-zero epochs. */
static void test_epoch_inputs(void **state)
{
    (void)state;
    NetConfig nc = { .n_hidden = 4, .n_striatum = 0, .n_actions = 2, .obs_dim = 1, .max_trials = 3,
                     .time_input = 1, .activation = NET_TANH, .alpha = 0.2, .noise_sd = 0.0,
                     .init = NET_INIT_GAUSSIAN, .gain = 1.0, .ep_fix = 1, .ep_choice = 1, .ep_outcome = 2,
                     .ep_iti = 1 };
    char err[256];
    Net *net = net_alloc(&nc, err, sizeof err);
    assert_non_null(net);
    assert_int_equal(net->d.K, 5);
    assert_int_equal(net->d.C, 1);
    assert_int_equal(net->d.Ts_max, 15);
    const int want_ep[5] = { 0, 1, 2, 2, 3 };
    for (int s = 0; s < 10; s++) assert_int_equal(net_step_epoch(net, s), want_ep[s % 5]);
    gsl_rng *r = rng_alloc();
    rng_seed_episode(r, 9, RNG_STREAM_INIT, 0);
    assert_int_equal(net_init(net, r), 0);
    NetLane *L = net_lane_alloc(net);
    const double obs0 = 0.5, obs1 = -1.5;
    net_forward_step(net, L, &obs0, NULL);
    assert_int_equal(L->ns, 2);   /* fixation and choice of trial 0 */
    net_lane_record(L, 1, 0.75);
    net_forward_step(net, L, &obs1, NULL);
    assert_int_equal(L->ns, 7);   /* trial 0's outcome (2) and iti (1), trial 1's fixation and choice */
    const int I = net->d.I;       /* [obs, a0, a1, r, t/T] */
    assert_int_equal(I, 5);
    const double want[7][5] = { { 0.5, 0, 0, 0, 0 },     { 0.5, 0, 0, 0, 0 },
                                { 0, 0, 1, 0.75, 0 },    { 0, 0, 1, 0.75, 0 }, { 0, 0, 0, 0, 0 },
                                { -1.5, 0, 0, 0, 1.0 / 3 }, { -1.5, 0, 0, 0, 1.0 / 3 } };
    for (int s = 0; s < 7; s++)
        for (int k = 0; k < I; k++) assert_true(L->u[s * I + k] == want[s][k]);
    assert_ptr_equal(net_lane_rates(net, L, 1), L->r + 6 * 4);
    /* the policy of trial 1 is the softmax of W_pi r_6 + b_pi */
    double lg[2];
    for (int a = 0; a < 2; a++) {
        lg[a] = net->p.b_pi[a];
        for (int i = 0; i < 4; i++) lg[a] += net->p.W_pi[a * 4 + i] * L->r[6 * 4 + i];
    }
    const double p1 = 1.0 / (1.0 + exp(lg[0] - lg[1]));
    assert_true(fabs(net_lane_probs(net, L)[1] - p1) < 1e-12);
    /* leak: x_2 = 0.8 x_1 + 0.2 (b + W_in u_2 + W_rec r_1) */
    for (int i = 0; i < 4; i++) {
        double pre = net->p.b[i];
        for (int k = 0; k < I; k++) pre += net->p.W_in[i * I + k] * L->u[2 * I + k];
        for (int k = 0; k < 4; k++) pre += net->p.W_rec[i * 4 + k] * L->r[1 * 4 + k];
        assert_true(fabs(L->x[2 * 4 + i] - (0.8 * L->x[1 * 4 + i] + 0.2 * pre)) < 1e-12);
    }
    net_lane_free(L);
    net_free(net);
    /* bad layouts are refused with a message */
    nc.ep_choice = 0;
    assert_null(net_alloc(&nc, err, sizeof err));
    assert_non_null(strstr(err, "epochs"));
    nc.ep_choice = 1;
    nc.ep_outcome = 0;
    assert_null(net_alloc(&nc, err, sizeof err));
    gsl_rng_free(r);
}

static void test_stop_gradient(void **state)
{
    (void)state;
    NetConfig nc = { .n_hidden = 4, .n_striatum = 2, .n_actions = 2, .obs_dim = 0,
                     .max_trials = 5, .critic_input = 1, .value_trains_pfc = 0,
                     .activation = NET_TANH, .alpha = 1.0, .gain = 1.0 };
    char err[128];
    Net *net = net_alloc(&nc, err, sizeof err);
    NetLane *L = net_lane_alloc(net);
    gsl_rng *r = rng_alloc();
    rng_seed_episode(r, 5, RNG_STREAM_INIT, 0);
    assert_int_equal(net_init(net, r), 0);
    for (int t = 0; t < 5; t++) {
        net_forward_step(net, L, NULL, r);
        net_lane_record(L, t % 2, 1.0);
    }
    double dl[10] = { 0 }, dV[5] = { 1, -1, 2, 0.5, 0.3 };
    double *g = calloc(net->d.n_params, sizeof(double));
    net_backward(net, L, dl, dV, g);
    NetParams gp;
    net_params_point(&net->d, g, &gp);
    for (double *q = gp.W_in; q < gp.W_s; q++) assert_true(*q == 0.0);
    double s = 0.0;
    for (double *q = gp.W_s; q < g + net->d.n_params; q++) s += fabs(*q);
    assert_true(s > 0.0);
    free(g);
    gsl_rng_free(r);
    net_lane_free(L);
    net_free(net);
}

/* The lockstep forms against the one-lane calls: three lanes of different
** lengths (5, 9, 2 trials), N = 7 (a vector panel and a scalar tail), noise
** on. net_forward_lanes over the lanes still running gives every lane the
** bits net_forward_step gives it alone; net_backward_lanes gives the bits of
** net_backward called lane after lane on one gradient block. */
static void lockstep_case(NetActivation f, int S, int epochs)
{
    enum { NL = 3, TM = 9 };
    const int len[NL] = { 5, 9, 2 };
    NetConfig nc = { .n_hidden = 7, .n_striatum = S, .n_actions = 3, .obs_dim = 2,
                     .max_trials = TM, .critic_input = 1, .value_trains_pfc = 1, .time_input = 1,
                     .activation = f, .alpha = 0.8, .noise_sd = 0.2, .init = NET_INIT_GAUSSIAN,
                     .gain = 1.2, .ep_fix = epochs ? 1 : 0, .ep_choice = epochs ? 1 : 0,
                     .ep_outcome = epochs ? 2 : 0, .ep_iti = epochs ? 1 : 0 };
    char err[256];
    Net *net = net_alloc(&nc, err, sizeof err);
    assert_non_null(net);
    gsl_rng *r = rng_alloc();
    rng_seed_episode(r, 3, RNG_STREAM_INIT, 0);
    const size_t P = net->d.n_params;
    for (size_t i = 0; i < P; i++) net->params[i] = gsl_ran_gaussian(r, 0.6);
    net_refresh(net);
    NetLane *lb[NL], *ls[NL];
    gsl_rng *rb[NL], *rs[NL];
    double obs[NL][TM][2], dl[NL][TM * 3], dv[NL][TM];
    for (int j = 0; j < NL; j++) {
        lb[j] = net_lane_alloc(net);
        ls[j] = net_lane_alloc(net);
        rb[j] = rng_alloc();
        rs[j] = rng_alloc();
        rng_seed_episode(rb[j], 3, RNG_STREAM_POLICY, (uint64_t)j);
        rng_seed_episode(rs[j], 3, RNG_STREAM_POLICY, (uint64_t)j);
        for (int t = 0; t < TM; t++) {
            obs[j][t][0] = gsl_ran_gaussian(r, 1.0);
            obs[j][t][1] = t % 3 == 0 ? 0.0 : gsl_ran_gaussian(r, 1.0);
            dv[j][t] = gsl_ran_gaussian(r, 0.5);
            for (int a = 0; a < 3; a++) dl[j][t * 3 + a] = a == t % 3 ? 0.0 : gsl_ran_gaussian(r, 0.5);
        }
    }
    /* lockstep */
    for (int t = 0; t < TM; t++) {
        NetLane *act[NL];
        const double *ob[NL];
        gsl_rng *rg[NL];
        int m = 0;
        for (int j = 0; j < NL; j++)
            if (t < len[j]) {
                act[m] = lb[j];
                ob[m] = obs[j][t];
                rg[m++] = rb[j];
            }
        net_forward_lanes(net, act, m, ob, rg);
        for (int j = 0; j < NL; j++)
            if (t < len[j]) net_lane_record(lb[j], rng_categorical(net_lane_probs(net, lb[j]), 3, rb[j]), t % 2);
    }
    /* one lane at a time */
    for (int j = 0; j < NL; j++)
        for (int t = 0; t < len[j]; t++) {
            net_forward_step(net, ls[j], obs[j][t], rs[j]);
            net_lane_record(ls[j], rng_categorical(net_lane_probs(net, ls[j]), 3, rs[j]), t % 2);
        }
    const int N = 7, Z = net->d.Z;
    for (int j = 0; j < NL; j++) {
        const size_t T = (size_t)len[j], TS = (size_t)lb[j]->ns;
        assert_int_equal(lb[j]->t, len[j]);
        assert_int_equal(lb[j]->ns, (len[j] - 1) * net->d.K + net->d.C + 1);
        assert_memory_equal(lb[j]->action, ls[j]->action, T * sizeof(int));
        assert_memory_equal(lb[j]->x, ls[j]->x, TS * N * sizeof(double));
        assert_memory_equal(lb[j]->r, ls[j]->r, TS * N * sizeof(double));
        assert_memory_equal(lb[j]->z, ls[j]->z, T * Z * sizeof(double));
        if (S > 0) assert_memory_equal(lb[j]->h, ls[j]->h, T * S * sizeof(double));
        assert_memory_equal(lb[j]->logp, ls[j]->logp, T * 3 * sizeof(double));
        assert_memory_equal(lb[j]->V, ls[j]->V, T * sizeof(double));
    }
    double *gb = calloc(P, sizeof(double)), *gs = calloc(P, sizeof(double));
    const double *dlp[NL] = { dl[0], dl[1], dl[2] }, *dvp[NL] = { dv[0], dv[1], dv[2] };
    net_backward_lanes(net, lb, NL, dlp, dvp, gb);
    for (int j = 0; j < NL; j++) net_backward(net, ls[j], dl[j], dv[j], gs);
    assert_memory_equal(gb, gs, P * sizeof(double));
    double total = 0.0;
    for (size_t i = 0; i < P; i++) total += fabs(gb[i]);
    assert_true(total > 1e-3);
    free(gb);
    free(gs);
    for (int j = 0; j < NL; j++) {
        net_lane_free(lb[j]);
        net_lane_free(ls[j]);
        gsl_rng_free(rb[j]);
        gsl_rng_free(rs[j]);
    }
    gsl_rng_free(r);
    net_free(net);
}

static void test_lockstep_equals_one_lane(void **state)
{
    (void)state;
    lockstep_case(NET_TANH, 3, 0);
    lockstep_case(NET_RELU, 0, 0);
    lockstep_case(NET_SOFTPLUS, 2, 0);
    lockstep_case(NET_TANH, 3, 1);
    lockstep_case(NET_RELU, 0, 1);
}

/* Orthogonal init gives g Q with Q^T Q = I. */
static void test_orthogonal_init(void **state)
{
    (void)state;
    NetConfig nc = { .n_hidden = 7, .n_actions = 2, .max_trials = 1, .activation = NET_TANH,
                     .alpha = 1.0, .init = NET_INIT_ORTHOGONAL, .gain = 1.5 };
    char err[128];
    Net *net = net_alloc(&nc, err, sizeof err);
    gsl_rng *r = rng_alloc();
    rng_seed_episode(r, 1, RNG_STREAM_INIT, 0);
    assert_int_equal(net_init(net, r), 0);
    const double *W = net->p.W_rec;
    for (int i = 0; i < 7; i++)
        for (int j = 0; j < 7; j++) {
            double s = 0.0;
            for (int k = 0; k < 7; k++) s += W[k * 7 + i] * W[k * 7 + j];
            assert_true(fabs(s - (i == j ? 2.25 : 0.0)) < 1e-12);
        }
    gsl_rng_free(r);
    net_free(net);
}

/* a2c_advantages on T = 3, r = (1, 0, 1), V = (0.5, 0.2, 0.1), gamma = 0.9.
** lambda = 1: G = (1 + 0.9*0.9, 0.9*1, 1) = (1.81, 0.9, 1); Ahat = G - V = (1.31, 0.7, 0.9).
** lambda = 0: Ahat = delta = (1 + 0.9*0.2 - 0.5, 0.9*0.1 - 0.2, 1 - 0.1) = (0.68, -0.11, 0.9). */
static void test_a2c_known(void **state)
{
    (void)state;
    const double r[3] = { 1, 0, 1 }, V[3] = { 0.5, 0.2, 0.1 };
    double d[3], adv[3], ret[3];
    striatum_deltas(3, r, V, 0.9, d);
    a2c_advantages(3, d, V, 0.9, 1.0, adv, ret);
    const double G[3] = { 1.81, 0.9, 1.0 }, A1[3] = { 1.31, 0.7, 0.9 }, D[3] = { 0.68, -0.11, 0.9 };
    for (int t = 0; t < 3; t++) {
        assert_true(fabs(ret[t] - G[t]) < 1e-15);
        assert_true(fabs(adv[t] - A1[t]) < 1e-15);
        assert_true(fabs(d[t] - D[t]) < 1e-15);
    }
    a2c_advantages(3, d, V, 0.9, 0.0, adv, ret);
    for (int t = 0; t < 3; t++) assert_true(fabs(adv[t] - D[t]) < 1e-15);

    /* Loss of one trial with pi = (0.25, 0.75), a = 1, Ahat = 2, G - V = 0.5,
    ** beta_v = 0.1, beta_e = 0.01:
    **   H = -(0.25 ln 0.25 + 0.75 ln 0.75) = 0.5623351446188083
    **   L = -ln(0.75)*2 + 0.1*0.125 - 0.01 H = 0.5753674649963198 */
    const double lp[2] = { log(0.25), log(0.75) }, pr[2] = { 0.25, 0.75 };
    const int act[1] = { 1 };
    const double a1[1] = { 2.0 }, g1[1] = { 1.0 }, v1[1] = { 0.5 };
    double dl[2], dv[1];
    A2cTerms terms;
    a2c_loss(1, 2, lp, pr, act, a1, g1, v1, 0.1, 0.01, 0.5, dl, dv, &terms);
    double H = -(0.25 * log(0.25) + 0.75 * log(0.75));
    assert_true(fabs(terms.entropy - H) < 1e-15);
    assert_true(fabs(terms.loss - (-2.0 * log(0.75) + 0.0125 - 0.01 * H)) < 1e-14);
    /* dL/dlogit_0 = 0.5 [0.25*2 + 0.01*0.25(ln 0.25 + H)] */
    assert_true(fabs(dl[0] - 0.5 * (0.5 + 0.0025 * (log(0.25) + H))) < 1e-15);
    assert_true(fabs(dl[1] - 0.5 * (-0.25 * 2 + 0.0075 * (log(0.75) + H))) < 1e-15);
    assert_true(fabs(dv[0] - 0.5 * (-0.1 * 0.5)) < 1e-16);
}

/* One Adam step, theta = 1, g = 0.5, lr = 0.1, b1 = 0.9, b2 = 0.999, eps = 1e-8:
**   m = 0.05, v = 0.00025, mhat = 0.05/0.1 = 0.5, vhat = 0.00025/0.001 = 0.25
**   theta = 1 - 0.1 * 0.5 / (0.5 + 1e-8) = 0.90000000199999996...
** Second step with g = -1: m = 0.045 - 0.1 = -0.055, v = 0.00024975 + 0.001 = 0.00124975,
**   mhat = -0.055/0.19 , vhat = 0.00124975/0.001999 , theta += 0.1*|mhat|/(sqrt(vhat)+eps). */
static void test_adam_known(void **state)
{
    (void)state;
    OptimConfig oc = { OPTIM_ADAM, 0.1, 0.99, 0.9, 0.999, 1e-8 };
    Optim *o = optim_alloc(&oc, 1);
    double theta = 1.0, g = 0.5;
    optim_step(o, &theta, &g);
    assert_true(fabs(theta - (1.0 - 0.1 * 0.5 / (0.5 + 1e-8))) < 1e-15);
    double t1 = theta;
    g = -1.0;
    optim_step(o, &theta, &g);
    double mhat = -0.055 / (1.0 - 0.81), vhat = 0.00124975 / (1.0 - 0.999 * 0.999);
    assert_true(fabs(theta - (t1 - 0.1 * mhat / (sqrt(vhat) + 1e-8))) < 1e-13);
    assert_true(o->state[0] == 2.0);
    optim_free(o);
}

/* One RMSProp step, theta = 1, g = 0.5, lr = 0.01, rho = 0.99, eps = 1e-5:
**   v = 0.01 * 0.25 = 0.0025, theta = 1 - 0.01 * 0.5 / (0.05 + 1e-5). */
static void test_rmsprop_known(void **state)
{
    (void)state;
    OptimConfig oc = { OPTIM_RMSPROP, 0.01, 0.99, 0.9, 0.999, 1e-5 };
    Optim *o = optim_alloc(&oc, 2);
    double theta[2] = { 1.0, -2.0 }, g[2] = { 0.5, 0.0 };
    optim_step(o, theta, g);
    assert_true(fabs(theta[0] - (1.0 - 0.01 * 0.5 / (0.05 + 1e-5))) < 1e-15);
    assert_true(theta[1] == -2.0);
    optim_free(o);
}

/* Clipping (3, 4) to norm 1 gives (0.6, 0.8); the norm before is 5. */
/* net_list_nz, both paths: the terms kept (x != 0, NaN included, -0 left
** out) in order of k, on every length to 41 (the four-wide blocks and their
** tails) and every pattern of zeros among random values, the two paths
** giving the same count, indices and value bits. */
static void test_list_nz(void **state)
{
    (void)state;
    print_message("# net_list_nz on this CPU: %s\n", net_list_path());
    const double odd[] = { 0.0, -0.0, NAN, INFINITY, -INFINITY, 4.9e-324, -1.5 };
    enum { M = 41 };
    gsl_rng *r = rng_alloc();
    rng_seed_episode(r, 11, RNG_STREAM_INIT, 0);
    double x[M];
    int idx[2][M];
    double val[2][M];
    for (int rep = 0; rep < 400; rep++) {
        const int n = rep % (M + 1);
        int want = 0, want_idx[M];
        for (int k = 0; k < n; k++) {
            const unsigned long u = gsl_rng_uniform_int(r, 10);
            x[k] = u < 3 ? 0.0 : u < 7 ? gsl_ran_gaussian(r, 1.0) : odd[gsl_rng_uniform_int(r, 7)];
            if (x[k] != 0.0) want_idx[want++] = k;
        }
        int got[2];
        for (int q = 0; q < 2; q++) {
            net_list_force_portable(q);
            got[q] = net_list_nz(idx[q], val[q], x, n);
        }
        net_list_force_portable(0);
        assert_int_equal(got[0], want);
        assert_int_equal(got[1], want);
        for (int j = 0; j < want; j++) {
            assert_int_equal(idx[0][j], want_idx[j]);
            assert_int_equal(idx[1][j], want_idx[j]);
            assert_memory_equal(&val[0][j], &x[want_idx[j]], sizeof(double));
            assert_memory_equal(&val[1][j], &x[want_idx[j]], sizeof(double));
        }
    }
    gsl_rng_free(r);
}

static void test_clip_known(void **state)
{
    (void)state;
    double g[2] = { 3.0, 4.0 };
    assert_true(optim_clip(g, 2, 1.0) == 5.0);
    assert_true(fabs(g[0] - 0.6) < 1e-15 && fabs(g[1] - 0.8) < 1e-15);
    double h[2] = { 3.0, 4.0 };
    optim_clip(h, 2, 0.0);
    assert_true(h[0] == 3.0 && h[1] == 4.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_nz),
        cmocka_unit_test(test_gradcheck_tanh),
        cmocka_unit_test(test_gradcheck_relu),
        cmocka_unit_test(test_gradcheck_softplus),
        cmocka_unit_test(test_gradcheck_noise_and_linear_critic),
        cmocka_unit_test(test_gradcheck_epochs),
        cmocka_unit_test(test_gradcheck_predict),
        cmocka_unit_test(test_predict_off_unchanged),
        cmocka_unit_test(test_epoch_inputs),
        cmocka_unit_test(test_stop_gradient),
        cmocka_unit_test(test_lockstep_equals_one_lane),
        cmocka_unit_test(test_orthogonal_init),
        cmocka_unit_test(test_a2c_known),
        cmocka_unit_test(test_adam_known),
        cmocka_unit_test(test_rmsprop_known),
        cmocka_unit_test(test_clip_known),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
