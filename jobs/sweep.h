/* jobs/sweep.h: the sweep job: one job per point of a grid of settings.
**
** A grid file is INI. Its [sweep] section names a base config file and what
** to run per point; every other entry gives a setting a list of values, in
** the sections and keys of a config file:
**
**     [sweep]
**     config = bandit.ini      ; base config: beside the grid file, else from the working directory
**     steps  = train, test     ; train | train, test | baseline
**     name   = lr-seed         ; runs are named "lr-seed p3 train.lr=5e-4 run.seed=2" (default: file name)
**     [run]
**     seed = 1, 2, 3           ; values separated by commas, or by '|' when a value holds commas
**     episodes = 20000         ; one value: the same at every point
**     [train]
**     lr = 1e-3, 5e-4
**
** Points are the Cartesian product of the lists, numbered 0, 1, ... with the
** first key varying slowest and the last fastest (here 3 x 2 = 6 points:
** p0 seed=1 lr=1e-3, p1 seed=1 lr=5e-4, p2 seed=2 lr=1e-3, ...). Point p's
** settings are: defaults < base config < the grid's values at p. Every point
** can be checked (sweep_point_config) before anything runs.
**
** sweep_point_run() runs one point with the jobs themselves, in this
** process: the training job (jobs/train.h) makes a training run named as
** above, the test job (jobs/test.h) tests it with frozen weights beside the
** reference agents, the baseline job (jobs/baseline.h) runs the configured
** reference agent. Run again with the same grid and store, a point that is
** done is skipped and an interrupted training resumes from its checkpoint.
** The point's final regret and P(best) are read from the test's (or
** baseline's) stored summary. Which points a process runs, and into which
** store, is the caller's choice (cli/cmd_sweep.c: one store per MPI rank).
*/
#ifndef METARL_JOBS_SWEEP_H
#define METARL_JOBS_SWEEP_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"

#define GRID_MAX_KEYS 32
#define GRID_MAX_VALUES 256
#define GRID_MAX_POINTS 10000

enum { STEP_TRAIN = 1, STEP_TEST = 2, STEP_BASELINE = 4 };

typedef struct {
    char section[64], key[64];
    int n_lines;
    char *lines[GRID_MAX_VALUES];   /* as written (continuation lines add more) */
    int n;
    char *v[GRID_MAX_VALUES];       /* the values, split by grid_split */
} GridKey;

typedef struct {
    const char *path;
    char base[4096];           /* base config as written in the file ("" = none) */
    char name[128];            /* run name prefix */
    int steps;                 /* STEP_* */
    int n_keys;
    GridKey keys[GRID_MAX_KEYS];
    long n_points;
    char err[1024];
    int failed;
} Grid;

/* One point's outcome; plain bytes, gathered from every rank by rank 0. */
typedef struct {
    int32_t point, rank, status, done;   /* status: exit status of its steps; done: 1 if it ran or was found */
    int64_t run, test_run;               /* training (or baseline) run, test run; 0 = none */
    double seconds, regret, p_best, reward;
    char state[16];                      /* done, resumed, skipped, failed, interrupted, not run */
} PointResult;


/* Read and check the grid file; resolve the base config. JOB_OK, or
** JOB_USAGE with the message in g->err. Free with sweep_grid_free. */
int sweep_grid_load(Grid *g, const char *path);
void sweep_grid_free(Grid *g);
/* The value index of key k at point p: the last key varies fastest. */
int sweep_grid_index(const Grid *g, int k, long p);
/* "run.seed=2 train.lr=5e-4": the keys that vary, at point p. */
void sweep_point_label(const Grid *g, long p, char *out, size_t n);
/* The name of point p's runs: "NAME pP LABEL". */
void sweep_point_name(const Grid *g, long p, char *out, size_t n);
/* Point p's finalized settings for the grid's first job. JOB_OK, or
** JOB_USAGE with a message in err (which names the grid, key and value). */
int sweep_point_config(const Grid *g, long p, Config **out, char *err, size_t n_err);
/* Load the grid (sweep_grid_load), name its stores' prefix (db_prefix
** without ".db", or the grid's name) and check every point's settings.
** JOB_OK, or JOB_USAGE with the message in g->err. */
int sweep_prepare(Grid *g, const char *path, const char *db_prefix, char *prefix, size_t n_prefix);
/* "train", "train, test" or "baseline". */
const char *sweep_steps_name(const Grid *g);
/* JOB_OK if db does not exist or is a metarl store; JOB_USAGE with a message if not. */
int sweep_check_store(const char *db, char *err, size_t n_err);
/* The store of a rank: PREFIX.db alone, PREFIX.rank<r>.db among several. */
void sweep_db_name(const char *prefix, int rank, int size, char *out, size_t n);

typedef struct SweepSettings {
    const char *db;                /* the store of this process's points */
    const char *version;           /* the program's, stored with the runs */
    volatile sig_atomic_t *stop;   /* nonzero (a signal number): stop the point's job cleanly */
    void (*message)(void *ctx, const char *line);   /* the jobs' error lines (may be NULL) */
    void *ctx;
} SweepSettings;

/* Run (or finish, or find done) point p into s->db; the outcome in *r
** (r->status: JOB_OK, JOB_USAGE, JOB_FAILED or 128 + a signal). */
void sweep_point_run(const Grid *g, long p, const SweepSettings *s, PointResult *r);

#endif
