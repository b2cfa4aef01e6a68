/*
** rng.c — NumPy legacy RandomState, bit for bit (see rng.h).
** Reference: numpy/random/src/legacy + randomkit; the rules are listed in
** shared/reference/README.md and checked by tests/c/test_rng.c.
*/
#include <math.h>
#include "rng.h"

#define MT_N 624
#define MT_M 397

void m1d_rng_seed (m1d_Rng *r, uint32_t seed) {
  r->key[0] = seed;
  for (int i = 1; i < MT_N; i++)
    r->key[i] = 1812433253u * (r->key[i - 1] ^ (r->key[i - 1] >> 30)) + (uint32_t)i;
  r->pos = MT_N;
  r->has_gauss = 0;
  r->gauss = 0.0;
}

static void regenerate (m1d_Rng *r) {
  uint32_t *k = r->key, y;
  int i;
  for (i = 0; i < MT_N - MT_M; i++) {
    y = (k[i] & 0x80000000u) | (k[i + 1] & 0x7fffffffu);
    k[i] = k[i + MT_M] ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
  }
  for (; i < MT_N - 1; i++) {
    y = (k[i] & 0x80000000u) | (k[i + 1] & 0x7fffffffu);
    k[i] = k[i + (MT_M - MT_N)] ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
  }
  y = (k[MT_N - 1] & 0x80000000u) | (k[0] & 0x7fffffffu);
  k[MT_N - 1] = k[MT_M - 1] ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
  r->pos = 0;
}

uint32_t m1d_rng_u32 (m1d_Rng *r) {
  if (r->pos >= MT_N) regenerate(r);
  uint32_t y = r->key[r->pos++];
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  y ^= y >> 18;
  return y;
}

double m1d_rng_double (m1d_Rng *r) {
  uint32_t a = m1d_rng_u32(r) >> 5, b = m1d_rng_u32(r) >> 6;   /* a first */
  return (a * 67108864.0 + b) / 9007199254740992.0;
}

double m1d_rng_gauss (m1d_Rng *r) {
  if (r->has_gauss) {
    r->has_gauss = 0;
    return r->gauss;
  }
  double x1, x2, r2;
  do {
    x1 = 2.0 * m1d_rng_double(r) - 1.0;
    x2 = 2.0 * m1d_rng_double(r) - 1.0;
    r2 = x1 * x1 + x2 * x2;
  } while (r2 >= 1.0 || r2 == 0.0);
  double f = sqrt(-2.0 * log(r2) / r2);
  r->gauss = f * x1;
  r->has_gauss = 1;
  return f * x2;
}

uint64_t m1d_rng_interval (m1d_Rng *r, uint64_t max) {
  if (max == 0) return 0;                 /* consumes nothing, like numpy */
  uint64_t mask = max;
  mask |= mask >> 1; mask |= mask >> 2; mask |= mask >> 4;
  mask |= mask >> 8; mask |= mask >> 16; mask |= mask >> 32;
  uint64_t v;
  if (max <= 0xffffffffu) {
    while ((v = (m1d_rng_u32(r) & mask)) > max) {}
  } else {
    do {
      v = (((uint64_t)m1d_rng_u32(r) << 32) | m1d_rng_u32(r)) & mask;
    } while (v > max);
  }
  return v;
}

void m1d_rng_permutation (m1d_Rng *r, int64_t n, int64_t *out) {
  for (int64_t i = 0; i < n; i++) out[i] = i;
  for (int64_t i = n - 1; i >= 1; i--) {
    int64_t j = (int64_t)m1d_rng_interval(r, (uint64_t)i);
    int64_t tmp = out[i]; out[i] = out[j]; out[j] = tmp;
  }
}

/* Dropout's masks: one uniform per element from MT19937 cost ~120 instructions (two
   genrand_int32 per 53-bit double), as much as the rest of an MLP step.  Instead one
   64-bit seed is drawn from the stream per mask and SplitMix64 (Steele, Lea and Flood
   2014; a full-period 64-bit generator that passes BigCrush) expands it, ~10
   instructions an element: the masks still follow m1d.manual_seed.  Element i keeps
   (value scale, else 0) when its 53-bit uniform is >= p. */
static inline uint64_t splitmix64 (uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void m1d_rng_keep_mask (m1d_Rng *r, int64_t n, double p, double scale, int f64, void *out) {
  uint64_t state = ((uint64_t)m1d_rng_u32(r) << 32) | m1d_rng_u32(r);
  /* u = (z >> 11) 2^-53 >= p  <=>  (z >> 11) >= ceil(p 2^53): p 2^53 is exact */
  uint64_t threshold = (uint64_t)ceil(p * 9007199254740992.0);
  if (f64) {
    double *o = out;
    for (int64_t i = 0; i < n; i++) o[i] = (splitmix64(&state) >> 11) >= threshold ? scale : 0.0;
  } else {
    float *o = out, s = (float)scale;
    for (int64_t i = 0; i < n; i++) o[i] = (splitmix64(&state) >> 11) >= threshold ? s : 0.0f;
  }
}

static m1d_Rng global_rng;
static int global_seeded = 0;

m1d_Rng *m1d_global_rng (void) {
  if (!global_seeded) { m1d_rng_seed(&global_rng, 0); global_seeded = 1; }
  return &global_rng;
}
