/* tasks/twostep.c: the two-step task (Daw et al. 2011; Wang et al. 2018 Fig. 5).
**
** A trial has two stages. Stage 0: in the start state (state 0) the agent
** picks action a; it moves to second-stage state 1 + a with probability
** task.p_common (a common transition) and to the other one otherwise (rare).
** Stage 1: in state s (1 or 2) the agent picks action k and is paid with a
** probability that depends on the variant:
**   wang  one second-stage state is good (task.p_high, default 0.9) and the
**         other bad (task.p_low, 0.1), whatever k is; which one is good
**         switches with probability task.switch (0.025) after each trial
**   daw   four options, two per state (option 2(s-1)+k); each pays with its
**         own probability, which starts uniform in [task.p_min, task.p_max]
**         and takes a Gaussian step (s.d. task.drift) after each trial,
**         reflected at the bounds (0.25, 0.75 in Daw 2011)
** The agent sees the state as a one-hot vector (3 numbers). The reward comes
** at the end of stage 1; stage 0 pays 0. Common transitions keep the state
** numbering: action 0 commonly leads to state 1, action 1 to state 2, so an
** analysis tells common from rare as state == 1 + first-stage action.
**
** Truth: at stage 0, p[a] is the probability of reward after first-stage
** action a when the second stage is played well (the better option of each
** state), so regret counts the first-stage choice only; at stage 1, p[k] is
** option k's probability in this state. block/since_reversal count the wang
** variant's switches (-1 for daw, whose probabilities drift).
**
** Draws (common random numbers): one uniform per trial for the transition
** at stage 0; at stage 1 one reward coin and then the variant's changes (one
** uniform for wang's switch, four Gaussians for daw's drift), whatever the
** actions.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>

#include "tasks/task.h"

enum { VARIANT_WANG, VARIANT_DAW };

typedef struct {
    int variant, n_trials;
    double p_common, p_high, p_low, switch_p, drift, p_min, p_max;
    /* episode state */
    int t, stage, state;       /* state: 0 at stage 0, then 1 or 2 */
    int good;                  /* wang: the good second-stage state (1 or 2) */
    int block, since;          /* wang: switches so far, trials since the last */
    double p[4];               /* daw: the four options' reward probabilities */
    double p0[4];              /* daw: their values at the episode's start */
    int first_good;            /* wang: the good state on trial 0 */
} TwoStep;

static const OptSpec twostep_params[] = {
    { "task", "trials", NULL, OPT_INT, "100", 1, 100000, NULL, "twostep", "trials per episode (T)" },
    { "task", "variant", NULL, OPT_CHOICE, "wang", 0, 0, "wang|daw", "twostep",
      "wang: one good second-stage state that switches; daw: four drifting options" },
    { "task", "p_common", NULL, OPT_DOUBLE, "0.8", 0.5, 1, NULL, "twostep",
      "probability of the common transition (0.8 Wang 2018, 0.7 Daw 2011)" },
    { "task", "p_high", NULL, OPT_DOUBLE, "0.9", 0, 1, NULL, "twostep",
      "variant=wang: reward probability in the good second-stage state" },
    { "task", "p_low", NULL, OPT_DOUBLE, "0.1", 0, 1, NULL, "twostep",
      "variant=wang: reward probability in the bad second-stage state" },
    { "task", "switch", NULL, OPT_DOUBLE, "0.025", 0, 1, NULL, "twostep",
      "variant=wang: probability that the good state switches after a trial" },
    { "task", "drift", NULL, OPT_DOUBLE, "0.025", 0, 1, NULL, "twostep",
      "variant=daw: s.d. of each option's Gaussian step per trial" },
    { "task", "p_min", NULL, OPT_DOUBLE, "0.25", 0, 1, NULL, "twostep",
      "variant=daw: lower reflecting bound of the options' probabilities" },
    { "task", "p_max", NULL, OPT_DOUBLE, "0.75", 0, 1, NULL, "twostep",
      "variant=daw: upper reflecting bound of the options' probabilities" },
    OPT_END
};

static void twostep_free(void *s) { free(s); }

static void *twostep_alloc(const Config *cfg, char *err, size_t n_err)
{
    TwoStep *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, n_err, "out of memory");
        return NULL;
    }
    w->variant = strcmp(config_str(cfg, "task", "variant"), "daw") ? VARIANT_WANG : VARIANT_DAW;
    w->n_trials = (int)config_int(cfg, "task", "trials");
    w->p_common = config_double(cfg, "task", "p_common");
    w->p_high = config_double(cfg, "task", "p_high");
    w->p_low = config_double(cfg, "task", "p_low");
    w->switch_p = config_double(cfg, "task", "switch");
    w->drift = config_double(cfg, "task", "drift");
    w->p_min = config_double(cfg, "task", "p_min");
    w->p_max = config_double(cfg, "task", "p_max");
    if (w->variant == VARIANT_WANG && w->p_low > w->p_high) {
        snprintf(err, n_err, "task.p_low (%g) is above task.p_high (%g); the good state must be at least as good",
                 w->p_low, w->p_high);
        free(w);
        return NULL;
    }
    if (w->variant == VARIANT_DAW && !(w->p_min < w->p_max)) {
        snprintf(err, n_err, "task.p_min (%g) must be below task.p_max (%g)", w->p_min, w->p_max);
        free(w);
        return NULL;
    }
    return w;
}

static void twostep_info(const void *s, TaskInfo *out)
{
    const TwoStep *w = s;
    *out = (TaskInfo){ 2, 3, w->n_trials, 2, 0 };   /* the trial reports its first-stage choice */
}

static void twostep_reset(void *s, gsl_rng *r)
{
    TwoStep *w = s;
    w->t = w->stage = w->state = 0;
    w->block = w->since = 0;
    /* the same draws at reset for both variants: one uniform, four more */
    double u = gsl_rng_uniform(r);
    w->good = w->first_good = u < 0.5 ? 1 : 2;
    for (int i = 0; i < 4; i++) w->p[i] = w->p0[i] = w->p_min + (w->p_max - w->p_min) * gsl_rng_uniform(r);
}

static void twostep_observe(const void *s, double *obs)
{
    const TwoStep *w = s;
    for (int i = 0; i < 3; i++) obs[i] = i == w->state ? 1.0 : 0.0;
}

/* Reward probability of option k in second-stage state s (1 or 2). */
static double option_p(const TwoStep *w, int s, int k)
{
    if (w->variant == VARIANT_WANG) return s == w->good ? w->p_high : w->p_low;
    return w->p[2 * (s - 1) + k];
}

/* The value of state s when its better option is taken. */
static double state_value(const TwoStep *w, int s)
{
    double a = option_p(w, s, 0), b = option_p(w, s, 1);
    return a > b ? a : b;
}

static void twostep_truth(const void *s, TaskTruth *out)
{
    const TwoStep *w = s;
    if (w->stage == 0) {
        double v1 = state_value(w, 1), v2 = state_value(w, 2);
        out->p[0] = w->p_common * v1 + (1 - w->p_common) * v2;
        out->p[1] = w->p_common * v2 + (1 - w->p_common) * v1;
    } else {
        out->p[0] = option_p(w, w->state, 0);
        out->p[1] = option_p(w, w->state, 1);
    }
    out->best = out->p[0] > out->p[1] ? 0 : out->p[1] > out->p[0] ? 1 : -1;
    out->block = w->variant == VARIANT_WANG ? w->block : -1;
    out->since_reversal = w->variant == VARIANT_WANG ? w->since : -1;
    out->state = w->state;
}

/* A Gaussian step reflected back into [lo, hi]. */
static double reflect(double x, double lo, double hi)
{
    for (int i = 0; i < 64 && (x < lo || x > hi); i++) x = x < lo ? 2 * lo - x : 2 * hi - x;
    return x < lo ? lo : x > hi ? hi : x;
}

static double twostep_step(void *s, int action, gsl_rng *r, int *done)
{
    TwoStep *w = s;
    *done = 0;
    if (w->stage == 0) {
        double u = gsl_rng_uniform(r);
        w->state = u < w->p_common ? 1 + action : 2 - action;
        w->stage = 1;
        return 0.0;
    }
    double coin = gsl_rng_uniform(r);
    double reward = coin < option_p(w, w->state, action) ? 1.0 : 0.0;
    if (w->variant == VARIANT_WANG) {
        double u = gsl_rng_uniform(r);
        w->since++;
        if (u < w->switch_p) {
            w->good = 3 - w->good;
            w->block++;
            w->since = 0;
        }
    } else {
        for (int i = 0; i < 4; i++) w->p[i] = reflect(w->p[i] + gsl_ran_gaussian(r, w->drift), w->p_min, w->p_max);
    }
    w->t++;
    w->stage = 0;
    w->state = 0;
    *done = w->t >= w->n_trials;
    return reward;
}

static void twostep_describe(const void *s, char *json, size_t n)
{
    const TwoStep *w = s;
    if (w->variant == VARIANT_WANG)
        snprintf(json, n, "{\"variant\":\"wang\",\"p_common\":%.17g,\"first_good\":%d,\"switches\":%d}",
                 w->p_common, w->first_good, w->block);
    else
        snprintf(json, n, "{\"variant\":\"daw\",\"p_common\":%.17g,\"p0\":[%.17g,%.17g,%.17g,%.17g]}", w->p_common,
                 w->p0[0], w->p0[1], w->p0[2], w->p0[3]);
}

static void twostep_facts(const void *s, TaskFacts *out)
{
    const TwoStep *w = s;
    *out = (TaskFacts){ .n_trials = w->n_trials, .p_high = NAN, .p_low = NAN, .p_common = w->p_common,
                        .first_good = -1 };
    if (w->variant == VARIANT_WANG) {
        out->p_high = w->p_high;
        out->p_low = w->p_low;
        out->hazard = w->switch_p;
        out->hazard_exact = 1;
    }
    out->variant = w->variant == VARIANT_WANG ? "wang" : "daw";
}

static int twostep_deciding(const Config *cfg, const char *key)
{
    int wang = !strcmp(config_str(cfg, "task", "variant"), "wang");
    if (!strcmp(key, "trials") || !strcmp(key, "variant") || !strcmp(key, "p_common")) return 1;
    if (!strcmp(key, "p_high") || !strcmp(key, "p_low") || !strcmp(key, "switch")) return wang;
    return !wang;   /* drift, p_min, p_max */
}

static int twostep_stage(const void *s) { return ((const TwoStep *)s)->stage; }

const TaskType task_twostep = {
    "twostep", "two-step task: a first-stage choice, a common or rare transition, a second-stage choice",
    twostep_params, twostep_alloc, twostep_info, twostep_reset, twostep_observe,
    twostep_truth, twostep_step, twostep_describe, twostep_free, twostep_facts, twostep_deciding, twostep_stage
};
