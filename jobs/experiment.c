/* jobs/experiment.c: the experiment job: the table of experiments and
** metrics, their settings, and running the seeds (see experiment.h).
** Writing the folder (results.tsv, summary.md, figures) and the verdict are
** in jobs/experiment_write.c.
*/
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobs/experiment.h"
#include "core/ini_read.h"
#include "jobs/run_util.h"
#include "jobs/sweep.h"
#include "jobs/test.h"
#include "jobs/train.h"
#include "model/train_settings.h"

/* ---- the tables ------------------------------------------------------------------------------------- */

/* Metrics: a row per metric, its function reading one stored run. */
const ExperimentMetric experiment_metrics[] = {
    { "regret", "frozen-weight regret at T (sum over trials of max p - p chosen)", "regret",
      experiment_metric_summary },
    { "p_best", "P(best arm): fraction of trials on the better arm", "p_best", experiment_metric_summary },
    { "reward_per_trial", "reward per trial", "reward_per_trial", experiment_metric_summary },
    { "post_reversal", "accuracy on trials 1-10 after a reversal", "post_reversal_accuracy",
      experiment_metric_summary },
    { "stay_rewarded_common", "two-step: P(stay) after a rewarded, common trial", "rewarded_common",
      experiment_metric_twostep },
    { "stay_rewarded_rare", "two-step: P(stay) after a rewarded, rare trial", "rewarded_rare",
      experiment_metric_twostep },
    { "stay_unrewarded_common", "two-step: P(stay) after an unrewarded, common trial", "unrewarded_common",
      experiment_metric_twostep },
    { "stay_unrewarded_rare", "two-step: P(stay) after an unrewarded, rare trial", "unrewarded_rare",
      experiment_metric_twostep },
    { "mf_weight", "two-step: stay regression's reward weight (model-free)", "mf_weight", experiment_metric_twostep },
    { "mb_weight", "two-step: stay regression's reward x transition weight (model-based)", "mb_weight",
      experiment_metric_twostep },
    { "mb_margin", "two-step: min(mb_weight, mb_weight - mf_weight), positive when the reward x transition weight is "
      "positive and larger than the reward weight (the model-based signature)", "mb_margin", experiment_metric_twostep },
    { "harlow_trial1", "Harlow: accuracy of the first choice of an episode", "trial1", experiment_metric_harlow },
    { "harlow_trial2", "Harlow: accuracy of the second choice of an episode", "trial2", experiment_metric_harlow },
    { "lg_reward_1", "Lau-Glimcher reward kernel at lag 1 (rewarded minus unrewarded choice weight)", "lg_reward_1",
      experiment_metric_baited },
    { "lg_rewarded_1", "Lau-Glimcher kernel: weight of a rewarded choice one trial back", "lg_rewarded_1",
      experiment_metric_baited },
    { "lg_unrewarded_1", "Lau-Glimcher kernel: weight of an unrewarded choice one trial back", "lg_unrewarded_1",
      experiment_metric_baited },
    { "matching_slope", "matching: slope of choice fraction on income fraction, one point per episode",
      "matching_slope", experiment_metric_baited },
    { "sel_action", "fraction of recorded units selective to the previous action (p < 0.05)", "sel_action",
      experiment_metric_baited },
    { "sel_reward", "fraction of recorded units selective to the previous reward (p < 0.05)", "sel_reward",
      experiment_metric_baited },
    { "sel_interaction", "fraction of recorded units selective to previous action x reward (p < 0.05)",
      "sel_interaction", experiment_metric_baited },
    { "vol_ratio", "volatility: RW alpha in volatile stretches / alpha in stable ones", "ratio",
      experiment_metric_volatility },
    { "vol_ratio_lo", "volatility: the ratio's 95% bootstrap interval over episodes, low end", "ratio_lo",
      experiment_metric_volatility },
    { "vol_ratio_hi", "volatility: the ratio's 95% bootstrap interval over episodes, high end", "ratio_hi",
      experiment_metric_volatility },
    { "alpha_stable", "volatility: RW alpha fitted in stable stretches", "alpha_stable", experiment_metric_volatility },
    { "alpha_volatile", "volatility: RW alpha fitted in volatile stretches", "alpha_volatile",
      experiment_metric_volatility },
    { "vol_ratio_2beta", "volatility: the ratio when each stretch kind has its own beta too (a check on the shared beta)",
      "b2_ratio", experiment_metric_volatility },
    { "vol_ratio_2beta_lo", "volatility: that ratio's 95% bootstrap interval, low end", "b2_ratio_lo",
      experiment_metric_volatility },
    { "vol_ratio_2beta_hi", "volatility: that ratio's 95% bootstrap interval, high end", "b2_ratio_hi",
      experiment_metric_volatility },
    { "inf_switch_rewarded", "inferred value: mean delta at a rewarded first switch after a reversal",
      "switch_rewarded", experiment_metric_inferred },
    { "inf_switch_unrewarded", "inferred value: mean delta at an unrewarded first switch after a reversal",
      "switch_unrewarded", experiment_metric_inferred },
    { "inf_later_rewarded", "inferred value: mean delta at later rewarded trials of that arm, same block",
      "later_rewarded", experiment_metric_inferred },
    { "inf_switch_ratio", "inferred value: rewarded first-switch delta / rewarded later delta, same arm and block",
      "switch_ratio", experiment_metric_inferred },
    { "inf_expect_weight", "inferred value: first-switch delta's weight on the observer's E[r] (inferred)",
      "expect_weight", experiment_metric_inferred },
    { "inf_last_weight", "inferred value: first-switch delta's weight on the last reward from that arm (experienced)",
      "last_weight", experiment_metric_inferred },
    { NULL, NULL, NULL, NULL }
};

/* Experiments: name, config, summary, seeds, quick (seeds, episodes, test
** episodes, hidden), metrics, target, figures, expected time, the test's
** settings and the file whose [task] the test plays. */
const Experiment experiments[] = {
    { "bandit", "data/configs/bandit.ini", "independent two-armed bandit (Wang et al. 2016)", 5,
      2, 5000, 200, 16, { "regret", "reward_per_trial", "p_best" }, { TARGET_BELOW, "thompson", 0 },
      "training,regret,curve", "about 2.5 min per seed on one core (13 min for 5)", "about 5 s", NULL, NULL },
    { "dependent", "data/configs/dependent.ini", "dependent two-armed bandit, p2 = 1 - p1 (Wang et al. 2016)", 5,
      2, 5000, 200, 16, { "regret", "reward_per_trial", "p_best" }, { TARGET_BELOW, "thompson", 0 },
      "training,regret,curve", "about 70 s per seed on one core (6 min for 5)", "about 5 s", NULL, NULL },
    { "reversal", "data/configs/reversal.ini", "probabilistic reversal learning, 0.8/0.2, hazard 0.05", 5,
      2, 2000, 200, 16, { "p_best", "post_reversal", "reward_per_trial" }, { TARGET_WITHIN, "observer", 0.03 },
      "training,reversal,curve", "about 90 s per seed on one core (8 min for 5)", "about 5 s", NULL, NULL },
    { "twostep", "data/experiments/twostep.ini", "two-step task, Wang 2018 variant (0.8/0.2, 0.9/0.1, switch 0.025)",
      8, 2, 2000, 200, 16,
      { "reward_per_trial", "stay_rewarded_common", "stay_rewarded_rare", "stay_unrewarded_common",
        "stay_unrewarded_rare", "mf_weight", "mb_weight", "p_best" },
      { TARGET_AT_LEAST, "target", 0 },
      "training,twostep,curve", "under 1 min per seed on one core (about 5 min for 8)", "about 6 s", NULL, NULL },
    { "twostep_daw", "data/experiments/twostep_daw.ini", "two-step task, Daw 2011 variant (0.7/0.3, four options "
      "drifting in [0.25, 0.75]; trained on a wider family)", 8, 2, 2000, 200, 16,
      { "mb_margin", "mb_weight", "mf_weight", "stay_rewarded_common", "stay_rewarded_rare", "stay_unrewarded_common",
        "stay_unrewarded_rare", "reward_per_trial" },
      { TARGET_AT_LEAST, "target", 0 },
      "training,twostep,curve", "about 30 s per seed on one core (about 4.5 min for 8)", "about 6 s", NULL,
      "data/configs/twostep_daw.ini" },
    { "harlow", "data/experiments/harlow.ini", "Harlow task, one-dimensional (Harlow 1949; Wang et al. 2018 Fig. 6)", 5,
      2, 3000, 100, 16, { "harlow_trial2", "harlow_trial1", "reward_per_trial" }, { TARGET_AT_LEAST, "target", 0 },
      "training", "about 1 min per seed on one core", "about 5 s", NULL, NULL },
    { "baited", "data/experiments/baited.ini", "baited two-armed bandit (Tsutsui et al. 2016; Wang et al. 2018 sim. 1)",
      5, 2, 3000, 100, 16,
      { "lg_reward_1", "reward_per_trial", "lg_rewarded_1", "lg_unrewarded_1", "matching_slope", "sel_action",
        "sel_reward", "sel_interaction" },
      { TARGET_AT_LEAST, "target", 0 }, "training,regression,selectivity", "about 2 min per seed on one core",
      "about 10 s", "task.name=baited task.dist=test test.activity=float16", NULL },
    { "volatility", "data/experiments/volatility.ini", "stable and volatile stretches (Behrens et al. 2007; Wang 2018 "
      "Fig. 3)", 5, 2, 1000, 20, 16,
      { "vol_ratio", "vol_ratio_lo", "vol_ratio_hi", "alpha_stable", "alpha_volatile", "reward_per_trial",
        "vol_ratio_2beta", "vol_ratio_2beta_lo", "vol_ratio_2beta_hi" },
      { TARGET_AT_LEAST, "target", 0 }, "training,volatility", "about 4 min per seed on one core", "about 15 s",
      "test.agents=volobs,rw,wsls,random", "data/configs/volatility.ini" },
    { "inferred", "data/experiments/inferred.ini", "inferred value in the RPE on reversals (Bromberg-Martin et al. 2010; "
      "Wang 2018 Fig. 4)", 5, 2, 2000, 100, 16,
      { "inf_expect_weight", "inf_last_weight", "inf_switch_ratio", "inf_switch_rewarded", "inf_switch_unrewarded",
        "inf_later_rewarded", "p_best" },
      { TARGET_BELOW, "target", 0 }, "training,inferred,rpe", "about 3 min per seed on one core", "about 10 s", NULL, NULL },
    { NULL, NULL, NULL, 0, 0, 0, 0, 0, { NULL }, { TARGET_BELOW, NULL, 0 }, NULL, NULL, NULL, NULL, NULL }
};

const ExperimentMetric *experiment_metric(const char *name)
{
    for (const ExperimentMetric *m = experiment_metrics; name && m->name; m++)
        if (!strcmp(m->name, name)) return m;
    return NULL;
}

const Experiment *experiment_find(const char *name)
{
    for (const Experiment *e = experiments; name && e->name; e++)
        if (!strcmp(e->name, name)) return e;
    return NULL;
}

void experiment_names(char *out, size_t n)
{
    size_t used = 0;
    out[0] = '\0';
    for (const Experiment *e = experiments; e->name && used < n; e++)
        used += (size_t)snprintf(out + used, n - used, "%s%s", used ? ", " : "", e->name);
}

int experiment_metric_summary(Store *s, int64_t run, const ExperimentMetric *m, double *value, char *err,
                              size_t n_err)
{
    char sql[256], v[64] = "";
    *value = NAN;
    snprintf(sql, sizeof sql, "SELECT json_extract(summary, '$.%s') FROM runs WHERE run_id = %lld", m->key,
             (long long)run);
    if (store_query_text(s, sql, v, sizeof v) != 0) {
        snprintf(err, n_err, "run %lld: %s", (long long)run, store_errmsg(s));
        return -1;
    }
    if (v[0]) *value = strtod(v, NULL);
    return 0;
}

static int fail(char *err, size_t n_err, int status, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t n_err, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = job_vfail(err, n_err, status, fmt, ap);
    va_end(ap);
    return rc;
}

/* ---- files and settings ----------------------------------------------------------------------------- */

int experiment_find_file(const char *rel, char *out, size_t n, char *err, size_t n_err)
{
    char exe[4096], dir[4096];
    snprintf(out, n, "%s", rel);
    if (access(out, R_OK) == 0) return 0;
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (k > 0) {
        exe[k] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) *slash = '\0';
        snprintf(dir, sizeof dir, "%s", exe);
        snprintf(out, n, "%.2000s/../%.1000s", dir, rel);
        if (access(out, R_OK) == 0) return 0;
        snprintf(out, n, "%.2000s/%.1000s", dir, rel);
        if (access(out, R_OK) == 0) return 0;
    }
    const char *root = getenv("METARL_ROOT");
    if (root && root[0]) {
        snprintf(out, n, "%.2000s/%.1000s", root, rel);
        if (access(out, R_OK) == 0) return 0;
    }
    snprintf(err, n_err, "%s: not found in the working directory, beside the program or in $METARL_ROOT "
                         "(run from the project's folder, or set METARL_ROOT to it)", rel);
    return -1;
}

static int set(Config *c, const char *section, const char *key, const char *value, char *err, size_t n_err)
{
    return config_set(c, section, key, value, "metarl experiment", err, n_err);
}

/* The config file plus the overrides; finalized. */
static int build_config(const Experiment *e, int quick, const char *seed, int workers, Config **out, char *err,
                        size_t n_err)
{
    char path[4096], v[64];
    *out = NULL;
    if (experiment_find_file(e->config, path, sizeof path, err, n_err) != 0) return JOB_USAGE;
    Config *c = config_alloc();
    if (!c || train_declare_all(c) != 0) {
        config_free(c);
        return fail(err, n_err, JOB_FAILED, "out of memory");
    }
    int bad = config_load_ini(c, path, err, n_err) != 0;
    if (!bad && seed) bad = set(c, "run", "seed", seed, err, n_err) != 0;
    if (!bad && quick) {
        snprintf(v, sizeof v, "%ld", e->quick_episodes);
        bad = set(c, "run", "episodes", v, err, n_err) != 0;
        snprintf(v, sizeof v, "%ld", e->quick_test_episodes);
        if (!bad) bad = set(c, "test", "episodes", v, err, n_err) != 0;
        snprintf(v, sizeof v, "%d", e->quick_hidden);
        if (!bad) bad = set(c, "model", "hidden", v, err, n_err) != 0;
    }
    snprintf(v, sizeof v, "%d", workers > 0 ? workers : 1);
    if (!bad) bad = set(c, "train", "workers", v, err, n_err) != 0;
    if (!bad) bad = set(c, "test", "activity", "false", err, n_err) != 0;
    if (!bad) bad = config_finalize(c, err, n_err) != 0;
    TrainConfig tc;
    if (!bad) bad = train_config_from(c, &tc, err, n_err) != 0;
    if (bad) {
        config_free(c);
        return JOB_USAGE;
    }
    *out = c;
    return JOB_OK;
}

int experiment_config(const Experiment *e, int quick, long seed, int workers, Config **out, char *err,
                      size_t n_err)
{
    char v[32];
    snprintf(v, sizeof v, "%ld", seed);
    return build_config(e, quick, seed ? v : NULL, workers, out, err, n_err);
}

int experiment_published(const char *name, PublishedRow *rows, int max, char *err, size_t n_err)
{
    char path[4096], line[2048];
    if (experiment_find_file("data/published/experiments.tsv", path, sizeof path, err, n_err) != 0) return -1;
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, n_err, "%s: %s", path, strerror(errno));
        return -1;
    }
    int n = 0, lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0] || line[0] == '#' || !strncmp(line, "experiment\treference\t", 21)) continue;
        char *save = NULL, *fld[5];
        int k = 0;
        for (char *t = strtok_r(line, "\t", &save); t && k < 5; t = strtok_r(NULL, "\t", &save)) fld[k++] = t;
        char *end = NULL;
        double v = k == 5 ? strtod(fld[3], &end) : NAN;
        if (k != 5 || !end || *end || end == fld[3]) {
            fclose(f);
            snprintf(err, n_err, "%s:%d: expected 5 tab-separated fields (experiment, reference, metric, value, "
                                 "source)", path, lineno);
            return -1;
        }
        if (name && strcmp(fld[0], name)) continue;
        if (n == max) break;
        PublishedRow *r = &rows[n++];
        snprintf(r->experiment, sizeof r->experiment, "%s", fld[0]);
        snprintf(r->reference, sizeof r->reference, "%s", fld[1]);
        snprintf(r->metric, sizeof r->metric, "%s", fld[2]);
        snprintf(r->source, sizeof r->source, "%s", fld[4]);
        r->value = v;
    }
    fclose(f);
    return n;
}

/* ---- the output folder ------------------------------------------------------------------------------ */

/* 0: out may be written (missing, empty, or an earlier experiment's folder); -1 otherwise. */
static int check_out(const char *out, char *err, size_t n_err)
{
    struct stat st;
    if (stat(out, &st) != 0) return errno == ENOENT ? 0 : fail(err, n_err, -1, "-o %s: %s", out, strerror(errno));
    if (!S_ISDIR(st.st_mode)) return fail(err, n_err, -1, "-o %s: exists and is not a folder", out);
    char p[4200];
    snprintf(p, sizeof p, "%s/summary.md", out);
    int ours = access(p, F_OK) == 0;
    snprintf(p, sizeof p, "%s/results.tsv", out);
    ours = ours && access(p, F_OK) == 0;
    DIR *d = opendir(out);
    int empty = 1;
    for (struct dirent *de; d && (de = readdir(d));)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) empty = 0;
    if (d) closedir(d);
    if (ours || empty) return 0;
    return fail(err, n_err, -1, "-o %s: the folder exists and is not an experiment's output; choose a new or empty "
                                "folder", out);
}

/* rm -r path (files and folders only). */
static void remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        char p[4400];
        for (struct dirent *de; d && (de = readdir(d));) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
            snprintf(p, sizeof p, "%.4000s/%.300s", path, de->d_name);
            remove_tree(p);
        }
        if (d) closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* Write into OUT.tmp-PID, then swap it into place. */
static int write_folder(ExperimentResult *r, const ExperimentSettings *s, char *err, size_t n_err)
{
    char tmp[4200], old[4200];
    snprintf(tmp, sizeof tmp, "%.4000s.tmp-%ld", r->out, (long)getpid());
    snprintf(old, sizeof old, "%.4000s.old-%ld", r->out, (long)getpid());
    remove_tree(tmp);
    if (mkdir(tmp, 0777) != 0) return fail(err, n_err, JOB_FAILED, "%s: cannot create (%s)", tmp, strerror(errno));
    if (experiment_write(r, s, tmp, err, n_err) != 0) {
        remove_tree(tmp);
        return JOB_FAILED;
    }
    if (check_out(r->out, err, n_err) != 0) {   /* something appeared there meanwhile */
        remove_tree(tmp);
        return JOB_USAGE;
    }
    int had = access(r->out, F_OK) == 0;
    if (had && rename(r->out, old) != 0) {
        remove_tree(tmp);
        return fail(err, n_err, JOB_FAILED, "%s: cannot replace (%s)", r->out, strerror(errno));
    }
    if (rename(tmp, r->out) != 0) {
        int e = errno;
        if (had) rename(old, r->out);
        remove_tree(tmp);
        return fail(err, n_err, JOB_FAILED, "%s: cannot rename %s into place (%s)", r->out, tmp, strerror(e));
    }
    if (had) remove_tree(old);
    return JOB_OK;
}

/* ---- the seeds -------------------------------------------------------------------------------------- */

static void say(const ExperimentSettings *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const ExperimentSettings *s, const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (s->message) s->message(s->ctx, line);
}

static int read_runs(const char *db, RunRow **rows, int *n, char *err, size_t n_err)
{
    *rows = NULL;
    *n = 0;
    if (access(db, F_OK) != 0) return JOB_OK;
    Store *st = store_open(db, STORE_READ, err, n_err);
    if (!st) return JOB_USAGE;
    int rc = store_runs(st, rows, n);
    if (rc != 0) snprintf(err, n_err, "%s", store_errmsg(st));
    store_close(st);
    return rc ? JOB_FAILED : JOB_OK;
}

static int find_named(const RunRow *rows, int n, const char *name)
{
    for (int i = n - 1; i >= 0; i--)
        if (!strcmp(rows[i].kind, "train") && !strcmp(rows[i].name, name)) return i;
    return -1;
}

static int64_t find_test(const RunRow *rows, int n, int64_t parent)
{
    for (int i = n - 1; i >= 0; i--)
        if (rows[i].parent_run == parent && !strcmp(rows[i].kind, "test") && rows[i].status &&
            !strcmp(rows[i].status, "done"))
            return rows[i].run_id;
    return 0;
}

static Config *empty_config(int (*declare)(Config *))
{
    char err[256];
    Config *c = config_alloc();
    if (!c || declare(c) != 0 || config_finalize(c, err, sizeof err) != 0) {
        config_free(c);
        return NULL;
    }
    return c;
}

typedef struct {
    const ExperimentSettings *s;
    const char *name;
    long next;   /* episodes at which the next progress line is due */
} Progress;

static void on_train(void *ctx, const TrainProgress *p)
{
    Progress *P = ctx;
    if (p->notice || !p->batch || p->episode < P->next) return;
    P->next = p->episode + (p->episodes + 9) / 10;
    say(P->s, "%s: episode %ld of %ld (%.0f s)", P->name, p->episode, p->episodes, p->elapsed_s);
}

/* The training job: new (cfg) or resumed (run). */
static int do_train(const ExperimentSettings *s, const char *db, Config *cfg, const char *name, int64_t run,
                    int *stopped, char *err, size_t n_err)
{
    Config *empty = NULL;
    if (run && !(empty = empty_config(train_declare_all))) return fail(err, n_err, JOB_FAILED, "out of memory");
    Progress P = { s, name, 0 };
    TrainSettings ts = { db, run ? empty : cfg, run != 0, run, name, s->version, s->stop, on_train, &P, NULL };
    TrainResult tr;
    int rc = train_job_run(&ts, &tr, err, n_err);
    if (rc == JOB_OK && tr.stopped) *stopped = tr.stopped;
    train_result_clear(&tr);
    config_free(empty);
    return rc;
}

/* The test's settings: none, or e->test_task's [task] section, then
** e->test_set's "section.key=value" words. */
static Config *test_config(const Experiment *e, char *err, size_t n_err)
{
    Config *c = config_alloc();
    if (!c || test_declare_all(c) != 0) {
        config_free(c);
        snprintf(err, n_err, "out of memory");
        return NULL;
    }
    if (e->test_task) {
        char path[4096];
        char *text = experiment_find_file(e->test_task, path, sizeof path, err, n_err) != 0
                         ? NULL : ini_slurp(path, "the experiment's test task", err, n_err);
        int bad = !text || config_load_text_section(c, text, "task", path, err, n_err) != 0;
        free(text);
        if (bad) {
            config_free(c);
            return NULL;
        }
    }
    char words[512], *save = NULL;
    snprintf(words, sizeof words, "%s", e->test_set ? e->test_set : "");
    for (char *w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        char *dot = strchr(w, '.'), *eq = strchr(w, '=');
        if (!dot || !eq || eq < dot) {
            snprintf(err, n_err, "experiment %s: test setting '%s' is not section.key=value", e->name, w);
            config_free(c);
            return NULL;
        }
        *dot = *eq = '\0';
        if (set(c, w, dot + 1, eq + 1, err, n_err) != 0) {
            config_free(c);
            return NULL;
        }
    }
    if (config_finalize(c, err, n_err) != 0) {
        config_free(c);
        return NULL;
    }
    return c;
}

static int do_test(const ExperimentSettings *s, const Experiment *e, const char *db, int64_t run, int *stopped,
                   char *err, size_t n_err)
{
    Config *empty = test_config(e, err, n_err);
    TestResult *tr = calloc(1, sizeof *tr);
    int rc = !empty ? JOB_FAILED : !tr ? fail(err, n_err, JOB_FAILED, "out of memory") : JOB_OK;
    if (rc == JOB_OK) {
        TestSettings ts = { db, run, empty, s->version, s->stop, NULL, NULL, NULL };
        rc = test_job_run(&ts, tr, err, n_err);
        if (rc == JOB_OK && tr->stopped) *stopped = tr->stopped;
        test_result_clear(tr);
    }
    free(tr);
    config_free(empty);
    return rc;
}

/* Train (or resume, or find trained) and test seed k. */
static int run_seed(const ExperimentSettings *s, ExperimentResult *r, int k, char *err, size_t n_err)
{
    const Experiment *e = r->e;
    char name[160];
    Config *cfg = NULL;
    RunRow *rows = NULL;
    int n = 0, stopped = 0;
    int rc = experiment_config(e, s->quick, r->seed[k], s->workers, &cfg, err, n_err);
    snprintf(name, sizeof name, "%s%s-seed%ld", e->name, s->quick ? "-quick" : "", r->seed[k]);
    if (rc == JOB_OK) rc = read_runs(r->db, &rows, &n, err, n_err);
    char what[600];
    int i = rc == JOB_OK ? find_named(rows, n, name) : -1;
    if (rc != JOB_OK) {
    } else if (i >= 0 && config_same_as_stored(cfg, rows[i].config, what, sizeof what) != 1) {
        rc = fail(err, n_err, JOB_USAGE, "%s: run %lld is named '%s' but has other settings: %s; use another --db",
                  r->db, (long long)rows[i].run_id, name, what);
    } else if (i >= 0 && !strcmp(rows[i].status, "failed")) {
        rc = fail(err, n_err, JOB_FAILED, "%s: training run %lld (%s) failed earlier (not finite); not run again",
                  r->db, (long long)rows[i].run_id, name);
    } else if (i >= 0 && strcmp(rows[i].status, "done")) {
        say(s, "%s: resuming training run %lld from episode %lld", name, (long long)rows[i].run_id,
            (long long)rows[i].n_episodes);
        rc = do_train(s, r->db, NULL, name, rows[i].run_id, &stopped, err, n_err);
        r->resumed++;
    } else if (i < 0) {
        say(s, "%s: training (%ld episodes)", name, config_int(cfg, "run", "episodes"));
        rc = do_train(s, r->db, cfg, name, 0, &stopped, err, n_err);
        r->trained++;
    } else if (find_test(rows, n, rows[i].run_id)) {
        say(s, "%s: trained and tested earlier (runs %lld, %lld): skipped", name, (long long)rows[i].run_id,
            (long long)find_test(rows, n, rows[i].run_id));
        r->skipped++;
    }
    store_runs_free(rows, n);
    rows = NULL;
    n = 0;
    if (rc == JOB_OK && !stopped) rc = read_runs(r->db, &rows, &n, err, n_err);
    if (rc == JOB_OK && !stopped && (i = find_named(rows, n, name)) >= 0) {
        r->train_run[k] = rows[i].run_id;
        r->test_run[k] = find_test(rows, n, r->train_run[k]);
        if (!r->test_run[k]) {
            say(s, "%s: testing run %lld with frozen weights", name, (long long)r->train_run[k]);
            rc = do_test(s, e, r->db, r->train_run[k], &stopped, err, n_err);
            store_runs_free(rows, n);
            rows = NULL;
            n = 0;
            if (rc == JOB_OK && !stopped && (rc = read_runs(r->db, &rows, &n, err, n_err)) == JOB_OK)
                r->test_run[k] = find_test(rows, n, r->train_run[k]);
        }
    }
    if (stopped) r->stopped = stopped;
    store_runs_free(rows, n);
    config_free(cfg);
    return rc;
}

/* ---- the metrics ------------------------------------------------------------------------------------ */

static int agent_index(ExperimentResult *r, const char *agent)
{
    for (int a = 0; a < r->n_agents; a++)
        if (!strcmp(r->agents[a].agent, agent)) return a;
    if (r->n_agents == EXPERIMENT_MAX_AGENTS) return -1;
    ExperimentAgent *A = &r->agents[r->n_agents];
    snprintf(A->agent, sizeof A->agent, "%s", agent);
    for (int m = 0; m < EXPERIMENT_MAX_METRICS; m++)
        for (int k = 0; k < EXPERIMENT_MAX_SEEDS; k++) A->v[m][k] = NAN;
    return r->n_agents++;
}

static int run_metrics(Store *st, ExperimentResult *r, int a, int k, int64_t run, char *err, size_t n_err)
{
    for (int m = 0; m < r->n_metrics; m++) {
        const ExperimentMetric *M = experiment_metric(r->e->metrics[m]);
        if (M->fn(st, run, M, &r->agents[a].v[m][k], err, n_err) != 0) return -1;
    }
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median, min and max over seeds of every agent and metric (NaN values left out). */
static void summarise(ExperimentResult *r)
{
    double v[EXPERIMENT_MAX_SEEDS];
    for (int a = 0; a < r->n_agents; a++) {
        ExperimentAgent *A = &r->agents[a];
        for (int m = 0; m < r->n_metrics; m++) {
            int n = 0;
            for (int k = 0; k < r->n_seeds; k++)
                if (!isnan(A->v[m][k])) v[n++] = A->v[m][k];
            qsort(v, (size_t)n, sizeof *v, cmp_double);
            A->median[m] = n ? (n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2])) : NAN;
            A->min[m] = n ? v[0] : NAN;
            A->max[m] = n ? v[n - 1] : NAN;
        }
    }
}

/* Every seed's network and reference agents, from the stored test runs. */
static int collect(ExperimentResult *r, char *err, size_t n_err)
{
    Store *st = store_open(r->db, STORE_READ, err, n_err);
    if (!st) return JOB_FAILED;
    int rc = JOB_OK;
    r->n_agents = 0;
    agent_index(r, "network");
    for (int k = 0; k < r->n_seeds && rc == JOB_OK; k++) {
        if (run_metrics(st, r, 0, k, r->test_run[k], err, n_err) != 0) rc = JOB_FAILED;
        int64_t *kids = NULL;
        int n_kids = 0;
        if (rc == JOB_OK && store_children(st, r->test_run[k], &kids, &n_kids) != 0)
            rc = fail(err, n_err, JOB_FAILED, "%s", store_errmsg(st));
        for (int j = 0; j < n_kids && rc == JOB_OK; j++) {
            RunRow kid;
            if (store_run_get(st, kids[j], &kid) != 0) continue;
            int a = !strcmp(kid.kind, "baseline") && kid.agent ? agent_index(r, kid.agent) : -1;
            store_run_clear(&kid);
            if (a >= 0 && run_metrics(st, r, a, k, kids[j], err, n_err) != 0) rc = JOB_FAILED;
        }
        free(kids);
    }
    store_close(st);
    if (rc == JOB_OK) summarise(r);
    return rc;
}

/* ---- the job ---------------------------------------------------------------------------------------- */

/* Everything checked before anything is written. */
static int prepare(const ExperimentSettings *s, ExperimentResult *r, char *err, size_t n_err)
{
    char names[512];
    const Experiment *e = experiment_find(s->name);
    experiment_names(names, sizeof names);
    if (!e) return fail(err, n_err, JOB_USAGE, "unknown experiment '%s' (experiments: %s)", s->name, names);
    r->e = e;
    int seeds = s->seeds ? s->seeds : s->quick ? e->quick_seeds : e->seeds;
    if (seeds < 1 || seeds > EXPERIMENT_MAX_SEEDS)
        return fail(err, n_err, JOB_USAGE, "--seeds %d: expected 1 to %d", seeds, EXPERIMENT_MAX_SEEDS);
    if (s->workers < 0 || s->workers > 256) return fail(err, n_err, JOB_USAGE, "--workers %d: expected 1 to 256", s->workers);
    r->n_seeds = seeds;
    for (r->n_metrics = 0; r->n_metrics < EXPERIMENT_MAX_METRICS && e->metrics[r->n_metrics]; r->n_metrics++)
        if (!experiment_metric(e->metrics[r->n_metrics]))
            return fail(err, n_err, JOB_FAILED, "experiment %s: unknown metric '%s'", e->name, e->metrics[r->n_metrics]);
    snprintf(r->db, sizeof r->db, "%s", s->db ? s->db : "");
    if (!s->db) snprintf(r->db, sizeof r->db, "%s%s.db", e->name, s->quick ? "-quick" : "");
    snprintf(r->out, sizeof r->out, "%s", s->out ? s->out : "");
    if (!s->out) snprintf(r->out, sizeof r->out, "%s%s", e->name, s->quick ? "-quick" : "");
    size_t n_out = strlen(r->out);
    while (n_out > 1 && r->out[n_out - 1] == '/') r->out[--n_out] = '\0';
    if (!r->out[0]) return fail(err, n_err, JOB_USAGE, "-o: empty");
    if (check_out(r->out, err, n_err) != 0) return JOB_USAGE;
    if (sweep_check_store(r->db, err, n_err) != JOB_OK) return JOB_USAGE;
    PublishedRow pub[64];
    if (experiment_published(e->name, pub, 64, err, n_err) < 0) return JOB_USAGE;
    Config *c = NULL;
    int rc = experiment_config(e, s->quick, 0, s->workers, &c, err, n_err);
    if (rc == JOB_OK) {
        long base = config_int(c, "run", "seed");
        for (int k = 0; k < seeds; k++) r->seed[k] = base + k;
    }
    config_free(c);
    return rc;
}

int experiment_run(const ExperimentSettings *s, ExperimentResult *r, char *err, size_t n_err)
{
    memset(r, 0, sizeof *r);
    double t0 = now_s();
    int rc = prepare(s, r, err, n_err);
    for (int k = 0; rc == JOB_OK && k < r->n_seeds && !r->stopped; k++) {
        if (s->stop && *s->stop) r->stopped = *s->stop;
        else rc = run_seed(s, r, k, err, n_err);
    }
    if (rc != JOB_OK || r->stopped) return rc;
    if ((rc = collect(r, err, n_err)) != JOB_OK) return rc;
    PublishedRow pub[64];
    int n_pub = experiment_published(r->e->name, pub, 64, err, n_err);
    if (n_pub < 0) return JOB_FAILED;
    experiment_judge(r, pub, n_pub);
    if (s->quick)   /* an untrained network can pass a target by chance: say on the verdict's line what it is */
        strncat(r->verdict, " A --quick check of the pipeline: not the result.",
                sizeof r->verdict - strlen(r->verdict) - 1);
    rc = write_folder(r, s, err, n_err);
    r->seconds = now_s() - t0;
    return rc;
}
