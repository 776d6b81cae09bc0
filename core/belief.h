/* core/belief.h: the Bayesian belief filter of a two-armed reversal task.
**
** One arm pays with probability p_high, the other with p_low, and after
** each trial they swap with probability h (the hazard). The belief
** b = P(arm 0 is the good arm) is updated after each outcome by Bayes' rule
** and then by the change-point transition (Behrens et al. 2007):
**
**     L_g = p_g^r (1 - p_g)^(1-r),   p_g = p_high if a is the good arm under g, else p_low
**     b  <- b L_0 / (b L_0 + (1 - b) L_1)        (kept if the sum is 0)
**     b  <- b (1 - h) + (1 - b) h
**
** The ideal-observer agent (model/agents/agent_observer.c) acts on it; the
** neural analyses (analysis/neural.c) regress rates on it. They used to keep
** two copies, which differed in three ways, all now arguments or callers'
** choices here: what counts as a reward (the observer: r > 0, the analysis:
** r > 0.5, which differ for imported rewards in (0, 0.5]: win_above), a
** missed trial (the analysis skips the Bayes step and keeps the transition;
** the observer never sees one), and the first belief (the analysis: 1/2;
** the observer: 1/2, or 1 or 0 when task.start fixes the first good arm).
*/
#ifndef METARL_BELIEF_H
#define METARL_BELIEF_H

/* The belief after one trial, from b before it: the Bayes step for
** (action, reward) with reward > win_above counting as a win, skipped when
** the trial was missed (action not 0 or 1, or reward not finite), then the
** transition with hazard h. */
double belief_reversal_step(double b, int action, double reward, double win_above, double p_high,
                            double p_low, double hazard);

#endif
