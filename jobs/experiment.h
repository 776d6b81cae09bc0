/* jobs/experiment.h: the experiment job: one cognitive experiment end to end.
**
** An experiment is one row of the table in jobs/experiment.c: a config file
** (the task, the network, the trainer, the test), how many training seeds,
** what --quick shrinks, the metrics it reports (rows of the metric table)
** and the target its first metric must meet against a reference number of
** data/published/experiments.tsv. Adding an experiment is one row plus a
** config file; adding a metric (the two-step stay probabilities, say) is one
** row of experiment_metrics[] and its function.
**
** experiment_run() trains K seeds (seed s = the config's run.seed + s, run
** named "NAME-seedS", or "NAME-quick-seedS" with --quick) with the training
** job (jobs/train.h), tests each with frozen weights beside the reference
** agents (jobs/test.h), reads each metric per seed from the stored test runs,
** and writes into a folder: results.tsv (one row per agent and metric:
** median, min, max over seeds, then one column per seed), summary.md (one
** line: reproduced or not; the table of measured against published numbers
** with their source; the runs) and figures/ (analysis/report.h's
** report_plot, one figure per kind the experiment names). The folder is
** built under a temporary name beside it and renamed at the end. Run again
** with the same store, finished seeds are skipped and interrupted ones
** resume from their checkpoint. Nothing here prints: lines go to a callback.
** Used by `metarl experiment` (cli/cmd_experiment.c).
*/
#ifndef METARL_JOBS_EXPERIMENT_H
#define METARL_JOBS_EXPERIMENT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "store/store.h"

#define EXPERIMENT_MAX_METRICS 10
#define EXPERIMENT_MAX_SEEDS 64
#define EXPERIMENT_MAX_AGENTS 17      /* the network and TEST_MAX_REFERENCE agents */

typedef struct ExperimentMetric ExperimentMetric;

/* The metric of one stored test or baseline run. 0 with *value (NaN if the
** run does not have it), or -1 with a message. */
typedef int (*ExperimentMetricFn)(Store *s, int64_t run, const ExperimentMetric *m, double *value, char *err,
                                  size_t n_err);

struct ExperimentMetric {
    const char *name;          /* column name, and the name rows of the published table use */
    const char *label;         /* what it is, for summary.md */
    const char *key;           /* the stored summary's JSON key (for experiment_metric_summary) */
    ExperimentMetricFn fn;
};

/* The metric table (ended by a row with name NULL). */
extern const ExperimentMetric experiment_metrics[];
const ExperimentMetric *experiment_metric(const char *name);
/* The two-step metrics: m->key is a stay cell ("rewarded_common", ...) or
** "mf_weight" / "mb_weight" (the stay regression's reward and reward x
** transition weights), from the run's stored trials and stages
** (analysis/twostep.h). */
int experiment_metric_twostep(Store *s, int64_t run, const ExperimentMetric *m, double *value, char *err,
                              size_t n_err);
/* The harlow, baited, volatility and inferred metrics (jobs/experiment_metrics.c),
** m->key naming the number: harlow "trial1" / "trial2" (accuracy of the
** episode's first and second choice stage); baited "lg_rewarded_1",
** "lg_unrewarded_1" (the Lau-Glimcher kernel at lag 1: bR_1, bU_1),
** "lg_reward_1" (bR_1 - bU_1: since bR c r + bU c (1 - r) = bU c + (bR - bU)
** c r, the weight of reward history apart from choice history, Lau &
** Glimcher 2005's reward kernel; bU_1 is the choice kernel), "matching_slope"
** (analysis/matching.h), "sel_action", "sel_reward", "sel_interaction" (the
** fraction of recorded units whose rate depends on the previous action,
** reward, or their product at p < 0.05, analysis/neural.h); volatility
** "ratio", "ratio_lo", "ratio_hi", "alpha_stable", "alpha_volatile", "beta"
** (analysis/volatility_fit.h, 50 bootstrap replicates, 95%); inferred
** "switch_rewarded", "switch_unrewarded" (mean delta at the outcome of the
** first switch after a reversal), "later_rewarded", "switch_ratio"
** (switch_rewarded / later_rewarded: scale-free, since the network's delta
** and a reference agent's are in different units), "expect_weight",
** "last_weight" (the inferred-value regression's weights on the observer's
** E[r] and on the last reward from that arm), "switch_expect". */
int experiment_metric_harlow(Store *s, int64_t run, const ExperimentMetric *m, double *value, char *err,
                             size_t n_err);
int experiment_metric_baited(Store *s, int64_t run, const ExperimentMetric *m, double *value, char *err,
                             size_t n_err);
int experiment_metric_volatility(Store *s, int64_t run, const ExperimentMetric *m, double *value, char *err,
                                 size_t n_err);
int experiment_metric_inferred(Store *s, int64_t run, const ExperimentMetric *m, double *value, char *err,
                               size_t n_err);
/* The default metric function: the run's stored summary, key m->key. */
int experiment_metric_summary(Store *s, int64_t run, const ExperimentMetric *m, double *value, char *err,
                              size_t n_err);

typedef enum {
    TARGET_BELOW,      /* median < the reference */
    TARGET_WITHIN,     /* |median - reference| <= tol */
    TARGET_AT_LEAST    /* median >= the reference */
} ExperimentTargetKind;

typedef struct ExperimentTarget {
    ExperimentTargetKind kind;
    const char *reference;     /* row of data/published/experiments.tsv (this experiment, metrics[0]) */
    double tol;
} ExperimentTarget;

typedef struct Experiment {
    const char *name;
    const char *config;        /* relative to the project's folder (see experiment_find_file) */
    const char *summary;       /* one line */
    int seeds;                 /* default K */
    int quick_seeds;
    long quick_episodes, quick_test_episodes;
    int quick_hidden;
    const char *metrics[EXPERIMENT_MAX_METRICS];   /* names in experiment_metrics; [0] is the target's */
    ExperimentTarget target;
    const char *figures;       /* plot kinds, comma-separated ("training,regret,curve") */
    const char *time_full, *time_quick;   /* expected wall time (measured where the README says so) */
    const char *test_set;      /* the test's settings ("task.dist=test test.activity=true"; NULL = none):
                                  what the frozen-weight test changes from the training run */
    const char *test_task;     /* a config file (relative as config) whose [task] section the test plays,
                                  before test_set; NULL = the training run's task */
} Experiment;

/* The table (ended by a row with name NULL). */
extern const Experiment experiments[];
const Experiment *experiment_find(const char *name);
/* "bandit, dependent, ...". */
void experiment_names(char *out, size_t n);

/* A project file (a config, the published table) by its relative path: in
** the working directory, else beside the binary's folder (build/..), else in
** $METARL_ROOT. 0 with the path in out, or -1 with a message. */
int experiment_find_file(const char *rel, char *out, size_t n, char *err, size_t n_err);

/* The finalized training settings of seed `seed` (0 = the config's own):
** the config file, then --quick's overrides, train.workers = workers (> 0),
** test.activity off. JOB_OK with *out, or JOB_USAGE with a message. */
int experiment_config(const Experiment *e, int quick, long seed, int workers, Config **out, char *err,
                      size_t n_err);

/* One row of data/published/experiments.tsv. */
typedef struct PublishedRow {
    char experiment[64], reference[64], metric[64], source[512];
    double value;
} PublishedRow;

/* Rows of the published table for experiment `name` (all if NULL), into
** rows[0..max-1]. Return their count, or -1 with a message (a malformed line
** names its file and line). */
int experiment_published(const char *name, PublishedRow *rows, int max, char *err, size_t n_err);

typedef struct ExperimentSettings {
    const char *name;
    int seeds;                 /* 0 = the experiment's (or quick's) default */
    int quick;
    const char *db;            /* NULL = NAME.db (NAME-quick.db with quick) */
    const char *out;           /* NULL = NAME (NAME-quick with quick) */
    int workers;               /* train.workers (threads per batch); 0 = 1 */
    const char *version;
    volatile sig_atomic_t *stop;
    void (*message)(void *ctx, const char *line);   /* progress lines (may be NULL) */
    void *ctx;
} ExperimentSettings;

/* One agent's metric values per seed. */
typedef struct ExperimentAgent {
    char agent[64];
    double v[EXPERIMENT_MAX_METRICS][EXPERIMENT_MAX_SEEDS];   /* NaN = none */
    double median[EXPERIMENT_MAX_METRICS], min[EXPERIMENT_MAX_METRICS], max[EXPERIMENT_MAX_METRICS];
} ExperimentAgent;

typedef struct ExperimentResult {
    const Experiment *e;
    int n_seeds, n_metrics;
    long seed[EXPERIMENT_MAX_SEEDS];
    int64_t train_run[EXPERIMENT_MAX_SEEDS], test_run[EXPERIMENT_MAX_SEEDS];
    int trained, resumed, skipped;             /* seeds, by what this call did */
    int n_agents;                              /* agents[0] is the network */
    ExperimentAgent agents[EXPERIMENT_MAX_AGENTS];
    int reproduced;                            /* 1 yes, 0 no, -1 cannot tell (no reference) */
    char verdict[1024];                        /* summary.md's line */
    char db[4096], out[4096];
    double seconds;
    int stopped;                               /* the signal that stopped it, or 0 */
} ExperimentResult;

/* Run experiment s->name. JOB_OK (also when stopped: r->stopped, nothing
** written), JOB_USAGE for bad input (unknown experiment, seeds out of range,
** a store or folder that is not ours, a run of that name with other
** settings; nothing written), JOB_FAILED otherwise; the message in err. */
int experiment_run(const ExperimentSettings *s, ExperimentResult *r, char *err, size_t n_err);

/* ---- internal to jobs/experiment*.c ---- */
/* Write results.tsv, summary.md and figures/ of r into folder dir (which exists). */
int experiment_write(const ExperimentResult *r, const ExperimentSettings *s, const char *dir, char *err,
                     size_t n_err);
/* The verdict of r (r->reproduced, r->verdict) against its target. */
void experiment_judge(ExperimentResult *r, const PublishedRow *pub, int n_pub);

#endif
