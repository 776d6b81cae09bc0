/* tasks/harlow.c: the Harlow task (Harlow 1949; Wang et al. 2018 Fig. 6), in
** the one-dimensional form of public reimplementations.
**
** Each episode draws two different objects from a fixed set of task.objects
** (1,000) and, with a fair coin, which of the two pays; then task.trials (6)
** trials. A trial has two stages:
**   stage 0, fixation: the agent sees a fixation cross and no objects. With
**         two actions there is no separate "fixate" action, so ANY action
**         proceeds; it pays task.fixation_reward (0; 0.2 in one public
**         version) and has no other effect.
**   stage 1, choice: the two objects appear, one on each side; which side the
**         rewarded object takes is drawn afresh (a fair coin) each trial.
**         Action 0 takes the left object, action 1 the right one. The
**         rewarded object pays task.reward_correct (+1), the other
**         task.reward_wrong (-1), every time.
** Objects are feature vectors of task.features numbers (7), each uniform in
** [-1, 1], drawn once when the task is built from task.object_seed, so an
** object is the same vector in every episode and run. The agent sees
** 1 + 2 * features numbers: [fixation cross, left object, right object]
** (the cross 1 and the objects 0 at fixation; the cross 0 at the choice).
**
** States (TaskTruth.state and the stages table): 0 at fixation; at the
** choice 1 if the rewarded object is on the left, 2 if it is on the right,
** so the correct choice of a stage-1 row is state - 1 (as in the two-step
** task, whose stage-1 state is 1 + the side it came from).
**
** Truth: at the choice p = (1, 0) or (0, 1), the probability that each side
** pays the correct reward; best = the rewarded side. At fixation nothing is
** chosen: p is NaN and best -1, so a trial record (which carries the first
** stage, model/runner.c) has no regret or P(best); a trial's accuracy is its
** stage-1 row's action == state - 1. block is 0 and since_reversal the trial
** index (nothing reverses within an episode).
**
** Draws: three uniforms at reset (two object indices, the rewarded one) and
** one per trial at the fixation step (the coming choice's sides); none at the
** choice. So the count is fixed whatever the actions (common random numbers).
*/
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "tasks/task.h"

#define HARLOW_MAX_FEATURES ((TASK_MAX_OBS - 1) / 2)
/* the episode index of the object set's own generator: no run reaches it */
#define HARLOW_OBJECT_EPISODE (UINT64_MAX - 1)

typedef struct {
    int n_trials, n_objects, n_features;
    double r_fix, r_correct, r_wrong;
    double *objects;        /* (n_objects, n_features) */
    /* episode state */
    int obj[2];             /* the episode's two objects, in the order drawn */
    int rewarded;           /* index into obj of the one that pays (0 or 1) */
    int t, stage;
    int side;               /* the rewarded object's side at this trial's choice: 0 left, 1 right */
    unsigned char *sides;   /* (n_trials) side per trial, for describe() */
} Harlow;

static const OptSpec harlow_params[] = {
    { "task", "trials", NULL, OPT_INT, "6", 1, 100000, NULL, "harlow", "trials per episode (T)" },
    { "task", "objects", NULL, OPT_INT, "1000", 2, 1000000, NULL, "harlow",
      "size of the object set the two objects of an episode are drawn from" },
    { "task", "features", NULL, OPT_INT, "7", 1, HARLOW_MAX_FEATURES, NULL, "harlow",
      "numbers per object vector (the agent sees 1 + 2 x features)" },
    { "task", "object_seed", NULL, OPT_INT, "1", 0, 2147483647, NULL, "harlow",
      "seed of the object set (the same set in every run that keeps it)" },
    { "task", "fixation_reward", NULL, OPT_DOUBLE, "0", -10, 10, NULL, "harlow",
      "reward of the fixation stage (any action proceeds)" },
    { "task", "reward_correct", NULL, OPT_DOUBLE, "1", -10, 10, NULL, "harlow",
      "reward for choosing the rewarded object" },
    { "task", "reward_wrong", NULL, OPT_DOUBLE, "-1", -10, 10, NULL, "harlow",
      "reward for choosing the other object" },
    OPT_END
};

static void harlow_free(void *s)
{
    Harlow *h = s;
    if (!h) return;
    free(h->objects);
    free(h->sides);
    free(h);
}

/* The object set: n_objects vectors, each number uniform in [-1, 1]. */
static int make_objects(Harlow *h, uint64_t seed)
{
    gsl_rng *g = rng_alloc();
    h->objects = malloc((size_t)h->n_objects * (size_t)h->n_features * sizeof *h->objects);
    if (!g || !h->objects) {
        if (g) gsl_rng_free(g);
        return -1;
    }
    rng_seed_episode(g, seed, RNG_STREAM_TASK, HARLOW_OBJECT_EPISODE);
    for (size_t i = 0; i < (size_t)h->n_objects * (size_t)h->n_features; i++)
        h->objects[i] = 2.0 * gsl_rng_uniform(g) - 1.0;
    gsl_rng_free(g);
    return 0;
}

static void *harlow_alloc(const Config *cfg, char *err, size_t n_err)
{
    Harlow *h = calloc(1, sizeof *h);
    if (!h) goto oom;
    h->n_trials = (int)config_int(cfg, "task", "trials");
    h->n_objects = (int)config_int(cfg, "task", "objects");
    h->n_features = (int)config_int(cfg, "task", "features");
    h->r_fix = config_double(cfg, "task", "fixation_reward");
    h->r_correct = config_double(cfg, "task", "reward_correct");
    h->r_wrong = config_double(cfg, "task", "reward_wrong");
    if (!(h->r_correct > h->r_wrong)) {
        snprintf(err, n_err, "task.reward_wrong (%g) must be below task.reward_correct (%g)", h->r_wrong,
                 h->r_correct);
        harlow_free(h);
        return NULL;
    }
    h->sides = calloc((size_t)h->n_trials, 1);
    if (!h->sides || make_objects(h, (uint64_t)config_int(cfg, "task", "object_seed")) != 0) goto oom;
    return h;
oom:
    harlow_free(h);
    snprintf(err, n_err, "out of memory");
    return NULL;
}

static void harlow_info(const void *s, TaskInfo *out)
{
    const Harlow *h = s;
    *out = (TaskInfo){ 2, 1 + 2 * h->n_features, h->n_trials, 2, 1 };   /* the trial's choice follows fixation */
}

static void harlow_reset(void *s, gsl_rng *r)
{
    Harlow *h = s;
    double u0 = gsl_rng_uniform(r), u1 = gsl_rng_uniform(r), u2 = gsl_rng_uniform(r);
    h->obj[0] = (int)(u0 * h->n_objects);
    h->obj[1] = (int)(u1 * (h->n_objects - 1));
    if (h->obj[0] >= h->n_objects) h->obj[0] = h->n_objects - 1;
    if (h->obj[1] >= h->n_objects - 1) h->obj[1] = h->n_objects - 2;
    if (h->obj[1] >= h->obj[0]) h->obj[1]++;   /* two different objects, each uniform */
    h->rewarded = u2 < 0.5 ? 0 : 1;
    h->t = h->stage = 0;
    h->side = 0;
}

static void harlow_observe(const void *s, double *obs)
{
    const Harlow *h = s;
    const int F = h->n_features;
    for (int i = 0; i < 1 + 2 * F; i++) obs[i] = 0.0;
    if (h->stage == 0) {
        obs[0] = 1.0;
        return;
    }
    /* the rewarded object on side h->side, the other on the other side */
    const double *good = h->objects + (size_t)h->obj[h->rewarded] * F;
    const double *bad = h->objects + (size_t)h->obj[1 - h->rewarded] * F;
    const double *left = h->side == 0 ? good : bad, *right = h->side == 0 ? bad : good;
    for (int i = 0; i < F; i++) {
        obs[1 + i] = left[i];
        obs[1 + F + i] = right[i];
    }
}

static void harlow_truth(const void *s, TaskTruth *out)
{
    const Harlow *h = s;
    out->block = 0;
    out->since_reversal = h->t;
    if (h->stage == 0) {
        out->p[0] = out->p[1] = NAN;
        out->best = -1;
        out->state = 0;
        return;
    }
    out->p[h->side] = 1.0;
    out->p[1 - h->side] = 0.0;
    out->best = h->side;
    out->state = 1 + h->side;
}

static double harlow_step(void *s, int action, gsl_rng *r, int *done)
{
    Harlow *h = s;
    *done = 0;
    if (h->stage == 0) {
        h->side = gsl_rng_uniform(r) < 0.5 ? 0 : 1;
        h->sides[h->t] = (unsigned char)h->side;
        h->stage = 1;
        return h->r_fix;
    }
    double reward = action == h->side ? h->r_correct : h->r_wrong;
    h->t++;
    h->stage = 0;
    *done = h->t >= h->n_trials;
    return reward;
}

static void harlow_describe(const void *s, char *json, size_t n)
{
    const Harlow *h = s;
    size_t used = (size_t)snprintf(json, n, "{\"objects\":[%d,%d],\"rewarded\":%d,\"rewarded_side\":[",
                                   h->obj[0], h->obj[1], h->obj[h->rewarded]);
    for (int i = 0; i < h->t && used + 8 < n; i++)
        used += (size_t)snprintf(json + used, n - used, "%s%d", i ? "," : "", h->sides[i]);
    if (used + 3 < n) snprintf(json + used, n - used, "]}");
}

static void harlow_facts(const void *s, TaskFacts *out)
{
    const Harlow *h = s;
    *out = (TaskFacts){ .n_trials = h->n_trials, .p_high = NAN, .p_low = NAN, .p_common = NAN, .first_good = -1 };
}

static int harlow_deciding(const Config *cfg, const char *key)
{
    (void)cfg;
    return !strcmp(key, "trials") || !strcmp(key, "objects") || !strcmp(key, "features") ||
           !strcmp(key, "fixation_reward") || !strcmp(key, "reward_wrong");
}

static int harlow_stage(const void *s) { return ((const Harlow *)s)->stage; }

const TaskType task_harlow = {
    "harlow", "Harlow task: two new objects per episode, one always pays; a fixation, then a choice of side",
    harlow_params, harlow_alloc, harlow_info, harlow_reset, harlow_observe,
    harlow_truth, harlow_step, harlow_describe, harlow_free, harlow_facts, harlow_deciding, harlow_stage
};
