/* cli/mpi_util.c: the MPI world, or a world of one (see mpi_util.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/mpi_util.h"

#ifdef METARL_MPI
#include <mpi.h>
#endif

#ifdef METARL_MPI

static int started = 0, world_rank = 0, world_size = 1;

static void finish_mpi(void)
{
    int fin = 0;
    MPI_Finalized(&fin);
    if (!fin) MPI_Finalize();
}

int mpi_world(int *rank, int *size, char *err, size_t n_err)
{
    if (!started) {
        int init = 0;
        MPI_Initialized(&init);
        if (!init && MPI_Init(NULL, NULL) != MPI_SUCCESS) {
            snprintf(err, n_err, "cannot start MPI (MPI_Init failed)");
            return -1;
        }
        /* errors in a collective are bugs or a lost rank: abort the job
        ** rather than leave the other ranks waiting (the default anyway) */
        MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
        MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
        MPI_Comm_size(MPI_COMM_WORLD, &world_size);
        if (!init) atexit(finish_mpi);
        started = 1;
    }
    *rank = world_rank;
    *size = world_size;
    return 0;
}

int mpi_team_size(void) { return started ? world_size : 1; }

int mpi_gather_bytes(const void *mine, void *all, size_t n)
{
    if (!started || world_size == 1) {
        memcpy(all, mine, n);
        return 0;
    }
    return MPI_Gather(mine, (int)n, MPI_BYTE, all, (int)n, MPI_BYTE, 0, MPI_COMM_WORLD) == MPI_SUCCESS ? 0 : -1;
}

int mpi_max_int(int mine)
{
    int out = mine;
    if (started && world_size > 1) MPI_Allreduce(&mine, &out, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return out;
}

int mpi_bcast_int(int v)
{
    if (started && world_size > 1) MPI_Bcast(&v, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return v;
}

void mpi_barrier(void)
{
    if (started && world_size > 1) MPI_Barrier(MPI_COMM_WORLD);
}

void mpi_abort(int status)
{
    MPI_Abort(MPI_COMM_WORLD, status);
    exit(status);   /* not reached */
}

#else   /* one process */

int mpi_world(int *rank, int *size, char *err, size_t n_err)
{
    (void)err;
    (void)n_err;
    *rank = 0;
    *size = 1;
    return 0;
}

int mpi_team_size(void) { return 1; }

int mpi_gather_bytes(const void *mine, void *all, size_t n)
{
    memcpy(all, mine, n);
    return 0;
}

int mpi_max_int(int mine) { return mine; }
int mpi_bcast_int(int v) { return v; }
void mpi_barrier(void) {}
void mpi_abort(int status) { exit(status); }

#endif

