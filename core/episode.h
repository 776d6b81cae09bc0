/* core/episode.h: what one episode leaves behind, as plain data.
**
** The runner fills an EpisodeRecord trial by trial; the store writes it, and
** reads it back for analysis; the importer fills one per subject from a data
** file. Nothing here knows about networks or SQLite, so tasks, agents,
** the store and the analyses can all share it.
*/
#ifndef METARL_EPISODE_H
#define METARL_EPISODE_H

#include <stddef.h>

#define TASK_MAX_ACTIONS 2   /* every task so far is two-choice; the store has two columns */

/* What is true on the current trial, before the action: what an analysis
** would like to know and the agent does not see. */
typedef struct TaskTruth {
    double p[TASK_MAX_ACTIONS];  /* reward probability of each action on this trial (NaN if unknown) */
    int best;                    /* action with the highest p; -1 on a tie or unknown */
    int block;                   /* 0-based count of reversals so far; -1 if unknown */
    int since_reversal;          /* trials since the block began (0 on its first trial); -1 if unknown */
    int state;                   /* multi-stage tasks: the state the agent sees at this stage; -1 otherwise */
} TaskTruth;

typedef struct TrialRecord {
    int action;                        /* 0..A-1, or -1 for a missed trial */
    double reward;                     /* NaN for a missed trial */
    TaskTruth truth;
    double probs[TASK_MAX_ACTIONS];    /* the policy, NaN where not defined */
    double value;                      /* V_t, NaN if the agent has none */
    double rpe;                        /* delta_t = r_t + gamma V_{t+1} - V_t (model/striatum.h), NaN if none */
} TrialRecord;

/* One stage of a multi-stage trial: the two-step task's first-stage choice,
** then its second-stage state and choice; Harlow's fixation, then choice. A
** single-stage task (bandit, reversal) records none: its TrialRecord is the
** whole trial, and it allocates and stores nothing for stages. */
typedef struct StageRecord {
    int t;              /* the trial it belongs to */
    int stage;          /* 0, 1, ... within the trial */
    int state;          /* the state the agent saw at this stage (task-defined), -1 if none */
    int action;         /* the choice made at this stage, -1 if none (a fixation, a missed choice) */
    double reward;      /* reward delivered at the end of this stage (0 if none) */
    double value;       /* V at this stage, NaN if the agent has none */
    double rpe;         /* delta at this stage, NaN if none */
} StageRecord;

#define EPISODE_INSTANCE_MAX 1024

typedef struct EpisodeRecord {
    int n_trials;                      /* trials filled */
    int cap_trials;                    /* trials allocated */
    TrialRecord *trials;               /* (cap_trials) */
    int n_units;                       /* units per trial in activity; 0 = none recorded */
    int n_pfc;                         /* the first n_pfc units are prefrontal, the rest striatal */
    float *activity;                   /* (cap_trials, n_units), row per trial */
    char instance[EPISODE_INSTANCE_MAX]; /* the task instance as JSON ("{}" if unknown) */
    char subject[64];                  /* subject id for imported data, "" otherwise */
    double total_reward;               /* sum of rewards over valid trials */
    double regret;                     /* sum of max_a p_a - p_chosen, NaN if truth unknown */
    int n_stages;                      /* stage rows filled (0 for single-stage tasks) */
    int cap_stages;                    /* stage rows allocated (episode_reserve_stages) */
    StageRecord *stages;               /* (cap_stages), in (t, stage) order */
    /* per-step prefrontal rates of a network with epochs within a trial
    ** (test.activity_steps = all; store table activity_steps): step s belongs
    ** to trial s / steps_per_trial and its epoch is step_epoch[s] (EPOCH_*) */
    int n_steps;                       /* steps filled (0 = none recorded) */
    int cap_steps;                     /* steps allocated (episode_reserve_steps) */
    int n_step_units;                  /* rates per step */
    int steps_per_trial;               /* K (1 without epochs) */
    float *step_rates;                 /* (cap_steps, n_step_units), row per step */
    unsigned char *step_epoch;         /* (cap_steps) EPOCH_* of each step */
} EpisodeRecord;

/* The epochs of a trial (model/net.h "Time within a trial"), as stored. */
enum { EPOCH_FIXATION = 0, EPOCH_CHOICE = 1, EPOCH_OUTCOME = 2, EPOCH_ITI = 3, EPOCH_COUNT = 4 };

/* Allocate a record for up to cap_trials trials and n_units rates per trial
** (0 for none). Return NULL if out of memory. */
EpisodeRecord *episode_alloc(int cap_trials, int n_units);
void episode_free(EpisodeRecord *e);
/* The same for a task of max_stages stages per trial: with cap_trials x
** max_stages stage rows reserved when max_stages > 1 (none otherwise). */
EpisodeRecord *episode_alloc_stages(int cap_trials, int max_stages, int n_units);
/* Make room for cap stage rows (a multi-stage task reserves trials x stages
** once, before its first episode, so that no step allocates). Return 0, or -1
** if out of memory. */
int episode_reserve_stages(EpisodeRecord *e, int cap);
/* Make room for cap steps of n_units rates each (once, before the first
** episode). Return 0, or -1 if out of memory. */
int episode_reserve_steps(EpisodeRecord *e, int cap, int n_units);
/* Append one stage row; return -1 if the reserved rows are used up. */
int episode_add_stage(EpisodeRecord *e, const StageRecord *s);
/* Empty the record for a new episode (keeps its buffers). */
void episode_clear(EpisodeRecord *e);
/* Compute total_reward and regret from the trials. */
void episode_summarize(EpisodeRecord *e);
/* One trial's regret, max_a p_a - p_action (TaskTruth p), NaN if the chosen
** arm's or the best arm's probability is unknown. The one regret formula:
** episode_summarize and the trainer's statistics both sum it over trials. */
double episode_trial_regret(const TaskTruth *truth, int action);

#endif
