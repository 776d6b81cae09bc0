/* model/trainer.c: batched A2C training of the network (see trainer.h).
**
** Layout of the work: the network (weights, shared, read-only during a
** batch) and one TrainLane per batch episode. A lane owns everything one
** episode touches: its task, its two generators, the network lane (forward
** cache and backward scratch) and the A2C buffers. The lanes of this
** trainer's part of the batch are split into contiguous blocks, one per
** worker; a worker plays its lanes in lockstep (net_forward_lanes: one trial
** of all its running lanes at a time), then backpropagates them together
** (net_backward_lanes) into its own gradient block, lane after lane. Worker
** w > 0 runs on pool thread w (created once, in trainer_alloc, waiting on a
** condition variable between batches); worker 0 is the calling thread and
** accumulates straight into tr->grad. The workers' gradients are then added
** to tr->grad in worker order by the calling thread. No thread ever writes
** what another reads during a batch; the mutex hand-offs at the start and
** the end of a batch order everything else.
*/
#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "core/thread.h"
#include "model/a2c.h"
#include "model/local_rule.h"
#include "model/optim.h"
#include "model/striatum.h"
#include "model/trainer.h"

typedef struct TrainLane {
    Task *task;
    gsl_rng *r_task, *r_pol;
    NetLane *nl;
    TaskTruth *truth;    /* (T_max) */
    int *stage;          /* (T_max) the stage of each step (all 0 for a single-stage task) */
    double *delta;       /* (T_max) */
    double *adv;         /* (T_max) */
    double *ret;         /* (T_max) */
    double *dlogits;     /* (T_max, A) */
    double *dV;          /* (T_max) */
    double obs[TASK_MAX_OBS];
    double loss;         /* the episode's A2C loss L (unscaled) */
    int active;
    LocalTrace *lt;      /* train.rule = eprop: the lane's eligibility traces; NULL with bptt */
} TrainLane;

typedef struct TrainWorker {
    struct Trainer *tr;
    int lo, hi;              /* its lanes [lo, hi) of the batch, for the current batch */
    double *grad;            /* (P) its lanes' gradient; worker 0's is tr->grad */
    /* argument lists of the lockstep calls, (B) each */
    NetLane **nls;
    const double **obs;
    gsl_rng **rng;
    const double **dl, **dv;
    int *lane;
    long n_double;           /* single precision: shares replayed in double (worker_run) */
    pthread_t thread;
    int started;             /* thread created */
} TrainWorker;

struct Trainer {
    TrainConfig tc;
    TaskInfo info;
    Net *net;
    Optim *opt;
    LocalRule *rule;             /* train.rule = eprop (model/local_rule.h); NULL with bptt */
    int B;
    TrainLane *lanes;            /* (B) */
    double *grad;                /* (P) this part's gradient, then the caller's reduction */
    TrainEpisodeStats *ep;       /* (B) */
    long episode;
    int have_batch;
    int part, n_parts, lo, hi;   /* this trainer computes lanes [lo, hi) */
    int n_workers;               /* min(train.workers, B) */
    TrainWorker *workers;        /* (n_workers) */
    /* the batch being computed, read by the workers */
    long e0;
    double beta_e;
    /* the pool (n_workers > 1) */
    int pool;                    /* mutex and conditions initialised */
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    unsigned long gen;           /* batches started */
    int n_done;                  /* pool threads finished with batch gen */
    int quit;
};

static void lane_free(TrainLane *L)
{
    task_free(L->task);
    if (L->r_task) gsl_rng_free(L->r_task);
    if (L->r_pol) gsl_rng_free(L->r_pol);
    net_lane_free(L->nl);
    free(L->truth);
    free(L->stage);
    free(L->delta);
    free(L->adv);
    free(L->ret);
    free(L->dlogits);
    free(L->dV);
    local_trace_free(L->lt);
}

static void worker_free(Trainer *tr, TrainWorker *w)
{
    if (w->grad != tr->grad) free(w->grad);
    free(w->nls);
    free((void *)w->obs);
    free(w->rng);
    free((void *)w->dl);
    free((void *)w->dv);
    free(w->lane);
}

/* Stop and join the pool threads. */
static void pool_stop(Trainer *tr)
{
    if (!tr->pool) return;
    pthread_mutex_lock(&tr->mu);
    tr->quit = 1;
    pthread_cond_broadcast(&tr->go);
    pthread_mutex_unlock(&tr->mu);
    for (int w = 1; w < tr->n_workers; w++)
        if (tr->workers[w].started) pthread_join(tr->workers[w].thread, NULL);
    thread_sync_destroy(&tr->mu, &tr->go, &tr->done);
    tr->pool = 0;
}

void trainer_free(Trainer *tr)
{
    if (!tr) return;
    if (tr->workers) {
        pool_stop(tr);
        for (int w = 0; w < tr->n_workers; w++) worker_free(tr, &tr->workers[w]);
    }
    free(tr->workers);
    if (tr->lanes)
        for (int b = 0; b < tr->B; b++) lane_free(&tr->lanes[b]);
    free(tr->lanes);
    net_free(tr->net);
    optim_free(tr->opt);
    local_rule_free(tr->rule);
    free(tr->grad);
    free(tr->ep);
    free(tr);
}

static void worker_run(TrainWorker *w);

static void *worker_main(void *arg)
{
    TrainWorker *w = arg;
    Trainer *tr = w->tr;
    unsigned long seen = 0;
    pthread_mutex_lock(&tr->mu);
    for (;;) {
        while (tr->gen == seen && !tr->quit) pthread_cond_wait(&tr->go, &tr->mu);
        if (tr->quit) break;
        seen = tr->gen;
        pthread_mutex_unlock(&tr->mu);
        worker_run(w);
        pthread_mutex_lock(&tr->mu);
        if (++tr->n_done == tr->n_workers - 1) pthread_cond_signal(&tr->done);
    }
    pthread_mutex_unlock(&tr->mu);
    return NULL;
}

/* Start the pool threads (signals stay with the caller's thread). Return 0,
** or -1 with a message. */
static int pool_start(Trainer *tr, char *err, size_t n_err)
{
    if (thread_sync_init(&tr->mu, &tr->go, &tr->done) != 0) goto fail;
    tr->pool = 1;
    int rc = 0;
    for (int w = 1; w < tr->n_workers && rc == 0; w++) {
        rc = thread_start_quiet(&tr->workers[w].thread, worker_main, &tr->workers[w]);
        tr->workers[w].started = rc == 0;
    }
    if (rc == 0) return 0;
fail:
    snprintf(err, n_err, "train.workers = %d: cannot start the worker threads", tr->n_workers);
    return -1;
}

Trainer *trainer_alloc(const TrainConfig *tc, const Config *cfg, char *err, size_t n_err)
{
    if (tc->batch < 1) {
        snprintf(err, n_err, "train.batch must be >= 1");
        return NULL;
    }
    if (tc->workers < 1 || tc->workers > TRAIN_MAX_WORKERS) {
        snprintf(err, n_err, "train.workers must be in 1..%d", TRAIN_MAX_WORKERS);
        return NULL;
    }
    Trainer *tr = calloc(1, sizeof *tr);
    if (!tr) goto oom;
    tr->tc = *tc;
    tr->B = tc->batch;
    tr->part = 0;
    tr->n_parts = 1;
    tr->lo = 0;
    tr->hi = tr->B;
    tr->n_workers = tc->workers < tr->B ? tc->workers : tr->B;
    tr->lanes = calloc((size_t)tr->B, sizeof *tr->lanes);
    tr->ep = calloc((size_t)tr->B, sizeof *tr->ep);
    if (!tr->lanes || !tr->ep) goto oom;

    /* the tasks first: the network's size depends on them */
    for (int b = 0; b < tr->B; b++) {
        tr->lanes[b].task = task_alloc(cfg, err, n_err);
        if (!tr->lanes[b].task) goto fail;
    }
    tr->info = tr->lanes[0].task->info;
    if (tr->info.n_actions > TASK_MAX_ACTIONS || tr->info.obs_dim > TASK_MAX_OBS) {
        snprintf(err, n_err, "task has %d actions and %d observations; the trainer handles %d and %d",
                 tr->info.n_actions, tr->info.obs_dim, TASK_MAX_ACTIONS, TASK_MAX_OBS);
        goto fail;
    }
    NetConfig nc;
    train_net_config(tc, tr->info.n_actions, tr->info.obs_dim, task_max_steps(&tr->info), &nc);
    tr->net = net_alloc(&nc, err, n_err);
    if (!tr->net) goto fail;
    const size_t P = tr->net->d.n_params, T = (size_t)task_max_steps(&tr->info);
    const size_t A = (size_t)tr->info.n_actions, B = (size_t)tr->B;

    gsl_rng *r_init = rng_alloc();
    if (!r_init) goto oom;
    rng_seed_episode(r_init, tc->seed, RNG_STREAM_INIT, 0);
    int rc = net_init(tr->net, r_init);
    gsl_rng_free(r_init);
    if (rc != 0) goto oom;

    tr->opt = optim_alloc(&tc->optim, P);
    tr->grad = calloc(P, sizeof(double));
    if (!tr->opt || !tr->grad) goto oom;
    if (tc->rule == TRAIN_RULE_EPROP) {
        const LocalRuleConfig lc = { tc->feedback_symmetric, tc->gamma, tc->gae_lambda, tc->delta_scale,
                                     tc->beta_v, 1.0 / tr->B, tc->seed };
        tr->rule = local_rule_alloc(tr->net, &lc, err, n_err);
        if (!tr->rule) goto fail;
    }
    for (int b = 0; b < tr->B; b++) {
        TrainLane *L = &tr->lanes[b];
        L->r_task = rng_alloc();
        L->r_pol = rng_alloc();
        L->nl = net_lane_alloc(tr->net);
        L->truth = calloc(T, sizeof *L->truth);
        L->stage = calloc(T, sizeof *L->stage);
        L->delta = calloc(T, sizeof(double));
        L->adv = calloc(T, sizeof(double));
        L->ret = calloc(T, sizeof(double));
        L->dlogits = calloc(T * A, sizeof(double));
        L->dV = calloc(T, sizeof(double));
        if (!L->r_task || !L->r_pol || !L->nl || !L->truth || !L->stage || !L->delta || !L->adv || !L->ret
            || !L->dlogits || !L->dV)
            goto oom;
        if (tr->rule && !(L->lt = local_trace_alloc(tr->net))) goto oom;
    }
    tr->workers = calloc((size_t)tr->n_workers, sizeof *tr->workers);
    if (!tr->workers) goto oom;
    for (int w = 0; w < tr->n_workers; w++) {
        TrainWorker *W = &tr->workers[w];
        W->tr = tr;
        W->grad = w == 0 ? tr->grad : calloc(P, sizeof(double));
        W->nls = calloc(B, sizeof *W->nls);
        W->obs = calloc(B, sizeof *W->obs);
        W->rng = calloc(B, sizeof *W->rng);
        W->dl = calloc(B, sizeof *W->dl);
        W->dv = calloc(B, sizeof *W->dv);
        W->lane = calloc(B, sizeof *W->lane);
        if (!W->grad || !W->nls || !W->obs || !W->rng || !W->dl || !W->dv || !W->lane) goto oom;
    }
    if (tr->n_workers > 1 && pool_start(tr, err, n_err) != 0) goto fail;
    return tr;
oom:
    snprintf(err, n_err, "out of memory");
fail:
    trainer_free(tr);
    return NULL;
}

/* First lane of block k of K contiguous blocks of n lanes (block k is
** [block_lo(n, k, K), block_lo(n, k + 1, K)); no block is empty if n >= K). */
static int block_lo(int n, int k, int K) { return (int)((long long)n * k / K); }

int trainer_set_part(Trainer *tr, int part, int n_parts)
{
    if (n_parts < 1 || n_parts > tr->B || part < 0 || part >= n_parts) return -1;
    tr->part = part;
    tr->n_parts = n_parts;
    tr->lo = block_lo(tr->B, part, n_parts);
    tr->hi = block_lo(tr->B, part + 1, n_parts);
    tr->have_batch = 0;
    return 0;
}

/* Start lane L's episode `e`. */
static void lane_start(Trainer *tr, TrainLane *L, long e)
{
    rng_seed_episode(L->r_task, tr->tc.seed, RNG_STREAM_TASK, (uint64_t)e);
    rng_seed_episode(L->r_pol, tr->tc.seed, RNG_STREAM_POLICY, (uint64_t)e);
    L->task->type->reset(L->task->state, L->r_task);
    net_lane_reset(L->nl);
    if (L->lt) local_trace_reset(tr->net, L->lt);
    L->active = 1;
}

/* Loss of lane L's episode: dlogits and dV (scaled by 1/B), L->loss and the
** episode's summary st. */
static void lane_loss(Trainer *tr, TrainLane *L, double beta_e, TrainEpisodeStats *st)
{
    const TrainConfig *tc = &tr->tc;
    NetLane *nl = L->nl;
    const int T = nl->t, A = tr->info.n_actions;
    A2cTerms terms;
    /* the striatum's delta, the one the episode record stores (trainer_last_episode) */
    striatum_deltas(T, nl->reward, nl->V, tc->gamma, L->delta);
    a2c_advantages_scaled(T, L->delta, tc->delta_scale, nl->V, tc->gamma, tc->gae_lambda, L->adv, L->ret);
    a2c_loss(T, A, nl->logp, nl->probs, nl->action, L->adv, L->ret, nl->V, tc->beta_v, beta_e,
             1.0 / tr->B, L->dlogits, L->dV, &terms);
    L->loss = terms.loss;
    if (tc->beta_pred > 0.0) L->loss += tc->beta_pred * net_pred_loss(tr->net, nl, tc->beta_pred, 1.0 / tr->B);

    double reward = 0.0, regret = 0.0;
    int n_best = 0, n_known = 0, regret_known = 1, n_trials = 0;
    for (int t = 0; t < T; t++) {
        const TaskTruth *tt = &L->truth[t];
        const int a = nl->action[t];
        reward += nl->reward[t];
        n_trials += L->stage[t] == 0;
        if (L->stage[t] != tr->info.choice_stage) continue;   /* regret and P(best) count the trial's choice */
        const double g = episode_trial_regret(tt, a);
        if (isnan(g)) regret_known = 0;
        else regret += g;
        if (tt->best >= 0) {
            n_known++;
            n_best += a == tt->best;
        }
    }
    st->n_trials = n_trials;
    st->reward = reward;
    st->regret = regret_known ? regret : NAN;
    st->p_best = n_known ? (double)n_best / n_known : NAN;
    st->policy_loss = terms.policy;
    st->value_loss = terms.value;
    st->entropy = T ? terms.entropy / T : NAN;
}

/* One worker's share of a batch with network net: play lanes [lo, hi) in
** lockstep, their losses, and their gradient (summed in lane order) into w->grad. */
static void worker_play(TrainWorker *w, const Net *net)
{
    Trainer *tr = w->tr;
    const int A = tr->info.n_actions;
    for (int b = w->lo; b < w->hi; b++) lane_start(tr, &tr->lanes[b], tr->e0 + b);
    const LocalRule *rule = tr->rule;   /* eprop: the gradient is summed online, step by step */
    if (rule) memset(w->grad, 0, net->d.n_params * sizeof(double));

    /* lockstep: trial t of every lane still running, then trial t+1 */
    for (;;) {
        int m = 0;
        for (int b = w->lo; b < w->hi; b++) {
            TrainLane *L = &tr->lanes[b];
            if (!L->active) continue;
            const TaskType *tt = L->task->type;
            tt->truth(L->task->state, &L->truth[L->nl->t]);
            L->stage[L->nl->t] = tt->stage ? tt->stage(L->task->state) : 0;
            tt->observe(L->task->state, L->obs);
            w->nls[m] = L->nl;
            w->obs[m] = L->obs;
            w->rng[m] = L->r_pol;
            w->lane[m++] = b;
        }
        if (m == 0) break;
        net_forward_lanes(net, w->nls, m, w->obs, w->rng);
        for (int k = 0; k < m; k++) {
            TrainLane *L = &tr->lanes[w->lane[k]];
            NetLane *nl = L->nl;
            if (rule) local_rule_forward(rule, net, L->lt, nl, w->grad);
            int a = rng_categorical(net_lane_probs(net, nl), A, L->r_pol);
            int done = 0;
            double reward = L->task->type->step(L->task->state, a, L->r_task, &done);
            net_lane_record(nl, a, reward);
            if (rule) local_rule_record(rule, net, L->lt, nl, tr->beta_e, done, w->grad);
            if (done) L->active = 0;
            /* the task promised at most max_trials trials */
            assert(L->active == 0 || nl->t < nl->T_max);
        }
    }

    int n = 0;
    for (int b = w->lo; b < w->hi; b++) {
        TrainLane *L = &tr->lanes[b];
        tr->ep[b].episode = tr->e0 + b;
        lane_loss(tr, L, tr->beta_e, &tr->ep[b]);
        w->nls[n] = L->nl;
        w->dl[n] = L->dlogits;
        w->dv[n++] = L->dV;
    }
    if (rule) return;   /* its gradient is in w->grad already; the losses above are for the stats */
    memset(w->grad, 0, net->d.n_params * sizeof(double));
    net_backward_lanes(net, w->nls, n, w->dl, w->dv, w->grad);
}

/* The worker's share of the batch. In single precision (net.h "Precision"), a
** share whose loss or gradient is not finite is played again in double, from
** the same seeds: float's range ends at 3.4e38, and relu networks early in
** training reach gradients of 1e22-1e63 that double holds and clipping then
** absorbs. The decision depends only on the single-precision results, so the
** run stays deterministic; that share's result is the double path's. */
static void worker_run(TrainWorker *w)
{
    const Net *net = w->tr->net;
    if (w->lo >= w->hi) return;
    worker_play(w, net);
    if (!net->cfg.single) return;
    int ok = 1;
    for (int b = w->lo; b < w->hi; b++) ok &= isfinite(w->tr->lanes[b].loss);
    for (size_t i = 0; i < net->d.n_params; i++) ok &= isfinite(w->grad[i]);
    if (ok) return;
    Net dbl = *net;   /* the same matrices, read by the double kernels */
    dbl.cfg.single = 0;
    worker_play(w, &dbl);
    w->n_double++;
}

int trainer_compute(Trainer *tr, TrainStats *stats)
{
    const int n_lanes = tr->hi - tr->lo;
    const int nw = tr->n_workers < n_lanes ? tr->n_workers : n_lanes;
    const size_t P = tr->net->d.n_params;
    tr->e0 = tr->episode;
    tr->beta_e = train_beta_e(&tr->tc, tr->e0);
    for (int w = 0; w < tr->n_workers; w++) {
        TrainWorker *W = &tr->workers[w];
        W->lo = w < nw ? tr->lo + block_lo(n_lanes, w, nw) : tr->hi;
        W->hi = w < nw ? tr->lo + block_lo(n_lanes, w + 1, nw) : tr->hi;
    }
    if (nw == 1) {
        worker_run(&tr->workers[0]);
    } else {
        pthread_mutex_lock(&tr->mu);
        tr->n_done = 0;
        tr->gen++;
        pthread_cond_broadcast(&tr->go);
        pthread_mutex_unlock(&tr->mu);
        worker_run(&tr->workers[0]);
        pthread_mutex_lock(&tr->mu);
        while (tr->n_done < tr->n_workers - 1) pthread_cond_wait(&tr->done, &tr->mu);
        pthread_mutex_unlock(&tr->mu);
    }
    tr->have_batch = 1;

    /* fixed-order reduction over the workers: ((g_0 + g_1) + g_2) + ... */
    double *g = tr->grad;
    for (int w = 1; w < nw; w++) {
        const double *gw = tr->workers[w].grad;
        for (size_t i = 0; i < P; i++) g[i] += gw[i];
    }
    double loss = 0.0, sr = 0.0, sg = 0.0;
    for (int b = tr->lo; b < tr->hi; b++) {
        loss += tr->lanes[b].loss;
        sr += tr->ep[b].reward;
        sg += tr->ep[b].regret;
    }
    loss /= n_lanes;
    if (stats) {
        stats->episode = tr->e0;
        stats->n_episodes = n_lanes;
        stats->ep = tr->ep + tr->lo;
        stats->loss = loss;
        stats->grad_norm = NAN;
        stats->beta_e = tr->beta_e;
        stats->lr = train_lr(&tr->tc, tr->e0);
        stats->mean_reward = sr / n_lanes;
        stats->mean_regret = sg / n_lanes;
    }
    if (!isfinite(loss)) {
        g[0] = NAN;   /* so that every reduction that includes this part fails in trainer_apply */
        return -1;
    }
    return 0;
}

double *trainer_grad(Trainer *tr, size_t *n)
{
    if (n) *n = tr->net->d.n_params;
    return tr->grad;
}

int trainer_apply(Trainer *tr, TrainStats *stats)
{
    const size_t P = tr->net->d.n_params;
    const long e0 = tr->episode;
    const double norm = optim_norm(tr->grad, P), lr = train_lr(&tr->tc, e0);
    if (stats) {
        stats->episode = e0;
        stats->grad_norm = norm;
        stats->beta_e = train_beta_e(&tr->tc, e0);
        stats->lr = lr;
    }
    if (!isfinite(norm)) return -1;
    optim_clip(tr->grad, P, tr->tc.clip_norm);
    tr->opt->cfg.lr = lr;
    optim_step(tr->opt, tr->net->params, tr->grad);
    net_refresh(tr->net);
    tr->episode += tr->B;
    return 0;
}

int trainer_iterate(Trainer *tr, TrainStats *stats)
{
    int rc = trainer_compute(tr, stats);
    int ra = trainer_apply(tr, stats);
    assert(rc == 0 || ra != 0);   /* a non-finite loss leaves a NaN in the gradient */
    (void)rc;
    return ra;
}

long trainer_episode(const Trainer *tr) { return tr->episode; }

const double *trainer_params(const Trainer *tr, size_t *n_params)
{
    if (n_params) *n_params = tr->net->d.n_params;
    return tr->net->params;
}

const double *trainer_optim_state(const Trainer *tr, size_t *n_state)
{
    if (n_state) *n_state = tr->opt->n_state;
    return tr->opt->state;
}

const Net *trainer_net(const Trainer *tr) { return tr->net; }

long trainer_double_replays(const Trainer *tr)
{
    long n = 0;
    for (int w = 0; w < tr->n_workers; w++) n += tr->workers[w].n_double;
    return n;
}

const TaskInfo *trainer_task_info(const Trainer *tr) { return &tr->info; }

const double *trainer_lane_deltas(const Trainer *tr, int lane)
{
    if (!tr->have_batch || lane < tr->lo || lane >= tr->hi) return NULL;
    return tr->lanes[lane].delta;
}

/* ------------------------------------------------------------ checkpoints */

static const char ckpt_magic[8] = { 'M', 'R', 'L', 'C', 'K', 'P', 'T', '1' };
#define CKPT_HEADER (8 + 3 * sizeof(uint64_t))

size_t trainer_checkpoint_size(const Trainer *tr)
{
    return CKPT_HEADER + (tr->net->d.n_params + tr->opt->n_state) * sizeof(double);
}

void trainer_save(const Trainer *tr, void *buf)
{
    unsigned char *p = buf;
    uint64_t h[3] = { tr->net->d.n_params, tr->opt->n_state, (uint64_t)tr->episode };
    memcpy(p, ckpt_magic, 8);
    memcpy(p + 8, h, sizeof h);
    p += CKPT_HEADER;
    memcpy(p, tr->net->params, tr->net->d.n_params * sizeof(double));
    p += tr->net->d.n_params * sizeof(double);
    memcpy(p, tr->opt->state, tr->opt->n_state * sizeof(double));
}

int trainer_load(Trainer *tr, const void *buf, size_t n, char *err, size_t n_err)
{
    const unsigned char *p = buf;
    uint64_t h[3];
    if (n != trainer_checkpoint_size(tr) || memcmp(p, ckpt_magic, 8) != 0) {
        snprintf(err, n_err, "checkpoint: not a checkpoint of this network (%zu bytes, expected %zu)",
                 n, trainer_checkpoint_size(tr));
        return -1;
    }
    memcpy(h, p + 8, sizeof h);
    if (h[0] != tr->net->d.n_params || h[1] != tr->opt->n_state || h[2] > (uint64_t)INT64_MAX) {
        snprintf(err, n_err, "checkpoint: shape %llu/%llu does not match this network (%zu/%zu)",
                 (unsigned long long)h[0], (unsigned long long)h[1], tr->net->d.n_params,
                 tr->opt->n_state);
        return -1;
    }
    p += CKPT_HEADER;
    memcpy(tr->net->params, p, tr->net->d.n_params * sizeof(double));
    p += tr->net->d.n_params * sizeof(double);
    memcpy(tr->opt->state, p, tr->opt->n_state * sizeof(double));
    tr->episode = (long)h[2];
    tr->have_batch = 0;
    net_refresh(tr->net);
    return 0;
}

/* Step t of lane L as trial record r: its truth, action, reward, policy,
** value, delta, and the unit rates into row (if not NULL). */
static void step_to_trial(const Trainer *tr, const TrainLane *L, int t, TrialRecord *r, float *row)
{
    const NetLane *nl = L->nl;
    const int A = tr->info.n_actions, N = tr->net->d.N, S = tr->net->d.S;
    r->action = nl->action[t];
    r->reward = nl->reward[t];
    r->truth = L->truth[t];
    for (int k = 0; k < TASK_MAX_ACTIONS; k++)
        r->probs[k] = k < A ? nl->probs[(size_t)t * A + k] : NAN;
    r->value = nl->V[t];
    r->rpe = L->delta[t];   /* the delta the advantages were built from */
    if (row) {
        const double *rt = net_lane_rates(tr->net, nl, t);   /* the choice step's, with epochs */
        for (int i = 0; i < N; i++) row[i] = (float)rt[i];
        for (int j = 0; j < S; j++) row[N + j] = (float)nl->h[(size_t)t * S + j];
    }
}

/* A multi-stage episode: a trial per first stage, reporting its choice
** stage's truth, policy, value, rates and action (its reward the sum of its
** stages', its delta the last stage's, at the outcome), a stage row per step. */
static int stages_to_episode(const Trainer *tr, const TrainLane *L, EpisodeRecord *rec)
{
    const NetLane *nl = L->nl;
    const int units = rec->n_units == tr->net->d.N + tr->net->d.S;
    if (rec->cap_stages < nl->t) return -1;
    for (int t = 0; t < nl->t; t++) {
        if (L->stage[t] == 0) {
            if (rec->n_trials >= rec->cap_trials) return -1;
            TrialRecord *r = &rec->trials[rec->n_trials];
            step_to_trial(tr, L, t, r, units ? rec->activity + (size_t)rec->n_trials * rec->n_units : NULL);
            rec->n_trials++;
        } else if (rec->n_trials > 0) {
            TrialRecord *r = &rec->trials[rec->n_trials - 1];
            double reward = r->reward + nl->reward[t];
            if (L->stage[t] == tr->info.choice_stage)   /* the trial's choice (Harlow: after fixation) */
                step_to_trial(tr, L, t, r, units ? rec->activity + (size_t)(rec->n_trials - 1) * rec->n_units : NULL);
            r->reward = reward;
            r->rpe = L->delta[t];
        }
        StageRecord g = { rec->n_trials - 1, L->stage[t], L->truth[t].state, nl->action[t], nl->reward[t],
                          nl->V[t], L->delta[t] };
        if (episode_add_stage(rec, &g) != 0) return -1;
    }
    return 0;
}

int trainer_last_episode(const Trainer *tr, int lane, EpisodeRecord *rec)
{
    if (!tr->have_batch || lane < tr->lo || lane >= tr->hi) return -1;
    const TrainLane *L = &tr->lanes[lane];
    const NetLane *nl = L->nl;
    const int N = tr->net->d.N, S = tr->net->d.S;
    episode_clear(rec);
    if (tr->info.max_stages > 1) {
        if (stages_to_episode(tr, L, rec) != 0) return -1;
    } else {
        if (rec->cap_trials < nl->t) return -1;
        for (int t = 0; t < nl->t; t++)
            step_to_trial(tr, L, t, &rec->trials[t],
                          rec->n_units == N + S ? rec->activity + (size_t)t * rec->n_units : NULL);
        rec->n_trials = nl->t;
    }
    if (rec->n_units == N + S) rec->n_pfc = N;
    L->task->type->describe(L->task->state, rec->instance, sizeof rec->instance);
    episode_summarize(rec);
    return 0;
}
