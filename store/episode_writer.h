/* store/episode_writer.h: store episodes on a thread of their own.
**
** `metarl test` spends much of its time in SQLite, writing trials and unit
** rates, while the network or agent waits. An EpisodeWriter takes that work
** to a second thread: the caller fills one of a few records, hands it over
** and goes on with the next episode while the writer stores the last. The
** episodes are written in the order they were handed over, in transactions
** of `batch` episodes, so the store ends byte for byte as if written inline.
**
** Between episode_writer_start() and episode_writer_finish() the writer owns
** the store: the caller must not use it. Errors are the store's messages.
*/
#ifndef METARL_EPISODE_WRITER_H
#define METARL_EPISODE_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "core/episode.h"
#include "store/store.h"

typedef struct EpisodeWriter EpisodeWriter;

typedef struct EpisodeWriterOptions {
    int64_t run_id;
    const char *phase;       /* episodes.phase: "test", "train", ... (kept, not copied) */
    int with_activity;       /* store the unit rates too: STORE_RATES_FLOAT32, _FLOAT16 or _SPARSE (store/rates.h), 0 = no */
    int batch;               /* episodes per transaction (>= 1) */
    int depth;               /* records in flight (>= 2; raised to 1.5 x batch within 64 MiB of records);
                                the caller blocks when all are queued */
    int max_trials, n_units; /* sizes of the records (as for episode_alloc) */
    int max_stages;          /* stages per trial of a multi-stage task (0 or 1: none) */
    int max_steps, n_step_units;   /* per-step rates to reserve (episode_reserve_steps; 0: none) */
} EpisodeWriterOptions;

/* Start the writer thread. Return NULL with a message in err if out of
** memory or no thread could be started. */
EpisodeWriter *episode_writer_start(Store *store, const EpisodeWriterOptions *o, char *err, size_t n_err);

/* The records in w's ring (the depth asked for, or more: see depth above). */
int episode_writer_depth(const EpisodeWriter *w);

/* A free record to fill (cleared by the caller's runner as usual). Blocks
** while every record is queued. Return NULL once writing has failed: stop,
** and call episode_writer_finish() for the message. */
EpisodeRecord *episode_writer_slot(EpisodeWriter *w);

/* Queue the record episode_writer_slot() returned last, as episode `index`. */
void episode_writer_push(EpisodeWriter *w, int64_t index);

/* Store everything queued, commit the open batch, stop the thread and free
** w (safe on NULL). Return 0; or -1 with the store's message in err, in
** which case the batch that failed is rolled back and earlier batches stay. */
int episode_writer_finish(EpisodeWriter *w, char *err, size_t n_err);

#endif
