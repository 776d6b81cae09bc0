/* core/episode.c: allocation and summaries of episode records (see episode.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/episode.h"

EpisodeRecord *episode_alloc(int cap_trials, int n_units)
{
    EpisodeRecord *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->cap_trials = cap_trials;
    e->n_units = n_units;
    e->trials = calloc((size_t)cap_trials, sizeof *e->trials);
    if (n_units > 0) e->activity = calloc((size_t)cap_trials * (size_t)n_units, sizeof *e->activity);
    if (!e->trials || (n_units > 0 && !e->activity)) {
        episode_free(e);
        return NULL;
    }
    episode_clear(e);
    return e;
}

EpisodeRecord *episode_alloc_stages(int cap_trials, int max_stages, int n_units)
{
    EpisodeRecord *e = episode_alloc(cap_trials, n_units);
    if (e && max_stages > 1 && episode_reserve_stages(e, cap_trials * max_stages) != 0) {
        episode_free(e);
        return NULL;
    }
    return e;
}

void episode_free(EpisodeRecord *e)
{
    if (!e) return;
    free(e->trials);
    free(e->activity);
    free(e->stages);
    free(e->step_rates);
    free(e->step_epoch);
    free(e);
}

int episode_reserve_stages(EpisodeRecord *e, int cap)
{
    if (cap <= e->cap_stages) return 0;
    StageRecord *p = realloc(e->stages, (size_t)cap * sizeof *p);
    if (!p) return -1;
    e->stages = p;
    e->cap_stages = cap;
    return 0;
}

int episode_reserve_steps(EpisodeRecord *e, int cap, int n_units)
{
    if (cap <= e->cap_steps && n_units == e->n_step_units) return 0;
    float *r = realloc(e->step_rates, (size_t)(cap > 0 ? cap : 1) * (size_t)(n_units > 0 ? n_units : 1) * sizeof *r);
    if (!r) return -1;
    e->step_rates = r;
    unsigned char *g = realloc(e->step_epoch, (size_t)(cap > 0 ? cap : 1));
    if (!g) return -1;
    e->step_epoch = g;
    e->cap_steps = cap;
    e->n_step_units = n_units;
    return 0;
}

int episode_add_stage(EpisodeRecord *e, const StageRecord *s)
{
    if (e->n_stages >= e->cap_stages) return -1;
    e->stages[e->n_stages++] = *s;
    return 0;
}

void episode_clear(EpisodeRecord *e)
{
    e->n_trials = 0;
    e->n_stages = 0;
    e->n_steps = 0;
    e->n_pfc = e->n_units;
    strcpy(e->instance, "{}");
    e->subject[0] = '\0';
    e->total_reward = 0.0;
    e->regret = NAN;
}

double episode_trial_regret(const TaskTruth *truth, int action)
{
    double best = -INFINITY;
    for (int k = 0; k < TASK_MAX_ACTIONS; k++)
        if (truth->p[k] > best) best = truth->p[k];
    const double chosen = truth->p[action];
    return isnan(chosen) || isnan(best) ? NAN : best - chosen;
}

void episode_summarize(EpisodeRecord *e)
{
    double total = 0.0, regret = 0.0;
    int truth_known = 1;
    for (int t = 0; t < e->n_trials; t++) {
        const TrialRecord *tr = &e->trials[t];
        if (tr->action < 0) continue;
        total += tr->reward;
        const double g = episode_trial_regret(&tr->truth, tr->action);
        if (isnan(g)) truth_known = 0;
        else regret += g;
    }
    e->total_reward = total;
    e->regret = truth_known ? regret : NAN;
}
