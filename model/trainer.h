/* model/trainer.h: meta-training of the network with A2C, batch by batch.
**
** The trainer owns the network, B tasks (one per batch lane), the lanes'
** workspaces and the optimizer. It is driven in GSL's INITIALIZE/ITERATE
** shape; the caller's loop decides when to log, store, checkpoint and stop:
**
**     Trainer *tr = trainer_alloc(&tc, cfg, err, sizeof err);
**     while (trainer_episode(tr) < tc.episodes) {
**         if (trainer_iterate(tr, &stats) != 0) ... stop: not finite
**         ... store stats.ep[0..B-1], checkpoint every tc.checkpoint_every ...
**     }
**     trainer_free(tr);
**
** One iteration plays episodes [e0, e0 + B) (e0 = trainer_episode()) in
** lockstep, one lane each, with the weights fixed; then computes the A2C
** loss of each (model/a2c.h) and its gradient by backpropagation through the
** whole episode (model/net.h), averages the gradients over the batch, clips
** the global norm and takes one optimizer step with the learning rate and
** entropy weight that the schedule gives for the batch's first episode
** (train_lr, train_beta_e). Weights change only between batches.
**
** Randomness: episode e draws its task instance and rewards from a generator
** seeded rng_seed_episode(r, seed, RNG_STREAM_TASK, e), and its noise and
** action samples from rng_seed_episode(r, seed, RNG_STREAM_POLICY, e); the
** initial weights come from (seed, RNG_STREAM_INIT, 0). Each lane
** accumulates its own gradient, and the lanes' gradients are summed in lane
** order, so the result does not depend on how lanes are scheduled (lanes can
** later be spread over threads). Hence: same seed and config give
** bit-identical weights, and a checkpoint (parameters, optimizer state,
** episode counter) loaded into a fresh trainer continues bit-identically.
*/
#ifndef METARL_TRAINER_H
#define METARL_TRAINER_H

#include <stddef.h>

#include "core/config.h"
#include "core/episode.h"
#include "model/net.h"
#include "model/train_settings.h"
#include "tasks/task.h"

/* One training episode's summary. */
typedef struct TrainEpisodeStats {
    long episode;        /* 0-based training episode */
    int n_trials;
    double reward;       /* total reward */
    double regret;       /* sum_t max_a p_a - p_{a_t} (TaskTruth); NaN if unknown */
    double p_best;       /* fraction of trials with a_t = TaskTruth.best, ties skipped; NaN if none */
    double policy_loss;  /* sum_t -log pi(a_t) Ahat_t */
    double value_loss;   /* sum_t 1/2 (G_t - V_t)^2 */
    double entropy;      /* mean_t H(pi_t) (nats) */
} TrainEpisodeStats;

/* One update's summary. */
typedef struct TrainStats {
    long episode;                 /* first episode of the batch */
    int n_episodes;               /* B */
    const TrainEpisodeStats *ep;  /* (B) owned by the trainer; valid until the next iterate */
    double loss;                  /* batch loss: mean over episodes of L (a2c.h) */
    double grad_norm;             /* global gradient norm before clipping */
    double beta_e;                /* entropy weight used */
    double lr;                    /* learning rate used */
    double mean_reward, mean_regret;
} TrainStats;

typedef struct Trainer Trainer;

/* Build a trainer: one task per lane from the finalized Config (task_alloc),
** the network sized for that task and initialised from (tc->seed,
** RNG_STREAM_INIT, 0), every workspace. Return NULL with a message in err on
** an invalid combination or out of memory. Free with trainer_free(). */
Trainer *trainer_alloc(const TrainConfig *tc, const Config *cfg, char *err, size_t n_err);
void trainer_free(Trainer *tr);

/* Play the next B episodes and update the weights once. Fill *stats (may be
** NULL). Return 0, or -1 if the loss or the gradient is not finite: then
** neither the weights, the optimizer state nor the episode counter change.
** Allocates nothing. */
int trainer_iterate(Trainer *tr, TrainStats *stats);

/* Episodes trained so far (the next batch starts here). */
long trainer_episode(const Trainer *tr);
/* The parameter block (layout: net_params_point) and its length P. */
const double *trainer_params(const Trainer *tr, size_t *n_params);
/* The optimizer state block (layout: optim.h) and its length. */
const double *trainer_optim_state(const Trainer *tr, size_t *n_state);
/* The network (for its dimensions and config). */
const Net *trainer_net(const Trainer *tr);
/* The task's fixed facts (A, obs_dim, max_trials). */
const TaskInfo *trainer_task_info(const Trainer *tr);

/* Checkpoints: a byte image of {magic, P, n_state, episode, params,
** optimizer state}, native byte order. trainer_save writes
** trainer_checkpoint_size() bytes to buf. trainer_load restores them into a
** trainer built with the same settings; return 0, or -1 with a message if
** the image is malformed or of another shape. */
size_t trainer_checkpoint_size(const Trainer *tr);
void trainer_save(const Trainer *tr, void *buf);
int trainer_load(Trainer *tr, const void *buf, size_t n, char *err, size_t n_err);

/* Copy lane `lane` (0..B-1) of the last batch into rec (which must hold
** max_trials trials; rates are copied if rec->n_units == N + S): per trial
** truth, action, reward, policy, value, and the RPE with tc->gamma; the
** instance description and totals. Return 0, or -1 if there is no such lane
** or no batch has run. */
int trainer_last_episode(const Trainer *tr, int lane, EpisodeRecord *rec);

#endif
