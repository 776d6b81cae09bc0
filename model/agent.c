/* model/agent.c: the registry of reference agents, the generic Agent handle,
** and the helpers the agents' files share (model/agent_impl.h).
**
** Each agent file exports its AgentType objects and keeps everything else
** static, as the task files do; agent_types[] lists them in the order
** `metarl agents` prints them:
**
**   model/agent_simple.c    random, wsls, rw          (any task)
**   model/agent_bandit.c    thompson, ucb1, greedy    (any task; stationary beliefs)
**   model/agent_bayes.c     bayes                     (bandit: exact dynamic programming)
**   model/agent_observer.c  observer                  (reversal, fixed-pair bandits)
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/agent.h"
#include "model/agent_impl.h"

extern const AgentType agent_random;
extern const AgentType agent_wsls;
extern const AgentType agent_rw;
extern const AgentType agent_thompson;
extern const AgentType agent_ucb1;
extern const AgentType agent_greedy;
extern const AgentType agent_bayes;
extern const AgentType agent_observer;

const AgentType *const agent_types[] = {
    &agent_random, &agent_wsls, &agent_rw, &agent_thompson, &agent_ucb1, &agent_greedy,
    &agent_bayes, &agent_observer, NULL
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

/* ---- helpers for the agents' files (agent_impl.h) ------------------------ */

int agent_argmax(const double *x, int n, double tol, gsl_rng *r, double *probs)
{
    double best = x[0];
    for (int a = 1; a < n; a++)
        if (x[a] > best) best = x[a];
    int tied[TASK_MAX_ACTIONS] = { 0 }, k = 0;
    for (int a = 0; a < n; a++)
        if (x[a] >= best - tol) tied[k++] = a;
    int choice = k == 1 ? tied[0] : tied[gsl_rng_uniform_int(r, (unsigned long)k)];
    if (probs) {
        for (int a = 0; a < n; a++) probs[a] = 0.0;
        for (int i = 0; i < k; i++) probs[tied[i]] = 1.0 / k;
    }
    return choice;
}

const char *agent_task_name(const Config *cfg)
{
    const char *name = config_get(cfg, "task", "name");
    return name ? name : "";
}

const char *agent_task_get(const Config *cfg, const char *key)
{
    return config_get(cfg, "task", key);
}

int agent_bandit_pair(const Config *cfg, double pair[2], int *shuffled)
{
    /* The pairs as tasks/bandit.c lists them (arm 0 first when unshuffled);
    ** tests/test_agents.c checks this table against the task. */
    static const struct { const char *dist; double p0, p1; } pairs[] = {
        { "easy", 0.9, 0.1 }, { "medium", 0.75, 0.25 }, { "hard", 0.6, 0.4 }
    };
    if (strcmp(agent_task_name(cfg), "bandit") != 0) return -1;
    const char *dist = agent_task_get(cfg, "dist");
    if (!dist) return -1;
    if (strcmp(dist, "fixed") == 0) {
        pair[0] = config_double(cfg, "task", "p1");
        pair[1] = config_double(cfg, "task", "p2");
    } else {
        int found = 0;
        for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
            if (strcmp(dist, pairs[i].dist) == 0) {
                pair[0] = pairs[i].p0;
                pair[1] = pairs[i].p1;
                found = 1;
            }
        if (!found) return -1;
    }
    *shuffled = config_bool(cfg, "task", "shuffle");
    return 0;
}

void *agent_refuse(char *err, size_t n_err, const char *agent, const Config *cfg,
                   const char *accepts)
{
    const char *task = agent_task_name(cfg);
    const char *dist = strcmp(task, "bandit") == 0 ? agent_task_get(cfg, "dist") : NULL;
    if (!task[0]) task = "(none)";
    if (dist)
        snprintf(err, n_err, "agent %s cannot serve task %s (dist=%s): it needs %s", agent, task,
                 dist, accepts);
    else
        snprintf(err, n_err, "agent %s cannot serve task %s: it needs %s", agent, task, accepts);
    return NULL;
}

int agent_check_actions(char *err, size_t n_err, const char *agent, const Config *cfg,
                        const TaskInfo *ti, int exactly)
{
    int ok = exactly > 0 ? ti->n_actions == exactly
                         : ti->n_actions >= 1 && ti->n_actions <= TASK_MAX_ACTIONS;
    if (ok) return 0;
    char need[64];
    if (exactly > 0) snprintf(need, sizeof need, "a task with %d actions", exactly);
    else snprintf(need, sizeof need, "a task with 1..%d actions", TASK_MAX_ACTIONS);
    snprintf(err, n_err, "agent %s cannot serve task %s with %d actions: it needs %s", agent,
             agent_task_name(cfg), ti->n_actions, need);
    return -1;
}
