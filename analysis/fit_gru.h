/* analysis/fit_gru.h: the gated recurrent unit (GRU) cell of the tiny
** networks fitted to choices (models "gru1", 2, 4, 8; analysis/fit_net.h
** trains them exactly as the tanh tiny RNNs, through its cell interface).
** This file is the cell alone: parameters, seeded initialisation, a forward
** step, live stepping and the NLL of one subject's choices with its
** gradient by backpropagation through the episode.
**
** Cell (Cho et al. 2014; the tiny networks of Ji-An, Benna & Mattar 2025),
** N units, input x_t (I = 3: one-hot previous choice, previous reward; trial
** 0 and before any valid trial: zeros, as the tanh RNN's), h_0 = 0:
**   z_t = sigma(W_z x_t + U_z h_{t-1} + b_z)              update gate
**   r_t = sigma(W_r x_t + U_r h_{t-1} + b_r)              reset gate
**   c_t = tanh(W_c x_t + U_c (r_t * h_{t-1}) + b_c)       candidate h~
**   h_t = (1 - z_t) * h_{t-1} + z_t * c_t
**   l_t = W_o h_t + b_o (two logits);  P(choice 1 on trial t) = sigma(l1 - l0)
** Parameters in this order: (W_z, U_z, b_z), (W_r, U_r, b_r), (W_c, U_c, b_c),
** W_o, b_o (matrices row-major, a row per unit or logit): 3N(I + N + 1) +
** 2N + 2. Initialisation, in the same scheme and draw order as model/net.c's
** Gaussian init at gain 1: each W ~ N(0, 1/I), each U ~ N(0, 1/N), W_o ~
** N(0, 0.01/N) (standard deviations 1/sqrt(I), 1/sqrt(N), 0.1/sqrt(N)), biases 0.
** A missed trial (a < 0) is not stepped.
*/
#ifndef METARL_FIT_GRU_H
#define METARL_FIT_GRU_H

#include <stddef.h>
#include <gsl/gsl_rng.h>

#include "analysis/fit.h"

typedef struct FitGru {
    int N, T_max;
    size_t n_params;
    double *params;
    double *x;          /* ((T_max + 1) x 3) inputs of each step */
    double *h;          /* ((T_max + 1) x N): h[0] = 0, row t + 1 after step t */
    double *z, *r, *c;  /* (T_max x N) gates and candidate of each step */
    double *l;          /* (T_max x 2) logits */
    int *act;           /* (T_max) the choice recorded after each step */
    double *work;       /* forward and backward workspace (6 N) */
    int t;              /* the current step */
} FitGru;

/* A GRU of `units` units for episodes of up to max_trials valid trials
** (parameters zero); NULL without memory. */
FitGru *fit_gru_alloc(int units, int max_trials);
void fit_gru_free(FitGru *g);
int fit_gru_n_params(int units);
void fit_gru_init(FitGru *g, gsl_rng *rng);

/* Live stepping: reset (and run trial 0), the current trial's logit
** difference l1 - l0, record the trial's choice and reward (and run the
** next). Past max_trials the last policy stays. */
void fit_gru_reset(FitGru *g);
double fit_gru_dlogit(const FitGru *g);
void fit_gru_record(FitGru *g, int action, double reward);

/* NLL of subject s's valid trials (FIT_BADARG-free: trials past max_trials
** are not scored). With grad not NULL, w times the gradient of the NLL with
** respect to params is added into grad (n_params). */
double fit_gru_nll(FitGru *g, const FitSubject *s, double w, double *grad);

#endif
