/* model/agents/agent_bandit.c: classic bandit algorithms over success/failure counts.
**
** Each agent counts, per action a, the rewarded (s_a) and unrewarded (f_a)
** trials of the episode (reward > 0 counts as a success), n_a = s_a + f_a,
** and treats the arms as stationary Bernoulli arms:
**
**   thompson  Thompson (1933) sampling with Beta(1,1) priors: draw
**             theta_a ~ Beta(1 + s_a, 1 + f_a) for every arm and take the
**             largest. For two arms act() writes the exact probability of
**             that choice, P(theta_1 > theta_0), from the closed form for
**             integer Beta parameters (Cook 2005; E. Miller, "Formulas for
**             Bayesian A/B testing"):
**                 P(B > A) = sum_{i=0}^{aB-1} B(aA+i, bA+bB) / ((bB+i) B(1+i, bB) B(aA, bA))
**             summed with the term ratio
**                 t_{i+1}/t_i = (aA+i)(bB+i) / ((aA+bA+bB+i)(1+i)),  t_0 = B(aA, bA+bB)/B(aA, bA).
**   ucb1      Auer, Cesa-Bianchi & Fischer (2002): play each arm once, in
**             order (arm 0 first, no random draw), then take the largest
**             mean_a + sqrt(c ln n / n_a), mean_a = s_a/n_a, n = total pulls,
**             c = 2 as in the paper (parameter agent.c). Ties random.
**   greedy    take the largest posterior mean (s_a + 1)/(n_a + 2) under
**             Beta(1,1) priors; exact ties (equal fractions round to equal
**             doubles) are broken at random.
**
** ucb1 and greedy are deterministic except at ties, and write their policy
** (1 on the chosen arm, or 1/k on each of k tied arms). The trace() value of
** all three is the posterior mean (s_a + 1)/(n_a + 2) of the chosen arm: the
** reward each expects on this trial, so their stored RPE is r - V (gamma 0:
** AGENT_VALUE_TRIAL, model/agent.h).
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>

#include "model/agent.h"
#include "model/agents/agent_impl.h"

typedef struct {
    int n_actions;
    double c;                        /* ucb1 exploration constant */
    double s[TASK_MAX_ACTIONS];      /* (A) successes this episode */
    double f[TASK_MAX_ACTIONS];      /* (A) failures this episode */
    int chosen;                      /* last action chosen, -1 before the first */
} Counts;

static void *counts_alloc(const char *agent, const Config *cfg, const TaskInfo *ti,
                          char *err, size_t n_err)
{
    if (agent_check_actions(err, n_err, agent, cfg, ti, 0) != 0) return NULL;
    Counts *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, n_err, "out of memory");
        return NULL;
    }
    s->n_actions = ti->n_actions;
    s->chosen = -1;
    return s;
}

static void counts_reset(void *state)
{
    Counts *s = state;
    for (int a = 0; a < TASK_MAX_ACTIONS; a++) s->s[a] = s->f[a] = 0.0;
    s->chosen = -1;
}

static void counts_learn(void *state, int action, double reward)
{
    Counts *s = state;
    if (reward > 0.0) s->s[action] += 1.0;
    else s->f[action] += 1.0;
}

static void counts_trace(const void *state, AgentTrace *out)
{
    const Counts *s = state;
    int a = s->chosen;
    out->value = a >= 0 ? (s->s[a] + 1.0) / (s->s[a] + s->f[a] + 2.0) : NAN;
}

/* ---- Thompson sampling ------------------------------------------------------ */

/* P(X_B > X_A) for X_A ~ Beta(aA, bA), X_B ~ Beta(aB, bB), integer aB >= 1. */
static double beta_prob_greater(double aA, double bA, double aB, double bB)
{
    double term = exp(gsl_sf_lnbeta(aA, bA + bB) - gsl_sf_lnbeta(aA, bA));
    double sum = 0.0;
    for (int i = 0; i < (int)aB; i++) {
        sum += term;
        term *= (aA + i) * (bB + i) / ((aA + bA + bB + i) * (1.0 + i));
    }
    return sum < 0.0 ? 0.0 : sum > 1.0 ? 1.0 : sum;
}

static void *thompson_alloc(const Config *cfg, const TaskInfo *ti, char *err, size_t n_err)
{
    return counts_alloc("thompson", cfg, ti, err, n_err);
}

static int thompson_act(void *state, const double *obs, gsl_rng *r, double *probs)
{
    Counts *s = state;
    const int A = s->n_actions;
    double theta[TASK_MAX_ACTIONS];
    for (int a = 0; a < A; a++) theta[a] = gsl_ran_beta(r, 1.0 + s->s[a], 1.0 + s->f[a]);
    s->chosen = agent_argmax(theta, A, 0.0, r, NULL);
    if (probs) {
        if (A == 2) {
            probs[1] = beta_prob_greater(1.0 + s->s[0], 1.0 + s->f[0], 1.0 + s->s[1], 1.0 + s->f[1]);
            probs[0] = 1.0 - probs[1];
        } else {
            for (int a = 0; a < A; a++) probs[a] = A == 1 ? 1.0 : NAN;
        }
    }
    return s->chosen;
}

static const OptSpec thompson_params[] = { OPT_END };

const AgentType agent_thompson = {
    "thompson", "Thompson sampling with Beta(1,1) priors", thompson_params,
    thompson_alloc, counts_reset, thompson_act, counts_learn, free, counts_trace, AGENT_VALUE_TRIAL, 0
};

/* ---- UCB1 ------------------------------------------------------------------- */

static const OptSpec ucb1_params[] = {
    { "agent", "c", "ucb_c", OPT_DOUBLE, "2", 0, 1000, NULL, "ucb1",
      "exploration constant c in mean + sqrt(c ln n / n_a)" },
    OPT_END
};

static void *ucb1_alloc(const Config *cfg, const TaskInfo *ti, char *err, size_t n_err)
{
    Counts *s = counts_alloc("ucb1", cfg, ti, err, n_err);
    if (s) s->c = config_double(cfg, "agent", "c");
    return s;
}

static int ucb1_act(void *state, const double *obs, gsl_rng *r, double *probs)
{
    Counts *s = state;
    const int A = s->n_actions;
    double n = 0.0, score[TASK_MAX_ACTIONS];
    for (int a = 0; a < A; a++) n += s->s[a] + s->f[a];
    for (int a = 0; a < A; a++) {
        double n_a = s->s[a] + s->f[a];
        if (n_a == 0.0) {           /* initial round: the first unplayed arm */
            if (probs)
                for (int b = 0; b < A; b++) probs[b] = b == a ? 1.0 : 0.0;
            return s->chosen = a;
        }
        score[a] = s->s[a] / n_a + sqrt(s->c * log(n) / n_a);
    }
    s->chosen = agent_argmax(score, A, 1e-12, r, probs);
    return s->chosen;
}

const AgentType agent_ucb1 = {
    "ucb1", "UCB1 (Auer et al. 2002): each arm once, then mean + sqrt(c ln n / n_a)", ucb1_params,
    ucb1_alloc, counts_reset, ucb1_act, counts_learn, free, counts_trace, AGENT_VALUE_TRIAL, 0
};

/* ---- greedy ----------------------------------------------------------------- */

static void *greedy_alloc(const Config *cfg, const TaskInfo *ti, char *err, size_t n_err)
{
    return counts_alloc("greedy", cfg, ti, err, n_err);
}

static int greedy_act(void *state, const double *obs, gsl_rng *r, double *probs)
{
    Counts *s = state;
    double mean[TASK_MAX_ACTIONS];
    for (int a = 0; a < s->n_actions; a++) mean[a] = (s->s[a] + 1.0) / (s->s[a] + s->f[a] + 2.0);
    s->chosen = agent_argmax(mean, s->n_actions, 0.0, r, probs);
    return s->chosen;
}

static const OptSpec greedy_params[] = { OPT_END };

const AgentType agent_greedy = {
    "greedy", "greedy on the posterior mean (s+1)/(n+2), ties at random", greedy_params,
    greedy_alloc, counts_reset, greedy_act, counts_learn, free, counts_trace, AGENT_VALUE_TRIAL, 0
};
