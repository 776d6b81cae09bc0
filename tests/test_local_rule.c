/* tests/test_local_rule.c: the local e-prop rule (model/local_rule.h),
** without finite differences.
**
** 1. The traces against a direct computation: on a tiny leaky network (N=4,
**    S=2, with and without epochs) playing random actions and rewards, the
**    presynaptic filter eps after every trial equals the explicit sum
**    sum_s alpha (1-alpha)^(n-1-s) q_s, every entry of E equals the explicit
**    sum_{t'<=t} (gamma lambda)^(t-t') g_t' with g written out from the
**    lane's stored rates, policy and feedback weights, and the summed
**    gradient equals sum_t [-(1/B) Ahat_t g_t + entropy terms] with Ahat from
**    model/a2c.h (the backward view equals the forward view).
** 2. Where the truncation loses nothing, the rule with symmetric feedback
**    equals BPTT (net_backward over a2c_loss): one trial (T = 1), and a
**    network with W_rec = 0 over many trials, leaky, with epochs, noise,
**    both critics and both value regimes. With random feedback the readout
**    gradients still equal BPTT's (they are exact and local).
** 3. Training with train.rule = eprop is deterministic (same seed, same
**    bits; W = 2 workers too), resumes from a checkpoint bit-identically,
**    and differs from bptt.
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

#include "core/config.h"
#include "core/rng.h"
#include "model/a2c.h"
#include "model/local_rule.h"
#include "model/net.h"
#include "model/striatum.h"
#include "model/trainer.h"
#include "tasks/task.h"

#define TMAX 8

typedef struct Case {
    NetActivation f;
    double alpha, noise;
    int S, vtp, critic_input;
    int ep[4];
    int T;
    int zero_rec;     /* W_rec = 0 */
    int symmetric;
    double lambda, s, beta_e;
} Case;

static Net *make_net(const Case *c)
{
    NetConfig nc = { 0 };
    nc.n_hidden = 4;
    nc.n_striatum = c->S;
    nc.n_actions = 2;
    nc.obs_dim = 1;
    nc.max_trials = TMAX;
    nc.critic_input = c->critic_input;
    nc.value_trains_pfc = c->vtp;
    nc.time_input = 1;
    nc.activation = c->f;
    nc.alpha = c->alpha;
    nc.noise_sd = c->noise;
    nc.init = NET_INIT_GAUSSIAN;
    nc.gain = 1.2;
    nc.ep_fix = c->ep[0];
    nc.ep_choice = c->ep[1];
    nc.ep_outcome = c->ep[2];
    nc.ep_iti = c->ep[3];
    char err[128];
    Net *net = net_alloc(&nc, err, sizeof err);
    assert_non_null(net);
    gsl_rng *r = rng_alloc();
    rng_seed_episode(r, 11, RNG_STREAM_INIT, 0);
    assert_int_equal(net_init(net, r), 0);
    /* readouts large enough that pi and V vary (the init makes them small), positive biases for relu */
    const NetDims *d = &net->d;
    for (size_t k = 0; k < d->sizes[3]; k++) net->p.W_pi[k] = gsl_ran_gaussian(r, 1.0);
    for (size_t k = 0; k < d->sizes[7]; k++) net->p.w_v[k] = gsl_ran_gaussian(r, 1.0);
    for (int i = 0; i < d->N; i++) net->p.b[i] = 0.3;
    for (int q = 0; q < d->S; q++) net->p.b_s[q] = 0.2;
    if (c->zero_rec) memset(net->p.W_rec, 0, (size_t)d->N * d->N * sizeof(double));
    gsl_rng_free(r);
    net_refresh(net);
    return net;
}

static LocalRuleConfig rule_config(const Case *c)
{
    return (LocalRuleConfig){ c->symmetric, 0.9, c->lambda, c->s, 0.5, 1.0 / 3.0, 5 };
}

/* Play c->T trials with random observations, actions and rewards, the rule
** summing into grad (P, zeroed here). */
static void play(const Case *c, Net *net, NetLane *nl, const LocalRule *rule, LocalTrace *lt, double *grad)
{
    gsl_rng *r = rng_alloc();
    rng_seed_episode(r, 3, RNG_STREAM_POLICY, 0);
    net_lane_reset(nl);
    local_trace_reset(net, lt);
    memset(grad, 0, net->d.n_params * sizeof(double));
    for (int t = 0; t < c->T; t++) {
        double obs = gsl_ran_gaussian(r, 1.0);
        net_forward_step(net, nl, &obs, r);
        local_rule_forward(rule, net, lt, nl, grad);
        int a = (int)gsl_rng_uniform_int(r, 2);
        double rew = gsl_rng_uniform(r) < 0.5 ? 1.0 : 0.0;
        net_lane_record(nl, a, rew);
        local_rule_record(rule, net, lt, nl, c->beta_e, t == c->T - 1, grad);
    }
    gsl_rng_free(r);
}

/* BPTT's gradient of the same episode (trainer.c's lane_loss then net_backward). */
static void bptt_grad(const Case *c, const Net *net, NetLane *nl, const LocalRuleConfig *lc, double *grad)
{
    const int T = nl->t, A = net->d.A;
    double delta[TMAX], adv[TMAX], ret[TMAX], dV[TMAX], dl[TMAX * 2];
    A2cTerms terms;
    striatum_deltas(T, nl->reward, nl->V, lc->gamma, delta);
    a2c_advantages_scaled(T, delta, lc->delta_scale, nl->V, lc->gamma, lc->lambda, adv, ret);
    a2c_loss(T, A, nl->logp, nl->probs, nl->action, adv, ret, nl->V, lc->beta_v, c->beta_e, lc->scale, dl, dV,
             &terms);
    memset(grad, 0, net->d.n_params * sizeof(double));
    net_backward(net, nl, dl, dV, grad);
}

/* max_k |a_k - b_k| / (max_k |b_k| + tiny) over [lo, hi) */
static double rel_diff(const double *a, const double *b, size_t lo, size_t hi)
{
    double m = 0.0, s = 1e-300;
    for (size_t k = lo; k < hi; k++) {
        if (fabs(a[k] - b[k]) > m) m = fabs(a[k] - b[k]);
        if (fabs(b[k]) > s) s = fabs(b[k]);
    }
    return m / s;
}

/* Rule vs BPTT on case c: relative error over the whole block, or (readouts
** only) from W_pi on. */
static double compare_bptt(const Case *c, int readouts_only)
{
    Net *net = make_net(c);
    NetLane *nl = net_lane_alloc(net);
    const LocalRuleConfig lc = rule_config(c);
    char err[128];
    LocalRule *rule = local_rule_alloc(net, &lc, err, sizeof err);
    LocalTrace *lt = local_trace_alloc(net);
    assert_non_null(nl);
    assert_non_null(rule);
    assert_non_null(lt);
    const size_t P = net->d.n_params;
    double *g_rule = calloc(P, sizeof(double)), *g_bptt = calloc(P, sizeof(double));
    play(c, net, nl, rule, lt, g_rule);
    bptt_grad(c, net, nl, &lc, g_bptt);
    const size_t lo = readouts_only ? (size_t)(net->p.W_pi - net->params) : 0;
    double e = rel_diff(g_rule, g_bptt, lo, P);
    /* the gradient is not trivially zero */
    double n = 0.0;
    for (size_t k = lo; k < P; k++) n += fabs(g_bptt[k]);
    assert_true(n > 1e-3);
    free(g_rule);
    free(g_bptt);
    local_trace_free(lt);
    local_rule_free(rule);
    net_lane_free(nl);
    net_free(net);
    return e;
}

static void test_one_trial_equals_bptt(void **state)
{
    (void)state;
    const Case cases[] = {
        { NET_RELU, 1.0, 0.0, 0, 1, 0, { 0 }, 1, 0, 1, 1.0, 1.0, 0.05 },
        { NET_TANH, 0.5, 0.2, 2, 1, 1, { 0 }, 1, 0, 1, 0.9, 0.7, 0.05 },
        { NET_SOFTPLUS, 0.3, 0.1, 2, 0, 0, { 0 }, 1, 0, 1, 1.0, 1.0, 0.1 },
        { NET_TANH, 1.0, 0.0, 0, 0, 1, { 0 }, 1, 0, 1, 0.95, 1.0, 0.0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double e = compare_bptt(&cases[i], 0);
        if (e > 1e-12) print_error("one trial, case %zu: relative error %g\n", i, e);
        assert_true(e <= 1e-12);
    }
}

static void test_no_recurrence_equals_bptt(void **state)
{
    (void)state;
    const Case cases[] = {
        { NET_TANH, 0.4, 0.0, 0, 1, 0, { 0 }, 8, 1, 1, 1.0, 1.0, 0.05 },
        { NET_SOFTPLUS, 0.25, 0.3, 2, 1, 1, { 0 }, 7, 1, 1, 0.8, 0.6, 0.05 },
        { NET_RELU, 1.0, 0.0, 2, 0, 0, { 0 }, 8, 1, 1, 1.0, 1.0, 0.02 },
        /* epochs: K = 4 and K = 3 steps per trial, the leak carries across them */
        { NET_TANH, 0.2, 0.1, 2, 1, 1, { 1, 1, 1, 1 }, 6, 1, 1, 0.9, 1.0, 0.05 },
        { NET_SOFTPLUS, 0.3, 0.0, 0, 1, 0, { 0, 2, 1, 0 }, 5, 1, 1, 1.0, 1.0, 0.05 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double e = compare_bptt(&cases[i], 0);
        if (e > 1e-12) print_error("W_rec = 0, case %zu: relative error %g\n", i, e);
        assert_true(e <= 1e-12);
    }
    /* with recurrence the rule is a truncation: it must differ (the test can tell) */
    const Case rec = { NET_TANH, 0.4, 0.0, 0, 1, 0, { 0 }, 8, 0, 1, 1.0, 1.0, 0.05 };
    assert_true(compare_bptt(&rec, 0) > 1e-3);
    /* random feedback: the readouts' gradients stay exact, the prefrontal ones do not */
    Case rnd = cases[1];
    rnd.symmetric = 0;
    assert_true(compare_bptt(&rnd, 1) <= 1e-12);
    assert_true(compare_bptt(&rnd, 0) > 1e-3);
}

/* eps after n steps, directly: sum_s alpha (1-alpha)^(n-1-s) q_s */
static void direct_eps(const Net *net, const NetLane *nl, int n, double *out)
{
    const int N = net->d.N, I = net->d.I;
    const double a = net->cfg.alpha;
    memset(out, 0, (size_t)(I + N + 1) * sizeof(double));
    for (int s = 0; s < n; s++) {
        const double w = a * pow(1.0 - a, n - 1 - s);
        for (int j = 0; j < I; j++) out[j] += w * nl->u[(size_t)s * I + j];
        if (s > 0)
            for (int j = 0; j < N; j++) out[I + j] += w * nl->r[(size_t)(s - 1) * N + j];
        out[I + N] += w;
    }
}

/* g_t of trial t (P), directly from its definition (local_rule.h), and the
** entropy term's gradient (P) for beta_e / B = ce. */
static void direct_g(const Net *net, const NetLane *nl, const LocalRule *rule, int t, double ce, double *g,
                     double *gent)
{
    const NetDims *d = &net->d;
    const int N = d->N, A = d->A, I = d->I, S = d->S, Z = d->Z, K = d->K;
    const double bv = rule->cfg.beta_v;
    NetParams G, Ge;
    memset(g, 0, d->n_params * sizeof(double));
    memset(gent, 0, d->n_params * sizeof(double));
    net_params_point(d, g, &G);
    net_params_point(d, gent, &Ge);
    const double *pr = nl->probs + t * A, *lp = nl->logp + t * A, *rt = net_lane_rates(net, nl, t);
    double H = 0.0, gl[2], ent[2];
    for (int a = 0; a < A; a++) H -= pr[a] * lp[a];
    for (int a = 0; a < A; a++) {
        gl[a] = (a == nl->action[t]) - pr[a];
        ent[a] = pr[a] * (lp[a] + H);
        G.b_pi[a] = gl[a];
        Ge.b_pi[a] = ce * ent[a];
        for (int i = 0; i < N; i++) {
            G.W_pi[a * N + i] = gl[a] * rt[i];
            Ge.W_pi[a * N + i] = ce * ent[a] * rt[i];
        }
    }
    const double *z = nl->z + t * Z;
    G.b_v[0] = bv;
    if (S == 0)
        for (int k = 0; k < Z; k++) G.w_v[k] = bv * z[k];
    for (int q = 0; q < S; q++) {
        const double *h = nl->h + t * S;
        const double dq = net_act_deriv(net->cfg.activation, h[q]);
        G.w_v[q] = bv * h[q];
        G.b_s[q] = bv * net->p.w_v[q] * dq;
        for (int k = 0; k < Z; k++) G.W_s[q * Z + k] = bv * net->p.w_v[q] * dq * z[k];
    }
    double eps[64];
    direct_eps(net, nl, t * K + d->C + 1, eps);
    for (int i = 0; i < N; i++) {
        double L = net->cfg.value_trains_pfc ? bv * rule->b_v[i] : 0.0, Le = 0.0;
        for (int a = 0; a < A; a++) {
            L += rule->B_pi[a * N + i] * gl[a];
            Le += rule->B_pi[a * N + i] * ent[a];
        }
        const double psi = net_act_deriv(net->cfg.activation, rt[i]);
        for (int j = 0; j < I; j++) {
            G.W_in[i * I + j] = L * psi * eps[j];
            Ge.W_in[i * I + j] = ce * Le * psi * eps[j];
        }
        for (int j = 0; j < N; j++) {
            G.W_rec[i * N + j] = L * psi * eps[I + j];
            Ge.W_rec[i * N + j] = ce * Le * psi * eps[I + j];
        }
        G.b[i] = L * psi * eps[I + N];
        Ge.b[i] = ce * Le * psi * eps[I + N];
    }
}

static void check_traces(const Case *c)
{
    Net *net = make_net(c);
    const NetDims *d = &net->d;
    const size_t P = d->n_params;
    NetLane *nl = net_lane_alloc(net);
    const LocalRuleConfig lc = rule_config(c);
    char err[128];
    LocalRule *rule = local_rule_alloc(net, &lc, err, sizeof err);
    LocalTrace *lt = local_trace_alloc(net);
    double *grad = calloc(P, sizeof(double)), *g = calloc(P, sizeof(double)), *ge = calloc(P, sizeof(double));
    double *Ed = calloc(P, sizeof(double)), *want = calloc(P, sizeof(double));
    double *gs = calloc(P * TMAX, sizeof(double));
    double eps[64];
    const double decay = lc.gamma * lc.lambda, ce = c->beta_e * lc.scale;

    gsl_rng *r = rng_alloc();
    rng_seed_episode(r, 4, RNG_STREAM_POLICY, 0);
    net_lane_reset(nl);
    local_trace_reset(net, lt);
    for (int t = 0; t < c->T; t++) {
        double obs = gsl_ran_gaussian(r, 1.0);
        net_forward_step(net, nl, &obs, r);
        local_rule_forward(rule, net, lt, nl, grad);
        direct_eps(net, nl, nl->ns, eps);
        assert_true(rel_diff(lt->eps, eps, 0, (size_t)(d->I + d->N + 1)) < 1e-14);
        net_lane_record(nl, (int)gsl_rng_uniform_int(r, 2), gsl_rng_uniform(r) < 0.4);
        local_rule_record(rule, net, lt, nl, c->beta_e, t == c->T - 1, grad);
        /* E_t = sum_{t' <= t} decay^(t - t') g_t' */
        direct_g(net, nl, rule, t, ce, gs + (size_t)t * P, ge);
        for (size_t k = 0; k < P; k++) {
            Ed[k] = 0.0;
            for (int u = 0; u <= t; u++) Ed[k] += pow(decay, t - u) * gs[(size_t)u * P + k];
        }
        assert_true(rel_diff(lt->E, Ed, 0, P) < 1e-13);
        for (size_t k = 0; k < P; k++) want[k] += ge[k];   /* the entropy terms, at once */
    }
    /* the summed gradient: sum_t -(1/B) Ahat_t g_t + entropy (forward view, a2c.h) */
    double delta[TMAX], adv[TMAX], ret[TMAX];
    striatum_deltas(c->T, nl->reward, nl->V, lc.gamma, delta);
    a2c_advantages_scaled(c->T, delta, lc.delta_scale, nl->V, lc.gamma, lc.lambda, adv, ret);
    for (int t = 0; t < c->T; t++)
        for (size_t k = 0; k < P; k++) want[k] += -lc.scale * adv[t] * gs[(size_t)t * P + k];
    double e = rel_diff(grad, want, 0, P);
    if (e > 1e-12) print_error("summed gradient: relative error %g\n", e);
    assert_true(e < 1e-12);
    gsl_rng_free(r);
    free(grad), free(g), free(ge), free(Ed), free(want), free(gs);
    local_trace_free(lt);
    local_rule_free(rule);
    net_lane_free(nl);
    net_free(net);
}

static void test_traces_direct(void **state)
{
    (void)state;
    const Case a = { NET_TANH, 0.3, 0.1, 2, 1, 1, { 0 }, 6, 0, 0, 0.8, 0.7, 0.05 };
    const Case b = { NET_SOFTPLUS, 0.2, 0.0, 0, 1, 0, { 1, 1, 2, 1 }, 5, 0, 0, 1.0, 1.0, 0.05 };
    check_traces(&a);
    check_traces(&b);
}

/* --------------------------------------------------------- in the trainer */

static const OptSpec run_specs[] = {
    { "run", "seed", NULL, OPT_INT, "1", 0, 4294967295.0, NULL, NULL, "master seed" },
    { "run", "episodes", NULL, OPT_INT, "100", 1, 1e9, NULL, NULL, "episodes" },
    OPT_END
};

static Trainer *trainer_with(const char *rule, const char *workers, int updates, Config **out)
{
    const char *sets[] = { "task.name=reversal", "task.trials=30", "model.hidden=8", "model.striatum_units=2",
                           "model.tau=2", "model.noise=0.1", "train.batch=4", "run.seed=9", rule, workers,
                           NULL };
    char err[256];
    Config *c = config_alloc();
    assert_int_equal(config_declare(c, run_specs), 0);
    assert_int_equal(task_declare(c), 0);
    assert_int_equal(train_declare(c), 0);
    for (const char *const *s = sets; *s; s++) assert_int_equal(config_assign(c, *s, "test", err, sizeof err), 0);
    assert_int_equal(config_finalize(c, err, sizeof err), 0);
    TrainConfig tc;
    assert_int_equal(train_config_from(c, &tc, err, sizeof err), 0);
    Trainer *tr = trainer_alloc(&tc, c, err, sizeof err);
    assert_non_null(tr);
    TrainStats st;
    for (int i = 0; i < updates; i++) assert_int_equal(trainer_iterate(tr, &st), 0);
    *out = c;
    return tr;
}

static void test_trainer_deterministic(void **state)
{
    (void)state;
    Config *c1, *c2, *c3, *c4, *c5;
    Trainer *a = trainer_with("train.rule=eprop", "train.workers=1", 5, &c1);
    Trainer *b = trainer_with("train.rule=eprop", "train.workers=1", 5, &c2);
    Trainer *w = trainer_with("train.rule=eprop", "train.workers=2", 5, &c3);
    Trainer *w2 = trainer_with("train.rule=eprop", "train.workers=2", 5, &c4);
    Trainer *bp = trainer_with("train.rule=bptt", "train.workers=1", 5, &c5);
    size_t P;
    const double *pa = trainer_params(a, &P);
    assert_memory_equal(pa, trainer_params(b, NULL), P * sizeof(double));
    assert_memory_equal(trainer_params(w, NULL), trainer_params(w2, NULL), P * sizeof(double));
    assert_true(memcmp(pa, trainer_params(bp, NULL), P * sizeof(double)) != 0);
    /* a checkpoint after 5 updates, loaded into a fresh trainer, continues bit-identically
    ** (the random feedback is redrawn from the seed, not stored) */
    Config *c6;
    Trainer *f = trainer_with("train.rule=eprop", "train.workers=1", 0, &c6);
    const size_t n = trainer_checkpoint_size(a);
    unsigned char *buf = malloc(n);
    assert_non_null(buf);
    trainer_save(a, buf);
    char err[128];
    assert_int_equal(trainer_load(f, buf, n, err, sizeof err), 0);
    TrainStats st;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(trainer_iterate(a, &st), 0);
        assert_int_equal(trainer_iterate(f, &st), 0);
    }
    assert_memory_equal(trainer_params(a, NULL), trainer_params(f, NULL), P * sizeof(double));
    free(buf);
    trainer_free(f);
    config_free(c6);
    trainer_free(a), trainer_free(b), trainer_free(w), trainer_free(w2), trainer_free(bp);
    config_free(c1), config_free(c2), config_free(c3), config_free(c4), config_free(c5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_traces_direct),
        cmocka_unit_test(test_one_trial_equals_bptt),
        cmocka_unit_test(test_no_recurrence_equals_bptt),
        cmocka_unit_test(test_trainer_deterministic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
