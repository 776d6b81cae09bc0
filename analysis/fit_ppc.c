/* analysis/fit_ppc.c: posterior predictive checks (see fit_ppc.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/fit_net.h"
#include "analysis/fit_ppc.h"
#include "core/rng.h"

typedef struct Counts {
    double win_n, win_stay, loss_n, loss_stay;
    double rev_n[FIT_PPC_N_LAGS], rev_k[FIT_PPC_N_LAGS];
} Counts;

static int best_arm(const FitSchedule *sc, int t)
{
    double a = sc->p0[t], b = sc->p1[t];
    if (!isfinite(a) || !isfinite(b) || a == b) return -1;
    return b > a;
}

/* Add one sequence's stays and reversal-aligned choices to c. */
static void count_seq(const int *a, const double *r, int n, const FitSchedule *sc, Counts *c)
{
    for (int t = 1; t < n; t++) {
        if (a[t] < 0 || a[t - 1] < 0) continue;
        if (r[t - 1] > 0.5) c->win_n += 1.0, c->win_stay += a[t] == a[t - 1];
        else c->loss_n += 1.0, c->loss_stay += a[t] == a[t - 1];
    }
    for (int t = 1; t < n; t++) {
        int b = best_arm(sc, t), b0 = best_arm(sc, t - 1);
        if (b < 0 || b0 < 0 || b == b0) continue;
        for (int i = 0; i < FIT_PPC_N_LAGS; i++) {
            int u = t + FIT_PPC_LAG_MIN + i;
            if (u < 0 || u >= n || a[u] < 0) continue;
            c->rev_n[i] += 1.0;
            c->rev_k[i] += a[u] == b;
        }
    }
}

static void put_subject(FitPpc *p, int row, int q, const Counts *c)
{
    size_t k = (size_t)row * (size_t)p->n_subjects + (size_t)q;
    p->sw[k] = c->win_n > 0 ? c->win_stay / c->win_n : NAN;
    p->sl[k] = c->loss_n > 0 ? c->loss_stay / c->loss_n : NAN;
    for (int i = 0; i < FIT_PPC_N_LAGS; i++)
        p->rev[k * FIT_PPC_N_LAGS + (size_t)i] = c->rev_n[i] > 0 ? c->rev_k[i] / c->rev_n[i] : NAN;
}

/* Mean and SE over the finite values v[0], v[stride], ... (n of them). */
static void mean_se(const double *v, int n, size_t stride, double *mean, double *se, int *k_out)
{
    double s = 0.0, q = 0.0;
    int k = 0;
    for (int i = 0; i < n; i++) {
        double x = v[(size_t)i * stride];
        if (!isfinite(x)) continue;
        s += x;
        q += x * x;
        k++;
    }
    *mean = k ? s / k : NAN;
    *se = k > 1 ? sqrt(fmax(0.0, (q - k * *mean * *mean) / (k - 1)) / k) : NAN;
    if (k_out) *k_out = k;
}

static void summarize(FitPpc *p, int row)
{
    FitPpcRow *w = &p->rows[row];
    size_t base = (size_t)row * (size_t)p->n_subjects;
    mean_se(p->sw + base, p->n_subjects, 1, &w->stay_win, &w->stay_win_se, &w->n_subjects);
    mean_se(p->sl + base, p->n_subjects, 1, &w->stay_loss, &w->stay_loss_se, NULL);
    for (int i = 0; i < FIT_PPC_N_LAGS; i++)
        mean_se(p->rev + base * FIT_PPC_N_LAGS + (size_t)i, p->n_subjects, FIT_PPC_N_LAGS, &w->rev[i], &w->rev_se[i],
                NULL);
}

/* reps simulations of model m with x on subject s's schedule, counted into c. */
static void simulate(const FitModel *m, const double *x, FitNet *net, const FitSubject *s, const FitSchedule *sc,
                     int reps, gsl_rng *rng, int *a, double *r, Counts *c)
{
    FitTask task = s->task;
    task.cue = NULL;
    task.net = net;
    for (int k = 0; k < reps; k++) {
        double st[FIT_STATE_MAX];
        m->init(x, &task, st);
        int n = 0;
        for (int t = 0; t < s->n; t++, n++) {
            if (!isfinite(sc->p0[t]) || !isfinite(sc->p1[t])) break;
            a[t] = gsl_rng_uniform(rng) < m->p1(x, &task, st) ? 1 : 0;
            r[t] = gsl_rng_uniform(rng) < (a[t] ? sc->p1[t] : sc->p0[t]) ? 1.0 : 0.0;
            m->update(x, &task, st, a[t], r[t]);
        }
        count_seq(a, r, n, sc, c);
    }
}

int fit_ppc(const FitModel *const *models, int n_models, const FitResult *res, FitNet *const *nets,
            const FitSubject *s, const FitSchedule *sched, int n_subjects, int reps, unsigned long seed, FitPpc *out)
{
    memset(out, 0, sizeof *out);
    if (reps < 1 || n_subjects < 1) return FIT_BADARG;
    out->n_rows = n_models + 1;
    out->n_subjects = n_subjects;
    out->reps = reps;
    size_t cells = (size_t)out->n_rows * (size_t)n_subjects;
    int max_n = 1;
    for (int q = 0; q < n_subjects; q++) max_n = s[q].n > max_n ? s[q].n : max_n;
    out->sw = malloc(cells * sizeof *out->sw);
    out->sl = malloc(cells * sizeof *out->sl);
    out->rev = malloc(cells * FIT_PPC_N_LAGS * sizeof *out->rev);
    int *a = malloc((size_t)max_n * sizeof *a);
    double *r = malloc((size_t)max_n * sizeof *r);
    gsl_rng *rng = rng_alloc();
    int rc = FIT_NOMEM;
    if (!out->sw || !out->sl || !out->rev || !a || !r || !rng) goto done;
    snprintf(out->rows[0].name, sizeof out->rows[0].name, "people");
    for (int q = 0; q < n_subjects; q++) {
        Counts c;
        memset(&c, 0, sizeof c);
        count_seq(s[q].a, s[q].r, s[q].n, &sched[q], &c);
        put_subject(out, 0, q, &c);
    }
    summarize(out, 0);
    for (int m = 0; m < n_models; m++) {
        snprintf(out->rows[m + 1].name, sizeof out->rows[m + 1].name, "%s", models[m]->name);
        for (int q = 0; q < n_subjects; q++) {
            const FitResult *f = &res[(size_t)m * (size_t)n_subjects + (size_t)q];
            Counts c;
            memset(&c, 0, sizeof c);
            gsl_rng_set(rng, rng_mix64(seed * 0x9E3779B97F4A7C15ull + (uint64_t)(m * 100003 + q)));
            if (f->n_trials > 0) simulate(models[m], f->x, nets ? nets[m] : NULL, &s[q], &sched[q], reps, rng, a, r, &c);
            put_subject(out, m + 1, q, &c);
        }
        summarize(out, m + 1);
    }
    rc = FIT_OK;
done:
    free(a);
    free(r);
    if (rng) gsl_rng_free(rng);
    if (rc != FIT_OK) fit_ppc_free(out);
    return rc;
}

void fit_ppc_free(FitPpc *p)
{
    free(p->sw);
    free(p->sl);
    free(p->rev);
    memset(p, 0, sizeof *p);
}

void fit_ppc_print(const FitPpc *p, FILE *f)
{
    fprintf(f, "posterior predictive check: %d simulations per subject on its own schedule; mean +- SE over "
               "subjects\n%-10s %4s %17s %17s\n", p->reps, "source", "subj", "p(stay|win)", "p(stay|loss)");
    for (int i = 0; i < p->n_rows; i++) {
        const FitPpcRow *w = &p->rows[i];
        fprintf(f, "%-10s %4d %8.4f +- %.4f %8.4f +- %.4f\n", w->name, w->n_subjects, w->stay_win, w->stay_win_se,
                w->stay_loss, w->stay_loss_se);
    }
    fprintf(f, "\nreversal curve: P(choosing the new best arm) by lag from the reversal, mean over subjects\n%-4s", "lag");
    for (int i = 0; i < p->n_rows; i++) fprintf(f, " %9s", p->rows[i].name);
    fprintf(f, "\n");
    for (int l = 0; l < FIT_PPC_N_LAGS; l++) {
        fprintf(f, "%+4d", FIT_PPC_LAG_MIN + l);
        for (int i = 0; i < p->n_rows; i++) fprintf(f, " %9.4f", p->rows[i].rev[l]);
        fprintf(f, "\n");
    }
}
