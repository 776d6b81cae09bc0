/* model/agents/agent_simple.c: three model-free reference agents that serve any task.
**
**   random  uniform choice: P(a) = 1/A on every trial.
**   wsls    win-stay/lose-shift. The first trial of an episode is uniform.
**           After a rewarded trial (reward > 0) repeat the last action, after
**           an unrewarded one take another (uniformly among the other A-1);
**           with probability epsilon (a lapse) choose uniformly instead, so
**           P(stay | win) = 1 - epsilon + epsilon/A and
**           P(stay | loss) = epsilon/A.
**   rw      Rescorla-Wagner Q-learning with a softmax policy (Sutton & Barto
**           1998; the model fitted in SCIENCE.md):
**               P(a) = exp(beta Q_a) / sum_b exp(beta Q_b)
**               delta = r - Q_a                   (chosen action a)
**               Q_a  <- Q_a + alpha_pm delta      alpha_pm = alpha_pos if delta > 0,
**                                                 alpha_neg if delta < 0
**               Q_u  <- Q_u + forget (q0 - Q_u)   every unchosen u
**           with Q = q0 at the start of each episode; alpha_pos and alpha_neg
**           default to -1, meaning "use alpha".
**
** The policies are in closed form, so act() writes exact probabilities, and
** each act() draws exactly one uniform (random: one integer) from r.
** rw's trace() value is Q of the chosen action: the prediction that delta
** corrects, so its stored RPE is r - Q, rw's own delta (gamma 0:
** AGENT_VALUE_TRIAL, model/agent.h; random and wsls have no value, no RPE); its
** trace() units are the A action values Q before learning (n_pfc = 0).
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "model/agent.h"
#include "model/agents/agent_impl.h"

/* ---- random --------------------------------------------------------------- */

typedef struct {
    int n_actions;
} Random;

static void *random_alloc(const Config *cfg, const TaskInfo *ti, char *err, size_t n_err)
{
    if (agent_check_actions(err, n_err, "random", cfg, ti, 0) != 0) return NULL;
    Random *s = malloc(sizeof *s);
    if (!s) {
        snprintf(err, n_err, "out of memory");
        return NULL;
    }
    s->n_actions = ti->n_actions;
    return s;
}

static void random_reset(void *state) { (void)state; }

static int random_act(void *state, const double *obs, gsl_rng *r, double *probs)
{
    const Random *s = state;
    if (probs)
        for (int a = 0; a < s->n_actions; a++) probs[a] = 1.0 / s->n_actions;
    return (int)gsl_rng_uniform_int(r, (unsigned long)s->n_actions);
}

static void random_learn(void *state, int action, double reward) { (void)state; }

static const OptSpec random_params[] = { OPT_END };

const AgentType agent_random = {
    "random", "uniform random choice (chance level)", random_params,
    random_alloc, random_reset, random_act, random_learn, free, NULL, AGENT_VALUE_NONE, 0
};

/* ---- win-stay/lose-shift ---------------------------------------------------- */

typedef struct {
    int n_actions;
    double epsilon;    /* lapse probability */
    int last;          /* last action, -1 before the first trial */
    int last_win;      /* last reward > 0 */
} Wsls;

static const OptSpec wsls_params[] = {
    { "agent", "epsilon", "wsls_epsilon", OPT_DOUBLE, "0", 0, 1, NULL, "wsls",
      "lapse probability (choose uniformly at random instead of the rule)" },
    OPT_END
};

static void *wsls_alloc(const Config *cfg, const TaskInfo *ti, char *err, size_t n_err)
{
    if (agent_check_actions(err, n_err, "wsls", cfg, ti, 0) != 0) return NULL;
    Wsls *s = malloc(sizeof *s);
    if (!s) {
        snprintf(err, n_err, "out of memory");
        return NULL;
    }
    s->n_actions = ti->n_actions;
    s->epsilon = config_double(cfg, "agent", "epsilon");
    s->last = -1;
    s->last_win = 0;
    return s;
}

static void wsls_reset(void *state)
{
    Wsls *s = state;
    s->last = -1;
    s->last_win = 0;
}

static int wsls_act(void *state, const double *obs, gsl_rng *r, double *probs)
{
    const Wsls *s = state;
    const int A = s->n_actions;
    double p[TASK_MAX_ACTIONS];
    for (int a = 0; a < A; a++) {
        double rule;
        if (s->last < 0) rule = 1.0 / A;
        else if (s->last_win) rule = a == s->last ? 1.0 : 0.0;
        else rule = A == 1 ? 1.0 : a == s->last ? 0.0 : 1.0 / (A - 1);
        p[a] = (1.0 - s->epsilon) * rule + s->epsilon / A;
    }
    if (probs)
        for (int a = 0; a < A; a++) probs[a] = p[a];
    return rng_categorical(p, A, r);
}

static void wsls_learn(void *state, int action, double reward)
{
    Wsls *s = state;
    s->last = action;
    s->last_win = reward > 0.0;
}

const AgentType agent_wsls = {
    "wsls", "win-stay/lose-shift with an optional lapse rate", wsls_params,
    wsls_alloc, wsls_reset, wsls_act, wsls_learn, free, NULL, AGENT_VALUE_NONE, 0
};

/* ---- Rescorla-Wagner -------------------------------------------------------- */

typedef struct {
    int n_actions;
    double alpha_pos, alpha_neg, beta, forget, q0;
    double q[TASK_MAX_ACTIONS];   /* (A) action values */
    int chosen;                   /* last action chosen, -1 before the first */
} Rw;

static const OptSpec rw_params[] = {
    { "agent", "alpha", NULL, OPT_DOUBLE, "0.3", 0, 1, NULL, "rw",
      "learning rate" },
    { "agent", "alpha_pos", NULL, OPT_DOUBLE, "-1", -1, 1, NULL, "rw",
      "learning rate for positive prediction errors (-1 = use alpha)" },
    { "agent", "alpha_neg", NULL, OPT_DOUBLE, "-1", -1, 1, NULL, "rw",
      "learning rate for negative prediction errors (-1 = use alpha)" },
    { "agent", "beta", NULL, OPT_DOUBLE, "5", 0, 1000, NULL, "rw",
      "softmax inverse temperature" },
    { "agent", "forget", NULL, OPT_DOUBLE, "0", 0, 1, NULL, "rw",
      "rate at which unchosen values decay toward q0 each trial" },
    { "agent", "q0", NULL, OPT_DOUBLE, "0.5", -1000, 1000, NULL, "rw",
      "initial action value at the start of each episode" },
    OPT_END
};

/* -1 means "use alpha"; any other value must be a rate in [0, 1]. */
static int rw_rate(const Config *cfg, const char *key, double alpha, double *out,
                   char *err, size_t n_err)
{
    double v = config_double(cfg, "agent", key);
    if (v == -1.0) {
        *out = alpha;
        return 0;
    }
    if (v < 0.0) {
        snprintf(err, n_err, "agent.%s = %g: expected a rate in [0, 1], or -1 to use agent.alpha",
                 key, v);
        return -1;
    }
    *out = v;
    return 0;
}

static void rw_reset(void *state)
{
    Rw *s = state;
    for (int a = 0; a < s->n_actions; a++) s->q[a] = s->q0;
    s->chosen = -1;
}

static void *rw_alloc(const Config *cfg, const TaskInfo *ti, char *err, size_t n_err)
{
    if (agent_check_actions(err, n_err, "rw", cfg, ti, 0) != 0) return NULL;
    double alpha = config_double(cfg, "agent", "alpha"), a_pos, a_neg;
    if (rw_rate(cfg, "alpha_pos", alpha, &a_pos, err, n_err) != 0) return NULL;
    if (rw_rate(cfg, "alpha_neg", alpha, &a_neg, err, n_err) != 0) return NULL;
    Rw *s = malloc(sizeof *s);
    if (!s) {
        snprintf(err, n_err, "out of memory");
        return NULL;
    }
    s->n_actions = ti->n_actions;
    s->alpha_pos = a_pos;
    s->alpha_neg = a_neg;
    s->beta = config_double(cfg, "agent", "beta");
    s->forget = config_double(cfg, "agent", "forget");
    s->q0 = config_double(cfg, "agent", "q0");
    rw_reset(s);
    return s;
}

static int rw_act(void *state, const double *obs, gsl_rng *r, double *probs)
{
    Rw *s = state;
    const int A = s->n_actions;
    double p[TASK_MAX_ACTIONS], qmax = s->q[0], z = 0.0;
    for (int a = 1; a < A; a++)
        if (s->q[a] > qmax) qmax = s->q[a];
    for (int a = 0; a < A; a++) z += p[a] = exp(s->beta * (s->q[a] - qmax));
    for (int a = 0; a < A; a++) p[a] /= z;
    if (probs)
        for (int a = 0; a < A; a++) probs[a] = p[a];
    s->chosen = rng_categorical(p, A, r);
    return s->chosen;
}

static void rw_learn(void *state, int action, double reward)
{
    Rw *s = state;
    double delta = reward - s->q[action];
    s->q[action] += (delta > 0.0 ? s->alpha_pos : s->alpha_neg) * delta;
    for (int a = 0; a < s->n_actions; a++)
        if (a != action) s->q[a] += s->forget * (s->q0 - s->q[a]);
}

static void rw_trace(const void *state, AgentTrace *out)
{
    const Rw *s = state;
    out->value = s->chosen >= 0 ? s->q[s->chosen] : NAN;
    out->units = s->q;           /* the action values, for inspection */
    out->n_units = s->n_actions;
    out->n_pfc = 0;
}

const AgentType agent_rw = {
    "rw", "Rescorla-Wagner Q-learning with softmax choice", rw_params,
    rw_alloc, rw_reset, rw_act, rw_learn, free, rw_trace, AGENT_VALUE_TRIAL, 0
};
