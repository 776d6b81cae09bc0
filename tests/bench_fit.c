/* tests/bench_fit.c: how long `metarl fit` takes (analysis/fit.h): every
** classical model of the table fitted by maximum likelihood to the shipped
** Reiter reversal data (22 subjects x 160 trials), without and with 5-fold
** block cross-validation. Issue 12's target: all classical models in <= 10 s
** without cross-validation. Prints seconds per setting (run by `make bench`).
**
**     build/tests/bench_fit
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis/fit.h"
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
        for (const FitModel *const *m = fit_models; *m; m++, n_models++) {
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
    import_free(eps, n);
    return 0;
}
