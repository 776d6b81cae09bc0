/* tests/helpers/steps_synth.h: synthetic episodes with per-step prefrontal
** rates and a planted answer, for the tests of analysis/steps.c and of its
** figures (tests/test_steps.c, tests/test_figures_steps.c).
**
** n episodes of T trials of SYNTH_K = 5 steps (epochs fixation, choice,
** outcome, outcome, iti; the last trial's outcome and iti steps missing as
** the network leaves them), SYNTH_P units; random actions, rewards with
** probability 0.4, and (episode 1, trial 3) one missed trial:
**   unit 0  1.0 at the first outcome step of rewarded trials, 0 elsewhere;
**   unit 1  0.5 + 0.3 a_t + N(0, 0.1) at the choice step, 0.5 + noise else;
**   others  0.5 + N(0, 0.2) everywhere.
** Every draw from r. Free with synth_free.
*/
#ifndef METARL_TEST_STEPS_SYNTH_H
#define METARL_TEST_STEPS_SYNTH_H

#include <gsl/gsl_rng.h>

#include "core/episode.h"

enum { SYNTH_K = 5, SYNTH_P = 6 };

EpisodeRecord **synth_step_episodes(int n, int T, gsl_rng *r);
void synth_free(EpisodeRecord **eps, int n);

#endif
