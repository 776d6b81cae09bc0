/* model/trainer.c: batched A2C training of the network (see trainer.h).
**
** Layout of the work: the network (weights, shared, read-only during a
** batch) and one TrainLane per batch episode. A lane owns everything one
** episode touches: its task, its two generators, the network lane (forward
** cache and backward scratch), the A2C buffers and its own gradient block.
** So a batch is "for each lane: play, then backprop" with lanes independent
** until the fixed-order sum of their gradients; splitting lanes over worker
** threads later needs no change to the arithmetic.
*/
#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "model/a2c.h"
#include "model/optim.h"
#include "model/trainer.h"

typedef struct TrainLane {
    Task *task;
    gsl_rng *r_task, *r_pol;
    NetLane *nl;
    TaskTruth *truth;    /* (T_max) */
    double *delta;       /* (T_max) */
    double *adv;         /* (T_max) */
    double *ret;         /* (T_max) */
    double *dlogits;     /* (T_max, A) */
    double *dV;          /* (T_max) */
    double *grad;        /* (P) this lane's gradient */
    int active;
} TrainLane;

struct Trainer {
    TrainConfig tc;
    TaskInfo info;
    Net *net;
    Optim *opt;
    int B;
    TrainLane *lanes;            /* (B) */
    double *grad;                /* (P) batch gradient */
    TrainEpisodeStats *ep;       /* (B) */
    long episode;
    int have_batch;
};

static void lane_free(TrainLane *L)
{
    task_free(L->task);
    if (L->r_task) gsl_rng_free(L->r_task);
    if (L->r_pol) gsl_rng_free(L->r_pol);
    net_lane_free(L->nl);
    free(L->truth);
    free(L->delta);
    free(L->adv);
    free(L->ret);
    free(L->dlogits);
    free(L->dV);
    free(L->grad);
}

void trainer_free(Trainer *tr)
{
    if (!tr) return;
    if (tr->lanes)
        for (int b = 0; b < tr->B; b++) lane_free(&tr->lanes[b]);
    free(tr->lanes);
    net_free(tr->net);
    optim_free(tr->opt);
    free(tr->grad);
    free(tr->ep);
    free(tr);
}

Trainer *trainer_alloc(const TrainConfig *tc, const Config *cfg, char *err, size_t n_err)
{
    if (tc->batch < 1) {
        snprintf(err, n_err, "train.batch must be >= 1");
        return NULL;
    }
    Trainer *tr = calloc(1, sizeof *tr);
    if (!tr) goto oom;
    tr->tc = *tc;
    tr->B = tc->batch;
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
    train_net_config(tc, tr->info.n_actions, tr->info.obs_dim, tr->info.max_trials, &nc);
    tr->net = net_alloc(&nc, err, n_err);
    if (!tr->net) goto fail;
    const size_t P = tr->net->d.n_params, T = (size_t)tr->info.max_trials;
    const size_t A = (size_t)tr->info.n_actions;

    gsl_rng *r_init = rng_alloc();
    if (!r_init) goto oom;
    rng_seed_episode(r_init, tc->seed, RNG_STREAM_INIT, 0);
    int rc = net_init(tr->net, r_init);
    gsl_rng_free(r_init);
    if (rc != 0) goto oom;

    tr->opt = optim_alloc(&tc->optim, P);
    tr->grad = calloc(P, sizeof(double));
    if (!tr->opt || !tr->grad) goto oom;
    for (int b = 0; b < tr->B; b++) {
        TrainLane *L = &tr->lanes[b];
        L->r_task = rng_alloc();
        L->r_pol = rng_alloc();
        L->nl = net_lane_alloc(tr->net);
        L->truth = calloc(T, sizeof *L->truth);
        L->delta = calloc(T, sizeof(double));
        L->adv = calloc(T, sizeof(double));
        L->ret = calloc(T, sizeof(double));
        L->dlogits = calloc(T * A, sizeof(double));
        L->dV = calloc(T, sizeof(double));
        L->grad = calloc(P, sizeof(double));
        if (!L->r_task || !L->r_pol || !L->nl || !L->truth || !L->delta || !L->adv || !L->ret
            || !L->dlogits || !L->dV || !L->grad)
            goto oom;
    }
    return tr;
oom:
    snprintf(err, n_err, "out of memory");
fail:
    trainer_free(tr);
    return NULL;
}

/* Play lane b's episode `e` forward with the current weights. */
static void lane_start(Trainer *tr, TrainLane *L, long e)
{
    rng_seed_episode(L->r_task, tr->tc.seed, RNG_STREAM_TASK, (uint64_t)e);
    rng_seed_episode(L->r_pol, tr->tc.seed, RNG_STREAM_POLICY, (uint64_t)e);
    L->task->type->reset(L->task->state, L->r_task);
    net_lane_reset(L->nl);
    L->active = 1;
}

static void lane_trial(Trainer *tr, TrainLane *L)
{
    const TaskType *tt = L->task->type;
    const int A = tr->info.n_actions;
    double obs[TASK_MAX_OBS];
    NetLane *nl = L->nl;
    const int t = nl->t;
    tt->truth(L->task->state, &L->truth[t]);
    tt->observe(L->task->state, obs);
    net_forward_step(tr->net, nl, obs, L->r_pol);
    int a = net_sample(net_lane_probs(tr->net, nl), A, L->r_pol);
    int done = 0;
    double reward = tt->step(L->task->state, a, L->r_task, &done);
    net_lane_record(nl, a, reward);
    if (done) L->active = 0;
    /* the task promised at most max_trials trials */
    assert(L->active == 0 || nl->t < nl->T_max);
}

/* Loss and gradient of lane L's episode (scaled by 1/B) into L->grad. */
static void lane_backward(Trainer *tr, TrainLane *L, double beta_e, TrainEpisodeStats *st,
                          double *loss)
{
    const TrainConfig *tc = &tr->tc;
    NetLane *nl = L->nl;
    const int T = nl->t, A = tr->info.n_actions;
    A2cTerms terms;
    a2c_advantages(T, nl->reward, nl->V, tc->gamma, tc->gae_lambda, L->delta, L->adv, L->ret);
    a2c_loss(T, A, nl->logp, nl->probs, nl->action, L->adv, L->ret, nl->V, tc->beta_v, beta_e,
             1.0 / tr->B, L->dlogits, L->dV, &terms);
    memset(L->grad, 0, tr->net->d.n_params * sizeof(double));
    net_backward(tr->net, nl, L->dlogits, L->dV, L->grad);
    *loss = terms.loss;

    double reward = 0.0, regret = 0.0;
    int n_best = 0, n_known = 0, regret_known = 1;
    for (int t = 0; t < T; t++) {
        const TaskTruth *tt = &L->truth[t];
        const int a = nl->action[t];
        reward += nl->reward[t];
        double best = -INFINITY;
        for (int k = 0; k < A; k++)
            if (tt->p[k] > best) best = tt->p[k];
        if (isnan(best) || isnan(tt->p[a])) regret_known = 0;
        else regret += best - tt->p[a];
        if (tt->best >= 0) {
            n_known++;
            n_best += a == tt->best;
        }
    }
    st->n_trials = T;
    st->reward = reward;
    st->regret = regret_known ? regret : NAN;
    st->p_best = n_known ? (double)n_best / n_known : NAN;
    st->policy_loss = terms.policy;
    st->value_loss = terms.value;
    st->entropy = T ? terms.entropy / T : NAN;
}

int trainer_iterate(Trainer *tr, TrainStats *stats)
{
    const int B = tr->B;
    const size_t P = tr->net->d.n_params;
    const long e0 = tr->episode;
    const double beta_e = train_beta_e(&tr->tc, e0);

    for (int b = 0; b < B; b++) lane_start(tr, &tr->lanes[b], e0 + b);
    /* lockstep: trial t of every lane still running, then trial t+1 */
    for (int any = 1; any;) {
        any = 0;
        for (int b = 0; b < B; b++) {
            TrainLane *L = &tr->lanes[b];
            if (!L->active) continue;
            lane_trial(tr, L);
            any |= L->active;
        }
    }
    tr->have_batch = 1;

    double loss = 0.0;
    for (int b = 0; b < B; b++) {
        double lb;
        tr->ep[b].episode = e0 + b;
        lane_backward(tr, &tr->lanes[b], beta_e, &tr->ep[b], &lb);
        loss += lb;
    }
    loss /= B;
    /* fixed-order reduction: grad = ((g_0 + g_1) + g_2) + ... */
    memcpy(tr->grad, tr->lanes[0].grad, P * sizeof(double));
    for (int b = 1; b < B; b++) {
        const double *g = tr->lanes[b].grad;
        for (size_t i = 0; i < P; i++) tr->grad[i] += g[i];
    }
    double norm = optim_norm(tr->grad, P);

    if (stats) {
        stats->episode = e0;
        stats->n_episodes = B;
        stats->ep = tr->ep;
        stats->loss = loss;
        stats->grad_norm = norm;
        stats->beta_e = beta_e;
        stats->lr = train_lr(&tr->tc, e0);
        double sr = 0.0, sg = 0.0;
        for (int b = 0; b < B; b++) {
            sr += tr->ep[b].reward;
            sg += tr->ep[b].regret;
        }
        stats->mean_reward = sr / B;
        stats->mean_regret = sg / B;
    }
    if (!isfinite(loss) || !isfinite(norm)) return -1;

    optim_clip(tr->grad, P, tr->tc.clip_norm);
    tr->opt->cfg.lr = train_lr(&tr->tc, e0);
    optim_step(tr->opt, tr->net->params, tr->grad);
    net_refresh(tr->net);
    tr->episode += B;
    return 0;
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

const TaskInfo *trainer_task_info(const Trainer *tr) { return &tr->info; }

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

int trainer_last_episode(const Trainer *tr, int lane, EpisodeRecord *rec)
{
    if (!tr->have_batch || lane < 0 || lane >= tr->B) return -1;
    const TrainLane *L = &tr->lanes[lane];
    const NetLane *nl = L->nl;
    const int A = tr->info.n_actions, N = tr->net->d.N, S = tr->net->d.S;
    if (rec->cap_trials < nl->t) return -1;
    episode_clear(rec);
    for (int t = 0; t < nl->t; t++) {
        TrialRecord *r = &rec->trials[t];
        r->action = nl->action[t];
        r->reward = nl->reward[t];
        r->truth = L->truth[t];
        for (int k = 0; k < TASK_MAX_ACTIONS; k++)
            r->probs[k] = k < A ? nl->probs[(size_t)t * A + k] : NAN;
        r->value = nl->V[t];
        if (rec->n_units == N + S) {
            float *row = rec->activity + (size_t)t * rec->n_units;
            for (int i = 0; i < N; i++) row[i] = (float)nl->r[(size_t)t * N + i];
            for (int j = 0; j < S; j++) row[N + j] = (float)nl->h[(size_t)t * S + j];
        }
    }
    rec->n_trials = nl->t;
    if (rec->n_units == N + S) rec->n_pfc = N;
    L->task->type->describe(L->task->state, rec->instance, sizeof rec->instance);
    episode_fill_rpe(rec, tr->tc.gamma);
    episode_summarize(rec);
    return 0;
}
