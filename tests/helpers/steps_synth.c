/* tests/helpers/steps_synth.c: synthetic per-step episodes (steps_synth.h). */
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_randist.h>

#include "tests/helpers/steps_synth.h"

static const unsigned char trial_epochs[SYNTH_K] = { EPOCH_FIXATION, EPOCH_CHOICE, EPOCH_OUTCOME, EPOCH_OUTCOME,
                                                     EPOCH_ITI };

EpisodeRecord **synth_step_episodes(int n, int T, gsl_rng *r)
{
    enum { K = SYNTH_K, P = SYNTH_P };
    EpisodeRecord **eps = calloc((size_t)n, sizeof *eps);
    if (!eps) abort();
    for (int i = 0; i < n; i++) {
        EpisodeRecord *e = eps[i] = episode_alloc(T, 0);
        if (!e || episode_reserve_steps(e, T * K, P) != 0) abort();
        e->n_trials = T;
        e->steps_per_trial = K;
        e->n_steps = (T - 1) * K + 2;   /* the last trial: fixation and choice only */
        for (int t = 0; t < T; t++) {
            TrialRecord *tr = &e->trials[t];
            tr->action = (int)gsl_rng_uniform_int(r, 2);
            tr->reward = gsl_rng_uniform(r) < 0.4 ? 1.0 : 0.0;
            tr->probs[0] = tr->probs[1] = tr->value = tr->rpe = NAN;
            if (i == 1 && t == 3) {
                tr->action = -1;
                tr->reward = NAN;
            }
        }
        for (int s = 0; s < e->n_steps; s++) {
            const TrialRecord *tr = &e->trials[s / K];
            int k = s % K;
            e->step_epoch[s] = trial_epochs[k];
            float *x = e->step_rates + (size_t)s * P;
            x[0] = (k == 2 && tr->action >= 0 && tr->reward > 0.5) ? 1.0f : 0.0f;
            x[1] = (float)(0.5 + (k == 1 && tr->action == 1 ? 0.3 : 0.0) + gsl_ran_gaussian(r, 0.1));
            for (int u = 2; u < P; u++) x[u] = (float)(0.5 + gsl_ran_gaussian(r, 0.2));
        }
    }
    return eps;
}

void synth_free(EpisodeRecord **eps, int n)
{
    for (int i = 0; i < n; i++) episode_free(eps[i]);
    free(eps);
}
