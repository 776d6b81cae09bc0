/* analysis/fit_ppc.h: posterior predictive checks of fitted models
** (analysis/fit.h): every model, with each subject's own fitted parameters,
** is simulated `reps` times on that subject's own task schedule (the reward
** probabilities of the two arms on each trial, from the episode's task
** truth; rewards drawn from them, 1 or 0), and the simulations' p(stay|win),
** p(stay|loss) and reversal curve (P(choosing the new best arm) at lags
** FIT_PPC_LAG_MIN..FIT_PPC_LAG_MAX from each reversal of the best arm) are
** set beside the subjects'. Per subject, the simulations' counts are pooled
** over the reps; group values are the mean over subjects with its standard
** error (each subject's value is kept for the figure's points). A win is a
** reward > 0.5. The network models are stepped live (FitTask.net); a tiny
** RNN uses its network trained on all subjects. Used by jobs/fit_job.c
** (`metarl fit --ppc N`) and drawn by analysis/figures_fit.c (kind ppc).
*/
#ifndef METARL_FIT_PPC_H
#define METARL_FIT_PPC_H

#include <stdio.h>

#include "analysis/fit.h"

#define FIT_PPC_LAG_MIN (-4)
#define FIT_PPC_LAG_MAX 10
#define FIT_PPC_N_LAGS (FIT_PPC_LAG_MAX - FIT_PPC_LAG_MIN + 1)

/* A subject's schedule: reward probability of arm 0 and arm 1 on each trial. */
typedef struct FitSchedule {
    const double *p0, *p1;
} FitSchedule;

typedef struct FitPpcRow {
    char name[32];          /* "people" (row 0) or a model */
    int n_subjects;
    double stay_win, stay_win_se, stay_loss, stay_loss_se;
    double rev[FIT_PPC_N_LAGS], rev_se[FIT_PPC_N_LAGS];
} FitPpcRow;

typedef struct FitPpc {
    int n_rows, n_subjects, reps;
    FitPpcRow rows[FIT_MAX_MODELS + 1];
    double *sw, *sl;        /* (n_rows x n_subjects) each subject's p(stay|win), p(stay|loss); NaN: none */
    double *rev;            /* (n_rows x n_subjects x FIT_PPC_N_LAGS) */
} FitPpc;

struct FitNet;

/* What the figures fitcompare and ppc draw (analysis/figures_fit.c), handed
** over in PlotRun.fit by `metarl fit --figures`. */
typedef struct FitFigure {
    const FitModel *const *models;
    int n_models, n_subjects;
    const FitResult *res;           /* res[m * n_subjects + q] */
    const FitCompareRow *rows;
    int best;
    const FitPpc *ppc;              /* NULL: no simulations */
} FitFigure;

/* res[m * n_subjects + q] as in fit_compare; nets[m] the network of a network
** model (else NULL). Return FIT_OK, FIT_NOMEM or FIT_BADARG (reps < 1). */
int fit_ppc(const FitModel *const *models, int n_models, const FitResult *res, struct FitNet *const *nets,
            const FitSubject *s, const FitSchedule *sched, int n_subjects, int reps, unsigned long seed, FitPpc *out);
void fit_ppc_free(FitPpc *p);
/* Two tables: the stay probabilities, then the reversal curve by lag. */
void fit_ppc_print(const FitPpc *p, FILE *f);

#endif
