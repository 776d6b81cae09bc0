/* model/trainer.h: meta-training of the network with A2C, batch by batch.
**
** The trainer owns the network, B tasks (one per batch lane), the lanes'
** workspaces, the optimizer and a small pool of worker threads. It is driven
** in GSL's INITIALIZE/ITERATE shape; the caller's loop decides when to log,
** store, checkpoint and stop:
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
** initial weights come from (seed, RNG_STREAM_INIT, 0). What an episode
** plays therefore never depends on which thread or process plays it.
**
** Workers (tc->workers = W, train.workers): the B lanes are split into W
** contiguous blocks (block w = lanes [floor(B w / W), floor(B (w+1) / W));
** W is capped at B), worker w plays block w on its own thread and sums its
** lanes' gradients, lane after lane, into its own gradient block; the W
** blocks are then added in worker order, ((g_0 + g_1) + g_2) + ... The sums
** are fixed by W and not by thread timing, so a given seed, config and W
** give bit-identical weights run after run; another W adds the same terms in
** another order, so its weights differ by rounding (and then by whatever
** training makes of that). W = 1 runs everything on the calling thread. W is
** part of a run's settings: a checkpoint (parameters, optimizer state,
** episode counter) loaded into a fresh trainer with the same settings,
** workers included, continues bit-identically. The threads are created by
** trainer_alloc and wait between batches; nothing is allocated per batch.
**
** Data parallelism over processes (MPI): trainer_iterate() is exactly
**
**     trainer_compute(tr, &st);      this part's lanes, their gradient
**     ... (nothing: one part) ...    the reduction over parts
**     trainer_apply(tr, &st);        one optimizer step
**
** and the three pieces are public. K processes, each with the same settings
** and train.workers = 1, each with trainer_set_part(tr, k, K), each calling
** trainer_compute(), then replacing its trainer_grad() buffer by the sum of
** the K parts' buffers taken IN PART ORDER, ((g_0 + g_1) + g_2) + ... (e.g.
** an Allgather and a loop on every rank; not MPI_Allreduce, whose order is
** unspecified), then calling trainer_apply(), end with weights byte-identical
** to one process with train.workers = K (and to each other): part k's lanes
** and sums are exactly worker k's. (K processes with W > 1 workers each are
** deterministic too, but then equal to no single-process run.) Per-episode
** stats and trainer_last_episode() cover the lanes of the process's own part.
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

/* One update's summary. With a part set (trainer_set_part), n_episodes, ep,
** loss and the means cover the part's episodes only. */
typedef struct TrainStats {
    long episode;                 /* first episode of the batch */
    int n_episodes;               /* B (the part's lane count) */
    const TrainEpisodeStats *ep;  /* (n_episodes) owned by the trainer; valid until the next
                                     iterate or compute; ep[i].episode says which episode */
    double loss;                  /* mean over the episodes of L (a2c.h) */
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

#define TRAIN_MAX_WORKERS 256

/* Play the next B episodes and update the weights once. Fill *stats (may be
** NULL). Return 0, or -1 if the loss or the gradient is not finite: then
** neither the weights, the optimizer state nor the episode counter change.
** Allocates nothing. Equal to trainer_compute() then trainer_apply(). */
int trainer_iterate(Trainer *tr, TrainStats *stats);

/* Make this trainer compute only part `part` (0 <= part < n_parts) of each
** batch: lanes [floor(B part / n_parts), floor(B (part+1) / n_parts)), i.e.
** episodes e0 + those lanes. Requires n_parts <= B, so no part is empty.
** Return 0, or -1 (nothing changed) if the numbers are out of range. The
** default is part 0 of 1: the whole batch. */
int trainer_set_part(Trainer *tr, int part, int n_parts);

/* Play this part's episodes of the next batch (e0 = trainer_episode()) with
** the current weights, and fill the trainer_grad() buffer with the sum of
** their gradients (already scaled by 1/B: the batch mean's share; lanes in
** lane order within a worker, workers in order). Fill *stats (may be NULL)
** for the part: episode e0, n_episodes, ep, loss, the means, beta_e, lr;
** grad_norm NaN (trainer_apply fills it). No weight, optimizer state or
** episode counter changes. Return 0, or -1 if the part's loss is not
** finite: then the buffer holds a NaN, so that any reduction that includes
** it makes trainer_apply() fail on every process alike. Allocates nothing. */
int trainer_compute(Trainer *tr, TrainStats *stats);

/* The gradient buffer (P doubles, layout of net_params_point) and P. After
** trainer_compute() it holds this part's gradient; a caller may overwrite it
** with the reduction over the parts before trainer_apply(). */
double *trainer_grad(Trainer *tr, size_t *n);

/* One optimizer step with the trainer_grad() buffer as the batch gradient:
** global norm, finiteness check, clipping (the buffer is scaled in place),
** the step with the schedule's lr for the batch at trainer_episode(), and
** the episode counter advanced by B. Fill stats->episode, grad_norm, beta_e
** and lr (stats may be NULL; other fields are left alone). Return 0, or -1
** if the norm is not finite: then nothing changed. */
int trainer_apply(Trainer *tr, TrainStats *stats);

/* Episodes trained so far (the next batch starts here). */
long trainer_episode(const Trainer *tr);
/* The parameter block (layout: net_params_point) and its length P. */
const double *trainer_params(const Trainer *tr, size_t *n_params);
/* The optimizer state block (layout: optim.h) and its length. */
const double *trainer_optim_state(const Trainer *tr, size_t *n_state);
/* The network (for its dimensions and config). */
const Net *trainer_net(const Trainer *tr);
/* Single precision: how many worker shares of batches overflowed float and
** were played again in double (trainer.c worker_run); 0 in double. */
long trainer_double_replays(const Trainer *tr);
/* The task's fixed facts (A, obs_dim, max_trials). */
const TaskInfo *trainer_task_info(const Trainer *tr);
/* The striatal deltas (model/striatum.h) lane `lane` of the last batch was
** trained with (its n_trials entries), or NULL as trainer_last_episode. */
const double *trainer_lane_deltas(const Trainer *tr, int lane);

/* Checkpoints: a byte image of {magic, P, n_state, episode, params,
** optimizer state}, native byte order. trainer_save writes
** trainer_checkpoint_size() bytes to buf. trainer_load restores them into a
** trainer built with the same settings; return 0, or -1 with a message if
** the image is malformed or of another shape. */
size_t trainer_checkpoint_size(const Trainer *tr);
void trainer_save(const Trainer *tr, void *buf);
int trainer_load(Trainer *tr, const void *buf, size_t n, char *err, size_t n_err);

/* Copy lane `lane` (0..B-1, a lane of this trainer's part) of the last batch into rec (which must hold
** max_trials trials; rates are copied if rec->n_units == N + S): per trial
** truth, action, reward, policy, value, and the RPE: the very deltas the
** advantages were built from (trainer_lane_deltas); the
** instance description and totals. Return 0, or -1 if there is no such lane
** in this part or no batch has run. */
int trainer_last_episode(const Trainer *tr, int lane, EpisodeRecord *rec);

#endif
