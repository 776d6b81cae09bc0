/* model/net.h: the prefrontal rate network with its striatal critic.
**
** A network of N leaky rate units (the "prefrontal cortex" of Wang et al.
** 2018, Nature Neuroscience 21:860) reads the task's observation together
** with its own previous action and reward, and carries its state from trial
** to trial through a whole episode. A softmax readout of the rates is the
** policy (actor); a separate "striatal" module reads the rates and gives the
** value estimate (critic, model/striatum.h), as in Blanco-Pozo et al. 2024.
** Per trial t:
**
**   u_t = [ obs_t , onehot(a_{t-1}) , r_{t-1} , t/T_clock (if time_input) ]
**         (a_{-1}: all zeros, r_{-1} = 0; T_clock: the steps per episode of
**         the task it was trained on, NetConfig.clock_trials)
**   x_t = (1-alpha) x_{t-1} + alpha (W_rec r_{t-1} + W_in u_t + b) + sigma xi_t
**   r_t = f(x_t),     f = tanh | relu | softplus,   x_{-1} = r_{-1} = 0
**   logits_t = W_pi r_t + b_pi,   pi_t = softmax(logits_t)
**   z_t = r_t   or, with critic_input, [ r_t , onehot(a_{t-1}) , r_{t-1} ]
**   S > 0:  h_t = f(W_s z_t + b_s),   V_t = w_v . h_t + b_v
**   S = 0:  V_t = w_v . z_t + b_v
**   predict:  yhat_t = W_p r_t + b_p   (A: the reward each action would bring)
**
** alpha = dt/tau (alpha = 1 is a vanilla RNN); xi_t ~ N(0, I) is drawn from
** the policy generator (sigma = 0: no draws). With value_trains_pfc = 0 the
** gradient of anything reaching the critic stops at z_t: the value loss
** trains only W_s, b_s, w_v, b_v. With value_trains_pfc = 1 it also flows
** into the prefrontal weights (Wang et al. 2018's shared network).
** model/net.md derives the backward pass.
**
** Time within a trial (ep_* > 0, model.epochs): each trial is K = fix +
** choice + outcome + iti steps s = t K + e of the same equation (x, r, xi
** indexed by step; x_{s-1}, r_{s-1} the previous step's, across trials):
**   fixation and choice steps:  u_s = [ obs_t , 0 , 0 , t/T_clock ]
**   outcome steps:              u_s = [ 0 , onehot(a_t) , r_t , t/T_clock ]
**   inter-trial steps:          u_s = [ 0 , 0 , 0 , t/T_clock ]
** pi_t and V_t read r at the last choice step C = fix + choice - 1 (z_t's
** critic_input part is onehot(a_{t-1}), r_{t-1} as above), and the outcome
** and inter-trial steps of trial t run once a_t and r_t are recorded, at the
** start of trial t+1's forward step (the last trial's never run: nothing reads
** them). Without epochs K = 1, C = 0 and every step is the trial above.
**
** Shape legend:
**   N = prefrontal units, S = striatal units (0 = linear critic),
**   A = actions, O = obs_dim, I = O + A + 1 (+1 with time_input) inputs,
**   Z = N (+ A + 1 with critic_input) critic inputs, Zv = S if S > 0 else Z,
**   T = trials of the episode so far (<= T_max), P = parameter count.
**
** Objects:
**   Net      the configuration, ONE parameter block of P doubles with named
**            pointers into it (NetParams), and copies of W_rec, W_in and W_s
**            laid out for the products (transposed for the forward pass;
**            refresh them with net_refresh() after changing the block).
**   NetLane  one episode's workspace: everything the forward pass computed
**            for each trial (for BPTT) and the backward scratch. Allocated
**            once; nothing is allocated per step. A trainer keeps one lane
**            per batch episode (and, later, lanes can be split over threads:
**            a lane is touched only by the thread that owns it).
**
** Per trial, the caller does:
**     net_forward_step(net, lane, obs, r);    pi in net_lane_probs(lane)
**     a = rng_categorical(probs, A, r);       (core/rng.h; or any choice)
**     net_lane_record(lane, a, reward);        input of the next trial
** and after the episode, with dlogits (T,A) and dV (T) from model/a2c.h:
**     net_backward(net, lane, dlogits, dV, grad);   grad += dL/dparams
**
** Determinism: every sum is taken in a fixed order written in the source
** (no reassociation, no FMA contraction; see net_kernels.c), so the same parameters,
** inputs and random numbers give bit-identical results.
**
** Precision (cfg.single, model.precision = double | single): double is the
** reference (gradient checks, tests, every default). Single runs the matrix
** products (every net_comb_run: forward, the backward sweep, the weight
** gradients) in float32 with one explicit fused multiply-add per term, in the
** same fixed order, on float copies of the weights and of the lane's rows; the
** sums are rounded to double on the way out, and everything else (leak,
** rate function, softmax, critic dot products, loss, optimizer, parameters,
** checkpoints) stays double. fmaf is correctly rounded, so its AVX2 and
** portable paths give identical bits (net_kernels_f.c): single precision is
** as deterministic as double, only less precise (tests/test_net.c).
*/
#ifndef METARL_NET_H
#define METARL_NET_H

#include <stddef.h>
#include <gsl/gsl_rng.h>

typedef enum { NET_TANH = 0, NET_RELU = 1, NET_SOFTPLUS = 2 } NetActivation;
typedef enum { NET_INIT_GAUSSIAN = 0, NET_INIT_ORTHOGONAL = 1 } NetInit;

typedef struct NetConfig {
    int n_hidden;          /* N >= 1 */
    int n_striatum;        /* S >= 0 */
    int n_actions;         /* A >= 2 */
    int obs_dim;           /* O >= 0 */
    int max_trials;        /* T_max >= 1: lane capacity (and the time input's scale unless clock_trials) */
    int critic_input;      /* 1: the critic also reads onehot(a_{t-1}) and r_{t-1} */
    int value_trains_pfc;  /* 1: value-loss gradient reaches the prefrontal weights */
    int time_input;        /* 1: append t/T_clock to the input */
    /* T_clock, the time input's scale: the steps per episode of the task the
    ** network was trained on, so that trial t shows the same time in a test
    ** with longer or shorter episodes; 0: max_trials (training, and tests of
    ** the same length) */
    int clock_trials;
    NetActivation activation;
    double alpha;          /* dt/tau in (0, 1] */
    double noise_sd;       /* sigma >= 0 */
    NetInit init;
    double gain;           /* g: W_rec scale (Gaussian: sd g/sqrt(N); orthogonal: g Q) */
    /* epochs within a trial (net.md "Time within a trial"): steps of the fixation,
    ** choice, outcome and inter-trial epochs; all 0: one step per trial (the
    ** trial-level network); otherwise choice >= 1 and outcome >= 1 */
    int ep_fix, ep_choice, ep_outcome, ep_iti;
    /* 1: the matrix products in float32 with fused multiply-adds (model.precision =
    ** single; net_kernels_f.c); 0: all in double, the reference path */
    int single;
    /* 1: the prefrontal network also predicts the reward of the action it takes through
    ** its own readout W_p, b_p (train.beta_pred > 0; net.md "Predicting the outcome");
    ** 0: no such readout (its tensors are empty, everything else unchanged) */
    int predict;
} NetConfig;

#define NET_NUM_TENSORS 11

/* Named views into a parameter (or gradient) block, in block order. */
typedef struct NetParams {
    double *W_in;    /* (N, I) */
    double *W_rec;   /* (N, N) row i = inputs to unit i */
    double *b;       /* (N) */
    double *W_pi;    /* (A, N) policy readout */
    double *b_pi;    /* (A) */
    double *W_s;     /* (S, Z) striatal weights (empty if S = 0) */
    double *b_s;     /* (S) */
    double *w_v;     /* (Zv) value readout */
    double *b_v;     /* (1) */
    double *W_p;     /* (A, N) outcome prediction readout (empty unless cfg.predict) */
    double *b_p;     /* (A) */
} NetParams;

typedef struct NetDims {
    int N, S, A, O, I, Z, Zv, T_max;
    int T_clock;  /* the time input is t / T_clock (cfg.clock_trials, or T_max) */
    int K;        /* steps per trial (1 without epochs) */
    int C;        /* the step of a trial whose rates the policy and critic read: ep_fix + ep_choice - 1 */
    int Ts_max;   /* T_max K: steps a lane holds */
    size_t n_params;                    /* P */
    size_t sizes[NET_NUM_TENSORS];      /* element count of each tensor, block order */
} NetDims;

typedef struct Net {
    NetConfig cfg;
    NetDims d;
    double *params;      /* (P) the block; owned */
    NetParams p;         /* views into params */
    /* copies for the products (net_kernels.c), rows padded to ld_N / ld_S doubles so
    ** that a block of rows does not fall into a few cache sets: */
    int ld_N, ld_S;      /* row strides, >= N and >= S */
    double *W_rec_T;     /* (N, ld_N) transpose of W_rec, read by the forward pass */
    double *W_in_T;      /* (I, ld_N) transpose of W_in */
    double *W_s_T;       /* (Z, ld_S) transpose of W_s */
    double *W_rec_c;     /* (N, ld_N) W_rec itself, read by the backward pass */
    /* cfg.single only (else NULL): float32 copies of the matrices the products
    ** read, made by net_refresh() from the double block (the parameters, the
    ** optimizer and the checkpoint stay double) */
    float *W_rec_Tf, *W_in_Tf, *W_s_Tf, *W_rec_cf;   /* as above */
    float *W_pi_f;       /* (A, N) */
    float *W_s_f;        /* (S, Z) */
    float *w_v_f;        /* (Zv) */
} Net;

typedef struct NetLane {
    int T_max;
    int Ts_max;          /* steps the lane holds (T_max K) */
    int t;               /* trials recorded so far (index of the next forward step) */
    int ns;              /* steps run so far (= t without epochs) */
    int prev_action;     /* a_{t-1}, -1 before the first trial */
    double prev_reward;  /* r_{t-1}, 0 before the first trial */
    /* per step s (row s = trial s / K, epoch step s mod K), (Ts_max, .) row-major */
    double *u;           /* (Ts_max, I) inputs */
    double *x;           /* (Ts_max, N) potentials */
    double *r;           /* (Ts_max, N) rates */
    double *xi;          /* (Ts_max, N) noise samples, NULL if sigma = 0 */
    /* per trial, (T_max, .) row-major */
    double *z;           /* (T_max, Z) critic inputs */
    double *h;           /* (T_max, S) striatal rates */
    double *logp;        /* (T_max, A) log pi */
    double *probs;       /* (T_max, A) pi */
    double *V;           /* (T_max) */
    double *pred;        /* (T_max, A) predicted reward of each action, cfg.predict only (else NULL) */
    double *dpred;       /* (T_max, A) dL/dpred, filled by net_pred_loss (cfg.predict only) */
    int *action;         /* (T_max) recorded a_t */
    double *reward;      /* (T_max) recorded r_t */
    /* backward, per trial: kept for the weight gradients after the sweep */
    double *gp;          /* (Ts_max, N) dL/dpre_s, per step */
    double *dh;          /* (T_max, S) dL/d(striatal input)_t */
    /* scratch, forward and backward */
    double *pre;         /* (max(N, S)) */
    double *dr;          /* (N) */
    double *gx;          /* (N) */
    double *gx_next;     /* (N) */
    int *idx;            /* (n_list) row indices of the products' terms (net_kernels.c) */
    double *vals;        /* (n_list) their coefficients */
    int n_list;          /* capacity of idx and vals */
    double *mem;         /* the single allocation behind every double array above */
    /* cfg.single only (else NULL): float32 copies of u, r, z, h (same layouts),
    ** the rows the weight-gradient products read; z_f is r_f when
    ** net_z_is_rates */
    float *u_f, *r_f, *z_f, *h_f;
    float *mem_f;        /* their allocation */
} NetLane;

/* 1 when the critic's input z_t is the choice step's rates r_t, row for row
** (one step a trial, no critic inputs): a lane's z_f is then its r_f. */
static inline int net_z_is_rates(const NetDims *d) { return d->K == 1 && d->Z == d->N; }

/* Check cfg and compute the dimensions. Return 0, or -1 with a message in err. */
int net_dims(const NetConfig *cfg, NetDims *d, char *err, size_t n_err);

/* Point the NET_NUM_TENSORS views of p into block (P doubles, layout of d).
** Used for the parameter block and for gradient blocks alike. */
void net_params_point(const NetDims *d, double *block, NetParams *p);

/* Allocate a network with a zero parameter block. Return NULL with a message
** in err if cfg is invalid or memory runs out. Free with net_free(). */
Net *net_alloc(const NetConfig *cfg, char *err, size_t n_err);
void net_free(Net *net);

/* Draw the initial parameters from r (the caller seeds it, e.g. with
** rng_seed_episode(r, seed, RNG_STREAM_INIT, 0)):
**   W_rec  gaussian: N(0, g^2/N) entries; orthogonal: g Q, Q Haar-orthogonal
**          (QR of a Gaussian matrix, columns sign-corrected by diag R)
**   W_in   N(0, 1/I);  W_s  N(0, 1/Z)
**   W_pi, w_v  N(0, (0.1)^2 / fan_in)  ("small readouts": pi starts near uniform)
**   biases 0.
** Refreshes the transposed copies. Return 0, or -1 if memory for the QR runs
** out (orthogonal only). */
int net_init(Net *net, gsl_rng *r);

/* Recompute W_rec_T, W_in_T, W_s_T, W_rec_c from the parameter block. Call after any
** change to net->params (optimizer step, checkpoint load, a test's nudge). */
void net_refresh(Net *net);

/* Allocate a lane for episodes of up to cfg->max_trials trials. NULL if out
** of memory. */
NetLane *net_lane_alloc(const Net *net);
void net_lane_free(NetLane *lane);

/* Start a new episode: t = 0, no previous action or reward (state is the
** zero vector implicitly: trial 0 reads no previous rates). */
void net_lane_reset(NetLane *lane);

/* Run trial lane->t forward: build u_t from obs (O numbers; may be NULL if
** O = 0) and the lane's previous action and reward, update the state, and
** compute pi_t, V_t and the striatal rates. Draws N Gaussians from r when
** sigma > 0 (nothing otherwise). r == NULL with sigma > 0 replays the noise
** already stored in lane->xi for this trial (gradient checks). Requires
** lane->t < T_max. Allocates nothing. */
void net_forward_step(const Net *net, NetLane *lane, const double *obs, gsl_rng *r);

/* Policy and rates of the current trial (valid after net_forward_step and
** before net_lane_record). */
const double *net_lane_probs(const Net *net, const NetLane *lane);

/* Record the action taken and the reward received on trial lane->t and
** advance to the next trial. (With epochs, the outcome and inter-trial steps
** that show them run at the start of the next net_forward_step.) */
void net_lane_record(NetLane *lane, int action, double reward);

/* The prefrontal rates (N) the policy and critic read on trial t < lane->t
** (or the current trial): step t K + C. */
const double *net_lane_rates(const Net *net, const NetLane *lane, int t);
/* The policy of trial lane->t (logp, probs) from its choice-step rates: the
** log-softmax of W_pi r + b_pi. The forward pass calls it; so does a
** caller that changed those rates (a lesion) and reads the policy again. */
void net_policy_readout(const Net *net, NetLane *lane);

/* The epoch of step s: 0 fixation, 1 choice, 2 outcome, 3 inter-trial
** (always 1 without epochs). */
int net_step_epoch(const Net *net, int s);

/* Backpropagate through the lane's recorded episode (lane->t trials):
**   grad += dL/dtheta  given  dlogits = dL/dlogits (T, A)  and  dV = dL/dV (T)
** for a loss L that depends on the parameters only through the logits and
** the values (the A2C loss with advantages and targets held constant).
** grad has the block layout (net_params_point). Uses lane scratch; allocates
** nothing. Same as net_backward_lanes() with n = 1. */
void net_backward(const Net *net, NetLane *lane, const double *dlogits,
                  const double *dV, double *grad);

/* The auxiliary outcome-prediction loss of the lane's recorded episode
** (cfg.predict; net.md "Predicting the outcome"): with T = lane->t,
**   L_pred = sum_t 1/2 (yhat_{t,a_t} - r_t)^2
** returned unweighted; lane->dpred is OVERWRITTEN with scale beta dL_pred/dyhat
** (scale beta (yhat_{t,a_t} - r_t) at a_t, 0 elsewhere), which net_backward
** and net_backward_lanes then backpropagate with the A2C terms (they read
** lane->dpred whenever cfg.predict: call this first). Returns 0 without
** cfg.predict. */
double net_pred_loss(const Net *net, NetLane *lane, double beta, double scale);

/* Lockstep forms over n lanes (a trainer worker's block of a batch): the
** same arithmetic as the one-lane calls, with the products of all n lanes
** done together so that each block of a weight matrix, once in cache, serves
** every lane (net_kernels.c).
**
** net_forward_lanes: trial lanes[j]->t of every lane j < n, with
** observation obs[j] (obs may be NULL if O = 0) and noise from r[j] (r NULL:
** replay the stored noise). Each lane's results are bit-identical to
** net_forward_step() on that lane alone, whatever n and whatever the other
** lanes hold: per output, the terms are summed in the same order.
**
** net_backward_lanes: grad += the gradient of every lane's recorded episode,
** lane after lane in the order of lanes[] (dlogits[j] (T_j, A), dV[j] (T_j)
** for lane j with T_j = lanes[j]->t; lanes may have different lengths). The
** result depends on the list of lanes (the same list gives the same bits),
** not on anything else. Allocate nothing. */
void net_forward_lanes(const Net *net, NetLane *const *lanes, int n, const double *const *obs,
                       gsl_rng *const *r);
void net_backward_lanes(const Net *net, NetLane *const *lanes, int n,
                        const double *const *dlogits, const double *const *dV, double *grad);

/* Derivative of f at the point where f's output is y (f' from the output:
** tanh 1-y^2, relu [y>0], softplus 1-exp(-y)). Exposed for tests. */
double net_act_deriv(NetActivation f, double y);
double net_act(NetActivation f, double x);

/* Multiply-adds per trial of forward + backward + update (for the benchmark). */
double net_flops_per_step(const NetDims *d);

#endif
