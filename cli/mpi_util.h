/* cli/mpi_util.h: the MPI world of a run, or a world of one without MPI.
**
** The MPI build (`make mpi`: build-mpi/metarl, compiled with mpicc and
** -DMETARL_MPI) lets `mpirun -n K build-mpi/metarl COMMAND ...` spread work
** over K processes ("ranks"), on one machine or several:
**
**     sweep   rank r runs grid points r, r + K, r + 2K, ... into its own store
**     train   data-parallel A2C: each rank plays its part of every batch
**
** Every other command, and every command of the default build, runs as one
** process; these functions then report rank 0 of a world of 1 and their
** collectives copy their input. MPI is started only by the commands that use
** it (mpi_world), and finished at exit.
**
** Ranks exchange plain C structs as bytes: all ranks must run the same
** binary on machines of one architecture (byte order, type sizes).
*/
#ifndef METARL_MPI_UTIL_H
#define METARL_MPI_UTIL_H

#include <stddef.h>

/* Start MPI if it is not started (MPI_Init; MPI_Finalize runs at exit) and
** give this process's rank and the world's size. Without MPI: 0 and 1.
** Return 0, or -1 with a message in err if MPI cannot start. */
int mpi_world(int *rank, int *size, char *err, size_t n_err);

/* For data parallelism inside a command: the number of ranks that share
** its job (1 before mpi_world, and without MPI). A sweep's ranks run whole
** jobs of their own through the library (jobs/sweep.h), never a command. */
int mpi_team_size(void);

/* Collectives over the world (after mpi_world); without MPI they copy. */
/* Each rank sends n bytes; rank 0 receives size * n bytes in rank order
** into all (ignored elsewhere). */
int mpi_gather_bytes(const void *mine, void *all, size_t n);
/* Everyone gets the largest of the ranks' values. */
int mpi_max_int(int mine);
/* Everyone gets rank 0's value. */
int mpi_bcast_int(int v);
void mpi_barrier(void);
/* End every rank of the job with status (MPI_Abort); without MPI, exit. */
void mpi_abort(int status) __attribute__((noreturn));

#endif
