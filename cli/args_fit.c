/* cli/args_fit.c: argument helpers of `metarl fit` (cli/cmd_fit.c) and its
** recovery mode `metarl fit --recover M[,M...] [--from DB:RUN] [--subjects N]
** [--trials T] [--schedule S] [--winner bic|aic|cv] [--trace FILE]`: parameter
** recovery (and, for several models, the model-recovery confusion matrix
** with 95% Wilson intervals, a check that no model's own fit ends below the
** likelihood of its generating parameters, and with --trace a TSV line per
** simulated subject: model, subject, winner, gain, parameters) on simulated
** subjects whose parameters are drawn uniformly from the models' recovery
** ranges or, with --from, resampled from the stored fits of a run
** (jobs/fit_job.c reads them; analysis/fit.c simulates and refits).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/args_fit.h"
#include "analysis/regress.h"
#include "jobs/fit_job.h"

int fit_parse_models(const char *flag, const char *v, const FitModel **models, int *n)
{
    char buf[512], names[512];
    *n = 0;
    snprintf(buf, sizeof buf, "%s", v);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int all = !strcmp(tok, "all");
        for (const FitModel *const *p = fit_models; *p; p++) {
            const FitModel *m = all ? (*p)->kind == FIT_KIND_CLASSIC ? *p : NULL : fit_model_find(tok);
            if (!m && all) continue;
            if (!m) {
                fit_model_names(names, sizeof names);
                return cli_fail(EXIT_USAGE, "--%s: unknown model '%s' (known: %s, or all)", flag, tok, names);
            }
            for (int i = 0; i < *n; i++)
                if (models[i] == m) return cli_fail(EXIT_USAGE, "--%s: model '%s' named twice", flag, m->name);
            if (*n == FIT_MAX_MODELS) return cli_fail(EXIT_USAGE, "--%s: more than %d models", flag, FIT_MAX_MODELS);
            models[(*n)++] = m;
            if (!all) break;
        }
    }
    if (*n == 0) return cli_fail(EXIT_USAGE, "--%s: no model named", flag);
    return EXIT_OK;
}

int fit_flag_long(const CmdArgs *a, const char *name, long lo, long hi, long *out)
{
    const char *v = arg_flag(a, name);
    if (v && (parse_long(v, out) != 0 || *out < lo || *out > hi))
        return cli_fail(EXIT_USAGE, "--%s: '%s' is not a whole number from %ld to %ld", name, v, lo, hi);
    return EXIT_OK;
}

/* --from DB:RUN: each model's fitted population into pops (x freed by the caller). */
static int populations(const CmdArgs *a, const FitModel **models, int n_models, FitPopulation *pops)
{
    const char *v = arg_flag(a, "from");
    char db[4096], err[1024];
    const char *colon = v ? strrchr(v, ':') : NULL;
    long run;
    if (!v) return EXIT_OK;
    if (!colon || colon == v || parse_long(colon + 1, &run) != 0 || run < 1)
        return cli_fail(EXIT_USAGE, "--from: '%s' is not DB:RUN (a store and the id of a run with stored fits)", v);
    snprintf(db, sizeof db, "%.*s", (int)(colon - v), v);
    for (int m = 0; m < n_models; m++) {
        double *x;
        int rc = fit_job_population(db, run, models[m], &x, &pops[m].n, err, sizeof err);
        if (rc != FIT_JOB_OK) return cli_fail(rc == FIT_JOB_BADINPUT ? EXIT_USAGE : EXIT_FAILED, "%s", err);
        pops[m].x = x;
    }
    return EXIT_OK;
}

static void print_confusion(const FitModel **models, int n_models, const int *conf, long n_sub, const char *by)
{
    int diag = 0;
    printf("\nmodel recovery (rows: generating model, columns: winner by %s, counts of %ld subjects)\n%-9s", by, n_sub,
           "");
    for (int m = 0; m < n_models; m++) printf(" %8s", models[m]->name);
    printf(" %8s  %s\n", "correct", "95% Wilson");
    double lo, hi;
    for (int g = 0; g < n_models; g++) {
        printf("%-9s", models[g]->name);
        for (int m = 0; m < n_models; m++) printf(" %8d", conf[g * n_models + m]);
        stats_wilson(conf[g * n_models + g], n_sub, 0.95, &lo, &hi);
        printf(" %7.0f%%  [%.0f%%, %.0f%%]\n", 100.0 * conf[g * n_models + g] / (double)n_sub, 100.0 * lo, 100.0 * hi);
        diag += conf[g * n_models + g];
    }
    stats_wilson(diag, n_sub * n_models, 0.95, &lo, &hi);
    printf("diagonal: %.1f%% [%.1f%%, %.1f%%] (95%% Wilson interval over the %ld subjects)\n",
           100.0 * diag / (double)(n_sub * n_models), 100.0 * lo, 100.0 * hi, n_sub * n_models);
}

/* --trace FILE: one line per simulated subject of the model recovery. */
static int write_trace(const char *path, const FitModel **models, int n_models, long n_sub, const FitConfusionTrace *tr)
{
    FILE *f = fopen(path, "w");
    if (!f) return cli_fail(EXIT_USAGE, "--trace: cannot write '%s'", path);
    fprintf(f, "model\tsubject\twinner\tgain\tparameters\n");
    for (int g = 0; g < n_models; g++)
        for (long i = 0; i < n_sub; i++) {
            long k = g * n_sub + i;
            char params[512];
            fit_params_json(models[g], tr->truth + k * FIT_MAX_PARAMS, params, sizeof params);
            fprintf(f, "%s\t%ld\t%s\t%.6g\t%s\n", models[g]->name, i, models[tr->winner[k]]->name, tr->gain[k], params);
        }
    return fclose(f) == 0 ? EXIT_OK : cli_fail(EXIT_FAILED, "--trace: error writing '%s'", path);
}

/* The model-recovery confusion matrix (winner by BIC, or held out with cv
** >= 2 folds), the own-fit check and, with --trace, the per-subject lines. */
static int model_recovery(const CmdArgs *a, const FitModel **models, int n_models, const FitEnv *env,
                          const FitPopulation *pops, long n_sub, const FitOptions *o, FitWinner by)
{
    int conf[FIT_MAX_MODELS * FIT_MAX_MODELS], rc = EXIT_OK;
    size_t n = (size_t)n_models * (size_t)n_sub;
    FitConfusionTrace tr = { malloc(n * sizeof *tr.winner), malloc(n * FIT_MAX_PARAMS * sizeof *tr.truth),
                             malloc(n * sizeof *tr.gain) };
    if (!tr.winner || !tr.truth || !tr.gain || fit_confusion(models, n_models, env, pops, (int)n_sub, o, by, conf, &tr) !=
                                                     FIT_OK) {
        rc = cli_fail(EXIT_FAILED, "out of memory");
        goto done;
    }
    char what[64];
    if (by == FIT_WIN_HELDOUT) snprintf(what, sizeof what, "held-out NLL, %d-fold block CV", o->cv);
    else snprintf(what, sizeof what, "%s", by == FIT_WIN_AIC ? "AIC" : "BIC");
    print_confusion(models, n_models, conf, n_sub, what);
    long worse = 0;
    double worst = 0.0;
    for (size_t i = 0; i < n; i++)
        if (tr.gain[i] < -1e-6) worse++, worst = tr.gain[i] < worst ? tr.gain[i] : worst;
    printf("generating model's own fit below the %s of the generating parameters: %ld of %zu subjects"
           " (worst %.2g nats)\n", o->map ? "log posterior" : "likelihood", worse, n, worst);
    const char *path = arg_flag(a, "trace");
    if (path) rc = write_trace(path, models, n_models, n_sub, &tr);
done:
    free(tr.winner);
    free(tr.truth);
    free(tr.gain);
    return rc;
}

static int recover_with(const CmdArgs *a, const FitModel **models, int n_models, unsigned long seed, long cv,
                        const FitPopulation *pops)
{
    FitOptions o;
    fit_options_default(&o);
    o.seed = seed;
    o.map = arg_has(a, "map");
    long n_sub = 50, n_tr = 200;
    if (fit_flag_long(a, "subjects", 3, 100000, &n_sub) || fit_flag_long(a, "trials", FIT_MIN_TRIALS, 1000000, &n_tr))
        return EXIT_USAGE;
    const char *sch = arg_flag(a, "schedule"), *win = arg_flag(a, "winner");
    FitEnv env = { (int)n_tr, 0.8, 0.2, 0.05 };
    if (sch && !strcmp(sch, "bandit")) env = (FitEnv){ (int)n_tr, 0.7, 0.3, 0.0 };
    else if (sch && strcmp(sch, "reversal"))
        return cli_fail(EXIT_USAGE, "--schedule: unknown schedule '%s' (known: reversal, bandit)", sch);
    if (win && strcmp(win, "bic") && strcmp(win, "aic") && strcmp(win, "cv"))
        return cli_fail(EXIT_USAGE, "--winner: unknown criterion '%s' (known: bic, aic, cv)", win);
    const char *trace = arg_flag(a, "trace");
    if (trace && n_models < 2)
        return cli_fail(EXIT_USAGE, "--trace: the model-recovery trace needs several models in --recover");
    if (trace) {   /* refuse an unwritable path before any work or output */
        char dir[4096];
        const char *slash = strrchr(trace, '/');
        snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - trace) + 1 : 1, slash ? trace : ".");
        if (access(dir, W_OK) != 0 || (access(trace, F_OK) == 0 && access(trace, W_OK) != 0))
            return cli_fail(EXIT_USAGE, "--trace: cannot write '%s'", trace);
    }
    int by_cv = win && !strcmp(win, "cv");
    if (!by_cv && arg_has(a, "cv"))
        return cli_fail(EXIT_USAGE, "--cv: with --recover it sets the folds of --winner cv (add --winner cv, or "
                        "leave --cv out: the winner is by BIC)");
    if (by_cv && cv < 2)
        return cli_fail(EXIT_USAGE, "--winner cv: needs folds (--cv 2 to 50, or leave --cv out for 5)");
    printf("parameter recovery: %ld subjects x %ld trials, %s schedule, parameters %s, %s fits\n", n_sub, n_tr,
           env.hazard > 0.0 ? "reversal" : "bandit",
           pops ? "resampled from the fitted population (--from)" : "uniform in each recovery range",
           o.map ? "MAP" : "ML");
    printf("%-9s %-13s %5s %7s %7s %8s %9s\n", "model", "parameter", "pop", "r", "rho", "bias", "true_mean");
    for (int m = 0; m < n_models; m++) {
        FitRecoveryParam p[FIT_MAX_PARAMS];
        if (fit_recover(models[m], &env, pops ? &pops[m] : NULL, (int)n_sub, &o, p) != FIT_OK)
            return cli_fail(EXIT_FAILED, "out of memory");
        for (int j = 0; j < models[m]->n_params; j++)
            printf("%-9s %-13s %5d %7.3f %7.3f %+8.4f %9.4f\n", models[m]->name, models[m]->params[j].name,
                   pops ? pops[m].n : 0, p[j].r, p[j].rho, p[j].bias, p[j].true_mean);
    }
    if (n_models < 2) return EXIT_OK;
    o.cv = by_cv ? (int)cv : 0;
    FitWinner by = by_cv ? FIT_WIN_HELDOUT : win && !strcmp(win, "aic") ? FIT_WIN_AIC : FIT_WIN_BIC;
    return model_recovery(a, models, n_models, &env, pops, n_sub, &o, by);
}

int fit_recover_cmd(const CmdArgs *a, const FitModel **models, int n_models, unsigned long seed, long cv)
{
    FitPopulation pops[FIT_MAX_MODELS];
    memset(pops, 0, sizeof pops);
    int rc = populations(a, models, n_models, pops);
    if (rc == EXIT_OK) rc = recover_with(a, models, n_models, seed, cv, arg_flag(a, "from") ? pops : NULL);
    for (int m = 0; m < n_models; m++) free((void *)pops[m].x);
    return rc;
}
