/* jobs/train_mpi.c: data-parallel training over MPI (the MPI build only; see train_mpi.h).
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
** Rank 0 is the ordinary training job (jobs/train.c, with this hook): it alone
** reads and writes the store, prints, and checkpoints; it gathers the
** per-episode numbers of every part for the training curve, and the recorded
** episodes (run.record_every) from the rank that played them. The other
** ranks (train_mpi_worker) receive the resolved settings and the starting
** checkpoint from rank 0, then only compute. The stored config says
** train.workers = K, so `metarl train --resume` without MPI continues the run
** bit-identically with K threads, and `mpirun -n K` continues it too.
**
** Protocol, per batch, in the same order on every rank: an Allreduce(MAX) of
** a stop flag (a signal caught on any rank, or DP_STOP when rank 0 ends the
** loop for any reason), the gradient Allgather, a Gather + Gatherv of the
** parts' episode numbers, and one message per recorded episode to rank 0.
** A rank that cannot start (out of memory) makes the command abort the job
** (MPI_Abort); the store then holds the last checkpoint, from which
** --resume continues.
**
** All of a rank's state is one TrainMpi, which the TrainHook's functions
** get as their context; nothing here prints. */
#ifdef METARL_MPI
#include <math.h>
#include <mpi.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/run_util.h"
#include "jobs/train.h"
#include "jobs/train_mpi.h"
#include "model/train_settings.h"

#define DP_STOP 1000       /* stop flag: rank 0 ends the loop (signals are < 1000) */
#define DP_TAG_RECORD 71

/* A recorded training episode, as sent to rank 0 (followed by its trials). */
typedef struct {
    int n_trials;          /* -1: the lane could not be copied */
    double total_reward, regret;
    char instance[EPISODE_INSTANCE_MAX];
} DpRecordHead;

struct TrainMpi {
    TrainHook hook;
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
};

/* The settings of a data-parallel run, checked and completed on rank 0:
** train.workers = K in the stored config (so a resume without MPI, with K
** threads, continues bit-identically), refused if it says otherwise. A
** trainer that has no train.workers setting needs nothing. */
static int usage(char *err, size_t n_err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int usage(char *err, size_t n_err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n_err, fmt, ap);
    va_end(ap);
    return JOB_USAGE;
}

static int dp_prepare(void *ctx, Config *cfg, int resume, char *err_out, size_t n_err_out)
{
    TrainMpi *m = ctx;
    char k[16], err[1024];
    const long batch = config_int(cfg, "train", "batch");
    snprintf(k, sizeof k, "%d", m->size);
    if (batch < m->size)
        return usage(err_out, n_err_out, "mpirun started %d ranks for batches of %ld episodes: at most one rank per "
                                         "episode of a batch (train.batch)", m->size, batch);
    if (!config_spec(cfg, "train", "workers")) return JOB_OK;
    const char *w = config_get(cfg, "train", "workers");
    if (resume) {
        if (strcmp(w, k))
            return usage(err_out, n_err_out, "--resume: the run was trained with train.workers = %s; continue it with "
                                        "mpirun -n %s, or without MPI (not with %d ranks)", w, w, m->size);
        return JOB_OK;
    }
    if (config_is_set(cfg, "train", "workers") && strcmp(w, k))
        return usage(err_out, n_err_out, "train.workers = %s, but mpirun started %d ranks: data-parallel training runs "
                                    "one worker per rank, as train.workers = %d", w, m->size, m->size);
    if (config_set(cfg, "train", "workers", k, "mpirun -n", err, sizeof err) != 0)
        return usage(err_out, n_err_out, "%s", err);
    return JOB_OK;
}

/* This rank's trainer for the resolved settings `text` (INI): the same run
** with one worker. NULL with a message in err. */
static Trainer *dp_trainer(TrainMpi *m, const char *text, char *err, size_t n_err)
{
    TrainConfig tl;
    config_free(m->local);
    m->local = config_alloc();
    if (!m->local || train_declare_all(m->local) != 0) {
        snprintf(err, n_err, "out of memory");
        return NULL;
    }
    if (config_load_text(m->local, text, "rank 0's settings", err, n_err) != 0 ||
        (config_spec(m->local, "train", "workers") &&
         config_set(m->local, "train", "workers", "1", "data-parallel rank", err, n_err) != 0) ||
        config_finalize(m->local, err, n_err) != 0 || train_config_from(m->local, &tl, err, n_err) != 0)
        return NULL;
    Trainer *tr = trainer_alloc(&tl, m->local, err, n_err);
    if (!tr) return NULL;
    if (trainer_set_part(tr, m->rank, m->size) != 0) {
        snprintf(err, n_err, "cannot split a batch of %d episodes into %d parts", tl.batch, m->size);
        trainer_free(tr);
        return NULL;
    }
    m->B = tl.batch;
    m->record_every = config_int(m->local, "run", "record_every");
    return tr;
}

static void dp_free(TrainMpi *m)
{
    free(m->send);
    free(m->all);
    free(m->counts);
    free(m->bytes);
    free(m->displs);
    free(m->ep);
    free(m->pack);
    free(m->packs);
    free(m->have);
    episode_free(m->rec);
    config_free(m->local);
    TrainHook hook = m->hook;
    int rank = m->rank, size = m->size;
    memset(m, 0, sizeof *m);
    m->hook = hook;
    m->rank = rank;
    m->size = size;
}

/* Buffers for the exchange; -1 if out of memory. */
static int dp_buffers(TrainMpi *m, const Trainer *tr)
{
    trainer_params(tr, &m->P);
    m->max_trials = trainer_task_info(tr)->max_trials;
    m->pack_size = sizeof(DpRecordHead) + (size_t)m->max_trials * sizeof(TrialRecord);
    m->send = malloc((m->P + 1) * sizeof(double));
    m->all = malloc((size_t)m->size * (m->P + 1) * sizeof(double));
    m->counts = calloc((size_t)m->size, sizeof(int));
    m->bytes = calloc((size_t)m->size, sizeof(int));
    m->displs = calloc((size_t)m->size, sizeof(int));
    m->ep = calloc((size_t)m->B, sizeof *m->ep);
    if (m->rank) {
        m->pack = malloc(m->pack_size);
        m->rec = episode_alloc(m->max_trials, 0);
    } else {
        m->packs = malloc((size_t)m->B * m->pack_size);
        m->have = calloc((size_t)m->B, sizeof *m->have);
    }
    if (!m->send || !m->all || !m->counts || !m->bytes || !m->displs || !m->ep ||
        (m->rank ? !m->pack || !m->rec : !m->packs || !m->have))
        return -1;
    return 0;
}

/* Rank 0, once its trainer is ready (new, or loaded from the checkpoint):
** send the settings and the trainer's state to the other ranks. */
static int dp_start(void *ctx, const Config *cfg, Trainer **tr, void *buf, char *err, size_t n_err)
{
    TrainMpi *m = ctx;
    if (trainer_task_info(*tr)->max_stages > 1) {   /* the exchange packs trial records only */
        snprintf(err, n_err, "multi-stage tasks (task %s) do not train under MPI yet; train with --workers",
                 task_name(cfg));
        return -1;
    }
    char *text = config_dump(cfg);
    if (!text) {
        snprintf(err, n_err, "out of memory");
        return -1;
    }
    /* rank 0 computes part 0 with one worker, like the others */
    trainer_save(*tr, buf);
    size_t n_buf = trainer_checkpoint_size(*tr);
    Trainer *mine = dp_trainer(m, text, err, n_err);
    if (!mine || trainer_load(mine, buf, n_buf, err, n_err) != 0 || dp_buffers(m, mine) != 0) {
        if (mine && !err[0]) snprintf(err, n_err, "out of memory");
        trainer_free(mine);
        free(text);
        return -1;
    }
    trainer_free(*tr);
    *tr = mine;
    long long head[3] = { JOB_OK, (long long)strlen(text) + 1, (long long)n_buf };
    MPI_Bcast(head, 3, MPI_LONG_LONG, 0, MPI_COMM_WORLD);
    MPI_Bcast(text, (int)head[1], MPI_CHAR, 0, MPI_COMM_WORLD);
    MPI_Bcast(buf, (int)n_buf, MPI_BYTE, 0, MPI_COMM_WORLD);
    free(text);
    m->started = 1;
    return 0;
}

/* Recorded episodes of other parts go to rank 0, in batch order, as packs:
** a DpRecordHead and the trials; rank 0 keeps each pack until
** dp_last_episode() unpacks it. */
static void dp_records(TrainMpi *m, Trainer *tr, const TrainStats *part, long e0)
{
    if (m->record_every <= 0) return;
    if (m->rank > 0) {
        DpRecordHead *h = (DpRecordHead *)m->pack;
        for (int i = 0; i < part->n_episodes; i++) {
            long e = part->ep[i].episode;
            if (e % m->record_every) continue;
            memset(h, 0, sizeof *h);
            h->n_trials = -1;
            if (trainer_last_episode(tr, (int)(e - e0), m->rec) == 0) {
                h->n_trials = m->rec->n_trials;
                h->total_reward = m->rec->total_reward;
                h->regret = m->rec->regret;
                memcpy(h->instance, m->rec->instance, sizeof h->instance);
                memcpy(m->pack + sizeof *h, m->rec->trials, (size_t)m->rec->n_trials * sizeof(TrialRecord));
            }
            MPI_Send(m->pack, (int)m->pack_size, MPI_BYTE, 0, DP_TAG_RECORD, MPI_COMM_WORLD);
        }
        return;
    }
    memset(m->have, 0, (size_t)m->B * sizeof *m->have);
    for (int k = 1, lane = m->counts[0]; k < m->size; k++) {
        for (int j = 0; j < m->counts[k]; j++, lane++) {
            if (m->ep[lane].episode % m->record_every) continue;
            unsigned char *p = m->packs + (size_t)lane * m->pack_size;
            MPI_Recv(p, (int)m->pack_size, MPI_BYTE, k, DP_TAG_RECORD, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            const DpRecordHead *h = (const DpRecordHead *)p;
            m->have[lane] = h->n_trials >= 0 && h->n_trials <= m->max_trials;
        }
    }
}

/* One batch on every rank. Return 0 (rank 0: *st holds the whole batch),
** -1 if the loss or the gradient is not finite (on every rank alike: the
** weights did not change), or 1 if the ranks stop (a signal somewhere, or
** rank 0 ended the loop). */
static int dp_step(void *ctx, Trainer *tr, TrainStats *st, volatile sig_atomic_t *stop)
{
    TrainMpi *m = ctx;
    int flag = *stop, any = 0;
    MPI_Allreduce(&flag, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (any) {
        m->stopped = 1;
        if (any < DP_STOP && !*stop) *stop = any;
        return 1;
    }
    const long e0 = trainer_episode(tr);
    const size_t P = m->P, W = m->P + 1;
    TrainStats part;
    memset(&part, 0, sizeof part);
    int rc = trainer_compute(tr, &part);
    size_t n_grad;
    double *g = trainer_grad(tr, &n_grad);
    if (n_grad != P) MPI_Abort(MPI_COMM_WORLD, JOB_FAILED);   /* a bug: the ranks disagree on the network */
    memcpy(m->send, g, P * sizeof(double));
    m->send[P] = rc == 0 ? part.loss : NAN;
    MPI_Allgather(m->send, (int)W, MPI_DOUBLE, m->all, (int)W, MPI_DOUBLE, MPI_COMM_WORLD);
    /* the reduction, in part order: ((g_0 + g_1) + g_2) + ... */
    int finite = 1;
    memcpy(g, m->all, P * sizeof(double));
    for (int k = 0; k < m->size; k++) {
        const double *gk = m->all + (size_t)k * W;
        if (!isfinite(gk[P])) finite = 0;
        if (k > 0)
            for (size_t i = 0; i < P; i++) g[i] += gk[i];
    }
    /* the parts' episode numbers (and recorded episodes) to rank 0 */
    int n = rc == 0 ? part.n_episodes : 0, total = 0;
    MPI_Gather(&n, 1, MPI_INT, m->counts, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (m->rank == 0) {
        for (int k = 0; k < m->size; k++) {
            if (total + m->counts[k] > m->B) m->counts[k] = m->B - total;   /* cannot happen; never overflow ep */
            m->bytes[k] = m->counts[k] * (int)sizeof(TrainEpisodeStats);
            m->displs[k] = total * (int)sizeof(TrainEpisodeStats);
            total += m->counts[k];
        }
    }
    MPI_Gatherv(part.ep, n * (int)sizeof(TrainEpisodeStats), MPI_BYTE, m->ep, m->bytes, m->displs, MPI_BYTE, 0,
                MPI_COMM_WORLD);
    dp_records(m, tr, &part, e0);
    if (!finite) return -1;   /* every rank saw the same losses: all stop alike */
    TrainStats applied;
    memset(&applied, 0, sizeof applied);
    if (trainer_apply(tr, &applied) != 0) return -1;
    if (st) {
        *st = applied;
        st->episode = e0;
        st->n_episodes = total;
        st->ep = m->ep;
        st->loss = 0.0;   /* the parts' means, weighted by their episodes */
        for (int k = 0; k < m->size; k++) st->loss += m->all[(size_t)k * W + P] * m->counts[k] / (double)total;
        double sr = 0.0, sg = 0.0;
        for (int b = 0; b < total; b++) {
            sr += m->ep[b].reward;
            sg += m->ep[b].regret;
        }
        st->mean_reward = total ? sr / total : NAN;
        st->mean_regret = total ? sg / total : NAN;
    }
    return 0;
}

/* Rank 0's copy of lane `lane` of the last batch: its own lanes from its
** trainer, the others' unpacked from what they sent. */
static int dp_last_episode(void *ctx, const Trainer *tr, int lane, EpisodeRecord *rec)
{
    TrainMpi *m = ctx;
    if (lane < m->counts[0]) return trainer_last_episode(tr, lane, rec);
    if (lane >= m->B || !m->have[lane]) return -1;
    const unsigned char *p = m->packs + (size_t)lane * m->pack_size;
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
int train_mpi_worker(TrainMpi *m, volatile sig_atomic_t *stop, char *err_out, size_t n_err_out)
{
    long long head[3];
    MPI_Bcast(head, 3, MPI_LONG_LONG, 0, MPI_COMM_WORLD);
    if (head[0] != JOB_OK) return (int)head[0];   /* rank 0 said why */
    char *text = malloc((size_t)head[1]), err[1024] = "out of memory";
    void *img = malloc((size_t)head[2]);
    if (!text || !img) {
        free(text);
        free(img);
        snprintf(err_out, n_err_out, "rank %d: out of memory", m->rank);
        return -1;
    }
    MPI_Bcast(text, (int)head[1], MPI_CHAR, 0, MPI_COMM_WORLD);
    MPI_Bcast(img, (int)head[2], MPI_BYTE, 0, MPI_COMM_WORLD);
    Trainer *tr = dp_trainer(m, text, err, sizeof err);
    if (!tr || trainer_load(tr, img, (size_t)head[2], err, sizeof err) != 0 || dp_buffers(m, tr) != 0) {
        snprintf(err_out, n_err_out, "rank %d: %s", m->rank, err);
        trainer_free(tr);
        free(text);
        free(img);
        return -1;
    }
    free(text);
    free(img);
    while (dp_step(m, tr, NULL, stop) <= 0) {
    }
    int status = JOB_OK;
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    trainer_free(tr);
    dp_free(m);
    return status;
}

/* Rank 0, after the training job: release the other ranks, with its status. */
int train_mpi_finish(TrainMpi *m, int status)
{
    if (!m->started) {
        long long head[3] = { status, 0, 0 };
        MPI_Bcast(head, 3, MPI_LONG_LONG, 0, MPI_COMM_WORLD);
    } else {
        if (!m->stopped) {
            int flag = DP_STOP, any;
            MPI_Allreduce(&flag, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
        }
        MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    }
    dp_free(m);
    return status;
}

TrainMpi *train_mpi_alloc(int rank, int size)
{
    TrainMpi *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->rank = rank;
    m->size = size;
    m->hook = (TrainHook){ m, size, dp_prepare, dp_start, dp_step, dp_last_episode };
    return m;
}

void train_mpi_free(TrainMpi *m)
{
    if (!m) return;
    dp_free(m);
    free(m);
}

const TrainHook *train_mpi_hook(TrainMpi *m) { return &m->hook; }
#endif
