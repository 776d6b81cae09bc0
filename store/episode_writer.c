/* store/episode_writer.c: see episode_writer.h.
**
** The records form a ring: the queue is the `queued` records from `head`
** on, and the caller fills the one just after it. A record leaves the queue
** only once it is written, so the caller never touches a record in use.
**
** While it runs, the writer's connection gets a page cache that holds one
** whole transaction (cache_fit): with SQLite's default of 2 MB, a
** transaction of 100 episodes with unit rates (4-10 MB at 96-256 units)
** spilled pages to the WAL mid-transaction and read them back, which made
** a third more pwrites and 3.6 times the preads of a cache that fits (N 96:
** 93,042 pwrite and 88,984 pread calls against 73,822 and 24,729;
** tests/bench_record.sh). The pages written are the same either way.
**
** The ring holds one and a half transactions where that fits in
** WRITER_RING_BYTES (ring_depth): a COMMIT writes a whole transaction's
** pages at once (10 MB at 256 units), and a ring of a few records filled up
** during it and stopped the player until the writer came back: 0.3-0.6 s
** of 2.5 s at 256 units with the 8 records that callers ask for; none
** with 150 (test, 2000 episodes; README "Recording cost").
**
** While it runs, the connection does not check foreign keys
** (fk_off): every episode's row goes in before its trials, stages and
** rates, in the same transaction, so the check could not fail, and it cost a
** search of `episodes` per trial row, which the writer thread (the pace
** setter of a network-only test even without rates) spent 15% of a test's
** wall time on at 48 units. tests/test_store.c checks the stores it writes
** with PRAGMA foreign_key_check.
*/
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/episode_writer.h"
#include "core/thread.h"
#include "store/store_internal.h"

#include <sqlite3.h>

struct EpisodeWriter {
    Store *store;
    EpisodeWriterOptions o;
    EpisodeRecord **rec;     /* (depth) */
    int64_t *index;          /* (depth) episode number of each queued record */
    int head, queued;
    int done;                /* the caller has finished handing over */
    int failed;              /* a write failed: the writer only drains from now on */
    char err[512];
    int cache_kib;           /* the connection's cache_size before (-KiB or pages), restored at the end */
    int cache_set;
    int fk_was_on;           /* foreign keys were enforced before: switched on again at the end */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t has_work, has_room;
};

/* Give the connection a page cache of at least one transaction of the
** largest episodes (trial rows about 160 bytes each on disk with their index,
** rates 4 bytes a unit and trial, half again for b-tree slack); remember the
** old setting. A cache only grows as pages are used. Failure is harmless. */
static void cache_fit(EpisodeWriter *w)
{
    sqlite3 *db = w->store->db;
    int old = 0;
    if (store_pragma_int(db, "PRAGMA cache_size", &old) != 0) return;
    double bytes = 1.5 * w->o.batch * (double)w->o.max_trials * (160.0 + 4.0 * w->o.n_units);
    long kib = (long)(bytes / 1024) + 1;
    long old_kib = old < 0 ? -(long)old : (long)old * 4;   /* pages of (at least) 4 KiB: an estimate */
    if (kib <= old_kib || kib > 1L << 20) return;
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA cache_size = -%ld", kib);
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK) {
        w->cache_kib = old;
        w->cache_set = 1;
    }
}

#define WRITER_RING_BYTES (64.0 * 1024 * 1024)

/* Records in the ring: the caller's depth, raised to 1.5 x batch as long as
** the records (trials, unit rates, stages, per-step rates) fit in
** WRITER_RING_BYTES. */
static int ring_depth(const EpisodeWriterOptions *o)
{
    double one = (double)o->max_trials * (sizeof(TrialRecord) + sizeof(float) * (double)o->n_units) +
                 (o->max_stages > 1 ? (double)o->max_trials * o->max_stages * sizeof(StageRecord) : 0.0) +
                 (double)o->max_steps * (1.0 + sizeof(float) * (double)o->n_step_units) + sizeof(EpisodeRecord);
    double want = 1.5 * o->batch, fit = WRITER_RING_BYTES / one;
    if (want > fit) want = fit;
    return want > o->depth ? (int)want : o->depth;
}

/* Foreign keys unchecked while the writer runs (see above); a no-op inside
** a transaction, where SQLite ignores the pragma. */
static void fk_off(EpisodeWriter *w)
{
    int on = 0;
    w->fk_was_on = store_pragma_int(w->store->db, "PRAGMA foreign_keys", &on) == 0 && on == 1;
    if (w->fk_was_on) sqlite3_exec(w->store->db, "PRAGMA foreign_keys = OFF", NULL, NULL, NULL);
}

static void fk_restore(EpisodeWriter *w)
{
    if (w->fk_was_on) sqlite3_exec(w->store->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
}

static void cache_restore(EpisodeWriter *w)
{
    if (!w->cache_set) return;
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA cache_size = %d", w->cache_kib);
    sqlite3_exec(w->store->db, sql, NULL, NULL, NULL);
}

static void fail(EpisodeWriter *w, int in_tx)
{
    snprintf(w->err, sizeof w->err, "%s", store_errmsg(w->store));
    if (in_tx) store_rollback(w->store);
    pthread_mutex_lock(&w->mu);
    w->failed = 1;
    pthread_cond_signal(&w->has_room);
    pthread_mutex_unlock(&w->mu);
}

static void *writer_main(void *arg)
{
    EpisodeWriter *w = arg;
    int in_tx = 0, in_batch = 0;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (w->queued == 0 && !w->done) pthread_cond_wait(&w->has_work, &w->mu);
        if (w->queued == 0) break;
        int k = w->head, failed = w->failed;
        pthread_mutex_unlock(&w->mu);
        if (!failed) {
            /* SQLite runs without the lock: the caller fills other records meanwhile */
            if (!in_tx && store_begin(w->store) != 0) {
                fail(w, 0);
            } else {
                in_tx = 1;
                if (store_put_episode(w->store, w->o.run_id, w->index[k], w->o.phase, w->rec[k], w->o.with_activity) != 0) {
                    fail(w, 1);
                    in_tx = 0;
                } else if (++in_batch == w->o.batch) {
                    in_tx = in_batch = 0;
                    if (store_commit(w->store) != 0) fail(w, 1);
                }
            }
        }
        pthread_mutex_lock(&w->mu);
        w->head = (w->head + 1) % w->o.depth;
        w->queued--;
        pthread_cond_signal(&w->has_room);
    }
    pthread_mutex_unlock(&w->mu);
    if (in_tx && store_commit(w->store) != 0) fail(w, 1);
    return NULL;
}

static void records_free(EpisodeWriter *w)
{
    cache_restore(w);
    fk_restore(w);
    for (int i = 0; i < w->o.depth; i++) episode_free(w->rec[i]);
    free(w->rec);
    free(w->index);
    free(w);
}

EpisodeWriter *episode_writer_start(Store *store, const EpisodeWriterOptions *o, char *err, size_t n_err)
{
    EpisodeWriter *w = calloc(1, sizeof *w);
    if (!w) goto oom;
    w->store = store;
    w->o = *o;
    if (w->o.depth < 2) w->o.depth = 2;
    if (w->o.batch < 1) w->o.batch = 1;
    w->o.depth = ring_depth(&w->o);
    cache_fit(w);
    fk_off(w);
    w->rec = calloc((size_t)w->o.depth, sizeof *w->rec);
    w->index = calloc((size_t)w->o.depth, sizeof *w->index);
    if (!w->rec || !w->index) goto oom_free;
    for (int i = 0; i < w->o.depth; i++)
        if (!(w->rec[i] = episode_alloc_stages(o->max_trials, o->max_stages, o->n_units)) ||
            (o->max_steps > 0 && episode_reserve_steps(w->rec[i], o->max_steps, o->n_step_units) != 0))
            goto oom_free;
    if (thread_sync_init(&w->mu, &w->has_work, &w->has_room) != 0) goto oom_free;
    if (thread_start_quiet(&w->thread, writer_main, w) != 0) {
        thread_sync_destroy(&w->mu, &w->has_work, &w->has_room);
        snprintf(err, n_err, "cannot start the thread that writes episodes");
        records_free(w);
        return NULL;
    }
    return w;
oom_free:
    records_free(w);
oom:
    snprintf(err, n_err, "out of memory for the episodes to write");
    return NULL;
}

int episode_writer_depth(const EpisodeWriter *w) { return w->o.depth; }

EpisodeRecord *episode_writer_slot(EpisodeWriter *w)
{
    pthread_mutex_lock(&w->mu);
    while (w->queued == w->o.depth && !w->failed) pthread_cond_wait(&w->has_room, &w->mu);
    EpisodeRecord *e = w->failed ? NULL : w->rec[(w->head + w->queued) % w->o.depth];
    pthread_mutex_unlock(&w->mu);
    return e;
}

void episode_writer_push(EpisodeWriter *w, int64_t index)
{
    pthread_mutex_lock(&w->mu);
    w->index[(w->head + w->queued) % w->o.depth] = index;
    w->queued++;
    pthread_cond_signal(&w->has_work);
    pthread_mutex_unlock(&w->mu);
}

int episode_writer_finish(EpisodeWriter *w, char *err, size_t n_err)
{
    if (!w) return 0;
    pthread_mutex_lock(&w->mu);
    w->done = 1;
    pthread_cond_signal(&w->has_work);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    int ret = 0;
    if (w->failed) {
        snprintf(err, n_err, "%s", w->err);
        ret = -1;
    }
    thread_sync_destroy(&w->mu, &w->has_work, &w->has_room);
    records_free(w);
    return ret;
}
