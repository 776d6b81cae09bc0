/* analysis/volatility_fit.c: Rescorla-Wagner learning rates fitted per
** stretch (stable, volatile) with a bootstrap interval of their ratio (see
** volatility_fit.h). The run is flattened once into arrays of valid trials;
** a bootstrap replicate only changes each episode's weight.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_multimin.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "analysis/volatility_fit.h"
#include "core/rng.h"
#include "core/thread.h"

int volfit_stretches(const EpisodeRecord *e, signed char *kind)
{
    for (int t = 0; t < e->n_trials; t++) kind[t] = VOLFIT_UNKNOWN;
    const char *p = strstr(e->instance, "\"stretches\":[");
    if (!p) return 0;
    p += strlen("\"stretches\":[");
    int known = 0;
    while (*p == '[') {
        char name[16];
        int first, len, used = 0;
        if (sscanf(p, "[\"%15[a-z]\",%d,%d]%n", name, &first, &len, &used) != 3 || used == 0) break;
        int k = !strcmp(name, "stable") ? VOLFIT_STABLE : !strcmp(name, "volatile") ? VOLFIT_VOLATILE : VOLFIT_UNKNOWN;
        for (int t = first < 0 ? 0 : first; k != VOLFIT_UNKNOWN && t < first + len && t < e->n_trials; t++) {
            known += kind[t] == VOLFIT_UNKNOWN;
            kind[t] = (signed char)k;
        }
        p += used;
        if (*p == ',') p++;
    }
    return known;
}

/* The run flattened: valid trials of episode i are [start[i], start[i + 1]). */
typedef struct {
    int n_eps;
    int *start;
    unsigned char *action;
    signed char *kind;
    double *reward;
    double *w;          /* (n_eps) episode weights: 1, or bootstrap counts */
} Flat;

static void flat_free(Flat *f)
{
    free(f->start);
    free(f->action);
    free(f->kind);
    free(f->reward);
    free(f->w);
}

static int flat_build(EpisodeRecord *const *eps, int n_eps, Flat *f, long *n_kind)
{
    long total = 0;
    int max_t = 1;
    memset(f, 0, sizeof *f);
    n_kind[0] = n_kind[1] = 0;
    for (int i = 0; i < n_eps; i++) {
        total += eps[i]->n_trials;
        if (eps[i]->n_trials > max_t) max_t = eps[i]->n_trials;
    }
    signed char *kind = malloc((size_t)max_t);
    f->start = malloc(sizeof *f->start * (size_t)(n_eps + 1));
    f->action = malloc((size_t)total + 1);
    f->kind = malloc((size_t)total + 1);
    f->reward = malloc(sizeof *f->reward * ((size_t)total + 1));
    f->w = malloc(sizeof *f->w * (size_t)(n_eps + 1));
    if (!kind || !f->start || !f->action || !f->kind || !f->reward || !f->w) {
        free(kind);
        flat_free(f);
        return ANALYSIS_NOMEM;
    }
    int m = 0;
    for (int i = 0; i < n_eps; i++) {
        const EpisodeRecord *e = eps[i];
        if (volfit_stretches(e, kind) == 0) continue;
        f->start[f->n_eps] = m;
        int begin = m, any = 0;
        for (int t = 0; t < e->n_trials; t++) {
            const TrialRecord *tr = &e->trials[t];
            if (tr->action < 0 || tr->action > 1 || !isfinite(tr->reward)) continue;
            f->action[m] = (unsigned char)tr->action;
            f->kind[m] = kind[t];
            f->reward[m] = tr->reward;
            if (kind[t] != VOLFIT_UNKNOWN) {
                n_kind[kind[t]]++;
                any = 1;
            }
            m++;
        }
        if (!any) m = begin;
        else f->w[f->n_eps++] = 1.0;
    }
    f->start[f->n_eps] = m;
    free(kind);
    return ANALYSIS_OK;
}

/* beta[k]: the inverse temperature of stretch kind k (the same twice when shared). */
static double flat_nll(const Flat *f, double a_s, double a_v, const double *beta)
{
    double nll = 0.0;
    for (int i = 0; i < f->n_eps; i++) {
        if (f->w[i] == 0.0) continue;
        double q[2] = { 0.5, 0.5 }, s = 0.0;
        for (int k = f->start[i]; k < f->start[i + 1]; k++) {
            int a = f->action[k];
            if (f->kind[k] != VOLFIT_UNKNOWN) {
                double d = beta[f->kind[k]] * (q[1 - a] - q[a]);   /* -log P(a) = log(1 + exp(d)) */
                s += d > 0 ? d + log1p(exp(-d)) : log1p(exp(d));
            }
            q[a] += (f->kind[k] == VOLFIT_VOLATILE ? a_v : a_s) * (f->reward[k] - q[a]);
        }
        nll += f->w[i] * s;
    }
    return nll;
}

static double logistic(double x) { return 1.0 / (1.0 + exp(-x)); }

/* The search coordinates: logit a_s, logit a_v, log beta (stable's, or the
** shared one), and with two betas log beta_volatile; x[VOL_MAX_X]. */
enum { VOL_MAX_X = 4 };

typedef struct {
    Flat *f;
    int d;   /* 3: one beta; 4: a beta per kind */
} Problem;

static double clamp_x(int j, double v)
{
    double hi = j < 2 ? 12.0 : 6.0, lo = j < 2 ? -12.0 : -7.0;
    return v > hi ? hi : v < lo ? lo : v;
}

static void to_params(const double *x, int d, double *a_s, double *a_v, double *beta)
{
    *a_s = logistic(clamp_x(0, x[0]));
    *a_v = logistic(clamp_x(1, x[1]));
    beta[VOLFIT_STABLE] = exp(clamp_x(2, x[2]));
    beta[VOLFIT_VOLATILE] = d == 4 ? exp(clamp_x(3, x[3])) : beta[VOLFIT_STABLE];
}

/* The objective at x, kept inside the box by a quadratic penalty. */
static double objective(const gsl_vector *x, void *ctx)
{
    const Problem *p = ctx;
    double y[VOL_MAX_X], pen = 0.0, a_s, a_v, beta[2];
    for (int j = 0; j < p->d; j++) {
        double v = gsl_vector_get(x, (size_t)j);
        y[j] = clamp_x(j, v);
        pen += (v - y[j]) * (v - y[j]);
    }
    to_params(y, p->d, &a_s, &a_v, beta);
    return flat_nll(p->f, a_s, a_v, beta) + 1e3 * pen;
}

/* One simplex run from x (updated to the optimum); return the objective there. */
static double simplex(gsl_multimin_fminimizer *m, Problem *p, double *x, double tol, int max_iter)
{
    gsl_vector_view xv = gsl_vector_view_array(x, (size_t)p->d);
    double step[VOL_MAX_X] = { 0.5, 0.5, 0.5, 0.5 };
    gsl_vector_view sv = gsl_vector_view_array(step, (size_t)p->d);
    gsl_multimin_function fn = { objective, (size_t)p->d, p };
    gsl_multimin_fminimizer_set(m, &fn, &xv.vector, &sv.vector);
    double last = INFINITY;   /* stop, too, when 25 iterations gain less than tol nats (a flat ridge) */
    for (int it = 0; it < max_iter; it++) {
        if (gsl_multimin_fminimizer_iterate(m) != GSL_SUCCESS) break;
        if (gsl_multimin_test_size(gsl_multimin_fminimizer_size(m), tol) == GSL_SUCCESS) break;
        if (it % 25 == 24) {
            if (last - m->fval < tol) break;
            last = m->fval;
        }
    }
    for (int j = 0; j < p->d; j++) x[j] = gsl_vector_get(m->x, (size_t)j);
    return m->fval;
}

/* Bootstrap replicates b = first, first + stride, ... of n_boot into ratio[b],
** each from its own seeded stream, so that the split over threads changes
** nothing; its own weights and minimiser. */
typedef struct {
    const Problem *p;
    const double *x_best;
    int n_boot, first, stride;
    uint64_t seed;
    double *ratio;
    int failed;
} BootShare;

static void *boot_share(void *arg)
{
    BootShare *b = arg;
    Flat f = *b->p->f;
    Problem p = { &f, b->p->d };
    f.w = malloc(sizeof *f.w * (size_t)(f.n_eps + 1));
    gsl_multimin_fminimizer *m = gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, (size_t)p.d);
    gsl_rng *r = rng_alloc();
    b->failed = !f.w || !m || !r;
    for (int k = b->first; !b->failed && k < b->n_boot; k += b->stride) {
        rng_seed_episode(r, b->seed, RNG_STREAM_TEST_TASK, (uint64_t)k);
        for (int i = 0; i < f.n_eps; i++) f.w[i] = 0.0;
        for (int i = 0; i < f.n_eps; i++) f.w[gsl_rng_uniform_int(r, (unsigned long)f.n_eps)] += 1.0;
        double x[VOL_MAX_X], a_s, a_v, beta[2];
        memcpy(x, b->x_best, sizeof x);
        simplex(m, &p, x, 1e-3, 200);
        to_params(x, p.d, &a_s, &a_v, beta);
        b->ratio[k] = a_v / a_s;
    }
    gsl_rng_free(r);
    if (m) gsl_multimin_fminimizer_free(m);
    free(f.w);
    return NULL;
}

/* The replicates run on two threads (one if a second cannot start). */
static void bootstrap(const Problem *p, const double *x_best, int n_boot, double level, uint64_t seed,
                      VolStretchFit *out)
{
    double *ratio = malloc(sizeof *ratio * (size_t)(n_boot > 0 ? n_boot : 1));
    if (!ratio || n_boot < 1) {
        free(ratio);
        return;
    }
    BootShare sh[2] = { { p, x_best, n_boot, 0, 2, seed, ratio, 0 }, { p, x_best, n_boot, 1, 2, seed, ratio, 0 } };
    pthread_t t;
    int threaded = n_boot > 1 && thread_start_quiet(&t, boot_share, &sh[1]) == 0;
    if (!threaded) sh[0].stride = 1;
    boot_share(&sh[0]);
    if (threaded) pthread_join(t, NULL);
    if (!sh[0].failed && !(threaded && sh[1].failed)) {
        out->n_boot = n_boot;
        if (n_boot > 1) {
            gsl_sort(ratio, 1, (size_t)n_boot);
            out->ratio_lo = gsl_stats_quantile_from_sorted_data(ratio, 1, (size_t)n_boot, (1.0 - level) / 2);
            out->ratio_hi = gsl_stats_quantile_from_sorted_data(ratio, 1, (size_t)n_boot, (1.0 + level) / 2);
        }
    }
    free(ratio);
}

double volfit_nll(EpisodeRecord *const *eps, int n_eps, double alpha_stable, double alpha_volatile,
                  double beta_stable, double beta_volatile)
{
    Flat f;
    long n_kind[2];
    if (flat_build(eps, n_eps, &f, n_kind) != ANALYSIS_OK) return NAN;
    const double beta[2] = { beta_stable, beta_volatile };
    double v = flat_nll(&f, alpha_stable, alpha_volatile, beta);
    flat_free(&f);
    return v;
}

int volfit_fit(EpisodeRecord *const *eps, int n_eps, int n_betas, int n_boot, double level, uint64_t seed,
               VolStretchFit *out)
{
    Flat f;
    long n_kind[2];
    memset(out, 0, sizeof *out);
    out->alpha_stable = out->alpha_volatile = out->beta = out->beta_volatile = out->ratio = out->nll = NAN;
    out->n_betas = n_betas == 2 ? 2 : 1;
    out->ratio_lo = out->ratio_hi = NAN;
    out->level = level;
    if (flat_build(eps, n_eps, &f, n_kind) != ANALYSIS_OK) return ANALYSIS_NOMEM;
    out->n_stable = n_kind[VOLFIT_STABLE];
    out->n_volatile = n_kind[VOLFIT_VOLATILE];
    out->n_episodes = f.n_eps;
    if (!out->n_stable || !out->n_volatile) {
        flat_free(&f);
        return ANALYSIS_NODATA;
    }
    Problem p = { &f, 2 + out->n_betas };
    gsl_multimin_fminimizer *m = gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, (size_t)p.d);
    if (!m) {
        flat_free(&f);
        return ANALYSIS_NOMEM;
    }
    static const double a0[2] = { 0.1, 0.4 }, b0[2] = { 2.0, 8.0 };
    double best[VOL_MAX_X] = { 0 }, f_best = INFINITY, beta[2];
    for (int i = 0; i < 8; i++) {   /* with two betas both start at the same value */
        double x[VOL_MAX_X] = { log(a0[i & 1] / (1 - a0[i & 1])), log(a0[(i >> 1) & 1] / (1 - a0[(i >> 1) & 1])),
                                log(b0[(i >> 2) & 1]), log(b0[(i >> 2) & 1]) };
        double v = simplex(m, &p, x, 1e-2, 200);
        if (v < f_best) {
            f_best = v;
            memcpy(best, x, sizeof best);
        }
    }
    out->nll = simplex(m, &p, best, 1e-6, 1000);
    to_params(best, p.d, &out->alpha_stable, &out->alpha_volatile, beta);
    out->beta = beta[VOLFIT_STABLE];
    out->beta_volatile = beta[VOLFIT_VOLATILE];
    out->ratio = out->alpha_volatile / out->alpha_stable;
    bootstrap(&p, best, n_boot, level, seed, out);
    gsl_multimin_fminimizer_free(m);
    flat_free(&f);
    return ANALYSIS_OK;
}
