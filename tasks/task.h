/* tasks/task.h: the task interface and the registry of tasks.
**
** A task is a family of problems; each episode draws a new instance of it
** (new arm probabilities, a new reversal schedule) and then plays out trial by
** trial. The interface is a struct of function pointers (GSL's gsl_rng_type
** pattern): each task file keeps everything static and exports one const
** TaskType object (task_bandit, task_reversal), listed in task_types[].
**
** A trial, as the runner drives it:
**
**     task->type->truth(state, &truth);      latent truth for analysis and storage
**     task->type->observe(state, obs);       obs_dim numbers the agent sees
**     reward = task->type->step(state, action, r, &done);
**
** Randomness: reset() and step() draw only from the generator they are given,
** which the caller seeds per episode (core/rng.h). Tasks draw a fixed number
** of numbers per trial whatever the action, so that two agents run on the same
** episode seed meet the same instance and the same reward coin flips (common
** random numbers), and a comparison between agents is paired.
**
** Growing the interface: add methods at the end and mark the version in a
** comment, so existing tasks keep compiling with the new member NULL.
*/
#ifndef METARL_TASK_H
#define METARL_TASK_H

#include <stddef.h>
#include <gsl/gsl_rng.h>

#include "core/config.h"
#include "core/episode.h"   /* TaskTruth, TASK_MAX_ACTIONS */

#define TASK_MAX_OBS 16

/* Fixed facts of a configured task, known before any episode. */
typedef struct TaskInfo {
    int n_actions;   /* A */
    int obs_dim;     /* numbers observe() writes (0 for bandits) */
    int max_trials;  /* longest possible episode: buffers are sized by it */
} TaskInfo;

typedef struct TaskType {
    const char *name;      /* "bandit", "reversal": the value of task.name */
    const char *summary;   /* one line for `metarl tasks` */
    const OptSpec *params; /* section "task", owner = name; OPT_END-terminated */

    /* Build a task from a finalized Config. Return NULL with a message in err
    ** if a combination of values is invalid (p_low > p_high, say) or memory
    ** runs out. */
    void *(*alloc)(const Config *cfg, char *err, size_t n_err);
    void (*info)(const void *state, TaskInfo *out);
    /* Start a new episode: draw a new instance from r. */
    void (*reset)(void *state, gsl_rng *r);
    void (*observe)(const void *state, double *obs);
    void (*truth)(const void *state, TaskTruth *out);
    /* Apply action (0 <= action < n_actions) and return the reward; set *done
    ** to 1 when the episode ends after this trial. */
    double (*step)(void *state, int action, gsl_rng *r, int *done);
    /* The instance as a JSON object for the episodes table, e.g.
    ** {"p":[0.31,0.77]} or {"reversals":[55,70]}; written after the episode
    ** ends, so a schedule that depends on behaviour is complete. */
    void (*describe)(const void *state, char *json, size_t n);
    void (*free)(void *state);
} TaskType;

/* A configured task: its type and its state. */
typedef struct Task {
    const TaskType *type;
    void *state;
    TaskInfo info;
} Task;

/* NULL-terminated list of every task; `metarl tasks` and the tests loop over it. */
extern const TaskType *const task_types[];

/* The task named `name`, or NULL. */
const TaskType *task_lookup(const char *name);

/* The arm pair of bandit dist easy|medium|hard (arm 0 first, unshuffled):
** the bandit's own table, for agents that know it. -1 for other dists. */
int task_bandit_pair(const char *dist, double pair[2]);

/* Declare task.name and every task's parameters in c. */
int task_declare(Config *c);

/* Allocate the task named by task.name in a finalized Config. Return NULL
** with a message in err on failure. Free with task_free(). */
Task *task_alloc(const Config *cfg, char *err, size_t n_err);
void task_free(Task *t);

#endif
