/* jobs/fit_job.c: the fit job (see fit_job.h): read the subjects, load the
** network model's network, fit every model, compare, simulate (ppc), store. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "analysis/plot.h"
#include "jobs/fit_job.h"
#include "core/config.h"
#include "jobs/test.h"
#include "model/train_settings.h"
#include "store/store.h"
#include "tasks/task.h"

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
    for (int m = 0; m < FIT_MAX_MODELS; m++) fit_net_free(r->nets[m]);
    fit_ppc_free(&r->ppc);
    memset(r, 0, sizeof *r);
}

/* The network of training run j->net_run (in j->net_db, else j->db), for the network model. */
static FitNet *load_network(const FitJob *j, char *err, size_t n_err)
{
    const char *db = j->net_db ? j->net_db : j->db;
    Store *st = store_open(db, STORE_READ, err, n_err);
    if (!st) return NULL;
    RunRow row;
    memset(&row, 0, sizeof row);
    void *params = NULL, *opt = NULL, *state = NULL;
    size_t n_params = 0, n_opt, n_state;
    int64_t ep = -1;
    FitNet *f = NULL;
    Config *cfg = NULL;
    Task *task = NULL;
    TrainConfig tc;
    NetConfig nc;
    NetDims dims;
    char e2[512];
    if (store_run_get(st, j->net_run, &row) != 0) snprintf(err, n_err, "--network: %s", store_errmsg(st));
    else if (strcmp(row.kind, "train"))
        snprintf(err, n_err, "--network: run %lld of %s is not a training run (its kind: %s)", (long long)j->net_run,
                 db, row.kind);
    else if (store_get_checkpoint(st, j->net_run, &ep, &params, &n_params, &opt, &n_opt, &state, &n_state) != 0)
        snprintf(err, n_err, "--network: %s", store_errmsg(st));
    else if (ep < 0) snprintf(err, n_err, "--network: run %lld has no checkpoint", (long long)j->net_run);
    else if (!(cfg = test_stored_config(row.config, 1, e2, sizeof e2)) || train_config_from(cfg, &tc, e2, sizeof e2) != 0 ||
             !(task = task_alloc(cfg, e2, sizeof e2)))
        snprintf(err, n_err, "--network: run %lld: %s", (long long)j->net_run, e2);
    else {
        const TaskInfo *ti = &task->info;
        train_net_config(&tc, ti->n_actions, ti->obs_dim, task_max_steps(ti), &nc);
        if (net_dims(&nc, &dims, e2, sizeof e2) != 0) snprintf(err, n_err, "--network: %s", e2);
        else if (n_params != dims.n_params * sizeof(double))
            snprintf(err, n_err, "--network: run %lld's checkpoint holds %zu parameters, its network needs %zu",
                     (long long)j->net_run, n_params / sizeof(double), dims.n_params);
        else if (ti->max_stages > 1) snprintf(err, n_err, "--network: run %lld's task has several stages per trial",
                                              (long long)j->net_run);
        else if (!(f = fit_net_alloc(&nc, params, e2, sizeof e2)))
            snprintf(err, n_err, "--network: run %lld: %s", (long long)j->net_run, e2);
    }
    task_free(task);
    config_free(cfg);
    free(params);
    free(opt);
    free(state);
    store_run_clear(&row);
    store_close(st);
    return f;
}

/* One model over every subject: per subject (classic, network) or cross-validated over them (tiny RNNs). */
static int fit_model(const FitJob *j, int m, FitSubject *subs, int k, FitJobResult *out, double *cue, int max_t)
{
    const FitModel *mod = j->models[m];
    FitResult *res = &out->res[(size_t)m * (size_t)k];
    if (mod->kind == FIT_KIND_TINYRNN)
        return fit_rnn_cv(mod, subs, k, j->opt.cv >= 2 ? j->opt.cv : 5, j->opt.seed, res, &out->nets[m]);
    if (j->hier) {   /* the group prior couples the subjects: all at once */
        if (mod->kind == FIT_KIND_NETWORK)
            for (int q = 0; q < k; q++) {
                if (fit_net_cues(out->nets[m], &subs[q], cue + (size_t)q * (size_t)max_t) != FIT_OK) return FIT_BADARG;
                subs[q].task.cue = cue + (size_t)q * (size_t)max_t;
            }
        int rc = fit_hier(mod, subs, k, &j->opt, out->episodes, &out->hier[m], res);
        for (int q = 0; q < k; q++) subs[q].task.cue = NULL;
        return rc;
    }
    for (int q = 0; q < k; q++) {
        FitSubject s = subs[q];
        if (mod->kind == FIT_KIND_NETWORK) {
            if (fit_net_cues(out->nets[m], &s, cue) != FIT_OK) return FIT_BADARG;
            s.task.cue = cue;
        }
        int rc = fit_subject(mod, &s, &j->opt, (int)out->episodes[q], &res[q]);
        if (rc != FIT_OK) return rc;
    }
    return FIT_OK;
}

/* Each subject's schedule (reward probabilities per trial) from its episode; -1 if one lacks it. */
static int schedules(EpisodeRecord **eps, const FitJobResult *out, double *p, FitSchedule *sc, int max_t)
{
    for (int q = 0; q < out->n_subjects; q++) {
        const EpisodeRecord *e = eps[out->episodes[q]];
        double *p0 = p + (size_t)q * 2 * (size_t)max_t, *p1 = p0 + max_t;
        for (int t = 0; t < e->n_trials; t++) {
            p0[t] = e->trials[t].truth.p[0];
            p1[t] = e->trials[t].truth.p[1];
            if (!isfinite(p0[t]) || !isfinite(p1[t])) return -1;
        }
        sc[q] = (FitSchedule){ p0, p1 };
    }
    return 0;
}

/* Fit every model to every subject of eps with enough valid trials (and the ppc). */
static int fit_all(const FitJob *j, EpisodeRecord **eps, int n_eps, FitJobResult *out, char *err, size_t n_err)
{
    int max_t = 1;
    for (int i = 0; i < n_eps; i++) max_t = eps[i]->n_trials > max_t ? eps[i]->n_trials : max_t;
    size_t cells = ((size_t)n_eps + 1) * (size_t)max_t;
    int *a = malloc(cells * sizeof *a);
    double *r = malloc(cells * sizeof *r), *cue = malloc((j->hier ? cells : (size_t)max_t) * sizeof *cue);
    double *p = j->ppc > 0 ? malloc(2 * cells * sizeof *p) : NULL;
    FitSubject *subs = malloc(((size_t)n_eps + 1) * sizeof *subs);
    FitSchedule *sc = malloc(((size_t)n_eps + 1) * sizeof *sc);
    out->episodes = malloc(((size_t)n_eps + 1) * sizeof *out->episodes);
    out->subjects = malloc(((size_t)n_eps + 1) * sizeof *out->subjects);
    out->res = malloc(((size_t)n_eps + 1) * (size_t)j->n_models * sizeof *out->res);
    int rc = FIT_NOMEM;
    if (!a || !r || !cue || (j->ppc > 0 && !p) || !subs || !sc || !out->episodes || !out->subjects || !out->res)
        goto done;
    int k = 0;
    for (int i = 0; i < n_eps; i++) {
        size_t off = (size_t)k * (size_t)max_t;
        if (fit_subject_from_episode(eps[i], a + off, r + off, &subs[k]) < FIT_MIN_TRIALS) continue;
        out->episodes[k] = i;
        snprintf(out->subjects[k], sizeof out->subjects[k], "%s", eps[i]->subject);
        k++;
    }
    out->n_subjects = k;
    if (k == 0) {
        rc = FIT_OK;
        goto done;
    }
    for (int m = 0; m < j->n_models; m++) {
        double t0 = now_s();
        if (j->models[m]->kind == FIT_KIND_NETWORK && !(out->nets[m] = load_network(j, err, n_err))) {
            rc = FIT_BADARG;
            goto done;
        }
        if ((rc = fit_model(j, m, subs, k, out, cue, max_t)) != FIT_OK) {
            if (rc == FIT_BADARG)
                snprintf(err, n_err, "--model %s: a subject has more valid trials than the network's task.trials (%d)",
                         j->models[m]->name, out->nets[m] ? out->nets[m]->lane->T_max : 0);
            goto done;
        }
        out->model_seconds[m] = now_s() - t0;
    }
    fit_compare(j->models, j->n_models, out->res, k, out->rows, &out->best);
    if (j->ppc > 0) {
        if (schedules(eps, out, p, sc, max_t) != 0) {
            snprintf(err, n_err, "--ppc: run %lld has no reward probabilities per trial (task truth) to simulate on",
                     (long long)j->run);
            rc = FIT_BADARG;
            goto done;
        }
        rc = fit_ppc(j->models, j->n_models, out->res, out->nets, subs, sc, k, j->ppc, j->opt.seed, &out->ppc);
    }
done:
    free(a);
    free(r);
    free(cue);
    free(p);
    free(subs);
    free(sc);
    return rc;
}

void fit_job_params_json(const FitJob *j, int m, const FitResult *f, char *buf, size_t n)
{
    const FitModel *mod = j->models[m];
    if (mod->kind == FIT_KIND_TINYRNN) {
        snprintf(buf, n, "{\"units\":%d,\"weights\":%d}", mod->units, f->n_params);
        return;
    }
    fit_params_json(mod, f->x, buf, n);
    size_t k = strlen(buf);
    if (mod->kind == FIT_KIND_NETWORK && k > 0 && k < n)
        snprintf(buf + k - 1, n - k + 1, ",\"network_run\":%lld}", (long long)j->net_run);
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
            int hier = j->hier && j->models[m]->kind != FIT_KIND_TINYRNN;
            snprintf(row.model, sizeof row.model, "%s%s", j->models[m]->name, hier ? "-hier" : "");
            snprintf(row.method, sizeof row.method, "%s", j->opt.map || hier ? "map" : "ml");
            fit_job_params_json(j, m, f, params, sizeof params);
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
    err[0] = '\0';
    int rc = fit_all(j, eps, n_eps, out, err, n_err);
    out->seconds = now_s() - t0;
    if (rc == FIT_BADARG) {
        status = FIT_JOB_BADINPUT;
    } else if (rc != FIT_OK) {
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

/* Parameter name's value in a params JSON object ({"alpha":0.3,...}); NaN if absent. */
static double json_param(const char *json, const char *name)
{
    char key[80];
    snprintf(key, sizeof key, "\"%s\":", name);
    const char *p = strstr(json, key);
    if (!p) return NAN;
    char *end;
    double v = strtod(p + strlen(key), &end);
    return end == p + strlen(key) ? NAN : v;
}

int fit_job_population(const char *db, int64_t run, const FitModel *m, double **x, int *n, char *err, size_t n_err)
{
    *x = NULL;
    *n = 0;
    Store *s = store_open(db, STORE_READ, err, n_err);
    if (!s) return FIT_JOB_BADINPUT;
    RunRow row;
    FitRow *rows = NULL;
    int n_rows = 0, status = FIT_JOB_OK, n_ml = 0;
    if (store_run_get(s, run, &row) != 0) {
        snprintf(err, n_err, "--from: %s", store_errmsg(s));
        store_close(s);
        return FIT_JOB_BADINPUT;
    }
    store_run_clear(&row);
    if (store_read_fits(s, run, &rows, &n_rows) != 0) {
        snprintf(err, n_err, "--from: %s", store_errmsg(s));
        store_close(s);
        return FIT_JOB_FAILED;
    }
    store_close(s);
    for (int i = 0; i < n_rows; i++) n_ml += !strcmp(rows[i].model, m->name) && !strcmp(rows[i].method, "ml");
    const char *method = n_ml ? "ml" : "map";
    if (!(*x = malloc(((size_t)n_rows + 1) * FIT_MAX_PARAMS * sizeof **x))) status = FIT_JOB_FAILED;
    for (int i = 0; i < n_rows && status == FIT_JOB_OK; i++) {
        if (strcmp(rows[i].model, m->name) || strcmp(rows[i].method, method)) continue;
        double *v = *x + (size_t)*n * FIT_MAX_PARAMS;
        for (int j = 0; j < FIT_MAX_PARAMS; j++) v[j] = NAN;
        for (int j = 0; j < m->n_params && status == FIT_JOB_OK; j++)
            if (!isfinite(v[j] = json_param(rows[i].params, m->params[j].name))) {
                snprintf(err, n_err, "--from: run %lld, episode %lld: fit of %s has no parameter %s", (long long)run,
                         (long long)rows[i].episode, m->name, m->params[j].name);
                status = FIT_JOB_BADINPUT;
            }
        (*n)++;
    }
    if (status == FIT_JOB_OK && *n == 0) {
        snprintf(err, n_err, "--from: run %lld of %s has no fit of model %s (fit it first: metarl fit %s --run %lld --model %s)",
                 (long long)run, db, m->name, db, (long long)run, m->name);
        status = FIT_JOB_BADINPUT;
    }
    if (status != FIT_JOB_OK) {
        free(*x);
        *x = NULL;
        *n = 0;
    }
    store_fits_free(rows, n_rows);
    return status;
}

/* `gnuplot gp` in folder dir; 0 if it exited 0. */
static int gnuplot_in(const char *dir, const char *gp)
{
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        if (chdir(dir) != 0) _exit(127);
        execlp("gnuplot", "gnuplot", gp, (char *)NULL);
        _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) < 0) return -1;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

int fit_job_figures(const FitJob *j, const FitJobResult *r, const char *dir, int *n_drawn, char *err, size_t n_err)
{
    *n_drawn = 0;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        snprintf(err, n_err, "--figures: cannot create %s (%s)", dir, strerror(errno));
        return FIT_JOB_FAILED;
    }
    FitFigure fig = { j->models, j->n_models, r->n_subjects, r->res, r->rows, r->best, j->ppc > 0 ? &r->ppc : NULL };
    char label[64];
    snprintf(label, sizeof label, "run %lld", (long long)j->run);
    PlotRun run;
    memset(&run, 0, sizeof run);
    run.run_id = j->run;
    run.label = label;
    run.fit = &fig;
    PlotOptions o;
    plot_options_default(&o);
    const PlotKind kinds[2] = { PLOT_FITCOMPARE, PLOT_PPC };
    for (int k = 0; k < (fig.ppc ? 2 : 1); k++) {
        PlotFiles files;
        const char *base = plot_kind_name(kinds[k]);
        if (plot_write(kinds[k], &run, 1, &o, dir, base, &files, err, n_err) != 0) return FIT_JOB_FAILED;
        if (gnuplot_in(dir, files.gp) != 0) {
            snprintf(err, n_err, "--figures: gnuplot failed on %s/%s (the script and its data are kept)", dir, files.gp);
            return FIT_JOB_FAILED;
        }
        (*n_drawn)++;
    }
    return FIT_JOB_OK;
}
