/*
** rng.h — NumPy's legacy RandomState stream (MT19937 with init_genrand seeding,
** 53-bit doubles, polar Box-Muller with a one-value cache, masked-rejection
** bounded integers).  The MNIST-1D generator must draw exactly the numbers
** np.random draws; tensors' rand/randn use the same generator so that one
** seed explains every random number in a run.
*/
#ifndef M1D_RNG_H
#define M1D_RNG_H

#include <stdint.h>

typedef struct m1d_Rng {
  uint32_t key[624];
  int pos;
  int has_gauss;
  double gauss;
} m1d_Rng;

void m1d_rng_seed (m1d_Rng *r, uint32_t seed);       /* np.random.seed(seed) */
uint32_t m1d_rng_u32 (m1d_Rng *r);                    /* genrand_int32 */
double m1d_rng_double (m1d_Rng *r);                   /* np.random.rand() */
double m1d_rng_gauss (m1d_Rng *r);                    /* np.random.randn() */
uint64_t m1d_rng_interval (m1d_Rng *r, uint64_t max); /* uniform in [0, max], masked rejection */
void m1d_rng_permutation (m1d_Rng *r, int64_t n, int64_t *out); /* np.random.permutation(n) */

/* out[i] (n floats, or doubles when f64) = scale with probability 1 - p, else 0: one
   seed from r, the elements from SplitMix64 (see rng.c) */
void m1d_rng_keep_mask (m1d_Rng *r, int64_t n, double p, double scale, int f64, void *out);

/* The process-wide generator behind m1d.manual_seed / rand / randn. */
m1d_Rng *m1d_global_rng (void);

#endif
