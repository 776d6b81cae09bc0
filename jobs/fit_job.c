/* jobs/fit_job.c: the fit job (see fit_job.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jobs/fit_job.h"
#include "store/store.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void fit_job_free(FitJobResult *r)
{
    free(r->episodes);
    free(r->subjects);
    free(r->res);
    memset(r, 0, sizeof *r);
}

/* Fit every model to every subject of eps with enough valid trials. */
static int fit_all(const FitJob *j, EpisodeRecord **eps, int n_eps, FitJobResult *out)
{
    int max_t = 1;
    for (int i = 0; i < n_eps; i++) max_t = eps[i]->n_trials > max_t ? eps[i]->n_trials : max_t;
    int *a = malloc((size_t)max_t * sizeof *a);
    double *r = malloc((size_t)max_t * sizeof *r);
    out->episodes = malloc(((size_t)n_eps + 1) * sizeof *out->episodes);
    out->subjects = malloc(((size_t)n_eps + 1) * sizeof *out->subjects);
    out->res = malloc(((size_t)n_eps + 1) * (size_t)j->n_models * sizeof *out->res);
    int rc = FIT_NOMEM;
    if (!a || !r || !out->episodes || !out->subjects || !out->res) goto done;
    int k = 0;
    for (int i = 0; i < n_eps; i++) {
        FitSubject s;
        if (fit_subject_from_episode(eps[i], a, r, &s) < FIT_MIN_TRIALS) continue;
        out->episodes[k] = i;
        snprintf(out->subjects[k], sizeof out->subjects[k], "%s", eps[i]->subject);
        k++;
    }
    out->n_subjects = k;
    for (int m = 0; m < j->n_models; m++)
        for (int q = 0; q < k; q++) {
            FitSubject s;
            fit_subject_from_episode(eps[out->episodes[q]], a, r, &s);
            rc = fit_subject(j->models[m], &s, &j->opt, (int)out->episodes[q], &out->res[(size_t)m * (size_t)k + (size_t)q]);
            if (rc != FIT_OK) goto done;
        }
    fit_compare(j->models, j->n_models, out->res, k, out->rows, &out->best);
    rc = FIT_OK;
done:
    free(a);
    free(r);
    return rc;
}

static int store_fits(const FitJob *j, const FitJobResult *out, char *err, size_t n_err)
{
    Store *s = store_open(j->db, STORE_WRITE, err, n_err);
    if (!s) return FIT_JOB_FAILED;
    int rc = store_begin(s);
    char params[1024];
    for (int m = 0; m < j->n_models && rc == 0; m++)
        for (int q = 0; q < out->n_subjects && rc == 0; q++) {
            const FitResult *f = &out->res[(size_t)m * (size_t)out->n_subjects + (size_t)q];
            FitRow row;
            memset(&row, 0, sizeof row);
            row.run_id = j->run;
            row.episode = out->episodes[q];
            row.subject = out->subjects[q];
            snprintf(row.model, sizeof row.model, "%s", j->models[m]->name);
            snprintf(row.method, sizeof row.method, "%s", j->opt.map ? "map" : "ml");
            fit_params_json(j->models[m], f->x, params, sizeof params);
            row.params = params;
            row.loglik = f->loglik;
            row.heldout_loglik = f->heldout_loglik;
            row.cv_folds = j->opt.cv >= 2 ? j->opt.cv : 0;
            row.n_trials = f->n_trials;
            row.n_params = f->n_params;
            row.converged = f->converged;
            row.at_bound = f->at_bound;
            rc = store_put_fit(s, &row);
        }
    if (rc == 0) rc = store_commit(s);
    if (rc != 0) {
        snprintf(err, n_err, "%s", store_errmsg(s));
        store_rollback(s);
    }
    store_close(s);
    return rc == 0 ? FIT_JOB_OK : FIT_JOB_FAILED;
}

int fit_job_run(const FitJob *j, FitJobResult *out, char *err, size_t n_err)
{
    memset(out, 0, sizeof *out);
    Store *s = store_open(j->db, STORE_READ, err, n_err);
    if (!s) return FIT_JOB_BADINPUT;
    RunRow run;
    EpisodeRecord **eps = NULL;
    int n_eps = 0, status = FIT_JOB_OK;
    if (store_run_get(s, j->run, &run) != 0) {
        snprintf(err, n_err, "%s", store_errmsg(s));
        store_close(s);
        return FIT_JOB_BADINPUT;
    }
    if (store_read_episodes(s, j->run, 0, &eps, &n_eps) != 0) {
        snprintf(err, n_err, "%s", store_errmsg(s));
        status = FIT_JOB_FAILED;
        goto done;
    }
    double t0 = now_s();
    int rc = fit_all(j, eps, n_eps, out);
    out->seconds = now_s() - t0;
    if (rc != FIT_OK) {
        snprintf(err, n_err, "run %lld: out of memory", (long long)j->run);
        status = FIT_JOB_FAILED;
    } else if (out->n_subjects == 0) {
        snprintf(err, n_err, "run %lld (%s) has no subject with %d or more valid choices to fit (%d episode%s)",
                 (long long)j->run, run.name, FIT_MIN_TRIALS, n_eps, n_eps == 1 ? "" : "s");
        status = FIT_JOB_BADINPUT;
    }
done:
    store_episodes_free(eps, n_eps);
    store_run_clear(&run);
    store_close(s);
    if (status == FIT_JOB_OK && j->store) status = store_fits(j, out, err, n_err);
    if (status != FIT_JOB_OK) fit_job_free(out);
    return status;
}
