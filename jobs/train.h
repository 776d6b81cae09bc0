/* jobs/train.h: the training job: meta-train the network, with checkpoints.
**
** The outer loop of meta-RL: batches of episodes, each a fresh task
** instance, and one A2C update per batch (model/trainer.h). The job owns the
** loop's bookkeeping: the training curve and checkpoints into the store,
** resume, and clean stops on a stop flag or non-finite numbers. It prints
** nothing: the start line and progress go to an optional callback, errors
** come back as a status and a message.
**
** Store discipline: training rows and the checkpoint are committed together,
** every train.checkpoint_every episodes. A crash therefore loses at most the
** episodes since the last checkpoint, and a resume recomputes exactly those
** (bit-identically: episodes are seeded by their index), after deleting any
** rows a killed run left past its checkpoint.
**
** How one batch is played and its gradient reduced is a TrainHook: the
** default (train_hook_local) is trainer_iterate, whose worker threads sum
** their parts in a fixed order; jobs/train_mpi.h gives the data-parallel
** form over MPI ranks. Used by `metarl train` (cli/cmd_train.c) and the
** sweep job (jobs/sweep.c).
*/
#ifndef METARL_JOBS_TRAIN_H
#define METARL_JOBS_TRAIN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "analysis/training_summary.h"
#include "core/episode.h"
#include "model/trainer.h"

#define TRAIN_CHECKPOINTS_KEPT 3

/* [run] settings of a training run; the test job reads them back. */
int train_declare_run(Config *c);
/* Every setting a training run accepts: [run], [task], [train], [test]. */
int train_declare_all(Config *c);

/* One batch: play, reduce the gradient, update. */
typedef struct TrainHook {
    void *ctx;
    int ranks;   /* > 1: data-parallel over this many processes (reported in the summary) */
    /* Before the trainer is built: complete or refuse the settings. A job status (JOB_OK ...). */
    int (*prepare)(void *ctx, Config *cfg, int resume, char *err, size_t n_err);
    /* Once the trainer is ready (new or loaded): may replace *tr. 0, or -1 with a message. */
    int (*start)(void *ctx, const Config *cfg, Trainer **tr, void *buf, char *err, size_t n_err);
    /* Return 0 (*st filled), -1 if not finite (weights unchanged), 1 if the job must stop
    ** (a stop somewhere else; the hook may then set *stop to the signal number). */
    int (*step)(void *ctx, Trainer *tr, TrainStats *st, volatile sig_atomic_t *stop);
    /* Lane `lane` of the last batch, as trainer_last_episode. */
    int (*last_episode)(void *ctx, const Trainer *tr, int lane, EpisodeRecord *rec);
} TrainHook;

/* One process: trainer_iterate (train.workers threads). prepare and start are NULL. */
extern const TrainHook train_hook_local;

/* What the job tells its caller while it runs: one notice line at the start
** ("training run 3 in x.db: ..."), then every batch's numbers. */
typedef struct TrainProgress {
    const char *notice;        /* non-NULL: a line to show; the rest is zero */
    const TrainStats *batch;   /* the batch just applied */
    long episode, episodes;    /* episodes done, and the target */
    long start_episode;        /* where this session began */
    double elapsed_s;          /* since the loop began */
} TrainProgress;
typedef void (*TrainProgressFn)(void *ctx, const TrainProgress *p);

typedef struct TrainSettings {
    const char *db;            /* the store (created if missing) */
    Config *cfg;               /* finalized settings as given (a hook may complete them) */
    int resume;                /* continue a training run of db from its last checkpoint */
    int64_t run;               /* with resume: that run (0 = the newest) */
    const char *name;          /* label of a new run (NULL: the task's name) */
    const char *version;       /* the program's, stored with the run */
    volatile sig_atomic_t *stop;   /* nonzero (a signal number): stop after the batch, with a checkpoint */
    TrainProgressFn progress;  /* NULL = none */
    void *progress_ctx;
    const TrainHook *hook;     /* NULL = train_hook_local */
} TrainSettings;

/* Running means over episodes. */
typedef struct TrainWindow {
    double reward, regret, p_best, trials;
    long n, n_regret, n_best;
} TrainWindow;

void train_window_add(TrainWindow *w, const TrainEpisodeStats *e);

typedef struct TrainResult {
    int64_t run;
    long start_episode, final_episode;
    long env_steps;
    double wall_s;
    TrainingFinal final;       /* final training performance (training_final_read: the last tenth) */
    int hidden, batch;
    int stopped;               /* the signal number that stopped it, 0 if it ran to the end */
    int resumable;             /* failed (disk full, out of memory) after the run began: it is marked
                                  interrupted (if the store took the write) and --resume continues it */
    char *json;                /* the run's summary as stored (free with train_result_clear) */
} TrainResult;

void train_result_clear(TrainResult *r);

/* Train (or resume) into s->db. Return JOB_OK (also when stopped: then
** r->stopped says by what, and the checkpoint is saved), JOB_USAGE for bad
** settings or a store that cannot be used, JOB_FAILED for a store error or
** non-finite numbers (the last good checkpoint is kept); the message in err. */
int train_job_run(const TrainSettings *s, TrainResult *r, char *err, size_t n_err);

#endif
