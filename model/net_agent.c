/* model/net_agent.c: the frozen-weight network agent, with its test-time
** lesions (silenced units, rate noise; see net_agent.h). */
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "model/net.h"
#include "model/net_agent.h"
#include "model/striatum.h"

typedef struct {
    Net *net;          /* owns a copy of the weights */
    NetLane *lane;
    double *units;     /* (N + S) rates of the last act(): prefrontal then striatal */
    double value;      /* V of the last act() */
    unsigned char *epoch;    /* (Ts_max) the epoch of each step (net_step_epoch) */
    NetLesion lesion;
    unsigned char *silent;   /* (N) 1 = unit clamped to 0; NULL = no lesion drawn */
    int *silenced;           /* (n_silenced) their indices, ascending */
    int n_silenced;
} NetAgent;

static void net_agent_free(void *s)
{
    NetAgent *g = s;
    if (!g) return;
    net_free(g->net);
    net_lane_free(g->lane);
    free(g->units);
    free(g->epoch);
    free(g->silent);
    free(g->silenced);
    free(g);
}

void *net_agent_alloc(const TrainConfig *tc, const TaskInfo *ti, const double *params,
                      char *err, size_t n_err)
{
    NetConfig nc;
    train_net_config(tc, ti->n_actions, ti->obs_dim, task_max_steps(ti), &nc);
    NetAgent *g = calloc(1, sizeof *g);
    if (!g) goto oom;
    g->net = net_alloc(&nc, err, n_err);
    if (!g->net) {
        free(g);
        return NULL;
    }
    memcpy(g->net->params, params, g->net->d.n_params * sizeof(double));
    net_refresh(g->net);
    g->lane = net_lane_alloc(g->net);
    g->units = calloc((size_t)(g->net->d.N + g->net->d.S), sizeof(double));
    g->epoch = malloc((size_t)g->net->d.Ts_max);
    if (!g->lane || !g->units || !g->epoch) goto oom;
    for (int s = 0; s < g->net->d.Ts_max; s++) g->epoch[s] = (unsigned char)net_step_epoch(g->net, s);
    g->value = NAN;
    return g;
oom:
    net_agent_free(g);
    snprintf(err, n_err, "out of memory");
    return NULL;
}

static void *net_agent_type_alloc(const Config *cfg, const TaskInfo *ti, char *err, size_t n_err)
{
    (void)cfg;
    (void)ti;
    snprintf(err, n_err, "the network agent is built from trained weights (net_agent_alloc)");
    return NULL;
}

int net_agent_lesion(void *state, const NetLesion *l, char *err, size_t n_err)
{
    NetAgent *g = state;
    const int N = g->net->d.N;
    if (!(l->silence >= 0.0 && l->silence <= 1.0) || !(l->rate_noise >= 0.0) || !isfinite(l->rate_noise)) {
        snprintf(err, n_err, "lesion: silence must be in [0, 1] and rate_noise >= 0 (got %g, %g)", l->silence,
                 l->rate_noise);
        return -1;
    }
    g->lesion = *l;
    free(g->silent);
    free(g->silenced);
    g->silent = NULL;
    g->silenced = NULL;
    g->n_silenced = 0;
    const int k = (int)floor(l->silence * N + 0.5);
    if (k == 0) return 0;
    int *perm = malloc((size_t)N * sizeof *perm);
    gsl_rng *r = rng_alloc();
    g->silent = calloc((size_t)N, 1);
    g->silenced = malloc((size_t)k * sizeof *g->silenced);
    if (!perm || !r || !g->silent || !g->silenced) {
        free(perm);
        if (r) gsl_rng_free(r);
        snprintf(err, n_err, "out of memory");
        return -1;
    }
    for (int i = 0; i < N; i++) perm[i] = i;
    rng_seed_episode(r, l->seed, RNG_STREAM_INIT, 0);
    gsl_ran_shuffle(r, perm, (size_t)N, sizeof *perm);
    for (int i = 0; i < k; i++) g->silent[perm[i]] = 1;
    for (int i = 0; i < N; i++)
        if (g->silent[i]) g->silenced[g->n_silenced++] = i;
    free(perm);
    gsl_rng_free(r);
    return 0;
}

int net_agent_silenced(const void *state, const int **units)
{
    const NetAgent *g = state;
    if (units) *units = g->silenced;
    return g->n_silenced;
}

/* The rate function's range: relu and softplus rates are >= 0, tanh's in [-1, 1]. */
static double clip_rate(NetActivation f, double v)
{
    if (f == NET_TANH) return v < -1.0 ? -1.0 : v > 1.0 ? 1.0 : v;
    return v < 0.0 ? 0.0 : v;
}

/* The lesion on trial t's rates, then the policy (net_policy_readout) and
** the critic again from them. */
static void apply_lesion(NetAgent *g, gsl_rng *r)
{
    const Net *net = g->net;
    NetLane *L = g->lane;
    const int N = net->d.N, t = L->t;
    double *rt = (double *)net_lane_rates(net, L, t);   /* the choice step's rates, which the lesion changes */
    for (int i = 0; i < N; i++) {
        if (g->silent && g->silent[i]) rt[i] = 0.0;
        else if (g->lesion.rate_noise > 0.0)
            rt[i] = clip_rate(net->cfg.activation, rt[i] + gsl_ran_gaussian(r, g->lesion.rate_noise));
    }
    net_policy_readout(net, L);
    NetLane *lanes[1] = { L };
    striatum_forward(net, lanes, 1);
}

static void net_agent_reset(void *s)
{
    NetAgent *g = s;
    net_lane_reset(g->lane);
    g->value = NAN;
}

static int net_agent_act(void *s, const double *obs, gsl_rng *r, double *probs)
{
    NetAgent *g = s;
    const Net *net = g->net;
    const int N = net->d.N, S = net->d.S, A = net->d.A, t = g->lane->t;
    net_forward_step(net, g->lane, obs, r);
    if (g->n_silenced > 0 || g->lesion.rate_noise > 0.0) apply_lesion(g, r);
    const double *pi = net_lane_probs(net, g->lane);
    if (probs)
        for (int a = 0; a < A; a++) probs[a] = pi[a];
    memcpy(g->units, net_lane_rates(net, g->lane, t), (size_t)N * sizeof(double));
    if (S > 0) memcpy(g->units + N, g->lane->h + (size_t)t * S, (size_t)S * sizeof(double));
    g->value = g->lane->V[t];
    return rng_categorical(pi, A, r);
}

static void net_agent_learn(void *s, int action, double reward)
{
    NetAgent *g = s;
    net_lane_record(g->lane, action, reward);
}

static void net_agent_trace(const void *s, AgentTrace *out)
{
    const NetAgent *g = s;
    out->value = g->value;
    out->units = g->units;
    out->n_units = g->net->d.N + g->net->d.S;
    out->n_pfc = g->net->d.N;
    out->step_units = g->lane->r;
    out->n_steps = g->lane->ns;
    out->steps_per_trial = g->net->d.K;
    out->step_epoch = g->epoch;
}

static const OptSpec net_agent_params[] = { OPT_END };

static const AgentType net_agent_type = {
    "network", "the trained prefrontal network with frozen weights",
    net_agent_params, net_agent_type_alloc, net_agent_reset, net_agent_act,
    net_agent_learn, net_agent_free, net_agent_trace, AGENT_VALUE_DISCOUNTED, 1
};

const AgentType *const agent_type_network = &net_agent_type;
