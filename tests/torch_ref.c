/* tests/torch_ref.c: the C side of the PyTorch comparison (tests/torch/).
**
** The PyTorch model in tests/torch/metarl_torch.py is a second, independent
** implementation of the network, the A2C loss and the training loop (model/
** net.h, a2c.h, optim.h, trainer.h), written with autograd instead of the
** hand-derived backward pass of model/net.md. This program runs the C code
** and writes what the Python side needs to redo the same computation and
** compare (llm.c's "reference comparison", STYLE.md B7, with the roles
** reversed: C is the system under test, PyTorch the independent reference).
** It is not a test by itself; tests/cli_torch.sh and tests/bench_torch.sh
** drive it through the scripts in tests/torch/. Modes:
**
**   torch_ref grad [options] --out FILE.json
**       B episodes of T trials through the network API with "high entropy"
**       weights (every parameter N(0, 0.6^2), biases included) or net_init
**       weights: random observations, sampled actions, Bernoulli(1/2)
**       rewards, recorded noise xi. Writes the parameter block, every input,
**       the forward quantities (rates, log pi, V), the held-constant GAE
**       advantages and targets, the loss terms and the gradient of the batch
**       loss (mean over the B episodes, lanes summed in order as in
**       model/trainer.c), then K optimizer steps (clip + RMSProp/Adam,
**       model/optim.h) on the SAME recorded episodes (advantages recomputed
**       from each new forward pass): loss, gradient norm, parameters after
**       each step.
**   torch_ref trainer [--config F] [--set s.k=v]... --iters K --out FILE.json
**       K iterations of the real trainer (model/trainer.c) on the configured
**       task: the initial parameters, then per batch the actions and rewards
**       of every lane, the lr and beta_e used, the loss, the gradient norm
**       and the parameters after the update. Requires model.noise = 0 (the
**       trainer does not expose its noise samples).
**   torch_ref info [--config F] [--set s.k=v]...
**       One JSON object: the network's dimensions, net_flops_per_step, and
**       every resolved [task]/[model]/[train]/[run]/[test] setting that the
**       Python trainer needs, so both sides train with the same settings.
**   torch_ref eval --params FILE [--config F] [--set s.k=v]...
**       Frozen-weight test of a parameter block (P raw native doubles), done
**       exactly as `metarl test` does it (test.seed, test.episodes, the
**       RNG_STREAM_TEST_* streams, model/runner.c): mean regret and its
**       standard error as one JSON object.
**   torch_ref ttt [--config F] [--set s.k=v]... [--target R] [--every E]
**       Time to target: train with model/trainer.c and, every E episodes,
**       test the frozen weights as `eval` does; one JSON line per test with
**       the training wall time so far (tests excluded). Stops at the first
**       test whose regret is below R, or at run.episodes.
**
** JSON numbers are printed with %.17g, which round-trips doubles exactly.
*/
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "core/config.h"
#include "core/episode.h"
#include "core/rng.h"
#include "model/a2c.h"
#include "model/agent.h"
#include "model/net.h"
#include "model/net_agent.h"
#include "model/optim.h"
#include "model/runner.h"
#include "model/striatum.h"
#include "model/train_settings.h"
#include "model/trainer.h"
#include "tasks/task.h"

/* ------------------------------------------------------------ JSON output */

static void jarr(FILE *f, const double *x, size_t n)
{
    fputc('[', f);
    for (size_t i = 0; i < n; i++) fprintf(f, i ? ",%.17g" : "%.17g", x[i]);
    fputc(']', f);
}

static void jiarr(FILE *f, const int *x, size_t n)
{
    fputc('[', f);
    for (size_t i = 0; i < n; i++) fprintf(f, i ? ",%d" : "%d", x[i]);
    fputc(']', f);
}

static const char *act_name(NetActivation f)
{
    return f == NET_RELU ? "relu" : f == NET_SOFTPLUS ? "softplus" : "tanh";
}

static void jnetcfg(FILE *f, const Net *net)
{
    const NetConfig *c = &net->cfg;
    const NetDims *d = &net->d;
    fprintf(f, "{\"N\":%d,\"S\":%d,\"A\":%d,\"O\":%d,\"T_max\":%d,\"critic_input\":%d,"
               "\"value_trains_pfc\":%d,\"time_input\":%d,\"activation\":\"%s\",\"alpha\":%.17g,"
               "\"noise_sd\":%.17g,\"init\":\"%s\",\"gain\":%.17g,"
               "\"I\":%d,\"Z\":%d,\"Zv\":%d,\"P\":%zu,\"flops_per_step\":%.17g,\"sizes\":[",
            d->N, d->S, d->A, d->O, d->T_max, c->critic_input, c->value_trains_pfc, c->time_input,
            act_name(c->activation), c->alpha, c->noise_sd,
            c->init == NET_INIT_ORTHOGONAL ? "orthogonal" : "gaussian", c->gain, d->I, d->Z, d->Zv,
            d->n_params, net_flops_per_step(d));
    /* the 9 tensors of the A2C network: the torch reference has no outcome-prediction
    ** readout (W_p, b_p: empty unless train.beta_pred > 0) */
    for (int i = 0; i < 9; i++) fprintf(f, i ? ",%zu" : "%zu", d->sizes[i]);
    fprintf(f, "]}");
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* CPU seconds of the whole process (all threads): what a loaded machine disturbs least */
static double cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int usage(void)
{
    fprintf(stderr,
            "usage: torch_ref grad [--N n --S n --A n --O n --T n --B n --act tanh|relu|softplus\n"
            "                       --alpha x --noise x --critic-input 0|1 --vtp 0|1 --time-input 0|1\n"
            "                       --init entropy|net --seed n --gamma x --lambda x --beta-v x --beta-e x\n"
            "                       --optim rmsprop|adam --lr x --rho x --beta1 x --beta2 x --eps x\n"
            "                       --clip x --K n] --out FILE\n"
            "       torch_ref trainer [--config F] [--set s.k=v]... [--iters K] --out FILE\n"
            "       torch_ref info    [--config F] [--set s.k=v]...\n"
            "       torch_ref eval    --params FILE [--config F] [--set s.k=v]...\n"
            "       torch_ref ttt     [--config F] [--set s.k=v]... [--target R] [--every E]\n");
    return 2;
}

/* ------------------------------------------------------------- grad mode */

typedef struct {
    int N, S, A, O, T, B, K;
    NetActivation act;
    double alpha, noise;
    int critic_input, vtp, time_input, init_net;
    unsigned long seed;
    double gamma, lambda, beta_v, beta_e, clip;
    OptimConfig oc;
    const char *out;
} GradOpts;

/* Forward every lane over its recorded episode with the current weights
** (noise replayed), then advantages, loss and the batch gradient (lanes
** summed in order, each scaled 1/B as model/trainer.c does). Return the
** batch loss (mean of the lanes' losses) and fill terms[B]. */
static double batch_grad(Net *net, NetLane **lanes, const GradOpts *o, const double *obs,
                         const int *action, const double *reward, double *adv, double *ret,
                         double *dlogits, double *dV, double *lane_grad, double *grad,
                         A2cTerms *terms)
{
    const int T = o->T, A = o->A, O = o->O, B = o->B;
    const size_t P = net->d.n_params;
    double loss = 0.0;
    net_refresh(net);
    for (int b = 0; b < B; b++) {
        NetLane *L = lanes[b];
        net_lane_reset(L);
        for (int t = 0; t < T; t++) {
            net_forward_step(net, L, O ? obs + ((size_t)b * T + t) * O : NULL, NULL);
            net_lane_record(L, action[b * T + t], reward[b * T + t]);
        }
        double *ad = adv + (size_t)b * T, *rt = ret + (size_t)b * T;
        striatum_deltas(T, L->reward, L->V, o->gamma, ad);
        a2c_advantages(T, ad, L->V, o->gamma, o->lambda, ad, rt);
        a2c_loss(T, A, L->logp, L->probs, L->action, ad, rt, L->V, o->beta_v, o->beta_e,
                 1.0 / B, dlogits, dV, &terms[b]);
        memset(lane_grad, 0, P * sizeof(double));
        net_backward(net, L, dlogits, dV, lane_grad);
        if (b == 0) memcpy(grad, lane_grad, P * sizeof(double));
        else
            for (size_t i = 0; i < P; i++) grad[i] += lane_grad[i];
        loss += terms[b].loss;
    }
    return loss / B;
}

/* grad mode's options into o (its defaults already set); -1 on a bad one. */
static int grad_parse(int argc, char **argv, GradOpts *o)
{
    static const struct option opts[] = {
        { "N", 1, 0, 'N' }, { "S", 1, 0, 'S' }, { "A", 1, 0, 'A' }, { "O", 1, 0, 'O' },
        { "T", 1, 0, 'T' }, { "B", 1, 0, 'B' }, { "K", 1, 0, 'K' }, { "act", 1, 0, 'f' },
        { "alpha", 1, 0, 'a' }, { "noise", 1, 0, 'n' }, { "critic-input", 1, 0, 'c' },
        { "vtp", 1, 0, 'v' }, { "time-input", 1, 0, 't' }, { "init", 1, 0, 'i' },
        { "seed", 1, 0, 's' }, { "gamma", 1, 0, 'g' }, { "lambda", 1, 0, 'l' },
        { "beta-v", 1, 0, 'V' }, { "beta-e", 1, 0, 'E' }, { "optim", 1, 0, 'o' },
        { "lr", 1, 0, 'r' }, { "rho", 1, 0, 'R' }, { "beta1", 1, 0, '1' }, { "beta2", 1, 0, '2' },
        { "eps", 1, 0, 'e' }, { "clip", 1, 0, 'C' }, { "out", 1, 0, 'w' }, { 0, 0, 0, 0 }
    };
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'N': o->N = atoi(optarg); break;
        case 'S': o->S = atoi(optarg); break;
        case 'A': o->A = atoi(optarg); break;
        case 'O': o->O = atoi(optarg); break;
        case 'T': o->T = atoi(optarg); break;
        case 'B': o->B = atoi(optarg); break;
        case 'K': o->K = atoi(optarg); break;
        case 'f':
            if (!strcmp(optarg, "tanh")) o->act = NET_TANH;
            else if (!strcmp(optarg, "relu")) o->act = NET_RELU;
            else if (!strcmp(optarg, "softplus")) o->act = NET_SOFTPLUS;
            else return -1;
            break;
        case 'a': o->alpha = atof(optarg); break;
        case 'n': o->noise = atof(optarg); break;
        case 'c': o->critic_input = atoi(optarg); break;
        case 'v': o->vtp = atoi(optarg); break;
        case 't': o->time_input = atoi(optarg); break;
        case 'i': o->init_net = !strcmp(optarg, "net"); break;
        case 's': o->seed = strtoul(optarg, NULL, 10); break;
        case 'g': o->gamma = atof(optarg); break;
        case 'l': o->lambda = atof(optarg); break;
        case 'V': o->beta_v = atof(optarg); break;
        case 'E': o->beta_e = atof(optarg); break;
        case 'o': o->oc.kind = !strcmp(optarg, "adam") ? OPTIM_ADAM : OPTIM_RMSPROP; break;
        case 'r': o->oc.lr = atof(optarg); break;
        case 'R': o->oc.rho = atof(optarg); break;
        case '1': o->oc.beta1 = atof(optarg); break;
        case '2': o->oc.beta2 = atof(optarg); break;
        case 'e': o->oc.eps = atof(optarg); break;
        case 'C': o->clip = atof(optarg); break;
        case 'w': o->out = optarg; break;
        default: return -1;
        }
    }
    return o->out && o->B >= 1 && o->T >= 1 && o->K >= 0 ? 0 : -1;
}

/* The recorded episodes and their forward and backward quantities, as the
** first part of grad mode's JSON (the optimiser steps follow). */
static void grad_write_episodes(FILE *f, const Net *net, NetLane *const *lanes, const GradOpts *o,
                                const double *params0, const double *obs, const int *action,
                                const double *reward, const double *adv, const double *ret,
                                const A2cTerms *terms, double loss, const double *grad)
{
    const int B = o->B, T = o->T, A = o->A, O = o->O, N = o->N;
    const size_t P = net->d.n_params;
    fprintf(f, "{\"mode\":\"grad\",\"net\":");
    jnetcfg(f, net);
    fprintf(f, ",\n\"B\":%d,\"T\":%d,\"seed\":%lu,\"gamma\":%.17g,\"lambda\":%.17g,"
               "\"beta_v\":%.17g,\"beta_e\":%.17g,\n\"params\":",
            B, T, o->seed, o->gamma, o->lambda, o->beta_v, o->beta_e);
    jarr(f, params0, P);
    fprintf(f, ",\n\"obs\":");
    jarr(f, obs, (size_t)B * T * O);
    fprintf(f, ",\n\"xi\":");
    if (o->noise > 0.0) {
        fputc('[', f);
        for (int b = 0; b < B; b++) {
            if (b) fputc(',', f);
            jarr(f, lanes[b]->xi, (size_t)T * N);
        }
        fputc(']', f);
    } else {
        fprintf(f, "null");
    }
    fprintf(f, ",\n\"action\":");
    jiarr(f, action, (size_t)B * T);
    fprintf(f, ",\n\"reward\":");
    jarr(f, reward, (size_t)B * T);
    /* forward quantities, lane by lane (B, T, .) flattened */
    const char *names[4] = { "rates", "logp", "V", "h" };
    for (int q = 0; q < 4; q++) {
        fprintf(f, ",\n\"%s\":[", names[q]);
        for (int b = 0; b < B; b++) {
            const NetLane *L = lanes[b];
            if (b) fputc(',', f);
            if (q == 0) jarr(f, L->r, (size_t)T * N);
            else if (q == 1) jarr(f, L->logp, (size_t)T * A);
            else if (q == 2) jarr(f, L->V, (size_t)T);
            else jarr(f, L->h, (size_t)T * o->S);
        }
        fputc(']', f);
    }
    fprintf(f, ",\n\"adv\":");
    jarr(f, adv, (size_t)B * T);
    fprintf(f, ",\n\"ret\":");
    jarr(f, ret, (size_t)B * T);
    fprintf(f, ",\n\"terms\":[");
    for (int b = 0; b < B; b++)
        fprintf(f, "%s{\"policy\":%.17g,\"value\":%.17g,\"entropy\":%.17g,\"loss\":%.17g}",
                b ? "," : "", terms[b].policy, terms[b].value, terms[b].entropy, terms[b].loss);
    fprintf(f, "],\n\"loss\":%.17g,\n\"grad\":", loss);
    jarr(f, grad, P);

}

static int grad_mode(int argc, char **argv)
{
    GradOpts o = { .N = 5, .S = 3, .A = 2, .O = 1, .T = 6, .B = 1, .K = 3, .act = NET_TANH,
                   .alpha = 1.0, .noise = 0.0, .critic_input = 1, .vtp = 1, .time_input = 1,
                   .init_net = 0, .seed = 1, .gamma = 0.9, .lambda = 0.8, .beta_v = 0.5,
                   .beta_e = 0.1, .clip = 40.0,
                   .oc = { OPTIM_RMSPROP, 1e-2, 0.99, 0.9, 0.999, 1e-5 }, .out = NULL };
    if (grad_parse(argc, argv, &o) != 0) return usage();

    NetConfig nc = { .n_hidden = o.N, .n_striatum = o.S, .n_actions = o.A, .obs_dim = o.O,
                     .max_trials = o.T, .critic_input = o.critic_input, .value_trains_pfc = o.vtp,
                     .time_input = o.time_input, .activation = o.act, .alpha = o.alpha,
                     .noise_sd = o.noise, .init = NET_INIT_GAUSSIAN, .gain = 1.0 };
    char err[256];
    Net *net = net_alloc(&nc, err, sizeof err);
    if (!net) {
        fprintf(stderr, "torch_ref: %s\n", err);
        return 1;
    }
    const int B = o.B, T = o.T, A = o.A, O = o.O;
    const size_t P = net->d.n_params;
    NetLane **lanes = calloc((size_t)B, sizeof *lanes);
    double *obs = calloc((size_t)B * T * (O ? O : 1), sizeof(double));
    int *action = calloc((size_t)B * T, sizeof(int));
    double *reward = calloc((size_t)B * T, sizeof(double));
    double *adv = calloc((size_t)B * T, sizeof(double)), *ret = calloc((size_t)B * T, sizeof(double));
    double *dlogits = calloc((size_t)T * A, sizeof(double)), *dV = calloc((size_t)T, sizeof(double));
    double *lane_grad = calloc(P, sizeof(double)), *grad = calloc(P, sizeof(double));
    double *params0 = calloc(P, sizeof(double));
    A2cTerms *terms = calloc((size_t)B, sizeof *terms);
    gsl_rng *r = rng_alloc();
    Optim *opt = optim_alloc(&o.oc, P);
    FILE *f = fopen(o.out, "w");
    int rc = 1;
    if (!lanes || !obs || !action || !reward || !adv || !ret || !dlogits || !dV || !lane_grad
        || !grad || !params0 || !terms || !r || !opt || !f) {
        fprintf(stderr, "torch_ref: out of memory or cannot write %s\n", o.out);
        goto done;
    }
    for (int b = 0; b < B; b++)
        if (!(lanes[b] = net_lane_alloc(net))) goto done;

    rng_seed_episode(r, o.seed, RNG_STREAM_INIT, 0);
    if (o.init_net) {
        if (net_init(net, r) != 0) goto done;
    } else {
        for (size_t i = 0; i < P; i++) net->params[i] = gsl_ran_gaussian(r, 0.6);
    }
    net_refresh(net);
    memcpy(params0, net->params, P * sizeof(double));

    /* play: noise drawn, actions sampled from the policy, coin-flip rewards */
    for (int b = 0; b < B; b++) {
        NetLane *L = lanes[b];
        rng_seed_episode(r, o.seed, RNG_STREAM_POLICY, (uint64_t)b);
        net_lane_reset(L);
        for (int t = 0; t < T; t++) {
            double *ob = obs + ((size_t)b * T + t) * O;
            for (int k = 0; k < O; k++) ob[k] = gsl_ran_gaussian(r, 1.0);
            net_forward_step(net, L, O ? ob : NULL, r);
            action[b * T + t] = rng_categorical(net_lane_probs(net, L), A, r);
            reward[b * T + t] = gsl_rng_uniform(r) < 0.5 ? 1.0 : 0.0;
            net_lane_record(L, action[b * T + t], reward[b * T + t]);
        }
    }
    /* The noise samples stay in each lane's xi; batch_grad replays them. */
    double loss = batch_grad(net, lanes, &o, obs, action, reward, adv, ret, dlogits, dV,
                             lane_grad, grad, terms);

    grad_write_episodes(f, net, lanes, &o, params0, obs, action, reward, adv, ret, terms, loss, grad);

    /* K optimizer steps on the same recorded episodes */
    fprintf(f, ",\n\"optim\":{\"kind\":\"%s\",\"lr\":%.17g,\"rho\":%.17g,\"beta1\":%.17g,"
               "\"beta2\":%.17g,\"eps\":%.17g,\"clip\":%.17g},\n\"steps\":[",
            o.oc.kind == OPTIM_ADAM ? "adam" : "rmsprop", o.oc.lr, o.oc.rho, o.oc.beta1, o.oc.beta2,
            o.oc.eps, o.clip);
    for (int k = 0; k < o.K; k++) {
        if (k > 0)
            loss = batch_grad(net, lanes, &o, obs, action, reward, adv, ret, dlogits, dV,
                              lane_grad, grad, terms);
        double norm = optim_clip(grad, P, o.clip);
        optim_step(opt, net->params, grad);
        fprintf(f, "%s\n{\"loss\":%.17g,\"grad_norm\":%.17g,\"params\":", k ? "," : "", loss, norm);
        jarr(f, net->params, P);
        fputc('}', f);
    }
    fprintf(f, "]}\n");
    rc = ferror(f) ? 1 : 0;
done:
    if (f && fclose(f) != 0) rc = 1;
    if (lanes)
        for (int b = 0; b < B; b++) net_lane_free(lanes[b]);
    free(lanes);
    free(obs);
    free(action);
    free(reward);
    free(adv);
    free(ret);
    free(dlogits);
    free(dV);
    free(lane_grad);
    free(grad);
    free(params0);
    free(terms);
    if (r) gsl_rng_free(r);
    optim_free(opt);
    net_free(net);
    return rc;
}

/* --------------------------------------------- settings for the other modes */

/* [run] and [test] as `metarl train` and `metarl test` declare them
** (cli/cmd_train.c, cli/cmd_test.c; the cli objects are not in libmetarl.a),
** so that the files in data/configs load unchanged. */
static const OptSpec run_specs[] = {
    { "run", "seed", NULL, OPT_INT, "1", 0, 4294967295.0, NULL, NULL, "master seed" },
    { "run", "episodes", NULL, OPT_INT, "20000", 1, 1e12, NULL, NULL, "training episodes" },
    { "run", "record_every", NULL, OPT_INT, "1000", 0, 1e12, NULL, NULL, "unused here" },
    { "test", "episodes", NULL, OPT_INT, "2000", 1, 1e9, NULL, NULL, "test episodes" },
    { "test", "seed", NULL, OPT_INT, "1000001", 0, 4294967295.0, NULL, NULL, "test seed" },
    { "test", "agents", NULL, OPT_STRING, "auto", 0, 0, NULL, NULL, "unused here" },
    { "test", "activity", NULL, OPT_BOOL, "true", 0, 0, NULL, NULL, "unused here" },
    { "test", "batch", NULL, OPT_INT, "100", 1, 1e6, NULL, NULL, "unused here" },
    OPT_END
};

typedef struct {
    Config *cfg;
    TrainConfig tc;
    const char *out, *params;
    double target;
    long every;
    int iters;
} Settings;

/* Parse --config/--set (and the mode's own flags) into a finalized Config
** and its TrainConfig. Return 0, or -1 with a message on stderr. */
static int settings_parse(int argc, char **argv, Settings *s)
{
    char err[1024];
    static const struct option opts[] = {
        { "config", 1, 0, 'c' }, { "set", 1, 0, 's' }, { "out", 1, 0, 'o' },
        { "params", 1, 0, 'p' }, { "target", 1, 0, 't' }, { "every", 1, 0, 'e' },
        { "iters", 1, 0, 'k' }, { 0, 0, 0, 0 }
    };
    s->cfg = config_alloc();
    if (!s->cfg || config_declare(s->cfg, run_specs) || task_declare(s->cfg) || train_declare(s->cfg)) {
        fprintf(stderr, "torch_ref: out of memory\n");
        return -1;
    }
    /* the file first, then every --set in order (metarl's precedence) */
    for (int pass = 0; pass < 2; pass++) {
        int ch;
        optind = 1;
        while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
            int bad = 0;
            switch (ch) {
            case 'c': if (pass == 0) bad = config_load_ini(s->cfg, optarg, err, sizeof err); break;
            case 's': if (pass == 1) bad = config_assign(s->cfg, optarg, "--set", err, sizeof err); break;
            case 'o': s->out = optarg; break;
            case 'p': s->params = optarg; break;
            case 't': s->target = atof(optarg); break;
            case 'e': s->every = atol(optarg); break;
            case 'k': s->iters = atoi(optarg); break;
            default: usage(); return -1;
            }
            if (bad) {
                fprintf(stderr, "torch_ref: %s\n", err);
                return -1;
            }
        }
    }
    if (config_finalize(s->cfg, err, sizeof err) || train_config_from(s->cfg, &s->tc, err, sizeof err)) {
        fprintf(stderr, "torch_ref: %s\n", err);
        return -1;
    }
    return 0;
}

static void jtrain(FILE *f, const Settings *s, const TaskInfo *ti)
{
    const TrainConfig *tc = &s->tc;
    const Config *c = s->cfg;
    fprintf(f, "{\"task\":\"%s\",\"dist\":\"%s\",\"trials\":%ld,\"n_actions\":%d,\"obs_dim\":%d,",
            config_str(c, "task", "name"),
            strcmp(config_str(c, "task", "name"), "bandit") ? "" : config_str(c, "task", "dist"),
            config_int(c, "task", "trials"), ti->n_actions, ti->obs_dim);
    fprintf(f, "\"batch\":%d,\"optimizer\":\"%s\",\"lr\":%.17g,\"lr_final\":%.17g,\"rho\":%.17g,"
               "\"beta1\":%.17g,\"beta2\":%.17g,\"eps\":%.17g,\"gamma\":%.17g,\"gae_lambda\":%.17g,"
               "\"beta_v\":%.17g,\"beta_e\":%.17g,\"beta_e_final\":%.17g,\"anneal_episodes\":%ld,"
               "\"clip_norm\":%.17g,\"seed\":%llu,\"episodes\":%ld,\"test_episodes\":%ld,"
               "\"test_seed\":%ld}",
            tc->batch, tc->optim.kind == OPTIM_ADAM ? "adam" : "rmsprop", tc->optim.lr, tc->lr_final,
            tc->optim.rho, tc->optim.beta1, tc->optim.beta2, tc->optim.eps, tc->gamma, tc->gae_lambda,
            tc->beta_v, tc->beta_e, tc->beta_e_final, tc->anneal_episodes, tc->clip_norm,
            (unsigned long long)tc->seed, tc->episodes, config_int(c, "test", "episodes"),
            config_int(c, "test", "seed"));
}

/* Frozen-weight test of params, as `metarl test` does it (cli/cmd_test.c,
** cli/evaluate.c): episode e of the test seed meets the instance and coins of
** (test.seed, RNG_STREAM_TEST_TASK, e) and samples from (test.seed,
** RNG_STREAM_TEST_POLICY, e). Return 0 with the mean regret and its standard
** error, or -1. */
static int frozen_test(const Settings *s, const double *params, double *mean, double *se)
{
    char err[512];
    const long E = config_int(s->cfg, "test", "episodes");
    const uint64_t seed = (uint64_t)config_int(s->cfg, "test", "seed");
    Task *task = task_alloc(s->cfg, err, sizeof err);
    void *st = task ? net_agent_alloc(&s->tc, &task->info, params, err, sizeof err) : NULL;
    Agent *agent = st ? agent_wrap(agent_type_network, st) : NULL;
    EpisodeRecord *rec = task ? episode_alloc(task->info.max_trials, 0) : NULL;
    gsl_rng *rt = rng_alloc(), *ra = rng_alloc();
    int rc = -1;
    if (!agent || !rec || !rt || !ra) {
        fprintf(stderr, "torch_ref: %s\n", task && st && !agent ? "out of memory" : err);
        if (st && !agent) agent_type_network->free(st);
        goto done;
    }
    double sum = 0.0, sum2 = 0.0;
    for (long e = 0; e < E; e++) {
        rng_seed_episode(rt, seed, RNG_STREAM_TEST_TASK, (uint64_t)e);
        rng_seed_episode(ra, seed, RNG_STREAM_TEST_POLICY, (uint64_t)e);
        runner_episode(task, agent, rt, ra, s->tc.gamma, rec);
        sum += rec->regret;
        sum2 += rec->regret * rec->regret;
    }
    *mean = sum / E;
    *se = E > 1 ? sqrt(fmax(0.0, (sum2 - sum * sum / E) / (E - 1)) / E) : NAN;
    rc = isfinite(*mean) ? 0 : -1;
    if (rc) fprintf(stderr, "torch_ref: the task has no regret (no ground truth)\n");
done:
    agent_free(agent);
    episode_free(rec);
    task_free(task);
    if (rt) gsl_rng_free(rt);
    if (ra) gsl_rng_free(ra);
    return rc;
}

static int info_mode(Settings *s)
{
    char err[512];
    Trainer *tr = trainer_alloc(&s->tc, s->cfg, err, sizeof err);
    if (!tr) {
        fprintf(stderr, "torch_ref: %s\n", err);
        return 1;
    }
    printf("{\"net\":");
    jnetcfg(stdout, trainer_net(tr));
    printf(",\"train\":");
    jtrain(stdout, s, trainer_task_info(tr));
    printf("}\n");
    trainer_free(tr);
    return 0;
}

static int eval_mode(Settings *s)
{
    char err[512];
    if (!s->params) return usage();
    Trainer *tr = trainer_alloc(&s->tc, s->cfg, err, sizeof err);   /* for P */
    if (!tr) {
        fprintf(stderr, "torch_ref: %s\n", err);
        return 1;
    }
    size_t P;
    trainer_params(tr, &P);
    trainer_free(tr);
    double *params = malloc((P + 1) * sizeof(double));   /* +1: detect a longer file */
    FILE *f = fopen(s->params, "rb");
    size_t got = params && f ? fread(params, sizeof(double), P + 1, f) : 0;
    if (f) fclose(f);
    if (got != P) {
        fprintf(stderr, "torch_ref: %s: expected exactly %zu doubles (%s)\n", s->params, P,
                got > P ? "the file is longer" : "the file is shorter or unreadable");
        free(params);
        return 1;
    }
    double mean, se;
    int rc = frozen_test(s, params, &mean, &se);
    if (rc == 0)
        printf("{\"regret\":%.17g,\"regret_se\":%.17g,\"episodes\":%ld}\n", mean, se,
               config_int(s->cfg, "test", "episodes"));
    free(params);
    return rc ? 1 : 0;
}

static int trainer_mode(Settings *s)
{
    char err[512];
    if (!s->out) return usage();
    if (s->tc.noise != 0.0) {
        fprintf(stderr, "torch_ref trainer: needs model.noise = 0 (the trainer does not expose its noise samples)\n");
        return 1;
    }
    Trainer *tr = trainer_alloc(&s->tc, s->cfg, err, sizeof err);
    if (!tr) {
        fprintf(stderr, "torch_ref: %s\n", err);
        return 1;
    }
    const TaskInfo *ti = trainer_task_info(tr);
    const int B = s->tc.batch, K = s->iters > 0 ? s->iters : 3;
    size_t P;
    const double *params = trainer_params(tr, &P);
    EpisodeRecord *rec = episode_alloc(ti->max_trials, 0);
    FILE *f = fopen(s->out, "w");
    int rc = 1;
    if (!rec || !f) goto done;
    fprintf(f, "{\"mode\":\"trainer\",\"net\":");
    jnetcfg(f, trainer_net(tr));
    fprintf(f, ",\n\"train\":");
    jtrain(f, s, ti);
    fprintf(f, ",\n\"params0\":");
    jarr(f, params, P);
    fprintf(f, ",\n\"batches\":[");
    for (int k = 0; k < K; k++) {
        TrainStats st;
        if (trainer_iterate(tr, &st) != 0) {
            fprintf(stderr, "torch_ref: not finite at batch %d\n", k);
            goto done;
        }
        fprintf(f, "%s\n{\"episode\":%ld,\"lr\":%.17g,\"beta_e\":%.17g,\"loss\":%.17g,"
                   "\"grad_norm\":%.17g,\"lanes\":[",
                k ? "," : "", st.episode, st.lr, st.beta_e, st.loss, st.grad_norm);
        for (int b = 0; b < B; b++) {
            if (trainer_last_episode(tr, b, rec) != 0) goto done;
            int act[rec->n_trials];
            double rew[rec->n_trials], pol[rec->n_trials], val[rec->n_trials];
            for (int t = 0; t < rec->n_trials; t++) {
                act[t] = rec->trials[t].action;
                rew[t] = rec->trials[t].reward;
                pol[t] = rec->trials[t].probs[0];
                val[t] = rec->trials[t].value;
            }
            fprintf(f, "%s{\"action\":", b ? "," : "");
            jiarr(f, act, (size_t)rec->n_trials);
            fprintf(f, ",\"reward\":");
            jarr(f, rew, (size_t)rec->n_trials);
            fprintf(f, ",\"p0\":");
            jarr(f, pol, (size_t)rec->n_trials);
            fprintf(f, ",\"V\":");
            jarr(f, val, (size_t)rec->n_trials);
            fprintf(f, ",\"regret\":%.17g,\"policy_loss\":%.17g,\"value_loss\":%.17g}", st.ep[b].regret,
                    st.ep[b].policy_loss, st.ep[b].value_loss);
        }
        fprintf(f, "],\"params\":");
        jarr(f, params, P);
        fputc('}', f);
    }
    fprintf(f, "]}\n");
    rc = ferror(f) ? 1 : 0;
done:
    if (f && fclose(f) != 0) rc = 1;
    episode_free(rec);
    trainer_free(tr);
    return rc;
}

static int ttt_mode(Settings *s)
{
    char err[512];
    const double target = s->target > 0 ? s->target : 2.80;
    const long every = s->every > 0 ? s->every : 1000;
    Trainer *tr = trainer_alloc(&s->tc, s->cfg, err, sizeof err);
    if (!tr) {
        fprintf(stderr, "torch_ref: %s\n", err);
        return 1;
    }
    double train_s = 0.0, train_cpu = 0.0;
    long next = every;
    int rc = 1;
    while (trainer_episode(tr) < s->tc.episodes) {
        double t0 = now_s(), c0 = cpu_s();
        int bad = trainer_iterate(tr, NULL);
        train_s += now_s() - t0;
        train_cpu += cpu_s() - c0;
        if (bad) {
            fprintf(stderr, "torch_ref: not finite at episode %ld\n", trainer_episode(tr));
            goto done;
        }
        long e = trainer_episode(tr);
        if (e >= next || e >= s->tc.episodes) {
            while (next <= e) next += every;
            double mean, se, t1 = now_s();
            if (frozen_test(s, trainer_params(tr, NULL), &mean, &se) != 0) goto done;
            printf("{\"episode\":%ld,\"train_s\":%.6f,\"train_cpu_s\":%.3f,\"test_s\":%.3f,\"regret\":%.6f,"
                   "\"regret_se\":%.6f}\n",
                   e, train_s, train_cpu, now_s() - t1, mean, se);
            fflush(stdout);
            if (mean < target) break;
        }
    }
    rc = 0;
done:
    trainer_free(tr);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) return usage();
    const char *mode = argv[1];
    if (!strcmp(mode, "grad")) return grad_mode(argc - 1, argv + 1);
    Settings s = { 0 };
    int rc;
    if (settings_parse(argc - 1, argv + 1, &s) != 0) rc = 2;
    else if (!strcmp(mode, "info")) rc = info_mode(&s);
    else if (!strcmp(mode, "eval")) rc = eval_mode(&s);
    else if (!strcmp(mode, "trainer")) rc = trainer_mode(&s);
    else if (!strcmp(mode, "ttt")) rc = ttt_mode(&s);
    else rc = usage();
    config_free(s.cfg);
    return rc;
}
