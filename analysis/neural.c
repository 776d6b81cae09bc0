/* analysis/neural.c: PCA, cross-validated decoding, ideal-observer belief,
** unit selectivity and RPE signatures (see neural.h for the definitions).
**
** Shape legend: p = prefrontal units (n_pfc), N = neural rows (trials with
** activity, pooled over episodes), K = folds, E = episodes with activity.
**
** Decoding works on per-fold sufficient statistics (n, sum x, sum y, sum xx',
** sum xy, sum y^2): a ridge fit on any union of folds and its squared error
** on any other fold follow from them exactly, so the nested CV for lambda
** and the shuffled nulls cost O(K^2 p^3) after one O(N p^2) pass:
**   C = Sxx/n - mx mx',  c = Sxy/n - mx my,  b = (C + lambda I)^{-1} c,  a = my - b'mx,
**   SSE_g = syy - 2a sy - 2b'sxy + n a^2 + 2a b'sx + b'Sxx b      (fold g's sums).
** C is eigen-decomposed once per training set, so every lambda on the grid
** costs only O(p^2).
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <gsl/gsl_vector.h>

#include "analysis/neural.h"
#include "core/belief.h"
#include "core/rng.h"

const double neural_lambdas[NEURAL_N_LAMBDAS] = { 1e-4, 1e-3, 1e-2, 1e-1, 1.0, 1e1, 1e2, 1e3, 1e4 };

static int has_activity(const EpisodeRecord *e) { return e->activity && e->n_units > 0 && e->n_pfc > 0; }

static int valid(const TrialRecord *tr) { return tr->action >= 0 && tr->action < 2 && isfinite(tr->reward); }

static double rate(const EpisodeRecord *e, int t, int u) { return (double)e->activity[(size_t)t * e->n_units + u]; }

int neural_n_units(EpisodeRecord *const *eps, int n_eps)
{
    int p = 0;
    for (int i = 0; i < n_eps; i++) {
        if (!has_activity(eps[i])) continue;
        if (p == 0) p = eps[i]->n_pfc;
        else if (p != eps[i]->n_pfc) return -1;
    }
    return p;
}

long neural_n_rows(EpisodeRecord *const *eps, int n_eps)
{
    long n = 0;
    for (int i = 0; i < n_eps; i++)
        if (has_activity(eps[i])) n += eps[i]->n_trials;
    return n;
}

/* ---- PCA ------------------------------------------------------------------ */

NeuralPca *neural_pca_alloc(int n_units, long n_rows, int k)
{
    if (n_units < 1 || n_rows < 1 || k < 0 || k > n_units) return NULL;
    NeuralPca *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    size_t p = (size_t)n_units, N = (size_t)n_rows;
    a->n_units = n_units;
    a->n_rows = n_rows;
    a->k = k;
    a->mean = malloc(p * sizeof(double));
    a->eigenvalues = malloc(p * sizeof(double));
    a->explained = malloc(p * sizeof(double));
    a->loadings = malloc(p * p * sizeof(double));
    a->scores = malloc((N * (size_t)k + 1) * sizeof(double));
    a->episode = malloc(N * sizeof(int));
    a->t = malloc(N * sizeof(int));
    if (!a->mean || !a->eigenvalues || !a->explained || !a->loadings || !a->scores || !a->episode || !a->t) {
        neural_pca_free(a);
        return NULL;
    }
    return a;
}

void neural_pca_free(NeuralPca *a)
{
    if (!a) return;
    free(a->mean);
    free(a->eigenvalues);
    free(a->explained);
    free(a->loadings);
    free(a->scores);
    free(a->episode);
    free(a->t);
    free(a);
}

/* Per-unit mean and covariance of the rows with t >= skip (into a->mean and
** cov, lower triangle mirrored); a->episode and a->t of every row. */
static void pca_moments(EpisodeRecord *const *eps, int n_eps, int skip, NeuralPca *a, gsl_matrix *cov, double *x)
{
    int p = a->n_units;
    for (int j = 0; j < p; j++) a->mean[j] = 0.0;
    long row = 0, n_fit = 0;
    for (int i = 0; i < n_eps; i++) {
        const EpisodeRecord *e = eps[i];
        if (!has_activity(e)) continue;
        for (int t = 0; t < e->n_trials; t++, row++) {
            a->episode[row] = i;
            a->t[row] = t;
            if (t < skip) continue;
            n_fit++;
            for (int j = 0; j < p; j++) a->mean[j] += rate(e, t, j);
        }
    }
    a->n_fit = n_fit;
    double N = (double)n_fit;
    for (int j = 0; j < p; j++) a->mean[j] /= N;
    for (long r = 0; r < a->n_rows; r++) {
        if (a->t[r] < skip) continue;
        const EpisodeRecord *e = eps[a->episode[r]];
        for (int j = 0; j < p; j++) x[j] = rate(e, a->t[r], j) - a->mean[j];
        for (int j = 0; j < p; j++) {
            double *c = gsl_matrix_ptr(cov, (size_t)j, 0);
            for (int k = 0; k <= j; k++) c[k] += x[j] * x[k];
        }
    }
    for (int j = 0; j < p; j++)
        for (int k = 0; k <= j; k++) {
            double v = gsl_matrix_get(cov, (size_t)j, (size_t)k) / (N - 1.0);
            gsl_matrix_set(cov, (size_t)j, (size_t)k, v);
            gsl_matrix_set(cov, (size_t)k, (size_t)j, v);
        }
}

static long fitted_rows(EpisodeRecord *const *eps, int n_eps, int skip)
{
    long n = 0;
    for (int i = 0; i < n_eps; i++)
        if (has_activity(eps[i]) && eps[i]->n_trials > skip) n += eps[i]->n_trials - skip;
    return n;
}

int neural_pca(EpisodeRecord *const *eps, int n_eps, NeuralPca *a) { return neural_pca_fit(eps, n_eps, 0, a); }

int neural_pca_fit(EpisodeRecord *const *eps, int n_eps, int skip, NeuralPca *a)
{
    int p = a->n_units;
    if (skip < 0) skip = 0;
    if (neural_n_units(eps, n_eps) != p || neural_n_rows(eps, n_eps) != a->n_rows || fitted_rows(eps, n_eps, skip) < 2)
        return ANALYSIS_NODATA;
    gsl_matrix *cov = gsl_matrix_calloc((size_t)p, (size_t)p);
    gsl_matrix *vec = gsl_matrix_alloc((size_t)p, (size_t)p);
    gsl_vector *val = gsl_vector_alloc((size_t)p);
    gsl_eigen_symmv_workspace *w = gsl_eigen_symmv_alloc((size_t)p);
    double *x = malloc((size_t)p * sizeof *x);
    int rc = ANALYSIS_NOMEM;
    if (!cov || !vec || !val || !w || !x) goto done;

    a->skip = skip;
    pca_moments(eps, n_eps, skip, a, cov, x);
    gsl_eigen_symmv(cov, val, vec, w);
    gsl_eigen_symmv_sort(val, vec, GSL_EIGEN_SORT_VAL_DESC);
    double total = 0.0;
    for (int c = 0; c < p; c++) {
        double ev = gsl_vector_get(val, (size_t)c);
        a->eigenvalues[c] = ev > 0.0 ? ev : 0.0;
        total += a->eigenvalues[c];
        /* sign: the largest loading positive, so reruns and plots agree */
        int jmax = 0;
        for (int j = 1; j < p; j++)
            if (fabs(gsl_matrix_get(vec, (size_t)j, (size_t)c)) > fabs(gsl_matrix_get(vec, (size_t)jmax, (size_t)c)))
                jmax = j;
        double sg = gsl_matrix_get(vec, (size_t)jmax, (size_t)c) < 0.0 ? -1.0 : 1.0;
        for (int j = 0; j < p; j++) a->loadings[(size_t)c * p + j] = sg * gsl_matrix_get(vec, (size_t)j, (size_t)c);
    }
    for (int c = 0; c < p; c++) a->explained[c] = total > 0.0 ? a->eigenvalues[c] / total : NAN;
    for (long r = 0; r < a->n_rows; r++) {
        const EpisodeRecord *e = eps[a->episode[r]];
        for (int j = 0; j < p; j++) x[j] = rate(e, a->t[r], j) - a->mean[j];
        for (int c = 0; c < a->k; c++) {
            const double *l = a->loadings + (size_t)c * p;
            double s = 0.0;
            for (int j = 0; j < p; j++) s += l[j] * x[j];
            a->scores[(size_t)r * a->k + c] = s;
        }
    }
    rc = ANALYSIS_OK;
done:
    gsl_matrix_free(cov);
    gsl_matrix_free(vec);
    gsl_vector_free(val);
    if (w) gsl_eigen_symmv_free(w);
    free(x);
    return rc;
}

/* ---- targets ----------------------------------------------------------------- */

void neural_reversal_belief(const EpisodeRecord *e, double p_high, double p_low, double hazard, double *belief)
{
    /* from 1/2 whatever the task's start; a reward above 1/2 is a win; a
    ** missed trial keeps only the transition (core/belief.h) */
    double b = 0.5;
    for (int t = 0; t < e->n_trials; t++) {
        const TrialRecord *tr = &e->trials[t];
        belief[t] = b;
        b = belief_reversal_step(b, tr->action, tr->reward, 0.5, p_high, p_low, hazard);
    }
}

long neural_target(EpisodeRecord *const *eps, int n_eps, NeuralTarget which, double p_high, double p_low,
                   double hazard, double *out)
{
    long row = 0, finite = 0;
    for (int i = 0; i < n_eps; i++) {
        const EpisodeRecord *e = eps[i];
        if (!has_activity(e)) continue;
        double *y = out + row;
        if (which == NEURAL_TARGET_BELIEF) {
            if (isfinite(p_high) && isfinite(p_low) && isfinite(hazard)) neural_reversal_belief(e, p_high, p_low, hazard, y);
            else
                for (int t = 0; t < e->n_trials; t++) y[t] = NAN;
        } else {
            for (int t = 0; t < e->n_trials; t++) {
                const TaskTruth *h = &e->trials[t].truth;
                switch (which) {
                case NEURAL_TARGET_P0: y[t] = h->p[0]; break;
                case NEURAL_TARGET_P1: y[t] = h->p[1]; break;
                case NEURAL_TARGET_BEST: y[t] = h->best >= 0 ? (double)h->best : NAN; break;
                case NEURAL_TARGET_PARITY: y[t] = h->block >= 0 ? (double)(h->block % 2) : NAN; break;
                default: y[t] = NAN;
                }
            }
        }
        for (int t = 0; t < e->n_trials; t++) finite += isfinite(y[t]) != 0;
        row += e->n_trials;
    }
    return finite;
}

/* ---- decoding ----------------------------------------------------------------- */

void neural_decode_config_default(NeuralDecodeConfig *c)
{
    c->n_folds = 5;
    c->lambda = 0.0;
    c->n_shuffles = 20;
    c->seed = 1;
}

/* Sufficient statistics of one fold. */
typedef struct FoldStats {
    double n, sy, syy;
    double *sx;     /* (p) */
    double *sxy;    /* (p) */
    double *sxx;    /* (p, p) */
} FoldStats;

typedef struct Decoder {
    int p, K, E;
    EpisodeRecord *const *eps;
    int *ep;                  /* (E) index into eps of each activity episode */
    long *row0;               /* (E) first neural row of each */
    int *len;                 /* (E) trials */
    int *fold;                /* (E) fold of each */
    double *mu, *sd;          /* (p) z-scoring */
    FoldStats *fs;            /* (K) */
    unsigned char *mask, *mask_prev;   /* (N) finite target per row */
    int have_sxx;
    double *y;                /* (N) target in use */
    /* scratch for a training set */
    double *C, *c, *mx, *b, *lam, *V, *Vc;
    gsl_matrix *m, *vec;
    gsl_vector *val;
    gsl_eigen_symmv_workspace *w;
    double *x;                /* (p) */
    long N;
} Decoder;

static void decoder_free(Decoder *d)
{
    if (d->fs)
        for (int k = 0; k < d->K; k++) {
            free(d->fs[k].sx);
            free(d->fs[k].sxy);
            free(d->fs[k].sxx);
        }
    free(d->fs);
    free(d->ep);
    free(d->row0);
    free(d->len);
    free(d->fold);
    free(d->mu);
    free(d->sd);
    free(d->mask);
    free(d->mask_prev);
    free(d->y);
    free(d->C);
    free(d->c);
    free(d->mx);
    free(d->b);
    free(d->lam);
    free(d->V);
    free(d->Vc);
    free(d->x);
    gsl_matrix_free(d->m);
    gsl_matrix_free(d->vec);
    gsl_vector_free(d->val);
    if (d->w) gsl_eigen_symmv_free(d->w);
}

static int decoder_init(Decoder *d, EpisodeRecord *const *eps, int n_eps, int K)
{
    memset(d, 0, sizeof *d);
    d->eps = eps;
    d->K = K;
    d->p = neural_n_units(eps, n_eps);
    d->N = neural_n_rows(eps, n_eps);
    for (int i = 0; i < n_eps; i++) d->E += has_activity(eps[i]);
    size_t p = (size_t)(d->p > 0 ? d->p : 1), E = (size_t)d->E + 1, N = (size_t)d->N + 1;
    d->ep = malloc(E * sizeof *d->ep);
    d->row0 = malloc(E * sizeof *d->row0);
    d->len = malloc(E * sizeof *d->len);
    d->fold = malloc(E * sizeof *d->fold);
    d->mu = calloc(p, sizeof *d->mu);
    d->sd = calloc(p, sizeof *d->sd);
    d->fs = calloc((size_t)K, sizeof *d->fs);
    d->mask = malloc(N);
    d->mask_prev = malloc(N);
    d->y = malloc(N * sizeof *d->y);
    d->C = malloc(p * p * sizeof *d->C);
    d->c = malloc(p * sizeof *d->c);
    d->mx = malloc(p * sizeof *d->mx);
    d->b = malloc(p * sizeof *d->b);
    d->lam = malloc(p * sizeof *d->lam);
    d->V = malloc(p * p * sizeof *d->V);
    d->Vc = malloc(p * sizeof *d->Vc);
    d->x = malloc(p * sizeof *d->x);
    d->m = gsl_matrix_alloc(p, p);
    d->vec = gsl_matrix_alloc(p, p);
    d->val = gsl_vector_alloc(p);
    d->w = gsl_eigen_symmv_alloc(p);
    if (!d->ep || !d->row0 || !d->len || !d->fold || !d->mu || !d->sd || !d->fs || !d->mask || !d->mask_prev ||
        !d->y || !d->C || !d->c || !d->mx || !d->b || !d->lam || !d->V || !d->Vc || !d->x || !d->m || !d->vec ||
        !d->val || !d->w)
        return ANALYSIS_NOMEM;
    for (int k = 0; k < K; k++) {
        d->fs[k].sx = malloc(p * sizeof(double));
        d->fs[k].sxy = malloc(p * sizeof(double));
        d->fs[k].sxx = malloc(p * p * sizeof(double));
        if (!d->fs[k].sx || !d->fs[k].sxy || !d->fs[k].sxx) return ANALYSIS_NOMEM;
    }
    long row = 0;
    int k = 0;
    for (int i = 0; i < n_eps; i++) {
        if (!has_activity(eps[i])) continue;
        d->ep[k] = i;
        d->row0[k] = row;
        d->len[k] = eps[i]->n_trials;
        row += eps[i]->n_trials;
        k++;
    }
    /* z-scoring over every neural row (no target involved, so no leakage) */
    int P = d->p;
    for (int e = 0; e < d->E; e++)
        for (int t = 0; t < d->len[e]; t++)
            for (int j = 0; j < P; j++) d->mu[j] += rate(eps[d->ep[e]], t, j);
    for (int j = 0; j < P; j++) d->mu[j] /= (double)d->N;
    for (int e = 0; e < d->E; e++)
        for (int t = 0; t < d->len[e]; t++)
            for (int j = 0; j < P; j++) {
                double v = rate(eps[d->ep[e]], t, j) - d->mu[j];
                d->sd[j] += v * v;
            }
    for (int j = 0; j < P; j++) d->sd[j] = d->N > 1 ? sqrt(d->sd[j] / (double)(d->N - 1)) : 0.0;
    return ANALYSIS_OK;
}

/* The z-scored rates of row (e, t) into d->x (a constant unit gives 0). */
static void decoder_x(Decoder *d, int e, int t)
{
    const EpisodeRecord *ep = d->eps[d->ep[e]];
    for (int j = 0; j < d->p; j++) d->x[j] = d->sd[j] > 0.0 ? (rate(ep, t, j) - d->mu[j]) / d->sd[j] : 0.0;
}

/* Per-fold statistics of d->y; Sxx only when the row mask changed. */
static void decoder_stats(Decoder *d)
{
    int P = d->p;
    for (long r = 0; r < d->N; r++) d->mask[r] = isfinite(d->y[r]) != 0;
    int same = d->have_sxx && !memcmp(d->mask, d->mask_prev, (size_t)d->N);
    for (int k = 0; k < d->K; k++) {
        FoldStats *f = &d->fs[k];
        f->n = f->sy = f->syy = 0.0;
        memset(f->sx, 0, (size_t)P * sizeof(double));
        memset(f->sxy, 0, (size_t)P * sizeof(double));
        if (!same) memset(f->sxx, 0, (size_t)P * (size_t)P * sizeof(double));
    }
    for (int e = 0; e < d->E; e++) {
        FoldStats *f = &d->fs[d->fold[e]];
        for (int t = 0; t < d->len[e]; t++) {
            long r = d->row0[e] + t;
            if (!d->mask[r]) continue;
            double y = d->y[r];
            decoder_x(d, e, t);
            f->n += 1.0;
            f->sy += y;
            f->syy += y * y;
            for (int j = 0; j < P; j++) {
                f->sx[j] += d->x[j];
                f->sxy[j] += d->x[j] * y;
            }
            if (!same)
                for (int j = 0; j < P; j++) {
                    double *s = f->sxx + (size_t)j * P;
                    for (int k = 0; k <= j; k++) s[k] += d->x[j] * d->x[k];
                }
        }
    }
    if (!same) {
        for (int k = 0; k < d->K; k++)
            for (int j = 0; j < P; j++)
                for (int i = 0; i < j; i++) d->fs[k].sxx[(size_t)i * P + j] = d->fs[k].sxx[(size_t)j * P + i];
        memcpy(d->mask_prev, d->mask, (size_t)d->N);
        d->have_sxx = 1;
    }
}

/* Prepare the training set = all folds except ex1 and ex2 (-1 = none):
** eigen-decompose C. Sets *n_tr, *my; returns 0 if the set is empty. */
static int decoder_train(Decoder *d, int ex1, int ex2, double *my)
{
    int P = d->p;
    double n = 0.0, sy = 0.0;
    memset(d->mx, 0, (size_t)P * sizeof(double));
    memset(d->c, 0, (size_t)P * sizeof(double));
    memset(d->C, 0, (size_t)P * (size_t)P * sizeof(double));
    for (int k = 0; k < d->K; k++) {
        if (k == ex1 || k == ex2) continue;
        const FoldStats *f = &d->fs[k];
        n += f->n;
        sy += f->sy;
        for (int j = 0; j < P; j++) {
            d->mx[j] += f->sx[j];
            d->c[j] += f->sxy[j];
        }
        for (size_t q = 0; q < (size_t)P * P; q++) d->C[q] += f->sxx[q];
    }
    if (n < 2.0) return 0;
    *my = sy / n;
    for (int j = 0; j < P; j++) d->mx[j] /= n;
    for (int j = 0; j < P; j++) {
        d->c[j] = d->c[j] / n - d->mx[j] * *my;
        for (int k = 0; k < P; k++)
            gsl_matrix_set(d->m, (size_t)j, (size_t)k, d->C[(size_t)j * P + k] / n - d->mx[j] * d->mx[k]);
    }
    gsl_eigen_symmv(d->m, d->val, d->vec, d->w);
    for (int j = 0; j < P; j++) {
        d->lam[j] = gsl_vector_get(d->val, (size_t)j);
        if (d->lam[j] < 0.0) d->lam[j] = 0.0;
        double s = 0.0;
        for (int k = 0; k < P; k++) {
            d->V[(size_t)k * P + j] = gsl_matrix_get(d->vec, (size_t)k, (size_t)j);
            s += d->V[(size_t)k * P + j] * d->c[k];
        }
        d->Vc[j] = s;   /* V' c */
    }
    return 1;
}

/* Squared error on fold g of the ridge fit with penalty lambda on the
** current training set (my = training mean of y). */
static double decoder_sse(Decoder *d, double lambda, double my, int g)
{
    int P = d->p;
    for (int j = 0; j < P; j++) {
        double s = 0.0;
        for (int q = 0; q < P; q++) s += d->V[(size_t)j * P + q] * d->Vc[q] / (d->lam[q] + lambda);
        d->b[j] = s;
    }
    double a = my;
    for (int j = 0; j < P; j++) a -= d->b[j] * d->mx[j];
    const FoldStats *f = &d->fs[g];
    double bsxy = 0.0, bsx = 0.0, bSb = 0.0;
    for (int j = 0; j < P; j++) {
        bsxy += d->b[j] * f->sxy[j];
        bsx += d->b[j] * f->sx[j];
        const double *s = f->sxx + (size_t)j * P;
        double row = 0.0;
        for (int k = 0; k < P; k++) row += s[k] * d->b[k];
        bSb += d->b[j] * row;
    }
    double sse = f->syy - 2.0 * a * f->sy - 2.0 * bsxy + f->n * a * a + 2.0 * a * bsx + bSb;
    return sse > 0.0 ? sse : 0.0;
}

/* The whole nested-CV procedure on d->y: R^2, the median lambda, and (if
** fold_r2 is not NULL) each outer fold's held-out R^2, 1 - SSE_f / SST_f with
** SST_f about the mean of all targets (NaN for an empty fold). */
static double decoder_cv(Decoder *d, double lambda_fixed, double *lambda_used, double *fold_r2)
{
    decoder_stats(d);
    double n = 0.0, sy = 0.0, syy = 0.0;
    for (int k = 0; k < d->K; k++) {
        n += d->fs[k].n;
        sy += d->fs[k].sy;
        syy += d->fs[k].syy;
    }
    double sst = n > 0.0 ? syy - sy * sy / n : 0.0;
    for (int k = 0; fold_r2 && k < d->K; k++) fold_r2[k] = NAN;
    if (!(sst > 1e-12 * (syy > 0.0 ? syy : 1.0))) {
        *lambda_used = NAN;
        return NAN;
    }
    double ybar = sy / n;
    double sse_total = 0.0, chosen[NEURAL_MAX_FOLDS];
    int n_chosen = 0;
    for (int f = 0; f < d->K; f++) {
        if (d->fs[f].n == 0.0) continue;
        double lambda = lambda_fixed, my;
        if (!(lambda_fixed > 0.0)) {
            double cv[NEURAL_N_LAMBDAS] = { 0 };
            for (int g = 0; g < d->K; g++) {
                if (g == f || d->fs[g].n == 0.0) continue;
                if (!decoder_train(d, f, g, &my)) continue;
                for (int l = 0; l < NEURAL_N_LAMBDAS; l++) cv[l] += decoder_sse(d, neural_lambdas[l], my, g);
            }
            int best = 0;
            for (int l = 1; l < NEURAL_N_LAMBDAS; l++)
                if (cv[l] < cv[best]) best = l;
            lambda = neural_lambdas[best];
        }
        if (!decoder_train(d, f, -1, &my)) continue;
        double sse = decoder_sse(d, lambda, my, f);
        sse_total += sse;
        const FoldStats *h = &d->fs[f];
        double sst_f = h->syy - 2.0 * ybar * h->sy + h->n * ybar * ybar;
        if (fold_r2 && sst_f > 0.0) fold_r2[f] = 1.0 - sse / sst_f;
        if (n_chosen < NEURAL_MAX_FOLDS) chosen[n_chosen++] = lambda;
    }
    gsl_sort(chosen, 1, (size_t)n_chosen);
    *lambda_used = n_chosen ? gsl_stats_median_from_sorted_data(chosen, 1, (size_t)n_chosen) : NAN;
    return 1.0 - sse_total / sst;
}

int neural_decode(EpisodeRecord *const *eps, int n_eps, const double *target, const NeuralDecodeConfig *cfg,
                  NeuralDecode *out)
{
    memset(out, 0, sizeof *out);
    out->r2 = out->lambda = out->null_mean = out->null_p05 = out->null_p95 = out->fold_sd = NAN;
    for (int k = 0; k < NEURAL_MAX_FOLDS; k++) out->fold_r2[k] = NAN;
    int K = cfg->n_folds;
    out->n_folds = K;
    if (K < 2 || K > NEURAL_MAX_FOLDS) return ANALYSIS_NODATA;
    Decoder d;
    int rc = decoder_init(&d, eps, n_eps, K);
    gsl_rng *r = rng_alloc();
    int *perm = malloc(((size_t)d.E + 1) * sizeof *perm);
    double *nulls = malloc(((size_t)cfg->n_shuffles + 1) * sizeof *nulls);
    if (rc != ANALYSIS_OK || !r || !perm || !nulls) {
        rc = ANALYSIS_NOMEM;
        goto done;
    }
    rc = ANALYSIS_NODATA;
    if (d.p <= 0 || d.E < K) goto done;
    /* folds: a seeded shuffle of the episodes dealt round robin */
    gsl_rng_set(r, cfg->seed);
    for (int e = 0; e < d.E; e++) perm[e] = e;
    gsl_ran_shuffle(r, perm, (size_t)d.E, sizeof *perm);
    for (int e = 0; e < d.E; e++) d.fold[perm[e]] = e % K;

    memcpy(d.y, target, (size_t)d.N * sizeof *d.y);
    for (long q = 0; q < d.N; q++) out->n_rows += isfinite(target[q]) != 0;
    for (int e = 0; e < d.E; e++) {
        int any = 0;
        for (int t = 0; t < d.len[e]; t++) any |= isfinite(target[d.row0[e] + t]) != 0;
        out->n_episodes += any;
    }
    out->r2 = decoder_cv(&d, cfg->lambda, &out->lambda, out->fold_r2);
    if (isnan(out->r2)) goto done;
    rc = ANALYSIS_OK;
    {
        double fin[NEURAL_MAX_FOLDS];
        int m = 0;
        for (int k = 0; k < K; k++)
            if (isfinite(out->fold_r2[k])) fin[m++] = out->fold_r2[k];
        if (m >= 2) out->fold_sd = gsl_stats_sd(fin, 1, (size_t)m);
    }

    /* null: targets permuted across episodes */
    int n_null = 0;
    for (int s = 0; s < cfg->n_shuffles; s++) {
        for (int e = 0; e < d.E; e++) perm[e] = e;
        gsl_ran_shuffle(r, perm, (size_t)d.E, sizeof *perm);
        for (int e = 0; e < d.E; e++) {
            int src = perm[e];
            for (int t = 0; t < d.len[e]; t++)
                d.y[d.row0[e] + t] = t < d.len[src] ? target[d.row0[src] + t] : NAN;
        }
        double lam, v = decoder_cv(&d, cfg->lambda, &lam, NULL);
        if (!isnan(v)) nulls[n_null++] = v;
    }
    out->n_shuffles = n_null;
    if (n_null > 0) {
        out->null_mean = gsl_stats_mean(nulls, 1, (size_t)n_null);
        gsl_sort(nulls, 1, (size_t)n_null);
        out->null_p05 = gsl_stats_quantile_from_sorted_data(nulls, 1, (size_t)n_null, 0.05);
        out->null_p95 = gsl_stats_quantile_from_sorted_data(nulls, 1, (size_t)n_null, 0.95);
    }
done:
    decoder_free(&d);
    gsl_rng_free(r);
    free(perm);
    free(nulls);
    return rc;
}

int neural_decode_above_null(const NeuralDecode *d)
{
    return isfinite(d->r2) && isfinite(d->null_p95) && d->r2 > d->null_p95;
}

/* ---- selectivity ----------------------------------------------------------------- */

NeuralSelectivity *neural_selectivity_alloc(int n_units)
{
    if (n_units < 1) return NULL;
    NeuralSelectivity *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->n_units = n_units;
    size_t m = (size_t)n_units * SEL_N;
    s->coef = malloc(m * sizeof(double));
    s->tstat = malloc(m * sizeof(double));
    s->pval = malloc(m * sizeof(double));
    if (!s->coef || !s->tstat || !s->pval) {
        neural_selectivity_free(s);
        return NULL;
    }
    return s;
}

void neural_selectivity_free(NeuralSelectivity *s)
{
    if (!s) return;
    free(s->coef);
    free(s->tstat);
    free(s->pval);
    free(s);
}

static int sel_row(const EpisodeRecord *e, int t, double *x)
{
    if (t < 1 || !valid(&e->trials[t - 1])) return 0;
    double a = e->trials[t - 1].action == 1 ? 1.0 : -1.0;
    double r = e->trials[t - 1].reward > 0.5 ? 1.0 : -1.0;
    x[SEL_INTERCEPT] = 1.0;
    x[SEL_ACTION] = a;
    x[SEL_REWARD] = r;
    x[SEL_INTERACTION] = a * r;
    return 1;
}

int neural_selectivity(EpisodeRecord *const *eps, int n_eps, double level, NeuralSelectivity *s)
{
    int P = s->n_units;
    s->level = level;
    s->n_rows = 0;
    memset(s->n_sig, 0, sizeof s->n_sig);
    for (size_t q = 0; q < (size_t)P * SEL_N; q++) s->coef[q] = s->tstat[q] = s->pval[q] = NAN;
    if (neural_n_units(eps, n_eps) != P) return ANALYSIS_NODATA;
    double *ybar = calloc((size_t)P, sizeof *ybar), *xy = calloc((size_t)P * SEL_N, sizeof *xy);
    double *yy = calloc((size_t)P, sizeof *yy);
    if (!ybar || !xy || !yy) {
        free(ybar);
        free(xy);
        free(yy);
        return ANALYSIS_NOMEM;
    }
    double XtX[SEL_N * SEL_N] = { 0 }, Xi[SEL_N * SEL_N], x[SEL_N];
    long n = 0;
    /* pass 1: means (the rates are centred per unit before the cross
    ** products; only the intercept changes, and SSE loses no digits) */
    for (int i = 0; i < n_eps; i++) {
        const EpisodeRecord *e = eps[i];
        if (!has_activity(e)) continue;
        for (int t = 0; t < e->n_trials; t++) {
            if (!sel_row(e, t, x)) continue;
            n++;
            for (int u = 0; u < P; u++) ybar[u] += rate(e, t, u);
        }
    }
    int rc = ANALYSIS_NODATA;
    if (n <= SEL_N) goto done;
    for (int u = 0; u < P; u++) ybar[u] /= (double)n;
    for (int i = 0; i < n_eps; i++) {
        const EpisodeRecord *e = eps[i];
        if (!has_activity(e)) continue;
        for (int t = 0; t < e->n_trials; t++) {
            if (!sel_row(e, t, x)) continue;
            for (int j = 0; j < SEL_N; j++)
                for (int k = 0; k < SEL_N; k++) XtX[j * SEL_N + k] += x[j] * x[k];
            for (int u = 0; u < P; u++) {
                double y = rate(e, t, u) - ybar[u];
                yy[u] += y * y;
                for (int j = 0; j < SEL_N; j++) xy[(size_t)u * SEL_N + j] += x[j] * y;
            }
        }
    }
    int rank = regress_sym_pinv(XtX, SEL_N, 1e-12, Xi, NULL);
    if (rank < 0) {
        rc = ANALYSIS_NOMEM;
        goto done;
    }
    if (rank < SEL_N) goto done;   /* e.g. a run that was never rewarded */
    s->n_rows = n;
    double df = (double)(n - SEL_N);
    for (int u = 0; u < P; u++) {
        double b[SEL_N], bxy = 0.0;
        for (int j = 0; j < SEL_N; j++) {
            b[j] = 0.0;
            for (int k = 0; k < SEL_N; k++) b[j] += Xi[j * SEL_N + k] * xy[(size_t)u * SEL_N + k];
            bxy += b[j] * xy[(size_t)u * SEL_N + j];
        }
        double sse = yy[u] - bxy, sigma2 = sse > 0.0 ? sse / df : 0.0;
        for (int j = 0; j < SEL_N; j++) {
            size_t q = (size_t)u * SEL_N + j;
            s->coef[q] = b[j] + (j == SEL_INTERCEPT ? ybar[u] : 0.0);
            double se = sqrt(sigma2 * Xi[j * SEL_N + j]);
            if (se > 0.0) {
                s->tstat[q] = s->coef[q] / se;   /* centring moved the intercept only, not its SE */
                s->pval[q] = regress_t_pvalue(s->tstat[q], df);
                if (s->pval[q] < level) s->n_sig[j]++;
            }
        }
    }
    rc = ANALYSIS_OK;
done:
    free(ybar);
    free(xy);
    free(yy);
    return rc;
}

/* ---- RPE -------------------------------------------------------------------------- */

static int rpe_row(const TrialRecord *tr)
{
    return valid(tr) && isfinite(tr->rpe) && isfinite(tr->value);
}

/* Whether trial x, at `lag` from reversal trial rev, belongs to its aligned
** segment: the block before the reversal for negative lags, the block it
** opens otherwise; the segment ends at the next reversal and starts after
** the previous one. */
static int rev_segment(const TrialRecord *rev, const TrialRecord *x, int lag)
{
    return x->truth.block == rev->truth.block - (lag < 0);
}

void neural_observer_guess(EpisodeRecord *const *eps, int n_eps, NeuralObserver *obs)
{
    obs->kind = NEURAL_OBS_BANDIT;
    obs->p_high = obs->p_low = obs->hazard = NAN;
    long rev = 0, trans = 0;
    for (int i = 0; i < n_eps; i++) {
        const EpisodeRecord *e = eps[i];
        if (e->n_stages > 0) {
            obs->kind = NEURAL_OBS_NONE;
            return;
        }
        trans += e->n_trials > 1 ? e->n_trials - 1 : 0;
        for (int t = 0; t < e->n_trials; t++) {
            const TaskTruth *h = &e->trials[t].truth;
            rev += h->block >= 1 && h->since_reversal == 0;
            if (!isfinite(obs->p_high) && isfinite(h->p[0]) && isfinite(h->p[1])) {
                obs->p_high = h->p[0] > h->p[1] ? h->p[0] : h->p[1];
                obs->p_low = h->p[0] > h->p[1] ? h->p[1] : h->p[0];
            }
        }
    }
    if (rev == 0) {
        obs->p_high = obs->p_low = NAN;
        return;
    }
    obs->kind = isfinite(obs->p_high) && obs->p_high > obs->p_low ? NEURAL_OBS_REVERSAL : NEURAL_OBS_NONE;
    obs->hazard = trans > 0 ? (double)rev / (double)trans : NAN;
}

void neural_observer_expect(const EpisodeRecord *e, const NeuralObserver *obs, double *expect)
{
    double b = 0.5, s[2] = { 0, 0 }, n[2] = { 0, 0 };
    for (int t = 0; t < e->n_trials; t++) {
        const TrialRecord *tr = &e->trials[t];
        const int a = tr->action;
        expect[t] = NAN;
        if (obs->kind == NEURAL_OBS_REVERSAL) {
            double e0 = b * obs->p_high + (1 - b) * obs->p_low, e1 = (1 - b) * obs->p_high + b * obs->p_low;
            if (valid(tr)) expect[t] = a == 0 ? e0 : e1;
            b = belief_reversal_step(b, a, tr->reward, 0.5, obs->p_high, obs->p_low, obs->hazard);
        } else if (obs->kind == NEURAL_OBS_BANDIT && valid(tr)) {
            expect[t] = (s[a] + 1) / (n[a] + 2);
            s[a] += tr->reward > 0.5;
            n[a] += 1;
        }
    }
}

/* delta ~ 1 + r + E_obs over the trials with finite delta and E. */
static int rpe_fit_observer(EpisodeRecord *const *eps, int n_eps, NeuralRpe *out)
{
    long total = 0;
    int T = 0;
    for (int i = 0; i < n_eps; i++) {
        total += eps[i]->n_trials;
        if (eps[i]->n_trials > T) T = eps[i]->n_trials;
    }
    if (out->obs.kind == NEURAL_OBS_NONE || total == 0) return ANALYSIS_NODATA;
    double *X = malloc((size_t)total * RPE_N * sizeof *X), *y = malloc((size_t)total * sizeof *y),
           *ex = malloc(((size_t)T + 1) * sizeof *ex);
    int rc = ANALYSIS_NOMEM;
    if (X && y && ex) {
        long row = 0;
        for (int i = 0; i < n_eps; i++) {
            const EpisodeRecord *e = eps[i];
            neural_observer_expect(e, &out->obs, ex);
            for (int t = 0; t < e->n_trials; t++) {
                const TrialRecord *tr = &e->trials[t];
                if (!valid(tr) || !isfinite(tr->rpe) || !isfinite(ex[t])) continue;
                double *x = X + (size_t)row * RPE_N;
                x[RPE_INTERCEPT] = 1.0;
                x[RPE_REWARD] = tr->reward;
                x[RPE_EXPECT] = ex[t];
                y[row++] = tr->rpe;
            }
        }
        rc = regress_ols(X, y, (int)row, RPE_N, &out->fit_obs);
    }
    free(X);
    free(y);
    free(ex);
    return rc;
}

/* The first-switch trial of the block that starts at trial R of e (see
** neural.h), or -1; *last = the reward the agent last got from that arm. */
static int first_switch(const EpisodeRecord *e, int R, double *last)
{
    const TrialRecord *r0 = &e->trials[R];
    if (!valid(r0)) return -1;
    for (int t = R + 1; t < e->n_trials && e->trials[t].truth.block == r0->truth.block; t++) {
        const TrialRecord *x = &e->trials[t];
        if (!valid(x) || x->action == r0->action) continue;
        if (x->truth.best >= 0 && x->action != x->truth.best) return -1;
        *last = NAN;
        for (int u = R - 1; u >= 0 && !isfinite(*last); u--)
            if (valid(&e->trials[u]) && e->trials[u].action == x->action) *last = e->trials[u].reward;
        return isfinite(*last) ? t : -1;
    }
    return -1;
}

/* Delta on first-switch trials and later trials of the same arm; the fit on E_obs and the last reward. */
static int rpe_inferred(EpisodeRecord *const *eps, int n_eps, NeuralRpe *out)
{
    NeuralInferred *f = &out->inferred;
    int T = 0;
    long n_rev = behavior_count_reversals(eps, n_eps);
    for (int i = 0; i < n_eps; i++)
        if (eps[i]->n_trials > T) T = eps[i]->n_trials;
    if (out->obs.kind != NEURAL_OBS_REVERSAL || n_rev == 0) return ANALYSIS_NODATA;
    double *X = malloc((size_t)n_rev * INF_N * sizeof *X), *y = malloc((size_t)n_rev * sizeof *y),
           *ex = malloc(((size_t)T + 1) * sizeof *ex);
    if (!X || !y || !ex) {
        free(X);
        free(y);
        free(ex);
        return ANALYSIS_NOMEM;
    }
    RunningMean sw[2], later[2], expect = { 0, 0, 0 };
    memset(sw, 0, sizeof sw);
    memset(later, 0, sizeof later);
    long row = 0;
    for (int i = 0; i < n_eps; i++) {
        const EpisodeRecord *e = eps[i];
        neural_observer_expect(e, &out->obs, ex);
        for (int R = 0; R < e->n_trials; R++) {
            const TrialRecord *rv = &e->trials[R];
            double last;
            if (!(rv->truth.block >= 1 && rv->truth.since_reversal == 0)) continue;
            int t = first_switch(e, R, &last);
            if (t < 0 || !isfinite(e->trials[t].rpe) || !isfinite(ex[t])) continue;
            const TrialRecord *x = &e->trials[t];
            running_mean_add(&sw[x->reward > 0.5], x->rpe);
            running_mean_add(&expect, ex[t]);
            for (int u = t + 1; u < e->n_trials && e->trials[u].truth.block == x->truth.block; u++) {
                const TrialRecord *z = &e->trials[u];
                if (valid(z) && z->action == x->action && isfinite(z->rpe)) running_mean_add(&later[z->reward > 0.5], z->rpe);
            }
            double *xr = X + (size_t)row * INF_N;
            xr[INF_INTERCEPT] = 1.0;
            xr[INF_REWARD] = x->reward;
            xr[INF_EXPECT] = ex[t];
            xr[INF_LAST] = last;
            y[row++] = x->rpe;
        }
    }
    f->n_switches = row;
    f->switch_expect = running_mean_value(&expect);
    for (int k = 0; k < 2; k++) {
        f->n_switch[k] = sw[k].n;
        f->switch_mean[k] = running_mean_value(&sw[k]);
        f->switch_se[k] = running_mean_se(&sw[k]);
        f->n_later[k] = later[k].n;
        f->later_mean[k] = running_mean_value(&later[k]);
        f->later_se[k] = running_mean_se(&later[k]);
    }
    int rc = regress_ols(X, y, (int)row, INF_N, &f->fit);
    free(X);
    free(y);
    free(ex);
    return rc;
}

int neural_rpe(EpisodeRecord *const *eps, int n_eps, NeuralRpe *out)
{
    return neural_rpe_observer(eps, n_eps, NULL, out);
}

int neural_rpe_observer(EpisodeRecord *const *eps, int n_eps, const NeuralObserver *obs, NeuralRpe *out)
{
    memset(out, 0, sizeof *out);
    out->mean_rewarded = out->se_rewarded = out->mean_unrewarded = out->se_unrewarded = NAN;
    for (int j = 0; j < BEHAVIOR_REV_N_LAGS; j++) out->rev_mean[j] = out->rev_se[j] = NAN;
    regress_ols(NULL, NULL, 0, RPE_N, &out->fit);   /* NaN-filled */
    regress_ols(NULL, NULL, 0, RPE_N, &out->fit_obs);
    regress_ols(NULL, NULL, 0, INF_N, &out->inferred.fit);
    NeuralInferred *f = &out->inferred;
    f->switch_expect = NAN;
    for (int k = 0; k < 2; k++) f->switch_mean[k] = f->switch_se[k] = f->later_mean[k] = f->later_se[k] = NAN;
    if (obs) out->obs = *obs;
    else neural_observer_guess(eps, n_eps, &out->obs);
    long n = 0;
    for (int i = 0; i < n_eps; i++)
        for (int t = 0; t < eps[i]->n_trials; t++) n += rpe_row(&eps[i]->trials[t]);
    out->n = n;
    if (n == 0) return ANALYSIS_NODATA;
    double *X = malloc((size_t)n * RPE_N * sizeof *X), *y = malloc((size_t)n * sizeof *y);
    if (!X || !y) {
        free(X);
        free(y);
        return ANALYSIS_NOMEM;
    }
    RunningMean win = { 0, 0, 0 }, loss = { 0, 0, 0 }, rev[BEHAVIOR_REV_N_LAGS];
    memset(rev, 0, sizeof rev);
    long row = 0;
    for (int i = 0; i < n_eps; i++) {
        const EpisodeRecord *e = eps[i];
        for (int t = 0; t < e->n_trials; t++) {
            const TrialRecord *tr = &e->trials[t];
            if (tr->truth.block >= 1 && tr->truth.since_reversal == 0)
                for (int j = 0; j < BEHAVIOR_REV_N_LAGS; j++) {
                    int s = t + behavior_rev_lag(j);
                    if (s >= 0 && s < e->n_trials && rev_segment(tr, &e->trials[s], behavior_rev_lag(j)) &&
                        rpe_row(&e->trials[s]))
                        running_mean_add(&rev[j], e->trials[s].rpe);
                }
            if (!rpe_row(tr)) continue;
            running_mean_add(tr->reward > 0.5 ? &win : &loss, tr->rpe);
            double *x = X + (size_t)row * RPE_N;
            x[RPE_INTERCEPT] = 1.0;
            x[RPE_REWARD] = tr->reward;
            x[RPE_VALUE] = tr->value;
            y[row++] = tr->rpe;
        }
    }
    out->n_rewarded = win.n;
    out->n_unrewarded = loss.n;
    out->mean_rewarded = running_mean_value(&win);
    out->se_rewarded = running_mean_se(&win);
    out->mean_unrewarded = running_mean_value(&loss);
    out->se_unrewarded = running_mean_se(&loss);
    for (int j = 0; j < BEHAVIOR_REV_N_LAGS; j++) {
        out->rev_n[j] = rev[j].n;
        out->rev_mean[j] = running_mean_value(&rev[j]);
        out->rev_se[j] = running_mean_se(&rev[j]);
    }
    int rc = regress_ols(X, y, (int)n, RPE_N, &out->fit);
    free(X);
    free(y);
    if (rc == ANALYSIS_NOMEM || rpe_fit_observer(eps, n_eps, out) == ANALYSIS_NOMEM ||
        rpe_inferred(eps, n_eps, out) == ANALYSIS_NOMEM)
        return ANALYSIS_NOMEM;
    return ANALYSIS_OK;
}
