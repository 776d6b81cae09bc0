/* store/store.h: the SQLite store of runs, episodes, trials and activity.
**
** The only module that includes <sqlite3.h>. A Store owns one connection and
** the statements prepared on it once. The schema is data/schema.sql (compiled
** in); see that file for every table and column.
**
** Writing: store_begin(), any number of store_put_*(), store_commit(). Commit
** one batch of episodes per transaction: readers in other processes (WAL
** mode) then see whole batches, and a crash loses at most the open batch.
** A failed put leaves the transaction open; call store_rollback(), and
** nothing of that batch remains.
**
** Errors: every function returns 0 on success or -1, with a one-line message
** from store_errmsg(); nothing here prints or exits.
*/
#ifndef METARL_STORE_H
#define METARL_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/episode.h"

#define STORE_SCHEMA_VERSION 4          /* 2: the stages table, 3: fits, 4: activity_steps (added to older files on first write) */
#define STORE_APPLICATION_ID 0x4D455452   /* "METR" */
#define STORE_MAX_TRIALS 1000000          /* per episode; a stored count above it is damage */

typedef struct Store Store;

typedef enum {
    STORE_READ,    /* the file must exist and be a metarl store; never written */
    STORE_WRITE    /* created if missing (and removed again if creation fails) */
} StoreMode;

/* A row of the runs table. Text fields are owned by the row: release with
** store_run_clear(). */
typedef struct RunRow {
    int64_t run_id;
    char *kind, *name, *task, *agent, *config, *rng, *version, *started, *finished, *status, *summary;
    int64_t parent_run;      /* 0 if none */
    int64_t seed;
    int64_t n_episodes;      /* filled by store_runs()/store_run_get(): episodes stored; for a train run,
                                episodes trained (its newest checkpoint) */
} RunRow;

/* One training-curve row. */
typedef struct TrainRow {
    int64_t episode;
    double reward, regret, p_best, loss_policy, loss_value, entropy, grad_norm, beta_e, wall_s;
} TrainRow;

/* Open (or, with STORE_WRITE, create) the store at path. Refuses a file that
** is not an SQLite database, an SQLite database of another application, and
** a store with a newer schema, leaving the file untouched. Return NULL with a
** message in err. */
Store *store_open(const char *path, StoreMode mode, char *err, size_t n_err);
/* The same; *runtime (if not NULL) says whether a failure is the machine's
** (disk full, an I/O error, out of memory: exit 1) rather than the input's
** (a missing, foreign, damaged or read-only file: exit 2). */
Store *store_open_rt(const char *path, StoreMode mode, int *runtime, char *err, size_t n_err);
/* Close; safe on NULL. Rolls back an open transaction. */
void store_close(Store *s);
const char *store_errmsg(const Store *s);
/* 1 if the last failure on s was the machine's (disk full, I/O, out of memory), 0 if the input's. */
int store_err_runtime(const Store *s);
/* The largest value (a blob such as one activity row) the store accepts, in
** bytes: SQLite's SQLITE_LIMIT_LENGTH on this connection. */
int64_t store_value_limit(const Store *s);
const char *store_path(const Store *s);

int store_begin(Store *s);
int store_commit(Store *s);
void store_rollback(Store *s);

/* Insert a run (run_id and n_episodes of row ignored); write its id. */
int store_run_create(Store *s, const RunRow *row, int64_t *run_id);
/* Set status ('done', 'interrupted', 'failed'), finished time and summary JSON (may be NULL). */
int store_run_finish(Store *s, int64_t run_id, const char *status, const char *summary);
/* Set the status of a run back to 'running' (a resumed training). */
int store_run_reopen(Store *s, int64_t run_id);
/* Replace the stored configuration text of a run (a resume with a new target). */
int store_run_set_config(Store *s, int64_t run_id, const char *config);
/* Claim run_id for this process until store_close(): one trainer per run.
** The lock is the kernel's (an open-file-description lock on one byte of
** the file, far from SQLite's own lock bytes), so a killed process leaves
** no stale lock behind. Return 0, or -1 with "... is being trained by
** another process" in the store's message. */
int store_lock_run(Store *s, int64_t run_id);

/* Write an episode and its trials; with_activity also writes the unit rates
** held in e (prefrontal and, if any, striatal): as float32 for any nonzero
** value but STORE_RATES_FLOAT16 (half precision) and STORE_RATES_SPARSE
** (float32 without the exact zeros; store/rates.h). */
int store_put_episode(Store *s, int64_t run_id, int64_t episode, const char *phase,
                      const EpisodeRecord *e, int with_activity);
int store_put_training(Store *s, int64_t run_id, const TrainRow *row);
int store_put_checkpoint(Store *s, int64_t run_id, int64_t episode,
                         const void *params, size_t n_params,
                         const void *optimizer, size_t n_optimizer,
                         const void *state, size_t n_state);
/* Keep only the newest `keep` checkpoints of a run. */
int store_prune_checkpoints(Store *s, int64_t run_id, int keep);

/* Read the newest checkpoint of a run. Buffers are malloc'ed for the caller;
** *episode = -1 (and return 0) if the run has none. */
int store_get_checkpoint(Store *s, int64_t run_id, int64_t *episode,
                         void **params, size_t *n_params,
                         void **optimizer, size_t *n_optimizer,
                         void **state, size_t *n_state);

/* All runs, oldest first. *rows is malloc'ed; free with store_runs_free(). */
int store_runs(Store *s, RunRow **rows, int *n);
void store_runs_free(RunRow *rows, int n);
/* One run; return -1 with "no run N in FILE" if it does not exist. */
int store_run_get(Store *s, int64_t run_id, RunRow *row);
void store_run_clear(RunRow *row);
/* The newest run of a kind (NULL = any), or 0 if none. */
int64_t store_last_run(Store *s, const char *kind);
/* Runs that name parent as parent_run (baselines beside a test), oldest
** first; *ids is malloc'ed. */
int store_children(Store *s, int64_t parent, int64_t **ids, int *n);
/* Delete every episode, trial, activity and training row of a run numbered
** `episode` or above: on resume, what was written after the last checkpoint
** is computed again, bit for bit, so it is dropped rather than duplicated. */
int store_delete_after(Store *s, int64_t run_id, int64_t episode);

/* Read every episode of a run, in order. *eps is a malloc'ed array of
** records (free with store_episodes_free()). with_activity loads unit rates
** too (prefrontal and striatal side by side, as the runner records them),
** and, where stored, the per-step prefrontal rates (e->n_steps > 0). */
int store_read_episodes(Store *s, int64_t run_id, int with_activity,
                        EpisodeRecord ***eps, int *n);
/* The per-step prefrontal rates of one episode (table activity_steps) into
** e: e->n_steps x e->n_step_units rates in e->step_rates, the epoch of each
** step in e->step_epoch, e->steps_per_trial; n_steps = 0 if none are stored
** (or the file predates them). e comes from episode_alloc(). Return 0, or
** -1 (no such episode, a damaged row). */
int store_read_steps(Store *s, int64_t run_id, int64_t episode, EpisodeRecord *e);
void store_episodes_free(EpisodeRecord **eps, int n);

/* Read the training curve of a run; *rows malloc'ed. */
int store_read_training(Store *s, int64_t run_id, TrainRow **rows, int *n);
/* The same without its first `skip` rows (the tail of a long curve). */
int store_read_training_from(Store *s, int64_t run_id, int64_t skip, TrainRow **rows, int *n);
/* The number of training rows of a run. */
int store_count_training(Store *s, int64_t run_id, int64_t *n);

/* A row of the fits table (data/schema.sql). Strings are owned by the
** caller on put; on read, params and subject are malloc'ed (store_fits_free). */
typedef struct FitRow {
    int64_t run_id, episode;
    char *subject;            /* NULL if none */
    char model[32];           /* e.g. "rw" */
    char method[4];           /* "ml" or "map" */
    char *params;             /* JSON */
    double loglik, heldout_loglik;   /* heldout NaN = NULL */
    int cv_folds, n_trials, n_params, converged, at_bound;
} FitRow;

/* Insert or replace one fit (inside store_begin/commit). */
int store_put_fit(Store *s, const FitRow *row);
/* Every fit of a run, by episode then model; a store older than version 3
** has none (0 rows). *rows malloc'ed; free with store_fits_free(). */
int store_read_fits(Store *s, int64_t run_id, FitRow **rows, int *n);
void store_fits_free(FitRow *rows, int n);

/* Run any read-only SQL that yields one text or number (for tests and info). */
int store_query_text(Store *s, const char *sql, char *out, size_t n_out);

/* ---- merging stores (metarl merge) ----------------------------------------
** store_merge() copies every run of another store into s: the runs row, its
** episodes, trials, activity, training curve and checkpoints, byte for byte
** (INSERT ... SELECT), with run ids renumbered in s and parent_run links
** renumbered to match. One transaction per input: a failure leaves s as it
** was.
**
** Provenance, without a schema change: the copied run's summary JSON gains
** "merged_from": {"file": LABEL, "run": ID} (the run id in the file it came
** from; ids inside the rest of the summary are that file's). A run that
** already carries merged_from keeps it, so provenance points at the original
** file through any number of merges. A run counts as already present when s
** holds a run with the same kind, name, task, agent, config (but for
** run.episodes, which a resume may raise; an update takes the new one), seed, rng,
** version, start time and original run id: it is skipped if s's copy is as
** far along (episodes + training rows + newest checkpoint, then finish time),
** and replaced in place (same id in s) if the input's copy went further (a
** run merged while still training). So merging the same file twice adds
** nothing. */
typedef struct StoreMergeCounts {
    int added;      /* runs new to s */
    int updated;    /* runs present in s that the input had taken further */
    int skipped;    /* runs already present in s, as far along */
} StoreMergeCounts;

/* Merge the store at in_path into s (opened with STORE_WRITE). label names
** the input in the provenance (e.g. the file's base name). Refuses, leaving s
** untouched, an input that store_open(STORE_READ) refuses and the file of s
** itself. Return 0, or -1 with a message. */
int store_merge(Store *s, const char *in_path, const char *label, StoreMergeCounts *counts);

#endif
