/* model/agent.c: the registry of reference agents and the generic Agent
** handle (the helpers the agents' files share are model/agents/agent_impl.c).
**
** Each agent file exports its AgentType objects and keeps everything else
** static, as the task files do; agent_types[] lists them in the order
** `metarl agents` prints them:
**
**   model/agents/agent_simple.c    random, wsls, rw          (any task)
**   model/agents/agent_bandit.c    thompson, ucb1, greedy    (any task; stationary beliefs)
**   model/agents/agent_bayes.c     bayes                     (bandit: exact dynamic programming)
**   model/agents/agent_observer.c  observer                  (reversal, fixed-pair bandits, twostep wang)
**   model/agents/agent_twostep.c   mf, mb, hybrid            (twostep: Daw 2011's learners)
**   model/agents/agent_volobs.c    volobs                    (volatility: ideal observer)
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/agent.h"

extern const AgentType agent_random;
extern const AgentType agent_wsls;
extern const AgentType agent_rw;
extern const AgentType agent_thompson;
extern const AgentType agent_ucb1;
extern const AgentType agent_greedy;
extern const AgentType agent_bayes;
extern const AgentType agent_observer;
extern const AgentType agent_mf;
extern const AgentType agent_mb;
extern const AgentType agent_hybrid;
extern const AgentType agent_volobs;

const AgentType *const agent_types[] = {
    &agent_random, &agent_wsls, &agent_rw, &agent_thompson, &agent_ucb1, &agent_greedy,
    &agent_bayes, &agent_observer, &agent_mf, &agent_mb, &agent_hybrid, &agent_volobs, NULL
};

const AgentType *agent_lookup(const char *name)
{
    if (!name) return NULL;
    for (const AgentType *const *a = agent_types; *a; a++)
        if (strcmp((*a)->name, name) == 0) return *a;
    return NULL;
}

/* "random|wsls|...", built once from the registry (the specs that point to
** it must outlive every Config, hence static storage). */
static const char *agent_choices(void)
{
    static char choices[256];
    if (!choices[0]) {
        for (const AgentType *const *a = agent_types; *a; a++) {
            if (choices[0]) strcat(choices, "|");
            strcat(choices, (*a)->name);
        }
    }
    return choices;
}

int agent_declare(Config *c)
{
    static OptSpec selector[] = {
        { "agent", "name", "agent", OPT_CHOICE, "random", 0, 0, NULL, NULL,
          "reference agent (see `metarl agents`)" },
        OPT_END
    };
    selector[0].choices = agent_choices();
    if (config_declare(c, selector) != 0) return -1;
    for (const AgentType *const *a = agent_types; *a; a++)
        if ((*a)->params && config_declare(c, (*a)->params) != 0) return -1;
    return 0;
}

double agent_rpe_gamma(const AgentType *t, double run_gamma)
{
    switch (t->value) {
    case AGENT_VALUE_NONE: return NAN;
    case AGENT_VALUE_TRIAL: return 0.0;
    case AGENT_VALUE_RETURN: return 1.0;
    default: return run_gamma;
    }
}

const char *agent_value_text(const AgentType *t)
{
    static const struct { const char *agent, *v; } vs[] = {
        { "rw", "Q of the chosen arm" },
        { "thompson", "posterior mean of the chosen arm" },
        { "ucb1", "posterior mean of the chosen arm" },
        { "greedy", "posterior mean of the chosen arm" },
        { "bayes", "expected reward to the episode's end" },
        { "observer", "expected reward of the chosen arm" },
        { "mf", "Q of the chosen option at each stage" },
        { "mb", "Q of the chosen option at each stage" },
        { "hybrid", "Q of the chosen option at each stage" },
        { "volobs", "expected reward of the chosen arm" },
    };
    for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++)
        if (!strcmp(t->name, vs[i].agent)) return vs[i].v;
    return NULL;
}

Agent *agent_alloc(const Config *cfg, const TaskInfo *ti, char *err, size_t n_err)
{
    const char *name = config_get(cfg, "agent", "name");
    if (!name) {
        snprintf(err, n_err, "no agent.name setting (agent_declare() was not called)");
        return NULL;
    }
    const AgentType *type = agent_lookup(name);
    if (!type) {
        snprintf(err, n_err, "unknown agent '%s' (accepted: %s)", name, agent_choices());
        return NULL;
    }
    Agent *a = calloc(1, sizeof *a);
    if (!a) {
        snprintf(err, n_err, "out of memory");
        return NULL;
    }
    a->type = type;
    a->state = type->alloc(cfg, ti, err, n_err);
    if (!a->state) {
        free(a);
        return NULL;
    }
    return a;
}

Agent *agent_wrap(const AgentType *type, void *state)
{
    Agent *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->type = type;
    a->state = state;
    return a;
}

void agent_free(Agent *a)
{
    if (!a) return;
    if (a->state) a->type->free(a->state);
    free(a);
}
