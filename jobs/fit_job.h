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
*/
#ifndef METARL_JOBS_FIT_JOB_H
#define METARL_JOBS_FIT_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/fit.h"

enum { FIT_JOB_OK = 0, FIT_JOB_FAILED = 1, FIT_JOB_BADINPUT = 2 };

typedef struct FitJob {
    const char *db;
    int64_t run;
    const FitModel *models[FIT_MAX_MODELS];
    int n_models;
    FitOptions opt;
    int store;                  /* write the fits (1) or only return them (0) */
} FitJob;

typedef struct FitJobResult {
    int n_subjects;             /* subjects fitted (>= FIT_MIN_TRIALS valid trials) */
    int64_t *episodes;          /* (n_subjects) */
    char (*subjects)[64];       /* (n_subjects) subject ids ("" for agents) */
    FitResult *res;             /* (n_models * n_subjects): res[m * n_subjects + s] */
    FitCompareRow rows[FIT_MAX_MODELS];
    int best;
    double seconds;             /* fitting time (wall clock) */
} FitJobResult;

int fit_job_run(const FitJob *j, FitJobResult *out, char *err, size_t n_err);
void fit_job_free(FitJobResult *r);

#endif
