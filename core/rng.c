/* core/rng.c: per-episode seeding of GSL generators, and the categorical
** sampler (see rng.h). */
#include "core/rng.h"

const gsl_rng_type *rng_type(void) { return gsl_rng_mt19937; }

gsl_rng *rng_alloc(void) { return gsl_rng_alloc(rng_type()); }

uint64_t rng_mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

void rng_seed_episode(gsl_rng *r, uint64_t seed, RngStream stream, uint64_t episode)
{
    uint64_t h = rng_mix64(seed);
    h = rng_mix64(h ^ (uint64_t)stream);
    h = rng_mix64(h ^ episode);
    /* mt19937 keeps 32 bits of its seed; fold the high half in so both count,
    ** and avoid 0, which GSL's mt19937 maps to its default seed. */
    unsigned long s = (unsigned long)((h ^ (h >> 32)) & 0xffffffffUL);
    gsl_rng_set(r, s ? s : 1);
}

int rng_categorical(const double *probs, int n, gsl_rng *r)
{
    double u = gsl_rng_uniform(r), c = 0.0;
    for (int a = 0; a < n - 1; a++) {
        c += probs[a];
        if (u < c) return a;
    }
    return n - 1;
}
