/* tasks/bandit.c: the two-armed Bernoulli bandit (Wang et al. 2016).
**
** Each episode draws a pair of reward probabilities and keeps it for all T
** trials:
**   independent  p1, p2 ~ U(0,1) independently
**   dependent    p1 ~ U(0,1), p2 = 1 - p1
**   easy/medium/hard  the pair 0.9/0.1, 0.75/0.25, 0.6/0.4
**   fixed        the user's pair task.p1/task.p2
** For the fixed pairs the side of the better arm is drawn at random unless
** task.shuffle is false.
**
** Draws per episode: two uniforms at reset and two per trial (one reward coin
** per arm, whichever is chosen), so agents run on the same episode seed meet
** the same instance and the same coins.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tasks/task.h"

enum { DIST_INDEPENDENT, DIST_DEPENDENT, DIST_EASY, DIST_MEDIUM, DIST_HARD, DIST_FIXED };

typedef struct {
    int dist;
    int shuffle;
    double pair[2];   /* the fixed pair before shuffling */
    double p[2];      /* this episode's reward probabilities */
    int t, n_trials;
} Bandit;

static const OptSpec bandit_params[] = {
    { "task", "trials", NULL, OPT_INT, "100", 1, 100000, NULL, "bandit",
      "trials per episode (T)" },
    { "task", "dist", NULL, OPT_CHOICE, "independent", 0, 0,
      "independent|dependent|easy|medium|hard|fixed", "bandit",
      "how each episode's arm probabilities are drawn" },
    { "task", "p1", NULL, OPT_DOUBLE, "0.7", 0, 1, NULL, "bandit",
      "reward probability of arm 0 (action 0, stored as p0) for dist=fixed" },
    { "task", "p2", NULL, OPT_DOUBLE, "0.3", 0, 1, NULL, "bandit",
      "reward probability of arm 1 (action 1, stored as p1) for dist=fixed" },
    { "task", "shuffle", NULL, OPT_BOOL, "true", 0, 0, NULL, "bandit",
      "fixed pairs: draw the better arm's side at random each episode" },
    OPT_END
};

/* The dist names, in enum order, and the fixed pairs they stand for. */
static const char *const dist_names[] = { "independent", "dependent", "easy", "medium", "hard", "fixed" };
static const double dist_pairs[][2] = { { 0, 0 }, { 0, 0 }, { 0.9, 0.1 }, { 0.75, 0.25 }, { 0.6, 0.4 }, { 0, 0 } };

static void *bandit_alloc(const Config *cfg, char *err, size_t n_err)
{
    Bandit *b = calloc(1, sizeof *b);
    if (!b) {
        snprintf(err, n_err, "out of memory");
        return NULL;
    }
    const char *dist = config_str(cfg, "task", "dist");
    for (int i = 0; i < 6; i++)
        if (strcmp(dist, dist_names[i]) == 0) b->dist = i;
    b->pair[0] = dist_pairs[b->dist][0];
    b->pair[1] = dist_pairs[b->dist][1];
    if (b->dist == DIST_FIXED) {
        b->pair[0] = config_double(cfg, "task", "p1");
        b->pair[1] = config_double(cfg, "task", "p2");
    }
    b->shuffle = config_bool(cfg, "task", "shuffle");
    b->n_trials = (int)config_int(cfg, "task", "trials");
    return b;
}

static void bandit_info(const void *s, TaskInfo *out)
{
    const Bandit *b = s;
    *out = (TaskInfo){ 2, 0, b->n_trials, 1, 0 };
}

static void bandit_reset(void *s, gsl_rng *r)
{
    Bandit *b = s;
    double u0 = gsl_rng_uniform(r), u1 = gsl_rng_uniform(r);
    b->t = 0;
    switch (b->dist) {
    case DIST_INDEPENDENT:
        b->p[0] = u0;
        b->p[1] = u1;
        break;
    case DIST_DEPENDENT:
        b->p[0] = u0;
        b->p[1] = 1.0 - u0;
        break;
    default: {
        int swap = b->shuffle && u0 < 0.5;
        b->p[0] = b->pair[swap];
        b->p[1] = b->pair[!swap];
    }
    }
}

static void bandit_observe(const void *s, double *obs) { (void)s; (void)obs; }

static void bandit_truth(const void *s, TaskTruth *out)
{
    const Bandit *b = s;
    out->p[0] = b->p[0];
    out->p[1] = b->p[1];
    out->best = b->p[0] > b->p[1] ? 0 : b->p[1] > b->p[0] ? 1 : -1;
    out->block = 0;
    out->since_reversal = b->t;
    out->state = -1;
}

static double bandit_step(void *s, int action, gsl_rng *r, int *done)
{
    Bandit *b = s;
    double coin[2] = { gsl_rng_uniform(r), gsl_rng_uniform(r) };
    double reward = coin[action] < b->p[action] ? 1.0 : 0.0;
    *done = ++b->t >= b->n_trials;
    return reward;
}

static void bandit_describe(const void *s, char *json, size_t n)
{
    const Bandit *b = s;
    snprintf(json, n, "{\"p\":[%.17g,%.17g]}", b->p[0], b->p[1]);
}

static void bandit_facts(const void *s, TaskFacts *out)
{
    const Bandit *b = s;
    *out = (TaskFacts){ .p_common = NAN, .n_trials = b->n_trials, .dist = dist_names[b->dist],
                        .fixed_pair = b->dist >= DIST_EASY, .pair = { b->pair[0], b->pair[1] },
                        .shuffled = b->dist >= DIST_EASY && b->shuffle,
                        .p_high = NAN, .p_low = NAN, .hazard = 0.0, .hazard_exact = 1, .first_good = -1 };
}

static int bandit_deciding(const Config *cfg, const char *key)
{
    const char *dist = config_str(cfg, "task", "dist");
    if (!strcmp(key, "dist") || !strcmp(key, "trials")) return 1;
    if (!strcmp(key, "p1") || !strcmp(key, "p2")) return !strcmp(dist, "fixed");
    if (!strcmp(key, "shuffle")) return !config_bool(cfg, "task", "shuffle");
    return 0;
}

const TaskType task_bandit = {
    "bandit", "two-armed Bernoulli bandit; arm probabilities redrawn each episode",
    bandit_params, bandit_alloc, bandit_info, bandit_reset, bandit_observe,
    bandit_truth, bandit_step, bandit_describe, free, bandit_facts, bandit_deciding, NULL
};
