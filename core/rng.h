/* core/rng.h: seeded random streams, one generator per purpose and episode.
**
** Every random draw in metarl comes from a GSL generator seeded here; nothing
** reads the environment (no gsl_rng_env_setup) and nothing uses rand().
**
** A run has one master seed. Each purpose has its own stream (weight
** initialisation, task instances, action sampling and noise, and the same two
** for the test phase), and each episode of a stream gets a generator seeded
** from (seed, stream, episode) through a 64-bit mixing function. So:
**   - episode 7's task instance does not depend on what the agent did in
**     episodes 0..6, nor on how many numbers the agent drew;
**   - two agents run with the same seed meet the same instances;
**   - a resumed run, a run split over threads or MPI ranks, and an
**     uninterrupted run draw exactly the same numbers for the same episode.
*/
#ifndef METARL_RNG_H
#define METARL_RNG_H

#include <stdint.h>
#include <gsl/gsl_rng.h>

typedef enum {
    RNG_STREAM_INIT = 1,        /* network weights */
    RNG_STREAM_TASK = 2,        /* training task instances and rewards */
    RNG_STREAM_POLICY = 3,      /* training action sampling and network noise */
    RNG_STREAM_TEST_TASK = 4,   /* test/baseline task instances and rewards */
    RNG_STREAM_TEST_POLICY = 5  /* test/baseline action sampling */
} RngStream;

/* The generator type used everywhere (its name goes into the runs table). */
const gsl_rng_type *rng_type(void);

/* Allocate a generator of rng_type(); NULL if out of memory. */
gsl_rng *rng_alloc(void);

/* Seed r for (seed, stream, episode). */
void rng_seed_episode(gsl_rng *r, uint64_t seed, RngStream stream, uint64_t episode);

/* Draw a category from probs (n entries summing to 1) with one uniform draw
** from r: the first a with u < p_0 + ... + p_a, partial sums taken in order
** (n-1 if rounding leaves u beyond the last partial sum). Every sampled
** action in metarl (the network's policy, the reference agents) goes
** through here. */
int rng_categorical(const double *probs, int n, gsl_rng *r);

/* The 64-bit mixing function (splitmix64 finaliser), exposed for tests. */
uint64_t rng_mix64(uint64_t x);

#endif
