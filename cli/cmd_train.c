/* cli/cmd_train.c: `metarl train`: meta-train the network, with checkpoints.
**
** The outer loop of meta-RL: batches of episodes, each a fresh task
** instance, and one A2C update per batch (model/trainer.h). This file owns
** the loop's bookkeeping: the training curve and checkpoints into the store,
** the progress line, resume, and clean stops on signals or non-finite
** numbers.
**
** Store discipline: training rows and the checkpoint are committed together,
** every train.checkpoint_every episodes. A crash therefore loses at most the
** episodes since the last checkpoint, and `--resume` recomputes exactly
** those (bit-identically: episodes are seeded by their index), after
** deleting any rows a killed run left past its checkpoint.
*/
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/run_util.h"
#include "core/json.h"
#include "core/store.h"
#include "core/summary.h"
#include "model/trainer.h"

#define CHECKPOINTS_KEPT 3

int train_declare_run(Config *c)
{
    static const OptSpec run_specs[] = {
        { "run", "seed", NULL, OPT_INT, "1", 0, 4294967295.0, NULL, NULL,
          "master seed: the same seed and settings give bit-identical weights" },
        { "run", "episodes", NULL, OPT_INT, "800000", 1, 1e12, NULL, NULL,
          "training episodes (rounded up to whole batches); the annealing schedules span them" },
        { "run", "record_every", NULL, OPT_INT, "1000", 0, 1e12, NULL, NULL,
          "store every trial of one training episode in this many (0 = none)" },
        OPT_END
    };
    return config_declare(c, run_specs);
}

static int train_declare_all(Config *c)
{
    if (train_declare_run(c) || task_declare(c) || train_declare(c) || test_declare(c)) return -1;
    return 0;
}

static const CmdFlag train_flags[] = {
    { "db", "FILE", "SQLite store for the run, its curve and checkpoints (default: metarl.db)" },
    { "resume", NULL, "continue the newest training run in --db (or --run) from its last checkpoint" },
    { "run", "ID", "with --resume: the training run to continue" },
    { "name", "TEXT", "label of the run in the store (default: the task's name)" },
    { "json", NULL, "end with one JSON object on stdout" },
    { "quiet", NULL, "no progress line on stderr" },
    { NULL, NULL, NULL }
};

static void format_eta(double s, char *out, size_t n)
{
    if (!isfinite(s) || s < 0) snprintf(out, n, "?");
    else if (s < 90) snprintf(out, n, "%.0fs", s);
    else if (s < 5400) snprintf(out, n, "%.0fm%02.0fs", floor(s / 60), fmod(s, 60));
    else snprintf(out, n, "%.0fh%02.0fm", floor(s / 3600), fmod(s / 60, 60));
}

/* Running means over the most recent episodes, for the progress line and the
** final numbers. */
typedef struct {
    double reward, regret, p_best, trials;
    long n, n_regret, n_best;
} Window;

static void window_add(Window *w, const TrainEpisodeStats *e)
{
    w->reward += e->reward;
    w->trials += e->n_trials;
    w->n++;
    if (!isnan(e->regret)) {
        w->regret += e->regret;
        w->n_regret++;
    }
    if (!isnan(e->p_best)) {
        w->p_best += e->p_best;
        w->n_best++;
    }
}

/* Commit the open batch of training rows together with a checkpoint. */
static int checkpoint(Store *s, int64_t run, const Trainer *tr, void *buf, size_t n_buf)
{
    size_t np, no;
    const double *params = trainer_params(tr, &np);
    const double *opt = trainer_optim_state(tr, &no);
    trainer_save(tr, buf);
    if (store_put_checkpoint(s, run, trainer_episode(tr), params, np * sizeof(double), opt,
                             no * sizeof(double), buf, n_buf) != 0 ||
        store_prune_checkpoints(s, run, CHECKPOINTS_KEPT) != 0 || store_commit(s) != 0)
        return -1;
    return 0;
}

/* For --resume: the stored settings of the run, with a new run.episodes if
** one was given. Any other setting on the command line is refused: the
** network must continue exactly as it began. */
static int resume_config(const CmdArgs *a, const RunRow *row, Config **out)
{
    char err[1024];
    for (size_t i = 0; config_declared(a->cfg, i); i++) {
        const OptSpec *s = config_declared(a->cfg, i);
        if (!config_is_set(a->cfg, s->section, s->key)) continue;
        if (!strcmp(s->section, "run") && !strcmp(s->key, "episodes")) continue;
        if (!strcmp(s->section, "test")) continue;
        return cli_fail(EXIT_USAGE, "--resume: %s.%s cannot change when a run resumes (it continues with its "
                                    "stored settings; only --episodes may be raised)", s->section, s->key);
    }
    Config *c = config_alloc();
    if (!c || train_declare_all(c) != 0) {
        config_free(c);
        return cli_fail(EXIT_FAILED, "out of memory");
    }
    if (config_load_text(c, row->config, "stored configuration", err, sizeof err) != 0 ||
        (config_is_set(a->cfg, "run", "episodes") &&
         config_set(c, "run", "episodes", config_str(a->cfg, "run", "episodes"), "--episodes", err, sizeof err) != 0) ||
        config_finalize(c, err, sizeof err) != 0) {
        config_free(c);
        return cli_fail(EXIT_USAGE, "run %lld: %s", (long long)row->run_id, err);
    }
    *out = c;
    return EXIT_OK;
}

/* ---- data-parallel training over MPI (the MPI build only) ---------------
**
** `mpirun -n K build-mpi/metarl train ...` with K > 1: every rank holds the
** same network and plays part k of every batch (trainer_set_part: K
** contiguous blocks of the B lanes); the ranks' part gradients are gathered
** (MPI_Allgather) and summed on every rank in part order, the same fixed
** order as one process with train.workers = K, so every rank takes the same
** optimizer step and the weights are byte-identical to
** `metarl train --workers K` (and to each other). MPI_Allreduce is not used
** for the gradient: its summation order is not specified.
**
** Rank 0 is the ordinary `metarl train` (this file's train_run): it alone
** reads and writes the store, prints, and checkpoints; it gathers the
** per-episode numbers of every part for the training curve, and the recorded
** episodes (run.record_every) from the rank that played them. The other
** ranks (train_worker) receive the resolved settings and the starting
** checkpoint from rank 0, then only compute. The stored config says
** train.workers = K, so `metarl train --resume` without MPI continues the run
** bit-identically with K threads, and `mpirun -n K` continues it too.
**
** Protocol, per batch, in the same order on every rank: an Allreduce(MAX) of
** a stop flag (a signal caught on any rank, or DP_STOP when rank 0 ends the
** loop for any reason), the gradient Allgather, a Gather + Gatherv of the
** parts' episode numbers, and one message per recorded episode to rank 0.
** A rank that cannot start (out of memory) aborts the job (MPI_Abort); the
** store then holds the last checkpoint, from which --resume continues. */
#ifdef METARL_MPI
#include <mpi.h>

#include "cli/mpi_util.h"

#define DP_STOP 1000       /* stop flag: rank 0 ends the loop (signals are < 1000) */
#define DP_TAG_RECORD 71

/* A recorded training episode, as sent to rank 0 (followed by its trials). */
typedef struct {
    int n_trials;          /* -1: the lane could not be copied */
    double total_reward, regret;
    char instance[EPISODE_INSTANCE_MAX];
} DpRecordHead;

static struct {
    int active;            /* world of more than one rank, not inside a sweep */
    int rank, size;
    int started;           /* rank 0: the setup went out to the other ranks */
    int stopped;           /* a nonzero stop flag was seen: the ranks left the loop */
    Config *local;         /* this rank's settings: train.workers = 1 */
    size_t P;
    int B, max_trials;
    long record_every;
    double *send;          /* (P + 1) this part's gradient and loss */
    double *all;           /* (size, P + 1) every part's */
    int *counts, *bytes, *displs;   /* (size) episodes of each part, for the Gatherv */
    TrainEpisodeStats *ep; /* (B) rank 0: the whole batch's episode numbers */
    unsigned char *pack;   /* worker: one DpRecordHead + max_trials TrialRecords */
    size_t pack_size;
    EpisodeRecord *rec;    /* worker: scratch for a recorded episode */
    unsigned char *packs;  /* (B, pack_size) rank 0: recorded episodes of other parts, by batch lane */
    int *have;             /* (B) rank 0: packs[lane] is this batch's */
} dp;

/* The settings of a data-parallel run, checked and completed on rank 0:
** train.workers = K in the stored config (so a resume without MPI, with K
** threads, continues bit-identically), refused if it says otherwise. A
** trainer that has no train.workers setting needs nothing. */
static int dp_prepare(Config *cfg, int resume)
{
    char k[16], err[1024];
    snprintf(k, sizeof k, "%d", dp.size);
    if (config_int(cfg, "train", "batch") < dp.size)
        return cli_fail(EXIT_USAGE, "mpirun started %d ranks for batches of %ld episodes: at most one rank per "
                                    "episode of a batch (train.batch)", dp.size, config_int(cfg, "train", "batch"));
    if (!config_spec(cfg, "train", "workers")) return EXIT_OK;
    const char *w = config_get(cfg, "train", "workers");
    if (resume) {
        if (strcmp(w, k))
            return cli_fail(EXIT_USAGE, "--resume: the run was trained with train.workers = %s; continue it with "
                                        "mpirun -n %s, or without MPI (not with %d ranks)", w, w, dp.size);
        return EXIT_OK;
    }
    if (config_is_set(cfg, "train", "workers") && strcmp(w, k))
        return cli_fail(EXIT_USAGE, "train.workers = %s, but mpirun started %d ranks: data-parallel training runs "
                                    "one worker per rank, as train.workers = %d", w, dp.size, dp.size);
    if (config_set(cfg, "train", "workers", k, "mpirun -n", err, sizeof err) != 0)
        return cli_fail(EXIT_USAGE, "%s", err);
    return EXIT_OK;
}

/* This rank's trainer for the resolved settings `text` (INI): the same run
** with one worker. NULL with a message in err. */
static Trainer *dp_trainer(const char *text, char *err, size_t n_err)
{
    TrainConfig tl;
    config_free(dp.local);
    dp.local = config_alloc();
    if (!dp.local || train_declare_all(dp.local) != 0) {
        snprintf(err, n_err, "out of memory");
        return NULL;
    }
    if (config_load_text(dp.local, text, "rank 0's settings", err, n_err) != 0 ||
        (config_spec(dp.local, "train", "workers") &&
         config_set(dp.local, "train", "workers", "1", "data-parallel rank", err, n_err) != 0) ||
        config_finalize(dp.local, err, n_err) != 0 || train_config_from(dp.local, &tl, err, n_err) != 0)
        return NULL;
    Trainer *tr = trainer_alloc(&tl, dp.local, err, n_err);
    if (!tr) return NULL;
    if (trainer_set_part(tr, dp.rank, dp.size) != 0) {
        snprintf(err, n_err, "cannot split a batch of %d episodes into %d parts", tl.batch, dp.size);
        trainer_free(tr);
        return NULL;
    }
    dp.B = tl.batch;
    dp.record_every = config_int(dp.local, "run", "record_every");
    return tr;
}

static void dp_free(void)
{
    free(dp.send);
    free(dp.all);
    free(dp.counts);
    free(dp.bytes);
    free(dp.displs);
    free(dp.ep);
    free(dp.pack);
    free(dp.packs);
    free(dp.have);
    episode_free(dp.rec);
    config_free(dp.local);
    int active = dp.active, rank = dp.rank, size = dp.size;
    memset(&dp, 0, sizeof dp);
    dp.active = active;
    dp.rank = rank;
    dp.size = size;
}

/* Buffers for the exchange; -1 if out of memory. */
static int dp_buffers(const Trainer *tr)
{
    trainer_params(tr, &dp.P);
    dp.max_trials = trainer_task_info(tr)->max_trials;
    dp.pack_size = sizeof(DpRecordHead) + (size_t)dp.max_trials * sizeof(TrialRecord);
    dp.send = malloc((dp.P + 1) * sizeof(double));
    dp.all = malloc((size_t)dp.size * (dp.P + 1) * sizeof(double));
    dp.counts = calloc((size_t)dp.size, sizeof(int));
    dp.bytes = calloc((size_t)dp.size, sizeof(int));
    dp.displs = calloc((size_t)dp.size, sizeof(int));
    dp.ep = calloc((size_t)dp.B, sizeof *dp.ep);
    if (dp.rank) {
        dp.pack = malloc(dp.pack_size);
        dp.rec = episode_alloc(dp.max_trials, 0);
    } else {
        dp.packs = malloc((size_t)dp.B * dp.pack_size);
        dp.have = calloc((size_t)dp.B, sizeof *dp.have);
    }
    if (!dp.send || !dp.all || !dp.counts || !dp.bytes || !dp.displs || !dp.ep ||
        (dp.rank ? !dp.pack || !dp.rec : !dp.packs || !dp.have))
        return -1;
    return 0;
}

/* Rank 0, once its trainer is ready (new, or loaded from the checkpoint):
** send the settings and the trainer's state to the other ranks. */
static int dp_start(const Config *cfg, Trainer **tr, void *buf, char *err, size_t n_err)
{
    char *text = config_dump(cfg);
    if (!text) {
        snprintf(err, n_err, "out of memory");
        return -1;
    }
    /* rank 0 computes part 0 with one worker, like the others */
    trainer_save(*tr, buf);
    size_t n_buf = trainer_checkpoint_size(*tr);
    Trainer *mine = dp_trainer(text, err, n_err);
    if (!mine || trainer_load(mine, buf, n_buf, err, n_err) != 0 || dp_buffers(mine) != 0) {
        if (mine && !err[0]) snprintf(err, n_err, "out of memory");
        trainer_free(mine);
        free(text);
        return -1;
    }
    trainer_free(*tr);
    *tr = mine;
    long long head[3] = { EXIT_OK, (long long)strlen(text) + 1, (long long)n_buf };
    MPI_Bcast(head, 3, MPI_LONG_LONG, 0, MPI_COMM_WORLD);
    MPI_Bcast(text, (int)head[1], MPI_CHAR, 0, MPI_COMM_WORLD);
    MPI_Bcast(buf, (int)n_buf, MPI_BYTE, 0, MPI_COMM_WORLD);
    free(text);
    dp.started = 1;
    return 0;
}

/* Recorded episodes of other parts go to rank 0, in batch order, as packs:
** a DpRecordHead and the trials; rank 0 keeps each pack until
** dp_last_episode() unpacks it. */
static void dp_records(Trainer *tr, const TrainStats *part, long e0)
{
    if (dp.record_every <= 0) return;
    if (dp.rank > 0) {
        DpRecordHead *h = (DpRecordHead *)dp.pack;
        for (int i = 0; i < part->n_episodes; i++) {
            long e = part->ep[i].episode;
            if (e % dp.record_every) continue;
            memset(h, 0, sizeof *h);
            h->n_trials = -1;
            if (trainer_last_episode(tr, (int)(e - e0), dp.rec) == 0) {
                h->n_trials = dp.rec->n_trials;
                h->total_reward = dp.rec->total_reward;
                h->regret = dp.rec->regret;
                memcpy(h->instance, dp.rec->instance, sizeof h->instance);
                memcpy(dp.pack + sizeof *h, dp.rec->trials, (size_t)dp.rec->n_trials * sizeof(TrialRecord));
            }
            MPI_Send(dp.pack, (int)dp.pack_size, MPI_BYTE, 0, DP_TAG_RECORD, MPI_COMM_WORLD);
        }
        return;
    }
    memset(dp.have, 0, (size_t)dp.B * sizeof *dp.have);
    for (int k = 1, lane = dp.counts[0]; k < dp.size; k++) {
        for (int j = 0; j < dp.counts[k]; j++, lane++) {
            if (dp.ep[lane].episode % dp.record_every) continue;
            unsigned char *p = dp.packs + (size_t)lane * dp.pack_size;
            MPI_Recv(p, (int)dp.pack_size, MPI_BYTE, k, DP_TAG_RECORD, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            const DpRecordHead *h = (const DpRecordHead *)p;
            dp.have[lane] = h->n_trials >= 0 && h->n_trials <= dp.max_trials;
        }
    }
}

/* One batch on every rank. Return 0 (rank 0: *st holds the whole batch),
** -1 if the loss or the gradient is not finite (on every rank alike: the
** weights did not change), or 1 if the ranks stop (a signal somewhere, or
** rank 0 ended the loop). */
static int dp_step(Trainer *tr, TrainStats *st)
{
    int flag = cli_stop_signal, any = 0;
    MPI_Allreduce(&flag, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (any) {
        dp.stopped = 1;
        if (any < DP_STOP && !cli_stop_signal) cli_stop_signal = any;
        return 1;
    }
    const long e0 = trainer_episode(tr);
    const size_t P = dp.P, W = dp.P + 1;
    TrainStats part;
    memset(&part, 0, sizeof part);
    int rc = trainer_compute(tr, &part);
    size_t n_grad;
    double *g = trainer_grad(tr, &n_grad);
    if (n_grad != P) MPI_Abort(MPI_COMM_WORLD, EXIT_FAILED);   /* a bug: the ranks disagree on the network */
    memcpy(dp.send, g, P * sizeof(double));
    dp.send[P] = rc == 0 ? part.loss : NAN;
    MPI_Allgather(dp.send, (int)W, MPI_DOUBLE, dp.all, (int)W, MPI_DOUBLE, MPI_COMM_WORLD);
    /* the reduction, in part order: ((g_0 + g_1) + g_2) + ... */
    int finite = 1;
    memcpy(g, dp.all, P * sizeof(double));
    for (int k = 0; k < dp.size; k++) {
        const double *gk = dp.all + (size_t)k * W;
        if (!isfinite(gk[P])) finite = 0;
        if (k > 0)
            for (size_t i = 0; i < P; i++) g[i] += gk[i];
    }
    /* the parts' episode numbers (and recorded episodes) to rank 0 */
    int n = rc == 0 ? part.n_episodes : 0, total = 0;
    MPI_Gather(&n, 1, MPI_INT, dp.counts, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (dp.rank == 0) {
        for (int k = 0; k < dp.size; k++) {
            if (total + dp.counts[k] > dp.B) dp.counts[k] = dp.B - total;   /* cannot happen; never overflow ep */
            dp.bytes[k] = dp.counts[k] * (int)sizeof(TrainEpisodeStats);
            dp.displs[k] = total * (int)sizeof(TrainEpisodeStats);
            total += dp.counts[k];
        }
    }
    MPI_Gatherv(part.ep, n * (int)sizeof(TrainEpisodeStats), MPI_BYTE, dp.ep, dp.bytes, dp.displs, MPI_BYTE, 0,
                MPI_COMM_WORLD);
    dp_records(tr, &part, e0);
    if (!finite) return -1;   /* every rank saw the same losses: all stop alike */
    TrainStats applied;
    memset(&applied, 0, sizeof applied);
    if (trainer_apply(tr, &applied) != 0) return -1;
    if (st) {
        *st = applied;
        st->episode = e0;
        st->n_episodes = total;
        st->ep = dp.ep;
        st->loss = 0.0;   /* the parts' means, weighted by their episodes */
        for (int k = 0; k < dp.size; k++) st->loss += dp.all[(size_t)k * W + P] * dp.counts[k] / (double)total;
        double sr = 0.0, sg = 0.0;
        for (int b = 0; b < total; b++) {
            sr += dp.ep[b].reward;
            sg += dp.ep[b].regret;
        }
        st->mean_reward = total ? sr / total : NAN;
        st->mean_regret = total ? sg / total : NAN;
    }
    return 0;
}

/* Rank 0's copy of lane `lane` of the last batch: its own lanes from its
** trainer, the others' unpacked from what they sent. */
static int dp_last_episode(const Trainer *tr, int lane, EpisodeRecord *rec)
{
    if (lane < dp.counts[0]) return trainer_last_episode(tr, lane, rec);
    if (lane >= dp.B || !dp.have[lane]) return -1;
    const unsigned char *p = dp.packs + (size_t)lane * dp.pack_size;
    const DpRecordHead *h = (const DpRecordHead *)p;
    if (rec->cap_trials < h->n_trials) return -1;
    episode_clear(rec);
    memcpy(rec->trials, p + sizeof *h, (size_t)h->n_trials * sizeof(TrialRecord));
    rec->n_trials = h->n_trials;
    rec->total_reward = h->total_reward;
    rec->regret = h->regret;
    memcpy(rec->instance, h->instance, sizeof rec->instance);
    rec->instance[sizeof rec->instance - 1] = '\0';
    return 0;
}

/* Ranks 1..K-1: receive the run from rank 0, then compute batches until it
** stops; return rank 0's exit status. Nothing is printed but a rank's own
** failure to start, and nothing is written. */
static int train_worker(void)
{
    long long head[3];
    MPI_Bcast(head, 3, MPI_LONG_LONG, 0, MPI_COMM_WORLD);
    if (head[0] != EXIT_OK) return (int)head[0];   /* rank 0 said why */
    char *text = malloc((size_t)head[1]), err[1024] = "out of memory";
    void *img = malloc((size_t)head[2]);
    if (!text || !img) {
        cli_error("rank %d: out of memory", dp.rank);
        MPI_Abort(MPI_COMM_WORLD, EXIT_FAILED);
    }
    MPI_Bcast(text, (int)head[1], MPI_CHAR, 0, MPI_COMM_WORLD);
    MPI_Bcast(img, (int)head[2], MPI_BYTE, 0, MPI_COMM_WORLD);
    Trainer *tr = dp_trainer(text, err, sizeof err);
    if (!tr || trainer_load(tr, img, (size_t)head[2], err, sizeof err) != 0 || dp_buffers(tr) != 0) {
        cli_error("rank %d: %s", dp.rank, err);
        MPI_Abort(MPI_COMM_WORLD, EXIT_FAILED);
    }
    free(text);
    free(img);
    cli_catch_signals();
    while (dp_step(tr, NULL) <= 0) {
    }
    int status = EXIT_OK;
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    trainer_free(tr);
    dp_free();
    return status;
}

/* Rank 0, after train_run: release the other ranks, with its exit status. */
static int dp_finish(int status)
{
    if (!dp.started) {
        long long head[3] = { status, 0, 0 };
        MPI_Bcast(head, 3, MPI_LONG_LONG, 0, MPI_COMM_WORLD);
    } else {
        if (!dp.stopped) {
            int flag = DP_STOP, any;
            MPI_Allreduce(&flag, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
        }
        MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    }
    dp_free();
    return status;
}
#endif

/* One batch: play, reduce, update (trainer_iterate, or its data-parallel
** form). Return 0, -1 if not finite, 1 if the MPI ranks stop. */
static int train_step(Trainer *tr, TrainStats *st)
{
#ifdef METARL_MPI
    if (dp.active) return dp_step(tr, st);
#endif
    return trainer_iterate(tr, st);
}

static int last_episode(const Trainer *tr, int lane, EpisodeRecord *rec)
{
#ifdef METARL_MPI
    if (dp.active) return dp_last_episode(tr, lane, rec);
#endif
    return trainer_last_episode(tr, lane, rec);
}

static int train_run(CmdArgs *a)
{
    char err[1024];
    const char *db = arg_flag(a, "db");
    if (!db) db = "metarl.db";
    int resume = arg_has(a, "resume");
    int quiet = arg_has(a, "quiet"), tty = isatty(2);
    int64_t run = 0;
    if (arg_has(a, "run") && !resume) return cli_fail(EXIT_USAGE, "--run goes with --resume");
    if (arg_has(a, "run") && arg_run_id(a, arg_flag(a, "run"), &run) != EXIT_OK) return EXIT_USAGE;

    Config *cfg = a->cfg, *owned = NULL;
    Store *store = NULL;
    Trainer *tr = NULL;
    void *buf = NULL;
    RunRow row;
    memset(&row, 0, sizeof row);
    int status = EXIT_OK;
    TrainConfig tc;

    if (resume) {
        store = store_open(db, STORE_READ, err, sizeof err);   /* check before writing anything */
        if (!store) return cli_fail(EXIT_USAGE, "%s", err);
        if (!run) run = store_last_run(store, "train");
        if (!run) {
            status = cli_fail(EXIT_USAGE, "--resume: %s holds no training run", db);
            goto done;
        }
        if (store_run_get(store, run, &row) != 0) {
            status = cli_fail(EXIT_USAGE, "--resume: %s", store_errmsg(store));
            goto done;
        }
        if (strcmp(row.kind, "train")) {
            status = cli_fail(EXIT_USAGE, "--resume: run %lld is a %s run, not a training run", (long long)run, row.kind);
            goto done;
        }
        if ((status = resume_config(a, &row, &owned)) != EXIT_OK) goto done;
        cfg = owned;
        store_close(store);
        store = NULL;
    }
#ifdef METARL_MPI
    if (dp.active && (status = dp_prepare(cfg, resume)) != EXIT_OK) goto done;
#endif
    if (train_config_from(cfg, &tc, err, sizeof err) != 0) {
        status = cli_fail(EXIT_USAGE, "%s", err);
        goto done;
    }
    tr = trainer_alloc(&tc, cfg, err, sizeof err);
    if (!tr) {
        status = cli_fail(EXIT_USAGE, "%s", err);
        goto done;
    }
    size_t n_buf = trainer_checkpoint_size(tr);
    buf = malloc(n_buf);
    if (!buf) {
        status = cli_fail(EXIT_FAILED, "out of memory");
        goto done;
    }
    store = store_open(db, STORE_WRITE, err, sizeof err);
    if (!store) {
        status = cli_fail(EXIT_USAGE, "%s", err);
        goto done;
    }
    if (resume) {
        int64_t ep;
        void *p = NULL, *o = NULL, *st = NULL;
        size_t np, no, ns;
        if (store_get_checkpoint(store, run, &ep, &p, &np, &o, &no, &st, &ns) != 0) {
            status = cli_fail(EXIT_FAILED, "%s", store_errmsg(store));
            goto done;
        }
        int bad = ep >= 0 && trainer_load(tr, st, ns, err, sizeof err) != 0;
        free(p);
        free(o);
        free(st);
        if (bad) {
            status = cli_fail(EXIT_USAGE, "--resume: run %lld: damaged checkpoint: %s", (long long)run, err);
            goto done;
        }
        if (ep < 0) ep = 0;   /* killed before its first checkpoint: start again */
        if (store_begin(store) || store_delete_after(store, run, ep) || store_run_reopen(store, run) ||
            store_commit(store)) {
            status = cli_fail(EXIT_FAILED, "%s", store_errmsg(store));
            goto done;
        }
        if (!quiet) fprintf(stderr, "metarl: resuming run %lld at episode %lld of %ld\n", (long long)run, (long long)ep, tc.episodes);
    } else {
        const char *name = arg_flag(a, "name");
        if (run_create(store, "train", name ? name : config_str(cfg, "task", "name"), 0, cfg, "network", &run, err,
                       sizeof err) != 0) {
            status = cli_fail(EXIT_FAILED, "%s", err);
            goto done;
        }
        if (store_begin(store) != 0 || checkpoint(store, run, tr, buf, n_buf) != 0) {   /* episode 0: resume point */
            status = cli_fail(EXIT_FAILED, "%s", store_errmsg(store));
            goto done;
        }
        if (!quiet) {
            char title[256];
            task_title(cfg, title, sizeof title);
            fprintf(stderr, "metarl: training run %lld in %s: task %s, %d units, batch %d, %ld episodes\n",
                    (long long)run, db, title, tc.hidden, tc.batch, tc.episodes);
        }
    }
#ifdef METARL_MPI
    if (dp.active && dp_start(cfg, &tr, buf, err, sizeof err) != 0) {
        status = cli_fail(EXIT_FAILED, "data-parallel start: %s", err);
        goto done;
    }
#endif
    cli_catch_signals();

    long record_every = config_int(cfg, "run", "record_every");
    EpisodeRecord *rec = record_every > 0 ? episode_alloc(trainer_task_info(tr)->max_trials, 0) : NULL;
    long start_episode = trainer_episode(tr), steps = 0;
    double t0 = now_s(), last_print = t0;
    Window recent = { 0 }, print_win = { 0 };
    int in_tx = 0, failed = 0;
    TrainStats st;
    while (trainer_episode(tr) < tc.episodes && !cli_stop_signal) {
        if (!in_tx) {
            if (store_begin(store) != 0) goto store_error;
            in_tx = 1;
        }
        int step = train_step(tr, &st);
        if (step > 0) break;   /* MPI: a signal on another rank */
        if (step != 0) {
            failed = 1;
            break;
        }
        double wall = now_s() - t0;
        for (int i = 0; i < st.n_episodes; i++) {
            const TrainEpisodeStats *e = &st.ep[i];
            TrainRow tr_row = { e->episode, e->reward, e->regret, e->p_best, e->policy_loss, e->value_loss,
                                e->entropy, st.grad_norm, st.beta_e, wall };
            if (store_put_training(store, run, &tr_row) != 0) goto store_error;
            if (rec && e->episode % record_every == 0) {
                if (last_episode(tr, i, rec) == 0 &&
                    store_put_episode(store, run, e->episode, "train", rec, 0) != 0)
                    goto store_error;
            }
            window_add(&print_win, e);
            if (tc.episodes - e->episode <= 1000) window_add(&recent, e);
            steps += e->n_trials;
        }
        long done_eps = trainer_episode(tr);
        if (done_eps % tc.checkpoint_every < (long)tc.batch || done_eps >= tc.episodes) {
            in_tx = 0;
            if (checkpoint(store, run, tr, buf, n_buf) != 0) goto store_error;
        }
        double now = now_s();
        if (!quiet && now - last_print > (tty ? 0.5 : 10.0)) {
            double rate = (done_eps - start_episode) / (now - t0);
            char eta[32], perf[64] = "";
            format_eta((tc.episodes - done_eps) / rate, eta, sizeof eta);
            if (print_win.n_regret) snprintf(perf, sizeof perf, "  regret %.2f", print_win.regret / print_win.n_regret);
            else if (print_win.n_best) snprintf(perf, sizeof perf, "  P(best) %.3f", print_win.p_best / print_win.n_best);
            fprintf(stderr, tty ? "\repisode %ld/%ld  %.0f ep/s  reward/trial %.3f%s  ETA %s   "
                                : "episode %ld/%ld  %.0f ep/s  reward/trial %.3f%s  ETA %s\n",
                    done_eps, tc.episodes, rate, print_win.reward / print_win.trials, perf, eta);
            memset(&print_win, 0, sizeof print_win);
            last_print = now;
        }
    }
    if (!quiet && tty) fprintf(stderr, "\r%*s\r", 79, "");
    double wall = now_s() - t0;
    long final_episode = trainer_episode(tr);
    if (failed) {
        store_rollback(store);   /* the failed batch and rows since the last checkpoint */
        in_tx = 0;
        store_run_finish(store, run, "failed", NULL);
        int64_t ck = -1;
        void *p = NULL, *o = NULL, *s2 = NULL;
        size_t n1, n2, n3;
        store_get_checkpoint(store, run, &ck, &p, &n1, &o, &n2, &s2, &n3);
        free(p);
        free(o);
        free(s2);
        status = cli_fail(EXIT_FAILED, "training stopped at episode %ld: the loss or the gradient is not finite "
                                       "(NaN or Inf); the last good checkpoint (episode %lld) is kept in %s, run %lld",
                          final_episode, (long long)ck, db, (long long)run);
        episode_free(rec);
        goto done;
    }
    if (in_tx) {   /* stopped by a signal between checkpoints: save where we are */
        in_tx = 0;
        if (checkpoint(store, run, tr, buf, n_buf) != 0) goto store_error;
    }
    episode_free(rec);

    char *json = NULL;
    size_t json_len = 0;
    FILE *mem = open_memstream(&json, &json_len);
    if (mem) {
        Json j;
        json_init(&j, mem);
        json_object_begin(&j);
        json_kstr(&j, "command", "train");
        json_kstr(&j, "task", config_str(cfg, "task", "name"));
        task_json(cfg, &j);
        json_kstr(&j, "db", db);
        json_kint(&j, "run", run);
        json_kint(&j, "episodes", final_episode);
        json_kint(&j, "env_steps", steps);
        json_knum(&j, "wall_s", wall);
        json_knum(&j, "steps_per_s", wall > 0 ? steps / wall : NAN);
        json_knum(&j, "episodes_per_s", wall > 0 ? (final_episode - start_episode) / wall : NAN);
        json_knum(&j, "final_reward_per_trial", recent.trials > 0 ? recent.reward / recent.trials : NAN);
        json_knum(&j, "final_regret", recent.n_regret ? recent.regret / recent.n_regret : NAN);
        json_knum(&j, "final_p_best", recent.n_best ? recent.p_best / recent.n_best : NAN);
        json_kint(&j, "hidden", tc.hidden);
        json_kint(&j, "batch", tc.batch);
        json_kint(&j, "seed", (long long)tc.seed);
#ifdef METARL_MPI
        if (dp.active) json_kint(&j, "mpi_ranks", dp.size);   /* data-parallel: one part of each batch per rank */
#endif
        json_kstr(&j, "status", cli_stop_signal ? "interrupted" : "done");
        json_object_end(&j);
        fclose(mem);
    }
    if (store_run_finish(store, run, cli_stop_signal ? "interrupted" : "done", json) != 0) {
        free(json);
        goto store_error;
    }
    if (arg_has(a, "json")) {
        fputs(json ? json : "{}\n", stdout);
    } else {
        printf("trained run %lld in %s: %ld episodes, %ld env steps in %.1f s (%.0f steps/s)\n", (long long)run, db,
               final_episode, steps, wall, wall > 0 ? steps / wall : 0.0);
        if (recent.n) {
            printf("last %ld training episodes: reward/trial %.4f", recent.n, recent.reward / recent.trials);
            if (recent.n_regret) printf(", regret %.3f", recent.regret / recent.n_regret);
            if (recent.n_best) printf(", P(best) %.4f", recent.p_best / recent.n_best);
            printf("\n");
        }
        if (!cli_stop_signal) printf("next: metarl test --db %s --run %lld\n", db, (long long)run);
    }
    free(json);
    if (cli_stop_signal) {
        cli_error("interrupted at episode %ld (checkpoint saved); resume with: metarl train --resume --db %s --run %lld",
                  final_episode, db, (long long)run);
        status = 128 + cli_stop_signal;
    }
    goto done;
store_error:
    status = cli_fail(EXIT_FAILED, "%s", store_errmsg(store));
    store_rollback(store);
done:
    store_run_clear(&row);
    store_close(store);
    trainer_free(tr);
    free(buf);
    config_free(owned);
    return status;
}

#ifdef METARL_MPI
/* Under mpirun with more than one rank (and not inside a sweep, whose ranks
** train on their own), train data-parallel: rank 0 runs train_run, the
** others train_worker. */
static int train_command(CmdArgs *a)
{
    char err[256];
    if (mpi_world(&dp.rank, &dp.size, err, sizeof err) != 0) return cli_fail(EXIT_FAILED, "%s", err);
    dp.active = mpi_team_size() > 1;
    if (!dp.active) return train_run(a);
    if (dp.rank > 0) return train_worker();
    return dp_finish(train_run(a));
}
#define TRAIN_COMMAND train_command
#else
#define TRAIN_COMMAND train_run
#endif

const Command cmd_train = {
    "train", "[--config FILE] [--db FILE] [options]",
    "meta-train the prefrontal network with A2C; curve and checkpoints go to the store",
    "Each episode is a new task instance; weights change once per batch of episodes. The same seed\n"
    "and settings give bit-identical weights, also across --resume. Ctrl-C finishes the batch, saves a\n"
    "checkpoint and exits 130; `metarl train --resume --db FILE` continues where it stopped.",
    train_declare_all, train_flags, 0, 0, TRAIN_COMMAND
};
