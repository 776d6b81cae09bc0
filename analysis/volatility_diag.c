/* analysis/volatility_diag.c: switch probabilities, accuracy and decoded
** context per stretch of the volatility task (see volatility_diag.h). The
** stretch kind of each trial comes from volfit_stretches
** (analysis/volatility_fit.h); its position from the last change of kind.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/volatility_diag.h"
#include "analysis/volatility_fit.h"

static double ratio(long k, long n) { return n > 0 ? (double)k / (double)n : NAN; }

/* Kind, stretch slot (0 first, 1 later) and position in the stretch of
** each trial of e into kind[], slot[], pos[]; return the known trials. */
static int stretch_layout(const EpisodeRecord *e, signed char *kind, unsigned char *slot, int *pos)
{
    int known = volfit_stretches(e, kind), changes = 0, start = 0;
    for (int t = 0; t < e->n_trials; t++) {
        if (t > 0 && kind[t] != kind[t - 1]) {
            changes += kind[t - 1] != VOLFIT_UNKNOWN && kind[t] != VOLFIT_UNKNOWN;
            start = t;
        }
        slot[t] = changes > 0;
        pos[t] = t - start;
    }
    return known;
}

static int pos_bin(int pos) { return pos / VOLDIAG_BIN < VOLDIAG_NBIN ? pos / VOLDIAG_BIN : VOLDIAG_NBIN - 1; }

static int valid(const TrialRecord *tr) { return tr->action >= 0 && isfinite(tr->reward); }

static void count_episode(const EpisodeRecord *e, const signed char *kind, const unsigned char *slot,
                          const int *pos, VolDiag *d, long pos_switch[2][2][VOLDIAG_NBIN],
                          long since_best[2][VOLDIAG_SR])
{
    for (int t = 0; t < e->n_trials; t++) {
        const TrialRecord *tr = &e->trials[t];
        if (kind[t] == VOLFIT_UNKNOWN || !valid(tr)) continue;
        VolDiagKind *k = &d->kind[kind[t]];
        if (tr->truth.best >= 0) {
            int best = tr->action == tr->truth.best;
            k->n_acc++;
            k->n_best += best;
            if (tr->truth.since_reversal >= 0) {
                int s = tr->truth.since_reversal < VOLDIAG_SR ? tr->truth.since_reversal : VOLDIAG_SR - 1;
                k->n_since[s]++;
                since_best[kind[t]][s] += best;
            }
        }
        if (t == 0 || !valid(&e->trials[t - 1])) continue;
        int sw = tr->action != e->trials[t - 1].action;
        if (e->trials[t - 1].reward > 0) {
            k->n_win++;
            k->n_switch_win += sw;
        } else {
            k->n_loss++;
            k->n_switch_loss += sw;
            int b = pos_bin(pos[t]);
            k->n_pos_loss[slot[t]][b]++;
            pos_switch[kind[t]][slot[t]][b] += sw;
        }
    }
}

int voldiag_behaviour(EpisodeRecord *const *eps, int n_eps, VolDiag *out)
{
    memset(out, 0, sizeof *out);
    int max_t = 1;
    for (int i = 0; i < n_eps; i++)
        if (eps[i]->n_trials > max_t) max_t = eps[i]->n_trials;
    signed char *kind = malloc((size_t)max_t);
    unsigned char *slot = malloc((size_t)max_t);
    int *pos = malloc(sizeof *pos * (size_t)max_t);
    if (!kind || !slot || !pos) {
        free(kind);
        free(slot);
        free(pos);
        return ANALYSIS_NOMEM;
    }
    long pos_switch[2][2][VOLDIAG_NBIN] = { { { 0 } } }, since_best[2][VOLDIAG_SR] = { { 0 } };
    for (int i = 0; i < n_eps; i++) {
        if (stretch_layout(eps[i], kind, slot, pos) == 0) continue;
        out->n_episodes++;
        count_episode(eps[i], kind, slot, pos, out, pos_switch, since_best);
    }
    free(kind);
    free(slot);
    free(pos);
    for (int c = 0; c < 2; c++) {
        VolDiagKind *k = &out->kind[c];
        k->p_switch_loss = ratio(k->n_switch_loss, k->n_loss);
        k->p_switch_win = ratio(k->n_switch_win, k->n_win);
        k->accuracy = ratio(k->n_best, k->n_acc);
        for (int s = 0; s < VOLDIAG_SR; s++) k->acc_since[s] = ratio(since_best[c][s], k->n_since[s]);
        for (int h = 0; h < 2; h++)
            for (int b = 0; b < VOLDIAG_NBIN; b++) k->psl_pos[h][b] = ratio(pos_switch[c][h][b], k->n_pos_loss[h][b]);
    }
    long n = out->kind[0].n_acc + out->kind[0].n_loss + out->kind[0].n_win + out->kind[1].n_acc +
             out->kind[1].n_loss + out->kind[1].n_win;
    return n > 0 ? ANALYSIS_OK : ANALYSIS_NODATA;
}

/* ---- decoding ----------------------------------------------------------------------------------- */

typedef struct {
    double *X, *y;      /* (n, p) rows: 1, rates; y the kind */
    signed char *kind;
    short *bin;
    long n;
} Rows;

/* The rows of the episodes of parity `half` (0 even, 1 odd). */
static int rows_build(EpisodeRecord *const *eps, int n_eps, int half, int units, Rows *r, signed char *kind,
                      unsigned char *slot, int *pos)
{
    long cap = 0;
    memset(r, 0, sizeof *r);
    for (int i = half; i < n_eps; i += 2) cap += eps[i]->n_trials;
    int p = units + 1;
    r->X = malloc(sizeof *r->X * (size_t)(cap * p + 1));
    r->y = malloc(sizeof *r->y * (size_t)(cap + 1));
    r->kind = malloc((size_t)cap + 1);
    r->bin = malloc(sizeof *r->bin * (size_t)(cap + 1));
    if (!r->X || !r->y || !r->kind || !r->bin) return ANALYSIS_NOMEM;
    for (int i = half; i < n_eps; i += 2) {
        const EpisodeRecord *e = eps[i];
        if (e->n_units < units || !e->activity || stretch_layout(e, kind, slot, pos) == 0) continue;
        for (int t = 0; t < e->n_trials; t++) {
            if (kind[t] == VOLFIT_UNKNOWN) continue;
            double *x = r->X + r->n * p;
            x[0] = 1.0;
            for (int u = 0; u < units; u++) x[1 + u] = e->activity[(size_t)t * (size_t)e->n_units + (size_t)u];
            r->y[r->n] = kind[t] == VOLFIT_VOLATILE;
            r->kind[r->n] = kind[t];
            r->bin[r->n] = (short)pos_bin(pos[t]);
            r->n++;
        }
    }
    return ANALYSIS_OK;
}

static void rows_free(Rows *r)
{
    free(r->X);
    free(r->y);
    free(r->kind);
    free(r->bin);
}

static int both_kinds(const Rows *r)
{
    long v = 0;
    for (long i = 0; i < r->n; i++) v += r->y[i] > 0.5;
    return v > 0 && v < r->n;
}

static void score(const Rows *te, const LogitFit *f, int p, VolDecode *out)
{
    long right = 0, pos_right[2][VOLDIAG_NBIN] = { { 0 } };
    for (long i = 0; i < te->n; i++) {
        double eta = 0.0;
        for (int j = 0; j < p; j++) eta += f->coef[j] * te->X[i * p + j];
        int ok = (eta > 0.0) == (te->y[i] > 0.5);
        right += ok;
        out->n_pos[te->kind[i]][te->bin[i]]++;
        pos_right[te->kind[i]][te->bin[i]] += ok;
    }
    out->accuracy = ratio(right, te->n);
    for (int c = 0; c < 2; c++)
        for (int b = 0; b < VOLDIAG_NBIN; b++) out->acc_pos[c][b] = ratio(pos_right[c][b], out->n_pos[c][b]);
}

int voldiag_decode(EpisodeRecord *const *eps, int n_eps, double lambda, VolDecode *out)
{
    memset(out, 0, sizeof *out);
    out->accuracy = NAN;
    int units = -1, max_t = 1;
    for (int i = 0; i < n_eps; i++) {
        int u = eps[i]->activity ? eps[i]->n_pfc : 0;
        if (units < 0 || u < units) units = u;
        if (eps[i]->n_trials > max_t) max_t = eps[i]->n_trials;
    }
    if (units <= 0 || units + 1 > REGRESS_MAX_P) return ANALYSIS_NODATA;
    out->n_units = units;
    signed char *kind = malloc((size_t)max_t);
    unsigned char *slot = malloc((size_t)max_t);
    int *pos = malloc(sizeof *pos * (size_t)max_t);
    Rows tr = { 0 }, te = { 0 };
    int rc = kind && slot && pos ? rows_build(eps, n_eps, 0, units, &tr, kind, slot, pos) : ANALYSIS_NOMEM;
    if (rc == ANALYSIS_OK) rc = rows_build(eps, n_eps, 1, units, &te, kind, slot, pos);
    free(kind);
    free(slot);
    free(pos);
    out->n_train = tr.n;
    out->n_test = te.n;
    if (rc == ANALYSIS_OK && (!both_kinds(&tr) || !both_kinds(&te))) rc = ANALYSIS_NODATA;
    LogitFit f;
    if (rc == ANALYSIS_OK) rc = regress_logit(tr.X, tr.y, (int)tr.n, units + 1, lambda, NULL, 0, &f);
    if (rc == ANALYSIS_OK) {
        out->converged = f.converged;
        score(&te, &f, units + 1, out);
    }
    rows_free(&te);
    rows_free(&tr);
    return rc;
}
