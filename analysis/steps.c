/* analysis/steps.c: per-step prefrontal activity aligned to the choice and
** outcome steps of each trial, split by reward and choice, with a PCA of the
** pooled steps and a selectivity score per unit (analysis/steps.h). The PCA
** is neural_pca_fit's (analysis/neural.c), run on views of the episodes whose
** "trials" are their steps; the aligned means and SEs are Welford's running
** moments, one cell per event, condition, offset and quantity.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/steps.h"

int neural_steps_present(EpisodeRecord *const *eps, int n_eps)
{
    for (int i = 0; i < n_eps; i++)
        if (eps[i] && eps[i]->n_steps > 0 && eps[i]->step_rates && eps[i]->n_step_units > 0) return 1;
    return 0;
}

static int has_steps(const EpisodeRecord *e) { return e && e->n_steps > 0 && e->step_rates && e->n_step_units > 0; }

void neural_steps_free(NeuralSteps *s)
{
    if (!s) return;
    free(s->trial_epoch);
    neural_pca_free(s->pca);
    free(s->n);
    free(s->mean);
    free(s->se);
    free(s->sel);
    free(s->order);
    free(s);
}

/* The common units and K of the episodes with steps, the epochs of a trial
** and the events' positions. 0, or -1 if they disagree or an event is missing. */
static int shapes(EpisodeRecord *const *eps, int n_eps, NeuralSteps *s)
{
    const EpisodeRecord *first = NULL;
    for (int i = 0; i < n_eps; i++) {
        if (!has_steps(eps[i])) continue;
        const EpisodeRecord *e = eps[i];
        if (!first) first = e;
        if (e->n_step_units != first->n_step_units || e->steps_per_trial != first->steps_per_trial) return -1;
        s->n_episodes++;
        if (e->n_steps >= e->steps_per_trial && s->trial_epoch == NULL) {
            if (e->steps_per_trial < 1 || !(s->trial_epoch = malloc((size_t)e->steps_per_trial))) return -1;
            memcpy(s->trial_epoch, e->step_epoch, (size_t)e->steps_per_trial);
        }
    }
    if (!first || !s->trial_epoch) return -1;
    s->n_units = first->n_step_units;
    s->K = first->steps_per_trial;
    s->pos[STEPS_AT_CHOICE] = s->pos[STEPS_AT_OUTCOME] = -1;
    for (int k = 0; k < s->K; k++) {
        if (s->trial_epoch[k] == EPOCH_CHOICE) s->pos[STEPS_AT_CHOICE] = k;   /* the last choice step */
        if (s->trial_epoch[k] == EPOCH_OUTCOME && s->pos[STEPS_AT_OUTCOME] < 0) s->pos[STEPS_AT_OUTCOME] = k;
    }
    return s->pos[STEPS_AT_CHOICE] < 0 || s->pos[STEPS_AT_OUTCOME] < 0 ? -1 : 0;
}

/* PCA of the pooled steps: each episode viewed as n_steps "trials" of
** n_step_units rates. Fills s->pca and row0[i] (its first score row, -1 if
** episode i has no steps). */
static int steps_pca(EpisodeRecord *const *eps, int n_eps, NeuralSteps *s, long *row0)
{
    EpisodeRecord *view = calloc((size_t)n_eps, sizeof *view);
    EpisodeRecord **pv = calloc((size_t)n_eps, sizeof *pv);
    int rc = ANALYSIS_NOMEM, m = 0;
    if (!view || !pv) goto done;
    long rows = 0;
    for (int i = 0; i < n_eps; i++) {
        row0[i] = -1;
        if (!has_steps(eps[i])) continue;
        EpisodeRecord *v = &view[m];
        v->n_trials = eps[i]->n_steps;
        v->n_units = v->n_pfc = eps[i]->n_step_units;
        v->activity = eps[i]->step_rates;
        pv[m++] = v;
        row0[i] = rows;
        rows += eps[i]->n_steps;
    }
    s->n_rows = rows;
    if (!(s->pca = neural_pca_alloc(s->n_units, rows, s->n_units >= 2 ? 2 : 1))) goto done;
    rc = neural_pca_fit(pv, m, s->K, s->pca);
done:
    free(view);
    free(pv);
    return rc;
}

static size_t cell(const NeuralSteps *s, int ev, int cond, int w) { return ((size_t)ev * STEPS_N_CONDS + cond) * s->n_off + w; }

/* The quantities of step st of episode i into x (p + 3). */
static void step_values(const NeuralSteps *s, const EpisodeRecord *e, long row0, int st, double *x)
{
    int p = s->n_units, k = s->pca->k;
    const float *r = e->step_rates + (size_t)st * p;
    double pop = 0.0;
    for (int u = 0; u < p; u++) pop += (x[u] = r[u]);
    x[p] = pop / p;
    x[p + 1] = s->pca->scores[(size_t)(row0 + st) * k];
    x[p + 2] = k > 1 ? s->pca->scores[(size_t)(row0 + st) * k + 1] : NAN;
}

/* Welford's update of the cells (ev, cond, w) with x; M2 kept in s->se. */
static void add(NeuralSteps *s, int ev, int cond, int w, const double *x)
{
    size_t c = cell(s, ev, cond, w), Q = (size_t)s->n_units + STEPS_N_EXTRA;
    double n = (double)++s->n[c];
    double *m = s->mean + c * Q, *m2 = s->se + c * Q;
    for (size_t q = 0; q < Q; q++) {
        double d = x[q] - m[q];
        m[q] += d / n;
        m2[q] += d * (x[q] - m[q]);
    }
}

static void accumulate(EpisodeRecord *const *eps, int n_eps, NeuralSteps *s, const long *row0, double *x)
{
    for (int i = 0; i < n_eps; i++) {
        const EpisodeRecord *e = eps[i];
        if (row0[i] < 0) continue;
        for (int t = 0; t < e->n_trials; t++) {
            const TrialRecord *tr = &e->trials[t];
            if (tr->action < 0 || tr->action > 1 || !isfinite(tr->reward)) continue;
            if ((long)t * s->K + s->pos[STEPS_AT_CHOICE] >= e->n_steps) break;
            s->n_trials++;
            int rew = tr->reward > 0.5;
            int conds[4] = { STEPS_ALL, rew ? STEPS_REWARDED : STEPS_UNREWARDED, tr->action ? STEPS_ARM1 : STEPS_ARM0,
                             STEPS_ARM0_UNREWARDED + 2 * tr->action + rew };
            for (int ev = 0; ev < STEPS_N_EVENTS; ev++) {
                long at = (long)t * s->K + s->pos[ev];
                if (at >= e->n_steps) continue;   /* the last trial's outcome never ran */
                for (int w = 0; w < s->n_off; w++) {
                    long st = at - s->pre + w;
                    if (st < 0 || st >= e->n_steps) continue;
                    step_values(s, e, row0[i], (int)st, x);
                    for (int c = 0; c < 4; c++) add(s, ev, conds[c], w, x);
                }
            }
        }
    }
}

static int cmp_abs_desc(const void *a, const void *b, const double *v)
{
    double x = fabs(v[*(const int *)a]), y = fabs(v[*(const int *)b]);
    if (isnan(x) != isnan(y)) return isnan(x) ? 1 : -1;
    if (x != y && !isnan(x)) return x > y ? -1 : 1;
    return *(const int *)a - *(const int *)b;
}

/* Insertion sort of order[0..p-1] by |v| (p is small; qsort has no context). */
static void rank_units(int *order, const double *v, int p)
{
    for (int u = 0; u < p; u++) order[u] = u;
    for (int i = 1; i < p; i++)
        for (int j = i; j > 0 && cmp_abs_desc(&order[j], &order[j - 1], v) < 0; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
}

static double welch(const NeuralSteps *s, int ev, int c1, int c0, int u)
{
    if (neural_steps_n(s, ev, c1, 0) < 2 || neural_steps_n(s, ev, c0, 0) < 2) return NAN;
    double d = neural_steps_mean(s, ev, c1, 0, u) - neural_steps_mean(s, ev, c0, 0, u);
    double a = neural_steps_se(s, ev, c1, 0, u), b = neural_steps_se(s, ev, c0, 0, u), se = sqrt(a * a + b * b);
    if (se > 0.0) return d / se;
    return d != 0.0 ? (d > 0.0 ? INFINITY : -INFINITY) : NAN;
}

static void finish(NeuralSteps *s)
{
    size_t Q = (size_t)s->n_units + STEPS_N_EXTRA, cells = (size_t)STEPS_N_EVENTS * STEPS_N_CONDS * s->n_off;
    for (size_t c = 0; c < cells; c++)
        for (size_t q = 0; q < Q; q++) {
            double n = (double)s->n[c];
            if (s->n[c] == 0) s->mean[c * Q + q] = NAN;
            s->se[c * Q + q] = n > 1 ? sqrt(s->se[c * Q + q] / (n - 1.0) / n) : NAN;
        }
    int p = s->n_units;
    for (int u = 0; u < p; u++) {
        s->sel[STEPS_SEL_REWARD * p + u] = welch(s, STEPS_AT_OUTCOME, STEPS_REWARDED, STEPS_UNREWARDED, u);
        s->sel[STEPS_SEL_CHOICE * p + u] = welch(s, STEPS_AT_CHOICE, STEPS_ARM1, STEPS_ARM0, u);
    }
    for (int k = 0; k < STEPS_N_SEL; k++) rank_units(s->order + (size_t)k * p, s->sel + (size_t)k * p, p);
}

int neural_steps(EpisodeRecord *const *eps, int n_eps, int pre, int post, NeuralSteps **out)
{
    *out = NULL;
    if (pre < 0 || post < 0 || pre + post + 1 > STEPS_MAX_WINDOW || !neural_steps_present(eps, n_eps))
        return ANALYSIS_NODATA;
    NeuralSteps *s = calloc(1, sizeof *s);
    long *row0 = calloc((size_t)n_eps, sizeof *row0);
    double *x = NULL;
    int rc = ANALYSIS_NOMEM;
    if (!s || !row0) goto fail;
    s->pre = pre;
    s->post = post;
    s->n_off = pre + post + 1;
    if (shapes(eps, n_eps, s) != 0) {
        rc = ANALYSIS_NODATA;   /* (or out of memory for K bytes) */
        goto fail;
    }
    if ((rc = steps_pca(eps, n_eps, s, row0)) != ANALYSIS_OK) goto fail;
    rc = ANALYSIS_NOMEM;
    size_t p = (size_t)s->n_units, Q = p + STEPS_N_EXTRA, cells = (size_t)STEPS_N_EVENTS * STEPS_N_CONDS * s->n_off;
    s->n = calloc(cells, sizeof *s->n);
    s->mean = calloc(cells * Q, sizeof *s->mean);
    s->se = calloc(cells * Q, sizeof *s->se);
    s->sel = calloc(STEPS_N_SEL * p, sizeof *s->sel);
    s->order = calloc(STEPS_N_SEL * p, sizeof *s->order);
    x = malloc(Q * sizeof *x);
    if (!s->n || !s->mean || !s->se || !s->sel || !s->order || !x) goto fail;
    accumulate(eps, n_eps, s, row0, x);
    finish(s);
    free(row0);
    free(x);
    *out = s;
    return ANALYSIS_OK;
fail:
    neural_steps_free(s);
    free(row0);
    free(x);
    return rc;
}

static size_t index_of(const NeuralSteps *s, int ev, int cond, int d, int q)
{
    int w = d + s->pre, qq = q >= 0 ? q : s->n_units - 1 - q;   /* STEPS_POP -> p, PC1 -> p + 1, PC2 -> p + 2 */
    return cell(s, ev, cond, w) * ((size_t)s->n_units + STEPS_N_EXTRA) + (size_t)qq;
}

static int in_range(const NeuralSteps *s, int ev, int cond, int d, int q)
{
    return ev >= 0 && ev < STEPS_N_EVENTS && cond >= 0 && cond < STEPS_N_CONDS && d >= -s->pre && d <= s->post &&
           q >= -STEPS_N_EXTRA && q < s->n_units;
}

double neural_steps_mean(const NeuralSteps *s, int ev, int cond, int d, int q)
{
    return in_range(s, ev, cond, d, q) ? s->mean[index_of(s, ev, cond, d, q)] : NAN;
}

double neural_steps_se(const NeuralSteps *s, int ev, int cond, int d, int q)
{
    return in_range(s, ev, cond, d, q) ? s->se[index_of(s, ev, cond, d, q)] : NAN;
}

long neural_steps_n(const NeuralSteps *s, int ev, int cond, int d)
{
    return in_range(s, ev, cond, d, 0) ? s->n[cell(s, ev, cond, d + s->pre)] : 0;
}

int neural_steps_epoch(const NeuralSteps *s, int ev, int d, int *trial_shift)
{
    int at = s->pos[ev] + d, K = s->K;
    int shift = at >= 0 ? at / K : -((-at + K - 1) / K);
    if (trial_shift) *trial_shift = shift;
    return s->trial_epoch[at - shift * K];
}
