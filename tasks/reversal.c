/* tasks/reversal.c: probabilistic reversal learning.
**
** One arm is good (reward probability p_high), the other bad (p_low); now
** and then they swap. When they swap is set by task.schedule:
**   hazard     after every trial, with probability task.hazard
**   blocks     after fixed block lengths (task.blocks = 55,15,20,15,20,35
**              replays the Reiter et al. 2017 schedule); after the last
**              listed block the good arm stays put
**   criterion  once task.crit_k of the last task.crit_n choices took the good
**              arm, then after each further trial with probability
**              task.delay_hazard (1 = at once; < 1 = a geometric delay, as in
**              some mouse work); the window restarts at each reversal
** The first good arm is drawn at random unless task.start is 1 (arm 0) or 2
** (arm 1); arms are numbered 0 and 1, as actions and the p0/p1 columns are.
**
** Draws: one uniform at reset; three per trial (a reward coin per arm and one
** for the schedule), whatever is chosen, so agents run on the same episode
** seed meet the same instance and coins (the criterion schedule still
** depends on behaviour, as it does in the lab).
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tasks/task.h"

#define REVERSAL_MAX_BLOCKS 256

enum { SCHED_HAZARD, SCHED_BLOCKS, SCHED_CRITERION };

typedef struct {
    double p_high, p_low, hazard, delay_hazard;
    int schedule, start, crit_k, crit_n;
    long blocks[REVERSAL_MAX_BLOCKS];
    int n_blocks;
    int n_trials;
    /* episode state */
    int t, good, block, since;
    int armed;                     /* criterion met, waiting for the delay */
    unsigned char *window;         /* (crit_n) last choices correct? ring buffer */
    int n_window, window_pos, n_correct;
    int *reversals;                /* (n_trials) 0-based first trials of new blocks */
    int n_reversals;
} Reversal;

static const OptSpec reversal_params[] = {
    { "task", "trials", NULL, OPT_INT, "200", 1, 100000, NULL, "reversal",
      "trials per episode (T)" },
    { "task", "p_high", NULL, OPT_DOUBLE, "0.8", 0, 1, NULL, "reversal",
      "reward probability of the good arm" },
    { "task", "p_low", NULL, OPT_DOUBLE, "0.2", 0, 1, NULL, "reversal",
      "reward probability of the bad arm" },
    { "task", "schedule", NULL, OPT_CHOICE, "hazard", 0, 0, "hazard|blocks|criterion", "reversal",
      "what triggers a reversal" },
    { "task", "hazard", NULL, OPT_DOUBLE, "0.05", 0, 1, NULL, "reversal",
      "schedule=hazard: reversal probability after each trial" },
    { "task", "blocks", NULL, OPT_INT_LIST, "55,15,20,15,20,35", 1, 1000000, NULL, "reversal",
      "schedule=blocks: block lengths in trials" },
    { "task", "crit_k", NULL, OPT_INT, "8", 1, 10000, NULL, "reversal",
      "schedule=criterion: correct choices needed ..." },
    { "task", "crit_n", NULL, OPT_INT, "10", 1, 10000, NULL, "reversal",
      "schedule=criterion: ... among the last crit_n" },
    { "task", "delay_hazard", NULL, OPT_DOUBLE, "1", 0.0001, 1, NULL, "reversal",
      "schedule=criterion: reversal probability per trial once the criterion is met" },
    { "task", "start", NULL, OPT_INT, "0", 0, 2, NULL, "reversal",
      "first good arm: 1 for arm 0, 2 for arm 1 (arms are 0 and 1), or 0 to draw it at random" },
    OPT_END
};

static void reversal_free(void *s)
{
    Reversal *v = s;
    if (!v) return;
    free(v->window);
    free(v->reversals);
    free(v);
}

static void *reversal_alloc(const Config *cfg, char *err, size_t n_err)
{
    Reversal *v = calloc(1, sizeof *v);
    if (!v) goto oom;
    v->p_high = config_double(cfg, "task", "p_high");
    v->p_low = config_double(cfg, "task", "p_low");
    v->hazard = config_double(cfg, "task", "hazard");
    v->delay_hazard = config_double(cfg, "task", "delay_hazard");
    v->crit_k = (int)config_int(cfg, "task", "crit_k");
    v->crit_n = (int)config_int(cfg, "task", "crit_n");
    v->start = (int)config_int(cfg, "task", "start");
    v->n_trials = (int)config_int(cfg, "task", "trials");
    const char *sched = config_str(cfg, "task", "schedule");
    v->schedule = !strcmp(sched, "blocks") ? SCHED_BLOCKS : !strcmp(sched, "criterion") ? SCHED_CRITERION : SCHED_HAZARD;
    v->n_blocks = config_int_list(cfg, "task", "blocks", v->blocks, REVERSAL_MAX_BLOCKS);
    if (v->p_low > v->p_high) {
        snprintf(err, n_err, "task.p_low (%g) is above task.p_high (%g); the good arm must be at least as good",
                 v->p_low, v->p_high);
        reversal_free(v);
        return NULL;
    }
    if (v->schedule == SCHED_CRITERION && v->crit_k > v->crit_n) {
        snprintf(err, n_err, "task.crit_k (%d) exceeds task.crit_n (%d): the criterion could never be met",
                 v->crit_k, v->crit_n);
        reversal_free(v);
        return NULL;
    }
    v->window = calloc((size_t)v->crit_n, 1);
    v->reversals = calloc((size_t)v->n_trials + 1, sizeof *v->reversals);
    if (!v->window || !v->reversals) goto oom;
    return v;
oom:
    reversal_free(v);
    snprintf(err, n_err, "out of memory");
    return NULL;
}

static void reversal_info(const void *s, TaskInfo *out)
{
    const Reversal *v = s;
    *out = (TaskInfo){ 2, 0, v->n_trials, 1, 0 };
}

static void reversal_reset(void *s, gsl_rng *r)
{
    Reversal *v = s;
    double u = gsl_rng_uniform(r);
    v->good = v->start ? v->start - 1 : (u < 0.5 ? 0 : 1);
    v->t = v->block = v->since = 0;
    v->armed = 0;
    v->n_window = v->window_pos = v->n_correct = 0;
    v->n_reversals = 0;
}

static void reversal_observe(const void *s, double *obs) { (void)s; (void)obs; }

static void reversal_truth(const void *s, TaskTruth *out)
{
    const Reversal *v = s;
    out->p[v->good] = v->p_high;
    out->p[1 - v->good] = v->p_low;
    out->best = v->p_high > v->p_low ? v->good : -1;
    out->block = v->block;
    out->since_reversal = v->since;
    out->state = -1;
}

/* Does a reversal come before trial v->t (already advanced)? u is this
** trial's schedule draw. */
static int reversal_due(Reversal *v, int action, double u)
{
    switch (v->schedule) {
    case SCHED_HAZARD:
        return u < v->hazard;
    case SCHED_BLOCKS: {
        /* the boundaries are the ends of all listed blocks but the last */
        long end = 0;
        for (int i = 0; i + 1 < v->n_blocks && end < v->t; i++) {
            end += v->blocks[i];
            if (end == v->t) return 1;
        }
        return 0;
    }
    case SCHED_CRITERION: {
        int correct = action == v->good;
        if (v->n_window == v->crit_n) v->n_correct -= v->window[v->window_pos];
        else v->n_window++;
        v->window[v->window_pos] = (unsigned char)correct;
        v->n_correct += correct;
        v->window_pos = (v->window_pos + 1) % v->crit_n;
        if (!v->armed && v->n_correct >= v->crit_k) v->armed = 1;
        return v->armed && u < v->delay_hazard;
    }
    }
    return 0;
}

static double reversal_step(void *s, int action, gsl_rng *r, int *done)
{
    Reversal *v = s;
    double coin[2] = { gsl_rng_uniform(r), gsl_rng_uniform(r) };
    double u = gsl_rng_uniform(r);
    double p = action == v->good ? v->p_high : v->p_low;
    double reward = coin[action] < p ? 1.0 : 0.0;
    v->t++;
    v->since++;
    if (v->t < v->n_trials && reversal_due(v, action, u)) {
        v->good = 1 - v->good;
        v->block++;
        v->since = 0;
        v->armed = 0;
        v->n_window = v->window_pos = v->n_correct = 0;
        v->reversals[v->n_reversals++] = v->t;
    }
    *done = v->t >= v->n_trials;
    return reward;
}

static void reversal_describe(const void *s, char *json, size_t n)
{
    const Reversal *v = s;
    size_t used = (size_t)snprintf(json, n, "{\"p_high\":%.17g,\"p_low\":%.17g,\"first_good\":%d,\"reversals\":[",
                                   v->p_high, v->p_low, v->good ^ (v->n_reversals & 1));
    for (int i = 0; i < v->n_reversals && used + 16 < n; i++)
        used += (size_t)snprintf(json + used, n - used, "%s%d", i ? "," : "", v->reversals[i]);
    if (used + 3 < n) snprintf(json + used, n - used, "]}");
}

/* The average reversal rate each schedule implies: its hazard; a block list's
** reversals per trial (n blocks over their total length); for the criterion,
** one reversal per expected block length, k - 1 trials to reach the criterion
** at best plus the geometric delay's mean 1/delay_hazard. */
static double schedule_hazard(const Reversal *v)
{
    if (v->schedule == SCHED_BLOCKS) {
        double sum = 0.0;
        for (int i = 0; i < v->n_blocks; i++) sum += (double)v->blocks[i];
        return v->n_blocks > 0 && sum > 0 ? v->n_blocks / sum : 0.0;
    }
    if (v->schedule == SCHED_CRITERION) return 1.0 / ((double)v->crit_k - 1.0 + 1.0 / v->delay_hazard);
    return v->hazard;
}

static void reversal_facts(const void *s, TaskFacts *out)
{
    const Reversal *v = s;
    *out = (TaskFacts){ .p_common = NAN, .n_trials = v->n_trials, .two_level = 1, .p_high = v->p_high, .p_low = v->p_low,
                        .hazard = schedule_hazard(v), .hazard_exact = v->schedule == SCHED_HAZARD,
                        .first_good = v->start ? v->start - 1 : -1 };
}

static int reversal_deciding(const Config *cfg, const char *key)
{
    const char *sched = config_str(cfg, "task", "schedule");
    if (!strcmp(key, "trials") || !strcmp(key, "schedule") || !strcmp(key, "p_high") || !strcmp(key, "p_low"))
        return 1;
    if (!strcmp(key, "hazard")) return !strcmp(sched, "hazard");
    if (!strcmp(key, "blocks")) return !strcmp(sched, "blocks");
    if (!strcmp(key, "crit_k") || !strcmp(key, "crit_n") || !strcmp(key, "delay_hazard"))
        return !strcmp(sched, "criterion");
    return 0;
}

const TaskType task_reversal = {
    "reversal", "probabilistic reversal learning: good and bad arm swap by hazard, block list or criterion",
    reversal_params, reversal_alloc, reversal_info, reversal_reset, reversal_observe,
    reversal_truth, reversal_step, reversal_describe, reversal_free, reversal_facts, reversal_deciding, NULL
};
