/* jobs/fit_job.h: the fit job behind `metarl fit` (cli/cmd_fit.c): read one run's
** subjects (episodes) from a store, fit each model of analysis/fit.h to each
** of them, store the fits (the fits table) and compare the models; and the
** recovery checks on simulated subjects. Nothing here prints.
**
** Bad input is found before anything is written: a run that does not exist,
** and a run without a subject of at least FIT_MIN_TRIALS valid choices
** (FIT_JOB_BADINPUT, with a message). The store is opened read-only to read
** and check, and for writing only once every fit is done; all fits of the
** call go in one transaction (a failure leaves none).
**
** The network model (FIT_KIND_NETWORK) needs net_db and net_run: a training
** run's newest checkpoint and stored settings, read with the test's
** declarations (jobs/test.h); a run that is not a training run, a network
** that sees observations or has other than two actions, or a subject with
** more valid trials than the network's task.trials is bad input. The tiny
** RNNs (FIT_KIND_TINYRNN) are cross-validated over subjects with K = opt.cv
** folds (5 when opt.cv < 2). With ppc > 0, every model is simulated ppc
** times on each subject's own schedule (analysis/fit_ppc.h): a run without
** the reward probabilities per trial (task truth) is then bad input. With
** hier, the per-subject models (classic, network) are fitted with the
** empirical-Bayes group prior of analysis/fit_hier.h and stored as model
** "<name>-hier", method map (the tiny RNNs are unchanged).
*/
#ifndef METARL_JOBS_FIT_JOB_H
#define METARL_JOBS_FIT_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/fit.h"
#include "analysis/fit_hier.h"
#include "analysis/fit_net.h"
#include "analysis/fit_ppc.h"

enum { FIT_JOB_OK = 0, FIT_JOB_FAILED = 1, FIT_JOB_BADINPUT = 2 };

typedef struct FitJob {
    const char *db;
    int64_t run;
    const FitModel *models[FIT_MAX_MODELS];
    int n_models;
    FitOptions opt;
    int store;                  /* write the fits (1) or only return them (0) */
    const char *net_db;         /* the network model's store (NULL: db) */
    int64_t net_run;            /* its training run (0: none given) */
    int ppc;                    /* posterior predictive simulations per subject (0: none) */
    int hier;                   /* empirical-Bayes group prior (analysis/fit_hier.h) for the per-subject models */
} FitJob;

typedef struct FitJobResult {
    int n_subjects;             /* subjects fitted (>= FIT_MIN_TRIALS valid trials) */
    int64_t *episodes;          /* (n_subjects) */
    char (*subjects)[64];       /* (n_subjects) subject ids ("" for agents) */
    FitResult *res;             /* (n_models * n_subjects): res[m * n_subjects + s] */
    FitCompareRow rows[FIT_MAX_MODELS];
    int best;
    double seconds;             /* fitting time (wall clock) */
    double model_seconds[FIT_MAX_MODELS];
    FitNet *nets[FIT_MAX_MODELS];   /* the network models' networks (tiny RNNs: trained on all subjects) */
    FitPpc ppc;                 /* with j->ppc > 0 */
    FitHier hier[FIT_MAX_MODELS];   /* with j->hier: each per-subject model's group prior */
} FitJobResult;

int fit_job_run(const FitJob *j, FitJobResult *out, char *err, size_t n_err);
void fit_job_free(FitJobResult *r);
/* The figures fitcompare (and, with j->ppc, ppc) of r into folder dir
** (created if missing): data, scripts and images drawn by gnuplot. */
int fit_job_figures(const FitJob *j, const FitJobResult *r, const char *dir, int *n_drawn, char *err, size_t n_err);
/* Model m's parameters of fit f as JSON (a tiny RNN: its units and weights;
** the network: also its training run). */
void fit_job_params_json(const FitJob *j, int m, const FitResult *f, char *buf, size_t n);

/* Model m's fitted population of run in db, for recovery from it
** (FitPopulation): every stored fit of m (method ml, or map if the run has
** no ml fit of m) with each parameter read from its params JSON, into *x
** (malloc'ed, n rows of FIT_MAX_PARAMS) and *n. FIT_JOB_BADINPUT with a
** message when the run does not exist or has no fit of m. */
int fit_job_population(const char *db, int64_t run, const FitModel *m, double **x, int *n, char *err, size_t n_err);

#endif
