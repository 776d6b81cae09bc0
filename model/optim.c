/* model/optim.c: RMSProp, Adam and gradient clipping (see optim.h).
**
** The loops over the parameters run once per update, which at batch 1 is
** once per episode (10-17% of training's time at 256 units); OPTIM_HOT builds
** them for AVX2 as well (picked at run time). Every operation in them
** (+, *, /, sqrt) is correctly rounded in a vector lane as in a scalar, and
** with -ffp-contract=off nothing is fused, so both clones give the same bits. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/optim.h"

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define OPTIM_HOT __attribute__((target_clones("avx2", "default"), optimize("O3")))
#else
#define OPTIM_HOT
#endif

Optim *optim_alloc(const OptimConfig *cfg, size_t n_params)
{
    Optim *o = calloc(1, sizeof *o);
    if (!o) return NULL;
    o->cfg = *cfg;
    o->n_params = n_params;
    o->n_state = OPTIM_HEADER + 2 * n_params;
    o->state = calloc(o->n_state, sizeof(double));
    if (!o->state) {
        free(o);
        return NULL;
    }
    o->m = o->state + OPTIM_HEADER;
    o->v = o->m + n_params;
    optim_reset(o);
    return o;
}

void optim_free(Optim *o)
{
    if (!o) return;
    free(o->state);
    free(o);
}

void optim_reset(Optim *o)
{
    memset(o->state, 0, o->n_state * sizeof(double));
    o->state[1] = 1.0;
    o->state[2] = 1.0;
}

OPTIM_HOT void optim_step(Optim *o, double *params, const double *grad)
{
    const size_t P = o->n_params;
    const double lr = o->cfg.lr, eps = o->cfg.eps;
    double *m = o->m, *v = o->v;
    o->state[0] += 1.0;
    if (o->cfg.kind == OPTIM_ADAM) {
        const double b1 = o->cfg.beta1, b2 = o->cfg.beta2;
        o->state[1] *= b1;
        o->state[2] *= b2;
        const double c1 = 1.0 - o->state[1], c2 = 1.0 - o->state[2];
        for (size_t i = 0; i < P; i++) {
            m[i] = b1 * m[i] + (1.0 - b1) * grad[i];
            v[i] = b2 * v[i] + (1.0 - b2) * grad[i] * grad[i];
            params[i] -= lr * (m[i] / c1) / (sqrt(v[i] / c2) + eps);
        }
    } else {
        const double rho = o->cfg.rho;
        for (size_t i = 0; i < P; i++) {
            v[i] = rho * v[i] + (1.0 - rho) * grad[i] * grad[i];
            params[i] -= lr * grad[i] / (sqrt(v[i]) + eps);
        }
    }
}

/* A value is not finite when its exponent bits are all ones. Integer tests
** OR-ed together vectorize; a branch per value (isfinite and return) does not,
** and that loop over the weights and the optimizer state after every update
** took 3% of training at B 1, N 48. */
OPTIM_HOT int optim_all_finite(const double *x, size_t n)
{
    const uint64_t exp_bits = 0x7ff0000000000000ULL;
    uint64_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t b;
        memcpy(&b, x + i, sizeof b);
        bad |= (b & exp_bits) == exp_bits;
    }
    return bad == 0;
}

OPTIM_HOT double optim_norm(const double *g, size_t n)
{
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += g[i] * g[i];
        s1 += g[i + 1] * g[i + 1];
        s2 += g[i + 2] * g[i + 2];
        s3 += g[i + 3] * g[i + 3];
    }
    for (; i < n; i++) s0 += g[i] * g[i];
    return sqrt((s0 + s1) + (s2 + s3));
}

OPTIM_HOT double optim_clip(double *g, size_t n, double max_norm)
{
    double norm = optim_norm(g, n);
    if (max_norm > 0.0 && norm > max_norm) {
        double s = max_norm / norm;
        for (size_t i = 0; i < n; i++) g[i] *= s;
    }
    return norm;
}
