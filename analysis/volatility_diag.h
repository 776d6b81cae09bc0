/* analysis/volatility_diag.h: behavioural and neural diagnostics of the
** volatility task (tasks/volatility.c): does an agent tell stable stretches
** from volatile ones, how fast, and does it act on it?
**
** Behaviour, per stretch kind (stable, volatile; from the instance JSON as
** in analysis/volatility_fit.h, unknown trials left out):
**   - P(switch | loss) and P(switch | win): trial t counts when t and t - 1
**     are both valid and t is in a known stretch; a switch is a_t != a_{t-1};
**   - accuracy (a_t = truth.best) overall, and by trials since the last
**     reversal (truth.since_reversal 0 .. VOLDIAG_SR - 1, the last bin
**     pooling everything beyond);
**   - P(switch | loss) by position in the stretch (bins of VOLDIAG_BIN
**     trials from its first trial), for the episode's first stretch and for
**     the later ones apart (the first carries no memory of a previous one).
** A stretch is a run of trials of one kind: the task alternates kinds, so a
** change of kind starts a new stretch.
**
** Neural (voldiag_decode): a logistic regression of the stretch kind
** (1 = volatile) on the prefrontal rates of each trial (EpisodeRecord
** activity, first n_pfc units, plus an intercept; ridge lambda), fitted on
** the even-numbered episodes and scored on the odd ones: held-out accuracy
** (P(volatile) > 0.5 against the truth) overall and by position bin in the
** stretch, per kind. Used on stored test runs to tell whether a network
** that does not change its learning rate fails to infer the context or
** infers it and does not act on it.
*/
#ifndef METARL_VOLATILITY_DIAG_H
#define METARL_VOLATILITY_DIAG_H

#include "analysis/regress.h"
#include "core/episode.h"

#define VOLDIAG_SR 16     /* since-reversal bins: 0 .. 14 and 15+ */
#define VOLDIAG_BIN 20    /* trials per position bin */
#define VOLDIAG_NBIN 12   /* position bins: 0-19, ..., 220+ */

typedef struct VolDiagKind {
    long n_loss, n_switch_loss, n_win, n_switch_win, n_acc, n_best;
    double p_switch_loss, p_switch_win, accuracy;        /* NaN where n is 0 */
    long n_since[VOLDIAG_SR];
    double acc_since[VOLDIAG_SR];                        /* accuracy by trials since a reversal */
    long n_pos_loss[2][VOLDIAG_NBIN];                    /* [first stretch, later ones][bin] */
    double psl_pos[2][VOLDIAG_NBIN];                     /* P(switch | loss) by position */
} VolDiagKind;

typedef struct VolDiag {
    VolDiagKind kind[2];                                 /* VOLFIT_STABLE, VOLFIT_VOLATILE */
    int n_episodes;                                      /* with a known stretch */
} VolDiag;

/* Behavioural diagnostics of the run. Return ANALYSIS_OK, ANALYSIS_NODATA
** (no trial in a known stretch) or ANALYSIS_NOMEM. */
int voldiag_behaviour(EpisodeRecord *const *eps, int n_eps, VolDiag *out);

typedef struct VolDecode {
    int n_units;                                         /* rates used (prefrontal) */
    long n_train, n_test;                                /* trials */
    double accuracy;                                     /* held out */
    long n_pos[2][VOLDIAG_NBIN];                         /* [kind][bin] held-out trials */
    double acc_pos[2][VOLDIAG_NBIN];                     /* held-out accuracy by kind and position */
    int converged;
} VolDecode;

/* Decode the stretch kind from the prefrontal rates (see above). Return
** ANALYSIS_OK, ANALYSIS_NODATA (no activity, more than REGRESS_MAX_P - 1
** units, or no trials of one kind in either half) or ANALYSIS_NOMEM. */
int voldiag_decode(EpisodeRecord *const *eps, int n_eps, double lambda, VolDecode *out);

#endif
