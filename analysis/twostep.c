/* analysis/twostep.c: the two-step stay analysis (see twostep.h).
**
** Each analysis walks the episodes once, with a per-episode table of the
** trials' transitions (+1 common, -1 rare, 0 unknown) built in one pass over
** the stage rows, and hands its design matrix to regress_logit.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "analysis/twostep.h"

const char *const twostep_cell_names[TS_N_CELLS] = { "rewarded_common", "rewarded_rare", "unrewarded_common",
                                                     "unrewarded_rare" };
const char *const twostep_cell_labels[TS_N_CELLS] = { "rewarded, common", "rewarded, rare", "unrewarded, common",
                                                      "unrewarded, rare" };

static int valid(const TrialRecord *tr) { return tr->action >= 0 && isfinite(tr->reward); }

static int transition_of(int action, int state)
{
    if (action < 0 || (state != 1 && state != 2)) return 0;
    return state == 1 + action ? 1 : -1;
}

int twostep_applies(EpisodeRecord *const *eps, int n_eps)
{
    for (int i = 0; i < n_eps; i++)
        for (int k = 0; k < eps[i]->n_stages; k++)
            if (eps[i]->stages[k].stage == 1) return 1;
    return 0;
}

int twostep_transition(const EpisodeRecord *e, int t)
{
    if (t < 0 || t >= e->n_trials) return 0;
    for (int k = 0; k < e->n_stages; k++)
        if (e->stages[k].t == t && e->stages[k].stage == 1) return transition_of(e->trials[t].action, e->stages[k].state);
    return 0;
}

/* tr[t] for every trial of e (tr has room for e->n_trials). */
static void fill_transitions(const EpisodeRecord *e, signed char *tr)
{
    memset(tr, 0, (size_t)e->n_trials);
    for (int k = 0; k < e->n_stages; k++) {
        const StageRecord *g = &e->stages[k];
        if (g->stage == 1 && g->t >= 0 && g->t < e->n_trials)
            tr[g->t] = (signed char)transition_of(e->trials[g->t].action, g->state);
    }
}

static int max_trials(EpisodeRecord *const *eps, int n)
{
    int m = 1;
    for (int i = 0; i < n; i++)
        if (eps[i]->n_trials > m) m = eps[i]->n_trials;
    return m;
}

/* The cell of trial t as the earlier trial of a pair, or -1. */
static int cell_of(const TrialRecord *tr, int x)
{
    if (!valid(tr) || x == 0) return -1;
    return (tr->reward > 0 ? 0 : 2) + (x > 0 ? 0 : 1);
}

int twostep_stay(EpisodeRecord *const *eps, int n_eps, TwoStepStay *s)
{
    memset(s, 0, sizeof *s);
    for (int c = 0; c < TS_N_CELLS; c++)
        s->p[c] = s->se[c] = s->ci[c][0] = s->ci[c][1] = s->ep_median[c] = s->ep_q25[c] = s->ep_q75[c] = NAN;
    signed char *tr = malloc((size_t)max_trials(eps, n_eps));
    double *per = malloc((size_t)(n_eps > 0 ? n_eps : 1) * TS_N_CELLS * sizeof *per);
    if (!tr || !per) {
        free(tr);
        free(per);
        return ANALYSIS_NOMEM;
    }
    for (int i = 0; i < n_eps; i++) {
        const EpisodeRecord *e = eps[i];
        long n[TS_N_CELLS] = { 0 }, k[TS_N_CELLS] = { 0 };
        fill_transitions(e, tr);
        for (int t = 1; t < e->n_trials; t++) {
            int c = cell_of(&e->trials[t - 1], tr[t - 1]);
            if (c < 0 || !valid(&e->trials[t])) continue;
            n[c]++;
            k[c] += e->trials[t].action == e->trials[t - 1].action;
        }
        for (int c = 0; c < TS_N_CELLS; c++) {
            s->n[c] += n[c];
            s->stays[c] += k[c];
            if (n[c] > 0) per[(size_t)c * n_eps + s->n_eps[c]++] = (double)k[c] / (double)n[c];
        }
    }
    for (int c = 0; c < TS_N_CELLS; c++) {
        s->n_pairs += s->n[c];
        if (s->n[c] > 0) {
            double p = (double)s->stays[c] / (double)s->n[c];
            s->p[c] = p;
            s->se[c] = sqrt(p * (1.0 - p) / (double)s->n[c]);
            stats_wilson(s->stays[c], s->n[c], 0.95, &s->ci[c][0], &s->ci[c][1]);
        }
        if (s->n_eps[c] > 0) {
            double *v = per + (size_t)c * n_eps;
            gsl_sort(v, 1, (size_t)s->n_eps[c]);
            s->ep_median[c] = gsl_stats_quantile_from_sorted_data(v, 1, (size_t)s->n_eps[c], 0.5);
            s->ep_q25[c] = gsl_stats_quantile_from_sorted_data(v, 1, (size_t)s->n_eps[c], 0.25);
            s->ep_q75[c] = gsl_stats_quantile_from_sorted_data(v, 1, (size_t)s->n_eps[c], 0.75);
        }
    }
    free(tr);
    free(per);
    return s->n_pairs > 0 ? ANALYSIS_OK : ANALYSIS_NODATA;
}

/* Rows of the stay regression (X: 1, r, x, r x; y: stay); with X NULL only
** count them. */
static long stay_rows(EpisodeRecord *const *eps, int n_eps, signed char *tr, double *X, double *y)
{
    long m = 0;
    for (int i = 0; i < n_eps; i++) {
        const EpisodeRecord *e = eps[i];
        fill_transitions(e, tr);
        for (int t = 1; t < e->n_trials; t++) {
            const TrialRecord *a = &e->trials[t - 1], *b = &e->trials[t];
            if (cell_of(a, tr[t - 1]) < 0 || !valid(b)) continue;
            if (X) {
                double r = a->reward > 0 ? 1.0 : -1.0, x = tr[t - 1];
                double *row = X + (size_t)m * 4;
                row[0] = 1.0;
                row[1] = r;
                row[2] = x;
                row[3] = r * x;
                y[m] = b->action == a->action;
            }
            m++;
        }
    }
    return m;
}

int twostep_regression(EpisodeRecord *const *eps, int n_eps, double lambda, TwoStepRegression *r)
{
    memset(r, 0, sizeof *r);
    r->intercept = r->intercept_se = r->reward = r->reward_se = NAN;
    r->transition = r->transition_se = r->interaction = r->interaction_se = NAN;
    signed char *tr = malloc((size_t)max_trials(eps, n_eps));
    if (!tr) return ANALYSIS_NOMEM;
    long m = stay_rows(eps, n_eps, tr, NULL, NULL);
    double *X = malloc((size_t)(m > 0 ? m : 1) * 4 * sizeof *X), *y = malloc((size_t)(m > 0 ? m : 1) * sizeof *y);
    int rc = ANALYSIS_NOMEM;
    if (X && y) {
        stay_rows(eps, n_eps, tr, X, y);
        rc = regress_logit(X, y, (int)m, 4, lambda, NULL, 0, &r->fit);
        if (rc == ANALYSIS_OK) {
            double *b = r->fit.coef, *se = r->fit.se;
            r->intercept = b[0], r->intercept_se = se[0];
            r->reward = b[1], r->reward_se = se[1];
            r->transition = b[2], r->transition_se = se[2];
            r->interaction = b[3], r->interaction_se = se[3];
        }
    }
    free(tr);
    free(X);
    free(y);
    return rc;
}

/* Rows of the lagged regression; with X NULL only count them. */
static long lagged_rows(EpisodeRecord *const *eps, int n_eps, int K, signed char *tr, double *X, double *y)
{
    long m = 0;
    int p = 1 + 4 * K;
    for (int i = 0; i < n_eps; i++) {
        const EpisodeRecord *e = eps[i];
        fill_transitions(e, tr);
        for (int t = K; t < e->n_trials; t++) {
            int ok = valid(&e->trials[t]);
            for (int k = 1; k <= K && ok; k++) ok = valid(&e->trials[t - k]) && tr[t - k] != 0;
            if (!ok) continue;
            if (X) {
                double *row = X + (size_t)m * p;
                row[0] = 1.0;
                for (int k = 1; k <= K; k++) {
                    const TrialRecord *a = &e->trials[t - k];
                    double c = a->action == 1 ? 1.0 : -1.0, r = a->reward > 0 ? 1.0 : -1.0, x = tr[t - k];
                    double *q = row + 1 + 4 * (k - 1);
                    q[0] = c;
                    q[1] = c * r;
                    q[2] = c * x;
                    q[3] = c * r * x;
                }
                y[m] = e->trials[t].action == 1;
            }
            m++;
        }
    }
    return m;
}

int twostep_lagged(EpisodeRecord *const *eps, int n_eps, int lags, double lambda, TwoStepLagged *r)
{
    memset(r, 0, sizeof *r);
    int K = lags < 1 ? 1 : lags > TWOSTEP_MAX_LAGS ? TWOSTEP_MAX_LAGS : lags, p = 1 + 4 * K;
    r->lags = K;
    r->bias = r->bias_se = NAN;
    for (int k = 0; k < TWOSTEP_MAX_LAGS; k++)
        r->choice[k] = r->choice_se[k] = r->reward[k] = r->reward_se[k] = r->transition[k] = r->transition_se[k] =
            r->interaction[k] = r->interaction_se[k] = NAN;
    signed char *tr = malloc((size_t)max_trials(eps, n_eps));
    if (!tr) return ANALYSIS_NOMEM;
    long m = lagged_rows(eps, n_eps, K, tr, NULL, NULL);
    double *X = malloc((size_t)(m > 0 ? m : 1) * (size_t)p * sizeof *X), *y = malloc((size_t)(m > 0 ? m : 1) * sizeof *y);
    int rc = ANALYSIS_NOMEM;
    if (X && y) {
        lagged_rows(eps, n_eps, K, tr, X, y);
        rc = regress_logit(X, y, (int)m, p, lambda, NULL, 0, &r->fit);
        if (rc == ANALYSIS_OK) {
            const double *b = r->fit.coef, *se = r->fit.se;
            r->bias = b[0], r->bias_se = se[0];
            for (int k = 0; k < K; k++) {
                int j = 1 + 4 * k;
                r->choice[k] = b[j], r->choice_se[k] = se[j];
                r->reward[k] = b[j + 1], r->reward_se[k] = se[j + 1];
                r->transition[k] = b[j + 2], r->transition_se[k] = se[j + 2];
                r->interaction[k] = b[j + 3], r->interaction_se[k] = se[j + 3];
            }
        }
    }
    free(tr);
    free(X);
    free(y);
    return rc;
}

/* ---- reference values ---- */

static int ref_fail(char *err, size_t n, const char *path, int line, const char *what)
{
    snprintf(err, n, "%s:%d: %s", path, line, what);
    return -1;
}

/* Split line at tabs into at most max fields (in place); return the count. */
static int split_tabs(char *line, char **f, int max)
{
    int n = 0;
    for (char *p = line; n < max;) {
        f[n++] = p;
        char *tab = strchr(p, '\t');
        if (!tab) break;
        *tab = '\0';
        p = tab + 1;
    }
    return n;
}

int twostep_refs_read(const char *path, TwoStepRef *refs, int max, char *err, size_t n_err)
{
    static const char *const cols[] = { "key", "label", "rewarded_common", "rewarded_rare", "unrewarded_common",
                                        "unrewarded_rare", "kind", "variant", "source" };
    enum { N_COLS = sizeof cols / sizeof cols[0] };
    FILE *f = fopen(path, "r");
    if (!f) return ref_fail(err, n_err, path, 0, "cannot read");
    char line[2048], *fld[N_COLS];
    int lineno = 0, header = 0, n = 0, rc = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || !line[0]) continue;
        int m = split_tabs(line, fld, N_COLS);
        if (!header) {
            for (int k = 0; k < N_COLS; k++)
                if (m != N_COLS || strcmp(fld[k], cols[k])) {
                    rc = ref_fail(err, n_err, path, lineno, "expected the header 'key label rewarded_common "
                                                            "rewarded_rare unrewarded_common unrewarded_rare kind "
                                                            "variant source'");
                    goto done;
                }
            header = 1;
            continue;
        }
        if (m != N_COLS) {
            rc = ref_fail(err, n_err, path, lineno, "expected 9 tab-separated fields");
            goto done;
        }
        if (strcmp(fld[7], "wang") && strcmp(fld[7], "daw") && strcmp(fld[7], "wang,daw")) {
            rc = ref_fail(err, n_err, path, lineno, "expected the variant 'wang', 'daw' or 'wang,daw'");
            goto done;
        }
        if (n == max) break;
        TwoStepRef *r = &refs[n];
        snprintf(r->key, sizeof r->key, "%s", fld[0]);
        snprintf(r->label, sizeof r->label, "%s", fld[1]);
        snprintf(r->kind, sizeof r->kind, "%s", fld[6]);
        snprintf(r->variant, sizeof r->variant, "%s", fld[7]);
        snprintf(r->source, sizeof r->source, "%s", fld[8]);
        for (int c = 0; c < TS_N_CELLS; c++) {
            char *end;
            r->p[c] = strtod(fld[2 + c], &end);
            if (end == fld[2 + c] || *end || !(r->p[c] >= 0 && r->p[c] <= 1)) {
                rc = ref_fail(err, n_err, path, lineno, "expected a probability (0..1) in each stay column");
                goto done;
            }
        }
        n++;
    }
    rc = header ? n : ref_fail(err, n_err, path, lineno, "no header line");
done:
    fclose(f);
    return rc;
}

static int exists(const char *p) { return access(p, R_OK) == 0; }

int twostep_refs_find(char *out, size_t n)
{
    const char *rel = "published/twostep_stay.tsv";
    const char *env = getenv("METARL_DATA");
    if (env && *env && snprintf(out, n, "%s/%s", env, rel) < (int)n && exists(out)) return 0;
    if (snprintf(out, n, "data/%s", rel) < (int)n && exists(out)) return 0;
    char exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe[len] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            if (snprintf(out, n, "%s/../data/%s", exe, rel) < (int)n && exists(out)) return 0;
            if (snprintf(out, n, "%s/../../data/%s", exe, rel) < (int)n && exists(out)) return 0;
        }
    }
    return -1;
}

int twostep_ref_for_variant(const TwoStepRef *ref, const char *variant)
{
    return !strcmp(ref->variant, "wang,daw") || !strcmp(ref->variant, variant);
}

const char *twostep_title_variant(const char *task_title)
{
    if (!task_title) return NULL;
    if (strstr(task_title, "variant=daw")) return "daw";
    if (strstr(task_title, "variant=wang")) return "wang";
    return NULL;
}
