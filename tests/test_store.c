/* tests/test_store.c: the SQLite store: round trips in memory and on disk,
** all-or-nothing batches, refusal of foreign and future files, checkpoints,
** and a reader beside a writer. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "store/episode_writer.h"
#include "store/store.h"
#include "tests/helpers/testutil.h"

/* Fill e (allocated for at least n_trials trials of n_units rates) with a
   pattern that differs by salt. */
static void fill_episode(EpisodeRecord *e, int n_trials, int n_units, int salt)
{
    episode_clear(e);
    e->n_trials = n_trials;
    e->n_pfc = n_units > 2 ? n_units - 2 : n_units;
    for (int t = 0; t < n_trials; t++) {
        TrialRecord *tr = &e->trials[t];
        tr->action = (t + salt) % 3 == 0 ? -1 : (t + salt) % 2;
        tr->reward = tr->action < 0 ? NAN : (double)((t * 7 + salt) % 2);
        tr->truth.p[0] = 0.1 + 0.001 * t;
        tr->truth.p[1] = 0.9 - 0.001 * salt;
        tr->truth.best = t % 5 == 0 ? -1 : 1;
        tr->truth.block = t / 10;
        tr->truth.since_reversal = t % 10;
        tr->probs[0] = t % 2 ? NAN : 0.25 + 1e-3 * t;
        tr->probs[1] = t % 2 ? NAN : 0.75 - 1e-3 * t;
        tr->value = t % 4 ? 0.5 / (t + 1) : NAN;
        tr->rpe = t % 4 ? -0.125 * t : NAN;
    }
    for (int i = 0; i < n_trials * n_units; i++) e->activity[i] = (float)sin(i + salt);
    snprintf(e->instance, sizeof e->instance, "{\"p\":[0.1,%d]}", salt);
    if (salt == 3) snprintf(e->subject, sizeof e->subject, "S%02d", salt);
    episode_summarize(e);
}

static EpisodeRecord *sample_episode(int n_trials, int n_units, int salt)
{
    EpisodeRecord *e = episode_alloc(n_trials, n_units);
    assert_non_null(e);
    fill_episode(e, n_trials, n_units, salt);
    return e;
}

/* A new temporary folder in dir and a new store dir/name (its path in path), open for writing. */
static Store *tmp_store(char *dir, size_t n_dir, char *path, size_t n_path, const char *name)
{
    char err[512];
    test_tmpdir(dir, n_dir);
    snprintf(path, n_path, "%s/%s", dir, name);
    Store *s = store_open(path, STORE_WRITE, err, sizeof err);
    if (!s) fail_msg("%s", err);
    return s;
}

static int64_t new_run(Store *s, const char *kind)
{
    RunRow row;
    memset(&row, 0, sizeof row);
    row.kind = (char *)kind;
    row.name = "test";
    row.task = "bandit";
    row.agent = "random";
    row.config = "[run]\nseed = 1\n";
    row.seed = 1;
    row.rng = "mt19937";
    row.version = "test";
    int64_t id = 0;
    if (store_run_create(s, &row, &id) != 0) fail_msg("%s", store_errmsg(s));
    return id;
}

static void assert_same_trials(const EpisodeRecord *a, const EpisodeRecord *b)
{
    assert_int_equal(a->n_trials, b->n_trials);
    for (int t = 0; t < a->n_trials; t++) {
        const TrialRecord *x = &a->trials[t], *y = &b->trials[t];
        assert_int_equal(x->action, y->action);
        assert_true((isnan(x->reward) && isnan(y->reward)) || x->reward == y->reward);
        assert_true(x->truth.p[0] == y->truth.p[0] && x->truth.p[1] == y->truth.p[1]);
        assert_int_equal(x->truth.best, y->truth.best);
        assert_int_equal(x->truth.block, y->truth.block);
        assert_int_equal(x->truth.since_reversal, y->truth.since_reversal);
        for (int k = 0; k < 2; k++)
            assert_true((isnan(x->probs[k]) && isnan(y->probs[k])) || x->probs[k] == y->probs[k]);
        assert_true((isnan(x->value) && isnan(y->value)) || x->value == y->value);
        assert_true((isnan(x->rpe) && isnan(y->rpe)) || x->rpe == y->rpe);
    }
    assert_string_equal(a->instance, b->instance);
    assert_string_equal(a->subject, b->subject);
}

static void round_trip(const char *path)
{
    char err[512];
    Store *s = store_open(path, STORE_WRITE, err, sizeof err);
    if (!s) fail_msg("%s", err);
    int64_t run = new_run(s, "test");
    EpisodeRecord *e[4];
    /* trials go in as one INSERT per 64 rows and one per row for the rest
    ** (store/write.c): lengths below, at and either side of the chunk */
    const int n_trials[4] = { 25, 63, 64, 131 };
    assert_int_equal(store_begin(s), 0);
    for (int i = 0; i < 4; i++) {
        e[i] = sample_episode(n_trials[i], 6, i);
        assert_int_equal(store_put_episode(s, run, i, "test", e[i], 1), 0);
    }
    assert_int_equal(store_commit(s), 0);
    EpisodeRecord **back;
    int n;
    assert_int_equal(store_read_episodes(s, run, 1, &back, &n), 0);
    assert_int_equal(n, 4);
    for (int i = 0; i < 4; i++) {
        assert_same_trials(e[i], back[i]);
        assert_int_equal(back[i]->n_units, 6);
        assert_int_equal(back[i]->n_pfc, 4);
        assert_memory_equal(back[i]->activity, e[i]->activity, sizeof(float) * 6 * (size_t)e[i]->n_trials);
        assert_true(back[i]->total_reward == e[i]->total_reward);
    }
    store_episodes_free(back, n);
    RunRow r;
    assert_int_equal(store_run_get(s, run, &r), 0);
    assert_string_equal(r.status, "running");
    assert_int_equal(r.n_episodes, 4);
    store_run_clear(&r);
    assert_int_equal(store_run_finish(s, run, "done", "{\"x\":1}"), 0);
    assert_int_equal(store_run_get(s, run, &r), 0);
    assert_string_equal(r.status, "done");
    assert_string_equal(r.summary, "{\"x\":1}");
    assert_non_null(r.finished);
    store_run_clear(&r);
    assert_int_equal(store_run_get(s, run + 100, &r), -1);
    assert_non_null(strstr(store_errmsg(s), "no run"));
    for (int i = 0; i < 4; i++) episode_free(e[i]);
    store_close(s);
}

static void round_trip_in_memory(void **state)
{
    (void)state;
    round_trip(":memory:");
}

static void round_trip_on_disk(void **state)
{
    (void)state;
    char dir[256], path[300];
    test_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/a.db", dir);
    round_trip(path);
    char err[512];
    Store *s = store_open(path, STORE_READ, err, sizeof err);   /* reopen read-only */
    if (!s) fail_msg("%s", err);
    RunRow *rows;
    int n;
    assert_int_equal(store_runs(s, &rows, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].n_episodes, 4);
    store_runs_free(rows, n);
    store_close(s);
    test_rmdir(dir);
}

static void failed_insert_leaves_nothing(void **state)
{
    (void)state;
    char err[512];
    Store *s = store_open(":memory:", STORE_WRITE, err, sizeof err);
    assert_non_null(s);
    int64_t run = new_run(s, "test");
    EpisodeRecord *e = sample_episode(30, 0, 1);
    assert_int_equal(store_begin(s), 0);
    assert_int_equal(store_put_episode(s, run, 0, "test", e, 0), 0);
    assert_int_equal(store_put_episode(s, run, 1, "test", e, 0), 0);
    assert_int_equal(store_put_episode(s, run, 1, "test", e, 0), -1);   /* duplicate episode */
    assert_non_null(strstr(store_errmsg(s), "write episode"));
    /* the failed row ended the transaction itself (OR ROLLBACK, store/open.c:
    ** no statement journal), so a new one begins at once */
    assert_int_equal(store_begin(s), 0);
    store_rollback(s);
    char out[64];
    assert_int_equal(store_query_text(s, "SELECT count(*) FROM episodes", out, sizeof out), 0);
    assert_string_equal(out, "0");
    assert_int_equal(store_query_text(s, "SELECT count(*) FROM trials", out, sizeof out), 0);
    assert_string_equal(out, "0");
    /* a bad phase violates the CHECK constraint: also refused whole */
    assert_int_equal(store_begin(s), 0);
    assert_int_equal(store_put_episode(s, run, 0, "bogus", e, 0), -1);
    store_rollback(s);
    assert_int_equal(store_query_text(s, "SELECT count(*) FROM trials", out, sizeof out), 0);
    assert_string_equal(out, "0");
    episode_free(e);
    store_close(s);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void sqlite_exec(const char *path, const char *sql)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static void foreign_and_future_files_are_refused(void **state)
{
    (void)state;
    char dir[256], path[300], err[512];
    test_tmpdir(dir, sizeof dir);

    snprintf(path, sizeof path, "%s/notes.txt", dir);
    write_file(path, "these are my notes, not a database\n");
    long before = file_size(path);
    assert_null(store_open(path, STORE_WRITE, err, sizeof err));
    assert_non_null(strstr(err, "not a metarl database"));
    assert_int_equal(file_size(path), before);

    snprintf(path, sizeof path, "%s/other.db", dir);
    sqlite_exec(path, "CREATE TABLE mine (x); INSERT INTO mine VALUES (1);");
    before = file_size(path);
    assert_null(store_open(path, STORE_WRITE, err, sizeof err));
    assert_non_null(strstr(err, "another application"));
    assert_int_equal(file_size(path), before);

    snprintf(path, sizeof path, "%s/future.db", dir);
    Store *s = store_open(path, STORE_WRITE, err, sizeof err);
    assert_non_null(s);
    store_close(s);
    sqlite_exec(path, "PRAGMA user_version = 99");
    assert_null(store_open(path, STORE_WRITE, err, sizeof err));
    assert_non_null(strstr(err, "newer"));
    assert_null(store_open(path, STORE_READ, err, sizeof err));

    snprintf(path, sizeof path, "%s/damaged.db", dir);
    s = store_open(path, STORE_WRITE, err, sizeof err);
    assert_non_null(s);
    store_close(s);
    sqlite_exec(path, "DROP TABLE trials");
    assert_null(store_open(path, STORE_READ, err, sizeof err));
    assert_non_null(strstr(err, "damaged"));

    snprintf(path, sizeof path, "%s/missing.db", dir);
    assert_null(store_open(path, STORE_READ, err, sizeof err));
    assert_non_null(strstr(err, "no such file"));
    assert_int_equal(file_size(path), -1);   /* reading never creates */
    test_rmdir(dir);
}

static void checkpoints_and_resume_cleanup(void **state)
{
    (void)state;
    char err[512];
    Store *s = store_open(":memory:", STORE_WRITE, err, sizeof err);
    assert_non_null(s);
    int64_t run = new_run(s, "train");
    double params[5] = { 1, 2, 3, 4, 5 }, opt[3] = { -1, -2, -3 };
    uint64_t st[2] = { 7, 8 };
    for (int k = 1; k <= 4; k++) {
        params[0] = k;
        assert_int_equal(store_put_checkpoint(s, run, 100 * k, params, sizeof params, opt, sizeof opt, st, sizeof st), 0);
    }
    assert_int_equal(store_prune_checkpoints(s, run, 2), 0);
    char out[64];
    assert_int_equal(store_query_text(s, "SELECT count(*) FROM checkpoints", out, sizeof out), 0);
    assert_string_equal(out, "2");
    int64_t ep;
    void *p, *o, *x;
    size_t np, no, nx;
    assert_int_equal(store_get_checkpoint(s, run, &ep, &p, &np, &o, &no, &x, &nx), 0);
    assert_int_equal(ep, 400);
    assert_int_equal(np, sizeof params);
    assert_true(((double *)p)[0] == 4);
    assert_memory_equal(o, opt, sizeof opt);
    assert_memory_equal(x, st, sizeof st);
    free(p);
    free(o);
    free(x);
    /* rows after a checkpoint are dropped on resume */
    TrainRow tr = { 0, 1, 2, 0.5, 0.1, 0.2, 0.6, 1.5, 0.05, 0.1 };
    for (int e = 395; e < 405; e++) {
        tr.episode = e;
        assert_int_equal(store_put_training(s, run, &tr), 0);
    }
    assert_int_equal(store_delete_after(s, run, 400), 0);
    assert_int_equal(store_query_text(s, "SELECT max(episode) FROM training", out, sizeof out), 0);
    assert_string_equal(out, "399");
    TrainRow *rows;
    int n;
    assert_int_equal(store_read_training(s, run, &rows, &n), 0);
    assert_int_equal(n, 5);
    assert_true(rows[4].grad_norm == 1.5);
    free(rows);
    int64_t none = new_run(s, "train");
    assert_int_equal(store_get_checkpoint(s, none, &ep, &p, &np, &o, &no, &x, &nx), 0);
    assert_int_equal(ep, -1);
    store_close(s);
}

static void reader_beside_writer(void **state)
{
    (void)state;
    char dir[256], path[300], err[512];
    Store *w = tmp_store(dir, sizeof dir, path, sizeof path, "live.db");
    int64_t run = new_run(w, "train");
    EpisodeRecord *e = sample_episode(10, 0, 2);
    assert_int_equal(store_begin(w), 0);
    assert_int_equal(store_put_episode(w, run, 0, "train", e, 0), 0);
    assert_int_equal(store_commit(w), 0);
    assert_int_equal(store_begin(w), 0);                      /* a batch in progress */
    assert_int_equal(store_put_episode(w, run, 1, "train", e, 0), 0);
    Store *r = store_open(path, STORE_READ, err, sizeof err);
    if (!r) fail_msg("%s", err);
    EpisodeRecord **eps;
    int n;
    assert_int_equal(store_read_episodes(r, run, 0, &eps, &n), 0);
    assert_int_equal(n, 1);                                   /* sees whole batches only */
    store_episodes_free(eps, n);
    assert_int_equal(store_commit(w), 0);
    assert_int_equal(store_read_episodes(r, run, 0, &eps, &n), 0);
    assert_int_equal(n, 2);
    store_episodes_free(eps, n);
    store_close(r);
    store_close(w);
    episode_free(e);
    test_rmdir(dir);
}

/* Hand n episodes to a writer on s with options o (episode i: `trials + i %
   spread` trials of o->n_units rates, salt i) and wait for it to finish. */
static void write_through_writer(Store *s, const EpisodeWriterOptions *o, int n, int trials, int spread)
{
    char err[512];
    EpisodeWriter *w = episode_writer_start(s, o, err, sizeof err);
    if (!w) fail_msg("%s", err);
    for (int i = 0; i < n; i++) {
        EpisodeRecord *e = episode_writer_slot(w);
        assert_non_null(e);
        fill_episode(e, trials + i % spread, o->n_units, i);
        episode_writer_push(w, i);
    }
    assert_int_equal(episode_writer_finish(w, err, sizeof err), 0);
}

/* The writer thread stores what it is handed in order, in batches, the last
   partial batch included, with the records in flight fewer than episodes. */
static void writer_stores_in_order(void **state)
{
    (void)state;
    char dir[256], path[300];
    Store *s = tmp_store(dir, sizeof dir, path, sizeof path, "w.db");
    int64_t run = new_run(s, "test");
    EpisodeWriterOptions o = { .run_id = run, .phase = "test", .with_activity = 1, .batch = 5, .depth = 3,
                               .max_trials = 40, .n_units = 6 };
    enum { N = 23 };
    write_through_writer(s, &o, N, 20, 7);
    EpisodeRecord **back;
    int n;
    assert_int_equal(store_read_episodes(s, run, 1, &back, &n), 0);
    assert_int_equal(n, N);
    for (int i = 0; i < N; i++) {
        EpisodeRecord *e = sample_episode(20 + i % 7, 6, i);
        assert_same_trials(e, back[i]);
        assert_memory_equal(back[i]->activity, e->activity, sizeof(float) * 6 * (size_t)e->n_trials);
        episode_free(e);
    }
    store_episodes_free(back, n);
    store_close(s);
    test_rmdir(dir);
}

static int pragma_of(const char *path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* New stores have 16 KiB pages; a store made with 4 KiB pages (every store
   before the larger pages) keeps them, takes episodes through the writer
   thread past the checkpointer's thresholds (counted in bytes, so in 4 times
   as many pages), and stays whole. */
static void page_sizes(void **state)
{
    (void)state;
    char dir[256], path[300], err[512];
    test_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/p.db", dir);
    round_trip(path);
    assert_int_equal(pragma_of(path, "PRAGMA page_size"), 16384);
    sqlite_exec(path, "PRAGMA journal_mode=DELETE; PRAGMA page_size=4096; VACUUM; PRAGMA journal_mode=WAL");
    assert_int_equal(pragma_of(path, "PRAGMA page_size"), 4096);
    Store *s = store_open(path, STORE_WRITE, err, sizeof err);
    if (!s) fail_msg("%s", err);
    int64_t run = new_run(s, "test");
    EpisodeWriterOptions o = { .run_id = run, .phase = "test", .with_activity = 1, .batch = 20, .depth = 4,
                               .max_trials = 100, .n_units = 64 };
    enum { N = 400 };   /* 400 x 100 x 64 x 4 = 10 MB of rates: past the 4 MB that wakes the checkpointer */
    write_through_writer(s, &o, N, 100, 1);
    store_close(s);
    assert_int_equal(pragma_of(path, "PRAGMA page_size"), 4096);
    assert_int_equal(pragma_of(path, "SELECT count(*) FROM pragma_quick_check WHERE quick_check = 'ok'"), 1);
    assert_int_equal(pragma_of(path, "SELECT count(*) FROM activity WHERE run_id = 2"), 2 * N);
    test_rmdir(dir);
}

/* The writer's connection skips the foreign-key check while it runs (every
   episode's row goes in before its trials and rates): what it writes has no
   orphan rows, and the check is on again once it finishes (an episode of a
   run that does not exist is refused). */
static void writer_foreign_keys(void **state)
{
    (void)state;
    char dir[256], path[300];
    Store *s = tmp_store(dir, sizeof dir, path, sizeof path, "fk.db");
    int64_t run = new_run(s, "test");
    EpisodeWriterOptions o = { .run_id = run, .phase = "test", .with_activity = 1, .batch = 7, .depth = 4,
                               .max_trials = 20, .n_units = 6 };
    write_through_writer(s, &o, 30, 20, 1);
    EpisodeRecord *e = episode_alloc(20, 6);
    assert_non_null(e);
    fill_episode(e, 20, 6, 99);
    assert_int_equal(store_begin(s), 0);
    assert_int_not_equal(store_put_episode(s, run + 1000, 0, "test", e, 1), 0);
    store_rollback(s);
    episode_free(e);
    store_close(s);
    assert_int_equal(pragma_of(path, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
    assert_int_equal(pragma_of(path, "SELECT count(*) FROM trials"), 30 * 20);
    assert_int_equal(pragma_of(path, "SELECT count(*) FROM activity"), 30 * 2);
    test_rmdir(dir);
}

/* The ring holds 1.5 transactions of small records, as many as fit in
   64 MiB of large ones (a whole batch of 100 episodes x 100 trials x 256
   units would be 10 MB: it fits; of 5000 per-step rows of 256 units, it
   does not), and never fewer than the caller asked for. */
static void writer_ring_depth(void **state)
{
    (void)state;
    char err[512];
    Store *s = store_open(":memory:", STORE_WRITE, err, sizeof err);
    assert_non_null(s);
    int64_t run = new_run(s, "test");
    struct { int batch, depth, trials, units, steps, want_lo, want_hi; } c[] = {
        { 100, 8, 100, 256, 0, 150, 150 },
        { 5, 3, 40, 6, 0, 7, 7 },
        { 2, 9, 30, 0, 0, 9, 9 },
        { 100, 8, 100, 256, 5000, 12, 13 },   /* 64 MiB / (5000 x 1025 + 100 x (256 x 4 + trial) bytes) */
    };
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
        EpisodeWriterOptions o = { .run_id = run, .phase = "test", .batch = c[i].batch, .depth = c[i].depth,
                                   .max_trials = c[i].trials, .n_units = c[i].units,
                                   .max_steps = c[i].steps, .n_step_units = c[i].steps ? c[i].units : 0 };
        EpisodeWriter *w = episode_writer_start(s, &o, err, sizeof err);
        assert_non_null(w);
        int d = episode_writer_depth(w);
        if (d < c[i].want_lo || d > c[i].want_hi) fail_msg("case %zu: depth %d, want %d-%d", i, d, c[i].want_lo, c[i].want_hi);
        assert_int_equal(episode_writer_finish(w, err, sizeof err), 0);
    }
    store_close(s);
}

/* A failed write rolls back its batch, keeps the earlier ones, stops the
   caller (no more records) and reports the store's message. */
static void writer_failure_stops_the_caller(void **state)
{
    (void)state;
    char err[512];
    Store *s = store_open(":memory:", STORE_WRITE, err, sizeof err);
    assert_non_null(s);
    int64_t run = new_run(s, "test");
    EpisodeWriterOptions o = { .run_id = run, .phase = "test", .batch = 2, .depth = 2, .max_trials = 30 };
    EpisodeWriter *w = episode_writer_start(s, &o, err, sizeof err);
    assert_non_null(w);
    const int64_t index[] = { 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };   /* episode 2 twice */
    int handed = 0;
    for (size_t i = 0; i < sizeof index / sizeof *index; i++) {
        EpisodeRecord *e = episode_writer_slot(w);
        if (!e) break;
        fill_episode(e, 30, 0, (int)i);
        episode_writer_push(w, index[i]);
        handed++;
    }
    assert_true(handed >= 4);
    assert_int_equal(episode_writer_finish(w, err, sizeof err), -1);
    assert_non_null(strstr(err, "write episode"));
    char out[64];
    assert_int_equal(store_query_text(s, "SELECT group_concat(episode) FROM episodes", out, sizeof out), 0);
    assert_string_equal(out, "0,1");
    assert_int_equal(store_query_text(s, "SELECT count(*) FROM trials", out, sizeof out), 0);
    assert_string_equal(out, "60");
    store_close(s);
}

static long count_rows(const char *path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long n = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* Multi-stage trials: stage rows go out and come back as they were, a
** single-stage episode writes none, a version-1 file gains the table on its
** first write, and a merge copies the rows. */
static void stages_round_trip(void **state)
{
    (void)state;
    char dir[256], path[300], other[300], err[512];
    test_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/s.db", dir);
    snprintf(other, sizeof other, "%s/o.db", dir);
    Store *s = store_open(path, STORE_WRITE, err, sizeof err);
    assert_non_null(s);
    int64_t run = new_run(s, "baseline");
    EpisodeRecord *e = sample_episode(6, 0, 1);
    EpisodeRecord *plain = sample_episode(6, 0, 2);
    assert_int_equal(episode_reserve_stages(e, 12), 0);
    for (int t = 0; t < 6; t++)
        for (int g = 0; g < 2; g++) {
            StageRecord r = { t, g, g ? 1 + t % 2 : 0, g ? t % 2 : (t + 1) % 2, g ? (double)(t % 3 == 0) : 0.0,
                              g ? NAN : 0.25 * t, g ? -0.5 : NAN };
            assert_int_equal(episode_add_stage(e, &r), 0);
        }
    StageRecord extra = { 0, 2, 0, 0, 0, 0, 0 };
    assert_int_equal(episode_add_stage(e, &extra), -1);   /* full: never grows behind the caller's back */
    assert_int_equal(store_begin(s), 0);
    assert_int_equal(store_put_episode(s, run, 0, "test", e, 0), 0);
    assert_int_equal(store_put_episode(s, run, 1, "test", plain, 0), 0);
    assert_int_equal(store_commit(s), 0);
    store_close(s);
    assert_int_equal(count_rows(path, "SELECT count(*) FROM stages WHERE episode = 1"), 0);
    assert_int_equal(count_rows(path, "SELECT count(*) FROM stages WHERE episode = 0"), 12);

    s = store_open(path, STORE_READ, err, sizeof err);
    assert_non_null(s);
    EpisodeRecord **eps;
    int n;
    assert_int_equal(store_read_episodes(s, run, 0, &eps, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(eps[0]->n_stages, 12);
    assert_int_equal(eps[1]->n_stages, 0);
    for (int i = 0; i < 12; i++) {
        const StageRecord *a = &e->stages[i], *b = &eps[0]->stages[i];
        assert_true(a->t == b->t && a->stage == b->stage && a->state == b->state && a->action == b->action);
        assert_true(a->reward == b->reward);
        assert_true((isnan(a->value) && isnan(b->value)) || a->value == b->value);
        assert_true((isnan(a->rpe) && isnan(b->rpe)) || a->rpe == b->rpe);
    }
    store_episodes_free(eps, n);
    store_close(s);

    /* a version-1 file: no stages table; writing to it adds the table */
    s = store_open(other, STORE_WRITE, err, sizeof err);
    assert_non_null(s);
    new_run(s, "baseline");
    store_close(s);
    sqlite_exec(other, "DROP TABLE stages; PRAGMA user_version = 1;");
    s = store_open(other, STORE_READ, err, sizeof err);
    assert_non_null(s);   /* read as it is */
    assert_int_equal(store_read_episodes(s, 1, 0, &eps, &n), 0);
    store_episodes_free(eps, n);
    store_close(s);
    s = store_open(other, STORE_WRITE, err, sizeof err);
    assert_non_null(s);
    StoreMergeCounts c;
    assert_int_equal(store_merge(s, path, "s", &c), 0);
    store_close(s);
    assert_int_equal(count_rows(other, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    assert_int_equal(count_rows(other, "SELECT count(*) FROM stages"), 12);
    test_rmdir(dir);
    episode_free(e);
    episode_free(plain);
}

static void copy_file(const char *from, const char *to)
{
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    assert_true(a && b);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, a)) > 0) assert_int_equal(fwrite(buf, 1, n, b), n);
    fclose(a);
    fclose(b);
}

/* A -wal file of another store beside a store is refused by name, and the
** store's own bytes stay as they were (no checkpoint of foreign pages). */
static void foreign_wal_is_refused(void **state)
{
    (void)state;
    char dir[256], a[300], b[300], wal[320], bwal[320], err[512];
    test_tmpdir(dir, sizeof dir);
    snprintf(a, sizeof a, "%s/a.db", dir);
    snprintf(b, sizeof b, "%s/b.db", dir);
    snprintf(wal, sizeof wal, "%s-wal", a);
    snprintf(bwal, sizeof bwal, "%s-wal", b);
    Store *s = store_open(a, STORE_WRITE, err, sizeof err);
    assert_non_null(s);
    new_run(s, "baseline");
    store_close(s);
    long size_before = file_size(a);
    Store *sb = store_open(b, STORE_WRITE, err, sizeof err);
    assert_non_null(sb);
    int64_t run = new_run(sb, "test");
    EpisodeRecord *e = sample_episode(20, 0, 1);
    assert_int_equal(store_begin(sb), 0);
    assert_int_equal(store_put_episode(sb, run, 0, "test", e, 0), 0);
    assert_int_equal(store_commit(sb), 0);
    copy_file(bwal, wal);   /* while b is open, its WAL holds that commit */
    store_close(sb);
    assert_null(store_open(a, STORE_READ, err, sizeof err));
    assert_non_null(strstr(err, "belongs to another store"));
    assert_null(store_open(a, STORE_WRITE, err, sizeof err));
    assert_int_equal(file_size(a), size_before);
    unlink(wal);
    s = store_open(a, STORE_READ, err, sizeof err);   /* without it, the store opens as it was */
    assert_non_null(s);
    RunRow *rows;
    int n;
    assert_int_equal(store_runs(s, &rows, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].kind, "baseline");
    store_runs_free(rows, n);
    store_close(s);
    episode_free(e);
    test_rmdir(dir);
}

/* One trainer per run: a second claim on the same run fails, another run
** is free, and closing the store (as a dying process does) frees the run. */
static void run_lock_is_exclusive(void **state)
{
    (void)state;
    char dir[256], path[300], err[512];
    test_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/l.db", dir);
    Store *a = store_open(path, STORE_WRITE, err, sizeof err), *b = store_open(path, STORE_WRITE, err, sizeof err);
    assert_true(a && b);
    assert_int_equal(store_lock_run(a, 1), 0);
    assert_int_equal(store_lock_run(b, 1), -1);
    assert_non_null(strstr(store_errmsg(b), "run 1 is being trained by another process"));
    assert_int_equal(store_lock_run(b, 2), 0);
    store_close(a);
    assert_int_equal(store_lock_run(b, 1), 0);
    store_close(b);
    test_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_in_memory),
        cmocka_unit_test(round_trip_on_disk),
        cmocka_unit_test(failed_insert_leaves_nothing),
        cmocka_unit_test(foreign_and_future_files_are_refused),
        cmocka_unit_test(checkpoints_and_resume_cleanup),
        cmocka_unit_test(reader_beside_writer),
        cmocka_unit_test(writer_stores_in_order),
        cmocka_unit_test(writer_ring_depth),
        cmocka_unit_test(page_sizes),
        cmocka_unit_test(writer_foreign_keys),
        cmocka_unit_test(writer_failure_stops_the_caller),
        cmocka_unit_test(stages_round_trip),
        cmocka_unit_test(foreign_wal_is_refused),
        cmocka_unit_test(run_lock_is_exclusive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
