/* cli/cmd_fit.c: `metarl fit DB --run ID --model M[,M...]`: fit cognitive
** models to each subject (episode) of a run, store the fits, print them and
** the model comparison; `metarl fit --recover M[,M...]`: parameter recovery
** (and, for several models, the model-recovery confusion matrix) on simulated
** subjects. The work is jobs/fit_job.c and analysis/fit.c; this file parses and
** prints.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args_fit.h"
#include "cli/cli.h"
#include "jobs/fit_job.h"

static const CmdFlag fit_flags[] = {
    { "run", "ID", "the run whose subjects (episodes) to fit: an id or a run name" },
    { "model", "M,...", "models to fit (see --help); 'all' names every classic one (all,network,tinyrnn4 ...)" },
    { "cv", "K", "cross-validate over K contiguous blocks of trials per subject (default 5; 0 = none)" },
    { "map", NULL, "maximum a posteriori with the models' weak priors instead of maximum likelihood" },
    { "hier", NULL, "empirical-Bayes hierarchical fit: a Gaussian group prior re-estimated by EM (stored as M-hier)" },
    { "compare", NULL, "print the model comparison (printed anyway for several models)" },
    { "json", NULL, "one JSON object per fit and one for the comparison, a line each" },
    { "seed", "S", "seed of the random starts and of the simulations (default 1)" },
    { "network", "[DB:]RUN", "the training run whose frozen network is the model 'network' (in DB, else this store)" },
    { "ppc", "N", "posterior predictive check: simulate every fitted model N times on each subject's own schedule" },
    { "figures", "DIR", "draw the figures fitcompare (and, with --ppc, ppc) into folder DIR" },
    { "recover", "M,...", "parameter (and, for several models, model) recovery on simulated subjects" },
    { "subjects", "N", "simulated subjects per model for --recover (default 50)" },
    { "trials", "T", "trials per simulated subject for --recover (default 200)" },
    { "schedule", "S", "--recover's task: reversal (0.8/0.2, hazard 0.05; default) or bandit (0.7/0.3)" },
    { "from", "DB:RUN", "--recover: resample each simulated subject's parameters from the stored fits of run RUN" },
    { "winner", "C", "--recover's model-recovery winner: bic (default), aic, or cv (held-out NLL, --cv K folds)" },
    { "trace", "FILE", "--recover: write one TSV line per simulated subject (model, winner, gain over the truth, parameters)" },
    { NULL, NULL, NULL }
};

static void print_fits(const FitJob *j, const FitJobResult *r, int json)
{
    char params[1024];
    if (!json)
        printf("%-12s %-9s %7s %9s %9s %4s %5s  %s\n", "subject", "model", "trials", "-logL", "cv -logL", "conv",
               "bound", "parameters");
    for (int q = 0; q < r->n_subjects; q++)
        for (int m = 0; m < j->n_models; m++) {
            const FitResult *f = &r->res[(size_t)m * (size_t)r->n_subjects + (size_t)q];
            fit_job_params_json(j, m, f, params, sizeof params);
            char sub[80];
            if (r->subjects[q][0]) snprintf(sub, sizeof sub, "%s", r->subjects[q]);
            else snprintf(sub, sizeof sub, "ep%lld", (long long)r->episodes[q]);
            if (json) {
                printf("{\"run\":%lld,\"episode\":%lld,\"subject\":\"%s\",\"model\":\"%s\",\"method\":\"%s\","
                       "\"params\":%s,\"loglik\":%.10g,\"heldout_loglik\":",
                       (long long)j->run, (long long)r->episodes[q], r->subjects[q], j->models[m]->name,
                       j->opt.map ? "map" : "ml", params, f->loglik);
                if (isfinite(f->heldout_loglik)) printf("%.10g", f->heldout_loglik);
                else printf("null");
                printf(",\"n_trials\":%d,\"converged\":%d,\"at_bound\":%d", f->n_trials, f->converged, f->at_bound);
                if (isfinite(f->loglik_ref)) printf(",\"loglik_ref\":%.17g", f->loglik_ref);
                printf("}\n");
            } else {
                char cv[32] = "-";   /* no held-out fit without cross-validation (not -nan) */
                if (isfinite(f->heldout_loglik)) snprintf(cv, sizeof cv, "%.3f", -f->heldout_loglik);
                printf("%-12s %-9s %7d %9.3f %9s %4s %5d  ", sub, j->models[m]->name, f->n_trials, -f->loglik, cv,
                       f->converged ? "yes" : "no", f->at_bound);
                if (!j->models[m]->n_params) printf("%s", params);
                for (int p = 0; p < j->models[m]->n_params; p++)
                    printf("%s%s %.4g%s", p ? ", " : "", j->models[m]->params[p].name, f->x[p],
                           (f->bound_mask >> p) & 1u ? " (bound)" : "");
                printf("\n");
            }
        }
}

/* The group priors of --hier: per parameter its mean and SD in the unbounded
** coordinate and the natural value at the mean (the group's median). */
static void print_hier(const FitJob *j, const FitJobResult *r)
{
    printf("\nempirical-Bayes group priors (Gaussian in each parameter's unbounded coordinate; fits stored as M-hier)\n");
    printf("%-9s %-13s %8s %8s %10s  %s\n", "model", "parameter", "mu_u", "sd_u", "median", "EM");
    static const char *const conv[] = { ", not converged", "", ", converged by evidence" };
    for (int m = 0; m < j->n_models; m++) {
        const FitHier *h = &r->hier[m];
        for (int p = 0; p < h->n_params; p++)
            printf("%-9s %-13s %8.3f %8.3f %10.4g  %d iterations%s%s\n", j->models[m]->name,
                   j->models[m]->params[p].name, h->mu[p], sqrt(h->var[p]), h->median[p], h->iterations,
                   conv[h->converged], (h->flat_mask >> p) & 1u ? ", flat: drifting to a bound (a limit)" : "");
        printf("%-9s log evidence (Laplace) %.2f\n", j->models[m]->name, h->log_evidence);
    }
}

/* --network [DB:]RUN, required by (and only with) the model network. */
static int network_flag(const CmdArgs *a, FitJob *j)
{
    const char *v = arg_flag(a, "network");
    int uses = 0;
    for (int m = 0; m < j->n_models; m++) uses |= j->models[m]->kind == FIT_KIND_NETWORK;
    if (!v) return uses ? cli_fail(EXIT_USAGE, "--model network needs --network [DB:]RUN (a training run)") : EXIT_OK;
    if (!uses) return cli_fail(EXIT_USAGE, "--network: name the model 'network' in --model to use it");
    static char db[4096];
    const char *colon = strrchr(v, ':');
    long id;
    if (!colon) return arg_run_id(a, v, &j->net_run);
    snprintf(db, sizeof db, "%.*s", (int)(colon - v), v);
    if (parse_long(colon + 1, &id) != 0 || id < 1)
        return cli_fail(EXIT_USAGE, "--network: '%s' is not DB:RUN with RUN a run id (see `metarl info %s`)", v, db);
    j->net_db = db;
    j->net_run = id;
    return EXIT_OK;
}

/* The options of one mode, refused in the other rather than ignored. */
static const char *const fit_only[] = { "run", "model", "network", "hier", "ppc", "figures", "json", "compare", NULL };
static const char *const recover_only[] = { "subjects", "trials", "schedule", "from", "winner", "trace", NULL };

static int fit_run(CmdArgs *a)
{
    const FitModel *models[FIT_MAX_MODELS];
    int n_models = 0;
    long seed = 1, cv = 5;
    if (fit_flag_long(a, "seed", 0, 2147483647L, &seed) || fit_flag_long(a, "cv", 0, 50, &cv)) return EXIT_USAGE;
    if (cv == 1) return cli_fail(EXIT_USAGE, "--cv: 1 is not a number of folds (0 = none, or 2 to 50)");
    const char *v = arg_flag(a, "recover"), *f;
    if (v) {
        if ((f = arg_first_of(a, fit_only)))
            return cli_fail(EXIT_USAGE, "--%s: applies to fitting a run, not to --recover (which simulates its "
                            "subjects)", f);
        if (a->n_pos > 0)
            return cli_fail(EXIT_USAGE, "fit --recover: simulates its subjects and reads no store ('%s'); to draw "
                            "their parameters from a run's fits, name it with --from DB:RUN", a->pos[0]);
        if (fit_parse_models("recover", v, models, &n_models) != EXIT_OK) return EXIT_USAGE;
        for (int m = 0; m < n_models; m++)
            if (models[m]->kind != FIT_KIND_CLASSIC)
                return cli_fail(EXIT_USAGE, "--recover: '%s' is not a classical model (recovery simulates those)",
                                models[m]->name);
        return fit_recover_cmd(a, models, n_models, (unsigned long)seed, cv);
    }
    if ((f = arg_first_of(a, recover_only)))
        return cli_fail(EXIT_USAGE, "--%s: applies to --recover M,... (simulated subjects), not to fitting a run", f);
    if (a->n_pos != 1) return cli_fail(EXIT_USAGE, "fit: name the store (metarl fit DB --run ID --model M)");
    if (!(v = arg_flag(a, "model"))) return cli_fail(EXIT_USAGE, "fit: --model M[,M...] is required (or 'all')");
    if (fit_parse_models("model", v, models, &n_models) != EXIT_OK) return EXIT_USAGE;
    if (!(v = arg_flag(a, "run"))) return cli_fail(EXIT_USAGE, "fit: --run ID is required");
    FitJob j;
    memset(&j, 0, sizeof j);
    if (arg_run_id(a, v, &j.run) != EXIT_OK) return EXIT_USAGE;
    j.db = a->pos[0];
    memcpy(j.models, models, sizeof models);
    j.n_models = n_models;
    fit_options_default(&j.opt);
    j.opt.cv = (int)cv;
    j.opt.map = arg_has(a, "map");
    j.hier = arg_has(a, "hier");
    if (j.hier && j.opt.map) return cli_fail(EXIT_USAGE, "--hier: the group prior replaces --map's priors; name one");
    j.opt.seed = (unsigned long)seed;
    j.store = 1;
    if (network_flag(a, &j) != EXIT_OK) return EXIT_USAGE;
    long ppc = 0;
    if (fit_flag_long(a, "ppc", 0, 100000, &ppc)) return EXIT_USAGE;
    j.ppc = (int)ppc;
    FitJobResult r;
    char err[1024];
    int rc = fit_job_run(&j, &r, err, sizeof err);
    if (rc != FIT_JOB_OK) return cli_fail(rc == FIT_JOB_BADINPUT ? EXIT_USAGE : EXIT_FAILED, "%s", err);
    int json = arg_has(a, "json");
    print_fits(&j, &r, json);
    if (n_models > 1 || arg_has(a, "compare")) {
        if (json) {
            fit_compare_print_json(r.rows, n_models, r.best, j.run, r.seconds, stdout);
        } else {
            printf("\nmodel comparison, run %lld: %d subjects, %s, %s\n", (long long)j.run, r.n_subjects,
                   j.hier ? "empirical-Bayes group prior (MAP)" : j.opt.map ? "MAP" : "maximum likelihood",
                   cv >= 2 ? "held-out NLL from block cross-validation" : "no cross-validation (wins by BIC)");
            fit_compare_print(r.rows, n_models, r.best, stdout);
        }
    }
    if (j.hier && !json) print_hier(&j, &r);
    if (j.ppc > 0 && !json) {
        printf("\n");
        fit_ppc_print(&r.ppc, stdout);
    }
    const char *dir = arg_flag(a, "figures");
    int drawn = 0;
    int fig_rc = dir ? fit_job_figures(&j, &r, dir, &drawn, err, sizeof err) : FIT_JOB_OK;
    if (fig_rc != FIT_JOB_OK) fprintf(stderr, "metarl: %s\n", err);
    if (drawn) fprintf(stderr, "metarl: %d figure%s in %s/\n", drawn, drawn == 1 ? "" : "s", dir);
    fprintf(stderr, "metarl: stored %d fit%s of run %lld in %s (%.2f s fitting)\n", r.n_subjects * n_models,
            r.n_subjects * n_models == 1 ? "" : "s", (long long)j.run, j.db, r.seconds);
    fit_job_free(&r);
    return fig_rc == FIT_JOB_OK ? EXIT_OK : EXIT_FAILED;
}

const Command cmd_fit = {
    "fit", "DB --run ID --model M[,M...] [--network [DB:]RUN] [--cv K] [--map|--hier] [--ppc N] [--figures DIR] [--json] | --recover M,...",
    "fit cognitive models to each subject's choices; compare them; recovery checks",
    "Models: rw (alpha, beta), rw2 (alpha_pos, alpha_neg, beta), rwf (alpha, beta, forget), rwp (alpha, beta, "
    "tau, phi: a choice kernel), wsls (lapse), wsls2 (p_stay_win, p_shift_loss), observer (the reversal ideal "
    "observer: hazard, beta, lapse), bayes (the posterior-mean bandit learner: beta, lapse); 'all' names these. "
    "network: the frozen meta-RL network of --network [DB:]RUN teacher-forced on each subject's choices and "
    "rewards (temperature on its logits, lapse). tinyrnn1, tinyrnn2, tinyrnn4, tinyrnn8: tiny RNNs of tanh units, "
    "gru1, gru2, gru4, gru8: tiny GRUs, trained on the other subjects' choices (cross-validated over subjects, "
    "--cv K folds). Each subject (episode) is fitted "
    "by maximum likelihood (or --map) from a grid and random starts; the fits go to the store's fits table "
    "(fitting again replaces them). With several models (or --compare) the comparison follows: held-out NLL per "
    "trial, normalised likelihood, AIC, BIC, subjects won, and the paired difference to the best model (mean +- "
    "SE across subjects). --ppc N simulates every fitted model on each subject's own schedule; --figures DIR "
    "draws fitcompare and ppc. --recover simulates subjects with known parameters (--subjects, --trials, "
    "--schedule; uniform in each parameter's recovery range, or --from DB:RUN resampling that run's fitted "
    "subjects) and refits them (by ML, or --map); --winner cv counts model recovery by held-out likelihood. --hier fits the per-subject models "
    "with an empirical-Bayes group prior (Huys et al. 2011), stored as model M-hier, method map.",
    NULL, fit_flags, 0, 1, fit_run
};
