/* analysis/fit_gru.c: the GRU cell of analysis/fit_gru.h: allocation,
** seeded initialisation, the forward step, live stepping, and one subject's
** NLL with its gradient by backpropagation through the episode. The
** training loop, early stopping and cross-validation are analysis/fit_net.c's.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>

#include "analysis/fit_gru.h"

#define GRU_I 3
#define P_EPS 1e-12

/* The parameter blocks of g (see the header for the layout). */
typedef struct GruParams {
    double *W[3], *U[3], *b[3];   /* z, r, c */
    double *Wo, *bo;
} GruParams;

static void gru_params(double *p, int N, GruParams *q)
{
    for (int k = 0; k < 3; k++) {
        q->W[k] = p;
        q->U[k] = p + (size_t)N * GRU_I;
        q->b[k] = q->U[k] + (size_t)N * N;
        p = q->b[k] + N;
    }
    q->Wo = p;
    q->bo = p + 2 * N;
}

int fit_gru_n_params(int units) { return 3 * units * (GRU_I + units + 1) + 2 * units + 2; }

void fit_gru_free(FitGru *g)
{
    if (!g) return;
    free(g->params);
    free(g->x);
    free(g->h);
    free(g->z);
    free(g->r);
    free(g->c);
    free(g->l);
    free(g->act);
    free(g->work);
    free(g);
}

FitGru *fit_gru_alloc(int units, int max_trials)
{
    if (units < 1 || max_trials < 1) return NULL;
    FitGru *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    size_t N = (size_t)units, T = (size_t)max_trials;
    g->N = units;
    g->T_max = max_trials;
    g->n_params = (size_t)fit_gru_n_params(units);
    g->params = calloc(g->n_params, sizeof(double));
    g->x = calloc((T + 1) * GRU_I, sizeof(double));
    g->h = calloc((T + 1) * N, sizeof(double));
    g->z = calloc(T * N, sizeof(double));
    g->r = calloc(T * N, sizeof(double));
    g->c = calloc(T * N, sizeof(double));
    g->l = calloc(T * 2, sizeof(double));
    g->act = calloc(T, sizeof(int));
    g->work = calloc(6 * N, sizeof(double));
    if (!g->params || !g->x || !g->h || !g->z || !g->r || !g->c || !g->l || !g->act || !g->work) {
        fit_gru_free(g);
        return NULL;
    }
    return g;
}

static void fill_gaussian(double *p, size_t n, double sd, gsl_rng *rng)
{
    for (size_t i = 0; i < n; i++) p[i] = gsl_ran_gaussian(rng, sd);
}

void fit_gru_init(FitGru *g, gsl_rng *rng)
{
    const size_t N = (size_t)g->N;
    GruParams q;
    gru_params(g->params, g->N, &q);
    memset(g->params, 0, g->n_params * sizeof(double));
    for (int k = 0; k < 3; k++) {
        fill_gaussian(q.W[k], N * GRU_I, 1.0 / sqrt((double)GRU_I), rng);
        fill_gaussian(q.U[k], N * N, 1.0 / sqrt((double)N), rng);
    }
    fill_gaussian(q.Wo, 2 * N, 0.1 / sqrt((double)N), rng);
}

static double sig(double z) { return 1.0 / (1.0 + exp(-z)); }

/* a = b + W x + U y for one unit's rows */
static double affine(const double *W, const double *x, const double *U, const double *y, double b, int N)
{
    double a = b;
    for (int k = 0; k < GRU_I; k++) a += W[k] * x[k];
    for (int j = 0; j < N; j++) a += U[j] * y[j];
    return a;
}

/* Step g->t from its input row: gates, h, logits. */
static void gru_step(FitGru *g)
{
    const int N = g->N, t = g->t;
    GruParams q;
    gru_params(g->params, N, &q);
    const double *x = g->x + (size_t)t * GRU_I, *hp = g->h + (size_t)t * N;
    double *hn = g->h + (size_t)(t + 1) * N, *z = g->z + (size_t)t * N, *r = g->r + (size_t)t * N;
    double *c = g->c + (size_t)t * N, *rh = g->work, *l = g->l + (size_t)t * 2;
    for (int i = 0; i < N; i++) {
        z[i] = sig(affine(q.W[0] + i * GRU_I, x, q.U[0] + i * N, hp, q.b[0][i], N));
        r[i] = sig(affine(q.W[1] + i * GRU_I, x, q.U[1] + i * N, hp, q.b[1][i], N));
        rh[i] = r[i] * hp[i];
    }
    for (int i = 0; i < N; i++) {
        c[i] = tanh(affine(q.W[2] + i * GRU_I, x, q.U[2] + i * N, rh, q.b[2][i], N));
        hn[i] = (1.0 - z[i]) * hp[i] + z[i] * c[i];
    }
    for (int a = 0; a < 2; a++) {
        l[a] = q.bo[a];
        for (int i = 0; i < N; i++) l[a] += q.Wo[a * N + i] * hn[i];
    }
}

/* Record step t's choice and reward as the next step's input. */
static void gru_input(FitGru *g, int action, double reward)
{
    g->act[g->t] = action;
    double *x = g->x + (size_t)(g->t + 1) * GRU_I;
    x[0] = action == 0;
    x[1] = action == 1;
    x[2] = reward;
    g->t++;
}

void fit_gru_reset(FitGru *g)
{
    g->t = 0;
    memset(g->x, 0, GRU_I * sizeof(double));
    memset(g->h, 0, (size_t)g->N * sizeof(double));
    gru_step(g);
}

double fit_gru_dlogit(const FitGru *g)
{
    int t = g->t < g->T_max ? g->t : g->T_max - 1;
    return g->l[2 * t + 1] - g->l[2 * t];
}

void fit_gru_record(FitGru *g, int action, double reward)
{
    if (g->t >= g->T_max) return;
    gru_input(g, action, reward);
    if (g->t < g->T_max) gru_step(g);
}

/* grad[rows x cols] += d (rows) outer v (cols) */
static void outer_add(double *G, const double *d, int rows, const double *v, int cols)
{
    for (int i = 0; i < rows; i++)
        for (int k = 0; k < cols; k++) G[i * cols + k] += d[i] * v[k];
}

/* dh (N, in: dNLL/dh_t; out: dNLL/dh_{t-1}) through step t, adding the
** parameter gradients into G (dl: the logits' gradient of step t). */
static void gru_back_step(const FitGru *g, const GruParams *q, GruParams *G, int t, const double *dl, double *dh)
{
    const int N = g->N;
    const double *x = g->x + (size_t)t * GRU_I, *hp = g->h + (size_t)t * N, *hn = g->h + (size_t)(t + 1) * N;
    const double *z = g->z + (size_t)t * N, *r = g->r + (size_t)t * N, *c = g->c + (size_t)t * N;
    double *da[3] = { g->work, g->work + N, g->work + 2 * N }, *rh = g->work + 3 * N, *prev = g->work + 4 * N;
    outer_add(G->Wo, dl, 2, hn, N);
    G->bo[0] += dl[0];
    G->bo[1] += dl[1];
    for (int i = 0; i < N; i++) {
        double d = dh[i] + q->Wo[i] * dl[0] + q->Wo[N + i] * dl[1];
        prev[i] = d * (1.0 - z[i]);
        da[0][i] = d * (c[i] - hp[i]) * z[i] * (1.0 - z[i]);
        da[2][i] = d * z[i] * (1.0 - c[i] * c[i]);
        rh[i] = r[i] * hp[i];
    }
    for (int j = 0; j < N; j++) {   /* through the candidate's r * h */
        double drh = 0.0;
        for (int i = 0; i < N; i++) drh += q->U[2][i * N + j] * da[2][i];
        prev[j] += drh * r[j];
        da[1][j] = drh * hp[j] * r[j] * (1.0 - r[j]);
    }
    for (int k = 0; k < 3; k++) {
        outer_add(G->W[k], da[k], N, x, GRU_I);
        outer_add(G->U[k], da[k], N, k == 2 ? rh : hp, N);
        for (int i = 0; i < N; i++) G->b[k][i] += da[k][i];
    }
    for (int j = 0; j < N; j++) {   /* through the gates' U h */
        double s = prev[j];
        for (int i = 0; i < N; i++) s += q->U[0][i * N + j] * da[0][i] + q->U[1][i * N + j] * da[1][i];
        dh[j] = s;
    }
}

double fit_gru_nll(FitGru *g, const FitSubject *s, double w, double *grad)
{
    double nll = 0.0;
    g->t = 0;
    memset(g->x, 0, GRU_I * sizeof(double));
    memset(g->h, 0, (size_t)g->N * sizeof(double));
    for (int t = 0; t < s->n && g->t < g->T_max; t++) {
        int a = s->a[t];
        if (a < 0) continue;
        gru_step(g);
        const double *l = g->l + (size_t)g->t * 2;
        double m = l[0] > l[1] ? l[0] : l[1], lse = m + log(exp(l[0] - m) + exp(l[1] - m));
        double lp = l[a] - lse;
        nll -= lp < log(P_EPS) ? log(P_EPS) : lp;
        gru_input(g, a, s->r[t]);
    }
    if (!grad || g->t == 0) return nll;
    GruParams q, G;
    gru_params(g->params, g->N, &q);
    gru_params(grad, g->N, &G);
    double *dh = g->work + 5 * g->N;
    memset(dh, 0, (size_t)g->N * sizeof(double));
    for (int t = g->t - 1; t >= 0; t--) {
        const double *l = g->l + (size_t)t * 2;
        double p1 = sig(l[1] - l[0]), dl[2];
        dl[0] = w * ((1.0 - p1) - (g->act[t] == 0));
        dl[1] = w * (p1 - (g->act[t] == 1));
        gru_back_step(g, &q, &G, t, dl, dh);
    }
    return nll;
}
