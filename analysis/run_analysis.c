/* analysis/run_analysis.c: every analysis of one stored run (see run_analysis.h).
**
** The order of the computations is fixed (and is the order `metarl analyze`
** always used), so that a mask never changes a number: each analysis reads
** only the episodes and its own settings, and the two that draw random
** numbers (RW recovery, decoding folds and shuffles) seed their own
** generators.
*/
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "analysis/run_analysis.h"
#include "tasks/task.h"
#include "core/config.h"

const char *const ra_target_names[RA_N_TARGETS] = { "p0", "p1", "best", "block_parity", "belief" };

void run_analysis_init(RunAnalysis *A, const RunRow *row)
{
    memset(A, 0, sizeof *A);
    A->row = row;
    A->p_high = A->p_low = A->hazard = NAN;
    summary_init(&A->summary);
}

void run_analysis_free(RunAnalysis *A)
{
    behavior_curves_free(A->curves);
    free(A->rw_eps);
    free(A->crit_per);
    neural_pca_free(A->pca);
    free(A->belief);
    neural_selectivity_free(A->sel);
    store_episodes_free(A->eps, A->n_eps);
    A->curves = NULL;
    A->rw_eps = NULL;
    A->crit_per = NULL;
    A->pca = NULL;
    A->belief = NULL;
    A->sel = NULL;
    A->eps = NULL;
    A->n_eps = 0;
}

int make_dirs(const char *path)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
    struct stat st;
    if (stat(buf, &st) != 0) return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

static int nomem(int rc) { return rc == ANALYSIS_NOMEM; }

/* The ideal observer's settings for a reversal run: p_high, p_low and, for
** a constant-hazard schedule, the hazard, all from the run's task facts;
** otherwise (blocks, a criterion, or an import, whose task is only named)
** the run's empirical reversal rate. */
static void observer_settings(RunAnalysis *A)
{
    if (strcmp(A->row->task, "reversal")) return;
    TaskFacts f;
    char err[256];
    int known = strcmp(A->row->kind, "import") != 0 && task_facts_from_text(A->row->config, &f, err, sizeof err) == 0;
    A->p_high = known ? f.p_high : NAN;
    A->p_low = known ? f.p_low : NAN;
    if (known && f.hazard_exact) {
        A->hazard = f.hazard;
    } else {
        long trans = 0;
        for (int i = 0; i < A->n_eps; i++) trans += A->eps[i]->n_trials > 1 ? A->eps[i]->n_trials - 1 : 0;
        A->hazard = trans > 0 ? (double)A->n_reversals / (double)trans : NAN;
    }
}

int run_analysis_compute(RunAnalysis *A, unsigned what, int lags, double ridge)
{
    EpisodeRecord *const *eps = A->eps;
    int n = A->n_eps, rc;
    if (what & RA_RW_RECOVERY) what |= RA_RW;
    if (what & (RA_DECODING | RA_BELIEF | RA_SELECTIVITY)) what |= RA_PCA;
    A->computed = what;
    summary_init(&A->summary);
    for (int i = 0; i < n; i++) summary_add(&A->summary, eps[i]);
    int T = behavior_max_trials(eps, n);
    if ((what & RA_CURVES) && T > 0) {
        if (!(A->curves = behavior_curves_alloc(T))) return -1;
        behavior_curves(eps, n, A->curves);
    }
    if (what & RA_STAY) A->stay_ok = behavior_stay(eps, n, 0.95, &A->stay) == ANALYSIS_OK;
    if (what & RA_REGRESSION) {
        rc = behavior_lau_glimcher(eps, n, lags, ridge, &A->lg);
        if (nomem(rc)) return -1;
        A->lg_ok = rc == ANALYSIS_OK;
    }
    if (what & RA_RW) {
        rc = rw_fit(eps, n, &A->rw);
        if (nomem(rc)) return -1;
        A->rw_ok = rc == ANALYSIS_OK;
    }
    if (what & RA_RW_EPISODES) {
        A->n_rw_eps = A->rw_eps_max > 0 && A->rw_eps_max < n ? A->rw_eps_max : n;
        if (!(A->rw_eps = malloc(((size_t)A->n_rw_eps + 1) * sizeof *A->rw_eps))) return -1;
        rc = rw_fit_episodes(eps, A->n_rw_eps, A->rw_eps, &A->rw_sum);
        if (nomem(rc)) return -1;
        A->rw_eps_ok = rc == ANALYSIS_OK;
    }
    if ((what & RA_RW_RECOVERY) && A->rw_ok && !A->rw.at_bound) {
        /* recovery at the fitted values: on this run's own schedule if its truth is known */
        RwEnv env;
        rw_env_default(&env);
        env.n_trials = T;
        int n_rec = n < RA_RECOVERY_EPISODES ? n : RA_RECOVERY_EPISODES;
        A->rec_env = "this run's own task instances";
        rc = rw_recover(A->rw.alpha, A->rw.beta, eps, n, &env, n_rec, RA_RECOVERY_SEED, &A->rec);
        if (rc == ANALYSIS_NODATA) {
            A->rec_env = "a built-in reversal task (0.8/0.2, hazard 0.05)";
            rc = rw_recover(A->rw.alpha, A->rw.beta, NULL, 0, &env, n_rec, RA_RECOVERY_SEED, &A->rec);
        }
        if (nomem(rc)) return -1;
        A->rec_ok = rc == ANALYSIS_OK;
    }
    A->n_reversals = behavior_count_reversals(eps, n);
    if (what & RA_REVERSAL) A->rev_ok = behavior_reversal_curve(eps, n, &A->rev) == ANALYSIS_OK;
    if ((what & RA_REVERSAL) && A->n_reversals > 0) {
        if (!(A->crit_per = malloc((size_t)A->n_reversals * sizeof *A->crit_per))) return -1;
        rc = behavior_trials_to_criterion(eps, n, BEHAVIOR_CRIT_K, BEHAVIOR_CRIT_N, A->crit_per, &A->crit);
        if (nomem(rc)) return -1;
        A->crit_ok = rc == ANALYSIS_OK;
    }
    if ((what & RA_VOLATILITY) && A->n_reversals > 0) {
        rc = rw_fit_volatility(eps, n, RW_VOLATILE_WINDOW, &A->vol);
        if (nomem(rc)) return -1;
        A->vol_ok = rc == ANALYSIS_OK;
    }
    if (what & RA_RPE) {
        rc = neural_rpe(eps, n, &A->rpe);
        if (nomem(rc)) return -1;
        A->rpe_ok = rc == ANALYSIS_OK;
    }
    int is_twostep = !A->row || !A->row->task || !strcmp(A->row->task, "twostep");
    if ((what & RA_TWOSTEP) && is_twostep && twostep_applies(eps, n)) {
        rc = twostep_stay(eps, n, &A->ts_stay);
        if (nomem(rc)) return -1;
        A->ts_stay_ok = rc == ANALYSIS_OK;
        rc = twostep_regression(eps, n, ridge, &A->ts_reg);
        if (nomem(rc)) return -1;
        A->ts_reg_ok = rc == ANALYSIS_OK;
        rc = twostep_lagged(eps, n, lags, ridge, &A->ts_lag);
        if (nomem(rc)) return -1;
        A->ts_lag_ok = rc == ANALYSIS_OK;
    }

    /* neural: prefrontal activity, if recorded */
    A->n_units = neural_n_units(eps, n);
    A->n_rows = neural_n_rows(eps, n);
    if (!(what & RA_PCA) || A->n_units <= 0 || A->n_rows < 2) return 0;
    if (!(A->pca = neural_pca_alloc(A->n_units, A->n_rows, A->n_units < RA_PCA_SCORES ? A->n_units : RA_PCA_SCORES)))
        return -1;
    if (nomem(neural_pca(eps, n, A->pca))) return -1;
    observer_settings(A);
    double *y = malloc((size_t)A->n_rows * sizeof *y);
    if (!y) return -1;
    NeuralDecodeConfig cfg;
    neural_decode_config_default(&cfg);
    for (int k = 0; k < RA_N_TARGETS && (what & (RA_DECODING | RA_BELIEF)); k++) {
        NeuralTarget which = (NeuralTarget)k;
        if (!(what & RA_DECODING) && which != NEURAL_TARGET_BELIEF) continue;
        if (which == NEURAL_TARGET_PARITY && A->n_reversals == 0) continue;
        if (neural_target(eps, n, which, A->p_high, A->p_low, A->hazard, y) == 0) continue;
        if (what & RA_DECODING) {
            rc = neural_decode(eps, n, y, &cfg, &A->dec[k]);
            if (nomem(rc)) {
                free(y);
                return -1;
            }
            A->dec_ok[k] = rc == ANALYSIS_OK;
        }
        if (which == NEURAL_TARGET_BELIEF) {
            A->belief = y;
            y = malloc((size_t)A->n_rows * sizeof *y);
            if (!y) return -1;
        }
    }
    free(y);
    if (what & RA_SELECTIVITY) {
        if (!(A->sel = neural_selectivity_alloc(A->n_units))) return -1;
        if (nomem(neural_selectivity(eps, n, RA_SEL_LEVEL, A->sel))) return -1;
    }
    return 0;
}

/* ---- output folders built under a temporary name -------------------------------------------- */

/* Remove a tree of plain files and folders (symbolic links are removed, not followed). */
int out_dir_remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode)) return unlink(path);
    DIR *d = opendir(path);
    if (!d) return -1;
    struct dirent *e;
    int rc = 0;
    char sub[4096];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        if (out_dir_remove_tree(sub) != 0) rc = -1;
    }
    closedir(d);
    if (rmdir(path) != 0) rc = -1;
    return rc;
}

/* Remove the folders FINAL.tmp-PID and FINAL.old-PID that a report killed before its end (SIGKILL, power
** cut) left beside FINAL: only those whose process PID no longer runs, never another live report's. */
void out_dir_remove_stale(const char *final)
{
    char parent[4096];
    const char *slash = strrchr(final, '/');
    const char *base = slash ? slash + 1 : final;
    if (slash) snprintf(parent, sizeof parent, "%.*s", slash == final ? 1 : (int)(slash - final), final);
    else snprintf(parent, sizeof parent, ".");
    size_t nb = strlen(base);
    DIR *d = opendir(parent);
    if (!d) return;
    struct dirent *e;
    char path[8300];
    while ((e = readdir(d))) {
        const char *name = e->d_name;
        if (strncmp(name, base, nb) || (strncmp(name + nb, ".tmp-", 5) && strncmp(name + nb, ".old-", 5))) continue;
        const char *digits = name + nb + 5;
        char *end;
        errno = 0;
        long pid = strtol(digits, &end, 10);
        if (!*digits || *end || errno || pid <= 0 || pid == (long)getpid()) continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;   /* alive (or not ours to judge) */
        snprintf(path, sizeof path, "%s/%s", parent, name);
        out_dir_remove_tree(path);
    }
    closedir(d);
}

int out_dir_begin(const char *dir, char *tmp, size_t n_tmp)
{
    struct stat st;
    if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/') len--;
    if (snprintf(tmp, n_tmp, "%.*s.tmp-%ld", (int)len, dir, (long)getpid()) >= (int)n_tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    char parent[4096];
    snprintf(parent, sizeof parent, "%s", tmp);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent) {
        *slash = '\0';
        if (make_dirs(parent) != 0) return -1;
    }
    char final[4096];
    snprintf(final, sizeof final, "%.*s", (int)len, dir);
    out_dir_remove_stale(final);
    out_dir_remove_tree(tmp);
    return mkdir(tmp, 0777);
}

int out_dir_commit(const char *dir, const char *tmp)
{
    if (rename(tmp, dir) == 0) return 0;   /* dir did not exist (or was empty) */
    if (errno != EEXIST && errno != ENOTEMPTY) return -1;
    DIR *d = opendir(tmp);
    if (!d) return -1;
    struct dirent *e;
    char from[8300], to[8300];
    int rc = 0;
    while ((e = readdir(d)) && rc == 0) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(from, sizeof from, "%s/%s", tmp, e->d_name);
        snprintf(to, sizeof to, "%s/%s", dir, e->d_name);
        rc = rename(from, to);
    }
    int e2 = errno;
    closedir(d);
    if (rc != 0) {
        errno = e2;
        return -1;
    }
    return rmdir(tmp);
}
