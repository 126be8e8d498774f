/* rng.h - the project's own PRNG (xoshiro256** seeded by splitmix64).
 * One --seed feeds everything; streams are derived with rng_split() so the
 * results do not depend on the number of threads. */
#ifndef AR_RNG_H
#define AR_RNG_H

#include <stdint.h>

typedef struct rng { uint64_t s[4]; } rng;

void rng_seed(rng *r, uint64_t seed);
/* An independent stream: seeded from (seed of parent state, stream id). */
void rng_split(const rng *parent, uint64_t stream, rng *child);
uint64_t rng_u64(rng *r);
/* Uniform integer in [0, n), n > 0, unbiased (Lemire). */
uint64_t rng_below(rng *r, uint64_t n);
/* Uniform double in [0, 1) with 53 random bits. */
double rng_double(rng *r);
/* Standard normal (Box-Muller, no caching so the stream position is explicit). */
double rng_normal(rng *r);

#endif
