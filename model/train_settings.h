/* model/train_settings.h: the [model] and [train] settings, as a TrainConfig.
**
** train_declare() declares every setting of the network and of its training
** (core/config.h OptSpecs, with defaults, ranges and help text);
** train_config_from() reads a finalized Config into the plain TrainConfig
** struct that model/trainer.h and model/net_agent.h take. [run] seed and
** [run] episodes are declared by the program (cli), not here, but read here.
*/
#ifndef METARL_TRAIN_SETTINGS_H
#define METARL_TRAIN_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "model/net.h"
#include "model/optim.h"

/* train.rule: how the gradient is computed (model/local_rule.h) */
typedef enum { TRAIN_RULE_BPTT = 0, TRAIN_RULE_EPROP = 1 } TrainRule;

typedef struct TrainConfig {
    /* [model] */
    int hidden;                 /* N */
    NetActivation activation;
    double dt, tau;             /* alpha = dt / tau */
    double noise;               /* sigma */
    NetInit init;
    double gain;
    int striatum_units;         /* S */
    int critic_input;
    int value_trains_pfc;
    int time_input;
    /* the time input's scale: steps per episode of the task the network was
    ** trained on (0: the task it is built for). Set by a test of a trained
    ** run, whose task may have another length (net.h, NetConfig.clock_trials). */
    int clock_trials;
    int epochs[4];              /* steps of fixation, choice, outcome, iti; all 0 = one step per trial */
    int single;                 /* model.precision = single: float32 products (net.h "Precision") */
    /* [train] */
    int batch;                  /* B episodes per update */
    int workers;                /* W threads sharing each batch (trainer.h) */
    OptimConfig optim;          /* kind, lr, rho, beta1, beta2, eps */
    double lr_final;            /* lr after anneal_episodes; < 0 = no lr annealing */
    double gamma, gae_lambda;
    double beta_v, beta_e, beta_e_final;
    long anneal_episodes;       /* 0 = no annealing (the config value -1 becomes episodes) */
    double clip_norm;           /* 0 = off */
    double delta_scale;         /* s: the striatal delta that trains the network is s delta (a2c.h) */
    double beta_pred;           /* weight of the outcome-prediction loss (net.h net_pred_loss); 0 = off */
    long checkpoint_every;      /* episodes */
    TrainRule rule;             /* bptt (default) or the local e-prop rule */
    int feedback_symmetric;     /* eprop: 1 = feedback through W_pi and dV/dr, 0 = fixed random */
    /* [run] */
    uint64_t seed;
    long episodes;              /* training episodes */
} TrainConfig;

/* Declare [model] and [train] in c. Return 0, or -1 if out of memory. */
int train_declare(Config *c);

/* Fill tc from a finalized Config that declared train_declare()'s settings
** and run.seed, run.episodes. Return 0, or -1 with a message in err when a
** combination is invalid (dt > tau, say). */
int train_config_from(const Config *c, TrainConfig *tc, char *err, size_t n_err);

/* The NetConfig that tc and a task's facts imply. */
void train_net_config(const TrainConfig *tc, int n_actions, int obs_dim, int max_trials,
                      NetConfig *out);

/* entropy weight used for the batch starting at `episode`: linear from
** beta_e to beta_e_final over anneal_episodes, then constant. */
double train_beta_e(const TrainConfig *tc, long episode);
/* learning rate for the batch starting at `episode`: linear from lr to
** lr_final over anneal_episodes if lr_final >= 0, else lr throughout. */
double train_lr(const TrainConfig *tc, long episode);

#endif
