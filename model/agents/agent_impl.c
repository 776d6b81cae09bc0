/* model/agents/agent_impl.c: the helpers the reference agents' files share
** (declared in model/agents/agent_impl.h): tie-breaking argmax, reading the
** task's settings, the known arm pair of a bandit, and the refusal messages
** of an agent that cannot serve a task.
*/
#include <stdio.h>
#include <string.h>

#include "model/agents/agent_impl.h"

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
    return task_name(cfg);
}

int agent_task_facts(const Config *cfg, TaskFacts *f)
{
    char err[256];
    if (task_name(cfg)[0]) return task_facts_of(cfg, f, err, sizeof err);
    memset(f, 0, sizeof *f);
    f->task = "";
    return -1;
}

int agent_bandit_pair(const Config *cfg, double pair[2], int *shuffled)
{
    TaskFacts f;
    if (agent_task_facts(cfg, &f) != 0 || !f.fixed_pair) return -1;
    pair[0] = f.pair[0];
    pair[1] = f.pair[1];
    *shuffled = f.shuffled;
    return 0;
}

void *agent_refuse(char *err, size_t n_err, const char *agent, const Config *cfg,
                   const char *accepts)
{
    const char *task = agent_task_name(cfg);
    TaskFacts f;
    const char *dist = agent_task_facts(cfg, &f) == 0 ? f.dist : NULL;
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
