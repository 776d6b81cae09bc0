/* tests/bench_store.c: what storing trials and unit rates costs.
**
** Writes the same test-phase episodes (100 trials, a 48-unit network's
** rates plus a few striatal units) into a fresh store three ways: trials
** only, trials + activity in the chosen layout (one float32 BLOB per
** episode and module), and, for comparison, activity as one row per trial
** and unit (the "long" layout a purely relational design would use). Then
** reads them back. Prints microseconds per episode and the file sizes.
**
**     build/tests/bench_store [episodes]      (default 2000)
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/store.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

static void fill(EpisodeRecord *e, int T, int salt)
{
    e->n_trials = T;
    e->n_pfc = 48;
    for (int t = 0; t < T; t++) {
        TrialRecord *tr = &e->trials[t];
        tr->action = (t * 7 + salt) % 2;
        tr->reward = (t * 13 + salt) % 3 == 0;
        tr->truth = (TaskTruth){ { 0.3, 0.7 }, 1, 0, t };
        tr->probs[0] = 0.4;
        tr->probs[1] = 0.6;
        tr->value = 0.5;
        tr->rpe = 0.1;
    }
    for (int i = 0; i < T * e->n_units; i++) e->activity[i] = (float)sin(0.01 * i + salt);
    episode_summarize(e);
}

static void cleanup(const char *path)
{
    char side[512];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

/* Write n episodes; mode 0 = trials only, 1 = BLOB activity, 2 = long activity. */
static double write_run(const char *path, int n, int mode, EpisodeRecord *e)
{
    char err[512];
    cleanup(path);
    Store *s = store_open(path, STORE_WRITE, err, sizeof err);
    if (!s) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    RunRow row;
    memset(&row, 0, sizeof row);
    row.kind = "test";
    row.name = "bench";
    row.task = "bandit";
    row.agent = "network";
    row.config = "";
    row.rng = "mt19937";
    row.version = "bench";
    int64_t run;
    store_run_create(s, &row, &run);
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    if (mode == 2) {
        sqlite3_open(path, &db);
        sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; CREATE TABLE IF NOT EXISTS "
                         "activity_long (run_id INTEGER, episode INTEGER, t INTEGER, unit INTEGER, rate REAL, "
                         "PRIMARY KEY (run_id, episode, t, unit)) WITHOUT ROWID",
                     NULL, NULL, NULL);
        sqlite3_prepare_v2(db, "INSERT INTO activity_long VALUES (?1, ?2, ?3, ?4, ?5)", -1, &st, NULL);
    }
    double t0 = now_s();
    for (int k = 0; k < n; k++) {
        if (k % 100 == 0) {
            store_begin(s);
            if (db) sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
        }
        fill(e, e->cap_trials, k);
        store_put_episode(s, run, k, "test", e, mode == 1);
        if (mode == 2) {
            for (int t = 0; t < e->n_trials; t++)
                for (int u = 0; u < e->n_units; u++) {
                    sqlite3_bind_int64(st, 1, run);
                    sqlite3_bind_int(st, 2, k);
                    sqlite3_bind_int(st, 3, t);
                    sqlite3_bind_int(st, 4, u);
                    sqlite3_bind_double(st, 5, e->activity[t * e->n_units + u]);
                    sqlite3_step(st);
                    sqlite3_reset(st);
                }
        }
        if (k % 100 == 99 || k + 1 == n) {
            store_commit(s);
            if (db) sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        }
    }
    double dt = now_s() - t0;
    sqlite3_finalize(st);
    sqlite3_close(db);
    store_close(s);
    return dt;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 2000;
    const int T = 100, units = 48 + 2;
    char path[64];
    snprintf(path, sizeof path, "/tmp/metarl-bench-store-%ld.db", (long)getpid());
    EpisodeRecord *e = episode_alloc(T, units);
    printf("store benchmark: %d episodes x %d trials, %d units (48 prefrontal + 2 striatal)\n\n", n, T, units);
    printf("%-44s %12s %12s %10s\n", "layout", "write s", "us/episode", "file MB");
    double base = write_run(path, n, 0, e);
    printf("%-44s %12.3f %12.1f %10.1f\n", "trials only", base, 1e6 * base / n, file_size(path) / 1e6);
    double blob = write_run(path, n, 1, e);
    long blob_size = file_size(path);
    printf("%-44s %12.3f %12.1f %10.1f\n", "trials + activity, float32 BLOB per episode", blob, 1e6 * blob / n,
           blob_size / 1e6);
    double t0 = now_s();
    char err[512];
    Store *s = store_open(path, STORE_READ, err, sizeof err);
    EpisodeRecord **eps;
    int got;
    store_read_episodes(s, 1, 1, &eps, &got);
    double read_blob = now_s() - t0;
    store_episodes_free(eps, got);
    store_close(s);
    int n_long = n < 200 ? n : 200;   /* the long layout is slow: time a slice and scale */
    double lng = write_run(path, n_long, 2, e) * n / n_long;
    printf("%-44s %12.3f %12.1f %10s\n", "trials + activity, one row per trial x unit", lng, 1e6 * lng / n,
           "(scaled)");
    printf("\nactivity in the BLOB layout adds %.0f%% to the time to write trials; the long layout would add %.0f%%\n",
           100 * (blob - base) / base, 100 * (lng - base) / base);
    printf("reading %d episodes back with activity: %.3f s (%.1f us/episode)\n", got, read_blob, 1e6 * read_blob / got);
    cleanup(path);
    episode_free(e);
    return 0;
}
