/* tasks/baited.c: the baited two-armed bandit (Tsutsui et al. 2016 monkeys;
** Wang et al. 2018 simulation 1).
**
** Each episode draws base probabilities p0 = (p0_L, p0_R) for arm 0 (left)
** and arm 1 (right); an arm left unchosen accumulates ("is baited"): on each
** trial arm i pays with
**     p_i = 1 - (1 - p0_i)^(k_i + 1)
** where k_i is the number of trials since arm i was last chosen (0 on the
** first trial, and on the trial after it was chosen). This is the chance
** that a bait set with p0_i on each of those k_i + 1 trials is waiting,
** so a fresh coin each trial gives the same rewards in distribution as a
** bait that stays until it is collected. How p0 is drawn (task.dist):
**   train  p0_L from U(0, 0.1), U(0.2, 0.3) or U(0.4, 0.5), the range
**          picked with equal chance; p0_R = 0.5 - p0_L
**   test   p0_L ~ U(0, 0.5), p0_R = 0.5 - p0_L
**   fixed  the user's p0 = (task.p1, task.p2)
**
** Truth: p per arm from the formula on each trial, best = the larger (-1 on
** a tie); block 0, since_reversal the trial index.
**
** Draws: two uniforms at reset (the range, p0_L within it) and two per trial
** (a reward coin per arm, whichever is chosen), so agents run on the same
** episode seed meet the same p0 and coins (common random numbers; the
** probabilities themselves follow the choices, as in the lab).
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tasks/task.h"

enum { BAIT_TRAIN, BAIT_TEST, BAIT_FIXED };

static const char *const bait_dists[] = { "train", "test", "fixed" };

typedef struct {
    int dist, n_trials;
    double fixed[2];
    /* episode state */
    double p0[2];
    int range;    /* train: the range p0_L came from (0, 1, 2); -1 otherwise */
    int k[2];     /* trials since each arm was last chosen */
    int t;
} Baited;

static const OptSpec baited_params[] = {
    { "task", "trials", NULL, OPT_INT, "100", 1, 100000, NULL, "baited", "trials per episode (T)" },
    { "task", "dist", NULL, OPT_CHOICE, "train", 0, 0, "train|test|fixed", "baited",
      "train: p0_L from U(0,.1), U(.2,.3) or U(.4,.5); test: p0_L ~ U(0,.5); p0_R = 0.5 - p0_L; "
      "fixed: task.p1, task.p2" },
    { "task", "p1", NULL, OPT_DOUBLE, "0.1", 0, 1, NULL, "baited",
      "dist=fixed: base probability p0 of arm 0 (left)" },
    { "task", "p2", NULL, OPT_DOUBLE, "0.4", 0, 1, NULL, "baited",
      "dist=fixed: base probability p0 of arm 1 (right)" },
    OPT_END
};

static void *baited_alloc(const Config *cfg, char *err, size_t n_err)
{
    Baited *b = calloc(1, sizeof *b);
    if (!b) {
        snprintf(err, n_err, "out of memory");
        return NULL;
    }
    const char *dist = config_str(cfg, "task", "dist");
    for (int i = 0; i < 3; i++)
        if (!strcmp(dist, bait_dists[i])) b->dist = i;
    b->fixed[0] = config_double(cfg, "task", "p1");
    b->fixed[1] = config_double(cfg, "task", "p2");
    b->n_trials = (int)config_int(cfg, "task", "trials");
    return b;
}

static void baited_info(const void *s, TaskInfo *out)
{
    const Baited *b = s;
    *out = (TaskInfo){ 2, 0, b->n_trials, 1, 0 };
}

static void baited_reset(void *s, gsl_rng *r)
{
    Baited *b = s;
    double u0 = gsl_rng_uniform(r), u1 = gsl_rng_uniform(r);
    b->t = 0;
    b->k[0] = b->k[1] = 0;
    b->range = -1;
    switch (b->dist) {
    case BAIT_TRAIN:
        b->range = u0 < 1.0 / 3 ? 0 : u0 < 2.0 / 3 ? 1 : 2;
        b->p0[0] = 0.2 * b->range + 0.1 * u1;
        b->p0[1] = 0.5 - b->p0[0];
        break;
    case BAIT_TEST:
        b->p0[0] = 0.5 * u1;
        b->p0[1] = 0.5 - b->p0[0];
        break;
    default:
        b->p0[0] = b->fixed[0];
        b->p0[1] = b->fixed[1];
    }
}

static void baited_observe(const void *s, double *obs) { (void)s; (void)obs; }

/* Arm i's reward probability now. */
static double baited_p(const Baited *b, int i) { return 1.0 - pow(1.0 - b->p0[i], b->k[i] + 1); }

static void baited_truth(const void *s, TaskTruth *out)
{
    const Baited *b = s;
    out->p[0] = baited_p(b, 0);
    out->p[1] = baited_p(b, 1);
    out->best = out->p[0] > out->p[1] ? 0 : out->p[1] > out->p[0] ? 1 : -1;
    out->block = 0;
    out->since_reversal = b->t;
    out->state = -1;
}

static double baited_step(void *s, int action, gsl_rng *r, int *done)
{
    Baited *b = s;
    double coin[2] = { gsl_rng_uniform(r), gsl_rng_uniform(r) };
    double reward = coin[action] < baited_p(b, action) ? 1.0 : 0.0;
    b->k[action] = 0;
    b->k[1 - action]++;
    *done = ++b->t >= b->n_trials;
    return reward;
}

static void baited_describe(const void *s, char *json, size_t n)
{
    const Baited *b = s;
    snprintf(json, n, "{\"dist\":\"%s\",\"p0\":[%.17g,%.17g],\"range\":%d}", bait_dists[b->dist], b->p0[0], b->p0[1],
             b->range);
}

/* dist stays NULL and fixed_pair 0 (even for dist=fixed, whose p0 is fixed
** but whose p is not): they describe a bandit, and the bandit's reference
** agents that read them do not model baiting. */
static void baited_facts(const void *s, TaskFacts *out)
{
    const Baited *b = s;
    *out = (TaskFacts){ .n_trials = b->n_trials, .p_high = NAN, .p_low = NAN, .p_common = NAN, .first_good = -1 };
}

static int baited_deciding(const Config *cfg, const char *key)
{
    if (!strcmp(key, "trials") || !strcmp(key, "dist")) return 1;
    if (!strcmp(key, "p1") || !strcmp(key, "p2")) return !strcmp(config_str(cfg, "task", "dist"), "fixed");
    return 0;
}

const TaskType task_baited = {
    "baited", "baited two-armed bandit: an unchosen arm's reward probability accumulates (Tsutsui 2016)",
    baited_params, baited_alloc, baited_info, baited_reset, baited_observe,
    baited_truth, baited_step, baited_describe, free, baited_facts, baited_deciding, NULL
};
