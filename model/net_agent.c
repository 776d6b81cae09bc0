/* model/net_agent.c: the frozen-weight network agent (see net_agent.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "model/net.h"
#include "model/net_agent.h"

typedef struct {
    Net *net;          /* owns a copy of the weights */
    NetLane *lane;
    double *units;     /* (N + S) rates of the last act(): prefrontal then striatal */
    double value;      /* V of the last act() */
} NetAgent;

static void net_agent_free(void *s)
{
    NetAgent *g = s;
    if (!g) return;
    net_free(g->net);
    net_lane_free(g->lane);
    free(g->units);
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
    if (!g->lane || !g->units) goto oom;
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
}

static const OptSpec net_agent_params[] = { OPT_END };

static const AgentType net_agent_type = {
    "network", "the trained prefrontal network with frozen weights",
    net_agent_params, net_agent_type_alloc, net_agent_reset, net_agent_act,
    net_agent_learn, net_agent_free, net_agent_trace, AGENT_VALUE_DISCOUNTED, 1
};

const AgentType *const agent_type_network = &net_agent_type;
