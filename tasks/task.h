/* tasks/task.h: the task interface and the registry of tasks.
**
** A task is a family of problems; each episode draws a new instance of it
** (new arm probabilities, a new reversal schedule) and then plays out trial by
** trial. The interface is a struct of function pointers (GSL's gsl_rng_type
** pattern): each task file keeps everything static and exports one const
** TaskType object (task_bandit, task_reversal, task_twostep), listed in
** task_types[].
**
** A trial, as the runner drives it:
**
**     task->type->truth(state, &truth);      latent truth for analysis and storage
**     task->type->observe(state, obs);       obs_dim numbers the agent sees
**     reward = task->type->step(state, action, r, &done);
**
** A trial may have stages (the two-step task: a first-stage choice, a
** transition to a second-stage state, a second-stage choice, an outcome;
** Harlow: fixation, then choice). Such a task says so with max_stages > 1 and
** a stage() method: step() then advances one stage, observe() shows the
** current stage's state, and stage() returns to 0 when a new trial begins.
** The runner stores one TrialRecord per trial (its action is the first-stage
** choice, its reward the trial's total) and one StageRecord per stage
** (core/episode.h); a single-stage task leaves stage NULL and pays nothing.
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
    int max_stages;  /* stages per trial (1: a trial is one choice) */
    int choice_stage; /* multi-stage: the stage whose choice the trial record reports (two-step: 0, the
                         first-stage choice; Harlow: 1, the choice after fixation) */
} TaskInfo;

/* The most steps (stages) an episode can take: what a network's time axis
** and the trainer's buffers hold. */
static inline int task_max_steps(const TaskInfo *ti)
{
    return ti->max_trials * (ti->max_stages > 1 ? ti->max_stages : 1);
}

/* What other modules may know of a configured task, so that no agent or
** analysis reads task.* keys itself (the reference agents that exploit the
** task's structure; the analyses of a stored run, through
** task_facts_from_text). Fields that do not apply are 0 or NaN. */
typedef struct TaskFacts {
    const char *task;      /* the task's name (its TaskType's) */
    int n_trials;          /* trials per episode (T) */
    const char *dist;      /* bandit: how an episode's pair is drawn (task.dist); NULL for other tasks */
    int fixed_pair;        /* 1 if every episode plays one known pair of probabilities */
    double pair[2];        /* that pair, arm 0 first before any shuffling */
    int shuffled;          /* the better arm's side is drawn each episode */
    int two_level;         /* one arm pays p_high and the other p_low, and they may swap */
    double p_high, p_low;  /* NaN unless two_level (twostep wang: its second-stage states') */
    double hazard;         /* reversals per trial-to-trial transition the schedule implies on average
                              (0 when nothing reverses) */
    int hazard_exact;      /* 1 if reversals come at that constant hazard (not a block list or a criterion) */
    int first_good;        /* two_level: the arm good on trial 0 (0 or 1), or -1 if drawn each episode */
    double p_common;       /* twostep: probability of the common transition; NaN for other tasks */
    const char *variant;   /* twostep: "wang" or "daw"; NULL for other tasks */
} TaskFacts;

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
    void (*facts)(const void *state, TaskFacts *out);
    /* Does the setting task.key decide which member of the family this is?
    ** Titles list only those (p1 with dist=independent does not). */
    int (*deciding)(const Config *cfg, const char *key);
    /* Multi-stage tasks only (NULL otherwise): the stage the next step()
    ** plays, 0 at the start of each trial. */
    int (*stage)(const void *state);
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

/* The name of the task a Config selects (task.name), or "" if it declares
** none: the one reader of the key outside the config layer. */
const char *task_name(const Config *cfg);

/* Declare task.name and every task's parameters in c. */
int task_declare(Config *c);

/* Allocate the task named by task.name in a finalized Config. Return NULL
** with a message in err on failure. Free with task_free(). */
Task *task_alloc(const Config *cfg, char *err, size_t n_err);
void task_free(Task *t);

/* "bandit (trials=100, dist=independent)": the task named by task.name and
** the settings that decide which member of its family it is (its type's
** deciding()), as the run's title. */
void task_title(const Config *cfg, char *out, size_t n);

/* The facts of a configured task. */
void task_facts(const Task *t, TaskFacts *out);

/* The facts of the task a finalized Config names (built, read, freed).
** Return 0, or -1 with a message in err (out then names no task: ""). */
int task_facts_of(const Config *cfg, TaskFacts *out, char *err, size_t n_err);

/* The facts of the task a run was configured with, from its stored INI text
** (the runs.config column): its [task] section is read by the one INI parser
** and the task is built from it. Return 0, or -1 with a message in err. */
int task_facts_from_text(const char *ini, TaskFacts *out, char *err, size_t n_err);
/* task_title() of the task a run was configured with, from its stored INI
** text. Return 0, or -1 with a message in err. */
int task_title_from_text(const char *ini, char *out, size_t n, char *err, size_t n_err);

#endif
