/* tests/bench_fit.c: how long `metarl fit` takes (analysis/fit.h): every
** classical model of the table fitted by maximum likelihood to the shipped
** Reiter reversal data (22 subjects x 160 trials), without and with 5-fold
** block cross-validation. Issue 12's target: all classical models in <= 10 s
** without cross-validation; and the tiny RNNs (1, 2, 4, 8 units; nested
** 5-fold cross-validation over subjects plus the all-subject network; one
** core) and the tiny GRUs (1, 2, 4, 8 units, the same way), target <= 5 min
** for the tanh four. Prints seconds per setting (run by
** `make bench`).
**
**     build/tests/bench_fit
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis/fit.h"
#include "analysis/fit_net.h"
#include "analysis/import.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(void)
{
    ImportSpec spec;
    import_spec_csv(&spec);
    spec.choice_col = "A";
    spec.reward_col = "R";
    spec.correct_col = "S";
    spec.reward_codes[1] = "-1";
    spec.p_high = 0.8;
    spec.p_low = 0.2;
    EpisodeRecord **eps;
    int n;
    char err[512];
    if (import_read("data/human/prl_reiter2017_predchange.csv", &spec, &eps, &n, err, sizeof err) != 0) {
        fprintf(stderr, "bench_fit: %s\n", err);
        return 1;
    }
    int a[1024];
    double r[1024];
    for (int cv = 0; cv <= 5; cv += 5) {
        FitOptions o;
        fit_options_default(&o);
        o.cv = cv;
        double t0 = now_s(), total = 0.0;
        int fits = 0, n_models = 0;
        for (const FitModel *const *m = fit_models; *m; m++) {
            if ((*m)->kind != FIT_KIND_CLASSIC) continue;
            n_models++;
            double tm = now_s();
            for (int i = 0; i < n; i++) {
                FitSubject s;
                FitResult res;
                fit_subject_from_episode(eps[i], a, r, &s);
                if (fit_subject(*m, &s, &o, i, &res) == FIT_OK) fits++;
            }
            printf("  %-9s cv %d: %6.3f s\n", (*m)->name, cv, now_s() - tm);
        }
        total = now_s() - t0;
        printf("all %d models x %d subjects x 160 trials, cv %d: %d fits in %.2f s (target <= 10 s without cv)\n",
               n_models, n, cv, fits, total);
    }
    int (*aa)[1024] = malloc((size_t)n * sizeof *aa);
    double (*rr)[1024] = malloc((size_t)n * sizeof *rr);
    FitSubject *subs = malloc((size_t)n * sizeof *subs);
    FitResult *res = malloc((size_t)n * sizeof *res);
    if (!aa || !rr || !subs || !res) return 1;
    for (int i = 0; i < n; i++) fit_subject_from_episode(eps[i], aa[i], rr[i], &subs[i]);
    double t_all = now_s();
    for (const FitModel *const *m = fit_models; *m; m++) {
        if ((*m)->kind != FIT_KIND_TINYRNN) continue;
        double tm = now_s(), held = 0.0;
        long nt = 0;
        if (fit_rnn_cv(*m, subs, n, 5, 1, res, NULL) != FIT_OK) return 1;
        for (int i = 0; i < n; i++) held -= res[i].heldout_loglik, nt += res[i].n_trials;
        printf("  %-9s nested 5-fold cv over subjects: %6.2f s (held-out NLL/trial %.4f)\n", (*m)->name, now_s() - tm,
               held / nt);
    }
    printf("the tiny networks (tanh RNNs and GRUs): %.1f s on one core (target <= 5 min on 2 cores)\n", now_s() - t_all);
    free(aa);
    free(rr);
    free(subs);
    free(res);
    import_free(eps, n);
    return 0;
}
