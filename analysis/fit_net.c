/* analysis/fit_net.c: the network models of analysis/fit_net.h: teacher
** forcing and live stepping of a network, and the tiny RNNs' training with
** early stopping and their nested cross-validation over subjects.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/fit_gru.h"
#include "analysis/fit_net.h"
#include "core/rng.h"
#include "model/optim.h"

#define P_EPS 1e-12

/* What the shared training and cross-validation need of a tiny network's cell. */
typedef struct FitCell {
    void (*reset)(FitNet *f);
    double (*dlogit)(const FitNet *f);
    void (*record)(FitNet *f, int action, double reward);
    double *(*params)(FitNet *f, size_t *n);
    void (*init)(FitNet *f, gsl_rng *rng);
    void (*refresh)(FitNet *f);   /* after params changed */
    /* NLL of subject s; with grad, w times its gradient added into grad */
    double (*nll)(FitNet *f, const FitSubject *s, double w, double *grad);
} FitCell;

static void rate_reset(FitNet *f);
static double rate_dlogit(const FitNet *f);
static void rate_record(FitNet *f, int action, double reward);
static double *rate_params(FitNet *f, size_t *n);
static void rate_init(FitNet *f, gsl_rng *rng);
static void rate_refresh(FitNet *f);
static double rate_nll(FitNet *f, const FitSubject *s, double w, double *grad);
static const FitCell cell_rate = { rate_reset, rate_dlogit, rate_record, rate_params, rate_init, rate_refresh,
                                   rate_nll };

FitNet *fit_net_alloc(const NetConfig *nc, const double *params, char *err, size_t n_err)
{
    if (nc->obs_dim != 0 || nc->n_actions != 2) {
        snprintf(err, n_err, "the network sees %d observation inputs and %d actions: only a two-armed task without "
                             "observations (bandit, reversal) can be teacher-forced on choices", nc->obs_dim,
                 nc->n_actions);
        return NULL;
    }
    NetConfig c = *nc;
    c.noise_sd = 0.0;
    FitNet *f = calloc(1, sizeof *f);
    if (!f) goto oom;
    if (!(f->net = net_alloc(&c, err, n_err))) {
        free(f);
        return NULL;
    }
    if (params) memcpy(f->net->params, params, f->net->d.n_params * sizeof(double));
    net_refresh(f->net);
    f->cell = &cell_rate;
    f->dl = calloc((size_t)c.max_trials * 2, sizeof(double));
    f->dv = calloc((size_t)c.max_trials, sizeof(double));
    if (!(f->lane = net_lane_alloc(f->net)) || !f->dl || !f->dv) goto oom;
    return f;
oom:
    fit_net_free(f);
    snprintf(err, n_err, "out of memory");
    return NULL;
}

void fit_net_free(FitNet *f)
{
    if (!f) return;
    net_free(f->net);
    net_lane_free(f->lane);
    fit_gru_free(f->gru);
    free(f->dl);
    free(f->dv);
    free(f);
}

static double lane_dlogit(const Net *net, const NetLane *L)
{
    const double *lp = L->logp + (size_t)L->t * (size_t)net->d.A;
    return lp[1] - lp[0];
}

int fit_net_cues(FitNet *f, const FitSubject *s, double *cue)
{
    net_lane_reset(f->lane);
    for (int t = 0; t < s->n; t++) {
        if (s->a[t] < 0) {
            cue[t] = NAN;
            continue;
        }
        if (f->lane->t >= f->lane->T_max) return FIT_BADARG;
        net_forward_step(f->net, f->lane, NULL, NULL);
        cue[t] = lane_dlogit(f->net, f->lane);
        net_lane_record(f->lane, s->a[t], s->r[t]);
    }
    return FIT_OK;
}

static void rate_reset(FitNet *f)
{
    net_lane_reset(f->lane);
    net_forward_step(f->net, f->lane, NULL, NULL);
}

static double rate_dlogit(const FitNet *f)
{
    const NetLane *L = f->lane;
    int t = L->t < L->T_max ? L->t : L->T_max - 1;   /* past the lane's end: its last policy */
    const double *lp = L->logp + (size_t)t * (size_t)f->net->d.A;
    return lp[1] - lp[0];
}

static void rate_record(FitNet *f, int action, double reward)
{
    NetLane *L = f->lane;
    if (L->t >= L->T_max) return;
    net_lane_record(L, action, reward);
    if (L->t < L->T_max) net_forward_step(f->net, L, NULL, NULL);
}

void fit_net_reset(FitNet *f) { f->cell->reset(f); }
double fit_net_dlogit(const FitNet *f) { return f->cell->dlogit(f); }
void fit_net_record(FitNet *f, int action, double reward) { f->cell->record(f, action, reward); }

/* ---- tiny RNNs ---------------------------------------------------------------- */


static double *rate_params(FitNet *f, size_t *n)
{
    *n = f->net->d.n_params;
    return f->net->params;
}
static void rate_init(FitNet *f, gsl_rng *rng) { net_init(f->net, rng); }
static void rate_refresh(FitNet *f) { net_refresh(f->net); }

/* The rate network's NLL of subject s (teacher-forced); with grad, the
** cross-entropy gradient of its trials scaled by w through model/net.c's
** backward pass (dV = 0). */
static double rate_nll(FitNet *f, const FitSubject *s, double w, double *grad)
{
    const Net *net = f->net;
    NetLane *L = f->lane;
    double nll = 0.0;
    net_lane_reset(L);
    for (int t = 0; t < s->n; t++) {
        int a = s->a[t];
        if (a < 0) continue;
        net_forward_step(net, L, NULL, NULL);
        const double *lp = L->logp + (size_t)L->t * 2;
        nll -= lp[a] < log(P_EPS) ? log(P_EPS) : lp[a];
        if (grad) {
            double *g = f->dl + (size_t)L->t * 2;
            g[0] = w * (exp(lp[0]) - (a == 0));
            g[1] = w * (exp(lp[1]) - (a == 1));
        }
        net_lane_record(L, a, s->r[t]);
    }
    if (grad && L->t > 0) net_backward(net, L, f->dl, f->dv, grad);
    return nll;
}

static void gru_reset(FitNet *f) { fit_gru_reset(f->gru); }
static double gru_dlogit(const FitNet *f) { return fit_gru_dlogit(f->gru); }
static void gru_record(FitNet *f, int action, double reward) { fit_gru_record(f->gru, action, reward); }
static double *gru_params(FitNet *f, size_t *n)
{
    *n = f->gru->n_params;
    return f->gru->params;
}
static void gru_init(FitNet *f, gsl_rng *rng) { fit_gru_init(f->gru, rng); }
static void gru_refresh(FitNet *f) { (void)f; }
static double gru_nll(FitNet *f, const FitSubject *s, double w, double *grad) { return fit_gru_nll(f->gru, s, w, grad); }

static const FitCell cell_gru = { gru_reset, gru_dlogit, gru_record, gru_params, gru_init, gru_refresh, gru_nll };

static void rnn_config(int units, int max_trials, NetConfig *nc)
{
    memset(nc, 0, sizeof *nc);
    nc->n_hidden = units;
    nc->n_actions = 2;
    nc->max_trials = max_trials;
    nc->activation = NET_TANH;
    nc->alpha = 1.0;
    nc->init = NET_INIT_GAUSSIAN;
    nc->gain = 1.0;
}

/* A tiny network of model m for up to T valid trials, with params (the
** cell's layout) or zeros; NULL without memory. */
static FitNet *rnn_alloc(const FitModel *m, int T, const double *params)
{
    if (m->cell != FIT_CELL_GRU) {
        NetConfig nc;
        char err[256];
        rnn_config(m->units, T, &nc);
        return fit_net_alloc(&nc, params, err, sizeof err);
    }
    FitNet *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->cell = &cell_gru;
    if (!(f->gru = fit_gru_alloc(m->units, T))) {
        free(f);
        return NULL;
    }
    if (params) memcpy(f->gru->params, params, f->gru->n_params * sizeof(double));
    return f;
}

int fit_rnn_n_weights(const FitModel *m)
{
    if (m->cell == FIT_CELL_GRU) return fit_gru_n_params(m->units);
    int I = 2 + 1, N = m->units;
    return N * I + N * N + N + 2 * N + 2;   /* all but the unused critic readout */
}

typedef struct RnnWork {
    FitNet *f;
    Optim *opt;
    double *grad, *best;
} RnnWork;

/* Train W's network on the subjects with role[i] = 1, stopping early on
** those with role[i] = 2. */
static void rnn_train(RnnWork *W, const FitSubject *s, int n, const unsigned char *role, gsl_rng *rng)
{
    FitNet *f = W->f;
    size_t P;
    double *params = f->cell->params(f, &P);
    f->cell->init(f, rng);
    optim_reset(W->opt);
    long n_tr = 0;
    for (int i = 0; i < n; i++)
        if (role[i] == 1)
            for (int t = 0; t < s[i].n; t++) n_tr += s[i].a[t] >= 0;
    double best = INFINITY;
    int since = 0;
    for (int ep = 0; ep < FIT_RNN_MAX_EPOCHS && since < FIT_RNN_PATIENCE; ep++) {
        double val = 0.0;
        for (int i = 0; i < n; i++)
            if (role[i] == 2) val += f->cell->nll(f, &s[i], 0.0, NULL);
        if (val < best - 1e-9) {
            best = val;
            memcpy(W->best, params, P * sizeof(double));
            since = 0;
        } else {
            since++;
        }
        memset(W->grad, 0, P * sizeof(double));
        for (int i = 0; i < n; i++)
            if (role[i] == 1) f->cell->nll(f, &s[i], 1.0 / (double)n_tr, W->grad);
        optim_clip(W->grad, P, 1.0);
        optim_step(W->opt, params, W->grad);
        f->cell->refresh(f);
    }
    memcpy(params, W->best, P * sizeof(double));
    f->cell->refresh(f);
}

/* Roles for training without the subjects of `fold` (fold < 0: none held
** out): 0 held out, 1 train, 2 validation (every 4th of the rest). */
static void rnn_roles(int n, int folds, int fold, unsigned char *role)
{
    int j = 0;
    for (int i = 0; i < n; i++) {
        if (fold >= 0 && i % folds == fold) {
            role[i] = 0;
            continue;
        }
        role[i] = (unsigned char)(j % 4 == 3 ? 2 : 1);
        j++;
    }
}

static void rnn_results(const FitModel *m, const FitSubject *s, int n, FitResult *res)
{
    for (int i = 0; i < n; i++) {
        memset(&res[i], 0, sizeof res[i]);
        res[i].loglik_ref = NAN;
        for (int j = 0; j < FIT_MAX_PARAMS; j++) res[i].x[j] = NAN;
        res[i].n_params = fit_rnn_n_weights(m);
        res[i].converged = 1;
        for (int t = 0; t < s[i].n; t++) res[i].n_trials += s[i].a[t] >= 0;
    }
}

int fit_rnn_cv(const FitModel *m, const FitSubject *s, int n, int folds, unsigned long seed, FitResult *res,
               FitNet **full)
{
    if (full) *full = NULL;
    if (n < 3) return FIT_NODATA;
    if (folds > n) folds = n;
    if (folds < 2) folds = 2;
    int T = 1;
    for (int i = 0; i < n; i++) {
        int v = 0;
        for (int t = 0; t < s[i].n; t++) v += s[i].a[t] >= 0;
        T = v > T ? v : T;
    }
    RnnWork W = { rnn_alloc(m, T, NULL), NULL, NULL, NULL };
    unsigned char *role = malloc((size_t)n);
    gsl_rng *rng = rng_alloc();
    int rc = FIT_NOMEM;
    if (!W.f || !role || !rng) goto done;
    size_t P;
    double *params = W.f->cell->params(W.f, &P);
    OptimConfig oc = { OPTIM_ADAM, FIT_RNN_LR, 0.99, 0.9, 0.999, 1e-8 };
    W.opt = optim_alloc(&oc, P);
    W.grad = malloc(P * sizeof(double));
    W.best = malloc(P * sizeof(double));
    if (!W.opt || !W.grad || !W.best) goto done;
    rnn_results(m, s, n, res);
    for (int k = -1; k < folds; k++) {   /* k = -1: every subject (in-sample) */
        rnn_roles(n, folds, k, role);
        gsl_rng_set(rng, rng_mix64(seed * 0x9E3779B97F4A7C15ull + (uint64_t)(m->units * 1000 + k + 1)));
        rnn_train(&W, s, n, role, rng);
        for (int i = 0; i < n; i++) {
            if (k < 0) res[i].loglik = -W.f->cell->nll(W.f, &s[i], 0.0, NULL);
            else if (role[i] == 0) res[i].heldout_loglik = -W.f->cell->nll(W.f, &s[i], 0.0, NULL);
        }
        if (k < 0 && full && !(*full = rnn_alloc(m, T, params))) goto done;
    }
    rc = FIT_OK;
done:
    fit_net_free(W.f);
    optim_free(W.opt);
    free(W.grad);
    free(W.best);
    free(role);
    if (rng) gsl_rng_free(rng);
    if (rc != FIT_OK && full && *full) fit_net_free(*full), *full = NULL;
    return rc;
}
