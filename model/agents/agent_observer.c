/* model/agents/agent_observer.c: the ideal observer of probabilistic reversal
** (and of the two-step task's wang variant, below).
**
** The observer knows the task's structure: one arm pays with probability
** p_high, the other with p_low, and after each trial they swap with
** probability h. Its belief b = P(arm 0 is the good arm) starts at 1/2 (or
** at 1 or 0 when task.start fixes the first good arm) and after each outcome
** (action a, reward r, a win when r > 0) is updated by Bayes' rule and then
** by the change-point transition with a known hazard: the filter of
** core/belief.h, shared with the neural analyses.
**
** It then chooses the arm with the higher posterior reward probability,
** b p_high + (1-b) p_low for arm 0 and (1-b) p_high + b p_low for arm 1 (so
** arm 0 iff b > 1/2); |b - 1/2| <= 1e-12 counts as a tie, broken at random.
**
** The hazard h it assumes (agent.hazard = -1, the default, derives it from
** the task):
**   reversal, schedule=hazard     task.hazard
**   reversal, schedule=blocks     1 / (mean of task.blocks)
**   reversal, schedule=criterion  1 / (crit_k - 1 + 1/delay_hazard), the
**                                 shortest block plus the mean delay (a
**                                 heuristic: the true schedule depends on
**                                 the choices, which this observer ignores)
**   bandit, dist=easy|medium|hard|fixed   0: a known pair with p_high =
**                                 max(pair), p_low = min(pair), b = 1/2 when
**                                 task.shuffle (else 1 or 0 from the order)
** Any agent.hazard in [0, 1] overrides the derived value.
**
** trace() value: the posterior reward probability of the chosen arm (the
** observer's expected reward on this trial, so its stored RPE is r - E[r]:
** gamma 0, AGENT_VALUE_TRIAL of model/agent.h); trace() units: the belief b before the choice.
**
** Two-step task, variant wang (tasks/twostep.c): the same filter, with b =
** P(second-stage state 1 is the good one): the good state pays p_high and the
** other p_low whatever the second-stage option, and they swap with hazard
** task.switch (the task's facts). The transition tells nothing about which
** state is good, so only the stage-1 outcome updates b, as the reversal's
** "arm" s - 1 (state s reached, reward r). At stage 0 (obs shows state 0) it
** chooses greedily on the expected reward of each first-stage action,
**     E[r | a] = c E_{1+a} + (1 - c) E_{2-a},   c = task.p_common,
**     E_1 = b p_high + (1 - b) p_low,   E_2 = (1 - b) p_high + b p_low,
** which for c > 1/2 and p_high > p_low is again action 0 iff b > 1/2 (ties
** at random); at stage 1 any option does: it takes 0. trace() value: E[r | a]
** of the chosen action at stage 0, E_s of the reached state s at stage 1, so
** the stage RPEs (AGENT_VALUE_TRIAL) are the transition's news (E_s - E[r | a])
** and the outcome's (r - E_s). The daw variant (four drifting options,
** no good state) is refused.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/belief.h"
#include "model/agent.h"
#include "model/agents/agent_impl.h"
#include "model/agents/agent_observer.h"
#include "model/agents/agent_twostep.h"

typedef struct {
    double p_high, p_low, hazard;
    double b0;       /* belief at the start of an episode */
    double b;        /* P(arm 0 is the good arm) before the next choice */
    double unit;     /* b at the last act(), exposed by trace() */
    double expect;   /* posterior reward probability of the last choice */
    int twostep;     /* 1 on the two-step task (wang variant) */
    double p_common; /* two-step: probability of the common transition */
    int seen;        /* two-step: the state seen at the last act() (0, 1 or 2) */
} Observer;

static const OptSpec observer_params[] = {
    { "agent", "hazard", "observer_hazard", OPT_DOUBLE, "-1", -1, 1, NULL, "observer",
      "assumed reversal probability per trial (-1 = derive from the task)" },
    OPT_END
};

static const char *const observer_accepts =
    "task reversal, or task bandit with dist easy|medium|hard|fixed, or task twostep with variant=wang";

/* The two-step task's settings: wang only. Return 0, or -1 with a message. */
static int observer_twostep(const Config *cfg, const TaskInfo *ti, double *p_high, double *p_low,
                            double *hazard, double *p_common, char *err, size_t n_err)
{
    TaskFacts f;
    if (agent_twostep_facts(cfg, ti, "observer", &f, err, n_err) != 0) return -1;
    if (!f.variant || strcmp(f.variant, "wang") != 0) {
        snprintf(err, n_err, "agent observer cannot serve task twostep with variant=%s: it needs "
                 "variant=wang (one good second-stage state that switches; the daw variant's four "
                 "drifting options have no such posterior)", f.variant ? f.variant : "?");
        return -1;
    }
    *p_high = f.p_high;
    *p_low = f.p_low;
    *hazard = f.hazard;
    *p_common = f.p_common;
    return 0;
}

static void *observer_alloc(const Config *cfg, const TaskInfo *ti, char *err, size_t n_err)
{
    const char *task = agent_task_name(cfg);
    double p_high, p_low, hazard, b0 = 0.5, p_common = NAN;
    TaskFacts f;
    int twostep = strcmp(task, "twostep") == 0;
    if (twostep) {
        if (observer_twostep(cfg, ti, &p_high, &p_low, &hazard, &p_common, err, n_err) != 0) return NULL;
    } else if (strcmp(task, "reversal") == 0 && agent_task_facts(cfg, &f) == 0 && f.two_level) {
        p_high = f.p_high;
        p_low = f.p_low;
        hazard = f.hazard;   /* the rate the schedule implies (tasks/reversal.c) */
        b0 = f.first_good == 0 ? 1.0 : f.first_good == 1 ? 0.0 : 0.5;
    } else {
        double pair[2];
        int shuffled;
        if (agent_bandit_pair(cfg, pair, &shuffled) != 0)
            return agent_refuse(err, n_err, "observer", cfg, observer_accepts);
        p_high = pair[0] >= pair[1] ? pair[0] : pair[1];
        p_low = pair[0] >= pair[1] ? pair[1] : pair[0];
        hazard = 0.0;
        b0 = shuffled || pair[0] == pair[1] ? 0.5 : pair[0] > pair[1] ? 1.0 : 0.0;
    }
    if (agent_check_actions(err, n_err, "observer", cfg, ti, 2) != 0) return NULL;
    double h = config_double(cfg, "agent", "hazard");
    if (h != -1.0) {
        if (h < 0.0) {
            snprintf(err, n_err, "agent.hazard = %g: expected a probability in [0, 1], or -1 to "
                     "derive it from the task", h);
            return NULL;
        }
        hazard = h;
    }
    Observer *s = malloc(sizeof *s);
    if (!s) {
        snprintf(err, n_err, "out of memory");
        return NULL;
    }
    *s = (Observer){ p_high, p_low, hazard, b0, b0, b0, NAN, twostep, p_common, 0 };
    return s;
}

static void observer_reset(void *state)
{
    Observer *s = state;
    s->b = s->unit = s->b0;
    s->expect = NAN;
    s->seen = 0;
}

/* Two-step: E_s, the posterior reward probability of second-stage state s. */
static double state_expect(const Observer *s, int state)
{
    double b = state == 1 ? s->b : 1.0 - s->b;
    return b * s->p_high + (1.0 - b) * s->p_low;
}

static int twostep_act(Observer *s, const double *obs, gsl_rng *r, double *probs)
{
    int seen = 0;
    for (int i = 1; obs && i < 3; i++)
        if (obs[i] > obs[seen]) seen = i;
    s->seen = seen;
    s->unit = s->b;
    if (seen > 0) {
        if (probs) probs[0] = 1.0, probs[1] = 0.0;
        s->expect = state_expect(s, seen);
        return 0;
    }
    const double c = s->p_common, e1 = state_expect(s, 1), e2 = state_expect(s, 2);
    double q[2] = { c * e1 + (1.0 - c) * e2, c * e2 + (1.0 - c) * e1 };
    double d[2] = { s->b - 0.5, 0.5 - s->b };   /* action 0 iff b > 1/2 */
    int a = s->p_high == s->p_low || c == 0.5 ? agent_argmax(q, 2, 1.0, r, probs)
                                              : agent_argmax(d, 2, 1e-12, r, probs);
    s->expect = q[a];
    return a;
}

static int observer_act(void *state, const double *obs, gsl_rng *r, double *probs)
{
    Observer *s = state;
    if (s->twostep) return twostep_act(s, obs, r, probs);
    double q[2] = { s->b * s->p_high + (1.0 - s->b) * s->p_low,
                    (1.0 - s->b) * s->p_high + s->b * s->p_low };
    double d[2] = { s->b - 0.5, 0.5 - s->b };   /* arm 0 iff b > 1/2 */
    int a = s->p_high == s->p_low ? agent_argmax(q, 2, 1.0, r, probs)
                                  : agent_argmax(d, 2, 1e-12, r, probs);
    s->unit = s->b;
    s->expect = q[a];
    return a;
}

static void observer_learn(void *state, int action, double reward)
{
    Observer *s = state;
    if (s->twostep) {   /* the stage-1 outcome, as the reversal's arm seen - 1 */
        if (s->seen > 0)
            s->b = belief_reversal_step(s->b, s->seen - 1, reward, 0.0, s->p_high, s->p_low, s->hazard);
        return;
    }
    s->b = belief_reversal_step(s->b, action, reward, 0.0, s->p_high, s->p_low, s->hazard);
}

static void observer_trace(const void *state, AgentTrace *out)
{
    const Observer *s = state;
    out->value = s->expect;
    out->units = &s->unit;
    out->n_units = 1;
    out->n_pfc = 0;
}

double agent_observer_belief(const void *state)
{
    return ((const Observer *)state)->b;
}

double agent_observer_hazard(const void *state)
{
    return ((const Observer *)state)->hazard;
}

const AgentType agent_observer = {
    "observer", "ideal observer of reversals (and of twostep wang): Bayesian belief with known p_high, p_low, hazard",
    observer_params, observer_alloc, observer_reset, observer_act, observer_learn, free,
    observer_trace, AGENT_VALUE_TRIAL, 1
};
