/* model/optim.h: first-order optimizers over a flat parameter block.
**
** Two methods, both as in common use:
**   RMSProp (Tieleman & Hinton 2012; the form of PyTorch and of A2C in
**   Stable-Baselines3, which also picks eps = 1e-5):
**       v <- rho v + (1 - rho) g^2
**       theta <- theta - lr g / (sqrt(v) + eps)            v starts at 0
**   Adam (Kingma & Ba 2015, Algorithm 1):
**       m <- b1 m + (1 - b1) g,   v <- b2 v + (1 - b2) g^2,   k <- k + 1
**       theta <- theta - lr (m / (1 - b1^k)) / (sqrt(v / (1 - b2^k)) + eps)
**   b1^k and b2^k are kept as running products in the state (exact repeated
**   multiplication; no pow()).
**
** The whole optimizer state is ONE block of doubles, saved and restored
** as-is for checkpoints:
**   [0] k (updates taken), [1] b1^k, [2] b2^k, then m (P), then v (P).
** RMSProp leaves m at zero (one layout for both keeps checkpoints simple).
**
** Gradient clipping is by global norm (Pascanu et al. 2013):
**   g <- g * min(1, c / ||g||)   (c = 0: off).
*/
#ifndef METARL_OPTIM_H
#define METARL_OPTIM_H

#include <stddef.h>

typedef enum { OPTIM_RMSPROP = 0, OPTIM_ADAM = 1 } OptimKind;

typedef struct OptimConfig {
    OptimKind kind;
    double lr;       /* step size > 0 */
    double rho;      /* RMSProp decay of the squared-gradient average */
    double beta1;    /* Adam */
    double beta2;    /* Adam */
    double eps;      /* added to the root in the denominator */
} OptimConfig;

#define OPTIM_HEADER 3   /* k, b1^k, b2^k */

typedef struct Optim {
    OptimConfig cfg;
    size_t n_params;  /* P */
    size_t n_state;   /* OPTIM_HEADER + 2 P */
    double *state;    /* (n_state) owned */
    double *m;        /* (P) view */
    double *v;        /* (P) view */
} Optim;

/* Allocate an optimizer for P parameters with a fresh state (k = 0). NULL
** if out of memory. Free with optim_free(). */
Optim *optim_alloc(const OptimConfig *cfg, size_t n_params);
void optim_free(Optim *o);
/* Back to the fresh state. */
void optim_reset(Optim *o);

/* One update of params (P) with grad (P). */
void optim_step(Optim *o, double *params, const double *grad);

/* Euclidean norm of g (n), summed in a fixed order (four partial sums). */
double optim_norm(const double *g, size_t n);

/* 1 if every x[i] is finite (no inf, no NaN), else 0. */
int optim_all_finite(const double *x, size_t n);

/* Scale g so its norm is at most max_norm (0 = no clipping). Return the
** norm before clipping. */
double optim_clip(double *g, size_t n, double max_norm);

#endif
