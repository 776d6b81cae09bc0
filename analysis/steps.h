/* analysis/steps.h: activity within a trial, aligned to its events, as a
** physiologist averages it (peri-event time histograms of rate units).
**
** Input is one run's episodes with per-step prefrontal rates (core/episode.h
** n_steps, step_rates, step_epoch; test.activity_steps = all): step s of an
** episode belongs to trial s / K (K = steps_per_trial) and has the epoch
** step_epoch[s] (EPOCH_FIXATION, _CHOICE, _OUTCOME, _ITI). The events of a
** trial are its choice step (the LAST step of the choice epoch, where the
** policy is read) and its outcome step (the FIRST step of the outcome epoch,
** where a_t and r_t arrive), at fixed positions within the trial taken from
** the first episode's first trial.
**
**   aligned     for each valid trial t (action 0 or 1, finite reward) whose
**               event step e = t K + pos exists, the rates at steps e + d,
**               d = -pre..post, within the same episode (steps before 0 or
**               past n_steps are missing, so n may fall at the window's
**               edges; the last trial's outcome and inter-trial steps are
**               never run). Mean and SE = SD / sqrt(n) (SD with n - 1)
**               across trials at each d, for each unit, the population mean
**               rate (mean over units of the step's rates) and the step's
**               scores on PC1 and PC2, in each condition of the trial: all,
**               unrewarded / rewarded (r_t > 1/2) at THIS trial's outcome,
**               arm 0 / arm 1 chosen on this trial, and the four of arm x
**               reward. Before the outcome step
**               a split by r_t is by what is still to come (as in a
**               physiologist's raster sorted by outcome).
**   PCA         neural_pca_fit of all steps of all episodes pooled (centred
**               per unit; eigenvectors of the covariance, largest loading
**               positive), each episode's first trial (K steps, the
**               transient from the zero initial state) left out of the fit;
**               every step is scored.
**   selectivity per unit, Welch's statistic of the difference of the two
**               conditions' means at the event (d = 0): reward = (rewarded -
**               unrewarded) at the outcome step, choice = (arm 1 - arm 0) at
**               the choice step, over sqrt(se_1^2 + se_0^2); +-infinity when
**               both SEs are 0 and the means differ, NaN when a side has
**               fewer than 2 trials or nothing differs. order[] ranks the
**               units by |score|, NaN last.
**
** Usage:
**     NeuralSteps *s = NULL;
**     if (neural_steps(eps, n_eps, 4, 6, &s) == ANALYSIS_OK) {
**         double m = neural_steps_mean(s, STEPS_AT_OUTCOME, STEPS_REWARDED, 0, STEPS_POP);
**         int best = s->order[STEPS_SEL_REWARD * s->n_units];   // most reward-selective unit
**         neural_steps_free(s);
**     }
*/
#ifndef METARL_STEPS_H
#define METARL_STEPS_H

#include "analysis/neural.h"
#include "core/episode.h"

typedef enum { STEPS_AT_CHOICE, STEPS_AT_OUTCOME, STEPS_N_EVENTS } StepsEvent;
typedef enum {
    STEPS_ALL, STEPS_UNREWARDED, STEPS_REWARDED, STEPS_ARM0, STEPS_ARM1,
    STEPS_ARM0_UNREWARDED, STEPS_ARM0_REWARDED, STEPS_ARM1_UNREWARDED, STEPS_ARM1_REWARDED,   /* STEPS_ARM0_UNREWARDED + 2 a + r */
    STEPS_N_CONDS
} StepsCond;
enum { STEPS_SEL_REWARD, STEPS_SEL_CHOICE, STEPS_N_SEL };
/* Quantities besides the units (q = 0..p-1): */
enum { STEPS_POP = -1, STEPS_PC1 = -2, STEPS_PC2 = -3 };
#define STEPS_N_EXTRA 3
#define STEPS_MAX_WINDOW 64   /* pre + post + 1 at most */

typedef struct NeuralSteps {
    int n_units;                  /* p: rates per step */
    int K;                        /* steps per trial */
    int pre, post, n_off;         /* window d = -pre..post; n_off = pre + post + 1 */
    int pos[STEPS_N_EVENTS];      /* each event's step within the trial */
    unsigned char *trial_epoch;   /* (K) the epoch of each step of a trial */
    int n_episodes;               /* episodes with steps */
    long n_trials;                /* valid trials with a choice step */
    long n_rows;                  /* steps pooled into the PCA */
    NeuralPca *pca;               /* of the pooled steps (k = 2) */
    long *n;                      /* (E, C, W) trials contributing */
    double *mean, *se;            /* (E, C, W, p + 3): units, then population, PC1, PC2 */
    double *sel;                  /* (STEPS_N_SEL, p) selectivity scores */
    int *order;                   /* (STEPS_N_SEL, p) units by |score| descending, NaN last */
} NeuralSteps;

/* 1 if any episode holds per-step rates. */
int neural_steps_present(EpisodeRecord *const *eps, int n_eps);
/* The analysis above, with window -pre..post around each event (pre, post
** >= 0, pre + post < STEPS_MAX_WINDOW). Return ANALYSIS_OK with *out set,
** ANALYSIS_NODATA (no steps; episodes with differing units or K; a trial
** without a choice or an outcome epoch; a bad window; too few steps for the
** PCA) or ANALYSIS_NOMEM. */
int neural_steps(EpisodeRecord *const *eps, int n_eps, int pre, int post, NeuralSteps **out);
void neural_steps_free(NeuralSteps *s);

/* Cell (event, cond, offset d in -pre..post, quantity q: a unit 0..p-1 or
** STEPS_POP, STEPS_PC1, STEPS_PC2). Mean and SE are NaN where n = 0 (SE also
** where n = 1). */
double neural_steps_mean(const NeuralSteps *s, int ev, int cond, int d, int q);
double neural_steps_se(const NeuralSteps *s, int ev, int cond, int d, int q);
long neural_steps_n(const NeuralSteps *s, int ev, int cond, int d);
/* The epoch of the step at offset d from event ev, and how many trials
** after the event's trial it lies (-1: the previous trial). */
int neural_steps_epoch(const NeuralSteps *s, int ev, int d, int *trial_shift);

#endif
