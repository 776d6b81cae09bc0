/* jobs/train_mpi.h: data-parallel training over MPI ranks (-DMETARL_MPI only).
**
** Under `mpirun -n K` every rank holds one TrainMpi. Rank 0 runs the
** ordinary training job (jobs/train.h) with train_mpi_hook() as its
** TrainHook, then train_mpi_finish(); ranks 1..K-1 run train_mpi_worker(),
** which computes their part of every batch until rank 0 stops. The weights
** are byte-identical to one process with train.workers = K (the protocol
** is described in jobs/train_mpi.c). The caller has started MPI.
*/
#ifndef METARL_JOBS_TRAIN_MPI_H
#define METARL_JOBS_TRAIN_MPI_H

#ifdef METARL_MPI
#include <signal.h>
#include <stddef.h>

#include "jobs/train.h"

typedef struct TrainMpi TrainMpi;

/* This rank's state in a world of `size` ranks. NULL if out of memory. */
TrainMpi *train_mpi_alloc(int rank, int size);
void train_mpi_free(TrainMpi *m);

/* Rank 0: the hook to put in TrainSettings.hook (owned by m). */
const TrainHook *train_mpi_hook(TrainMpi *m);

/* Rank 0, after train_job_run: release the other ranks with its status;
** returns it. */
int train_mpi_finish(TrainMpi *m, int status);

/* Ranks 1..K-1: receive the run from rank 0 and compute until it stops
** (*stop, set by a signal here, stops every rank). Return rank 0's status,
** or -1 if this rank cannot start (message in err): the caller must then
** abort the MPI job, since the other ranks wait for this one. */
int train_mpi_worker(TrainMpi *m, volatile sig_atomic_t *stop, char *err, size_t n_err);
#endif

#endif
