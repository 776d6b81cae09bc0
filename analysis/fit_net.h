/* analysis/fit_net.h: recurrent networks as models of a subject's choices
** (analysis/fit.h): the frozen meta-RL network teacher-forced on the
** subject's own choices and rewards (model "network"), and tiny recurrent
** networks of the project's rate units or of GRUs (analysis/fit_gru.h)
** trained by maximum likelihood on other subjects' choices (models
** "tinyrnn1", 2, 4, 8 and "gru1", 2, 4, 8). jobs/fit_job.c
** loads the trained network from a store and calls these.
**
** Teacher forcing: the network (model/net.h) is stepped once per valid trial
** with its usual inputs (no observation: the task must have obs_dim 0; the
** previous action and reward are the subject's recorded ones; trial 0's
** input is the test's: no previous action, reward 0); cue[t] = l1 - l0, its
** policy's logit difference before trial t. A missed trial (a < 0) is not
** stepped (cue NaN). The network's noise is off (its mean-field policy); with
** noise 0 at test, the likelihood at temperature 1 and lapse 0 is the product
** of the policy probabilities the test stored (the self-consistency check of
** tests/test_fit.c). The model "network": P(1) = (1 - lapse) sigma((l1 - l0)
** / temperature) + lapse / 2.
**
** Tiny RNNs: N (1-8) tanh units, alpha 1 (a vanilla RNN), no striatum, the
** same inputs; trained with Adam on the mean cross-entropy of the training
** subjects' choices (full batch: every training subject each epoch; the
** backward pass of model/net.c with dV = 0), from a seeded Gaussian
** initialisation, stopping when the validation subjects' NLL has not improved
** for FIT_RNN_PATIENCE epochs (the best epoch's weights are kept). Nested
** cross-validation over subjects (fit_rnn_cv): subjects are dealt into K
** outer folds (subject i in fold i mod K); for each, the others are split
** into training and validation (every 4th of them validates), the network
** trained, and the held-out fold scored: heldout_loglik. loglik: a network
** trained on all subjects the same way (in-sample). P(1) = sigma(l1 - l0).
** The GRUs are trained identically (the same optimiser, clipping, early
** stopping, folds and seeds), with the GRU's own forward and backward pass
** behind the cell interface.
*/
#ifndef METARL_FIT_NET_H
#define METARL_FIT_NET_H

#include <stddef.h>

#include "analysis/fit.h"
#include "model/net.h"

#define FIT_RNN_MAX_EPOCHS 3000
#define FIT_RNN_PATIENCE 200
#define FIT_RNN_LR 0.05

struct FitCell;
struct FitGru;

/* A network model's network: the rate network (model/net.h; the frozen
** meta-RL network and the tanh tiny RNNs) or a GRU (analysis/fit_gru.h),
** behind one cell interface (analysis/fit_net.c) for stepping and training. */
typedef struct FitNet {
    const struct FitCell *cell;
    Net *net;                   /* rate cell */
    NetLane *lane;
    double *dl, *dv;            /* rate cell: the backward pass's inputs (T_max x 2, T_max) */
    struct FitGru *gru;         /* GRU cell */
} FitNet;

/* A network of shape nc (noise set to 0) with params (nc's layout). NULL with
** a message in err on a bad shape (obs_dim > 0, not two actions) or no memory. */
FitNet *fit_net_alloc(const NetConfig *nc, const double *params, char *err, size_t n_err);
void fit_net_free(FitNet *f);

/* Teacher-forced cues of subject s into cue (s->n), of a rate network (the
** frozen meta-RL network). FIT_BADARG if s has more valid trials than the
** network's max_trials. */
int fit_net_cues(FitNet *f, const FitSubject *s, double *cue);

/* Live stepping for simulation: reset (and run trial 0), the current
** trial's logit difference, record the trial (and run the next). */
void fit_net_reset(FitNet *f);
double fit_net_dlogit(const FitNet *f);
void fit_net_record(FitNet *f, int action, double reward);

/* Nested cross-validation of the tiny network of model m (m->units units of
** cell m->cell) over subjects
** s[0..n-1] with K = folds outer folds (>= 2; fewer subjects than folds:
** leave-one-out). res[i] per subject (n_params = the trained weights). If
** full is not NULL, *full is the network trained on all subjects (for
** simulation; free with fit_net_free). FIT_NODATA with < 3 subjects. */
int fit_rnn_cv(const FitModel *m, const FitSubject *s, int n, int folds, unsigned long seed, FitResult *res,
               FitNet **full);

/* The tiny network's free weights (rate cell: all but the unused critic readout). */
int fit_rnn_n_weights(const FitModel *m);

#endif
