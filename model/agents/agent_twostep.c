/* model/agents/agent_twostep.c: the model-free, model-based and hybrid learners of
** the two-step task (Daw, Gershman, Seymour, Dayan & Dolan 2011, Neuron 69:1204).
**
** One learner, three names (agent.name = mf, mb, hybrid): the hybrid's
** first-stage values are a weighted mix, and mf and mb are the hybrid with the
** weight fixed at w = 0 and w = 1. They serve task twostep only (either
** variant: both have two second-stage options per state; in the wang variant
** the option does not matter).
**
** The agent tells the stage from what it sees: obs is the state one-hot
** (tasks/twostep.c), state 0 at stage 0, state 1 or 2 at stage 1. Values:
**   Q2(s, k)   stage 1, option k in state s          (start at 0, as in Daw 2011)
**   Qmf(a)     stage 0, model-free                   (start at 0)
**   Qmb(a)   = P(1+a | a) max_k Q2(1+a, k) + P(2-a | a) max_k Q2(2-a, k)
**              with the task's transition matrix: P(1+a | a) = task.p_common
**              (from the task's facts, agent_task_facts)
**   Qnet(a)  = w Qmb(a) + (1 - w) Qmf(a)
** Choice (softmax, one beta for both stages; Daw 2011 fits beta1 and beta2):
**   stage 0   P(a) ∝ exp(beta (Qnet(a) + p rep(a))), rep(a) = 1 if a is the
**             previous trial's first-stage choice (perseveration), else 0
**   stage 1   P(k) ∝ exp(beta Q2(s, k))
** Learning (SARSA(lambda), one alpha for both stages; Daw 2011 fits alpha1 and
** alpha2), after the outcome r of the trial (a, s, k):
**   delta1 = Q2(s, k) - Qmf(a)        Qmf(a) += alpha delta1
**   delta2 = r - Q2(s, k)             Q2(s, k) += alpha delta2
**                                     Qmf(a) += alpha lambda delta2
** (delta1 uses Q2 before its update, as in Daw 2011, where it is applied when
** the second-stage choice is made; applying both at the outcome is the same,
** since Qmf does not enter the second-stage choice.) With lambda = 1 the two
** Qmf steps add up to Qmf(a) += alpha (r - Qmf(a)): a Rescorla-Wagner learner
** on the trial's outcome, blind to the transition.
**
** Defaults: alpha 0.5, beta 5 (the scale of Daw 2011's fitted rates and
** inverse temperatures), w 0.5 (an even mix), p 0 (no perseveration),
** lambda 1 (a modelling choice, not a fitted value: the purely outcome-driven
** model-free learner that the stay analysis contrasts with the model-based
** one; Daw 2011 fit lambda per subject in [0, 1], so set agent.lambda to match
** a fit). mb has no lambda (it keeps no model-free values); only hybrid has w.
**
** act() writes the exact softmax policy and draws one uniform. trace() value:
** Qnet of the chosen first-stage action at stage 0 and Q2 of the chosen option
** at stage 1: the expected reward of the rest of the trial, so with the stages
** chained undiscounted and the trial's end not bootstrapped into the next
** (AGENT_VALUE_TRIAL, model/agent.h) the stored stage RPEs are delta1 and
** delta2 (for mf); trace() units: Qmf(0), Qmf(1), Q2(1, 0), Q2(1, 1), Q2(2, 0),
** Q2(2, 1) before learning (n_pfc = 0).
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/agent.h"
#include "model/agents/agent_impl.h"
#include "model/agents/agent_twostep.h"

typedef struct {
    double alpha, beta, lambda, w, persev, p_common;
    double qmf[2];      /* stage-0 model-free values */
    double q2[3][2];    /* stage-1 values by state (rows 1 and 2 used) */
    double units[6];    /* the values exposed by trace() */
    int stage;          /* the stage of the last act() */
    int a1, s, k;       /* this trial's first-stage choice, state and option */
    int prev;           /* the previous trial's first-stage choice, -1 before the first */
    double value;       /* V of the last act() */
} Hybrid;

#define TS_COMMON(owner)                                                                      \
    { "agent", "alpha", NULL, OPT_DOUBLE, "0.5", 0, 1, NULL, owner,                           \
      "learning rate of both stages (Daw 2011's alpha1 = alpha2)" },                          \
    { "agent", "beta", NULL, OPT_DOUBLE, "5", 0, 1000, NULL, owner,                           \
      "softmax inverse temperature of both stages (Daw 2011's beta1 = beta2)" },              \
    { "agent", "p", NULL, OPT_DOUBLE, "0", -100, 100, NULL, owner,                            \
      "perseveration: bonus to repeating the last first-stage choice, in value units" }
#define TS_LAMBDA(owner)                                                                      \
    { "agent", "lambda", NULL, OPT_DOUBLE, "1", 0, 1, NULL, owner,                            \
      "eligibility: share of the outcome's prediction error that reaches the stage-0 value" }

static const OptSpec mf_params[] = { TS_COMMON("mf"), TS_LAMBDA("mf"), OPT_END };
static const OptSpec mb_params[] = { TS_COMMON("mb"), OPT_END };
static const OptSpec hybrid_params[] = {
    TS_COMMON("hybrid"), TS_LAMBDA("hybrid"),
    { "agent", "w", NULL, OPT_DOUBLE, "0.5", 0, 1, NULL, "hybrid",
      "model-based weight: Qnet = w Qmb + (1 - w) Qmf at stage 0" },
    OPT_END
};

static const char *const twostep_accepts = "task twostep";

/* The hot index of the one-hot state in obs (0 if obs is NULL). */
static int seen_state(const double *obs)
{
    if (!obs) return 0;
    int s = 0;
    for (int i = 1; i < 3; i++)
        if (obs[i] > obs[s]) s = i;
    return s;
}

/* The twostep task's facts, or a refusal in err (-1). */
int agent_twostep_facts(const Config *cfg, const TaskInfo *ti, const char *agent, TaskFacts *f,
                        char *err, size_t n_err)
{
    if (strcmp(agent_task_name(cfg), "twostep") != 0 || agent_task_facts(cfg, f) != 0 || !(f->p_common >= 0)) {
        agent_refuse(err, n_err, agent, cfg, twostep_accepts);
        return -1;
    }
    return agent_check_actions(err, n_err, agent, cfg, ti, 2);
}

static void hybrid_reset(void *state)
{
    Hybrid *s = state;
    memset(s->qmf, 0, sizeof s->qmf);
    memset(s->q2, 0, sizeof s->q2);
    memset(s->units, 0, sizeof s->units);
    s->stage = 0;
    s->a1 = s->k = s->prev = -1;
    s->s = 0;
    s->value = NAN;
}

/* w < 0: read agent.w (the hybrid); else the fixed weight of mf or mb. */
static void *learner_alloc(const Config *cfg, const TaskInfo *ti, const char *agent, double w, char *err,
                           size_t n_err)
{
    TaskFacts f;
    if (agent_twostep_facts(cfg, ti, agent, &f, err, n_err) != 0) return NULL;
    Hybrid *s = malloc(sizeof *s);
    if (!s) {
        snprintf(err, n_err, "out of memory");
        return NULL;
    }
    s->alpha = config_double(cfg, "agent", "alpha");
    s->beta = config_double(cfg, "agent", "beta");
    s->persev = config_double(cfg, "agent", "p");
    s->lambda = w == 1.0 ? 0.0 : config_double(cfg, "agent", "lambda");
    s->w = w >= 0.0 ? w : config_double(cfg, "agent", "w");
    s->p_common = f.p_common;
    hybrid_reset(s);
    return s;
}

static void *mf_alloc(const Config *cfg, const TaskInfo *ti, char *err, size_t n_err)
{
    return learner_alloc(cfg, ti, "mf", 0.0, err, n_err);
}

static void *mb_alloc(const Config *cfg, const TaskInfo *ti, char *err, size_t n_err)
{
    return learner_alloc(cfg, ti, "mb", 1.0, err, n_err);
}

static void *hybrid_alloc(const Config *cfg, const TaskInfo *ti, char *err, size_t n_err)
{
    return learner_alloc(cfg, ti, "hybrid", -1.0, err, n_err);
}

static double max2(const double *x) { return x[0] > x[1] ? x[0] : x[1]; }

void agent_twostep_values(const void *state, double qmb[2], double qnet[2])
{
    const Hybrid *s = state;
    for (int a = 0; a < 2; a++) {
        qmb[a] = s->p_common * max2(s->q2[1 + a]) + (1.0 - s->p_common) * max2(s->q2[2 - a]);
        qnet[a] = s->w * qmb[a] + (1.0 - s->w) * s->qmf[a];
    }
}

/* Softmax of beta x over two options into p. */
static void softmax2(const double x[2], double beta, double p[2])
{
    double m = x[0] > x[1] ? x[0] : x[1];
    double e0 = exp(beta * (x[0] - m)), e1 = exp(beta * (x[1] - m));
    p[0] = e0 / (e0 + e1);
    p[1] = e1 / (e0 + e1);
}

static int hybrid_act(void *state, const double *obs, gsl_rng *r, double *probs)
{
    Hybrid *s = state;
    double p[2];
    s->units[0] = s->qmf[0];
    s->units[1] = s->qmf[1];
    memcpy(s->units + 2, s->q2[1], 2 * sizeof(double));
    memcpy(s->units + 4, s->q2[2], 2 * sizeof(double));
    s->stage = seen_state(obs) == 0 ? 0 : 1;
    int a;
    if (s->stage == 0) {
        double qmb[2], qnet[2], x[2];
        agent_twostep_values(s, qmb, qnet);
        for (int i = 0; i < 2; i++) x[i] = qnet[i] + (i == s->prev ? s->persev : 0.0);
        softmax2(x, s->beta, p);
        a = s->a1 = rng_categorical(p, 2, r);
        s->value = qnet[a];
    } else {
        s->s = seen_state(obs);
        softmax2(s->q2[s->s], s->beta, p);
        a = s->k = rng_categorical(p, 2, r);
        s->value = s->q2[s->s][a];
    }
    if (probs) {
        probs[0] = p[0];
        probs[1] = p[1];
    }
    return a;
}

static void hybrid_learn(void *state, int action, double reward)
{
    Hybrid *s = state;
    if (s->stage == 0) {   /* the transition is seen at the next act() */
        s->a1 = action;
        return;
    }
    const int a = s->a1;
    double *q2 = &s->q2[s->s][action];
    if (a == 0 || a == 1) {
        double delta1 = *q2 - s->qmf[a];
        s->qmf[a] += s->alpha * delta1;
    }
    double delta2 = reward - *q2;
    *q2 += s->alpha * delta2;
    if (a == 0 || a == 1) s->qmf[a] += s->alpha * s->lambda * delta2;
    s->prev = a;
}

static void hybrid_trace(const void *state, AgentTrace *out)
{
    const Hybrid *s = state;
    out->value = s->value;
    out->units = s->units;
    out->n_units = 6;
    out->n_pfc = 0;
}

const AgentType agent_mf = {
    "mf", "two-step: model-free SARSA(lambda) learner of Daw 2011 (the hybrid with w = 0)", mf_params,
    mf_alloc, hybrid_reset, hybrid_act, hybrid_learn, free, hybrid_trace, AGENT_VALUE_TRIAL, 1
};

const AgentType agent_mb = {
    "mb", "two-step: model-based learner, stage-0 values from the known transitions (w = 1)", mb_params,
    mb_alloc, hybrid_reset, hybrid_act, hybrid_learn, free, hybrid_trace, AGENT_VALUE_TRIAL, 1
};

const AgentType agent_hybrid = {
    "hybrid", "two-step: Daw 2011's hybrid, Qnet = w Qmb + (1 - w) Qmf at stage 0", hybrid_params,
    hybrid_alloc, hybrid_reset, hybrid_act, hybrid_learn, free, hybrid_trace, AGENT_VALUE_TRIAL, 1
};
